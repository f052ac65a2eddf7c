//! What exports say about the album or chapter they hold (titles, authors, tags), taken from
//! the site's entities.

use jmcomic_model::{Album, Chapter, JmId};

/// Metadata for an export of a whole album or of one chapter.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExportMeta {
    /// The album's id.
    pub album_id: JmId,
    /// The album's title.
    pub album_title: String,
    /// Authors, in the site's order (may be empty).
    pub authors: Vec<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Works (作品) the album belongs to.
    pub works: Vec<String>,
    /// Characters.
    pub actors: Vec<String>,
    /// The album's description (may be empty).
    pub description: String,
    /// Publication date `YYYY-MM-DD`, if known.
    pub pub_date: Option<String>,
    /// Number of chapters of the album.
    pub chapter_count: usize,
    /// The chapter, for a chapter export; `None` for a whole album.
    pub chapter: Option<ChapterMeta>,
}

/// The chapter of a chapter export.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChapterMeta {
    /// Chapter id.
    pub id: JmId,
    /// 1-based position in the album.
    pub index: u32,
    /// Chapter title.
    pub title: String,
}

impl ExportMeta {
    /// Metadata of a whole-album export.
    pub fn album(album: &Album) -> Self {
        ExportMeta {
            album_id: album.id,
            album_title: album.name.clone(),
            authors: album.authors.clone(),
            tags: album.tags.clone(),
            works: album.works.clone(),
            actors: album.actors.clone(),
            description: album.description.clone(),
            pub_date: album.pub_date.clone(),
            chapter_count: album.episodes.len(),
            chapter: None,
        }
    }

    /// Metadata of an export of one chapter of `album`.
    pub fn chapter(album: &Album, chapter: &Chapter) -> Self {
        ExportMeta {
            chapter: Some(ChapterMeta {
                id: chapter.id,
                index: chapter.album_index(),
                title: chapter.name.clone(),
            }),
            ..Self::album(album)
        }
    }

    /// The title a reader shows: the album title, or `album title - chapter title` for a
    /// chapter of a multi-chapter album.
    pub fn display_title(&self) -> String {
        match &self.chapter {
            Some(c) if self.chapter_count > 1 && !c.title.is_empty() => {
                format!("{} - {}", self.album_title, c.title)
            }
            _ => self.album_title.clone(),
        }
    }

    /// Authors joined with `, `.
    pub fn author_line(&self) -> String {
        self.authors.join(", ")
    }
}
