//! Request routing and the site's answers: the mobile API (spec §6.2.3-§6.2.7) on API hosts,
//! the image CDN (spec §6.1.4, §2.4) on CDN hosts.
//!
//! Handlers are pure functions of the request and the catalog; faults are applied afterwards
//! by the server. Malformed requests get 400/404/405, never a panic.

use std::cmp::Reverse;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use bytes::Bytes;
use hyper::Method;
use hyper::header::{HeaderMap, HeaderName, SET_COOKIE};
use hyper::http::request::Parts;
use serde_json::{Value, json};

use crate::catalog::{AlbumSpec, ChapterSpec, mix};
use crate::crypto::{self, md5_hex};
use crate::emulator::{MissingStyle, Shared, TemplateSecret};
use crate::pages::EncodeKey;
use crate::site::{
    ApiRoute, CATALOG_PATH, CONTENT_SECRET, DOMAIN_SERVER_PATH, NOT_LEGAL_BODY, SEARCH_PAGE_SIZE,
    TOKEN_SECRET,
};

/// A route's answer before faults are applied.
pub(crate) struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub headers: Vec<(HeaderName, String)>,
    pub body: Bytes,
    /// The body is an encrypted API envelope (the `BadCiphertext` fault can spoil it).
    pub is_envelope: bool,
}

const JSON: &str = "application/json; charset=utf-8";
const HTML: &str = "text/html; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

impl Reply {
    fn new(status: u16, content_type: &'static str, body: impl Into<Bytes>) -> Self {
        Self {
            status,
            content_type,
            headers: Vec::new(),
            body: body.into(),
            is_envelope: false,
        }
    }

    pub(crate) fn text(status: u16, body: impl Into<Bytes>) -> Self {
        Self::new(status, TEXT, body)
    }

    fn not_found() -> Self {
        Self::new(
            404,
            HTML,
            "<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>\
             <body><h1>404 Not Found</h1></body></html>\n",
        )
    }

    fn bad_request(why: &str) -> Self {
        let body = json!({"code": 400, "data": [], "errorMsg": format!("Bad request: {why}")});
        Self::new(400, JSON, body.to_string())
    }

    /// The real server's answer to a bad token or stale version (HTTP 200, unencrypted).
    fn not_legal() -> Self {
        Self::new(200, JSON, NOT_LEGAL_BODY)
    }

    /// `/chapter_view_template` with a secret the strict [`TemplateSecret`] modes refuse, or
    /// with no valid token at all (spec §6.2.2: "the normal secret gets HTTP 403 there").
    fn forbidden() -> Self {
        Self::new(
            403,
            HTML,
            "<!DOCTYPE html>\n<html><head><title>403 Forbidden</title></head>\
             <body><h1>403 Forbidden</h1><hr><center>nginx</center></body></html>\n",
        )
    }

    /// The spec §6.2.4 envelope around `data`, encrypted for the request's timestamp.
    fn envelope(ts: &str, data: &Value) -> Self {
        let body = json!({
            "code": 200,
            "errorMsg": "",
            "data": crypto::encrypt_api_data(ts, &data.to_string()),
        });
        let mut reply = Self::new(200, JSON, body.to_string());
        reply.is_envelope = true;
        reply
    }
}

/// An envelope whose `data` is valid base64 of whole AES blocks that decrypt to noise.
pub(crate) fn bad_ciphertext_envelope() -> String {
    let mut rng = fastrand::Rng::new();
    let noise: Vec<u8> = std::iter::repeat_with(|| rng.u8(..)).take(48).collect();
    json!({
        "code": 200,
        "errorMsg": "",
        "data": base64::engine::general_purpose::STANDARD.encode(noise),
    })
    .to_string()
}

/// Routes one request. `host` decides the role: API hosts serve the API and the domain-server
/// file, CDN hosts serve `/media/...`.
pub(crate) async fn route(shared: &Arc<Shared>, host: usize, parts: &Parts) -> Reply {
    if parts.method != Method::GET {
        return Reply::text(405, "method not allowed\n");
    }
    let path = parts.uri.path();
    if shared.is_api_host(host) {
        if path == DOMAIN_SERVER_PATH {
            return domain_server_file(shared);
        }
        if path == CATALOG_PATH {
            return catalog_listing(shared);
        }
        match ApiRoute::from_path(path) {
            Some(api) => api_route(shared, api, parts),
            None => Reply::not_found(),
        }
    } else {
        cdn_route(shared, path).await
    }
}

/// Form-decodes a query string (`+` = space, UTF-8 percent escapes; spec §6.2.3).
fn parse_query(query: Option<&str>) -> Vec<(String, String)> {
    let decode = |s: &str| {
        let spaced = s.replace('+', " ");
        percent_encoding::percent_decode_str(&spaced)
            .decode_utf8_lossy()
            .into_owned()
    };
    query
        .unwrap_or_default()
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(kv), String::new()),
        })
        .collect()
}

fn param<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// A decimal id (digits only, fits in u64).
fn parse_id(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Numeric dotted version; missing parts count as 0 (spec §6.2.7 step 3).
pub(crate) fn parse_version(text: &str) -> Option<Vec<u64>> {
    text.trim()
        .split('.')
        .map(|part| parse_id(part.trim()))
        .collect()
}

pub(crate) fn version_at_least(version: &[u64], min: &[u64]) -> bool {
    let len = version.len().max(min.len());
    let at = |v: &[u64], i: usize| v.get(i).copied().unwrap_or(0);
    for i in 0..len {
        match at(version, i).cmp(&at(min, i)) {
            std::cmp::Ordering::Less => return false,
            std::cmp::Ordering::Greater => return true,
            std::cmp::Ordering::Equal => {}
        }
    }
    true
}

/// Checks `token` / `tokenparam` (spec §6.2.2) and returns the request's timestamp text, the
/// input of the response key (spec §6.2.4).
fn authenticate(shared: &Shared, api: ApiRoute, headers: &HeaderMap) -> Result<String, Reply> {
    let template = api == ApiRoute::ChapterViewTemplate;
    // The template page is HTML; every auth failure there is the 403 the spec describes.
    let reject = || {
        if template {
            Reply::forbidden()
        } else {
            Reply::not_legal()
        }
    };
    let token = header(headers, "token").ok_or_else(reject)?.trim();
    let tokenparam = header(headers, "tokenparam").ok_or_else(reject)?;
    let (ts, version) = tokenparam.split_once(',').ok_or_else(reject)?;
    let ts = ts.trim();
    let ts_value = parse_id(ts).ok_or_else(reject)?;
    let version = parse_version(version).ok_or_else(reject)?;
    if !version_at_least(&version, &shared.cfg.min_app_version) {
        return Err(reject());
    }
    if let Some(max_skew) = shared.cfg.max_clock_skew {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        if now.abs_diff(ts_value) > max_skew.as_secs() {
            return Err(reject());
        }
    }
    let secrets: &[&str] = if template {
        match shared.cfg.template_secret {
            TemplateSecret::Content => &[CONTENT_SECRET],
            TemplateSecret::Normal => &[TOKEN_SECRET],
            TemplateSecret::Either => &[CONTENT_SECRET, TOKEN_SECRET],
        }
    } else {
        &[TOKEN_SECRET]
    };
    if secrets.iter().any(|s| crypto::token(ts, s) == token) {
        Ok(ts.to_owned())
    } else {
        Err(reject())
    }
}

/// Whether the request carries the `ipm5` cookie `/setting` hands out (any 32 hex digits).
fn has_session_cookie(headers: &HeaderMap) -> bool {
    headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().strip_prefix("ipm5="))
        .any(|v| v.len() == 32 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn api_route(shared: &Shared, api: ApiRoute, parts: &Parts) -> Reply {
    let ts = match authenticate(shared, api, &parts.headers) {
        Ok(ts) => ts,
        Err(reply) => return reply,
    };
    let query = parse_query(parts.uri.query());
    match api {
        ApiRoute::Setting => setting(shared, &ts),
        ApiRoute::Album | ApiRoute::Chapter => {
            let Some(id) = param(&query, "id").and_then(parse_id) else {
                return Reply::bad_request("id must be a decimal number");
            };
            let cookies_ok = !shared.cfg.require_cookies || has_session_cookie(&parts.headers);
            if api == ApiRoute::Album {
                album(shared, &ts, id, cookies_ok)
            } else {
                chapter(shared, &ts, id, cookies_ok)
            }
        }
        ApiRoute::ChapterViewTemplate => {
            let Some(id) = param(&query, "id").and_then(parse_id) else {
                return Reply::bad_request("id must be a decimal number");
            };
            chapter_view_template(shared, id)
        }
        ApiRoute::Search => search(shared, &ts, &query, false),
        ApiRoute::CategoriesFilter => search(shared, &ts, &query, true),
    }
}

fn setting(shared: &Shared, ts: &str) -> Reply {
    let cfg = &shared.cfg;
    let img_host = shared.image_domains.first().cloned().unwrap_or_default();
    let data = json!({
        "logo_path": format!("{img_host}/media/logo/new_logo.png"),
        "main_web_host": "18comic.vip",
        "img_host": img_host,
        "base_url": shared.api_domains.first().cloned().unwrap_or_default(),
        "is_cn": 0,
        "cn_base_url": "",
        "version": cfg.app_version,
        "test_version": cfg.app_version,
        "store_link": "https://18comic.vip/stray/",
        "ios_version": cfg.app_version,
        "ios_test_version": cfg.app_version,
        "ios_store_link": "https://18comic.vip/stray/",
        "ad_cache_version": 1_698_141_813,
        "bundle_url": "",
        "is_hot_update": true,
        "api_banner_path": format!("{img_host}/media/logo/channel_log.png"),
        "version_info": "jmcomic-emulator",
        "app_shunts": [{"title": "線路1", "key": 1}, {"title": "線路2", "key": 2}],
        "download_url": "",
        "app_landing_page": "",
        "float_ad": false,
        "newYearEvent": false,
        "newYearEventUrl": "",
        "foolAppEvent": false,
        "jm3_version": cfg.app_version,
    });
    let mut reply = Reply::envelope(ts, &data);
    // Spec §6.2.7: the cookies returned here are what the client sends afterwards; `ipm5` is
    // what the emulator checks (any 32 hex digits).
    let ipm5 = md5_hex(&format!("ipm5-{}", shared.next_session()));
    reply
        .headers
        .push((SET_COOKIE, "ipcountry=JP; Path=/".to_owned()));
    reply
        .headers
        .push((SET_COOKIE, format!("ipm5={ipm5}; Path=/")));
    reply
}

fn cover_url(shared: &Shared, album_id: u64) -> String {
    let host = shared.image_domains.first().map_or("", String::as_str);
    format!("{host}/media/albums/{album_id}_3x4.jpg")
}

fn series_json(album: &AlbumSpec) -> Value {
    if album.is_single() {
        return json!([]);
    }
    album
        .chapters
        .iter()
        .map(|c| json!({"id": c.id.to_string(), "name": c.title, "sort": c.sort.to_string()}))
        .collect()
}

fn related_json(shared: &Shared, album: &AlbumSpec) -> Value {
    let albums = &shared.catalog.albums;
    let start = albums.iter().position(|a| a.id == album.id).unwrap_or(0);
    albums
        .iter()
        .cycle()
        .skip(start + 1)
        .take(albums.len())
        .filter(|a| a.id != album.id)
        .take(3)
        .map(|a| {
            json!({
                "id": a.id.to_string(),
                "author": a.authors.first().cloned().unwrap_or_default(),
                "description": a.description.clone().unwrap_or_default(),
                "name": a.title,
                "image": cover_url(shared, a.id),
            })
        })
        .collect()
}

/// Album JSON (spec §6.2.5). With `as_chapter`, the record of that (non-first) chapter
/// presented as an album, `series_id` pointing at the parent album: the answer 2.7.10's
/// redirect logic expects for `/album?id=<chapter id>` (spec Appendix A, Appendix C).
fn album_json(shared: &Shared, album: &AlbumSpec, as_chapter: Option<&ChapterSpec>) -> Value {
    let (id, name, series_id, pages) = match as_chapter {
        Some(ch) => (
            ch.id,
            ch.title.as_str(),
            album.id.to_string(),
            ch.pages.len(),
        ),
        None => (
            album.id,
            album.title.as_str(),
            "0".to_owned(),
            album.page_count(),
        ),
    };
    let mut value = json!({
        "id": id,
        "name": name,
        "author": album.authors,
        "images": [],
        "description": album.description,
        "total_views": album.views.to_string(),
        "likes": album.likes.to_string(),
        "series": series_json(album),
        "series_id": series_id,
        "comment_total": album.comments.to_string(),
        "tags": album.tags,
        "works": album.works,
        "actors": album.actors,
        "related_list": related_json(shared, album),
        "liked": false,
        "is_favorite": false,
        "total_photos": pages.to_string(),
        "addtime": album.addtime.to_string(),
    });
    if let Value::Object(fields) = &mut value {
        for (key, v) in &album.json_overrides {
            fields.insert(key.clone(), v.clone());
        }
    }
    value
}

/// Chapter JSON (spec §6.2.5).
fn chapter_json(album: &AlbumSpec, ch: &ChapterSpec) -> Value {
    let series_id = if album.is_single() {
        "0".to_owned()
    } else {
        album.id.to_string()
    };
    json!({
        "id": ch.id,
        "series": series_json(album),
        "tags": album.tags.join(" "),
        "name": ch.title,
        "images": ch.listed_names(),
        "series_id": series_id,
        "is_favorite": false,
        "liked": false,
    })
}

/// The answer for an id the catalog does not have, per [`MissingStyle`].
fn missing(shared: &Shared, ts: &str, is_album: bool) -> Reply {
    match shared.cfg.missing_style {
        MissingStyle::NullName => {
            let data = if is_album {
                json!({
                    "id": null, "name": null, "author": [], "images": [], "description": null,
                    "total_views": "0", "likes": "0", "series": [], "series_id": "0",
                    "comment_total": "0", "tags": [], "works": [], "actors": [],
                    "related_list": [], "liked": false, "is_favorite": false,
                    "total_photos": "0", "addtime": "0",
                })
            } else {
                json!({
                    "id": null, "series": [], "tags": "", "name": null, "images": [],
                    "series_id": "0", "is_favorite": false, "liked": false,
                })
            };
            Reply::envelope(ts, &data)
        }
        MissingStyle::EmptyData => {
            let body = json!({"code": 200, "errorMsg": "", "data": ""});
            Reply::new(200, JSON, body.to_string())
        }
        MissingStyle::ErrorMsg => {
            let msg = if is_album {
                "本子不存在或已被刪除"
            } else {
                "章節不存在或已被刪除"
            };
            let body = json!({"code": 200, "errorMsg": msg, "data": []});
            Reply::new(200, JSON, body.to_string())
        }
    }
}

fn album(shared: &Shared, ts: &str, id: u64, cookies_ok: bool) -> Reply {
    if !cookies_ok {
        // Spec §6.2.7: without cookies every album "redirects" to the placeholder.
        let placeholder = &shared.catalog.placeholder;
        return Reply::envelope(ts, &album_json(shared, placeholder, None));
    }
    if let Some(album) = shared.album(id) {
        return Reply::envelope(ts, &album_json(shared, album, None));
    }
    if let Some((ch, album)) = shared.chapter(id) {
        return Reply::envelope(ts, &album_json(shared, album, Some(ch)));
    }
    missing(shared, ts, true)
}

fn chapter(shared: &Shared, ts: &str, id: u64, cookies_ok: bool) -> Reply {
    if !cookies_ok {
        let placeholder = &shared.catalog.placeholder;
        if let Some(first) = placeholder.chapters.first() {
            return Reply::envelope(ts, &chapter_json(placeholder, first));
        }
    }
    match shared.chapter(id) {
        Some((ch, album)) => Reply::envelope(ts, &chapter_json(album, ch)),
        None => missing(shared, ts, false),
    }
}

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The reader page (HTML, not encrypted) whose script sets `var scramble_id = N;` (spec §6.2.6).
fn chapter_view_template(shared: &Shared, id: u64) -> Reply {
    let Some((ch, album)) = shared.chapter(id) else {
        // No such chapter: an error page without the variable (the client then falls back to
        // 220980 and logs, spec §6.2.6).
        return Reply::new(
            200,
            HTML,
            "<!DOCTYPE html>\n<html><head><title>禁漫天堂</title></head>\
             <body><div class=\"alert\">此章節不存在</div></body></html>\n",
        );
    };
    let title = html_escape(&ch.title);
    let mut images = String::new();
    for p in &ch.pages {
        let _ = writeln!(
            images,
            "      <div class=\"center scramble-page\" id=\"{name}\"><img data-original=\"/media/photos/{cid}/{name}\" id=\"album_photo_{stem}\"></div>",
            name = p.file_name,
            cid = ch.id,
            stem = p.stem(),
        );
    }
    let series_id = if album.is_single() { 0 } else { album.id };
    let html = format!(
        r#"<!DOCTYPE html>
<html lang="zh-Hant">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  <script>
    var base_url = '';
    var scramble_id_hint = 'see below';
    var aid = {cid};
  </script>
</head>
<body class="app-reader" data-mode="vertical">
  <div id="reader">
{images}  </div>
  <script type="text/javascript">
    var series_id = {series_id};
    var speed = '';
    var readmode = "read-by-full";
    var page_initial = 0;
    var scramble_id = {scramble};
    var aid = {cid};
    var page_count = {pages};
  </script>
  <script src="/static/js/reader.min.js?v=2"></script>
</body>
</html>
"#,
        cid = ch.id,
        scramble = album.chapter_scramble_id(ch),
        pages = ch.pages.len(),
    );
    Reply::new(200, HTML, html)
}

/// Whether an album matches one search term in the fields `main_tag` selects (spec §6.1.1b:
/// 0 site, 1 work, 2 author, 3 tag, 4 actor), case-insensitively.
fn matches_term(album: &AlbumSpec, main_tag: u8, term: &str) -> bool {
    let hit = |s: &String| s.to_lowercase().contains(term);
    match main_tag {
        1 => album.works.iter().any(hit),
        2 => album.authors.iter().any(hit),
        3 => album.tags.iter().any(hit),
        4 => album.actors.iter().any(hit),
        _ => {
            hit(&album.title)
                || album.tags.iter().any(hit)
                || album.authors.iter().any(hit)
                || album.works.iter().any(hit)
                || album.actors.iter().any(hit)
        }
    }
}

/// The site's query syntax (spec §6.1.1b): `+A` must match, `-B` must not, plain terms: at
/// least one must match. A single term is a plain substring search.
fn matches_query(album: &AlbumSpec, main_tag: u8, query: &str) -> bool {
    let query = query.to_lowercase();
    let mut any_plain = false;
    let mut plain_hit = false;
    for term in query.split_whitespace() {
        if let Some(required) = term.strip_prefix('+').filter(|t| !t.is_empty()) {
            if !matches_term(album, main_tag, required) {
                return false;
            }
        } else if let Some(excluded) = term.strip_prefix('-').filter(|t| !t.is_empty()) {
            if matches_term(album, main_tag, excluded) {
                return false;
            }
        } else {
            any_plain = true;
            plain_hit |= matches_term(album, main_tag, term);
        }
    }
    !any_plain || plain_hit
}

fn search_item(shared: &Shared, album: &AlbumSpec) -> Value {
    let (category_id, category_title) = if album.is_single() {
        ("2", "單本")
    } else {
        ("1", "同人")
    };
    json!({
        "id": album.id.to_string(),
        "author": album.authors.first().cloned().unwrap_or_default(),
        "description": album.description,
        "name": album.title,
        "image": cover_url(shared, album.id),
        "category": {"id": category_id, "title": category_title},
        "category_sub": {"id": null, "title": null},
        "tags": album.tags,
        "liked": false,
        "is_favorite": false,
        "update_at": album.addtime,
    })
}

/// `/search` and `/categories/filter` (spec §6.2.3): 80 items a page.
fn search(shared: &Shared, ts: &str, query: &[(String, String)], category: bool) -> Reply {
    let page = match param(query, "page").filter(|p| !p.is_empty()) {
        None => 1,
        Some(p) => match parse_id(p) {
            Some(n) => n.max(1),
            None => return Reply::bad_request("page must be a number"),
        },
    };
    let main_tag = match param(query, "main_tag").filter(|p| !p.is_empty()) {
        None => 0,
        Some(t) => match parse_id(t) {
            Some(n) => u8::try_from(n).unwrap_or(0),
            None => return Reply::bad_request("main_tag must be a number"),
        },
    };
    let text = if category {
        ""
    } else {
        param(query, "search_query").unwrap_or_default().trim()
    };
    if !category
        && let Some(album) = parse_id(text).and_then(|id| shared.album(id))
        && album.id != shared.catalog.placeholder.id
    {
        // An exact album id: the site answers with a redirect instead of a list.
        let data = json!({
            "search_query": text,
            "total": "1",
            "redirect_aid": album.id.to_string(),
            "content": [],
        });
        return Reply::envelope(ts, &data);
    }
    let mut hits: Vec<&AlbumSpec> = shared
        .catalog
        .albums
        .iter()
        .filter(|a| matches_query(a, main_tag, text))
        .collect();
    // Order `o` (spec §6.1.1b); ranking values like `mv_m` carry the time after `_`.
    let order = param(query, "o").unwrap_or("mr");
    match order.split('_').next().unwrap_or("mr") {
        "mv" => hits.sort_by_key(|a| (Reverse(a.views), Reverse(a.id))),
        "mp" => hits.sort_by_key(|a| (Reverse(a.page_count()), Reverse(a.id))),
        "tf" => hits.sort_by_key(|a| (Reverse(a.likes), Reverse(a.id))),
        _ => hits.sort_by_key(|a| Reverse(a.id)),
    }
    let total = hits.len();
    let skip = usize::try_from(page - 1)
        .unwrap_or(usize::MAX)
        .saturating_mul(SEARCH_PAGE_SIZE);
    let content: Vec<Value> = hits
        .into_iter()
        .skip(skip)
        .take(SEARCH_PAGE_SIZE)
        .map(|a| search_item(shared, a))
        .collect();
    let data = json!({
        "search_query": text,
        "total": total.to_string(),
        "content": content,
    });
    Reply::envelope(ts, &data)
}

/// The domain-server file (spec §6.2.7): BOM + base64 of the encrypted `{"Server": [...]}`.
fn domain_server_file(shared: &Shared) -> Reply {
    let list = shared
        .cfg
        .domain_server_list
        .clone()
        .unwrap_or_else(|| shared.api_domains.clone());
    let json = json!({ "Server": list }).to_string();
    let body = format!("\u{feff}{}", crypto::encrypt_domain_server(&json));
    Reply::new(200, TEXT, body)
}

/// The emulator's own catalog listing ([`crate::CatalogListing`] as plain JSON, no token,
/// no encryption), so that people and test scripts can see which ids exist. Not a route of
/// the real site.
fn catalog_listing(shared: &Shared) -> Reply {
    match serde_json::to_string(&shared.catalog.listing()) {
        Ok(body) => Reply::new(200, JSON, body),
        Err(e) => {
            tracing::error!(error = %e, "catalog listing did not serialise");
            Reply::text(500, "catalog listing failed\n")
        }
    }
}

/// Cover sizes: `{id}.jpg` and `{id}_3x4.jpg` (spec §6.1.4 `download_album_cover`).
const COVER_SIZE: (u32, u32) = (150, 200);
const COVER_3X4_SIZE: (u32, u32) = (90, 120);

pub(crate) fn cover_key(album_id: u64, three_by_four: bool) -> EncodeKey {
    let (width, height) = if three_by_four {
        COVER_3X4_SIZE
    } else {
        COVER_SIZE
    };
    EncodeKey {
        seed: mix(album_id ^ 0xC0_7E25),
        width,
        height,
        kind: crate::catalog::PageKind::Jpeg,
        strips: 0,
    }
}

async fn cdn_route(shared: &Arc<Shared>, path: &str) -> Reply {
    let key = if let Some(rest) = path.strip_prefix("/media/photos/") {
        let Some((chapter, file)) = rest.split_once('/') else {
            return Reply::not_found();
        };
        match parse_id(chapter).and_then(|id| shared.page_key(id, file)) {
            Some(key) => key,
            None => return Reply::not_found(),
        }
    } else if let Some(file) = path.strip_prefix("/media/albums/") {
        let Some(stem) = file.strip_suffix(".jpg") else {
            return Reply::not_found();
        };
        let (id, three_by_four) = match stem.strip_suffix("_3x4") {
            Some(id) => (id, true),
            None => (stem, false),
        };
        match parse_id(id).filter(|&id| shared.album(id).is_some()) {
            Some(id) => cover_key(id, three_by_four),
            None => return Reply::not_found(),
        }
    } else {
        return Reply::not_found();
    };
    match shared.pages.get(key).await {
        Ok(bytes) => Reply::new(200, key.kind.content_type(), bytes),
        Err(reason) => {
            tracing::error!(path, %reason, "page generation failed");
            Reply::text(500, "page generation failed\n")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_decoding() {
        let q = parse_query(Some("search_query=%E4%B8%AD+a%2Bb&page=2&flag&=x"));
        assert_eq!(param(&q, "search_query"), Some("中 a+b"));
        assert_eq!(param(&q, "page"), Some("2"));
        assert_eq!(param(&q, "flag"), Some(""));
        assert_eq!(param(&parse_query(None), "x"), None);
    }

    #[test]
    fn ids_and_versions() {
        assert_eq!(parse_id("438516"), Some(438_516));
        for bad in ["", "JM1", "-1", "1.0", "99999999999999999999999"] {
            assert_eq!(parse_id(bad), None, "{bad}");
        }
        let v = |s| parse_version(s).expect("version");
        assert!(version_at_least(&v("2.1.12"), &v("2.1.12")));
        assert!(version_at_least(&v("2.1.13"), &v("2.1.12")));
        assert!(version_at_least(&v("2.2"), &v("2.1.12")));
        assert!(!version_at_least(&v("2.1"), &v("2.1.12")));
        assert!(!version_at_least(&v("2.0.30"), &v("2.1.12")));
        assert!(version_at_least(&v("2.1.12.0"), &v("2.1.12")));
        assert!(parse_version("2.x").is_none());
    }

    #[test]
    fn html_escaping() {
        assert_eq!(
            html_escape(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn query_syntax() {
        let a = AlbumSpec::single(1, "Hello World", Vec::new()).with_tags(&["Tag1", "中文"]);
        assert!(matches_query(&a, 0, "hello"));
        assert!(matches_query(&a, 0, "中文"));
        assert!(matches_query(&a, 0, "nothing world"));
        assert!(!matches_query(&a, 0, "+nothing world"));
        assert!(!matches_query(&a, 0, "hello -tag1"));
        assert!(matches_query(&a, 3, "tag1"));
        assert!(!matches_query(&a, 3, "hello"));
        assert!(matches_query(&a, 0, ""));
    }
}
