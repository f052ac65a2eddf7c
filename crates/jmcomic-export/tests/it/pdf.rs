//! The PDF exporter. Outputs are read back with lopdf (a parser that shares nothing with
//! pdf-writer, which wrote them), checked with `qpdf --check`, and rendered or inspected with
//! poppler (`pdftoppm`, `pdfinfo`). Those two tools come from the apt packages `qpdf` and
//! `poppler-utils`; the tests fail with that hint when they are missing.
// Page sizes are whole numbers written and read exactly: comparing them exactly is the point.
#![allow(clippy::float_cmp)]

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use jmcomic_export::{
    Error, ExportKind, ExportMeta, PageFile, PdfConvert, PdfOptions, verify_pdf, write_pdf,
};
use jmcomic_image::{EncodeSettings, Format, Limits, RgbImage};
use jmcomic_model::{Album, JmId};
use lopdf::{Document, ObjectId};

// ---------------------------------------------------------------------------------------
// Pages and metadata

const TITLE: &str = "禁漫 Test (Album) 1";

fn meta() -> ExportMeta {
    let album = Album {
        id: JmId::from(350_234u64),
        name: TITLE.to_owned(),
        authors: vec!["作者A".to_owned(), "Author B".to_owned()],
        tags: vec!["tag one".to_owned(), "标签".to_owned()],
        works: Vec::new(),
        actors: Vec::new(),
        description: "A plain description".to_owned(),
        page_count: None,
        pub_date: None,
        update_date: None,
        likes: String::new(),
        views: String::new(),
        comment_count: 0,
        episodes: Vec::new(),
        related: Vec::new(),
        liked: false,
        is_favorite: false,
    };
    ExportMeta::album(&album)
}

/// A picture with structure in both directions, different for each `seed`.
fn picture(width: u32, height: u32, seed: u32) -> RgbImage {
    let mut data = Vec::with_capacity((width * height * 3) as usize);
    for y in 0..height {
        for x in 0..width {
            data.extend_from_slice(&[
                (x * 3 + seed * 17) as u8,
                (y * 5 + seed) as u8,
                ((x ^ y) * 7 + seed * 3) as u8,
            ]);
        }
    }
    RgbImage::new(width, height, data).unwrap()
}

/// A picture of flat 8×8 blocks: what a renderer's resampling barely changes.
fn blocks(width: u32, height: u32) -> RgbImage {
    let mut data = Vec::with_capacity((width * height * 3) as usize);
    for y in 0..height {
        for x in 0..width {
            let (bx, by) = (x / 8, y / 8);
            data.extend_from_slice(&[(bx * 40) as u8, (by * 40) as u8, ((bx + by) * 20) as u8]);
        }
    }
    RgbImage::new(width, height, data).unwrap()
}

fn encode(img: &RgbImage, format: Format) -> Vec<u8> {
    jmcomic_image::encode(img, format, &EncodeSettings::default()).unwrap()
}

/// A one-frame GIF of `width × height` with an 8-colour palette, and its pixels as RGB.
fn gif_page(width: u16, height: u16) -> (Vec<u8>, Vec<u8>) {
    let palette: Vec<u8> = (0..8u8)
        .flat_map(|i| [i * 30, 255 - i * 20, i * 11])
        .collect();
    let indices: Vec<u8> = (0..u32::from(width) * u32::from(height))
        .map(|i| (i % 8) as u8)
        .collect();
    let mut bytes = Vec::new();
    {
        let mut encoder = gif::Encoder::new(&mut bytes, width, height, &palette).unwrap();
        let frame = gif::Frame::from_indexed_pixels(width, height, indices.clone(), None);
        encoder.write_frame(&frame).unwrap();
    }
    let rgb = indices
        .iter()
        .flat_map(|&i| palette[i as usize * 3..i as usize * 3 + 3].to_vec())
        .collect();
    (bytes, rgb)
}

/// A grayscale JPEG (one component).
fn gray_jpeg(width: usize, height: usize) -> Vec<u8> {
    let pixels: Vec<u8> = (0..width * height).map(|i| (i * 7 % 256) as u8).collect();
    let image = turbojpeg::Image {
        pixels: pixels.as_slice(),
        width,
        pitch: width,
        height,
        format: turbojpeg::PixelFormat::GRAY,
    };
    turbojpeg::compress(image, 90, turbojpeg::Subsamp::Gray)
        .unwrap()
        .to_vec()
}

/// A CMYK JPEG filled with one colour, given as libjpeg-turbo stores CMYK (Adobe's inverted
/// convention: 255 is no ink).
fn cmyk_jpeg(width: usize, height: usize, cmyk: [u8; 4]) -> Vec<u8> {
    let pixels: Vec<u8> = cmyk.repeat(width * height);
    let image = turbojpeg::Image {
        pixels: pixels.as_slice(),
        width,
        pitch: width * 4,
        height,
        format: turbojpeg::PixelFormat::CMYK,
    };
    turbojpeg::compress(image, 95, turbojpeg::Subsamp::None)
        .unwrap()
        .to_vec()
}

/// Writes `files` (name, bytes) into `dir` and returns them as pages in that order.
fn pages_in(dir: &Path, files: &[(&str, &[u8])]) -> Vec<PageFile> {
    fs::create_dir_all(dir).unwrap();
    files
        .iter()
        .map(|(name, bytes)| {
            let path = dir.join(name);
            fs::write(&path, bytes).unwrap();
            PageFile::from_path(path)
        })
        .collect()
}

fn dir_entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    entries
}

// ---------------------------------------------------------------------------------------
// Reading the PDF back

/// One page as lopdf reads it.
struct ReadPage {
    media_box: Vec<f32>,
    user_unit: f32,
    image: lopdf::Stream,
}

fn read_pages(doc: &Document) -> Vec<ReadPage> {
    doc.get_pages()
        .values()
        .map(|&id| read_page(doc, id))
        .collect()
}

fn read_page(doc: &Document, id: ObjectId) -> ReadPage {
    let page = doc.get_dictionary(id).unwrap();
    let media_box = page
        .get(b"MediaBox")
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_float().unwrap())
        .collect();
    let user_unit = page.get(b"UserUnit").map_or(1.0, |u| u.as_float().unwrap());
    let resources = doc.get_dict_in_dict(page, b"Resources").unwrap();
    let xobjects = doc.get_dict_in_dict(resources, b"XObject").unwrap();
    let image_id = xobjects.get(b"Im0").unwrap().as_reference().unwrap();
    let image = doc
        .get_object(image_id)
        .unwrap()
        .as_stream()
        .unwrap()
        .clone();
    ReadPage {
        media_box,
        user_unit,
        image,
    }
}

fn name_of(stream: &lopdf::Stream, key: &[u8]) -> String {
    String::from_utf8(stream.dict.get(key).unwrap().as_name().unwrap().to_vec()).unwrap()
}

fn info_text(doc: &Document, key: &[u8]) -> String {
    let info_id = doc.trailer.get(b"Info").unwrap().as_reference().unwrap();
    let info = doc.get_dictionary(info_id).unwrap();
    lopdf::decode_text_string(info.get(key).unwrap()).unwrap()
}

// ---------------------------------------------------------------------------------------
// Standard tools

fn tool(name: &str, package: &str, args: &[&str]) -> Output {
    Command::new(name).args(args).output().unwrap_or_else(|e| {
        panic!("cannot run `{name}` ({e}): install it with `apt-get install -y {package}`")
    })
}

fn qpdf(args: &[&str]) -> Output {
    tool("qpdf", "qpdf", args)
}

fn assert_qpdf_check(path: &Path, password: Option<&str>) {
    let password_arg = password.map(|p| format!("--password={p}"));
    let mut args: Vec<&str> = password_arg.iter().map(String::as_str).collect();
    args.extend(["--check", path.to_str().unwrap()]);
    let out = qpdf(&args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("No syntax or stream encoding errors"),
        "qpdf --check failed for {}:\n{stdout}\n{}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Page 1 rendered by poppler at 72 dpi (one pixel per point), as RGB.
fn render_first_page(pdf: &Path, password: Option<&str>) -> RgbImage {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("render");
    let mut args = vec!["-r", "72", "-f", "1", "-l", "1", "-singlefile", "-png"];
    if let Some(p) = password {
        args.extend(["-upw", p]);
    }
    args.extend([pdf.to_str().unwrap(), prefix.to_str().unwrap()]);
    let out = tool("pdftoppm", "poppler-utils", &args);
    assert!(
        out.status.success(),
        "pdftoppm failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = fs::read(dir.path().join("render.png")).unwrap();
    jmcomic_image::decode(&png, &Limits::default()).unwrap()
}

/// Asserts that poppler drew `rendered` as the `blocks` picture `source`. At one pixel per
/// point poppler resamples images, which blends the first row and column of each block with
/// its neighbour, so only the block interiors must be exact; a page drawn flipped, mirrored
/// or shifted fails.
fn assert_drawn_as(rendered: &RgbImage, source: &RgbImage) {
    assert_eq!(
        (rendered.width, rendered.height),
        (source.width, source.height)
    );
    for y in (0..source.height).filter(|y| y % 8 != 0) {
        for x in (0..source.width).filter(|x| x % 8 != 0) {
            assert_eq!(rendered.pixel(x, y), source.pixel(x, y), "pixel {x},{y}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Tests

#[test]
fn pages_keep_order_size_and_jpeg_bytes_and_the_rest_is_lossless() {
    let dir = tempfile::tempdir().unwrap();
    let jpeg = encode(&picture(120, 80, 1), Format::Jpeg);
    let webp = encode(&picture(90, 130, 2), Format::Webp);
    let png_picture = picture(64, 64, 3);
    let png = encode(&png_picture, Format::Png);
    let (gif, gif_rgb) = gif_page(40, 30);
    let gray = gray_jpeg(50, 70);
    let jpeg2 = encode(&picture(33, 210, 4), Format::Jpeg);
    let pages = pages_in(
        &dir.path().join("pages"),
        &[
            ("01.jpg", &jpeg),
            ("02.webp", &webp),
            ("03.png", &png),
            ("04.gif", &gif),
            ("05.jpg", &gray),
            ("06.jpg", &jpeg2),
        ],
    );
    let out = dir.path().join("out").join("album.pdf");

    let exported = write_pdf(&pages, &out, &meta(), &PdfOptions::default()).unwrap();
    assert_eq!(exported.path, out);
    assert_eq!(exported.kind, ExportKind::Pdf);
    assert_eq!(exported.pages, 6);
    assert!(!exported.reused);
    assert_eq!(exported.bytes, fs::metadata(&out).unwrap().len());
    // Only the final file is left: the temporary one was renamed.
    assert_eq!(dir_entries(&dir.path().join("out")), vec![out.clone()]);

    let doc = Document::load(&out).unwrap();
    let read = read_pages(&doc);
    let sizes = [
        (120, 80),
        (90, 130),
        (64, 64),
        (40, 30),
        (50, 70),
        (33, 210),
    ];
    assert_eq!(read.len(), sizes.len());
    for (page, (w, h)) in read.iter().zip(sizes) {
        assert_eq!(page.media_box, vec![0.0, 0.0, w as f32, h as f32]);
        assert_eq!(page.user_unit, 1.0);
        assert_eq!(page.image.dict.get(b"Width").unwrap().as_i64().unwrap(), w);
        assert_eq!(page.image.dict.get(b"Height").unwrap().as_i64().unwrap(), h);
    }

    // JPEG pages: the files' own bytes, not re-encoded, with their colour space.
    for (index, bytes, space) in [
        (0, &jpeg, "DeviceRGB"),
        (4, &gray, "DeviceGray"),
        (5, &jpeg2, "DeviceRGB"),
    ] {
        let image = &read[index].image;
        assert_eq!(name_of(image, b"Filter"), "DCTDecode");
        assert_eq!(name_of(image, b"ColorSpace"), space);
        assert!(image.content == *bytes, "page {} was re-encoded", index + 1);
    }

    // Other pages: Flate, decoding to exactly the source pixels.
    let webp_pixels = jmcomic_image::decode(&webp, &Limits::default()).unwrap();
    for (index, pixels) in [
        (1, &webp_pixels.data),
        (2, &png_picture.data),
        (3, &gif_rgb),
    ] {
        let image = &read[index].image;
        assert_eq!(name_of(image, b"Filter"), "FlateDecode");
        assert_eq!(name_of(image, b"ColorSpace"), "DeviceRGB");
        assert!(
            image.decompressed_content().unwrap() == *pixels,
            "page {} is not lossless",
            index + 1
        );
    }

    assert_eq!(info_text(&doc, b"Title"), TITLE);
    assert_eq!(info_text(&doc, b"Author"), "作者A, Author B");
    assert_eq!(info_text(&doc, b"Keywords"), "tag one, 标签");
    assert_eq!(info_text(&doc, b"Subject"), "A plain description");

    assert_qpdf_check(&out, None);
    // Poppler draws a lossless page where it belongs (not flipped or shifted).
    let flat = blocks(64, 48);
    let flat_page = pages_in(
        &dir.path().join("flat"),
        &[("1.png", &encode(&flat, Format::Png))],
    );
    let only_png = dir.path().join("png.pdf");
    write_pdf(&flat_page, &only_png, &meta(), &PdfOptions::default()).unwrap();
    assert_drawn_as(&render_first_page(&only_png, None), &flat);

    verify_pdf(&out, 6).unwrap();
}

#[test]
fn jpeg_conversion_reencodes_only_the_other_pages() {
    let dir = tempfile::tempdir().unwrap();
    let jpeg = encode(&picture(64, 48, 5), Format::Jpeg);
    let webp = encode(&picture(80, 60, 6), Format::Webp);
    let pages = pages_in(dir.path(), &[("1.jpg", &jpeg), ("2.webp", &webp)]);
    let out = dir.path().join("a.pdf");

    let lossless = write_pdf(&pages, &out, &meta(), &PdfOptions::default()).unwrap();
    let options = PdfOptions::new().with_convert(PdfConvert::Jpeg { quality: 90 });
    let converted = write_pdf(&pages, &out, &meta(), &options).unwrap();
    // Another setting is another file, even over the same pages.
    assert!(!converted.reused);
    assert!(converted.bytes < lossless.bytes);

    let doc = Document::load(&out).unwrap();
    let read = read_pages(&doc);
    assert!(read[0].image.content == jpeg);
    let image = &read[1].image;
    assert_eq!(name_of(image, b"Filter"), "DCTDecode");
    let decoded = jmcomic_image::decode(&image.content, &Limits::default()).unwrap();
    assert_eq!((decoded.width, decoded.height), (80, 60));
    assert_eq!(read[1].media_box, vec![0.0, 0.0, 80.0, 60.0]);
    assert_qpdf_check(&out, None);
}

#[test]
fn a_rerun_over_the_same_pages_leaves_the_file_alone_and_a_changed_page_rewrites_it() {
    let dir = tempfile::tempdir().unwrap();
    let first = encode(&picture(30, 40, 7), Format::Jpeg);
    let second = encode(&picture(50, 20, 8), Format::Webp);
    let pages = pages_in(
        &dir.path().join("p"),
        &[("1.jpg", &first), ("2.webp", &second)],
    );
    let out = dir.path().join("a.pdf");

    let written = write_pdf(&pages, &out, &meta(), &PdfOptions::default()).unwrap();
    assert!(!written.reused);
    let before = fs::metadata(&out).unwrap();

    let again = write_pdf(&pages, &out, &meta(), &PdfOptions::default()).unwrap();
    assert!(again.reused);
    assert_eq!(again.pages, 2);
    assert_eq!(again.bytes, written.bytes);
    let after = fs::metadata(&out).unwrap();
    assert_eq!(after.ino(), before.ino());
    assert_eq!(after.modified().unwrap(), before.modified().unwrap());

    // A re-downloaded page (other content, other size) makes a new file.
    let replaced = encode(&picture(31, 41, 9), Format::Jpeg);
    fs::write(&pages[0].path, &replaced).unwrap();
    let rewritten = write_pdf(&pages, &out, &meta(), &PdfOptions::default()).unwrap();
    assert!(!rewritten.reused);
    assert_ne!(fs::metadata(&out).unwrap().ino(), before.ino());
    let doc = Document::load(&out).unwrap();
    let read = read_pages(&doc);
    assert!(read[0].image.content == replaced);
    assert_eq!(read[0].media_box, vec![0.0, 0.0, 31.0, 41.0]);
}

#[test]
fn a_bad_page_is_named_and_leaves_no_file_behind() {
    let dir = tempfile::tempdir().unwrap();
    let good = encode(&picture(40, 40, 10), Format::Jpeg);
    let webp = encode(&picture(40, 40, 11), Format::Webp);
    let out_dir = dir.path().join("out");
    let out = out_dir.join("a.pdf");
    fs::create_dir_all(&out_dir).unwrap();
    // An export from an earlier run stays as it was when the new one fails.
    fs::write(&out, b"earlier export").unwrap();

    let cases: [(&str, Vec<u8>); 4] = [
        ("cut.jpg", good[..good.len() / 2].to_vec()),
        ("cut.webp", webp[..webp.len() / 2].to_vec()),
        (
            "page.jpg",
            b"<!DOCTYPE html><html>not an image</html>".to_vec(),
        ),
        ("garbage.jpg", [&good[..20], &[0u8; 200][..]].concat()),
    ];
    for (name, bytes) in cases {
        let pages = pages_in(
            &dir.path().join(name.replace('.', "_")),
            &[("0.jpg", &good), (name, &bytes), ("2.jpg", &good)],
        );
        let err = write_pdf(&pages, &out, &meta(), &PdfOptions::default()).unwrap_err();
        assert!(matches!(err, Error::Page { .. }), "{name}: {err:?}");
        assert_eq!(err.path(), pages[1].path, "{name}");
        assert!(err.to_string().contains(name), "{name}: {err}");
        assert_eq!(dir_entries(&out_dir), vec![out.clone()], "{name}");
        assert_eq!(fs::read(&out).unwrap(), b"earlier export");
    }

    // A page that is gone.
    let mut pages = pages_in(&dir.path().join("gone"), &[("0.jpg", &good)]);
    pages.push(PageFile::from_path(
        dir.path().join("gone").join("missing.jpg"),
    ));
    let err = write_pdf(&pages, &out, &meta(), &PdfOptions::default()).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert_eq!(err.path(), pages[1].path);
    assert_eq!(dir_entries(&out_dir), vec![out.clone()]);

    let err = write_pdf(&[], &out, &meta(), &PdfOptions::default()).unwrap_err();
    assert!(matches!(err, Error::NoPages { .. }), "{err:?}");
}

#[test]
fn verify_accepts_a_complete_file_and_refuses_a_cut_or_damaged_one() {
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<(String, Vec<u8>)> = (0..5)
        .map(|i| {
            let format = if i % 2 == 0 {
                Format::Jpeg
            } else {
                Format::Png
            };
            (
                format!("{i}{}", format.suffix()),
                encode(&picture(60, 90, i), format),
            )
        })
        .collect();
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let pages = pages_in(&dir.path().join("p"), &refs);
    let out = dir.path().join("a.pdf");
    write_pdf(&pages, &out, &meta(), &PdfOptions::default()).unwrap();
    verify_pdf(&out, 5).unwrap();

    let err = verify_pdf(&out, 6).unwrap_err();
    assert!(matches!(err, Error::Verify { .. }), "{err:?}");
    assert_eq!(err.path(), out);

    let bytes = fs::read(&out).unwrap();
    let damaged = dir.path().join("damaged.pdf");
    let mut spliced = bytes.clone();
    spliced.drain(bytes.len() / 2..bytes.len() / 2 + 10);
    for (what, content) in [
        ("half", bytes[..bytes.len() / 2].to_vec()),
        ("all but the last bytes", bytes[..bytes.len() - 7].to_vec()),
        ("ten bytes gone in the middle", spliced),
        ("empty", Vec::new()),
    ] {
        fs::write(&damaged, &content).unwrap();
        let err = verify_pdf(&damaged, 5).unwrap_err();
        assert!(matches!(err, Error::Verify { .. }), "{what}: {err:?}");
    }
    let err = verify_pdf(&dir.path().join("none.pdf"), 5).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
}

#[test]
fn a_password_protected_pdf_opens_only_with_its_password() {
    let dir = tempfile::tempdir().unwrap();
    let jpeg = encode(&picture(70, 50, 12), Format::Jpeg);
    let png_picture = blocks(32, 24);
    let png = encode(&png_picture, Format::Png);
    let pages = pages_in(
        &dir.path().join("p"),
        &[("1.jpg", &jpeg), ("2.png", &png), ("3.jpg", &jpeg)],
    );
    let out = dir.path().join("locked.pdf");
    let password = "jm-s3cret";
    let options = PdfOptions::new().with_password(password);
    let written = write_pdf(&pages, &out, &meta(), &options).unwrap();
    assert!(!written.reused);

    // Strings and streams are encrypted: neither the author nor the JPEG is in clear.
    let raw = fs::read(&out).unwrap();
    assert!(!raw.windows(8).any(|w| w == b"Author B"));
    assert!(!raw.windows(64).any(|w| w == &jpeg[200..264]));

    // qpdf and poppler refuse it without the password...
    let check = qpdf(&["--check", out.to_str().unwrap()]);
    assert!(!check.status.success(), "qpdf opened it without a password");
    assert!(String::from_utf8_lossy(&check.stderr).contains("invalid password"));
    let info = tool("pdfinfo", "poppler-utils", &[out.to_str().unwrap()]);
    assert!(
        !info.status.success(),
        "pdfinfo opened it without a password"
    );

    // ...and open it with it, as the user and as the owner.
    assert_qpdf_check(&out, Some(password));
    let info = tool(
        "pdfinfo",
        "poppler-utils",
        &["-upw", password, out.to_str().unwrap()],
    );
    let text = String::from_utf8_lossy(&info.stdout);
    assert!(
        info.status.success(),
        "{}",
        String::from_utf8_lossy(&info.stderr)
    );
    let field = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
            .map(str::trim)
            .unwrap_or_default()
    };
    assert_eq!(field("Pages"), "3", "{text}");
    assert!(field("Encrypted").starts_with("yes"), "{text}");
    assert!(field("Encrypted").contains("AES-256"), "{text}");
    assert_eq!(field("Title"), TITLE, "{text}");
    let info = tool(
        "pdfinfo",
        "poppler-utils",
        &["-opw", password, out.to_str().unwrap()],
    );
    assert!(info.status.success());
    let shown = qpdf(&[
        "--password=jm-s3cret",
        "--show-encryption",
        out.to_str().unwrap(),
    ]);
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(shown.contains("R = 6"), "{shown}");
    assert!(
        shown.contains("owner password matches") || shown.contains("Supplied password is owner"),
        "{shown}"
    );

    // Decrypted by qpdf, the content is what was put in.
    let plain = dir.path().join("plain.pdf");
    let decrypt = qpdf(&[
        "--password=jm-s3cret",
        "--decrypt",
        out.to_str().unwrap(),
        plain.to_str().unwrap(),
    ]);
    assert!(decrypt.status.success(), "{decrypt:?}");
    let doc = Document::load(&plain).unwrap();
    let read = read_pages(&doc);
    assert_eq!(read.len(), 3);
    assert!(read[0].image.content == jpeg);
    assert!(read[1].image.decompressed_content().unwrap() == png_picture.data);
    assert_eq!(read[1].media_box, vec![0.0, 0.0, 32.0, 24.0]);
    assert_eq!(info_text(&doc, b"Title"), TITLE);
    assert_eq!(info_text(&doc, b"Author"), "作者A, Author B");
    // Poppler decrypts and draws the lossless page exactly.
    let lone = dir.path().join("lone.pdf");
    write_pdf(&pages[1..2], &lone, &meta(), &options).unwrap();
    assert_drawn_as(&render_first_page(&lone, Some(password)), &png_picture);

    // The structure check needs no password.
    verify_pdf(&out, 3).unwrap();
    // Same password: reused; another password: a new file.
    assert!(write_pdf(&pages, &out, &meta(), &options).unwrap().reused);
    let other = PdfOptions::new().with_password("another");
    assert!(!write_pdf(&pages, &out, &meta(), &other).unwrap().reused);
    assert_qpdf_check(&out, Some("another"));
}

#[test]
fn cmyk_and_oversized_pages_render_as_they_should() {
    let dir = tempfile::tempdir().unwrap();
    // Red in libjpeg-turbo's (Adobe) inverted CMYK: no cyan ink, full magenta and yellow.
    let red = cmyk_jpeg(24, 16, [255, 0, 0, 255]);
    let tall = encode(&picture(12, 30_000, 14), Format::Jpeg);
    let pages = pages_in(dir.path(), &[("red.jpg", &red), ("tall.jpg", &tall)]);

    let out = dir.path().join("cmyk.pdf");
    write_pdf(&pages[..1], &out, &meta(), &PdfOptions::default()).unwrap();
    let doc = Document::load(&out).unwrap();
    let image = &read_pages(&doc)[0].image;
    assert_eq!(name_of(image, b"ColorSpace"), "DeviceCMYK");
    assert!(image.content == red);
    let rendered = render_first_page(&out, None);
    assert_eq!((rendered.width, rendered.height), (24, 16));
    let [r, g, b] = rendered.pixel(12, 8).unwrap();
    assert!(
        r > 200 && g < 80 && b < 80,
        "rendered as {r},{g},{b}, not red"
    );

    // Taller than 14,400 pt: drawn in user units of several points, same size overall.
    let out = dir.path().join("tall.pdf");
    write_pdf(&pages[1..], &out, &meta(), &PdfOptions::default()).unwrap();
    let doc = Document::load(&out).unwrap();
    let page = &read_pages(&doc)[0];
    assert!(page.user_unit > 1.0);
    assert_eq!(page.media_box[0], 0.0);
    assert!((page.media_box[2] * page.user_unit - 12.0).abs() < 0.01);
    assert!((page.media_box[3] * page.user_unit - 30_000.0).abs() < 0.01);
    assert!(page.media_box[3] <= 14_400.0);
    assert!(page.image.content == tall);
    assert_qpdf_check(&out, None);
}

#[test]
fn three_hundred_pages_are_written_one_by_one() {
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<(String, Vec<u8>)> = (0..300u32)
        .map(|i| {
            let format = if i % 3 == 0 {
                Format::Webp
            } else {
                Format::Jpeg
            };
            let name = format!("{i:04}{}", format.suffix());
            (name, encode(&picture(24 + i % 7, 36, i), format))
        })
        .collect();
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let pages = pages_in(&dir.path().join("p"), &refs);
    let out = dir.path().join("big.pdf");

    let started = Instant::now();
    let exported = write_pdf(&pages, &out, &meta(), &PdfOptions::default()).unwrap();
    let took = started.elapsed();
    assert_eq!(exported.pages, 300);
    // Small pages: this is about the writer, not the codecs.
    assert!(took.as_secs() < 20, "300 small pages took {took:?}");

    verify_pdf(&out, 300).unwrap();
    assert_qpdf_check(&out, None);
    let doc = Document::load(&out).unwrap();
    let read = read_pages(&doc);
    assert_eq!(read.len(), 300);
    for (i, page) in read.iter().enumerate() {
        assert_eq!(page.media_box[2], (24 + i % 7) as f32, "page {i}");
        if i % 3 != 0 {
            assert!(page.image.content == files[i].1, "page {i}");
        }
    }
    // The fingerprint is found at the end although the cross-reference table is long.
    assert!(
        write_pdf(&pages, &out, &meta(), &PdfOptions::default())
            .unwrap()
            .reused
    );
}

#[test]
fn passwords_are_prepared_as_pdf_readers_expect() {
    let dir = tempfile::tempdir().unwrap();
    let jpeg = encode(&picture(30, 20, 15), Format::Jpeg);
    let pages = pages_in(&dir.path().join("p"), &[("1.jpg", &jpeg)]);

    // Chinese passwords work in qpdf and poppler.
    let out = dir.path().join("cjk.pdf");
    write_pdf(
        &pages,
        &out,
        &meta(),
        &PdfOptions::new().with_password("禁漫密码"),
    )
    .unwrap();
    assert_qpdf_check(&out, Some("禁漫密码"));
    let info = tool(
        "pdfinfo",
        "poppler-utils",
        &["-upw", "禁漫密码", out.to_str().unwrap()],
    );
    assert!(info.status.success(), "{info:?}");

    // Readers use the first 127 bytes of a long password; typing all of it opens the file.
    let long = "p".repeat(200);
    let out = dir.path().join("long.pdf");
    write_pdf(
        &pages,
        &out,
        &meta(),
        &PdfOptions::new().with_password(&long),
    )
    .unwrap();
    // (Only qpdf: poppler's command-line tools keep 32 characters of a password argument.)
    assert_qpdf_check(&out, Some(&long));
    assert_qpdf_check(&out, Some(&long[..127]));

    // A password the standard refuses (a control character) is a clear error, no file.
    let out = dir.path().join("bad.pdf");
    let err = write_pdf(
        &pages,
        &out,
        &meta(),
        &PdfOptions::new().with_password("a\u{7}b"),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
    assert!(err.to_string().contains("SASLprep"), "{err}");
    assert!(!err.to_string().contains("a\u{7}b"));
    assert_eq!(err.path(), out);
    assert!(!out.exists());
}
