//! `process_page` rules (spec §4.5, §7.3).

use jmcomic_image::{
    EncodeSettings, Error, Format, Limits, PageJob, PageOutput, Verify, check_complete, decode,
    descramble, encode, process_page, sniff,
};

use crate::common::{GIF_1X1, gif_two_frames, small_files};
use crate::synth::{page, scramble};

fn run(
    bytes: &[u8],
    strips: u32,
    target: Format,
    verify: Verify,
) -> jmcomic_image::Result<PageOutput> {
    let settings = EncodeSettings::default();
    let limits = Limits::default();
    process_page(&PageJob {
        bytes,
        strips,
        target,
        settings: &settings,
        limits: &limits,
        verify,
    })
}

#[test]
fn unscrambled_same_format_is_raw() {
    for (format, bytes) in small_files() {
        for verify in [Verify::Structure, Verify::Full] {
            assert_eq!(
                run(&bytes, 0, format, verify),
                Ok(PageOutput::Raw),
                "{format} {verify:?}"
            );
        }
    }
}

#[test]
fn gif_is_always_raw() {
    for gif in [GIF_1X1.to_vec(), gif_two_frames()] {
        for strips in [0, 2, 10, 20] {
            for target in Format::ALL {
                for verify in [Verify::Structure, Verify::Full] {
                    assert_eq!(run(&gif, strips, target, verify), Ok(PageOutput::Raw));
                }
            }
        }
        let cut = &gif[..gif.len() - 1];
        let err = run(cut, 0, Format::Gif, Verify::Structure).unwrap_err();
        assert!(err.is_truncated(), "{err}");
    }
}

#[test]
fn scrambled_png_is_descrambled_and_reencoded() {
    let original = page(64, 101);
    let served = encode(
        &scramble(&original, 10),
        Format::Png,
        &EncodeSettings::default(),
    )
    .expect("encode");
    let out = run(&served, 10, Format::Png, Verify::Structure).expect("process");
    let PageOutput::Encoded { bytes, format } = out else {
        panic!("expected Encoded, got {out:?}");
    };
    assert_eq!(format, Format::Png);
    let limits = Limits::default();
    let redecoded = decode(&bytes, &limits).expect("decode output");
    let expected = descramble(&decode(&served, &limits).expect("decode input"), 10);
    assert!(redecoded == expected);
    assert!(redecoded == original);
}

#[test]
fn scrambled_webp_to_each_target() {
    let original = page(80, 120);
    let served = encode(
        &scramble(&original, 8),
        Format::Webp,
        &EncodeSettings::pillow(),
    )
    .expect("encode");
    for target in [Format::Webp, Format::Jpeg, Format::Png] {
        let out = run(&served, 8, target, Verify::Structure).expect("process");
        let PageOutput::Encoded { bytes, format } = out else {
            panic!("expected Encoded for {target}");
        };
        assert_eq!(format, target);
        assert_eq!(sniff(&bytes), Some(target));
        assert_eq!(check_complete(&bytes), Ok(target));
        let back = decode(&bytes, &Limits::default()).expect("decode");
        assert!(crate::synth::psnr(&back, &original) > 28.0, "{target}");
    }
}

#[test]
fn format_comes_from_the_bytes_not_the_suffix() {
    // A PNG served under a .webp name, kept as .webp: converted, since the bytes are PNG.
    let png = encode(&page(20, 20), Format::Png, &EncodeSettings::default()).expect("encode");
    let out = run(&png, 0, Format::Webp, Verify::Structure).expect("process");
    assert!(matches!(
        out,
        PageOutput::Encoded {
            format: Format::Webp,
            ..
        }
    ));
    // A JPEG with a .jpg target and no strips: raw.
    let jpg = encode(&page(20, 20), Format::Jpeg, &EncodeSettings::default()).expect("encode");
    assert_eq!(
        run(&jpg, 0, Format::Jpeg, Verify::Structure),
        Ok(PageOutput::Raw)
    );
}

#[test]
fn full_verification_catches_corrupt_pixels() {
    let mut png = encode(&page(30, 30), Format::Png, &EncodeSettings::default()).expect("encode");
    // Flip a byte inside the IDAT data: the structure stays complete, the CRC does not match.
    let idat = png.windows(4).position(|w| w == b"IDAT").expect("IDAT");
    png[idat + 10] ^= 0x55;
    assert_eq!(
        run(&png, 0, Format::Png, Verify::Structure),
        Ok(PageOutput::Raw)
    );
    let err = run(&png, 0, Format::Png, Verify::Full).unwrap_err();
    assert!(err.is_corrupt_input(), "{err}");
}

#[test]
fn bad_bytes_are_corrupt_input() {
    for bytes in [&b""[..], b"<html>cloudflare</html>"] {
        let err = run(bytes, 0, Format::Webp, Verify::Structure).unwrap_err();
        assert_eq!(err, Error::UnknownFormat);
        assert!(err.is_corrupt_input());
    }
    for (format, bytes) in small_files() {
        let cut = &bytes[..bytes.len() / 2];
        let err = run(cut, 4, format, Verify::Structure).unwrap_err();
        assert!(err.is_corrupt_input(), "{format}: {err}");
    }
}

#[test]
fn gif_target_for_other_formats_is_unsupported() {
    let png = encode(&page(8, 8), Format::Png, &EncodeSettings::default()).expect("encode");
    let err = run(&png, 2, Format::Gif, Verify::Structure).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Unsupported {
                format: Format::Gif,
                ..
            }
        ),
        "{err}"
    );
    assert!(!err.is_corrupt_input());
}

#[test]
fn oversized_pages_are_refused_when_decoding_is_needed() {
    let png = encode(&page(50, 50), Format::Png, &EncodeSettings::default()).expect("encode");
    let settings = EncodeSettings::default();
    let limits = Limits {
        max_pixels: 100,
        ..Limits::default()
    };
    let job = |strips, verify| PageJob {
        bytes: &png,
        strips,
        target: Format::Png,
        settings: &settings,
        limits: &limits,
        verify,
    };
    // Raw passthrough with structure checks does not decode, so limits do not apply ...
    assert_eq!(
        process_page(&job(0, Verify::Structure)),
        Ok(PageOutput::Raw)
    );
    // ... but they do for a full verification or a descramble.
    assert!(matches!(
        process_page(&job(0, Verify::Full)),
        Err(Error::TooLarge { .. })
    ));
    assert!(matches!(
        process_page(&job(4, Verify::Structure)),
        Err(Error::TooLarge { .. })
    ));
}

/// One workspace reused for page after page (what a worker thread does) gives exactly the
/// outputs fresh buffers give: nothing of one page leaks into the next.
#[test]
fn workspace_reuse_gives_identical_outputs() {
    use jmcomic_image::{
        EncodeSettings, Format, Limits, PageJob, Verify, Workspace, encode, process_page,
        process_page_with,
    };
    let settings = EncodeSettings::default();
    let limits = Limits::default();
    let mut ws = Workspace::new();
    // Different sizes, formats and strip counts, big then small then big again.
    let cases = [
        (320, 480, Format::Webp, 10, Format::Webp),
        (64, 70, Format::Png, 4, Format::Jpeg),
        (321, 481, Format::Jpeg, 0, Format::Png),
        (320, 480, Format::Png, 6, Format::Png),
        (33, 17, Format::Webp, 2, Format::Webp),
    ];
    for (w, h, source, strips, target) in cases {
        let page = crate::synth::page(w, h);
        let bytes = encode(
            &crate::synth::scramble(&page, strips.max(1)),
            source,
            &settings,
        )
        .unwrap();
        let job = PageJob {
            bytes: &bytes,
            strips,
            target,
            settings: &settings,
            limits: &limits,
            verify: Verify::Full,
        };
        let fresh = process_page(&job).unwrap();
        let reused = process_page_with(&job, &mut ws).unwrap();
        assert_eq!(
            fresh, reused,
            "{w}x{h} {source:?} -> {target:?}, {strips} strips"
        );
    }
    assert!(ws.kept_bytes() > 0, "buffers are kept for the next page");
}
