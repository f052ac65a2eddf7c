//! The seam between the [`Client`](crate::Client) and the site's protocols.
//!
//! The site answers the same questions two ways: the mobile-app API and the web site's HTML
//! pages. A client speaks one of them, chosen on the builder; both
//! share the [`Transport`](crate::transport::Transport) (HTTP client, domain pools, the one
//! retry engine, cookies and session) and the CDN, and both return the model's entities.
//!
//! Adding a protocol: a type implementing [`Site`] (in its own module, like `api/`), a
//! variant of [`Protocol`] holding it with an arm in each method below (the entities, and
//! the headers it sends to the CDN), and its construction in `ClientBuilder::build`. The compiler then points at every place left.

// Spec §6.2 (API), §6.3 (HTML).

use std::fmt;

use jmcomic_model::{
    Album, Chapter, CheckIn, CommentPage, DailyEvent, FavoritePage, JmId, ScrambleId, SearchPage,
    User,
};
use reqwest::header::HeaderMap;

use crate::api::ApiProtocol;
use crate::error::Result;
use crate::html::HtmlProtocol;
use crate::query::{CategoryQuery, CommentTarget, FavoriteQuery, SearchQuery};

/// Which of the site's protocols a [`Client`](crate::Client) speaks (see
/// [`ClientBuilder::protocol`](crate::ClientBuilder::protocol)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProtocolKind {
    /// The mobile-app API: signed requests answered with encrypted JSON (the Python
    /// package's `client.impl: api`, its default).
    // Spec §6.2.
    #[default]
    Api,
    /// The web site: HTML pages and the site's ajax endpoints (the Python package's
    /// `client.impl: html`), on the web domains
    /// ([`ClientBuilder::html_domains`](crate::ClientBuilder::html_domains), discovered when
    /// none are set).
    // Spec §6.3.
    Html,
}

impl fmt::Display for ProtocolKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ProtocolKind::Api => "mobile API",
            ProtocolKind::Html => "web (HTML)",
        })
    }
}

/// What every protocol answers, in model entities. The contract is the one of the public
/// [`Client`](crate::Client) methods of the same names, which forward here.
///
/// Private, so `async fn` needs no `Send` bounds spelled out: the futures are as `Send` as
/// the implementations make them, and the public methods' futures are checked by their
/// callers (the download pipeline spawns them).
pub(crate) trait Site {
    /// An album; a chapter id is followed to its album.
    async fn album(&self, id: JmId) -> Result<Album>;
    /// A chapter with its page list and scramble id.
    async fn chapter(&self, id: JmId) -> Result<Chapter>;
    /// A chapter's scramble id.
    async fn scramble_id(&self, chapter: JmId) -> Result<ScrambleId>;
    /// One page of search results.
    async fn search(&self, query: &SearchQuery) -> Result<SearchPage>;
    /// One page of a category listing or ranking.
    async fn categories(&self, query: &CategoryQuery) -> Result<SearchPage>;
    /// Logs in; on success the session holds the login cookie and the user.
    async fn login(&self, username: &str, password: &str) -> Result<User>;
    /// One page of the logged-in user's favourites.
    async fn favorites(&self, query: &FavoriteQuery) -> Result<FavoritePage>;
    /// One request changing a favourite, without looking first: the API only toggles, the
    /// web site adds and deletes. [`Client::add_favorite`](crate::Client::add_favorite)
    /// makes it idempotent around this.
    async fn favorite_request(&self, album: JmId, change: FavoriteRequest) -> Result<()>;
    /// One page of an album's comments or of the forum.
    async fn comments(&self, target: CommentTarget, page: u32) -> Result<CommentPage>;
    /// Posts a comment (or a reply to comment `reply_to`); the new comment's id.
    async fn post_comment(&self, album: JmId, text: &str, reply_to: Option<u64>) -> Result<u64>;
    /// The daily check-in event of the logged-in user.
    async fn daily(&self) -> Result<DailyEvent>;
    /// Checks in for today (a second check-in the same day is not an error: `new` false).
    async fn check_in(&self) -> Result<CheckIn>;
}

/// What a [`Site::favorite_request`] asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum FavoriteRequest {
    /// Add the album, to this folder (`"0"`: the default folder).
    Add { folder: String },
    /// Remove the album.
    Remove,
}

/// The protocol a client speaks: enum dispatch over the [`Site`] implementations.
pub(crate) enum Protocol {
    /// The mobile-app API.
    Api(ApiProtocol),
    /// The web site.
    Html(HtmlProtocol),
}

impl Protocol {
    /// Which protocol this is.
    pub(crate) fn kind(&self) -> ProtocolKind {
        match self {
            Protocol::Api(_) => ProtocolKind::Api,
            Protocol::Html(_) => ProtocolKind::Html,
        }
    }

    /// The web domains in use (none for the API).
    pub(crate) fn html_domains(&self) -> Vec<String> {
        match self {
            Protocol::Api(_) => Vec::new(),
            Protocol::Html(p) => p.domains(),
        }
    }

    /// The web domain that last answered well (none for the API).
    pub(crate) fn html_last_good(&self) -> Option<String> {
        match self {
            Protocol::Api(_) => None,
            Protocol::Html(p) => p.last_good(),
        }
    }

    /// Headers of image requests to the CDN made on this protocol's behalf (the API sends
    /// the app's, the web site a browser's).
    // Spec §6.2.9, §6.3.2.
    pub(crate) fn image_headers(&self) -> HeaderMap {
        match self {
            Protocol::Api(p) => p.image_headers(),
            Protocol::Html(p) => p.image_headers(),
        }
    }
}

impl Site for Protocol {
    async fn album(&self, id: JmId) -> Result<Album> {
        match self {
            Protocol::Api(p) => p.album(id).await,
            Protocol::Html(p) => p.album(id).await,
        }
    }

    async fn chapter(&self, id: JmId) -> Result<Chapter> {
        match self {
            Protocol::Api(p) => p.chapter(id).await,
            Protocol::Html(p) => p.chapter(id).await,
        }
    }

    async fn scramble_id(&self, chapter: JmId) -> Result<ScrambleId> {
        match self {
            Protocol::Api(p) => p.scramble_id(chapter).await,
            Protocol::Html(p) => p.scramble_id(chapter).await,
        }
    }

    async fn search(&self, query: &SearchQuery) -> Result<SearchPage> {
        match self {
            Protocol::Api(p) => p.search(query).await,
            Protocol::Html(p) => p.search(query).await,
        }
    }
    async fn categories(&self, query: &CategoryQuery) -> Result<SearchPage> {
        match self {
            Protocol::Api(p) => p.categories(query).await,
            Protocol::Html(p) => p.categories(query).await,
        }
    }

    async fn login(&self, username: &str, password: &str) -> Result<User> {
        match self {
            Protocol::Api(p) => p.login(username, password).await,
            Protocol::Html(p) => p.login(username, password).await,
        }
    }

    async fn favorites(&self, query: &FavoriteQuery) -> Result<FavoritePage> {
        match self {
            Protocol::Api(p) => p.favorites(query).await,
            Protocol::Html(p) => p.favorites(query).await,
        }
    }

    async fn favorite_request(&self, album: JmId, change: FavoriteRequest) -> Result<()> {
        match self {
            Protocol::Api(p) => p.favorite_request(album, change).await,
            Protocol::Html(p) => p.favorite_request(album, change).await,
        }
    }

    async fn comments(&self, target: CommentTarget, page: u32) -> Result<CommentPage> {
        match self {
            Protocol::Api(p) => p.comments(target, page).await,
            Protocol::Html(p) => p.comments(target, page).await,
        }
    }

    async fn post_comment(&self, album: JmId, text: &str, reply_to: Option<u64>) -> Result<u64> {
        match self {
            Protocol::Api(p) => p.post_comment(album, text, reply_to).await,
            Protocol::Html(p) => p.post_comment(album, text, reply_to).await,
        }
    }

    async fn daily(&self) -> Result<DailyEvent> {
        match self {
            Protocol::Api(p) => p.daily().await,
            Protocol::Html(p) => p.daily().await,
        }
    }

    async fn check_in(&self) -> Result<CheckIn> {
        match self {
            Protocol::Api(p) => p.check_in().await,
            Protocol::Html(p) => p.check_in().await,
        }
    }
}
