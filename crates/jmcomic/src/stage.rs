//! After-chapter and after-album stages: work on a chapter or an album once its pages are on
//! disk (exports, metadata files, notifications).
//!
//! Unlike [`Hooks`](crate::Hooks), which are quick callbacks on the download's tasks, a
//! [`Stage`] may take long (zipping a thousand pages, writing a PDF) and may fail: it runs
//! on a blocking thread, never on the async runtime's workers, at most
//! `download.threading.cpu` stages at once, and what it writes ([`Output`]) or why it failed
//! ([`StageFailure`](crate::StageFailure)) lands in the [`DownloadReport`]. A failing stage
//! never stops the download; it makes the report incomplete.
//!
//! Stages of a chapter run when that chapter is done, while other chapters of the album may
//! still be downloading; the album's stages run after every chapter. Two optional `before_*`
//! methods run before an album's chapters start and before a chapter's pages start (for work
//! that must come first, such as fetching a cover). Stages run in the order they were added.
//! When the download was stopped (Ctrl-C, a hook), no stage starts.
//!
//! ```
//! use jmcomic::stage::{AlbumDone, Stage, StageContext, StageResult};
//! use jmcomic::{Cause, Output};
//!
//! /// Writes the album's page list next to its pages.
//! struct PageList;
//!
//! impl Stage for PageList {
//!     fn name(&self) -> &str {
//!         "page_list"
//!     }
//!
//!     fn after_album(&self, cx: &StageContext, done: &AlbumDone) -> StageResult {
//!         let path = cx.album_dir.join("pages.txt");
//!         let list: Vec<String> = done
//!             .report
//!             .page_paths()
//!             .iter()
//!             .map(|p| p.display().to_string())
//!             .collect();
//!         std::fs::write(&path, list.join("\n")).map_err(|e| Cause::io("write", &path, e))?;
//!         Ok(vec![Output::new(self.name(), None, path, "txt")])
//!     }
//! }
//! # let _ = PageList;
//! ```

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use jmcomic_client::Client;
use jmcomic_model::{Album, Chapter, Kind, Target};

use crate::failure::Cause;
use crate::options::Options;
use crate::report::{ChapterReport, DownloadReport, Output};

/// What a stage made, or why it failed.
pub type StageResult = Result<Vec<Output>, StageError>;

/// Why a stage failed, and whether that should fail the whole download.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct StageError {
    /// Why.
    pub cause: Cause,
    /// When true, the download's result is an error ([`crate::Error::Stage`]) instead of a
    /// report with a failure: a plugin entry with `safe: false`. Pages already written stay;
    /// other targets of a batch go on.
    // Spec §3.7 (`safe`).
    pub fatal: bool,
}

impl StageError {
    /// A failure that fails the whole download.
    pub fn fatal(cause: Cause) -> Self {
        StageError { cause, fatal: true }
    }
}

impl From<Cause> for StageError {
    fn from(cause: Cause) -> Self {
        StageError {
            cause,
            fatal: false,
        }
    }
}

/// Work after a chapter or an album is downloaded. Every method has a no-op default.
///
/// Methods run on a blocking thread: they may do disk and CPU work, and may wait for the
/// network through [`StageContext::block_on`].
pub trait Stage: Send + Sync {
    /// A short name for reports and logs (`export_pdf`, `plugin zip`).
    fn name(&self) -> &str;

    /// Before an album's chapters start (after the `before_album` hooks let it go on).
    fn before_album(&self, cx: &StageContext) -> StageResult {
        let _ = cx;
        Ok(Vec::new())
    }

    /// Before a chapter's pages start (its page list is known, its directory exists).
    fn before_chapter(&self, cx: &StageContext, chapter: &Chapter) -> StageResult {
        let _ = (cx, chapter);
        Ok(Vec::new())
    }

    /// After a chapter's pages are done (check [`ChapterDone::report`]: some may have
    /// failed). Runs for the chapters of album downloads and for chapter downloads.
    fn after_chapter(&self, cx: &StageContext, done: &ChapterDone) -> StageResult {
        let _ = (cx, done);
        Ok(Vec::new())
    }

    /// After every chapter of the download is done. Runs for album downloads and for
    /// chapter downloads alike ([`StageContext::target`] says which).
    fn after_album(&self, cx: &StageContext, done: &AlbumDone) -> StageResult {
        let _ = (cx, done);
        Ok(Vec::new())
    }
}

impl<T: Stage + ?Sized> Stage for Arc<T> {
    fn name(&self) -> &str {
        (**self).name()
    }

    fn before_album(&self, cx: &StageContext) -> StageResult {
        (**self).before_album(cx)
    }

    fn before_chapter(&self, cx: &StageContext, chapter: &Chapter) -> StageResult {
        (**self).before_chapter(cx, chapter)
    }

    fn after_chapter(&self, cx: &StageContext, done: &ChapterDone) -> StageResult {
        (**self).after_chapter(cx, done)
    }

    fn after_album(&self, cx: &StageContext, done: &AlbumDone) -> StageResult {
        (**self).after_album(cx, done)
    }
}

/// What every stage of a download gets: the target, the album, the options and the means to
/// reach the site.
#[derive(Clone)]
#[non_exhaustive]
pub struct StageContext {
    /// What was asked for: an album download or a chapter download.
    pub target: Target,
    /// The album (for a chapter download, the chapter's album).
    pub album: Arc<Album>,
    /// The album's root directory (`dir_rule`).
    pub album_dir: PathBuf,
    /// The options of the download.
    pub options: Arc<Options>,
    /// The site client (for stages that fetch, such as covers).
    pub client: Client,
    runtime: tokio::runtime::Handle,
}

impl std::fmt::Debug for StageContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StageContext")
            .field("target", &self.target)
            .field("album", &self.album.id)
            .field("album_dir", &self.album_dir)
            .finish_non_exhaustive()
    }
}

impl StageContext {
    pub(crate) fn new(
        target: Target,
        album: Arc<Album>,
        album_dir: PathBuf,
        options: Arc<Options>,
        client: Client,
        runtime: tokio::runtime::Handle,
    ) -> Self {
        StageContext {
            target,
            album,
            album_dir,
            options,
            client,
            runtime,
        }
    }

    /// Whether the download is of a whole album (`false`: of one chapter).
    pub fn is_album_download(&self) -> bool {
        self.target.kind == Kind::Album
    }

    /// Runs a future (a client call) to completion from the stage's blocking thread.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }
}

/// A chapter that is done, for [`Stage::after_chapter`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ChapterDone {
    /// The chapter, with its page list.
    pub chapter: Chapter,
    /// What happened to its pages.
    pub report: ChapterReport,
}

/// A download whose chapters are all done, for [`Stage::after_album`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct AlbumDone {
    /// The chapters downloaded, with their page lists, in album order (chapters that
    /// failed before their page list was known are missing).
    pub chapters: Vec<Chapter>,
    /// The report so far: every chapter, and the outputs of the chapter stages and of the
    /// album stages that ran before this one.
    pub report: DownloadReport,
}

/// An ordered list of stages.
#[derive(Clone, Default)]
pub(crate) struct StageSet {
    stages: Vec<Arc<dyn Stage>>,
}

impl std::fmt::Debug for StageSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.stages.iter().map(|s| s.name().to_owned()))
            .finish()
    }
}

impl StageSet {
    pub(crate) fn push(&mut self, stage: Arc<dyn Stage>) {
        self.stages.push(stage);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.stages.is_empty()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Arc<dyn Stage>> {
        self.stages.iter()
    }
}
