//! The site's mobile-app API: signed GET requests answered with a JSON envelope whose
//! `data` is AES-encrypted.
//!
//! * [`envelope`]: signing, sending through the shared transport, decrypting the answer;
//! * [`endpoints`]: one method per endpoint that returns an entity;
//! * [`setup`]: domain refresh and the `/setting` session, once, before the first request;
//! * [`wire`]: the decrypted JSON turned into model entities;
//! * [`crypto`]: the token, the data key, and the AES of the data and the domain servers.

// Spec §6.2.

mod account;
mod account_wire;
pub(crate) mod crypto;
mod endpoints;
pub(crate) mod envelope;
mod setup;
pub(crate) mod wire;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use jmcomic_model::{JmId, ScrambleId};
use reqwest::header::{HeaderMap, HeaderValue};

pub(crate) use account::CANNOT_CHOOSE_FOLDER;
pub(crate) use endpoints::extract_scramble_id;
pub(crate) use envelope::parse_envelope;
use setup::SetupState;

use crate::site::{self, TemplateSecret};
use crate::transport::Transport;

/// The API protocol: its settings and what it remembers between requests. The transport
/// (HTTP, domain pools, retry engine, session) is shared with the CDN and any other protocol.
pub(crate) struct ApiProtocol {
    net: Arc<Transport>,
    setup: tokio::sync::Mutex<SetupState>,
    /// Scramble ids by chapter, per client; the Python cache is global and keyed by album
    /// too, assuming all chapters of an album share one.
    // Spec §6.2.6, W8.
    scramble: Mutex<HashMap<JmId, ScrambleId>>,
    template_secret: TemplateSecret,
    adopt_site_version: bool,
    domain_server_urls: Vec<String>,
}

/// What the API protocol takes from the [`crate::ClientBuilder`].
pub(crate) struct ApiSettings {
    /// Ask the domain servers for the API domains before the first request.
    pub(crate) refresh_domains: bool,
    /// Fetch session cookies from `/setting` before the first album or chapter.
    pub(crate) need_session: bool,
    pub(crate) template_secret: TemplateSecret,
    pub(crate) adopt_site_version: bool,
    pub(crate) domain_server_urls: Vec<String>,
}

impl ApiProtocol {
    pub(crate) fn new(net: Arc<Transport>, settings: ApiSettings) -> Self {
        Self {
            net,
            setup: tokio::sync::Mutex::new(SetupState {
                domains_checked: !settings.refresh_domains,
                session_ready: !settings.need_session,
            }),
            scramble: Mutex::new(HashMap::new()),
            template_secret: settings.template_secret,
            adopt_site_version: settings.adopt_site_version,
            domain_server_urls: settings.domain_server_urls,
        }
    }

    /// Headers of image requests: the app's, its image headers, and a `Referer` naming the
    /// first API domain (what the Python API client sends to the CDN).
    // Spec §6.2.1, §6.2.9.
    pub(crate) fn image_headers(&self) -> HeaderMap {
        let mut headers = app_headers();
        for (k, v) in site::IMAGE_HEADERS {
            headers.insert(*k, HeaderValue::from_static(v));
        }
        let referer = self
            .net
            .api_pool()
            .domains()
            .first()
            .map(|d| d.base().to_owned())
            .unwrap_or_default();
        if let Ok(v) = HeaderValue::from_str(&referer) {
            headers.insert(reqwest::header::REFERER, v);
        }
        headers
    }
}

/// Adds the signature of a request made at `ts`: `token` from `secret`, `tokenparam` from
/// the app version.
// Spec §6.2.1, §6.2.2.
pub(crate) fn sign(
    headers: &mut HeaderMap,
    ts: u64,
    secret: &str,
    app_version: &str,
) -> crate::error::Result<()> {
    let value = |text: String| {
        HeaderValue::from_str(&text).map_err(|e| crate::error::Error::Build(e.to_string()))
    };
    headers.insert("token", value(crypto::token(ts, secret))?);
    headers.insert("tokenparam", value(crypto::tokenparam(ts, app_version))?);
    Ok(())
}

/// The app's headers, sent with every API request.
// Spec §6.2.1.
pub(crate) fn app_headers() -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in site::APP_HEADERS {
        h.insert(*k, HeaderValue::from_static(v));
    }
    h
}
