//! The web site (spec §6.3): pages read with the spec's own patterns (`patterns.rs`) equal
//! what the API says; search, categories and rankings on both sides; favourites, comments,
//! check-in and login on the HTML side; blocked pages; login-only albums; discovery.

use std::collections::BTreeSet;

use jmcomic_emulator::{
    Catalog, DEFAULT_PASSWORD, DEFAULT_USERNAME, Emulator, FaultKind, FaultRule, HostRole, Period,
    Times, UserSpec,
};
use serde_json::Value;

use crate::patterns;
use crate::support::{Api, Web, civil_date, tls_client, unescape};

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|s| s.as_str().expect("string").to_owned())
        .collect()
}

fn text(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_owned()
}

fn api_ids(v: &Value) -> Vec<u64> {
    v["content"]
        .as_array()
        .expect("content")
        .iter()
        .map(|i| text(&i["id"]).parse().expect("id"))
        .collect()
}

/// Every album and chapter of the standard catalog, read from the HTML pages with the
/// spec's patterns, equals the API's JSON (and the template's scramble id). With TLS, so
/// that the photo page's `src="https://…/media/albums/blank` pattern applies verbatim.
#[tokio::test]
async fn html_pages_parse_to_the_api_data_for_every_album() {
    let emu = Emulator::builder().tls(true).start().expect("start");
    let mut api = Api::with_client(&emu.api_domains()[0], tls_client());
    api.login_cookies().await;
    let web = Web::with_tls(&emu.html_domains()[0], true);
    let cdn = emu.image_domains()[0].clone();
    let cdn_host = cdn.strip_prefix("https://").expect("https CDN").to_owned();
    let mut chapters_checked = 0;
    let catalog = emu.catalog().clone();
    for spec in catalog.albums.iter().chain([&catalog.placeholder]) {
        let id = spec.id;
        let a = api.data(&format!("/album?id={id}")).await;
        let page = web.get(&format!("/album/{id}")).await;
        assert_eq!(page.status, 200, "album {id}");
        let h = patterns::album(&page.body);
        assert_eq!(h.album_id, id.to_string());
        assert_eq!(h.name, text(&a["name"]), "album {id}");
        assert_eq!(
            h.description,
            a["description"].as_str().unwrap_or(""),
            "album {id}"
        );
        let series: Vec<(String, String, String)> = a["series"]
            .as_array()
            .expect("series")
            .iter()
            .map(|s| (text(&s["id"]), text(&s["sort"]), text(&s["name"])))
            .collect();
        let episodes: Vec<(String, String, String)> = h
            .episodes
            .iter()
            .map(|(p, i, t)| (p.clone(), i.clone(), t.trim().to_owned()))
            .collect();
        assert_eq!(episodes, series, "album {id}");
        assert_eq!(h.page_count, text(&a["total_photos"]));
        let addtime: u64 = text(&a["addtime"]).parse().expect("addtime");
        assert_eq!(h.pub_date, civil_date(addtime), "album {id}");
        assert!(
            h.update_date.len() == 10 && h.update_date >= h.pub_date,
            "{h:?}"
        );
        assert_eq!(h.works, strings(&a["works"]), "album {id}");
        assert_eq!(h.actors, strings(&a["actors"]), "album {id}");
        assert_eq!(h.tags, strings(&a["tags"]), "album {id}");
        assert_eq!(h.authors, strings(&a["author"]), "album {id}");
        assert_eq!(h.likes, text(&a["likes"]));
        assert_eq!(h.views, text(&a["total_views"]));
        assert_eq!(h.comment_count, text(&a["comment_total"]));
        assert!(!h.is_favorite && !h.liked, "anonymous");

        // Chapters: the album's series, or the album itself when it has one chapter.
        let chapter_ids: Vec<String> = if series.is_empty() {
            vec![id.to_string()]
        } else {
            series.iter().map(|s| s.0.clone()).collect()
        };
        let first_scramble = api
            .template_scramble_id(chapter_ids[0].parse().expect("id"))
            .await
            .expect("template scramble id");
        assert_eq!(h.scramble_id, first_scramble.to_string(), "album {id}");
        for cid in chapter_ids {
            let c = api.data(&format!("/chapter?id={cid}")).await;
            let page = web.get(&format!("/photo/{cid}")).await;
            assert_eq!(page.status, 200, "photo {cid}");
            let p = patterns::photo(&page.body);
            assert_eq!(p.photo_id, cid);
            let template = api
                .template_scramble_id(cid.parse().expect("id"))
                .await
                .expect("scramble id");
            assert_eq!(p.scramble_id, template.to_string(), "photo {cid}");
            assert_eq!(p.name, text(&c["name"]).trim(), "photo {cid}");
            assert_eq!(p.data_original_domain, cdn_host);
            let images = strings(&c["images"]);
            assert_eq!(p.page_arr, images, "photo {cid}");
            assert_eq!(
                p.data_original_0,
                format!("{cdn}/media/photos/{cid}/{}", images[0])
            );
            let api_tags: Vec<String> = text(&c["tags"])
                .split_whitespace()
                .map(str::to_owned)
                .collect();
            assert_eq!(p.tags, api_tags);
            assert_eq!(p.series_id, text(&c["series_id"]));
            // Sort: the series entry's (API), and the HTML's — 2 for a single-chapter work,
            // which spec §2.3 reads as index 1.
            let api_sort = c["series"]
                .as_array()
                .expect("series")
                .iter()
                .find(|s| text(&s["id"]) == cid)
                .map_or(1, |s| text(&s["sort"]).parse().expect("sort"));
            let html_sort: u32 = p.sort.parse().expect("sort");
            let html_index = if p.series_id == "0" && html_sort == 2 {
                1
            } else {
                html_sort
            };
            assert_eq!(html_index, api_sort, "photo {cid}");
            // The first image URL is on the CDN and serves the page.
            let bytes = tls_client()
                .get(&p.data_original_0)
                .send()
                .await
                .expect("image")
                .bytes()
                .await
                .expect("bytes");
            assert!(!bytes.is_empty());
            chapters_checked += 1;
        }
    }
    assert!(chapters_checked >= 20, "{chapters_checked}");
}

/// The Base64-wrapped album page (spec §6.3.5) decodes to the same fields.
#[tokio::test]
async fn base64_wrapped_album_pages() {
    let emu = Emulator::builder()
        .html_album_base64(true)
        .start()
        .expect("start");
    let web = Web::new(&emu.html_domains()[0]);
    let page = web.get("/album/220979").await;
    assert!(
        page.body.contains("const html = base64DecodeUtf8(\""),
        "wrapped"
    );
    assert!(
        !page.body.contains("book-name"),
        "the page itself is hidden"
    );
    let h = patterns::album(&page.body);
    assert_eq!(h.album_id, "220979");
    assert_eq!(h.episodes.len(), 3);
}

/// What one listing request returns on both sides.
struct Both {
    api: Vec<u64>,
    html: Vec<u64>,
}

async fn search_both(api: &Api, web: &Web, query: &str) -> Both {
    let data = api.data(&format!("/search?{query}")).await;
    let page = web.get(&format!("/search/photos?{query}")).await;
    let (total, items) = patterns::search(&page.body).expect("search page");
    assert_eq!(total.to_string(), text(&data["total"]), "{query}");
    let both = Both {
        api: api_ids(&data),
        html: items.iter().map(|i| i.0).collect(),
    };
    assert_eq!(both.api, both.html, "{query}");
    both
}

/// Every search parameter (spec §6.2.3, §6.3.3) changes the results as it should, the same
/// way on the API and on the web site.
#[tokio::test]
async fn every_search_parameter_on_both_sides() {
    let emu = Emulator::start().expect("start");
    let mut api = Api::new(&emu.api_domains()[0]);
    api.login_cookies().await;
    let web = Web::new(&emu.html_domains()[0]);
    let catalog = emu.catalog().clone();
    let album = |id: u64| catalog.album(id).expect("album");

    // main_tag picks the field: site, work, author, tag, actor.
    let q = |tag: u8, text: &str| format!("main_tag={tag}&search_query={text}&page=1&o=mr&t=a");
    assert_eq!(
        search_both(&api, &web, &q(1, "%E5%8E%9F%E5%89%B5"))
            .await
            .api,
        [220_979]
    );
    assert_eq!(search_both(&api, &web, &q(2, "alice")).await.api, [421_925]);
    assert_eq!(search_both(&api, &web, &q(4, "carol")).await.api, [421_925]);
    assert_eq!(search_both(&api, &web, &q(3, "long")).await.api, [350_234]);
    assert!(search_both(&api, &web, &q(3, "alice")).await.api.is_empty());
    let site = search_both(&api, &web, &q(0, "single")).await.api;
    // Site search reads titles too: 230000 is \"Single 單本 no author\".
    assert_eq!(site, [1_000_000, 400_000, 230_000]);
    // The query syntax: +A must, -B must not.
    assert_eq!(
        search_both(&api, &web, &q(0, "%2Bseries+-order")).await.api,
        [421_925]
    );
    // Tags and names come through the HTML item pattern too.
    let page = web.get(&format!("/search/photos?{}", q(3, "emoji"))).await;
    let (_, items) = patterns::search(&page.body).expect("page");
    assert_eq!(items[0].1, album(438_516).title);
    assert_eq!(items[0].2, album(438_516).tags);

    // Orders (`o`): each sorts by its own field.
    let all = |o: &str| format!("main_tag=0&search_query=e&page=1&o={o}&t=a");
    let base = search_both(&api, &web, &all("mr")).await.api;
    assert!(base.windows(2).all(|w| w[0] > w[1]), "mr: newest id first");
    let check_order = |ids: &[u64], key: &dyn Fn(u64) -> u64| {
        assert!(ids.windows(2).all(|w| key(w[0]) >= key(w[1])), "{ids:?}");
    };
    let mv = search_both(&api, &web, &all("mv")).await.api;
    check_order(&mv, &|id| album(id).views);
    let mp = search_both(&api, &web, &all("mp")).await.api;
    check_order(&mp, &|id| album(id).page_count() as u64);
    let tf = search_both(&api, &web, &all("tf")).await.api;
    check_order(&tf, &|id| album(id).likes);
    let tr = search_both(&api, &web, &all("tr")).await.api;
    check_order(&tr, &|id| album(id).rating());
    let md = search_both(&api, &web, &all("md")).await.api;
    check_order(&md, &|id| album(id).comments);
    let orders: BTreeSet<Vec<u64>> = [&base, &mv, &mp, &tf, &tr, &md]
        .into_iter()
        .cloned()
        .collect();
    assert!(orders.len() >= 5, "orders differ: {orders:?}");
    for ids in &orders {
        let sorted: BTreeSet<u64> = ids.iter().copied().collect();
        assert_eq!(
            sorted,
            base.iter().copied().collect(),
            "same albums, other order"
        );
    }

    // Time (`t`): the period keeps the albums viewed in it.
    for (t, period) in [
        ("t", Period::Day),
        ("w", Period::Week),
        ("m", Period::Month),
    ] {
        let ids = search_both(
            &api,
            &web,
            &format!("main_tag=0&search_query=e&page=1&o=mr&t={t}"),
        )
        .await
        .api;
        let expected: Vec<u64> = base
            .iter()
            .copied()
            .filter(|&id| album(id).views_in(period) > 0)
            .collect();
        assert_eq!(ids, expected, "t={t}");
        assert!(ids.len() < base.len(), "t={t} filters");
    }

    // An exact id: the API's redirect_aid, the web site's redirect to the album page.
    let data = api
        .data("/search?main_tag=0&search_query=438516&page=1")
        .await;
    assert_eq!(data["redirect_aid"], "438516");
    let page = web
        .get("/search/photos?main_tag=0&search_query=438516&page=1&o=mr&t=a")
        .await;
    assert!(page.url.contains("/album/438516"), "{}", page.url);
    assert_eq!(patterns::album(&page.body).album_id, "438516");
    // An empty search: the error fieldset on the web site.
    let page = web
        .get("/search/photos?main_tag=0&search_query=&page=1")
        .await;
    let err = patterns::search(&page.body).expect_err("an error page");
    assert!(err.starts_with("搜尋錯誤: "), "{err}");

    // Category and sub-category (web only for the sub-category, spec §6.1.1b).
    let page = web
        .get("/search/photos/doujin?main_tag=0&search_query=e&page=1")
        .await;
    let (_, items) = patterns::search(&page.body).expect("page");
    let doujin: Vec<u64> = items.iter().map(|i| i.0).collect();
    assert_eq!(doujin, [268_849, 147_643]);
    let page = web
        .get("/search/photos/doujin/sub/CG?main_tag=0&search_query=e&page=1")
        .await;
    let (total, items) = patterns::search(&page.body).expect("page");
    assert_eq!((total, items[0].0), (1, 147_643));
    let page = web
        .get("/search/photos/nosuch?main_tag=0&search_query=e")
        .await;
    assert!(page.url.ends_with("/error/invalid_module"), "{}", page.url);
    let page = web.get("/albums/single/sub/CG").await;
    assert!(page.url.ends_with("/error/invalid_module"), "{}", page.url);
}

/// Paging: 80 a page on both sides, to the last page.
#[tokio::test]
async fn search_and_category_paging() {
    let emu = Emulator::builder()
        .catalog(Catalog::bench(170, 1, 16, 16))
        .start()
        .expect("start");
    let mut api = Api::new(&emu.api_domains()[0]);
    api.login_cookies().await;
    let web = Web::new(&emu.html_domains()[0]);
    let mut api_all = Vec::new();
    for (page, len) in [(1, 80), (2, 80), (3, 10), (4, 0)] {
        let ids = search_both(
            &api,
            &web,
            &format!("main_tag=0&search_query=bench&page={page}&o=mr&t=a"),
        )
        .await
        .api;
        assert_eq!(ids.len(), len, "page {page}");
        api_all.extend(ids);
        let data = api
            .data(&format!("/categories/filter?page={page}&order=&c=0&o=mr"))
            .await;
        let html = web.get(&format!("/albums?page={page}&o=mr&t=a")).await;
        let (total, items) = patterns::category(&html.body);
        assert_eq!((total, text(&data["total"])), (170, "170".to_owned()));
        assert_eq!(
            items.iter().map(|i| i.0).collect::<Vec<_>>(),
            api_ids(&data)
        );
    }
    let distinct: BTreeSet<u64> = api_all.iter().copied().collect();
    assert_eq!(distinct.len(), 170);
}

/// Categories and the day/week/month rankings (spec §6.1.1: `o=mv_t|mv_w|mv_m` on the API,
/// `o=mv&t=…` on the web site): ordered by the period's views, the same on both sides.
#[tokio::test]
async fn categories_and_rankings() {
    let emu = Emulator::start().expect("start");
    let mut api = Api::new(&emu.api_domains()[0]);
    api.login_cookies().await;
    let web = Web::new(&emu.html_domains()[0]);
    let catalog = emu.catalog().clone();

    let mut rankings = Vec::new();
    for (t, period) in [
        ("t", Period::Day),
        ("w", Period::Week),
        ("m", Period::Month),
    ] {
        let data = api
            .data(&format!("/categories/filter?page=1&order=&c=0&o=mv_{t}"))
            .await;
        let ids = api_ids(&data);
        let html = web.get(&format!("/albums?page=1&o=mv&t={t}")).await;
        let (total, items) = patterns::category(&html.body);
        assert_eq!(items.iter().map(|i| i.0).collect::<Vec<_>>(), ids, "t={t}");
        assert_eq!(total.to_string(), text(&data["total"]));
        let mut expected: Vec<&jmcomic_emulator::AlbumSpec> = catalog
            .albums
            .iter()
            .filter(|a| a.views_in(period) > 0)
            .collect();
        expected.sort_by_key(|a| {
            (
                std::cmp::Reverse(a.views_in(period)),
                std::cmp::Reverse(a.id),
            )
        });
        assert_eq!(
            ids,
            expected.iter().map(|a| a.id).collect::<Vec<_>>(),
            "t={t}"
        );
        // Names and tags through the category item pattern.
        for (id, name, tags) in &items {
            let a = catalog.album(*id).expect("album");
            assert_eq!((name, tags), (&a.title, &a.tags));
        }
        rankings.push(ids);
    }
    assert!(rankings[0].len() < rankings[1].len() && rankings[1].len() < rankings[2].len());
    assert_ne!(rankings[1][..3], rankings[2][..3]);

    // Categories: `c` on the API, the path on the web site.
    for category in ["doujin", "single", "3D", "hanman"] {
        let data = api
            .data(&format!(
                "/categories/filter?page=1&order=&c={category}&o=mr"
            ))
            .await;
        let html = web
            .get(&format!("/albums/{category}?page=1&o=mr&t=a"))
            .await;
        let (_, items) = patterns::category(&html.body);
        let ids = api_ids(&data);
        assert_eq!(items.iter().map(|i| i.0).collect::<Vec<_>>(), ids);
        let expected: Vec<u64> = {
            let mut v: Vec<u64> = catalog
                .albums
                .iter()
                .filter(|a| a.category == category)
                .map(|a| a.id)
                .collect();
            v.sort_unstable_by(|a, b| b.cmp(a));
            v
        };
        assert_eq!(ids, expected, "{category}");
        assert!(!ids.is_empty());
        for item in data["content"].as_array().expect("content") {
            assert_ne!(item["category"]["title"], "");
        }
    }
    let html = web.get("/albums/single/sub/youth?page=1").await;
    assert_eq!(
        patterns::category(&html.body)
            .1
            .iter()
            .map(|i| i.0)
            .collect::<Vec<_>>(),
        [230_000]
    );
    let data = api
        .data("/categories/filter?page=1&order=&c=nosuch&o=mr")
        .await;
    assert_eq!(data["total"], "0");
}

/// The favourites page, the add/delete ajax routes and `is_favorite`/`liked` on the album
/// page, all sharing the API's state.
#[tokio::test]
async fn html_favourites_and_album_flags() {
    let emu = Emulator::builder()
        .account(UserSpec::default_user().with_liked(220_979))
        .user("mallory", "pw")
        .start()
        .expect("start");
    let mut web = Web::new(&emu.html_domains()[0]);
    // Anonymous: the favourites page is "user missing", the ajax refuses.
    let page = web
        .get(&format!("/user/{DEFAULT_USERNAME}/favorite/albums"))
        .await;
    assert!(page.url.ends_with("/error/user_missing"), "{}", page.url);
    let refused = web
        .post(
            "/ajax/favorite_album",
            &[("album_id", "438516"), ("fid", "0")],
        )
        .await
        .json();
    assert_ne!(refused["status"], 1);

    assert_eq!(
        web.login(DEFAULT_USERNAME, DEFAULT_PASSWORD).await.json()["status"],
        1
    );
    let state = emu.user_state(DEFAULT_USERNAME).expect("user");
    let fid = state.folders[1].0.to_string();
    let add = |id: &'static str, fid: String| {
        let web = &web;
        async move {
            web.post("/ajax/favorite_album", &[("album_id", id), ("fid", &fid)])
                .await
        }
    };
    let first = add("438516", fid.clone()).await;
    assert_eq!(first.json()["status"], 1, "{}", first.body);
    // Adding again is refused with the site's message (not a toggle on this side).
    let again = add("438516", fid.clone()).await;
    assert!(
        again.body.contains("\\u"),
        "PHP-style escapes: {}",
        again.body
    );
    let json = again.json();
    assert_ne!(json["status"], 1);
    let msg = text(&json["msg"]);
    let narrowed = patterns::maybe(r"</button>(.*?)</div>", &msg).expect("alert");
    assert_eq!(narrowed, "此圖片已經在您最喜愛的清單！");
    assert_eq!(add("220979", "0".into()).await.json()["status"], 1);
    assert_eq!(
        add("500000", "999".into()).await.json()["status"],
        0,
        "no such folder"
    );

    // The API sees the same favourites.
    let mut api = Api::new(&emu.api_domains()[0]);
    api.login(DEFAULT_USERNAME, DEFAULT_PASSWORD).await;
    let list = api.data("/favorite?page=1&folder_id=0&o=mr").await;
    let api_list: Vec<u64> = list["list"]
        .as_array()
        .expect("list")
        .iter()
        .map(|i| text(&i["id"]).parse().expect("id"))
        .collect();
    assert_eq!(api_list, [220_979, 438_516]);

    // The favourites page, through the spec's patterns (both total patterns).
    let user_path = format!("/user/{DEFAULT_USERNAME}/favorite/albums");
    let page = web.get(&format!("{user_path}?page=1&o=mr&folder=0")).await;
    let (total, items, folders) = patterns::favorites(&page.body);
    assert_eq!(total, 2);
    assert_eq!(items.iter().map(|i| i.0).collect::<Vec<_>>(), api_list);
    assert_eq!(items[0].1, emu.catalog().album(220_979).expect("a").title);
    assert_eq!(folders, state.folders);
    let page = web
        .get(&format!("{user_path}?page=1&o=mr&folder={fid}"))
        .await;
    let (total, items, _) = patterns::favorites(&page.body);
    assert_eq!((total, items.len(), items[0].0), (1, 1, 438_516));
    // Someone else's favourites: "user missing".
    let page = web.get("/user/mallory/favorite/albums").await;
    assert!(page.url.ends_with("/error/user_missing"));

    // Album page flags for this user; another user sees neither.
    let h = patterns::album(&web.get("/album/220979").await.body);
    assert!(h.is_favorite && h.liked);
    let h = patterns::album(&web.get("/album/438516").await.body);
    assert!(h.is_favorite && !h.liked);
    let a = api.data("/album?id=220979").await;
    assert_eq!(
        (a["is_favorite"].clone(), a["liked"].clone()),
        (Value::Bool(true), Value::Bool(true))
    );
    let mut other = Web::new(&emu.html_domains()[0]);
    other.login("mallory", "pw").await;
    let h = patterns::album(&other.get("/album/220979").await.body);
    assert!(!h.is_favorite && !h.liked);

    // Delete: removed once, then "not a favourite".
    let del = web
        .post("/ajax/delete_favorite_album", &[("album_id", "438516")])
        .await;
    assert_eq!(del.json()["status"], 1);
    let del = web
        .post("/ajax/delete_favorite_album", &[("album_id", "438516")])
        .await;
    assert_eq!(del.json()["status"], 0);
    assert_eq!(
        emu.user_state(DEFAULT_USERNAME).expect("u").favorites,
        [(220_979, 0)]
    );
}

/// The comment HTML as a DOM (roxmltree, an independent reader): top-level comments and
/// their nested replies with the fields spec §6.3.5 walks for.
#[derive(Debug, PartialEq, Eq)]
struct DomComment {
    cid: String,
    user_id: String,
    username: String,
    album_id: String,
    nickname: String,
    date: String,
    content: String,
    spoiler: bool,
    replies: Vec<DomComment>,
}

fn classes<'a>(node: roxmltree::Node<'a, '_>) -> Vec<&'a str> {
    node.attribute("class")
        .unwrap_or("")
        .split_whitespace()
        .collect()
}

fn is_comment(node: roxmltree::Node<'_, '_>) -> bool {
    classes(node).contains(&"timeline") && node.attribute("data-cid").is_some()
}

/// Descendants of `node` that are not inside a nested comment.
fn own<'a, 'i>(node: roxmltree::Node<'a, 'i>) -> Vec<roxmltree::Node<'a, 'i>> {
    let mut out = Vec::new();
    for child in node.children().filter(roxmltree::Node::is_element) {
        if is_comment(child) {
            continue;
        }
        out.push(child);
        out.extend(own(child));
    }
    out
}

fn text_of(node: roxmltree::Node<'_, '_>) -> String {
    let mut out = String::new();
    for d in node.descendants() {
        if d.is_text() {
            out.push_str(d.text().unwrap_or(""));
        } else if d.has_tag_name("br") {
            out.push('\n');
        }
    }
    out.trim().to_owned()
}

fn dom_comment(node: roxmltree::Node<'_, '_>) -> DomComment {
    let mine = own(node);
    let with_class = |c: &str| mine.iter().copied().find(|n| classes(*n).contains(&c));
    let left = with_class("timeline-left").expect("timeline-left");
    let img = left
        .descendants()
        .find(|n| n.has_tag_name("img"))
        .expect("avatar");
    let user_link = left
        .descendants()
        .find_map(|n| n.attribute("href").filter(|h| h.contains("/user/")))
        .expect("user link");
    let username = user_link
        .split("/user/")
        .nth(1)
        .expect("name")
        .split('/')
        .next()
        .expect("n");
    let ft = with_class("timeline-ft").expect("timeline-ft");
    let album_link = ft
        .descendants()
        .find_map(|n| n.attribute("href"))
        .expect("album link");
    DomComment {
        cid: node.attribute("data-cid").expect("cid").to_owned(),
        user_id: img.attribute("data-userid").expect("userid").to_owned(),
        username: percent_encoding::percent_decode_str(username)
            .decode_utf8()
            .expect("utf-8")
            .into_owned(),
        album_id: album_link
            .trim_matches('/')
            .rsplit('/')
            .next()
            .expect("id")
            .to_owned(),
        nickname: text_of(with_class("timeline-username").expect("username")),
        date: text_of(with_class("timeline-date").expect("date")),
        content: text_of(with_class("timeline-content").expect("content")),
        spoiler: with_class("disclose").is_some(),
        replies: node
            .descendants()
            .filter(|n| *n != node && is_comment(*n))
            .filter(|n| n.ancestors().skip(1).find(|a| is_comment(*a)) == Some(node))
            .map(dom_comment)
            .collect(),
    }
}

fn dom_comments(fragment: &str) -> Vec<DomComment> {
    let doc_text = format!("<root>{fragment}</root>");
    let doc = roxmltree::Document::parse(&doc_text)
        .unwrap_or_else(|e| panic!("comment HTML is not well-formed: {e}\n{fragment}"));
    doc.root_element()
        .descendants()
        .filter(|n| is_comment(*n))
        .filter(|n| !n.ancestors().skip(1).any(is_comment))
        .map(dom_comment)
        .collect()
}

/// The API's comment object read the way spec §6.2.3 says (content HTML to text).
fn api_comment(c: &Value) -> DomComment {
    let content = unescape(&text(&c["content"]).replace("<br>", "\n"));
    DomComment {
        cid: text(&c["CID"]),
        user_id: text(&c["UID"]),
        username: text(&c["username"]),
        album_id: text(&c["AID"]),
        nickname: text(&c["nickname"]),
        date: text(&c["addtime"]),
        content: content.trim().to_owned(),
        spoiler: c["spoiler"] == "2",
        replies: c["replys"]
            .as_array()
            .expect("replys")
            .iter()
            .map(api_comment)
            .collect(),
    }
}

#[tokio::test]
async fn comments_on_both_sides_paging_and_posting() {
    let emu = Emulator::start().expect("start");
    let mut api = Api::new(&emu.api_domains()[0]);
    api.login_cookies().await;
    let mut web = Web::new(&emu.html_domains()[0]);
    let aid = "10086";
    let total: usize = text(&api.data(&format!("/album?id={aid}")).await["comment_total"])
        .parse()
        .expect("n");
    let pages = total.div_ceil(10);
    let pager = r#"id=["']p_album_comments_\d+_(\d+)["']"#;
    let mut spoilers = 0;
    for page in 1..=pages + 1 {
        let p = page.to_string();
        let html = web
            .post(
                "/ajax/album_pagination",
                &[
                    ("video_id", aid),
                    ("page", &p),
                    ("series", "1"),
                    ("with_ad_wcm", "1"),
                ],
            )
            .await
            .json();
        assert_eq!(html["err"], false);
        let fragment = text(&html["code"]);
        let dom = dom_comments(&fragment);
        let data = api
            .data(&format!("/forum?mode=all&page={p}&aid={aid}"))
            .await;
        let from_api: Vec<DomComment> = data["list"]
            .as_array()
            .expect("list")
            .iter()
            .map(api_comment)
            .collect();
        assert_eq!(dom, from_api, "page {page}");
        spoilers += dom.iter().filter(|c| c.spoiler).count();
        // The pager names page+1 exactly when there is one (spec §6.1.1).
        let next: BTreeSet<String> = patterns::all(pager, &fragment)
            .into_iter()
            .map(|g| g[0].clone())
            .collect();
        assert_eq!(
            next.contains(&(page + 1).to_string()),
            page < pages,
            "page {page}"
        );
    }
    assert!(spoilers > 0);

    // The forum: API pages and the web's `forum_more`, which repeats its last page.
    let first = api.data("/forum?mode=all&page=1").await;
    let forum_total: usize = text(&first["total"]).parse().expect("n");
    let forum_html = |page: usize| {
        let web = &web;
        async move {
            let p = page.to_string();
            let json = web
                .post("/ajax/forum_more", &[("page", &p), ("with_ad_wcm", "1")])
                .await
                .json();
            assert_eq!(json["err"], false);
            json["message"]
                .as_array()
                .expect("message list")
                .iter()
                .flat_map(|m| dom_comments(m.as_str().expect("html")))
                .collect::<Vec<_>>()
        }
    };
    let api_first: Vec<DomComment> = first["list"]
        .as_array()
        .expect("l")
        .iter()
        .map(api_comment)
        .collect();
    assert_eq!(forum_html(1).await, api_first);
    let last = forum_total.div_ceil(10);
    assert_eq!(forum_html(last + 3).await, forum_html(last).await);
    assert!(!forum_html(last).await.is_empty());

    // Posting (web only, logged in): a comment, then a reply to it.
    let refused = web
        .post(
            "/ajax/album_comment",
            &[
                ("video_id", aid),
                ("comment", "hi"),
                ("originator", ""),
                ("status", "true"),
            ],
        )
        .await
        .json();
    assert_eq!(refused["err"], true);
    web.login(DEFAULT_USERNAME, DEFAULT_PASSWORD).await;
    let posted = web
        .post(
            "/ajax/album_comment",
            &[
                ("video_id", aid),
                ("comment", "First <b>line</b>\nsecond & last"),
                ("originator", ""),
                ("status", "true"),
            ],
        )
        .await
        .json();
    assert_eq!(posted["err"], false, "{posted}");
    let cid = posted["cid"].to_string();
    let reply = web
        .post(
            "/ajax/album_comment",
            &[
                ("video_id", aid),
                ("comment", "a reply"),
                ("originator", ""),
                ("comment_id", &cid),
                ("is_reply", "1"),
                ("forum_subject", "1"),
            ],
        )
        .await
        .json();
    assert_eq!(reply["err"], false, "{reply}");
    let data = api.data(&format!("/forum?mode=all&page=1&aid={aid}")).await;
    assert_eq!(data["total"], (total + 1).to_string());
    let newest = api_comment(&data["list"][0]);
    assert_eq!(newest.cid, cid);
    assert_eq!(newest.username, DEFAULT_USERNAME);
    assert_eq!(newest.content, "First <b>line</b>\nsecond & last");
    assert_eq!(newest.replies.len(), 1);
    assert_eq!(newest.replies[0].content, "a reply");
    assert_eq!(text(&data["list"][0]["replys"][0]["parent_CID"]), cid);
    let html = web
        .post(
            "/ajax/album_pagination",
            &[("video_id", aid), ("page", "1")],
        )
        .await
        .json();
    assert_eq!(dom_comments(&text(&html["code"]))[0], newest);
    assert_eq!(
        api_comment(&api.data("/forum?mode=all&page=1").await["list"][0]),
        newest
    );
    let h = patterns::album(&web.get(&format!("/album/{aid}")).await.body);
    assert_eq!(h.comment_count, (total + 1).to_string());
}

#[tokio::test]
async fn html_login_check_in_and_logout() {
    let emu = Emulator::start().expect("start");
    let mut web = Web::new(&emu.html_domains()[0]);
    // The login form exists; bad credentials: status 0 with errors.
    let form = web.get("/login").await;
    for field in [
        "username",
        "password",
        "id_remember",
        "login_remember",
        "submit_login",
    ] {
        assert!(form.body.contains(&format!("name=\"{field}\"")), "{field}");
    }
    let bad = web.login(DEFAULT_USERNAME, "wrong").await;
    let json = bad.json();
    assert_eq!(json["status"], 0);
    assert!(json["errors"][0].as_str().is_some_and(|e| !e.is_empty()));
    assert!(web.cookie.is_none());

    let good = web.login(DEFAULT_USERNAME, DEFAULT_PASSWORD).await;
    assert_eq!(good.json()["status"], 1);
    let avs = web.cookie.clone().expect("AVS cookie");
    // A repeated login with the cookie: success, and no new AVS (spec §6.3.3 quirk).
    let repeat = web.login(DEFAULT_USERNAME, DEFAULT_PASSWORD).await;
    assert_eq!(repeat.json()["status"], 1);
    assert!(crate::support::set_cookie(&repeat.headers, "AVS").is_none());
    assert_eq!(web.cookie.as_deref(), Some(avs.as_str()));

    // Check-in: the home page's daily id, the event, the sign, once a day.
    let home = web.get("/").await;
    let daily_id = patterns::one("daily id", r#"data-dailyid="(\d+)""#, &home.body);
    let event = web
        .get(&format!("/ajax/user_daily_event?daily_id={daily_id}"))
        .await
        .json();
    for field in [
        "dateArray",
        "dateMiss",
        "dateEvent",
        "oldStep",
        "error",
        "pc_img",
        "mb_img",
    ] {
        assert!(event.get(field).is_some(), "{field}: {event}");
    }
    let step = event["oldStep"].to_string();
    let form = [("daily_id", daily_id.as_str()), ("oldStep", step.as_str())];
    let first = web.post("/ajax/user_daily_sign", &form).await.json();
    assert_eq!(first["status"], 1, "{first}");
    let second = web.post("/ajax/user_daily_sign", &form).await.json();
    assert_ne!(second["status"], 1);
    assert_eq!(second["error"], "finished");
    assert_eq!(second["msg"], "今天已經簽到過了");
    let event = web
        .get(&format!("/ajax/user_daily_event?daily_id={daily_id}"))
        .await
        .json();
    assert_eq!(event["oldStep"], 1);
    assert_eq!(event["dateArray"].as_array().expect("dates").len(), 1);

    // The same day is signed for the API too (one account, one state).
    let mut api = Api::new(&emu.api_domains()[0]);
    let user = api.login(DEFAULT_USERNAME, DEFAULT_PASSWORD).await;
    let uid = text(&user["uid"]);
    let (_, msg) = api
        .post("/daily_chk", &[("user_id", &uid), ("daily_id", &daily_id)])
        .await;
    assert_eq!(msg["msg"], "今天已經簽到過了");
    // The API's session works on the web site too.
    let mut cross = Web::new(&emu.html_domains()[0]);
    cross.cookie = Some(format!("AVS={}", text(&user["s"])));
    let page = cross
        .get(&format!("/user/{DEFAULT_USERNAME}/favorite/albums"))
        .await;
    assert_eq!(page.status, 200, "{}", page.url);

    // Logout ends the session.
    let out = web.get_raw("/logout").await;
    assert_eq!(out.status, 302);
    let page = web
        .get(&format!("/user/{DEFAULT_USERNAME}/favorite/albums"))
        .await;
    assert!(page.url.ends_with("/error/user_missing"));
    assert_eq!(
        web.post("/ajax/user_daily_sign", &form).await.json()["status"],
        0
    );
}

/// Cloudflare challenges and the region block on demand (spec §6.3.4), for some requests.
#[tokio::test]
async fn cloudflare_and_region_block_on_demand() {
    let emu = Emulator::builder()
        .fault(
            FaultRule::new("/album/", FaultKind::cloudflare())
                .on_role(HostRole::Html)
                .times(Times::First(2)),
        )
        .start()
        .expect("start");
    let web = Web::new(&emu.html_domains()[0]);
    for _ in 0..2 {
        let page = web.get("/album/438516").await;
        assert_eq!(page.status, 403);
        assert_eq!(page.headers["cf-mitigated"], "challenge");
        assert_eq!(page.headers["server"], "cloudflare");
        assert!(page.body.contains("<title>Just a moment...</title>"));
        // Longer than the 500 characters below which spec §6.3.4 checks bodies.
        assert!(page.body.chars().count() > 500);
    }
    assert_eq!(web.get("/album/438516").await.status, 200);
    // The role keeps the API out of it.
    let mut api = Api::new(&emu.api_domains()[0]);
    api.login_cookies().await;
    emu.add_fault("cloudflare;role=html".parse().expect("rule"));
    assert_eq!(api.data("/album?id=438516").await["id"], 438_516);
    assert_eq!(web.get("/").await.status, 403);
    emu.clear_faults();

    let id = emu.add_fault("region-block@/;host=2".parse().expect("rule"));
    let page = web.get("/search/photos?search_query=x").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Restricted Access!"));
    assert!(
        page.body.chars().count() <= 500,
        "short enough for spec §6.3.4's check"
    );
    emu.remove_fault(id);
    emu.add_fault(
        FaultRule::new("/", FaultKind::RegionBlock { status: 403 })
            .on_role(HostRole::Html)
            .times(Times::First(1)),
    );
    assert_eq!(web.get("/").await.status, 403);
    assert_eq!(web.get("/").await.status, 200);
    // The mysql page of spec §6.3.4 step 3 works on HTML hosts as on the API.
    emu.add_fault("mysql@/albums;role=html;first=1".parse().expect("rule"));
    let page = web.get("/albums").await;
    assert!(page.body.contains("Could not connect to mysql!"));
}

/// Login-only albums: missing for anonymous users on both sides, there once logged in.
#[tokio::test]
async fn login_only_albums() {
    let emu = Emulator::builder()
        .login_only([438_516, 220_979])
        .start()
        .expect("start");
    let mut api = Api::new(&emu.api_domains()[0]);
    api.login_cookies().await;
    let web = Web::new(&emu.html_domains()[0]);

    // Anonymous API: the missing-album answer (null name, spec §6.2.5), chapters too, and
    // no scramble id in the template.
    assert!(api.data("/album?id=438516").await["name"].is_null());
    assert!(api.data("/chapter?id=220980").await["name"].is_null());
    assert!(api.data("/album?id=220980").await["name"].is_null());
    assert_eq!(api.template_scramble_id(438_516).await, None);
    // Other albums are unaffected; the album still shows in search results.
    assert_eq!(api.data("/album?id=400000").await["id"], 400_000);
    let found = api
        .data("/search?main_tag=3&search_query=emoji&page=1")
        .await;
    assert_eq!(api_ids(&found), [438_516]);
    // Anonymous web: redirected to the missing-album page.
    for path in [
        "/album/438516",
        "/photo/438516",
        "/photo/220981",
        "/album/220980",
    ] {
        let page = web.get(path).await;
        assert!(
            page.url.ends_with("/error/album_missing"),
            "{path}: {}",
            page.url
        );
        assert_eq!(page.status, 200);
    }
    let raw = web.get_raw("/album/438516").await;
    assert_eq!(raw.status, 302);

    // Logged in (the API's login): everything is there, on both sides.
    let user = api.login(DEFAULT_USERNAME, DEFAULT_PASSWORD).await;
    assert_eq!(api.data("/album?id=438516").await["id"], 438_516);
    assert_eq!(api.data("/chapter?id=220980").await["id"], 220_980);
    assert!(api.template_scramble_id(438_516).await.is_some());
    let mut web = web;
    web.cookie = Some(format!("AVS={}", text(&user["s"])));
    assert_eq!(
        patterns::album(&web.get("/album/438516").await.body).album_id,
        "438516"
    );
    // Plain HTTP here, so only the id (the image-domain pattern needs TLS, see the crate docs).
    let photo = web.get("/photo/220981").await.body;
    let id = patterns::one(
        "photo_id",
        r#"<meta property="og:url" content=".*?/photo/(\d+)/?.*?">"#,
        &photo,
    );
    assert_eq!(id, "220981");
    // A non-first chapter id on the album route: its album.
    let page = web.get("/album/220980").await;
    assert!(page.url.contains("/album/220979"), "{}", page.url);

    // The option that lets the API serve them anyway; the web site still refuses.
    let emu = Emulator::builder()
        .login_only([438_516])
        .api_shows_login_only(true)
        .start()
        .expect("start");
    let mut api = Api::new(&emu.api_domains()[0]);
    api.login_cookies().await;
    assert_eq!(api.data("/album?id=438516").await["id"], 438_516);
    let page = Web::new(&emu.html_domains()[0]).get("/album/438516").await;
    assert!(page.url.ends_with("/error/album_missing"));
    // The listing marks them.
    let listing = emu.catalog().listing();
    let marked: Vec<u64> = listing
        .albums
        .iter()
        .filter(|a| a.login_only)
        .map(|a| a.id)
        .collect();
    assert_eq!(marked, [438_516]);
    assert!(Emulator::builder().login_only([5]).start().is_err());
}

/// Missing ids on the web site go to the error page (spec §6.3.4 step 4).
#[tokio::test]
async fn missing_albums_on_the_web_site() {
    let emu = Emulator::start().expect("start");
    let web = Web::new(&emu.html_domains()[0]);
    for path in ["/album/999999", "/photo/999999", "/album/abc"] {
        let page = web.get(path).await;
        assert!(page.url.ends_with("/error/album_missing"), "{path}");
    }
    assert_eq!(web.get("/no/such/page").await.status, 404);
}

/// Domain discovery (spec §6.3.1): the permanent link's 301 then 302, and the publish page.
#[tokio::test]
async fn permanent_link_and_publish_page() {
    let emu = Emulator::builder().html_hosts(2).start().expect("start");
    let html = emu.html_domains();
    assert_eq!(html.len(), 2);
    let link = emu.permanent_link_url().expect("link");
    let raw = Web::new("");
    let first = raw.get_raw(&link).await;
    assert_eq!(first.status, 301);
    let next = first.headers["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let second = raw.get_raw(&next).await;
    assert_eq!(second.status, 302);
    let target = second.headers["location"].to_str().expect("location");
    assert_eq!(target, format!("{}/", html[0]));
    emu.set_permanent_link_target(1);
    let second = raw.get_raw(&next).await;
    assert_eq!(
        second.headers["location"].to_str().expect("l"),
        format!("{}/", html[1])
    );
    // The target serves the site.
    assert_eq!(
        raw.get(&format!("{}/album/438516", html[1])).await.status,
        200
    );

    let publish = raw.get(&emu.publish_url().expect("publish")).await;
    assert_eq!(publish.status, 200);
    let linked: Vec<String> = patterns::all(r#"href="([^"]+)/""#, &publish.body)
        .into_iter()
        .map(|g| g[0].clone())
        .collect();
    assert_eq!(linked, html);

    // No HTML hosts: no discovery host either.
    let emu = Emulator::builder().html_hosts(0).start().expect("start");
    assert!(emu.permanent_link_url().is_none() && emu.html_domains().is_empty());
    assert_eq!(emu.host_addrs().len(), 2);
}
