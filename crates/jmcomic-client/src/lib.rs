//! The only crate of jmcomic that talks to the network.
//!
//! It speaks the site's mobile-app API (signed requests, AES-encrypted JSON responses) and
//! fetches page images from the image CDN, and returns [`jmcomic_model`] entities. It never
//! touches the file system. The protocol is chosen with [`ClientBuilder::protocol`]: the
//! mobile API (the default) or the web site's HTML pages ([`ProtocolKind::Html`]); searches
//! are described by a [`SearchQuery`].
//!
//! Inside, each responsibility has its module: `builder` (settings), `client` (the handle),
//! `protocol` (the seam the protocols plug into), `api/` (the mobile API), `html/` (the web
//! site: pages, comments, account, domain discovery), `cdn` (images),
//! `transport` (HTTP, domain pools, the one retry engine, pacing), `dns` (DNS over HTTPS),
//! `memory` (what is kept between runs), `session` (cookies, app version,
//! account), `query` (search parameters and their wire values).
//!
//! Facts about the site (paths, secrets, app version, domains, headers) live in [`site`],
//! each saying where it comes from; all can be overridden on the [`ClientBuilder`].
//!
//! Requests rotate through a pool of domains: a failing domain hands over to the next at
//! once, the last good domain is remembered (and can be handed to the next run:
//! [`Client::domain_memory`]), and waits (with jitter, honouring `Retry-After`) happen only
//! after a whole round failed. Host names are looked up by the system's resolver or, where
//! the network poisons the site's names, by DNS over HTTPS ([`DnsMode`], `dns`); requests
//! can be paced per host ([`RateLimit`]). Errors say what failed and offer
//! predicates ([`Error::is_not_found`], [`Error::is_transient`], [`Error::is_blocked`]).
//!
//! ```no_run
//! # async fn run() -> Result<(), jmcomic_client::Error> {
//! use jmcomic_client::Client;
//! use jmcomic_model::JmId;
//!
//! let client = Client::builder()
//!     .api_domains(["http://127.0.0.1:8080"])   // an emulator or mirror; omit for the site
//!     .image_domains(["http://127.0.0.1:8081"])
//!     .build()?;
//! let album = client.album(JmId::new(438516)).await?;
//! for mut chapter in album.chapters() {
//!     client.complete_chapter(&mut chapter).await?;
//!     for image in chapter.images() {
//!         let bytes = client.image_bytes(&image).await?;
//!         println!("{} {} bytes", image.file_name, bytes.len());
//!     }
//! }
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod api;
mod builder;
mod cdn;
mod client;
mod dns;
pub mod doctor;
mod domain;
mod error;
#[doc(hidden)]
pub mod fuzzing;
mod html;
mod memory;
mod protocol;
mod query;
mod retry;
mod session;
pub mod site;
mod tls;
mod transport;

pub use builder::DEFAULT_DOMAIN_REFRESH_LIFETIME;
pub use client::{Client, ClientBuilder, FavoriteChange, Proxy};
pub use dns::{DnsMode, DohResolver};
pub use domain::Domain;
pub use error::{Attempt, Error, Result};
pub use memory::{DomainMemory, DomainRefresh};
pub use protocol::ProtocolKind;
pub use query::{
    Category, CategoryQuery, CommentTarget, FavoriteQuery, Order, Ranking, SearchBy, SearchQuery,
    Time,
};
pub use retry::RetryPolicy;
pub use session::SavedSession;
pub use site::TemplateSecret;
pub use transport::RateLimit;
