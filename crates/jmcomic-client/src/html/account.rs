//! What a web account does: log in, list and change favourites, read and post comments,
//! check in daily. Pages go through the checks of the module's requests; the ajax
//! endpoints answer JSON whose refusals become typed errors here.

// Spec §6.3.3, Appendix A (2.7.10).

use std::collections::BTreeSet;

use jmcomic_model::{CheckIn, CommentPage, DailyDay, DailyEvent, FavoritePage, JmId, User};
use scraper::Html;
use serde_json::Value;
use tracing::debug;

use super::{Asked, HtmlProtocol, browser_headers, check_page, comments, fill, pages};
use crate::error::{Error, Result};
use crate::protocol::FavoriteRequest;
use crate::query::{CommentTarget, FavoriteQuery};
use crate::site::{self, WebEndpoint};
use crate::transport::{Reply, Role};

impl HtmlProtocol {
    /// `POST /login` without following redirects (a redirect's cookies are the login).
    /// Accepted when the JSON answer says `status: 1` (2.7.10), or, without JSON, when the
    /// answer sets the `AVS` cookie. Neither the password nor the cookie is logged.
    // Spec §6.3.3, W28.
    pub(super) async fn login_form(&self, username: &str, password: &str) -> Result<User> {
        let pool = self.pool().await?;
        let net = &self.net;
        let path = WebEndpoint::Login.path();
        let form: [(&str, &str); 5] = [
            ("username", username),
            ("password", password),
            ("id_remember", "on"),
            ("login_remember", "on"),
            ("submit_login", ""),
        ];
        let form = &form;
        let reply: Reply = net
            .with_domains(&pool, path, |domain| async move {
                let url = domain.url(path);
                let mut headers = browser_headers(domain.base());
                net.add_user_headers(&mut headers);
                net.add_cookies(&mut headers);
                debug!(%url, "web login");
                let request = net
                    .http_no_redirect()
                    .post(&url)
                    .form(form)
                    .headers(headers)
                    .timeout(net.limits.timeout);
                let reply = net
                    .send(Role::Api, request, &url, net.limits.max_body)
                    .await?;
                if !(300..400).contains(&reply.status) {
                    check_page(&reply, &url, path, Asked::Other)?;
                }
                Ok(reply)
            })
            .await?;
        let text = String::from_utf8_lossy(&reply.body);
        let answer: Option<Value> =
            serde_json::from_str(text.trim_start_matches('\u{feff}').trim()).ok();
        let sets_login = reply
            .set_cookies
            .iter()
            .any(|(k, v)| k == site::LOGIN_COOKIE && !v.is_empty() && v != "deleted");
        let accepted = match answer.as_ref().and_then(|a| a.get("status")) {
            Some(status) => is_one(status),
            None => sets_login,
        };
        if !accepted {
            return Err(Error::LoginRefused {
                username: username.to_owned(),
                message: answer.as_ref().and_then(site_message).unwrap_or_else(|| {
                    "the site did not accept the user name and password".to_owned()
                }),
            });
        }
        self.keep_cookies(&reply);
        if !self.net.session.has_login_cookie() {
            return Err(Error::NotApplied {
                what: format!("logging in as `{username}`"),
                reason: format!(
                    "the site accepted the login but set no `{}` cookie",
                    site::LOGIN_COOKIE
                ),
            });
        }
        let user = User {
            uid: answer.as_ref().and_then(|a| a.get("uid")).and_then(number),
            ..User::named(username)
        };
        let kept = user.clone();
        self.net.session.write(|s| s.account = Some(kept));
        Ok(user)
    }

    /// `GET /user/{username}/favorite/albums?page=&o=&folder=`; the user name is the
    /// session's.
    // Spec §6.3.3, §6.3.5.
    pub(super) async fn favorites_page(&self, query: &FavoriteQuery) -> Result<FavoritePage> {
        let what = "the favourites";
        let Some(user) = self.net.session.user() else {
            return Err(Error::NeedsLogin {
                what: what.to_owned(),
                reason: "the web site lists favourites by user name, and this session has none: log in with this client, or restore a session saved with its user".to_owned(),
            });
        };
        let page = query.page.max(1);
        let params = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("page", &page.to_string())
            .append_pair("o", query.order.as_wire())
            .append_pair("folder", &query.folder)
            .finish();
        let path = format!(
            "{}?{params}",
            fill(WebEndpoint::Favorites, "{username}", &user.username)
        );
        self.page(&path, Asked::Account(what), |p| {
            pages::favorites(&p.text, &p.url, &query.folder, page)
        })
        .await
    }

    /// `POST /ajax/favorite_album` (form `album_id, fid`) or
    /// `POST /ajax/delete_favorite_album` (form `album_id`): `status: 1` when done.
    // Spec §6.3.3, Appendix A.
    pub(super) async fn change_favorite(&self, album: JmId, change: FavoriteRequest) -> Result<()> {
        let (endpoint, form, what) = match change {
            FavoriteRequest::Add { folder } => (
                WebEndpoint::FavoriteAdd,
                vec![("album_id", album.to_string()), ("fid", folder)],
                format!("adding album {album} to the favourites"),
            ),
            FavoriteRequest::Remove => (
                WebEndpoint::FavoriteDelete,
                vec![("album_id", album.to_string())],
                format!("removing album {album} from the favourites"),
            ),
        };
        let answer = self
            .ajax(
                endpoint.path(),
                &form,
                Asked::Account("changing the favourites"),
            )
            .await?;
        if answer.get("status").is_some_and(is_one) {
            Ok(())
        } else {
            Err(refused(&what, &answer))
        }
    }

    /// `POST /ajax/album_pagination` (form `video_id, page, series, with_ad_wcm`) or
    /// `POST /ajax/forum_more` (form `page, with_ad_wcm`). The web answers do not tell the
    /// total (past the end, the forum repeats its last page; an album has no comments).
    // Spec §6.3.3, §6.3.5, §6.1.1 (comment generators).
    pub(super) async fn comments_page(
        &self,
        target: CommentTarget,
        page: u32,
    ) -> Result<CommentPage> {
        let page = page.max(1);
        let (endpoint, form) = match target {
            CommentTarget::Album(id) => (
                WebEndpoint::AlbumComments,
                vec![
                    ("video_id", id.to_string()),
                    ("page", page.to_string()),
                    ("series", "1".to_owned()),
                    ("with_ad_wcm", "1".to_owned()),
                ],
            ),
            CommentTarget::Forum => (
                WebEndpoint::ForumComments,
                vec![("page", page.to_string()), ("with_ad_wcm", "1".to_owned())],
            ),
        };
        let answer = self.ajax(endpoint.path(), &form, Asked::Other).await?;
        if answer.get("err").is_some_and(is_true) {
            return Err(Error::BadResponse {
                url: endpoint.path().to_owned(),
                reason: format!(
                    "the site answered with an error: {}",
                    site_message(&answer).unwrap_or_default()
                ),
            });
        }
        Ok(CommentPage {
            page,
            total: None,
            comments: comments::parse(&comments::fragments(&answer)),
        })
    }

    /// `POST /ajax/album_comment`: form `video_id, comment, originator, status`, or for a
    /// reply `comment_id, is_reply=1, forum_subject=1` instead of `status`; the answer's
    /// `cid` is the new comment's id.
    // Spec §6.3.3.
    pub(super) async fn comment(
        &self,
        album: JmId,
        text: &str,
        reply_to: Option<u64>,
    ) -> Result<u64> {
        let mut form = vec![
            ("video_id", album.to_string()),
            ("comment", text.to_owned()),
            ("originator", String::new()),
        ];
        let what = match reply_to {
            None => {
                form.push(("status", "true".to_owned()));
                format!("posting a comment on album {album}")
            }
            Some(parent) => {
                form.extend([
                    ("comment_id", parent.to_string()),
                    ("is_reply", "1".to_owned()),
                    ("forum_subject", "1".to_owned()),
                ]);
                format!("replying to comment {parent} on album {album}")
            }
        };
        let answer = self
            .ajax(
                WebEndpoint::AlbumComment.path(),
                &form,
                Asked::Account("posting a comment"),
            )
            .await?;
        if answer.get("err").is_some_and(is_true) {
            return Err(refused(&what, &answer));
        }
        answer
            .get("cid")
            .and_then(number)
            .ok_or_else(|| Error::NotApplied {
                what,
                reason: format!(
                    "the site answered without the new comment's id ({})",
                    site_message(&answer).unwrap_or_default()
                ),
            })
    }

    /// The check-in event: the home page's `data-dailyid`, then
    /// `GET /ajax/user_daily_event?daily_id=`.
    // Spec Appendix A.
    pub(super) async fn daily_event(&self) -> Result<DailyEvent> {
        let (daily_id, answer) = self.event().await?;
        let dates = |key: &str| -> Vec<String> {
            match answer.get(key) {
                Some(Value::Array(items)) => items
                    .iter()
                    .filter_map(|v| match v {
                        Value::String(s) => Some(s.trim().to_owned()),
                        Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            }
        };
        let signed = dates("dateArray");
        let bonus = dates("dateEvent");
        let all: BTreeSet<String> = signed
            .iter()
            .chain(&bonus)
            .chain(&dates("dateMiss"))
            .cloned()
            .collect();
        let days = all
            .into_iter()
            .map(|date| DailyDay {
                signed: signed.contains(&date),
                // The web answer lists the bonus days without saying what they give.
                bonus: if bonus.contains(&date) {
                    "bonus".to_owned()
                } else {
                    String::new()
                },
                date,
            })
            .collect();
        Ok(DailyEvent {
            daily_id,
            // The web answer names no event.
            name: String::new(),
            signed_today: signed.contains(&today()),
            days,
        })
    }

    /// `POST /ajax/user_daily_sign` (form `daily_id, oldStep`): `status: 1` the first time
    /// today; `error: "finished"` or one of the site's "already signed" messages after
    /// (not an error: `new` is false).
    // Spec Appendix A.
    pub(super) async fn sign_daily(&self) -> Result<CheckIn> {
        let (daily_id, event) = self.event().await?;
        let old_step = event
            .get("oldStep")
            .and_then(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .unwrap_or_else(|| "0".to_owned());
        let form = [("daily_id", daily_id), ("oldStep", old_step)];
        let answer = self
            .ajax(
                WebEndpoint::DailySign.path(),
                &form,
                Asked::Account("the daily check-in"),
            )
            .await?;
        let message = site_message(&answer).unwrap_or_default();
        if answer.get("status").is_some_and(is_one) {
            return Ok(CheckIn { new: true, message });
        }
        let finished = answer
            .get("error")
            .and_then(Value::as_str)
            .is_some_and(|e| e.trim() == "finished");
        if finished
            || site::ALREADY_SIGNED_TEXTS
                .iter()
                .any(|t| message.contains(t))
        {
            return Ok(CheckIn {
                new: false,
                message,
            });
        }
        Err(refused("checking in", &answer))
    }

    /// The event id from the home page and the event's JSON.
    async fn event(&self) -> Result<(String, Value)> {
        let daily_id = self
            .page(WebEndpoint::Home.path(), Asked::Other, |p| {
                pages::daily_id(&p.text, &p.url)
            })
            .await?;
        let path = format!(
            "{}?{}",
            WebEndpoint::DailyEvent.path(),
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("daily_id", &daily_id)
                .finish()
        );
        let answer = self
            .ajax_get(&path, Asked::Account("the daily check-in"))
            .await?;
        match answer.get("error").and_then(Value::as_str).map(str::trim) {
            Some(e) if !e.is_empty() => {
                if mentions_login(e) {
                    return Err(Error::NeedsLogin {
                        what: "the daily check-in".to_owned(),
                        reason: format!("the site says {e:?}"),
                    });
                }
                Err(Error::BadResponse {
                    url: path,
                    reason: format!("the site answered with an error: {e}"),
                })
            }
            _ => Ok((daily_id, answer)),
        }
    }
}

/// Today's date, `YYYY-MM-DD` in UTC (how the check-in answers date days; the real site's
/// time zone is not known).
fn today() -> String {
    let d = time::OffsetDateTime::now_utc().date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// `1`, `"1"` or `true`.
fn is_one(v: &Value) -> bool {
    match v {
        Value::Number(n) => n.as_u64() == Some(1),
        Value::String(s) => s.trim() == "1",
        Value::Bool(b) => *b,
        _ => false,
    }
}

/// `true`, `1` or `"true"`/`"1"`.
fn is_true(v: &Value) -> bool {
    match v {
        Value::String(s) => matches!(s.trim(), "1" | "true"),
        other => is_one(other),
    }
}

fn number(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// What an ajax answer says: the first of `errors`, `msg`, `error`, as plain text (the
/// site sends alert boxes: their close button's `×` is dropped).
// Spec §6.3.3 (the favourite answer's `msg` narrowed to the text after `</button>`).
fn site_message(answer: &Value) -> Option<String> {
    let first = |v: &Value| -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Array(items) => items.iter().find_map(Value::as_str).map(str::to_owned),
            _ => None,
        }
    };
    ["errors", "msg", "error"]
        .iter()
        .filter_map(|k| answer.get(*k).and_then(first))
        .map(|m| plain_text(&m))
        .find(|m| !m.is_empty())
}

/// The text of an HTML snippet, without its buttons.
fn plain_text(snippet: &str) -> String {
    if !snippet.contains('<') && !snippet.contains('&') {
        return snippet.trim().to_owned();
    }
    let doc = Html::parse_fragment(snippet);
    let mut out = String::new();
    for node in doc.root_element().descendants() {
        if let scraper::Node::Text(t) = node.value() {
            let in_button = node
                .ancestors()
                .any(|a| a.value().as_element().is_some_and(|e| e.name() == "button"));
            if !in_button {
                out.push_str(t);
            }
        }
    }
    out.trim().to_owned()
}

/// Whether a message of the site says the user must log in.
fn mentions_login(message: &str) -> bool {
    let lower = message.to_lowercase();
    ["登入", "登录", "login", "log in"]
        .iter()
        .any(|w| lower.contains(w))
}

/// A refused change, as the error that says what to do: log in, or what the site said.
fn refused(what: &str, answer: &Value) -> Error {
    let message = site_message(answer).unwrap_or_else(|| "no reason given".to_owned());
    if mentions_login(&message) {
        Error::NeedsLogin {
            what: what.to_owned(),
            reason: format!("the site says {message:?}"),
        }
    } else {
        Error::NotApplied {
            what: what.to_owned(),
            reason: format!("the site says {message:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn site_messages_are_plain_text() {
        let v = json!({"status": 0, "msg": "<div class=\"alert\"><button>×</button>此圖片已經在您最喜愛的清單！</div>"});
        assert_eq!(site_message(&v).unwrap(), "此圖片已經在您最喜愛的清單！");
        let v = json!({"status": 0, "errors": ["帳號或密碼錯誤"], "msg": "x"});
        assert_eq!(site_message(&v).unwrap(), "帳號或密碼錯誤");
        assert!(site_message(&json!({"status": 1})).is_none());
        assert!(matches!(
            refused("x", &json!({"msg": "請先登入"})),
            Error::NeedsLogin { .. }
        ));
        assert!(matches!(
            refused("x", &json!({"msg": "no"})),
            Error::NotApplied { .. }
        ));
    }

    #[test]
    fn flags_and_numbers() {
        assert!(is_one(&json!(1)) && is_one(&json!("1")) && !is_one(&json!(0)));
        assert!(is_true(&json!(true)) && is_true(&json!("true")) && !is_true(&json!(false)));
        assert_eq!(number(&json!("12")), Some(12));
        assert_eq!(today().len(), 10);
    }
}
