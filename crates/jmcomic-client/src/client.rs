//! The mobile-API client: the request engine, and one method per endpoint.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use jmcomic_model::{Album, Chapter, Image, JmId, Kind, ScrambleId, ScrambleSource, SearchPage};
use regex::Regex;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::Value;
use tracing::{debug, info, warn};

use crate::crypto;
use crate::domain::Domain;
use crate::error::{Error, Result};
use crate::site::{self, Endpoint, TemplateSecret};
use crate::transport::{Transport, check_error_pages, check_status, truncate};
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
    pub(crate) transport: Transport,
    pub(crate) cfg: ClientBuilder,
    pub(crate) setup: tokio::sync::Mutex<SetupState>,
    /// Scramble ids by chapter, per client; the Python cache is global and keyed by album
    /// too, assuming all chapters of an album share one.
    // Spec §6.2.6, W8.
    pub(crate) scramble: Mutex<HashMap<JmId, ScrambleId>>,
}

pub(crate) struct SetupState {
    pub(crate) domains_checked: bool,
    pub(crate) session_ready: bool,
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

impl Client {
    /// A builder with the real site's defaults.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// The API domains in use, in order.
    pub fn api_domains(&self) -> Vec<String> {
        self.inner
            .transport
            .api_pool()
            .domains()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// The image domains in use, in order.
    pub fn image_domains(&self) -> Vec<String> {
        self.inner
            .transport
            .images()
            .domains()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// The app version currently sent in `tokenparam`.
    pub fn app_version(&self) -> String {
        self.inner.transport.session.app_version()
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
        let t = &self.inner.transport;
        let referer = t
            .api_pool()
            .domains()
            .first()
            .map(|d| d.base().to_owned())
            .unwrap_or_default();
        let result = t
            .with_domains(t.images(), path, |domain| {
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
                    t.add_user_headers(&mut headers);
                    t.add_cookies(&mut headers);
                    debug!(%url, "image");
                    let request = t
                        .http()
                        .get(&url)
                        .headers(headers)
                        .timeout(t.limits.image_timeout);
                    let reply = t.send(request, &url, t.limits.max_image_body).await?;
                    check_status(&reply, &url, false)?;
                    let body = reply.body;
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
        self.inner.transport.session.write(|s| {
            if !resp.set_cookies.is_empty() {
                s.cookies = resp.set_cookies;
            }
            if let Some(v) = announced
                && adopt
            {
                s.offer_app_version(v);
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
                    self.inner.transport.set_api_domains(list);
                    return;
                }
                Ok(_) => warn!(%url, "domain server lists no domains"),
                Err(e) => warn!(%url, error = %e, "domain server failed"),
            }
        }
        warn!("no domain server answered; using the built-in API domains");
    }

    async fn fetch_domain_server(&self, url: &str) -> Result<Vec<Domain>> {
        let t = &self.inner.transport;
        let request = t.http().get(url).timeout(Duration::from_secs(10));
        let reply = t.send(request, url, 1 << 20).await?;
        check_status(&reply, url, false)?;
        let body = reply.body;
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
        let pool = self.inner.transport.api_pool();
        self.inner
            .transport
            .with_domains(&pool, ep.path(), |domain| {
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
        let t = &self.inner.transport;
        let mut headers = Self::base_headers();
        t.add_user_headers(&mut headers);
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
        t.add_cookies(&mut headers);
        debug!(url = %url_text, "api");
        let request = t.http().get(url).headers(headers).timeout(t.limits.timeout);
        let reply = t.send(request, &url_text, t.limits.max_body).await?;
        check_status(&reply, &url_text, ep == Endpoint::ChapterViewTemplate)?;
        let set_cookies = reply.set_cookies;
        let text = String::from_utf8_lossy(&reply.body);
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
}
