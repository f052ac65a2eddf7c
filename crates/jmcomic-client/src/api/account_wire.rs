//! The account endpoints' JSON (`/login`, `/favorite`, `/forum`, `/daily`) turned into model
//! entities, as leniently as [`super::wire`]: numbers may be strings, lists may be missing.

// Spec §2.5 (page entities, comment fields), §6.2.3 (endpoint answers), Appendix A (check-in).

use std::sync::LazyLock;

use jmcomic_model::{
    Comment, CommentPage, DailyDay, DailyEvent, FavoriteFolder, FavoritePage, User,
};
use regex::Regex;
use serde_json::Value;

use super::wire::{MapError, boolean, id_of, kind_of, search_items, text, uint};

/// `<br>` in any spelling (`<br/>`, `<BR >`): a line break in comment HTML.
static BREAK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)<br\s*/?>").expect("static regex is valid"));
/// Any other tag, which the text drops.
static TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"<[^>]*>").expect("static regex is valid"));

fn require_object(v: &Value) -> Result<(), MapError> {
    if v.is_object() {
        Ok(())
    } else {
        Err(MapError::Malformed(format!(
            "expected an object, got {}",
            kind_of(v)
        )))
    }
}

/// The text of comment HTML: `<br>` becomes a line break, other tags go, entities are
/// decoded (after the tags are gone, so `&lt;b&gt;` stays visible text), the ends trimmed.
// Spec §6.2.3 ("the HTML `content` is converted to text").
pub(crate) fn html_to_text(html: &str) -> String {
    let broken = BREAK.replace_all(html, "\n");
    let bare = TAG.replace_all(&broken, "");
    html_escape::decode_html_entities(&bare).trim().to_owned()
}

/// The login answer's user object and its session value `s` (the login cookie), which it
/// must have.
// Spec §6.2.3 (`/login` fields), §6.2.9.
pub(crate) fn login(v: &Value, asked_as: &str) -> Result<(User, String), MapError> {
    require_object(v)?;
    let session = text(v, "s")
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| MapError::Malformed("the user object has no session value `s`".into()))?;
    let user = User {
        uid: uint(v, "uid").filter(|u| *u != 0),
        username: text(v, "username")
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| asked_as.to_owned()),
        level_name: text(v, "level_name").filter(|l| !l.is_empty()),
        coin: uint(v, "coin"),
        favorites: uint(v, "album_favorites"),
        favorites_max: uint(v, "album_favorites_max"),
    };
    Ok((user, session))
}

/// A `/favorite` page: `list` (search items with extra fields), `folder_list` (`FID`,
/// `name`), `total`.
// Spec §6.2.3, §2.5 (`JmFavoritePage`).
pub(crate) fn favorites(v: &Value, folder: &str, page: u32) -> Result<FavoritePage, MapError> {
    require_object(v)?;
    let items = search_items(v, "list");
    let folders = match v.get("folder_list") {
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(|f| {
                Some(FavoriteFolder {
                    id: text(f, "FID").filter(|id| !id.trim().is_empty())?,
                    name: text(f, "name").unwrap_or_default(),
                })
            })
            .collect(),
        _ => Vec::new(),
    };
    // The Python package requires `total` here; missing, the items on the page are all
    // that is known.
    let total = uint(v, "total").unwrap_or(items.len() as u64);
    Ok(FavoritePage {
        folder: folder.to_owned(),
        page,
        total,
        items,
        folders,
    })
}

/// A `/forum` page: `list` of comments with their `replys`, `total`.
// Spec §6.2.3, §2.5 (`JmAlbumCommentPage`).
pub(crate) fn comments(v: &Value, page: u32) -> Result<CommentPage, MapError> {
    require_object(v)?;
    Ok(CommentPage {
        page,
        total: uint(v, "total"),
        comments: comment_list(v, "list"),
    })
}

fn comment_list(v: &Value, key: &str) -> Vec<Comment> {
    match v.get(key) {
        Some(Value::Array(items)) => items.iter().filter_map(comment).collect(),
        _ => Vec::new(),
    }
}

/// One comment; `None` without an id (`CID`). Nesting is bounded by the JSON parser's
/// recursion limit.
// Spec §2.5 (`JmAlbumComment` fields).
fn comment(v: &Value) -> Option<Comment> {
    Some(Comment {
        id: uint(v, "CID")?,
        album_id: id_of(v, "AID").filter(|a| a.get() != 0),
        user_id: uint(v, "UID").filter(|u| *u != 0),
        // `'0'` marks a top-level comment.
        parent_id: uint(v, "parent_CID").filter(|p| *p != 0),
        username: text(v, "username").unwrap_or_default(),
        nickname: text(v, "nickname").unwrap_or_default(),
        content: html_to_text(&text(v, "content").unwrap_or_default()),
        spoiler: spoiler(v),
        created_at: text(v, "addtime").unwrap_or_default(),
        likes: uint(v, "likes"),
        replies: comment_list(v, "replys"),
    })
}

/// The Python package's rule: `is_spoiler` when present (a boolean as is, else `1`, `2` or
/// `true`), otherwise `spoiler` equal to `2`.
// Spec §2.5.
fn spoiler(v: &Value) -> bool {
    match v.get("is_spoiler") {
        Some(Value::Bool(b)) => *b,
        Some(_) => text(v, "is_spoiler")
            .is_some_and(|s| matches!(s.to_lowercase().as_str(), "1" | "2" | "true")),
        None => text(v, "spoiler").is_some_and(|s| s == "2"),
    }
}

/// The `/daily` event: `daily_id`, `event_name`, and `record`, a list of weeks (or a flat
/// list) of `{date, signed, bonus}`. `today` (`YYYY-MM-DD`) decides `signed_today`.
// Spec §6.2.3, Appendix A.
pub(crate) fn daily(v: &Value, today: &str) -> Result<DailyEvent, MapError> {
    require_object(v)?;
    let daily_id = text(v, "daily_id")
        .filter(|d| !d.trim().is_empty())
        .ok_or_else(|| MapError::Malformed("the check-in event has no `daily_id`".into()))?;
    let mut days = Vec::new();
    if let Some(Value::Array(record)) = v.get("record") {
        for entry in record {
            match entry {
                Value::Array(week) => days.extend(week.iter().filter_map(daily_day)),
                day => days.extend(daily_day(day)),
            }
        }
    }
    let signed_today = days.iter().any(|d| d.signed && d.date == today);
    Ok(DailyEvent {
        daily_id,
        name: text(v, "event_name").unwrap_or_default(),
        signed_today,
        days,
    })
}

fn daily_day(v: &Value) -> Option<DailyDay> {
    Some(DailyDay {
        date: text(v, "date")?,
        signed: boolean(v, "signed"),
        // The spec gives no type: text as sent, and a `false` flag as no bonus.
        bonus: match v.get("bonus") {
            Some(Value::Bool(false) | Value::Null) | None => String::new(),
            _ => text(v, "bonus").unwrap_or_default(),
        },
    })
}

/// The message of a `/daily_chk` answer (`msg`).
// Appendix A.
pub(crate) fn check_in_message(v: &Value) -> String {
    text(v, "msg").unwrap_or_default().trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn comment_html_becomes_text() {
        assert_eq!(
            html_to_text(" line one<br>line two<BR/>3 "),
            "line one\nline two\n3"
        );
        assert_eq!(html_to_text("Nice &amp; <i>clean</i>"), "Nice & clean");
        assert_eq!(
            html_to_text("&lt;b&gt;not bold&lt;/b&gt;"),
            "<b>not bold</b>"
        );
        assert_eq!(html_to_text("&eacute;t&eacute; &#x1F600;"), "été 😀");
    }

    #[test]
    fn comments_with_replies_and_spoilers() {
        let v = json!({"total": "21", "list": [
            {"CID": "5", "AID": "100", "UID": 7, "parent_CID": "0", "username": "u",
             "nickname": "N", "content": "a<br>b", "spoiler": "2", "addtime": "2024-01-01 00:00:00",
             "likes": "3", "replys": [
                {"CID": 6, "AID": "100", "parent_CID": "5", "content": "r", "spoiler": "0"}
             ]},
            {"CID": "8", "is_spoiler": false, "spoiler": "2"},
            {"CID": "9", "is_spoiler": "true"},
            {"content": "no id, skipped"}
        ]});
        let page = comments(&v, 3).unwrap();
        assert_eq!(
            (page.page, page.total, page.page_count()),
            (3, Some(21), Some(3))
        );
        assert_eq!(page.comments.len(), 3);
        let c = &page.comments[0];
        assert_eq!(
            (c.id, c.album_id.map(jmcomic_model::JmId::get), c.user_id),
            (5, Some(100), Some(7))
        );
        assert_eq!(
            (c.parent_id, c.content.as_str(), c.spoiler),
            (None, "a\nb", true)
        );
        assert_eq!((c.likes, c.author()), (Some(3), "N"));
        assert_eq!(c.replies[0].parent_id, Some(5));
        assert!(!c.replies[0].spoiler);
        assert!(!page.comments[1].spoiler, "is_spoiler wins over spoiler");
        assert!(page.comments[2].spoiler);
        assert_eq!(page.comment_count(), 4);
    }

    #[test]
    fn login_needs_the_session_value() {
        let v = json!({"uid": "10001", "username": "me", "s": "abc", "coin": "100",
                       "album_favorites": 2, "album_favorites_max": 400, "level_name": "L"});
        let (user, s) = login(&v, "asked").unwrap();
        assert_eq!(s, "abc");
        assert_eq!(user.uid, Some(10_001));
        assert_eq!(user.username, "me");
        assert_eq!(
            (user.coin, user.favorites, user.favorites_max),
            (Some(100), Some(2), Some(400))
        );
        assert!(matches!(
            login(&json!({"uid": 1}), "x"),
            Err(MapError::Malformed(_))
        ));
        let (user, _) = login(&json!({"s": "x"}), "asked").unwrap();
        assert_eq!((user.username.as_str(), user.uid), ("asked", None));
    }

    #[test]
    fn favourites_and_folders() {
        let v = json!({"list": [{"id": "1", "name": "a", "latest_ep": "x"}, {"name": "no id"}],
                       "folder_list": [{"FID": "3", "UID": "1", "name": "later"}, {"name": "?"}],
                       "total": "41", "count": "50"});
        let page = favorites(&v, "3", 2).unwrap();
        assert_eq!(
            (page.total, page.page_count(), page.items.len()),
            (41, 3, 1)
        );
        assert_eq!(page.folders.len(), 1);
        assert_eq!(
            (page.folders[0].id.as_str(), page.folders[0].name.as_str()),
            ("3", "later")
        );
        assert_eq!((page.folder.as_str(), page.page), ("3", 2));
    }

    #[test]
    fn daily_record_weeks_and_today() {
        let v = json!({"daily_id": 34, "event_name": "E", "record": [
            [{"date": "2025-01-01", "signed": true, "bonus": false}],
            [{"date": "2025-01-02", "signed": false, "bonus": true},
             {"date": "2025-01-03", "signed": "1", "bonus": "Jcoin:50"}]
        ]});
        let e = daily(&v, "2025-01-03").unwrap();
        assert_eq!(
            (e.daily_id.as_str(), e.name.as_str(), e.days.len()),
            ("34", "E", 3)
        );
        assert!(e.signed_today);
        assert_eq!(e.days[0].bonus, "");
        assert_eq!(e.days[1].bonus, "true");
        assert_eq!(e.days[2].bonus, "Jcoin:50");
        assert!(!daily(&v, "2025-01-02").unwrap().signed_today);
        assert!(daily(&json!({"record": []}), "x").is_err());
    }
}
