//! Strip count (spec §7.1) and the scrambling the CDN applies, i.e. the inverse of the
//! client's re-assembly (spec §7.2).

use crate::crypto::md5_hex;
use crate::site::{SCRAMBLE_268850, SCRAMBLE_421926};

/// Number of horizontal strips a page is cut into (spec §7.1 `get_num`).
///
/// `chapter_id` is the photo id from the image URL (the spec's `aid`), `stem` the file name
/// without its extension. `0` means "not scrambled".
pub(crate) fn strip_count(scramble_id: u64, chapter_id: u64, stem: &str) -> u32 {
    if chapter_id < scramble_id {
        return 0;
    }
    if chapter_id < SCRAMBLE_268850 {
        return 10;
    }
    let modulus: u32 = if chapter_id < SCRAMBLE_421926 { 10 } else { 8 };
    let hash = md5_hex(&format!("{chapter_id}{stem}"));
    // The code point of the last hex character ('0'..'9' = 48..57, 'a'..'f' = 97..102).
    let last = u32::from(hash.as_bytes().last().copied().unwrap_or(b'0'));
    (last % modulus) * 2 + 2
}

/// The source rows of each output strip of the client's re-assembly (spec §7.2), as
/// `(src_y, dst_y, len)` triples.
fn strips(height: u32, num: u32) -> impl Iterator<Item = (u32, u32, u32)> {
    let over = height % num;
    let step = height / num;
    (0..num).map(move |i| {
        let src_y = height - step * (i + 1) - over;
        if i == 0 {
            (src_y, 0, step + over)
        } else {
            (src_y, step * i + over, step)
        }
    })
}

/// Scrambles a packed RGB buffer so that the spec §7.2 re-assembly restores it.
///
/// The re-assembly copies scrambled rows `[src_y, src_y+len)` to output rows
/// `[dst_y, dst_y+len)`; the scrambler therefore copies original rows `[dst_y, ..)` to
/// `[src_y, ..)`. `num == 0` (or 1) returns the rows unchanged.
pub(crate) fn scramble_rgb(rgb: &[u8], width: u32, height: u32, num: u32) -> Vec<u8> {
    if num <= 1 {
        return rgb.to_vec();
    }
    let row = width as usize * 3;
    let mut out = vec![0u8; rgb.len()];
    for (src_y, dst_y, len) in strips(height, num) {
        let (src, dst, len) = (
            src_y as usize * row,
            dst_y as usize * row,
            len as usize * row,
        );
        out[src..src + len].copy_from_slice(&rgb[dst..dst + len]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_worked_examples() {
        // Spec §7.1 worked-examples table (scramble id 220980).
        let cases = [
            (438_516, "00001", 6),
            (438_516, "00002", 4),
            (350_234, "00001", 2),
            (421_925, "00001", 18),
            (421_926, "00001", 14),
            (300_000, "00005", 2),
            (220_981, "00001", 10),
            (147_643, "00001", 0),
            (123, "00001", 0),
        ];
        for (aid, stem, num) in cases {
            assert_eq!(strip_count(220_980, aid, stem), num, "{aid}/{stem}");
        }
    }

    #[test]
    fn spec_strip_layout_h100_n6() {
        // Spec §7.2 verified example: output rows -> source rows.
        let got: Vec<_> = strips(100, 6).collect();
        assert_eq!(
            got,
            vec![
                (80, 0, 20),
                (64, 20, 16),
                (48, 36, 16),
                (32, 52, 16),
                (16, 68, 16),
                (0, 84, 16)
            ]
        );
    }

    #[test]
    fn scramble_is_a_permutation_even_when_height_is_below_num() {
        for (h, num) in [(7u32, 10u32), (1, 2), (41, 20), (100, 6), (97, 10)] {
            let rgb: Vec<u8> = (0..h).flat_map(|y| [y as u8, 0, 0]).collect();
            let out = scramble_rgb(&rgb, 1, h, num);
            let mut rows: Vec<u8> = out.chunks(3).map(|p| p[0]).collect();
            rows.sort_unstable();
            assert_eq!(
                rows,
                (0..h).map(|y| y as u8).collect::<Vec<_>>(),
                "h={h} num={num}"
            );
        }
    }

    /// Golden vectors (`tests/data/strip_counts.json`) from the Python original's `get_num`.
    #[test]
    fn golden_strip_counts() {
        let vectors: serde_json::Value =
            serde_json::from_str(include_str!("../tests/data/strip_counts.json")).expect("json");
        let cases = vectors["cases"].as_array().expect("cases");
        assert!(cases.len() > 100);
        for case in cases {
            let (sid, aid) = (case["scramble_id"].as_u64(), case["aid"].as_u64());
            let stem = case["filename"].as_str().expect("filename");
            let got = strip_count(sid.expect("sid"), aid.expect("aid"), stem);
            assert_eq!(u64::from(got), case["num"].as_u64().expect("num"), "{case}");
        }
    }

    /// Golden vectors (`tests/data/descramble.json` + PNGs): scrambling each original gives
    /// the page the CDN would serve, pixel for pixel.
    #[test]
    fn golden_scrambles() {
        let load = |name: &str| {
            let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
            crate::decode::decode_rgb(&std::fs::read(&path).expect("read")).expect("png")
        };
        let vectors: serde_json::Value =
            serde_json::from_str(include_str!("../tests/data/descramble.json")).expect("json");
        let cases = vectors["cases"].as_array().expect("cases");
        assert_eq!(cases.len(), 6);
        for case in cases {
            let name = case["name"].as_str().expect("name");
            let num = u32::try_from(case["num"].as_u64().expect("num")).expect("small");
            let original = load(&format!("{name}_original.png"));
            let scrambled = load(&format!("{name}_scrambled.png"));
            let (w, h) = (original.width, original.height);
            let ours = scramble_rgb(&original.rgb, w, h, num);
            assert_eq!(ours, scrambled.rgb, "{name}");
        }
    }
}
