//! The site's web pages: HTML read with a browser-grade parser, and the site's ajax
//! endpoints answering JSON.
//!
//! * this module: [`HtmlProtocol`], its requests through the shared transport (browser
//!   headers, cookies, the checks of every answer: statuses, Cloudflare, the region block,
//!   the redirects to the site's error pages), and the [`Site`] methods reading pages;
//! * [`pages`]: album, chapter, search and category, favourites and home pages turned into
//!   model entities;
//! * [`comments`]: the comment HTML of the ajax answers, a DOM walk;
//! * [`account`]: login, favourite changes, posting comments, the daily check-in;
//! * [`discovery`]: finding the web domains when none are configured.
//!
//! The pages are read by what identifies their parts (ids, classes, attributes, the labels
//! next to the values), not by the exact text around them, so whitespace, attribute order,
//! full- or half-width colons and character references do not matter (the Python
//! package's regexes break on each). Only what defines an entity is required (an
//! album's id and title, a chapter's page list, the result list of a search); a missing
//! detail gets a default and a debug log, a missing required part a
//! [`Error::BadResponse`](crate::Error::BadResponse) naming it and the URL.

// Spec §6.3; W14 (the fragile regexes).

/// Lazily built selectors and regexes, from their static text:
/// `statics! { NAME: Selector = ".css"; OTHER: Regex = r"re"; }`.
macro_rules! statics {
    ($($name:ident: $kind:ident = $src:expr;)*) => {
        $(static $name: std::sync::LazyLock<$kind> =
            std::sync::LazyLock::new(|| <$kind as FromStatic>::from_static($src));)*
    };
}

mod account;
pub(crate) mod comments;
mod discovery;
pub(crate) mod pages;

use std::sync::{Arc, PoisonError, RwLock};

use jmcomic_model::{
    Album, Chapter, CheckIn, CommentPage, DailyEvent, FavoritePage, JmId, Kind, ScrambleId,
    ScrambleSource, SearchItem, SearchPage, User,
};
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::Value;
use tracing::{debug, warn};

use crate::domain::{Domain, DomainPool};
use crate::error::{Error, Result};
use crate::protocol::{FavoriteRequest, Site};
use crate::query::{Category, CategoryQuery, CommentTarget, FavoriteQuery, SearchQuery};
use crate::site::{self, WebEndpoint};
use crate::transport::{Reply, Role, Transport, check_error_pages, check_status, truncate};

/// The web protocol: its domains (configured or discovered) and settings. The transport
/// (HTTP, retry engine, cookies and session) is shared with the CDN.
pub(crate) struct HtmlProtocol {
    net: Arc<Transport>,
    /// The web domains; set once by discovery when none were configured.
    domains: RwLock<Arc<DomainPool>>,
    /// Whether the domains are settled (configured, or discovery ran).
    settled: tokio::sync::Mutex<bool>,
    discovery_urls: Vec<String>,
    /// Whether the CDN host the chapter pages name goes first among the image hosts (when
    /// none were configured: the page knows the current host better than a built-in list).
    adopt_page_cdn: bool,
    /// The web domain to start from (one that worked in an earlier run).
    preferred: Option<Domain>,
}

/// What the web protocol takes from the [`crate::ClientBuilder`].
pub(crate) struct HtmlSettings {
    /// Configured web domains; empty: discover them.
    pub(crate) domains: Vec<Domain>,
    /// Where to discover them (empty: the built-in list, [`site::HTML_DOMAINS`]).
    pub(crate) discovery_urls: Vec<String>,
    /// Whether no image hosts were configured.
    pub(crate) adopt_page_cdn: bool,
    /// The web domain to start from, when it is among the domains.
    pub(crate) preferred: Option<Domain>,
}

/// What a request is about, so that an error page can be told as what it means.
#[derive(Clone, Copy, Debug)]
enum Asked {
    Album(JmId),
    Chapter(JmId),
    /// A page of this account ("the favourites").
    Account(&'static str),
    Other,
}

/// A request to one web domain: path (with query), and a form for a POST.
struct Request<'a> {
    path: &'a str,
    form: Option<&'a [(&'a str, String)]>,
    asked: Asked,
}

/// A page that passed the checks.
struct Page {
    /// Where the page came from (after redirects).
    url: String,
    text: String,
}

impl HtmlProtocol {
    pub(crate) fn new(net: Arc<Transport>, settings: HtmlSettings) -> Self {
        let settled = !settings.domains.is_empty();
        Self {
            net,
            domains: RwLock::new(Arc::new(DomainPool::starting_at(
                settings.domains,
                settings.preferred.as_ref(),
            ))),
            settled: tokio::sync::Mutex::new(settled),
            discovery_urls: settings.discovery_urls,
            adopt_page_cdn: settings.adopt_page_cdn,
            preferred: settings.preferred,
        }
    }

    /// The web domain that last answered well, if one did.
    pub(crate) fn last_good(&self) -> Option<String> {
        self.snapshot().last_good().map(ToString::to_string)
    }

    /// The web domains as they are now (empty until discovery, when none were configured).
    pub(crate) fn domains(&self) -> Vec<String> {
        self.snapshot()
            .domains()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    fn snapshot(&self) -> Arc<DomainPool> {
        Arc::clone(&self.domains.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// The web domains, discovered first if none were configured (once per client; the
    /// built-in list when discovery finds nothing).
    // Spec §6.3.1.
    async fn pool(&self) -> Result<Arc<DomainPool>> {
        let mut settled = self.settled.lock().await;
        if !*settled {
            let mut found = discovery::discover(&self.net, &self.discovery_urls).await;
            if found.is_empty() {
                if !self.discovery_urls.is_empty() {
                    warn!(
                        "could not find the web site's current domains from {}; trying the built-in list (set `client.domain.html` to choose)",
                        self.discovery_urls.join(", ")
                    );
                }
                found = Domain::parse_list(site::HTML_DOMAINS)?;
            } else {
                debug!(domains = ?found, "web domains discovered");
            }
            *self.domains.write().unwrap_or_else(PoisonError::into_inner) =
                Arc::new(DomainPool::starting_at(found, self.preferred.as_ref()));
            *settled = true;
        }
        drop(settled);
        Ok(self.snapshot())
    }

    /// Headers of image requests: the browser's, naming the first web domain.
    // Spec §6.3.2.
    pub(crate) fn image_headers(&self) -> HeaderMap {
        let base = self.snapshot().domains().first().map_or_else(
            || format!("https://{}", site::HTML_IMAGE_REFERER_DOMAIN),
            |d| d.base().to_owned(),
        );
        browser_headers(&base)
    }

    /// Fetches a page (GET, redirects followed) from the web domains, checked (see
    /// [`check_page`]) and read by `read`. What `read` refuses counts as a bad answer of
    /// that domain, and the next one is tried (a mirror serving something else than the
    /// site's page).
    async fn page<T>(
        &self,
        path: &str,
        asked: Asked,
        read: impl Fn(&Page) -> Result<T> + Sync,
    ) -> Result<T> {
        self.fetch(
            Request {
                path,
                form: None,
                asked,
            },
            read,
        )
        .await
    }

    /// POSTs a form to an ajax endpoint and reads its JSON answer.
    async fn ajax(&self, path: &str, form: &[(&str, String)], asked: Asked) -> Result<Value> {
        self.fetch(
            Request {
                path,
                form: Some(form),
                asked,
            },
            parse_json,
        )
        .await
    }

    /// GETs an ajax endpoint and reads its JSON answer.
    async fn ajax_get(&self, path: &str, asked: Asked) -> Result<Value> {
        self.page(path, asked, parse_json).await
    }

    async fn fetch<T>(
        &self,
        request: Request<'_>,
        read: impl Fn(&Page) -> Result<T> + Sync,
    ) -> Result<T> {
        let pool = self.pool().await?;
        let net = &self.net;
        let (request, read) = (&request, &read);
        net.with_domains(&pool, request.path, |domain| async move {
            let url = domain.url(request.path);
            let mut headers = browser_headers(domain.base());
            net.add_user_headers(&mut headers);
            net.add_cookies(&mut headers);
            debug!(%url, post = request.form.is_some(), "web");
            let builder = match request.form {
                Some(form) => net.http().post(&url).form(form),
                None => net.http().get(&url),
            };
            let reply = net
                .send(
                    Role::Api,
                    builder.headers(headers).timeout(net.limits.timeout),
                    &url,
                    net.limits.max_body,
                )
                .await?;
            self.keep_cookies(&reply);
            let text = check_page(&reply, &url, request.path, request.asked)?;
            read(&Page {
                url: reply.url,
                text,
            })
        })
        .await
    }

    /// Takes the cookies a web answer sets (a browser keeps every one).
    fn keep_cookies(&self, reply: &Reply) {
        if !reply.set_cookies.is_empty() {
            self.net
                .session
                .write(|s| s.merge_cookies(reply.set_cookies.clone()));
        }
    }

    /// Reads a chapter page; puts the CDN host it names first among the image hosts when
    /// none were configured.
    async fn photo_page(&self, id: JmId) -> Result<pages::PhotoPage> {
        let path = fill(WebEndpoint::Photo, "{id}", &id.to_string());
        let photo = self
            .page(&path, Asked::Chapter(id), |p| {
                pages::photo(&p.text, &p.url, id)
            })
            .await?;
        if self.adopt_page_cdn
            && let Some(cdn) = &photo.cdn
        {
            self.net.prefer_image_domain(cdn);
        }
        Ok(photo)
    }

    /// One page of search results or of a category listing.
    async fn listing(&self, path: &str, text: &str, page: u32) -> Result<SearchPage> {
        self.page(path, Asked::Other, |fetched| {
            // An exact album id is answered with the album page (spec §6.3.3 "search
            // redirect").
            if let Ok(u) = url::Url::parse(&fetched.url)
                && u.path().starts_with("/album/")
            {
                let album = pages::album(&fetched.text, &fetched.url)?;
                return Ok(SearchPage {
                    query: text.to_owned(),
                    total: 1,
                    page,
                    items: vec![SearchItem {
                        id: album.id,
                        name: album.name.clone(),
                        author: album.authors.first().cloned().unwrap_or_default(),
                        tags: album.tags.clone(),
                    }],
                    redirect: Some(album.id),
                });
            }
            pages::listing(&fetched.text, &fetched.url, text, page)
        })
        .await
    }
}

impl Site for HtmlProtocol {
    /// `GET /album/{id}` (a chapter id is redirected to its album by the site).
    // Spec §6.3.3, §6.3.5.
    async fn album(&self, id: JmId) -> Result<Album> {
        let path = fill(WebEndpoint::Album, "{id}", &id.to_string());
        let album = self
            .page(&path, Asked::Album(id), |p| pages::album(&p.text, &p.url))
            .await?;
        if album.id != id {
            debug!(asked = %id, album = %album.id, "the site answered with the album of this chapter");
        }
        Ok(album)
    }

    /// `GET /photo/{id}`: page list, scramble id and the chapter's place in its album.
    // Spec §6.3.3, §6.3.5.
    async fn chapter(&self, id: JmId) -> Result<Chapter> {
        let photo = self.photo_page(id).await?;
        if photo.chapter.id != id {
            return Err(Error::Placeholder {
                kind: Kind::Chapter,
                requested: id,
                got: photo.chapter.id.to_string(),
            });
        }
        let scramble = scramble_of(&photo);
        let mut chapter = photo.chapter;
        chapter.scramble_id = Some(scramble);
        Ok(chapter)
    }

    /// The scramble id stated by the chapter page (`var scramble_id = N;`); the usual
    /// value, marked assumed, when it states none.
    // Spec §6.3.5, W8.
    async fn scramble_id(&self, chapter: JmId) -> Result<ScrambleId> {
        Ok(scramble_of(&self.photo_page(chapter).await?))
    }

    /// `GET /search/photos[/{category}[/sub/{sub}]]?main_tag=&search_query=&page=&o=&t=`.
    // Spec §6.3.3, §6.3.5.
    async fn search(&self, query: &SearchQuery) -> Result<SearchPage> {
        let page = query.page.max(1);
        let params = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("main_tag", &query.by.main_tag().to_string())
            .append_pair("search_query", &query.text)
            .append_pair("page", &page.to_string())
            .append_pair("o", query.order.as_wire())
            .append_pair("t", query.time.as_wire())
            .finish();
        let path = format!(
            "{}?{params}",
            listing_path(
                WebEndpoint::Search,
                query.category,
                query.sub_category.as_deref()
            )
        );
        self.listing(&path, &query.text, page).await
    }

    /// `GET /albums[/{category}[/sub/{sub}]]?page=&o=&t=`.
    // Spec §6.3.3, §6.3.5.
    async fn categories(&self, query: &CategoryQuery) -> Result<SearchPage> {
        let page = query.page.max(1);
        let params = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("page", &page.to_string())
            .append_pair("o", query.order.as_wire())
            .append_pair("t", query.time.as_wire())
            .finish();
        let path = format!(
            "{}?{params}",
            listing_path(
                WebEndpoint::Categories,
                query.category,
                query.sub_category.as_deref()
            )
        );
        self.listing(&path, "", page).await
    }

    async fn login(&self, username: &str, password: &str) -> Result<User> {
        self.login_form(username, password).await
    }

    async fn favorites(&self, query: &FavoriteQuery) -> Result<FavoritePage> {
        self.favorites_page(query).await
    }

    async fn favorite_request(&self, album: JmId, change: FavoriteRequest) -> Result<()> {
        self.change_favorite(album, change).await
    }

    async fn comments(&self, target: CommentTarget, page: u32) -> Result<CommentPage> {
        self.comments_page(target, page).await
    }

    async fn post_comment(&self, album: JmId, text: &str, reply_to: Option<u64>) -> Result<u64> {
        self.comment(album, text, reply_to).await
    }

    async fn daily(&self) -> Result<DailyEvent> {
        self.daily_event().await
    }

    async fn check_in(&self) -> Result<CheckIn> {
        self.sign_daily().await
    }
}

/// The page's scramble id, or the usual one with a warning (as the API protocol does when
/// the chapter template states none).
fn scramble_of(photo: &pages::PhotoPage) -> ScrambleId {
    if let Some(value) = photo.scramble {
        return ScrambleId {
            value,
            source: ScrambleSource::Site,
        };
    }
    warn!(
        chapter = %photo.chapter.id,
        "the chapter page states no scramble id; assuming the usual value {}: if its pages come out as shuffled strips, this is why",
        site::DEFAULT_SCRAMBLE_ID
    );
    ScrambleId {
        value: site::DEFAULT_SCRAMBLE_ID,
        source: ScrambleSource::Assumed,
    }
}

/// What [`statics!`] builds: a selector or regex from text known to be valid.
trait FromStatic {
    fn from_static(text: &'static str) -> Self;
}

impl FromStatic for scraper::Selector {
    fn from_static(text: &'static str) -> Self {
        scraper::Selector::parse(text).expect("static selector is valid")
    }
}

impl FromStatic for regex::Regex {
    fn from_static(text: &'static str) -> Self {
        regex::Regex::new(text).expect("static regex is valid")
    }
}

/// The browser's headers for a request to the web domain `base` (`scheme://host[:port]`).
// Spec §6.3.2.
fn browser_headers(base: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in site::BROWSER_HEADERS {
        h.insert(*k, HeaderValue::from_static(v));
    }
    if let Ok(v) = HeaderValue::from_str(base) {
        h.insert(reqwest::header::ORIGIN, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("{base}/")) {
        h.insert(reqwest::header::REFERER, v);
    }
    h
}

/// An endpoint's path with its placeholder filled (percent-encoded as a path segment).
fn fill(endpoint: WebEndpoint, placeholder: &str, value: &str) -> String {
    let encoded = percent_encoding::utf8_percent_encode(value, SEGMENT).to_string();
    endpoint.path().replace(placeholder, &encoded)
}

/// Characters escaped in a path segment: everything but RFC 3986's unreserved ones.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `/search/photos` or `/albums`, plus `/{category}` unless it is "all", plus `/sub/{sub}`
/// when given.
// Spec §6.3.3 (category path rule).
fn listing_path(endpoint: WebEndpoint, category: Category, sub: Option<&str>) -> String {
    let mut path = endpoint.path().to_owned();
    if category != Category::All {
        path.push('/');
        path.push_str(category.as_wire());
        if let Some(sub) = sub.map(str::trim).filter(|s| !s.is_empty()) {
            path.push_str("/sub/");
            path.push_str(&percent_encoding::utf8_percent_encode(sub, SEGMENT).to_string());
        }
    }
    path
}

/// The checks of a web answer: a Cloudflare challenge, the status, the site's short error
/// bodies, and redirects to its error pages. Returns the body as text.
// Spec §6.3.4.
fn check_page(reply: &Reply, url: &str, requested_path: &str, asked: Asked) -> Result<String> {
    let text = String::from_utf8_lossy(&reply.body).into_owned();
    // Cloudflare answers its challenge with 403 (handled by `check_status`) and sometimes
    // 503 or 429; the page says what it is better than the status.
    if !(200..300).contains(&reply.status)
        && reply.status != 403
        && text.contains(site::CLOUDFLARE_CHALLENGE_TEXT)
    {
        return Err(Error::Blocked {
            url: url.to_owned(),
            status: reply.status,
            reason: "Cloudflare challenge (\"Just a moment...\"): this IP or client is flagged; try another domain or a proxy".to_owned(),
        });
    }
    check_status(reply, url, false)?;
    check_error_pages(&text, url)?;
    check_error_redirect(&reply.url, url, requested_path, asked)?;
    Ok(text)
}

/// A redirect to one of the site's error pages, as what it means for the request.
// Spec §6.3.4 step 4.
fn check_error_redirect(
    final_url: &str,
    url: &str,
    requested_path: &str,
    asked: Asked,
) -> Result<()> {
    let Ok(parsed) = url::Url::parse(final_url) else {
        return Ok(());
    };
    let path = parsed.path().trim_end_matches('/');
    if !path.starts_with("/error/") || requested_path.starts_with("/error/") {
        return Ok(());
    }
    let detail = Some(format!("the site redirected to {path}"));
    Err(match (path, asked) {
        (site::ERROR_ALBUM_MISSING, Asked::Album(id)) => Error::NotFound {
            kind: Kind::Album,
            id,
            detail,
        },
        (site::ERROR_ALBUM_MISSING, Asked::Chapter(id)) => Error::NotFound {
            kind: Kind::Chapter,
            id,
            detail,
        },
        (site::ERROR_USER_MISSING, asked) => Error::NeedsLogin {
            what: match asked {
                Asked::Account(what) => what.to_owned(),
                _ => "this page".to_owned(),
            },
            reason: format!("the site does not know the user, or the session has ended ({path})"),
        },
        (site::ERROR_INVALID_MODULE, _) => Error::InvalidQuery {
            url: url.to_owned(),
            message: format!(
                "the site does not serve this page ({path}); check the category and sub-category"
            ),
        },
        _ => Error::BadResponse {
            url: url.to_owned(),
            reason: format!("the site redirected to its error page {path}"),
        },
    })
}

/// The JSON of an ajax answer (PHP writes it with `\uXXXX` escapes; a BOM may lead).
fn parse_json(page: &Page) -> Result<Value> {
    let text = page.text.trim_start_matches('\u{feff}').trim();
    serde_json::from_str(text).map_err(|e| Error::BadResponse {
        url: page.url.clone(),
        reason: format!("expected JSON ({e}), got {:?}", truncate(text, 200)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_paths() {
        assert_eq!(
            listing_path(WebEndpoint::Search, Category::All, Some("CG")),
            "/search/photos"
        );
        assert_eq!(
            listing_path(WebEndpoint::Search, Category::Doujin, Some("CG")),
            "/search/photos/doujin/sub/CG"
        );
        assert_eq!(
            listing_path(WebEndpoint::Categories, Category::ThreeD, None),
            "/albums/3D"
        );
        assert_eq!(
            fill(WebEndpoint::Favorites, "{username}", "讀者 a/b"),
            "/user/%E8%AE%80%E8%80%85%20a%2Fb/favorite/albums"
        );
    }

    #[test]
    fn error_redirects_say_what_they_mean() {
        let id = JmId::new(7);
        let e = check_error_redirect(
            "http://h/error/album_missing",
            "http://h/photo/7",
            "/photo/7",
            Asked::Chapter(id),
        )
        .unwrap_err();
        assert!(
            matches!(
                e,
                Error::NotFound {
                    kind: Kind::Chapter,
                    ..
                }
            ),
            "{e:?}"
        );
        let e = check_error_redirect(
            "http://h/error/user_missing",
            "u",
            "/user/x/favorite/albums",
            Asked::Account("the favourites"),
        )
        .unwrap_err();
        assert!(
            e.needs_login() && e.to_string().contains("the favourites"),
            "{e}"
        );
        let e = check_error_redirect(
            "http://h/error/invalid_module",
            "u",
            "/albums/x",
            Asked::Other,
        )
        .unwrap_err();
        assert!(matches!(e, Error::InvalidQuery { .. }), "{e:?}");
        assert!(
            check_error_redirect("http://h/album/7/", "u", "/album/7", Asked::Album(id)).is_ok()
        );
        assert!(check_error_redirect("http://h/error/x", "u", "/error/x", Asked::Other).is_ok());
    }
}
