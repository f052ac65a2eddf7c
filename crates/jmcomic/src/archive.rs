//! The download archive: an SQLite file that remembers every page and export completed, by
//! the site's ids, so that later runs do not fetch them again.
//!
//! yt-dlp's `--download-archive` keeps a list of video ids; this keeps pages, keyed by
//! (chapter id, file name on the CDN), with the album id, the page's position, where it was
//! written, its size and when. Because the key is the site's ids and not a path, a page
//! recorded here counts as done **wherever its file now is**: download folders can be moved,
//! renamed or emptied into a reader app and the next run still skips those pages. The price
//! is that a recorded page is trusted, not re-checked on disk; [`DownloadArchive::forget`] is
//! how to make an album or chapter download again.
//!
//! Exports (PDF, ZIP, ...) are recorded too, with the fingerprint of the pages they were
//! made from, so a run can tell an export it already wrote from one that is out of date.
//!
//! # Sharing one archive
//!
//! Several threads of a run and several `jmcomic` processes may use one archive file at
//! once. The file is in SQLite's WAL mode (readers never wait for writers), every write is
//! one short `BEGIN IMMEDIATE` transaction (it takes the write lock before reading, so two
//! writers never deadlock upgrading a read), and a writer that finds the file locked waits
//! up to [`BUSY_TIMEOUT`] before giving up with an error ([`ArchiveError::is_busy`]).
//! Within a process a handle is shared by cloning it; each handle holds one connection
//! behind a mutex. Calls block (they do file I/O): async code calls them from a blocking
//! thread, and no transaction outlives a call.
//!
//! WAL mode keeps two companion files next to the archive while it is in use (`-wal`,
//! `-shm`); they are folded back and removed when the last connection closes. WAL needs
//! shared memory between the processes, so the archive must be on a local file system, not
//! a network share.
//!
//! ```
//! use jmcomic::archive::{DownloadArchive, PageEntry};
//! use jmcomic::JmId;
//! # fn main() -> Result<(), jmcomic::archive::ArchiveError> {
//! # let dir = tempfile::tempdir().unwrap();
//! let archive = DownloadArchive::open(dir.path().join("archive.sqlite"))?;
//! let (album, chapter) = (JmId::new(350_234), JmId::new(350_234));
//! let page = PageEntry::new(album, chapter, 1, "00001.webp", "/comics/a/00001.webp", 51_200);
//! archive.record_pages(&[page])?; // a chapter's pages, once they are written
//! // A later run, wherever the folder went: page 1 is done.
//! assert!(archive.pages_of_chapter(chapter)?.contains("00001.webp"));
//! archive.forget(album)?; // ...and now it will download again
//! assert!(!archive.has_page(chapter, "00001.webp")?);
//! # Ok(()) }
//! ```

use std::collections::HashSet;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jmcomic_model::{JmId, Kind};
use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, ErrorCode, OpenFlags, Row, TransactionBehavior};
use tracing::{debug, warn};

/// How long a call waits for another writer (thread or process) to release the archive
/// before it fails. Writes take milliseconds, so only a stuck process makes one wait this
/// long.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Marks an SQLite file as a jmcomic archive (`PRAGMA application_id`, "JMCA"), so that
/// another program's database is refused rather than altered.
const APPLICATION_ID: i32 = 0x4A4D_4341;

/// The schema, one step per version: `MIGRATIONS[n]` brings a file from version `n` to
/// `n + 1` (`PRAGMA user_version` holds the version). Steps are only ever appended.
const MIGRATIONS: &[&str] = &[
    // Version 1. STRICT tables: a value of the wrong type is an error, not silently kept.
    // Times are Unix seconds. `path` is ANY: text when the path is UTF-8, its bytes when not
    // (see `path_value`).
    "CREATE TABLE albums (
         album INTEGER PRIMARY KEY,
         title TEXT NOT NULL,
         recorded INTEGER NOT NULL
     ) STRICT;
     CREATE TABLE pages (
         chapter INTEGER NOT NULL,
         file_name TEXT NOT NULL,
         album INTEGER NOT NULL,
         page_index INTEGER NOT NULL,
         path ANY NOT NULL,
         size INTEGER NOT NULL,
         recorded INTEGER NOT NULL,
         PRIMARY KEY (chapter, file_name)
     ) STRICT, WITHOUT ROWID;
     CREATE INDEX pages_by_album ON pages (album);
     CREATE TABLE exports (
         album INTEGER NOT NULL,
         chapter INTEGER,
         kind TEXT NOT NULL,
         path ANY NOT NULL,
         fingerprint TEXT NOT NULL,
         size INTEGER NOT NULL,
         recorded INTEGER NOT NULL
     ) STRICT;
     -- One row per export file: an album export has no chapter, and NULLs never clash in a
     -- UNIQUE index, hence the ifnull.
     CREATE UNIQUE INDEX exports_key ON exports (album, ifnull(chapter, -1), kind, path);",
];

/// The schema version this build writes and understands.
pub const SCHEMA_VERSION: i32 = MIGRATIONS.len() as i32;

/// Why the archive could not be opened, read or written. Every variant names the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    /// The archive's folder could not be created.
    #[error("cannot create the folder of the download archive {}: {source}", path.display())]
    CreateDir {
        /// The archive file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// [`DownloadArchive::open_existing`] found no file.
    #[error("there is no download archive at {}", path.display())]
    NotFound {
        /// The archive file.
        path: PathBuf,
    },
    /// The file is not a jmcomic archive: not an SQLite database, or another program's.
    /// It is left untouched.
    #[error("{} is not a jmcomic download archive: {reason}", path.display())]
    NotAnArchive {
        /// The file.
        path: PathBuf,
        /// What it is instead.
        reason: String,
    },
    /// The archive was written by a newer jmcomic whose schema this one does not know.
    #[error(
        "the download archive {} has schema version {found}, newer than this jmcomic \
         understands ({supported}): use a newer jmcomic or another archive file",
        path.display()
    )]
    NewerSchema {
        /// The archive file.
        path: PathBuf,
        /// The file's version.
        found: i32,
        /// The newest version this build understands ([`SCHEMA_VERSION`]).
        supported: i32,
    },
    /// SQLite failed: the file is locked for longer than [`BUSY_TIMEOUT`], damaged,
    /// unreadable, or a value does not fit.
    #[error("cannot {action} the download archive {}: {source}", path.display())]
    Sqlite {
        /// What was being done (`open`, `read`, `record pages in`, ...).
        action: &'static str,
        /// The archive file.
        path: PathBuf,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
}

impl ArchiveError {
    /// The archive file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            ArchiveError::CreateDir { path, .. }
            | ArchiveError::NotFound { path }
            | ArchiveError::NotAnArchive { path, .. }
            | ArchiveError::NewerSchema { path, .. }
            | ArchiveError::Sqlite { path, .. } => path,
        }
    }

    /// Whether another writer held the archive for longer than [`BUSY_TIMEOUT`]; trying
    /// again later may work.
    pub fn is_busy(&self) -> bool {
        self.sqlite_code()
            .is_some_and(|c| matches!(c, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked))
    }

    /// Whether the archive file is damaged (SQLite found a malformed database).
    pub fn is_corrupt(&self) -> bool {
        self.sqlite_code()
            .is_some_and(|c| matches!(c, ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase))
    }

    /// Whether the database itself failed (rather than the file not being an archive, or
    /// its folder not being creatable).
    pub fn is_sqlite(&self) -> bool {
        matches!(self, ArchiveError::Sqlite { .. })
    }

    fn sqlite_code(&self) -> Option<ErrorCode> {
        match self {
            ArchiveError::Sqlite { source, .. } => source.sqlite_error_code(),
            _ => None,
        }
    }
}

/// A page recorded as done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageEntry {
    /// The album the page belongs to.
    pub album: JmId,
    /// The chapter the page belongs to; with `file_name`, the page's key.
    pub chapter: JmId,
    /// 1-based position in the chapter.
    pub index: u32,
    /// File name on the CDN (`00001.webp`), not the name it was saved as.
    pub file_name: String,
    /// Where the page was written (informative: it is not checked later).
    pub path: PathBuf,
    /// Bytes written.
    pub size: u64,
    /// When it was recorded (kept to the second).
    pub recorded: SystemTime,
}

impl PageEntry {
    /// A page recorded now.
    pub fn new(
        album: JmId,
        chapter: JmId,
        index: u32,
        file_name: impl Into<String>,
        path: impl Into<PathBuf>,
        size: u64,
    ) -> Self {
        Self {
            album,
            chapter,
            index,
            file_name: file_name.into(),
            path: path.into(),
            size,
            recorded: SystemTime::now(),
        }
    }
}

/// An export recorded as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportEntry {
    /// The album exported (or whose chapter was exported).
    pub album: JmId,
    /// The chapter exported; `None` for an export of the whole album.
    pub chapter: Option<JmId>,
    /// The export's kind (`pdf`, `zip`, `cbz`, `long_image`, ...).
    pub kind: String,
    /// The file written. An album, chapter, kind and path name one export: recording it
    /// again replaces the earlier row.
    pub path: PathBuf,
    /// The fingerprint of the pages and settings it was made from (hex).
    pub fingerprint: String,
    /// Bytes written.
    pub size: u64,
    /// When it was recorded (kept to the second).
    pub recorded: SystemTime,
}

impl ExportEntry {
    /// An export recorded now.
    pub fn new(
        album: JmId,
        chapter: Option<JmId>,
        kind: impl Into<String>,
        path: impl Into<PathBuf>,
        fingerprint: impl Into<String>,
        size: u64,
    ) -> Self {
        Self {
            album,
            chapter,
            kind: kind.into(),
            path: path.into(),
            fingerprint: fingerprint.into(),
            size,
            recorded: SystemTime::now(),
        }
    }
}

/// What the archive holds for one album (a line of `jmcomic archive list`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AlbumSummary {
    /// The album id.
    pub album: JmId,
    /// The title given to [`DownloadArchive::record_album`], if any.
    pub title: Option<String>,
    /// Chapters with at least one recorded page.
    pub chapters: u64,
    /// Recorded pages.
    pub pages: u64,
    /// Bytes of the recorded pages.
    pub bytes: u64,
    /// Recorded exports.
    pub exports: u64,
    /// The newest page or export recorded.
    pub last_update: SystemTime,
}

/// What the archive holds for one chapter.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChapterSummary {
    /// The chapter id.
    pub chapter: JmId,
    /// Recorded pages.
    pub pages: u64,
    /// Bytes of the recorded pages.
    pub bytes: u64,
    /// The newest page recorded.
    pub last_update: SystemTime,
}

/// What [`DownloadArchive::forget`] removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Forgotten {
    /// What the id named in the archive: an album, a chapter, or nothing (`None`, nothing
    /// was removed).
    pub kind: Option<Kind>,
    /// Chapters whose pages were removed.
    pub chapters: u64,
    /// Pages removed.
    pub pages: u64,
    /// Exports removed.
    pub exports: u64,
}

impl Forgotten {
    /// Whether nothing was recorded under the id.
    pub fn is_empty(&self) -> bool {
        self.kind.is_none()
    }
}

/// A handle on a download archive file (see the [module docs](self)).
///
/// Cheap to clone: clones share one connection. Separate handles on one file (other threads
/// that opened it themselves, other processes) are safe too.
#[derive(Clone)]
pub struct DownloadArchive {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl fmt::Debug for DownloadArchive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DownloadArchive")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

impl DownloadArchive {
    /// Opens the archive at `path`, creating the file (and its folder) when missing and
    /// bringing an older schema up to date.
    ///
    /// Refuses, leaving the file untouched: a file that is not an SQLite database, an SQLite
    /// database of another program, and an archive of a newer schema.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, ArchiveError> {
        let path = path.as_ref();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| ArchiveError::CreateDir {
                path: path.to_owned(),
                source,
            })?;
        }
        Self::open_with(path, OpenFlags::SQLITE_OPEN_CREATE)
    }

    /// Opens an archive that must already exist ([`ArchiveError::NotFound`] otherwise): for
    /// commands that only look at or edit an archive.
    pub fn open_existing(path: impl AsRef<Path>) -> Result<Self, ArchiveError> {
        let path = path.as_ref();
        if !path.is_file() {
            return Err(ArchiveError::NotFound {
                path: path.to_owned(),
            });
        }
        Self::open_with(path, OpenFlags::empty())
    }

    fn open_with(path: &Path, create: OpenFlags) -> Result<Self, ArchiveError> {
        let sqlite = |action| {
            let path = path.to_owned();
            move |source| ArchiveError::Sqlite {
                action,
                path,
                source,
            }
        };
        // No URI names (a path is a path) and no SQLite-level mutex: the handle's own mutex
        // serialises the connection's users.
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | create;
        let mut conn = Connection::open_with_flags(path, flags).map_err(sqlite("open"))?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(sqlite("open"))?;

        // Identify the file before changing anything in it: switching to WAL rewrites its
        // header, which must not happen to another program's database.
        let version = check_identity(path, &conn)?;
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "wal", |r| r.get(0))
            .map_err(sqlite("open"))?;
        if !mode.eq_ignore_ascii_case("wal") {
            // Still safe (SQLite locks the whole file instead), only slower under contention.
            warn!(path = %path.display(), %mode, "the download archive cannot use WAL mode");
        }
        // In WAL mode NORMAL cannot corrupt the file; a power cut may lose the last
        // transactions, which only makes their pages download again.
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(sqlite("open"))?;

        if version < SCHEMA_VERSION {
            // Under the write lock, and checked again: another process may have created or
            // upgraded the schema since we looked.
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sqlite("create the schema of"))?;
            let version = check_identity(path, &tx)?;
            for step in &MIGRATIONS[version as usize..] {
                tx.execute_batch(step)
                    .map_err(sqlite("create the schema of"))?;
            }
            tx.pragma_update(None, "application_id", APPLICATION_ID)
                .map_err(sqlite("create the schema of"))?;
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)
                .map_err(sqlite("create the schema of"))?;
            tx.commit().map_err(sqlite("create the schema of"))?;
            debug!(
                path = %path.display(),
                from = version,
                to = SCHEMA_VERSION,
                "download archive schema set up"
            );
        }
        Ok(Self {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                conn: Mutex::new(conn),
            }),
        })
    }

    /// The archive file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Whether a page is recorded as done. A recorded page is trusted: its file is not
    /// looked for, so it stays done after its folder is moved or deleted.
    pub fn has_page(&self, chapter: JmId, file_name: &str) -> Result<bool, ArchiveError> {
        self.read("read", |conn| {
            conn.prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM pages WHERE chapter = ?1 AND file_name = ?2)",
            )?
            .query_row((chapter.get(), file_name), |r| r.get(0))
        })
    }

    /// The CDN file names of a chapter's recorded pages, in one query (for a chapter about
    /// to start: its pages in the set need not be fetched).
    pub fn pages_of_chapter(&self, chapter: JmId) -> Result<HashSet<String>, ArchiveError> {
        self.read("read", |conn| {
            conn.prepare_cached("SELECT file_name FROM pages WHERE chapter = ?1")?
                .query_map([chapter.get()], |r| r.get(0))?
                .collect()
        })
    }

    /// A chapter's recorded pages, in page order.
    pub fn page_entries(&self, chapter: JmId) -> Result<Vec<PageEntry>, ArchiveError> {
        self.read("read", |conn| {
            conn.prepare_cached(
                "SELECT album, chapter, page_index, file_name, path, size, recorded
                 FROM pages WHERE chapter = ?1 ORDER BY page_index, file_name",
            )?
            .query_map([chapter.get()], page_from_row)?
            .collect()
        })
    }

    /// Records a page as done (replacing an earlier record of the same chapter and file
    /// name). Prefer [`record_pages`](Self::record_pages) for many pages.
    pub fn record_page(&self, page: &PageEntry) -> Result<(), ArchiveError> {
        self.record_pages(std::slice::from_ref(page))
    }

    /// Records pages as done, all or none, in one transaction (one lock and one commit for a
    /// whole chapter).
    pub fn record_pages(&self, pages: &[PageEntry]) -> Result<(), ArchiveError> {
        if pages.is_empty() {
            return Ok(());
        }
        self.write("record pages in", |tx| {
            let mut insert = tx.prepare_cached(
                "INSERT INTO pages (chapter, file_name, album, page_index, path, size, recorded)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (chapter, file_name) DO UPDATE SET
                     album = excluded.album, page_index = excluded.page_index,
                     path = excluded.path, size = excluded.size, recorded = excluded.recorded",
            )?;
            for p in pages {
                insert.execute((
                    p.chapter.get(),
                    &p.file_name,
                    p.album.get(),
                    p.index,
                    path_value(&p.path),
                    p.size,
                    unix_seconds(p.recorded),
                ))?;
            }
            Ok(())
        })
    }

    /// Records an album's title, shown by [`albums`](Self::albums). Optional: an album with
    /// pages but no title is listed without one.
    pub fn record_album(&self, album: JmId, title: &str) -> Result<(), ArchiveError> {
        self.write("record an album in", |tx| {
            tx.prepare_cached(
                "INSERT INTO albums (album, title, recorded) VALUES (?1, ?2, ?3)
                 ON CONFLICT (album) DO UPDATE SET
                     title = excluded.title, recorded = excluded.recorded",
            )?
            .execute((album.get(), title, unix_seconds(SystemTime::now())))?;
            Ok(())
        })
    }

    /// Records an export as written, replacing an earlier record of the same album,
    /// chapter, kind and path.
    pub fn record_export(&self, export: &ExportEntry) -> Result<(), ArchiveError> {
        let chapter = export.chapter.map(JmId::get);
        let path = path_value(&export.path);
        self.write("record an export in", |tx| {
            tx.prepare_cached(
                "DELETE FROM exports
                 WHERE album = ?1 AND chapter IS ?2 AND kind = ?3 AND path = ?4",
            )?
            .execute((export.album.get(), chapter, &export.kind, &path))?;
            tx.prepare_cached(
                "INSERT INTO exports (album, chapter, kind, path, fingerprint, size, recorded)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute((
                export.album.get(),
                chapter,
                &export.kind,
                &path,
                &export.fingerprint,
                export.size,
                unix_seconds(export.recorded),
            ))?;
            Ok(())
        })
    }

    /// The exports recorded for an album (its own first, then its chapters').
    pub fn exports_of(&self, album: JmId) -> Result<Vec<ExportEntry>, ArchiveError> {
        self.read("read", |conn| {
            conn.prepare_cached(
                "SELECT album, chapter, kind, path, fingerprint, size, recorded
                 FROM exports WHERE album = ?1 ORDER BY chapter, kind, path",
            )?
            .query_map([album.get()], |r| {
                Ok(ExportEntry {
                    album: JmId::new(r.get(0)?),
                    chapter: r.get::<_, Option<u64>>(1)?.map(JmId::new),
                    kind: r.get(2)?,
                    path: path_from_row(r, 3)?,
                    fingerprint: r.get(4)?,
                    size: r.get(5)?,
                    recorded: from_unix_seconds(r.get(6)?),
                })
            })?
            .collect()
        })
    }

    /// Every album with recorded pages or exports, by album id.
    pub fn albums(&self) -> Result<Vec<AlbumSummary>, ArchiveError> {
        self.read("read", |conn| {
            conn.prepare_cached(
                "WITH p AS (SELECT album, COUNT(DISTINCT chapter) AS chapters,
                                   COUNT(*) AS pages, SUM(size) AS bytes, MAX(recorded) AS last
                            FROM pages GROUP BY album),
                      e AS (SELECT album, COUNT(*) AS exports, MAX(recorded) AS last
                            FROM exports GROUP BY album),
                      ids AS (SELECT album FROM p UNION SELECT album FROM e)
                 SELECT ids.album, a.title,
                        COALESCE(p.chapters, 0), COALESCE(p.pages, 0), COALESCE(p.bytes, 0),
                        COALESCE(e.exports, 0),
                        MAX(COALESCE(p.last, e.last), COALESCE(e.last, p.last))
                 FROM ids LEFT JOIN p USING (album) LEFT JOIN e USING (album)
                          LEFT JOIN albums a USING (album)
                 ORDER BY ids.album",
            )?
            .query_map([], |r| {
                Ok(AlbumSummary {
                    album: JmId::new(r.get(0)?),
                    title: r.get(1)?,
                    chapters: r.get(2)?,
                    pages: r.get(3)?,
                    bytes: r.get(4)?,
                    exports: r.get(5)?,
                    last_update: from_unix_seconds(r.get(6)?),
                })
            })?
            .collect()
        })
    }

    /// The chapters of an album that have recorded pages, by chapter id.
    pub fn chapters_of(&self, album: JmId) -> Result<Vec<ChapterSummary>, ArchiveError> {
        self.read("read", |conn| {
            conn.prepare_cached(
                "SELECT chapter, COUNT(*), SUM(size), MAX(recorded)
                 FROM pages WHERE album = ?1 GROUP BY chapter ORDER BY chapter",
            )?
            .query_map([album.get()], |r| {
                Ok(ChapterSummary {
                    chapter: JmId::new(r.get(0)?),
                    pages: r.get(1)?,
                    bytes: r.get(2)?,
                    last_update: from_unix_seconds(r.get(3)?),
                })
            })?
            .collect()
        })
    }

    /// Forgets an album or a chapter, so that the next run downloads it again: removes its
    /// pages and exports (and an album's title).
    ///
    /// Albums and chapters share one number space on the site, so `id` is looked up as
    /// both. An album whose only chapter has the album's own id (single-chapter albums) is
    /// forgotten whole either way; to forget just a chapter that shares its album's id, use
    /// [`forget_chapter`](Self::forget_chapter).
    pub fn forget(&self, id: JmId) -> Result<Forgotten, ArchiveError> {
        self.write("forget in", |tx| {
            let id = id.get();
            let is_album: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM pages WHERE album = ?1)
                     OR EXISTS (SELECT 1 FROM exports WHERE album = ?1)
                     OR EXISTS (SELECT 1 FROM albums WHERE album = ?1)",
                [id],
                |r| r.get(0),
            )?;
            let chapters: u64 = tx.query_row(
                "SELECT COUNT(DISTINCT chapter) FROM pages WHERE album = ?1 OR chapter = ?1",
                [id],
                |r| r.get(0),
            )?;
            let pages = tx.execute("DELETE FROM pages WHERE album = ?1 OR chapter = ?1", [id])?;
            let exports =
                tx.execute("DELETE FROM exports WHERE album = ?1 OR chapter = ?1", [id])?;
            tx.execute("DELETE FROM albums WHERE album = ?1", [id])?;
            let kind = if is_album {
                Some(Kind::Album)
            } else if pages + exports > 0 {
                Some(Kind::Chapter)
            } else {
                None
            };
            Ok(Forgotten {
                kind,
                chapters,
                pages: pages as u64,
                exports: exports as u64,
            })
        })
    }

    /// Forgets one chapter only: its pages and its own exports.
    pub fn forget_chapter(&self, chapter: JmId) -> Result<Forgotten, ArchiveError> {
        self.write("forget in", |tx| {
            let id = chapter.get();
            let pages = tx.execute("DELETE FROM pages WHERE chapter = ?1", [id])?;
            let exports = tx.execute("DELETE FROM exports WHERE chapter = ?1", [id])?;
            let found = pages + exports > 0;
            Ok(Forgotten {
                kind: found.then_some(Kind::Chapter),
                chapters: u64::from(pages > 0),
                pages: pages as u64,
                exports: exports as u64,
            })
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while the lock was held left no transaction open (a dropped rusqlite
        // transaction rolls back), so the connection is still good.
        self.inner
            .conn
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn error(&self, action: &'static str, source: rusqlite::Error) -> ArchiveError {
        ArchiveError::Sqlite {
            action,
            path: self.inner.path.clone(),
            source,
        }
    }

    /// Runs statements that read, outside any explicit transaction (each statement sees one
    /// consistent snapshot).
    fn read<T>(
        &self,
        action: &'static str,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, ArchiveError> {
        let conn = self.lock();
        f(&conn).map_err(|e| self.error(action, e))
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction, committed when `f` succeeds.
    fn write<T>(
        &self,
        action: &'static str,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<T>,
    ) -> Result<T, ArchiveError> {
        let mut conn = self.lock();
        let run = || -> rusqlite::Result<T> {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        };
        run().map_err(|e| self.error(action, e))
    }
}

/// Checks that `conn` is a jmcomic archive (or a new, empty file) that this build can use,
/// and returns its schema version (0 for a new file).
fn check_identity(path: &Path, conn: &Connection) -> Result<i32, ArchiveError> {
    let identity = conn.query_row(
        "SELECT (SELECT application_id FROM pragma_application_id),
                    (SELECT user_version FROM pragma_user_version),
                    (SELECT COUNT(*) FROM sqlite_schema)",
        [],
        |r| {
            Ok((
                r.get::<_, i32>(0)?,
                r.get::<_, i32>(1)?,
                r.get::<_, i64>(2)?,
            ))
        },
    );
    let (app_id, version, objects) = match identity {
        Ok(row) => row,
        Err(e) if e.sqlite_error_code() == Some(ErrorCode::NotADatabase) => {
            return Err(ArchiveError::NotAnArchive {
                path: path.to_owned(),
                reason: "it is not an SQLite database".to_owned(),
            });
        }
        Err(source) => {
            return Err(ArchiveError::Sqlite {
                action: "open",
                path: path.to_owned(),
                source,
            });
        }
    };
    match (app_id, version, objects) {
        (APPLICATION_ID, v, _) if v > SCHEMA_VERSION => Err(ArchiveError::NewerSchema {
            path: path.to_owned(),
            found: v,
            supported: SCHEMA_VERSION,
        }),
        (APPLICATION_ID, v, _) if v >= 0 => Ok(v),
        (APPLICATION_ID, v, _) => Err(ArchiveError::NotAnArchive {
            path: path.to_owned(),
            reason: format!("it is marked as one but its schema version ({v}) is invalid"),
        }),
        // A new file (or an empty one): SQLite reads it as an empty database.
        (0, 0, 0) => Ok(0),
        _ => Err(ArchiveError::NotAnArchive {
            path: path.to_owned(),
            reason: format!(
                "it is an SQLite database of another program (application id {app_id:#x}, \
                 schema version {version}, {objects} tables and indexes); it was left as it is"
            ),
        }),
    }
}

fn page_from_row(r: &Row<'_>) -> rusqlite::Result<PageEntry> {
    Ok(PageEntry {
        album: JmId::new(r.get(0)?),
        chapter: JmId::new(r.get(1)?),
        index: r.get(2)?,
        file_name: r.get(3)?,
        path: path_from_row(r, 4)?,
        size: r.get(5)?,
        recorded: from_unix_seconds(r.get(6)?),
    })
}

/// A path as stored: text when it is UTF-8 (readable with any SQLite tool), otherwise its
/// bytes, so no path is altered on the way in.
fn path_value(path: &Path) -> Value {
    match path.to_str() {
        Some(s) => Value::Text(s.to_owned()),
        None => Value::Blob(path_bytes(path)),
    }
}

#[cfg(unix)]
fn path_bytes(path: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    path.as_os_str().as_bytes().to_vec()
}

#[cfg(not(unix))]
fn path_bytes(path: &Path) -> Vec<u8> {
    // Only Unix paths can be other than Unicode in practice; elsewhere the lossy form is
    // the best there is.
    path.to_string_lossy().into_owned().into_bytes()
}

fn path_from_row(r: &Row<'_>, i: usize) -> rusqlite::Result<PathBuf> {
    match r.get_ref(i)? {
        ValueRef::Text(t) => Ok(PathBuf::from(String::from_utf8_lossy(t).into_owned())),
        ValueRef::Blob(b) => Ok(path_from_bytes(b)),
        other => Err(rusqlite::Error::InvalidColumnType(
            i,
            "path".to_owned(),
            other.data_type(),
        )),
    }
}

#[cfg(unix)]
fn path_from_bytes(b: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(b))
}

#[cfg(not(unix))]
fn path_from_bytes(b: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(b).into_owned())
}

/// Seconds since the Unix epoch (negative before it).
fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

fn from_unix_seconds(s: i64) -> SystemTime {
    let d = Duration::from_secs(s.unsigned_abs());
    let t = if s >= 0 {
        UNIX_EPOCH.checked_add(d)
    } else {
        UNIX_EPOCH.checked_sub(d)
    };
    t.unwrap_or(UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_to_the_second() {
        for s in [0, 1, 1_700_000_000, -86_400] {
            assert_eq!(unix_seconds(from_unix_seconds(s)), s);
        }
    }
}
