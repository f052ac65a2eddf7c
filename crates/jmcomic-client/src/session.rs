//! What the client carries from one request to the next, whatever protocol it speaks: the
//! cookies (configured and received), the app version, and who is logged in.
//!
//! How a protocol fills it is the protocol's business (the API's `/setting` lives in
//! `api::setup`); this module only keeps it consistent and turns it into request headers.

use std::sync::{PoisonError, RwLock};

use reqwest::header::HeaderValue;
use tracing::info;

/// The mutable part of a session.
#[derive(Debug)]
pub(crate) struct Session {
    /// Cookies the site gave (`/setting`); configured cookies of the same name win over them
    /// (see [`SessionStore::cookie_header`]).
    pub(crate) cookies: Vec<(String, String)>,
    /// App version for `tokenparam`; may be raised by `/setting`.
    pub(crate) app_version: String,
    /// Who the session is logged in as, once a login succeeded.
    #[expect(
        dead_code,
        reason = "filled by login and read by the account features (issue 11)"
    )]
    pub(crate) account: Option<Account>,
}

/// The logged-in user. The web protocol needs the name for favourites, the API the uid for
/// the daily check-in; the Python package 2.7.10 remembers both after a login.
// Spec §6.3.3, §6.2.3, §6.2.9.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Account {
    /// The name logged in with.
    pub(crate) username: String,
    /// The site's user id (`uid` of the login answer).
    pub(crate) uid: String,
}

impl Session {
    /// Adopts `announced` as the app version when it is newer than the current one.
    // Spec §6.2.7.
    pub(crate) fn offer_app_version(&mut self, announced: String) {
        if version_newer(&announced, &self.app_version) {
            info!(from = %self.app_version, to = %announced, "the site announces a newer app version; using it");
            self.app_version = announced;
        }
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
fn version_newer(candidate: &str, current: &str) -> bool {
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
}
