//! Log output: `tracing` to stderr, through the progress bars when they are shown.

use std::io::Write;

use indicatif::MultiProgress;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::args::Common;

/// Installs the subscriber. `RUST_LOG` overrides the level chosen from `-q`/`-v` and the
/// option file's `log` key.
pub fn init(common: &Common, options: &jmcomic::Options, bars: Option<MultiProgress>) {
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
    } else {
        format!("warn,jmcomic={level},jmcomic_client={level},jmcomic_image={level}")
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let ansi = std::env::var_os("NO_COLOR").is_none()
        && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_target(false)
        .with_writer(BarsWriter { bars })
        .try_init();
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
