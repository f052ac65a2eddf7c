//! `jmcomic cover ID`: an album's cover image, saved to a file.

use std::path::PathBuf;

use anyhow::{Context, Result};
use jmcomic::Target;

use super::{album_of, load_options, site};
use crate::args::CoverArgs;
use crate::{Outcome, UsageError, outln};

pub fn run(args: &CoverArgs) -> Result<Outcome> {
    let target = Target::parse(&args.id).map_err(|e| UsageError(e.to_string()))?;
    let options = load_options(&args.common)?;
    crate::logging::init(&args.common, &options, None, None, None, true);
    let (client, runtime) = site(&options)?;
    let size = if args.small { "_3x4" } else { "" };
    let (album, bytes) = runtime.block_on(async {
        // The album is asked for first: a chapter id names its album's cover, and an album
        // the site does not have is one clear answer instead of image-server retries.
        let album = album_of(&client, target).await?.id;
        let bytes = client.cover_bytes(album, size).await?;
        Ok::<_, jmcomic::client::Error>((album, bytes))
    })?;
    jmcomic::image::check_complete(&bytes)
        .with_context(|| format!("the cover of album {album} is not a complete image"))?;
    let path = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{album}{size}.jpg")));
    jmcomic::storage::write_atomic(&path, &bytes)
        .with_context(|| format!("cannot write {}", path.display()))?;
    if args.json {
        outln!(
            "{}",
            serde_json::json!({"album": album, "path": path, "bytes": bytes.len()})
        );
    } else if !args.common.quiet {
        eprintln!(
            "cover of JM{album}: {} ({} bytes)",
            path.display(),
            bytes.len()
        );
    }
    Ok(Outcome::Done)
}
