//! The page patterns of spec §6.3.5, copied from the spec text (with `\|` read as `|`) and
//! applied the way the spec says the Python parser applies them: one pattern → group 1 of
//! the first match (a missing match is an error unless a default is given); a list →
//! every pattern but the last narrows the text to its whole match, the last one finds all.
//! Captured text is entity-decoded afterwards (see `support::unescape`).

use regex::Regex;

use crate::support::unescape;

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"))
}

/// Group 1 of the first match, or a panic naming the field (the spec's
/// `RegularNotMatchException`).
pub fn one(field: &str, pattern: &str, text: &str) -> String {
    re(pattern)
        .captures(text)
        .and_then(|c| c.get(1))
        .map_or_else(
            || panic!("{field}: no match for {pattern}"),
            |m| m.as_str().to_owned(),
        )
}

/// Group 1 of the first match, if any.
pub fn maybe(pattern: &str, text: &str) -> Option<String> {
    re(pattern)
        .captures(text)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str().to_owned())
}

/// Every match's groups 1.. .
pub fn all(pattern: &str, text: &str) -> Vec<Vec<String>> {
    re(pattern)
        .captures_iter(text)
        .map(|c| {
            (1..c.len())
                .map(|i| c.get(i).map_or(String::new(), |m| m.as_str().to_owned()))
                .collect()
        })
        .collect()
}

/// The spec's "section then links": narrow to the section's whole match, then the text of
/// every link, entity-decoded.
fn section_links(field: &str, section: &str, text: &str) -> Vec<String> {
    let narrowed = re(section)
        .find(text)
        .unwrap_or_else(|| panic!("{field}: no section {section}"))
        .as_str()
        .to_owned();
    all(r"<a[^>]*?>\s*(\S*)\s*</a>", &narrowed)
        .into_iter()
        .map(|g| unescape(&g[0]))
        .collect()
}

/// An album page as the spec's parser reads it.
#[derive(Debug)]
pub struct HtmlAlbum {
    pub album_id: String,
    pub scramble_id: String,
    pub name: String,
    pub description: String,
    pub episodes: Vec<(String, String, String)>,
    pub page_count: String,
    pub pub_date: String,
    pub update_date: String,
    pub works: Vec<String>,
    pub actors: Vec<String>,
    pub tags: Vec<String>,
    pub authors: Vec<String>,
    pub likes: String,
    pub views: String,
    pub comment_count: String,
    pub is_favorite: bool,
    pub liked: bool,
}

pub fn album(page: &str) -> HtmlAlbum {
    // Spec §6.3.5: a Base64-wrapped page is decoded first.
    let decoded;
    let html = match maybe(r#"const html = base64DecodeUtf8\("(.*?)"\)"#, page) {
        Some(b64) => {
            use base64::Engine as _;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .expect("base64");
            decoded = String::from_utf8(bytes).expect("utf-8");
            decoded.as_str()
        }
        None => page,
    };
    HtmlAlbum {
        album_id: one(
            "album_id",
            r#"<span class="number">.*?：JM(\d+)</span>"#,
            html,
        ),
        scramble_id: one("scramble_id", r"var scramble_id = (\d+);", html),
        name: unescape(&one("name", r#"id="book-name"[^>]*?>([\s\S]*?)<"#, html)),
        description: unescape(&one("description", r"[叙|敘]述：([\s\S]*?)</h2>", html)),
        episodes: all(
            r#"data-album="(\d+)"[^>]*>[\s\S]*?第(\d+)[话話]([\s\S]*?)<[\s\S]*?>"#,
            html,
        )
        .into_iter()
        .map(|g| (g[0].clone(), g[1].clone(), unescape(&g[2])))
        .collect(),
        page_count: one(
            "page_count",
            r#"<span class="pagecount">.*?:(\d+)</span>"#,
            html,
        ),
        pub_date: one("pub_date", r">上架日期 : (.*?)</span>", html),
        update_date: one("update_date", r">更新日期 : (.*?)</span>", html),
        works: section_links(
            "works",
            r#"<span itemprop="author" data-type="works">([\s\S]*?)</span>"#,
            html,
        ),
        actors: section_links(
            "actors",
            r#"<span itemprop="author" data-type="actor">([\s\S]*?)</span>"#,
            html,
        ),
        tags: section_links(
            "tags",
            r#"<span itemprop="genre" data-type="tags">([\s\S]*?)</span>"#,
            html,
        ),
        authors: section_links(
            "authors",
            r#"<span itemprop="author" data-type="author">([\s\S]*?)</span>"#,
            html,
        ),
        likes: one("likes", r#"<span id="albim_likes_\d+">(.*?)</span>"#, html),
        views: one(
            "views",
            r"<span>(.*?)</span>\n *<span>(次觀看|观看次数|次观看次数)</span>",
            html,
        ),
        comment_count: maybe(
            r#"<div class="badge"[^>]*?id="total_video_comments">(\d+)</div>"#,
            html,
        )
        .unwrap_or_else(|| "0".to_owned()),
        // 2.7.10: the favourite button with class btn-primary and id album_favorite_N; the
        // heart after id='love_likes_N' coloured red.
        is_favorite: re(r#"class="[^"]*btn-primary[^"]*"[^>]*id="album_favorite_\d+""#)
            .is_match(html),
        liked: re(r#"id='love_likes_\d+'[^>]*>\s*<i[^>]*style="[^"]*color: red"#).is_match(html),
    }
}

/// A chapter page as the spec's parser reads it.
#[derive(Debug)]
pub struct HtmlPhoto {
    pub photo_id: String,
    pub scramble_id: String,
    pub name: String,
    pub data_original_domain: String,
    pub data_original_0: String,
    pub tags: Vec<String>,
    pub series_id: String,
    pub sort: String,
    pub page_arr: Vec<String>,
}

pub fn photo(html: &str) -> HtmlPhoto {
    let page_arr = one("page_arr", r"var page_arr = (.*?);", html);
    HtmlPhoto {
        photo_id: one(
            "photo_id",
            r#"<meta property="og:url" content=".*?/photo/(\d+)/?.*?">"#,
            html,
        ),
        scramble_id: one("scramble_id", r"var scramble_id = (\d+);", html),
        name: unescape(one("name", r"<title>([\s\S]*?)\|.*</title>", html).trim()),
        data_original_domain: one(
            "data_original_domain",
            r#"src="https://(.*?)/media/albums/blank"#,
            html,
        ),
        data_original_0: unescape(&one(
            "data_original_0",
            r#"data-original="(.*?)"[^>]*?id="album_photo[^>]*?data-page="0""#,
            html,
        )),
        tags: unescape(&one(
            "tags",
            r#"<meta name="keywords"[\s\S]*?content="(.*?)""#,
            html,
        ))
        .split(',')
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect(),
        series_id: one("series_id", r"var series_id = (\d+);", html),
        sort: one("sort", r"var sort = (\d+);", html),
        page_arr: serde_json::from_str(&page_arr).expect("page_arr is a JSON array"),
    }
}

/// One listed album: `(id, name, tags)`.
pub type Item = (u64, String, Vec<String>);

fn tags_of(text: &str) -> Vec<String> {
    all(r"<a[^>]*?>(.*?)</a>", text)
        .into_iter()
        .map(|g| unescape(&g[0]))
        .collect()
}

/// A search page: `Err("{legend}: {message}")` for the error fieldset, else the total and
/// the items.
pub fn search(html: &str) -> Result<(u64, Vec<Item>), String> {
    if let Some(c) =
        re(r"<fieldset>\n<legend>(.*?)</legend>\n<div class=.*?>\n(.*?)\n</div>\n</fieldset>")
            .captures(html)
    {
        return Err(format!("{}: {}", unescape(&c[1]), unescape(&c[2])));
    }
    let narrowed = one(
        "search container",
        r#"<div class="well well-sm">([\s\S]*)<div class="row">"#,
        html,
    );
    let total = maybe(r#"class="text-white">(\d+)</span> A漫."#, &narrowed)
        .map_or(0, |t| t.parse().expect("total"));
    let items = all(
        r#"<a href="/album/(\d+)/[\s\S]*?title="(.*?)"([\s\S]*?)<div class="title-truncate tags .*>([\s\S]*?)</div>"#,
        &narrowed,
    )
    .into_iter()
    .map(|g| (g[0].parse().expect("id"), unescape(&g[1]), tags_of(&g[3])))
    .collect();
    Ok((total, items))
}

/// A category page: the total and the items.
pub fn category(html: &str) -> (u64, Vec<Item>) {
    let total = maybe(r#"class="text-white">(\d+)</span> A漫."#, html)
        .map_or(0, |t| t.parse().expect("total"));
    let items = all(
        r#"<a href="/album/(\d+)/[^>]*>[^>]*?title="(.*?)"[^>]*>[ \n]*</a>[ \n]*<div class="label-loveicon">([\s\S]*?)<div class="clearfix">"#,
        html,
    )
    .into_iter()
    .map(|g| (g[0].parse().expect("id"), unescape(&g[1]), tags_of(&g[2])))
    .collect();
    (total, items)
}

/// `(id, name)` pairs: favourite items or folders.
pub type Named = Vec<(u64, String)>;

/// A favourites page: the total (by both the 2.7.4 and the 2.7.10 pattern, which must
/// agree), the items `(id, name)` and the folders `(FID, name)`.
pub fn favorites(html: &str) -> (u64, Named, Named) {
    let old: u64 = one("total (2.7.4)", r" : (\d+)[^/]*/\D*(\d+)", html)
        .parse()
        .expect("total");
    let new: u64 = one(
        "total (2.7.10)",
        r"(?:總數|总数)\s*:\s*(\d+)\s*/\s*(\d+)",
        html,
    )
    .parse()
    .expect("total");
    assert_eq!(old, new, "both total patterns");
    let items = all(
        r#"<div id="favorites_album_[^>]*?>[\s\S]*?<a href="/album/(\d+)/[^"]*">[\s\S]*?<div class="video-title title-truncate">([^<]*?)</div>"#,
        html,
    )
    .into_iter()
    .map(|g| (g[0].parse().expect("id"), unescape(&g[1])))
    .collect();
    let select = one(
        "folders",
        r#"<select class="user-select" name="movefolder-fid">([\s\S]*)</select>"#,
        html,
    );
    let folders = all(r#"<option value="(\d+)">([^<]*?)</option>"#, &select)
        .into_iter()
        .map(|g| (g[0].parse().expect("fid"), unescape(&g[1])))
        .collect();
    (new, items, folders)
}
