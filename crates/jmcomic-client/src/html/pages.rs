//! The web pages turned into model entities: album, chapter (photo), search and category
//! listings, favourites, and the home page's check-in id.
//!
//! Pages are parsed into a DOM (html5ever, as a browser does: character references decoded,
//! whitespace and attribute order irrelevant) and each value is found by what marks it on
//! the site: the ids, classes and attributes, or the label written next to it, which the
//! Python package's regexes anchor on too. Script variables (`var scramble_id = N;`) are read from
//! the `<script>` elements only, so page text cannot pose as one.
//!
//! Required, since the entity means nothing without them: an album's id and title, a
//! chapter's page list, a listing's result list. Everything else falls back to a default
//! (an empty list, zero, `false`), as the API mapping does.

// Spec §6.3.5, W14.

use base64::Engine as _;
use jmcomic_model::{Album, Episode, FavoriteFolder, FavoritePage, JmId, SearchItem, SearchPage};
use regex::Regex;
use scraper::{ElementRef, Html, Selector};

use super::FromStatic;
use serde_json::Value;
use tracing::debug;

use crate::domain::Domain;
use crate::error::{Error, Result};

statics! {
    // Album page (spec §6.3.5 album table).
    NUMBER: Selector = "span.number";
    JM_NUMBER: Regex = r"(?i)JM\s*(\d+)";
    OG_URL: Selector = r#"meta[property="og:url"]"#;
    ALBUM_IN_URL: Regex = r"/album/(\d+)";
    PHOTO_IN_URL: Regex = r"/photo/(\d+)";
    BOOK_NAME: Selector = "#book-name";
    H2: Selector = "h2";
    DESCRIPTION_LABEL: Regex = r"^\s*[叙敘]述\s*[:：]";
    DATA_ALBUM: Selector = "[data-album]";
    CHAPTER_MARK: Regex = r"第\s*(\d+)\s*[话話]";
    PAGECOUNT: Selector = "span.pagecount";
    COLON_NUMBER: Regex = r"[:：]\s*(\d+)";
    NUMBER_ANYWHERE: Regex = r"(\d+)";
    SPAN: Selector = "span";
    PUB_DATE: Regex = r"上架日期\s*[:：]\s*(\S+)";
    UPDATE_DATE: Regex = r"更新日期\s*[:：]\s*(\S+)";
    WORKS: Selector = r#"[data-type="works"] a"#;
    ACTORS: Selector = r#"[data-type="actor"] a"#;
    TAGS: Selector = r#"[data-type="tags"] a"#;
    AUTHORS: Selector = r#"[data-type="author"] a"#;
    LIKES: Selector = r#"[id^="albim_likes_"], [id^="album_likes_"]"#;
    VIEWS_LABEL: Regex = r"^\s*(次觀看|观看次数|次观看次数|次观看)\s*$";
    COMMENT_COUNT: Selector = "#total_video_comments";
    FAVORITE_BUTTON: Selector = r#"[id^="album_favorite_"]"#;
    LIKE_ICON: Selector = r#"[id^="love_likes_"] i"#;
    BASE64_PAGE: Regex = r#"base64DecodeUtf8\(\s*["']([A-Za-z0-9+/=\s]*)["']\s*\)"#;
    // Photo page (spec §6.3.5 photo table).
    SCRIPT: Selector = "script";
    SCRAMBLE_VAR: Regex = r"\bvar\s+scramble_id\s*=\s*(\d+)";
    SERIES_VAR: Regex = r"\bvar\s+series_id\s*=\s*(\d+)";
    SORT_VAR: Regex = r"\bvar\s+sort\s*=\s*(\d+)";
    PAGE_ARR_VAR: Regex = r"\bvar\s+page_arr\s*=\s*";
    TITLE_RAW: Regex = r"(?is)<title[^>]*>(.*?)</title>";
    KEYWORDS: Selector = r#"meta[name="keywords"]"#;
    DATA_ORIGINAL: Selector = "img[data-original]";
    BLANK_IMG: Selector = r#"img[src*="/media/albums/blank"]"#;
    // Listings (search, categories) and favourites.
    FIELDSET: Selector = "fieldset";
    LEGEND: Selector = "legend";
    WELL: Selector = "div.well";
    TEXT_WHITE: Selector = ".text-white";
    TOTAL_TEXT: Regex = r"(\d+)\s*A漫";
    ALBUM_LINK: Selector = r#"a[href*="/album/"]"#;
    TITLED: Selector = "[title]";
    IMG: Selector = "img";
    ITEM_TAGS: Selector = ".tags a";
    VIDEO_TITLE: Selector = ".video-title";
    FAVORITE_ITEM: Selector = r#"[id^="favorites_album_"]"#;
    FAVORITE_TOTAL: Regex = r"(?:總數|总数)\s*[:：]\s*(\d+)\s*/\s*(\d+)";
    FOLDER_SELECT: Selector = r#"select[name="movefolder-fid"]"#;
    FOLDER_OPTION: Selector = r#"select[name="movefolder-fid"] option"#;
    DAILY_ID: Selector = "[data-dailyid]";
}

/// A required part the page does not have.
fn missing(url: &str, what: &str) -> Error {
    Error::BadResponse {
        url: url.to_owned(),
        reason: format!("the page has no {what}; the site's markup may have changed"),
    }
}

/// The element's text, trimmed.
fn text(el: ElementRef<'_>) -> String {
    el.text().collect::<String>().trim().to_owned()
}

fn first_number(re: &Regex, text: &str) -> Option<u64> {
    re.captures(text)?.get(1)?.as_str().parse().ok()
}

/// The page inside `const html = base64DecodeUtf8("…")`, when the site sends it wrapped.
// Spec §6.3.5 (album page, first step).
fn unwrap_base64(page: &str, url: &str) -> Result<Option<String>> {
    let Some(b64) = BASE64_PAGE.captures(page).and_then(|c| c.get(1)) else {
        return Ok(None);
    };
    let compact: String = b64
        .as_str()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let bytes = engine.decode(compact).map_err(|e| Error::BadResponse {
        url: url.to_owned(),
        reason: format!("the page wraps itself in Base64 that does not decode: {e}"),
    })?;
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| Error::BadResponse {
            url: url.to_owned(),
            reason: "the page wraps itself in Base64 that is not UTF-8 text".to_owned(),
        })
}

/// An album page (`/album/{id}`), plain or Base64-wrapped.
// Spec §6.3.5 (album table; 2.7.10's `is_favorite` and `liked`).
pub(crate) fn album(page: &str, url: &str) -> Result<Album> {
    let unwrapped = unwrap_base64(page, url)?;
    let doc = Html::parse_document(unwrapped.as_deref().unwrap_or(page));
    let id = doc
        .select(&NUMBER)
        .find_map(|e| first_number(&JM_NUMBER, &text(e)))
        .or_else(|| og_url_id(&doc, &ALBUM_IN_URL))
        .map(JmId::new)
        .ok_or_else(|| missing(url, "album id (`<span class=\"number\">…JM<id></span>`)"))?;
    let name = doc
        .select(&BOOK_NAME)
        .next()
        .map(text)
        .ok_or_else(|| missing(url, "album title (`id=\"book-name\"`)"))?;
    let description = doc
        .select(&H2)
        .find_map(|e| {
            let t = e.text().collect::<String>();
            let label = DESCRIPTION_LABEL.find(&t)?;
            Some(t[label.end()..].trim().to_owned())
        })
        .unwrap_or_default();
    let page_count = doc
        .select(&PAGECOUNT)
        .find_map(|e| {
            let t = text(e);
            first_number(&COLON_NUMBER, &t).or_else(|| first_number(&NUMBER_ANYWHERE, &t))
        })
        .and_then(|n| u32::try_from(n).ok());
    let labelled = |re: &Regex| {
        doc.select(&SPAN).find_map(|e| {
            let t = e.text().collect::<String>();
            re.captures(&t)
                .and_then(|c| c.get(1))
                .map(|m| m.as_str().to_owned())
        })
    };
    let pub_date = labelled(&PUB_DATE);
    let update_date = labelled(&UPDATE_DATE);
    let links = |sel: &Selector| -> Vec<String> {
        doc.select(sel)
            .map(text)
            .filter(|t| !t.is_empty())
            .collect()
    };
    let likes = doc.select(&LIKES).next().map(text).unwrap_or_default();
    let comment_count = doc
        .select(&COMMENT_COUNT)
        .find_map(|e| first_number(&NUMBER_ANYWHERE, &text(e)))
        .unwrap_or(0);
    // The favourite button is `btn-primary` when the album is a favourite (2.7.10).
    let is_favorite = doc
        .select(&FAVORITE_BUTTON)
        .any(|e| e.value().classes().any(|c| c == "btn-primary"));
    // The heart is red when the user liked the album (2.7.10).
    let liked = doc.select(&LIKE_ICON).any(|e| {
        e.attr("style").is_some_and(|s| {
            let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
            compact.to_ascii_lowercase().contains("color:red")
        })
    });
    let episodes = Album::normalize_episodes(id, &name, episodes(&doc, url));
    Ok(Album {
        id,
        authors: links(&AUTHORS),
        tags: links(&TAGS),
        works: links(&WORKS),
        actors: links(&ACTORS),
        description,
        page_count,
        pub_date,
        update_date,
        likes,
        views: views(&doc).unwrap_or_default(),
        comment_count,
        episodes,
        // The album page lists no related albums the way the API does.
        related: Vec::new(),
        liked,
        is_favorite,
        name,
    })
}

fn og_url_id(doc: &Html, re: &Regex) -> Option<u64> {
    doc.select(&OG_URL)
        .find_map(|e| first_number(re, e.attr("content")?))
}

/// The chapter list: each element with `data-album="<chapter id>"` and the text
/// `第N話 <title>` (the title is the rest of that text, up to the next tag).
fn episodes(doc: &Html, url: &str) -> Vec<Episode> {
    let mut out = Vec::new();
    for e in doc.select(&DATA_ALBUM) {
        let Some(chapter_id) = e
            .attr("data-album")
            .and_then(|v| v.trim().parse::<u64>().ok())
        else {
            continue;
        };
        let entry = e.text().find_map(|t| {
            let c = CHAPTER_MARK.captures(t)?;
            let sort = c.get(1)?.as_str().parse::<u32>().ok()?;
            let end = c.get(0)?.end();
            Some((sort, t[end..].trim().to_owned()))
        });
        if let Some((sort, title)) = entry {
            out.push(Episode {
                chapter_id: JmId::new(chapter_id),
                sort,
                title,
            });
        } else {
            debug!(%url, chapter = chapter_id, "a chapter link without `第N話`, skipped");
        }
    }
    out
}

/// The views: the element before the `次觀看` label.
fn views(doc: &Html) -> Option<String> {
    doc.select(&SPAN).find_map(|label| {
        if !VIEWS_LABEL.is_match(&label.text().collect::<String>()) {
            return None;
        }
        label.prev_siblings().find_map(ElementRef::wrap).map(text)
    })
}

/// What a chapter page tells.
#[derive(Debug)]
pub(crate) struct PhotoPage {
    /// The chapter, its scramble id not set (see `scramble`).
    pub(crate) chapter: jmcomic_model::Chapter,
    /// `var scramble_id = N;`, when the page states it.
    pub(crate) scramble: Option<u64>,
    /// The CDN host the page's images come from.
    pub(crate) cdn: Option<Domain>,
}

/// A chapter page (`/photo/{id}`); `asked` is the id requested (the page's own `og:url`
/// wins when it has one).
// Spec §6.3.5 (photo table).
pub(crate) fn photo(page: &str, url: &str, asked: JmId) -> Result<PhotoPage> {
    let doc = Html::parse_document(page);
    let scripts: String = doc
        .select(&SCRIPT)
        .map(|s| s.text().collect::<String>())
        .collect::<Vec<_>>()
        .join("\n");
    let id = og_url_id(&doc, &PHOTO_IN_URL).map_or(asked, JmId::new);
    let pages =
        page_arr(&scripts).ok_or_else(|| missing(url, "page list (`var page_arr = [...]`)"))?;
    let album_id = first_number(&SERIES_VAR, &scripts)
        .filter(|s| *s != 0)
        .map_or(id, JmId::new);
    let sort = first_number(&SORT_VAR, &scripts)
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(1);
    let tags = doc
        .select(&KEYWORDS)
        .next()
        .and_then(|m| m.attr("content"))
        .map(|c| {
            c.split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    Ok(PhotoPage {
        chapter: jmcomic_model::Chapter {
            id,
            album_id,
            name: chapter_name(page),
            sort,
            tags,
            pages: Some(pages),
            scramble_id: None,
        },
        scramble: first_number(&SCRAMBLE_VAR, &scripts),
        cdn: cdn_domain(&doc),
    })
}

/// `var page_arr = [...]`: the JSON array is read as JSON (so a `;` in a file name does not
/// end it). Every entry is kept, as the API mapping does: names that cannot be fetched are
/// refused per page later.
fn page_arr(scripts: &str) -> Option<Vec<String>> {
    let start = PAGE_ARR_VAR.find(scripts)?.end();
    let value = serde_json::Deserializer::from_str(&scripts[start..])
        .into_iter::<Value>()
        .next()?
        .ok()?;
    let Value::Array(items) = value else {
        return None;
    };
    Some(
        items
            .iter()
            .filter_map(|i| match i {
                Value::String(s) => Some(s.trim().to_owned()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
    )
}

/// The chapter's name: the `<title>` up to its first `|` (the site's separator before its
/// own name; a `|` in a title is written `&#124;`), character references decoded.
fn chapter_name(page: &str) -> String {
    let Some(raw) = TITLE_RAW.captures(page).and_then(|c| c.get(1)) else {
        return String::new();
    };
    let before = raw.as_str().split('|').next().unwrap_or_default();
    decode_text(before).trim().to_owned()
}

/// Text with character references, decoded as the HTML parser decodes element text.
fn decode_text(raw: &str) -> String {
    Html::parse_fragment(raw)
        .root_element()
        .text()
        .collect::<String>()
}

/// The CDN host of the page's images: the origin of the first `data-original` URL (or of
/// the blank placeholder image, the spec's anchor).
fn cdn_domain(doc: &Html) -> Option<Domain> {
    let origin = |u: &str| -> Option<Domain> {
        let parsed = url::Url::parse(u.trim()).ok()?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return None;
        }
        Domain::parse(&parsed.origin().ascii_serialization()).ok()
    };
    doc.select(&DATA_ORIGINAL)
        .filter_map(|i| i.attr("data-original"))
        .filter(|u| u.contains("/media/photos/"))
        .find_map(origin)
        .or_else(|| {
            doc.select(&BLANK_IMG)
                .filter_map(|i| i.attr("src"))
                .find_map(origin)
        })
}

/// A search (`/search/photos…`) or category (`/albums…`) page. The search's error box
/// (a `<fieldset>` with a `<legend>`, e.g. "keyword too short") is
/// [`Error::InvalidQuery`].
// Spec §6.3.5 (search page, category page).
pub(crate) fn listing(page: &str, url: &str, query: &str, page_no: u32) -> Result<SearchPage> {
    let doc = Html::parse_document(page);
    if let Some((legend, message)) = doc.select(&FIELDSET).find_map(|f| {
        let legend = f.select(&LEGEND).next()?;
        let legend_text = text(legend);
        let all = text(f);
        let message = all
            .strip_prefix(legend_text.as_str())
            .unwrap_or(&all)
            .trim()
            .to_owned();
        Some((legend_text, message))
    }) {
        return Err(Error::InvalidQuery {
            url: url.to_owned(),
            message: format!(
                "{legend}: {message} (the site's words; change the search text, a longer or more specific keyword)"
            ),
        });
    }
    let well = doc.select(&WELL).next();
    let scope = well.unwrap_or_else(|| doc.root_element());
    let items = list_items(scope);
    let total = scope
        .select(&TEXT_WHITE)
        .find_map(|e| text(e).parse::<u64>().ok())
        .or_else(|| first_number(&TOTAL_TEXT, &scope.text().collect::<String>()));
    let total = match total {
        Some(t) => t,
        None if well.is_none() && items.is_empty() => {
            return Err(missing(
                url,
                "result list (`<div class=\"well well-sm\">` with `N A漫.`)",
            ));
        }
        None => {
            debug!(%url, "a result page without its total; counting what it shows");
            u64::from(page_no.saturating_sub(1)) * SearchPage::PAGE_SIZE + items.len() as u64
        }
    };
    Ok(SearchPage {
        query: query.to_owned(),
        total,
        page: page_no,
        items,
        redirect: None,
    })
}

/// The albums a listing links to, in order, each once: name from the link's `title`
/// (or its image's), tags from the `.tags` links of the item around it.
fn list_items(scope: ElementRef<'_>) -> Vec<SearchItem> {
    let mut items: Vec<SearchItem> = Vec::new();
    for link in scope.select(&ALBUM_LINK) {
        let Some(id) = link
            .attr("href")
            .and_then(|h| first_number(&ALBUM_IN_URL, h))
        else {
            continue;
        };
        let id = JmId::new(id);
        let name = link_name(link);
        if let Some(existing) = items.iter_mut().find(|i| i.id == id) {
            if existing.name.is_empty() {
                existing.name = name;
            }
            continue;
        }
        items.push(SearchItem {
            id,
            name,
            // Listings do not show authors.
            author: String::new(),
            tags: item_tags(link, id),
        });
    }
    items
}

/// An item's name: the link's (or its image's) `title` as the site wrote it (the API's
/// listings do not trim theirs either), else the image's `alt` or the link's text.
fn link_name(link: ElementRef<'_>) -> String {
    let titled = link
        .attr("title")
        .or_else(|| link.select(&TITLED).find_map(|e| e.attr("title")));
    if let Some(title) = titled.filter(|t| !t.trim().is_empty()) {
        return title.to_owned();
    }
    link.select(&IMG)
        .find_map(|e| e.attr("alt"))
        .map_or_else(|| text(link), |alt| alt.trim().to_owned())
}

/// Tags of the item `link` belongs to: the nearest enclosing element that has `.tags`
/// links and links to no other album.
fn item_tags(link: ElementRef<'_>, id: JmId) -> Vec<String> {
    for ancestor in link.ancestors().filter_map(ElementRef::wrap) {
        let other_album = ancestor.select(&ALBUM_LINK).any(|a| {
            a.attr("href")
                .and_then(|h| first_number(&ALBUM_IN_URL, h))
                .is_some_and(|n| n != id.get())
        });
        if other_album {
            return Vec::new();
        }
        let tags: Vec<String> = ancestor
            .select(&ITEM_TAGS)
            .map(text)
            .filter(|t| !t.is_empty())
            .collect();
        if !tags.is_empty() {
            return tags;
        }
    }
    Vec::new()
}

/// A favourites page (`/user/{name}/favorite/albums`).
// Spec §6.3.5 (favourite page, 2.7.10's total).
pub(crate) fn favorites(page: &str, url: &str, folder: &str, page_no: u32) -> Result<FavoritePage> {
    let doc = Html::parse_document(page);
    let mut items: Vec<SearchItem> = Vec::new();
    for item in doc.select(&FAVORITE_ITEM) {
        let id = item
            .select(&ALBUM_LINK)
            .find_map(|a| first_number(&ALBUM_IN_URL, a.attr("href")?))
            .or_else(|| {
                item.value()
                    .id()?
                    .strip_prefix("favorites_album_")?
                    .parse()
                    .ok()
            });
        let Some(id) = id.map(JmId::new) else {
            continue;
        };
        if items.iter().any(|i| i.id == id) {
            continue;
        }
        let name = item
            .select(&VIDEO_TITLE)
            .next()
            .map(text)
            .filter(|n| !n.is_empty())
            .or_else(|| item.select(&ALBUM_LINK).next().map(link_name))
            .unwrap_or_default();
        items.push(SearchItem {
            id,
            name,
            author: String::new(),
            tags: Vec::new(),
        });
    }
    let mut folders: Vec<FavoriteFolder> = Vec::new();
    for option in doc.select(&FOLDER_OPTION) {
        let Some(fid) = option
            .attr("value")
            .map(str::trim)
            .filter(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit()))
        else {
            continue;
        };
        if !folders.iter().any(|f| f.id == fid) {
            folders.push(FavoriteFolder {
                id: fid.to_owned(),
                name: text(option),
            });
        }
    }
    let total = match first_number(
        &FAVORITE_TOTAL,
        &doc.root_element().text().collect::<String>(),
    ) {
        Some(total) => total,
        None if items.is_empty() && doc.select(&FOLDER_SELECT).next().is_none() => {
            return Err(missing(
                url,
                "favourites list (`總數 : N / M`, the folder list)",
            ));
        }
        None => {
            debug!(%url, "a favourites page without `總數 : N / M`; counting what it shows");
            u64::from(page_no.saturating_sub(1)) * FavoritePage::PAGE_SIZE + items.len() as u64
        }
    };
    Ok(FavoritePage {
        folder: folder.to_owned(),
        page: page_no,
        total,
        items,
        folders,
    })
}

/// The check-in event's id on the home page (`data-dailyid="N"`, 2.7.10).
// Spec Appendix A.
pub(crate) fn daily_id(page: &str, url: &str) -> Result<String> {
    let doc = Html::parse_document(page);
    doc.select(&DAILY_ID)
        .filter_map(|e| e.attr("data-dailyid"))
        .map(str::trim)
        .find(|v| !v.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| missing(url, "check-in event (`data-dailyid`)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "http://h/album/123";

    /// An album page written differently from the emulator's: attributes reordered,
    /// single quotes, half-width colons, extra whitespace and references.
    const ODD_ALBUM: &str = "<html><head><title>x</title></head><body>\n\
        <h1 id='book-name' class=\"book-name\">\n  Tom &amp; Jerry &#124; 1  \n</h1>\n\
        <span class='number'> 禁漫車 : JM 123 </span>\n\
        <span data-type=\"works\" itemprop=\"author\">作品:<a href=#> W&#32;1 </a><a></a></span>\n\
        <span data-type=\"author\" itemprop=\"author\"><a class=x>A</a>\n<a>B</a></span>\n\
        <span data-type=\"tags\"><a>t1</a></span>\n\
        <span class=\"pagecount\">頁數 :  12</span>\n\
        <span>上架日期: 2024-01-02</span><span>更新日期：2024-02-03</span>\n\
        <h2>叙述:  say &lt;hi&gt;  </h2>\n\
        <div><span id=\"albim_likes_123\"> 5K </span><span>40K</span>\n\n<span> 次觀看 </span></div>\n\
        <a class=\"btn btn-primary\" id=\"album_favorite_123\">x</a>\n\
        <a id=\"love_likes_123\"><i style=\"font-size:1px;COLOR : Red\"></i></a>\n\
        <ul><a data-index=0 data-album=\"124\" href=\"/photo/124\"><li>第2话  Two<span>d</span></li></a>\n\
        <a data-album=\"123\"><li> 第 1 話 One &amp; only</li></a></ul>\n\
        <div id=\"total_video_comments\" class=\"badge\"> 7 </div></body></html>";

    #[test]
    fn album_pages_are_read_whatever_their_spelling() {
        let a = album(ODD_ALBUM, URL).unwrap();
        assert_eq!(a.id, JmId::new(123));
        assert_eq!(a.name, "Tom & Jerry | 1");
        assert_eq!(a.works, ["W 1"]);
        assert_eq!(a.authors, ["A", "B"]);
        assert_eq!(a.tags, ["t1"]);
        assert_eq!(a.page_count, Some(12));
        assert_eq!(a.pub_date.as_deref(), Some("2024-01-02"));
        assert_eq!(a.update_date.as_deref(), Some("2024-02-03"));
        assert_eq!(a.description, "say <hi>");
        assert_eq!((a.likes.as_str(), a.views.as_str()), ("5K", "40K"));
        assert_eq!(a.comment_count, 7);
        assert!(a.is_favorite && a.liked);
        let eps: Vec<(u64, u32, &str)> = a
            .episodes
            .iter()
            .map(|e| (e.chapter_id.get(), e.sort, e.title.as_str()))
            .collect();
        assert_eq!(eps, [(123, 1, "One & only"), (124, 2, "Two")]);
    }

    #[test]
    fn wrapped_album_pages_are_unwrapped() {
        let b64 = base64::engine::general_purpose::STANDARD.encode(ODD_ALBUM);
        let (left, right) = b64.split_at(10);
        let page = format!("<script>const html = base64DecodeUtf8( '{left}\n{right}' );</script>");
        assert_eq!(album(&page, URL).unwrap().name, "Tom & Jerry | 1");
        let broken = "<script>base64DecodeUtf8(\"!!!\")</script>";
        assert!(album(broken, URL).is_err());
    }

    #[test]
    fn missing_parts_are_named() {
        let e = album("<html><span class=number>JM5</span></html>", URL).unwrap_err();
        assert!(
            e.to_string().contains("book-name") && e.to_string().contains(URL),
            "{e}"
        );
        let a = album(
            "<h1 id=book-name>T</h1><meta property=og:url content=\"https://x/album/9/\">",
            URL,
        )
        .unwrap();
        assert_eq!((a.id.get(), a.episodes.len(), a.is_favorite), (9, 1, false));
        let e = photo("<title>x</title>", "u", JmId::new(1)).unwrap_err();
        assert!(e.to_string().contains("page_arr"), "{e}");
    }

    #[test]
    fn photo_pages() {
        let page = "<html><head><title>Ch &amp; 1 &#124; x | 禁漫天堂</title>\
            <meta content=\"a, b ,,c\" name=\"keywords\">\
            <meta property=\"og:url\" content=\"https://h/photo/77/\">\
            <script>var  scramble_id=220981 ;var series_id = 70;\nvar sort = 3;\
            var page_arr = [\"00001.webp\",\"a\\u003bb.webp\", \"<\\/x\"];</script></head>\
            <body><p>var scramble_id = 1;</p>\
            <img src=\"http://cdn:9/media/albums/blank.jpg\" data-original=\"http://cdn:9/media/photos/77/00001.webp\"></body></html>";
        let p = photo(page, "u", JmId::new(1)).unwrap();
        let c = &p.chapter;
        assert_eq!((c.id.get(), c.album_id.get(), c.sort), (77, 70, 3));
        assert_eq!(c.name, "Ch & 1 | x");
        assert_eq!(c.tags, ["a", "b", "c"]);
        assert_eq!(
            c.pages.as_deref().unwrap(),
            ["00001.webp", "a;b.webp", "</x"]
        );
        assert_eq!(p.scramble, Some(220_981));
        assert_eq!(p.cdn.unwrap().base(), "http://cdn:9");
        let single = photo(
            "<script>var series_id = 0; var page_arr = [];</script>",
            "u",
            JmId::new(5),
        )
        .unwrap();
        assert_eq!((single.chapter.album_id.get(), single.scramble), (5, None));
    }

    #[test]
    fn listings_and_their_errors() {
        let page = "<div class=\"well well-sm\"><div>結果：<span class=\"text-white\">81</span> A漫.</div>\
            <div class=item><a href=\"/album/5/x\"><img title=\"Five &amp; co\"></a><div class=\"tags\"><a>t</a><a> u </a></div></div>\
            <div class=item><a href=\"/album/6/\" title=\"Six\"></a><a href=\"/album/6/\">Six again</a></div>\
            <div class=\"row\"><a href=\"?page=2\">2</a></div></div>";
        let p = listing(page, "u", "q", 1).unwrap();
        assert_eq!(p.total, 81);
        let items: Vec<(u64, &str, Vec<String>)> = p
            .items
            .iter()
            .map(|i| (i.id.get(), i.name.as_str(), i.tags.clone()))
            .collect();
        assert_eq!(
            items,
            [
                (5, "Five & co", vec!["t".to_owned(), "u".to_owned()]),
                (6, "Six", vec![])
            ]
        );
        let e = listing(
            "<fieldset>\n<legend>搜尋錯誤</legend>\n<div class=x>\n太短\n</div>\n</fieldset>",
            "u",
            "",
            1,
        )
        .unwrap_err();
        assert!(
            matches!(e, Error::InvalidQuery { .. }) && e.to_string().contains("搜尋錯誤: 太短"),
            "{e}"
        );
        assert!(
            listing("<p>nothing</p>", "u", "", 1)
                .unwrap_err()
                .is_bad_response()
        );
    }

    #[test]
    fn favourites_pages() {
        let page = "<div>总数: 21 /400</div>\
            <select name=\"movefolder-fid\" class=\"user-select\"><option value=\"3\"> A </option><option value=\"\">x</option></select>\
            <div id=\"favorites_album_9\"><a href=\"/album/9/t\"><img alt=\"x\"></a><div class=\"video-title title-truncate\">Nine</div></div>";
        let f = favorites(page, "u", "0", 2).unwrap();
        assert_eq!((f.total, f.page, f.folder.as_str()), (21, 2, "0"));
        assert_eq!(f.items[0].id.get(), 9);
        assert_eq!(f.items[0].name, "Nine");
        assert_eq!(
            f.folders,
            [FavoriteFolder {
                id: "3".into(),
                name: "A".into()
            }]
        );
        assert!(
            favorites("<p>login first</p>", "u", "0", 1)
                .unwrap_err()
                .is_bad_response()
        );
        assert_eq!(daily_id("<a data-dailyid=\" 42 \">", "u").unwrap(), "42");
        assert!(daily_id("<a>", "u").is_err());
    }
}
