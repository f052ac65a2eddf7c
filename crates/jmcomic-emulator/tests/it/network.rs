//! When the site fights back (issue 12): the DoH endpoint, the system-resolver stand-in,
//! handshake resets and stalls, a skewed clock, a stale app version and rate limits, each
//! seen by a client that shares no code with the emulator: hickory's resolver (DoH over
//! HTTP/2, DNS over UDP and TCP), raw DNS datagrams, reqwest, tokio-rustls, `time`'s date
//! parser.

use std::io::{BufRead, BufReader};
use std::net::{IpAddr, SocketAddr};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use hickory_proto::op::{Message, MessageType, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType};
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::{Resolver, TokioResolver};
use jmcomic_emulator::{
    DOH_SERVER_NAME, DnsAnswer, DnsSide, Emulator, FaultKind, FaultRule, HostRole, Times,
};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::net::{TcpStream, UdpSocket};
use tokio_rustls::TlsConnector;

use crate::support::{Api, client, http, now_ts};

const PAGE: &str = "/media/photos/438516/00001.webp";
const DNS_MESSAGE: &str = "application/dns-message";

fn ip(text: &str) -> IpAddr {
    text.parse().expect("ip")
}

fn dns_query(name: &str, rtype: RecordType) -> Message {
    let mut m = Message::query();
    m.metadata.recursion_desired = true;
    m.add_query(Query::query(Name::from_ascii(name).expect("name"), rtype));
    m
}

fn addresses(m: &Message) -> Vec<IpAddr> {
    m.answers
        .iter()
        .filter_map(|r| match &r.data {
            RData::A(a) => Some(IpAddr::V4(a.0)),
            RData::AAAA(a) => Some(IpAddr::V6(a.0)),
            _ => None,
        })
        .collect()
}

/// A rustls client trusting only the emulator's certificate (verification on).
fn rustls_client(pem: &str) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(pem.as_bytes()).expect("pem"))
        .expect("root");
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth()
}

/// reqwest trusting only the DoH certificate, reaching `doh.jm.test` at the endpoint.
fn doh_client(emu: &Emulator, http1_only: bool) -> reqwest::Client {
    let cert = reqwest::Certificate::from_pem(emu.doh_certificate_pem().as_bytes()).expect("pem");
    let mut builder = http()
        .no_proxy()
        .tls_certs_only([cert])
        .resolve(DOH_SERVER_NAME, emu.doh_addr())
        .timeout(Duration::from_secs(10));
    if http1_only {
        builder = builder.http1_only();
    }
    builder.build().expect("client")
}

/// The DoH URL under the certificate's name.
fn doh_named_url(emu: &Emulator) -> String {
    format!(
        "https://{DOH_SERVER_NAME}:{}/dns-query",
        emu.doh_addr().port()
    )
}

async fn read_dns(resp: reqwest::Response, query: &Message) -> Message {
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some(DNS_MESSAGE)
    );
    let body = resp.bytes().await.expect("body");
    let m = Message::from_vec(&body).expect("a DNS message");
    assert_eq!(m.metadata.id, query.metadata.id);
    assert_eq!(m.metadata.message_type, MessageType::Response);
    assert_eq!(m.queries, query.queries);
    m
}

async fn doh_get(c: &reqwest::Client, url: &str, query: &Message) -> reqwest::Response {
    let dns =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(query.to_vec().expect("encode"));
    c.get(format!("{url}?dns={dns}"))
        .header("accept", DNS_MESSAGE)
        .send()
        .await
        .expect("send")
}

async fn doh_post(c: &reqwest::Client, url: &str, query: &Message) -> reqwest::Response {
    c.post(url)
        .header("content-type", DNS_MESSAGE)
        .header("accept", DNS_MESSAGE)
        .body(query.to_vec().expect("encode"))
        .send()
        .await
        .expect("send")
}

/// One DNS question over UDP; `None` when nothing comes back within `wait`.
async fn udp_ask(
    server: SocketAddr,
    name: &str,
    rtype: RecordType,
    wait: Duration,
) -> Option<Message> {
    let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    let query = dns_query(name, rtype);
    socket
        .send_to(&query.to_vec().expect("encode"), server)
        .await
        .expect("send");
    let mut buf = [0u8; 4096];
    let (n, _) = tokio::time::timeout(wait, socket.recv_from(&mut buf))
        .await
        .ok()?
        .expect("recv");
    let m = Message::from_vec(&buf[..n]).expect("a DNS message");
    assert_eq!(m.metadata.id, query.metadata.id);
    Some(m)
}

/// hickory's resolver with one name server.
fn resolver(server: NameServerConfig, tls: Option<rustls::ClientConfig>) -> TokioResolver {
    let mut builder = Resolver::builder_with_config(
        ResolverConfig::from_name_servers(vec![server]),
        TokioRuntimeProvider::default(),
    );
    builder.options_mut().timeout = Duration::from_secs(3);
    builder.options_mut().attempts = 1;
    if let Some(tls) = tls {
        builder = builder.with_tls_config(tls);
    }
    builder.build().expect("resolver")
}

/// hickory's DoH client (HTTP/2 only) on the emulator's endpoint, verifying `doh.jm.test`.
fn doh_resolver(emu: &Emulator) -> TokioResolver {
    let mut connection = ConnectionConfig::https(Arc::from(DOH_SERVER_NAME), None);
    connection.port = emu.doh_addr().port();
    let server = NameServerConfig::new(emu.doh_addr().ip(), true, vec![connection]);
    resolver(server, Some(rustls_client(emu.doh_certificate_pem())))
}

/// hickory's resolver on the DNS stub, over one transport.
fn stub_resolver(emu: &Emulator, tcp: bool) -> TokioResolver {
    let mut connection = if tcp {
        ConnectionConfig::tcp()
    } else {
        ConnectionConfig::udp()
    };
    connection.port = emu.dns_stub_addr().port();
    resolver(
        NameServerConfig::new(emu.dns_stub_addr().ip(), true, vec![connection]),
        None,
    )
}

async fn lookup(resolver: &TokioResolver, name: &str) -> Vec<IpAddr> {
    resolver
        .lookup_ip(name)
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .iter()
        .collect()
}

#[tokio::test]
async fn doh_answers_get_and_post_from_its_table() {
    let emu = Emulator::builder()
        .doh_record("mirror.example", ip("203.0.113.7"))
        .doh_record("Mirror.Example.", ip("2001:db8::7"))
        .doh_answer("blocked.example", DnsAnswer::ServFail)
        .start()
        .expect("start");
    let home = emu.host_addrs()[0].ip();
    let url = emu.doh_url();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    assert!(url.ends_with("/dns-query"), "{url}");
    let named = doh_named_url(&emu);

    // GET (RFC 8484 §4.1), over HTTP/2 as ALPN picks it, the certificate verified for
    // doh.jm.test.
    let c = doh_client(&emu, false);
    let q = dns_query("api1.jm.test.", RecordType::A);
    let resp = doh_get(&c, &named, &q).await;
    assert_eq!(resp.version(), reqwest::Version::HTTP_2);
    assert_eq!(
        resp.headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("max-age=60")
    );
    let m = read_dns(resp, &q).await;
    assert_eq!(m.metadata.response_code, ResponseCode::NoError);
    assert!(m.metadata.recursion_available);
    assert_eq!(addresses(&m), [home]);

    // POST over HTTP/1.1: the names given, in both families, case-insensitively.
    let c1 = doh_client(&emu, true);
    for (rtype, want) in [
        (RecordType::A, ip("203.0.113.7")),
        (RecordType::AAAA, ip("2001:db8::7")),
    ] {
        let q = dns_query("MIRROR.example.", rtype);
        let resp = doh_post(&c1, &named, &q).await;
        assert_eq!(resp.version(), reqwest::Version::HTTP_11);
        assert_eq!(addresses(&read_dns(resp, &q).await), [want]);
    }
    // A name with only an IPv4 address has no AAAA: NOERROR and no answers.
    let q = dns_query("cdn1.jm.test.", RecordType::AAAA);
    let m = read_dns(doh_post(&c, &named, &q).await, &q).await;
    assert_eq!(
        (m.metadata.response_code, m.answers.len()),
        (ResponseCode::NoError, 0)
    );
    for (name, code) in [
        ("nowhere.jm.test.", ResponseCode::NXDomain),
        ("blocked.example.", ResponseCode::ServFail),
    ] {
        let q = dns_query(name, RecordType::A);
        let m = read_dns(doh_get(&c, &named, &q).await, &q).await;
        assert_eq!(m.metadata.response_code, code, "{name}");
        assert!(m.answers.is_empty());
    }

    // What is not DoH is refused with the statuses RFC 8484 / HTTP give.
    let bad = [
        (c.get(&named).send().await, 400),
        (c.get(format!("{named}?dns=%21%21")).send().await, 400),
        (c.get(format!("{named}?dns=AAAA")).send().await, 400),
        (
            c.post(&named)
                .header("content-type", "text/plain")
                .body("api1.jm.test")
                .send()
                .await,
            415,
        ),
        (c.put(&named).send().await, 405),
        (
            c.get(named.replace("/dns-query", "/resolve")).send().await,
            404,
        ),
    ];
    for (i, (resp, status)) in bad.into_iter().enumerate() {
        assert_eq!(resp.expect("send").status(), status, "case {i}");
    }

    let log = emu.dns_queries();
    assert!(log.iter().all(|r| r.side == DnsSide::Doh), "{log:?}");
    assert!(
        log.iter().any(|r| r.name == "mirror.example"
            && r.record_type == "AAAA"
            && r.answer == "2001:db8::7"),
        "{log:?}"
    );
    assert_eq!(log.len(), 6, "{log:?}");
}

#[tokio::test]
async fn hickory_resolves_through_the_doh_endpoint() {
    let emu = Emulator::builder()
        .api_hosts(2)
        .doh_record("cdn1.jm.test", ip("198.51.100.9"))
        .start()
        .expect("start");
    let home = emu.host_addrs()[0].ip();
    let doh = doh_resolver(&emu);
    assert_eq!(lookup(&doh, "api2.jm.test.").await, [home]);
    assert_eq!(lookup(&doh, "html1.jm.test.").await, [home]);
    assert_eq!(lookup(&doh, "cdn1.jm.test.").await, [ip("198.51.100.9")]);
    let err = doh
        .lookup_ip("nowhere.jm.test.")
        .await
        .expect_err("no such name");
    assert!(err.is_nx_domain(), "{err:?}");

    // The names the emulator hands out are the ones its resolvers know, on the right ports.
    let api = emu.named_domains(HostRole::Api);
    assert_eq!(api.len(), 2);
    for (i, (named, plain)) in api.iter().zip(emu.api_domains()).enumerate() {
        let port = plain.rsplit(':').next().expect("port");
        assert_eq!(*named, format!("http://api{}.jm.test:{port}", i + 1));
    }
    assert!(emu.named_domains(HostRole::Discovery)[0].starts_with("http://discovery.jm.test:"));

    let log = emu.dns_queries();
    assert!(
        log.iter()
            .any(|r| r.side == DnsSide::Doh && r.name == "api2.jm.test" && r.record_type == "A"),
        "{log:?}"
    );
    assert!(log.iter().all(|r| r.side == DnsSide::Doh));
}

#[tokio::test]
async fn the_system_stub_can_disagree_with_doh() {
    let emu = Emulator::builder()
        .system_dns_record("api1.jm.test", ip("10.0.0.1"))
        .system_dns_answer("cdn1.jm.test", DnsAnswer::NxDomain)
        .start()
        .expect("start");
    let home = emu.host_addrs()[0].ip();
    let stub = emu.dns_stub_addr();
    assert!(stub.ip().is_loopback(), "{stub}");
    let wait = Duration::from_secs(3);

    // Raw datagrams: the poisoned answer, an untouched default, the blocked name.
    let m = udp_ask(stub, "api1.jm.test.", RecordType::A, wait)
        .await
        .expect("answer");
    assert_eq!(addresses(&m), [ip("10.0.0.1")]);
    let m = udp_ask(stub, "html1.jm.test.", RecordType::A, wait)
        .await
        .expect("answer");
    assert_eq!(addresses(&m), [home]);
    let m = udp_ask(stub, "cdn1.jm.test.", RecordType::A, wait)
        .await
        .expect("answer");
    assert_eq!(m.metadata.response_code, ResponseCode::NXDomain);

    // hickory over UDP and over TCP (the same port) agrees; DoH still tells the truth.
    assert_eq!(
        lookup(&stub_resolver(&emu, false), "api1.jm.test.").await,
        [ip("10.0.0.1")]
    );
    assert_eq!(
        lookup(&stub_resolver(&emu, true), "api1.jm.test.").await,
        [ip("10.0.0.1")]
    );
    assert_eq!(lookup(&doh_resolver(&emu), "api1.jm.test.").await, [home]);
    assert_eq!(lookup(&doh_resolver(&emu), "cdn1.jm.test.").await, [home]);

    // Answers change at runtime; a silent resolver answers nothing.
    emu.set_dns_answer(
        DnsSide::System,
        "api1.jm.test",
        DnsAnswer::Addresses(vec![ip("0.0.0.0")]),
    );
    let m = udp_ask(stub, "api1.jm.test.", RecordType::A, wait)
        .await
        .expect("answer");
    assert_eq!(addresses(&m), [ip("0.0.0.0")]);
    emu.set_dns_answer(DnsSide::System, "quiet.example", DnsAnswer::Silent);
    assert!(
        udp_ask(
            stub,
            "quiet.example.",
            RecordType::A,
            Duration::from_millis(400)
        )
        .await
        .is_none()
    );

    let log = emu.dns_queries();
    let system: Vec<&str> = log
        .iter()
        .filter(|r| r.side == DnsSide::System)
        .map(|r| r.name.as_str())
        .collect();
    assert!(system.contains(&"quiet.example"), "{log:?}");
    assert!(system.contains(&"cdn1.jm.test"), "{log:?}");
    assert!(
        log.iter()
            .any(|r| r.side == DnsSide::Doh && r.name == "api1.jm.test" && r.answer == "127.0.0.1"),
        "{log:?}"
    );
}

#[tokio::test]
async fn a_poisoned_system_resolver_answers_every_name() {
    let emu = Emulator::builder()
        .system_dns_poison(ip("127.0.0.2"))
        .system_dns_record("html1.jm.test", ip("10.9.9.9"))
        .start()
        .expect("start");
    let stub = emu.dns_stub_addr();
    let wait = Duration::from_secs(3);
    for name in ["api1.jm.test.", "anything.example.", "doh.jm.test."] {
        let m = udp_ask(stub, name, RecordType::A, wait)
            .await
            .expect("answer");
        assert_eq!(addresses(&m), [ip("127.0.0.2")], "{name}");
        // An IPv4 poison has no AAAA records to give.
        let m = udp_ask(stub, name, RecordType::AAAA, wait)
            .await
            .expect("answer");
        assert_eq!(
            (m.metadata.response_code, m.answers.len()),
            (ResponseCode::NoError, 0)
        );
    }
    let m = udp_ask(stub, "html1.jm.test.", RecordType::A, wait)
        .await
        .expect("answer");
    assert_eq!(addresses(&m), [ip("10.9.9.9")]);
    let doh = doh_resolver(&emu);
    assert_eq!(
        lookup(&doh, "api1.jm.test.").await,
        [emu.host_addrs()[0].ip()]
    );
    assert!(
        doh.lookup_ip("anything.example.")
            .await
            .expect_err("nx")
            .is_nx_domain()
    );
}

async fn tls_handshake(
    addr: SocketAddr,
    pem: &str,
    name: &'static str,
) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(addr).await?;
    TlsConnector::from(Arc::new(rustls_client(pem)))
        .connect(ServerName::try_from(name).expect("name"), tcp)
        .await
}

#[tokio::test]
async fn handshake_reset_strikes_once_then_connections_work() {
    let emu = Emulator::builder()
        .tls(true)
        .fault(
            FaultRule::new("/", FaultKind::HandshakeReset)
                .on_role(HostRole::Api)
                .times(Times::First(1)),
        )
        .start()
        .expect("start");
    let pem = emu.certificate_pem().expect("tls").to_owned();
    let (api, cdn) = (emu.host_addrs()[0], emu.host_addrs()[1]);

    let err = tls_handshake(api, &pem, "api1.jm.test")
        .await
        .expect_err("reset during the handshake");
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset, "{err:?}");
    // Other roles are untouched, and the next API connection completes, verified for the
    // made-up name.
    tls_handshake(cdn, &pem, "cdn1.jm.test")
        .await
        .expect("CDN handshake");
    let c = http()
        .no_proxy()
        .tls_certs_only([reqwest::Certificate::from_pem(pem.as_bytes()).expect("pem")])
        .resolve("api1.jm.test", api)
        .build()
        .expect("client");
    let url = format!("{}/newsvr-2025.txt", emu.named_domains(HostRole::Api)[0]);
    assert!(url.starts_with("https://api1.jm.test:"), "{url}");
    assert_eq!(c.get(&url).send().await.expect("send").status(), 200);

    let conns = emu.connections();
    let on_api: Vec<_> = conns.iter().filter(|c| c.host == 0).collect();
    assert_eq!(on_api.len(), 2, "{conns:?}");
    assert_eq!(on_api[0].server_name.as_deref(), Some("api1.jm.test"));
    assert_eq!(
        on_api[0].fault.as_deref(),
        Some("handshake-reset@/;role=api;first=1")
    );
    assert_eq!(on_api[1].fault, None);
    assert!(conns.iter().any(|c| c.host == 1 && c.fault.is_none()));
    // The reset connection carried no request.
    assert_eq!(emu.requests().len(), 1);
}

#[tokio::test]
async fn handshake_stall_times_the_client_out() {
    let emu = Emulator::builder()
        .tls(true)
        .fault(FaultRule::new("/", FaultKind::HandshakeStall).on_host(1))
        .start()
        .expect("start");
    let pem = emu.certificate_pem().expect("tls").to_owned();
    let started = Instant::now();
    let stalled = tokio::time::timeout(
        Duration::from_millis(500),
        tls_handshake(emu.host_addrs()[1], &pem, "cdn1.jm.test"),
    )
    .await;
    assert!(stalled.is_err(), "the handshake finished: {stalled:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
    tls_handshake(emu.host_addrs()[0], &pem, "api1.jm.test")
        .await
        .expect("API handshake");
    let conns = emu.connections();
    assert!(
        conns
            .iter()
            .any(|c| c.host == 1 && c.fault.as_deref() == Some("handshake-stall@/;host=1")),
        "{conns:?}"
    );
}

#[tokio::test]
async fn handshake_reset_over_plain_http_strikes_on_the_first_bytes() {
    let emu = Emulator::builder()
        .fault("handshake-reset;role=cdn;first=1".parse().expect("rule"))
        .start()
        .expect("start");
    let url = format!("{}{PAGE}", emu.image_domains()[0]);
    let c = client();
    let err = c.get(&url).send().await.expect_err("reset");
    assert!(!err.is_status() && !err.is_timeout(), "{err:?}");
    assert_eq!(c.get(&url).send().await.expect("send").status(), 200);
    let conns = emu.connections();
    assert_eq!(conns.len(), 2, "{conns:?}");
    assert_eq!(conns[0].server_name, None);
    assert!(conns[0].fault.is_some() && conns[1].fault.is_none());
    assert_eq!(emu.requests().len(), 1);
}

/// The `Date` header as an independent parser reads it.
fn date_of(resp: &reqwest::Response) -> SystemTime {
    let text = resp
        .headers()
        .get("date")
        .unwrap_or_else(|| panic!("no Date on {}", resp.url()))
        .to_str()
        .expect("ascii");
    let parsed = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc2822)
        .unwrap_or_else(|e| panic!("{text:?}: {e}"));
    SystemTime::from(parsed)
}

fn offset_secs(date: SystemTime) -> f64 {
    match date.duration_since(SystemTime::now()) {
        Ok(ahead) => ahead.as_secs_f64(),
        Err(behind) => -behind.duration().as_secs_f64(),
    }
}

#[tokio::test]
async fn every_response_carries_the_skewed_date() {
    for offset in [-540_i64, 3600] {
        let emu = Emulator::builder()
            .clock_offset_secs(offset)
            .fault(FaultRule::new(
                "/media/photos/438516/00002.webp",
                FaultKind::Status(503),
            ))
            .start()
            .expect("start");
        let api = Api::new(&emu.api_domains()[0]);
        let cdn = &emu.image_domains()[0];
        let mut responses = vec![
            api.signed("/setting", crate::support::SECRET)
                .send()
                .await
                .expect("send"),
        ];
        for url in [
            format!("{cdn}{PAGE}"),
            format!("{cdn}/media/photos/438516/00002.webp"),
            format!("{cdn}/nothing-here"),
            format!("{}/", emu.html_domains()[0]),
            emu.permanent_link_url().expect("discovery"),
        ] {
            let c = http()
                .no_proxy()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client");
            responses.push(c.get(&url).send().await.expect("send"));
        }
        let statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
        assert_eq!(statuses, [200, 200, 503, 404, 200, 301]);
        for resp in &responses {
            let seen = offset_secs(date_of(resp));
            assert!(
                (seen - offset as f64).abs() <= 2.0,
                "{}: Date is {seen:.0} s off, expected {offset}",
                resp.url()
            );
        }
    }
}

#[tokio::test]
async fn the_token_freshness_check_uses_the_skewed_clock() {
    let emu = Emulator::builder()
        .clock_offset_secs(600)
        .max_clock_skew(Duration::from_secs(300))
        .start()
        .expect("start");
    let mut api = Api::new(&emu.api_domains()[0]);
    let (status, body) = api.raw("/setting").await;
    assert_eq!(status, 200);
    assert!(body.contains("Not legal."), "{body}");
    let now: u64 = now_ts().parse().expect("ts");
    api.ts = (now + 600).to_string();
    let setting = api.login_cookies().await;
    assert_eq!(setting["jm3_version"], "2.1.12");
}

#[tokio::test]
async fn a_stale_app_version_two_ways() {
    // Refused everywhere, /setting included (the default).
    let emu = Emulator::builder()
        .app_version("2.2.0")
        .min_app_version("2.2.0")
        .start()
        .expect("start");
    let api = Api::new(&emu.api_domains()[0]);
    assert_eq!(api.version, "2.1.12");
    for path in ["/setting", "/album?id=438516"] {
        let (status, body) = api.raw(path).await;
        assert_eq!(status, 200);
        assert!(body.contains("Not legal."), "{path}: {body}");
    }

    // /setting still answers: the client can learn the version it needs.
    let emu = Emulator::builder()
        .app_version("2.2.0")
        .min_app_version("2.2.0")
        .setting_accepts_old_versions(true)
        .start()
        .expect("start");
    let mut api = Api::new(&emu.api_domains()[0]);
    let setting = api.login_cookies().await;
    assert_eq!(setting["jm3_version"], "2.2.0");
    let (_, body) = api.raw("/album?id=438516").await;
    assert!(body.contains("Not legal."), "{body}");
    api.version = "2.2.0".to_owned();
    assert_eq!(api.data("/album?id=438516").await["id"], 438_516);

    // Behind but tolerated: /setting announces a newer version, the old one still works.
    let emu = Emulator::builder()
        .app_version("2.1.20")
        .start()
        .expect("start");
    let mut api = Api::new(&emu.api_domains()[0]);
    assert_eq!(api.login_cookies().await["jm3_version"], "2.1.20");
    assert_eq!(api.data("/album?id=438516").await["id"], 438_516);
}

#[tokio::test]
async fn rate_limit_answers_429_then_lets_a_patient_client_through() {
    let per = Duration::from_millis(1500);
    let emu = Emulator::builder()
        .rate_limit(HostRole::Cdn, 3, per)
        .start()
        .expect("start");
    let url = format!("{}{PAGE}", emu.image_domains()[0]);
    let c = client();
    let burst = |n: usize| {
        let c = c.clone();
        let url = url.clone();
        async move {
            let sent = futures::future::join_all((0..n).map(|_| c.get(&url).send())).await;
            sent.into_iter()
                .filter(|r| r.as_ref().expect("send").status() == 200)
                .count()
        }
    };
    let t0 = Instant::now();
    for _ in 0..3 {
        assert_eq!(c.get(&url).send().await.expect("send").status(), 200);
    }
    let resp = c.get(&url).send().await.expect("send");
    // A burst right after gets nothing through.
    assert_eq!(burst(10).await, 0);
    assert!(
        t0.elapsed() < Duration::from_millis(500),
        "too slow to test"
    );
    assert_eq!(resp.status(), 429);
    // 1.5 s window, the oldest request less than 0.5 s old: 1 to 1.5 s to wait, rounded up.
    let retry_after: u64 = resp
        .headers()
        .get("retry-after")
        .expect("Retry-After")
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert_eq!(retry_after, 2);
    // Other roles are not limited.
    for _ in 0..8 {
        let api = format!("{}/newsvr-2025.txt", emu.api_domains()[0]);
        assert_eq!(c.get(&api).send().await.expect("send").status(), 200);
    }

    // Once the last admitted request has left the window (read from the emulator's own
    // timestamps), a burst gets exactly the budget through.
    let last_admitted = emu
        .requests()
        .iter()
        .filter(|r| r.path() == PAGE && r.status == 200)
        .map(|r| r.at)
        .max()
        .expect("logged");
    tokio::time::sleep((last_admitted + per).saturating_duration_since(Instant::now())).await;
    assert_eq!(burst(10).await, 3);

    let cdn: Vec<_> = emu
        .requests()
        .into_iter()
        .filter(|r| r.path() == PAGE)
        .collect();
    assert_eq!(cdn.len(), 24);
    assert_eq!(
        cdn.iter().filter(|r| r.status == 429).count(),
        18,
        "{cdn:?}"
    );
    for r in &cdn {
        assert_eq!(r.status == 429, r.fault.as_deref() == Some("rate-limit"));
        assert!(r.at >= t0 && r.at <= Instant::now());
        // `elapsed` and `at` are the same instant on two scales.
        assert_eq!(
            r.elapsed.checked_sub(cdn[0].elapsed).expect("monotonic"),
            r.at.duration_since(cdn[0].at),
            "{r:?}"
        );
    }
    // Plain connections are logged as they are accepted.
    let conns = emu.connections();
    assert!(!conns.is_empty());
    assert!(
        conns
            .iter()
            .all(|c| c.server_name.is_none() && c.fault.is_none())
    );
    // What a pacing test asserts: no window of 1.5 s holds more than 3 admitted requests.
    let admitted: Vec<Instant> = cdn
        .iter()
        .filter(|r| r.status == 200)
        .map(|r| r.at)
        .collect();
    for (i, start) in admitted.iter().enumerate() {
        let inside = admitted[i..]
            .iter()
            .take_while(|t| t.duration_since(*start) < per)
            .count();
        assert!(inside <= 3, "{inside} requests within {per:?}");
    }
}

#[tokio::test]
async fn binary_serves_the_network_knobs() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_jmcomic-emulator"))
        .args(["--port", "0", "--clock-offset-secs", "-600"])
        .args(["--doh-record", "x.example=10.9.8.7,2001:db8::1"])
        .args(["--system-dns-record", "api1.jm.test=10.0.0.1"])
        .args(["--rate-limit", "cdn:1/60"])
        .args(["--fault", "handshake-reset;role=api;first=1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("line");
    let info: serde_json::Value = serde_json::from_str(&line).expect("json line");
    let text = |key: &str| {
        info[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key}: {info}"))
            .to_owned()
    };

    let doh_url = text("doh_url");
    assert!(doh_url.ends_with("/dns-query"), "{doh_url}");
    assert_eq!(text("doh_server_name"), DOH_SERVER_NAME);
    let doh_addr: SocketAddr = doh_url
        .trim_start_matches("https://")
        .trim_end_matches("/dns-query")
        .parse()
        .expect("addr");
    let cert = reqwest::Certificate::from_pem(text("doh_certificate_pem").as_bytes()).expect("pem");
    let c = http()
        .no_proxy()
        .tls_certs_only([cert])
        .build()
        .expect("client");
    let q = dns_query("x.example.", RecordType::AAAA);
    let m = read_dns(doh_post(&c, &doh_url, &q).await, &q).await;
    assert_eq!(addresses(&m), [ip("2001:db8::1")]);
    assert!(doh_addr.ip().is_loopback());

    let stub: SocketAddr = text("dns_stub").parse().expect("stub addr");
    let m = udp_ask(stub, "api1.jm.test.", RecordType::A, Duration::from_secs(3))
        .await
        .expect("answer");
    assert_eq!(addresses(&m), [ip("10.0.0.1")]);

    let named_api = info["named_domains"]["api"][0]
        .as_str()
        .expect("named")
        .to_owned();
    assert!(named_api.starts_with("http://api1.jm.test:"), "{named_api}");
    let api = info["api_domains"][0].as_str().expect("api").to_owned();
    let plain = client();
    let domain_file = format!("{api}/newsvr-2025.txt");
    assert!(
        plain.get(&domain_file).send().await.is_err(),
        "first API connection resets"
    );
    let resp = plain.get(&domain_file).send().await.expect("send");
    assert_eq!(resp.status(), 200);
    let seen = offset_secs(date_of(&resp));
    assert!((seen + 600.0).abs() <= 2.0, "Date is {seen:.0} s off");

    let page = format!("{}{PAGE}", info["image_domains"][0].as_str().expect("cdn"));
    assert_eq!(plain.get(&page).send().await.expect("send").status(), 200);
    let limited = plain.get(&page).send().await.expect("send");
    assert_eq!(limited.status(), 429);
    let wait: u64 = limited.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("secs");
    assert!((59..=60).contains(&wait), "{wait}");

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    assert!(child.wait().expect("wait").success());

    // Malformed values are refused before anything listens.
    for bad in [
        ["--rate-limit", "web:1/1"],
        ["--rate-limit", "api:1/0"],
        ["--doh-record", "x.example=not-an-ip"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_jmcomic-emulator"))
            .args(bad)
            .output()
            .expect("run");
        assert!(!out.status.success(), "{bad:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(bad[0]),
            "{bad:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
