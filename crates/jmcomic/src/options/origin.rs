//! Where options came from: a file and what named it, or the defaults and why.
//!
//! The library cannot know a program's flags; [`OptionLookup`] is told the flag's name and
//! value and the environment variable's, and does the search the Python package's command
//! does: the flag, else the variable, else the built-in defaults. What it found
//! is kept in [`Options::origin`] (for `config show`) and in the errors of the file (`...
//! (from --option)`).

// Spec §8.5.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

use super::{EnvLookup, OptionError, Options, process_env};

/// What named an option file.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Via {
    /// The program, by calling [`Options::from_file`].
    Program,
    /// A command-line flag, by name (`--option`).
    Flag(String),
    /// An environment variable, by name (`JM_OPTION_PATH`).
    Env(String),
}

impl fmt::Display for Via {
    /// The flag or variable (`--option`, `JM_OPTION_PATH`), or `the program`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Via::Program => f.write_str("the program"),
            Via::Flag(name) | Via::Env(name) => f.write_str(name),
        }
    }
}

/// Where a set of options came from ([`Options::origin`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// Built by the program without a file: [`Options::default`], or text given to
    /// [`Options::from_yaml_str`] and its siblings. (One value for both, so an empty text
    /// gives options equal to the defaults.)
    #[default]
    Program,
    /// Read from the file [`Options::source`], which `Via` named.
    File(Via),
    /// The built-in defaults, because the lookup named no file (no flag and the variable
    /// unset, or the flag given as `''`).
    Defaults(OptionLookup),
}

impl fmt::Display for Origin {
    /// Where the options came from, without the file's path (`built-in defaults (no
    /// --option, JM_OPTION_PATH unset)`, `options from a file (--option)`); `config show`
    /// puts the path in ([`Options::to_yaml`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Program => f.write_str("options given by the program, not read from a file"),
            Origin::File(Via::Program) => f.write_str("options from a file"),
            Origin::File(via) => write!(f, "options from a file ({via})"),
            Origin::Defaults(lookup) => write!(f, "built-in defaults ({})", lookup.why_none()),
        }
    }
}

/// A program's search for its option file (as the Python package's command
/// does it): the flag's path if the flag was given, else the environment variable's if it
/// is set and not empty, else the built-in defaults. A flag given as `''` means the
/// defaults, whatever the variable says (Python: `--option ''`).
///
/// ```
/// use jmcomic::options::{OptionLookup, Origin, Via};
///
/// let lookup = OptionLookup::new("--option", "JM_OPTION_PATH")
///     .flag_value(Some("".into()))
///     .var_value(Some("/etc/jm/option.yml".into()));
/// assert_eq!(lookup.file(), None); // `--option ''`: the defaults
/// let options = lookup.load()?;
/// assert!(matches!(options.origin, Origin::Defaults(_)));
/// assert!(options.to_yaml().starts_with("# built-in defaults (--option '')\n"));
///
/// let lookup = OptionLookup::new("--option", "JM_OPTION_PATH")
///     .var_value(Some("/etc/jm/option.yml".into()));
/// assert_eq!(
///     lookup.file(),
///     Some(("/etc/jm/option.yml".into(), Via::Env("JM_OPTION_PATH".into())))
/// );
/// # Ok::<(), jmcomic::options::OptionError>(())
/// ```
// Spec §8.5.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptionLookup {
    flag: String,
    flag_value: Option<PathBuf>,
    var: String,
    var_value: Option<OsString>,
}

impl OptionLookup {
    /// A search by flag `flag` (`--option`), then environment variable `var`
    /// (`JM_OPTION_PATH`, [`super::OPTION_PATH_ENV`]). Neither has a value yet: set them
    /// with [`Self::flag_value`] and [`Self::var_value`] or [`Self::var_from_env`].
    pub fn new(flag: impl Into<String>, var: impl Into<String>) -> OptionLookup {
        OptionLookup {
            flag: flag.into(),
            flag_value: None,
            var: var.into(),
            var_value: None,
        }
    }

    /// The flag's value as the program parsed it: `None` when the flag was not given,
    /// an empty path for `--option ''` (the defaults).
    #[must_use]
    pub fn flag_value(mut self, value: Option<PathBuf>) -> OptionLookup {
        self.flag_value = value;
        self
    }

    /// The variable's value: `None` when it is unset.
    #[must_use]
    pub fn var_value(mut self, value: Option<OsString>) -> OptionLookup {
        self.var_value = value;
        self
    }

    /// The variable's value read from the process environment now.
    #[must_use]
    pub fn var_from_env(self) -> OptionLookup {
        let value = std::env::var_os(&self.var);
        self.var_value(value)
    }

    /// The file to load and what named it, or `None` for the built-in defaults.
    pub fn file(&self) -> Option<(PathBuf, Via)> {
        match &self.flag_value {
            // `--option ''` is the defaults, as in the Python package (its command loads a
            // file only when the path is not empty).
            Some(p) if p.as_os_str().is_empty() => None,
            Some(p) => Some((p.clone(), Via::Flag(self.flag.clone()))),
            None => self
                .var_value
                .as_ref()
                .filter(|v| !v.is_empty())
                .map(|v| (PathBuf::from(v), Via::Env(self.var.clone()))),
        }
    }

    /// Loads the file found, or gives the defaults; [`Options::origin`] says which. Errors
    /// of the file name it and what named it (`option.yml:3: ... (from --option)`).
    pub fn load(&self) -> Result<Options, OptionError> {
        self.load_with_env(&process_env)
    }

    /// [`Self::load`] with `${NAME}` looked up in `env` instead of the process environment.
    pub fn load_with_env(&self, env: EnvLookup<'_>) -> Result<Options, OptionError> {
        match self.file() {
            Some((path, via)) => Options::from_file_named(&path, via, env),
            None => Ok(Options {
                origin: Origin::Defaults(self.clone()),
                ..Options::default()
            }),
        }
    }

    /// Why no file was named: `no --option, JM_OPTION_PATH unset`, `--option ''`.
    fn why_none(&self) -> String {
        match (&self.flag_value, &self.var_value) {
            (Some(p), _) if p.as_os_str().is_empty() => format!("{} ''", self.flag),
            (Some(p), _) => format!("{} {}", self.flag, p.display()),
            (None, None) => format!("no {}, {} unset", self.flag, self.var),
            (None, Some(v)) if v.is_empty() => format!("no {}, {} empty", self.flag, self.var),
            (None, Some(v)) => format!("{}={}", self.var, Path::new(v).display()),
        }
    }
}
