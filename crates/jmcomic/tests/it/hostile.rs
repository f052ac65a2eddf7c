//! Hostile server data: titles and names built to escape `base_dir` or break terminals,
//! absurd counts, huge pages. Never a panic, never a path outside `base_dir`, every problem
//! reported.

use std::path::Component;

use jmcomic::{JmId, PageOutcome, Target};
use jmcomic_emulator::{Catalog, Emulator, FaultKind, FaultRule, HostileIds};

use crate::support::{downloader, options};

#[tokio::test]
async fn hostile_titles_and_names_stay_inside_base_dir() {
    let emu = Emulator::builder()
        .catalog(Catalog::hostile())
        .start()
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("lib");
    let opts = options(
        &emu,
        &base,
        "Bd / {Atitle} / {Pindex}-{Ptitle} / {Aauthor}",
        "",
    );
    let dl = downloader(opts).check_exception(false).build().unwrap();
    let targets: Vec<Target> = emu
        .catalog()
        .albums
        .iter()
        .map(|a| Target::album(JmId::new(a.id)))
        .collect();
    let batch = dl.batch(targets).await;
    let mut pages = 0;
    for report in batch.reports() {
        for chapter in &report.chapters {
            let dir = chapter.dir.as_ref().unwrap();
            for page in &chapter.pages {
                let rel = page.path.strip_prefix(&base).unwrap_or_else(|_| {
                    panic!("{} escapes {}", page.path.display(), base.display())
                });
                for part in rel.components() {
                    let Component::Normal(name) = part else {
                        panic!("{}: component {part:?}", page.path.display())
                    };
                    let name = name.to_str().unwrap();
                    assert!(name.len() <= jmcomic::naming::MAX_COMPONENT_BYTES, "{name}");
                    assert!(!name.chars().any(char::is_control), "{name:?}");
                    assert!(!name.ends_with('.') && !name.ends_with(' '), "{name:?}");
                    let stem = name.split('.').next().unwrap().to_ascii_uppercase();
                    assert!(!["CON", "NUL", "COM1"].contains(&stem.as_str()), "{name}");
                }
                assert!(page.path.starts_with(dir));
                if matches!(page.outcome, PageOutcome::Written { .. }) {
                    assert!(page.path.exists());
                    pages += 1;
                }
            }
        }
    }
    assert!(pages > 2_000, "{pages}");
    // Failures are exactly: the listed-but-hostile page names (each reported, not dropped),
    // and pages of albums whose titles come out the same once made safe (`/`, `\`, `..`,
    // empty ... all become `_`): with this rule they would share files, so the later ones
    // fail saying so instead of overwriting (or being taken for) the earlier album's pages.
    let failures = batch.failures();
    let (names, clashes): (Vec<_>, Vec<_>) = failures
        .iter()
        .partition(|f| f.reason.contains("not a plain file name"));
    assert_eq!(
        names.len(),
        HostileIds::HOSTILE_IMAGE_NAMES.len(),
        "{failures:?}"
    );
    for f in &names {
        assert!(
            f.what
                .starts_with(&format!("page {}/", HostileIds::HOSTILE_IMAGES)),
            "{f:?}"
        );
    }
    assert!(
        !clashes.is_empty(),
        "the hostile titles do collide under this rule"
    );
    for f in &clashes {
        assert!(
            f.reason.contains("the dir_rule gives both the same name"),
            "{f:?}"
        );
    }
    // No two pages of the run were written to one file.
    let mut written = std::collections::HashSet::new();
    for report in batch.reports() {
        for page in report.chapters.iter().flat_map(|c| &c.pages) {
            if matches!(page.outcome, PageOutcome::Written { .. }) {
                assert!(written.insert(page.path.clone()), "{}", page.path.display());
            }
        }
    }
    // Nothing anywhere outside base_dir: the temporary dir holds only `lib`.
    let entries: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().flatten().collect();
    assert_eq!(entries.len(), 1);
}

#[tokio::test]
async fn absurd_counts_and_many_pages() {
    let emu = Emulator::builder()
        .catalog(Catalog::hostile())
        .start()
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dl = downloader(options(&emu, tmp.path(), "Bd_Aid", ""))
        .build()
        .unwrap();
    let album = dl
        .client()
        .album(JmId::new(HostileIds::ABSURD_COUNTS))
        .await
        .unwrap();
    assert_eq!(
        album.page_count, None,
        "999999999999 does not fit: unknown, not wrapped"
    );
    assert_eq!(album.comment_count, 0);
    let report = dl
        .album(JmId::new(HostileIds::ABSURD_COUNTS))
        .await
        .unwrap();
    assert_eq!(report.pages_written(), 2);
    let report = dl.album(JmId::new(HostileIds::MANY_PAGES)).await.unwrap();
    assert_eq!(report.pages_written(), HostileIds::MANY_PAGES_COUNT);
}

#[tokio::test]
async fn huge_images_are_refused_without_allocating() {
    let emu = Emulator::start().unwrap();
    // A header claiming 100000 x 100000 pixels (30 GB of RGB), and a 1 GB body.
    emu.add_fault(FaultRule::new(
        "/media/photos/438516/00001.webp",
        FaultKind::HugeDimensions,
    ));
    emu.add_fault(FaultRule::new(
        "/media/photos/438516/00002.webp",
        FaultKind::HugeBody { bytes: 1 << 30 },
    ));
    let tmp = tempfile::tempdir().unwrap();
    let report = downloader(options(&emu, tmp.path(), "Bd_Aid", ""))
        .check_exception(false)
        .build()
        .unwrap()
        .album(JmId::new(438_516))
        .await
        .unwrap();
    let failures = report.failures();
    assert_eq!(failures.len(), 2, "{failures:?}");
    let by_page = |name: &str| {
        failures
            .iter()
            .find(|f| f.what.ends_with(name))
            .map(|f| f.reason.clone())
            .unwrap()
    };
    let dims = by_page("00001.webp");
    assert!(dims.contains("100000"), "{dims}");
    let body = by_page("00002.webp");
    assert!(body.contains("larger than"), "{body}");
    assert_eq!(report.pages_written(), 6);
}

#[tokio::test]
async fn tls_is_verified_unless_the_option_file_turns_it_off() {
    let emu = Emulator::builder().tls(true).start().unwrap();
    let tmp = tempfile::tempdir().unwrap();

    // Default options: the emulator's self-signed certificate is refused, nothing is written.
    let dl = downloader(options(&emu, tmp.path(), "Bd_Aid", ""))
        .build()
        .unwrap();
    let e = dl.album(JmId::new(438_516)).await.unwrap_err();
    assert!(e.to_string().contains("TLS certificate"), "{e}");
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);

    // `client.verify_tls: false` (what a user of a self-signed mirror writes): all pages.
    let yaml = format!(
        "client:\n  verify_tls: false\n  domain: {}\n  image_domain: {}\n\
         dir_rule:\n  base_dir: {}\n  rule: Bd_Aid\n",
        serde_json::to_string(&emu.api_domains()).unwrap(),
        serde_json::to_string(&emu.image_domains()).unwrap(),
        serde_json::to_string(&tmp.path().display().to_string()).unwrap(),
    );
    let opts = jmcomic::Options::from_yaml_str(&yaml).unwrap();
    let dl = downloader(opts).build().unwrap();
    let report = dl.album(JmId::new(438_516)).await.unwrap();
    assert!(report.is_complete());
    assert_eq!(report.pages_written(), 8);
}

#[tokio::test]
async fn the_placeholder_album_is_never_saved_as_the_album_asked_for() {
    let emu = Emulator::start().unwrap();
    emu.add_fault("no-cookies@/setting".parse().unwrap());
    let tmp = tempfile::tempdir().unwrap();
    let dl = downloader(options(&emu, tmp.path(), "Bd / {Atitle}", ""))
        .build()
        .unwrap();
    let e = dl.album(JmId::new(421_925)).await.unwrap_err();
    assert!(e.to_string().contains("placeholder"), "{e}");
    // Nothing written: no directory named after the placeholder album, no pages.
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    assert!(
        !emu.requests()
            .iter()
            .any(|r| r.path().starts_with("/media/photos/")),
        "no page of the placeholder was fetched"
    );
}
