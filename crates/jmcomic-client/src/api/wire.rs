//! The API's JSON (`/album`, `/chapter`, `/search`, `/categories/filter`) turned into model
//! entities; the account endpoints' in `account_wire`, with the helpers here.
//!
//! The mapping is deliberately lenient: numbers may arrive as strings or numbers, lists may
//! be missing or null, and a missing optional field gets a default instead of failing the
//! whole album (the Python package raises a bare `KeyError`). Only what defines an entity
//! (its `id` and `name`) is required.

// Spec §6.2.3, §6.2.5; W15.

use jmcomic_model::{Album, Chapter, Episode, JmId, RelatedAlbum, SearchItem, SearchPage};
use serde_json::Value;

/// Why a JSON document could not be mapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MapError {
    /// The entity is absent: `name` null or missing (how the site says "no such album").
    // Spec §6.2.5 "missing entity rule".
    Missing,
    /// The document is not shaped like the entity at all.
    Malformed(String),
}

/// Text of a string or number field; `None` for null, absent, or other types.
pub(crate) fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A non-negative integer from a number or a numeric string.
pub(crate) fn uint(v: &Value, key: &str) -> Option<u64> {
    match v.get(key)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A flag from a boolean, a number (non-zero) or a string (`1`, `true`); `false` when absent.
pub(crate) fn boolean(v: &Value, key: &str) -> bool {
    match v.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_u64().is_some_and(|n| n != 0),
        Some(Value::String(s)) => matches!(s.as_str(), "1" | "true" | "True"),
        _ => false,
    }
}

/// A list of strings; a single string counts as a one-element list, numbers are kept as text.
fn strings(v: &Value, key: &str) -> Vec<String> {
    match v.get(key) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| match i {
                Value::String(s) => Some(s.trim().to_owned()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .filter(|s| !s.is_empty())
            .collect(),
        Some(Value::String(s)) if !s.trim().is_empty() => vec![s.trim().to_owned()],
        _ => Vec::new(),
    }
}

/// An id from a number or a numeric string.
pub(crate) fn id_of(v: &Value, key: &str) -> Option<JmId> {
    uint(v, key).map(JmId::new)
}

/// The entity's name, or `Missing` (null, absent, or not text).
fn required_name(v: &Value) -> Result<String, MapError> {
    if !v.is_object() {
        return Err(MapError::Malformed(format!(
            "expected an object, got {}",
            kind_of(v)
        )));
    }
    match v.get("name") {
        Some(Value::String(s)) => Ok(s.trim().to_owned()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        _ => Err(MapError::Missing),
    }
}

/// What a JSON value is, for error messages.
pub(crate) fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// `series` entries: `(chapter id, sort, title)`; entries without a usable id are skipped.
fn series(v: &Value) -> Vec<Episode> {
    let Some(Value::Array(items)) = v.get("series") else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|s| {
            let chapter_id = id_of(s, "id")?;
            let sort = uint(s, "sort")
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(1);
            Some(Episode {
                chapter_id,
                sort,
                title: text(s, "name").unwrap_or_default().trim().to_owned(),
            })
        })
        .collect()
}

/// What `/album` returned: an album, or a pointer to the album a chapter id belongs to.
#[derive(Debug)]
pub(crate) enum AlbumDoc {
    /// The album.
    Album(Box<Album>),
    /// The id was a chapter's: the record names its album in `series_id` (the Python package
    /// follows it the same way since 2.7.10).
    // Spec Appendix A.
    ChapterOf { returned: JmId, album: JmId },
}

/// Maps the decrypted `/album` document.
// Spec §6.2.5.
pub(crate) fn album(v: &Value) -> Result<AlbumDoc, MapError> {
    let name = required_name(v)?;
    let id = id_of(v, "id").ok_or(MapError::Missing)?;
    if let Some(series_id) = id_of(v, "series_id")
        && series_id.get() != 0
        && series_id != id
    {
        return Ok(AlbumDoc::ChapterOf {
            returned: id,
            album: series_id,
        });
    }
    let episodes = Album::normalize_episodes(id, &name, series(v));
    let related = match v.get("related_list") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|r| {
                Some(RelatedAlbum {
                    id: id_of(r, "id")?,
                    name: text(r, "name").unwrap_or_default(),
                    author: text(r, "author").unwrap_or_default(),
                })
            })
            .collect(),
        _ => Vec::new(),
    };
    let pub_date = uint(v, "addtime").filter(|t| *t > 0).map(date_of_unix);
    Ok(AlbumDoc::Album(Box::new(Album {
        id,
        description: text(v, "description").unwrap_or_default().trim().to_owned(),
        authors: strings(v, "author"),
        tags: strings(v, "tags"),
        works: strings(v, "works"),
        actors: strings(v, "actors"),
        page_count: uint(v, "total_photos").and_then(|n| u32::try_from(n).ok()),
        pub_date,
        update_date: None,
        likes: text(v, "likes").unwrap_or_default(),
        views: text(v, "total_views").unwrap_or_default(),
        comment_count: uint(v, "comment_total").unwrap_or(0),
        episodes,
        related,
        liked: boolean(v, "liked"),
        is_favorite: boolean(v, "is_favorite"),
        name,
    })))
}

/// Maps the decrypted `/chapter` document.
// Spec §6.2.5.
pub(crate) fn chapter(v: &Value) -> Result<Chapter, MapError> {
    let name = required_name(v)?;
    let id = id_of(v, "id").ok_or(MapError::Missing)?;
    let album_id = id_of(v, "series_id").filter(|s| s.get() != 0).unwrap_or(id);
    // The chapter's sort is the one its album's list gives it; 1 when not listed (spec §6.2.5).
    let sort = series(v)
        .into_iter()
        .find(|e| e.chapter_id == id)
        .map_or(1, |e| e.sort);
    let tags = match v.get("tags") {
        Some(Value::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
        _ => strings(v, "tags"),
    };
    // Every entry is kept, even odd ones: a dropped entry would be a page missing without a
    // word. Names that cannot be fetched or saved are refused per page, later, as failures.
    let pages = match v.get("images") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| match i {
                Value::String(s) => Some(s.trim().to_owned()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(other) => {
            return Err(MapError::Malformed(format!(
                "`images` is {}, expected a list",
                kind_of(other)
            )));
        }
    };
    Ok(Chapter {
        id,
        album_id,
        name,
        sort,
        tags,
        pages: Some(pages),
        scramble_id: None,
    })
}

/// The albums listed under `key` (`content` of `/search` and `/categories/filter`, `list` of
/// `/favorite`, which adds fields this ignores); entries without a usable id are skipped.
// Spec §6.2.3 (search item fields).
pub(crate) fn search_items(v: &Value, key: &str) -> Vec<SearchItem> {
    match v.get(key) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| {
                Some(SearchItem {
                    id: id_of(i, "id")?,
                    name: text(i, "name").unwrap_or_default(),
                    author: text(i, "author").unwrap_or_default(),
                    tags: strings(i, "tags"),
                })
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Maps the decrypted `/search` or `/categories/filter` document (both answer this shape).
// Spec §6.2.3.
pub(crate) fn search(v: &Value, page: u32) -> Result<SearchPage, MapError> {
    if !v.is_object() {
        return Err(MapError::Malformed(format!(
            "expected an object, got {}",
            kind_of(v)
        )));
    }
    let items = search_items(v, "content");
    Ok(SearchPage {
        query: text(v, "search_query").unwrap_or_default(),
        // `total` may be null, a number or a string (spec §6.2.3, Appendix C).
        total: uint(v, "total").unwrap_or(items.len() as u64),
        page,
        redirect: id_of(v, "redirect_aid"),
        items,
    })
}

/// `YYYY-MM-DD` (UTC) of a Unix time. The Python package uses local time; UTC keeps the
/// result independent of the machine.
// Spec Appendix A.
pub(crate) fn date_of_unix(secs: u64) -> String {
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let days = (secs / 86_400) as i64;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cdn::is_fetchable_page_name;
    use serde_json::json;

    #[test]
    fn album_mapping_is_lenient() {
        let v = json!({
            "id": 438_516, "name": " Title [组] ", "author": ["a", "b"], "description": null,
            "total_views": 40000, "likes": "1K", "series": [], "series_id": "0",
            "comment_total": "7", "tags": ["t1"], "addtime": "1700000000"
        });
        let AlbumDoc::Album(a) = album(&v).unwrap() else {
            panic!("expected an album")
        };
        assert_eq!(a.id.get(), 438_516);
        assert_eq!(a.name, "Title [组]");
        assert_eq!(a.description, "");
        assert_eq!(a.views, "40000");
        assert_eq!(a.comment_count, 7);
        assert!(a.works.is_empty());
        assert_eq!(a.pub_date.as_deref(), Some("2023-11-14"));
        assert_eq!(a.episodes.len(), 1);
        assert_eq!(a.episodes[0].chapter_id, a.id);
    }

    #[test]
    fn album_missing_and_redirect() {
        assert_eq!(
            album(&json!({"name": null, "id": null})).unwrap_err(),
            MapError::Missing
        );
        assert_eq!(album(&json!({})).unwrap_err(), MapError::Missing);
        assert!(matches!(album(&json!([])), Err(MapError::Malformed(_))));
        let doc = album(&json!({"id": "5", "name": "c", "series_id": "3"})).unwrap();
        assert!(matches!(doc, AlbumDoc::ChapterOf { album, .. } if album.get() == 3));
    }

    #[test]
    fn chapter_mapping() {
        let v = json!({
            "id": "101", "name": "ch", "series_id": "100", "tags": "a b  c",
            "series": [{"id": "100", "sort": "1", "name": "x"}, {"id": 101, "sort": 2, "name": "y"}],
            "images": ["00001.webp", "../evil", "00002.gif", 5, "..", "a\\b", "x\u{0}", "0003 v2.webp"]
        });
        let c = chapter(&v).unwrap();
        assert_eq!(c.album_id.get(), 100);
        assert_eq!(c.sort, 2);
        assert_eq!(c.tags, ["a", "b", "c"]);
        let pages = c.pages.unwrap();
        assert_eq!(pages.len(), 8, "every entry is kept: {pages:?}");
        let fetchable: Vec<&String> = pages.iter().filter(|p| is_fetchable_page_name(p)).collect();
        assert_eq!(fetchable, ["00001.webp", "00002.gif", "5", "0003 v2.webp"]);
        let single =
            chapter(&json!({"id": 7, "name": "s", "series_id": "0", "images": []})).unwrap();
        assert_eq!(single.album_id.get(), 7);
        assert_eq!(single.sort, 1);
    }

    #[test]
    fn dates() {
        assert_eq!(date_of_unix(0), "1970-01-01");
        assert_eq!(date_of_unix(951_782_400), "2000-02-29");
        assert_eq!(date_of_unix(1_764_000_000), "2025-11-24");
    }
}
