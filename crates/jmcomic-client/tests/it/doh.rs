//! DNS over HTTPS (issue 12 item 2) against the emulator's loopback DoH endpoint: the site's
//! hosts are given by made-up names (`api1.jm.test`) that only its DoH table knows.

use std::net::IpAddr;

use jmcomic_client::{Client, DnsMode, DohResolver};
use jmcomic_emulator::{DnsAnswer, DnsSide, Emulator, HostRole};
use jmcomic_model::JmId;

use super::support::fast_retry;

/// A client of the emulator's hosts under their made-up names, resolving through `dns`.
fn named(emu: &Emulator, dns: DnsMode) -> jmcomic_client::ClientBuilder {
    Client::builder()
        .api_domains(emu.named_domains(HostRole::Api))
        .image_domains(emu.named_domains(HostRole::Cdn))
        .proxy(jmcomic_client::Proxy::None)
        .retry(fast_retry(1))
        .dns(dns)
}

/// The names the DoH endpoint was asked for.
fn asked(emu: &Emulator) -> Vec<String> {
    emu.dns_queries()
        .into_iter()
        .filter(|q| q.side == DnsSide::Doh)
        .map(|q| q.name)
        .collect()
}

/// The host name of a domain `http://name:port`.
fn host_of(domain: &str) -> String {
    url::Url::parse(domain)
        .expect("a domain URL")
        .host_str()
        .expect("a host")
        .to_owned()
}

#[tokio::test]
async fn a_download_through_doh() {
    let emu = Emulator::start().unwrap();
    let api_name = host_of(&emu.named_domains(HostRole::Api)[0]);
    let cdn_name = host_of(&emu.named_domains(HostRole::Cdn)[0]);
    assert!(api_name.ends_with(".jm.test"), "{api_name}");

    // The system's resolver does not know the names: nothing gets through.
    let e = named(&emu, DnsMode::System)
        .build()
        .unwrap()
        .album(JmId::new(438_516))
        .await
        .unwrap_err();
    assert!(e.is_transient(), "{e}");
    assert!(emu.requests().is_empty());

    // Through DoH: album, chapter and a page, each checked against the emulator's own.
    // The endpoint's certificate is self-signed, hence no certificate check.
    let c = named(&emu, DnsMode::DohUrls(vec![emu.doh_url()]))
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    let album = c.album(JmId::new(438_516)).await.unwrap();
    assert_eq!(album.id, JmId::new(438_516));
    let chapter = c.chapter(JmId::new(438_516)).await.unwrap();
    let image = chapter.images().into_iter().next().unwrap();
    let bytes = c.image_bytes(&image).await.unwrap();
    let served = emu
        .served_bytes(438_516, &image.file_name)
        .expect("the emulator serves the page");
    assert_eq!(bytes.as_ref(), served.as_slice());
    // Both the API's and the CDN's names were asked of the DoH endpoint, and the requests
    // reached the hosts behind them.
    let names = asked(&emu);
    assert!(names.contains(&api_name), "{names:?}");
    assert!(names.contains(&cdn_name), "{names:?}");
    assert!(
        emu.requests()
            .iter()
            .any(|r| emu.host_role(r.host) == Some(HostRole::Cdn))
    );
}

#[tokio::test]
async fn the_resolver_checks_certificates_and_says_what_failed() {
    let emu = Emulator::start().unwrap();
    // Verified (the default): the self-signed certificate is refused, so no name resolves.
    let c = named(&emu, DnsMode::DohUrls(vec![emu.doh_url()]))
        .build()
        .unwrap();
    let e = c.album(JmId::new(438_516)).await.unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("DNS over HTTPS") && text.contains("no resolver answered"),
        "{text}"
    );
    assert!(emu.requests().is_empty());

    // A name the DoH table does not have is an error naming it.
    let doh = DohResolver::new(&DnsMode::DohUrls(vec![emu.doh_url()]), true)
        .unwrap()
        .unwrap();
    let e = doh.lookup("nowhere.jm.test").await.unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("nowhere.jm.test") && !text.contains("no resolver answered"),
        "{text}"
    );
    // The table's answer, as given (what `jmcomic doctor` compares with the system's).
    emu.set_dns_answer(
        DnsSide::Doh,
        "poisoned.jm.test",
        DnsAnswer::Addresses(vec!["10.9.8.7".parse().unwrap()]),
    );
    let ips = doh.lookup("Poisoned.jm.test.").await.unwrap();
    assert_eq!(ips, ["10.9.8.7".parse::<IpAddr>().unwrap()]);
}

#[tokio::test]
async fn the_next_resolver_answers_when_the_first_fails() {
    let emu = Emulator::start().unwrap();
    // The first resolver refuses connections (a closed port); the emulator's answers.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let c = named(
        &emu,
        DnsMode::DohUrls(vec![format!("https://{closed}/dns-query"), emu.doh_url()]),
    )
    .danger_accept_invalid_certs(true)
    .build()
    .unwrap();
    c.album(JmId::new(438_516)).await.unwrap();
    assert!(!asked(&emu).is_empty());
}

#[test]
fn bad_resolver_urls_are_refused_when_building() {
    let e = Client::builder()
        .dns(DnsMode::DohUrls(vec!["http://127.0.0.1/dns-query".into()]))
        .build()
        .unwrap_err();
    assert!(matches!(e, jmcomic_client::Error::InvalidDns { .. }), "{e}");
    assert!(e.to_string().contains("https://"), "{e}");
}

/// Sync callers may drive one client from several runtimes in turn: the resolver's
/// connections made on a runtime that is gone must not break later lookups.
#[test]
fn lookups_work_from_one_runtime_after_another() {
    let emu = Emulator::start().unwrap();
    let doh = DohResolver::new(&DnsMode::DohUrls(vec![emu.doh_url()]), true)
        .unwrap()
        .unwrap();
    let names: Vec<String> = emu
        .named_domains(HostRole::Api)
        .iter()
        .chain(&emu.named_domains(HostRole::Cdn))
        .map(|d| host_of(d))
        .collect();
    assert!(names.len() >= 2);
    for name in &names {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        // Each name for the first time: a DoH query on this runtime.
        let ips = runtime.block_on(doh.lookup(name)).unwrap();
        assert!(ips.iter().all(IpAddr::is_loopback), "{name}: {ips:?}");
    }
    let asked = asked(&emu);
    for name in &names {
        assert!(asked.contains(name), "{name} not asked: {asked:?}");
    }
}
