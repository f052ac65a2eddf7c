//! Showing progress: bars on a terminal, JSON lines for bots, a summary otherwise.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Mutex;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use jmcomic::{Event, JmId, Reporter};

/// Progress bars: one for all pages, one per album in progress.
pub struct Bars {
    multi: MultiProgress,
    total: ProgressBar,
    albums: Mutex<HashMap<JmId, (ProgressBar, String)>>,
}

impl Bars {
    /// Bars drawn on stderr (hidden when `visible` is false).
    pub fn new(visible: bool) -> Self {
        let target = if visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let multi = MultiProgress::with_draw_target(target);
        let total = multi.add(ProgressBar::new(0));
        total.set_style(
            ProgressStyle::with_template(
                "{prefix:>8} [{bar:30}] {pos}/{len} pages  {per_sec}  {elapsed}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        total.set_prefix("total");
        Self {
            multi,
            total,
            albums: Mutex::new(HashMap::new()),
        }
    }

    /// The handle log output goes through so it does not garble the bars.
    pub fn multi(&self) -> &MultiProgress {
        &self.multi
    }

    /// Removes the bars from the screen.
    pub fn finish(&self) {
        self.total.finish_and_clear();
        let _ = self.multi.clear();
    }

    fn album_bar(&self, id: JmId) -> Option<ProgressBar> {
        self.albums.lock().ok()?.get(&id).map(|(b, _)| b.clone())
    }

    /// The album bar's message: its title, or what runs after its pages (exports can take
    /// a while on a large album; the bar says so rather than look stuck at 100%).
    fn album_message(&self, id: JmId, doing: Option<&str>) {
        if let Some((bar, title)) = self.albums.lock().ok().and_then(|m| m.get(&id).cloned()) {
            match doing {
                Some(d) => bar.set_message(format!("{title} · {d}…")),
                None => bar.set_message(title),
            }
        }
    }
}

impl Reporter for Bars {
    fn event(&self, event: &Event) {
        match event {
            Event::AlbumStarted { id, name, .. } => {
                let bar = self.multi.insert_before(&self.total, ProgressBar::new(0));
                bar.set_style(
                    ProgressStyle::with_template("{prefix:>8} [{bar:30}] {pos}/{len} {msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_bar())
                        .progress_chars("=> "),
                );
                bar.set_prefix(format!("JM{id}"));
                let title = truncate(name, 40);
                bar.set_message(title.clone());
                if let Ok(mut m) = self.albums.lock() {
                    m.insert(*id, (bar, title));
                }
            }
            Event::ChapterStarted { album, pages, .. } => {
                self.total.inc_length(*pages as u64);
                if let Some(bar) = self.album_bar(*album) {
                    bar.inc_length(*pages as u64);
                }
            }
            Event::PageDone { album, .. } => {
                self.total.inc(1);
                if let Some(bar) = self.album_bar(*album) {
                    bar.inc(1);
                }
            }
            Event::StageStarted { album, stage, .. } => {
                self.album_message(*album, Some(stage));
            }
            Event::StageDone { album, .. } | Event::StageFailed { album, .. } => {
                self.album_message(*album, None);
            }
            Event::AlbumDone { id, complete } => {
                if let Some((bar, title)) = self.albums.lock().ok().and_then(|mut m| m.remove(id)) {
                    let mark = if *complete { "done" } else { "INCOMPLETE" };
                    bar.finish_with_message(format!("{mark}: {title}"));
                }
            }
            _ => {}
        }
    }
}

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

/// `s` cut to at most `max` characters (an ellipsis marks the cut), made safe for a terminal.
pub fn truncate(s: &str, max: usize) -> String {
    let s = printable(s);
    if s.chars().count() <= max {
        return s;
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// `s` on one line, with every other control character (ESC, NUL, CR, ...) and
/// bidirectional-override character replaced by U+FFFD. Titles and error text come from the
/// server: printed raw, an escape sequence in a title could rewrite the user's terminal or
/// hide what is shown.
pub fn printable(s: &str) -> String {
    s.chars()
        .map(|c| {
            let bidi = matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
            if c == '\n' || c == '\t' {
                ' '
            } else if c.is_control() || bidi {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_bidi_characters_are_replaced() {
        assert_eq!(
            printable("a\u{1b}[2Jb\0c\r\u{202E}d"),
            "a\u{FFFD}[2Jb\u{FFFD}c\u{FFFD}\u{FFFD}d"
        );
        assert_eq!(printable("漫画 🎉 ok"), "漫画 🎉 ok");
        assert_eq!(printable("two\nlines\tand tab"), "two lines and tab");
    }

    #[test]
    fn truncation_counts_characters_and_marks_the_cut() {
        assert_eq!(truncate("漫画漫画漫画", 4), "漫画漫…");
        assert_eq!(truncate("short", 40), "short");
        assert_eq!(truncate("\u{1b}]0;x\u{7}", 40), "\u{FFFD}]0;x\u{FFFD}");
    }
}
