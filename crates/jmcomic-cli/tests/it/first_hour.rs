//! What a new user meets in the first hour (issue 10): each rough edge, held by a test of
//! the binary's output.

use std::path::Path;

use jmcomic_emulator::{Emulator, FaultKind, FaultRule, Times};

use crate::support::{bin, files_under, json_lines, option_file, run, stderr, stdout};

fn media_requests(emu: &Emulator) -> usize {
    emu.requests()
        .iter()
        .filter(|r| r.path().starts_with("/media/"))
        .count()
}

/// Without a terminal: a line per album and chapter as they go, retry rounds, the summary;
/// `-q`: the summary line only; `--log-file`: every line, at info, in a file.
#[test]
fn without_a_terminal_progress_is_plain_lines_and_quiet_keeps_the_summary() {
    let emu = Emulator::start().unwrap();
    // Every API host fails the album's first round: a retry round is announced.
    let hosts = emu.api_domains().len();
    emu.add_fault(
        FaultRule::new("/album", FaultKind::Status(503)).times(Times::First(hosts as u64)),
    );
    let tmp = tempfile::tempdir().unwrap();
    let opt = option_file(&emu, tmp.path(), &tmp.path().join("lib"));
    let log = tmp.path().join("run.log");
    let out = run(bin()
        .arg("--option")
        .arg(&opt)
        .arg("--log-file")
        .arg(&log)
        .arg("220979"));
    assert_eq!(out.status.code(), Some(0));
    let err = stderr(&out);
    for line in [
        "every domain failed (round 1 of 4); trying again in",
        "album JM220979: CJK 中文標題 日本語のタイトル 한국어 제목 (3 chapter(s)) -> ",
        "  chapter 220980 of JM220979: 第2話 中編 (5 page(s))",
        "  chapter 220981: done",
        "album JM220979: done",
        "done: 1 target(s), 13 page(s) written, 0 already on disk, 0 failed",
    ] {
        assert!(err.contains(line), "missing {line:?} in\n{err}");
    }
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("every domain failed (round 1 of 4)"),
        "{logged}"
    );

    let out = run(bin().arg("--option").arg(&opt).args(["-q", "220979"]));
    assert_eq!(out.status.code(), Some(0));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("done: 1 target(s), 0 page(s) written, 13 already on disk"),
        "{err}"
    );
}

#[test]
fn every_bad_id_gets_its_own_line_and_typos_of_commands_a_suggestion() {
    let out = run(bin().args(["abc", "123", "JM-5"]));
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 2, "{err}");
    assert!(
        errors[0].contains("`abc`") && errors[1].contains("`JM-5`"),
        "{err}"
    );

    let out = run(bin().args(["confg", "show"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out)
            .contains("`confg` is neither an id nor a command (did you mean `jmcomic config`?)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn global_flags_before_a_subcommand_work() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let opt = option_file(&emu, tmp.path(), &tmp.path().join("lib"));
    let out = run(bin().arg("--option").arg(&opt).args(["config", "show"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("rule: Bd / {Aid} / {Pindex}"),
        "{}",
        stdout(&out)
    );
    let out = run(bin()
        .arg("-q")
        .arg("--option")
        .arg(&opt)
        .args(["plugins", "list"]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// An output that cannot be written is found before anything is downloaded.
#[test]
fn outputs_are_checked_before_the_download() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let opt = option_file(&emu, tmp.path(), &tmp.path().join("lib"));
    let cases: [(&str, std::path::PathBuf); 3] = [
        ("--report", tmp.path().join("no-such-folder").join("r.json")),
        ("--report", tmp.path().to_path_buf()),
        ("--log-file", tmp.path().join("missing").join("x.log")),
    ];
    for (flag, path) in cases {
        emu.clear_requests();
        let out = run(bin()
            .arg("--option")
            .arg(&opt)
            .arg(flag)
            .arg(&path)
            .arg("220979"));
        assert_eq!(out.status.code(), Some(2), "{flag} {}", path.display());
        assert!(stderr(&out).contains(flag), "{}", stderr(&out));
        assert!(emu.requests().is_empty(), "nothing was asked of the site");
    }
    assert!(!tmp.path().join("lib").exists());
}

#[test]
fn dry_run_tells_what_would_happen_and_touches_nothing() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    let opt = option_file(&emu, tmp.path(), &lib);
    let out = run(bin()
        .arg("--option")
        .arg(&opt)
        .args(["--dry-run", "--export", "pdf", "220979"]));
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("dry run: 1 target(s), 13 page(s) to download, 0 already on disk"),
        "{}",
        stderr(&out)
    );
    assert_eq!(media_requests(&emu), 0);
    assert!(
        files_under(tmp.path()).iter().all(|p| p == &opt),
        "nothing written"
    );

    // Half of it on disk: the dry run says which.
    let out = run(bin().arg("--option").arg(&opt).arg("p220980"));
    assert_eq!(out.status.code(), Some(0));
    emu.clear_requests();
    let out = run(bin()
        .arg("--option")
        .arg(&opt)
        .args(["--dry-run", "--json", "220979"]));
    let summary = json_lines(&out).pop().unwrap();
    assert_eq!(summary["dry_run"], true);
    assert_eq!(summary["pages_planned"], 8);
    assert_eq!(summary["pages_reused"], 5);
    assert_eq!(media_requests(&emu), 0);
}

/// One set of numbers: the summary line, the list under it, `--json` and `--report`.
#[test]
fn counts_agree_everywhere() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    let opt = option_file(&emu, tmp.path(), &lib);
    let report = tmp.path().join("r.json");
    let out = run(bin()
        .arg("--option")
        .arg(&opt)
        .arg("--report")
        .arg(&report)
        .args(["220979", "p220980", "999999", "p268850"]));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    // The missing album is counted among the targets, and is the one failure listed.
    assert!(
        err.contains("finished with failures: 4 target(s) (1 failed), 18 page(s) written, 0 already on disk, 0 failed"),
        "{err}"
    );
    assert!(err.contains("failed (1):\n  album 999999: "), "{err}");
    // The chapter of an album of the run is not downloaded, nor counted, twice.
    assert!(
        err.contains("  chapter 220980: part of album 220979, downloaded with it"),
        "{err}"
    );
    // A chapter target shows its own folder.
    let chapter_dir = lib.join("268849").join("2");
    assert!(
        err.contains(&format!("  chapter 268850: {}", chapter_dir.display())),
        "{err}"
    );
    assert_eq!(media_requests(&emu), 18);

    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(r["totals"]["targets"], 4);
    assert_eq!(r["totals"]["targets_failed"], 1);
    assert_eq!(r["totals"]["pages_written"], 18);
    assert_eq!(r["failures"].as_array().unwrap().len(), 1);

    let out = run(bin()
        .arg("--option")
        .arg(&opt)
        .args(["--json", "220979", "p220980", "999999"]));
    let summary = json_lines(&out).pop().unwrap();
    assert_eq!(summary["targets"], 3);
    assert_eq!(summary["targets_failed"], 1);
    assert_eq!(summary["pages_reused"], 13);
    assert_eq!(summary["failures"].as_array().unwrap().len(), 1);
}

#[test]
fn a_missing_chapter_is_one_clean_line() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let opt = option_file(&emu, tmp.path(), &tmp.path().join("lib"));
    let out = run(bin().arg("--option").arg(&opt).arg("p999999"));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(!err.contains("WARN") && !err.contains("INFO"), "{err}");
    assert!(!err.contains("<html"), "{err}");
    // The details are there at -v.
    let out = run(bin().arg("--option").arg(&opt).args(["-v", "p999999"]));
    assert!(
        stderr(&out).contains("renewing the session"),
        "{}",
        stderr(&out)
    );
    assert!(
        err.contains("chapter 999999: chapter 999999 was not found"),
        "{err}"
    );
}

#[test]
fn demo_accepts_the_display_flags() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let out = run(bin()
        .args(["demo", "-q", "--no-progress", "--dir"])
        .arg(&dir)
        .arg("438516"));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with("done: 1 target(s), 8 page(s) written"),
        "{}",
        stderr(&out)
    );
    assert!(Path::new(&dir).join("report.json").is_file());
}

/// Every mistake of an option file at once, saying where the file came from; `config show`
/// says where the options came from and prints the values in use; `--option ''` means the
/// defaults.
#[test]
fn option_files_report_every_mistake_and_config_show_says_what_is_in_use() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.yml");
    std::fs::write(
        &bad,
        "dir_rule:\n  rulle: Bd\ndownload:\n  threading:\n    image: abc\n  image:\n    jpeg_quality: 500\n",
    )
    .unwrap();
    let out = run(bin().arg("--option").arg(&bad).arg("123"));
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.starts_with("error: "), "{err}");
    assert!(
        err.lines()
            .next()
            .unwrap()
            .contains("3 mistakes (from --option)"),
        "{err}"
    );
    for (line, what) in [
        (2, "dir_rule.rulle"),
        (5, "download.threading.image"),
        (7, "jpeg_quality"),
    ] {
        assert!(
            err.lines()
                .any(|l| l.contains(&format!("bad.yml:{line}:")) && l.contains(what)),
            "line {line} {what} in\n{err}"
        );
    }
    // From JM_OPTION_PATH, it says so.
    let out = run(bin().env("JM_OPTION_PATH", &bad).arg("123"));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("(from JM_OPTION_PATH)"),
        "{}",
        stderr(&out)
    );
    // `--option ''`: the defaults, whatever JM_OPTION_PATH says.
    let out = run(bin()
        .env("JM_OPTION_PATH", &bad)
        .args(["config", "show", "--option", ""]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let shown = stdout(&out);
    assert!(
        shown.starts_with("# built-in defaults (--option '')"),
        "{shown}"
    );
    // The qualities in use, not `null`.
    assert!(shown.contains("jpeg_quality: 75"), "{shown}");
    assert!(shown.contains("webp_quality: 80"), "{shown}");
}

#[test]
fn demo_lists_its_catalog_and_says_so_for_an_id_it_does_not_have() {
    let out = run(bin().args(["demo", "--list", "--json"]));
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let ids: Vec<u64> = v["albums"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_u64().unwrap())
        .collect();
    assert!(ids.contains(&220_979) && ids.contains(&438_516), "{ids:?}");
    let out = run(bin().args(["demo", "--list"]));
    assert!(stdout(&out).contains("album 220979"), "{}", stdout(&out));

    let out = run(bin().args(["demo", "12345"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(
            "album 12345 is not in the demo's catalog: `jmcomic demo --list` shows what it has"
        ),
        "{}",
        stderr(&out)
    );
}
