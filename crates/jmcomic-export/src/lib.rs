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

mod archive;
mod comicinfo;
mod error;
mod long_image;
mod meta;
mod opf;
mod output;
mod pdf;
mod source;

pub use crate::archive::{
    AesStrength, COMIC_INFO_NAME, SevenZipOptions, ZipCompression, ZipEncryption, ZipOptions,
    seven_zip_is_up_to_date, seven_zip_sidecar_path, verify_7z, verify_zip, write_7z, write_cbz,
    write_zip,
};
pub use crate::comicinfo::{ComicInfo, Manga, PagePicture, cbz_file_name};
pub use crate::error::{Error, Result};
pub use crate::long_image::{
    LongImageOptions, PNG_MAX_HEIGHT, long_png_size, verify_png, write_long_png,
};
pub use crate::meta::{ChapterMeta, ExportMeta};
pub use crate::opf::{DC_ELEMENTS, DC_NAMESPACE, OPF_NAMESPACE, OpfOptions, write_opf};
pub use crate::output::{
    ExportKind, Exported, Fingerprint, MARKER_PREFIX, PartFile, TEMP_SUFFIX, is_temp_file,
    is_up_to_date, temp_path_for,
};
pub use crate::pdf::{PdfConvert, PdfOptions, verify_pdf, write_pdf};
pub use crate::source::{PageFile, decode_page, probe_page};
