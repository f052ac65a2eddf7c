//! The download pipeline end to end against the emulator.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use jmcomic::{ChapterReport, Control, FilterHooks, Hooks, JmId, PageOutcome, Target};
use jmcomic_emulator::{Emulator, FaultKind, FaultRule, PageKind, Times};

use crate::support::{Match, check_page, downloader, files_under, options};

/// Every album of the catalog, with an option file that only sets domains and dir_rule:
/// every page on disk and correct; lossless pages exact; GIFs and unscrambled pages as
/// served; names safe and inside base_dir.
#[tokio::test]
async fn whole_catalog_is_correct() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let opts = options(
        &emu,
        tmp.path(),
        "Bd / {Aid}-{Atitle} / {Pindex}-{Pname}",
        "",
    );
    let dl = downloader(opts).build().unwrap();
    let targets: Vec<Target> = emu
        .catalog()
        .albums
        .iter()
        .map(|a| Target::album(JmId::new(a.id)))
        .collect();
    let batch = dl.batch(targets.clone()).await;
    assert!(batch.all_succeeded(), "{:?}", batch.failures());
    let mut counts = std::collections::HashMap::new();
    let mut pages = 0;
    for report in batch.reports() {
        for chapter in &report.chapters {
            for page in &chapter.pages {
                assert!(
                    matches!(page.outcome, PageOutcome::Written { .. }),
                    "{page:?}"
                );
                assert!(page.path.starts_with(tmp.path()), "{}", page.path.display());
                let m = check_page(&emu, chapter.id.get(), &page.file_name, &page.path);
                *counts.entry(std::mem::discriminant(&m)).or_insert(0) += 1;
                pages += 1;
            }
        }
    }
    let catalog_pages: usize = emu
        .catalog()
        .albums
        .iter()
        .flat_map(|a| &a.chapters)
        .map(|c| c.pages.len())
        .sum();
    assert_eq!(pages, catalog_pages);
    // With the default `.webp` output, descrambled pages are re-encoded (lossy) and pages
    // that need no descrambling are written exactly as served. (Exactness of lossless pages
    // is checked with `.png` output in `conversions_and_decode_off`.)
    assert!(counts.contains_key(&std::mem::discriminant(&Match::SameBytes)));
    assert!(counts.contains_key(&std::mem::discriminant(&Match::Lossy(0.0, 0.0))));
    // Nothing but pages on disk: no temporary files, no stray names (and one page record
    // per chapter folder).
    let files = files_under(tmp.path());
    assert_eq!(files.len(), pages);
    for f in &files {
        let record = f.parent().unwrap().join(jmcomic::storage::PAGE_RECORD);
        assert!(record.is_file(), "{}", record.display());
    }
    for f in &files {
        let name = f.file_name().unwrap().to_str().unwrap();
        assert!(!name.starts_with('.'), "{name}");
        for part in f.strip_prefix(tmp.path()).unwrap().components() {
            assert!(part.as_os_str().len() <= jmcomic::naming::MAX_COMPONENT_BYTES);
        }
    }

    // A re-run reuses everything: no page is fetched again.
    emu.clear_requests();
    let batch = dl.batch(targets).await;
    assert!(batch.all_succeeded());
    let reused: usize = batch
        .reports()
        .map(jmcomic::DownloadReport::pages_reused)
        .sum();
    assert_eq!(reused, pages);
    assert!(
        emu.requests()
            .iter()
            .all(|r| !r.path().starts_with("/media/"))
    );
}

#[tokio::test]
async fn conversions_and_decode_off() {
    let emu = Emulator::start().unwrap();
    for (suffix, extra) in [
        (".jpg", "download:\n  image:\n    suffix: jpg\n"),
        (".png", "download:\n  image:\n    suffix: .PNG\n"),
        ("", "download:\n  image:\n    encoder: pillow\n"),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let dl = downloader(options(&emu, tmp.path(), "Bd_Aid_Pindex", extra))
            .build()
            .unwrap();
        let report = dl.album(JmId::new(220_979)).await.unwrap();
        for chapter in &report.chapters {
            for page in &chapter.pages {
                let original = &page.file_name[page.file_name.rfind('.').unwrap()..];
                let want = if page.file_name.ends_with(".gif") || suffix.is_empty() {
                    original
                } else {
                    suffix
                };
                assert!(
                    page.path.to_str().unwrap().ends_with(want),
                    "{}",
                    page.path.display()
                );
                let m = check_page(&emu, chapter.id.get(), &page.file_name, &page.path);
                if suffix == ".png"
                    && emu.strip_count_used(chapter.id.get(), &page.file_name) != Some(0)
                {
                    // Lossless output of a lossless page is exact.
                    let kind = emu
                        .catalog()
                        .chapter(chapter.id.get())
                        .unwrap()
                        .0
                        .pages
                        .iter()
                        .find(|p| p.file_name == page.file_name)
                        .unwrap()
                        .kind;
                    if kind == PageKind::LosslessWebp {
                        assert_eq!(m, Match::Exact, "{}", page.path.display());
                    }
                }
            }
        }
    }
    // decode: false keeps the bytes exactly as served (scrambled).
    let tmp = tempfile::tempdir().unwrap();
    let dl = downloader(options(
        &emu,
        tmp.path(),
        "Bd_Aid_Pindex",
        "download:\n  image:\n    decode: false\n",
    ))
    .build()
    .unwrap();
    let report = dl.album(JmId::new(438_516)).await.unwrap();
    for page in &report.chapters[0].pages {
        assert_eq!(
            std::fs::read(&page.path).unwrap(),
            emu.served_bytes(438_516, &page.file_name).unwrap()
        );
    }
}

#[tokio::test]
async fn batch_with_a_missing_id_completes_the_others() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dl = downloader(options(&emu, tmp.path(), "Bd_Aid_Pindex", ""))
        .build()
        .unwrap();
    let targets = vec![
        Target::album(JmId::new(10_086)),
        Target::album(JmId::new(530_595)),
        Target::chapter(JmId::new(147_650)),
        Target::album(JmId::new(10_086)),
    ];
    let batch = dl.batch(targets).await;
    // Duplicates dropped, order kept.
    let order: Vec<u64> = batch.items.iter().map(|(t, _)| t.id.get()).collect();
    assert_eq!(order, [10_086, 530_595, 147_650]);
    assert!(!batch.all_succeeded());
    let errors: Vec<_> = batch.errors().collect();
    assert_eq!(errors.len(), 1);
    assert!(errors[0].1.is_not_found());
    let failures = batch.failures();
    assert_eq!(failures.len(), 1);
    assert!(failures[0].what.contains("530595") && failures[0].reason.contains("not found"));
    assert_eq!(batch.reports().count(), 2);
    assert!(batch.reports().all(jmcomic::DownloadReport::is_complete));
}

#[tokio::test]
async fn chapter_download_lands_where_the_album_download_puts_it() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let opts = options(&emu, tmp.path(), "Bd / {Aid} / {Pindex} {Pname}", "");
    let dl = downloader(opts).build().unwrap();
    let chapter = dl.chapter(JmId::new(268_850)).await.unwrap();
    let album = dl.album(JmId::new(268_849)).await.unwrap();
    let dir_from_chapter = chapter.chapters[0].dir.clone().unwrap();
    let dir_from_album = album
        .chapters
        .iter()
        .find(|c| c.id.get() == 268_850)
        .unwrap()
        .dir
        .clone()
        .unwrap();
    assert_eq!(dir_from_chapter, dir_from_album);
    assert_eq!(chapter.chapters[0].index, 2);
    // The album download reused the chapter's pages.
    assert_eq!(album.pages_reused(), chapter.pages_written());
}

#[tokio::test]
async fn report_contents_and_json() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dl = downloader(options(&emu, tmp.path(), "Bd_Aid_Pindex", ""))
        .build()
        .unwrap();
    let report = dl.album(JmId::new(421_925)).await.unwrap();
    let spec = emu.catalog().album(421_925).unwrap();
    assert_eq!(report.album_id, Some(JmId::new(421_925)));
    assert_eq!(report.chapters.len(), spec.chapters.len());
    let total: usize = spec.chapters.iter().map(|c| c.pages.len()).sum();
    assert_eq!(report.pages_written(), total);
    assert_eq!(report.page_paths().len(), total);
    assert!(report.bytes_downloaded() > 0 && report.bytes_written() > 0);
    assert!(report.duration.as_nanos() > 0);
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["complete"], true);
    assert_eq!(json["pages_written"], total);
    assert_eq!(json["chapters"][0]["pages"][0]["status"], "written");
    assert_eq!(json["chapters"][0]["scramble_source"], "site");
    assert_eq!(json["target"]["kind"], "album");
}

#[tokio::test]
async fn failed_pages_are_reported_and_check_exception_turns_them_into_an_error() {
    let emu = Emulator::start().unwrap();
    emu.add_fault(FaultRule::new(
        "/media/photos/438516/00003",
        FaultKind::Status(503),
    ));
    let tmp = tempfile::tempdir().unwrap();
    let opts = options(&emu, tmp.path(), "Bd_Aid_Pindex", "");
    let err = downloader(opts.clone())
        .build()
        .unwrap()
        .album(JmId::new(438_516))
        .await
        .unwrap_err();
    let report = err.report().expect("partial failure carries the report");
    assert_eq!(report.pages_failed(), 1);
    assert_eq!(report.pages_written(), 7);
    let text = err.to_string();
    assert!(
        text.contains("1 page(s)") && text.contains("438516/00003.gif") && text.contains("503"),
        "{text}"
    );
    // Nothing is left under the failed page's name.
    let failed = report.chapters[0]
        .pages
        .iter()
        .find(|p| p.file_name.starts_with("00003"))
        .unwrap();
    assert!(!failed.path.exists());
    // Without check_exception the report comes back as a value.
    let report = downloader(opts)
        .check_exception(false)
        .build()
        .unwrap()
        .album(JmId::new(438_516))
        .await
        .unwrap();
    assert!(!report.is_complete());
    assert_eq!(report.failures().len(), 1);
}

#[tokio::test]
async fn transient_faults_heal_and_truncated_files_are_replaced() {
    let emu = Emulator::start().unwrap();
    for (prefix, kind) in [
        ("/media/photos/421925/00001", FaultKind::Truncated),
        ("/media/photos/421925/00002", FaultKind::Reset),
        ("/media/photos/421925/00003", FaultKind::Garbage),
        ("/media/photos/421925/00004", FaultKind::Empty200),
        ("/chapter", FaultKind::Mysql),
        ("/album", FaultKind::Status(502)),
    ] {
        emu.add_fault(FaultRule::new(prefix, kind).times(Times::First(1)));
    }
    let tmp = tempfile::tempdir().unwrap();
    let opts = options(&emu, tmp.path(), "Bd_Aid_Pindex", "");
    let dl = downloader(opts).build().unwrap();
    let report = dl.album(JmId::new(421_925)).await.unwrap();
    for c in &report.chapters {
        for p in &c.pages {
            check_page(&emu, c.id.get(), &p.file_name, &p.path);
        }
    }
    // A truncated file from another tool (the Python package writes in place) is not taken
    // as done: it is downloaded again.
    let victim = report.chapters[0].pages[0].path.clone();
    let full = std::fs::read(&victim).unwrap();
    std::fs::write(&victim, &full[..full.len() / 2]).unwrap();
    let again = dl.album(JmId::new(421_925)).await.unwrap();
    assert_eq!(again.pages_written(), 1);
    assert_eq!(std::fs::read(&victim).unwrap(), full);
}

#[derive(Default)]
struct Recorder {
    calls: Mutex<Vec<String>>,
    images: AtomicUsize,
}

impl Hooks for Recorder {
    fn before_album(&self, album: &jmcomic::model::Album) -> Control {
        self.calls
            .lock()
            .unwrap()
            .push(format!("before_album {}", album.id));
        Control::Continue
    }
    fn after_album(&self, album: &jmcomic::model::Album, report: &jmcomic::DownloadReport) {
        self.calls.lock().unwrap().push(format!(
            "after_album {} {}",
            album.id,
            report.chapters.len()
        ));
    }
    fn before_chapter(
        &self,
        _: &jmcomic::model::Album,
        chapter: &jmcomic::model::Chapter,
    ) -> Control {
        self.calls
            .lock()
            .unwrap()
            .push(format!("before_chapter {}", chapter.id));
        Control::Continue
    }
    fn after_image(
        &self,
        _: &jmcomic::model::Chapter,
        _: &jmcomic::model::Image,
        path: &std::path::Path,
        outcome: &PageOutcome,
    ) {
        if matches!(outcome, PageOutcome::Written { .. }) {
            assert!(path.exists(), "after_image runs once the page is on disk");
        }
        self.images.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn hooks_observe_filter_and_stop() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let opts = options(&emu, tmp.path(), "Bd_Aid_Pindex", "");
    let recorder = Arc::new(Recorder::default());
    let filter = FilterHooks::new()
        .chapters(|_, c| c.id.get() != 220_980)
        .images(|_, i| !i.is_gif());
    let report = downloader(opts.clone())
        .hook(recorder.clone())
        .hook(filter)
        .build()
        .unwrap()
        .album(JmId::new(220_979))
        .await
        .unwrap();
    let calls = recorder.calls.lock().unwrap().clone();
    assert_eq!(calls.first().unwrap(), "before_album 220979");
    assert_eq!(calls.last().unwrap(), "after_album 220979 3");
    assert_eq!(
        calls
            .iter()
            .filter(|c| c.starts_with("before_chapter"))
            .count(),
        3
    );
    let skipped = report
        .chapters
        .iter()
        .find(|c| c.id.get() == 220_980)
        .unwrap();
    assert!(skipped.skipped && skipped.pages.is_empty());
    let gif = report.chapters[2]
        .pages
        .iter()
        .find(|p| p.file_name.ends_with(".gif"))
        .unwrap();
    assert_eq!(gif.outcome, PageOutcome::Skipped);
    assert!(!gif.path.exists());
    assert!(report.is_complete(), "skips are not failures");
    // 4 + 4 pages seen by after_image (the skipped chapter's pages are never looked at).
    assert_eq!(recorder.images.load(Ordering::SeqCst), 8);

    // Stop: nothing new starts.
    struct StopAtFirstPage;
    impl Hooks for StopAtFirstPage {
        fn before_image(
            &self,
            _: &jmcomic::model::Chapter,
            _: &jmcomic::model::Image,
            _: &std::path::Path,
        ) -> Control {
            Control::Stop
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    let report = downloader(options(&emu, tmp.path(), "Bd_Aid_Pindex", ""))
        .hook(StopAtFirstPage)
        .check_exception(false)
        .build()
        .unwrap()
        .album(JmId::new(421_925))
        .await
        .unwrap();
    assert!(report.stopped);
    assert_eq!(report.pages_written(), 0);
}

#[test]
fn blocking_and_async_give_the_same_result() {
    let emu = Emulator::start().unwrap();
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let opts_a = options(&emu, a.path(), "Bd_Aid_Pindex", "");
    let opts_b = options(&emu, b.path(), "Bd_Aid_Pindex", "");
    // Blocking, from plain (non-async) code.
    let blocking = jmcomic::blocking::download_album("JM220979", &opts_a).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let asynchronous = rt
        .block_on(jmcomic::download_album(220_979u64, &opts_b))
        .unwrap();
    let rel = |r: &jmcomic::DownloadReport,
               base: &std::path::Path|
     -> Vec<(std::path::PathBuf, Vec<u8>)> {
        r.page_paths()
            .into_iter()
            .map(|p| {
                (
                    p.strip_prefix(base).unwrap().to_owned(),
                    std::fs::read(&p).unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(rel(&blocking, a.path()), rel(&asynchronous, b.path()));
    // The blocking API refuses to run inside a runtime instead of panicking.
    let err = rt
        .block_on(async { jmcomic::blocking::download_album(1u64, &opts_a) })
        .unwrap_err();
    assert!(err.to_string().contains("async"), "{err}");
    // Ids are parsed with a clear error.
    let err = jmcomic::blocking::download_album("abc", &opts_a).unwrap_err();
    assert!(err.is_usage() && err.to_string().contains("abc"), "{err}");
}

/// `threading.image` pages per chapter (the Python meaning) and `image × album` pages in
/// flight overall. Every page request takes 300 ms, so requests arriving within 250 ms of
/// each other were all in flight at once: their count is the concurrency actually used.
#[tokio::test]
async fn pages_in_flight_are_capped_per_chapter_and_overall() {
    const LATENCY_MS: u64 = 300;
    const WINDOW_MS: u128 = 250;
    let emu = Emulator::builder()
        .catalog(jmcomic_emulator::Catalog::bench(3, 8, 16, 16))
        .fault(FaultRule::new(
            "/media/photos/",
            FaultKind::Latency(std::time::Duration::from_millis(LATENCY_MS)),
        ))
        .start()
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let opts = options(
        &emu,
        tmp.path(),
        "Bd_Aid",
        "download:\n  image:\n    decode: false\n  threading:\n    image: 4\n    album: 2\n    photo: 1\n",
    );
    let dl = downloader(opts).build().unwrap();
    let ids: Vec<u64> = emu.catalog().albums.iter().map(|a| a.id).collect();
    assert_eq!(ids.len(), 3);
    let batch = dl
        .batch(ids.iter().map(|&id| Target::album(JmId::new(id))))
        .await;
    assert!(batch.failures().is_empty(), "{:?}", batch.failures());

    let pages: Vec<(u128, String)> = emu
        .requests()
        .into_iter()
        .filter(|r| r.path().starts_with("/media/photos/"))
        .map(|r| {
            let chapter = r.path().split('/').nth(3).unwrap_or_default().to_owned();
            (r.elapsed.as_millis(), chapter)
        })
        .collect();
    assert_eq!(pages.len(), 24);
    let busiest = |same_chapter: bool| {
        pages
            .iter()
            .map(|(t, c)| {
                pages
                    .iter()
                    .filter(|(u, d)| *u >= *t && *u < *t + WINDOW_MS && (!same_chapter || d == c))
                    .count()
            })
            .max()
            .unwrap_or(0)
    };
    // Upper bounds hold whatever the machine's load; the bounds being reached shows the
    // limits are what throttles (not, say, one page at a time).
    assert_eq!(busiest(true), 4, "pages of one chapter at once: {pages:?}");
    assert_eq!(busiest(false), 8, "pages in flight overall: {pages:?}");
}

/// A rule without a chapter element puts every chapter of a series in one directory, where
/// their pages share names (`00001.webp` ...). The Python package overwrites one chapter's
/// pages with the next's; here the first chapter's pages are written and every page that
/// would land on one of them fails, naming both pages, also on a second run (where the
/// files exist and look complete, and must not be taken for the later chapter's pages).
#[tokio::test]
async fn chapters_sharing_a_directory_never_overwrite_each_other() {
    // The first chapter's page list arrives last, so arrival order is not album order.
    let emu = Emulator::builder()
        .fault(FaultRule::new(
            "/chapter?id=220979",
            FaultKind::Latency(std::time::Duration::from_millis(200)),
        ))
        .start()
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let album_id = 220_979;
    let spec = emu.catalog().album(album_id).unwrap().clone();
    assert!(spec.chapters.len() > 1);
    for run in 0..2 {
        let opts = options(&emu, tmp.path(), "Bd / {Aid}", "");
        let dl = downloader(opts).build().unwrap();
        let report = dl.album(JmId::new(album_id)).await.unwrap_err();
        let jmcomic::Error::Partial(report) = report else {
            panic!("expected a partial download");
        };
        let mut owners = std::collections::HashMap::new();
        for chapter in &report.chapters {
            for page in &chapter.pages {
                match &page.outcome {
                    PageOutcome::Written { .. } | PageOutcome::Reused => {
                        let first = owners.insert(page.path.clone(), chapter.id);
                        assert_eq!(first, None, "{} written twice", page.path.display());
                        if run == 0 {
                            assert!(matches!(page.outcome, PageOutcome::Written { .. }));
                        }
                    }
                    PageOutcome::Failed { reason } => {
                        assert!(
                            reason
                                .to_string()
                                .contains("the dir_rule gives both the same name"),
                            "{reason}"
                        );
                    }
                    other => panic!("nothing is skipped: {other:?}"),
                }
            }
        }
        // Each file belongs to the first chapter, in album order, that lists its name (the
        // same on both runs), and holds that chapter's page (check_page panics when the
        // pixels are another page's).
        for (path, chapter) in &owners {
            let file = path.file_name().unwrap().to_str().unwrap();
            let first = spec
                .chapters
                .iter()
                .find(|c| c.pages.iter().any(|p| p.file_name == file))
                .unwrap();
            assert_eq!(chapter.get(), first.id, "{file}");
            check_page(&emu, chapter.get(), file, path);
        }
        let total: usize = spec.chapters.iter().map(|c| c.pages.len()).sum();
        let names: std::collections::HashSet<&str> = spec
            .chapters
            .iter()
            .flat_map(|c| c.pages.iter().map(|p| p.file_name.as_str()))
            .collect();
        assert_eq!(owners.len(), names.len(), "one file per page name");
        assert_eq!(report.failures().len(), total - names.len());
        assert!(total > names.len(), "the chapters do share page names");
    }
}

/// The default rule `Bd_Pname` names chapter folders by title only: album 268849's `第1話`
/// lands in album 220979's `第1話` folder. Its pages must not be taken for (nor written over)
/// the other album's: the folder's page record says whose each file is.
#[tokio::test]
async fn another_albums_page_is_never_reused_or_overwritten() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let first = downloader(options(&emu, tmp.path(), "Bd_Pname", ""))
        .build()
        .unwrap()
        .album(JmId::new(220_979))
        .await
        .unwrap();
    assert!(first.is_complete());
    let shared = tmp.path().join("第1話");
    let before: Vec<(String, Vec<u8>)> = std::fs::read_dir(&shared)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !jmcomic::storage::is_page_record(p))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();

    // Another run, another album whose first chapter has the same title.
    let second = downloader(options(&emu, tmp.path(), "Bd_Pname", ""))
        .check_exception(false)
        .build()
        .unwrap()
        .album(JmId::new(268_849))
        .await
        .unwrap();
    let chapter = &second.chapters[0];
    assert_eq!(chapter.id, JmId::new(268_849));
    let mut foreign = 0;
    for p in &chapter.pages {
        match &p.outcome {
            PageOutcome::Failed { reason } => {
                assert_eq!(reason.kind(), "foreign_page", "{reason}");
                let text = reason.to_string();
                assert!(
                    text.contains("page 220979/") && text.contains("`Bd_Pname`"),
                    "{text}"
                );
                foreign += 1;
            }
            // Pages whose names the other album's chapter does not use are written.
            PageOutcome::Written { .. } => {}
            other => panic!("{}: {other:?}", p.file_name),
        }
    }
    // 00001.webp and 00002.webp are the names both chapters use.
    assert_eq!(foreign, 2);
    // The first album's files are as they were, and still its pages.
    for (name, bytes) in &before {
        assert_eq!(&std::fs::read(shared.join(name)).unwrap(), bytes, "{name}");
        check_page(&emu, 220_979, name, &shared.join(name));
    }
    // The other chapters of both albums have folders of their own and are complete.
    assert!(second.chapters[1..].iter().all(ChapterReport::is_complete));

    // Files no record claims (the Python package's, an older version's) are reused and
    // claimed from then on.
    std::fs::remove_file(shared.join(jmcomic::storage::PAGE_RECORD)).unwrap();
    let again = downloader(options(&emu, tmp.path(), "Bd_Pname", ""))
        .build()
        .unwrap()
        .album(JmId::new(220_979))
        .await
        .unwrap();
    assert_eq!(again.pages_reused(), 13);
    let record = jmcomic::storage::PageRecords::read(&shared);
    assert_eq!(record.owner("00001.webp"), Some((220_979, "00001.webp")));
}
