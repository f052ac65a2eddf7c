//! Name resolution the way a hostile network does it: the tables the emulator's
//! DoH endpoint and its "system resolver" stand-in answer from, how one DNS message is
//! answered, and the stand-in itself (plain DNS on UDP and TCP, port 53 style).
//!
//! None of this is the JMComic site: real users meet it in their ISP's resolver and in the
//! public DoH services. It exists so that a client's DNS-over-HTTPS path, its poisoning
//! checks and `jmcomic doctor` can be tested offline.
//!
//! DNS messages are read and written with `hickory-proto`, never by hand.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use hickory_proto::op::{Edns, Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA};
use hickory_proto::rr::{RData, Record, RecordType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};

use crate::error::Error;

/// The parent domain of the made-up names both resolvers know by default
/// (`api1.jm.test`, `cdn1.jm.test`, ..., see [`crate::Emulator::named_domains`]). RFC 2606
/// reserves `.test`, so these names can never reach, or come from, a real resolver.
pub const DNS_SUFFIX: &str = "jm.test";

/// The name the DoH endpoint's certificate is made for (besides `localhost`, `127.0.0.1`
/// and every `*.jm.test`), and that both resolvers answer with the loopback address.
pub const DOH_SERVER_NAME: &str = "doh.jm.test";

/// TTL of every record served, in seconds (also the DoH answer's `Cache-Control: max-age`).
pub(crate) const TTL: u32 = 60;

/// The EDNS payload size advertised in answers (the DNS Flag Day 2020 value).
const EDNS_PAYLOAD: u16 = 1232;

/// A DNS message over TCP is at most this long (its length prefix is 16 bits).
const MAX_MESSAGE: usize = 65_535;

/// A TCP client of the stub that sends nothing for this long is dropped.
const TCP_IDLE: Duration = Duration::from_secs(30);

/// What one of the emulator's resolvers answers for a name.
///
/// Text form (CLI `--doh-record NAME=ANSWER`): `IP[,IP...]`, `nxdomain`, `servfail` or
/// `silent`.
///
/// ```
/// use jmcomic_emulator::DnsAnswer;
///
/// let answer: DnsAnswer = "10.0.0.1,::1".parse()?;
/// assert_eq!(
///     answer,
///     DnsAnswer::Addresses(vec!["10.0.0.1".parse()?, "::1".parse()?])
/// );
/// assert_eq!("nxdomain".parse::<DnsAnswer>()?, DnsAnswer::NxDomain);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DnsAnswer {
    /// These addresses: `A` queries get the IPv4 ones, `AAAA` queries the IPv6 ones. A
    /// family with none (and every other record type) gets an empty `NOERROR` answer
    /// ("no data"), as a real resolver gives for a name without that record.
    Addresses(Vec<IpAddr>),
    /// `NXDOMAIN`: no such name (the answer for names the table does not have).
    NxDomain,
    /// `SERVFAIL`: the resolver could not get an answer.
    ServFail,
    /// No answer at all: UDP queries are dropped and DoH or TCP queries are never answered,
    /// so the client times out (a resolver blocked by the network).
    Silent,
}

impl fmt::Display for DnsAnswer {
    /// The text form (see [`DnsAnswer`]); an empty address list prints as nothing.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Addresses(ips) => {
                for (i, ip) in ips.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{ip}")?;
                }
                Ok(())
            }
            Self::NxDomain => f.write_str("nxdomain"),
            Self::ServFail => f.write_str("servfail"),
            Self::Silent => f.write_str("silent"),
        }
    }
}

impl FromStr for DnsAnswer {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        let text = text.trim();
        Ok(match text.to_ascii_lowercase().as_str() {
            "nxdomain" => Self::NxDomain,
            "servfail" => Self::ServFail,
            "silent" => Self::Silent,
            _ => {
                Self::Addresses(
                    text.split(',')
                        .map(|ip| {
                            ip.trim().parse::<IpAddr>().map_err(|_| Error::InvalidOption {
                            option: "dns answer",
                            reason: format!(
                                "{text:?}: expected IP[,IP...], nxdomain, servfail or silent"
                            ),
                        })
                        })
                        .collect::<Result<_, _>>()?,
                )
            }
        })
    }
}

/// Which of the emulator's two resolvers a query went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DnsSide {
    /// The DoH endpoint ([`crate::Emulator::doh_url`]).
    Doh,
    /// The plain-DNS stand-in for the system resolver ([`crate::Emulator::dns_stub_addr`]).
    System,
}

/// One DNS question as one of the emulator's resolvers saw it
/// ([`crate::Emulator::dns_queries`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DnsQueryRecord {
    /// Which resolver was asked.
    pub side: DnsSide,
    /// The name asked for, lowercase, without the trailing dot.
    pub name: String,
    /// The record type asked for (`A`, `AAAA`, ...).
    pub record_type: String,
    /// What the table said (the [`DnsAnswer`] text form; an address list filtered to the
    /// family asked for).
    pub answer: String,
    /// Arrival time, measured from the emulator's start.
    pub elapsed: Duration,
    /// Arrival time.
    pub at: Instant,
}

/// A name table: explicit entries, and the answer for every other name.
#[derive(Debug, Clone)]
pub(crate) struct DnsTable {
    entries: HashMap<String, DnsAnswer>,
    fallback: DnsAnswer,
}

impl DnsTable {
    pub(crate) fn new(fallback: DnsAnswer) -> Self {
        Self {
            entries: HashMap::new(),
            fallback,
        }
    }

    pub(crate) fn set(&mut self, name: &str, answer: DnsAnswer) {
        self.entries.insert(normalize(name), answer);
    }

    /// Adds an address to a name that already has addresses; otherwise sets it.
    pub(crate) fn add_address(&mut self, name: &str, ip: IpAddr) {
        match self.entries.get_mut(&normalize(name)) {
            Some(DnsAnswer::Addresses(ips)) if !ips.contains(&ip) => ips.push(ip),
            Some(DnsAnswer::Addresses(_)) => {}
            _ => self.set(name, DnsAnswer::Addresses(vec![ip])),
        }
    }

    fn lookup(&self, name: &str) -> &DnsAnswer {
        self.entries.get(name).unwrap_or(&self.fallback)
    }

    /// Every name with an entry.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }
}

/// Lowercase, no surrounding space, no trailing dot: how names are keyed and logged.
pub(crate) fn normalize(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// How one DNS message is answered.
pub(crate) enum Outcome {
    /// The encoded answer.
    Answer(Vec<u8>),
    /// Not a DNS query: DoH answers 400, UDP drops it, TCP closes.
    Malformed(String),
    /// [`DnsAnswer::Silent`]: no answer.
    Silent,
}

/// Both resolvers' tables and the query log.
pub(crate) struct DnsState {
    doh: Mutex<DnsTable>,
    system: Mutex<DnsTable>,
    log: Mutex<VecDeque<DnsQueryRecord>>,
    max_log: usize,
    started: Instant,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl DnsState {
    pub(crate) fn new(doh: DnsTable, system: DnsTable, max_log: usize, started: Instant) -> Self {
        Self {
            doh: Mutex::new(doh),
            system: Mutex::new(system),
            log: Mutex::new(VecDeque::new()),
            max_log,
            started,
        }
    }

    pub(crate) fn set(&self, side: DnsSide, name: &str, answer: DnsAnswer) {
        match side {
            DnsSide::Doh => lock(&self.doh).set(name, answer),
            DnsSide::System => lock(&self.system).set(name, answer),
        }
    }

    pub(crate) fn queries(&self) -> Vec<DnsQueryRecord> {
        lock(&self.log).iter().cloned().collect()
    }

    pub(crate) fn clear_queries(&self) {
        lock(&self.log).clear();
    }

    fn record(&self, record: DnsQueryRecord) {
        let mut log = lock(&self.log);
        if log.len() >= self.max_log {
            log.pop_front();
        }
        if self.max_log > 0 {
            log.push_back(record);
        }
    }

    /// Answers one DNS message from `side`'s table. `udp_limit`: the message travels over
    /// UDP, whose answers must fit the size the query allows (512 bytes without EDNS) or go
    /// out truncated (`TC`), so the client retries over TCP.
    pub(crate) fn answer(&self, side: DnsSide, bytes: &[u8], udp: bool) -> Outcome {
        let at = Instant::now();
        let request = match Message::from_vec(bytes) {
            Ok(m) => m,
            Err(e) => return Outcome::Malformed(format!("not a DNS message: {e}")),
        };
        if request.metadata.message_type != MessageType::Query {
            return Outcome::Malformed("a DNS response, not a query".to_owned());
        }
        let mut response = Message::response(request.metadata.id, request.metadata.op_code);
        response.metadata.recursion_desired = request.metadata.recursion_desired;
        response.metadata.recursion_available = true;
        response.metadata.checking_disabled = request.metadata.checking_disabled;
        response.queries.clone_from(&request.queries);
        // RFC 6891 §6.1.1: a query with an OPT record gets one back.
        if request.edns.is_some() {
            let mut edns = Edns::new();
            edns.set_max_payload(EDNS_PAYLOAD);
            response.edns = Some(edns);
        }
        if request.metadata.op_code != OpCode::Query {
            response.metadata.response_code = ResponseCode::NotImp;
        } else if request.queries.len() != 1 {
            // Every resolver in use sends exactly one question (RFC 9619 makes it the rule).
            response.metadata.response_code = ResponseCode::FormErr;
        } else {
            let query = &request.queries[0];
            let name = normalize(&query.name.to_ascii());
            let answer = match side {
                DnsSide::Doh => lock(&self.doh).lookup(&name).clone(),
                DnsSide::System => lock(&self.system).lookup(&name).clone(),
            };
            let shown = match &answer {
                DnsAnswer::Addresses(ips) => {
                    let wanted: Vec<IpAddr> = ips
                        .iter()
                        .copied()
                        .filter(|ip| match query.query_type {
                            RecordType::A => ip.is_ipv4(),
                            RecordType::AAAA => ip.is_ipv6(),
                            _ => false,
                        })
                        .collect();
                    for ip in &wanted {
                        let data = match *ip {
                            IpAddr::V4(v4) => RData::A(A(v4)),
                            IpAddr::V6(v6) => RData::AAAA(AAAA(v6)),
                        };
                        response.add_answer(Record::from_rdata(query.name.clone(), TTL, data));
                    }
                    DnsAnswer::Addresses(wanted).to_string()
                }
                DnsAnswer::NxDomain => {
                    response.metadata.response_code = ResponseCode::NXDomain;
                    answer.to_string()
                }
                DnsAnswer::ServFail => {
                    response.metadata.response_code = ResponseCode::ServFail;
                    answer.to_string()
                }
                DnsAnswer::Silent => answer.to_string(),
            };
            self.record(DnsQueryRecord {
                side,
                name,
                record_type: query.query_type.to_string(),
                answer: shown,
                elapsed: at.saturating_duration_since(self.started),
                at,
            });
            if answer == DnsAnswer::Silent {
                return Outcome::Silent;
            }
        }
        let encoded = match response.to_vec() {
            Ok(b) => b,
            Err(e) => return Outcome::Malformed(format!("cannot encode the answer: {e}")),
        };
        if udp {
            let limit = request
                .edns
                .as_ref()
                .map_or(512, |e| e.max_payload().max(512));
            if encoded.len() > usize::from(limit) {
                return match response.truncate().to_vec() {
                    Ok(b) => Outcome::Answer(b),
                    Err(e) => Outcome::Malformed(format!("cannot encode the answer: {e}")),
                };
            }
        }
        Outcome::Answer(encoded)
    }
}

/// Serves plain DNS over UDP from the system table until the runtime stops.
pub(crate) async fn run_udp(dns: Arc<DnsState>, socket: UdpSocket) {
    let mut buf = vec![0u8; MAX_MESSAGE];
    loop {
        let (n, peer) = match socket.recv_from(&mut buf).await {
            Ok(got) => got,
            Err(e) => {
                // On Linux an ICMP "port unreachable" from an earlier answer surfaces here as
                // ECONNREFUSED; nothing is wrong with the socket.
                tracing::debug!(error = %e, "DNS stub: receive failed");
                tokio::time::sleep(Duration::from_millis(5)).await;
                continue;
            }
        };
        match dns.answer(DnsSide::System, &buf[..n], true) {
            Outcome::Answer(reply) => {
                if let Err(e) = socket.send_to(&reply, peer).await {
                    tracing::debug!(%peer, error = %e, "DNS stub: send failed");
                }
            }
            Outcome::Malformed(reason) => {
                tracing::debug!(%peer, %reason, "DNS stub: datagram dropped");
            }
            Outcome::Silent => {}
        }
    }
}

/// Serves plain DNS over TCP (RFC 1035 §4.2.2 / RFC 7766: each message behind a two-byte
/// length) from the system table until the runtime stops.
pub(crate) async fn run_tcp(dns: Arc<DnsState>, listener: TcpListener) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(serve_tcp(dns.clone(), stream));
            }
            Err(e) => {
                tracing::warn!(error = %e, "DNS stub: accept failed");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

async fn serve_tcp(dns: Arc<DnsState>, mut stream: TcpStream) {
    let mut buf = vec![0u8; MAX_MESSAGE];
    loop {
        let Ok(Ok(len)) = tokio::time::timeout(TCP_IDLE, stream.read_u16()).await else {
            return;
        };
        let len = usize::from(len);
        if stream.read_exact(&mut buf[..len]).await.is_err() {
            return;
        }
        match dns.answer(DnsSide::System, &buf[..len], false) {
            Outcome::Answer(reply) => {
                let Ok(prefix) = u16::try_from(reply.len()) else {
                    return;
                };
                let mut framed = Vec::with_capacity(reply.len() + 2);
                framed.extend_from_slice(&prefix.to_be_bytes());
                framed.extend_from_slice(&reply);
                if stream.write_all(&framed).await.is_err() {
                    return;
                }
            }
            Outcome::Malformed(reason) => {
                tracing::debug!(%reason, "DNS stub: closing a TCP client");
                return;
            }
            // Keep the connection (the client may send more), answer nothing.
            Outcome::Silent => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::op::Query;
    use hickory_proto::rr::Name;

    fn state() -> DnsState {
        let mut doh = DnsTable::new(DnsAnswer::NxDomain);
        doh.set(
            "API1.jm.test.",
            DnsAnswer::Addresses(vec!["127.0.0.1".parse().unwrap()]),
        );
        doh.add_address("api1.jm.test", "::1".parse().unwrap());
        doh.set("gone.jm.test", DnsAnswer::ServFail);
        let system = DnsTable::new(DnsAnswer::Addresses(vec!["10.0.0.1".parse().unwrap()]));
        DnsState::new(doh, system, 10, Instant::now())
    }

    fn ask(dns: &DnsState, side: DnsSide, name: &str, rtype: RecordType) -> Message {
        let mut q = Message::query();
        q.metadata.recursion_desired = true;
        q.add_query(Query::query(Name::from_ascii(name).unwrap(), rtype));
        match dns.answer(side, &q.to_vec().unwrap(), true) {
            Outcome::Answer(b) => {
                let m = Message::from_vec(&b).unwrap();
                assert_eq!(m.metadata.id, q.metadata.id);
                assert!(m.metadata.recursion_desired);
                m
            }
            _ => panic!("no answer"),
        }
    }

    #[test]
    fn answers_from_the_table() {
        let dns = state();
        let m = ask(&dns, DnsSide::Doh, "api1.JM.test.", RecordType::A);
        assert_eq!(m.metadata.response_code, ResponseCode::NoError);
        assert_eq!(m.answers.len(), 1);
        assert_eq!(m.answers[0].data, RData::A(A("127.0.0.1".parse().unwrap())));
        let m = ask(&dns, DnsSide::Doh, "api1.jm.test", RecordType::AAAA);
        assert_eq!(m.answers[0].data, RData::AAAA(AAAA("::1".parse().unwrap())));
        let m = ask(&dns, DnsSide::Doh, "api1.jm.test", RecordType::TXT);
        assert_eq!(
            (m.metadata.response_code, m.answers.len()),
            (ResponseCode::NoError, 0)
        );
        let m = ask(&dns, DnsSide::Doh, "nope.jm.test", RecordType::A);
        assert_eq!(m.metadata.response_code, ResponseCode::NXDomain);
        let m = ask(&dns, DnsSide::Doh, "gone.jm.test", RecordType::A);
        assert_eq!(m.metadata.response_code, ResponseCode::ServFail);
        // The system side's fallback answers every name.
        let m = ask(&dns, DnsSide::System, "example.org", RecordType::A);
        assert_eq!(m.answers[0].data, RData::A(A("10.0.0.1".parse().unwrap())));
        let log = dns.queries();
        assert_eq!(log.len(), 6);
        assert_eq!(
            (log[0].name.as_str(), log[0].record_type.as_str()),
            ("api1.jm.test", "A")
        );
        assert_eq!(log[0].answer, "127.0.0.1");
        assert_eq!(log[5].side, DnsSide::System);
    }

    #[test]
    fn garbage_and_responses_are_malformed() {
        let dns = state();
        assert!(matches!(
            dns.answer(DnsSide::Doh, b"\x01\x02", false),
            Outcome::Malformed(_)
        ));
        let response = Message::response(7, OpCode::Query).to_vec().unwrap();
        assert!(matches!(
            dns.answer(DnsSide::Doh, &response, false),
            Outcome::Malformed(_)
        ));
    }

    #[test]
    fn answer_text_round_trips() {
        for text in [
            "127.0.0.1",
            "10.0.0.1,::1",
            "nxdomain",
            "servfail",
            "silent",
        ] {
            let a: DnsAnswer = text.parse().unwrap();
            assert_eq!(a.to_string(), text);
        }
        assert!("10.0.0.300".parse::<DnsAnswer>().is_err());
        assert!("".parse::<DnsAnswer>().is_err());
    }
}
