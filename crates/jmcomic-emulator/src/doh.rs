//! The DNS-over-HTTPS endpoint (RFC 8484): `GET /dns-query?dns=<base64url>` and
//! `POST /dns-query` with `application/dns-message`, answered from the DoH table.
//!
//! Always HTTPS (RFC 8484 §5 requires it, and resolver libraries only speak it), offering
//! HTTP/2 and HTTP/1.1 through ALPN: `hickory-resolver`'s DoH client insists on HTTP/2,
//! simpler clients (reqwest with HTTP/1.1) get that.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{ALLOW, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

use crate::dns::{DnsSide, DnsState, Outcome, TTL};

/// The DoH path (RFC 8484 §3's example, and what every resolver library defaults to).
pub(crate) const DOH_PATH: &str = "/dns-query";

/// The media type of DNS messages over HTTP (RFC 8484 §6).
const DNS_MESSAGE: &str = "application/dns-message";

/// A DNS message is at most 65535 bytes.
const MAX_BODY: usize = 65_535;

/// How long a client may take to complete the TLS handshake.
const HANDSHAKE_LIMIT: Duration = Duration::from_secs(10);

/// How long a [`crate::DnsAnswer::Silent`] query is held before the stream is given up.
const SILENT_LIMIT: Duration = Duration::from_secs(300);

type Body = Full<Bytes>;

/// Serves DoH until the runtime stops.
pub(crate) async fn run(dns: Arc<DnsState>, listener: TcpListener, acceptor: TlsAcceptor) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let _ = stream.set_nodelay(true);
                tokio::spawn(serve(dns.clone(), stream, acceptor.clone()));
            }
            Err(e) => {
                tracing::warn!(error = %e, "DoH: accept failed");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

async fn serve(dns: Arc<DnsState>, stream: TcpStream, acceptor: TlsAcceptor) {
    let tls = match tokio::time::timeout(HANDSHAKE_LIMIT, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "DoH: TLS handshake failed");
            return;
        }
        Err(_) => {
            tracing::debug!("DoH: TLS handshake timed out");
            return;
        }
    };
    let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
    let io = TokioIo::new(tls);
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let dns = dns.clone();
        async move { Ok::<_, Infallible>(handle(&dns, req).await) }
    });
    let result = if h2 {
        hyper::server::conn::http2::Builder::new(TokioExecutor::new())
            .serve_connection(io, service)
            .await
    } else {
        hyper::server::conn::http1::Builder::new()
            .serve_connection(io, service)
            .await
    };
    if let Err(e) = result {
        tracing::debug!(error = %e, "DoH: connection ended with an error");
    }
}

fn reply(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Response<Body> {
    let body = body.into();
    let mut response = Response::new(Full::new(body.clone()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
    response
}

fn text(status: StatusCode, message: &str) -> Response<Body> {
    reply(status, "text/plain; charset=utf-8", format!("{message}\n"))
}

/// The DNS message a request carries, or the HTTP answer to a request that carries none.
async fn query_bytes(req: Request<Incoming>) -> Result<Bytes, Response<Body>> {
    if req.uri().path() != DOH_PATH {
        return Err(text(
            StatusCode::NOT_FOUND,
            "not found; DoH is at /dns-query",
        ));
    }
    match *req.method() {
        Method::GET => {
            // RFC 8484 §4.1: base64url without padding; padded input is tolerated.
            let dns = crate::routes::parse_query(req.uri().query())
                .into_iter()
                .find(|(k, _)| k == "dns")
                .map(|(_, v)| v)
                .ok_or_else(|| text(StatusCode::BAD_REQUEST, "missing the dns parameter"))?;
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(dns.trim_end_matches('='))
                .map(Bytes::from)
                .map_err(|e| {
                    text(
                        StatusCode::BAD_REQUEST,
                        &format!("the dns parameter is not base64url: {e}"),
                    )
                })
        }
        Method::POST => {
            let content_type = req
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(';').next())
                .map(str::trim);
            if !content_type.is_some_and(|t| t.eq_ignore_ascii_case(DNS_MESSAGE)) {
                return Err(text(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "POST bodies must be application/dns-message",
                ));
            }
            match Limited::new(req.into_body(), MAX_BODY).collect().await {
                Ok(body) => Ok(body.to_bytes()),
                Err(e) => Err(text(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    &format!("unreadable body: {e}"),
                )),
            }
        }
        _ => {
            let mut response = text(StatusCode::METHOD_NOT_ALLOWED, "GET or POST");
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("GET, POST"));
            Err(response)
        }
    }
}

async fn handle(dns: &DnsState, req: Request<Incoming>) -> Response<Body> {
    let bytes = match query_bytes(req).await {
        Ok(b) => b,
        Err(response) => return response,
    };
    match dns.answer(DnsSide::Doh, &bytes, false) {
        Outcome::Answer(message) => {
            let mut response = reply(StatusCode::OK, DNS_MESSAGE, message);
            // RFC 8484 §5.1: freshness no longer than the records' TTL.
            if let Ok(v) = HeaderValue::from_str(&format!("max-age={TTL}")) {
                response.headers_mut().insert(CACHE_CONTROL, v);
            }
            response
        }
        Outcome::Malformed(reason) => text(StatusCode::BAD_REQUEST, &reason),
        Outcome::Silent => {
            // The client gives up first; the stream is then dropped with its connection.
            tokio::time::sleep(SILENT_LIMIT).await;
            text(StatusCode::GATEWAY_TIMEOUT, "no answer")
        }
    }
}
