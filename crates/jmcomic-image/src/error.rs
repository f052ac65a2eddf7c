//! The crate's one error type.

use crate::format::Format;

/// A `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Everything that can go wrong while sniffing, decoding, descrambling or encoding a page.
///
/// Errors about the *input bytes* ([`UnknownFormat`](Error::UnknownFormat),
/// [`Truncated`](Error::Truncated), [`Undecodable`](Error::Undecodable)) answer `true` to
/// [`Error::is_corrupt_input`]: the download is bad and fetching it again may help. The other
/// variants describe inputs that are well formed but refused, or our own failures.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bytes start with no magic number we know (WebP, JPEG, PNG, GIF). A CDN error page
    /// (HTML) or an empty body ends up here.
    #[error("unknown image format")]
    UnknownFormat,
    /// The container is cut short: a download that stopped early.
    #[error("truncated {format} data: {reason}")]
    Truncated {
        /// The format the bytes claim to be.
        format: Format,
        /// What is missing.
        reason: String,
    },
    /// The headers or the pixel data are invalid.
    #[error("undecodable {format} data: {reason}")]
    Undecodable {
        /// The format the bytes claim to be.
        format: Format,
        /// What the decoder reported.
        reason: String,
    },
    /// The header announces a picture larger than the [`Limits`](crate::Limits) allow; nothing
    /// was allocated for it.
    #[error(
        "{format} image of {width}x{height} exceeds the limits \
         ({max_width}x{max_height}, {max_pixels} pixels)"
    )]
    TooLarge {
        /// The format of the input.
        format: Format,
        /// Width announced by the header.
        width: u32,
        /// Height announced by the header.
        height: u32,
        /// [`Limits::max_width`](crate::Limits::max_width) in force.
        max_width: u32,
        /// [`Limits::max_height`](crate::Limits::max_height) in force.
        max_height: u32,
        /// [`Limits::max_pixels`](crate::Limits::max_pixels) in force.
        max_pixels: u64,
    },
    /// A well-formed input or request this crate does not handle by design, such as decoding
    /// a GIF (GIF pages are never decoded) or an animated WebP, or encoding a GIF.
    // Spec §4.5.
    #[error("{op} is not supported for {format}")]
    Unsupported {
        /// The format concerned.
        format: Format,
        /// The operation that was refused.
        op: &'static str,
    },
    /// The encoder failed (bad settings, a dimension the format cannot store, out of memory).
    #[error("cannot encode {format}: {reason}")]
    Encode {
        /// The output format.
        format: Format,
        /// What the encoder reported.
        reason: String,
    },
    /// A pixel buffer does not have the length its dimensions require.
    #[error("{what} has {actual} bytes, expected {expected}")]
    BadBuffer {
        /// Which buffer.
        what: &'static str,
        /// Required length in bytes (`usize::MAX` when the dimensions overflow).
        expected: usize,
        /// Actual length in bytes.
        actual: usize,
    },
}

impl Error {
    /// `true` when the input bytes themselves are bad (unknown format, truncated or
    /// undecodable), so the caller should treat the download as failed and fetch it again.
    pub fn is_corrupt_input(&self) -> bool {
        matches!(
            self,
            Self::UnknownFormat | Self::Truncated { .. } | Self::Undecodable { .. }
        )
    }

    /// `true` for [`Error::Truncated`]: the download most likely stopped early.
    pub fn is_truncated(&self) -> bool {
        matches!(self, Self::Truncated { .. })
    }

    /// The image format the error is about, when known.
    pub fn format(&self) -> Option<Format> {
        match self {
            Self::UnknownFormat | Self::BadBuffer { .. } => None,
            Self::Truncated { format, .. }
            | Self::Undecodable { format, .. }
            | Self::TooLarge { format, .. }
            | Self::Unsupported { format, .. }
            | Self::Encode { format, .. } => Some(*format),
        }
    }

    pub(crate) fn truncated(format: Format, reason: impl Into<String>) -> Self {
        Self::Truncated {
            format,
            reason: reason.into(),
        }
    }

    pub(crate) fn undecodable(format: Format, reason: impl Into<String>) -> Self {
        Self::Undecodable {
            format,
            reason: reason.into(),
        }
    }

    pub(crate) fn encode(format: Format, reason: impl Into<String>) -> Self {
        Self::Encode {
            format,
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrupt_input_predicate() {
        assert!(Error::UnknownFormat.is_corrupt_input());
        assert!(Error::truncated(Format::Png, "x").is_corrupt_input());
        assert!(Error::undecodable(Format::Jpeg, "x").is_corrupt_input());
        assert!(
            !Error::Unsupported {
                format: Format::Gif,
                op: "decode"
            }
            .is_corrupt_input()
        );
        assert!(!Error::encode(Format::Webp, "x").is_corrupt_input());
        let too_large = Error::TooLarge {
            format: Format::Png,
            width: 1,
            height: 2,
            max_width: 3,
            max_height: 4,
            max_pixels: 5,
        };
        assert!(!too_large.is_corrupt_input());
        assert_eq!(too_large.format(), Some(Format::Png));
        assert_eq!(
            too_large.to_string(),
            "PNG image of 1x2 exceeds the limits (3x4, 5 pixels)"
        );
    }

    #[test]
    fn truncated_predicate() {
        assert!(Error::truncated(Format::Gif, "no trailer").is_truncated());
        assert!(!Error::UnknownFormat.is_truncated());
        assert_eq!(Error::UnknownFormat.format(), None);
    }
}
