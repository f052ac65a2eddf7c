//! Plugin jobs: work that runs on its own rather than inside a download (`find_update`,
//! `subscribe_album_update`, and mails or logins put in `after_init` or a group run by hand).

use std::collections::HashMap;
use std::sync::Arc;

use jmcomic_model::{Album, Chapter, JmId, Target};
use serde_json::Value;
use tracing::{info, warn};

use super::args::{Kwargs, value_text};
use super::runner::{Entry, Failure, PluginRun};
use crate::download::Downloader;
use crate::failure::Cause;
use crate::hooks::{Control, Hooks};

/// Runs one job entry.
pub(crate) async fn run_job(entry: &Entry, downloader: &Downloader) -> Result<PluginRun, Failure> {
    let kw = entry.kwargs()?;
    match entry.key() {
        "find_update" => find_update(&kw, downloader).await,
        "subscribe_album_update" => subscribe(entry, &kw, downloader).await,
        "send_qq_email" => {
            super::notify::send(&kw).await?;
            Ok(PluginRun::default())
        }
        "login" => login(&kw, downloader).await,
        "favorite_folder_export" => favorite_export(entry, &kw, downloader).await,
        _ => Ok(PluginRun::default()),
    }
}

/// `login`: logs the downloader's client in, so the downloads of this run (and the jobs
/// after it) are the user's. The password is never logged.
// Spec §5 (`JmLoginPlugin`).
async fn login(kw: &Kwargs, downloader: &Downloader) -> Result<PluginRun, Failure> {
    let username = kw.required_str("username")?;
    let password = kw.required_str("password")?;
    if username.trim().is_empty() || password.is_empty() {
        return Err(kw.problem("username and password must not be empty").into());
    }
    let ours = match downloader.client().protocol() {
        jmcomic_client::ProtocolKind::Html => "html",
        _ => "api",
    };
    if let Some(i) = kw.str("impl")?
        && i != ours
    {
        // The Python plugin builds a client of that kind; here the download's client is
        // logged in, whichever protocol it speaks (the login cookie works on both).
        info!(
            "login: kwargs.impl `{i}` is ignored; the download's client ({}) logs in",
            downloader.client().protocol()
        );
    }
    let user = downloader
        .client()
        .login(username.trim(), &password)
        .await
        .map_err(Cause::from)?;
    let mut run = PluginRun::default();
    run.notes.push(format!("logged in as {}", user.username));
    Ok(run)
}

/// `favorite_folder_export`: every favourites folder to a CSV file in `save_dir`
/// (default `./export`), optionally zipped (`zip_enable`, `zip_filepath`, default
/// `<save_dir>.zip`; `zip_password` encrypts it), `delete_original_file` removing the CSVs
/// once zipped; `format: json` (new) writes JSON files instead.
// Spec §5 (`FavoriteFolderExportPlugin`), W23.
async fn favorite_export(
    entry: &Entry,
    kw: &Kwargs,
    downloader: &Downloader,
) -> Result<PluginRun, Failure> {
    use crate::favorites::{FavoriteExportOptions, export_favorites};
    let dir = kw
        .path("save_dir")?
        .unwrap_or_else(|| std::path::PathBuf::from("export"));
    let dir = std::path::absolute(&dir).unwrap_or(dir);
    // `format` (new): `csv` (the Python plugin's only one) or `json`.
    let format = match kw.str("format")? {
        None => crate::favorites::ExportFormat::Csv,
        Some(f) => crate::favorites::ExportFormat::parse(&f).ok_or_else(|| {
            kw.invalid(
                "format",
                "csv or json",
                &serde_json::Value::String(f.clone()),
            )
        })?,
    };
    let mut options = FavoriteExportOptions::new(&dir)
        .format(format)
        .delete_files(kw.bool("delete_original_file", false)?);
    if kw.bool("zip_enable", false)? {
        let zip = kw
            .path("zip_filepath")?
            .unwrap_or_else(|| dir.with_extension("zip"));
        options = options.zip(zip, kw.str("zip_password")?);
    }
    let done = export_favorites(downloader.client(), &options)
        .await
        .map_err(|e| Cause::plugin(e.to_string()))?;
    let mut run = PluginRun::default();
    for f in &done.folders {
        if let Some(p) = &f.path {
            run.outputs.push(crate::report::Output::new(
                entry.stage_name(),
                None,
                p.clone(),
                format.suffix(),
            ));
        }
        run.notes.push(format!(
            "favourites folder {} ({}): {} album(s)",
            f.folder.name, f.folder.id, f.albums
        ));
    }
    if let Some(z) = done.zip {
        run.outputs.push(crate::report::Output::new(
            entry.stage_name(),
            None,
            z,
            "zip",
        ));
    }
    Ok(run)
}

/// `{album: chapter}` pairs of a kwargs mapping (YAML `145504: 290266`).
fn id_pairs(
    kw: &Kwargs,
    map: &serde_json::Map<String, Value>,
) -> Result<Vec<(JmId, JmId)>, Failure> {
    let mut pairs = Vec::new();
    for (k, v) in map {
        let album = JmId::parse(k).map_err(|_| kw.problem(format!("`{k}` is not an album id")))?;
        let chapter = value_text(v)
            .and_then(|t| JmId::parse(&t).ok())
            .ok_or_else(|| kw.problem(format!("the chapter of album {k} (`{v}`) is not an id")))?;
        pairs.push((album, chapter));
    }
    Ok(pairs)
}

/// The chapters of `album` after `last` in reading order; `None` when `last` is not one
/// of its chapters.
fn chapters_after(album: &Album, last: JmId) -> Option<Vec<Chapter>> {
    let chapters = album.chapters();
    let pos = chapters.iter().position(|c| c.id == last)?;
    Some(chapters.into_iter().skip(pos + 1).collect())
}

/// Skips, in the listed albums, every chapter up to and including the given one (all of
/// them when the given chapter is not in the album: nothing is known to be new).
struct AfterChapter {
    last: HashMap<JmId, JmId>,
}

impl Hooks for AfterChapter {
    fn before_chapter(&self, album: &Album, chapter: &Chapter) -> Control {
        let Some(last) = self.last.get(&album.id) else {
            return Control::Continue;
        };
        match chapters_after(album, *last) {
            Some(new) if new.iter().any(|c| c.id == chapter.id) => Control::Continue,
            _ => Control::Skip,
        }
    }
}

/// `find_update`: only the chapters after the given one, of the listed albums.
// Spec §5.3.
async fn find_update(kw: &Kwargs, downloader: &Downloader) -> Result<PluginRun, Failure> {
    let pairs = id_pairs(kw, kw.map())?;
    let mut run = PluginRun::default();
    if pairs.is_empty() {
        return Ok(run);
    }
    let hook = AfterChapter {
        last: pairs.iter().copied().collect(),
    };
    let targets: Vec<Target> = pairs.iter().map(|(a, _)| Target::album(*a)).collect();
    let scoped = downloader.with_extra_hook(Arc::new(hook));
    let batch = scoped.batch(targets).await;
    for (target, result) in &batch.items {
        if let Ok(report) = result {
            let n = report.chapters.iter().filter(|c| !c.skipped).count();
            run.notes
                .push(format!("find_update: {target}: {n} new chapter(s)"));
        }
    }
    run.downloads.push(batch);
    Ok(run)
}

/// `subscribe_album_update`: for each album, the chapters after the last one
/// seen; mails about them (`email_notify`), downloads them (`download_if_has_update`), and
/// writes the newest chapter back into the option file (`auto_update_after_download`), only
/// once its download is complete, so a failed run is retried next time.
// Spec §5.3.
async fn subscribe(
    entry: &Entry,
    kw: &Kwargs,
    downloader: &Downloader,
) -> Result<PluginRun, Failure> {
    let Some(dict) = kw.dict("album_photo_dict")? else {
        return Err(kw
            .problem("kwargs.album_photo_dict is required ({album: last chapter})")
            .into());
    };
    let pairs = id_pairs(kw, dict)?;
    let download = kw.bool("download_if_has_update", true)?;
    let write_back = kw.bool("auto_update_after_download", true)?;
    let email = kw.dict("email_notify")?.cloned();
    let mut run = PluginRun::default();
    for (album_id, last) in pairs {
        let album = match downloader.client().album(album_id).await {
            Ok(a) => a,
            Err(e) => {
                // The Python plugin logs and goes on with the next album.
                warn!("subscribe_album_update: album {album_id}: {e}");
                run.failures.push(crate::report::StageFailure {
                    stage: entry.stage_name(),
                    chapter: None,
                    reason: Cause::from(e),
                    fatal: false,
                });
                continue;
            }
        };
        let Some(new) = chapters_after(&album, last) else {
            warn!("subscribe_album_update: chapter {last} is not a chapter of album {album_id}");
            run.notes.push(format!(
                "subscribe_album_update: album {album_id}: chapter {last} not found"
            ));
            continue;
        };
        if new.is_empty() {
            run.notes.push(format!(
                "subscribe_album_update: album {album_id}: no new chapter"
            ));
            continue;
        }
        let ids: Vec<String> = new.iter().map(|c| c.id.to_string()).collect();
        run.notes.push(format!(
            "subscribe_album_update: album {album_id}: {} new chapter(s): {}",
            new.len(),
            ids.join(", ")
        ));
        if let Some(mail) = email.as_ref().filter(|_| !downloader.is_dry_run()) {
            let mail_kw = Kwargs::new("send_qq_email", mail.clone());
            if let Err(f) = super::notify::send(&mail_kw).await {
                let cause = match f {
                    Failure::Invalid(e) => Cause::plugin(e.0),
                    Failure::Failed(c) => c,
                };
                warn!("subscribe_album_update: mail about album {album_id}: {cause}");
                run.failures.push(crate::report::StageFailure {
                    stage: entry.stage_name(),
                    chapter: None,
                    reason: cause,
                    fatal: false,
                });
            }
        }
        let mut complete = true;
        if download {
            let batch = downloader
                .batch(new.iter().map(|c| Target::chapter(c.id)))
                .await;
            complete = batch.all_succeeded();
            run.downloads.push(batch);
        }
        let Some(newest) = new.last().map(|c| c.id) else {
            continue;
        };
        if !write_back || downloader.is_dry_run() {
            continue;
        }
        if !complete {
            info!(
                "subscribe_album_update: album {album_id}: the download is incomplete; the \
                 option file keeps chapter {last} so the next run tries again"
            );
            continue;
        }
        match &downloader.options().source {
            Some(path) => match crate::options::set_plugin_dict_value(
                path,
                &entry.group,
                entry.index,
                "album_photo_dict",
                &album_id.to_string(),
                &newest.to_string(),
            ) {
                Ok(()) => run.notes.push(format!(
                    "subscribe_album_update: {} now says album {album_id}: {newest}",
                    path.display()
                )),
                Err(e) => run.failures.push(crate::report::StageFailure {
                    stage: entry.stage_name(),
                    chapter: None,
                    reason: Cause::plugin(format!(
                        "cannot update the option file ({e}); set album {album_id} to chapter \
                         {newest} by hand"
                    )),
                    fatal: false,
                }),
            },
            None => run.notes.push(format!(
                "subscribe_album_update: album {album_id}: newest chapter {newest} (the options \
                 were not read from a file, so nothing was written back)"
            )),
        }
    }
    Ok(run)
}
