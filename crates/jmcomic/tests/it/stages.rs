//! After-chapter / after-album stages: when they run, off the runtime's workers, and how
//! their outputs and failures land in the report.

use std::sync::{Arc, Mutex};

use jmcomic::stage::{AlbumDone, ChapterDone, Stage, StageContext, StageError, StageResult};
use jmcomic::{Cause, Event, JmId, Kind, Output, Target};
use jmcomic_emulator::Emulator;

use crate::support::{downloader, options};

/// Records every call, and what it saw.
#[derive(Default)]
struct Recorder {
    calls: Mutex<Vec<String>>,
}

impl Stage for Recorder {
    fn name(&self) -> &'static str {
        "recorder"
    }

    fn after_chapter(&self, cx: &StageContext, done: &ChapterDone) -> StageResult {
        assert_eq!(done.chapter.id, done.report.id);
        assert!(done.report.is_complete());
        // Every page of the chapter is on disk when its stages run.
        for p in done.report.page_paths() {
            assert!(p.is_file(), "{}", p.display());
        }
        self.calls.lock().unwrap().push(format!(
            "chapter {} of {} ({:?} download)",
            done.chapter.id, cx.album.id, cx.target.kind
        ));
        let path = cx.album_dir.join(format!("{}.txt", done.chapter.id));
        std::fs::write(&path, "x").map_err(|e| Cause::io("write", &path, e))?;
        Ok(vec![Output::new(
            self.name(),
            Some(done.chapter.id),
            path,
            "txt",
        )])
    }

    fn after_album(&self, cx: &StageContext, done: &AlbumDone) -> StageResult {
        // The album stage sees every chapter and the outputs of chapter stages.
        let chapter_outputs = done.report.outputs.len();
        self.calls.lock().unwrap().push(format!(
            "album {} ({:?} download, {} chapters, {chapter_outputs} outputs so far)",
            cx.album.id,
            cx.target.kind,
            done.chapters.len()
        ));
        // Stages run on a blocking thread: waiting for the client here works (on an async
        // worker, `block_on` would panic).
        let album = cx
            .block_on(cx.client.album(cx.album.id))
            .map_err(Cause::from)?;
        assert_eq!(album.id, cx.album.id);
        Ok(Vec::new())
    }
}

struct Failing;

impl Stage for Failing {
    fn name(&self) -> &'static str {
        "failing"
    }

    fn after_album(&self, _cx: &StageContext, _done: &AlbumDone) -> StageResult {
        Err(Cause::plugin("no space for the export").into())
    }
}

/// Fails the download (a plugin entry with `safe: false`).
struct Fatal;

impl Stage for Fatal {
    fn name(&self) -> &'static str {
        "fatal"
    }

    fn after_album(&self, cx: &StageContext, _done: &AlbumDone) -> StageResult {
        if cx.album.id == JmId::new(268_849) {
            return Err(StageError::fatal(Cause::plugin("must not go on")));
        }
        Ok(Vec::new())
    }
}

struct Panicking;

impl Stage for Panicking {
    fn name(&self) -> &'static str {
        "panicking"
    }

    fn after_chapter(&self, _cx: &StageContext, _done: &ChapterDone) -> StageResult {
        panic!("a bug in a stage");
    }
}

#[tokio::test]
async fn stages_run_after_each_chapter_and_album_off_the_runtime() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let opts = options(&emu, tmp.path(), "Bd / {Aid} / {Pindex}", "");
    let recorder = Arc::new(Recorder::default());
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&events);
    let dl = downloader(opts)
        .shared_stage(recorder.clone())
        .reporter(move |e: &Event| {
            if matches!(
                e,
                Event::StageStarted { .. } | Event::StageDone { .. } | Event::StageFailed { .. }
            ) {
                seen.lock().unwrap().push(serde_json::to_value(e).unwrap());
            }
        })
        .build()
        .unwrap();

    // Album download: one call per chapter, then one for the album.
    let report = dl.album(JmId::new(220_979)).await.unwrap();
    let mut calls = recorder.calls.lock().unwrap().clone();
    let album_call = calls.pop().unwrap();
    calls.sort();
    assert_eq!(
        calls,
        [
            "chapter 220979 of 220979 (Album download)",
            "chapter 220980 of 220979 (Album download)",
            "chapter 220981 of 220979 (Album download)",
        ]
    );
    assert_eq!(
        album_call,
        "album 220979 (Album download, 3 chapters, 3 outputs so far)"
    );
    // The outputs are in the report, and in its JSON.
    assert_eq!(report.export_paths("TXT").len(), 3);
    assert!(report.outputs.iter().all(|o| o.path.is_file()));
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["outputs"].as_array().unwrap().len(), 3);
    assert_eq!(json["outputs"][0]["stage"], "recorder");
    assert_eq!(json["complete"], true);
    // Events: started/done for 3 chapters and the album.
    let events = events.lock().unwrap().clone();
    let kinds: Vec<&str> = events
        .iter()
        .filter(|e| e["stage"] == "recorder")
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.iter().filter(|k| **k == "stage_started").count(), 4);
    assert_eq!(kinds.iter().filter(|k| **k == "stage_done").count(), 4);

    // Chapter download: the chapter's call, then the album call for the one chapter.
    recorder.calls.lock().unwrap().clear();
    let report = dl.chapter(JmId::new(268_850)).await.unwrap();
    assert_eq!(report.target, Target::chapter(JmId::new(268_850)));
    assert_eq!(
        *recorder.calls.lock().unwrap(),
        [
            "chapter 268850 of 268849 (Chapter download)",
            "album 268849 (Chapter download, 1 chapters, 1 outputs so far)",
        ]
    );
    assert_eq!(report.target.kind, Kind::Chapter);
}

#[tokio::test]
async fn failing_and_panicking_stages_are_reported_and_never_stop_the_download() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let opts = options(&emu, tmp.path(), "Bd / {Aid} / {Pindex}", "");
    let dl = downloader(opts)
        .stage(Panicking)
        .stage(Failing)
        .check_exception(false)
        .build()
        .unwrap();
    let report = dl.album(JmId::new(268_849)).await.unwrap();
    // Every page is on disk.
    assert_eq!(report.pages_failed(), 0);
    assert_eq!(report.page_paths().len(), 13);
    // One failure per chapter for the panicking stage, one for the album stage.
    assert_eq!(report.stage_failures.len(), 4);
    assert!(!report.is_complete());
    let failures = report.failures();
    assert!(
        failures
            .iter()
            .any(|f| f.what == "failing of album 268849" && f.reason == "no space for the export"),
        "{failures:?}"
    );
    assert!(
        failures
            .iter()
            .any(|f| f.what == "panicking of chapter 268850" && f.reason.contains("panicked")),
        "{failures:?}"
    );
    assert!(failures.iter().all(|f| f.kind == "plugin"));

    // With check_exception, a failed stage makes the call an error carrying the report.
    let tmp2 = tempfile::tempdir().unwrap();
    let dl = downloader(options(&emu, tmp2.path(), "Bd / {Aid} / {Pindex}", ""))
        .stage(Failing)
        .build()
        .unwrap();
    let err = dl.album(JmId::new(268_849)).await.unwrap_err();
    assert!(err.to_string().contains("1 export step(s)"), "{err}");
    assert_eq!(err.report().unwrap().page_paths().len(), 13);
}

#[tokio::test]
async fn a_fatal_stage_fails_its_target_only() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dl = downloader(options(&emu, tmp.path(), "Bd / {Aid} / {Pindex}", ""))
        .stage(Fatal)
        .build()
        .unwrap();
    let batch = dl
        .batch([
            Target::album(JmId::new(268_849)),
            Target::album(JmId::new(438_516)),
        ])
        .await;
    let (target, result) = &batch.items[0];
    assert_eq!(*target, Target::album(JmId::new(268_849)));
    let err = result.as_ref().unwrap_err();
    assert!(matches!(err, jmcomic::Error::Stage { .. }), "{err:?}");
    assert_eq!(err.to_string(), "fatal: must not go on");
    // The pages written before stay, and the report says so.
    assert_eq!(err.report().unwrap().page_paths().len(), 13);
    // The other album of the batch is done.
    assert!(batch.items[1].1.as_ref().unwrap().is_complete());
    let json: serde_json::Value = serde_json::from_str(&batch.to_json()).unwrap();
    assert_eq!(json["complete"], false);
    assert_eq!(json["items"][0]["error"], "fatal: must not go on");
    assert_eq!(json["items"][1]["complete"], true);
}
