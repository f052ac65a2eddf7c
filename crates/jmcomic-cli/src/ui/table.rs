//! Tables for listings (search results, rankings, favourites, comments): aligned columns by
//! display width (CJK takes two), fitted to the terminal so no row wraps.

use super::text::{fit, printable, width};

/// The widest a column other than the flexible one may be on a terminal.
const CAP: usize = 40;
/// The narrowest the flexible column is made, however small the terminal.
const FLEX_MIN: usize = 10;

/// Rows under a header; one column (usually the title) takes what the others leave.
pub struct Table {
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
    flex: usize,
}

impl Table {
    /// A table with these headers; column `flex` is cut to fit a terminal.
    pub fn new(headers: &[&'static str], flex: usize) -> Self {
        Self {
            headers: headers.to_vec(),
            rows: Vec::new(),
            flex,
        }
    }

    /// Adds a row (text from the site is made printable here).
    pub fn row(&mut self, cells: &[String]) {
        self.rows.push(cells.iter().map(|c| printable(c)).collect());
    }

    /// The table as lines. `columns`: the terminal's width (cells are cut to fit it);
    /// `None` (a pipe, a file): every cell whole.
    pub fn render(&self, columns: Option<usize>) -> String {
        let n = self.headers.len();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| width(h)).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate().take(n) {
                widths[i] = widths[i].max(width(c));
            }
        }
        if let Some(total) = columns {
            for (i, w) in widths.iter_mut().enumerate() {
                if i != self.flex {
                    *w = (*w).min(CAP);
                }
            }
            let others: usize = widths
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != self.flex)
                .map(|(_, w)| w)
                .sum::<usize>()
                + 2 * n.saturating_sub(1);
            if let Some(f) = widths.get_mut(self.flex) {
                *f = (*f).min(total.saturating_sub(others).max(FLEX_MIN));
            }
        }
        let mut out = String::new();
        let mut line = |cells: &[String]| {
            let mut l = String::new();
            for (i, w) in widths.iter().enumerate() {
                let cell = cells.get(i).map_or("", String::as_str);
                let cell = if columns.is_some() {
                    fit(cell, *w)
                } else {
                    cell.to_owned()
                };
                l.push_str(&cell);
                if i + 1 < n {
                    l.push_str(&" ".repeat(w.saturating_sub(width(&cell)) + 2));
                }
            }
            out.push_str(l.trim_end());
            out.push('\n');
        };
        line(
            &self
                .headers
                .iter()
                .map(|h| (*h).to_owned())
                .collect::<Vec<_>>(),
        );
        for r in &self.rows {
            line(r);
        }
        out
    }

    /// Prints the table on stdout, fitted to the terminal if stdout is one.
    pub fn print(&self) {
        let term = console::Term::stdout();
        let columns = term
            .is_term()
            .then(|| term.size_checked().map(|(_, w)| usize::from(w)))
            .flatten();
        crate::out!("{}", self.render(columns));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        let mut t = Table::new(&["ID", "TITLE", "AUTHOR"], 1);
        t.row(&[
            "123".into(),
            "漫画の長いタイトル that goes on and on".into(),
            "作者".into(),
        ]);
        t.row(&["4".into(), "short\u{1b}[2J".into(), "someone".into()]);
        t
    }

    #[test]
    fn columns_align_by_display_width() {
        let text = table().render(None);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        // The author column starts at the same display column on every line.
        let at = |l: &str| width(&l[..l.rfind("  ").unwrap() + 2]);
        assert_eq!(at(lines[0]), at(lines[1]));
        assert_eq!(at(lines[1]), at(lines[2]));
        // Whole cells without a terminal, control characters replaced.
        assert!(lines[1].contains("that goes on and on"));
        assert!(lines[2].contains("short\u{FFFD}[2J"));
    }

    #[test]
    fn rows_fit_the_terminal() {
        for columns in [30, 40, 80] {
            let text = table().render(Some(columns));
            for l in text.lines() {
                assert!(width(l) <= columns, "{columns}: {l:?}");
            }
        }
        assert!(table().render(Some(30)).contains('…'));
        assert!(!table().render(Some(80)).contains('…'));
    }
}
