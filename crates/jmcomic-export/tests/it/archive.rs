//! ZIP, CBZ and 7z exports, read back with Python's `zipfile`, the `7z` command (Debian
//! package `p7zip-full`) and roxmltree: never with the crates that wrote them.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::UNIX_EPOCH;

use jmcomic_export::{
    AesStrength, ComicInfo, Error, ExportMeta, Manga, PageFile, PagePicture, SevenZipOptions,
    ZipCompression, ZipEncryption, ZipOptions, seven_zip_is_up_to_date, seven_zip_sidecar_path,
    verify_7z, verify_zip, write_7z, write_cbz, write_zip,
};
use jmcomic_image::{EncodeSettings, Format, RgbImage};
use jmcomic_model::{Album, Episode, JmId};

// ---------------------------------------------------------------------------------------
// Helpers

/// Runs an external reader; a missing tool fails the test with what to install.
fn run(program: &str, args: &[&str], install: &str) -> Output {
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

fn seven_zip(args: &[&str]) -> Output {
    run(
        "7z",
        args,
        "the Debian package p7zip-full (apt-get install -y p7zip-full)",
    )
}

/// The entries of a `7z l -slt` listing (the blocks after the `----------` line), as
/// `key = value` maps.
fn slt_entries(listing: &str) -> Vec<std::collections::HashMap<String, String>> {
    let Some((_, entries)) = listing.split_once("----------\n") else {
        return Vec::new();
    };
    entries
        .split("\n\n")
        .map(|block| {
            block
                .lines()
                .filter_map(|l| l.split_once(" = "))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect::<std::collections::HashMap<_, _>>()
        })
        .filter(|m| m.contains_key("Path"))
        .collect()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Reads a ZIP with Python's `zipfile`: every entry (CRC checked by `read`) is written to
/// `dest/<index>`; returns the comment and, per entry in archive order, its name, compression
/// type and `date_time`.
struct PyZip {
    comment: String,
    entries: Vec<PyEntry>,
}

#[derive(Debug)]
struct PyEntry {
    name: String,
    compress_type: u32,
    date_time: String,
    data: Vec<u8>,
}

const PY_LIST_ZIP: &str = r#"
import os, sys, zipfile
path, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(path) as z:
    bad = z.testzip()
    if bad is not None:
        sys.exit("bad CRC in " + bad)
    print("comment\t" + z.comment.decode("utf-8").replace("\n", "\\n"))
    for i, info in enumerate(z.infolist()):
        with open(os.path.join(dest, str(i)), "wb") as f:
            f.write(z.read(info))
        print("\t".join([str(i), str(info.compress_type), "%04d-%02d-%02d %02d:%02d:%02d" % info.date_time, info.filename]))
"#;

fn python_zip(path: &Path) -> PyZip {
    let dest = tempfile::tempdir().unwrap();
    let out = run(
        "python3",
        &[
            "-c",
            PY_LIST_ZIP,
            path.to_str().unwrap(),
            dest.path().to_str().unwrap(),
        ],
        "python3",
    );
    assert!(
        out.status.success(),
        "python zipfile could not read {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    let mut lines = text.lines();
    let comment = lines
        .next()
        .unwrap()
        .strip_prefix("comment\t")
        .unwrap()
        .replace("\\n", "\n");
    let entries = lines
        .map(|line| {
            let f: Vec<&str> = line.splitn(4, '\t').collect();
            PyEntry {
                name: f[3].to_owned(),
                compress_type: f[1].parse().unwrap(),
                date_time: f[2].to_owned(),
                data: fs::read(dest.path().join(f[0])).unwrap(),
            }
        })
        .collect();
    PyZip { comment, entries }
}

/// A page image of `w`×`h` pixels in `format`, with a pattern that differs per `seed`.
fn image(dir: &Path, file: &str, w: u32, h: u32, format: Format, seed: u8) -> PathBuf {
    let data = (0..w * h * 3)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect();
    let img = RgbImage::new(w, h, data).unwrap();
    let bytes = jmcomic_image::encode(&img, format, &EncodeSettings::pillow()).unwrap();
    let path = dir.join(file);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, bytes).unwrap();
    path
}

/// Three pages of different formats and sizes, named `0001.jpg`, `0002.png`, `0003.webp`.
fn three_pages(dir: &Path) -> Vec<PageFile> {
    PageFile::numbered([
        image(dir, "src/a.jpg", 40, 60, Format::Jpeg, 1),
        image(dir, "src/b.png", 50, 30, Format::Png, 2),
        image(dir, "src/c.webp", 64, 48, Format::Webp, 3),
    ])
}

/// Files in `dir` (not recursing), names only, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The DOS time a ZIP should carry for `path`: its modification time in UTC, seconds
/// rounded down to even.
fn dos_time(path: &Path) -> String {
    let secs = fs::metadata(path)
        .unwrap()
        .modified()
        .unwrap()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let t = time::OffsetDateTime::from_unix_timestamp(secs as i64).unwrap();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second() / 2 * 2
    )
}

/// Flips one byte in the middle of the first occurrence of `needle` in `file`.
fn corrupt_inside(file: &Path, needle: &[u8]) {
    let mut bytes = fs::read(file).unwrap();
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("the page's bytes are stored as they are");
    bytes[at + needle.len() / 2] ^= 0x55;
    fs::write(file, bytes).unwrap();
}

fn album(title: &str, chapters: u32) -> Album {
    Album {
        id: JmId::new(438_516),
        name: title.to_owned(),
        authors: vec!["作者A".to_owned(), "Author, B".to_owned()],
        tags: vec!["全彩".to_owned(), "長篇".to_owned()],
        works: vec!["原神".to_owned()],
        actors: vec!["芙宁娜".to_owned()],
        description: "A <b>bold</b> & \"quoted\" summary\u{b}.".to_owned(),
        page_count: Some(3),
        pub_date: Some("2023-07-09".to_owned()),
        update_date: None,
        likes: "1K".to_owned(),
        views: "40K".to_owned(),
        comment_count: 0,
        episodes: (1..=chapters)
            .map(|i| Episode {
                chapter_id: JmId::new(438_516 + u64::from(i) - 1),
                sort: i,
                title: format!("第{i}話"),
            })
            .collect(),
        related: Vec::new(),
        liked: false,
        is_favorite: false,
    }
}

// ---------------------------------------------------------------------------------------
// ZIP

#[test]
fn zip_stores_pages_in_order_and_python_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut pages = three_pages(dir.path());
    // An album archive keeping chapter folders, with a non-ASCII folder name.
    pages.push(PageFile::new(
        image(dir.path(), "src/d.jpg", 20, 20, Format::Jpeg, 4),
        "第2話/00001.jpg",
    ));
    let out = dir.path().join("out").join("[JM438516]a.zip");
    let done = write_zip(&pages, &out, &ZipOptions::default()).unwrap();
    assert!(!done.reused);
    assert_eq!(done.pages, 4);
    assert_eq!(done.bytes, fs::metadata(&out).unwrap().len());

    let zip = python_zip(&out);
    let names: Vec<&str> = zip.entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        ["0001.jpg", "0002.png", "0003.webp", "第2話/00001.jpg"]
    );
    for (entry, page) in zip.entries.iter().zip(&pages) {
        assert_eq!(entry.compress_type, 0, "{} must be stored", entry.name);
        assert_eq!(entry.data, fs::read(&page.path).unwrap(), "{}", entry.name);
        assert_eq!(entry.date_time, dos_time(&page.path), "{}", entry.name);
    }
    assert!(
        zip.comment.starts_with("jmcomic-source:"),
        "{}",
        zip.comment
    );
    verify_zip(&out, &pages, None).unwrap();
    assert_eq!(listing(out.parent().unwrap()), ["[JM438516]a.zip"]);
}

#[test]
fn zip_deflated_keeps_the_callers_comment_before_the_fingerprint() {
    let dir = tempfile::tempdir().unwrap();
    let pages = three_pages(dir.path());
    let out = dir.path().join("a.zip");
    let options = ZipOptions::new()
        .with_compression(ZipCompression::Deflated)
        .with_comment("password: x/Y+z=");
    write_zip(&pages, &out, &options).unwrap();
    let zip = python_zip(&out);
    assert_eq!(zip.entries.len(), 3);
    for (entry, page) in zip.entries.iter().zip(&pages) {
        assert_eq!(entry.compress_type, 8, "{} must be deflated", entry.name);
        assert_eq!(entry.data, fs::read(&page.path).unwrap());
    }
    let (caller, marker) = zip.comment.split_once('\n').unwrap();
    assert_eq!(caller, "password: x/Y+z=");
    assert!(marker.starts_with("jmcomic-source:") && marker.len() == 15 + 32);
}

#[test]
fn aes_zip_opens_in_7z_with_the_password_only() {
    let dir = tempfile::tempdir().unwrap();
    let pages = three_pages(dir.path());
    for (strength, method) in [
        (AesStrength::Aes128, "AES-128"),
        (AesStrength::Aes256, "AES-256"),
    ] {
        let out = dir.path().join(format!("{method}.zip"));
        let options = ZipOptions::new()
            .with_encryption(ZipEncryption::aes("s3cret pass", strength))
            .with_comment("s3cret pass");
        assert!(!format!("{options:?}").contains("s3cret"));
        write_zip(&pages, &out, &options).unwrap();
        let archive = out.to_str().unwrap();

        let listed = seven_zip(&["l", "-slt", "-ps3cret pass", archive]);
        assert!(listed.status.success(), "{}", stdout(&listed));
        let text = stdout(&listed);
        assert_eq!(
            text.matches(&format!("Method = {method} Store")).count(),
            3,
            "{text}"
        );
        assert_eq!(text.matches("Encrypted = +").count(), 3, "{text}");

        let x = dir.path().join(format!("x-{method}"));
        let ok = seven_zip(&["x", "-ps3cret pass", &format!("-o{}", x.display()), archive]);
        assert!(ok.status.success(), "{}", stdout(&ok));
        for page in &pages {
            assert_eq!(
                fs::read(x.join(&page.name)).unwrap(),
                fs::read(&page.path).unwrap()
            );
        }

        let wrong = dir.path().join(format!("wrong-{method}"));
        let bad = seven_zip(&["x", "-pnot it", &format!("-o{}", wrong.display()), archive]);
        assert!(!bad.status.success(), "a wrong password must fail");
        let said = String::from_utf8_lossy(&bad.stderr);
        assert!(said.contains("Wrong password"), "{said}");

        verify_zip(&out, &pages, Some("s3cret pass")).unwrap();
        assert!(matches!(
            verify_zip(&out, &pages, Some("not it")),
            Err(Error::Verify { .. })
        ));
        assert!(matches!(
            verify_zip(&out, &pages, None),
            Err(Error::Verify { .. })
        ));
    }
    assert!(matches!(
        write_zip(
            &pages,
            &dir.path().join("empty.zip"),
            &ZipOptions::new().with_encryption(ZipEncryption::aes("", AesStrength::Aes128))
        ),
        Err(Error::Unsupported { .. })
    ));
}

// ---------------------------------------------------------------------------------------
// CBZ

#[test]
fn cbz_has_stored_pages_and_a_comicinfo_servers_read() {
    let dir = tempfile::tempdir().unwrap();
    let pages = three_pages(dir.path());
    let hostile = "A <b> & \"c\" 'd' \u{1}\u{8}\u{1b}tab\there (x)\u{fffe}";
    let album = album(hostile, 3);
    let chapter = &album.chapters()[1];
    let meta = ExportMeta::chapter(&album, chapter);
    let pictures = PagePicture::probe_all(&pages).unwrap();
    let info = ComicInfo::from_meta(&meta, &pictures)
        .with_web("https://18comic.vip/album/438516")
        .with_language("zh");
    let out = dir.path().join("s").join("x c002.cbz");
    let done = write_cbz(&pages, &out, &info).unwrap();
    assert!(!done.reused);

    let zip = python_zip(&out);
    let names: Vec<&str> = zip.entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        ["ComicInfo.xml", "0001.jpg", "0002.png", "0003.webp"]
    );
    for (entry, page) in zip.entries[1..].iter().zip(&pages) {
        assert_eq!(entry.compress_type, 0, "{} must be stored", entry.name);
        assert_eq!(entry.data, fs::read(&page.path).unwrap());
    }
    verify_zip(&out, &pages, None).unwrap();

    let xml = String::from_utf8(zip.entries[0].data.clone()).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "ComicInfo");
    let field = |name: &str| -> Option<String> {
        root.children()
            .find(|n| n.has_tag_name(name))
            .map(|n| n.text().unwrap_or("").to_owned())
    };
    let clean_title = "A <b> & \"c\" 'd' tab\there (x)";
    assert_eq!(field("Title").unwrap(), format!("{clean_title} - 第2話"));
    assert_eq!(field("Series").unwrap(), clean_title);
    assert_eq!(field("Number").unwrap(), "2");
    assert_eq!(field("Count").unwrap(), "3");
    assert_eq!(
        field("Summary").unwrap(),
        "A <b>bold</b> & \"quoted\" summary."
    );
    assert_eq!(
        field("Notes").unwrap(),
        "JMComic album 438516, chapter 438517"
    );
    assert_eq!(field("Year").unwrap(), "2023");
    assert_eq!(field("Month").unwrap(), "7");
    assert_eq!(field("Day").unwrap(), "9");
    // The comma inside an author's name must not split it in two.
    assert_eq!(field("Writer").unwrap(), "作者A, Author\u{ff0c} B");
    assert_eq!(field("Genre").unwrap(), "全彩, 長篇");
    assert_eq!(field("Tags").unwrap(), "全彩, 長篇");
    assert_eq!(field("Characters").unwrap(), "芙宁娜");
    assert_eq!(field("SeriesGroup").unwrap(), "原神");
    assert_eq!(field("Web").unwrap(), "https://18comic.vip/album/438516");
    assert_eq!(field("LanguageISO").unwrap(), "zh");
    assert_eq!(field("PageCount").unwrap(), "3");
    assert_eq!(field("Manga").unwrap(), "Unknown");
    assert_eq!(field("AgeRating").unwrap(), "Adults Only 18+");
    assert_eq!(field("Translator"), None, "empty fields are left out");

    let page_nodes: Vec<_> = root
        .children()
        .find(|n| n.has_tag_name("Pages"))
        .unwrap()
        .children()
        .filter(|n| n.has_tag_name("Page"))
        .collect();
    assert_eq!(page_nodes.len(), 3);
    let sizes = [(40, 60), (50, 30), (64, 48)];
    for (i, (node, page)) in page_nodes.iter().zip(&pages).enumerate() {
        assert_eq!(node.attribute("Image").unwrap(), i.to_string());
        assert_eq!(
            node.attribute("Type"),
            (i == 0).then_some("FrontCover"),
            "only the first page is the cover"
        );
        assert_eq!(
            node.attribute("ImageWidth").unwrap(),
            sizes[i].0.to_string()
        );
        assert_eq!(
            node.attribute("ImageHeight").unwrap(),
            sizes[i].1.to_string()
        );
        assert_eq!(
            node.attribute("ImageSize").unwrap(),
            fs::metadata(&page.path).unwrap().len().to_string()
        );
    }

    // Elements come in the schema's sequence order.
    let order: Vec<&str> = root
        .children()
        .filter(roxmltree::Node::is_element)
        .map(|n| n.tag_name().name())
        .collect();
    assert_eq!(
        order,
        [
            "Title",
            "Series",
            "Number",
            "Count",
            "Summary",
            "Notes",
            "Year",
            "Month",
            "Day",
            "Writer",
            "Genre",
            "Tags",
            "Web",
            "PageCount",
            "LanguageISO",
            "Manga",
            "Characters",
            "SeriesGroup",
            "AgeRating",
            "Pages"
        ]
    );
}

#[test]
fn whole_album_cbz_is_book_one_of_one() {
    let dir = tempfile::tempdir().unwrap();
    let pages = three_pages(dir.path());
    let album = album("Plain", 4);
    let info = ComicInfo::from_meta(&ExportMeta::album(&album), &[]).with_manga(Manga::No);
    let out = dir.path().join("Plain c001.cbz");
    write_cbz(&pages, &out, &info).unwrap();
    let zip = python_zip(&out);
    let xml = String::from_utf8(zip.entries[0].data.clone()).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let text = |name: &str| {
        doc.descendants()
            .find(|n| n.has_tag_name(name))
            .and_then(|n| n.text())
            .map(str::to_owned)
    };
    assert_eq!(text("Title").as_deref(), Some("Plain"));
    assert_eq!(text("Number").as_deref(), Some("1"));
    assert_eq!(text("Count").as_deref(), Some("1"));
    assert_eq!(text("Notes").as_deref(), Some("JMComic album 438516"));
    assert_eq!(text("Manga").as_deref(), Some("No"));
    // PageCount is the archive's, even when no page sizes were given.
    assert_eq!(text("PageCount").as_deref(), Some("3"));
    assert!(doc.descendants().all(|n| !n.has_tag_name("Pages")));

    let mismatch = ComicInfo::from_meta(
        &ExportMeta::album(&album),
        &PagePicture::probe_all(&pages[..2]).unwrap(),
    );
    assert!(matches!(
        write_cbz(&pages, &dir.path().join("bad.cbz"), &mismatch),
        Err(Error::Unsupported { .. })
    ));
}

// ---------------------------------------------------------------------------------------
// 7z

#[test]
fn seven_zip_with_password_hides_names_and_extracts_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let pages = three_pages(dir.path());
    let out = dir.path().join("a.7z");
    let options = SevenZipOptions::new().with_password("pa55 word");
    assert!(!format!("{options:?}").contains("pa55"));
    let done = write_7z(&pages, &out, &options).unwrap();
    assert!(!done.reused);
    assert_eq!(done.bytes, fs::metadata(&out).unwrap().len());
    let archive = out.to_str().unwrap();

    // Without the password (stdin closed, so 7z cannot ask): no listing, no names.
    let blind = seven_zip(&["l", archive]);
    assert!(!blind.status.success(), "{}", stdout(&blind));
    for page in &pages {
        assert!(!stdout(&blind).contains(&page.name));
    }
    let raw = fs::read(&out).unwrap();
    assert!(
        !raw.windows(8).any(|w| w == b"0\x000\x000\x001\x00"),
        "names in clear"
    );

    let listed = seven_zip(&["l", "-slt", "-ppa55 word", archive]);
    assert!(listed.status.success(), "{}", stdout(&listed));
    let entries = slt_entries(&stdout(&listed));
    let names: Vec<&str> = entries.iter().map(|e| e["Path"].as_str()).collect();
    assert_eq!(names, ["0001.jpg", "0002.png", "0003.webp"]);
    for entry in &entries {
        assert_eq!(entry["Method"], "Copy 7zAES:19", "{entry:?}");
        assert_eq!(entry["Encrypted"], "+");
    }

    let x = dir.path().join("x");
    let ok = seven_zip(&["x", "-ppa55 word", &format!("-o{}", x.display()), archive]);
    assert!(ok.status.success(), "{}", stdout(&ok));
    for page in &pages {
        assert_eq!(
            fs::read(x.join(&page.name)).unwrap(),
            fs::read(&page.path).unwrap()
        );
    }
    let bad = seven_zip(&["t", "-pnope", archive]);
    assert!(!bad.status.success(), "a wrong password must fail");

    verify_7z(&out, &pages, Some("pa55 word")).unwrap();
    assert!(matches!(
        verify_7z(&out, &pages, None),
        Err(Error::Verify { .. })
    ));
    assert!(matches!(
        verify_7z(&out, &pages, Some("nope")),
        Err(Error::Verify { .. })
    ));
}

#[test]
fn seven_zip_without_password_or_header_encryption() {
    let dir = tempfile::tempdir().unwrap();
    let pages = three_pages(dir.path());

    let plain = dir.path().join("plain.7z");
    write_7z(&pages, &plain, &SevenZipOptions::new()).unwrap();
    let listed = seven_zip(&["l", "-slt", plain.to_str().unwrap()]);
    assert!(listed.status.success(), "{}", stdout(&listed));
    let entries = slt_entries(&stdout(&listed));
    assert_eq!(entries.len(), 3, "{}", stdout(&listed));
    for (entry, page) in entries.iter().zip(&pages) {
        assert_eq!(entry["Path"], page.name);
        assert_eq!(entry["Method"], "Copy");
        assert_eq!(
            entry["Size"],
            fs::metadata(&page.path).unwrap().len().to_string()
        );
    }
    let tested = seven_zip(&["t", plain.to_str().unwrap()]);
    assert!(tested.status.success(), "{}", stdout(&tested));
    verify_7z(&plain, &pages, None).unwrap();

    // Entries encrypted, names visible.
    let open = dir.path().join("open.7z");
    let options = SevenZipOptions::new()
        .with_password("pw")
        .with_encrypt_header(false);
    write_7z(&pages, &open, &options).unwrap();
    let listed = seven_zip(&["l", "-slt", open.to_str().unwrap()]);
    assert!(listed.status.success(), "{}", stdout(&listed));
    assert!(stdout(&listed).contains("Path = 0002.png"));
    let x = dir.path().join("x");
    let blind = seven_zip(&["x", &format!("-o{}", x.display()), open.to_str().unwrap()]);
    assert!(!blind.status.success(), "extracting needs the password");
    verify_7z(&open, &pages, Some("pw")).unwrap();
}

// ---------------------------------------------------------------------------------------
// Re-runs, failures, verification

#[test]
fn rerun_reuses_and_a_changed_page_or_setting_rewrites() {
    let dir = tempfile::tempdir().unwrap();
    let pages = three_pages(dir.path());
    let zip = dir.path().join("a.zip");
    let cbz = dir.path().join("a.cbz");
    let sz = dir.path().join("a.7z");
    let info = ComicInfo::new("T", "S");
    let zip_options =
        ZipOptions::new().with_encryption(ZipEncryption::aes("p", AesStrength::Aes128));
    let sz_options = SevenZipOptions::new().with_password("p");
    let write_all = || {
        [
            write_zip(&pages, &zip, &zip_options).unwrap(),
            write_cbz(&pages, &cbz, &info).unwrap(),
            write_7z(&pages, &sz, &sz_options).unwrap(),
        ]
    };
    let first = write_all();
    assert!(first.iter().all(|e| !e.reused));
    let snapshot = |p: &Path| {
        (
            fs::read(p).unwrap(),
            fs::metadata(p).unwrap().modified().unwrap(),
        )
    };
    let before: Vec<_> = [&zip, &cbz, &sz].map(|p| snapshot(p)).into();
    assert!(seven_zip_sidecar_path(&sz).exists());

    let second = write_all();
    for (done, first) in second.iter().zip(&first) {
        assert!(done.reused, "{} was rewritten", done.path.display());
        assert_eq!(done.bytes, first.bytes);
    }
    let after: Vec<_> = [&zip, &cbz, &sz].map(|p| snapshot(p)).into();
    assert!(before == after, "a reused export was touched");

    // Another setting: rewritten.
    let other = ZipOptions::new().with_encryption(ZipEncryption::aes("q", AesStrength::Aes128));
    assert!(!write_zip(&pages, &zip, &other).unwrap().reused);
    verify_zip(&zip, &pages, Some("q")).unwrap();
    let other = ComicInfo::new("T2", "S");
    assert!(!write_cbz(&pages, &cbz, &other).unwrap().reused);

    // A page re-downloaded: every export is written again, with the new page.
    fs::write(
        &pages[1].path,
        fs::read(image(dir.path(), "src/new.png", 10, 10, Format::Png, 9)).unwrap(),
    )
    .unwrap();
    let third = write_all();
    assert!(third.iter().all(|e| !e.reused));
    verify_zip(&zip, &pages, Some("p")).unwrap();
    verify_zip(&cbz, &pages, None).unwrap();
    verify_7z(&sz, &pages, Some("p")).unwrap();

    // A 7z replaced behind our back no longer matches its sidecar.
    let fp_check = write_7z(&pages, &sz, &sz_options).unwrap();
    assert!(fp_check.reused);
    fs::copy(dir.path().join("a.zip"), &sz).unwrap();
    assert!(!write_7z(&pages, &sz, &sz_options).unwrap().reused);
    verify_7z(&sz, &pages, Some("p")).unwrap();
    let names = listing(dir.path());
    assert_eq!(names, [".a.7z.jmsource", "a.7z", "a.cbz", "a.zip", "src"]);
}

#[test]
fn sidecar_is_needed_for_a_7z_to_count_as_up_to_date() {
    let dir = tempfile::tempdir().unwrap();
    let pages = three_pages(dir.path());
    let out = dir.path().join("a.7z");
    write_7z(&pages, &out, &SevenZipOptions::new()).unwrap();
    fs::remove_file(seven_zip_sidecar_path(&out)).unwrap();
    let again = write_7z(&pages, &out, &SevenZipOptions::new()).unwrap();
    assert!(!again.reused);
    assert!(seven_zip_sidecar_path(&out).exists());
    // The sidecar alone, without its archive, vouches for nothing.
    fs::remove_file(&out).unwrap();
    let fp = jmcomic_export::Fingerprint::of(&pages, "anything").unwrap();
    assert!(!seven_zip_is_up_to_date(&out, &fp));
    assert!(
        !write_7z(&pages, &out, &SevenZipOptions::new())
            .unwrap()
            .reused
    );
}

#[test]
fn failures_leave_no_file_behind() {
    let dir = tempfile::tempdir().unwrap();
    let pages = three_pages(dir.path());
    let out_dir = dir.path().join("out");
    fs::create_dir(&out_dir).unwrap();
    let zip = out_dir.join("a.zip");
    let cbz = out_dir.join("a.cbz");
    let sz = out_dir.join("a.7z");
    let info = ComicInfo::new("T", "S");

    // No pages.
    assert!(matches!(
        write_zip(&[], &zip, &ZipOptions::new()),
        Err(Error::NoPages { .. })
    ));
    assert!(matches!(
        write_cbz(&[], &cbz, &info),
        Err(Error::NoPages { .. })
    ));
    assert!(matches!(
        write_7z(&[], &sz, &SevenZipOptions::new()),
        Err(Error::NoPages { .. })
    ));
    assert!(listing(&out_dir).is_empty());

    // A missing page.
    let mut missing = pages.clone();
    missing[1] = PageFile::new(dir.path().join("gone.png"), "0002.png");
    let named = |r: Result<_, Error>| match r {
        Err(e @ Error::Io { .. }) => {
            assert_eq!(e.path(), dir.path().join("gone.png"));
        }
        other => panic!("expected an I/O error naming the page, got {other:?}"),
    };
    named(write_zip(&missing, &zip, &ZipOptions::new()));
    named(write_cbz(&missing, &cbz, &info));
    named(write_7z(
        &missing,
        &sz,
        &SevenZipOptions::new().with_password("p"),
    ));
    assert!(listing(&out_dir).is_empty());

    // A page that opens but cannot be read (a directory), after earlier pages were
    // written: the previous export stays as it was, no temporary file is left.
    write_zip(&pages, &zip, &ZipOptions::new()).unwrap();
    write_7z(&pages, &sz, &SevenZipOptions::new()).unwrap();
    let old_zip = fs::read(&zip).unwrap();
    let old_7z = fs::read(&sz).unwrap();
    let unreadable = dir.path().join("src").join("folder.jpg");
    fs::create_dir(&unreadable).unwrap();
    let mut broken = pages.clone();
    broken.push(PageFile::new(&unreadable, "0004.jpg"));
    let read_error = |r: Result<_, Error>| match r {
        Err(e @ Error::Io { action: "read", .. }) => assert_eq!(e.path(), unreadable),
        other => panic!("expected a read error naming the page, got {other:?}"),
    };
    read_error(write_zip(&broken, &zip, &ZipOptions::new()));
    read_error(write_cbz(&broken, &cbz, &info));
    read_error(write_7z(&broken, &sz, &SevenZipOptions::new()));
    read_error(write_7z(
        &broken,
        &sz,
        &SevenZipOptions::new().with_password("p"),
    ));
    assert_eq!(fs::read(&zip).unwrap(), old_zip);
    assert_eq!(fs::read(&sz).unwrap(), old_7z);
    assert_eq!(listing(&out_dir), [".a.7z.jmsource", "a.7z", "a.zip"]);

    // Two pages with one entry name.
    let mut twice = pages.clone();
    twice[2].name = twice[0].name.clone();
    assert!(matches!(
        write_zip(&twice, &out_dir.join("b.zip"), &ZipOptions::new()),
        Err(Error::Unsupported { .. })
    ));
    assert_eq!(listing(&out_dir), [".a.7z.jmsource", "a.7z", "a.zip"]);
}

#[test]
fn verification_catches_a_flipped_byte() {
    let dir = tempfile::tempdir().unwrap();
    let pages = three_pages(dir.path());
    let page = fs::read(&pages[1].path).unwrap();
    let needle = &page[page.len() / 4..page.len() * 3 / 4];

    let zip = dir.path().join("a.zip");
    write_zip(&pages, &zip, &ZipOptions::new()).unwrap();
    verify_zip(&zip, &pages, None).unwrap();
    corrupt_inside(&zip, needle);
    let err = verify_zip(&zip, &pages, None).unwrap_err();
    assert!(matches!(err, Error::Verify { .. }), "{err}");
    assert!(err.to_string().contains("0002.png"), "{err}");

    let cbz = dir.path().join("a.cbz");
    write_cbz(&pages, &cbz, &ComicInfo::new("T", "S")).unwrap();
    corrupt_inside(&cbz, needle);
    assert!(matches!(
        verify_zip(&cbz, &pages, None),
        Err(Error::Verify { .. })
    ));

    let sz = dir.path().join("a.7z");
    write_7z(&pages, &sz, &SevenZipOptions::new()).unwrap();
    verify_7z(&sz, &pages, None).unwrap();
    corrupt_inside(&sz, needle);
    let err = verify_7z(&sz, &pages, None).unwrap_err();
    assert!(matches!(err, Error::Verify { .. }), "{err}");

    // Encrypted: flip a byte in the middle of the archive, inside the page data.
    let aes = dir.path().join("aes.7z");
    write_7z(&pages, &aes, &SevenZipOptions::new().with_password("p")).unwrap();
    let mut bytes = fs::read(&aes).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    fs::write(&aes, bytes).unwrap();
    assert!(matches!(
        verify_7z(&aes, &pages, Some("p")),
        Err(Error::Verify { .. })
    ));

    let aes_zip = dir.path().join("aes.zip");
    let options = ZipOptions::new().with_encryption(ZipEncryption::aes("p", AesStrength::Aes256));
    write_zip(&pages, &aes_zip, &options).unwrap();
    let mut bytes = fs::read(&aes_zip).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    fs::write(&aes_zip, bytes).unwrap();
    assert!(matches!(
        verify_zip(&aes_zip, &pages, Some("p")),
        Err(Error::Verify { .. })
    ));

    // A page changed after the archive was written no longer matches.
    let fresh = dir.path().join("fresh.zip");
    write_zip(&pages, &fresh, &ZipOptions::new()).unwrap();
    fs::write(&pages[0].path, b"not the archived page").unwrap();
    assert!(matches!(
        verify_zip(&fresh, &pages, None),
        Err(Error::Verify { .. })
    ));
}
