//! JM ids ("车号") and the text forms users type.

// Spec §8.1 (id forms), §8.5 (command-line targets).

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A JMComic id: the decimal number that names an album (本子) or a chapter (章节).
///
/// The site uses one number space for both; which one an id names depends on where it is
/// used. Ids are kept as numbers: the Python package keeps them as strings and passes things
/// like `"Jm 123"` through unvalidated; here anything that is not a plain decimal number is
/// rejected when parsed.
// Spec §8.1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JmId(u64);

impl JmId {
    /// Wraps a number as an id.
    pub const fn new(id: u64) -> Self {
        Self(id)
    }

    /// The id as a number.
    pub const fn get(self) -> u64 {
        self.0
    }

    /// Parses every form the Python package accepts for an id, more strictly: `123`,
    /// `JM123`/`jm123` (any case, spaces allowed after the prefix), and album, chapter or CDN
    /// URLs of the site (`…/album/123/…`, `…/photo/123`, `…/media/photos/123/00001.webp`,
    /// `…?id=123`).
    ///
    /// URLs whose host does not look like the site (see [`is_site_host`]) are rejected,
    /// as are negative numbers, numbers that do not fit in 64 bits and any other text.
    ///
    /// ```
    /// use jmcomic_model::JmId;
    ///
    /// assert_eq!(JmId::parse("JM 123")?, JmId::new(123));
    /// assert_eq!(JmId::parse("https://18comic.vip/photo/456")?.get(), 456);
    /// assert!(JmId::parse("-1").is_err());
    /// # Ok::<(), jmcomic_model::Error>(())
    /// ```
    // Spec §8.1.
    pub fn parse(text: &str) -> Result<Self> {
        Ok(parse_reference(text)?.id)
    }
}

impl fmt::Display for JmId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl From<u64> for JmId {
    fn from(id: u64) -> Self {
        Self(id)
    }
}

impl FromStr for JmId {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

/// Whether a piece of text names an album or a chapter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// An album (本子, the Python package's `JmAlbumDetail`).
    Album,
    /// A chapter (章节, the Python package's `JmPhotoDetail`, "photo").
    Chapter,
}

impl Kind {
    /// The English word users see in messages: `album` or `chapter`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::Album => "album",
            Kind::Chapter => "chapter",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something to download: an album or a chapter, by id.
///
/// Parsed from what users type on the command line: a plain id or `JM123` is an album,
/// `p456` a chapter (`a123` is accepted as an explicit album). A URL decides by its path:
/// `/photo/…` and `/media/photos/…` name chapters, everything else albums.
///
/// ```
/// use jmcomic_model::{JmId, Kind, Target};
///
/// assert_eq!(Target::parse("123")?, Target::album(JmId::new(123)));
/// assert_eq!(Target::parse("JM123")?, Target::album(JmId::new(123)));
/// assert_eq!(Target::parse("p456")?, Target::chapter(JmId::new(456)));
/// assert_eq!(Target::parse("a123")?.kind, Kind::Album);
///
/// // URLs decide by their path; `Target` also implements `FromStr`.
/// let chapter: Target = "https://18comic.vip/photo/456".parse()?;
/// assert_eq!(chapter, Target::chapter(JmId::new(456)));
/// let album: Target = "https://18comic.vip/album/123/some-title".parse()?;
/// assert_eq!(album.to_string(), "album 123");
///
/// // Hosts that are not the site's, and text that is no id, are refused.
/// assert!(Target::parse("https://example.com/album/123").is_err());
/// assert!(Target::parse("next week").is_err());
/// # Ok::<(), jmcomic_model::Error>(())
/// ```
// Spec §8.5.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Target {
    /// Album or chapter.
    pub kind: Kind,
    /// The id.
    pub id: JmId,
}

impl Target {
    /// An album target.
    pub const fn album(id: JmId) -> Self {
        Self {
            kind: Kind::Album,
            id,
        }
    }

    /// A chapter target.
    pub const fn chapter(id: JmId) -> Self {
        Self {
            kind: Kind::Chapter,
            id,
        }
    }

    /// Parses a command-line argument (see the type docs).
    pub fn parse(text: &str) -> Result<Self> {
        let trimmed = text.trim();
        let mut chars = trimmed.chars();
        // `p456` / `a123`: a one-letter prefix followed by an id form. A URL never starts
        // with a bare `p`+digit or `a`+digit, so the prefix cannot be confused with one.
        if let Some(first) = chars.next() {
            let rest = chars.as_str();
            let prefixed_kind = match first {
                'p' | 'P' => Some(Kind::Chapter),
                'a' | 'A' => Some(Kind::Album),
                _ => None,
            };
            if let Some(kind) = prefixed_kind
                && starts_with_id(rest)
            {
                let id = parse_reference(rest)
                    .map_err(|_| Error::invalid_id(text, "expected digits after the prefix"))?
                    .id;
                return Ok(Self { kind, id });
            }
        }
        let reference = parse_reference(trimmed).map_err(|e| e.with_input(text))?;
        Ok(Self {
            kind: reference.kind.unwrap_or(Kind::Album),
            id: reference.id,
        })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            Kind::Album => write!(f, "album {}", self.id),
            Kind::Chapter => write!(f, "chapter {}", self.id),
        }
    }
}

impl FromStr for Target {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

/// True for text that begins like an id form: a digit or a `JM` prefix.
fn starts_with_id(s: &str) -> bool {
    let b = s.as_bytes();
    matches!(b.first(), Some(c) if c.is_ascii_digit())
        || (b.len() >= 2 && b[..2].eq_ignore_ascii_case(b"jm"))
}

/// An id with the kind its text implied, if any.
struct Reference {
    id: JmId,
    kind: Option<Kind>,
}

/// `(photos?|albums?)/(\d+)`, the Python package's id pattern.
// Spec §8.1.
static PATH_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(photos?|albums?)/(\d+)").expect("static regex is valid"));
/// `id=(\d+)`, the Python package's query pattern.
// Spec §8.1.
static QUERY_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[?&]id=(\d+)").expect("static regex is valid"));

fn parse_reference(text: &str) -> Result<Reference> {
    let t = text.trim();
    if t.is_empty() {
        return Err(Error::invalid_id(text, "empty"));
    }
    if t.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(Reference {
            id: parse_digits(text, t)?,
            kind: None,
        });
    }
    if t.len() >= 2 && t.as_bytes()[..2].eq_ignore_ascii_case(b"jm") {
        let rest = t[2..].trim_start();
        if !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(Reference {
                id: parse_digits(text, rest)?,
                kind: None,
            });
        }
        return Err(Error::invalid_id(text, "expected digits after `JM`"));
    }
    if t.starts_with('-') && t[1..].bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid_id(text, "ids are not negative"));
    }
    if t.contains('/') || t.contains('?') {
        return parse_url(text, t);
    }
    Err(Error::invalid_id(
        text,
        "expected a number, `JM123`, `p456` or an album/chapter URL",
    ))
}

fn parse_url(input: &str, t: &str) -> Result<Reference> {
    // The host is what sits between the scheme (if any) and the first `/`, `?` or `#`.
    let after_scheme = t.split_once("://").map_or(t, |(_, rest)| rest);
    let host_port = after_scheme
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default();
    let host = host_port
        .rsplit_once('@')
        .map_or(host_port, |(_, h)| h)
        .split(':')
        .next()
        .unwrap_or_default();
    if !is_site_host(host) {
        return Err(Error::invalid_id(
            input,
            format!("`{host}` is not a JMComic domain"),
        ));
    }
    let path_and_query = &after_scheme[host_port.len()..];
    if let Some(caps) = PATH_ID.captures(path_and_query) {
        let word = caps.get(1).map_or("", |m| m.as_str()).to_ascii_lowercase();
        let digits = caps.get(2).map_or("", |m| m.as_str());
        let kind = if word.starts_with("photo") {
            Kind::Chapter
        } else {
            Kind::Album
        };
        return Ok(Reference {
            id: parse_digits(input, digits)?,
            kind: Some(kind),
        });
    }
    if let Some(caps) = QUERY_ID.captures(path_and_query) {
        let digits = caps.get(1).map_or("", |m| m.as_str());
        let kind = if path_and_query.to_ascii_lowercase().contains("photo") {
            Kind::Chapter
        } else {
            Kind::Album
        };
        return Ok(Reference {
            id: parse_digits(input, digits)?,
            kind: Some(kind),
        });
    }
    Err(Error::invalid_id(
        input,
        "the URL names no album or chapter (expected /album/<id>, /photo/<id> or ?id=<id>)",
    ))
}

fn parse_digits(input: &str, digits: &str) -> Result<JmId> {
    digits
        .parse::<u64>()
        .map(JmId)
        .map_err(|_| Error::invalid_id(input, "the number is too large to be an id"))
}

/// Whether a host name looks like one of the site's domains.
///
/// The site's domains change all the time, so no list can be complete; the Python package
/// itself recognises them by `jm` or `comic` in the name when it scrapes the publish page.
/// Loopback hosts are accepted so URLs of a local emulator or mirror work too.
// Spec §6.3.1, Appendix C.
pub fn is_site_host(host: &str) -> bool {
    let h = host.trim_matches(['[', ']']).to_ascii_lowercase();
    h.contains("jm")
        || h.contains("comic")
        || h == "localhost"
        || h == "::1"
        || h.parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_prefixed_ids() {
        assert_eq!(JmId::parse("123").unwrap().get(), 123);
        assert_eq!(JmId::parse(" JM123 ").unwrap().get(), 123);
        assert_eq!(JmId::parse("jm 123").unwrap().get(), 123);
        assert_eq!(JmId::parse("Jm438516").unwrap().get(), 438_516);
    }

    #[test]
    fn rejects_bad_ids_with_a_reason() {
        for bad in [
            "",
            "abc",
            "12a3",
            "-1",
            "JMabc",
            "JM",
            "99999999999999999999999",
            "p",
            "https://example.com/album/5",
        ] {
            let err = JmId::parse(bad).unwrap_err();
            assert!(err.to_string().contains("invalid id"), "{bad}: {err}");
        }
        let err = JmId::parse("99999999999999999999999").unwrap_err();
        assert!(err.to_string().contains("too large"));
    }

    #[test]
    fn urls_decide_the_kind() {
        let t = Target::parse("https://18comic.vip/photo/412038").unwrap();
        assert_eq!(t, Target::chapter(JmId::new(412_038)));
        let t = Target::parse("https://18comic.vip/album/438516/some-title").unwrap();
        assert_eq!(t, Target::album(JmId::new(438_516)));
        let t =
            Target::parse("https://cdn-msp.jmapiproxy1.cc/media/photos/438516/00001.webp").unwrap();
        assert_eq!(t, Target::chapter(JmId::new(438_516)));
        let t = Target::parse("https://18comic.vip/album/?id=412038").unwrap();
        assert_eq!(t, Target::album(JmId::new(412_038)));
        let t = Target::parse("http://127.0.0.1:8080/albums/55/").unwrap();
        assert_eq!(t, Target::album(JmId::new(55)));
    }

    #[test]
    fn cli_prefixes() {
        assert_eq!(
            Target::parse("p456").unwrap(),
            Target::chapter(JmId::new(456))
        );
        assert_eq!(
            Target::parse("PJM456").unwrap(),
            Target::chapter(JmId::new(456))
        );
        assert_eq!(
            Target::parse("a123").unwrap(),
            Target::album(JmId::new(123))
        );
        assert_eq!(
            Target::parse("JM789").unwrap(),
            Target::album(JmId::new(789))
        );
        assert!(Target::parse("pabc").is_err());
        assert!(Target::parse("photo").is_err());
    }
}
