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

/// The subcommands, for putting global flags in their place and for suggestions.
pub const COMMANDS: [&str; 15] = [
    "config",
    "demo",
    "plugins",
    "archive",
    "show",
    "cover",
    "search",
    "rank",
    "login",
    "logout",
    "favorites",
    "comments",
    "checkin",
    "doctor",
    "help",
];

/// `jmcomic --option o.yml config show` means `jmcomic config show --option o.yml`: the
/// global flags (`--option`, `-q`, `-v`) may come before a subcommand, as users type them
/// (clap would take the subcommand's name for an id there).
fn normalize_args(args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let mut i = 1;
    while let Some(a) = args.get(i).and_then(|a| a.to_str()) {
        match a {
            "--option" => i += 2,
            "-q" | "--quiet" | "--verbose" => i += 1,
            _ if a.starts_with("--option=") => i += 1,
            _ if a.len() > 1 && a.starts_with('-') && a[1..].chars().all(|c| c == 'v') => i += 1,
            _ => break,
        }
    }
    match args.get(i).and_then(|a| a.to_str()) {
        Some(sub) if i > 1 && COMMANDS.contains(&sub) => {
            let mut out = vec![args[0].clone(), args[i].clone()];
            out.extend(args[1..i].iter().cloned());
            out.extend(args[i + 1..].iter().cloned());
            out
        }
        _ => args,
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse_from(normalize_args(std::env::args_os().collect()));
    let result = match cli.command {
        Some(Command::Config {
            action: ConfigAction::Show { common },
        }) => cmd::config::show(&common),
        Some(Command::Demo(args)) => cmd::demo::run(&args),
        Some(Command::Plugins { action }) => cmd::plugins::run(&action),
        Some(Command::Archive { action }) => cmd::archive::run(&action),
        Some(Command::Show(args)) => cmd::show::run(&args),
        Some(Command::Cover(args)) => cmd::cover::run(&args),
        Some(Command::Search(args)) => cmd::listing::search(&args),
        Some(Command::Rank(args)) => cmd::listing::rank(&args),
        Some(Command::Login(args)) => cmd::account::login(&args),
        Some(Command::Logout(args)) => cmd::account::logout(&args),
        Some(Command::Favorites { action }) => cmd::account::favorites(&action),
        Some(Command::Comments(args)) => cmd::account::comments(&args),
        Some(Command::Checkin(args)) => cmd::account::checkin(&args),
        Some(Command::Doctor(args)) => cmd::doctor::run(&args),
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
            // Each line of a message on its own line, made safe for a terminal: several bad
            // ids are several errors; an option file's mistakes are one error (a header)
            // with a line each.
            let text = chain(e);
            let many_mistakes = e
                .downcast_ref::<jmcomic::options::OptionError>()
                .or_else(|| match e.downcast_ref::<jmcomic::Error>() {
                    Some(jmcomic::Error::Options(o)) => Some(o.as_ref()),
                    _ => None,
                })
                .is_some_and(|o| o.problems().len() > 1);
            for (i, line) in text.lines().enumerate() {
                if i == 0 || !many_mistakes {
                    eprintln!("error: {}", ui::printable(line));
                } else {
                    eprintln!("{}", ui::printable(line));
                }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &[&str]) -> Vec<String> {
        normalize_args(s.iter().map(std::ffi::OsString::from).collect())
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect()
    }

    #[test]
    fn global_flags_may_come_before_a_subcommand() {
        assert_eq!(
            args(&["jmcomic", "--option", "o.yml", "-vv", "config", "show"]),
            ["jmcomic", "config", "--option", "o.yml", "-vv", "show"]
        );
        assert_eq!(
            args(&["jmcomic", "-q", "--option=o.yml", "archive", "list"]),
            ["jmcomic", "archive", "-q", "--option=o.yml", "list"]
        );
        // Ids stay ids, and flags after them stay where they are.
        assert_eq!(
            args(&["jmcomic", "--option", "o.yml", "123", "config"]),
            ["jmcomic", "--option", "o.yml", "123", "config"]
        );
        assert_eq!(
            args(&["jmcomic", "config", "show"]),
            ["jmcomic", "config", "show"]
        );
    }
}
