//! Shared set-up for pipeline tests: an emulator, options pointing at it, page checks.

use std::path::Path;
use std::time::Duration;

use jmcomic::client::{Client, RetryPolicy};
use jmcomic::{Downloader, DownloaderBuilder, Options};
use jmcomic_emulator::{Emulator, PageKind};

/// Options that only set the domains and the directory rule (what a user of an emulator or
/// mirror would write).
pub fn options(emu: &Emulator, base: &Path, rule: &str, extra: &str) -> Options {
    let yaml = format!(
        "client:\n  domain: {}\n  image_domain: {}\ndir_rule:\n  base_dir: {}\n  rule: '{rule}'\n{extra}",
        serde_json::to_string(&emu.api_domains()).unwrap(),
        serde_json::to_string(&emu.image_domains()).unwrap(),
        serde_json::to_string(&base.display().to_string()).unwrap(),
    );
    Options::from_yaml_str(&yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"))
}

/// A downloader whose client retries fast (tests with faults stay quick).
pub fn downloader(options: Options) -> DownloaderBuilder {
    let client: Client = options
        .client_builder()
        .unwrap()
        .retry(RetryPolicy {
            retry_times: 3,
            backoff_base: Duration::from_millis(5),
            backoff_max: Duration::from_millis(20),
            max_retry_after: Duration::from_secs(2),
        })
        .read_timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    Downloader::builder(options).client(client)
}

/// How a file on disk compares with the emulator's original page.
#[derive(Debug, PartialEq)]
pub enum Match {
    /// Same pixels.
    Exact,
    /// Within the tolerance of a lossy codec (mean abs diff, worst row).
    Lossy(f64, f64),
    /// Byte-identical to what the CDN served (GIFs, unscrambled pages kept as received).
    SameBytes,
}

/// Checks a page file against the emulator; panics with a precise message when wrong.
pub fn check_page(emu: &Emulator, chapter: u64, file_name: &str, path: &Path) -> Match {
    let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let served = emu.served_bytes(chapter, file_name).unwrap();
    let (spec, _) = emu.catalog().chapter(chapter).unwrap();
    let kind = spec
        .pages
        .iter()
        .find(|p| p.file_name == file_name)
        .unwrap()
        .kind;
    if data == served
        && (kind == PageKind::Gif || emu.strip_count_used(chapter, file_name) == Some(0))
    {
        return Match::SameBytes;
    }
    assert_ne!(
        kind,
        PageKind::Gif,
        "{}: GIFs must be written as served",
        path.display()
    );
    let img = jmcomic::image::decode(&data, &jmcomic::image::Limits::default()).unwrap();
    let original = emu.original_page(chapter, file_name).unwrap();
    assert_eq!(
        (img.width, img.height),
        (original.width, original.height),
        "{}",
        path.display()
    );
    if img.data == original.rgb {
        return Match::Exact;
    }
    let row = original.width as usize * 3;
    let mut total = 0u64;
    let mut worst = 0f64;
    for (a, b) in img.data.chunks(row).zip(original.rgb.chunks(row)) {
        let s: u64 = a
            .iter()
            .zip(b)
            .map(|(x, y)| u64::from(x.abs_diff(*y)))
            .sum();
        total += s;
        worst = worst.max(s as f64 / row as f64);
    }
    let mean = total as f64 / img.data.len() as f64;
    assert!(
        mean < 8.0 && worst < 40.0,
        "{}: differs from the original (mean {mean:.1}, worst row {worst:.1}): strips out of place?",
        path.display()
    );
    Match::Lossy(mean, worst)
}

/// Every file under a directory, recursively, but the directories' page records
/// (`.jmcomic-pages`, see `jmcomic::storage::PAGE_RECORD`).
pub fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if !jmcomic::storage::is_page_record(&p) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
