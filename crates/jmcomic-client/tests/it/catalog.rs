//! The whole catalog through the client, descrambled, equals the originals.

use jmcomic_emulator::{Emulator, PageKind};
use jmcomic_image::{Limits, decode, descramble, strip_count};
use jmcomic_model::JmId;

use crate::support::{client, diff};

#[tokio::test]
async fn every_page_of_every_album_comes_out_right() {
    let emu = Emulator::start().unwrap();
    let c = client(&emu);
    let mut checked = 0;
    let mut exact = 0;
    for spec in &emu.catalog().albums {
        let album = c.album(JmId::new(spec.id)).await.unwrap();
        assert_eq!(
            album.episodes.len(),
            spec.chapters.len(),
            "album {}",
            spec.id
        );
        for mut chapter in album.chapters() {
            c.complete_chapter(&mut chapter).await.unwrap();
            let scramble = chapter.scramble_id.unwrap().value;
            for image in chapter.images() {
                let bytes = c.image_bytes(&image).await.unwrap();
                let (page_spec, _) = emu.catalog().chapter(chapter.id.get()).unwrap();
                let kind = page_spec
                    .pages
                    .iter()
                    .find(|p| p.file_name == image.file_name)
                    .unwrap()
                    .kind;
                let what = format!("{}/{}", chapter.id, image.file_name);
                if kind == PageKind::Gif {
                    assert_eq!(
                        bytes.to_vec(),
                        emu.served_bytes(chapter.id.get(), &image.file_name)
                            .unwrap(),
                        "{what}"
                    );
                    continue;
                }
                let num = strip_count(scramble, chapter.id.get(), image.stem());
                assert_eq!(
                    Some(num),
                    emu.strip_count_used(chapter.id.get(), &image.file_name),
                    "{what}"
                );
                let decoded = decode(&bytes, &Limits::default()).unwrap();
                let restored = descramble(&decoded, num);
                let original = emu
                    .original_page(chapter.id.get(), &image.file_name)
                    .unwrap();
                assert_eq!(
                    (restored.width, restored.height),
                    (original.width, original.height)
                );
                if kind == PageKind::LosslessWebp {
                    assert!(
                        restored.data == original.rgb,
                        "{what}: lossless page differs"
                    );
                    exact += 1;
                } else {
                    let (mean, worst_row) = diff(&restored.data, &original.rgb, original.width);
                    assert!(
                        mean < 8.0 && worst_row < 40.0,
                        "{what}: mean {mean}, worst row {worst_row}"
                    );
                    // The oracle is sharp: one row off is far outside the tolerance.
                    if num > 1 && original.height > num * 2 {
                        let row = original.width as usize * 3;
                        let (shifted, _) = diff(
                            &restored.data[row..],
                            &original.rgb[..original.rgb.len() - row],
                            original.width,
                        );
                        assert!(shifted > 3.0 * mean + 10.0, "{what}: shift not detected");
                    }
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 80, "{checked}");
    assert!(exact >= 15, "{exact}");
}
