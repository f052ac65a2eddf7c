//! Download albums (本子) and chapters from JMComic (禁漫天堂, 18comic) and turn the site's
//! scrambled pages back into readable ones.
//!
//! This is the library behind the `jmcomic` command, the Rust successor of the Python
//! package `jmcomic`: the same option files, the same names (`download_album`,
//! `download_photo`), with atomic writes, resumable downloads and bounded memory.
//!
//! ```no_run
//! # async fn run() -> Result<(), jmcomic::Error> {
//! let options = jmcomic::Options::from_file("option.yml")?;   // a Python option.yml works
//! let report = jmcomic::download_album("JM123", &options).await?;
//! println!("{} pages in {}", report.page_paths().len(), report.album_dir.unwrap().display());
//! # Ok(()) }
//! ```
//!
//! Pieces, in the order data flows: [`model`] (ids, entities) → [`client`] (the site) →
//! [`Downloader`] (the pipeline, with [`Hooks`] and a [`Reporter`]) → [`image`] (decode,
//! descramble, encode) → [`storage`] (atomic files) → [`stage`]s after each chapter and album
//! ([`export`]: PDF, ZIP/CBZ, long image; the option file's [`plugin`]s; the download
//! [`archive`]). Options come from [`Options`].
#![deny(missing_docs)]

mod album_json;
mod api;
pub mod archive;
mod cpu;
pub mod dir_rule;
mod download;
mod error;
mod events;
mod failure;
mod hooks;
pub mod mail;
pub mod naming;
pub mod options;
pub mod plugin;
mod report;
pub mod stage;
pub mod storage;

pub use album_json::ALBUM_JSON;
pub use api::{
    IntoId, blocking, download_album, download_album_with, download_batch, download_batch_with,
    download_chapter, download_photo, download_photo_with,
};
pub use archive::{ArchiveError, DownloadArchive};
pub use download::{Downloader, DownloaderBuilder};
pub use error::{Error, Result};
pub use events::{Event, NoReporter, Reporter};
pub use failure::{Cause, Stop};
pub use hooks::{Control, FilterHooks, HookSet, Hooks};
pub use options::Options;
pub use report::{
    BatchReport, ChapterReport, DownloadReport, Failure, Output, PageOutcome, PageRecord,
    StageFailure, Totals,
};
pub use stage::Stage;

/// The site client (re-export of `jmcomic-client`).
pub use jmcomic_client as client;
/// Exports of pages on disk (re-export of `jmcomic-export`).
pub use jmcomic_export as export;
/// Page image work (re-export of `jmcomic-image`).
pub use jmcomic_image as image;
/// The site's entities and ids (re-export of `jmcomic-model`).
pub use jmcomic_model as model;
pub use jmcomic_model::{JmId, Kind, Target};
pub use tokio_util::sync::CancellationToken;

/// The README's examples, compiled as doc tests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
