//! Writing the logged-in user's favourites to files: one per folder, the default folder
//! (every favourite) included, as CSV or JSON, optionally packed into a zip with a password.
//! The `favorite_folder_export` plugin and `jmcomic favorites export` both run this.
//!
//! Better than the Python plugin it replaces: CSV fields are quoted when they need it (a
//! title with a comma stays one field), a password-protected zip is written in-process (the
//! password never appears on a command line), and every file is written to a temporary name
//! first.
//!
//! ```no_run
//! # async fn run(client: jmcomic::client::Client) -> Result<(), Box<dyn std::error::Error>> {
//! use jmcomic::favorites::{ExportFormat, FavoriteExportOptions, export_favorites};
//!
//! let options = FavoriteExportOptions::new("favourites").format(ExportFormat::Json);
//! let done = export_favorites(&client, &options).await?;
//! for f in &done.folders {
//!     println!("{} ({}): {} albums", f.folder.name, f.folder.id, f.albums);
//! }
//! # Ok(()) }
//! ```

// Spec §5 (`favorite_folder_export`), W23.

use std::path::{Path, PathBuf};

use futures::TryStreamExt;
use jmcomic_client::{Client, FavoriteQuery};
use jmcomic_export::{AesStrength, PageFile, ZipEncryption, ZipOptions};
use jmcomic_model::{FavoriteFolder, SearchItem};
use serde::Serialize;

use crate::naming::sanitize_file_stem;

/// The name the default folder (every favourite) gets in file names (the Python plugin's).
pub const DEFAULT_FOLDER_NAME: &str = "全部";

/// The file format of the folder files.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExportFormat {
    /// `id,author,name` per album, with a header row (the Python plugin's columns).
    #[default]
    Csv,
    /// A JSON array of `{id, name, author, tags}`.
    Json,
}

impl ExportFormat {
    /// The file suffix, without its dot.
    pub fn suffix(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Json => "json",
        }
    }

    /// `csv` or `json`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(ExportFormat::Csv),
            "json" => Some(ExportFormat::Json),
            _ => None,
        }
    }
}

/// What to export and where.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct FavoriteExportOptions {
    /// The folder the files go in (created if missing).
    pub dir: PathBuf,
    /// CSV or JSON.
    pub format: ExportFormat,
    /// Also pack the files into this zip.
    pub zip: Option<PathBuf>,
    /// Encrypt the zip (WinZip AES-256) with this password.
    pub zip_password: Option<String>,
    /// Delete the folder files once they are in the zip.
    pub delete_files: bool,
    /// The author written for albums the site gives none.
    pub default_author: String,
}

impl FavoriteExportOptions {
    /// CSV files in `dir`, no zip.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            format: ExportFormat::Csv,
            zip: None,
            zip_password: None,
            delete_files: false,
            default_author: String::new(),
        }
    }

    /// Sets the format.
    pub fn format(mut self, format: ExportFormat) -> Self {
        self.format = format;
        self
    }

    /// Packs the files into a zip, encrypted when `password` is given.
    pub fn zip(mut self, path: impl Into<PathBuf>, password: Option<String>) -> Self {
        self.zip = Some(path.into());
        self.zip_password = password;
        self
    }

    /// Deletes the folder files once they are in the zip.
    pub fn delete_files(mut self, yes: bool) -> Self {
        self.delete_files = yes;
        self
    }

    /// The author written for albums without one.
    pub fn default_author(mut self, author: impl Into<String>) -> Self {
        self.default_author = author.into();
        self
    }
}

/// One folder's file.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct FolderFile {
    /// The folder.
    pub folder: FavoriteFolder,
    /// Albums in it.
    pub albums: usize,
    /// The file written; `None` for an empty folder (no file, as the Python plugin does) or
    /// when it was deleted after zipping.
    pub path: Option<PathBuf>,
}

/// What [`export_favorites`] wrote.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct FavoriteExport {
    /// Every folder, the default one first.
    pub folders: Vec<FolderFile>,
    /// The zip, if one was asked for.
    pub zip: Option<PathBuf>,
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FavoriteExportError {
    /// Reading the favourites failed.
    #[error("reading the favourites: {0}")]
    Client(#[from] jmcomic_client::Error),
    /// Writing a file failed.
    #[error("writing {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Writing the zip failed.
    #[error("writing the zip: {0}")]
    Zip(#[from] jmcomic_export::Error),
}

/// Writes every favourites folder of the logged-in user to a file (see the module docs).
/// The folders are read one after the other, every page of each.
pub async fn export_favorites(
    client: &Client,
    options: &FavoriteExportOptions,
) -> Result<FavoriteExport, FavoriteExportError> {
    let first = client.favorites(&FavoriteQuery::new()).await?;
    let folders = first.all_folders(DEFAULT_FOLDER_NAME);
    let mut items_by_folder = Vec::new();
    for folder in folders {
        let pages: Vec<_> = client
            .favorite_pages(FavoriteQuery::new().folder(folder.id.clone()))
            .try_collect()
            .await?;
        let mut seen = std::collections::HashSet::new();
        let items: Vec<SearchItem> = pages
            .into_iter()
            .flat_map(|p| p.items)
            .filter(|i| seen.insert(i.id))
            .collect();
        items_by_folder.push((folder, items));
    }
    let options = options.clone();
    tokio::task::spawn_blocking(move || write_files(&options, items_by_folder))
        .await
        .map_err(|e| FavoriteExportError::Io {
            path: PathBuf::new(),
            source: std::io::Error::other(e),
        })?
}

fn write_files(
    options: &FavoriteExportOptions,
    folders: Vec<(FavoriteFolder, Vec<SearchItem>)>,
) -> Result<FavoriteExport, FavoriteExportError> {
    let dir = &options.dir;
    std::fs::create_dir_all(dir).map_err(|source| FavoriteExportError::Io {
        path: dir.clone(),
        source,
    })?;
    let mut done = FavoriteExport {
        folders: Vec::new(),
        zip: None,
    };
    let mut written = Vec::new();
    for (folder, items) in folders {
        let path = if items.is_empty() {
            None
        } else {
            // The Python plugin's name, made safe as a file name (a folder named `a/b`).
            let stem = sanitize_file_stem(&format!("【{}】{}", folder.id, folder.name));
            let name = format!("{stem}.{}", options.format.suffix());
            let path = dir.join(name);
            let bytes = render(options, &items).map_err(|source| FavoriteExportError::Io {
                path: path.clone(),
                source,
            })?;
            crate::storage::write_atomic(&path, &bytes).map_err(|source| {
                FavoriteExportError::Io {
                    path: path.clone(),
                    source,
                }
            })?;
            written.push(path.clone());
            Some(path)
        };
        done.folders.push(FolderFile {
            folder,
            albums: items.len(),
            path,
        });
    }
    if let Some(zip) = &options.zip {
        let pages: Vec<PageFile> = written
            .iter()
            .map(|p| PageFile::new(p, file_name(p)))
            .collect();
        let mut zip_options = ZipOptions::new();
        if let Some(pw) = options.zip_password.as_deref().filter(|p| !p.is_empty()) {
            zip_options = zip_options.with_encryption(ZipEncryption::aes(pw, AesStrength::Aes256));
        }
        if let Some(parent) = zip.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| FavoriteExportError::Io {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        if !pages.is_empty() {
            jmcomic_export::write_zip(&pages, zip, &zip_options)?;
            done.zip = Some(zip.clone());
            if options.delete_files {
                for f in &mut done.folders {
                    if let Some(path) = f.path.take() {
                        std::fs::remove_file(&path)
                            .map_err(|source| FavoriteExportError::Io { path, source })?;
                    }
                }
            }
        }
    }
    Ok(done)
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// One folder's file contents.
fn render(options: &FavoriteExportOptions, items: &[SearchItem]) -> std::io::Result<Vec<u8>> {
    let author = |i: &SearchItem| {
        if i.author.is_empty() {
            options.default_author.clone()
        } else {
            i.author.clone()
        }
    };
    match options.format {
        ExportFormat::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            let csv_err = |e: csv::Error| std::io::Error::other(e.to_string());
            w.write_record(["id", "author", "name"]).map_err(csv_err)?;
            for i in items {
                w.write_record([i.id.to_string(), author(i), i.name.clone()])
                    .map_err(csv_err)?;
            }
            w.into_inner()
                .map_err(|e| std::io::Error::other(e.to_string()))
        }
        ExportFormat::Json => {
            let rows: Vec<serde_json::Value> = items
                .iter()
                .map(|i| {
                    serde_json::json!({
                        "id": i.id,
                        "name": i.name,
                        "author": author(i),
                        "tags": i.tags,
                    })
                })
                .collect();
            serde_json::to_vec_pretty(&rows).map_err(std::io::Error::other)
        }
    }
}
