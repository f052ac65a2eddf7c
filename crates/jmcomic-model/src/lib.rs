//! Ids and entities of the JMComic site: pure data, no I/O.
//!
//! Text becomes a [`Target`] (album or chapter id); the client turns ids into [`Album`] and
//! [`Chapter`] values; the download pipeline walks chapters into [`Image`]s.
//!
//! ```
//! use jmcomic_model::{JmId, Kind, Target};
//!
//! let t = Target::parse("p456").unwrap();
//! assert_eq!(t.kind, Kind::Chapter);
//! assert_eq!(t.id, JmId::new(456));
//! assert_eq!(JmId::parse("JM123").unwrap().get(), 123);
//! assert!(JmId::parse("abc").is_err());
//! ```
#![deny(missing_docs)]

mod account;
mod entity;
mod error;
mod id;
mod text;

pub use account::{
    CheckIn, Comment, CommentPage, DailyDay, DailyEvent, FavoriteFolder, FavoritePage, User,
};
pub use entity::{
    Album, Chapter, DEFAULT_AUTHOR, Episode, Image, RelatedAlbum, ScrambleId, ScrambleSource,
    SearchItem, SearchPage,
};
pub use error::{Error, Result};
pub use id::{JmId, Kind, Target, is_site_host};
pub use text::{oname, tokenize};
