//! Byte parity with the Python package's `.webp` output: perf.md §2.5 measured that Pillow's
//! `save(.webp)` (q80, method 4) equals libwebp's simple `WebPEncodeRGB(q=80)` byte for byte,
//! so `EncodeSettings::pillow()` must reproduce that call exactly.

use jmcomic_image::{EncodeSettings, Format, RgbImage, encode};

/// libwebp's one-call API, straight through libwebp-sys.
fn webp_encode_rgb_simple(img: &RgbImage, quality: f32) -> Vec<u8> {
    let width = i32::try_from(img.width).expect("width");
    let height = i32::try_from(img.height).expect("height");
    let stride = width * 3;
    let mut out: *mut u8 = std::ptr::null_mut();
    // SAFETY: `img.data` holds `stride * height` bytes; libwebp allocates `out`, which is
    // copied and released with `WebPFree` below.
    unsafe {
        let len = libwebp_sys::WebPEncodeRGB(
            img.data.as_ptr(),
            width,
            height,
            stride,
            quality,
            &raw mut out,
        );
        assert!(len > 0 && !out.is_null(), "WebPEncodeRGB failed");
        let bytes = std::slice::from_raw_parts(out, len).to_vec();
        libwebp_sys::WebPFree(out.cast());
        bytes
    }
}

#[test]
fn pillow_settings_equal_webp_encode_rgb_q80() {
    for (w, h) in [(1, 1), (17, 9), (64, 100), (300, 433), (1100, 160)] {
        let img = crate::synth::page(w, h);
        let ours = encode(&img, Format::Webp, &EncodeSettings::pillow()).expect("encode");
        let simple = webp_encode_rgb_simple(&img, 80.0);
        assert!(
            ours == simple,
            "{w}x{h}: {} vs {} bytes",
            ours.len(),
            simple.len()
        );
    }
}

#[test]
fn golden_originals_encode_identically() {
    let doc = crate::common::read_json("descramble.json");
    for case in doc["cases"].as_array().expect("cases") {
        let name = case["name"].as_str().expect("name");
        let img = crate::common::decode_data_png(&format!("{name}_original.png"));
        let ours = encode(&img, Format::Webp, &EncodeSettings::pillow()).expect("encode");
        assert!(ours == webp_encode_rgb_simple(&img, 80.0), "{name}");
    }
}

#[test]
fn default_method_differs_from_pillow() {
    // Sanity check that the comparison above is sensitive to the settings.
    let img = crate::synth::page(300, 433);
    let fast = encode(&img, Format::Webp, &EncodeSettings::default()).expect("encode");
    assert!(fast != webp_encode_rgb_simple(&img, 80.0));
}
