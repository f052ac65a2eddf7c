//! `album.json` next to an album's pages (`download.album_json`): the album's fields as the
//! site gave them, its chapters, and every file this program put on disk for it, for bots
//! and library tools that want the metadata without asking the site again.

use serde_json::{Value, json};

use crate::failure::Cause;
use crate::report::Output;
use crate::stage::{AlbumDone, Stage, StageContext, StageResult};

/// The file name.
pub const ALBUM_JSON: &str = "album.json";

/// Writes `album.json` after every download of an album or of one of its chapters. A
/// chapter download keeps the chapters an earlier `album.json` lists and updates its own.
pub(crate) struct AlbumJson;

impl Stage for AlbumJson {
    fn name(&self) -> &'static str {
        "album_json"
    }

    fn after_album(&self, cx: &StageContext, done: &AlbumDone) -> StageResult {
        let path = cx.album_dir.join(ALBUM_JSON);
        let chapters: Vec<Value> = done
            .report
            .chapters
            .iter()
            .map(|c| {
                let title = done
                    .chapters
                    .iter()
                    .find(|x| x.id == c.id)
                    .map_or_else(|| c.name.clone(), |x| x.name.clone());
                json!({
                    "id": c.id,
                    "title": title,
                    "index": c.index,
                    "dir": c.dir,
                    "complete": c.is_complete(),
                    "pages": c.pages,
                })
            })
            .collect();
        // A chapter download adds to what an earlier run wrote.
        let mut all: Vec<Value> = if cx.is_album_download() {
            Vec::new()
        } else {
            earlier_chapters(&path)
        };
        for c in chapters {
            all.retain(|old| old["id"] != c["id"]);
            all.push(c);
        }
        all.sort_by_key(|c| c["index"].as_u64().unwrap_or(u64::MAX));
        let doc = json!({
            "album": &*cx.album,
            "chapters": all,
            "outputs": done.report.outputs,
            "written_by": concat!("jmcomic (Rust) ", env!("CARGO_PKG_VERSION")),
        });
        let text = serde_json::to_vec_pretty(&doc)
            .map_err(|e| Cause::plugin(format!("cannot write {}: {e}", path.display())))?;
        crate::storage::write_atomic(&path, &text).map_err(|e| Cause::io("write", &path, e))?;
        let mut out = Output::new(self.name(), None, path, "json");
        out.bytes = text.len() as u64;
        Ok(vec![out])
    }
}

/// The chapters of an `album.json` this program wrote before (nothing if there is none or
/// it is not ours).
fn earlier_chapters(path: &std::path::Path) -> Vec<Value> {
    std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .filter(|v| {
            v["written_by"]
                .as_str()
                .is_some_and(|w| w.starts_with("jmcomic"))
        })
        .and_then(|v| v["chapters"].as_array().cloned())
        .unwrap_or_default()
}
