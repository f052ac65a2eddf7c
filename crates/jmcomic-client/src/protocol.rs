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

use jmcomic_model::{Album, Chapter, JmId, ScrambleId, SearchPage};
use reqwest::header::HeaderMap;

use crate::api::ApiProtocol;
use crate::error::Result;
use crate::query::SearchQuery;

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
    /// The web site: HTML pages (the Python package's `client.impl: html`). Not implemented
    /// yet: building a client with it fails with [`Error::Unsupported`](crate::Error::Unsupported).
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
}

/// The protocol a client speaks: enum dispatch over the [`Site`] implementations.
pub(crate) enum Protocol {
    /// The mobile-app API.
    Api(ApiProtocol),
    // `Html(HtmlProtocol)` goes here (spec §6.3; issue 11), built by `ClientBuilder::build`
    // over the same `Arc<Transport>`.
}

impl Protocol {
    /// Which protocol this is.
    pub(crate) fn kind(&self) -> ProtocolKind {
        match self {
            Protocol::Api(_) => ProtocolKind::Api,
        }
    }

    /// Headers of image requests to the CDN made on this protocol's behalf (the API sends
    /// the app's, the web site a browser's).
    // Spec §6.2.9, §6.3.2.
    pub(crate) fn image_headers(&self) -> HeaderMap {
        match self {
            Protocol::Api(p) => p.image_headers(),
        }
    }
}

impl Site for Protocol {
    async fn album(&self, id: JmId) -> Result<Album> {
        match self {
            Protocol::Api(p) => p.album(id).await,
        }
    }

    async fn chapter(&self, id: JmId) -> Result<Chapter> {
        match self {
            Protocol::Api(p) => p.chapter(id).await,
        }
    }

    async fn scramble_id(&self, chapter: JmId) -> Result<ScrambleId> {
        match self {
            Protocol::Api(p) => p.scramble_id(chapter).await,
        }
    }

    async fn search(&self, query: &SearchQuery) -> Result<SearchPage> {
        match self {
            Protocol::Api(p) => p.search(query).await,
        }
    }
}
