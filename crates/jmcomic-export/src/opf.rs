//! A Calibre metadata file (`metadata.opf`, an OPF 2.0 package document), as the Python
//! package's `calibre_metadata` plugin writes through `jmcomic-calibre`.
//!
//! Calibre reads it when a book is added from a folder, so the book keeps the album's title,
//! authors and tags, and its `dc:identifier` with scheme `JMCOMIC` maps the book back to the
//! site for later updates (JMComic-Crawler-Python issue 573).

// exports.md §1 (what `calibre_metadata` writes).

use std::borrow::Cow;
use std::io::{Read, Write};
use std::path::Path;

use jmcomic_image::Format;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use crate::error::{Error, Result};
use crate::meta::ExportMeta;
use crate::output::{ExportKind, Exported, PartFile};

/// The OPF namespace (package, manifest, and the `opf:` attributes of Dublin Core elements).
pub const OPF_NAMESPACE: &str = "http://www.idpf.org/2007/opf";

/// The Dublin Core elements namespace (`dc:`).
pub const DC_NAMESPACE: &str = "http://purl.org/dc/elements/1.1/";

/// The fifteen Dublin Core elements: the only `fields` keys written (as `dc:{key}`).
pub const DC_ELEMENTS: [&str; 15] = [
    "contributor",
    "coverage",
    "creator",
    "date",
    "description",
    "format",
    "identifier",
    "language",
    "publisher",
    "relation",
    "rights",
    "source",
    "subject",
    "title",
    "type",
];

/// The `id` of the package's unique identifier (the `JMCOMIC` one) and of the cover item.
const IDENTIFIER_ID: &str = "jmcomic_id";
const COVER_ID: &str = "cover";

/// What [`write_opf`] writes besides the album's own metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct OpfOptions {
    /// Extra Dublin Core elements, `(element, value)` in order (e.g. `("language", "zh")`,
    /// `("publisher", "…")`). Keys are matched without regard to case. A key naming an element
    /// the album fills (`title`, `creator`, `subject`, `description`, `date`) replaces the
    /// album's values for it; `identifier` adds to the `JMCOMIC` identifier, which is always
    /// kept. Keys that are not Dublin Core elements are ignored with a warning.
    pub fields: Vec<(String, String)>,
    /// Reference the cover given to [`write_opf`] (manifest item, `<meta name="cover">` and a
    /// guide reference, which is where Calibre looks).
    pub include_cover: bool,
    /// The `dc:creator` written when the album names no author.
    pub default_author: String,
}

impl Default for OpfOptions {
    /// No extra fields, no cover, and the Python package's `default_author`
    /// ([`jmcomic_model::DEFAULT_AUTHOR`]).
    fn default() -> Self {
        OpfOptions {
            fields: Vec::new(),
            include_cover: false,
            default_author: jmcomic_model::DEFAULT_AUTHOR.to_owned(),
        }
    }
}

/// Writes an OPF 2.0 package document describing `meta` at `out`.
///
/// Written: `dc:identifier` `jmcomic:{album_id}` (scheme `JMCOMIC`, the package's unique
/// identifier), `dc:title` ([`ExportMeta::display_title`]), one `dc:creator` (role `aut`) per
/// author or [`OpfOptions::default_author`], one `dc:subject` per tag, `dc:description` when
/// there is one, `dc:date` when the publication date is known, then the Dublin Core
/// [`OpfOptions::fields`]. With [`OpfOptions::include_cover`] and a `cover`, the cover file is
/// referenced by its file name (the caller puts it next to `out`) with the media type of its
/// contents.
///
/// Text that XML 1.0 cannot hold (control characters) is dropped, the rest escaped. Returns
/// the export and warnings for what was ignored (unknown field keys, empty values, a cover
/// asked for but not given).
pub fn write_opf(
    out: &Path,
    meta: &ExportMeta,
    cover: Option<&Path>,
    options: &OpfOptions,
) -> Result<(Exported, Vec<String>)> {
    let mut warnings = Vec::new();
    let fields = dc_fields(&options.fields, &mut warnings);
    let cover = match (options.include_cover, cover) {
        (true, Some(path)) => Some(cover_item(out, path)?),
        (true, None) => {
            warnings
                .push("include_cover is set but there is no cover file: none referenced".into());
            None
        }
        (false, _) => None,
    };
    let xml =
        package(meta, &fields, cover.as_ref(), options).map_err(|e| Error::io("write", out, e))?;
    let mut part = PartFile::create(out)?;
    part.write_all(&xml)
        .map_err(|e| Error::io("write", out, e))?;
    let bytes = part.commit()?;
    Ok((
        Exported::written(out.to_owned(), ExportKind::Opf, 0, bytes),
        warnings,
    ))
}

/// The `fields` that are Dublin Core elements, as `(element, value)` with canonical
/// (lower-case) element names; a warning for each one left out.
fn dc_fields<'a>(
    fields: &'a [(String, String)],
    warnings: &mut Vec<String>,
) -> Vec<(&'static str, &'a str)> {
    let mut kept = Vec::new();
    for (key, value) in fields {
        let Some(element) = DC_ELEMENTS
            .iter()
            .find(|e| e.eq_ignore_ascii_case(key.trim()))
        else {
            warnings.push(format!(
                "calibre_metadata field `{key}` is not a Dublin Core element ({}): ignored",
                DC_ELEMENTS.join(", ")
            ));
            continue;
        };
        if value.trim().is_empty() {
            warnings.push(format!("calibre_metadata field `{key}` is empty: ignored"));
            continue;
        }
        kept.push((*element, value.as_str()));
    }
    kept
}

/// The cover's manifest entry: its file name and media type.
struct CoverItem {
    href: String,
    media_type: &'static str,
}

/// Names the cover by its file name and types it by its contents (the file name's suffix
/// only when the contents are not recognised).
fn cover_item(out: &Path, cover: &Path) -> Result<CoverItem> {
    let unsupported = |reason: String| Error::Unsupported {
        path: out.to_owned(),
        reason,
    };
    let href = cover
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| {
            unsupported(format!(
                "the cover {} has no UTF-8 file name to reference",
                cover.display()
            ))
        })?
        .to_owned();
    let mut head = Vec::with_capacity(16);
    std::fs::File::open(cover)
        .and_then(|f| f.take(16).read_to_end(&mut head))
        .map_err(|e| Error::io("read", cover, e))?;
    let format = jmcomic_image::sniff(&head)
        .or_else(|| {
            cover
                .extension()
                .and_then(|e| e.to_str())
                .and_then(Format::from_suffix)
        })
        .ok_or_else(|| {
            unsupported(format!(
                "the cover {} is not a WebP, JPEG, PNG or GIF image",
                cover.display()
            ))
        })?;
    Ok(CoverItem {
        href,
        media_type: format.mime(),
    })
}

/// The whole document.
fn package(
    meta: &ExportMeta,
    fields: &[(&'static str, &str)],
    cover: Option<&CoverItem>,
    options: &OpfOptions,
) -> std::io::Result<Vec<u8>> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
    w.create_element("package")
        .with_attributes([
            ("xmlns", OPF_NAMESPACE),
            ("version", "2.0"),
            ("unique-identifier", IDENTIFIER_ID),
        ])
        .write_inner_content(|w| {
            w.create_element("metadata")
                .with_attributes([("xmlns:dc", DC_NAMESPACE), ("xmlns:opf", OPF_NAMESPACE)])
                .write_inner_content(|w| metadata(w, meta, fields, cover, options))?;
            if let Some(cover) = cover {
                w.create_element("manifest").write_inner_content(|w| {
                    w.create_element("item")
                        .with_attributes([
                            ("id", COVER_ID),
                            ("href", xml_safe(&cover.href).as_ref()),
                            ("media-type", cover.media_type),
                        ])
                        .write_empty()?;
                    Ok(())
                })?;
                w.create_element("guide").write_inner_content(|w| {
                    w.create_element("reference")
                        .with_attributes([
                            ("type", "cover"),
                            ("title", "Cover"),
                            ("href", xml_safe(&cover.href).as_ref()),
                        ])
                        .write_empty()?;
                    Ok(())
                })?;
            }
            Ok(())
        })?;
    let mut xml = w.into_inner();
    xml.push(b'\n');
    Ok(xml)
}

/// The elements [`write_opf`] fills from the album; a field naming one of them replaces the
/// album's values (`identifier` adds to the `JMCOMIC` one instead).
const ALBUM_FILLED: [&str; 6] = [
    "identifier",
    "title",
    "creator",
    "subject",
    "description",
    "date",
];

/// The `<metadata>` children.
fn metadata(
    w: &mut Writer<Vec<u8>>,
    meta: &ExportMeta,
    fields: &[(&'static str, &str)],
    cover: Option<&CoverItem>,
    options: &OpfOptions,
) -> std::io::Result<()> {
    // The fields' values for `element` when there are any, else the album's (blank ones left
    // out).
    let values = |element: &str, album: Vec<String>| -> Vec<String> {
        let given: Vec<String> = fields
            .iter()
            .filter(|(e, _)| *e == element)
            .map(|(_, v)| (*v).to_owned())
            .collect();
        if given.is_empty() {
            album.into_iter().filter(|v| !v.trim().is_empty()).collect()
        } else {
            given
        }
    };

    w.create_element("dc:identifier")
        .with_attributes([("opf:scheme", "JMCOMIC"), ("id", IDENTIFIER_ID)])
        .write_text_content(BytesText::new(&format!("jmcomic:{}", meta.album_id)))?;
    for value in values("identifier", Vec::new()) {
        dc(w, "identifier", &value)?;
    }
    for value in values("title", vec![meta.display_title()]) {
        dc(w, "title", &value)?;
    }
    let mut creators = values("creator", meta.authors.clone());
    if creators.is_empty() {
        creators.push(options.default_author.clone());
    }
    for value in creators {
        w.create_element("dc:creator")
            .with_attribute(("opf:role", "aut"))
            .write_text_content(BytesText::new(&xml_safe(&value)))?;
    }
    for value in values("subject", meta.tags.clone()) {
        dc(w, "subject", &value)?;
    }
    for value in values("description", vec![meta.description.clone()]) {
        dc(w, "description", &value)?;
    }
    for value in values("date", meta.pub_date.iter().cloned().collect()) {
        dc(w, "date", &value)?;
    }
    for (element, value) in fields {
        if !ALBUM_FILLED.contains(element) {
            dc(w, element, value)?;
        }
    }

    if cover.is_some() {
        w.create_element("meta")
            .with_attributes([("name", "cover"), ("content", COVER_ID)])
            .write_empty()?;
    }
    Ok(())
}

/// Writes `<dc:{element}>value</dc:{element}>`.
fn dc(w: &mut Writer<Vec<u8>>, element: &str, value: &str) -> std::io::Result<()> {
    w.create_element(format!("dc:{element}"))
        .write_text_content(BytesText::new(&xml_safe(value)))?;
    Ok(())
}

/// `text` without the characters XML 1.0 cannot contain at all, escaped or not (C0 controls
/// other than tab, line feed and carriage return, and U+FFFE/U+FFFF): a title scraped from the
/// site may carry them, and one would make the whole file unreadable.
fn xml_safe(text: &str) -> Cow<'_, str> {
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
            || c >= '\u{10000}'
    };
    if text.chars().all(allowed) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.chars().filter(|&c| allowed(c)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_safe_drops_only_what_xml_forbids() {
        assert_eq!(xml_safe("a\u{0}b\u{1b}c\u{fffe}d"), "abcd");
        assert_eq!(
            xml_safe("tab\tnl\ncr\r<&>\u{1F600}"),
            "tab\tnl\ncr\r<&>\u{1F600}"
        );
        assert!(matches!(xml_safe("plain"), Cow::Borrowed(_)));
    }
}
