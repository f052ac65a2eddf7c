//! Title helpers: the tokeniser behind `oname` (a title without its bracketed groups).

// Spec §8.3 (tokeniser), §2.1 (`oname`).

/// Bracket pairs the site's titles use for groups, events and tags.
const PAIRS: [(char, char); 4] = [('(', ')'), ('[', ']'), ('【', '】'), ('（', '）')];

fn closer_of(c: char) -> Option<char> {
    PAIRS.iter().find(|(o, _)| *o == c).map(|(_, c)| *c)
}

/// Splits a title into plain words and balanced bracketed groups, as the Python package's
/// `tokenize` does.
///
/// `繞道#2 [暴碧漢化組] よりみち#2 (COMIC 快樂天)` gives
/// `["繞道#2", "[暴碧漢化組]", "よりみち#2", "(COMIC 快樂天)"]`. An opening bracket
/// without its closer is kept as a plain character.
pub fn tokenize(title: &str) -> Vec<String> {
    let chars: Vec<char> = title.trim().chars().collect();
    let mut tokens = Vec::new();
    let mut word = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if closer_of(c).is_some()
            && let Some(end) = matching_close(&chars, i)
        {
            flush(&mut word, &mut tokens);
            tokens.push(chars[i..=end].iter().collect());
            i = end + 1;
            continue;
        }
        word.push(c);
        i += 1;
    }
    flush(&mut word, &mut tokens);
    tokens
}

/// Index of the bracket closing the one at `start`, using a stack so nested groups of any
/// kind stay inside; mismatched closers are ignored.
fn matching_close(chars: &[char], start: usize) -> Option<usize> {
    let mut stack: Vec<char> = Vec::new();
    for (j, &c) in chars.iter().enumerate().skip(start) {
        if let Some(close) = closer_of(c) {
            stack.push(close);
        } else if stack.last() == Some(&c) {
            stack.pop();
            if stack.is_empty() {
                return Some(j);
            }
        }
    }
    None
}

fn flush(word: &mut String, tokens: &mut Vec<String>) {
    let w = word.trim();
    if !w.is_empty() {
        tokens.push(w.to_owned());
    }
    word.clear();
}

/// The "original name" of a title: its first token that is not a bracketed group, or the
/// whole title when every token is one (the Python package's `oname`).
// Spec §2.1.
pub fn oname(title: &str) -> String {
    tokenize(title)
        .into_iter()
        .find(|t| !t.starts_with(['(', '[', '【', '（']))
        .unwrap_or_else(|| title.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_example() {
        let t = "繞道#2 [暴碧漢化組] [えーすけ（123）] よりみち#2 (COMIC 快樂天 2024年1月號) [中國翻譯] [DL版]";
        assert_eq!(
            tokenize(t),
            [
                "繞道#2",
                "[暴碧漢化組]",
                "[えーすけ（123）]",
                "よりみち#2",
                "(COMIC 快樂天 2024年1月號)",
                "[中國翻譯]",
                "[DL版]"
            ]
        );
    }

    #[test]
    fn oname_examples() {
        assert_eq!(
            oname("喂我吃吧 老師! [欶瀾漢化組] [BLVEFO9] たべさせて… [中國翻譯]"),
            "喂我吃吧 老師!"
        );
        assert_eq!(oname("[a] [b]"), "[a] [b]");
        assert_eq!(oname("plain"), "plain");
    }

    #[test]
    fn unbalanced_bracket_is_plain() {
        assert_eq!(tokenize("a [b c"), ["a [b c"]);
        assert_eq!(tokenize("x (y] z)"), ["x", "(y] z)"]);
        assert_eq!(tokenize(""), Vec::<String>::new());
    }
}
