//! `jmcomic-bench exports`: the exports of both programs (PDF, ZIP, long PNG, and the Rust
//! CLI's CBZ) on pages already on disk, timed, measured and checked.
//!
//! Method: the Rust CLI downloads the workload once without exports; the page tree is copied
//! for the Python package, so both programs export the very same files. Every measured run is
//! then a second run over pages already on disk (`download.cache: true`: both programs fetch
//! the album and chapter metadata and skip every page), with one export kind, into an output
//! folder emptied before the run. A run with no export at all is the baseline: the export's
//! own cost is a run's wall time minus the baseline's.
//!
//! Three parts: the comparison on the `compare` workload, a memory-scaling run (one album of
//! 100 and of 1,000 pages), and a check of the long image's size rule on the standard catalog,
//! whose pages have mixed sizes.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result, bail};

use crate::proc::{EmulatorChild, Measured, mem_available, run_measured, run_measured_capped};
use crate::workload::{Shape, Workload, files_under, median};
use crate::{Env, Mode, Program, Setup, cli_version, common_emulator_args, rust_option_yaml};

/// Arguments of `jmcomic-bench exports`.
#[derive(Debug, clap::Args)]
pub(crate) struct ExportsArgs {
    /// Repetitions of every (export, program) run on the comparison workload; medians are
    /// reported.
    #[arg(long, default_value_t = 3)]
    reps: usize,
    /// Short smoke run: 1 repetition, 4 albums of 10 pages, scaling at 20 and 200 pages.
    #[arg(long)]
    quick: bool,
    /// Albums of the comparison workload (default 8).
    #[arg(long)]
    albums: Option<usize>,
    /// Pages per album of the comparison workload (default 25).
    #[arg(long)]
    pages: Option<usize>,
    /// Page width.
    #[arg(long, default_value_t = 1100)]
    width: u32,
    /// Page height.
    #[arg(long, default_value_t = 1600)]
    height: u32,
    /// Format of the pages on disk (`download.image.suffix`): webp, jpg or png.
    #[arg(long, default_value = "jpg")]
    format: Mode,
    /// Page counts of the one-album memory-scaling runs (default 100,1000; 0 skips them).
    #[arg(long, value_delimiter = ',')]
    scale_pages: Option<Vec<usize>>,
    /// Repetitions of the scaling runs.
    #[arg(long, default_value_t = 1)]
    scale_reps: usize,
    /// Leave the Python package out of the scaling runs.
    #[arg(long)]
    no_python_scale: bool,
    /// Address-space cap of every Python run, in MB. Default: the memory available when the
    /// run starts minus 3 GB, so that a run that needs more fails alone instead of pushing the
    /// machine's other users into the OOM killer.
    #[arg(long)]
    python_cap_mb: Option<u64>,
    /// Skip the long-image size-rule check on the standard catalog.
    #[arg(long)]
    no_rule_check: bool,
    #[command(flatten)]
    setup: Setup,
}

/// What one run exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Nothing: the cost of a run over pages on disk.
    Baseline,
    Pdf,
    Zip,
    LongImg,
    /// The Rust CLI only: 2.7.10 has no CBZ feature.
    Cbz,
    /// PDF, ZIP and long image in one run, as a user asking for all three would.
    All,
}

/// One kind of output file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Out {
    Pdf,
    Zip,
    Png,
    Cbz,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Baseline => "(none)",
            Kind::Pdf => "pdf",
            Kind::Zip => "zip",
            Kind::LongImg => "long-img",
            Kind::Cbz => "cbz",
            Kind::All => "pdf+zip+long-img",
        }
    }

    /// The Rust CLI's `--export` value.
    fn rust_export(self) -> Option<&'static str> {
        match self {
            Kind::Baseline => None,
            Kind::Pdf => Some("pdf"),
            Kind::Zip => Some("zip"),
            Kind::LongImg => Some("long-img"),
            Kind::Cbz => Some("cbz"),
            Kind::All => Some("pdf,zip,long-img"),
        }
    }

    /// The Python `Feature` attributes for `extra=`; `None` when 2.7.10 has no such export.
    fn python_features(self) -> Option<&'static [&'static str]> {
        match self {
            Kind::Baseline => Some(&[]),
            Kind::Pdf => Some(&["export_pdf"]),
            Kind::Zip => Some(&["export_zip"]),
            Kind::LongImg => Some(&["export_long_img"]),
            Kind::Cbz => None,
            Kind::All => Some(&["export_pdf", "export_zip", "export_long_img"]),
        }
    }

    fn outputs(self) -> &'static [Out] {
        match self {
            Kind::Baseline => &[],
            Kind::Pdf => &[Out::Pdf],
            Kind::Zip => &[Out::Zip],
            Kind::LongImg => &[Out::Png],
            Kind::Cbz => &[Out::Cbz],
            Kind::All => &[Out::Pdf, Out::Zip, Out::Png],
        }
    }
}

/// A PDF, read back by `qpdf`.
#[derive(Debug, Clone)]
struct PdfFile {
    pages: Result<usize, String>,
    bytes: u64,
}

/// A ZIP or CBZ, listed by 7-Zip: its file entries and their compression methods.
#[derive(Debug, Clone)]
struct ZipFile {
    name: String,
    entries: Result<Vec<String>, String>,
    methods: BTreeSet<String>,
    bytes: u64,
}

/// A PNG: the size in its header, and whether it ends with `IEND`.
#[derive(Debug, Clone)]
struct PngFile {
    size: Result<(u32, u32), String>,
    bytes: u64,
}

/// The outputs found in an output folder after a run (album folders aside).
#[derive(Debug, Clone, Default)]
struct Found {
    pdf: BTreeMap<u64, PdfFile>,
    zip: BTreeMap<u64, ZipFile>,
    png: BTreeMap<u64, PngFile>,
    cbz: Vec<ZipFile>,
    /// Anything else (a file the bench does not expect).
    stray: Vec<String>,
}

impl Found {
    fn bytes(&self) -> u64 {
        self.pdf.values().map(|f| f.bytes).sum::<u64>()
            + self.zip.values().map(|f| f.bytes).sum::<u64>()
            + self.png.values().map(|f| f.bytes).sum::<u64>()
            + self.cbz.iter().map(|f| f.bytes).sum::<u64>()
    }
}

/// One measured run.
#[derive(Debug, Clone)]
struct Sample {
    m: Measured,
    found: Found,
    /// What the program itself reported as failed (the Python driver's log of failures).
    failures: Vec<String>,
    /// The address-space cap the run had, in bytes.
    cap: Option<u64>,
}

/// Every run of one (kind, program).
#[derive(Debug, Clone)]
struct Row {
    kind: Kind,
    program: Program,
    samples: Vec<Sample>,
}

impl Row {
    /// The median of one figure over the samples.
    fn median_of(&self, figure: impl Fn(&Sample) -> f64) -> f64 {
        median(&mut self.samples.iter().map(figure).collect::<Vec<_>>())
    }

    fn wall(&self) -> f64 {
        self.median_of(|s| s.m.wall.as_secs_f64())
    }

    fn rss_mb(&self) -> f64 {
        self.median_of(|s| s.m.max_rss as f64 / 1_048_576.0)
    }

    fn cpu(&self) -> f64 {
        self.median_of(|s| s.m.cpu.as_secs_f64())
    }

    fn others_cores(&self) -> f64 {
        self.median_of(|s| s.m.others_cpu.as_secs_f64() / s.m.wall.as_secs_f64().max(1e-9))
    }

    fn failed(&self) -> bool {
        self.samples
            .iter()
            .any(|s| s.m.exit != 0 || !s.failures.is_empty())
    }

    /// The first failure, for the table.
    fn failure(&self) -> Option<String> {
        self.samples.iter().find_map(|s| {
            if let Some(f) = s.failures.first() {
                Some(f.clone())
            } else if s.m.exit != 0 {
                Some(format!("exit {}", s.m.exit))
            } else {
                None
            }
        })
    }
}

/// Findings that need a reader's attention, printed loudly at the end.
#[derive(Debug, Default)]
struct Alarms {
    /// Wrong or missing outputs, a program failing where it should not, the two programs
    /// disagreeing: the exit status is 1 when there is any.
    mismatches: Vec<String>,
    /// Measured outcomes worth stating (a Python run that ran out of its memory cap).
    notes: Vec<String>,
}

impl Alarms {
    fn mismatch(&mut self, s: impl Into<String>) {
        let s = s.into();
        eprintln!("bench: MISMATCH: {s}");
        self.mismatches.push(s);
    }
}

/// What a suite needs besides the programs.
struct Suite<'a> {
    env: &'a Env,
    emu: &'a EmulatorChild,
    workload: &'a Workload,
    page: (u32, u32),
    mode: Mode,
    dir: PathBuf,
    export_driver: &'a Path,
    python_cap_mb: Option<u64>,
    /// Whether a failing Python run is a finding (scaling: it may run out of memory) rather
    /// than a mismatch.
    python_may_fail: bool,
}

/// Tools that read the outputs back: neither program's own writer.
fn check_tools() -> Result<String> {
    let qpdf = Command::new("qpdf")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.lines().next().map(str::to_owned));
    let Some(qpdf) = qpdf else {
        bail!("qpdf is needed to count PDF pages: apt-get install -y qpdf");
    };
    let seven = Command::new("7z")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| {
            s.lines()
                .find(|l| l.contains("7-Zip"))
                .map(|l| l.trim().to_owned())
        });
    let Some(seven) = seven else {
        bail!("7z is needed to list ZIP and CBZ entries: apt-get install -y p7zip-full");
    };
    Ok(format!(
        "{qpdf}; {}",
        seven.split(':').next().unwrap_or(&seven).trim()
    ))
}

fn pdf_pages(path: &Path) -> Result<usize, String> {
    let out = Command::new("qpdf")
        .arg("--show-npages")
        .arg(path)
        .output()
        .map_err(|e| format!("qpdf: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "qpdf --show-npages failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .map_err(|e| format!("qpdf said something else than a page count: {e}"))
}

/// File entries (folders left out) and compression methods of an archive, from
/// `7z l -slt`.
fn zip_listing(path: &Path) -> (Result<Vec<String>, String>, BTreeSet<String>) {
    let out = match Command::new("7z")
        .args(["l", "-ba", "-slt"])
        .arg(path)
        .output()
    {
        Ok(o) => o,
        Err(e) => return (Err(format!("7z: {e}")), BTreeSet::new()),
    };
    if !out.status.success() {
        return (
            Err(format!(
                "7z l failed: {}",
                String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .chain(String::from_utf8_lossy(&out.stderr).lines())
                    .filter(|l| l.contains("ERROR") || l.contains("Error"))
                    .collect::<Vec<_>>()
                    .join("; ")
            )),
            BTreeSet::new(),
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut entries = Vec::new();
    let mut methods = BTreeSet::new();
    for block in text.split("\n\n") {
        let field = |key: &str| {
            block
                .lines()
                .find_map(|l| l.strip_prefix(key).map(str::to_owned))
        };
        let Some(path) = field("Path = ") else {
            continue;
        };
        if field("Folder = ").as_deref() == Some("+") {
            continue;
        }
        if let Some(m) = field("Method = ").filter(|m| !m.is_empty()) {
            methods.insert(m);
        }
        entries.push(path);
    }
    (Ok(entries), methods)
}

/// Width and height from the PNG header (signature, then the IHDR chunk), and a check that the
/// file ends with the IEND chunk (a PNG cut short does not).
fn png_size(path: &Path) -> Result<(u32, u32), String> {
    use std::io::{Read, Seek, SeekFrom};
    const SIGNATURE: [u8; 8] = [137, 80, 78, 71, 13, 10, 26, 10];
    const IEND: [u8; 12] = [0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82];
    let mut f = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut head = [0u8; 24];
    f.read_exact(&mut head).map_err(|e| e.to_string())?;
    if head[..8] != SIGNATURE || &head[12..16] != b"IHDR" {
        return Err("not a PNG (no signature and IHDR)".to_owned());
    }
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    let size = (be(&head[16..20]), be(&head[20..24]));
    let mut tail = [0u8; 12];
    f.seek(SeekFrom::End(-12)).map_err(|e| e.to_string())?;
    f.read_exact(&mut tail).map_err(|e| e.to_string())?;
    if tail != IEND {
        return Err("does not end with IEND: cut short".to_owned());
    }
    Ok(size)
}

/// `[JM123]Title.pdf` -> 123.
fn album_of(name: &str) -> Option<u64> {
    name.strip_prefix("[JM")?.split(']').next()?.parse().ok()
}

fn is_album_dir(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit())
}

/// Removes everything in `base` but the album folders (named by album id under
/// `Bd_Aid_Pindex`): the outputs of the previous run.
fn clean(base: &Path) -> Result<()> {
    for entry in std::fs::read_dir(base).with_context(|| format!("{}", base.display()))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            if !is_album_dir(&name) {
                std::fs::remove_dir_all(&path)
                    .with_context(|| format!("remove {}", path.display()))?;
            }
        } else {
            std::fs::remove_file(&path).with_context(|| format!("remove {}", path.display()))?;
        }
    }
    Ok(())
}

fn find_outputs(base: &Path) -> Found {
    let mut found = Found::default();
    let Ok(entries) = std::fs::read_dir(base) else {
        return found;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if is_dir {
            if is_album_dir(&name) {
                continue;
            }
            // A CBZ series folder: `<title>/<title> c001.cbz` and the series cover.
            for file in files_under(&path) {
                let file_name = file
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
                if file_name.to_ascii_lowercase().ends_with(".cbz") {
                    let (entries, methods) = zip_listing(&file);
                    found.cbz.push(ZipFile {
                        name: format!("{name}/{file_name}"),
                        entries,
                        methods,
                        bytes: file.metadata().map_or(0, |m| m.len()),
                    });
                } else if !file_name.starts_with("cover.") {
                    found.stray.push(format!("{name}/{file_name}"));
                }
            }
            continue;
        }
        let bytes = entry.metadata().map_or(0, |m| m.len());
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        match (album_of(&name), ext.as_deref()) {
            (Some(album), Some("pdf")) => {
                found.pdf.insert(
                    album,
                    PdfFile {
                        pages: pdf_pages(&path),
                        bytes,
                    },
                );
            }
            (Some(album), Some("zip")) => {
                let (entries, methods) = zip_listing(&path);
                found.zip.insert(
                    album,
                    ZipFile {
                        name,
                        entries,
                        methods,
                        bytes,
                    },
                );
            }
            (Some(album), Some("png")) => {
                found.png.insert(
                    album,
                    PngFile {
                        size: png_size(&path),
                        bytes,
                    },
                );
            }
            _ => found.stray.push(name),
        }
    }
    found.cbz.sort_by(|a, b| a.name.cmp(&b.name));
    found
}

/// Copies a folder tree (the page files).
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    for file in files_under(from) {
        let rel = file.strip_prefix(from).context("copy_tree")?;
        let dest = to.join(rel);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::copy(&file, &dest)
            .with_context(|| format!("copy {} to {}", file.display(), dest.display()))?;
    }
    Ok(())
}

/// Size and modification time of every page file under the album folders.
fn page_snapshot(base: &Path, albums: &[u64]) -> HashMap<PathBuf, (u64, Option<SystemTime>)> {
    albums
        .iter()
        .flat_map(|a| files_under(&base.join(a.to_string())))
        .map(|f| {
            let meta = f.metadata().ok();
            let len = meta.as_ref().map_or(0, std::fs::Metadata::len);
            let modified = meta.and_then(|m| m.modified().ok());
            (f, (len, modified))
        })
        .collect()
}

impl Suite<'_> {
    fn base(&self, program: Program) -> PathBuf {
        self.dir.join(program.slug())
    }

    fn ids(&self) -> Vec<String> {
        self.workload.albums.iter().map(u64::to_string).collect()
    }

    fn python_cap(&self) -> Option<u64> {
        const GB: u64 = 1 << 30;
        match self.python_cap_mb {
            Some(0) => None,
            Some(mb) => Some(mb << 20),
            None => mem_available().map(|a| a.saturating_sub(3 * GB).max(GB)),
        }
    }

    /// The Rust CLI's option file: the `compare` one with `download.cache` written out.
    fn rust_yaml(&self, base: &Path) -> String {
        format!(
            "{}  cache: true\n",
            rust_option_yaml(base, self.emu, self.mode, false)
        )
    }

    /// The Rust CLI downloads the pages (no export), then they are copied for Python.
    fn download(&self) -> Result<Measured> {
        if self.dir.exists() {
            std::fs::remove_dir_all(&self.dir)?;
        }
        let rs = self.base(Program::Rust);
        let py = self.base(Program::Python);
        std::fs::create_dir_all(&rs)?;
        std::fs::create_dir_all(&py)?;
        let option = self.dir.join("rs-download.yml");
        std::fs::write(&option, self.rust_yaml(&rs))?;
        let mut args: Vec<std::ffi::OsString> = vec![
            "--option".into(),
            option.into(),
            "--no-progress".into(),
            "-q".into(),
        ];
        args.extend(self.ids().into_iter().map(Into::into));
        let m = run_measured(&self.env.rust_cli, &args, &self.env.work.join("runs.log"))?;
        let census = crate::workload::census(self.workload, &rs);
        if m.exit != 0 || census.pages != census.expected {
            bail!(
                "the download before the exports failed: exit {}, {} of {} pages (see {})",
                m.exit,
                census.pages,
                census.expected,
                self.env.work.join("runs.log").display()
            );
        }
        for album in &self.workload.albums {
            copy_tree(&rs.join(album.to_string()), &py.join(album.to_string()))?;
        }
        Ok(m)
    }

    /// One measured run of `program` exporting `kind` over the pages on disk; `None` when the
    /// program has no such export.
    fn run(&self, program: Program, kind: Kind) -> Result<Option<Sample>> {
        let base = self.base(program);
        clean(&base)?;
        let log = self.env.work.join("runs.log");
        let ids = self.ids();
        let (m, failures, cap) = match program {
            Program::Python => {
                let Some(features) = kind.python_features() else {
                    return Ok(None);
                };
                let result_file = self.dir.join("py-result.json");
                let _ = std::fs::remove_file(&result_file);
                let cfg = serde_json::json!({
                    "option_yaml": crate::python::export_option_yaml(&base, &self.emu.api, self.mode.suffix()),
                    "ids": ids,
                    "image_domain": self.emu.cdn.trim_start_matches("https://"),
                    "features": features,
                    "result_file": result_file,
                });
                let cfg_file = self.dir.join("py-run.json");
                std::fs::write(&cfg_file, cfg.to_string())?;
                let cap = self.python_cap();
                let m = run_measured_capped(
                    &self.env.python,
                    &[self.export_driver.into(), cfg_file.into()],
                    &log,
                    cap,
                )?;
                let failures = match std::fs::read_to_string(&result_file) {
                    Ok(text) => {
                        let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
                        let mut f: Vec<String> = v["problems"]
                            .as_array()
                            .map(|a| {
                                a.iter()
                                    .filter_map(|p| p.as_str().map(str::to_owned))
                                    .collect()
                            })
                            .unwrap_or_default();
                        if let Some(o) = v["failed"].as_object() {
                            f.extend(o.iter().map(|(k, e)| format!("album {k}: {e}")));
                        }
                        f
                    }
                    Err(_) if m.exit != 0 => vec![format!(
                        "the driver stopped with exit {} before writing its result (see {})",
                        m.exit,
                        log.display()
                    )],
                    Err(e) => vec![format!("no driver result: {e}")],
                };
                (m, failures, cap)
            }
            Program::Rust | Program::RustPillow => {
                let option = self.dir.join("rs-run.yml");
                std::fs::write(&option, self.rust_yaml(&base))?;
                let mut args: Vec<std::ffi::OsString> = vec![
                    "--option".into(),
                    option.into(),
                    "--no-progress".into(),
                    "-q".into(),
                ];
                if let Some(e) = kind.rust_export() {
                    args.push("--export".into());
                    args.push(e.into());
                }
                args.extend(ids.into_iter().map(Into::into));
                let m = run_measured(&self.env.rust_cli, &args, &log)?;
                let failures = if m.exit == 0 {
                    Vec::new()
                } else {
                    vec![format!("exit {} (see {})", m.exit, log.display())]
                };
                (m, failures, None)
            }
        };
        self.env
            .spawner_rss
            .set(self.env.spawner_rss.get().max(m.spawner_rss));
        let found = find_outputs(&base);
        Ok(Some(Sample {
            m,
            found,
            failures,
            cap,
        }))
    }

    /// Runs every kind with both programs, alternating, `reps` times; checks every run's
    /// outputs and that no run rewrote a page.
    fn run_all(
        &self,
        kinds: &[Kind],
        programs: &[Program],
        reps: usize,
        alarms: &mut Alarms,
    ) -> Result<Vec<Row>> {
        let mut snapshots = Vec::new();
        for &p in programs {
            snapshots.push((p, page_snapshot(&self.base(p), &self.workload.albums)));
        }
        let mut rows: Vec<Row> = Vec::new();
        for rep in 0..reps.max(1) {
            for &kind in kinds {
                for &program in programs {
                    let Some(sample) = self.run(program, kind)? else {
                        continue;
                    };
                    eprintln!(
                        "bench: {} {} {} rep {rep}: {:.2} s, {:.0} MB peak RSS, {:.1} MB out{}",
                        self.dir
                            .file_name()
                            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
                        kind.label(),
                        program.label(),
                        sample.m.wall.as_secs_f64(),
                        sample.m.max_rss as f64 / 1_048_576.0,
                        sample.found.bytes() as f64 / 1_048_576.0,
                        sample
                            .failures
                            .first()
                            .map_or_else(String::new, |f| format!(", FAILED: {f}")),
                    );
                    match rows
                        .iter_mut()
                        .find(|r| r.kind == kind && r.program == program)
                    {
                        Some(row) => row.samples.push(sample),
                        None => rows.push(Row {
                            kind,
                            program,
                            samples: vec![sample],
                        }),
                    }
                }
            }
        }
        for row in &rows {
            let python_finding = row.program == Program::Python && self.python_may_fail;
            for (i, s) in row.samples.iter().enumerate() {
                let failed = s.m.exit != 0 || !s.failures.is_empty();
                if failed && python_finding {
                    let note = format!(
                        "{}: python {} failed (rep {i}{}): {}",
                        self.title(),
                        row.kind.label(),
                        s.cap.map_or_else(String::new, |c| format!(
                            ", address space capped at {:.1} GB",
                            c as f64 / f64::from(1u32 << 30)
                        )),
                        s.failures.first().cloned().unwrap_or_default()
                    );
                    eprintln!("bench: NOTE: {note}");
                    alarms.notes.push(note);
                    continue;
                }
                if failed {
                    alarms.mismatch(format!(
                        "{}: {} {} failed (rep {i}): {}",
                        self.title(),
                        row.program.label(),
                        row.kind.label(),
                        s.failures.join("; ")
                    ));
                }
                for problem in self.check(row.kind, &s.found) {
                    alarms.mismatch(format!(
                        "{}: {} {} (rep {i}): {problem}",
                        self.title(),
                        row.program.label(),
                        row.kind.label()
                    ));
                }
            }
        }
        for (program, before) in snapshots {
            let after = page_snapshot(&self.base(program), &self.workload.albums);
            let changed = before
                .iter()
                .filter(|(path, v)| after.get(*path) != Some(v))
                .count();
            if changed > 0 || after.len() != before.len() {
                alarms.mismatch(format!(
                    "{}: {} rewrote {changed} of {} page files (pages on disk were to be reused)",
                    self.title(),
                    program.label(),
                    before.len()
                ));
            }
        }
        Ok(rows)
    }

    fn title(&self) -> String {
        format!(
            "{} album(s), {} pages",
            self.workload.albums.len(),
            self.workload.pages.len()
        )
    }

    /// Pages per album and their file stems.
    fn album_pages(&self) -> BTreeMap<u64, BTreeSet<String>> {
        let mut m: BTreeMap<u64, BTreeSet<String>> = BTreeMap::new();
        for p in &self.workload.pages {
            let stem = p.file_name.split('.').next().unwrap_or_default().to_owned();
            m.entry(p.album).or_default().insert(stem);
        }
        m
    }

    /// What is wrong with the outputs of one run of `kind`.
    fn check(&self, kind: Kind, found: &Found) -> Vec<String> {
        let mut problems = Vec::new();
        let albums = self.album_pages();
        let stems_of = |entries: &[String]| -> BTreeSet<String> {
            entries
                .iter()
                .filter_map(|e| {
                    Path::new(e)
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                })
                .collect()
        };
        for out in kind.outputs() {
            for (album, stems) in &albums {
                let n = stems.len();
                match out {
                    Out::Pdf => match found.pdf.get(album).map(|f| &f.pages) {
                        None => problems.push(format!("no PDF for album {album}")),
                        Some(Err(e)) => problems.push(format!("PDF of album {album}: {e}")),
                        Some(Ok(p)) if *p != n => problems
                            .push(format!("PDF of album {album} has {p} pages, the album {n}")),
                        Some(Ok(_)) => {}
                    },
                    Out::Zip => match found.zip.get(album).map(|f| &f.entries) {
                        None => problems.push(format!("no ZIP for album {album}")),
                        Some(Err(e)) => problems.push(format!("ZIP of album {album}: {e}")),
                        Some(Ok(entries)) => {
                            let listed = stems_of(entries);
                            let missing = stems.difference(&listed).count();
                            if missing > 0 || entries.len() != n {
                                problems.push(format!(
                                    "ZIP of album {album}: {} entries, {missing} of the {n} pages not listed",
                                    entries.len()
                                ));
                            }
                        }
                    },
                    Out::Png => {
                        let want = (self.page.0, self.page.1 * n as u32);
                        match found.png.get(album).map(|f| &f.size) {
                            None => problems.push(format!("no long PNG for album {album}")),
                            Some(Err(e)) => {
                                problems.push(format!("long PNG of album {album}: {e}"));
                            }
                            Some(Ok(size)) if *size != want => problems.push(format!(
                                "long PNG of album {album} is {}x{}, expected {}x{}",
                                size.0, size.1, want.0, want.1
                            )),
                            Some(Ok(_)) => {}
                        }
                    }
                    Out::Cbz => {}
                }
            }
            if *out == Out::Cbz {
                // Bench albums have one chapter each: one CBZ per album.
                if found.cbz.len() != albums.len() {
                    problems.push(format!(
                        "{} CBZ files for {} single-chapter albums",
                        found.cbz.len(),
                        albums.len()
                    ));
                }
                let mut pages = 0;
                for c in &found.cbz {
                    match &c.entries {
                        Err(e) => problems.push(format!("CBZ {}: {e}", c.name)),
                        Ok(entries) => {
                            if !entries.iter().any(|e| e == "ComicInfo.xml") {
                                problems.push(format!("CBZ {}: no ComicInfo.xml", c.name));
                            }
                            pages += entries.iter().filter(|e| *e != "ComicInfo.xml").count();
                        }
                    }
                }
                if pages != self.workload.pages.len() {
                    problems.push(format!(
                        "the CBZ files hold {pages} pages, the albums {}",
                        self.workload.pages.len()
                    ));
                }
            }
        }
        if !found.stray.is_empty() {
            problems.push(format!("unexpected files: {}", found.stray.join(", ")));
        }
        problems
    }

    /// The timing table and the output checks of a suite.
    fn table(&self, rows: &[Row], reps: usize, download: &Measured, alarms: &mut Alarms) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "\n== exports of {} ({} x {} {}), pages already on disk, {} rep(s) ==",
            self.title(),
            self.page.0,
            self.page.1,
            self.mode.suffix().unwrap_or(".webp"),
            reps.max(1)
        );
        let _ = writeln!(
            s,
            "pages downloaded once by the rust CLI in {:.1} s (not timed below), copied for python",
            download.wall.as_secs_f64()
        );
        let _ = writeln!(
            s,
            "{:<17} {:<14} {:>8} {:>8} {:>8} {:>9} {:>8} {:>9} {:>6}",
            "export", "program", "wall", "export", "speedup", "peak RSS", "CPU", "output", "others"
        );
        let baseline = |p: Program| {
            rows.iter()
                .find(|r| r.kind == Kind::Baseline && r.program == p)
                .map(Row::wall)
        };
        let export_time = |r: &Row| -> Option<f64> {
            if r.kind == Kind::Baseline {
                return None;
            }
            baseline(r.program).map(|b| r.wall() - b)
        };
        for row in rows {
            let speedup = (row.program == Program::Rust)
                .then(|| {
                    rows.iter()
                        .find(|r| r.kind == row.kind && r.program == Program::Python)
                })
                .flatten()
                .filter(|py| !py.failed())
                .and_then(|py| match (export_time(py), export_time(row)) {
                    (Some(p), Some(r)) if p > 0.0 && r > 0.0 => Some((p / r, r)),
                    _ => None,
                });
            let first = row.samples.first();
            let _ = writeln!(
                s,
                "{:<17} {:<14} {:>6.2} s {:>8} {:>8} {:>6.0} MB {:>6.1} s {:>9} {:>6.2}{}",
                row.kind.label(),
                row.program.label(),
                row.wall(),
                export_time(row).map_or_else(|| "-".to_owned(), |t| format!("{t:.2} s")),
                speedup.map_or_else(
                    || "-".to_owned(),
                    // Under 50 ms the Rust export is within the noise of the two runs the
                    // difference is taken from: the ratio is only an order of magnitude.
                    |(x, r)| if r < 0.05 {
                        format!("~{x:.0}x")
                    } else {
                        format!("{x:.2}x")
                    }
                ),
                row.rss_mb(),
                row.cpu(),
                match first {
                    Some(f) if row.kind != Kind::Baseline => {
                        format!("{:.1} MB", f.found.bytes() as f64 / 1_048_576.0)
                    }
                    _ => "-".to_owned(),
                },
                row.others_cores(),
                row.failure()
                    .map_or_else(String::new, |f| format!("  FAILED: {f}")),
            );
        }
        s.push_str(&self.cross_checks(rows, alarms));
        s
    }

    /// Python against Rust, on the first run of each kind.
    fn cross_checks(&self, rows: &[Row], alarms: &mut Alarms) -> String {
        let mut s = String::new();
        let find = |out: Out, p: Program| {
            rows.iter()
                .filter(|r| r.kind.outputs().contains(&out) && r.program == p)
                .find_map(|r| r.samples.first())
                .map(|s| &s.found)
        };
        let albums = self.workload.albums.len();
        let pages = self.workload.pages.len();
        // PDF: page counts.
        for p in [Program::Python, Program::Rust] {
            if let Some(f) = find(Out::Pdf, p) {
                let ok = f.pdf.values().filter(|x| x.pages.is_ok()).count();
                let total: usize = f.pdf.values().filter_map(|x| x.pages.clone().ok()).sum();
                let _ = writeln!(
                    s,
                    "check pdf      {:<14} {} of {albums} PDFs read by qpdf, {total} pages for {pages} images, {:.1} MB",
                    p.label(),
                    ok,
                    f.pdf.values().map(|x| x.bytes).sum::<u64>() as f64 / 1_048_576.0
                );
            }
        }
        // ZIP: entries and methods, and the same entry names in both.
        let zips: Vec<_> = [Program::Python, Program::Rust]
            .into_iter()
            .filter_map(|p| find(Out::Zip, p).map(|f| (p, f)))
            .collect();
        for (p, f) in &zips {
            let entries: usize = f
                .zip
                .values()
                .filter_map(|z| z.entries.as_ref().ok().map(Vec::len))
                .sum();
            let methods: BTreeSet<&String> = f.zip.values().flat_map(|z| &z.methods).collect();
            let _ = writeln!(
                s,
                "check zip      {:<14} {} ZIPs listed by 7z, {entries} entries for {pages} pages, method {}, {:.1} MB",
                p.label(),
                f.zip.len(),
                methods
                    .iter()
                    .map(|m| m.as_str())
                    .collect::<Vec<_>>()
                    .join("/"),
                f.zip.values().map(|x| x.bytes).sum::<u64>() as f64 / 1_048_576.0
            );
        }
        if let [(_, py), (_, rs)] = zips.as_slice() {
            let names = |f: &Found| -> BTreeMap<u64, Vec<String>> {
                f.zip
                    .iter()
                    .map(|(a, z)| {
                        let mut e = z.entries.clone().unwrap_or_default();
                        e.sort();
                        (*a, e)
                    })
                    .collect()
            };
            let same = names(py) == names(rs);
            let _ = writeln!(
                s,
                "check zip      entry names identical in both programs' ZIPs: {}",
                if same { "yes" } else { "NO" }
            );
            if !same {
                alarms.mismatch(format!(
                    "{}: the ZIP entry names differ between python and rust",
                    self.title()
                ));
            }
        }
        // Long PNG: the same size in both.
        let pngs: Vec<_> = [Program::Python, Program::Rust]
            .into_iter()
            .filter_map(|p| find(Out::Png, p).map(|f| (p, f)))
            .collect();
        for (p, f) in &pngs {
            let sizes: BTreeSet<String> = f
                .png
                .values()
                .map(|x| {
                    x.size
                        .as_ref()
                        .map_or_else(Clone::clone, |(w, h)| format!("{w}x{h}"))
                })
                .collect();
            let _ = writeln!(
                s,
                "check long-img {:<14} {} PNGs, size(s) {}, {:.1} MB",
                p.label(),
                f.png.len(),
                sizes.into_iter().collect::<Vec<_>>().join(", "),
                f.png.values().map(|x| x.bytes).sum::<u64>() as f64 / 1_048_576.0
            );
        }
        if let [(_, py), (_, rs)] = pngs.as_slice() {
            let sizes = |f: &Found| -> BTreeMap<u64, Option<(u32, u32)>> {
                f.png
                    .iter()
                    .map(|(a, p)| (*a, p.size.clone().ok()))
                    .collect()
            };
            let (a, b) = (sizes(py), sizes(rs));
            // Only comparable where both wrote one (a failed Python run is reported apart).
            let differing: Vec<String> = a
                .iter()
                .filter_map(|(album, x)| {
                    let y = b.get(album)?;
                    (x != y).then(|| format!("album {album}: python {x:?}, rust {y:?}"))
                })
                .collect();
            let _ = writeln!(
                s,
                "check long-img same width and height in both programs: {}",
                if differing.is_empty() { "yes" } else { "NO" }
            );
            if !differing.is_empty() {
                alarms.mismatch(format!(
                    "{}: long PNG sizes differ: {}",
                    self.title(),
                    differing.join("; ")
                ));
            }
        }
        if let Some(f) = find(Out::Cbz, Program::Rust) {
            let entries: usize = f
                .cbz
                .iter()
                .filter_map(|z| z.entries.as_ref().ok().map(Vec::len))
                .sum();
            let _ = writeln!(
                s,
                "check cbz      {:<14} {} CBZs listed by 7z, {entries} entries ({pages} pages + one ComicInfo.xml each), {:.1} MB",
                Program::Rust.label(),
                f.cbz.len(),
                f.cbz.iter().map(|x| x.bytes).sum::<u64>() as f64 / 1_048_576.0
            );
        }
        s
    }
}

/// Peak RSS and wall time of every (kind, program) at every page count, side by side.
fn scaling_table(results: &[(usize, Vec<Row>)]) -> String {
    let mut s = String::new();
    let counts: Vec<usize> = results.iter().map(|(n, _)| *n).collect();
    let _ = writeln!(
        s,
        "\n== exports memory scaling: one album, peak RSS (and wall) of a run over pages on disk =="
    );
    let mut header = format!("{:<17} {:<14}", "export", "program");
    for n in &counts {
        let _ = write!(header, " {:>15}", format!("{n} pages"));
    }
    if counts.len() >= 2 {
        let _ = write!(
            header,
            " {:>10}",
            format!("RSS x{}", counts[counts.len() - 1] / counts[0].max(1))
        );
    }
    let _ = writeln!(s, "{header}");
    let mut keys: Vec<(Kind, Program)> = Vec::new();
    for (_, rows) in results {
        for r in rows {
            if !keys.contains(&(r.kind, r.program)) {
                keys.push((r.kind, r.program));
            }
        }
    }
    keys.sort_by_key(|(k, p)| (*p == Program::Python, k.label() != "(none)"));
    for (kind, program) in keys {
        let mut line = format!("{:<17} {:<14}", kind.label(), program.label());
        let mut rss = Vec::new();
        for (_, rows) in results {
            match rows.iter().find(|r| r.kind == kind && r.program == program) {
                Some(r) if r.failed() => {
                    let _ = write!(line, " {:>15}", "FAILED");
                    rss.push(None);
                }
                Some(r) => {
                    let _ = write!(
                        line,
                        " {:>15}",
                        format!("{:.0} MB {:.1} s", r.rss_mb(), r.wall())
                    );
                    rss.push(Some(r.rss_mb()));
                }
                None => {
                    let _ = write!(line, " {:>15}", "-");
                    rss.push(None);
                }
            }
        }
        if let (Some(Some(first)), Some(Some(last))) = (rss.first(), rss.last())
            && rss.len() >= 2
        {
            let _ = write!(line, " {:>9.2}x", last / first.max(1e-9));
        }
        let _ = writeln!(s, "{line}");
    }
    s
}

/// The long image's size rule on pages of mixed sizes: albums of the standard catalog, each
/// program downloading and exporting on its own; the heights each would have under Python's
/// `round` and under truncation (`int`) are computed from the pages on disk.
fn rule_check(env: &Env, export_driver: &Path, alarms: &mut Alarms) -> Result<String> {
    // Single-chapter albums of mixed page sizes with no GIF page.
    const ALBUMS: [u64; 3] = [230_000, 400_000, 1_000_000];
    let mut emu_args = vec!["--catalog".to_owned(), "standard".to_owned()];
    emu_args.extend(common_emulator_args(0));
    eprintln!("bench: long-image size rule on the standard catalog");
    let emu = EmulatorChild::start(&env.emulator, &emu_args, Duration::from_secs(300))?;
    let dir = env.work.join("out/exports-rule");
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    let log = env.work.join("runs.log");
    let ids: Vec<String> = ALBUMS.iter().map(u64::to_string).collect();
    let mut sizes: BTreeMap<(Program, u64), Result<(u32, u32), String>> = BTreeMap::new();
    let mut expected: BTreeMap<u64, RuleSizes> = BTreeMap::new();
    for program in [Program::Python, Program::Rust] {
        let base = dir.join(program.slug());
        std::fs::create_dir_all(&base)?;
        let m = match program {
            Program::Python => {
                let cfg = serde_json::json!({
                    "option_yaml": crate::python::export_option_yaml(&base, &emu.api, None),
                    "ids": ids,
                    "image_domain": emu.cdn.trim_start_matches("https://"),
                    "features": ["export_long_img"],
                    "result_file": dir.join("py-result.json"),
                });
                let cfg_file = dir.join("py-run.json");
                std::fs::write(&cfg_file, cfg.to_string())?;
                run_measured(&env.python, &[export_driver.into(), cfg_file.into()], &log)?
            }
            Program::Rust | Program::RustPillow => {
                let option = dir.join("rs-run.yml");
                std::fs::write(
                    &option,
                    format!(
                        "{}  cache: true\n",
                        rust_option_yaml(&base, &emu, Mode::Webp, false)
                    ),
                )?;
                let mut args: Vec<std::ffi::OsString> = vec![
                    "--option".into(),
                    option.into(),
                    "--no-progress".into(),
                    "-q".into(),
                    "--export".into(),
                    "long-img".into(),
                ];
                args.extend(ids.iter().map(Into::into));
                run_measured(&env.rust_cli, &args, &log)?
            }
        };
        if m.exit != 0 {
            alarms.mismatch(format!(
                "size-rule check: {} exited with {} (see {})",
                program.label(),
                m.exit,
                log.display()
            ));
        }
        let found = find_outputs(&base);
        for album in ALBUMS {
            sizes.insert(
                (program, album),
                found
                    .png
                    .get(&album)
                    .map_or_else(|| Err("no PNG".to_owned()), |p| p.size.clone()),
            );
            if program == Program::Rust {
                expected.insert(album, expected_sizes(&base.join(album.to_string()))?);
            }
        }
    }
    let _ = emu.stop();
    let mut s = format!(
        "\n== long-image size rule: albums {} of the standard catalog (mixed page sizes, .webp) ==\n{:<9} {:>5} {:>9} {:>12} {:>12} {:>12} {:>12}\n",
        ids.join(", "),
        "album",
        "pages",
        "narrowest",
        "python",
        "rust",
        "if round()",
        "if int()"
    );
    let fmt = |r: &Result<(u32, u32), String>| match r {
        Ok((w, h)) => format!("{w}x{h}"),
        Err(e) => e.clone(),
    };
    let mut verdicts: BTreeMap<Program, (usize, usize)> = BTreeMap::new();
    for album in ALBUMS {
        let Some(&RuleSizes {
            pages,
            narrowest,
            round,
            trunc,
        }) = expected.get(&album)
        else {
            continue;
        };
        let py = sizes
            .get(&(Program::Python, album))
            .cloned()
            .unwrap_or(Err("-".to_owned()));
        let rs = sizes
            .get(&(Program::Rust, album))
            .cloned()
            .unwrap_or(Err("-".to_owned()));
        for (p, r) in [(Program::Python, &py), (Program::Rust, &rs)] {
            let v = verdicts.entry(p).or_default();
            v.0 += usize::from(r.as_ref().ok() == Some(&round));
            v.1 += usize::from(r.as_ref().ok() == Some(&trunc));
        }
        let _ = writeln!(
            s,
            "{album:<9} {pages:>5} {narrowest:>9} {:>12} {:>12} {:>12} {:>12}",
            fmt(&py),
            fmt(&rs),
            format!("{}x{}", round.0, round.1),
            format!("{}x{}", trunc.0, trunc.1),
        );
        if py != rs {
            alarms.mismatch(format!(
                "long PNG of standard album {album}: python {}, rust {} (round() gives {}x{}, int() {}x{})",
                fmt(&py),
                fmt(&rs),
                round.0,
                round.1,
                trunc.0,
                trunc.1
            ));
        }
    }
    for (p, (round, trunc)) in verdicts {
        let _ = writeln!(
            s,
            "{}: size as round() in {round} of {n}, as int() in {trunc} of {n}",
            p.label(),
            n = ALBUMS.len()
        );
    }
    if !env.keep_output {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(s)
}

/// The long image of one album's pages under both candidate rules.
#[derive(Debug, Clone, Copy)]
struct RuleSizes {
    pages: usize,
    narrowest: u32,
    /// `(width, height)` with every scaled height rounded half to even (Python's `round`).
    round: (u32, u32),
    /// With every scaled height truncated (Python's `int`).
    trunc: (u32, u32),
}

/// [`RuleSizes`] of the pages under `album_dir`, from the decoded pages.
fn expected_sizes(album_dir: &Path) -> Result<RuleSizes> {
    let mut dims = Vec::new();
    for file in files_under(album_dir) {
        let bytes = std::fs::read(&file)?;
        let img = jmcomic_image::decode(&bytes, &jmcomic_image::Limits::default())
            .with_context(|| format!("decode {}", file.display()))?;
        dims.push((img.width, img.height));
    }
    rule_sizes(&dims).context("no pages")
}

/// The long image of pages of these `(width, height)` under both rules; `None` for no pages.
fn rule_sizes(dims: &[(u32, u32)]) -> Option<RuleSizes> {
    let narrowest = dims.iter().map(|d| d.0).min()?;
    let (mut round, mut trunc) = (0u64, 0u64);
    for &(w, h) in dims {
        if w == narrowest {
            round += u64::from(h);
            trunc += u64::from(h);
            continue;
        }
        let num = u64::from(h) * u64::from(narrowest);
        let den = u64::from(w);
        let (q, r) = (num / den, num % den);
        // Python's round(): halves go to the even neighbour.
        round += match (2 * r).cmp(&den) {
            std::cmp::Ordering::Greater => q + 1,
            std::cmp::Ordering::Equal => q + (q & 1),
            std::cmp::Ordering::Less => q,
        };
        trunc += q;
    }
    Some(RuleSizes {
        pages: dims.len(),
        narrowest,
        round: (narrowest, round as u32),
        trunc: (narrowest, trunc as u32),
    })
}

/// `jmcomic-bench exports`.
pub(crate) fn run(mut args: ExportsArgs) -> Result<()> {
    if args.quick {
        args.reps = 1;
    }
    if !matches!(args.format, Mode::Webp | Mode::Jpg | Mode::Png) {
        bail!("--format: webp, jpg or png (pages on disk decoded)");
    }
    let tools = check_tools()?;
    let shape = Shape {
        albums: args.albums.unwrap_or(if args.quick { 4 } else { 8 }),
        pages: args.pages.unwrap_or(if args.quick { 10 } else { 25 }),
        width: args.width,
        height: args.height,
    };
    let scale: Vec<usize> = args
        .scale_pages
        .clone()
        .unwrap_or_else(|| {
            if args.quick {
                vec![20, 200]
            } else {
                vec![100, 1_000]
            }
        })
        .into_iter()
        .filter(|&n| n > 0)
        .collect();
    let env = crate::prepare(&args.setup)?;
    let export_driver = env.work.join("export_driver.py");
    std::fs::write(&export_driver, crate::python::EXPORT_DRIVER)?;

    let mut report = String::new();
    let _ = writeln!(
        report,
        "jmcomic-bench exports: {} albums x {} pages of {}x{} {} on disk; {} rep(s); scaling at {} pages; {} cores",
        shape.albums,
        shape.pages,
        shape.width,
        shape.height,
        args.format.suffix().unwrap_or(".webp"),
        args.reps,
        scale
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        env.cores,
    );
    let _ = writeln!(
        report,
        "python side: {}",
        crate::python::versions(&env.python)
    );
    let _ = writeln!(
        report,
        "rust side: {} ({})",
        env.rust_cli.display(),
        cli_version(&env.rust_cli)
    );
    let _ = writeln!(report, "readers: {tools}; PNG header read by the bench");
    print!("{report}");
    let mut alarms = Alarms::default();
    let mut tables = String::new();

    // 1. The comparison on the `compare` workload.
    {
        let workload = Workload::new(shape, None)?;
        let mut emu_args = shape.emulator_args();
        emu_args.extend(common_emulator_args(0));
        eprintln!("bench: starting the emulator for the exports comparison");
        let emu = EmulatorChild::start(&env.emulator, &emu_args, Duration::from_secs(900))?;
        let suite = Suite {
            env: &env,
            emu: &emu,
            workload: &workload,
            page: (shape.width, shape.height),
            mode: args.format,
            dir: env.work.join("out/exports"),
            export_driver: &export_driver,
            python_cap_mb: args.python_cap_mb,
            python_may_fail: false,
        };
        let download = suite.download()?;
        let kinds = [
            Kind::Baseline,
            Kind::Pdf,
            Kind::Zip,
            Kind::LongImg,
            Kind::Cbz,
            Kind::All,
        ];
        let rows = suite.run_all(
            &kinds,
            &[Program::Python, Program::Rust],
            args.reps,
            &mut alarms,
        )?;
        let section = suite.table(&rows, args.reps, &download, &mut alarms);
        print!("{section}");
        tables.push_str(&section);
        let dir = suite.dir.clone();
        drop(suite);
        let _ = emu.stop();
        if !env.keep_output {
            let _ = std::fs::remove_dir_all(&dir);
        }
    }

    // 2. The long image's size rule on pages of mixed sizes.
    if !args.no_rule_check {
        let section = rule_check(&env, &export_driver, &mut alarms)?;
        print!("{section}");
        tables.push_str(&section);
    }

    // 3. Memory scaling: one album of each page count.
    let mut scaled = Vec::new();
    for &n in &scale {
        let shape = Shape {
            albums: 1,
            pages: n,
            width: args.width,
            height: args.height,
        };
        let workload = Workload::new(shape, None)?;
        let mut emu_args = shape.emulator_args();
        emu_args.extend(common_emulator_args(0));
        eprintln!("bench: scaling run, one album of {n} pages");
        let emu = EmulatorChild::start(&env.emulator, &emu_args, Duration::from_secs(900))?;
        let suite = Suite {
            env: &env,
            emu: &emu,
            workload: &workload,
            page: (shape.width, shape.height),
            mode: args.format,
            dir: env.work.join(format!("out/exports-{n}")),
            export_driver: &export_driver,
            python_cap_mb: args.python_cap_mb,
            python_may_fail: true,
        };
        let download = suite.download()?;
        let programs: &[Program] = if args.no_python_scale {
            &[Program::Rust]
        } else {
            &[Program::Python, Program::Rust]
        };
        let kinds = [
            Kind::Baseline,
            Kind::Pdf,
            Kind::Zip,
            Kind::LongImg,
            Kind::Cbz,
        ];
        let rows = suite.run_all(&kinds, programs, args.scale_reps, &mut alarms)?;
        let section = suite.table(&rows, args.scale_reps, &download, &mut alarms);
        print!("{section}");
        tables.push_str(&section);
        let dir = suite.dir.clone();
        drop(suite);
        let _ = emu.stop();
        if !env.keep_output {
            let _ = std::fs::remove_dir_all(&dir);
        }
        scaled.push((n, rows));
    }
    if !scaled.is_empty() {
        let section = scaling_table(&scaled);
        print!("{section}");
        tables.push_str(&section);
    }

    let mut end = format!(
        "\npeak RSS is ru_maxrss from wait4; it includes up to {:.1} MB of the small helper that spawns each program\n",
        env.spawner_rss.get() as f64 / 1_048_576.0
    );
    for note in &alarms.notes {
        let _ = writeln!(end, "NOTE: {note}");
    }
    if !alarms.mismatches.is_empty() {
        let _ = writeln!(
            end,
            "\n!!!!!!!! {} MISMATCH(ES) !!!!!!!!",
            alarms.mismatches.len()
        );
        for m in &alarms.mismatches {
            let _ = writeln!(end, "MISMATCH: {m}");
        }
    }
    print!("{end}");
    std::fs::write(
        env.work.join("exports-report.txt"),
        format!("{report}{tables}{end}"),
    )?;
    eprintln!(
        "bench: report saved to {}",
        env.work.join("exports-report.txt").display()
    );
    if !alarms.mismatches.is_empty() {
        bail!(
            "{} output check(s) failed (MISMATCH lines above)",
            alarms.mismatches.len()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn album_ids_come_from_the_feature_file_names() {
        assert_eq!(album_of("[JM221000]Bench album 1.pdf"), Some(221_000));
        assert_eq!(album_of("[JM1000]Bench [x] 0.zip"), Some(1_000));
        assert_eq!(album_of("Bench album 1.pdf"), None);
        assert_eq!(album_of("[JMx]y.png"), None);
        assert!(is_album_dir("221000"));
        assert!(!is_album_dir("Bench album 0"));
        assert!(!is_album_dir(""));
    }

    #[test]
    fn both_height_rules() {
        // Narrowest 100: 200x301 -> 150.5 (round to even: 150, int: 150); 300x451 -> 150.33
        // (150, 150); 400x602 -> 150.5 (150, 150); 200x303 -> 151.5 (152, 151).
        let s = rule_sizes(&[(100, 10), (200, 301), (300, 451), (400, 602), (200, 303)])
            .expect("pages");
        assert_eq!(s.pages, 5);
        assert_eq!(s.narrowest, 100);
        assert_eq!(s.round, (100, 10 + 150 + 150 + 150 + 152));
        assert_eq!(s.trunc, (100, 10 + 150 + 150 + 150 + 151));
        assert!(rule_sizes(&[]).is_none());
    }

    /// A PNG's chunks: signature, IHDR, then the given tail.
    fn png_bytes(width: u32, height: u32, tail: &[u8]) -> Vec<u8> {
        let mut b = vec![137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13];
        b.extend_from_slice(b"IHDR");
        b.extend_from_slice(&width.to_be_bytes());
        b.extend_from_slice(&height.to_be_bytes());
        // Depth 8, RGB, then a CRC the size reader does not check.
        b.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
        b.extend_from_slice(tail);
        b
    }

    #[test]
    fn png_size_reads_the_header_and_wants_iend() {
        let dir = tempfile::tempdir().expect("tempdir");
        let iend = [0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82];
        let whole = dir.path().join("whole.png");
        std::fs::write(&whole, png_bytes(1100, 1_600_000, &iend)).expect("write");
        assert_eq!(png_size(&whole), Ok((1100, 1_600_000)));
        let cut = dir.path().join("cut.png");
        std::fs::write(&cut, png_bytes(1100, 1600, &[0; 12])).expect("write");
        assert!(png_size(&cut).is_err_and(|e| e.contains("IEND")));
        let not_png = dir.path().join("x.png");
        std::fs::write(&not_png, [0u8; 40]).expect("write");
        assert!(png_size(&not_png).is_err());
    }
}
