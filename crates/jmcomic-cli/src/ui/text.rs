//! Text for a terminal: server-provided strings made safe to print, and fitted to a number
//! of columns.

use unicode_segmentation::UnicodeSegmentation;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

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

/// The most columns a terminal may give `grapheme`: what Unicode says (a ZWJ family emoji
/// is 2), or, for terminals that draw the pieces of an emoji sequence one by one, the sum
/// of its characters (an emoji followed by the emoji variation selector counting 2).
/// Fitting titles to this never makes a line wrap, whatever the terminal.
fn columns(grapheme: &str) -> usize {
    let mut sum = 0;
    let mut chars = grapheme.chars().peekable();
    while let Some(c) = chars.next() {
        let w = c.width().unwrap_or(0);
        sum += if chars.peek() == Some(&'\u{FE0F}') {
            w.max(2)
        } else {
            w
        };
    }
    sum.max(grapheme.width())
}

/// Columns `s` takes at most (see [`columns`]).
pub fn width(s: &str) -> usize {
    s.graphemes(true).map(columns).sum()
}

/// `s` made printable and cut to at most `max` columns at a character boundary (never
/// inside an emoji sequence), an ellipsis marking the cut.
pub fn fit(s: &str, max: usize) -> String {
    let s = printable(s);
    if width(&s) <= max {
        return s;
    }
    let mut out = String::new();
    let mut used = 0;
    for g in s.graphemes(true) {
        let w = columns(g);
        if used + w + 1 > max {
            break;
        }
        out.push_str(g);
        used += w;
    }
    if max > 0 {
        out.push('…');
    }
    out
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
    fn widths_count_columns_not_characters() {
        assert_eq!(width("abc"), 3);
        assert_eq!(width("中文標題"), 8);
        assert_eq!(width("😀"), 2);
        // The rainbow flag: 2 where ZWJ sequences are drawn as one, 4 where they are not.
        assert_eq!(width("🏳️‍🌈"), 4);
        assert_eq!(width("❤️"), 2);
    }

    #[test]
    fn fitting_cuts_by_columns_and_never_inside_a_sequence() {
        assert_eq!(fit("漫画漫画漫画", 7), "漫画漫…");
        assert_eq!(fit("short", 40), "short");
        assert_eq!(fit("\u{1b}]0;x\u{7}", 40), "\u{FFFD}]0;x\u{FFFD}");
        let flag = fit("ab🏳️‍🌈cd", 5);
        assert_eq!(flag, "ab…");
        assert!(width(&flag) <= 5);
        for max in 0..30 {
            let t = fit("Emoji 😀🎉 album ✨ 🏳️‍🌈 中文標題", max);
            assert!(width(&t) <= max.max(1), "{max}: {t}");
        }
    }
}
