//! Commands that ask the site something without downloading (issue 11): each run end to end
//! against the emulator, its `--json` parsed.

use std::process::Stdio;

use jmcomic_emulator::Emulator;

use crate::support::{bin, option_file, pages_on_disk, run, stderr, stdout};

#[test]
fn show_lists_an_album_and_its_chapters_and_its_json_feeds_a_download() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("lib");
    let opt = option_file(&emu, tmp.path(), &base);
    let spec = emu.catalog().album(220_979).unwrap();

    // A chapter id shows its album, the chapter marked.
    let out = run(bin().arg("--option").arg(&opt).args(["show", "p220980"]));
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(
        text.starts_with(&format!("JM220979  {}\n", spec.title)),
        "{text}"
    );
    assert!(text.contains("  chapters (3):"), "{text}");
    let marked: Vec<&str> = text.lines().filter(|l| l.ends_with(" <")).collect();
    assert_eq!(marked.len(), 1, "{text}");
    assert!(marked[0].contains("p220980"), "{text}");
    assert!(!base.exists(), "show must not download");

    let out = run(bin()
        .arg("--option")
        .arg(&opt)
        .args(["show", "--json", "JM220979"]));
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["album"]["id"], 220_979);
    assert_eq!(v["album"]["name"], spec.title.as_str());
    let ids: Vec<u64> = v["chapters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_u64().unwrap())
        .collect();
    let expected: Vec<u64> = spec.chapters.iter().map(|c| c.id).collect();
    assert_eq!(ids, expected);

    // `show --json | jmcomic --from-json -` downloads what was shown.
    let mut child = bin()
        .arg("--option")
        .arg(&opt)
        .args(["--json", "--from-json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(&out.stdout).unwrap();
    }
    let got = child.wait_with_output().unwrap();
    assert_eq!(got.status.code(), Some(0), "{}", stderr(&got));
    let pages = pages_on_disk(&emu, &base);
    let in_album: usize = spec.chapters.iter().map(|c| c.pages.len()).sum();
    assert_eq!(pages.len(), in_album);

    // Nothing to download in the JSON: a usage error naming the flag.
    let junk = tmp.path().join("junk.json");
    std::fs::write(&junk, r#"{"hello": "world"}"#).unwrap();
    let out = run(bin()
        .arg("--option")
        .arg(&opt)
        .arg("--from-json")
        .arg(&junk));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--from-json: no id in the JSON"));
}

#[test]
fn cover_saves_exactly_what_the_site_serves() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let opt = option_file(&emu, tmp.path(), &tmp.path().join("lib"));

    // Default name, in the current folder.
    let out = run(bin()
        .current_dir(tmp.path())
        .arg("--option")
        .arg(&opt)
        .args(["cover", "220979"]));
    assert_eq!(out.status.code(), Some(0));
    let saved = std::fs::read(tmp.path().join("220979.jpg")).unwrap();
    assert_eq!(Some(saved), emu.cover_bytes(220_979, false));

    // A chapter's album, the small size, a chosen path, JSON.
    let file = tmp.path().join("covers").join("small.jpg");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let out = run(bin()
        .arg("--option")
        .arg(&opt)
        .args(["cover", "--small", "--json", "p220980", "-o"])
        .arg(&file));
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(v["album"], 220_979);
    let saved = std::fs::read(&file).unwrap();
    assert_eq!(v["bytes"].as_u64(), Some(saved.len() as u64));
    assert_eq!(Some(saved), emu.cover_bytes(220_979, true));

    // An album the site does not have: a clean failure, no file.
    let out = run(bin()
        .current_dir(tmp.path())
        .arg("--option")
        .arg(&opt)
        .args(["cover", "999999999"]));
    assert_ne!(out.status.code(), Some(0));
    assert!(!tmp.path().join("999999999.jpg").exists());
    assert!(stderr(&out).contains("999999999"), "{}", stderr(&out));
}
