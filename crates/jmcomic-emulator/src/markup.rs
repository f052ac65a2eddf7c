//! The web site's HTML (spec §6.3.5).
//!
//! The regexes of spec §6.3.5 are facts of the real markup, so every page here is written
//! for them: the tags, attributes, full-width colons and line breaks they expect are where
//! they expect them, and nothing before the wanted element can match first (for instance
//! the views `<span>` stands alone on its line, because `<span>(.*?)</span>\n *<span>次觀看`
//! would otherwise capture across a neighbour).
//!
//! Text is HTML-escaped, and so are a few characters the patterns would trip on: `|` is
//! `&#124;` (the chapter name pattern stops at the first `|`), line breaks and tabs inside
//! attributes are `&#10;`/`&#9;` (`title="(.*?)"` does not cross lines), and whitespace in
//! the names of work/actor/tag/author links is written as `&#32;` and the like (their pattern
//! captures `\S*` only). A client that decodes entities after matching therefore gets the
//! API's values back exactly. Comment fragments are also well-formed XML (`<br />`,
//! `<img ... />`), so a strict parser reads them too.

use std::fmt::Write as _;

use base64::Engine as _;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;

use crate::accounts::Viewer;
use crate::api_user::comment_time;
use crate::catalog::{AlbumSpec, ChapterSpec};
use crate::comments::Comment;

/// Characters kept as they are in URL components (RFC 3986 unreserved).
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes a path segment or query value.
pub(crate) fn url(text: &str) -> String {
    utf8_percent_encode(text, COMPONENT).to_string()
}

fn escape_into(out: &mut String, c: char) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&#39;"),
        '|' => out.push_str("&#124;"),
        c => {
            let _ = write!(out, "&#{};", u32::from(c));
        }
    }
}

/// Text content: `& < > " ' |` and control characters other than line breaks and tabs as
/// entities.
pub(crate) fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '&' | '<' | '>' | '"' | '\'' | '|')
            || (c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
        {
            escape_into(&mut out, c);
        } else {
            out.push(c);
        }
    }
    out
}

/// An attribute value (double-quoted): as [`text`], plus every control character.
pub(crate) fn attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '&' | '<' | '>' | '"' | '\'' | '|') || c.is_control() {
            escape_into(&mut out, c);
        } else {
            out.push(c);
        }
    }
    out
}

/// The text of a work/actor/tag/author link: as [`attr`], plus all whitespace, since the
/// spec's link pattern `<a[^>]*?>\s*(\S*)\s*</a>` captures non-whitespace only.
fn link_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '&' | '<' | '>' | '"' | '\'' | '|') || c.is_control() || c.is_whitespace() {
            escape_into(&mut out, c);
        } else {
            out.push(c);
        }
    }
    out
}

/// Stored comment HTML (`<br>`) made well-formed (`<br />`).
fn comment_html(content: &str) -> String {
    content.replace("<br>", "<br />")
}

/// The slug after `/album/{id}/`: ASCII letters and digits of the title, the rest as `-`.
fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').chars().take(60).collect()
}

/// `YYYY-MM-DD` (UTC) of a unix time; the same as the API client's reading of `addtime`
/// (spec Appendix A takes the client's local date; UTC keeps both sides machine-free).
pub(crate) fn date(secs: u64) -> String {
    comment_time(secs)[..10].to_owned()
}

/// Everything a page needs besides its own data.
pub(crate) struct Ctx<'a> {
    /// The HTML domain serving the page (for `og:url`).
    pub site: &'a str,
    /// The CDN domain images and covers come from.
    pub cdn: &'a str,
    pub viewer: Option<&'a Viewer>,
}

fn head(title: &str, extra: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"zh-Hant-TW\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n{extra}</head>\n"
    )
}

fn nav(ctx: &Ctx<'_>) -> String {
    let user = match ctx.viewer {
        Some(v) => format!(
            "<li><a href=\"/user/{u}/favorite/albums\">我的收藏</a></li>\n\
             <li><a href=\"/logout\">登出 {name}</a></li>\n",
            u = url(&v.username),
            name = text(&v.username),
        ),
        None => "<li><a href=\"/login\">登入</a></li>\n".to_owned(),
    };
    format!(
        "<nav class=\"navbar navbar-inverse\">\n<ul class=\"nav navbar-nav\">\n\
         <li><a href=\"/\">禁漫天堂</a></li>\n<li><a href=\"/albums\">分類</a></li>\n\
         <li><a href=\"/albums?o=mv&amp;t=m\">排行</a></li>\n{user}</ul>\n</nav>\n"
    )
}

const FOOT: &str = "<footer class=\"footer\">jmcomic-emulator</footer>\n</body>\n</html>\n";

/// Links of an album's works/actors/tags/authors section (spec §6.3.5: the section's
/// `<span …>` up to its first `</span>`, then each link's text).
fn section(kind: &str, itemprop: &str, label: &str, main_tag: u8, names: &[String]) -> String {
    let mut out = format!("<span itemprop=\"{itemprop}\" data-type=\"{kind}\">{label}\n");
    for name in names {
        let _ = writeln!(
            out,
            "<a href=\"/search/photos?main_tag={main_tag}&amp;search_query={q}\" class=\"btn btn-sm btn-primary\">{t}</a>",
            q = url(name),
            t = link_text(name),
        );
    }
    out.push_str("</span>\n");
    out
}

/// Data of the album page besides the catalog's.
pub(crate) struct AlbumPageData {
    pub comment_count: usize,
    pub scramble_id: u64,
}

/// The album page `/album/{id}` (spec §6.3.5 album table, plus 2.7.10's `is_favorite` and
/// `liked`).
pub(crate) fn album_page(ctx: &Ctx<'_>, album: &AlbumSpec, data: &AlbumPageData) -> String {
    let id = album.id;
    let is_favorite = ctx.viewer.is_some_and(|v| v.favorites.contains(&id));
    let liked = ctx.viewer.is_some_and(|v| v.liked.contains(&id));
    let mut episodes = String::new();
    // A single-chapter album has no episode list (the client then makes the album its own
    // chapter, spec §2.2).
    if !album.is_single() {
        episodes.push_str("<div class=\"episode\">\n<ul class=\"btn-toolbar\">\n");
        for (i, ch) in album.chapters.iter().enumerate() {
            let _ = write!(
                episodes,
                "<a href=\"/photo/{cid}\" data-album=\"{cid}\" data-index=\"{i}\">\n\
                 <li class=\"btn btn-primary\">第{sort}話 {title}<span class=\"hidden-xs\">{date}</span></li>\n\
                 </a>\n",
                cid = ch.id,
                sort = ch.sort,
                title = text(&ch.title),
                date = date(album.addtime),
            );
        }
        episodes.push_str("</ul>\n</div>\n");
    }
    // Spec §6.3.5 (2.7.10): the favourite button has class `btn-primary` and id
    // `album_favorite_N` when the album is a favourite. The exact pattern is not in the
    // spec; the class comes before the id here.
    let favorite_button = if is_favorite {
        format!(
            "<a href=\"javascript:;\" class=\"btn btn-primary\" id=\"album_favorite_{id}\">已收藏</a>"
        )
    } else {
        format!(
            "<a href=\"javascript:;\" class=\"btn btn-default\" id=\"album_favorite_{id}\">收藏</a>"
        )
    };
    let heart_style = if liked {
        "font-size: 18px; color: red;"
    } else {
        "font-size: 18px;"
    };
    let first_read = album.chapters.first().map_or(id, |c| c.id);
    let body = format!(
        "<body>\n{nav}<div class=\"container\">\n<div class=\"row\">\n<div class=\"col-lg-7\">\n\
         <div class=\"panel panel-default\">\n<div class=\"panel-heading\">\n\
         <h1 class=\"book-name\" id=\"book-name\">{name}</h1>\n</div>\n\
         <div class=\"panel-body\">\n\
         <div class=\"thumb-overlay\"><img src=\"{cdn}/media/albums/{id}_3x4.jpg\" class=\"lazy_img img-responsive\" alt=\"{name_attr}\"></div>\n\
         <div class=\"p-t-5 p-b-5\"><span class=\"number\">禁漫車：JM{id}</span></div>\n\
         {works}{actors}{tags}{authors}\
         <div class=\"p-t-5 p-b-5\"><span class=\"pagecount\">頁數:{pages}</span></div>\n\
         <div class=\"p-t-5 p-b-5\"><span itemprop=\"datePublished\" content=\"{pub_date}\">上架日期 : {pub_date}</span></div>\n\
         <div class=\"p-t-5 p-b-5\"><span itemprop=\"dateModified\" content=\"{update_date}\">更新日期 : {update_date}</span></div>\n\
         <h2 class=\"p-t-5 p-b-5\">敘述：{description}</h2>\n\
         <div class=\"p-t-5 p-b-5\">\n\
         <span id=\"albim_likes_{id}\">{likes}</span>\n\
         <span>{views}</span>\n\
         <span>次觀看</span>\n\
         </div>\n\
         <div class=\"p-t-5 p-b-5\">\n{favorite_button}\n\
         <a href=\"javascript:;\" id='love_likes_{id}' class=\"btn btn-default\"><i class=\"fa fa-heart\" style=\"{heart_style}\"></i></a>\n\
         <a href=\"/photo/{first_read}\" class=\"btn btn-primary reading\">開始閱讀</a>\n\
         </div>\n\
         {episodes}\
         <div class=\"comments\">留言 <div class=\"badge\" style=\"margin-left: 4px;\" id=\"total_video_comments\">{comments}</div></div>\n\
         </div>\n</div>\n</div>\n</div>\n</div>\n{FOOT}",
        nav = nav(ctx),
        name = text(&album.title),
        name_attr = attr(&album.title),
        cdn = ctx.cdn,
        works = section("works", "author", "作品：", 1, &album.works),
        actors = section("actor", "author", "登場人物：", 4, &album.actors),
        tags = section("tags", "genre", "標籤：", 3, &album.tags),
        authors = section("author", "author", "作者：", 2, &album.authors),
        pages = album.page_count(),
        pub_date = date(album.addtime),
        update_date = date(album.update_time()),
        description = text(album.description.as_deref().unwrap_or_default()),
        likes = album.likes,
        views = album.views,
        comments = data.comment_count,
    );
    let extra = format!(
        "<meta name=\"keywords\" content=\"{keywords}\">\n\
         <meta property=\"og:url\" content=\"{site}/album/{id}/\">\n\
         <script type=\"text/javascript\">\nvar aid = {id};\nvar scramble_id = {scramble};\n</script>\n",
        keywords = attr(&album.tags.join(",")),
        site = ctx.site,
        scramble = data.scramble_id,
    );
    format!(
        "{}{body}",
        head(&format!("{} Comics - 禁漫天堂", text(&album.title)), &extra)
    )
}

/// The album page wrapped the way spec §6.3.5 says some pages come: the real page as
/// Base64 in `const html = base64DecodeUtf8("…")`.
pub(crate) fn base64_wrapped(page: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(page.as_bytes());
    format!(
        "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<script>\n\
         function base64DecodeUtf8(s) {{ return decodeURIComponent(escape(atob(s))); }}\n\
         const html = base64DecodeUtf8(\"{b64}\");\ndocument.open();\ndocument.write(html);\ndocument.close();\n\
         </script>\n</head>\n<body></body>\n</html>\n"
    )
}

/// JSON for a `<script>` (`var page_arr = …;`): `;` and `</` escaped, since the spec's
/// pattern `var page_arr = (.*?);` ends at the first `;`.
fn script_json(value: &Value) -> String {
    value
        .to_string()
        .replace(';', "\\u003b")
        .replace("</", "<\\/")
}

/// The chapter (reader) page `/photo/{id}` (spec §6.3.5 photo table).
///
/// `var sort` is the chapter's sort, except 2 for a single-chapter album: spec §2.3 says
/// "the site gives sort 2 for single-chapter works" (the client maps it to index 1).
pub(crate) fn photo_page(
    ctx: &Ctx<'_>,
    album: &AlbumSpec,
    ch: &ChapterSpec,
    scramble_id: u64,
) -> String {
    let series_id = if album.is_single() { 0 } else { album.id };
    let sort = if album.is_single() { 2 } else { ch.sort };
    let names = ch.listed_names();
    let mut images = String::new();
    for (i, name) in names.iter().enumerate() {
        let stem = name.rsplit_once('.').map_or(*name, |(s, _)| s);
        let _ = write!(
            images,
            "<div class=\"center scramble-page\" id=\"{n}\">\n\
             <img src=\"{cdn}/media/albums/blank.jpg\" data-original=\"{cdn}/media/photos/{cid}/{u}\" id=\"album_photo_{stem}\" data-page=\"{i}\" class=\"lazy_img img-responsive-mw\" alt=\"\">\n\
             </div>\n",
            n = attr(name),
            cdn = ctx.cdn,
            cid = ch.id,
            u = url(name),
            stem = attr(stem),
        );
    }
    let extra = format!(
        "<meta name=\"keywords\" content=\"{keywords}\">\n\
         <meta property=\"og:url\" content=\"{site}/photo/{cid}/\">\n\
         <script type=\"text/javascript\">\nvar scramble_id = {scramble_id};\nvar series_id = {series_id};\n\
         var sort = {sort};\nvar aid = {cid};\nvar page_arr = {arr};\n</script>\n",
        keywords = attr(&album.tags.join(",")),
        site = ctx.site,
        cid = ch.id,
        arr = script_json(&Value::from(names.clone())),
    );
    format!(
        "{head}<body>\n{nav}<div class=\"container\">\n<div class=\"panel-body\">\n{images}</div>\n\
         <a href=\"/album/{aid}/\" class=\"btn btn-primary\">回到本子</a>\n</div>\n{FOOT}",
        head = head(&format!("{} | 禁漫天堂", text(&ch.title)), &extra),
        nav = nav(ctx),
        aid = album.id,
    )
}

/// One album of a search or category list. Written for both item patterns of spec
/// §6.3.5: the search one (`<a href="/album/ID/…title="NAME"…<div class="title-truncate
/// tags …">TAG LINKS</div>`) and the category one (`<a href="/album/ID/…"><img … title=
/// "NAME" …></a>` then `<div class="label-loveicon">…<div class="clearfix">`).
fn list_item(ctx: &Ctx<'_>, album: &AlbumSpec) -> String {
    let mut tags = String::new();
    for tag in &album.tags {
        let _ = writeln!(
            tags,
            "<a target=\"_blank\" href=\"/search/photos?main_tag=3&amp;search_query={q}\" class=\"tag\">{t}</a>",
            q = url(tag),
            t = text(tag),
        );
    }
    format!(
        "<div class=\"col-xs-6 col-sm-6 col-md-4 col-lg-3 list-col\">\n<div class=\"p-b-15 p-l-5 p-r-5\">\n\
         <div class=\"thumb-overlay-albums\">\n\
         <a href=\"/album/{id}/{slug}\">\n\
         <img src=\"{cdn}/media/albums/{id}_3x4.jpg\" class=\"lazy_img img-responsive\" title=\"{name}\" alt=\"{name}\">\n\
         </a>\n\
         <div class=\"label-loveicon\">\n<span class=\"label label-danger\">♥ {likes}</span>\n</div>\n\
         </div>\n\
         <span class=\"video-title title-truncate m-t-5\">{name_text}</span>\n\
         <div class=\"title-truncate tags hidden-xs\">\n{tags}</div>\n\
         <div class=\"clearfix\"></div>\n</div>\n</div>\n",
        id = album.id,
        slug = slug(&album.title),
        cdn = ctx.cdn,
        name = attr(&album.title),
        name_text = text(&album.title),
        likes = album.likes,
    )
}

/// A page list: links to every page of `pages`, each URL built by `href(n)`.
fn pager(pages: usize, current: u64, href: impl Fn(usize) -> String) -> String {
    let mut out = String::from("<ul class=\"pagination\">\n");
    for n in 1..=pages {
        let class = if n as u64 == current {
            " class=\"active\""
        } else {
            ""
        };
        let _ = writeln!(out, "<li{class}><a href=\"{}\">{n}</a></li>", href(n));
    }
    out.push_str("</ul>\n");
    out
}

/// A search (`/search/photos…`) or category (`/albums…`) result page (spec §6.3.5): the
/// total as `<span class="text-white">N</span> A漫.` and the items inside
/// `<div class="well well-sm">` … `<div class="row">`.
pub(crate) fn list_page(
    ctx: &Ctx<'_>,
    title: &str,
    albums: &[&AlbumSpec],
    total: usize,
    pages: usize,
    page: u64,
    href: impl Fn(usize) -> String,
) -> String {
    let items: String = albums.iter().map(|a| list_item(ctx, a)).collect();
    format!(
        "{head}<body>\n{nav}<div class=\"container\">\n\
         <div class=\"well well-sm\">\n\
         <div class=\"pull-left\">{heading}：<span class=\"text-white\">{total}</span> A漫.</div>\n\
         <div class=\"clearfix\"></div>\n\
         <div class=\"list-row\">\n{items}</div>\n\
         <div class=\"row\">\n{pager}</div>\n\
         </div>\n</div>\n{FOOT}",
        head = head(&format!("{} - 禁漫天堂", text(title)), ""),
        nav = nav(ctx),
        heading = text(title),
        pager = pager(pages, page, href),
    )
}

/// The search error page (spec §6.3.5 search step 1: `<fieldset>\n<legend>…</legend>\n<div
/// class=…>\n…\n</div>\n</fieldset>`).
pub(crate) fn search_error(ctx: &Ctx<'_>, legend: &str, message: &str) -> String {
    format!(
        "{head}<body>\n{nav}<div class=\"container\">\n<fieldset>\n<legend>{legend}</legend>\n\
         <div class=\"alert alert-danger\">\n{message}\n</div>\n</fieldset>\n</div>\n{FOOT}",
        head = head("搜尋 - 禁漫天堂", ""),
        nav = nav(ctx),
        legend = text(legend),
        message = text(message),
    )
}

/// What the favourites page shows.
pub(crate) struct FavoritesPage<'a> {
    pub username: &'a str,
    pub albums: Vec<&'a AlbumSpec>,
    pub total: usize,
    pub max: u64,
    pub folders: &'a [(u64, String)],
    pub folder: u64,
    pub order: &'a str,
    pub page: u64,
    pub pages: usize,
}

/// The favourites page `/user/{name}/favorite/albums` (spec §6.3.5 favourite page: the
/// total as `總數 : N / M`, the folders in `<select class="user-select"
/// name="movefolder-fid">`, items `<div id="favorites_album_…">…<div class="video-title
/// title-truncate">NAME</div>`).
pub(crate) fn favorites_page(ctx: &Ctx<'_>, f: &FavoritesPage<'_>) -> String {
    let user = url(f.username);
    let mut folders = String::new();
    for (fid, name) in f.folders {
        let _ = writeln!(folders, "<option value=\"{fid}\">{}</option>", text(name));
    }
    let mut folder_links = format!(
        "<a href=\"/user/{user}/favorite/albums?folder=0\" class=\"btn btn-default\">全部</a>\n"
    );
    for (fid, name) in f.folders {
        let _ = writeln!(
            folder_links,
            "<a href=\"/user/{user}/favorite/albums?folder={fid}\" class=\"btn btn-default\">{}</a>",
            text(name)
        );
    }
    let mut items = String::new();
    for album in &f.albums {
        let _ = write!(
            items,
            "<div id=\"favorites_album_{id}\" class=\"col-xs-6 col-sm-6 col-md-4 col-lg-3 list-col\">\n\
             <div class=\"thumb-overlay\">\n<a href=\"/album/{id}/{slug}\">\n\
             <img src=\"{cdn}/media/albums/{id}_3x4.jpg\" class=\"lazy_img img-responsive\" alt=\"{name_attr}\">\n\
             </a>\n</div>\n\
             <div class=\"video-title title-truncate\">{name}</div>\n\
             <a href=\"javascript:;\" class=\"btn btn-danger\" id=\"remove_album_from_favorites_{id}\">移除</a>\n\
             </div>\n",
            id = album.id,
            slug = slug(&album.title),
            cdn = ctx.cdn,
            name_attr = attr(&album.title),
            name = text(&album.title),
        );
    }
    let (folder, order) = (f.folder, url(f.order));
    format!(
        "{head}<body>\n{nav}<div class=\"container\">\n\
         <div class=\"pull-left\">總數 : {total} / {max}</div>\n\
         <div class=\"clearfix\"></div>\n\
         <div class=\"folders\">\n{folder_links}</div>\n\
         <div class=\"movefolder\">移動到\n<select class=\"user-select\" name=\"movefolder-fid\">\n{folders}</select>\n</div>\n\
         <div class=\"row\">\n{items}</div>\n{pager}</div>\n{FOOT}",
        head = head(&format!("{} 的收藏 - 禁漫天堂", text(f.username)), ""),
        nav = nav(ctx),
        total = f.total,
        max = f.max,
        pager = pager(f.pages, f.page, |n| format!(
            "/user/{user}/favorite/albums?page={n}&amp;o={order}&amp;folder={folder}"
        )),
    )
}

/// The home page: the check-in button carrying `data-dailyid` (Appendix A) and the newest
/// albums.
pub(crate) fn home_page(ctx: &Ctx<'_>, daily_id: u64, latest: &[&AlbumSpec]) -> String {
    let items: String = latest.iter().map(|a| list_item(ctx, a)).collect();
    format!(
        "{head}<body>\n{nav}<div class=\"container\">\n\
         <div class=\"daily\"><a href=\"javascript:;\" class=\"btn btn-primary\" id=\"daily-sign\" data-dailyid=\"{daily_id}\">每日簽到</a></div>\n\
         <h2>最新更新</h2>\n<div class=\"list-row\">\n{items}</div>\n</div>\n{FOOT}",
        head = head("禁漫天堂", ""),
        nav = nav(ctx),
    )
}

/// The login form (`GET /login`); the form posts `username`, `password`, `id_remember`,
/// `login_remember`, `submit_login` (spec §6.3.3).
pub(crate) fn login_page(ctx: &Ctx<'_>) -> String {
    format!(
        "{head}<body>\n{nav}<div class=\"container\">\n\
         <form method=\"post\" action=\"/login\" id=\"login-form\">\n\
         <input type=\"text\" name=\"username\" placeholder=\"帳號\">\n\
         <input type=\"password\" name=\"password\" placeholder=\"密碼\">\n\
         <input type=\"checkbox\" name=\"id_remember\" checked> 記住帳號\n\
         <input type=\"checkbox\" name=\"login_remember\" checked> 保持登入\n\
         <button type=\"submit\" name=\"submit_login\" value=\"\">登入</button>\n\
         </form>\n</div>\n{FOOT}",
        head = head("登入 - 禁漫天堂", ""),
        nav = nav(ctx),
    )
}

/// An error page (`/error/…`, spec §6.3.4 step 4), HTTP 200.
pub(crate) fn error_page(ctx: &Ctx<'_>, message: &str) -> String {
    format!(
        "{head}<body>\n{nav}<div class=\"container\">\n<div class=\"alert alert-danger\">{message}</div>\n</div>\n{FOOT}",
        head = head("錯誤 - 禁漫天堂", ""),
        nav = nav(ctx),
        message = text(message),
    )
}

/// One comment and its replies (spec §6.3.5 comment HTML: `.timeline[data-cid]`, replies
/// nested, `.timeline-left` with the avatar's `data-userid` and the `/user/{name}/` link,
/// `.timeline-username`, `.timeline-date`, `.timeline-content`, `.disclose` for spoilers,
/// `.timeline-ft` linking the album).
pub(crate) fn comment(ctx: &Ctx<'_>, c: &Comment, album_title: &str) -> String {
    let replies: String = c
        .replies
        .iter()
        .map(|r| comment(ctx, r, album_title))
        .collect();
    let spoiler = if c.spoiler {
        "<div class=\"disclose\">此留言包含劇透</div>\n"
    } else {
        ""
    };
    format!(
        "<div class=\"timeline\" data-cid=\"{cid}\">\n\
         <div class=\"timeline-left\">\n\
         <a href=\"/user/{user}/favorite/albums\"><img class=\"timeline-avatar\" data-userid=\"{uid}\" src=\"{cdn}/media/users/{uid}.jpg\" alt=\"\" /></a>\n\
         </div>\n\
         <div class=\"timeline-right\">\n\
         <div class=\"timeline-username\">{nickname}</div>\n\
         <div class=\"timeline-date\">{date}</div>\n\
         <div class=\"timeline-content\">{content}</div>\n\
         {spoiler}\
         <div class=\"timeline-ft\"><a href=\"/album/{aid}/\">{album}</a></div>\n\
         {replies}</div>\n</div>\n",
        cid = c.cid,
        user = url(&c.username),
        uid = c.uid,
        cdn = ctx.cdn,
        nickname = text(&c.nickname),
        date = comment_time(c.addtime),
        content = comment_html(&c.content),
        aid = c.aid,
        album = text(album_title),
    )
}

/// An album's comment page for `/ajax/album_pagination`: the comments, then a pager whose
/// links carry `id="p_album_comments_{aid}_{n}"` for every page `n` (spec §6.1.1: the
/// client goes on while the id of page+1 is there).
pub(crate) fn album_comments(
    ctx: &Ctx<'_>,
    aid: u64,
    album_title: &str,
    comments: &[Comment],
    pages: usize,
) -> String {
    let mut out = String::from("<div class=\"comment-list\">\n");
    for c in comments {
        out.push_str(&comment(ctx, c, album_title));
    }
    out.push_str("<ul class=\"pagination\">\n");
    for n in 1..=pages {
        let _ = writeln!(
            out,
            "<li><a href=\"javascript:;\" class=\"p_album_comments\" id=\"p_album_comments_{aid}_{n}\" data-page=\"{n}\">{n}</a></li>"
        );
    }
    out.push_str("</ul>\n</div>\n");
    out
}

/// The publish page (spec §6.3.1 `https://jmcomicgo.org`): every HTML domain as a link.
///
/// The spec's client extracts `[\w-]+\.\w+/?\w+` containing `jm` or `comic`, which an
/// emulator address (`http://127.0.0.1:PORT`) can never match: the links carry the full
/// base URLs instead, and the text repeats them.
pub(crate) fn publish_page(domains: &[String]) -> String {
    let mut links = String::new();
    for d in domains {
        let _ = writeln!(
            links,
            "<li><a href=\"{d}/\" target=\"_blank\">{t}</a></li>",
            d = attr(d),
            t = text(d)
        );
    }
    format!(
        "{head}<body>\n<h1>禁漫天堂 最新網址</h1>\n<ul class=\"domains\">\n{links}</ul>\n</body>\n</html>\n",
        head = head("JMComic 發布頁", "")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(
            text("a|b<c>&\"'\n\t"),
            "a&#124;b&lt;c&gt;&amp;&quot;&#39;\n\t"
        );
        assert_eq!(attr("a\nb\tc"), "a&#10;b&#9;c");
        assert_eq!(link_text(" a b "), "&#32;a&#32;b&#32;");
        assert_eq!(text("x\u{1b}y"), "x&#27;y");
        assert_eq!(url("讀者 a/b"), "%E8%AE%80%E8%80%85%20a%2Fb");
    }

    #[test]
    fn slugs_and_dates() {
        assert_eq!(slug("Hello, World! 中文"), "Hello-World");
        assert_eq!(slug("中文"), "");
        assert_eq!(date(1_700_000_000), "2023-11-14");
    }

    #[test]
    fn page_arr_json_cannot_end_early() {
        let v = Value::from(vec!["a;b.webp", "</script>"]);
        let s = script_json(&v);
        assert!(!s.contains(';') && !s.contains("</"), "{s}");
        let back: Value = serde_json::from_str(&s).expect("still JSON");
        assert_eq!(back, v);
    }
}
