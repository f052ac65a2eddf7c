//! Features (the Python `extra=`, spec §5.1) end to end: what each export holds, read back
//! with independent readers and compared with the pages on disk; when features run.

use std::path::{Path, PathBuf};

use jmcomic::plugin::Feature;
use jmcomic::{DownloadReport, JmId, Target};
use jmcomic_emulator::{Emulator, FaultKind, FaultRule};

use crate::readers::{page_size, pdf_pages, png_pixels, python_zip, seven_zip_extract};
use crate::support::{downloader, options};

const RULE: &str = "Bd / {Aid} / {Pindex}";

fn pages_of(report: &DownloadReport) -> Vec<PathBuf> {
    report.page_paths()
}

/// The height a page takes in the long image: the Python plugin's `int(h * w_min / w)`.
fn scaled(width: u32, height: u32, to: u32) -> u32 {
    let exact = f64::from(height) * f64::from(to) / f64::from(width);
    (exact.trunc() as u32).max(1)
}

fn only(paths: &[PathBuf]) -> &Path {
    assert_eq!(paths.len(), 1, "{paths:?}");
    &paths[0]
}

#[tokio::test]
async fn album_exports_hold_every_page_in_order() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dl = downloader(options(&emu, tmp.path(), RULE, ""))
        .extra(
            Feature::export_pdf()
                + Feature::export_zip()
                + Feature::export_long_img()
                + Feature::export_cbz(),
        )
        .build()
        .unwrap();
    let report = dl.album(JmId::new(220_979)).await.unwrap();
    assert!(report.is_complete(), "{:?}", report.failures());
    let pages = pages_of(&report);
    assert_eq!(pages.len(), 13);

    // One PDF for the album, named as the Python feature names it, in base_dir.
    let pdf = only(&report.export_paths("pdf")).to_owned();
    assert_eq!(pdf.parent().unwrap(), tmp.path());
    let name = pdf.file_name().unwrap().to_string_lossy().into_owned();
    assert_eq!(
        name,
        "[JM220979]CJK 中文標題 日本語のタイトル 한국어 제목.pdf"
    );
    let (pdf_pages, title) = pdf_pages(&pdf);
    assert_eq!(
        title.as_deref(),
        Some("CJK 中文標題 日本語のタイトル 한국어 제목")
    );
    assert_eq!(pdf_pages.len(), pages.len());
    let mut jpegs = 0;
    for (page, file) in pdf_pages.iter().zip(&pages) {
        let (w, h) = page_size(file);
        assert_eq!(
            (page.width, page.height),
            (w as f32, h as f32),
            "{}",
            file.display()
        );
        if file.extension().is_some_and(|e| e == "jpg") {
            // JPEG pages are embedded without re-encoding.
            assert_eq!(page.filter.as_deref(), Some("DCTDecode"));
            assert_eq!(
                page.image,
                std::fs::read(file).unwrap(),
                "{}",
                file.display()
            );
            jpegs += 1;
        }
    }
    assert_eq!(jpegs, 2, "the album has two JPEG pages");

    // The ZIP: every page, stored, in order, named relative to the album's folder.
    let zip = only(&report.export_paths("zip")).to_owned();
    let (_, entries) = python_zip(&zip);
    let album_dir = report.album_dir.clone().unwrap();
    let expected: Vec<String> = pages
        .iter()
        .map(|p| {
            p.strip_prefix(&album_dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, expected);
    for (e, p) in entries.iter().zip(&pages) {
        assert!(e.stored, "{} is stored, not recompressed", e.name);
        assert_eq!(e.data, std::fs::read(p).unwrap(), "{}", e.name);
    }

    // The long image: as wide as the narrowest page, as tall as the scaled pages together.
    let png = report
        .outputs
        .iter()
        .find(|o| o.stage == "export_long_img")
        .unwrap()
        .path
        .clone();
    let sizes: Vec<(u32, u32)> = pages.iter().map(|p| page_size(p)).collect();
    let narrowest = sizes.iter().map(|s| s.0).min().unwrap();
    let height: u32 = sizes.iter().map(|&(w, h)| scaled(w, h, narrowest)).sum();
    let (w, h, _) = png_pixels(&png);
    assert_eq!((w, h), (narrowest, height));

    // CBZ: one per chapter in a series folder, ComicInfo.xml that Komga and Kavita read.
    let cbz = report.export_paths("cbz");
    assert_eq!(cbz.len(), 3);
    let series_dir = cbz[0].parent().unwrap();
    assert_eq!(
        series_dir,
        tmp.path().join("CJK 中文標題 日本語のタイトル 한국어 제목")
    );
    for (i, (path, chapter)) in cbz.iter().zip(&report.chapters).enumerate() {
        assert_eq!(
            path.file_name().unwrap().to_string_lossy(),
            format!(
                "CJK 中文標題 日本語のタイトル 한국어 제목 c{:03}.cbz",
                i + 1
            )
        );
        let (_, entries) = python_zip(path);
        assert_eq!(entries[0].name, "ComicInfo.xml");
        let files = chapter.page_paths();
        assert_eq!(entries.len(), files.len() + 1);
        for (j, (e, f)) in entries[1..].iter().zip(&files).enumerate() {
            let ext = f.extension().unwrap().to_string_lossy();
            assert_eq!(e.name, format!("{:04}.{ext}", j + 1));
            assert!(e.stored);
            assert_eq!(e.data, std::fs::read(f).unwrap());
        }
        let xml = String::from_utf8(entries[0].data.clone()).unwrap();
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "ComicInfo");
        let text = |tag: &str| {
            root.children()
                .find(|n| n.has_tag_name(tag))
                .and_then(|n| n.text())
                .map(str::to_owned)
        };
        assert_eq!(
            text("Series").as_deref(),
            Some("CJK 中文標題 日本語のタイトル 한국어 제목")
        );
        assert_eq!(text("Number"), Some((i + 1).to_string()));
        assert_eq!(text("Count").as_deref(), Some("3"));
        assert_eq!(text("PageCount"), Some(files.len().to_string()));
        assert_eq!(text("Writer").as_deref(), Some("作者甲, 作者乙"));
        assert_eq!(text("AgeRating").as_deref(), Some("Adults Only 18+"));
        let covers: Vec<_> = root
            .descendants()
            .filter(|n| n.has_tag_name("Page"))
            .map(|n| n.attribute("Type"))
            .collect();
        assert_eq!(covers.len(), files.len());
        assert_eq!(covers[0], Some("FrontCover"));
        assert!(covers[1..].iter().all(Option::is_none));
    }
    // The series cover Komga reads, from the first page.
    assert!(series_dir.join("cover.webp").is_file());

    // The JSON report lists every file.
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    let listed: Vec<&str> = json["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["kind"].as_str().unwrap())
        .collect();
    for kind in ["pdf", "zip", "png", "cbz"] {
        assert!(listed.contains(&kind), "{kind} in {listed:?}");
    }

    // A second run reuses every page and every export.
    let again = dl.album(JmId::new(220_979)).await.unwrap();
    assert_eq!(again.pages_written(), 0);
    assert!(
        again
            .outputs
            .iter()
            .filter(|o| o.kind != "webp")
            .all(|o| o.reused),
        "{:?}",
        again.outputs
    );
}

/// Spec §5.1: after the album for an album download, after the chapter for a chapter
/// download, named by the album or the chapter, also through a batch.
#[tokio::test]
async fn features_run_after_the_album_or_the_chapter_that_was_asked_for() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dl = downloader(options(&emu, tmp.path(), RULE, ""))
        .extra(Feature::export_pdf())
        .build()
        .unwrap();
    let batch = dl
        .batch([
            Target::album(JmId::new(438_516)),
            Target::chapter(JmId::new(220_980)),
            Target::album(JmId::new(268_849)),
        ])
        .await;
    assert!(batch.all_succeeded(), "{:?}", batch.failures());
    let reports: Vec<&DownloadReport> = batch.reports().collect();
    // One PDF per target, never one per chapter of an album.
    let names: Vec<String> = reports
        .iter()
        .map(|r| {
            only(&r.export_paths("pdf"))
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(
        names,
        [
            "[JM438516]Emoji 😀🎉 album ✨ 🏳️‍🌈.pdf",
            "[JM220980]第2話 中編.pdf",
            "[JM268849]喂我吃吧 老師! [欶瀾漢化組] [BLVEFO9] たべさせて… [中國翻譯].pdf",
        ]
    );
    let pages = |r: &DownloadReport| pdf_pages(only(&r.export_paths("pdf"))).0.len();
    assert_eq!(pages(reports[0]), 8);
    assert_eq!(pages(reports[1]), 5);
    assert_eq!(pages(reports[2]), 13);
    // The chapter download's PDF was made after the chapter: its output names it.
    assert_eq!(reports[1].outputs[0].chapter, Some(JmId::new(220_980)));
    assert_eq!(reports[0].outputs[0].chapter, None);
    let files: Vec<PathBuf> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
        .collect();
    assert_eq!(files.len(), 3, "{files:?}");
}

#[tokio::test]
async fn an_encrypted_zip_opens_with_its_password_only() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("zips");
    let dl = downloader(options(&emu, tmp.path(), RULE, ""))
        .extra(
            Feature::export_zip()
                .dir(&out)
                .arg("encrypt", serde_json::json!({"password": "天王蓋地虎 123"})),
        )
        .build()
        .unwrap();
    let report = dl.chapter(JmId::new(268_850)).await.unwrap();
    let zip = only(&report.export_paths("zip")).to_owned();
    assert!(zip.starts_with(&out));
    let wrong = tempfile::tempdir().unwrap();
    assert!(seven_zip_extract(&zip, "wrong", wrong.path()).is_err());
    let right = tempfile::tempdir().unwrap();
    seven_zip_extract(&zip, "天王蓋地虎 123", right.path()).unwrap();
    for page in report.page_paths() {
        let name = page.file_name().unwrap();
        assert_eq!(
            std::fs::read(right.path().join(name)).unwrap(),
            std::fs::read(&page).unwrap()
        );
    }
}

/// An export of a chapter some of whose pages failed would look complete and not be: it is
/// refused, reported, and nothing is written.
#[tokio::test]
async fn an_incomplete_download_is_not_exported() {
    let emu = Emulator::start().unwrap();
    emu.add_fault(FaultRule::new(
        "/media/photos/438516/00002.webp",
        FaultKind::Status(503),
    ));
    let tmp = tempfile::tempdir().unwrap();
    let report = downloader(options(&emu, tmp.path(), RULE, ""))
        .extra(Feature::export_pdf())
        .check_exception(false)
        .build()
        .unwrap()
        .album(JmId::new(438_516))
        .await
        .unwrap();
    assert!(report.export_paths("pdf").is_empty());
    let failures = report.failures();
    let export = failures
        .iter()
        .find(|f| f.what == "export_pdf of album 438516")
        .unwrap_or_else(|| panic!("{failures:?}"));
    assert!(
        export.reason.contains("1 page(s) of chapter 438516 failed"),
        "{}",
        export.reason
    );
    let pdfs = std::fs::read_dir(tmp.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .to_string_lossy()
                .contains(".pdf")
        })
        .count();
    assert_eq!(pdfs, 0);
}

/// `download.album_json`: the album's fields, chapters and files next to its pages; chapter
/// downloads add their chapter to what is there.
#[tokio::test]
async fn album_json_describes_the_album_and_its_files() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let o = options(&emu, tmp.path(), RULE, "download:\n  album_json: true\n");
    let dl = downloader(o).extra(Feature::export_zip()).build().unwrap();
    let report = dl.album(JmId::new(220_979)).await.unwrap();
    let path = report.album_dir.clone().unwrap().join(jmcomic::ALBUM_JSON);
    assert_eq!(report.export_paths("json"), std::slice::from_ref(&path));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(v["album"]["id"], 220_979);
    assert_eq!(
        v["album"]["authors"],
        serde_json::json!(["作者甲", "作者乙"])
    );
    let chapters = v["chapters"].as_array().unwrap();
    assert_eq!(chapters.len(), 3);
    assert_eq!(chapters[1]["title"], "第2話 中編");
    let listed: Vec<PathBuf> = chapters
        .iter()
        .flat_map(|c| c["pages"].as_array().unwrap().iter())
        .map(|p| PathBuf::from(p["path"].as_str().unwrap()))
        .collect();
    assert_eq!(listed, report.page_paths());
    assert!(listed.iter().all(|p| p.is_file()));
    assert!(v["outputs"][0]["path"].as_str().unwrap().ends_with(".zip"));

    // Two chapter downloads of another album: the file ends up listing both.
    let dl = downloader(options(
        &emu,
        tmp.path(),
        RULE,
        "download:\n  album_json: true\n",
    ))
    .build()
    .unwrap();
    dl.chapter(JmId::new(268_851)).await.unwrap();
    let report = dl.chapter(JmId::new(268_850)).await.unwrap();
    let path = report.album_dir.clone().unwrap().join(jmcomic::ALBUM_JSON);
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let ids: Vec<u64> = v["chapters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [268_850, 268_851]);
}
