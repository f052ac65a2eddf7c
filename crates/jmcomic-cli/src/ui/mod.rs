//! How things are shown: the one place that decides between progress bars on a terminal,
//! plain lines without one, and JSON lines for bots, so every command behaves the same.

mod bars;
mod json;
mod lines;
mod table;
mod text;

use std::io::IsTerminal;
use std::sync::Arc;

use indicatif::MultiProgress;
use jmcomic::{Event, Reporter};

pub use bars::Bars;
pub use json::JsonLines;
pub use lines::Lines;
pub use table::Table;
pub use text::printable;

/// Prints a line on stdout; a closed pipe (`jmcomic plugins list | head`) ends the output
/// quietly instead of with a panic.
#[macro_export]
macro_rules! outln {
    () => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock());
    }};
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// [`outln!`] without the newline.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Display {
    /// Progress bars on stderr (a terminal).
    Bars,
    /// JSON lines on stdout.
    Json,
    /// Plain lines on stderr: one per album and chapter (no terminal: cron, logs).
    Plain,
}

impl Display {
    /// JSON when asked for; bars when stderr is a terminal and neither `--no-progress` nor
    /// `-q` turned them off; plain lines otherwise.
    pub fn choose(json: bool, no_progress: bool, quiet: bool) -> Display {
        if json {
            Display::Json
        } else if !no_progress && !quiet && std::io::stderr().is_terminal() {
            Display::Bars
        } else {
            Display::Plain
        }
    }
}

/// What a command shows while it runs, and how.
pub struct Ui {
    display: Display,
    quiet: bool,
    bars: Arc<Bars>,
    json: Arc<JsonLines>,
    reporter: Arc<dyn Reporter>,
}

/// Several reporters, each told every event.
struct Many(Vec<Arc<dyn Reporter>>);

impl Reporter for Many {
    fn event(&self, event: &Event) {
        for r in &self.0 {
            r.event(event);
        }
    }
}

impl Ui {
    /// The display for a run: bars (with a line per album and chapter above them at `-v`),
    /// plain lines (none at `-q`), or JSON.
    pub fn new(display: Display, quiet: bool, verbose: u8) -> Ui {
        let bars = Arc::new(Bars::new(display == Display::Bars));
        let json = Arc::new(JsonLines::new());
        let reporter: Arc<dyn Reporter> = match display {
            Display::Bars if verbose > 0 => Arc::new(Many(vec![
                bars.clone(),
                Arc::new(Lines::new(Some(bars.clone()))),
            ])),
            Display::Bars => bars.clone(),
            Display::Json => json.clone(),
            Display::Plain if quiet => Arc::new(jmcomic::NoReporter),
            Display::Plain => Arc::new(Lines::new(None)),
        };
        Ui {
            display,
            quiet,
            bars,
            json,
            reporter,
        }
    }

    /// How things are shown.
    pub fn display(&self) -> Display {
        self.display
    }

    /// Whether only errors and the final summary are wanted.
    pub fn quiet(&self) -> bool {
        self.quiet
    }

    /// Receives the download's events.
    pub fn reporter(&self) -> Arc<dyn Reporter> {
        Arc::clone(&self.reporter)
    }

    /// Where log lines go so they do not garble the bars.
    pub fn log_through(&self) -> Option<MultiProgress> {
        (self.display == Display::Bars).then(|| self.bars.multi().clone())
    }

    /// The JSON writer.
    pub fn json(&self) -> &JsonLines {
        &self.json
    }

    /// A line for people on stderr, above the bars when they are shown (so it is seen).
    pub fn say(&self, line: &str) {
        if self.display == Display::Bars {
            self.bars.println(line);
        } else {
            eprintln!("{line}");
        }
    }

    /// Takes every bar off the screen (before the summary).
    pub fn finish(&self) {
        self.bars.finish();
    }
}

/// Lists failures at the end of a run, made safe for a terminal.
pub fn print_failures(failures: &[jmcomic::Failure]) {
    if failures.is_empty() {
        return;
    }
    eprintln!("failed ({}):", failures.len());
    for f in failures {
        eprintln!("  {}: {}", printable(&f.what), printable(&f.reason));
    }
}
