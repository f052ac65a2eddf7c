//! `--export`, `--archive`, `archive list|forget`, `plugins list|run` and the plugins that
//! change what the command shows, end to end through the binary; `--json` parsed.

use std::path::Path;
use std::time::Duration;

use jmcomic_emulator::Emulator;

use crate::support::{bin, json_lines, option_file, run, stderr, stdout};

fn with_plugins(opt: &Path, plugins: &str) {
    let mut text = std::fs::read_to_string(opt).unwrap();
    text.push_str("plugins:\n");
    text.push_str(plugins);
    std::fs::write(opt, text).unwrap();
}

#[test]
fn export_flags_write_the_files_and_list_them_in_json() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let opt = option_file(&emu, tmp.path(), &tmp.path().join("lib"));
    let books = tmp.path().join("books");
    let report = tmp.path().join("report.json");
    let out = run(bin()
        .arg("--option")
        .arg(&opt)
        .args([
            "--json",
            "--export",
            "pdf,cbz",
            "--export",
            "zip",
            "--export-dir",
        ])
        .arg(&books)
        .arg("--report")
        .arg(&report)
        .arg("220979"));
    assert_eq!(out.status.code(), Some(0));
    let lines = json_lines(&out);
    // Stage events for each export.
    let done: Vec<&str> = lines
        .iter()
        .filter(|l| l["event"] == "stage_done")
        .map(|l| l["stage"].as_str().unwrap())
        .collect();
    for stage in ["export_pdf", "export_cbz", "export_zip"] {
        assert!(done.contains(&stage), "{stage} in {done:?}");
    }
    let summary = lines.last().unwrap();
    assert_eq!(summary["event"], "summary");
    assert_eq!(summary["complete"], true);
    let exports = summary["exports"].as_array().unwrap();
    let kinds: Vec<&str> = exports
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.iter().filter(|k| **k == "pdf").count(), 1);
    assert_eq!(kinds.iter().filter(|k| **k == "cbz").count(), 3);
    assert_eq!(kinds.iter().filter(|k| **k == "zip").count(), 1);
    for e in exports {
        let path = Path::new(e["path"].as_str().unwrap());
        assert!(
            path.starts_with(&books) && path.is_file(),
            "{}",
            path.display()
        );
    }
    // The report lists them too.
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(
        r["items"][0]["outputs"].as_array().unwrap().len(),
        exports.len()
    );

    // An unknown kind is a usage error that lists the kinds.
    let out = run(bin()
        .arg("--option")
        .arg(&opt)
        .args(["--export", "epub", "220979"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unknown kind `epub`; the kinds are pdf, zip, cbz, long-img"));
}

fn page_requests(emu: &Emulator) -> usize {
    emu.requests()
        .iter()
        .filter(|r| r.path().starts_with("/media/photos/"))
        .count()
}

#[test]
fn archive_flag_list_and_forget() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    let opt = option_file(&emu, tmp.path(), &lib);
    let archive = tmp.path().join("jm.archive");
    let out = run(bin()
        .arg("--option")
        .arg(&opt)
        .arg("--archive")
        .arg(&archive)
        .args(["220979", "438516"]));
    assert_eq!(out.status.code(), Some(0));

    // The library is moved: nothing is fetched again, the summary says why.
    std::fs::rename(&lib, tmp.path().join("elsewhere")).unwrap();
    emu.clear_requests();
    let out = run(bin()
        .arg("--option")
        .arg(&opt)
        .arg("--archive")
        .arg(&archive)
        .args(["--json", "220979", "438516"]));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(page_requests(&emu), 0);
    let summary = json_lines(&out).pop().unwrap();
    assert_eq!(summary["pages_archived"], 21);
    assert_eq!(summary["pages_written"], 0);

    let out = run(bin()
        .args(["archive", "list", "--json", "--archive"])
        .arg(&archive));
    assert_eq!(out.status.code(), Some(0));
    let list: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let albums: Vec<(u64, u64)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["album"].as_u64().unwrap(), a["pages"].as_u64().unwrap()))
        .collect();
    assert_eq!(albums, [(220_979, 13), (438_516, 8)]);
    let out = run(bin().args(["archive", "list", "--archive"]).arg(&archive));
    assert!(stdout(&out).contains("JM220979") && stdout(&out).contains("CJK 中文標題"));

    // Forget one chapter (as `p…`) and one album: they download again, and only they.
    let out = run(bin()
        .args(["archive", "forget", "p220980", "JM438516", "--archive"])
        .arg(&archive));
    assert_eq!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("220980: forgot 1 chapter(s), 5 page(s)"));
    emu.clear_requests();
    let out = run(bin()
        .arg("--option")
        .arg(&opt)
        .arg("--archive")
        .arg(&archive)
        .args(["220979", "438516"]));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(page_requests(&emu), 13);
    assert!(
        stderr(&out).contains("13 page(s) written, 0 already on disk, 8 recorded in the archive")
    );

    // The option file's download.archive is used when --archive is not given.
    let mut text = std::fs::read_to_string(&opt).unwrap();
    text = text.replace(
        "dir_rule:",
        &format!(
            "download:\n  archive: {}\ndir_rule:",
            serde_json::to_string(&archive.display().to_string()).unwrap()
        ),
    );
    std::fs::write(&opt, text).unwrap();
    let out = run(bin().args(["archive", "list", "--option"]).arg(&opt));
    assert_eq!(out.status.code(), Some(0));
    // Without either, a clear usage error.
    let out = run(bin().args(["archive", "list"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no download archive: give --archive FILE"));
}

#[test]
fn after_init_jobs_run_without_ids_and_plugin_groups_by_hand() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let opt = option_file(&emu, tmp.path(), &tmp.path().join("lib"));
    with_plugins(
        &opt,
        "  after_init:\n    - plugin: find_update\n      kwargs: {220979: 220980}\n  weekly:\n    - plugin: find_update\n      kwargs: {268849: 268850}\n",
    );
    // No ids: the after_init job is the work.
    let out = run(bin().arg("--option").arg(&opt).arg("--json"));
    assert_eq!(out.status.code(), Some(0));
    let summary = json_lines(&out).pop().unwrap();
    assert_eq!(summary["pages_written"], 4, "only chapter 220981");
    assert!(
        summary["plugin_notes"][0]
            .as_str()
            .unwrap()
            .contains("1 new chapter(s)")
    );
    // A group by hand, with its JSON.
    let out = run(bin()
        .args(["plugins", "run", "weekly", "--json", "--option"])
        .arg(&opt));
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["complete"], true);
    assert_eq!(v["downloads"][0]["items"][0]["pages_written"], 4);
    // A group with nothing to run by hand is a usage error.
    let out = run(bin()
        .args(["plugins", "run", "after_album", "--option"])
        .arg(&opt));
    assert_eq!(out.status.code(), Some(2));

    // `plugins list`: every key with what it does, and the file's entries.
    let out = run(bin().args(["plugins", "list", "--option"]).arg(&opt));
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(
        text.contains("plugins.after_init: find_update (runs)"),
        "{text}"
    );
    for key in [
        "zip",
        "img2pdf",
        "long_img",
        "cbz",
        "calibre_metadata",
        "send_qq_email",
        "login",
        "jm_server",
        "client_proxy",
        "auto_set_browser_cookies",
        "favorite_folder_export",
    ] {
        assert!(text.contains(&format!("  {key} ")), "{key} in\n{text}");
    }
}

#[test]
fn usage_log_progress_log_file_and_topic_filter() {
    let emu = Emulator::builder()
        .latency(Duration::from_millis(40))
        .start()
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let opt = option_file(&emu, tmp.path(), &tmp.path().join("lib"));
    let log = tmp.path().join("jmcomic-download.log");
    with_plugins(
        &opt,
        &format!(
            "  after_init:\n    - plugin: usage_log\n      kwargs: {{interval: 0.1, enable_warning: false}}\n    - plugin: download_progress\n      kwargs: {{log_file: {}}}\n",
            serde_json::to_string(&log.display().to_string()).unwrap()
        ),
    );
    let out = run(bin().arg("--option").arg(&opt).args(["-v", "438516"]));
    assert_eq!(out.status.code(), Some(0));
    let err = stderr(&out);
    let line = err
        .lines()
        .find(|l| l.contains("usage: threads "))
        .unwrap_or_else(|| panic!("no usage line in\n{err}"));
    assert!(
        line.contains(", CPU ") && line.contains("%, memory ") && line.ends_with(" MB"),
        "{line}"
    );
    // The progress plugin's log file has the run's lines (info level, no colours).
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("usage: threads"), "{logged}");
    assert!(!logged.contains('\u{1b}'));

    // log_topic_filter: only `photo` lines; the usage lines (topic plugin) are dropped.
    let opt2 = tmp.path().join("filtered.yml");
    let text = std::fs::read_to_string(&opt)
        .unwrap()
        .replace("    - plugin: download_progress", "    - plugin: log_topic_filter\n      kwargs: {whitelist: [photo.after]}\n    - plugin: download_progress");
    std::fs::write(&opt2, text).unwrap();
    let out = run(bin().arg("--option").arg(&opt2).args(["-v", "438516"]));
    assert_eq!(out.status.code(), Some(0));
    assert!(!stderr(&out).contains("usage: threads"), "{}", stderr(&out));
}
