//! Accounts and per-user state: users, login sessions (the `AVS` cookie), favourites with
//! folders, liked albums and the daily check-in (spec §6.2.9, §6.3.3, Appendix A).
//!
//! One [`SiteState`] behind one mutex serves both the API and the HTML hosts: the real site
//! has one user database, and a session made by one side's login is accepted by the other
//! (the Python package copies login cookies between clients, spec §5.3 `login`). Every
//! change happens under the lock, so two concurrent favourite toggles flip twice, as two
//! clicks would.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;

use crate::crypto::md5_hex;

/// Username of the account every emulator has (see [`UserSpec::default_user`]).
pub const DEFAULT_USERNAME: &str = "jmtest";
/// Password of the default account.
pub const DEFAULT_PASSWORD: &str = "jmtest-password";

/// First uid handed out; users get consecutive uids in the order they were added, the
/// default user first.
const FIRST_UID: u64 = 10_001;

/// An account the emulator knows, with its starting state. Build with [`UserSpec::new`] and
/// give it to [`EmulatorBuilder::account`](crate::EmulatorBuilder::account).
///
/// `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct UserSpec {
    /// Login name (also the `/user/{username}/...` path segment of the HTML site).
    pub username: String,
    password: String,
    /// Favourite folders, by name, in order; the site numbers them (`FID`) from 1 in the
    /// order users and folders were added. Folder `0` is "all favourites" and is not listed.
    pub folders: Vec<String>,
    /// Starting favourites, oldest first: `(album id, folder name)`, `None` = no folder.
    pub favorites: Vec<(u64, Option<String>)>,
    /// Albums the user has liked (the album's `liked` flag, spec Appendix A).
    pub liked: Vec<u64>,
    /// Starting J-coins.
    pub coin: u64,
    /// Starting experience points.
    pub exp: u64,
}

impl fmt::Debug for UserSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserSpec")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("folders", &self.folders)
            .field("favorites", &self.favorites)
            .field("liked", &self.liked)
            .field("coin", &self.coin)
            .field("exp", &self.exp)
            .finish()
    }
}

impl UserSpec {
    /// An account with no folders, no favourites, 100 coins and 0 experience.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            username: username.into(),
            password: password.into(),
            folders: Vec::new(),
            favorites: Vec::new(),
            liked: Vec::new(),
            coin: 100,
            exp: 0,
        }
    }

    /// The account every emulator has: [`DEFAULT_USERNAME`] / [`DEFAULT_PASSWORD`], folders
    /// `我的最愛` and `稍後再看`, no favourites.
    pub fn default_user() -> Self {
        Self::new(DEFAULT_USERNAME, DEFAULT_PASSWORD)
            .with_folder("我的最愛")
            .with_folder("稍後再看")
    }

    /// Adds a favourite folder.
    #[must_use]
    pub fn with_folder(mut self, name: impl Into<String>) -> Self {
        self.folders.push(name.into());
        self
    }

    /// Adds a starting favourite, in the named folder (`None`: no folder). Later calls are
    /// newer favourites.
    #[must_use]
    pub fn with_favorite(mut self, album_id: u64, folder: Option<&str>) -> Self {
        self.favorites.push((album_id, folder.map(str::to_owned)));
        self
    }

    /// Marks an album as liked by this user.
    #[must_use]
    pub fn with_liked(mut self, album_id: u64) -> Self {
        self.liked.push(album_id);
        self
    }

    /// Whether `password` is this account's password.
    pub(crate) fn password_is(&self, password: &str) -> bool {
        self.password == password
    }
}

/// A favourite folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Folder {
    pub fid: u64,
    pub name: String,
}

/// One favourite: album, folder (`0` = none) and when it was added (a counter: larger =
/// newer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Favorite {
    pub aid: u64,
    pub fid: u64,
    pub seq: u64,
}

/// A user's live state.
#[derive(Debug, Clone)]
pub(crate) struct User {
    pub uid: u64,
    pub spec: UserSpec,
    pub folders: Vec<Folder>,
    /// Oldest first.
    pub favorites: Vec<Favorite>,
    pub liked: HashSet<u64>,
    pub coin: u64,
    pub exp: u64,
    /// Days (the emulator's day numbers) the user checked in.
    pub signed_days: BTreeSet<i64>,
}

impl User {
    pub(crate) fn is_favorite(&self, aid: u64) -> bool {
        self.favorites.iter().any(|f| f.aid == aid)
    }

    pub(crate) fn has_folder(&self, fid: u64) -> bool {
        fid == 0 || self.folders.iter().any(|f| f.fid == fid)
    }
}

/// What the logged-in user of a request looks like to the page and JSON builders (a copy
/// taken under the lock, so rendering does not hold it).
#[derive(Debug, Clone)]
pub(crate) struct Viewer {
    pub uid: u64,
    pub username: String,
    pub favorites: HashSet<u64>,
    pub liked: HashSet<u64>,
}

/// What a favourite toggle did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Toggled {
    Added,
    Removed,
}

/// Why an HTML favourite add failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AddError {
    Already,
    NoSuchFolder,
}

/// Why a login failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LoginError {
    NoSuchUser,
    WrongPassword,
}

/// Every account and session.
#[derive(Debug)]
pub(crate) struct SiteState {
    users: Vec<User>,
    by_name: HashMap<String, usize>,
    /// Session value (the `AVS` cookie) -> user index.
    sessions: HashMap<String, usize>,
    /// Makes session values unique and unguessable enough for a test site.
    session_counter: u64,
    salt: u64,
    /// Favourite order counter.
    next_seq: u64,
}

impl SiteState {
    /// Builds the state; later specs with the same username replace earlier ones.
    /// Starting favourites naming a folder the user does not have go to no folder.
    pub(crate) fn new(specs: Vec<UserSpec>, salt: u64) -> Self {
        let mut merged: Vec<UserSpec> = Vec::new();
        for spec in specs {
            match merged.iter_mut().find(|u| u.username == spec.username) {
                Some(existing) => *existing = spec,
                None => merged.push(spec),
            }
        }
        let mut next_fid = 1;
        let mut next_seq = 1;
        let mut users = Vec::with_capacity(merged.len());
        let mut by_name = HashMap::new();
        for (i, spec) in merged.into_iter().enumerate() {
            let folders: Vec<Folder> = spec
                .folders
                .iter()
                .map(|name| {
                    let f = Folder {
                        fid: next_fid,
                        name: name.clone(),
                    };
                    next_fid += 1;
                    f
                })
                .collect();
            let mut favorites: Vec<Favorite> = Vec::new();
            for (aid, folder) in &spec.favorites {
                if favorites.iter().any(|f| f.aid == *aid) {
                    continue;
                }
                let fid = folder
                    .as_deref()
                    .and_then(|name| folders.iter().find(|f| f.name == name))
                    .map_or(0, |f| f.fid);
                favorites.push(Favorite {
                    aid: *aid,
                    fid,
                    seq: next_seq,
                });
                next_seq += 1;
            }
            by_name.insert(spec.username.clone(), i);
            users.push(User {
                uid: FIRST_UID + i as u64,
                folders,
                favorites,
                liked: spec.liked.iter().copied().collect(),
                coin: spec.coin,
                exp: spec.exp,
                signed_days: BTreeSet::new(),
                spec,
            });
        }
        Self {
            users,
            by_name,
            sessions: HashMap::new(),
            session_counter: 0,
            salt,
            next_seq,
        }
    }

    /// Checks the password and opens a new session; returns the user and the session value.
    pub(crate) fn login(
        &mut self,
        username: &str,
        password: &str,
    ) -> Result<(usize, String), LoginError> {
        let &index = self.by_name.get(username).ok_or(LoginError::NoSuchUser)?;
        if !self.users[index].spec.password_is(password) {
            return Err(LoginError::WrongPassword);
        }
        self.session_counter += 1;
        let token = md5_hex(&format!(
            "avs:{}:{}:{}",
            self.salt, self.users[index].uid, self.session_counter
        ));
        self.sessions.insert(token.clone(), index);
        Ok((index, token))
    }

    /// The user of a session value.
    pub(crate) fn session_user(&self, token: &str) -> Option<usize> {
        self.sessions.get(token).copied()
    }

    /// Ends one session (logout); `false` if it did not exist.
    pub(crate) fn end_session(&mut self, token: &str) -> bool {
        self.sessions.remove(token).is_some()
    }

    /// Ends every session (as if they all expired).
    pub(crate) fn end_all_sessions(&mut self) {
        self.sessions.clear();
    }

    pub(crate) fn session_count(&self) -> usize {
        self.sessions.len()
    }

    pub(crate) fn user(&self, index: usize) -> &User {
        &self.users[index]
    }

    pub(crate) fn user_by_name(&self, username: &str) -> Option<usize> {
        self.by_name.get(username).copied()
    }

    pub(crate) fn viewer(&self, index: usize) -> Viewer {
        let u = &self.users[index];
        Viewer {
            uid: u.uid,
            username: u.spec.username.clone(),
            favorites: u.favorites.iter().map(|f| f.aid).collect(),
            liked: u.liked.clone(),
        }
    }

    /// The API's toggle: adds the album (to `fid` when the user has that folder, else to no
    /// folder) if it is not a favourite, removes it if it is.
    pub(crate) fn toggle_favorite(&mut self, index: usize, aid: u64, fid: u64) -> Toggled {
        let seq = self.next_seq;
        let user = &mut self.users[index];
        if let Some(pos) = user.favorites.iter().position(|f| f.aid == aid) {
            user.favorites.remove(pos);
            return Toggled::Removed;
        }
        let fid = if user.has_folder(fid) { fid } else { 0 };
        user.favorites.push(Favorite { aid, fid, seq });
        self.next_seq += 1;
        Toggled::Added
    }

    /// The HTML site's add: refuses an album already in the list and an unknown folder.
    pub(crate) fn add_favorite(
        &mut self,
        index: usize,
        aid: u64,
        fid: u64,
    ) -> Result<(), AddError> {
        let seq = self.next_seq;
        let user = &mut self.users[index];
        if user.is_favorite(aid) {
            return Err(AddError::Already);
        }
        if !user.has_folder(fid) {
            return Err(AddError::NoSuchFolder);
        }
        user.favorites.push(Favorite { aid, fid, seq });
        self.next_seq += 1;
        Ok(())
    }

    /// Removes a favourite; `false` if the album was not one.
    pub(crate) fn remove_favorite(&mut self, index: usize, aid: u64) -> bool {
        let user = &mut self.users[index];
        let before = user.favorites.len();
        user.favorites.retain(|f| f.aid != aid);
        before != user.favorites.len()
    }

    /// Records a check-in for `day`: `Some((coin, exp))` earned, `None` if already signed
    /// that day.
    pub(crate) fn check_in(
        &mut self,
        index: usize,
        day: i64,
        coin: u64,
        exp: u64,
    ) -> Option<(u64, u64)> {
        let user = &mut self.users[index];
        if !user.signed_days.insert(day) {
            return None;
        }
        user.coin += coin;
        user.exp += exp;
        Some((coin, exp))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> SiteState {
        SiteState::new(
            vec![
                UserSpec::default_user(),
                UserSpec::new("alice", "pw")
                    .with_folder("A")
                    .with_favorite(5, Some("A"))
                    .with_favorite(6, Some("nope"))
                    .with_favorite(5, None),
            ],
            7,
        )
    }

    #[test]
    fn login_and_sessions() {
        let mut s = state();
        assert_eq!(s.login("nobody", "x").unwrap_err(), LoginError::NoSuchUser);
        assert_eq!(
            s.login("alice", "PW").unwrap_err(),
            LoginError::WrongPassword
        );
        let (i, t1) = s.login("alice", "pw").expect("login");
        let (_, t2) = s.login("alice", "pw").expect("login");
        assert_ne!(t1, t2);
        assert_eq!(s.session_user(&t1), Some(i));
        assert_eq!(s.user(i).uid, FIRST_UID + 1);
        assert!(s.end_session(&t1));
        assert_eq!(s.session_user(&t1), None);
        s.end_all_sessions();
        assert_eq!(s.session_count(), 0);
    }

    #[test]
    fn folders_and_starting_favorites() {
        let s = state();
        let alice = s.user(s.user_by_name("alice").expect("alice"));
        // The default user's two folders come first.
        assert_eq!(
            alice.folders,
            vec![Folder {
                fid: 3,
                name: "A".into()
            }]
        );
        let favs: Vec<(u64, u64)> = alice.favorites.iter().map(|f| (f.aid, f.fid)).collect();
        assert_eq!(favs, vec![(5, 3), (6, 0)]);
    }

    #[test]
    fn toggle_add_remove_and_check_in() {
        let mut s = state();
        let i = s.user_by_name(DEFAULT_USERNAME).expect("default");
        assert_eq!(s.toggle_favorite(i, 9, 1), Toggled::Added);
        assert_eq!(s.user(i).favorites[0].fid, 1);
        assert_eq!(s.toggle_favorite(i, 9, 1), Toggled::Removed);
        assert_eq!(s.toggle_favorite(i, 9, 99), Toggled::Added);
        assert_eq!(s.user(i).favorites[0].fid, 0, "unknown folder: none");
        assert_eq!(s.add_favorite(i, 9, 0), Err(AddError::Already));
        assert_eq!(s.add_favorite(i, 10, 42), Err(AddError::NoSuchFolder));
        assert!(s.add_favorite(i, 10, 2).is_ok());
        assert!(s.remove_favorite(i, 10));
        assert!(!s.remove_favorite(i, 10));
        assert_eq!(s.check_in(i, 100, 10, 5), Some((10, 5)));
        assert_eq!(s.check_in(i, 100, 10, 5), None);
        assert_eq!((s.user(i).coin, s.user(i).exp), (110, 5));
    }

    #[test]
    fn debug_redacts_the_password() {
        let text = format!("{:?}", UserSpec::new("u", "hunter2"));
        assert!(!text.contains("hunter2"), "{text}");
    }
}
