//! The commands, one module each; what they share: loading options, reading ids.

pub mod account;
pub mod archive;
pub mod config;
pub mod cover;
pub mod demo;
pub mod doctor;
pub mod download;
pub mod listing;
pub mod plugins;
pub mod show;

use anyhow::Result;
use jmcomic::options::{OPTION_PATH_ENV, OptionLookup};
use jmcomic::{Options, Target};

use crate::UsageError;
use crate::args::Common;

/// Options from `--option`, else `$JM_OPTION_PATH`, else the defaults (as the Python
/// `jmcomic` command does). Without `client.session_file`, the session `jmcomic login`
/// keeps is in the user's config folder, so every command finds it.
// Spec §8.5.
pub fn load_options(common: &Common) -> Result<Options> {
    let lookup = OptionLookup::new("--option", OPTION_PATH_ENV)
        .flag_value(common.option.clone())
        .var_from_env();
    let mut options = lookup.load()?;
    if options.client.session_file.is_none() {
        options.client.session_file = jmcomic::session::default_session_file();
    }
    Ok(options)
}

pub fn parse_targets(ids: &[String]) -> Result<Vec<Target>> {
    let mut targets = Vec::new();
    let mut bad = Vec::new();
    for id in ids {
        match Target::parse(id) {
            Ok(t) => targets.push(t),
            Err(e) => bad.push(match nearest_command(id) {
                Some(cmd) => {
                    format!("`{id}` is neither an id nor a command (did you mean `jmcomic {cmd}`?)")
                }
                None => e.to_string(),
            }),
        }
    }
    if !bad.is_empty() {
        // One line each (the error printer puts `error: ` before every line).
        return Err(UsageError(bad.join("\n")).into());
    }
    Ok(targets)
}

/// The subcommand `word` is probably a typo of, if any (`confg` → `config`).
fn nearest_command(word: &str) -> Option<&'static str> {
    if !word.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let w = word.to_ascii_lowercase();
    crate::COMMANDS
        .iter()
        .filter(|c| **c != "help")
        .map(|c| (strsim::damerau_levenshtein(&w, c), *c))
        .filter(|(d, c)| *d <= (c.len() / 3).max(1))
        .min()
        .map(|(_, c)| c)
}

/// A client built from the options, and a runtime to drive it, for the commands that ask
/// the site something without downloading. When the command is over (the runtime is
/// dropped), what the client learnt about the domains is kept for the next run.
pub fn site(options: &Options) -> Result<(jmcomic::client::Client, SiteRuntime)> {
    let client = options.build_client()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("jmcomic")
        .build()?;
    let keep = Some((options.clone(), client.clone()));
    Ok((client, SiteRuntime { runtime, keep }))
}

/// The runtime of [`site`]: a tokio runtime that, when dropped at the end of the command,
/// saves the client's remembered domains (`client.state_file`).
pub struct SiteRuntime {
    runtime: tokio::runtime::Runtime,
    keep: Option<(Options, jmcomic::client::Client)>,
}

impl std::ops::Deref for SiteRuntime {
    type Target = tokio::runtime::Runtime;

    fn deref(&self) -> &Self::Target {
        &self.runtime
    }
}

impl Drop for SiteRuntime {
    fn drop(&mut self) {
        if let Some((options, client)) = self.keep.take() {
            save_state(&options, &client);
        }
    }
}

/// Keeps what `client` learnt about the domains; a failure only costs the next run a
/// slower start, so it is a warning.
pub fn save_state(options: &Options, client: &jmcomic::client::Client) {
    if let Err(e) = options.save_state(client) {
        tracing::warn!("{e}; the next run starts from the first domain again");
    }
}

/// The album an id names: the album itself, or a chapter's album.
pub async fn album_of(
    client: &jmcomic::client::Client,
    target: Target,
) -> Result<jmcomic::model::Album, jmcomic::client::Error> {
    match target.kind {
        jmcomic::Kind::Album => client.album(target.id).await,
        jmcomic::Kind::Chapter => {
            let chapter = client.chapter(target.id).await?;
            client.album(chapter.album_id).await
        }
    }
}

/// Ids in any JSON: numbers, id strings (`"123"`, `"JM123"`, `"p456"`, URLs), objects with
/// an `id` (a chapter when its `kind` says so), arrays and objects holding those, in order,
/// each once. Used by `--from-json` to download what another command listed.
pub fn targets_in_json(v: &serde_json::Value) -> Vec<Target> {
    fn walk(v: &serde_json::Value, out: &mut Vec<Target>) {
        use serde_json::Value;
        match v {
            Value::Number(n) => {
                if let Some(t) = n.as_u64().and_then(|n| Target::parse(&n.to_string()).ok()) {
                    out.push(t);
                }
            }
            Value::String(s) => out.extend(Target::parse(s).ok()),
            Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            Value::Object(m) => {
                let id = m.get("id");
                // A chapter: said by `kind`, or an entity with its album's id beside its own.
                let chapter = m
                    .get("kind")
                    .and_then(Value::as_str)
                    .is_some_and(|k| k == "chapter" || k == "photo")
                    || m.get("album_id").is_some_and(|a| Some(a) != id);
                match id.and_then(|i| match i {
                    Value::Number(n) => n.as_u64().map(|n| n.to_string()),
                    Value::String(s) => Some(s.clone()),
                    _ => None,
                }) {
                    Some(text) => {
                        let text = if chapter && !text.starts_with(['p', 'P']) {
                            format!("p{text}")
                        } else {
                            text
                        };
                        out.extend(Target::parse(&text).ok());
                    }
                    None => {
                        // A wrapper (`{"items": [...]}`, a report): its values, in order.
                        for key in ["album", "items", "albums", "results", "target", "targets"] {
                            if let Some(inner) = m.get(key) {
                                walk(inner, out);
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(v, &mut out);
    let mut seen = std::collections::HashSet::new();
    out.retain(|t| seen.insert(*t));
    out
}

#[cfg(test)]
mod tests {
    use jmcomic::{JmId, Target};

    #[test]
    fn ids_are_found_in_any_json() {
        let v = serde_json::json!({
            "items": [
                {"id": 123, "name": "a"},
                {"id": "JM456"},
                {"id": 789, "kind": "chapter"},
                {"album": {"id": 11, "name": "x"}, "chapters": [{"id": 12, "album_id": 11}]},
                {"id": 13, "album_id": 11},
                "p1000",
                2000,
                {"id": 123}
            ]
        });
        assert_eq!(
            super::targets_in_json(&v),
            [
                Target::album(JmId::new(123)),
                Target::album(JmId::new(456)),
                Target::chapter(JmId::new(789)),
                Target::album(JmId::new(11)),
                Target::chapter(JmId::new(13)),
                Target::chapter(JmId::new(1000)),
                Target::album(JmId::new(2000)),
            ]
        );
    }

    #[test]
    fn typos_of_commands_are_suggested() {
        assert_eq!(super::nearest_command("confg"), Some("config"));
        assert_eq!(super::nearest_command("pluguns"), Some("plugins"));
        assert_eq!(super::nearest_command("archve"), Some("archive"));
        assert_eq!(super::nearest_command("xyz"), None);
        assert_eq!(super::nearest_command("JM123"), None);
    }
}
