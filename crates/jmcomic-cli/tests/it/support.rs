//! Running the binary and checking what it wrote.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use jmcomic_emulator::Emulator;

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_jmcomic"));
    // A config folder of the tests' own: a session the user keeps from `jmcomic login`
    // must not log the tests in, nor may they overwrite it.
    let config = std::env::temp_dir().join(format!("jmcomic-it-config-{}", std::process::id()));
    c.env_remove("JM_OPTION_PATH")
        .env_remove("JM_PASSWORD")
        .env("NO_COLOR", "1")
        .env("XDG_CONFIG_HOME", config)
        .env(
            "XDG_CACHE_HOME",
            std::env::temp_dir().join(format!("jmcomic-it-cache-{}", std::process::id())),
        );
    c
}

/// Writes an option file that only sets domains and the directory rule.
pub fn option_file(emu: &Emulator, dir: &Path, base: &Path) -> PathBuf {
    let path = dir.join("option.yml");
    let text = format!(
        "client:\n  retry_times: 3\n  domain: {}\n  image_domain: {}\n  postman:\n    meta_data:\n      cookies:\n        AVS: secret-session-value\ndir_rule:\n  base_dir: {}\n  rule: Bd / {{Aid}} / {{Pindex}}\n",
        serde_json::to_string(&emu.api_domains()).unwrap(),
        serde_json::to_string(&emu.image_domains()).unwrap(),
        serde_json::to_string(&base.display().to_string()).unwrap(),
    );
    std::fs::write(&path, text).unwrap();
    path
}

pub fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap();
    echo(&out);
    out
}

/// Shows a run's status and output in the test's log (seen when it fails).
pub fn echo(out: &Output) {
    eprintln!(
        "--- status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The JSON lines of a `--json` run's stdout.
pub fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    stdout(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every file under a directory, recursively, sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if !jmcomic::storage::is_page_record(&p) {
                // The folders' page records are not downloads.
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The page files under `base` for rule `Bd / {Aid} / {Pindex}`: (chapter id, file name,
/// path). Chapter ids come from the emulator's catalog by album id and index.
pub fn pages_on_disk(emu: &Emulator, base: &Path) -> Vec<(u64, String, PathBuf)> {
    let mut out = Vec::new();
    for f in files_under(base) {
        let rel = f.strip_prefix(base).unwrap();
        let parts: Vec<&str> = rel.iter().map(|p| p.to_str().unwrap()).collect();
        if parts.len() != 3 {
            continue;
        }
        let album = emu.catalog().album(parts[0].parse().unwrap()).unwrap();
        let index: u32 = parts[1].parse().unwrap();
        let chapter = album
            .chapters
            .iter()
            .find(|c| c.sort == index)
            .or_else(|| (album.chapters.len() == 1).then(|| &album.chapters[0]))
            .unwrap();
        let stem = parts[2].rsplit_once('.').unwrap().0;
        let spec = chapter.pages.iter().find(|p| p.stem() == stem).unwrap();
        out.push((chapter.id, spec.file_name.clone(), f));
    }
    out
}

/// Asserts a page file shows the original page (exact for lossless sources and pages kept
/// as served, within lossy tolerance otherwise).
pub fn assert_page_correct(emu: &Emulator, chapter: u64, file_name: &str, path: &Path) {
    let data = std::fs::read(path).unwrap();
    if Some(&data) == emu.served_bytes(chapter, file_name).as_ref()
        && (file_name.ends_with(".gif") || emu.strip_count_used(chapter, file_name) == Some(0))
    {
        return;
    }
    let img = jmcomic::image::decode(&data, &jmcomic::image::Limits::default())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let original = emu.original_page(chapter, file_name).unwrap();
    assert_eq!((img.width, img.height), (original.width, original.height));
    let mean = img
        .data
        .iter()
        .zip(&original.rgb)
        .map(|(a, b)| f64::from(a.abs_diff(*b)))
        .sum::<f64>()
        / img.data.len() as f64;
    assert!(mean < 8.0, "{}: mean diff {mean}", path.display());
}
