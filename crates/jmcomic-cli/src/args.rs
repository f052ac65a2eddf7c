//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Download albums (本子) and chapters from JMComic and descramble their pages.
///
/// IDS are album ids (`123`, `JM123`), chapter ids with a `p` (`p456`), or album/chapter
/// URLs. Options come from --option, else from the file named by JM_OPTION_PATH, else the
/// defaults (the same option files as the Python package `jmcomic`).
///
/// Exit status: 0 everything downloaded, 1 some pages or items failed (listed at the end),
/// 2 bad arguments or options, 130 interrupted (Ctrl-C).
#[derive(Debug, Parser)]
#[command(
    name = "jmcomic",
    version,
    args_conflicts_with_subcommands = true,
    allow_negative_numbers = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub download: DownloadArgs,
}

/// Flags shared by every command.
#[derive(Debug, Args, Clone)]
pub struct Common {
    /// Option file (YAML or JSON). Default: $JM_OPTION_PATH, else built-in defaults;
    /// `--option ''` for the built-in defaults.
    // An empty value is allowed (clap's PathBuf parser refuses it): it means the defaults,
    // as in the Python package.
    #[arg(
        long,
        value_name = "FILE",
        global = true,
        value_parser = clap::builder::TypedValueParser::map(
            clap::builder::OsStringValueParser::new(),
            PathBuf::from
        )
    )]
    pub option: Option<PathBuf>,

    /// Print only errors and the final summary.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// More log output (-v: info, -vv: debug, -vvv: trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
}

/// The download command (the default).
#[derive(Debug, Args)]
pub struct DownloadArgs {
    /// Albums and chapters to download: 123, JM123, p456, or URLs.
    #[arg(value_name = "IDS")]
    pub ids: Vec<String>,

    /// Also download the ids a JSON document lists (`-` for stdin): the `--json` output of
    /// `jmcomic search`, `rank`, `favorites list`, `show` or `archive list`, or any JSON with
    /// ids (numbers, `"JM123"`/`"p456"` strings, objects with an `id`).
    #[arg(long, value_name = "FILE")]
    pub from_json: Option<PathBuf>,

    /// One JSON event per line on stdout (for bots) instead of progress bars.
    #[arg(long)]
    pub json: bool,

    /// No progress bars (also off when stderr is not a terminal).
    #[arg(long)]
    pub no_progress: bool,

    /// Write the full report (every page and failure) as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,

    /// Export each download: pdf, zip, cbz, long-img (comma-separated, or the flag
    /// repeated). An album download gives one file per album (CBZ: one per chapter in a
    /// folder per album), a chapter download one per chapter.
    #[arg(long, value_name = "KINDS", value_delimiter = ',')]
    pub export: Vec<String>,

    /// Folder for the --export files (default: dir_rule.base_dir).
    #[arg(long, value_name = "DIR", requires = "export")]
    pub export_dir: Option<PathBuf>,

    /// Download archive (SQLite, created if missing; overrides download.archive): pages
    /// recorded there are never fetched again, even after their folder was moved.
    #[arg(long, value_name = "FILE")]
    pub archive: Option<PathBuf>,

    /// Write an album.json (the album's fields, chapters and files) in each album's folder.
    #[arg(long)]
    pub album_json: bool,

    /// Show what would be downloaded, where, and what is already on disk, without fetching
    /// any page or writing anything.
    #[arg(long)]
    pub dry_run: bool,

    /// Also write every log line (info level, no colours) to this file, appending.
    #[arg(long, value_name = "FILE")]
    pub log_file: Option<PathBuf>,

    #[command(flatten)]
    pub common: Common,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Inspect options.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Download from a built-in emulator of the site, to see the tool work with no site
    /// reachable.
    Demo(DemoArgs),
    /// The option file's plugins: what each key does here, and running a group by hand.
    Plugins {
        #[command(subcommand)]
        action: PluginsAction,
    },
    /// The download archive: what it records, and forgetting albums or chapters so they
    /// download again.
    Archive {
        #[command(subcommand)]
        action: ArchiveAction,
    },
    /// An album's details and chapters, without downloading (the Python `jmv`).
    Show(ShowArgs),
    /// Save an album's cover image.
    Cover(CoverArgs),
}

/// `show` arguments.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// An album or chapter id (`123`, `JM123`, `p456`, a URL).
    #[arg(value_name = "ID")]
    pub id: String,

    /// The album as JSON on stdout.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub common: Common,
}

/// `cover` arguments.
#[derive(Debug, Args)]
pub struct CoverArgs {
    /// An album id (or one of its chapters).
    #[arg(value_name = "ID")]
    pub id: String,

    /// The search-list cover (3:4) instead of the album page's.
    #[arg(long)]
    pub small: bool,

    /// Where to save it (default: `<album id>.jpg`, or `<album id>_3x4.jpg`, in the current
    /// folder).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Print `{"path": ..., "bytes": ...}` on stdout.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub common: Common,
}

/// Which archive: `--archive FILE`, else the option file's `download.archive`.
#[derive(Debug, Args, Clone)]
pub struct ArchiveFile {
    /// The archive file (default: download.archive of the option file).
    #[arg(long, value_name = "FILE")]
    pub archive: Option<PathBuf>,
}

/// `archive` subcommands.
#[derive(Debug, Subcommand)]
pub enum ArchiveAction {
    /// Every album the archive records: chapters, pages, exports, last update.
    List {
        /// One JSON array on stdout.
        #[arg(long)]
        json: bool,

        #[command(flatten)]
        file: ArchiveFile,

        #[command(flatten)]
        common: Common,
    },
    /// Forget albums or chapters (their pages and exports), so they download again.
    Forget {
        /// Album or chapter ids (`123`, `JM123`, `p456`, URLs).
        #[arg(value_name = "IDS", required = true)]
        ids: Vec<String>,

        /// One JSON object per id on stdout.
        #[arg(long)]
        json: bool,

        #[command(flatten)]
        file: ArchiveFile,

        #[command(flatten)]
        common: Common,
    },
}

/// `plugins` subcommands.
#[derive(Debug, Subcommand)]
pub enum PluginsAction {
    /// Every plugin key and what it does in this program; with --option, the file's entries.
    List {
        #[command(flatten)]
        common: Common,
    },
    /// Run the jobs of a plugin group by hand (the Python `option.call_all_plugin(GROUP)`),
    /// e.g. `main` or `after_download`.
    Run {
        /// The group.
        #[arg(value_name = "GROUP")]
        group: String,

        /// One JSON object with the result on stdout.
        #[arg(long)]
        json: bool,

        #[command(flatten)]
        common: Common,
    },
}

/// `config` subcommands.
#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Print the effective options (defaults filled in, secrets redacted) as YAML.
    Show {
        #[command(flatten)]
        common: Common,
    },
}

/// `demo` arguments.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Folder to download into.
    #[arg(long, value_name = "DIR", default_value = "jmcomic-demo")]
    pub dir: PathBuf,

    /// Album ids of the emulator's catalog to download (default: two albums).
    #[arg(value_name = "IDS")]
    pub ids: Vec<String>,

    /// Print the demo's catalog (albums, chapters, pages, scramble ids) and exit; with
    /// --json, as JSON.
    #[arg(long)]
    pub list: bool,

    /// One JSON event per line on stdout instead of progress bars.
    #[arg(long)]
    pub json: bool,

    /// No progress bars (also off when stderr is not a terminal).
    #[arg(long)]
    pub no_progress: bool,

    #[command(flatten)]
    pub common: Common,
}
