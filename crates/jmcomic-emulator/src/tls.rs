//! TLS: a self-signed certificate for the loopback names and the made-up `*.jm.test` names,
//! generated at start, and the rustls configurations using it: HTTPS on every host
//! (`EmulatorBuilder::tls`) and the DoH endpoint (always HTTPS).
//!
//! The Python package only speaks HTTPS (it prefixes every bare domain with `https://`, spec
//! §6.1.2), so a side-by-side benchmark needs the emulator to terminate TLS. Clients are
//! expected to skip certificate checks (`verify: false`) or trust
//! [`crate::Emulator::certificate_pem`] / [`crate::Emulator::doh_certificate_pem`].

use std::net::IpAddr;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::dns::DNS_SUFFIX;
use crate::error::{Error, Result};

/// The certificate and its key.
pub(crate) struct Certificate {
    der: CertificateDer<'static>,
    key: PrivatePkcs8KeyDer<'static>,
    pub pem: String,
}

/// A fresh self-signed certificate for `127.0.0.1`, `::1`, `localhost`, `advertised` (the
/// address the domains name), `jm.test`, `*.jm.test`, and `extra_names` (the names of the
/// DNS tables, so a client that resolves them can verify the certificate; names a
/// certificate cannot carry are left out).
pub(crate) fn self_signed<'a>(
    advertised: IpAddr,
    extra_names: impl IntoIterator<Item = &'a str>,
) -> Result<Certificate> {
    let mut names = vec![
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
        "localhost".to_owned(),
        DNS_SUFFIX.to_owned(),
        format!("*.{DNS_SUFFIX}"),
    ];
    names.push(advertised.to_string());
    names.extend(
        extra_names
            .into_iter()
            .filter(|n| is_host_name(n))
            .map(str::to_owned),
    );
    names.sort();
    names.dedup();
    let certified = rcgen::generate_simple_self_signed(names).map_err(|e| fail(&e))?;
    Ok(Certificate {
        der: certified.cert.der().clone(),
        key: PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der()),
        pem: certified.cert.pem(),
    })
}

/// Whether `name` is a plain host name (RFC 1123 labels): a certificate carrying anything
/// else could be refused by a client's parser, and the names of the DNS tables are free
/// text.
fn is_host_name(name: &str) -> bool {
    name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

fn fail(e: &dyn std::fmt::Display) -> Error {
    Error::Tls {
        reason: e.to_string(),
    }
}

/// A server configuration presenting `cert` and offering `alpn` (in order of preference).
///
/// The site's hosts offer only HTTP/1.1: the server speaks nothing else there, and a client
/// that offers h2 (curl impersonating Chrome does) then falls back to HTTP/1.1. The DoH
/// endpoint offers h2 first.
pub(crate) fn server_config(cert: &Certificate, alpn: &[&[u8]]) -> Result<Arc<ServerConfig>> {
    // An explicit provider: installing a process default is the application's business.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| fail(&e))?
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der.clone()],
            PrivateKeyDer::Pkcs8(cert.key.clone_key()),
        )
        .map_err(|e| fail(&e))?;
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::is_host_name;

    #[test]
    fn only_host_names_go_into_the_certificate() {
        for good in ["api1.jm.test", "mirror.example", "a-b.c", "x"] {
            assert!(is_host_name(good), "{good}");
        }
        for bad in [
            "",
            "a..b",
            "-a.b",
            "a-.b",
            "a b",
            "ä.example",
            "a.b.",
            "*.x",
        ] {
            assert!(!is_host_name(bad), "{bad}");
        }
    }
}
