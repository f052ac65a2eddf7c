//! The `jmcomic` command: a thin layer over the `jmcomic` library.
//!
//! Everything that decides an exit status is in [`exit_code`]; everything else reports
//! through the library's events and reports.

mod archive;
mod args;
mod demo;
mod logging;
mod plugins;
mod progress;

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;
use jmcomic::plugin::{Feature, Features, PluginRun};
use jmcomic::{BatchReport, CancellationToken, Downloader, Options, Reporter, Target};

use crate::args::{Cli, Command, Common, ConfigAction, DownloadArgs};
use crate::progress::{Bars, JsonLines};

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything asked for is on disk.
    Done,
    /// Some pages, chapters or targets failed (they were listed).
    Failures,
    /// Ctrl-C.
    Interrupted,
}

/// An error that is the user's to fix (bad id, bad option file): exit status 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Config {
            action: ConfigAction::Show { common },
        }) => config_show(&common),
        Some(Command::Demo(args)) => demo::run(&args),
        Some(Command::Plugins { action }) => plugins::run(&action),
        Some(Command::Archive { action }) => archive::run(&action),
        None => download(&cli.download),
    };
    ExitCode::from(exit_code(&result))
}

/// The one place exit statuses are decided: 0 done, 1 failures, 2 usage or option errors,
/// 130 interrupted.
fn exit_code(result: &Result<Outcome>) -> u8 {
    match result {
        Ok(Outcome::Done) => 0,
        Ok(Outcome::Failures) => 1,
        Ok(Outcome::Interrupted) => 130,
        Err(e) => {
            eprintln!("error: {}", progress::printable(&chain(e)));
            let usage = e.downcast_ref::<UsageError>().is_some()
                || e.downcast_ref::<jmcomic::Error>()
                    .is_some_and(jmcomic::Error::is_usage)
                || e.downcast_ref::<jmcomic::options::OptionError>().is_some();
            if usage { 2 } else { 1 }
        }
    }
}

fn chain(e: &anyhow::Error) -> String {
    let mut parts = vec![e.to_string()];
    for cause in e.chain().skip(1) {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

/// Options from `--option`, else `$JM_OPTION_PATH`, else the defaults (spec §8.5).
pub fn load_options(common: &Common) -> Result<Options> {
    let path = match &common.option {
        Some(p) => Some(p.clone()),
        None => std::env::var_os(jmcomic::options::OPTION_PATH_ENV)
            .filter(|v| !v.is_empty())
            .map(Into::into),
    };
    match path {
        Some(p) => Ok(Options::from_file(&p)?),
        None => Ok(Options::default()),
    }
}

fn config_show(common: &Common) -> Result<Outcome> {
    let options = load_options(common)?;
    print!("{}", options.to_yaml());
    Ok(Outcome::Done)
}

fn parse_targets(ids: &[String]) -> Result<Vec<Target>> {
    let mut targets = Vec::new();
    let mut bad = Vec::new();
    for id in ids {
        match Target::parse(id) {
            Ok(t) => targets.push(t),
            Err(e) => bad.push(e.to_string()),
        }
    }
    if !bad.is_empty() {
        return Err(UsageError(bad.join("\n       ")).into());
    }
    Ok(targets)
}

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Display {
    /// Progress bars on stderr.
    Bars,
    /// JSON lines on stdout.
    Json,
    /// Only the final summary.
    Plain,
}

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

fn download(args: &DownloadArgs) -> Result<Outcome> {
    let targets = parse_targets(&args.ids)?;
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
    let display = if args.json {
        Display::Json
    } else if !args.no_progress && !args.common.quiet && std::io::stderr().is_terminal() {
        Display::Bars
    } else {
        Display::Plain
    };
    run_download(
        Job {
            options,
            targets,
            display,
            report_path: args.report.clone(),
            features,
            no_progress: args.no_progress,
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
    pub report_path: Option<std::path::PathBuf>,
    /// `--export`.
    pub features: Features,
    /// `--no-progress` was given (the `download_progress` plugin overrides it, as in the
    /// Python package).
    pub no_progress: bool,
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
    } = job;
    let (progress_wish, topics) = jmcomic::plugin::display_wishes(&options);
    if progress_wish.is_some()
        && display == Display::Plain
        && !common.quiet
        && std::io::stderr().is_terminal()
    {
        // The Python plugin keeps its bars even with --no-progress, and says so.
        if no_progress {
            eprintln!(
                "note: the option file's download_progress plugin shows progress bars even with --no-progress"
            );
        }
        display = Display::Bars;
    }
    let bars = Arc::new(Bars::new(display == Display::Bars));
    let json = Arc::new(JsonLines::new());
    logging::init(
        common,
        &options,
        (display == Display::Bars).then(|| bars.multi().clone()),
        progress_wish.as_ref().map(|p| p.log_file.as_path()),
        topics.as_ref(),
    );
    warn_unsupported(&options);
    let reporter: Arc<dyn Reporter> = match display {
        Display::Bars => bars.clone(),
        Display::Json => json.clone(),
        Display::Plain => Arc::new(jmcomic::NoReporter),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("jmcomic")
        .build()
        .context("cannot start the async runtime")?;
    let started = Instant::now();
    let (batch, jobs, interrupted) = runtime.block_on(async {
        let cancel = CancellationToken::new();
        let interrupted = Arc::new(std::sync::atomic::AtomicBool::new(false));
        {
            let cancel = cancel.clone();
            let interrupted = interrupted.clone();
            tokio::spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    interrupted.store(true, std::sync::atomic::Ordering::SeqCst);
                    eprintln!(
                        "\nstopping: finishing pages in progress (Ctrl-C again to quit at once)"
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
            .shared_reporter(reporter)
            .cancel_token(cancel)
            .check_exception(false)
            .extra(features)
            .build()?;
        // The Python package runs these when the option is made, before any download.
        let jobs = downloader.run_after_init().await?;
        let batch = if targets.is_empty() {
            BatchReport::default()
        } else {
            downloader.batch(targets).await
        };
        Ok::<_, jmcomic::Error>((
            batch,
            jobs,
            interrupted.load(std::sync::atomic::Ordering::SeqCst),
        ))
    })?;
    bars.finish();
    if let Some(path) = &report_path {
        std::fs::write(path, report_json(&batch, &jobs))
            .with_context(|| format!("cannot write the report to {}", path.display()))?;
    }
    let ok = batch.all_succeeded() && jobs.is_complete();
    summary(
        &batch,
        &jobs,
        display,
        common.quiet,
        started.elapsed(),
        &json,
    );
    Ok(if interrupted {
        Outcome::Interrupted
    } else if ok {
        Outcome::Done
    } else {
        Outcome::Failures
    })
}

/// The `--report` JSON: the batch, and what the plugin jobs did when there were any.
fn report_json(batch: &BatchReport, jobs: &PluginRun) -> String {
    let mut v = serde_json::to_value(batch).unwrap_or_default();
    if let Some(o) = v.as_object_mut()
        && (!jobs.downloads.is_empty() || !jobs.failures.is_empty() || !jobs.notes.is_empty())
    {
        o.insert("plugin_jobs".to_owned(), plugins::run_json(jobs));
        o.insert(
            "complete".to_owned(),
            serde_json::Value::Bool(batch.all_succeeded() && jobs.is_complete()),
        );
    }
    serde_json::to_string_pretty(&v).unwrap_or_default()
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

fn summary(
    batch: &BatchReport,
    jobs: &PluginRun,
    display: Display,
    quiet: bool,
    elapsed: std::time::Duration,
    json: &JsonLines,
) {
    let reports: Vec<&jmcomic::DownloadReport> = jobs
        .downloads
        .iter()
        .flat_map(BatchReport::reports)
        .chain(batch.reports())
        .collect();
    let written: usize = reports.iter().map(|r| r.pages_written()).sum();
    let reused: usize = reports.iter().map(|r| r.pages_reused()).sum();
    let archived: usize = reports.iter().map(|r| r.pages_archived()).sum();
    let failed_pages: usize = reports.iter().map(|r| r.pages_failed()).sum();
    let bytes: u64 = reports.iter().map(|r| r.bytes_written()).sum();
    let outputs: Vec<&jmcomic::Output> = reports.iter().flat_map(|r| r.outputs.iter()).collect();
    let mut failures = plugins::job_failures(jobs);
    failures.extend(batch.failures());
    let targets = batch.items.len() + jobs.downloads.iter().map(|b| b.items.len()).sum::<usize>();
    if display == Display::Json {
        json.line(&serde_json::json!({
            "event": "summary",
            "complete": failures.is_empty(),
            "targets": targets,
            "exports": outputs,
            "plugin_notes": jobs.notes,
            "pages_written": written,
            "pages_reused": reused,
            "pages_archived": archived,
            "pages_failed": failed_pages,
            "bytes_written": bytes,
            "seconds": elapsed.as_secs_f64(),
            "failures": failures,
        }));
        return;
    }
    if !quiet || !failures.is_empty() {
        // Only said when an archive is in use, so the usual line stays as it was.
        let archived = if archived > 0 {
            format!(", {archived} recorded in the archive")
        } else {
            String::new()
        };
        eprintln!(
            "{}: {} target(s), {written} page(s) written, {reused} already on disk{archived}, {failed_pages} failed, {:.1} MB in {:.1}s",
            if failures.is_empty() {
                "done"
            } else {
                "finished with failures"
            },
            targets,
            bytes as f64 / 1e6,
            elapsed.as_secs_f64()
        );
    }
    if !quiet {
        for note in &jobs.notes {
            eprintln!("  {}", progress::printable(note));
        }
        for o in &outputs {
            eprintln!(
                "  {} {}: {}{}",
                o.stage,
                o.kind,
                o.path.display(),
                if o.reused {
                    " (already up to date)"
                } else {
                    ""
                }
            );
        }
    }
    for (target, report) in batch
        .items
        .iter()
        .filter_map(|(t, r)| r.as_ref().ok().map(|r| (t, r)))
    {
        if !quiet && let Some(dir) = &report.album_dir {
            eprintln!("  {target}: {}", dir.display());
        }
    }
    progress::print_failures(&failures);
}
