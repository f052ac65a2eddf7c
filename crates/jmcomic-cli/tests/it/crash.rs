//! SIGKILL in the middle of a download, then resume: every page ends up correct, byte for
//! byte equal to an uninterrupted run, and no final file is ever incomplete.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use jmcomic_emulator::{Catalog, Emulator};

use crate::support::{bin, files_under, option_file, run};

fn is_temp(p: &Path) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.') && n.ends_with(".jmpart"))
}

fn pages(dir: &Path) -> Vec<std::path::PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|p| !is_temp(p))
        .collect()
}

#[test]
fn killed_downloads_resume_to_the_same_bytes() {
    let emu = Emulator::builder()
        .catalog(Catalog::bench(2, 60, 240, 320))
        .latency(Duration::from_millis(10))
        .start()
        .unwrap();
    emu.warm();
    let ids: Vec<String> = emu
        .catalog()
        .albums
        .iter()
        .map(|a| a.id.to_string())
        .collect();
    let total = 120;

    // The reference: one uninterrupted run.
    let tmp = tempfile::tempdir().unwrap();
    let clean = tmp.path().join("clean");
    let opt = option_file(&emu, tmp.path(), &clean);
    let out = run(bin().arg("--option").arg(&opt).args(&ids));
    assert_eq!(out.status.code(), Some(0));
    let reference: Vec<(std::path::PathBuf, Vec<u8>)> = pages(&clean)
        .into_iter()
        .map(|p| {
            (
                p.strip_prefix(&clean).unwrap().to_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    assert_eq!(reference.len(), total);

    // Ten kill points spread over the download (deterministic).
    let mut rng = fastrand::Rng::with_seed(0x5eed);
    let mut killed_with_temp = 0;
    for trial in 0..10 {
        let target = 1 + rng.usize(..total - 10);
        let dir = tmp.path().join(format!("trial{trial}"));
        let opt = option_file(
            &emu,
            &tmp.path().join(format!("o{trial}")).tap_mkdir(),
            &dir,
        );
        let mut child = bin()
            .arg("--option")
            .arg(&opt)
            .arg("--no-progress")
            .args(&ids)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while pages(&dir).len() < target && started.elapsed() < Duration::from_secs(30) {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        // Whatever is under a final name is complete.
        let on_disk = pages(&dir);
        for p in &on_disk {
            let bytes = std::fs::read(p).unwrap();
            jmcomic::image::check_complete(&bytes).unwrap_or_else(|e| {
                panic!("trial {trial}: incomplete final file {}: {e}", p.display())
            });
        }
        if files_under(&dir).iter().any(|p| is_temp(p)) {
            killed_with_temp += 1;
        }
        // Resume once.
        let out = run(bin()
            .arg("--option")
            .arg(&opt)
            .arg("--no-progress")
            .args(&ids));
        assert_eq!(out.status.code(), Some(0), "trial {trial}");
        let after: Vec<(std::path::PathBuf, Vec<u8>)> = pages(&dir)
            .into_iter()
            .map(|p| {
                (
                    p.strip_prefix(&dir).unwrap().to_owned(),
                    std::fs::read(&p).unwrap(),
                )
            })
            .collect();
        assert!(
            after == reference,
            "trial {trial} (killed after {target} pages) differs from the clean run"
        );
        assert!(
            !files_under(&dir).iter().any(|p| is_temp(p)),
            "trial {trial}: temporary files left"
        );
    }
    eprintln!(
        "{killed_with_temp} of 10 kills left temporary files behind (all cleaned by the resume)"
    );
}

trait TapMkdir {
    fn tap_mkdir(self) -> Self;
}

impl TapMkdir for std::path::PathBuf {
    fn tap_mkdir(self) -> Self {
        std::fs::create_dir_all(&self).unwrap();
        self
    }
}

#[test]
fn ctrl_c_stops_cleanly() {
    let emu = Emulator::builder()
        .catalog(Catalog::bench(1, 80, 240, 320))
        .latency(Duration::from_millis(20))
        .start()
        .unwrap();
    emu.warm();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("lib");
    let opt = option_file(&emu, tmp.path(), &dir);
    let id = emu.catalog().albums[0].id.to_string();
    let child = bin()
        .arg("--option")
        .arg(&opt)
        .arg(&id)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while pages(&dir).len() < 10 && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(2));
    }
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("stopping"), "{err}");
    // Two lines say what was done and how to go on, not one failure per page left.
    assert!(err.contains("interrupted after "), "{err}");
    assert!(err.contains(" page(s) not downloaded"), "{err}");
    assert!(
        err.contains("run the same command again to resume"),
        "{err}"
    );
    assert!(
        !err.contains("not downloaded: the download was stopped"),
        "{err}"
    );
    assert!(!err.contains("failed ("), "{err}");
    let on_disk = pages(&dir);
    assert!(on_disk.len() < 80, "stopped before the end");
    for p in &on_disk {
        jmcomic::image::check_complete(&std::fs::read(p).unwrap()).unwrap();
    }
    assert!(
        !files_under(&dir).iter().any(|p| is_temp(p)),
        "temporary files left"
    );
}
