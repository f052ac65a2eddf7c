//! Archives of page files: ZIP (optionally WinZip AES), CBZ with `ComicInfo.xml`, and 7z
//! (optionally AES-256 with an encrypted header).
//!
//! Pages go in unchanged and in the given order: they are already compressed images, so
//! deflating them again costs a second per hundred pages for about 1 % (measured), and
//! 7z uses the copy method as the Python package's py7zr does. Each page is streamed from
//! disk, one at a time.
//!
//! A ZIP or CBZ carries its [`Fingerprint`] at the end of the archive comment (after the
//! caller's comment), where [`is_up_to_date`] finds it. A 7z archive has no place that stays
//! readable when its header is encrypted, and 7-Zip warns about bytes after the archive's
//! end, so its fingerprint goes to a hidden sidecar file next to it
//! (`.{archive name}.jmsource`, see [`seven_zip_sidecar_path`]), written after the archive
//! and tied to the archive's size and modification time; [`seven_zip_is_up_to_date`] checks
//! it.

// perf.md §1.6 for the deflate measurement.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::fmt::{self, Write as _};
use std::fs::{self, File};
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{SystemTime, UNIX_EPOCH};

use md5::{Digest, Md5};
use sevenz_rust2::encoder_options::AesEncoderOptions;
use sevenz_rust2::{
    ArchiveEntry, ArchiveReader, ArchiveWriter, EncoderConfiguration, EncoderMethod, NtTime,
    Password,
};
use zip::write::{FileOptions, SimpleFileOptions};
use zip::{AesMode, CompressionMethod, ZipArchive, ZipWriter};

use crate::comicinfo::ComicInfo;
use crate::error::{Error, Result};
use crate::output::{ExportKind, Exported, Fingerprint, PartFile, is_up_to_date};
use crate::source::PageFile;

/// Name of the metadata entry of a CBZ: readers look for exactly this name, at the root of
/// the archive.
// exports.md §2.
pub const COMIC_INFO_NAME: &str = "ComicInfo.xml";

/// Deflate level for [`ZipCompression::Deflated`]: pages hardly shrink, so the cheapest level
/// (measured: 1.3 % smaller for 60 times the time of storing).
// perf.md §1.6.
const DEFLATE_LEVEL: i64 = 1;

/// 7z AES key derivation: 2^19 SHA-256 rounds, 7-Zip's own setting (sevenz-rust2 defaults
/// to 2^8, which makes guessing passwords 2000 times cheaper).
const SEVEN_ZIP_KDF_POWER: u8 = 19;

/// Pages this large get ZIP64 headers (a stored entry plus AES overhead must fit 4 GiB).
const ZIP64_ENTRY: u64 = 0xFFFF_0000;

/// How pages are compressed in a ZIP.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ZipCompression {
    /// Stored as they are: pages are already compressed images.
    #[default]
    Stored,
    /// Deflated (fastest level), as the Python package's plain ZIP is.
    Deflated,
}

/// Key length of WinZip AES encryption.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AesStrength {
    /// AES-128: what the Python package (pyzipper) writes.
    #[default]
    Aes128,
    /// AES-256.
    Aes256,
}

/// How a ZIP is encrypted.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ZipEncryption {
    /// WinZip AES (AE-2), read by 7-Zip, WinZip, WinRAR and Python's pyzipper; not by
    /// Info-ZIP `unzip` or Python's `zipfile`. Entry names stay visible.
    Aes {
        /// The password (not empty).
        password: String,
        /// Key length.
        strength: AesStrength,
    },
}

impl ZipEncryption {
    /// WinZip AES with `password` and the given key length.
    pub fn aes(password: impl Into<String>, strength: AesStrength) -> Self {
        ZipEncryption::Aes {
            password: password.into(),
            strength,
        }
    }
}

impl fmt::Debug for ZipEncryption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ZipEncryption::Aes { strength, .. } => f
                .debug_struct("Aes")
                .field("password", &"<redacted>")
                .field("strength", strength)
                .finish(),
        }
    }
}

/// Settings of [`write_zip`]. `Debug` shows neither the password nor the comment (which may
/// hold it).
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ZipOptions {
    /// How pages are compressed (default: stored).
    pub compression: ZipCompression,
    /// Encryption, if any.
    pub encryption: Option<ZipEncryption>,
    /// The archive comment (the Python package stores a random password there); the
    /// fingerprint is appended to it on a line of its own.
    pub comment: Option<String>,
}

impl ZipOptions {
    /// Stored pages, no encryption, no comment.
    pub fn new() -> Self {
        ZipOptions::default()
    }

    /// Sets the compression.
    pub fn with_compression(mut self, compression: ZipCompression) -> Self {
        self.compression = compression;
        self
    }

    /// Sets the encryption.
    pub fn with_encryption(mut self, encryption: ZipEncryption) -> Self {
        self.encryption = Some(encryption);
        self
    }

    /// Sets the archive comment.
    pub fn with_comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }
}

impl fmt::Debug for ZipOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZipOptions")
            .field("compression", &self.compression)
            .field("encryption", &self.encryption)
            .field(
                "comment",
                &self
                    .comment
                    .as_ref()
                    .map(|c| format!("<{} bytes>", c.len())),
            )
            .finish()
    }
}

/// Settings of [`write_7z`]. `Debug` does not show the password.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SevenZipOptions {
    /// Encrypt the pages with AES-256 under this password (not empty).
    pub password: Option<String>,
    /// With a password, encrypt the header too, so that entry names cannot be listed
    /// without it (default: true, as the Python package does). Ignored without a password.
    pub encrypt_header: bool,
}

impl Default for SevenZipOptions {
    fn default() -> Self {
        SevenZipOptions {
            password: None,
            encrypt_header: true,
        }
    }
}

impl SevenZipOptions {
    /// No encryption.
    pub fn new() -> Self {
        SevenZipOptions::default()
    }

    /// AES-256 under `password`, header included.
    pub fn with_password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(password.into());
        self
    }

    /// Whether to encrypt the header when there is a password.
    pub fn with_encrypt_header(mut self, encrypt_header: bool) -> Self {
        self.encrypt_header = encrypt_header;
        self
    }
}

impl fmt::Debug for SevenZipOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SevenZipOptions")
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("encrypt_header", &self.encrypt_header)
            .finish()
    }
}

/// Writes `pages` into a ZIP at `out`, entries named [`PageFile::name`] in the given order,
/// each with its file's modification time. Returns [`Exported::reused`] without writing when
/// `out` already holds the same pages with the same settings.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use jmcomic_export::{AesStrength, PageFile, ZipEncryption, ZipOptions, verify_zip, write_zip};
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
/// let out = dir.path().join("album.zip");
/// let options =
///     ZipOptions::new().with_encryption(ZipEncryption::aes("secret", AesStrength::Aes256));
/// let done = write_zip(&pages, &out, &options)?;
/// assert_eq!(done.pages, 2);
/// // Every page is in it, under its name, byte for byte.
/// verify_zip(&out, &pages, Some("secret"))?;
/// # Ok(()) }
/// ```
pub fn write_zip(pages: &[PageFile], out: &Path, options: &ZipOptions) -> Result<Exported> {
    check_pages(pages, out)?;
    let (aes, settings_aes) = match &options.encryption {
        None => (None, "none".to_owned()),
        Some(ZipEncryption::Aes { password, strength }) => {
            if password.is_empty() {
                return Err(empty_password(out));
            }
            let mode = match strength {
                AesStrength::Aes128 => AesMode::Aes128,
                AesStrength::Aes256 => AesMode::Aes256,
            };
            let settings = format!("{strength:?}:{}", secret_digest(password));
            (Some((mode, password.as_str())), settings)
        }
    };
    let comment = options.comment.as_deref().unwrap_or("");
    let settings = format!(
        "zip v1; compression {:?}; encryption {settings_aes}; comment {}",
        options.compression,
        secret_digest(comment)
    );
    let fingerprint = Fingerprint::of(pages, &settings)?;
    if is_up_to_date(out, &fingerprint) {
        return Ok(Exported::reused(
            out.to_owned(),
            ExportKind::Zip,
            pages.len(),
        ));
    }
    let (method, level) = match options.compression {
        ZipCompression::Stored => (CompressionMethod::Stored, None),
        ZipCompression::Deflated => (CompressionMethod::Deflated, Some(DEFLATE_LEVEL)),
    };
    let plain = SimpleFileOptions::default()
        .compression_method(method)
        .compression_level(level);
    let base: FileOptions<'_, 'static, ()> = match aes {
        Some((mode, password)) => plain.with_aes_encryption(mode, password),
        None => plain,
    };
    let bytes = write_zip_archive(pages, out, base, None, comment, &fingerprint)?;
    Ok(Exported::written(
        out.to_owned(),
        ExportKind::Zip,
        pages.len(),
        bytes,
    ))
}

/// Writes a comic book archive: [`COMIC_INFO_NAME`] at the root (first, so readers that
/// stream the archive meet it before the pages), made from `info` with `PageCount` set to the
/// number of pages, then `pages` stored in the given order. `info.pages`, when not empty,
/// must describe exactly `pages` (see [`PagePicture::probe_all`](crate::PagePicture::probe_all)).
/// Returns [`Exported::reused`] without writing when `out` already holds the same pages and
/// the same metadata.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use jmcomic_export::{
///     COMIC_INFO_NAME, ComicInfo, Manga, PageFile, cbz_file_name, verify_zip, write_cbz,
/// };
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
///
/// // Chapter 1 of the album "My Album (2024)", in the layout Komga and Kavita group.
/// let name = cbz_file_name("My Album (2024)", 1, 3);
/// assert_eq!(name, "My Album {2024} c001.cbz");
/// let out = dir.path().join(&name);
/// let info = ComicInfo::new("第1話", "My Album (2024)").with_manga(Manga::YesAndRightToLeft);
/// write_cbz(&pages, &out, &info)?;
/// verify_zip(&out, &pages, None)?;
///
/// // Any ZIP reader finds `ComicInfo.xml` first, then the pages.
/// let mut zip = zip::ZipArchive::new(std::fs::File::open(&out)?)?;
/// assert_eq!(zip.len(), 3);
/// assert_eq!(zip.by_index(0)?.name()?, COMIC_INFO_NAME);
/// # Ok(()) }
/// ```
pub fn write_cbz(pages: &[PageFile], out: &Path, info: &ComicInfo) -> Result<Exported> {
    check_pages(pages, out)?;
    if !info.pages.is_empty() && info.pages.len() != pages.len() {
        return Err(Error::Unsupported {
            path: out.to_owned(),
            reason: format!(
                "ComicInfo describes {} pages, the archive would hold {}",
                info.pages.len(),
                pages.len()
            ),
        });
    }
    if let Some(p) = pages.iter().find(|p| p.name == COMIC_INFO_NAME) {
        return Err(Error::Unsupported {
            path: out.to_owned(),
            reason: format!("page {} would replace {COMIC_INFO_NAME}", p.path.display()),
        });
    }
    let mut info = info.clone();
    info.page_count = u32::try_from(pages.len()).ok();
    let xml = info.to_xml();
    let fingerprint = Fingerprint::of(pages, &format!("cbz v1\0{xml}"))?;
    if is_up_to_date(out, &fingerprint) {
        return Ok(Exported::reused(
            out.to_owned(),
            ExportKind::Cbz,
            pages.len(),
        ));
    }
    let base = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    let bytes = write_zip_archive(pages, out, base, Some(&xml), "", &fingerprint)?;
    Ok(Exported::written(
        out.to_owned(),
        ExportKind::Cbz,
        pages.len(),
        bytes,
    ))
}

/// Writes `pages` into a 7z archive at `out`, one uncompressed (copy method) entry per page in
/// the given order. With a password, every entry is encrypted with AES-256 and, if
/// `encrypt_header`, so is the header (the file list). Returns [`Exported::reused`] without
/// writing when [`seven_zip_is_up_to_date`].
///
/// The fingerprint sidecar is written last; if that fails the archive is still complete
/// and is returned, and the next run simply writes it again.
pub fn write_7z(pages: &[PageFile], out: &Path, options: &SevenZipOptions) -> Result<Exported> {
    check_pages(pages, out)?;
    if options.password.as_deref() == Some("") {
        return Err(empty_password(out));
    }
    let settings = format!(
        "7z v1; password {}; encrypt header {}",
        options
            .password
            .as_deref()
            .map_or_else(|| "none".to_owned(), secret_digest),
        options.encrypt_header
    );
    let fingerprint = Fingerprint::of(pages, &settings)?;
    if seven_zip_is_up_to_date(out, &fingerprint) {
        return Ok(Exported::reused(
            out.to_owned(),
            ExportKind::SevenZip,
            pages.len(),
        ));
    }

    let (output, discard) = Output::create(out)?;
    let temp = output.temp.clone();
    let format_error = |e: sevenz_rust2::Error| seven_zip_error(e, &temp, out);
    let mut writer = ArchiveWriter::new(output).map_err(format_error)?;
    writer.set_encrypt_header(options.encrypt_header);
    // One salt (so the key is derived once), a fresh IV for every encrypted stream: the
    // crate would otherwise reuse one IV for every page and for the header.
    let aes = options.password.as_deref().map(|password| {
        let mut aes = AesEncoderOptions::new(Password::new(password));
        aes.num_cycles_power = SEVEN_ZIP_KDF_POWER;
        aes
    });
    let methods = || -> Vec<EncoderConfiguration> {
        match &aes {
            Some(base) => {
                let mut fresh = AesEncoderOptions::new(base.password.clone());
                fresh.salt = base.salt;
                fresh.num_cycles_power = base.num_cycles_power;
                vec![fresh.into(), EncoderMethod::COPY.into()]
            }
            None => vec![EncoderMethod::COPY.into()],
        }
    };

    let written: Result<()> = (|| {
        for page in pages {
            writer.set_content_methods(methods());
            let file = File::open(&page.path).map_err(|e| Error::io("read", &page.path, e))?;
            let mtime = file
                .metadata()
                .and_then(|m| m.modified())
                .map_err(|e| Error::io("read", &page.path, e))?;
            let mut entry = ArchiveEntry::new_file(&page.name);
            if let Ok(time) = NtTime::try_from(mtime) {
                entry.last_modified_date = time;
                entry.has_last_modified_date = true;
            }
            let mut reader = PageReader { file, error: None };
            if let Err(e) = writer.push_archive_entry(entry, Some(&mut reader)) {
                return Err(match reader.error.take() {
                    Some(read) => Error::io("read", &page.path, read),
                    None => format_error(e),
                });
            }
        }
        Ok(())
    })();
    if let Err(e) = written {
        discard.set(true);
        return Err(e);
    }
    // The header is encrypted with the last methods set: give it its own IV.
    writer.set_content_methods(methods());
    let output = writer.finish().map_err(|e| Error::io("write", &temp, e))?;

    let sidecar = seven_zip_sidecar_path(out);
    // An older archive's sidecar must not vouch for this one, even for a moment.
    match fs::remove_file(&sidecar) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => {
            return Err(Error::io("write", &sidecar, e));
        }
        _ => {}
    }
    let bytes = output.commit()?;
    let _ = write_sidecar(out, &sidecar, &fingerprint);
    Ok(Exported::written(
        out.to_owned(),
        ExportKind::SevenZip,
        pages.len(),
        bytes,
    ))
}

/// Where [`write_7z`] records the fingerprint of the archive `out`: `.{name}.jmsource` in the
/// same directory (hidden, so servers and file managers leave it alone). Whoever deletes or
/// moves the archive should do the same with it.
pub fn seven_zip_sidecar_path(out: &Path) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    out.with_file_name(format!(".{name}.jmsource"))
}

/// Whether the 7z archive `out` was completed by [`write_7z`] from the pages and settings of
/// `fingerprint`: its sidecar holds the fingerprint and the archive's current size and
/// modification time. Any read error counts as "no".
pub fn seven_zip_is_up_to_date(out: &Path, fingerprint: &Fingerprint) -> bool {
    let Ok(meta) = fs::metadata(out) else {
        return false;
    };
    let Ok(file) = File::open(seven_zip_sidecar_path(out)) else {
        return false;
    };
    let mut text = String::new();
    // A sidecar is a few dozen bytes; a huge file there is not ours.
    if file.take(4096).read_to_string(&mut text).is_err() {
        return false;
    }
    text == sidecar_text(fingerprint, &meta)
}

fn sidecar_text(fingerprint: &Fingerprint, archive: &fs::Metadata) -> String {
    let mtime = archive
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    format!(
        "{}\nsize {}\nmtime {mtime}\n",
        fingerprint.marker(),
        archive.len()
    )
}

fn write_sidecar(out: &Path, sidecar: &Path, fingerprint: &Fingerprint) -> Result<()> {
    let meta = fs::metadata(out).map_err(|e| Error::io("read", out, e))?;
    let mut part = PartFile::create(sidecar)?;
    part.write_all(sidecar_text(fingerprint, &meta).as_bytes())
        .map_err(|e| Error::io("write", sidecar, e))?;
    part.commit()?;
    Ok(())
}

/// Checks a written ZIP or CBZ before its pages are deleted: it opens, and every page of
/// `expected` is an entry of that name whose content (decrypted with `password` if given,
/// CRC or AES authentication code checked by the reader) equals the page file on disk.
/// Other entries (`ComicInfo.xml`) are allowed.
pub fn verify_zip(path: &Path, expected: &[PageFile], password: Option<&str>) -> Result<()> {
    let file = File::open(path).map_err(|e| Error::io("read", path, e))?;
    let mut archive = ZipArchive::new(BufReader::new(file))
        .map_err(|e| verify_error(path, format!("cannot read it as a ZIP: {e}")))?;
    for page in expected {
        let entry = match password {
            Some(password) => archive.by_name_decrypt(&page.name, password.as_bytes()),
            None => archive.by_name(&page.name),
        }
        .map_err(|e| verify_error(path, format!("entry {}: {e}", page.name)))?;
        let size = entry.size();
        same_content(path, &page.name, size, entry, page)?;
    }
    Ok(())
}

/// Checks a written 7z archive before its pages are deleted: it opens (with `password` if
/// given), and every page of `expected` is an entry of that name whose content (CRC checked
/// by the reader) equals the page file on disk.
pub fn verify_7z(path: &Path, expected: &[PageFile], password: Option<&str>) -> Result<()> {
    let password = password.map_or_else(Password::empty, Password::new);
    let mut reader = ArchiveReader::open(path, password)
        .map_err(|e| verify_error(path, format!("cannot read it as a 7z archive: {e}")))?;
    let wanted: HashMap<&str, &PageFile> = expected.iter().map(|p| (p.name.as_str(), p)).collect();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut failure: Option<Error> = None;
    let walked = reader.for_each_entries(|entry, data| {
        let Some((&name, page)) = wanted.get_key_value(entry.name()) else {
            return Ok(true);
        };
        match same_content(path, name, entry.size(), data, page) {
            Ok(()) => {
                seen.insert(name);
                Ok(true)
            }
            Err(e) => {
                failure = Some(e);
                Err(sevenz_rust2::Error::Other("verification failed".into()))
            }
        }
    });
    if let Some(e) = failure {
        return Err(e);
    }
    walked.map_err(|e| verify_error(path, format!("cannot read its entries: {e}")))?;
    if let Some(missing) = expected.iter().find(|p| !seen.contains(p.name.as_str())) {
        return Err(verify_error(
            path,
            format!("entry {} is missing", missing.name),
        ));
    }
    Ok(())
}

/// Compares an archive entry of declared size `size`, read to its end, with the page file.
fn same_content(
    archive: &Path,
    name: &str,
    size: u64,
    mut entry: impl Read,
    page: &PageFile,
) -> Result<()> {
    let read_page = |e| Error::io("read", &page.path, e);
    let mut file = File::open(&page.path).map_err(read_page)?;
    let page_len = file.metadata().map_err(read_page)?.len();
    if size != page_len {
        return Err(verify_error(
            archive,
            format!("entry {name} has {size} bytes, the page file {page_len}"),
        ));
    }
    let mut a = vec![0u8; 64 * 1024];
    let mut b = vec![0u8; 64 * 1024];
    let mut offset = 0u64;
    loop {
        let n = fill(&mut entry, &mut a)
            .map_err(|e| verify_error(archive, format!("entry {name}: {e}")))?;
        let m = fill(&mut file, &mut b).map_err(read_page)?;
        if a[..n] != b[..m] {
            let at = a[..n]
                .iter()
                .zip(&b[..m])
                .position(|(x, y)| x != y)
                .unwrap_or(n.min(m));
            return Err(verify_error(
                archive,
                format!(
                    "entry {name} differs from {} at byte {}",
                    page.path.display(),
                    offset + at as u64
                ),
            ));
        }
        if n == 0 {
            return Ok(());
        }
        offset += n as u64;
    }
}

/// Reads until `buf` is full or the end; returns how much was read.
fn fill(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// The ZIP/CBZ writer: `extra_xml` (a CBZ's `ComicInfo.xml`, deflated) first, then the pages
/// with `base` options, then the comment with the fingerprint on its last line.
fn write_zip_archive(
    pages: &[PageFile],
    out: &Path,
    base: FileOptions<'_, 'static, ()>,
    comic_info: Option<&str>,
    comment: &str,
    fingerprint: &Fingerprint,
) -> Result<u64> {
    let comment = if comment.is_empty() {
        fingerprint.marker()
    } else {
        format!("{comment}\n{}", fingerprint.marker())
    };
    if comment.len() > usize::from(u16::MAX) {
        return Err(Error::Unsupported {
            path: out.to_owned(),
            reason: format!(
                "the archive comment is {} bytes, a ZIP holds at most {} with the fingerprint",
                comment.len() - fingerprint.marker().len() - 1,
                usize::from(u16::MAX) - fingerprint.marker().len() - 1
            ),
        });
    }
    let (output, discard) = Output::create(out)?;
    let temp = output.temp.clone();
    let zip_error = |e: zip::result::ZipError| match e {
        zip::result::ZipError::Io(e) => Error::io("write", &temp, e),
        other => Error::Format {
            path: out.to_owned(),
            reason: other.to_string(),
        },
    };
    let mut zip = ZipWriter::new(output);
    let written: Result<()> = (|| {
        if let Some(xml) = comic_info {
            let newest = pages
                .iter()
                .filter_map(|p| fs::metadata(&p.path).and_then(|m| m.modified()).ok())
                .max();
            let options = SimpleFileOptions::default()
                .compression_method(CompressionMethod::Deflated)
                .last_modified_time(newest.map(zip_time).unwrap_or_default());
            zip.start_file(COMIC_INFO_NAME, options)
                .map_err(zip_error)?;
            zip.write_all(xml.as_bytes())
                .map_err(|e| Error::io("write", &temp, e))?;
        }
        for page in pages {
            let read = |e| Error::io("read", &page.path, e);
            let mut file = File::open(&page.path).map_err(read)?;
            let meta = file.metadata().map_err(read)?;
            let options = base
                .last_modified_time(meta.modified().map(zip_time).unwrap_or_default())
                .large_file(meta.len() >= ZIP64_ENTRY);
            zip.start_file(page.name.as_str(), options)
                .map_err(zip_error)?;
            copy_page(&mut file, &mut zip, page, &temp)?;
        }
        zip.set_comment(comment).map_err(zip_error)?;
        Ok(())
    })();
    if let Err(e) = written {
        // The writer finalizes the archive when dropped: let that go nowhere.
        discard.set(true);
        return Err(e);
    }
    let output = zip.finish().map_err(zip_error)?;
    output.commit()
}

/// Streams one page file into the open entry (errors name the page or the temporary file).
fn copy_page(file: &mut File, to: &mut impl Write, page: &PageFile, temp: &Path) -> Result<()> {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io("read", &page.path, e)),
        };
        to.write_all(&buf[..n])
            .map_err(|e| Error::io("write", temp, e))?;
    }
}

/// A file time as a ZIP (MS-DOS) time, in UTC; outside 1980–2107, 1980-01-01.
fn zip_time(time: SystemTime) -> zip::DateTime {
    let Some(secs) = time
        .duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_secs()).ok())
    else {
        return zip::DateTime::default();
    };
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp(secs) else {
        return zip::DateTime::default();
    };
    zip::DateTime::try_from(time::PrimitiveDateTime::new(t.date(), t.time())).unwrap_or_default()
}

/// No pages, or two pages with one entry name (the second would be unreachable).
fn check_pages(pages: &[PageFile], out: &Path) -> Result<()> {
    if pages.is_empty() {
        return Err(Error::NoPages {
            path: out.to_owned(),
        });
    }
    let mut names = HashSet::with_capacity(pages.len());
    if let Some(p) = pages.iter().find(|p| !names.insert(p.name.as_str())) {
        return Err(Error::Unsupported {
            path: out.to_owned(),
            reason: format!(
                "two pages have the entry name {} (the second is {})",
                p.name,
                p.path.display()
            ),
        });
    }
    Ok(())
}

fn empty_password(out: &Path) -> Error {
    Error::Unsupported {
        path: out.to_owned(),
        reason: "the password is empty: give one, or no encryption".to_owned(),
    }
}

fn verify_error(path: &Path, reason: String) -> Error {
    Error::Verify {
        path: path.to_owned(),
        reason,
    }
}

/// A digest standing for a secret in a fingerprint's settings (never the secret itself).
fn secret_digest(secret: &str) -> String {
    let digest = Md5::new()
        .chain_update(b"jmcomic-export secret\0")
        .chain_update(secret.as_bytes())
        .finalize();
    digest.iter().fold(String::with_capacity(32), |mut hex, b| {
        let _ = write!(hex, "{b:02x}");
        hex
    })
}

fn seven_zip_error(e: sevenz_rust2::Error, temp: &Path, out: &Path) -> Error {
    match e {
        sevenz_rust2::Error::Io(e, _) => Error::io("write", temp, e),
        other => Error::Format {
            path: out.to_owned(),
            reason: other.to_string(),
        },
    }
}

/// The archive's [`PartFile`], which turns into a void once `discard` is set: the zip writer
/// finalizes an unfinished archive when dropped, and after an error that would write for
/// nothing (and, on a full disk, fail again and print to stderr). The void removes the
/// temporary file and then accepts writes and seeks keeping a consistent position, as the
/// zip writer checks its offsets. The first write or seek error turns it into a void by
/// itself.
struct Output {
    inner: Inner,
    temp: PathBuf,
    discard: Rc<Cell<bool>>,
}

enum Inner {
    Part(PartFile),
    Void { pos: u64, len: u64 },
}

impl Output {
    fn create(out: &Path) -> Result<(Output, Rc<Cell<bool>>)> {
        let discard = Rc::new(Cell::new(false));
        let part = PartFile::create(out)?;
        Ok((
            Output {
                temp: part.temp_path().to_owned(),
                inner: Inner::Part(part),
                discard: Rc::clone(&discard),
            },
            discard,
        ))
    }

    /// Once `discard` is set, drops the part file (removing the temporary file) for a void
    /// at the same position.
    fn settle(&mut self) {
        if self.discard.get()
            && let Inner::Part(part) = &mut self.inner
        {
            let pos = part.stream_position().unwrap_or(0);
            let len = part.seek(SeekFrom::End(0)).unwrap_or(pos).max(pos);
            self.inner = Inner::Void { pos, len };
        }
    }

    fn watch<T>(&self, r: io::Result<T>) -> io::Result<T> {
        if r.is_err() {
            self.discard.set(true);
        }
        r
    }

    /// Renames the finished archive to its final name.
    fn commit(self) -> Result<u64> {
        match self.inner {
            Inner::Part(part) if !self.discard.get() => part.commit(),
            _ => Err(Error::io(
                "write",
                &self.temp,
                io::Error::other("an earlier write failed"),
            )),
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.settle();
        let r = match &mut self.inner {
            Inner::Part(part) => part.write(buf),
            Inner::Void { pos, len } => {
                *pos += buf.len() as u64;
                *len = (*len).max(*pos);
                Ok(buf.len())
            }
        };
        self.watch(r)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.settle();
        let r = match &mut self.inner {
            Inner::Part(part) => part.flush(),
            Inner::Void { .. } => Ok(()),
        };
        self.watch(r)
    }
}

impl Seek for Output {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.settle();
        let r = match &mut self.inner {
            Inner::Part(part) => part.seek(to),
            Inner::Void { pos, len } => {
                let target = match to {
                    SeekFrom::Start(n) => Some(n),
                    SeekFrom::Current(d) => pos.checked_add_signed(d),
                    SeekFrom::End(d) => len.checked_add_signed(d),
                };
                target
                    .inspect(|t| *pos = *t)
                    .ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))
            }
        };
        self.watch(r)
    }
}

/// A page being copied into a 7z archive, keeping its read error: the archive writer's own
/// error does not say whether reading or writing failed.
struct PageReader {
    file: File,
    error: Option<io::Error>,
}

impl Read for PageReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.file.read(buf).map_err(|e| {
            let kind = e.kind();
            self.error = Some(e);
            io::Error::new(kind, "reading the page failed")
        })
    }
}
