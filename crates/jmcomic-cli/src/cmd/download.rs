//! The download command (the default): ids, exports, the archive; the run and its summary.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use jmcomic::plugin::{Feature, Features, PluginRun};
use jmcomic::{BatchReport, CancellationToken, Downloader, Options, Target, Totals};

use super::{load_options, parse_targets};
use crate::args::{Common, DownloadArgs};
use crate::ui::{self, Display, Ui};
use crate::{Outcome, UsageError, logging};

/// The `--export` values as features.
fn parse_features(kinds: &[String], dir: Option<&Path>) -> Result<Features> {
    let mut features = Features::new();
    for kind in kinds.iter().map(|k| k.trim()).filter(|k| !k.is_empty()) {
        let Some(f) = Feature::parse(kind) else {
            return Err(UsageError(format!(
                "--export: unknown kind `{kind}`; the kinds are {}",
                Feature::NAMES.join(", ")
            ))
            .into());
        };
        features.push(f);
    }
    Ok(match dir {
        Some(d) => features.dir(std::path::absolute(d).unwrap_or_else(|_| d.to_owned())),
        None => features,
    })
}

/// Whether the option file's `after_init` has jobs that download on their own
/// (`find_update`, `subscribe_album_update`), so a run without ids has work.
fn has_download_jobs(options: &Options) -> bool {
    options.plugin_entries().iter().any(|(g, p)| {
        g == "after_init" && matches!(p.as_str(), "find_update" | "subscribe_album_update")
    })
}

/// A file the run will write must be writable before anything is downloaded: finding out
/// at the end would lose the report of a long run.
fn check_file_writable(flag: &str, path: &Path) -> Result<()> {
    let fail = |why: String| UsageError(format!("{flag} {}: {why}", path.display()));
    if path.is_dir() {
        return Err(fail("is a folder".to_owned()).into());
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    if !parent.is_dir() {
        return Err(fail(format!("the folder {} does not exist", parent.display())).into());
    }
    let probe = jmcomic::storage::temp_path_for(path);
    std::fs::write(&probe, b"").map_err(|e| fail(format!("cannot be written ({e})")))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// The export folder must exist (it is made) and take files.
fn check_dir_writable(flag: &str, dir: &Path) -> Result<()> {
    let fail = |e: std::io::Error| UsageError(format!("{flag} {}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(fail)?;
    check_file_writable(flag, &dir.join("probe"))
}

/// Runs the download command.
pub fn run(args: &DownloadArgs) -> Result<Outcome> {
    let mut targets = parse_targets(&args.ids)?;
    if let Some(source) = &args.from_json {
        let text = if source.as_os_str() == "-" {
            std::io::read_to_string(std::io::stdin()).context("cannot read stdin")?
        } else {
            std::fs::read_to_string(source)
                .with_context(|| format!("cannot read {}", source.display()))?
        };
        // One JSON document, or JSON lines (what `--json` commands print).
        let values: Vec<serde_json::Value> = match serde_json::from_str(&text) {
            Ok(v) => vec![v],
            Err(_) => text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(serde_json::from_str)
                .collect::<Result<_, _>>()
                .map_err(|e| UsageError(format!("--from-json: not JSON: {e}")))?,
        };
        let found: Vec<Target> = values.iter().flat_map(super::targets_in_json).collect();
        if found.is_empty() {
            return Err(UsageError("--from-json: no id in the JSON".to_owned()).into());
        }
        targets.extend(found);
    }
    let features = parse_features(&args.export, args.export_dir.as_deref())?;
    let mut options = load_options(&args.common)?;
    if let Some(a) = &args.archive {
        options.download.archive = Some(std::path::absolute(a).unwrap_or_else(|_| a.clone()));
    }
    if args.album_json {
        options.download.album_json = true;
    }
    if targets.is_empty() && !has_download_jobs(&options) {
        return Err(UsageError(
            "no ids given: try `jmcomic 123 p456`, or `jmcomic demo` to see it work against the built-in emulator".to_owned(),
        )
        .into());
    }
    if let Some(p) = &args.report {
        check_file_writable("--report", p)?;
    }
    if let Some(p) = &args.log_file {
        check_file_writable("--log-file", p)?;
    }
    if let Some(d) = &args.export_dir
        && !args.dry_run
    {
        check_dir_writable("--export-dir", d)?;
    }
    run_download(
        Job {
            options,
            targets,
            display: Display::choose(args.json, args.no_progress, args.common.quiet),
            report_path: args.report.clone(),
            features,
            no_progress: args.no_progress,
            dry_run: args.dry_run,
            log_file: args.log_file.clone(),
        },
        &args.common,
    )
}

/// A download run of the CLI.
pub struct Job {
    /// The options.
    pub options: Options,
    /// What to download (may be empty when `after_init` jobs download on their own).
    pub targets: Vec<Target>,
    /// How progress is shown.
    pub display: Display,
    /// Where the JSON report goes.
    pub report_path: Option<PathBuf>,
    /// `--export`.
    pub features: Features,
    /// `--no-progress` was given (the `download_progress` plugin overrides it, as in the
    /// Python package).
    pub no_progress: bool,
    /// `--dry-run`.
    pub dry_run: bool,
    /// `--log-file`.
    pub log_file: Option<PathBuf>,
}

/// Runs the `after_init` jobs and a batch download with the chosen display and prints the
/// summary.
pub fn run_download(job: Job, common: &Common) -> Result<Outcome> {
    let Job {
        options,
        targets,
        mut display,
        report_path,
        features,
        no_progress,
        dry_run,
        log_file,
    } = job;
    let (progress_wish, topics) = jmcomic::plugin::display_wishes(&options);
    if progress_wish.is_some()
        && display == Display::Plain
        && !common.quiet
        && std::io::IsTerminal::is_terminal(&std::io::stderr())
    {
        // The Python plugin keeps its bars even with --no-progress, and says so.
        if no_progress {
            eprintln!(
                "note: the option file's download_progress plugin shows progress bars even with --no-progress"
            );
        }
        display = Display::Bars;
    }
    let ui = Arc::new(Ui::new(display, common.quiet, common.verbose));
    let log_file = log_file.or_else(|| progress_wish.as_ref().map(|p| p.log_file.clone()));
    logging::init(
        common,
        &options,
        ui.log_through(),
        log_file.as_deref(),
        topics.as_ref(),
        display == Display::Plain,
    );
    warn_unsupported(&options);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("jmcomic")
        .build()
        .context("cannot start the async runtime")?;
    let started = Instant::now();
    let interrupted = Arc::new(AtomicBool::new(false));
    let (batch, jobs) = runtime.block_on(async {
        let cancel = CancellationToken::new();
        {
            let (cancel, interrupted, ui) = (cancel.clone(), interrupted.clone(), ui.clone());
            tokio::spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    interrupted.store(true, Ordering::SeqCst);
                    ui.say(
                        "stopping: finishing the pages in progress (Ctrl-C again to quit at once)",
                    );
                    cancel.cancel();
                    if tokio::signal::ctrl_c().await.is_ok() {
                        // Nothing half-written can be left under a page's name (pages are
                        // renamed into place when complete), so quitting now is safe.
                        std::process::exit(130);
                    }
                }
            });
        }
        let downloader = Downloader::builder(options)
            .shared_reporter(ui.reporter())
            .cancel_token(cancel)
            .check_exception(false)
            .dry_run(dry_run)
            .extra(features)
            .build()?;
        // The Python package runs these when the option is made, before any download.
        let jobs = downloader.run_after_init().await?;
        let batch = if targets.is_empty() {
            BatchReport::default()
        } else {
            downloader.batch(targets).await
        };
        // What the client learnt about the domains, for the next run.
        super::save_state(downloader.options(), downloader.client());
        Ok::<_, jmcomic::Error>((batch, jobs))
    })?;
    ui.finish();
    let interrupted = interrupted.load(Ordering::SeqCst);
    let run = Run {
        batch: &batch,
        jobs: &jobs,
        elapsed: started.elapsed(),
        interrupted,
        planning: dry_run,
    };
    if let Some(path) = &report_path {
        jmcomic::storage::write_atomic(path, run.report_json().as_bytes())
            .with_context(|| format!("cannot write the report to {}", path.display()))?;
    }
    run.summary(&ui);
    Ok(if interrupted {
        Outcome::Interrupted
    } else if run.totals().failures() == 0 && jobs.is_complete() {
        Outcome::Done
    } else {
        Outcome::Failures
    })
}

fn warn_unsupported(options: &Options) {
    if options.client.impl_name != "api" {
        tracing::warn!(
            "client.impl `{}` is not available yet: using the mobile API client (`api`)",
            options.client.impl_name
        );
    }
    if options.client.postman.meta_data.impersonate.is_some() {
        tracing::info!(
            "client.postman.meta_data.impersonate is accepted but has no effect: this build talks to the site with rustls, not a browser's TLS fingerprint"
        );
    }
}

/// A finished run: what the summary, `--json` and `--report` all say, from one set of
/// numbers.
struct Run<'a> {
    batch: &'a BatchReport,
    jobs: &'a PluginRun,
    elapsed: Duration,
    interrupted: bool,
    planning: bool,
}

impl Run<'_> {
    /// The batches of the run: the plugin jobs' downloads, then the ids given.
    fn batches(&self) -> impl Iterator<Item = &BatchReport> {
        self.jobs
            .downloads
            .iter()
            .chain(std::iter::once(self.batch))
    }

    fn totals(&self) -> Totals {
        let mut t = Totals::default();
        for b in self.batches() {
            t.add(&b.totals());
        }
        t
    }

    /// Every failure; what a stop left undone is counted, not listed.
    fn failures(&self) -> Vec<jmcomic::Failure> {
        let mut out = self.jobs.entry_failures();
        for b in self.batches() {
            out.extend(b.failures());
        }
        out.retain(|f| f.kind != "stopped");
        out
    }

    fn outputs(&self) -> Vec<&jmcomic::Output> {
        self.batches()
            .flat_map(BatchReport::reports)
            .flat_map(|r| r.outputs.iter())
            .collect()
    }

    /// The `--report` JSON: the batch with the run's totals, and what the plugin jobs did.
    fn report_json(&self) -> String {
        let mut v = serde_json::to_value(self.batch).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.insert("totals".to_owned(), serde_json::json!(self.totals()));
            o.insert("interrupted".to_owned(), self.interrupted.into());
            o.insert("dry_run".to_owned(), self.planning.into());
            if !self.jobs.downloads.is_empty()
                || !self.jobs.failures.is_empty()
                || !self.jobs.notes.is_empty()
            {
                o.insert(
                    "plugin_jobs".to_owned(),
                    super::plugins::run_json(self.jobs),
                );
                o.insert(
                    "complete".to_owned(),
                    serde_json::Value::Bool(self.batch.all_succeeded() && self.jobs.is_complete()),
                );
            }
        }
        serde_json::to_string_pretty(&v).unwrap_or_default()
    }

    fn summary(&self, ui: &Ui) {
        let t = self.totals();
        let failures = self.failures();
        if ui.display() == Display::Json {
            let mut v = serde_json::json!({
                "event": "summary",
                "complete": failures.is_empty() && !self.interrupted,
                "interrupted": self.interrupted,
                "dry_run": self.planning,
                "seconds": self.elapsed.as_secs_f64(),
                "exports": self.outputs(),
                "plugin_notes": self.jobs.notes,
                "failures": failures,
            });
            if let (Some(o), Ok(serde_json::Value::Object(totals))) =
                (v.as_object_mut(), serde_json::to_value(&t))
            {
                o.extend(totals);
            }
            ui.json().line(&v);
            return;
        }
        eprintln!("{}", self.headline(&t, &failures));
        if self.interrupted {
            eprintln!(
                "run the same command again to resume: pages on disk are kept, checked and not fetched again"
            );
        }
        if !ui.quiet() {
            for note in &self.jobs.notes {
                eprintln!("  {}", ui::printable(note));
            }
            for o in self.outputs() {
                eprintln!(
                    "  {} {}: {}{}",
                    o.stage,
                    o.kind,
                    ui::printable(&o.path.display().to_string()),
                    if o.reused {
                        " (already up to date)"
                    } else {
                        ""
                    }
                );
            }
            for (target, report) in self
                .batch
                .items
                .iter()
                .filter_map(|(t, r)| r.as_ref().ok().map(|r| (t, r)))
            {
                if let Some(by) = report.covered_by {
                    eprintln!("  {target}: part of {by}, downloaded with it");
                    continue;
                }
                // A chapter's own folder for a chapter target, the album's for an album.
                let dir = match target.kind {
                    jmcomic::Kind::Chapter => report.chapters.first().and_then(|c| c.dir.clone()),
                    jmcomic::Kind::Album => report.album_dir.clone(),
                };
                if let Some(dir) = dir {
                    eprintln!("  {target}: {}", ui::printable(&dir.display().to_string()));
                }
            }
        }
        ui::print_failures(&failures);
    }

    /// The one summary line.
    fn headline(&self, t: &Totals, failures: &[jmcomic::Failure]) -> String {
        let mb = t.bytes_written as f64 / 1e6;
        let secs = self.elapsed.as_secs_f64();
        let archived = if t.pages_archived > 0 {
            format!(", {} recorded in the archive", t.pages_archived)
        } else {
            String::new()
        };
        if self.interrupted {
            let chapters = if t.chapters_stopped > 0 {
                format!(" and {} chapter(s)", t.chapters_stopped)
            } else {
                String::new()
            };
            return format!(
                "interrupted after {secs:.1}s: {} page(s) written, {} already on disk{archived}; {} page(s){chapters} not downloaded",
                t.pages_written, t.pages_reused, t.pages_stopped
            );
        }
        let targets = if t.targets_failed > 0 {
            format!("{} target(s) ({} failed)", t.targets, t.targets_failed)
        } else {
            format!("{} target(s)", t.targets)
        };
        if self.planning {
            return format!(
                "dry run: {targets}, {} page(s) to download, {} already on disk{archived}, {} chapter(s) failed; nothing was fetched or written",
                t.pages_planned, t.pages_reused, t.chapters_failed
            );
        }
        let verdict = if failures.is_empty() {
            "done"
        } else {
            "finished with failures"
        };
        let stages = if t.stage_failures > 0 {
            format!(", {} export/plugin failure(s)", t.stage_failures)
        } else {
            String::new()
        };
        format!(
            "{verdict}: {targets}, {} page(s) written, {} already on disk{archived}, {} failed{stages}, {mb:.1} MB in {secs:.1}s",
            t.pages_written, t.pages_reused, t.pages_failed
        )
    }
}
