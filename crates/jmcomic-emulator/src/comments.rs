//! Album comments and the site-wide forum (spec §6.2.3 `/forum`, §6.3.3
//! `/ajax/album_pagination`, `/ajax/forum_more`, `/ajax/album_comment`, §2.5
//! `JmAlbumComment`).
//!
//! Every album gets `min(comments, 150)` synthetic top-level comments (some with replies,
//! some spoilers, some with `<br>` and escaped markup in their HTML content), made the
//! first time comments are asked for, in catalog order, so their ids never change. Comments
//! users post through the HTML site are kept besides and come first (newest first), in the
//! album's list, in the forum and on both hosts.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, PoisonError};

use crate::catalog::{Catalog, mix};

/// At most this many synthetic comments per album (hostile catalogs claim absurd counts).
const MAX_SYNTHETIC: u64 = 150;
/// First comment id; synthetic comments count up from here, posted ones after them.
const FIRST_CID: u64 = 1_000_001;

/// One comment (and its replies), as both sides show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Comment {
    pub cid: u64,
    pub aid: u64,
    pub uid: u64,
    pub username: String,
    pub nickname: String,
    /// The content as HTML (the API's `content`, spec §6.2.3: "content (HTML)").
    pub content: String,
    pub spoiler: bool,
    /// Unix seconds.
    pub addtime: u64,
    pub likes: u64,
    /// Parent comment id, `0` for a top-level comment.
    pub parent: u64,
    pub replies: Vec<Comment>,
}

/// The synthetic commenters: `(uid, username, nickname)`. Some names are not ASCII so that
/// the HTML's `/user/{name}/` links need URL-decoding (spec §6.3.5 comment parsing).
const READERS: [(u64, &str, &str); 8] = [
    (300_001, "reader01", "小明"),
    (300_002, "alice_jm", "Alice"),
    (300_003, "讀者七", "讀者七"),
    (300_004, "bob-2024", "Bob & Co"),
    (300_005, "読者", "よみびと"),
    (300_006, "독자", "독자"),
    (300_007, "night.owl", "夜貓子"),
    (300_008, "space cadet", "Space Cadet"),
];

/// Contents (HTML) the synthetic comments cycle through.
const CONTENTS: [&str; 6] = [
    "好看！",
    "Nice &amp; clean",
    "line one<br>line two",
    "&lt;b&gt;not bold&lt;/b&gt;",
    "😀 emoji 😀",
    "第二話最棒",
];

struct Synthetic {
    /// Album id -> its comments, newest first.
    by_album: HashMap<u64, Vec<Comment>>,
    /// Every top-level synthetic comment as (album id, index in its list), newest first.
    forum: Vec<(u64, usize)>,
    next_cid: u64,
}

#[derive(Default)]
struct Posted {
    /// Top-level comments, oldest first.
    top: Vec<Comment>,
    /// Parent id -> replies, oldest first.
    replies: HashMap<u64, Vec<Comment>>,
    next_cid: u64,
}

/// The comment store of one emulator.
pub(crate) struct Board {
    synthetic: OnceLock<Synthetic>,
    posted: Mutex<Posted>,
}

/// Why posting failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PostError {
    Empty,
    NoSuchAlbum,
    NoSuchParent,
}

/// Who posts.
pub(crate) struct Poster<'a> {
    pub uid: u64,
    pub username: &'a str,
}

fn synthesize(catalog: &Catalog) -> Synthetic {
    let mut next_cid = FIRST_CID;
    let mut by_album = HashMap::new();
    let mut forum = Vec::new();
    for album in &catalog.albums {
        let n = album.comments.min(MAX_SYNTHETIC);
        let mut list = Vec::new();
        // Oldest first while numbering, so ids grow with time; reversed below.
        for k in 0..n {
            let cid = next_cid;
            next_cid += 1;
            let r = mix(album.id ^ (k << 20));
            let (uid, username, nickname) = READERS[(r % READERS.len() as u64) as usize];
            let addtime = album.addtime + (k + 1) * 3 * 3_600;
            let replies_wanted = match k {
                k if k % 9 == 2 => 2,
                k if k % 4 == 1 => 1,
                _ => 0,
            };
            let mut replies = Vec::new();
            for j in 0..replies_wanted {
                let rcid = next_cid;
                next_cid += 1;
                let (ruid, rname, rnick) = READERS[((r >> 8) as usize + j + 1) % READERS.len()];
                replies.push(Comment {
                    cid: rcid,
                    aid: album.id,
                    uid: ruid,
                    username: rname.to_owned(),
                    nickname: rnick.to_owned(),
                    content: format!("回覆 #{}：同意{}", k + 1, "！".repeat(j + 1)),
                    spoiler: false,
                    addtime: addtime + (j as u64 + 1) * 600,
                    likes: mix(rcid) % 20,
                    parent: cid,
                    replies: Vec::new(),
                });
            }
            list.push(Comment {
                cid,
                aid: album.id,
                uid,
                username: username.to_owned(),
                nickname: nickname.to_owned(),
                content: format!(
                    "#{} {}",
                    k + 1,
                    CONTENTS[(k % CONTENTS.len() as u64) as usize]
                ),
                spoiler: k % 7 == 3,
                addtime,
                likes: mix(cid) % 50,
                parent: 0,
                replies,
            });
        }
        list.reverse();
        forum.extend((0..list.len()).map(|i| (album.id, i)));
        by_album.insert(album.id, list);
    }
    forum.sort_by_key(|&(aid, i)| {
        let c = &by_album[&aid][i];
        std::cmp::Reverse((c.addtime, c.cid))
    });
    Synthetic {
        by_album,
        forum,
        next_cid,
    }
}

/// Escapes posted text into the HTML the site stores (`<br>` for line breaks).
fn text_to_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.trim().chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' => out.push_str("<br>"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

impl Board {
    pub(crate) fn new() -> Self {
        Self {
            synthetic: OnceLock::new(),
            posted: Mutex::new(Posted::default()),
        }
    }

    fn synthetic(&self, catalog: &Catalog) -> &Synthetic {
        self.synthetic.get_or_init(|| synthesize(catalog))
    }

    fn posted(&self) -> std::sync::MutexGuard<'_, Posted> {
        self.posted.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A comment with the posted replies of it and of its replies appended.
    fn with_posted_replies(comment: &Comment, posted: &Posted) -> Comment {
        let mut c = comment.clone();
        c.replies = c
            .replies
            .iter()
            .map(|r| Self::with_posted_replies(r, posted))
            .collect();
        if let Some(extra) = posted.replies.get(&c.cid) {
            c.replies
                .extend(extra.iter().map(|r| Self::with_posted_replies(r, posted)));
        }
        c
    }

    /// Top-level comments of an album (posted ones first, newest first).
    pub(crate) fn count(&self, catalog: &Catalog, aid: u64) -> usize {
        let synthetic = self
            .synthetic(catalog)
            .by_album
            .get(&aid)
            .map_or(0, Vec::len);
        synthetic + self.posted().top.iter().filter(|c| c.aid == aid).count()
    }

    /// Page `page` (1-based) of an album's comments and their total.
    pub(crate) fn album_page(
        &self,
        catalog: &Catalog,
        aid: u64,
        page: u64,
        size: usize,
    ) -> (Vec<Comment>, usize) {
        let synthetic = self.synthetic(catalog);
        let posted = self.posted();
        let own: Vec<&Comment> = posted.top.iter().rev().filter(|c| c.aid == aid).collect();
        let list: Vec<&Comment> = own
            .into_iter()
            .chain(synthetic.by_album.get(&aid).into_iter().flatten())
            .collect();
        let total = list.len();
        let items = crate::query::page_of(&list, page, size)
            .iter()
            .map(|c| Self::with_posted_replies(c, &posted))
            .collect();
        (items, total)
    }

    /// Page `page` of the site-wide forum (every album's top-level comments, newest first)
    /// and its total. With `repeat_last`, pages past the end answer the last page again
    /// (the HTML site does, spec §6.1.1 `forum_pagination_gen`).
    pub(crate) fn forum_page(
        &self,
        catalog: &Catalog,
        page: u64,
        size: usize,
        repeat_last: bool,
    ) -> (Vec<Comment>, usize) {
        let synthetic = self.synthetic(catalog);
        let posted = self.posted();
        let list: Vec<&Comment> = posted
            .top
            .iter()
            .rev()
            .chain(
                synthetic
                    .forum
                    .iter()
                    .map(|(aid, i)| &synthetic.by_album[aid][*i]),
            )
            .collect();
        let total = list.len();
        let last = crate::query::page_count(total, size) as u64;
        let page = if repeat_last { page.min(last) } else { page };
        let items = crate::query::page_of(&list, page, size)
            .iter()
            .map(|c| Self::with_posted_replies(c, &posted))
            .collect();
        (items, total)
    }

    /// Posts a comment on an album, or a reply to comment `parent`; returns its id.
    pub(crate) fn post(
        &self,
        catalog: &Catalog,
        aid: u64,
        parent: Option<u64>,
        poster: &Poster<'_>,
        text: &str,
        now: u64,
    ) -> Result<u64, PostError> {
        if text.trim().is_empty() {
            return Err(PostError::Empty);
        }
        let synthetic = self.synthetic(catalog);
        let mut posted = self.posted();
        let aid = if let Some(pid) = parent {
            fn find(list: &[Comment], pid: u64) -> Option<u64> {
                list.iter().find_map(|c| {
                    if c.cid == pid {
                        Some(c.aid)
                    } else {
                        find(&c.replies, pid)
                    }
                })
            }
            synthetic
                .by_album
                .values()
                .find_map(|l| find(l, pid))
                .or_else(|| find(&posted.top, pid))
                .or_else(|| posted.replies.values().find_map(|l| find(l, pid)))
                .ok_or(PostError::NoSuchParent)?
        } else {
            if catalog.albums.iter().all(|a| a.id != aid) {
                return Err(PostError::NoSuchAlbum);
            }
            aid
        };
        if posted.next_cid == 0 {
            posted.next_cid = synthetic.next_cid;
        }
        let cid = posted.next_cid;
        posted.next_cid += 1;
        let comment = Comment {
            cid,
            aid,
            uid: poster.uid,
            username: poster.username.to_owned(),
            nickname: poster.username.to_owned(),
            content: text_to_html(text),
            spoiler: false,
            addtime: now,
            likes: 0,
            parent: parent.unwrap_or(0),
            replies: Vec::new(),
        };
        match parent {
            Some(pid) => posted.replies.entry(pid).or_default().push(comment),
            None => posted.top.push(comment),
        }
        Ok(cid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_comments_are_stable_and_paged() {
        let catalog = Catalog::standard();
        let board = Board::new();
        let album = catalog.album(10_086).expect("album");
        let (first, total) = board.album_page(&catalog, album.id, 1, 10);
        assert_eq!(total as u64, album.comments.min(MAX_SYNTHETIC));
        assert_eq!(first.len(), 10);
        assert!(first.windows(2).all(|w| w[0].addtime >= w[1].addtime));
        let again = Board::new().album_page(&catalog, album.id, 1, 10).0;
        assert_eq!(first, again);
        assert!(first.iter().any(|c| !c.replies.is_empty()));
        assert!(first.iter().any(|c| c.spoiler));
        let (last, _) = board.album_page(&catalog, album.id, 10, 10);
        assert_eq!(last.len(), total - 90);
        let (forum_last, forum_total) = board.forum_page(&catalog, 10_000, 10, true);
        assert!(!forum_last.is_empty());
        assert!(board.forum_page(&catalog, 10_000, 10, false).0.is_empty());
        assert!(forum_total > total);
    }

    #[test]
    fn posting_comments_and_replies() {
        let catalog = Catalog::standard();
        let board = Board::new();
        let who = Poster {
            uid: 1,
            username: "me",
        };
        assert_eq!(
            board.post(&catalog, 438_516, None, &who, "  ", 9),
            Err(PostError::Empty)
        );
        assert_eq!(
            board.post(&catalog, 1, None, &who, "x", 9),
            Err(PostError::NoSuchAlbum)
        );
        let before = board.count(&catalog, 438_516);
        let cid = board
            .post(&catalog, 438_516, None, &who, "a <b>\nline", 2_000_000_000)
            .expect("post");
        assert_eq!(board.count(&catalog, 438_516), before + 1);
        let (page, _) = board.album_page(&catalog, 438_516, 1, 10);
        assert_eq!(page[0].cid, cid);
        assert_eq!(page[0].content, "a &lt;b&gt;<br>line");
        let reply = board
            .post(&catalog, 0, Some(cid), &who, "re", 2_000_000_001)
            .expect("reply");
        let (page, _) = board.album_page(&catalog, 438_516, 1, 10);
        assert_eq!(page[0].replies[0].cid, reply);
        assert_eq!(page[0].replies[0].parent, cid);
        assert_eq!(board.forum_page(&catalog, 1, 10, false).0[0].cid, cid);
        assert_eq!(
            board.post(&catalog, 0, Some(7), &who, "re", 1),
            Err(PostError::NoSuchParent)
        );
    }
}
