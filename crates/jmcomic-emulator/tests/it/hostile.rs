//! Hostile server data: huge claimed dimensions, huge bodies, the hostile catalog.

use jmcomic_emulator::{Catalog, Emulator, FaultKind, FaultRule, HostileIds, long_cjk_title};
use serde_json::Value;

use crate::support::{Api, client};

fn start_hostile() -> Emulator {
    Emulator::builder()
        .catalog(Catalog::hostile())
        .require_cookies(false)
        .start()
        .expect("start")
}

async fn get(url: &str) -> (u16, String, Option<u64>, Vec<u8>) {
    let resp = client().get(url).send().await.expect("send");
    let status = resp.status().as_u16();
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let len = resp.content_length();
    (status, ct, len, resp.bytes().await.expect("body").to_vec())
}

fn claimed_dimensions(bytes: &[u8]) -> (u32, u32) {
    jmcomic_emulator::claimed_size(bytes).expect("header parses")
}

#[tokio::test]
async fn huge_dimensions_for_webp_and_png_paths() {
    let emu = Emulator::builder()
        .fault(FaultRule::new("/media/", FaultKind::HugeDimensions))
        .start()
        .expect("start");
    let cdn = &emu.image_domains()[0];
    let (status, ct, len, webp) = get(&format!("{cdn}/media/photos/438516/00001.webp")).await;
    assert_eq!((status, ct.as_str()), (200, "image/webp"));
    assert_eq!(len, Some(webp.len() as u64));
    assert!(webp.len() < 4_096, "{}", webp.len());
    assert_eq!(&webp[..4], b"RIFF");
    assert_eq!(&webp[8..16], b"WEBPVP8X");
    assert_eq!(claimed_dimensions(&webp), (100_000, 100_000));
    assert!(
        jmcomic_emulator::decode_rgb(&webp).is_err(),
        "a careful decoder refuses the claimed size"
    );

    // Any path works; `.png` paths get a PNG.
    let (status, ct, len, png) = get(&format!("{cdn}/media/photos/1/00001.png")).await;
    assert_eq!((status, ct.as_str()), (200, "image/png"));
    assert_eq!(len, Some(png.len() as u64));
    assert_eq!(claimed_dimensions(&png), (100_000, 100_000));
    assert_eq!(emu.requests()[0].fault.as_deref(), Some("huge-dimensions"));
}

#[tokio::test]
async fn huge_body_streams_exactly_the_announced_length() {
    const TEN_MIB: u64 = 10 << 20;
    let rule: FaultRule = format!("huge-body={TEN_MIB}@/media/photos/438516/00001.webp")
        .parse()
        .expect("spec");
    let emu = Emulator::builder().fault(rule).start().expect("start");
    let cdn = &emu.image_domains()[0];
    let mut resp = client()
        .get(format!("{cdn}/media/photos/438516/00001.webp"))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.content_length(), Some(TEN_MIB));
    assert_eq!(resp.headers()["content-type"], "image/webp");
    let mut total = 0u64;
    while let Some(chunk) = resp.chunk().await.expect("chunk") {
        total += chunk.len() as u64;
    }
    assert_eq!(total, TEN_MIB);

    // A gigabyte is announced and starts streaming at once; dropping it early is fine.
    emu.add_fault(
        "huge-body=1073741824@/media/photos/438516/00002.webp"
            .parse()
            .expect("spec"),
    );
    let mut resp = client()
        .get(format!("{cdn}/media/photos/438516/00002.webp"))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.content_length(), Some(1 << 30));
    assert!(!resp.chunk().await.expect("chunk").expect("data").is_empty());
    drop(resp);
    // The emulator is still serving.
    let (status, ..) = get(&format!("{cdn}/media/photos/438516/00003.gif")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn hostile_titles_are_served_verbatim() {
    let emu = start_hostile();
    let api = Api::new(&emu.api_domains()[0]);
    for (id, title) in HostileIds::TITLES {
        let album = api.data(&format!("/album?id={id}")).await;
        let expected = if id == HostileIds::LONG_CJK {
            long_cjk_title()
        } else {
            title.to_owned()
        };
        assert_eq!(album["name"], expected.as_str(), "album {id}");
        assert_eq!(album["total_photos"], "2");
    }
    let traversal = api
        .data(&format!("/album?id={}", HostileIds::TRAVERSAL))
        .await;
    assert_eq!(traversal["author"][0], "../../root");

    let album = api
        .data(&format!("/album?id={}", HostileIds::HOSTILE_CHAPTERS))
        .await;
    let series = album["series"].as_array().expect("series");
    assert_eq!(series.len(), HostileIds::TITLES.len());
    assert_eq!(series[1]["name"], "../../etc/passwd");
    let chapter = api
        .data(&format!("/chapter?id={}", HostileIds::HOSTILE_CHAPTERS + 4))
        .await;
    assert_eq!(chapter["name"], "before\u{0}after");
}

#[tokio::test]
async fn hostile_image_names_are_listed_and_404() {
    let emu = start_hostile();
    let api = Api::new(&emu.api_domains()[0]);
    let id = HostileIds::HOSTILE_IMAGES;
    let chapter = api.data(&format!("/chapter?id={id}")).await;
    let images: Vec<&str> = chapter["images"]
        .as_array()
        .expect("images")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        images,
        [
            "00001.webp",
            "../00009.webp",
            "00002.webp",
            "a/b.webp",
            "..",
            "x\u{0}.webp",
            "00003.webp"
        ]
    );
    let cdn = &emu.image_domains()[0];
    for good in ["00001.webp", "00002.webp", "00003.webp"] {
        let (status, ..) = get(&format!("{cdn}/media/photos/{id}/{good}")).await;
        assert_eq!(status, 200, "{good}");
    }
    // `..` alone cannot be sent through a URL library (it is resolved away).
    for bad in ["..%2F00009.webp", "a/b.webp", "a%2Fb.webp", "x%00.webp"] {
        let (status, ..) = get(&format!("{cdn}/media/photos/{id}/{bad}")).await;
        assert_eq!(status, 404, "{bad}");
    }
}

#[tokio::test]
async fn absurd_counts_and_many_pages() {
    let emu = start_hostile();
    let api = Api::new(&emu.api_domains()[0]);
    let album = api
        .data(&format!("/album?id={}", HostileIds::ABSURD_COUNTS))
        .await;
    assert_eq!(album["total_photos"], "999999999999");
    assert_eq!(album["comment_total"], "-5");
    assert_eq!(album["likes"].as_str().map(str::len), Some(4_096));
    let chapter = api
        .data(&format!("/chapter?id={}", HostileIds::ABSURD_COUNTS))
        .await;
    assert_eq!(chapter["images"].as_array().map(Vec::len), Some(2));

    let id = HostileIds::MANY_PAGES;
    let chapter = api.data(&format!("/chapter?id={id}")).await;
    assert_eq!(
        chapter["images"].as_array().map(Vec::len),
        Some(HostileIds::MANY_PAGES_COUNT)
    );
    let cdn = &emu.image_domains()[0];
    let (status, _, _, bytes) = get(&format!("{cdn}/media/photos/{id}/02000.webp")).await;
    assert_eq!(status, 200);
    assert_eq!(claimed_dimensions(&bytes), (16, 16));
    let original = emu.original_page(id, "02000.webp").expect("page");
    assert_eq!((original.width, original.height), (16, 16));
}
