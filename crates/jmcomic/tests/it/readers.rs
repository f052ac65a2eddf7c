//! Independent readers of what the exporters write: Python's `zipfile`, the `7z` command,
//! lopdf, zune-png and roxmltree (none of them is the crate that wrote the file).

use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Runs an external reader; a missing tool fails the test saying what to install.
pub fn tool(program: &str, args: &[&str], install: &str) -> Output {
    match Command::new(program)
        .args(args)
        .env("PYTHONIOENCODING", "utf-8")
        .stdin(Stdio::null())
        .output()
    {
        Ok(out) => out,
        Err(e) => panic!("cannot run `{program}` ({e}): this test needs it; install {install}"),
    }
}

/// One entry of a ZIP as Python's `zipfile` reads it (CRC checked).
#[derive(Debug)]
pub struct ZipEntry {
    pub name: String,
    pub stored: bool,
    pub data: Vec<u8>,
}

const PY_ZIP: &str = r#"
import base64, json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    bad = z.testzip()
    if bad is not None:
        sys.exit("bad CRC in " + bad)
    print(json.dumps({"comment": z.comment.decode("utf-8", "replace"), "entries": [
        {"name": i.filename, "stored": i.compress_type == zipfile.ZIP_STORED,
         "data": base64.b64encode(z.read(i)).decode()} for i in z.infolist()]}))
"#;

/// Every entry of a ZIP (or CBZ), in archive order, and the archive comment.
pub fn python_zip(path: &Path) -> (String, Vec<ZipEntry>) {
    use base64::Engine as _;
    let out = tool(
        "python3",
        &["-c", PY_ZIP, path.to_str().unwrap()],
        "python3",
    );
    assert!(
        out.status.success(),
        "python zipfile cannot read {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let entries = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| ZipEntry {
            name: e["name"].as_str().unwrap().to_owned(),
            stored: e["stored"].as_bool().unwrap(),
            data: base64::engine::general_purpose::STANDARD
                .decode(e["data"].as_str().unwrap())
                .unwrap(),
        })
        .collect();
    (v["comment"].as_str().unwrap().to_owned(), entries)
}

/// Extracts an archive with `7z` into `dest`; `Err(stderr)` when 7-Zip refuses it.
pub fn seven_zip_extract(archive: &Path, password: &str, dest: &Path) -> Result<(), String> {
    let out = tool(
        "7z",
        &[
            "x",
            "-y",
            &format!("-p{password}"),
            &format!("-o{}", dest.display()),
            archive.to_str().unwrap(),
        ],
        "the Debian package p7zip-full",
    );
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// A page of a PDF as lopdf reads it: its MediaBox size and its one image's stream.
#[derive(Debug)]
pub struct PdfPage {
    pub width: f32,
    pub height: f32,
    pub filter: Option<String>,
    pub image: Vec<u8>,
}

/// The pages of a PDF and its Info dictionary's Title.
pub fn pdf_pages(path: &Path) -> (Vec<PdfPage>, Option<String>) {
    let doc = lopdf::Document::load(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut pages = Vec::new();
    for (_, id) in doc.get_pages() {
        let page = doc.get_dictionary(id).unwrap();
        let mb = page.get(b"MediaBox").unwrap().as_array().unwrap();
        let num = |o: &lopdf::Object| o.as_float().unwrap();
        let (w, h) = (num(&mb[2]) - num(&mb[0]), num(&mb[3]) - num(&mb[1]));
        let resources = doc.get_dict_in_dict(page, b"Resources").unwrap();
        let xobjects = doc.get_dict_in_dict(resources, b"XObject").unwrap();
        let (_, obj) = xobjects.iter().next().unwrap();
        let stream = doc
            .get_object(obj.as_reference().unwrap())
            .unwrap()
            .as_stream()
            .unwrap();
        let filter = stream
            .dict
            .get(b"Filter")
            .ok()
            .and_then(|f| f.as_name().ok())
            .map(|n| String::from_utf8_lossy(n).into_owned());
        pages.push(PdfPage {
            width: w,
            height: h,
            filter,
            image: stream.content.clone(),
        });
    }
    let title = doc
        .trailer
        .get(b"Info")
        .ok()
        .and_then(|i| i.as_reference().ok())
        .and_then(|r| doc.get_dictionary(r).ok())
        .and_then(|d| d.get(b"Title").ok())
        .and_then(|t| lopdf::decode_text_string(t).ok());
    (pages, title)
}

/// Width, height and RGB pixels of a PNG decoded by zune-png.
pub fn png_pixels(path: &Path) -> (u32, u32, Vec<u8>) {
    use zune_png::zune_core::bytestream::ZCursor;
    use zune_png::zune_core::options::DecoderOptions;
    let bytes = std::fs::read(path).unwrap();
    let options = DecoderOptions::default()
        .set_max_width(1 << 20)
        .set_max_height(1 << 24);
    let mut d = zune_png::PngDecoder::new_with_options(ZCursor::new(&bytes[..]), options);
    d.decode_headers().unwrap();
    let (w, h) = d.dimensions().unwrap();
    let pixels = d.decode().unwrap().u8().unwrap();
    assert_eq!(pixels.len(), w * h * 3, "8-bit RGB");
    (w as u32, h as u32, pixels)
}

/// Width and height of a page file from its header.
pub fn page_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap();
    let (_, w, h) = jmcomic::image::probe(&bytes).unwrap();
    (w, h)
}
