//! Progress bars on a terminal: a line per album (chapters done), a line per chapter being
//! downloaded under it (pages done), and a total line (pages, speed). Titles are fitted to
//! the terminal's columns (CJK takes two, emoji sequences are measured as the widest a
//! terminal may draw them), counts not known yet show a spinner, and nothing is left on the
//! screen when the run ends: finished albums become plain lines above the bars.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use jmcomic::{Event, JmId, Reporter, Target};

use super::text::{fit, width};

/// Columns of the `prefix` (`JM1234567`, `p1234567`, `total`).
const PREFIX: usize = 10;

/// Progress bars: one per album in progress, one per chapter in progress, one for all pages.
pub struct Bars {
    multi: MultiProgress,
    total: ProgressBar,
    columns: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    albums: HashMap<JmId, Album>,
    chapters: HashMap<JmId, ProgressBar>,
    /// Targets started whose album is not known yet.
    waiting: HashSet<Target>,
    /// Chapters announced whose page count is not known yet, per album.
    unresolved: HashMap<JmId, usize>,
    /// Whether any page count is known (the total line stops spinning).
    counting: bool,
}

struct Album {
    bar: ProgressBar,
    title: String,
    pages: (u64, u64),
}

/// Width of the bars for a terminal of `columns`.
fn bar_width(columns: usize) -> usize {
    if columns >= 110 {
        30
    } else {
        (columns / 4).clamp(8, 24)
    }
}

impl Bars {
    /// Bars drawn on stderr (hidden when `visible` is false), fitted to its width.
    pub fn new(visible: bool) -> Self {
        let columns = console::Term::stderr()
            .size_checked()
            .map_or(80, |(_, c)| usize::from(c));
        let target = if visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        Self::with_target(target, columns)
    }

    /// Bars drawn on `target`, `columns` wide.
    pub fn with_target(target: ProgressDrawTarget, columns: usize) -> Self {
        let multi = MultiProgress::with_draw_target(target);
        let total = multi.add(ProgressBar::new(0));
        total.set_style(spinner_style());
        total.set_prefix("total");
        total.set_message("waiting for the page lists");
        total.enable_steady_tick(std::time::Duration::from_millis(120));
        Self {
            multi,
            total,
            columns,
            state: Mutex::new(State::default()),
        }
    }

    /// The handle log output goes through so it does not garble the bars.
    pub fn multi(&self) -> &MultiProgress {
        &self.multi
    }

    /// Prints a line above the bars (or plainly when they are hidden).
    pub fn println(&self, line: &str) {
        if self.multi.is_hidden() {
            eprintln!("{line}");
        } else {
            let _ = self.multi.println(line);
        }
    }

    /// Removes every bar from the screen.
    pub fn finish(&self) {
        if let Ok(mut s) = self.state.lock() {
            for (_, c) in s.chapters.drain() {
                c.finish_and_clear();
            }
            for (_, a) in s.albums.drain() {
                a.bar.finish_and_clear();
            }
        }
        self.total.finish_and_clear();
        let _ = self.multi.clear();
    }

    fn album_style(&self) -> ProgressStyle {
        let bw = bar_width(self.columns);
        ProgressStyle::with_template(&format!(
            "{{prefix:>{PREFIX}}} [{{bar:{bw}}}] {{pos:>3}}/{{len:<3}} ch {{msg}}"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
    }

    /// Columns left for an album's title.
    fn album_title_columns(&self) -> usize {
        // prefix, " [", bar, "] ", "pos/len", " ch ", and one spare column.
        self.columns
            .saturating_sub(PREFIX + 2 + bar_width(self.columns) + 2 + 7 + 4 + 1)
    }

    fn chapter_style(&self) -> ProgressStyle {
        let bw = bar_width(self.columns);
        ProgressStyle::with_template(&format!(
            "{{prefix:>{PREFIX}}}  [{{bar:{bw}}}] {{pos:>4}}/{{len:<4}} {{msg}}"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("-> ")
    }

    fn chapter_title_columns(&self) -> usize {
        self.columns
            .saturating_sub(PREFIX + 3 + bar_width(self.columns) + 2 + 9 + 1 + 1)
    }

    fn total_style(&self) -> ProgressStyle {
        // Room for large counts, the speed and the time on the same line.
        let bw = bar_width(self.columns).saturating_sub(6).max(6);
        ProgressStyle::with_template(&format!(
            "{{prefix:>{PREFIX}}} [{{bar:{bw}}}] {{pos}}/{{len}}{{msg}} pages  {{rate}}  {{elapsed}}"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .with_key("rate", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = write!(w, "{:.1} pages/s", s.per_sec());
        })
        .progress_chars("=> ")
    }

    /// The total line's marker: `+` while some page counts are still unknown.
    fn update_total(&self, s: &State) {
        let more = !s.waiting.is_empty() || s.unresolved.values().any(|n| *n > 0);
        self.total.set_message(if more { "+" } else { "" });
    }
}

fn spinner_style() -> ProgressStyle {
    ProgressStyle::with_template(&format!("{{prefix:>{PREFIX}}} {{spinner}} {{msg}}"))
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
}

impl Reporter for Bars {
    fn event(&self, event: &Event) {
        let Ok(mut s) = self.state.lock() else {
            return;
        };
        match event {
            Event::TargetStarted { target } => {
                s.waiting.insert(*target);
            }
            Event::TargetDone { target, .. } | Event::TargetFailed { target, .. } => {
                s.waiting.remove(target);
                self.update_total(&s);
            }
            Event::AlbumStarted {
                target,
                id,
                name,
                chapters,
                ..
            } => {
                s.waiting.remove(target);
                let bar = self
                    .multi
                    .insert_before(&self.total, ProgressBar::new(*chapters as u64));
                bar.set_style(self.album_style());
                bar.set_prefix(format!("JM{id}"));
                let title = fit(name, self.album_title_columns());
                bar.set_message(title.clone());
                *s.unresolved.entry(*id).or_default() += chapters;
                s.albums.insert(
                    *id,
                    Album {
                        bar,
                        title,
                        pages: (0, 0),
                    },
                );
                self.update_total(&s);
            }
            Event::ChapterStarted {
                album,
                id,
                name,
                pages,
                ..
            } => {
                if let Some(n) = s.unresolved.get_mut(album) {
                    *n = n.saturating_sub(1);
                }
                if !s.counting {
                    s.counting = true;
                    self.total.disable_steady_tick();
                    self.total.set_style(self.total_style());
                }
                self.total.inc_length(*pages as u64);
                let chapter_bar = ProgressBar::new(*pages as u64);
                chapter_bar.set_style(self.chapter_style());
                chapter_bar.set_prefix(format!("p{id}"));
                chapter_bar.set_message(fit(name, self.chapter_title_columns()));
                let chapter_bar = match s.albums.get_mut(album) {
                    Some(a) => {
                        a.pages.1 += *pages as u64;
                        self.multi.insert_after(&a.bar, chapter_bar)
                    }
                    None => self.multi.insert_before(&self.total, chapter_bar),
                };
                s.chapters.insert(*id, chapter_bar);
                self.update_total(&s);
            }
            Event::ChapterSkipped { album, id } | Event::ChapterFailed { album, id, .. } => {
                if let Some(n) = s.unresolved.get_mut(album) {
                    *n = n.saturating_sub(1);
                }
                if let Some(bar) = s.chapters.remove(id) {
                    bar.finish_and_clear();
                }
                if let Some(a) = s.albums.get(album) {
                    a.bar.inc(1);
                }
                self.update_total(&s);
            }
            Event::PageDone { album, chapter, .. } => {
                self.total.inc(1);
                if let Some(c) = s.chapters.get(chapter) {
                    c.inc(1);
                }
                if let Some(a) = s.albums.get_mut(album) {
                    a.pages.0 += 1;
                }
            }
            Event::ChapterDone { album, id, .. } => {
                if let Some(bar) = s.chapters.remove(id) {
                    bar.finish_and_clear();
                }
                if let Some(a) = s.albums.get(album) {
                    a.bar.inc(1);
                }
            }
            Event::StageStarted { album, stage, .. } => {
                if let Some(a) = s.albums.get(album) {
                    let room = self.album_title_columns();
                    let doing = format!(" · {stage}…");
                    let title = fit(&a.title, room.saturating_sub(width(&doing)));
                    a.bar.set_message(format!("{title}{doing}"));
                }
            }
            Event::StageDone { album, .. } | Event::StageFailed { album, .. } => {
                if let Some(a) = s.albums.get(album) {
                    a.bar.set_message(a.title.clone());
                }
            }
            Event::AlbumDone { id, complete } => {
                if let Some(a) = s.albums.remove(id) {
                    a.bar.finish_and_clear();
                    let mark = if *complete { "done" } else { "INCOMPLETE" };
                    let (done, total) = a.pages;
                    let head = format!("{mark} JM{id}: {done}/{total} pages  ");
                    let title = fit(&a.title, self.columns.saturating_sub(width(&head) + 1));
                    self.println(&format!("{head}{title}"));
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use indicatif::InMemoryTerm;
    use jmcomic::PageOutcome;

    use super::*;

    fn page(album: JmId, chapter: JmId, index: u32) -> Event {
        Event::PageDone {
            album,
            chapter,
            index,
            path: PathBuf::from("x"),
            outcome: PageOutcome::Reused,
        }
    }

    /// Every line on the emulated terminal fits its width.
    fn assert_fits(term: &InMemoryTerm, columns: usize) {
        for line in term.contents().lines() {
            assert!(
                width(line) <= columns,
                "{} columns > {columns}: {line:?}",
                width(line)
            );
        }
    }

    #[test]
    fn titles_fit_80_columns_and_nothing_is_left_behind() {
        let term = InMemoryTerm::new(30, 80);
        let bars = Bars::with_target(ProgressDrawTarget::term_like(Box::new(term.clone())), 80);
        let titles = [
            (JmId::new(1), "長い中文標題".repeat(10)),
            (JmId::new(2), "Emoji 😀🎉 album ✨ 🏳️‍🌈 👨‍👩‍👧 ❤️".repeat(4)),
            (
                JmId::new(3),
                "日本語のタイトル、とても長いタイトル".repeat(5),
            ),
        ];
        for (id, title) in &titles {
            let target = Target::album(*id);
            bars.event(&Event::TargetStarted { target });
            bars.event(&Event::AlbumStarted {
                target,
                id: *id,
                name: title.clone(),
                chapters: 2,
                dir: PathBuf::from("d"),
            });
            for c in 0..2 {
                let chapter = JmId::new(id.get() * 100 + c);
                bars.event(&Event::ChapterStarted {
                    album: *id,
                    id: chapter,
                    name: format!("第{c}話 {title}"),
                    pages: 5,
                    dir: PathBuf::from("d"),
                });
                for i in 1..=3 {
                    bars.event(&page(*id, chapter, i));
                }
            }
        }
        bars.total.tick();
        for a in bars.state.lock().unwrap().albums.values() {
            a.bar.tick();
        }
        let shown = term.contents();
        assert!(shown.contains("JM1") && shown.contains("total"), "{shown}");
        assert!(
            shown.contains("p100") && shown.contains("pages/s"),
            "{shown}"
        );
        assert!(shown.contains('…'), "long titles are cut: {shown}");
        assert_fits(&term, 80);
        // Finished albums become lines; the bars go.
        for (id, _) in &titles {
            for c in 0..2 {
                bars.event(&Event::ChapterDone {
                    album: *id,
                    id: JmId::new(id.get() * 100 + c),
                    complete: true,
                });
            }
            bars.event(&Event::AlbumDone {
                id: *id,
                complete: true,
            });
        }
        bars.finish();
        let shown = term.contents();
        assert_fits(&term, 80);
        assert!(!shown.contains('['), "no bar left behind: {shown}");
        assert_eq!(shown.matches("done JM").count(), 3, "{shown}");
    }

    #[test]
    fn the_total_spins_until_a_page_count_is_known_then_says_more_is_coming() {
        let term = InMemoryTerm::new(10, 80);
        let bars = Bars::with_target(ProgressDrawTarget::term_like(Box::new(term.clone())), 80);
        let target = Target::album(JmId::new(7));
        bars.event(&Event::TargetStarted { target });
        bars.total.tick();
        assert!(term.contents().contains("waiting for the page lists"));
        assert!(!term.contents().contains("0/0"));
        bars.event(&Event::AlbumStarted {
            target,
            id: JmId::new(7),
            name: "t".into(),
            chapters: 2,
            dir: PathBuf::from("d"),
        });
        bars.event(&Event::ChapterStarted {
            album: JmId::new(7),
            id: JmId::new(70),
            name: "c".into(),
            pages: 4,
            dir: PathBuf::from("d"),
        });
        bars.total.tick();
        assert!(
            term.contents().contains("0/4+ pages"),
            "{}",
            term.contents()
        );
        bars.event(&Event::ChapterSkipped {
            album: JmId::new(7),
            id: JmId::new(71),
        });
        bars.total.tick();
        assert!(term.contents().contains("0/4 pages"), "{}", term.contents());
    }
}
