//! Page pixels and their encodings: drawing, scrambling, encoding and the encode cache.
//!
//! Pixels are a pure function of (seed, width, height); the served bytes a pure function of
//! [`EncodeKey`]. Encoding is CPU work, so the server runs it on the blocking pool (bounded by
//! a semaphore) and caches the result; [`crate::Emulator::warm`] fills the cache up front.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use bytes::Bytes;

use crate::catalog::PageKind;
use crate::scramble::scramble_rgb;

/// The unscrambled pixels of a page, as drawn before scrambling and encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginalPage {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Packed RGB8 rows, `width * height * 3` bytes.
    pub rgb: Vec<u8>,
}

/// Everything the served bytes of a page depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct EncodeKey {
    pub seed: u64,
    pub width: u32,
    pub height: u32,
    pub kind: PageKind,
    /// Strip count applied before encoding (0 = unscrambled; always 0 for GIF).
    pub strips: u32,
}

/// Lossy WebP quality (the brief: "quality ~85", close to what the site serves).
const WEBP_QUALITY: f32 = 85.0;
/// JPEG quality.
const JPEG_QUALITY: i32 = 90;
/// GIF frame delay in 1/100 s.
const GIF_DELAY: u16 = 20;

/// Draws a page: horizontal bands 1-6 rows high whose luma alternates between dark
/// (20..=85) and bright (170..=235), so a strip placed one row off is obvious even after
/// lossy compression; plus a horizontal gradient in blue and a few vertical bars, so columns
/// are not all alike either.
pub(crate) fn draw_rgb(seed: u64, width: u32, height: u32) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let (cols, rows) = (width as usize, height as usize);
    let bars: Vec<(usize, usize)> = (0..rng.usize(2..=4))
        .map(|_| (rng.usize(0..cols.max(1)), rng.usize(2..=8)))
        .collect();
    let mut rgb = Vec::with_capacity(cols * rows * 3);
    let mut bright = rng.bool();
    let mut y = 0;
    while y < rows {
        let band = rng.usize(1..=6).min(rows - y);
        let luma: i32 = if bright {
            rng.i32(170..=235)
        } else {
            rng.i32(20..=85)
        };
        let (tr, tg) = (rng.i32(-20..=20), rng.i32(-20..=20));
        bright = !bright;
        let mut row = Vec::with_capacity(cols * 3);
        for x in 0..cols {
            let gradient = (x * 96 / cols.max(1)) as i32 - 48;
            let (mut r, g, mut b) = (luma + tr, luma + tg, luma + gradient);
            if bars.iter().any(|&(bx, bw)| x >= bx && x < bx + bw) {
                // Vertical features: swap red and blue so bars show in every band.
                (r, b) = (b, r);
            }
            row.extend([r, g, b].map(|c| c.clamp(0, 255) as u8));
        }
        for _ in 0..band {
            rgb.extend_from_slice(&row);
        }
        y += band;
    }
    rgb
}

/// A 16-colour palette: 8 dark then 8 bright entries.
fn gif_palette(seed: u64) -> [[u8; 3]; 16] {
    let mut rng = fastrand::Rng::with_seed(seed ^ 0x0067_6966_5f70_616c);
    let mut palette = [[0u8; 3]; 16];
    for (i, entry) in palette.iter_mut().enumerate() {
        let base = if i < 8 { 30 } else { 190 };
        *entry = [0; 3].map(|_: u8| base + rng.u8(0..=40));
    }
    palette
}

/// Frame `frame` of an animated page as palette indices: the same band structure as
/// [`draw_rgb`], recoloured per frame.
fn gif_frame_indices(seed: u64, width: u32, height: u32, frame: u8) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let (cols, rows) = (width as usize, height as usize);
    let bar_x = rng.usize(0..cols.max(1));
    let mut out = Vec::with_capacity(cols * rows);
    let mut bright = rng.bool();
    let mut y = 0;
    while y < rows {
        let band = rng.usize(1..=6).min(rows - y);
        let shade = (rng.u8(0..8) + frame * 3) % 8;
        let index = if bright { 8 + shade } else { shade };
        bright = !bright;
        for _ in 0..band {
            out.extend((0..cols).map(|x| {
                if x >= bar_x && x < bar_x + 3 {
                    index ^ 8
                } else {
                    index
                }
            }));
        }
        y += band;
    }
    out
}

fn gif_frame_count(seed: u64) -> u8 {
    2 + (seed % 2) as u8
}

/// The original pixels of a page: the drawing, or for GIFs the first frame.
pub(crate) fn original(seed: u64, width: u32, height: u32, kind: PageKind) -> OriginalPage {
    let rgb = if kind == PageKind::Gif {
        let palette = gif_palette(seed);
        gif_frame_indices(seed, width, height, 0)
            .into_iter()
            .flat_map(|i| palette[usize::from(i)])
            .collect()
    } else {
        draw_rgb(seed, width, height)
    };
    OriginalPage { width, height, rgb }
}

/// Encodes the page described by `key` (draw, scramble, encode).
pub(crate) fn encode(key: &EncodeKey) -> Result<Bytes, String> {
    let (w, h) = (key.width, key.height);
    if key.kind == PageKind::Gif {
        return encode_gif(key.seed, w, h).map(Bytes::from);
    }
    let drawn = draw_rgb(key.seed, w, h);
    let rgb = scramble_rgb(&drawn, w, h, key.strips);
    let bytes = match key.kind {
        PageKind::LossyWebp => encode_lossy_webp(&rgb, w, h)?,
        PageKind::LosslessWebp => {
            let mut out = Vec::new();
            image_webp::WebPEncoder::new(&mut out)
                .encode(&rgb, w, h, image_webp::ColorType::Rgb8)
                .map_err(|e| e.to_string())?;
            out
        }
        PageKind::Jpeg | PageKind::Gif => {
            let image = turbojpeg::Image {
                pixels: rgb.as_slice(),
                width: w as usize,
                pitch: w as usize * 3,
                height: h as usize,
                format: turbojpeg::PixelFormat::RGB,
            };
            turbojpeg::compress(image, JPEG_QUALITY, turbojpeg::Subsamp::Sub2x2)
                .map_err(|e| e.to_string())?
                .to_vec()
        }
    };
    Ok(Bytes::from(bytes))
}

pub(crate) fn encode_lossy_webp(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, String> {
    let (w, h) = (
        i32::try_from(width).map_err(|e| e.to_string())?,
        i32::try_from(height).map_err(|e| e.to_string())?,
    );
    let stride = w.checked_mul(3).ok_or("width too large")?;
    if rgb.len() != width as usize * height as usize * 3 {
        return Err("buffer size mismatch".into());
    }
    let mut output: *mut u8 = std::ptr::null_mut();
    // SAFETY: `rgb` holds exactly `height` rows of `stride` bytes (checked above) and outlives
    // the call; libwebp writes a freshly allocated buffer pointer into `output` and returns its
    // length (0 on failure).
    let len = unsafe {
        libwebp_sys::WebPEncodeRGB(rgb.as_ptr(), w, h, stride, WEBP_QUALITY, &raw mut output)
    };
    if output.is_null() {
        return Err("WebPEncodeRGB failed".into());
    }
    let result = if len == 0 {
        Err("WebPEncodeRGB failed".to_owned())
    } else {
        // SAFETY: libwebp returned a non-null buffer of `len` initialised bytes.
        Ok(unsafe { std::slice::from_raw_parts(output, len) }.to_vec())
    };
    // SAFETY: `output` was allocated by libwebp and is freed exactly once, with its allocator.
    unsafe { libwebp_sys::WebPFree(output.cast()) };
    result
}

fn encode_gif(seed: u64, width: u32, height: u32) -> Result<Vec<u8>, String> {
    let (w, h) = (
        u16::try_from(width).map_err(|e| e.to_string())?,
        u16::try_from(height).map_err(|e| e.to_string())?,
    );
    let palette: Vec<u8> = gif_palette(seed).into_iter().flatten().collect();
    let mut out = Vec::new();
    {
        let mut encoder = gif::Encoder::new(&mut out, w, h, &palette).map_err(|e| e.to_string())?;
        encoder
            .set_repeat(gif::Repeat::Infinite)
            .map_err(|e| e.to_string())?;
        for frame_no in 0..gif_frame_count(seed) {
            let frame = gif::Frame {
                width: w,
                height: h,
                delay: GIF_DELAY,
                buffer: Cow::Owned(gif_frame_indices(seed, width, height, frame_no)),
                ..gif::Frame::default()
            };
            encoder.write_frame(&frame).map_err(|e| e.to_string())?;
        }
    }
    Ok(out)
}

type Slot = Arc<OnceLock<Result<Bytes, String>>>;

/// Cache of encoded pages, keyed by [`EncodeKey`]; each key is encoded at most once.
pub(crate) struct PageStore {
    slots: Mutex<HashMap<EncodeKey, Slot>>,
    /// Bounds concurrent encodes started by requests to the number of cores.
    permits: tokio::sync::Semaphore,
}

impl PageStore {
    pub(crate) fn new(parallelism: usize) -> Self {
        Self {
            slots: Mutex::new(HashMap::new()),
            permits: tokio::sync::Semaphore::new(parallelism.max(1)),
        }
    }

    fn slot(&self, key: &EncodeKey) -> Slot {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        slots.entry(*key).or_default().clone()
    }

    /// The encoding, computed on the calling thread if needed (never call on a tokio worker).
    pub(crate) fn get_blocking(&self, key: &EncodeKey) -> Result<Bytes, String> {
        self.slot(key).get_or_init(|| encode(key)).clone()
    }

    /// The encoding; a cache miss is encoded on the blocking pool.
    pub(crate) async fn get(self: &Arc<Self>, key: EncodeKey) -> Result<Bytes, String> {
        let slot = self.slot(&key);
        if let Some(done) = slot.get() {
            return done.clone();
        }
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| "page store closed".to_owned())?;
        tokio::task::spawn_blocking(move || slot.get_or_init(|| encode(&key)).clone())
            .await
            .map_err(|e| e.to_string())?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drawing_is_deterministic_and_banded() {
        let a = draw_rgb(7, 50, 61);
        assert_eq!(a, draw_rgb(7, 50, 61));
        assert_ne!(a, draw_rgb(8, 50, 61));
        assert_eq!(a.len(), 50 * 61 * 3);
        // Neighbouring bands differ strongly in luma (green channel carries no gradient).
        let greens: Vec<i32> = a.chunks(50 * 3).map(|row| i32::from(row[1])).collect();
        let jumps = greens
            .windows(2)
            .filter(|p| (p[0] - p[1]).abs() > 40)
            .count();
        assert!(jumps >= 61 / 7, "{jumps}");
    }

    #[test]
    fn every_kind_encodes_and_decodes() {
        for kind in [
            PageKind::LossyWebp,
            PageKind::LosslessWebp,
            PageKind::Jpeg,
            PageKind::Gif,
        ] {
            let key = EncodeKey {
                seed: 3,
                width: 33,
                height: 21,
                kind,
                strips: if kind == PageKind::Gif { 0 } else { 4 },
            };
            let bytes = encode(&key).expect("encode");
            let img = crate::decode::decode_rgb(&bytes).expect("decode");
            assert_eq!((img.width, img.height), (33, 21), "{kind}");
        }
    }

    #[test]
    fn lossless_scrambled_page_holds_scrambled_pixels() {
        let key = EncodeKey {
            seed: 11,
            width: 20,
            height: 23,
            kind: PageKind::LosslessWebp,
            strips: 6,
        };
        let img = crate::decode::decode_rgb(&encode(&key).expect("encode")).expect("decode");
        let expected = scramble_rgb(&draw_rgb(11, 20, 23), 20, 23, 6);
        assert_eq!(img.rgb, expected);
    }
}
