//! [`super::Options::to_yaml`]: the effective options as an option file.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use super::{
    DomainSetting, EncoderPreset, LogMode, Options, PngLevel, ProxySetting, REDACTED, VerifyLevel,
    redact_header, redact_kwargs, redact_userinfo,
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

fn strs(v: &[String]) -> Out {
    Out::Seq(v.iter().map(|s| Out::Str(s.clone())).collect())
}

fn domains(d: &DomainSetting) -> Out {
    match d {
        DomainSetting::List(l) => strs(l),
        DomainSetting::PerImpl(m) => {
            Out::Map(m.iter().map(|(k, v)| (k.clone(), strs(v))).collect())
        }
    }
}

fn pairs(p: &[(String, String)], redact: impl Fn(&str, &str) -> String) -> Out {
    if p.is_empty() {
        return Out::Null;
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
    let image = map(vec![
        ("decode", Out::Bool(im.decode)),
        ("suffix", opt_str(im.suffix.as_deref())),
        (
            "encoder",
            Out::Str(
                match im.encoder {
                    EncoderPreset::Fast => "fast",
                    EncoderPreset::Pillow => "pillow",
                }
                .into(),
            ),
        ),
        (
            "webp_quality",
            im.webp_quality
                .map_or(Out::Null, |q| Out::Float(f64::from(q))),
        ),
        (
            "webp_method",
            im.webp_method.map_or(Out::Null, |v| Out::Int(u64::from(v))),
        ),
        (
            "jpeg_quality",
            im.jpeg_quality
                .map_or(Out::Null, |v| Out::Int(u64::from(v))),
        ),
        (
            "png_compression",
            opt_str(im.png_compression.map(|p| match p {
                PngLevel::Fast => "fast",
                PngLevel::Balanced => "balanced",
                PngLevel::High => "high",
            })),
        ),
        (
            "verify",
            Out::Str(
                match im.verify {
                    VerifyLevel::Auto => "auto",
                    VerifyLevel::Structure => "structure",
                    VerifyLevel::Full => "full",
                }
                .into(),
            ),
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
        ProxySetting::None => Out::Null,
        ProxySetting::Url(u) => Out::Str(redact_userinfo(u)),
    };
    let meta = map(vec![
        ("impersonate", opt_str(m.impersonate.as_deref())),
        (
            "headers",
            pairs(&m.headers, |k, v| redact_header(k, v).to_owned()),
        ),
        ("proxies", proxies),
        ("cookies", pairs(&m.cookies, |_, _| REDACTED.to_owned())),
        ("timeout", m.timeout.map_or(Out::Null, Out::Float)),
        ("verify", m.verify.map_or(Out::Null, Out::Bool)),
    ]);
    let client = map(vec![
        ("impl", Out::Str(c.impl_name.clone())),
        ("async_impl", opt_str(c.async_impl.as_deref())),
        ("retry_times", Out::Int(u64::from(c.retry_times))),
        ("cache", c.cache.clone().map_or(Out::Null, Out::Json)),
        ("domain", domains(&c.domain)),
        ("image_domain", domains(&c.image_domain)),
        ("app_version", opt_str(c.app_version.as_deref())),
        ("timeout", c.timeout.map_or(Out::Null, Out::Float)),
        ("verify_tls", Out::Bool(c.verify_tls)),
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
                    ("valid", opt_str(e.valid.as_deref())),
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
            opt_str(
                o.dir_rule
                    .normalize_zh()
                    .map(crate::dir_rule::ZhTarget::as_str),
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
                    d.archive
                        .as_ref()
                        .map_or(Out::Null, |p| Out::Str(p.display().to_string())),
                ),
                ("album_json", Out::Bool(d.album_json)),
                ("image", image),
                ("threading", threading),
            ]),
        ),
        ("client", client),
        ("plugins", Out::Map(plugins)),
    ]);
    serde_saphyr::to_string(&doc)
        .unwrap_or_else(|e| format!("# cannot write the options as YAML: {e}\n"))
}
