//! The `jmcomic` command: a thin layer over the `jmcomic` library.
//!
//! One module per command (`cmd/`), one place that decides how things are shown (`ui/`:
//! bars on a terminal, plain lines without one, JSON for bots), and one place that decides
//! exit statuses ([`exit_code`]).

mod args;
mod cmd;
mod logging;
mod ui;

use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;

use crate::args::{Cli, Command, ConfigAction};

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything asked for is on disk.
    Done,
    /// Some pages, chapters or targets failed (they were listed).
    Failures,
    /// Ctrl-C.
    Interrupted,
}

/// An error that is the user's to fix (bad id, bad option file): exit status 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Config {
            action: ConfigAction::Show { common },
        }) => cmd::config::show(&common),
        Some(Command::Demo(args)) => cmd::demo::run(&args),
        Some(Command::Plugins { action }) => cmd::plugins::run(&action),
        Some(Command::Archive { action }) => cmd::archive::run(&action),
        None => cmd::download::run(&cli.download),
    };
    ExitCode::from(exit_code(&result))
}

/// The one place exit statuses are decided: 0 done, 1 failures, 2 usage or option errors,
/// 130 interrupted.
fn exit_code(result: &Result<Outcome>) -> u8 {
    match result {
        Ok(Outcome::Done) => 0,
        Ok(Outcome::Failures) => 1,
        Ok(Outcome::Interrupted) => 130,
        Err(e) => {
            // Each line of a message on its own line (several bad ids, several option-file
            // mistakes), each made safe for a terminal.
            for line in chain(e).lines() {
                eprintln!("error: {}", ui::printable(line));
            }
            let usage = e.downcast_ref::<UsageError>().is_some()
                || e.downcast_ref::<jmcomic::Error>()
                    .is_some_and(jmcomic::Error::is_usage)
                || e.downcast_ref::<jmcomic::options::OptionError>().is_some();
            if usage { 2 } else { 1 }
        }
    }
}

fn chain(e: &anyhow::Error) -> String {
    let mut parts = vec![e.to_string()];
    for cause in e.chain().skip(1) {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}
