//! [`super::Options::to_yaml`]: the effective options as an option file.
//!
//! Values are the ones in use (the encoder preset's qualities, thread counts, the absolute
//! `base_dir`). Where `null` is itself the setting (no proxy, no archive, the client's
//! built-in timeouts, ...) it stays `null`, with a comment saying what it means: writing a
//! value there instead would change what the file says when it is loaded back.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_saphyr::Commented;

use super::{
    DomainSetting, EncoderPreset, LogMode, Options, Origin, PngLevel, ProxySetting, REDACTED, Rate,
    RateLimits, StateFileSetting, VerifyLevel, absolute, redact_header, redact_kwargs,
    redact_userinfo,
};

/// An ordered YAML tree (keys keep the schema's order).
enum Out {
    Null,
    Bool(bool),
    Int(u64),
    Float(f64),
    Str(String),
    Seq(Vec<Out>),
    Map(Vec<(String, Out)>),
    Json(serde_json::Value),
    /// A scalar with a comment after it on its line.
    Commented(Box<Out>, String),
}

impl Serialize for Out {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Out::Null => s.serialize_unit(),
            Out::Bool(b) => s.serialize_bool(*b),
            Out::Int(i) => s.serialize_u64(*i),
            Out::Float(f) => s.serialize_f64(*f),
            Out::Str(t) => s.serialize_str(t),
            Out::Seq(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for i in items {
                    seq.serialize_element(i)?;
                }
                seq.end()
            }
            Out::Map(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
            Out::Json(v) => v.serialize(s),
            Out::Commented(v, comment) => Commented(v, comment.clone()).serialize(s),
        }
    }
}

fn map(entries: Vec<(&str, Out)>) -> Out {
    Out::Map(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    )
}

fn opt_str(v: Option<&str>) -> Out {
    v.map_or(Out::Null, |s| Out::Str(s.to_owned()))
}

/// `v` with `comment` after it.
fn note(v: Out, comment: impl Into<String>) -> Out {
    Out::Commented(Box::new(v), comment.into())
}

/// `v`, or `null` with a comment saying what `null` means here.
fn or_null(v: Option<Out>, meaning: &str) -> Out {
    v.unwrap_or_else(|| note(Out::Null, meaning))
}

/// The comment line that starts the output: where the options came from. Control
/// characters of a path are escaped so the comment stays one line.
fn origin_line(o: &Options) -> String {
    let text = match (&o.origin, &o.source) {
        (Origin::File(via), Some(path)) => {
            let path = absolute(path);
            match via {
                super::Via::Program => format!("options from {}", path.display()),
                via => format!("options from {} ({via})", path.display()),
            }
        }
        (origin, _) => origin.to_string(),
    };
    let one_line: String = text
        .chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect();
    format!("# {one_line}\n")
}

fn strs(v: &[String]) -> Out {
    Out::Seq(v.iter().map(|s| Out::Str(s.clone())).collect())
}

fn dns(mode: &jmcomic_client::DnsMode) -> Out {
    use jmcomic_client::DnsMode;
    match mode {
        DnsMode::System => Out::Str("system".into()),
        DnsMode::Doh => note(
            Out::Str("doh".into()),
            "DNS over HTTPS through the built-in public resolvers",
        ),
        DnsMode::DohUrls(urls) if urls.len() == 1 => Out::Str(urls[0].clone()),
        DnsMode::DohUrls(urls) => strs(urls),
        // A mode this version's option file cannot name.
        _ => note(Out::Null, "the client's choice"),
    }
}

fn rate(r: Rate) -> Vec<(&'static str, Out)> {
    vec![
        ("requests", Out::Int(u64::from(r.requests))),
        ("seconds", Out::Float(r.seconds)),
    ]
}

fn rate_limit(limits: &RateLimits) -> Out {
    if limits.is_off() {
        return note(Out::Null, "off");
    }
    let mut entries = limits.all.map(rate).unwrap_or_default();
    for (key, r) in [("api", limits.api), ("cdn", limits.cdn)] {
        if let Some(r) = r {
            entries.push((key, map(rate(r))));
        }
    }
    map(entries)
}

fn state_file(s: &StateFileSetting) -> Out {
    match s {
        StateFileSetting::Default => note(
            Out::Null,
            crate::state::default_state_file().map_or_else(
                || "the default place (this system has no cache folder: none)".to_owned(),
                |p| format!("the default place: {}", p.display()),
            ),
        ),
        StateFileSetting::Off => note(Out::Bool(false), "none"),
        StateFileSetting::Path(p) => Out::Str(p.display().to_string()),
    }
}

fn domains(d: &DomainSetting) -> Out {
    match d {
        // `null` reads as the empty list, and unlike `[]` it can carry a comment.
        DomainSetting::List(l) if l.is_empty() => note(Out::Null, "the built-in domains"),
        DomainSetting::List(l) => strs(l),
        DomainSetting::PerImpl(m) => {
            Out::Map(m.iter().map(|(k, v)| (k.clone(), strs(v))).collect())
        }
    }
}

fn pairs(p: &[(String, String)], redact: impl Fn(&str, &str) -> String) -> Out {
    if p.is_empty() {
        return note(Out::Null, "none");
    }
    Out::Map(
        p.iter()
            .map(|(k, v)| (k.clone(), Out::Str(redact(k, v))))
            .collect(),
    )
}

#[allow(clippy::many_single_char_names)] // short names for the sections being written
pub(crate) fn to_yaml(o: &Options) -> String {
    let d = &o.download;
    let im = &d.image;
    let c = &o.client;
    let m = &c.postman.meta_data;
    let log = match o.log {
        LogMode::On => Out::Bool(true),
        LogMode::Off => Out::Bool(false),
        LogMode::Pretty => Out::Str("pretty".into()),
    };
    // The preset decides what the file leaves unset: print the value in use and say so.
    let eff = im.with_preset_values();
    let preset = match im.encoder {
        EncoderPreset::Fast => "fast",
        EncoderPreset::Pillow => "pillow",
    };
    let from_preset = |set: bool, v: Out| {
        if set {
            v
        } else {
            note(v, format!("the {preset} preset's"))
        }
    };
    let image = map(vec![
        ("decode", Out::Bool(im.decode)),
        (
            "suffix",
            or_null(
                im.suffix.as_deref().map(|s| Out::Str(s.to_owned())),
                "pages keep the format they are served in",
            ),
        ),
        ("encoder", Out::Str(preset.into())),
        (
            "webp_quality",
            from_preset(
                im.webp_quality.is_some(),
                eff.webp_quality
                    .map_or(Out::Null, |q| Out::Float(f64::from(q))),
            ),
        ),
        (
            "webp_method",
            from_preset(
                im.webp_method.is_some(),
                eff.webp_method
                    .map_or(Out::Null, |v| Out::Int(u64::from(v))),
            ),
        ),
        (
            "jpeg_quality",
            from_preset(
                im.jpeg_quality.is_some(),
                eff.jpeg_quality
                    .map_or(Out::Null, |v| Out::Int(u64::from(v))),
            ),
        ),
        (
            "png_compression",
            from_preset(
                im.png_compression.is_some(),
                opt_str(eff.png_compression.map(|p| match p {
                    PngLevel::Fast => "fast",
                    PngLevel::Balanced => "balanced",
                    PngLevel::High => "high",
                })),
            ),
        ),
        (
            "verify",
            match im.verify {
                // `auto` follows `decode`: keep the word (it is the setting) and say which
                // check it means now.
                VerifyLevel::Auto => note(
                    Out::Str("auto".into()),
                    match im.verify_mode() {
                        jmcomic_image::Verify::Full => "full: download.image.decode is on",
                        _ => "structure: download.image.decode is off",
                    },
                ),
                VerifyLevel::Structure => Out::Str("structure".into()),
                VerifyLevel::Full => Out::Str("full".into()),
            },
        ),
    ]);
    let t = &d.threading;
    let threading = map(vec![
        ("image", Out::Int(t.image as u64)),
        ("photo", Out::Int(t.photo as u64)),
        ("album", Out::Int(t.album as u64)),
        ("cpu", Out::Int(t.cpu as u64)),
    ]);
    let proxies = match &m.proxies {
        ProxySetting::System => Out::Str("system".into()),
        ProxySetting::None => note(Out::Null, "no proxy"),
        ProxySetting::Url(u) => Out::Str(redact_userinfo(u)),
    };
    let seconds = |v: Option<f64>, meaning: &str| or_null(v.map(Out::Float), meaning);
    let meta = map(vec![
        (
            "impersonate",
            or_null(
                m.impersonate.as_deref().map(|s| Out::Str(s.to_owned())),
                "none",
            ),
        ),
        (
            "headers",
            pairs(&m.headers, |k, v| redact_header(k, v).to_owned()),
        ),
        ("proxies", proxies),
        ("cookies", pairs(&m.cookies, |_, _| REDACTED.to_owned())),
        ("timeout", seconds(m.timeout, "client.timeout applies")),
        (
            "verify",
            or_null(m.verify.map(Out::Bool), "client.verify_tls applies"),
        ),
    ]);
    // No timeout of the file's own: the client's built-in ones, which are not one number
    // (API requests and image downloads differ), so `null` is the honest value.
    let builtin_timeouts = format!(
        "the client's built-in timeouts ({} s per API request)",
        jmcomic_client::site::DEFAULT_TIMEOUT.as_secs()
    );
    let client = map(vec![
        ("impl", Out::Str(c.impl_name.clone())),
        ("async_impl", opt_str(c.async_impl.as_deref())),
        ("retry_times", Out::Int(u64::from(c.retry_times))),
        ("cache", or_null(c.cache.clone().map(Out::Json), "off")),
        ("domain", domains(&c.domain)),
        ("image_domain", domains(&c.image_domain)),
        (
            "app_version",
            or_null(
                c.app_version.as_deref().map(|s| Out::Str(s.to_owned())),
                &format!("the built-in {}", jmcomic_client::site::APP_VERSION),
            ),
        ),
        ("timeout", seconds(c.timeout, &builtin_timeouts)),
        ("verify_tls", Out::Bool(c.verify_tls)),
        (
            "session_file",
            or_null(
                c.session_file
                    .as_ref()
                    .map(|p| Out::Str(p.display().to_string())),
                "no session file",
            ),
        ),
        ("dns", dns(&c.dns)),
        ("rate_limit", rate_limit(&c.rate_limit)),
        ("state_file", state_file(&c.state_file)),
        (
            "postman",
            map(vec![
                ("type", Out::Str(c.postman.kind.clone())),
                ("meta_data", meta),
            ]),
        ),
    ]);
    let mut plugins = vec![
        ("valid".to_owned(), Out::Str(o.plugins.valid.clone())),
        (
            "dependencies_strategy".to_owned(),
            opt_str(o.plugins.dependencies_strategy.as_deref()),
        ),
    ];
    for (group, entries) in &o.plugins.groups {
        let items = entries
            .iter()
            .map(|e| {
                map(vec![
                    ("plugin", Out::Str(e.plugin.clone())),
                    (
                        "kwargs",
                        Out::Json(serde_json::Value::Object(redact_kwargs(&e.kwargs))),
                    ),
                    ("safe", Out::Bool(e.safe)),
                    ("log", Out::Bool(e.log)),
                    (
                        "valid",
                        or_null(
                            e.valid.as_deref().map(|s| Out::Str(s.to_owned())),
                            "plugins.valid applies",
                        ),
                    ),
                ])
            })
            .collect();
        plugins.push((group.clone(), Out::Seq(items)));
    }
    let dir_rule = map(vec![
        ("rule", Out::Str(o.dir_rule.rule().to_owned())),
        (
            "base_dir",
            Out::Str(o.dir_rule.base_dir().to_string_lossy().into_owned()),
        ),
        (
            "normalize_zh",
            or_null(
                o.dir_rule
                    .normalize_zh()
                    .map(|z| Out::Str(z.as_str().to_owned())),
                "names are not converted",
            ),
        ),
    ]);
    let doc = map(vec![
        // Migrations are already applied: mark the file as current so they do not run again.
        ("version", Out::Str("2.1".into())),
        ("log", log),
        ("dir_rule", dir_rule),
        (
            "download",
            map(vec![
                ("cache", Out::Bool(d.cache)),
                (
                    "archive",
                    or_null(
                        d.archive
                            .as_ref()
                            .map(|p| Out::Str(p.display().to_string())),
                        "no download archive",
                    ),
                ),
                ("album_json", Out::Bool(d.album_json)),
                ("image", image),
                ("threading", threading),
            ]),
        ),
        ("client", client),
        ("plugins", Out::Map(plugins)),
    ]);
    let body = serde_saphyr::to_string(&doc)
        .unwrap_or_else(|e| format!("# cannot write the options as YAML: {e}\n"));
    origin_line(o) + &body
}
