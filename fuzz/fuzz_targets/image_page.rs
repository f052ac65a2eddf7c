//! The per-page CPU step on arbitrary bytes: `process_page` for every target format with
//! `Verify::Full`, plus `decode`, `probe`, `check_complete` and `sniff`. Never panics, stays
//! within bounded memory (4096×4096, 8 M pixels), and:
//!
//! * what `decode` returns is consistent and within the limits, with the size `probe` reports;
//! * what `process_page` encodes is in the target format and decodes to the same size;
//! * `process_page` passes bytes through unchanged only when they are complete.
//!
//! Input: the whole input is the downloaded file. Its last byte (mod 32) is the strip count and
//! the byte before it picks the encoder settings; image containers ignore trailing bytes, so a
//! real file with two bytes appended is a good seed (`corpus/image_page/seed-*`).
#![no_main]

use jmcomic_image::{
    EncodeSettings, Format, Limits, PageJob, PageOutput, PngCompression, Verify, check_complete,
    decode, probe, process_page, sniff,
};
use libfuzzer_sys::fuzz_target;

const LIMITS: Limits = Limits {
    max_width: 4096,
    max_height: 4096,
    max_pixels: 8_000_000,
};

fn settings(selector: u8) -> EncodeSettings {
    let mut s = match selector % 4 {
        0 => EncodeSettings::default(),
        1 => EncodeSettings::pillow(),
        2 => {
            let mut s = EncodeSettings::default();
            s.webp.lossless = true;
            s
        }
        _ => {
            let mut s = EncodeSettings::default();
            s.png = PngCompression::High;
            s
        }
    };
    // Edge qualities and methods: 0, 100, method 0 and 6.
    match (selector >> 2) % 4 {
        1 => {
            s.webp.quality = 0.0;
            s.webp.method = 0;
            s.jpeg_quality = 0;
        }
        2 => {
            s.webp.quality = 100.0;
            s.webp.method = 6;
            s.jpeg_quality = 100;
        }
        _ => {}
    }
    s
}

fuzz_target!(|data: &[u8]| {
    let strips = u32::from(data.last().copied().unwrap_or(0) % 32);
    let selector = data.len().checked_sub(2).map_or(0, |i| data[i]);
    let settings = settings(selector);

    let sniffed = sniff(data);
    let complete = check_complete(data);
    let probed = probe(data);
    let decoded = decode(data, &LIMITS);
    if sniffed.is_none() {
        assert!(complete.is_err() && probed.is_err() && decoded.is_err());
    }
    if let Ok(f) = &complete {
        assert_eq!(Some(*f), sniffed);
    }
    if let Ok((f, _, _)) = &probed {
        assert_eq!(Some(*f), sniffed);
    }
    if let Ok(img) = &decoded {
        assert!(img.is_consistent());
        assert!(
            img.width > 0 && img.height > 0,
            "{}x{}",
            img.width,
            img.height
        );
        assert!(
            LIMITS
                .check(sniffed.expect("decoded"), img.width, img.height)
                .is_ok()
        );
        match &probed {
            Ok((_, w, h)) => assert_eq!(
                (*w, *h),
                (img.width, img.height),
                "probe and decode disagree on the size"
            ),
            Err(e) => panic!(
                "decode succeeds ({}x{}) but probe fails: {e}",
                img.width, img.height
            ),
        }
    }

    for target in Format::ALL {
        let job = PageJob {
            bytes: data,
            strips,
            target,
            settings: &settings,
            limits: &LIMITS,
            verify: Verify::Full,
        };
        match process_page(&job) {
            Ok(PageOutput::Raw) => {
                assert!(complete.is_ok(), "raw output of incomplete bytes");
                let f = sniffed.expect("raw output of unknown bytes");
                assert!(f == Format::Gif || (strips <= 1 && f == target));
                if f != Format::Gif {
                    assert!(
                        decoded.is_ok(),
                        "raw output of undecodable bytes (Verify::Full)"
                    );
                }
            }
            Ok(PageOutput::Encoded { bytes, format }) => {
                assert_eq!(format, target);
                assert_eq!(sniff(&bytes), Some(target));
                let img = decoded
                    .as_ref()
                    .expect("encoded output of undecodable bytes");
                let again = decode(&bytes, &Limits::unlimited())
                    .unwrap_or_else(|e| panic!("encoded output does not decode: {e}"));
                assert_eq!((again.width, again.height), (img.width, img.height));
                assert!(check_complete(&bytes).is_ok());
            }
            Ok(_) => {}
            Err(_) => {}
        }
    }
});
