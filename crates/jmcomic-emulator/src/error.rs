//! The crate's one error type.

use std::io;
use std::net::SocketAddr;

/// Everything that can go wrong while configuring, starting or steering an [`Emulator`].
///
/// Request handling never produces this type: a malformed request is answered (400/404), it
/// never fails the server.
///
/// [`Emulator`]: crate::Emulator
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A listener could not be bound (port taken, address not local, ...).
    #[error("failed to bind {addr}")]
    Bind {
        /// The address that was asked for.
        addr: SocketAddr,
        /// The operating system's reason.
        #[source]
        source: io::Error,
    },
    /// The background runtime (or its thread) could not be started.
    #[error("failed to start the emulator runtime")]
    Runtime {
        /// The operating system's reason.
        #[source]
        source: io::Error,
    },
    /// The catalog breaks an invariant the server relies on (duplicate ids, empty album, ...).
    #[error("invalid catalog: {reason}")]
    InvalidCatalog {
        /// What is wrong, naming the offending id.
        reason: String,
    },
    /// A builder option has an unusable value.
    #[error("invalid option {option}: {reason}")]
    InvalidOption {
        /// The builder method / CLI flag.
        option: &'static str,
        /// What is wrong with the value.
        reason: String,
    },
    /// A fault spec string (CLI `--fault`) could not be parsed.
    #[error("invalid fault spec {spec:?}: {reason}")]
    FaultSpec {
        /// The text as given.
        spec: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A host index outside `0..api_hosts + cdn_hosts`.
    #[error("no host with index {index} (the emulator has {hosts} hosts)")]
    NoSuchHost {
        /// The index asked for.
        index: usize,
        /// How many hosts there are.
        hosts: usize,
    },
    /// The TLS certificate or server configuration could not be made (`tls(true)`).
    #[error("failed to set up TLS: {reason}")]
    Tls {
        /// The TLS library's message.
        reason: String,
    },
    /// The emulator's runtime is gone (it panicked or was stopped).
    #[error("the emulator runtime has stopped")]
    Stopped,
    /// A page could not be encoded (only possible with a hand-made catalog of absurd sizes).
    #[error("failed to encode page {chapter_id}/{file_name}: {reason}")]
    Encode {
        /// Chapter (photo) id of the page.
        chapter_id: u64,
        /// File name of the page, e.g. `00001.webp`.
        file_name: String,
        /// The encoder's message.
        reason: String,
    },
}

/// Shorthand used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
