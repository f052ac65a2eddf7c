//! The download archive: what it records and returns, which files it refuses, and that
//! threads and separate processes writing one archive at once lose nothing and leave a
//! sound file.
//!
//! Results are checked through the archive's API and, independently, with plain SQL on the
//! file and with the file's header bytes (the SQLite file format is public:
//! <https://www.sqlite.org/fileformat2.html>).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jmcomic::archive::{
    AlbumSummary, ArchiveError, DownloadArchive, ExportEntry, Forgotten, PageEntry,
};
use jmcomic::{JmId, Kind};
use rusqlite::Connection;

fn id(n: u64) -> JmId {
    JmId::new(n)
}

fn at(seconds: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(seconds)
}

fn page(album: u64, chapter: u64, index: u32, size: u64, time: u64) -> PageEntry {
    PageEntry {
        album: id(album),
        chapter: id(chapter),
        index,
        file_name: format!("{index:05}.webp"),
        path: PathBuf::from(format!("/downloads/{album}/{chapter}/{index:05}.webp")),
        size,
        recorded: at(time),
    }
}

fn export(album: u64, chapter: Option<u64>, kind: &str, path: &str, time: u64) -> ExportEntry {
    ExportEntry {
        album: id(album),
        chapter: chapter.map(id),
        kind: kind.to_owned(),
        path: PathBuf::from(path),
        fingerprint: format!("{:032x}", album * 1000 + chapter.unwrap_or(0)),
        size: 4096,
        recorded: at(time),
    }
}

/// A plain SQLite connection on the archive file, not going through `DownloadArchive`.
fn raw(path: &Path) -> Connection {
    Connection::open(path).unwrap()
}

fn count(path: &Path, sql: &str) -> u64 {
    raw(path).query_row(sql, [], |r| r.get(0)).unwrap()
}

fn integrity(path: &Path) -> String {
    raw(path)
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap()
}

/// Every (chapter, file name) in the file, read with plain SQL.
fn stored_keys(path: &Path) -> HashSet<(u64, String)> {
    let conn = raw(path);
    let mut stmt = conn
        .prepare("SELECT chapter, file_name FROM pages")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// The 100-byte SQLite header of a closed file.
fn header(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()[..100].to_vec()
}

fn be32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap())
}

#[test]
fn handle_is_send_sync_and_debug_names_the_file() {
    fn send_sync<T: Send + Sync + Clone>() {}
    send_sync::<DownloadArchive>();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.sqlite");
    let archive = DownloadArchive::open(&path).unwrap();
    assert_eq!(archive.path(), path);
    assert!(format!("{archive:?}").contains(&path.display().to_string()));
}

#[test]
fn pages_round_trip_and_stay_done_after_the_folder_moves() {
    let dir = tempfile::tempdir().unwrap();
    // The archive's folder does not exist yet: open creates it.
    let path = dir.path().join("state/nested/archive.sqlite");
    let downloads = dir.path().join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    let archive = DownloadArchive::open(&path).unwrap();

    let mut chapter: Vec<PageEntry> = (1..=3)
        .map(|i| page(100, 200, i, 1000 + u64::from(i), 1_700_000_000))
        .collect();
    for p in &mut chapter {
        p.path = downloads.join(&p.file_name);
        std::fs::write(&p.path, b"page").unwrap();
    }
    archive.record_pages(&chapter).unwrap();
    archive
        .record_page(&page(100, 201, 1, 7, 1_700_000_100))
        .unwrap();

    assert!(archive.has_page(id(200), "00002.webp").unwrap());
    assert!(archive.has_page(id(201), "00001.webp").unwrap());
    assert!(!archive.has_page(id(200), "00004.webp").unwrap());
    // A page is its chapter and file name: the same name in another chapter is not it.
    assert!(!archive.has_page(id(202), "00001.webp").unwrap());
    assert_eq!(
        archive.pages_of_chapter(id(200)).unwrap(),
        HashSet::from([
            "00001.webp".into(),
            "00002.webp".into(),
            "00003.webp".into()
        ])
    );
    assert!(archive.pages_of_chapter(id(999)).unwrap().is_empty());
    assert_eq!(archive.page_entries(id(200)).unwrap(), chapter);

    // Recording a page again replaces its row (a re-download writes a new file).
    let mut again = chapter[0].clone();
    again.size = 5;
    again.path = downloads.join("elsewhere.webp");
    archive.record_page(&again).unwrap();
    assert_eq!(archive.page_entries(id(200)).unwrap()[0], again);

    // The user moves the download folder; a new handle (a later run) still has every page.
    drop(archive);
    std::fs::rename(&downloads, dir.path().join("moved")).unwrap();
    let later = DownloadArchive::open(&path).unwrap();
    for p in &chapter {
        assert!(
            later.has_page(p.chapter, &p.file_name).unwrap(),
            "{}",
            p.file_name
        );
    }
    drop(later);

    // Read independently: four rows, and the file is marked as a jmcomic archive of
    // schema 1 in WAL mode (header bytes 18/19 = 2, user_version at 60, application_id at 68).
    assert_eq!(count(&path, "SELECT COUNT(*) FROM pages"), 4);
    let h = header(&path);
    assert_eq!(&h[..16], b"SQLite format 3\0");
    assert_eq!((h[18], h[19]), (2, 2), "WAL mode");
    assert_eq!(be32(&h, 60), 1, "user_version");
    assert_eq!(&h[68..72], b"JMCA", "application_id");
}

#[cfg(unix)]
#[test]
fn paths_that_are_not_utf8_are_kept_byte_for_byte() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let archive = DownloadArchive::open(dir.path().join("a.sqlite")).unwrap();
    let mut p = page(1, 2, 1, 10, 1_700_000_000);
    p.path = PathBuf::from(OsStr::from_bytes(b"/d/\xff\xfe/00001.webp"));
    archive.record_page(&p).unwrap();
    let mut e = export(1, None, "zip", "x", 1_700_000_000);
    e.path = PathBuf::from(OsStr::from_bytes(b"/d/\xff.zip"));
    archive.record_export(&e).unwrap();
    assert_eq!(archive.page_entries(id(2)).unwrap(), vec![p]);
    assert_eq!(archive.exports_of(id(1)).unwrap(), vec![e]);
}

#[test]
fn exports_are_recorded_once_per_file() {
    let dir = tempfile::tempdir().unwrap();
    let archive = DownloadArchive::open(dir.path().join("a.sqlite")).unwrap();
    let album_pdf = export(100, None, "pdf", "/out/100.pdf", 1_700_000_000);
    let chapter_zip = export(100, Some(201), "zip", "/out/201.zip", 1_700_000_001);
    let other = export(300, None, "pdf", "/out/300.pdf", 1_700_000_002);
    for e in [&chapter_zip, &album_pdf, &other] {
        archive.record_export(e).unwrap();
    }
    // The album's PDF written again from changed pages: one row, the new fingerprint.
    let mut rewritten = album_pdf.clone();
    rewritten.fingerprint = "ff".repeat(16);
    rewritten.size = 9999;
    archive.record_export(&rewritten).unwrap();
    // The same kind at another path is another export.
    let copy = export(100, None, "pdf", "/elsewhere/100.pdf", 1_700_000_003);
    archive.record_export(&copy).unwrap();

    // The album's own exports first (by kind, then path), then its chapters'.
    assert_eq!(
        archive.exports_of(id(100)).unwrap(),
        vec![copy, rewritten, chapter_zip]
    );
    assert_eq!(archive.exports_of(id(300)).unwrap(), vec![other]);
    assert!(archive.exports_of(id(999)).unwrap().is_empty());
    assert_eq!(count(archive.path(), "SELECT COUNT(*) FROM exports"), 4);
}

/// Album 100: chapters 200 (3 pages) and 201 (2 pages), a title, an album and a chapter
/// export. Album 300: one chapter (id 300, as the site numbers single-chapter albums), no
/// title. Album 500: only an export. Album 400: a title and nothing else.
fn filled(dir: &Path) -> DownloadArchive {
    let archive = DownloadArchive::open(dir.join("a.sqlite")).unwrap();
    let mut pages = Vec::new();
    for i in 1..=3 {
        pages.push(page(
            100,
            200,
            i,
            100 * u64::from(i),
            1_700_000_000 + u64::from(i),
        ));
    }
    for i in 1..=2 {
        pages.push(page(100, 201, i, 1000, 1_700_000_050));
    }
    archive.record_pages(&pages).unwrap();
    archive.record_album(id(100), "第一本").unwrap();
    archive
        .record_export(&export(100, None, "pdf", "/o/100.pdf", 1_700_000_020))
        .unwrap();
    archive
        .record_export(&export(100, Some(201), "zip", "/o/201.zip", 1_700_000_090))
        .unwrap();
    archive
        .record_pages(&[
            page(300, 300, 1, 5, 1_600_000_000),
            page(300, 300, 2, 6, 1_600_000_001),
        ])
        .unwrap();
    archive
        .record_export(&export(500, None, "cbz", "/o/500.cbz", 1_650_000_000))
        .unwrap();
    archive.record_album(id(400), "nothing yet").unwrap();
    archive
}

#[test]
fn albums_sum_up_what_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let archive = filled(dir.path());
    // Titles can be renamed.
    archive.record_album(id(100), "第一本 (renamed)").unwrap();
    let albums = archive.albums().unwrap();
    let figures: Vec<_> = albums
        .iter()
        .map(|a: &AlbumSummary| {
            (
                a.album.get(),
                a.title.as_deref(),
                a.chapters,
                a.pages,
                a.bytes,
                a.exports,
                a.last_update,
            )
        })
        .collect();
    assert_eq!(
        figures,
        vec![
            (
                100,
                Some("第一本 (renamed)"),
                2,
                5,
                100 + 200 + 300 + 2000,
                2,
                at(1_700_000_090)
            ),
            (300, None, 1, 2, 11, 0, at(1_600_000_001)),
            (500, None, 0, 0, 0, 1, at(1_650_000_000)),
        ],
        "album 400 has a title but nothing recorded, so it is not listed"
    );
    let chapters: Vec<_> = archive
        .chapters_of(id(100))
        .unwrap()
        .iter()
        .map(|c| (c.chapter.get(), c.pages, c.bytes, c.last_update))
        .collect();
    assert_eq!(
        chapters,
        vec![
            (200, 3, 600, at(1_700_000_003)),
            (201, 2, 2000, at(1_700_000_050))
        ]
    );
}

#[test]
fn forget_by_album_id_removes_all_its_chapters_and_exports() {
    let dir = tempfile::tempdir().unwrap();
    let archive = filled(dir.path());
    let forgotten = archive.forget(id(100)).unwrap();
    assert_eq!(
        (
            forgotten.kind,
            forgotten.chapters,
            forgotten.pages,
            forgotten.exports
        ),
        (Some(Kind::Album), 2, 5, 2)
    );
    assert!(archive.pages_of_chapter(id(200)).unwrap().is_empty());
    assert!(archive.pages_of_chapter(id(201)).unwrap().is_empty());
    assert!(archive.exports_of(id(100)).unwrap().is_empty());
    // The other albums are untouched, and the title went with the album.
    let path = archive.path().to_owned();
    assert_eq!(count(&path, "SELECT COUNT(*) FROM pages"), 2);
    assert_eq!(
        count(&path, "SELECT COUNT(*) FROM pages WHERE album = 100"),
        0
    );
    assert_eq!(
        count(&path, "SELECT COUNT(*) FROM albums WHERE album = 100"),
        0
    );
    assert_eq!(
        archive
            .albums()
            .unwrap()
            .iter()
            .map(|a| a.album.get())
            .collect::<Vec<_>>(),
        vec![300, 500]
    );
    // Forgetting again finds nothing.
    assert!(archive.forget(id(100)).unwrap().is_empty());
    // A single-chapter album: its chapter has its id, and both go.
    let single = archive.forget(id(300)).unwrap();
    assert_eq!(
        (single.kind, single.chapters, single.pages),
        (Some(Kind::Album), 1, 2)
    );
}

#[test]
fn forget_by_chapter_id_removes_that_chapter_only() {
    let dir = tempfile::tempdir().unwrap();
    let archive = filled(dir.path());
    let forgotten = archive.forget(id(201)).unwrap();
    assert_eq!(
        (
            forgotten.kind,
            forgotten.chapters,
            forgotten.pages,
            forgotten.exports
        ),
        (Some(Kind::Chapter), 1, 2, 1)
    );
    assert!(archive.pages_of_chapter(id(201)).unwrap().is_empty());
    assert_eq!(archive.pages_of_chapter(id(200)).unwrap().len(), 3);
    // The album's own export stays; the chapter's is gone.
    let exports = archive.exports_of(id(100)).unwrap();
    assert_eq!(
        exports.iter().map(|e| e.chapter).collect::<Vec<_>>(),
        vec![None]
    );
    let album = &archive.albums().unwrap()[0];
    assert_eq!(
        (
            album.album.get(),
            album.chapters,
            album.pages,
            album.exports
        ),
        (100, 1, 3, 1)
    );

    assert_eq!(archive.forget(id(777)).unwrap(), Forgotten::default());
    // forget_chapter leaves an album alone even when the id is also the album's.
    let only = archive.forget_chapter(id(100)).unwrap();
    assert!(only.is_empty(), "{only:?}");
    assert_eq!(archive.pages_of_chapter(id(200)).unwrap().len(), 3);
    let chapter = archive.forget_chapter(id(200)).unwrap();
    assert_eq!(
        (chapter.kind, chapter.chapters, chapter.pages),
        (Some(Kind::Chapter), 1, 3)
    );
}

fn assert_names(err: &ArchiveError, path: &Path) {
    assert_eq!(err.path(), path);
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "message does not name the file: {err}"
    );
}

#[test]
fn an_archive_of_a_newer_schema_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.sqlite");
    DownloadArchive::open(&path)
        .unwrap()
        .record_page(&page(1, 2, 1, 3, 4))
        .unwrap();
    raw(&path).pragma_update(None, "user_version", 99).unwrap();

    let err = DownloadArchive::open(&path).unwrap_err();
    assert!(
        matches!(
            err,
            ArchiveError::NewerSchema {
                found: 99,
                supported: 1,
                ..
            }
        ),
        "{err:?}"
    );
    assert_names(&err, &path);
    assert!(err.to_string().contains("newer"), "{err}");
    let version: i32 = raw(&path)
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 99);
    assert_eq!(count(&path, "SELECT COUNT(*) FROM pages"), 1);
}

#[test]
fn a_file_that_is_not_sqlite_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    let text = "album 123 done\n".repeat(100);
    std::fs::write(&path, &text).unwrap();
    let err = DownloadArchive::open(&path).unwrap_err();
    assert!(matches!(err, ArchiveError::NotAnArchive { .. }), "{err:?}");
    assert_names(&err, &path);
    assert!(err.to_string().contains("not an SQLite database"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
}

#[test]
fn another_programs_database_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    raw(&path)
        .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
        .unwrap();
    let before = std::fs::read(&path).unwrap();
    let err = DownloadArchive::open(&path).unwrap_err();
    assert!(matches!(err, ArchiveError::NotAnArchive { .. }), "{err:?}");
    assert_names(&err, &path);
    assert!(err.to_string().contains("another program"), "{err}");
    // Not switched to WAL, not given our tables: byte for byte the same file.
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!((before[18], before[19]), (1, 1));
}

#[test]
fn open_existing_does_not_create_an_archive() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing.sqlite");
    let err = DownloadArchive::open_existing(&path).unwrap_err();
    assert!(matches!(err, ArchiveError::NotFound { .. }), "{err:?}");
    assert_names(&err, &path);
    assert!(!path.exists());
    DownloadArchive::open(&path)
        .unwrap()
        .record_page(&page(1, 2, 1, 3, 4))
        .unwrap();
    let archive = DownloadArchive::open_existing(&path).unwrap();
    assert!(archive.has_page(id(2), "00001.webp").unwrap());
}

#[test]
fn a_damaged_archive_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.sqlite");
    let archive = DownloadArchive::open(&path).unwrap();
    let pages: Vec<_> = (1..=500).map(|i| page(1, 2, i, 3, 4)).collect();
    archive.record_pages(&pages).unwrap();
    drop(archive);
    // Keep the header page (the file still says it is an archive), garble everything after.
    let mut bytes = std::fs::read(&path).unwrap();
    let page_size = usize::from(u16::from_be_bytes([bytes[16], bytes[17]]));
    assert!(
        bytes.len() > 2 * page_size,
        "the test needs several database pages"
    );
    for (i, b) in bytes[page_size..].iter_mut().enumerate() {
        *b = (i * 7 + 13) as u8;
    }
    std::fs::write(&path, &bytes).unwrap();

    let err = DownloadArchive::open(&path)
        .and_then(|a| a.pages_of_chapter(id(2)))
        .unwrap_err();
    assert_names(&err, &path);
    assert!(err.is_corrupt(), "{err:?}");
}

/// `n` pages of `writer`, in chapters of 25 (chapter ids unique per writer).
fn writer_pages(writer: u64, n: u32) -> Vec<PageEntry> {
    (0..n)
        .map(|i| {
            let chapter = writer * 1_000_000 + u64::from(i / 25);
            page(writer, chapter, i % 25 + 1, u64::from(i), 1_700_000_000)
        })
        .collect()
}

/// Writes like a download does: per chapter, look up what is done, record the chapter's
/// pages in one transaction; every seventh chapter page by page instead.
fn write_like_a_run(archive: &DownloadArchive, pages: &[PageEntry]) {
    for (n, chapter) in pages.chunks(25).enumerate() {
        let done = archive.pages_of_chapter(chapter[0].chapter).unwrap();
        assert!(done.is_empty(), "nobody else writes this chapter");
        if n % 7 == 0 {
            for p in chapter {
                archive.record_page(p).unwrap();
            }
        } else {
            archive.record_pages(chapter).unwrap();
        }
    }
    archive
        .record_album(pages[0].album, &format!("album {}", pages[0].album))
        .unwrap();
    archive
        .record_export(&export(
            pages[0].album.get(),
            None,
            "zip",
            "/o/x.zip",
            1_700_000_000,
        ))
        .unwrap();
}

fn check_everything_is_there(path: &Path, writers: impl Iterator<Item = u64>, per_writer: u32) {
    let expected: HashSet<(u64, String)> = writers
        .flat_map(|w| writer_pages(w, per_writer))
        .map(|p| (p.chapter.get(), p.file_name))
        .collect();
    let stored = stored_keys(path);
    assert_eq!(stored.len(), expected.len());
    assert!(stored == expected, "rows differ from what was written");
    assert_eq!(integrity(path), "ok");
}

#[test]
fn threads_with_their_own_handles_write_at_once() {
    const THREADS: u64 = 4;
    const PAGES: u32 = 2_000;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.sqlite");
    // All open the new file at the same moment too: creating the schema is raced.
    let start = Arc::new(Barrier::new(THREADS as usize));
    let handles: Vec<_> = (1..=THREADS)
        .map(|w| {
            let (path, start) = (path.clone(), Arc::clone(&start));
            std::thread::spawn(move || {
                start.wait();
                let archive = DownloadArchive::open(&path).unwrap();
                write_like_a_run(&archive, &writer_pages(w, PAGES));
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    check_everything_is_there(&path, 1..=THREADS, PAGES);
    let archive = DownloadArchive::open(&path).unwrap();
    let albums = archive.albums().unwrap();
    assert_eq!(albums.len(), THREADS as usize);
    assert!(
        albums
            .iter()
            .all(|a| a.pages == u64::from(PAGES) && a.exports == 1)
    );
}

#[test]
fn threads_sharing_one_handle_write_at_once() {
    const THREADS: u64 = 4;
    const PAGES: u32 = 1_000;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.sqlite");
    let archive = DownloadArchive::open(&path).unwrap();
    std::thread::scope(|s| {
        for w in 1..=THREADS {
            let archive = archive.clone();
            s.spawn(move || write_like_a_run(&archive, &writer_pages(w, PAGES)));
        }
    });
    check_everything_is_there(&path, 1..=THREADS, PAGES);
}

/// Set in a child copy of this test binary: the archive to write, the writer number and a
/// file whose appearance says "go" (so that all children write at the same time).
const CHILD_ENV: &str = "JMCOMIC_TEST_ARCHIVE_WRITER";
const PROCESS_PAGES: u32 = 1_500;

#[test]
fn separate_processes_write_one_archive_at_once() {
    if let Ok(job) = std::env::var(CHILD_ENV) {
        // Child: wait for the go file, then write like a download run.
        let mut parts = job.splitn(3, '|');
        let (path, writer, go) = (
            PathBuf::from(parts.next().unwrap()),
            parts.next().unwrap().parse::<u64>().unwrap(),
            PathBuf::from(parts.next().unwrap()),
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        while !go.exists() {
            assert!(Instant::now() < deadline, "no go file");
            std::thread::sleep(Duration::from_millis(2));
        }
        let archive = DownloadArchive::open(&path).unwrap();
        write_like_a_run(&archive, &writer_pages(writer, PROCESS_PAGES));
        return;
    }

    const CHILDREN: u64 = 3;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.sqlite");
    let go = dir.path().join("go");
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (1..=CHILDREN)
        .map(|w| {
            Command::new(&exe)
                .args([
                    "archive::separate_processes_write_one_archive_at_once",
                    "--exact",
                    "--test-threads=1",
                ])
                .env(
                    CHILD_ENV,
                    format!("{}|{w}|{}", path.display(), go.display()),
                )
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    // This process writes too, through a handle opened before the children start.
    let archive = DownloadArchive::open(&path).unwrap();
    std::fs::write(&go, b"").unwrap();
    write_like_a_run(&archive, &writer_pages(CHILDREN + 1, PROCESS_PAGES));
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "child writer failed: {}\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    drop(archive);
    check_everything_is_there(&path, 1..=CHILDREN + 1, PROCESS_PAGES);
    assert_eq!(count(&path, "SELECT COUNT(*) FROM exports"), CHILDREN + 1);
    assert_eq!(count(&path, "SELECT COUNT(*) FROM albums"), CHILDREN + 1);
}
