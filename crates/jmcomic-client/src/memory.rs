//! What a client learns about the site's domains that is worth keeping between runs: the
//! domains that last answered, and the list the domain servers gave.
//!
//! The client only hands this out ([`crate::Client::domain_memory`]) and takes it back
//! ([`crate::ClientBuilder::domain_memory`]); keeping it on disk is the caller's business
//! (the `jmcomic` crate's state file), as the client never touches the file system.

// Issue 12 item 4.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// The domains a client found working, and the last domain-server answer.
///
/// Every field is optional: a client that never used the CDN has no image domain to tell.
/// Domains are written as [`crate::Domain`] shows them (`https://host[:port]`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DomainMemory {
    /// The API domain that last answered well.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<String>,
    /// The image CDN host that last answered well.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// The web domain that last answered well (web protocol).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    /// The API domains the last domain-server refresh found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh: Option<DomainRefresh>,
}

impl DomainMemory {
    /// Whether there is nothing to remember.
    pub fn is_empty(&self) -> bool {
        self.api.is_none() && self.image.is_none() && self.html.is_none() && self.refresh.is_none()
    }
}

/// One answer of a domain server: which one, what it listed, and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DomainRefresh {
    /// The URL of the domain server that answered: a kept answer is only used by a client
    /// asking that same server.
    pub source: String,
    /// The API domains it listed, in order.
    pub domains: Vec<String>,
    /// When it answered, in seconds since the Unix epoch.
    pub fetched_at: u64,
}

impl DomainRefresh {
    /// An answer of `source` listing `domains`, fetched at `at`.
    pub fn new(source: impl Into<String>, domains: Vec<String>, at: SystemTime) -> Self {
        Self {
            source: source.into(),
            domains,
            fetched_at: unix_secs(at),
        }
    }

    /// How old the answer is at `now`; `None` when it claims to come from the future (a
    /// clock that was set back, or a hand-edited file), which is not to be trusted.
    pub fn age(&self, now: SystemTime) -> Option<Duration> {
        unix_secs(now)
            .checked_sub(self.fetched_at)
            .map(Duration::from_secs)
    }

    /// Whether the answer is younger than `lifetime` at `now`.
    pub fn is_fresh(&self, now: SystemTime, lifetime: Duration) -> bool {
        self.age(now).is_some_and(|age| age < lifetime)
    }
}

/// Seconds since the Unix epoch (0 before it).
pub(crate) fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freshness() {
        let now = SystemTime::now();
        let day = Duration::from_secs(86_400);
        let r = DomainRefresh::new("u", vec!["a".into()], now - Duration::from_secs(3600));
        assert!(r.is_fresh(now, day));
        assert!(!r.is_fresh(now, Duration::from_secs(60)));
        let future = DomainRefresh::new("u", vec![], now + day);
        assert_eq!(future.age(now), None);
        assert!(!future.is_fresh(now, day));
    }

    #[test]
    fn empty_fields_are_left_out() {
        let m = DomainMemory {
            api: Some("https://a".into()),
            ..DomainMemory::default()
        };
        assert_eq!(serde_json::to_string(&m).unwrap(), r#"{"api":"https://a"}"#);
        let back: DomainMemory = serde_json::from_str("{}").unwrap();
        assert!(back.is_empty());
    }
}
