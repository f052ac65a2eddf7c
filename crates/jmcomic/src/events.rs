//! Progress events: what the CLI turns into progress bars or JSON lines.
//!
//! A [`Reporter`] only observes; it cannot fail or change the download (hooks do that).

use std::path::PathBuf;

use jmcomic_model::{JmId, Target};
use serde::{Serialize, Serializer};

use crate::failure::Cause;
use crate::report::{Output, PageOutcome};

/// One thing that happened during a download.
///
/// Serialised (the CLI's `--json` lines) with an `event` field naming the variant in
/// snake case (`page_done`, `stage_done`…).
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Event {
    /// A target (album or chapter) started.
    TargetStarted {
        /// What was asked for.
        target: Target,
    },
    /// An album's details are known.
    AlbumStarted {
        /// The target it is downloaded for (an album, or one of its chapters).
        target: Target,
        /// Album id.
        id: JmId,
        /// Title.
        name: String,
        /// Number of chapters to download.
        chapters: usize,
        /// Root directory.
        dir: PathBuf,
    },
    /// A chapter's page list is known.
    ChapterStarted {
        /// Album id.
        album: JmId,
        /// Chapter id.
        id: JmId,
        /// Title.
        name: String,
        /// Number of pages.
        pages: usize,
        /// Directory of its pages.
        dir: PathBuf,
    },
    /// A page finished (any outcome).
    PageDone {
        /// Album id.
        album: JmId,
        /// Chapter id.
        chapter: JmId,
        /// 1-based page index.
        index: u32,
        /// Path on disk.
        path: PathBuf,
        /// What happened.
        #[serde(flatten)]
        outcome: PageOutcome,
    },
    /// A chapter finished.
    ChapterDone {
        /// Album id.
        album: JmId,
        /// Chapter id.
        id: JmId,
        /// Whether every page is on disk.
        complete: bool,
    },
    /// A hook or plugin left a chapter out (nothing of it is downloaded).
    ChapterSkipped {
        /// Album id.
        album: JmId,
        /// Chapter id.
        id: JmId,
    },
    /// A chapter's page list could not be fetched.
    ChapterFailed {
        /// Album id.
        album: JmId,
        /// Chapter id.
        id: JmId,
        /// Why.
        reason: Cause,
    },
    /// An after-chapter or after-album stage (an export, a plugin) started.
    StageStarted {
        /// Album id.
        album: JmId,
        /// The chapter it runs for; `None` for the whole album.
        chapter: Option<JmId>,
        /// The stage (`export_pdf`, `plugin zip`…).
        stage: String,
    },
    /// A stage finished, with the files it made.
    StageDone {
        /// Album id.
        album: JmId,
        /// The chapter it ran for; `None` for the whole album.
        chapter: Option<JmId>,
        /// The stage.
        stage: String,
        /// Files it made (or kept from an earlier run).
        outputs: Vec<Output>,
    },
    /// A stage failed (the pages it would have used are still on disk).
    StageFailed {
        /// Album id.
        album: JmId,
        /// The chapter it ran for; `None` for the whole album.
        chapter: Option<JmId>,
        /// The stage.
        stage: String,
        /// Why.
        reason: Cause,
    },
    /// An album finished.
    AlbumDone {
        /// Album id.
        id: JmId,
        /// Whether every page is on disk.
        complete: bool,
    },
    /// A target is finished (its report may still list failed pages).
    TargetDone {
        /// What was asked for.
        target: Target,
        /// Whether everything of it is done.
        complete: bool,
    },
    /// A target failed outright (album missing, site unreachable…).
    TargetFailed {
        /// What was asked for.
        target: Target,
        /// Why.
        #[serde(serialize_with = "as_text")]
        reason: crate::Error,
    },
}

fn as_text<S: Serializer>(e: &crate::Error, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(e)
}

/// Receives [`Event`]s. Must be cheap and must not block: it runs on the download's tasks.
pub trait Reporter: Send + Sync {
    /// One event.
    fn event(&self, event: &Event);
}

/// A reporter that ignores everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoReporter;

impl Reporter for NoReporter {
    fn event(&self, _event: &Event) {}
}

impl<F: Fn(&Event) + Send + Sync> Reporter for F {
    fn event(&self, event: &Event) {
        self(event);
    }
}
