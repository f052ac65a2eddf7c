//! File plugins: `calibre_metadata`, `delete_duplicated_files`, `download_cover`.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use jmcomic_export::{ExportMeta, OpfOptions};
use md5::{Digest, Md5};
use tracing::{info, warn};

use super::args::Kwargs;
use super::exports::{Scope, rule_path};
use super::runner::Failure;
use crate::failure::Cause;
use crate::report::Output;
use crate::stage::StageContext;

/// `calibre_metadata` (2.7.10): `metadata.opf` next to the pages (the album's folder after
/// an album, the chapter's after a chapter), with `fields` (extra Dublin Core elements) and
/// `include_cover` (the album cover as `cover.jpg` beside it; the first page when the cover
/// cannot be fetched).
pub(crate) fn calibre(
    kw: &Kwargs,
    cx: &StageContext,
    scope: &Scope<'_>,
    stage: &str,
) -> Result<Vec<Output>, Failure> {
    let (dir, meta, first_page) = match scope {
        Scope::Chapter(done) => (
            done.report
                .dir
                .clone()
                .unwrap_or_else(|| cx.album_dir.clone()),
            ExportMeta::chapter(&cx.album, &done.chapter),
            done.report.page_paths().into_iter().next(),
        ),
        Scope::Album(done) => (
            cx.album_dir.clone(),
            ExportMeta::album(&cx.album),
            done.report.page_paths().into_iter().next(),
        ),
        _ => {
            return Err(kw
                .problem("calibre_metadata runs in after_album or after_photo")
                .into());
        }
    };
    let mut options = OpfOptions::default();
    if let Some(fields) = kw.dict("fields")? {
        options.fields = fields
            .iter()
            .filter_map(|(k, v)| super::args::value_text(v).map(|v| (k.clone(), v)))
            .collect();
    }
    options.include_cover = kw.bool("include_cover", false)?;
    if let Some(a) = kw.str("default_author")? {
        options.default_author = a;
    }
    let mut outputs = Vec::new();
    let cover = if options.include_cover {
        let c = cover_file(cx, &dir, first_page.as_deref(), stage)?;
        outputs.extend(c.1);
        Some(c.0)
    } else {
        None
    };
    let out = dir.join("metadata.opf");
    let (done, warnings) =
        jmcomic_export::write_opf(&out, &meta, cover.as_deref(), &options).map_err(Cause::from)?;
    for w in warnings {
        warn!("{stage}: {w}");
    }
    outputs.push(Output::from_export(
        stage,
        meta.chapter.as_ref().map(|c| c.id),
        &done,
    ));
    Ok(outputs)
}

/// The cover for the OPF: the album's cover from the CDN as `cover.jpg`, else the first page.
fn cover_file(
    cx: &StageContext,
    dir: &Path,
    first_page: Option<&Path>,
    stage: &str,
) -> Result<(PathBuf, Vec<Output>), Failure> {
    let out = dir.join("cover.jpg");
    if cx.options.download.cache && complete_image(&out) {
        return Ok((out, Vec::new()));
    }
    match cx.block_on(cx.client.cover_bytes(cx.album.id, "")) {
        Ok(bytes) if jmcomic_image::check_complete(&bytes).is_ok() => {
            crate::storage::write_atomic(&out, &bytes).map_err(|e| Cause::io("write", &out, e))?;
            let mut o = Output::new(stage, None, out.clone(), "jpg");
            o.bytes = bytes.len() as u64;
            Ok((out, vec![o]))
        }
        fetched => {
            let why = match fetched {
                Ok(_) => "the cover is not a complete image".to_owned(),
                Err(e) => e.to_string(),
            };
            let Some(first) = first_page else {
                return Err(Cause::plugin(format!("no cover: {why}")).into());
            };
            warn!("{stage}: album cover unavailable ({why}); using the first page as the cover");
            let ext = first
                .extension()
                .map_or_else(|| "jpg".to_owned(), |e| e.to_string_lossy().to_lowercase());
            let out = dir.join(format!("cover.{ext}"));
            std::fs::copy(first, &out).map_err(|e| Cause::io("write", &out, e))?;
            Ok((out, Vec::new()))
        }
    }
}

fn complete_image(path: &Path) -> bool {
    std::fs::read(path).is_ok_and(|b| jmcomic_image::check_complete(&b).is_ok())
}

/// `delete_duplicated_files` (after_album): files of the album's folder whose MD5 occurs at
/// least `limit` times are listed and, with `delete_original_file` (default true), deleted.
///
/// Unlike the Python plugin, it refuses to scan when the `dir_rule` gives the album no folder
/// of its own: the scan would cover the whole base directory, other albums included.
// Spec W12.
pub(crate) fn delete_duplicates(
    kw: &Kwargs,
    cx: &StageContext,
    log: bool,
) -> Result<Vec<Output>, Failure> {
    let limit = kw
        .u64("limit")?
        .filter(|l| *l >= 1)
        .ok_or_else(|| kw.problem("kwargs.limit is required (a whole number, 1 or more)"))?;
    let delete = kw.bool("delete_original_file", true)?;
    let root = &cx.album_dir;
    if root == cx.options.dir_rule.base_dir() {
        return Err(Cause::plugin(format!(
            "the dir_rule `{}` gives album {} no folder of its own; scanning {} would cover \
             other albums too, so nothing was deleted (start the rule with an album element \
             such as Aid or Atitle)",
            cx.options.dir_rule.rule(),
            cx.album.id,
            root.display()
        ))
        .into());
    }
    let mut by_hash: HashMap<[u8; 16], Vec<PathBuf>> = HashMap::new();
    for file in files_under(root) {
        by_hash.entry(md5_of(&file)?).or_default().push(file);
    }
    let mut removed = 0usize;
    for (hash, mut files) in by_hash {
        if (files.len() as u64) < limit {
            continue;
        }
        files.sort();
        if log {
            let hex = hash.iter().fold(String::new(), |mut s, b| {
                use std::fmt::Write as _;
                let _ = write!(s, "{b:02x}");
                s
            });
            info!(
                "delete_duplicated_files: ({}) MD5 {hex} occurs {} times: {}",
                cx.album.id,
                files.len(),
                files
                    .iter()
                    .map(|f| f.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        if delete {
            for f in files {
                match std::fs::remove_file(&f) {
                    Ok(()) => removed += 1,
                    Err(e) => return Err(Cause::io("delete", &f, e).into()),
                }
            }
        }
    }
    if removed > 0 && log {
        info!(
            "delete_duplicated_files: deleted {removed} file(s) of album {}",
            cx.album.id
        );
    }
    Ok(Vec::new())
}

fn md5_of(path: &Path) -> Result<[u8; 16], Failure> {
    let mut f = std::fs::File::open(path).map_err(|e| Cause::io("read", path, e))?;
    let mut h = Md5::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = f.read(&mut buf).map_err(|e| Cause::io("read", path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().into())
}

/// Every regular file under `dir`, our temporary files left out.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(p),
                Ok(t)
                    if t.is_file()
                        && !crate::storage::is_temp_file(&p)
                        && !crate::storage::is_page_record(&p) =>
                {
                    out.push(p);
                }
                _ => {}
            }
        }
    }
    out
}

/// `download_cover`: the album's cover to the path its `dir_rule` names (file name and
/// suffix included), `size: _3x4` for the search-list cover; skipped when `download.cache`
/// and a complete image is already there.
pub(crate) fn download_cover(
    kw: &Kwargs,
    cx: &StageContext,
    scope: &Scope<'_>,
    stage: &str,
) -> Result<Vec<Output>, Failure> {
    let rule = kw
        .dict("dir_rule")?
        .ok_or_else(|| kw.problem("kwargs.dir_rule is required ({base_dir, rule})"))?;
    let chapter = scope.chapter();
    let out = rule_path(kw, rule, cx, chapter)?;
    let size = kw.str("size")?.unwrap_or_default();
    if !size.is_empty() && size != "_3x4" {
        return Err(kw
            .invalid("size", "'' or '_3x4'", &serde_json::Value::String(size))
            .into());
    }
    if cx.options.download.cache && complete_image(&out) {
        return Ok(Vec::new());
    }
    let bytes = cx
        .block_on(cx.client.cover_bytes(cx.album.id, &size))
        .map_err(Cause::from)?;
    jmcomic_image::check_complete(&bytes).map_err(Cause::from)?;
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Cause::io("create", parent, e))?;
    }
    crate::storage::write_atomic(&out, &bytes).map_err(|e| Cause::io("write", &out, e))?;
    let kind = out
        .extension()
        .map_or_else(String::new, |e| e.to_string_lossy().to_lowercase());
    let mut o = Output::new(stage, chapter.map(|c| c.id), out, kind);
    o.bytes = bytes.len() as u64;
    Ok(vec![o])
}
