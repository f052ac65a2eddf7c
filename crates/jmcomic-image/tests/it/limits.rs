//! Size limits are enforced from the header, before any pixel buffer is allocated. The crafted
//! files below are a few dozen bytes; were the limit checked after allocating, these tests
//! would try to allocate up to 30 GB and abort.

use jmcomic_image::{EncodeSettings, Error, Format, Limits, decode, probe};

/// A PNG with only a signature, an IHDR chunk and an IEND chunk (CRCs zeroed: the limit must
/// trigger before anything reads them).
fn png_header(width: u32, height: u32) -> Vec<u8> {
    let mut p = b"\x89PNG\r\n\x1a\n".to_vec();
    p.extend_from_slice(&13u32.to_be_bytes());
    p.extend_from_slice(b"IHDR");
    p.extend_from_slice(&width.to_be_bytes());
    p.extend_from_slice(&height.to_be_bytes());
    p.extend_from_slice(&[8, 2, 0, 0, 0]);
    p.extend_from_slice(&[0; 4]);
    p.extend_from_slice(&[0, 0, 0, 0]);
    p.extend_from_slice(b"IEND");
    p.extend_from_slice(&[0xAE, 0x42, 0x60, 0x82]);
    p
}

/// A WebP made of a VP8X chunk announcing a `width x height` canvas (24-bit fields, so up to
/// 16777216 each) and nothing else.
fn webp_vp8x(width: u32, height: u32) -> Vec<u8> {
    let mut v = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0".to_vec();
    v.extend_from_slice(&(width - 1).to_le_bytes()[..3]);
    v.extend_from_slice(&(height - 1).to_le_bytes()[..3]);
    let size = u32::try_from(v.len() - 8).expect("small");
    v[4..8].copy_from_slice(&size.to_le_bytes());
    v
}

/// A baseline JPEG header (SOI, SOF0) announcing `width x height`, then EOI.
fn jpeg_sof(width: u16, height: u16) -> Vec<u8> {
    let mut j = vec![0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08];
    j.extend_from_slice(&height.to_be_bytes());
    j.extend_from_slice(&width.to_be_bytes());
    j.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    j.extend_from_slice(&[0xFF, 0xD9]);
    j
}

fn assert_too_large(err: &Error, format: Format, width: u32, height: u32) {
    match err {
        Error::TooLarge {
            format: f,
            width: w,
            height: h,
            ..
        } => assert_eq!((*f, *w, *h), (format, width, height)),
        other => panic!("expected TooLarge for {format}, got {other:?}"),
    }
    assert!(!err.is_corrupt_input());
}

#[test]
fn png_header_claiming_100000_squared_is_rejected() {
    let bytes = png_header(100_000, 100_000);
    assert_eq!(probe(&bytes), Ok((Format::Png, 100_000, 100_000)));
    let err = decode(&bytes, &Limits::default()).unwrap_err();
    assert_too_large(&err, Format::Png, 100_000, 100_000);
    // Even with no limits, the 2^31 PNG maximum is enforced as undecodable.
    let err = decode(&png_header(u32::MAX, 1), &Limits::unlimited()).unwrap_err();
    assert!(err.is_corrupt_input(), "{err}");
}

#[test]
fn webp_vp8x_claiming_100000_squared_is_rejected() {
    let bytes = webp_vp8x(100_000, 100_000);
    let err = decode(&bytes, &Limits::default()).unwrap_err();
    assert_too_large(&err, Format::Webp, 100_000, 100_000);
    // 16000x16000 is within libwebp's area limit but over our 64 Mpixel default.
    let err = decode(&webp_vp8x(16_000, 16_000), &Limits::default()).unwrap_err();
    assert_too_large(&err, Format::Webp, 16_000, 16_000);
    // 20000 wide breaks max_width.
    let err = decode(&webp_vp8x(20_000, 10), &Limits::default()).unwrap_err();
    assert_too_large(&err, Format::Webp, 20_000, 10);
}

#[test]
fn jpeg_sof_over_limits_is_rejected() {
    let bytes = jpeg_sof(65_000, 65_000);
    assert_eq!(probe(&bytes), Ok((Format::Jpeg, 65_000, 65_000)));
    let err = decode(&bytes, &Limits::default()).unwrap_err();
    assert_too_large(&err, Format::Jpeg, 65_000, 65_000);
}

#[test]
fn custom_limits_apply_to_real_files() {
    let img = crate::synth::page(40, 30);
    let tight = Limits {
        max_width: 39,
        ..Limits::default()
    };
    for format in [Format::Webp, Format::Jpeg, Format::Png] {
        let bytes =
            jmcomic_image::encode(&img, format, &EncodeSettings::default()).expect("encode");
        let err = decode(&bytes, &tight).unwrap_err();
        assert_too_large(&err, format, 40, 30);
        let pixels = Limits {
            max_pixels: 40 * 30 - 1,
            ..Limits::default()
        };
        assert_too_large(&decode(&bytes, &pixels).unwrap_err(), format, 40, 30);
        let exact = Limits {
            max_width: 40,
            max_height: 30,
            max_pixels: 1200,
        };
        assert!(decode(&bytes, &exact).is_ok(), "{format}");
    }
}
