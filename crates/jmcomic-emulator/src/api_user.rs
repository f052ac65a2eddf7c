//! The mobile API's account routes (spec §6.2.3, §6.2.9, Appendix A): `POST /login`,
//! `/favorite` (list and toggle), `/forum` (album comments and the site-wide feed),
//! `/daily` and `/daily_chk` (check-in). Answers are the usual encrypted envelope.
//!
//! The user is the one of the request's `AVS` cookie (the session `/login` opened on either
//! side). The spec does not say what these routes answer without a session; the emulator
//! answers like the "Not legal." rejection does, HTTP 200 with an unencrypted
//! `{"code":401,"data":[],"errorMsg":"請先登入"}`, which the Python client reports as an
//! error (`code != 200`, spec §6.2.4).

use hyper::header::SET_COOKIE;
use serde_json::{Value, json};

use crate::accounts::{LoginError, Toggled, User};
use crate::comments::Comment;
use crate::emulator::Shared;
use crate::query::page_of;
use crate::routes::{JSON, Reply, Req, favorite_item, page_param, parse_id};
use crate::site::{
    ALREADY_SIGNED, ApiRoute, COMMENT_PAGE_SIZE, FAVORITE_PAGE_SIZE, SESSION_COOKIE,
};

/// The check-in event's id (`daily_id`, Appendix A). One event that never ends: the
/// spec gives no rule for when events change.
pub(crate) const DAILY_ID: u64 = 34;
/// J-coins and experience a check-in earns (the spec's example message: `Jcoin:10 EXP:10`).
pub(crate) const CHECKIN_COIN: u64 = 10;
/// See [`CHECKIN_COIN`].
pub(crate) const CHECKIN_EXP: u64 = 10;
/// Favourites a user may keep (`album_favorites_max` of the login answer).
const FAVORITES_MAX: u64 = 400;

/// An unencrypted error answer with HTTP 200, like the real "Not legal." rejection.
fn api_error(code: u16, message: &str) -> Reply {
    let body = json!({"code": code, "data": [], "errorMsg": message});
    Reply::new(200, JSON, body.to_string())
}

fn login_required() -> Reply {
    api_error(401, "請先登入")
}

pub(crate) fn route(shared: &Shared, api: ApiRoute, ts: &str, req: &Req<'_>) -> Reply {
    match api {
        ApiRoute::Login => login(shared, ts, req),
        ApiRoute::Favorite => favorite(shared, ts, req),
        ApiRoute::Forum => forum(shared, ts, req),
        ApiRoute::Daily => daily(shared, ts, req),
        ApiRoute::DailyCheck => daily_check(shared, ts, req),
        _ => Reply::not_found(),
    }
}

/// The user object of the login answer (spec §6.2.3 lists the fields; their types follow a
/// public typing of the app's API: ids and counters the site keeps as text are strings).
pub(crate) fn user_json(user: &User, session: &str) -> Value {
    let level = 1 + user.exp / 100;
    json!({
        "uid": user.uid.to_string(),
        "username": user.spec.username,
        "email": format!("user{}@example.invalid", user.uid),
        "emailverified": "yes",
        "photo": "nopic-Male.gif?v=0",
        "fname": user.spec.username,
        "gender": "Male",
        "message": "",
        "coin": user.coin.to_string(),
        "album_favorites": user.favorites.len(),
        "s": session,
        "level_name": "静默的石头",
        "level": level,
        "nextLevelExp": level * 100,
        "exp": user.exp.to_string(),
        "expPercent": user.exp % 100,
        "badges": [],
        "album_favorites_max": FAVORITES_MAX,
    })
}

/// `POST /login` (form `username`, `password`): the user object, whose `s` is the session,
/// also sent as the `AVS` cookie (spec §6.2.9: the client keeps the response cookies plus
/// `AVS = s`). A wrong name or password: `{"code":401,...,"errorMsg":"帳號或密碼錯誤"}`
/// (the spec does not give the real answer).
fn login(shared: &Shared, ts: &str, req: &Req<'_>) -> Reply {
    let username = req.form("username").unwrap_or_default();
    let password = req.form("password").unwrap_or_default();
    let mut state = shared.state();
    match state.login(username, password) {
        Ok((index, session)) => {
            let data = user_json(state.user(index), &session);
            drop(state);
            let mut reply = Reply::envelope(ts, &data);
            reply.headers.push((
                SET_COOKIE,
                format!("{SESSION_COOKIE}={session}; Path=/; HttpOnly"),
            ));
            reply
        }
        Err(LoginError::NoSuchUser | LoginError::WrongPassword) => api_error(401, "帳號或密碼錯誤"),
    }
}

/// `/favorite`: with a form field `aid` (a POST, or the 2.7.4 GET with a form body, W20)
/// the toggle; else the list `?page=&folder_id=&o=` (spec §6.2.3).
fn favorite(shared: &Shared, ts: &str, req: &Req<'_>) -> Reply {
    let Some((index, viewer)) = shared.viewer(req.headers()) else {
        return login_required();
    };
    if req.method() == hyper::Method::POST || req.form("aid").is_some() {
        let Some(aid) = req.param("aid").and_then(parse_id) else {
            return Reply::envelope(ts, &json!({"status": "fail", "msg": "aid 錯誤"}));
        };
        if shared
            .album(aid)
            .is_none_or(|a| a.id == shared.catalog.placeholder.id)
        {
            // Not in the spec: an unknown album is refused with a status other than "ok"
            // (the client then raises with `msg`, spec §6.2.9).
            return Reply::envelope(ts, &json!({"status": "fail", "msg": "本子不存在"}));
        }
        let fid = req.param("folder_id").and_then(parse_id).unwrap_or(0);
        // The message texts are the emulator's; the spec gives only the shape.
        let data = match shared.state().toggle_favorite(index, aid, fid) {
            Toggled::Added => json!({"status": "ok", "msg": "加入收藏成功", "type": "add"}),
            Toggled::Removed => {
                json!({"status": "ok", "msg": "移除收藏成功", "type": "remove"})
            }
        };
        return Reply::envelope(ts, &data);
    }
    let page = match page_param(req.query("page")) {
        Ok(p) => p,
        Err(reply) => return reply,
    };
    let folder = req.query("folder_id").and_then(parse_id).unwrap_or(0);
    let order = req.query("o").unwrap_or("mr");
    let listing = favorites_listing(shared, index, folder, order);
    let content: Vec<Value> = page_of(&listing.albums, page, FAVORITE_PAGE_SIZE)
        .iter()
        .filter_map(|&aid| shared.album(aid))
        .map(|a| favorite_item(shared, a, Some(&viewer)))
        .collect();
    let folders: Vec<Value> = listing
        .folders
        .iter()
        .map(|(fid, name)| json!({"FID": fid.to_string(), "UID": viewer.uid.to_string(), "name": name}))
        .collect();
    // `count`: the spec names the field without saying what it counts; the emulator sends
    // the user's favourites over every folder.
    let data = json!({
        "list": content,
        "folder_list": folders,
        "total": listing.albums.len().to_string(),
        "count": listing.all.to_string(),
    });
    Reply::envelope(ts, &data)
}

/// A user's favourites in one folder, in one order, for both sides.
pub(crate) struct FavoritesListing {
    /// Album ids, in the order asked for.
    pub albums: Vec<u64>,
    /// The user's folders `(FID, name)` (folder 0, "all", is not one of them).
    pub folders: Vec<(u64, String)>,
    /// Favourites over every folder.
    pub all: usize,
}

/// Folder `0` lists every favourite, another folder its own ones; `mr` orders by when they
/// were added, newest first, `mp` by the albums' last update, newest first (spec §6.1.1b,
/// 2.7.10 `ORDER_FF_*`); anything else is `mr`.
pub(crate) fn favorites_listing(
    shared: &Shared,
    index: usize,
    folder: u64,
    order: &str,
) -> FavoritesListing {
    let state = shared.state();
    let user = state.user(index);
    let mut favs: Vec<_> = user
        .favorites
        .iter()
        .filter(|f| folder == 0 || f.fid == folder)
        .copied()
        .collect();
    if order == "mp" {
        favs.sort_by_key(|f| {
            let updated = shared
                .album(f.aid)
                .map_or(0, crate::catalog::AlbumSpec::update_time);
            std::cmp::Reverse((updated, f.seq))
        });
    } else {
        favs.sort_by_key(|f| std::cmp::Reverse(f.seq));
    }
    FavoritesListing {
        albums: favs.iter().map(|f| f.aid).collect(),
        folders: user
            .folders
            .iter()
            .map(|f| (f.fid, f.name.clone()))
            .collect(),
        all: user.favorites.len(),
    }
}

/// Text form of a comment's time: `YYYY-MM-DD HH:MM:SS` (UTC). The spec does not give the
/// format; both sides use this one, so they compare equal.
pub(crate) fn comment_time(secs: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(i64::try_from(secs).unwrap_or(0))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// A comment item of `/forum` (spec §6.2.3: `CID, AID, UID, parent_CID, content (HTML),
/// username, nickname, spoiler, addtime, likes, replys`). Ids and counts are strings, as
/// the site sends most numbers; `spoiler` is `"2"` for a spoiler (the value spec §2.5
/// reads as one), `"0"` otherwise.
pub(crate) fn comment_json(c: &Comment) -> Value {
    json!({
        "CID": c.cid.to_string(),
        "AID": c.aid.to_string(),
        "UID": c.uid.to_string(),
        "parent_CID": c.parent.to_string(),
        "username": c.username,
        "nickname": c.nickname,
        "content": c.content,
        "spoiler": if c.spoiler { "2" } else { "0" },
        "addtime": comment_time(c.addtime),
        "likes": c.likes.to_string(),
        "photo": format!("{}.jpg", c.uid),
        "replys": c.replies.iter().map(comment_json).collect::<Vec<_>>(),
    })
}

/// `GET /forum?mode=all&page=[&aid=]`: an album's comments, or every album's (spec §6.2.3),
/// 10 top-level comments a page, newest first.
fn forum(shared: &Shared, ts: &str, req: &Req<'_>) -> Reply {
    let page = match page_param(req.query("page")) {
        Ok(p) => p,
        Err(reply) => return reply,
    };
    let (items, total) = match req.query("aid").filter(|a| !a.is_empty()) {
        Some(aid) => match parse_id(aid) {
            Some(aid) => shared
                .comments
                .album_page(&shared.catalog, aid, page, COMMENT_PAGE_SIZE),
            None => return Reply::bad_request("aid must be a decimal number"),
        },
        None => shared
            .comments
            .forum_page(&shared.catalog, page, COMMENT_PAGE_SIZE, false),
    };
    let data = json!({
        "list": items.iter().map(comment_json).collect::<Vec<_>>(),
        "total": total.to_string(),
    });
    Reply::envelope(ts, &data)
}

/// The logged-in user, when the request's `user_id` (if any) is theirs.
fn checkin_user(shared: &Shared, req: &Req<'_>) -> Result<usize, Reply> {
    let (index, viewer) = shared.viewer(req.headers()).ok_or_else(login_required)?;
    match req.param("user_id") {
        Some(uid) if parse_id(uid) != Some(viewer.uid) => {
            Err(api_error(403, "user_id 與登入的帳號不符"))
        }
        _ => Ok(index),
    }
}

/// The days of the current month with their check-in marks, one list per week (Monday
/// first): the `record` of `/daily`. The shape `[[{date, signed, bonus}]]` is the spec's;
/// the grouping by week and `bonus` on every seventh day are the emulator's.
pub(crate) fn month_record(shared: &Shared, user: &User) -> Vec<Vec<Value>> {
    let today = shared.today();
    let date = time::Date::from_julian_day(2_440_588 + today as i32).unwrap_or(time::Date::MIN);
    let first = date.replace_day(1).unwrap_or(date);
    let mut weeks: Vec<Vec<Value>> = vec![Vec::new()];
    let mut day = first;
    while day.month() == first.month() {
        let number = i64::from(day.to_julian_day()) - 2_440_588;
        if day.weekday() == time::Weekday::Monday && !weeks.last().is_none_or(Vec::is_empty) {
            weeks.push(Vec::new());
        }
        if let Some(week) = weeks.last_mut() {
            week.push(json!({
                "date": format!("{:04}-{:02}-{:02}", day.year(), u8::from(day.month()), day.day()),
                "signed": user.signed_days.contains(&number),
                "bonus": day.day().is_multiple_of(7),
            }));
        }
        match day.next_day() {
            Some(next) => day = next,
            None => break,
        }
    }
    weeks
}

/// Days the user signed in the current month (the event's progress).
pub(crate) fn signed_this_month(shared: &Shared, user: &User) -> usize {
    let today = shared.today();
    let date = time::Date::from_julian_day(2_440_588 + today as i32).unwrap_or(time::Date::MIN);
    let first = i64::from(date.replace_day(1).unwrap_or(date).to_julian_day()) - 2_440_588;
    user.signed_days.range(first..=today).count()
}

/// `GET /daily?user_id=` (Appendix A): the check-in event.
fn daily(shared: &Shared, ts: &str, req: &Req<'_>) -> Reply {
    let index = match checkin_user(shared, req) {
        Ok(i) => i,
        Err(reply) => return reply,
    };
    let state = shared.state();
    let user = state.user(index);
    let cdn = shared.cdn();
    let data = json!({
        "daily_id": DAILY_ID,
        "event_name": "每日簽到",
        "currentProgress": signed_this_month(shared, user).to_string(),
        "three_days_coin": "20",
        "three_days_exp": "20",
        "seven_days_coin": "50",
        "seven_days_exp": "50",
        "background_pc": format!("{cdn}/media/daily/pc.jpg"),
        "background_phone": format!("{cdn}/media/daily/phone.jpg"),
        "record": month_record(shared, user),
    });
    drop(state);
    Reply::envelope(ts, &data)
}

/// `POST /daily_chk` (form `user_id`, `daily_id`; Appendix A): `{msg: "Jcoin:10 EXP:10"}`
/// the first time a day, `{msg: "今天已經簽到過了"}` after.
fn daily_check(shared: &Shared, ts: &str, req: &Req<'_>) -> Reply {
    let index = match checkin_user(shared, req) {
        Ok(i) => i,
        Err(reply) => return reply,
    };
    if req.param("daily_id").and_then(parse_id) != Some(DAILY_ID) {
        // Not in the spec: the emulator's answer to a wrong event id.
        return Reply::envelope(ts, &json!({"msg": "活動不存在"}));
    }
    let today = shared.today();
    let msg = match shared
        .state()
        .check_in(index, today, CHECKIN_COIN, CHECKIN_EXP)
    {
        Some((coin, exp)) => format!("Jcoin:{coin} EXP:{exp}"),
        None => ALREADY_SIGNED.to_owned(),
    };
    Reply::envelope(ts, &json!({"msg": msg}))
}
