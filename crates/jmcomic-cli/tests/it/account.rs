//! The account and listing commands (issue 11) end to end against the emulator: `login`,
//! `logout`, `favorites`, `checkin`, `comments`, `search`, `rank`, each `--json` parsed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use jmcomic_emulator::{DEFAULT_PASSWORD, DEFAULT_USERNAME, Emulator};

use crate::support::{bin, echo, pages_on_disk, run, stderr, stdout};

/// An option file with the emulator's domains and a session file of the test's own (no
/// configured cookies: the login must be what logs in).
fn account_options(emu: &Emulator, dir: &Path) -> (PathBuf, PathBuf) {
    let session = dir.join("state").join("session.json");
    let path = dir.join("option.yml");
    let text = format!(
        "client:\n  retry_times: 1\n  domain: {}\n  image_domain: {}\n  session_file: {}\ndir_rule:\n  base_dir: {}\n  rule: Bd / {{Aid}} / {{Pindex}}\n",
        serde_json::to_string(&emu.api_domains()).unwrap(),
        serde_json::to_string(&emu.image_domains()).unwrap(),
        serde_json::to_string(&session.display().to_string()).unwrap(),
        serde_json::to_string(&dir.join("lib").display().to_string()).unwrap(),
    );
    std::fs::write(&path, text).unwrap();
    (path, session)
}

/// Runs `jmcomic --option OPT ARGS...` with `input` on stdin.
fn jm(opt: &Path, args: &[&str], input: Option<&str>) -> Output {
    let mut cmd = bin();
    cmd.arg("--option").arg(opt).args(args);
    let Some(input) = input else {
        return run(cmd.stdin(Stdio::null()));
    };
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    echo(&out);
    out
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_str(&stdout(out)).unwrap()
}

fn login(opt: &Path) -> Output {
    jm(
        opt,
        &["login", DEFAULT_USERNAME, "--password-stdin", "--json"],
        Some(&format!("{DEFAULT_PASSWORD}\n")),
    )
}

#[test]
fn login_keeps_a_private_session_that_later_commands_use_and_logout_forgets() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let (opt, session) = account_options(&emu, tmp.path());

    // Before logging in: a clear error, exit status 2.
    let out = jm(&opt, &["favorites", "list"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("jmcomic login"), "{}", stderr(&out));

    // A wrong password: refused, nothing kept, the password not echoed.
    let out = jm(
        &opt,
        &["login", DEFAULT_USERNAME, "--password-stdin"],
        Some("not-the-password-xyz\n"),
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("refused"), "{err}");
    assert!(!err.contains("not-the-password-xyz"), "{err}");
    assert!(!session.exists());

    let out = login(&opt);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_eq!(v["user"]["username"], DEFAULT_USERNAME);
    let uid = emu.user_state(DEFAULT_USERNAME).unwrap().uid;
    assert_eq!(v["user"]["uid"], uid);
    assert_eq!(v["session_file"], session.display().to_string());
    // The file holds the login cookie, private to the user; the output never shows it.
    let kept: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&session).unwrap()).unwrap();
    let avs = kept["cookies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c[0] == "AVS")
        .and_then(|c| c[1].as_str())
        .unwrap()
        .to_owned();
    assert!(avs.len() >= 8);
    assert!(!stdout(&out).contains(&avs) && !stderr(&out).contains(&avs));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&session).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // `config show` redacts nothing it should not show: the cookie is not in it either.
    let out = jm(&opt, &["config", "show"], None);
    assert!(!stdout(&out).contains(&avs));

    // A later run is logged in.
    let out = jm(&opt, &["favorites", "folders", "--json"], None);
    assert_eq!(out.status.code(), Some(0));
    let folders = json(&out);
    let names: Vec<&str> = folders
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    let state = emu.user_state(DEFAULT_USERNAME).unwrap();
    let mut want = vec!["全部"];
    want.extend(state.folders.iter().map(|(_, n)| n.as_str()));
    assert_eq!(names, want);

    let out = jm(&opt, &["logout"], None);
    assert_eq!(out.status.code(), Some(0));
    assert!(!session.exists());
    let out = jm(&opt, &["favorites", "list"], None);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn favorites_add_remove_list_export_and_download() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let (opt, _) = account_options(&emu, tmp.path());
    assert_eq!(login(&opt).status.code(), Some(0));
    let before: Vec<u64> = emu
        .user_state(DEFAULT_USERNAME)
        .unwrap()
        .favorites
        .iter()
        .map(|f| f.0)
        .collect();
    let new: Vec<u64> = emu
        .catalog()
        .albums
        .iter()
        .map(|a| a.id)
        .filter(|id| !before.contains(id))
        .take(2)
        .collect();
    assert_eq!(new.len(), 2);
    let ids: Vec<String> = new.iter().map(u64::to_string).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();

    // Added once; the second time nothing changes (the site only toggles).
    for changed in [true, false] {
        let mut args = vec!["favorites", "add", "--json"];
        args.extend(&ids);
        let out = jm(&opt, &args, None);
        assert_eq!(out.status.code(), Some(0));
        for (line, id) in stdout(&out).lines().zip(&new) {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(
                (v["album"].as_u64(), v["changed"].as_bool()),
                (Some(*id), Some(changed))
            );
            assert_eq!(v["favorite"], true);
        }
    }
    let now: Vec<u64> = emu
        .user_state(DEFAULT_USERNAME)
        .unwrap()
        .favorites
        .iter()
        .map(|f| f.0)
        .collect();
    for id in &new {
        assert_eq!(now.iter().filter(|f| *f == id).count(), 1, "{now:?}");
    }

    // The list shows them; its JSON feeds a download.
    let out = jm(&opt, &["favorites", "list", "--all", "--json"], None);
    assert_eq!(out.status.code(), Some(0));
    let listed = json(&out);
    let listed_ids: Vec<u64> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_u64().unwrap())
        .collect();
    let mut sorted = listed_ids.clone();
    sorted.sort_unstable();
    let mut want = now.clone();
    want.sort_unstable();
    assert_eq!(sorted, want);
    assert_eq!(listed["total"], now.len());

    // Export: a CSV per non-empty folder, read back with a CSV reader; zipped with a
    // password and opened by 7-Zip.
    let dir = tmp.path().join("export");
    let zip = tmp.path().join("favs.zip");
    let out = jm(
        &opt,
        &[
            "favorites",
            "export",
            dir.to_str().unwrap(),
            "--zip",
            zip.to_str().unwrap(),
            "--password",
            "pw-123",
            "--json",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    let done = json(&out);
    let all = &done["folders"][0];
    assert_eq!(all["folder"]["id"], "0");
    let csv_path = PathBuf::from(all["path"].as_str().unwrap());
    assert_eq!(csv_path.file_name().unwrap(), "【0】全部.csv");
    // Read by Python's csv module, not by the crate that wrote it.
    let py = std::process::Command::new("python3")
        .args([
            "-c",
            "import csv,json,sys; print(json.dumps(list(csv.reader(open(sys.argv[1], encoding='utf-8', newline='')))))",
        ])
        .arg(&csv_path)
        .output()
        .expect("python3 must be installed");
    assert!(py.status.success(), "{py:?}");
    let table: Vec<Vec<String>> = serde_json::from_slice(&py.stdout).unwrap();
    assert_eq!(table[0], ["id", "author", "name"]);
    let mut rows: Vec<(u64, String)> = table[1..]
        .iter()
        .map(|r| (r[0].parse().unwrap(), r[2].clone()))
        .collect();
    rows.sort();
    let mut want_rows: Vec<(u64, String)> = now
        .iter()
        .map(|id| (*id, emu.catalog().album(*id).unwrap().title.clone()))
        .collect();
    want_rows.sort();
    assert_eq!(rows, want_rows);
    let unzipped = tmp.path().join("unzipped");
    let seven = std::process::Command::new("7z")
        .arg("x")
        .arg("-ppw-123")
        .arg(format!("-o{}", unzipped.display()))
        .arg(&zip)
        .output()
        .expect("7z (apt package p7zip-full) must be installed");
    assert!(seven.status.success(), "{seven:?}");
    assert_eq!(
        std::fs::read(unzipped.join("【0】全部.csv")).unwrap(),
        std::fs::read(&csv_path).unwrap()
    );
    let wrong = std::process::Command::new("7z")
        .arg("t")
        .arg("-pwrong")
        .arg(&zip)
        .output()
        .unwrap();
    assert!(
        !wrong.status.success(),
        "the zip opens without its password"
    );

    // `favorites list --json | jmcomic --from-json -` downloads the favourites.
    let json_text = stdout(&jm(&opt, &["favorites", "list", "--json"], None));
    let out = jm(&opt, &["--json", "--from-json", "-"], Some(&json_text));
    assert_eq!(out.status.code(), Some(0));
    let base = tmp.path().join("lib");
    let mut albums: Vec<u64> = pages_on_disk(&emu, &base).iter().map(|p| p.0).collect();
    albums.dedup();
    let chapters: Vec<u64> = now
        .iter()
        .flat_map(|a| {
            emu.catalog()
                .album(*a)
                .unwrap()
                .chapters
                .iter()
                .map(|c| c.id)
        })
        .collect();
    for (chapter, _, _) in pages_on_disk(&emu, &base) {
        assert!(chapters.contains(&chapter));
    }
    assert!(!albums.is_empty());

    // Removed once; the second time nothing changes.
    for changed in [true, false] {
        let mut args = vec!["favorites", "remove", "--json"];
        args.extend(&ids);
        let out = jm(&opt, &args, None);
        assert_eq!(out.status.code(), Some(0));
        for line in stdout(&out).lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(
                (v["changed"].as_bool(), v["favorite"].as_bool()),
                (Some(changed), Some(false))
            );
        }
    }
    let after: Vec<u64> = emu
        .user_state(DEFAULT_USERNAME)
        .unwrap()
        .favorites
        .iter()
        .map(|f| f.0)
        .collect();
    assert_eq!(after, before);
}

#[test]
fn checkin_twice_comments_search_and_rank() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let (opt, _) = account_options(&emu, tmp.path());
    assert_eq!(login(&opt).status.code(), Some(0));

    // Checking in twice: new, then already done, both exit 0.
    let first = jm(&opt, &["checkin", "--json"], None);
    assert_eq!(first.status.code(), Some(0));
    assert_eq!(json(&first)["new"], true);
    let second = jm(&opt, &["checkin", "--json"], None);
    assert_eq!(second.status.code(), Some(0));
    let v = json(&second);
    assert_eq!(v["new"], false);
    assert!(v["event"]["signed_today"].as_bool().unwrap());
    assert_eq!(emu.user_state(DEFAULT_USERNAME).unwrap().check_ins, 1);
    let text = stdout(&jm(&opt, &["checkin"], None));
    assert!(text.starts_with("already checked in today"), "{text}");

    // Comments of an album: the JSON's comments are that album's.
    let out = jm(&opt, &["comments", "438516", "--all", "--json"], None);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    let comments = v["comments"].as_array().unwrap();
    assert!(!comments.is_empty());
    assert!(
        comments
            .iter()
            .all(|c| c["album_id"].is_null() || c["album_id"] == 438_516)
    );
    let out = jm(&opt, &["comments", "--forum"], None);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).lines().next().unwrap().starts_with('['));

    // Search: the albums the catalog says, by author.
    let album = emu.catalog().album(421_925).unwrap();
    let author = album.authors[0].clone();
    let out = jm(&opt, &["search", &author, "--by", "author", "--json"], None);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    let want: Vec<u64> = emu
        .catalog()
        .albums
        .iter()
        .filter(|a| {
            a.authors
                .iter()
                .any(|x| x.to_lowercase().contains(&author.to_lowercase()))
        })
        .map(|a| a.id)
        .collect();
    let listed: Vec<u64> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_u64().unwrap())
        .collect();
    let mut got = listed.clone();
    got.sort_unstable();
    let mut want_sorted = want.clone();
    want_sorted.sort_unstable();
    assert_eq!(got, want_sorted);
    assert_eq!(v["total"], want.len());

    // A bad value is a usage error naming the right one.
    let out = jm(&opt, &["search", "x", "--by", "auther"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("did you mean `author`"));

    // The week ranking: most viewed this week first, as the catalog's counts say.
    let out = jm(&opt, &["rank", "week", "--json"], None);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    let views: Vec<u64> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            emu.catalog()
                .album(i["id"].as_u64().unwrap())
                .unwrap()
                .views_in(jmcomic_emulator::Period::Week)
        })
        .collect();
    assert!(!views.is_empty());
    assert!(views.windows(2).all(|w| w[0] >= w[1]), "{views:?}");
    assert!(views.iter().all(|v| *v > 0));

    // `search --download` downloads what it listed.
    let out = jm(
        &opt,
        &[
            "search",
            &author,
            "--by",
            "author",
            "--download",
            "--limit",
            "1",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    let on_disk = pages_on_disk(&emu, &tmp.path().join("lib"));
    let first = emu.catalog().album(listed[0]).unwrap();
    let pages: usize = first.chapters.iter().map(|c| c.pages.len()).sum();
    assert_eq!(on_disk.len(), pages);
    assert!(
        on_disk
            .iter()
            .all(|(chapter, _, _)| first.chapters.iter().any(|c| c.id == *chapter))
    );
}

#[test]
fn search_pages_to_the_last_page_with_all() {
    // 170 albums: three pages of 80.
    let emu = Emulator::builder()
        .catalog(jmcomic_emulator::Catalog::bench(170, 1, 16, 16))
        .start()
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let (opt, _) = account_options(&emu, tmp.path());
    let out = jm(&opt, &["rank", "month", "--all", "--json"], None);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    let viewed = emu
        .catalog()
        .albums
        .iter()
        .filter(|a| a.views_in(jmcomic_emulator::Period::Month) > 0)
        .count();
    assert!(viewed > 80, "{viewed}");
    let pages: Vec<u64> = v["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_u64().unwrap())
        .collect();
    let count = (viewed as u64).div_ceil(80);
    assert_eq!(pages, (1..=count).collect::<Vec<_>>());
    assert_eq!(v["items"].as_array().unwrap().len(), viewed);
    assert_eq!(v["total"], viewed);
    // One page only without --all; --limit caps --all.
    let v = json(&jm(&opt, &["rank", "month", "--page", "2", "--json"], None));
    assert_eq!(v["pages"], serde_json::json!([2]));
    let v = json(&jm(
        &opt,
        &["rank", "month", "--all", "--limit", "100", "--json"],
        None,
    ));
    assert_eq!(v["items"].as_array().unwrap().len(), 100);
}

/// The same commands through the web client (`client.impl: html`): login, favourites into a
/// named folder (which the API cannot choose), search, comments, check-in.
#[test]
fn the_account_commands_work_through_the_web_client() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let (opt, _) = account_options(&emu, tmp.path());
    let text = std::fs::read_to_string(&opt).unwrap().replace(
        &format!(
            "  domain: {}\n",
            serde_json::to_string(&emu.api_domains()).unwrap()
        ),
        &format!(
            "  impl: html\n  domain: {{html: {}}}\n",
            serde_json::to_string(&emu.html_domains()).unwrap()
        ),
    );
    assert!(text.contains("impl: html"), "{text}");
    std::fs::write(&opt, text).unwrap();
    let out = login(&opt);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json(&out)["user"]["username"], DEFAULT_USERNAME);

    let folder = emu.user_state(DEFAULT_USERNAME).unwrap().folders[0].clone();
    let out = jm(
        &opt,
        &[
            "favorites",
            "add",
            "438516",
            "--folder",
            &folder.1,
            "--json",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json(&out)["changed"], true);
    let state = emu.user_state(DEFAULT_USERNAME).unwrap();
    assert_eq!(state.favorites, [(438_516, folder.0)]);
    let v = json(&jm(
        &opt,
        &[
            "favorites",
            "list",
            "--folder",
            &folder.0.to_string(),
            "--json",
        ],
        None,
    ));
    assert_eq!(v["items"][0]["id"], 438_516);

    let v = json(&jm(&opt, &["search", "single", "--json"], None));
    assert_eq!(v["items"].as_array().unwrap().len(), 3);
    let v = json(&jm(&opt, &["comments", "438516", "--json"], None));
    assert!(!v["comments"].as_array().unwrap().is_empty());
    assert_eq!(json(&jm(&opt, &["checkin", "--json"], None))["new"], true);
    assert_eq!(json(&jm(&opt, &["checkin", "--json"], None))["new"], false);
    // Only the web site and the CDN were asked.
    let api: Vec<String> = emu
        .requests()
        .into_iter()
        .filter(|r| emu.host_role(r.host) == Some(jmcomic_emulator::HostRole::Api))
        .map(|r| r.path_and_query)
        .collect();
    assert!(api.is_empty(), "the API was used: {api:?}");
}
