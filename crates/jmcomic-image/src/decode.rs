//! Decoding to packed RGB, with size limits checked from the header before any allocation.

use std::io::Cursor;

use crate::error::{Error, Result};
use crate::format::{self, Format};
use crate::image::RgbImage;
use crate::webp;
use crate::workspace::Workspace;

/// Size limits for decoding, checked against the header *before* the pixel buffer is
/// allocated: a 60-byte file claiming 100000×100000 pixels is an error, not a 30 GB allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted width in pixels.
    pub max_width: u32,
    /// Largest accepted height in pixels.
    pub max_height: u32,
    /// Largest accepted `width * height`.
    pub max_pixels: u64,
}

impl Default for Limits {
    /// 16384 × 65535 and 64 million pixels (192 MB of RGB). Pages are about 1100×1600;
    /// long-strip pages are narrow but may be very tall, hence the asymmetric bounds.
    fn default() -> Self {
        Self {
            max_width: 16_384,
            max_height: 65_535,
            max_pixels: 64_000_000,
        }
    }
}

impl Limits {
    /// No limits beyond what the formats and the address space impose.
    pub fn unlimited() -> Self {
        Self {
            max_width: u32::MAX,
            max_height: u32::MAX,
            max_pixels: u64::MAX,
        }
    }

    /// `Ok` when a `width × height` picture is within the limits.
    pub fn check(&self, format: Format, width: u32, height: u32) -> Result<()> {
        if width > self.max_width
            || height > self.max_height
            || u64::from(width) * u64::from(height) > self.max_pixels
        {
            return Err(Error::TooLarge {
                format,
                width,
                height,
                max_width: self.max_width,
                max_height: self.max_height,
                max_pixels: self.max_pixels,
            });
        }
        Ok(())
    }
}

/// Decodes `bytes` (format sniffed from the magic number) to packed RGB; alpha is dropped,
/// as Pillow's `convert('RGB')` and the Python original's RGB canvas do.
///
/// * WebP: libwebp (`WebPGetFeatures`, then `WebPDecodeRGBInto` straight into our buffer).
///   Animated WebP is [`Error::Unsupported`].
/// * JPEG: libjpeg-turbo (TurboJPEG 3 API), to RGB; grayscale is expanded. CMYK/YCCK, which
///   TurboJPEG cannot convert to RGB, is [`Error::Unsupported`]. libjpeg *warnings* (such as
///   extraneous bytes before a marker) are ignored when [`check_complete`](crate::check_complete)
///   passes, as Pillow ignores them; on a cut file they are [`Error::Truncated`].
/// * PNG: the `png` crate; palette, grayscale and 16-bit are expanded to 8-bit RGB (16-bit
///   keeps the high byte), alpha is dropped.
/// * GIF: [`Error::Unsupported`]: GIF pages are never decoded.
///
/// The header's dimensions are checked against `limits` before anything is allocated.
// Spec §7.2 (RGB canvas), §4.5 and §7.3 (GIFs).
pub fn decode(bytes: &[u8], limits: &Limits) -> Result<RgbImage> {
    decode_with(bytes, limits, &mut Workspace::new())
}

/// [`decode`] drawing its pixel buffer from a [`Workspace`] (give it back with
/// [`Workspace::recycle`] when done with the image).
pub fn decode_with(bytes: &[u8], limits: &Limits, ws: &mut Workspace) -> Result<RgbImage> {
    let format = format::sniff(bytes).ok_or(Error::UnknownFormat)?;
    match format {
        Format::Webp => decode_webp(bytes, limits, ws),
        Format::Jpeg => decode_jpeg(bytes, limits, ws),
        Format::Png => decode_png(bytes, limits, ws),
        Format::Gif => Err(Error::Unsupported {
            format,
            op: "decoding",
        }),
    }
}

/// The RGB buffer for a picture that passed the limits.
fn rgb_buffer(format: Format, width: u32, height: u32, ws: &mut Workspace) -> Result<Vec<u8>> {
    let len = RgbImage::byte_len(width, height).ok_or(Error::TooLarge {
        format,
        width,
        height,
        max_width: width,
        max_height: height,
        max_pixels: (usize::MAX / 3) as u64,
    })?;
    Ok(ws.take(len))
}

fn decode_webp(bytes: &[u8], limits: &Limits, ws: &mut Workspace) -> Result<RgbImage> {
    let features = match format::webp_features(bytes) {
        Ok(f) => f,
        Err(e) => {
            // libwebp refuses canvases of 2^32 pixels or more as a bitstream error; report
            // such a header as what it is.
            if let Some((w, h)) = format::webp_vp8x_canvas(bytes) {
                limits.check(Format::Webp, w, h)?;
            }
            return Err(e);
        }
    };
    let (width, height) = (features.width, features.height);
    limits.check(Format::Webp, width, height)?;
    if features.has_animation {
        return Err(Error::Unsupported {
            format: Format::Webp,
            op: "decoding animated images",
        });
    }
    let mut data = rgb_buffer(Format::Webp, width, height, ws)?;
    if !webp::decode_rgb_into(bytes, &mut data, width as usize * 3) {
        ws.give(data);
        // The headers were fine, so a failure here is bad or missing pixel data.
        return Err(Error::undecodable(
            Format::Webp,
            "libwebp could not decode the bitstream",
        ));
    }
    RgbImage::new(width, height, data)
}

fn decode_jpeg(bytes: &[u8], limits: &Limits, ws: &mut Workspace) -> Result<RgbImage> {
    // Our own SOF parse first: header-only, so the limits hold before libjpeg-turbo runs.
    let (_, width, height) = crate::format::probe(bytes)?;
    limits.check(Format::Jpeg, width, height)?;
    crate::jpeg::decode_rgb(bytes, width, height, limits, ws)
}

fn decode_png(bytes: &[u8], limits: &Limits, ws: &mut Workspace) -> Result<RgbImage> {
    let undecodable = |e: png::DecodingError| match e {
        png::DecodingError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            Error::truncated(Format::Png, "data ends early")
        }
        png::DecodingError::LimitsExceeded => Error::undecodable(
            Format::Png,
            "decoder memory limit exceeded (oversized chunks)",
        ),
        other => Error::undecodable(Format::Png, other.to_string()),
    };
    let (_, width, height) = crate::format::probe(bytes)?;
    limits.check(Format::Png, width, height)?;

    let mut decoder = png::Decoder::new(Cursor::new(bytes));
    // EXPAND: palette -> RGB(A), low bit depths -> 8 bits, tRNS -> alpha channel.
    // STRIP_16: keep the high byte of 16-bit samples.
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(undecodable)?;
    let (color, depth) = reader.output_color_type();
    let channels = match (color, depth) {
        (png::ColorType::Grayscale, png::BitDepth::Eight) => 1,
        (png::ColorType::GrayscaleAlpha, png::BitDepth::Eight) => 2,
        (png::ColorType::Rgb, png::BitDepth::Eight) => 3,
        (png::ColorType::Rgba, png::BitDepth::Eight) => 4,
        other => {
            return Err(Error::undecodable(
                Format::Png,
                format!("unexpected output layout {other:?}"),
            ));
        }
    };
    let total = (width as usize)
        .checked_mul(channels)
        .and_then(|row| row.checked_mul(height as usize));
    let Some(total) = total.filter(|&t| Some(t) == reader.output_buffer_size()) else {
        return Err(Error::undecodable(Format::Png, "unexpected output size"));
    };

    if channels == 3 {
        // Already packed RGB: decode straight into the result.
        let mut data = rgb_buffer(Format::Png, width, height, ws)?;
        if let Err(e) = reader.next_frame(&mut data) {
            ws.give(data);
            return Err(undecodable(e));
        }
        return RgbImage::new(width, height, data);
    }
    // Decode the whole frame first (rows of interlaced files arrive pass by pass), then drop
    // alpha / replicate gray like Pillow's convert('RGB').
    let mut wide = vec![0; total];
    reader.next_frame(&mut wide).map_err(undecodable)?;
    let mut data = Vec::with_capacity(RgbImage::byte_len(width, height).unwrap_or(0));
    match channels {
        1 => data.extend(wide.iter().flat_map(|&g| [g, g, g])),
        2 => data.extend(wide.chunks_exact(2).flat_map(|p| [p[0], p[0], p[0]])),
        _ => data.extend(wide.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]])),
    }
    RgbImage::new(width, height, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_check() {
        let l = Limits::default();
        assert!(l.check(Format::Png, 16_384, 3_906).is_ok());
        assert!(l.check(Format::Png, 16_385, 1).is_err());
        assert!(l.check(Format::Png, 1, 65_536).is_err());
        assert!(l.check(Format::Png, 8_000, 8_001).is_err());
        assert!(l.check(Format::Png, 1_000, 64_000).is_ok());
        assert!(
            Limits::unlimited()
                .check(Format::Png, u32::MAX, u32::MAX)
                .is_ok()
        );
    }

    #[test]
    fn gif_is_never_decoded() {
        let err = decode(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", &Limits::default()).unwrap_err();
        assert!(matches!(
            err,
            Error::Unsupported {
                format: Format::Gif,
                ..
            }
        ));
        assert!(!err.is_corrupt_input());
    }

    #[test]
    fn unknown_and_empty() {
        assert_eq!(decode(b"", &Limits::default()), Err(Error::UnknownFormat));
        assert_eq!(
            decode(b"<html>nope</html>", &Limits::default()),
            Err(Error::UnknownFormat)
        );
    }
}
