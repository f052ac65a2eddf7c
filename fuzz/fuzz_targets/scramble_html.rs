//! Names and paths from untrusted text: the scramble id in a chapter template page, the
//! `dir_rule` mini-language, and `sanitize_component`. Never panics, and:
//!
//! * every name `sanitize_component` returns is non-empty, not `.`/`..`, has no `/`, `\` or
//!   NUL and is at most `MAX_COMPONENT_BYTES` bytes;
//! * every path a parsed rule renders lies under the base directory, one normal component per
//!   element, and a chapter's directory lies inside its album's directory;
//! * `apply_to_name` gives one safe name (joined to the base it names an entry directly in it).
//!
//! Input: the whole text is the HTML page; its lines are also read as
//! `rule \n album title \n chapter title \n author`.
#![no_main]

use std::path::{Component, Path, PathBuf};

use jmcomic::dir_rule::DirRule;
use jmcomic::naming::{MAX_COMPONENT_BYTES, sanitize_component};
use jmcomic_model::{Album, Chapter, Episode, JmId, ScrambleId, ScrambleSource};
use libfuzzer_sys::fuzz_target;

const BASE: &str = "/fuzz/base";

fn check_name(name: &str, from: &str) {
    assert!(!name.is_empty(), "empty name from {from:?}");
    assert!(name != "." && name != "..", "{name:?} from {from:?}");
    assert!(
        !name.contains(['/', '\\', '\0']),
        "separator or NUL in {name:?} from {from:?}"
    );
    assert!(
        name.len() <= MAX_COMPONENT_BYTES,
        "{} bytes > {MAX_COMPONENT_BYTES} in {name:?} from {from:?}",
        name.len()
    );
    let joined = Path::new(BASE).join(name);
    assert_eq!(
        joined.parent(),
        Some(Path::new(BASE)),
        "{name:?} from {from:?}"
    );
    let mut comps = Path::new(name).components();
    assert!(
        matches!(comps.next(), Some(Component::Normal(_))) && comps.next().is_none(),
        "{name:?} is not one normal component (from {from:?})"
    );
}

/// `path` is `BASE` followed by normal, safe components only.
fn check_under_base(path: &Path, rule: &str) {
    let rest = path
        .strip_prefix(BASE)
        .unwrap_or_else(|_| panic!("{path:?} is not under {BASE} (rule {rule:?})"));
    for c in rest.components() {
        match c {
            Component::Normal(n) => {
                let n = n.to_str().expect("names are UTF-8");
                check_name(n, rule);
            }
            other => panic!("component {other:?} in {path:?} (rule {rule:?})"),
        }
    }
}

fn album(id: u64, name: &str, chapter_title: &str, author: &str, two_chapters: bool) -> Album {
    let episodes = if two_chapters {
        vec![
            Episode {
                chapter_id: JmId::new(id + 1),
                sort: 2,
                title: chapter_title.to_owned(),
            },
            Episode {
                chapter_id: JmId::new(id),
                sort: 1,
                title: "第1話".to_owned(),
            },
        ]
    } else {
        vec![]
    };
    Album {
        id: JmId::new(id),
        name: name.to_owned(),
        authors: if author.is_empty() {
            vec![]
        } else {
            vec![author.to_owned(), "作者乙".to_owned()]
        },
        tags: vec!["中文".to_owned(), "全彩".to_owned(), name.to_owned()],
        works: vec!["原創".to_owned()],
        actors: vec![],
        description: chapter_title.to_owned(),
        page_count: Some(12),
        pub_date: Some("2024-01-01".to_owned()),
        update_date: None,
        likes: "1K".to_owned(),
        views: "12.3K".to_owned(),
        comment_count: 7,
        episodes: Album::normalize_episodes(JmId::new(id), chapter_title, episodes),
        related: vec![],
        liked: false,
        is_favorite: true,
    }
}

fn check_rule(rule: &str, album: &Album, chapters: &[Chapter]) {
    if let Ok(parsed) = DirRule::parse(rule, PathBuf::from(BASE), None) {
        let album_dir = parsed.album_dir(album);
        if let Ok(dir) = &album_dir {
            check_under_base(dir, rule);
        }
        for chapter in chapters {
            if let Ok(dir) = parsed.chapter_dir(album, chapter) {
                check_under_base(&dir, rule);
                if let Ok(a) = &album_dir {
                    assert!(
                        dir.starts_with(a),
                        "chapter dir {dir:?} not inside album dir {a:?} (rule {rule:?})"
                    );
                }
            }
        }
    }
    for chapter in chapters.iter().map(Some).chain([None]) {
        if let Ok(name) = DirRule::apply_to_name(rule, album, chapter) {
            check_name(&name, rule);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let scramble = jmcomic_client::fuzzing::scramble_id(text);

    check_name(&sanitize_component(text), text);

    let mut lines = text.splitn(4, '\n');
    let rule = lines.next().unwrap_or("");
    let album_title = lines.next().unwrap_or("");
    let chapter_title = lines.next().unwrap_or("");
    let author = lines.next().unwrap_or("");
    for part in [rule, album_title, chapter_title, author] {
        check_name(&sanitize_component(part), part);
    }

    // A fixed, realistic album, and one whose titles come from the input.
    let fixed = album(
        1_180_203,
        "喂我吃吧 老師! [欶瀾漢化組] [BLVEFO9] たべさせて… [中國翻譯]",
        "第2話 ../中編: a/b\\c",
        "BLVEFO9",
        true,
    );
    let fuzzed = album(
        u64::from(data.len() as u32) * 1_000 + 7,
        album_title,
        chapter_title,
        author,
        !author.is_empty(),
    );
    for a in [&fixed, &fuzzed] {
        let mut chapters = a.chapters();
        for c in &mut chapters {
            c.scramble_id = scramble.map(|value| ScrambleId {
                value,
                source: ScrambleSource::Site,
            });
        }
        check_rule(rule, a, &chapters);
    }
});
