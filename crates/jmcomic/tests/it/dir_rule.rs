//! The directory mini-language (spec §3.5) and safe names (§8.4, W12, W21).

use std::path::{Component, Path, PathBuf};

use jmcomic::dir_rule::{DirRule, DirRuleError, ZhTarget};
use jmcomic::naming::MAX_COMPONENT_BYTES;
use jmcomic_model::{Album, Chapter, Episode, JmId};

fn album_named(title: &str, chapter_title: &str) -> Album {
    let id = JmId::new(123);
    Album {
        id,
        name: title.to_owned(),
        authors: vec!["auth".into(), "other".into()],
        tags: vec!["tag1".into(), "tag2".into()],
        works: vec![],
        actors: vec![],
        description: String::new(),
        page_count: Some(42),
        pub_date: Some("2024-01-02".into()),
        update_date: None,
        likes: "1K".into(),
        views: "40K".into(),
        comment_count: 7,
        episodes: Album::normalize_episodes(
            id,
            title,
            vec![
                Episode {
                    chapter_id: JmId::new(456),
                    sort: 1,
                    title: chapter_title.to_owned(),
                },
                Episode {
                    chapter_id: JmId::new(457),
                    sort: 2,
                    title: "ep-b".into(),
                },
            ],
        ),
        related: vec![],
        liked: false,
        is_favorite: true,
    }
}

/// Album 123 by `auth`, chapter index 1 named `ep-a` (the spec's example).
fn sample() -> (Album, Chapter) {
    let album = album_named("title", "ep-a");
    let chapter = album.chapters().remove(0);
    (album, chapter)
}

fn base() -> PathBuf {
    PathBuf::from("/base/dir")
}

fn rule(text: &str) -> DirRule {
    DirRule::parse(text, base(), None).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn chapter_dir(text: &str) -> PathBuf {
    let (album, chapter) = sample();
    rule(text).chapter_dir(&album, &chapter).expect("renders")
}

#[test]
fn spec_examples() {
    assert_eq!(
        chapter_dir("Bd_Aid_Pindextitle"),
        base().join("123/第1話 ep-a")
    );
    assert_eq!(
        chapter_dir("Bd / {Aauthor}-{Aid} / 第{Pindex}話:{Pname}"),
        base().join("auth-123/第1話_ep-a")
    );
    assert_eq!(chapter_dir("Bd_Pname"), base().join("ep-a"));
    assert_eq!(chapter_dir("Bd / Ptitle"), base().join("ep-a"));
    // `Bd` is inserted when missing; `/` wins over `_`.
    assert_eq!(chapter_dir("Aid / Pname"), base().join("123/ep-a"));
    assert_eq!(chapter_dir("Bd / {Aid}_{Pname}"), base().join("123_ep-a"));
    assert_eq!(chapter_dir("Pname"), base().join("ep-a"));
    // Literal elements, empty elements dropped.
    assert_eq!(chapter_dir("Bd // zip / Aid /"), base().join("zip/123"));
    assert_eq!(chapter_dir("Bd"), base());
}

#[test]
fn every_field_renders() {
    let (album, chapter) = sample();
    let cases = [
        ("Aid", "123"),
        ("Aalbum_id", "123"),
        ("Aname", "title"),
        ("Atitle", "title"),
        ("Aoname", "title"),
        ("Aauthor", "auth"),
        ("Aauthoroname", "【auth】title"),
        ("Aidoname", "[123] title"),
        ("Adescription", "_"),
        ("Apage_count", "42"),
        ("Apub_date", "2024-01-02"),
        ("Aupdate_date", "_"),
        ("Alikes", "1K"),
        ("Aviews", "40K"),
        ("Acomment_count", "7"),
        ("Aauthors", "['auth', 'other']"),
        ("Atags", "['tag1', 'tag2']"),
        ("Aworks", "[]"),
        ("Aactors", "[]"),
        ("Aliked", "False"),
        ("Ais_favorite", "True"),
        ("Pid", "456"),
        ("Pphoto_id", "456"),
        ("Pname", "ep-a"),
        ("Ptitle", "ep-a"),
        ("Poname", "ep-a"),
        ("Pauthor", "auth"),
        ("Pauthoroname", "【auth】ep-a"),
        ("Pidoname", "[456] ep-a"),
        ("Psort", "1"),
        ("Pindex", "1"),
        ("Palbum_index", "1"),
        ("Pindextitle", "第1話 ep-a"),
        ("Palbum_id", "123"),
        ("Ptags", "['tag1', 'tag2']"),
        ("Pis_single_album", "False"),
        ("Pscramble_id", "_"),
    ];
    for (field, want) in cases {
        let name = DirRule::apply_to_name(field, &album, Some(&chapter)).expect(field);
        assert_eq!(name, want, "{field}");
        let braced =
            DirRule::apply_to_name(&format!("{{{field}}}"), &album, Some(&chapter)).expect(field);
        assert_eq!(braced, want, "{{{field}}}");
    }
}

#[test]
fn format_specs_like_python() {
    let (album, chapter) = sample();
    let name = |t: &str| DirRule::apply_to_name(t, &album, Some(&chapter)).expect(t);
    assert_eq!(name("{Pindex:03}"), "001");
    assert_eq!(name("{Pindex:_>4}"), "___1");
    // Names are trimmed afterwards, as in Python (`fix_windir_name(...).strip()`).
    assert_eq!(name("{Pindex:>4}"), "1");
    assert_eq!(name("{Pindex:+}"), "+1");
    assert_eq!(name("{Acomment_count:x<3}"), "7xx");
    assert_eq!(name("x{Aid:>8}"), "x     123");
    assert_eq!(name("{Aid:-^9}"), "---123---");
    assert_eq!(
        name("{Aid:*^9}"),
        "___123___",
        "`*` is not allowed in names"
    );
    assert_eq!(name("{Atitle:.2}"), "ti");
    assert_eq!(name("{Atitle:.10}"), "title");
    assert_eq!(name("{Atitle:s}"), "title");
    assert_eq!(name("第{Pindex:02d}話"), "第01話");
    assert_eq!(name("{{{Aid}}}"), "{123}");
    assert_eq!(name("[JM{Aid}]{Atitle}"), "[JM123]title");
    assert_eq!(name("{Atags[1]}"), "tag2");
    assert_eq!(name("{Atitle!r}"), "'title'");
    assert_eq!(name("{Pis_single_album}"), "False");
    assert_eq!(name("{Pis_single_album:d}"), "0");
    assert_eq!(name("{Apage_count:,}"), "42");

    let e = DirRule::apply_to_name("{Atags[5]}", &album, None).expect_err("out of range");
    assert!(
        matches!(
            e,
            DirRuleError::IndexOutOfRange {
                index: 5,
                len: 2,
                ..
            }
        ),
        "{e}"
    );
    for bad in [
        "{Pindex:.2}",
        "{Atitle:d}",
        "{Atags:>5}",
        "{Aid:+}",
        "{Aid",
        "a}b",
        "{}",
    ] {
        let e = DirRule::parse(&format!("Bd / {bad}"), base(), None).expect_err(bad);
        assert!(matches!(e, DirRuleError::Format { .. }), "{bad}: {e}");
    }
}

#[test]
fn album_dir_counts_leading_elements_without_chapter_fields() {
    let (album, _) = sample();
    let album_dir = |t: &str| rule(t).album_dir(&album).expect(t);
    // f-string elements count (the Python package drops them, W12).
    assert_eq!(
        album_dir("Bd / {Aid}-{Atitle} / Pname"),
        base().join("123-title")
    );
    assert_eq!(
        album_dir("Bd / zip / {Aid} / {Pindex:03}"),
        base().join("zip/123")
    );
    assert_eq!(
        album_dir("Bd_Aauthor_Aid_Pindextitle"),
        base().join("auth/123")
    );
    assert_eq!(album_dir("Bd_Pname"), base());
    assert_eq!(album_dir("Bd / Pname / Aid"), base());
    assert_eq!(album_dir("Bd / {Aid}-{Pname}"), base());
    // Every chapter dir lies inside the album dir.
    for text in [
        "Bd / {Aid}-{Atitle} / Pname",
        "Bd_Aauthor_Aid_Pindextitle",
        "Bd / Pname / Aid",
    ] {
        let r = rule(text);
        let root = r.album_dir(&album).expect("album dir");
        for chapter in album.chapters() {
            assert!(
                r.chapter_dir(&album, &chapter)
                    .expect("dir")
                    .starts_with(&root),
                "{text}"
            );
        }
    }
}

#[test]
fn apply_to_name_for_exporters() {
    let (album, chapter) = sample();
    assert_eq!(
        DirRule::apply_to_name("[JM{Aid}]{Atitle}", &album, None).expect("album"),
        "[JM123]title"
    );
    assert_eq!(
        DirRule::apply_to_name("Pid", &album, Some(&chapter)).expect("pid"),
        "456"
    );
    assert_eq!(
        DirRule::apply_to_name(" Atitle ", &album, None).expect("trim"),
        "title"
    );
    // Not split: one name; separators become `_`.
    assert_eq!(
        DirRule::apply_to_name("{Aid}/{Atitle}_x", &album, None).expect("one"),
        "123_title_x"
    );
    for needs_chapter in ["Pid", "[JM{Pid}]{Ptitle}"] {
        let e = DirRule::apply_to_name(needs_chapter, &album, None).expect_err(needs_chapter);
        assert!(matches!(e, DirRuleError::NeedsChapter { .. }), "{e}");
        assert!(e.to_string().contains("no chapter"), "{e}");
    }
    assert_eq!(
        DirRule::apply_to_name("Bd", &album, None),
        Err(DirRuleError::BdAsName)
    );
    assert_eq!(
        DirRule::apply_to_name("  ", &album, None),
        Err(DirRuleError::Empty)
    );
}

#[test]
fn unknown_fields_are_reported_with_suggestions() {
    for (text, field, suggestion) in [
        ("Bd / {Atitel}", "Atitel", Some("Atitle")),
        ("Bd_Pnmae", "Pnmae", Some("Pname")),
        ("Bd / Photos", "Photos", None),
        ("Bd / {Xid}", "Xid", Some("Aid")),
    ] {
        let e = DirRule::parse(text, base(), None).expect_err(text);
        match &e {
            DirRuleError::UnknownField {
                field: f,
                suggestion: s,
                ..
            } => {
                assert_eq!(f, field, "{text}");
                assert_eq!(s.as_deref(), suggestion, "{text}");
            }
            other => panic!("{text}: {other:?}"),
        }
        let msg = e.to_string();
        assert!(msg.contains("valid fields: Aid, Aalbum_id"), "{msg}");
        assert!(msg.contains("Pindextitle"), "{msg}");
    }
    // `_` splitting cuts `Apage_count` apart, and the message says so.
    let e = DirRule::parse("Bd_Apage_count", base(), None).expect_err("split");
    assert!(e.to_string().contains("split on `_`"), "{e}");
    assert!(DirRule::parse("Bd / Apage_count", base(), None).is_ok());
}

#[test]
fn empty_rules_and_misplaced_bd() {
    for text in ["", "   ", "/", " / / ", "_", "_ _"] {
        assert_eq!(
            DirRule::parse(text, base(), None),
            Err(DirRuleError::Empty),
            "{text:?}"
        );
    }
    for text in ["Aid / Bd", "Bd / Aid / Bd", "Bd_Pname_Bd"] {
        let e = DirRule::parse(text, base(), None).expect_err(text);
        assert!(matches!(e, DirRuleError::BdNotFirst { .. }), "{text}: {e}");
    }
}

fn assert_inside(path: &Path, base: &Path, context: &str) {
    let rest = path.strip_prefix(base).unwrap_or_else(|_| {
        panic!(
            "{context}: {} is outside {}",
            path.display(),
            base.display()
        )
    });
    for c in rest.components() {
        match c {
            Component::Normal(s) => {
                let s = s.to_str().expect("utf-8");
                assert!(!s.is_empty() && s != "." && s != "..", "{context}: {s:?}");
                assert!(
                    s.len() <= MAX_COMPONENT_BYTES,
                    "{context}: {} bytes",
                    s.len()
                );
                assert!(!s.contains(['/', '\\', '\0']), "{context}: {s:?}");
                assert_eq!(s.trim(), s, "{context}: untrimmed {s:?}");
                assert!(!s.ends_with('.'), "{context}: trailing dot {s:?}");
            }
            other => panic!("{context}: component {other:?} in {}", path.display()),
        }
    }
}

#[test]
fn hostile_titles_stay_inside_base_dir() {
    let long_cjk = "長".repeat(1000);
    let emoji = "😀".repeat(300);
    let hostile = [
        "..",
        ".",
        "../../etc",
        "/",
        "\\",
        "/etc/passwd",
        "..\\..\\windows",
        "a\0b",
        "\n\t\r\u{1b}[31m",
        "CON",
        "con.txt",
        "....",
        " . . ",
        "",
        "   ",
        "C:\\evil",
        long_cjk.as_str(),
        emoji.as_str(),
    ];
    let rules = [
        "Bd_Atitle_Pname",
        "Bd / {Atitle} / {Pname}",
        "Bd / {Atitle}{Pname}{Atitle} / Pindextitle",
        "Bd / Aauthoroname / Pidoname",
    ];
    let base = base();
    for title in hostile {
        let album = album_named(title, title);
        for text in rules {
            let r = DirRule::parse(text, base.clone(), Some(ZhTarget::Cn)).expect(text);
            let context = format!(
                "{text} with {:?}",
                title.chars().take(20).collect::<String>()
            );
            assert_inside(&r.album_dir(&album).expect("album dir"), &base, &context);
            for chapter in album.chapters() {
                let dir = r.chapter_dir(&album, &chapter).expect("chapter dir");
                assert_inside(&dir, &base, &context);
                assert!(dir.components().count() > base.components().count());
            }
            let name = DirRule::apply_to_name(
                text.rsplit('/').next().unwrap_or(text),
                &album,
                album.chapters().first(),
            )
            .expect("name");
            assert!(!name.is_empty() && !name.contains('/') && name.len() <= MAX_COMPONENT_BYTES);
        }
    }
}

#[test]
fn byte_limits_respect_multibyte_characters() {
    let (album_cjk, album_emoji) = (
        album_named(&"長".repeat(1000), "x"),
        album_named(&"😀".repeat(300), "x"),
    );
    let r = rule("Bd / Atitle");
    let cjk = r.album_dir(&album_cjk).expect("cjk");
    let name = cjk.file_name().and_then(|n| n.to_str()).expect("utf-8");
    assert_eq!(name.len(), 198, "66 three-byte characters");
    assert!(name.chars().all(|c| c == '長'));
    let emoji = r.album_dir(&album_emoji).expect("emoji");
    let name = emoji.file_name().and_then(|n| n.to_str()).expect("utf-8");
    assert_eq!(name.len(), 200, "50 four-byte characters");
    // Mixed: never cut mid-character.
    let mixed = album_named(&format!("ab{}", "😀".repeat(100)), "x");
    let name = DirRule::apply_to_name("Atitle", &mixed, None).expect("mixed");
    assert_eq!(name.len(), 198);
}

#[test]
fn accessors_and_base_dir() {
    let r = DirRule::parse(
        "Bd / {Aid} / Pname",
        PathBuf::from("/x"),
        Some(ZhTarget::Tw),
    )
    .expect("ok");
    assert_eq!(r.rule(), "Bd / {Aid} / Pname");
    assert_eq!(r.base_dir(), Path::new("/x"));
    assert_eq!(r.normalize_zh(), Some(ZhTarget::Tw));
    assert_eq!(r.elements().collect::<Vec<_>>(), ["{Aid}", "Pname"]);
    let moved = r.with_base_dir(PathBuf::from("/y"));
    assert_eq!(moved.base_dir(), Path::new("/y"));
}

#[cfg(not(feature = "zhconv"))]
#[test]
fn zh_conversion_without_the_feature_leaves_names() {
    let album = album_named("繁體標題", "x");
    let r = DirRule::parse("Bd / Atitle", base(), Some(ZhTarget::Cn)).expect("ok");
    assert_eq!(r.album_dir(&album).expect("dir"), base().join("繁體標題"));
}

#[cfg(feature = "zhconv")]
#[test]
fn zh_conversion_with_the_feature() {
    let album = album_named("繁體標題", "x");
    let r = DirRule::parse("Bd / Atitle", base(), Some(ZhTarget::Cn)).expect("ok");
    assert_eq!(r.album_dir(&album).expect("dir"), base().join("繁体标题"));
}
