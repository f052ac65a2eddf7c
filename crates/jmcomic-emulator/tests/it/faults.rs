//! Fault injection as a raw client sees it.

use std::time::{Duration, Instant};

use jmcomic_emulator::{Emulator, FaultKind, FaultRule, Times};
use serde_json::Value;

use crate::support::{Api, client, decrypt_data};

const PAGE: &str = "/media/photos/438516/00002.webp";

fn start_with(rule: FaultRule) -> Emulator {
    Emulator::builder().fault(rule).start().expect("start")
}

#[tokio::test]
async fn status_first_n_then_normal() {
    let emu = start_with(FaultRule::new(PAGE, FaultKind::Status(503)).times(Times::First(2)));
    let url = format!("{}{PAGE}", emu.image_domains()[0]);
    let c = client();
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let resp = c.get(&url).send().await.expect("send");
        statuses.push(resp.status().as_u16());
        let body = resp.text().await.expect("body");
        if statuses.len() <= 2 {
            assert!(body.contains("<html>"), "{body}");
        }
    }
    assert_eq!(statuses, [503, 503, 200]);
    let log = emu.requests();
    assert_eq!(log.len(), 3);
    assert_eq!(log[0].fault.as_deref(), Some("status=503"));
    assert_eq!(log[2].fault, None);
    assert_eq!(log[2].status, 200);
    // Other pages are not affected by a page-specific prefix.
    let other = format!("{}/media/photos/438516/00001.webp", emu.image_domains()[0]);
    assert_eq!(c.get(&other).send().await.expect("send").status(), 200);
}

#[tokio::test]
async fn reset_gives_a_connection_error() {
    let emu = start_with(FaultRule::new("/media/", FaultKind::Reset).times(Times::First(1)));
    let url = format!("{}{PAGE}", emu.image_domains()[0]);
    let c = client();
    let err = c.get(&url).send().await.expect_err("reset");
    assert!(!err.is_status() && !err.is_timeout(), "{err:?}");
    assert_eq!(c.get(&url).send().await.expect("second").status(), 200);
    assert_eq!(emu.requests()[0].status, 0);
    assert_eq!(emu.requests()[0].fault.as_deref(), Some("reset"));
}

#[tokio::test]
async fn truncated_body_is_a_body_error() {
    let emu = start_with(FaultRule::new(PAGE, FaultKind::Truncated));
    let url = format!("{}{PAGE}", emu.image_domains()[0]);
    let full = emu.served_bytes(438_516, "00002.webp").expect("page");
    let resp = client().get(&url).send().await.expect("headers arrive");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.content_length(), Some(full.len() as u64));
    let err = resp.bytes().await.expect_err("truncated");
    assert!(err.is_body() || err.is_decode(), "{err:?}");
}

#[tokio::test]
async fn stall_times_out_on_read() {
    let emu = start_with(FaultRule::new(PAGE, FaultKind::Stall));
    let url = format!("{}{PAGE}", emu.image_domains()[0]);
    let c = crate::support::http()
        .no_proxy()
        .read_timeout(Duration::from_millis(400))
        .build()
        .expect("client");
    let started = Instant::now();
    let resp = c.get(&url).send().await.expect("headers arrive");
    assert_eq!(resp.status(), 200);
    let err = resp.bytes().await.expect_err("stalled");
    assert!(err.is_timeout(), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn too_many_requests_has_retry_after() {
    let emu = start_with(FaultRule::new(
        "/",
        FaultKind::TooManyRequests {
            retry_after_secs: 3,
        },
    ));
    let resp = client()
        .get(format!("{}{PAGE}", emu.image_domains()[0]))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "3");
}

#[tokio::test]
async fn empty_garbage_and_mysql_bodies() {
    let emu = Emulator::start().expect("start");
    let url = format!("{}{PAGE}", emu.image_domains()[0]);
    let c = client();

    let id = emu.add_fault(FaultRule::new(PAGE, FaultKind::Empty200));
    let resp = c.get(&url).send().await.expect("send");
    assert_eq!(resp.status(), 200);
    assert!(resp.bytes().await.expect("body").is_empty());
    assert!(emu.remove_fault(id));

    let id = emu.add_fault(FaultRule::new(PAGE, FaultKind::Garbage));
    let resp = c.get(&url).send().await.expect("send");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "image/webp");
    let bytes = resp.bytes().await.expect("body");
    assert!(bytes.len() >= 64);
    assert!(jmcomic_emulator::decode_rgb(&bytes).is_err());
    assert!(emu.remove_fault(id));

    emu.add_fault(FaultRule::new("/", FaultKind::Mysql));
    let body = c
        .get(&url)
        .send()
        .await
        .expect("send")
        .text()
        .await
        .expect("body");
    assert_eq!(
        body,
        "Could not connect to mysql! Please check your database settings!"
    );
    emu.clear_faults();
    assert_eq!(c.get(&url).send().await.expect("send").status(), 200);
}

#[tokio::test]
async fn bad_ciphertext_envelope() {
    let emu = Emulator::builder()
        .require_cookies(false)
        .start()
        .expect("start");
    let api = Api::new(&emu.api_domains()[0]);
    emu.add_fault(FaultRule::new("/album", FaultKind::BadCiphertext).times(Times::First(1)));
    let (status, body) = api.raw("/album?id=438516").await;
    assert_eq!(status, 200);
    let env: Value = serde_json::from_str(&body).expect("envelope is still JSON");
    assert_eq!(env["code"], 200);
    let data = env["data"].as_str().expect("data");
    let decrypted = decrypt_data(&api.ts, data);
    assert!(
        decrypted.is_err()
            || serde_json::from_str::<Value>(&decrypted.unwrap_or_default()).is_err()
    );
    assert_eq!(api.data("/album?id=438516").await["id"], 438_516);
}

#[tokio::test]
async fn latency_global_and_per_rule() {
    let emu = Emulator::builder()
        .latency(Duration::from_millis(60))
        .fault(FaultRule::new(
            "/media/albums/",
            FaultKind::Latency(Duration::from_millis(150)),
        ))
        .start()
        .expect("start");
    let c = client();
    let cdn = &emu.image_domains()[0];
    c.get(format!("{cdn}{PAGE}"))
        .send()
        .await
        .expect("warm up connection");
    let t = Instant::now();
    c.get(format!("{cdn}{PAGE}")).send().await.expect("send");
    let plain = t.elapsed();
    let t = Instant::now();
    c.get(format!("{cdn}/media/albums/438516.jpg"))
        .send()
        .await
        .expect("send");
    let slow = t.elapsed();
    assert!(plain >= Duration::from_millis(60), "{plain:?}");
    assert!(slow >= Duration::from_millis(210), "{slow:?}");
}

#[tokio::test]
async fn every_nth_probability_and_host_filter() {
    let emu = Emulator::builder().cdn_hosts(2).start().expect("start");
    let c = client();
    let cdn = emu.image_domains();
    // Host 1 = first CDN host (API hosts come first).
    emu.add_fault(
        FaultRule::new("/media/", FaultKind::Status(502))
            .on_host(1)
            .times(Times::EveryNth(2)),
    );
    let mut on_host1 = Vec::new();
    let mut on_host2 = Vec::new();
    for _ in 0..4 {
        on_host1.push(
            c.get(format!("{}{PAGE}", cdn[0]))
                .send()
                .await
                .expect("send")
                .status()
                .as_u16(),
        );
        on_host2.push(
            c.get(format!("{}{PAGE}", cdn[1]))
                .send()
                .await
                .expect("send")
                .status()
                .as_u16(),
        );
    }
    assert_eq!(on_host1, [200, 502, 200, 502]);
    assert_eq!(on_host2, [200; 4]);
    emu.clear_faults();

    let rule: FaultRule = "status=520@/media/;p=0.5;seed=11".parse().expect("spec");
    let run = |emu: &Emulator| {
        emu.clear_faults();
        emu.add_fault(rule.clone());
    };
    let mut outcomes = Vec::new();
    for _ in 0..2 {
        run(&emu);
        let mut seq = Vec::new();
        for _ in 0..16 {
            seq.push(
                c.get(format!("{}{PAGE}", cdn[0]))
                    .send()
                    .await
                    .expect("send")
                    .status()
                    .as_u16(),
            );
        }
        outcomes.push(seq);
    }
    assert_eq!(outcomes[0], outcomes[1], "same seed, same sequence");
    assert!(
        outcomes[0].contains(&520) && outcomes[0].contains(&200),
        "{:?}",
        outcomes[0]
    );
}
