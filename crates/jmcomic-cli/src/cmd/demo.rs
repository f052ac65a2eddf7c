//! `jmcomic demo`: the main job against the built-in emulator of the site, so a new user
//! sees an album downloaded and checked with no site reachable.

use anyhow::{Context, Result};
use jmcomic::{Options, PageOutcome, Target};
use jmcomic_emulator::{Emulator, PageKind};

use super::download::run_download;
use crate::args::DemoArgs;
use crate::ui::Display;
use crate::{Outcome, UsageError};

/// Albums downloaded when none are named: a series album with scrambled pages of every
/// kind, and a single-chapter album whose title has every character file systems refuse.
const DEFAULT_ALBUMS: &[&str] = &["220979", "1180203"];

pub fn run(args: &DemoArgs) -> Result<Outcome> {
    let catalog = jmcomic_emulator::Catalog::standard();
    if args.list {
        let listing = catalog.listing();
        if args.json {
            crate::outln!("{}", serde_json::to_string_pretty(&listing)?);
        } else {
            crate::out!("{listing}");
        }
        return Ok(Outcome::Done);
    }
    let emu = Emulator::builder()
        .start()
        .context("cannot start the built-in emulator")?;
    let dir = std::path::absolute(&args.dir).unwrap_or_else(|_| args.dir.clone());
    let yaml = format!(
        "client:\n  domain: {api}\n  image_domain: {img}\ndir_rule:\n  base_dir: {base}\n  rule: Bd / JM{{Aid}} {{Atitle}} / {{Pindex:02}} {{Pname}}\n",
        api = serde_json::to_string(&emu.api_domains())?,
        img = serde_json::to_string(&emu.image_domains())?,
        base = serde_json::to_string(&dir.display().to_string())?,
    );
    let options = Options::from_yaml_str(&yaml).context("demo options")?;
    let ids: Vec<String> = if args.ids.is_empty() {
        DEFAULT_ALBUMS.iter().map(|s| (*s).to_owned()).collect()
    } else {
        args.ids.clone()
    };
    let mut targets = Vec::new();
    for id in &ids {
        let target = Target::parse(id).map_err(|e| UsageError(e.to_string()))?;
        // Only the emulator's catalog exists here: say so, and where to see it.
        let known = match target.kind {
            jmcomic::Kind::Album => catalog.album(target.id.get()).is_some(),
            jmcomic::Kind::Chapter => catalog.chapter(target.id.get()).is_some(),
        };
        if !known {
            return Err(UsageError(format!(
                "{target} is not in the demo's catalog: `jmcomic demo --list` shows what it has"
            ))
            .into());
        }
        targets.push(target);
    }
    if !args.common.quiet && !args.json {
        eprintln!(
            "demo: downloading {} from the built-in emulator of the site ({}) into {}",
            ids.join(", "),
            emu.api_domains().join(", "),
            dir.display()
        );
    }
    let display = Display::choose(args.json, args.no_progress, args.common.quiet);
    let report_path = dir.join("report.json");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let outcome = run_download(
        super::download::Job {
            options: options.clone(),
            targets: targets.clone(),
            display,
            report_path: Some(report_path.clone()),
            features: jmcomic::plugin::Features::new(),
            no_progress: args.no_progress,
            dry_run: false,
            log_file: None,
        },
        &args.common,
    )?;
    if outcome != Outcome::Done {
        return Ok(outcome);
    }
    // Check every page against the emulator's unscrambled originals.
    let verified = verify(&emu, &options, &targets)?;
    if !args.common.quiet && !args.json {
        eprintln!(
            "demo: checked {} pages against the site's originals: {} exact, {} within lossy-codec tolerance (worst {:.1} dB PSNR), {} GIFs byte-identical",
            verified.total, verified.exact, verified.lossy, verified.worst_psnr, verified.gifs
        );
        eprintln!("demo: report with every page: {}", report_path.display());
    }
    Ok(Outcome::Done)
}

#[derive(Default)]
struct Verified {
    total: usize,
    exact: usize,
    lossy: usize,
    gifs: usize,
    worst_psnr: f64,
}

/// Downloads again (everything is on disk, so nothing is fetched) to learn the paths, then
/// compares each file's pixels with the original the emulator drew.
fn verify(emu: &Emulator, options: &Options, targets: &[Target]) -> Result<Verified> {
    let downloader = jmcomic::Downloader::builder(options.clone())
        .check_exception(true)
        .build()?;
    let batch = jmcomic::blocking::run(downloader.batch(targets.to_vec()))?;
    let mut v = Verified {
        worst_psnr: f64::INFINITY,
        ..Verified::default()
    };
    for report in batch.reports() {
        for chapter in &report.chapters {
            for page in &chapter.pages {
                if !matches!(page.outcome, PageOutcome::Reused) {
                    anyhow::bail!(
                        "page {}/{} was not on disk after the download",
                        chapter.id,
                        page.file_name
                    );
                }
                let data = std::fs::read(&page.path)
                    .with_context(|| format!("cannot read {}", page.path.display()))?;
                let kind = emu
                    .catalog()
                    .chapter(chapter.id.get())
                    .and_then(|(c, _)| c.pages.iter().find(|p| p.file_name == page.file_name))
                    .map(|p| p.kind)
                    .context("page not in the catalog")?;
                v.total += 1;
                if kind == PageKind::Gif {
                    anyhow::ensure!(
                        Some(&data) == emu.served_bytes(chapter.id.get(), &page.file_name).as_ref(),
                        "GIF {} differs from what the site served",
                        page.path.display()
                    );
                    v.gifs += 1;
                    continue;
                }
                let original = emu
                    .original_page(chapter.id.get(), &page.file_name)
                    .context("no original")?;
                let decoded = jmcomic::image::decode(&data, &jmcomic::image::Limits::default())?;
                anyhow::ensure!(
                    (decoded.width, decoded.height) == (original.width, original.height),
                    "{} has the wrong size",
                    page.path.display()
                );
                if decoded.data == original.rgb {
                    v.exact += 1;
                    continue;
                }
                let psnr = psnr(&decoded.data, &original.rgb);
                anyhow::ensure!(
                    psnr > 25.0,
                    "{} does not match the original ({psnr:.1} dB): strips out of place?",
                    page.path.display()
                );
                v.lossy += 1;
                v.worst_psnr = v.worst_psnr.min(psnr);
            }
        }
    }
    if v.worst_psnr.is_infinite() {
        v.worst_psnr = 0.0;
    }
    Ok(v)
}

fn psnr(a: &[u8], b: &[u8]) -> f64 {
    let se: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| {
            let d = f64::from(*x) - f64::from(*y);
            d * d
        })
        .sum();
    let mse = se / a.len().max(1) as f64;
    if mse == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (255.0f64 * 255.0 / mse).log10()
    }
}
