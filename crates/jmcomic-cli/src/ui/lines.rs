//! Plain progress lines: what a run without a terminal (cron, nohup, CI logs) prints as it
//! goes, and what `-v` adds above the bars: a line per album and chapter started and
//! finished, and per export.

use std::sync::Arc;

use jmcomic::{Event, Reporter};

use super::bars::Bars;
use super::text::printable;

/// Writes one line per album and chapter event to stderr (through the bars when they are
/// shown, so the lines do not garble them).
pub struct Lines {
    bars: Option<Arc<Bars>>,
}

impl Lines {
    pub fn new(bars: Option<Arc<Bars>>) -> Self {
        Lines { bars }
    }

    fn say(&self, line: &str) {
        match &self.bars {
            Some(b) => b.println(line),
            None => eprintln!("{line}"),
        }
    }
}

impl Reporter for Lines {
    fn event(&self, event: &Event) {
        let line = match event {
            Event::AlbumStarted {
                id,
                name,
                chapters,
                dir,
                ..
            } => format!(
                "album JM{id}: {} ({chapters} chapter(s)) -> {}",
                printable(name),
                printable(&dir.display().to_string())
            ),
            Event::ChapterStarted {
                album,
                id,
                name,
                pages,
                ..
            } => format!(
                "  chapter {id} of JM{album}: {} ({pages} page(s))",
                printable(name)
            ),
            Event::ChapterDone {
                id, complete: true, ..
            } => format!("  chapter {id}: done"),
            Event::ChapterDone {
                id,
                complete: false,
                ..
            } => format!("  chapter {id}: incomplete"),
            Event::ChapterSkipped { id, .. } => format!("  chapter {id}: skipped"),
            Event::ChapterFailed { id, reason, .. } => {
                format!("  chapter {id}: failed: {}", printable(&reason.to_string()))
            }
            Event::StageDone { stage, outputs, .. } => {
                if outputs.is_empty() {
                    return;
                }
                outputs
                    .iter()
                    .map(|o| {
                        format!(
                            "  {stage}: {}{}",
                            printable(&o.path.display().to_string()),
                            if o.reused {
                                " (already up to date)"
                            } else {
                                ""
                            }
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            }
            Event::StageFailed { stage, reason, .. } => {
                format!("  {stage}: failed: {}", printable(&reason.to_string()))
            }
            Event::AlbumDone { id, complete } => format!(
                "album JM{id}: {}",
                if *complete { "done" } else { "INCOMPLETE" }
            ),
            Event::TargetFailed { target, reason } => {
                format!("{target}: failed: {}", printable(&reason.to_string()))
            }
            _ => return,
        };
        self.say(&line);
    }
}
