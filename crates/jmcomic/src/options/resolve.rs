//! Stage 2: the file's values over the Python package's defaults, checked and expanded.
//!
//! This is the one merge of the crate. Precedence, highest first:
//!
//! 1. a value set in the file;
//! 2. an explicit `null` in the file, for the keys where the Python package gives `null` a
//!    meaning: `meta_data.proxies` (no proxy), `meta_data.impersonate` (none),
//!    `download.image.suffix` (no conversion), `dir_rule.normalize_zh` (no conversion),
//!    `client.domain`/`image_domain` (empty → built-in domains), `client.cache` (off);
//! 3. the default (the Python package 2.7.10's values, plus the new keys). An explicit `null`
//!    anywhere else means the default too: Python would crash on `base_dir: null`.
//!
//! Mappings merge key by key (a partial `download.image` keeps the other defaults); lists
//! (domains, plugin groups) replace the default wholesale. `${NAME}` is expanded in
//! `dir_rule.base_dir`, domain entries and `meta_data` cookie, header and proxy values; a
//! missing variable is an error naming it and the key. Plugin arguments are expanded later,
//! by [`super::PluginEntry::expanded_kwargs`].
//!
//! Every check records its mistake in [`Problems`] and goes on with the default (or leaves
//! the list item out), so one load reports every mistake; the options built alongside are
//! then thrown away.

// Spec §3.1, §3.2, W11.

use std::path::{Component, Path, PathBuf};

use super::error::Problems;
use super::raw::{
    Domain, Field, RawDomain, RawLog, RawOptions, RawProxy, RawRate, RawRateLimit, RawStateFile,
    Text, join,
};
use super::{
    ClientOptions, DomainSetting, DownloadOptions, EncoderPreset, EnvLookup, IMAGE_SUFFIXES,
    ImageOptions, LogMode, MetaData, OptionError, Options, Origin, PluginEntry, PluginOptions,
    PngLevel, Postman, ProxySetting, Rate, RateLimits, StateFileSetting, Threading, VerifyLevel,
    cpu_count, env_names, expand_env, suggest,
};
use crate::dir_rule::{DEFAULT_RULE, DirRule, ZhTarget};

/// Upper bound of every `threading` value: more would only exhaust memory or file handles.
const MAX_THREADS: i128 = 10_000;
/// Upper bound of `retry_times`.
const MAX_RETRIES: i128 = 1_000;
/// Longest accepted timeout (one day), so `Duration::from_secs_f64` cannot overflow.
const MAX_TIMEOUT_SECS: f64 = 86_400.0;

/// The current directory, the default `base_dir`, as in the Python package. If it cannot be read
/// (it was deleted), `.`: paths then stay relative to wherever the process is.
// Spec §3.2.
pub(crate) fn current_dir() -> PathBuf {
    std::env::current_dir().unwrap_or_else(|e| {
        tracing::warn!("cannot read the current directory ({e}); using `.` as base_dir");
        PathBuf::from(".")
    })
}

/// Makes `p` absolute against the current directory and removes `.`/`..` lexically, like
/// Python's `os.path.abspath`.
pub(crate) fn absolute(p: &Path) -> PathBuf {
    let joined = if p.is_absolute() {
        p.to_path_buf()
    } else {
        current_dir().join(p)
    };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push(c);
                }
            }
            other => out.push(other),
        }
    }
    out
}

fn bad(key: &str, line: Option<u32>, expected: &str, got: impl std::fmt::Display) -> OptionError {
    OptionError::Invalid {
        file: None,
        line,
        key: key.to_owned(),
        expected: expected.to_owned(),
        got: got.to_string(),
    }
}

/// Expands `${NAME}` in the value of `key`; `None` after recording every variable that is
/// not set (each is a mistake of its own, so the user sets them all in one go).
fn expand(
    text: &str,
    key: &str,
    line: Option<u32>,
    env: EnvLookup<'_>,
    problems: &Problems,
) -> Option<String> {
    if let Ok(s) = expand_env(text, env) {
        return Some(s);
    }
    let mut missing: Vec<String> = Vec::new();
    for var in env_names(text) {
        if env(&var).is_none() && !missing.contains(&var) {
            problems.push(OptionError::MissingEnv {
                file: None,
                line,
                key: key.to_owned(),
                var: var.clone(),
            });
            missing.push(var);
        }
    }
    None
}

/// One of a fixed set of words, with a suggestion when the value is close to one. Anything
/// else is recorded and read as absent.
fn choice<T: Copy>(
    field: Field<String>,
    key: &str,
    table: &[(&str, T)],
    problems: &Problems,
) -> Field<T> {
    match field {
        Field::Set(s, line) => {
            if let Some((_, v)) = table.iter().find(|(n, _)| n.eq_ignore_ascii_case(s.trim())) {
                return Field::Set(*v, line);
            }
            let names: Vec<&str> = table.iter().map(|(n, _)| *n).collect();
            let hint = suggest(&s, names.iter().copied())
                .map(|h| format!(" (did you mean `{h}`?)"))
                .unwrap_or_default();
            let expected = format!("one of {}", names.join(", "));
            problems.push(bad(key, line, &expected, format!("{s:?}{hint}")));
            Field::Absent
        }
        Field::Null(l) => Field::Null(l),
        Field::Absent => Field::Absent,
    }
}

/// An integer in `min..=max`; out of range is recorded and read as absent.
fn int_in(
    field: Field<i128>,
    key: &str,
    (min, max): (i128, i128),
    expected: &str,
    problems: &Problems,
) -> Option<i128> {
    match field {
        Field::Set(v, line) if v < min || v > max => {
            problems.push(bad(key, line, expected, v));
            None
        }
        f => f.set(),
    }
}

fn seconds(field: Field<f64>, key: &str, problems: &Problems) -> Option<f64> {
    match field {
        Field::Set(v, line) if !(v > 0.0 && v <= MAX_TIMEOUT_SECS) => {
            problems.push(bad(
                key,
                line,
                "a positive number of seconds (at most 86400)",
                v,
            ));
            None
        }
        f => f.set(),
    }
}

/// The options of `raw` over the defaults; mistakes go to `problems`.
pub(crate) fn resolve(raw: RawOptions, env: EnvLookup<'_>, problems: &Problems) -> Options {
    let log = match raw.log.or(RawLog::Bool(true)) {
        RawLog::Bool(true) => LogMode::On,
        RawLog::Bool(false) => LogMode::Off,
        RawLog::Pretty => LogMode::Pretty,
    };
    Options {
        log,
        dir_rule: resolve_dir_rule(raw.dir_rule, env, problems),
        download: resolve_download(raw.download, env, problems),
        client: resolve_client(raw.client, env, problems),
        plugins: resolve_plugins(raw.plugins, problems),
        source: None,
        origin: Origin::Program,
    }
}

fn resolve_dir_rule(
    raw: super::raw::RawDirRule,
    env: EnvLookup<'_>,
    problems: &Problems,
) -> DirRule {
    let base_dir = match raw.base_dir {
        Field::Set(s, line) => expand(&s, "dir_rule.base_dir", line, env, problems)
            .map_or_else(current_dir, |s| absolute(Path::new(&s))),
        _ => current_dir(),
    };
    let normalize_zh = match raw.normalize_zh {
        // `''` is falsy in Python: no conversion.
        Field::Set(s, _) if s.trim().is_empty() => None,
        Field::Set(s, line) => {
            let zh = ZhTarget::parse(&s);
            if zh.is_none() {
                problems.push(bad(
                    "dir_rule.normalize_zh",
                    line,
                    "null, zh-cn or zh-tw",
                    format!("{s:?}"),
                ));
            }
            zh
        }
        _ => None,
    };
    let rule_line = raw.rule.line();
    if let Field::Set(rule, _) = raw.rule {
        match DirRule::parse(&rule, base_dir.clone(), normalize_zh) {
            Ok(r) => return r,
            Err(source) => problems.push(OptionError::DirRule {
                file: None,
                line: rule_line,
                key: "dir_rule.rule".into(),
                source: Box::new(source),
            }),
        }
    }
    DirRule::parse(DEFAULT_RULE, base_dir.clone(), normalize_zh)
        .unwrap_or_else(|_| DirRule::default_in(base_dir))
}

/// `download.image.suffix`: with a leading dot, lower case; `jpeg` stays `.jpeg`. The
/// Python package writes `00001jpg` for `suffix: jpg`; here the dot is added.
// Spec W11.
fn normalize_suffix(field: Field<String>, problems: &Problems) -> Option<String> {
    match field {
        Field::Set(s, _) if s.trim().is_empty() => None,
        Field::Set(s, line) => {
            let t = s.trim().to_ascii_lowercase();
            let with_dot = if t.starts_with('.') {
                t
            } else {
                format!(".{t}")
            };
            if IMAGE_SUFFIXES.contains(&with_dot.as_str()) {
                Some(with_dot)
            } else {
                problems.push(bad(
                    "download.image.suffix",
                    line,
                    &format!("null or one of {}", IMAGE_SUFFIXES.join(", ")),
                    format!("{s:?}"),
                ));
                None
            }
        }
        _ => None,
    }
}

fn resolve_download(
    raw: super::raw::RawDownload,
    env: EnvLookup<'_>,
    problems: &Problems,
) -> DownloadOptions {
    let archive = match raw.archive {
        Field::Set(s, line) if !s.trim().is_empty() => {
            expand(&s, "download.archive", line, env, problems).map(|s| absolute(Path::new(&s)))
        }
        _ => None,
    };
    let im = raw.image;
    let image = ImageOptions {
        decode: im.decode.or(true),
        suffix: normalize_suffix(im.suffix, problems),
        encoder: choice(
            im.encoder,
            "download.image.encoder",
            &[
                ("fast", EncoderPreset::Fast),
                ("pillow", EncoderPreset::Pillow),
            ],
            problems,
        )
        .or(EncoderPreset::Fast),
        webp_quality: match im.webp_quality {
            Field::Set(q, line) if !(0.0..=100.0).contains(&q) => {
                problems.push(bad(
                    "download.image.webp_quality",
                    line,
                    "a number from 0 to 100",
                    q,
                ));
                None
            }
            f => f.set().map(|q| q as f32),
        },
        webp_method: int_in(
            im.webp_method,
            "download.image.webp_method",
            (0, 6),
            "an integer from 0 to 6",
            problems,
        )
        .map(|m| m as u8),
        jpeg_quality: int_in(
            im.jpeg_quality,
            "download.image.jpeg_quality",
            (1, 100),
            "an integer from 1 to 100",
            problems,
        )
        .map(|q| q as u8),
        png_compression: choice(
            im.png_compression,
            "download.image.png_compression",
            &[
                ("fast", PngLevel::Fast),
                ("balanced", PngLevel::Balanced),
                ("high", PngLevel::High),
            ],
            problems,
        )
        .set(),
        verify: choice(
            im.verify,
            "download.image.verify",
            &[
                ("auto", VerifyLevel::Auto),
                ("structure", VerifyLevel::Structure),
                ("full", VerifyLevel::Full),
            ],
            problems,
        )
        .or(VerifyLevel::Auto),
    };
    let th = raw.threading;
    let expected = format!("a positive integer (1 to {MAX_THREADS})");
    let positive = |f: Field<i128>, key: &str, default: usize| -> usize {
        let key = format!("download.threading.{key}");
        int_in(f, &key, (1, MAX_THREADS), &expected, problems).map_or(default, |v| v as usize)
    };
    let defaults = Threading::default();
    let threading = Threading {
        image: positive(th.image, "image", defaults.image),
        photo: positive(th.photo, "photo", cpu_count()),
        album: positive(th.album, "album", defaults.album),
        cpu: positive(th.cpu, "cpu", cpu_count()),
    };
    DownloadOptions {
        cache: raw.cache.or(true),
        archive,
        album_json: raw.album_json.or(false),
        image,
        threading,
    }
}

/// Expanded, checked domains; entries with a mistake are recorded and left out.
fn expand_list(
    items: Vec<Domain>,
    key: &str,
    env: EnvLookup<'_>,
    problems: &Problems,
) -> Vec<String> {
    items
        .into_iter()
        .filter_map(|Domain { index, text: t }| {
            let key = format!("{key}[{index}]");
            let d = expand(&t.value, &key, t.line, env, problems)?
                .trim()
                .to_owned();
            // Checked now so the error names the line; the client parses them again.
            if !d.is_empty()
                && let Err(e) = jmcomic_client::Domain::parse(&d)
            {
                problems.push(bad(
                    &key,
                    t.line,
                    "a domain such as www.example.com or http://127.0.0.1:8080",
                    format!("{d:?} ({e})"),
                ));
                return None;
            }
            Some(d).filter(|d| !d.is_empty())
        })
        .collect()
}

fn resolve_domain(
    field: Field<RawDomain>,
    key: &str,
    env: EnvLookup<'_>,
    problems: &Problems,
) -> DomainSetting {
    match field {
        Field::Set(RawDomain::List(items), _) => {
            DomainSetting::List(expand_list(items, key, env, problems))
        }
        Field::Set(RawDomain::PerImpl(map), _) => DomainSetting::PerImpl(
            map.into_iter()
                .map(|(k, items)| {
                    let list = expand_list(items, &join(key, &k), env, problems);
                    (k, list)
                })
                .collect(),
        ),
        _ => DomainSetting::default(),
    }
}

const PROXY_EXPECTED: &str = "null, system, clash, v2ray, fiddler, host:port, or a proxy URL \
                              (http://, https://, socks5://, socks5h://, socks4://)";

/// A proxy string (the Python package's `ProxyBuilder`): the names `system`, `clash`, `v2ray`,
/// `fiddler`, or an address used for both schemes (made a URL: `host:port` →
/// `http://host:port`). An empty string is no proxy (it is falsy in Python).
// Spec §3.2.
fn parse_proxy(text: &str, key: &str, line: Option<u32>) -> Result<ProxySetting, OptionError> {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    let url = match lower.as_str() {
        "" => return Ok(ProxySetting::None),
        "system" => return Ok(ProxySetting::System),
        "clash" => "http://127.0.0.1:7890".to_owned(),
        "v2ray" => "http://127.0.0.1:10809".to_owned(),
        "fiddler" => "http://127.0.0.1:8888".to_owned(),
        _ => {
            let (scheme, rest) = match t.split_once("://") {
                Some((s, r)) => (s.to_ascii_lowercase(), r),
                None => ("http".to_owned(), t),
            };
            let ok_scheme = ["http", "https", "socks5", "socks5h", "socks4", "socks4a"]
                .contains(&scheme.as_str());
            if !ok_scheme || !valid_authority(rest.trim_end_matches('/')) {
                let shown = super::redact_userinfo(t);
                return Err(bad(key, line, PROXY_EXPECTED, format!("{shown:?}")));
            }
            format!("{scheme}://{}", rest.trim_end_matches('/'))
        }
    };
    Ok(ProxySetting::Url(url))
}

/// `[user[:password]@]host[:port]`, host a name, IPv4 or `[IPv6]`, port 1–65535.
fn valid_authority(s: &str) -> bool {
    let hostport = s.rsplit_once('@').map_or(s, |(_, h)| h);
    let (host, port) = if let Some(rest) = hostport.strip_prefix('[') {
        match rest.split_once(']') {
            Some((h, after)) => (h, after.strip_prefix(':')),
            None => return false,
        }
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'));
    let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|n| n > 0));
    host_ok && port_ok
}

/// `meta_data.proxies`; a mistake is recorded and the default (the system proxy) used.
fn resolve_proxy(field: Field<RawProxy>, env: EnvLookup<'_>, problems: &Problems) -> ProxySetting {
    const KEY: &str = "client.postman.meta_data.proxies";
    let parse = |text: &str, key: &str, line: Option<u32>| -> Option<ProxySetting> {
        let text = expand(text, key, line, env, problems)?;
        problems.ok(parse_proxy(&text, key, line))
    };
    let proxy = match field {
        Field::Absent => Some(ProxySetting::System),
        // Explicit null overrides the default: no proxy (spec §3.1).
        Field::Null(_) => Some(ProxySetting::None),
        Field::Set(RawProxy::Text(s), line) => parse(&s, KEY, line),
        Field::Set(RawProxy::Map(entries), line) => {
            // A requests-style {http: .., https: ..}: one client proxy serves both, so
            // https is preferred (the API and CDN are https), then http, then all.
            let chosen = ["https", "http", "all"].iter().find_map(|scheme| {
                entries
                    .iter()
                    .rev()
                    .find(|(k, _)| k.eq_ignore_ascii_case(scheme))
            });
            match chosen {
                Some((_, None)) => Some(ProxySetting::None),
                Some((k, Some(v))) => parse(v, &join(KEY, k), line),
                None if entries.is_empty() => Some(ProxySetting::None),
                None => {
                    problems.push(bad(KEY, line, "a mapping with https or http", "other keys"));
                    None
                }
            }
        }
    };
    proxy.unwrap_or_default()
}

/// Expanded `{name: value}` pairs; pairs with a missing variable are recorded and left out.
fn expand_pairs(
    field: Field<Vec<(String, Text)>>,
    key: &str,
    env: EnvLookup<'_>,
    problems: &Problems,
) -> Vec<(String, String)> {
    match field {
        Field::Set(pairs, _) => pairs
            .into_iter()
            .filter_map(|(k, t)| {
                let v = expand(&t.value, &join(key, &k), t.line, env, problems)?;
                Some((k, v))
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// `client.dns`: `system`, `doh`, or resolver URLs (checked as the client checks them).
// Issue 12 item 2.
fn resolve_dns(field: Field<Vec<Text>>, problems: &Problems) -> jmcomic_client::DnsMode {
    use jmcomic_client::DnsMode;
    const KEY: &str = "client.dns";
    let Field::Set(items, line) = field else {
        return DnsMode::System;
    };
    let expected =
        "system, doh, or the https:// URL of a DNS-over-HTTPS resolver (or a list of them)";
    if let [only] = items.as_slice() {
        match only.value.to_ascii_lowercase().as_str() {
            "system" => return DnsMode::System,
            "doh" => return DnsMode::Doh,
            _ => {}
        }
    }
    if items.is_empty() {
        problems.push(bad(KEY, line, expected, "an empty list"));
        return DnsMode::System;
    }
    let mut urls = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let key = if items.len() == 1 {
            KEY.to_owned()
        } else {
            format!("{KEY}[{i}]")
        };
        let mode = DnsMode::DohUrls(vec![item.value.clone()]);
        match mode.check() {
            Ok(()) => urls.push(item.value.clone()),
            Err(e) => {
                let reason = match &e {
                    jmcomic_client::Error::InvalidDns { reason, .. } => reason.clone(),
                    other => other.to_string(),
                };
                problems.push(bad(
                    &key,
                    item.line.or(line),
                    expected,
                    format!("{:?} ({reason})", item.value),
                ));
            }
        }
    }
    if urls.len() == items.len() {
        DnsMode::DohUrls(urls)
    } else {
        DnsMode::System
    }
}

/// Upper bound of `rate_limit.requests`.
const MAX_RATE_REQUESTS: i128 = 1_000_000;

/// One `{requests, seconds}` of `client.rate_limit`; both or neither must be set.
// Issue 12 item 3.
fn resolve_rate(raw: RawRate, key: &str, problems: &Problems) -> Option<Rate> {
    let (has_requests, has_seconds) = raw.written;
    let requests = int_in(
        raw.requests,
        &join(key, "requests"),
        (1, MAX_RATE_REQUESTS),
        "a positive whole number of requests (at most 1000000)",
        problems,
    );
    let seconds = seconds(raw.seconds, &join(key, "seconds"), problems);
    match (requests, seconds) {
        (Some(r), Some(s)) => Some(Rate::new(r as u32, s)),
        (None, None) => None,
        _ => {
            // Only when one is missing, not when it was wrong (that is said already).
            let missing = match (has_requests, has_seconds) {
                (false, true) => Some("requests"),
                (true, false) => Some("seconds"),
                _ => None,
            };
            if let Some(missing) = missing {
                problems.push(bad(
                    key,
                    raw.line,
                    "both `requests` and `seconds` ({requests: 10, seconds: 60} is 10 requests a minute)",
                    format!("no `{missing}`"),
                ));
            }
            None
        }
    }
}

fn resolve_rate_limit(raw: RawRateLimit, problems: &Problems) -> RateLimits {
    const KEY: &str = "client.rate_limit";
    RateLimits {
        all: resolve_rate(raw.all, KEY, problems),
        api: resolve_rate(raw.api, &join(KEY, "api"), problems),
        cdn: resolve_rate(raw.cdn, &join(KEY, "cdn"), problems),
    }
}

fn resolve_client(
    raw: super::raw::RawClient,
    env: EnvLookup<'_>,
    problems: &Problems,
) -> ClientOptions {
    let defaults = ClientOptions::default();
    let impl_name = match raw.impl_name {
        Field::Set(s, line) => {
            let t = s.trim();
            if t == "api" || t == "html" {
                t.to_owned()
            } else {
                let hint = suggest(t, ["api", "html"])
                    .map(|h| format!(" (did you mean `{h}`?)"))
                    .unwrap_or_default();
                problems.push(bad(
                    "client.impl",
                    line,
                    "api or html",
                    format!("{s:?}{hint}"),
                ));
                defaults.impl_name.clone()
            }
        }
        _ => defaults.impl_name.clone(),
    };
    let cache = match raw.cache {
        Field::Set(v, line) => match &v {
            serde_json::Value::Bool(_) => Some(v),
            serde_json::Value::String(s) if s == "level_option" || s == "level_client" => Some(v),
            other => {
                problems.push(bad(
                    "client.cache",
                    line,
                    "null, true, false, level_option or level_client",
                    other,
                ));
                None
            }
        },
        _ => None,
    };
    let m = raw.postman.meta_data;
    let meta_verify = m.verify.set();
    let meta_data = MetaData {
        impersonate: match m.impersonate {
            Field::Absent => MetaData::default().impersonate,
            Field::Null(_) => None,
            Field::Set(s, _) => Some(s),
        },
        headers: expand_pairs(m.headers, "client.postman.meta_data.headers", env, problems),
        proxies: resolve_proxy(m.proxies, env, problems),
        cookies: expand_pairs(m.cookies, "client.postman.meta_data.cookies", env, problems),
        timeout: seconds(m.timeout, "client.postman.meta_data.timeout", problems),
        verify: meta_verify,
    };
    ClientOptions {
        impl_name,
        async_impl: Some(raw.async_impl.or("async_api".into())),
        retry_times: int_in(
            raw.retry_times,
            "client.retry_times",
            (0, MAX_RETRIES),
            "a non-negative integer (at most 1000)",
            problems,
        )
        .map_or(defaults.retry_times, |v| v as u32),
        cache,
        domain: resolve_domain(raw.domain, "client.domain", env, problems),
        image_domain: resolve_domain(raw.image_domain, "client.image_domain", env, problems),
        app_version: raw
            .app_version
            .set()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty()),
        timeout: seconds(raw.timeout, "client.timeout", problems),
        verify_tls: raw.verify_tls.or(true) && meta_verify != Some(false),
        session_file: match raw.session_file {
            Field::Set(s, line) if !s.trim().is_empty() => {
                expand(&s, "client.session_file", line, env, problems)
                    .map(|s| absolute(Path::new(&s)))
            }
            _ => None,
        },
        dns: resolve_dns(raw.dns, problems),
        rate_limit: resolve_rate_limit(raw.rate_limit, problems),
        state_file: match raw.state_file {
            Field::Set(RawStateFile::Path(s), line) => {
                expand(&s, "client.state_file", line, env, problems)
                    .map_or(StateFileSetting::Default, |s| {
                        StateFileSetting::Path(absolute(Path::new(&s)))
                    })
            }
            Field::Set(RawStateFile::Off, _) => StateFileSetting::Off,
            _ => StateFileSetting::Default,
        },
        postman: Postman {
            kind: raw.postman.kind.or(Postman::default().kind),
            meta_data,
        },
    }
}

const VALID_MODES: &[(&str, &str)] = &[("ignore", "ignore"), ("log", "log"), ("raise", "raise")];

fn resolve_plugins(raw: super::raw::RawPlugins, problems: &Problems) -> PluginOptions {
    let valid = choice(raw.valid, "plugins.valid", VALID_MODES, problems).or("log");
    let dependencies_strategy = choice(
        raw.dependencies_strategy,
        "plugins.dependencies_strategy",
        &[
            ("failed-fast", "failed-fast"),
            ("auto-install", "auto-install"),
            ("ignore-only-log", "ignore-only-log"),
        ],
        problems,
    )
    .or("failed-fast");
    let mut groups = Vec::with_capacity(raw.groups.len());
    for g in raw.groups {
        let mut entries = Vec::with_capacity(g.entries.len());
        for e in g.entries {
            let key = format!("plugins.{}[{}].valid", g.name, e.index);
            entries.push(PluginEntry {
                plugin: e.plugin,
                kwargs: e.kwargs,
                safe: e.safe.or(true),
                log: e.log.or(true),
                valid: choice(e.valid, &key, VALID_MODES, problems)
                    .set()
                    .map(str::to_owned),
            });
        }
        groups.push((g.name, entries));
    }
    PluginOptions {
        valid: valid.to_owned(),
        dependencies_strategy: Some(dependencies_strategy.to_owned()),
        groups,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxies() {
        let p = |s: &str| parse_proxy(s, "k", None);
        assert_eq!(p("system").ok(), Some(ProxySetting::System));
        assert_eq!(p("").ok(), Some(ProxySetting::None));
        assert_eq!(
            p("v2Ray").ok(),
            Some(ProxySetting::Url("http://127.0.0.1:10809".into()))
        );
        assert_eq!(
            p("127.0.0.1:7890").ok(),
            Some(ProxySetting::Url("http://127.0.0.1:7890".into()))
        );
        assert_eq!(
            p("socks5://u:p@[::1]:1080/").ok(),
            Some(ProxySetting::Url("socks5://u:p@[::1]:1080".into()))
        );
        for bad in [
            "not a proxy",
            "ftp://h:1",
            "h:99999",
            "h:0",
            "http://",
            "[::1",
        ] {
            assert!(p(bad).is_err(), "{bad}");
        }
        let e = p("ftp://user:secret@h:1").expect_err("bad scheme");
        assert!(!e.to_string().contains("secret"), "{e}");
    }

    #[test]
    fn absolute_paths() {
        let cwd = current_dir();
        assert_eq!(absolute(Path::new("a/./b/../c")), cwd.join("a/c"));
        #[cfg(unix)]
        assert_eq!(absolute(Path::new("/x/y/../z")), PathBuf::from("/x/z"));
    }
}
