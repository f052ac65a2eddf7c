//! Loading plugin entries, the `safe` / `valid` policies, and wiring entries into hooks,
//! stages and jobs.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use jmcomic_model::{Album, Chapter, Image, JmId, Target};
use serde_json::Value;
use tracing::{info, warn};

use super::args::{Invalid, Kwargs};
use super::{PIPELINE_GROUPS, PLUGINS, PluginInfo, Support, plugin_info};
use crate::download::Downloader;
use crate::failure::Cause;
use crate::hooks::{Control, Hooks};
use crate::options::{Options, PluginEntry};
use crate::report::{BatchReport, Output, StageFailure};
use crate::stage::{AlbumDone, ChapterDone, Stage, StageContext, StageError, StageResult};

/// Why a plugin entry stopped the program: an unknown key or bad arguments under
/// `valid: raise`, or a failure of an entry with `safe: false` outside a download.
#[derive(Clone, Debug, thiserror::Error)]
#[error("plugin `{plugin}` (plugins.{group}): {message}")]
#[non_exhaustive]
pub struct PluginError {
    /// The plugin key.
    pub plugin: String,
    /// The group it is in.
    pub group: String,
    /// What is wrong.
    pub message: String,
    /// Whether the option file is to blame (unknown key, bad arguments) rather than the
    /// plugin's work.
    pub usage: bool,
}

/// What running plugin jobs did ([`Downloader::run_after_init`],
/// [`Downloader::run_plugin_group`]).
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct PluginRun {
    /// Files made (mails have none).
    pub outputs: Vec<Output>,
    /// Entries that failed (with `safe: true`; others make the run an error).
    pub failures: Vec<StageFailure>,
    /// Downloads the jobs made (`find_update`, `subscribe_album_update`).
    pub downloads: Vec<BatchReport>,
    /// What the jobs found, for people (`album 123: 2 new chapters`).
    pub notes: Vec<String>,
}

impl PluginRun {
    /// Whether no entry failed and every download the jobs made is complete.
    pub fn is_complete(&self) -> bool {
        self.failures.is_empty() && self.downloads.iter().all(BatchReport::all_succeeded)
    }

    /// The entries' own failures, described for people and bots (the failures of the
    /// downloads they made are in [`PluginRun::downloads`]).
    pub fn entry_failures(&self) -> Vec<crate::report::Failure> {
        self.failures
            .iter()
            .map(|f| crate::report::Failure::of(f.stage.clone(), &f.reason))
            .collect()
    }

    fn absorb(&mut self, other: PluginRun) {
        self.outputs.extend(other.outputs);
        self.failures.extend(other.failures);
        self.downloads.extend(other.downloads);
        self.notes.extend(other.notes);
    }
}

/// How bad arguments and unknown keys are handled (`plugins.valid`, an entry's `valid`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Valid {
    Ignore,
    Log,
    Raise,
}

impl Valid {
    fn parse(text: &str) -> Option<Valid> {
        match text.trim().to_ascii_lowercase().as_str() {
            "ignore" => Some(Valid::Ignore),
            "log" => Some(Valid::Log),
            "raise" => Some(Valid::Raise),
            _ => None,
        }
    }
}

/// Why an entry did not do its work.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Its arguments are wrong (the `valid` policy applies).
    Invalid(Invalid),
    /// Its work failed (the `safe` policy applies).
    Failed(Cause),
}

impl From<Invalid> for Failure {
    fn from(e: Invalid) -> Self {
        Failure::Invalid(e)
    }
}

impl From<Cause> for Failure {
    fn from(e: Cause) -> Self {
        Failure::Failed(e)
    }
}

/// One loaded entry of the option file.
#[derive(Debug)]
pub(crate) struct Entry {
    pub group: String,
    /// Position in its group's list.
    pub index: usize,
    pub info: &'static PluginInfo,
    pub raw: PluginEntry,
    pub valid: Valid,
}

impl Entry {
    pub(crate) fn key(&self) -> &'static str {
        self.info.key
    }

    /// The arguments, `${ENV}` expanded now (the Python package does it when the plugin is
    /// invoked, so a file naming an unset variable loads, and fails only if it runs).
    pub(crate) fn kwargs(&self) -> Result<Kwargs, Failure> {
        // Every missing variable at once, so one run tells the user all of them.
        let mut missing = Vec::new();
        let mut map = self.raw.kwargs.clone();
        for v in map.values_mut() {
            if let Value::String(s) = v {
                match crate::options::expand_env(s, &crate::options::process_env) {
                    Ok(e) => *s = e,
                    Err(_) => missing.extend(
                        crate::options::env_names(s)
                            .into_iter()
                            .filter(|n| std::env::var(n).is_err()),
                    ),
                }
            }
        }
        if !missing.is_empty() {
            missing.sort();
            missing.dedup();
            return Err(Cause::plugin(format!(
                "plugin `{}`: its kwargs use environment variables that are not set: {}",
                self.key(),
                missing
                    .iter()
                    .map(|m| format!("${{{m}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .into());
        }
        Ok(Kwargs::new(self.key(), map))
    }

    /// Whether the plugin's own log lines are wanted (`log: false` silences them).
    pub(crate) fn logs(&self) -> bool {
        self.raw.log
    }

    /// The stage name in reports: `plugin zip`.
    pub(crate) fn stage_name(&self) -> String {
        format!("plugin {}", self.key())
    }

    fn error(&self, message: String, usage: bool) -> PluginError {
        PluginError {
            plugin: self.key().to_owned(),
            group: self.group.clone(),
            message,
            usage,
        }
    }

    /// The policies applied to a failure inside a download: bad arguments per `valid`
    /// (nothing, a warning, or a fatal error), a failed job per `safe` (a reported failure,
    /// or a fatal one).
    pub(crate) fn judge(&self, failure: Failure) -> StageResult {
        match failure {
            Failure::Invalid(e) => match self.valid {
                Valid::Ignore => Ok(Vec::new()),
                Valid::Log => {
                    warn!("{e} (plugins.{}; skipped)", self.group);
                    Ok(Vec::new())
                }
                Valid::Raise => Err(StageError::fatal(Cause::plugin(e.to_string()))),
            },
            Failure::Failed(cause) if self.raw.safe => Err(cause.into()),
            Failure::Failed(cause) => Err(StageError::fatal(cause)),
        }
    }

    /// The policies applied when the plugins are set up: `Ok(None)` when the entry is
    /// skipped (with a warning unless `valid: ignore`), an error when it must stop.
    fn judge_setup<T>(&self, result: Result<T, Failure>) -> Result<Option<T>, PluginError> {
        match result {
            Ok(v) => Ok(Some(v)),
            Err(Failure::Invalid(e)) => match self.valid {
                Valid::Ignore => Ok(None),
                Valid::Log => {
                    warn!("{e} (plugins.{}; skipped)", self.group);
                    Ok(None)
                }
                Valid::Raise => Err(self.error(e.0, true)),
            },
            Err(Failure::Failed(cause)) if self.raw.safe => {
                warn!(
                    "plugin `{}` (plugins.{}) failed: {cause}",
                    self.key(),
                    self.group
                );
                Ok(None)
            }
            Err(Failure::Failed(cause)) => Err(self.error(cause.to_string(), false)),
        }
    }
}

/// What the `download_progress` plugin asks of the program showing the download.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProgressWish {
    /// Where the full log goes (`log_file`, default `jmcomic-download.log`).
    pub log_file: PathBuf,
    /// Log lines kept above the bars (`terminal_log_lines`, default 6).
    pub terminal_log_lines: u64,
}

/// The `log_topic_filter` plugin's whitelist.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TopicFilter {
    /// `whitelist: null`: every line.
    All,
    /// Only lines of these topics (`album.before`, `photo`, `plugin`…); a topic also lets
    /// its sub-topics through.
    Only(Vec<String>),
}

/// The `usage_log` plugin's settings.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct UsageWish {
    pub interval: f64,
    pub warnings: bool,
    pub cpu_percent: f64,
    pub mem_percent: f64,
    pub threads: u64,
}

/// Pages exports asked to delete (`delete_original_file`), kept until every export of the
/// download that uses them is done (see [`Cleanup`]).
#[derive(Debug, Default)]
pub(crate) struct Deletions {
    pending: Mutex<HashMap<(Target, JmId), PendingDeletion>>,
}

#[derive(Debug, Default)]
struct PendingDeletion {
    /// Pages, by chapter (so a chapter's can go once no album export needs them).
    pages: HashMap<JmId, Vec<PathBuf>>,
    /// Directories to remove if they end up empty.
    dirs: Vec<PathBuf>,
    /// An export over these pages failed: keep everything.
    blocked: Vec<String>,
}

impl Deletions {
    /// Asks for `pages` of `chapter` (and their directory) to be deleted once the download's
    /// exports are done.
    pub(crate) fn request(
        &self,
        cx: &StageContext,
        chapter: JmId,
        pages: Vec<PathBuf>,
        dir: Option<PathBuf>,
    ) {
        let mut pending = self
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = pending.entry((cx.target, cx.album.id)).or_default();
        entry.pages.entry(chapter).or_default().extend(pages);
        entry.dirs.extend(dir);
    }

    /// Records that an export over this download's pages failed: no page is deleted.
    pub(crate) fn block(&self, cx: &StageContext, why: String) {
        let mut pending = self
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        pending
            .entry((cx.target, cx.album.id))
            .or_default()
            .blocked
            .push(why);
    }

    fn take_chapter(&self, cx: &StageContext, chapter: JmId) -> (Vec<PathBuf>, bool) {
        let mut pending = self
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match pending.get_mut(&(cx.target, cx.album.id)) {
            Some(p) => (
                p.pages.remove(&chapter).unwrap_or_default(),
                !p.blocked.is_empty(),
            ),
            None => (Vec::new(), false),
        }
    }

    fn take_all(&self, cx: &StageContext) -> Option<PendingDeletion> {
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&(cx.target, cx.album.id))
    }
}

/// The last stage: deletes the pages exports asked to delete, once nothing else of the
/// download needs them.
pub(crate) struct Cleanup {
    pub deletions: Arc<Deletions>,
    /// Whether album-level exports read pages after the chapters are done: then chapters'
    /// pages wait for the album.
    pub album_consumers: bool,
}

impl Stage for Cleanup {
    fn name(&self) -> &'static str {
        "delete_original_file"
    }

    fn after_chapter(&self, cx: &StageContext, done: &ChapterDone) -> StageResult {
        if self.album_consumers && cx.is_album_download() {
            return Ok(Vec::new());
        }
        let (pages, blocked) = self.deletions.take_chapter(cx, done.chapter.id);
        if !blocked {
            delete_pages(&pages);
        }
        Ok(Vec::new())
    }

    fn after_album(&self, cx: &StageContext, _done: &AlbumDone) -> StageResult {
        let Some(pending) = self.deletions.take_all(cx) else {
            return Ok(Vec::new());
        };
        if !pending.blocked.is_empty() {
            warn!(
                "pages of album {} are kept (delete_original_file): {}",
                cx.album.id,
                pending.blocked.join("; ")
            );
            return Ok(Vec::new());
        }
        let pages: Vec<PathBuf> = pending.pages.into_values().flatten().collect();
        delete_pages(&pages);
        let mut dirs = pending.dirs;
        // Deepest first, and only directories that ended up empty.
        dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
        dirs.dedup();
        for d in dirs {
            crate::storage::remove_dir_if_only_record(&d);
        }
        // The album's own folder too, once empty (never the base directory).
        if cx.album_dir != cx.options.dir_rule.base_dir() {
            let _ = std::fs::remove_dir(&cx.album_dir);
        }
        Ok(Vec::new())
    }
}

fn delete_pages(pages: &[PathBuf]) {
    let mut removed = 0;
    let mut dirs: Vec<PathBuf> = Vec::new();
    for p in pages {
        match std::fs::remove_file(p) {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => warn!("cannot delete {}: {e}", p.display()),
        }
        if let Some(d) = p.parent()
            && !dirs.iter().any(|x| x == d)
        {
            dirs.push(d.to_owned());
        }
    }
    for d in dirs {
        // Only removed when nothing but the page record is left (something else may live
        // there).
        crate::storage::remove_dir_if_only_record(&d);
    }
    if removed > 0 {
        info!("delete_original_file: deleted {removed} page(s) after their export was checked");
    }
}

/// Decisions per chapter and page from plugins (`image_suffix_filter`,
/// `skip_photo_with_few_images`).
#[derive(Debug, Default)]
pub(crate) struct PluginHooks {
    /// Allowed original suffixes, lower case with the dot.
    pub suffixes: Option<Vec<String>>,
    /// Fewest pages a chapter needs, checked before the chapter.
    pub chapter_min: Option<(u64, bool)>,
    /// Fewest pages a chapter needs, checked per page.
    pub image_min: Option<(u64, bool)>,
}

impl Hooks for PluginHooks {
    fn before_chapter(&self, _album: &Album, chapter: &Chapter) -> Control {
        if let Some((min, log)) = self.chapter_min {
            let n = chapter.page_count().unwrap_or(0) as u64;
            if n < min {
                if log {
                    info!(
                        "skip_photo_with_few_images: chapter {} has {n} page(s), fewer than {min}: skipped",
                        chapter.id
                    );
                }
                return Control::Skip;
            }
        }
        Control::Continue
    }

    fn before_image(&self, chapter: &Chapter, image: &Image, _path: &std::path::Path) -> Control {
        if let Some((min, _)) = self.image_min
            && (chapter.page_count().unwrap_or(0) as u64) < min
        {
            return Control::Skip;
        }
        if let Some(allowed) = &self.suffixes
            && !allowed.contains(&image.suffix())
        {
            return Control::Skip;
        }
        Control::Continue
    }
}

/// A work plugin entry as a stage.
pub(crate) struct EntryStage {
    pub entry: Arc<Entry>,
    pub name: String,
    pub deletions: Arc<Deletions>,
}

impl EntryStage {
    fn run(&self, cx: &StageContext, scope: super::work::Scope<'_>) -> StageResult {
        let result = super::work::run_entry(&self.entry, cx, scope, &self.deletions);
        // Only a failed export over the pages keeps them (a mail that failed does not).
        if result.is_err() && super::exports::ExportKey::from_plugin(self.entry.key()).is_some() {
            self.deletions
                .block(cx, format!("{} did not complete", self.name));
        }
        result.or_else(|f| self.entry.judge(f))
    }
}

impl Stage for EntryStage {
    fn name(&self) -> &str {
        &self.name
    }

    fn before_album(&self, cx: &StageContext) -> StageResult {
        if self.entry.group != "before_album" || !cx.is_album_download() {
            return Ok(Vec::new());
        }
        self.run(cx, super::work::Scope::BeforeAlbum)
    }

    fn before_chapter(&self, cx: &StageContext, chapter: &Chapter) -> StageResult {
        if self.entry.group != "before_photo" {
            return Ok(Vec::new());
        }
        self.run(cx, super::work::Scope::BeforeChapter(chapter))
    }

    fn after_chapter(&self, cx: &StageContext, done: &ChapterDone) -> StageResult {
        if self.entry.group != "after_photo" {
            return Ok(Vec::new());
        }
        self.run(cx, super::work::Scope::Chapter(done))
    }

    fn after_album(&self, cx: &StageContext, done: &AlbumDone) -> StageResult {
        if self.entry.group != "after_album" || !cx.is_album_download() {
            return Ok(Vec::new());
        }
        self.run(cx, super::work::Scope::Album(done))
    }
}

/// The plugins of an option file, loaded and checked: what the download uses (hooks,
/// stages, settings) and the jobs run on request. Built by
/// [`DownloaderBuilder::build`](crate::DownloaderBuilder::build), and available from
/// [`Downloader::plugins`](crate::Downloader::plugins); [`Plugins::load`] checks an option
/// file's plugins without building a downloader.
///
/// ```
/// use jmcomic::Options;
/// use jmcomic::plugin::Plugins;
///
/// let mut options = Options::from_yaml_str(
///     "
/// plugins:
///   after_init:
///     - plugin: find_update
///       kwargs:
///         421925: 421926
///     - plugin: download_progress
///   after_album:
///     - plugin: img2pdf
///       kwargs:
///         pdf_dir: /comics/pdf
/// ",
/// )?;
/// let plugins = Plugins::load(&mut options)?;
/// // `find_update` is a job: `Downloader::run_after_init` runs it.
/// assert!(plugins.has_jobs("after_init"));
/// // `download_progress` asks for progress bars and a log file.
/// assert!(plugins.progress().is_some());
///
/// // A misspelt key is an error under `valid: raise` (a warning by default).
/// let mut typo = Options::from_yaml_str(
///     "plugins:\n  valid: raise\n  after_album:\n    - plugin: img2pfd\n",
/// )?;
/// let err = Plugins::load(&mut typo).unwrap_err();
/// assert!(err.usage && err.plugin == "img2pfd");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Plugins {
    entries: Vec<Arc<Entry>>,
    pub(crate) deletions: Arc<Deletions>,
    progress: Option<ProgressWish>,
    log_topics: Option<TopicFilter>,
    pub(crate) usage: Option<UsageWish>,
}

impl Plugins {
    /// Loads every entry of `options.plugins`, checks keys and placement, applies the
    /// `after_init` settings to `options` (retries, path replacements), and says which
    /// entries cannot apply here (one warning line each).
    pub fn load(options: &mut Options) -> Result<Plugins, PluginError> {
        let default_valid = Valid::parse(&options.plugins.valid).unwrap_or_else(|| {
            warn!(
                "plugins.valid `{}` is not one of ignore, log, raise: using log",
                options.plugins.valid
            );
            Valid::Log
        });
        if let Some(s) = &options.plugins.dependencies_strategy {
            // Every plugin is built in: nothing to check or install.
            tracing::debug!("plugins.dependencies_strategy `{s}`: every plugin is built in");
        }
        let mut plugins = Plugins {
            entries: Vec::new(),
            deletions: Arc::new(Deletions::default()),
            progress: None,
            log_topics: None,
            usage: None,
        };
        let groups = options.plugins.groups.clone();
        for (group, list) in &groups {
            for (index, raw) in list.iter().enumerate() {
                let valid = match raw.valid.as_deref() {
                    Some(v) => Valid::parse(v).unwrap_or(default_valid),
                    None => default_valid,
                };
                let Some(info) = plugin_info(&raw.plugin) else {
                    let message = unknown_message(&raw.plugin);
                    match valid {
                        Valid::Ignore => {}
                        Valid::Log => warn!("{message} (plugins.{group}; skipped)"),
                        Valid::Raise => {
                            return Err(PluginError {
                                plugin: raw.plugin.clone(),
                                group: group.clone(),
                                message,
                                usage: true,
                            });
                        }
                    }
                    continue;
                };
                let entry = Entry {
                    group: group.clone(),
                    index,
                    info,
                    raw: raw.clone(),
                    valid,
                };
                if let Err(message) = placement(info, group)
                    && entry
                        .judge_setup::<()>(Err(Invalid(message).into()))?
                        .is_none()
                {
                    continue;
                }
                if info.support == Support::NotApplicable {
                    warn!(
                        "plugin `{}` (plugins.{group}) is accepted but does not run here: {}",
                        info.key, info.summary
                    );
                    continue;
                }
                if group == "after_init" && plugins.apply_setting(&entry, options)? {
                    continue;
                }
                plugins.entries.push(Arc::new(entry));
            }
        }
        Ok(plugins)
    }

    /// Applies an `after_init` setting plugin; `Ok(true)` when the entry was one.
    fn apply_setting(&mut self, entry: &Entry, options: &mut Options) -> Result<bool, PluginError> {
        let kwargs = || entry.kwargs();
        match entry.key() {
            "advanced_retry" => {
                let r = kwargs().and_then(|k| {
                    let cfg = k
                        .dict("retry_config")?
                        .ok_or_else(|| k.problem("kwargs.retry_config must be a mapping"))?;
                    let rounds = cfg.get("retry_rounds").and_then(Value::as_u64);
                    Ok(rounds)
                });
                if let Some(Some(rounds)) = entry.judge_setup(r)? {
                    // Python: `retry_rounds` rounds over the domain list in all; here
                    // `retry_times` counts the rounds after the first.
                    options.client.retry_times = u32::try_from(rounds.saturating_sub(1))
                        .unwrap_or(u32::MAX)
                        .min(100);
                }
                Ok(true)
            }
            "replace_path_string" => {
                let r = kwargs().and_then(|k| {
                    let map = k
                        .dict("replace")?
                        .ok_or_else(|| k.problem("kwargs.replace must be a mapping {old: new}"))?;
                    Ok(map
                        .iter()
                        .filter_map(|(old, new)| {
                            super::args::value_text(new).map(|n| (old.clone(), n))
                        })
                        .collect::<Vec<_>>())
                });
                if let Some(pairs) = entry.judge_setup(r)? {
                    let mut all = options.dir_rule.replacements().to_vec();
                    all.extend(pairs);
                    options.dir_rule = options.dir_rule.with_replacements(all);
                }
                Ok(true)
            }
            "download_progress" => {
                if let Some(p) = entry.judge_setup(kwargs().and_then(|k| progress_wish(&k)))? {
                    self.progress = Some(p);
                }
                Ok(true)
            }
            "log_topic_filter" => {
                if let Some(t) = entry.judge_setup(kwargs().and_then(|k| topic_filter(&k)))? {
                    self.log_topics = Some(t);
                }
                Ok(true)
            }
            "usage_log" => {
                let r = kwargs().and_then(|k| {
                    Ok(UsageWish {
                        interval: k.f64("interval")?.unwrap_or(1.0).max(0.1),
                        warnings: k.bool("enable_warning", true)?,
                        cpu_percent: k.f64("warning_cpu_percent")?.unwrap_or(70.0),
                        mem_percent: k.f64("warning_mem_percent")?.unwrap_or(70.0),
                        threads: k.u64("warning_thread_count")?.unwrap_or(100),
                    })
                });
                if let Some(u) = entry.judge_setup(r)? {
                    self.usage = Some(u);
                }
                Ok(true)
            }
            // Decisions are read when the hooks are made; jobs run on request.
            _ => Ok(false),
        }
    }

    /// The decisions plugins make per chapter and page, if any plugin makes one.
    pub(crate) fn hooks(&self) -> Result<Option<PluginHooks>, PluginError> {
        let mut hooks = PluginHooks::default();
        let mut any = false;
        for e in &self.entries {
            match (e.key(), e.group.as_str()) {
                ("image_suffix_filter", _) => {
                    let r = e.kwargs().and_then(|k| {
                        Ok(k.str_list("allowed_orig_suffix")?.map(|l| {
                            l.iter()
                                .map(|s| {
                                    let s = s.trim().to_ascii_lowercase();
                                    if s.starts_with('.') {
                                        s
                                    } else {
                                        format!(".{s}")
                                    }
                                })
                                .collect::<Vec<_>>()
                        }))
                    });
                    if let Some(Some(list)) = e.judge_setup(r)? {
                        hooks.suffixes.get_or_insert_with(Vec::new).extend(list);
                        any = true;
                    }
                }
                ("skip_photo_with_few_images", group) => {
                    let r = e.kwargs().and_then(|k| {
                        k.u64("at_least_image_count")?.ok_or_else(|| {
                            k.problem("kwargs.at_least_image_count is required").into()
                        })
                    });
                    if let Some(min) = e.judge_setup(r)? {
                        let slot = if group == "before_image" {
                            &mut hooks.image_min
                        } else {
                            &mut hooks.chapter_min
                        };
                        *slot = Some((min, e.logs()));
                        any = true;
                    }
                }
                _ => {}
            }
        }
        Ok(any.then_some(hooks))
    }

    /// The stages of work plugins in the download's groups, in file order.
    pub(crate) fn stages(&self) -> Vec<Arc<dyn Stage>> {
        self.entries
            .iter()
            .filter(|e| {
                matches!(
                    e.group.as_str(),
                    "before_album" | "after_album" | "before_photo" | "after_photo"
                ) && !matches!(e.key(), "skip_photo_with_few_images")
            })
            .map(|e| {
                Arc::new(EntryStage {
                    entry: Arc::clone(e),
                    name: e.stage_name(),
                    deletions: Arc::clone(&self.deletions),
                }) as Arc<dyn Stage>
            })
            .collect()
    }

    /// Whether album-level entries read the download's pages after its chapters (so pages
    /// that chapter exports asked to delete must wait for them).
    pub(crate) fn has_album_exports(&self) -> bool {
        self.entries.iter().any(|e| {
            e.group == "after_album"
                && matches!(
                    e.key(),
                    "zip" | "img2pdf" | "long_img" | "cbz" | "calibre_metadata"
                )
        })
    }

    /// What the `download_progress` plugin asks for, if it is configured.
    pub fn progress(&self) -> Option<&ProgressWish> {
        self.progress.as_ref()
    }

    /// The `log_topic_filter` whitelist, when the plugin is configured.
    pub fn log_topics(&self) -> Option<&TopicFilter> {
        self.log_topics.as_ref()
    }

    /// Whether a group holds entries that run when it is run by hand.
    pub fn has_jobs(&self, group: &str) -> bool {
        self.entries.iter().any(|e| e.group == group && is_job(e))
    }

    /// Runs the entries of `group` that do work on their own (jobs: `find_update`,
    /// `subscribe_album_update`, `send_qq_email`, `login`…). For `after_init`, the settings
    /// were applied when the downloader was built; only its jobs run here.
    pub(crate) async fn run_group(
        &self,
        group: &str,
        downloader: &Downloader,
    ) -> Result<PluginRun, PluginError> {
        let mut run = PluginRun::default();
        for e in self
            .entries
            .iter()
            .filter(|e| e.group == group && is_job(e))
        {
            let result = super::updates::run_job(e, downloader).await;
            match result {
                Ok(done) => run.absorb(done),
                Err(failure) => match e.judge(failure) {
                    Ok(_) => {}
                    Err(StageError { cause, fatal }) => {
                        if fatal {
                            return Err(e.error(cause.to_string(), false));
                        }
                        warn!("plugin `{}` (plugins.{}) failed: {cause}", e.key(), e.group);
                        run.failures.push(StageFailure {
                            stage: e.stage_name(),
                            chapter: None,
                            reason: cause,
                            fatal: false,
                        });
                    }
                },
            }
        }
        Ok(run)
    }
}

fn progress_wish(k: &Kwargs) -> Result<ProgressWish, Failure> {
    let lines = match k.value("terminal_log_lines") {
        None => 6,
        Some(Value::Number(n)) if n.as_u64().is_some_and(|n| n > 0) => n.as_u64().unwrap_or(6),
        Some(v) => {
            return Err(k
                .invalid("terminal_log_lines", "a positive whole number", v)
                .into());
        }
    };
    Ok(ProgressWish {
        log_file: k
            .path("log_file")?
            .unwrap_or_else(|| PathBuf::from("jmcomic-download.log")),
        terminal_log_lines: lines,
    })
}

fn topic_filter(k: &Kwargs) -> Result<TopicFilter, Failure> {
    Ok(match k.str_list("whitelist")? {
        Some(l) => TopicFilter::Only(l),
        None => TopicFilter::All,
    })
}

/// What the `download_progress` and `log_topic_filter` entries of `options` ask of the
/// program that shows the download, read before anything is logged (the program sets up
/// its log output from them). Entries with bad arguments count as absent here; loading the
/// plugins reports them.
pub fn display_wishes(options: &Options) -> (Option<ProgressWish>, Option<TopicFilter>) {
    let mut progress = None;
    let mut topics = None;
    for (group, list) in &options.plugins.groups {
        if group != "after_init" {
            continue;
        }
        for raw in list {
            let Ok(map) = raw.expanded_kwargs() else {
                continue;
            };
            let k = Kwargs::new(&raw.plugin, map);
            match raw.plugin.as_str() {
                "download_progress" => progress = progress_wish(&k).ok().or(progress),
                "log_topic_filter" => topics = topic_filter(&k).ok().or(topics),
                _ => {}
            }
        }
    }
    (progress, topics)
}

fn is_job(e: &Entry) -> bool {
    matches!(
        e.key(),
        "find_update"
            | "subscribe_album_update"
            | "send_qq_email"
            | "login"
            | "favorite_folder_export"
    ) && (e.group == "after_init" || !PIPELINE_GROUPS.contains(&e.group.as_str()))
}

/// Whether `info` may sit in `group`; the sentence saying where it goes otherwise.
fn placement(info: &PluginInfo, group: &str) -> Result<(), String> {
    let pipeline = PIPELINE_GROUPS.contains(&group);
    if !pipeline {
        return if info.by_hand {
            Ok(())
        } else {
            Err(format!(
                "plugin `{}` cannot run in a group run by hand (`{group}`): it needs a download; \
                 put it in {}",
                info.key,
                where_it_goes(info)
            ))
        };
    }
    if info.groups.is_empty() || info.groups.contains(&group) {
        // `send_qq_email` and the like run anywhere but per page.
        if matches!(group, "before_image" | "after_image")
            && !matches!(info.key, "skip_photo_with_few_images")
            && info.support == Support::Runs
        {
            return Err(format!(
                "plugin `{}` would run once per page in `{group}`; put it in after_photo or \
                 after_album",
                info.key
            ));
        }
        return Ok(());
    }
    Err(format!(
        "plugin `{}` cannot run in `{group}`: put it in {}",
        info.key,
        where_it_goes(info)
    ))
}

fn where_it_goes(info: &PluginInfo) -> String {
    if info.groups.is_empty() {
        "after_init, after_album or after_photo".to_owned()
    } else if info.by_hand {
        format!("{}, or a group run by hand", info.groups.join(" or "))
    } else {
        info.groups.join(" or ")
    }
}

/// The message for an unknown key: the supported ones, and the nearest if it looks like a
/// typo.
fn unknown_message(key: &str) -> String {
    let supported: Vec<&str> = PLUGINS.iter().map(|p| p.key).collect();
    let near = crate::options::suggest(key, supported.iter().copied())
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default();
    format!(
        "unknown plugin `{key}`{near}; the plugins are: {}",
        supported.join(", ")
    )
}
