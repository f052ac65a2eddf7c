//! Descrambling against the Python original (spec §7.2) and row-exact mapping checks.

use jmcomic_image::{RgbImage, descramble, descramble_into};

use crate::common::{decode_data_png, read_json};

#[test]
fn golden_cases_match_python_pixel_for_pixel() {
    let doc = read_json("descramble.json");
    let cases = doc["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 6);
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let num = u32::try_from(case["num"].as_u64().expect("num")).expect("small");
        let width = case["width"].as_u64().expect("width");
        let height = case["height"].as_u64().expect("height");

        let scrambled = decode_data_png(&format!("{name}_scrambled.png"));
        let original = decode_data_png(&format!("{name}_original.png"));
        let by_python = decode_data_png(&format!("{name}_descrambled_by_python.png"));
        assert_eq!(
            (u64::from(scrambled.width), u64::from(scrambled.height)),
            (width, height),
            "{name}"
        );

        let ours = descramble(&scrambled, num);
        assert!(ours == original, "{name}: differs from the original");
        assert!(ours == by_python, "{name}: differs from Python's output");

        let mut dst = vec![0; scrambled.data.len()];
        descramble_into(
            &scrambled.data,
            &mut dst,
            scrambled.width,
            scrambled.height,
            num,
        )
        .expect("sizes match");
        assert!(dst == original.data, "{name}: descramble_into differs");

        // And the input really was scrambled, so the comparison means something.
        assert!(scrambled != original, "{name}");
    }
}

/// Each row gets a distinct colour: R, G = row index (little endian), B = 0x5A.
fn distinct_rows(width: u32, height: u32) -> RgbImage {
    let mut data = Vec::new();
    for y in 0..height {
        let [lo, hi, ..] = y.to_le_bytes();
        for _ in 0..width {
            data.extend_from_slice(&[lo, hi, 0x5A]);
        }
    }
    RgbImage::new(width, height, data).expect("consistent")
}

/// The source row of every output row, from the wording of spec §7.2: output strip 0 (height
/// move + over) is the bottom block; output strip i > 0 is the source strip i strips above it.
fn spec_source_row(y_out: u32, height: u32, num: u32) -> u32 {
    if num <= 1 || height < num {
        return y_out;
    }
    let mv = height / num;
    let over = height % num;
    let first = mv + over;
    if y_out < first {
        return height - first + y_out;
    }
    let i = (y_out - first) / mv + 1; // output strip index
    let offset = (y_out - first) % mv;
    let strip_bottom = height - first - (i - 1) * mv; // exclusive end of that source strip
    strip_bottom - mv + offset
}

/// Checks every output row against `map`; returns the first mismatching row.
fn check_rows(out: &RgbImage, map: impl Fn(u32) -> u32) -> Result<(), u32> {
    let expected = distinct_rows(1, out.height);
    for y in 0..out.height {
        let want = expected.pixel(0, map(y)).expect("in range");
        let row = out.row(y).expect("in range");
        if row.chunks_exact(3).any(|p| p != want) {
            return Err(y);
        }
    }
    Ok(())
}

#[test]
fn every_row_lands_where_the_spec_says() {
    for height in [1, 2, 5, 9, 10, 11, 41, 97, 100, 161, 233, 300, 1601] {
        for num in [0, 1, 2, 3, 6, 8, 10, 14, 16, 18, 20, 25] {
            for width in [1, 3, 17] {
                let out = descramble(&distinct_rows(width, height), num);
                let res = check_rows(&out, |y| spec_source_row(y, height, num));
                assert_eq!(res, Ok(()), "w{width} h{height} n{num}");
            }
        }
    }
}

#[test]
fn an_off_by_one_mapping_is_detected() {
    let (height, num) = (100, 6);
    let out = descramble(&distinct_rows(4, height), num);
    // The checker accepts the right mapping ...
    assert_eq!(
        check_rows(&out, |y| spec_source_row(y, height, num)),
        Ok(())
    );
    // ... and rejects one shifted by a single row ...
    assert!(check_rows(&out, |y| (spec_source_row(y, height, num) + 1) % height).is_err());
    // ... and one giving the remainder rows to the last strip instead of the first.
    let remainder_last = |y: u32| {
        let mv = height / num;
        let strip = (y / mv).min(num - 1);
        let offset = y - strip * mv;
        (num - 1 - strip) * mv + offset
    };
    assert_eq!(remainder_last(0), 80); // plausible-looking, but ...
    assert!(check_rows(&out, remainder_last).is_err());
    // An image assembled one row off differs from ours.
    let mut shifted = out.clone();
    shifted.data.rotate_left(out.stride());
    assert!(shifted != out);
}

/// Spec §7.2 verified example: h = 100, num = 6 (move 16, over 4).
#[test]
fn spec_example_h100_n6() {
    let out = descramble(&distinct_rows(3, 100), 6);
    let ranges = [
        (0..20, 80..100),
        (20..36, 64..80),
        (36..52, 48..64),
        (52..68, 32..48),
        (68..84, 16..32),
        (84..100, 0..16),
    ];
    let expected = distinct_rows(1, 100);
    for (dst, src) in ranges {
        assert_eq!(dst.len(), src.len());
        for (y_out, y_src) in dst.zip(src) {
            let want = expected.pixel(0, y_src).expect("row");
            assert_eq!(out.pixel(2, y_out), Some(want), "row {y_out}");
        }
    }
}

#[test]
fn edge_shapes() {
    // Odd heights, height < num, num 1, width 1, empty images.
    for (w, h, num) in [
        (1, 1, 10),
        (1, 7, 10),
        (5, 9, 10),
        (1, 97, 10),
        (3, 41, 20),
        (2, 20, 20),
        (2, 21, 20),
        (1, 13, 1),
        (0, 13, 4),
        (7, 0, 4),
    ] {
        let img = distinct_rows(w, h);
        let out = descramble(&img, num);
        assert_eq!((out.width, out.height), (w, h));
        assert_eq!(
            check_rows(&out, |y| spec_source_row(y, h, num)),
            Ok(()),
            "w{w} h{h} n{num}"
        );
        if num == 1 || h < num {
            assert_eq!(out, img, "identity for w{w} h{h} n{num}");
        }
    }
}

#[test]
fn into_checks_lengths() {
    let img = distinct_rows(3, 10);
    let mut short = vec![0; img.data.len() - 1];
    assert!(descramble_into(&img.data, &mut short, 3, 10, 2).is_err());
    let mut ok = vec![0; img.data.len()];
    assert!(descramble_into(&img.data[1..], &mut ok, 3, 10, 2).is_err());
    assert!(descramble_into(&img.data, &mut ok, 4, 10, 2).is_err());
    assert!(descramble_into(&img.data, &mut ok, u32::MAX, u32::MAX, 2).is_err());
    assert!(descramble_into(&img.data, &mut ok, 3, 10, 2).is_ok());
}

#[test]
fn scramble_then_descramble_is_identity() {
    let page = crate::synth::page(37, 211);
    for num in [2, 4, 6, 8, 10, 12, 14, 16, 18, 20] {
        let served = crate::synth::scramble(&page, num);
        assert!(descramble(&served, num) == page, "num {num}");
    }
}
