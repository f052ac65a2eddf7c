//! The commands, one module each; what they share: loading options, reading ids.

pub mod archive;
pub mod config;
pub mod demo;
pub mod download;
pub mod plugins;

use anyhow::Result;
use jmcomic::options::{OPTION_PATH_ENV, OptionLookup};
use jmcomic::{Options, Target};

use crate::UsageError;
use crate::args::Common;

/// Options from `--option`, else `$JM_OPTION_PATH`, else the defaults (as the Python
/// `jmcomic` command does).
// Spec §8.5.
pub fn load_options(common: &Common) -> Result<Options> {
    let lookup = OptionLookup::new("--option", OPTION_PATH_ENV)
        .flag_value(common.option.clone())
        .var_from_env();
    Ok(lookup.load()?)
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

#[cfg(test)]
mod tests {
    #[test]
    fn typos_of_commands_are_suggested() {
        assert_eq!(super::nearest_command("confg"), Some("config"));
        assert_eq!(super::nearest_command("pluguns"), Some("plugins"));
        assert_eq!(super::nearest_command("archve"), Some("archive"));
        assert_eq!(super::nearest_command("xyz"), None);
        assert_eq!(super::nearest_command("JM123"), None);
    }
}
