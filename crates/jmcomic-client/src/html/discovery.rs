//! Finding the web site's current domains when none are configured.
//!
//! Each discovery URL is asked without following redirects: a permanent redirect (301,
//! 308) is followed, a temporary one (302, 303, 307) names a web domain in its `Location`
//! (the permanent link), and a page is read for the domains it links to (the publish page).
//! Every URL is tried once, in order; what they find is kept in that order, without
//! duplicates.

// Spec §6.3.1, W29.

use regex::Regex;
use scraper::{Html, Selector};
use tracing::{debug, info};

use super::{Asked, FromStatic, browser_headers, check_page};
use crate::domain::Domain;
use crate::error::{Error, Result};
use crate::transport::{Role, Transport};

statics! {
    LINK: Selector = "a[href]";
    BARE_DOMAIN: Regex = r"[\w-]+(?:\.[\w-]+)+(?:/\w+)?";
}

/// Redirects followed per discovery URL at most.
const MAX_HOPS: usize = 5;

/// The web domains the discovery URLs point at (empty when none answers usefully).
pub(crate) async fn discover(net: &Transport, urls: &[String]) -> Vec<Domain> {
    let mut found: Vec<Domain> = Vec::new();
    for url in urls {
        match follow(net, url).await {
            Ok(domains) => {
                debug!(%url, ?domains, "domain discovery");
                for d in domains {
                    if !found.contains(&d) {
                        found.push(d);
                    }
                }
            }
            Err(e) => info!(%url, error = %e, "domain discovery failed"),
        }
    }
    found
}

/// The domains one discovery URL leads to.
async fn follow(net: &Transport, start: &str) -> Result<Vec<Domain>> {
    let invalid = |reason: String| Error::InvalidDomain {
        domain: start.to_owned(),
        reason,
    };
    let mut url = url::Url::parse(start.trim()).map_err(|e| invalid(e.to_string()))?;
    for _ in 0..MAX_HOPS {
        let text = url.to_string();
        let mut headers = browser_headers(&url.origin().ascii_serialization());
        net.add_user_headers(&mut headers);
        let request = net
            .http_no_redirect()
            .get(url.as_str())
            .headers(headers)
            .timeout(net.limits.timeout);
        let reply = net
            .send(Role::Api, request, &text, net.limits.max_body)
            .await?;
        let location = || -> Result<url::Url> {
            let to = reply
                .location
                .as_deref()
                .ok_or_else(|| Error::BadResponse {
                    url: text.clone(),
                    reason: format!("HTTP {} without a Location", reply.status),
                })?;
            url.join(to).map_err(|e| Error::BadResponse {
                url: text.clone(),
                reason: format!("a Location that is no URL ({to:?}: {e})"),
            })
        };
        match reply.status {
            301 | 308 => url = location()?,
            302 | 303 | 307 => {
                let target = location()?;
                return Ok(Domain::parse(&target.origin().ascii_serialization())
                    .into_iter()
                    .collect());
            }
            _ => {
                let page = check_page(&reply, &text, url.path(), Asked::Other)?;
                return Ok(listed_domains(&page, &url));
            }
        }
    }
    Err(Error::BadResponse {
        url: start.to_owned(),
        reason: format!("more than {MAX_HOPS} redirects"),
    })
}

/// The web domains a publish page lists: links to the root of a site whose name says
/// `jm` or `comic` (or a bare address, as a mirror's), and such names written as text
/// (the Python package's `[\w-]+\.\w+/?\w+` keeping those with `jm` or `comic`; names with
/// a path, like the app-download link, are not domains).
fn listed_domains(page: &str, page_url: &url::Url) -> Vec<Domain> {
    let doc = Html::parse_document(page);
    let mut out: Vec<Domain> = Vec::new();
    let mut push = |d: Domain| {
        if !out.contains(&d) {
            out.push(d);
        }
    };
    for link in doc.select(&LINK) {
        let Some(href) = link.attr("href") else {
            continue;
        };
        let Ok(target) = page_url.join(href.trim()) else {
            continue;
        };
        let root = matches!(target.path(), "" | "/") && target.query().is_none();
        let same_site = target.host() == page_url.host() && target.port() == page_url.port();
        if !matches!(target.scheme(), "http" | "https") || !root || same_site {
            continue;
        }
        let plausible = match target.host() {
            Some(url::Host::Domain(name)) => site_like(name) || name == "localhost",
            Some(_) => true,
            None => false,
        };
        if plausible && let Ok(d) = Domain::parse(&target.origin().ascii_serialization()) {
            push(d);
        }
    }
    for text in doc.root_element().text() {
        for m in BARE_DOMAIN.find_iter(text) {
            let name = m.as_str();
            if !name.contains('/')
                && site_like(name)
                && let Ok(d) = Domain::parse(name)
            {
                push(d);
            }
        }
    }
    out
}

fn site_like(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.contains("jm") || lower.contains("comic")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_pages_list_domains() {
        let base = url::Url::parse("https://jmcomicgo.org/").unwrap();
        let page = "<ul><li><a href=\"https://18comic.vip/\">18comic.vip</a></li>\
            <li><a href=\"http://127.0.0.1:9/\">mirror</a></li>\
            <li><a href=\"https://twitter.com/\">x</a></li>\
            <li><a href=\"/about\">about</a></li><li><a href=\"https://jmcomicgo.org/\">self</a></li></ul>\
            <p>jm365.xyz/ZNPJam 18comic.org, version 1.2 jmcomic1.me</p>";
        let found: Vec<String> = listed_domains(page, &base)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            found,
            [
                "https://18comic.vip",
                "http://127.0.0.1:9",
                "https://18comic.org",
                "https://jmcomic1.me"
            ]
        );
    }
}
