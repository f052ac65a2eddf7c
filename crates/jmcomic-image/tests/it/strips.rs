//! Strip counts against the Python original's `get_num` (spec §7.1).

use jmcomic_image::strip_count;

use crate::common::read_json;

#[test]
fn every_golden_case() {
    let doc = read_json("strip_counts.json");
    let cases = doc["cases"].as_array().expect("cases");
    assert!(cases.len() > 900, "expected the full vector set");
    let mut branches = [0usize; 3];
    for case in cases {
        let scramble_id = case["scramble_id"].as_u64().expect("scramble_id");
        let aid = case["aid"].as_u64().expect("aid");
        let filename = case["filename"].as_str().expect("filename");
        let want = case["num"].as_u64().expect("num");
        let got = strip_count(scramble_id, aid, filename);
        assert_eq!(
            u64::from(got),
            want,
            "strip_count({scramble_id}, {aid}, {filename:?})"
        );
        branches[match (aid < scramble_id, aid < 268_850) {
            (true, _) => 0,
            (false, true) => 1,
            (false, false) => 2,
        }] += 1;
    }
    // The vectors cover the unscrambled, fixed-10 and md5 branches.
    assert!(branches.iter().all(|&n| n > 0), "{branches:?}");
}

/// Spec §7.1 worked-example table, through the public API.
#[test]
fn spec_table() {
    for (aid, stem, want) in [
        (438_516, "00001", 6),
        (438_516, "00002", 4),
        (350_234, "00001", 2),
        (421_925, "00001", 18),
        (421_926, "00001", 14),
        (300_000, "00005", 2),
        (220_981, "00001", 10),
        (147_643, "00001", 0),
        (123, "00001", 0),
    ] {
        assert_eq!(strip_count(220_980, aid, stem), want, "{aid} {stem}");
    }
}

/// Each threshold from both sides.
#[test]
fn branch_table() {
    for (scramble_id, aid, want) in [
        (220_980, 220_979, 0),
        (220_980, 220_980, 10),
        (220_980, 268_849, 10),
        (300_000, 268_850, 0),
        (300_000, 299_999, 0),
        (0, 0, 10),
        (0, 268_849, 10),
    ] {
        assert_eq!(
            strip_count(scramble_id, aid, "00001"),
            want,
            "{scramble_id} {aid}"
        );
    }
    // 268850 and 421925/421926 go through md5; the moduli differ (10 vs 8).
    assert_eq!(strip_count(220_980, 421_925, "00001"), 18);
    assert_eq!(strip_count(220_980, 421_926, "00001"), 14);
    let n = strip_count(220_980, 268_850, "00001");
    assert!(n.is_multiple_of(2) && (2..=20).contains(&n));
    for big in [10_000_000_u64, u64::from(u32::MAX) + 1, u64::MAX] {
        let n = strip_count(220_980, big, "00001");
        assert!(n.is_multiple_of(2) && (2..=16).contains(&n), "{big}: {n}");
    }
}
