//! Setting up a [`Client`]: every knob, with the site's defaults, and the redaction of
//! secrets in `Debug` output.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use tracing::{debug, warn};

use crate::api::{ApiProtocol, ApiSettings};
use crate::client::{Client, Inner};
use crate::dns::{DnsMode, DohResolver};
use crate::domain::Domain;
use crate::error::{Error, Result};
use crate::html::{HtmlProtocol, HtmlSettings};
use crate::memory::DomainMemory;
use crate::protocol::{Protocol, ProtocolKind};
use crate::retry::RetryPolicy;
use crate::session::SessionStore;
use crate::site::{self, TemplateSecret};
use crate::transport::{Limits, Pacer, RateLimit, StartDomains, Transport};

/// How requests reach the network.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum Proxy {
    /// The system's proxy settings (environment variables `HTTPS_PROXY` and friends), like
    /// the Python package's default `proxies: system`.
    #[default]
    System,
    /// No proxy at all.
    None,
    /// This proxy for every request: `http://host:port`, `socks5://host:port`, or
    /// `host:port` (HTTP).
    Url(String),
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Proxy::System => f.write_str("System"),
            Proxy::None => f.write_str("None"),
            Proxy::Url(u) => write!(f, "Url({})", redact_userinfo(u)),
        }
    }
}

/// Builds a [`Client`]. Every fact about the site has a default from [`crate::site`].
///
/// Its `Debug` output hides cookie and credential values.
#[derive(Clone)]
pub struct ClientBuilder {
    api_domains: Vec<String>,
    image_domains: Vec<String>,
    domain_server_urls: Vec<String>,
    update_domains: bool,
    html_domains: Vec<String>,
    html_discovery_urls: Vec<String>,
    retry: RetryPolicy,
    timeout: Duration,
    image_timeout: Duration,
    connect_timeout: Duration,
    read_timeout: Duration,
    proxy: Proxy,
    cookies: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    app_version: String,
    adopt_site_version: bool,
    template_secret: TemplateSecret,
    protocol: ProtocolKind,
    require_cookies: bool,
    accept_invalid_certs: bool,
    max_api_body: u64,
    max_image_body: u64,
    pub(crate) memory: DomainMemory,
    refresh_lifetime: Duration,
    rate_limit: Option<RateLimit>,
    api_rate_limit: Option<RateLimit>,
    image_rate_limit: Option<RateLimit>,
    dns: DnsMode,
}

/// How long a domain-server answer kept from an earlier run is used instead of asking again
/// (see [`ClientBuilder::domain_refresh_lifetime`]): a day, so that a user running the
/// program many times a day asks the domain servers once, while a list that went stale is
/// not kept for long (and a dead domain in it only costs one failed attempt).
pub const DEFAULT_DOMAIN_REFRESH_LIFETIME: Duration = Duration::from_secs(24 * 3600);

impl Default for ClientBuilder {
    fn default() -> Self {
        Self::new()
    }
}

/// Shown instead of a secret.
const REDACTED: &str = "***";

/// Names of headers whose values are credentials.
fn is_secret_header(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "cookie" | "authorization" | "proxy-authorization" | "token" | "tokenparam"
    )
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cookies: Vec<(&str, &str)> = self
            .cookies
            .iter()
            .map(|(k, _)| (k.as_str(), REDACTED))
            .collect();
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str(),
                    if is_secret_header(k) {
                        REDACTED
                    } else {
                        v.as_str()
                    },
                )
            })
            .collect();
        let proxy = match &self.proxy {
            Proxy::Url(u) => format!("Url({})", redact_userinfo(u)),
            other => format!("{other:?}"),
        };
        f.debug_struct("ClientBuilder")
            .field("api_domains", &self.api_domains)
            .field("image_domains", &self.image_domains)
            .field("domain_server_urls", &self.domain_server_urls)
            .field("update_domains", &self.update_domains)
            .field("html_domains", &self.html_domains)
            .field("html_discovery_urls", &self.html_discovery_urls)
            .field("retry", &self.retry)
            .field("timeout", &self.timeout)
            .field("proxy", &proxy)
            .field("cookies", &cookies)
            .field("headers", &headers)
            .field("app_version", &self.app_version)
            .field("template_secret", &self.template_secret)
            .field("protocol", &self.protocol)
            .field("require_cookies", &self.require_cookies)
            .field("accept_invalid_certs", &self.accept_invalid_certs)
            .field("domain_memory", &self.memory)
            .field("rate_limit", &self.rate_limit)
            .field("api_rate_limit", &self.api_rate_limit)
            .field("image_rate_limit", &self.image_rate_limit)
            .field("dns", &self.dns)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// A builder with the real site's defaults.
    pub fn new() -> Self {
        Self {
            api_domains: Vec::new(),
            image_domains: Vec::new(),
            domain_server_urls: site::DOMAIN_SERVER_URLS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            update_domains: true,
            html_domains: Vec::new(),
            html_discovery_urls: site::HTML_DISCOVERY_URLS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            retry: RetryPolicy::default(),
            timeout: site::DEFAULT_TIMEOUT,
            image_timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(20),
            proxy: Proxy::System,
            cookies: Vec::new(),
            headers: Vec::new(),
            app_version: site::APP_VERSION.to_owned(),
            adopt_site_version: true,
            template_secret: TemplateSecret::default(),
            protocol: ProtocolKind::Api,
            require_cookies: true,
            accept_invalid_certs: false,
            max_api_body: 16 << 20,
            max_image_body: 32 << 20,
            memory: DomainMemory::default(),
            refresh_lifetime: DEFAULT_DOMAIN_REFRESH_LIFETIME,
            rate_limit: None,
            api_rate_limit: None,
            image_rate_limit: None,
            dns: DnsMode::System,
        }
    }

    /// API domains to use, in order. Empty (the default) means the built-in list, refreshed
    /// from the domain servers; configured domains are used as given and the domain servers
    /// are not asked (as in the Python package). Entries may carry a scheme and port.
    // Spec §6.2.7.
    pub fn api_domains<S: Into<String>>(mut self, domains: impl IntoIterator<Item = S>) -> Self {
        self.api_domains = domains.into_iter().map(Into::into).collect();
        self
    }

    /// Image CDN hosts to use, in order. Empty means the built-in list.
    pub fn image_domains<S: Into<String>>(mut self, domains: impl IntoIterator<Item = S>) -> Self {
        self.image_domains = domains.into_iter().map(Into::into).collect();
        self
    }

    /// URLs of the encrypted files listing current API domains.
    pub fn domain_server_urls<S: Into<String>>(
        mut self,
        urls: impl IntoIterator<Item = S>,
    ) -> Self {
        self.domain_server_urls = urls.into_iter().map(Into::into).collect();
        self
    }

    /// Whether to ask the domain servers for API domains when none are configured
    /// (default true).
    pub fn update_domains(mut self, yes: bool) -> Self {
        self.update_domains = yes;
        self
    }

    /// Web-site domains to use, in order, with the web protocol ([`ProtocolKind::Html`]).
    /// Empty (the default) means: find them through the discovery URLs before the first
    /// request (see [`ClientBuilder::html_discovery_urls`]). Entries may carry a scheme and
    /// port.
    // Spec §6.3.1.
    pub fn html_domains<S: Into<String>>(mut self, domains: impl IntoIterator<Item = S>) -> Self {
        self.html_domains = domains.into_iter().map(Into::into).collect();
        self
    }

    /// Where the web protocol looks up the site's current domains when none are configured
    /// (default: the permanent link [`site::HTML_PERMANENT_LINK_URL`], then the publish page
    /// [`site::HTML_PUBLISH_URL`]). Each URL may redirect to a domain or list domains on a
    /// page. When none answers (or the list is empty), the built-in [`site::HTML_DOMAINS`]
    /// are used.
    // Spec §6.3.1.
    pub fn html_discovery_urls<S: Into<String>>(
        mut self,
        urls: impl IntoIterator<Item = S>,
    ) -> Self {
        self.html_discovery_urls = urls.into_iter().map(Into::into).collect();
        self
    }

    /// Retry rounds and waits.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Shorthand for the `retry_times` of [`RetryPolicy`] (the option `client.retry_times`).
    pub fn retry_times(mut self, n: u32) -> Self {
        self.retry.retry_times = n;
        self
    }

    /// Longest time one API request may take, body included (default 30 s).
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }

    /// Longest time one image request may take (default 60 s).
    pub fn image_timeout(mut self, t: Duration) -> Self {
        self.image_timeout = t;
        self
    }

    /// Longest time to establish a connection (default 10 s).
    pub fn connect_timeout(mut self, t: Duration) -> Self {
        self.connect_timeout = t;
        self
    }

    /// Longest silence while reading a response: a body that stalls longer fails and is
    /// retried (default 20 s).
    pub fn read_timeout(mut self, t: Duration) -> Self {
        self.read_timeout = t;
        self
    }

    /// How to reach the network.
    pub fn proxy(mut self, proxy: Proxy) -> Self {
        self.proxy = proxy;
        self
    }

    /// Cookies sent with every request, e.g. the login cookie `AVS`. When set, the client
    /// does not fetch `/setting` for cookies (like the Python package) unless the site
    /// answers with its placeholder album.
    pub fn cookies<K: Into<String>, V: Into<String>>(
        mut self,
        cookies: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.cookies = cookies
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        self
    }

    /// Extra headers for every request; they replace the app's defaults of the same name
    /// (but never `token`/`tokenparam`).
    pub fn headers<K: Into<String>, V: Into<String>>(
        mut self,
        headers: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.headers = headers
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        self
    }

    /// The app version sent in `tokenparam` (default [`site::APP_VERSION`]).
    pub fn app_version(mut self, v: impl Into<String>) -> Self {
        self.app_version = v.into();
        self
    }

    /// Whether to switch to a newer app version announced by `/setting` (default true).
    pub fn adopt_site_version(mut self, yes: bool) -> Self {
        self.adopt_site_version = yes;
        self
    }

    /// Which secret signs the chapter template (see [`TemplateSecret`]).
    pub fn template_secret(mut self, s: TemplateSecret) -> Self {
        self.template_secret = s;
        self
    }

    /// Which of the site's protocols to speak (default [`ProtocolKind::Api`]). Whatever the
    /// protocol, requests go through the same domain rotation and retries, carry the same
    /// cookies, and images come from the same CDN.
    pub fn protocol(mut self, kind: ProtocolKind) -> Self {
        self.protocol = kind;
        self
    }

    /// Whether album and chapter requests need session cookies from `/setting` first
    /// (default true: without them the site answers every album with a placeholder album).
    // Spec §6.2.7.
    pub fn require_cookies(mut self, yes: bool) -> Self {
        self.require_cookies = yes;
        self
    }

    /// Accepts any TLS certificate. Dangerous: only for a local mirror with a self-signed
    /// certificate. Off by default; a warning is logged when on.
    pub fn danger_accept_invalid_certs(mut self, yes: bool) -> Self {
        self.accept_invalid_certs = yes;
        self
    }

    /// Largest API response accepted (default 16 MiB).
    pub fn max_api_body(mut self, bytes: u64) -> Self {
        self.max_api_body = bytes;
        self
    }

    /// Largest image accepted (default 32 MiB: real pages are a few MiB; the limit bounds
    /// memory when a server sends huge bodies to many requests at once).
    pub fn max_image_body(mut self, bytes: u64) -> Self {
        self.max_image_body = bytes;
        self
    }

    /// How host names are looked up (default [`DnsMode::System`]): with
    /// [`DnsMode::Doh`] or [`DnsMode::DohUrls`], DNS over HTTPS for every request, API,
    /// web and CDN alike, for networks whose DNS answers for the site are poisoned. The
    /// resolvers' certificates are checked like the site's (see
    /// [`ClientBuilder::danger_accept_invalid_certs`]). URLs are checked by
    /// [`ClientBuilder::build`].
    ///
    /// Through an HTTP proxy the proxy looks up the site's names itself; only the proxy's
    /// own name is looked up here, so a proxy on the local network is best named by its
    /// address when DNS over HTTPS is on (public resolvers do not know local names).
    // Issue 12 item 2.
    pub fn dns(mut self, mode: DnsMode) -> Self {
        self.dns = mode;
        self
    }

    /// Paces requests: at most `limit.requests` per `limit.per` to each host, API, web and
    /// CDN alike (`None`, the default: no pacing). For a site that bans clients asking too
    /// fast. Requests are spread evenly (see [`RateLimit`]); each host has its own budget,
    /// shared by every task using this client (and its clones). A `Retry-After` the site
    /// sends is still honoured on top.
    // Issue 12 item 3.
    pub fn rate_limit(mut self, limit: Option<RateLimit>) -> Self {
        self.rate_limit = limit;
        self
    }

    /// A rate limit for each API (or web) host, instead of [`ClientBuilder::rate_limit`]'s.
    pub fn api_rate_limit(mut self, limit: Option<RateLimit>) -> Self {
        self.api_rate_limit = limit;
        self
    }

    /// A rate limit for each image CDN host, instead of [`ClientBuilder::rate_limit`]'s.
    pub fn image_rate_limit(mut self, limit: Option<RateLimit>) -> Self {
        self.image_rate_limit = limit;
        self
    }

    /// What an earlier client learnt about the domains ([`Client::domain_memory`]): the
    /// API, image and web domains that last answered are tried first (when they are among
    /// the domains in use), and a domain-server answer younger than
    /// [`ClientBuilder::domain_refresh_lifetime`], from one of this builder's domain servers,
    /// is used instead of asking again. Anything that does not fit is ignored (with a debug
    /// line).
    pub fn domain_memory(mut self, memory: DomainMemory) -> Self {
        self.memory = memory;
        self
    }

    /// How long a kept domain-server answer is used (default
    /// [`DEFAULT_DOMAIN_REFRESH_LIFETIME`], a day).
    pub fn domain_refresh_lifetime(mut self, lifetime: Duration) -> Self {
        self.refresh_lifetime = lifetime;
        self
    }

    /// Builds the client. No network I/O happens here (unlike the Python package, whose
    /// client fetches domains and cookies when it is made): domain refresh and cookies are
    /// fetched by the first request that needs them.
    // Spec W5.
    pub fn build(self) -> Result<Client> {
        let configured_api = Domain::parse_list(&self.api_domains)?;
        let auto_domains = configured_api.is_empty();
        let mut refresh_domains = auto_domains && self.update_domains;
        let api = if auto_domains {
            match self.kept_refresh().filter(|_| refresh_domains) {
                Some(kept) => {
                    refresh_domains = false;
                    kept
                }
                None => Domain::parse_list(site::API_DOMAINS)?,
            }
        } else {
            configured_api
        };
        let image_domains_unset = self.image_domains.iter().all(|d| d.trim().is_empty());
        let images = if image_domains_unset {
            Domain::parse_list(site::IMAGE_DOMAINS)?
        } else {
            Domain::parse_list(&self.image_domains)?
        };
        let configured_html = Domain::parse_list(&self.html_domains)?;
        // A local emulator or mirror is never reached through the system proxy (which would
        // not know 127.0.0.1 as the user means it). What counts is what the protocol talks
        // to: its own domains (or the discovery URLs that will find them) and the CDN.
        let all_loopback = match self.protocol {
            ProtocolKind::Api => api.iter().chain(&images).all(Domain::is_loopback),
            ProtocolKind::Html => {
                images.iter().all(Domain::is_loopback)
                    && if configured_html.is_empty() {
                        !self.html_discovery_urls.is_empty()
                            && self.html_discovery_urls.iter().all(|u| is_loopback_url(u))
                    } else {
                        configured_html.iter().all(Domain::is_loopback)
                    }
            }
        };
        if self.accept_invalid_certs {
            warn!("TLS certificate verification is OFF: any server can pretend to be the site");
        }
        // A few hops at most: the web site redirects a chapter id to its album and failures
        // to its error pages, one hop each; on the API a redirect means a misconfigured
        // domain, and a long chain is a loop. Login and discovery use the client that
        // follows none, to read the hop itself.
        let resolver = DohResolver::new(&self.dns, self.accept_invalid_certs)?
            .map(|r| Arc::new(r) as Arc<dyn reqwest::dns::Resolve>);
        let http = self.http_client(
            reqwest::redirect::Policy::limited(3),
            all_loopback,
            resolver.clone(),
        )?;
        let http_no_redirect =
            self.http_client(reqwest::redirect::Policy::none(), all_loopback, resolver)?;
        let mut user_headers = HeaderMap::new();
        for (k, v) in &self.headers {
            let name = HeaderName::from_bytes(k.trim().as_bytes())
                .map_err(|e| Error::Build(format!("header name `{k}`: {e}")))?;
            if name == "token" || name == "tokenparam" {
                continue;
            }
            let value = HeaderValue::from_str(v.trim())
                .map_err(|e| Error::Build(format!("header `{k}`: {e}")))?;
            user_headers.insert(name, value);
        }
        let session = SessionStore::new(self.cookies.clone(), self.app_version.clone());
        let limits = Limits {
            retry: self.retry,
            timeout: self.timeout,
            image_timeout: self.image_timeout,
            max_body: self.max_api_body,
            max_image_body: self.max_image_body,
        };
        let need_session = self.require_cookies && !session.has_configured_cookies();
        let start = StartDomains {
            api,
            preferred_api: remembered(self.memory.api.as_deref(), "API"),
            images,
            preferred_image: remembered(self.memory.image.as_deref(), "image"),
        };
        let transport = Arc::new(Transport::new(
            (http, http_no_redirect),
            start,
            limits,
            user_headers,
            session,
            Pacer::new(
                self.api_rate_limit.or(self.rate_limit),
                self.image_rate_limit.or(self.rate_limit),
            )?,
        ));
        let protocol = match self.protocol {
            ProtocolKind::Api => Protocol::Api(ApiProtocol::new(
                Arc::clone(&transport),
                ApiSettings {
                    refresh_domains,
                    need_session,
                    template_secret: self.template_secret,
                    adopt_site_version: self.adopt_site_version,
                    domain_server_urls: self.domain_server_urls.clone(),
                },
            )),
            ProtocolKind::Html => Protocol::Html(HtmlProtocol::new(
                Arc::clone(&transport),
                HtmlSettings {
                    domains: configured_html,
                    discovery_urls: self.html_discovery_urls.clone(),
                    adopt_page_cdn: image_domains_unset,
                    preferred: remembered(self.memory.html.as_deref(), "web"),
                },
            )),
        };
        Ok(Client {
            inner: Arc::new(Inner {
                protocol,
                transport,
                cfg: self,
                favorites: tokio::sync::Mutex::new(()),
            }),
        })
    }
}

/// What the doctor reads of a builder.
impl ClientBuilder {
    /// The API, image and web domains configured (empty: the built-in ones apply).
    pub(crate) fn configured_domains(&self) -> (Vec<Domain>, Vec<Domain>, Vec<Domain>) {
        (
            Domain::parse_list(&self.api_domains).unwrap_or_default(),
            Domain::parse_list(&self.image_domains).unwrap_or_default(),
            Domain::parse_list(&self.html_domains).unwrap_or_default(),
        )
    }

    /// How host names are resolved.
    pub(crate) fn dns_mode(&self) -> &DnsMode {
        &self.dns
    }

    /// The protocol chosen.
    pub(crate) fn protocol_kind(&self) -> ProtocolKind {
        self.protocol
    }

    /// The domain servers asked for the API domains (none when turned off).
    pub(crate) fn domain_server_list(&self) -> Vec<String> {
        if self.update_domains {
            self.domain_server_urls.clone()
        } else {
            Vec::new()
        }
    }

    /// The app version requests start with.
    pub(crate) fn app_version_in_use(&self) -> String {
        self.app_version.clone()
    }

    /// Whether certificate checks are off.
    pub(crate) fn accepts_invalid_certs(&self) -> bool {
        self.accept_invalid_certs
    }

    /// The proxy setting.
    pub(crate) fn proxy_setting(&self) -> &Proxy {
        &self.proxy
    }

    /// The proxy in use, and where it comes from, credentials hidden.
    pub(crate) fn proxy_description(&self) -> String {
        match &self.proxy {
            Proxy::None => "none".to_owned(),
            Proxy::Url(u) => format!("{} (from the options)", redact_userinfo(u)),
            Proxy::System => {
                let found = [
                    "HTTPS_PROXY",
                    "https_proxy",
                    "ALL_PROXY",
                    "all_proxy",
                    "HTTP_PROXY",
                    "http_proxy",
                ]
                .iter()
                .find_map(|k| {
                    std::env::var(k)
                        .ok()
                        .filter(|v| !v.trim().is_empty())
                        .map(|v| (*k, v))
                });
                match found {
                    Some((k, v)) => format!("{} (from ${k})", redact_userinfo(&v)),
                    None => "none (no proxy variable set)".to_owned(),
                }
            }
        }
    }

    /// An HTTP client with these settings for the doctor, optionally sending `host` to a
    /// given address.
    pub(crate) fn http_client_for_doctor(
        &self,
        pin: Option<(&str, std::net::SocketAddr)>,
    ) -> Result<reqwest::Client> {
        let loopback = pin.is_some_and(|(_, addr)| addr.ip().is_loopback());
        let mut http = self.reqwest_builder(reqwest::redirect::Policy::limited(3), loopback)?;
        if let Some((host, addr)) = pin {
            http = http.resolve(host, addr);
        }
        http =
            http.tls_backend_preconfigured(crate::tls::client_config(self.accept_invalid_certs)?);
        http.build().map_err(|e| Error::Build(e.to_string()))
    }
}

impl ClientBuilder {
    /// The API domains of the kept domain-server answer, when it is fresh and comes from one
    /// of the domain servers this client would ask.
    // Issue 12 item 4.
    fn kept_refresh(&self) -> Option<Vec<Domain>> {
        let kept = self.memory.refresh.as_ref()?;
        if !self.domain_server_urls.contains(&kept.source) {
            debug!(source = %kept.source, "kept API domain list ignored: not from a domain server in use");
            return None;
        }
        if !kept.is_fresh(SystemTime::now(), self.refresh_lifetime) {
            debug!(source = %kept.source, fetched_at = kept.fetched_at, "kept API domain list ignored: too old; asking the domain servers again");
            return None;
        }
        let domains: Vec<Domain> = kept
            .domains
            .iter()
            .filter_map(|d| Domain::parse(d).ok())
            .collect();
        if domains.is_empty() {
            debug!(source = %kept.source, "kept API domain list ignored: no usable domain");
            return None;
        }
        debug!(source = %kept.source, domains = ?domains, "API domains from the kept domain-server answer");
        Some(domains)
    }

    /// One HTTP client with these settings (timeouts, proxy, TLS) and `redirect` policy;
    /// host names are looked up by `resolver` (the system's when `None`).
    fn http_client(
        &self,
        redirect: reqwest::redirect::Policy,
        all_loopback: bool,
        resolver: Option<Arc<dyn reqwest::dns::Resolve>>,
    ) -> Result<reqwest::Client> {
        let mut http = self
            .reqwest_builder(redirect, all_loopback)?
            .read_timeout(self.read_timeout)
            .pool_idle_timeout(Duration::from_secs(60));
        if let Some(resolver) = resolver {
            http = http.dns_resolver(resolver);
        }
        http =
            http.tls_backend_preconfigured(crate::tls::client_config(self.accept_invalid_certs)?);
        http.build().map_err(|e| Error::Build(e.to_string()))
    }

    /// A reqwest builder with the connect timeout, the `redirect` policy and the proxy
    /// (none when `loopback`: a local emulator or mirror is never reached through the
    /// system proxy, which would not know 127.0.0.1 as the user means it).
    fn reqwest_builder(
        &self,
        redirect: reqwest::redirect::Policy,
        loopback: bool,
    ) -> Result<reqwest::ClientBuilder> {
        let http = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .redirect(redirect);
        Ok(match &self.proxy {
            Proxy::System if loopback => http.no_proxy(),
            Proxy::System => http,
            Proxy::None => http.no_proxy(),
            Proxy::Url(url) => {
                let full = if url.contains("://") {
                    url.clone()
                } else {
                    format!("http://{url}")
                };
                let proxy = reqwest::Proxy::all(&full).map_err(|e| Error::InvalidProxy {
                    proxy: redact_userinfo(url),
                    reason: e.to_string(),
                })?;
                http.proxy(proxy)
            }
        })
    }
}

/// A remembered domain (`what`: which kind, for the log), when it parses.
fn remembered(text: Option<&str>, what: &str) -> Option<Domain> {
    let text = text?;
    match Domain::parse(text) {
        Ok(d) => Some(d),
        Err(e) => {
            debug!(domain = text, error = %e, "remembered {what} domain ignored");
            None
        }
    }
}

/// Whether a URL's host is this machine.
fn is_loopback_url(url: &str) -> bool {
    match url::Url::parse(url.trim()) {
        Ok(u) => match u.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        },
        Err(_) => false,
    }
}

fn redact_userinfo(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() || !u.username().is_empty() => {
            let _ = u.set_username("***");
            let _ = u.set_password(None);
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_secrets() {
        let b = ClientBuilder::new()
            .cookies([("AVS", "s3cr3t-avs")])
            .headers([("Authorization", "Bearer s3cr3t-token"), ("x-a", "visible")])
            .proxy(Proxy::Url("http://user:s3cr3t-pw@127.0.0.1:1".into()));
        let text = format!("{b:?}");
        assert!(!text.contains("s3cr3t"), "{text}");
        assert!(text.contains("AVS") && text.contains("visible"), "{text}");
        let client = b.proxy(Proxy::None).build().unwrap();
        let text = format!("{client:?}");
        assert!(!text.contains("s3cr3t"), "{text}");
    }

    #[test]
    fn proxy_redaction() {
        assert_eq!(redact_userinfo("http://user:pw@h:1"), "http://***@h:1/");
        assert_eq!(redact_userinfo("h:1"), "h:1");
    }

    #[test]
    fn either_protocol_is_built_without_network_io() {
        let client = ClientBuilder::new().proxy(Proxy::None).build().unwrap();
        assert_eq!(client.protocol(), ProtocolKind::Api);
        assert!(client.html_domains().is_empty());
        // Unreachable discovery URLs: building does not touch them.
        let client = ClientBuilder::new()
            .protocol(ProtocolKind::Html)
            .html_discovery_urls(["http://127.0.0.1:9/x"])
            .proxy(Proxy::None)
            .build()
            .unwrap();
        assert_eq!(client.protocol(), ProtocolKind::Html);
        assert!(client.html_domains().is_empty(), "discovered on first use");
        let client = ClientBuilder::new()
            .protocol(ProtocolKind::Html)
            .html_domains(["18comic.vip", "http://127.0.0.1:1/"])
            .build()
            .unwrap();
        assert_eq!(
            client.html_domains(),
            ["https://18comic.vip", "http://127.0.0.1:1"]
        );
        let e = ClientBuilder::new()
            .protocol(ProtocolKind::Html)
            .html_domains(["ftp://x"])
            .build()
            .unwrap_err();
        assert!(matches!(e, Error::InvalidDomain { .. }), "{e:?}");
    }

    #[test]
    fn loopback_urls() {
        assert!(is_loopback_url("http://127.0.0.1:5/3YeBdF"));
        assert!(is_loopback_url("http://localhost/"));
        assert!(!is_loopback_url("https://jm365.work/3YeBdF"));
        assert!(!is_loopback_url("nonsense"));
    }
}
