//! The one place that decides what to do after a failed request.

use std::time::Duration;

use crate::error::Error;

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// This domain looks bad right now: try the next one at once.
    NextDomain,
    /// Rate limited: try the next domain, and wait at least this long before coming back.
    Wait(Duration),
    /// Retrying cannot help (missing entity, rejected signature, blocked request…).
    Fatal,
}

/// Classifies an error: it retries what the Python package retries (server errors, bodies
/// that are not JSON, empty bodies, transport failures) and more, but never the ones that
/// cannot change.
// Spec §6.2.8 lists what the Python package retries.
pub(crate) fn classify(err: &Error) -> Verdict {
    match err {
        // Connection refused or reset, timeouts, truncated bodies: the domain or the path to
        // it is bad. reqwest's builder errors cannot happen per request (the client is built
        // once), so every transport error is worth another domain.
        Error::Transport { .. } => Verdict::NextDomain,
        // A name that cannot be looked up now: the next domain has another name.
        Error::Dns { .. } => Verdict::NextDomain,
        // Garbage, the "mysql" page, undecryptable data, oversized bodies: what a broken
        // mirror or a middlebox sends; another domain usually answers properly.
        Error::BadResponse { .. } | Error::TooLarge { .. } => Verdict::NextDomain,
        Error::Status {
            status,
            retry_after,
            ..
        } => match *status {
            429 => Verdict::Wait(retry_after.unwrap_or(Duration::from_secs(1))),
            // 5xx (the site's 520/524 included) and timeouts are the server's trouble.
            500..=599 | 408 => Verdict::NextDomain,
            // 404 on an API domain means the domain no longer serves the API; on the CDN the
            // page may still be on another server. The caller turns "404 everywhere" into
            // not-found.
            404 => Verdict::NextDomain,
            _ => Verdict::Fatal,
        },
        // A 403 or a Cloudflare challenge is often specific to one domain or edge.
        Error::Blocked { .. } => Verdict::NextDomain,
        // The answer is definite: retrying gives the same.
        Error::NotFound { .. }
        | Error::ImageNotFound { .. }
        | Error::Placeholder { .. }
        | Error::Rejected { .. }
        | Error::Api { .. }
        | Error::AllDomainsFailed { .. }
        | Error::InvalidDomain { .. }
        | Error::InvalidProxy { .. }
        | Error::InvalidDns { .. }
        | Error::Unsupported { .. }
        | Error::NeedsLogin { .. }
        | Error::LoginRefused { .. }
        | Error::NotApplied { .. }
        | Error::InvalidQuery { .. }
        | Error::Build(_) => Verdict::Fatal,
    }
}

/// How many times to go round the domains and how long to wait in between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Extra rounds over all domains after the first (the option `client.retry_times`).
    /// With `n` domains a request makes at most `n × (retry_times + 1)` attempts, the same
    /// budget as the Python package, but tries each domain once per round.
    // Spec §6.1.2.
    pub retry_times: u32,
    /// Wait after the first failed round; doubles each round.
    pub backoff_base: Duration,
    /// Longest wait between rounds.
    pub backoff_max: Duration,
    /// Longest `Retry-After` honoured; longer ones are cut to this.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            retry_times: 5,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// Wait before round `round + 1`: exponential with "equal jitter" (half fixed, half
    /// random) so many clients failing together do not come back together.
    pub(crate) fn backoff(&self, round: u32, retry_after: Option<Duration>) -> Duration {
        let exp = self
            .backoff_base
            .saturating_mul(1u32 << round.min(16))
            .min(self.backoff_max);
        let half = exp / 2;
        let jitter = half.mul_f64(fastrand::f64());
        let wait = half + jitter;
        match retry_after {
            Some(ra) => wait.max(ra.min(self.max_retry_after)),
            None => wait,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        let status = |s| Error::Status {
            url: "u".into(),
            status: s,
            retry_after: None,
        };
        assert_eq!(classify(&status(503)), Verdict::NextDomain);
        assert_eq!(classify(&status(404)), Verdict::NextDomain);
        assert_eq!(classify(&status(400)), Verdict::Fatal);
        let limited = Error::Status {
            url: "u".into(),
            status: 429,
            retry_after: Some(Duration::from_secs(3)),
        };
        assert_eq!(classify(&limited), Verdict::Wait(Duration::from_secs(3)));
        let rejected = Error::Rejected {
            url: "u".into(),
            message: "Not legal.".into(),
        };
        assert_eq!(classify(&rejected), Verdict::Fatal);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy::default();
        for round in 0..20 {
            let w = p.backoff(round, None);
            assert!(w <= p.backoff_max, "{w:?}");
            assert!(w >= (p.backoff_base * (1 << round.min(16))).min(p.backoff_max) / 2);
        }
        let w = p.backoff(0, Some(Duration::from_secs(2)));
        assert!(w >= Duration::from_secs(2));
        let w = p.backoff(0, Some(Duration::from_secs(3600)));
        assert_eq!(w, p.max_retry_after);
    }
}
