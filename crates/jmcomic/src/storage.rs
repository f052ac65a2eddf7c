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
    fn failed_write_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("missing-dir").join("x.webp");
        assert!(write_atomic(&p, b"x").is_err());
        assert!(!p.exists());
    }
}
