//! A summary of a [`Catalog`] for people and scripts: what ids can be fetched, what their
//! chapters hold and which scramble id applies (`jmcomic-emulator --list`, the
//! `GET /_emulator/catalog` route, `jmcomic demo --list`).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::catalog::{AlbumSpec, Catalog, ChapterSpec, PageKind};
use crate::scramble::strip_count;

/// What a catalog serves, as [`Catalog::listing`] summarises it.
///
/// Serialises to JSON (the `--list --json` output and the `/_emulator/catalog` answer) and
/// displays as indented text (`--list`), one line per album and per chapter, with control
/// characters in titles escaped so that hostile titles cannot drive a terminal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogListing {
    /// The albums, in catalog order.
    pub albums: Vec<AlbumListing>,
    /// The placeholder album the API answers with for requests without the session cookie
    /// (spec §6.2.7); it can also be fetched by its own id.
    pub placeholder: AlbumListing,
    /// Pages over all albums, the placeholder included.
    pub total_pages: usize,
}

/// One album of a [`CatalogListing`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlbumListing {
    /// Album id (the id to download; equal to its first chapter's id).
    pub id: u64,
    /// Title, as `/album` sends it.
    pub title: String,
    /// Authors.
    pub authors: Vec<String>,
    /// The album's scramble id (chapters may have their own: [`ChapterListing::scramble_id`]).
    pub scramble_id: u64,
    /// Pages over all chapters.
    pub pages: usize,
    /// Chapters in `series` order.
    pub chapters: Vec<ChapterListing>,
    /// Only logged-in users see it ([`AlbumSpec::login_only`]).
    #[serde(default)]
    pub login_only: bool,
    /// Category slug (`c`, e.g. `doujin`).
    #[serde(default)]
    pub category: String,
}

/// One chapter of an [`AlbumListing`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChapterListing {
    /// Chapter (photo) id.
    pub id: u64,
    /// Title.
    pub title: String,
    /// Episode number (`sort`).
    pub sort: u32,
    /// The scramble id `/chapter_view_template` states for this chapter.
    pub scramble_id: u64,
    /// Pages the CDN serves.
    pub pages: usize,
    /// Pages of each kind (keys as [`PageKind`] displays, e.g. `lossy-webp`).
    pub page_kinds: BTreeMap<PageKind, usize>,
    /// Pages the CDN serves cut into strips (strip count above 0, spec §7.1; never GIFs).
    pub scrambled_pages: usize,
}

impl Catalog {
    /// A summary of every album and chapter this catalog serves (see [`CatalogListing`]).
    pub fn listing(&self) -> CatalogListing {
        CatalogListing {
            albums: self.albums.iter().map(album_listing).collect(),
            placeholder: album_listing(&self.placeholder),
            total_pages: self.page_count(),
        }
    }
}

fn album_listing(album: &AlbumSpec) -> AlbumListing {
    AlbumListing {
        id: album.id,
        title: album.title.clone(),
        authors: album.authors.clone(),
        scramble_id: album.scramble_id,
        pages: album.page_count(),
        login_only: album.login_only,
        category: album.category.clone(),
        chapters: album
            .chapters
            .iter()
            .map(|ch| chapter_listing(album, ch))
            .collect(),
    }
}

fn chapter_listing(album: &AlbumSpec, ch: &ChapterSpec) -> ChapterListing {
    let scramble_id = album.chapter_scramble_id(ch);
    let mut page_kinds = BTreeMap::new();
    for page in &ch.pages {
        *page_kinds.entry(page.kind).or_insert(0) += 1;
    }
    let scrambled_pages = ch
        .pages
        .iter()
        .filter(|p| p.kind.is_scrambled_kind() && strip_count(scramble_id, ch.id, p.stem()) > 0)
        .count();
    ChapterListing {
        id: ch.id,
        title: ch.title.clone(),
        sort: ch.sort,
        scramble_id,
        pages: ch.pages.len(),
        page_kinds,
        scrambled_pages,
    }
}

/// A title made safe to print: control characters (NUL, escapes, line breaks, tabs) are
/// written as Rust escapes, everything else is kept.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

impl AlbumListing {
    fn fmt_with(&self, f: &mut fmt::Formatter<'_>, label: &str) -> fmt::Result {
        writeln!(
            f,
            "{label}{id}  \"{title}\"  {chapters}, {pages}, scramble id {sid}{login}",
            id = self.id,
            title = printable(&self.title),
            chapters = plural(self.chapters.len(), "chapter"),
            pages = plural(self.pages, "page"),
            sid = self.scramble_id,
            login = if self.login_only { ", login only" } else { "" },
        )?;
        for ch in &self.chapters {
            let kinds: Vec<String> = ch
                .page_kinds
                .iter()
                .map(|(kind, n)| format!("{n} {kind}"))
                .collect();
            let own_id = if ch.scramble_id == self.scramble_id {
                String::new()
            } else {
                format!(", own scramble id {}", ch.scramble_id)
            };
            writeln!(
                f,
                "  chapter {id} #{sort}  \"{title}\"  {pages} ({kinds}), {scrambled} scrambled{own_id}",
                id = ch.id,
                sort = ch.sort,
                title = printable(&ch.title),
                pages = plural(ch.pages, "page"),
                kinds = kinds.join(", "),
                scrambled = ch.scrambled_pages,
            )?;
        }
        Ok(())
    }
}

impl fmt::Display for CatalogListing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{albums}, {pages} (ids to fetch: album or chapter ids below)",
            albums = plural(self.albums.len(), "album"),
            pages = plural(self.total_pages, "page"),
        )?;
        for album in &self.albums {
            album.fmt_with(f, "album ")?;
        }
        self.placeholder.fmt_with(
            f,
            "placeholder (answered to requests without the session cookie) album ",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_escapes_controls_only() {
        assert_eq!(printable("a\tb\nc\u{1b}[0m 中"), "a\\tb\\nc\\u{1b}[0m 中");
    }

    #[test]
    fn listing_counts_match_the_catalog() {
        let catalog = Catalog::standard();
        let listing = catalog.listing();
        assert_eq!(listing.albums.len(), catalog.albums.len());
        assert_eq!(listing.total_pages, catalog.page_count());
        for (album, spec) in listing.albums.iter().zip(&catalog.albums) {
            assert_eq!((album.id, album.pages), (spec.id, spec.page_count()));
            for (ch, ch_spec) in album.chapters.iter().zip(&spec.chapters) {
                assert_eq!(ch.page_kinds.values().sum::<usize>(), ch_spec.pages.len());
                assert!(ch.scrambled_pages <= ch.pages);
            }
        }
    }
}
