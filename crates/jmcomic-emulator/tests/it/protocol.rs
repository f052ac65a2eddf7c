//! Mobile API protocol: signing, envelope, cookies, shapes (spec §6.2).

use std::time::Duration;

use jmcomic_emulator::{Catalog, Emulator, MissingStyle, TemplateSecret};
use serde_json::Value;

use crate::support::{Api, CONTENT_SECRET, SECRET, decrypt_data, decrypt_domain_file, md5_hex};

const NOT_LEGAL: &str = r#"{"code":400,"data":[],"errorMsg":"Not legal."}"#;

fn start() -> Emulator {
    Emulator::builder().start().expect("start")
}

#[tokio::test]
async fn envelope_decrypts_with_the_golden_vector_timestamp() {
    let emu = start();
    let mut api = Api::new(&emu.api_domains()[0]);
    // A timestamp from crypto.json: the key must be md5hex("{ts}185Hcomic3PAPP7R").
    api.ts = "1700566805".into();
    let setting = api.login_cookies().await;
    assert_eq!(setting["jm3_version"], "2.1.12");
    let (status, body) = api.raw("/album?id=438516").await;
    assert_eq!(status, 200);
    let env: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(env["code"], 200);
    assert_eq!(env["errorMsg"], "");
    let data = env["data"].as_str().expect("data");
    let text = decrypt_data("1700566805", data).expect("decrypt with the vector key");
    assert!(text.contains("\"id\":438516"), "{text}");
    // Another timestamp's key must not give the JSON back.
    assert_ne!(decrypt_data("1700566806", data).ok(), Some(text));
}

#[tokio::test]
async fn setting_shape_and_cookies() {
    let emu = Emulator::builder()
        .app_version("2.1.13")
        .start()
        .expect("start");
    let api = Api::new(&emu.api_domains()[0]);
    let resp = api.signed("/setting", SECRET).send().await.expect("send");
    assert_eq!(resp.status(), 200);
    let cookies: Vec<String> = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().expect("ascii").to_owned())
        .collect();
    assert!(
        cookies.iter().any(|c| c.starts_with("ipcountry=JP")),
        "{cookies:?}"
    );
    let ipm5 = cookies
        .iter()
        .find_map(|c| c.strip_prefix("ipm5="))
        .expect("ipm5 cookie");
    assert!(ipm5[..32].bytes().all(|b| b.is_ascii_hexdigit()), "{ipm5}");
    let env: Value = serde_json::from_str(&resp.text().await.expect("body")).expect("json");
    let data: Value = serde_json::from_str(
        &decrypt_data(&api.ts, env["data"].as_str().expect("data")).expect("d"),
    )
    .expect("json");
    assert_eq!(data["jm3_version"], "2.1.13");
    assert!(
        data["img_host"]
            .as_str()
            .is_some_and(|h| h == emu.image_domains()[0])
    );
}

#[tokio::test]
async fn bad_tokens_are_not_legal() {
    let emu = Emulator::builder()
        .max_clock_skew(Duration::from_secs(600))
        .start()
        .expect("start");
    let base = &emu.api_domains()[0];
    let api = Api::new(base);
    let url = format!("{base}/album?id=438516");
    let ts = api.ts.clone();
    let good_token = md5_hex(&format!("{ts}{SECRET}"));
    let cases: Vec<(&str, Vec<(&str, String)>)> = vec![
        ("no headers", vec![]),
        ("no tokenparam", vec![("token", good_token.clone())]),
        ("no token", vec![("tokenparam", format!("{ts},2.1.12"))]),
        (
            "wrong secret",
            vec![
                ("token", md5_hex(&format!("{ts}{CONTENT_SECRET}"))),
                ("tokenparam", format!("{ts},2.1.12")),
            ],
        ),
        (
            "token for another ts",
            vec![
                ("token", md5_hex(&format!("1{ts}{SECRET}"))),
                ("tokenparam", format!("{ts},2.1.12")),
            ],
        ),
        (
            "stale version",
            vec![
                ("token", good_token.clone()),
                ("tokenparam", format!("{ts},2.0.30")),
            ],
        ),
        (
            "garbled tokenparam",
            vec![("token", good_token.clone()), ("tokenparam", ts.clone())],
        ),
        (
            "clock skew",
            vec![
                ("token", md5_hex(&format!("1700000000{SECRET}"))),
                ("tokenparam", "1700000000,2.1.12".to_owned()),
            ],
        ),
    ];
    for (what, headers) in cases {
        let mut req = api.client.get(&url);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        let resp = req.send().await.expect("send");
        assert_eq!(resp.status(), 200, "{what}");
        assert_eq!(resp.text().await.expect("body"), NOT_LEGAL, "{what}");
    }
    // Newer versions are fine, and the control case passes.
    let mut newer = Api::new(base);
    newer.version = "2.2.0".into();
    newer.login_cookies().await;
    assert_eq!(newer.data("/album?id=438516").await["id"], 438_516);
}

/// Status and body of `/chapter_view_template` for chapter 220980, signed with `secret`
/// (`None`: no token at all).
async fn template(emu: &Emulator, secret: Option<&str>) -> (u16, String) {
    let api = Api::new(&emu.api_domains()[0]);
    let path = format!(
        "/chapter_view_template?id=220980&mode=vertical&page=0&app_img_shunt=1&express=off&v={}",
        api.ts
    );
    let req = match secret {
        Some(secret) => api.signed(&path, secret),
        None => api.client.get(format!("{}{path}", api.base)),
    };
    let resp = req.send().await.expect("send");
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("body"))
}

#[tokio::test]
async fn template_accepts_either_secret_by_default() {
    let emu = start();
    let api = Api::new(&emu.api_domains()[0]);
    let resp = api
        .signed("/chapter_view_template?id=220980", CONTENT_SECRET)
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .expect("ct")
            .starts_with("text/html")
    );
    // Both secrets get the same page (the Python sync client signs with the normal one).
    let (content_status, content) = template(&emu, Some(CONTENT_SECRET)).await;
    let (normal_status, normal) = template(&emu, Some(SECRET)).await;
    assert_eq!((content_status, normal_status), (200, 200));
    assert!(content.contains("var scramble_id = 220980;"), "{content}");
    assert!(content.contains("<script") && !content.trim_start().starts_with('{'));
    assert_eq!(content, normal);
    // A token made with neither secret, or none, is still refused.
    let (status, body) = template(&emu, Some("18comicAPP")).await;
    assert_eq!(status, 403);
    assert!(
        body.contains("<html") && !body.contains("scramble_id"),
        "{body}"
    );
    assert_eq!(template(&emu, None).await.0, 403);
}

#[tokio::test]
async fn template_strict_secret_modes() {
    for (option, content_ok, normal_ok) in [
        (TemplateSecret::Content, true, false),
        (TemplateSecret::Normal, false, true),
        (TemplateSecret::Either, true, true),
    ] {
        let emu = Emulator::builder()
            .template_secret(option)
            .start()
            .expect("start");
        let (content, content_body) = template(&emu, Some(CONTENT_SECRET)).await;
        let (normal, normal_body) = template(&emu, Some(SECRET)).await;
        assert_eq!(content == 200, content_ok, "{option:?}: {content}");
        assert_eq!(normal == 200, normal_ok, "{option:?}: {normal}");
        for (status, body) in [(content, content_body), (normal, normal_body)] {
            // Refusals are the 403 page, which states no scramble id.
            assert_eq!(
                status == 403,
                !body.contains("var scramble_id = "),
                "{body}"
            );
        }
        assert_eq!(template(&emu, None).await.0, 403, "{option:?}");
        // Other routes keep wanting the normal secret in every mode.
        let mut api = Api::new(&emu.api_domains()[0]);
        api.login_cookies().await;
        assert_eq!(api.data("/album?id=438516").await["id"], 438_516);
        let resp = api
            .signed("/album?id=438516", CONTENT_SECRET)
            .send()
            .await
            .expect("send");
        assert_eq!(resp.text().await.expect("body"), NOT_LEGAL, "{option:?}");
    }
}

#[tokio::test]
async fn template_states_a_custom_scramble_id() {
    let catalog = Catalog::standard();
    let mut custom = catalog.clone();
    custom.albums[3] = custom.albums[3].clone().with_scramble_id(300_000);
    let emu = Emulator::builder().catalog(custom).start().expect("start");
    let api = Api::new(&emu.api_domains()[0]);
    let html = api
        .signed("/chapter_view_template?id=438516", CONTENT_SECRET)
        .send()
        .await
        .expect("send")
        .text()
        .await
        .expect("body");
    assert!(html.contains("var scramble_id = 300000;"), "{html}");
}

#[tokio::test]
async fn cookies_gate_albums_and_chapters() {
    let emu = start();
    let mut api = Api::new(&emu.api_domains()[0]);
    let album = api.data("/album?id=438516").await;
    assert_eq!(album["name"], "禁漫娘");
    assert_eq!(album["id"], 200_000);
    let chapter = api.data("/chapter?id=438516").await;
    assert_eq!(chapter["name"], "禁漫娘");
    assert_eq!(chapter["id"], 200_000);
    // A cookie that is not 32 hex digits does not count.
    api.cookie = Some("ipm5=nothex".into());
    assert_eq!(api.data("/album?id=438516").await["name"], "禁漫娘");
    api.login_cookies().await;
    assert_eq!(api.data("/album?id=438516").await["id"], 438_516);
    assert_eq!(api.data("/chapter?id=438516").await["id"], 438_516);

    let emu = Emulator::builder()
        .require_cookies(false)
        .start()
        .expect("start");
    let api = Api::new(&emu.api_domains()[0]);
    assert_eq!(api.data("/album?id=438516").await["id"], 438_516);
}

fn assert_str_number(v: &Value, what: &str) {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("{what} is not a string: {v}"));
    assert!(s.parse::<u64>().is_ok(), "{what}: {s}");
}

#[tokio::test]
async fn album_and_chapter_shapes() {
    let emu = start();
    let mut api = Api::new(&emu.api_domains()[0]);
    api.login_cookies().await;

    // A series album.
    let album = api.data("/album?id=220979").await;
    assert_eq!(album["id"], 220_979);
    assert_eq!(album["name"], "CJK 中文標題 日本語のタイトル 한국어 제목");
    assert_eq!(album["author"], serde_json::json!(["作者甲", "作者乙"]));
    assert_eq!(album["images"], serde_json::json!([]));
    assert!(album["description"].is_string());
    for key in [
        "total_views",
        "likes",
        "comment_total",
        "total_photos",
        "addtime",
    ] {
        assert_str_number(&album[key], key);
    }
    assert_eq!(album["total_photos"], "13");
    assert_eq!(album["series_id"], "0");
    assert_eq!(album["liked"], false);
    assert_eq!(album["is_favorite"], false);
    assert!(album["tags"].is_array() && album["works"].is_array() && album["actors"].is_array());
    let series = album["series"].as_array().expect("series");
    assert_eq!(series.len(), 3);
    assert_eq!(
        series[1],
        serde_json::json!({"id": "220980", "name": "第2話 中編", "sort": "2"})
    );
    let related = album["related_list"].as_array().expect("related");
    assert!(!related.is_empty());
    for item in related {
        for key in ["id", "author", "description", "name", "image"] {
            assert!(item[key].is_string(), "{key} in {item}");
        }
    }

    // A single-chapter album: empty series, null description.
    let single = api.data("/album?id=1180203").await;
    assert_eq!(single["series"], serde_json::json!([]));
    assert_eq!(single["description"], Value::Null);
    assert_eq!(single["name"], r#"Reserved / \ : * ? " < > | chars"#);

    // Chapters.
    let ch = api.data("/chapter?id=220980").await;
    assert_eq!(ch["id"], 220_980);
    assert_eq!(ch["series_id"], "220979");
    assert_eq!(ch["tags"], "中文 全彩 長篇");
    assert_eq!(ch["name"], "第2話 中編");
    assert_eq!(ch["series"].as_array().expect("series").len(), 3);
    let images: Vec<&str> = ch["images"]
        .as_array()
        .expect("images")
        .iter()
        .map(|v| v.as_str().expect("name"))
        .collect();
    assert_eq!(
        images,
        [
            "00001.webp",
            "00002.webp",
            "00003.webp",
            "00004.webp",
            "00005.webp"
        ]
    );
    assert_eq!(ch["is_favorite"], false);
    assert_eq!(ch["liked"], false);
    let single_ch = api.data("/chapter?id=438516").await;
    assert_eq!(single_ch["series_id"], "0");
    assert_eq!(single_ch["series"], serde_json::json!([]));

    // Hostile titles survive the round trip.
    let control = api.data("/album?id=147643").await;
    assert_eq!(control["name"], "Control\tTab and\nNewline");
    let long = api.data("/album?id=350234").await;
    assert!(long["name"].as_str().expect("name").len() > 300);
    let spaced = api.data("/album?id=10086").await;
    assert_eq!(spaced["name"], "  ..Dots and spaces..  ");
}

#[tokio::test]
async fn chapter_id_as_album_points_at_its_parent() {
    let emu = start();
    let mut api = Api::new(&emu.api_domains()[0]);
    api.login_cookies().await;
    let record = api.data("/album?id=220981").await;
    assert_eq!(record["id"], 220_981);
    assert_eq!(record["series_id"], "220979");
    assert_eq!(record["name"], "第3話 完結");
    let parent = api
        .data(&format!(
            "/album?id={}",
            record["series_id"].as_str().expect("sid")
        ))
        .await;
    assert_eq!(parent["id"], 220_979);
    assert_eq!(parent["series_id"], "0");
    // An album's own id is not redirected.
    assert_eq!(api.data("/album?id=500000").await["series_id"], "0");
}

#[tokio::test]
async fn missing_ids_in_every_style() {
    for style in [
        MissingStyle::NullName,
        MissingStyle::EmptyData,
        MissingStyle::ErrorMsg,
    ] {
        let emu = Emulator::builder()
            .missing_style(style)
            .start()
            .expect("start");
        let mut api = Api::new(&emu.api_domains()[0]);
        api.login_cookies().await;
        for path in ["/album?id=999", "/chapter?id=999"] {
            let (status, body) = api.raw(path).await;
            assert_eq!(status, 200, "{style:?} {path}");
            let env: Value = serde_json::from_str(&body).expect("json");
            assert_eq!(env["code"], 200);
            match style {
                MissingStyle::NullName => {
                    let data: Value = serde_json::from_str(
                        &decrypt_data(&api.ts, env["data"].as_str().expect("data")).expect("d"),
                    )
                    .expect("json");
                    assert_eq!(data["name"], Value::Null, "{path}");
                }
                MissingStyle::EmptyData => {
                    assert_eq!(env["data"], "");
                    assert_eq!(env["errorMsg"], "");
                }
                _ => {
                    assert_eq!(env["data"], serde_json::json!([]));
                    assert!(env["errorMsg"].as_str().is_some_and(|m| !m.is_empty()));
                }
            }
        }
    }
}

#[tokio::test]
async fn malformed_requests_get_4xx() {
    let emu = start();
    let mut api = Api::new(&emu.api_domains()[0]);
    api.login_cookies().await;
    for path in [
        "/album",
        "/album?id=",
        "/album?id=abc",
        "/chapter?id=JM1",
        "/album?id=%FF%FE",
        "/chapter_view_template?id=x",
    ] {
        let path_owned = path.to_owned();
        let resp = api
            .signed(
                &path_owned,
                if path.starts_with("/chapter_view") {
                    CONTENT_SECRET
                } else {
                    SECRET
                },
            )
            .send()
            .await
            .expect("send");
        assert_eq!(resp.status(), 400, "{path}");
    }
    assert_eq!(api.raw("/search?search_query=a&page=x").await.0, 400);
    assert_eq!(api.raw("/nope").await.0, 404);
    assert_eq!(api.raw("/media/photos/438516/00001.webp").await.0, 404);
    let resp = api
        .client
        .post(format!("{}/album?id=1", api.base))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 405);
}

#[tokio::test]
async fn search_shapes_matching_paging_and_redirect() {
    let emu = start();
    let mut api = Api::new(&emu.api_domains()[0]);
    api.login_cookies().await;

    let page = api
        .data("/search?main_tag=0&search_query=emoji&page=1&o=mr&t=a")
        .await;
    assert_eq!(page["search_query"], "emoji");
    assert_eq!(page["total"], "1");
    let item = &page["content"][0];
    assert_eq!(item["id"], "438516");
    for key in ["author", "name", "image"] {
        assert!(item[key].is_string(), "{key}");
    }
    assert!(item["category"]["id"].is_string() && item["category"]["title"].is_string());
    assert!(item["category_sub"].is_object());
    assert!(item["tags"].is_array());

    // Case-insensitive on titles, tags and authors; CJK via percent-encoding.
    let ids = |v: &Value| -> Vec<String> {
        v["content"]
            .as_array()
            .expect("content")
            .iter()
            .map(|i| i["id"].as_str().expect("id").to_owned())
            .collect()
    };
    assert_eq!(
        ids(&api
            .data("/search?search_query=PLAIN%20ascii&main_tag=0")
            .await),
        ["421925"]
    );
    assert_eq!(
        ids(&api.data("/search?search_query=%E5%85%A8%E5%BD%A9").await),
        ["220979"]
    );
    assert_eq!(
        ids(&api.data("/search?search_query=alice&main_tag=2").await),
        ["421925"]
    );
    assert!(ids(&api.data("/search?search_query=alice&main_tag=3").await).is_empty());
    let series = ids(&api.data("/search?search_query=series&o=mr").await);
    assert_eq!(series, ["500000", "421925"]);
    assert_eq!(
        ids(&api.data("/search?search_query=%2Bseries+-order").await),
        ["421925"]
    );

    // An exact album id redirects.
    let redirect = api
        .data("/search?search_query=438516&main_tag=0&page=1")
        .await;
    assert_eq!(redirect["redirect_aid"], "438516");
    assert_eq!(redirect["total"], "1");
    assert_eq!(redirect["content"], serde_json::json!([]));

    // 80 a page.
    let emu = Emulator::builder()
        .catalog(Catalog::bench(100, 2, 16, 16))
        .require_cookies(false)
        .start()
        .expect("start");
    let api = Api::new(&emu.api_domains()[0]);
    let p1 = api.data("/search?search_query=bench&page=1").await;
    let p2 = api.data("/search?search_query=bench&page=2").await;
    let p3 = api.data("/search?search_query=bench&page=3").await;
    assert_eq!(p1["total"], "100");
    assert_eq!(p1["content"].as_array().expect("c").len(), 80);
    assert_eq!(p2["content"].as_array().expect("c").len(), 20);
    assert_eq!(p3["content"].as_array().expect("c").len(), 0);
    let cat = api
        .data("/categories/filter?page=1&order=&c=0&o=mv_m")
        .await;
    // The month ranking lists the albums read this month.
    let read_this_month = emu
        .catalog()
        .albums
        .iter()
        .filter(|a| a.views_in(jmcomic_emulator::Period::Month) > 0)
        .count();
    assert!((50..100).contains(&read_this_month), "{read_this_month}");
    assert_eq!(cat["total"], read_this_month.to_string());
    let all = api.data("/categories/filter?page=1&order=&c=0&o=mv").await;
    assert_eq!(all["total"], "100");
}

#[tokio::test]
async fn domain_server_file() {
    let emu = Emulator::builder().api_hosts(2).start().expect("start");
    let client = crate::support::client();
    // The test's decryptor reads the Python original's vector...
    let vectors: Value =
        serde_json::from_str(include_str!("../data/crypto.json")).expect("vectors");
    let file = &vectors["domain_server_file"];
    assert_eq!(
        decrypt_domain_file(file["body"].as_str().expect("body")).expect("decrypt"),
        file["decrypted"].as_str().expect("text")
    );
    // ...and the emulator's file on every API host (no signing needed).
    for base in emu.api_domains() {
        let bytes = client
            .get(format!("{base}/newsvr-2025.txt"))
            .send()
            .await
            .expect("send")
            .bytes()
            .await
            .expect("body");
        assert!(bytes.starts_with(b"\xef\xbb\xbf"), "UTF-8 BOM first");
        let body = String::from_utf8(bytes.to_vec()).expect("utf-8");
        let json: Value =
            serde_json::from_str(&decrypt_domain_file(&body).expect("decrypt")).expect("json");
        assert_eq!(json["Server"], serde_json::json!(emu.api_domains()));
    }
    assert!(emu.domain_server_url().starts_with(&emu.api_domains()[0]));

    let list = vec![
        "www.example-api-1.test".to_owned(),
        "www.example-api-2.test".to_owned(),
    ];
    let emu = Emulator::builder()
        .domain_server_list(list.clone())
        .start()
        .expect("start");
    let body = client
        .get(emu.domain_server_url())
        .send()
        .await
        .expect("send")
        .text()
        .await
        .expect("body");
    let json: Value = serde_json::from_str(&decrypt_domain_file(&body).expect("d")).expect("json");
    assert_eq!(json["Server"], serde_json::json!(list));
}
