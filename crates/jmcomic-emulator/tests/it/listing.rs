//! The catalog listing: `jmcomic-emulator --list [--json]` and `GET /_emulator/catalog`,
//! checked against what the API and the CDN actually serve.

use std::collections::BTreeMap;
use std::process::{Command, Output};

use jmcomic_emulator::{Catalog, Emulator};
use serde_json::Value;

use crate::support::{Api, client, strip_count};

fn emulator_bin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jmcomic-emulator"))
        .args(args)
        .output()
        .expect("run jmcomic-emulator")
}

fn list_json(args: &[&str]) -> Value {
    let mut all = vec!["--list", "--json"];
    all.extend_from_slice(args);
    let out = emulator_bin(&all);
    assert!(
        out.status.success(),
        "{all:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("--list --json prints JSON")
}

/// The `id`s of a JSON array of objects (numbers in the listing, strings in search results).
fn ids(value: &Value) -> Vec<u64> {
    value
        .as_array()
        .expect("array")
        .iter()
        .map(|v| match &v["id"] {
            Value::String(s) => s.parse().expect("numeric id"),
            other => other.as_u64().expect("id"),
        })
        .collect()
}

/// Every album and chapter `--list --json` names is what the API and the CDN serve: titles,
/// chapter ids, page counts and kinds, the template's scramble id and the pages it cuts.
#[tokio::test]
async fn list_json_tells_what_the_site_serves() {
    let listing = list_json(&[]);
    let emu = Emulator::start().expect("start");
    let mut api = Api::new(&emu.api_domains()[0]);
    api.login_cookies().await;

    // Nothing is left out: the site's own search with no words finds exactly these albums.
    let all = api.data("/search?search_query=&page=1").await;
    let mut searched = ids(&all["content"]);
    let mut listed = ids(&listing["albums"]);
    searched.sort_unstable();
    listed.sort_unstable();
    assert_eq!(searched, listed);
    assert!(listed.len() >= 10, "{listed:?}");

    let mut total_pages = 0;
    let mut scramble_ids = BTreeMap::new();
    for album in listing["albums"].as_array().expect("albums") {
        let id = album["id"].as_u64().expect("id");
        let served = api.data(&format!("/album?id={id}")).await;
        assert_eq!(served["name"], album["title"], "album {id}");
        assert_eq!(served["author"], album["authors"], "album {id}");
        let chapters = album["chapters"].as_array().expect("chapters");
        let series = served["series"].as_array().expect("series");
        if series.is_empty() {
            assert_eq!(ids(&album["chapters"]), [id], "single album {id}");
        } else {
            let served_ids: Vec<u64> = series
                .iter()
                .map(|s| s["id"].as_str().expect("id").parse().expect("number"))
                .collect();
            assert_eq!(served_ids, ids(&album["chapters"]), "album {id}");
        }
        let mut album_pages = 0;
        for chapter in chapters {
            let cid = chapter["id"].as_u64().expect("chapter id");
            let served = api.data(&format!("/chapter?id={cid}")).await;
            let images: Vec<&str> = served["images"]
                .as_array()
                .expect("images")
                .iter()
                .map(|v| v.as_str().expect("name"))
                .collect();
            assert_eq!(chapter["pages"], images.len(), "chapter {cid}");
            assert_eq!(served["name"], chapter["title"], "chapter {cid}");

            let sid = api.template_scramble_id(cid).await.expect("scramble id");
            assert_eq!(chapter["scramble_id"], sid, "chapter {cid}");
            scramble_ids.insert(cid, sid);

            // Kinds by what the CDN sends, scrambled pages by the spec's strip count.
            let mut kinds: BTreeMap<String, u64> = BTreeMap::new();
            let mut scrambled = 0;
            for name in &images {
                let resp = client()
                    .get(format!(
                        "{}/media/photos/{cid}/{name}",
                        emu.image_domains()[0]
                    ))
                    .send()
                    .await
                    .expect("send");
                assert_eq!(resp.status(), 200, "{cid}/{name}");
                let bytes = resp.bytes().await.expect("body");
                let kind = match (&bytes[..4], bytes.get(8..16)) {
                    (b"RIFF", Some(b"WEBPVP8L")) => "lossless-webp",
                    (b"RIFF", Some(w)) if w.starts_with(b"WEBPVP8") => "lossy-webp",
                    (b"GIF8", _) => "gif",
                    ([0xFF, 0xD8, 0xFF, _], _) => "jpeg",
                    _ => panic!("{cid}/{name}: unknown format"),
                };
                *kinds.entry(kind.to_owned()).or_insert(0) += 1;
                let stem = name.split('.').next().expect("stem");
                if kind != "gif" && strip_count(sid, cid, stem) > 0 {
                    scrambled += 1;
                }
            }
            let listed_kinds: BTreeMap<String, u64> =
                serde_json::from_value(chapter["page_kinds"].clone()).expect("page_kinds");
            assert_eq!(listed_kinds, kinds, "chapter {cid}");
            assert_eq!(chapter["scrambled_pages"], scrambled, "chapter {cid}");
            album_pages += images.len();
        }
        assert_eq!(album["pages"], album_pages, "album {id}");
        total_pages += album_pages;
    }
    let placeholder = &listing["placeholder"];
    let without_cookies = Api::new(&emu.api_domains()[0])
        .data("/album?id=438516")
        .await;
    assert_eq!(without_cookies["id"], placeholder["id"]);
    assert_eq!(without_cookies["name"], placeholder["title"]);
    total_pages += placeholder["pages"].as_u64().expect("pages") as usize;
    assert_eq!(listing["total_pages"], total_pages);
    // The listing shows the scramble ids that are not 220980.
    let unusual: Vec<(u64, u64)> = scramble_ids
        .into_iter()
        .filter(|&(_, sid)| sid != 220_980)
        .collect();
    assert!(unusual.len() >= 4, "{unusual:?}");
}

#[test]
fn list_text_follows_the_catalog_flags() {
    let out = emulator_bin(&["--list"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    let listing = list_json(&[]);
    for album in listing["albums"].as_array().expect("albums") {
        let line = format!("album {}  ", album["id"]);
        assert!(
            text.lines().any(|l| l.starts_with(&line)),
            "{line:?} in\n{text}"
        );
        for chapter in album["chapters"].as_array().expect("chapters") {
            let line = format!("  chapter {} #{}  ", chapter["id"], chapter["sort"]);
            assert!(text.lines().any(|l| l.starts_with(&line)), "{line:?}");
        }
    }
    assert!(text.contains("own scramble id 500124"), "{text}");

    // The bench catalog's size flags are followed.
    let bench = list_json(&[
        "--catalog",
        "bench",
        "--bench-albums",
        "3",
        "--bench-pages",
        "2",
    ]);
    let albums = bench["albums"].as_array().expect("albums");
    assert_eq!(albums.len(), 3);
    assert!(albums.iter().all(|a| a["pages"] == 2));
    assert_eq!(
        bench["total_pages"],
        3 * 2 + bench["placeholder"]["pages"].as_u64().expect("n")
    );

    // Hostile titles (NUL, ANSI escapes, CR LF) come out escaped: the only control
    // character in the text is the line feed ending each line.
    let out = emulator_bin(&["--list", "--catalog", "hostile"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(text.contains("\\u{1b}[31mred"), "{text}");
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "raw control characters in\n{text}"
    );
    let hostile = list_json(&["--catalog", "hostile"]);
    assert_eq!(
        hostile["albums"].as_array().expect("albums").len(),
        text.lines().filter(|l| l.starts_with("album ")).count()
    );

    // --json alone is a usage error.
    let out = emulator_bin(&["--json"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--list"));
}

#[tokio::test]
async fn catalog_route_is_plain_json_on_api_hosts() {
    let emu = Emulator::start().expect("start");
    // No token, no cookie, no encryption.
    let resp = client()
        .get(format!("{}/_emulator/catalog", emu.api_domains()[0]))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("application/json")
    );
    let body: Value = serde_json::from_slice(&resp.bytes().await.expect("body")).expect("JSON");
    assert_eq!(body, list_json(&[]));
    // The CDN does not serve it.
    let resp = client()
        .get(format!("{}/_emulator/catalog", emu.image_domains()[0]))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 404);

    // It lists the catalog being served, whatever it is.
    let emu = Emulator::builder()
        .catalog(Catalog::bench(5, 1, 16, 16))
        .start()
        .expect("start");
    let resp = client()
        .get(format!("{}/_emulator/catalog", emu.api_domains()[0]))
        .send()
        .await
        .expect("send");
    let body: Value = serde_json::from_slice(&resp.bytes().await.expect("body")).expect("JSON");
    assert_eq!(
        body,
        list_json(&[
            "--catalog",
            "bench",
            "--bench-albums",
            "5",
            "--bench-pages",
            "1",
            "--bench-width",
            "16",
            "--bench-height",
            "16",
        ])
    );
    // And the library gives the same listing.
    assert_eq!(
        body,
        serde_json::to_value(emu.catalog().listing()).expect("serialise")
    );
}
