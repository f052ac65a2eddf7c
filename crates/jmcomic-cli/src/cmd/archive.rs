//! `jmcomic archive list|forget`: reading and editing the download archive.

use std::path::PathBuf;

use anyhow::Result;
use jmcomic::archive::DownloadArchive;
use jmcomic::{JmId, Target};

use super::load_options;
use crate::args::{ArchiveAction, ArchiveFile, Common};
use crate::ui as progress;
use crate::{Outcome, UsageError};

pub fn run(action: &ArchiveAction) -> Result<Outcome> {
    match action {
        ArchiveAction::List { json, file, common } => list(*json, file, common),
        ArchiveAction::Forget {
            ids,
            json,
            file,
            common,
        } => forget(ids, *json, file, common),
    }
}

/// The archive named by `--archive`, else by the option file.
fn open(file: &ArchiveFile, common: &Common) -> Result<DownloadArchive> {
    let path: PathBuf = match &file.archive {
        Some(p) => p.clone(),
        None => load_options(common)?.download.archive.ok_or_else(|| {
            UsageError(
                "no download archive: give --archive FILE, or set download.archive in the option file"
                    .to_owned(),
            )
        })?,
    };
    Ok(DownloadArchive::open_existing(&path).map_err(|e| UsageError(e.to_string()))?)
}

fn time_text(t: std::time::SystemTime) -> String {
    t.duration_since(std::time::UNIX_EPOCH)
        .map_or_else(|_| "?".to_owned(), |d| format!("{}", d.as_secs()))
}

fn list(json: bool, file: &ArchiveFile, common: &Common) -> Result<Outcome> {
    let archive = open(file, common)?;
    let albums = archive.albums()?;
    if json {
        let items: Vec<serde_json::Value> = albums
            .iter()
            .map(|a| {
                serde_json::json!({
                    "album": a.album,
                    "title": a.title,
                    "chapters": a.chapters,
                    "pages": a.pages,
                    "bytes": a.bytes,
                    "exports": a.exports,
                    "last_update": time_text(a.last_update),
                })
            })
            .collect();
        crate::outln!("{}", serde_json::to_string_pretty(&items)?);
        return Ok(Outcome::Done);
    }
    if albums.is_empty() {
        crate::outln!("{}: no album recorded", archive.path().display());
        return Ok(Outcome::Done);
    }
    crate::outln!(
        "{:>10}  {:>8}  {:>6}  {:>7}  title",
        "album",
        "chapters",
        "pages",
        "exports"
    );
    for a in &albums {
        crate::outln!(
            "{:>10}  {:>8}  {:>6}  {:>7}  {}",
            format!("JM{}", a.album),
            a.chapters,
            a.pages,
            a.exports,
            progress::printable(a.title.as_deref().unwrap_or("")),
        );
    }
    Ok(Outcome::Done)
}

fn forget(ids: &[String], json: bool, file: &ArchiveFile, common: &Common) -> Result<Outcome> {
    let mut parsed: Vec<JmId> = Vec::new();
    for id in ids {
        let t = Target::parse(id).map_err(|e| UsageError(e.to_string()))?;
        parsed.push(t.id);
    }
    let archive = open(file, common)?;
    let mut any = false;
    for id in parsed {
        let f = archive.forget(id)?;
        any |= !f.is_empty();
        if json {
            crate::outln!(
                "{}",
                serde_json::json!({"id": id, "chapters": f.chapters, "pages": f.pages, "exports": f.exports})
            );
        } else if !common.quiet {
            if f.is_empty() {
                eprintln!("{id}: not in the archive");
            } else {
                eprintln!(
                    "{id}: forgot {} chapter(s), {} page(s), {} export(s); they download again next time",
                    f.chapters, f.pages, f.exports
                );
            }
        }
    }
    Ok(if any {
        Outcome::Done
    } else {
        Outcome::Failures
    })
}
