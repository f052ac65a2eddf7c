//! A thin `unsafe` wrapper over libwebp-sys 0.14 (libwebp 1.6.0, the version Pillow 13
//! bundles). Not the `webp` crate: it pins an older libwebp-sys that cannot be linked next
//! to 0.14.

// perf.md §1.5 explains why not the `webp` crate.

use std::ffi::c_int;
use std::mem::MaybeUninit;

use libwebp_sys as sys;

/// What the bitstream header says, from `WebPGetFeatures` (which is also what `WebPGetInfo`
/// calls; it adds the animation flag we need to refuse animated pages).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Features {
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) has_animation: bool,
}

/// Why libwebp refused the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HeaderError {
    /// `VP8_STATUS_NOT_ENOUGH_DATA`: the bytes stop inside the headers.
    NotEnoughData,
    /// Any other status (bitstream error, unsupported feature, ...).
    Invalid(&'static str),
}

/// Reads the WebP headers only; no pixel is decoded and nothing is allocated.
pub(crate) fn features(data: &[u8]) -> Result<Features, HeaderError> {
    let mut out = MaybeUninit::<sys::WebPBitstreamFeatures>::zeroed();
    // SAFETY: `data` is a valid slice for `data.len()` bytes; `out` is a valid, writable
    // `WebPBitstreamFeatures`. libwebp only reads inside `data`.
    let status = unsafe { sys::WebPGetFeatures(data.as_ptr(), data.len(), out.as_mut_ptr()) };
    if status != sys::VP8StatusCode::VP8_STATUS_OK {
        return Err(match status {
            sys::VP8StatusCode::VP8_STATUS_NOT_ENOUGH_DATA => HeaderError::NotEnoughData,
            sys::VP8StatusCode::VP8_STATUS_UNSUPPORTED_FEATURE => {
                HeaderError::Invalid("unsupported feature")
            }
            sys::VP8StatusCode::VP8_STATUS_OUT_OF_MEMORY => HeaderError::Invalid("out of memory"),
            _ => HeaderError::Invalid("bitstream error in the headers"),
        });
    }
    // SAFETY: zero-initialised plain C struct, filled in by libwebp on success.
    let f = unsafe { out.assume_init() };
    match (u32::try_from(f.width), u32::try_from(f.height)) {
        (Ok(width), Ok(height)) if width > 0 && height > 0 => Ok(Features {
            width,
            height,
            has_animation: f.has_animation != 0,
        }),
        _ => Err(HeaderError::Invalid("non-positive dimensions")),
    }
}

/// Decodes into `out` as packed RGB (alpha dropped, as Pillow's `convert('RGB')` does).
/// `out` must hold `stride * height` bytes; libwebp checks that itself and fails instead of
/// writing past the end.
pub(crate) fn decode_rgb_into(data: &[u8], out: &mut [u8], stride: usize) -> bool {
    let Ok(stride) = c_int::try_from(stride) else {
        return false;
    };
    // SAFETY: both slices are valid for their lengths; libwebp writes at most
    // `out.len()` bytes (it returns NULL when the buffer is too small).
    let ret = unsafe {
        sys::WebPDecodeRGBInto(
            data.as_ptr(),
            data.len(),
            out.as_mut_ptr(),
            out.len(),
            stride,
        )
    };
    !ret.is_null()
}

/// libwebp encoder settings, already validated by the caller's types.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EncodeParams {
    pub(crate) quality: f32,
    pub(crate) method: u8,
    pub(crate) lossless: bool,
}

/// Frees the picture on every path (`WebPPictureFree` is a no-op on an empty picture).
struct PictureGuard(sys::WebPPicture);

impl Drop for PictureGuard {
    fn drop(&mut self) {
        // SAFETY: the picture was initialised by `WebPPictureInit`; freeing is always allowed.
        unsafe { sys::WebPPictureFree(&raw mut self.0) };
    }
}

/// Frees the memory writer's buffer on every path.
struct WriterGuard(sys::WebPMemoryWriter);

impl Drop for WriterGuard {
    fn drop(&mut self) {
        // SAFETY: initialised by `WebPMemoryWriterInit`; clearing frees `mem` (or nothing).
        unsafe { sys::WebPMemoryWriterClear(&raw mut self.0) };
    }
}

/// Encodes packed RGB the way `WebPEncodeRGB` does (picture_enc.c `Encode`: preset default,
/// `use_argb = lossless`, `WebPPictureImportRGB`, memory writer), but with `method` and
/// `lossless` under our control. With quality 80, method 4 and lossy this reproduces
/// `WebPEncodeRGB(q=80)` and therefore Pillow's `.webp` output byte for byte.
// perf.md §2.5.
pub(crate) fn encode_rgb(
    rgb: &[u8],
    width: u32,
    height: u32,
    params: EncodeParams,
) -> Result<Vec<u8>, String> {
    let w = c_int::try_from(width).map_err(|_| "width out of range".to_owned())?;
    let h = c_int::try_from(height).map_err(|_| "height out of range".to_owned())?;
    let stride = width
        .checked_mul(3)
        .and_then(|s| c_int::try_from(s).ok())
        .ok_or_else(|| "row stride out of range".to_owned())?;
    let needed = (stride as usize).checked_mul(height as usize);
    if needed != Some(rgb.len()) {
        return Err(format!(
            "RGB buffer has {} bytes for {width}x{height}",
            rgb.len()
        ));
    }
    if !params.quality.is_finite() {
        return Err("quality is not a finite number".to_owned());
    }

    let mut config =
        sys::WebPConfig::new_with_preset(sys::WebPPreset::WEBP_PRESET_DEFAULT, params.quality)
            .map_err(|()| "libwebp version mismatch (WebPConfigInit failed)".to_owned())?;
    config.method = c_int::from(params.method);
    config.lossless = c_int::from(params.lossless);
    // SAFETY: `config` is a fully initialised WebPConfig.
    if unsafe { sys::WebPValidateConfig(&raw const config) } == 0 {
        return Err(format!(
            "invalid settings (quality {}, method {})",
            params.quality, params.method
        ));
    }

    let mut picture = PictureGuard(
        sys::WebPPicture::new()
            .map_err(|()| "libwebp version mismatch (WebPPictureInit failed)".to_owned())?,
    );
    let mut writer = WriterGuard({
        let mut w = MaybeUninit::<sys::WebPMemoryWriter>::zeroed();
        // SAFETY: `w` is valid writable memory for a WebPMemoryWriter.
        unsafe {
            sys::WebPMemoryWriterInit(w.as_mut_ptr());
            w.assume_init()
        }
    });
    picture.0.use_argb = c_int::from(params.lossless);
    picture.0.width = w;
    picture.0.height = h;
    picture.0.writer = Some(sys::WebPMemoryWrite);
    picture.0.custom_ptr = (&raw mut writer.0).cast();

    // SAFETY: `rgb` holds `stride * height` bytes (checked above); libwebp copies it into the
    // picture's own planes. `writer` outlives the `WebPEncode` call that writes through
    // `custom_ptr`, and both guards free their memory on every return path.
    let ok = unsafe {
        sys::WebPPictureImportRGB(&raw mut picture.0, rgb.as_ptr(), stride) != 0
            && sys::WebPEncode(&raw const config, &raw mut picture.0) != 0
    };
    if !ok {
        return Err(format!("libwebp error {:?}", picture.0.error_code));
    }
    if writer.0.mem.is_null() || writer.0.size == 0 {
        return Err("libwebp produced no output".to_owned());
    }
    // SAFETY: on success `mem` points at `size` initialised bytes owned by the writer.
    let out = unsafe { std::slice::from_raw_parts(writer.0.mem, writer.0.size) }.to_vec();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_errors() {
        assert_eq!(features(b"").unwrap_err(), HeaderError::NotEnoughData);
        assert!(features(b"RIFF\x04\0\0\0WEBP").is_err());
        assert!(features(&[0u8; 64]).is_err());
    }

    #[test]
    fn encode_rejects_bad_buffers_and_settings() {
        let params = EncodeParams {
            quality: 80.0,
            method: 4,
            lossless: false,
        };
        assert!(encode_rgb(&[0; 5], 1, 2, params).is_err());
        assert!(encode_rgb(&[0; 6], 1, 2, params).is_ok());
        let bad_method = EncodeParams {
            method: 9,
            ..params
        };
        assert!(encode_rgb(&[0; 6], 1, 2, bad_method).is_err());
        let nan = EncodeParams {
            quality: f32::NAN,
            ..params
        };
        assert!(encode_rgb(&[0; 6], 1, 2, nan).is_err());
        assert!(encode_rgb(&vec![0; 20_000 * 3], 20_000, 1, params).is_err());
    }

    #[test]
    fn decode_into_too_small_buffer_fails() {
        let webp = encode_rgb(
            &[10; 4 * 4 * 3],
            4,
            4,
            EncodeParams {
                quality: 80.0,
                method: 0,
                lossless: true,
            },
        )
        .unwrap();
        let mut small = vec![0; 4 * 3 * 3];
        assert!(!decode_rgb_into(&webp, &mut small, 12));
        let mut full = vec![0; 4 * 4 * 3];
        assert!(decode_rgb_into(&webp, &mut full, 12));
        assert!(full.iter().all(|&b| b == 10));
    }
}
