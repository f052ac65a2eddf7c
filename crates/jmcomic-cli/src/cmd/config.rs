//! `jmcomic config show`.

use anyhow::Result;

use super::load_options;
use crate::Outcome;
use crate::args::Common;

/// Prints the effective options as YAML.
pub fn show(common: &Common) -> Result<Outcome> {
    let options = load_options(common)?;
    crate::out!("{}", options.to_yaml());
    Ok(Outcome::Done)
}
