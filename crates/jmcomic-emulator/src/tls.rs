//! HTTPS for every host (`EmulatorBuilder::tls`): a self-signed certificate for the loopback
//! names, generated at start, and the rustls acceptor the connections go through.
//!
//! The Python package only speaks HTTPS (it prefixes every bare domain with `https://`, spec
//! §6.1.2), so a side-by-side benchmark needs the emulator to terminate TLS. Clients are
//! expected to skip certificate checks (`verify: false`) or trust
//! [`crate::Emulator::certificate_pem`].

use std::net::IpAddr;
use std::sync::Arc;

use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

use crate::error::{Error, Result};

/// The acceptor and the certificate it presents.
pub(crate) struct Tls {
    pub acceptor: TlsAcceptor,
    pub certificate_pem: String,
}

/// A fresh self-signed certificate for `127.0.0.1`, `::1`, `localhost` and `advertised` (the
/// address the domains name), and a server configuration using it.
///
/// Only HTTP/1.1 is offered through ALPN: the server speaks nothing else, and a client that
/// offers h2 (curl impersonating Chrome does) then falls back to HTTP/1.1.
pub(crate) fn self_signed(advertised: IpAddr) -> Result<Tls> {
    let fail = |e: &dyn std::fmt::Display| Error::Tls {
        reason: e.to_string(),
    };
    let mut names = vec![
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
        "localhost".to_owned(),
    ];
    let advertised = advertised.to_string();
    if !names.contains(&advertised) {
        names.push(advertised);
    }
    let certified = rcgen::generate_simple_self_signed(names).map_err(|e| fail(&e))?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    // An explicit provider: installing a process default is the application's business.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| fail(&e))?
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .map_err(|e| fail(&e))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Tls {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        certificate_pem: certified.cert.pem(),
    })
}
