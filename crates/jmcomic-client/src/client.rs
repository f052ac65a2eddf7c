//! The mobile-API client: the request engine, and one method per endpoint.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, LazyLock, Mutex, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};
use jmcomic_model::{Album, Chapter, Image, JmId, Kind, ScrambleId, ScrambleSource, SearchPage};
use regex::Regex;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::Value;
use tracing::{debug, info, warn};

use crate::crypto;
use crate::domain::{Domain, DomainPool};
use crate::error::{Attempt, Error, Result};
use crate::retry::{Verdict, classify};
use crate::site::{self, Endpoint, TemplateSecret};
use crate::wire::{self, AlbumDoc, MapError};

pub use crate::builder::{ClientBuilder, Proxy};

/// A client of the site's mobile API and image CDN.
///
/// Cheap to clone (a handle). Every method is cancel-safe: dropping a future abandons the
/// request and leaves the client usable. Its `Debug` output hides cookies.
///
/// ```no_run
/// # async fn run() -> Result<(), jmcomic_client::Error> {
/// use std::time::Duration;
///
/// use jmcomic_client::Client;
/// use jmcomic_model::JmId;
///
/// let client = Client::builder()
///     .retry_times(3)
///     .timeout(Duration::from_secs(20))
///     .build()?; // no network I/O yet
///
/// // A chapter id is followed to its album.
/// let album = client.album(JmId::new(350234)).await?;
/// println!("{} by {}: {} chapters", album.name, album.author(), album.episodes.len());
///
/// // Page 1 of a site-wide search, latest first, of all time.
/// let results = client.search("MANA", 1, 0, "mr", "a").await?;
/// for item in &results.items {
///     println!("{} {}", item.id, item.name);
/// }
///
/// // Errors say what kind of failure they are.
/// match client.album(JmId::new(1)).await {
///     Err(e) if e.is_not_found() => println!("no album 1"),
///     Err(e) if e.is_blocked() => println!("the site refused us: {e}"),
///     other => drop(other?),
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("api_domains", &self.api_domains())
            .field("image_domains", &self.image_domains())
            .field("app_version", &self.app_version())
            .field("config", &self.inner.cfg)
            .finish_non_exhaustive()
    }
}

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) cfg: ClientBuilder,
    pub(crate) api: RwLock<Arc<DomainPool>>,
    pub(crate) images: DomainPool,
    pub(crate) setup: tokio::sync::Mutex<SetupState>,
    pub(crate) session: RwLock<Session>,
    /// Scramble ids by chapter, per client; the Python cache is global and keyed by album
    /// too, assuming all chapters of an album share one.
    // Spec §6.2.6, W8.
    pub(crate) scramble: Mutex<HashMap<JmId, ScrambleId>>,
    pub(crate) user_headers: HeaderMap,
}

pub(crate) struct SetupState {
    pub(crate) domains_checked: bool,
    pub(crate) session_ready: bool,
}

pub(crate) struct Session {
    /// Cookies from `/setting`.
    pub(crate) cookies: Vec<(String, String)>,
    /// App version for `tokenparam`; may be raised by `/setting`.
    pub(crate) app_version: String,
}

/// What an API request returned.
enum Payload {
    /// The decrypted `data`.
    Data(Value),
    /// The envelope had no data (empty string, empty list, null): the site's way of saying
    /// "nothing here"; the message is its `errorMsg`.
    Empty(String),
    /// A non-JSON endpoint's body.
    Text(String),
}

struct ApiResponse {
    payload: Payload,
    set_cookies: Vec<(String, String)>,
}

/// Characters escaped in a URL path segment (RFC 3986 leaves unreserved ones and sub-delims).
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

static SCRAMBLE_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"var scramble_id = (\d+);").expect("static regex is valid"));

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Compares dotted versions numerically, missing parts as 0 (as the Python package does).
// Spec §6.2.7.
fn version_newer(candidate: &str, current: &str) -> bool {
    let parse = |v: &str| -> Vec<u64> {
        v.trim()
            .split('.')
            .map(|p| p.trim().parse().unwrap_or(0))
            .collect()
    };
    let (a, b) = (parse(candidate), parse(current));
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (
            a.get(i).copied().unwrap_or(0),
            b.get(i).copied().unwrap_or(0),
        );
        if x != y {
            return x > y;
        }
    }
    false
}

impl Client {
    /// A builder with the real site's defaults.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// The API domains in use, in order.
    pub fn api_domains(&self) -> Vec<String> {
        self.api_pool()
            .domains()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// The image domains in use, in order.
    pub fn image_domains(&self) -> Vec<String> {
        self.inner
            .images
            .domains()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// The app version currently sent in `tokenparam`.
    pub fn app_version(&self) -> String {
        self.inner.session.read().map_or_else(
            |e| e.into_inner().app_version.clone(),
            |s| s.app_version.clone(),
        )
    }

    fn api_pool(&self) -> Arc<DomainPool> {
        match self.inner.api.read() {
            Ok(p) => Arc::clone(&p),
            Err(e) => Arc::clone(&e.into_inner()),
        }
    }

    fn with_session<T>(&self, f: impl FnOnce(&mut Session) -> T) -> T {
        match self.inner.session.write() {
            Ok(mut s) => f(&mut s),
            Err(e) => f(&mut e.into_inner()),
        }
    }

    /// Fetches an album (`GET /album`). A chapter id is followed to its album.
    // Spec §6.2.5.
    pub async fn album(&self, id: JmId) -> Result<Album> {
        let mut asked = id;
        let mut renewed = false;
        let mut redirected = false;
        loop {
            let resp = self
                .api_call(Endpoint::Album, &[("id", asked.to_string())])
                .await?;
            let doc = match resp.payload {
                Payload::Data(v) => wire::album(&v),
                Payload::Empty(msg) => return Err(not_found(Kind::Album, id, msg)),
                Payload::Text(_) => unreachable_text(Endpoint::Album)?,
            };
            match doc {
                Err(MapError::Missing) => return Err(not_found(Kind::Album, id, String::new())),
                Err(MapError::Malformed(reason)) => {
                    return Err(Error::BadResponse {
                        url: Endpoint::Album.path().to_owned(),
                        reason,
                    });
                }
                Ok(AlbumDoc::ChapterOf { returned, album }) if returned == asked && !redirected => {
                    debug!(chapter = %asked, album = %album, "id names a chapter, following it to its album");
                    asked = album;
                    redirected = true;
                }
                Ok(AlbumDoc::Album(a)) if a.id == asked => return Ok(*a),
                Ok(other) => {
                    let got = match other {
                        AlbumDoc::Album(a) => a.id,
                        AlbumDoc::ChapterOf { returned, .. } => returned,
                    };
                    if renewed {
                        return Err(Error::Placeholder {
                            kind: Kind::Album,
                            requested: asked,
                            got: got.to_string(),
                        });
                    }
                    // Routine: a missing album is answered so too; if renewing does not help,
                    // the error says so.
                    info!(asked = %asked, got = %got, "the site answered with another album (its placeholder for clients without valid cookies); renewing the session");
                    self.renew_session().await?;
                    renewed = true;
                }
            }
        }
    }

    /// Fetches a chapter with its page list (`GET /chapter`) and scramble id (see
    /// [`Client::scramble_id`]).
    ///
    /// Both are fetched at once; what went wrong reading the scramble id is logged only when
    /// the chapter exists (for a missing chapter, "not found" is the whole story).
    // Spec §6.2.5, §6.2.6.
    pub async fn chapter(&self, id: JmId) -> Result<Chapter> {
        let (chapter, (scramble, notes)) =
            tokio::join!(self.chapter_detail(id), self.scramble_id_noting(id));
        let mut chapter = match chapter {
            Ok(c) => c,
            Err(e) => {
                for note in notes {
                    debug!(chapter = %id, "{note}");
                }
                return Err(e);
            }
        };
        for note in notes {
            warn!(chapter = %id, "{note}");
        }
        chapter.scramble_id = Some(scramble?);
        Ok(chapter)
    }

    /// Completes a chapter taken from [`Album::chapters`] with its page list and scramble
    /// id, keeping its album-given title and position (see [`Chapter::complete_with`]).
    pub async fn complete_chapter(&self, chapter: &mut Chapter) -> Result<()> {
        let fetched = self.chapter(chapter.id).await?;
        chapter.complete_with(fetched);
        Ok(())
    }

    async fn chapter_detail(&self, id: JmId) -> Result<Chapter> {
        let mut renewed = false;
        loop {
            let resp = self
                .api_call(Endpoint::Chapter, &[("id", id.to_string())])
                .await?;
            let doc = match resp.payload {
                Payload::Data(v) => wire::chapter(&v),
                Payload::Empty(msg) => return Err(not_found(Kind::Chapter, id, msg)),
                Payload::Text(_) => unreachable_text(Endpoint::Chapter)?,
            };
            match doc {
                Ok(c) if c.id == id => return Ok(c),
                Ok(c) => {
                    if renewed {
                        return Err(Error::Placeholder {
                            kind: Kind::Chapter,
                            requested: id,
                            got: c.id.to_string(),
                        });
                    }
                    // Routine: a missing chapter is answered so too; if renewing does not
                    // help, the error says so.
                    info!(asked = %id, got = %c.id, "the site answered with another chapter (its placeholder for clients without valid cookies); renewing the session");
                    self.renew_session().await?;
                    renewed = true;
                }
                Err(MapError::Missing) => return Err(not_found(Kind::Chapter, id, String::new())),
                Err(MapError::Malformed(reason)) => {
                    return Err(Error::BadResponse {
                        url: Endpoint::Chapter.path().to_owned(),
                        reason,
                    });
                }
            }
        }
    }

    /// The chapter's scramble id, read from its template page (`var scramble_id = N;` in
    /// `GET /chapter_view_template`).
    ///
    /// When the template states none, or refuses every secret tried, the usual value
    /// [`site::DEFAULT_SCRAMBLE_ID`] is assumed with a warning and marked as
    /// [`ScrambleSource::Assumed`] (the Python package falls back silently). Network failures
    /// are errors, not fallbacks.
    // Spec §6.2.6, W8.
    pub async fn scramble_id(&self, chapter: JmId) -> Result<ScrambleId> {
        let (result, notes) = self.scramble_id_noting(chapter).await;
        for note in notes {
            warn!(chapter = %chapter, "{note}");
        }
        result
    }

    /// [`Self::scramble_id`], with what went wrong on the way returned as sentences instead
    /// of logged (the caller knows whether they matter).
    async fn scramble_id_noting(&self, chapter: JmId) -> (Result<ScrambleId>, Vec<String>) {
        let mut notes = Vec::new();
        if let Some(s) = self.cached_scramble(chapter) {
            return (Ok(s), notes);
        }
        let secrets: &[&str] = match self.inner.cfg.template_secret {
            TemplateSecret::ContentThenNormal => &[site::CONTENT_TOKEN_SECRET, site::TOKEN_SECRET],
            TemplateSecret::Content => &[site::CONTENT_TOKEN_SECRET],
            TemplateSecret::Normal => &[site::TOKEN_SECRET],
        };
        for secret in secrets {
            let query = template_query(chapter);
            match self
                .api_call_signed(Endpoint::ChapterViewTemplate, &query, secret)
                .await
            {
                Ok(ApiResponse {
                    payload: Payload::Text(body),
                    ..
                }) => {
                    if let Some(value) = extract_scramble_id(&body) {
                        let s = ScrambleId {
                            value,
                            source: ScrambleSource::Site,
                        };
                        self.cache_scramble(chapter, s);
                        // A secret refused before this one is the expected fallback, not
                        // news for the user.
                        for note in notes {
                            debug!(chapter = %chapter, "{note}");
                        }
                        return (Ok(s), Vec::new());
                    }
                    debug!(chapter = %chapter, body = %truncate(&body, 200), "chapter template without a scramble id");
                    notes.push("the chapter template states no scramble id".to_owned());
                }
                Ok(_) => {}
                Err(e @ Error::Rejected { .. }) => {
                    notes.push(format!("the chapter template refused this signature: {e}"));
                }
                Err(Error::AllDomainsFailed { last, .. })
                    if matches!(*last, Error::Status { status: 404, .. }) =>
                {
                    notes.push("no domain serves the chapter template (HTTP 404)".to_owned());
                    break;
                }
                Err(e) => return (Err(e), notes),
            }
        }
        notes.push(format!(
            "could not read the chapter's scramble id; assuming the usual value {}: if its pages come out as shuffled strips, this is why",
            site::DEFAULT_SCRAMBLE_ID
        ));
        let s = ScrambleId {
            value: site::DEFAULT_SCRAMBLE_ID,
            source: ScrambleSource::Assumed,
        };
        self.cache_scramble(chapter, s);
        (Ok(s), notes)
    }

    fn cached_scramble(&self, chapter: JmId) -> Option<ScrambleId> {
        let map = self
            .inner
            .scramble
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(&chapter).copied()
    }

    fn cache_scramble(&self, chapter: JmId, s: ScrambleId) {
        let mut map = self
            .inner
            .scramble
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Bounded: a long-running process must not grow without limit (the Python cache is
        // unbounded, W8). Re-fetching a forgotten id costs one request.
        if map.len() >= 10_000 {
            map.clear();
        }
        map.insert(chapter, s);
    }

    /// Searches the site (`GET /search`). `main_tag`: 0 site, 1 work, 2 author, 3 tag,
    /// 4 character; `order`: `mr` latest, `mv` most viewed, `mp`, `tf`; `time`: `a` all, `t`
    /// today, `w` week, `m` month.
    // Spec §6.2.3.
    pub async fn search(
        &self,
        query: &str,
        page: u32,
        main_tag: u8,
        order: &str,
        time: &str,
    ) -> Result<SearchPage> {
        let params = [
            ("main_tag", main_tag.to_string()),
            ("search_query", query.to_owned()),
            ("page", page.max(1).to_string()),
            ("o", order.to_owned()),
            ("t", time.to_owned()),
        ];
        let resp = self.api_call(Endpoint::Search, &params).await?;
        match resp.payload {
            Payload::Data(v) => wire::search(&v, page.max(1)).map_err(|e| Error::BadResponse {
                url: Endpoint::Search.path().to_owned(),
                reason: match e {
                    MapError::Missing => "no search result object".to_owned(),
                    MapError::Malformed(r) => r,
                },
            }),
            Payload::Empty(_) => Ok(SearchPage {
                query: query.to_owned(),
                total: 0,
                page: page.max(1),
                items: Vec::new(),
                redirect: None,
            }),
            Payload::Text(_) => unreachable_text(Endpoint::Search),
        }
    }

    /// Downloads a page's bytes from the image CDN, trying every image domain.
    pub async fn image_bytes(&self, image: &Image) -> Result<Bytes> {
        self.image_bytes_checked(image, |_| Ok(())).await
    }

    /// Like [`Client::image_bytes`], but `check` inspects each body; a body it rejects
    /// counts as a bad response from that domain and the next one is tried. The download
    /// pipeline passes a cheap completeness check here.
    pub async fn image_bytes_checked<F>(&self, image: &Image, check: F) -> Result<Bytes>
    where
        F: Fn(&[u8]) -> std::result::Result<(), String>,
    {
        if !wire::is_fetchable_page_name(&image.file_name) {
            return Err(Error::BadResponse {
                url: format!("/media/photos/{}/", image.chapter_id),
                reason: format!(
                    "the site lists a page named {:?}, which is not a plain file name; it was not requested",
                    image.file_name
                ),
            });
        }
        // The name is percent-encoded as one path segment; the site's plain names
        // (`00001.webp`) are unchanged by it.
        let name = percent_encoding::utf8_percent_encode(&image.file_name, PATH_SEGMENT);
        let path = format!("/media/photos/{}/{name}", image.chapter_id);
        self.fetch_cdn(&path, &check).await
    }

    /// Downloads an album cover (`/media/albums/{id}{size}.jpg` on the image CDN; `size` is
    /// `""` or `"_3x4"`).
    // Spec §6.2.9.
    pub async fn cover_bytes(&self, album: JmId, size: &str) -> Result<Bytes> {
        let size = if size == "_3x4" { size } else { "" };
        let path = format!("/media/albums/{album}{size}.jpg");
        self.fetch_cdn(&path, &|_: &[u8]| Ok(())).await
    }

    async fn fetch_cdn(
        &self,
        path: &str,
        check: &(dyn Fn(&[u8]) -> std::result::Result<(), String> + '_),
    ) -> Result<Bytes> {
        let referer = self
            .api_pool()
            .domains()
            .first()
            .map(|d| d.base().to_owned())
            .unwrap_or_default();
        let result = self
            .with_domains(&self.inner.images, path, |domain| {
                let referer = referer.clone();
                async move {
                    let url = domain.url(path);
                    let mut headers = Self::base_headers();
                    for (k, v) in site::IMAGE_HEADERS {
                        headers.insert(*k, HeaderValue::from_static(v));
                    }
                    if let Ok(v) = HeaderValue::from_str(&referer) {
                        headers.insert(reqwest::header::REFERER, v);
                    }
                    self.add_user_headers(&mut headers);
                    self.add_cookies(&mut headers);
                    debug!(%url, "image");
                    let resp = self
                        .inner
                        .http
                        .get(&url)
                        .headers(headers)
                        .timeout(self.inner.cfg.image_timeout)
                        .send()
                        .await
                        .map_err(|e| Error::Transport {
                            url: url.clone(),
                            source: e,
                        })?;
                    let status = resp.status().as_u16();
                    let retry_after = retry_after(resp.headers());
                    let body = read_body(resp, &url, self.inner.cfg.max_image_body).await?;
                    check_status(status, &url, &body, retry_after, false)?;
                    if body.is_empty() {
                        return Err(Error::BadResponse {
                            url,
                            reason: "empty body".to_owned(),
                        });
                    }
                    check(&body).map_err(|reason| Error::BadResponse {
                        url: url.clone(),
                        reason,
                    })?;
                    Ok(body)
                }
            })
            .await;
        match result {
            Err(Error::AllDomainsFailed { attempts, .. })
                if !attempts.is_empty() && attempts.iter().all(|a| a.status == Some(404)) =>
            {
                Err(Error::ImageNotFound {
                    path: path.to_owned(),
                })
            }
            other => other,
        }
    }

    fn base_headers() -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in site::APP_HEADERS {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    fn add_user_headers(&self, h: &mut HeaderMap) {
        for (k, v) in &self.inner.user_headers {
            h.insert(k.clone(), v.clone());
        }
    }

    fn add_cookies(&self, h: &mut HeaderMap) {
        let session = match self.inner.session.read() {
            Ok(s) => s.cookies.clone(),
            Err(e) => e.into_inner().cookies.clone(),
        };
        let user = &self.inner.cfg.cookies;
        let mut parts: Vec<String> = session
            .iter()
            .filter(|(k, _)| !user.iter().any(|(uk, _)| uk == k))
            .chain(user.iter())
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        parts.retain(|p| !p.is_empty());
        if parts.is_empty() {
            return;
        }
        if let Ok(v) = HeaderValue::from_str(&parts.join("; ")) {
            h.insert(reqwest::header::COOKIE, v);
        }
    }

    /// Domain refresh and session cookies, once, before the first request that needs them.
    /// A failure is not remembered: the next request tries again (the Python package caches
    /// a failed refresh for the whole process).
    // Spec W5.
    async fn ensure_ready(&self) -> Result<()> {
        let mut state = self.inner.setup.lock().await;
        if !state.domains_checked {
            self.refresh_domains().await;
            state.domains_checked = true;
        }
        if !state.session_ready {
            self.bootstrap_session().await?;
            state.session_ready = true;
        }
        Ok(())
    }

    async fn renew_session(&self) -> Result<()> {
        let mut state = self.inner.setup.lock().await;
        self.bootstrap_session().await?;
        state.session_ready = true;
        Ok(())
    }

    /// `GET /setting`: session cookies and the current app version.
    // Spec §6.2.7.
    async fn bootstrap_session(&self) -> Result<()> {
        let resp = self
            .request(Endpoint::Setting, &[], site::TOKEN_SECRET)
            .await?;
        let announced = match &resp.payload {
            Payload::Data(v) => wire::text(v, "jm3_version"),
            _ => None,
        };
        let adopt = self.inner.cfg.adopt_site_version;
        self.with_session(|s| {
            if !resp.set_cookies.is_empty() {
                s.cookies = resp.set_cookies;
            }
            if let Some(v) = announced
                && adopt
                && version_newer(&v, &s.app_version)
            {
                info!(from = %s.app_version, to = %v, "the site announces a newer app version; using it");
                s.app_version = v;
            }
        });
        Ok(())
    }

    /// Asks the domain servers for the current API domains. Failures only log: the built-in
    /// list stays.
    // Spec §6.2.7.
    async fn refresh_domains(&self) {
        for url in &self.inner.cfg.domain_server_urls {
            match self.fetch_domain_server(url).await {
                Ok(list) if !list.is_empty() => {
                    info!(%url, domains = ?list, "API domains from the domain server");
                    let pool = Arc::new(DomainPool::new(list));
                    match self.inner.api.write() {
                        Ok(mut p) => *p = pool,
                        Err(e) => *e.into_inner() = pool,
                    }
                    return;
                }
                Ok(_) => warn!(%url, "domain server lists no domains"),
                Err(e) => warn!(%url, error = %e, "domain server failed"),
            }
        }
        warn!("no domain server answered; using the built-in API domains");
    }

    async fn fetch_domain_server(&self, url: &str) -> Result<Vec<Domain>> {
        let resp = self
            .inner
            .http
            .get(url)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| Error::Transport {
                url: url.to_owned(),
                source: e,
            })?;
        let status = resp.status().as_u16();
        let body = read_body(resp, url, 1 << 20).await?;
        check_status(status, url, &body, None, false)?;
        let bad = |reason: String| Error::BadResponse {
            url: url.to_owned(),
            reason,
        };
        let text = String::from_utf8_lossy(&body);
        let plain = crypto::decrypt_domain_server(&text, site::DOMAIN_SERVER_SECRET)
            .map_err(|e| bad(e.to_string()))?;
        let v: Value = serde_json::from_str(&plain).map_err(|e| bad(e.to_string()))?;
        let list: Vec<String> = match v.get("Server") {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        // Entries that do not parse are skipped rather than failing the whole list.
        Ok(list
            .iter()
            .filter_map(|d| Domain::parse(d).ok())
            .fold(Vec::new(), |mut acc, d| {
                if !acc.contains(&d) {
                    acc.push(d);
                }
                acc
            }))
    }

    /// An API request after set-up.
    async fn api_call(&self, ep: Endpoint, query: &[(&str, String)]) -> Result<ApiResponse> {
        self.api_call_signed(ep, query, site::TOKEN_SECRET).await
    }

    async fn api_call_signed(
        &self,
        ep: Endpoint,
        query: &[(&str, String)],
        secret: &str,
    ) -> Result<ApiResponse> {
        self.ensure_ready().await?;
        match self.request(ep, query, secret).await {
            // A rejected signature usually means a stale app version; `/setting` tells the
            // current one. Learn it once and retry if it changed.
            Err(rejected @ Error::Rejected { .. })
                if ep != Endpoint::ChapterViewTemplate && self.inner.cfg.adopt_site_version =>
            {
                let before = self.app_version();
                if self.bootstrap_session().await.is_ok() && self.app_version() != before {
                    return self.request(ep, query, secret).await;
                }
                Err(rejected)
            }
            other => other,
        }
    }

    /// One API request through the domain pool (no set-up).
    async fn request(
        &self,
        ep: Endpoint,
        query: &[(&str, String)],
        secret: &str,
    ) -> Result<ApiResponse> {
        let pool = self.api_pool();
        self.with_domains(&pool, ep.path(), |domain| {
            self.attempt(domain, ep, query, secret)
        })
        .await
    }

    async fn attempt(
        &self,
        domain: Domain,
        ep: Endpoint,
        query: &[(&str, String)],
        secret: &str,
    ) -> Result<ApiResponse> {
        // A fresh timestamp per request (spec W6: the Python package freezes one per
        // process); the same value signs the request and keys the response.
        let ts = now_secs();
        let mut query: Vec<(&str, String)> = query.to_vec();
        if ep == Endpoint::ChapterViewTemplate {
            query.push(("v", ts.to_string()));
        }
        let parsed = if query.is_empty() {
            reqwest::Url::parse(&domain.url(ep.path()))
        } else {
            reqwest::Url::parse_with_params(&domain.url(ep.path()), &query)
        };
        let url = parsed.map_err(|e| Error::InvalidDomain {
            domain: domain.to_string(),
            reason: e.to_string(),
        })?;
        let url_text = url.to_string();
        let mut headers = Self::base_headers();
        self.add_user_headers(&mut headers);
        let version = self.app_version();
        headers.insert(
            "token",
            HeaderValue::from_str(&crypto::token(ts, secret))
                .map_err(|e| Error::Build(e.to_string()))?,
        );
        headers.insert(
            "tokenparam",
            HeaderValue::from_str(&crypto::tokenparam(ts, &version))
                .map_err(|e| Error::Build(e.to_string()))?,
        );
        self.add_cookies(&mut headers);
        debug!(url = %url_text, "api");
        let resp = self
            .inner
            .http
            .get(url)
            .headers(headers)
            .timeout(self.inner.cfg.timeout)
            .send()
            .await
            .map_err(|e| Error::Transport {
                url: url_text.clone(),
                source: e,
            })?;
        let status = resp.status().as_u16();
        let retry_after = retry_after(resp.headers());
        let set_cookies = set_cookies(resp.headers());
        let body = read_body(resp, &url_text, self.inner.cfg.max_api_body).await?;
        check_status(
            status,
            &url_text,
            &body,
            retry_after,
            ep == Endpoint::ChapterViewTemplate,
        )?;
        let text = String::from_utf8_lossy(&body);
        check_error_pages(&text, &url_text)?;
        if !ep.is_json() {
            return Ok(ApiResponse {
                payload: Payload::Text(text.into_owned()),
                set_cookies,
            });
        }
        let envelope = parse_envelope(&text).ok_or_else(|| Error::BadResponse {
            url: url_text.clone(),
            reason: format!("not a JSON envelope: {}", truncate(&text, 120)),
        })?;
        let code = envelope.get("code").and_then(|c| match c {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        });
        let message = wire::text(&envelope, "errorMsg").unwrap_or_default();
        if message.contains(site::NOT_LEGAL_TEXT) {
            return Err(Error::Rejected {
                url: url_text,
                message,
            });
        }
        if code != Some(200) {
            return Err(Error::Api {
                url: url_text,
                code: code.unwrap_or(-1),
                message: if message.is_empty() {
                    truncate(&text, 200)
                } else {
                    message
                },
            });
        }
        let payload = match envelope.get("data") {
            Some(Value::String(data)) if !data.trim().is_empty() => {
                let plain = crypto::decrypt_data(data, ts).map_err(|e| Error::BadResponse {
                    url: url_text.clone(),
                    reason: format!("data could not be decrypted: {e}"),
                })?;
                let value: Value =
                    serde_json::from_str(&plain).map_err(|e| Error::BadResponse {
                        url: url_text.clone(),
                        reason: format!("decrypted data is not JSON: {e}"),
                    })?;
                Payload::Data(value)
            }
            // An object in the clear (never seen from the site, but harmless to accept).
            Some(v @ Value::Object(_)) => Payload::Data(v.clone()),
            _ => Payload::Empty(message),
        };
        Ok(ApiResponse {
            payload,
            set_cookies,
        })
    }

    /// Runs `attempt` over the pool's domains, round after round (see [`RetryPolicy`]):
    /// a failing domain hands over to the next at once; waiting happens only between rounds.
    async fn with_domains<T, F, Fut>(
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
        let policy = self.inner.cfg.retry;
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

/// `var scramble_id = N;` in a chapter template.
// Spec §6.2.6.
pub(crate) fn extract_scramble_id(body: &str) -> Option<u64> {
    SCRAMBLE_ID
        .captures(body)
        .and_then(|c| c.get(1))
        .and_then(|m| m.as_str().parse::<u64>().ok())
}

fn template_query(chapter: JmId) -> Vec<(&'static str, String)> {
    // Parameters of the chapter template (spec §6.2.3); `v` (the timestamp) is added per
    // attempt.
    vec![
        ("id", chapter.to_string()),
        ("mode", "vertical".to_owned()),
        ("page", "0".to_owned()),
        ("app_img_shunt", "1".to_owned()),
        ("express", "off".to_owned()),
    ]
}

fn not_found(kind: Kind, id: JmId, message: String) -> Error {
    Error::NotFound {
        kind,
        id,
        detail: (!message.trim().is_empty()).then_some(message),
    }
}

fn unreachable_text<T>(ep: Endpoint) -> Result<T> {
    Err(Error::BadResponse {
        url: ep.path().to_owned(),
        reason: "expected JSON, got text".to_owned(),
    })
}

fn truncate(text: &str, max_chars: usize) -> String {
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

/// Turns HTTP statuses into errors.
// Spec §6.2.8, §6.3.4.
fn check_status(
    status: u16,
    url: &str,
    body: &[u8],
    retry_after: Option<Duration>,
    signature_sensitive: bool,
) -> Result<()> {
    if (200..300).contains(&status) {
        return Ok(());
    }
    if status == 403 {
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
            reason: "forbidden: region blocked or crawler detected (spec §6.3.4)".to_owned(),
        });
    }
    Err(Error::Status {
        url: url.to_owned(),
        status,
        retry_after,
    })
}

/// The site's own error pages sent with HTTP 200: only short bodies are checked, as the
/// Python package does, so real content mentioning the words is safe.
// Spec §6.3.4.
fn check_error_pages(text: &str, url: &str) -> Result<()> {
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

/// Finds the JSON envelope in a body: the whole trimmed text, or else the first complete
/// object with a `code` key among the first few `{` positions. Unlike the Python fallback (a
/// non-greedy regex) this recovers nested objects surrounded by garbage.
// Spec §6.2.4, W16.
pub(crate) fn parse_envelope(text: &str) -> Option<Value> {
    let t = text.trim_start_matches('\u{feff}').trim();
    if let Ok(v @ Value::Object(_)) = serde_json::from_str::<Value>(t) {
        return Some(v);
    }
    for (start, _) in t.match_indices('{').take(16) {
        let mut stream = serde_json::Deserializer::from_str(&t[start..]).into_iter::<Value>();
        if let Some(Ok(v @ Value::Object(_))) = stream.next()
            && v.get("code").is_some()
        {
            return Some(v);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_recovery() {
        let v = parse_envelope("\u{feff} {\"code\":200,\"data\":\"x\"} ").unwrap();
        assert_eq!(v["code"], 200);
        let v =
            parse_envelope("garbage<br>{\"code\":200,\"data\":{\"a\":{\"b\":1}}}trailing").unwrap();
        assert_eq!(v["data"]["a"]["b"], 1);
        assert!(parse_envelope("<html>nope</html>").is_none());
        assert!(parse_envelope("").is_none());
    }

    #[test]
    fn versions() {
        assert!(version_newer("2.1.13", "2.1.12"));
        assert!(version_newer("2.2", "2.1.12"));
        assert!(!version_newer("2.1.12", "2.1.12"));
        assert!(!version_newer("2.1", "2.1.0"));
        assert!(!version_newer("garbage", "2.1.12"));
    }

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
