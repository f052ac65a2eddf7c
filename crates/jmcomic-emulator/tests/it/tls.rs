//! HTTPS on every host (`tls(true)`): the same site, the same faults.

use std::time::{Duration, Instant};

use jmcomic_emulator::{Emulator, FaultKind, FaultRule, Times};

use crate::support::{Api, tls_client};

const PAGE: &str = "/media/photos/438516/00002.webp";

fn start_tls() -> Emulator {
    Emulator::builder().tls(true).start().expect("start")
}

#[tokio::test]
async fn serves_api_and_cdn_over_https() {
    let emu = start_tls();
    let api_base = &emu.api_domains()[0];
    let cdn = &emu.image_domains()[0];
    assert!(api_base.starts_with("https://127.0.0.1:"), "{api_base}");
    assert!(cdn.starts_with("https://127.0.0.1:"), "{cdn}");
    assert!(emu.domain_server_url().starts_with("https://"));

    let mut api = Api::with_client(api_base, tls_client());
    api.login_cookies().await;
    assert_eq!(api.data("/album?id=438516").await["id"], 438_516);

    let resp = tls_client()
        .get(format!("{cdn}{PAGE}"))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.version(), reqwest::Version::HTTP_11);
    let bytes = resp.bytes().await.expect("body");
    assert_eq!(
        Some(bytes.to_vec()),
        emu.served_bytes(438_516, "00002.webp")
    );

    // Plain HTTP to a TLS port gets no HTTP answer.
    let plain = cdn.replacen("https://", "http://", 1);
    assert!(
        crate::support::client()
            .get(format!("{plain}{PAGE}"))
            .send()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn certificate_is_valid_for_loopback_names() {
    let emu = start_tls();
    let pem = emu
        .certificate_pem()
        .expect("tls emulator has a certificate");
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    let cert = reqwest::Certificate::from_pem(pem.as_bytes()).expect("pem");
    // Verified, not skipped: the certificate names 127.0.0.1 and localhost.
    let client = crate::support::http()
        .no_proxy()
        .tls_certs_only([cert])
        .build()
        .expect("client");
    let cdn = &emu.image_domains()[0];
    for base in [cdn.clone(), cdn.replacen("127.0.0.1", "localhost", 1)] {
        let resp = client
            .get(format!("{base}{PAGE}"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{base}: {e:?}"));
        assert_eq!(resp.status(), 200, "{base}");
    }
    assert!(
        Emulator::start()
            .expect("plain")
            .certificate_pem()
            .is_none()
    );
}

#[tokio::test]
async fn faults_work_over_tls() {
    let emu = start_tls();
    let url = format!("{}{PAGE}", emu.image_domains()[0]);
    let c = tls_client();

    let id = emu.add_fault(FaultRule::new(PAGE, FaultKind::Reset).times(Times::First(1)));
    let err = c.get(&url).send().await.expect_err("reset");
    assert!(!err.is_status() && !err.is_timeout(), "{err:?}");
    assert_eq!(c.get(&url).send().await.expect("after").status(), 200);
    emu.remove_fault(id);

    let id = emu.add_fault(FaultRule::new(PAGE, FaultKind::Truncated));
    let full = emu.served_bytes(438_516, "00002.webp").expect("page");
    let resp = c.get(&url).send().await.expect("headers arrive");
    assert_eq!(resp.content_length(), Some(full.len() as u64));
    let err = resp.bytes().await.expect_err("truncated");
    assert!(err.is_body() || err.is_decode(), "{err:?}");
    emu.remove_fault(id);

    let id = emu.add_fault(FaultRule::new(PAGE, FaultKind::Status(503)));
    assert_eq!(c.get(&url).send().await.expect("send").status(), 503);
    emu.remove_fault(id);

    emu.add_fault(FaultRule::new(PAGE, FaultKind::Stall));
    let slow = crate::support::http()
        .no_proxy()
        .tls_danger_accept_invalid_certs(true)
        .read_timeout(Duration::from_millis(400))
        .build()
        .expect("client");
    let started = Instant::now();
    let resp = slow.get(&url).send().await.expect("headers arrive");
    let err = resp.bytes().await.expect_err("stalled");
    assert!(err.is_timeout(), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
}
