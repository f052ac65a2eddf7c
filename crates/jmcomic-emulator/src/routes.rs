//! Request routing and the site's answers: the mobile API (spec §6.2.3-§6.2.7) on API hosts,
//! the image CDN (spec §6.1.4, §2.4) on CDN hosts; the web site and the discovery host are in
//! [`crate::web`], the API's account routes in [`crate::api_user`].
//!
//! Handlers are functions of the request, the catalog and the accounts; faults are applied
//! afterwards by the server. Malformed requests get 400/404/405, never a panic.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use base64::Engine as _;
use bytes::Bytes;
use hyper::Method;
use hyper::header::{CONTENT_TYPE, HeaderMap, HeaderName, LOCATION, SET_COOKIE};
use hyper::http::request::Parts;
use serde_json::{Value, json};

use crate::accounts::Viewer;
use crate::catalog::{AlbumSpec, ChapterSpec, Period, mix};
use crate::crypto::{self, md5_hex};
use crate::emulator::{HostRole, MissingStyle, Shared, TemplateSecret};
use crate::pages::EncodeKey;
use crate::query::{self, Filter, Order};
use crate::site::{
    ApiRoute, CATALOG_PATH, CATEGORIES, CONTENT_SECRET, DOMAIN_SERVER_PATH, NOT_LEGAL_BODY,
    SEARCH_PAGE_SIZE, TOKEN_SECRET,
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

pub(crate) const JSON: &str = "application/json; charset=utf-8";
pub(crate) const HTML: &str = "text/html; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

impl Reply {
    pub(crate) fn new(status: u16, content_type: &'static str, body: impl Into<Bytes>) -> Self {
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

    pub(crate) fn html(status: u16, body: impl Into<Bytes>) -> Self {
        Self::new(status, HTML, body)
    }

    /// A redirect to `location` (301, 302, ...).
    pub(crate) fn redirect(status: u16, location: impl Into<String>) -> Self {
        Self::html(status, "").with_header(LOCATION, location)
    }

    /// Adds a response header.
    pub(crate) fn with_header(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub(crate) fn method_not_allowed() -> Self {
        Self::text(405, "method not allowed\n")
    }

    pub(crate) fn not_found() -> Self {
        Self::new(
            404,
            HTML,
            "<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>\
             <body><h1>404 Not Found</h1></body></html>\n",
        )
    }

    pub(crate) fn bad_request(why: &str) -> Self {
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
    pub(crate) fn envelope(ts: &str, data: &Value) -> Self {
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

/// One request, its query and its form fields decoded.
pub(crate) struct Req<'a> {
    pub parts: &'a Parts,
    pub query: Vec<(String, String)>,
    pub form: Vec<(String, String)>,
}

impl<'a> Req<'a> {
    /// Decodes the query and, unless the body says it is something else, the body as an
    /// `application/x-www-form-urlencoded` form.
    pub(crate) fn new(parts: &'a Parts, body: &Bytes) -> Self {
        let is_form = header(&parts.headers, CONTENT_TYPE.as_str())
            .is_none_or(|t| t.starts_with("application/x-www-form-urlencoded"));
        let form = if is_form && !body.is_empty() {
            parse_query(Some(&String::from_utf8_lossy(body)))
        } else {
            Vec::new()
        };
        Self {
            parts,
            query: parse_query(parts.uri.query()),
            form,
        }
    }

    pub(crate) fn path(&self) -> &str {
        self.parts.uri.path()
    }

    pub(crate) fn method(&self) -> &Method {
        &self.parts.method
    }

    pub(crate) fn headers(&self) -> &HeaderMap {
        &self.parts.headers
    }

    /// A query parameter.
    pub(crate) fn query(&self, name: &str) -> Option<&str> {
        param(&self.query, name)
    }

    /// A form field.
    pub(crate) fn form(&self, name: &str) -> Option<&str> {
        param(&self.form, name)
    }

    /// A form field, else a query parameter of that name.
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.form(name).or_else(|| self.query(name))
    }
}

/// Routes one request by the role of its host: API hosts serve the API and the
/// domain-server file, CDN hosts `/media/...`, HTML hosts the web site, the discovery host
/// the permanent link and the publish page.
pub(crate) async fn route(shared: &Arc<Shared>, host: usize, parts: &Parts, body: &Bytes) -> Reply {
    let req = Req::new(parts, body);
    let path = req.path();
    match shared.role(host) {
        HostRole::Api => {
            if path == DOMAIN_SERVER_PATH || path == CATALOG_PATH {
                if req.method() != Method::GET {
                    return Reply::method_not_allowed();
                }
                return if path == DOMAIN_SERVER_PATH {
                    domain_server_file(shared)
                } else {
                    catalog_listing(shared)
                };
            }
            match ApiRoute::from_path(path) {
                Some(api) if api.allows(req.method()) => api_route(shared, api, &req),
                Some(_) => Reply::method_not_allowed(),
                None => Reply::not_found(),
            }
        }
        HostRole::Cdn => {
            if req.method() != Method::GET {
                return Reply::method_not_allowed();
            }
            cdn_route(shared, path).await
        }
        HostRole::Html => crate::web::route(shared, &req),
        HostRole::Discovery => crate::web::discovery(shared, &req),
    }
}

/// Form-decodes a query string (`+` = space, UTF-8 percent escapes; spec §6.2.3).
pub(crate) fn parse_query(query: Option<&str>) -> Vec<(String, String)> {
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

pub(crate) fn param<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// A decimal id (digits only, fits in u64).
pub(crate) fn parse_id(text: &str) -> Option<u64> {
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
    let lenient = api == ApiRoute::Setting && shared.cfg.setting_accepts_old_versions;
    if !lenient && !version_at_least(&version, &shared.cfg.min_app_version) {
        return Err(reject());
    }
    if let Some(max_skew) = shared.cfg.max_clock_skew {
        let now = shared
            .clock()
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

fn api_route(shared: &Shared, api: ApiRoute, req: &Req<'_>) -> Reply {
    let ts = match authenticate(shared, api, req.headers()) {
        Ok(ts) => ts,
        Err(reply) => return reply,
    };
    let viewer = shared.viewer(req.headers());
    let viewer = viewer.as_ref().map(|(_, v)| v);
    match api {
        ApiRoute::Setting => setting(shared, &ts),
        ApiRoute::Album | ApiRoute::Chapter => {
            let Some(id) = req.query("id").and_then(parse_id) else {
                return Reply::bad_request("id must be a decimal number");
            };
            let cookies_ok = !shared.cfg.require_cookies || has_session_cookie(req.headers());
            if api == ApiRoute::Album {
                album(shared, &ts, id, cookies_ok, viewer)
            } else {
                chapter(shared, &ts, id, cookies_ok, viewer)
            }
        }
        ApiRoute::ChapterViewTemplate => {
            let Some(id) = req.query("id").and_then(parse_id) else {
                return Reply::bad_request("id must be a decimal number");
            };
            chapter_view_template(shared, id, viewer.is_some())
        }
        ApiRoute::Search => search(shared, &ts, req, false, viewer),
        ApiRoute::CategoriesFilter => search(shared, &ts, req, true, viewer),
        ApiRoute::Login
        | ApiRoute::Favorite
        | ApiRoute::Forum
        | ApiRoute::Daily
        | ApiRoute::DailyCheck => crate::api_user::route(shared, api, &ts, req),
    }
}

/// Whether an anonymous request may not see this album on the API.
fn hidden_from(shared: &Shared, album: &AlbumSpec, viewer: Option<&Viewer>) -> bool {
    album.login_only && viewer.is_none() && !shared.cfg.api_shows_login_only
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

pub(crate) fn cover_url(shared: &Shared, album_id: u64) -> String {
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
/// `is_favorite` and `liked` are the viewer's (spec Appendix A), `false` when anonymous.
fn album_json(
    shared: &Shared,
    album: &AlbumSpec,
    as_chapter: Option<&ChapterSpec>,
    viewer: Option<&Viewer>,
) -> Value {
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
        "comment_total": comment_total(shared, album).to_string(),
        "tags": album.tags,
        "works": album.works,
        "actors": album.actors,
        "related_list": related_json(shared, album),
        "liked": viewer.is_some_and(|v| v.liked.contains(&album.id)),
        "is_favorite": viewer.is_some_and(|v| v.favorites.contains(&album.id)),
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

/// The album's comment count: its top-level comments, posted ones included (the
/// placeholder has none).
pub(crate) fn comment_total(shared: &Shared, album: &AlbumSpec) -> usize {
    if album.id == shared.catalog.placeholder.id {
        return album.comments as usize;
    }
    shared.comments.count(&shared.catalog, album.id)
}

/// Chapter JSON (spec §6.2.5).
fn chapter_json(album: &AlbumSpec, ch: &ChapterSpec, viewer: Option<&Viewer>) -> Value {
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
        "is_favorite": viewer.is_some_and(|v| v.favorites.contains(&album.id)),
        "liked": viewer.is_some_and(|v| v.liked.contains(&album.id)),
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

fn album(shared: &Shared, ts: &str, id: u64, cookies_ok: bool, viewer: Option<&Viewer>) -> Reply {
    if !cookies_ok {
        // Spec §6.2.7: without cookies every album "redirects" to the placeholder.
        let placeholder = &shared.catalog.placeholder;
        return Reply::envelope(ts, &album_json(shared, placeholder, None, viewer));
    }
    if let Some(album) = shared.album(id) {
        if hidden_from(shared, album, viewer) {
            return missing(shared, ts, true);
        }
        return Reply::envelope(ts, &album_json(shared, album, None, viewer));
    }
    if let Some((ch, album)) = shared.chapter(id) {
        if hidden_from(shared, album, viewer) {
            return missing(shared, ts, true);
        }
        return Reply::envelope(ts, &album_json(shared, album, Some(ch), viewer));
    }
    missing(shared, ts, true)
}

fn chapter(shared: &Shared, ts: &str, id: u64, cookies_ok: bool, viewer: Option<&Viewer>) -> Reply {
    if !cookies_ok {
        let placeholder = &shared.catalog.placeholder;
        if let Some(first) = placeholder.chapters.first() {
            return Reply::envelope(ts, &chapter_json(placeholder, first, viewer));
        }
    }
    match shared.chapter(id) {
        Some((_, album)) if hidden_from(shared, album, viewer) => missing(shared, ts, false),
        Some((ch, album)) => Reply::envelope(ts, &chapter_json(album, ch, viewer)),
        None => missing(shared, ts, false),
    }
}

pub(crate) fn html_escape(text: &str) -> String {
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
fn chapter_view_template(shared: &Shared, id: u64, logged_in: bool) -> Reply {
    let found = shared
        .chapter(id)
        .filter(|(_, album)| !(album.login_only && !logged_in && !shared.cfg.api_shows_login_only));
    let Some((ch, album)) = found else {
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

/// The category object of a search item: `{id, title}` (spec §6.2.3). The numeric ids are
/// the emulator's (1 for `doujin`, 2 for `single`, ... in spec §6.1.1b order); the titles
/// are the spec's names.
pub(crate) fn category_json(slug: &str) -> Value {
    let title = match slug {
        "doujin" => "同人",
        "single" => "單本",
        "short" => "短篇",
        "another" => "其他",
        "hanman" => "韓漫",
        "meiman" => "美漫",
        "doujin_cosplay" => "Cosplay",
        "3D" => "3D",
        "english_site" => "English",
        _ => "",
    };
    let id = CATEGORIES
        .iter()
        .position(|c| *c == slug)
        .map_or(0, |i| i + 1);
    json!({"id": id.to_string(), "title": title})
}

fn search_item(shared: &Shared, album: &AlbumSpec, viewer: Option<&Viewer>) -> Value {
    let sub = album.sub_category.as_deref();
    json!({
        "id": album.id.to_string(),
        "author": album.authors.first().cloned().unwrap_or_default(),
        "description": album.description,
        "name": album.title,
        "image": cover_url(shared, album.id),
        "category": category_json(&album.category),
        "category_sub": {"id": sub, "title": sub},
        "tags": album.tags,
        "liked": viewer.is_some_and(|v| v.liked.contains(&album.id)),
        "is_favorite": viewer.is_some_and(|v| v.favorites.contains(&album.id)),
        "update_at": album.update_time(),
    })
}

/// The favourites list's item: a search item plus the latest chapter (spec §6.2.3:
/// "Favourite items additionally have `latest_ep`, `latest_ep_aid`").
pub(crate) fn favorite_item(shared: &Shared, album: &AlbumSpec, viewer: Option<&Viewer>) -> Value {
    let mut item = search_item(shared, album, viewer);
    let latest = album.chapters.iter().max_by_key(|c| c.sort);
    if let (Value::Object(fields), Some(latest)) = (&mut item, latest) {
        fields.insert("latest_ep".into(), Value::from(latest.title.clone()));
        fields.insert("latest_ep_aid".into(), Value::from(latest.id.to_string()));
    }
    item
}

/// A 1-based page number; absent or empty = 1.
pub(crate) fn page_param(value: Option<&str>) -> Result<u64, Reply> {
    match value.filter(|p| !p.is_empty()) {
        None => Ok(1),
        Some(p) => parse_id(p)
            .map(|n| n.max(1))
            .ok_or_else(|| Reply::bad_request("page must be a number")),
    }
}

/// `/search` and `/categories/filter` (spec §6.2.3): 80 items a page. The search's time
/// is `t`; the category listing's is the suffix of `o` (`mv_m`, spec §6.2.3), or `t` if
/// sent. `/categories/filter` filters on `c` (an unknown category lists nothing);
/// `/search` on the query in the fields `main_tag` selects.
fn search(
    shared: &Shared,
    ts: &str,
    req: &Req<'_>,
    category: bool,
    viewer: Option<&Viewer>,
) -> Reply {
    let page = match page_param(req.query("page")) {
        Ok(p) => p,
        Err(reply) => return reply,
    };
    let main_tag = match req.query("main_tag").filter(|p| !p.is_empty()) {
        None => 0,
        Some(t) => match parse_id(t) {
            Some(n) => u8::try_from(n).unwrap_or(0),
            None => return Reply::bad_request("main_tag must be a number"),
        },
    };
    let text = if category {
        ""
    } else {
        req.query("search_query").unwrap_or_default().trim()
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
    let (order, order_period) = Order::parse(req.query("o").unwrap_or("mr"));
    let period = req
        .query("t")
        .and_then(Period::from_wire)
        .or(order_period)
        .unwrap_or(Period::All);
    let category_slug = if category {
        req.query("c").filter(|c| !c.is_empty() && *c != "0")
    } else {
        None
    };
    let filter = Filter {
        text,
        main_tag,
        order,
        period,
        category: category_slug,
        sub_category: None,
    };
    let hits = query::run(&shared.catalog, &filter);
    let content: Vec<Value> = query::page_of(&hits, page, SEARCH_PAGE_SIZE)
        .iter()
        .map(|a| search_item(shared, a, viewer))
        .collect();
    let data = json!({
        "search_query": text,
        "total": hits.len().to_string(),
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
}
