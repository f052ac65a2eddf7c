//! The download archive in the pipeline: pages recorded there are never fetched again, even
//! after their folder moved; exports are recorded; `forget` makes pages download again.

use jmcomic::archive::DownloadArchive;
use jmcomic::plugin::Feature;
use jmcomic::{JmId, PageOutcome};
use jmcomic_emulator::Emulator;

use crate::support::{downloader, options};

fn with_archive(
    emu: &Emulator,
    base: &std::path::Path,
    archive: &std::path::Path,
) -> jmcomic::Options {
    options(
        emu,
        base,
        "Bd / {Aid} / {Pindex}",
        &format!(
            "download:\n  archive: {}\n",
            serde_json::to_string(&archive.display().to_string()).unwrap()
        ),
    )
}

fn page_requests(emu: &Emulator) -> usize {
    emu.requests()
        .iter()
        .filter(|r| r.path().starts_with("/media/photos/"))
        .count()
}

#[tokio::test]
async fn recorded_pages_are_not_fetched_again_after_their_folder_moved() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("library");
    let archive_path = tmp.path().join("jm.archive");
    let o = with_archive(&emu, &base, &archive_path);
    let dl = downloader(o.clone())
        .extra(Feature::export_pdf())
        .build()
        .unwrap();
    let first = dl.album(JmId::new(220_979)).await.unwrap();
    assert_eq!(first.pages_written(), 13);
    assert_eq!(first.export_paths("pdf").len(), 1);

    // The archive knows the album, its pages and its export.
    let archive = DownloadArchive::open(&archive_path).unwrap();
    let albums = archive.albums().unwrap();
    assert_eq!(albums.len(), 1);
    assert_eq!(albums[0].album, JmId::new(220_979));
    assert_eq!(albums[0].pages, 13);
    assert_eq!(albums[0].chapters, 3);
    assert_eq!(albums[0].exports, 1);

    // The user moves the album's folder away (to another disk, a reader's library...).
    std::fs::rename(base.join("220979"), tmp.path().join("moved")).unwrap();
    emu.clear_requests();
    let dl = downloader(o.clone())
        .extra(Feature::export_pdf())
        .build()
        .unwrap();
    let again = dl.album(JmId::new(220_979)).await.unwrap();
    assert!(again.is_complete(), "{:?}", again.failures());
    assert_eq!(again.pages_archived(), 13);
    assert_eq!(again.pages_written(), 0);
    assert_eq!(page_requests(&emu), 0, "no page was requested");
    assert!(!base.join("220979").exists(), "nothing downloaded again");
    // Nothing to export again either: the pages are elsewhere.
    assert!(again.outputs.is_empty());
    let json: serde_json::Value = serde_json::from_str(&again.to_json()).unwrap();
    assert_eq!(json["pages_archived"], 13);
    assert_eq!(json["chapters"][0]["pages"][0]["status"], "archived");

    // Forgetting a chapter makes its pages download again, and only those.
    let forgotten = archive.forget(JmId::new(220_980)).unwrap();
    assert_eq!(forgotten.pages, 5);
    emu.clear_requests();
    let third = downloader(o)
        .build()
        .unwrap()
        .album(JmId::new(220_979))
        .await
        .unwrap();
    assert_eq!(third.pages_written(), 5);
    assert_eq!(third.pages_archived(), 8);
    assert_eq!(page_requests(&emu), 5);
    for c in &third.chapters {
        let written = c.id == JmId::new(220_980);
        assert!(
            c.pages
                .iter()
                .all(|p| matches!(p.outcome, PageOutcome::Written { .. }) == written)
        );
    }
}

/// Two downloaders (two programs' worth of handles) write one archive at once.
#[tokio::test]
async fn concurrent_downloads_share_one_archive() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let archive_path = tmp.path().join("shared.archive");
    let a = downloader(with_archive(&emu, &tmp.path().join("a"), &archive_path))
        .build()
        .unwrap();
    let b = downloader(with_archive(&emu, &tmp.path().join("b"), &archive_path))
        .build()
        .unwrap();
    let (ra, rb) = tokio::join!(
        a.batch([
            jmcomic::Target::album(JmId::new(220_979)),
            jmcomic::Target::album(JmId::new(268_849)),
        ]),
        b.batch([
            jmcomic::Target::album(JmId::new(421_925)),
            jmcomic::Target::album(JmId::new(438_516)),
        ])
    );
    assert!(ra.all_succeeded() && rb.all_succeeded());
    let albums = DownloadArchive::open(&archive_path)
        .unwrap()
        .albums()
        .unwrap();
    let ids: Vec<u64> = albums.iter().map(|s| s.album.get()).collect();
    assert_eq!(ids, [220_979, 268_849, 421_925, 438_516]);
    let pages: u64 = albums.iter().map(|s| s.pages).sum();
    assert_eq!(pages, 13 + 13 + 15 + 8);
}

#[tokio::test]
async fn an_archive_that_is_not_one_is_refused_before_anything_is_downloaded() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let bogus = tmp.path().join("notes.txt");
    std::fs::write(&bogus, "my notes, not a database").unwrap();
    let err = downloader(with_archive(&emu, &tmp.path().join("b"), &bogus))
        .build()
        .unwrap_err();
    assert!(matches!(err, jmcomic::Error::Archive(_)), "{err:?}");
    assert!(err.to_string().contains("notes.txt"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&bogus).unwrap(),
        "my notes, not a database"
    );
}
