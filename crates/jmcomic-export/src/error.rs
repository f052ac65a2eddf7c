//! The crate's one error type.

use std::io;
use std::path::PathBuf;

/// A `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why an export could not be written or checked. Every variant names the file it concerns.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading a page or writing the output failed.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done (`read`, `write`, `rename`, `create`).
        action: &'static str,
        /// The file concerned.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// A page could not be decoded (needed to convert it or to measure it).
    #[error("cannot use page {}: {source}", path.display())]
    Page {
        /// The page file.
        path: PathBuf,
        /// The codec's error.
        #[source]
        source: jmcomic_image::Error,
    },
    /// Nothing to export: no page files were given.
    #[error("nothing to export to {}: no pages", path.display())]
    NoPages {
        /// The output that was not written.
        path: PathBuf,
    },
    /// The output cannot be made as asked (too tall for PNG, a setting no crate supports...).
    #[error("cannot write {}: {reason}", path.display())]
    Unsupported {
        /// The output that was not written.
        path: PathBuf,
        /// Why, and what to do instead.
        reason: String,
    },
    /// A written export did not read back as expected (checked before originals are deleted).
    #[error("{} is not a complete export: {reason}", path.display())]
    Verify {
        /// The export file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The format library refused the data.
    #[error("cannot write {}: {reason}", path.display())]
    Format {
        /// The output file.
        path: PathBuf,
        /// The library's message.
        reason: String,
    },
}

impl Error {
    /// An I/O error about `path`.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// The file the error is about.
    pub fn path(&self) -> &std::path::Path {
        match self {
            Error::Io { path, .. }
            | Error::Page { path, .. }
            | Error::NoPages { path }
            | Error::Unsupported { path, .. }
            | Error::Verify { path, .. }
            | Error::Format { path, .. } => path,
        }
    }
}
