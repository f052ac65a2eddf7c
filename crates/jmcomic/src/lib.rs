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
//!
//! # Options
//!
//! [`Options`] reads the Python package's option files as they are (`option.yml`, `.yaml`
//! or `.json`): every key has the same meaning, and every key left out keeps its default.
//! Mistakes are reported with the line and the key.
//!
//! ```
//! use std::path::Path;
//!
//! use jmcomic::Options;
//!
//! let options = Options::from_yaml_str(
//!     "
//! dir_rule:
//!   base_dir: /comics
//!   rule: Bd / Aauthor / Atitle / Pindextitle
//! download:
//!   image:
//!     suffix: .jpg
//!   threading:
//!     image: 16
//! client:
//!   retry_times: 2
//! ",
//! )?;
//! assert_eq!(options.dir_rule.base_dir(), Path::new("/comics"));
//! assert_eq!(options.download.image.suffix.as_deref(), Some(".jpg"));
//! assert_eq!(options.download.threading.image, 16);
//! assert_eq!(options.client.retry_times, 2);
//! assert!(options.download.cache); // not in the text: the default
//!
//! let wrong = Options::from_yaml_str("download:\n  threading:\n    image: many\n");
//! assert!(wrong.unwrap_err().to_string().contains("download.threading.image"));
//! # Ok::<(), jmcomic::options::OptionError>(())
//! ```
//!
//! # Downloader
//!
//! A [`Downloader`] runs downloads with one set of options. Its client, its limits and its
//! CPU workers are shared by every download it runs, and it is cheap to clone. Each download
//! returns a [`DownloadReport`] that says what happened to every chapter and page. A batch
//! never stops at a failed target: each target gets its own report or error.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use jmcomic::{Downloader, JmId, Options, Target};
//!
//! let options =
//!     Options::from_yaml_str("dir_rule:\n  base_dir: /comics\n  rule: Bd / Aid / Pindex\n")?;
//! # let site = jmcomic_emulator::Emulator::start()?; // a local stand-in for the site
//! # let tmp = tempfile::tempdir()?;
//! # let options = test_site(options, &site, tmp.path());
//! let downloader = Downloader::new(options)?;
//!
//! let report = downloader.album(JmId::new(421_925)).await?;
//! assert!(report.is_complete());
//! assert_eq!(report.chapters.len(), 3);
//! println!("{} pages written in {:?}", report.pages_written(), report.album_dir);
//!
//! // Run again: the pages on disk are complete, so nothing is fetched twice.
//! let again = downloader.album(JmId::new(421_925)).await?;
//! assert_eq!((again.pages_written(), again.pages_reused()), (0, report.pages_written()));
//!
//! // Albums and chapters together, `download.threading.album` of them at a time.
//! let targets = vec![Target::parse("JM438516")?, Target::parse("p268850")?];
//! let batch = downloader.batch(targets).await;
//! assert!(batch.all_succeeded(), "{:?}", batch.failures());
//! # Ok(()) }
//! # fn test_site(
//! #     mut o: jmcomic::Options,
//! #     site: &jmcomic_emulator::Emulator,
//! #     dir: &std::path::Path,
//! # ) -> jmcomic::Options {
//! #     use jmcomic::options::DomainSetting;
//! #     o.dir_rule = o.dir_rule.with_base_dir(dir.to_owned());
//! #     o.client.domain = DomainSetting::List(site.api_domains());
//! #     o.client.image_domain = DomainSetting::List(site.image_domains());
//! #     o
//! # }
//! ```
//!
//! # Builder
//!
//! [`Downloader::builder`] adds what an option file cannot say: [`Hooks`] that skip or stop
//! ([`FilterHooks`] for the usual filters), a [`Reporter`] that receives progress
//! [`Event`]s, exports for every download (the Python `extra=`, see [`plugin::Feature`]), a
//! [`CancellationToken`] that stops the downloads, or a [`client::Client`] of your own.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicUsize, Ordering};
//!
//! use jmcomic::plugin::Feature;
//! use jmcomic::{CancellationToken, Downloader, Event, FilterHooks, JmId, Options};
//!
//! let options = Options::from_yaml_str("dir_rule:\n  base_dir: /comics\n")?;
//! # let site = jmcomic_emulator::Emulator::start()?; // a local stand-in for the site
//! # let tmp = tempfile::tempdir()?;
//! # let options = test_site(options, &site, tmp.path());
//! let pages_done = Arc::new(AtomicUsize::new(0));
//! let counter = Arc::clone(&pages_done);
//! let stop = CancellationToken::new(); // `stop.cancel()` (on Ctrl-C, say) stops every download
//!
//! let downloader = Downloader::builder(options)
//!     // The first two chapters of each album only.
//!     .hook(FilterHooks::new().chapters(|_album, chapter| chapter.album_index() <= 2))
//!     // Progress events, from every download of this downloader.
//!     .reporter(move |event: &Event| {
//!         if let Event::PageDone { .. } = event {
//!             counter.fetch_add(1, Ordering::Relaxed);
//!         }
//!     })
//!     // One CBZ per chapter, with ComicInfo.xml, after each download.
//!     .extra(Feature::export_cbz())
//!     // Failed pages come back in the report instead of as `Error::Partial`.
//!     .check_exception(false)
//!     .cancel_token(stop.clone())
//!     .build()?;
//!
//! let report = downloader.album(JmId::new(421_925)).await?;
//! assert!(report.chapters[2].skipped); // the hook left chapter 3 out
//! assert_eq!(report.export_paths("cbz").len(), 2);
//! let pages: usize = report.chapters.iter().map(|c| c.pages.len()).sum();
//! assert_eq!(pages_done.load(Ordering::Relaxed), pages);
//! # Ok(()) }
//! # fn test_site(
//! #     mut o: jmcomic::Options,
//! #     site: &jmcomic_emulator::Emulator,
//! #     dir: &std::path::Path,
//! # ) -> jmcomic::Options {
//! #     use jmcomic::options::DomainSetting;
//! #     o.dir_rule = o.dir_rule.with_base_dir(dir.to_owned());
//! #     o.client.domain = DomainSetting::List(site.api_domains());
//! #     o.client.image_domain = DomainSetting::List(site.image_domains());
//! #     o
//! # }
//! ```
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
pub mod favorites;
mod hooks;
pub mod mail;
pub mod naming;
pub mod options;
pub mod plugin;
mod report;
pub mod session;
pub mod stage;
pub mod state;
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
