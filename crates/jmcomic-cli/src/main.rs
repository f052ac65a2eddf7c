//! The `jmcomic` command: a thin layer over the `jmcomic` library.
//!
//! Everything that decides an exit status is in [`exit_code`]; everything else reports
//! through the library's events and reports.

mod args;
mod demo;
mod logging;
mod progress;

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;
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

fn download(args: &DownloadArgs) -> Result<Outcome> {
    if args.ids.is_empty() {
        return Err(UsageError(
            "no ids given: try `jmcomic 123 p456`, or `jmcomic demo` to see it work against the built-in emulator".to_owned(),
        )
        .into());
    }
    let targets = parse_targets(&args.ids)?;
    let options = load_options(&args.common)?;
    let display = if args.json {
        Display::Json
    } else if !args.no_progress && !args.common.quiet && std::io::stderr().is_terminal() {
        Display::Bars
    } else {
        Display::Plain
    };
    run_download(
        options,
        targets,
        display,
        &args.common,
        args.report.as_deref(),
    )
}

/// Runs a batch download with the chosen display and prints the summary.
pub fn run_download(
    options: Options,
    targets: Vec<Target>,
    display: Display,
    common: &Common,
    report_path: Option<&Path>,
) -> Result<Outcome> {
    let bars = Arc::new(Bars::new(display == Display::Bars));
    let json = Arc::new(JsonLines::new());
    logging::init(
        common,
        &options,
        (display == Display::Bars).then(|| bars.multi().clone()),
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
    let (batch, interrupted) = runtime.block_on(async {
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
            .build()?;
        let batch = downloader.batch(targets).await;
        Ok::<_, jmcomic::Error>((batch, interrupted.load(std::sync::atomic::Ordering::SeqCst)))
    })?;
    bars.finish();
    if let Some(path) = report_path {
        std::fs::write(path, batch.to_json())
            .with_context(|| format!("cannot write the report to {}", path.display()))?;
    }
    let ok = batch.all_succeeded();
    summary(&batch, display, common.quiet, started.elapsed(), &json);
    Ok(if interrupted {
        Outcome::Interrupted
    } else if ok {
        Outcome::Done
    } else {
        Outcome::Failures
    })
}

fn warn_unsupported(options: &Options) {
    for (group, plugin) in options.unsupported_plugins() {
        tracing::warn!(
            "plugin `{plugin}` (in `plugins.{group}`) is not supported yet and will not run"
        );
    }
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
    display: Display,
    quiet: bool,
    elapsed: std::time::Duration,
    json: &JsonLines,
) {
    let written: usize = batch
        .reports()
        .map(jmcomic::DownloadReport::pages_written)
        .sum();
    let reused: usize = batch
        .reports()
        .map(jmcomic::DownloadReport::pages_reused)
        .sum();
    let failed_pages: usize = batch
        .reports()
        .map(jmcomic::DownloadReport::pages_failed)
        .sum();
    let bytes: u64 = batch
        .reports()
        .map(jmcomic::DownloadReport::bytes_written)
        .sum();
    let failures = batch.failures();
    if display == Display::Json {
        json.line(&serde_json::json!({
            "event": "summary",
            "complete": failures.is_empty(),
            "targets": batch.items.len(),
            "pages_written": written,
            "pages_reused": reused,
            "pages_failed": failed_pages,
            "bytes_written": bytes,
            "seconds": elapsed.as_secs_f64(),
            "failures": failures,
        }));
        return;
    }
    if !quiet || !failures.is_empty() {
        eprintln!(
            "{}: {} target(s), {written} page(s) written, {reused} already on disk, {failed_pages} failed, {:.1} MB in {:.1}s",
            if failures.is_empty() {
                "done"
            } else {
                "finished with failures"
            },
            batch.items.len(),
            bytes as f64 / 1e6,
            elapsed.as_secs_f64()
        );
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
    if !failures.is_empty() {
        eprintln!("failed ({}):", failures.len());
        for f in &failures {
            eprintln!(
                "  {}: {}",
                progress::printable(&f.what),
                progress::printable(&f.reason)
            );
        }
    }
}
