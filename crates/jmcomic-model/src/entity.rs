//! Album → Chapter → Image, as plain data.
//!
//! The client fills these from the site; the download pipeline walks them. Nothing here does
//! I/O. Unlike the Python entities, an album does not own its chapters' fetched details and
//! a chapter does not point back at its album: code that needs both carries both.

// Spec §2 (the Python entities).

use serde::{Deserialize, Serialize};

use crate::id::JmId;
use crate::text;

/// The author name used when the site lists none (the Python package's `DEFAULT_AUTHOR`).
// Spec §2.2.
pub const DEFAULT_AUTHOR: &str = "default_author";

/// An album (本子): a work made of one or more chapters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Album {
    /// Album id (`album_id`).
    pub id: JmId,
    /// Title as the site gives it, trimmed.
    pub name: String,
    /// Authors, in the site's order.
    pub authors: Vec<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Works (作品) the album belongs to.
    pub works: Vec<String>,
    /// Characters (登场人物).
    pub actors: Vec<String>,
    /// Description, trimmed; empty when the site has none (the Python package writes the
    /// text `None` there).
    // Spec W15.
    pub description: String,
    /// Number of pages the site reports for the whole album, if it reports one.
    pub page_count: Option<u32>,
    /// Publication date `YYYY-MM-DD`, if known.
    pub pub_date: Option<String>,
    /// Last update date `YYYY-MM-DD`, if known.
    pub update_date: Option<String>,
    /// Likes as the site shows them (e.g. `1K`).
    pub likes: String,
    /// Views as the site shows them (e.g. `40K`).
    pub views: String,
    /// Number of comments.
    pub comment_count: u64,
    /// Chapters in reading order. Never empty: an album without a chapter list is its own
    /// single chapter.
    // Spec §2.2.
    pub episodes: Vec<Episode>,
    /// Related albums the site suggests.
    pub related: Vec<RelatedAlbum>,
    /// Whether the logged-in user liked the album.
    pub liked: bool,
    /// Whether the album is in the logged-in user's favourites.
    pub is_favorite: bool,
}

/// One entry of an album's chapter list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Episode {
    /// The chapter's id.
    pub chapter_id: JmId,
    /// The site's sort number (1-based position in the album).
    pub sort: u32,
    /// The chapter title from the album's list.
    pub title: String,
}

/// A related album as listed on an album.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelatedAlbum {
    /// Album id.
    pub id: JmId,
    /// Title.
    pub name: String,
    /// Author.
    pub author: String,
}

impl Album {
    /// Builds the episode list the way the site's data means it: an empty list means the
    /// album is its own single chapter; otherwise entries are ordered by sort number (stable)
    /// and duplicate chapter ids dropped.
    ///
    /// Unlike the Python package, chapters that share a sort number are all kept (it keeps
    /// only the first, silently losing chapters when the site's data repeats one).
    // Spec §2.2, W26.
    pub fn normalize_episodes(id: JmId, name: &str, mut episodes: Vec<Episode>) -> Vec<Episode> {
        if episodes.is_empty() {
            return vec![Episode {
                chapter_id: id,
                sort: 1,
                title: name.to_owned(),
            }];
        }
        episodes.sort_by_key(|e| e.sort);
        let mut seen = std::collections::HashSet::new();
        episodes.retain(|e| seen.insert(e.chapter_id));
        episodes
    }

    /// First author, or [`DEFAULT_AUTHOR`] (the Python package's `author`).
    // Spec §2.2.
    pub fn author(&self) -> &str {
        self.authors.first().map_or(DEFAULT_AUTHOR, String::as_str)
    }

    /// The title without bracketed groups (the Python package's `oname`).
    // Spec §2.1.
    pub fn oname(&self) -> String {
        text::oname(&self.name)
    }

    /// `【{author}】{oname}` (the Python package's `authoroname`).
    // Spec §2.1.
    pub fn authoroname(&self) -> String {
        format!("【{}】{}", self.author(), self.oname())
    }

    /// `[{id}] {oname}` (the Python package's `idoname`).
    // Spec §2.1.
    pub fn idoname(&self) -> String {
        format!("[{}] {}", self.id, self.oname())
    }

    /// Whether the album has exactly one chapter, the album itself.
    pub fn is_single_chapter(&self) -> bool {
        self.episodes.len() == 1 && self.episodes[0].chapter_id == self.id
    }

    /// The album's chapters as known from the album alone: id, title, sort and position.
    /// Their page lists are not known yet ([`Chapter::pages`] is `None`); the client
    /// completes them with [`Chapter::complete_with`].
    pub fn chapters(&self) -> Vec<Chapter> {
        self.episodes
            .iter()
            .map(|e| Chapter {
                id: e.chapter_id,
                album_id: self.id,
                name: e.title.trim().to_owned(),
                sort: e.sort,
                tags: self.tags.clone(),
                pages: None,
                scramble_id: None,
            })
            .collect()
    }
}

/// A chapter (章节; the Python package calls it a "photo"): an ordered list of pages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chapter {
    /// Chapter id.
    pub id: JmId,
    /// Id of the album the chapter belongs to (equal to `id` for single-chapter albums).
    pub album_id: JmId,
    /// Chapter title, trimmed.
    pub name: String,
    /// The site's sort number.
    pub sort: u32,
    /// Tags (the album's, when known).
    pub tags: Vec<String>,
    /// Page file names (`00001.webp`, …) in order; `None` until fetched.
    pub pages: Option<Vec<String>>,
    /// The chapter's scramble id (which decides how its pages were cut into strips), once
    /// known.
    // Spec §6.2.6.
    pub scramble_id: Option<ScrambleId>,
}

/// A chapter's scramble id and where it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScrambleId {
    /// The value used for strip counts.
    // Spec §7.1.
    pub value: u64,
    /// Whether the site sent it or a default had to be assumed.
    pub source: ScrambleSource,
}

/// Where a scramble id came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScrambleSource {
    /// Read from the site's chapter template.
    Site,
    /// The site did not say; the usual value (220980) was assumed, as the Python package does
    /// without telling. Pages of such a chapter may come out wrong, so reports flag it.
    // Spec §6.2.6, W8.
    Assumed,
}

impl Chapter {
    /// Whether the chapter is an album's only chapter (its id is the album id).
    pub fn is_single_album(&self) -> bool {
        self.album_id == self.id
    }

    /// 1-based position in the album (the Python package's `album_index`): the sort number,
    /// except that the site numbers single-chapter works `2`, which count as `1`.
    // Spec §2.3.
    pub fn album_index(&self) -> u32 {
        if self.is_single_album() && self.sort == 2 {
            1
        } else {
            self.sort
        }
    }

    /// `第{index}話 {name}` (the Python package's `indextitle`).
    // Spec §2.3.
    pub fn indextitle(&self) -> String {
        format!("第{}話 {}", self.album_index(), self.name)
    }

    /// The title without bracketed groups.
    pub fn oname(&self) -> String {
        text::oname(&self.name)
    }

    /// Number of pages, once known.
    pub fn page_count(&self) -> Option<usize> {
        self.pages.as_ref().map(Vec::len)
    }

    /// Completes a chapter taken from an album's list with the details fetched from the
    /// chapter endpoint.
    ///
    /// Only what the album's list cannot know is taken: the page list, the scramble id, and
    /// the name or tags where the album left them empty. Everything else (title from the
    /// album, sort, position) stays, so paths computed before and after completion agree.
    /// The Python package copies every attribute over instead, which changes the chapter's
    /// name and position mid-download and resets its state.
    // Spec W1.
    pub fn complete_with(&mut self, fetched: Chapter) {
        if fetched.pages.is_some() {
            self.pages = fetched.pages;
        }
        if fetched.scramble_id.is_some() {
            self.scramble_id = fetched.scramble_id;
        }
        if self.name.is_empty() {
            self.name = fetched.name;
        }
        if self.tags.is_empty() {
            self.tags = fetched.tags;
        }
    }

    /// The chapter's pages as [`Image`]s, in order; empty until the page list is known.
    pub fn images(&self) -> Vec<Image> {
        self.pages
            .iter()
            .flatten()
            .enumerate()
            .map(|(i, file)| Image {
                chapter_id: self.id,
                file_name: file.clone(),
                index: i as u32 + 1,
            })
            .collect()
    }
}

/// One page of a chapter.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Image {
    /// The chapter the page belongs to (the Python package's `aid`).
    pub chapter_id: JmId,
    /// File name on the CDN, e.g. `00001.webp`.
    pub file_name: String,
    /// 1-based position in the chapter.
    pub index: u32,
}

impl Image {
    /// File name without its suffix (`00001`), the input of the strip count.
    // Spec §7.1.
    pub fn stem(&self) -> &str {
        self.file_name
            .rsplit_once('.')
            .map_or(self.file_name.as_str(), |(stem, _)| stem)
    }

    /// Suffix with its dot, lower-cased (`.webp`); empty when the name has none.
    pub fn suffix(&self) -> String {
        self.file_name
            .rsplit_once('.')
            .map(|(_, s)| format!(".{}", s.to_ascii_lowercase()))
            .unwrap_or_default()
    }

    /// Whether the page is a GIF (GIF pages are never descrambled, only kept as they come).
    // Spec §7.3.
    pub fn is_gif(&self) -> bool {
        self.suffix() == ".gif"
    }

    /// The CDN path of the page: `/media/photos/{chapter_id}/{file_name}`.
    // Spec §2.3.
    pub fn cdn_path(&self) -> String {
        format!("/media/photos/{}/{}", self.chapter_id, self.file_name)
    }
}

/// One page of search results (the API's `/search`).
// Spec §2.5, §6.2.3.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchPage {
    /// The query as the site echoed it.
    pub query: String,
    /// Total number of results across pages.
    pub total: u64,
    /// The 1-based page number.
    pub page: u32,
    /// Results on this page.
    pub items: Vec<SearchItem>,
    /// Set when the query was an exact album id: the site answers with this id instead of
    /// results.
    pub redirect: Option<JmId>,
}

impl SearchPage {
    /// Results per page on the site (the Python package's `PAGE_SIZE_SEARCH`).
    // Spec §2.5.
    pub const PAGE_SIZE: u64 = 80;

    /// Number of pages of the whole result set.
    pub fn page_count(&self) -> u64 {
        self.total.div_ceil(Self::PAGE_SIZE)
    }
}

/// One search result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchItem {
    /// Album id.
    pub id: JmId,
    /// Title.
    pub name: String,
    /// Author.
    pub author: String,
    /// Tags (may be empty).
    pub tags: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn album(episodes: Vec<Episode>) -> Album {
        let id = JmId::new(100);
        Album {
            id,
            name: "t".into(),
            authors: vec![],
            tags: vec!["x".into()],
            works: vec![],
            actors: vec![],
            description: String::new(),
            page_count: None,
            pub_date: None,
            update_date: None,
            likes: String::new(),
            views: String::new(),
            comment_count: 0,
            episodes: Album::normalize_episodes(id, "t", episodes),
            related: vec![],
            liked: false,
            is_favorite: false,
        }
    }

    fn ep(id: u64, sort: u32) -> Episode {
        Episode {
            chapter_id: JmId::new(id),
            sort,
            title: format!("ep{id}"),
        }
    }

    #[test]
    fn empty_episode_list_is_a_single_chapter() {
        let a = album(vec![]);
        assert!(a.is_single_chapter());
        assert_eq!(a.author(), DEFAULT_AUTHOR);
        let chapters = a.chapters();
        assert_eq!(chapters.len(), 1);
        assert_eq!(chapters[0].id, a.id);
        assert_eq!(chapters[0].album_index(), 1);
        assert_eq!(chapters[0].indextitle(), "第1話 t");
    }

    #[test]
    fn episodes_sorted_and_duplicate_sorts_kept() {
        let a = album(vec![ep(3, 3), ep(1, 1), ep(2, 2), ep(4, 2), ep(1, 1)]);
        let ids: Vec<u64> = a.episodes.iter().map(|e| e.chapter_id.get()).collect();
        assert_eq!(ids, [1, 2, 4, 3]);
    }

    #[test]
    fn single_album_sort_two_is_index_one() {
        let c = Chapter {
            id: JmId::new(5),
            album_id: JmId::new(5),
            name: "n".into(),
            sort: 2,
            tags: vec![],
            pages: None,
            scramble_id: None,
        };
        assert_eq!(c.album_index(), 1);
        let c = Chapter {
            album_id: JmId::new(4),
            ..c
        };
        assert_eq!(c.album_index(), 2);
    }

    #[test]
    fn completion_keeps_album_fields() {
        let a = album(vec![ep(100, 1), ep(101, 2)]);
        let mut c = a.chapters().remove(1);
        let fetched = Chapter {
            id: JmId::new(101),
            album_id: JmId::new(100),
            name: "other name".into(),
            sort: 7,
            tags: vec!["y".into()],
            pages: Some(vec!["00001.webp".into(), "00002.gif".into()]),
            scramble_id: Some(ScrambleId {
                value: 220_980,
                source: ScrambleSource::Site,
            }),
        };
        c.complete_with(fetched);
        assert_eq!(c.name, "ep101");
        assert_eq!(c.sort, 2);
        assert_eq!(c.tags, ["x"]);
        assert_eq!(c.page_count(), Some(2));
        assert_eq!(c.scramble_id.unwrap().value, 220_980);
        let images = c.images();
        assert_eq!(images[1].index, 2);
        assert_eq!(images[1].stem(), "00002");
        assert!(images[1].is_gif());
        assert_eq!(images[0].cdn_path(), "/media/photos/101/00001.webp");
    }

    #[test]
    fn names() {
        let mut a = album(vec![]);
        a.name = "喂我吃吧 [組]".into();
        a.authors = vec!["auth".into()];
        assert_eq!(a.authoroname(), "【auth】喂我吃吧");
        assert_eq!(a.idoname(), "[100] 喂我吃吧");
    }
}
