//! Runs a work plugin entry inside a download (as a stage).

pub(crate) use super::exports::Scope;
use super::exports::{self, Caller, ExportKey};
use super::runner::{Deletions, Entry, Failure};
use crate::report::Output;
use crate::stage::StageContext;

/// Does the work of `entry` for the scope.
pub(crate) fn run_entry(
    entry: &Entry,
    cx: &StageContext,
    scope: Scope<'_>,
    deletions: &Deletions,
) -> Result<Vec<Output>, Failure> {
    let kw = entry.kwargs()?;
    let stage = entry.stage_name();
    if let Some(key) = ExportKey::from_plugin(entry.key()) {
        return exports::run(
            key,
            &kw,
            cx,
            &scope,
            Caller::Plugin,
            deletions,
            &stage,
            entry.logs(),
        );
    }
    match entry.key() {
        "calibre_metadata" => super::files::calibre(&kw, cx, &scope, &stage),
        "delete_duplicated_files" => super::files::delete_duplicates(&kw, cx, entry.logs()),
        "download_cover" => super::files::download_cover(&kw, cx, &scope, &stage),
        "send_qq_email" => {
            cx.block_on(super::notify::send(&kw))?;
            Ok(Vec::new())
        }
        // Every other key is a setting, a decision or a job, applied elsewhere.
        _ => Ok(Vec::new()),
    }
}
