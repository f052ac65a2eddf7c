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
    /// Search the site: list the results, or download them with --download.
    Search(SearchArgs),
    /// The most viewed albums of the day, week or month.
    Rank(RankArgs),
    /// Log in and keep the session for later runs (at client.session_file, default
    /// <config dir>/jmcomic/session.json, readable by you only).
    Login(LoginArgs),
    /// Forget the kept session.
    Logout(LogoutArgs),
    /// The logged-in user's favourites: list, folders, add, remove, export.
    Favorites {
        #[command(subcommand)]
        action: FavoritesAction,
    },
    /// An album's comments, or the site-wide forum's with --forum.
    Comments(CommentsArgs),
    /// The daily check-in (safe to run more than once a day).
    Checkin(CheckinArgs),
    /// What stands between this machine and the site: DNS (system and DNS over HTTPS), TCP,
    /// TLS, the site's answer, the clock; then what to do. Exit 0 when a download would
    /// work, 1 otherwise.
    Doctor(DoctorArgs),
}

/// `doctor` arguments.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// The whole report as JSON on stdout.
    #[arg(long)]
    pub json: bool,

    /// Compare with this DNS-over-HTTPS resolver instead of the built-in public ones
    /// (repeatable).
    #[arg(long = "doh", value_name = "URL")]
    pub doh: Vec<String>,

    /// Ask this DNS server (`IP:PORT`, UDP) instead of the system resolver, e.g. to check
    /// what a router's DNS answers.
    #[arg(long, value_name = "ADDR")]
    pub dns_server: Option<std::net::SocketAddr>,

    /// Longest wait of each step, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 8)]
    pub timeout: u64,

    #[command(flatten)]
    pub common: Common,
}

/// Flags of the commands that list albums (search, rank, favorites list).
#[derive(Debug, Args, Clone)]
pub struct ListingArgs {
    /// The page to list (1-based); with --all, the first one.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub page: u32,

    /// Every page (from --page on) instead of one.
    #[arg(long)]
    pub all: bool,

    /// At most this many albums (a cap for --all).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,

    /// One JSON document on stdout: `{"items": [...], "total": N, "pages": [...], ...}`
    /// (feeds `jmcomic --from-json -`).
    #[arg(long)]
    pub json: bool,

    /// Download the listed albums afterwards (as `jmcomic ID...` would).
    #[arg(long)]
    pub download: bool,
}

/// `search` arguments.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// What to look for. `+A +B` needs both words, `A -B` leaves out B; an album id finds
    /// that album.
    #[arg(value_name = "QUERY")]
    pub query: String,

    /// Which fields: title (titles, tags, everything: the site's default), author, tag,
    /// actor (characters), work (the work a doujinshi is based on).
    #[arg(long, value_name = "FIELD", default_value = "title")]
    pub by: String,

    /// latest, views, pictures, likes, rating (web only), comments (web only); the site's
    /// codes (mr, mv, mp, tf, tr, md) work too.
    #[arg(long, value_name = "ORDER", default_value = "latest")]
    pub order: String,

    /// all, day, week or month (the site's a, t, w, m work too).
    #[arg(long, value_name = "TIME", default_value = "all")]
    pub time: String,

    /// A category: doujin, single, short, another, hanman, meiman, cosplay, 3d, english
    /// (the site's codes work too).
    #[arg(long, value_name = "CATEGORY")]
    pub category: Option<String>,

    /// A sub-category of --category (web protocol only), e.g. chinese, japanese, CG.
    #[arg(long, value_name = "SUB", requires = "category")]
    pub sub: Option<String>,

    #[command(flatten)]
    pub listing: ListingArgs,

    #[command(flatten)]
    pub common: Common,
}

/// `rank` arguments.
#[derive(Debug, Args)]
pub struct RankArgs {
    /// day, week or month.
    #[arg(value_name = "PERIOD")]
    pub period: String,

    /// Only this category (see `search --category`).
    #[arg(long, value_name = "CATEGORY")]
    pub category: Option<String>,

    #[command(flatten)]
    pub listing: ListingArgs,

    #[command(flatten)]
    pub common: Common,
}

/// `login` arguments.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The user name (default: the `login` plugin's `username` in the option file).
    #[arg(value_name = "USERNAME")]
    pub username: Option<String>,

    /// Read the password from the first line of stdin (else: $JM_PASSWORD, the option
    /// file's `login` plugin, or a prompt on the terminal).
    #[arg(long)]
    pub password_stdin: bool,

    /// Print `{"user": ..., "session_file": ...}` on stdout (never the cookie).
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub common: Common,
}

/// `logout` arguments.
#[derive(Debug, Args)]
pub struct LogoutArgs {
    #[command(flatten)]
    pub common: Common,
}

/// `favorites` subcommands.
#[derive(Debug, Subcommand)]
pub enum FavoritesAction {
    /// The albums of a folder (all favourites by default).
    List {
        /// A folder id or name (see `favorites folders`).
        #[arg(long, value_name = "FOLDER")]
        folder: Option<String>,

        /// latest (newest favourite first) or updated (latest update first).
        #[arg(long, value_name = "ORDER", default_value = "latest")]
        order: String,

        #[command(flatten)]
        listing: ListingArgs,

        #[command(flatten)]
        common: Common,
    },
    /// The folders, with their ids.
    Folders {
        /// One JSON array on stdout.
        #[arg(long)]
        json: bool,

        #[command(flatten)]
        common: Common,
    },
    /// Put albums in the favourites (nothing happens for those already there).
    Add {
        /// Album ids (a chapter id names its album).
        #[arg(value_name = "IDS", required = true)]
        ids: Vec<String>,

        /// The folder, by id or name (web protocol only; default: the default folder).
        #[arg(long, value_name = "FOLDER")]
        folder: Option<String>,

        /// One JSON object per album on stdout.
        #[arg(long)]
        json: bool,

        #[command(flatten)]
        common: Common,
    },
    /// Take albums out of the favourites (nothing happens for those not there).
    Remove {
        /// Album ids.
        #[arg(value_name = "IDS", required = true)]
        ids: Vec<String>,

        /// One JSON object per album on stdout.
        #[arg(long)]
        json: bool,

        #[command(flatten)]
        common: Common,
    },
    /// Write every folder (the default one too) to files in DIR: one CSV (or JSON) per
    /// folder, as the Python `favorite_folder_export` plugin does.
    Export {
        /// The folder to write into (created if missing).
        #[arg(value_name = "DIR")]
        dir: PathBuf,

        /// csv or json.
        #[arg(long, value_name = "FORMAT", default_value = "csv")]
        format: String,

        /// Also pack the files into this zip archive.
        #[arg(long, value_name = "FILE")]
        zip: Option<PathBuf>,

        /// Encrypt the zip (AES-256) with this password ($JM_ZIP_PASSWORD works too).
        #[arg(
            long,
            value_name = "PASSWORD",
            requires = "zip",
            env = "JM_ZIP_PASSWORD",
            hide_env_values = true
        )]
        password: Option<String>,

        /// Print `{"files": [...], "zip": ...}` on stdout.
        #[arg(long)]
        json: bool,

        #[command(flatten)]
        common: Common,
    },
}

/// `comments` arguments.
#[derive(Debug, Args)]
pub struct CommentsArgs {
    /// An album id (or one of its chapters); omit with --forum.
    #[arg(
        value_name = "ID",
        required_unless_present = "forum",
        conflicts_with = "forum"
    )]
    pub id: Option<String>,

    /// The site-wide comment feed instead of an album's.
    #[arg(long)]
    pub forum: bool,

    /// The page to show (1-based); with --all, the first one.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub page: u32,

    /// Every page (from --page on).
    #[arg(long)]
    pub all: bool,

    /// One JSON document on stdout: `{"pages": [...], "comments": [...]}`.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub common: Common,
}

/// `checkin` arguments.
#[derive(Debug, Args)]
pub struct CheckinArgs {
    /// Print `{"new": bool, "message": ..., "event": ...}` on stdout.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub common: Common,
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
