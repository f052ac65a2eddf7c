//! The whole per-page CPU step: decide between writing the downloaded bytes unchanged and
//! decode → descramble → encode.

use crate::decode::{Limits, decode_with};
use crate::descramble::descramble_into;
use crate::encode::{EncodeSettings, encode};
use crate::error::{Error, Result};
use crate::format::{Format, check_complete, sniff};
use crate::image::RgbImage;
use crate::workspace::Workspace;

/// How thoroughly a page that is written without re-encoding is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Verify {
    /// [`check_complete`] only: catches truncated downloads for a few microseconds.
    #[default]
    Structure,
    /// [`check_complete`] and a full decode under the [`Limits`]: also catches corrupt pixel
    /// data, at the cost of a decode (17 ms for a 1100×1600 WebP, measured). GIFs are never
    /// decoded, so for them this is the same as `Structure`.
    // perf.md §2.3(a).
    Full,
}

/// One downloaded page and what to make of it.
#[derive(Debug, Clone, Copy)]
pub struct PageJob<'a> {
    /// The bytes as downloaded.
    pub bytes: &'a [u8],
    /// Strip count from [`strip_count`](crate::strip_count), or 0 when descrambling is off.
    pub strips: u32,
    /// The wanted output format (from the target file's suffix).
    pub target: Format,
    /// Encoder settings, used when the page is re-encoded.
    pub settings: &'a EncodeSettings,
    /// Decode limits.
    pub limits: &'a Limits,
    /// Verification of pages written without re-encoding.
    pub verify: Verify,
}

/// What to write for a page.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PageOutput {
    /// Write [`PageJob::bytes`] unchanged.
    Raw,
    /// Write these bytes instead.
    Encoded {
        /// The encoded page.
        bytes: Vec<u8>,
        /// Their format (the job's target).
        format: Format,
    },
}

/// The per-page CPU step, improving on the Python package, which re-encodes every page, even
/// unscrambled ones already in the target format:
///
/// 1. The real format is sniffed from the bytes, not the URL; unknown bytes (a CDN error page)
///    are [`Error::UnknownFormat`].
/// 2. A GIF is never decoded or descrambled: [`PageOutput::Raw`] after [`check_complete`];
///    the caller keeps the `.gif` suffix.
/// 3. Nothing to undo (`strips` 0, or 1, which is the identity) and the sniffed format is the
///    target: [`PageOutput::Raw`] after verification ([`Verify`]). No re-encode: lossless and
///    about 500× cheaper than Pillow's round trip.
/// 4. Otherwise: [`check_complete`], [`decode`](fn@crate::decode) under the limits,
///    [`descramble`](fn@crate::descramble), [`encode`] to the target. A GIF target for a
///    non-GIF page is [`Error::Unsupported`], since this crate writes no GIFs.
///
/// Errors with [`Error::is_corrupt_input`] mean the download is bad and worth fetching again.
// Spec §4.5, §7.3 (when the Python package decodes), W17 (its needless re-encoding);
// perf.md §4 point 3 (the 500× figure).
pub fn process_page(job: &PageJob<'_>) -> Result<PageOutput> {
    process_page_with(job, &mut Workspace::new())
}

/// [`process_page`] reusing the buffers of a [`Workspace`]: what a worker thread that
/// processes many pages should call.
pub fn process_page_with(job: &PageJob<'_>, ws: &mut Workspace) -> Result<PageOutput> {
    let format = sniff(job.bytes).ok_or(Error::UnknownFormat)?;
    check_complete(job.bytes)?;
    if format == Format::Gif {
        return Ok(PageOutput::Raw);
    }
    if job.strips <= 1 && format == job.target {
        if job.verify == Verify::Full {
            let checked = decode_with(job.bytes, job.limits, ws)?;
            ws.recycle(checked);
        }
        return Ok(PageOutput::Raw);
    }
    if job.target == Format::Gif {
        // Fail before the expensive decode.
        return Err(Error::Unsupported {
            format: Format::Gif,
            op: "encoding",
        });
    }
    let image = decode_with(job.bytes, job.limits, ws)?;
    let image = if job.strips <= 1 {
        image
    } else {
        let mut out = RgbImage {
            width: image.width,
            height: image.height,
            data: ws.take(image.data.len()),
        };
        let done = descramble_into(
            &image.data,
            &mut out.data,
            image.width,
            image.height,
            job.strips,
        );
        ws.recycle(image);
        if let Err(e) = done {
            ws.recycle(out);
            return Err(e);
        }
        out
    };
    let encoded = encode(&image, job.target, job.settings);
    ws.recycle(image);
    let bytes = encoded?;
    Ok(PageOutput::Encoded {
        bytes,
        format: job.target,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::decode;
    use crate::descramble::descramble;
    use crate::image::RgbImage;

    fn job<'a>(
        bytes: &'a [u8],
        strips: u32,
        target: Format,
        settings: &'a EncodeSettings,
        limits: &'a Limits,
    ) -> PageJob<'a> {
        PageJob {
            bytes,
            strips,
            target,
            settings,
            limits,
            verify: Verify::Structure,
        }
    }

    #[test]
    fn rules() {
        let settings = EncodeSettings::default();
        let limits = Limits::default();
        let img = RgbImage::new(4, 6, (0..72).collect()).unwrap();
        let png = encode(&img, Format::Png, &settings).unwrap();

        // Same format, no strips: raw.
        let out = process_page(&job(&png, 0, Format::Png, &settings, &limits)).unwrap();
        assert_eq!(out, PageOutput::Raw);
        // One strip is the identity: raw too.
        let out = process_page(&job(&png, 1, Format::Png, &settings, &limits)).unwrap();
        assert_eq!(out, PageOutput::Raw);
        // Other format: encoded.
        let out = process_page(&job(&png, 0, Format::Jpeg, &settings, &limits)).unwrap();
        assert!(matches!(
            out,
            PageOutput::Encoded {
                format: Format::Jpeg,
                ..
            }
        ));
        // Scrambled: encoded, descrambled.
        let out = process_page(&job(&png, 2, Format::Png, &settings, &limits)).unwrap();
        let PageOutput::Encoded { bytes, format } = out else {
            panic!("expected encoded output");
        };
        assert_eq!(format, Format::Png);
        assert_eq!(decode(&bytes, &limits).unwrap(), descramble(&img, 2));
        // GIF target for a PNG page.
        let err = process_page(&job(&png, 2, Format::Gif, &settings, &limits)).unwrap_err();
        assert!(matches!(err, Error::Unsupported { .. }));
        // Truncated.
        let err = process_page(&job(
            &png[..png.len() - 1],
            0,
            Format::Png,
            &settings,
            &limits,
        ))
        .unwrap_err();
        assert!(err.is_corrupt_input());
        // Garbage.
        let err = process_page(&job(b"", 0, Format::Png, &settings, &limits)).unwrap_err();
        assert_eq!(err, Error::UnknownFormat);
    }
}
