//! The documentation users read (rustdoc, docs.rs) says facts, not pointers into the
//! maintainers' notes they do not have (`../shared/spec/`: the protocol spec, `perf.md`,
//! `exports.md`, `peers.md`). Citations belong in `//` comments next to the item.

use std::path::{Path, PathBuf};

use regex::Regex;

/// Paths (relative to `crates/`, a trailing `/` for a whole folder) whose doc comments may
/// still cite the notes. The lead empties this list as the files are rewritten; an entry
/// that no longer has a citation makes the test fail, so it cannot go stale.
const NOT_YET: &[&str] = &[
    // Maintainers' tools, not published for users; their readers have the notes at hand.
    // Remove these two as well if their docs should read on their own.
    "jmcomic-emulator/src/",
    "jmcomic-bench/src/",
];

/// `§` (any section sign), a file of the notes, or a weak point of the Python package
/// (`W1`…`W29`) named as a word.
fn citation() -> Regex {
    Regex::new(
        r"§|jmcomic-python\.md|perf\.md|exports\.md|peers\.md|aesthetics-anchors\.md|shared/spec|\bW\d+\b|(?i)\bspec\s+appendix",
    )
    .unwrap()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn doc_comments_state_facts_instead_of_citing_the_notes() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut files = Vec::new();
    let mut crate_dirs: Vec<PathBuf> = std::fs::read_dir(crates)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("src").is_dir())
        .collect();
    crate_dirs.sort();
    // The library crates at least must be there, or the scan looks in the wrong place.
    for name in [
        "jmcomic",
        "jmcomic-client",
        "jmcomic-export",
        "jmcomic-image",
        "jmcomic-model",
    ] {
        assert!(
            crate_dirs.contains(&crates.join(name)),
            "crate {name} not found under {}",
            crates.display()
        );
    }
    for dir in &crate_dirs {
        rust_files(&dir.join("src"), &mut files);
    }

    let pattern = citation();
    let mut found = Vec::new();
    let mut allowed_hits = vec![0usize; NOT_YET.len()];
    for file in &files {
        let rel = file
            .strip_prefix(crates)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let trimmed = line.trim_start();
            if !(trimmed.starts_with("///") || trimmed.starts_with("//!")) {
                continue;
            }
            if !pattern.is_match(trimmed) {
                continue;
            }
            match NOT_YET.iter().position(|p| rel.starts_with(p)) {
                Some(i) => allowed_hits[i] += 1,
                None => found.push(format!("crates/{rel}:{}: {}", n + 1, trimmed)),
            }
        }
    }

    let stale: Vec<&str> = NOT_YET
        .iter()
        .zip(&allowed_hits)
        .filter(|(_, hits)| **hits == 0)
        .map(|(p, _)| *p)
        .collect();
    assert!(
        stale.is_empty(),
        "these NOT_YET entries have no citation left in their doc comments; remove them: {stale:?}"
    );
    assert!(
        found.is_empty(),
        "{} doc comment line(s) cite the maintainers' notes, which users do not have. Say the \
         fact itself and move the pointer to a `//` comment next to the item:\n{}",
        found.len(),
        found.join("\n")
    );
}

/// The scan must catch what it is meant to catch (and not ordinary prose).
#[test]
fn the_citation_pattern() {
    let p = citation();
    for cited in [
        "/// The default (spec §3.2).",
        "/// see §3.7",
        "/// unlike the Python package (W12), it",
        "//! measured (perf.md §2.3)",
        "/// the layout of exports.md",
        "/// `../shared/spec/jmcomic-python.md`",
        "/// user reports, spec `peers.md`",
        "/// local time (spec Appendix A)",
    ] {
        assert!(p.is_match(cited), "not caught: {cited}");
    }
    for fine in [
        "/// The PNG specification limits both dimensions.",
        "/// A Python format spec such as `:03`.",
        "/// W3C dates, WebP and 1100×1600 pages.",
        "/// `{W}` is not an id.",
    ] {
        assert!(!p.is_match(fine), "caught by mistake: {fine}");
    }
}
