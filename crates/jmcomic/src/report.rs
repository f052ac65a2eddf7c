//! What a download did: every page written, reused, skipped or failed, with reasons.

use std::path::PathBuf;
use std::time::Duration;

use jmcomic_model::{JmId, ScrambleSource, Target};
use serde::Serialize;

/// What happened to one page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum PageOutcome {
    /// Downloaded and written.
    Written {
        /// Bytes received from the CDN.
        downloaded: u64,
        /// Bytes written to disk.
        written: u64,
        /// Whether the page was re-encoded (descrambled or converted) rather than written as
        /// received.
        reencoded: bool,
    },
    /// A complete file was already on disk (`download.cache`).
    Reused,
    /// Left out by a hook.
    Skipped,
    /// Could not be downloaded; nothing was written under its name.
    Failed {
        /// Why.
        reason: String,
    },
}

/// One page of the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PageRecord {
    /// 1-based position in the chapter.
    pub index: u32,
    /// File name on the CDN.
    pub file_name: String,
    /// Where it is (or would have been) on disk.
    pub path: PathBuf,
    /// What happened.
    #[serde(flatten)]
    pub outcome: PageOutcome,
}

/// One chapter of the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChapterReport {
    /// Chapter id.
    pub id: JmId,
    /// Chapter title.
    pub name: String,
    /// Position in the album.
    pub index: u32,
    /// Directory of its pages.
    pub dir: Option<PathBuf>,
    /// Whether a hook skipped the whole chapter.
    pub skipped: bool,
    /// Where the scramble id came from; `assumed` means pages may be wrong.
    pub scramble_source: Option<ScrambleSource>,
    /// Every page, in order.
    pub pages: Vec<PageRecord>,
    /// Why the chapter itself failed (its page list could not be fetched), if it did.
    pub error: Option<String>,
}

impl ChapterReport {
    /// Whether every page is on disk (written or reused) and the chapter did not fail.
    pub fn is_complete(&self) -> bool {
        self.error.is_none()
            && self.pages.iter().all(|p| {
                matches!(
                    p.outcome,
                    PageOutcome::Written { .. } | PageOutcome::Reused | PageOutcome::Skipped
                )
            })
    }

    pub(crate) fn count(&self, f: impl Fn(&PageOutcome) -> bool) -> usize {
        self.pages.iter().filter(|p| f(&p.outcome)).count()
    }
}

/// A failure, described for people and bots.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// What failed: `album 123`, `chapter 456`, `page 456/00001.webp`.
    pub what: String,
    /// Why.
    pub reason: String,
}

/// The report of one album or chapter download (the Python package's `DownloadResult` and
/// `DownloadManifest`, spec §1.6).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DownloadReport {
    /// What was asked for.
    pub target: Target,
    /// The album (for a chapter download, the chapter's album).
    pub album_id: Option<JmId>,
    /// Album title.
    pub album_name: Option<String>,
    /// The album's root directory.
    pub album_dir: Option<PathBuf>,
    /// Whether a hook skipped the album.
    pub skipped: bool,
    /// Whether a hook or a cancellation stopped the download early.
    pub stopped: bool,
    /// Chapters, in album order.
    pub chapters: Vec<ChapterReport>,
    /// How long the whole call took.
    #[serde(with = "duration_secs")]
    pub duration: Duration,
}

mod duration_secs {
    use std::time::Duration;

    pub(super) fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }
}

impl DownloadReport {
    pub(crate) fn new(target: Target) -> Self {
        Self {
            target,
            album_id: None,
            album_name: None,
            album_dir: None,
            skipped: false,
            stopped: false,
            chapters: Vec::new(),
            duration: Duration::ZERO,
        }
    }

    /// Every failure: chapters that could not be fetched and pages that could not be
    /// downloaded.
    pub fn failures(&self) -> Vec<Failure> {
        let mut out = Vec::new();
        for c in &self.chapters {
            if let Some(e) = &c.error {
                out.push(Failure {
                    what: format!("chapter {}", c.id),
                    reason: e.clone(),
                });
            }
            for p in &c.pages {
                if let PageOutcome::Failed { reason } = &p.outcome {
                    out.push(Failure {
                        what: format!("page {}/{}", c.id, p.file_name),
                        reason: reason.clone(),
                    });
                }
            }
        }
        out
    }

    /// Whether nothing failed and nothing was stopped early.
    pub fn is_complete(&self) -> bool {
        !self.stopped && self.chapters.iter().all(ChapterReport::is_complete)
    }

    /// Paths of every page on disk (written or reused), in chapter then page order (the
    /// Python manifest's `image_filepath_list`).
    pub fn page_paths(&self) -> Vec<PathBuf> {
        self.chapters
            .iter()
            .flat_map(|c| c.pages.iter())
            .filter(|p| matches!(p.outcome, PageOutcome::Written { .. } | PageOutcome::Reused))
            .map(|p| p.path.clone())
            .collect()
    }

    /// Pages written in this run.
    pub fn pages_written(&self) -> usize {
        self.chapters
            .iter()
            .map(|c| c.count(|o| matches!(o, PageOutcome::Written { .. })))
            .sum()
    }

    /// Pages found complete on disk and reused.
    pub fn pages_reused(&self) -> usize {
        self.chapters
            .iter()
            .map(|c| c.count(|o| matches!(o, PageOutcome::Reused)))
            .sum()
    }

    /// Pages that failed.
    pub fn pages_failed(&self) -> usize {
        self.chapters
            .iter()
            .map(|c| c.count(|o| matches!(o, PageOutcome::Failed { .. })))
            .sum()
    }

    /// Bytes received from the CDN.
    pub fn bytes_downloaded(&self) -> u64 {
        self.outcomes()
            .map(|o| match o {
                PageOutcome::Written { downloaded, .. } => *downloaded,
                _ => 0,
            })
            .sum()
    }

    /// Bytes written to disk.
    pub fn bytes_written(&self) -> u64 {
        self.outcomes()
            .map(|o| match o {
                PageOutcome::Written { written, .. } => *written,
                _ => 0,
            })
            .sum()
    }

    fn outcomes(&self) -> impl Iterator<Item = &PageOutcome> {
        self.chapters
            .iter()
            .flat_map(|c| c.pages.iter().map(|p| &p.outcome))
    }

    /// The report as pretty JSON, with totals.
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct WithTotals<'a> {
            #[serde(flatten)]
            report: &'a DownloadReport,
            complete: bool,
            pages_written: usize,
            pages_reused: usize,
            pages_failed: usize,
            bytes_downloaded: u64,
            bytes_written: u64,
            failures: Vec<Failure>,
        }
        let v = WithTotals {
            report: self,
            complete: self.is_complete(),
            pages_written: self.pages_written(),
            pages_reused: self.pages_reused(),
            pages_failed: self.pages_failed(),
            bytes_downloaded: self.bytes_downloaded(),
            bytes_written: self.bytes_written(),
            failures: self.failures(),
        };
        serde_json::to_string_pretty(&v).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }
}

/// The result of a batch: one entry per distinct target, in first-seen order.
#[derive(Debug, Default)]
pub struct BatchReport {
    /// Every target with its report or its error, in order.
    pub items: Vec<(Target, Result<DownloadReport, crate::Error>)>,
}

impl BatchReport {
    /// Reports of the targets that could be downloaded (possibly with failed pages).
    pub fn reports(&self) -> impl Iterator<Item = &DownloadReport> {
        self.items.iter().filter_map(|(_, r)| r.as_ref().ok())
    }

    /// Targets that failed outright, with their errors.
    pub fn errors(&self) -> impl Iterator<Item = (&Target, &crate::Error)> {
        self.items
            .iter()
            .filter_map(|(t, r)| r.as_ref().err().map(|e| (t, e)))
    }

    /// Whether every target downloaded completely.
    pub fn all_succeeded(&self) -> bool {
        self.items
            .iter()
            .all(|(_, r)| r.as_ref().is_ok_and(DownloadReport::is_complete))
    }

    /// Every failure of the batch: targets that failed outright and failed pages/chapters.
    pub fn failures(&self) -> Vec<Failure> {
        let mut out = Vec::new();
        for (t, r) in &self.items {
            match r {
                Ok(report) => out.extend(report.failures()),
                Err(e) => out.push(Failure {
                    what: t.to_string(),
                    reason: e.to_string(),
                }),
            }
        }
        out
    }
}
