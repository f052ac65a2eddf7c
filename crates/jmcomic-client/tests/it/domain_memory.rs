//! Remembered domains (issue 12 item 4): a client hands what it learnt about the domains to
//! the next one, which starts from the domains that worked and reuses a fresh domain-server
//! answer.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use jmcomic_client::{Client, DomainMemory, DomainRefresh};
use jmcomic_emulator::Emulator;
use jmcomic_model::JmId;

use super::support::builder;

/// A port that accepts connections and closes them at once, counting them: a dead domain
/// whose every contact can be seen.
pub struct DeadHost {
    pub domain: String,
    contacts: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl DeadHost {
    pub async fn start() -> Self {
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

    /// Connections accepted so far.
    pub fn contacts(&self) -> usize {
        self.contacts.load(Ordering::SeqCst)
    }
}

impl Drop for DeadHost {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[tokio::test]
async fn the_next_client_starts_from_the_domains_that_worked() {
    let emu = Emulator::start().unwrap();
    let dead_api = DeadHost::start().await;
    let dead_cdn = DeadHost::start().await;
    let make = || {
        builder(&emu)
            .api_domains([dead_api.domain.clone(), emu.api_domains()[0].clone()])
            .image_domains([dead_cdn.domain.clone(), emu.image_domains()[0].clone()])
    };
    let fetch = |c: Client| async move {
        let chapter = c.chapter(JmId::new(438_516)).await.unwrap();
        let image = chapter.images().into_iter().next().unwrap();
        assert!(!c.image_bytes(&image).await.unwrap().is_empty());
        c
    };

    // First run: the dead domains are walked first, and what answered is remembered.
    let first = fetch(make().build().unwrap()).await;
    assert!(dead_api.contacts() >= 1 && dead_cdn.contacts() >= 1);
    let memory = first.domain_memory();
    assert_eq!(memory.api.as_deref(), Some(emu.api_domains()[0].as_str()));
    assert_eq!(
        memory.image.as_deref(),
        Some(emu.image_domains()[0].as_str())
    );
    assert_eq!(memory.html, None);
    // Configured domains: no domain server was asked, so there is no answer to keep.
    assert_eq!(memory.refresh, None);

    // Second run, handed the memory: the dead domains are never contacted.
    let (api_before, cdn_before) = (dead_api.contacts(), dead_cdn.contacts());
    emu.clear_requests();
    let second = fetch(make().domain_memory(memory.clone()).build().unwrap()).await;
    assert_eq!(dead_api.contacts(), api_before, "dead API domain contacted");
    assert_eq!(dead_cdn.contacts(), cdn_before, "dead CDN host contacted");
    let first_request = emu.requests().into_iter().next().unwrap();
    assert_eq!(first_request.host, 0, "{first_request:?}");
    // The order of the domains is not changed, only where requests start.
    assert_eq!(
        second.api_domains(),
        [dead_api.domain.clone(), emu.api_domains()[0].clone()]
    );
    assert_eq!(second.domain_memory(), memory);
}

#[tokio::test]
async fn memory_that_does_not_fit_is_ignored_and_handed_on() {
    let emu = Emulator::start().unwrap();
    let dead = DeadHost::start().await;
    let mut memory = DomainMemory::default();
    memory.api = Some("https://not-in-the-list.example".into());
    memory.image = Some("not a domain at all ::".into());
    memory.html = Some("https://18comic.vip".into());
    let c = builder(&emu)
        .api_domains([dead.domain.clone(), emu.api_domains()[0].clone()])
        .domain_memory(memory.clone())
        .build()
        .unwrap();
    // Not among the domains: the first is tried first, as without memory.
    c.album(JmId::new(10_086)).await.unwrap();
    assert!(dead.contacts() >= 1);
    let learnt = c.domain_memory();
    assert_eq!(learnt.api.as_deref(), Some(emu.api_domains()[0].as_str()));
    // What this client did not use is handed on as it was given.
    assert_eq!(learnt.image, memory.image);
    assert_eq!(learnt.html, memory.html);
}

/// A client that finds its API domains through the emulator's domain server.
fn refreshing(emu: &Emulator) -> jmcomic_client::ClientBuilder {
    Client::builder()
        .domain_server_urls([emu.domain_server_url()])
        .image_domains(emu.image_domains())
        .proxy(jmcomic_client::Proxy::None)
        .retry(super::support::fast_retry(1))
}

fn domain_server_requests(emu: &Emulator) -> usize {
    emu.requests()
        .iter()
        .filter(|r| r.path() == "/newsvr-2025.txt")
        .count()
}

#[tokio::test]
async fn a_fresh_domain_server_answer_is_reused_and_a_stale_one_is_not() {
    let emu = Emulator::start().unwrap();
    let first = refreshing(&emu).build().unwrap();
    let before = SystemTime::now();
    first.album(JmId::new(10_086)).await.unwrap();
    assert_eq!(domain_server_requests(&emu), 1);
    let memory = first.domain_memory();
    let refresh = memory.refresh.clone().expect("the refresh is remembered");
    assert_eq!(refresh.source, emu.domain_server_url());
    assert_eq!(refresh.domains, emu.api_domains());
    assert!(
        refresh.age(SystemTime::now()).unwrap()
            <= before.elapsed().unwrap() + Duration::from_secs(1)
    );

    // Within its lifetime: the kept list is used, the domain server is not asked.
    emu.clear_requests();
    let second = refreshing(&emu)
        .domain_memory(memory.clone())
        .build()
        .unwrap();
    assert_eq!(
        second.api_domains(),
        emu.api_domains(),
        "before any request"
    );
    second.album(JmId::new(10_086)).await.unwrap();
    assert_eq!(domain_server_requests(&emu), 0);
    // Handed on unchanged (its age still counts from the real refresh).
    assert_eq!(second.domain_memory().refresh, Some(refresh.clone()));

    // Older than the lifetime: asked again, and the new answer is the one kept.
    let mut old = memory.clone();
    old.refresh = Some(DomainRefresh::new(
        refresh.source.clone(),
        refresh.domains.clone(),
        SystemTime::now() - Duration::from_secs(2 * 3600),
    ));
    emu.clear_requests();
    let third = refreshing(&emu)
        .domain_memory(old.clone())
        .domain_refresh_lifetime(Duration::from_secs(3600))
        .build()
        .unwrap();
    third.album(JmId::new(10_086)).await.unwrap();
    assert_eq!(domain_server_requests(&emu), 1);
    let renewed = third.domain_memory().refresh.unwrap();
    assert!(renewed.fetched_at > old.refresh.as_ref().unwrap().fetched_at);

    // The default lifetime (a day) takes a two-hour-old answer.
    emu.clear_requests();
    let fourth = refreshing(&emu).domain_memory(old).build().unwrap();
    fourth.album(JmId::new(10_086)).await.unwrap();
    assert_eq!(domain_server_requests(&emu), 0);

    // An answer of another domain server is not this one's.
    let mut foreign = memory;
    foreign.refresh = Some(DomainRefresh::new(
        "https://elsewhere.example/newsvr-2025.txt",
        vec!["https://elsewhere.example".into()],
        SystemTime::now(),
    ));
    emu.clear_requests();
    let fifth = refreshing(&emu).domain_memory(foreign).build().unwrap();
    fifth.album(JmId::new(10_086)).await.unwrap();
    assert_eq!(domain_server_requests(&emu), 1);
    assert_eq!(fifth.api_domains(), emu.api_domains());
}
