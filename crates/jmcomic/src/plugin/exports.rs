//! The export plugins (`zip`, `img2pdf`, `long_img`, `cbz`) and the features built on them
//! (the Python package's `extra=`: `export_pdf`, `export_zip`, `export_long_img`, and the new
//! `export_cbz`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use jmcomic_export::{
    AesStrength, ComicInfo, ExportMeta, Exported, Manga, PageFile, PagePicture, PdfConvert,
    PdfOptions, SevenZipOptions, ZipCompression, ZipEncryption, ZipOptions,
};
use jmcomic_model::{Album, Chapter, JmId};
use serde_json::{Map, Value};
use tracing::{info, warn};

use super::args::{Invalid, Kwargs};
use super::runner::{Deletions, Failure};
use crate::dir_rule::DirRule;
use crate::failure::Cause;
use crate::report::{ChapterReport, Output, PageOutcome};
use crate::stage::{AlbumDone, ChapterDone, Stage, StageContext, StageResult};

/// Which export.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum ExportKey {
    Zip,
    Pdf,
    LongImg,
    Cbz,
}

impl ExportKey {
    pub(crate) fn from_plugin(key: &str) -> Option<ExportKey> {
        match key {
            "zip" => Some(ExportKey::Zip),
            "img2pdf" => Some(ExportKey::Pdf),
            "long_img" => Some(ExportKey::LongImg),
            "cbz" => Some(ExportKey::Cbz),
            _ => None,
        }
    }

    fn plugin(self) -> &'static str {
        match self {
            ExportKey::Zip => "zip",
            ExportKey::Pdf => "img2pdf",
            ExportKey::LongImg => "long_img",
            ExportKey::Cbz => "cbz",
        }
    }

    fn feature(self) -> &'static str {
        match self {
            ExportKey::Zip => "export_zip",
            ExportKey::Pdf => "export_pdf",
            ExportKey::LongImg => "export_long_img",
            ExportKey::Cbz => "export_cbz",
        }
    }

    /// The kwarg naming the output directory.
    // Spec §5.1, §5.3.
    fn dir_key(self) -> &'static str {
        match self {
            ExportKey::Zip => "zip_dir",
            ExportKey::Pdf => "pdf_dir",
            ExportKey::LongImg => "img_dir",
            ExportKey::Cbz => "cbz_dir",
        }
    }

    fn known_keys(self) -> &'static [&'static str] {
        match self {
            ExportKey::Zip => &[
                "zip_dir",
                "filename_rule",
                "suffix",
                "dir_rule",
                "delete_original_file",
                "encrypt",
                "level",
                "compression",
                "album",
                "photo",
                "downloader",
            ],
            ExportKey::Pdf => &[
                "pdf_dir",
                "filename_rule",
                "dir_rule",
                "delete_original_file",
                "encrypt",
                "convert",
                "jpeg_quality",
                "album",
                "photo",
                "downloader",
            ],
            ExportKey::LongImg => &[
                "img_dir",
                "filename_rule",
                "dir_rule",
                "delete_original_file",
                "album",
                "photo",
                "downloader",
            ],
            ExportKey::Cbz => &[
                "cbz_dir",
                "delete_original_file",
                "manga",
                "language",
                "web",
                "series_cover",
            ],
        }
    }
}

/// Defaults that differ between option-file plugins and features.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Caller {
    /// An option-file entry: the Python plugin's defaults (`zip_dir: ./`, `filename_rule`
    /// `Ptitle` / `Pid`), except that an album-level export names itself by an album field
    /// (`Atitle`, `Aid`) instead of failing on a chapter field.
    Plugin,
    /// A feature (`extra=`): `[JM{Aid}]{Atitle}` / `[JM{Pid}]{Ptitle}` in `base_dir`.
    // Spec §5.1.
    Feature,
}

/// Where a work plugin runs.
#[derive(Clone, Copy)]
pub(crate) enum Scope<'a> {
    BeforeAlbum,
    BeforeChapter(&'a Chapter),
    Chapter(&'a ChapterDone),
    Album(&'a AlbumDone),
}

impl Scope<'_> {
    pub(crate) fn chapter(&self) -> Option<&Chapter> {
        match self {
            Scope::BeforeChapter(c) => Some(c),
            Scope::Chapter(d) => Some(&d.chapter),
            Scope::BeforeAlbum | Scope::Album(_) => None,
        }
    }
}

/// The pages of the scope, in reading order, with what deleting them involves.
struct Source {
    pages: Vec<PageFile>,
    /// Page paths by chapter.
    by_chapter: Vec<(JmId, Vec<std::path::PathBuf>)>,
    /// Directories to remove when they end up empty.
    dirs: Vec<PathBuf>,
}

/// Refuses a chapter some of whose pages are missing: an export of it would look complete
/// and not be.
fn check_complete(c: &ChapterReport) -> Result<(), Failure> {
    if let Some(e) = &c.error {
        return Err(Cause::plugin(format!(
            "not exported: chapter {} could not be downloaded ({e})",
            c.id
        ))
        .into());
    }
    let failed = c
        .pages
        .iter()
        .filter(|p| matches!(p.outcome, PageOutcome::Failed { .. }))
        .count();
    if failed > 0 {
        return Err(Cause::plugin(format!(
            "not exported: {failed} page(s) of chapter {} failed; run again to complete it",
            c.id
        ))
        .into());
    }
    Ok(())
}

/// Pages of the scope recorded in the download archive and not on disk.
fn archived_pages(scope: &Scope<'_>) -> usize {
    let count = |c: &ChapterReport| {
        c.pages
            .iter()
            .filter(|p| matches!(p.outcome, PageOutcome::Archived))
            .count()
    };
    match scope {
        Scope::Chapter(d) => count(&d.report),
        Scope::Album(d) => d.report.chapters.iter().map(count).sum(),
        _ => 0,
    }
}

fn on_disk(c: &ChapterReport) -> Vec<PathBuf> {
    c.page_paths()
}

fn source(cx: &StageContext, scope: &Scope<'_>) -> Result<Source, Failure> {
    match scope {
        Scope::Chapter(done) => {
            check_complete(&done.report)?;
            let paths = on_disk(&done.report);
            Ok(Source {
                pages: paths.iter().map(PageFile::from_path).collect(),
                by_chapter: vec![(done.report.id, paths)],
                dirs: done.report.dir.iter().cloned().collect(),
            })
        }
        Scope::Album(done) => {
            let mut pages = Vec::new();
            let mut by_chapter = Vec::new();
            let mut dirs = Vec::new();
            for c in &done.report.chapters {
                if c.skipped {
                    continue;
                }
                check_complete(c)?;
                let paths = on_disk(c);
                for p in &paths {
                    // Entries keep the chapter folders, relative to the album's folder.
                    let name = match p.strip_prefix(&cx.album_dir) {
                        Ok(rel) if rel.components().count() > 1 => rel
                            .components()
                            .map(|c| c.as_os_str().to_string_lossy())
                            .collect::<Vec<_>>()
                            .join("/"),
                        _ => format!(
                            "{:03}/{}",
                            c.index,
                            p.file_name()
                                .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
                        ),
                    };
                    pages.push(PageFile::new(p, name));
                }
                by_chapter.push((c.id, paths));
                dirs.extend(c.dir.iter().cloned());
            }
            if cx.album_dir != cx.options.dir_rule.base_dir() {
                dirs.push(cx.album_dir.clone());
            }
            Ok(Source {
                pages,
                by_chapter,
                dirs,
            })
        }
        Scope::BeforeAlbum | Scope::BeforeChapter(_) => Err(Cause::plugin(
            "an export needs downloaded pages: put it in after_photo or after_album",
        )
        .into()),
    }
}

/// Where an export goes (the Python `decide_filepath`): the entry's `dir_rule` (a full
/// path, suffix included) or its directory and `filename_rule` plus the suffix.
// Spec §5.2.
fn out_path(
    kw: &Kwargs,
    key: ExportKey,
    caller: Caller,
    cx: &StageContext,
    chapter: Option<&Chapter>,
    suffix: &str,
) -> Result<PathBuf, Failure> {
    if let Some(rule) = kw.dict("dir_rule")? {
        return Ok(rule_path(kw, rule, cx, chapter)?);
    }
    let rule = match (kw.str("filename_rule")?, caller, chapter) {
        (Some(r), _, _) => r,
        (None, Caller::Feature, Some(_)) => "[JM{Pid}]{Ptitle}".to_owned(),
        (None, Caller::Feature, None) => "[JM{Aid}]{Atitle}".to_owned(),
        (None, Caller::Plugin, c) => match (key, c.is_some()) {
            (ExportKey::Zip, true) => "Ptitle".to_owned(),
            (ExportKey::Zip, false) => "Atitle".to_owned(),
            (_, true) => "Pid".to_owned(),
            (_, false) => "Aid".to_owned(),
        },
    };
    let name = DirRule::apply_to_name(&rule, &cx.album, chapter).map_err(|e| {
        kw.problem(format!(
            "filename_rule `{rule}`: {e}{}",
            if chapter.is_none() {
                " (after_album has no chapter: use album fields such as Atitle or Aid)"
            } else {
                ""
            }
        ))
    })?;
    let dir = match kw.path(key.dir_key())? {
        Some(d) => crate::options::absolute(&d),
        None => match caller {
            Caller::Feature => cx.options.dir_rule.base_dir().to_owned(),
            Caller::Plugin if key == ExportKey::Zip => crate::options::absolute(Path::new("./")),
            Caller::Plugin => crate::options::absolute(Path::new(".")),
        },
    };
    let suffix = suffix.trim_start_matches('.');
    Ok(dir.join(format!("{name}.{suffix}")))
}

/// A plugin's own `dir_rule: {base_dir, rule}`: the rule names the whole path, file name
/// and suffix included.
pub(crate) fn rule_path(
    kw: &Kwargs,
    rule: &Map<String, Value>,
    cx: &StageContext,
    chapter: Option<&Chapter>,
) -> Result<PathBuf, Invalid> {
    let text = rule
        .get("rule")
        .and_then(Value::as_str)
        .ok_or_else(|| kw.problem("kwargs.dir_rule.rule is required"))?;
    let base = match rule.get("base_dir").and_then(Value::as_str) {
        Some(b) if !b.is_empty() => {
            let expanded =
                crate::options::expand_env(b, &crate::options::process_env).map_err(|var| {
                    kw.problem(format!(
                        "kwargs.dir_rule.base_dir: environment variable {var} is not set"
                    ))
                })?;
            crate::options::absolute(Path::new(&expanded))
        }
        _ => cx.options.dir_rule.base_dir().to_owned(),
    };
    let parsed = DirRule::parse(text, base, cx.options.dir_rule.normalize_zh())
        .map_err(|e| kw.problem(format!("kwargs.dir_rule.rule `{text}`: {e}")))?;
    parsed
        .path_for(&cx.album, chapter)
        .map_err(|e| kw.problem(format!("kwargs.dir_rule.rule `{text}`: {e}")))
}

/// Runs one export over the scope's pages. `log: false` (the entry's `log`) silences its
/// information lines; warnings stay.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run(
    key: ExportKey,
    kw: &Kwargs,
    cx: &StageContext,
    scope: &Scope<'_>,
    caller: Caller,
    deletions: &Deletions,
    stage: &str,
    log: bool,
) -> Result<Vec<Output>, Failure> {
    let unknown = kw.unknown_keys(key.known_keys());
    if !unknown.is_empty() {
        warn!(
            "{stage}: unknown argument(s) {} ignored (known: {})",
            unknown.join(", "),
            key.known_keys().join(", ")
        );
    }
    if let Some(level) = kw.str("level")? {
        let at = if matches!(scope, Scope::Album(_)) {
            "album"
        } else {
            "photo"
        };
        if level != at {
            warn!(
                "{stage}: `level: {level}` is deprecated; the group decides (this entry runs \
                 at the {at} level)"
            );
        }
    }
    let delete = kw.bool("delete_original_file", false)?;
    let src = source(cx, scope)?;
    let archived = archived_pages(scope);
    if archived > 0 {
        if src.pages.is_empty() {
            // Done in an earlier run and moved away since (the download archive says so):
            // there is nothing here to export again.
            info!("{stage}: the pages are recorded in the download archive, not on disk: skipped");
            return Ok(Vec::new());
        }
        return Err(Cause::plugin(format!(
            "not exported: {archived} page(s) are recorded in the download archive but not on              disk (moved?); `jmcomic archive forget ID` makes them download again"
        ))
        .into());
    }
    if src.pages.is_empty() && key != ExportKey::Cbz {
        // Every page was left out by a filter (`image_suffix_filter`, a hook): there is
        // nothing to export, which is not a failure (the Python plugins log and return).
        if log {
            info!("{stage}: no page to export (every page was skipped)");
        }
        return Ok(Vec::new());
    }
    let chapter = scope.chapter();
    let chapter_id = chapter.map(|c| c.id);
    let meta = match chapter {
        Some(c) => ExportMeta::chapter(&cx.album, c),
        None => ExportMeta::album(&cx.album),
    };
    let mut outputs = Vec::new();
    match key {
        ExportKey::Pdf => {
            let out = out_path(kw, key, caller, cx, chapter, "pdf")?;
            let options = pdf_options(kw)?;
            let done = jmcomic_export::write_pdf(&src.pages, &out, &meta, &options)
                .map_err(Cause::from)?;
            if delete {
                jmcomic_export::verify_pdf(&done.path, src.pages.len()).map_err(Cause::from)?;
            }
            log_done(stage, log, &done);
            outputs.push(Output::from_export(stage, chapter_id, &done));
        }
        ExportKey::LongImg => {
            let out = out_path(kw, key, caller, cx, chapter, "png")?;
            let done = jmcomic_export::write_long_png(
                &src.pages,
                &out,
                &jmcomic_export::LongImageOptions::default(),
            )
            .map_err(Cause::from)?;
            if delete {
                let (w, h) =
                    jmcomic_export::long_png_size(&src.pages, &done.path).map_err(Cause::from)?;
                jmcomic_export::verify_png(&done.path, w, h).map_err(Cause::from)?;
            }
            log_done(stage, log, &done);
            outputs.push(Output::from_export(stage, chapter_id, &done));
        }
        ExportKey::Zip => outputs.push(zip(
            kw, cx, chapter, caller, &src.pages, delete, stage, log,
        )?),
        ExportKey::Cbz => outputs.extend(cbz(kw, cx, scope, caller, delete, stage, log)?),
    }
    if delete {
        for (chapter, pages) in src.by_chapter {
            deletions.request(cx, chapter, pages, None);
        }
        for d in src.dirs {
            deletions.request(cx, chapter_id.unwrap_or(cx.album.id), Vec::new(), Some(d));
        }
    }
    Ok(outputs)
}

fn log_done(stage: &str, log: bool, e: &Exported) {
    if !log {
        return;
    }
    if e.reused {
        info!(
            "{stage}: {} is already complete for these pages",
            e.path.display()
        );
    } else {
        info!(
            "{stage}: wrote {} ({} pages, {:.1} MB)",
            e.path.display(),
            e.pages,
            e.bytes as f64 / 1e6
        );
    }
}

fn pdf_options(kw: &Kwargs) -> Result<PdfOptions, Failure> {
    let mut options = PdfOptions::new();
    if let Some(enc) = kw.dict("encrypt")? {
        match enc.get("password").and_then(super::args::value_text) {
            Some(p) if !p.is_empty() => options = options.with_password(p),
            _ => {
                return Err(kw
                    .problem("kwargs.encrypt needs a `password` for a PDF")
                    .into());
            }
        }
    }
    match kw.str("convert")?.as_deref() {
        None | Some("lossless") => {}
        Some("jpeg" | "jpg") => {
            let quality = kw.u64("jpeg_quality")?.unwrap_or(90).clamp(1, 100) as u8;
            options = options.with_convert(PdfConvert::Jpeg { quality });
        }
        Some(other) => {
            return Err(kw
                .invalid(
                    "convert",
                    "`lossless` or `jpeg`",
                    &Value::String(other.to_owned()),
                )
                .into());
        }
    }
    Ok(options)
}

/// Characters of the Python package's random passwords.
// Spec §5.3.
const RANDOM_PASSWORD_CHARS: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";

fn random_password() -> Result<String, Failure> {
    let mut bytes = [0u8; 48];
    getrandom::fill(&mut bytes)
        .map_err(|e| Cause::plugin(format!("cannot draw a random password: {e}")))?;
    Ok(bytes
        .iter()
        .map(|b| RANDOM_PASSWORD_CHARS[usize::from(*b) % RANDOM_PASSWORD_CHARS.len()] as char)
        .collect())
}

#[allow(clippy::too_many_arguments)]
fn zip(
    kw: &Kwargs,
    cx: &StageContext,
    chapter: Option<&Chapter>,
    caller: Caller,
    pages: &[PageFile],
    delete: bool,
    stage: &str,
    log: bool,
) -> Result<Output, Failure> {
    let enc = kw.dict("encrypt")?;
    let seven = enc
        .and_then(|e| e.get("impl"))
        .and_then(Value::as_str)
        .is_some_and(|i| i.eq_ignore_ascii_case("7z"));
    let suffix = kw
        .str("suffix")?
        .unwrap_or_else(|| if seven { "7z" } else { "zip" }.to_owned());
    let out = out_path(kw, ExportKey::Zip, caller, cx, chapter, &suffix)?;
    let (password, random) = match enc {
        None => (None, false),
        Some(e) => match (
            e.get("password").and_then(super::args::value_text),
            e.get("type").and_then(Value::as_str),
        ) {
            (Some(p), _) if !p.is_empty() => (Some(p), false),
            (_, Some(t)) if t.eq_ignore_ascii_case("random") => (Some(random_password()?), true),
            _ => {
                return Err(kw
                    .problem("kwargs.encrypt needs `password: ...` or `type: random`")
                    .into());
            }
        },
    };
    if random && let Some(p) = &password {
        // The Python package logs it (and puts it in the zip comment): without it the
        // archive cannot be opened.
        warn!("{stage}: random password of {}: {p}", out.display());
    }
    let chapter_id = chapter.map(|c| c.id);
    let done = if seven {
        let mut options = SevenZipOptions::new();
        if let Some(p) = &password {
            options = options.with_password(p.clone());
        }
        let done = jmcomic_export::write_7z(pages, &out, &options).map_err(Cause::from)?;
        if delete {
            jmcomic_export::verify_7z(&done.path, pages, password.as_deref())
                .map_err(Cause::from)?;
        }
        done
    } else {
        let mut options = ZipOptions::new();
        match kw.str("compression")?.as_deref() {
            None | Some("stored" | "store") => {}
            Some("deflated" | "deflate") => {
                options = options.with_compression(ZipCompression::Deflated);
            }
            Some(other) => {
                return Err(kw
                    .invalid(
                        "compression",
                        "`stored` or `deflated`",
                        &Value::String(other.to_owned()),
                    )
                    .into());
            }
        }
        if let Some(p) = &password {
            options = options.with_encryption(ZipEncryption::aes(p.clone(), AesStrength::Aes128));
            if random {
                options = options.with_comment(p.clone());
            }
        }
        let done = jmcomic_export::write_zip(pages, &out, &options).map_err(Cause::from)?;
        if delete {
            jmcomic_export::verify_zip(&done.path, pages, password.as_deref())
                .map_err(Cause::from)?;
        }
        done
    };
    log_done(stage, log, &done);
    Ok(Output::from_export(stage, chapter_id, &done))
}

/// CBZ in the layout Komga and Kavita both group: `<dir>/<album>/<album> c<NNN>.cbz`, one
/// per chapter, `ComicInfo.xml` inside, the album's first page as the series cover
/// (`cover.<ext>`) in the series folder.
// exports.md §5.
fn cbz(
    kw: &Kwargs,
    cx: &StageContext,
    scope: &Scope<'_>,
    caller: Caller,
    delete: bool,
    stage: &str,
    log: bool,
) -> Result<Vec<Output>, Failure> {
    let root = match kw.path("cbz_dir")? {
        Some(d) => crate::options::absolute(&d),
        None => match caller {
            Caller::Feature | Caller::Plugin => cx.options.dir_rule.base_dir().to_owned(),
        },
    };
    let series = series_name(&cx.album);
    let folder = root.join(crate::naming::sanitize_component(&series));
    let manga = match kw.str("manga")?.as_deref() {
        None | Some("Unknown" | "unknown") => Manga::Unknown,
        Some("No" | "no") => Manga::No,
        Some("Yes" | "yes") => Manga::Yes,
        Some("YesAndRightToLeft" | "rtl") => Manga::YesAndRightToLeft,
        Some(other) => {
            return Err(kw
                .invalid(
                    "manga",
                    "Unknown, No, Yes or YesAndRightToLeft",
                    &Value::String(other.to_owned()),
                )
                .into());
        }
    };
    let language = kw.str("language")?;
    let web = kw.str("web")?;
    let chapters: Vec<(Chapter, &ChapterReport)> = match scope {
        Scope::Chapter(done) => vec![(done.chapter.clone(), &done.report)],
        Scope::Album(done) => done
            .report
            .chapters
            .iter()
            .filter(|r| !r.skipped)
            .map(|r| {
                let c = done
                    .chapters
                    .iter()
                    .find(|c| c.id == r.id)
                    .cloned()
                    .unwrap_or_else(|| chapter_stub(&cx.album, r));
                (c, r)
            })
            .collect(),
        _ => return Err(Cause::plugin("an export needs downloaded pages").into()),
    };
    let width = cx.album.episodes.len().to_string().len().max(3);
    let mut outputs = Vec::new();
    for (chapter, report) in &chapters {
        check_complete(report)?;
        let paths = report.page_paths();
        if paths.is_empty() {
            continue;
        }
        let pages = PageFile::numbered(paths.clone());
        let pictures = PagePicture::probe_all(&pages).map_err(Cause::from)?;
        let meta = ExportMeta::chapter(&cx.album, chapter);
        let mut info = ComicInfo::from_meta(&meta, &pictures).with_manga(manga);
        if cx.album.is_single_chapter() {
            // The album is its own only chapter: title it as the album.
            info.title.clone_from(&cx.album.name);
        }
        if let Some(l) = &language {
            info = info.with_language(l.clone());
        }
        if let Some(w) = &web {
            info = info.with_web(w.replace("{Aid}", &cx.album.id.to_string()));
        }
        let number = chapter.album_index().max(1);
        let out = folder.join(jmcomic_export::cbz_file_name(&series, number, width));
        let done = jmcomic_export::write_cbz(&pages, &out, &info).map_err(Cause::from)?;
        if delete {
            jmcomic_export::verify_zip(&done.path, &pages, None).map_err(Cause::from)?;
        }
        log_done(stage, log, &done);
        outputs.push(Output::from_export(stage, Some(chapter.id), &done));
        if kw.bool("series_cover", true)? && number == 1 {
            outputs.extend(series_cover(&folder, &paths[0], stage)?);
        }
    }
    Ok(outputs)
}

/// The series name of an album: its title (the CBZ file names keep parentheses out of it).
fn series_name(album: &Album) -> String {
    album.name.trim().to_owned()
}

/// A chapter known only from its report (its page list failed): enough for names.
fn chapter_stub(album: &Album, r: &ChapterReport) -> Chapter {
    let mut c = album
        .chapters()
        .into_iter()
        .find(|c| c.id == r.id)
        .unwrap_or_else(|| {
            let mut all = album.chapters();
            all.remove(0)
        });
    c.name.clone_from(&r.name);
    c
}

/// Copies the first page as `cover.<ext>` into the series folder (Komga's series cover),
/// unless a cover is already there.
fn series_cover(folder: &Path, first: &Path, stage: &str) -> Result<Vec<Output>, Failure> {
    let ext = first
        .extension()
        .map_or_else(|| "jpg".to_owned(), |e| e.to_string_lossy().to_lowercase());
    let exists = ["png", "jpg", "jpeg", "webp", "gif"]
        .iter()
        .any(|e| folder.join(format!("cover.{e}")).exists());
    if exists {
        return Ok(Vec::new());
    }
    let out = folder.join(format!("cover.{ext}"));
    let bytes = std::fs::read(first).map_err(|e| Cause::io("read", first, e))?;
    crate::storage::write_atomic(&out, &bytes).map_err(|e| Cause::io("write", &out, e))?;
    let mut o = Output::new(stage, None, out, ext);
    o.bytes = bytes.len() as u64;
    Ok(vec![o])
}

/// One export for one download call: the Python package's `extra=`.
///
/// Runs after the album for an album download and after the chapter for a chapter
/// download, with the Python defaults: named `[JM{Aid}]{Atitle}` / `[JM{Pid}]{Ptitle}`, in
/// `dir_rule.base_dir`. Arguments are the plugin's (`img2pdf`, `zip`, `long_img`, `cbz`):
///
/// ```
/// use jmcomic::plugin::Feature;
///
/// let extra = Feature::export_pdf().dir("/books")
///     + Feature::export_zip().arg("encrypt", serde_json::json!({"password": "s3cret"}))
///     + Feature::export_cbz();
/// assert_eq!(extra.len(), 3);
/// ```
// Spec §5.1.
#[derive(Clone, Debug, PartialEq)]
pub struct Feature {
    key: ExportKey,
    kwargs: Map<String, Value>,
}

impl Feature {
    /// A PDF (the `img2pdf` plugin).
    pub fn export_pdf() -> Feature {
        Feature::new(ExportKey::Pdf)
    }

    /// A ZIP (the `zip` plugin; `encrypt` for AES or 7z).
    pub fn export_zip() -> Feature {
        Feature::new(ExportKey::Zip)
    }

    /// One long PNG (the `long_img` plugin).
    pub fn export_long_img() -> Feature {
        Feature::new(ExportKey::LongImg)
    }

    /// CBZ per chapter with `ComicInfo.xml`, in a series folder per album (new).
    pub fn export_cbz() -> Feature {
        Feature::new(ExportKey::Cbz)
    }

    fn new(key: ExportKey) -> Feature {
        Feature {
            key,
            kwargs: Map::new(),
        }
    }

    /// The feature for a name: `pdf`, `zip`, `cbz`, `long-img` (also `long_img`,
    /// `longimg`, and the `export_*` names).
    pub fn parse(name: &str) -> Option<Feature> {
        let n = name.trim().to_ascii_lowercase().replace('-', "_");
        let n = n.strip_prefix("export_").unwrap_or(&n);
        match n {
            "pdf" | "img2pdf" => Some(Feature::export_pdf()),
            "zip" | "7z" => Some(Feature::export_zip()),
            "cbz" => Some(Feature::export_cbz()),
            "long_img" | "longimg" | "long_image" | "png" => Some(Feature::export_long_img()),
            _ => None,
        }
    }

    /// The names [`Feature::parse`] knows, for messages.
    pub const NAMES: [&'static str; 4] = ["pdf", "zip", "cbz", "long-img"];

    /// The name in reports: `export_pdf`, `export_zip`, `export_long_img`, `export_cbz`.
    pub fn name(&self) -> &'static str {
        self.key.feature()
    }

    /// Sets one of the plugin's arguments (the Python `Feature.export_pdf(pdf_dir=...)`
    /// returns a new feature the same way).
    pub fn arg(mut self, key: &str, value: impl Into<Value>) -> Feature {
        self.kwargs.insert(key.to_owned(), value.into());
        self
    }

    /// The output directory (`pdf_dir`, `zip_dir`, `img_dir` or `cbz_dir`).
    pub fn dir(self, dir: impl AsRef<Path>) -> Feature {
        let key = self.key.dir_key();
        let dir = dir.as_ref().to_string_lossy().into_owned();
        self.arg(key, dir)
    }

    /// The arguments set so far.
    pub fn args(&self) -> &Map<String, Value> {
        &self.kwargs
    }
}

/// Several features, run in order (the Python `FeatureChain`; `a + b`, `a | b`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Features(Vec<Feature>);

impl Features {
    /// No features.
    pub fn new() -> Self {
        Features(Vec::new())
    }

    /// Adds a feature at the end.
    pub fn push(&mut self, f: Feature) {
        self.0.push(f);
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The features in order.
    pub fn iter(&self) -> impl Iterator<Item = &Feature> {
        self.0.iter()
    }

    /// Sets the output directory of every feature ([`Feature::dir`]).
    pub fn dir(self, dir: impl AsRef<Path>) -> Features {
        Features(self.0.into_iter().map(|f| f.dir(dir.as_ref())).collect())
    }
}

impl From<Feature> for Features {
    fn from(f: Feature) -> Self {
        Features(vec![f])
    }
}

impl FromIterator<Feature> for Features {
    fn from_iter<I: IntoIterator<Item = Feature>>(iter: I) -> Self {
        Features(iter.into_iter().collect())
    }
}

impl Features {
    /// These features, then `other`'s.
    pub fn chain(mut self, other: impl Into<Features>) -> Features {
        self.0.extend(other.into().0);
        self
    }
}

impl<T: Into<Features>> std::ops::Add<T> for Feature {
    type Output = Features;
    fn add(self, rhs: T) -> Features {
        Features::from(self).chain(rhs)
    }
}

impl<T: Into<Features>> std::ops::Add<T> for Features {
    type Output = Features;
    fn add(self, rhs: T) -> Features {
        self.chain(rhs)
    }
}

/// `a | b` chains as `a + b` does (the Python `FeatureChain` operators are all the same).
impl<T: Into<Features>> std::ops::BitOr<T> for Feature {
    type Output = Features;
    fn bitor(self, rhs: T) -> Features {
        Features::from(self).chain(rhs)
    }
}

impl<T: Into<Features>> std::ops::BitOr<T> for Features {
    type Output = Features;
    fn bitor(self, rhs: T) -> Features {
        self.chain(rhs)
    }
}

/// A feature as a stage of a download.
pub(crate) struct FeatureStage {
    pub feature: Feature,
    pub deletions: Arc<Deletions>,
}

impl FeatureStage {
    fn run(&self, cx: &StageContext, scope: &Scope<'_>) -> StageResult {
        let name = self.feature.name();
        let kw = Kwargs::new(self.feature.key.plugin(), self.feature.kwargs.clone());
        run(
            self.feature.key,
            &kw,
            cx,
            scope,
            Caller::Feature,
            &self.deletions,
            name,
            true,
        )
        .map_err(|f| {
            self.deletions.block(cx, format!("{name} did not complete"));
            match f {
                Failure::Invalid(e) => Cause::plugin(e.0).into(),
                Failure::Failed(c) => c.into(),
            }
        })
    }
}

impl Stage for FeatureStage {
    fn name(&self) -> &str {
        self.feature.name()
    }

    // Spec §5.1: a feature runs after the chapter only for a chapter download.
    fn after_chapter(&self, cx: &StageContext, done: &ChapterDone) -> StageResult {
        if cx.is_album_download() {
            return Ok(Vec::new());
        }
        self.run(cx, &Scope::Chapter(done))
    }

    /// … and after the album only for an album download.
    fn after_album(&self, cx: &StageContext, done: &AlbumDone) -> StageResult {
        if !cx.is_album_download() {
            return Ok(Vec::new());
        }
        self.run(cx, &Scope::Album(done))
    }
}
