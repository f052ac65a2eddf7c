//! The comment HTML of the ajax answers (`/ajax/album_pagination`, `/ajax/forum_more`),
//! walked as a tree.
//!
//! A comment is an element with the class `timeline` and a `data-cid`; a comment inside
//! another one is a reply to it. A comment's parts are looked for inside it but outside its
//! replies: the avatar column `.timeline-left` (user id, the `/user/{name}/` link), the
//! `.timeline-username`, `.timeline-date` and `.timeline-content` elements, a `.disclose`
//! element marking a spoiler, and the album link in `.timeline-ft`.

// Spec §6.3.5 (comment HTML), §2.5 (`JmAlbumComment`).

use jmcomic_model::{Comment, JmId};
use regex::Regex;
use scraper::{ElementRef, Html, Selector};

use super::FromStatic;
use serde_json::Value;
use tracing::debug;

statics! {
    TIMELINE: Selector = ".timeline[data-cid]";
    LEFT_USER_ID: Selector = ".timeline-left [data-userid]";
    LEFT_IMG: Selector = ".timeline-left img[src]";
    LEFT_USER_LINK: Selector = r#".timeline-left a[href*="/user/"]"#;
    FOOT_LINK: Selector = ".timeline-ft a[href]";
    USERNAME: Selector = ".timeline-username";
    DATE: Selector = ".timeline-date";
    CONTENT: Selector = ".timeline-content";
    SPOILER: Selector = ".disclose";
    AVATAR_ID: Regex = r"/media/users/(\d+)\.";
    ALBUM_OR_PHOTO: Regex = r"/(?:photo|album)/(\d+)";
    USER_SEGMENT: Regex = r"/user/([^/?#]+)";
}

/// The HTML fragments of an ajax comment answer: `code` (a string), `message` (a string or
/// a list of strings).
// Spec §6.3.3 ("JSON with `code` (HTML) or `message` (list/str of HTML)").
pub(crate) fn fragments(answer: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for key in ["code", "message"] {
        match answer.get(key) {
            Some(Value::String(s)) => out.push(s.clone()),
            Some(Value::Array(items)) => {
                out.extend(items.iter().filter_map(Value::as_str).map(str::to_owned));
            }
            _ => {}
        }
    }
    out
}

/// The top-level comments of the fragments, in order, each with its replies.
pub(crate) fn parse(fragments: &[String]) -> Vec<Comment> {
    let mut out = Vec::new();
    for fragment in fragments {
        let doc = Html::parse_fragment(fragment);
        for el in doc.select(&TIMELINE) {
            if enclosing_comment(el).is_none()
                && let Some(c) = comment(el, None)
            {
                out.push(c);
            }
        }
    }
    out
}

/// The nearest comment element around `el` (not `el` itself).
fn enclosing_comment(el: ElementRef<'_>) -> Option<ElementRef<'_>> {
    el.ancestors()
        .filter_map(ElementRef::wrap)
        .find(|a| TIMELINE.matches(a))
}

/// Elements of `sel` inside comment `el` but not inside one of its replies.
fn own<'a>(el: ElementRef<'a>, sel: &'a Selector) -> impl Iterator<Item = ElementRef<'a>> + 'a {
    el.select(sel)
        .filter(move |d| enclosing_comment(*d).is_some_and(|c| c.id() == el.id()))
}

fn own_text(el: ElementRef<'_>, sel: &Selector) -> String {
    own(el, sel)
        .next()
        .map(|e| e.text().collect::<String>().trim().to_owned())
        .unwrap_or_default()
}

fn comment(el: ElementRef<'_>, parent: Option<u64>) -> Option<Comment> {
    let raw_id = el.attr("data-cid")?;
    let Ok(id) = raw_id
        .trim()
        .trim_matches(|c| c == '{' || c == '}')
        .trim()
        .parse::<u64>()
    else {
        debug!(cid = raw_id, "a comment whose id is not a number, skipped");
        return None;
    };
    let user_id = el
        .attr("data-userid")
        .and_then(|v| v.trim().parse().ok())
        .or_else(|| own(el, &LEFT_USER_ID).find_map(|e| e.attr("data-userid")?.trim().parse().ok()))
        .or_else(|| {
            own(el, &LEFT_IMG).find_map(|e| {
                AVATAR_ID
                    .captures(e.attr("src")?)?
                    .get(1)?
                    .as_str()
                    .parse()
                    .ok()
            })
        });
    let username = own(el, &LEFT_USER_LINK)
        .find_map(|a| {
            let segment = USER_SEGMENT.captures(a.attr("href")?)?.get(1)?.as_str();
            Some(
                percent_encoding::percent_decode_str(segment)
                    .decode_utf8_lossy()
                    .into_owned(),
            )
        })
        .unwrap_or_default();
    let album_id = own(el, &FOOT_LINK).find_map(|a| {
        ALBUM_OR_PHOTO
            .captures(a.attr("href")?)?
            .get(1)?
            .as_str()
            .parse()
            .ok()
            .map(JmId::new)
    });
    let content = own(el, &CONTENT)
        .next()
        .map(content_text)
        .unwrap_or_default();
    let replies = el
        .select(&TIMELINE)
        .filter(|r| enclosing_comment(*r).is_some_and(|c| c.id() == el.id()))
        .filter_map(|r| comment(r, Some(id)))
        .collect();
    Some(Comment {
        id,
        album_id,
        user_id,
        parent_id: parent,
        username,
        nickname: own_text(el, &USERNAME),
        content,
        spoiler: own(el, &SPOILER).next().is_some(),
        created_at: own_text(el, &DATE),
        // The web pages do not show likes.
        likes: None,
        replies,
    })
}

/// The text of a comment's content: its text with `<br>` as a line break, trimmed.
fn content_text(el: ElementRef<'_>) -> String {
    let mut out = String::new();
    for node in el.descendants() {
        match node.value() {
            scraper::Node::Text(t) => out.push_str(t),
            scraper::Node::Element(e) if e.name() == "br" => out.push('\n'),
            _ => {}
        }
    }
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_comments_and_their_parts() {
        // Replies nested at two levels; a reply's parts must not leak into its parent.
        let html = "<div class=\"timeline x\" data-cid=\"{10}\">\
            <div class=\"timeline-left\"><a href=\"/user/%E8%AE%80%E8%80%85/x\"><img src=\"https://c/media/users/55.jpg\"></a></div>\
            <div class=\"timeline-username\"> Nick </div><div class=\"timeline-date\">2024-01-01 00:00:00</div>\
            <div class=\"timeline-content\">a &amp; b<br>c<br/>  </div>\
            <div class=\"timeline-ft\"><a href=\"/photo/77\">t</a></div>\
              <div class=\"timeline\" data-cid=\"11\" data-userid=\"66\">\
                <div class=\"timeline-left\"><a href=\"/user/bob/\">b</a></div>\
                <div class=\"timeline-content\">reply</div><div class=\"disclose\">!</div>\
                <div class=\"timeline\" data-cid=\"12\"><div class=\"timeline-content\">deep</div></div>\
              </div>\
            </div>";
        let comments = parse(&[html.to_owned(), "<p>no comments</p>".to_owned()]);
        assert_eq!(comments.len(), 1);
        let c = &comments[0];
        assert_eq!((c.id, c.user_id, c.parent_id), (10, Some(55), None));
        assert_eq!(c.username, "讀者");
        assert_eq!(c.nickname, "Nick");
        assert_eq!(c.created_at, "2024-01-01 00:00:00");
        assert_eq!(c.content, "a & b\nc");
        assert_eq!(c.album_id, Some(JmId::new(77)));
        assert!(!c.spoiler);
        let r = &c.replies[0];
        assert_eq!((r.id, r.user_id, r.parent_id), (11, Some(66), Some(10)));
        assert_eq!(
            (r.username.as_str(), r.content.as_str(), r.spoiler),
            ("bob", "reply", true)
        );
        assert_eq!(r.album_id, None);
        assert_eq!(r.replies[0].parent_id, Some(11));
        assert_eq!(r.replies[0].content, "deep");
    }

    #[test]
    fn fragments_come_from_code_and_message() {
        let v = serde_json::json!({"err": false, "code": "<a>", "message": ["<b>", "<c>", 1]});
        assert_eq!(fragments(&v), ["<a>", "<b>", "<c>"]);
        assert!(fragments(&serde_json::json!({"err": true})).is_empty());
    }
}
