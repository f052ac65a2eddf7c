//! The client's error type.

use std::fmt;
use std::time::Duration;

use jmcomic_model::{JmId, Kind};

use crate::protocol::ProtocolKind;

/// Everything that can go wrong talking to the site.
///
/// Variants carry the id or URL they concern. URLs never contain credentials (the API signs
/// with headers, cookies travel in headers), so messages are safe to log.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The album or chapter does not exist (or is visible to logged-in users only).
    #[error(
        "{kind} {id} was not found on the site{}: check the id, or log in (set the `AVS` cookie) if the work is for members only",
        detail.as_deref().map(|d| format!(" ({d})")).unwrap_or_default()
    )]
    NotFound {
        /// Album or chapter.
        kind: Kind,
        /// The id asked for.
        id: JmId,
        /// The site's message, if it sent one.
        detail: Option<String>,
    },
    /// No image server has the page (HTTP 404 everywhere).
    #[error("page {path} was not found on any image server (HTTP 404)")]
    ImageNotFound {
        /// CDN path of the page.
        path: String,
    },
    /// The site answered with a different entity: the placeholder album it sends to clients
    /// without valid cookies.
    // Spec §6.2.7.
    #[error(
        "asked for {kind} {requested} but the site answered with {kind} {got}, the placeholder it sends to clients without valid cookies; check `client.postman.meta_data.cookies`"
    )]
    Placeholder {
        /// Album or chapter.
        kind: Kind,
        /// The id asked for.
        requested: JmId,
        /// The id the site sent.
        got: String,
    },
    /// The API refused the request ("Not legal."): a stale app version or a bad signature.
    #[error(
        "the site rejected the request to {url}: {message:?}; this usually means the app version is out of date: set `client.app_version` to the current app's version"
    )]
    Rejected {
        /// The request URL.
        url: String,
        /// The site's `errorMsg`.
        message: String,
    },
    /// The API answered with an error code other than 200.
    #[error("the site answered {url} with code {code}: {message}")]
    Api {
        /// The request URL.
        url: String,
        /// The envelope's `code`.
        code: i64,
        /// The envelope's `errorMsg`.
        message: String,
    },
    /// Access is blocked: HTTP 403, a Cloudflare challenge, or a region block.
    #[error("access to {url} is blocked (HTTP {status}): {reason}")]
    Blocked {
        /// The request URL.
        url: String,
        /// HTTP status.
        status: u16,
        /// What the site said.
        reason: String,
    },
    /// An HTTP status that is neither success nor one of the cases above.
    #[error("{url} answered HTTP {status}")]
    Status {
        /// The request URL.
        url: String,
        /// HTTP status.
        status: u16,
        /// `Retry-After`, when the server sent one.
        retry_after: Option<Duration>,
    },
    /// The request failed on the way: connection refused or reset, timeout, truncated body.
    #[error("request to {url} failed: {}", describe_transport(source))]
    Transport {
        /// The request URL.
        url: String,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },
    /// The response makes no sense: not JSON, empty, the site's database error page,
    /// undecryptable data, not an image…
    #[error("unexpected response from {url}: {reason}")]
    BadResponse {
        /// The request URL.
        url: String,
        /// What was wrong.
        reason: String,
    },
    /// The response body is larger than the configured limit.
    #[error("the response of {url} is larger than {limit} bytes")]
    TooLarge {
        /// The request URL.
        url: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// Every domain failed for every retry.
    #[error("{what}: failed {attempts} times on {} ({domains}); last error: {last}",
        if domains.len() == 1 { "the only domain".to_owned() } else { format!("all {} domains", domains.len()) },
        attempts = attempts.len(), domains = domains.join(", "))]
    AllDomainsFailed {
        /// What was being fetched (a path).
        what: String,
        /// The domains tried.
        domains: Vec<String>,
        /// Every failed attempt, oldest first (bounded).
        attempts: Vec<Attempt>,
        /// The last error.
        last: Box<Error>,
    },
    /// A configured domain cannot be used.
    #[error("invalid domain `{domain}`: {reason}")]
    InvalidDomain {
        /// The domain as configured.
        domain: String,
        /// Why.
        reason: String,
    },
    /// The configured proxy cannot be used.
    #[error("invalid proxy `{proxy}`: {reason}")]
    InvalidProxy {
        /// The proxy, with any password removed.
        proxy: String,
        /// Why.
        reason: String,
    },
    /// What was asked is not available through the protocol in use (the mobile API, for
    /// one, has no way to post comments).
    // Spec §6.2.9.
    #[error("the {protocol} protocol cannot {what}")]
    Unsupported {
        /// The protocol in use.
        protocol: ProtocolKind,
        /// What it cannot do, as a verb phrase ("post comments").
        what: String,
    },
    /// The site cannot answer the request as asked: a search keyword it finds too short,
    /// a category or sub-category it does not know. Asking again the same way gives the
    /// same answer.
    // Spec §6.3.4 (`/error/invalid_module`), §6.3.5 (the search page's error box).
    #[error("the site cannot answer {url}: {message}")]
    InvalidQuery {
        /// The request URL.
        url: String,
        /// What the site said, and what to change.
        message: String,
    },
    /// What was asked needs a logged-in session and this client has none (or the site says
    /// the session ended).
    #[error(
        "{what} needs a logged-in account: log in first (`jmcomic login`, the `login` plugin, or `Client::login`){}",
        if reason.is_empty() { String::new() } else { format!(" ({reason})") }
    )]
    NeedsLogin {
        /// What was asked, as a noun phrase ("the favourites").
        what: String,
        /// What the site said, if anything.
        reason: String,
    },
    /// The site refused the user name and password. Neither is kept in the error.
    #[error("the site refused the login of `{username}`: {message}")]
    LoginRefused {
        /// The user name tried.
        username: String,
        /// The site's message.
        message: String,
    },
    /// The site accepted a change but did not make it (a favourite that will not flip, a
    /// comment without an id); trying again later may help.
    #[error("{what} did not take effect: {reason}")]
    NotApplied {
        /// The change asked for ("adding album 123 to the favourites").
        what: String,
        /// What was seen instead.
        reason: String,
    },
    /// The HTTP client could not be built (TLS set-up, bad header value…).
    #[error("could not set up the HTTP client: {0}")]
    Build(String),
    /// A DNS-over-HTTPS resolver URL that cannot be used (see
    /// [`crate::ClientBuilder::dns`]).
    #[error("DNS-over-HTTPS resolver {url:?}: {reason}")]
    InvalidDns {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A host name could not be looked up ([`crate::DohResolver::lookup`]; a lookup made
    /// for a request fails the request as [`Error::Transport`], with this as its cause).
    #[error("cannot look up {host}: {reason}")]
    Dns {
        /// The host name.
        host: String,
        /// Why.
        reason: String,
    },
}

/// One failed attempt of a request, kept for the final error message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The domain tried.
    pub domain: String,
    /// What went wrong.
    pub error: String,
    /// The HTTP status, when the attempt got one.
    pub status: Option<u16>,
}

impl fmt::Display for Attempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.domain, self.error)
    }
}

/// Says in a few words what went wrong on the wire: reqwest's own chain ("error decoding
/// response body: request or response body error: error reading a body from connection: …")
/// names its layers, not the problem.
fn describe_transport(err: &reqwest::Error) -> String {
    let mut innermost: &dyn std::error::Error = err;
    while let Some(s) = innermost.source() {
        innermost = s;
    }
    let cause = innermost.to_string();
    if err.is_timeout() {
        "timed out (the server sent nothing for too long)".to_owned()
    } else if err.is_connect() && cause.contains("certificate") {
        // rustls says only "invalid peer certificate: UnknownIssuer"; say what it means and
        // the way out, which must stay a deliberate choice.
        format!(
            "cannot connect: the server's TLS certificate is not trusted ({cause}); only for a \
             mirror you trust, `client.verify_tls: false` turns the check off"
        )
    } else if err.is_connect() {
        format!("cannot connect: {cause}")
    } else if err.is_body() || err.is_decode() {
        format!("the response body broke off: {cause}")
    } else {
        cause
    }
}

impl Error {
    /// The album, chapter or page does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. } | Error::ImageNotFound { .. })
    }

    /// A failure that may go away by itself: network errors, 5xx, rate limits, garbled
    /// responses. Retrying later (or from another domain) can help.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Transport { .. }
            | Error::BadResponse { .. }
            | Error::TooLarge { .. }
            | Error::Dns { .. } => true,
            Error::Status { status, .. } => *status >= 500 || *status == 429 || *status == 408,
            Error::AllDomainsFailed { last, .. } => last.is_transient(),
            _ => false,
        }
    }

    /// Access is blocked (403, Cloudflare, region block) everywhere it was tried.
    pub fn is_blocked(&self) -> bool {
        match self {
            Error::Blocked { .. } => true,
            Error::AllDomainsFailed { attempts, last, .. } => {
                last.is_blocked() && attempts.iter().all(|a| a.error.contains("blocked"))
            }
            _ => false,
        }
    }

    /// The request needs a logged-in session (see [`Error::NeedsLogin`]).
    pub fn needs_login(&self) -> bool {
        matches!(self, Error::NeedsLogin { .. })
    }

    /// The site sent something that could not be understood.
    pub fn is_bad_response(&self) -> bool {
        match self {
            Error::BadResponse { .. } => true,
            Error::AllDomainsFailed { last, .. } => last.is_bad_response(),
            _ => false,
        }
    }

    /// `Retry-After` of a rate-limit answer.
    pub(crate) fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// `Result` with the client's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
