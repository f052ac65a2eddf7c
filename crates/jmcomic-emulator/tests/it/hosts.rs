//! Hosts going down and up, the request log, shutdown, the binary.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use jmcomic_emulator::{Emulator, HostDown, HostRole};

use crate::support::{Api, client};

const PAGE: &str = "/media/photos/438516/00001.webp";

fn refused(addr: std::net::SocketAddr) -> bool {
    matches!(
        TcpStream::connect_timeout(&addr, Duration::from_secs(2)),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused
    )
}

#[tokio::test]
async fn host_down_refuse_reset_and_up() {
    let emu = Emulator::builder()
        .api_hosts(2)
        .cdn_hosts(2)
        .start()
        .expect("start");
    let addrs = emu.host_addrs();
    // API, API, CDN, CDN, then the default HTML host and the discovery host.
    assert_eq!(addrs.len(), 6);
    let roles: Vec<_> = (0..7).map(|i| emu.host_role(i)).collect();
    assert_eq!(
        roles,
        [
            Some(HostRole::Api),
            Some(HostRole::Api),
            Some(HostRole::Cdn),
            Some(HostRole::Cdn),
            Some(HostRole::Html),
            Some(HostRole::Discovery),
            None
        ]
    );
    let url = format!("{}{PAGE}", emu.image_domains()[1]);
    let c = client();
    assert_eq!(c.get(&url).send().await.expect("up").status(), 200);

    emu.set_host_down(3, HostDown::Refuse);
    assert!(refused(addrs[3]));
    // The kept-alive connection was reset too: the old client fails on it (a reset or an
    // incomplete message, depending on timing), a fresh one cannot connect.
    assert!(c.get(&url).send().await.is_err());
    let err = client().get(&url).send().await.expect_err("down");
    assert!(err.is_connect(), "{err:?}");
    // The other CDN host is unaffected.
    let other = format!("{}{PAGE}", emu.image_domains()[0]);
    assert_eq!(c.get(&other).send().await.expect("other").status(), 200);

    emu.set_host_down(3, HostDown::Up);
    assert_eq!(c.get(&url).send().await.expect("back up").status(), 200);
    assert_eq!(emu.image_domains()[1], format!("http://{}", addrs[3]));

    emu.set_host_down(3, HostDown::Reset);
    assert!(!refused(addrs[3]), "reset mode accepts connections");
    let fresh = client();
    assert!(fresh.get(&url).send().await.is_err());
    emu.set_host_down(3, HostDown::Up);
    assert_eq!(
        client().get(&url).send().await.expect("up again").status(),
        200
    );

    assert!(emu.try_set_host_down(9, HostDown::Up).is_err());
    assert!(emu.try_set_host_down(6, HostDown::Up).is_err());
}

#[tokio::test]
async fn request_log_records_headers() {
    let emu = Emulator::builder().api_hosts(2).start().expect("start");
    let mut api = Api::new(&emu.api_domains()[1]);
    api.login_cookies().await;
    api.data("/album?id=438516").await;
    client()
        .get(format!("{}{PAGE}", emu.image_domains()[0]))
        .header("referer", "https://www.cdnhjk.net")
        .header("x-requested-with", "com.JMComic3.app")
        .header("user-agent", "test-agent")
        .send()
        .await
        .expect("send");
    let log = emu.requests();
    assert_eq!(log.len(), 3);
    assert_eq!((log[0].host, log[0].path()), (1, "/setting"));
    assert_eq!(log[1].path_and_query, "/album?id=438516");
    assert_eq!(log[1].method, "GET");
    assert_eq!(log[1].status, 200);
    assert_eq!(
        log[1].header("tokenparam"),
        Some(format!("{},2.1.12", api.ts).as_str())
    );
    assert!(log[1].header("token").is_some_and(|t| t.len() == 32));
    assert!(log[1].header("cookie").is_some_and(|c| c.contains("ipm5=")));
    assert_eq!(log[2].host, 2);
    assert_eq!(log[2].header("referer"), Some("https://www.cdnhjk.net"));
    assert_eq!(log[2].header("x-requested-with"), Some("com.JMComic3.app"));
    assert_eq!(log[2].header("user-agent"), Some("test-agent"));
    assert!(log[0].elapsed <= log[2].elapsed);
    emu.clear_requests();
    assert!(emu.requests().is_empty());
}

/// Odd request lines straight over TCP: every one gets an HTTP answer, and the server keeps
/// serving.
#[test]
fn odd_requests_never_break_the_server() {
    use std::io::{Read, Write};
    let emu = Emulator::builder()
        .require_cookies(false)
        .start()
        .expect("start");
    let addrs = emu.host_addrs();
    let cases = [
        (0, "/album?id=%ZZ"),
        (0, "/album?id=1&id=2"),
        (0, "/search?search_query=%E4&page=99999999999999999999"),
        (0, "/search?search_query=%E4&page=18446744073709551615"),
        (0, "/chapter_view_template"),
        (0, "/setting?x=%00"),
        (1, "/media/photos/18446744073709551616/00001.webp"),
        (1, "/media/albums/_3x4.jpg"),
        (1, "/media/photos/438516/"),
        (1, "/media/photos/438516/00001.webp/extra"),
        (1, "//media//photos"),
    ];
    for (host, path) in cases {
        let mut stream = TcpStream::connect(addrs[host]).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .expect("write");
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        assert!(answer.starts_with("HTTP/1.1 "), "{path}: {answer:?}");
        let status: u16 = answer[9..12].parse().expect("status");
        assert!(matches!(status, 200 | 400 | 403 | 404), "{path}: {status}");
    }
    // Not HTTP at all.
    let mut stream = TcpStream::connect(addrs[0]).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    stream.write_all(b"\x00\x01garbage\r\n\r\n").expect("write");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    // Still serving.
    let mut stream = TcpStream::connect(addrs[1]).expect("connect");
    write!(
        stream,
        "GET /media/albums/438516.jpg HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("read");
    assert!(answer.starts_with(b"HTTP/1.1 200"));
}

#[test]
fn handle_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Emulator>();
    assert_send_sync::<jmcomic_emulator::Catalog>();
    assert_send_sync::<jmcomic_emulator::Error>();
}

#[test]
fn drop_stops_listeners() {
    let emu = Emulator::builder()
        .api_hosts(2)
        .cdn_hosts(2)
        .start()
        .expect("start");
    let addrs = emu.host_addrs();
    for addr in &addrs {
        assert!(!refused(*addr));
    }
    drop(emu);
    for addr in &addrs {
        assert!(refused(*addr), "{addr} still listening");
    }
}

#[test]
fn invalid_builder_options() {
    assert!(Emulator::builder().api_hosts(0).start().is_err());
    assert!(Emulator::builder().cdn_hosts(0).start().is_err());
    assert!(Emulator::builder().min_app_version("two").start().is_err());
    let bad = jmcomic_emulator::Catalog::empty()
        .with_album(jmcomic_emulator::AlbumSpec::new("x", Vec::new()));
    assert!(Emulator::builder().catalog(bad).start().is_err());
}

#[tokio::test]
async fn binary_prints_domains_and_cpu_time() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_jmcomic-emulator"))
        .args(["--port", "0", "--api-hosts", "2", "--cdn-hosts", "1"])
        .args(["--fault", "status=503@/media/photos/438516/;first=1"])
        .args(["--require-cookies=false", "--latency-ms", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("line");
    let info: serde_json::Value = serde_json::from_str(&line).expect("json line");
    let api_domains = info["api_domains"].as_array().expect("api");
    assert_eq!(api_domains.len(), 2);
    let cdn = info["image_domains"][0].as_str().expect("cdn").to_owned();
    assert!(
        info["domain_server_url"]
            .as_str()
            .expect("url")
            .ends_with("/newsvr-2025.txt")
    );

    let c = client();
    let url = format!("{cdn}{PAGE}");
    assert_eq!(c.get(&url).send().await.expect("send").status(), 503);
    assert_eq!(c.get(&url).send().await.expect("send").status(), 200);
    let api = Api::new(api_domains[0].as_str().expect("api"));
    assert_eq!(api.data("/album?id=438516").await["id"], 438_516);

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let cpu_line = stderr
        .lines()
        .find(|l| l.contains("cpu_total_s"))
        .unwrap_or_else(|| panic!("no cpu line in {stderr}"));
    let cpu: serde_json::Value = serde_json::from_str(cpu_line).expect("cpu json");
    assert!(cpu["cpu_total_s"].as_f64().is_some());
}
