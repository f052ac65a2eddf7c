//! Errors of loading an option file.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::origin::Via;
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
/// A file with several mistakes gives one [`OptionError::Many`] listing all of them, one a
/// line, in line order ([`OptionError::problems`] iterates them):
///
/// ```text
/// option.yml: 2 mistakes:
///   option.yml:3: unknown key dir_rule.rulle (did you mean `rule`?)
///   option.yml:12: download.threading.image: expected a positive integer, got "abc"
/// ```
///
/// A file that does not parse gives its one syntax error. When a program's flag or
/// environment variable named the file ([`super::OptionLookup`]), the error says which:
/// `... (from --option)` ([`OptionError::Named`]).
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
    /// Several mistakes in one file or text, sorted by line (those without a line last).
    /// Each is one of the single-problem variants above; there are always at least two.
    #[error("{}", many(file.as_deref(), problems, None))]
    Many {
        /// The file, if loaded from one.
        file: Option<PathBuf>,
        /// The mistakes, in line order.
        problems: Vec<OptionError>,
    },
    /// An error of an option file that a program's flag or environment variable named
    /// (`--option`, `JM_OPTION_PATH`): the first line of the message ends by saying which,
    /// `(from --option)` (before the colon of a list of mistakes).
    #[error("{}", named(via, error))]
    Named {
        /// What named the file.
        via: Via,
        /// The error of the file (boxed: the enum would be recursive).
        error: Box<OptionError>,
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

/// `option.yml: 3 mistakes (from --option):` and one problem a line below it.
fn many(file: Option<&Path>, problems: &[OptionError], via: Option<&Via>) -> String {
    let mut s = match file {
        Some(f) => format!("{}: {} mistakes", f.display(), problems.len()),
        None => format!("{} mistakes", problems.len()),
    };
    if let Some(v) = via {
        let _ = write!(s, " (from {v})");
    }
    s.push(':');
    for p in problems {
        let _ = write!(s, "\n  {p}");
    }
    s
}

fn named(via: &Via, error: &OptionError) -> String {
    match error {
        OptionError::Many { file, problems } => many(file.as_deref(), problems, Some(via)),
        other => format!("{other} (from {via})"),
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
    pub(crate) fn in_file(self, path: &Path) -> Self {
        match self {
            OptionError::Many { problems, .. } => OptionError::Many {
                file: Some(path.to_path_buf()),
                problems: problems.into_iter().map(|p| p.in_file(path)).collect(),
            },
            OptionError::Named { via, error } => OptionError::Named {
                via,
                error: Box::new(error.in_file(path)),
            },
            mut single => {
                match &mut single {
                    OptionError::Syntax { file, .. }
                    | OptionError::UnknownKey { file, .. }
                    | OptionError::Invalid { file, .. }
                    | OptionError::MissingEnv { file, .. }
                    | OptionError::DirRule { file, .. } => *file = Some(path.to_path_buf()),
                    _ => {}
                }
                single
            }
        }
    }

    /// Says that `via` named the file, unless the program itself did (then there is nothing
    /// to add).
    pub(crate) fn named_by(self, via: Via) -> Self {
        match via {
            Via::Program => self,
            via => OptionError::Named {
                via,
                error: Box::new(self),
            },
        }
    }

    /// One error for the mistakes found, sorted by line (a stable sort: mistakes on one line
    /// keep the order they were found in); `None` if there are none.
    pub(crate) fn from_problems(mut problems: Vec<OptionError>) -> Option<OptionError> {
        problems.sort_by_key(|p| (p.line().is_none(), p.line()));
        match problems.len() {
            0 => None,
            // One mistake keeps its own message.
            1 => problems.pop(),
            _ => Some(OptionError::Many {
                file: None,
                problems,
            }),
        }
    }

    /// Every mistake this error reports: the list of [`OptionError::Many`] (also inside
    /// [`OptionError::Named`]), else the error itself.
    pub fn problems(&self) -> &[OptionError] {
        match self {
            OptionError::Many { problems, .. } => problems,
            OptionError::Named { error, .. } => error.problems(),
            other => std::slice::from_ref(other),
        }
    }

    /// What named the file (`--option`, `JM_OPTION_PATH`), when a program's lookup did.
    pub fn via(&self) -> Option<&Via> {
        match self {
            OptionError::Named { via, .. } => Some(via),
            _ => None,
        }
    }

    /// The file the error is about, if any.
    pub fn file(&self) -> Option<&Path> {
        match self {
            OptionError::Named { error, .. } => error.file(),
            OptionError::Many { file, .. } => file.as_deref(),
            OptionError::Read { path, .. } => Some(path),
            OptionError::Syntax { file, .. }
            | OptionError::UnknownKey { file, .. }
            | OptionError::Invalid { file, .. }
            | OptionError::MissingEnv { file, .. }
            | OptionError::DirRule { file, .. } => file.as_deref(),
            OptionError::PathVarUnset { .. } => None,
        }
    }

    /// The 1-based line the error is about, if known (for several mistakes, the first's).
    pub fn line(&self) -> Option<u32> {
        match self {
            OptionError::Many { .. } | OptionError::Named { .. } => {
                self.problems().first().and_then(OptionError::line)
            }
            OptionError::Syntax { line, .. }
            | OptionError::UnknownKey { line, .. }
            | OptionError::Invalid { line, .. }
            | OptionError::MissingEnv { line, .. }
            | OptionError::DirRule { line, .. } => *line,
            OptionError::Read { .. } | OptionError::PathVarUnset { .. } => None,
        }
    }

    /// The key path the error is about (`download.threading.image`), if any (for several
    /// mistakes, the first's).
    pub fn key(&self) -> Option<&str> {
        match self {
            OptionError::Many { .. } | OptionError::Named { .. } => {
                self.problems().first().and_then(OptionError::key)
            }
            OptionError::UnknownKey { key, .. }
            | OptionError::Invalid { key, .. }
            | OptionError::MissingEnv { key, .. }
            | OptionError::DirRule { key, .. } => Some(key),
            _ => None,
        }
    }
}

/// The mistakes found while reading and resolving a file: each check records its mistake
/// here and goes on with the default, so one load reports every mistake it can find.
///
/// Shared by reference between the readers of a load (a `RefCell`, so the closures that read
/// values can record without threading `&mut` through every helper).
#[derive(Debug, Default)]
pub(crate) struct Problems(RefCell<Vec<OptionError>>);

impl Problems {
    /// Records a mistake.
    pub fn push(&self, e: OptionError) {
        self.0.borrow_mut().push(e);
    }

    /// The value, or `None` after recording the mistake.
    pub fn ok<T>(&self, r: Result<T, OptionError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.push(e);
                None
            }
        }
    }

    /// `value` if nothing was recorded, else every mistake in one error.
    pub fn finish<T>(self, value: T) -> Result<T, OptionError> {
        match OptionError::from_problems(self.0.into_inner()) {
            None => Ok(value),
            Some(e) => Err(e),
        }
    }
}
