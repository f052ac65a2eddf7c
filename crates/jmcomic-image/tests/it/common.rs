//! Helpers shared by the test modules.

use std::path::PathBuf;

use jmcomic_image::{EncodeSettings, Format, Limits, RgbImage, decode, encode};

/// Path of a file in `tests/data`.
pub fn data_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("data")
        .join(name)
}

/// Bytes of a file in `tests/data`.
pub fn read_data(name: &str) -> Vec<u8> {
    let path = data_path(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Parsed JSON of a file in `tests/data`.
pub fn read_json(name: &str) -> serde_json::Value {
    serde_json::from_slice(&read_data(name)).expect("valid JSON")
}

/// Decodes a PNG test file with our own decoder.
pub fn decode_data_png(name: &str) -> RgbImage {
    decode(&read_data(name), &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The classic 1x1 GIF (35 bytes).
pub const GIF_1X1: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00\
    \x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00\x3b";

/// A small animated-looking GIF: two frames with a graphic control extension and a comment,
/// built by hand so every block type of the walk is exercised.
pub fn gif_two_frames() -> Vec<u8> {
    let mut g = b"GIF89a\x02\x00\x02\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff".to_vec();
    // NETSCAPE looping application extension.
    g.extend_from_slice(b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00");
    for _ in 0..2 {
        // Graphic control extension, image descriptor, LZW data.
        g.extend_from_slice(b"\x21\xf9\x04\x00\x0a\x00\x00\x00");
        g.extend_from_slice(b"\x2c\x00\x00\x00\x00\x02\x00\x02\x00\x00\x02\x03\x84\x1d\x05\x00");
    }
    // Comment extension.
    g.extend_from_slice(b"\x21\xfe\x05hello\x00");
    g.push(0x3B);
    g
}

/// Small valid files of every format, made from a synthetic page.
pub fn small_files() -> Vec<(Format, Vec<u8>)> {
    let img = crate::synth::page(48, 40);
    let settings = EncodeSettings::default();
    let mut files: Vec<(Format, Vec<u8>)> = [Format::Webp, Format::Jpeg, Format::Png]
        .into_iter()
        .map(|f| (f, encode(&img, f, &settings).expect("encode")))
        .collect();
    let mut lossless = settings;
    lossless.webp.lossless = true;
    files.push((
        Format::Webp,
        encode(&img, Format::Webp, &lossless).expect("encode"),
    ));
    files.push((Format::Gif, GIF_1X1.to_vec()));
    files.push((Format::Gif, gif_two_frames()));
    files
}
