//! The workload in-process: the same deterministic catalog the emulator child serves, its
//! pages' served bytes and originals, the codec limit, and output checks.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use jmcomic::Options;
use jmcomic_emulator::{Catalog, Emulator, OriginalPage};
use jmcomic_image::{Format, Limits, PageJob};

use crate::Mode;

/// One page of the workload.
#[derive(Debug, Clone)]
pub struct Page {
    /// Album id (= chapter id: bench albums have one chapter).
    pub album: u64,
    /// File name as served, e.g. `00001.webp`.
    pub file_name: String,
    /// Drawing seed (pages share a few drawings).
    pub seed: u64,
    /// Strip count the CDN applied.
    pub strips: u32,
}

/// The catalog parameters the emulator child gets on its command line.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// `--bench-albums`.
    pub albums: usize,
    /// `--bench-pages`.
    pub pages: usize,
    /// `--bench-width`.
    pub width: u32,
    /// `--bench-height`.
    pub height: u32,
}

impl Shape {
    /// The emulator flags for this catalog.
    pub fn emulator_args(self) -> Vec<String> {
        [
            "--catalog".to_owned(),
            "bench".to_owned(),
            "--bench-albums".to_owned(),
            self.albums.to_string(),
            "--bench-pages".to_owned(),
            self.pages.to_string(),
            "--bench-width".to_owned(),
            self.width.to_string(),
            "--bench-height".to_owned(),
            self.height.to_string(),
        ]
        .into()
    }
}

/// The in-process twin of the emulator child (never asked over the network).
pub struct Workload {
    emu: Emulator,
    /// The pages of the albums to download.
    pub pages: Vec<Page>,
    /// Those albums.
    pub albums: Vec<u64>,
    originals: Mutex<HashMap<u64, std::sync::Arc<OriginalPage>>>,
}

impl Workload {
    /// The catalog of `shape`, restricted to `albums` (all when `None`).
    pub fn new(shape: Shape, only: Option<&[u64]>) -> Result<Self> {
        let catalog = Catalog::bench(shape.albums, shape.pages, shape.width, shape.height);
        let emu = Emulator::builder()
            .catalog(catalog)
            .start()
            .context("in-process emulator")?;
        let mut pages = Vec::new();
        let mut albums = Vec::new();
        for album in &emu.catalog().albums {
            if only.is_some_and(|ids| !ids.contains(&album.id)) {
                continue;
            }
            albums.push(album.id);
            for ch in &album.chapters {
                for page in &ch.pages {
                    pages.push(Page {
                        album: album.id,
                        file_name: page.file_name.clone(),
                        seed: page.seed.unwrap_or(0),
                        strips: emu.strip_count_used(ch.id, &page.file_name).unwrap_or(0),
                    });
                }
            }
        }
        if pages.is_empty() {
            bail!("the workload has no pages");
        }
        Ok(Self {
            emu,
            pages,
            albums,
            originals: Mutex::new(HashMap::new()),
        })
    }

    /// Share of pages the CDN scrambled.
    pub fn scrambled_share(&self) -> f64 {
        self.pages.iter().filter(|p| p.strips > 1).count() as f64 / self.pages.len() as f64
    }

    /// The served bytes of a page.
    pub fn served(&self, page: &Page) -> Result<Vec<u8>> {
        self.emu
            .served_bytes(page.album, &page.file_name)
            .with_context(|| format!("no page {}/{}", page.album, page.file_name))
    }

    fn original(&self, page: &Page) -> Result<std::sync::Arc<OriginalPage>> {
        let mut cache = self
            .originals
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(o) = cache.get(&page.seed) {
            return Ok(o.clone());
        }
        let o = std::sync::Arc::new(
            self.emu
                .original_page(page.album, &page.file_name)
                .context("original page")?,
        );
        cache.insert(page.seed, o.clone());
        Ok(o)
    }

    /// Distinct page-step inputs (served bytes and strip count) with how many pages share
    /// each: bench pages reuse a few drawings, so timing each input once is exact.
    fn distinct_inputs(&self, decode: bool) -> Vec<(Page, usize)> {
        let mut seen: HashMap<(u64, u32), (Page, usize)> = HashMap::new();
        for page in &self.pages {
            let strips = if decode { page.strips } else { 0 };
            seen.entry((page.seed, page.strips))
                .or_insert_with(|| {
                    let mut p = page.clone();
                    p.strips = strips;
                    (p, 0)
                })
                .1 += 1;
        }
        let mut inputs: Vec<_> = seen.into_values().collect();
        inputs.sort_by_key(|(p, _)| (p.album, p.file_name.clone()));
        inputs
    }

    /// Rust's codec cost per page for `mode` (and the `pillow` preset when asked): the
    /// pipeline's per-page step `jmcomic_image::process_page` with the settings the option
    /// file gives, single-threaded; per distinct input the median of `reps` timings, weighted
    /// by how many pages share it. Milliseconds per page.
    pub fn rust_ms_per_page(&self, mode: Mode, pillow: bool, reps: usize) -> Result<f64> {
        let yaml = format!(
            "download:\n  image:\n    suffix: {}\n    decode: {}\n    encoder: {}\n",
            mode.suffix().unwrap_or("null"),
            mode.decode(),
            if pillow { "pillow" } else { "fast" },
        );
        let options = Options::from_yaml_str(&yaml).context("bench option text")?;
        let image = &options.download.image;
        let settings = image.encode_settings();
        let verify = image.verify_mode();
        let limits = Limits::default();
        let mut total = 0.0;
        let mut count = 0;
        for (page, n) in self.distinct_inputs(mode.decode()) {
            let bytes = self.served(&page)?;
            let target = image
                .suffix_format()
                .or_else(|| jmcomic_image::sniff(&bytes))
                .unwrap_or(Format::Webp);
            let job = PageJob {
                bytes: &bytes,
                strips: page.strips,
                target,
                settings: &settings,
                limits: &limits,
                verify,
            };
            let mut times = Vec::with_capacity(reps);
            for _ in 0..reps.max(1) {
                let t = Instant::now();
                let out = jmcomic_image::process_page(&job)
                    .with_context(|| format!("page step on {}", page.file_name))?;
                times.push(t.elapsed().as_secs_f64() * 1000.0);
                drop(out);
            }
            total += median(&mut times) * n as f64;
            count += n;
        }
        Ok(total / count.max(1) as f64)
    }

    /// Pillow's codec cost per page for `mode`, measured by [`crate::python::PILLOW_PROBE`]
    /// in the venv. Milliseconds per page.
    pub fn pillow_ms_per_page(
        &self,
        python: &Path,
        work: &Path,
        mode: Mode,
        reps: usize,
    ) -> Result<f64> {
        let dir = work.join("probe");
        std::fs::create_dir_all(&dir)?;
        let mut jobs = Vec::new();
        for (i, (page, n)) in self.distinct_inputs(mode.decode()).into_iter().enumerate() {
            let file = dir.join(format!("{i}.webp"));
            std::fs::write(&file, self.served(&page)?)?;
            jobs.push(serde_json::json!({
                "file": file, "strips": page.strips, "count": n,
            }));
        }
        let config = serde_json::json!({
            "jobs": jobs,
            "reps": reps.max(1),
            "decode": mode.decode(),
            "convert": mode.suffix().is_some_and(|s| s != ".webp"),
            "out_suffix": mode.suffix().unwrap_or(".webp"),
        });
        let config_path = dir.join("probe.json");
        std::fs::write(&config_path, config.to_string())?;
        let script = work.join("pillow_probe.py");
        std::fs::write(&script, crate::python::PILLOW_PROBE)?;
        let out = Command::new(python)
            .arg(&script)
            .arg(&config_path)
            .output()
            .context("pillow probe")?;
        let _ = std::fs::remove_dir_all(&dir);
        if !out.status.success() {
            bail!(
                "pillow probe failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).context("probe output")?;
        v["ms_per_page"].as_f64().context("ms_per_page")
    }
}

/// Median (sorts in place); 0 for no values.
pub fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        f64::midpoint(values[mid - 1], values[mid])
    }
}

/// Every regular file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            match entry.file_type() {
                Ok(t) if t.is_dir() => stack.push(path),
                Ok(t) if t.is_file() => out.push(path),
                _ => {}
            }
        }
    }
    out.sort();
    out
}

/// `(album id, page stem)` of an output file `BASE/{album}/{chapter index}/{stem}.{ext}`
/// (`dir_rule: Bd_Aid_Pindex`).
pub fn page_of(base: &Path, file: &Path) -> Option<(u64, String)> {
    let rel = file.strip_prefix(base).ok()?;
    let album = rel
        .components()
        .next()?
        .as_os_str()
        .to_str()?
        .parse()
        .ok()?;
    let stem = file.file_stem()?.to_str()?.to_owned();
    Some((album, stem))
}

/// Pages found and total size of one output directory.
#[derive(Debug, Clone, Copy, Default)]
pub struct Census {
    /// Workload pages with an output file.
    pub pages: usize,
    /// Workload pages.
    pub expected: usize,
    /// Bytes of every file under the directory.
    pub bytes: u64,
}

/// Which workload pages have a file under `base`, and the total size.
pub fn census(workload: &Workload, base: &Path) -> Census {
    let files = files_under(base);
    let bytes = files
        .iter()
        .filter_map(|f| f.metadata().ok())
        .map(|m| m.len())
        .sum();
    let found: std::collections::HashSet<(u64, String)> =
        files.iter().filter_map(|f| page_of(base, f)).collect();
    let pages = workload
        .pages
        .iter()
        .filter(|p| {
            let stem = p.file_name.split('.').next().unwrap_or_default().to_owned();
            found.contains(&(p.album, stem))
        })
        .count();
    Census {
        pages,
        expected: workload.pages.len(),
        bytes,
    }
}

/// Quality of one program's pages against the originals.
#[derive(Debug, Clone, Default)]
pub struct Quality {
    /// Pages checked (present and decodable).
    pub checked: usize,
    /// Pages missing or undecodable.
    pub bad: Vec<String>,
    /// Worst PSNR (dB); `f64::INFINITY` when every page is exact.
    pub psnr_min: f64,
    /// Mean PSNR over the pages that are not exact (dB).
    pub psnr_mean: f64,
    /// Pages identical to the original pixels.
    pub exact: usize,
    /// With `decode: false`: pages byte-identical to what the CDN served.
    pub as_served: usize,
}

fn psnr(a: &[u8], b: &[u8]) -> f64 {
    let sse: u64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| {
            let d = u64::from(x.abs_diff(*y));
            d * d
        })
        .sum();
    if sse == 0 {
        return f64::INFINITY;
    }
    let mse = sse as f64 / a.len().max(1) as f64;
    10.0 * (255.0 * 255.0 / mse).log10()
}

/// Decodes every workload page under `base` and compares it with the emulator's original
/// (with `decode: false`, with the served bytes instead), on all cores.
pub fn quality(workload: &Workload, base: &Path, decode: bool) -> Quality {
    let files = files_under(base);
    let by_page: HashMap<(u64, String), PathBuf> = files
        .into_iter()
        .filter_map(|f| page_of(base, &f).map(|k| (k, f)))
        .collect();
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::new());
    let threads = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                while let Some(page) = workload.pages.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let r = check_page(workload, &by_page, page, decode);
                    results
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push(r);
                }
            });
        }
    });
    let mut q = Quality {
        psnr_min: f64::INFINITY,
        ..Quality::default()
    };
    let mut sum = 0.0;
    let mut lossy = 0;
    for r in results
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
    {
        match r {
            Err(e) => q.bad.push(e),
            Ok(PageCheck::AsServed(same)) => {
                q.checked += 1;
                q.as_served += usize::from(same);
            }
            Ok(PageCheck::Psnr(p)) => {
                q.checked += 1;
                q.psnr_min = q.psnr_min.min(p);
                if p.is_finite() {
                    sum += p;
                    lossy += 1;
                } else {
                    q.exact += 1;
                }
            }
        }
    }
    q.psnr_mean = if lossy == 0 {
        f64::INFINITY
    } else {
        sum / f64::from(lossy)
    };
    q.bad.sort();
    q
}

enum PageCheck {
    Psnr(f64),
    AsServed(bool),
}

fn check_page(
    workload: &Workload,
    files: &HashMap<(u64, String), PathBuf>,
    page: &Page,
    decode: bool,
) -> Result<PageCheck, String> {
    let stem = page.file_name.split('.').next().unwrap_or_default();
    let name = format!("{}/{}", page.album, page.file_name);
    let file = files
        .get(&(page.album, stem.to_owned()))
        .ok_or_else(|| format!("{name}: missing"))?;
    let bytes = std::fs::read(file).map_err(|e| format!("{name}: {e}"))?;
    if !decode {
        let served = workload.served(page).map_err(|e| format!("{name}: {e}"))?;
        return Ok(PageCheck::AsServed(served == bytes));
    }
    let img = jmcomic_image::decode(&bytes, &Limits::default())
        .map_err(|e| format!("{name}: undecodable: {e}"))?;
    let original = workload
        .original(page)
        .map_err(|e| format!("{name}: {e}"))?;
    if (img.width, img.height) != (original.width, original.height) {
        return Err(format!(
            "{name}: {}x{} instead of {}x{}",
            img.width, img.height, original.width, original.height
        ));
    }
    Ok(PageCheck::Psnr(psnr(&img.data, &original.rgb)))
}

/// Compares two output trees file by file (same relative paths): `(identical, compared,
/// identical among scrambled pages, scrambled pages compared)`.
pub fn byte_identical(workload: &Workload, a: &Path, b: &Path) -> (usize, usize, usize, usize) {
    let strips: HashMap<(u64, String), u32> = workload
        .pages
        .iter()
        .map(|p| {
            let stem = p.file_name.split('.').next().unwrap_or_default().to_owned();
            ((p.album, stem), p.strips)
        })
        .collect();
    let (mut same, mut total, mut same_scrambled, mut scrambled) = (0, 0, 0, 0);
    for file in files_under(a) {
        let Ok(rel) = file.strip_prefix(a) else {
            continue;
        };
        let Some(key) = page_of(a, &file) else {
            continue;
        };
        let (Ok(x), Ok(y)) = (std::fs::read(&file), std::fs::read(b.join(rel))) else {
            total += 1;
            continue;
        };
        total += 1;
        let is_scrambled = strips.get(&key).is_some_and(|&n| n > 1);
        scrambled += usize::from(is_scrambled);
        if x == y {
            same += 1;
            same_scrambled += usize::from(is_scrambled);
        }
    }
    (same, total, same_scrambled, scrambled)
}
