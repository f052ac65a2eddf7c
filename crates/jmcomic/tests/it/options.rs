//! Option files: the Python package's files load unchanged, every key is applied, and
//! mistakes give messages with file, line and key.

use std::path::{Path, PathBuf};

use jmcomic::dir_rule::ZhTarget;
use jmcomic::options::{
    DomainSetting, EncoderPreset, LogMode, OPTION_PATH_ENV, OptionError, OptionLookup, Options,
    Origin, PngLevel, ProxySetting, Rate, StateFileSetting, VerifyLevel, Via, cpu_count,
};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/options")
        .join(name)
}

/// An environment with only these variables.
fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

fn no_env(_: &str) -> Option<String> {
    None
}

fn yaml(text: &str) -> Options {
    Options::from_yaml_str_with_env(text, &no_env).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn yaml_err(text: &str) -> String {
    match Options::from_yaml_str_with_env(text, &no_env) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e.to_string(),
    }
}

/// Writes `text` to `name` in a temporary directory and loads it.
fn load_temp(name: &str, text: &str) -> (tempfile::TempDir, Result<Options, OptionError>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write");
    let r = Options::from_file_with_env(&path, &no_env);
    (dir, r)
}

fn group<'a>(o: &'a Options, name: &str) -> &'a [jmcomic::options::PluginEntry] {
    o.plugins
        .groups
        .iter()
        .find(|(g, _)| g == name)
        .map_or(&[], |(_, e)| e.as_slice())
}

const PYTHON_FILES: [&str; 6] = [
    "doc_full_example.yml",
    "doc_plugins_example.yml",
    "option_test_api.yml",
    "option_test_html.yml",
    "option_workflow_download.yml",
    "option_workflow_export_favorites.yml",
];

#[test]
fn every_python_option_file_loads() {
    // The workflow file's base_dir is `${JM_DOWNLOAD_DIR}`, set by its CI job.
    let env = env_of(&[("JM_DOWNLOAD_DIR", "/tmp/jm-download")]);
    for name in PYTHON_FILES {
        let o =
            Options::from_file_with_env(data(name), &env).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(o.source.as_deref(), Some(data(name).as_path()));
        assert_eq!(o.origin, Origin::File(Via::Program));
        let plugins = o.plugin_entries();
        let entries: usize = o.plugins.groups.iter().map(|(_, e)| e.len()).sum();
        assert_eq!(plugins.len(), entries, "{name}");
        o.client_builder()
            .expect("builder")
            .build()
            .unwrap_or_else(|e| panic!("{name}: client: {e}"));
    }
}

#[test]
fn doc_full_example_values() {
    let o = Options::from_file_with_env(data("doc_full_example.yml"), &no_env).expect("loads");
    assert_eq!(o.log, LogMode::On);
    assert_eq!(o.client.impl_name, "html");
    assert_eq!(o.client.async_impl.as_deref(), Some("async_api"));
    assert_eq!(o.client.retry_times, 5);
    assert_eq!(o.client.cache, None);
    assert_eq!(
        o.client.domain.domains_for("html"),
        ["18comic.vip", "18comic.org"]
    );
    assert_eq!(
        o.client.domain.domains_for("api"),
        ["www.jmapiproxyxxx.vip"]
    );
    assert_eq!(o.client.postman.meta_data.proxies, ProxySetting::System);
    assert_eq!(
        o.client.postman.meta_data.cookies,
        [("AVS".to_owned(), "qkwehjjasdowqeq".to_owned())]
    );
    assert!(o.download.cache);
    assert!(o.download.image.decode);
    assert_eq!(o.download.image.suffix.as_deref(), Some(".jpg"));
    assert_eq!(o.download.threading.image, 30);
    assert_eq!(o.download.threading.photo, 16);
    assert_eq!(o.dir_rule.rule(), "Bd / Ptitle");
    // `D:/a/b/c/` is absolute on Windows and made absolute against the current directory
    // elsewhere, like Python's os.path.abspath.
    assert!(o.dir_rule.base_dir().is_absolute());
    assert!(
        o.dir_rule.base_dir().ends_with("D:/a/b/c"),
        "{:?}",
        o.dir_rule.base_dir()
    );
    assert_eq!(o.dir_rule.normalize_zh(), None);
    assert!(o.plugin_entries().is_empty());
    // `impl: html` builds the web client, on the file's web domains.
    assert!(
        !o.notices().iter().any(|n| n.contains("impl")),
        "{:?}",
        o.notices()
    );
    let client = o
        .client_builder()
        .expect("builder")
        .build()
        .expect("client");
    assert_eq!(client.protocol(), jmcomic_client::ProtocolKind::Html);
    assert_eq!(
        client.html_domains(),
        ["https://18comic.vip", "https://18comic.org"]
    );
}

#[test]
fn doc_plugins_example_is_parsed() {
    let o = Options::from_file_with_env(data("doc_plugins_example.yml"), &no_env).expect("loads");
    let names: Vec<&str> = o.plugins.groups.iter().map(|(g, _)| g.as_str()).collect();
    assert_eq!(
        names,
        [
            "after_init",
            "before_album",
            "after_album",
            "main",
            "before_photo",
            "after_photo"
        ]
    );
    let list = o.plugin_entries();
    assert_eq!(list.len(), 19);
    assert_eq!(
        list[0],
        ("after_init".to_owned(), "download_progress".to_owned())
    );
    assert!(list.contains(&("after_photo".to_owned(), "long_img".to_owned())));

    // YAML int keys become text, values keep their types (spec §3.7).
    let find_update = &group(&o, "after_init")[3];
    assert_eq!(find_update.plugin, "find_update");
    assert_eq!(find_update.kwargs["145504"], serde_json::json!(290_266));
    let usage = &group(&o, "after_init")[1];
    assert_eq!(usage.kwargs["interval"], serde_json::json!(0.5));
    assert!(usage.safe && usage.log);

    // No `version`: migrations run, but a zip without `level` stays in its group.
    assert_eq!(group(&o, "after_album")[0].plugin, "zip");
    assert_eq!(group(&o, "main")[0].plugin, "favorite_folder_export");
    assert!(!group(&o, "main")[0].log);

    // `${EMAIL}` is kept as written and expanded only on demand.
    let mail = &group(&o, "after_album")[2];
    assert_eq!(mail.kwargs["msg_from"], "${EMAIL}");
    let err = mail.expanded_kwargs_with(&no_env).expect_err("EMAIL unset");
    let msg = err.to_string();
    assert!(
        msg.contains("EMAIL") && msg.contains("send_qq_email"),
        "{msg}"
    );
    let kw = mail
        .expanded_kwargs_with(&env_of(&[("EMAIL", "me@example.com")]))
        .expect("expanded");
    assert_eq!(kw["msg_from"], "me@example.com");
    assert_eq!(kw["password"], "dkjlakdjlkas", "other values untouched");
}

#[test]
fn ci_option_files_values() {
    let api = Options::from_file_with_env(data("option_test_api.yml"), &no_env).expect("api");
    assert_eq!(api.dir_rule.normalize_zh(), Some(ZhTarget::Cn));
    assert_eq!(api.dir_rule.rule(), "Bd_Aauthor_Aid_Pindextitle");
    assert_eq!(api.client.impl_name, "api");
    assert_eq!(api.client.retry_times, 3);
    assert_eq!(api.client.postman.meta_data.timeout, Some(15.0));
    assert_eq!(
        api.client.domain.domains_for("html"),
        ["jmcomic1.me", "jmcomic.me"]
    );
    assert!(
        api.client.domain.domains_for("api").is_empty(),
        "api uses the built-in list"
    );
    assert_eq!(api.plugin_entries().len(), 3);
    let retry = &group(&api, "after_init")[2];
    assert_eq!(retry.kwargs["retry_config"]["retry_rounds"], 3);

    let html = Options::from_file_with_env(data("option_test_html.yml"), &no_env).expect("html");
    assert_eq!(html.client.impl_name, "html");
    assert_eq!(html.client.postman.meta_data.timeout, Some(7.0));
    assert_eq!(html.client.domain.domains_for("html").len(), 3);
}

#[test]
fn workflow_files_values() {
    let env = env_of(&[("JM_DOWNLOAD_DIR", "/tmp/jm-download")]);
    let o = Options::from_file_with_env(data("option_workflow_download.yml"), &env).expect("loads");
    assert_eq!(o.log, LogMode::Pretty);
    assert_eq!(o.dir_rule.base_dir(), Path::new("/tmp/jm-download"));
    assert_eq!(o.dir_rule.rule(), "Bd_Aauthor_Atitle_Pindex");
    let login = &group(&o, "after_init")[2];
    assert_eq!(login.kwargs["username"], "${JM_USERNAME}");
    assert_eq!(group(&o, "after_download").len(), 1);

    // Without the variable the file does not load (as in Python), and says why.
    let err = Options::from_file_with_env(data("option_workflow_download.yml"), &no_env)
        .expect_err("JM_DOWNLOAD_DIR unset");
    let msg = err.to_string();
    assert!(
        msg.contains("option_workflow_download.yml:5: dir_rule.base_dir"),
        "{msg}"
    );
    assert!(msg.contains("`JM_DOWNLOAD_DIR` is not set"), "{msg}");
    assert_eq!(err.line(), Some(5));
    assert_eq!(err.key(), Some("dir_rule.base_dir"));

    let fav = Options::from_file_with_env(data("option_workflow_export_favorites.yml"), &no_env)
        .expect("loads");
    let main: Vec<&str> = group(&fav, "main")
        .iter()
        .map(|e| e.plugin.as_str())
        .collect();
    assert_eq!(main, ["login", "favorite_folder_export", "send_qq_email"]);
}

#[test]
fn every_key_is_applied_yaml_extension() {
    let o = Options::from_file_with_env(data("all_keys.yaml"), &no_env).expect("loads");
    assert_eq!(
        o.download.archive.as_deref(),
        Some(std::path::Path::new("/srv/comics/jm.archive"))
    );
    assert!(o.download.album_json);
    assert_eq!(o.log, LogMode::Pretty);

    assert_eq!(o.dir_rule.rule(), "Bd / {Aauthor} / {Pindex:03}-{Pname}");
    assert_eq!(o.dir_rule.base_dir(), Path::new("/srv/comics"));
    assert_eq!(o.dir_rule.normalize_zh(), Some(ZhTarget::Tw));

    let d = &o.download;
    assert!(!d.cache);
    assert!(!d.image.decode);
    assert_eq!(d.image.suffix.as_deref(), Some(".png"));
    assert_eq!(d.image.encoder, EncoderPreset::Pillow);
    assert_eq!(d.image.webp_quality, Some(90.0));
    assert_eq!(d.image.webp_method, Some(6));
    assert_eq!(d.image.jpeg_quality, Some(95));
    assert_eq!(d.image.png_compression, Some(PngLevel::High));
    assert_eq!(d.image.verify, VerifyLevel::Full);
    assert_eq!(
        (
            d.threading.image,
            d.threading.photo,
            d.threading.album,
            d.threading.cpu
        ),
        (7, 3, 4, 5)
    );
    let enc = d.image.encode_settings();
    assert_eq!(
        (enc.webp.quality, enc.webp.method, enc.jpeg_quality),
        (90.0, 6, 95)
    );
    assert_eq!(enc.png, jmcomic_image::PngCompression::High);
    assert_eq!(d.image.verify_mode(), jmcomic_image::Verify::Full);
    // `auto` (the default): decode raw pages when decoding is on, not when it is off.
    let auto = Options::from_yaml_str("download:\n  image:\n    decode: false\n").unwrap();
    assert_eq!(auto.download.image.verify, VerifyLevel::Auto);
    assert_eq!(
        auto.download.image.verify_mode(),
        jmcomic_image::Verify::Structure
    );
    assert_eq!(
        Options::default().download.image.verify_mode(),
        jmcomic_image::Verify::Full
    );
    assert_eq!(d.image.suffix_format(), Some(jmcomic_image::Format::Png));

    let c = &o.client;
    assert_eq!(c.impl_name, "api");
    assert_eq!(c.async_impl.as_deref(), Some("async_api"));
    assert_eq!(c.retry_times, 2);
    assert_eq!(c.cache, Some(serde_json::json!("level_client")));
    assert_eq!(
        c.domain,
        DomainSetting::List(vec!["api1.example".into(), "api2.example".into()])
    );
    assert_eq!(
        c.image_domain.domains_for("api"),
        ["cdn1.example", "cdn2.example"]
    );
    assert_eq!(c.app_version.as_deref(), Some("2.0.99"));
    assert_eq!(c.timeout, Some(12.5));
    assert!(!c.verify_tls);
    assert_eq!(
        c.session_file.as_deref(),
        Some(Path::new("/srv/comics/.jm-session.json"))
    );
    assert_eq!(
        c.dns,
        jmcomic_client::DnsMode::DohUrls(vec![
            "https://1.1.1.1/dns-query".into(),
            "https://dns.google/dns-query".into()
        ])
    );
    assert_eq!(c.rate_limit.all, Some(Rate::new(10, 60.0)));
    assert_eq!(c.rate_limit.api, Some(Rate::new(5, 10.0)));
    assert_eq!(c.rate_limit.cdn, Some(Rate::new(20, 1.5)));
    assert_eq!(
        c.state_file,
        StateFileSetting::Path("/srv/comics/.jm-domains.json".into())
    );
    assert_eq!(c.postman.kind, "requests");
    let m = &c.postman.meta_data;
    assert_eq!(m.impersonate.as_deref(), Some("safari"));
    assert_eq!(
        m.headers[0],
        ("user-agent".to_owned(), "test-agent".to_owned())
    );
    assert_eq!(
        m.proxies,
        ProxySetting::Url("socks5://10.0.0.2:1080".into())
    );
    assert_eq!(m.cookies[1], ("ipcountry".to_owned(), "1".to_owned()));
    assert_eq!(m.timeout, Some(9.0));
    assert_eq!(m.verify, Some(true));

    assert_eq!(o.plugins.valid, "raise");
    assert_eq!(
        o.plugins.dependencies_strategy.as_deref(),
        Some("ignore-only-log")
    );
    let login = &group(&o, "after_init")[0];
    assert!(!login.safe && !login.log);
    assert_eq!(login.valid.as_deref(), Some("ignore"));
    // version 2.1: no zip migration.
    assert_eq!(group(&o, "after_album")[0].kwargs["level"], "photo");

    let notices = o.notices().join("\n");
    assert!(
        notices.contains("headers") && notices.contains("impersonate"),
        "{notices}"
    );
    // Debug output hides secrets.
    let debug = format!("{o:?}");
    for secret in ["cookie-secret-value", "hunter2", "topsecret"] {
        assert!(!debug.contains(secret), "{secret} in {debug}");
    }
}

#[test]
fn json_file() {
    let o = Options::from_file_with_env(data("all_keys.json"), &no_env).expect("loads");
    assert_eq!(o.log, LogMode::Off);
    assert_eq!(o.dir_rule.rule(), "Bd_Aid_Pindex");
    assert_eq!(o.download.image.suffix.as_deref(), Some(".webp"));
    assert_eq!(o.download.threading.image, 8);
    assert!(o.download.cache, "absent keys keep defaults");
    assert_eq!(o.client.impl_name, "html");
    // `metadata` is an alias of `meta_data`; explicit null proxies = no proxy.
    assert_eq!(o.client.postman.meta_data.proxies, ProxySetting::None);
    assert_eq!(o.client.postman.meta_data.cookies[0].1, "x");
    assert_eq!(o.client.dns, jmcomic_client::DnsMode::Doh);
    assert_eq!(o.client.rate_limit.all, None);
    assert_eq!(o.client.rate_limit.cdn, Some(Rate::new(3, 1.0)));
    assert_eq!(o.client.state_file, StateFileSetting::Off);
    assert_eq!(o.state_file(), None);
    assert_eq!(group(&o, "after_photo")[0].plugin, "img2pdf");
    // impl html: the web client on the `html` entry (the `api` entry is kept for the API).
    let client = o
        .client_builder()
        .expect("builder")
        .build()
        .expect("client");
    assert_eq!(client.protocol(), jmcomic_client::ProtocolKind::Html);
    assert_eq!(client.html_domains(), ["https://18comic.vip"]);
    assert_eq!(client.api_domains(), ["https://www.api.example"]);

    let text = std::fs::read_to_string(data("all_keys.json")).expect("read");
    assert_eq!(
        Options::from_json_str_with_env(&text, &no_env)
            .expect("str")
            .source,
        None
    );
}

#[test]
fn from_env_variable() {
    // A name no other test uses: the process environment is shared between tests.
    const VAR: &str = "JMCOMIC_RS_TEST_OPTION_PATH_FROM_ENV";
    assert_eq!(OPTION_PATH_ENV, "JM_OPTION_PATH");
    let err = Options::from_env(VAR).expect_err("unset");
    assert!(
        err.to_string().contains(VAR) && err.to_string().contains("set it"),
        "{err}"
    );
    // SAFETY: only this test reads or writes this variable.
    unsafe { std::env::set_var(VAR, data("option_test_api.yml")) };
    let o = Options::from_env(VAR);
    // SAFETY: as above.
    unsafe { std::env::set_var(VAR, "") };
    let empty = Options::from_env(VAR);
    // SAFETY: as above.
    unsafe { std::env::remove_var(VAR) };
    let o = o.expect("loads");
    assert_eq!(o.client.retry_times, 3);
    assert_eq!(o.origin, Origin::File(Via::Env(VAR.into())));
    assert!(matches!(empty, Err(OptionError::PathVarUnset { .. })));
}

#[test]
fn empty_documents_are_defaults() {
    let defaults = Options::default();
    for text in ["", "{}", "# nothing here\n\n", "~\n", "---\n"] {
        assert_eq!(yaml(text), defaults, "{text:?}");
    }
    assert_eq!(Options::from_json_str("{}").expect("json"), defaults);
    let (_dir, o) = load_temp("empty.yml", "");
    let o = o.expect("empty file loads");
    assert!(o.source.is_some());
    assert_eq!(without_source(o), defaults);

    assert_eq!(defaults.dir_rule.rule(), "Bd_Pname");
    assert_eq!(
        defaults.dir_rule.base_dir(),
        std::env::current_dir().expect("cwd")
    );
    assert_eq!(defaults.download.threading.image, 20);
    assert_eq!(defaults.download.threading.photo, cpu_count());
    assert_eq!(defaults.download.threading.album, 8);
    assert_eq!(defaults.client.impl_name, "api");
    assert_eq!(defaults.client.retry_times, 5);
    assert_eq!(defaults.client.postman.kind, "curl_cffi");
    assert_eq!(
        defaults.client.postman.meta_data.impersonate.as_deref(),
        Some("chrome")
    );
    assert_eq!(defaults.plugins.valid, "log");
    assert_eq!(defaults.download.image.encoder, EncoderPreset::Fast);
}

#[test]
fn partial_sections_keep_other_defaults() {
    let o = yaml("download:\n  image:\n    suffix: jpg\n  threading:\n    photo: 3\n");
    assert_eq!(o.download.image.suffix.as_deref(), Some(".jpg"));
    assert!(o.download.image.decode);
    assert!(o.download.cache);
    assert_eq!(o.download.threading.photo, 3);
    assert_eq!(o.download.threading.image, 20);
    // Lists replace the default wholesale.
    let o = yaml("client:\n  domain: [a.example]\n");
    assert_eq!(
        o.client.domain,
        DomainSetting::List(vec!["a.example".into()])
    );
}

#[test]
fn suffix_normalisation() {
    for (given, want) in [
        ("jpg", Some(".jpg")),
        (".jpg", Some(".jpg")),
        (".JPG", Some(".jpg")),
        ("jpeg", Some(".jpeg")),
        ("webp", Some(".webp")),
        ("''", None),
        ("null", None),
    ] {
        let o = yaml(&format!("download: {{image: {{suffix: {given}}}}}"));
        assert_eq!(o.download.image.suffix.as_deref(), want, "{given}");
    }
}

#[test]
fn null_means_no_proxy_or_default() {
    let proxy = |text: &str| yaml(text).client.postman.meta_data.proxies;
    assert_eq!(proxy("{}"), ProxySetting::System);
    assert_eq!(
        proxy("client: {postman: {meta_data: {proxies: null}}}"),
        ProxySetting::None
    );
    assert_eq!(
        proxy("client: {postman: {meta_data: {proxies: system}}}"),
        ProxySetting::System
    );
    assert_eq!(
        proxy("client: {postman: {meta_data: {proxies: fiddler}}}"),
        ProxySetting::Url("http://127.0.0.1:8888".into())
    );
    assert_eq!(
        proxy("client: {postman: {meta_data: {proxies: {http: '127.0.0.1:7890'}}}}"),
        ProxySetting::Url("http://127.0.0.1:7890".into())
    );
    // Explicit null elsewhere = the default (Python crashes on some, W11).
    let o = yaml(
        "dir_rule: {base_dir: null, rule: null}\ndownload: null\n\
         client: {retry_times: null, impl: null, domain: null}\nplugins: null\nlog: null\n",
    );
    let d = Options::default();
    assert_eq!(o, d);
    let o = yaml("client: {postman: {meta_data: {impersonate: null}}}");
    assert_eq!(o.client.postman.meta_data.impersonate, None);
}

#[test]
fn version_migrations() {
    let o = Options::from_file_with_env(data("legacy_v2_0.yml"), &no_env).expect("loads");
    assert_eq!(o.download.threading.image, 12, "batch_count replaces image");
    let album: Vec<_> = group(&o, "after_album")
        .iter()
        .map(|e| (e.plugin.as_str(), e.kwargs.get("filename_rule").cloned()))
        .collect();
    assert_eq!(
        album,
        [
            ("zip", Some(serde_json::json!("Atitle"))),
            ("send_qq_email", None),
            ("zip", None), // moved here from after_photo (level: album)
        ]
    );
    let photo = group(&o, "after_photo");
    assert_eq!(photo.len(), 1);
    assert_eq!(photo[0].kwargs["filename_rule"], "Ptitle");
    assert!(!photo[0].kwargs.contains_key("level"));
    assert!(
        group(&o, "after_album")
            .iter()
            .all(|e| !e.kwargs.contains_key("level"))
    );

    // Version 2.1 files are not migrated: `plugin` is then unknown, batch_count ignored.
    let msg = yaml_err("version: '2.1'\nplugin:\n  after_init: []\n");
    assert!(
        msg.contains("line 2: unknown key plugin (did you mean `plugins`?)"),
        "{msg}"
    );
    let o = yaml("version: 2.1\ndownload: {threading: {batch_count: 3}}\n");
    assert_eq!(o.download.threading.image, 20);
    let o = yaml("version: 2.0\ndownload: {threading: {batch_count: 3}}\n");
    assert_eq!(o.download.threading.image, 3);
    let msg = yaml_err("version: two\n");
    assert!(msg.contains("version: expected a version number"), "{msg}");
}

#[test]
fn environment_variables_are_expanded() {
    let text = "dir_rule:\n  base_dir: ${ROOT}/jm\n\
                client:\n  domain: ['${HOST}', b.example]\n  image_domain: {api: ['cdn.${TLD}']}\n  \
                postman:\n    meta_data:\n      proxies: ${PROXY}\n      cookies: {AVS: '${AVS}'}\n      \
                headers: {x-test: 'v-${HOST}'}\n";
    let env = env_of(&[
        ("ROOT", "/data"),
        ("HOST", "api.example"),
        ("TLD", "net"),
        ("PROXY", "clash"),
        ("AVS", "abc"),
    ]);
    let o = Options::from_yaml_str_with_env(text, &env).expect("loads");
    assert_eq!(o.dir_rule.base_dir(), Path::new("/data/jm"));
    assert_eq!(
        o.client.domain.domains_for("api"),
        ["api.example", "b.example"]
    );
    assert_eq!(o.client.image_domain.domains_for("api"), ["cdn.net"]);
    let m = &o.client.postman.meta_data;
    assert_eq!(m.proxies, ProxySetting::Url("http://127.0.0.1:7890".into()));
    assert_eq!(m.cookies[0].1, "abc");
    assert_eq!(m.headers[0].1, "v-api.example");

    let env = env_of(&[
        ("ROOT", "/data"),
        ("HOST", "h"),
        ("TLD", "t"),
        ("PROXY", "system"),
    ]);
    let err = Options::from_yaml_str_with_env(text, &env).expect_err("AVS missing");
    assert_eq!(err.key(), Some("client.postman.meta_data.cookies.AVS"));
    assert_eq!(err.line(), Some(9));
    assert!(err.to_string().contains("`AVS` is not set"), "{err}");
}

#[test]
fn bad_files_name_file_line_and_key() {
    let err = Options::from_file_with_env(data("bad_threading.yml"), &no_env).expect_err("bad");
    assert!(
        err.to_string().ends_with(
            "bad_threading.yml:5: download.threading.image: expected a positive integer, got \"abc\""
        ),
        "{err}"
    );
    let err = Options::from_file_with_env(data("bad_unknown_key.yml"), &no_env).expect_err("bad");
    assert!(
        err.to_string()
            .ends_with("bad_unknown_key.yml:3: unknown key dir_rule.rulle (did you mean `rule`?)"),
        "{err}"
    );
    let err = Options::from_file_with_env(data("bad_syntax.yml"), &no_env).expect_err("bad");
    let msg = err.to_string();
    assert!(
        msg.contains("bad_syntax.yml:3:") && msg.contains("malformed YAML"),
        "{msg}"
    );
    let err = Options::from_file_with_env(data("bad_syntax.json"), &no_env).expect_err("bad");
    let msg = err.to_string();
    assert!(
        msg.contains("bad_syntax.json:4:") && msg.contains("malformed JSON"),
        "{msg}"
    );
    let err = Options::from_file_with_env(data("missing.yml"), &no_env).expect_err("missing");
    assert!(err.to_string().contains("cannot read option file"), "{err}");
    let (_dir, r) = load_temp("binary.yml", "\u{0}\u{1}");
    assert!(r.is_err());
}

#[test]
fn unknown_keys_at_every_level_suggest_the_nearest() {
    let cases = [
        (
            "dowload: {}\n",
            "line 1: unknown key dowload (did you mean `download`?)",
        ),
        (
            "dir_rule:\n  bas_dir: x\n",
            "line 2: unknown key dir_rule.bas_dir (did you mean `base_dir`?)",
        ),
        (
            "download:\n  cahce: true\n",
            "unknown key download.cahce (did you mean `cache`?)",
        ),
        (
            "download:\n  image:\n    sufix: .jpg\n",
            "line 3: unknown key download.image.sufix (did you mean `suffix`?)",
        ),
        (
            "download:\n  threading:\n    imgae: 3\n",
            "unknown key download.threading.imgae (did you mean `image`?)",
        ),
        (
            "client:\n  retry_time: 3\n",
            "unknown key client.retry_time (did you mean `retry_times`?)",
        ),
        (
            "client:\n  postman:\n    meta-data: {}\n",
            "unknown key client.postman.meta-data (did you mean `meta_data`?)",
        ),
        (
            "client:\n  postman:\n    meta_data:\n      proxy: clash\n",
            "line 4: unknown key client.postman.meta_data.proxy (did you mean `proxies`?)",
        ),
        (
            "plugins:\n  after_init:\n    - plugin: login\n      kwarg: {}\n",
            "line 4: unknown key plugins.after_init[0].kwarg (did you mean `kwargs`?)",
        ),
        (
            "plugins:\n  vaild: raise\n",
            "line 2: unknown key plugins.vaild (did you mean `valid`?)",
        ),
        (
            "zzz: 1\n",
            "unknown key zzz (known keys: log, version, dir_rule, download, client, plugins)",
        ),
    ];
    for (text, want) in cases {
        let msg = yaml_err(text);
        assert!(msg.contains(want), "{text:?}\n got: {msg}\nwant: {want}");
    }
    // Plugin arguments are free-form.
    let o = yaml(
        "plugins:\n  after_init:\n    - plugin: x\n      kwargs: {anything: 1, nested: {k: v}}\n",
    );
    assert_eq!(group(&o, "after_init")[0].kwargs["nested"]["k"], "v");
}

#[test]
fn wrong_values_are_explained() {
    let cases = [
        (
            "download:\n  threading:\n    image: 0\n",
            "line 3: download.threading.image: expected a positive integer (1 to 10000), got 0",
        ),
        (
            "download:\n  threading:\n    cpu: -2\n",
            "download.threading.cpu: expected a positive integer",
        ),
        (
            "download:\n  cache: maybe\n",
            "line 2: download.cache: expected true or false, got \"maybe\"",
        ),
        (
            "download:\n  image:\n    suffix: bmp\n",
            "download.image.suffix: expected null or one of .webp, .jpg, .jpeg, .png, .gif, got \"bmp\"",
        ),
        (
            "download:\n  image:\n    encoder: pilow\n",
            "download.image.encoder: expected one of fast, pillow, got \"pilow\" (did you mean `pillow`?)",
        ),
        (
            "download:\n  image:\n    webp_quality: 101\n",
            "download.image.webp_quality: expected a number from 0 to 100, got 101",
        ),
        (
            "download:\n  image:\n    jpeg_quality: 0\n",
            "download.image.jpeg_quality: expected an integer from 1 to 100, got 0",
        ),
        (
            "download:\n  image:\n    webp_method: 7\n",
            "download.image.webp_method: expected an integer from 0 to 6",
        ),
        (
            "download:\n  image:\n    png_compression: max\n",
            "download.image.png_compression: expected one of fast, balanced, high",
        ),
        (
            "download:\n  image:\n    verify: deep\n",
            "download.image.verify: expected one of auto, structure, full",
        ),
        ("download: [1]\n", "line 1: download: expected a mapping"),
        ("dir_rule: 5\n", "dir_rule: expected a mapping"),
        (
            "dir_rule:\n  rule: 5\n",
            "dir_rule.rule: expected a string, got 5",
        ),
        (
            "dir_rule:\n  rule: Bd / Atitel\n",
            "line 2: dir_rule.rule: unknown field `Atitel` in `Atitel` (did you mean `Atitle`?)",
        ),
        (
            "dir_rule:\n  normalize_zh: zh-hk\n",
            "dir_rule.normalize_zh: expected null, zh-cn or zh-tw",
        ),
        (
            "client:\n  retry_times: [1]\n",
            "line 2: client.retry_times: expected a non-negative integer, got a list",
        ),
        (
            "client:\n  impl: apii\n",
            "client.impl: expected api or html, got \"apii\" (did you mean `api`?)",
        ),
        (
            "client:\n  cache: level_x\n",
            "client.cache: expected null, true, false, level_option or level_client",
        ),
        (
            "client:\n  timeout: 0\n",
            "client.timeout: expected a positive number of seconds",
        ),
        (
            "client:\n  domain: [1]\n",
            "client.domain[0]: expected a domain name (text), got 1",
        ),
        (
            "client:\n  domain: ['http://a.example/path']\n",
            "client.domain[0]: expected a domain such as",
        ),
        (
            "client:\n  postman:\n    meta_data:\n      proxies: not a proxy\n",
            "line 4: client.postman.meta_data.proxies: expected null, system, clash",
        ),
        (
            "client:\n  postman:\n    meta_data:\n      proxies: [a]\n",
            "client.postman.meta_data.proxies: expected null, system",
        ),
        (
            "client:\n  postman:\n    meta_data:\n      cookies: [AVS]\n",
            "client.postman.meta_data.cookies: expected a mapping of names to values",
        ),
        (
            "plugins:\n  valid: loud\n",
            "plugins.valid: expected one of ignore, log, raise",
        ),
        (
            "plugins:\n  after_init: login\n",
            "plugins.after_init: expected a list of plugin entries",
        ),
        (
            "plugins:\n  after_init:\n    - kwargs: {}\n",
            "plugins.after_init[0].plugin: expected a plugin name",
        ),
        (
            "plugins:\n  after_init:\n    - plugin: x\n      kwargs: [1]\n",
            "plugins.after_init[0].kwargs: expected a mapping of plugin arguments",
        ),
        (
            "log: loud\n",
            "log: expected true, false or 'pretty', got \"loud\"",
        ),
        (
            "- a\n- b\n",
            "(top level): expected a mapping of option keys, got a list",
        ),
    ];
    for (text, want) in cases {
        let msg = yaml_err(text);
        assert!(msg.contains(want), "{text:?}\n got: {msg}\nwant: {want}");
    }
}

#[test]
fn secrets_never_appear_in_errors() {
    let msg = yaml_err("client:\n  postman:\n    meta_data:\n      cookies: {AVS: [s3cr3t]}\n");
    assert!(!msg.contains("s3cr3t"), "{msg}");
    let msg = yaml_err("client:\n  postman:\n    meta_data:\n      headers: {Cookie: [s3cr3t]}\n");
    assert!(!msg.contains("s3cr3t"), "{msg}");
    let msg =
        yaml_err("client:\n  postman:\n    meta_data:\n      proxies: 'ftp://u:s3cr3t@h:1'\n");
    assert!(!msg.contains("s3cr3t"), "{msg}");
}

#[test]
fn anchors_and_yaml_11_booleans() {
    let o = yaml(
        "download:\n  cache: no\n  image:\n    decode: off\n  threading: &t\n    image: 4\n    \
         photo: 2\nclient:\n  verify_tls: yes\n  retry_times: 3\n  retry_times: 4\n",
    );
    assert!(!o.download.cache);
    assert!(!o.download.image.decode);
    assert!(o.client.verify_tls);
    assert_eq!(o.client.retry_times, 4, "the last of repeated keys wins");
    assert_eq!(o.download.threading.photo, 2);
    let o = yaml(
        "plugins:\n  after_init:\n    - &login\n      plugin: login\n      kwargs: {username: u}\n  \
         main:\n    - *login\n    - <<: *login\n      safe: false\n",
    );
    assert_eq!(group(&o, "main")[0].plugin, "login");
    assert!(!group(&o, "main")[1].safe);
    assert_eq!(group(&o, "main")[1].kwargs["username"], "u");
}

#[test]
fn to_yaml_round_trips() {
    // The preset's values are written out, so they load back set (the encoding is equal).
    let defaults = Options::default();
    assert_eq!(yaml(&defaults.to_yaml()), as_shown(defaults));

    for name in [
        "doc_plugins_example.yml",
        "option_test_api.yml",
        "legacy_v2_0.yml",
        "all_keys.json",
    ] {
        let o = Options::from_file_with_env(data(name), &no_env).expect("loads");
        let out = o.to_yaml();
        let back = Options::from_yaml_str_with_env(&out, &no_env)
            .unwrap_or_else(|e| panic!("{name}: {e}\n{out}"));
        if name == "doc_plugins_example.yml" {
            // Its passwords are redacted; everything else survives.
            assert_eq!(back.plugins.groups.len(), o.plugins.groups.len());
            assert_eq!(
                yaml(&back.to_yaml()),
                back,
                "{name}: redacted output is stable"
            );
        } else if name == "all_keys.json" {
            let mut expected = as_shown(o.clone());
            expected.client.postman.meta_data.cookies[0].1 = "***".into();
            assert_eq!(back, expected, "{name}");
        } else {
            assert_eq!(back, as_shown(o), "{name}\n{out}");
        }
    }
}

#[test]
fn to_yaml_redacts_secrets() {
    let o = Options::from_file_with_env(data("all_keys.yaml"), &no_env).expect("loads");
    let out = o.to_yaml();
    for secret in ["cookie-secret-value", "hunter2", "topsecret"] {
        assert!(!out.contains(secret), "{secret} in\n{out}");
    }
    assert!(out.contains("test-agent"), "ordinary headers stay");
    let back = yaml(&out);
    let mut expected = without_source(o);
    let m = &mut expected.client.postman.meta_data;
    m.cookies = vec![
        ("AVS".into(), "***".into()),
        ("ipcountry".into(), "***".into()),
    ];
    m.headers[1].1 = "***".into();
    let login = &mut expected.plugins.groups[0].1[0];
    login.kwargs.insert("password".into(), "***".into());
    assert_eq!(back, expected);

    let o = yaml("client: {postman: {meta_data: {proxies: 'http://user:pw@10.0.0.1:8080'}}}");
    let out = o.to_yaml();
    assert!(
        !out.contains("pw@") && out.contains("***@10.0.0.1:8080"),
        "{out}"
    );
}

#[test]
fn client_builder_builds_a_client() {
    let text = "client:\n  domain: ['http://127.0.0.1:18080']\n  image_domain: ['http://127.0.0.1:18081']\n  \
                retry_times: 1\n  app_version: 9.9.9\n  postman:\n    meta_data:\n      proxies: null\n      \
                timeout: 3\n      cookies: {AVS: abc}\n";
    let o = yaml(text);
    let client = o
        .client_builder()
        .expect("builder")
        .build()
        .expect("client");
    assert_eq!(client.api_domains(), ["http://127.0.0.1:18080"]);
    assert_eq!(client.image_domains(), ["http://127.0.0.1:18081"]);
    assert_eq!(client.app_version(), "9.9.9");

    // Per-impl mappings: the `api` entry.
    let o =
        yaml("client:\n  domain:\n    api: ['http://127.0.0.1:18082']\n    html: [18comic.vip]\n");
    let client = o
        .client_builder()
        .expect("builder")
        .build()
        .expect("client");
    assert_eq!(client.api_domains(), ["http://127.0.0.1:18082"]);
}

#[test]
fn debug_output_hides_secrets() {
    let o = jmcomic::Options::from_yaml_str(
        "client:\n  postman:\n    meta_data:\n      cookies: {AVS: s3cr3t-avs}\n      proxies: http://u:s3cr3t-pw@127.0.0.1:9\n      headers: {authorization: s3cr3t-h}\nplugins:\n  after_init:\n    - plugin: login\n      kwargs: {username: u, password: s3cr3t-login}\n",
    )
    .unwrap();
    let text = format!("{o:?}");
    assert!(!text.contains("s3cr3t"), "{text}");
    let text = o.to_yaml();
    assert!(!text.contains("s3cr3t"), "{text}");
}

/// The options without the file they came from and how it was chosen (to compare with
/// options from text).
fn without_source(mut o: Options) -> Options {
    o.source = None;
    o.origin = Origin::Program;
    o
}

/// What `config show` prints, loaded back: the same settings with the encoder preset's
/// values written out, from text.
fn as_shown(o: Options) -> Options {
    let mut o = without_source(o);
    o.download.image = o.download.image.with_preset_values();
    o
}

/// The README's YAML examples are option files that load, and its plugin table has a row
/// for every plugin key this program knows.
#[test]
fn readme_yaml_examples_load_and_every_plugin_is_documented() {
    let readme = include_str!("../../../../README.md");
    let mut blocks = 0;
    let mut rest = readme;
    while let Some(start) = rest.find("```yaml\n") {
        let body = &rest[start + 8..];
        let end = body.find("```").unwrap();
        Options::from_yaml_str(&body[..end]).unwrap_or_else(|e| panic!("{e}\n{}", &body[..end]));
        blocks += 1;
        rest = &body[end..];
    }
    assert!(blocks >= 1);
    for p in jmcomic::plugin::PLUGINS {
        assert!(
            readme.contains(&format!("| `{}` |", p.key)),
            "README documents plugin `{}`",
            p.key
        );
    }
}

/// The lines of `name` marked `# mistake` (1-based).
fn marked_lines(name: &str) -> Vec<Option<u32>> {
    std::fs::read_to_string(data(name))
        .expect("read")
        .lines()
        .zip(1..)
        .filter(|(l, _)| l.ends_with("# mistake"))
        .map(|(_, n)| Some(n))
        .collect()
}

#[test]
fn every_mistake_of_a_file_is_reported_at_once() {
    let path = data("bad_many.yml");
    let err = Options::from_file_with_env(&path, &no_env).expect_err("ten mistakes");
    assert!(matches!(err, OptionError::Many { .. }), "{err:?}");
    let problems = err.problems();
    let lines: Vec<Option<u32>> = problems.iter().map(OptionError::line).collect();
    assert_eq!(lines, marked_lines("bad_many.yml"), "{err}");
    let keys: Vec<&str> = problems.iter().filter_map(OptionError::key).collect();
    assert_eq!(
        keys,
        [
            "log",
            "dir_rule.rulle",
            "dir_rule.base_dir",
            "download.cahce",
            "download.archive",
            "download.image.suffix",
            "download.image.jpeg_quality",
            "download.threading.image",
            "client.retry_times",
            "client.postman.meta_data.proxies",
            "plugins.after_init[1].plugin",
        ][..]
    );
    assert!(problems.iter().all(|p| p.file() == Some(path.as_path())));
    assert!(matches!(
        &problems[2],
        OptionError::MissingEnv { var, .. } if var == "JM_TEST_UNSET_BASE_DIR"
    ));
    assert_eq!((err.file(), err.line()), (Some(path.as_path()), lines[0]));

    // One problem a line, each with its file and line, under a line that counts them.
    let text = err.to_string();
    let mut out = text.lines();
    assert_eq!(
        out.next(),
        Some(format!("{}: {} mistakes:", path.display(), problems.len()).as_str())
    );
    for (shown, p) in out.by_ref().zip(problems) {
        assert_eq!(shown, format!("  {p}"));
        assert!(
            shown.starts_with(&format!("  {}:{}: ", path.display(), p.line().unwrap())),
            "{shown}"
        );
    }
    assert_eq!(out.next(), None);
    assert!(text.contains("bad_many.yml:5: unknown key dir_rule.rulle (did you mean `rule`?)"));
    assert!(text.contains(
        "bad_many.yml:14: download.threading.image: expected a positive integer, got \"abc\""
    ));

    // The same text without a file: lines only.
    let err = Options::from_yaml_str_with_env(&std::fs::read_to_string(&path).unwrap(), &no_env)
        .expect_err("mistakes");
    let text = err.to_string();
    assert!(text.starts_with("11 mistakes:\n  line 3: log: "), "{text}");

    // Several unset variables in one value are each named.
    let msg = yaml_err("dir_rule:\n  base_dir: ${A}/${B}/${A}\n");
    assert!(
        msg.starts_with("2 mistakes:")
            && msg.contains("line 2: dir_rule.base_dir: environment variable `A` is not set")
            && msg.contains("line 2: dir_rule.base_dir: environment variable `B` is not set"),
        "{msg}"
    );
    // List items keep their place in the file when an earlier one is wrong.
    let msg = yaml_err("client:\n  domain: [1, '', 'http://a.example/path']\n");
    assert!(
        msg.contains("client.domain[0]: expected a domain name")
            && msg.contains("client.domain[2]: expected a domain such as"),
        "{msg}"
    );
}

#[test]
fn one_mistake_keeps_its_message_and_syntax_errors_stay_single() {
    let path = data("bad_threading.yml");
    let err = Options::from_file_with_env(&path, &no_env).expect_err("bad");
    assert!(matches!(err, OptionError::Invalid { .. }), "{err:?}");
    assert_eq!(err.problems().len(), 1);
    assert_eq!(
        err.to_string(),
        format!(
            "{}:5: download.threading.image: expected a positive integer, got \"abc\"",
            path.display()
        )
    );
    // A file that does not parse has only its syntax error, whatever else is wrong in it.
    let (_dir, r) = load_temp("mixed.yml", "dowload: {}\nlog: loud\nclient: [\n");
    let err = r.expect_err("syntax");
    assert!(matches!(err, OptionError::Syntax { .. }), "{err:?}");
    assert_eq!(err.problems().len(), 1);
}

#[test]
fn a_lookup_takes_the_flag_then_the_variable_then_the_defaults() {
    let good = data("option_test_api.yml");
    let bad = data("bad_threading.yml");
    let lookup = || OptionLookup::new("--option", OPTION_PATH_ENV);
    let first_line = |o: &Options| o.to_yaml().lines().next().unwrap().to_owned();

    // The flag wins over the variable.
    let o = lookup()
        .flag_value(Some(good.clone()))
        .var_value(Some(bad.clone().into()))
        .load_with_env(&no_env)
        .expect("loads");
    assert_eq!(o.origin, Origin::File(Via::Flag("--option".into())));
    assert_eq!(o.source.as_deref(), Some(good.as_path()));
    assert_eq!(o.client.retry_times, 3);
    assert_eq!(
        first_line(&o),
        format!("# options from {} (--option)", good.display())
    );

    // The variable when there is no flag; its errors say so.
    let o = lookup()
        .var_value(Some(good.clone().into()))
        .load_with_env(&no_env)
        .expect("loads");
    assert_eq!(
        first_line(&o),
        format!("# options from {} (JM_OPTION_PATH)", good.display())
    );
    let err = lookup()
        .var_value(Some(bad.clone().into()))
        .load_with_env(&no_env)
        .expect_err("bad");
    assert_eq!(err.via(), Some(&Via::Env("JM_OPTION_PATH".into())));
    assert_eq!(
        err.to_string(),
        format!(
            "{}:5: download.threading.image: expected a positive integer, got \"abc\" \
             (from JM_OPTION_PATH)",
            bad.display()
        )
    );
    assert_eq!((err.line(), err.problems().len()), (Some(5), 1));
    let err = lookup()
        .flag_value(Some(data("bad_many.yml")))
        .load_with_env(&no_env)
        .expect_err("bad");
    assert!(
        err.to_string().starts_with(&format!(
            "{}: 11 mistakes (from --option):\n",
            data("bad_many.yml").display()
        )),
        "{err}"
    );
    assert_eq!(err.problems().len(), 11);
    let missing = data("missing.yml");
    let err = lookup()
        .flag_value(Some(missing.clone()))
        .load_with_env(&no_env)
        .expect_err("missing");
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!("cannot read option file {}", missing.display()))
            && msg.ends_with(" (from --option)"),
        "{msg}"
    );

    // `--option ''` is the defaults, even with the variable set (as in the Python package).
    let l = lookup()
        .flag_value(Some(PathBuf::new()))
        .var_value(Some(good.clone().into()));
    assert_eq!(l.file(), None);
    let o = l.load_with_env(&no_env).expect("defaults");
    assert!(matches!(o.origin, Origin::Defaults(_)));
    assert_eq!(o.source, None);
    assert_eq!(without_source(o.clone()), Options::default());
    assert_eq!(first_line(&o), "# built-in defaults (--option '')");

    // Nothing named: the defaults, and why.
    let o = lookup().load_with_env(&no_env).expect("defaults");
    assert_eq!(
        first_line(&o),
        "# built-in defaults (no --option, JM_OPTION_PATH unset)"
    );
    let o = lookup()
        .var_value(Some("".into()))
        .load_with_env(&no_env)
        .expect("defaults");
    assert_eq!(
        first_line(&o),
        "# built-in defaults (no --option, JM_OPTION_PATH empty)"
    );
    // Programs that load a file themselves, or text, say so.
    let o = Options::from_file_with_env(&good, &no_env).expect("loads");
    assert_eq!(first_line(&o), format!("# options from {}", good.display()));
    assert_eq!(
        first_line(&yaml("")),
        "# options given by the program, not read from a file"
    );
}

#[test]
fn to_yaml_prints_the_values_in_use() {
    let fast = jmcomic_image::EncodeSettings::default();
    let mut pillow_90 = jmcomic_image::EncodeSettings::pillow();
    pillow_90.jpeg_quality = 90;
    for (text, preset, settings) in [
        ("", "fast", fast),
        (
            "download:\n  image:\n    encoder: pillow\n    jpeg_quality: 90\n",
            "pillow",
            pillow_90,
        ),
    ] {
        let o = yaml(text);
        let out = o.to_yaml();
        // Read back by another YAML parser than the one that wrote it.
        let docs = yaml_rust2::YamlLoader::load_from_str(&out).expect("valid YAML");
        let doc = &docs[0];
        let image = &doc["download"]["image"];
        assert_eq!(
            image["webp_quality"].as_f64(),
            Some(f64::from(settings.webp.quality)),
            "{out}"
        );
        assert_eq!(
            image["webp_method"].as_i64(),
            Some(i64::from(settings.webp.method))
        );
        assert_eq!(
            image["jpeg_quality"].as_i64(),
            Some(i64::from(settings.jpeg_quality))
        );
        let png = match settings.png {
            jmcomic_image::PngCompression::Fast => "fast",
            jmcomic_image::PngCompression::Balanced => "balanced",
            jmcomic_image::PngCompression::High => "high",
            other => panic!("no option value for {other:?}"),
        };
        assert_eq!(image["png_compression"].as_str(), Some(png));
        // What the file left to the preset says so; what it set does not.
        let webp_line = format!(
            "webp_method: {} # the {preset} preset's",
            settings.webp.method
        );
        assert!(out.contains(&webp_line), "{out}");
        let set_in_text = text.contains("jpeg_quality");
        assert_eq!(
            out.contains(&format!(
                "jpeg_quality: {} # the {preset} preset's",
                settings.jpeg_quality
            )),
            !set_in_text,
            "{out}"
        );

        let threading = &doc["download"]["threading"];
        assert_eq!(
            threading["photo"].as_i64(),
            Some(i64::try_from(o.download.threading.photo).unwrap())
        );
        assert_eq!(
            threading["cpu"].as_i64(),
            Some(i64::try_from(cpu_count()).unwrap())
        );
        let base_dir = doc["dir_rule"]["base_dir"].as_str().expect("text");
        assert!(Path::new(base_dir).is_absolute(), "{base_dir}");
        // `null` only where it is the setting, with a comment saying what it means.
        assert!(doc["client"]["timeout"].is_null());
        assert!(out.contains("timeout: null # the client's built-in timeouts (30 s"));
        assert!(doc["download"]["image"]["suffix"].is_null());
        assert_eq!(
            doc["client"]["postman"]["meta_data"]["proxies"].as_str(),
            Some("system")
        );

        // It loads back: the same encoding, the preset's values now set.
        let back = yaml(&out);
        assert_eq!(
            back.download.image.encode_settings(),
            o.download.image.encode_settings()
        );
        assert_eq!(back.download.image.webp_method, Some(settings.webp.method));
        assert_eq!(back, as_shown(o));
        assert_eq!(
            yaml(&back.to_yaml()),
            back,
            "the output of loaded-back output"
        );
    }
}

#[test]
fn dns_rate_limit_and_state_file_keys() {
    // Defaults: the system's resolver, no pacing, the state file in the cache folder.
    let o = yaml("");
    assert_eq!(o.client.dns, jmcomic_client::DnsMode::System);
    assert!(o.client.rate_limit.is_off());
    assert_eq!(o.client.state_file, StateFileSetting::Default);
    let o = yaml("client:\n  dns: DoH\n  state_file: null\n  rate_limit: {}\n");
    assert_eq!(o.client.dns, jmcomic_client::DnsMode::Doh);
    assert!(o.client.rate_limit.is_off());
    assert_eq!(o.client.state_file, StateFileSetting::Default);
    let o = yaml("client:\n  dns: https://127.0.0.1:8443/q\n");
    assert_eq!(
        o.client.dns,
        jmcomic_client::DnsMode::DohUrls(vec!["https://127.0.0.1:8443/q".into()])
    );
    let o = Options::from_yaml_str_with_env(
        "client:\n  state_file: ${DIR}/d.json\n",
        &env_of(&[("DIR", "/srv/x")]),
    )
    .expect("loads");
    assert_eq!(
        o.client.state_file,
        StateFileSetting::Path("/srv/x/d.json".into())
    );

    // The client is built with them (a bad URL would fail here).
    let o = yaml(
        "client:\n  dns: [https://1.1.1.1/dns-query]\n  rate_limit: {requests: 2, seconds: 1, cdn: {requests: 5, seconds: 1}}\n",
    );
    o.client_builder()
        .expect("builder")
        .build()
        .expect("client");

    let cases = [
        (
            "client:\n  dns: dohh\n",
            "line 2: client.dns: expected system, doh, or the https:// URL of a DNS-over-HTTPS resolver (or a list of them), got \"dohh\"",
        ),
        (
            "client:\n  dns: [https://1.1.1.1/dns-query, 'http://127.0.0.1/dns-query']\n",
            "client.dns[1]: expected system, doh, or the https:// URL",
        ),
        (
            "client:\n  dns: 3\n",
            "line 2: client.dns: expected system, doh",
        ),
        (
            "client:\n  rate_limit:\n    requests: 0\n    seconds: 1\n",
            "line 3: client.rate_limit.requests: expected a positive whole number of requests (at most 1000000), got 0",
        ),
        (
            "client:\n  rate_limit: {requests: 5}\n",
            "line 2: client.rate_limit: expected both `requests` and `seconds`",
        ),
        (
            "client:\n  rate_limit:\n    cdn: {seconds: 2}\n",
            "line 3: client.rate_limit.cdn: expected both `requests` and `seconds` ({requests: 10, seconds: 60} is 10 requests a minute), got no `requests`",
        ),
        (
            "client:\n  rate_limit: {requests: 5, seconds: -1}\n",
            "client.rate_limit.seconds: expected a positive number of seconds",
        ),
        (
            "client:\n  rate_limit: {rquests: 5, seconds: 1}\n",
            "unknown key client.rate_limit.rquests (did you mean `requests`?)",
        ),
        (
            "client:\n  rate_limit: 10\n",
            "line 2: client.rate_limit: expected a mapping",
        ),
        (
            "client:\n  state_file: 3\n",
            "line 2: client.state_file: expected a file path, null for the default place, or false for none, got 3",
        ),
        (
            "client:\n  dsn: doh\n",
            "unknown key client.dsn (did you mean `dns`?)",
        ),
    ];
    for (text, want) in cases {
        let msg = yaml_err(text);
        assert!(msg.contains(want), "{text:?}\n got: {msg}\nwant: {want}");
    }
    // A wrong number is one mistake, not two (the missing-partner message stays out).
    let msg = yaml_err("client:\n  rate_limit: {requests: abc, seconds: 1}\n");
    assert!(!msg.contains("mistakes") && !msg.contains("both"), "{msg}");

    // `config show` writes them so they load back the same, read by another YAML parser.
    let o = Options::from_file_with_env(data("all_keys.yaml"), &no_env).expect("loads");
    let out = o.to_yaml();
    let docs = yaml_rust2::YamlLoader::load_from_str(&out).expect("valid YAML");
    let client = &docs[0]["client"];
    assert_eq!(
        client["dns"][1].as_str(),
        Some("https://dns.google/dns-query")
    );
    assert_eq!(client["rate_limit"]["requests"].as_i64(), Some(10));
    assert_eq!(client["rate_limit"]["cdn"]["seconds"].as_f64(), Some(1.5));
    assert_eq!(
        client["state_file"].as_str(),
        Some("/srv/comics/.jm-domains.json")
    );
    let out = yaml("client:\n  state_file: false\n").to_yaml();
    assert!(out.contains("state_file: false"), "{out}");
    let out = yaml("").to_yaml();
    assert!(
        out.contains("dns: system") && out.contains("rate_limit: null # off"),
        "{out}"
    );
    assert!(
        out.contains("state_file: null # the default place"),
        "{out}"
    );
}
