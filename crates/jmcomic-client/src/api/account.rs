//! The API's endpoints beyond albums and chapters: category listings and rankings, login,
//! favourites, comments, the daily check-in.
//!
//! The account endpoints answer a request without a valid session with an error code
//! (`401` from the emulator; the spec does not say what the site sends), which becomes
//! [`Error::NeedsLogin`] here.

// Spec §6.2.3, §6.2.9, Appendix A.

use std::time::{SystemTime, UNIX_EPOCH};

use jmcomic_model::{CheckIn, CommentPage, DailyEvent, FavoritePage, JmId, SearchPage, User};
use serde_json::Value;
use tracing::debug;

use super::ApiProtocol;
use super::account_wire;
use super::envelope::Payload;
use super::wire::{self, MapError};
use crate::error::{Error, Result};
use crate::protocol::{FavoriteRequest, ProtocolKind};
use crate::query::{CategoryQuery, CommentTarget, FavoriteQuery};
use crate::site::{self, Endpoint};

/// The envelope code of "log in first" (the emulator's; HTTP's meaning of 401).
const NEEDS_LOGIN_CODE: i64 = 401;

/// What `ep` answered with, as JSON: `None` for the site's "nothing here" (no data).
fn json_of(ep: Endpoint, payload: Payload) -> Result<Option<Value>> {
    match payload {
        Payload::Data(v) => Ok(Some(v)),
        Payload::Empty(_) => Ok(None),
        Payload::Text(_) => Err(bad(ep, "expected JSON, got text".to_owned())),
    }
}

fn bad(ep: Endpoint, reason: String) -> Error {
    Error::BadResponse {
        url: ep.path().to_owned(),
        reason,
    }
}

fn mapped<T>(ep: Endpoint, result: Result<T, MapError>) -> Result<T> {
    result.map_err(|e| {
        bad(
            ep,
            match e {
                MapError::Missing => "no data".to_owned(),
                MapError::Malformed(reason) => reason,
            },
        )
    })
}

/// The site's "log in first" as [`Error::NeedsLogin`] for `what`; other errors unchanged.
fn login_needed(what: &str) -> impl FnOnce(Error) -> Error + '_ {
    move |e| match e {
        Error::Api { code, message, .. } if code == NEEDS_LOGIN_CODE => Error::NeedsLogin {
            what: what.to_owned(),
            reason: format!("the site says: {message}"),
        },
        other => other,
    }
}

/// Today's date, `YYYY-MM-DD` in UTC: the day `/daily` marks as signed. The spec does not
/// say in which time zone the site's days turn; the emulator's turn at UTC midnight.
fn today_utc() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    wire::date_of_unix(secs)
}

impl ApiProtocol {
    /// `GET /categories/filter?page=&order=&c=&o=`: `order` is always empty and the time is
    /// folded into `o` ([`CategoryQuery::api_order`]); the sub-category has no parameter
    /// (the Python package ignores it too). An answer without data is an empty page.
    // Spec §6.2.3.
    pub(crate) async fn categories_page(&self, query: &CategoryQuery) -> Result<SearchPage> {
        let ep = Endpoint::CategoriesFilter;
        let page = query.page.max(1);
        let params = [
            ("page", page.to_string()),
            ("order", String::new()),
            ("c", query.category.as_wire().to_owned()),
            ("o", query.api_order()),
        ];
        let resp = self.call(ep, &params).await?;
        match json_of(ep, resp.payload)? {
            Some(v) => mapped(ep, wire::search(&v, page)),
            None => Ok(SearchPage {
                query: String::new(),
                total: 0,
                page,
                items: Vec::new(),
                redirect: None,
            }),
        }
    }

    /// `POST /login` (form `username`, `password`). The session keeps the answer's cookies
    /// and `AVS` = its `s` (the login), merged into the cookies it had, and the user. The
    /// password goes in the form body only: never in a URL, a log line or an error.
    // Spec §6.2.3, §6.2.9.
    pub(crate) async fn login_user(&self, username: &str, password: &str) -> Result<User> {
        let ep = Endpoint::Login;
        let form = [
            ("username", username.to_owned()),
            ("password", password.to_owned()),
        ];
        let resp = match self.call(ep, &form).await {
            Ok(r) => r,
            // Any refusal of the envelope is the site refusing these credentials (the
            // emulator's is code 401 "帳號或密碼錯誤"; the spec does not give the site's).
            Err(Error::Api { message, .. }) => {
                return Err(Error::LoginRefused {
                    username: username.to_owned(),
                    message,
                });
            }
            Err(e) => return Err(e),
        };
        let Some(v) = json_of(ep, resp.payload)? else {
            return Err(Error::LoginRefused {
                username: username.to_owned(),
                message: "the site answered without a user".to_owned(),
            });
        };
        let (user, session) = mapped(ep, account_wire::login(&v, username))?;
        self.net.session.write(|s| {
            s.merge_cookies(resp.set_cookies);
            s.merge_cookies(vec![(site::LOGIN_COOKIE.to_owned(), session)]);
            s.account = Some(user.clone());
        });
        Ok(user)
    }

    /// `GET /favorite?page=&folder_id=&o=`.
    // Spec §6.2.3, §6.2.9.
    pub(crate) async fn favorites_page(&self, query: &FavoriteQuery) -> Result<FavoritePage> {
        let ep = Endpoint::Favorite;
        let page = query.page.max(1);
        let params = [
            ("page", page.to_string()),
            ("folder_id", query.folder.clone()),
            ("o", query.order.as_wire().to_owned()),
        ];
        let resp = self
            .call(ep, &params)
            .await
            .map_err(login_needed("the favourites"))?;
        match json_of(ep, resp.payload)? {
            Some(v) => mapped(ep, account_wire::favorites(&v, &query.folder, page)),
            None => Ok(FavoritePage {
                folder: query.folder.clone(),
                page,
                total: 0,
                items: Vec::new(),
                folders: Vec::new(),
            }),
        }
    }

    /// `POST /favorite` (form `aid`): the API's one favourite request, a toggle of the album
    /// in the default folder. It cannot put an album in another folder.
    // Spec §6.2.3, §6.2.9, Appendix A.
    pub(crate) async fn toggle_favorite(&self, album: JmId, change: FavoriteRequest) -> Result<()> {
        if let FavoriteRequest::Add { folder } = &change
            && folder != jmcomic_model::FavoriteFolder::DEFAULT_ID
        {
            return Err(folder_unsupported());
        }
        let ep = Endpoint::FavoriteToggle;
        let resp = self
            .call(ep, &[("aid", album.to_string())])
            .await
            .map_err(login_needed("changing the favourites"))?;
        let v = json_of(ep, resp.payload)?.unwrap_or(Value::Null);
        let status = wire::text(&v, "status").unwrap_or_default();
        let message = wire::text(&v, "msg").unwrap_or_default();
        if status != "ok" {
            return Err(Error::NotApplied {
                what: format!("toggling album {album} in the favourites"),
                reason: if message.is_empty() {
                    format!("the site answered status {status:?}")
                } else {
                    format!("the site says: {message}")
                },
            });
        }
        // The caller looks at the album again, so a toggle the other way (another client
        // changed it meanwhile) is noticed there; this only notes it.
        debug!(album = %album, change = ?change, done = ?wire::text(&v, "type"), %message, "favourite toggled");
        Ok(())
    }

    /// `GET /forum?mode=all&page=[&aid=]`: an album's comments, or the whole site's.
    // Spec §6.2.3, §6.2.9.
    pub(crate) async fn comments_page(
        &self,
        target: CommentTarget,
        page: u32,
    ) -> Result<CommentPage> {
        let ep = Endpoint::Forum;
        let page = page.max(1);
        let mut params = vec![("mode", "all".to_owned()), ("page", page.to_string())];
        if let CommentTarget::Album(id) = target {
            params.push(("aid", id.to_string()));
        }
        let resp = self
            .call(ep, &params)
            .await
            .map_err(login_needed("reading comments"))?;
        match json_of(ep, resp.payload)? {
            Some(v) => mapped(ep, account_wire::comments(&v, page)),
            None => Ok(CommentPage {
                page,
                total: Some(0),
                comments: Vec::new(),
            }),
        }
    }

    /// `GET /daily?user_id=`: needs the user id, which a login tells (a configured `AVS`
    /// cookie alone does not).
    // Appendix A.
    pub(crate) async fn daily_event(&self) -> Result<DailyEvent> {
        let uid = self.user_id()?;
        self.daily_of(uid).await
    }

    /// `POST /daily_chk` (form `user_id`, `daily_id` from `/daily`). "Already done today" is
    /// an answer, not an error; a message that is neither that nor a reward is checked
    /// against `/daily` before it counts as done.
    // Appendix A.
    pub(crate) async fn daily_check(&self) -> Result<CheckIn> {
        let uid = self.user_id()?;
        let before = self.daily_of(uid).await?;
        let ep = Endpoint::DailyCheck;
        let form = [
            ("user_id", uid.to_string()),
            ("daily_id", before.daily_id.clone()),
        ];
        let resp = self
            .call(ep, &form)
            .await
            .map_err(login_needed("the daily check-in"))?;
        let message = json_of(ep, resp.payload)?
            .map(|v| account_wire::check_in_message(&v))
            .unwrap_or_default();
        if site::ALREADY_CHECKED_IN.iter().any(|k| message.contains(k)) {
            return Ok(CheckIn {
                new: false,
                message,
            });
        }
        // `Jcoin:10 EXP:10` is the spec's success message; anything else (an unknown event,
        // a new wording) counts only if the event now shows one more signed day.
        if message.contains("Jcoin") || message.contains("EXP") {
            return Ok(CheckIn { new: true, message });
        }
        let signed = |e: &DailyEvent| e.days.iter().filter(|d| d.signed).count();
        let after = self.daily_of(uid).await?;
        if signed(&after) > signed(&before) || (after.signed_today && !before.signed_today) {
            return Ok(CheckIn { new: true, message });
        }
        Err(Error::NotApplied {
            what: "the daily check-in".to_owned(),
            reason: if message.is_empty() {
                "the site answered without a message and shows no new signed day".to_owned()
            } else {
                format!("the site says: {message}")
            },
        })
    }

    /// The logged-in user's id, from the login (or the restored session).
    fn user_id(&self) -> Result<u64> {
        self.net
            .session
            .read(|s| s.account.as_ref().and_then(|u| u.uid))
            .ok_or_else(|| Error::NeedsLogin {
                what: "the daily check-in".to_owned(),
                reason: "it needs the user id, which only a login with user name and password tells (a configured `AVS` cookie does not)".to_owned(),
            })
    }

    async fn daily_of(&self, uid: u64) -> Result<DailyEvent> {
        let ep = Endpoint::Daily;
        let resp = self
            .call(ep, &[("user_id", uid.to_string())])
            .await
            .map_err(login_needed("the daily check-in"))?;
        let v = json_of(ep, resp.payload)?
            .ok_or_else(|| bad(ep, "no check-in event in the answer".to_owned()))?;
        mapped(ep, account_wire::daily(&v, &today_utc()))
    }
}

/// What the API cannot do with favourites (the `what` of its [`Error::Unsupported`]).
pub(crate) const CANNOT_CHOOSE_FOLDER: &str = "choose a favourites folder (it only toggles an album in the default one; the web protocol can: `client.impl: html`)";

fn folder_unsupported() -> Error {
    Error::Unsupported {
        protocol: ProtocolKind::Api,
        what: CANNOT_CHOOSE_FOLDER.to_owned(),
    }
}
