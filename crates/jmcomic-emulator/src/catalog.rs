//! The synthetic catalog the emulator serves: albums -> chapters -> pages.
//!
//! Everything is deterministic: the same catalog always yields the same JSON and the same page
//! bytes. Page pixels are drawn from [`PageSpec::seed`] (or, when that is `None`, from the
//! chapter id and page index), so a catalog is only metadata until a page is requested.

use std::collections::HashSet;
use std::fmt;

use crate::error::{Error, Result};

/// How a page is encoded on the CDN.
///
/// Serialised (in [`CatalogListing`](crate::CatalogListing)) as its [`Display`](fmt::Display)
/// form, e.g. `lossy-webp`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum PageKind {
    /// Lossy WebP (libwebp, quality 85), scrambled by the strip count. The common case on the
    /// real CDN.
    LossyWebp,
    /// Lossless WebP, scrambled: lets tests check descrambling pixel for pixel.
    LosslessWebp,
    /// Baseline JPEG (quality 90), scrambled.
    Jpeg,
    /// Animated GIF (2+ frames); never scrambled (spec §7.3).
    Gif,
}

impl PageKind {
    /// The file extension the site uses for this kind, with no dot.
    pub fn extension(self) -> &'static str {
        match self {
            Self::LossyWebp | Self::LosslessWebp => "webp",
            Self::Jpeg => "jpg",
            Self::Gif => "gif",
        }
    }

    /// The `Content-Type` the CDN sends.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::LossyWebp | Self::LosslessWebp => "image/webp",
            Self::Jpeg => "image/jpeg",
            Self::Gif => "image/gif",
        }
    }

    /// Whether the CDN scrambles pages of this kind (all but GIF, spec §7.3).
    pub fn is_scrambled_kind(self) -> bool {
        !matches!(self, Self::Gif)
    }
}

impl fmt::Display for PageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::LossyWebp => "lossy-webp",
            Self::LosslessWebp => "lossless-webp",
            Self::Jpeg => "jpeg",
            Self::Gif => "gif",
        })
    }
}

/// One page (image) of a chapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageSpec {
    /// File name as listed in the chapter's `images`, e.g. `00001.webp`.
    pub file_name: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Encoding.
    pub kind: PageKind,
    /// Drawing seed. `None` derives it from (chapter id, page index), so every page differs;
    /// bench catalogs share a few seeds so that pages (and their encodings) are reused.
    pub seed: Option<u64>,
}

impl PageSpec {
    /// A page with an explicit file name.
    pub fn new(file_name: impl Into<String>, width: u32, height: u32, kind: PageKind) -> Self {
        Self {
            file_name: file_name.into(),
            width,
            height,
            kind,
            seed: None,
        }
    }

    /// The site's naming: page `index` (1-based) is `{index:05}.{ext}`.
    pub fn numbered(index: usize, width: u32, height: u32, kind: PageKind) -> Self {
        Self::new(
            format!("{index:05}.{}", kind.extension()),
            width,
            height,
            kind,
        )
    }

    /// Sets the drawing seed.
    #[must_use]
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// The file name without its extension, the input of the strip count (spec §7.1).
    pub fn stem(&self) -> &str {
        self.file_name
            .rsplit_once('.')
            .map_or(self.file_name.as_str(), |(stem, _)| stem)
    }
}

/// One chapter (the spec's "photo"); its id is what image URLs and strip counts use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChapterSpec {
    /// Chapter (photo) id.
    pub id: u64,
    /// Chapter title (the `name` of `/chapter` and of the album's `series` entry).
    pub title: String,
    /// The `sort` of the album's `series` entry (1-based episode number).
    pub sort: u32,
    /// Pages in reading order.
    pub pages: Vec<PageSpec>,
    /// The `images` list `/chapter` sends, when it should differ from the page names:
    /// hostile catalogs list names that have no page behind them (the CDN answers 404 for
    /// those). `None` (the default) lists the pages' names.
    pub listed_images: Option<Vec<String>>,
    /// This chapter's own scramble id, when it differs from its album's (`None`, the
    /// default: [`AlbumSpec::scramble_id`]). The site is asked per chapter (spec §6.2.6), but
    /// the Python package caches the answer under the album id too (W8); a chapter with its
    /// own value catches a client that does the same.
    pub scramble_id: Option<u64>,
}

impl ChapterSpec {
    /// A chapter.
    pub fn new(id: u64, title: impl Into<String>, sort: u32, pages: Vec<PageSpec>) -> Self {
        Self {
            id,
            title: title.into(),
            sort,
            pages,
            listed_images: None,
            scramble_id: None,
        }
    }

    /// Gives the chapter its own scramble id (see [`ChapterSpec::scramble_id`]).
    #[must_use]
    pub fn with_scramble_id(mut self, scramble_id: u64) -> Self {
        self.scramble_id = Some(scramble_id);
        self
    }

    /// Sets the `images` list `/chapter` sends (see [`ChapterSpec::listed_images`]).
    #[must_use]
    pub fn with_listed_images(mut self, names: Vec<String>) -> Self {
        self.listed_images = Some(names);
        self
    }

    /// The names `/chapter` lists in `images`.
    pub fn listed_names(&self) -> Vec<&str> {
        match &self.listed_images {
            Some(names) => names.iter().map(String::as_str).collect(),
            None => self.pages.iter().map(|p| p.file_name.as_str()).collect(),
        }
    }

    /// Looks a page up by file name.
    pub fn page(&self, file_name: &str) -> Option<&PageSpec> {
        self.pages.iter().find(|p| p.file_name == file_name)
    }

    /// The page's 0-based index in the chapter.
    pub fn page_index(&self, file_name: &str) -> Option<usize> {
        self.pages.iter().position(|p| p.file_name == file_name)
    }
}

/// One album (the spec's "album"/本子). By site convention its id equals its first chapter's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlbumSpec {
    /// Album id (== `chapters[0].id`).
    pub id: u64,
    /// Title (`name`).
    pub title: String,
    /// Authors (`author` list; may be empty).
    pub authors: Vec<String>,
    /// Tags (no spaces: `/chapter` joins them with spaces, spec §6.2.5).
    pub tags: Vec<String>,
    /// Works (作品).
    pub works: Vec<String>,
    /// Actors (登场人物).
    pub actors: Vec<String>,
    /// Description; `None` is sent as JSON `null`.
    pub description: Option<String>,
    /// Scramble id served by `/chapter_view_template` and used for strip counts (spec §6.2.6),
    /// for every chapter that has none of its own ([`ChapterSpec::scramble_id`]).
    pub scramble_id: u64,
    /// Chapters in `series` order. One chapter = a single-chapter album (empty `series`).
    pub chapters: Vec<ChapterSpec>,
    /// `total_views`.
    pub views: u64,
    /// `likes`.
    pub likes: u64,
    /// `comment_total`.
    pub comments: u64,
    /// `addtime` (unix seconds).
    pub addtime: u64,
    /// Fields of the album JSON (`/album`) replaced by these values after the usual ones are
    /// filled in, so a catalog can claim absurd counts (`total_photos`, `likes`, ...) while
    /// serving its real pages. Empty by default.
    pub json_overrides: serde_json::Map<String, serde_json::Value>,
    /// Category slug as the site's `c` parameter and `/albums/{category}` path use it (spec
    /// §6.1.1b: `doujin`, `single`, `short`, `another`, `hanman`, `meiman`, `doujin_cosplay`,
    /// `3D`, `english_site`). Default: `single` for single-chapter albums, else `doujin`.
    pub category: String,
    /// Sub-category slug (`/sub/{x}`, spec §6.1.1b: `chinese`, `japanese`, `CG`, `youth`,
    /// `other`, `3d`, `cosplay`), if any. Default `None`.
    pub sub_category: Option<String>,
    /// Only logged-in users see the album (and its chapters); anonymous requests get the
    /// "missing" answers (spec §6.3.4 `/error/album_missing`, §9 `raise_missing`). Default
    /// `false`.
    pub login_only: bool,
}

/// A period of the site's time filter `t` and of its rankings (spec §6.1.1b: `t` today, `w`
/// week, `m` month, `a` all).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Period {
    /// `t`: today (the day ranking).
    Day,
    /// `w`: this week (the week ranking).
    Week,
    /// `m`: this month (the month ranking).
    Month,
    /// `a`: all time (the default).
    All,
}

impl Period {
    /// The wire value of `t` (and the suffix of `o=mv_{t}`).
    pub fn wire(self) -> &'static str {
        match self {
            Self::Day => "t",
            Self::Week => "w",
            Self::Month => "m",
            Self::All => "a",
        }
    }

    /// The period a wire value names, if any.
    pub fn from_wire(text: &str) -> Option<Self> {
        Some(match text {
            "t" => Self::Day,
            "w" => Self::Week,
            "m" => Self::Month,
            "a" => Self::All,
            _ => return None,
        })
    }
}

impl AlbumSpec {
    /// An album with the given chapters; id = first chapter's id (0 if there is none, which
    /// the emulator rejects at start), scramble id 220980, counters derived from the id.
    pub fn new(title: impl Into<String>, chapters: Vec<ChapterSpec>) -> Self {
        let id = chapters.first().map_or(0, |c| c.id);
        let category = if chapters.len() == 1 {
            "single"
        } else {
            "doujin"
        }
        .to_owned();
        Self {
            id,
            title: title.into(),
            authors: Vec::new(),
            tags: Vec::new(),
            works: Vec::new(),
            actors: Vec::new(),
            description: None,
            scramble_id: crate::site::SCRAMBLE_220980,
            chapters,
            views: 1000 + id % 97_331,
            likes: 10 + id % 4_211,
            comments: id % 97,
            addtime: 1_500_000_000 + (id * 7_919) % 250_000_000,
            json_overrides: serde_json::Map::new(),
            category,
            sub_category: None,
            login_only: false,
        }
    }

    /// Sets the category and sub-category slugs (see [`AlbumSpec::category`]).
    #[must_use]
    pub fn with_category(mut self, category: &str, sub_category: Option<&str>) -> Self {
        category.clone_into(&mut self.category);
        self.sub_category = sub_category.map(str::to_owned);
        self
    }

    /// Makes the album visible to logged-in users only (see [`AlbumSpec::login_only`]).
    #[must_use]
    pub fn with_login_only(mut self) -> Self {
        self.login_only = true;
        self
    }

    /// Views in a period: [`AlbumSpec::views`] for [`Period::All`], else a stable count
    /// derived from the id, with `day <= week <= month <= all`; zero means "not viewed in that
    /// period", and the time filter `t` drops such albums.
    ///
    /// The spec does not say what `t` filters on the real site (§6.1.1b only names the
    /// values). The emulator has no clock-dependent catalog, so "in that period" is this
    /// derived count: about one album in six has no views this month, more none this week
    /// or today, and rankings (`o=mv` with a period) order by it.
    pub fn views_in(&self, period: Period) -> u64 {
        let month = {
            let r = mix(self.id ^ 0x006d_6f6e_7468);
            if r.is_multiple_of(6) {
                0
            } else {
                ((r >> 8) % (self.views / 5 + 1) + 1).min(self.views)
            }
        };
        let week = {
            let r = mix(self.id ^ 0x7765_656b);
            if month == 0 || r.is_multiple_of(4) {
                0
            } else {
                ((r >> 8) % (month / 3 + 1) + 1).min(month)
            }
        };
        let day = {
            let r = mix(self.id ^ 0x0064_6179);
            if week == 0 || r.is_multiple_of(3) {
                0
            } else {
                ((r >> 8) % (week / 4 + 1) + 1).min(week)
            }
        };
        match period {
            Period::Day => day,
            Period::Week => week,
            Period::Month => month,
            Period::All => self.views,
        }
    }

    /// Last update (unix seconds): `addtime` for single-chapter albums, a week later per
    /// further chapter plus a stable offset. The HTML page's 更新日期 and the favourites
    /// order `mp` ("update time", spec §6.1.1b) use it; the spec gives no API field for it.
    pub fn update_time(&self) -> u64 {
        let extra = self.chapters.len().saturating_sub(1) as u64;
        self.addtime
            .saturating_add(extra * 7 * 86_400)
            .saturating_add(mix(self.id ^ 0x7570) % 86_400)
    }

    /// A stable rating in `0..=100` for the order `tr` ("top rated", spec §6.1.1b).
    pub fn rating(&self) -> u64 {
        mix(self.id ^ 0x7261_7465) % 101
    }

    /// Replaces one field of the album JSON (see [`AlbumSpec::json_overrides`]).
    #[must_use]
    pub fn with_json_override(
        mut self,
        key: impl Into<String>,
        value: impl Into<serde_json::Value>,
    ) -> Self {
        self.json_overrides.insert(key.into(), value.into());
        self
    }

    /// A single-chapter album whose one chapter has the album's title and sort 1.
    pub fn single(id: u64, title: impl Into<String>, pages: Vec<PageSpec>) -> Self {
        let title = title.into();
        Self::new(title.clone(), vec![ChapterSpec::new(id, title, 1, pages)])
    }

    /// Sets the authors.
    #[must_use]
    pub fn with_authors(mut self, authors: &[&str]) -> Self {
        self.authors = authors.iter().map(ToString::to_string).collect();
        self
    }

    /// Sets the tags.
    #[must_use]
    pub fn with_tags(mut self, tags: &[&str]) -> Self {
        self.tags = tags.iter().map(ToString::to_string).collect();
        self
    }

    /// Sets the works.
    #[must_use]
    pub fn with_works(mut self, works: &[&str]) -> Self {
        self.works = works.iter().map(ToString::to_string).collect();
        self
    }

    /// Sets the actors.
    #[must_use]
    pub fn with_actors(mut self, actors: &[&str]) -> Self {
        self.actors = actors.iter().map(ToString::to_string).collect();
        self
    }

    /// Sets the description.
    #[must_use]
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets the scramble id.
    #[must_use]
    pub fn with_scramble_id(mut self, scramble_id: u64) -> Self {
        self.scramble_id = scramble_id;
        self
    }

    /// The scramble id of one of this album's chapters: its own, else the album's. This is
    /// what `/chapter_view_template` states for it and what the CDN scrambles its pages with.
    pub fn chapter_scramble_id(&self, chapter: &ChapterSpec) -> u64 {
        chapter.scramble_id.unwrap_or(self.scramble_id)
    }

    /// Whether the album has a single chapter (empty `series`, `series_id` "0").
    pub fn is_single(&self) -> bool {
        self.chapters.len() == 1
    }

    /// Looks a chapter of this album up by id.
    pub fn chapter(&self, id: u64) -> Option<&ChapterSpec> {
        self.chapters.iter().find(|c| c.id == id)
    }

    /// Total pages over all chapters (`total_photos`).
    pub fn page_count(&self) -> usize {
        self.chapters.iter().map(|c| c.pages.len()).sum()
    }
}

/// The whole site: albums plus the placeholder album "禁漫娘" that the real API answers with
/// when a request carries no cookies (spec §6.2.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    /// The albums, in "site" order (used for related lists and the default search order tie
    /// break).
    pub albums: Vec<AlbumSpec>,
    /// The placeholder album (also served for its own id).
    pub placeholder: AlbumSpec,
}

impl Default for Catalog {
    fn default() -> Self {
        Self::standard()
    }
}

/// Deterministic 64-bit mixer (splitmix64), used to derive sizes and seeds.
pub(crate) fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The drawing seed of a page: its own, or one derived from (chapter id, page index).
pub(crate) fn page_seed(chapter_id: u64, index: usize, page: &PageSpec) -> u64 {
    page.seed
        .unwrap_or_else(|| mix(chapter_id.wrapping_mul(1_000_003) ^ index as u64))
}

/// Pages for the standard catalog: sizes in 120..=480 x 150..=720 derived from the chapter id,
/// odd heights on every other page.
fn std_pages(chapter_id: u64, kinds: &[PageKind]) -> Vec<PageSpec> {
    kinds
        .iter()
        .enumerate()
        .map(|(i, &kind)| {
            let r = mix(chapter_id * 131 + i as u64);
            let (mut w, mut h) = (120 + (r % 361) as u32, 150 + ((r >> 20) % 571) as u32);
            if kind == PageKind::Gif {
                // Animated pages stay small: GIF encoding is the slowest path.
                (w, h) = (w.min(200), h.min(260));
            }
            if i % 2 == 0 {
                h = (h | 1).min(719);
            }
            PageSpec::numbered(i + 1, w, h, kind)
        })
        .collect()
}

fn chapter(id: u64, title: &str, sort: u32, kinds: &[PageKind]) -> ChapterSpec {
    ChapterSpec::new(id, title, sort, std_pages(id, kinds))
}

impl Catalog {
    /// A catalog with no albums and the standard placeholder.
    pub fn empty() -> Self {
        Self {
            albums: Vec::new(),
            placeholder: Self::standard_placeholder(),
        }
    }

    /// Adds an album (builder style).
    #[must_use]
    pub fn with_album(mut self, album: AlbumSpec) -> Self {
        self.albums.push(album);
        self
    }

    /// Replaces the placeholder album.
    #[must_use]
    pub fn with_placeholder(mut self, placeholder: AlbumSpec) -> Self {
        self.placeholder = placeholder;
        self
    }

    fn standard_placeholder() -> AlbumSpec {
        use PageKind::LossyWebp as L;
        AlbumSpec::single(200_000, "禁漫娘", std_pages(200_000, &[L, L]))
            .with_authors(&["禁漫天堂"])
            .with_tags(&["禁漫娘", "公告"])
            .with_description("請使用最新版本的APP")
    }

    /// The standard test catalog (about 100 pages, every strip-count branch, hostile titles).
    ///
    /// | album | scramble id | chapters (pages) | notes |
    /// |---|---|---|---|
    /// | 220979 | 220980 | 220979 (4), 220980 (5), 220981 (4) | CJK title; straddles the 220980 threshold; 220980/00005 is 24x7 (height < 10 strips); 220981/00004 has height 200 (divisible by 10) |
    /// | 268849 | **268850** | 268849 (4), 268850 (5), 268851 (4) | Python's `oname` example title (brackets); straddles 268850; 268849 unscrambled (220980 would give 10 strips) |
    /// | 421925 | **421926** | 421925 (5), 421926 (6), 421927 (4) | straddles 421926 (md5 modulus 10 -> 8); 421925 unscrambled (220980 would give md5 counts) |
    /// | 438516 | 220980 | single (8) | emoji title |
    /// | 1180203 | 220980 | single (6) | `/ \ : * ? " < > \|` in the title |
    /// | 10086 | 220980 | single (3) | `..` and leading/trailing spaces; below 220980 (unscrambled) |
    /// | 147643 | **147650** | 147643 (3), 147650 (4) | tab and newline in the title; 147643 unscrambled, 147650 has 10 strips (220980 would leave it unscrambled) |
    /// | 350234 | 220980 | single (5) | title longer than 300 bytes of UTF-8 |
    /// | 500000 | 220980, chapter 500123: **500124** | 500000 (4), 500123 (3), 500050 (3) | `series` listed out of sort order (sorts 1, 3, 2); 500123 has its own scramble id and is unscrambled (the album's would give md5 counts) |
    /// | 230000 | 220980 | single (6) | no authors |
    /// | 400000 | 220980 | single (6) | |
    /// | 1000000 | 220980 | single (6) | |
    /// | placeholder 200000 | 220980 | single (2) | "禁漫娘" |
    ///
    /// Categories (`c`, spec §6.1.1b), in the order above: `hanman`, `doujin/chinese`,
    /// `english_site`, `single/chinese`, `short/japanese`, `another/other`, `doujin/CG`,
    /// `single/japanese`, `meiman`, `single/youth`, `doujin_cosplay`, `3D`. No album is
    /// login-only ([`EmulatorBuilder::login_only`](crate::EmulatorBuilder::login_only)
    /// marks some).
    ///
    /// Kinds: mostly lossy WebP; lossless WebP, JPEG and GIF pages are spread over every
    /// strip-count branch (see [`Catalog::pages_of_kind`]).
    ///
    /// Scramble ids: the real site states 220980 for most chapters, but a client must use
    /// whatever `/chapter_view_template` says (spec §6.2.6). The values in bold differ, and
    /// each changes the strip count of a whole chapter's pages against 220980 (in both
    /// directions), so a client that ignores the template, or caches one value per album,
    /// writes wrong pages there.
    pub fn standard() -> Self {
        use PageKind::{Gif as G, Jpeg as J, LosslessWebp as X, LossyWebp as L};

        let mut a1 = AlbumSpec::new(
            "CJK 中文標題 日本語のタイトル 한국어 제목",
            vec![
                chapter(220_979, "第1話", 1, &[L, L, J, X]),
                chapter(220_980, "第2話 中編", 2, &[X, X, L, L, X]),
                chapter(220_981, "第3話 完結", 3, &[L, G, J, X]),
            ],
        )
        .with_authors(&["作者甲", "作者乙"])
        .with_tags(&["中文", "全彩", "長篇"])
        .with_works(&["原創"])
        .with_actors(&["主角"])
        .with_description("一個跨越門檻的系列。")
        .with_category("hanman", None);
        // Edge sizes: a page shorter than its strip count, and one whose height divides evenly.
        a1.chapters[1].pages[4].width = 24;
        a1.chapters[1].pages[4].height = 7;
        a1.chapters[2].pages[3].height = 200;

        let a2 = AlbumSpec::new(
            "喂我吃吧 老師! [欶瀾漢化組] [BLVEFO9] たべさせて… [中國翻譯]",
            vec![
                chapter(268_849, "第1話", 1, &[L, L, X, J]),
                chapter(268_850, "第2話", 2, &[X, L, L, X, J]),
                chapter(268_851, "第3話", 3, &[L, X, L, G]),
            ],
        )
        .with_authors(&["BLVEFO9"])
        .with_tags(&["漢化", "同人"])
        .with_works(&["たべさせて"])
        .with_description("Python oname example.")
        .with_scramble_id(268_850)
        .with_category("doujin", Some("chinese"));

        let a3 = AlbumSpec::new(
            "Plain ASCII Series",
            vec![
                chapter(421_925, "Chapter One", 1, &[X, L, L, J, L]),
                chapter(421_926, "Chapter Two", 2, &[X, X, L, L, J, L]),
                chapter(421_927, "Chapter Three", 3, &[L, L, X, J]),
            ],
        )
        .with_authors(&["Alice", "Bob"])
        .with_tags(&["english", "series"])
        .with_actors(&["Carol"])
        .with_scramble_id(421_926)
        .with_category("english_site", None);

        let a4 = AlbumSpec::single(
            438_516,
            "Emoji 😀🎉 album ✨ 🏳️‍🌈",
            std_pages(438_516, &[L, L, G, X, J, L, L, X]),
        )
        .with_authors(&["絵文字"])
        .with_tags(&["emoji", "單本"])
        .with_description("")
        .with_category("single", Some("chinese"));

        let a5 = AlbumSpec::single(
            1_180_203,
            r#"Reserved / \ : * ? " < > | chars"#,
            std_pages(1_180_203, &[L, X, J, L, L, X]),
        )
        .with_authors(&["Path/Breaker"])
        .with_tags(&["reserved", "windows"])
        .with_category("short", Some("japanese"));

        let a6 = AlbumSpec::single(
            10_086,
            "  ..Dots and spaces..  ",
            std_pages(10_086, &[L, J, X]),
        )
        .with_authors(&[" spaced author "])
        .with_tags(&["old"])
        .with_category("another", Some("other"));

        let a7 = AlbumSpec::new(
            "Control\tTab and\nNewline",
            vec![
                chapter(147_643, "Part\t1", 1, &[L, X, G]),
                chapter(147_650, "Part\n2", 2, &[J, L, L, X]),
            ],
        )
        .with_authors(&["Ctrl"])
        .with_tags(&["control"])
        .with_scramble_id(147_650)
        .with_category("doujin", Some("CG"));

        let long_title = format!("Long title: {}", "とても長いタイトル、".repeat(12));
        let a8 = AlbumSpec::single(350_234, long_title, std_pages(350_234, &[X, L, J, L, L]))
            .with_authors(&["長文"])
            .with_tags(&["long"])
            .with_category("single", Some("japanese"));

        let a9 = AlbumSpec::new(
            "Out-of-order series 乱序",
            vec![
                chapter(500_000, "Episode 1", 1, &[L, X, L, J]),
                chapter(500_123, "Episode 3", 3, &[L, L, X]).with_scramble_id(500_124),
                chapter(500_050, "Episode 2", 2, &[X, L, G]),
            ],
        )
        .with_authors(&["Shuffler"])
        .with_tags(&["series", "order"])
        .with_category("meiman", None);

        let a10 = AlbumSpec::single(
            230_000,
            "Single 單本 no author",
            std_pages(230_000, &[L, L, X, J, L, L]),
        )
        .with_tags(&["單本"])
        .with_category("single", Some("youth"));

        let a11 = AlbumSpec::single(
            400_000,
            "Another single",
            std_pages(400_000, &[L, X, L, L, J, L]),
        )
        .with_authors(&["Dave"])
        .with_tags(&["single"])
        .with_category("doujin_cosplay", None);

        let a12 = AlbumSpec::single(
            1_000_000,
            "Million 百万",
            std_pages(1_000_000, &[L, L, X, L, J, L]),
        )
        .with_authors(&["Eve"])
        .with_tags(&["big", "single"])
        .with_works(&["Million Works"])
        .with_category("3D", None);

        Self {
            albums: vec![a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12],
            placeholder: Self::standard_placeholder(),
        }
    }

    /// A benchmark catalog: `albums` single-chapter albums of `pages_per_album` lossy WebP pages
    /// of `width` x `height`.
    ///
    /// A quarter of the albums have ids below 220980 (unscrambled), the rest are spread over
    /// the 10-strip and both md5 branches. Pages reuse five drawn originals, so only
    /// (original, strip count) pairs are ever encoded: warming a large bench catalog costs a few
    /// dozen encodes, not one per page.
    pub fn bench(albums: usize, pages_per_album: usize, width: u32, height: u32) -> Self {
        const DISTINCT_ORIGINALS: u64 = 5;
        let albums = (0..albums)
            .map(|i| {
                let quarter = (i / 4) as u64;
                let id = match i % 4 {
                    0 => 1_000 + quarter,
                    1 => 221_000 + quarter,
                    2 => 270_000 + quarter,
                    _ => 1_000_000 + quarter,
                };
                let pages = (0..pages_per_album)
                    .map(|p| {
                        let seed = (i * pages_per_album + p) as u64 % DISTINCT_ORIGINALS;
                        PageSpec::numbered(p + 1, width, height, PageKind::LossyWebp)
                            .with_seed(seed)
                    })
                    .collect();
                AlbumSpec::single(id, format!("Bench album {i}"), pages)
                    .with_authors(&["bench"])
                    .with_tags(&["bench"])
            })
            .collect();
        Self {
            albums,
            placeholder: Self::standard_placeholder(),
        }
    }

    /// Looks an album up by id (the placeholder included). Linear; the server uses its own
    /// index.
    pub fn album(&self, id: u64) -> Option<&AlbumSpec> {
        self.all_albums().find(|a| a.id == id)
    }

    /// Looks a chapter up by id, returning it with its album (the placeholder included).
    pub fn chapter(&self, id: u64) -> Option<(&ChapterSpec, &AlbumSpec)> {
        self.all_albums()
            .find_map(|a| a.chapter(id).map(|c| (c, a)))
    }

    /// Every album, the placeholder last.
    pub fn all_albums(&self) -> impl Iterator<Item = &AlbumSpec> {
        self.albums.iter().chain(std::iter::once(&self.placeholder))
    }

    /// `(chapter id, file name)` of every page of the given kind, in catalog order.
    pub fn pages_of_kind(&self, kind: PageKind) -> Vec<(u64, String)> {
        self.all_albums()
            .flat_map(|a| a.chapters.iter())
            .flat_map(|c| {
                c.pages
                    .iter()
                    .filter(move |p| p.kind == kind)
                    .map(move |p| (c.id, p.file_name.clone()))
            })
            .collect()
    }

    /// Total pages over all albums (the placeholder included).
    pub fn page_count(&self) -> usize {
        self.all_albums().map(AlbumSpec::page_count).sum()
    }

    /// Checks the invariants the server relies on.
    pub(crate) fn validate(&self) -> Result<()> {
        let invalid = |reason: String| Err(Error::InvalidCatalog { reason });
        let mut album_ids = HashSet::new();
        let mut chapter_ids = HashSet::new();
        for album in self.all_albums() {
            if !album_ids.insert(album.id) {
                return invalid(format!("duplicate album id {}", album.id));
            }
            let Some(first) = album.chapters.first() else {
                return invalid(format!("album {} has no chapter", album.id));
            };
            if first.id != album.id {
                return invalid(format!(
                    "album {} must have its own id as first chapter id (site convention), found {}",
                    album.id, first.id
                ));
            }
            for tag in &album.tags {
                if tag.chars().any(char::is_whitespace) {
                    return invalid(format!(
                        "album {} tag {tag:?} contains whitespace (chapter tags are space separated)",
                        album.id
                    ));
                }
            }
            for ch in &album.chapters {
                if !chapter_ids.insert(ch.id) {
                    return invalid(format!("duplicate chapter id {}", ch.id));
                }
                let mut names = HashSet::new();
                for page in &ch.pages {
                    if !names.insert(page.file_name.as_str()) {
                        return invalid(format!(
                            "chapter {} lists {} twice",
                            ch.id, page.file_name
                        ));
                    }
                    if page.file_name.is_empty()
                        || page.file_name.contains(['/', '?', '#', '%'])
                        || page.file_name.chars().any(char::is_control)
                    {
                        return invalid(format!(
                            "chapter {} page name {:?} is not URL safe",
                            ch.id, page.file_name
                        ));
                    }
                    let max = if page.kind == PageKind::Gif {
                        u32::from(u16::MAX)
                    } else {
                        16_383
                    };
                    if page.width == 0 || page.height == 0 || page.width > max || page.height > max
                    {
                        return invalid(format!(
                            "chapter {} page {} has size {}x{} (1..={max})",
                            ch.id, page.file_name, page.width, page.height
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scramble::strip_count;

    #[test]
    fn standard_catalog_is_valid_and_sized() {
        let c = Catalog::standard();
        c.validate().expect("valid");
        let pages = c.page_count();
        assert!((95..=150).contains(&pages), "{pages} pages");
        for a in c.all_albums() {
            for ch in &a.chapters {
                assert!((2..=8).contains(&ch.pages.len()), "chapter {}", ch.id);
            }
        }
        assert!(c.album(438_516).is_some_and(AlbumSpec::is_single));
        let (ch, album) = c.chapter(220_980).expect("chapter");
        assert_eq!((ch.id, album.id), (220_980, 220_979));
    }

    #[test]
    fn standard_catalog_covers_every_strip_branch() {
        let c = Catalog::standard();
        let mut nums = HashSet::new();
        let mut tiny = false;
        for a in c.all_albums() {
            for ch in &a.chapters {
                for p in &ch.pages {
                    if p.kind.is_scrambled_kind() {
                        let n = strip_count(a.chapter_scramble_id(ch), ch.id, p.stem());
                        nums.insert(n);
                        tiny |= n > p.height;
                    }
                }
            }
        }
        assert!(nums.contains(&0) && nums.contains(&10), "{nums:?}");
        assert!(nums.len() >= 6, "{nums:?}");
        assert!(tiny);
        for kind in [
            PageKind::LossyWebp,
            PageKind::LosslessWebp,
            PageKind::Jpeg,
            PageKind::Gif,
        ] {
            assert!(!c.pages_of_kind(kind).is_empty(), "{kind}");
        }
        let long = c.album(350_234).expect("long");
        assert!(long.title.len() > 300);
    }

    #[test]
    fn bench_catalog_quarter_unscrambled() {
        let c = Catalog::bench(40, 3, 64, 80);
        c.validate().expect("valid");
        let below = c
            .albums
            .iter()
            .filter(|a| a.id < crate::site::SCRAMBLE_220980)
            .count();
        assert_eq!(below, 10);
    }

    #[test]
    fn validate_rejects_bad_catalogs() {
        let page = || vec![PageSpec::numbered(1, 10, 10, PageKind::LossyWebp)];
        let dup = Catalog::empty()
            .with_album(AlbumSpec::single(5, "a", page()))
            .with_album(AlbumSpec::single(5, "b", page()));
        assert!(dup.validate().is_err());
        let mut zero = Catalog::empty().with_album(AlbumSpec::single(6, "a", page()));
        zero.albums[0].chapters[0].pages[0].height = 0;
        assert!(zero.validate().is_err());
    }
}
