//! Every route answered as the spec says.

use jmcomic_client::{Category, Client, Order, SearchBy, SearchQuery, TemplateSecret, Time};
use jmcomic_emulator::{Emulator, MissingStyle, TemplateSecret as EmuSecret};
use jmcomic_model::{JmId, ScrambleSource};

use crate::support::{builder, client};

#[tokio::test]
async fn album_chapter_and_scramble_id() {
    let emu = Emulator::start().unwrap();
    let c = client(&emu);
    let album = c.album(JmId::new(220_979)).await.unwrap();
    assert_eq!(album.id.get(), 220_979);
    let ids: Vec<u64> = album.episodes.iter().map(|e| e.chapter_id.get()).collect();
    assert_eq!(ids, [220_979, 220_980, 220_981]);
    let spec = emu.catalog().album(220_979).unwrap();
    assert_eq!(album.name, spec.title.trim());

    let mut chapter = album.chapters().remove(1);
    c.complete_chapter(&mut chapter).await.unwrap();
    assert_eq!(chapter.name, album.episodes[1].title);
    assert_eq!(chapter.page_count(), Some(spec.chapters[1].pages.len()));
    let s = chapter.scramble_id.unwrap();
    assert_eq!((s.value, s.source), (220_980, ScrambleSource::Site));

    // Requests carried a token and a tokenparam; album/chapter requests carried the
    // session cookie from /setting, fetched once.
    let reqs = emu.requests();
    assert_eq!(reqs.iter().filter(|r| r.path() == "/setting").count(), 1);
    for r in reqs
        .iter()
        .filter(|r| r.path() == "/album" || r.path() == "/chapter")
    {
        assert!(r.header("cookie").unwrap_or("").contains("ipm5="), "{r:?}");
        assert!(r.header("token").is_some() && r.header("tokenparam").is_some());
    }
}

#[tokio::test]
async fn single_chapter_album_and_standalone_chapter() {
    let emu = Emulator::start().unwrap();
    let c = client(&emu);
    let album = c.album(JmId::new(438_516)).await.unwrap();
    assert!(album.is_single_chapter());
    let chapter = c.chapter(JmId::new(438_516)).await.unwrap();
    assert!(chapter.is_single_album());
    assert_eq!(chapter.album_index(), 1);
    assert_eq!(chapter.page_count(), Some(8));
    // A chapter of a series knows its album.
    let chapter = c.chapter(JmId::new(421_926)).await.unwrap();
    assert_eq!(chapter.album_id.get(), 421_925);
    assert_eq!(chapter.sort, 2);
}

#[tokio::test]
async fn chapter_id_given_as_album_id_is_followed() {
    let emu = Emulator::start().unwrap();
    let album = client(&emu).album(JmId::new(268_851)).await.unwrap();
    assert_eq!(album.id.get(), 268_849);
}

#[tokio::test]
async fn missing_ids_in_every_style() {
    for style in [
        MissingStyle::NullName,
        MissingStyle::EmptyData,
        MissingStyle::ErrorMsg,
    ] {
        let emu = Emulator::builder().missing_style(style).start().unwrap();
        let c = client(&emu);
        let e = c.album(JmId::new(530_595)).await.unwrap_err();
        assert!(e.is_not_found(), "{style:?}: {e}");
        assert!(e.to_string().contains("album 530595"), "{e}");
        let e = c.chapter(JmId::new(530_595)).await.unwrap_err();
        assert!(e.is_not_found(), "{style:?}: {e}");
        assert!(e.to_string().contains("chapter 530595"), "{e}");
    }
}

#[tokio::test]
async fn placeholder_album_triggers_a_new_session() {
    let emu = Emulator::start().unwrap();
    // Configured cookies skip /setting (like the Python package); the emulator does not
    // accept them and answers with its placeholder album, which must not be taken for the
    // album asked for.
    let c = builder(&emu)
        .cookies([("AVS", "not-a-session")])
        .build()
        .unwrap();
    let album = c.album(JmId::new(421_925)).await.unwrap();
    assert_eq!(album.id.get(), 421_925);
    let paths: Vec<String> = emu.requests().iter().map(|r| r.path().to_owned()).collect();
    assert_eq!(paths, ["/album", "/setting", "/album"]);
    // The configured cookie is still sent, with the session's.
    let last = emu.requests().pop().unwrap();
    let cookie = last.header("cookie").unwrap();
    assert!(
        cookie.contains("AVS=not-a-session") && cookie.contains("ipm5="),
        "{cookie}"
    );
}

#[tokio::test]
async fn placeholder_without_cookie_support_is_an_error() {
    let emu = Emulator::start().unwrap();
    // /setting keeps failing: the client cannot get a session and must say so rather than
    // return the placeholder as the album.
    emu.add_fault("status=500@/setting".parse().unwrap());
    let c = builder(&emu)
        .cookies([("AVS", "x")])
        .retry(crate::support::fast_retry(0))
        .build()
        .unwrap();
    let e = c.album(JmId::new(421_925)).await.unwrap_err();
    assert!(e.is_transient(), "{e}");
    assert!(!e.to_string().contains("禁漫娘"));
}

#[tokio::test]
async fn placeholder_when_the_session_never_takes_is_an_error() {
    let emu = Emulator::start().unwrap();
    // /setting answers but its cookies never arrive: after one renewal the client gives up
    // with an error naming both ids instead of returning the placeholder as the album.
    emu.add_fault("no-cookies@/setting".parse().unwrap());
    let c = client(&emu);
    let e = c.album(JmId::new(421_925)).await.unwrap_err();
    assert!(
        matches!(e, jmcomic_client::Error::Placeholder { .. }),
        "{e:?}"
    );
    let text = e.to_string();
    assert!(text.contains("421925") && text.contains("200000"), "{text}");
    assert!(!e.is_transient());
    let e = c.chapter(JmId::new(421_926)).await.unwrap_err();
    assert!(
        matches!(e, jmcomic_client::Error::Placeholder { .. }),
        "{e:?}"
    );
    // One session at first use, one renewal per request: no loop.
    let settings = emu
        .requests()
        .iter()
        .filter(|r| r.path() == "/setting")
        .count();
    assert!(settings <= 3, "{settings} /setting requests");
}

#[tokio::test]
async fn stale_app_version_is_upgraded_from_setting() {
    let emu = Emulator::builder()
        .app_version("2.1.20")
        .min_app_version("2.1.12")
        .start()
        .unwrap();
    let c = client(&emu);
    c.album(JmId::new(10_086)).await.unwrap();
    assert_eq!(c.app_version(), "2.1.20");
    let last = emu.requests().pop().unwrap();
    assert!(last.header("tokenparam").unwrap().ends_with(",2.1.20"));
}

#[tokio::test]
async fn rejected_signature_is_a_clear_error() {
    // The site wants a newer version than we send and will not even tell us at /setting.
    let emu = Emulator::builder()
        .app_version("3.0.0")
        .min_app_version("3.0.0")
        .start()
        .unwrap();
    let e = client(&emu).album(JmId::new(10_086)).await.unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("Not legal") && text.contains("client.app_version"),
        "{text}"
    );
    assert!(!e.is_transient());
    // Fixed by configuration.
    let c = builder(&emu).app_version("3.0.0").build().unwrap();
    c.album(JmId::new(10_086)).await.unwrap();
}

#[tokio::test]
async fn template_secret_policies() {
    // The server wants the normal secret: the default policy falls back to it.
    let emu = Emulator::builder()
        .template_secret(EmuSecret::Normal)
        .start()
        .unwrap();
    let s = client(&emu).scramble_id(JmId::new(421_926)).await.unwrap();
    assert_eq!(s.source, ScrambleSource::Site);
    // Insisting on the content secret there: the value is assumed, and marked so.
    let s = builder(&emu)
        .template_secret(TemplateSecret::Content)
        .build()
        .unwrap()
        .scramble_id(JmId::new(421_926))
        .await
        .unwrap();
    assert_eq!((s.value, s.source), (220_980, ScrambleSource::Assumed));
    // The default server (either secret) answers the first try.
    let emu = Emulator::start().unwrap();
    let c: Client = client(&emu);
    c.scramble_id(JmId::new(421_926)).await.unwrap();
    let templates: Vec<_> = emu
        .requests()
        .into_iter()
        .filter(|r| r.path() == "/chapter_view_template")
        .collect();
    assert_eq!(templates.len(), 1);
    assert_eq!(templates[0].status, 200);
    // Cached: no second request.
    c.scramble_id(JmId::new(421_926)).await.unwrap();
    assert_eq!(
        emu.requests()
            .iter()
            .filter(|r| r.path() == "/chapter_view_template")
            .count(),
        1
    );
}

/// The emulator's standard catalog states scramble ids other than 220980 for a few
/// chapters, one of them differing from the rest of its album: each chapter gets its own
/// value from the site, whatever secret policy signs the template (the emulator accepts
/// either secret by default).
#[tokio::test]
async fn scramble_ids_are_read_per_chapter() {
    let emu = Emulator::start().unwrap();
    for policy in [
        TemplateSecret::ContentThenNormal,
        TemplateSecret::Content,
        TemplateSecret::Normal,
    ] {
        let c = builder(&emu).template_secret(policy).build().unwrap();
        let album = c.album(JmId::new(500_000)).await.unwrap();
        let mut got = Vec::new();
        for mut chapter in album.chapters() {
            c.complete_chapter(&mut chapter).await.unwrap();
            let s = chapter.scramble_id.unwrap();
            assert_eq!(s.source, ScrambleSource::Site, "{policy:?}");
            got.push((chapter.id.get(), s.value));
        }
        got.sort_unstable();
        assert_eq!(
            got,
            [(500_000, 220_980), (500_050, 220_980), (500_123, 500_124)],
            "{policy:?}"
        );
        for (chapter, want) in [(147_650, 147_650), (268_849, 268_850), (421_925, 421_926)] {
            let s = c.scramble_id(JmId::new(chapter)).await.unwrap();
            assert_eq!(
                (s.value, s.source),
                (want, ScrambleSource::Site),
                "{chapter}"
            );
        }
    }
}

#[tokio::test]
async fn search_results_and_exact_id_redirect() {
    let emu = Emulator::start().unwrap();
    let c = client(&emu);
    let title = &emu.catalog().album(421_925).unwrap().title;
    let word: String = title.split_whitespace().next().unwrap().to_owned();
    let page = c.search(&SearchQuery::new(&word)).await.unwrap();
    assert!(page.total >= 1);
    assert!(page.items.iter().any(|i| i.id.get() == 421_925), "{page:?}");
    let page = c.search(&SearchQuery::new("438516")).await.unwrap();
    assert_eq!(page.redirect, Some(JmId::new(438_516)));
}

/// The query's fields reach the site as its wire values, and the answer is what they ask
/// for: the albums carrying a tag, most viewed first.
#[tokio::test]
async fn search_query_fields_are_sent_as_the_sites_values() {
    let emu = Emulator::start().unwrap();
    let c = client(&emu);
    let albums = &emu.catalog().albums;
    // The tag most albums share, so the order is visible.
    let tag = albums
        .iter()
        .flat_map(|a| a.tags.iter())
        .max_by_key(|t| albums.iter().filter(|a| a.tags.contains(t)).count())
        .unwrap()
        .clone();
    let mut want: Vec<&jmcomic_emulator::AlbumSpec> = albums
        .iter()
        .filter(|a| a.id != emu.catalog().placeholder.id)
        .filter(|a| {
            a.tags
                .iter()
                .any(|t| t.to_lowercase().contains(&tag.to_lowercase()))
        })
        .collect();
    assert!(want.len() >= 2, "{tag}: {} albums", want.len());
    want.sort_by_key(|a| (std::cmp::Reverse(a.views), std::cmp::Reverse(a.id)));
    let query = SearchQuery::new(&tag)
        .by(SearchBy::Tag)
        .order(Order::MostViewed)
        .category(Category::Doujin);
    let page = c.search(&query).await.unwrap();
    let got: Vec<u64> = page.items.iter().map(|i| i.id.get()).collect();
    let want: Vec<u64> = want.iter().map(|a| a.id).collect();
    assert_eq!(got, want);
    assert_eq!(page.page, 1);
    let sent = emu
        .requests()
        .into_iter()
        .rfind(|r| r.path() == "/search")
        .unwrap();
    let url = url::Url::parse(&format!("http://x{}", sent.path_and_query)).unwrap();
    let params: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let param = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(param("main_tag"), Some("3"));
    assert_eq!(param("o"), Some("mv"));
    assert_eq!(param("t"), Some("a"));
    assert_eq!(param("page"), Some("1"));
    assert_eq!(param("search_query"), Some(tag.as_str()));
    // The API's /search has no category parameter (spec §6.2.3).
    assert_eq!(param("c"), None, "{params:?}");
    // A period is sent as `t` (the emulator then keeps the albums viewed in it).
    c.search(&query.time(Time::Month)).await.unwrap();
    let sent = emu
        .requests()
        .into_iter()
        .rfind(|r| r.path() == "/search")
        .unwrap();
    assert!(
        sent.path_and_query.contains("&t=m"),
        "{}",
        sent.path_and_query
    );
}

#[tokio::test]
async fn domain_server_refresh_when_no_domains_are_configured() {
    let emu = Emulator::start().unwrap();
    let c = Client::builder()
        .domain_server_urls([emu.domain_server_url()])
        .image_domains(emu.image_domains())
        .proxy(jmcomic_client::Proxy::None)
        .build()
        .unwrap();
    // Built-in list until the first request needs the network.
    assert!(c.api_domains()[0].starts_with("https://www."));
    c.album(JmId::new(10_086)).await.unwrap();
    assert_eq!(c.api_domains(), emu.api_domains());
}

#[tokio::test]
async fn configured_domains_skip_the_domain_server() {
    let emu = Emulator::start().unwrap();
    let c = builder(&emu)
        .domain_server_urls(["http://127.0.0.1:1/never.txt"])
        .build()
        .unwrap();
    c.album(JmId::new(10_086)).await.unwrap();
    assert!(
        emu.requests()
            .iter()
            .all(|r| r.path() != "/newsvr-2025.txt")
    );
}

#[tokio::test]
async fn covers() {
    let emu = Emulator::start().unwrap();
    let c = client(&emu);
    let b = c.cover_bytes(JmId::new(438_516), "").await.unwrap();
    assert_eq!(&b[..2], &[0xFF, 0xD8]);
    c.cover_bytes(JmId::new(438_516), "_3x4").await.unwrap();
}
