//! Exports of downloaded pages: PDF, ZIP/CBZ/7z archives, one long image, Calibre metadata.
//!
//! Exporters take page files already on disk, in reading order ([`PageFile`]), and write one
//! output file. They never touch the network and know nothing of option files: the `jmcomic`
//! crate maps its plugins and features onto them. Every output is written under a temporary
//! name and renamed when complete ([`PartFile`]), and carries a [`Fingerprint`] of its pages,
//! so a re-run over the same pages leaves an existing export alone ([`is_up_to_date`]).
//!
//! All work is synchronous and CPU- or disk-bound: call it from a blocking thread, never from
//! an async runtime's workers.
#![deny(missing_docs)]

mod error;
mod meta;
mod output;
mod pdf;
mod source;

pub use crate::error::{Error, Result};
pub use crate::meta::{ChapterMeta, ExportMeta};
pub use crate::output::{
    ExportKind, Exported, Fingerprint, MARKER_PREFIX, PartFile, TEMP_SUFFIX, is_temp_file,
    is_up_to_date, temp_path_for,
};
pub use crate::pdf::{PdfConvert, PdfOptions, verify_pdf, write_pdf};
pub use crate::source::{PageFile, decode_page, probe_page};
