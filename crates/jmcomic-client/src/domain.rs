//! Domains (base URLs) and the pool that rotates through them.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::error::{Error, Result};

/// A base URL requests are sent to: a scheme and a host, optionally with a port.
///
/// The site's domains are bare host names and mean `https://`; a scheme and port may be
/// given explicitly (`http://127.0.0.1:8080`) so an emulator or a mirror can be used.
// Spec §6.1.2.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Domain {
    /// `scheme://host[:port]`, without a trailing slash.
    base: String,
}

impl Domain {
    /// Parses `host`, `https://host`, `http://host:port` (a trailing `/` is allowed).
    pub fn parse(text: &str) -> Result<Self> {
        let t = text.trim();
        let invalid = |reason: &str| Error::InvalidDomain {
            domain: text.to_owned(),
            reason: reason.to_owned(),
        };
        if t.is_empty() {
            return Err(invalid("empty"));
        }
        let with_scheme = if t.contains("://") {
            t.to_owned()
        } else {
            format!("https://{t}")
        };
        let url = url::Url::parse(&with_scheme).map_err(|e| invalid(&e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid("only http:// and https:// are supported"));
        }
        let Some(host) = url.host_str() else {
            return Err(invalid("no host"));
        };
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(invalid("a domain has no path or query"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid("a domain carries no credentials"));
        }
        let base = match url.port() {
            Some(port) => format!("{}://{host}:{port}", url.scheme()),
            None => format!("{}://{host}", url.scheme()),
        };
        Ok(Self { base })
    }

    /// Parses every entry, dropping blanks and duplicates (first one wins).
    pub fn parse_list<S: AsRef<str>>(items: &[S]) -> Result<Vec<Domain>> {
        let mut out: Vec<Domain> = Vec::new();
        for item in items {
            let s = item.as_ref();
            if s.trim().is_empty() {
                continue;
            }
            let d = Domain::parse(s)?;
            if !out.contains(&d) {
                out.push(d);
            }
        }
        Ok(out)
    }

    /// `scheme://host[:port]`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Whether the host is this machine (`localhost`, `127.x.x.x`, `::1`).
    pub fn is_loopback(&self) -> bool {
        let Ok(url) = url::Url::parse(&self.base) else {
            return false;
        };
        match url.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        }
    }

    /// Scheme, host (IPv6 in brackets) and port (the scheme's default when not given).
    pub(crate) fn parts(&self) -> (String, String, u16) {
        match url::Url::parse(&self.base) {
            Ok(u) => (
                u.scheme().to_owned(),
                u.host_str().unwrap_or_default().to_owned(),
                u.port_or_known_default().unwrap_or(443),
            ),
            Err(_) => ("https".to_owned(), self.base.clone(), 443),
        }
    }

    /// The full URL of a path (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.base)
    }
}

impl fmt::Debug for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Domain({})", self.base)
    }
}

/// An ordered set of domains with a sticky "last good" one.
///
/// Every request starts at the domain that last answered well, so a dead first domain costs
/// one failure, not one per request (the Python package restarts at domain 0 each time).
/// A pool can also start at a preferred domain (one that worked in an earlier run), so a
/// new process does not walk the dead ones first either.
// Spec W4.
#[derive(Debug)]
pub(crate) struct DomainPool {
    domains: Vec<Domain>,
    start: AtomicUsize,
    /// Whether a domain of this pool answered well (the one at `start`).
    answered: AtomicBool,
}

impl DomainPool {
    pub(crate) fn new(domains: Vec<Domain>) -> Self {
        Self::starting_at(domains, None)
    }

    /// A pool whose first round starts at `preferred` when it is one of `domains` (and at
    /// the first domain otherwise).
    pub(crate) fn starting_at(domains: Vec<Domain>, preferred: Option<&Domain>) -> Self {
        let start = preferred
            .and_then(|p| domains.iter().position(|d| d == p))
            .unwrap_or(0);
        Self {
            domains,
            start: AtomicUsize::new(start),
            answered: AtomicBool::new(false),
        }
    }

    pub(crate) fn domains(&self) -> &[Domain] {
        &self.domains
    }

    pub(crate) fn len(&self) -> usize {
        self.domains.len()
    }

    /// Indexes of all domains, starting at the sticky one.
    pub(crate) fn order(&self) -> impl Iterator<Item = usize> + use<> {
        let n = self.domains.len();
        let start = if n == 0 {
            0
        } else {
            self.start.load(Ordering::Relaxed) % n
        };
        (0..n).map(move |i| (start + i) % n)
    }

    pub(crate) fn get(&self, index: usize) -> Option<&Domain> {
        self.domains.get(index)
    }

    /// Remembers the domain that just answered well.
    pub(crate) fn mark_good(&self, index: usize) {
        self.start.store(index, Ordering::Relaxed);
        self.answered.store(true, Ordering::Relaxed);
    }

    /// The domain that last answered well, if any did.
    pub(crate) fn last_good(&self) -> Option<&Domain> {
        if !self.answered.load(Ordering::Relaxed) {
            return None;
        }
        self.domains
            .get(self.start.load(Ordering::Relaxed) % self.domains.len().max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_domain_forms() {
        assert_eq!(
            Domain::parse("www.cdnhjk.net").unwrap().base(),
            "https://www.cdnhjk.net"
        );
        assert_eq!(
            Domain::parse(" https://18comic.vip/ ").unwrap().base(),
            "https://18comic.vip"
        );
        assert_eq!(
            Domain::parse("http://127.0.0.1:8080")
                .unwrap()
                .url("/album"),
            "http://127.0.0.1:8080/album"
        );
        for bad in ["", "ftp://x", "https://x/path", "http://u:p@x", "http://"] {
            assert!(Domain::parse(bad).is_err(), "{bad}");
        }
        assert!(
            Domain::parse("http://127.0.0.1:8080")
                .unwrap()
                .is_loopback()
        );
        assert!(Domain::parse("http://[::1]:1").unwrap().is_loopback());
        assert!(Domain::parse("localhost:9").unwrap().is_loopback());
        assert!(!Domain::parse("18comic.vip").unwrap().is_loopback());
        let list = Domain::parse_list(&["a.com", "", "https://a.com", "b.com"]).unwrap();
        assert_eq!(list.len(), 2);
    }

    #[test]
    fn pool_is_sticky() {
        let pool = DomainPool::new(Domain::parse_list(&["a", "b", "c"]).unwrap());
        assert_eq!(pool.order().collect::<Vec<_>>(), [0, 1, 2]);
        pool.mark_good(2);
        assert_eq!(pool.order().collect::<Vec<_>>(), [2, 0, 1]);
        let empty = DomainPool::new(vec![]);
        assert_eq!(empty.order().count(), 0);
        assert_eq!(empty.last_good(), None);
    }

    #[test]
    fn pool_starts_at_a_preferred_domain() {
        let list = Domain::parse_list(&["a", "b", "c"]).unwrap();
        let b = Domain::parse("b").unwrap();
        let pool = DomainPool::starting_at(list.clone(), Some(&b));
        assert_eq!(pool.order().collect::<Vec<_>>(), [1, 2, 0]);
        // Preferred is not "answered": only a request that succeeds says so.
        assert_eq!(pool.last_good(), None);
        pool.mark_good(2);
        assert_eq!(pool.last_good().map(Domain::base), Some("https://c"));
        // A preferred domain that is not in the list changes nothing.
        let other = Domain::parse("z").unwrap();
        let pool = DomainPool::starting_at(list, Some(&other));
        assert_eq!(pool.order().collect::<Vec<_>>(), [0, 1, 2]);
    }
}
