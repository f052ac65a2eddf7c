//! The commands, one module each; what they share: loading options, reading ids.

pub mod archive;
pub mod config;
pub mod demo;
pub mod download;
pub mod plugins;

use anyhow::Result;
use jmcomic::{Options, Target};

use crate::UsageError;
use crate::args::Common;

/// Options from `--option`, else `$JM_OPTION_PATH`, else the defaults (spec §8.5).
pub fn load_options(common: &Common) -> Result<Options> {
    let path = match &common.option {
        Some(p) => Some(p.clone()),
        None => std::env::var_os(jmcomic::options::OPTION_PATH_ENV)
            .filter(|v| !v.is_empty())
            .map(Into::into),
    };
    match path {
        Some(p) => Ok(Options::from_file(&p)?),
        None => Ok(Options::default()),
    }
}

pub fn parse_targets(ids: &[String]) -> Result<Vec<Target>> {
    let mut targets = Vec::new();
    let mut bad = Vec::new();
    for id in ids {
        match Target::parse(id) {
            Ok(t) => targets.push(t),
            Err(e) => bad.push(e.to_string()),
        }
    }
    if !bad.is_empty() {
        // One line each (the error printer puts `error: ` before every line).
        return Err(UsageError(bad.join("\n")).into());
    }
    Ok(targets)
}
