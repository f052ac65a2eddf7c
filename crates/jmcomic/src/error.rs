//! The library's error type.

use std::sync::Arc;

use crate::report::DownloadReport;

/// Errors of a download.
///
/// Cheap to clone (errors that cannot be cloned are shared), so the same error can be
/// returned to the caller and carried by an [`Event`](crate::Event).
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The option file or text is invalid.
    #[error(transparent)]
    Options(Arc<crate::options::OptionError>),
    /// The directory rule cannot be applied.
    #[error(transparent)]
    DirRule(#[from] crate::dir_rule::DirRuleError),
    /// Talking to the site failed.
    #[error(transparent)]
    Client(Arc<jmcomic_client::Error>),
    /// Text that is not an id.
    #[error(transparent)]
    Id(#[from] jmcomic_model::Error),
    /// `dir_rule.base_dir` cannot be created or written to.
    #[error("dir_rule.base_dir `{}` cannot be used: {source}", path.display())]
    BaseDir {
        /// The directory.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: Arc<std::io::Error>,
    },
    /// The process could not start threads or an async runtime.
    #[error("cannot start {what}: {source}")]
    Runtime {
        /// What could not be started.
        what: &'static str,
        /// The operating system's error.
        #[source]
        source: Arc<std::io::Error>,
    },
    /// The blocking API was called from inside an async runtime.
    #[error(
        "the blocking API was called inside an async runtime; call the async functions instead"
    )]
    BlockingInRuntime,
    /// Some pages or chapters failed (only with `check_exception`, the Python package's
    /// `PartialDownloadFailedException`); the report says which.
    #[error("{} of the download failed: {}", describe_failed(.0), first_failures(.0))]
    Partial(Box<DownloadReport>),
    /// A stage (an export, a plugin with `safe: false`) failed in a way that fails the
    /// download; the pages already written stay, the report says what was done.
    #[error("{stage}: {cause}")]
    Stage {
        /// The stage.
        stage: String,
        /// Why it failed.
        cause: crate::failure::Cause,
        /// What was done before.
        report: Box<DownloadReport>,
    },
    /// A plugin entry stopped the program (an unknown key or bad arguments with
    /// `valid: raise`, a failure with `safe: false`).
    #[error(transparent)]
    Plugin(crate::plugin::PluginError),
    /// The download archive (`download.archive`, `--archive`) cannot be used.
    #[error(transparent)]
    Archive(Arc<crate::archive::ArchiveError>),
    /// The download was stopped before it could start.
    #[error("the download was cancelled")]
    Cancelled,
}

fn describe_failed(report: &DownloadReport) -> String {
    let pages = report.pages_failed();
    let chapters = report.chapters.iter().filter(|c| c.error.is_some()).count();
    let stages = report.stage_failures.len();
    let mut parts = Vec::new();
    if chapters > 0 {
        parts.push(format!("{chapters} chapter(s)"));
    }
    if pages > 0 || (chapters == 0 && stages == 0) {
        parts.push(format!("{pages} page(s)"));
    }
    if stages > 0 {
        parts.push(format!("{stages} export step(s)"));
    }
    parts.join(" and ")
}

fn first_failures(report: &DownloadReport) -> String {
    let failures = report.failures();
    let mut parts: Vec<String> = failures
        .iter()
        .take(3)
        .map(|f| format!("{}: {}", f.what, f.reason))
        .collect();
    if failures.len() > 3 {
        parts.push(format!("and {} more", failures.len() - 3));
    }
    if report.stopped && failures.is_empty() {
        parts.push("stopped early".to_owned());
    }
    parts.join("; ")
}

impl From<crate::options::OptionError> for Error {
    fn from(e: crate::options::OptionError) -> Self {
        Error::Options(Arc::new(e))
    }
}

impl From<jmcomic_client::Error> for Error {
    fn from(e: jmcomic_client::Error) -> Self {
        Error::Client(Arc::new(e))
    }
}

impl Error {
    /// The album or chapter does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::Client(e) if e.is_not_found())
    }

    /// The report of a partly failed download, if this is one.
    pub fn report(&self) -> Option<&DownloadReport> {
        match self {
            Error::Partial(r) | Error::Stage { report: r, .. } => Some(r),
            _ => None,
        }
    }

    /// Whether the error is about the user's input or settings (ids, options, rules) rather
    /// than the site or the network.
    pub fn is_usage(&self) -> bool {
        match self {
            Error::Plugin(e) => return e.usage,
            // Not an archive, a newer one, a folder that cannot be made: the user's to fix;
            // a busy or damaged database is not.
            Error::Archive(e) => return !e.is_sqlite(),
            _ => {}
        }
        matches!(
            self,
            Error::Options(_) | Error::DirRule(_) | Error::Id(_) | Error::BaseDir { .. }
        )
    }
}

/// `Result` with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
