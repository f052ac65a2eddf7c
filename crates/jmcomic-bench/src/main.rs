//! `jmcomic-bench`: the `jmcomic` CLI against the Python package jmcomic 2.7.10, side by
//! side on the site emulator (see BENCHMARKS.md at the repository root).
//!
//! `jmcomic-bench compare` builds the release binaries, sets up a venv with the Python
//! package, starts the emulator (HTTPS: the Python client speaks nothing else) and downloads
//! the same albums with both programs, alternating, in several output modes and at two
//! latencies; it prints pages per second, peak RSS, output size, the codec limit of the
//! machine, time to first page, and checks every page against the emulator's originals.
//!
//! `jmcomic-bench exports` times and measures the exports of both programs (PDF, ZIP, long
//! image; CBZ for the Rust CLI) on pages already on disk, checks the outputs with independent
//! readers, and prints the peak RSS of each export as the album grows (see `exports.rs`).

mod exports;
mod proc;
mod python;
mod workload;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};

use crate::proc::{EmulatorChild, MEASURE_ARG, Measured, run_measured, time_to_line};
use crate::workload::{Shape, Workload, census, median, quality};

/// Side-by-side benchmark of the `jmcomic` CLI and the Python package jmcomic 2.7.10.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Run the comparison and print the tables (several minutes).
    Compare(CompareArgs),
    /// Time, measure and check the exports (PDF, ZIP, long image, CBZ) of both programs on
    /// pages already on disk, and their peak RSS as the album grows.
    Exports(exports::ExportsArgs),
}

/// An output mode of the comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// Default suffix (pages stay `.webp`), decoding on.
    Webp,
    /// `download.image.suffix: .jpg`.
    Jpg,
    /// `download.image.suffix: .png`.
    Png,
    /// `download.image.decode: false` (pages written as served).
    Raw,
}

impl Mode {
    /// `download.image.suffix`.
    pub fn suffix(self) -> Option<&'static str> {
        match self {
            Mode::Webp | Mode::Raw => None,
            Mode::Jpg => Some(".jpg"),
            Mode::Png => Some(".png"),
        }
    }

    /// `download.image.decode`.
    pub fn decode(self) -> bool {
        self != Mode::Raw
    }

    fn title(self) -> &'static str {
        match self {
            Mode::Webp => ".webp (default suffix, decode: true)",
            Mode::Jpg => ".jpg (suffix: .jpg)",
            Mode::Png => ".png (suffix: .png)",
            Mode::Raw => "decode: false (pages as served)",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Mode::Webp => "webp",
            Mode::Jpg => "jpg",
            Mode::Png => "png",
            Mode::Raw => "raw",
        }
    }
}

#[derive(Debug, clap::Args)]
#[allow(clippy::struct_field_names)]
struct CompareArgs {
    /// Repetitions of every (mode, latency, program) run; medians are reported.
    #[arg(long, default_value_t = 3)]
    reps: usize,
    /// Short smoke run: 1 repetition, 40 pages, a 200-page memory album.
    #[arg(long)]
    quick: bool,
    /// Albums of the throughput workload (a quarter of them unscrambled).
    #[arg(long)]
    albums: Option<usize>,
    /// Pages per album of the throughput workload.
    #[arg(long)]
    pages: Option<usize>,
    /// Page width.
    #[arg(long, default_value_t = 1100)]
    width: u32,
    /// Page height.
    #[arg(long, default_value_t = 1600)]
    height: u32,
    /// Pages of the one-album memory run (0: skip it).
    #[arg(long)]
    memory_pages: Option<usize>,
    /// Latencies added by the emulator to every request, in ms.
    #[arg(long, value_delimiter = ',', default_value = "0,50")]
    latency_ms: Vec<u64>,
    /// Output modes to compare.
    #[arg(long, value_delimiter = ',', default_value = "webp,jpg,png,raw")]
    modes: Vec<Mode>,
    #[command(flatten)]
    setup: Setup,
}

/// Where the bench works and what it runs: shared by every subcommand.
#[derive(Debug, clap::Args)]
struct Setup {
    /// Working directory (venv, scripts, outputs, logs). Default: TARGET/bench.
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// The venv for the Python package. Default: WORK_DIR/venv.
    #[arg(long)]
    venv: Option<PathBuf>,
    /// Python used to create the venv.
    #[arg(long, default_value = "python3")]
    python: String,
    /// Do not run `cargo build --release` first (use the binaries next to this one).
    #[arg(long)]
    no_build: bool,
    /// Keep every output directory (they are deleted after their checks otherwise).
    #[arg(long)]
    keep_output: bool,
}

/// Who downloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Program {
    Python,
    Rust,
    /// The Rust CLI with `download.image.encoder: pillow` (`.webp` mode only).
    RustPillow,
}

impl Program {
    fn label(self) -> &'static str {
        match self {
            Program::Python => "python 2.7.10",
            Program::Rust => "rust",
            Program::RustPillow => "rust (encoder: pillow)",
        }
    }

    fn slug(self) -> &'static str {
        match self {
            Program::Python => "py",
            Program::Rust => "rs",
            Program::RustPillow => "rs-pillow",
        }
    }
}

/// One measured download.
#[derive(Debug, Clone, Copy)]
struct Run {
    m: Measured,
    pages: usize,
    expected: usize,
    bytes: u64,
    emulator_cpu: Duration,
}

impl Run {
    fn pages_per_s(&self) -> f64 {
        self.pages as f64 / self.m.wall.as_secs_f64().max(1e-9)
    }
}

/// Medians over the repetitions of one (mode, latency, program).
#[derive(Debug, Clone, Copy, Default)]
struct Summary {
    pages_per_s: f64,
    rss_mb: f64,
    out_mb: f64,
    cpu_ms_per_page: f64,
    cpu_cores: f64,
    emulator_cpu_share: f64,
    others_cores: f64,
    complete: bool,
    runs: usize,
}

fn summarize(runs: &[Run]) -> Summary {
    let med = |f: &dyn Fn(&Run) -> f64| median(&mut runs.iter().map(f).collect::<Vec<_>>());
    Summary {
        pages_per_s: med(&Run::pages_per_s),
        rss_mb: med(&|r| r.m.max_rss as f64 / 1_048_576.0),
        out_mb: med(&|r| r.bytes as f64 / 1_048_576.0),
        cpu_ms_per_page: med(&|r| r.m.cpu.as_secs_f64() * 1000.0 / r.expected.max(1) as f64),
        cpu_cores: med(&|r| r.m.cpu.as_secs_f64() / r.m.wall.as_secs_f64()),
        emulator_cpu_share: med(&|r| r.emulator_cpu.as_secs_f64() / r.m.wall.as_secs_f64()),
        // Everything but the program and the emulator, in cores: other users of the machine.
        others_cores: med(&|r| {
            r.m.others_cpu.saturating_sub(r.emulator_cpu).as_secs_f64() / r.m.wall.as_secs_f64()
        }),
        complete: runs.iter().all(|r| r.pages == r.expected && r.m.exit == 0),
        runs: runs.len(),
    }
}

/// Paths and settings shared by every run.
struct Env {
    work: PathBuf,
    rust_cli: PathBuf,
    emulator: PathBuf,
    python: PathBuf,
    driver: PathBuf,
    keep_output: bool,
    cores: usize,
    /// Largest resident set of the measuring helper at a spawn (counted into `ru_maxrss`).
    spawner_rss: std::cell::Cell<u64>,
}

fn main() -> std::process::ExitCode {
    let raw: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if raw.get(1).is_some_and(|a| a == MEASURE_ARG) {
        return match proc::measure_main(&raw[2..]) {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("jmcomic-bench {MEASURE_ARG}: {e:#}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Cmd::Compare(args) => compare(args),
        Cmd::Exports(args) => exports::run(args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("jmcomic-bench: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The directory of this executable (`target/release`), where the other binaries are built.
fn bin_dir() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("current executable")?;
    exe.parent()
        .map(Path::to_path_buf)
        .context("executable has no directory")
}

fn build_release() -> Result<()> {
    eprintln!("bench: cargo build --release -p jmcomic-cli -p jmcomic-emulator");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "-p",
            "jmcomic-cli",
            "-p",
            "jmcomic-emulator",
        ])
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("cargo build --release failed");
    }
    Ok(())
}

/// Builds the binaries (unless told not to), sets the venv up and writes the drivers.
fn prepare(setup: &Setup) -> Result<Env> {
    let bin = bin_dir()?;
    if !setup.no_build {
        build_release()?;
    }
    let target = bin.parent().map_or_else(|| bin.clone(), Path::to_path_buf);
    let work = setup
        .work_dir
        .clone()
        .unwrap_or_else(|| target.join("bench"));
    std::fs::create_dir_all(&work)?;
    let work = work.canonicalize()?;
    let venv = setup.venv.clone().unwrap_or_else(|| work.join("venv"));
    let python = python::ensure_venv(&setup.python, &venv)?;
    let driver = work.join("driver.py");
    std::fs::write(&driver, python::DRIVER)?;
    let env = Env {
        work: work.clone(),
        rust_cli: bin.join("jmcomic"),
        emulator: bin.join("jmcomic-emulator"),
        python,
        driver,
        keep_output: setup.keep_output,
        cores: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        spawner_rss: std::cell::Cell::new(0),
    };
    for b in [&env.rust_cli, &env.emulator] {
        if !b.exists() {
            bail!("{} is missing (run without --no-build)", b.display());
        }
    }
    let _ = std::fs::remove_file(work.join("runs.log"));
    Ok(env)
}

fn compare(mut args: CompareArgs) -> Result<()> {
    if args.quick {
        args.reps = 1;
    }
    let shape = Shape {
        albums: args.albums.unwrap_or(if args.quick { 4 } else { 8 }),
        pages: args.pages.unwrap_or(if args.quick { 10 } else { 25 }),
        width: args.width,
        height: args.height,
    };
    let memory_pages = args
        .memory_pages
        .unwrap_or(if args.quick { 200 } else { 1_000 });
    let env = prepare(&args.setup)?;
    let work = env.work.clone();
    let python = env.python.clone();

    let workload = Workload::new(shape, None)?;
    let mut report = String::new();
    let _ = writeln!(
        report,
        "jmcomic-bench compare: {} albums x {} pages = {} pages of {}x{} lossy WebP ({:.0}% scrambled), {} rep(s), {} cores",
        shape.albums,
        shape.pages,
        workload.pages.len(),
        shape.width,
        shape.height,
        workload.scrambled_share() * 100.0,
        args.reps,
        env.cores,
    );
    let _ = writeln!(report, "python side: {}", python::versions(&python));
    let _ = writeln!(
        report,
        "rust side: {} ({})",
        env.rust_cli.display(),
        cli_version(&env.rust_cli)
    );
    print!("{report}");

    check_option_file(&env)?;

    // Codec limits first (in-process, single-threaded, no network): what the machine could
    // do at best, so the download numbers can be read as a fraction of it.
    eprintln!("bench: measuring codec limits");
    let mut limits = Vec::new();
    for &mode in &args.modes {
        let reps = if args.quick { 1 } else { 3 };
        let rust = workload.rust_ms_per_page(mode, false, reps)?;
        let rust_pillow = if mode == Mode::Webp {
            Some(workload.rust_ms_per_page(mode, true, reps)?)
        } else {
            None
        };
        let pillow = workload.pillow_ms_per_page(&python, &work, mode, reps)?;
        limits.push((mode, rust, rust_pillow, pillow));
    }

    let mut tables = String::new();
    let mut ttfp = Vec::new();
    let mut overview = Vec::new();
    for &latency in &args.latency_ms {
        let mut emu_args = shape.emulator_args();
        emu_args.extend(common_emulator_args(latency));
        eprintln!("bench: starting the emulator (latency {latency} ms, warming pages)");
        let emu = EmulatorChild::start(&env.emulator, &emu_args, Duration::from_secs(900))?;
        for &mode in &args.modes {
            let mut programs = vec![Program::Python, Program::Rust];
            if mode == Mode::Webp {
                programs.push(Program::RustPillow);
            }
            let mut runs: Vec<(Program, Vec<Run>)> =
                programs.iter().map(|&p| (p, Vec::new())).collect();
            let mut kept: Vec<(Program, PathBuf)> = Vec::new();
            for rep in 0..args.reps {
                for (program, list) in &mut runs {
                    let out = env.work.join(format!(
                        "out/{}-{}-{latency}ms-{rep}",
                        program.slug(),
                        mode.name()
                    ));
                    let run = download(&env, &emu, &workload, *program, mode, &out)?;
                    eprintln!(
                        "bench: {latency} ms {} {} rep {rep}: {:.1} pages/s, {}/{} pages, {:.0} MB RSS{}",
                        mode.name(),
                        program.label(),
                        run.pages_per_s(),
                        run.pages,
                        run.expected,
                        run.m.max_rss as f64 / 1_048_576.0,
                        if run.m.exit == 0 {
                            String::new()
                        } else {
                            format!(", exit {}", run.m.exit)
                        },
                    );
                    list.push(run);
                    if rep == 0 {
                        kept.push((*program, out));
                    } else if !env.keep_output {
                        let _ = std::fs::remove_dir_all(&out);
                    }
                }
                if mode == Mode::Webp && latency == 0 {
                    ttfp.push(time_to_first_page(&env, &emu, &workload, rep)?);
                }
            }
            let of = |p: Program| {
                runs.iter()
                    .find(|(q, _)| *q == p)
                    .map(|(_, r)| summarize(r))
            };
            overview.push((
                latency,
                mode,
                of(Program::Python),
                of(Program::Rust),
                of(Program::RustPillow),
            ));
            let limit = limits.iter().find(|l| l.0 == mode).copied();
            let section = mode_table(&env, &workload, mode, latency, &runs, limit, &kept);
            print!("{section}");
            tables.push_str(&section);
            if !env.keep_output {
                for (_, dir) in &kept {
                    let _ = std::fs::remove_dir_all(dir);
                }
            }
        }
        let (cpu, lifetime) = emu.stop()?;
        let line = match cpu {
            Some(c) => format!(
                "emulator (latency {latency} ms): {:.1} s CPU (user {:.1} + system {:.1}) over {:.0} s alive, page warming included\n",
                c.user_s + c.system_s,
                c.user_s,
                c.system_s,
                lifetime.as_secs_f64()
            ),
            None => format!("emulator (latency {latency} ms): no CPU-time line on exit\n"),
        };
        print!("{line}");
        tables.push_str(&line);
    }
    if !ttfp.is_empty() {
        let mut t: Vec<f64> = ttfp.iter().map(Duration::as_secs_f64).collect();
        let line = format!(
            "time to first page on disk, rust CLI, .webp, 0 ms latency: median {:.0} ms (runs: {})\n",
            median(&mut t) * 1000.0,
            ttfp.iter()
                .map(|d| format!("{:.0}", d.as_secs_f64() * 1000.0))
                .collect::<Vec<_>>()
                .join(", ")
        );
        print!("{line}");
        tables.push_str(&line);
    }

    let section = overview_table(&overview);
    print!("{section}");
    tables.push_str(&section);

    if memory_pages > 0 {
        let section = memory_run(&env, &args, memory_pages)?;
        print!("{section}");
        tables.push_str(&section);
    }
    let note = format!(
        "\npeak RSS is ru_maxrss from wait4; it includes up to {:.1} MB of the small helper that spawns each program (Linux counts the replaced image at exec)\n",
        env.spawner_rss.get() as f64 / 1_048_576.0
    );
    print!("{note}");
    tables.push_str(&note);
    let full = format!("{report}{tables}");
    std::fs::write(work.join("report.txt"), &full)?;
    eprintln!(
        "bench: report saved to {}",
        work.join("report.txt").display()
    );
    Ok(())
}

/// Flags every emulator child gets: HTTPS (the Python client builds `https://` URLs), the
/// template signed either way (the Python sync client signs it with the normal secret, spec
/// §6.2.2), pages encoded before the domains are printed, and the latency.
fn common_emulator_args(latency: u64) -> Vec<String> {
    [
        "--tls",
        "--warm",
        "--template-secret",
        "either",
        "--port",
        "0",
        "--latency-ms",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .chain(std::iter::once(latency.to_string()))
    .collect()
}

fn cli_version(cli: &Path) -> String {
    Command::new(cli)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map_or_else(|| "unknown version".to_owned(), |s| s.trim().to_owned())
}

/// The Rust CLI's option file for one run.
fn rust_option_yaml(out: &Path, emu: &EmulatorChild, mode: Mode, pillow: bool) -> String {
    let quote = |s: &str| serde_json::Value::from(s).to_string();
    let mut image = format!(
        "    suffix: {}\n    decode: {}\n",
        mode.suffix().map_or_else(|| "null".to_owned(), quote),
        mode.decode()
    );
    if pillow {
        image.push_str("    encoder: pillow\n");
    }
    format!(
        "log: false\n\
         client:\n  impl: api\n  domain: [{api}]\n  image_domain: [{cdn}]\n  verify_tls: false\n  retry_times: 2\n\
         dir_rule:\n  base_dir: {base}\n  rule: Bd_Aid_Pindex\n\
         download:\n  image:\n{image}",
        api = quote(&emu.api),
        cdn = quote(&emu.cdn),
        base = quote(&out.to_string_lossy()),
    )
}

/// Fails early if the CLI rejects the bench's option file.
fn check_option_file(env: &Env) -> Result<()> {
    let file = env.work.join("option-check.yml");
    let yaml = format!(
        "client:\n  domain: [https://127.0.0.1:1]\n  image_domain: [https://127.0.0.1:2]\n  verify_tls: false\n\
         dir_rule:\n  base_dir: {}\n  rule: Bd_Aid_Pindex\n\
         download:\n  image:\n    suffix: .jpg\n    decode: true\n    encoder: pillow\n",
        serde_json::Value::from(env.work.join("out").to_string_lossy()),
    );
    std::fs::write(&file, yaml)?;
    let out = Command::new(&env.rust_cli)
        .args(["config", "show", "--option"])
        .arg(&file)
        .output()
        .context("jmcomic config show")?;
    if !out.status.success() {
        bail!(
            "jmcomic config show rejects the bench option file: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// One download into a fresh `out`, measured.
fn download(
    env: &Env,
    emu: &EmulatorChild,
    workload: &Workload,
    program: Program,
    mode: Mode,
    out: &Path,
) -> Result<Run> {
    if out.exists() {
        std::fs::remove_dir_all(out)?;
    }
    std::fs::create_dir_all(out)?;
    let ids: Vec<String> = workload.albums.iter().map(u64::to_string).collect();
    let log = env.work.join("runs.log");
    let cmd_file = out.with_extension("cfg");
    let (exe, args): (&Path, Vec<std::ffi::OsString>) = match program {
        Program::Python => {
            let cfg = serde_json::json!({
                "option_yaml": python::option_yaml(out, &emu.api, mode.suffix(), mode.decode()),
                "ids": ids,
                "image_domain": emu.cdn.trim_start_matches("https://"),
            });
            std::fs::write(&cmd_file, cfg.to_string())?;
            (
                &env.python,
                vec![env.driver.clone().into(), cmd_file.clone().into()],
            )
        }
        Program::Rust | Program::RustPillow => {
            let yaml = rust_option_yaml(out, emu, mode, program == Program::RustPillow);
            std::fs::write(&cmd_file, yaml)?;
            let mut args: Vec<std::ffi::OsString> = vec![
                "--option".into(),
                cmd_file.clone().into(),
                "--no-progress".into(),
                "-q".into(),
            ];
            args.extend(ids.iter().map(Into::into));
            (&env.rust_cli, args)
        }
    };
    let cpu_before = emu.cpu();
    let m = run_measured(exe, &args, &log)?;
    env.spawner_rss
        .set(env.spawner_rss.get().max(m.spawner_rss));
    let emulator_cpu = emu.cpu().saturating_sub(cpu_before);
    let _ = std::fs::remove_file(&cmd_file);
    let c = census(workload, out);
    Ok(Run {
        m,
        pages: c.pages,
        expected: c.expected,
        bytes: c.bytes,
        emulator_cpu,
    })
}

/// `{"event":"page_done",...,"status":"written",...}`: a page renamed into place.
fn first_written(line: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(line)
        .is_ok_and(|v| v["event"] == "page_done" && v["status"] == "written")
}

/// A Rust run with `--json`, timed to its first `page_done` event with status `written`.
fn time_to_first_page(
    env: &Env,
    emu: &EmulatorChild,
    workload: &Workload,
    rep: usize,
) -> Result<Duration> {
    let out = env.work.join(format!("out/ttfp-{rep}"));
    if out.exists() {
        std::fs::remove_dir_all(&out)?;
    }
    std::fs::create_dir_all(&out)?;
    let option = out.with_extension("yml");
    std::fs::write(&option, rust_option_yaml(&out, emu, Mode::Webp, false))?;
    let mut cmd = Command::new(&env.rust_cli);
    cmd.arg("--option")
        .arg(&option)
        .args(["--json", "--no-progress"])
        .args(workload.albums.iter().map(u64::to_string));
    let first = time_to_line(&mut cmd, &env.work.join("runs.log"), first_written)?;
    let _ = std::fs::remove_file(&option);
    let _ = std::fs::remove_dir_all(&out);
    first.context("the rust CLI printed no page_done event with status written")
}

fn fmt_psnr(db: f64) -> String {
    if db.is_finite() {
        format!("{db:.1}")
    } else {
        "exact".to_owned()
    }
}

/// The table of one mode at one latency, with the codec limit and the output checks.
fn mode_table(
    env: &Env,
    workload: &Workload,
    mode: Mode,
    latency: u64,
    runs: &[(Program, Vec<Run>)],
    limit: Option<(Mode, f64, Option<f64>, f64)>,
    kept: &[(Program, PathBuf)],
) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "\n== {} at {latency} ms latency ==", mode.title());
    let _ = writeln!(
        s,
        "{:<24} {:>8} {:>7} {:>9} {:>9} {:>10} {:>11} {:>9} {:>6} {:>7} {:>7}",
        "program",
        "pages/s",
        "ratio",
        "peak RSS",
        "output",
        "CPU/page",
        "codec limit",
        "of limit",
        "cores",
        "emu CPU",
        "others"
    );
    let python = runs
        .iter()
        .find(|(p, _)| *p == Program::Python)
        .map(|(_, r)| summarize(r));
    for (program, list) in runs {
        let sum = summarize(list);
        let base = python.map_or(0.0, |p| p.pages_per_s);
        let ms = limit.map(|(_, rust, rust_pillow, pillow)| match program {
            Program::Python => pillow,
            Program::Rust => rust,
            Program::RustPillow => rust_pillow.unwrap_or(rust),
        });
        // Cores x pages a core can process per second: no program can sustain more. Under
        // half a millisecond there is no codec work to speak of (pages written as served).
        let limit_pps = ms
            .filter(|&ms| ms > 0.5)
            .map(|ms| env.cores as f64 * 1000.0 / ms);
        let _ = writeln!(
            s,
            "{:<24} {:>8.1} {:>6.2}x {:>6.0} MB {:>6.1} MB {:>7.1} ms {:>11} {:>9} {:>6.2} {:>6.1}% {:>7}{}",
            program.label(),
            sum.pages_per_s,
            if base > 0.0 {
                sum.pages_per_s / base
            } else {
                0.0
            },
            sum.rss_mb,
            sum.out_mb,
            sum.cpu_ms_per_page,
            limit_pps.map_or_else(|| "none".to_owned(), |l| format!("{l:.1} p/s")),
            limit_pps.map_or_else(
                || "-".to_owned(),
                |l| format!("{:.0}%", sum.pages_per_s / l * 100.0)
            ),
            sum.cpu_cores,
            sum.emulator_cpu_share * 100.0,
            format!("{:.2}", sum.others_cores),
            if sum.complete {
                String::new()
            } else {
                format!("  INCOMPLETE ({} runs)", sum.runs)
            },
        );
    }
    if let Some((_, rust, rust_pillow, pillow)) = limit {
        let _ = writeln!(
            s,
            "codec cost per page, single-threaded: rust {rust:.1} ms{}, Pillow (as 2.7.10 calls it) {pillow:.1} ms; limit = {} cores x 1000 / ms",
            rust_pillow.map_or_else(String::new, |p| format!(", rust pillow preset {p:.1} ms")),
            env.cores,
        );
    }
    for (program, dir) in kept {
        let q = quality(workload, dir, mode.decode());
        let total = workload.pages.len();
        let status = if q.bad.is_empty() {
            format!("all {total} pages present")
        } else {
            format!(
                "{} of {total} pages bad: {}",
                q.bad.len(),
                q.bad.iter().take(3).cloned().collect::<Vec<_>>().join("; ")
            )
        };
        let detail = if mode.decode() {
            format!(
                "PSNR vs originals min {} dB, mean {} dB ({} exact)",
                fmt_psnr(q.psnr_min),
                fmt_psnr(q.psnr_mean),
                q.exact
            )
        } else {
            format!(
                "{} of {} byte-identical to the served pages",
                q.as_served, q.checked
            )
        };
        let _ = writeln!(s, "check {:<22} {status}; {detail}", program.label());
    }
    if mode == Mode::Webp {
        let py = kept.iter().find(|(p, _)| *p == Program::Python);
        let rp = kept.iter().find(|(p, _)| *p == Program::RustPillow);
        if let (Some((_, py)), Some((_, rp))) = (py, rp) {
            let (same, total, same_scrambled, scrambled) =
                workload::byte_identical(workload, rp, py);
            let _ = writeln!(
                s,
                "byte-identical, rust (encoder: pillow) vs python: {same} of {total} files ({same_scrambled} of {scrambled} descrambled and re-encoded pages, {} of {} unscrambled pages written as served)",
                same - same_scrambled,
                total - scrambled,
            );
        }
    }
    s
}

/// One line per (latency, mode): the medians of every program side by side.
type OverviewRow = (u64, Mode, Option<Summary>, Option<Summary>, Option<Summary>);

fn overview_table(rows: &[OverviewRow]) -> String {
    let mut s = format!(
        "\n== overview: pages/s and peak RSS (medians) ==\n{:<9} {:<8} {:>10} {:>10} {:>7} {:>12} {:>11} {:>11}\n",
        "latency", "mode", "python", "rust", "ratio", "rust pillow", "python RSS", "rust RSS"
    );
    for (latency, mode, py, rs, rp) in rows {
        let pps = |x: &Option<Summary>| {
            x.map_or_else(|| "-".to_owned(), |x| format!("{:.1}", x.pages_per_s))
        };
        let rss = |x: &Option<Summary>| {
            x.map_or_else(|| "-".to_owned(), |x| format!("{:.0} MB", x.rss_mb))
        };
        let ratio = match (py, rs) {
            (Some(p), Some(r)) if p.pages_per_s > 0.0 => {
                format!("{:.2}x", r.pages_per_s / p.pages_per_s)
            }
            _ => "-".to_owned(),
        };
        let _ = writeln!(
            s,
            "{:<9} {:<8} {:>10} {:>10} {:>7} {:>12} {:>11} {:>11}",
            format!("{latency} ms"),
            mode.name(),
            pps(py),
            pps(rs),
            ratio,
            pps(rp),
            rss(py),
            rss(rs),
        );
    }
    s
}

/// Peak RSS of both programs on one long album (`.jpg` output).
fn memory_run(env: &Env, args: &CompareArgs, pages: usize) -> Result<String> {
    // Two albums: the first of a bench catalog is unscrambled, the second (221000, 10 strips)
    // is the one downloaded, so every page is decoded, descrambled and encoded.
    let shape = Shape {
        albums: 2,
        pages,
        width: args.width,
        height: args.height,
    };
    let probe = Workload::new(shape, None)?;
    let album = *probe.albums.get(1).context("memory album")?;
    drop(probe);
    let workload = Workload::new(shape, Some(&[album]))?;
    let mut emu_args = shape.emulator_args();
    emu_args.extend(common_emulator_args(0));
    eprintln!("bench: memory run, one album of {pages} pages (.jpg)");
    let emu = EmulatorChild::start(&env.emulator, &emu_args, Duration::from_secs(900))?;
    let mut rows = Vec::new();
    for program in [Program::Python, Program::Rust] {
        let out = env.work.join(format!("out/memory-{}", program.slug()));
        let run = download(env, &emu, &workload, program, Mode::Jpg, &out)?;
        if !env.keep_output {
            let _ = std::fs::remove_dir_all(&out);
        }
        rows.push((program, run));
    }
    let _ = emu.stop()?;
    let mut s = format!(
        "\n== memory: one album of {pages} pages, .jpg, 0 ms latency ==\n{:<24} {:>9} {:>8} {:>9} {:>9}\n",
        "program", "peak RSS", "pages/s", "pages", "wall"
    );
    for (program, run) in &rows {
        let _ = writeln!(
            s,
            "{:<24} {:>6.0} MB {:>8.1} {:>4}/{:<4} {:>7.1} s",
            program.label(),
            run.m.max_rss as f64 / 1_048_576.0,
            run.pages_per_s(),
            run.pages,
            run.expected,
            run.m.wall.as_secs_f64()
        );
    }
    if let [(_, py), (_, rs)] = rows.as_slice() {
        let _ = writeln!(
            s,
            "peak RSS ratio python / rust: {:.1}x",
            py.m.max_rss as f64 / rs.m.max_rss.max(1) as f64
        );
    }
    Ok(s)
}
