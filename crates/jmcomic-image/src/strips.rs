//! How many strips a page was cut into (the Python package's `JmImageTool.get_num`).

// Spec §7.1.

use md5::{Digest, Md5};

/// Chapters below this id use a fixed 10 strips (`JmMagicConstants.SCRAMBLE_268850`).
// Spec §7.1 step 2.
const SCRAMBLE_268850: u64 = 268_850;
/// From this chapter id on the md5 branch uses 8 instead of 10 as modulus
/// (`JmMagicConstants.SCRAMBLE_421926`).
// Spec §7.1 step 3.
const SCRAMBLE_421926: u64 = 421_926;
/// Strip count of chapters in `[scramble_id, 268850)`.
// Spec §7.1 step 2.
const FIXED_STRIPS: u32 = 10;

/// Number of strips of a page, as the Python package computes it.
///
/// * `scramble_id`: the chapter's scramble id (typically `220980`; API albums may carry `0`,
///   which still gives the md5 branch for real ids).
/// * `chapter_id`: the photo/chapter id, the number after `/media/photos/` in the image URL
///   (the Python original calls it `aid`).
/// * `file_stem`: the image file name without its extension, e.g. `"00001"`.
///
/// Returns `0` when the page is not scrambled, otherwise an even number in `2..=20`.
///
/// ```
/// use jmcomic_image::strip_count;
/// // Chapters from the scramble id on are cut by an md5 of id and file name...
/// assert_eq!(strip_count(220980, 438516, "00001"), 6);
/// // ...except for a fixed 10 strips below chapter 268850...
/// assert_eq!(strip_count(220980, 220981, "00001"), 10);
/// // ...and chapters below the scramble id are not scrambled.
/// assert_eq!(strip_count(220980, 147643, "00001"), 0);
/// ```
// Spec §7.1 (the examples are from its worked-example table).
pub fn strip_count(scramble_id: u64, chapter_id: u64, file_stem: &str) -> u32 {
    if chapter_id < scramble_id {
        return 0;
    }
    if chapter_id < SCRAMBLE_268850 {
        return FIXED_STRIPS;
    }
    let modulus: u32 = if chapter_id < SCRAMBLE_421926 { 10 } else { 8 };
    // Python hashes the UTF-8 of f"{aid}{filename}" and takes the code point of the LAST
    // character of the lowercase hex digest, i.e. of the low nibble of the last digest byte.
    let mut hasher = Md5::new();
    hasher.update(chapter_id.to_string().as_bytes());
    hasher.update(file_stem.as_bytes());
    let digest = hasher.finalize();
    let nibble = digest.last().map_or(0, |b| b & 0x0f);
    let code_point = u32::from(if nibble < 10 {
        b'0' + nibble
    } else {
        b'a' + (nibble - 10)
    });
    (code_point % modulus) * 2 + 2
}

#[cfg(test)]
mod tests {
    use super::*;

    // Spec §7.1 worked-example table (scramble id 220980).
    #[test]
    fn spec_worked_examples() {
        let table: &[(u64, &str, u32)] = &[
            (438_516, "00001", 6),
            (438_516, "00002", 4),
            (350_234, "00001", 2),
            (421_925, "00001", 18),
            (421_926, "00001", 14),
            (300_000, "00005", 2),
            (220_981, "00001", 10),
            (147_643, "00001", 0),
            (123, "anything", 0),
        ];
        for &(aid, stem, want) in table {
            assert_eq!(strip_count(220_980, aid, stem), want, "aid {aid} {stem}");
        }
    }

    /// One row per branch and each side of every threshold.
    #[test]
    fn branches() {
        let table: &[(u64, u64, &str, u32)] = &[
            // Below the scramble id: not scrambled.
            (220_980, 0, "00001", 0),
            (220_980, 220_979, "00001", 0),
            // Equal to the scramble id: scrambled, fixed branch.
            (220_980, 220_980, "00001", 10),
            (220_980, 268_849, "00001", 10),
            // 268850 starts the md5 branch with modulus 10.
            (220_980, 268_850, "00001", md5_num(268_850, "00001", 10)),
            (220_980, 421_925, "00001", 18),
            // 421926 switches the modulus to 8.
            (220_980, 421_926, "00001", 14),
            (220_980, 1_392_328, "00001", md5_num(1_392_328, "00001", 8)),
            // A scramble id above the thresholds hides the fixed branch.
            (300_000, 268_850, "00001", 0),
            (300_000, 299_999, "00001", 0),
            // Scramble id 0 (API albums): ids below 268850 get 10.
            (0, 1, "00001", 10),
            // Huge ids stay on the modulus-8 branch.
            (0, u64::MAX, "00001", md5_num(u64::MAX, "00001", 8)),
        ];
        for &(scramble, aid, stem, want) in table {
            assert_eq!(
                strip_count(scramble, aid, stem),
                want,
                "{scramble} {aid} {stem}"
            );
        }
    }

    /// An independent re-statement of the md5 rule through the hex string, like Python does.
    fn md5_num(aid: u64, stem: &str, modulus: u32) -> u32 {
        let digest = Md5::digest(format!("{aid}{stem}").as_bytes());
        let hex: String = digest
            .iter()
            .flat_map(|b| format!("{b:02x}").into_bytes())
            .map(char::from)
            .collect();
        let last = hex.chars().last().unwrap();
        (u32::from(last) % modulus) * 2 + 2
    }

    #[test]
    fn md5_branch_values_are_even_and_bounded() {
        for aid in [268_850_u64, 300_000, 421_925] {
            for page in 1..200 {
                let n = strip_count(220_980, aid, &format!("{page:05}"));
                assert!(n.is_multiple_of(2) && (2..=20).contains(&n), "{n}");
            }
        }
        for page in 1..200 {
            let n = strip_count(220_980, 500_000, &format!("{page:05}"));
            assert!(n.is_multiple_of(2) && (2..=16).contains(&n), "{n}");
        }
    }

    #[test]
    fn non_ascii_stem_hashes_utf8() {
        let got = strip_count(0, 500_000, "頁");
        assert_eq!(got, md5_num(500_000, "頁", 8));
    }
}
