//! The library's error type.

use crate::report::DownloadReport;

/// Errors of a download.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The option file or text is invalid.
    #[error(transparent)]
    Options(#[from] crate::options::OptionError),
    /// The directory rule cannot be applied.
    #[error(transparent)]
    DirRule(#[from] crate::dir_rule::DirRuleError),
    /// Talking to the site failed.
    #[error(transparent)]
    Client(#[from] jmcomic_client::Error),
    /// Text that is not an id.
    #[error(transparent)]
    Id(#[from] jmcomic_model::Error),
    /// A setting that cannot work.
    #[error("{0}")]
    Config(String),
    /// Some pages or chapters failed (only with `check_exception`, the Python package's
    /// `PartialDownloadFailedException`); the report says which.
    #[error("{} of the download failed: {}", describe_failed(.0), first_failures(.0))]
    Partial(Box<DownloadReport>),
    /// The download was stopped before it could start.
    #[error("the download was cancelled")]
    Cancelled,
}

fn describe_failed(report: &DownloadReport) -> String {
    let pages = report.pages_failed();
    let chapters = report.chapters.iter().filter(|c| c.error.is_some()).count();
    match (chapters, pages) {
        (0, p) => format!("{p} page(s)"),
        (c, 0) => format!("{c} chapter(s)"),
        (c, p) => format!("{c} chapter(s) and {p} page(s)"),
    }
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

impl Error {
    /// The album or chapter does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::Client(e) if e.is_not_found())
    }

    /// The report of a partly failed download, if this is one.
    pub fn report(&self) -> Option<&DownloadReport> {
        match self {
            Error::Partial(r) => Some(r),
            _ => None,
        }
    }

    /// Whether the error is about the user's input or settings (ids, options, rules) rather
    /// than the site or the network.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            Error::Options(_) | Error::DirRule(_) | Error::Id(_) | Error::Config(_)
        )
    }
}

/// `Result` with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
