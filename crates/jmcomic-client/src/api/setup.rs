//! Getting the API ready: current domains from the domain servers, session cookies and the
//! current app version from `/setting`, each once, before the first request that needs them.

use std::time::{Duration, SystemTime};

use serde_json::Value;
use tracing::{info, warn};

use super::envelope::Payload;
use super::{ApiProtocol, crypto, wire};
use crate::domain::Domain;
use crate::error::{Error, Result};
use crate::memory::DomainRefresh;
use crate::site::{self, Endpoint};
use crate::transport::{Role, check_status};

/// What the API's set-up has done so far.
pub(crate) struct SetupState {
    /// The domain servers were asked (or need not be: domains were configured).
    pub(crate) domains_checked: bool,
    /// Session cookies are there (or not needed: configured, or not required).
    pub(crate) session_ready: bool,
}

impl ApiProtocol {
    /// Domain refresh and session cookies, once, before the first request that needs them.
    /// A failure is not remembered: the next request tries again (the Python package caches
    /// a failed refresh for the whole process).
    // Spec W5.
    pub(crate) async fn ensure_ready(&self) -> Result<()> {
        let mut state = self.setup.lock().await;
        if !state.domains_checked {
            self.refresh_domains().await;
            state.domains_checked = true;
        }
        if !state.session_ready {
            self.bootstrap_session().await?;
            state.session_ready = true;
        }
        Ok(())
    }

    /// A new session from `/setting`, after the site answered with its placeholder (a sign
    /// the cookies are missing or stale).
    pub(crate) async fn renew_session(&self) -> Result<()> {
        let mut state = self.setup.lock().await;
        self.bootstrap_session().await?;
        state.session_ready = true;
        Ok(())
    }

    /// `GET /setting`: session cookies and the current app version.
    // Spec §6.2.7.
    pub(crate) async fn bootstrap_session(&self) -> Result<()> {
        let resp = self
            .request(Endpoint::Setting, &[], site::TOKEN_SECRET)
            .await?;
        let announced = match &resp.payload {
            Payload::Data(v) => wire::text(v, "jm3_version"),
            _ => None,
        };
        let adopt = self.adopt_site_version;
        self.net.session.write(|s| {
            s.merge_cookies(resp.set_cookies);
            if let Some(v) = announced
                && adopt
            {
                s.offer_app_version(v);
            }
        });
        Ok(())
    }

    /// Asks the domain servers for the current API domains. Failures only log: the built-in
    /// list stays.
    // Spec §6.2.7.
    async fn refresh_domains(&self) {
        for url in &self.domain_server_urls {
            match self.fetch_domain_server(url).await {
                Ok(list) if !list.is_empty() => {
                    info!(%url, domains = ?list, "API domains from the domain server");
                    let refresh = DomainRefresh::new(
                        url.clone(),
                        list.iter().map(ToString::to_string).collect(),
                        SystemTime::now(),
                    );
                    self.net.set_api_domains(list, refresh);
                    return;
                }
                Ok(_) => warn!(%url, "domain server lists no domains"),
                Err(e) => warn!(%url, error = %e, "domain server failed"),
            }
        }
        warn!("no domain server answered; using the built-in API domains");
    }

    pub(crate) async fn fetch_domain_server(&self, url: &str) -> Result<Vec<Domain>> {
        let t = &self.net;
        let request = t.http().get(url).timeout(Duration::from_secs(10));
        let reply = t.send(Role::Api, request, url, 1 << 20).await?;
        check_status(&reply, url, false)?;
        let body = reply.body;
        let bad = |reason: String| Error::BadResponse {
            url: url.to_owned(),
            reason,
        };
        let text = String::from_utf8_lossy(&body);
        let plain = crypto::decrypt_domain_server(&text, site::DOMAIN_SERVER_SECRET)
            .map_err(|e| bad(e.to_string()))?;
        let v: Value = serde_json::from_str(&plain).map_err(|e| bad(e.to_string()))?;
        let list: Vec<String> = match v.get("Server") {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        // Entries that do not parse are skipped rather than failing the whole list.
        Ok(list
            .iter()
            .filter_map(|d| Domain::parse(d).ok())
            .fold(Vec::new(), |mut acc, d| {
                if !acc.contains(&d) {
                    acc.push(d);
                }
                acc
            }))
    }
}
