//! Writing pages to disk so that a final file name only ever holds a complete page.
//!
//! A page is written to a temporary name in the same directory and renamed over the final
//! name once every byte is written (the Python package writes in place, so an interrupted
//! run leaves truncated files that later runs take as done). Temporary names are
//! hidden and end in [`TEMP_SUFFIX`], so nothing that lists pages counts them; each write has
//! its own (the final name, the process id and a counter), so two writers of the same page
//! can never mix their bytes, and a crashed run's leftovers are swept when the chapter's
//! directory is next finished with.
//!
//! Not covered: power loss. Files are not `fsync`ed (that would cost milliseconds per page);
//! after a kernel crash a renamed file may come back empty, which the next run's
//! completeness check catches and re-downloads.

// Spec W18.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

/// Temporary names are shared with the exporters (`jmcomic-export`), so one sweep removes
/// what a crashed page write or export left behind.
pub use jmcomic_export::{TEMP_SUFFIX, is_temp_file, temp_path_for};

/// Writes `bytes` to `path` atomically: temporary file, then rename. On any error the
/// temporary file is removed and `path` is untouched.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let temp = temp_path_for(path);
    let result = (|| {
        let mut f = fs::File::create(&temp)?;
        f.write_all(bytes)?;
        f.flush()?;
        drop(f);
        fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// Removes leftover temporary files in a directory (from a crashed or cancelled run).
/// Returns how many were removed. Errors are ignored: a leftover is harmless.
pub fn sweep_temp_files(dir: &Path) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| is_temp_file(p))
        .filter(|p| fs::remove_file(p).is_ok())
        .count()
}

/// The hidden record, in each chapter directory, of which chapter's page each file there
/// is: one JSON line per page written (appended after the page's rename).
///
/// It is what lets a page file be reused only when it was written for the same chapter and
/// page: with a rule that gives two albums' chapters the same folder (the default
/// `Bd_Pname`, where chapters are named by title only), album B's `第1話/00001.webp` would
/// otherwise be taken for album A's page. Files without a line (written by the Python
/// package, or by a run killed between the rename and the append) are trusted as before.
pub const PAGE_RECORD: &str = ".jmcomic-pages";

/// Whose page a file is, per [`PAGE_RECORD`].
#[derive(Clone, Debug, Default)]
pub struct PageRecords {
    owners: std::collections::HashMap<String, (u64, String)>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct RecordLine {
    /// File name in the directory.
    f: String,
    /// Chapter id.
    c: u64,
    /// The page's file name on the CDN.
    n: String,
}

impl PageRecords {
    /// The record of `dir` (empty when there is none; unreadable lines are skipped: a torn
    /// last line of a crashed run only loses that page's claim).
    pub fn read(dir: &Path) -> PageRecords {
        let mut owners = std::collections::HashMap::new();
        if let Ok(text) = fs::read_to_string(dir.join(PAGE_RECORD)) {
            for line in text.lines() {
                if let Ok(r) = serde_json::from_str::<RecordLine>(line) {
                    owners.insert(r.f, (r.c, r.n));
                }
            }
        }
        PageRecords { owners }
    }

    /// The chapter and CDN file name `file` was written for, if recorded.
    pub fn owner(&self, file: &str) -> Option<(u64, &str)> {
        self.owners.get(file).map(|(c, n)| (*c, n.as_str()))
    }
}

/// Appends to `dir`'s record that `file` holds page `cdn_name` of `chapter`. One `write` of
/// one line with `O_APPEND`, so lines of pages finishing at once never interleave.
pub fn record_page(dir: &Path, file: &str, chapter: u64, cdn_name: &str) -> io::Result<()> {
    let line = serde_json::to_string(&RecordLine {
        f: file.to_owned(),
        c: chapter,
        n: cdn_name.to_owned(),
    })
    .map_err(io::Error::other)?;
    let mut f = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(PAGE_RECORD))?;
    f.write_all(format!("{line}\n").as_bytes())
}

/// Whether a path is a directory's page record.
pub fn is_page_record(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == PAGE_RECORD)
}

/// Removes a directory if nothing but its page record is left in it.
pub fn remove_dir_if_only_record(dir: &Path) {
    let only_record = fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .filter_map(Result::ok)
            .all(|e| e.file_name() == PAGE_RECORD)
    });
    if only_record {
        let _ = fs::remove_file(dir.join(PAGE_RECORD));
        let _ = fs::remove_dir(dir);
    }
}

/// Creates a directory and its parents.
pub fn ensure_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_and_sweep() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("00001.webp");
        write_atomic(&p, b"hello").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"hello");
        // No temporary file is left next to it.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        // Each write has its own temporary name: two writers of one page never share one.
        assert_ne!(temp_path_for(&p), temp_path_for(&p));
        // A leftover temporary file from a killed run is swept and never looks like a page.
        fs::write(temp_path_for(&dir.path().join("00002.webp")), b"partial").unwrap();
        assert!(is_temp_file(&temp_path_for(&p)));
        assert!(!is_temp_file(&p));
        assert_eq!(sweep_temp_files(dir.path()), 1);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn page_records_say_whose_page_a_file_is() {
        let dir = tempfile::tempdir().unwrap();
        assert!(PageRecords::read(dir.path()).owner("00001.webp").is_none());
        record_page(dir.path(), "00001.webp", 7, "00001.webp").unwrap();
        record_page(dir.path(), "00002.webp", 7, "00002.webp").unwrap();
        // A later line wins (the same file written again for another page).
        record_page(dir.path(), "00001.webp", 9, "00001.webp").unwrap();
        // A torn last line (a crash mid-append) is skipped, the rest is read.
        fs::OpenOptions::new()
            .append(true)
            .open(dir.path().join(PAGE_RECORD))
            .unwrap()
            .write_all(b"{\"f\":\"0000")
            .unwrap();
        let r = PageRecords::read(dir.path());
        assert_eq!(r.owner("00001.webp"), Some((9, "00001.webp")));
        assert_eq!(r.owner("00002.webp"), Some((7, "00002.webp")));
        let sub = dir.path().join("chapter");
        fs::create_dir(&sub).unwrap();
        fs::write(sub.join("00001.webp"), b"page").unwrap();
        record_page(&sub, "00001.webp", 7, "00001.webp").unwrap();
        remove_dir_if_only_record(&sub);
        assert!(sub.join(PAGE_RECORD).exists(), "a page is still there");
        fs::remove_file(sub.join("00001.webp")).unwrap();
        remove_dir_if_only_record(&sub);
        assert!(!sub.exists());
    }

    #[test]
    fn failed_write_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("missing-dir").join("x.webp");
        assert!(write_atomic(&p, b"x").is_err());
        assert!(!p.exists());
    }
}
