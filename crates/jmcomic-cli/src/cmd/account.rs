//! The commands of a site account: `login`, `logout`, `favorites`, `comments`, `checkin`.
//!
//! The session `login` keeps is read by every later command (and download) through
//! `Options::build_client`; it lives at `client.session_file`, by default in the user's
//! config folder (see `load_options`).

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use futures::TryStreamExt;
use jmcomic::client::{Client, CommentTarget, FavoriteQuery, Order};
use jmcomic::favorites::{DEFAULT_FOLDER_NAME, ExportFormat, FavoriteExportOptions};
use jmcomic::model::{Comment, FavoriteFolder};
use jmcomic::session::SessionFile;
use jmcomic::{Options, Target};
use serde_json::json;

use super::listing::{Listed, collect, show};
use super::{album_of, load_options, site};
use crate::args::{CheckinArgs, CommentsArgs, Common, FavoritesAction, LoginArgs, LogoutArgs};
use crate::ui::{Table, printable};
use crate::{Outcome, UsageError, outln};

/// Where the session is kept, or why there is no such place.
fn session_file(options: &Options) -> Result<SessionFile> {
    match &options.client.session_file {
        Some(p) => Ok(SessionFile::new(p)),
        None => Err(UsageError(
            "there is no config folder to keep the session in: set client.session_file in the \
             option file"
                .to_owned(),
        )
        .into()),
    }
}

/// The `login` plugin's argument `key` in the option file, `${ENV}` expanded.
fn login_plugin_arg(options: &Options, key: &str) -> Option<String> {
    options
        .plugins
        .groups
        .iter()
        .flat_map(|(_, entries)| entries)
        .filter(|e| e.plugin == "login")
        .find_map(|e| {
            e.kwargs
                .get(key)
                .and_then(|v| v.as_str().map(str::to_owned))
        })
        .and_then(|v| jmcomic::options::expand_process_env(&v).ok())
        .filter(|v| !v.trim().is_empty())
}

/// `jmcomic login [USERNAME]`.
pub fn login(args: &LoginArgs) -> Result<Outcome> {
    let options = load_options(&args.common)?;
    crate::logging::init(&args.common, &options, None, None, None, true);
    let file = session_file(&options)?;
    let username = match args
        .username
        .clone()
        .or_else(|| login_plugin_arg(&options, "username"))
    {
        Some(u) => u.trim().to_owned(),
        None => bail!(UsageError(
            "login: no user name: `jmcomic login NAME`, or the `login` plugin's username in the \
             option file"
                .to_owned()
        )),
    };
    let password = password(args, &options, &username)?;
    let (client, runtime) = site(&options)?;
    let user = runtime.block_on(client.login(&username, &password))?;
    drop(password);
    file.save(&client.save_session())?;
    if args.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "user": user,
                "session_file": file.path(),
            }))?
        );
    } else if !args.common.quiet {
        let uid = user.uid.map(|u| format!(" (uid {u})")).unwrap_or_default();
        eprintln!(
            "logged in as {}{uid}; the session is kept in {}",
            printable(&user.username),
            file.path().display()
        );
    }
    Ok(Outcome::Done)
}

/// The password: `--password-stdin`, else `$JM_PASSWORD`, else the option file's `login`
/// plugin, else a prompt on the terminal (never echoed).
fn password(args: &LoginArgs, options: &Options, username: &str) -> Result<String> {
    if args.password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from stdin")?;
        let pw = line.trim_end_matches(['\r', '\n']).to_owned();
        if pw.is_empty() {
            bail!(UsageError(
                "login: the password on stdin is empty".to_owned()
            ));
        }
        return Ok(pw);
    }
    if let Ok(pw) = std::env::var("JM_PASSWORD")
        && !pw.is_empty()
    {
        return Ok(pw);
    }
    if let Some(pw) = login_plugin_arg(options, "password") {
        return Ok(pw);
    }
    if std::io::stdin().is_terminal() {
        let pw = rpassword::prompt_password(format!("password for {username}: "))
            .context("reading the password")?;
        if pw.is_empty() {
            bail!(UsageError("login: the password is empty".to_owned()));
        }
        return Ok(pw);
    }
    bail!(UsageError(
        "login: no password: --password-stdin, $JM_PASSWORD, the `login` plugin's password, \
         or run it on a terminal to be asked"
            .to_owned()
    ))
}

/// `jmcomic logout`.
pub fn logout(args: &LogoutArgs) -> Result<Outcome> {
    let options = load_options(&args.common)?;
    crate::logging::init(&args.common, &options, None, None, None, true);
    let file = session_file(&options)?;
    let removed = file.remove()?;
    if !args.common.quiet {
        if removed {
            eprintln!("logged out: {} removed", file.path().display());
        } else {
            eprintln!("not logged in (no {})", file.path().display());
        }
    }
    Ok(Outcome::Done)
}

/// A client of the logged-in user, or an error saying how to log in.
fn account(common: &Common) -> Result<(Options, Client, super::SiteRuntime)> {
    let options = load_options(common)?;
    crate::logging::init(common, &options, None, None, None, true);
    let (client, runtime) = site(&options)?;
    if !client.is_logged_in() {
        let place = options
            .client
            .session_file
            .as_ref()
            .map(|p| format!(" (no session in {})", p.display()))
            .unwrap_or_default();
        bail!(UsageError(format!(
            "this needs a logged-in account{place}: run `jmcomic login NAME` first"
        )));
    }
    Ok((options, client, runtime))
}

/// A folder named by id or by name, among the account's folders.
async fn find_folder(client: &Client, wanted: &str) -> Result<FavoriteFolder> {
    let first = client.favorites(&FavoriteQuery::new()).await?;
    let folders = first.all_folders(DEFAULT_FOLDER_NAME);
    let wanted = wanted.trim();
    if let Some(f) = folders
        .iter()
        .find(|f| f.id == wanted)
        .or_else(|| folders.iter().find(|f| f.name == wanted))
    {
        return Ok(f.clone());
    }
    let names: Vec<String> = folders
        .iter()
        .map(|f| format!("{} ({})", f.name, f.id))
        .collect();
    bail!(UsageError(format!(
        "--folder: no folder `{wanted}`; the folders are {}",
        names.join(", ")
    )))
}

/// `jmcomic favorites ...`.
pub fn favorites(action: &FavoritesAction) -> Result<Outcome> {
    match action {
        FavoritesAction::List {
            folder,
            order,
            listing,
            common,
        } => {
            let order = match order.trim().to_ascii_lowercase().as_str() {
                "latest" | "mr" => Order::Latest,
                "updated" | "update" | "mp" => Order::MostPictures,
                other => bail!(UsageError(format!(
                    "--order: `{other}` is not latest or updated"
                ))),
            };
            let (options, client, runtime) = account(common)?;
            let (folder, listed): (FavoriteFolder, Listed) = runtime.block_on(async {
                let folder = match folder {
                    Some(f) => find_folder(&client, f).await?,
                    None => FavoriteFolder {
                        id: FavoriteFolder::DEFAULT_ID.to_owned(),
                        name: DEFAULT_FOLDER_NAME.to_owned(),
                    },
                };
                let query = FavoriteQuery::new()
                    .folder(folder.id.clone())
                    .order(order)
                    .page(listing.page.max(1));
                let listed = collect(client.favorite_pages(query), listing, |p| {
                    (p.page, p.total, p.page_count(), p.items.clone(), None)
                })
                .await?;
                Ok::<_, anyhow::Error>((folder, listed))
            })?;
            let describe = json!({
                "command": "favorites list",
                "folder": folder,
                "order": order.as_wire(),
            });
            show(&listed, describe, listing, common, options)
        }
        FavoritesAction::Folders { json, common } => {
            let (_, client, runtime) = account(common)?;
            let page = runtime.block_on(client.favorites(&FavoriteQuery::new()))?;
            let folders = page.all_folders(DEFAULT_FOLDER_NAME);
            if *json {
                outln!("{}", serde_json::to_string_pretty(&folders)?);
            } else {
                let mut t = Table::new(&["ID", "FOLDER"], 1);
                for f in &folders {
                    t.row(&[f.id.clone(), f.name.clone()]);
                }
                t.print();
            }
            Ok(Outcome::Done)
        }
        FavoritesAction::Add {
            ids,
            folder,
            json,
            common,
        } => change(ids, folder.as_deref(), true, *json, common),
        FavoritesAction::Remove { ids, json, common } => change(ids, None, false, *json, common),
        FavoritesAction::Export {
            dir,
            format,
            zip,
            password,
            json,
            common,
        } => export(dir, format, zip.as_ref(), password.clone(), *json, common),
    }
}

/// `favorites add|remove IDS`: each id on its own; failures are listed and make the exit
/// status 1, the others still happen.
fn change(
    ids: &[String],
    folder: Option<&str>,
    add: bool,
    json: bool,
    common: &Common,
) -> Result<Outcome> {
    let targets = super::parse_targets(ids)?;
    let (_, client, runtime) = account(common)?;
    let mut failed = 0;
    runtime.block_on(async {
        let folder_id = match folder {
            Some(f) => Some(find_folder(&client, f).await?.id),
            None => None,
        };
        for t in &targets {
            let result = if add {
                client.add_favorite(t.id, folder_id.as_deref()).await
            } else {
                client.remove_favorite(t.id).await
            };
            match result {
                Ok(c) if json => outln!("{}", serde_json::to_string(&c)?),
                Ok(c) => {
                    let what = match (add, c.changed) {
                        (true, true) => "added to the favourites",
                        (true, false) => "was already in the favourites",
                        (false, true) => "removed from the favourites",
                        (false, false) => "was not in the favourites",
                    };
                    outln!("JM{} {what}", c.album);
                }
                Err(e) => {
                    failed += 1;
                    if json {
                        outln!("{}", json!({"album": t.id, "error": e.to_string()}));
                    }
                    eprintln!("error: JM{}: {}", t.id, printable(&e.to_string()));
                }
            }
        }
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(if failed > 0 {
        Outcome::Failures
    } else {
        Outcome::Done
    })
}

fn export(
    dir: &std::path::Path,
    format: &str,
    zip: Option<&PathBuf>,
    password: Option<String>,
    json: bool,
    common: &Common,
) -> Result<Outcome> {
    let Some(format) = ExportFormat::parse(format) else {
        bail!(UsageError(format!(
            "--format: `{format}` is not csv or json"
        )));
    };
    let (_, client, runtime) = account(common)?;
    let mut opts = FavoriteExportOptions::new(dir).format(format);
    if let Some(z) = zip {
        opts = opts.zip(z, password);
    }
    let done = runtime.block_on(jmcomic::favorites::export_favorites(&client, &opts))?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&done)?);
    } else {
        for f in &done.folders {
            if let Some(p) = &f.path {
                outln!("{}  {} album(s)", p.display(), f.albums);
            } else {
                outln!(
                    "({} {}: empty, no file)",
                    f.folder.id,
                    printable(&f.folder.name)
                );
            }
        }
        if let Some(z) = &done.zip {
            outln!("{}", z.display());
        }
    }
    Ok(Outcome::Done)
}

/// `jmcomic comments ID` / `--forum`.
pub fn comments(args: &CommentsArgs) -> Result<Outcome> {
    let target = match &args.id {
        Some(id) => Some(Target::parse(id).map_err(|e| UsageError(e.to_string()))?),
        None => None,
    };
    let options = load_options(&args.common)?;
    crate::logging::init(&args.common, &options, None, None, None, true);
    let (client, runtime) = site(&options)?;
    let pages = runtime.block_on(async {
        let which = match target {
            Some(t) => CommentTarget::Album(album_of(&client, t).await?.id),
            None => CommentTarget::Forum,
        };
        let stream = client.comment_pages(which, args.page.max(1));
        if args.all {
            stream.try_collect::<Vec<_>>().await
        } else {
            let mut s = std::pin::pin!(stream);
            Ok(s.try_next().await?.into_iter().collect())
        }
    })?;
    let comments: Vec<&Comment> = pages.iter().flat_map(|p| &p.comments).collect();
    if args.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "album": target.map(|t| t.id),
                "pages": pages.iter().map(|p| p.page).collect::<Vec<_>>(),
                "total": pages.first().and_then(|p| p.total),
                "comments": comments,
            }))?
        );
        return Ok(Outcome::Done);
    }
    for c in &comments {
        print_comment(c, 0);
    }
    if !args.common.quiet {
        let total = pages
            .first()
            .and_then(|p| p.total)
            .map(|t| format!(", {t} in all"))
            .unwrap_or_default();
        eprintln!("{} comment(s) shown{total}", comments.len());
    }
    Ok(Outcome::Done)
}

/// A comment, its replies indented under it.
fn print_comment(c: &Comment, depth: usize) {
    let indent = "  ".repeat(depth);
    let when = if c.created_at.is_empty() {
        String::new()
    } else {
        format!("  {}", c.created_at)
    };
    outln!("{indent}{}{when}", printable(&c.to_string()));
    for r in &c.replies {
        print_comment(r, depth + 1);
    }
}

/// `jmcomic checkin`.
pub fn checkin(args: &CheckinArgs) -> Result<Outcome> {
    let (_, client, runtime) = account(&args.common)?;
    let (done, event) = runtime.block_on(async {
        let done = client.check_in().await?;
        // What the event looks like after the check-in; not worth failing over.
        let event = client.daily().await.ok();
        Ok::<_, jmcomic::client::Error>((done, event))
    })?;
    if args.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "new": done.new,
                "message": done.message,
                "event": event,
            }))?
        );
    } else {
        let head = if done.new {
            "checked in"
        } else {
            "already checked in today"
        };
        outln!("{head}: {}", printable(&done.message));
        if let Some(e) = event {
            let signed = e.days.iter().filter(|d| d.signed).count();
            outln!(
                "{}: {signed} of {} day(s) signed",
                printable(&e.name),
                e.days.len()
            );
        }
    }
    Ok(Outcome::Done)
}
