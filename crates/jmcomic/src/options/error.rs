//! Errors of loading an option file.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::dir_rule::DirRuleError;

/// Why an option file could not be loaded.
///
/// Every message starts with where the problem is (`option.yml:12: ` — the file when there
/// is one, the line when the parser knows it), then the key path and what was expected:
///
/// ```text
/// option.yml:12: download.threading.image: expected a positive integer, got "abc"
/// option.yml:3: unknown key dir_rule.rulle (did you mean `rule`?)
/// ```
///
/// Values under secret-looking keys (cookies, passwords, tokens) are never shown.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OptionError {
    /// The file could not be read.
    #[error("cannot read option file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The text is not valid YAML or JSON.
    #[error("{}malformed {format}: {message}", at_col(file.as_deref(), *line, *column))]
    Syntax {
        /// The file, if loaded from one.
        file: Option<PathBuf>,
        /// `YAML` or `JSON`.
        format: &'static str,
        /// 1-based line, if known.
        line: Option<u32>,
        /// 1-based column, if known.
        column: Option<u32>,
        /// The parser's message.
        message: String,
    },
    /// A key the schema does not have.
    #[error("{}unknown key {key}{}", at(file.as_deref(), *line), unknown_hint(suggestion.as_deref(), known))]
    UnknownKey {
        /// The file, if loaded from one.
        file: Option<PathBuf>,
        /// Line of the key.
        line: Option<u32>,
        /// Full key path, e.g. `dir_rule.rulle`.
        key: String,
        /// The nearest known key at that level, if one is close.
        suggestion: Option<String>,
        /// The keys known at that level.
        known: Vec<String>,
    },
    /// A value of the wrong type or out of range.
    #[error("{}{key}: expected {expected}, got {got}", at(file.as_deref(), *line))]
    Invalid {
        /// The file, if loaded from one.
        file: Option<PathBuf>,
        /// Line of the value.
        line: Option<u32>,
        /// Full key path, e.g. `download.threading.image`.
        key: String,
        /// What the key accepts.
        expected: String,
        /// What was found (redacted under secret keys).
        got: String,
    },
    /// `${NAME}` names an environment variable that is not set.
    #[error(
        "{}{key}: environment variable `{var}` is not set (the value uses `${{{var}}}`)",
        at(file.as_deref(), *line)
    )]
    MissingEnv {
        /// The file, if loaded from one.
        file: Option<PathBuf>,
        /// Line of the value.
        line: Option<u32>,
        /// Full key path.
        key: String,
        /// The variable.
        var: String,
    },
    /// `dir_rule.rule` does not parse.
    #[error("{}{key}: {source}", at(file.as_deref(), *line))]
    DirRule {
        /// The file, if loaded from one.
        file: Option<PathBuf>,
        /// Line of the rule.
        line: Option<u32>,
        /// `dir_rule.rule`.
        key: String,
        /// What is wrong with the rule (boxed: it is the largest variant).
        #[source]
        source: Box<DirRuleError>,
    },
    /// [`super::Options::from_env`] was asked for a variable that is unset or empty.
    #[error(
        "environment variable `{var}` is not set: set it to the path of an option file \
         (e.g. `{var}=/path/to/option.yml`)"
    )]
    PathVarUnset {
        /// The variable.
        var: String,
    },
}

fn at(file: Option<&Path>, line: Option<u32>) -> String {
    match (file, line) {
        (Some(f), Some(l)) => format!("{}:{l}: ", f.display()),
        (Some(f), None) => format!("{}: ", f.display()),
        (None, Some(l)) => format!("line {l}: "),
        (None, None) => String::new(),
    }
}

fn at_col(file: Option<&Path>, line: Option<u32>, column: Option<u32>) -> String {
    match (file, line, column) {
        (Some(f), Some(l), Some(c)) => format!("{}:{l}:{c}: ", f.display()),
        (None, Some(l), Some(c)) => format!("line {l}, column {c}: "),
        _ => at(file, line),
    }
}

fn unknown_hint(suggestion: Option<&str>, known: &[String]) -> String {
    let mut s = String::new();
    if let Some(sug) = suggestion {
        let _ = write!(s, " (did you mean `{sug}`?)");
    } else if !known.is_empty() {
        let _ = write!(s, " (known keys: {})", known.join(", "));
    }
    s
}

impl OptionError {
    /// Attaches the file the error is about.
    pub(crate) fn in_file(mut self, path: &Path) -> Self {
        match &mut self {
            OptionError::Syntax { file, .. }
            | OptionError::UnknownKey { file, .. }
            | OptionError::Invalid { file, .. }
            | OptionError::MissingEnv { file, .. }
            | OptionError::DirRule { file, .. } => *file = Some(path.to_path_buf()),
            OptionError::Read { .. } | OptionError::PathVarUnset { .. } => {}
        }
        self
    }

    /// The file the error is about, if any.
    pub fn file(&self) -> Option<&Path> {
        match self {
            OptionError::Read { path, .. } => Some(path),
            OptionError::Syntax { file, .. }
            | OptionError::UnknownKey { file, .. }
            | OptionError::Invalid { file, .. }
            | OptionError::MissingEnv { file, .. }
            | OptionError::DirRule { file, .. } => file.as_deref(),
            OptionError::PathVarUnset { .. } => None,
        }
    }

    /// The 1-based line the error is about, if known.
    pub fn line(&self) -> Option<u32> {
        match self {
            OptionError::Syntax { line, .. }
            | OptionError::UnknownKey { line, .. }
            | OptionError::Invalid { line, .. }
            | OptionError::MissingEnv { line, .. }
            | OptionError::DirRule { line, .. } => *line,
            OptionError::Read { .. } | OptionError::PathVarUnset { .. } => None,
        }
    }

    /// The key path the error is about (`download.threading.image`), if any.
    pub fn key(&self) -> Option<&str> {
        match self {
            OptionError::UnknownKey { key, .. }
            | OptionError::Invalid { key, .. }
            | OptionError::MissingEnv { key, .. }
            | OptionError::DirRule { key, .. } => Some(key),
            _ => None,
        }
    }
}
