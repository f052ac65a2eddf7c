//! One method per API endpoint that returns an entity: album, chapter, scramble id, search.

use std::sync::{LazyLock, PoisonError};

use jmcomic_model::{
    Album, Chapter, CheckIn, CommentPage, DailyEvent, FavoritePage, JmId, Kind, ScrambleId,
    ScrambleSource, SearchPage, User,
};
use regex::Regex;
use tracing::{debug, info, warn};

use super::ApiProtocol;
use super::envelope::{ApiResponse, Payload};
use super::wire::{self, AlbumDoc, MapError};
use crate::error::{Error, Result};
use crate::protocol::{FavoriteRequest, ProtocolKind, Site};
use crate::query::{CategoryQuery, CommentTarget, FavoriteQuery, SearchQuery};
use crate::site::{self, Endpoint, TemplateSecret};
use crate::transport::truncate;

static SCRAMBLE_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"var scramble_id = (\d+);").expect("static regex is valid"));

impl Site for ApiProtocol {
    /// `GET /album`, following a chapter id to its album and renewing the session once when
    /// the site answers with its placeholder.
    // Spec §6.2.5.
    async fn album(&self, id: JmId) -> Result<Album> {
        let mut asked = id;
        let mut renewed = false;
        let mut redirected = false;
        loop {
            let resp = self
                .call(Endpoint::Album, &[("id", asked.to_string())])
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

    /// `GET /chapter` and the scramble id, at once. What went wrong reading the scramble id
    /// is logged only when the chapter exists (for a missing chapter, "not found" is the
    /// whole story).
    // Spec §6.2.5, §6.2.6.
    async fn chapter(&self, id: JmId) -> Result<Chapter> {
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

    /// The scramble id from `GET /chapter_view_template`, trying the secrets of the
    /// [`TemplateSecret`] policy; the usual value, marked assumed, when none works.
    // Spec §6.2.6, W8.
    async fn scramble_id(&self, chapter: JmId) -> Result<ScrambleId> {
        let (result, notes) = self.scramble_id_noting(chapter).await;
        for note in notes {
            warn!(chapter = %chapter, "{note}");
        }
        result
    }

    /// `GET /search?main_tag=&search_query=&page=&o=&t=`; an envelope without data is an
    /// empty page.
    // Spec §6.2.3.
    async fn search(&self, query: &SearchQuery) -> Result<SearchPage> {
        let page = query.page.max(1);
        // `category` and `sub_category` have no parameter here (see `SearchQuery::category`).
        let params = [
            ("main_tag", query.by.main_tag().to_string()),
            ("search_query", query.text.clone()),
            ("page", page.to_string()),
            ("o", query.order.as_wire().to_owned()),
            ("t", query.time.as_wire().to_owned()),
        ];
        let resp = self.call(Endpoint::Search, &params).await?;
        match resp.payload {
            Payload::Data(v) => wire::search(&v, page).map_err(|e| Error::BadResponse {
                url: Endpoint::Search.path().to_owned(),
                reason: match e {
                    MapError::Missing => "no search result object".to_owned(),
                    MapError::Malformed(r) => r,
                },
            }),
            Payload::Empty(_) => Ok(SearchPage {
                query: query.text.clone(),
                total: 0,
                page,
                items: Vec::new(),
                redirect: None,
            }),
            Payload::Text(_) => unreachable_text(Endpoint::Search),
        }
    }

    async fn categories(&self, query: &CategoryQuery) -> Result<SearchPage> {
        self.categories_page(query).await
    }

    async fn login(&self, username: &str, password: &str) -> Result<User> {
        self.login_user(username, password).await
    }

    async fn favorites(&self, query: &FavoriteQuery) -> Result<FavoritePage> {
        self.favorites_page(query).await
    }

    async fn favorite_request(&self, album: JmId, change: FavoriteRequest) -> Result<()> {
        self.toggle_favorite(album, change).await
    }

    async fn comments(&self, target: CommentTarget, page: u32) -> Result<CommentPage> {
        self.comments_page(target, page).await
    }

    /// The API has no way to post comments (the Python package raises
    /// `NotImplementedError` there too).
    // Spec §6.2.9.
    async fn post_comment(&self, _album: JmId, _text: &str, _reply_to: Option<u64>) -> Result<u64> {
        Err(Error::Unsupported {
            protocol: ProtocolKind::Api,
            what: "post comments (the web protocol can: `client.impl: html`)".to_owned(),
        })
    }

    async fn daily(&self) -> Result<DailyEvent> {
        self.daily_event().await
    }

    async fn check_in(&self) -> Result<CheckIn> {
        self.daily_check().await
    }
}

impl ApiProtocol {
    async fn chapter_detail(&self, id: JmId) -> Result<Chapter> {
        let mut renewed = false;
        loop {
            let resp = self
                .call(Endpoint::Chapter, &[("id", id.to_string())])
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

    /// [`Self::scramble_id`], with what went wrong on the way returned as sentences instead
    /// of logged (the caller knows whether they matter).
    async fn scramble_id_noting(&self, chapter: JmId) -> (Result<ScrambleId>, Vec<String>) {
        let mut notes = Vec::new();
        if let Some(s) = self.cached_scramble(chapter) {
            return (Ok(s), notes);
        }
        let secrets: &[&str] = match self.template_secret {
            TemplateSecret::ContentThenNormal => &[site::CONTENT_TOKEN_SECRET, site::TOKEN_SECRET],
            TemplateSecret::Content => &[site::CONTENT_TOKEN_SECRET],
            TemplateSecret::Normal => &[site::TOKEN_SECRET],
        };
        for secret in secrets {
            let query = template_query(chapter);
            match self
                .call_signed(Endpoint::ChapterViewTemplate, &query, secret)
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
        let map = self.scramble.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(&chapter).copied()
    }

    fn cache_scramble(&self, chapter: JmId, s: ScrambleId) {
        let mut map = self.scramble.lock().unwrap_or_else(PoisonError::into_inner);
        // Bounded: a long-running process must not grow without limit (the Python cache is
        // unbounded, W8). Re-fetching a forgotten id costs one request.
        if map.len() >= 10_000 {
            map.clear();
        }
        map.insert(chapter, s);
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
