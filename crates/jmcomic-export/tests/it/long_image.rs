//! The long PNG, read back with `zune-png` (not the `png` crate that wrote it) and compared with
//! a reference Lanczos resize from the `resize` crate (not `fast_image_resize`).

use std::fs;
use std::path::{Path, PathBuf};

use jmcomic_export::{
    Error, ExportKind, LongImageOptions, PNG_MAX_HEIGHT, PageFile, verify_png, write_long_png,
};
use jmcomic_image::{EncodeSettings, Format, PngCompression, RgbImage, encode};
use zune_png::zune_core::bytestream::ZCursor;
use zune_png::zune_core::options::DecoderOptions;

/// A smooth, page-specific picture (smooth so that scaling and lossy codecs stay close to a
/// reference; `seed` makes pages tell apart).
fn picture(width: u32, height: u32, seed: u32) -> RgbImage {
    let mut data = Vec::with_capacity(width as usize * height as usize * 3);
    for y in 0..height {
        for x in 0..width {
            let (xf, yf, s) = (f64::from(x), f64::from(y), f64::from(seed));
            let r = 128.0 + 100.0 * ((xf + s * 13.0) / 9.0).sin();
            let g = 128.0 + 100.0 * ((yf + s * 7.0) / 11.0).cos();
            let b = (xf * 2.0 + yf + s * 40.0) % 200.0 + 20.0;
            data.extend_from_slice(&[r as u8, g as u8, b as u8]);
        }
    }
    RgbImage::new(width, height, data).unwrap()
}

/// A GIF of `img` (at most 256 colours: each channel quantised to 6 levels), and the pixels it
/// really holds.
fn gif_of(img: &RgbImage) -> (Vec<u8>, RgbImage) {
    let level = |v: u8| (u16::from(v) * 5 / 255) as u8;
    let value = |l: u8| (u16::from(l) * 51) as u8;
    let mut palette = Vec::new();
    for r in 0..6u8 {
        for g in 0..6u8 {
            for b in 0..6u8 {
                palette.extend_from_slice(&[value(r), value(g), value(b)]);
            }
        }
    }
    let mut indices = Vec::new();
    let mut held = Vec::new();
    for px in img.data.chunks_exact(3) {
        let (r, g, b) = (level(px[0]), level(px[1]), level(px[2]));
        indices.push(r * 36 + g * 6 + b);
        held.extend_from_slice(&[value(r), value(g), value(b)]);
    }
    let (w, h) = (img.width as u16, img.height as u16);
    let mut bytes = Vec::new();
    {
        let mut encoder = gif::Encoder::new(&mut bytes, w, h, &palette).unwrap();
        let frame = gif::Frame::from_indexed_pixels(w, h, indices, None);
        encoder.write_frame(&frame).unwrap();
    }
    (bytes, RgbImage::new(img.width, img.height, held).unwrap())
}

fn lossless_webp() -> EncodeSettings {
    let mut s = EncodeSettings::default();
    s.webp.lossless = true;
    s.webp.quality = 50.0;
    s
}

/// The Python plugin's `int(h * w_min / w)` in floating point, at least 1.
fn python_scaled_height(width: u32, height: u32, target: u32) -> u32 {
    let exact = f64::from(height) * f64::from(target) / f64::from(width);
    (exact.trunc() as u32).max(1)
}

/// Decodes a PNG with zune-png: `(width, height, RGB bytes)`.
fn read_png(path: &Path) -> (u32, u32, Vec<u8>) {
    let bytes = fs::read(path).unwrap();
    let options = DecoderOptions::default()
        .set_max_width(1 << 20)
        .set_max_height(1 << 24);
    let mut decoder = zune_png::PngDecoder::new_with_options(ZCursor::new(&bytes[..]), options);
    decoder.decode_headers().unwrap();
    let (w, h) = decoder.dimensions().unwrap();
    assert_eq!(
        decoder.colorspace().unwrap(),
        zune_png::zune_core::colorspace::ColorSpace::RGB
    );
    let pixels = decoder.decode().unwrap().u8().unwrap();
    (w as u32, h as u32, pixels)
}

/// The PNG's chunk types in file order, walked by hand.
fn chunk_types(path: &Path) -> Vec<String> {
    let bytes = fs::read(path).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let mut pos = 8;
    let mut types = Vec::new();
    while pos + 8 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[pos..pos + 4].try_into().unwrap()) as usize;
        types.push(String::from_utf8_lossy(&bytes[pos + 4..pos + 8]).into_owned());
        pos += 12 + len;
    }
    assert_eq!(
        pos,
        bytes.len(),
        "chunks end exactly at the end of the file"
    );
    types
}

/// A reference Lanczos-3 resize by the `resize` crate.
fn reference_resize(img: &RgbImage, width: u32, height: u32) -> Vec<u8> {
    use resize::px::RGB;
    let src: Vec<RGB<u8>> = img
        .data
        .chunks_exact(3)
        .map(|c| RGB {
            r: c[0],
            g: c[1],
            b: c[2],
        })
        .collect();
    let mut dst = vec![RGB { r: 0, g: 0, b: 0 }; width as usize * height as usize];
    resize::new(
        img.width as usize,
        img.height as usize,
        width as usize,
        height as usize,
        resize::Pixel::RGB8,
        resize::Type::Lanczos3,
    )
    .unwrap()
    .resize(&src, &mut dst)
    .unwrap();
    dst.iter().flat_map(|p| [p.r, p.g, p.b]).collect()
}

fn mean_abs_diff(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len());
    let sum: u64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    sum as f64 / a.len() as f64
}

/// One source page of a test: the file, and the pixels it holds (exactly, or before lossy
/// compression).
struct Source {
    page: PageFile,
    pixels: RgbImage,
    lossy: bool,
}

fn write_page(dir: &Path, name: &str, bytes: &[u8]) -> PageFile {
    let path = dir.join(name);
    fs::write(&path, bytes).unwrap();
    PageFile::from_path(path)
}

/// Six pages of four formats and five widths, the narrowest (a PNG) in the middle.
fn mixed_pages(dir: &Path) -> Vec<Source> {
    let mut sources = Vec::new();
    let mut add = |name: &str, bytes: Vec<u8>, pixels: RgbImage, lossy: bool| {
        sources.push(Source {
            page: write_page(dir, name, &bytes),
            pixels,
            lossy,
        });
    };
    let jpeg = picture(120, 90, 1);
    add(
        "01.jpg",
        encode(&jpeg, Format::Jpeg, &EncodeSettings::default()).unwrap(),
        jpeg,
        true,
    );
    let narrow = picture(60, 40, 2);
    add(
        "02.png",
        encode(&narrow, Format::Png, &EncodeSettings::default()).unwrap(),
        narrow,
        false,
    );
    let webp = picture(90, 50, 3);
    add(
        "03.webp",
        encode(&webp, Format::Webp, &lossless_webp()).unwrap(),
        webp,
        false,
    );
    let (gif, gif_pixels) = gif_of(&picture(75, 30, 4));
    add("04.gif", gif, gif_pixels, false);
    let narrow2 = picture(60, 25, 5);
    add(
        "05.png",
        encode(&narrow2, Format::Png, &EncodeSettings::default()).unwrap(),
        narrow2,
        false,
    );
    let lossy_webp = picture(100, 77, 6);
    add(
        "06.webp",
        encode(&lossy_webp, Format::Webp, &EncodeSettings::default()).unwrap(),
        lossy_webp,
        true,
    );
    sources
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

#[test]
fn pages_are_stacked_at_the_narrowest_width() {
    let dir = tempfile::tempdir().unwrap();
    let pages_dir = dir.path().join("pages");
    fs::create_dir(&pages_dir).unwrap();
    let sources = mixed_pages(&pages_dir);
    let pages: Vec<PageFile> = sources.iter().map(|s| s.page.clone()).collect();
    let out = dir.path().join("out").join("album.png");

    let exported = write_long_png(&pages, &out, &LongImageOptions::default()).unwrap();
    assert_eq!(exported.kind, ExportKind::LongImage);
    assert_eq!(exported.pages, 6);
    assert!(!exported.reused);
    assert_eq!(exported.bytes, fs::metadata(&out).unwrap().len());
    assert_eq!(files_in(out.parent().unwrap()), vec![out.clone()]);

    let (width, height, pixels) = read_png(&out);
    assert_eq!(width, 60);
    let heights: Vec<u32> = sources
        .iter()
        .map(|s| python_scaled_height(s.pixels.width, s.pixels.height, 60))
        .collect();
    assert_eq!(heights, [45, 40, 33, 24, 25, 46]);
    assert_eq!(height, heights.iter().sum::<u32>());
    verify_png(&out, width, height).unwrap();

    let row = width as usize * 3;
    let mut top = 0usize;
    for (source, &h) in sources.iter().zip(&heights) {
        let segment = &pixels[top * row..(top + h as usize) * row];
        let name = &source.page.name;
        if source.pixels.width == width {
            assert_eq!(segment, &source.pixels.data[..], "{name} is copied as is");
        } else {
            let reference = reference_resize(&source.pixels, width, h);
            let diff = mean_abs_diff(segment, &reference);
            let bound = if source.lossy { 5.0 } else { 1.0 };
            assert!(
                diff < bound,
                "{name}: mean difference {diff} from the reference"
            );
            // Order: the segment is far from what another page would give.
            let other = picture(source.pixels.width, source.pixels.height, 99);
            let wrong = mean_abs_diff(segment, &reference_resize(&other, width, h));
            assert!(wrong > 4.0 * diff.max(1.0), "{name}: {wrong} vs {diff}");
        }
        top += h as usize;
    }

    // The fingerprint sits in a tEXt chunk after the image data.
    let types = chunk_types(&out);
    assert_eq!(types.first().map(String::as_str), Some("IHDR"));
    let last_idat = types.iter().rposition(|t| t == "IDAT").unwrap();
    let text = types.iter().position(|t| t == "tEXt").unwrap();
    assert!(text > last_idat);
    assert_eq!(types.last().map(String::as_str), Some("IEND"));
}

#[test]
fn a_rerun_reuses_the_image_and_a_change_rewrites_it() {
    let dir = tempfile::tempdir().unwrap();
    let a = picture(40, 30, 1);
    let b = picture(80, 20, 2);
    let pages = vec![
        write_page(
            dir.path(),
            "1.png",
            &encode(&a, Format::Png, &EncodeSettings::default()).unwrap(),
        ),
        write_page(
            dir.path(),
            "2.png",
            &encode(&b, Format::Png, &EncodeSettings::default()).unwrap(),
        ),
    ];
    let out = dir.path().join("long.png");
    let options = LongImageOptions::default();
    let first = write_long_png(&pages, &out, &options).unwrap();
    assert!(!first.reused);
    let written = fs::read(&out).unwrap();
    let modified = fs::metadata(&out).unwrap().modified().unwrap();

    let again = write_long_png(&pages, &out, &options).unwrap();
    assert!(again.reused);
    assert_eq!(again.bytes, first.bytes);
    assert_eq!(fs::read(&out).unwrap(), written);
    assert_eq!(fs::metadata(&out).unwrap().modified().unwrap(), modified);

    // Another compression level gives other bytes: written again.
    let mut balanced = LongImageOptions::default();
    balanced.compression = PngCompression::Balanced;
    assert!(!write_long_png(&pages, &out, &balanced).unwrap().reused);
    assert!(write_long_png(&pages, &out, &balanced).unwrap().reused);

    // A page re-downloaded with other content: written again, with the new pixels.
    let a2 = picture(40, 50, 7);
    fs::write(
        &pages[0].path,
        encode(&a2, Format::Png, &EncodeSettings::default()).unwrap(),
    )
    .unwrap();
    let redone = write_long_png(&pages, &out, &balanced).unwrap();
    assert!(!redone.reused);
    let (w, h, pixels) = read_png(&out);
    assert_eq!((w, h), (40, 50 + 10));
    assert_eq!(&pixels[..a2.data.len()], &a2.data[..]);
}

#[test]
fn too_tall_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    // Headers only: a PNG signature and an IHDR claiming 10 x 1.5e9 pixels, twice.
    let mut header = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR".to_vec();
    header.extend_from_slice(&10u32.to_be_bytes());
    header.extend_from_slice(&1_500_000_000u32.to_be_bytes());
    header.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
    let pages = vec![
        write_page(dir.path(), "1.png", &header),
        write_page(dir.path(), "2.png", &header),
    ];
    let out_dir = dir.path().join("out");
    let out = out_dir.join("long.png");
    let err = write_long_png(&pages, &out, &LongImageOptions::default()).unwrap_err();
    let Error::Unsupported { path, reason } = &err else {
        panic!("expected Unsupported, got {err:?}");
    };
    assert_eq!(path, &out);
    assert!(reason.contains("3000000000"), "{reason}");
    assert!(reason.contains(&PNG_MAX_HEIGHT.to_string()), "{reason}");
    assert!(
        reason.contains("chapter") && reason.contains("PDF"),
        "{reason}"
    );
    assert!(!out_dir.exists(), "nothing was created");
}

#[test]
fn a_corrupt_page_is_an_error_naming_it_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let pages_dir = dir.path().join("pages");
    fs::create_dir(&pages_dir).unwrap();
    let good = encode(&picture(50, 40, 1), Format::Png, &EncodeSettings::default()).unwrap();
    // Its header is fine (so the first pass passes and writing starts), its data is cut.
    let cut = encode(&picture(50, 60, 2), Format::Png, &EncodeSettings::default()).unwrap();
    let cut = &cut[..cut.len() / 2];
    let pages = vec![
        write_page(&pages_dir, "1.png", &good),
        write_page(&pages_dir, "2.png", &good),
        write_page(&pages_dir, "3.png", cut),
        write_page(&pages_dir, "4.png", &good),
    ];
    let out_dir = dir.path().join("out");
    let out = out_dir.join("long.png");
    let err = write_long_png(&pages, &out, &LongImageOptions::default()).unwrap_err();
    assert!(matches!(err, Error::Page { .. }), "{err:?}");
    assert_eq!(err.path(), pages[2].path);
    assert!(err.to_string().contains("3.png"), "{err}");
    assert!(
        files_in(&out_dir).is_empty(),
        "no output, no temporary file"
    );

    // Not an image at all: refused in the first pass.
    let junk = write_page(&pages_dir, "5.jpg", b"<html>blocked</html>");
    let err = write_long_png(
        &[pages[0].clone(), junk.clone()],
        &out,
        &LongImageOptions::default(),
    )
    .unwrap_err();
    assert_eq!(err.path(), junk.path);
    assert!(files_in(&out_dir).is_empty());

    // No pages at all.
    let err = write_long_png(&[], &out, &LongImageOptions::default()).unwrap_err();
    assert!(matches!(err, Error::NoPages { .. }));
}

#[test]
fn a_page_over_the_decode_limits_is_refused_before_writing() {
    let dir = tempfile::tempdir().unwrap();
    let big = encode(
        &picture(300, 200, 1),
        Format::Png,
        &EncodeSettings::default(),
    )
    .unwrap();
    let pages = vec![write_page(dir.path(), "1.png", &big)];
    let mut options = LongImageOptions::default();
    options.limits.max_pixels = 10_000;
    let out = dir.path().join("out").join("long.png");
    let err = write_long_png(&pages, &out, &options).unwrap_err();
    assert_eq!(err.path(), pages[0].path);
    assert!(!out.parent().unwrap().exists());
}

#[test]
fn verify_png_checks_sizes_and_the_whole_stream() {
    let dir = tempfile::tempdir().unwrap();
    let pages: Vec<PageFile> = (0..3)
        .map(|i| {
            let png = encode(&picture(64, 48, i), Format::Png, &EncodeSettings::default());
            write_page(dir.path(), &format!("{i}.png"), &png.unwrap())
        })
        .collect();
    let out = dir.path().join("long.png");
    write_long_png(&pages, &out, &LongImageOptions::default()).unwrap();
    verify_png(&out, 64, 144).unwrap();

    for (w, h) in [(64, 143), (63, 144)] {
        let err = verify_png(&out, w, h).unwrap_err();
        assert!(matches!(err, Error::Verify { .. }), "{err:?}");
        assert_eq!(err.path(), out);
    }

    let bytes = fs::read(&out).unwrap();
    let cut = dir.path().join("cut.png");
    fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
    assert!(matches!(
        verify_png(&cut, 64, 144).unwrap_err(),
        Error::Verify { .. }
    ));

    // One flipped byte inside the image data: the chunk checksum no longer matches.
    let mut flipped = bytes.clone();
    let idat = bytes.windows(4).position(|w| w == b"IDAT").unwrap();
    flipped[idat + 20] ^= 0x55;
    let damaged = dir.path().join("damaged.png");
    fs::write(&damaged, &flipped).unwrap();
    assert!(verify_png(&damaged, 64, 144).is_err());

    assert!(matches!(
        verify_png(&dir.path().join("missing.png"), 64, 144).unwrap_err(),
        Error::Io { .. }
    ));
}

#[test]
fn two_hundred_pages_stream_through() {
    let dir = tempfile::tempdir().unwrap();
    let narrow = picture(40, 30, 1);
    let wide = picture(80, 50, 2);
    let narrow_png = encode(&narrow, Format::Png, &EncodeSettings::default()).unwrap();
    let wide_jpg = encode(&wide, Format::Jpeg, &EncodeSettings::default()).unwrap();
    let pages: Vec<PageFile> = (0..200)
        .map(|i| {
            if i % 2 == 0 {
                write_page(dir.path(), &format!("{i:03}.png"), &narrow_png)
            } else {
                write_page(dir.path(), &format!("{i:03}.jpg"), &wide_jpg)
            }
        })
        .collect();
    let out = dir.path().join("long.png");
    let exported = write_long_png(&pages, &out, &LongImageOptions::default()).unwrap();
    assert_eq!(exported.pages, 200);

    let wide_h = python_scaled_height(80, 50, 40);
    let (w, h, pixels) = read_png(&out);
    assert_eq!((w, h), (40, 100 * 30 + 100 * wide_h));
    // Every narrow page is where it belongs, unchanged.
    let row = 40 * 3;
    for k in 0..100usize {
        let top = k * (30 + wide_h as usize);
        assert_eq!(
            &pixels[top * row..(top + 30) * row],
            &narrow.data[..],
            "page {}",
            2 * k
        );
    }
}
