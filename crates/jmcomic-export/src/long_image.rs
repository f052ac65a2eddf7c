//! One long PNG with every page stacked top to bottom (the Python package's `long_img`
//! plugin).
//!
//! The width is the narrowest page's; wider pages are scaled down to it with a Lanczos filter,
//! keeping their aspect ratio, and every page becomes 8-bit RGB. The Python plugin builds the
//! whole canvas in memory, which for a long album is gigabytes; here the image is streamed:
//! a first pass reads only the pages' headers to learn every size and the total height, then
//! pages are decoded one at a time and their rows go straight into the PNG encoder. Memory
//! holds one decoded page (and its scaled copy), whatever the album's length.

// exports.md §1 (the Python plugin).

use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::Path;

use fast_image_resize as fir;
use jmcomic_image::{Format, Limits, PngCompression, RgbImage};

use crate::error::{Error, Result};
use crate::output::{ExportKind, Exported, Fingerprint, PartFile, is_up_to_date};
use crate::source::{PageFile, decode_page, probe_page};

/// The tallest PNG there can be: the PNG specification limits both dimensions to 2^31 - 1.
pub const PNG_MAX_HEIGHT: u32 = (1 << 31) - 1;

/// How many bytes of a page are read to find its size. Enough for any WebP, PNG or GIF header
/// and for JPEGs whose frame header follows modest Exif/ICC segments; a page whose header is
/// further in is read whole.
const HEAD_BYTES: u64 = 64 * 1024;

/// Size of each IDAT chunk: the `png` crate's default (4 KiB) costs a 12-byte chunk header
/// every 4 KiB; larger chunks keep that overhead negligible at no memory cost worth counting.
const IDAT_CHUNK: usize = 256 * 1024;

/// The `tEXt` keyword under which the export's fingerprint is stored.
const FINGERPRINT_KEYWORD: &str = "jmcomic-source";

/// How [`write_long_png`] builds the image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LongImageOptions {
    /// PNG deflate effort. Default [`PngCompression::Fast`]: a long strip is tens of megapixels
    /// and zlib level 6 is about 25 times slower for 11% less size (measured).
    // perf.md §2.3(d).
    pub compression: PngCompression,
    /// Size limits for decoding each page, checked from the headers before anything is written.
    pub limits: Limits,
}

impl Default for LongImageOptions {
    fn default() -> Self {
        LongImageOptions {
            compression: PngCompression::Fast,
            limits: Limits::default(),
        }
    }
}

impl LongImageOptions {
    /// The text that enters the fingerprint: what changes the output's bytes. The limits do
    /// not (they only accept or refuse pages).
    fn fingerprint_settings(&self) -> String {
        format!("long_img png {:?}", self.compression)
    }
}

/// One page's place in the long image.
#[derive(Clone, Copy, Debug)]
struct Slot {
    format: Format,
    width: u32,
    height: u32,
    /// Its height once scaled to the long image's width.
    scaled_height: u32,
}

/// Writes `pages`, in order, as one long PNG at `out`.
///
/// The image is as wide as the narrowest page; wider pages are scaled down (Lanczos, aspect
/// ratio kept, height truncated as the Python plugin's `int(...)`, at least one row). The output carries a
/// [`Fingerprint`] of the pages and settings in a `tEXt` chunk after the image data: when
/// `out` already has the same one, nothing is read or written and the result says
/// [`Exported::reused`].
///
/// Errors, with nothing left at `out` nor any temporary file:
/// * [`Error::NoPages`] for an empty list;
/// * [`Error::Page`] for a page that cannot be read or decoded, or exceeds
///   [`LongImageOptions::limits`] (the Python plugin skips such pages; a silent hole in a
///   long strip is worse);
/// * [`Error::Unsupported`] when the stacked height would exceed [`PNG_MAX_HEIGHT`], found
///   from the headers before anything is written.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use jmcomic_export::{LongImageOptions, PageFile, long_png_size, verify_png, write_long_png};
/// use jmcomic_image::{EncodeSettings, Format, RgbImage, encode};
///
/// let dir = tempfile::tempdir()?;
/// // Two downloaded pages (made up here: 40×60 grey pictures).
/// let mut pages = Vec::new();
/// for n in 1..=2 {
///     let page = RgbImage::new(40, 60, vec![100 * n; 40 * 60 * 3])?;
///     let path = dir.path().join(format!("{n:05}.png"));
///     std::fs::write(&path, encode(&page, Format::Png, &EncodeSettings::default())?)?;
///     pages.push(PageFile::from_path(path));
/// }
///
/// let out = dir.path().join("album.png");
/// // Known from the pages' headers alone: 40 wide, 2 × 60 high.
/// assert_eq!(long_png_size(&pages, &out)?, (40, 120));
/// write_long_png(&pages, &out, &LongImageOptions::default())?;
/// verify_png(&out, 40, 120)?;
/// # Ok(()) }
/// ```
pub fn write_long_png(
    pages: &[PageFile],
    out: &Path,
    options: &LongImageOptions,
) -> Result<Exported> {
    if pages.is_empty() {
        return Err(Error::NoPages {
            path: out.to_owned(),
        });
    }
    let fingerprint = Fingerprint::of(pages, &options.fingerprint_settings())?;
    if is_up_to_date(out, &fingerprint) {
        return Ok(Exported::reused(
            out.to_owned(),
            ExportKind::LongImage,
            pages.len(),
        ));
    }

    let (width, slots) = plan(pages, out, &options.limits)?;
    let height: u32 = slots.iter().map(|s| s.scaled_height).sum();

    let mut part = PartFile::create(out)?;
    let encode_err = |e: png::EncodingError| encoding_error(out, e);
    let mut encoder = png::Encoder::new(&mut part, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(match options.compression {
        PngCompression::Balanced => png::Compression::Balanced,
        PngCompression::High => png::Compression::High,
        // `Fast` and any level added later.
        _ => png::Compression::Fast,
    });
    let mut writer = encoder.write_header().map_err(encode_err)?;
    {
        let mut stream = writer
            .stream_writer_with_size(IDAT_CHUNK)
            .map_err(encode_err)?;
        let mut scaler = Scaler::new();
        for (page, slot) in pages.iter().zip(&slots) {
            let img = decode_checked(page, slot, &options.limits)?;
            let rows = scaler.scale(&img, width, slot.scaled_height, page, out)?;
            stream
                .write_all(rows)
                .map_err(|e| Error::io("write", out, e))?;
        }
        stream.finish().map_err(encode_err)?;
    }
    // After IDAT, before IEND: `is_up_to_date` reads only the file's last 64 KiB.
    writer
        .write_text_chunk(&png::text_metadata::TEXtChunk::new(
            FINGERPRINT_KEYWORD,
            fingerprint.marker(),
        ))
        .map_err(encode_err)?;
    writer.finish().map_err(encode_err)?;
    let bytes = part.commit()?;
    Ok(Exported::written(
        out.to_owned(),
        ExportKind::LongImage,
        pages.len(),
        bytes,
    ))
}

/// The size [`write_long_png`] gives `pages`: `(width, height)` of the stack, from the
/// pages' headers (for [`verify_png`] before the pages are deleted).
pub fn long_png_size(pages: &[PageFile], out: &Path) -> Result<(u32, u32)> {
    let (width, slots) = plan(pages, out, &Limits::unlimited())?;
    Ok((width, slots.iter().map(|s| s.scaled_height).sum()))
}

/// The first pass: every page's format and size from its header, the output width, and the
/// checks that can refuse the export before a byte is written.
fn plan(pages: &[PageFile], out: &Path, limits: &Limits) -> Result<(u32, Vec<Slot>)> {
    let mut slots = Vec::with_capacity(pages.len());
    for page in pages {
        let (format, width, height) = probe_file(page)?;
        slots.push(Slot {
            format,
            width,
            height,
            scaled_height: height,
        });
    }
    let width = slots.iter().map(|s| s.width).min().unwrap_or(0);
    let mut total: u64 = 0;
    for slot in &mut slots {
        slot.scaled_height = scaled_height(slot.width, slot.height, width);
        total += u64::from(slot.scaled_height);
    }
    if total > u64::from(PNG_MAX_HEIGHT) {
        return Err(Error::Unsupported {
            path: out.to_owned(),
            reason: format!(
                "the {} pages stacked at {width} pixels wide would be {total} pixels tall, \
                 more than the {PNG_MAX_HEIGHT} rows a PNG can hold; export each chapter to \
                 its own long image, or export a PDF instead",
                pages.len()
            ),
        });
    }
    // After the height check, so a too-tall album is reported as such rather than as its
    // first tall page.
    for (page, slot) in pages.iter().zip(&slots) {
        limits
            .check(slot.format, slot.width, slot.height)
            .map_err(|source| Error::Page {
                path: page.path.clone(),
                source,
            })?;
    }
    Ok((width, slots))
}

/// A page's format and size from the start of its file; the whole file only when the header
/// lies beyond [`HEAD_BYTES`] (a JPEG with large metadata segments).
fn probe_file(page: &PageFile) -> Result<(Format, u32, u32)> {
    let file = File::open(&page.path).map_err(|e| Error::io("read", &page.path, e))?;
    let mut head = Vec::new();
    file.take(HEAD_BYTES)
        .read_to_end(&mut head)
        .map_err(|e| Error::io("read", &page.path, e))?;
    match probe_page(&page.path, &head) {
        Err(_) if head.len() as u64 == HEAD_BYTES => probe_page(&page.path, &page.read()?),
        result => result,
    }
}

/// The height of a `width × height` page scaled to `target` pixels wide, as the Python
/// package's `long_img` plugin sizes it: `int(height * target / width)` (truncated; measured
/// against jmcomic 2.7.10 by `jmcomic-bench exports`), at least 1 (Pillow refuses a height
/// of 0, which the Python plugin would hit on a very wide, short page).
fn scaled_height(width: u32, height: u32, target: u32) -> u32 {
    if width == target || width == 0 {
        return height;
    }
    // Exact integer arithmetic: the same as Python's float division then `int` for page
    // sizes (the quotient is never within a float's rounding error of the next integer).
    let q = u64::from(height) * u64::from(target) / u64::from(width);
    // `target < width`, so the result is at most `height` and fits.
    q.clamp(1, u64::from(height)) as u32
}

/// Reads and decodes one page, and checks that it is the size its header announced (the
/// image's height was fixed from the headers).
fn decode_checked(page: &PageFile, slot: &Slot, limits: &Limits) -> Result<RgbImage> {
    let bytes = page.read()?;
    let img = decode_page(&page.path, &bytes, limits)?;
    if (img.width, img.height) != (slot.width, slot.height) {
        return Err(Error::Page {
            path: page.path.clone(),
            source: jmcomic_image::Error::Undecodable {
                format: slot.format,
                reason: format!(
                    "the header announces {}x{} but the picture decodes to {}x{}",
                    slot.width, slot.height, img.width, img.height
                ),
            },
        });
    }
    Ok(img)
}

/// Scales pages to the long image's width, reusing its buffers from page to page.
struct Scaler {
    resizer: fir::Resizer,
    options: fir::ResizeOptions,
    buffer: Vec<u8>,
}

impl Scaler {
    fn new() -> Self {
        Scaler {
            resizer: fir::Resizer::new(),
            options: fir::ResizeOptions::new()
                .resize_alg(fir::ResizeAlg::Convolution(fir::FilterType::Lanczos3)),
            buffer: Vec::new(),
        }
    }

    /// The rows of `img` at `width × height`: its own pixels when it already has that width,
    /// else a Lanczos-scaled copy.
    fn scale<'a>(
        &'a mut self,
        img: &'a RgbImage,
        width: u32,
        height: u32,
        page: &PageFile,
        out: &Path,
    ) -> Result<&'a [u8]> {
        if img.width == width {
            return Ok(&img.data);
        }
        let fail = |what: &str, reason: String| Error::Format {
            path: out.to_owned(),
            reason: format!("{what} page {}: {reason}", page.path.display()),
        };
        let src =
            fir::images::ImageRef::new(img.width, img.height, &img.data, fir::PixelType::U8x3)
                .map_err(|e| fail("reading", e.to_string()))?;
        let len = width as usize * height as usize * 3;
        let mut buffer = std::mem::take(&mut self.buffer);
        buffer.clear();
        buffer.resize(len, 0);
        let mut dst = fir::images::Image::from_vec_u8(width, height, buffer, fir::PixelType::U8x3)
            .map_err(|e| fail("scaling", e.to_string()))?;
        self.resizer
            .resize(&src, &mut dst, &self.options)
            .map_err(|e| fail("scaling", e.to_string()))?;
        self.buffer = dst.into_vec();
        Ok(&self.buffer)
    }
}

/// A `png` encoder error as this crate's: I/O failures keep their `io::Error`.
fn encoding_error(out: &Path, e: png::EncodingError) -> Error {
    match e {
        png::EncodingError::IoError(source) => Error::io("write", out, source),
        other => Error::Format {
            path: out.to_owned(),
            reason: other.to_string(),
        },
    }
}

/// Checks that `path` is a complete PNG of `expected_width × expected_height` 8-bit RGB
/// pixels: the header's sizes, then every row decoded (and every chunk's checksum verified)
/// to the end of the file, one row at a time so memory stays at one row whatever the height.
///
/// Meant to run before the original pages are deleted; any difference is [`Error::Verify`].
pub fn verify_png(path: &Path, expected_width: u32, expected_height: u32) -> Result<()> {
    let bad = |reason: String| Error::Verify {
        path: path.to_owned(),
        reason,
    };
    let file = File::open(path).map_err(|e| Error::io("read", path, e))?;
    let decoder = png::Decoder::new(BufReader::new(file));
    let mut reader = decoder.read_info().map_err(|e| decoding_error(path, e))?;
    let info = reader.info();
    let (width, height) = (info.width, info.height);
    if (width, height) != (expected_width, expected_height) {
        return Err(bad(format!(
            "it is {width}x{height} pixels, expected {expected_width}x{expected_height}"
        )));
    }
    if (info.color_type, info.bit_depth) != (png::ColorType::Rgb, png::BitDepth::Eight) {
        return Err(bad(format!(
            "it is {:?} {:?}, expected 8-bit RGB",
            info.color_type, info.bit_depth
        )));
    }
    let mut rows: u64 = 0;
    while reader
        .next_row()
        .map_err(|e| decoding_error(path, e))?
        .is_some()
    {
        rows += 1;
    }
    if rows != u64::from(height) {
        return Err(bad(format!("{rows} rows decode, the header says {height}")));
    }
    reader.finish().map_err(|e| decoding_error(path, e))
}

/// A `png` decoder error as this crate's: I/O failures stay I/O errors, anything else means
/// the file is not the complete PNG it should be.
fn decoding_error(path: &Path, e: png::DecodingError) -> Error {
    match e {
        png::DecodingError::IoError(source) if source.kind() != io::ErrorKind::UnexpectedEof => {
            Error::io("read", path, source)
        }
        other => Error::Verify {
            path: path.to_owned(),
            reason: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled_heights_truncate_like_python() {
        // 100 * 50 / 100 = 50 exactly; unchanged width keeps the height.
        assert_eq!(scaled_height(100, 100, 50), 50);
        assert_eq!(scaled_height(80, 123, 80), 123);
        // 3 * 2 / 4 = 1.5 -> 1; 5 * 2 / 4 = 2.5 -> 2; 7 * 2 / 4 = 3.5 -> 3.
        assert_eq!(scaled_height(4, 3, 2), 1);
        assert_eq!(scaled_height(4, 5, 2), 2);
        assert_eq!(scaled_height(4, 7, 2), 3);
        // Figures jmcomic 2.7.10 gave on the emulator's pages (jmcomic-bench exports).
        assert_eq!(scaled_height(1100, 1600, 164), 238);
        // 10 * 1 / 3 = 3.33 -> 3; 11 * 2 / 3 = 7.33 -> 7; 1 * 1 / 1000 -> at least 1.
        assert_eq!(scaled_height(3, 10, 1), 3);
        assert_eq!(scaled_height(3, 11, 2), 7);
        assert_eq!(scaled_height(1000, 1, 1), 1);
    }
}
