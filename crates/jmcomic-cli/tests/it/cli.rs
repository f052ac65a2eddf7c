//! Commands, exit codes and output.

use jmcomic_emulator::Emulator;

use crate::support::{
    assert_page_correct, bin, files_under, option_file, pages_on_disk, run, stderr, stdout,
};

#[test]
fn whole_catalog_then_rerun_skips_everything() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("lib");
    let opt = option_file(&emu, tmp.path(), &base);
    let ids: Vec<String> = emu
        .catalog()
        .albums
        .iter()
        .map(|a| a.id.to_string())
        .collect();
    let out = run(bin().arg("--option").arg(&opt).args(&ids));
    assert_eq!(out.status.code(), Some(0));
    let pages = pages_on_disk(&emu, &base);
    let want: usize = emu
        .catalog()
        .albums
        .iter()
        .flat_map(|a| &a.chapters)
        .map(|c| c.pages.len())
        .sum();
    assert_eq!(pages.len(), want);
    for (chapter, file, path) in &pages {
        assert_page_correct(&emu, *chapter, file, path);
    }
    assert!(stderr(&out).contains(&format!("{want} page(s) written")));

    // Second run: nothing fetched from the CDN, everything reported as already there.
    emu.clear_requests();
    let out = run(bin().arg("--option").arg(&opt).args(&ids));
    assert_eq!(out.status.code(), Some(0));
    assert!(stderr(&out).contains(&format!("0 page(s) written, {want} already on disk")));
    assert!(
        emu.requests()
            .iter()
            .all(|r| !r.path().starts_with("/media/"))
    );
}

#[test]
fn missing_id_in_a_batch_exits_1_and_is_listed() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("lib");
    let opt = option_file(&emu, tmp.path(), &base);
    let out = run(bin()
        .arg("--option")
        .arg(&opt)
        .args(["10086", "JM530595", "p147650"]));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("failed (1):") && err.contains("album 530595"),
        "{err}"
    );
    // The others are complete.
    assert_eq!(pages_on_disk(&emu, &base).len(), 3 + 4);
}

#[test]
fn json_events_for_bots() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let opt = option_file(&emu, tmp.path(), &tmp.path().join("lib"));
    let out = run(bin().arg("--option").arg(&opt).args(["--json", "438516"]));
    assert_eq!(out.status.code(), Some(0));
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = lines.iter().map(|l| l["event"].as_str().unwrap()).collect();
    assert_eq!(kinds.first(), Some(&"target_started"));
    assert_eq!(kinds.iter().filter(|k| **k == "page_done").count(), 8);
    let summary = lines.last().unwrap();
    assert_eq!(summary["event"], "summary");
    assert_eq!(summary["complete"], true);
    assert_eq!(summary["pages_written"], 8);
    // Secrets never appear in events.
    assert!(!stdout(&out).contains("secret-session-value"));
}

#[test]
fn report_file() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let opt = option_file(&emu, tmp.path(), &tmp.path().join("lib"));
    let report = tmp.path().join("r.json");
    let out = run(bin()
        .arg("--option")
        .arg(&opt)
        .arg("--report")
        .arg(&report)
        .arg("10086"));
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(v["complete"], true);
    assert_eq!(v["items"][0]["pages_written"], 3);
}

#[test]
fn usage_errors_exit_2() {
    let out = run(bin().args(["abc", "-1"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("invalid id `abc`") && stderr(&out).contains("invalid id `-1`"));
    let out = run(&mut bin());
    assert_eq!(out.status.code(), Some(2));
    let out = run(bin().args(["--option", "/nonexistent/option.yml", "123"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("/nonexistent/option.yml"));
    let out = run(bin().arg("--frobnicate"));
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn config_show_prints_effective_options_and_redacts() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let opt = option_file(&emu, tmp.path(), &tmp.path().join("lib"));
    let out = run(bin().args(["config", "show", "--option"]).arg(&opt));
    assert_eq!(out.status.code(), Some(0));
    let yaml = stdout(&out);
    assert!(
        yaml.contains("retry_times: 3") && yaml.contains("threading"),
        "{yaml}"
    );
    assert!(!yaml.contains("secret-session-value"), "{yaml}");
    assert!(yaml.contains("AVS"));
    // JM_OPTION_PATH is honoured.
    let out = run(bin().args(["config", "show"]).env("JM_OPTION_PATH", &opt));
    assert!(stdout(&out).contains("retry_times: 3"));
    // An invalid file: exit 2, the reason names the file, line and key.
    let bad = tmp.path().join("bad.yml");
    std::fs::write(&bad, "download:\n  threading:\n    image: abc\n").unwrap();
    let out = run(bin().args(["config", "show", "--option"]).arg(&bad));
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("bad.yml") && err.contains("download.threading.image") && err.contains(":3"),
        "{err}"
    );
    std::fs::write(&bad, "dir_rule:\n  rulle: Bd\n").unwrap();
    let out = run(bin().args(["config", "show", "--option"]).arg(&bad));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("did you mean `rule`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn python_option_files_load() {
    for name in [
        "option_test_api.yml",
        "option_workflow_download.yml",
        "doc_full_example.yml",
    ] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../jmcomic/tests/data/options")
            .join(name);
        let out = run(bin()
            .args(["config", "show", "--option"])
            .arg(&path)
            .env("JM_DOWNLOAD_DIR", "/tmp/jm"));
        assert_eq!(out.status.code(), Some(0), "{name}");
    }
}

#[test]
fn demo_downloads_and_verifies() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run(bin().args(["demo", "--dir"]).arg(tmp.path()));
    assert_eq!(out.status.code(), Some(0));
    let err = stderr(&out);
    assert!(
        err.contains("checked 19 pages against the site's originals"),
        "{err}"
    );
    assert!(files_under(tmp.path()).len() > 19);
}
