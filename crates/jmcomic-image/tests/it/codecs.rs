//! Encode/decode round trips, sniffing, probing and completeness checks.

use jmcomic_image::{
    EncodeSettings, Error, Format, Limits, PngCompression, RgbImage, check_complete, decode,
    encode, probe, sniff,
};

use crate::common::{GIF_1X1, gif_two_frames, small_files};
use crate::synth::{page, psnr};

fn roundtrip(img: &RgbImage, format: Format, settings: &EncodeSettings) -> (Vec<u8>, RgbImage) {
    let bytes = encode(img, format, settings).expect("encode");
    assert_eq!(sniff(&bytes), Some(format));
    assert_eq!(check_complete(&bytes), Ok(format));
    assert_eq!(probe(&bytes), Ok((format, img.width, img.height)));
    let back = decode(&bytes, &Limits::default()).expect("decode");
    assert_eq!((back.width, back.height), (img.width, img.height));
    (bytes, back)
}

#[test]
fn png_is_lossless_at_every_level() {
    let img = page(123, 77);
    for png in [
        PngCompression::Fast,
        PngCompression::Balanced,
        PngCompression::High,
    ] {
        let settings = EncodeSettings {
            png,
            ..EncodeSettings::default()
        };
        let (_, back) = roundtrip(&img, Format::Png, &settings);
        assert!(back == img, "{png:?}");
    }
}

#[test]
fn webp_lossless_is_exact() {
    let img = page(90, 64);
    let mut settings = EncodeSettings::default();
    settings.webp.lossless = true;
    let (_, back) = roundtrip(&img, Format::Webp, &settings);
    assert!(back == img);
}

#[test]
fn lossy_codecs_stay_close() {
    let img = page(220, 320);
    for (format, settings) in [
        (Format::Webp, EncodeSettings::default()),
        (Format::Webp, EncodeSettings::pillow()),
        (Format::Jpeg, EncodeSettings::default()),
        (
            Format::Jpeg,
            EncodeSettings {
                jpeg_quality: 95,
                ..EncodeSettings::default()
            },
        ),
    ] {
        let (bytes, back) = roundtrip(&img, format, &settings);
        let db = psnr(&img, &back);
        assert!(db > 30.0, "{format} {settings:?}: {db:.1} dB");
        assert!(
            bytes.len() < img.data.len() / 2,
            "{format}: {} bytes",
            bytes.len()
        );
    }
}

#[test]
fn jpeg_is_baseline_420() {
    let img = page(64, 48);
    let bytes = encode(&img, Format::Jpeg, &EncodeSettings::pillow()).expect("encode");
    let header = turbojpeg::read_header(&bytes).expect("header");
    assert_eq!(header.subsamp, turbojpeg::Subsamp::Sub2x2);
    assert!(!header.is_progressive);
    // Baseline frame header SOF0 present.
    assert!(bytes.windows(2).any(|w| w == [0xFF, 0xC0]));
}

#[test]
fn decoders_expand_png_layouts_to_rgb() {
    // Gray, gray+alpha, palette with tRNS, RGBA and 16-bit RGB, written with the png crate.
    fn write(
        w: u32,
        h: u32,
        color: png::ColorType,
        depth: png::BitDepth,
        data: &[u8],
        palette: Option<(&[u8], &[u8])>,
    ) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut out, w, h);
            enc.set_color(color);
            enc.set_depth(depth);
            if let Some((plte, trns)) = palette {
                enc.set_palette(plte.to_vec());
                enc.set_trns(trns.to_vec());
            }
            let mut writer = enc.write_header().expect("header");
            writer.write_image_data(data).expect("data");
        }
        out
    }
    let limits = Limits::default();
    let gray = write(
        2,
        1,
        png::ColorType::Grayscale,
        png::BitDepth::Eight,
        &[10, 200],
        None,
    );
    assert_eq!(
        decode(&gray, &limits).unwrap().data,
        [10, 10, 10, 200, 200, 200]
    );
    let ga = write(
        2,
        1,
        png::ColorType::GrayscaleAlpha,
        png::BitDepth::Eight,
        &[10, 0, 200, 255],
        None,
    );
    assert_eq!(
        decode(&ga, &limits).unwrap().data,
        [10, 10, 10, 200, 200, 200]
    );
    let rgba = write(
        1,
        2,
        png::ColorType::Rgba,
        png::BitDepth::Eight,
        &[1, 2, 3, 0, 4, 5, 6, 128],
        None,
    );
    assert_eq!(decode(&rgba, &limits).unwrap().data, [1, 2, 3, 4, 5, 6]);
    let pal = write(
        3,
        1,
        png::ColorType::Indexed,
        png::BitDepth::Eight,
        &[0, 1, 0],
        Some((&[9, 8, 7, 60, 50, 40], &[0])),
    );
    assert_eq!(
        decode(&pal, &limits).unwrap().data,
        [9, 8, 7, 60, 50, 40, 9, 8, 7]
    );
    let rgb16 = write(
        1,
        1,
        png::ColorType::Rgb,
        png::BitDepth::Sixteen,
        &[0x12, 0x34, 0xAB, 0xCD, 0xFF, 0x00],
        None,
    );
    assert_eq!(decode(&rgb16, &limits).unwrap().data, [0x12, 0xAB, 0xFF]);
    let gray1 = write(
        8,
        1,
        png::ColorType::Grayscale,
        png::BitDepth::One,
        &[0b1010_0000],
        None,
    );
    let got = decode(&gray1, &limits).unwrap();
    assert_eq!(got.pixel(0, 0), Some([255, 255, 255]));
    assert_eq!(got.pixel(1, 0), Some([0, 0, 0]));
}

#[test]
fn interlaced_png_decodes() {
    let img = page(19, 13);
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, 19, 13);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        let mut info_writer = enc.write_header().expect("header");
        let rgba: Vec<u8> = img
            .data
            .chunks_exact(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect();
        info_writer.write_image_data(&rgba).expect("data");
    }
    assert!(decode(&out, &Limits::default()).unwrap() == img);
}

#[test]
fn jpeg_gray_decodes_to_rgb() {
    let gray = turbojpeg::Image {
        pixels: vec![128u8; 16 * 8],
        width: 16,
        pitch: 16,
        height: 8,
        format: turbojpeg::PixelFormat::GRAY,
    };
    let bytes = turbojpeg::compress(gray.as_deref(), 90, turbojpeg::Subsamp::Gray).unwrap();
    let img = decode(&bytes, &Limits::default()).unwrap();
    assert_eq!((img.width, img.height), (16, 8));
    assert!(img.data.iter().all(|&v| v.abs_diff(128) <= 1));
}

#[test]
fn jpeg_warnings_on_complete_files_are_ignored_like_pillow() {
    let img = page(40, 24);
    let clean = encode(&img, Format::Jpeg, &EncodeSettings::default()).expect("encode");
    let limits = Limits::default();
    let want = decode(&clean, &limits).expect("decode");
    // "Corrupt JPEG data: 3 extraneous bytes before marker 0xda": junk between two marker
    // segments, a libjpeg warning that Pillow ignores.
    let sos = clean
        .windows(2)
        .position(|w| w == [0xFF, 0xDA])
        .expect("SOS");
    let mut junk = clean[..sos].to_vec();
    junk.extend_from_slice(&[0x12, 0x34, 0x56]);
    junk.extend_from_slice(&clean[sos..]);
    // The turbojpeg crate's safe API turns the warning into an error ...
    assert!(turbojpeg::decompress(&junk, turbojpeg::PixelFormat::RGB).is_err());
    assert_eq!(check_complete(&junk), Ok(Format::Jpeg));
    // ... we decode it, to the same pixels.
    assert!(decode(&junk, &limits).expect("benign warning") == want);
    // A cut file also only makes libjpeg warn ("premature end of data"), but it is refused.
    let cut = &clean[..clean.len() - 40];
    let err = decode(cut, &limits).unwrap_err();
    assert!(err.is_truncated(), "{err}");
}

#[test]
fn jpeg_cmyk_is_unsupported_not_corrupt() {
    let cmyk = turbojpeg::Image {
        pixels: vec![40u8; 16 * 8 * 4],
        width: 16,
        pitch: 16 * 4,
        height: 8,
        format: turbojpeg::PixelFormat::CMYK,
    };
    let bytes = turbojpeg::compress(cmyk.as_deref(), 90, turbojpeg::Subsamp::None).unwrap();
    assert_eq!(check_complete(&bytes), Ok(Format::Jpeg));
    let err = decode(&bytes, &Limits::default()).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Unsupported {
                format: Format::Jpeg,
                ..
            }
        ),
        "{err}"
    );
    assert!(!err.is_corrupt_input());
}

#[test]
fn sniff_probe_and_check_good_inputs() {
    for (format, bytes) in small_files() {
        assert_eq!(sniff(&bytes), Some(format));
        assert_eq!(check_complete(&bytes), Ok(format));
        let (f, w, h) = probe(&bytes).expect("probe");
        assert_eq!(f, format);
        if format == Format::Gif {
            assert!(w >= 1 && h >= 1);
        } else {
            assert_eq!((w, h), (48, 40));
        }
    }
    assert_eq!(probe(&gif_two_frames()), Ok((Format::Gif, 2, 2)));
}

#[test]
fn every_truncation_is_an_error() {
    for (format, bytes) in small_files() {
        for cut in 0..bytes.len() {
            let part = &bytes[..cut];
            let err = check_complete(part).expect_err("truncated must fail");
            assert!(err.is_corrupt_input(), "{format} cut {cut}: {err}");
            if sniff(part).is_some() {
                assert_eq!(err.format(), Some(format), "{format} cut {cut}");
            }
            // Probing and decoding a truncated file must not panic either.
            let _ = probe(part);
            // Decoders need every byte of pixel data, except that the png crate (like
            // Pillow) does not insist on the final IEND chunk; `check_complete` does.
            let pixel_data_cut = match format {
                Format::Gif => false,
                Format::Png => cut + 12 <= bytes.len(),
                Format::Webp | Format::Jpeg => true,
                _ => unreachable!(),
            };
            if pixel_data_cut {
                assert!(
                    decode(part, &Limits::default()).is_err(),
                    "{format} cut {cut}"
                );
            }
        }
    }
}

#[test]
fn trailing_bytes_after_a_complete_file_are_tolerated() {
    for (format, mut bytes) in small_files() {
        bytes.extend_from_slice(b"\0\0trailing");
        assert_eq!(check_complete(&bytes), Ok(format));
    }
}

#[test]
fn garbage_and_empty() {
    let limits = Limits::default();
    for bytes in [
        &b""[..],
        b"\0",
        b"<!DOCTYPE html><html>403 Forbidden</html>",
        b"{\"code\":401}",
        &[0u8; 100],
        &[0xFFu8; 100],
    ] {
        assert_eq!(sniff(bytes), None);
        assert_eq!(probe(bytes), Err(Error::UnknownFormat));
        assert_eq!(check_complete(bytes), Err(Error::UnknownFormat));
        assert_eq!(decode(bytes, &limits), Err(Error::UnknownFormat));
    }
    // Right magic, garbage after it.
    for magic in [
        &b"RIFF\x10\0\0\0WEBPxxxxxxxx"[..],
        b"\xff\xd8\xff\xe0garbage",
        b"\x89PNG\r\n\x1a\ngarbage",
        b"GIF89agarbage",
    ] {
        assert!(check_complete(magic).unwrap_err().is_corrupt_input());
        assert!(decode(magic, &limits).is_err());
    }
}

#[test]
fn gif_is_recognised_but_never_decoded_or_encoded() {
    let err = decode(GIF_1X1, &Limits::default()).unwrap_err();
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
    let err = encode(&page(4, 4), Format::Gif, &EncodeSettings::default()).unwrap_err();
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
}

#[test]
fn animated_webp_is_unsupported_not_corrupt() {
    // A VP8X header with the animation flag and a tiny canvas: libwebp reports the feature,
    // decoding it is refused explicitly.
    let mut v = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\x02\0\0\0\x03\0\0\x03\0\0".to_vec();
    v.extend_from_slice(b"ANIM\x06\0\0\0\0\0\0\0\0\0");
    let size = u32::try_from(v.len() - 8).unwrap();
    v[4..8].copy_from_slice(&size.to_le_bytes());
    assert_eq!(probe(&v), Ok((Format::Webp, 4, 4)));
    let err = decode(&v, &Limits::default()).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Unsupported {
                format: Format::Webp,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn encode_refuses_what_formats_cannot_store() {
    let tall = RgbImage::zeroed(1, 16_384).unwrap();
    let err = encode(&tall, Format::Webp, &EncodeSettings::default()).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Encode {
                format: Format::Webp,
                ..
            }
        ),
        "{err}"
    );
    // JPEG and PNG store it fine.
    assert!(encode(&tall, Format::Jpeg, &EncodeSettings::default()).is_ok());
    assert!(encode(&tall, Format::Png, &EncodeSettings::default()).is_ok());
}
