//! Decoding what the CDN serves, for tests that compare pages with the originals.
//!
//! Uses the same independent codecs the emulator encodes with (image-webp, libjpeg-turbo
//! through `turbojpeg`, `png`, `gif`), none of them through `jmcomic-image`, so a
//! codec misuse on the client side cannot hide here.

use std::io::Cursor;

use crate::pages::OriginalPage;

/// Pages larger than this many pixels are refused before any pixel buffer is allocated.
pub const MAX_DECODE_PIXELS: u64 = 64 * 1024 * 1024;

/// The container formats the CDN serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Container {
    Webp,
    Jpeg,
    Png,
    Gif,
}

fn sniff(bytes: &[u8]) -> Result<Container, String> {
    match bytes {
        [
            b'R',
            b'I',
            b'F',
            b'F',
            _,
            _,
            _,
            _,
            b'W',
            b'E',
            b'B',
            b'P',
            ..,
        ] => Ok(Container::Webp),
        [0xFF, 0xD8, 0xFF, ..] => Ok(Container::Jpeg),
        [0x89, b'P', b'N', b'G', ..] => Ok(Container::Png),
        [b'G', b'I', b'F', b'8', ..] => Ok(Container::Gif),
        _ => Err("not a WebP, JPEG, PNG or GIF file".to_owned()),
    }
}

/// The width and height a served image's header claims, without decoding any pixel.
///
/// # Errors
/// When the bytes are not one of the served formats or the header does not parse.
pub fn claimed_size(bytes: &[u8]) -> Result<(u32, u32), String> {
    match sniff(bytes)? {
        Container::Webp => {
            // image-webp refuses a huge canvas at the header ("Image too large") without
            // saying its size, so a VP8X claim is read here directly (24-bit little-endian,
            // minus one).
            if bytes.get(12..16) == Some(b"VP8X") && bytes.len() >= 30 {
                let le24 = |at: usize| {
                    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], 0]) + 1
                };
                return Ok((le24(24), le24(27)));
            }
            let decoder =
                image_webp::WebPDecoder::new(Cursor::new(bytes)).map_err(|e| e.to_string())?;
            Ok(decoder.dimensions())
        }
        Container::Jpeg => {
            let header = turbojpeg::read_header(bytes).map_err(|e| e.to_string())?;
            let size = |v: usize| u32::try_from(v).map_err(|e| e.to_string());
            Ok((size(header.width)?, size(header.height)?))
        }
        Container::Png => {
            let reader = png::Decoder::new(Cursor::new(bytes))
                .read_info()
                .map_err(|e| e.to_string())?;
            let info = reader.info();
            Ok((info.width, info.height))
        }
        Container::Gif => {
            let decoder = gif::DecodeOptions::new()
                .read_info(Cursor::new(bytes))
                .map_err(|e| e.to_string())?;
            Ok((u32::from(decoder.width()), u32::from(decoder.height())))
        }
    }
}

/// Decodes a served image to packed RGB (a GIF's first frame on a black canvas; alpha is
/// dropped).
///
/// # Errors
/// When the bytes do not decode, or claim more than [`MAX_DECODE_PIXELS`].
pub fn decode_rgb(bytes: &[u8]) -> Result<OriginalPage, String> {
    let (width, height) = claimed_size(bytes)?;
    if u64::from(width) * u64::from(height) > MAX_DECODE_PIXELS {
        return Err(format!("{width}x{height} is too large to decode"));
    }
    let rgb = match sniff(bytes)? {
        Container::Webp => {
            let mut decoder =
                image_webp::WebPDecoder::new(Cursor::new(bytes)).map_err(|e| e.to_string())?;
            let alpha = decoder.has_alpha();
            let size = decoder.output_buffer_size().ok_or("image too large")?;
            let mut buf = vec![0; size];
            decoder.read_image(&mut buf).map_err(|e| e.to_string())?;
            if alpha { drop_alpha(&buf) } else { buf }
        }
        Container::Jpeg => {
            turbojpeg::decompress(bytes, turbojpeg::PixelFormat::RGB)
                .map_err(|e| e.to_string())?
                .pixels
        }
        Container::Png => {
            let mut decoder = png::Decoder::new(Cursor::new(bytes));
            decoder
                .set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
            let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
            let size = reader.output_buffer_size().ok_or("image too large")?;
            let mut buf = vec![0; size];
            let frame = reader.next_frame(&mut buf).map_err(|e| e.to_string())?;
            buf.truncate(frame.buffer_size());
            match frame.color_type {
                png::ColorType::Rgb => buf,
                png::ColorType::Rgba => drop_alpha(&buf),
                png::ColorType::Grayscale => buf.iter().flat_map(|&g| [g, g, g]).collect(),
                png::ColorType::GrayscaleAlpha => buf
                    .chunks_exact(2)
                    .flat_map(|p| [p[0], p[0], p[0]])
                    .collect(),
                png::ColorType::Indexed => return Err("indexed PNG left unexpanded".to_owned()),
            }
        }
        Container::Gif => gif_first_frame(bytes, width, height)?,
    };
    if rgb.len() != width as usize * height as usize * 3 {
        return Err(format!(
            "decoded {} bytes for {width}x{height} pixels",
            rgb.len()
        ));
    }
    Ok(OriginalPage { width, height, rgb })
}

fn drop_alpha(rgba: &[u8]) -> Vec<u8> {
    rgba.chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect()
}

fn gif_first_frame(bytes: &[u8], width: u32, height: u32) -> Result<Vec<u8>, String> {
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::RGBA);
    let mut decoder = options
        .read_info(Cursor::new(bytes))
        .map_err(|e| e.to_string())?;
    let frame = decoder
        .read_next_frame()
        .map_err(|e| e.to_string())?
        .ok_or("no frame")?;
    let (w, h) = (width as usize, height as usize);
    let mut canvas = vec![0u8; w * h * 3];
    let (left, top) = (usize::from(frame.left), usize::from(frame.top));
    let fw = usize::from(frame.width);
    for (y, row) in frame.buffer.chunks_exact(fw * 4).enumerate() {
        for (x, px) in row.chunks_exact(4).enumerate() {
            let (cx, cy) = (left + x, top + y);
            if cx < w && cy < h && px[3] != 0 {
                let at = (cy * w + cx) * 3;
                canvas[at..at + 3].copy_from_slice(&px[..3]);
            }
        }
    }
    Ok(canvas)
}
