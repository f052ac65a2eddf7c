//! Turning titles from the site into safe file and directory names.
//!
//! Titles come from the site and are untrusted: they may contain path separators, `..`,
//! control characters, Windows device names, or be hundreds of bytes long. The Python
//! package only replaces a few characters (`fix_windir_name`) and truncates whole paths
//! to 100 characters after the operating system has already refused them, which can point
//! outside the download directory. Here every name is made safe before it is joined to a path:
//!
//! * each of `\ / : * ? " < > |` and every control character becomes `_`;
//! * surrounding whitespace is trimmed and trailing dots and spaces are stripped (Windows
//!   drops them silently, so `a.` and `a` would collide);
//! * `.`, `..` and names that end up empty become `_`;
//! * Windows device names (`CON`, `PRN`, `AUX`, `NUL`, `COM1`–`COM9`, `LPT1`–`LPT9`, any
//!   case, also with an extension such as `con.txt`) get a `_` after the device name;
//! * the result is cut to [`MAX_COMPONENT_BYTES`] bytes at a character boundary.
//!
//! The result is never empty, never `.` or `..`, and never contains a path separator, so
//! joining it to a directory always names an entry directly inside that directory.
//!
//! ```
//! use jmcomic::naming::{MAX_COMPONENT_BYTES, sanitize_component};
//!
//! assert_eq!(sanitize_component("第1話: ep/a"), "第1話_ ep_a");
//! assert_eq!(sanitize_component(".."), "_");
//! assert_eq!(sanitize_component("CON"), "CON_");
//! assert!(sanitize_component(&"長".repeat(1000)).len() <= MAX_COMPONENT_BYTES);
//! ```

// Spec §8.4 (the Python helpers), W21 (its path truncation).

/// Longest name, in bytes, that [`sanitize_component`] returns.
///
/// Most file systems limit one name to 255 bytes (ext4, XFS, Btrfs, APFS; NTFS counts 255
/// UTF-16 units, which 200 UTF-8 bytes never exceed). 200 leaves 55 bytes for what the
/// downloader appends to a name: an image suffix (`.webp`), a temporary-file suffix while a
/// file is being written, or an archive suffix added by an exporter.
pub const MAX_COMPONENT_BYTES: usize = 200;

/// Characters Windows forbids in names (and `/`, the Unix separator): the set the Python
/// package's `fix_windir_name` replaces.
// Spec §8.4.
const FORBIDDEN: [char; 9] = ['\\', '/', ':', '*', '?', '"', '<', '>', '|'];

/// Windows device names; a name whose part before the first dot is one of these cannot be
/// created on Windows.
const RESERVED: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// Makes `name` safe to use as one directory or file name. See the module documentation
/// for the rules.
pub fn sanitize_component(name: &str) -> String {
    let replaced: String = name
        .chars()
        .map(|c| {
            if FORBIDDEN.contains(&c) || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let mut out = strip_trailing(replaced.trim()).to_owned();
    cut_to(&mut out, MAX_COMPONENT_BYTES);
    if out.is_empty() {
        return "_".to_owned();
    }
    if let Some(stem_len) = reserved_stem_len(&out) {
        out.insert(stem_len, '_');
        cut_to(&mut out, MAX_COMPONENT_BYTES);
    }
    out
}

/// Makes `stem` safe as the name of an image file before its suffix is appended; the same
/// rules as [`sanitize_component`].
pub fn sanitize_file_stem(stem: &str) -> String {
    sanitize_component(stem)
}

/// Strips trailing dots and whitespace (Windows ignores them; the Python package strips the
/// dots).
// Spec §8.4.
fn strip_trailing(s: &str) -> &str {
    s.trim_end_matches(|c: char| c == '.' || c.is_whitespace())
}

/// Cuts `s` to at most `max` bytes without splitting a character, then strips what the
/// cut may have left at the end.
fn cut_to(s: &mut String, max: usize) {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        let kept = strip_trailing(s).len();
        s.truncate(kept);
    }
}

/// If `name` is a Windows device name (optionally followed by `.extension`), the length of
/// the device-name part.
fn reserved_stem_len(name: &str) -> Option<usize> {
    let stem = name.split('.').next().unwrap_or(name);
    let stem_trimmed = stem.trim_end();
    RESERVED
        .iter()
        .any(|r| r.eq_ignore_ascii_case(stem_trimmed))
        .then_some(stem_trimmed.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_forbidden_and_control_characters() {
        assert_eq!(
            sanitize_component(r#"a\b/c:d*e?f"g<h>i|j"#),
            "a_b_c_d_e_f_g_h_i_j"
        );
        assert_eq!(sanitize_component("a\0b\nc\td\re\u{7f}"), "a_b_c_d_e_");
    }

    #[test]
    fn trims_and_strips_trailing_dots() {
        assert_eq!(sanitize_component("  name. . "), "name");
        assert_eq!(sanitize_component(".hidden"), ".hidden");
        for s in ["", " ", ".", "..", "...", ". . .", "\u{3000}"] {
            assert_eq!(sanitize_component(s), "_", "{s:?}");
        }
    }

    #[test]
    fn reserved_names_get_an_underscore() {
        assert_eq!(sanitize_component("CON"), "CON_");
        assert_eq!(sanitize_component("con.txt"), "con_.txt");
        assert_eq!(sanitize_component("Lpt9"), "Lpt9_");
        assert_eq!(sanitize_component("COM10"), "COM10");
        assert_eq!(sanitize_component("CONSOLE"), "CONSOLE");
        assert_eq!(sanitize_file_stem("nul"), "nul_");
    }

    #[test]
    fn cuts_at_char_boundaries() {
        let cjk = "長".repeat(1000); // 3 bytes each
        let out = sanitize_component(&cjk);
        assert_eq!(out.len(), 198);
        let emoji = "😀".repeat(100); // 4 bytes each
        let out = sanitize_component(&emoji);
        assert_eq!(out.len(), 200);
        let mixed = format!("a{}", "😀".repeat(100));
        let out = sanitize_component(&mixed);
        assert_eq!(out.len(), 197);
        assert!(out.chars().all(|c| c == 'a' || c == '😀'));
    }

    #[test]
    fn cut_then_strip_and_reserved_after_cut() {
        let name = format!("{}{}x", "a".repeat(199), " ");
        assert_eq!(sanitize_component(&name), "a".repeat(199));
        let name = format!("CON{}", ".".repeat(300));
        assert_eq!(sanitize_component(&name), "CON_");
        let name = format!("con.{}", "b".repeat(300));
        let out = sanitize_component(&name);
        assert!(out.starts_with("con_.bbb"));
        assert_eq!(out.len(), MAX_COMPONENT_BYTES);
    }
}
