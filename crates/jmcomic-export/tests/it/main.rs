//! Integration tests of the exporters: every output is opened with a reader other than the
//! library that wrote it.
#![allow(clippy::unwrap_used)]

mod archive;
mod long_image;
mod opf;
mod pdf;
