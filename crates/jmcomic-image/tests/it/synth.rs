//! A deterministic synthetic comic page: gradients, panel borders, screentone, circles,
//! line-art strokes and a little noise, so codecs do real work. Shared by the integration
//! tests and `benches/codec.rs` (included there with `#[path]`).

use jmcomic_image::RgbImage;

/// SplitMix64: a tiny deterministic generator, enough for test data and mutations.
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// A `width x height` page.
pub fn page(width: u32, height: u32) -> RgbImage {
    let (w, h) = (width as usize, height as usize);
    let mut data = vec![0u8; w * h * 3];
    let mut rng = Rng::new(0x5EED);
    // Background: two-axis gradient with a soft diagonal wave.
    for y in 0..h {
        for x in 0..w {
            let i = (y * w + x) * 3;
            let wave = (((x + 2 * y) as f32 / 23.0).sin() * 20.0) as i32;
            data[i] = (40 + 180 * x / w.max(1)) as u8;
            data[i + 1] = (60 + 150 * y / h.max(1)) as u8;
            data[i + 2] = (120 + wave).clamp(0, 255) as u8;
        }
    }
    let put = |x: i64, y: i64, c: [u8; 3], data: &mut Vec<u8>| {
        if x >= 0 && y >= 0 && (x as usize) < w && (y as usize) < h {
            let i = (y as usize * w + x as usize) * 3;
            data[i..i + 3].copy_from_slice(&c);
        }
    };
    // Screentone dots in the upper-left quarter.
    for y in (0..h / 2).step_by(6) {
        for x in (0..w / 2).step_by(6) {
            for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                put((x + dx) as i64, (y + dy) as i64, [30, 30, 30], &mut data);
            }
        }
    }
    // Filled circles.
    for k in 0..6 {
        let cx = (w * (k + 1) / 7) as i64;
        let cy = (h * ((k * 3) % 7 + 1) / 8) as i64;
        let r = (w.min(h) / 12).max(2) as i64;
        let color = [(k * 40) as u8, 200 - (k * 30) as u8, 90 + (k * 25) as u8];
        for y in -r..=r {
            for x in -r..=r {
                if x * x + y * y <= r * r {
                    put(cx + x, cy + y, color, &mut data);
                }
            }
        }
    }
    // Line art: random black strokes, two pixels wide.
    for _ in 0..(w + h) / 8 {
        let (x0, y0) = (rng.below(w.max(1)) as i64, rng.below(h.max(1)) as i64);
        let len = 10 + rng.below(120) as i64;
        let (dx, dy) = (rng.below(9) as i64 - 4, rng.below(9) as i64 - 4);
        for t in 0..len {
            let x = x0 + dx * t / 4;
            let y = y0 + dy * t / 4;
            put(x, y, [0, 0, 0], &mut data);
            put(x + 1, y, [0, 0, 0], &mut data);
        }
    }
    // Panel borders every ~quarter page.
    for y in 0..h {
        for x in 0..w {
            if x % (w / 3).max(1) < 3 || y % (h / 4).max(1) < 3 {
                put(x as i64, y as i64, [10, 10, 10], &mut data);
            }
        }
    }
    // A slight blur, as scanned or resampled pages have (perf.md §2.1 used 0.6 px).
    blur_121(&mut data, w, h);
    // Mild noise, like a scanned page.
    for v in &mut data {
        let n = (rng.next_u64() % 7) as i16 - 3;
        *v = (i16::from(*v) + n).clamp(0, 255) as u8;
    }
    RgbImage::new(width, height, data).expect("consistent synthetic page")
}

/// Separable [1, 2, 1] / 4 blur, in place.
fn blur_121(data: &mut [u8], w: usize, h: usize) {
    let src = data.to_vec();
    let at = |x: usize, y: usize, c: usize| u16::from(src[(y * w + x) * 3 + c]);
    let mut tmp = vec![0u16; src.len()];
    for y in 0..h {
        for x in 0..w {
            for c in 0..3 {
                let l = at(x.saturating_sub(1), y, c);
                let r = at((x + 1).min(w - 1), y, c);
                tmp[(y * w + x) * 3 + c] = l + 2 * at(x, y, c) + r;
            }
        }
    }
    for y in 0..h {
        for x in 0..w {
            for c in 0..3 {
                let t = |yy: usize| tmp[(yy * w + x) * 3 + c];
                let v = t(y.saturating_sub(1)) + 2 * t(y) + t((y + 1).min(h - 1));
                data[(y * w + x) * 3 + c] = ((v + 8) / 16) as u8;
            }
        }
    }
}

/// The exact inverse of the descramble: what the CDN serves for `page` cut into `num` strips
/// (written from spec §7.2 directly, not through the crate).
pub fn scramble(page: &RgbImage, num: u32) -> RgbImage {
    if num <= 1 || page.height < num {
        return page.clone();
    }
    let (h, row) = (page.height as usize, page.width as usize * 3);
    let num = num as usize;
    let (mv, over) = (h / num, h % num);
    let mut out = vec![0u8; page.data.len()];
    for i in 0..num {
        let y_src = h - mv * (i + 1) - over;
        let (y_dst, len) = if i == 0 {
            (0, mv + over)
        } else {
            (mv * i + over, mv)
        };
        // descramble copies src[y_src..] -> dst[y_dst..]; scrambling goes the other way.
        out[y_src * row..(y_src + len) * row]
            .copy_from_slice(&page.data[y_dst * row..(y_dst + len) * row]);
    }
    RgbImage::new(page.width, page.height, out).expect("same size")
}

/// Peak signal-to-noise ratio in dB between two same-sized images.
pub fn psnr(a: &RgbImage, b: &RgbImage) -> f64 {
    assert_eq!((a.width, a.height), (b.width, b.height));
    let mse: f64 = a
        .data
        .iter()
        .zip(&b.data)
        .map(|(&x, &y)| {
            let d = f64::from(x) - f64::from(y);
            d * d
        })
        .sum::<f64>()
        / a.data.len() as f64;
    if mse == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (255.0 * 255.0 / mse).log10()
    }
}
