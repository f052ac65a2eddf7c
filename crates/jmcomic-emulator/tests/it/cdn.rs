//! Image CDN: scrambled pages, GIFs, covers (spec §7, §6.1.4).

use jmcomic_emulator::{Emulator, PageKind};

use crate::support::{Api, client, descramble, mean_abs_diff, strip_count};

async fn fetch(base: &str, path: &str) -> (u16, String, Vec<u8>) {
    let resp = client()
        .get(format!("{base}{path}"))
        .send()
        .await
        .expect("send");
    let status = resp.status().as_u16();
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().expect("ascii").to_owned())
        .unwrap_or_default();
    (status, ct, resp.bytes().await.expect("body").to_vec())
}

/// The scramble id the catalog declares for a chapter (its own, else its album's).
fn declared_scramble_id(emu: &Emulator, chapter: u64) -> u64 {
    let (ch, album) = emu.catalog().chapter(chapter).expect("chapter");
    ch.scramble_id.unwrap_or(album.scramble_id)
}

fn decode_rgb(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let img = jmcomic_emulator::decode_rgb(bytes).expect("decodable");
    (img.width, img.height, img.rgb)
}

#[tokio::test]
async fn lossless_pages_descramble_exactly() {
    let emu = Emulator::start().expect("start");
    let cdn = &emu.image_domains()[0];
    let pages = emu.catalog().pages_of_kind(PageKind::LosslessWebp);
    let mut nums = std::collections::BTreeSet::new();
    for (chapter, file) in &pages {
        let (status, ct, bytes) = fetch(cdn, &format!("/media/photos/{chapter}/{file}")).await;
        assert_eq!(
            (status, ct.as_str()),
            (200, "image/webp"),
            "{chapter}/{file}"
        );
        assert_eq!(Some(&bytes), emu.served_bytes(*chapter, file).as_ref());
        let stem = file.trim_end_matches(".webp");
        let num = strip_count(declared_scramble_id(&emu, *chapter), *chapter, stem);
        assert_eq!(emu.strip_count_used(*chapter, file), Some(num));
        nums.insert(num);
        let (w, h, rgb) = decode_rgb(&bytes);
        let original = emu.original_page(*chapter, file).expect("original");
        assert_eq!((w, h), (original.width, original.height));
        assert_eq!(
            descramble(&rgb, w, h, num),
            original.rgb,
            "{chapter}/{file} num {num}"
        );
        if num > 1 && h >= num * 2 {
            assert_ne!(rgb, original.rgb, "{chapter}/{file} should be scrambled");
        }
    }
    // Lossless pages alone already cover unscrambled, 10 strips and md5 counts.
    assert!(
        nums.contains(&0) && nums.contains(&10) && nums.len() >= 4,
        "{nums:?}"
    );
}

#[tokio::test]
async fn lossy_pages_descramble_approximately_and_misplacement_shows() {
    let emu = Emulator::start().expect("start");
    let cdn = &emu.image_domains()[0];
    for (chapter, file) in [
        (438_516, "00001.webp"),
        (421_926, "00004.webp"),
        (268_850, "00005.jpg"),
        (220_981, "00003.jpg"),
        (1_180_203, "00002.webp"),
    ] {
        let (status, _, bytes) = fetch(cdn, &format!("/media/photos/{chapter}/{file}")).await;
        assert_eq!(status, 200, "{chapter}/{file}");
        let stem = file.split('.').next().expect("stem");
        let num = strip_count(declared_scramble_id(&emu, chapter), chapter, stem);
        assert!(num > 0);
        let (w, h, rgb) = decode_rgb(&bytes);
        let original = emu.original_page(chapter, file).expect("original");
        let right = mean_abs_diff(&descramble(&rgb, w, h, num), &original.rgb);
        assert!(right < 8.0, "{chapter}/{file}: diff {right}");
        // The wrong strip count, or the image shifted one row, is far off.
        let wrong = mean_abs_diff(&descramble(&rgb, w, h, num + 2), &original.rgb);
        assert!(
            wrong > 3.0 * right + 10.0,
            "{chapter}/{file}: {wrong} vs {right}"
        );
        let row = w as usize * 3;
        let restored = descramble(&rgb, w, h, num);
        let shifted = mean_abs_diff(&restored[row..], &original.rgb[..original.rgb.len() - row]);
        assert!(
            shifted > 3.0 * right + 10.0,
            "{chapter}/{file}: shift {shifted} vs {right}"
        );
    }
}

#[tokio::test]
async fn gifs_are_animated_and_never_scrambled() {
    let emu = Emulator::start().expect("start");
    let cdn = &emu.image_domains()[0];
    let gifs = emu.catalog().pages_of_kind(PageKind::Gif);
    assert!(gifs.len() >= 3);
    for (chapter, file) in &gifs {
        assert_eq!(emu.strip_count_used(*chapter, file), Some(0));
        let (status, ct, bytes) = fetch(cdn, &format!("/media/photos/{chapter}/{file}")).await;
        assert_eq!((status, ct.as_str()), (200, "image/gif"));
        let mut options = gif::DecodeOptions::new();
        options.set_color_output(gif::ColorOutput::RGBA);
        let mut decoder = options.read_info(bytes.as_slice()).expect("gif");
        let mut frames = Vec::new();
        while let Some(frame) = decoder.read_next_frame().expect("frame") {
            frames.push(frame.buffer.to_vec());
        }
        assert!(
            frames.len() >= 2,
            "{chapter}/{file}: {} frames",
            frames.len()
        );
        assert_ne!(frames[0], frames[1]);
        let first_rgb: Vec<u8> = frames[0]
            .chunks(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect();
        let original = emu.original_page(*chapter, file).expect("original");
        assert_eq!(first_rgb, original.rgb, "{chapter}/{file}");
    }
}

#[tokio::test]
async fn covers_and_not_found() {
    let emu = Emulator::start().expect("start");
    let cdn = &emu.image_domains()[0];
    for path in ["/media/albums/438516.jpg", "/media/albums/438516_3x4.jpg"] {
        let (status, ct, bytes) = fetch(cdn, path).await;
        assert_eq!((status, ct.as_str()), (200, "image/jpeg"), "{path}");
        let (w, h, _) = decode_rgb(&bytes);
        assert!(w > 0 && h > w, "{path}: {w}x{h}");
    }
    for path in [
        "/media/albums/999.jpg",
        "/media/albums/438516.png",
        "/media/photos/438516/99999.webp",
        "/media/photos/999/00001.webp",
        "/media/photos/abc/00001.webp",
        "/media/photos/438516",
        "/album?id=438516",
        "/",
    ] {
        assert_eq!(fetch(cdn, path).await.0, 404, "{path}");
    }
    // Query strings on image URLs are ignored (the old `?v=` trick, spec §2.3).
    assert_eq!(
        fetch(cdn, "/media/photos/438516/00001.webp?v=1").await.0,
        200
    );
}

#[tokio::test]
async fn content_length_and_tiny_page() {
    let emu = Emulator::start().expect("start");
    let cdn = &emu.image_domains()[0];
    let resp = client()
        .get(format!("{cdn}/media/photos/220980/00005.webp"))
        .send()
        .await
        .expect("send");
    let len: usize = resp.headers()["content-length"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("number");
    let bytes = resp.bytes().await.expect("body");
    assert_eq!(len, bytes.len());
    let (w, h, rgb) = decode_rgb(&bytes);
    assert_eq!((w, h), (24, 7), "the page shorter than its 10 strips");
    let original = emu.original_page(220_980, "00005.webp").expect("original");
    assert_eq!(descramble(&rgb, w, h, 10), original.rgb);
}

/// Spec Appendix B, steps 3-6, with a raw client: every page of every album of the standard
/// catalog is found through the API and reconstructs to the original.
#[tokio::test]
async fn whole_catalog_walk() {
    let emu = Emulator::builder().cdn_hosts(2).start().expect("start");
    emu.warm();
    let mut api = Api::new(&emu.api_domains()[0]);
    api.login_cookies().await;
    let cdns = emu.image_domains();
    let mut pages_checked = 0;
    for album_spec in &emu.catalog().albums {
        let album = api.data(&format!("/album?id={}", album_spec.id)).await;
        let series = album["series"].as_array().expect("series");
        let chapter_ids: Vec<u64> = if series.is_empty() {
            vec![album_spec.id]
        } else {
            series
                .iter()
                .map(|s| s["id"].as_str().expect("id").parse().expect("num"))
                .collect()
        };
        for chapter_id in chapter_ids {
            let chapter = api.data(&format!("/chapter?id={chapter_id}")).await;
            let scramble_id = api
                .template_scramble_id(chapter_id)
                .await
                .expect("scramble id");
            for (i, name) in chapter["images"]
                .as_array()
                .expect("images")
                .iter()
                .enumerate()
            {
                let name = name.as_str().expect("name");
                let cdn = &cdns[i % cdns.len()];
                let (status, _, bytes) =
                    fetch(cdn, &format!("/media/photos/{chapter_id}/{name}")).await;
                assert_eq!(status, 200);
                let original = emu.original_page(chapter_id, name).expect("original");
                let (w, h, rgb) = decode_rgb(&bytes);
                let is_gif = std::path::Path::new(name)
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("gif"));
                let restored = if is_gif {
                    rgb
                } else {
                    let stem = name.split('.').next().expect("stem");
                    descramble(&rgb, w, h, strip_count(scramble_id, chapter_id, stem))
                };
                let diff = mean_abs_diff(&restored, &original.rgb);
                assert!(diff < 8.0, "{chapter_id}/{name}: {diff}");
                pages_checked += 1;
            }
        }
    }
    assert_eq!(
        pages_checked,
        emu.catalog().page_count() - emu.catalog().placeholder.page_count()
    );
}

/// The chapters whose scramble id is not 220980 (see `Catalog::standard`): the template
/// states each one's own value, and the CDN cuts their pages by it, so that restoring them
/// with 220980's strip counts gives wrong pages.
#[tokio::test]
async fn chapters_with_other_scramble_ids_are_cut_by_their_own() {
    let emu = Emulator::start().expect("start");
    let mut api = Api::new(&emu.api_domains()[0]);
    api.login_cookies().await;
    let cdn = &emu.image_domains()[0];
    // (chapter, scramble id the catalog documents for it)
    let cases = [
        (268_849, 268_850), // album 268849: unscrambled, 220980 would give 10 strips
        (268_850, 268_850), // same album, md5 strip counts either way
        (421_925, 421_926), // album 421925: unscrambled, 220980 would give md5 counts
        (147_643, 147_650), // album 147643: unscrambled either way
        (147_650, 147_650), // same album: 10 strips, 220980 would leave it as is
        (500_000, 220_980), // album 500000 keeps 220980 ...
        (500_123, 500_124), // ... but this chapter has its own: unscrambled
        (500_050, 220_980),
    ];
    let mut wrong_with_220980 = std::collections::BTreeSet::new();
    for (chapter, want) in cases {
        let scramble_id = api.template_scramble_id(chapter).await;
        assert_eq!(scramble_id, Some(want), "template of chapter {chapter}");
        let listed = api.data(&format!("/chapter?id={chapter}")).await;
        for name in listed["images"].as_array().expect("images") {
            let name = name.as_str().expect("name");
            let (stem, ext) = name.split_once('.').expect("extension");
            if ext == "gif" {
                continue;
            }
            let num = strip_count(want, chapter, stem);
            assert_eq!(
                emu.strip_count_used(chapter, name),
                Some(num),
                "{chapter}/{name}"
            );
            let (status, _, bytes) = fetch(cdn, &format!("/media/photos/{chapter}/{name}")).await;
            assert_eq!(status, 200, "{chapter}/{name}");
            let (w, h, rgb) = decode_rgb(&bytes);
            let original = emu.original_page(chapter, name).expect("original");
            let right = mean_abs_diff(&descramble(&rgb, w, h, num), &original.rgb);
            assert!(right < 8.0, "{chapter}/{name}: diff {right}");
            let usual = strip_count(220_980, chapter, stem);
            if usual != num {
                // What a client that assumed 220980 would write.
                let wrong = mean_abs_diff(&descramble(&rgb, w, h, usual), &original.rgb);
                assert!(
                    wrong > 3.0 * right + 10.0,
                    "{chapter}/{name}: {wrong} vs {right}"
                );
                wrong_with_220980.insert(chapter);
            }
        }
    }
    // Every chapter whose value differs from 220980 in a way that matters is caught, in
    // both directions (cut where 220980 would not cut, and the other way round).
    assert_eq!(
        wrong_with_220980.into_iter().collect::<Vec<_>>(),
        [147_650, 268_849, 421_925, 500_123]
    );
}
