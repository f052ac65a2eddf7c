//! `jmcomic show ID`: an album's details and chapters, without downloading (the Python
//! package's `jmv` command).

use anyhow::Result;
use jmcomic::Target;

use super::{album_of, load_options, site};
use crate::args::ShowArgs;
use crate::ui::printable;
use crate::{Outcome, UsageError, outln};

pub fn run(args: &ShowArgs) -> Result<Outcome> {
    let target = Target::parse(&args.id).map_err(|e| UsageError(e.to_string()))?;
    let options = load_options(&args.common)?;
    crate::logging::init(&args.common, &options, None, None, None, true);
    let (client, runtime) = site(&options)?;
    let album = runtime.block_on(album_of(&client, target))?;
    if args.json {
        let v = serde_json::json!({
            "album": &album,
            "chapters": album.chapters(),
        });
        outln!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(Outcome::Done);
    }
    let list = |v: &[String]| printable(&v.join(", "));
    outln!("JM{}  {}", album.id, printable(&album.name));
    outln!("  authors   {}", list(&album.authors));
    outln!("  tags      {}", list(&album.tags));
    if !album.works.is_empty() {
        outln!("  works     {}", list(&album.works));
    }
    if !album.actors.is_empty() {
        outln!("  actors    {}", list(&album.actors));
    }
    let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_owned());
    outln!(
        "  pages     {}   published {}   updated {}",
        album
            .page_count
            .map_or_else(|| "-".to_owned(), |n| n.to_string()),
        or_dash(&album.pub_date),
        or_dash(&album.update_date)
    );
    outln!(
        "  likes {}   views {}   comments {}",
        printable(&album.likes),
        printable(&album.views),
        album.comment_count
    );
    if !album.description.is_empty() {
        outln!("  {}", printable(&album.description));
    }
    let chapters = album.chapters();
    outln!("  chapters ({}):", chapters.len());
    for c in &chapters {
        let mark = if target.kind == jmcomic::Kind::Chapter && c.id == target.id {
            " <"
        } else {
            ""
        };
        outln!(
            "    {:>3}  p{:<10} {}{mark}",
            c.album_index(),
            c.id,
            printable(&c.name)
        );
    }
    Ok(Outcome::Done)
}
