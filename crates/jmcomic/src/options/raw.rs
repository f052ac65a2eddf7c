//! Stage 1: the option file as written, every field optional.
//!
//! [`RawOptions::read`] checks keys (unknown keys are errors that suggest the nearest known
//! key, at every level) and value types, and keeps each value's line. A mistake is recorded
//! in [`Problems`] and the value is read as absent (its default), so reading goes on and one
//! load reports every mistake of the file. It distinguishes an
//! absent key from an explicit `null`, because the Python package gives `null` a meaning
//! for some keys. Defaults, ranges and `${ENV}` are stage 2 (`resolve.rs`).
//! Before reading, old files get the Python package's compatibility migrations (`migrate`).

// Spec §3.1, §3.2.

use super::error::{OptionError, Problems};
use super::node::{Entry, Node, Value};
use super::suggest;

/// A leaf value: absent, explicitly `null`, or set; with its line.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) enum Field<T> {
    #[default]
    Absent,
    Null(Option<u32>),
    Set(T, Option<u32>),
}

impl<T> Field<T> {
    /// The value; absent and `null` both give `default` (for keys where `null` has no
    /// meaning of its own; the Python package would crash on it).
    // Spec §3.1, W11.
    pub fn or(self, default: T) -> T {
        match self {
            Field::Set(v, _) => v,
            _ => default,
        }
    }

    /// The value if set.
    pub fn set(self) -> Option<T> {
        match self {
            Field::Set(v, _) => Some(v),
            _ => None,
        }
    }

    pub fn line(&self) -> Option<u32> {
        match self {
            Field::Absent => None,
            Field::Null(l) | Field::Set(_, l) => *l,
        }
    }
}

/// A text value with its line (list items, map entries).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Text {
    pub value: String,
    pub line: Option<u32>,
}

/// A domain with its place in the list as written (`client.domain[2]`): items with mistakes
/// and blank ones are left out, so the place is not the position in the read list.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Domain {
    pub index: usize,
    pub text: Text,
}

/// `log`: a boolean or `pretty`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum RawLog {
    Bool(bool),
    Pretty,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct RawOptions {
    pub log: Field<RawLog>,
    pub dir_rule: RawDirRule,
    pub download: RawDownload,
    pub client: RawClient,
    pub plugins: RawPlugins,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct RawDirRule {
    pub rule: Field<String>,
    pub base_dir: Field<String>,
    pub normalize_zh: Field<String>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct RawDownload {
    pub cache: Field<bool>,
    pub archive: Field<String>,
    pub album_json: Field<bool>,
    pub image: RawImage,
    pub threading: RawThreading,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct RawImage {
    pub decode: Field<bool>,
    pub suffix: Field<String>,
    pub encoder: Field<String>,
    pub webp_quality: Field<f64>,
    pub webp_method: Field<i128>,
    pub jpeg_quality: Field<i128>,
    pub png_compression: Field<String>,
    pub verify: Field<String>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct RawThreading {
    pub image: Field<i128>,
    pub photo: Field<i128>,
    pub album: Field<i128>,
    pub cpu: Field<i128>,
}

/// `client.domain` / `client.image_domain`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum RawDomain {
    /// A list, or a multi-line string already split into lines.
    List(Vec<Domain>),
    /// `{impl_key: [domains]}`.
    PerImpl(Vec<(String, Vec<Domain>)>),
}

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct RawClient {
    pub impl_name: Field<String>,
    pub async_impl: Field<String>,
    pub retry_times: Field<i128>,
    pub cache: Field<serde_json::Value>,
    pub domain: Field<RawDomain>,
    pub image_domain: Field<RawDomain>,
    pub app_version: Field<String>,
    pub timeout: Field<f64>,
    pub verify_tls: Field<bool>,
    pub session_file: Field<String>,
    pub dns: Field<Vec<Text>>,
    pub rate_limit: RawRateLimit,
    pub state_file: Field<RawStateFile>,
    pub postman: RawPostman,
}

/// `client.rate_limit`: a limit for every host, and the API's and CDN's own.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct RawRateLimit {
    pub all: RawRate,
    pub api: RawRate,
    pub cdn: RawRate,
}

/// `{requests: N, seconds: M}`, with the line of the mapping and which keys the file has
/// (a value of the wrong type reads as absent, but is not missing).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct RawRate {
    pub requests: Field<i128>,
    pub seconds: Field<f64>,
    pub line: Option<u32>,
    pub written: (bool, bool),
}

/// `client.state_file`: a path, or `false` (or `""`) for none, or `true` for the default.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum RawStateFile {
    Path(String),
    Off,
    Default,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct RawPostman {
    pub kind: Field<String>,
    pub meta_data: RawMetaData,
}

/// `proxies`: a string or `{http: .., https: ..}`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum RawProxy {
    Text(String),
    Map(Vec<(String, Option<String>)>),
}

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct RawMetaData {
    pub impersonate: Field<String>,
    pub headers: Field<Vec<(String, Text)>>,
    pub proxies: Field<RawProxy>,
    pub cookies: Field<Vec<(String, Text)>>,
    pub timeout: Field<f64>,
    pub verify: Field<bool>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct RawPlugins {
    pub valid: Field<String>,
    pub dependencies_strategy: Field<String>,
    pub groups: Vec<RawGroup>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RawGroup {
    pub name: String,
    pub entries: Vec<RawPluginEntry>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RawPluginEntry {
    pub plugin: String,
    pub kwargs: serde_json::Map<String, serde_json::Value>,
    pub safe: Field<bool>,
    pub log: Field<bool>,
    pub valid: Field<String>,
    pub line: Option<u32>,
    /// Position in its group in the file (entries with mistakes are left out of the group).
    pub index: usize,
}

// Known keys per level (spec §3.2 plus the keys new in this implementation).
const TOP_KEYS: &[&str] = &[
    "log", "version", "dir_rule", "download", "client", "plugins",
];
const DIR_RULE_KEYS: &[&str] = &["rule", "base_dir", "normalize_zh"];
const DOWNLOAD_KEYS: &[&str] = &["cache", "archive", "album_json", "image", "threading"];
const IMAGE_KEYS: &[&str] = &[
    "decode",
    "suffix",
    "encoder",
    "webp_quality",
    "webp_method",
    "jpeg_quality",
    "png_compression",
    "verify",
];
const THREADING_KEYS: &[&str] = &["image", "photo", "album", "cpu", "batch_count"];
const CLIENT_KEYS: &[&str] = &[
    "impl",
    "async_impl",
    "retry_times",
    "cache",
    "domain",
    "image_domain",
    "app_version",
    "timeout",
    "verify_tls",
    "session_file",
    "dns",
    "rate_limit",
    "state_file",
    "postman",
];
const RATE_LIMIT_KEYS: &[&str] = &["requests", "seconds", "api", "cdn"];
const RATE_KEYS: &[&str] = &["requests", "seconds"];
const POSTMAN_KEYS: &[&str] = &["type", "meta_data", "metadata"];
const META_KEYS: &[&str] = &[
    "impersonate",
    "headers",
    "proxies",
    "cookies",
    "timeout",
    "verify",
];
const PLUGIN_SETTING_KEYS: &[&str] = &["valid", "dependencies_strategy"];
const ENTRY_KEYS: &[&str] = &["plugin", "kwargs", "safe", "log", "valid"];

/// Joins a key path: `join("download", "image")` is `download.image`.
pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// Key paths whose values must never appear in messages.
pub(crate) fn is_secret_path(path: &str) -> bool {
    let p = path.to_ascii_lowercase();
    p.contains("cookie")
        || p.contains("authorization")
        || p.contains(".kwargs.") && super::is_secret_key(p.rsplit('.').next().unwrap_or(""))
}

/// How a value is shown in "got ..." (strings quoted and shortened, secrets hidden).
pub(crate) fn describe(node: &Node, path: &str) -> String {
    match &node.value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) if !is_secret_path(path) => i.to_string(),
        Value::Float(f) if !is_secret_path(path) => f.to_string(),
        Value::Int(_) | Value::Float(_) => "a number (hidden)".into(),
        Value::Str(_) if is_secret_path(path) => "a string (hidden)".into(),
        Value::Str(s) => {
            let short: String = s.chars().take(60).collect();
            if short.len() < s.len() {
                format!("{short:?}…")
            } else {
                format!("{s:?}")
            }
        }
        Value::Seq(_) => "a list".into(),
        Value::Map(_) => "a mapping".into(),
    }
}

pub(crate) fn invalid(node: &Node, path: &str, expected: &str) -> OptionError {
    OptionError::Invalid {
        file: None,
        line: node.line,
        key: path.to_owned(),
        expected: expected.to_owned(),
        got: describe(node, path),
    }
}

fn unknown_key(entry: &Entry, path: &str, known: &[&str]) -> OptionError {
    OptionError::UnknownKey {
        file: None,
        line: entry.line,
        key: join(path, &entry.key),
        suggestion: suggest(&entry.key, known.iter().copied()),
        known: known.iter().map(|s| (*s).to_owned()).collect(),
    }
}

/// A mapping section: its entries after checking every key against `known`. `null` is an
/// empty section (defaults), as is an absent one, and so (after recording the mistake) is a
/// value that is not a mapping.
struct Section<'n, 'p> {
    path: String,
    entries: &'n [Entry],
    problems: &'p Problems,
}

impl<'n, 'p> Section<'n, 'p> {
    fn new(node: Option<&'n Node>, path: &str, known: &[&str], problems: &'p Problems) -> Self {
        let entries: &[Entry] = match node {
            None => &[],
            Some(n) => match &n.value {
                Value::Null => &[],
                Value::Map(entries) => entries,
                _ => {
                    problems.push(invalid(n, path, "a mapping of keys to values"));
                    &[]
                }
            },
        };
        for e in entries {
            if !known.contains(&e.key.as_str()) {
                problems.push(unknown_key(e, path, known));
            }
        }
        Section {
            path: path.to_owned(),
            entries,
            problems,
        }
    }

    /// The section under `key`.
    fn section(&self, key: &str, known: &[&str]) -> Section<'n, 'p> {
        Section::new(self.node(key), &self.path(key), known, self.problems)
    }

    fn node(&self, key: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .rev()
            .find(|e| e.key == key)
            .map(|e| &e.value)
    }

    fn path(&self, key: &str) -> String {
        join(&self.path, key)
    }

    /// Reads `key` with `read` unless absent or `null`; a value `read` rejects is recorded
    /// and read as absent.
    fn field<T>(
        &self,
        key: &str,
        read: impl FnOnce(&'n Node, &str) -> Result<T, OptionError>,
    ) -> Field<T> {
        match self.node(key) {
            None => Field::Absent,
            Some(n) if n.value == Value::Null => Field::Null(n.line),
            Some(n) => match self.problems.ok(read(n, &self.path(key))) {
                Some(v) => Field::Set(v, n.line),
                None => Field::Absent,
            },
        }
    }

    fn bool(&self, key: &str) -> Field<bool> {
        self.field(key, read_bool)
    }

    fn string(&self, key: &str) -> Field<String> {
        self.field(key, |n, p| read_string(n, p, "a string"))
    }

    fn int(&self, key: &str, expected: &str) -> Field<i128> {
        self.field(key, |n, p| match n.value {
            Value::Int(i) => Ok(i),
            _ => Err(invalid(n, p, expected)),
        })
    }

    fn float(&self, key: &str, expected: &str) -> Field<f64> {
        self.field(key, |n, p| match n.value {
            Value::Int(i) => Ok(i as f64),
            Value::Float(f) if f.is_finite() => Ok(f),
            _ => Err(invalid(n, p, expected)),
        })
    }
}

fn read_bool(n: &Node, path: &str) -> Result<bool, OptionError> {
    match n.value {
        Value::Bool(b) => Ok(b),
        // Python reads these keys by truthiness; 0 and 1 are the unambiguous cases.
        Value::Int(0) => Ok(false),
        Value::Int(1) => Ok(true),
        _ => Err(invalid(n, path, "true or false")),
    }
}

fn read_string(n: &Node, path: &str, expected: &str) -> Result<String, OptionError> {
    match &n.value {
        Value::Str(s) => Ok(s.clone()),
        _ => Err(invalid(n, path, expected)),
    }
}

/// A scalar as Python's `str()` would write it (cookie and header values, versions):
/// YAML reads `ipcountry: 1` as a number, which the Python package passes on as text.
fn read_scalar_text(n: &Node, path: &str) -> Result<String, OptionError> {
    match &n.value {
        Value::Str(s) => Ok(s.clone()),
        Value::Int(i) => Ok(i.to_string()),
        Value::Float(f) => Ok(f.to_string()),
        Value::Bool(b) => Ok(if *b { "True" } else { "False" }.to_owned()),
        _ => Err(invalid(n, path, "a string")),
    }
}

/// `{name: value}` with scalar values (cookies, headers); entries with other values are
/// recorded and left out.
fn read_pairs(
    n: &Node,
    path: &str,
    problems: &Problems,
) -> Result<Vec<(String, Text)>, OptionError> {
    let Some(entries) = n.entries() else {
        return Err(invalid(n, path, "a mapping of names to values"));
    };
    Ok(entries
        .iter()
        .filter(|e| e.value.value != Value::Null)
        .filter_map(|e| {
            let value = problems.ok(read_scalar_text(&e.value, &join(path, &e.key)))?;
            Some((
                e.key.clone(),
                Text {
                    value,
                    line: e.value.line.or(e.line),
                },
            ))
        })
        .collect())
}

/// A domain list: a list of strings, or one string with one domain per line (blank lines
/// dropped, as the Python package does). Items that are not text are recorded and left out.
// Spec §3.6 step 3.
fn read_domain_list(n: &Node, path: &str, problems: &Problems) -> Result<Vec<Domain>, OptionError> {
    match &n.value {
        Value::Null => Ok(Vec::new()),
        Value::Str(s) => Ok(s
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .enumerate()
            .map(|(index, l)| Domain {
                index,
                text: Text {
                    value: l.to_owned(),
                    line: n.line,
                },
            })
            .collect()),
        Value::Seq(items) => Ok(items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| {
                if let Value::Str(s) = &item.value {
                    Some(Domain {
                        index: i,
                        text: Text {
                            value: s.trim().to_owned(),
                            line: item.line,
                        },
                    })
                } else {
                    problems.push(invalid(
                        item,
                        &format!("{path}[{i}]"),
                        "a domain name (text)",
                    ));
                    None
                }
            })
            .filter(|d| !d.text.value.is_empty())
            .collect()),
        _ => Err(invalid(
            n,
            path,
            "a list of domains, a text with one domain per line, or a mapping {impl: [domains]}",
        )),
    }
}

fn read_domain(n: &Node, path: &str, problems: &Problems) -> Result<RawDomain, OptionError> {
    match &n.value {
        Value::Map(entries) => Ok(RawDomain::PerImpl(
            entries
                .iter()
                .filter_map(|e| {
                    let list =
                        problems.ok(read_domain_list(&e.value, &join(path, &e.key), problems))?;
                    Some((e.key.clone(), list))
                })
                .collect(),
        )),
        _ => read_domain_list(n, path, problems).map(RawDomain::List),
    }
}

/// A proxy: text, or `{scheme: address}` (entries that are not text are recorded and left
/// out).
fn read_proxy(n: &Node, path: &str, problems: &Problems) -> Result<RawProxy, OptionError> {
    match &n.value {
        Value::Str(s) => Ok(RawProxy::Text(s.clone())),
        Value::Map(entries) => Ok(RawProxy::Map(
            entries
                .iter()
                .filter_map(|e| {
                    let v = match &e.value.value {
                        Value::Null => None,
                        Value::Str(s) => Some(s.clone()),
                        _ => {
                            problems.push(invalid(
                                &e.value,
                                &join(path, &e.key),
                                "a proxy address such as 127.0.0.1:7890",
                            ));
                            return None;
                        }
                    };
                    Some((e.key.clone(), v))
                })
                .collect(),
        )),
        _ => Err(invalid(
            n,
            path,
            "null, system, clash, v2ray, fiddler, host:port, a proxy URL, or {http: .., https: ..}",
        )),
    }
}

fn read_json_scalar(n: &Node, path: &str) -> Result<serde_json::Value, OptionError> {
    match &n.value {
        Value::Bool(_) | Value::Str(_) => Ok(n.to_json()),
        _ => Err(invalid(
            n,
            path,
            "null, true, false, level_option or level_client",
        )),
    }
}

impl RawOptions {
    /// Reads a (migrated) document. `None` is an empty file. Mistakes go to `problems`.
    pub fn read(root: Option<&Node>, problems: &Problems) -> RawOptions {
        let top = Section::new(root, "", TOP_KEYS, problems);
        let log = top.field("log", |n, p| match &n.value {
            Value::Bool(b) => Ok(RawLog::Bool(*b)),
            Value::Int(0) => Ok(RawLog::Bool(false)),
            Value::Int(1) => Ok(RawLog::Bool(true)),
            Value::Str(s) if s.eq_ignore_ascii_case("pretty") => Ok(RawLog::Pretty),
            _ => Err(invalid(n, p, "true, false or 'pretty'")),
        });

        let d = top.section("dir_rule", DIR_RULE_KEYS);
        let dir_rule = RawDirRule {
            rule: d.string("rule"),
            base_dir: d.string("base_dir"),
            normalize_zh: d.string("normalize_zh"),
        };

        let dl = top.section("download", DOWNLOAD_KEYS);
        let im = dl.section("image", IMAGE_KEYS);
        let image = RawImage {
            decode: im.bool("decode"),
            suffix: im.string("suffix"),
            encoder: im.string("encoder"),
            webp_quality: im.float("webp_quality", "a number from 0 to 100"),
            webp_method: im.int("webp_method", "an integer from 0 to 6"),
            jpeg_quality: im.int("jpeg_quality", "an integer from 1 to 100"),
            png_compression: im.string("png_compression"),
            verify: im.string("verify"),
        };
        let th = dl.section("threading", THREADING_KEYS);
        let positive = "a positive integer";
        if let Some(n) = th.node("batch_count") {
            // Migrated away for old files (`migrate`); a file marked version >= 2.1 that still
            // has it gets what the Python package does: the key is ignored.
            tracing::warn!(
                line = n.line.unwrap_or(0),
                "download.threading.batch_count is ignored in a version 2.1 option file; \
                 use download.threading.image"
            );
        }
        let threading = RawThreading {
            image: th.int("image", positive),
            photo: th.int("photo", positive),
            album: th.int("album", positive),
            cpu: th.int("cpu", positive),
        };
        let download = RawDownload {
            cache: dl.bool("cache"),
            archive: dl.string("archive"),
            album_json: dl.bool("album_json"),
            image,
            threading,
        };

        let c = top.section("client", CLIENT_KEYS);
        let pm = c.section("postman", POSTMAN_KEYS);
        let meta_data = read_meta_data(&pm);
        let client = RawClient {
            impl_name: c.string("impl"),
            async_impl: c.string("async_impl"),
            retry_times: c.int("retry_times", "a non-negative integer"),
            cache: c.field("cache", read_json_scalar),
            domain: c.field("domain", |n, p| read_domain(n, p, problems)),
            image_domain: c.field("image_domain", |n, p| read_domain(n, p, problems)),
            app_version: c.field("app_version", read_scalar_text),
            timeout: c.float("timeout", "a positive number of seconds"),
            verify_tls: c.bool("verify_tls"),
            session_file: c.string("session_file"),
            dns: c.field("dns", read_dns),
            rate_limit: read_rate_limit(&c),
            state_file: c.field("state_file", |n, p| match &n.value {
                Value::Str(s) if s.trim().is_empty() => Ok(RawStateFile::Off),
                Value::Str(s) => Ok(RawStateFile::Path(s.clone())),
                Value::Bool(false) => Ok(RawStateFile::Off),
                Value::Bool(true) => Ok(RawStateFile::Default),
                _ => Err(invalid(
                    n,
                    p,
                    "a file path, null for the default place, or false for none",
                )),
            }),
            postman: RawPostman {
                kind: pm.string("type"),
                meta_data,
            },
        };

        let plugins = read_plugins(top.node("plugins"), problems);
        RawOptions {
            log,
            dir_rule,
            download,
            client,
            plugins,
        }
    }
}

/// `client.dns`: one text (`system`, `doh`, a resolver URL) or a list of resolver URLs.
fn read_dns(n: &Node, path: &str) -> Result<Vec<Text>, OptionError> {
    let expected =
        "system, doh, or the https:// URL of a DNS-over-HTTPS resolver (or a list of them)";
    match &n.value {
        Value::Str(s) => Ok(vec![Text {
            value: s.trim().to_owned(),
            line: n.line,
        }]),
        Value::Seq(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| match &item.value {
                Value::Str(s) => Ok(Text {
                    value: s.trim().to_owned(),
                    line: item.line,
                }),
                _ => Err(invalid(item, &format!("{path}[{i}]"), expected)),
            })
            .collect(),
        _ => Err(invalid(n, path, expected)),
    }
}

/// `client.rate_limit` and its `api` and `cdn` sub-maps.
fn read_rate_limit(c: &Section<'_, '_>) -> RawRateLimit {
    let section = c.section("rate_limit", RATE_LIMIT_KEYS);
    let line = c.node("rate_limit").and_then(|n| n.line);
    let rate = |s: &Section<'_, '_>, line: Option<u32>| RawRate {
        requests: s.int("requests", "a positive whole number of requests"),
        seconds: s.float("seconds", "a positive number of seconds"),
        line,
        written: (s.node("requests").is_some(), s.node("seconds").is_some()),
    };
    let sub = |key: &str| {
        let line = section.node(key).and_then(|n| n.line);
        rate(&section.section(key, RATE_KEYS), line)
    };
    RawRateLimit {
        all: rate(&section, line),
        api: sub("api"),
        cdn: sub("cdn"),
    }
}

/// `meta_data`, with `metadata` accepted as an alias, as in the Python package. When a file has
/// both, their keys are combined and `meta_data` wins where both set one.
// Spec §3.2.
fn read_meta_data(pm: &Section<'_, '_>) -> RawMetaData {
    fn pick<T>(a: Field<T>, b: Field<T>) -> Field<T> {
        if matches!(a, Field::Absent) { b } else { a }
    }
    let problems = pm.problems;
    let read = |key: &str| -> RawMetaData {
        let m = pm.section(key, META_KEYS);
        RawMetaData {
            impersonate: m.string("impersonate"),
            headers: m.field("headers", |n, p| read_pairs(n, p, problems)),
            proxies: m.field("proxies", |n, p| read_proxy(n, p, problems)),
            cookies: m.field("cookies", |n, p| read_pairs(n, p, problems)),
            timeout: m.float("timeout", "a positive number of seconds"),
            verify: m.bool("verify"),
        }
    };
    let main = read("meta_data");
    if pm.node("metadata").is_none() {
        return main;
    }
    let alias = read("metadata");
    RawMetaData {
        impersonate: pick(main.impersonate, alias.impersonate),
        headers: pick(main.headers, alias.headers),
        proxies: pick(main.proxies, alias.proxies),
        cookies: pick(main.cookies, alias.cookies),
        timeout: pick(main.timeout, alias.timeout),
        verify: pick(main.verify, alias.verify),
    }
}

fn read_plugins(node: Option<&Node>, problems: &Problems) -> RawPlugins {
    let mut out = RawPlugins::default();
    let entries: &[Entry] = match node {
        None => &[],
        Some(n) => match &n.value {
            Value::Null => &[],
            Value::Map(e) => e,
            _ => {
                problems.push(invalid(n, "plugins", "a mapping of plugin groups"));
                &[]
            }
        },
    };
    let setting = |key: &str| -> Field<String> {
        match entries.iter().rev().find(|e| e.key == key) {
            None => Field::Absent,
            Some(e) if e.value.value == Value::Null => Field::Null(e.value.line),
            Some(e) => {
                match problems.ok(read_string(&e.value, &join("plugins", key), "a string")) {
                    Some(v) => Field::Set(v, e.value.line),
                    None => Field::Absent,
                }
            }
        }
    };
    out.valid = setting("valid");
    out.dependencies_strategy = setting("dependencies_strategy");
    for e in entries {
        if PLUGIN_SETTING_KEYS.contains(&e.key.as_str()) {
            continue;
        }
        let path = join("plugins", &e.key);
        let items: &[Node] = match &e.value.value {
            Value::Null => &[],
            Value::Seq(items) => items,
            // A scalar under a misspelt setting (`vaild: raise`) is more likely a typo than a
            // plugin group.
            _ => {
                problems.push(match suggest(&e.key, PLUGIN_SETTING_KEYS.iter().copied()) {
                    Some(s) => OptionError::UnknownKey {
                        file: None,
                        line: e.line,
                        key: path,
                        suggestion: Some(s),
                        known: Vec::new(),
                    },
                    None => invalid(&e.value, &path, "a list of plugin entries"),
                });
                continue;
            }
        };
        let mut group = RawGroup {
            name: e.key.clone(),
            entries: Vec::with_capacity(items.len()),
        };
        for (i, item) in items.iter().enumerate() {
            if let Some(entry) = read_entry(item, (&path, i), problems) {
                group.entries.push(entry);
            }
        }
        out.groups.push(group);
    }
    out
}

/// One plugin entry; `None` (after recording why) when it cannot be one.
fn read_entry(
    node: &Node,
    (group, index): (&str, usize),
    problems: &Problems,
) -> Option<RawPluginEntry> {
    let path = &format!("{group}[{index}]");
    match node.value {
        Value::Map(_) => {}
        Value::Null => {
            problems.push(invalid(
                node,
                path,
                "a plugin entry {plugin: name, kwargs: {...}}",
            ));
            return None;
        }
        _ => {
            problems.push(invalid(node, path, "a mapping of keys to values"));
            return None;
        }
    }
    let s = Section::new(Some(node), path, ENTRY_KEYS, problems);
    let plugin = if let Some(n) = s.node("plugin") {
        problems.ok(read_string(n, &s.path("plugin"), "a plugin name"))
    } else {
        problems.push(OptionError::Invalid {
            file: None,
            line: node.line,
            key: s.path("plugin"),
            expected: "a plugin name (every entry needs `plugin:`)".into(),
            got: "nothing".into(),
        });
        None
    };
    let kwargs = match s.node("kwargs") {
        None => Some(serde_json::Map::new()),
        Some(n) => match n.to_json() {
            serde_json::Value::Null => Some(serde_json::Map::new()),
            serde_json::Value::Object(m) => Some(m),
            _ => {
                problems.push(invalid(
                    n,
                    &s.path("kwargs"),
                    "a mapping of plugin arguments",
                ));
                None
            }
        },
    };
    // Read the other keys even when the entry is already wrong, so their mistakes are
    // reported too.
    let (safe, log, valid) = (s.bool("safe"), s.bool("log"), s.string("valid"));
    Some(RawPluginEntry {
        plugin: plugin?,
        kwargs: kwargs?,
        safe,
        log,
        valid,
        line: node.line,
        index,
    })
}

/// The option-file version below which the compatibility fixes run (`JM_OPTION_VER`).
const CURRENT_VERSION: f64 = 2.1;

/// Reads `version` (a number or text such as `'2.1'`) and, when it is absent or below 2.1,
/// applies the Python package's compatibility migrations to the tree (`batch_count` →
/// `image`, `plugin` → `plugins`, the zip plugin's `level`). A version that is not a
/// number is recorded and read as absent (so the rest of an old file reads without
/// mistakes that the migrations would have fixed).
// Spec §3.1.
pub(crate) fn migrate(root: &mut Node, problems: &Problems) {
    let expected = "a version number such as '2.1'";
    let version = match root.get("version") {
        None => None,
        Some(n) => match &n.value {
            Value::Null => None,
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            Value::Str(s) => problems.ok(s
                .trim()
                .parse::<f64>()
                .map_err(|_| invalid(n, "version", expected))),
            _ => {
                problems.push(invalid(n, "version", expected));
                None
            }
        },
    };
    if version.is_some_and(|v| v >= CURRENT_VERSION - 1e-9) {
        return;
    }
    migrate_batch_count(root);
    migrate_plugin_key(root);
    migrate_zip_level(root);
}

/// `download.threading.batch_count` → `download.threading.image` (it replaces `image`).
fn migrate_batch_count(root: &mut Node) {
    let Some(threading) = root
        .get_mut("download")
        .and_then(|d| d.get_mut("threading"))
        .and_then(Node::entries_mut)
    else {
        return;
    };
    if let Some(pos) = threading.iter().rposition(|e| e.key == "batch_count") {
        let mut e = threading.remove(pos);
        threading.retain(|x| x.key != "image");
        tracing::info!(
            "option migration: download.threading.batch_count is now download.threading.image"
        );
        e.key = "image".into();
        threading.push(e);
    }
}

/// Top-level `plugin` → `plugins` (it replaces `plugins`, as in the Python package).
fn migrate_plugin_key(root: &mut Node) {
    let Some(entries) = root.entries_mut() else {
        return;
    };
    if let Some(pos) = entries.iter().rposition(|e| e.key == "plugin") {
        let mut e = entries.remove(pos);
        if entries.iter().any(|x| x.key == "plugins") {
            tracing::warn!(
                "option migration: both `plugin` and `plugins` are set; `plugin` replaces `plugins` (as in the Python package)"
            );
            entries.retain(|x| x.key != "plugins");
        }
        tracing::info!("option migration: top-level `plugin` is now `plugins`");
        e.key = "plugins".into();
        entries.push(e);
    }
}

/// The zip plugin's deprecated `level` argument: the group decides the
/// level now. A zip entry whose `level` disagrees with its group moves to the group of that
/// level (`after_album` ⇄ `after_photo`); `level` is removed from its arguments.
///
/// Entries without `level` stay where they are: the zip plugin's own default is the group's
/// level (the zip plugin's own default, "auto = album if album given"), and the Python docs'
/// example (a zip under `after_album` in a file without `version`) means one archive per album.
// Spec §3.1, §5.3.
fn migrate_zip_level(root: &mut Node) {
    let Some(plugins) = root.get_mut("plugins") else {
        return;
    };
    if plugins.entries().is_none() {
        return;
    }
    let mut moves: Vec<(&'static str, Node)> = Vec::new();
    for (group, other, own_level) in [
        ("after_album", "after_photo", "album"),
        ("after_photo", "after_album", "photo"),
    ] {
        let Some(Node {
            value: Value::Seq(items),
            ..
        }) = plugins.get_mut(group)
        else {
            continue;
        };
        let mut kept = Vec::with_capacity(items.len());
        for mut item in std::mem::take(items) {
            let is_zip =
                matches!(item.get("plugin"), Some(Node { value: Value::Str(s), .. }) if s == "zip");
            let level = if is_zip {
                item.get_mut("kwargs")
                    .and_then(Node::entries_mut)
                    .and_then(|kw| {
                        let pos = kw.iter().rposition(|e| e.key == "level")?;
                        Some(kw.remove(pos).value)
                    })
            } else {
                None
            };
            match level {
                Some(Node {
                    value: Value::Str(l),
                    ..
                }) if l != own_level => {
                    tracing::info!(
                        "option migration: zip with level `{l}` moves from {group} to {other}; \
                         write it as\n  {other}:\n    - plugin: zip\n      kwargs: ..."
                    );
                    moves.push((other, item));
                }
                _ => kept.push(item),
            }
        }
        *items = kept;
    }
    for (group, item) in moves {
        let Some(entries) = plugins.entries_mut() else {
            return;
        };
        if let Some(e) = entries.iter_mut().rev().find(|e| e.key == group) {
            match &mut e.value.value {
                Value::Seq(items) => items.push(item),
                v @ Value::Null => *v = Value::Seq(vec![item]),
                _ => {}
            }
        } else {
            let line = item.line;
            entries.push(Entry {
                key: group.to_owned(),
                line,
                value: Node::new(Value::Seq(vec![item]), line),
            });
        }
    }
}
