//! What every request goes through, whatever the protocol: the HTTP client, the domain pools,
//! the one retry engine over them, the pacing of requests per host, bounded bodies, and the
//! checks of statuses and of the site's error pages.
//!
//! Protocols build their requests (URL, headers, signing) and read the answers; this module
//! sends them and says whether an answer is worth reading.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use reqwest::header::HeaderMap;
use tracing::info;

use crate::domain::{Domain, DomainPool};
use crate::error::{Attempt, Error, Result};
use crate::memory::DomainRefresh;
use crate::retry::{RetryPolicy, Verdict, classify};
use crate::session::SessionStore;
use crate::site;

/// The shared machinery of a client: one per [`crate::Client`], shared by its protocol and
/// the CDN.
pub(crate) struct Transport {
    http: reqwest::Client,
    /// The same client, but never following redirects: for the requests whose answer is
    /// the redirect itself (the web login's cookies, the permanent link's `Location`).
    // Spec §6.3.1, §6.3.3.
    http_no_redirect: reqwest::Client,
    /// The API domains; replaced as a whole by a domain refresh, so readers take a snapshot.
    api: RwLock<Arc<DomainPool>>,
    /// The API domain to start from (one that worked in an earlier run), kept across a
    /// domain refresh.
    preferred_api: Option<Domain>,
    /// What this client's domain refresh found, to be kept for later runs.
    refreshed: Mutex<Option<DomainRefresh>>,
    /// The image hosts; replaced as a whole when a web page names its CDN host.
    images: RwLock<Arc<DomainPool>>,
    /// Waits before requests so that no host gets more than its rate limit.
    pacer: Pacer,
    /// Retries, timeouts, body limits.
    pub(crate) limits: Limits,
    /// Configured headers; they replace the defaults of the same name.
    user_headers: HeaderMap,
    /// Cookies, app version, account.
    pub(crate) session: SessionStore,
}

/// How long and how often a request may try, and how much it may read.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// Rounds over the domains and waits in between.
    pub(crate) retry: RetryPolicy,
    /// Longest time of one API (or page) request, body included.
    pub(crate) timeout: Duration,
    /// Longest time of one image request.
    pub(crate) image_timeout: Duration,
    /// Largest API (or page) response accepted.
    pub(crate) max_body: u64,
    /// Largest image accepted.
    pub(crate) max_image_body: u64,
}

/// An answer, read in full (within the limit) but not yet judged.
pub(crate) struct Reply {
    /// The URL that answered: the request's, or where its redirects led.
    pub(crate) url: String,
    /// HTTP status.
    pub(crate) status: u16,
    /// `Retry-After`, in its delta-seconds form.
    pub(crate) retry_after: Option<Duration>,
    /// `Set-Cookie` name/value pairs.
    pub(crate) set_cookies: Vec<(String, String)>,
    /// `Location`, for a redirect the client did not follow.
    pub(crate) location: Option<String>,
    /// The body.
    pub(crate) body: Bytes,
}

/// The domains a [`Transport`] starts with, each with the one to try first.
pub(crate) struct StartDomains {
    pub(crate) api: Vec<Domain>,
    pub(crate) preferred_api: Option<Domain>,
    pub(crate) images: Vec<Domain>,
    pub(crate) preferred_image: Option<Domain>,
}

/// Which kind of host a request goes to: hosts are paced per role, as the API and the CDN
/// may have limits of their own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Role {
    /// The API or web domains, and what finds them (domain servers, discovery URLs).
    Api,
    /// The image CDN.
    Cdn,
}

/// A rate limit per host: at most `requests` requests in any `per`.
///
/// Requests are spread evenly, one every `per / requests`, rather than let through in a
/// burst and then held back: that way no window of length `per` ever holds more than
/// `requests` of them, whichever way a site counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimit {
    /// Requests allowed per `per` (at least 1).
    pub requests: u32,
    /// The period (more than zero).
    pub per: Duration,
}

impl RateLimit {
    /// At most `requests` requests per `per` to each host.
    pub fn new(requests: u32, per: Duration) -> Self {
        Self { requests, per }
    }

    /// The time between two requests to one host.
    fn interval(self) -> Result<Duration> {
        if self.requests == 0 || self.per.is_zero() {
            return Err(Error::Build(format!(
                "rate limit {} requests per {:?}: both must be more than zero",
                self.requests, self.per
            )));
        }
        Ok(self.per / self.requests)
    }
}

/// One GCRA limiter per role, keyed by `host:port`.
type HostLimiter = governor::DefaultKeyedRateLimiter<String>;

/// Paces requests per host and role (see [`Pacer::try_acquire`]). Without limits every
/// request goes at once.
///
/// One pacer per client: every task of a process sharing the client (the download
/// pipeline's albums, chapters and images) shares its limits.
pub(crate) struct Pacer {
    api: Option<HostLimiter>,
    cdn: Option<HostLimiter>,
}

impl std::fmt::Debug for Pacer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pacer")
            .field("api", &self.api.is_some())
            .field("cdn", &self.cdn.is_some())
            .finish()
    }
}

impl Pacer {
    /// A pacer with these limits per API (and web) host and per CDN host.
    pub(crate) fn new(api: Option<RateLimit>, cdn: Option<RateLimit>) -> Result<Self> {
        let limiter = |limit: Option<RateLimit>| -> Result<Option<HostLimiter>> {
            let Some(limit) = limit else { return Ok(None) };
            let interval = limit.interval()?;
            // Burst 1 (the default of a quota made from a period): evenly spread requests.
            let quota = governor::Quota::with_period(interval)
                .ok_or_else(|| Error::Build(format!("rate limit: interval {interval:?}")))?;
            Ok(Some(governor::RateLimiter::keyed(quota)))
        };
        Ok(Self {
            api: limiter(api)?,
            cdn: limiter(cdn)?,
        })
    }

    /// Takes the right to send one request to `host` (`host:port`) now; when the host's
    /// limit does not allow one yet, how long to wait before asking again.
    pub(crate) fn try_acquire(&self, role: Role, host: &str) -> Option<Duration> {
        use governor::clock::Clock as _;
        let limiter = match role {
            Role::Api => self.api.as_ref(),
            Role::Cdn => self.cdn.as_ref(),
        }?;
        match limiter.check_key(&host.to_owned()) {
            Ok(()) => None,
            Err(not_until) => Some(not_until.wait_time_from(limiter.clock().now())),
        }
    }

    /// Waits until a request to `url` may go.
    async fn wait(&self, role: Role, url: &reqwest::Url) {
        let host = format!(
            "{}:{}",
            url.host_str().unwrap_or_default(),
            url.port_or_known_default().unwrap_or_default()
        );
        while let Some(wait) = self.try_acquire(role, &host) {
            tokio::time::sleep(wait).await;
        }
    }
}

impl Transport {
    pub(crate) fn new(
        (http, http_no_redirect): (reqwest::Client, reqwest::Client),
        domains: StartDomains,
        limits: Limits,
        user_headers: HeaderMap,
        session: SessionStore,
        pacer: Pacer,
    ) -> Self {
        let StartDomains {
            api,
            preferred_api,
            images,
            preferred_image,
        } = domains;
        Self {
            http,
            http_no_redirect,
            api: RwLock::new(Arc::new(DomainPool::starting_at(
                api,
                preferred_api.as_ref(),
            ))),
            preferred_api,
            refreshed: Mutex::new(None),
            images: RwLock::new(Arc::new(DomainPool::starting_at(
                images,
                preferred_image.as_ref(),
            ))),
            pacer,
            limits,
            user_headers,
            session,
        }
    }

    /// The HTTP client, to build requests with.
    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The HTTP client that returns redirects instead of following them.
    pub(crate) fn http_no_redirect(&self) -> &reqwest::Client {
        &self.http_no_redirect
    }

    /// The API domains as they are now.
    pub(crate) fn api_pool(&self) -> Arc<DomainPool> {
        Arc::clone(&self.api.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Replaces the API domains (a domain refresh, which `refresh` records); requests under
    /// way keep their snapshot. The preferred domain stays first when the new list has it.
    pub(crate) fn set_api_domains(&self, domains: Vec<Domain>, refresh: DomainRefresh) {
        let pool = Arc::new(DomainPool::starting_at(
            domains,
            self.preferred_api.as_ref(),
        ));
        *self.api.write().unwrap_or_else(PoisonError::into_inner) = pool;
        *self
            .refreshed
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(refresh);
    }

    /// What this client's domain refresh found, if it made one.
    pub(crate) fn refreshed(&self) -> Option<DomainRefresh> {
        self.refreshed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The image CDN hosts as they are now.
    pub(crate) fn images(&self) -> Arc<DomainPool> {
        Arc::clone(&self.images.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Puts `domain` first among the image hosts (the web pages name the CDN host their
    /// images come from); nothing changes when it is first already.
    pub(crate) fn prefer_image_domain(&self, domain: &Domain) {
        let mut images = self.images.write().unwrap_or_else(PoisonError::into_inner);
        if images.domains().first() == Some(domain) {
            return;
        }
        let mut list = vec![domain.clone()];
        list.extend(images.domains().iter().filter(|d| *d != domain).cloned());
        *images = Arc::new(DomainPool::new(list));
    }

    /// Adds the configured headers, replacing defaults of the same name.
    pub(crate) fn add_user_headers(&self, h: &mut HeaderMap) {
        for (k, v) in &self.user_headers {
            h.insert(k.clone(), v.clone());
        }
    }

    /// Adds the session's `Cookie` header, if there are cookies.
    pub(crate) fn add_cookies(&self, h: &mut HeaderMap) {
        if let Some(v) = self.session.cookie_header() {
            h.insert(reqwest::header::COOKIE, v);
        }
    }

    /// Sends one request to a host of `role` and reads its answer, at most `limit` bytes of
    /// body, after waiting for the host's rate limit. `url` names the request in errors.
    pub(crate) async fn send(
        &self,
        role: Role,
        request: reqwest::RequestBuilder,
        url: &str,
        limit: u64,
    ) -> Result<Reply> {
        let transport = |source| Error::Transport {
            url: url.to_owned(),
            source,
        };
        let (http, request) = request.build_split();
        let request = request.map_err(transport)?;
        self.pacer.wait(role, request.url()).await;
        let resp = http.execute(request).await.map_err(transport)?;
        let status = resp.status().as_u16();
        let final_url = resp.url().to_string();
        let retry_after = retry_after(resp.headers());
        let set_cookies = set_cookies(resp.headers());
        let location = resp
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = read_body(resp, url, limit).await?;
        Ok(Reply {
            url: final_url,
            location,
            status,
            retry_after,
            set_cookies,
            body,
        })
    }

    /// Runs `attempt` over the pool's domains, round after round (see [`RetryPolicy`]):
    /// a failing domain hands over to the next at once; waiting happens only between rounds.
    /// This is the client's one retry engine: every protocol and the CDN go through it.
    pub(crate) async fn with_domains<T, F, Fut>(
        &self,
        pool: &DomainPool,
        what: &str,
        mut attempt: F,
    ) -> Result<T>
    where
        F: FnMut(Domain) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        const MAX_RECORDED: usize = 64;
        let policy = self.limits.retry;
        let mut attempts: Vec<Attempt> = Vec::new();
        let mut last: Option<Error> = None;
        if pool.len() == 0 {
            return Err(Error::InvalidDomain {
                domain: String::new(),
                reason: "no domains configured".to_owned(),
            });
        }
        for round in 0..=policy.retry_times {
            let mut wait_hint: Option<Duration> = None;
            for index in pool.order() {
                let Some(domain) = pool.get(index).cloned() else {
                    continue;
                };
                match attempt(domain.clone()).await {
                    Ok(v) => {
                        pool.mark_good(index);
                        return Ok(v);
                    }
                    Err(e) => {
                        let verdict = classify(&e);
                        if verdict == Verdict::Fatal {
                            return Err(e);
                        }
                        // Retries are routine (the summary reports what finally failed), so
                        // they are shown with -v only.
                        info!(target: "jmcomic_client::retry", domain = %domain, round, error = %e, "request failed, trying the next domain");
                        if let Verdict::Wait(d) = verdict {
                            wait_hint = Some(wait_hint.map_or(d, |w| w.max(d)));
                        }
                        if attempts.len() >= MAX_RECORDED {
                            attempts.remove(0);
                        }
                        attempts.push(Attempt {
                            domain: domain.to_string(),
                            error: e.to_string(),
                            status: match &e {
                                Error::Status { status, .. } => Some(*status),
                                Error::Blocked { status, .. } => Some(*status),
                                _ => None,
                            },
                        });
                        last = Some(e);
                    }
                }
            }
            if round < policy.retry_times {
                let wait = policy.backoff(
                    round,
                    wait_hint.or(last.as_ref().and_then(Error::retry_after)),
                );
                // One line per round (shown without a terminal, and at -v): a long retry
                // loop is not silent.
                info!(
                    target: "jmcomic_client::retry",
                    "{what}: every domain failed (round {} of {}); trying again in {:.1}s",
                    round + 1,
                    policy.retry_times + 1,
                    wait.as_secs_f64()
                );
                tokio::time::sleep(wait).await;
            }
        }
        Err(Error::AllDomainsFailed {
            what: what.to_owned(),
            domains: pool.domains().iter().map(ToString::to_string).collect(),
            attempts,
            last: Box::new(last.unwrap_or_else(|| Error::BadResponse {
                url: what.to_owned(),
                reason: "no attempt was made".to_owned(),
            })),
        })
    }
}

/// At most `max_chars` characters of `text`, with `…` when cut (bodies quoted in errors and
/// logs).
pub(crate) fn truncate(text: &str, max_chars: usize) -> String {
    let mut out: String = text.chars().take(max_chars).collect();
    if text.chars().count() > max_chars {
        out.push('…');
    }
    out
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    // Only the delta-seconds form; an HTTP date is rare and then the backoff applies.
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

fn set_cookies(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|c| {
            let pair = c.split(';').next()?;
            let (k, v) = pair.split_once('=')?;
            let k = k.trim();
            (!k.is_empty()).then(|| (k.to_owned(), v.trim().to_owned()))
        })
        .collect()
}

/// Reads a body, refusing to hold more than `limit` bytes (a hostile or broken server cannot
/// make the client allocate without bound).
async fn read_body(mut resp: reqwest::Response, url: &str, limit: u64) -> Result<Bytes> {
    if resp.content_length().is_some_and(|n| n > limit) {
        return Err(Error::TooLarge {
            url: url.to_owned(),
            limit,
        });
    }
    let capacity = resp.content_length().unwrap_or(0).min(limit) as usize;
    let mut buf = BytesMut::with_capacity(capacity);
    while let Some(chunk) = resp.chunk().await.map_err(|e| Error::Transport {
        url: url.to_owned(),
        source: e,
    })? {
        if (buf.len() + chunk.len()) as u64 > limit {
            return Err(Error::TooLarge {
                url: url.to_owned(),
                limit,
            });
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// Turns HTTP statuses into errors. `signature_sensitive`: a 403 there is the server's
/// answer to the signature, not to the domain.
// Spec §6.2.8, §6.3.4.
pub(crate) fn check_status(reply: &Reply, url: &str, signature_sensitive: bool) -> Result<()> {
    let status = reply.status;
    if (200..300).contains(&status) {
        return Ok(());
    }
    if status == 403 {
        let body = &reply.body;
        let text = String::from_utf8_lossy(&body[..body.len().min(4096)]);
        if text.contains(site::CLOUDFLARE_CHALLENGE_TEXT) {
            return Err(Error::Blocked {
                url: url.to_owned(),
                status,
                reason: "Cloudflare challenge (\"Just a moment...\"): this IP or client is flagged; try another domain or a proxy".to_owned(),
            });
        }
        if signature_sensitive {
            // The chapter template answers 403 to a signature made with the wrong secret
            // (spec §6.2.2): a definite answer about the secret, not about the domain.
            return Err(Error::Rejected {
                url: url.to_owned(),
                message: "HTTP 403 for this signature".to_owned(),
            });
        }
        return Err(Error::Blocked {
            url: url.to_owned(),
            status,
            reason: "forbidden: this IP's region is blocked or the client was taken for a crawler; try another domain or a proxy".to_owned(),
        });
    }
    Err(Error::Status {
        url: url.to_owned(),
        status,
        retry_after: reply.retry_after,
    })
}

/// The site's own error pages sent with HTTP 200: only short bodies are checked, as the
/// Python package does, so real content mentioning the words is safe.
// Spec §6.3.4.
pub(crate) fn check_error_pages(text: &str, url: &str) -> Result<()> {
    if text.len() > 500 {
        return Ok(());
    }
    if text.contains(site::MYSQL_ERROR_TEXT) {
        return Err(Error::BadResponse {
            url: url.to_owned(),
            reason: "the site's database is unreachable (\"Could not connect to mysql\")"
                .to_owned(),
        });
    }
    if text.contains(site::RESTRICTED_TEXT) {
        return Err(Error::Blocked {
            url: url.to_owned(),
            status: 200,
            reason: "the site refuses this IP's region (\"Restricted Access!\"); try another domain or a proxy".to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn cookies_and_retry_after() {
        let mut h = HeaderMap::new();
        h.append("set-cookie", HeaderValue::from_static("ipm5=abc; Path=/"));
        h.append("set-cookie", HeaderValue::from_static("x=1"));
        h.append("set-cookie", HeaderValue::from_static("=bad"));
        assert_eq!(
            set_cookies(&h),
            [
                ("ipm5".to_owned(), "abc".to_owned()),
                ("x".to_owned(), "1".to_owned())
            ]
        );
        h.insert("retry-after", HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
    }

    #[test]
    fn pacer_spreads_requests_per_host_and_role() {
        let second = Duration::from_secs(1);
        let pacer = Pacer::new(Some(RateLimit::new(2, second)), None).unwrap();
        assert_eq!(pacer.try_acquire(Role::Api, "a:443"), None);
        let wait = pacer.try_acquire(Role::Api, "a:443").expect("held back");
        assert!(wait > Duration::from_millis(400) && wait <= Duration::from_millis(500));
        // Another host has its own budget; the CDN has no limit.
        assert_eq!(pacer.try_acquire(Role::Api, "b:443"), None);
        for _ in 0..10 {
            assert_eq!(pacer.try_acquire(Role::Cdn, "a:443"), None);
        }
        for bad in [RateLimit::new(0, second), RateLimit::new(1, Duration::ZERO)] {
            let e = Pacer::new(None, Some(bad)).unwrap_err();
            assert!(e.to_string().contains("more than zero"), "{e}");
        }
    }

    #[test]
    fn error_pages() {
        assert!(
            check_error_pages(site::MYSQL_ERROR_TEXT, "u")
                .unwrap_err()
                .is_transient()
        );
        assert!(
            check_error_pages("Restricted Access!", "u")
                .unwrap_err()
                .is_blocked()
        );
        let long = format!("{}{}", "x".repeat(600), site::MYSQL_ERROR_TEXT);
        assert!(check_error_pages(&long, "u").is_ok());
    }
}
