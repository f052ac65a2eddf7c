//! The plugins of option files, run by this program.
//!
//! A Python user's `option.yml` lists plugins in groups (`after_init`, `before_album`,
//! `after_album`, `before_photo`, `after_photo`, `before_image`, `after_image`, or a name of
//! the user's own such as `main`). Here every built-in key of the Python package either runs
//! with the same `kwargs`, or, where it cannot apply to this program, is accepted with one
//! line saying why and what to use instead ([`PLUGINS`] lists each key and what it does).
//!
//! How the groups map onto the download:
//!
//! | group | here |
//! |---|---|
//! | `after_init` | settings (`advanced_retry`, `replace_path_string`, filters, `usage_log`…) apply when the [`Downloader`](crate::Downloader) is built; jobs (`find_update`, `subscribe_album_update`, `login`, `send_qq_email`) run with [`Downloader::run_after_init`](crate::Downloader::run_after_init) |
//! | `before_album`, `after_album` | album downloads: before its chapters start, after they are all done |
//! | `before_photo`, `after_photo` | every chapter (of an album download or a chapter download) |
//! | `before_image` | decisions per page (`skip_photo_with_few_images`) |
//! | any other name | only when run by hand: [`Downloader::run_plugin_group`](crate::Downloader::run_plugin_group), `jmcomic plugins run GROUP` |
//!
//! Entry keys keep their meaning: `kwargs` (top-level text values get `${ENV}`
//! expanded when the plugin runs), `safe` (default true: a failure is reported, the download
//! goes on; false: the download fails), `log` (false silences the plugin's own log lines),
//! `valid` (overrides `plugins.valid` for bad arguments and unknown keys: `ignore`, `log`
//! (default: a warning), `raise`: an error).
//!
//! Work plugins (exports, covers, metadata, mail) run as [`Stage`](crate::Stage)s: off the
//! async runtime, their files listed in the report. `delete_original_file` deletes pages
//! only after the export that asked for it was re-opened and checked, and only once every
//! export of the album that uses those pages is done.

// Spec §3.7 (groups and entry keys), §5.3 (every built-in plugin).

pub(crate) mod args;
mod exports;
mod files;
mod notify;
mod runner;
mod updates;
pub(crate) mod usage;
mod work;

pub(crate) use exports::FeatureStage;
pub use exports::{Feature, Features};
pub(crate) use runner::Cleanup;
pub use runner::{PluginError, PluginRun, Plugins, ProgressWish, TopicFilter, display_wishes};

/// What a plugin key does in this program.
///
/// [`PluginInfo::groups`] lists the download's groups a key may sit in; the jobs
/// (`find_update`, `subscribe_album_update`, `send_qq_email`, `login`,
/// `favorite_folder_export`) may also sit in a group of the user's own, run by hand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Support {
    /// Runs with the Python package's `kwargs`.
    Runs,
    /// Cannot apply to this program; accepted with one line saying why and what to use.
    NotApplicable,
}

/// A plugin key this program knows, and what it does here.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct PluginInfo {
    /// The key (`plugin: zip`).
    pub key: &'static str,
    /// Whether it runs.
    pub support: Support,
    /// The download's groups it can be put in (empty: any of them).
    pub groups: &'static [&'static str],
    /// Whether it may also sit in a group of the user's own, run by hand
    /// (`jmcomic plugins run GROUP`).
    pub by_hand: bool,
    /// What it does here, in a sentence (the README lists these).
    pub summary: &'static str,
}

const AFTER: &[&str] = &["after_album", "after_photo"];
const INIT: &[&str] = &["after_init"];

/// Every plugin key of the Python package (2.7.10), plus `cbz`.
pub const PLUGINS: &[PluginInfo] = &[
    PluginInfo {
        key: "zip",
        support: Support::Runs,
        groups: AFTER,
        by_hand: false,
        summary: "one archive per album (after_album) or per chapter (after_photo): ZIP with \
                  pages stored, or AES-encrypted (`encrypt: {password}` / `{type: random}`), or 7z \
                  with header encryption (`encrypt: {impl: 7z}`); only the pages of that album or \
                  chapter, never those of a chapter still downloading",
    },
    PluginInfo {
        key: "img2pdf",
        support: Support::Runs,
        groups: AFTER,
        by_hand: false,
        summary: "one PDF per album or chapter, one page per image at its size, JPEG pages \
                  embedded unchanged; `encrypt: {password}` gives an AES-256 PDF",
    },
    PluginInfo {
        key: "long_img",
        support: Support::Runs,
        groups: AFTER,
        by_hand: false,
        summary: "one long PNG per album or chapter, pages scaled to the narrowest width, \
                  written as a stream (memory does not grow with the album)",
    },
    PluginInfo {
        key: "cbz",
        support: Support::Runs,
        groups: AFTER,
        by_hand: false,
        summary: "new: CBZ per chapter with ComicInfo.xml, one series folder per album (the \
                  layout Komga and Kavita group correctly), first page marked as cover",
    },
    PluginInfo {
        key: "calibre_metadata",
        support: Support::Runs,
        groups: AFTER,
        by_hand: false,
        summary: "a Calibre OPF (`metadata.opf`) in the album folder: title, authors, tags, \
                  `jmcomic:{id}` identifier, description, extra Dublin Core `fields`; \
                  `include_cover` adds cover.jpg",
    },
    PluginInfo {
        key: "delete_duplicated_files",
        support: Support::Runs,
        groups: &["after_album"],
        by_hand: false,
        summary: "files of the album folder whose MD5 occurs `limit` times or more are listed \
                  and deleted (`delete_original_file`, default true); refuses to scan when the \
                  dir_rule gives the album no folder of its own",
    },
    PluginInfo {
        key: "download_cover",
        support: Support::Runs,
        groups: &["before_album", "before_photo", "after_album", "after_photo"],
        by_hand: false,
        summary: "the album cover to the path of `dir_rule` (`size: _3x4` for the search-list \
                  cover), skipped when `download.cache` and the file is there",
    },
    PluginInfo {
        key: "send_qq_email",
        support: Support::Runs,
        groups: &[],
        by_hand: true,
        summary: "a plain-text mail over SMTP with TLS (default smtp.qq.com:465; `host`, \
                  `port`, `security` to change); failures are reported, not ignored",
    },
    PluginInfo {
        key: "skip_photo_with_few_images",
        support: Support::Runs,
        groups: &["before_photo", "before_image"],
        by_hand: false,
        summary: "skips chapters with fewer than `at_least_image_count` pages",
    },
    PluginInfo {
        key: "image_suffix_filter",
        support: Support::Runs,
        groups: INIT,
        by_hand: false,
        summary: "downloads only pages whose original suffix is in `allowed_orig_suffix`",
    },
    PluginInfo {
        key: "replace_path_string",
        support: Support::Runs,
        groups: INIT,
        by_hand: false,
        summary: "plain-text replacements (`replace: {old: new}`) in every download directory",
    },
    PluginInfo {
        key: "find_update",
        support: Support::Runs,
        groups: INIT,
        by_hand: true,
        summary: "`{album: chapter}`: downloads only the chapters after that chapter, of the \
                  listed albums (run by `jmcomic` before the ids given, or \
                  Downloader::run_after_init)",
    },
    PluginInfo {
        key: "subscribe_album_update",
        support: Support::Runs,
        groups: INIT,
        by_hand: true,
        summary: "checks `album_photo_dict` albums for new chapters, mails (`email_notify`), \
                  downloads them, and writes the last chapter back into the option file \
                  (atomically, comments kept)",
    },
    PluginInfo {
        key: "download_progress",
        support: Support::Runs,
        groups: INIT,
        by_hand: false,
        summary: "mapped to the built-in progress bars (shown even with --no-progress, as in \
                  the Python package) and a log file (`log_file`)",
    },
    PluginInfo {
        key: "usage_log",
        support: Support::Runs,
        groups: INIT,
        by_hand: false,
        summary: "a periodic line with threads, CPU and memory of the process \
                  (`interval`), warnings over the thresholds (`enable_warning`)",
    },
    PluginInfo {
        key: "log_topic_filter",
        support: Support::Runs,
        groups: INIT,
        by_hand: false,
        summary: "keeps only log lines whose topic (album, photo, image, plugin, req, api…) \
                  is in `whitelist`",
    },
    PluginInfo {
        key: "advanced_retry",
        support: Support::Runs,
        groups: INIT,
        by_hand: false,
        summary: "`retry_config.retry_rounds` becomes the client's retry rounds over all \
                  domains; a failing domain already hands over at once, so \
                  `retry_domain_max_times` needs no setting here",
    },
    PluginInfo {
        key: "login",
        support: Support::Runs,
        groups: INIT,
        by_hand: true,
        summary: "logs the download's client in (`username`, `password`) before the ids \
                  are downloaded; `jmcomic login` keeps a session for every later run instead",
    },
    PluginInfo {
        key: "favorite_folder_export",
        support: Support::Runs,
        groups: INIT,
        by_hand: true,
        summary: "every favourites folder (the default one too) to `【id】name.csv` in \
                  `save_dir` (quoted CSV); `zip_enable` packs them into `zip_filepath` \
                  (AES with `zip_password`), `delete_original_file` removes the CSVs",
    },
    PluginInfo {
        key: "client_proxy",
        support: Support::NotApplicable,
        groups: &[],
        by_hand: true,
        summary: "not needed: it wraps Python client classes (photo_concurrent_fetcher_proxy); \
                  this client already fetches chapters concurrently",
    },
    PluginInfo {
        key: "jm_server",
        support: Support::NotApplicable,
        groups: &[],
        by_hand: true,
        summary: "not available: the Python jm-view-server web viewer is a separate Python \
                  program; serve base_dir with it, or export CBZ for Komga/Kavita",
    },
    PluginInfo {
        key: "auto_set_browser_cookies",
        support: Support::NotApplicable,
        groups: &[],
        by_hand: true,
        summary: "not available: reading browsers' cookie stores is not supported; copy the \
                  `AVS` cookie into client.postman.meta_data.cookies",
    },
];

/// The groups the download itself fires, as in the Python package; any other group runs
/// only by hand.
// Spec §3.7.
pub const PIPELINE_GROUPS: [&str; 7] = [
    "after_init",
    "before_album",
    "after_album",
    "before_photo",
    "after_photo",
    "before_image",
    "after_image",
];

/// What this program knows about a plugin key.
pub fn plugin_info(key: &str) -> Option<&'static PluginInfo> {
    PLUGINS.iter().find(|p| p.key == key)
}
