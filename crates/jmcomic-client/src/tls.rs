//! The TLS configuration every connection uses.
//!
//! rustls with the `ring` provider, built here and handed to reqwest, rather than reqwest's
//! default provider (aws-lc-rs): ring builds in a fraction of the time aws-lc-sys takes, which
//! matters on the 2-core CI machine, and handing over a finished configuration installs no
//! process-wide default provider, so an application embedding this library keeps its own.
//!
//! Certificates are checked by the operating system's verifier (`rustls-platform-verifier`,
//! what reqwest uses by default). On a machine without CA certificates (a minimal container,
//! where that verifier cannot even be built) the Mozilla roots compiled into this program
//! are used instead, so the one static binary works anywhere. Turning the check off keeps the
//! handshake signature checks: only the certificate chain and name are no longer looked at.

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tracing::debug;

use crate::error::{Error, Result};

/// Which roots verify certificates, for `doctor`.
pub(crate) fn roots_description(accept_invalid_certs: bool) -> String {
    if accept_invalid_certs {
        return "none: certificate checks are off (client.verify_tls: false)".to_owned();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    match rustls_platform_verifier::Verifier::new(provider) {
        Ok(_) => "the operating system's certificate store".to_owned(),
        Err(_) => "the built-in Mozilla roots (no usable system store)".to_owned(),
    }
}

/// The client configuration: certificates verified unless `accept_invalid_certs`.
pub(crate) fn client_config(accept_invalid_certs: bool) -> Result<ClientConfig> {
    let fail = |e: &dyn std::fmt::Display| Error::Build(format!("TLS configuration: {e}"));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| fail(&e))?;
    let verifier: Arc<dyn ServerCertVerifier> = if accept_invalid_certs {
        Arc::new(AnyCertificate(provider))
    } else {
        match rustls_platform_verifier::Verifier::new(provider.clone()) {
            Ok(v) => Arc::new(v),
            Err(e) => {
                debug!(reason = %e, "no usable system CA certificates; using the built-in Mozilla roots");
                let mut roots = RootCertStore::empty();
                roots.add_parsable_certificates(
                    webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter().cloned(),
                );
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                    .build()
                    .map_err(|e| fail(&e))?
            }
        }
    };
    let mut config = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    // What reqwest offers itself when it builds the configuration (HTTP/2 is enabled).
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// Accepts any certificate chain for any name (`client.verify_tls: false`).
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
