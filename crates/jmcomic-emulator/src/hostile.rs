//! Hostile server data for reliability tests: the [`Catalog::hostile`] catalog (titles and
//! names that attack file systems and terminals, absurd counts, an absurd but real page
//! count) and the bodies of the `HugeDimensions` and `HugeBody` faults.

use std::sync::OnceLock;

use bytes::Bytes;

use crate::catalog::{AlbumSpec, Catalog, ChapterSpec, PageKind, PageSpec};
use crate::pages::encode_lossy_webp;

/// Ids of [`Catalog::hostile`], so tests can name what they fetch.
///
/// Every album has tiny lossy WebP pages (32×40, the 2,000-page chapter 16×16) and an id at
/// or above 421926, so its pages are scrambled with the md5 strip counts (spec §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct HostileIds;

impl HostileIds {
    /// Title `..`.
    pub const DOT_DOT: u64 = 610_001;
    /// Title `../../etc/passwd` (author `../../root`).
    pub const TRAVERSAL: u64 = 610_002;
    /// Title `/`.
    pub const SLASH: u64 = 610_003;
    /// Title `\`.
    pub const BACKSLASH: u64 = 610_004;
    /// Title `before\0after` (a NUL byte inside; author too).
    pub const NUL_BYTE: u64 = 610_005;
    /// Title `\x01start of heading`.
    pub const CONTROL: u64 = 610_006;
    /// Title `\x1b[31mred\x1b[0m \x1b]0;pwned\x07` (colour and window-title escapes).
    pub const ANSI_ESCAPE: u64 = 610_007;
    /// Title `line one\r\nline two`.
    pub const CRLF: u64 = 610_008;
    /// Title `CON` (a Windows reserved device name).
    pub const RESERVED_CON: u64 = 610_009;
    /// Title `nul.txt` (reserved with an extension).
    pub const RESERVED_NUL_TXT: u64 = 610_010;
    /// Title `COM1`.
    pub const RESERVED_COM1: u64 = 610_011;
    /// A title of exactly 1,000 bytes of UTF-8 (CJK, 3 bytes a character, plus one ASCII
    /// byte).
    pub const LONG_CJK: u64 = 610_012;
    /// The empty title.
    pub const EMPTY: u64 = 610_013;
    /// A whitespace-only title (spaces, a tab, an ideographic space).
    pub const WHITESPACE: u64 = 610_014;

    /// A normally titled album whose chapters carry the hostile titles of
    /// [`HostileIds::TITLES`], in that order: chapter ids
    /// `HOSTILE_CHAPTERS..HOSTILE_CHAPTERS + 14`, one page each.
    pub const HOSTILE_CHAPTERS: u64 = 610_100;
    /// A single-chapter album (3 real pages) whose `images` list also holds the
    /// [`HostileIds::HOSTILE_IMAGE_NAMES`]: `00001.webp, ../00009.webp, 00002.webp,
    /// a/b.webp, .., x\0.webp, 00003.webp`. The CDN answers 404 for the hostile names,
    /// however they are encoded.
    pub const HOSTILE_IMAGES: u64 = 610_200;
    /// A single-chapter album with 2 real pages whose JSON claims `total_photos`
    /// `"999999999999"`, `comment_total` `"-5"` and `likes` a string of 4,096 nines (the site
    /// sends counts as strings).
    pub const ABSURD_COUNTS: u64 = 610_300;
    /// A single-chapter album of [`HostileIds::MANY_PAGES_COUNT`] tiny (16×16) pages.
    pub const MANY_PAGES: u64 = 610_400;
    /// Pages of [`HostileIds::MANY_PAGES`].
    pub const MANY_PAGES_COUNT: usize = 2_000;

    /// The names listed in [`HostileIds::HOSTILE_IMAGES`]'s `images` that have no page.
    pub const HOSTILE_IMAGE_NAMES: [&'static str; 4] =
        ["../00009.webp", "a/b.webp", "..", "x\u{0}.webp"];

    /// `(album id, title)` of every single-chapter album with a hostile title, in id order
    /// (the long title is a placeholder here: see [`long_cjk_title`]).
    pub const TITLES: [(u64, &'static str); 14] = [
        (Self::DOT_DOT, ".."),
        (Self::TRAVERSAL, "../../etc/passwd"),
        (Self::SLASH, "/"),
        (Self::BACKSLASH, "\\"),
        (Self::NUL_BYTE, "before\u{0}after"),
        (Self::CONTROL, "\u{1}start of heading"),
        (
            Self::ANSI_ESCAPE,
            "\u{1b}[31mred\u{1b}[0m \u{1b}]0;pwned\u{7}",
        ),
        (Self::CRLF, "line one\r\nline two"),
        (Self::RESERVED_CON, "CON"),
        (Self::RESERVED_NUL_TXT, "nul.txt"),
        (Self::RESERVED_COM1, "COM1"),
        (Self::LONG_CJK, LONG_TITLE_PLACEHOLDER),
        (Self::EMPTY, ""),
        (Self::WHITESPACE, "  \t\u{3000} "),
    ];
}

/// Stands for the 1,000-byte title in [`HostileIds::TITLES`] (a const cannot build it).
const LONG_TITLE_PLACEHOLDER: &str = "<1000-byte CJK title>";

/// The 1,000-byte title of [`HostileIds::LONG_CJK`]: 333 CJK characters (3 bytes each) and
/// a final `!`.
pub fn long_cjk_title() -> String {
    let mut title: String = "長い題名の漫画本".chars().cycle().take(333).collect();
    title.push('!');
    title
}

/// The title [`Catalog::hostile`] serves for an entry of [`HostileIds::TITLES`].
fn real_title(title: &str) -> String {
    if title == LONG_TITLE_PLACEHOLDER {
        long_cjk_title()
    } else {
        title.to_owned()
    }
}

/// `count` tiny numbered lossy WebP pages sharing a few drawings (few distinct encodes).
fn tiny_pages(count: usize, width: u32, height: u32) -> Vec<PageSpec> {
    (0..count)
        .map(|i| {
            PageSpec::numbered(i + 1, width, height, PageKind::LossyWebp).with_seed(i as u64 % 7)
        })
        .collect()
}

impl Catalog {
    /// A catalog of hostile data (plus the usual placeholder album); the ids are the
    /// constants of [`HostileIds`]:
    ///
    /// | album | what is hostile |
    /// |---|---|
    /// | 610001–610014 | the album (and its one chapter) titled `..`, `../../etc/passwd`, `/`, `\`, `before\0after`, `\x01…`, ANSI escapes, `\r\n`, `CON`, `nul.txt`, `COM1`, 1,000 bytes of CJK, empty, whitespace only ([`HostileIds::TITLES`]); 2 pages each |
    /// | 610100 | 14 chapters (610100–610113) titled like the albums above, 1 page each |
    /// | 610200 | `images` lists `../00009.webp`, `a/b.webp`, `..`, `x\0.webp` between its 3 real pages; those four are 404 on the CDN |
    /// | 610300 | claims `total_photos` 999999999999, `comment_total` -5, `likes` 4,096 digits; has 2 pages |
    /// | 610400 | 2,000 pages of 16×16 |
    ///
    /// Some authors are hostile too (`../../root`, `a\0b`, an ANSI escape). Pages are tiny, so
    /// starting and warming it is fast.
    pub fn hostile() -> Self {
        let mut albums: Vec<AlbumSpec> = HostileIds::TITLES
            .iter()
            .map(|&(id, title)| {
                AlbumSpec::single(id, real_title(title), tiny_pages(2, 32, 40))
                    .with_authors(&["hostile"])
                    .with_tags(&["hostile"])
            })
            .collect();
        for album in &mut albums {
            let author = match album.id {
                HostileIds::TRAVERSAL => "../../root",
                HostileIds::NUL_BYTE => "a\u{0}b",
                HostileIds::ANSI_ESCAPE => "\u{1b}[2J\u{1b}[Hclear",
                _ => continue,
            };
            album.authors = vec![author.to_owned()];
        }

        let chapters = HostileIds::TITLES
            .iter()
            .enumerate()
            .map(|(i, &(_, title))| {
                ChapterSpec::new(
                    HostileIds::HOSTILE_CHAPTERS + i as u64,
                    real_title(title),
                    i as u32 + 1,
                    tiny_pages(1, 32, 40),
                )
            })
            .collect();
        albums.push(
            AlbumSpec::new("Hostile chapter titles", chapters)
                .with_authors(&["hostile"])
                .with_tags(&["hostile", "chapters"]),
        );

        let [a, b, c, d] = HostileIds::HOSTILE_IMAGE_NAMES;
        let listed = ["00001.webp", a, "00002.webp", b, c, d, "00003.webp"]
            .map(str::to_owned)
            .to_vec();
        let mut images = AlbumSpec::single(
            HostileIds::HOSTILE_IMAGES,
            "Hostile image names",
            tiny_pages(3, 32, 40),
        )
        .with_authors(&["hostile"])
        .with_tags(&["hostile", "images"]);
        images.chapters[0] = images.chapters[0].clone().with_listed_images(listed);
        albums.push(images);

        albums.push(
            AlbumSpec::single(
                HostileIds::ABSURD_COUNTS,
                "Absurd counts",
                tiny_pages(2, 32, 40),
            )
            .with_authors(&["hostile"])
            .with_tags(&["hostile", "counts"])
            .with_json_override("total_photos", "999999999999")
            .with_json_override("comment_total", "-5")
            .with_json_override("likes", "9".repeat(4_096)),
        );

        albums.push(
            AlbumSpec::single(
                HostileIds::MANY_PAGES,
                "Two thousand tiny pages",
                tiny_pages(HostileIds::MANY_PAGES_COUNT, 16, 16),
            )
            .with_authors(&["hostile"])
            .with_tags(&["hostile", "many"]),
        );

        let mut catalog = Catalog::empty();
        catalog.albums = albums;
        catalog
    }
}

/// What the `HugeDimensions` and `HugeBody` faults claim.
pub(crate) const HUGE_SIDE: u32 = 100_000;

/// `Content-Type` from a path's extension (`HugeBody` answers any route).
pub(crate) fn content_type_for(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map_or("", |(_, e)| e);
    match ext.to_ascii_lowercase().as_str() {
        "webp" => "image/webp",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        _ => "application/octet-stream",
    }
}

/// The 64 KiB block `HugeBody` repeats: pseudo-random (fixed seed), so it compresses to
/// nothing useful and looks like no image format.
pub(crate) fn huge_body_block() -> Bytes {
    static BLOCK: OnceLock<Bytes> = OnceLock::new();
    BLOCK
        .get_or_init(|| {
            let mut rng = fastrand::Rng::with_seed(0x4855_4745);
            let mut block: Vec<u8> = std::iter::repeat_with(|| rng.u8(..))
                .take(64 * 1024)
                .collect();
            block[..4].copy_from_slice(b"\xde\xad\xbe\xef");
            Bytes::from(block)
        })
        .clone()
}

/// The `HugeDimensions` answer for `path`: its content type and bytes (PNG for `.png`
/// paths, else WebP).
pub(crate) fn huge_dimensions_image(path: &str) -> (&'static str, Bytes) {
    static WEBP: OnceLock<Bytes> = OnceLock::new();
    static PNG: OnceLock<Bytes> = OnceLock::new();
    if path.to_ascii_lowercase().ends_with(".png") {
        ("image/png", PNG.get_or_init(huge_png).clone())
    } else {
        ("image/webp", WEBP.get_or_init(huge_webp).clone())
    }
}

fn le24(value: u32) -> [u8; 3] {
    let [a, b, c, _] = value.to_le_bytes();
    [a, b, c]
}

fn riff_chunk(out: &mut Vec<u8>, fourcc: [u8; 4], payload: &[u8]) {
    out.extend_from_slice(&fourcc);
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(payload);
    if payload.len() % 2 == 1 {
        out.push(0);
    }
}

/// An animated WebP whose VP8X canvas is 100000×100000 with one 16×16 frame at the origin:
/// valid by the container spec (frames may be smaller than the canvas), so a decoder that
/// composites onto the canvas allocates 40 GB. VP8/VP8L frame headers cannot express more
/// than 16383, hence the animation container.
fn huge_webp() -> Bytes {
    let side = 16;
    let rgb: Vec<u8> = (0..side * side * 3).map(|i| (i * 7 % 256) as u8).collect();
    // 16×16 RGB always encodes; an empty frame would still be a valid container.
    let frame = encode_lossy_webp(&rgb, side, side).unwrap_or_default();
    // A simple-format WebP is `RIFF size WEBP` then its `VP8 ` chunk (padded).
    let frame_chunks = frame.get(12..).unwrap_or_default();

    let mut vp8x = Vec::with_capacity(10);
    vp8x.push(0x02); // animation flag
    vp8x.extend_from_slice(&[0; 3]);
    vp8x.extend_from_slice(&le24(HUGE_SIDE - 1));
    vp8x.extend_from_slice(&le24(HUGE_SIDE - 1));

    let mut anim = Vec::with_capacity(6);
    anim.extend_from_slice(&[255, 255, 255, 255]); // background BGRA
    anim.extend_from_slice(&0u16.to_le_bytes()); // loop forever

    let mut anmf = Vec::with_capacity(16 + frame_chunks.len());
    anmf.extend_from_slice(&le24(0)); // x / 2
    anmf.extend_from_slice(&le24(0)); // y / 2
    anmf.extend_from_slice(&le24(side - 1));
    anmf.extend_from_slice(&le24(side - 1));
    anmf.extend_from_slice(&le24(100)); // duration, ms
    anmf.push(0x02); // no blending, no disposal
    anmf.extend_from_slice(frame_chunks);

    let mut body = Vec::new();
    body.extend_from_slice(b"WEBP");
    riff_chunk(&mut body, *b"VP8X", &vp8x);
    riff_chunk(&mut body, *b"ANIM", &anim);
    riff_chunk(&mut body, *b"ANMF", &anmf);
    let mut out = Vec::with_capacity(body.len() + 8);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    Bytes::from(out)
}

fn crc32(parts: &[&[u8]]) -> u32 {
    let mut crc = !0u32;
    for byte in parts.iter().flat_map(|p| p.iter()) {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(out: &mut Vec<u8>, kind: [u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(&kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc32(&[&kind, data]).to_be_bytes());
}

/// A PNG whose IHDR says 100000×100000 RGB8, with a complete zlib stream of 64 zero bytes
/// (a valid stream, far too short for the claimed size: the uncompressed image would be 30
/// GB, at least 29 MB compressed) and IEND; every CRC is correct.
fn huge_png() -> Bytes {
    /// Zero bytes in the zlib stream.
    const RAW: usize = 64;
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&HUGE_SIDE.to_be_bytes());
    ihdr.extend_from_slice(&HUGE_SIDE.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit, RGB, deflate, adaptive, no interlace

    let mut zlib = vec![0x78, 0x01, 0x01]; // header, then a final stored block
    zlib.extend_from_slice(&(RAW as u16).to_le_bytes());
    zlib.extend_from_slice(&(!(RAW as u16)).to_le_bytes());
    zlib.extend_from_slice(&[0; RAW]);
    // Adler-32 of RAW zero bytes: a = 1, b = RAW.
    zlib.extend_from_slice(&((RAW as u32) << 16 | 1).to_be_bytes());

    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    png_chunk(&mut out, *b"IHDR", &ihdr);
    png_chunk(&mut out, *b"IDAT", &zlib);
    png_chunk(&mut out, *b"IEND", &[]);
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_the_png_spec_example() {
        // CRC of the IEND chunk type, as in every PNG file.
        assert_eq!(crc32(&[b"IEND"]), 0xAE42_6082);
    }

    #[test]
    fn hostile_catalog_is_valid() {
        let c = Catalog::hostile();
        c.validate().expect("valid");
        assert_eq!(long_cjk_title().len(), 1_000);
        let many = c.album(HostileIds::MANY_PAGES).expect("many");
        assert_eq!(many.page_count(), HostileIds::MANY_PAGES_COUNT);
        let chapters = c.album(HostileIds::HOSTILE_CHAPTERS).expect("chapters");
        assert_eq!(chapters.chapters.len(), HostileIds::TITLES.len());
    }

    #[test]
    fn huge_images_claim_huge_sizes() {
        let (kind, webp) = huge_dimensions_image("/media/photos/1/00001.webp");
        assert_eq!(kind, "image/webp");
        assert_eq!(&webp[..4], b"RIFF");
        assert_eq!(
            u32::from_le_bytes([webp[4], webp[5], webp[6], webp[7]]) as usize,
            webp.len() - 8
        );
        // VP8X canvas (24-bit, minus one) at bytes 24..30.
        let w = u32::from_le_bytes([webp[24], webp[25], webp[26], 0]) + 1;
        let h = u32::from_le_bytes([webp[27], webp[28], webp[29], 0]) + 1;
        assert_eq!((w, h), (HUGE_SIDE, HUGE_SIDE));

        let (kind, png) = huge_dimensions_image("/x/00001.PNG");
        assert_eq!(kind, "image/png");
        assert_eq!(&png[12..16], b"IHDR");
        assert_eq!(&png[16..20], &HUGE_SIDE.to_be_bytes());
        assert!(png.ends_with(&[0xAE, 0x42, 0x60, 0x82]));
        assert!(png.len() < 512);
    }
}
