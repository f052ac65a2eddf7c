//! The web protocol (spec §6.3) against the emulator's web site: the same entities as the
//! API for the whole catalog, pages that download the same, searches and listings, the
//! account (login, favourites, comments, check-in, sessions shared with the API side), the
//! site's refusals as typed errors, and domain discovery.

use jmcomic_client::{Client, ClientBuilder, ProtocolKind};
use jmcomic_emulator::Emulator;
use jmcomic_model::{Album, Chapter, JmId, ScrambleSource};

use crate::support::{builder, client};

/// A web-protocol client for the emulator's web site (and CDN), fast retries.
fn web_builder(emu: &Emulator) -> ClientBuilder {
    builder(emu)
        .protocol(ProtocolKind::Html)
        .html_domains(emu.html_domains())
}

fn web(emu: &Emulator) -> Client {
    web_builder(emu).build().expect("client")
}

/// The fields both protocols give an album, side by side. Left out by design: `update_date`
/// (the API has none), `related` (the web page lists none).
fn album_fields(a: &Album) -> impl PartialEq + std::fmt::Debug + use<> {
    (
        (a.id, a.name.clone(), a.description.clone()),
        (
            a.authors.clone(),
            a.tags.clone(),
            a.works.clone(),
            a.actors.clone(),
        ),
        (
            a.page_count,
            a.pub_date.clone(),
            a.likes.clone(),
            a.views.clone(),
            a.comment_count,
        ),
        a.episodes.clone(),
        (a.liked, a.is_favorite),
    )
}

/// The fields both protocols give a chapter. Compared differently by design: `sort` (the
/// web page says 2 for a single-chapter album, spec §2.3, the API 1: both mean position 1,
/// so `album_index` is compared), `tags` (the web page's are comma-separated, the API's
/// space-separated: equal only when no tag holds either).
fn chapter_fields(c: &Chapter) -> impl PartialEq + std::fmt::Debug + use<> {
    (
        (c.id, c.album_id, c.name.clone(), c.album_index()),
        c.pages.clone(),
        c.scramble_id,
    )
}

/// Every album and chapter of the standard catalog (and its placeholder album) reads the
/// same through the web pages as through the API.
#[tokio::test]
async fn every_album_and_chapter_reads_as_on_the_api() {
    let emu = Emulator::start().unwrap();
    let (api, web) = (client(&emu), web(&emu));
    let catalog = emu.catalog().clone();
    let mut chapters = 0;
    for spec in catalog.albums.iter().chain([&catalog.placeholder]) {
        let id = JmId::new(spec.id);
        let (a, w) = (api.album(id).await.unwrap(), web.album(id).await.unwrap());
        assert_eq!(album_fields(&w), album_fields(&a), "album {id}");
        assert!(
            w.update_date.is_some(),
            "album {id}: the page's update date"
        );
        for (ac, wc) in a.chapters().into_iter().zip(w.chapters()) {
            let (ac, wc) = (
                api.chapter(ac.id).await.unwrap(),
                web.chapter(wc.id).await.unwrap(),
            );
            assert_eq!(
                chapter_fields(&wc),
                chapter_fields(&ac),
                "chapter {}",
                ac.id
            );
            assert_eq!(wc.scramble_id.map(|s| s.source), Some(ScrambleSource::Site));
            if !spec.tags.iter().any(|t| t.contains([' ', ','])) {
                assert_eq!(wc.tags, ac.tags, "chapter {}", ac.id);
            }
            assert_eq!(
                web.scramble_id(wc.id).await.unwrap(),
                wc.scramble_id.unwrap()
            );
            chapters += 1;
        }
    }
    assert!(chapters >= catalog.albums.len(), "{chapters} chapters");
}
