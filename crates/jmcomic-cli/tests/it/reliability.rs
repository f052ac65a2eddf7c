//! Reliability through the command line: a badly behaved site, and secrets kept out of
//! every output.

use jmcomic_emulator::{Emulator, FaultKind, FaultRule, Times};

use crate::support::{assert_page_correct, bin, option_file, pages_on_disk, run, stderr, stdout};

/// 30% of all CDN requests fail in one of seven ways; the run still ends with every page
/// correct and exit status 0.
#[test]
fn thirty_percent_cdn_faults_still_give_every_page() {
    let emu = Emulator::builder().cdn_hosts(2).start().unwrap();
    let kinds = [
        FaultKind::Status(503),
        FaultKind::Reset,
        FaultKind::Truncated,
        FaultKind::Empty200,
        FaultKind::Garbage,
        FaultKind::TooManyRequests {
            retry_after_secs: 0,
        },
        FaultKind::Stall,
    ];
    // Seven independent rules of 5% each: 1 - 0.95^7 ≈ 30% of requests faulted.
    for (i, kind) in kinds.into_iter().enumerate() {
        emu.add_fault(
            FaultRule::new("/media/photos/", kind).times(Times::Probability {
                p: 0.05,
                seed: 1000 + i as u64,
            }),
        );
    }
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("lib");
    let opt = option_file(&emu, tmp.path(), &base);
    // Stalls cost the timeout; keep it short. Default retries (5 rounds over 2 CDN hosts).
    let text = std::fs::read_to_string(&opt)
        .unwrap()
        .replace("retry_times: 3", "retry_times: 5\n  timeout: 2");
    std::fs::write(&opt, text).unwrap();
    let ids: Vec<String> = emu
        .catalog()
        .albums
        .iter()
        .map(|a| a.id.to_string())
        .collect();
    let out = run(bin().arg("--option").arg(&opt).args(&ids));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
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
    let media: Vec<_> = emu
        .requests()
        .into_iter()
        .filter(|r| r.path().starts_with("/media/"))
        .collect();
    let faulted = media.iter().filter(|r| r.fault.is_some()).count();
    let share = faulted as f64 / media.len() as f64;
    assert!(
        (0.2..0.4).contains(&share),
        "{faulted} of {} requests faulted",
        media.len()
    );
}

/// Cookies, passwords and proxy credentials never reach logs (even at -vvv, which includes
/// the HTTP stack's own logs), errors, `config show` or JSON events.
#[test]
fn secrets_stay_out_of_every_output() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let opt = option_file(&emu, tmp.path(), &tmp.path().join("lib"));
    let mut text = std::fs::read_to_string(&opt).unwrap();
    text.push_str("plugins:\n  after_init:\n    - plugin: login\n      kwargs: {username: me, password: s3cr3t-login-pw}\n");
    std::fs::write(&opt, &text).unwrap();
    let secret = "secret-session-value";
    let out = run(bin()
        .arg("--option")
        .arg(&opt)
        .args(["-vvv", "--json", "438516"]));
    // The `login` entry runs and is refused (the emulator has no user `me`): reported,
    // exit 1, and its password is in no output, even at -vvv.
    assert_eq!(out.status.code(), Some(1));
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        all.contains("the site refused the login of `me`"),
        "login reported"
    );
    assert!(
        all.contains("DEBUG") || all.contains("TRACE"),
        "-vvv logs something"
    );
    assert!(
        !all.contains(secret) && !all.contains("s3cr3t"),
        "a secret leaked"
    );
    // The emulator did receive the cookie (so it was really in play).
    assert!(
        emu.requests()
            .iter()
            .any(|r| r.header("cookie").is_some_and(|c| c.contains(secret)))
    );

    let out = run(bin().args(["config", "show", "--option"]).arg(&opt));
    assert!(!stdout(&out).contains(secret) && !stdout(&out).contains("s3cr3t"));

    // A proxy with credentials that cannot be reached: the error names the problem, not
    // the password.
    let text = text.replace(
        "  postman:\n    meta_data:\n",
        "  postman:\n    meta_data:\n      proxies: http://user:s3cr3t-proxy-pw@127.0.0.1:9\n",
    );
    std::fs::write(&opt, &text).unwrap();
    let out = run(bin().arg("--option").arg(&opt).args(["-vv", "438516"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(!stderr(&out).contains("s3cr3t"), "{}", stderr(&out));
    let out = run(bin().args(["config", "show", "--option"]).arg(&opt));
    assert!(!stdout(&out).contains("s3cr3t"), "{}", stdout(&out));
}

/// Bad input of every kind: exit status 2 and one line saying what is wrong, never a panic.
#[test]
fn bad_input_gives_one_line_and_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    // Ids.
    for (id, words) in [
        ("abc", "invalid id `abc`"),
        ("-1", "not negative"),
        ("99999999999999999999999999", "too large"),
        ("https://example.com/album/123", "not a JMComic domain"),
        ("https://18comic.vip/about", "names no album or chapter"),
        ("p", "invalid id"),
    ] {
        let out = run(bin().arg(id));
        assert_eq!(out.status.code(), Some(2), "{id}");
        let err = stderr(&out);
        assert!(err.contains(words), "{id}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{id}: {err}");
        assert!(!err.contains("panicked"));
    }
    // Option files.
    let file_in_the_way = tmp.path().join("a-file");
    std::fs::write(&file_in_the_way, "x").unwrap();
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "malformed.yml",
            "client: [unclosed\n".into(),
            "malformed.yml",
        ),
        ("malformed.json", "{\"client\": }".into(), "malformed.json"),
        (
            "types.yml",
            "download:\n  cache: maybe\n".into(),
            "download.cache",
        ),
        (
            "unknown.yml",
            "downlaod:\n  cache: true\n".into(),
            "did you mean `download`",
        ),
        (
            "env.yml",
            "dir_rule:\n  base_dir: ${JM_SURELY_UNSET_VAR_42}/x\n".into(),
            "JM_SURELY_UNSET_VAR_42",
        ),
        (
            "basedir.yml",
            format!("dir_rule:\n  base_dir: {}/sub\n", file_in_the_way.display()),
            "base_dir",
        ),
        (
            "proxy.yml",
            "client:\n  postman:\n    meta_data:\n      proxies: 'http://[bad'\n".into(),
            "proxies",
        ),
        (
            "rule.yml",
            "dir_rule:\n  rule: Bd_{Anope}\n".into(),
            "Anope",
        ),
        (
            "empty_rule.yml",
            "dir_rule:\n  rule: ''\n".into(),
            "dir_rule.rule",
        ),
    ];
    for (name, text, words) in cases {
        let path = tmp.path().join(name);
        std::fs::write(&path, text).unwrap();
        let out = run(bin().arg("--option").arg(&path).arg("123"));
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = stderr(&out);
        assert!(err.contains(words), "{name}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{name}: {err}");
        assert!(!err.contains("panicked"));
    }
}

/// A machine without CA certificates (a minimal container): the binary still works, with the
/// Mozilla roots it carries, and a self-signed certificate is still refused.
#[test]
fn no_system_ca_certificates_still_downloads_and_still_verifies() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("no-certs");
    std::fs::create_dir(&empty).unwrap();
    // One download of a single-chapter album, with no CA certificates to be found.
    let download = |emu: &Emulator, base: &std::path::Path| {
        let opt = option_file(emu, tmp.path(), base);
        run(bin()
            .env("SSL_CERT_FILE", empty.join("none.pem"))
            .env("SSL_CERT_DIR", &empty)
            .args(["--no-progress", "--option"])
            .arg(&opt)
            .arg("438516"))
    };

    let emu = Emulator::start().unwrap();
    let base = tmp.path().join("lib");
    let out = download(&emu, &base);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(pages_on_disk(&emu, &base).len(), 8);

    let emu = Emulator::builder().tls(true).start().unwrap();
    let out = download(&emu, &tmp.path().join("tls"));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("TLS certificate is not trusted"),
        "{}",
        stderr(&out)
    );
}
