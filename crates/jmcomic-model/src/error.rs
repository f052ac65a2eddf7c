//! The model crate's error type.

/// Errors of the model crate: only text that cannot be turned into an id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The text is not an album or chapter id in any accepted form.
    #[error("invalid id `{input}`: {reason}")]
    InvalidId {
        /// The text as given.
        input: String,
        /// Why it was rejected.
        reason: String,
    },
}

impl Error {
    pub(crate) fn invalid_id(input: &str, reason: impl Into<String>) -> Self {
        Error::InvalidId {
            input: input.to_owned(),
            reason: reason.into(),
        }
    }

    /// Replaces the quoted input (used when a prefix was stripped before parsing).
    pub(crate) fn with_input(self, input: &str) -> Self {
        match self {
            Error::InvalidId { reason, .. } => Error::InvalidId {
                input: input.to_owned(),
                reason,
            },
        }
    }
}

/// `Result` with the model crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
