//! The [`Client`] handle: what it holds, its accessors, and the entity methods, which go to
//! the protocol it speaks.

use std::sync::Arc;

use jmcomic_model::{Album, Chapter, JmId, ScrambleId, SearchPage};

use crate::error::Result;
use crate::protocol::{Protocol, ProtocolKind, Site};
use crate::query::SearchQuery;
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
}

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
}
