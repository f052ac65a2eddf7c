//! The option file's plugins (spec §3.7, §5.3) run end to end against the emulator: every
//! fixture file of the Python package's kind, and each plugin key's effect.

use std::path::{Path, PathBuf};

use jmcomic::options::{DomainSetting, Options};
use jmcomic::{DownloadReport, Error, JmId, PageOutcome, Target};
use jmcomic_emulator::Emulator;

use crate::readers::{pdf_pages, png_pixels, python_zip, tool};
use crate::smtp_server::{Config, ServerTls, SmtpServer};
use crate::support::{downloader, files_under, options};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/options")
        .join(name)
}

/// A fixture option file pointed at the emulator and at `tmp`: its domains replaced, its
/// `base_dir` and every `D:/...` path of its plugin arguments moved under `tmp` (the files
/// are Windows users'; nothing else of them changes).
fn fixture(name: &str, emu: &Emulator, tmp: &Path) -> Options {
    let env = |n: &str| (n == "JM_DOWNLOAD_DIR").then(|| tmp.join("dl").display().to_string());
    let mut o = Options::from_file_with_env(data(name), &env).unwrap();
    // Per client kind, so a file with `impl: html` uses the emulator's web site.
    o.client.domain = DomainSetting::PerImpl(vec![
        ("api".to_owned(), emu.api_domains()),
        ("html".to_owned(), emu.html_domains()),
    ]);
    o.client.image_domain = DomainSetting::List(emu.image_domains());
    o.dir_rule = o.dir_rule.with_base_dir(tmp.join("base"));
    fn fix(v: &mut serde_json::Value, tmp: &Path) {
        match v {
            serde_json::Value::String(s) if s.starts_with("D:/") => {
                *s = tmp.join(&s[3..]).display().to_string();
            }
            serde_json::Value::Object(m) => m.values_mut().for_each(|v| fix(v, tmp)),
            serde_json::Value::Array(a) => a.iter_mut().for_each(|v| fix(v, tmp)),
            _ => {}
        }
    }
    for (_, entries) in &mut o.plugins.groups {
        for e in entries {
            e.kwargs.values_mut().for_each(|v| fix(v, tmp));
        }
    }
    o
}

fn failure_texts(report: &DownloadReport) -> Vec<String> {
    report
        .failures()
        .iter()
        .map(|f| format!("{}: {}", f.what, f.reason))
        .collect()
}

/// The documentation's plugin file (every plugin at once): each key runs with its Python
/// arguments, or says why it cannot.
#[tokio::test]
async fn the_documented_plugin_file_runs_every_plugin() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let o = fixture("doc_plugins_example.yml", &emu, t);
    let dl = downloader(o).check_exception(false).build().unwrap();

    // after_init: find_update and subscribe_album_update ask for albums the emulator does
    // not have; the emulator has no user `un`, so login is refused. Each is reported;
    // nothing stops.
    let init = dl.run_after_init().await.unwrap();
    let failed: Vec<String> = init
        .entry_failures()
        .iter()
        .map(|f| format!("{}: {}", f.what, f.reason))
        .collect();
    assert!(
        failed
            .iter()
            .any(|f| f.starts_with("plugin login: the site refused the login of `un`")),
        "{failed:?}"
    );
    assert!(
        failed
            .iter()
            .any(|f| f.starts_with("plugin subscribe_album_update:") && f.contains("324930")),
        "{failed:?}"
    );
    let find_update = &init.downloads[0];
    assert_eq!(find_update.items[0].0, Target::album(JmId::new(145_504)));
    assert!(find_update.items[0].1.as_ref().unwrap_err().is_not_found());

    // The download: image_suffix_filter keeps only `.gif` pages, so of album 220979 only
    // 220981/00002.gif is fetched.
    let report = dl.album(JmId::new(220_979)).await.unwrap();
    let on_disk: Vec<(JmId, String)> = report
        .chapters
        .iter()
        .flat_map(|c| {
            c.pages
                .iter()
                .filter(|p| !matches!(p.outcome, PageOutcome::Skipped))
                .map(move |p| (c.id, p.file_name.clone()))
        })
        .collect();
    assert_eq!(on_disk, [(JmId::new(220_981), "00002.gif".to_owned())]);
    // replace_path_string, skip_photo_with_few_images (3): every chapter has 4+ pages.
    assert!(report.chapters.iter().all(|c| !c.skipped));

    // before_album download_cover: the search-list cover at its dir_rule's path.
    let cover = t
        .join("a/b/c")
        .join("CJK 中文標題 日本語のタイトル 한국어 제목")
        .join("220979_cover.jpg");
    assert!(cover.is_file(), "{}", cover.display());
    assert!(
        emu.requests()
            .iter()
            .any(|r| r.path() == "/media/albums/220979_3x4.jpg")
    );

    // after_photo img2pdf (Pid, encrypted with 123) for the chapter with a page.
    let pdf = t.join("pdf/220981.pdf");
    let check = tool(
        "qpdf",
        &["--password=123", "--check", pdf.to_str().unwrap()],
        "qpdf",
    );
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    let refused = tool("qpdf", &["--check", pdf.to_str().unwrap()], "qpdf");
    assert!(!refused.status.success(), "the PDF needs its password");
    // img2pdf and long_img named by the album's name (each chapter replaces the file: the
    // Python example names chapter exports by an album field).
    let album_pdf = t.join("pdf/CJK 中文標題 日本語のタイトル 한국어 제목.pdf");
    assert_eq!(pdf_pages(&album_pdf).0.len(), 1);
    let long = t.join("pdf/CJK 中文標題 日本語のタイトル 한국어 제목.png");
    let (w, _, _) = png_pixels(&long);
    assert!(w > 0);

    // after_album zip (Atitle, delete_original_file): the GIF is in it, then deleted.
    let zip = t.join("jmcomic/zip/CJK 中文標題 日本語のタイトル 한국어 제목.zip");
    let (_, entries) = python_zip(&zip);
    assert_eq!(entries.len(), 1);
    assert!(
        entries[0].name.ends_with("00002.gif"),
        "{}",
        entries[0].name
    );
    assert_eq!(
        entries[0].data,
        emu.served_bytes(220_981, "00002.gif").unwrap()
    );
    let gif = report.page_paths()[0].clone();
    assert!(!gif.exists(), "deleted after the zip was checked");

    // send_qq_email: `${EMAIL}` is not set: reported, the rest done.
    let failures = failure_texts(&report);
    assert!(
        failures
            .iter()
            .any(|f| f.starts_with("plugin send_qq_email of album 220979") && f.contains("EMAIL")),
        "{failures:?}"
    );
    // delete_duplicated_files: the file's rule (the default `Bd_Pname`) gives the album no
    // folder of its own; the Python plugin would scan (and delete across) the whole base
    // directory (W12). Here it refuses, and says so.
    assert!(
        failures.iter().any(
            |f| f.starts_with("plugin delete_duplicated_files of album 220979")
                && f.contains("no folder of its own")
        ),
        "{failures:?}"
    );
    assert_eq!(failures.len(), 2, "{failures:?}");

    // `main` runs by hand only: favorite_folder_export names the variables its kwargs use
    // that are not set.
    let main = dl.run_plugin_group("main").await.unwrap();
    assert_eq!(main.failures.len(), 1);
    let reason = main.failures[0].reason.to_string();
    assert!(
        reason.contains("not set: ${JM_DOWNLOAD_DIR}, ${ZIP_PASSWORD}"),
        "{reason}"
    );
}

/// The other fixture files: their plugins are settings, jobs or not applicable here; each
/// file downloads, and each plugin does what it says.
#[tokio::test]
async fn the_other_python_option_files_run_their_plugins() {
    let emu = Emulator::start().unwrap();
    for name in [
        "doc_full_example.yml",
        "option_test_api.yml",
        "option_test_html.yml",
        "option_workflow_download.yml",
        "option_workflow_export_favorites.yml",
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let o = fixture(name, &emu, tmp.path());
        let dl = downloader(o.clone())
            .check_exception(false)
            .build()
            .unwrap();
        let init = dl.run_after_init().await.unwrap();
        let report = dl.album(JmId::new(438_516)).await.unwrap();
        assert!(report.is_complete(), "{name}: {:?}", failure_texts(&report));
        assert_eq!(report.page_paths().len(), 8, "{name}");
        match name {
            "option_test_api.yml" => {
                // advanced_retry: 3 rounds over the domains = the first and 2 more.
                assert_eq!(dl.options().client.retry_times, 2, "{name}");
                assert!(init.is_complete(), "{name}");
            }
            "option_workflow_download.yml" => {
                // login: its credentials come from variables that are not set: reported,
                // the download goes on.
                let f = init.entry_failures();
                assert_eq!(f.len(), 1, "{name}: {f:?}");
                assert!(
                    f[0].reason
                        .ends_with("not set: ${JM_PASSWORD}, ${JM_USERNAME}"),
                    "{}",
                    f[0].reason
                );
                // `after_download` is a group run by hand: its mail needs `${EMAIL_FROM}`.
                let by_hand = dl.run_plugin_group("after_download").await.unwrap();
                let reason = &by_hand.entry_failures()[0].reason;
                assert!(
                    reason.ends_with(
                        "not set: ${EMAIL_CONTENT}, ${EMAIL_FROM}, ${EMAIL_PASS}, ${EMAIL_TITLE}, ${EMAIL_TO}"
                    ),
                    "{reason}"
                );
            }
            "option_workflow_export_favorites.yml" => {
                assert!(init.is_complete(), "{name}: main runs by hand only");
                let by_hand = dl.run_plugin_group("main").await.unwrap();
                assert_eq!(by_hand.failures.len(), 3, "{name}: login, favourites, mail");
            }
            _ => assert!(init.is_complete(), "{name}"),
        }
    }
}

fn plugin_options(emu: &Emulator, base: &Path, plugins: &str) -> Options {
    options(
        emu,
        base,
        "Bd / {Aid} / {Pindex}",
        &format!("plugins:\n{plugins}"),
    )
}

#[tokio::test]
async fn a_failing_plugin_is_reported_unless_it_is_unsafe() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    // A file where the PDF's directory should be: the export fails.
    let blocker = tmp.path().join("blocked");
    std::fs::write(&blocker, "not a directory").unwrap();
    let entry = |safe: bool| {
        format!(
            "  after_album:\n    - plugin: img2pdf\n      safe: {safe}\n      kwargs:\n        pdf_dir: {}\n",
            serde_json::to_string(&blocker.join("sub").display().to_string()).unwrap()
        )
    };
    let safe = downloader(plugin_options(&emu, tmp.path(), &entry(true)))
        .check_exception(false)
        .build()
        .unwrap();
    let report = safe.album(JmId::new(438_516)).await.unwrap();
    assert_eq!(report.page_paths().len(), 8, "the download is done");
    let failures = failure_texts(&report);
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(
        failures[0].starts_with("plugin img2pdf of album 438516: cannot"),
        "{failures:?}"
    );

    let unsafe_ = downloader(plugin_options(&emu, tmp.path(), &entry(false)))
        .build()
        .unwrap();
    let err = unsafe_.album(JmId::new(438_516)).await.unwrap_err();
    assert!(matches!(err, Error::Stage { .. }), "{err:?}");
    assert_eq!(err.report().unwrap().page_paths().len(), 8);
}

#[tokio::test]
async fn unknown_keys_and_bad_arguments_follow_valid() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    // `raise`: the downloader is not built; the message lists the keys and the nearest one.
    let o = plugin_options(
        &emu,
        tmp.path(),
        "  valid: raise\n  after_album:\n    - plugin: zipp\n",
    );
    let err = downloader(o).build().unwrap_err();
    let text = err.to_string();
    assert!(err.is_usage(), "{err:?}");
    assert!(
        text.contains("unknown plugin `zipp` (did you mean `zip`?)"),
        "{text}"
    );
    assert!(
        text.contains("img2pdf") && text.contains("long_img"),
        "{text}"
    );
    // `log` (the default): a warning, the entry skipped, the download done.
    let o = plugin_options(&emu, tmp.path(), "  after_album:\n    - plugin: zipp\n");
    let report = downloader(o)
        .build()
        .unwrap()
        .album(JmId::new(438_516))
        .await
        .unwrap();
    assert!(report.is_complete());
    // A plugin in a group where it cannot work, with an entry's own `valid: raise`.
    let o = plugin_options(
        &emu,
        tmp.path(),
        "  before_image:\n    - plugin: zip\n      valid: raise\n",
    );
    let text = downloader(o).build().unwrap_err().to_string();
    assert!(text.contains("cannot run in `before_image`"), "{text}");
    // Bad arguments at run time: `valid: raise` fails the download, `ignore` skips.
    let bad = |valid: &str| {
        format!(
            "  after_album:\n    - plugin: zip\n      valid: {valid}\n      kwargs:\n        encrypt: {{}}\n"
        )
    };
    let err = downloader(plugin_options(&emu, tmp.path(), &bad("raise")))
        .build()
        .unwrap()
        .album(JmId::new(438_516))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("needs `password: ...` or `type: random`"),
        "{err}"
    );
    let report = downloader(plugin_options(&emu, tmp.path(), &bad("ignore")))
        .build()
        .unwrap()
        .album(JmId::new(438_516))
        .await
        .unwrap();
    assert!(report.is_complete() && report.outputs.iter().all(|o| o.kind != "zip"));
}

#[tokio::test]
async fn filters_and_path_replacements() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let o = options(
        &emu,
        tmp.path(),
        "Bd / {Atitle} / {Pindex}",
        "plugins:\n  after_init:\n    - plugin: image_suffix_filter\n      kwargs: {allowed_orig_suffix: [jpg, .WEBP]}\n    - plugin: replace_path_string\n      kwargs: {replace: {Plain: Simple, Series: Set}}\n  before_photo:\n    - plugin: skip_photo_with_few_images\n      kwargs: {at_least_image_count: 5}\n",
    );
    let report = downloader(o)
        .build()
        .unwrap()
        .album(JmId::new(421_925))
        .await
        .unwrap();
    // Chapters of 5, 6 and 4 pages: the last is skipped.
    let skipped: Vec<bool> = report.chapters.iter().map(|c| c.skipped).collect();
    assert_eq!(skipped, [false, false, true]);
    // No page of another suffix was fetched.
    for c in &report.chapters {
        for p in &c.pages {
            let kept = p.file_name.ends_with(".jpg") || p.file_name.ends_with(".webp");
            assert_eq!(
                !matches!(p.outcome, PageOutcome::Skipped),
                kept && !c.skipped
            );
        }
    }
    for p in report.page_paths() {
        assert!(
            p.starts_with(tmp.path().join("Simple ASCII Set")),
            "{}",
            p.display()
        );
    }
}

#[tokio::test]
async fn find_update_downloads_only_the_chapters_after_the_given_one() {
    // Through either protocol: the job asks the downloader's client.
    for protocol in ["api", "html"] {
        let emu = Emulator::start().unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let mut o = plugin_options(
            &emu,
            tmp.path(),
            "  after_init:\n    - plugin: find_update\n      kwargs:\n        220979: 220980\n        268849: 999\n",
        );
        o.client.impl_name = protocol.to_owned();
        o.client.domain = DomainSetting::PerImpl(vec![
            ("api".to_owned(), emu.api_domains()),
            ("html".to_owned(), emu.html_domains()),
        ]);
        let dl = downloader(o).build().unwrap();
        let run = dl.run_after_init().await.unwrap();
        let batch = &run.downloads[0];
        let downloaded = |i: usize| -> Vec<JmId> {
            batch.items[i]
                .1
                .as_ref()
                .unwrap()
                .chapters
                .iter()
                .filter(|c| !c.skipped)
                .map(|c| c.id)
                .collect()
        };
        assert_eq!(downloaded(0), [JmId::new(220_981)], "{protocol}");
        // A chapter not in the album: nothing is known to be new, nothing is downloaded.
        assert!(downloaded(1).is_empty(), "{protocol}");
        let requests = emu.requests();
        assert!(
            !requests
                .iter()
                .any(|r| r.path().starts_with("/media/photos/220979/")),
            "{protocol}: no page of the chapters before was fetched"
        );
        // The web client asked the web pages, the API client the API.
        let asked_web = requests.iter().any(|r| r.path().starts_with("/album/"));
        let asked_api = requests.iter().any(|r| r.path() == "/album");
        assert_eq!(
            (asked_web, asked_api),
            (protocol == "html", protocol == "api")
        );
    }
}

#[tokio::test]
async fn subscribe_album_update_mails_downloads_and_writes_the_file_back() {
    let emu = Emulator::start().unwrap();
    let server = SmtpServer::start(Config::new(ServerTls::Implicit, "auth-code")).await;
    let tmp = tempfile::tempdir().unwrap();
    let ca = tmp.path().join("ca.pem");
    std::fs::write(&ca, &server.certificate_pem).unwrap();
    let path = tmp.path().join("option.yml");
    let text = format!(
        "# my subscriptions\nclient:\n  domain: {api}\n  image_domain: {img}\ndir_rule:\n  base_dir: {base}\n  rule: Bd / {{Aid}} / {{Pindex}}\nplugins:\n  after_init:\n    - plugin: subscribe_album_update # checks for new chapters\n      kwargs:\n        email_notify:\n          msg_from: me@qq.com\n          msg_to: me@qq.com\n          password: auth-code\n          title: album update !!!\n          content: new chapters\n          host: 127.0.0.1\n          port: {port}\n          ca_cert: {ca}\n        album_photo_dict:\n          220979: 220979 # first chapter seen\n          438516: 438516\n",
        api = serde_json::to_string(&emu.api_domains()).unwrap(),
        img = serde_json::to_string(&emu.image_domains()).unwrap(),
        base = serde_json::to_string(&tmp.path().join("dl").display().to_string()).unwrap(),
        port = server.addr.port(),
        ca = serde_json::to_string(&ca.display().to_string()).unwrap(),
    );
    std::fs::write(&path, &text).unwrap();
    let dl = downloader(Options::from_file(&path).unwrap())
        .build()
        .unwrap();
    let run = dl.run_after_init().await.unwrap();
    assert!(run.is_complete(), "{:?}", run.entry_failures());
    // The two new chapters of 220979 were downloaded; 438516 has none.
    let chapters: Vec<Target> = run.downloads[0].items.iter().map(|(t, _)| *t).collect();
    assert_eq!(
        chapters,
        [
            Target::chapter(JmId::new(220_980)),
            Target::chapter(JmId::new(220_981))
        ]
    );
    assert!(run.downloads[0].all_succeeded());
    // One mail, about the album with new chapters.
    let sessions = server.sessions();
    assert_eq!(sessions.len(), 1);
    let mail = String::from_utf8_lossy(sessions[0].data.as_ref().unwrap()).into_owned();
    assert!(mail.contains("album update !!!"), "{mail}");
    // The file now names the newest chapter; every comment and everything else is kept.
    let after = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        after,
        text.replace("220979: 220979 # first", "220979: 220981 # first")
    );
    // A second run finds nothing new.
    let dl = downloader(Options::from_file(&path).unwrap())
        .build()
        .unwrap();
    let run = dl.run_after_init().await.unwrap();
    assert!(run.downloads.is_empty(), "{:?}", run.notes);
    assert_eq!(server.sessions().len(), 1);
}

#[tokio::test]
async fn send_qq_email_after_the_album_over_tls() {
    let emu = Emulator::start().unwrap();
    let server = SmtpServer::start(Config::new(ServerTls::Implicit, "auth-code")).await;
    let tmp = tempfile::tempdir().unwrap();
    let ca = tmp.path().join("ca.pem");
    std::fs::write(&ca, &server.certificate_pem).unwrap();
    let plugins = format!(
        "  after_album:\n    - plugin: send_qq_email\n      kwargs:\n        msg_from: sender@qq.com\n        msg_to: reader@example.com\n        password: auth-code\n        title: jmcomic\n        content: jmcomic finished !!!\n        host: 127.0.0.1\n        port: {}\n        ca_cert: {}\n",
        server.addr.port(),
        serde_json::to_string(&ca.display().to_string()).unwrap()
    );
    let report = downloader(plugin_options(&emu, tmp.path(), &plugins))
        .build()
        .unwrap()
        .album(JmId::new(438_516))
        .await
        .unwrap();
    assert!(report.is_complete());
    let sessions = server.sessions();
    assert_eq!(sessions.len(), 1);
    assert!(sessions[0].tls);
    assert_eq!(sessions[0].recipients, ["reader@example.com"]);
    assert_eq!(sessions[0].logins[0].password, "auth-code");

    // A wrong password is a reported failure (the Python plugin ignores send errors).
    let wrong = plugins.replace("password: auth-code", "password: wrong");
    let report = downloader(plugin_options(&emu, tmp.path(), &wrong))
        .check_exception(false)
        .build()
        .unwrap()
        .album(JmId::new(438_516))
        .await
        .unwrap();
    let failures = failure_texts(&report);
    assert_eq!(failures.len(), 1);
    assert!(
        failures[0].starts_with("plugin send_qq_email of album 438516"),
        "{failures:?}"
    );
}

#[tokio::test]
async fn pages_are_deleted_only_after_every_export_is_checked() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let zips = tmp.path().join("zips");
    let plugins = format!(
        "  after_photo:\n    - plugin: zip\n      kwargs: {{zip_dir: {z}, delete_original_file: true}}\n  after_album:\n    - plugin: long_img\n      kwargs: {{img_dir: {z}}}\n",
        z = serde_json::to_string(&zips.display().to_string()).unwrap()
    );
    let report = downloader(plugin_options(&emu, tmp.path(), &plugins))
        .build()
        .unwrap()
        .album(JmId::new(268_849))
        .await
        .unwrap();
    assert!(report.is_complete(), "{:?}", failure_texts(&report));
    // The long image of the album was made from the pages after every chapter's zip...
    let long = report.export_paths("png");
    assert_eq!(long.len(), 1);
    let (_, h, _) = png_pixels(&long[0]);
    assert!(h > 0);
    // ...and then the pages went, with their folders.
    assert_eq!(report.export_paths("zip").len(), 3);
    for p in report.page_paths() {
        assert!(!p.exists(), "{}", p.display());
    }
    assert!(!report.album_dir.as_ref().unwrap().exists());

    // When an export over the pages fails, no page is deleted.
    let tmp = tempfile::tempdir().unwrap();
    let blocker = tmp.path().join("blocked");
    std::fs::write(&blocker, "x").unwrap();
    let plugins = format!(
        "  after_album:\n    - plugin: zip\n      kwargs: {{zip_dir: {z}, delete_original_file: true}}\n    - plugin: img2pdf\n      kwargs: {{pdf_dir: {b}}}\n",
        z = serde_json::to_string(&tmp.path().join("zips").display().to_string()).unwrap(),
        b = serde_json::to_string(&blocker.join("in").display().to_string()).unwrap()
    );
    let report = downloader(plugin_options(&emu, tmp.path(), &plugins))
        .check_exception(false)
        .build()
        .unwrap()
        .album(JmId::new(268_849))
        .await
        .unwrap();
    assert_eq!(report.export_paths("zip").len(), 1);
    assert_eq!(report.stage_failures.len(), 1);
    for p in report.page_paths() {
        assert!(p.exists(), "{} was kept", p.display());
    }
}

#[tokio::test]
async fn calibre_metadata_duplicates_and_covers() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let album_dir = tmp.path().join("1180203");
    std::fs::create_dir_all(&album_dir).unwrap();
    for name in ["ad1.png", "ad2.png", "ad3.png"] {
        std::fs::write(album_dir.join(name), b"the same advert").unwrap();
    }
    let plugins = format!(
        "  before_album:\n    - plugin: download_cover\n      kwargs:\n        dir_rule: {{base_dir: {b}, rule: 'covers/{{Aid}}.jpg'}}\n  after_album:\n    - plugin: delete_duplicated_files\n      kwargs: {{limit: 3}}\n    - plugin: calibre_metadata\n      kwargs:\n        include_cover: true\n        fields: {{language: zh, publisher: JM, shelf: x}}\n",
        b = serde_json::to_string(&tmp.path().display().to_string()).unwrap()
    );
    let dl = downloader(plugin_options(&emu, tmp.path(), &plugins))
        .build()
        .unwrap();
    let report = dl.album(JmId::new(1_180_203)).await.unwrap();
    assert!(report.is_complete(), "{:?}", failure_texts(&report));
    // The three identical files went; the pages stayed.
    for name in ["ad1.png", "ad2.png", "ad3.png"] {
        assert!(!album_dir.join(name).exists());
    }
    assert_eq!(report.page_paths().len(), 6);
    assert!(report.page_paths().iter().all(|p| p.exists()));
    // The cover where its rule says, identical to the CDN's.
    let cover = tmp.path().join("covers/1180203.jpg");
    assert!(cover.is_file());
    // The OPF: identifier, title, authors, tags, extra Dublin Core fields; cover.jpg.
    let opf = std::fs::read_to_string(album_dir.join("metadata.opf")).unwrap();
    let doc = roxmltree::Document::parse(&opf).unwrap();
    let dc = |name: &str| -> Vec<String> {
        doc.descendants()
            .filter(|n| {
                n.tag_name().name() == name
                    && n.tag_name().namespace() == Some("http://purl.org/dc/elements/1.1/")
            })
            .filter_map(|n| n.text().map(str::to_owned))
            .collect()
    };
    assert_eq!(dc("identifier"), ["jmcomic:1180203"]);
    assert_eq!(dc("title"), [r#"Reserved / \ : * ? " < > | chars"#]);
    assert_eq!(dc("creator"), ["Path/Breaker"]);
    assert_eq!(dc("subject"), ["reserved", "windows"]);
    assert_eq!(dc("language"), ["zh"]);
    assert_eq!(dc("publisher"), ["JM"]);
    assert!(album_dir.join("cover.jpg").is_file());
    assert!(opf.contains(r#"name="cover""#));

    // A second run finds the cover on disk and does not fetch it again.
    emu.clear_requests();
    dl.album(JmId::new(1_180_203)).await.unwrap();
    let fetched_cover = emu
        .requests()
        .iter()
        .filter(|r| r.path().starts_with("/media/albums/"))
        .count();
    assert_eq!(fetched_cover, 0, "covers on disk are not fetched again");

    // Without an album folder of its own, delete_duplicated_files refuses to scan.
    let flat = tempfile::tempdir().unwrap();
    let o = options(
        &emu,
        flat.path(),
        "Bd / {Pindex}",
        "plugins:\n  after_album:\n    - plugin: delete_duplicated_files\n      kwargs: {limit: 1}\n",
    );
    let report = downloader(o)
        .check_exception(false)
        .build()
        .unwrap()
        .album(JmId::new(438_516))
        .await
        .unwrap();
    let failures = failure_texts(&report);
    assert!(failures[0].contains("no folder of its own"), "{failures:?}");
    assert_eq!(files_under(flat.path()).len(), 8, "nothing deleted");
}

/// The zip plugin's encryption modes as a Python user writes them: a 7z with its file list
/// hidden, and a random password stored in the ZIP's comment (and logged).
#[tokio::test]
async fn zip_plugin_7z_and_random_passwords() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let z = serde_json::to_string(&tmp.path().join("z").display().to_string()).unwrap();
    let plugins = format!(
        "  after_album:\n    - plugin: zip\n      kwargs: {{zip_dir: {z}, filename_rule: Aid, encrypt: {{impl: 7z, password: s3cret}}}}\n    - plugin: zip\n      kwargs: {{zip_dir: {z}, filename_rule: Aid, encrypt: {{type: random}}}}\n"
    );
    let report = downloader(plugin_options(&emu, tmp.path(), &plugins))
        .build()
        .unwrap()
        .album(JmId::new(438_516))
        .await
        .unwrap();
    assert!(report.is_complete(), "{:?}", failure_texts(&report));
    let seven = tmp.path().join("z/438516.7z");
    // Without the password, not even the names can be listed.
    let listed = tool(
        "7z",
        &["l", "-pwrong", seven.to_str().unwrap()],
        "p7zip-full",
    );
    assert!(!listed.status.success());
    assert!(!String::from_utf8_lossy(&listed.stdout).contains("00001.webp"));
    let out = tempfile::tempdir().unwrap();
    crate::readers::seven_zip_extract(&seven, "s3cret", out.path()).unwrap();
    assert_eq!(crate::support::files_under(out.path()).len(), 8);

    // The random password is the archive's comment (as in the Python package) and opens it.
    let zip = tmp.path().join("z/438516.zip");
    // Python's zipfile reads the comment (it cannot decrypt WinZip AES entries).
    let out = tool(
        "python3",
        &[
            "-c",
            "import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).comment.decode())",
            zip.to_str().unwrap(),
        ],
        "python3",
    );
    let comment = String::from_utf8_lossy(&out.stdout).into_owned();
    let password = comment.lines().next().unwrap().trim().to_owned();
    assert_eq!(password.len(), 48, "{comment}");
    let out = tempfile::tempdir().unwrap();
    crate::readers::seven_zip_extract(&zip, &password, out.path()).unwrap();
    assert_eq!(crate::support::files_under(out.path()).len(), 8);
    assert!(
        crate::readers::seven_zip_extract(&zip, "guess", tempfile::tempdir().unwrap().path())
            .is_err()
    );
}

/// A Python user's favourites workflow (`login` in `after_init`, `favorite_folder_export`
/// in `main`, run by hand) against the emulator's account: one quoted CSV per non-empty
/// folder with the account's favourites, packed into an AES zip that 7-Zip opens with the
/// password only.
#[tokio::test]
async fn login_then_favorite_folder_export_writes_every_folder() {
    use jmcomic_emulator::{DEFAULT_PASSWORD, DEFAULT_USERNAME, UserSpec};
    // Favourites in the default folder and in a named one (with a comma in its name: the
    // CSV must quote it), so more than one file is written.
    let user = UserSpec::default_user()
        .with_folder("a, b")
        .with_favorite(438_516, None)
        .with_favorite(220_979, Some("a, b"))
        .with_favorite(421_925, Some("a, b"));
    let emu = Emulator::builder().account(user).start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let save = t.join("export");
    let zip = t.join("favs.zip");
    let yaml = format!(
        "client:\n  domain: {api}\n  image_domain: {img}\ndir_rule:\n  base_dir: {base}\nplugins:\n  after_init:\n    - plugin: login\n      kwargs: {{username: {DEFAULT_USERNAME}, password: {DEFAULT_PASSWORD}}}\n  main:\n    - plugin: favorite_folder_export\n      kwargs:\n        save_dir: {save}\n        zip_enable: true\n        zip_filepath: {zip}\n        zip_password: zpw-1\n",
        api = serde_json::to_string(&emu.api_domains()).unwrap(),
        img = serde_json::to_string(&emu.image_domains()).unwrap(),
        base = serde_json::to_string(&t.join("base")).unwrap(),
        save = serde_json::to_string(&save).unwrap(),
        zip = serde_json::to_string(&zip).unwrap(),
    );
    let o = Options::from_yaml_str(&yaml).unwrap();
    let dl = downloader(o).build().unwrap();
    let init = dl.run_after_init().await.unwrap();
    assert!(init.is_complete(), "{:?}", init.entry_failures());
    assert!(dl.client().is_logged_in());
    // Favourites in a named folder too, so more than one file is written.
    let state = emu.user_state(DEFAULT_USERNAME).unwrap();
    assert!(
        !state.favorites.is_empty(),
        "the default account starts with favourites"
    );
    let main = dl.run_plugin_group("main").await.unwrap();
    assert!(main.is_complete(), "{:?}", main.entry_failures());

    let mut by_folder = std::collections::BTreeMap::<u64, Vec<u64>>::new();
    for (album, fid) in &state.favorites {
        by_folder.entry(0).or_default().push(*album);
        if *fid != 0 {
            by_folder.entry(*fid).or_default().push(*album);
        }
    }
    let mut files = Vec::new();
    for (fid, albums) in &by_folder {
        let name = if *fid == 0 {
            "全部".to_owned()
        } else {
            state
                .folders
                .iter()
                .find(|f| f.0 == *fid)
                .unwrap()
                .1
                .clone()
        };
        let path = save.join(format!("【{fid}】{name}.csv"));
        // Read by Python's csv module, not by the crate that wrote it.
        let out = tool(
            "python3",
            &[
                "-c",
                "import csv,json,sys; print(json.dumps(list(csv.reader(open(sys.argv[1], encoding='utf-8', newline='')))))",
                path.to_str().unwrap(),
            ],
            "python3",
        );
        assert!(out.status.success(), "{out:?}");
        let rows: Vec<Vec<String>> = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(rows[0], ["id", "author", "name"]);
        let mut ids: Vec<u64> = rows[1..].iter().map(|r| r[0].parse().unwrap()).collect();
        ids.sort_unstable();
        let mut want = albums.clone();
        want.sort_unstable();
        assert_eq!(ids, want, "{}", path.display());
        files.push(path);
    }
    let outputs: Vec<&PathBuf> = main.outputs.iter().map(|o| &o.path).collect();
    assert!(outputs.contains(&&zip), "{outputs:?}");
    // 7-Zip reads every CSV back from the zip, with the password and not without.
    let out_dir = t.join("unzipped");
    let x = tool(
        "7z",
        &[
            "x",
            "-pzpw-1",
            &format!("-o{}", out_dir.display()),
            zip.to_str().unwrap(),
        ],
        "p7zip-full",
    );
    assert!(x.status.success(), "{x:?}");
    for f in &files {
        assert_eq!(
            std::fs::read(out_dir.join(f.file_name().unwrap())).unwrap(),
            std::fs::read(f).unwrap()
        );
    }
    let wrong = tool("7z", &["t", "-pnope", zip.to_str().unwrap()], "p7zip-full");
    assert!(!wrong.status.success());
}
