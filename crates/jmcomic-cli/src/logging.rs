//! Log output: `tracing` to stderr, through the progress bars when they are shown.

use std::io::Write;

use std::path::Path;

use indicatif::MultiProgress;
use jmcomic::plugin::TopicFilter;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::args::Common;

/// Installs the subscriber. `RUST_LOG` overrides the level chosen from `-q`/`-v` and the
/// option file's `log` key. `log_file` (the `download_progress` plugin) also receives every
/// line at info level; `topics` (the `log_topic_filter` plugin) keeps only the library's
/// lines of those topics (warnings and errors always show).
pub fn init(
    common: &Common,
    options: &jmcomic::Options,
    bars: Option<MultiProgress>,
    log_file: Option<&Path>,
    topics: Option<&TopicFilter>,
    plain: bool,
) {
    let level = if common.quiet {
        "error"
    } else {
        match common.verbose {
            0 if matches!(options.log, jmcomic::options::LogMode::Off) => "error",
            0 => "warn",
            1 => "info",
            2 => "debug",
            _ => "trace",
        }
    };
    // Our crates at the chosen level; HTTP internals only from -vvv.
    let default = if common.verbose >= 3 {
        level.to_owned()
    } else if plain && level == "warn" {
        // Without a terminal (cron, logs), retries and domain changes are shown: a long
        // retry loop must not be silent there.
        "warn,jmcomic=warn,jmcomic_client=warn,jmcomic_client::retry=info,jmcomic_image=warn"
            .to_owned()
    } else {
        format!("warn,jmcomic={level},jmcomic_client={level},jmcomic_image={level}")
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let ansi = std::env::var_os("NO_COLOR").is_none()
        && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let topics = topics.cloned();
    let keep = move |m: &tracing::Metadata<'_>| topic_allows(topics.as_ref(), m);
    let terminal = tracing_subscriber::fmt::layer()
        .with_ansi(ansi)
        .with_target(false)
        .with_writer(BarsWriter { bars })
        .with_filter(filter)
        .with_filter(filter_fn(keep.clone()));
    let file = log_file.and_then(|path| {
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| eprintln!("warning: cannot open the log file {}: {e}", path.display()))
            .ok()?;
        Some(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(std::sync::Mutex::new(f))
                .with_filter(EnvFilter::new(
                    "warn,jmcomic=info,jmcomic_client=info,jmcomic_image=info",
                ))
                .with_filter(filter_fn(keep)),
        )
    });
    let _ = tracing_subscriber::registry()
        .with(terminal)
        .with(file)
        .try_init();
}

/// The Python package's log topics, mapped onto where this program's lines come from: a
/// topic lets the lines of its area through (`album.before` lets the download's lines
/// through, `req` the client's, `plugin` the plugins').
fn topic_area(topic: &str) -> &'static [&'static str] {
    let head = topic.split('.').next().unwrap_or(topic);
    match head {
        "album" | "photo" | "image" | "downloader" | "dler" | "batch" => &["jmcomic::download"],
        "plugin" => &["jmcomic::plugin", "jmcomic::mail", "jmcomic::usage"],
        "req" | "api" | "html" => &["jmcomic_client"],
        "option" | "dir_rule" => &["jmcomic::options", "jmcomic::dir_rule"],
        _ => &[],
    }
}

fn topic_allows(topics: Option<&TopicFilter>, m: &tracing::Metadata<'_>) -> bool {
    let Some(TopicFilter::Only(list)) = topics else {
        return true;
    };
    // Problems are never filtered away; only the library's ordinary lines are.
    if *m.level() <= tracing::Level::WARN || !m.target().starts_with("jmcomic") {
        return true;
    }
    list.iter()
        .flat_map(|t| topic_area(t).iter())
        .any(|area| m.target().starts_with(area))
}

/// Writes log lines to stderr, pausing the progress bars while it does.
#[derive(Clone)]
struct BarsWriter {
    bars: Option<MultiProgress>,
}

impl<'a> MakeWriter<'a> for BarsWriter {
    type Writer = LineWriter;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter {
            bars: self.bars.clone(),
            buf: Vec::new(),
        }
    }
}

/// Buffers one log record and prints it when dropped.
struct LineWriter {
    bars: Option<MultiProgress>,
    buf: Vec<u8>,
}

impl Write for LineWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LineWriter {
    fn drop(&mut self) {
        let buf = std::mem::take(&mut self.buf);
        let print = || {
            let _ = std::io::stderr().write_all(&buf);
        };
        match &self.bars {
            Some(m) => m.suspend(print),
            None => print(),
        }
    }
}
