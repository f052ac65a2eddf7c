//! Encoding packed RGB to WebP, JPEG or PNG.

use crate::error::{Error, Result};
use crate::format::Format;
use crate::image::{RgbImage, check_len};
use crate::webp;

/// libwebp encoder settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WebpSettings {
    /// Quality `0.0..=100.0`: the lossy quantiser, or the effort of lossless mode.
    pub quality: f32,
    /// Speed/size trade-off `0..=6` (0 fastest). Measured at q80 for a 1100×1600 page: m4
    /// 137 ms / 189 KB, m2 62 ms / 194 KB, m0 41 ms / 230 KB.
    // perf.md §2.3(e).
    pub method: u8,
    /// Lossless VP8L instead of lossy VP8.
    pub lossless: bool,
}

/// PNG deflate effort (the `png` crate's levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PngCompression {
    /// fdeflate: 12.6 ms and 2.07 MB for a 1100×1600 page (measured).
    // perf.md §2.3(d), like the figures below.
    Fast,
    /// About zlib level 6, Pillow's default: 322 ms, 1.86 MB.
    Balanced,
    /// Slowest, a little smaller: 831 ms, 1.84 MB.
    High,
}

/// How [`encode`] writes each format.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EncodeSettings {
    /// WebP settings.
    pub webp: WebpSettings,
    /// JPEG quality `1..=100` (0 is treated as 1); always 4:2:0, baseline, no optimisation.
    pub jpeg_quality: u8,
    /// PNG deflate effort.
    pub png: PngCompression,
}

impl EncodeSettings {
    /// Pillow's defaults, i.e. what the Python package writes: WebP lossy q80 method 4
    /// (byte-identical to Pillow's files), JPEG q75 4:2:0 baseline without optimisation, PNG
    /// at about zlib level 6 ([`PngCompression::Balanced`]).
    // perf.md §2.5.
    pub fn pillow() -> Self {
        Self {
            webp: WebpSettings {
                quality: 80.0,
                method: 4,
                lossless: false,
            },
            jpeg_quality: 75,
            png: PngCompression::Balanced,
        }
    }
}

impl Default for EncodeSettings {
    /// Fast defaults: WebP lossy q80 method 2 (twice as fast as method 4 for +2.6% size),
    /// JPEG q75, PNG [`PngCompression::Fast`] (25× faster than zlib-6 for +11% size).
    // perf.md §4 points 3–4.
    fn default() -> Self {
        Self {
            webp: WebpSettings {
                quality: 80.0,
                method: 2,
                lossless: false,
            },
            jpeg_quality: 75,
            png: PngCompression::Fast,
        }
    }
}

/// Encodes `img` as `format`.
///
/// * WebP: libwebp `WebPConfig` (preset default, then quality, method, lossless) +
///   `WebPPictureImportRGB` + `WebPMemoryWriter`; all libwebp memory is freed on every path.
///   WebP cannot store more than 16383 pixels per side: larger images are [`Error::Encode`].
/// * JPEG: libjpeg-turbo through `turbojpeg`, 4:2:0, baseline (at most 65500 per side).
/// * PNG: the `png` crate, 8-bit RGB.
/// * GIF: [`Error::Unsupported`] (GIFs are only ever passed through).
///
/// An image whose `data` does not match its dimensions gives [`Error::BadBuffer`].
pub fn encode(img: &RgbImage, format: Format, settings: &EncodeSettings) -> Result<Vec<u8>> {
    check_len("RGB data", img.data.len(), img.width, img.height)?;
    if img.width == 0 || img.height == 0 {
        return Err(Error::encode(format, "empty image"));
    }
    match format {
        Format::Webp => encode_webp(img, settings.webp),
        Format::Jpeg => encode_jpeg(img, settings.jpeg_quality),
        Format::Png => encode_png(img, settings.png),
        Format::Gif => Err(Error::Unsupported {
            format,
            op: "encoding",
        }),
    }
}

fn encode_webp(img: &RgbImage, settings: WebpSettings) -> Result<Vec<u8>> {
    let params = webp::EncodeParams {
        quality: settings.quality,
        method: settings.method,
        lossless: settings.lossless,
    };
    webp::encode_rgb(&img.data, img.width, img.height, params)
        .map_err(|reason| Error::encode(Format::Webp, reason))
}

fn encode_jpeg(img: &RgbImage, quality: u8) -> Result<Vec<u8>> {
    let fail = |e: turbojpeg::Error| Error::encode(Format::Jpeg, e.to_string());
    let mut compressor = turbojpeg::Compressor::new().map_err(fail)?;
    compressor
        .set_quality(i32::from(quality.clamp(1, 100)))
        .map_err(fail)?;
    // Pillow's JPEG defaults (perf.md §2.5): 4:2:0, no Huffman optimisation, baseline.
    compressor
        .set_subsamp(turbojpeg::Subsamp::Sub2x2)
        .map_err(fail)?;
    compressor.set_optimize(false).map_err(fail)?;
    compressor.set_progressive(false).map_err(fail)?;
    let image = turbojpeg::Image {
        pixels: img.data.as_slice(),
        width: img.width as usize,
        // `check_len` above guarantees `data.len() == pitch * height`, which is what the
        // turbojpeg crate asserts.
        pitch: img.stride(),
        height: img.height as usize,
        format: turbojpeg::PixelFormat::RGB,
    };
    compressor.compress_to_vec(image).map_err(fail)
}

fn encode_png(img: &RgbImage, compression: PngCompression) -> Result<Vec<u8>> {
    let fail = |e: png::EncodingError| Error::encode(Format::Png, e.to_string());
    // Deflate output is usually well under the raw size; start at a quarter to avoid regrowth.
    let mut out = Vec::with_capacity(img.data.len() / 4 + 1024);
    {
        let mut encoder = png::Encoder::new(&mut out, img.width, img.height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(match compression {
            PngCompression::Fast => png::Compression::Fast,
            PngCompression::Balanced => png::Compression::Balanced,
            PngCompression::High => png::Compression::High,
        });
        let mut writer = encoder.write_header().map_err(fail)?;
        writer.write_image_data(&img.data).map_err(fail)?;
        writer.finish().map_err(fail)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gradient(width: u32, height: u32) -> RgbImage {
        let mut data = Vec::new();
        for y in 0..height {
            for x in 0..width {
                data.extend_from_slice(&[(x * 7) as u8, (y * 5) as u8, ((x + y) * 3) as u8]);
            }
        }
        RgbImage::new(width, height, data).unwrap()
    }

    #[test]
    fn settings_defaults() {
        let p = EncodeSettings::pillow();
        assert_eq!(
            (p.webp.quality, p.webp.method, p.webp.lossless),
            (80.0, 4, false)
        );
        assert_eq!(p.jpeg_quality, 75);
        assert_eq!(p.png, PngCompression::Balanced);
        let d = EncodeSettings::default();
        assert_eq!((d.webp.quality, d.webp.method), (80.0, 2));
        assert_eq!(d.png, PngCompression::Fast);
    }

    #[test]
    fn every_format_produces_its_magic() {
        let img = gradient(33, 17);
        for format in [Format::Webp, Format::Jpeg, Format::Png] {
            let bytes = encode(&img, format, &EncodeSettings::default()).unwrap();
            assert_eq!(crate::format::sniff(&bytes), Some(format));
            assert_eq!(crate::format::check_complete(&bytes), Ok(format));
        }
        let err = encode(&img, Format::Gif, &EncodeSettings::default()).unwrap_err();
        assert!(matches!(
            err,
            Error::Unsupported {
                format: Format::Gif,
                ..
            }
        ));
    }

    #[test]
    fn bad_inputs_are_errors() {
        let broken = RgbImage {
            width: 3,
            height: 3,
            data: vec![0; 5],
        };
        for format in Format::ALL {
            let err = encode(&broken, format, &EncodeSettings::default()).unwrap_err();
            assert!(matches!(err, Error::BadBuffer { .. }), "{format}: {err}");
        }
        let empty = RgbImage::new(0, 5, vec![]).unwrap();
        assert!(encode(&empty, Format::Png, &EncodeSettings::default()).is_err());
        let mut bad_webp = EncodeSettings::default();
        bad_webp.webp.method = 7;
        assert!(matches!(
            encode(&gradient(2, 2), Format::Webp, &bad_webp),
            Err(Error::Encode { .. })
        ));
        bad_webp.webp.method = 4;
        bad_webp.webp.quality = 101.0;
        assert!(encode(&gradient(2, 2), Format::Webp, &bad_webp).is_err());
        let q0 = EncodeSettings {
            jpeg_quality: 0,
            ..EncodeSettings::default()
        };
        assert!(encode(&gradient(2, 2), Format::Jpeg, &q0).is_ok());
    }
}
