//! Options: the Python package's option file, loaded unchanged.
//!
//! Users keep their existing `option.yml`: every key is read with the same meaning, old
//! files (without `version: 2.1`) get the same compatibility migrations (`batch_count` →
//! `image`, `plugin` → `plugins`, the zip plugin's `level`), and plugin sections are
//! parsed here and run by [`crate::plugin`]. What differs is stricter and friendlier error handling (the Python package rejects `.yaml`,
//! crashes on an empty file or `base_dir: null`, and fails on unknown top-level keys with a bare
//! `TypeError`): an empty file means "all defaults", `.yaml` and `.json` work, `null` never
//! crashes, and mistakes are reported with file, line and key, all of a file's mistakes at once,
//! e.g.
//!
//! ```text
//! option.yml: 2 mistakes:
//!   option.yml:3: unknown key dir_rule.rulle (did you mean `rule`?)
//!   option.yml:12: download.threading.image: expected a positive integer, got "abc"
//! ```
//!
//! [`Options::origin`] says where the options came from (a file and what named it, or the
//! defaults); [`OptionLookup`] is a program's search for its file (flag, variable,
//! defaults).
//!
//! Loading happens in two stages: the file is read into a mirror where
//! every key is optional (`raw.rs`: key and type checks, with lines), then resolved into
//! [`Options`] (`resolve.rs`: defaults, ranges, `${ENV}`), which is where the merge of the
//! file over the defaults is written down.
//!
//! ```
//! use jmcomic::options::{Options, ProxySetting};
//!
//! let o = Options::from_yaml_str(
//!     "download:\n  image:\n    suffix: jpg\nclient:\n  postman:\n    meta_data:\n      proxies: clash\n",
//! )?;
//! assert_eq!(o.download.image.suffix.as_deref(), Some(".jpg"));
//! assert!(o.download.image.decode); // other keys keep their defaults
//! assert_eq!(o.client.postman.meta_data.proxies, ProxySetting::Url("http://127.0.0.1:7890".into()));
//! # Ok::<(), jmcomic::options::OptionError>(())
//! ```

// Spec §3, §3.1, §3.2, W11; house style §15.

mod error;
mod node;
mod origin;
mod output;
mod raw;
mod resolve;
mod rewrite;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::Duration;

use regex::Regex;

use crate::dir_rule::DirRule;

pub use error::OptionError;
pub use origin::{OptionLookup, Origin, Via};
pub(crate) use resolve::absolute;
pub(crate) use rewrite::set_plugin_dict_value;

/// The environment variable that conventionally names the option file (used by
/// the Python package's `create_option_by_env` and CLIs).
// Spec §3.3.
pub const OPTION_PATH_ENV: &str = "JM_OPTION_PATH";

/// Looks up an environment variable for `${NAME}` expansion.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment (`std::env::var`; a value that is not valid UTF-8 counts as
/// unset).
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Logging wish of the option file (`log`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogMode {
    /// `log: true` (default): normal logging.
    #[default]
    On,
    /// `log: false`: the library's own logging is off.
    Off,
    /// `log: pretty`: coloured console logging.
    Pretty,
}

/// Everything an option file configures.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Options {
    /// `log`.
    pub log: LogMode,
    /// `dir_rule`: where files go (rule, base directory, Chinese conversion).
    pub dir_rule: DirRule,
    /// `download`.
    pub download: DownloadOptions,
    /// `client`.
    pub client: ClientOptions,
    /// `plugins`.
    pub plugins: PluginOptions,
    /// The file the options were loaded from.
    pub source: Option<PathBuf>,
    /// Where the options came from: the file [`Self::source`] and what named it, the
    /// defaults and why, or the program.
    pub origin: Origin,
}

/// `download`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct DownloadOptions {
    /// `download.cache`: skip images whose file already exists (default true).
    pub cache: bool,
    /// `download.archive` (new): a download archive (SQLite) recording every page and
    /// export done; pages recorded there are never fetched again, even when their folder
    /// was moved (see [`crate::archive`]). `${ENV}` expanded, made absolute.
    pub archive: Option<PathBuf>,
    /// `download.album_json` (new, default false): an `album.json` per album in its folder
    /// (the album's fields, chapters and files).
    pub album_json: bool,
    /// `download.image`.
    pub image: ImageOptions,
    /// `download.threading`.
    pub threading: Threading,
}

/// `download.image`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ImageOptions {
    /// `decode`: undo the site's scrambling (default true).
    pub decode: bool,
    /// `suffix`: convert every non-GIF page to this format; with a leading dot, lower case
    /// (`jpg`, `.JPG` → `.jpg`); `None` keeps the served format.
    pub suffix: Option<String>,
    /// `encoder`: encoder settings preset (default `fast`).
    pub encoder: EncoderPreset,
    /// `webp_quality`: overrides the preset's WebP quality (0–100).
    pub webp_quality: Option<f32>,
    /// `webp_method`: overrides the preset's WebP method (0–6, 0 fastest).
    pub webp_method: Option<u8>,
    /// `jpeg_quality`: overrides the preset's JPEG quality (1–100).
    pub jpeg_quality: Option<u8>,
    /// `png_compression`: overrides the preset's PNG effort.
    pub png_compression: Option<PngLevel>,
    /// `verify`: how pages written unchanged are checked (default `auto`).
    pub verify: VerifyLevel,
}

/// `download.image.encoder`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EncoderPreset {
    /// `fast` (default): WebP method 2, JPEG q75, fast PNG deflate.
    #[default]
    Fast,
    /// `pillow`: byte-identical to the Python package (WebP q80 method 4, JPEG q75, PNG
    /// zlib level 6).
    Pillow,
}

/// `download.image.png_compression`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PngLevel {
    /// `fast`: fdeflate, large files, very quick.
    Fast,
    /// `balanced`: about zlib level 6 (Pillow's default).
    Balanced,
    /// `high`: smallest, slowest.
    High,
}

/// `download.image.verify`: how pages written unchanged (not descrambled, same format) are
/// checked before they get their final name. Descrambled pages are always fully decoded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum VerifyLevel {
    /// `auto` (default): `full` when `download.image.decode` is on, `structure` when it is
    /// off (a user who turned decoding off does not pay for a decode of every page).
    #[default]
    Auto,
    /// `structure`: check the file is complete (container sizes, end markers), no decode.
    Structure,
    /// `full`: also decode the page, so only decodable pages are kept.
    Full,
}

/// The formats `download.image.suffix` accepts.
pub const IMAGE_SUFFIXES: [&str; 5] = [".webp", ".jpg", ".jpeg", ".png", ".gif"];

impl ImageOptions {
    /// The encoder settings: the preset with the file's overrides applied.
    pub fn encode_settings(&self) -> jmcomic_image::EncodeSettings {
        let mut s = match self.encoder {
            EncoderPreset::Fast => jmcomic_image::EncodeSettings::default(),
            EncoderPreset::Pillow => jmcomic_image::EncodeSettings::pillow(),
        };
        if let Some(q) = self.webp_quality {
            s.webp.quality = q;
        }
        if let Some(m) = self.webp_method {
            s.webp.method = m;
        }
        if let Some(q) = self.jpeg_quality {
            s.jpeg_quality = q;
        }
        if let Some(p) = self.png_compression {
            s.png = match p {
                PngLevel::Fast => jmcomic_image::PngCompression::Fast,
                PngLevel::Balanced => jmcomic_image::PngCompression::Balanced,
                PngLevel::High => jmcomic_image::PngCompression::High,
            };
        }
        s
    }

    /// These settings with the encoder preset's values written into every override that is
    /// not set ([`Self::webp_quality`], [`Self::webp_method`], [`Self::jpeg_quality`],
    /// [`Self::png_compression`]): what [`Options::to_yaml`] prints. The encoding is the
    /// same ([`Self::encode_settings`] gives equal settings).
    #[must_use]
    pub fn with_preset_values(&self) -> ImageOptions {
        let s = self.encode_settings();
        ImageOptions {
            webp_quality: Some(s.webp.quality),
            webp_method: Some(s.webp.method),
            jpeg_quality: Some(s.jpeg_quality),
            png_compression: self.png_compression.or(match s.png {
                jmcomic_image::PngCompression::Fast => Some(PngLevel::Fast),
                jmcomic_image::PngCompression::Balanced => Some(PngLevel::Balanced),
                jmcomic_image::PngCompression::High => Some(PngLevel::High),
                // A level this version's option file cannot name: left unset.
                _ => None,
            }),
            ..self.clone()
        }
    }

    /// The page check of [`Self::verify`].
    pub fn verify_mode(&self) -> jmcomic_image::Verify {
        match self.verify {
            VerifyLevel::Structure => jmcomic_image::Verify::Structure,
            VerifyLevel::Full => jmcomic_image::Verify::Full,
            VerifyLevel::Auto if self.decode => jmcomic_image::Verify::Full,
            VerifyLevel::Auto => jmcomic_image::Verify::Structure,
        }
    }

    /// The target format of [`Self::suffix`], if one is set.
    pub fn suffix_format(&self) -> Option<jmcomic_image::Format> {
        self.suffix
            .as_deref()
            .and_then(jmcomic_image::Format::from_suffix)
    }
}

impl Default for ImageOptions {
    fn default() -> Self {
        ImageOptions {
            decode: true,
            suffix: None,
            encoder: EncoderPreset::Fast,
            webp_quality: None,
            webp_method: None,
            jpeg_quality: None,
            png_compression: None,
            verify: VerifyLevel::Auto,
        }
    }
}

/// `download.threading`: how much runs at once. Every value is at least 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Threading {
    /// `image`: images in flight per chapter (default 20, the 2.7.10 value, same meaning as
    /// in the Python package). Unlike there, the whole run is also capped, at `image × album`
    /// pages in flight, so a batch never puts more load on the CDN than the Python package's
    /// defaults would (it starts every album of a batch at once) and memory stays bounded.
    /// Old files' `batch_count` becomes this (the Python package's migration of files
    /// without `version: 2.1`).
    // Spec §3.1.
    pub image: usize,
    /// `photo`: chapters of an album in parallel (default: number of CPUs).
    pub photo: usize,
    /// `album`: albums of a batch in parallel (default 8; the Python package starts every
    /// album of a batch at once).
    pub album: usize,
    /// `cpu`: workers for decoding, descrambling and encoding (default: number of CPUs).
    pub cpu: usize,
}

/// The number of CPUs, the default of `threading.photo` and `threading.cpu`.
pub fn cpu_count() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

impl Default for Threading {
    fn default() -> Self {
        Threading {
            image: 20,
            photo: cpu_count(),
            album: 8,
            cpu: cpu_count(),
        }
    }
}

/// `client`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ClientOptions {
    /// `impl`: `api` (default: the mobile API) or `html` (the web site); see
    /// [`Options::client_builder`].
    pub impl_name: String,
    /// `async_impl` (default `async_api`): accepted, unused.
    pub async_impl: Option<String>,
    /// `retry_times`: attempts per domain minus one (default 5).
    pub retry_times: u32,
    /// `cache`: accepted as given (`null`, `true`, `false`, `level_option`, `level_client`).
    pub cache: Option<serde_json::Value>,
    /// `domain`: API (or HTML) domains; see [`DomainSetting::domains_for`].
    pub domain: DomainSetting,
    /// `image_domain` (new): image CDN hosts, same forms as `domain`.
    pub image_domain: DomainSetting,
    /// `app_version` (new): the app version to start with.
    pub app_version: Option<String>,
    /// `timeout`: seconds (the Python async client's key).
    pub timeout: Option<f64>,
    /// `verify_tls` (new, default true): check TLS certificates. Also false when
    /// `meta_data.verify` is false.
    pub verify_tls: bool,
    /// `session_file` (new): where `jmcomic login` keeps the logged-in session, and where
    /// the client reads it from. `None`: the library keeps no session file (the command line
    /// then uses its default place, see its `login` command).
    pub session_file: Option<PathBuf>,
    /// `dns` (new, default `system`): how host names are looked up: `system`, `doh` (DNS
    /// over HTTPS through the built-in public resolvers) or the `https://` URL of a DoH
    /// resolver (or a list of them). For networks whose DNS answers for the site are
    /// poisoned.
    pub dns: jmcomic_client::DnsMode,
    /// `rate_limit` (new, default off): at most so many requests per so many seconds to
    /// each host.
    pub rate_limit: RateLimits,
    /// `state_file` (new): where the domains that last worked are kept between runs (see
    /// [`crate::state`]).
    pub state_file: StateFileSetting,
    /// `postman`.
    pub postman: Postman,
}

/// `client.rate_limit`: `{requests: N, seconds: M}` for every host, with optional
/// `api: {...}` and `cdn: {...}` of their own (each replacing the general one for its
/// hosts). Requests are spread evenly: one every `seconds / requests` to each host.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct RateLimits {
    /// `requests` / `seconds`: every host.
    pub all: Option<Rate>,
    /// `api`: each API (or web) host.
    pub api: Option<Rate>,
    /// `cdn`: each image host.
    pub cdn: Option<Rate>,
}

impl RateLimits {
    /// Whether no limit is set.
    pub fn is_off(&self) -> bool {
        self.all.is_none() && self.api.is_none() && self.cdn.is_none()
    }
}

/// One rate: `requests` per `seconds`.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Rate {
    /// At least 1.
    pub requests: u32,
    /// More than 0.
    pub seconds: f64,
}

impl Rate {
    /// `requests` per `seconds`.
    pub fn new(requests: u32, seconds: f64) -> Self {
        Self { requests, seconds }
    }

    /// The client's rate limit.
    pub fn to_client(&self) -> jmcomic_client::RateLimit {
        jmcomic_client::RateLimit::new(self.requests, Duration::from_secs_f64(self.seconds))
    }
}

/// `client.state_file`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum StateFileSetting {
    /// `null` or absent: the platform's cache folder
    /// ([`crate::state::default_state_file`]).
    #[default]
    Default,
    /// `false` or `""`: no state file; every run starts from the first domain.
    Off,
    /// This file.
    Path(PathBuf),
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            impl_name: "api".into(),
            async_impl: Some("async_api".into()),
            retry_times: 5,
            cache: None,
            domain: DomainSetting::default(),
            image_domain: DomainSetting::default(),
            app_version: None,
            timeout: None,
            verify_tls: true,
            session_file: None,
            dns: jmcomic_client::DnsMode::System,
            rate_limit: RateLimits::default(),
            state_file: StateFileSetting::Default,
            postman: Postman::default(),
        }
    }
}

/// `client.domain` / `client.image_domain`: a list (a multi-line string is read as one
/// domain per line) or a mapping from client kind to list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DomainSetting {
    /// The same domains whatever the client kind. Empty means the built-in defaults.
    List(Vec<String>),
    /// `{api: [...], html: [...]}`, in file order.
    PerImpl(Vec<(String, Vec<String>)>),
}

impl Default for DomainSetting {
    fn default() -> Self {
        DomainSetting::List(Vec::new())
    }
}

impl DomainSetting {
    /// The domains configured for client kind `impl_name` (picked as the Python package does): the
    /// list, or the mapping's entry for that kind. Empty means "use the built-in defaults".
    // Spec §3.6 step 3.
    pub fn domains_for(&self, impl_name: &str) -> Vec<String> {
        match self {
            DomainSetting::List(l) => l.clone(),
            DomainSetting::PerImpl(m) => m
                .iter()
                .rev()
                .find(|(k, _)| k == impl_name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default(),
        }
    }

    /// Whether nothing is configured for any kind.
    pub fn is_empty(&self) -> bool {
        match self {
            DomainSetting::List(l) => l.is_empty(),
            DomainSetting::PerImpl(m) => m.iter().all(|(_, v)| v.is_empty()),
        }
    }
}

/// `client.postman`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Postman {
    /// `type` (default `curl_cffi`): accepted, informational.
    pub kind: String,
    /// `meta_data` (alias `metadata`).
    pub meta_data: MetaData,
}

impl Default for Postman {
    fn default() -> Self {
        Postman {
            kind: "curl_cffi".into(),
            meta_data: MetaData::default(),
        }
    }
}

/// `client.postman.meta_data`: what the Python package passes to every request.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct MetaData {
    /// `impersonate` (default `chrome`): accepted; this HTTP stack does not impersonate
    /// browsers.
    pub impersonate: Option<String>,
    /// `headers` (default none).
    pub headers: Vec<(String, String)>,
    /// `proxies` (default the system proxy).
    pub proxies: ProxySetting,
    /// `cookies`, e.g. the login cookie `AVS`.
    pub cookies: Vec<(String, String)>,
    /// `timeout`: seconds per request.
    pub timeout: Option<f64>,
    /// `verify`: `false` turns TLS verification off (see [`ClientOptions::verify_tls`]).
    pub verify: Option<bool>,
}

impl Default for MetaData {
    fn default() -> Self {
        MetaData {
            impersonate: Some("chrome".into()),
            headers: Vec::new(),
            proxies: ProxySetting::System,
            cookies: Vec::new(),
            timeout: None,
            verify: None,
        }
    }
}

impl fmt::Debug for MetaData {
    /// Cookie values, credential headers and proxy passwords are shown as `***`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cookies: Vec<(&str, &str)> = self
            .cookies
            .iter()
            .map(|(k, _)| (k.as_str(), REDACTED))
            .collect();
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), redact_header(k, v)))
            .collect();
        f.debug_struct("MetaData")
            .field("impersonate", &self.impersonate)
            .field("headers", &headers)
            .field("proxies", &self.proxies)
            .field("cookies", &cookies)
            .field("timeout", &self.timeout)
            .field("verify", &self.verify)
            .finish()
    }
}

/// `meta_data.proxies`.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum ProxySetting {
    /// The system proxy (`proxies: system`, the default).
    #[default]
    System,
    /// No proxy (`proxies: null`).
    None,
    /// This proxy, as a URL (`clash` → `http://127.0.0.1:7890`, `host:port` →
    /// `http://host:port`).
    Url(String),
}

impl fmt::Debug for ProxySetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProxySetting::System => f.write_str("System"),
            ProxySetting::None => f.write_str("None"),
            ProxySetting::Url(u) => f.debug_tuple("Url").field(&redact_userinfo(u)).finish(),
        }
    }
}

impl ProxySetting {
    /// The client's proxy setting.
    pub fn to_client_proxy(&self) -> jmcomic_client::Proxy {
        match self {
            ProxySetting::System => jmcomic_client::Proxy::System,
            ProxySetting::None => jmcomic_client::Proxy::None,
            ProxySetting::Url(u) => jmcomic_client::Proxy::Url(u.clone()),
        }
    }
}

/// `plugins`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct PluginOptions {
    /// `valid`: plugin argument checking, `ignore` | `log` (default) | `raise`.
    pub valid: String,
    /// `dependencies_strategy` (2.7.10; default `failed-fast`).
    pub dependencies_strategy: Option<String>,
    /// Plugin groups (`after_init`, `after_album`, `main`, ...) in file order.
    pub groups: Vec<(String, Vec<PluginEntry>)>,
}

impl Default for PluginOptions {
    fn default() -> Self {
        PluginOptions {
            valid: "log".into(),
            dependencies_strategy: Some("failed-fast".into()),
            groups: Vec::new(),
        }
    }
}

/// One entry of a plugin group (`plugin`, `kwargs`, `safe`, `log`, `valid`).
// Spec §3.7.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct PluginEntry {
    /// `plugin`: the plugin's key.
    pub plugin: String,
    /// `kwargs`: free-form arguments. YAML number keys (`145504:`) are text.
    pub kwargs: serde_json::Map<String, serde_json::Value>,
    /// `safe` (default true): failures are logged, not raised.
    pub safe: bool,
    /// `log` (default true).
    pub log: bool,
    /// `valid`: overrides `plugins.valid`.
    pub valid: Option<String>,
}

impl fmt::Debug for PluginEntry {
    /// Secret-looking arguments are shown as `***`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PluginEntry")
            .field("plugin", &self.plugin)
            .field("kwargs", &redact_kwargs(&self.kwargs))
            .field("safe", &self.safe)
            .field("log", &self.log)
            .field("valid", &self.valid)
            .finish()
    }
}

impl PluginEntry {
    /// The arguments with `${ENV}` expanded in top-level string values.
    ///
    /// Done lazily, when the plugin is invoked (the Python package does it in
    /// `invoke_plugin`), so files naming plugins with unset variables still load.
    // Spec §3.7.
    pub fn expanded_kwargs(
        &self,
    ) -> Result<serde_json::Map<String, serde_json::Value>, OptionError> {
        self.expanded_kwargs_with(&process_env)
    }

    /// [`Self::expanded_kwargs`] with another environment.
    pub fn expanded_kwargs_with(
        &self,
        env: EnvLookup<'_>,
    ) -> Result<serde_json::Map<String, serde_json::Value>, OptionError> {
        let mut out = self.kwargs.clone();
        for (k, v) in &mut out {
            if let serde_json::Value::String(s) = v {
                *s = expand_env(s, env).map_err(|var| OptionError::MissingEnv {
                    file: None,
                    line: None,
                    key: format!("plugin `{}`: kwargs.{k}", self.plugin),
                    var,
                })?;
            }
        }
        Ok(out)
    }
}

/// How redacted values are written.
const REDACTED: &str = "***";

static ENV_PATTERN: LazyLock<Regex> =
    // The Python package's pattern (spec §3.2); a constant, so it always compiles.
    LazyLock::new(|| Regex::new(r"\$\{(.*?)\}").expect("constant regex"));

/// The names of the `${NAME}` references in `text`.
pub(crate) fn env_names(text: &str) -> Vec<String> {
    ENV_PATTERN
        .captures_iter(text)
        .filter_map(|c| c.get(1).map(|m| m.as_str().to_owned()))
        .collect()
}

/// Expands `${NAME}` references with the process environment, as plugin arguments are
/// when they run; `Err(name)` names the first variable that is not set.
pub fn expand_process_env(text: &str) -> Result<String, String> {
    expand_env(text, &process_env)
}

/// Expands `${NAME}` with `env`; `Err(name)` for the first variable that is not set.
pub(crate) fn expand_env(text: &str, env: EnvLookup<'_>) -> Result<String, String> {
    if !text.contains("${") {
        return Ok(text.to_owned());
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for caps in ENV_PATTERN.captures_iter(text) {
        let (Some(whole), Some(name)) = (caps.get(0), caps.get(1)) else {
            continue;
        };
        out.push_str(&text[last..whole.start()]);
        out.push_str(&env(name.as_str()).ok_or_else(|| name.as_str().to_owned())?);
        last = whole.end();
    }
    out.push_str(&text[last..]);
    Ok(out)
}

/// The known word nearest to `word`, if it is close enough to be a likely typo: the same
/// word in another case, at most one edit per three characters, or a close Jaro-Winkler
/// match (which catches `proxy` → `proxies`).
pub(crate) fn suggest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    // `base-dir` for `base_dir` is the same word.
    let lower = word.to_lowercase().replace('-', "_");
    let mut best: Option<(usize, f64, &str)> = None;
    for c in candidates {
        let cl = c.to_lowercase();
        if cl == lower {
            return Some(c.to_owned());
        }
        let d = strsim::damerau_levenshtein(&lower, &cl);
        let jw = strsim::jaro_winkler(&lower, &cl);
        let allowed = (lower.chars().count().max(cl.chars().count()) / 3).max(1);
        let close = d <= allowed || jw >= 0.85;
        if close && best.is_none_or(|(bd, bjw, _)| d < bd || (d == bd && jw > bjw)) {
            best = Some((d, jw, c));
        }
    }
    best.map(|(_, _, c)| c.to_owned())
}

/// Whether a plugin argument looks secret (spec: password, pass, passwd, token, secret,
/// cookie, avs — any case).
pub(crate) fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    ["pass", "token", "secret", "cookie", "avs"]
        .iter()
        .any(|s| k.contains(s))
}

fn redact_header<'a>(name: &str, value: &'a str) -> &'a str {
    if name.eq_ignore_ascii_case("cookie") || name.eq_ignore_ascii_case("authorization") {
        REDACTED
    } else {
        value
    }
}

/// Replaces the user and password of a proxy URL with `***`.
pub(crate) fn redact_userinfo(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => {
            let prefix = if scheme.is_empty() {
                String::new()
            } else {
                format!("{scheme}://")
            };
            format!("{prefix}{REDACTED}{}", &rest[at..])
        }
        None => url.to_owned(),
    }
}

/// Plugin arguments with secret-looking values (at any depth) replaced by `***`.
pub(crate) fn redact_kwargs(
    kwargs: &serde_json::Map<String, serde_json::Value>,
) -> serde_json::Map<String, serde_json::Value> {
    fn redact(v: &serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(m) => serde_json::Value::Object(redact_kwargs(m)),
            serde_json::Value::Array(a) => serde_json::Value::Array(a.iter().map(redact).collect()),
            other => other.clone(),
        }
    }
    kwargs
        .iter()
        .map(|(k, v)| {
            let v = if is_secret_key(k) && !v.is_null() && !v.is_object() && !v.is_array() {
                serde_json::Value::String(REDACTED.into())
            } else {
                redact(v)
            };
            (k.clone(), v)
        })
        .collect()
}

/// The Python package's defaults (2.7.10 values), base directory = the current directory.
// Spec §3.2.
impl Default for Options {
    fn default() -> Self {
        Options {
            log: LogMode::On,
            dir_rule: DirRule::default_in(resolve::current_dir()),
            download: DownloadOptions {
                cache: true,
                archive: None,
                album_json: false,
                image: ImageOptions::default(),
                threading: Threading::default(),
            },
            client: ClientOptions::default(),
            plugins: PluginOptions::default(),
            source: None,
            origin: Origin::Program,
        }
    }
}

/// The text format of an option file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Yaml,
    Json,
}

impl Options {
    /// Loads an option file: `.json` files as JSON, anything else (`.yml`, `.yaml`, ...) as
    /// YAML. An empty or comments-only file gives the defaults.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Options, OptionError> {
        Self::from_file_with_env(path, &process_env)
    }

    /// [`Self::from_file`] with `${NAME}` looked up in `env` instead of the process
    /// environment.
    pub fn from_file_with_env(
        path: impl AsRef<Path>,
        env: EnvLookup<'_>,
    ) -> Result<Options, OptionError> {
        Self::from_file_named(path.as_ref(), Via::Program, env)
    }

    /// Loads the file `via` named; errors say what named it.
    fn from_file_named(path: &Path, via: Via, env: EnvLookup<'_>) -> Result<Options, OptionError> {
        match Self::read_file(path, env) {
            Ok(options) => Ok(Options {
                origin: Origin::File(via),
                ..options
            }),
            Err(e) => Err(e.named_by(via)),
        }
    }

    fn read_file(path: &Path, env: EnvLookup<'_>) -> Result<Options, OptionError> {
        let bytes = std::fs::read(path).map_err(|source| OptionError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let text = String::from_utf8(bytes).map_err(|e| OptionError::Read {
            path: path.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "the file is not valid UTF-8 text (byte {})",
                    e.utf8_error().valid_up_to()
                ),
            ),
        })?;
        let is_json = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let format = if is_json { Format::Json } else { Format::Yaml };
        let mut options = Self::load(&text, format, env).map_err(|e| e.in_file(path))?;
        options.source = Some(path.to_path_buf());
        Ok(options)
    }

    /// Loads the file named by environment variable `var` (conventionally
    /// [`OPTION_PATH_ENV`], like the Python package's `create_option_by_env`). An unset or
    /// empty variable is an error saying to set it. Errors of the file say the variable
    /// named it (`... (from JM_OPTION_PATH)`).
    pub fn from_env(var: &str) -> Result<Options, OptionError> {
        match std::env::var_os(var) {
            Some(p) if !p.is_empty() => {
                Self::from_file_named(Path::new(&p), Via::Env(var.to_owned()), &process_env)
            }
            _ => Err(OptionError::PathVarUnset {
                var: var.to_owned(),
            }),
        }
    }

    /// Loads options from YAML text.
    pub fn from_yaml_str(text: &str) -> Result<Options, OptionError> {
        Self::load(text, Format::Yaml, &process_env)
    }

    /// Loads options from JSON text.
    pub fn from_json_str(text: &str) -> Result<Options, OptionError> {
        Self::load(text, Format::Json, &process_env)
    }

    /// [`Self::from_yaml_str`] with `${NAME}` looked up in `env`.
    pub fn from_yaml_str_with_env(text: &str, env: EnvLookup<'_>) -> Result<Options, OptionError> {
        Self::load(text, Format::Yaml, env)
    }

    /// [`Self::from_json_str`] with `${NAME}` looked up in `env`.
    pub fn from_json_str_with_env(text: &str, env: EnvLookup<'_>) -> Result<Options, OptionError> {
        Self::load(text, Format::Json, env)
    }

    /// Parses, then reads and resolves, recording every mistake instead of stopping at the
    /// first (a text that does not parse, or is not a mapping, has only that one).
    fn load(text: &str, format: Format, env: EnvLookup<'_>) -> Result<Options, OptionError> {
        let mut root = match format {
            Format::Yaml => node::parse_yaml(text)?,
            Format::Json => node::parse_json(text)?,
        };
        let problems = error::Problems::default();
        if let Some(r) = &mut root {
            if r.entries().is_none() {
                return Err(raw::invalid(r, "(top level)", "a mapping of option keys"));
            }
            raw::migrate(r, &problems);
        }
        let raw = raw::RawOptions::read(root.as_ref(), &problems);
        let options = resolve::resolve(raw, env, &problems);
        problems.finish(options)
    }

    /// The options in use as an option file, for `config show`.
    ///
    /// * The first line is a comment saying where they came from ([`Self::origin`]):
    ///   `# options from /home/u/option.yml (--option)`, `# built-in defaults (no
    ///   --option, JM_OPTION_PATH unset)`.
    /// * Values are the ones in use, defaults filled in: the encoder preset's WebP quality
    ///   and method, JPEG quality and PNG compression when the file does not set them
    ///   (commented `the fast preset's`), thread counts as numbers, `base_dir` absolute.
    ///   `null` stays where it is the setting itself (no proxy, no timeout of our own: the
    ///   client's built-in ones, no archive, ...), with a comment saying what it means.
    /// * Secrets are replaced by `***`: cookie values, `cookie`/`authorization` header
    ///   values, plugin arguments whose name contains password, pass, passwd, token,
    ///   secret, cookie or avs, and the user and password of proxy URLs.
    ///
    /// The text loads back into options equal to these, except that the preset's values
    /// are then set explicitly ([`ImageOptions::with_preset_values`]), secrets are `***`,
    /// and [`Self::source`] and [`Self::origin`] are those of text.
    pub fn to_yaml(&self) -> String {
        output::to_yaml(self)
    }

    /// A client builder configured from these options, as the Python package builds its
    /// client:
    ///
    /// * the protocol: `client.impl` (`api`: the mobile API; `html`: the web site);
    /// * API domains: `client.domain` for `api`; for `html` the `api` entry of a per-kind
    ///   mapping (a plain list is the web site's then). Empty means the built-in list.
    /// * web domains (`html` only): `client.domain` (a list, or its `html` entry). Empty
    ///   means: look them up through the site's permanent link and publish page.
    /// * image domains: `client.image_domain` (a list, or the entry of the client kind,
    ///   else its `api` entry: the CDN is the same for both).
    /// * `retry_times`; the timeout (`meta_data.timeout`, else `client.timeout`) for page,
    ///   API and image requests; the proxy; cookies; `app_version`; TLS verification.
    /// * `meta_data.headers`: sent by the web client (they replace the browser's headers of
    ///   the same name, as the Python web client sends them instead of its template); **not**
    ///   by the API client: the Python API client replaces them with the app's headers, and
    ///   headers written for the web site (a desktop browser's `user-agent`) would
    ///   misrepresent the app. See [`Self::notices`].
    // Spec §3.6, §6.2.2, §6.3.1, §6.3.2.
    pub fn client_builder(&self) -> Result<jmcomic_client::ClientBuilder, OptionError> {
        let c = &self.client;
        let html = c.impl_name == "html";
        let (api_domains, image_domains, html_domains) = self.configured_domains();
        let meta = &c.postman.meta_data;
        let mut b = jmcomic_client::ClientBuilder::new()
            .api_domains(api_domains)
            .image_domains(image_domains)
            .retry_times(c.retry_times)
            .proxy(meta.proxies.to_client_proxy())
            .cookies(meta.cookies.iter().cloned())
            .danger_accept_invalid_certs(!c.verify_tls)
            .dns(c.dns.clone())
            .rate_limit(c.rate_limit.all.map(|r| r.to_client()))
            .api_rate_limit(c.rate_limit.api.map(|r| r.to_client()))
            .image_rate_limit(c.rate_limit.cdn.map(|r| r.to_client()));
        if let Some(t) = meta.timeout.or(c.timeout) {
            let d = Duration::from_secs_f64(t);
            b = b.timeout(d).image_timeout(d);
        }
        if let Some(v) = &c.app_version {
            b = b.app_version(v.clone());
        }
        if html {
            b = b
                .protocol(jmcomic_client::ProtocolKind::Html)
                .html_domains(html_domains)
                .headers(meta.headers.iter().cloned());
        }
        Ok(b)
    }

    /// The API, image and web domains the client is given (empty: the built-in ones, or for
    /// the web domains, discovery; the web domains only with `impl: html`).
    pub(crate) fn configured_domains(&self) -> (Vec<String>, Vec<String>, Vec<String>) {
        let c = &self.client;
        let html = c.impl_name == "html";
        let api_domains = match (&c.domain, html) {
            (DomainSetting::List(_), true) => Vec::new(),
            (d, _) => d.domains_for("api"),
        };
        let mut image_domains = c.image_domain.domains_for(&c.impl_name);
        if image_domains.is_empty() {
            image_domains = c.image_domain.domains_for("api");
        }
        let html_domains = if html {
            c.domain.domains_for("html")
        } else {
            Vec::new()
        };
        (api_domains, image_domains, html_domains)
    }

    /// Every plugin entry as `(group, plugin)`, in file order (what runs, and how, is
    /// [`crate::plugin`]'s business).
    pub fn plugin_entries(&self) -> Vec<(String, String)> {
        self.plugins
            .groups
            .iter()
            .flat_map(|(g, entries)| entries.iter().map(move |e| (g.clone(), e.plugin.clone())))
            .collect()
    }

    /// Settings that were accepted but have no effect in this version, as sentences for the
    /// user (the caller decides how to show them).
    pub fn notices(&self) -> Vec<String> {
        let mut n = Vec::new();
        let c = &self.client;
        let meta = &c.postman.meta_data;
        if c.impl_name == "api" && !meta.headers.is_empty() {
            n.push(
                "client.postman.meta_data.headers are not sent: the API client uses the app's \
                 headers, as the Python package's API client does"
                    .into(),
            );
        }
        if meta.impersonate.as_deref().is_some_and(|i| i != "chrome") {
            n.push(
                "client.postman.meta_data.impersonate has no effect: this HTTP client does not \
                 imitate browsers"
                    .into(),
            );
        }
        if c.cache
            .as_ref()
            .is_some_and(|v| !matches!(v, serde_json::Value::Bool(false)))
        {
            n.push("client.cache has no effect yet".into());
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_expansion() {
        let env = |n: &str| (n == "A").then(|| "x".to_owned());
        assert_eq!(expand_env("${A}/b/${A}", &env), Ok("x/b/x".into()));
        assert_eq!(expand_env("plain", &env), Ok("plain".into()));
        assert_eq!(expand_env("${B}", &env), Err("B".into()));
        assert_eq!(expand_env("${}", &env), Err(String::new()));
    }

    #[test]
    fn suggestions() {
        let keys = ["rule", "base_dir", "normalize_zh"];
        assert_eq!(suggest("rulle", keys), Some("rule".into()));
        assert_eq!(suggest("Rule", keys), Some("rule".into()));
        assert_eq!(suggest("basedir", keys), Some("base_dir".into()));
        assert_eq!(suggest("zzz", keys), None);
    }

    #[test]
    fn userinfo_redaction() {
        assert_eq!(redact_userinfo("http://u:p@h:1"), "http://***@h:1");
        assert_eq!(redact_userinfo("http://h:1/a@b"), "http://h:1/a@b");
        assert_eq!(redact_userinfo("u:p@h:1"), "***@h:1");
    }

    #[test]
    fn secret_keys() {
        for k in [
            "password",
            "zip_password",
            "PASSWD",
            "token",
            "api_secret",
            "cookies",
            "AVS",
        ] {
            assert!(is_secret_key(k), "{k}");
        }
        assert!(!is_secret_key("username"));
    }
}
