//! `jmcomic plugins list|run`: what each plugin key does here, and running a group by hand.

use anyhow::{Context, Result};
use jmcomic::plugin::{PLUGINS, PluginRun, Support};
use jmcomic::{BatchReport, Downloader};

use super::load_options;
use crate::args::PluginsAction;
use crate::ui as progress;
use crate::{Outcome, logging};

pub fn run(action: &PluginsAction) -> Result<Outcome> {
    match action {
        PluginsAction::List { common } => list(common),
        PluginsAction::Run {
            group,
            json,
            common,
        } => run_group(group, *json, common),
    }
}

fn list(common: &crate::args::Common) -> Result<Outcome> {
    let has_file = common.option.is_some()
        || std::env::var_os(jmcomic::options::OPTION_PATH_ENV).is_some_and(|v| !v.is_empty());
    if has_file {
        let options = load_options(common)?;
        let entries = options.plugin_entries();
        if entries.is_empty() {
            crate::outln!("the option file lists no plugins");
        } else {
            crate::outln!("in the option file:");
            for (group, key) in entries {
                let what = jmcomic::plugin::plugin_info(&key).map_or(
                    "unknown: not a plugin key of the Python package",
                    |p| match p.support {
                        Support::Runs => "runs",
                        _ => "accepted, does not apply here",
                    },
                );
                crate::outln!("  plugins.{group}: {key} ({what})");
            }
            crate::outln!();
        }
    }
    crate::outln!("plugin keys:");
    for p in PLUGINS {
        let mut groups = if p.groups.is_empty() {
            "any group".to_owned()
        } else {
            p.groups.join(", ")
        };
        if p.by_hand && !p.groups.is_empty() {
            groups.push_str(", by hand");
        }
        crate::outln!("  {:<26} [{groups}]\n      {}", p.key, p.summary);
    }
    Ok(Outcome::Done)
}

fn run_group(group: &str, json: bool, common: &crate::args::Common) -> Result<Outcome> {
    let options = load_options(common)?;
    logging::init(common, &options, None, None, None, true);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("jmcomic")
        .build()
        .context("cannot start the async runtime")?;
    let run = runtime.block_on(async {
        let downloader = Downloader::builder(options)
            .check_exception(false)
            .build()?;
        let Some(plugins) = downloader.plugins() else {
            return Ok(PluginRun::default());
        };
        if !plugins.has_jobs(group) {
            return Err(crate::UsageError(format!(
                "plugins.{group} has no entry that runs by hand (see `jmcomic plugins list`)"
            ))
            .into());
        }
        downloader
            .run_plugin_group(group)
            .await
            .map_err(anyhow::Error::from)
    })?;
    if json {
        crate::outln!(
            "{}",
            serde_json::to_string_pretty(&run_json(&run)).unwrap_or_default()
        );
    } else if !common.quiet {
        for note in &run.notes {
            eprintln!("{}", progress::printable(note));
        }
    }
    let failures = job_failures(&run);
    progress::print_failures(&failures);
    Ok(if run.is_complete() {
        Outcome::Done
    } else {
        Outcome::Failures
    })
}

/// What plugin jobs did, as JSON.
pub fn run_json(run: &PluginRun) -> serde_json::Value {
    serde_json::json!({
        "complete": run.is_complete(),
        "notes": run.notes,
        "outputs": run.outputs,
        "failures": job_failures(run),
        "downloads": run.downloads.iter().map(|b| serde_json::to_value(b).unwrap_or_default()).collect::<Vec<_>>(),
    })
}

/// Every failure of the jobs: their own and those of the downloads they made.
pub fn job_failures(run: &PluginRun) -> Vec<jmcomic::Failure> {
    let mut out = run.entry_failures();
    out.extend(run.downloads.iter().flat_map(BatchReport::failures));
    out
}
