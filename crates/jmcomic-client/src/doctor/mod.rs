//! What stands between this machine and the site, domain by domain: the DNS answer (the
//! system's and DNS over HTTPS, side by side), the TCP connection, the TLS handshake, the
//! site's answer (the API's `/setting` and the app version it announces, one image on each
//! CDN host, the web site's front page), the clock against the servers' `Date`; then a
//! diagnosis in a sentence with the next step. What `jmcomic doctor` prints.
//!
//! ```no_run
//! # async fn run() {
//! use jmcomic_client::Client;
//! use jmcomic_client::doctor::DoctorOptions;
//!
//! let report = Client::builder().doctor(&DoctorOptions::default()).await;
//! for line in &report.diagnosis {
//!     println!("{line}");
//! }
//! std::process::exit(if report.download_would_work { 0 } else { 1 });
//! # }
//! ```

mod probe;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::future::join_all;
use serde::Serialize;

use crate::builder::{ClientBuilder, Proxy};
use crate::domain::Domain;
use crate::protocol::{Protocol, ProtocolKind};
use crate::site;

/// How the "system" side of the DNS comparison is asked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum SystemDns {
    /// The operating system's resolver (what downloads use).
    #[default]
    Os,
    /// This DNS server over UDP, standing in for the system's (tests, or checking one
    /// server by hand).
    Server(SocketAddr),
}

/// What the doctor checks with.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct DoctorOptions {
    /// The system side of the DNS comparison.
    pub system_dns: SystemDns,
    /// DNS-over-HTTPS resolvers to compare with, the first that answers used (empty: the
    /// built-in public resolvers, [`site::DOH_RESOLVERS`], reached by their published
    /// addresses).
    pub doh_urls: Vec<String>,
    /// Longest wait of each step.
    pub timeout: Duration,
    /// The album whose cover is asked of each CDN host.
    pub probe_album: u64,
    /// Clock offsets up to this are fine.
    pub clock_tolerance: Duration,
}

impl Default for DoctorOptions {
    fn default() -> Self {
        Self {
            system_dns: SystemDns::Os,
            doh_urls: Vec::new(),
            timeout: Duration::from_secs(8),
            probe_album: site::DOCTOR_PROBE_ALBUM,
            clock_tolerance: Duration::from_secs(120),
        }
    }
}

impl DoctorOptions {
    /// Sets the system side of the DNS comparison.
    pub fn system_dns(mut self, how: SystemDns) -> Self {
        self.system_dns = how;
        self
    }

    /// Sets the DNS-over-HTTPS resolvers to compare with.
    pub fn doh_urls<S: Into<String>>(mut self, urls: impl IntoIterator<Item = S>) -> Self {
        self.doh_urls = urls.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the longest wait of each step.
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }
}

/// What a domain is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The mobile API.
    Api,
    /// The image CDN.
    Cdn,
    /// The web site.
    Web,
}

/// Where a domain in the check came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The option file (or the builder).
    Configured,
    /// The program's built-in list.
    BuiltIn,
    /// A domain server's list.
    DomainServer,
}

/// What went wrong in a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Problem {
    /// No answer (no address, an error answer).
    NoAnswer,
    /// An answer that cannot be read.
    BadAnswer,
    /// Nothing came back in time.
    Timeout,
    /// The connection was refused (nothing listens there).
    Refused,
    /// The connection was cut (at connect, or during the TLS handshake).
    Reset,
    /// No route to the address.
    NoRoute,
    /// The certificate was refused.
    Certificate,
    /// Another TLS failure.
    Tls,
    /// An HTTP status that is not an answer.
    Http,
    /// A Cloudflare challenge.
    Cloudflare,
    /// The site's region block.
    RegionBlock,
    /// The API rejected the request ("Not legal": usually a stale app version).
    NotLegal,
    /// Too many requests (HTTP 429).
    RateLimited,
}

/// One step's outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Step<T> {
    /// It worked; how long it took.
    Ok {
        /// What it found.
        value: T,
        /// Milliseconds.
        ms: u64,
    },
    /// It failed.
    Failed {
        /// The kind of failure.
        problem: Problem,
        /// Details for people.
        detail: String,
    },
    /// Not tried, and why.
    Skipped {
        /// Why.
        why: String,
    },
}

impl<T> Step<T> {
    /// Whether it worked.
    pub fn is_ok(&self) -> bool {
        matches!(self, Step::Ok { .. })
    }

    /// The kind of failure, if it failed.
    pub fn problem(&self) -> Option<Problem> {
        match self {
            Step::Failed { problem, .. } => Some(*problem),
            _ => None,
        }
    }

    /// What it found, if it worked.
    pub fn value(&self) -> Option<&T> {
        match self {
            Step::Ok { value, .. } => Some(value),
            _ => None,
        }
    }

    fn skipped(why: &str) -> Self {
        Step::Skipped {
            why: why.to_owned(),
        }
    }
}

/// The verdict of a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// It works.
    Ok,
    /// It works, with something to look at.
    Warn,
    /// It does not work.
    Fail,
}

/// Everything checked for one domain.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct DomainCheck {
    /// What it is for.
    pub role: Role,
    /// `scheme://host[:port]`.
    pub domain: String,
    /// Where it came from.
    pub source: Source,
    /// The system resolver's answer.
    pub dns_system: Step<Vec<IpAddr>>,
    /// The DNS-over-HTTPS answer.
    pub dns_doh: Step<Vec<IpAddr>>,
    /// Why the system's answer looks poisoned, if it does.
    pub dns_suspect: Option<String>,
    /// Connecting to the system's first address.
    pub tcp: Step<()>,
    /// The TLS handshake (HTTPS domains).
    pub tls: Step<String>,
    /// The site's answer, summed up.
    pub http: Step<String>,
    /// The app version the API announces.
    pub announced_version: Option<String>,
    /// Seconds the server's clock is ahead of this machine's (negative: behind).
    pub clock_offset_s: Option<i64>,
    /// The row's verdict.
    pub verdict: Verdict,
}

/// The whole check.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct DoctorReport {
    /// One row per domain: API, then CDN, then web.
    pub domains: Vec<DomainCheck>,
    /// The protocol downloads use.
    pub protocol: String,
    /// The app version in use.
    pub app_version: String,
    /// The proxy in use and where it comes from (credentials hidden).
    pub proxy: String,
    /// Which certificate roots verify TLS.
    pub tls_roots: String,
    /// What the domain servers answered (each URL: its domains, or its error).
    pub domain_servers: Vec<(String, Result<Vec<String>, String>)>,
    /// The diagnosis, a sentence each, with the next step.
    pub diagnosis: Vec<String>,
    /// Whether a download would work (a working API or web domain, and a working CDN
    /// host).
    pub download_would_work: bool,
}

impl ClientBuilder {
    /// Checks every domain this configuration would use (see the [module docs](self)).
    /// Never fails: what goes wrong is what the report is about. Secrets are never in it.
    pub async fn doctor(&self, options: &DoctorOptions) -> DoctorReport {
        Doctor::new(self, options).run().await
    }
}

struct Doctor<'a> {
    builder: &'a ClientBuilder,
    options: &'a DoctorOptions,
    /// For the HTTP steps: the builder's settings (proxy, TLS), or why it could not be made.
    http: std::result::Result<reqwest::Client, String>,
    /// The DNS-over-HTTPS resolver to compare with (or why there is none).
    doh: std::result::Result<crate::dns::DohResolver, String>,
    /// Whether downloads resolve through DNS over HTTPS (`client.dns`): then the TCP step
    /// connects to the DoH answer, and a poisoned system answer does not matter.
    uses_doh: bool,
    /// The TLS configuration downloads use (or why it could not be made).
    tls: std::result::Result<Arc<rustls::ClientConfig>, String>,
}

/// Seconds since the epoch (the `ts` that signs an API request).
fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl<'a> Doctor<'a> {
    fn new(builder: &'a ClientBuilder, options: &'a DoctorOptions) -> Self {
        let http = builder.doctor_http_client().map_err(|e| e.to_string());
        let tls = crate::tls::client_config(builder.accepts_invalid_certs())
            .map(Arc::new)
            .map_err(|e| e.to_string());
        let mode = if options.doh_urls.is_empty() {
            crate::dns::DnsMode::Doh
        } else {
            crate::dns::DnsMode::DohUrls(options.doh_urls.clone())
        };
        let doh = match crate::dns::DohResolver::new(&mode, builder.accepts_invalid_certs()) {
            Ok(Some(r)) => Ok(r),
            Ok(None) => Err("no DNS-over-HTTPS resolver".to_owned()),
            Err(e) => Err(e.to_string()),
        };
        Self {
            builder,
            options,
            http,
            doh,
            uses_doh: builder.dns_mode() != &crate::dns::DnsMode::System,
            tls,
        }
    }

    async fn run(self) -> DoctorReport {
        let b = self.builder;
        let (api_configured, images_configured, html_configured) = b.configured_domains();
        let mut rows: Vec<(Role, Domain, Source)> = Vec::new();
        let mut servers = Vec::new();
        let kind = b.protocol_kind();
        if kind == ProtocolKind::Api {
            if api_configured.is_empty() {
                for d in Domain::parse_list(site::API_DOMAINS).unwrap_or_default() {
                    rows.push((Role::Api, d, Source::BuiltIn));
                }
                // What the domain servers announce today.
                if let Ok(client) = b.clone().build()
                    && let Protocol::Api(api) = &client.inner.protocol
                {
                    for url in b.domain_server_list() {
                        match api.fetch_domain_server(&url).await {
                            Ok(list) => {
                                for d in &list {
                                    if !rows.iter().any(|(_, r, _)| r == d) {
                                        rows.push((Role::Api, d.clone(), Source::DomainServer));
                                    }
                                }
                                servers.push((
                                    url,
                                    Ok(list.iter().map(ToString::to_string).collect()),
                                ));
                            }
                            Err(e) => servers.push((url, Err(e.to_string()))),
                        }
                    }
                }
            } else {
                rows.extend(
                    api_configured
                        .into_iter()
                        .map(|d| (Role::Api, d, Source::Configured)),
                );
            }
        } else if html_configured.is_empty() {
            for d in Domain::parse_list(site::HTML_DOMAINS).unwrap_or_default() {
                rows.push((Role::Web, d, Source::BuiltIn));
            }
        } else {
            rows.extend(
                html_configured
                    .into_iter()
                    .map(|d| (Role::Web, d, Source::Configured)),
            );
        }
        if images_configured.is_empty() {
            for d in Domain::parse_list(site::IMAGE_DOMAINS).unwrap_or_default() {
                rows.push((Role::Cdn, d, Source::BuiltIn));
            }
        } else {
            rows.extend(
                images_configured
                    .into_iter()
                    .map(|d| (Role::Cdn, d, Source::Configured)),
            );
        }
        let checks = join_all(
            rows.into_iter()
                .map(|(role, d, source)| self.check(role, d, source)),
        )
        .await;
        let app_version = b.app_version_in_use();
        let (diagnosis, works) = diagnose(&checks, &app_version, self.options);
        DoctorReport {
            domains: checks,
            protocol: kind.to_string(),
            app_version,
            proxy: b.proxy_description(),
            tls_roots: crate::tls::roots_description(b.accepts_invalid_certs()),
            domain_servers: servers,
            diagnosis,
            download_would_work: works,
        }
    }

    async fn check(&self, role: Role, domain: Domain, source: Source) -> DomainCheck {
        let o = self.options;
        let (scheme, host, port) = domain.parts();
        let literal: Option<IpAddr> = host.trim_matches(['[', ']']).parse().ok();
        let (dns_system, dns_doh) = if let Some(ip) = literal {
            (
                Step::Ok {
                    value: vec![ip],
                    ms: 0,
                },
                Step::skipped("an address, not a name"),
            )
        } else {
            let doh = async {
                match &self.doh {
                    Err(e) => probe::failed(Problem::NoAnswer, e.clone()),
                    Ok(r) => probe::doh(r, &host, o.timeout).await,
                }
            };
            tokio::join!(
                probe::system_dns(&host, port, &o.system_dns, o.timeout),
                doh
            )
        };
        let dns_suspect = if self.uses_doh {
            // Downloads do not ask the system resolver: what it says does not matter.
            None
        } else {
            suspect(literal.is_some(), &host, &dns_system, &dns_doh)
        };
        let mut check = DomainCheck {
            role,
            domain: domain.to_string(),
            source,
            dns_system,
            dns_doh,
            dns_suspect,
            tcp: Step::skipped("no address"),
            tls: Step::skipped(if scheme == "https" {
                "no connection"
            } else {
                "plain HTTP"
            }),
            http: Step::skipped("no connection"),
            announced_version: None,
            clock_offset_s: None,
            verdict: Verdict::Fail,
        };
        // The address downloads would use: the system's, or DoH's with `client.dns`.
        let used = if self.uses_doh {
            &check.dns_doh
        } else {
            &check.dns_system
        };
        let Some(ip) = used.value().and_then(|v| v.first()).copied().or(literal) else {
            return finish(check);
        };
        let addr = SocketAddr::new(ip, port);
        let (tcp, stream) = probe::tcp(addr, o.timeout).await;
        check.tcp = tcp;
        let Some(stream) = stream else {
            return finish(check);
        };
        if scheme == "https" {
            check.tls = match &self.tls {
                Ok(config) => probe::tls(stream, &host, Arc::clone(config), o.timeout).await,
                Err(e) => probe::failed(Problem::Tls, format!("TLS could not be set up: {e}")),
            };
            if !check.tls.is_ok() {
                return finish(check);
            }
        } else {
            drop(stream);
        }
        self.http_step(&mut check, &domain, &host, addr).await;
        finish(check)
    }

    /// The site's answer on the domain, through the address the system gave.
    async fn http_step(
        &self,
        check: &mut DomainCheck,
        domain: &Domain,
        host: &str,
        addr: SocketAddr,
    ) {
        let o = self.options;
        let client = match self
            .builder
            .doctor_http_client_resolving(host, addr)
            .or_else(|_| self.http.clone())
        {
            Ok(c) => c,
            Err(e) => {
                check.http = probe::failed(Problem::Http, format!("no HTTP client: {e}"));
                return;
            }
        };
        let ts = now_secs();
        let (url, request) = match check.role {
            Role::Api => {
                let url = domain.url("/setting");
                let mut headers = crate::api::app_headers();
                // A header value that cannot be made only loses the signature: the answer
                // then says what the site thinks of an unsigned request.
                let _ = crate::api::sign(
                    &mut headers,
                    ts,
                    site::TOKEN_SECRET,
                    &self.builder.app_version_in_use(),
                );
                (url.clone(), client.get(url).headers(headers))
            }
            Role::Cdn => {
                let url = domain.url(&format!("/media/albums/{}.jpg", o.probe_album));
                (url.clone(), client.get(url))
            }
            Role::Web => {
                let url = domain.url("/");
                (url.clone(), client.get(url))
            }
        };
        let start = std::time::Instant::now();
        let sent = SystemTime::now();
        let resp = match request.timeout(o.timeout).send().await {
            Ok(r) => r,
            Err(e) => {
                let problem = if e.is_timeout() {
                    Problem::Timeout
                } else {
                    Problem::Http
                };
                check.http =
                    probe::failed(problem, crate::transport::truncate(&e.to_string(), 200));
                return;
            }
        };
        check.clock_offset_s = probe::clock_offset(resp.headers(), sent);
        let status = resp.status().as_u16();
        let body = resp.bytes().await.unwrap_or_default();
        let ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
        let text = String::from_utf8_lossy(&body[..body.len().min(64 * 1024)]).into_owned();
        if text.contains(site::CLOUDFLARE_CHALLENGE_TEXT) {
            check.http = probe::failed(
                Problem::Cloudflare,
                format!("HTTP {status}: a Cloudflare challenge"),
            );
            return;
        }
        if body.len() <= 500 && text.contains(site::RESTRICTED_TEXT) {
            check.http = probe::failed(
                Problem::RegionBlock,
                "the region block (\"Restricted Access!\")",
            );
            return;
        }
        if status == 429 {
            check.http = probe::failed(Problem::RateLimited, "HTTP 429: too many requests");
            return;
        }
        match check.role {
            Role::Api => {
                if status != 200 {
                    check.http =
                        probe::failed(Problem::Http, format!("/setting answered HTTP {status}"));
                    return;
                }
                match crate::api::envelope::decode(&text, ts, url) {
                    Ok(crate::api::envelope::Payload::Data(v)) => {
                        check.announced_version =
                            crate::api::wire::text(&v, "jm3_version").filter(|s| !s.is_empty());
                        check.http = Step::Ok {
                            value: match &check.announced_version {
                                Some(v) => format!("/setting answers (app version {v})"),
                                None => "/setting answers".to_owned(),
                            },
                            ms,
                        };
                    }
                    Ok(_) => {
                        check.http = Step::Ok {
                            value: "/setting answers (no data)".to_owned(),
                            ms,
                        };
                    }
                    Err(crate::Error::Rejected { message, .. }) => {
                        check.http = probe::failed(
                            Problem::NotLegal,
                            format!("the API rejects the request: {message}"),
                        );
                    }
                    Err(e) => {
                        check.http = probe::failed(
                            Problem::BadAnswer,
                            crate::transport::truncate(&e.to_string(), 200),
                        );
                    }
                }
            }
            Role::Cdn => {
                let image = body.starts_with(&[0xff, 0xd8])
                    || body.starts_with(b"\x89PNG")
                    || body.starts_with(b"RIFF")
                    || body.starts_with(b"GIF8");
                check.http = match status {
                    200 if image => Step::Ok {
                        value: format!("an image ({} bytes)", body.len()),
                        ms,
                    },
                    200 => probe::failed(Problem::BadAnswer, "HTTP 200, but not an image"),
                    // The host answers; only this cover is missing there.
                    404 => Step::Ok {
                        value: "answers (HTTP 404 for the test cover)".to_owned(),
                        ms,
                    },
                    s => probe::failed(Problem::Http, format!("HTTP {s}")),
                };
            }
            Role::Web => {
                check.http = if (200..400).contains(&status) {
                    Step::Ok {
                        value: format!("HTTP {status}"),
                        ms,
                    }
                } else {
                    probe::failed(Problem::Http, format!("HTTP {status}"))
                };
            }
        }
    }
}

/// Why the system's answer for `host` looks poisoned, if it does: an address in a reserved
/// range that DNS over HTTPS does not confirm, or an answer sharing no address with DoH's.
fn suspect(
    literal: bool,
    host: &str,
    system: &Step<Vec<IpAddr>>,
    doh: &Step<Vec<IpAddr>>,
) -> Option<String> {
    if literal || host.eq_ignore_ascii_case("localhost") {
        return None;
    }
    let sys = system.value()?;
    let show = |ips: &[IpAddr]| {
        ips.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(d) = doh.value() {
        if !sys.iter().any(|ip| d.contains(ip)) {
            return Some(format!(
                "the system resolver says {}, DNS over HTTPS says {}",
                show(sys),
                show(d)
            ));
        }
        return None;
    }
    let reserved: Vec<IpAddr> = sys
        .iter()
        .copied()
        .filter(|ip| probe::is_reserved(*ip))
        .collect();
    (!reserved.is_empty()).then(|| {
        format!(
            "the system resolver answers {} (a reserved range) and DNS over HTTPS could not confirm it",
            show(&reserved)
        )
    })
}

/// The verdict of a finished row.
fn finish(mut c: DomainCheck) -> DomainCheck {
    c.verdict = if !c.http.is_ok() {
        Verdict::Fail
    } else if c.dns_suspect.is_some() {
        Verdict::Warn
    } else {
        Verdict::Ok
    };
    c
}

fn role_name(r: Role) -> &'static str {
    match r {
        Role::Api => "API",
        Role::Cdn => "image",
        Role::Web => "web",
    }
}

/// The diagnosis sentences, most important first, and whether a download would work.
fn diagnose(checks: &[DomainCheck], app_version: &str, o: &DoctorOptions) -> (Vec<String>, bool) {
    let mut out = Vec::new();
    let works_role = |r: Role| checks.iter().any(|c| c.role == r && c.http.is_ok());
    let site_role = if checks.iter().any(|c| c.role == Role::Web) {
        Role::Web
    } else {
        Role::Api
    };
    let works = works_role(site_role) && works_role(Role::Cdn);
    // DNS poisoning: answers DNS over HTTPS contradicts, or reserved ones it could not
    // confirm.
    let compared = checks
        .iter()
        .filter(|c| c.dns_system.is_ok() && c.dns_doh.is_ok())
        .count();
    let suspects: Vec<&DomainCheck> = checks.iter().filter(|c| c.dns_suspect.is_some()).collect();
    let contradicted = suspects.iter().filter(|c| c.dns_doh.is_ok()).count();
    if !suspects.is_empty() {
        let mut addrs: Vec<String> = suspects
            .iter()
            .filter_map(|c| c.dns_system.value())
            .flatten()
            .map(ToString::to_string)
            .collect();
        addrs.sort();
        addrs.dedup();
        if contradicted == suspects.len() && contradicted == compared && compared > 1 {
            out.push(format!(
                "DNS answers for every domain point at {} while DNS over HTTPS gives other addresses: set `client.dns: doh`",
                addrs.join(", ")
            ));
        } else {
            let list: Vec<&str> = suspects.iter().map(|c| c.domain.as_str()).collect();
            out.push(format!(
                "the DNS answers for {} look poisoned ({}): set `client.dns: doh`",
                list.join(", "),
                suspects[0].dns_suspect.as_deref().unwrap_or_default()
            ));
        }
    }
    if let Some(c) = checks.iter().find(|c| c.dns_doh.problem().is_some())
        && !checks.iter().any(|c| c.dns_doh.is_ok())
        && let Step::Failed { detail, .. } = &c.dns_doh
    {
        out.push(format!(
            "DNS over HTTPS could not be reached ({detail}), so the system's DNS answers could not be checked"
        ));
    }

    // TLS resets: the network blocks the site by name.
    let tls_tried: Vec<&DomainCheck> = checks
        .iter()
        .filter(|c| !matches!(c.tls, Step::Skipped { .. }))
        .collect();
    let resets = tls_tried
        .iter()
        .filter(|c| c.tls.problem() == Some(Problem::Reset))
        .count();
    if resets > 0 && resets == tls_tried.len() {
        out.push(
            "every domain resets during the TLS handshake: the network blocks the site by name; use a proxy (`client.postman.meta_data.proxies`)"
                .to_owned(),
        );
    } else if resets > 0 {
        let list: Vec<&str> = tls_tried
            .iter()
            .filter(|c| c.tls.problem() == Some(Problem::Reset))
            .map(|c| c.domain.as_str())
            .collect();
        out.push(format!(
            "{} reset{} during the TLS handshake (blocked by name on this network); the others are used",
            list.join(", "),
            if list.len() == 1 { "s" } else { "" }
        ));
    }
    if checks
        .iter()
        .any(|c| c.tls.problem() == Some(Problem::Certificate))
    {
        out.push("a TLS certificate was refused: something on the network intercepts HTTPS, or the clock is wrong; check the clock, or use a proxy".to_owned());
    }

    // The stale app version.
    if checks
        .iter()
        .any(|c| c.http.problem() == Some(Problem::NotLegal))
    {
        let announced = checks.iter().find_map(|c| c.announced_version.clone());
        out.push(match announced {
            Some(v) => format!(
                "the API rejects app version {app_version} (\"Not legal\"); the site announces {v}: set `client.app_version: {v}`"
            ),
            None => format!(
                "the API rejects app version {app_version} (\"Not legal\"): set a newer `client.app_version` (the app's current version)"
            ),
        });
    } else if let Some(v) = checks.iter().find_map(|c| c.announced_version.clone())
        && crate::session::version_newer(&v, app_version)
    {
        out.push(format!(
            "the site announces app version {v}, newer than {app_version}: it is adopted automatically; `client.app_version: {v}` saves a request"
        ));
    }

    // Rate limits, blocks.
    if checks
        .iter()
        .any(|c| c.http.problem() == Some(Problem::RateLimited))
    {
        out.push("the site limits requests (HTTP 429): slow down with `client.rate_limit: {requests: 2, seconds: 1}`".to_owned());
    }
    if checks
        .iter()
        .any(|c| c.http.problem() == Some(Problem::Cloudflare))
    {
        out.push("a Cloudflare challenge answers instead of the site: try another domain, a proxy, or `client.impl: api`".to_owned());
    }
    if checks
        .iter()
        .any(|c| c.http.problem() == Some(Problem::RegionBlock))
    {
        out.push("the site refuses this IP's region (\"Restricted Access!\"): use a proxy in another region".to_owned());
    }

    // No name resolves at all, by either way: no network (or no DNS), not dead domains.
    let named: Vec<&DomainCheck> = checks
        .iter()
        .filter(|c| !matches!(c.dns_doh, Step::Skipped { .. }))
        .collect();
    let unresolved = !named.is_empty()
        && named
            .iter()
            .all(|c| c.dns_system.problem().is_some() && c.dns_doh.problem().is_some());
    if unresolved {
        // The one thing to say first; that DoH failed too is part of it.
        out.retain(|l| !l.starts_with("DNS over HTTPS could not be reached"));
        out.insert(
            0,
            "no domain's name resolves, neither through the system's DNS nor through DNS over HTTPS: this machine seems to have no working network or DNS; check the connection (or the proxy)"
                .to_owned(),
        );
    }

    // Dead domains, per role.
    for role in [Role::Api, Role::Web, Role::Cdn] {
        if unresolved {
            break;
        }
        let of_role: Vec<&DomainCheck> = checks.iter().filter(|c| c.role == role).collect();
        if of_role.is_empty() {
            continue;
        }
        let dead: Vec<&DomainCheck> = of_role
            .iter()
            .copied()
            .filter(|c| {
                !c.http.is_ok()
                    && c.dns_suspect.is_none()
                    && c.tls.problem() != Some(Problem::Reset)
            })
            .filter(|c| c.tcp.problem().is_some() || c.dns_system.problem().is_some())
            .collect();
        if dead.is_empty() {
            continue;
        }
        let list: Vec<&str> = dead.iter().map(|c| c.domain.as_str()).collect();
        if dead.len() == of_role.len() {
            out.push(format!(
                "no {} domain can be reached ({}): they may be dead; set working ones in `client.{}`",
                role_name(role),
                list.join(", "),
                if role == Role::Cdn { "image_domain" } else { "domain" }
            ));
        } else {
            out.push(format!(
                "{} of {} {} domains are dead ({}); the others work and are used",
                dead.len(),
                of_role.len(),
                role_name(role),
                list.join(", ")
            ));
        }
    }

    // The clock.
    let offsets: Vec<i64> = checks.iter().filter_map(|c| c.clock_offset_s).collect();
    if !offsets.is_empty() {
        let mut sorted = offsets.clone();
        sorted.sort_unstable();
        let median = sorted[sorted.len() / 2];
        if median.unsigned_abs() > o.clock_tolerance.as_secs() {
            let minutes = median.unsigned_abs().div_ceil(60);
            out.push(format!(
                "the clock is {minutes} minute{} {} (the servers' `Date`): set the system clock",
                if minutes == 1 { "" } else { "s" },
                if median > 0 { "behind" } else { "ahead" }
            ));
        }
    }

    if out.is_empty() {
        out.push(if works {
            "all domains fine".to_owned()
        } else {
            "the site cannot be used from here, for no reason found; run with -v and look at the failing steps above".to_owned()
        });
    } else if works && checks.iter().all(|c| c.verdict == Verdict::Ok) {
        out.push("all domains fine".to_owned());
    }
    (out, works)
}

impl ClientBuilder {
    /// An HTTP client with these settings for the doctor's requests.
    fn doctor_http_client(&self) -> crate::Result<reqwest::Client> {
        self.http_client_for_doctor(None)
    }

    /// The same, sending every request for `host` to `addr` (the address the system gave,
    /// so the HTTP step checks what the other steps checked). With a proxy, the proxy
    /// resolves: no override.
    fn doctor_http_client_resolving(
        &self,
        host: &str,
        addr: SocketAddr,
    ) -> crate::Result<reqwest::Client> {
        if matches!(self.proxy_setting(), Proxy::Url(_)) {
            return self.doctor_http_client();
        }
        self.http_client_for_doctor(Some((host, addr)))
    }
}
