//! The decoded picture: packed 8-bit RGB.

use crate::error::{Error, Result};

/// An 8-bit RGB image, rows top to bottom, no padding: `data.len() == width * height * 3`.
///
/// The fields are public for cheap access; [`RgbImage::new`] is the checked way to build one.
/// Functions that take an image re-check the length and return [`Error::BadBuffer`] rather
/// than panic when the fields were set inconsistently.
#[derive(Clone, PartialEq, Eq)]
pub struct RgbImage {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels (rows).
    pub height: u32,
    /// `width * height` pixels of `[r, g, b]`, row by row from the top.
    pub data: Vec<u8>,
}

impl RgbImage {
    /// Wraps `data`, checking that it holds exactly `width * height * 3` bytes.
    pub fn new(width: u32, height: u32, data: Vec<u8>) -> Result<Self> {
        check_len("RGB data", data.len(), width, height)?;
        Ok(Self {
            width,
            height,
            data,
        })
    }

    /// A black image of the given size.
    pub fn zeroed(width: u32, height: u32) -> Result<Self> {
        let len = Self::byte_len(width, height).ok_or(Error::BadBuffer {
            what: "RGB data",
            expected: usize::MAX,
            actual: 0,
        })?;
        Ok(Self {
            width,
            height,
            data: vec![0; len],
        })
    }

    /// `width * height * 3`, or `None` when that does not fit in `usize`.
    pub fn byte_len(width: u32, height: u32) -> Option<usize> {
        (width as usize)
            .checked_mul(height as usize)?
            .checked_mul(3)
    }

    /// Bytes per row (`width * 3`).
    pub fn stride(&self) -> usize {
        self.width as usize * 3
    }

    /// `true` when `data` has the length the dimensions require.
    pub fn is_consistent(&self) -> bool {
        Self::byte_len(self.width, self.height) == Some(self.data.len())
    }

    /// Row `y` (`width * 3` bytes), or `None` when out of range.
    pub fn row(&self, y: u32) -> Option<&[u8]> {
        if y >= self.height {
            return None;
        }
        let stride = self.stride();
        let start = (y as usize).checked_mul(stride)?;
        self.data.get(start..start.checked_add(stride)?)
    }

    /// The pixel at `(x, y)`, or `None` when out of range.
    pub fn pixel(&self, x: u32, y: u32) -> Option<[u8; 3]> {
        if x >= self.width {
            return None;
        }
        let row = self.row(y)?;
        let at = x as usize * 3;
        row.get(at..at + 3)?.try_into().ok()
    }
}

impl std::fmt::Debug for RgbImage {
    // The pixel data would flood any log; show its size instead.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RgbImage")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("data_len", &self.data.len())
            .finish()
    }
}

/// Checks a buffer length against `width * height * 3`.
pub(crate) fn check_len(what: &'static str, actual: usize, width: u32, height: u32) -> Result<()> {
    match RgbImage::byte_len(width, height) {
        Some(expected) if expected == actual => Ok(()),
        expected => Err(Error::BadBuffer {
            what,
            expected: expected.unwrap_or(usize::MAX),
            actual,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_checks_length() {
        assert!(RgbImage::new(2, 3, vec![0; 18]).is_ok());
        let err = RgbImage::new(2, 3, vec![0; 17]).unwrap_err();
        assert_eq!(
            err,
            Error::BadBuffer {
                what: "RGB data",
                expected: 18,
                actual: 17
            }
        );
        assert!(RgbImage::new(0, 0, vec![]).is_ok());
    }

    #[test]
    fn accessors() {
        let img = RgbImage::new(2, 2, (0..12).collect()).unwrap();
        assert_eq!(img.row(1), Some(&[6, 7, 8, 9, 10, 11][..]));
        assert_eq!(img.row(2), None);
        assert_eq!(img.pixel(1, 0), Some([3, 4, 5]));
        assert_eq!(img.pixel(2, 0), None);
        assert!(img.is_consistent());
        let broken = RgbImage {
            width: 5,
            ..img.clone()
        };
        assert!(!broken.is_consistent());
        assert_eq!(broken.row(0), None);
        assert_eq!(
            format!("{img:?}"),
            "RgbImage { width: 2, height: 2, data_len: 12 }"
        );
    }

    #[test]
    fn zeroed_and_overflow() {
        let z = RgbImage::zeroed(3, 1).unwrap();
        assert_eq!(z.data, vec![0; 9]);
        // u32::MAX^2 * 3 overflows a 64-bit usize too.
        assert_eq!(RgbImage::byte_len(u32::MAX, u32::MAX), None);
        assert!(RgbImage::zeroed(u32::MAX, u32::MAX).is_err());
    }
}
