//! PDF export: one page per image, each page the image's pixel size in points (1 px = 1 pt,
//! as the Python package's `img2pdf` plugin makes them), pages in the order given.
//!
//! JPEG pages are embedded as they are (the file's bytes become the image stream,
//! `/DCTDecode`), like `img2pdf` does: no generation loss and almost no CPU. Other pages
//! (WebP, PNG, a GIF's first frame) are decoded and embedded either losslessly or as JPEG at a
//! set quality ([`PdfConvert`]).
//!
//! The document is **streamed**: pdf-writer's [`Pdf`](pdf_writer::Pdf) keeps the whole file in
//! memory, so each object is written into its own small [`Chunk`] and appended to the output
//! at once, while the exporter keeps only each object's byte offset (8 bytes) and each page's
//! object number for the cross-reference table and the page tree written at the end. A
//! 1,000-page album holds one page in memory at a time.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Arc;

use jmcomic_image::{EncodeSettings, Format, Limits, PngCompression, RgbImage};
use lopdf::encryption::crypt_filters::{Aes256CryptFilter, CryptFilter};
use lopdf::{EncryptionState, EncryptionVersion, Permissions};
use pdf_writer::writers::Catalog;
use pdf_writer::{Chunk, Content, Filter, Name, Obj, Rect, Ref, Settings, Str};

use crate::error::{Error, Result};
use crate::meta::ExportMeta;
use crate::output::{ExportKind, Exported, Fingerprint, PartFile, is_up_to_date};
use crate::source::{PageFile, decode_page};

/// How pages that are not JPEG files (WebP, PNG, a GIF's first frame) go into the PDF. JPEG
/// pages are always embedded unchanged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PdfConvert {
    /// Exact pixels, Flate-compressed RGB with PNG predictors (what `img2pdf` does with a PNG).
    /// Larger than the WebP pages it comes from, but nothing is lost.
    #[default]
    Lossless,
    /// Re-encoded as JPEG (4:2:0) at `quality` (`1..=100`): a far smaller file.
    Jpeg {
        /// JPEG quality, `1..=100` (0 is treated as 1, above 100 as 100).
        quality: u8,
    },
}

impl fmt::Display for PdfConvert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PdfConvert::Lossless => f.write_str("lossless"),
            PdfConvert::Jpeg { quality } => write!(f, "jpeg q{}", (*quality).clamp(1, 100)),
        }
    }
}

/// Settings of [`write_pdf`]. `Debug` never shows the password.
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PdfOptions {
    /// How non-JPEG pages are embedded.
    pub convert: PdfConvert,
    /// Encrypt the document with this password, as both the user and the owner password (as
    /// the Python `img2pdf` plugin does through pikepdf): AES-256, the standard security
    /// handler's revision 6, all permissions granted once opened. `None` or an empty password:
    /// no encryption. As the standard says, the password is prepared with SASLprep (so a
    /// control character is refused, and compatibility forms such as the `ﬁ` ligature become
    /// `fi`, which qpdf and poppler do not do when opening) and only its first 127 bytes count.
    pub password: Option<String>,
}

impl PdfOptions {
    /// Lossless, no password.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets how non-JPEG pages are embedded.
    pub fn with_convert(mut self, convert: PdfConvert) -> Self {
        self.convert = convert;
        self
    }

    /// Sets the password (user and owner).
    pub fn with_password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(password.into());
        self
    }

    /// The password, when one is set and not empty.
    fn password(&self) -> Option<&str> {
        self.password.as_deref().filter(|p| !p.is_empty())
    }

    /// Everything that shapes the output, for the [`Fingerprint`]: never the password itself,
    /// only its digest, so a changed password makes a new file.
    fn settings_text(&self) -> String {
        use md5::{Digest, Md5};
        use std::fmt::Write as _;
        let password = match self.password() {
            None => "open".to_owned(),
            Some(p) => {
                let digest = Md5::digest(p.as_bytes());
                let hex = digest.iter().fold(String::new(), |mut hex, b| {
                    let _ = write!(hex, "{b:02x}");
                    hex
                });
                format!("password-md5 {hex}")
            }
        };
        format!("pdf v1 {} {password}", self.convert)
    }
}

impl fmt::Debug for PdfOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PdfOptions")
            .field("convert", &self.convert)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .finish()
    }
}

/// Writes `pages` to the PDF `out`, one page per image, in order.
///
/// The file is written under a temporary name and renamed when complete ([`PartFile`]); it
/// carries the [`Fingerprint`] of the pages and settings in a comment just before
/// `startxref`. When `out` already carries the same fingerprint, it is left alone and
/// [`Exported::reused`] is returned.
///
/// Pages are read, converted and written one at a time (see the module docs); with a
/// password, each page's streams are encrypted as they are written, so an encrypted PDF is
/// streamed too.
///
/// Errors: [`Error::NoPages`] for an empty `pages`; [`Error::Io`] or [`Error::Page`] naming
/// a page that cannot be read or used (nothing is left behind: neither `out` nor a temporary
/// file); [`Error::Unsupported`] for a password the standard security handler refuses.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use jmcomic_export::{ExportMeta, PageFile, PdfOptions, verify_pdf, write_pdf};
/// use jmcomic_image::{EncodeSettings, Format, RgbImage, encode};
///
/// let dir = tempfile::tempdir()?;
/// // Two downloaded pages (made up here: 40×60 grey pictures).
/// let mut pages = Vec::new();
/// for n in 1..=2 {
///     let page = RgbImage::new(40, 60, vec![100 * n; 40 * 60 * 3])?;
///     let path = dir.path().join(format!("{n:05}.jpg"));
///     std::fs::write(&path, encode(&page, Format::Jpeg, &EncodeSettings::default())?)?;
///     pages.push(PageFile::from_path(path));
/// }
/// // `album` is the `jmcomic_model::Album` the client fetched: it gives the PDF's title,
/// // authors and subject.
/// # let album = jmcomic_model::Album {
/// #     id: jmcomic_model::JmId::new(123), name: "Title".into(), authors: vec!["Author".into()],
/// #     tags: vec![], works: vec![], actors: vec![], description: String::new(),
/// #     page_count: Some(2), pub_date: None, update_date: None, likes: String::new(),
/// #     views: String::new(), comment_count: 0, episodes: vec![], related: vec![],
/// #     liked: false, is_favorite: false,
/// # };
/// let meta = ExportMeta::album(&album);
///
/// let out = dir.path().join("album.pdf");
/// let options = PdfOptions::new().with_password("secret");
/// let done = write_pdf(&pages, &out, &meta, &options)?;
/// assert_eq!((done.pages, done.reused), (2, false));
/// verify_pdf(&out, 2)?; // before deleting the pages
///
/// // Run again over the same pages: the PDF is up to date and left alone.
/// assert!(write_pdf(&pages, &out, &meta, &options)?.reused);
/// # Ok(()) }
/// ```
pub fn write_pdf(
    pages: &[PageFile],
    out: &Path,
    meta: &ExportMeta,
    options: &PdfOptions,
) -> Result<Exported> {
    if pages.is_empty() {
        return Err(Error::NoPages {
            path: out.to_owned(),
        });
    }
    let fingerprint = Fingerprint::of(pages, &options.settings_text())?;
    if is_up_to_date(out, &fingerprint) {
        return Ok(Exported::reused(
            out.to_owned(),
            ExportKind::Pdf,
            pages.len(),
        ));
    }
    let crypt = options
        .password()
        .map(|password| {
            Crypt::new(password).map_err(|reason| Error::Unsupported {
                path: out.to_owned(),
                reason,
            })
        })
        .transpose()?;

    let mut part = PartFile::create(out)?;
    let temp = part.temp_path().to_owned();
    let write_error = |e: io::Error| Error::io("write", &temp, e);
    let mut pdf = PdfStream::start(&mut part, crypt).map_err(write_error)?;
    for page in pages {
        let image = PageImage::load(page, options.convert)?;
        pdf.add_page(&image).map_err(write_error)?;
    }
    pdf.finish(meta, &fingerprint).map_err(write_error)?;
    let bytes = part.commit()?;
    Ok(Exported::written(
        out.to_owned(),
        ExportKind::Pdf,
        pages.len(),
        bytes,
    ))
}

// ---------------------------------------------------------------------------------------
// Pages

/// One page's image stream, ready to be written.
struct PageImage {
    width: u32,
    height: u32,
    data: Vec<u8>,
    encoding: Encoding,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Encoding {
    /// JPEG data (`/DCTDecode`) in this colour space.
    Dct(JpegColor),
    /// A zlib stream of PNG-filtered 8-bit RGB rows (`/FlateDecode`, `/Predictor 15`).
    FlateRgb,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum JpegColor {
    Gray,
    Rgb,
    /// `inverted`: the file carries an Adobe APP14 marker, whose CMYK samples are stored
    /// inverted (libjpeg-turbo writes them so too), which a PDF reader is told by a `/Decode`
    /// array of `[1 0 1 0 1 0 1 0]`, as `img2pdf` does.
    Cmyk {
        inverted: bool,
    },
}

impl PageImage {
    /// Reads and prepares one page. Only this page's bytes (and pixels, when it is
    /// converted) are held.
    fn load(page: &PageFile, convert: PdfConvert) -> Result<PageImage> {
        let bytes = page.read()?;
        let image = if jmcomic_image::sniff(&bytes) == Some(Format::Jpeg)
            && let Some((width, height, color)) = jpeg_passthrough(&page.path, &bytes)?
        {
            PageImage {
                width,
                height,
                data: bytes,
                encoding: Encoding::Dct(color),
            }
        } else {
            let rgb = decode_page(&page.path, &bytes, &Limits::default())?;
            drop(bytes);
            convert_rgb(&page.path, &rgb, convert)?
        };
        // pdf-writer writes `/Length` as a 32-bit integer (and encryption adds up to 32 bytes).
        if image.data.len() > MAX_STREAM_BYTES {
            return Err(Error::Unsupported {
                path: page.path.clone(),
                reason: format!(
                    "the page's image data ({} bytes) is larger than a PDF stream can hold",
                    image.data.len()
                ),
            });
        }
        Ok(image)
    }
}

/// The size and colour space of a JPEG page that can be embedded as it is, `None` when it
/// must be decoded instead (lossless or arithmetic-coded JPEG, 12-bit samples: `/DCTDecode`
/// readers do not handle them). A truncated or unreadable JPEG is an error.
fn jpeg_passthrough(path: &Path, bytes: &[u8]) -> Result<Option<(u32, u32, JpegColor)>> {
    let page_error = |source| Error::Page {
        path: path.to_owned(),
        source,
    };
    let undecodable = |reason: String| {
        page_error(jmcomic_image::Error::Undecodable {
            format: Format::Jpeg,
            reason,
        })
    };
    // Nothing decodes the data here, so check that it is all there: a cut download would
    // otherwise become a half-grey page that no one notices.
    jmcomic_image::check_complete(bytes).map_err(page_error)?;
    let header = turbojpeg::read_header(bytes).map_err(|e| undecodable(e.to_string()))?;
    let markers = scan_jpeg_markers(bytes);
    if header.is_lossless || header.is_arithmetic || markers.precision != Some(8) {
        return Ok(None);
    }
    let color = match header.colorspace {
        turbojpeg::Colorspace::Gray => JpegColor::Gray,
        // The reader's DCT decoder undoes YCbCr itself (ColorTransform defaults to 1 for three
        // components, and an Adobe marker says so explicitly), so both are DeviceRGB.
        turbojpeg::Colorspace::YCbCr | turbojpeg::Colorspace::RGB => JpegColor::Rgb,
        turbojpeg::Colorspace::CMYK | turbojpeg::Colorspace::YCCK => JpegColor::Cmyk {
            inverted: markers.adobe,
        },
        #[allow(unreachable_patterns)]
        _ => return Ok(None),
    };
    let width = u32::try_from(header.width).map_err(|e| undecodable(e.to_string()))?;
    let height = u32::try_from(header.height).map_err(|e| undecodable(e.to_string()))?;
    if width == 0 || height == 0 {
        return Err(undecodable(format!("empty image {width}x{height}")));
    }
    Ok(Some((width, height, color)))
}

/// What the header segments of a JPEG say beyond TurboJPEG's header: whether an Adobe APP14
/// marker is present and the sample precision of the frame.
struct JpegMarkers {
    adobe: bool,
    precision: Option<u8>,
}

/// Walks the marker segments from SOI up to the first SOS.
fn scan_jpeg_markers(bytes: &[u8]) -> JpegMarkers {
    let mut found = JpegMarkers {
        adobe: false,
        precision: None,
    };
    let mut pos = 2; // after SOI
    while pos + 4 <= bytes.len() {
        if bytes[pos] != 0xFF {
            break;
        }
        let marker = bytes[pos + 1];
        match marker {
            // Fill bytes before a marker.
            0xFF => {
                pos += 1;
                continue;
            }
            // Markers without a length: TEM and RSTn.
            0x01 | 0xD0..=0xD7 => {
                pos += 2;
                continue;
            }
            // SOS or EOI: the headers are over.
            0xDA | 0xD9 => break,
            _ => {}
        }
        let len = usize::from(u16::from_be_bytes([bytes[pos + 2], bytes[pos + 3]]));
        let Some(data) = bytes.get(pos + 4..pos + 2 + len) else {
            break;
        };
        match marker {
            0xEE if data.starts_with(b"Adobe") => found.adobe = true,
            // SOFn; C4 (DHT), C8 (JPG) and CC (DAC) share the range but are not frames.
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                found.precision = data.first().copied();
            }
            _ => {}
        }
        pos += 2 + len;
    }
    found
}

/// Encodes decoded pixels for the PDF as `convert` says.
fn convert_rgb(path: &Path, rgb: &RgbImage, convert: PdfConvert) -> Result<PageImage> {
    let page_error = |source| Error::Page {
        path: path.to_owned(),
        source,
    };
    let (data, encoding) = match convert {
        PdfConvert::Lossless => {
            // A PNG's image data is exactly what `/FlateDecode` with PNG predictors reads, so
            // the PNG encoder (fdeflate with per-row filters: perf.md §2.3(d), 12.6 ms for a
            // 1100×1600 page) makes the stream; only its IDAT chunks are kept.
            let settings = EncodeSettings {
                png: PngCompression::Fast,
                ..EncodeSettings::default()
            };
            let png = jmcomic_image::encode(rgb, Format::Png, &settings).map_err(page_error)?;
            let data = png_image_data(&png).ok_or_else(|| {
                page_error(jmcomic_image::Error::Encode {
                    format: Format::Png,
                    reason: "the PNG encoder wrote no image data".to_owned(),
                })
            })?;
            (data, Encoding::FlateRgb)
        }
        PdfConvert::Jpeg { quality } => {
            let settings = EncodeSettings {
                jpeg_quality: quality,
                ..EncodeSettings::default()
            };
            let jpeg = jmcomic_image::encode(rgb, Format::Jpeg, &settings).map_err(page_error)?;
            (jpeg, Encoding::Dct(JpegColor::Rgb))
        }
    };
    Ok(PageImage {
        width: rgb.width,
        height: rgb.height,
        data,
        encoding,
    })
}

/// The concatenated IDAT chunk data of a PNG (one zlib stream), `None` if there is none.
fn png_image_data(png: &[u8]) -> Option<Vec<u8>> {
    let mut data = Vec::with_capacity(png.len());
    let mut pos = 8; // after the signature
    while let Some(header) = png.get(pos..pos + 8) {
        let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let body = png.get(pos + 8..pos + 8 + len)?;
        match &header[4..8] {
            b"IDAT" => data.extend_from_slice(body),
            b"IEND" => break,
            _ => {}
        }
        pos += 12 + len; // length, type, data, CRC
    }
    (!data.is_empty()).then_some(data)
}

// ---------------------------------------------------------------------------------------
// Encryption

/// The standard security handler, revision 6 (AES-256), through lopdf: it derives the
/// `/U /UE /O /OE /Perms` entries from the password (SASLprep, SHA-2 hash rounds) and
/// encrypts each string and stream. A fresh random file key per document.
struct Crypt {
    state: EncryptionState,
    filter: Arc<dyn CryptFilter>,
}

/// The crypt filter's name in `/CF`.
const CRYPT_FILTER: &[u8] = b"StdCF";

/// Revision 6 uses at most this many bytes of the (UTF-8) password; readers cut longer ones.
const MAX_PASSWORD_BYTES: usize = 127;

impl Crypt {
    fn new(password: &str) -> std::result::Result<Crypt, String> {
        // lopdf 0.47 cuts long passwords when opening a file but not when encrypting one, so
        // a longer password would make a file no reader opens: cut it here as readers do.
        // A cut through a character cannot be passed on as text: refused.
        let password = if password.len() > MAX_PASSWORD_BYTES {
            password.get(..MAX_PASSWORD_BYTES).ok_or_else(|| {
                format!(
                    "a PDF password is cut to {MAX_PASSWORD_BYTES} bytes of UTF-8 by readers, \
                     which here falls inside a character: use a shorter password"
                )
            })?
        } else {
            password
        };
        let mut key = [0u8; 32];
        getrandom::fill(&mut key)
            .map_err(|e| format!("no random numbers for the encryption key: {e}"))?;
        let filter: Arc<dyn CryptFilter> = Arc::new(Aes256CryptFilter);
        let state = EncryptionState::try_from(EncryptionVersion::V5 {
            encrypt_metadata: true,
            crypt_filters: BTreeMap::from([(CRYPT_FILTER.to_vec(), Arc::clone(&filter))]),
            file_encryption_key: &key,
            stream_filter: CRYPT_FILTER.to_vec(),
            string_filter: CRYPT_FILTER.to_vec(),
            owner_password: password,
            user_password: password,
            permissions: Permissions::all(),
        })
        .map_err(|e| {
            format!(
                "the password cannot be used in a PDF ({e}): PDF passwords are prepared with \
                 SASLprep (RFC 4013), which refuses control and unassigned characters"
            )
        })?;
        Ok(Crypt { state, filter })
    }

    /// `data` of object `id` (a stream or a string), encrypted.
    fn encrypt(&self, id: Ref, data: &[u8]) -> io::Result<Vec<u8>> {
        let fail = |e: lopdf::encryption::DecryptionError| {
            io::Error::other(format!("cannot encrypt object {}: {e}", id.get()))
        };
        let object = (id.get().unsigned_abs(), 0);
        let key = self
            .filter
            .compute_key(self.state.file_encryption_key(), object)
            .map_err(fail)?;
        self.filter.encrypt(&key, data).map_err(fail)
    }
}

// ---------------------------------------------------------------------------------------
// The streaming writer

/// Fixed object numbers; pages take three each from [`PdfStream::next_id`] on.
const CATALOG: Ref = Ref::new(1);
const PAGE_TREE: Ref = Ref::new(2);
const INFO: Ref = Ref::new(3);
const ENCRYPT: Ref = Ref::new(4);

/// The largest page side in points most readers accept (Acrobat's limit, ISO 32000-1
/// Annex C); larger pages get a `/UserUnit` as `img2pdf` does.
const MAX_PAGE_SIDE: u32 = 14_400;

/// The largest image stream written, leaving room for the encryption's IV and padding.
const MAX_STREAM_BYTES: usize = i32::MAX as usize - 64;

/// Compact output: no indentation inside dictionaries.
const SETTINGS: Settings = Settings { pretty: false };

/// A PDF being written object by object to `out`.
struct PdfStream<W: Write> {
    out: W,
    /// Bytes written so far: the offset of the next object.
    pos: u64,
    /// `offsets[n - 1]` is the offset of object `n`; `None` until it is written.
    offsets: Vec<Option<u64>>,
    next_id: i32,
    pages: Vec<Ref>,
    crypt: Option<Crypt>,
}

impl<W: Write> PdfStream<W> {
    /// Writes the header. With `crypt`, object 4 is the encryption dictionary.
    fn start(mut out: W, crypt: Option<Crypt>) -> io::Result<Self> {
        // The second line's high bytes tell transfer tools that the file is binary.
        let header = b"%PDF-1.7\n%\x80\x80\x80\x80\n";
        out.write_all(header)?;
        let next_id = if crypt.is_some() { 5 } else { 4 };
        Ok(PdfStream {
            out,
            pos: header.len() as u64,
            offsets: Vec::new(),
            next_id,
            pages: Vec::new(),
            crypt,
        })
    }

    fn alloc(&mut self) -> io::Result<Ref> {
        let id = self.next_id;
        self.next_id = id
            .checked_add(1)
            .ok_or_else(|| io::Error::other("too many objects for one PDF"))?;
        Ok(Ref::new(id))
    }

    /// Appends one indirect object (`chunk` holds exactly that object) and notes its offset.
    fn write_object(&mut self, id: Ref, chunk: &Chunk) -> io::Result<()> {
        let index = id.get() as usize - 1;
        if self.offsets.len() <= index {
            self.offsets.resize(index + 1, None);
        }
        self.offsets[index] = Some(self.pos);
        self.out.write_all(chunk.as_bytes())?;
        self.pos += chunk.len() as u64;
        Ok(())
    }

    /// `data` as written in object `id`: encrypted when the document is.
    fn seal<'a>(&self, id: Ref, data: &'a [u8]) -> io::Result<Cow<'a, [u8]>> {
        match &self.crypt {
            Some(crypt) => crypt.encrypt(id, data).map(Cow::Owned),
            None => Ok(Cow::Borrowed(data)),
        }
    }

    /// Writes a page showing `image` over its whole area: the image XObject, the content
    /// stream and the page object, in that order, each as soon as it is made.
    fn add_page(&mut self, image: &PageImage) -> io::Result<()> {
        let (page_id, image_id, content_id) = (self.alloc()?, self.alloc()?, self.alloc()?);
        let (width, height) = (
            i32::try_from(image.width).map_err(io::Error::other)?,
            i32::try_from(image.height).map_err(io::Error::other)?,
        );
        let data = self.seal(image_id, &image.data)?;
        if i32::try_from(data.len()).is_err() {
            return Err(io::Error::other(format!(
                "a page image of {} bytes is larger than a PDF stream can be",
                data.len()
            )));
        }
        let mut chunk = Chunk::with_settings_and_capacity(SETTINGS, data.len() + 256);
        {
            let mut xobject = chunk.image_xobject(image_id, &data);
            xobject.width(width).height(height).bits_per_component(8);
            match image.encoding {
                Encoding::Dct(color) => {
                    xobject.filter(Filter::DctDecode);
                    let space: &[u8] = match color {
                        JpegColor::Gray => b"DeviceGray",
                        JpegColor::Rgb => b"DeviceRGB",
                        JpegColor::Cmyk { .. } => b"DeviceCMYK",
                    };
                    xobject.color_space_name(Name(space));
                    if color == (JpegColor::Cmyk { inverted: true }) {
                        xobject.decode([1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0]);
                    }
                }
                Encoding::FlateRgb => {
                    xobject.filter(Filter::FlateDecode);
                    xobject.color_space_name(Name(b"DeviceRGB"));
                    xobject
                        .decode_parms()
                        .predictor(pdf_writer::types::Predictor::PngOptimum)
                        .colors(3)
                        .bits_per_component(8)
                        .columns(width);
                }
            }
        }
        drop(data);
        self.write_object(image_id, &chunk)?;
        drop(chunk);

        // Very large pages are written in units of `user_unit` points so the page stays
        // within 14,400 units; the image still fills it.
        let user_unit = image.width.max(image.height).div_ceil(MAX_PAGE_SIDE).max(1);
        let page_w = image.width as f32 / user_unit as f32;
        let page_h = image.height as f32 / user_unit as f32;
        let mut content = Content::new();
        content
            .save_state()
            .transform([page_w, 0.0, 0.0, page_h, 0.0, 0.0])
            .x_object(Name(b"Im0"))
            .restore_state();
        let content = content.finish();
        let content = self.seal(content_id, content.as_slice())?;
        let mut chunk = Chunk::with_settings(SETTINGS);
        chunk.stream(content_id, &content);
        self.write_object(content_id, &chunk)?;

        let mut chunk = Chunk::with_settings(SETTINGS);
        {
            let mut page = chunk.page(page_id);
            page.media_box(Rect::new(0.0, 0.0, page_w, page_h))
                .parent(PAGE_TREE)
                .contents(content_id);
            if user_unit > 1 {
                page.pair(Name(b"UserUnit"), user_unit as f32);
            }
            page.resources().x_objects().pair(Name(b"Im0"), image_id);
        }
        self.write_object(page_id, &chunk)?;
        self.pages.push(page_id);
        Ok(())
    }

    /// Writes the page tree, catalog, document information, encryption dictionary,
    /// cross-reference table and trailer (with the fingerprint comment), and flushes.
    fn finish(mut self, meta: &ExportMeta, fingerprint: &Fingerprint) -> io::Result<W> {
        let count = i32::try_from(self.pages.len()).map_err(io::Error::other)?;
        let mut chunk = Chunk::with_settings(SETTINGS);
        chunk
            .pages(PAGE_TREE)
            .kids(self.pages.iter().copied())
            .count(count);
        self.write_object(PAGE_TREE, &chunk)?;

        let mut chunk = Chunk::with_settings(SETTINGS);
        {
            let mut catalog = chunk.indirect(CATALOG).start::<Catalog>();
            catalog.pages(PAGE_TREE);
            if self.crypt.is_some() {
                // AES-256 (revision 6) is PDF 2.0, or PDF 1.7 with Adobe's extension level 8,
                // which is how qpdf and pikepdf label it for older readers.
                catalog
                    .extensions()
                    .insert(Name(b"ADBE"))
                    .base_version(1, 7)
                    .extension_level(8);
            }
        }
        self.write_object(CATALOG, &chunk)?;

        let entries = [
            (&b"Title"[..], meta.display_title()),
            (b"Author", meta.author_line()),
            (b"Subject", meta.description.clone()),
            (b"Keywords", meta.tags.join(", ")),
            (b"Creator", "jmcomic".to_owned()),
            (
                b"Producer",
                format!("jmcomic-export {}", env!("CARGO_PKG_VERSION")),
            ),
        ];
        let mut sealed = Vec::with_capacity(entries.len());
        for (key, value) in entries {
            if !value.trim().is_empty() {
                sealed.push((key, self.seal(INFO, &text_string(&value))?.into_owned()));
            }
        }
        let mut chunk = Chunk::with_settings(SETTINGS);
        {
            let mut info = chunk.indirect(INFO).dict();
            for (key, value) in &sealed {
                info.pair(Name(key), Str(value));
            }
        }
        self.write_object(INFO, &chunk)?;

        if let Some(crypt) = &self.crypt {
            let dict = crypt.state.encode().map_err(io::Error::other)?;
            let mut chunk = Chunk::with_settings(SETTINGS);
            write_lopdf_dict(chunk.indirect(ENCRYPT), &dict);
            self.write_object(ENCRYPT, &chunk)?;
        }

        // Cross-reference table: fixed 20-byte entries (ISO 32000-1, 7.5.4).
        let xref_pos = self.pos;
        let size = self.offsets.len() + 1;
        let mut xref = Vec::with_capacity(32 + 20 * size);
        writeln!(xref, "xref\n0 {size}\n0000000000 65535 f ")?;
        for (index, offset) in self.offsets.iter().enumerate() {
            let offset = offset.ok_or_else(|| {
                io::Error::other(format!("object {} was never written", index + 1))
            })?;
            if offset > 9_999_999_999 {
                return Err(io::Error::other("the PDF is larger than 10 GB"));
            }
            writeln!(xref, "{offset:010} 00000 n ")?;
        }
        self.out.write_all(&xref)?;

        // The file identifier only has to be stable for the same content: the fingerprint.
        let id = fingerprint.hex();
        let encrypt = if self.crypt.is_some() {
            format!(" /Encrypt {} 0 R", ENCRYPT.get())
        } else {
            String::new()
        };
        // The fingerprint comment goes after the trailer dictionary, where `is_up_to_date`
        // finds it within the last 64 KiB however long the cross-reference table is.
        write!(
            self.out,
            "trailer\n<< /Size {size} /Root {} 0 R /Info {} 0 R /ID [<{id}> <{id}>]{encrypt} >>\n\
             %{}\nstartxref\n{xref_pos}\n%%EOF\n",
            CATALOG.get(),
            INFO.get(),
            fingerprint.marker(),
        )?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// A PDF text string: ASCII as it is (PDFDocEncoding agrees with ASCII there), anything else
/// UTF-16BE with a byte order mark.
fn text_string(text: &str) -> Vec<u8> {
    if text.bytes().all(|b| matches!(b, 0x20..=0x7E)) {
        text.as_bytes().to_vec()
    } else {
        let mut bytes = vec![0xFE, 0xFF];
        for unit in text.encode_utf16() {
            bytes.extend_from_slice(&unit.to_be_bytes());
        }
        bytes
    }
}

/// Writes lopdf's encryption dictionary with pdf-writer (binary strings become hex strings).
fn write_lopdf_dict(obj: Obj<'_>, dict: &lopdf::Dictionary) {
    let mut out = obj.dict();
    for (key, value) in dict {
        write_lopdf_object(out.insert(Name(key)), value);
    }
}

fn write_lopdf_object(obj: Obj<'_>, value: &lopdf::Object) {
    use lopdf::Object;
    match value {
        Object::Null => obj.primitive(pdf_writer::Null),
        Object::Boolean(b) => obj.primitive(*b),
        Object::Integer(i) => obj.primitive(i32::try_from(*i).unwrap_or(i32::MAX)),
        Object::Real(r) => obj.primitive(*r),
        Object::Name(name) => obj.primitive(Name(name)),
        Object::String(bytes, _) => obj.primitive(Str(bytes)),
        Object::Reference((id, _)) => match i32::try_from(*id).ok().filter(|id| *id > 0) {
            Some(id) => obj.primitive(Ref::new(id)),
            None => obj.primitive(pdf_writer::Null),
        },
        Object::Array(items) => {
            let mut array = obj.array();
            for item in items {
                write_lopdf_object(array.push(), item);
            }
        }
        Object::Dictionary(dict) => write_lopdf_dict(obj, dict),
        // The encryption dictionary holds no streams.
        Object::Stream(stream) => write_lopdf_dict(obj, &stream.dict),
    }
}

// ---------------------------------------------------------------------------------------
// Verification

/// Checks that `path` is a complete PDF as [`write_pdf`] writes them, holding
/// `expected_pages` pages: called before the original pages are deleted.
///
/// The check reads the file in small pieces (never the whole file, which may be gigabytes):
/// the `%%EOF` and `startxref` at the end, every cross-reference entry, the start of every
/// object where the table says it is, every stream's `endstream` exactly `/Length` bytes
/// after its start, and the page tree's `/Count` and kids. A truncated, cut-short or
/// rewritten file fails with [`Error::Verify`]. It works without the password of an
/// encrypted PDF (only strings and stream data are encrypted). It is a structural check of
/// this exporter's own output, not a general PDF parser: a PDF rewritten by another tool
/// (object streams, cross-reference streams) fails it.
pub fn verify_pdf(path: &Path, expected_pages: usize) -> Result<()> {
    let mut file = File::open(path).map_err(|e| Error::io("read", path, e))?;
    let len = file
        .metadata()
        .map_err(|e| Error::io("read", path, e))?
        .len();
    let mut check = Verifier {
        file: &mut file,
        len,
    };
    check.run(expected_pages).map_err(|failure| match failure {
        Failure::Io(e) => Error::io("read", path, e),
        Failure::Bad(reason) => Error::Verify {
            path: path.to_owned(),
            reason,
        },
    })
}

enum Failure {
    Io(io::Error),
    Bad(String),
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        // A read that ran out of file is a cut file, not an I/O failure.
        if e.kind() == io::ErrorKind::UnexpectedEof {
            Failure::Bad("the file ends early".to_owned())
        } else {
            Failure::Io(e)
        }
    }
}

fn bad<T>(reason: impl Into<String>) -> std::result::Result<T, Failure> {
    Err(Failure::Bad(reason.into()))
}

/// The largest object head read (a page tree of 100,000 kids is about 1 MB).
const MAX_OBJECT_HEAD: usize = 4 << 20;

struct Verifier<'a> {
    file: &'a mut File,
    len: u64,
}

impl Verifier<'_> {
    fn read_at(&mut self, pos: u64, len: usize) -> std::result::Result<Vec<u8>, Failure> {
        let len = len.min(usize::try_from(self.len.saturating_sub(pos)).unwrap_or(usize::MAX));
        let mut buf = vec![0; len];
        self.file.seek(SeekFrom::Start(pos))?;
        self.file.read_exact(&mut buf)?;
        Ok(buf)
    }

    fn run(&mut self, expected_pages: usize) -> std::result::Result<(), Failure> {
        // The end: `startxref`, its offset, `%%EOF`.
        let tail_start = self.len.saturating_sub(1024);
        let tail = self.read_at(tail_start, 1024)?;
        if !tail.trim_ascii_end().ends_with(b"%%EOF") {
            return bad("no %%EOF at the end (cut short?)");
        }
        let Some(at) = find_last(&tail, b"startxref") else {
            return bad("no startxref at the end");
        };
        let Some(xref_pos) = parse_int(&tail[at + 9..]).map(|(n, _)| n) else {
            return bad("startxref has no offset");
        };
        if xref_pos >= self.len {
            return bad(format!("startxref points past the end ({xref_pos})"));
        }

        // The cross-reference table: one subsection from object 0.
        let head = self.read_at(xref_pos, 64)?;
        let Some(rest) = head.strip_prefix(b"xref") else {
            return bad(format!("no cross-reference table at offset {xref_pos}"));
        };
        let Some((first, rest)) = parse_int(rest) else {
            return bad("unreadable cross-reference table");
        };
        let Some((size, _)) = parse_int(rest) else {
            return bad("unreadable cross-reference table");
        };
        // `xref\n0 N\n`, then the entries.
        let Some(entries_at) = head
            .get(5..)
            .and_then(|line| line.iter().position(|b| *b == b'\n'))
            .map(|i| 5 + i + 1)
        else {
            return bad("unreadable cross-reference table");
        };
        if first != 0 || size < 2 || size.saturating_mul(20) > self.len {
            return bad(format!("unexpected cross-reference table ({first} {size})"));
        }
        let size = size as usize;
        let table = self.read_at(xref_pos + entries_at as u64, size * 20)?;
        if table.len() != size * 20 {
            return bad("the cross-reference table is cut short");
        }
        let mut offsets = Vec::with_capacity(size);
        for (n, entry) in table.chunks_exact(20).enumerate() {
            let Some((offset, rest)) = parse_int(&entry[..10]).map(|(o, _)| (o, &entry[10..]))
            else {
                return bad(format!("bad cross-reference entry {n}"));
            };
            let in_use = rest.get(7) == Some(&b'n');
            if n == 0 {
                offsets.push(0);
                continue;
            }
            if !in_use || offset >= xref_pos {
                return bad(format!("bad cross-reference entry for object {n}"));
            }
            offsets.push(offset);
        }

        // The trailer names the catalog.
        let trailer_at = xref_pos + entries_at as u64 + table.len() as u64;
        let trailer = self.read_at(trailer_at, 4096)?;
        if !trailer.starts_with(b"trailer") {
            return bad("no trailer after the cross-reference table");
        }
        let Some(root) = dict_ref(&trailer, b"/Root") else {
            return bad("the trailer names no /Root");
        };

        // Every object starts where the table says, and every stream is complete.
        let mut heads: BTreeMap<usize, Vec<u8>> = BTreeMap::new();
        for (n, &offset) in offsets.iter().enumerate().skip(1) {
            let head = self.object_head(n, offset)?;
            heads.insert(n, head);
        }

        // The page tree.
        let catalog = heads
            .get(&root)
            .ok_or_else(|| Failure::Bad(format!("/Root {root} is not an object")))?;
        let Some(tree) = dict_ref(catalog, b"/Pages") else {
            return bad("the catalog names no /Pages");
        };
        let tree_head = heads
            .get(&tree)
            .ok_or_else(|| Failure::Bad(format!("/Pages {tree} is not an object")))?;
        let Some(count) = find(tree_head, b"/Count").and_then(|i| parse_int(&tree_head[i + 6..]))
        else {
            return bad("the page tree has no /Count");
        };
        if count.0 != expected_pages as u64 {
            return bad(format!("{} pages, expected {expected_pages}", count.0));
        }
        let kids = find(tree_head, b"/Kids")
            .and_then(|i| {
                let list = &tree_head[i..];
                let end = list.iter().position(|b| *b == b']')?;
                Some(parse_refs(&list[..end]))
            })
            .unwrap_or_default();
        if kids.len() != expected_pages {
            return bad(format!(
                "the page tree lists {} pages, expected {expected_pages}",
                kids.len()
            ));
        }
        for kid in kids {
            let is_page = heads
                .get(&kid)
                .and_then(|h| find(h, b"/Type/Page").map(|i| h.get(i + 10) != Some(&b's')))
                .unwrap_or(false);
            if !is_page {
                return bad(format!("page tree entry {kid} is not a page"));
            }
        }
        Ok(())
    }

    /// The dictionary of object `n` at `offset` (up to `stream` or `endobj`), after checking
    /// that the object starts there and, for a stream, that `endstream` follows its data.
    fn object_head(&mut self, n: usize, offset: u64) -> std::result::Result<Vec<u8>, Failure> {
        let mut want = 4096;
        loop {
            let head = self.read_at(offset, want)?;
            let expected = format!("{n} 0 obj");
            if !head.starts_with(expected.as_bytes()) {
                return bad(format!("object {n} is not at offset {offset}"));
            }
            // The first of `stream` and `endobj` ends this object's dictionary (the window
            // may reach into the next objects).
            let stream_at = find(&head, b"\nstream\n");
            let end_at = find(&head, b"\nendobj");
            if let Some(i) = stream_at.filter(|s| end_at.is_none_or(|e| s < &e)) {
                let dict = &head[..i];
                let Some(length) = find(dict, b"/Length").and_then(|j| parse_int(&dict[j + 7..]))
                else {
                    return bad(format!("stream {n} has no /Length"));
                };
                let end_at = offset + i as u64 + 8 + length.0;
                let end = self.read_at(end_at, 10)?;
                if end != b"\nendstream" {
                    return bad(format!("stream {n} is not {} bytes long", length.0));
                }
                return Ok(dict.to_vec());
            }
            if let Some(i) = end_at {
                return Ok(head[..i].to_vec());
            }
            if head.len() < want || want >= MAX_OBJECT_HEAD {
                return bad(format!("object {n} has no end"));
            }
            want *= 4;
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn find_last(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

/// A non-negative integer after optional whitespace, and the rest.
fn parse_int(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace())?;
    let digits = bytes[start..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if digits == 0 || digits > 19 {
        return None;
    }
    let text = std::str::from_utf8(&bytes[start..start + digits]).ok()?;
    Some((text.parse().ok()?, &bytes[start + digits..]))
}

/// The object number of `key n 0 R` in a dictionary.
fn dict_ref(dict: &[u8], key: &[u8]) -> Option<usize> {
    let at = find(dict, key)? + key.len();
    parse_int(&dict[at..]).and_then(|(n, _)| usize::try_from(n).ok())
}

/// The object numbers of the `n 0 R` references in `bytes`.
fn parse_refs(bytes: &[u8]) -> Vec<usize> {
    let text = String::from_utf8_lossy(bytes);
    let words: Vec<&str> = text
        .split(|c: char| c.is_ascii_whitespace() || c == '[')
        .filter(|w| !w.is_empty())
        .collect();
    words
        .windows(3)
        .filter(|w| w[2] == "R")
        .filter_map(|w| w[0].parse().ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `Write` that keeps only a byte count, so a test can watch what reached the file.
    #[derive(Default)]
    struct CountingSink {
        written: u64,
    }

    impl Write for &mut CountingSink {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.written += buf.len() as u64;
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn meta() -> ExportMeta {
        ExportMeta {
            album_id: jmcomic_model::JmId::from(1u64),
            album_title: "t".to_owned(),
            authors: Vec::new(),
            tags: Vec::new(),
            works: Vec::new(),
            actors: Vec::new(),
            description: String::new(),
            pub_date: None,
            chapter_count: 1,
            chapter: None,
        }
    }

    #[test]
    fn every_page_reaches_the_output_before_the_next_is_added() {
        let mut sink = CountingSink::default();
        let mut pdf = PdfStream::start(&mut sink, None).unwrap();
        let mut image_bytes = 0u64;
        for i in 0..300u32 {
            let image = PageImage {
                width: 100 + i,
                height: 50,
                // Distinct data per page, as if read from a file.
                data: vec![(i % 251) as u8; 20_000 + i as usize],
                encoding: Encoding::Dct(JpegColor::Rgb),
            };
            image_bytes += image.data.len() as u64;
            pdf.add_page(&image).unwrap();
            drop(image);
            // Streamed: everything given so far is already in the output, nothing is
            // buffered for the end.
            assert!(pdf.out.written >= image_bytes, "page {i} was held back");
        }
        // What the writer keeps per page is an offset and a page reference, not data.
        assert_eq!(pdf.pages.len(), 300);
        assert_eq!(pdf.offsets.len(), 3 + 300 * 3);
        let fp = Fingerprint::of(&[], "test").unwrap();
        let before = pdf.out.written;
        let sink = pdf.finish(&meta(), &fp).unwrap();
        // The end (page tree, xref, trailer) is small next to the pages.
        assert!(sink.written - before < 30 * 1024);
    }

    #[test]
    fn jpeg_markers_are_found_before_the_scan() {
        let jpeg = [
            0xFF, 0xD8, // SOI
            0xFF, 0xEE, 0x00, 0x0E, b'A', b'd', b'o', b'b', b'e', 0, 100, 0, 0, 0, 0, 2, //
            0xFF, 0xC2, 0x00, 0x0B, 8, 0, 1, 0, 1, 1, 1, 0x11, 0, // SOF2, 8-bit
            0xFF, 0xDA, 0x00, 0x02, // SOS
        ];
        let found = scan_jpeg_markers(&jpeg);
        assert!(found.adobe);
        assert_eq!(found.precision, Some(8));
        let plain = scan_jpeg_markers(&[0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x03, 12]);
        assert!(!plain.adobe);
        assert_eq!(plain.precision, Some(12));
        // Cut short: no panic, nothing found.
        let cut = scan_jpeg_markers(&[0xFF, 0xD8, 0xFF, 0xEE, 0x40]);
        assert!(!cut.adobe);
    }

    #[test]
    fn settings_never_hold_the_password() {
        let options = PdfOptions::new().with_password("hunter2");
        assert!(!options.settings_text().contains("hunter2"));
        assert!(!format!("{options:?}").contains("hunter2"));
        assert_ne!(
            options.settings_text(),
            PdfOptions::new().with_password("other").settings_text()
        );
        assert_eq!(
            PdfOptions::new().with_password("").settings_text(),
            PdfOptions::new().settings_text()
        );
        assert_eq!(
            PdfOptions::new()
                .with_convert(PdfConvert::Jpeg { quality: 90 })
                .settings_text(),
            "pdf v1 jpeg q90 open"
        );
    }
}
