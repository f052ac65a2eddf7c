//! The Calibre OPF, parsed with roxmltree (not quick-xml, which wrote it), namespaces included.

use std::fs;
use std::path::Path;

use jmcomic_export::{DC_NAMESPACE, ExportKind, ExportMeta, OPF_NAMESPACE, OpfOptions, write_opf};
use jmcomic_image::{EncodeSettings, Format, RgbImage, encode};
use jmcomic_model::{Album, Chapter, Episode, JmId};

fn album(name: &str, authors: &[&str], tags: &[&str], description: &str) -> Album {
    let strings = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    Album {
        id: JmId::new(438_516),
        name: name.to_owned(),
        authors: strings(authors),
        tags: strings(tags),
        works: Vec::new(),
        actors: Vec::new(),
        description: description.to_owned(),
        page_count: None,
        pub_date: Some("2023-05-17".to_owned()),
        update_date: None,
        likes: String::new(),
        views: String::new(),
        comment_count: 0,
        episodes: vec![
            Episode {
                chapter_id: JmId::new(438_516),
                sort: 1,
                title: "第1話".to_owned(),
            },
            Episode {
                chapter_id: JmId::new(438_517),
                sort: 2,
                title: "第2話".to_owned(),
            },
        ],
        related: Vec::new(),
        liked: false,
        is_favorite: false,
    }
}

/// `(namespace, local name, attributes as (namespace, name, value), text)` of every element
/// under `<metadata>`, in document order.
type Element = (String, String, Vec<(String, String, String)>, String);

struct Parsed {
    metadata: Vec<Element>,
    /// `<manifest>` items' `(id, href, media-type)`.
    manifest: Option<Vec<(String, String, String)>>,
    /// `<guide>` references' `(type, href)`.
    guide: Option<Vec<(String, String)>>,
}

fn parse(path: &Path) -> Parsed {
    let text = fs::read_to_string(path).unwrap();
    assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"));
    let doc = roxmltree::Document::parse(&text).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().namespace(), Some(OPF_NAMESPACE));
    assert_eq!(root.tag_name().name(), "package");
    assert_eq!(root.attribute("version"), Some("2.0"));
    let unique = root.attribute("unique-identifier").unwrap();

    let children: Vec<_> = root
        .children()
        .filter(roxmltree::Node::is_element)
        .collect();
    let names: Vec<&str> = children.iter().map(|c| c.tag_name().name()).collect();
    assert!(
        names == ["metadata"] || names == ["metadata", "manifest", "guide"],
        "{names:?}"
    );
    for c in &children {
        assert_eq!(c.tag_name().namespace(), Some(OPF_NAMESPACE));
    }

    let metadata: Vec<Element> = children[0]
        .children()
        .filter(roxmltree::Node::is_element)
        .map(|e| {
            (
                e.tag_name().namespace().unwrap_or("").to_owned(),
                e.tag_name().name().to_owned(),
                e.attributes()
                    .map(|a| {
                        (
                            a.namespace().unwrap_or("").to_owned(),
                            a.name().to_owned(),
                            a.value().to_owned(),
                        )
                    })
                    .collect(),
                e.text().unwrap_or("").to_owned(),
            )
        })
        .collect();
    // The unique identifier is the JMCOMIC one.
    let unique_id = metadata
        .iter()
        .find(|e| e.2.iter().any(|a| a.1 == "id" && a.2 == unique))
        .unwrap();
    assert_eq!(unique_id.1, "identifier");

    let manifest = children.get(1).map(|m| {
        m.children()
            .filter(roxmltree::Node::is_element)
            .map(|i| {
                assert_eq!(i.tag_name().name(), "item");
                (
                    i.attribute("id").unwrap().to_owned(),
                    i.attribute("href").unwrap().to_owned(),
                    i.attribute("media-type").unwrap().to_owned(),
                )
            })
            .collect()
    });
    let guide = children.get(2).map(|g| {
        g.children()
            .filter(roxmltree::Node::is_element)
            .map(|r| {
                assert_eq!(r.tag_name().name(), "reference");
                (
                    r.attribute("type").unwrap().to_owned(),
                    r.attribute("href").unwrap().to_owned(),
                )
            })
            .collect()
    });
    Parsed {
        metadata,
        manifest,
        guide,
    }
}

fn dc(name: &str, text: &str) -> Element {
    (DC_NAMESPACE.into(), name.into(), Vec::new(), text.into())
}

fn creator(text: &str) -> Element {
    (
        DC_NAMESPACE.into(),
        "creator".into(),
        vec![(OPF_NAMESPACE.into(), "role".into(), "aut".into())],
        text.into(),
    )
}

fn jm_identifier(id: u64) -> Element {
    (
        DC_NAMESPACE.into(),
        "identifier".into(),
        vec![
            (OPF_NAMESPACE.into(), "scheme".into(), "JMCOMIC".into()),
            (String::new(), "id".into(), "jmcomic_id".into()),
        ],
        format!("jmcomic:{id}"),
    )
}

#[test]
fn every_element_of_an_album() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("metadata.opf");
    let meta = ExportMeta::album(&album(
        "The Title",
        &["Author A", "Author B"],
        &["tag1", "", "tag 2"],
        "A description.",
    ));
    let mut options = OpfOptions::default();
    options.fields = vec![
        ("language".into(), "zh".into()),
        ("Publisher".into(), "JM & Co".into()),
        ("series".into(), "nope".into()),
        ("rights".into(), "  ".into()),
    ];
    let (exported, warnings) = write_opf(&out, &meta, None, &options).unwrap();
    assert_eq!(exported.kind, ExportKind::Opf);
    assert_eq!(exported.path, out);
    assert_eq!(exported.bytes, fs::metadata(&out).unwrap().len());
    assert!(!exported.reused);
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].contains("`series`"), "{warnings:?}");
    assert!(warnings[1].contains("`rights`"), "{warnings:?}");

    let parsed = parse(&out);
    assert_eq!(
        parsed.metadata,
        vec![
            jm_identifier(438_516),
            dc("title", "The Title"),
            creator("Author A"),
            creator("Author B"),
            dc("subject", "tag1"),
            dc("subject", "tag 2"),
            dc("description", "A description."),
            dc("date", "2023-05-17"),
            dc("language", "zh"),
            dc("publisher", "JM & Co"),
        ]
    );
    assert!(parsed.manifest.is_none() && parsed.guide.is_none());
    // Only the OPF itself in the directory: no temporary file left.
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn defaults_when_the_album_is_bare() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("metadata.opf");
    let mut bare = album("Bare", &["", " "], &[], "  ");
    bare.pub_date = None;
    let (_, warnings) = write_opf(
        &out,
        &ExportMeta::album(&bare),
        None,
        &OpfOptions::default(),
    )
    .unwrap();
    assert!(warnings.is_empty());
    assert_eq!(
        parse(&out).metadata,
        vec![
            jm_identifier(438_516),
            dc("title", "Bare"),
            creator("default_author"),
        ]
    );

    let mut options = OpfOptions::default();
    options.default_author = "Unknown".into();
    write_opf(&out, &ExportMeta::album(&bare), None, &options).unwrap();
    assert_eq!(parse(&out).metadata[2], creator("Unknown"));
}

#[test]
fn a_chapter_export_is_titled_after_album_and_chapter() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("metadata.opf");
    let a = album("Album", &["X"], &[], "");
    let chapter = Chapter {
        id: JmId::new(438_517),
        album_id: a.id,
        name: "第2話".into(),
        sort: 2,
        tags: Vec::new(),
        pages: None,
        scramble_id: None,
    };
    write_opf(
        &out,
        &ExportMeta::chapter(&a, &chapter),
        None,
        &OpfOptions::default(),
    )
    .unwrap();
    let parsed = parse(&out);
    // The identifier stays the album's: the book maps back to the album on the site.
    assert_eq!(parsed.metadata[0], jm_identifier(438_516));
    assert_eq!(parsed.metadata[1], dc("title", "Album - 第2話"));
}

#[test]
fn hostile_text_is_escaped_and_control_characters_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("metadata.opf");
    let title = "<script>alert('x')</script> & \"q\" ]]> \u{0}\u{1b}\u{fffe}end";
    let description = "line 1\r\nline 2\n\t<b>&amp;</b>";
    let meta = ExportMeta::album(&album(title, &["A&B <c>"], &["</dc:subject>"], description));
    let mut options = OpfOptions::default();
    options.fields = vec![("source".into(), "https://x/?a=1&b=<2>".into())];
    write_opf(&out, &meta, None, &options).unwrap();
    let raw = fs::read_to_string(&out).unwrap();
    assert!(!raw.contains("<script>") && !raw.contains('\u{0}') && !raw.contains('\u{1b}'));
    assert_eq!(
        parse(&out).metadata,
        vec![
            jm_identifier(438_516),
            dc("title", "<script>alert('x')</script> & \"q\" ]]> end"),
            creator("A&B <c>"),
            dc("subject", "</dc:subject>"),
            dc("description", description),
            dc("date", "2023-05-17"),
            dc("source", "https://x/?a=1&b=<2>"),
        ]
    );
}

#[test]
fn fields_replace_what_the_album_fills_and_identifiers_add() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("metadata.opf");
    let meta = ExportMeta::album(&album("T", &["A"], &["t"], "d"));
    let mut options = OpfOptions::default();
    options.fields = vec![
        ("title".into(), "Custom".into()),
        ("subject".into(), "s1".into()),
        ("subject".into(), "s2".into()),
        ("identifier".into(), "isbn:123".into()),
    ];
    let (_, warnings) = write_opf(&out, &meta, None, &options).unwrap();
    assert!(warnings.is_empty());
    assert_eq!(
        parse(&out).metadata,
        vec![
            jm_identifier(438_516),
            dc("identifier", "isbn:123"),
            dc("title", "Custom"),
            creator("A"),
            dc("subject", "s1"),
            dc("subject", "s2"),
            dc("description", "d"),
            dc("date", "2023-05-17"),
        ]
    );
}

#[test]
fn the_cover_is_referenced_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("metadata.opf");
    let img = RgbImage::new(8, 8, vec![200; 8 * 8 * 3]).unwrap();
    let cover = dir.path().join("cover.jpg");
    fs::write(
        &cover,
        encode(&img, Format::Jpeg, &EncodeSettings::default()).unwrap(),
    )
    .unwrap();
    let meta = ExportMeta::album(&album("T", &["A"], &[], ""));
    let cover_meta: Element = (
        OPF_NAMESPACE.into(),
        "meta".into(),
        vec![
            (String::new(), "name".into(), "cover".into()),
            (String::new(), "content".into(), "cover".into()),
        ],
        String::new(),
    );

    let mut with_cover = OpfOptions::default();
    with_cover.include_cover = true;
    let (_, warnings) = write_opf(&out, &meta, Some(&cover), &with_cover).unwrap();
    assert!(warnings.is_empty());
    let parsed = parse(&out);
    assert_eq!(parsed.metadata.last(), Some(&cover_meta));
    assert_eq!(
        parsed.manifest,
        Some(vec![(
            "cover".to_owned(),
            "cover.jpg".to_owned(),
            "image/jpeg".to_owned()
        )])
    );
    assert_eq!(
        parsed.guide,
        Some(vec![("cover".to_owned(), "cover.jpg".to_owned())])
    );

    // The media type follows the contents, not the name.
    fs::write(
        &cover,
        encode(&img, Format::Png, &EncodeSettings::default()).unwrap(),
    )
    .unwrap();
    write_opf(&out, &meta, Some(&cover), &with_cover).unwrap();
    assert_eq!(parse(&out).manifest.unwrap()[0].2, "image/png");

    // Not asked: nothing about a cover, even with a file given.
    write_opf(&out, &meta, Some(&cover), &OpfOptions::default()).unwrap();
    let parsed = parse(&out);
    assert!(!parsed.metadata.contains(&cover_meta));
    assert!(parsed.manifest.is_none() && parsed.guide.is_none());

    // Asked without a file: a warning, no reference.
    let (_, warnings) = write_opf(&out, &meta, None, &with_cover).unwrap();
    assert_eq!(warnings.len(), 1);
    assert!(parse(&out).manifest.is_none());

    // A cover that is no image is an error, and the previous OPF stays.
    let before = fs::read(&out).unwrap();
    let junk = dir.path().join("cover.txt");
    fs::write(&junk, "not an image").unwrap();
    let err = write_opf(&out, &meta, Some(&junk), &with_cover).unwrap_err();
    assert!(err.to_string().contains("cover.txt"), "{err}");
    assert_eq!(fs::read(&out).unwrap(), before);
}
