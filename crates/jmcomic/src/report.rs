//! What a download did: every page written, reused, skipped or failed, with reasons.

use std::path::PathBuf;
use std::time::Duration;

use jmcomic_model::{JmId, ScrambleSource, Target};
use serde::{Serialize, Serializer};

use crate::failure::Cause;

/// What happened to one page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
#[non_exhaustive]
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
    /// Recorded as done in the download archive (`download.archive`) and not at its path
    /// (its folder was moved, or the file deleted on purpose): not fetched again.
    Archived,
    /// Left out by a hook.
    Skipped,
    /// A dry run: it would be downloaded (nothing was fetched or written).
    Planned,
    /// Could not be downloaded; nothing was written under its name.
    Failed {
        /// Why.
        reason: Cause,
    },
}

/// One page of the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
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
#[non_exhaustive]
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
    pub error: Option<Cause>,
}

impl ChapterReport {
    pub(crate) fn new(id: JmId, name: String, index: u32) -> Self {
        ChapterReport {
            id,
            name,
            index,
            dir: None,
            skipped: false,
            scramble_source: None,
            pages: Vec::new(),
            error: None,
        }
    }

    /// Paths of the chapter's pages on disk (written or reused), in page order.
    pub fn page_paths(&self) -> Vec<PathBuf> {
        self.pages
            .iter()
            .filter(|p| p.outcome.is_on_disk())
            .map(|p| p.path.clone())
            .collect()
    }

    /// Whether every page is on disk (written or reused) and the chapter did not fail.
    pub fn is_complete(&self) -> bool {
        self.error.is_none()
            && self.pages.iter().all(|p| {
                matches!(
                    p.outcome,
                    PageOutcome::Written { .. }
                        | PageOutcome::Reused
                        | PageOutcome::Skipped
                        | PageOutcome::Archived
                        | PageOutcome::Planned
                )
            })
    }

    pub(crate) fn count(&self, f: impl Fn(&PageOutcome) -> bool) -> usize {
        self.pages.iter().filter(|p| f(&p.outcome)).count()
    }
}

impl PageOutcome {
    /// Whether the page is on disk after this run (written or reused).
    pub fn is_on_disk(&self) -> bool {
        matches!(self, PageOutcome::Written { .. } | PageOutcome::Reused)
    }

    /// Why the page failed, if it did.
    pub fn failure(&self) -> Option<&Cause> {
        match self {
            PageOutcome::Failed { reason } => Some(reason),
            _ => None,
        }
    }
}

/// A file an after-chapter or after-album stage produced: an export (PDF, ZIP, CBZ, long
/// image), a metadata file, a cover (the Python manifest's `export_filepath_dict`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Output {
    /// The stage that made it (`export_pdf`, `plugin zip`…).
    pub stage: String,
    /// The chapter it was made for; `None` for a whole album.
    pub chapter: Option<JmId>,
    /// The file.
    pub path: PathBuf,
    /// Its kind, as a lower-case suffix without the dot (`pdf`, `zip`, `cbz`, `png`, `opf`).
    pub kind: String,
    /// Pages it holds (0 for files that hold none).
    pub pages: usize,
    /// Its size in bytes.
    pub bytes: u64,
    /// True when an export made by an earlier run from the same pages was kept as it was.
    pub reused: bool,
}

impl Output {
    /// A produced file.
    pub fn new(
        stage: impl Into<String>,
        chapter: Option<JmId>,
        path: PathBuf,
        kind: impl Into<String>,
    ) -> Self {
        Output {
            stage: stage.into(),
            chapter,
            path,
            kind: kind.into(),
            pages: 0,
            bytes: 0,
            reused: false,
        }
    }

    /// The description of an export written (or kept) by `jmcomic-export`.
    pub fn from_export(
        stage: impl Into<String>,
        chapter: Option<JmId>,
        e: &jmcomic_export::Exported,
    ) -> Self {
        let kind = e.path.extension().map_or_else(
            || e.kind.suffix().to_owned(),
            |x| x.to_string_lossy().to_lowercase(),
        );
        Output {
            stage: stage.into(),
            chapter,
            path: e.path.clone(),
            kind,
            pages: e.pages,
            bytes: e.bytes,
            reused: e.reused,
        }
    }
}

/// An after-chapter or after-album stage that failed (the download itself is unaffected).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct StageFailure {
    /// The stage (`export_pdf`, `plugin zip`…).
    pub stage: String,
    /// The chapter it ran for; `None` for a whole album.
    pub chapter: Option<JmId>,
    /// Why it failed.
    pub reason: Cause,
    /// Whether the failure fails the whole download (a plugin with `safe: false`).
    pub fatal: bool,
}

/// A failure, described for people and bots.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Failure {
    /// What failed: `album 123`, `chapter 456`, `page 456/00001.webp`,
    /// `export_pdf of album 123`.
    pub what: String,
    /// Why, as a sentence.
    pub reason: String,
    /// The kind of failure (see [`Cause::kind`]); `target` for a target that failed as a
    /// whole.
    pub kind: &'static str,
}

impl Failure {
    pub(crate) fn of(what: String, cause: &Cause) -> Self {
        Failure {
            what,
            reason: cause.to_string(),
            kind: cause.kind(),
        }
    }
}

/// The report of one album or chapter download (the Python package's `DownloadResult` and
/// `DownloadManifest`).
///
/// Serialised (to JSON for `--report` and bots) with its totals: `complete`,
/// `pages_written`, `pages_reused`, `pages_failed`, `bytes_downloaded`, `bytes_written`
/// and `failures`.
// Spec §1.6.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
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
    /// A chapter target that another target of the same batch (its album) downloaded: it
    /// was not downloaded, nor counted, a second time.
    pub covered_by: Option<Target>,
    /// Chapters, in album order.
    pub chapters: Vec<ChapterReport>,
    /// Files made by after-chapter and after-album stages (exports), in the order they
    /// finished.
    pub outputs: Vec<Output>,
    /// Stages that failed.
    pub stage_failures: Vec<StageFailure>,
    /// How long the whole call took.
    pub duration: Duration,
}

impl Serialize for DownloadReport {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Fields<'a> {
            target: &'a Target,
            album_id: &'a Option<JmId>,
            album_name: &'a Option<String>,
            album_dir: &'a Option<PathBuf>,
            skipped: bool,
            stopped: bool,
            #[serde(skip_serializing_if = "Option::is_none")]
            covered_by: &'a Option<Target>,
            chapters: &'a [ChapterReport],
            outputs: &'a [Output],
            stage_failures: &'a [StageFailure],
            duration: f64,
            complete: bool,
            pages_written: usize,
            pages_reused: usize,
            pages_archived: usize,
            pages_failed: usize,
            bytes_downloaded: u64,
            bytes_written: u64,
            failures: Vec<Failure>,
        }
        Fields {
            target: &self.target,
            album_id: &self.album_id,
            album_name: &self.album_name,
            album_dir: &self.album_dir,
            skipped: self.skipped,
            stopped: self.stopped,
            covered_by: &self.covered_by,
            chapters: &self.chapters,
            outputs: &self.outputs,
            stage_failures: &self.stage_failures,
            duration: self.duration.as_secs_f64(),
            complete: self.is_complete(),
            pages_written: self.pages_written(),
            pages_reused: self.pages_reused(),
            pages_archived: self.pages_archived(),
            pages_failed: self.pages_failed(),
            bytes_downloaded: self.bytes_downloaded(),
            bytes_written: self.bytes_written(),
            failures: self.failures(),
        }
        .serialize(s)
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
            covered_by: None,
            chapters: Vec::new(),
            outputs: Vec::new(),
            stage_failures: Vec::new(),
            duration: Duration::ZERO,
        }
    }

    /// The report of a chapter target that `by` (its album, in the same batch) downloaded.
    pub(crate) fn covered(target: Target, by: Target) -> Self {
        DownloadReport {
            covered_by: Some(by),
            ..Self::new(target)
        }
    }

    /// The counts of this report (see [`Totals`]).
    pub fn totals(&self) -> Totals {
        let mut t = Totals {
            targets: 1,
            stage_failures: self.stage_failures.len(),
            bytes_written: self.bytes_written(),
            ..Totals::default()
        };
        for c in &self.chapters {
            match &c.error {
                Some(e) if e.is_stopped() => t.chapters_stopped += 1,
                Some(_) => t.chapters_failed += 1,
                None => {}
            }
            for p in &c.pages {
                match &p.outcome {
                    PageOutcome::Written { .. } => t.pages_written += 1,
                    PageOutcome::Reused => t.pages_reused += 1,
                    PageOutcome::Archived => t.pages_archived += 1,
                    PageOutcome::Planned => t.pages_planned += 1,
                    PageOutcome::Failed { reason } if reason.is_stopped() => {
                        t.pages_stopped += 1;
                    }
                    PageOutcome::Failed { .. } => t.pages_failed += 1,
                    _ => {}
                }
            }
        }
        t
    }

    /// Every failure: chapters that could not be fetched, pages that could not be
    /// downloaded, and after-chapter/after-album stages (exports) that failed.
    pub fn failures(&self) -> Vec<Failure> {
        let mut out = Vec::new();
        for c in &self.chapters {
            if let Some(e) = &c.error {
                out.push(Failure::of(format!("chapter {}", c.id), e));
            }
            for p in &c.pages {
                if let PageOutcome::Failed { reason } = &p.outcome {
                    out.push(Failure::of(
                        format!("page {}/{}", c.id, p.file_name),
                        reason,
                    ));
                }
            }
        }
        for f in &self.stage_failures {
            let of = match (f.chapter, self.album_id) {
                (Some(c), _) => format!("chapter {c}"),
                (None, Some(a)) => format!("album {a}"),
                (None, None) => self.target.to_string(),
            };
            out.push(Failure::of(format!("{} of {of}", f.stage), &f.reason));
        }
        out
    }

    /// Whether nothing failed (pages, chapters, stages) and nothing was stopped early.
    pub fn is_complete(&self) -> bool {
        !self.stopped
            && self.stage_failures.is_empty()
            && self.chapters.iter().all(ChapterReport::is_complete)
    }

    /// Paths of every page on disk (written or reused), in chapter then page order (the
    /// Python manifest's `image_filepath_list`).
    pub fn page_paths(&self) -> Vec<PathBuf> {
        self.chapters
            .iter()
            .flat_map(ChapterReport::page_paths)
            .collect()
    }

    /// Files of one kind made by stages (exports), e.g. `"pdf"` or `".PDF"` (the Python
    /// manifest's `get_export_filepath_list`).
    pub fn export_paths(&self, kind: &str) -> Vec<PathBuf> {
        let kind = kind.trim_start_matches('.').to_ascii_lowercase();
        self.outputs
            .iter()
            .filter(|o| o.kind == kind)
            .map(|o| o.path.clone())
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

    /// Pages recorded in the download archive and not fetched again.
    pub fn pages_archived(&self) -> usize {
        self.chapters
            .iter()
            .map(|c| c.count(|o| matches!(o, PageOutcome::Archived)))
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
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }
}

/// The counts of a download or a batch, the same wherever they are shown (the summary line,
/// the list of failures, `--json`, `--report`). Pages and chapters left because the run was
/// stopped are counted apart from those that failed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Totals {
    /// Targets asked for (after de-duplication).
    pub targets: usize,
    /// Targets that failed as a whole (album missing, site unreachable…).
    pub targets_failed: usize,
    /// Chapters whose page list could not be fetched.
    pub chapters_failed: usize,
    /// Chapters not started because the run was stopped.
    pub chapters_stopped: usize,
    /// Pages downloaded and written.
    pub pages_written: usize,
    /// Pages already complete on disk.
    pub pages_reused: usize,
    /// Pages a dry run would download.
    pub pages_planned: usize,
    /// Pages recorded in the download archive and not fetched.
    pub pages_archived: usize,
    /// Pages that failed.
    pub pages_failed: usize,
    /// Pages not downloaded because the run was stopped.
    pub pages_stopped: usize,
    /// Exports and plugins that failed.
    pub stage_failures: usize,
    /// Bytes written.
    pub bytes_written: u64,
}

impl Totals {
    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: &Totals) {
        self.targets += other.targets;
        self.targets_failed += other.targets_failed;
        self.chapters_failed += other.chapters_failed;
        self.chapters_stopped += other.chapters_stopped;
        self.pages_written += other.pages_written;
        self.pages_reused += other.pages_reused;
        self.pages_planned += other.pages_planned;
        self.pages_archived += other.pages_archived;
        self.pages_failed += other.pages_failed;
        self.pages_stopped += other.pages_stopped;
        self.stage_failures += other.stage_failures;
        self.bytes_written += other.bytes_written;
    }

    /// How many failures the list of failures has (targets, chapters, pages, stages; what
    /// a stop left undone is not a failure).
    pub fn failures(&self) -> usize {
        self.targets_failed + self.chapters_failed + self.pages_failed + self.stage_failures
    }
}

/// The result of a batch: one entry per distinct target, in first-seen order.
///
/// Serialised as `{"complete": bool, "items": [...], "failures": [...]}`, each item being
/// a [`DownloadReport`] or `{"target": ..., "error": "..."}`.
#[derive(Debug, Default)]
#[non_exhaustive]
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
                    kind: "target",
                }),
            }
        }
        out
    }

    /// The counts of the whole batch.
    pub fn totals(&self) -> Totals {
        let mut t = Totals::default();
        for (_, r) in &self.items {
            if let Ok(report) = r {
                t.add(&report.totals());
            } else {
                t.targets += 1;
                t.targets_failed += 1;
            }
        }
        t
    }

    /// The batch as pretty JSON (what `--report` writes).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }
}

impl Serialize for BatchReport {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(untagged)]
        enum Item<'a> {
            Report(&'a DownloadReport),
            Error { target: &'a Target, error: String },
        }
        #[derive(Serialize)]
        struct Fields<'a> {
            complete: bool,
            totals: Totals,
            items: Vec<Item<'a>>,
            failures: Vec<Failure>,
        }
        Fields {
            complete: self.all_succeeded(),
            totals: self.totals(),
            items: self
                .items
                .iter()
                .map(|(target, r)| match r {
                    Ok(report) => Item::Report(report),
                    Err(e) => Item::Error {
                        target,
                        error: e.to_string(),
                    },
                })
                .collect(),
            failures: self.failures(),
        }
        .serialize(s)
    }
}
