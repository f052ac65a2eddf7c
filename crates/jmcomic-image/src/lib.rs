//! Synchronous page work for the JMComic downloader: strip counts, descrambling, and decoding
//! and encoding WebP, JPEG and PNG (GIF is recognised and passed through).
//!
//! The JM CDN serves most pages "scrambled": cut into horizontal strips whose vertical order
//! is reversed. This crate knows how many strips a page has ([`strip_count`]) and
//! how to put them back ([`descramble`]), but nothing about albums, URLs or files: it takes
//! bytes and returns bytes, on the calling thread, with no I/O. Callers run it on a CPU pool,
//! never on async workers.
//!
//! [`process_page`] is the whole per-page step. It writes the downloaded bytes unchanged
//! whenever nothing needs undoing, and otherwise decodes ([`decode`]), descrambles and encodes
//! ([`encode`]) with codecs chosen by measurement: libwebp 1.6.0 (the version Pillow
//! bundles, so [`EncodeSettings::pillow`] reproduces the Python package's `.webp` files byte
//! for byte), libjpeg-turbo (the fastest JPEG encoder measured), and the `png` crate.
//! Untrusted input never panics: every problem is an [`Error`], and
//! [`Error::is_corrupt_input`] says when to download again.
//!
//! # Example
//!
//! ```
//! use jmcomic_image::{
//!     EncodeSettings, Format, Limits, PageJob, PageOutput, RgbImage, Verify, decode,
//!     descramble, encode, process_page, strip_count,
//! };
//!
//! // A scrambled page as the CDN would serve it (here made up: a 64x100 gradient).
//! let page = RgbImage::new(64, 100, (0..64 * 100 * 3).map(|i| (i % 251) as u8).collect())?;
//! let served = encode(&page, Format::Png, &EncodeSettings::default())?;
//!
//! // Chapter 350234, file 00001.webp, scramble id 220980: 2 strips, as the Python
//! // package's `get_num` computes.
//! let strips = strip_count(220_980, 350_234, "00001");
//! assert_eq!(strips, 2);
//!
//! let settings = EncodeSettings::default();
//! let limits = Limits::default();
//! let job = PageJob {
//!     bytes: &served,
//!     strips,
//!     target: Format::Png,
//!     settings: &settings,
//!     limits: &limits,
//!     verify: Verify::Structure,
//! };
//! match process_page(&job)? {
//!     PageOutput::Raw => unreachable!("a scrambled page is always re-encoded"),
//!     PageOutput::Encoded { bytes, format } => {
//!         assert_eq!(format, Format::Png);
//!         assert_eq!(decode(&bytes, &limits)?, descramble(&page, strips));
//!     }
//!     _ => {}
//! }
//! # Ok::<(), jmcomic_image::Error>(())
//! ```

#![deny(missing_docs)]

// Spec §7 (scrambling); perf.md §1.5 (codec choices).

mod decode;
mod descramble;
mod encode;
mod error;
mod format;
mod image;
mod jpeg;
mod page;
mod strips;
mod webp;
mod workspace;

pub use crate::decode::{Limits, decode, decode_with};
pub use crate::descramble::{descramble, descramble_into};
pub use crate::encode::{EncodeSettings, PngCompression, WebpSettings, encode};
pub use crate::error::{Error, Result};
pub use crate::format::{Format, check_complete, probe, sniff};
pub use crate::image::RgbImage;
pub use crate::page::{PageJob, PageOutput, Verify, process_page, process_page_with};
pub use crate::strips::strip_count;
pub use crate::workspace::Workspace;
