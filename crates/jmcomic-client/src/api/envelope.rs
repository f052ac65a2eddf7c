//! Signed requests and the envelope they are answered with: every API call goes through
//! [`ApiProtocol::call`] (or its variants), which signs it, sends it through the shared
//! retry engine and decrypts the answer.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;
use tracing::debug;

use super::{ApiProtocol, app_headers, crypto, wire};
use crate::domain::Domain;
use crate::error::{Error, Result};
use crate::site::{self, Endpoint};
use crate::transport::{Role, check_error_pages, check_status, truncate};

/// What an API request returned.
pub(crate) enum Payload {
    /// The decrypted `data`.
    Data(Value),
    /// The envelope had no data (empty string, empty list, null): the site's way of saying
    /// "nothing here"; the message is its `errorMsg`.
    Empty(String),
    /// A non-JSON endpoint's body.
    Text(String),
}

/// An API answer: its payload, and the cookies it set.
pub(crate) struct ApiResponse {
    pub(crate) payload: Payload,
    pub(crate) set_cookies: Vec<(String, String)>,
}

/// Unix time in seconds: the `ts` that signs a request and keys its answer.
fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl ApiProtocol {
    /// An API request after set-up.
    pub(crate) async fn call(&self, ep: Endpoint, query: &[(&str, String)]) -> Result<ApiResponse> {
        self.call_signed(ep, query, site::TOKEN_SECRET).await
    }

    /// An API request after set-up, signed with `secret`.
    pub(crate) async fn call_signed(
        &self,
        ep: Endpoint,
        query: &[(&str, String)],
        secret: &str,
    ) -> Result<ApiResponse> {
        self.ensure_ready().await?;
        match self.request(ep, query, secret).await {
            // A rejected signature usually means a stale app version; `/setting` tells the
            // current one. Learn it once and retry if it changed.
            Err(rejected @ Error::Rejected { .. })
                if ep != Endpoint::ChapterViewTemplate && self.adopt_site_version =>
            {
                let before = self.net.session.app_version();
                if self.bootstrap_session().await.is_ok()
                    && self.net.session.app_version() != before
                {
                    return self.request(ep, query, secret).await;
                }
                Err(rejected)
            }
            other => other,
        }
    }

    /// One API request through the domain pool (no set-up).
    pub(crate) async fn request(
        &self,
        ep: Endpoint,
        query: &[(&str, String)],
        secret: &str,
    ) -> Result<ApiResponse> {
        let pool = self.net.api_pool();
        self.net
            .with_domains(&pool, ep.path(), |domain| {
                self.attempt(domain, ep, query, secret)
            })
            .await
    }

    /// One attempt on one domain: sign, send, check, decode.
    async fn attempt(
        &self,
        domain: Domain,
        ep: Endpoint,
        query: &[(&str, String)],
        secret: &str,
    ) -> Result<ApiResponse> {
        // A fresh timestamp per request (spec W6: the Python package freezes one per
        // process); the same value signs the request and keys the response.
        let ts = now_secs();
        let mut query: Vec<(&str, String)> = query.to_vec();
        if ep == Endpoint::ChapterViewTemplate {
            query.push(("v", ts.to_string()));
        }
        // POSTs carry their parameters in a form body, so the URL (which names the request in
        // logs and errors) never holds a password.
        let parsed = if query.is_empty() || ep.is_post() {
            reqwest::Url::parse(&domain.url(ep.path()))
        } else {
            reqwest::Url::parse_with_params(&domain.url(ep.path()), &query)
        };
        let url = parsed.map_err(|e| Error::InvalidDomain {
            domain: domain.to_string(),
            reason: e.to_string(),
        })?;
        let url_text = url.to_string();
        let t = &self.net;
        let mut headers = app_headers();
        t.add_user_headers(&mut headers);
        super::sign(&mut headers, ts, secret, &t.session.app_version())?;
        t.add_cookies(&mut headers);
        debug!(url = %url_text, "api");
        let request = if ep.is_post() {
            t.http().post(url).form(&query)
        } else {
            t.http().get(url)
        };
        let request = request.headers(headers).timeout(t.limits.timeout);
        let reply = t
            .send(Role::Api, request, &url_text, t.limits.max_body)
            .await?;
        check_status(&reply, &url_text, ep == Endpoint::ChapterViewTemplate)?;
        let set_cookies = reply.set_cookies;
        let text = String::from_utf8_lossy(&reply.body);
        check_error_pages(&text, &url_text)?;
        if !ep.is_json() {
            return Ok(ApiResponse {
                payload: Payload::Text(text.into_owned()),
                set_cookies,
            });
        }
        Ok(ApiResponse {
            payload: decode(&text, ts, url_text)?,
            set_cookies,
        })
    }
}

/// Reads the envelope of a JSON endpoint: its code and message, and its `data` decrypted with
/// the key of `ts` (the timestamp that signed the request).
// Spec §6.2.4.
pub(crate) fn decode(text: &str, ts: u64, url_text: String) -> Result<Payload> {
    let envelope = parse_envelope(text).ok_or_else(|| Error::BadResponse {
        url: url_text.clone(),
        reason: format!("not a JSON envelope: {}", truncate(text, 120)),
    })?;
    let code = envelope.get("code").and_then(|c| match c {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    });
    let message = wire::text(&envelope, "errorMsg").unwrap_or_default();
    if message.contains(site::NOT_LEGAL_TEXT) {
        return Err(Error::Rejected {
            url: url_text,
            message,
        });
    }
    if code != Some(200) {
        return Err(Error::Api {
            url: url_text,
            code: code.unwrap_or(-1),
            message: if message.is_empty() {
                truncate(text, 200)
            } else {
                message
            },
        });
    }
    let payload = match envelope.get("data") {
        Some(Value::String(data)) if !data.trim().is_empty() => {
            let plain = crypto::decrypt_data(data, ts).map_err(|e| Error::BadResponse {
                url: url_text.clone(),
                reason: format!("data could not be decrypted: {e}"),
            })?;
            let value: Value = serde_json::from_str(&plain).map_err(|e| Error::BadResponse {
                url: url_text.clone(),
                reason: format!("decrypted data is not JSON: {e}"),
            })?;
            Payload::Data(value)
        }
        // An object in the clear (never seen from the site, but harmless to accept).
        Some(v @ Value::Object(_)) => Payload::Data(v.clone()),
        _ => Payload::Empty(message),
    };
    Ok(payload)
}

/// Finds the JSON envelope in a body: the whole trimmed text, or else the first complete
/// object with a `code` key among the first few `{` positions. Unlike the Python fallback (a
/// non-greedy regex) this recovers nested objects surrounded by garbage.
// Spec §6.2.4, W16.
pub(crate) fn parse_envelope(text: &str) -> Option<Value> {
    let t = text.trim_start_matches('\u{feff}').trim();
    if let Ok(v @ Value::Object(_)) = serde_json::from_str::<Value>(t) {
        return Some(v);
    }
    for (start, _) in t.match_indices('{').take(16) {
        let mut stream = serde_json::Deserializer::from_str(&t[start..]).into_iter::<Value>();
        if let Some(Ok(v @ Value::Object(_))) = stream.next()
            && v.get("code").is_some()
        {
            return Some(v);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_recovery() {
        let v = parse_envelope("\u{feff} {\"code\":200,\"data\":\"x\"} ").unwrap();
        assert_eq!(v["code"], 200);
        let v =
            parse_envelope("garbage<br>{\"code\":200,\"data\":{\"a\":{\"b\":1}}}trailing").unwrap();
        assert_eq!(v["data"]["a"]["b"], 1);
        assert!(parse_envelope("<html>nope</html>").is_none());
        assert!(parse_envelope("").is_none());
    }
}
