//! Codec micro-benchmark (no criterion): `cargo bench -p jmcomic-image`.
//!
//! Builds a deterministic synthetic 1100×1600 page (the size perf.md §2.1 measured), scrambles
//! it into 10 strips and encodes it once as lossy WebP q80 (what the CDN serves), then reports
//! the median of `BENCH_ITERS` runs (default 15) per operation: wall-clock time and, on 64-bit
//! Linux, the CPU time of the measuring thread (perf.md measured CPU time because the machine
//! was shared), plus output sizes.

#[path = "../tests/it/synth.rs"]
#[allow(dead_code)]
mod synth;

use std::hint::black_box;
use std::time::{Duration, Instant};

use jmcomic_image::{
    EncodeSettings, Format, Limits, PageJob, PngCompression, RgbImage, Verify, decode, descramble,
    descramble_into, encode, process_page,
};

const WIDTH: u32 = 1100;
const HEIGHT: u32 = 1600;
const STRIPS: u32 = 10;

/// CPU time of the current thread (`CLOCK_THREAD_CPUTIME_ID`, as perf.md measured), declared
/// by hand to avoid a libc dependency for one call. Linux on 64-bit targets only.
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
fn thread_cpu() -> Option<Duration> {
    #[repr(C)]
    struct Timespec {
        tv_sec: i64,
        tv_nsec: i64,
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    unsafe extern "C" {
        fn clock_gettime(clock: i32, tp: *mut Timespec) -> i32;
    }
    let mut ts = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec (time_t and long are 64-bit here).
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &raw mut ts) };
    let secs = u64::try_from(ts.tv_sec).ok()?;
    let nanos = u32::try_from(ts.tv_nsec).ok()?;
    (rc == 0).then(|| Duration::new(secs, nanos))
}

#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
fn thread_cpu() -> Option<Duration> {
    None
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

struct Row {
    name: String,
    wall: Duration,
    cpu: Option<Duration>,
    size: Option<usize>,
}

/// Runs `op` once to warm up, then `iters` times; returns medians and the last output size.
fn measure(name: &str, iters: usize, mut op: impl FnMut() -> Option<usize>) -> Row {
    let mut size = op();
    let (mut walls, mut cpus) = (Vec::with_capacity(iters), Vec::with_capacity(iters));
    for _ in 0..iters {
        let cpu0 = thread_cpu();
        let t0 = Instant::now();
        size = black_box(op());
        walls.push(t0.elapsed());
        if let (Some(a), Some(b)) = (cpu0, thread_cpu()) {
            cpus.push(b.saturating_sub(a));
        }
    }
    let cpu = (cpus.len() == iters).then(|| median(cpus));
    let row = Row {
        name: name.to_owned(),
        wall: median(walls),
        cpu,
        size,
    };
    print_row(&row);
    row
}

fn print_row(r: &Row) {
    let cpu = r
        .cpu
        .map_or_else(|| "-".to_owned(), |c| format!("{:.3}", ms(c)));
    let size = r.size.map_or_else(
        || "-".to_owned(),
        |s| format!("{:.1} KB", s as f64 / 1000.0),
    );
    println!(
        "| {:<44} | {:>9.3} | {:>9} | {:>11} |",
        r.name,
        ms(r.wall),
        cpu,
        size
    );
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported (and not needed).
    let iters: usize = std::env::var("BENCH_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(15);

    let page = synth::page(WIDTH, HEIGHT);
    let scrambled = synth::scramble(&page, STRIPS);
    let pillow = EncodeSettings::pillow();
    let fast = EncodeSettings::default();
    let input = encode(&scrambled, Format::Webp, &pillow).expect("encode input");
    let limits = Limits::default();
    let decoded = decode(&input, &limits).expect("decode input");
    let descrambled = descramble(&decoded, STRIPS);
    assert_eq!(decoded.data.len(), page.data.len());
    println!(
        "input: {WIDTH}x{HEIGHT} synthetic page, {STRIPS} strips, lossy WebP q80 m4, {} bytes \
         ({:.1} dB vs the clean page after descrambling); median of {iters} runs",
        input.len(),
        synth::psnr(&descrambled, &page)
    );
    println!();
    println!(
        "| {:<44} | {:>9} | {:>9} | {:>11} |",
        "operation", "wall ms", "CPU ms", "output"
    );
    println!("|{:-<46}|{:->11}|{:->11}|{:->13}|", "", "", "", "");

    measure("decode WebP (libwebp)", iters, || {
        Some(
            decode(black_box(&input), &limits)
                .expect("decode")
                .data
                .len(),
        )
    });
    let mut dst = vec![0u8; decoded.data.len()];
    measure("descramble_into (N=10, preallocated)", iters, || {
        descramble_into(&decoded.data, &mut dst, WIDTH, HEIGHT, STRIPS).expect("sizes");
        None
    });
    measure("descramble (N=10, new buffer)", iters, || {
        Some(descramble(black_box(&decoded), STRIPS).data.len())
    });

    let enc = |name: &str, format: Format, settings: EncodeSettings, img: &RgbImage| {
        measure(name, iters, || {
            Some(
                encode(black_box(img), format, &settings)
                    .expect("encode")
                    .len(),
            )
        })
    };
    let with_jpeg = |q: u8| EncodeSettings {
        jpeg_quality: q,
        ..fast
    };
    let with_png = |png: PngCompression| EncodeSettings { png, ..fast };
    enc(
        "encode WebP q80 m4 (pillow)",
        Format::Webp,
        pillow,
        &descrambled,
    );
    enc(
        "encode WebP q80 m2 (default)",
        Format::Webp,
        fast,
        &descrambled,
    );
    enc(
        "encode JPEG q75 4:2:0",
        Format::Jpeg,
        with_jpeg(75),
        &descrambled,
    );
    enc(
        "encode JPEG q95 4:2:0",
        Format::Jpeg,
        with_jpeg(95),
        &descrambled,
    );
    enc(
        "encode PNG Fast",
        Format::Png,
        with_png(PngCompression::Fast),
        &descrambled,
    );
    enc(
        "encode PNG Balanced (~zlib 6)",
        Format::Png,
        with_png(PngCompression::Balanced),
        &descrambled,
    );

    let pipeline = |name: &str, target: Format, settings: EncodeSettings, strips: u32| {
        measure(name, iters, || {
            let job = PageJob {
                bytes: &input,
                strips,
                target,
                settings: &settings,
                limits: &limits,
                verify: Verify::Structure,
            };
            match process_page(black_box(&job)).expect("process") {
                jmcomic_image::PageOutput::Encoded { bytes, .. } => Some(bytes.len()),
                _ => Some(input.len()),
            }
        })
    };
    pipeline(
        "process_page raw passthrough (N=0, .webp)",
        Format::Webp,
        fast,
        0,
    );
    pipeline(
        "process_page -> .webp pillow m4",
        Format::Webp,
        pillow,
        STRIPS,
    );
    pipeline("process_page -> .jpg q75", Format::Jpeg, fast, STRIPS);
    pipeline("process_page -> .png Fast", Format::Png, fast, STRIPS);
}
