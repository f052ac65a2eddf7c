//! Writing an export so that its final name only ever holds a complete file, and telling
//! whether an existing export was made from the same pages.
//!
//! Every exporter writes through a [`PartFile`]: a hidden temporary file in the output's
//! directory (same file system, so the final rename is atomic), removed if the export fails
//! or is dropped half-way. The temporary names follow the page writer's convention
//! (`.{name}.{pid}-{n}.jmpart`), so the downloader's sweep of leftovers removes those of a
//! crashed export too.
//!
//! A finished export carries a [`Fingerprint`] of its inputs (the pages' names, sizes and
//! modification times, and the settings that shape the output) near its end: a PDF comment
//! before `%%EOF`'s trailer, the ZIP archive comment, a PNG `tEXt` chunk before `IEND`. A
//! re-run reads the last bytes of the existing file ([`is_up_to_date`]) and skips the export
//! when the fingerprint matches, without reading the whole file.

use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use md5::{Digest, Md5};

use crate::error::{Error, Result};
use crate::source::PageFile;

/// Suffix of temporary files (the same as the page writer's, so one sweep removes both).
pub const TEMP_SUFFIX: &str = ".jmpart";

/// What the fingerprint is introduced by inside an export.
pub const MARKER_PREFIX: &str = "jmcomic-source:";

/// How many bytes at the end of an export are searched for its fingerprint.
const TAIL_BYTES: u64 = 64 * 1024;

/// A fresh temporary name for one write of `path`: `.{file name}.{pid}-{n}.jmpart` in the
/// same directory.
pub fn temp_path_for(path: &Path) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}.{}-{n}{TEMP_SUFFIX}", std::process::id()))
}

/// Whether a directory entry is one of the temporary files of [`temp_path_for`].
pub fn is_temp_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.') && n.ends_with(TEMP_SUFFIX))
}

/// A file being written under a temporary name; [`PartFile::commit`] renames it to its final
/// name. Dropped without a commit (an error, a panic, a cancelled export), it removes the
/// temporary file and leaves the final name untouched.
#[derive(Debug)]
pub struct PartFile {
    temp: PathBuf,
    target: PathBuf,
    file: Option<BufWriter<File>>,
}

impl PartFile {
    /// Starts writing `target` (its directory is created if needed).
    pub fn create(target: impl Into<PathBuf>) -> Result<Self> {
        let target = target.into();
        if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
        }
        let temp = temp_path_for(&target);
        let file = File::create(&temp).map_err(|e| Error::io("create", &temp, e))?;
        Ok(PartFile {
            temp,
            target,
            file: Some(BufWriter::with_capacity(256 * 1024, file)),
        })
    }

    /// The final name.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The temporary name being written.
    pub fn temp_path(&self) -> &Path {
        &self.temp
    }

    fn file(&mut self) -> io::Result<&mut BufWriter<File>> {
        self.file
            .as_mut()
            .ok_or_else(|| io::Error::other("the file was already committed"))
    }

    /// Flushes, renames the file to its final name (replacing an older export) and returns
    /// its size in bytes.
    pub fn commit(mut self) -> Result<u64> {
        let temp = self.temp.clone();
        let Some(writer) = self.file.take() else {
            return Err(Error::io(
                "write",
                &temp,
                io::Error::other("the file was already committed"),
            ));
        };
        let file = writer
            .into_inner()
            .map_err(|e| Error::io("write", &temp, e.into_error()))?;
        let len = file
            .metadata()
            .map_err(|e| Error::io("write", &temp, e))?
            .len();
        drop(file);
        fs::rename(&temp, &self.target).map_err(|e| Error::io("rename", &temp, e))?;
        // Renamed: nothing is left for Drop to remove.
        self.temp = PathBuf::new();
        Ok(len)
    }
}

impl Write for PartFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file()?.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file()?.flush()
    }
}

impl Seek for PartFile {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.file()?.seek(pos)
    }
}

impl Read for PartFile {
    /// Reading back what was written (zip writers read their own local headers).
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let w = self.file()?;
        w.flush()?;
        w.get_mut().read(buf)
    }
}

impl Drop for PartFile {
    fn drop(&mut self) {
        self.file = None;
        if !self.temp.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// A digest of what an export is made from: the output kind, the settings that shape it and,
/// for every page in order, its entry name, size and modification time. Two runs over the
/// same, untouched pages give the same fingerprint; a page re-downloaded, added or removed
/// changes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; 16]);

impl Fingerprint {
    /// The fingerprint of `pages` exported with `settings` (any text that changes when an
    /// option that shapes the output changes; never secrets such as passwords in clear:
    /// pass a digest of them instead).
    pub fn of(pages: &[PageFile], settings: &str) -> Result<Fingerprint> {
        let mut h = Md5::new();
        h.update(settings.as_bytes());
        h.update([0]);
        for p in pages {
            let meta = fs::metadata(&p.path).map_err(|e| Error::io("read", &p.path, e))?;
            let mtime = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            h.update(p.name.as_bytes());
            h.update([0]);
            h.update(meta.len().to_le_bytes());
            h.update(mtime.to_le_bytes());
        }
        Ok(Fingerprint(h.finalize().into()))
    }

    /// The fingerprint as 32 lower-case hex digits.
    pub fn hex(&self) -> String {
        use std::fmt::Write as _;
        self.0.iter().fold(String::with_capacity(32), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
    }

    /// The text an export embeds: `jmcomic-source:<hex>`.
    pub fn marker(&self) -> String {
        format!("{MARKER_PREFIX}{}", self.hex())
    }
}

/// Whether `out` exists and carries `fingerprint` in its last bytes: an export that a
/// previous run completed from the same pages. Any read error counts as "no".
pub fn is_up_to_date(out: &Path, fingerprint: &Fingerprint) -> bool {
    let Ok(mut f) = File::open(out) else {
        return false;
    };
    let Ok(len) = f.metadata().map(|m| m.len()) else {
        return false;
    };
    let start = len.saturating_sub(TAIL_BYTES);
    if f.seek(SeekFrom::Start(start)).is_err() {
        return false;
    }
    let mut tail = Vec::with_capacity((len - start) as usize);
    if f.read_to_end(&mut tail).is_err() {
        return false;
    }
    let marker = fingerprint.marker();
    tail.windows(marker.len()).any(|w| w == marker.as_bytes())
}

/// The kind of an export.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExportKind {
    /// A PDF, one page per image.
    Pdf,
    /// A ZIP archive (optionally AES-encrypted).
    Zip,
    /// A comic book archive: a ZIP of stored pages with `ComicInfo.xml`.
    Cbz,
    /// A 7z archive (optionally with header encryption).
    SevenZip,
    /// One long PNG with every page stacked.
    LongImage,
    /// A Calibre OPF metadata file.
    Opf,
    /// Any other file an export step writes (a cover, a metadata file).
    Other,
}

impl ExportKind {
    /// The usual file suffix, without the dot.
    pub fn suffix(self) -> &'static str {
        match self {
            ExportKind::Pdf => "pdf",
            ExportKind::Zip => "zip",
            ExportKind::Cbz => "cbz",
            ExportKind::SevenZip => "7z",
            ExportKind::LongImage => "png",
            ExportKind::Opf => "opf",
            ExportKind::Other => "",
        }
    }
}

/// What an exporter produced.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Exported {
    /// The final file.
    pub path: PathBuf,
    /// What it is.
    pub kind: ExportKind,
    /// How many pages it holds.
    pub pages: usize,
    /// Its size in bytes.
    pub bytes: u64,
    /// True when the file was already complete for the same pages and was left as it was.
    pub reused: bool,
}

impl Exported {
    /// A description of a file just written.
    pub fn written(path: PathBuf, kind: ExportKind, pages: usize, bytes: u64) -> Self {
        Exported {
            path,
            kind,
            pages,
            bytes,
            reused: false,
        }
    }

    /// A description of an existing export left in place.
    pub fn reused(path: PathBuf, kind: ExportKind, pages: usize) -> Self {
        let bytes = fs::metadata(&path).map_or(0, |m| m.len());
        Exported {
            path,
            kind,
            pages,
            bytes,
            reused: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_file_is_renamed_only_on_commit() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("sub").join("a.pdf");
        let mut part = PartFile::create(&out).unwrap();
        part.write_all(b"hello").unwrap();
        assert!(!out.exists());
        assert!(is_temp_file(part.temp_path()));
        assert_eq!(part.commit().unwrap(), 5);
        assert_eq!(fs::read(&out).unwrap(), b"hello");
        assert_eq!(fs::read_dir(out.parent().unwrap()).unwrap().count(), 1);

        let mut dropped = PartFile::create(&out).unwrap();
        dropped.write_all(b"half").unwrap();
        drop(dropped);
        assert_eq!(fs::read(&out).unwrap(), b"hello");
        assert_eq!(fs::read_dir(out.parent().unwrap()).unwrap().count(), 1);
    }

    #[test]
    fn fingerprint_follows_the_pages() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("1.jpg");
        fs::write(&a, b"one").unwrap();
        let pages = vec![PageFile::new(&a, "0001.jpg")];
        let fp = Fingerprint::of(&pages, "pdf").unwrap();
        assert_eq!(fp, Fingerprint::of(&pages, "pdf").unwrap());
        assert_ne!(fp, Fingerprint::of(&pages, "pdf q90").unwrap());
        let renamed = vec![PageFile::new(&a, "0002.jpg")];
        assert_ne!(fp, Fingerprint::of(&renamed, "pdf").unwrap());
        fs::write(&a, b"one more").unwrap();
        assert_ne!(fp, Fingerprint::of(&pages, "pdf").unwrap());
        assert_eq!(fp.hex().len(), 32);

        let out = dir.path().join("x.zip");
        assert!(!is_up_to_date(&out, &fp));
        fs::write(&out, format!("...{}\n", fp.marker())).unwrap();
        assert!(is_up_to_date(&out, &fp));
        let other = Fingerprint::of(&pages, "zip").unwrap();
        assert!(!is_up_to_date(&out, &other));
    }
}
