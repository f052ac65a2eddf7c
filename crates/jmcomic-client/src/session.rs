//! What the client carries from one request to the next, whatever protocol it speaks: the
//! cookies (configured and received), the app version, and who is logged in.
//!
//! How a protocol fills it is the protocol's business (the API's `/setting` lives in
//! `api::setup`); this module only keeps it consistent and turns it into request headers.

use std::fmt;
use std::sync::{PoisonError, RwLock};

use jmcomic_model::User;
use reqwest::header::HeaderValue;
use serde::{Deserialize, Serialize};
use tracing::info;

/// The mutable part of a session.
#[derive(Debug)]
pub(crate) struct Session {
    /// Cookies the site gave (`/setting`); configured cookies of the same name win over them
    /// (see [`SessionStore::cookie_header`]).
    pub(crate) cookies: Vec<(String, String)>,
    /// App version for `tokenparam`; may be raised by `/setting`.
    pub(crate) app_version: String,
    /// Who the session is logged in as, once a login succeeded. The web protocol needs the
    /// name for favourites, the API the uid for the daily check-in; the Python package
    /// 2.7.10 remembers both after a login.
    // Spec §6.3.3, §6.2.3, §6.2.9.
    pub(crate) account: Option<User>,
}

impl Session {
    /// Takes cookies the site set: a cookie of the same name is replaced, the others stay
    /// (the Python package replaces the whole jar, so a later `/setting` or a second login
    /// loses the login cookie).
    // Spec §6.3.3.
    pub(crate) fn merge_cookies(&mut self, set: Vec<(String, String)>) {
        for (k, v) in set {
            match self.cookies.iter_mut().find(|(ck, _)| *ck == k) {
                Some(slot) => slot.1 = v,
                None => self.cookies.push((k, v)),
            }
        }
    }

    /// Adopts `announced` as the app version when it is newer than the current one.
    // Spec §6.2.7.
    pub(crate) fn offer_app_version(&mut self, announced: String) {
        if version_newer(&announced, &self.app_version) {
            info!(from = %self.app_version, to = %announced, "the site announces a newer app version; using it");
            self.app_version = announced;
        }
    }
}

/// A logged-in session taken out of a [`Client`](crate::Client) to be kept (in a file, by
/// `jmcomic login`) and put back into another one later
/// ([`Client::restore_session`](crate::Client::restore_session)).
///
/// It holds the login cookie: whoever has it is logged in as the user. Its `Debug` output
/// hides cookie values; its serialised form does not (that is what it is for), so keep the
/// file private.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SavedSession {
    /// The site's cookies (`AVS` is the login), name and value.
    pub cookies: Vec<(String, String)>,
    /// Who is logged in, if anyone.
    pub user: Option<User>,
}

impl SavedSession {
    /// A session of these cookies and user.
    pub fn new(cookies: Vec<(String, String)>, user: Option<User>) -> Self {
        Self { cookies, user }
    }

    /// Whether it holds the login cookie (`AVS`).
    // Spec §6.2.9, §6.3.3.
    pub fn is_logged_in(&self) -> bool {
        self.cookies
            .iter()
            .any(|(k, v)| k == crate::site::LOGIN_COOKIE && !v.is_empty())
    }
}

impl fmt::Debug for SavedSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.cookies.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("SavedSession")
            .field("cookies", &format_args!("{names:?} (values hidden)"))
            .field("user", &self.user)
            .finish()
    }
}

/// The session shared by every request of a client (and so by both protocols).
#[derive(Debug)]
pub(crate) struct SessionStore {
    state: RwLock<Session>,
    /// Cookies from the configuration (e.g. the login cookie `AVS`): sent with every request,
    /// never replaced by the site's.
    configured: Vec<(String, String)>,
}

impl SessionStore {
    pub(crate) fn new(configured: Vec<(String, String)>, app_version: String) -> Self {
        Self {
            state: RwLock::new(Session {
                cookies: Vec::new(),
                app_version,
                account: None,
            }),
            configured,
        }
    }

    /// Whether cookies were configured (then the API does not fetch `/setting` for them).
    pub(crate) fn has_configured_cookies(&self) -> bool {
        !self.configured.is_empty()
    }

    /// Reads the session. A poisoned lock is used as is: the session holds plain values
    /// that a panicking writer cannot leave half-updated in a way that matters.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Session) -> T) -> T {
        match self.state.read() {
            Ok(s) => f(&s),
            Err(e) => f(&e.into_inner()),
        }
    }

    /// Changes the session (see [`Self::read`] about poisoning).
    pub(crate) fn write<T>(&self, f: impl FnOnce(&mut Session) -> T) -> T {
        let mut guard = self.state.write().unwrap_or_else(PoisonError::into_inner);
        f(&mut guard)
    }

    /// The session as it can be kept: the site's cookies (the configured ones are the
    /// configuration's, not the session's) and the user.
    pub(crate) fn save(&self) -> SavedSession {
        self.read(|s| SavedSession {
            cookies: s.cookies.clone(),
            user: s.account.clone(),
        })
    }

    /// Puts a kept session back: its cookies join the jar, its user becomes the account.
    pub(crate) fn restore(&self, saved: SavedSession) {
        self.write(|s| {
            s.merge_cookies(saved.cookies);
            s.account = saved.user;
        });
    }

    /// Who is logged in.
    pub(crate) fn user(&self) -> Option<User> {
        self.read(|s| s.account.clone())
    }

    /// Whether a login cookie is sent (configured or from the site).
    pub(crate) fn has_login_cookie(&self) -> bool {
        let is_login = |(k, v): &(String, String)| k == crate::site::LOGIN_COOKIE && !v.is_empty();
        self.configured.iter().any(is_login) || self.read(|s| s.cookies.iter().any(is_login))
    }

    /// The app version currently sent in `tokenparam`.
    pub(crate) fn app_version(&self) -> String {
        self.read(|s| s.app_version.clone())
    }

    /// The `Cookie` header: the site's cookies, then the configured ones (which replace the
    /// site's of the same name). `None` when there are none.
    pub(crate) fn cookie_header(&self) -> Option<HeaderValue> {
        let session = self.read(|s| s.cookies.clone());
        let user = &self.configured;
        let mut parts: Vec<String> = session
            .iter()
            .filter(|(k, _)| !user.iter().any(|(uk, _)| uk == k))
            .chain(user.iter())
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        parts.retain(|p| !p.is_empty());
        if parts.is_empty() {
            return None;
        }
        HeaderValue::from_str(&parts.join("; ")).ok()
    }
}

/// Compares dotted versions numerically, missing parts as 0 (as the Python package does).
// Spec §6.2.7.
pub(crate) fn version_newer(candidate: &str, current: &str) -> bool {
    let parse = |v: &str| -> Vec<u64> {
        v.trim()
            .split('.')
            .map(|p| p.trim().parse().unwrap_or(0))
            .collect()
    };
    let (a, b) = (parse(candidate), parse(current));
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (
            a.get(i).copied().unwrap_or(0),
            b.get(i).copied().unwrap_or(0),
        );
        if x != y {
            return x > y;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert!(version_newer("2.1.13", "2.1.12"));
        assert!(version_newer("2.2", "2.1.12"));
        assert!(!version_newer("2.1.12", "2.1.12"));
        assert!(!version_newer("2.1", "2.1.0"));
        assert!(!version_newer("garbage", "2.1.12"));
    }

    #[test]
    fn configured_cookies_win() {
        let store = SessionStore::new(vec![("AVS".into(), "mine".into())], "1".into());
        assert!(store.has_configured_cookies());
        assert_eq!(store.cookie_header().unwrap(), "AVS=mine");
        store.write(|s| {
            s.cookies = vec![("ipm5".into(), "a".into()), ("AVS".into(), "site".into())];
        });
        assert_eq!(store.cookie_header().unwrap(), "ipm5=a; AVS=mine");
        let empty = SessionStore::new(Vec::new(), "1".into());
        assert!(empty.cookie_header().is_none());
    }

    #[test]
    fn saved_sessions_keep_the_login_and_hide_it() {
        let store = SessionStore::new(Vec::new(), "1".into());
        assert!(!store.has_login_cookie());
        store.restore(SavedSession::new(
            vec![("AVS".into(), "s3cr3t".into())],
            Some(User::named("me")),
        ));
        assert!(store.has_login_cookie());
        // A later /setting answer adds its cookies without dropping the login.
        store.write(|s| s.merge_cookies(vec![("ipm5".into(), "x".into())]));
        let saved = store.save();
        assert!(saved.is_logged_in());
        assert_eq!(saved.user.as_ref().map(|u| u.username.as_str()), Some("me"));
        assert_eq!(saved.cookies.len(), 2);
        let shown = format!("{saved:?}");
        assert!(
            !shown.contains("s3cr3t") && shown.contains("AVS"),
            "{shown}"
        );
    }
}
