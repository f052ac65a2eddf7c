//! The web site on HTML hosts (spec §6.3.3) and the discovery host (spec §6.3.1).
//!
//! Pages come from the same catalog, accounts and comments as the API, so a client can
//! compare what both sides say. Who is logged in is decided by the `AVS` cookie (spec
//! §6.3.3), whichever side's login made it.

use std::fmt::Write as _;

use hyper::Method;
use hyper::header::SET_COOKIE;
use serde_json::{Value, json};

use crate::accounts::{AddError, LoginError, Viewer};
use crate::api_user::{
    CHECKIN_COIN, CHECKIN_EXP, DAILY_ID, favorites_listing, month_record, signed_this_month,
};
use crate::catalog::{AlbumSpec, Period};
use crate::comments::{PostError, Poster};
use crate::emulator::{Shared, cookie};
use crate::markup::{self, Ctx};
use crate::query::{self, Filter, Order, page_count, page_of};
use crate::routes::{Reply, Req, comment_total, page_param, parse_id};
use crate::site::{
    ALREADY_FAVORITE, ALREADY_SIGNED, CATEGORIES, COMMENT_PAGE_SIZE, ERROR_ALBUM_MISSING,
    ERROR_INVALID_MODULE, ERROR_USER_MISSING, FAVORITE_PAGE_SIZE, PERMANENT_LINK_PATH,
    SEARCH_PAGE_SIZE, SESSION_COOKIE,
};

/// Favourites a user may keep (the second number of `總數 : N / M`).
const FAVORITES_MAX: u64 = 400;

/// Sub-categories each category accepts (spec §6.1.1b): the generic `chinese` and
/// `japanese`, plus the category's own.
fn sub_category_allowed(category: &str, sub: &str) -> bool {
    matches!(sub, "chinese" | "japanese")
        || match category {
            "another" => matches!(sub, "other" | "3d" | "cosplay"),
            "doujin" => sub == "CG",
            "single" => sub == "youth",
            _ => false,
        }
}

/// The ajax answers, written like PHP's `json_encode` does by default: non-ASCII as
/// `\uXXXX` and `/` as `\/` (spec §6.3.3 speaks of decoding `\uXXXX` escapes in `msg`).
fn php_json(value: &Value) -> Reply {
    let mut out = String::new();
    for c in value.to_string().chars() {
        if c == '/' {
            out.push_str("\\/");
        } else if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        }
    }
    Reply::new(200, crate::routes::JSON, out)
}

/// The site's alert box, the shape `msg` has in the favourite answers (the client narrows
/// it with `</button>(.*?)</div>`, spec §6.3.3).
fn alert(kind: &str, message: &str) -> String {
    format!(
        "<div class=\"alert alert-{kind}\"><button type=\"button\" class=\"close\" data-dismiss=\"alert\">×</button>{message}</div>"
    )
}

struct Page<'a> {
    shared: &'a Shared,
    req: &'a Req<'a>,
    viewer: Option<(usize, Viewer)>,
    site: String,
}

impl Page<'_> {
    fn ctx(&self) -> Ctx<'_> {
        Ctx {
            site: &self.site,
            cdn: self.shared.cdn(),
            viewer: self.viewer.as_ref().map(|(_, v)| v),
        }
    }

    fn logged_in(&self) -> bool {
        self.viewer.is_some()
    }

    /// A redirect to an error page of this host (spec §6.3.4 step 4).
    fn error_redirect(&self, path: &str) -> Reply {
        Reply::redirect(302, format!("{}{path}", self.site))
    }
}

/// Routes a request to an HTML host.
pub(crate) fn route(shared: &Shared, req: &Req<'_>) -> Reply {
    let host = req
        .headers()
        .get(hyper::header::HOST)
        .and_then(|h| h.to_str().ok());
    // Links and redirects name the host the client used, as a web server's would; the
    // first HTML domain when there is no Host header.
    let site = match host {
        Some(h) => {
            let scheme = if shared.tls.is_some() {
                "https"
            } else {
                "http"
            };
            format!("{scheme}://{h}")
        }
        None => shared.html_domains.first().cloned().unwrap_or_default(),
    };
    let page = Page {
        shared,
        req,
        viewer: shared.viewer(req.headers()),
        site,
    };
    let path = req.path().to_owned();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let get = req.method() == Method::GET;
    let post = req.method() == Method::POST;
    match (segments.as_slice(), get, post) {
        ([], true, _) => home(&page),
        (["album", id, ..], true, _) => album(&page, id),
        (["photo", id, ..], true, _) => photo(&page, id),
        (["search", "photos", rest @ ..], true, _) => listing(&page, rest, true),
        (["albums", rest @ ..], true, _) => listing(&page, rest, false),
        (["login"], true, _) => Reply::html(200, markup::login_page(&page.ctx())),
        (["login"], _, true) => login(&page),
        (["logout"], true, _) => logout(&page),
        (["user", name, "favorite", "albums"], true, _) => favorites(&page, name),
        // 2.7.4 sends the add as a GET with a form body, 2.7.10 as a POST (W20).
        (["ajax", "favorite_album"], _, _) if get || post => add_favorite(&page),
        (["ajax", "delete_favorite_album"], _, true) => delete_favorite(&page),
        (["ajax", "album_comment"], _, true) => post_comment(&page),
        (["ajax", "album_pagination"], _, true) => album_comments(&page),
        (["ajax", "forum_more"], _, true) => forum(&page),
        (["ajax", "user_daily_event"], true, _) => daily_event(&page),
        (["ajax", "user_daily_sign"], _, true) => daily_sign(&page),
        (["error", "album_missing"], true, _) => Reply::html(
            200,
            markup::error_page(&page.ctx(), "此本子不存在或已被刪除"),
        ),
        (["error", "user_missing"], true, _) => Reply::html(
            200,
            markup::error_page(
                &page.ctx(),
                "此用戶名稱不存在，或者你没有登录，請再次確認使用名稱",
            ),
        ),
        (["error", "invalid_module"], true, _) => Reply::html(
            200,
            markup::error_page(
                &page.ctx(),
                "發生了無法預期的錯誤。若問題持續發生，請聯繫客服支援",
            ),
        ),
        _ if !get && !post => Reply::method_not_allowed(),
        _ => Reply::not_found(),
    }
}

fn home(page: &Page<'_>) -> Reply {
    let filter = Filter {
        text: "",
        main_tag: 0,
        order: Order::Latest,
        period: Period::All,
        category: None,
        sub_category: None,
    };
    let latest = query::run(&page.shared.catalog, &filter);
    let latest = &latest[..latest.len().min(8)];
    Reply::html(200, markup::home_page(&page.ctx(), DAILY_ID, latest))
}

/// The album an HTML id names when this viewer may see it: `Ok(album)`; a chapter id that
/// is not its album's first redirects to its album (the emulator's choice: the spec does
/// not say what the HTML site does with it); missing or login-only for anonymous:
/// `/error/album_missing` (spec §6.3.4 step 4).
fn visible_album<'s>(page: &Page<'s>, id: &str) -> Result<&'s AlbumSpec, Reply> {
    let shared = page.shared;
    let id = parse_id(id).ok_or_else(|| page.error_redirect(ERROR_ALBUM_MISSING))?;
    let Some(album) = shared.album(id) else {
        return Err(match shared.chapter(id) {
            Some((_, album)) if !album.login_only || page.logged_in() => {
                Reply::redirect(302, format!("{}/album/{}/", page.site, album.id))
            }
            _ => page.error_redirect(ERROR_ALBUM_MISSING),
        });
    };
    if album.login_only && !page.logged_in() {
        return Err(page.error_redirect(ERROR_ALBUM_MISSING));
    }
    Ok(album)
}

fn album(page: &Page<'_>, id: &str) -> Reply {
    let album = match visible_album(page, id) {
        Ok(a) => a,
        Err(reply) => return reply,
    };
    let shared = page.shared;
    let scramble_id = album
        .chapters
        .first()
        .map_or(album.scramble_id, |c| album.chapter_scramble_id(c));
    let data = markup::AlbumPageData {
        comment_count: comment_total(shared, album),
        scramble_id,
    };
    let html = markup::album_page(&page.ctx(), album, &data);
    if shared.cfg.html_album_base64 {
        Reply::html(200, markup::base64_wrapped(&html))
    } else {
        Reply::html(200, html)
    }
}

fn photo(page: &Page<'_>, id: &str) -> Reply {
    let shared = page.shared;
    let found = parse_id(id).and_then(|id| shared.chapter(id));
    let Some((ch, album)) = found else {
        return page.error_redirect(ERROR_ALBUM_MISSING);
    };
    if album.login_only && !page.logged_in() {
        return page.error_redirect(ERROR_ALBUM_MISSING);
    }
    let scramble_id = album.chapter_scramble_id(ch);
    Reply::html(200, markup::photo_page(&page.ctx(), album, ch, scramble_id))
}

/// `/search/photos[/{category}[/sub/{sub}]]?main_tag=&search_query=&page=&o=&t=` and
/// `/albums[/{category}[/sub/{sub}]]?page=&o=&t=` (spec §6.3.3). An unknown category or
/// sub-category goes to `/error/invalid_module` (the emulator's choice of trigger for that
/// page). A search for an album id redirects to the album (spec §6.3.3 "search
/// redirect"); an empty search is the "keyword too short" fieldset.
fn listing(page: &Page<'_>, rest: &[&str], search: bool) -> Reply {
    let shared = page.shared;
    let req = page.req;
    let (category, sub) = match rest {
        [] => (None, None),
        [c] => (Some(*c), None),
        [c, "sub", s] => (Some(*c), Some(*s)),
        _ => return page.error_redirect(ERROR_INVALID_MODULE),
    };
    let category = category.filter(|c| *c != "0");
    if let Some(c) = category
        && !CATEGORIES.contains(&c)
    {
        return page.error_redirect(ERROR_INVALID_MODULE);
    }
    if let Some(s) = sub
        && !category.is_some_and(|c| sub_category_allowed(c, s))
    {
        return page.error_redirect(ERROR_INVALID_MODULE);
    }
    let page_no = match page_param(req.query("page")) {
        Ok(p) => p,
        Err(reply) => return reply,
    };
    let text = if search {
        req.query("search_query").unwrap_or_default().trim()
    } else {
        ""
    };
    if search {
        if text.is_empty() {
            return Reply::html(
                200,
                markup::search_error(&page.ctx(), "搜尋錯誤", "搜尋的關鍵字太短，請重新輸入。"),
            );
        }
        if let Some(album) = parse_id(text).and_then(|id| shared.album(id))
            && album.id != shared.catalog.placeholder.id
        {
            return Reply::redirect(302, format!("{}/album/{}/", page.site, album.id));
        }
    }
    let main_tag = req
        .query("main_tag")
        .and_then(parse_id)
        .and_then(|n| u8::try_from(n).ok())
        .unwrap_or(0);
    let o = req.query("o").unwrap_or("mr");
    let (order, o_period) = Order::parse(o);
    let t = req.query("t").unwrap_or("a");
    let period = Period::from_wire(t).or(o_period).unwrap_or(Period::All);
    let filter = Filter {
        text,
        main_tag,
        order,
        period,
        category,
        sub_category: sub,
    };
    let hits = query::run(&shared.catalog, &filter);
    let albums = page_of(&hits, page_no, SEARCH_PAGE_SIZE);
    let pages = page_count(hits.len(), SEARCH_PAGE_SIZE);
    let mut base = if search {
        "/search/photos".to_owned()
    } else {
        "/albums".to_owned()
    };
    if let Some(c) = category {
        base.push('/');
        base.push_str(c);
        if let Some(s) = sub {
            base.push_str("/sub/");
            base.push_str(s);
        }
    }
    let q = markup::url(text);
    let (o, t) = (markup::url(o), markup::url(t));
    let href = |n: usize| {
        if search {
            format!(
                "{base}?main_tag={main_tag}&amp;search_query={q}&amp;page={n}&amp;o={o}&amp;t={t}"
            )
        } else {
            format!("{base}?page={n}&amp;o={o}&amp;t={t}")
        }
    };
    let title = if search { "搜尋結果" } else { "分類" };
    Reply::html(
        200,
        markup::list_page(&page.ctx(), title, albums, hits.len(), pages, page_no, href),
    )
}

/// `POST /login` (form `username`, `password`, ...; spec §6.3.3): JSON `{"status":1,...}`
/// and the `AVS` cookie, or `{"status":0,"errors":[…],"msg":…}` (2.7.10 reads `status`,
/// then the first of `errors`/`msg`). A request already carrying a live session of the
/// same user gets the success answer without a new cookie: the Python client keeps its old
/// cookies when a repeated login returns no `AVS` (spec §6.3.3 quirk), which this
/// reproduces.
fn login(page: &Page<'_>) -> Reply {
    let req = page.req;
    let username = req.form("username").unwrap_or_default();
    let password = req.form("password").unwrap_or_default();
    let mut state = page.shared.state();
    let same_user = page
        .viewer
        .as_ref()
        .is_some_and(|(_, v)| v.username == username);
    if same_user {
        let ok = state
            .user_by_name(username)
            .is_some_and(|i| state.user(i).spec.password_is(password));
        if ok {
            return php_json(&json!({"status": 1, "msg": "登入成功", "username": username}));
        }
    }
    match state.login(username, password) {
        Ok((index, session)) => {
            let uid = state.user(index).uid;
            drop(state);
            php_json(&json!({"status": 1, "msg": "登入成功", "username": username, "uid": uid}))
                .with_header(
                    SET_COOKIE,
                    format!("{SESSION_COOKIE}={session}; Path=/; HttpOnly"),
                )
        }
        Err(LoginError::NoSuchUser | LoginError::WrongPassword) => {
            let msg = "帳號或密碼錯誤";
            php_json(&json!({"status": 0, "errors": [msg], "msg": msg}))
        }
    }
}

/// `GET /logout`: ends the session and goes home.
fn logout(page: &Page<'_>) -> Reply {
    if let Some(token) = cookie(page.req.headers(), SESSION_COOKIE) {
        page.shared.state().end_session(token);
    }
    Reply::redirect(302, format!("{}/", page.site)).with_header(
        SET_COOKIE,
        format!("{SESSION_COOKIE}=deleted; Path=/; Max-Age=0"),
    )
}

/// `/user/{username}/favorite/albums?page=&o=&folder=` (spec §6.3.3): the logged-in
/// user's own favourites; anyone else's, or no login: `/error/user_missing` (spec §6.3.4:
/// "此用戶名稱不存在，或者你没有登录").
fn favorites(page: &Page<'_>, name: &str) -> Reply {
    let name = percent_encoding::percent_decode_str(name).decode_utf8_lossy();
    let Some((index, viewer)) = &page.viewer else {
        return page.error_redirect(ERROR_USER_MISSING);
    };
    if viewer.username != name {
        return page.error_redirect(ERROR_USER_MISSING);
    }
    let req = page.req;
    let page_no = match page_param(req.query("page")) {
        Ok(p) => p,
        Err(reply) => return reply,
    };
    let folder = req.query("folder").and_then(parse_id).unwrap_or(0);
    let order = req.query("o").unwrap_or("mr");
    let listing = favorites_listing(page.shared, *index, folder, order);
    let albums: Vec<&AlbumSpec> = page_of(&listing.albums, page_no, FAVORITE_PAGE_SIZE)
        .iter()
        .filter_map(|&aid| page.shared.album(aid))
        .collect();
    let data = markup::FavoritesPage {
        username: &viewer.username,
        albums,
        total: listing.albums.len(),
        max: FAVORITES_MAX,
        folders: &listing.folders,
        folder,
        order,
        page: page_no,
        pages: page_count(listing.albums.len(), FAVORITE_PAGE_SIZE),
    };
    Reply::html(200, markup::favorites_page(&page.ctx(), &data))
}

/// `/ajax/favorite_album` (form `album_id`, `fid`; spec §6.3.3, Appendix A): `{status: 1}`
/// when added; `{status: 0, msg: <alert>此圖片已經在您最喜愛的清單！</alert>}` when it already
/// is a favourite. Unlike the API's `/favorite` this is not a toggle. The other refusals
/// (no login, unknown album or folder) are the emulator's, in the same shape.
fn add_favorite(page: &Page<'_>) -> Reply {
    let fail = |message: &str| php_json(&json!({"status": 0, "msg": alert("danger", message)}));
    let Some((index, _)) = &page.viewer else {
        return fail("請先登入");
    };
    let Some(aid) = page
        .req
        .param("album_id")
        .and_then(parse_id)
        .filter(|&id| page.shared.catalog.albums.iter().any(|a| a.id == id))
    else {
        return fail("本子不存在");
    };
    let fid = page.req.param("fid").and_then(parse_id).unwrap_or(0);
    match page.shared.state().add_favorite(*index, aid, fid) {
        Ok(()) => php_json(&json!({"status": 1, "msg": alert("success", "已加入收藏！")})),
        Err(AddError::Already) => fail(ALREADY_FAVORITE),
        Err(AddError::NoSuchFolder) => fail("資料夾不存在"),
    }
}

/// `POST /ajax/delete_favorite_album` (form `album_id`; 2.7.10): `{status: 1}` when removed,
/// `{status: 0, msg}` when it was not a favourite (the answer's texts are the emulator's).
fn delete_favorite(page: &Page<'_>) -> Reply {
    let Some((index, _)) = &page.viewer else {
        return php_json(&json!({"status": 0, "msg": alert("danger", "請先登入")}));
    };
    let aid = page.req.param("album_id").and_then(parse_id).unwrap_or(0);
    if page.shared.state().remove_favorite(*index, aid) {
        php_json(&json!({"status": 1, "msg": alert("success", "已移除收藏")}))
    } else {
        php_json(&json!({"status": 0, "msg": alert("danger", "此本子不在您的收藏中")}))
    }
}

/// `POST /ajax/album_comment` (form `video_id`, `comment`, `originator`, `status`; a reply
/// adds `comment_id`, `is_reply=1`, `forum_subject=1`; spec §6.3.3): `{err: false, cid}`.
/// Logged-in users only. `originator` and `status` are accepted and ignored: the spec does
/// not say what they change.
fn post_comment(page: &Page<'_>) -> Reply {
    let fail = |message: &str| php_json(&json!({"err": true, "msg": message}));
    let Some((_, viewer)) = &page.viewer else {
        return fail("請先登入");
    };
    let req = page.req;
    let text = req.form("comment").unwrap_or_default();
    let reply_to = if req.form("is_reply") == Some("1") {
        match req.form("comment_id").and_then(parse_id) {
            Some(id) => Some(id),
            None => return fail("comment_id 錯誤"),
        }
    } else {
        None
    };
    let aid = req.form("video_id").and_then(parse_id).unwrap_or(0);
    let poster = Poster {
        uid: viewer.uid,
        username: &viewer.username,
    };
    let shared = page.shared;
    match shared
        .comments
        .post(&shared.catalog, aid, reply_to, &poster, text, shared.now())
    {
        Ok(cid) => php_json(&json!({"err": false, "cid": cid, "msg": "留言成功"})),
        Err(PostError::Empty) => fail("留言內容不能為空"),
        Err(PostError::NoSuchAlbum) => fail("本子不存在"),
        Err(PostError::NoSuchParent) => fail("回覆的留言不存在"),
    }
}

/// `POST /ajax/album_pagination` (form `video_id`, `page`, …; spec §6.3.3):
/// `{err: false, code: "<html>"}` with ten comments and the pager. Past the last page: no
/// comments (spec §6.1.1: the async generator stops at an empty page).
fn album_comments(page: &Page<'_>) -> Reply {
    let shared = page.shared;
    let req = page.req;
    let aid = req.param("video_id").and_then(parse_id).unwrap_or(0);
    let page_no = match page_param(req.param("page")) {
        Ok(p) => p,
        Err(reply) => return reply,
    };
    let (items, total) =
        shared
            .comments
            .album_page(&shared.catalog, aid, page_no, COMMENT_PAGE_SIZE);
    let title = shared.album(aid).map_or("", |a| a.title.as_str());
    let pages = if total == 0 {
        0
    } else {
        page_count(total, COMMENT_PAGE_SIZE)
    };
    let html = markup::album_comments(&page.ctx(), aid, title, &items, pages);
    php_json(&json!({"err": false, "code": html}))
}

/// `POST /ajax/forum_more` (form `page`, `with_ad_wcm`; spec §6.3.3): `{err: false,
/// message: ["<html of one comment>", …]}`, ten a page, newest first; past the last page
/// the last page again (spec §6.1.1: "HTML returns the last page repeatedly"). The spec
/// says these answers carry HTML in `code` or in `message` (a list or a string); the
/// emulator uses `code` for album comments and a list in `message` here, so a client meets
/// both.
fn forum(page: &Page<'_>) -> Reply {
    let shared = page.shared;
    let page_no = match page_param(page.req.param("page")) {
        Ok(p) => p,
        Err(reply) => return reply,
    };
    let (items, _) = shared
        .comments
        .forum_page(&shared.catalog, page_no, COMMENT_PAGE_SIZE, true);
    let ctx = page.ctx();
    let message: Vec<String> = items
        .iter()
        .map(|c| {
            let title = shared.album(c.aid).map_or("", |a| a.title.as_str());
            markup::comment(&ctx, c, title)
        })
        .collect();
    php_json(&json!({"err": false, "message": message}))
}

/// `GET /ajax/user_daily_event?daily_id=` (Appendix A): `{dateArray, dateMiss, dateEvent,
/// oldStep, error, pc_img, mb_img}`. `dateArray` holds the signed dates of this month,
/// `dateMiss` the past unsigned ones, `dateEvent` the bonus days, `oldStep` the number of
/// signed days (what `/ajax/user_daily_sign` gets back); their exact meaning on the real
/// site is not in the spec.
fn daily_event(page: &Page<'_>) -> Reply {
    let Some((index, _)) = &page.viewer else {
        return php_json(&json!({"error": "請先登入"}));
    };
    if page.req.query("daily_id").and_then(parse_id) != Some(DAILY_ID) {
        return php_json(&json!({"error": "活動不存在"}));
    }
    let shared = page.shared;
    let state = shared.state();
    let user = state.user(*index);
    let today = shared.today();
    let days: Vec<Value> = month_record(shared, user).into_iter().flatten().collect();
    let today_text = markup::date(today as u64 * 86_400);
    let pick = |f: &dyn Fn(&Value) -> bool| -> Vec<Value> {
        days.iter()
            .filter(|d| f(d))
            .map(|d| d["date"].clone())
            .collect()
    };
    let data = json!({
        "dateArray": pick(&|d| d["signed"] == true),
        "dateMiss": pick(&|d| d["signed"] == false && d["date"].as_str().is_some_and(|s| *s < *today_text)),
        "dateEvent": pick(&|d| d["bonus"] == true),
        "oldStep": signed_this_month(shared, user),
        "error": "",
        "pc_img": format!("{}/media/daily/pc.jpg", shared.cdn()),
        "mb_img": format!("{}/media/daily/phone.jpg", shared.cdn()),
    });
    drop(state);
    php_json(&data)
}

/// `POST /ajax/user_daily_sign` (form `daily_id`, `oldStep`; Appendix A): `{status: 1,
/// msg}` the first time a day, `{status: 0, error: "finished", msg: "今天已經簽到過了"}`
/// after. `oldStep` is not checked (the spec does not say what the site does with a stale
/// one).
fn daily_sign(page: &Page<'_>) -> Reply {
    let Some((index, _)) = &page.viewer else {
        return php_json(&json!({"status": 0, "error": "請先登入"}));
    };
    if page.req.form("daily_id").and_then(parse_id) != Some(DAILY_ID) {
        return php_json(&json!({"status": 0, "error": "活動不存在"}));
    }
    let shared = page.shared;
    let today = shared.today();
    match shared
        .state()
        .check_in(*index, today, CHECKIN_COIN, CHECKIN_EXP)
    {
        Some((coin, exp)) => php_json(&json!({
            "status": 1,
            "msg": format!("簽到成功 Jcoin:{coin} EXP:{exp}"),
            "error": "",
        })),
        None => php_json(&json!({"status": 0, "error": "finished", "msg": ALREADY_SIGNED})),
    }
}

/// The discovery host: `GET /3YeBdF` → 301 to `/3YeBdF/` → 302 to an HTML domain (the
/// permanent link, spec §6.3.1: the client follows 301s and takes a 302's `Location`);
/// `GET /` → the publish page.
pub(crate) fn discovery(shared: &Shared, req: &Req<'_>) -> Reply {
    if req.method() != Method::GET {
        return Reply::method_not_allowed();
    }
    let own = shared.discovery_domain.as_deref().unwrap_or_default();
    match req.path() {
        "/" => Reply::html(200, markup::publish_page(&shared.html_domains)),
        p if p == PERMANENT_LINK_PATH => {
            Reply::redirect(301, format!("{own}{PERMANENT_LINK_PATH}/"))
        }
        p if p.strip_suffix('/') == Some(PERMANENT_LINK_PATH) => match shared.permanent_target() {
            Some(target) => Reply::redirect(302, format!("{target}/")),
            None => Reply::not_found(),
        },
        _ => Reply::not_found(),
    }
}
