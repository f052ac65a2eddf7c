//! The fault matrix: every fault the site can throw at a download, with the outcome that must
//! follow (every page correct, or the failure reported precisely).

use std::time::Duration;

use jmcomic::{JmId, PageOutcome};
use jmcomic_emulator::{Emulator, FaultKind, FaultRule, HostDown, Times};

use crate::support::{check_page, downloader, options};

const PAGE: &str = "/media/photos/438516/00002.webp";

/// A fault that never heals on one page: that page fails with a reason that says what
/// happened; every other page is correct; nothing is left under the failed page's name.
#[tokio::test]
async fn persistent_cdn_faults_fail_one_page_precisely() {
    let cases: &[(FaultKind, &[&str])] = &[
        (FaultKind::Status(503), &["503"]),
        (FaultKind::Status(520), &["520"]),
        (FaultKind::Reset, &["request"]),
        (FaultKind::Truncated, &["request", "body"]),
        (FaultKind::Empty200, &["empty body"]),
        (FaultKind::Garbage, &["format"]),
        (
            FaultKind::TooManyRequests {
                retry_after_secs: 0,
            },
            &["429"],
        ),
        (FaultKind::Stall, &["timed out"]),
    ];
    let emu = Emulator::start().unwrap();
    for (kind, words) in cases {
        emu.clear_faults();
        emu.add_fault(FaultRule::new(PAGE, kind.clone()));
        let tmp = tempfile::tempdir().unwrap();
        let report = downloader(options(&emu, tmp.path(), "Bd_Aid", ""))
            .check_exception(false)
            .build()
            .unwrap()
            .album(JmId::new(438_516))
            .await
            .unwrap();
        let failures = report.failures();
        assert_eq!(failures.len(), 1, "{kind:?}: {failures:?}");
        assert_eq!(failures[0].what, "page 438516/00002.webp");
        let reason = failures[0].reason.to_lowercase();
        assert!(
            words.iter().all(|w| reason.contains(w)) && reason.contains("00002.webp"),
            "{kind:?}: {reason}"
        );
        for page in &report.chapters[0].pages {
            match &page.outcome {
                PageOutcome::Failed { .. } => assert!(!page.path.exists()),
                _ => {
                    check_page(&emu, 438_516, &page.file_name, &page.path);
                }
            }
        }
    }
}

/// The same faults, once each on every page: everything heals.
#[tokio::test]
async fn every_transient_fault_heals() {
    let emu = Emulator::start().unwrap();
    for kind in [
        FaultKind::Status(500),
        FaultKind::Reset,
        FaultKind::Truncated,
        FaultKind::Empty200,
        FaultKind::Garbage,
        FaultKind::TooManyRequests {
            retry_after_secs: 1,
        },
        FaultKind::Stall,
        FaultKind::Latency(Duration::from_millis(50)),
    ] {
        emu.clear_faults();
        for i in 1..=8 {
            emu.add_fault(
                FaultRule::new(format!("/media/photos/438516/0000{i}"), kind.clone())
                    .times(Times::First(1)),
            );
        }
        let tmp = tempfile::tempdir().unwrap();
        let report = downloader(options(&emu, tmp.path(), "Bd_Aid", ""))
            .build()
            .unwrap()
            .album(JmId::new(438_516))
            .await
            .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        for page in &report.chapters[0].pages {
            check_page(&emu, 438_516, &page.file_name, &page.path);
        }
    }
}

#[tokio::test]
async fn api_faults_heal_or_fail_precisely() {
    let emu = Emulator::start().unwrap();
    // Once: healed.
    for (prefix, kind) in [
        ("/album", FaultKind::Mysql),
        ("/album", FaultKind::BadCiphertext),
        ("/chapter?", FaultKind::Mysql),
        ("/chapter?", FaultKind::BadCiphertext),
        ("/chapter_view_template", FaultKind::Status(502)),
        ("/setting", FaultKind::Reset),
    ] {
        emu.clear_faults();
        emu.add_fault(FaultRule::new(prefix, kind.clone()).times(Times::First(1)));
        let tmp = tempfile::tempdir().unwrap();
        let report = downloader(options(&emu, tmp.path(), "Bd_Aid", ""))
            .build()
            .unwrap()
            .album(JmId::new(1_180_203))
            .await
            .unwrap_or_else(|e| panic!("{prefix} {kind:?}: {e}"));
        assert!(report.is_complete());
    }
    // Always: a precise error.
    emu.clear_faults();
    emu.add_fault(FaultRule::new("/album", FaultKind::Mysql));
    let tmp = tempfile::tempdir().unwrap();
    let err = downloader(options(&emu, tmp.path(), "Bd_Aid", ""))
        .build()
        .unwrap()
        .album(JmId::new(1_180_203))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("mysql"), "{err}");
    emu.clear_faults();
    emu.add_fault(FaultRule::new("/chapter?", FaultKind::BadCiphertext));
    let report = downloader(options(&emu, tmp.path(), "Bd_Aid", ""))
        .check_exception(false)
        .build()
        .unwrap()
        .album(JmId::new(1_180_203))
        .await
        .unwrap();
    let failures = report.failures();
    assert_eq!(failures.len(), 1);
    assert!(
        failures[0].what == "chapter 1180203" && failures[0].reason.contains("decrypt"),
        "{failures:?}"
    );
}

#[tokio::test]
async fn dead_first_domains_are_skipped() {
    let emu = Emulator::builder()
        .api_hosts(2)
        .cdn_hosts(2)
        .start()
        .unwrap();
    emu.set_host_down(0, HostDown::Refuse); // first API domain
    emu.set_host_down(2, HostDown::Reset); // first image domain
    let tmp = tempfile::tempdir().unwrap();
    let report = downloader(options(&emu, tmp.path(), "Bd_Aid_Pindex", ""))
        .build()
        .unwrap()
        .album(JmId::new(268_849))
        .await
        .unwrap();
    for c in &report.chapters {
        for p in &c.pages {
            check_page(&emu, c.id.get(), &p.file_name, &p.path);
        }
    }
}

#[tokio::test]
async fn all_domains_dead_is_one_clear_error() {
    let emu = Emulator::builder().api_hosts(2).start().unwrap();
    emu.set_host_down(0, HostDown::Refuse);
    emu.set_host_down(1, HostDown::Refuse);
    let tmp = tempfile::tempdir().unwrap();
    let err = downloader(options(&emu, tmp.path(), "Bd_Aid", ""))
        .build()
        .unwrap()
        .album(JmId::new(10_086))
        .await
        .unwrap_err();
    let text = err.to_string();
    for d in emu.api_domains() {
        assert!(text.contains(&d), "{text}");
    }
    assert!(text.contains("times on all 2 domains"), "{text}");
}

#[tokio::test]
async fn unwritable_base_dir_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let emu = Emulator::start().unwrap();
    let err = downloader(options(&emu, &file.join("sub"), "Bd_Aid", ""))
        .build()
        .unwrap_err();
    assert!(err.is_usage(), "{err}");
    assert!(
        err.to_string().contains("base_dir") && err.to_string().contains("a-file"),
        "{err}"
    );
}
