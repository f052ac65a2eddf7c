//! The download pipeline: album → chapters → pages, under named limits.
//!
//! Data flows one way: the client fetches entities and page bytes; page bytes go to a
//! bounded pool of CPU workers (decode, descramble, encode: never on the async runtime's
//! threads); storage writes each page atomically. Hooks may skip or stop; the reporter only
//! observes.
//!
//! Limits (from `download.threading`): `album` albums of a batch at once, `photo` chapters
//! of an album at once, `image` pages of a chapter at once and `image × album` pages in
//! flight for the whole downloader (downloading, waiting for a CPU worker, or being
//! processed), `cpu` CPU workers. A page's bytes are held
//! only while it is in flight, so memory is bounded by these limits, not by album size.
//!
//! Cancel safety: dropping a download future (or cancelling its token) stops new work;
//! pages already handed to a CPU worker finish and are renamed into place complete; nothing
//! is ever left under a final page name half-written (see [`crate::storage`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use futures::StreamExt;
use jmcomic_client::Client;
use jmcomic_image::{EncodeSettings, Format, Limits, PageJob, PageOutput, Verify, Workspace};
use jmcomic_model::{Album, Chapter, Image, JmId, Kind, Target};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use crate::archive::{DownloadArchive, ExportEntry, PageEntry};
use crate::cpu::CpuPool;
use crate::error::{Error, Result};
use crate::events::{Event, NoReporter, Reporter};
use crate::failure::{Cause, Stop};
use crate::hooks::{Control, HookSet, Hooks};
use crate::naming::{sanitize_component, sanitize_file_stem};
use crate::options::Options;
use crate::plugin::usage::UsageMonitor;
use crate::plugin::{Cleanup, FeatureStage, Features, PluginRun, Plugins};
use crate::report::{
    BatchReport, ChapterReport, DownloadReport, Output, PageOutcome, PageRecord, StageFailure,
};
use crate::stage::{
    AlbumDone, ChapterDone, Stage, StageContext, StageError, StageResult, StageSet,
};
use crate::storage;

/// How many times a page whose bytes turn out undecodable is fetched again before it is
/// reported as failed. Network failures are retried by the client (domains × rounds); this
/// covers bodies that arrive complete but corrupt.
const CORRUPT_PAGE_REFETCHES: u32 = 2;

/// The name under which failures to update the download archive are reported.
const ARCHIVE_STAGE: &str = "download archive";

/// Builds a [`Downloader`]. See the [crate documentation](crate#builder) for an example.
#[must_use]
pub struct DownloaderBuilder {
    options: Options,
    client: Option<Client>,
    hooks: HookSet,
    stages: StageSet,
    features: Features,
    plugins: bool,
    dry_run: bool,
    reporter: Arc<dyn Reporter>,
    check_exception: bool,
    cancel: CancellationToken,
}

impl DownloaderBuilder {
    /// Exports for the downloads of this downloader: the Python package's `extra=`. Each
    /// runs after the album for an album download and after the chapter for a chapter
    /// download; their files are listed in the report.
    ///
    /// ```
    /// # fn f(options: jmcomic::Options) -> Result<(), jmcomic::Error> {
    /// use jmcomic::plugin::Feature;
    /// let downloader = jmcomic::Downloader::builder(options)
    ///     .extra(Feature::export_pdf() + Feature::export_cbz())
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    // Spec §5.1.
    pub fn extra(mut self, features: impl Into<Features>) -> Self {
        self.features = self.features.chain(features);
        self
    }

    /// Whether the option file's `plugins` run (default true, as in the Python package).
    pub fn plugins(mut self, yes: bool) -> Self {
        self.plugins = yes;
        self
    }

    /// A dry run: albums and chapters are looked up and every page's path computed and
    /// checked on disk, but no page is fetched, nothing is written (not even folders), and
    /// no export or plugin work runs. Pages that would be downloaded are reported as
    /// [`PageOutcome::Planned`](crate::PageOutcome::Planned).
    pub fn dry_run(mut self, yes: bool) -> Self {
        self.dry_run = yes;
        self
    }

    /// Uses this client instead of one built from the options.
    pub fn client(mut self, client: Client) -> Self {
        self.client = Some(client);
        self
    }

    /// Adds a hook (the Python package's `extra=` features and plugin groups).
    pub fn hook(mut self, hook: impl Hooks + 'static) -> Self {
        self.hooks.push(hook);
        self
    }

    /// Adds every hook of a set.
    pub fn hooks(mut self, hooks: &HookSet) -> Self {
        self.hooks.extend(hooks);
        self
    }

    /// Adds an after-chapter / after-album stage (an export, a metadata file…); stages run
    /// in the order they are added. See [`crate::stage`].
    pub fn stage(mut self, stage: impl Stage + 'static) -> Self {
        self.stages.push(Arc::new(stage));
        self
    }

    /// Adds a shared stage (so one value can be kept to inspect it afterwards).
    pub fn shared_stage(mut self, stage: Arc<dyn Stage>) -> Self {
        self.stages.push(stage);
        self
    }

    /// Receives progress events.
    pub fn reporter(mut self, reporter: impl Reporter + 'static) -> Self {
        self.reporter = Arc::new(reporter);
        self
    }

    /// Receives progress events through a shared handle.
    pub fn shared_reporter(mut self, reporter: Arc<dyn Reporter>) -> Self {
        self.reporter = reporter;
        self
    }

    /// When true (the Python default), a download with any failed page or chapter returns
    /// [`Error::Partial`] carrying the report; when false it returns the report. Batches
    /// never fail as a whole (as in the Python package).
    // Spec §1.1.
    pub fn check_exception(mut self, yes: bool) -> Self {
        self.check_exception = yes;
        self
    }

    /// A token that stops the download when cancelled (Ctrl-C).
    pub fn cancel_token(mut self, token: CancellationToken) -> Self {
        self.cancel = token;
        self
    }

    /// Builds the downloader (and its client, unless one was given). No network I/O; the
    /// base directory is created and checked for writing, so a bad `dir_rule.base_dir` is
    /// reported before anything is downloaded.
    ///
    /// The option file's plugins are loaded here (see [`crate::plugin`]): unknown keys and
    /// bad arguments are reported per `plugins.valid`, `after_init` settings applied, and
    /// `usage_log` started.
    pub fn build(mut self) -> Result<Downloader> {
        let plugins = if self.plugins {
            Some(Plugins::load(&mut self.options).map_err(Error::Plugin)?)
        } else {
            None
        };
        let o = &self.options;
        if !self.dry_run {
            check_writable(o.dir_rule.base_dir())?;
        }
        let deletions = plugins
            .as_ref()
            .map_or_else(Default::default, |p| Arc::clone(&p.deletions));
        let mut hooks = self.hooks;
        let mut stages = StageSet::default();
        if let Some(p) = &plugins {
            if let Some(h) = p.hooks().map_err(Error::Plugin)? {
                hooks.push(h);
            }
            for s in p.stages() {
                stages.push(s);
            }
        }
        for s in self.stages.iter() {
            stages.push(Arc::clone(s));
        }
        for f in self.features.iter() {
            stages.push(Arc::new(FeatureStage {
                feature: f.clone(),
                deletions: Arc::clone(&deletions),
            }));
        }
        if o.download.album_json {
            stages.push(Arc::new(crate::album_json::AlbumJson));
        }
        if self.dry_run {
            // Nothing is written in a dry run: no stage has anything to work on.
            stages = StageSet::default();
        }
        if !stages.is_empty() {
            stages.push(Arc::new(Cleanup {
                deletions,
                album_consumers: !self.features.is_empty()
                    || plugins.as_ref().is_some_and(Plugins::has_album_exports),
            }));
        }
        let archive = match &o.download.archive {
            Some(path) => {
                Some(DownloadArchive::open(path).map_err(|e| Error::Archive(Arc::new(e)))?)
            }
            None => None,
        };
        let usage = plugins
            .as_ref()
            .and_then(|p| p.usage.as_ref())
            .and_then(UsageMonitor::start);
        let client = match self.client {
            Some(c) => c,
            None => o.build_client()?,
        };
        let t = &o.download.threading;
        let img = &o.download.image;
        let target_format = img.suffix_format();
        Ok(Downloader {
            inner: Arc::new(Inner {
                claims: std::sync::Mutex::new(Claims::default()),
                client,
                hooks,
                stages,
                plugins: plugins.map(Arc::new),
                archive,
                dry_run: self.dry_run,
                _usage: usage,
                stage_slots: Arc::new(Semaphore::new(t.cpu.max(1))),
                reporter: self.reporter,
                check_exception: self.check_exception,
                cancel: self.cancel,
                albums: Arc::new(Semaphore::new(t.album.max(1))),
                albums_limit: t.album.max(1),
                images: Arc::new(Semaphore::new(
                    t.image.max(1).saturating_mul(t.album.max(1)),
                )),
                cpu: Arc::new(CpuPool::new(t.cpu.max(1)).map_err(|source| Error::Runtime {
                    what: "CPU workers",
                    source: Arc::new(source),
                })?),
                chapters_per_album: t.photo.max(1),
                pages_per_chapter: t.image.max(1),
                page: PageSettings {
                    cache: o.download.cache,
                    decode: img.decode,
                    target_format,
                    encode: img.encode_settings(),
                    verify: img.verify_mode(),
                    limits: Limits::default(),
                },
                options: Arc::new(self.options),
            }),
        })
    }
}

/// Creates `dir` if needed and checks a file can be written in it.
fn check_writable(dir: &Path) -> Result<()> {
    let fail = |source: std::io::Error| Error::BaseDir {
        path: dir.to_owned(),
        source: Arc::new(source),
    };
    std::fs::create_dir_all(dir).map_err(fail)?;
    let probe = dir.join(format!(
        ".jmcomic-write-test-{}{}",
        std::process::id(),
        storage::TEMP_SUFFIX
    ));
    std::fs::write(&probe, b"").map_err(fail)?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Downloads albums and chapters as the options say. Cheap to clone. See the
/// [crate documentation](crate#downloader) for an example.
#[derive(Clone)]
pub struct Downloader {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Downloader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Downloader")
            .field("hooks", &self.inner.hooks)
            .field("stages", &self.inner.stages)
            .finish_non_exhaustive()
    }
}

struct Inner {
    /// Page files and chapter directories this downloader writes (see [`Claims`]).
    claims: std::sync::Mutex<Claims>,
    options: Arc<Options>,
    client: Client,
    hooks: HookSet,
    /// After-chapter / after-album stages, in order.
    stages: StageSet,
    /// The option file's plugins (jobs run on request).
    plugins: Option<Arc<Plugins>>,
    /// The download archive, when one is configured.
    archive: Option<DownloadArchive>,
    /// Nothing is fetched or written ([`DownloaderBuilder::dry_run`]).
    dry_run: bool,
    /// The `usage_log` thread, stopped with the downloader.
    _usage: Option<UsageMonitor>,
    /// Stages running at once (`threading.cpu`): they are CPU and disk work.
    stage_slots: Arc<Semaphore>,
    reporter: Arc<dyn Reporter>,
    check_exception: bool,
    cancel: CancellationToken,
    /// Albums (targets) downloading at once, across all calls on this downloader.
    albums: Arc<Semaphore>,
    albums_limit: usize,
    /// Pages in flight across the whole downloader (`image × album`): fetched, waiting for
    /// a CPU worker or being processed. Bounds memory and the load on the CDN.
    images: Arc<Semaphore>,
    /// CPU workers.
    cpu: Arc<CpuPool>,
    chapters_per_album: usize,
    pages_per_chapter: usize,
    page: PageSettings,
}

/// What this downloader writes, so that two pages of a run never share a file (a `dir_rule`
/// without a chapter element, or titles that come out the same once made safe, would
/// otherwise make one page silently overwrite, or be taken for, another) and a directory's
/// leftover temporary files are swept only when no chapter still writes in it.
///
/// Kept for the downloader's life: about a hundred bytes per page.
#[derive(Default)]
struct Claims {
    /// Final page path → the page that owns it (`page {chapter}/{file}`).
    pages: HashMap<PathBuf, String>,
    /// Chapter directory → chapters writing in it now.
    dirs: HashMap<PathBuf, usize>,
}

/// The claiming order of an album's chapters: positions that have claimed (or given up),
/// and the first position that has not, which every later chapter waits for.
#[derive(Default)]
struct Turns {
    passed: std::sync::Mutex<std::collections::BTreeSet<usize>>,
    next: tokio::sync::watch::Sender<usize>,
}

/// One chapter's place in [`Turns`]; passes when dropped, so a chapter that fails, is
/// skipped or is cancelled before claiming never holds the later ones up.
struct Turn<'a> {
    position: usize,
    turns: &'a Turns,
}

impl Turn<'_> {
    /// Waits until every earlier chapter of the album has claimed or given up.
    async fn wait(&self) {
        let mut next = self.turns.next.subscribe();
        // Err only if the sender is gone, which cannot happen while `self` borrows it.
        let _ = next.wait_for(|&n| n >= self.position).await;
    }

    /// Marks this chapter's claim done.
    fn pass(&mut self) {
        let mut passed = self
            .turns
            .passed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if passed.insert(self.position) {
            let mut next = *self.turns.next.borrow();
            while passed.contains(&next) {
                next += 1;
            }
            self.turns.next.send_replace(next);
        }
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.pass();
    }
}

#[derive(Clone)]
struct PageSettings {
    cache: bool,
    decode: bool,
    target_format: Option<Format>,
    encode: EncodeSettings,
    verify: Verify,
    limits: Limits,
}

impl Downloader {
    /// A builder for these options.
    pub fn builder(options: Options) -> DownloaderBuilder {
        DownloaderBuilder {
            options,
            client: None,
            hooks: HookSet::new(),
            stages: StageSet::default(),
            features: Features::new(),
            plugins: true,
            dry_run: false,
            reporter: Arc::new(NoReporter),
            check_exception: true,
            cancel: CancellationToken::new(),
        }
    }

    /// A downloader with these options and defaults for everything else.
    pub fn new(options: Options) -> Result<Self> {
        Self::builder(options).build()
    }

    /// The options in use.
    pub fn options(&self) -> &Options {
        &self.inner.options
    }

    /// The client in use.
    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    /// Keeps what the client learnt about the domains for the next run (see
    /// [`crate::state`]): call it when the downloads are over. Where it was written; `None`
    /// when `client.state_file` is off or there was nothing to keep.
    pub fn save_state(&self) -> Result<Option<std::path::PathBuf>, crate::state::StateError> {
        self.options().save_state(&self.inner.client)
    }

    /// The token that stops this downloader.
    pub fn cancel_token(&self) -> &CancellationToken {
        &self.inner.cancel
    }

    /// Whether this is a dry run ([`DownloaderBuilder::dry_run`]).
    pub fn is_dry_run(&self) -> bool {
        self.inner.dry_run
    }

    /// The option file's plugins, when they were loaded.
    pub fn plugins(&self) -> Option<&Plugins> {
        self.inner.plugins.as_deref()
    }

    /// Runs the option file's `after_init` jobs (`find_update`, `subscribe_album_update`,
    /// `send_qq_email`, `login`…); the Python package runs them when the option is made.
    /// The `jmcomic` command runs them before the ids it is given. An entry with
    /// `safe: false` that fails makes this an error.
    pub async fn run_after_init(&self) -> Result<PluginRun> {
        self.run_plugin_group("after_init").await
    }

    /// Runs the jobs of a plugin group by name (the Python `option.call_all_plugin(group)`,
    /// e.g. `main` or `after_download`).
    pub async fn run_plugin_group(&self, group: &str) -> Result<PluginRun> {
        match &self.inner.plugins {
            Some(p) => p.run_group(group, self).await.map_err(Error::Plugin),
            None => Ok(PluginRun::default()),
        }
    }

    /// The same downloader with one more hook (plugin jobs that filter their own
    /// downloads). It shares the client, the limits and the CPU workers.
    pub(crate) fn with_extra_hook(&self, hook: Arc<dyn Hooks>) -> Downloader {
        let i = &self.inner;
        let mut hooks = i.hooks.clone();
        hooks.push_arc(hook);
        Downloader {
            inner: Arc::new(Inner {
                claims: std::sync::Mutex::new(Claims::default()),
                options: Arc::clone(&i.options),
                client: i.client.clone(),
                hooks,
                stages: i.stages.clone(),
                plugins: i.plugins.clone(),
                archive: i.archive.clone(),
                dry_run: i.dry_run,
                _usage: None,
                stage_slots: Arc::clone(&i.stage_slots),
                reporter: Arc::clone(&i.reporter),
                check_exception: false,
                cancel: i.cancel.clone(),
                albums: Arc::clone(&i.albums),
                albums_limit: i.albums_limit,
                images: Arc::clone(&i.images),
                cpu: Arc::clone(&i.cpu),
                chapters_per_album: i.chapters_per_album,
                pages_per_chapter: i.pages_per_chapter,
                page: i.page.clone(),
            }),
        }
    }

    fn event(&self, e: &Event) {
        self.inner.reporter.event(e);
    }

    /// Downloads an album: every chapter, every page.
    pub async fn album(&self, id: JmId) -> Result<DownloadReport> {
        let report = self.target(Target::album(id)).await?;
        self.finish(report)
    }

    /// Downloads one chapter (the Python package's `download_photo`).
    pub async fn chapter(&self, id: JmId) -> Result<DownloadReport> {
        let report = self.target(Target::chapter(id)).await?;
        self.finish(report)
    }

    /// Downloads many targets; duplicates are dropped (first one kept), the order is kept,
    /// and one target's failure never stops the others. The Python `download_batch` also
    /// drops duplicates but loses the order; here at most `download.threading.album`
    /// targets run at once.
    // Spec §1.3.
    pub async fn batch(&self, targets: impl IntoIterator<Item = Target>) -> BatchReport {
        let mut seen = std::collections::HashSet::new();
        let unique: Vec<(usize, Target)> = targets
            .into_iter()
            .filter(|t| seen.insert(*t))
            .enumerate()
            .collect();
        // Albums first, then chapters: a chapter that one of the batch's albums already
        // downloaded (`123 p456`, 456 being a chapter of 123) is not downloaded, nor counted,
        // twice; its report says which target covered it.
        let (albums, chapters): (Vec<_>, Vec<_>) =
            unique.into_iter().partition(|(_, t)| t.kind == Kind::Album);
        let mut items = self.run_targets(albums).await;
        let covered: HashMap<JmId, Target> = items
            .iter()
            .filter_map(|(_, (t, r))| r.as_ref().ok().map(|r| (*t, r)))
            .flat_map(|(t, r)| {
                r.chapters
                    .iter()
                    .filter(|c| !c.skipped)
                    .map(move |c| (c.id, t))
            })
            .collect();
        let (done, to_run): (Vec<_>, Vec<_>) = chapters
            .into_iter()
            .partition(|(_, t)| covered.contains_key(&t.id));
        for (i, t) in done {
            let by = covered[&t.id];
            self.event(&Event::TargetStarted { target: t });
            self.event(&Event::TargetDone {
                target: t,
                complete: true,
            });
            items.push((i, (t, Ok(DownloadReport::covered(t, by)))));
        }
        items.extend(self.run_targets(to_run).await);
        items.sort_by_key(|(i, _)| *i);
        BatchReport {
            items: items.into_iter().map(|(_, item)| item).collect(),
        }
    }

    /// Runs targets, at most `threading.album` at once; unordered, so one slow album never
    /// holds a slot another could use (the caller restores the order).
    async fn run_targets(
        &self,
        targets: Vec<(usize, Target)>,
    ) -> Vec<(usize, (Target, Result<DownloadReport>))> {
        futures::stream::iter(targets)
            .map(|(i, t)| async move { (i, (t, self.target(t).await)) })
            .buffer_unordered(self.inner.albums_limit)
            .collect()
            .await
    }

    fn finish(&self, report: DownloadReport) -> Result<DownloadReport> {
        if self.inner.check_exception && !report.is_complete() && !report.skipped {
            return Err(Error::Partial(Box::new(report)));
        }
        Ok(report)
    }

    /// One target, without the `check_exception` rule.
    async fn target(&self, target: Target) -> Result<DownloadReport> {
        let started = Instant::now();
        self.event(&Event::TargetStarted { target });
        let result = async {
            let _permit = self
                .inner
                .albums
                .acquire()
                .await
                .map_err(|_| Error::Cancelled)?;
            let mut report = DownloadReport::new(target);
            match target.kind {
                Kind::Album => {
                    let album = self.inner.client.album(target.id).await?;
                    let chapters = album.chapters();
                    self.run_album(&album, chapters, &mut report).await?;
                }
                Kind::Chapter => {
                    let fetched = self.inner.client.chapter(target.id).await?;
                    let album = self.inner.client.album(fetched.album_id).await?;
                    // Name and position come from the album's list, as in an album
                    // download, so both put the chapter in the same directory.
                    let mut chapter = album
                        .chapters()
                        .into_iter()
                        .find(|c| c.id == fetched.id)
                        .unwrap_or_else(|| fetched.clone());
                    chapter.complete_with(fetched);
                    self.run_album(&album, vec![chapter], &mut report).await?;
                }
            }
            report.duration = started.elapsed();
            if let Some(f) = report.stage_failures.iter().find(|f| f.fatal) {
                return Err(Error::Stage {
                    stage: f.stage.clone(),
                    cause: f.reason.clone(),
                    report: Box::new(report),
                });
            }
            Ok::<_, Error>(report)
        }
        .await;
        match &result {
            Ok(report) => self.event(&Event::TargetDone {
                target,
                complete: report.is_complete(),
            }),
            Err(e) => self.event(&Event::TargetFailed {
                target,
                reason: e.clone(),
            }),
        }
        result
    }

    async fn run_album(
        &self,
        album: &Album,
        chapters: Vec<Chapter>,
        report: &mut DownloadReport,
    ) -> Result<()> {
        report.album_id = Some(album.id);
        report.album_name = Some(album.name.clone());
        let album_dir = self.inner.options.dir_rule.album_dir(album)?;
        report.album_dir = Some(album_dir.clone());
        match self.inner.hooks.before_album(album) {
            Control::Continue => {}
            Control::Skip => {
                report.skipped = true;
                return Ok(());
            }
            Control::Stop => {
                self.inner.cancel.cancel();
                report.stopped = true;
                return Ok(());
            }
        }
        self.event(&Event::AlbumStarted {
            target: report.target,
            id: album.id,
            name: album.name.clone(),
            chapters: chapters.len(),
            dir: album_dir.clone(),
        });
        let cx = &StageContext::new(
            report.target,
            Arc::new(album.clone()),
            album_dir,
            Arc::clone(&self.inner.options),
            self.inner.client.clone(),
            tokio::runtime::Handle::current(),
        );
        if !self.inner.stages.is_empty() {
            let before = self
                .run_stages(cx, None, true, |stage, cx| stage.before_album(cx))
                .await;
            report.outputs.extend(before.outputs);
            report.stage_failures.extend(before.failures);
        }
        // Chapters claim their files in album order whatever order their page lists
        // arrive in, so with a rule that makes two chapters share files the same chapter
        // owns them on every run (a resumed run must not take one chapter's pages for
        // another's).
        let turns = &Turns::default();
        let mut runs: Vec<(usize, ChapterRun)> =
            futures::stream::iter(chapters.into_iter().enumerate())
                .map(|(i, c)| {
                    let turn = Turn { position: i, turns };
                    async move { (i, self.run_chapter(cx, album, c, turn).await) }
                })
                .buffer_unordered(self.inner.chapters_per_album)
                .collect()
                .await;
        runs.sort_by_key(|(i, _)| *i);
        let mut done_chapters = Vec::new();
        for (_, run) in runs {
            report.chapters.push(run.report);
            done_chapters.extend(run.chapter);
            report.outputs.extend(run.stages.outputs);
            report.stage_failures.extend(run.stages.failures);
        }
        report.stopped |= self.inner.cancel.is_cancelled();
        if !self.inner.stages.is_empty() {
            // Stages run one after the other; each sees what the earlier ones made.
            let done = std::sync::Mutex::new(AlbumDone {
                chapters: done_chapters,
                report: report.clone(),
            });
            let ran = self
                .run_stages(cx, None, false, move |stage, cx| {
                    let mut done = done
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    let result = stage.after_album(cx, &done);
                    if let Ok(outputs) = &result {
                        done.report.outputs.extend(outputs.iter().cloned());
                    }
                    result
                })
                .await;
            report.outputs.extend(ran.outputs);
            report.stage_failures.extend(ran.failures);
        }
        if let Some(dir) = &report.album_dir
            && !self.inner.dry_run
            && dir != self.inner.options.dir_rule.base_dir()
            && report
                .chapters
                .iter()
                .all(|c| c.pages.iter().all(|p| !p.outcome.is_on_disk()))
        {
            // Only removed when empty: nothing of this run is there.
            let _ = std::fs::remove_dir(dir);
        }
        if let Err(reason) = self.record_outputs(album.id, &report.outputs).await {
            report.stage_failures.push(StageFailure {
                stage: ARCHIVE_STAGE.to_owned(),
                chapter: None,
                reason,
                fatal: false,
            });
        }
        self.inner.hooks.after_album(album, report);
        self.event(&Event::AlbumDone {
            id: album.id,
            complete: report.is_complete(),
        });
        Ok(())
    }

    /// Runs every stage in order on a blocking thread, with events; nothing starts once the
    /// download is stopped. `quiet` (the `before_*` phases, which most stages leave empty)
    /// reports only what a stage made or why it failed, not that it started.
    async fn run_stages<F>(
        &self,
        cx: &StageContext,
        chapter: Option<JmId>,
        quiet: bool,
        call: F,
    ) -> StageRuns
    where
        F: Fn(&dyn Stage, &StageContext) -> StageResult + Send + Sync + 'static,
    {
        let mut runs = StageRuns::default();
        let call = Arc::new(call);
        let album = cx.album.id;
        for stage in self.inner.stages.iter() {
            if self.inner.cancel.is_cancelled() {
                break;
            }
            let Ok(_slot) = self.inner.stage_slots.acquire().await else {
                break;
            };
            let name = stage.name().to_owned();
            if !quiet {
                self.event(&Event::StageStarted {
                    album,
                    chapter,
                    stage: name.clone(),
                });
            }
            let (stage, cx, call) = (Arc::clone(stage), cx.clone(), Arc::clone(&call));
            let result = tokio::task::spawn_blocking(move || call(stage.as_ref(), &cx))
                .await
                .unwrap_or_else(|_| Err(Cause::plugin(format!("`{name}` panicked")).into()));
            match result {
                Ok(outputs) if quiet && outputs.is_empty() => {}
                Ok(outputs) => {
                    self.event(&Event::StageDone {
                        album,
                        chapter,
                        stage: name,
                        outputs: outputs.clone(),
                    });
                    runs.outputs.extend(outputs);
                }
                Err(StageError {
                    cause: reason,
                    fatal,
                }) => {
                    warn!(stage = %name, %reason, "stage failed");
                    self.event(&Event::StageFailed {
                        album,
                        chapter,
                        stage: name.clone(),
                        reason: reason.clone(),
                    });
                    runs.failures.push(StageFailure {
                        stage: name,
                        chapter,
                        reason,
                        fatal,
                    });
                }
            }
        }
        runs
    }

    async fn run_chapter(
        &self,
        cx: &StageContext,
        album: &Album,
        chapter: Chapter,
        turn: Turn<'_>,
    ) -> ChapterRun {
        let mut stages = StageRuns::default();
        let (report, chapter) = self
            .download_chapter(cx, album, chapter, turn, &mut stages)
            .await;
        if let Some(chapter) = &chapter
            && !self.inner.stages.is_empty()
        {
            let done = Arc::new(ChapterDone {
                chapter: chapter.clone(),
                report: report.clone(),
            });
            stages.extend(
                self.run_stages(cx, Some(chapter.id), false, move |stage, cx| {
                    stage.after_chapter(cx, &done)
                })
                .await,
            );
        }
        ChapterRun {
            report,
            chapter,
            stages,
        }
    }

    /// A chapter's pages; the chapter entity comes back when its pages were attempted (not
    /// when it failed or was skipped before).
    async fn download_chapter(
        &self,
        cx: &StageContext,
        album: &Album,
        mut chapter: Chapter,
        mut turn: Turn<'_>,
        stages: &mut StageRuns,
    ) -> (ChapterReport, Option<Chapter>) {
        let mut report =
            ChapterReport::new(chapter.id, chapter.name.clone(), chapter.album_index());
        let fail = |mut report: ChapterReport, reason: Cause| {
            self.event(&Event::ChapterFailed {
                album: album.id,
                id: report.id,
                reason: reason.clone(),
            });
            report.error = Some(reason);
            (report, None)
        };
        if self.inner.cancel.is_cancelled() {
            return fail(report, Cause::Stopped(Stop::NotStarted));
        }
        if chapter.pages.is_none() || chapter.scramble_id.is_none() {
            let completed = tokio::select! {
                r = self.inner.client.complete_chapter(&mut chapter) => r,
                () = self.inner.cancel.cancelled() => {
                    return fail(report, Cause::Stopped(Stop::NotStarted));
                }
            };
            if let Err(e) = completed {
                return fail(report, e.into());
            }
        }
        report.scramble_source = chapter.scramble_id.map(|s| s.source);
        let dir = match self.inner.options.dir_rule.chapter_dir(album, &chapter) {
            Ok(d) => d,
            Err(e) => return fail(report, e.into()),
        };
        report.dir = Some(dir.clone());
        match self.inner.hooks.before_chapter(album, &chapter) {
            Control::Continue => {}
            Control::Skip => {
                report.skipped = true;
                self.event(&Event::ChapterSkipped {
                    album: album.id,
                    id: chapter.id,
                });
                return (report, None);
            }
            Control::Stop => {
                self.inner.cancel.cancel();
                return fail(report, Cause::Stopped(Stop::ByHook));
            }
        }
        if !self.inner.dry_run
            && let Err(e) = tokio::fs::create_dir_all(&dir).await
        {
            return fail(report, Cause::io("create", &dir, e));
        }
        if !self.inner.stages.is_empty() {
            let before = Arc::new(chapter.clone());
            stages.extend(
                self.run_stages(cx, Some(chapter.id), true, move |stage, cx| {
                    stage.before_chapter(cx, &before)
                })
                .await,
            );
        }
        let images = chapter.images();
        self.event(&Event::ChapterStarted {
            album: album.id,
            id: chapter.id,
            name: chapter.name.clone(),
            pages: images.len(),
            dir: dir.clone(),
        });
        // Two pages of this run that come out with the same file (page names the site
        // should never send, titles that are the same once made safe, a dir_rule without a
        // chapter element) must not overwrite each other: the later one fails, saying why.
        // The same page asked for twice (`123` and `p123` in one batch) is not a clash.
        turn.wait().await;
        let clashes = self.claim(&chapter, &dir, &images);
        turn.pass();
        let archived = &self.archived_pages(chapter.id).await;
        let records = &{
            let d = dir.clone();
            tokio::task::spawn_blocking(move || storage::PageRecords::read(&d))
                .await
                .unwrap_or_default()
        };
        let chapter_ref = &chapter;
        let dir_ref = &dir;
        let clashes = &clashes;
        // Unordered: a slow page must not keep finished ones from freeing their slots
        // (ordered buffering would); the report is put back in page order.
        let mut pages: Vec<PageRecord> = futures::stream::iter(images)
            .map(|image| async move {
                if let Some(reason) = clashes.get(&image.index) {
                    self.fail_page(album, chapter_ref, dir_ref, &image, reason.clone())
                } else {
                    let recorded = archived.contains(&image.file_name);
                    self.run_page(album, chapter_ref, dir_ref, image, recorded, records)
                        .await
                }
            })
            .buffer_unordered(self.inner.pages_per_chapter)
            .collect()
            .await;
        pages.sort_by_key(|p| p.index);
        report.pages = pages;
        if self.inner.dry_run {
            // Nothing was written: nothing to record, sweep or remove.
            self.release_dir(&dir);
            self.inner.hooks.after_chapter(album, &chapter, &report);
            self.event(&Event::ChapterDone {
                album: album.id,
                id: chapter.id,
                complete: report.is_complete(),
            });
            return (report, Some(chapter));
        }
        if let Err(reason) = self.record_pages(album, &report).await {
            stages.failures.push(StageFailure {
                stage: ARCHIVE_STAGE.to_owned(),
                chapter: Some(chapter.id),
                reason,
                fatal: false,
            });
        }
        if self.release_dir(&dir) {
            let swept_dir = dir.clone();
            let nothing_here = report.pages.iter().all(|p| !p.outcome.is_on_disk());
            let _ = tokio::task::spawn_blocking(move || {
                storage::sweep_temp_files(&swept_dir);
                // A chapter with no page here (all recorded in the archive and moved, or all
                // failed) leaves no empty folder behind (removing fails unless empty).
                if nothing_here {
                    let _ = std::fs::remove_dir(&swept_dir);
                }
            })
            .await;
        }
        self.inner.hooks.after_chapter(album, &chapter, &report);
        self.event(&Event::ChapterDone {
            album: album.id,
            id: chapter.id,
            complete: report.is_complete(),
        });
        (report, Some(chapter))
    }

    /// Claims the chapter's directory and page files; returns the pages whose file another
    /// page of this run already claimed, with the reason they fail.
    fn claim(&self, chapter: &Chapter, dir: &Path, images: &[Image]) -> HashMap<u32, Cause> {
        let mut clashes = HashMap::new();
        let mut claims = self
            .inner
            .claims
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *claims.dirs.entry(dir.to_owned()).or_default() += 1;
        for image in images {
            let (path, _) = self.page_path(dir, image);
            let me = format!("page {}/{}", chapter.id, image.file_name);
            match claims.pages.get(&path) {
                None => {
                    claims.pages.insert(path, me);
                }
                Some(owner) if *owner == me => {}
                Some(owner) => {
                    let reason = Cause::NameClash {
                        path: path.clone(),
                        owner: owner.clone(),
                    };
                    clashes.insert(image.index, reason);
                }
            }
        }
        clashes
    }

    /// Releases a chapter's claim on its directory; true when no chapter of this run still
    /// writes in it (its leftover temporary files can then be swept).
    fn release_dir(&self, dir: &Path) -> bool {
        let mut claims = self
            .inner
            .claims
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match claims.dirs.get_mut(dir) {
            Some(n) if *n > 1 => {
                *n -= 1;
                false
            }
            _ => {
                claims.dirs.remove(dir);
                true
            }
        }
    }

    /// The file a page is saved as (named as the Python package names it): the CDN file
    /// stem, made safe, with the original suffix, or `download.image.suffix` (GIFs always
    /// keep `.gif`).
    // Spec §3.4.
    fn page_path(&self, dir: &Path, image: &Image) -> (PathBuf, Option<Format>) {
        let original = image.suffix();
        let target = if image.is_gif() {
            Some(Format::Gif)
        } else {
            self.inner
                .page
                .target_format
                .or_else(|| Format::from_suffix(&original))
        };
        let suffix = match (image.is_gif(), &self.inner.options.download.image.suffix) {
            (false, Some(s)) => s.clone(),
            _ => original,
        };
        // The whole name is made safe (the suffix too: it comes from the site).
        let name = sanitize_component(&format!("{}{suffix}", sanitize_file_stem(image.stem())));
        (dir.join(name), target)
    }

    /// The pages of a chapter the download archive records as done (empty without an
    /// archive; an archive that cannot be read now is warned about and ignored: the pages
    /// are then checked on disk as usual).
    async fn archived_pages(&self, chapter: JmId) -> std::collections::HashSet<String> {
        let Some(archive) = self.inner.archive.clone() else {
            return std::collections::HashSet::new();
        };
        match tokio::task::spawn_blocking(move || archive.pages_of_chapter(chapter)).await {
            Ok(Ok(pages)) => pages,
            Ok(Err(e)) => {
                warn!("download archive: cannot read chapter {chapter}: {e}");
                std::collections::HashSet::new()
            }
            Err(_) => std::collections::HashSet::new(),
        }
    }

    /// Records the chapter's pages on disk (written or reused) in the download archive.
    async fn record_pages(&self, album: &Album, report: &ChapterReport) -> Result<(), Cause> {
        let Some(archive) = self.inner.archive.clone() else {
            return Ok(());
        };
        let done: Vec<(u32, String, PathBuf)> = report
            .pages
            .iter()
            .filter(|p| p.outcome.is_on_disk())
            .map(|p| (p.index, p.file_name.clone(), p.path.clone()))
            .collect();
        if done.is_empty() {
            return Ok(());
        }
        let (album_id, chapter) = (album.id, report.id);
        let title = album.name.clone();
        tokio::task::spawn_blocking(move || {
            let entries: Vec<PageEntry> = done
                .into_iter()
                .map(|(index, file, path)| {
                    let size = std::fs::metadata(&path).map_or(0, |m| m.len());
                    PageEntry::new(album_id, chapter, index, file, path, size)
                })
                .collect();
            archive.record_album(album_id, &title)?;
            archive.record_pages(&entries)
        })
        .await
        .map_err(|_| Cause::Worker)?
        .map_err(|e| Cause::Archive(Arc::new(e)))
    }

    /// Records the files the download's stages made in the download archive.
    async fn record_outputs(&self, album: JmId, outputs: &[Output]) -> Result<(), Cause> {
        let Some(archive) = self.inner.archive.clone() else {
            return Ok(());
        };
        if outputs.is_empty() {
            return Ok(());
        }
        let entries: Vec<ExportEntry> = outputs
            .iter()
            .map(|o| {
                ExportEntry::new(
                    album,
                    o.chapter,
                    o.kind.clone(),
                    o.path.clone(),
                    "",
                    o.bytes,
                )
            })
            .collect();
        tokio::task::spawn_blocking(move || {
            entries.iter().try_for_each(|e| archive.record_export(e))
        })
        .await
        .map_err(|_| Cause::Worker)?
        .map_err(|e| Cause::Archive(Arc::new(e)))
    }

    async fn run_page(
        &self,
        album: &Album,
        chapter: &Chapter,
        dir: &Path,
        image: Image,
        archived: bool,
        records: &storage::PageRecords,
    ) -> PageRecord {
        let (path, target) = self.page_path(dir, &image);
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let page = PageAt {
            owner: records.owner(&file).map(|(c, n)| (c, n.to_owned())),
            record: RecordAs {
                dir: dir.to_owned(),
                file,
                chapter: chapter.id.get(),
                cdn_name: image.file_name.clone(),
            },
        };
        let outcome = match self.inner.hooks.before_image(chapter, &image, &path) {
            Control::Skip => PageOutcome::Skipped,
            Control::Stop => {
                self.inner.cancel.cancel();
                PageOutcome::Failed {
                    reason: Cause::Stopped(Stop::ByHook),
                }
            }
            Control::Continue => {
                self.fetch_page(chapter, &image, &path, target, archived, page)
                    .await
            }
        };
        self.finish_page(album, chapter, &image, path, outcome)
    }

    /// Records a page that is not attempted.
    fn fail_page(
        &self,
        album: &Album,
        chapter: &Chapter,
        dir: &Path,
        image: &Image,
        reason: Cause,
    ) -> PageRecord {
        let (path, _) = self.page_path(dir, image);
        let outcome = PageOutcome::Failed { reason };
        self.finish_page(album, chapter, image, path, outcome)
    }

    /// The end of every page: the `after_image` hook, the event, the report record.
    fn finish_page(
        &self,
        album: &Album,
        chapter: &Chapter,
        image: &Image,
        path: PathBuf,
        outcome: PageOutcome,
    ) -> PageRecord {
        self.inner
            .hooks
            .after_image(chapter, image, &path, &outcome);
        self.event(&Event::PageDone {
            album: album.id,
            chapter: chapter.id,
            index: image.index,
            path: path.clone(),
            outcome: outcome.clone(),
        });
        PageRecord {
            index: image.index,
            file_name: image.file_name.clone(),
            path,
            outcome,
        }
    }

    async fn fetch_page(
        &self,
        chapter: &Chapter,
        image: &Image,
        path: &Path,
        target: Option<Format>,
        archived: bool,
        at: PageAt,
    ) -> PageOutcome {
        let cancelled = || PageOutcome::Failed {
            reason: Cause::Stopped(Stop::NotDownloaded),
        };
        if self.inner.cancel.is_cancelled() {
            return cancelled();
        }
        // A file an earlier run wrote for another chapter's page (two albums' chapters
        // mapped to one folder by the rule) is never reused, nor overwritten.
        if let Some((owner, owner_page)) = &at.owner
            && (*owner, owner_page.as_str()) != (at.record.chapter, at.record.cdn_name.as_str())
        {
            return PageOutcome::Failed {
                reason: Cause::ForeignPage {
                    path: path.to_owned(),
                    owner: format!("page {owner}/{owner_page}"),
                    rule: self.inner.options.dir_rule.rule().to_owned(),
                },
            };
        }
        let page = &self.inner.page;
        let adopt = (at.owner.is_none() && !self.inner.dry_run).then(|| at.record.clone());
        if page.cache && self.existing_is_complete(path, adopt).await {
            return PageOutcome::Reused;
        }
        // Recorded as done and not where the rule puts it: the user moved (or removed) it;
        // the archive's word is what keeps it from being fetched again.
        if archived {
            return PageOutcome::Archived;
        }
        if self.inner.dry_run {
            return PageOutcome::Planned;
        }
        let Ok(_permit) = self.inner.images.acquire().await else {
            return cancelled();
        };
        let strips = match chapter.scramble_id {
            Some(s) if page.decode && !image.is_gif() => {
                jmcomic_image::strip_count(s.value, chapter.id.get(), image.stem())
            }
            _ => 0,
        };
        let mut last_error = Cause::Worker;
        for attempt in 0..=CORRUPT_PAGE_REFETCHES {
            let fetched = tokio::select! {
                r = self.inner.client.image_bytes_checked(image, |b| {
                    jmcomic_image::check_complete(b).map(|_| ()).map_err(|e| e.to_string())
                }) => r,
                () = self.inner.cancel.cancelled() => return cancelled(),
            };
            let bytes = match fetched {
                Ok(b) => b,
                Err(e) => return PageOutcome::Failed { reason: e.into() },
            };
            match self
                .process_and_write(bytes, strips, target, path, at.record.clone())
                .await
            {
                Ok(outcome) => return outcome,
                Err(PageError::Corrupt(reason)) if attempt < CORRUPT_PAGE_REFETCHES => {
                    warn!(page = %image.cdn_path(), %reason, "page bytes are corrupt; fetching again");
                    last_error = reason;
                }
                Err(PageError::Corrupt(reason) | PageError::Other(reason)) => {
                    return PageOutcome::Failed { reason };
                }
            }
        }
        PageOutcome::Failed { reason: last_error }
    }

    /// Whether a complete page is already at `path` (checked, not just present: a file left
    /// truncated by another tool is downloaded again).
    /// A complete file that no record claims (the Python package's, or an older run's) is
    /// recorded as this page's (`adopt`), so later albums sharing the folder are told.
    async fn existing_is_complete(&self, path: &Path, adopt: Option<RecordAs>) -> bool {
        let p = path.to_owned();
        let check = move |_: &mut Workspace| {
            let complete = match std::fs::read(&p) {
                Ok(bytes) => jmcomic_image::check_complete(&bytes).is_ok(),
                Err(_) => false,
            };
            if complete && let Some(r) = adopt {
                r.write();
            }
            complete
        };
        matches!(self.on_cpu(check).await, Some(true))
    }

    /// Decode/descramble/encode and the atomic write, on a CPU worker.
    async fn process_and_write(
        &self,
        bytes: Bytes,
        strips: u32,
        target: Option<Format>,
        path: &Path,
        record: RecordAs,
    ) -> std::result::Result<PageOutcome, PageError> {
        let settings = self.inner.page.clone();
        let path = path.to_owned();
        let work = move |ws: &mut Workspace| -> std::result::Result<PageOutcome, PageError> {
            // Without a known target format (a page without a suffix), keep what was sent.
            let Some(target) = target.or_else(|| jmcomic_image::sniff(&bytes)) else {
                return Err(PageError::Corrupt(
                    jmcomic_image::Error::UnknownFormat.into(),
                ));
            };
            let job = PageJob {
                bytes: &bytes,
                strips,
                target,
                settings: &settings.encode,
                limits: &settings.limits,
                verify: settings.verify,
            };
            let output = jmcomic_image::process_page_with(&job, ws).map_err(|e| {
                if e.is_corrupt_input() {
                    PageError::Corrupt(e.into())
                } else {
                    PageError::Other(e.into())
                }
            })?;
            let (data, reencoded): (&[u8], bool) = match &output {
                PageOutput::Encoded { bytes, .. } => (bytes, true),
                // Raw, and anything a newer image crate adds that is not an encoding.
                _ => (&bytes, false),
            };
            storage::write_atomic(&path, data)
                .map_err(|e| PageError::Other(Cause::io("write", &path, e)))?;
            record.write();
            Ok(PageOutcome::Written {
                downloaded: bytes.len() as u64,
                written: data.len() as u64,
                reencoded,
            })
        };
        match self.on_cpu(work).await {
            Some(r) => r,
            None => Err(PageError::Other(Cause::Worker)),
        }
    }

    /// Runs codec work on a CPU worker (never on the runtime's threads). `None` if the work
    /// panicked.
    async fn on_cpu<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Workspace) -> T + Send + 'static,
    ) -> Option<T> {
        let result = self.inner.cpu.run(f).await;
        if result.is_none() {
            debug!("a CPU job failed");
        }
        result
    }
}

/// A chapter's pages and the stages run on them.
struct ChapterRun {
    report: ChapterReport,
    /// The chapter with its page list, when its pages were attempted.
    chapter: Option<Chapter>,
    stages: StageRuns,
}

/// What the stages of one chapter or album made.
#[derive(Default)]
struct StageRuns {
    outputs: Vec<Output>,
    failures: Vec<StageFailure>,
}

impl StageRuns {
    fn extend(&mut self, other: StageRuns) {
        self.outputs.extend(other.outputs);
        self.failures.extend(other.failures);
    }
}

/// Where a page goes and whose file is there now (see [`storage::PAGE_RECORD`]).
struct PageAt {
    /// The chapter and CDN name the file at the page's path was written for, if recorded.
    owner: Option<(u64, String)>,
    /// How this page is recorded once written.
    record: RecordAs,
}

/// A line of a directory's page record.
#[derive(Clone)]
struct RecordAs {
    dir: PathBuf,
    file: String,
    chapter: u64,
    cdn_name: String,
}

impl RecordAs {
    /// Appends the line; a failure only costs the protection for this page, so it is
    /// logged, not reported.
    fn write(&self) {
        if let Err(e) = storage::record_page(&self.dir, &self.file, self.chapter, &self.cdn_name) {
            debug!(dir = %self.dir.display(), "cannot record page {}: {e}", self.file);
        }
    }
}

enum PageError {
    /// The bytes are not a valid image: fetching again may help.
    Corrupt(Cause),
    /// Anything else (disk full, unsupported conversion).
    Other(Cause),
}
