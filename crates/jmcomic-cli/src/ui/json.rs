//! JSON lines on stdout, for bots: one event per line, then a summary.

use std::io::Write;
use std::sync::Mutex;

use jmcomic::{Event, Reporter};

/// One JSON object per event on stdout.
pub struct JsonLines {
    out: Mutex<std::io::Stdout>,
}

impl JsonLines {
    pub fn new() -> Self {
        Self {
            out: Mutex::new(std::io::stdout()),
        }
    }

    /// Writes any serialisable value as one line.
    pub fn line<T: serde::Serialize>(&self, value: &T) {
        if let (Ok(text), Ok(mut out)) = (serde_json::to_string(value), self.out.lock()) {
            let _ = writeln!(out, "{text}");
            let _ = out.flush();
        }
    }
}

impl Reporter for JsonLines {
    fn event(&self, event: &Event) {
        self.line(event);
    }
}
