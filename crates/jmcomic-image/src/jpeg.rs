//! JPEG decoding through the raw TurboJPEG 3 API (libjpeg-turbo, vendored by turbojpeg-sys).
//!
//! The `turbojpeg` crate's `Decompressor` turns every libjpeg *warning* into an error and
//! hides the handle, so `tj3GetErrorCode` cannot tell "3 extraneous bytes before marker"
//! (harmless; Pillow decodes such files without a word) from a fatal error. This wrapper keeps
//! the handle and makes that distinction. Encoding stays on the safe `turbojpeg::Compressor`.

use std::ffi::{CStr, c_int};

use turbojpeg::raw;

use crate::decode::Limits;
use crate::error::{Error, Result};
use crate::format::{Format, check_complete};
use crate::image::RgbImage;

/// Guard against progressive files with absurd numbers of scans (`TJPARAM_SCANLIMIT` exists
/// for this; see the libjpeg-turbo documentation); real pages have about a dozen at most.
const SCAN_LIMIT: c_int = 500;

/// A TurboJPEG decompressor handle, destroyed on drop.
struct Handle(raw::tjhandle);

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: the handle came from `tj3Init` and is destroyed exactly once.
        unsafe { raw::tj3Destroy(self.0) };
    }
}

impl Handle {
    fn new() -> Option<Handle> {
        // SAFETY: plain constructor call; a null result is handled.
        let ptr = unsafe { raw::tj3Init(raw::TJINIT_TJINIT_DECOMPRESS as c_int) };
        (!ptr.is_null()).then_some(Handle(ptr))
    }

    fn set(&mut self, param: raw::TJPARAM, value: c_int) -> bool {
        // SAFETY: valid handle; unknown parameters are reported, not UB.
        unsafe { raw::tj3Set(self.0, param as c_int, value) == 0 }
    }

    fn get(&mut self, param: raw::TJPARAM) -> c_int {
        // SAFETY: valid handle.
        unsafe { raw::tj3Get(self.0, param as c_int) }
    }

    /// `true` when the last failure was only a warning (the operation ran to completion).
    fn last_was_warning(&mut self) -> bool {
        // SAFETY: valid handle.
        let code = unsafe { raw::tj3GetErrorCode(self.0) };
        code == raw::TJERR_TJERR_WARNING as c_int
    }

    fn last_error(&mut self) -> String {
        // SAFETY: valid handle; TurboJPEG returns a NUL-terminated string it owns (never
        // null), which is copied before the handle is used again.
        unsafe {
            let msg = raw::tj3GetErrorStr(self.0);
            if msg.is_null() {
                return "unknown TurboJPEG error".to_owned();
            }
            CStr::from_ptr(msg).to_string_lossy().into_owned()
        }
    }
}

/// Decodes a JPEG to packed RGB. `width` and `height` come from our own SOF parse and have
/// already passed `limits`.
pub(crate) fn decode_rgb(
    bytes: &[u8],
    width: u32,
    height: u32,
    limits: &Limits,
    ws: &mut crate::workspace::Workspace,
) -> Result<RgbImage> {
    let undecodable = |reason: String| Error::undecodable(Format::Jpeg, reason);
    let mut h = Handle::new().ok_or_else(|| undecodable("cannot initialise TurboJPEG".into()))?;
    // A second, independent pixel limit inside libjpeg-turbo.
    let max_pixels = c_int::try_from(limits.max_pixels).unwrap_or(c_int::MAX);
    if !h.set(raw::TJPARAM_TJPARAM_SCANLIMIT, SCAN_LIMIT)
        || !h.set(raw::TJPARAM_TJPARAM_MAXPIXELS, max_pixels)
    {
        return Err(undecodable(h.last_error()));
    }

    // SAFETY: `bytes` is valid for its length; TurboJPEG only reads it.
    let rc = unsafe { raw::tj3DecompressHeader(h.0, bytes.as_ptr(), bytes.len() as _) };
    if rc != 0 && !h.last_was_warning() {
        return Err(undecodable(h.last_error()));
    }
    let colorspace = h.get(raw::TJPARAM_TJPARAM_COLORSPACE);
    if colorspace == raw::TJCS_TJCS_CMYK as c_int || colorspace == raw::TJCS_TJCS_YCCK as c_int {
        // TurboJPEG cannot convert these to RGB. "Unsupported", not "undecodable", keeps the
        // caller from downloading a fine file again and again.
        return Err(Error::Unsupported {
            format: Format::Jpeg,
            op: "decoding CMYK/YCCK",
        });
    }
    let (hw, hh) = (
        h.get(raw::TJPARAM_TJPARAM_JPEGWIDTH),
        h.get(raw::TJPARAM_TJPARAM_JPEGHEIGHT),
    );
    if u32::try_from(hw).ok() != Some(width) || u32::try_from(hh).ok() != Some(height) {
        // Both read the first SOF, so a mismatch means a malformed stream.
        return Err(undecodable(format!(
            "frame headers disagree ({width}x{height} vs {hw}x{hh})"
        )));
    }

    let stride = width as usize * 3;
    let pitch = c_int::try_from(stride).map_err(|_| undecodable("row too wide".into()))?;
    let len = RgbImage::byte_len(width, height).ok_or_else(|| undecodable("too large".into()))?;
    let mut data = ws.take(len);
    // SAFETY: `data` holds `pitch * height` bytes for the `width x height` RGB output that the
    // header announced (checked just above), so TurboJPEG writes inside it.
    let rc = unsafe {
        raw::tj3Decompress8(
            h.0,
            bytes.as_ptr(),
            bytes.len() as _,
            data.as_mut_ptr(),
            pitch,
            raw::TJPF_TJPF_RGB as c_int,
        )
    };
    if rc != 0 {
        if !h.last_was_warning() {
            ws.give(data);
            return Err(undecodable(h.last_error()));
        }
        // A warning means libjpeg-turbo decoded every row (TJPARAM_STOPONWARNING is off).
        // On a structurally complete file it is benign, as Pillow treats it; on a cut file
        // ("premature end of data") the missing rows were filled with grey, so refuse it.
        check_complete(bytes)?;
    }
    RgbImage::new(width, height, data)
}
