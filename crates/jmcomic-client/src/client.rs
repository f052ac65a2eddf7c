//! The [`Client`] handle: what it holds, its accessors, and the entity methods, which go to
//! the protocol it speaks.

use std::collections::HashSet;
use std::sync::Arc;

use futures::Stream;
use jmcomic_model::{
    Album, Chapter, CheckIn, CommentPage, DailyEvent, FavoritePage, JmId, ScrambleId, SearchPage,
    User,
};
use serde::Serialize;
use tracing::info;

use crate::domain::DomainPool;
use crate::error::{Error, Result};
use crate::memory::DomainMemory;
use crate::protocol::{FavoriteRequest, Protocol, ProtocolKind, Site};
use crate::query::{CategoryQuery, CommentTarget, FavoriteQuery, Ranking, SearchQuery};
use crate::session::SavedSession;
use crate::transport::Transport;

pub use crate::builder::{ClientBuilder, Proxy};

/// A client of the site, speaking the protocol chosen on the builder (the mobile API by
/// default), and of its image CDN.
///
/// Cheap to clone (a handle). Every method is cancel-safe: dropping a future abandons the
/// request and leaves the client usable. Its `Debug` output hides cookies.
///
/// ```no_run
/// # async fn run() -> Result<(), jmcomic_client::Error> {
/// use std::time::Duration;
///
/// use jmcomic_client::{Client, Order, SearchBy, SearchQuery, Time};
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
/// // Page 1 of a search among authors, most viewed this week first.
/// let query = SearchQuery::new("MANA").by(SearchBy::Author).order(Order::MostViewed).time(Time::Week);
/// let results = client.search(&query).await?;
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

/// What a [`Client`] handle points to.
pub(crate) struct Inner {
    /// HTTP, domain pools, retry engine, session: shared by the protocol and the CDN.
    pub(crate) transport: Arc<Transport>,
    /// The protocol entity requests go to.
    pub(crate) protocol: Protocol,
    /// The settings it was built with (shown by `Debug`, secrets hidden).
    pub(crate) cfg: ClientBuilder,
    /// Held while a favourite is looked at, changed and checked, so two calls of one client
    /// never toggle the same state at once.
    pub(crate) favorites: tokio::sync::Mutex<()>,
}

/// What [`Client::add_favorite`] or [`Client::remove_favorite`] did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct FavoriteChange {
    /// The album (a chapter id given is resolved to it).
    pub album: JmId,
    /// Whether the album is in the favourites now (what was asked).
    pub favorite: bool,
    /// Whether it had to change (false: it already was as asked).
    pub changed: bool,
}

/// Whether a listing has a page after page `page` (0 read as 1) of `count`; an empty page
/// ends it whatever the count says.
fn has_next(page: u32, empty: bool, count: u64) -> bool {
    !empty && u64::from(page.max(1)) < count
}

/// How many times a favourite is changed and checked again before giving up: the site's
/// toggle can be flipped back by another client at the same moment. With the random waits
/// of [`Client::set_favorite`], two clients racing still collide at every one of these
/// tries about once in 10^5 races (three tries: about once in 30, measured).
const FAVORITE_TRIES: u32 = 5;

impl Client {
    /// A builder with the real site's defaults.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// The protocol this client speaks.
    pub fn protocol(&self) -> ProtocolKind {
        self.inner.protocol.kind()
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

    /// The web domains in use, in order (web protocol only: empty for the API; empty until
    /// the first request when they are discovered, see
    /// [`ClientBuilder::html_domains`]).
    pub fn html_domains(&self) -> Vec<String> {
        self.inner.protocol.html_domains()
    }

    /// What this client learnt about the domains, to be handed to the next client
    /// ([`ClientBuilder::domain_memory`]), e.g. in a later run: the API, image and web
    /// domains that last answered well, and the domain-server answer in use. Where this
    /// client learnt nothing (it never used the CDN, say), what it was given is handed on.
    // Issue 12 item 4.
    pub fn domain_memory(&self) -> DomainMemory {
        let t = &self.inner.transport;
        let given = &self.inner.cfg.memory;
        let good = |pool: &DomainPool| pool.last_good().map(ToString::to_string);
        DomainMemory {
            api: good(&t.api_pool()).or_else(|| given.api.clone()),
            image: good(&t.images()).or_else(|| given.image.clone()),
            html: self
                .inner
                .protocol
                .html_last_good()
                .or_else(|| given.html.clone()),
            refresh: t.refreshed().or_else(|| given.refresh.clone()),
        }
    }

    /// The app version currently sent in `tokenparam`.
    pub fn app_version(&self) -> String {
        self.inner.transport.session.app_version()
    }

    /// Fetches an album (with the API protocol, `GET /album`). A chapter id is followed to
    /// its album.
    // Spec §6.2.5.
    pub async fn album(&self, id: JmId) -> Result<Album> {
        self.inner.protocol.album(id).await
    }

    /// Fetches a chapter with its page list (with the API protocol, `GET /chapter`) and
    /// scramble id (see [`Client::scramble_id`]).
    ///
    /// Both are fetched at once; what went wrong reading the scramble id is logged only when
    /// the chapter exists (for a missing chapter, "not found" is the whole story).
    // Spec §6.2.5, §6.2.6.
    pub async fn chapter(&self, id: JmId) -> Result<Chapter> {
        self.inner.protocol.chapter(id).await
    }

    /// Completes a chapter taken from [`Album::chapters`] with its page list and scramble
    /// id, keeping its album-given title and position (see [`Chapter::complete_with`]).
    pub async fn complete_chapter(&self, chapter: &mut Chapter) -> Result<()> {
        let fetched = self.chapter(chapter.id).await?;
        chapter.complete_with(fetched);
        Ok(())
    }

    /// The chapter's scramble id, read from its template page (with the API protocol,
    /// `var scramble_id = N;` in `GET /chapter_view_template`).
    ///
    /// When the template states none, or refuses every secret tried, the usual value
    /// [`crate::site::DEFAULT_SCRAMBLE_ID`] is assumed with a warning and marked as
    /// [`jmcomic_model::ScrambleSource::Assumed`] (the Python package falls back silently). Network failures
    /// are errors, not fallbacks.
    // Spec §6.2.6, W8.
    pub async fn scramble_id(&self, chapter: JmId) -> Result<ScrambleId> {
        self.inner.protocol.scramble_id(chapter).await
    }

    /// One page of search results (with the API protocol, `GET /search`). An exact album id
    /// as the text is answered with that album's id in [`SearchPage::redirect`].
    // Spec §6.2.3.
    pub async fn search(&self, query: &SearchQuery) -> Result<SearchPage> {
        self.inner.protocol.search(query).await
    }
    /// One page of a category listing or ranking (with the API protocol,
    /// `GET /categories/filter`).
    // Spec §6.2.3, §6.3.3.
    pub async fn categories(&self, query: &CategoryQuery) -> Result<SearchPage> {
        self.inner.protocol.categories(query).await
    }

    /// Page `page` of a ranking: the most viewed albums of the day, week or month.
    pub async fn ranking(&self, ranking: Ranking, page: u32) -> Result<SearchPage> {
        self.categories(&CategoryQuery::ranking(ranking).page(page))
            .await
    }

    /// Every page of a search from `query.page` on, one after the other, until the last.
    ///
    /// ```no_run
    /// # async fn run(client: jmcomic_client::Client) -> Result<(), jmcomic_client::Error> {
    /// use futures::TryStreamExt;
    /// use jmcomic_client::SearchQuery;
    ///
    /// let pages: Vec<_> = client.search_pages(SearchQuery::new("MANA")).try_collect().await?;
    /// let ids: Vec<_> = pages.iter().flat_map(|p| p.items.iter().map(|i| i.id)).collect();
    /// # Ok(()) }
    /// ```
    pub fn search_pages(
        &self,
        query: SearchQuery,
    ) -> impl Stream<Item = Result<SearchPage>> + Send + 'static {
        self.pages_of(
            query,
            |client, q| async move {
                let page = client.search(&q).await?;
                Ok((q, page))
            },
            |q, p| {
                let more =
                    p.redirect.is_none() && has_next(q.page, p.items.is_empty(), p.page_count());
                more.then(|| q.clone().page(q.page.max(1) + 1))
            },
        )
    }

    /// Every page of a category listing or ranking from `query.page` on.
    pub fn category_pages(
        &self,
        query: CategoryQuery,
    ) -> impl Stream<Item = Result<SearchPage>> + Send + 'static {
        self.pages_of(
            query,
            |client, q| async move {
                let page = client.categories(&q).await?;
                Ok((q, page))
            },
            |q, p| {
                has_next(q.page, p.items.is_empty(), p.page_count())
                    .then(|| q.clone().page(q.page.max(1) + 1))
            },
        )
    }

    /// Pages one after the other from `first`: `fetch` reads a page, `next` says which
    /// query reads the one after it, if any.
    fn pages_of<Q, P, Fut>(
        &self,
        first: Q,
        fetch: impl Fn(Client, Q) -> Fut + Send + Sync + 'static,
        next: impl Fn(&Q, &P) -> Option<Q> + Send + Sync + 'static,
    ) -> impl Stream<Item = Result<P>> + Send + 'static
    where
        Q: Send + 'static,
        P: Send + 'static,
        Fut: std::future::Future<Output = Result<(Q, P)>> + Send + 'static,
    {
        let client = self.clone();
        let fetch = Arc::new(fetch);
        let next = Arc::new(next);
        futures::stream::try_unfold(Some(first), move |state| {
            let (client, fetch, next) = (client.clone(), Arc::clone(&fetch), Arc::clone(&next));
            async move {
                let Some(q) = state else { return Ok(None) };
                let (q, page) = fetch(client, q).await?;
                let following = next(&q, &page);
                Ok(Some((page, following)))
            }
        })
    }

    /// Logs in. The session then holds the login cookie and the user (see
    /// [`Client::user`], [`Client::save_session`]); the password is sent once and never
    /// kept or logged.
    // Spec §6.2.9, §6.3.3.
    pub async fn login(&self, username: &str, password: &str) -> Result<User> {
        let user = self.inner.protocol.login(username, password).await?;
        info!(user = %user.username, "logged in");
        Ok(user)
    }

    /// Who this client is logged in as, if anyone.
    pub fn user(&self) -> Option<User> {
        self.inner.transport.session.user()
    }

    /// Whether requests carry a login cookie (from a login, a restored session or the
    /// configured cookies).
    pub fn is_logged_in(&self) -> bool {
        self.inner.transport.session.has_login_cookie()
    }

    /// The session as it can be kept (see [`SavedSession`]).
    pub fn save_session(&self) -> SavedSession {
        self.inner.transport.session.save()
    }

    /// Puts a kept session back: its cookies join this client's, its user becomes the
    /// logged-in one.
    pub fn restore_session(&self, saved: SavedSession) {
        self.inner.transport.session.restore(saved);
    }

    /// One page of the logged-in user's favourites, with the list of folders.
    // Spec §6.2.3, §6.3.3.
    pub async fn favorites(&self, query: &FavoriteQuery) -> Result<FavoritePage> {
        self.require_login("the favourites")?;
        self.inner.protocol.favorites(query).await
    }

    /// Every page of a favourites folder from `query.page` on.
    pub fn favorite_pages(
        &self,
        query: FavoriteQuery,
    ) -> impl Stream<Item = Result<FavoritePage>> + Send + 'static {
        self.pages_of(
            query,
            |client, q| async move {
                let page = client.favorites(&q).await?;
                Ok((q, page))
            },
            |q, p| {
                has_next(q.page, p.items.is_empty(), p.page_count())
                    .then(|| q.clone().page(q.page.max(1) + 1))
            },
        )
    }

    /// Puts an album in the favourites (in `folder`, `None` for the default one) unless it
    /// is there already.
    ///
    /// The site's API only toggles, so this looks first (the album's
    /// [`is_favorite`](Album::is_favorite)), asks, and looks again, a few times if another
    /// client flips it back meanwhile; calls of one client are serialised. It never leaves
    /// the state flipped the wrong way without saying so ([`Error::NotApplied`]).
    ///
    /// The API cannot choose the folder: with it, `folder` other than the default is
    /// [`Error::Unsupported`].
    // Spec §6.2.3 (toggle), §6.2.9, §6.3.3, Appendix A.
    pub async fn add_favorite(&self, album: JmId, folder: Option<&str>) -> Result<FavoriteChange> {
        let folder = folder
            .unwrap_or(jmcomic_model::FavoriteFolder::DEFAULT_ID)
            .to_owned();
        // Refused before looking, so the answer does not depend on whether the album
        // happens to be a favourite already (then nothing would be asked of the API).
        if self.protocol() == ProtocolKind::Api
            && folder != jmcomic_model::FavoriteFolder::DEFAULT_ID
        {
            return Err(Error::Unsupported {
                protocol: ProtocolKind::Api,
                what: crate::api::CANNOT_CHOOSE_FOLDER.to_owned(),
            });
        }
        self.set_favorite(album, FavoriteRequest::Add { folder })
            .await
    }

    /// Takes an album out of the favourites unless it is not there (see
    /// [`Client::add_favorite`]).
    pub async fn remove_favorite(&self, album: JmId) -> Result<FavoriteChange> {
        self.set_favorite(album, FavoriteRequest::Remove).await
    }

    async fn set_favorite(&self, album: JmId, request: FavoriteRequest) -> Result<FavoriteChange> {
        self.require_login("changing the favourites")?;
        let want = matches!(request, FavoriteRequest::Add { .. });
        let _one_at_a_time = self.inner.favorites.lock().await;
        let mut changed = false;
        let mut id = album;
        let mut requests = 0;
        // How long a look and a request take: the window in which another client's toggle
        // undoes ours.
        let mut round = std::time::Duration::ZERO;
        loop {
            let mut now = self.album(id).await?;
            if requests > 0 && now.is_favorite != want {
                // Our last request did not stick: another client (or another process logged
                // in as the same user) toggled it at the same moment. Wait a random while
                // before looking again, so that two clients doing the same fall out of step:
                // spread over 16 rounds, doubling each time, they collide again with
                // odds of 1 in 8, then 16, 32…
                let spread = round
                    .max(std::time::Duration::from_millis(5))
                    .saturating_mul(16 << (requests - 1).min(6))
                    .min(std::time::Duration::from_secs(30));
                tokio::time::sleep(spread.mul_f64(fastrand::f64())).await;
                now = self.album(id).await?;
            }
            id = now.id;
            if now.is_favorite == want {
                return Ok(FavoriteChange {
                    album: id,
                    favorite: want,
                    changed,
                });
            }
            if requests == FAVORITE_TRIES {
                break;
            }
            let started = tokio::time::Instant::now();
            match self
                .inner
                .protocol
                .favorite_request(id, request.clone())
                .await
            {
                Ok(()) => {}
                // The web site refuses to add what is there already (or to delete what is
                // not): another client got there between our look and our request, and then
                // the state is what was asked. Otherwise the refusal is the answer.
                Err(refused @ Error::NotApplied { .. }) => {
                    let after = self.album(id).await?;
                    if after.is_favorite == want {
                        return Ok(FavoriteChange {
                            album: after.id,
                            favorite: want,
                            changed,
                        });
                    }
                    return Err(refused);
                }
                Err(e) => return Err(e),
            }
            // A look costs about what a request does.
            round = started.elapsed() * 2;
            requests += 1;
            changed = true;
        }
        Err(Error::NotApplied {
            what: format!(
                "{} album {id} {} the favourites",
                if want { "adding" } else { "removing" },
                if want { "to" } else { "from" }
            ),
            reason: format!(
                "after {FAVORITE_TRIES} requests the site still shows it {}; another client may be changing it at the same time",
                if want { "missing" } else { "there" }
            ),
        })
    }

    /// One page of an album's comments or of the site-wide forum (with the API protocol,
    /// `GET /forum`).
    // Spec §6.2.3, §6.3.3.
    pub async fn comments(&self, target: CommentTarget, page: u32) -> Result<CommentPage> {
        self.inner.protocol.comments(target, page.max(1)).await
    }

    /// Every page of comments from `page` on. Stops after the last page, at an empty page,
    /// or when a page repeats the previous one (the web site answers pages past the end
    /// with the last page again).
    // Spec §6.1.1 (comment generators).
    pub fn comment_pages(
        &self,
        target: CommentTarget,
        page: u32,
    ) -> impl Stream<Item = Result<CommentPage>> + Send + 'static {
        let client = self.clone();
        let start = (Some(page.max(1)), HashSet::<u64>::new());
        futures::stream::try_unfold(start, move |(next, previous)| {
            let client = client.clone();
            async move {
                let Some(number) = next else { return Ok(None) };
                let page = client.comments(target, number).await?;
                let ids: HashSet<u64> = page.comments.iter().map(|c| c.id).collect();
                if page.comments.is_empty() || (!previous.is_empty() && ids == previous) {
                    return Ok(None);
                }
                let more = page.page_count().is_none_or(|n| u64::from(number) < n);
                Ok(Some((page, (more.then_some(number + 1), ids))))
            }
        })
    }

    /// Posts a comment on an album, or a reply to comment `reply_to`; the new comment's id.
    /// The web protocol only (the API has no such endpoint).
    // Spec §6.3.3, §6.2.9.
    pub async fn post_comment(
        &self,
        album: JmId,
        text: &str,
        reply_to: Option<u64>,
    ) -> Result<u64> {
        self.require_login("posting a comment")?;
        self.inner
            .protocol
            .post_comment(album, text, reply_to)
            .await
    }

    /// The logged-in user's daily check-in event: which days are signed.
    // Spec Appendix A (2.7.10).
    pub async fn daily(&self) -> Result<DailyEvent> {
        self.require_login("the daily check-in")?;
        self.inner.protocol.daily().await
    }

    /// Checks in for today. Checking in twice the same day is not an error: the second
    /// answer has [`CheckIn::new`] false.
    // Spec Appendix A (2.7.10).
    pub async fn check_in(&self) -> Result<CheckIn> {
        self.require_login("the daily check-in")?;
        self.inner.protocol.check_in().await
    }

    fn require_login(&self, what: &str) -> Result<()> {
        if self.is_logged_in() {
            Ok(())
        } else {
            Err(Error::NeedsLogin {
                what: what.to_owned(),
                reason: String::new(),
            })
        }
    }
}
