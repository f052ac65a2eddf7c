//! What a site account sees: the logged-in user, favourites, comments, the daily check-in.
//!
//! Plain data like the rest of the crate. Both clients (mobile API and web pages) fill the
//! same types, so code written against one works with the other.

// Spec §2.5 (page entities), §6.2.3 and §6.2.9 (API fields), §6.3.3 and §6.3.5 (web pages),
// Appendix A (2.7.10: check-in, favourite removal).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::entity::SearchItem;
use crate::id::JmId;

/// The user a session is logged in as.
///
/// Never holds the session secret (the `AVS` cookie): that stays in the client's cookie
/// store, so printing or serialising a `User` cannot leak it.
// Spec §6.2.3 (`/login` user object), §6.2.9 (2.7.10 keeps username and uid).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// The site's user id (`uid`); `None` when the site did not say (the web login answers
    /// with cookies only).
    pub uid: Option<u64>,
    /// The name used to log in.
    pub username: String,
    /// The level's name, when the site gives it.
    pub level_name: Option<String>,
    /// Coins, when the site gives them.
    pub coin: Option<u64>,
    /// Albums in the user's favourites, when the site gives it.
    pub favorites: Option<u64>,
    /// How many favourites the account may hold, when the site gives it.
    pub favorites_max: Option<u64>,
}

impl User {
    /// A user known only by name (what a web login tells).
    pub fn named(username: impl Into<String>) -> Self {
        Self {
            uid: None,
            username: username.into(),
            level_name: None,
            coin: None,
            favorites: None,
            favorites_max: None,
        }
    }
}

/// A favourites folder. The folder every account has, where albums go when no folder is
/// named, has id [`FavoriteFolder::DEFAULT_ID`].
// Spec §2.5 (`folder_list` items with `FID` and `name`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FavoriteFolder {
    /// The folder id (`FID`). The site's ids are numbers sent as text; kept as text so a
    /// folder id is passed back exactly as the site gave it.
    pub id: String,
    /// The folder's name.
    pub name: String,
}

impl FavoriteFolder {
    /// The id of the default folder (the Python package's `folder_id='0'`).
    pub const DEFAULT_ID: &'static str = "0";

    /// Whether this is the default folder.
    pub fn is_default(&self) -> bool {
        self.id == Self::DEFAULT_ID
    }
}

/// One page of a favourites folder.
// Spec §2.5 (`JmFavoritePage`), §6.2.3 (`/favorite`), §6.3.5 (favourite page).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FavoritePage {
    /// The folder listed (`"0"`: the default folder, which on the site lists every
    /// favourite).
    pub folder: String,
    /// The 1-based page number.
    pub page: u32,
    /// Albums in the listed folder, across pages.
    pub total: u64,
    /// The albums on this page.
    pub items: Vec<SearchItem>,
    /// The account's folders, as the site lists them beside every page (the default folder
    /// is not among them on the site; see [`FavoritePage::all_folders`]).
    pub folders: Vec<FavoriteFolder>,
}

impl FavoritePage {
    /// Albums per page on the site (the Python package's favourite page size).
    // Spec §2.5.
    pub const PAGE_SIZE: u64 = 20;

    /// Number of pages of the folder (at least 1: an empty folder has one empty page).
    pub fn page_count(&self) -> u64 {
        self.total.div_ceil(Self::PAGE_SIZE).max(1)
    }

    /// Every folder, the default one first (named `default_name`) and then the site's, each
    /// once.
    pub fn all_folders(&self, default_name: &str) -> Vec<FavoriteFolder> {
        let mut out = vec![FavoriteFolder {
            id: FavoriteFolder::DEFAULT_ID.to_owned(),
            name: default_name.to_owned(),
        }];
        for f in &self.folders {
            if !out.iter().any(|o| o.id == f.id) {
                out.push(f.clone());
            }
        }
        out
    }
}

/// A comment on an album, or in the site-wide forum.
// Spec §2.5 (`JmAlbumComment`), §6.2.3 (comment items), §6.3.5 (comment HTML).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    /// The comment's id (`CID`).
    pub id: u64,
    /// The album it is about, when the site says (`AID`).
    pub album_id: Option<JmId>,
    /// The author's user id (`UID`), when known.
    pub user_id: Option<u64>,
    /// The comment this one answers (`parent_CID`; `None` for a top-level comment).
    pub parent_id: Option<u64>,
    /// The author's login name.
    pub username: String,
    /// The author's display name.
    pub nickname: String,
    /// The text, markup removed (`<br>` became a line break, entities decoded).
    pub content: String,
    /// Whether the author marked it as a spoiler.
    pub spoiler: bool,
    /// When it was written, as the site shows it.
    pub created_at: String,
    /// Likes, when the site gives them (the web pages do not).
    pub likes: Option<u64>,
    /// Answers to it, in the site's order.
    pub replies: Vec<Comment>,
}

impl Comment {
    /// The name to show for the author: the display name, else the login name.
    pub fn author(&self) -> &str {
        if self.nickname.is_empty() {
            &self.username
        } else {
            &self.nickname
        }
    }
}

impl fmt::Display for Comment {
    /// `[id] author: content`, with the Python package's spoiler mark after the author.
    // Spec §2.5 (`str(comment)`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let spoiler = if self.spoiler { "（剧透）" } else { "" };
        write!(
            f,
            "[{}] {}{spoiler}: {}",
            self.id,
            self.author(),
            self.content
        )
    }
}

/// One page of comments.
// Spec §2.5 (`JmAlbumCommentPage`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentPage {
    /// The 1-based page number.
    pub page: u32,
    /// Top-level comments across pages, when the site says (the web pages do not).
    pub total: Option<u64>,
    /// The top-level comments on this page, each with its replies.
    pub comments: Vec<Comment>,
}

impl CommentPage {
    /// Top-level comments per page on the site.
    // Spec §2.5.
    pub const PAGE_SIZE: u64 = 10;

    /// Number of pages, when the total is known.
    pub fn page_count(&self) -> Option<u64> {
        self.total.map(|t| t.div_ceil(Self::PAGE_SIZE).max(1))
    }

    /// Comments on this page counting every reply, at any depth.
    pub fn comment_count(&self) -> usize {
        fn count(c: &[Comment]) -> usize {
            c.iter().map(|c| 1 + count(&c.replies)).sum()
        }
        count(&self.comments)
    }
}

/// The daily check-in event and where the user stands in it.
// Spec Appendix A (2.7.10: `/daily` and the web's `user_daily_event`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyEvent {
    /// The event's id, sent back when checking in.
    pub daily_id: String,
    /// The event's name, as the site shows it.
    pub name: String,
    /// Whether the user has checked in today.
    pub signed_today: bool,
    /// The days of the event so far.
    pub days: Vec<DailyDay>,
}

/// A day of the check-in event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyDay {
    /// The date as the site shows it.
    pub date: String,
    /// Whether the user checked in that day.
    pub signed: bool,
    /// The reward for that day, as the site shows it.
    pub bonus: String,
}

/// What a check-in did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckIn {
    /// `false` when the user had already checked in today (not an error: checking in twice
    /// is safe).
    pub new: bool,
    /// The site's message (the reward, or that it was already done).
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comment(id: u64, replies: Vec<Comment>) -> Comment {
        Comment {
            id,
            album_id: Some(JmId::new(1)),
            user_id: None,
            parent_id: None,
            username: "user".into(),
            nickname: String::new(),
            content: "hi".into(),
            spoiler: false,
            created_at: String::new(),
            likes: None,
            replies,
        }
    }

    #[test]
    fn comment_counts_include_replies_at_any_depth() {
        let page = CommentPage {
            page: 1,
            total: Some(21),
            comments: vec![
                comment(1, vec![comment(2, vec![comment(3, vec![])])]),
                comment(4, vec![]),
            ],
        };
        assert_eq!(page.comment_count(), 4);
        assert_eq!(page.page_count(), Some(3));
        let unknown = CommentPage {
            total: None,
            ..page
        };
        assert_eq!(unknown.page_count(), None);
    }

    #[test]
    fn comments_print_like_the_python_package() {
        let mut c = comment(7, vec![]);
        assert_eq!(c.to_string(), "[7] user: hi");
        c.nickname = "Nick".into();
        c.spoiler = true;
        assert_eq!(c.to_string(), "[7] Nick（剧透）: hi");
    }

    #[test]
    fn the_default_folder_comes_first_and_once() {
        let page = FavoritePage {
            folder: "0".into(),
            page: 1,
            total: 41,
            items: vec![],
            folders: vec![
                FavoriteFolder {
                    id: "12".into(),
                    name: "later".into(),
                },
                FavoriteFolder {
                    id: "0".into(),
                    name: "dup".into(),
                },
            ],
        };
        let ids: Vec<String> = page
            .all_folders("default")
            .into_iter()
            .map(|f| f.id)
            .collect();
        assert_eq!(ids, ["0", "12"]);
        assert_eq!(page.page_count(), 3);
        assert_eq!(FavoritePage { total: 0, ..page }.page_count(), 1);
    }
}
