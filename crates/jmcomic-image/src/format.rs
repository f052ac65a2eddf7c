//! Formats, magic-number sniffing, header probing and structural completeness checks. All of
//! this reads headers and container structure only; no pixel data is decoded.

use std::fmt;

use crate::error::{Error, Result};
use crate::webp;

/// An image container this crate recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// WebP (lossy, lossless or extended), the format the JM CDN serves most pages in.
    Webp,
    /// JPEG (JFIF/Exif, baseline or progressive).
    Jpeg,
    /// PNG.
    Png,
    /// GIF: recognised, checked and passed through, never decoded (the Python package never
    /// descrambles GIFs either).
    // Spec §4.5, §7.3.
    Gif,
}

impl Format {
    /// Every format, in a stable order.
    pub const ALL: [Format; 4] = [Format::Webp, Format::Jpeg, Format::Png, Format::Gif];

    /// The format of a file suffix: case-insensitive, the leading dot optional
    /// (`".webp"`, `"webp"`, `".JPG"`, `"jpeg"`, ...). `None` for anything else.
    ///
    /// ```
    /// use jmcomic_image::Format;
    /// assert_eq!(Format::from_suffix(".JPG"), Some(Format::Jpeg));
    /// assert_eq!(Format::from_suffix("webp"), Some(Format::Webp));
    /// assert_eq!(Format::from_suffix(".bmp"), None);
    /// ```
    pub fn from_suffix(s: &str) -> Option<Format> {
        let s = s.strip_prefix('.').unwrap_or(s);
        let is = |name: &str| s.eq_ignore_ascii_case(name);
        if is("webp") {
            Some(Format::Webp)
        } else if is("jpg") || is("jpeg") || is("jpe") || is("jfif") {
            Some(Format::Jpeg)
        } else if is("png") {
            Some(Format::Png)
        } else if is("gif") {
            Some(Format::Gif)
        } else {
            None
        }
    }

    /// The canonical file suffix, with the dot: `".webp"`, `".jpg"`, `".png"`, `".gif"`.
    pub fn suffix(self) -> &'static str {
        match self {
            Format::Webp => ".webp",
            Format::Jpeg => ".jpg",
            Format::Png => ".png",
            Format::Gif => ".gif",
        }
    }

    /// The MIME type, e.g. `"image/webp"`.
    pub fn mime(self) -> &'static str {
        match self {
            Format::Webp => "image/webp",
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::Gif => "image/gif",
        }
    }

    /// A short human name, also used by `Display`: `"WebP"`, `"JPEG"`, `"PNG"`, `"GIF"`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Webp => "WebP",
            Format::Jpeg => "JPEG",
            Format::Png => "PNG",
            Format::Gif => "GIF",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

const PNG_SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";

/// The format of `bytes` from its magic number, or `None`. The URL suffix is not trusted:
/// the CDN may serve a different format than the file name says.
///
/// ```
/// use jmcomic_image::{sniff, Format};
/// assert_eq!(sniff(b"GIF89a\x01\x00\x01\x00"), Some(Format::Gif));
/// assert_eq!(sniff(b"<!DOCTYPE html>"), None);
/// ```
pub fn sniff(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(PNG_SIGNATURE) {
        Some(Format::Png)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Format::Jpeg)
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some(Format::Gif)
    } else if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP".as_slice()) {
        Some(Format::Webp)
    } else {
        None
    }
}

/// Format, width and height from the headers only, without decoding pixels: `WebPGetFeatures`
/// (the parser behind `WebPGetInfo`), the JPEG SOF segment, the PNG IHDR chunk, the GIF logical
/// screen descriptor.
///
/// ```
/// use jmcomic_image::{probe, Format};
/// let gif = b"GIF89a\x20\x00\x10\x00\x00\x00\x00;";
/// assert_eq!(probe(gif).unwrap(), (Format::Gif, 32, 16));
/// ```
pub fn probe(bytes: &[u8]) -> Result<(Format, u32, u32)> {
    let format = sniff(bytes).ok_or(Error::UnknownFormat)?;
    let (width, height) = match format {
        Format::Webp => {
            let f = webp_features(bytes)?;
            (f.width, f.height)
        }
        Format::Jpeg => jpeg_dimensions(bytes)?,
        Format::Png => png_dimensions(bytes)?,
        Format::Gif => gif_dimensions(bytes)?,
    };
    Ok((format, width, height))
}

/// Cheap structural completeness check, used to refuse truncated downloads without decoding.
///
/// * WebP: the RIFF size field fits in the data and `WebPGetFeatures` accepts the headers.
/// * JPEG: SOI at the start, then the marker segments and entropy-coded data are walked up to
///   the EOI marker (`FFD9`).
/// * PNG: signature, IHDR first, then the chunk lengths are walked up to the IEND chunk.
/// * GIF: header, then the blocks are walked up to the trailer (`0x3B`).
///
/// Bytes *after* a complete container (after the RIFF size, EOI, IEND or the trailer) are
/// tolerated, as every decoder, Pillow's included, ignores them; a walk that runs off the end
/// is [`Error::Truncated`]. Walking the structure rather than only testing the last bytes means
/// an `FFD9` inside an Exif thumbnail, or a `0x3B` that happens to end a cut GIF, does not pass.
pub fn check_complete(bytes: &[u8]) -> Result<Format> {
    let format = sniff(bytes).ok_or(Error::UnknownFormat)?;
    match format {
        Format::Webp => {
            // The RIFF size counts everything after the 8-byte "RIFF" + size header; libwebp
            // itself treats a size larger than the data as NOT_ENOUGH_DATA.
            let riff_size = read_u32_le(bytes, 4).ok_or_else(|| trunc_webp("no RIFF size"))?;
            let needed = u64::from(riff_size) + 8;
            if (bytes.len() as u64) < needed {
                return Err(Error::truncated(
                    Format::Webp,
                    format!("RIFF header announces {needed} bytes, got {}", bytes.len()),
                ));
            }
            if let Err(e) = webp_features(bytes) {
                // libwebp refuses huge canvases as a "bitstream error"; say what it is.
                if let Some((width, height)) = webp_vp8x_canvas(bytes) {
                    crate::decode::Limits::default().check(Format::Webp, width, height)?;
                }
                return Err(e);
            }
        }
        Format::Jpeg => jpeg_walk_to_eoi(bytes)?,
        Format::Png => png_walk_to_iend(bytes)?,
        Format::Gif => gif_walk_to_trailer(bytes)?,
    }
    Ok(format)
}

fn trunc_webp(reason: &str) -> Error {
    Error::truncated(Format::Webp, reason)
}

pub(crate) fn webp_features(bytes: &[u8]) -> Result<webp::Features> {
    webp::features(bytes).map_err(|e| match e {
        webp::HeaderError::NotEnoughData => trunc_webp("headers cut short"),
        webp::HeaderError::Invalid(reason) => Error::undecodable(Format::Webp, reason),
    })
}

/// The canvas size a VP8X chunk announces, read by hand. libwebp refuses canvases of 2^32
/// pixels or more as a bitstream error, so this is only used to report such a header as
/// [`Error::TooLarge`] instead of a vague "undecodable".
pub(crate) fn webp_vp8x_canvas(bytes: &[u8]) -> Option<(u32, u32)> {
    // RIFF(4) size(4) WEBP(4) "VP8X"(4) size(4) flags(1) reserved(3) w-1(3) h-1(3)
    if bytes.get(12..16) != Some(b"VP8X".as_slice()) {
        return None;
    }
    let b = bytes.get(24..30)?;
    let u24 = |lo: u8, mid: u8, hi: u8| u32::from_le_bytes([lo, mid, hi, 0]) + 1;
    match *b {
        [w0, w1, w2, h0, h1, h2] => Some((u24(w0, w1, w2), u24(h0, h1, h2))),
        _ => None,
    }
}

fn read_u32_le(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(b.try_into().ok()?))
}

fn read_u32_be(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes(b.try_into().ok()?))
}

fn read_u16_be(bytes: &[u8], at: usize) -> Option<u16> {
    let b = bytes.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes(b.try_into().ok()?))
}

fn read_u16_le(bytes: &[u8], at: usize) -> Option<u16> {
    let b = bytes.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes(b.try_into().ok()?))
}

// ---------------------------------------------------------------------------------------------
// JPEG

fn trunc_jpeg(reason: &str) -> Error {
    Error::truncated(Format::Jpeg, reason)
}

/// A JPEG marker found while walking: its code and the offset just after it.
struct Marker {
    code: u8,
    next: usize,
}

/// Finds the next marker at or after `pos`, like libjpeg's `next_marker`: bytes that are not
/// `0xFF` (entropy-coded data, or junk between segments) are skipped, fill bytes `FF FF` are
/// skipped, and `FF 00` (a stuffed data byte) is not a marker. `None` when the data ends first.
fn next_marker(bytes: &[u8], mut pos: usize) -> Option<Marker> {
    loop {
        let ff = pos + bytes.get(pos..)?.iter().position(|&b| b == 0xFF)?;
        let mut at = ff + 1;
        while bytes.get(at) == Some(&0xFF) {
            at += 1;
        }
        let code = *bytes.get(at)?;
        if code != 0x00 {
            return Some(Marker { code, next: at + 1 });
        }
        pos = at + 1;
    }
}

/// Markers without a length field: TEM and RST0..RST7.
fn is_standalone(code: u8) -> bool {
    code == 0x01 || (0xD0..=0xD7).contains(&code)
}

/// Start-of-frame markers: C0..CF except DHT (C4), JPG (C8) and DAC (CC).
fn is_sof(code: u8) -> bool {
    (0xC0..=0xCF).contains(&code) && !matches!(code, 0xC4 | 0xC8 | 0xCC)
}

/// Width and height from the first SOF segment (header segments only).
fn jpeg_dimensions(bytes: &[u8]) -> Result<(u32, u32)> {
    let mut pos = 2; // after SOI
    loop {
        let m = next_marker(bytes, pos).ok_or_else(|| trunc_jpeg("no frame header (SOF)"))?;
        match m.code {
            c if is_standalone(c) => pos = m.next,
            0xD8..=0xDA => {
                return Err(Error::undecodable(
                    Format::Jpeg,
                    format!("marker FF{:02X} before the frame header", m.code),
                ));
            }
            code => {
                let len = read_u16_be(bytes, m.next)
                    .ok_or_else(|| trunc_jpeg("segment length cut short"))?;
                if len < 2 {
                    return Err(Error::undecodable(Format::Jpeg, "segment length < 2"));
                }
                if is_sof(code) {
                    // SOF: length(2) precision(1) height(2) width(2) ...
                    let height = read_u16_be(bytes, m.next + 3);
                    let width = read_u16_be(bytes, m.next + 5);
                    let (Some(height), Some(width)) = (height, width) else {
                        return Err(trunc_jpeg("frame header cut short"));
                    };
                    if width == 0 || height == 0 {
                        // Height 0 means "defined later by a DNL marker", which neither
                        // libjpeg-turbo's TurboJPEG API nor Pillow supports.
                        return Err(Error::undecodable(
                            Format::Jpeg,
                            format!("frame header gives {width}x{height}"),
                        ));
                    }
                    return Ok((u32::from(width), u32::from(height)));
                }
                pos = m.next + usize::from(len);
            }
        }
    }
}

/// Walks marker segments and entropy-coded data from SOI to EOI.
fn jpeg_walk_to_eoi(bytes: &[u8]) -> Result<()> {
    let mut pos = 2; // after SOI, checked by `sniff`
    let mut seen_scan = false;
    loop {
        let m = next_marker(bytes, pos).ok_or_else(|| {
            trunc_jpeg(if seen_scan {
                "no end-of-image marker (FFD9)"
            } else {
                "no scan data"
            })
        })?;
        match m.code {
            0xD9 if seen_scan => return Ok(()),
            0xD9 => {
                return Err(Error::undecodable(
                    Format::Jpeg,
                    "end of image before any scan",
                ));
            }
            0xD8 => return Err(Error::undecodable(Format::Jpeg, "second start-of-image")),
            c if is_standalone(c) => pos = m.next,
            code => {
                let len = read_u16_be(bytes, m.next)
                    .ok_or_else(|| trunc_jpeg("segment length cut short"))?;
                if len < 2 {
                    return Err(Error::undecodable(Format::Jpeg, "segment length < 2"));
                }
                pos = m.next + usize::from(len);
                if pos > bytes.len() {
                    return Err(trunc_jpeg("segment cut short"));
                }
                // After an SOS header comes entropy-coded data, which `next_marker` skips.
                seen_scan |= code == 0xDA;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// PNG

fn trunc_png(reason: &str) -> Error {
    Error::truncated(Format::Png, reason)
}

/// Largest chunk length the PNG spec allows (2^31 - 1); also bounds IHDR dimensions.
const PNG_MAX: u32 = 0x7FFF_FFFF;

fn png_dimensions(bytes: &[u8]) -> Result<(u32, u32)> {
    // signature(8) length(4) "IHDR"(4) width(4) height(4)
    if bytes.len() < 24 {
        return Err(trunc_png("IHDR chunk cut short"));
    }
    if read_u32_be(bytes, 8) != Some(13) || bytes.get(12..16) != Some(b"IHDR".as_slice()) {
        return Err(Error::undecodable(Format::Png, "first chunk is not IHDR"));
    }
    let (Some(width), Some(height)) = (read_u32_be(bytes, 16), read_u32_be(bytes, 20)) else {
        return Err(trunc_png("IHDR chunk cut short"));
    };
    if width == 0 || height == 0 || width > PNG_MAX || height > PNG_MAX {
        return Err(Error::undecodable(
            Format::Png,
            format!("IHDR gives {width}x{height}"),
        ));
    }
    Ok((width, height))
}

/// Walks the chunk list (length, type, data, CRC) from IHDR to IEND. CRCs are left to the
/// decoder: this is about completeness, not integrity.
fn png_walk_to_iend(bytes: &[u8]) -> Result<()> {
    png_dimensions(bytes)?;
    let mut pos = PNG_SIGNATURE.len();
    loop {
        let len = read_u32_be(bytes, pos).ok_or_else(|| trunc_png("no IEND chunk"))?;
        if len > PNG_MAX {
            return Err(Error::undecodable(Format::Png, "chunk length over 2^31-1"));
        }
        let kind = bytes
            .get(pos + 4..pos + 8)
            .ok_or_else(|| trunc_png("chunk header cut short"))?;
        let is_iend = kind == b"IEND";
        // length(4) + type(4) + data(len) + crc(4)
        pos = pos.saturating_add(12).saturating_add(len as usize);
        if pos > bytes.len() {
            return Err(trunc_png(if is_iend {
                "IEND chunk cut short"
            } else {
                "chunk cut short"
            }));
        }
        if is_iend {
            return Ok(());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// GIF

fn trunc_gif(reason: &str) -> Error {
    Error::truncated(Format::Gif, reason)
}

fn gif_dimensions(bytes: &[u8]) -> Result<(u32, u32)> {
    // "GIF89a"(6) then the logical screen descriptor: width(2 LE) height(2 LE) ...
    let (Some(width), Some(height)) = (read_u16_le(bytes, 6), read_u16_le(bytes, 8)) else {
        return Err(trunc_gif("logical screen descriptor cut short"));
    };
    Ok((u32::from(width), u32::from(height)))
}

/// Size in bytes of a colour table announced by a packed-fields byte.
fn gif_color_table_len(packed: u8) -> usize {
    if packed & 0x80 == 0 {
        0
    } else {
        3 << ((packed & 0x07) + 1)
    }
}

/// Skips a chain of data sub-blocks (size byte, data) up to the zero-size terminator.
fn gif_skip_sub_blocks(bytes: &[u8], mut pos: usize) -> Result<usize> {
    loop {
        let size = *bytes
            .get(pos)
            .ok_or_else(|| trunc_gif("data sub-blocks cut short"))?;
        pos += 1 + usize::from(size);
        if size == 0 {
            return Ok(pos);
        }
    }
}

/// Walks header, logical screen, global colour table, then extension and image blocks up to
/// the trailer.
fn gif_walk_to_trailer(bytes: &[u8]) -> Result<()> {
    let packed = *bytes
        .get(10)
        .ok_or_else(|| trunc_gif("logical screen descriptor cut short"))?;
    // header(6) + logical screen descriptor(7) + global colour table
    let mut pos = 13 + gif_color_table_len(packed);
    loop {
        let introducer = *bytes
            .get(pos)
            .ok_or_else(|| trunc_gif("no trailer (0x3B)"))?;
        match introducer {
            0x3B => return Ok(()),
            0x21 => {
                // extension: introducer, label, sub-blocks
                pos = gif_skip_sub_blocks(bytes, pos + 2)?;
            }
            0x2C => {
                // image descriptor: introducer, left, top, width, height (2 each), packed
                let packed = *bytes
                    .get(pos + 9)
                    .ok_or_else(|| trunc_gif("image descriptor cut short"))?;
                // then the local colour table, the LZW minimum code size, the sub-blocks
                pos += 10 + gif_color_table_len(packed) + 1;
                pos = gif_skip_sub_blocks(bytes, pos)?;
            }
            other => {
                return Err(Error::undecodable(
                    Format::Gif,
                    format!("unknown block 0x{other:02X} at offset {pos}"),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The classic 1x1 GIF (35 bytes).
    const GIF_1X1: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00\
        \x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00\x3b";

    #[test]
    fn suffixes() {
        for (s, f) in [
            (".webp", Format::Webp),
            ("WEBP", Format::Webp),
            (".JPG", Format::Jpeg),
            ("jpeg", Format::Jpeg),
            (".Jpeg", Format::Jpeg),
            ("png", Format::Png),
            (".gif", Format::Gif),
        ] {
            assert_eq!(Format::from_suffix(s), Some(f), "{s}");
        }
        for s in ["", ".", "..webp", ".bmp", "webp.", " png", "00001.webp"] {
            assert_eq!(Format::from_suffix(s), None, "{s}");
        }
        for f in Format::ALL {
            assert_eq!(Format::from_suffix(f.suffix()), Some(f));
            assert!(f.mime().starts_with("image/"));
        }
    }

    #[test]
    fn sniff_magic() {
        assert_eq!(sniff(b""), None);
        assert_eq!(sniff(b"RIFF\0\0\0\0WEB"), None);
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVE"), None);
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBP"), Some(Format::Webp));
        assert_eq!(sniff(b"\xff\xd8\xff\xe0"), Some(Format::Jpeg));
        assert_eq!(sniff(b"\xff\xd8"), None);
        assert_eq!(sniff(PNG_SIGNATURE), Some(Format::Png));
        assert_eq!(sniff(b"GIF87a"), Some(Format::Gif));
        assert_eq!(sniff(b"GIF88a"), None);
    }

    #[test]
    fn gif_walk() {
        assert_eq!(check_complete(GIF_1X1).unwrap(), Format::Gif);
        assert_eq!(probe(GIF_1X1).unwrap(), (Format::Gif, 1, 1));
        for cut in 0..GIF_1X1.len() {
            let err = check_complete(&GIF_1X1[..cut]).unwrap_err();
            assert!(err.is_corrupt_input(), "cut {cut}: {err}");
        }
        // A cut that happens to end in 0x3B inside the image data is still truncated.
        let mut fake = GIF_1X1[..GIF_1X1.len() - 3].to_vec();
        fake.push(0x3B);
        assert!(check_complete(&fake).unwrap_err().is_truncated());
        // Trailing bytes after the trailer are tolerated.
        let mut trailing = GIF_1X1.to_vec();
        trailing.extend_from_slice(b"junk");
        assert_eq!(check_complete(&trailing).unwrap(), Format::Gif);
    }

    #[test]
    fn jpeg_walk_skips_thumbnail_eoi() {
        // SOI, APP1 containing FFD9, SOF0, SOS with entropy data containing FF00 and RST0.
        let mut j = vec![0xFF, 0xD8];
        j.extend_from_slice(&[0xFF, 0xE1, 0x00, 0x06, 0xFF, 0xD9, 0x00, 0x00]);
        j.extend_from_slice(&[
            0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x10, 0x00, 0x20, 0x01, 0x01, 0x11, 0x00,
        ]);
        j.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00]);
        j.extend_from_slice(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56]);
        let body_len = j.len();
        j.extend_from_slice(&[0xFF, 0xD9]);
        assert_eq!(jpeg_dimensions(&j).unwrap(), (32, 16));
        assert!(jpeg_walk_to_eoi(&j).is_ok());
        for cut in 0..=body_len {
            assert!(jpeg_walk_to_eoi(&j[..cut]).is_err(), "cut {cut}");
        }
        // Stopping right after the thumbnail's FFD9 is truncation, not completion.
        assert!(jpeg_walk_to_eoi(&j[..8]).unwrap_err().is_truncated());
    }

    #[test]
    fn png_walk_errors() {
        let mut p = PNG_SIGNATURE.to_vec();
        p.extend_from_slice(&13u32.to_be_bytes());
        p.extend_from_slice(b"IHDR");
        p.extend_from_slice(&7u32.to_be_bytes());
        p.extend_from_slice(&9u32.to_be_bytes());
        p.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(png_dimensions(&p).unwrap(), (7, 9));
        assert!(png_walk_to_iend(&p).unwrap_err().is_truncated());
        p.extend_from_slice(&[0, 0, 0, 0]);
        p.extend_from_slice(b"IEND");
        p.extend_from_slice(&[0xAE, 0x42, 0x60, 0x82]);
        assert!(png_walk_to_iend(&p).is_ok());
        let mut huge = p.clone();
        huge[33..37].copy_from_slice(&0xFFFF_FFFFu32.to_be_bytes());
        assert!(!png_walk_to_iend(&huge).unwrap_err().is_truncated());
    }

    #[test]
    fn vp8x_canvas() {
        let mut v = b"RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x00\x00\x00\x00".to_vec();
        v.extend_from_slice(&[0x9F, 0x86, 0x01, 0x9F, 0x86, 0x01]); // 99999 + 1 each
        assert_eq!(webp_vp8x_canvas(&v), Some((100_000, 100_000)));
        assert_eq!(webp_vp8x_canvas(&v[..29]), None);
    }
}
