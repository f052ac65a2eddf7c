//! Where host names are looked up: the system's resolver (the default), or DNS over HTTPS
//! (RFC 8484) for networks whose DNS answers for the site are poisoned.
//!
//! DNS over HTTPS goes through `hickory-resolver`, over the same rustls configuration (ring
//! provider, certificate checks) as every other connection of the client. The resolvers'
//! own hosts are reached without DNS: the built-in public resolvers come with the addresses
//! their operators publish ([`site::DOH_RESOLVERS`]), a URL naming an address needs none,
//! and only a URL naming another host is looked up once through the system's resolver (a
//! poisoned answer there fails the TLS check rather than lying).
//!
//! The API, the web site and the CDN are all looked up this way; a proxy, when one is set,
//! is too (an HTTP proxy then resolves the site's names itself).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{
    LookupIpStrategy, NameServerConfig, ResolverConfig, ResolverOpts, ServerOrderingStrategy,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use tracing::debug;

use crate::error::{Error, Result};
use crate::site;

/// How the client looks up host names ([`crate::ClientBuilder::dns`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum DnsMode {
    /// The operating system's resolver (the option `client.dns: system`).
    #[default]
    System,
    /// DNS over HTTPS through the built-in public resolvers ([`site::DOH_RESOLVERS`]), in
    /// order (`client.dns: doh`).
    Doh,
    /// DNS over HTTPS through these resolvers (`https://host[:port]/path` each), in order
    /// (`client.dns: https://...`).
    DohUrls(Vec<String>),
}

impl DnsMode {
    /// Checks the resolver URLs ([`Error::InvalidDns`] names the first bad one), without
    /// building anything.
    pub fn check(&self) -> Result<()> {
        match self {
            DnsMode::System | DnsMode::Doh => Ok(()),
            DnsMode::DohUrls(urls) => {
                if urls.iter().all(|u| u.trim().is_empty()) {
                    return Err(no_resolver());
                }
                for url in urls.iter().filter(|u| !u.trim().is_empty()) {
                    Endpoint::parse(url)?;
                }
                Ok(())
            }
        }
    }
}

fn no_resolver() -> Error {
    Error::InvalidDns {
        url: String::new(),
        reason: "no DNS-over-HTTPS resolver given".to_owned(),
    }
}

/// One DoH resolver: where it is and how to reach it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Endpoint {
    /// The URL, as given (for messages).
    url: String,
    /// The host name (or address) of the URL: the TLS server name.
    host: String,
    port: u16,
    path: String,
    /// Its addresses, when known without a lookup.
    addresses: Vec<IpAddr>,
}

impl Endpoint {
    fn parse(text: &str) -> Result<Self> {
        let invalid = |reason: &str| Error::InvalidDns {
            url: text.to_owned(),
            reason: reason.to_owned(),
        };
        let url = url::Url::parse(text.trim()).map_err(|e| invalid(&e.to_string()))?;
        if url.scheme() != "https" {
            // RFC 8484 §5: DoH is HTTPS only, and the resolver library speaks nothing else.
            return Err(invalid(
                "a DNS-over-HTTPS resolver URL starts with https://",
            ));
        }
        if !url.username().is_empty() || url.password().is_some() || url.query().is_some() {
            return Err(invalid(
                "a DNS-over-HTTPS resolver URL has no credentials or query",
            ));
        }
        let (host, addresses) = match url.host() {
            Some(url::Host::Domain(name)) => {
                let name = name.to_ascii_lowercase();
                // A built-in resolver named by URL still needs no lookup.
                let known = site::DOH_RESOLVERS
                    .iter()
                    .find(|r| url::Url::parse(r.url).is_ok_and(|u| u.host_str() == Some(&name)))
                    .map(|r| r.addresses.to_vec())
                    .unwrap_or_default();
                (name, known)
            }
            Some(url::Host::Ipv4(ip)) => (ip.to_string(), vec![IpAddr::V4(ip)]),
            Some(url::Host::Ipv6(ip)) => (ip.to_string(), vec![IpAddr::V6(ip)]),
            None => return Err(invalid("no host")),
        };
        let path = match url.path() {
            "" | "/" => "/dns-query".to_owned(),
            p => p.to_owned(),
        };
        Ok(Self {
            url: text.trim().to_owned(),
            host,
            port: url.port().unwrap_or(443),
            path,
            addresses,
        })
    }

    /// The addresses, looked up through the system's resolver when not known.
    async fn addresses(&self) -> Result<Vec<IpAddr>> {
        if !self.addresses.is_empty() {
            return Ok(self.addresses.clone());
        }
        let found: Vec<IpAddr> = tokio::net::lookup_host((self.host.as_str(), self.port))
            .await
            .map_err(|e| Error::Dns {
                host: self.host.clone(),
                reason: format!(
                    "the DNS-over-HTTPS resolver {} cannot be found by the system's resolver ({e}); name it by address (https://1.2.3.4/dns-query) or use `client.dns: doh`",
                    self.url
                ),
            })?
            .map(|a: SocketAddr| a.ip())
            .collect();
        debug!(resolver = %self.url, addresses = ?found, "DoH resolver found by the system's resolver");
        Ok(found)
    }
}

/// A DNS-over-HTTPS resolver: asks its resolvers in the order given (the next when one
/// fails), caches answers for their TTL.
///
/// The client uses one when [`DnsMode`] says so; it can also be used on its own, to compare
/// its answers with the system's:
///
/// ```no_run
/// # async fn run() -> Result<(), jmcomic_client::Error> {
/// use jmcomic_client::{DnsMode, DohResolver};
///
/// let doh = DohResolver::new(&DnsMode::Doh, false)?.expect("DoH mode");
/// println!("{:?}", doh.lookup("www.cdnhjk.net").await?);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct DohResolver {
    inner: Arc<Inner>,
}

struct Inner {
    endpoints: Vec<Endpoint>,
    tls: rustls::ClientConfig,
    /// Built at the first lookup: the resolvers' addresses may need a lookup themselves.
    resolver: tokio::sync::OnceCell<TokioResolver>,
}

impl std::fmt::Debug for DohResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let urls: Vec<&str> = self
            .inner
            .endpoints
            .iter()
            .map(|e| e.url.as_str())
            .collect();
        f.debug_struct("DohResolver").field("urls", &urls).finish()
    }
}

impl DohResolver {
    /// The resolver `mode` asks for: `None` for [`DnsMode::System`]. Certificates of the
    /// resolvers are checked unless `accept_invalid_certs` (then anyone on the path can
    /// answer for them). No network I/O happens here.
    pub fn new(mode: &DnsMode, accept_invalid_certs: bool) -> Result<Option<Self>> {
        let endpoints = match mode {
            DnsMode::System => return Ok(None),
            DnsMode::Doh => site::DOH_RESOLVERS
                .iter()
                .map(|r| Endpoint::parse(r.url))
                .collect::<Result<Vec<_>>>()?,
            DnsMode::DohUrls(urls) => urls
                .iter()
                .filter(|u| !u.trim().is_empty())
                .map(|u| Endpoint::parse(u))
                .collect::<Result<Vec<_>>>()?,
        };
        if endpoints.is_empty() {
            return Err(no_resolver());
        }
        let mut tls = crate::tls::client_config(accept_invalid_certs)?;
        // DoH clients speak HTTP/2 (the resolver library insists on it).
        tls.alpn_protocols = vec![b"h2".to_vec()];
        Ok(Some(Self {
            inner: Arc::new(Inner {
                endpoints,
                tls,
                resolver: tokio::sync::OnceCell::new(),
            }),
        }))
    }

    /// The resolver URLs, in order.
    pub fn urls(&self) -> Vec<String> {
        self.inner.endpoints.iter().map(|e| e.url.clone()).collect()
    }

    /// The addresses of `host` (IPv4 first). `localhost` is this machine, without asking.
    pub async fn lookup(&self, host: &str) -> Result<Vec<IpAddr>> {
        let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
        if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
            return Ok(vec![ip]);
        }
        // RFC 6761 §6.3: such names are this machine and never go to a resolver.
        if host == "localhost" || host.ends_with(".localhost") {
            return Ok(vec![
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(Ipv6Addr::LOCALHOST),
            ]);
        }
        let fail = |reason: String| Error::Dns {
            host: host.clone(),
            reason,
        };
        let resolver = self.inner.resolver.get_or_try_init(|| self.build()).await?;
        // A fully qualified name: no search domains are tried.
        let answer = resolver
            .lookup_ip(format!("{host}."))
            .await
            .map_err(|e| {
                // The library says only "no connections available" when no resolver could
                // be reached; its log has the detail.
                let hint = if e.is_no_records_found() {
                    ""
                } else {
                    " (no resolver answered: unreachable, blocked, or a certificate that is not trusted)"
                };
                fail(format!(
                    "DNS over HTTPS ({}) found no address: {e}{hint}",
                    self.urls().join(", ")
                ))
            })?;
        let addresses: Vec<IpAddr> = answer.iter().collect();
        if addresses.is_empty() {
            return Err(fail(format!(
                "DNS over HTTPS ({}) found no address",
                self.urls().join(", ")
            )));
        }
        debug!(%host, ?addresses, "DNS over HTTPS");
        Ok(addresses)
    }

    /// The resolver library's resolver, once the resolvers' addresses are known.
    async fn build(&self) -> Result<TokioResolver> {
        let mut servers = Vec::new();
        let mut problems = Vec::new();
        for endpoint in &self.inner.endpoints {
            match endpoint.addresses().await {
                Ok(addresses) => {
                    for ip in addresses {
                        let mut server = NameServerConfig::https(
                            ip,
                            Arc::from(endpoint.host.as_str()),
                            Some(Arc::from(endpoint.path.as_str())),
                        );
                        for connection in &mut server.connections {
                            connection.port = endpoint.port;
                        }
                        servers.push(server);
                    }
                }
                Err(e) => problems.push(e.to_string()),
            }
        }
        if servers.is_empty() {
            return Err(Error::Dns {
                host: String::new(),
                reason: problems.join("; "),
            });
        }
        let mut options = ResolverOpts::default();
        // Both families, as the system's resolver gives them; the connector tries them in
        // turn.
        options.ip_strategy = LookupIpStrategy::Ipv4AndIpv6;
        // The order given is the user's (or the built-in list's) choice, not the fastest
        // answer's: a nearby resolver may be one that answers with the network's lies.
        options.server_ordering_strategy = ServerOrderingStrategy::UserProvidedOrder;
        options.num_concurrent_reqs = 1;
        let resolver = hickory_resolver::Resolver::builder_with_config(
            ResolverConfig::from_name_servers(servers),
            TokioRuntimeProvider::default(),
        )
        .with_options(options)
        .with_tls_config(self.inner.tls.clone())
        .build()
        .map_err(|e| Error::Build(format!("DNS-over-HTTPS resolver: {e}")))?;
        Ok(resolver)
    }
}

impl reqwest::dns::Resolve for DohResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let this = self.clone();
        Box::pin(async move {
            let addresses = this.lookup(name.as_str()).await?;
            // Port 0: the connector puts the URL's port in.
            let addrs: reqwest::dns::Addrs = Box::new(
                addresses
                    .into_iter()
                    .map(|ip| SocketAddr::new(ip, 0))
                    .collect::<Vec<_>>()
                    .into_iter(),
            );
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolver_urls() {
        let e = Endpoint::parse("https://127.0.0.1:8443/dns-query").unwrap();
        assert_eq!(
            (e.host.as_str(), e.port, e.path.as_str()),
            ("127.0.0.1", 8443, "/dns-query")
        );
        assert_eq!(e.addresses, ["127.0.0.1".parse::<IpAddr>().unwrap()]);
        let e = Endpoint::parse("https://[::1]/q").unwrap();
        assert_eq!(
            (e.host.as_str(), e.port, e.path.as_str()),
            ("::1", 443, "/q")
        );
        // A built-in resolver's name comes with its addresses; another name has none yet.
        let e = Endpoint::parse("https://DNS.google/dns-query").unwrap();
        assert!(e.addresses.contains(&"8.8.8.8".parse().unwrap()));
        let e = Endpoint::parse("https://doh.example/").unwrap();
        assert_eq!(e.path, "/dns-query");
        assert!(e.addresses.is_empty());
        for bad in [
            "http://127.0.0.1/dns-query",
            "https://u:p@1.1.1.1/dns-query",
            "https://1.1.1.1/dns-query?x=1",
            "nonsense",
        ] {
            let err = Endpoint::parse(bad).unwrap_err();
            assert!(matches!(err, Error::InvalidDns { .. }), "{bad}: {err}");
        }
    }

    #[test]
    fn modes_are_checked() {
        assert!(DnsMode::Doh.check().is_ok());
        assert!(
            DnsMode::DohUrls(vec!["https://1.1.1.1/dns-query".into()])
                .check()
                .is_ok()
        );
        for bad in [vec![], vec!["http://1.1.1.1/dns-query".to_owned()]] {
            assert!(matches!(
                DnsMode::DohUrls(bad).check(),
                Err(Error::InvalidDns { .. })
            ));
        }
    }

    #[test]
    fn modes() {
        assert!(DohResolver::new(&DnsMode::System, false).unwrap().is_none());
        let doh = DohResolver::new(&DnsMode::Doh, false).unwrap().unwrap();
        assert_eq!(doh.urls().len(), site::DOH_RESOLVERS.len());
        let e = DohResolver::new(&DnsMode::DohUrls(vec![" ".into()]), false).unwrap_err();
        assert!(e.to_string().contains("no DNS-over-HTTPS resolver"), "{e}");
    }

    #[test]
    fn every_built_in_resolver_has_addresses() {
        for r in site::DOH_RESOLVERS {
            let e = Endpoint::parse(r.url).unwrap();
            assert!(!e.addresses.is_empty(), "{}", r.url);
            assert_eq!(e.addresses, r.addresses, "{}", r.url);
        }
    }

    #[tokio::test]
    async fn localhost_and_addresses_need_no_resolver() {
        let doh = DohResolver::new(
            &DnsMode::DohUrls(vec!["https://127.0.0.1:9/dns-query".into()]),
            false,
        )
        .unwrap()
        .unwrap();
        assert!(
            doh.lookup("localhost")
                .await
                .unwrap()
                .contains(&IpAddr::V4(Ipv4Addr::LOCALHOST))
        );
        assert_eq!(
            doh.lookup("10.1.2.3").await.unwrap(),
            ["10.1.2.3".parse::<IpAddr>().unwrap()]
        );
    }
}
