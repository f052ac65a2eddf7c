//! Fault injection: rules that make chosen requests misbehave, changeable at runtime.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::emulator::HostRole;
use crate::error::Error;

/// What a matching request suffers.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum FaultKind {
    /// Wait this long, then answer normally (adds to the global latency and to other latency
    /// rules that fire for the same request).
    Latency(Duration),
    /// Answer with this HTTP status and a small HTML error page (500/502/503/520/524 ...).
    Status(u16),
    /// Close the connection with a TCP reset and no response at all.
    Reset,
    /// Send the headers with the full `Content-Length`, about half the body, then close.
    Truncated,
    /// HTTP 200 with an empty body.
    Empty200,
    /// HTTP 200, the route's usual `Content-Type` and length, random undecodable bytes.
    Garbage,
    /// HTTP 429 with a `Retry-After` header.
    TooManyRequests {
        /// Value of `Retry-After`, in seconds.
        retry_after_secs: u64,
    },
    /// Send the headers and part of the body, then nothing (until the client gives up, or
    /// five minutes pass).
    Stall,
    /// HTTP 200 whose body is exactly
    /// `Could not connect to mysql! Please check your database settings!`.
    Mysql,
    /// API routes: a normal envelope whose `data` does not decrypt to JSON. Other routes:
    /// same as [`FaultKind::Garbage`].
    BadCiphertext,
    /// HTTP 200 with a small, structurally valid image whose header claims 100000×100000
    /// pixels, whatever was asked for: for paths ending in `.png` a PNG (IHDR 100000×100000,
    /// a short zlib stream, IEND; every chunk CRC correct), otherwise an animated WebP (VP8X
    /// canvas 100000×100000, one 16×16 frame). `Content-Length` is exact. A client that
    /// allocates what the header claims asks for 30–40 GB.
    HugeDimensions,
    /// HTTP 200 with `Content-Length: bytes`, then exactly that many bytes: one 64 KiB block
    /// of pseudo-random bytes (not an image) repeated, streamed as the client reads, so the
    /// emulator allocates nothing per byte. The route's `Content-Type` is guessed from the
    /// path's extension.
    HugeBody {
        /// Length of the body.
        bytes: u64,
    },
    /// The route's normal answer without its `Set-Cookie` headers: on `/setting`, a session
    /// that never takes, so `/album` and `/chapter` keep answering with the placeholder.
    NoCookies,
    /// A Cloudflare browser challenge instead of the page: `status` (403 by default, the
    /// status spec §6.3.4 maps to "ip地区禁止访问/爬虫被识别"), headers `server: cloudflare`,
    /// `cf-mitigated: challenge` and a `cf-ray`, and the "Just a moment..." page (longer
    /// than the 500 characters below which spec §6.3.4 looks for special bodies). The
    /// Python package does not solve challenges (spec §6.3.2); the markers besides the
    /// status are Cloudflare's own, not from the spec.
    Cloudflare {
        /// HTTP status (403 unless given: `cloudflare=503`).
        status: u16,
    },
    /// The region block: a short page (under 500 characters) containing
    /// `Restricted Access!` (spec §6.3.4 step 3), with `status` (200 unless given: the
    /// spec checks the body only after a 200, so that is the status that reaches the
    /// check).
    RegionBlock {
        /// HTTP status (200 unless given: `region-block=403`).
        status: u16,
    },
    /// A connection-level fault ("connections reset at the TLS handshake", what a
    /// network that blocks the site by name does): with [`crate::EmulatorBuilder::tls`], the
    /// connection is reset (TCP RST) once the client's ClientHello has arrived, before any
    /// ServerHello. Over plain HTTP, as soon as the client's first bytes arrive, before any
    /// answer. Such rules count connections, not requests, and ignore the path prefix (no
    /// request has been read yet); they never fire on requests. An emulator extension: the
    /// site itself never does this, the network between does.
    HandshakeReset,
    /// Like [`FaultKind::HandshakeReset`], but the connection is left open with no answer
    /// after the ClientHello (or the first bytes over plain HTTP) until the client gives up
    /// or five minutes pass: a handshake timeout.
    HandshakeStall,
}

impl FaultKind {
    /// Whether the fault only delays the answer.
    pub fn is_latency(&self) -> bool {
        matches!(self, Self::Latency(_))
    }

    /// Whether the fault acts on connections during the TLS handshake
    /// ([`FaultKind::HandshakeReset`], [`FaultKind::HandshakeStall`]) rather than on requests.
    pub fn is_handshake(&self) -> bool {
        matches!(self, Self::HandshakeReset | Self::HandshakeStall)
    }

    /// A Cloudflare challenge with its usual status, 403.
    pub fn cloudflare() -> Self {
        Self::Cloudflare { status: 403 }
    }

    /// The region-block page with status 200.
    pub fn region_block() -> Self {
        Self::RegionBlock { status: 200 }
    }
}

impl fmt::Display for FaultKind {
    /// The `--fault` syntax of the kind (see [`FaultRule`]'s `FromStr`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Latency(d) => write!(f, "latency={}ms", d.as_millis()),
            Self::Status(code) => write!(f, "status={code}"),
            Self::Reset => f.write_str("reset"),
            Self::Truncated => f.write_str("truncated"),
            Self::Empty200 => f.write_str("empty200"),
            Self::Garbage => f.write_str("garbage"),
            Self::TooManyRequests { retry_after_secs } => write!(f, "429={retry_after_secs}"),
            Self::Stall => f.write_str("stall"),
            Self::Mysql => f.write_str("mysql"),
            Self::BadCiphertext => f.write_str("bad-ciphertext"),
            Self::HugeDimensions => f.write_str("huge-dimensions"),
            Self::HugeBody { bytes } => write!(f, "huge-body={bytes}"),
            Self::NoCookies => f.write_str("no-cookies"),
            Self::Cloudflare { status: 403 } => f.write_str("cloudflare"),
            Self::Cloudflare { status } => write!(f, "cloudflare={status}"),
            Self::RegionBlock { status: 200 } => f.write_str("region-block"),
            Self::RegionBlock { status } => write!(f, "region-block={status}"),
            Self::HandshakeReset => f.write_str("handshake-reset"),
            Self::HandshakeStall => f.write_str("handshake-stall"),
        }
    }
}

/// Which of the matching requests a rule fires on.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Times {
    /// Every matching request.
    Always,
    /// The first `n` matching requests, then never again.
    First(u64),
    /// Matching requests number k, 2k, 3k, ... (1-based; `EveryNth(1)` = always, `EveryNth(0)`
    /// = never).
    EveryNth(u64),
    /// Each matching request with probability `p`, from a generator seeded with `seed`
    /// (deterministic for a given request order).
    Probability {
        /// Probability in `0.0..=1.0`.
        p: f64,
        /// Seed of the rule's generator.
        seed: u64,
    },
}

impl fmt::Display for Times {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Always => f.write_str("always"),
            Self::First(n) => write!(f, "first={n}"),
            Self::EveryNth(k) => write!(f, "every={k}"),
            Self::Probability { p, seed } => write!(f, "p={p};seed={seed}"),
        }
    }
}

/// A fault rule: requests to `host` (any if `None`) of hosts with `role` (any if `None`)
/// whose path and query start with `path_prefix` suffer `kind`, as often as `times` says.
///
/// Rules are checked in the order they were added. Every matching rule counts the request
/// (so `First(2)` means the first two matching requests, whatever other rules did); latency
/// rules that fire add up, and the first other rule that fires decides the answer.
///
/// # Text form (CLI `--fault`)
///
/// `KIND[=ARG][@PREFIX][;host=N][;role=R][;first=N | ;every=K | ;p=P[;seed=S]]`, where KIND
/// is one of `latency=MS`, `status=CODE`, `reset`, `truncated`, `empty200`, `garbage`,
/// `429=SECS` (alias `too-many-requests=SECS`), `stall`, `mysql`, `bad-ciphertext`,
/// `huge-dimensions`, `huge-body=BYTES`, `no-cookies`, `cloudflare[=STATUS]`,
/// `region-block[=STATUS]`, `handshake-reset`, `handshake-stall`, and R one of `api`, `cdn`, `html`, `discovery` ([`HostRole`]).
/// PREFIX defaults to `/` (everything) and ends at the first `;`.
/// Examples:
///
/// ```
/// use jmcomic_emulator::{FaultKind, FaultRule, Times};
///
/// let rule: FaultRule = "status=503@/media/photos/220980/;first=2".parse()?;
/// assert_eq!(rule.kind, FaultKind::Status(503));
/// assert_eq!(rule.times, Times::First(2));
///
/// let rule: FaultRule = "reset@/album;p=0.3;seed=7".parse()?;
/// assert_eq!(rule.times, Times::Probability { p: 0.3, seed: 7 });
///
/// let rule: FaultRule = "huge-body=1073741824@/media/photos/".parse()?;
/// assert_eq!(rule.kind, FaultKind::HugeBody { bytes: 1 << 30 });
///
/// // Every page of every HTML host, the first two times: a Cloudflare challenge.
/// let rule: FaultRule = "cloudflare;role=html;first=2".parse()?;
/// assert_eq!(rule.kind, FaultKind::cloudflare());
/// assert_eq!(rule.role, Some(jmcomic_emulator::HostRole::Html));
///
/// // The first API connection is reset during its TLS handshake (the path is ignored).
/// let rule: FaultRule = "handshake-reset;role=api;first=1".parse()?;
/// assert_eq!(rule.kind, FaultKind::HandshakeReset);
/// # Ok::<(), jmcomic_emulator::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FaultRule {
    /// Host index (API hosts first, then CDN hosts); `None` = every host.
    pub host: Option<usize>,
    /// Kind of host ([`HostRole`]); `None` = every kind.
    pub role: Option<HostRole>,
    /// Prefix of the request's path and query, e.g. `/album` or
    /// `/media/photos/220980/00002.webp`.
    pub path_prefix: String,
    /// What happens.
    pub kind: FaultKind,
    /// How often.
    pub times: Times,
}

impl FaultRule {
    /// A rule on every host, firing always.
    pub fn new(path_prefix: impl Into<String>, kind: FaultKind) -> Self {
        Self {
            host: None,
            role: None,
            path_prefix: path_prefix.into(),
            kind,
            times: Times::Always,
        }
    }

    /// Restricts the rule to one host.
    #[must_use]
    pub fn on_host(mut self, host: usize) -> Self {
        self.host = Some(host);
        self
    }

    /// Restricts the rule to hosts of one kind (e.g. every HTML host).
    #[must_use]
    pub fn on_role(mut self, role: HostRole) -> Self {
        self.role = Some(role);
        self
    }

    /// Sets how often the rule fires.
    #[must_use]
    pub fn times(mut self, times: Times) -> Self {
        self.times = times;
        self
    }
}

impl fmt::Display for FaultRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.kind, self.path_prefix)?;
        if let Some(host) = self.host {
            write!(f, ";host={host}")?;
        }
        if let Some(role) = self.role {
            write!(f, ";role={}", role.name())?;
        }
        if self.times != Times::Always {
            write!(f, ";{}", self.times)?;
        }
        Ok(())
    }
}

impl FromStr for FaultRule {
    type Err = Error;

    fn from_str(spec: &str) -> Result<Self, Error> {
        let fail = |reason: &str| Error::FaultSpec {
            spec: spec.to_owned(),
            reason: reason.to_owned(),
        };
        let mut parts = spec.split(';');
        let head = parts.next().unwrap_or_default().trim();
        let (kind_text, prefix) = match head.split_once('@') {
            Some((k, p)) => (k, p),
            None => (head, "/"),
        };
        let (name, arg) = match kind_text.split_once('=') {
            Some((n, a)) => (n, Some(a)),
            None => (kind_text, None),
        };
        let status_code = |code: u64| -> Result<u16, Error> {
            match u16::try_from(code) {
                Ok(code) if (100..=999).contains(&code) => Ok(code),
                _ => Err(fail("status must be in 100..=999")),
            }
        };
        let number = |what: &str| -> Result<u64, Error> {
            arg.map(|a| a.trim().trim_end_matches("ms"))
                .ok_or_else(|| fail(&format!("{name} needs ={what}")))?
                .parse()
                .map_err(|_| fail(&format!("{name}: {what} must be a whole number")))
        };
        let kind = match name.trim().to_ascii_lowercase().as_str() {
            "latency" => FaultKind::Latency(Duration::from_millis(number("MS")?)),
            "status" => FaultKind::Status(status_code(number("CODE")?)?),
            "reset" => FaultKind::Reset,
            "truncated" => FaultKind::Truncated,
            "empty200" | "empty" => FaultKind::Empty200,
            "garbage" => FaultKind::Garbage,
            "429" | "too-many-requests" => FaultKind::TooManyRequests {
                retry_after_secs: number("SECS")?,
            },
            "stall" => FaultKind::Stall,
            "mysql" => FaultKind::Mysql,
            "bad-ciphertext" | "badciphertext" => FaultKind::BadCiphertext,
            "huge-dimensions" | "hugedimensions" => FaultKind::HugeDimensions,
            "huge-body" | "hugebody" => FaultKind::HugeBody {
                bytes: number("BYTES")?,
            },
            "no-cookies" | "nocookies" => FaultKind::NoCookies,
            "cloudflare" => FaultKind::Cloudflare {
                status: match arg {
                    None => 403,
                    Some(_) => status_code(number("STATUS")?)?,
                },
            },
            "region-block" | "regionblock" => FaultKind::RegionBlock {
                status: match arg {
                    None => 200,
                    Some(_) => status_code(number("STATUS")?)?,
                },
            },
            "handshake-reset" => FaultKind::HandshakeReset,
            "handshake-stall" => FaultKind::HandshakeStall,
            other => return Err(fail(&format!("unknown fault kind {other:?}"))),
        };
        let mut rule = FaultRule::new(prefix, kind);
        let mut probability = None;
        let mut seed = 0;
        for part in parts {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| fail(&format!("expected key=value, got {part:?}")))?;
            let int = || -> Result<u64, Error> {
                value
                    .trim()
                    .parse()
                    .map_err(|_| fail(&format!("{key} must be a whole number")))
            };
            match key.trim() {
                "role" => {
                    rule.role =
                        Some(HostRole::from_name(value.trim()).ok_or_else(|| {
                            fail("role must be one of api, cdn, html, discovery")
                        })?);
                }
                "host" => {
                    rule.host =
                        Some(usize::try_from(int()?).map_err(|_| fail("host index too large"))?);
                }
                "first" => rule.times = Times::First(int()?),
                "every" => {
                    let k = int()?;
                    if k == 0 {
                        return Err(fail("every must be at least 1"));
                    }
                    rule.times = Times::EveryNth(k);
                }
                "p" => {
                    let p: f64 = value
                        .trim()
                        .parse()
                        .map_err(|_| fail("p must be a number"))?;
                    if !(0.0..=1.0).contains(&p) {
                        return Err(fail("p must be in 0..=1"));
                    }
                    probability = Some(p);
                }
                "seed" => seed = int()?,
                other => return Err(fail(&format!("unknown option {other:?}"))),
            }
        }
        if let Some(p) = probability {
            rule.times = Times::Probability { p, seed };
        }
        Ok(rule)
    }
}

/// Handle of an added rule, for [`crate::Emulator::remove_fault`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FaultId(pub(crate) u64);

struct ActiveRule {
    id: FaultId,
    rule: FaultRule,
    /// Matching requests seen so far.
    seen: u64,
    rng: fastrand::Rng,
}

/// What the fault table decided for one request.
#[derive(Debug, Default)]
pub(crate) struct Decision {
    /// Extra latency (sum of fired latency rules).
    pub latency: Duration,
    /// The answer-changing fault, if one fired.
    pub fault: Option<FaultKind>,
    /// Labels of every fired rule, for the request log.
    pub labels: Vec<String>,
}

/// The live rule set.
#[derive(Default)]
pub(crate) struct FaultTable {
    rules: Vec<ActiveRule>,
    next_id: u64,
}

impl FaultTable {
    pub(crate) fn add(&mut self, rule: FaultRule) -> FaultId {
        let id = FaultId(self.next_id);
        self.next_id += 1;
        let seed = match rule.times {
            Times::Probability { seed, .. } => seed,
            _ => 0,
        };
        self.rules.push(ActiveRule {
            id,
            rule,
            seen: 0,
            rng: fastrand::Rng::with_seed(seed),
        });
        id
    }

    pub(crate) fn remove(&mut self, id: FaultId) -> bool {
        let before = self.rules.len();
        self.rules.retain(|r| r.id != id);
        before != self.rules.len()
    }

    pub(crate) fn clear(&mut self) {
        self.rules.clear();
    }

    /// Counts the request against every matching request-level rule and returns what fired.
    pub(crate) fn decide(&mut self, host: usize, role: HostRole, path_and_query: &str) -> Decision {
        let mut decision = Decision::default();
        for active in &mut self.rules {
            let rule = &active.rule;
            if rule.kind.is_handshake()
                || rule.host.is_some_and(|h| h != host)
                || rule.role.is_some_and(|r| r != role)
                || !path_and_query.starts_with(&rule.path_prefix)
            {
                continue;
            }
            if !active.fires() {
                continue;
            }
            let rule = &active.rule;
            match &rule.kind {
                FaultKind::Latency(d) => {
                    decision.latency += *d;
                    decision.labels.push(rule.kind.to_string());
                }
                kind if decision.fault.is_none() => {
                    decision.fault = Some(kind.clone());
                    decision.labels.push(kind.to_string());
                }
                _ => {}
            }
        }
        decision
    }

    /// Whether any handshake rule exists (plain-HTTP connections only wait for their first
    /// bytes when one does).
    pub(crate) fn has_handshake_rules(&self) -> bool {
        self.rules.iter().any(|r| r.rule.kind.is_handshake())
    }

    /// Counts a connection against every matching handshake rule; the first that fires
    /// decides, with its label for the connection log.
    pub(crate) fn decide_handshake(
        &mut self,
        host: usize,
        role: HostRole,
    ) -> Option<(FaultKind, String)> {
        let mut fired = None;
        for active in &mut self.rules {
            let rule = &active.rule;
            if !rule.kind.is_handshake()
                || rule.host.is_some_and(|h| h != host)
                || rule.role.is_some_and(|r| r != role)
            {
                continue;
            }
            if active.fires() && fired.is_none() {
                fired = Some((active.rule.kind.clone(), active.rule.to_string()));
            }
        }
        fired
    }
}

impl ActiveRule {
    /// Counts one match and says whether the rule fires on it.
    fn fires(&mut self) -> bool {
        self.seen += 1;
        match self.rule.times {
            Times::Always => true,
            Times::First(n) => self.seen <= n,
            Times::EveryNth(k) => k != 0 && self.seen.is_multiple_of(k),
            Times::Probability { p, .. } => self.rng.f64() < p,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_examples() {
        let r: FaultRule = "status=503@/media/photos/220980/;first=2"
            .parse()
            .expect("parse");
        assert_eq!(r.path_prefix, "/media/photos/220980/");
        assert_eq!(r.kind, FaultKind::Status(503));
        assert_eq!(r.times, Times::First(2));
        let r: FaultRule = "reset@/album;p=0.3;seed=7".parse().expect("parse");
        assert_eq!(r.kind, FaultKind::Reset);
        assert_eq!(r.times, Times::Probability { p: 0.3, seed: 7 });
        let r: FaultRule = "latency=250;host=1;every=3".parse().expect("parse");
        assert_eq!(r.kind, FaultKind::Latency(Duration::from_millis(250)));
        assert_eq!(
            (r.host, r.times, r.path_prefix.as_str()),
            (Some(1), Times::EveryNth(3), "/")
        );
        let r: FaultRule = "429=7@/search".parse().expect("parse");
        assert_eq!(
            r.kind,
            FaultKind::TooManyRequests {
                retry_after_secs: 7
            }
        );
        for bad in [
            "",
            "nope@/",
            "status@/",
            "status=99",
            "reset;p=2",
            "reset;every=0",
            "reset;x",
            "cloudflare;role=web",
            "region-block=1",
        ] {
            assert!(bad.parse::<FaultRule>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn display_round_trips() {
        for text in [
            "stall@/media/;host=2;first=3",
            "mysql@/album;every=2",
            "bad-ciphertext@/chapter;p=0.5;seed=9",
            "latency=40ms@/",
            "429=2@/x",
            "huge-dimensions@/media/photos/1/00001.png",
            "huge-body=1073741824@/media/",
            "cloudflare@/album/;role=html;first=2",
            "cloudflare=503@/",
            "region-block@/;role=html",
            "region-block=403@/search;host=3",
            "handshake-reset@/;role=api;first=1",
            "handshake-stall@/;host=0",
        ] {
            let rule: FaultRule = text.parse().expect("parse");
            assert_eq!(rule.to_string(), text);
            assert_eq!(
                rule.to_string().parse::<FaultRule>().expect("reparse"),
                rule
            );
        }
    }

    #[test]
    fn times_policies() {
        let mut table = FaultTable::default();
        table.add(FaultRule::new("/a", FaultKind::Reset).times(Times::First(2)));
        let fired: Vec<bool> = (0..4)
            .map(|_| table.decide(0, HostRole::Api, "/a").fault.is_some())
            .collect();
        assert_eq!(fired, [true, true, false, false]);

        let mut table = FaultTable::default();
        table.add(FaultRule::new("/a", FaultKind::Mysql).times(Times::EveryNth(3)));
        let fired: Vec<bool> = (0..6)
            .map(|_| table.decide(0, HostRole::Api, "/a?x").fault.is_some())
            .collect();
        assert_eq!(fired, [false, false, true, false, false, true]);
        assert!(table.decide(0, HostRole::Api, "/b").fault.is_none());

        let run = || {
            let mut table = FaultTable::default();
            table.add(
                FaultRule::new("/", FaultKind::Garbage)
                    .times(Times::Probability { p: 0.5, seed: 42 }),
            );
            (0..200)
                .map(|_| table.decide(0, HostRole::Api, "/x").fault.is_some())
                .collect::<Vec<_>>()
        };
        let a = run();
        assert_eq!(a, run());
        let hits = a.iter().filter(|&&f| f).count();
        assert!((60..140).contains(&hits), "{hits}");
    }

    #[test]
    fn handshake_rules_count_connections_not_requests() {
        let mut table = FaultTable::default();
        assert!(!table.has_handshake_rules());
        table.add(
            FaultRule::new("/", FaultKind::HandshakeReset)
                .on_role(HostRole::Api)
                .times(Times::First(1)),
        );
        table.add(FaultRule::new("/", FaultKind::HandshakeStall).on_host(3));
        assert!(table.has_handshake_rules());
        // Requests never see them, nor count against them.
        assert!(table.decide(0, HostRole::Api, "/album").fault.is_none());
        assert_eq!(table.decide_handshake(1, HostRole::Cdn), None);
        let (kind, label) = table.decide_handshake(0, HostRole::Api).expect("fires");
        assert_eq!(kind, FaultKind::HandshakeReset);
        assert_eq!(label, "handshake-reset@/;role=api;first=1");
        assert_eq!(table.decide_handshake(0, HostRole::Api), None);
        assert_eq!(
            table.decide_handshake(3, HostRole::Html).map(|(k, _)| k),
            Some(FaultKind::HandshakeStall)
        );
    }

    #[test]
    fn latency_adds_up_and_host_filter_applies() {
        let mut table = FaultTable::default();
        table.add(FaultRule::new(
            "/",
            FaultKind::Latency(Duration::from_millis(5)),
        ));
        table.add(FaultRule::new(
            "/",
            FaultKind::Latency(Duration::from_millis(7)),
        ));
        let id = table.add(FaultRule::new("/", FaultKind::Status(502)).on_host(1));
        table.add(FaultRule::new("/", FaultKind::Status(503)));
        let d = table.decide(0, HostRole::Api, "/x");
        assert_eq!(d.latency, Duration::from_millis(12));
        assert_eq!(d.fault, Some(FaultKind::Status(503)));
        assert_eq!(
            table.decide(1, HostRole::Api, "/x").fault,
            Some(FaultKind::Status(502))
        );
        assert!(table.remove(id));
        assert!(!table.remove(id));
        assert_eq!(
            table.decide(1, HostRole::Api, "/x").fault,
            Some(FaultKind::Status(503))
        );
        table.clear();
        assert!(table.decide(1, HostRole::Api, "/x").fault.is_none());
    }
}
