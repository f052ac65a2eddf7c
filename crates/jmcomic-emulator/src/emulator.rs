//! The emulator handle, its builder and the state shared with the server tasks.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, mpsc as std_mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::{mpsc, oneshot};

use crate::accounts::{SiteState, UserSpec, Viewer};
use crate::catalog::{AlbumSpec, Catalog, ChapterSpec, PageKind, page_seed};
use crate::comments::Board;
use crate::dns::{
    DNS_SUFFIX, DOH_SERVER_NAME, DnsAnswer, DnsQueryRecord, DnsSide, DnsState, DnsTable,
};
use crate::error::{Error, Result};
use crate::fault::{Decision, FaultId, FaultKind, FaultRule, FaultTable};
use crate::pages::{self, EncodeKey, OriginalPage, PageStore};
use crate::routes::{cover_key, parse_version};
use crate::scramble::strip_count;
use crate::server::{HostCmd, run_host};
use crate::site::{DEFAULT_APP_VERSION, DOMAIN_SERVER_PATH, PERMANENT_LINK_PATH, SESSION_COOKIE};

/// What a host serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HostRole {
    /// The mobile API (spec §6.2): host indexes `0..api_hosts`.
    Api,
    /// The image CDN: the next `cdn_hosts` indexes.
    Cdn,
    /// The web site (spec §6.3): the next `html_hosts` indexes.
    Html,
    /// Domain discovery (spec §6.3.1): the permanent link and the publish page, standing in
    /// for `jm365.work` and `jmcomicgo.org`; the last index, present when there are HTML
    /// hosts.
    Discovery,
}

impl HostRole {
    /// The name used by the fault syntax (`;role=html`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Cdn => "cdn",
            Self::Html => "html",
            Self::Discovery => "discovery",
        }
    }

    /// The role a fault-syntax name stands for.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "api" => Self::Api,
            "cdn" => Self::Cdn,
            "html" => Self::Html,
            "discovery" => Self::Discovery,
            _ => return None,
        })
    }
}

/// A user's state at one moment (see [`Emulator::user_state`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UserSnapshot {
    /// The user id the site gave the account.
    pub uid: u64,
    /// Login name.
    pub username: String,
    /// Favourite folders as `(FID, name)`.
    pub folders: Vec<(u64, String)>,
    /// Favourites as `(album id, FID)`, oldest first (`FID` 0: no folder).
    pub favorites: Vec<(u64, u64)>,
    /// J-coins.
    pub coin: u64,
    /// Experience points.
    pub exp: u64,
    /// Check-ins made (days).
    pub check_ins: usize,
}

/// Which secret `/chapter_view_template` accepts.
///
/// Spec §6.2.2 / Appendix C: the Python source says the real server wants `18comicAPPContent`
/// there and answers 403 otherwise, but the package's own sync client has signed it with the
/// normal secret since 2.7.0 (W8) and reportedly works. What the real site accepts cannot be
/// checked offline, so the default accepts both: every client, the Python sync one included,
/// can then be tested against the emulator (that client would otherwise fall back to 220980
/// in silence). The strict variants stay for testing a client's fallback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TemplateSecret {
    /// Only `18comicAPPContent` (the Python source comment's claim); the normal secret gets
    /// 403.
    Content,
    /// Only `185Hcomic3PAPP7R`; the content secret gets 403.
    Normal,
    /// Either secret (the default; see above).
    #[default]
    Either,
}

/// How `/album` and `/chapter` answer an id the catalog does not have.
///
/// The Python client treats both a falsy `data` and a decrypted object whose `name` is null as
/// "missing" (spec §6.2.5); which one the real site sends is not known, hence an option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum MissingStyle {
    /// A normal encrypted envelope whose object has `name: null`, `id: null` and empty
    /// lists/strings elsewhere (the default).
    #[default]
    NullName,
    /// `{"code":200,"errorMsg":"","data":""}`: an empty, unencrypted `data` string.
    EmptyData,
    /// `{"code":200,"errorMsg":"本子不存在或已被刪除","data":[]}` (chapters:
    /// `章節不存在或已被刪除`): the shape spec §6.1.3 `require_have_data` rejects.
    ErrorMsg,
}

/// State of a host, for [`Emulator::set_host_down`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HostDown {
    /// Nothing listens on the port: connections are refused. Open connections are reset.
    Refuse,
    /// The port accepts connections and resets them at once. Open connections are reset.
    Reset,
    /// Serving normally (re-binds the same port after `Refuse`).
    Up,
}

/// One request as the emulator saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// Host index (API hosts first, then CDN hosts).
    pub host: usize,
    /// Connection number (unique per emulator): equal numbers = the same kept-alive connection.
    pub connection: u64,
    /// Arrival time, measured from the emulator's start (monotonic).
    pub elapsed: Duration,
    /// Arrival time (monotonic; the same instant as `elapsed`), for comparing with the
    /// test's own clock, e.g. to check a client's pacing.
    pub at: Instant,
    /// HTTP method.
    pub method: String,
    /// Path and query as sent, e.g. `/album?id=438516`.
    pub path_and_query: String,
    /// The request's `token`, `tokenparam`, `cookie`, `user-agent`, `referer`,
    /// `x-requested-with`, `accept`, `accept-encoding` and `accept-language` headers, when
    /// present (lowercase names).
    pub headers: Vec<(String, String)>,
    /// Status sent; `0` when the connection was reset without a response.
    pub status: u16,
    /// The fault rules that fired (their text form, comma separated), if any; `rate-limit`
    /// when [`EmulatorBuilder::rate_limit`] answered 429.
    pub fault: Option<String>,
}

/// One accepted connection of a host ([`Emulator::connections`]): over TLS once its
/// ClientHello arrived (connections that never sent one are not recorded), over plain HTTP
/// at once (or, while a handshake fault rule exists, once its first bytes arrived).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnectionRecord {
    /// Host index.
    pub host: usize,
    /// Connection number, as in [`RequestRecord::connection`].
    pub connection: u64,
    /// Accept time, measured from the emulator's start.
    pub elapsed: Duration,
    /// Accept time.
    pub at: Instant,
    /// The server name (SNI) of the ClientHello; `None` over plain HTTP or when the client
    /// sent none (it connected to an IP address).
    pub server_name: Option<String>,
    /// The handshake fault rule that fired ([`FaultKind::HandshakeReset`],
    /// [`FaultKind::HandshakeStall`]), in its text form.
    pub fault: Option<String>,
}

/// A per-host request budget ([`EmulatorBuilder::rate_limit`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RateLimit {
    pub requests: u32,
    pub per: Duration,
}

impl RequestRecord {
    /// A recorded header's value (name in lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The path without the query.
    pub fn path(&self) -> &str {
        self.path_and_query
            .split_once('?')
            .map_or(self.path_and_query.as_str(), |(p, _)| p)
    }
}

/// Validated settings, shared with the server tasks.
pub(crate) struct Config {
    pub latency: Duration,
    pub app_version: String,
    pub min_app_version: Vec<u64>,
    pub require_cookies: bool,
    pub template_secret: TemplateSecret,
    pub missing_style: MissingStyle,
    pub domain_server_list: Option<Vec<String>>,
    pub max_clock_skew: Option<Duration>,
    pub max_recorded_requests: usize,
    pub api_hosts: usize,
    pub cdn_hosts: usize,
    pub html_hosts: usize,
    /// Whether the API serves login-only albums to anonymous requests.
    pub api_shows_login_only: bool,
    /// Whether HTML album pages come wrapped in `base64DecodeUtf8("…")`.
    pub html_album_base64: bool,
    /// Seconds the emulator's clock is ahead of the machine's (negative: behind).
    pub clock_offset_secs: i64,
    /// Request budgets per host role.
    pub rate_limits: HashMap<HostRole, RateLimit>,
    /// Whether `/setting` answers app versions below the minimum.
    pub setting_accepts_old_versions: bool,
}

/// State shared by the handle and the server tasks.
pub(crate) struct Shared {
    pub cfg: Config,
    pub catalog: Catalog,
    /// Album id -> position in [`Catalog::all_albums`].
    albums: HashMap<u64, usize>,
    /// Chapter id -> (album position, chapter position).
    chapters: HashMap<u64, (usize, usize)>,
    pub pages: Arc<PageStore>,
    faults: Mutex<FaultTable>,
    log: Mutex<VecDeque<RequestRecord>>,
    pub api_domains: Vec<String>,
    pub image_domains: Vec<String>,
    pub html_domains: Vec<String>,
    /// The discovery host's domain, when there are HTML hosts.
    pub discovery_domain: Option<String>,
    /// Which HTML host the permanent link points at.
    permanent_target: AtomicUsize,
    /// Accounts, sessions, favourites, check-ins.
    state: Mutex<SiteState>,
    /// Comments and the forum.
    pub comments: Board,
    /// Days added to the clock (check-ins, posted comments): [`Emulator::advance_days`].
    day_offset: AtomicI64,
    /// TLS configuration when every host serves HTTPS.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// The self-signed certificate the hosts present (PEM), when TLS is on.
    certificate_pem: Option<String>,
    /// The certificate the DoH endpoint presents (the same as the hosts' with TLS on).
    doh_certificate_pem: String,
    /// Both resolvers' tables and their query log.
    dns: Arc<DnsState>,
    /// The made-up name of each host index (`api1.jm.test`, ...).
    dns_names: Vec<String>,
    /// Connections that reached their ClientHello.
    connections: Mutex<VecDeque<ConnectionRecord>>,
    /// Arrival times of the requests each host admitted within its rate-limit window.
    rate_windows: Mutex<HashMap<usize, VecDeque<Instant>>>,
    pub started: Instant,
    next_connection: AtomicU64,
    next_session: AtomicUsize,
}

impl Shared {
    fn album_at(&self, pos: usize) -> &AlbumSpec {
        self.catalog
            .albums
            .get(pos)
            .unwrap_or(&self.catalog.placeholder)
    }

    pub(crate) fn album(&self, id: u64) -> Option<&AlbumSpec> {
        self.albums.get(&id).map(|&pos| self.album_at(pos))
    }

    pub(crate) fn chapter(&self, id: u64) -> Option<(&ChapterSpec, &AlbumSpec)> {
        let &(a, c) = self.chapters.get(&id)?;
        let album = self.album_at(a);
        album.chapters.get(c).map(|ch| (ch, album))
    }

    /// The encode key of a page: its drawing seed, size, kind and strip count (spec §7.1; GIFs
    /// are never scrambled, §7.3).
    pub(crate) fn page_key(&self, chapter_id: u64, file_name: &str) -> Option<EncodeKey> {
        let (ch, album) = self.chapter(chapter_id)?;
        let index = ch.page_index(file_name)?;
        let page = &ch.pages[index];
        let strips = if page.kind.is_scrambled_kind() {
            strip_count(album.chapter_scramble_id(ch), ch.id, page.stem())
        } else {
            0
        };
        Some(EncodeKey {
            seed: page_seed(ch.id, index, page),
            width: page.width,
            height: page.height,
            kind: page.kind,
            strips,
        })
    }

    pub(crate) fn role(&self, host: usize) -> HostRole {
        let cfg = &self.cfg;
        if host < cfg.api_hosts {
            HostRole::Api
        } else if host < cfg.api_hosts + cfg.cdn_hosts {
            HostRole::Cdn
        } else if host < cfg.api_hosts + cfg.cdn_hosts + cfg.html_hosts {
            HostRole::Html
        } else {
            HostRole::Discovery
        }
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, SiteState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The user of the request's `AVS` cookie, if it names a live session.
    pub(crate) fn viewer(&self, headers: &hyper::HeaderMap) -> Option<(usize, Viewer)> {
        let token = cookie(headers, SESSION_COOKIE)?;
        let state = self.state();
        let index = state.session_user(token)?;
        Some((index, state.viewer(index)))
    }

    /// The emulator's wall clock: the machine's shifted by
    /// [`EmulatorBuilder::clock_offset_secs`]. `Date` headers and the `tokenparam`
    /// freshness check read it.
    pub(crate) fn clock(&self) -> SystemTime {
        let offset = Duration::from_secs(self.cfg.clock_offset_secs.unsigned_abs());
        let now = SystemTime::now();
        if self.cfg.clock_offset_secs >= 0 {
            now.checked_add(offset).unwrap_or(now)
        } else {
            now.checked_sub(offset).unwrap_or(now)
        }
    }

    /// Unix seconds on the emulator's calendar (its clock plus [`Emulator::advance_days`]).
    pub(crate) fn now(&self) -> u64 {
        let real = self
            .clock()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let offset = self
            .day_offset
            .load(Ordering::Relaxed)
            .saturating_mul(86_400);
        real.saturating_add_signed(offset)
    }

    /// The emulator's day number (days since 1970-01-01, UTC) for check-ins.
    pub(crate) fn today(&self) -> i64 {
        i64::try_from(self.now() / 86_400).unwrap_or(i64::MAX)
    }

    /// The CDN domain pages link images and covers to.
    pub(crate) fn cdn(&self) -> &str {
        self.image_domains.first().map_or("", String::as_str)
    }

    /// The HTML host the permanent link points at.
    pub(crate) fn permanent_target(&self) -> Option<&str> {
        let i = self.permanent_target.load(Ordering::Relaxed);
        self.html_domains
            .get(i)
            .or(self.html_domains.first())
            .map(String::as_str)
    }

    pub(crate) fn next_connection_id(&self) -> u64 {
        self.next_connection.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn next_session(&self) -> usize {
        self.next_session.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn decide_faults(&self, host: usize, path_and_query: &str) -> Decision {
        let role = self.role(host);
        self.faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .decide(host, role, path_and_query)
    }

    /// Whether the request arriving `at` fits the host's rate limit; if not, the seconds
    /// until it would (the `Retry-After`, at least 1). Only admitted requests use up the
    /// budget: a client that waits as told gets through.
    pub(crate) fn admit(&self, host: usize, at: Instant) -> Result<(), u64> {
        let Some(limit) = self.cfg.rate_limits.get(&self.role(host)) else {
            return Ok(());
        };
        let mut windows = self
            .rate_windows
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let window = windows.entry(host).or_default();
        while window
            .front()
            .is_some_and(|t| at.saturating_duration_since(*t) >= limit.per)
        {
            window.pop_front();
        }
        if window.len() < limit.requests as usize {
            window.push_back(at);
            return Ok(());
        }
        let oldest = window.front().copied().unwrap_or(at);
        let wait = limit
            .per
            .saturating_sub(at.saturating_duration_since(oldest));
        // Whole seconds, rounded up: a client waiting exactly that long finds room.
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        Err(secs.max(1))
    }

    pub(crate) fn has_handshake_faults(&self) -> bool {
        self.faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .has_handshake_rules()
    }

    pub(crate) fn decide_handshake(&self, host: usize) -> Option<(FaultKind, String)> {
        let role = self.role(host);
        self.faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .decide_handshake(host, role)
    }

    pub(crate) fn record_connection(&self, record: ConnectionRecord) {
        let mut log = self
            .connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if log.len() >= self.cfg.max_recorded_requests {
            log.pop_front();
        }
        if self.cfg.max_recorded_requests > 0 {
            log.push_back(record);
        }
    }

    pub(crate) fn record(&self, record: RequestRecord) {
        let mut log = self.log.lock().unwrap_or_else(PoisonError::into_inner);
        if log.len() >= self.cfg.max_recorded_requests {
            log.pop_front();
        }
        if self.cfg.max_recorded_requests > 0 {
            log.push_back(record);
        }
    }
}

/// Builds and starts an [`Emulator`]; see the crate docs for an example.
#[derive(Debug, Clone)]
pub struct EmulatorBuilder {
    api_hosts: usize,
    cdn_hosts: usize,
    catalog: Option<Catalog>,
    latency: Duration,
    app_version: String,
    min_app_version: String,
    require_cookies: bool,
    template_secret: TemplateSecret,
    missing_style: MissingStyle,
    domain_server_list: Option<Vec<String>>,
    faults: Vec<FaultRule>,
    bind_addr: IpAddr,
    first_port: u16,
    max_clock_skew: Option<Duration>,
    max_recorded_requests: usize,
    worker_threads: Option<usize>,
    tls: bool,
    html_hosts: usize,
    accounts: Vec<UserSpec>,
    login_only: Vec<u64>,
    api_shows_login_only: bool,
    html_album_base64: bool,
    clock_offset_secs: i64,
    rate_limits: HashMap<HostRole, RateLimit>,
    setting_accepts_old_versions: bool,
    doh_overrides: Vec<(String, DnsOverride)>,
    system_overrides: Vec<(String, DnsOverride)>,
    system_poison: Option<IpAddr>,
}

/// A builder change to a DNS table.
#[derive(Debug, Clone)]
enum DnsOverride {
    /// One more address (the first replaces the name's default answer).
    Add(IpAddr),
    /// This answer, replacing what the name had.
    Set(DnsAnswer),
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl EmulatorBuilder {
    /// The defaults: 1 API host, 1 CDN host, 1 HTML host (plus the discovery host),
    /// [`Catalog::standard`], the default account ([`UserSpec::default_user`]), no
    /// login-only albums, no latency, app version and minimum `2.1.12`, cookies required,
    /// either secret on the template, `NullName` missing style, loopback with ephemeral
    /// ports.
    pub fn new() -> Self {
        Self {
            api_hosts: 1,
            cdn_hosts: 1,
            catalog: None,
            latency: Duration::ZERO,
            app_version: DEFAULT_APP_VERSION.to_owned(),
            min_app_version: DEFAULT_APP_VERSION.to_owned(),
            require_cookies: true,
            template_secret: TemplateSecret::default(),
            missing_style: MissingStyle::NullName,
            domain_server_list: None,
            faults: Vec::new(),
            bind_addr: IpAddr::V4(Ipv4Addr::LOCALHOST),
            first_port: 0,
            max_clock_skew: None,
            max_recorded_requests: 100_000,
            worker_threads: None,
            tls: false,
            html_hosts: 1,
            accounts: vec![UserSpec::default_user()],
            login_only: Vec::new(),
            api_shows_login_only: false,
            html_album_base64: false,
            clock_offset_secs: 0,
            rate_limits: HashMap::new(),
            setting_accepts_old_versions: false,
            doh_overrides: Vec::new(),
            system_overrides: Vec::new(),
            system_poison: None,
        }
    }

    /// Number of web-site domains (listeners) serving the HTML pages (spec §6.3). Default 1.
    /// With at least one, a discovery host (the permanent link and the publish page, spec
    /// §6.3.1) listens after them; with 0, neither.
    #[must_use]
    pub fn html_hosts(mut self, n: usize) -> Self {
        self.html_hosts = n;
        self
    }

    /// Adds an account with no folders or favourites (see [`EmulatorBuilder::account`]).
    #[must_use]
    pub fn user(self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.account(UserSpec::new(username, password))
    }

    /// Adds an account with its starting state. The default account
    /// ([`UserSpec::default_user`]) is always there; an account with its username replaces
    /// it.
    #[must_use]
    pub fn account(mut self, user: UserSpec) -> Self {
        self.accounts.push(user);
        self
    }

    /// Makes these catalog albums login-only (see [`AlbumSpec::login_only`]); an id that is
    /// not a catalog album makes [`EmulatorBuilder::start`] fail.
    #[must_use]
    pub fn login_only(mut self, album_ids: impl IntoIterator<Item = u64>) -> Self {
        self.login_only.extend(album_ids);
        self
    }

    /// Whether the API serves login-only albums to anonymous requests. Default `false`: they
    /// answer as missing ids do ([`MissingStyle`]), the only way spec §6.2.5 gives the API
    /// to say "no". The Python package's missing-album message suggests the API client as a
    /// way around login-only albums (spec §9 `raise_missing`), so the real API may serve
    /// them: `true` emulates that.
    #[must_use]
    pub fn api_shows_login_only(mut self, show: bool) -> Self {
        self.api_shows_login_only = show;
        self
    }

    /// Whether HTML album pages come as `const html = base64DecodeUtf8("…")` around the
    /// real page (spec §6.3.5: the client decodes it first). Default `false`.
    #[must_use]
    pub fn html_album_base64(mut self, on: bool) -> Self {
        self.html_album_base64 = on;
        self
    }

    /// Number of API domains (listeners), at least 1. Default 1.
    #[must_use]
    pub fn api_hosts(mut self, n: usize) -> Self {
        self.api_hosts = n;
        self
    }

    /// Number of image CDN domains (listeners), at least 1. Default 1.
    #[must_use]
    pub fn cdn_hosts(mut self, n: usize) -> Self {
        self.cdn_hosts = n;
        self
    }

    /// The catalog to serve. Default [`Catalog::standard`].
    #[must_use]
    pub fn catalog(mut self, catalog: Catalog) -> Self {
        self.catalog = Some(catalog);
        self
    }

    /// Delay added to every request on every host (benchmarks use 50 ms). Default zero.
    #[must_use]
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// The `jm3_version` `/setting` reports. Default `2.1.12`.
    #[must_use]
    pub fn app_version(mut self, version: impl Into<String>) -> Self {
        self.app_version = version.into();
        self
    }

    /// Lowest app version accepted in `tokenparam` (numeric dotted comparison); older ones
    /// get "Not legal.". Default `2.1.12`.
    ///
    /// A stale app version (spec `peers.md` §3 item 3), two ways:
    ///
    /// * tolerated but behind: `.app_version("2.1.20")` alone: `/setting` announces a newer
    ///   version than the client's 2.1.12, which still works (a client may upgrade, spec
    ///   §6.2.7 step 3);
    /// * refused: `.app_version("2.2.0").min_app_version("2.2.0")`: every API request with
    ///   2.1.12, `/setting` included, answers "Not legal."; add
    ///   [`EmulatorBuilder::setting_accepts_old_versions`] for a `/setting` that still
    ///   answers, so the client can learn the version it needs.
    #[must_use]
    pub fn min_app_version(mut self, version: impl Into<String>) -> Self {
        self.min_app_version = version.into();
        self
    }

    /// Whether `/setting` answers requests whose app version is below
    /// [`EmulatorBuilder::min_app_version`] (the token must still be right). Default `false`:
    /// every route refuses them. Whether the real `/setting` does is not known; the Python
    /// package reading its version from `/setting` to escape "Not legal." (spec `peers.md` §3
    /// item 3) suggests it does.
    #[must_use]
    pub fn setting_accepts_old_versions(mut self, accept: bool) -> Self {
        self.setting_accepts_old_versions = accept;
        self
    }

    /// Moves the emulator's clock `secs` seconds ahead of the machine's (negative: behind),
    /// so a client comparing its clock with the site's sees that offset. Every response's
    /// `Date` header reads this clock (hyper would add the machine's time; the emulator sets
    /// the header itself), and so do the `tokenparam` freshness check
    /// ([`EmulatorBuilder::max_clock_skew`]) and the calendar of check-ins and comments.
    /// The DoH endpoint keeps the machine's time (it stands for a third party). Default 0.
    /// An emulator extension, for checking a client's clock check.
    #[must_use]
    pub fn clock_offset_secs(mut self, secs: i64) -> Self {
        self.clock_offset_secs = secs;
        self
    }

    /// Limits every host of `role` to `requests` requests per `per` (a sliding window per
    /// host): a request beyond that answers HTTP 429 with `Retry-After` the whole seconds
    /// until the oldest request in the window leaves it (at least 1), before any route or
    /// fault rule sees it (its [`RequestRecord::fault`] reads `rate-limit`). Refused
    /// requests do not use up the budget, so a client that waits as told gets through.
    /// Calling it again for a role replaces that role's limit; `requests` 0 refuses every
    /// request. Default: no limit. An emulator extension: the real site's limits are not
    /// known; users report bans for requesting too fast.
    #[must_use]
    pub fn rate_limit(mut self, role: HostRole, requests: u32, per: Duration) -> Self {
        self.rate_limits.insert(role, RateLimit { requests, per });
        self
    }

    /// Adds `ip` to what the DoH endpoint answers for `name` (the first call for a name
    /// replaces its default answer; later calls add addresses). Names are case-insensitive,
    /// a trailing dot is ignored. See [`Emulator::doh_url`] for the defaults.
    #[must_use]
    pub fn doh_record(mut self, name: impl Into<String>, ip: IpAddr) -> Self {
        self.doh_overrides.push((name.into(), DnsOverride::Add(ip)));
        self
    }

    /// Sets what the DoH endpoint answers for `name` (addresses, NXDOMAIN, SERVFAIL or
    /// silence), replacing its default and earlier calls.
    #[must_use]
    pub fn doh_answer(mut self, name: impl Into<String>, answer: DnsAnswer) -> Self {
        self.doh_overrides
            .push((name.into(), DnsOverride::Set(answer)));
        self
    }

    /// Adds `ip` to what the system-resolver stand-in ([`Emulator::dns_stub_addr`]) answers
    /// for `name`, like [`EmulatorBuilder::doh_record`]: a poisoned answer when it differs
    /// from the DoH side (e.g. `127.0.0.1`, `0.0.0.0`, `10.x`).
    #[must_use]
    pub fn system_dns_record(mut self, name: impl Into<String>, ip: IpAddr) -> Self {
        self.system_overrides
            .push((name.into(), DnsOverride::Add(ip)));
        self
    }

    /// Sets what the system-resolver stand-in answers for `name`, like
    /// [`EmulatorBuilder::doh_answer`].
    #[must_use]
    pub fn system_dns_answer(mut self, name: impl Into<String>, answer: DnsAnswer) -> Self {
        self.system_overrides
            .push((name.into(), DnsOverride::Set(answer)));
        self
    }

    /// Poisons the system-resolver stand-in: every name, known or not, answers `ip` (what a
    /// network that hijacks DNS does), except names given their own answer with
    /// [`EmulatorBuilder::system_dns_record`] / [`EmulatorBuilder::system_dns_answer`]. An
    /// IPv4 address answers `A` queries (`AAAA` get no data), an IPv6 one the reverse.
    #[must_use]
    pub fn system_dns_poison(mut self, ip: IpAddr) -> Self {
        self.system_poison = Some(ip);
        self
    }

    /// Whether `/album` and `/chapter` need the `ipm5` cookie from `/setting`; without it they
    /// answer with the placeholder album (spec §6.2.7). Default `true`.
    #[must_use]
    pub fn require_cookies(mut self, require: bool) -> Self {
        self.require_cookies = require;
        self
    }

    /// Secret(s) `/chapter_view_template` accepts. Default [`TemplateSecret::Either`] (see
    /// [`TemplateSecret`] for why).
    #[must_use]
    pub fn template_secret(mut self, secret: TemplateSecret) -> Self {
        self.template_secret = secret;
        self
    }

    /// How missing albums/chapters are answered. Default [`MissingStyle::NullName`].
    #[must_use]
    pub fn missing_style(mut self, style: MissingStyle) -> Self {
        self.missing_style = style;
        self
    }

    /// The `Server` list of the domain-server file. Default: the emulator's own API domains.
    #[must_use]
    pub fn domain_server_list(mut self, domains: Vec<String>) -> Self {
        self.domain_server_list = Some(domains);
        self
    }

    /// Adds a fault rule active from the start.
    #[must_use]
    pub fn fault(mut self, rule: FaultRule) -> Self {
        self.faults.push(rule);
        self
    }

    /// Address to listen on. Default 127.0.0.1. Domains advertise 127.0.0.1 when this is the
    /// unspecified address.
    #[must_use]
    pub fn bind_addr(mut self, addr: IpAddr) -> Self {
        self.bind_addr = addr;
        self
    }

    /// First port: API hosts listen on `port..`, CDN hosts right after, then HTML hosts, the
    /// discovery host, the DoH endpoint and the DNS stub (UDP and TCP). Default 0 (ephemeral
    /// ports).
    #[must_use]
    pub fn first_port(mut self, port: u16) -> Self {
        self.first_port = port;
        self
    }

    /// Rejects ("Not legal.") requests whose `tokenparam` timestamp is further than this from
    /// the emulator's clock. Default: no check.
    #[must_use]
    pub fn max_clock_skew(mut self, skew: Duration) -> Self {
        self.max_clock_skew = Some(skew);
        self
    }

    /// Keeps at most this many request records (oldest dropped first). Default 100 000.
    #[must_use]
    pub fn max_recorded_requests(mut self, n: usize) -> Self {
        self.max_recorded_requests = n;
        self
    }

    /// Worker threads of the emulator's runtime. Default: available cores, at most 4.
    #[must_use]
    pub fn worker_threads(mut self, n: usize) -> Self {
        self.worker_threads = Some(n);
        self
    }

    /// Serve HTTPS (HTTP/1.1) on every host with a self-signed certificate for `127.0.0.1`,
    /// `::1`, `localhost`, `*.jm.test` and the names of the DNS tables, generated at start;
    /// domains then read `https://127.0.0.1:PORT`.
    /// Every fault works the same over TLS (a reset is a TCP reset under the TLS session).
    /// Clients must skip certificate checks or trust [`Emulator::certificate_pem`]. Default
    /// `false` (plain HTTP).
    #[must_use]
    pub fn tls(mut self, on: bool) -> Self {
        self.tls = on;
        self
    }

    /// Binds every listener and starts serving on a background runtime thread.
    ///
    /// Synchronous, so it works from plain `#[test]`s and from inside `#[tokio::test]`s alike.
    pub fn start(self) -> Result<Emulator> {
        let invalid = |option, reason: &str| Error::InvalidOption {
            option,
            reason: reason.to_owned(),
        };
        if self.api_hosts == 0 {
            return Err(invalid("api_hosts", "at least one API host is needed"));
        }
        if self.cdn_hosts == 0 {
            return Err(invalid("cdn_hosts", "at least one CDN host is needed"));
        }
        let min_app_version = parse_version(&self.min_app_version)
            .ok_or_else(|| invalid("min_app_version", "expected a dotted numeric version"))?;
        let mut catalog = self.catalog.unwrap_or_else(Catalog::standard);
        for id in &self.login_only {
            match catalog.albums.iter_mut().find(|a| a.id == *id) {
                Some(album) => album.login_only = true,
                None => {
                    return Err(invalid(
                        "login_only",
                        &format!("{id} is not an album of the catalog"),
                    ));
                }
            }
        }
        catalog.validate()?;
        for user in &self.accounts {
            if user.username.is_empty() || user.username.chars().any(|c| c.is_control() || c == '/')
            {
                return Err(invalid(
                    "user",
                    &format!(
                        "username {:?} is empty or has '/' or control characters",
                        user.username
                    ),
                ));
            }
        }

        let mut albums = HashMap::new();
        let mut chapters = HashMap::new();
        for (a, album) in catalog.all_albums().enumerate() {
            albums.insert(album.id, a);
            for (c, ch) in album.chapters.iter().enumerate() {
                chapters.insert(ch.id, (a, c));
            }
        }

        // Bind on the caller's thread so the ports are known (and errors reported) up front.
        let discovery = usize::from(self.html_hosts > 0);
        let host_count = self.api_hosts + self.cdn_hosts + self.html_hosts + discovery;
        let mut listeners = Vec::with_capacity(host_count);
        for i in 0..host_count {
            let port = if self.first_port == 0 {
                0
            } else {
                u16::try_from(usize::from(self.first_port) + i)
                    .map_err(|_| invalid("first_port", "port range exceeds 65535"))?
            };
            let addr = SocketAddr::new(self.bind_addr, port);
            let listener = std::net::TcpListener::bind(addr)
                .and_then(|l| l.set_nonblocking(true).map(|()| l))
                .map_err(|source| Error::Bind { addr, source })?;
            let local = listener
                .local_addr()
                .map_err(|source| Error::Bind { addr, source })?;
            listeners.push((local, listener));
        }
        let advertised = if self.bind_addr.is_unspecified() {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        } else {
            self.bind_addr
        };
        let first_html = self.api_hosts + self.cdn_hosts;
        let dns_names: Vec<String> = (0..host_count)
            .map(|i| {
                let (prefix, n) = if i < self.api_hosts {
                    ("api", i + 1)
                } else if i < first_html {
                    ("cdn", i - self.api_hosts + 1)
                } else if i < first_html + self.html_hosts {
                    ("html", i - first_html + 1)
                } else {
                    return format!("discovery.{DNS_SUFFIX}");
                };
                format!("{prefix}{n}.{DNS_SUFFIX}")
            })
            .collect();
        let (doh_table, system_table) = dns_tables(
            &dns_names,
            advertised,
            &self.doh_overrides,
            &self.system_overrides,
            self.system_poison,
        );
        let extra_names: Vec<String> = doh_table
            .names()
            .chain(system_table.names())
            .map(str::to_owned)
            .collect();
        let certificate =
            crate::tls::self_signed(advertised, extra_names.iter().map(String::as_str))?;
        let tls = if self.tls {
            Some(crate::tls::server_config(&certificate, &[b"http/1.1"])?)
        } else {
            None
        };
        let doh_tls = crate::tls::server_config(&certificate, &[b"h2", b"http/1.1"])?;
        // The DoH endpoint and the DNS stub listen after the hosts.
        let extra_port = |offset: usize| -> Result<u16> {
            if self.first_port == 0 {
                return Ok(0);
            }
            u16::try_from(usize::from(self.first_port) + host_count + offset)
                .map_err(|_| invalid("first_port", "port range exceeds 65535"))
        };
        let doh_bind = SocketAddr::new(self.bind_addr, extra_port(0)?);
        let doh_listener = std::net::TcpListener::bind(doh_bind)
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .map_err(|source| Error::Bind {
                addr: doh_bind,
                source,
            })?;
        let doh_addr = doh_listener.local_addr().map_err(|source| Error::Bind {
            addr: doh_bind,
            source,
        })?;
        let (stub_udp, stub_tcp) = bind_dns_stub(SocketAddr::new(self.bind_addr, extra_port(1)?))?;
        let stub_addr = stub_udp.local_addr().map_err(|source| Error::Bind {
            addr: SocketAddr::new(self.bind_addr, 0),
            source,
        })?;
        let started = Instant::now();
        let dns = Arc::new(DnsState::new(
            doh_table,
            system_table,
            self.max_recorded_requests,
            started,
        ));
        let scheme = if tls.is_some() { "https" } else { "http" };
        let domain =
            |addr: &SocketAddr| format!("{scheme}://{}", SocketAddr::new(advertised, addr.port()));
        let api_domains: Vec<String> = listeners[..self.api_hosts]
            .iter()
            .map(|(a, _)| domain(a))
            .collect();
        let image_domains: Vec<String> = listeners[self.api_hosts..self.api_hosts + self.cdn_hosts]
            .iter()
            .map(|(a, _)| domain(a))
            .collect();
        let html_start = self.api_hosts + self.cdn_hosts;
        let html_domains: Vec<String> = listeners[html_start..html_start + self.html_hosts]
            .iter()
            .map(|(a, _)| domain(a))
            .collect();
        let discovery_domain = (discovery == 1)
            .then(|| listeners.last().map(|(a, _)| domain(a)))
            .flatten();
        let salt = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);

        let parallelism = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        let mut faults = FaultTable::default();
        for rule in self.faults {
            faults.add(rule);
        }
        let shared = Arc::new(Shared {
            cfg: Config {
                latency: self.latency,
                app_version: self.app_version,
                min_app_version,
                require_cookies: self.require_cookies,
                template_secret: self.template_secret,
                missing_style: self.missing_style,
                domain_server_list: self.domain_server_list,
                max_clock_skew: self.max_clock_skew,
                max_recorded_requests: self.max_recorded_requests,
                api_hosts: self.api_hosts,
                cdn_hosts: self.cdn_hosts,
                html_hosts: self.html_hosts,
                api_shows_login_only: self.api_shows_login_only,
                html_album_base64: self.html_album_base64,
                clock_offset_secs: self.clock_offset_secs,
                rate_limits: self.rate_limits,
                setting_accepts_old_versions: self.setting_accepts_old_versions,
            },
            catalog,
            albums,
            chapters,
            pages: Arc::new(PageStore::new(parallelism)),
            faults: Mutex::new(faults),
            log: Mutex::new(VecDeque::new()),
            api_domains,
            image_domains,
            html_domains,
            discovery_domain,
            permanent_target: AtomicUsize::new(0),
            state: Mutex::new(SiteState::new(self.accounts, salt)),
            comments: Board::new(),
            day_offset: AtomicI64::new(0),
            certificate_pem: tls.as_ref().map(|_| certificate.pem.clone()),
            tls,
            doh_certificate_pem: certificate.pem,
            dns: dns.clone(),
            dns_names,
            connections: Mutex::new(VecDeque::new()),
            rate_windows: Mutex::new(HashMap::new()),
            started,
            next_connection: AtomicU64::new(0),
            next_session: AtomicUsize::new(0),
        });

        let mut hosts = Vec::with_capacity(host_count);
        let mut host_tasks = Vec::with_capacity(host_count);
        for (index, (addr, listener)) in listeners.into_iter().enumerate() {
            let (tx, rx) = mpsc::unbounded_channel();
            hosts.push(HostHandle { addr, cmds: tx });
            host_tasks.push((index, addr, listener, rx));
        }

        let workers = self
            .worker_threads
            .unwrap_or_else(|| parallelism.min(4))
            .max(1);
        let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std_mpsc::channel::<Result<()>>();
        let task_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name("jmcomic-emulator".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(workers)
                    .thread_name("jmcomic-emulator-worker")
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(source) => {
                        let _ = ready_tx.send(Err(Error::Runtime { source }));
                        return;
                    }
                };
                runtime.block_on(async move {
                    for (index, addr, listener, rx) in host_tasks {
                        tokio::spawn(run_host(task_shared.clone(), index, addr, listener, rx));
                    }
                    let sockets = (
                        tokio::net::TcpListener::from_std(doh_listener),
                        tokio::net::UdpSocket::from_std(stub_udp),
                        tokio::net::TcpListener::from_std(stub_tcp),
                    );
                    let (doh, udp, tcp) = match sockets {
                        (Ok(doh), Ok(udp), Ok(tcp)) => (doh, udp, tcp),
                        (Err(source), _, _) | (_, Err(source), _) | (_, _, Err(source)) => {
                            let _ = ready_tx.send(Err(Error::Runtime { source }));
                            return;
                        }
                    };
                    let acceptor = tokio_rustls::TlsAcceptor::from(doh_tls);
                    tokio::spawn(crate::doh::run(dns.clone(), doh, acceptor));
                    tokio::spawn(crate::dns::run_udp(dns.clone(), udp));
                    tokio::spawn(crate::dns::run_tcp(dns, tcp));
                    let _ = ready_tx.send(Ok(()));
                    // Serve until the handle is dropped (or the sender vanishes).
                    let _ = shutdown_rx.await;
                });
                // Dropping the tasks closes every listener and connection.
                runtime.shutdown_timeout(Duration::from_secs(2));
            })
            .map_err(|source| Error::Runtime { source })?;
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e),
            Err(_) => return Err(Error::Stopped),
        }
        tracing::info!(
            api = ?shared.api_domains,
            cdn = ?shared.image_domains,
            "jmcomic emulator started"
        );
        Ok(Emulator {
            shared,
            hosts,
            doh_addr: SocketAddr::new(advertised, doh_addr.port()),
            stub_addr: SocketAddr::new(advertised, stub_addr.port()),
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
        })
    }
}

/// The DoH and system tables: every host's made-up name and `doh.jm.test` on the advertised
/// address (the system side: every name on `poison` instead, when given), then the
/// builder's changes in order.
fn dns_tables(
    host_names: &[String],
    advertised: IpAddr,
    doh_overrides: &[(String, DnsOverride)],
    system_overrides: &[(String, DnsOverride)],
    poison: Option<IpAddr>,
) -> (DnsTable, DnsTable) {
    let mut doh = DnsTable::new(DnsAnswer::NxDomain);
    let mut system = DnsTable::new(match poison {
        Some(ip) => DnsAnswer::Addresses(vec![ip]),
        None => DnsAnswer::NxDomain,
    });
    let defaults = host_names
        .iter()
        .map(String::as_str)
        .chain([DOH_SERVER_NAME]);
    for name in defaults {
        doh.set(name, DnsAnswer::Addresses(vec![advertised]));
        if poison.is_none() {
            system.set(name, DnsAnswer::Addresses(vec![advertised]));
        }
    }
    for (overrides, table) in [(doh_overrides, &mut doh), (system_overrides, &mut system)] {
        // The first `Add` for a name replaces its default; later ones add to it.
        let mut touched = HashSet::new();
        for (name, change) in overrides {
            let fresh = touched.insert(crate::dns::normalize(name));
            match change {
                DnsOverride::Add(ip) if fresh => {
                    table.set(name, DnsAnswer::Addresses(vec![*ip]));
                }
                DnsOverride::Add(ip) => table.add_address(name, *ip),
                DnsOverride::Set(answer) => table.set(name, answer.clone()),
            }
        }
    }
    (doh, system)
}

/// Binds the DNS stub's UDP socket and a TCP listener on the same port (resolvers retry a
/// truncated UDP answer over TCP at the same address). With an ephemeral port the TCP port
/// may be taken by someone else: a few fresh UDP ports are tried.
fn bind_dns_stub(addr: SocketAddr) -> Result<(std::net::UdpSocket, std::net::TcpListener)> {
    let bind_err = |source| Error::Bind { addr, source };
    let mut last = None;
    for _ in 0..16 {
        let udp = std::net::UdpSocket::bind(addr).map_err(bind_err)?;
        udp.set_nonblocking(true).map_err(bind_err)?;
        let port = udp.local_addr().map_err(bind_err)?.port();
        match std::net::TcpListener::bind(SocketAddr::new(addr.ip(), port))
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
        {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(e) if addr.port() == 0 => last = Some(e),
            Err(e) => return Err(bind_err(e)),
        }
    }
    Err(bind_err(last.unwrap_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::AddrInUse,
            "no free port for the DNS stub",
        )
    })))
}

struct HostHandle {
    addr: SocketAddr,
    cmds: mpsc::UnboundedSender<HostCmd>,
}

/// A running emulator of the site: API hosts, CDN hosts, the catalog and the fault table.
///
/// Dropping it stops every listener and joins its runtime thread.
pub struct Emulator {
    shared: Arc<Shared>,
    hosts: Vec<HostHandle>,
    doh_addr: SocketAddr,
    stub_addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("api_domains", &self.shared.api_domains)
            .field("image_domains", &self.shared.image_domains)
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// A builder with the defaults.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::new()
    }

    /// Starts an emulator with the defaults.
    pub fn start() -> Result<Self> {
        EmulatorBuilder::new().start()
    }

    /// The API domains, e.g. `http://127.0.0.1:40123` (`https://` with TLS; host indexes
    /// `0..api_hosts`).
    pub fn api_domains(&self) -> Vec<String> {
        self.shared.api_domains.clone()
    }

    /// The image CDN domains (host indexes `api_hosts..api_hosts + cdn_hosts`).
    pub fn image_domains(&self) -> Vec<String> {
        self.shared.image_domains.clone()
    }

    /// The web-site domains (the HTML pages, spec §6.3; host indexes after the CDN hosts).
    pub fn html_domains(&self) -> Vec<String> {
        self.shared.html_domains.clone()
    }

    /// The domain of the discovery host (the last host index), when there are HTML hosts.
    pub fn discovery_domain(&self) -> Option<String> {
        self.shared.discovery_domain.clone()
    }

    /// The "permanent domain" link (spec §6.3.1 `https://jm365.work/3YeBdF`): a 301 to a
    /// second link, which answers 302 with `Location:` the HTML domain chosen by
    /// [`Emulator::set_permanent_link_target`] (default: the first). `None` without HTML
    /// hosts.
    pub fn permanent_link_url(&self) -> Option<String> {
        self.shared
            .discovery_domain
            .as_ref()
            .map(|d| format!("{d}{PERMANENT_LINK_PATH}"))
    }

    /// The publish page (spec §6.3.1 `https://jmcomicgo.org`): an HTML page linking every
    /// HTML domain. `None` without HTML hosts.
    pub fn publish_url(&self) -> Option<String> {
        self.shared
            .discovery_domain
            .as_ref()
            .map(|d| format!("{d}/"))
    }

    /// Points the permanent link at another HTML host (an index into
    /// [`Emulator::html_domains`]; out of range: the first).
    pub fn set_permanent_link_target(&self, html_index: usize) {
        self.shared
            .permanent_target
            .store(html_index, Ordering::Relaxed);
    }

    /// What the host with this index serves; `None` past the last host.
    pub fn host_role(&self, index: usize) -> Option<HostRole> {
        (index < self.hosts.len()).then(|| self.shared.role(index))
    }

    /// A user's favourites, folders, coins and check-ins, by username.
    pub fn user_state(&self, username: &str) -> Option<UserSnapshot> {
        let state = self.shared.state();
        let user = state.user(state.user_by_name(username)?);
        Some(UserSnapshot {
            uid: user.uid,
            username: user.spec.username.clone(),
            folders: user
                .folders
                .iter()
                .map(|f| (f.fid, f.name.clone()))
                .collect(),
            favorites: user.favorites.iter().map(|f| (f.aid, f.fid)).collect(),
            coin: user.coin,
            exp: user.exp,
            check_ins: user.signed_days.len(),
        })
    }

    /// Ends every login session, as if they had all expired: requests carrying an old `AVS`
    /// cookie are anonymous from now on.
    pub fn expire_sessions(&self) {
        self.shared.state().end_all_sessions();
    }

    /// Number of live login sessions.
    pub fn session_count(&self) -> usize {
        self.shared.state().session_count()
    }

    /// Moves the emulator's clock `days` days on (or back): a new day for check-ins, later
    /// times for posted comments.
    pub fn advance_days(&self, days: i64) {
        self.shared.day_offset.fetch_add(days, Ordering::Relaxed);
    }

    /// The self-signed certificate (PEM) every host presents, when the emulator serves HTTPS
    /// ([`EmulatorBuilder::tls`]); `None` for plain HTTP.
    pub fn certificate_pem(&self) -> Option<&str> {
        self.shared.certificate_pem.as_deref()
    }

    /// URL of the domain-server file on API host 0.
    pub fn domain_server_url(&self) -> String {
        format!("{}{DOMAIN_SERVER_PATH}", self.shared.api_domains[0])
    }

    /// URL of the DNS-over-HTTPS endpoint (RFC 8484), e.g.
    /// `https://127.0.0.1:40200/dns-query`: `GET ?dns=<base64url message>` and `POST` with
    /// `application/dns-message`, over HTTP/2 or HTTP/1.1 (ALPN), always TLS with
    /// [`Emulator::doh_certificate_pem`] (valid for [`DOH_SERVER_NAME`] `doh.jm.test`,
    /// `localhost` and `127.0.0.1`). It answers `A`/`AAAA` queries from its table:
    /// by default each host's made-up name ([`Emulator::named_domains`]) and `doh.jm.test`
    /// give the emulator's address, every other name NXDOMAIN; see
    /// [`EmulatorBuilder::doh_record`]. Not part of the site: it stands for a public DoH
    /// resolver; host fault rules do not apply to it.
    pub fn doh_url(&self) -> String {
        format!("https://{}{}", self.doh_addr, crate::doh::DOH_PATH)
    }

    /// Socket address of the DoH endpoint (what a resolver library configured with an IP,
    /// a port and a server name wants).
    pub fn doh_addr(&self) -> SocketAddr {
        self.doh_addr
    }

    /// The certificate (PEM) the DoH endpoint presents, to trust in a client; the same as
    /// [`Emulator::certificate_pem`] when the hosts serve HTTPS.
    pub fn doh_certificate_pem(&self) -> &str {
        &self.shared.doh_certificate_pem
    }

    /// Address of the plain-DNS stand-in for the system resolver (UDP and TCP on the same
    /// port), for tests that point a client's "system" resolution at it. It answers from
    /// its own table: by default the same as the DoH one; see
    /// [`EmulatorBuilder::system_dns_record`] and [`EmulatorBuilder::system_dns_poison`]
    /// for poisoned answers.
    pub fn dns_stub_addr(&self) -> SocketAddr {
        self.stub_addr
    }

    /// The domains of the hosts of `role` under their made-up names, e.g.
    /// `http://api1.jm.test:40123` (API hosts `api1`, `api2`, ...; CDN `cdn1`, ...; HTML
    /// `html1`, ...; the discovery host `discovery`). Only a client resolving through the
    /// emulator's DoH endpoint or DNS stub can reach them.
    pub fn named_domains(&self, role: HostRole) -> Vec<String> {
        let scheme = if self.shared.tls.is_some() {
            "https"
        } else {
            "http"
        };
        self.hosts
            .iter()
            .enumerate()
            .filter(|(i, _)| self.shared.role(*i) == role)
            .map(|(i, h)| format!("{scheme}://{}:{}", self.shared.dns_names[i], h.addr.port()))
            .collect()
    }

    /// Changes what one of the resolvers answers for `name` from now on (answers already
    /// cached by a client stay until their 60 s TTL runs out).
    pub fn set_dns_answer(&self, side: DnsSide, name: &str, answer: DnsAnswer) {
        self.shared.dns.set(side, name, answer);
    }

    /// Every DNS question either resolver received, oldest first (at most
    /// [`EmulatorBuilder::max_recorded_requests`]).
    pub fn dns_queries(&self) -> Vec<DnsQueryRecord> {
        self.shared.dns.queries()
    }

    /// Forgets the recorded DNS questions.
    pub fn clear_dns_queries(&self) {
        self.shared.dns.clear_queries();
    }

    /// Every recorded connection, oldest first (see [`ConnectionRecord`] for which).
    pub fn connections(&self) -> Vec<ConnectionRecord> {
        self.shared
            .connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }

    /// Socket address of every host (API hosts first).
    pub fn host_addrs(&self) -> Vec<SocketAddr> {
        self.hosts.iter().map(|h| h.addr).collect()
    }

    /// The catalog being served.
    pub fn catalog(&self) -> &Catalog {
        &self.shared.catalog
    }

    /// The unscrambled pixels of a page (what a correct client's descrambled page should look
    /// like; lossy kinds only approximately). For GIFs: the first frame. `None` if the page
    /// does not exist.
    pub fn original_page(&self, chapter_id: u64, file_name: &str) -> Option<OriginalPage> {
        let key = self.shared.page_key(chapter_id, file_name)?;
        Some(pages::original(key.seed, key.width, key.height, key.kind))
    }

    /// Exactly the bytes the CDN serves for a page (encoded on this thread if not cached yet).
    pub fn served_bytes(&self, chapter_id: u64, file_name: &str) -> Option<Vec<u8>> {
        let key = self.shared.page_key(chapter_id, file_name)?;
        match self.shared.pages.get_blocking(&key) {
            Ok(bytes) => Some(bytes.to_vec()),
            Err(reason) => {
                tracing::error!(chapter_id, file_name, %reason, "page generation failed");
                None
            }
        }
    }

    /// Exactly the bytes the CDN serves for an album's cover (`small`: the `_3x4` size).
    /// `None` if the album does not exist.
    pub fn cover_bytes(&self, album_id: u64, small: bool) -> Option<Vec<u8>> {
        self.shared.album(album_id)?;
        let key = cover_key(album_id, small);
        match self.shared.pages.get_blocking(&key) {
            Ok(bytes) => Some(bytes.to_vec()),
            Err(reason) => {
                tracing::error!(album_id, %reason, "cover generation failed");
                None
            }
        }
    }

    /// The strip count the CDN applied to a page (0 = unscrambled, always 0 for GIFs).
    pub fn strip_count_used(&self, chapter_id: u64, file_name: &str) -> Option<u32> {
        self.shared
            .page_key(chapter_id, file_name)
            .map(|k| k.strips)
    }

    /// Adds a fault rule; it applies to requests arriving from now on.
    pub fn add_fault(&self, rule: FaultRule) -> FaultId {
        self.shared
            .faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .add(rule)
    }

    /// Removes a fault rule; `false` if it was already gone.
    pub fn remove_fault(&self, id: FaultId) -> bool {
        self.shared
            .faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id)
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.shared
            .faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// Takes a host down or brings it back; returns once the change is in effect.
    ///
    /// # Panics
    ///
    /// If `index` is not a host or the port cannot be bound again (a test setup error); use
    /// [`Emulator::try_set_host_down`] to handle those.
    pub fn set_host_down(&self, index: usize, state: HostDown) {
        if let Err(e) = self.try_set_host_down(index, state) {
            panic!("jmcomic-emulator: set_host_down({index}, {state:?}) failed: {e}");
        }
    }

    /// [`Emulator::set_host_down`], reporting failures.
    pub fn try_set_host_down(&self, index: usize, state: HostDown) -> Result<()> {
        let host = self.hosts.get(index).ok_or(Error::NoSuchHost {
            index,
            hosts: self.hosts.len(),
        })?;
        let (ack, done) = std_mpsc::channel();
        host.cmds
            .send(HostCmd { state, ack })
            .map_err(|_| Error::Stopped)?;
        done.recv_timeout(Duration::from_secs(10))
            .map_err(|_| Error::Stopped)?
    }

    /// Every recorded request, oldest first.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared
            .log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        self.shared
            .log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// Encodes every page and cover up front, on all cores, so that benchmarks never time page
    /// generation. Blocks until done.
    pub fn warm(&self) {
        let shared = &self.shared;
        let mut keys = HashSet::new();
        for album in shared.catalog.all_albums() {
            keys.insert(cover_key(album.id, false));
            keys.insert(cover_key(album.id, true));
            for ch in &album.chapters {
                for page in &ch.pages {
                    if let Some(key) = shared.page_key(ch.id, &page.file_name) {
                        keys.insert(key);
                    }
                }
            }
        }
        let keys: Vec<EncodeKey> = keys.into_iter().collect();
        let next = AtomicUsize::new(0);
        let threads = std::thread::available_parallelism()
            .map_or(2, std::num::NonZero::get)
            .min(keys.len().max(1));
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| {
                    while let Some(key) = keys.get(next.fetch_add(1, Ordering::Relaxed)) {
                        if let Err(reason) = shared.pages.get_blocking(key) {
                            tracing::error!(?key, %reason, "page generation failed");
                        }
                    }
                });
            }
        });
    }

    /// Number of pages of each kind in the catalog (a convenience for test assertions).
    pub fn page_kinds(&self) -> HashMap<PageKind, usize> {
        let mut counts = HashMap::new();
        for album in self.shared.catalog.all_albums() {
            for ch in &album.chapters {
                for page in &ch.pages {
                    *counts.entry(page.kind).or_insert(0) += 1;
                }
            }
        }
        counts
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("emulator runtime thread panicked");
        }
    }
}

/// The value of one cookie of the request (`Cookie: a=1; b=2`).
pub(crate) fn cookie<'a>(headers: &'a hyper::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(hyper::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}
