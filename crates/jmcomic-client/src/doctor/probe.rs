//! The single steps of a check: a DNS answer (from the system, a given DNS server, or DNS
//! over HTTPS), a TCP connection, a TLS handshake, and the time a server's `Date` header
//! says.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use hickory_proto::op::{Message, Query};
use hickory_proto::rr::{Name, RData, RecordType};
use rustls::pki_types::ServerName;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpStream, UdpSocket};

use super::{Problem, Step, SystemDns};

/// A failed step.
pub(super) fn failed<T>(problem: Problem, detail: impl Into<String>) -> Step<T> {
    Step::Failed {
        problem,
        detail: detail.into(),
    }
}

/// Milliseconds since `start`, for the report.
fn ms(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// The addresses of `host` as the system (or the configured stand-in server) answers.
pub(super) async fn system_dns(
    host: &str,
    port: u16,
    how: &SystemDns,
    timeout: Duration,
) -> Step<Vec<IpAddr>> {
    let start = Instant::now();
    let answer = match how {
        SystemDns::Os => {
            match tokio::time::timeout(timeout, tokio::net::lookup_host((host, port))).await {
                Err(_) => return failed(Problem::Timeout, "the system resolver did not answer"),
                Ok(Err(e)) => return failed(Problem::NoAnswer, e.to_string()),
                Ok(Ok(addrs)) => dedup(addrs.map(|a| a.ip()).collect()),
            }
        }
        SystemDns::Server(server) => match udp_query(host, *server, timeout).await {
            Ok(ips) => ips,
            Err(step) => return step,
        },
    };
    if answer.is_empty() {
        return failed(Problem::NoAnswer, format!("no address for {host}"));
    }
    Step::Ok {
        value: answer,
        ms: ms(start),
    }
}

fn dedup(mut ips: Vec<IpAddr>) -> Vec<IpAddr> {
    let mut seen = std::collections::HashSet::new();
    ips.retain(|ip| seen.insert(*ip));
    ips
}

/// A DNS query message for `host`'s A and AAAA records, one message per type.
fn queries(host: &str) -> Result<Vec<Vec<u8>>, String> {
    let name = Name::from_ascii(format!("{}.", host.trim_end_matches('.')))
        .map_err(|e| format!("`{host}` is not a DNS name: {e}"))?;
    [RecordType::A, RecordType::AAAA]
        .into_iter()
        .map(|rt| {
            let mut m = Message::query();
            m.metadata.id = fastrand::u16(..);
            m.metadata.recursion_desired = true;
            m.add_query(Query::query(name.clone(), rt));
            m.to_vec().map_err(|e| e.to_string())
        })
        .collect()
}

/// The addresses in a DNS answer.
fn addresses(bytes: &[u8]) -> Result<Vec<IpAddr>, String> {
    let m = Message::from_vec(bytes).map_err(|e| format!("not a DNS answer: {e}"))?;
    Ok(m.answers
        .iter()
        .filter_map(|r| match &r.data {
            RData::A(a) => Some(IpAddr::V4(a.0)),
            RData::AAAA(a) => Some(IpAddr::V6(a.0)),
            _ => None,
        })
        .collect())
}

/// Asks a DNS server over UDP (what the system resolver does, aimed at a known server).
async fn udp_query(
    host: &str,
    server: SocketAddr,
    timeout: Duration,
) -> Result<Vec<IpAddr>, Step<Vec<IpAddr>>> {
    let local: SocketAddr = if server.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = UdpSocket::bind(local)
        .await
        .map_err(|e| failed(Problem::NoAnswer, e.to_string()))?;
    let mut out = Vec::new();
    for q in queries(host).map_err(|e| failed(Problem::NoAnswer, e))? {
        socket
            .send_to(&q, server)
            .await
            .map_err(|e| failed(Problem::NoAnswer, format!("DNS server {server}: {e}")))?;
        let mut buf = vec![0u8; 4096];
        let n = match tokio::time::timeout(timeout, socket.recv(&mut buf)).await {
            Err(_) => {
                return Err(failed(
                    Problem::Timeout,
                    format!("DNS server {server} did not answer"),
                ));
            }
            Ok(Err(e)) => return Err(failed(Problem::NoAnswer, e.to_string())),
            Ok(Ok(n)) => n,
        };
        out.extend(addresses(&buf[..n]).map_err(|e| failed(Problem::BadAnswer, e))?);
    }
    Ok(dedup(out))
}

/// The addresses of `host` through DNS over HTTPS (the client's own resolver, so the
/// comparison is with what `client.dns: doh` would use).
pub(super) async fn doh(
    resolver: &crate::dns::DohResolver,
    host: &str,
    timeout: Duration,
) -> Step<Vec<IpAddr>> {
    let start = Instant::now();
    match tokio::time::timeout(timeout, resolver.lookup(host)).await {
        Err(_) => failed(
            Problem::Timeout,
            "no DNS-over-HTTPS resolver answered in time",
        ),
        Ok(Err(e)) => failed(Problem::NoAnswer, e.to_string()),
        Ok(Ok(ips)) if ips.is_empty() => {
            failed(Problem::NoAnswer, format!("no address for {host}"))
        }
        Ok(Ok(ips)) => Step::Ok {
            value: dedup(ips),
            ms: ms(start),
        },
    }
}

/// Whether an address is one no public site lives at: loopback, private, link-local,
/// unspecified, documentation or otherwise reserved ranges. Poisoning resolvers answer
/// with such addresses (or with another network's).
pub(super) fn is_reserved(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => {
            let [a, b, ..] = v.octets();
            v.is_loopback()
                || v.is_private()
                || v.is_link_local()
                || v.is_unspecified()
                || v.is_broadcast()
                || v.is_documentation()
                || a == 0
                || a >= 240
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (18..20).contains(&b))
        }
        IpAddr::V6(v) => {
            let first = v.segments()[0];
            v.is_loopback()
                || v.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || v.to_ipv4_mapped()
                    .is_some_and(|m| is_reserved(IpAddr::V4(m)))
        }
    }
}

/// Connects to `addr`; the stream and how long it took.
pub(super) async fn tcp(addr: SocketAddr, timeout: Duration) -> (Step<()>, Option<TcpStream>) {
    let start = Instant::now();
    match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
        Err(_) => (
            failed(
                Problem::Timeout,
                format!("no answer from {addr} within {}s", timeout.as_secs()),
            ),
            None,
        ),
        Ok(Err(e)) => {
            let problem = match e.kind() {
                std::io::ErrorKind::ConnectionRefused => Problem::Refused,
                std::io::ErrorKind::ConnectionReset => Problem::Reset,
                std::io::ErrorKind::TimedOut => Problem::Timeout,
                _ => Problem::NoRoute,
            };
            (failed(problem, format!("{addr}: {e}")), None)
        }
        Ok(Ok(s)) => (
            Step::Ok {
                value: (),
                ms: ms(start),
            },
            Some(s),
        ),
    }
}

/// A TLS handshake over `stream` for `host`; the protocol version agreed.
pub(super) async fn tls(
    stream: TcpStream,
    host: &str,
    config: Arc<rustls::ClientConfig>,
    timeout: Duration,
) -> Step<String> {
    let start = Instant::now();
    let Ok(name) = ServerName::try_from(host.to_owned()) else {
        return failed(Problem::Tls, format!("`{host}` is not a TLS server name"));
    };
    let connector = tokio_rustls::TlsConnector::from(config);
    match tokio::time::timeout(timeout, connector.connect(name, stream)).await {
        Err(_) => failed(
            Problem::Timeout,
            "the TLS handshake did not finish (the server, or something on the way, stopped answering)",
        ),
        Ok(Err(e)) => {
            let certificate = e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
                .is_some_and(|r| {
                    matches!(
                        r,
                        rustls::Error::InvalidCertificate(_)
                            | rustls::Error::NoCertificatesPresented
                    )
                });
            if certificate {
                return failed(Problem::Certificate, e.to_string());
            }
            match e.kind() {
                std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::UnexpectedEof
                | std::io::ErrorKind::BrokenPipe
                | std::io::ErrorKind::ConnectionAborted => failed(
                    Problem::Reset,
                    format!("the connection was cut during the TLS handshake ({e})"),
                ),
                _ => failed(Problem::Tls, e.to_string()),
            }
        }
        Ok(Ok(mut s)) => {
            let version = s
                .get_ref()
                .1
                .protocol_version()
                .map_or_else(|| "TLS".to_owned(), |v| format!("{v:?}"));
            let _ = s.shutdown().await;
            Step::Ok {
                value: version
                    .replace("TLSv1_", "TLS 1.")
                    .replace("TLSv1", "TLS 1"),
                ms: ms(start),
            }
        }
    }
}

/// Seconds the server's `Date` is ahead of this machine's clock (negative: behind).
pub(super) fn clock_offset(headers: &reqwest::header::HeaderMap, sent: SystemTime) -> Option<i64> {
    let date = headers.get(reqwest::header::DATE)?.to_str().ok()?;
    let theirs = httpdate::parse_http_date(date).ok()?;
    let secs = |t: SystemTime| {
        t.duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    };
    Some(secs(theirs) - secs(sent))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_ranges() {
        for r in [
            "127.0.0.1",
            "0.0.0.0",
            "10.1.2.3",
            "192.168.1.1",
            "172.16.0.1",
            "169.254.1.1",
            "100.64.0.1",
            "240.0.0.1",
            "::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_reserved(r.parse().unwrap()), "{r}");
        }
        for p in ["104.16.1.1", "8.8.8.8", "2606:4700::1111"] {
            assert!(!is_reserved(p.parse().unwrap()), "{p}");
        }
    }

    #[test]
    fn dns_messages_round_trip() {
        let q = queries("api.example.com").unwrap();
        assert_eq!(q.len(), 2);
        let m = Message::from_vec(&q[0]).unwrap();
        assert_eq!(m.queries[0].query_type(), RecordType::A);
        // An answer without records has no addresses.
        assert!(addresses(&q[1]).unwrap().is_empty());
        assert!(addresses(b"junk").is_err());
    }
}
