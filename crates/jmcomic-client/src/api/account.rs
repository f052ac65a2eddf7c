//! The API's endpoints beyond albums and chapters: category listings and rankings, login,
//! favourites, comments, the daily check-in.
//!
//! Placeholders while the make-room step lands: each answers `Error::Unsupported` until its
//! endpoint is written (issue 11).

// Spec §6.2.3, §6.2.9, Appendix A.
#![expect(
    clippy::unused_async,
    reason = "placeholders until the endpoints are written"
)]

use jmcomic_model::{CheckIn, CommentPage, DailyEvent, FavoritePage, JmId, SearchPage, User};

use super::ApiProtocol;
use crate::error::{Error, Result};
use crate::protocol::{FavoriteRequest, ProtocolKind};
use crate::query::{CategoryQuery, CommentTarget, FavoriteQuery};

fn not_yet<T>(what: &str) -> Result<T> {
    Err(Error::Unsupported {
        protocol: ProtocolKind::Api,
        what: format!("{what} yet"),
    })
}

impl ApiProtocol {
    pub(crate) async fn categories_page(&self, _query: &CategoryQuery) -> Result<SearchPage> {
        not_yet("list categories")
    }

    pub(crate) async fn login_user(&self, _username: &str, _password: &str) -> Result<User> {
        not_yet("log in")
    }

    pub(crate) async fn favorites_page(&self, _query: &FavoriteQuery) -> Result<FavoritePage> {
        not_yet("read favourites")
    }

    pub(crate) async fn toggle_favorite(
        &self,
        _album: JmId,
        _change: FavoriteRequest,
    ) -> Result<()> {
        not_yet("change favourites")
    }

    pub(crate) async fn comments_page(
        &self,
        _target: CommentTarget,
        _page: u32,
    ) -> Result<CommentPage> {
        not_yet("read comments")
    }

    pub(crate) async fn daily_event(&self) -> Result<DailyEvent> {
        not_yet("read the check-in")
    }

    pub(crate) async fn daily_check(&self) -> Result<CheckIn> {
        not_yet("check in")
    }
}
