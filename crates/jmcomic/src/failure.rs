//! Why something failed: one typed cause for pages, chapters, export stages and plugins.
//!
//! Reports and events carry a [`Cause`] instead of text, so a program can tell a network
//! failure from a full disk or a broken page ([`Cause::is_network`], [`Cause::path`]), while
//! `Display` (and the JSON of reports and events) stays the sentence people read.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Serialize, Serializer};

/// Why a page, a chapter, an export stage or a plugin failed.
///
/// Reports carry one for every failed page ([`PageOutcome::Failed`](crate::PageOutcome)),
/// chapter ([`ChapterReport::error`](crate::ChapterReport::error)) and stage. The enum is
/// non-exhaustive: match the cases you handle and keep a catch-all.
///
/// ```
/// use std::io;
/// use std::path::Path;
///
/// use jmcomic::Cause;
///
/// fn advice(cause: &Cause) -> String {
///     match cause {
///         c if c.is_stopped() => "stopped: run again to finish".to_owned(),
///         c if c.is_network() => format!("the site failed ({c}): try again later"),
///         Cause::Io { path, .. } => format!("check the disk at {}", path.display()),
///         Cause::Image(e) if e.is_corrupt_input() => "a broken page: run again".to_owned(),
///         other => format!("{} failure: {other}", other.kind()),
///     }
/// }
///
/// let full = io::Error::from(io::ErrorKind::StorageFull);
/// let cause = Cause::io("write", "/comics/421925/00001.webp", full);
/// assert_eq!(cause.kind(), "io");
/// assert_eq!(cause.path(), Some(Path::new("/comics/421925/00001.webp")));
/// assert_eq!(advice(&cause), "check the disk at /comics/421925/00001.webp");
///
/// // A report lists them per page:
/// fn print_failures(report: &jmcomic::DownloadReport) {
///     for chapter in &report.chapters {
///         for page in &chapter.pages {
///             if let Some(cause) = page.outcome.failure() {
///                 println!("{}: {}", page.path.display(), advice(cause));
///             }
///         }
///     }
/// }
/// ```
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Cause {
    /// Talking to the site failed (after every retry and domain).
    #[error(transparent)]
    Client(Arc<jmcomic_client::Error>),
    /// The page's bytes could not be processed (corrupt, truncated, unsupported).
    #[error(transparent)]
    Image(jmcomic_image::Error),
    /// Reading or writing a file failed.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done: `write`, `create`, `read`, `delete`…
        action: &'static str,
        /// The file or directory concerned.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: Arc<io::Error>,
    },
    /// An export could not be written or checked.
    #[error(transparent)]
    Export(Arc<jmcomic_export::Error>),
    /// The directory rule could not be applied to this album or chapter.
    #[error(transparent)]
    DirRule(#[from] crate::dir_rule::DirRuleError),
    /// Two pages of this run would be saved as the same file; this one was not written.
    #[error(
        "it would be saved as {}, the file of {owner} in this run: the dir_rule gives both the \
         same name (a chapter element such as `Pindex` or `Pid`, or `Aid`, tells them apart)",
        path.display()
    )]
    NameClash {
        /// The file both pages would have.
        path: PathBuf,
        /// The page that keeps it (`page {chapter}/{file}`).
        owner: String,
    },
    /// The page's file is another chapter's, written by an earlier run: the rule gives two
    /// albums' chapters the same folder. It was neither reused nor overwritten.
    #[error(
        "{} holds {owner} (written earlier for another chapter): the dir_rule `{rule}` gives \
         this chapter the same folder, so nothing was reused or overwritten; put an album \
         element in the rule, e.g. `Bd / {{Aid}} / {{Pname}}`",
        path.display()
    )]
    ForeignPage {
        /// The file.
        path: PathBuf,
        /// The page it holds (`page {chapter}/{file}`).
        owner: String,
        /// The rule in use.
        rule: String,
    },
    /// The download was stopped (Ctrl-C, a cancelled token, a hook) before this was done.
    #[error("{}", .0.text())]
    Stopped(Stop),
    /// A CPU worker failed while processing the page (a bug: please report it).
    #[error("a CPU worker failed")]
    Worker,
    /// The download archive could not be read or written.
    #[error(transparent)]
    Archive(Arc<crate::archive::ArchiveError>),
    /// A mail could not be sent (`send_qq_email`).
    #[error(transparent)]
    Mail(Arc<crate::mail::MailError>),
    /// A plugin or feature failed for a reason of its own.
    #[error("{message}")]
    Plugin {
        /// What went wrong, in a sentence.
        message: String,
    },
}

/// How far a stopped download got with the item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stop {
    /// The chapter was not started.
    NotStarted,
    /// The page was not downloaded.
    NotDownloaded,
    /// A hook asked to stop.
    ByHook,
}

impl Stop {
    fn text(self) -> &'static str {
        match self {
            Stop::NotStarted => "not started: the download was stopped",
            Stop::NotDownloaded => "not downloaded: the download was stopped",
            Stop::ByHook => "stopped by a hook",
        }
    }
}

impl Cause {
    /// An I/O failure about `path`.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Cause::Io {
            action,
            path: path.into(),
            source: Arc::new(source),
        }
    }

    /// A plugin's own failure.
    pub fn plugin(message: impl Into<String>) -> Self {
        Cause::Plugin {
            message: message.into(),
        }
    }

    /// A short name of the kind of failure, for programs: `client`, `image`, `io`, `export`,
    /// `dir_rule`, `name_clash`, `foreign_page`, `stopped`, `worker`, `mail`, `archive`, `plugin`.
    pub fn kind(&self) -> &'static str {
        match self {
            Cause::Client(_) => "client",
            Cause::Image(_) => "image",
            Cause::Io { .. } => "io",
            Cause::Export(_) => "export",
            Cause::DirRule(_) => "dir_rule",
            Cause::NameClash { .. } => "name_clash",
            Cause::ForeignPage { .. } => "foreign_page",
            Cause::Stopped(_) => "stopped",
            Cause::Worker => "worker",
            Cause::Mail(_) => "mail",
            Cause::Archive(_) => "archive",
            Cause::Plugin { .. } => "plugin",
        }
    }

    /// Whether the site or the network is to blame (running again later may help).
    pub fn is_network(&self) -> bool {
        matches!(self, Cause::Client(_)) || matches!(self, Cause::Mail(e) if e.is_transient())
    }

    /// Whether the download was stopped rather than failing.
    pub fn is_stopped(&self) -> bool {
        matches!(self, Cause::Stopped(_))
    }

    /// The file the failure is about, when there is one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Cause::Io { path, .. }
            | Cause::NameClash { path, .. }
            | Cause::ForeignPage { path, .. } => Some(path),
            Cause::Export(e) => Some(e.path()),
            _ => None,
        }
    }
}

impl From<jmcomic_client::Error> for Cause {
    fn from(e: jmcomic_client::Error) -> Self {
        Cause::Client(Arc::new(e))
    }
}

impl From<jmcomic_image::Error> for Cause {
    fn from(e: jmcomic_image::Error) -> Self {
        Cause::Image(e)
    }
}

impl From<crate::mail::MailError> for Cause {
    fn from(e: crate::mail::MailError) -> Self {
        Cause::Mail(Arc::new(e))
    }
}

impl From<jmcomic_export::Error> for Cause {
    fn from(e: jmcomic_export::Error) -> Self {
        Cause::Export(Arc::new(e))
    }
}

/// Two causes are equal when they are of the same kind and read the same (the errors they
/// wrap, such as I/O errors, cannot be compared otherwise).
impl PartialEq for Cause {
    fn eq(&self, other: &Self) -> bool {
        self.kind() == other.kind() && self.to_string() == other.to_string()
    }
}

impl Eq for Cause {}

/// Serialised as the sentence people read (reports and JSON events keep their `reason`
/// text); the kind is available as [`Cause::kind`].
impl Serialize for Cause {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
