//! When the site fights back (issue 12): `client.dns`, `client.rate_limit` and the state
//! file of remembered domains, through the options as a user writes them.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use jmcomic::{Downloader, JmId, Options, PageOutcome};
use jmcomic_emulator::{Emulator, HostRole};

use crate::support::check_page;

/// A port that accepts connections and closes them at once, counting them: a dead domain
/// whose every contact can be seen.
struct DeadHost {
    domain: String,
    contacts: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl DeadHost {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let domain = format!("http://{}", listener.local_addr().expect("its address"));
        let contacts = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&contacts);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                seen.fetch_add(1, Ordering::SeqCst);
                drop(stream);
            }
        });
        Self {
            domain,
            contacts,
            task,
        }
    }

    fn contacts(&self) -> usize {
        self.contacts.load(Ordering::SeqCst)
    }
}

impl Drop for DeadHost {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn json(v: &impl serde::Serialize) -> String {
    serde_json::to_string(v).unwrap()
}

fn load(yaml: &str) -> Options {
    Options::from_yaml_str(yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"))
}

/// Downloads album 438516 (one chapter, 8 pages) with a downloader built from `options` as
/// the command line builds it (the client from `Options::build_client`), checks every page
/// against the emulator's, and keeps the state for the next run.
async fn download(emu: &Emulator, options: Options) -> Downloader {
    let dl = Downloader::builder(options).build().unwrap();
    let report = dl.album(JmId::new(438_516)).await.unwrap();
    let mut pages = 0;
    for chapter in &report.chapters {
        for page in &chapter.pages {
            assert!(
                matches!(page.outcome, PageOutcome::Written { .. }),
                "{page:?}"
            );
            check_page(emu, chapter.id.get(), &page.file_name, &page.path);
            pages += 1;
        }
    }
    assert_eq!(pages, 8);
    dl.save_state().unwrap();
    dl
}

/// The remembered domains of the file, read back with another reader than the writer's.
fn remembered(state: &Path) -> (Option<String>, Option<String>) {
    let text = std::fs::read_to_string(state).unwrap();
    let docs = yaml_rust2::YamlLoader::load_from_str(&text).expect("JSON is YAML");
    let domains = &docs[0]["entries"][0]["domains"];
    (
        domains["api"].as_str().map(str::to_owned),
        domains["image"].as_str().map(str::to_owned),
    )
}

#[tokio::test]
async fn the_second_run_starts_from_the_remembered_domains() {
    let emu = Emulator::start().unwrap();
    let (dead_api, dead_cdn) = (DeadHost::start().await, DeadHost::start().await);
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("cache").join("domains.json");
    let yaml = |run: &str| {
        format!(
            "client:\n  retry_times: 1\n  domain: {}\n  image_domain: {}\n  state_file: {}\ndir_rule:\n  base_dir: {}\n  rule: Bd / {{Aid}}\n",
            json(&[dead_api.domain.clone(), emu.api_domains()[0].clone()]),
            json(&[dead_cdn.domain.clone(), emu.image_domains()[0].clone()]),
            json(&state.display().to_string()),
            json(&tmp.path().join(run).display().to_string()),
        )
    };

    // First run: the dead domains are walked first; what answered is kept.
    download(&emu, load(&yaml("first"))).await;
    assert!(dead_api.contacts() >= 1 && dead_cdn.contacts() >= 1);
    assert_eq!(
        remembered(&state),
        (
            Some(emu.api_domains()[0].clone()),
            Some(emu.image_domains()[0].clone())
        )
    );

    // Second run, same option file: the dead domains are not contacted at all, and the
    // emulator's first request of the run is on the API domain that worked.
    let before = (dead_api.contacts(), dead_cdn.contacts());
    emu.clear_requests();
    download(&emu, load(&yaml("second"))).await;
    assert_eq!((dead_api.contacts(), dead_cdn.contacts()), before);
    let first = emu.requests().into_iter().next().unwrap();
    assert_eq!(emu.host_role(first.host), Some(HostRole::Api), "{first:?}");

    // Without the state file (`state_file: false`) every run walks the dead ones again.
    let off = yaml("third").replace(
        &format!("state_file: {}", json(&state.display().to_string())),
        "state_file: false",
    );
    download(&emu, load(&off)).await;
    assert!(
        dead_api.contacts() > before.0,
        "the dead API domain is tried first"
    );
}

#[tokio::test]
async fn a_corrupt_state_file_is_ignored_and_replaced() {
    let emu = Emulator::start().unwrap();
    let dead = DeadHost::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("domains.json");
    std::fs::write(&state, "{\"jmcomic_state\": 1, \"entries\": [{\"for\": 3").unwrap();
    let yaml = format!(
        "client:\n  retry_times: 1\n  domain: {}\n  image_domain: {}\n  state_file: {}\ndir_rule:\n  base_dir: {}\n",
        json(&[dead.domain.clone(), emu.api_domains()[0].clone()]),
        json(&emu.image_domains()),
        json(&state.display().to_string()),
        json(&tmp.path().display().to_string()),
    );
    // The run goes as without a file (the dead domain first) and the save replaces it.
    download(&emu, load(&yaml)).await;
    assert!(dead.contacts() >= 1);
    assert_eq!(remembered(&state).0, Some(emu.api_domains()[0].clone()));
}

#[tokio::test]
async fn the_domain_server_answer_is_kept_for_its_lifetime() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("domains.json");
    // No API domains configured: they come from the domain server (the emulator's here).
    let options = load(&format!(
        "client:\n  image_domain: {}\n  state_file: {}\n",
        json(&emu.image_domains()),
        json(&state.display().to_string()),
    ));
    let client = |options: &Options| {
        let mut b = options
            .client_builder()
            .unwrap()
            .domain_server_urls([emu.domain_server_url()]);
        if let Some(memory) = options.state_file().and_then(|f| f.load(options)) {
            b = b.domain_memory(memory);
        }
        b.build().unwrap()
    };
    let asked = || {
        emu.requests()
            .iter()
            .filter(|r| r.path() == "/newsvr-2025.txt")
            .count()
    };

    let first = client(&options);
    first.album(JmId::new(10_086)).await.unwrap();
    assert_eq!(asked(), 1);
    options.save_state(&first).unwrap();

    // The next run reads the kept answer from the file and does not ask.
    emu.clear_requests();
    let second = client(&options);
    second.album(JmId::new(10_086)).await.unwrap();
    assert_eq!(asked(), 0);
    assert_eq!(second.api_domains(), emu.api_domains());

    // Two days later (the file edited to say so) it is stale and asked again.
    let mut disk: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    let refresh = &mut disk["entries"][0]["domains"]["refresh"]["fetched_at"];
    let two_days_ago = refresh.as_u64().unwrap() - 2 * 86_400;
    *refresh = two_days_ago.into();
    std::fs::write(&state, disk.to_string()).unwrap();
    emu.clear_requests();
    let third = client(&options);
    third.album(JmId::new(10_086)).await.unwrap();
    assert_eq!(asked(), 1);
}

#[tokio::test]
async fn a_download_through_doh_with_names_only_it_knows() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let yaml = format!(
        "client:\n  retry_times: 1\n  domain: {}\n  image_domain: {}\n  dns: {}\n  verify_tls: false\n  state_file: false\n  postman:\n    meta_data:\n      proxies: null\ndir_rule:\n  base_dir: {}\n  rule: Bd / {{Aid}}\n",
        json(&emu.named_domains(HostRole::Api)),
        json(&emu.named_domains(HostRole::Cdn)),
        json(&emu.doh_url()),
        json(&tmp.path().display().to_string()),
    );
    assert!(yaml.contains(".jm.test:"), "{yaml}");
    download(&emu, load(&yaml)).await;
    let asked: Vec<String> = emu.dns_queries().into_iter().map(|q| q.name).collect();
    assert!(asked.iter().any(|n| n.starts_with("api")), "{asked:?}");
    assert!(asked.iter().any(|n| n.starts_with("cdn")), "{asked:?}");
}

/// The most requests of `times` (sorted) within any window of length `per`.
fn busiest_window(times: &[Duration], per: Duration) -> usize {
    times
        .iter()
        .enumerate()
        .map(|(i, start)| {
            times[i..]
                .iter()
                .take_while(|t| t.saturating_sub(*start) < per)
                .count()
        })
        .max()
        .unwrap_or(0)
}

#[tokio::test]
async fn a_download_keeps_to_the_rate_limit() {
    let emu = Emulator::start().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let yaml = format!(
        "client:\n  domain: {}\n  image_domain: {}\n  state_file: false\n  rate_limit:\n    requests: 4\n    seconds: 1\n    api: {{requests: 2, seconds: 1}}\ndir_rule:\n  base_dir: {}\ndownload:\n  threading:\n    image: 8\n",
        json(&[emu.api_domains()[0].clone()]),
        json(&emu.image_domains()),
        json(&tmp.path().display().to_string()),
    );
    let started = std::time::Instant::now();
    download(&emu, load(&yaml)).await;
    let took = started.elapsed();
    let second = Duration::from_secs(1);
    for (role, limit) in [(HostRole::Api, 2), (HostRole::Cdn, 4)] {
        let mut times: Vec<Duration> = emu
            .requests()
            .iter()
            .filter(|r| emu.host_role(r.host) == Some(role))
            .map(|r| r.elapsed)
            .collect();
        times.sort();
        assert!(times.len() > limit, "{role:?}: {times:?}");
        let busiest = busiest_window(&times, second);
        assert!(
            busiest <= limit + 1,
            "{role:?}: {busiest} requests within a second (limit {limit}): {times:?}"
        );
    }
    // 8 pages at 4 a second take at least 7 quarter-seconds, whatever the API did.
    assert!(took >= Duration::from_millis(1700), "{took:?}");
}
