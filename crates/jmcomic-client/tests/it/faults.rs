//! Every fault kind, on the API and on the CDN; domain fallback; dead domains.

use std::time::{Duration, Instant};

use jmcomic_client::Error;
use jmcomic_emulator::{Emulator, FaultKind, FaultRule, HostDown, Times};
use jmcomic_model::{Image, JmId};

use crate::support::{builder, client, fast_retry};

fn page() -> Image {
    Image {
        chapter_id: JmId::new(438_516),
        file_name: "00002.webp".into(),
        index: 2,
    }
}

/// What a structural check of the page bytes says (what the pipeline passes the client).
fn check(bytes: &[u8]) -> Result<(), String> {
    jmcomic_image::check_complete(bytes)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

const TRANSIENT_KINDS: &[FaultKind] = &[
    FaultKind::Status(500),
    FaultKind::Status(502),
    FaultKind::Status(503),
    FaultKind::Status(520),
    FaultKind::Status(524),
    FaultKind::Reset,
    FaultKind::Truncated,
    FaultKind::Empty200,
    FaultKind::Garbage,
    FaultKind::Stall,
    FaultKind::Mysql,
    FaultKind::TooManyRequests {
        retry_after_secs: 0,
    },
];

/// Each fault once on the API: the request is retried and succeeds.
#[tokio::test]
async fn api_recovers_from_every_fault_kind() {
    let emu = Emulator::start().unwrap();
    let c = client(&emu);
    // Warm up the session so the fault hits /album itself.
    c.album(JmId::new(10_086)).await.unwrap();
    let mut kinds = TRANSIENT_KINDS.to_vec();
    kinds.push(FaultKind::BadCiphertext);
    for kind in kinds {
        emu.clear_requests();
        let id = emu.add_fault(FaultRule::new("/album", kind.clone()).times(Times::First(1)));
        let album = c.album(JmId::new(438_516)).await;
        assert!(album.is_ok(), "{kind:?}: {:?}", album.err());
        let attempts = emu
            .requests()
            .iter()
            .filter(|r| r.path() == "/album")
            .count();
        // The faulted attempt and exactly one retry.
        assert_eq!(attempts, 2, "{kind:?}");
        emu.remove_fault(id);
    }
}

/// Each fault once on a page: fetched again, bytes identical to what the CDN serves.
#[tokio::test]
async fn cdn_recovers_from_every_fault_kind() {
    let emu = Emulator::start().unwrap();
    let c = client(&emu);
    let want = emu.served_bytes(438_516, "00002.webp").unwrap();
    for kind in TRANSIENT_KINDS {
        let id = emu.add_fault(
            FaultRule::new("/media/photos/438516/00002.webp", kind.clone()).times(Times::First(1)),
        );
        match c.image_bytes_checked(&page(), check).await {
            Ok(got) => assert_eq!(&got[..], &want[..], "{kind:?}"),
            Err(e) => panic!("{kind:?}: {e}"),
        }
        emu.remove_fault(id);
    }
}

/// A fault that never goes away ends in one clear error naming the domain, classified as
/// transient, after the configured number of rounds.
#[tokio::test]
async fn persistent_faults_exhaust_the_retries() {
    let emu = Emulator::start().unwrap();
    let c = builder(&emu).retry(fast_retry(2)).build().unwrap();
    emu.add_fault(FaultRule::new(
        "/media/photos/438516/00002.webp",
        FaultKind::Status(503),
    ));
    let e = c.image_bytes_checked(&page(), check).await.unwrap_err();
    assert!(e.is_transient(), "{e}");
    let Error::AllDomainsFailed {
        attempts, domains, ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(attempts.len(), 3, "1 domain x (retry_times 2 + 1)");
    assert_eq!(domains, &emu.image_domains());
    assert!(e.to_string().contains("503"), "{e}");
}

#[tokio::test]
async fn undecodable_bytes_are_refused_by_the_check() {
    let emu = Emulator::start().unwrap();
    let c = builder(&emu).retry(fast_retry(1)).build().unwrap();
    emu.add_fault(FaultRule::new(
        "/media/photos/438516/00002.webp",
        FaultKind::Garbage,
    ));
    let e = c.image_bytes_checked(&page(), check).await.unwrap_err();
    assert!(e.is_bad_response(), "{e}");
    // Without a check the bytes come through (the pipeline's decoder refuses them later).
    let raw = c.image_bytes(&page()).await.unwrap();
    assert!(jmcomic_image::sniff(&raw).is_none());
}

#[tokio::test]
async fn missing_page_is_not_found_on_every_cdn() {
    let emu = Emulator::builder().cdn_hosts(2).start().unwrap();
    let c = client(&emu);
    let missing = Image {
        chapter_id: JmId::new(438_516),
        file_name: "09999.webp".into(),
        index: 1,
    };
    let e = c.image_bytes(&missing).await.unwrap_err();
    assert!(e.is_not_found(), "{e}");
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let emu = Emulator::start().unwrap();
    let c = builder(&emu).retry(fast_retry(1)).build().unwrap();
    emu.add_fault(
        FaultRule::new(
            "/media/photos/438516/00002.webp",
            FaultKind::TooManyRequests {
                retry_after_secs: 1,
            },
        )
        .times(Times::First(1)),
    );
    let started = Instant::now();
    c.image_bytes_checked(&page(), check).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn dead_first_domain_falls_back_and_sticks() {
    let emu = Emulator::builder().api_hosts(3).start().unwrap();
    emu.set_host_down(0, HostDown::Refuse);
    let c = client(&emu);
    for id in [10_086, 438_516, 421_925] {
        c.album(JmId::new(id)).await.unwrap();
    }
    // Host 0 refuses connections (never logged); everything else went to host 1 only: the
    // client remembered the good domain instead of trying host 0 first each time.
    let hosts: Vec<usize> = emu.requests().iter().map(|r| r.host).collect();
    assert!(hosts.iter().all(|h| *h == 1), "{hosts:?}");
    // A reset domain behaves the same.
    emu.set_host_down(0, HostDown::Up);
    emu.set_host_down(1, HostDown::Reset);
    emu.clear_requests();
    c.album(JmId::new(10_086)).await.unwrap();
    assert!(emu.requests().iter().all(|r| r.host == 2 || r.host == 0));
}

#[tokio::test]
async fn image_domains_fall_back() {
    let emu = Emulator::builder().cdn_hosts(2).start().unwrap();
    // Host indexes: API hosts first (1), then CDN hosts.
    emu.set_host_down(1, HostDown::Refuse);
    let c = client(&emu);
    let got = c.image_bytes_checked(&page(), check).await.unwrap();
    assert_eq!(
        &got[..],
        &emu.served_bytes(438_516, "00002.webp").unwrap()[..]
    );
}

#[tokio::test]
async fn all_domains_dead_names_them() {
    let emu = Emulator::builder().api_hosts(2).start().unwrap();
    emu.set_host_down(0, HostDown::Refuse);
    emu.set_host_down(1, HostDown::Refuse);
    let c = builder(&emu).retry(fast_retry(1)).build().unwrap();
    let e = c.album(JmId::new(10_086)).await.unwrap_err();
    let text = e.to_string();
    for d in emu.api_domains() {
        assert!(text.contains(&d), "{text}");
    }
    assert!(e.is_transient());
    assert!(matches!(&e, Error::AllDomainsFailed { attempts, .. } if attempts.len() == 4));
}

#[tokio::test]
async fn stalled_body_times_out_and_is_retried() {
    let emu = Emulator::start().unwrap();
    let c = client(&emu);
    emu.add_fault(
        FaultRule::new("/media/photos/438516/00002.webp", FaultKind::Stall).times(Times::First(1)),
    );
    let started = Instant::now();
    c.image_bytes_checked(&page(), check).await.unwrap();
    // read_timeout is 500 ms in these tests.
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let emu = Emulator::start().unwrap();
    let c = builder(&emu)
        .max_image_body(1000)
        .retry(fast_retry(0))
        .build()
        .unwrap();
    let e = c.image_bytes(&page()).await.unwrap_err();
    assert!(e.to_string().contains("larger than 1000 bytes"), "{e}");
}

#[tokio::test]
async fn api_latency_fault_is_only_slower() {
    let emu = Emulator::start().unwrap();
    emu.add_fault(FaultRule::new(
        "/album",
        FaultKind::Latency(Duration::from_millis(200)),
    ));
    let started = Instant::now();
    client(&emu).album(JmId::new(10_086)).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(200));
}
