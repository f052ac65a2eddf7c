//! `ComicInfo.xml`, the metadata file comic servers read from a CBZ (Anansi Project schema
//! v2.0 with the v2.1 draft's `Translator` and `Tags`).
//!
//! Komga and Kavita both read `Series` (here the album title, which is also the folder's
//! series), `Number` (the chapter's position) and `Title` (what a reader shows for the book),
//! and both group one folder per album with one CBZ per chapter ([`cbz_file_name`]).

// exports.md §2–§5: what Komga and Kavita read, and the layout both group.

use std::fs::File;
use std::io::{self, Read};

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use crate::error::{Error, Result};
use crate::meta::ExportMeta;
use crate::source::{PageFile, probe_page};

/// The reading direction a reader should use (`Manga` element).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Manga {
    /// Not said: the reader's default. JM albums mix left-to-right webtoons and doujin scans
    /// in either direction, so nothing better can be said without the user.
    #[default]
    Unknown,
    /// Not a manga: left to right (Komga).
    No,
    /// A manga, direction not said (Komga sets nothing for it).
    Yes,
    /// A manga read right to left.
    YesAndRightToLeft,
}

impl Manga {
    /// The schema's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Manga::Unknown => "Unknown",
            Manga::No => "No",
            Manga::Yes => "Yes",
            Manga::YesAndRightToLeft => "YesAndRightToLeft",
        }
    }
}

/// What a `<Page>` entry says about one picture: its size in pixels and in bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PagePicture {
    /// Width in pixels (0: unknown, the attribute is left out).
    pub width: u32,
    /// Height in pixels (0: unknown, the attribute is left out).
    pub height: u32,
    /// File size in bytes (0: unknown, the attribute is left out).
    pub bytes: u64,
}

impl PagePicture {
    /// Measures a page file: its size on disk and, from its header, its dimensions.
    pub fn probe(page: &PageFile) -> Result<PagePicture> {
        let read = |e| Error::io("read", &page.path, e);
        let mut file = File::open(&page.path).map_err(read)?;
        let bytes = file.metadata().map_err(read)?.len();
        // The whole file, not a header prefix: a JPEG's SOF may follow a large Exif block.
        let mut data = Vec::with_capacity(usize::try_from(bytes).unwrap_or(0));
        file.read_to_end(&mut data).map_err(read)?;
        let (_, width, height) = probe_page(&page.path, &data)?;
        Ok(PagePicture {
            width,
            height,
            bytes,
        })
    }

    /// [`PagePicture::probe`] of every page, in order (one page in memory at a time).
    pub fn probe_all(pages: &[PageFile]) -> Result<Vec<PagePicture>> {
        pages.iter().map(PagePicture::probe).collect()
    }
}

/// The contents of a `ComicInfo.xml`. Empty strings, empty lists and `None` leave their
/// element out. Lists are written comma-separated, as Komga and Kavita split them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ComicInfo {
    /// `Title`: the book's title.
    pub title: String,
    /// `Series`: the series the book belongs to (the album title).
    pub series: String,
    /// `Number`: the book's position in the series (the chapter's position; 1 for a whole
    /// album).
    pub number: Option<u32>,
    /// `Count`: how many books the series has.
    pub count: Option<u32>,
    /// `Summary`.
    pub summary: String,
    /// `Notes`.
    pub notes: String,
    /// `Year` of publication.
    pub year: Option<u16>,
    /// `Month` of publication (1–12).
    pub month: Option<u8>,
    /// `Day` of publication (1–31).
    pub day: Option<u8>,
    /// `Writer`: authors.
    pub writers: Vec<String>,
    /// `Translator` (v2.1).
    pub translators: Vec<String>,
    /// `Genre`.
    pub genres: Vec<String>,
    /// `Tags` (v2.1).
    pub tags: Vec<String>,
    /// `Web`: links to the book's page (written space-separated, as Komga reads them).
    pub web: Vec<String>,
    /// `PageCount`. [`write_cbz`](crate::write_cbz) sets it to the number of pages it writes.
    pub page_count: Option<u32>,
    /// `LanguageISO`: a BCP-47 language code (`zh`, `zh-Hant`, `ja`); Komga ignores an
    /// invalid one.
    pub language_iso: Option<String>,
    /// `Manga`: the reading direction.
    pub manga: Manga,
    /// `Characters`.
    pub characters: Vec<String>,
    /// `SeriesGroup`: collections the series belongs to.
    pub series_group: Vec<String>,
    /// `AgeRating` (`Adults Only 18+`, `R18+`, …).
    pub age_rating: Option<String>,
    /// `Pages`: one entry per page in archive order; the first is marked `FrontCover`.
    pub pages: Vec<PagePicture>,
}

impl ComicInfo {
    /// The age rating of JM albums: Komga maps it to 18, Kavita to its most mature rating.
    pub const ADULTS_ONLY: &'static str = "Adults Only 18+";

    /// An empty `ComicInfo` for `title` in `series`.
    pub fn new(title: impl Into<String>, series: impl Into<String>) -> Self {
        ComicInfo {
            title: title.into(),
            series: series.into(),
            ..ComicInfo::default()
        }
    }

    /// What an export of `meta` says: the album title as `Series`; the chapter's position
    /// as `Number` and the album's chapter count as `Count` for a chapter export (a whole
    /// album in one archive is book 1 of 1); authors as `Writer`; tags as both `Genre` and
    /// `Tags`; characters; works (作品) as `SeriesGroup`, so a server gathers the albums of
    /// one work in a collection; `Year`/`Month`/`Day` from the publication date; age rating
    /// [`ComicInfo::ADULTS_ONLY`]; `pages` as `Pages` and `PageCount`. `Web` and
    /// `LanguageISO` are the caller's ([`ComicInfo::with_web`], [`ComicInfo::with_language`]).
    pub fn from_meta(meta: &ExportMeta, pages: &[PagePicture]) -> Self {
        let (number, count, notes) = match &meta.chapter {
            Some(c) => (
                c.index.max(1),
                u32::try_from(meta.chapter_count.max(1)).unwrap_or(u32::MAX),
                format!("JMComic album {}, chapter {}", meta.album_id, c.id),
            ),
            None => (1, 1, format!("JMComic album {}", meta.album_id)),
        };
        let (year, month, day) = meta
            .pub_date
            .as_deref()
            .map_or((None, None, None), parse_date);
        ComicInfo {
            title: meta.display_title(),
            series: meta.album_title.clone(),
            number: Some(number),
            count: Some(count),
            summary: meta.description.clone(),
            notes,
            year,
            month,
            day,
            writers: meta.authors.clone(),
            genres: meta.tags.clone(),
            tags: meta.tags.clone(),
            characters: meta.actors.clone(),
            series_group: meta.works.clone(),
            age_rating: Some(ComicInfo::ADULTS_ONLY.to_owned()),
            page_count: u32::try_from(pages.len()).ok(),
            pages: pages.to_vec(),
            ..ComicInfo::default()
        }
    }

    /// Adds a link to the book's page on the site (`Web`).
    pub fn with_web(mut self, url: impl Into<String>) -> Self {
        self.web.push(url.into());
        self
    }

    /// Sets `LanguageISO`.
    pub fn with_language(mut self, iso: impl Into<String>) -> Self {
        self.language_iso = Some(iso.into());
        self
    }

    /// Sets `Manga` (the reading direction).
    pub fn with_manga(mut self, manga: Manga) -> Self {
        self.manga = manga;
        self
    }

    /// Sets or removes `AgeRating`.
    pub fn with_age_rating(mut self, rating: Option<String>) -> Self {
        self.age_rating = rating;
        self
    }

    /// The XML document (UTF-8). Elements follow the schema's sequence order; characters
    /// XML 1.0 does not allow (control characters other than tab, line feed and carriage
    /// return, U+FFFE, U+FFFF) are dropped, markup characters are escaped.
    pub fn to_xml(&self) -> String {
        let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
        // Writing into a Vec cannot fail: every `?` below is on an infallible writer.
        let written: io::Result<()> = (|| {
            w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
            w.create_element("ComicInfo")
                .with_attribute(("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"))
                .with_attribute(("xmlns:xsd", "http://www.w3.org/2001/XMLSchema"))
                .write_inner_content(|w| self.write_elements(w))?;
            Ok(())
        })();
        debug_assert!(written.is_ok(), "writing XML into memory failed");
        String::from_utf8(w.into_inner())
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    fn write_elements(&self, w: &mut Writer<Vec<u8>>) -> io::Result<()> {
        let num = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_default();
        text(w, "Title", &self.title)?;
        text(w, "Series", &self.series)?;
        text(w, "Number", &num(self.number))?;
        text(w, "Count", &num(self.count))?;
        text(w, "Summary", &self.summary)?;
        text(w, "Notes", &self.notes)?;
        text(w, "Year", &num(self.year.map(u32::from)))?;
        text(w, "Month", &num(self.month.map(u32::from)))?;
        text(w, "Day", &num(self.day.map(u32::from)))?;
        text(w, "Writer", &list(&self.writers))?;
        text(w, "Translator", &list(&self.translators))?;
        text(w, "Genre", &list(&self.genres))?;
        text(w, "Tags", &list(&self.tags))?;
        text(
            w,
            "Web",
            &self
                .web
                .iter()
                .map(|u| clean(u))
                .collect::<Vec<_>>()
                .join(" "),
        )?;
        text(w, "PageCount", &num(self.page_count))?;
        text(w, "LanguageISO", self.language_iso.as_deref().unwrap_or(""))?;
        text(w, "Manga", self.manga.as_str())?;
        text(w, "Characters", &list(&self.characters))?;
        text(w, "SeriesGroup", &list(&self.series_group))?;
        text(w, "AgeRating", self.age_rating.as_deref().unwrap_or(""))?;
        if !self.pages.is_empty() {
            w.create_element("Pages").write_inner_content(|w| {
                for (i, p) in self.pages.iter().enumerate() {
                    let mut page = w
                        .create_element("Page")
                        .with_attribute(("Image", i.to_string().as_str()));
                    if i == 0 {
                        page = page.with_attribute(("Type", "FrontCover"));
                    }
                    if p.bytes > 0 {
                        page = page.with_attribute(("ImageSize", p.bytes.to_string().as_str()));
                    }
                    if p.width > 0 && p.height > 0 {
                        page = page
                            .with_attribute(("ImageWidth", p.width.to_string().as_str()))
                            .with_attribute(("ImageHeight", p.height.to_string().as_str()));
                    }
                    page.write_empty()?;
                }
                Ok(())
            })?;
        }
        Ok(())
    }
}

/// `<name>value</name>`, left out when the cleaned value is empty.
fn text(w: &mut Writer<Vec<u8>>, name: &str, value: &str) -> io::Result<()> {
    let value = clean(value);
    let value = value.trim();
    if !value.is_empty() {
        w.create_element(name)
            .write_text_content(BytesText::new(value))?;
    }
    Ok(())
}

/// Items joined with `, `. A comma inside an item becomes a full-width comma, so that
/// readers splitting the list on commas (Komga, Kavita) still see one item.
fn list(items: &[String]) -> String {
    items
        .iter()
        .map(|s| clean(s).trim().replace(',', "\u{ff0c}"))
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `s` without the characters XML 1.0 forbids (`Char` production: tab, LF, CR, and
/// everything from U+0020 except U+FFFE and U+FFFF; Rust strings hold no surrogates).
fn clean(s: &str) -> String {
    s.chars()
        .filter(|&c| {
            matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{fffe}' && c != '\u{ffff}')
        })
        .collect()
}

/// `YYYY-MM-DD` (also `YYYY-MM` or `YYYY`, separators `-`, `/` or `.`), parts kept only when
/// in range; anything else gives no date.
fn parse_date(s: &str) -> (Option<u16>, Option<u8>, Option<u8>) {
    let mut parts = s.trim().split(['-', '/', '.']).map(str::trim);
    let year = parts
        .next()
        .and_then(|y| y.parse::<u16>().ok())
        .filter(|y| (1000..=9999).contains(y));
    let Some(year) = year else {
        return (None, None, None);
    };
    let month = parts
        .next()
        .and_then(|m| m.parse::<u8>().ok())
        .filter(|m| (1..=12).contains(m));
    let day = month.and_then(|_| {
        parts
            .next()
            .and_then(|d| d.parse::<u8>().ok())
            .filter(|d| (1..=31).contains(d))
    });
    (Some(year), month, day)
}

/// The file name of a chapter's CBZ in the layout Komga and Kavita both group:
/// `<series> c<NNN>.cbz`, the number zero-padded to `width` digits. Kavita drops text in
/// parentheses from the series it parses out of a file name, so round brackets in the series
/// become curly ones; characters no file system allows (`/\:*?"<>|`, control characters)
/// become `_`.
// exports.md §5 (layout), §4 (Kavita's parentheses).
pub fn cbz_file_name(series: &str, number: u32, width: usize) -> String {
    let series: String = series
        .chars()
        .map(|c| match c {
            '(' | '（' => '{',
            ')' | '）' => '}',
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    // Trailing dots and spaces are dropped by Windows; trim them so the name round-trips.
    let series = series.trim().trim_end_matches('.').trim_end();
    if series.is_empty() {
        return format!("c{number:0width$}.cbz");
    }
    format!("{series} c{number:0width$}.cbz")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_leniently() {
        assert_eq!(parse_date("2023-07-09"), (Some(2023), Some(7), Some(9)));
        assert_eq!(parse_date("2023/7"), (Some(2023), Some(7), None));
        assert_eq!(parse_date("2023-13-01"), (Some(2023), None, None));
        assert_eq!(parse_date("soon"), (None, None, None));
    }

    #[test]
    fn clean_drops_what_xml_forbids() {
        assert_eq!(clean("a\u{1}b\tc\u{7f}\u{fffe}d\n"), "ab\tc\u{7f}d\n");
    }

    #[test]
    fn cbz_names_keep_parentheses_out() {
        assert_eq!(cbz_file_name("My (Work)", 3, 3), "My {Work} c003.cbz");
        assert_eq!(cbz_file_name("a/b: c?", 12, 2), "a_b_ c_ c12.cbz");
        assert_eq!(cbz_file_name("x", 1234, 3), "x c1234.cbz");
        assert_eq!(cbz_file_name(" ..", 1, 3), "c001.cbz");
    }
}
