//! The command line keeps the remembered domains at the end of a run (issue 12 item 4):
//! the next command starts from the domain that worked.

use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use jmcomic_emulator::Emulator;

use crate::support::{bin, run};

/// A port that accepts connections and closes them at once, counting them.
fn dead_host() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let domain = format!("http://{}", listener.local_addr().unwrap());
    let contacts = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&contacts);
    // The thread ends with the test process.
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            seen.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    (domain, contacts)
}

fn api_domain_kept(state: &Path) -> Option<String> {
    let text = std::fs::read_to_string(state).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["entries"][0]["domains"]["api"]
        .as_str()
        .map(str::to_owned)
}

#[test]
fn downloads_and_site_commands_keep_the_domain_that_worked() {
    let emu = Emulator::start().unwrap();
    let (dead, contacts) = dead_host();
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state").join("domains.json");
    let opt = tmp.path().join("option.yml");
    std::fs::write(
        &opt,
        format!(
            "client:\n  retry_times: 1\n  domain: {}\n  image_domain: {}\n  state_file: {}\ndir_rule:\n  base_dir: {}\n",
            serde_json::to_string(&[dead.clone(), emu.api_domains()[0].clone()]).unwrap(),
            serde_json::to_string(&emu.image_domains()).unwrap(),
            serde_json::to_string(&state.display().to_string()).unwrap(),
            serde_json::to_string(&tmp.path().join("lib").display().to_string()).unwrap(),
        ),
    )
    .unwrap();

    // A download walks the dead domain first and keeps the one that answered.
    let out = run(bin().arg("--option").arg(&opt).arg("438516"));
    assert_eq!(out.status.code(), Some(0));
    assert!(contacts.load(Ordering::SeqCst) >= 1);
    assert_eq!(api_domain_kept(&state), Some(emu.api_domains()[0].clone()));

    // A command that only asks the site keeps the state too: from a state file with nothing
    // in it, it walks the dead domain first and then keeps the one that answered...
    let before = contacts.load(Ordering::SeqCst);
    std::fs::write(
        &state,
        serde_json::to_string(&serde_json::json!({"jmcomic_state": 1, "entries": []})).unwrap(),
    )
    .unwrap();
    let out = run(bin().arg("--option").arg(&opt).args(["show", "438516"]));
    assert_eq!(out.status.code(), Some(0));
    assert!(contacts.load(Ordering::SeqCst) > before);
    assert_eq!(api_domain_kept(&state), Some(emu.api_domains()[0].clone()));
    // ... so the next command starts there: the dead domain is not contacted.
    let before = contacts.load(Ordering::SeqCst);
    let out = run(bin().arg("--option").arg(&opt).args(["show", "438516"]));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        contacts.load(Ordering::SeqCst),
        before,
        "dead domain contacted"
    );
}
