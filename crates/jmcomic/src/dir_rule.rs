//! The directory mini-language of `dir_rule.rule`, as the Python package reads it.
//!
//! A rule such as `Bd / {Aauthor}-{Aid} / 第{Pindex}話:{Pname}` says where a chapter's
//! images go. It is split into elements on `/` (or, when it has no `/`, on `_`), each
//! element becomes one directory level:
//!
//! * `Bd` — the base directory (`dir_rule.base_dir`); inserted in front when missing and
//!   allowed nowhere else;
//! * an element containing `{` — a Python `str.format` template over the fields below
//!   (`{Aid}`, `{Pindex:03}`, `{Atitle:.10}`, `{{`/`}}` for braces);
//! * an element starting with `A` or `P` — one field (`Aid`, `Pindextitle`);
//! * anything else — literal text (`zip`).
//!
//! Every field and format specification is checked when the rule is parsed, so a typo is
//! reported when the option file loads, not in the middle of a download. Each rendered
//! element is converted to simplified or traditional Chinese when `normalize_zh` asks for it
//! and then made safe by [`crate::naming::sanitize_component`], so a path built from a rule
//! always stays inside the base directory, whatever the site's titles contain.
//!
//! ```
//! use std::path::PathBuf;
//! use jmcomic::dir_rule::DirRule;
//! use jmcomic_model::{Album, JmId};
//!
//! let album = Album {
//!     id: JmId::new(123),
//!     name: "title".into(),
//!     authors: vec!["auth".into()],
//!     tags: vec![],
//!     works: vec![],
//!     actors: vec![],
//!     description: String::new(),
//!     page_count: None,
//!     pub_date: None,
//!     update_date: None,
//!     likes: String::new(),
//!     views: String::new(),
//!     comment_count: 0,
//!     episodes: Album::normalize_episodes(JmId::new(123), "ep-a", vec![]),
//!     related: vec![],
//!     liked: false,
//!     is_favorite: false,
//! };
//! let chapter = &album.chapters()[0];
//! let rule = DirRule::parse("Bd / {Aauthor}-{Aid} / 第{Pindex}話:{Pname}", PathBuf::from("/dl"), None)?;
//! assert_eq!(rule.chapter_dir(&album, chapter)?, PathBuf::from("/dl/auth-123/第1話_ep-a"));
//! assert_eq!(rule.album_dir(&album)?, PathBuf::from("/dl/auth-123"));
//! # Ok::<(), jmcomic::dir_rule::DirRuleError>(())
//! ```

// Spec §3.5 (the mini-language and its fields).

use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};

use jmcomic_model::{Album, Chapter};

use crate::naming::sanitize_component;

/// Which Chinese script names are converted to (`dir_rule.normalize_zh`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ZhTarget {
    /// `zh-cn`: simplified Chinese (mainland China).
    Cn,
    /// `zh-tw`: traditional Chinese (Taiwan).
    Tw,
}

impl ZhTarget {
    /// Every value, in the spelling of option files.
    pub const ALL: [ZhTarget; 2] = [ZhTarget::Cn, ZhTarget::Tw];

    /// Parses `zh-cn` / `zh-tw` (any case, `_` accepted for `-`).
    pub fn parse(text: &str) -> Option<ZhTarget> {
        let t = text.trim().replace('_', "-");
        Self::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(&t))
    }

    /// The spelling in option files: `zh-cn` or `zh-tw`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ZhTarget::Cn => "zh-cn",
            ZhTarget::Tw => "zh-tw",
        }
    }

    /// Converts `text` to this script. Without the `zhconv` cargo feature the text is
    /// returned unchanged and a warning is logged once, as the Python package does when its
    /// optional `zhconv` dependency is missing.
    pub fn convert(self, text: &str) -> String {
        #[cfg(feature = "zhconv")]
        {
            let variant = match self {
                ZhTarget::Cn => zhconv::Variant::ZhCN,
                ZhTarget::Tw => zhconv::Variant::ZhTW,
            };
            zhconv::zhconv(text, variant)
        }
        #[cfg(not(feature = "zhconv"))]
        {
            static WARN: std::sync::Once = std::sync::Once::new();
            WARN.call_once(|| {
                tracing::warn!(
                    target = self.as_str(),
                    "dir_rule.normalize_zh is set but this build has no Chinese conversion \
                     (cargo feature `zhconv`); names are left unchanged"
                );
            });
            text.to_owned()
        }
    }
}

impl fmt::Display for ZhTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a rule could not be parsed or applied.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DirRuleError {
    /// The rule has no elements.
    #[error("the rule is empty: write at least one element, e.g. `Bd / Ptitle`")]
    Empty,
    /// `Bd` appears after the first element.
    #[error("`Bd` (the base directory) can only be the first element, in rule `{rule}`")]
    BdNotFirst {
        /// The whole rule.
        rule: String,
    },
    /// `Bd` used as a file name in [`DirRule::apply_to_name`].
    #[error("`Bd` is the base directory, not a name")]
    BdAsName,
    /// A field that does not exist.
    #[error("{}", unknown_field_message(element, field, suggestion.as_deref(), *split_on_underscore))]
    UnknownField {
        /// The element it appears in.
        element: String,
        /// The field as written (`Atitel`).
        field: String,
        /// The nearest valid field, if one is close.
        suggestion: Option<String>,
        /// Whether the rule was split on `_`, which cuts fields like `Apage_count` apart.
        split_on_underscore: bool,
    },
    /// A malformed `{...}` template or format specification.
    #[error("bad template `{element}`: {reason}")]
    Format {
        /// The element.
        element: String,
        /// What is wrong, in the words of Python's `str.format` where it has words for it.
        reason: String,
    },
    /// A chapter field used where no chapter is known.
    #[error(
        "`{element}` uses the chapter field `{field}`, but there is no chapter here (use an album field such as `Atitle`)"
    )]
    NeedsChapter {
        /// The element.
        element: String,
        /// The chapter field.
        field: String,
    },
    /// `{Aauthors[3]}` on an album with fewer authors.
    #[error("`{element}`: index {index} is out of range for `{field}`, which has {len} item(s)")]
    IndexOutOfRange {
        /// The element.
        element: String,
        /// The field.
        field: String,
        /// The index written.
        index: usize,
        /// The field's length.
        len: usize,
    },
}

fn unknown_field_message(
    element: &str,
    field: &str,
    suggestion: Option<&str>,
    split_on_underscore: bool,
) -> String {
    let mut m = format!("unknown field `{field}` in `{element}`");
    if let Some(s) = suggestion {
        let _ = write!(m, " (did you mean `{s}`?)");
    }
    if split_on_underscore {
        m.push_str(
            "; the rule has no `/`, so it was split on `_`: separate elements with \
             `/` to use fields whose names contain `_`",
        );
    }
    let _ = write!(m, "; valid fields: {}", valid_fields().join(", "));
    m
}

/// Whether a field belongs to the album or the chapter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scope {
    Album,
    Chapter,
}

/// The Python type of a field's value, which decides how format specs apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Str,
    Int,
    List,
    Bool,
}

/// Album fields and their Python types.
// Spec §3.5 table, §2.2.
const ALBUM_FIELDS: &[(&str, Kind)] = &[
    ("id", Kind::Str),
    ("album_id", Kind::Str),
    ("name", Kind::Str),
    ("title", Kind::Str),
    ("oname", Kind::Str),
    ("author", Kind::Str),
    ("authoroname", Kind::Str),
    ("idoname", Kind::Str),
    ("description", Kind::Str),
    ("page_count", Kind::Int),
    ("pub_date", Kind::Str),
    ("update_date", Kind::Str),
    ("likes", Kind::Str),
    ("views", Kind::Str),
    ("comment_count", Kind::Int),
    ("authors", Kind::List),
    ("tags", Kind::List),
    ("works", Kind::List),
    ("actors", Kind::List),
    ("liked", Kind::Bool),
    ("is_favorite", Kind::Bool),
];

/// Chapter ("photo") fields and their Python types.
// Spec §3.5 table, §2.3.
const CHAPTER_FIELDS: &[(&str, Kind)] = &[
    ("id", Kind::Str),
    ("photo_id", Kind::Str),
    ("name", Kind::Str),
    ("title", Kind::Str),
    ("oname", Kind::Str),
    ("author", Kind::Str),
    ("authoroname", Kind::Str),
    ("idoname", Kind::Str),
    ("sort", Kind::Int),
    ("index", Kind::Int),
    ("album_index", Kind::Int),
    ("indextitle", Kind::Str),
    ("album_id", Kind::Str),
    ("tags", Kind::List),
    ("is_single_album", Kind::Bool),
    ("scramble_id", Kind::Str),
];

fn valid_fields() -> Vec<String> {
    ALBUM_FIELDS
        .iter()
        .map(|(n, _)| format!("A{n}"))
        .chain(CHAPTER_FIELDS.iter().map(|(n, _)| format!("P{n}")))
        .collect()
}

/// A resolved field reference such as `Pindex`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Field {
    scope: Scope,
    name: &'static str,
    kind: Kind,
}

impl Field {
    /// Looks up `Aid`, `Pindex`, ...
    fn lookup(text: &str) -> Option<Field> {
        let (scope, table, rest) = if let Some(rest) = text.strip_prefix('A') {
            (Scope::Album, ALBUM_FIELDS, rest)
        } else if let Some(rest) = text.strip_prefix('P') {
            (Scope::Chapter, CHAPTER_FIELDS, rest)
        } else {
            return None;
        };
        table
            .iter()
            .find(|(n, _)| *n == rest)
            .map(|&(name, kind)| Field { scope, name, kind })
    }

    fn prefix(self) -> char {
        match self.scope {
            Scope::Album => 'A',
            Scope::Chapter => 'P',
        }
    }

    fn display(self) -> String {
        format!("{}{}", self.prefix(), self.name)
    }

    /// The field's value, as the Python entity would give it.
    fn value(self, album: &Album, chapter: Option<&Chapter>) -> Option<Value> {
        let s = |x: &str| Some(Value::Str(x.to_owned()));
        match self.scope {
            Scope::Album => Some(match self.name {
                "id" | "album_id" => Value::Str(album.id.to_string()),
                "name" | "title" => Value::Str(album.name.clone()),
                "oname" => Value::Str(album.oname()),
                "author" => Value::Str(album.author().to_owned()),
                "authoroname" => Value::Str(album.authoroname()),
                "idoname" => Value::Str(album.idoname()),
                "description" => Value::Str(album.description.clone()),
                // Python always has a number here; an unknown count is 0.
                "page_count" => Value::Int(i128::from(album.page_count.unwrap_or(0))),
                "pub_date" => Value::Str(album.pub_date.clone().unwrap_or_default()),
                "update_date" => Value::Str(album.update_date.clone().unwrap_or_default()),
                "likes" => Value::Str(album.likes.clone()),
                "views" => Value::Str(album.views.clone()),
                "comment_count" => Value::Int(i128::from(album.comment_count)),
                "authors" => Value::List(album.authors.clone()),
                "tags" => Value::List(album.tags.clone()),
                "works" => Value::List(album.works.clone()),
                "actors" => Value::List(album.actors.clone()),
                "liked" => Value::Bool(album.liked),
                "is_favorite" => Value::Bool(album.is_favorite),
                _ => return None,
            }),
            Scope::Chapter => {
                let c = chapter?;
                match self.name {
                    "id" | "photo_id" => s(&c.id.to_string()),
                    "name" | "title" => s(&c.name),
                    "oname" => Some(Value::Str(c.oname())),
                    // A chapter's author is its album's (spec §2.3).
                    "author" => s(album.author()),
                    "authoroname" => {
                        Some(Value::Str(format!("【{}】{}", album.author(), c.oname())))
                    }
                    "idoname" => Some(Value::Str(format!("[{}] {}", c.id, c.oname()))),
                    "sort" => Some(Value::Int(i128::from(c.sort))),
                    "index" | "album_index" => Some(Value::Int(i128::from(c.album_index()))),
                    "indextitle" => Some(Value::Str(c.indextitle())),
                    "album_id" => s(&c.album_id.to_string()),
                    "tags" => Some(Value::List(if c.tags.is_empty() {
                        album.tags.clone()
                    } else {
                        c.tags.clone()
                    })),
                    "is_single_album" => Some(Value::Bool(c.is_single_album())),
                    "scramble_id" => Some(Value::Str(
                        c.scramble_id
                            .map(|s| s.value.to_string())
                            .unwrap_or_default(),
                    )),
                    _ => None,
                }
            }
        }
    }
}

/// A field value with its Python type.
#[derive(Clone, Debug, PartialEq)]
enum Value {
    Str(String),
    Int(i128),
    List(Vec<String>),
    Bool(bool),
}

impl Value {
    /// Python `str(value)`.
    fn to_python_str(&self) -> String {
        match self {
            Value::Str(s) => s.clone(),
            Value::Int(i) => i.to_string(),
            Value::Bool(b) => if *b { "True" } else { "False" }.to_owned(),
            Value::List(items) => {
                let inner: Vec<String> = items.iter().map(|s| python_repr(s)).collect();
                format!("[{}]", inner.join(", "))
            }
        }
    }

    /// Python `repr(value)`.
    fn to_python_repr(&self) -> String {
        match self {
            Value::Str(s) => python_repr(s),
            other => other.to_python_str(),
        }
    }
}

/// Python's `repr` of a `str`: single quotes unless the text has a single quote and no
/// double quote; backslash, quote, newline, tab, carriage return and other non-printable
/// characters escaped.
fn python_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() || (c.is_whitespace() && c != ' ') => {
                let n = u32::from(c);
                let _ = if n < 0x100 {
                    write!(out, "\\x{n:02x}")
                } else if n < 0x1_0000 {
                    write!(out, "\\u{n:04x}")
                } else {
                    write!(out, "\\U{n:08x}")
                };
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// One element of a rule after `Bd`.
#[derive(Clone, Debug, PartialEq)]
enum Element {
    /// `Aid`: one field, rendered with Python `str()`.
    Field { text: String, field: Field },
    /// A `str.format` template (a literal is a template without fields).
    Template { text: String, pieces: Vec<Piece> },
}

impl Element {
    fn text(&self) -> &str {
        match self {
            Element::Field { text, .. } | Element::Template { text, .. } => text,
        }
    }

    fn uses_chapter(&self) -> bool {
        match self {
            Element::Field { field, .. } => field.scope == Scope::Chapter,
            Element::Template { pieces, .. } => pieces.iter().any(|p| match p {
                Piece::Literal(_) => false,
                Piece::Field(r) => r.field.scope == Scope::Chapter,
            }),
        }
    }

    /// Parses one element, choosing the parser as the Python package does.
    // Spec §3.5.
    fn parse(text: &str, split_on_underscore: bool) -> Result<Element, DirRuleError> {
        if text.contains('{') {
            return Ok(Element::Template {
                text: text.to_owned(),
                pieces: parse_template(text, split_on_underscore)?,
            });
        }
        if text.starts_with('A') || text.starts_with('P') {
            let field = Field::lookup(text).ok_or_else(|| DirRuleError::UnknownField {
                element: text.to_owned(),
                field: text.to_owned(),
                suggestion: suggest_field(text),
                split_on_underscore,
            })?;
            return Ok(Element::Field {
                text: text.to_owned(),
                field,
            });
        }
        // A literal still goes through the template parser, like Python: `}}` is `}` and a
        // lone `}` is an error.
        Ok(Element::Template {
            text: text.to_owned(),
            pieces: parse_template(text, split_on_underscore)?,
        })
    }

    /// Renders the element (before zh conversion and sanitising).
    fn render(&self, album: &Album, chapter: Option<&Chapter>) -> Result<String, DirRuleError> {
        match self {
            Element::Field { text, field } => field
                .value(album, chapter)
                .map(|v| v.to_python_str())
                .ok_or_else(|| DirRuleError::NeedsChapter {
                    element: text.clone(),
                    field: field.display(),
                }),
            Element::Template { text, pieces } => {
                let mut out = String::new();
                for piece in pieces {
                    match piece {
                        Piece::Literal(s) => out.push_str(s),
                        Piece::Field(r) => out.push_str(&r.render(text, album, chapter)?),
                    }
                }
                Ok(out)
            }
        }
    }
}

fn suggest_field(text: &str) -> Option<String> {
    crate::options::suggest(text, valid_fields().iter().map(String::as_str))
}

/// A piece of a template.
#[derive(Clone, Debug, PartialEq)]
enum Piece {
    Literal(String),
    Field(Replacement),
}

/// `{field[index]!conversion:spec}`.
#[derive(Clone, Debug, PartialEq)]
struct Replacement {
    field: Field,
    indexes: Vec<usize>,
    conversion: Option<char>,
    spec: Spec,
}

impl Replacement {
    fn render(
        &self,
        element: &str,
        album: &Album,
        chapter: Option<&Chapter>,
    ) -> Result<String, DirRuleError> {
        let mut value =
            self.field
                .value(album, chapter)
                .ok_or_else(|| DirRuleError::NeedsChapter {
                    element: element.to_owned(),
                    field: self.field.display(),
                })?;
        for &index in &self.indexes {
            let (item, len) = match &value {
                Value::List(items) => (items.get(index).cloned(), items.len()),
                Value::Str(s) => (s.chars().nth(index).map(String::from), s.chars().count()),
                // Rejected at parse time.
                Value::Int(_) | Value::Bool(_) => (None, 0),
            };
            value = Value::Str(item.ok_or_else(|| DirRuleError::IndexOutOfRange {
                element: element.to_owned(),
                field: self.field.display(),
                index,
                len,
            })?);
        }
        value = match self.conversion {
            Some('r' | 'a') => Value::Str(value.to_python_repr()),
            Some(_) => Value::Str(value.to_python_str()),
            None => value,
        };
        Ok(apply_spec(&value, &self.spec))
    }
}

/// Parses a Python `str.format` template whose fields are rule fields.
fn parse_template(text: &str, split_on_underscore: bool) -> Result<Vec<Piece>, DirRuleError> {
    let bad = |reason: &str| DirRuleError::Format {
        element: text.to_owned(),
        reason: reason.to_owned(),
    };
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                literal.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                literal.push('}');
            }
            '}' => return Err(bad("single '}' encountered in format string")),
            '{' => {
                let mut inner = String::new();
                let mut closed = false;
                let mut in_index = false;
                for c in chars.by_ref() {
                    match c {
                        '[' => in_index = true,
                        ']' => in_index = false,
                        '{' if !in_index => {
                            return Err(bad("nested replacement fields are not supported"));
                        }
                        '}' if !in_index => {
                            closed = true;
                            break;
                        }
                        _ => {}
                    }
                    inner.push(c);
                }
                if !closed {
                    return Err(bad("expected '}' before end of string"));
                }
                if !literal.is_empty() {
                    pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                }
                pieces.push(Piece::Field(parse_replacement(
                    text,
                    &inner,
                    split_on_underscore,
                )?));
            }
            c => literal.push(c),
        }
    }
    if !literal.is_empty() {
        pieces.push(Piece::Literal(literal));
    }
    Ok(pieces)
}

/// Parses the inside of `{...}`.
fn parse_replacement(
    element: &str,
    inner: &str,
    split_on_underscore: bool,
) -> Result<Replacement, DirRuleError> {
    let bad = |reason: String| DirRuleError::Format {
        element: element.to_owned(),
        reason,
    };
    // The field name runs to the first `!` or `:` outside `[...]` (Python's parse_field).
    let mut depth = 0usize;
    let mut name_end = inner.len();
    for (i, c) in inner.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            '!' | ':' if depth == 0 => {
                name_end = i;
                break;
            }
            _ => {}
        }
    }
    let (name_part, rest) = inner.split_at(name_end);
    let (conversion, spec_text) = if let Some(r) = rest.strip_prefix('!') {
        let mut it = r.chars();
        let conv = it.next();
        let after = it.as_str();
        let spec = if after.is_empty() {
            ""
        } else if let Some(s) = after.strip_prefix(':') {
            s
        } else {
            return Err(bad("expected ':' after conversion specifier".into()));
        };
        match conv {
            Some(c @ ('r' | 's' | 'a')) => (Some(c), spec),
            Some(c) => return Err(bad(format!("unknown conversion specifier {c}"))),
            None => {
                return Err(bad(
                    "end of string while looking for conversion specifier".into()
                ));
            }
        }
    } else {
        (None, rest.strip_prefix(':').unwrap_or(rest))
    };

    // `Atags[0][1]`: a name and element indexes.
    let (base, index_text) = match name_part.find(['[', '.']) {
        Some(i) => name_part.split_at(i),
        None => (name_part, ""),
    };
    if base.is_empty() {
        return Err(bad(
            "positional fields like `{}` or `{0}` are not supported: name a field, e.g. `{Aid}`"
                .into(),
        ));
    }
    let field = Field::lookup(base).ok_or_else(|| DirRuleError::UnknownField {
        element: element.to_owned(),
        field: base.to_owned(),
        suggestion: suggest_field(base),
        split_on_underscore,
    })?;
    let mut indexes = Vec::new();
    let mut kind = field.kind;
    let mut rest = index_text;
    while !rest.is_empty() {
        if rest.starts_with('.') {
            return Err(bad(format!(
                "attribute access in `{name_part}` is not supported"
            )));
        }
        if !rest.starts_with('[') {
            return Err(bad(format!(
                "only `[index]` may follow a field name, in `{name_part}`"
            )));
        }
        let Some(close) = rest.find(']') else {
            return Err(bad("missing ']' in format string".into()));
        };
        let idx_text = &rest[1..close];
        let idx: usize = idx_text.parse().map_err(|_| {
            bad(format!(
                "index `[{idx_text}]` of `{}` must be a non-negative integer",
                field.display()
            ))
        })?;
        if !matches!(kind, Kind::List | Kind::Str) {
            return Err(bad(format!(
                "`{}` is a number or boolean and cannot be indexed",
                field.display()
            )));
        }
        indexes.push(idx);
        kind = Kind::Str;
        rest = &rest[close + 1..];
    }
    if conversion.is_some() {
        kind = Kind::Str;
    }
    let spec = parse_spec(spec_text).map_err(&bad)?;
    check_spec(kind, &spec, &field.display()).map_err(bad)?;
    Ok(Replacement {
        field,
        indexes,
        conversion,
        spec,
    })
}

/// A parsed Python format specification:
/// `[[fill]align][sign][#][0][width][grouping][.precision][type]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Spec {
    fill: Option<char>,
    align: Option<char>,
    sign: Option<char>,
    alternate: bool,
    zero: bool,
    width: usize,
    grouping: Option<char>,
    precision: Option<usize>,
    ty: Option<char>,
    empty: bool,
}

/// Widths and precisions beyond this are refused: a name is cut to
/// [`crate::naming::MAX_COMPONENT_BYTES`] anyway, and a huge width would allocate a huge
/// string first.
const MAX_WIDTH: usize = 1000;

fn parse_spec(text: &str) -> Result<Spec, String> {
    let c: Vec<char> = text.chars().collect();
    let mut spec = Spec {
        empty: c.is_empty(),
        ..Spec::default()
    };
    let mut i = 0;
    let is_align = |ch: char| matches!(ch, '<' | '>' | '=' | '^');
    if c.len() >= 2 && is_align(c[1]) {
        spec.fill = Some(c[0]);
        spec.align = Some(c[1]);
        i = 2;
    } else if !c.is_empty() && is_align(c[0]) {
        spec.align = Some(c[0]);
        i = 1;
    }
    if i < c.len() && matches!(c[i], '+' | '-' | ' ') {
        spec.sign = Some(c[i]);
        i += 1;
    }
    if i < c.len() && c[i] == '#' {
        spec.alternate = true;
        i += 1;
    }
    if i < c.len() && c[i] == '0' {
        spec.zero = true;
        i += 1;
    }
    let read_number = |i: &mut usize| -> Result<Option<usize>, String> {
        let start = *i;
        while *i < c.len() && c[*i].is_ascii_digit() {
            *i += 1;
        }
        if *i == start {
            return Ok(None);
        }
        let digits: String = c[start..*i].iter().collect();
        match digits.parse::<usize>() {
            Ok(n) if n <= MAX_WIDTH => Ok(Some(n)),
            _ => Err(format!(
                "width or precision {digits} is too large (at most {MAX_WIDTH})"
            )),
        }
    };
    spec.width = read_number(&mut i)?.unwrap_or(0);
    if i < c.len() && matches!(c[i], ',' | '_') {
        spec.grouping = Some(c[i]);
        i += 1;
    }
    if i < c.len() && c[i] == '.' {
        i += 1;
        spec.precision = Some(
            read_number(&mut i)?.ok_or_else(|| "format specifier missing precision".to_owned())?,
        );
    }
    if i < c.len() {
        spec.ty = Some(c[i]);
        i += 1;
    }
    if i < c.len() {
        return Err(format!("invalid format specifier `{text}`"));
    }
    Ok(spec)
}

/// Checks a spec against the value's type, with Python's messages, so that rendering never
/// fails later.
fn check_spec(kind: Kind, spec: &Spec, field: &str) -> Result<(), String> {
    if spec.empty {
        return Ok(());
    }
    match kind {
        Kind::Str => {
            if spec.sign.is_some() {
                return Err(format!(
                    "sign not allowed in string format specifier (`{field}` is text)"
                ));
            }
            if spec.alternate {
                return Err(format!(
                    "alternate form (#) not allowed in string format specifier (`{field}` is text)"
                ));
            }
            if let Some(g) = spec.grouping {
                return Err(format!("cannot specify '{g}' with 's' (`{field}` is text)"));
            }
            if spec.align == Some('=') {
                return Err(format!(
                    "'=' alignment not allowed in string format specifier (`{field}` is text)"
                ));
            }
            match spec.ty {
                None | Some('s') => Ok(()),
                Some(t) => Err(format!(
                    "unknown format code '{t}' for `{field}`, which is text (use `s` or nothing)"
                )),
            }
        }
        // Python formats a bool with a non-empty spec as the integer 0/1.
        Kind::Int | Kind::Bool => match spec.ty {
            None | Some('d' | 'n' | 'b' | 'o' | 'x' | 'X') => {
                if spec.precision.is_some() {
                    return Err(format!(
                        "precision not allowed in integer format specifier (`{field}` is a number)"
                    ));
                }
                if spec.grouping == Some(',') && matches!(spec.ty, Some('b' | 'o' | 'x' | 'X')) {
                    return Err(format!(
                        "cannot specify ',' with '{}'",
                        spec.ty.unwrap_or('d')
                    ));
                }
                Ok(())
            }
            Some('f' | 'F' | '%') => Ok(()),
            Some(t) => Err(format!(
                "format code '{t}' is not supported for `{field}`, which is a number \
                     (supported: d, n, b, o, x, X, f, F, %)"
            )),
        },
        Kind::List => Err(format!(
            "unsupported format string passed to list.__format__ (`{field}` is a list; write \
             `{{{field}}}` without a spec, or pick an item like `{{{field}[0]}}`)"
        )),
    }
}

/// Formats `value` like Python's `format(value, spec)`; the spec was checked by
/// [`check_spec`].
fn apply_spec(value: &Value, spec: &Spec) -> String {
    if spec.empty {
        return value.to_python_str();
    }
    match value {
        Value::Str(s) => format_str(s, spec),
        Value::Int(i) => format_int(*i, spec),
        Value::Bool(b) => format_int(i128::from(*b), spec),
        Value::List(_) => value.to_python_str(),
    }
}

fn format_str(s: &str, spec: &Spec) -> String {
    let text: String = match spec.precision {
        Some(p) => s.chars().take(p).collect(),
        None => s.to_owned(),
    };
    // Python 3.10+: the `0` flag on text pads with zeros on the right.
    let fill = spec.fill.unwrap_or(if spec.zero && spec.align.is_none() {
        '0'
    } else {
        ' '
    });
    pad("", &text, spec.width, fill, spec.align.unwrap_or('<'))
}

fn format_int(v: i128, spec: &Spec) -> String {
    let negative = v < 0;
    let (mut digits, prefix, group_size) = match spec.ty {
        Some('b') => (format!("{:b}", v.unsigned_abs()), "0b", 4),
        Some('o') => (format!("{:o}", v.unsigned_abs()), "0o", 4),
        Some('x') => (format!("{:x}", v.unsigned_abs()), "0x", 4),
        Some('X') => (format!("{:X}", v.unsigned_abs()), "0X", 4),
        Some(t @ ('f' | 'F' | '%')) => {
            let scaled = if t == '%' { v * 100 } else { v };
            let precision = spec.precision.unwrap_or(6);
            let mut d = scaled.unsigned_abs().to_string();
            if let Some(g) = spec.grouping {
                d = group(&d, g, 3);
            }
            if precision > 0 || spec.alternate {
                d.push('.');
                d.extend(std::iter::repeat_n('0', precision));
            }
            if t == '%' {
                d.push('%');
            }
            (d, "", 0)
        }
        _ => (v.unsigned_abs().to_string(), "", 3),
    };
    if group_size > 0
        && let Some(g) = spec.grouping
    {
        digits = group(&digits, g, group_size);
    }
    let sign = match (negative, spec.sign) {
        (true, _) => "-",
        (false, Some('+')) => "+",
        (false, Some(' ')) => " ",
        _ => "",
    };
    let mut lead = sign.to_owned();
    if spec.alternate {
        lead.push_str(prefix);
    }
    let (fill, align) = match (spec.fill, spec.align) {
        (Some(f), Some(a)) => (f, a),
        (None, Some(a)) => (' ', a),
        (_, None) if spec.zero => ('0', '='),
        _ => (' ', '>'),
    };
    pad(&lead, &digits, spec.width, fill, align)
}

/// Inserts `sep` every `size` digits from the right.
fn group(digits: &str, sep: char, size: usize) -> String {
    let chars: Vec<char> = digits.chars().collect();
    let mut out = String::new();
    for (i, c) in chars.iter().enumerate() {
        if i > 0 && (chars.len() - i).is_multiple_of(size) {
            out.push(sep);
        }
        out.push(*c);
    }
    out
}

/// Pads `lead` + `body` to `width` characters; `=` puts the padding between them.
fn pad(lead: &str, body: &str, width: usize, fill: char, align: char) -> String {
    let len = lead.chars().count() + body.chars().count();
    let n = width.saturating_sub(len);
    let fill_str = |k: usize| std::iter::repeat_n(fill, k).collect::<String>();
    match align {
        '<' => format!("{lead}{body}{}", fill_str(n)),
        '^' => format!("{}{lead}{body}{}", fill_str(n / 2), fill_str(n - n / 2)),
        '=' => format!("{lead}{}{body}", fill_str(n)),
        _ => format!("{}{lead}{body}", fill_str(n)),
    }
}

/// A parsed `dir_rule.rule` with its base directory.
#[derive(Clone, Debug, PartialEq)]
pub struct DirRule {
    rule: String,
    base_dir: PathBuf,
    normalize_zh: Option<ZhTarget>,
    /// Elements after `Bd`.
    elements: Vec<Element>,
    /// Plain-text replacements applied to every directory computed (the
    /// `replace_path_string` plugin), in order.
    replacements: Vec<(String, String)>,
}

/// The default rule (the Python package's): one directory per chapter, named by its title.
// Spec §3.2.
pub const DEFAULT_RULE: &str = "Bd_Pname";

impl DirRule {
    /// Parses `rule` and checks every element (fields, templates, format specs).
    ///
    /// `base_dir` is used as given; [`crate::options::Options`] makes it absolute first.
    pub fn parse(
        rule: &str,
        base_dir: PathBuf,
        normalize_zh: Option<ZhTarget>,
    ) -> Result<DirRule, DirRuleError> {
        // Spec §3.5 step 1: `/` wins over `_`; the two are never mixed.
        let split_on_underscore = !rule.contains('/') && rule.contains('_');
        let parts: Vec<&str> = if rule.contains('/') {
            rule.split('/').collect()
        } else if split_on_underscore {
            rule.split('_').collect()
        } else {
            vec![rule]
        };
        // Empty elements (`Bd//Pname`, a trailing `/`) name no directory; Python's path
        // clean-up collapses them the same way.
        let parts: Vec<&str> = parts
            .into_iter()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        if parts.is_empty() {
            return Err(DirRuleError::Empty);
        }
        let rest = if parts[0] == "Bd" {
            &parts[1..]
        } else {
            &parts[..]
        };
        let mut elements = Vec::with_capacity(rest.len());
        for part in rest {
            if *part == "Bd" {
                return Err(DirRuleError::BdNotFirst {
                    rule: rule.to_owned(),
                });
            }
            elements.push(Element::parse(part, split_on_underscore)?);
        }
        Ok(DirRule {
            rule: rule.to_owned(),
            base_dir,
            normalize_zh,
            elements,
            replacements: Vec::new(),
        })
    }

    /// The default rule [`DEFAULT_RULE`] under `base_dir`.
    pub fn default_in(base_dir: PathBuf) -> DirRule {
        DirRule {
            rule: DEFAULT_RULE.to_owned(),
            base_dir,
            normalize_zh: None,
            elements: vec![Element::Field {
                text: "Pname".to_owned(),
                field: Field {
                    scope: Scope::Chapter,
                    name: "name",
                    kind: Kind::Str,
                },
            }],
            replacements: Vec::new(),
        }
    }

    /// The rule as written.
    pub fn rule(&self) -> &str {
        &self.rule
    }

    /// The base directory (`Bd`).
    pub fn base_dir(&self) -> &Path {
        &self.base_dir
    }

    /// The Chinese conversion applied to every name, if any.
    pub fn normalize_zh(&self) -> Option<ZhTarget> {
        self.normalize_zh
    }

    /// The same rule under another base directory.
    pub fn with_base_dir(&self, base_dir: PathBuf) -> DirRule {
        DirRule {
            base_dir,
            ..self.clone()
        }
    }

    /// The same rule with plain-text replacements applied to every directory it gives (the
    /// `replace_path_string` plugin): each `(old, new)` in order, on the whole
    /// path. A replacement that would make a path leave the base directory is not applied
    /// to that path.
    // Spec §5.3 (`replace_path_string`).
    pub fn with_replacements(&self, replacements: Vec<(String, String)>) -> DirRule {
        DirRule {
            replacements,
            ..self.clone()
        }
    }

    /// The replacements of [`Self::with_replacements`].
    pub fn replacements(&self) -> &[(String, String)] {
        &self.replacements
    }

    /// Where the images of `chapter` of `album` go: the base directory and every element.
    pub fn chapter_dir(&self, album: &Album, chapter: &Chapter) -> Result<PathBuf, DirRuleError> {
        self.build(self.elements.iter(), album, Some(chapter))
    }

    /// The path of every element applied to the album and, when given, the chapter (the
    /// Python `DirRule.apply_rule_to_path`, used by plugins whose `dir_rule` names a file:
    /// `{Atitle}/{Aid}_cover.jpg`). A chapter field without a chapter is an error.
    pub fn path_for(
        &self,
        album: &Album,
        chapter: Option<&Chapter>,
    ) -> Result<PathBuf, DirRuleError> {
        self.build(self.elements.iter(), album, chapter)
    }

    /// The album's own directory: the base directory and the leading elements that use no
    /// chapter field (literals and album fields, templates included).
    ///
    /// Every chapter directory of the album lies inside it. The Python package counts only
    /// elements starting with `A` wherever they are, so `Bd / {Aid} / Pname` gives it the base
    /// directory, and `Bd_Pname_Aid` a directory that contains no chapter.
    // Spec W12.
    pub fn album_dir(&self, album: &Album) -> Result<PathBuf, DirRuleError> {
        self.build(
            self.elements.iter().take_while(|e| !e.uses_chapter()),
            album,
            None,
        )
    }

    /// Renders one element-like rule as a single safe name, for exporters (`[JM{Aid}]{Atitle}`,
    /// `Pid`; the Python `apply_rule_to_filename`). The text is not split on `/` or `_`; a
    /// chapter field without `chapter` is an error.
    // Spec §3.5.
    pub fn apply_to_name(
        rule_text: &str,
        album: &Album,
        chapter: Option<&Chapter>,
    ) -> Result<String, DirRuleError> {
        let text = rule_text.trim();
        if text.is_empty() {
            return Err(DirRuleError::Empty);
        }
        if text == "Bd" {
            return Err(DirRuleError::BdAsName);
        }
        let element = Element::parse(text, false)?;
        Ok(sanitize_component(&element.render(album, chapter)?))
    }

    fn build<'a>(
        &self,
        elements: impl Iterator<Item = &'a Element>,
        album: &Album,
        chapter: Option<&Chapter>,
    ) -> Result<PathBuf, DirRuleError> {
        let mut path = self.base_dir.clone();
        for element in elements {
            let mut name = element.render(album, chapter)?;
            if let Some(zh) = self.normalize_zh {
                name = zh.convert(&name);
            }
            path.push(sanitize_component(&name));
        }
        Ok(self.replace(path))
    }

    fn replace(&self, path: PathBuf) -> PathBuf {
        if self.replacements.is_empty() {
            return path;
        }
        let mut text = path.to_string_lossy().into_owned();
        for (old, new) in &self.replacements {
            if !old.is_empty() {
                text = text.replace(old.as_str(), new);
            }
        }
        let replaced = PathBuf::from(text);
        // A replacement may touch the base directory's own text (the Python plugin applies
        // it to the whole path too); what it must not do is point outside it.
        let escapes = replaced
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir));
        if escapes { path } else { replaced }
    }

    /// The elements after `Bd`, as written.
    pub fn elements(&self) -> impl Iterator<Item = &str> {
        self.elements.iter().map(Element::text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(s: &str) -> Spec {
        parse_spec(s).expect("valid spec")
    }

    #[test]
    fn int_specs_match_python() {
        let cases = [
            ("03", 1, "001"),
            ("", 1, "1"),
            (">5", 42, "   42"),
            ("<5", 42, "42   "),
            ("^6", 42, "  42  "),
            ("*^7", 42, "**42***"),
            ("+d", 5, "+5"),
            (" d", 5, " 5"),
            ("=+6", 5, "+    5"),
            ("06", -5, "-00005"),
            (",", 1_234_567, "1,234,567"),
            ("_", 1_234_567, "1_234_567"),
            ("x", 255, "ff"),
            ("#X", 255, "0XFF"),
            ("#b", 5, "0b101"),
            ("o", 8, "10"),
            (".2f", 3, "3.00"),
            ("%", 1, "100.000000%"),
        ];
        for (s, v, want) in cases {
            assert_eq!(format_int(v, &spec(s)), want, "{s}");
        }
    }

    #[test]
    fn str_specs_match_python() {
        let cases = [
            (".2", "abcdef", "ab"),
            (">5", "ab", "   ab"),
            ("5", "ab", "ab   "),
            ("05", "ab", "ab000"),
            ("_^6", "ab", "__ab__"),
            ("s", "ab", "ab"),
            (".3s", "長長長長", "長長長"),
        ];
        for (s, v, want) in cases {
            assert_eq!(format_str(v, &spec(s)), want, "{s}");
        }
    }

    #[test]
    fn bad_specs_are_rejected() {
        assert!(parse_spec("5.").is_err());
        assert!(parse_spec("5dd").is_err());
        assert!(parse_spec("99999").is_err());
        assert!(check_spec(Kind::Str, &spec("+"), "Aid").is_err());
        assert!(check_spec(Kind::Str, &spec("d"), "Aid").is_err());
        assert!(check_spec(Kind::Int, &spec(".2"), "Pindex").is_err());
        assert!(check_spec(Kind::Int, &spec("s"), "Pindex").is_err());
        assert!(check_spec(Kind::List, &spec(">3"), "Atags").is_err());
        assert!(check_spec(Kind::List, &spec(""), "Atags").is_ok());
    }

    #[test]
    fn repr_like_python() {
        assert_eq!(python_repr("a"), "'a'");
        assert_eq!(python_repr("it's"), "\"it's\"");
        assert_eq!(python_repr("a'b\"c"), "'a\\'b\"c'");
        assert_eq!(python_repr("a\nb\\"), "'a\\nb\\\\'");
        assert_eq!(python_repr("\u{1}"), "'\\x01'");
        assert_eq!(
            Value::List(vec!["a".into(), "b".into()]).to_python_str(),
            "['a', 'b']"
        );
        assert_eq!(Value::List(vec![]).to_python_str(), "[]");
    }

    #[test]
    fn template_parsing() {
        let p = parse_template("[JM{Aid}]{{x}}", false).expect("ok");
        assert_eq!(p.len(), 3);
        assert!(matches!(&p[2], Piece::Literal(s) if s == "]{x}"));
        assert!(parse_template("a}b", false).is_err());
        assert!(parse_template("{Aid", false).is_err());
        assert!(parse_template("{}", false).is_err());
        assert!(parse_template("{Aid:{w}}", false).is_err());
        assert!(parse_template("{Aid!z}", false).is_err());
        assert!(parse_template("{Pindex[0]}", false).is_err());
        assert!(parse_template("{Atags[x]}", false).is_err());
        assert!(parse_template("{Atitle.upper}", false).is_err());
        assert!(parse_template("{Atags[0]é]}", false).is_err());
        assert!(parse_template("{Atags[é]}", false).is_err());
        assert!(parse_template("{Atags[0]:>3}", false).is_ok());
        assert!(parse_template("{Atags!r:.5}", false).is_ok());
    }

    #[test]
    fn bool_with_spec_is_an_int() {
        assert_eq!(apply_spec(&Value::Bool(true), &spec("")), "True");
        assert_eq!(apply_spec(&Value::Bool(true), &spec(">3")), "  1");
    }

    #[test]
    fn zh_target_parse() {
        assert_eq!(ZhTarget::parse("zh-CN"), Some(ZhTarget::Cn));
        assert_eq!(ZhTarget::parse("zh_tw"), Some(ZhTarget::Tw));
        assert_eq!(ZhTarget::parse("zh-hk"), None);
    }
}
