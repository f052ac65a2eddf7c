//! Listeners, connections and the per-request pipeline (log, latency, faults, routing).
//!
//! Each host (API or CDN "domain") is one listener task. Every accepted connection is wrapped
//! in a [`ConnStream`] whose control block lets a handler kill the connection with a TCP reset
//! (SO_LINGER 0 on drop), which is how the `Reset` fault and `HostDown` are made observable.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc as std_mpsc};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited, StreamBody, combinators::UnsyncBoxBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{
    CONTENT_LENGTH, CONTENT_TYPE, DATE, HeaderName, HeaderValue, RETRY_AFTER, SERVER, SET_COOKIE,
};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, mpsc, watch};

use crate::emulator::{ConnectionRecord, HostDown, RequestRecord, Shared};
use crate::error::Error;
use crate::fault::FaultKind;
use crate::hostile;
use crate::routes::{self, Reply};
use crate::site::{MYSQL_ERROR_BODY, RESTRICTED_ACCESS};

/// Response body type: full bodies and the partial bodies of the truncation/stall faults.
pub(crate) type Body = UnsyncBoxBody<Bytes, io::Error>;

/// How long a stalled response stays open if the client never gives up.
const STALL_LIMIT: Duration = Duration::from_secs(300);
/// Pause between the half body and the abort of a truncated response, so the half is
/// flushed to the client before the connection closes.
const TRUNCATE_PAUSE: Duration = Duration::from_millis(30);
/// How long a client may take to complete the TLS handshake.
const HANDSHAKE_LIMIT: Duration = Duration::from_secs(10);
/// Largest request body read (forms are a few hundred bytes; comments a few KiB).
const MAX_REQUEST_BODY: usize = 1 << 20;

/// Request headers copied into the request log.
const RECORDED_HEADERS: [&str; 9] = [
    "token",
    "tokenparam",
    "cookie",
    "user-agent",
    "referer",
    "x-requested-with",
    "accept",
    "accept-encoding",
    "accept-language",
];

/// A command to a host task, acknowledged once applied.
pub(crate) struct HostCmd {
    pub state: HostDown,
    pub ack: std_mpsc::Sender<Result<(), Error>>,
}

/// Per-connection control block.
#[derive(Default)]
struct ConnCtl {
    /// Close with a TCP reset (SO_LINGER 0) instead of a FIN.
    reset: AtomicBool,
    /// Wakes the connection task to drop the connection now.
    kill: Notify,
}

impl ConnCtl {
    fn kill_with_reset(&self) {
        self.reset.store(true, Ordering::SeqCst);
        self.kill.notify_one();
    }
}

/// A TCP stream that turns its close into a reset when its connection was killed.
struct ConnStream {
    inner: TcpStream,
    ctl: Arc<ConnCtl>,
}

impl Drop for ConnStream {
    fn drop(&mut self) {
        if self.ctl.reset.load(Ordering::SeqCst) {
            // SO_LINGER 0: close() sends RST, so the client sees "connection reset".
            let _ = self.inner.set_zero_linger();
        }
    }
}

impl AsyncRead for ConnStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for ConnStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

async fn accept(listener: Option<&TcpListener>) -> io::Result<(TcpStream, SocketAddr)> {
    match listener {
        Some(l) => l.accept().await,
        None => std::future::pending().await,
    }
}

/// Runs one host until its command channel closes (emulator dropped) or the runtime stops.
pub(crate) async fn run_host(
    shared: Arc<Shared>,
    index: usize,
    addr: SocketAddr,
    initial: std::net::TcpListener,
    mut cmds: mpsc::UnboundedReceiver<HostCmd>,
) {
    let mut listener = match TcpListener::from_std(initial) {
        Ok(l) => Some(l),
        Err(e) => {
            tracing::error!(host = index, %addr, error = %e, "cannot register listener");
            None
        }
    };
    let mut state = HostDown::Up;
    // Bumped to kill every open connection of this host (host taken down).
    let (epoch_tx, _) = watch::channel(0u64);
    // Open connections of this host, so that taking it down returns only once they are gone.
    let live = Arc::new(AtomicUsize::new(0));
    loop {
        tokio::select! {
            cmd = cmds.recv() => {
                let Some(HostCmd { state: new_state, ack }) = cmd else { return };
                let result = match new_state {
                    HostDown::Refuse => {
                        listener = None;
                        kill_connections(&epoch_tx, &live).await;
                        Ok(())
                    }
                    HostDown::Reset | HostDown::Up => {
                        if new_state == HostDown::Reset {
                            kill_connections(&epoch_tx, &live).await;
                        }
                        if listener.is_none() {
                            match TcpListener::bind(addr).await {
                                Ok(l) => {
                                    listener = Some(l);
                                    Ok(())
                                }
                                Err(source) => Err(Error::Bind { addr, source }),
                            }
                        } else {
                            Ok(())
                        }
                    }
                };
                if result.is_ok() {
                    state = new_state;
                }
                tracing::debug!(host = index, ?state, "host state changed");
                let _ = ack.send(result);
            }
            accepted = accept(listener.as_ref()) => match accepted {
                Ok((stream, _peer)) => {
                    if state == HostDown::Reset {
                        // Accept, then reset at once (a host that is "up" but broken).
                        let _ = stream.set_zero_linger();
                        drop(stream);
                        continue;
                    }
                    let _ = stream.set_nodelay(true);
                    let conn_id = shared.next_connection_id();
                    let guard = LiveGuard::new(&live);
                    let epoch = epoch_tx.subscribe();
                    let shared = shared.clone();
                    tokio::spawn(async move {
                        serve_connection(shared, index, conn_id, stream, epoch).await;
                        drop(guard);
                    });
                }
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(host = index, error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
        }
    }
}

/// Counts a live connection until dropped.
struct LiveGuard(Arc<AtomicUsize>);

impl LiveGuard {
    fn new(live: &Arc<AtomicUsize>) -> Self {
        live.fetch_add(1, Ordering::SeqCst);
        Self(live.clone())
    }
}

impl Drop for LiveGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Resets every open connection of a host and waits (up to a second) until they are closed,
/// so that a client sees the host down as soon as `set_host_down` returns.
async fn kill_connections(epoch: &watch::Sender<u64>, live: &AtomicUsize) {
    epoch.send_modify(|e| *e += 1);
    for _ in 0..200 {
        if live.load(Ordering::SeqCst) == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tracing::warn!("connections still open after the host went down");
}

async fn serve_connection(
    shared: Arc<Shared>,
    host: usize,
    conn_id: u64,
    stream: TcpStream,
    mut host_epoch: watch::Receiver<u64>,
) {
    let accepted = Instant::now();
    let ctl = Arc::new(ConnCtl::default());
    let stream = ConnStream {
        inner: stream,
        ctl: ctl.clone(),
    };
    let record = |server_name: Option<String>, fault: Option<String>| {
        shared.record_connection(ConnectionRecord {
            host,
            connection: conn_id,
            elapsed: accepted.saturating_duration_since(shared.started),
            at: accepted,
            server_name,
            fault,
        });
    };
    let Some(config) = shared.tls.clone() else {
        // Plain HTTP has no handshake; the handshake faults act on the first bytes instead.
        // Waiting for them costs nothing, but only happens when such a rule exists, so the
        // usual path is untouched.
        if shared.has_handshake_faults() {
            let mut first = [0u8; 1];
            let peeked = tokio::select! {
                peeked = tokio::time::timeout(HANDSHAKE_LIMIT, stream.inner.peek(&mut first)) => {
                    matches!(peeked, Ok(Ok(n)) if n > 0)
                }
                _ = host_epoch.changed() => {
                    ctl.reset.store(true, Ordering::SeqCst);
                    return;
                }
            };
            if !peeked {
                return;
            }
            let fault = shared.decide_handshake(host);
            record(None, fault.as_ref().map(|(_, label)| label.clone()));
            if let Some((kind, _)) = fault {
                handshake_fault(&kind, &ctl, &mut host_epoch).await;
                return;
            }
        } else {
            record(None, None);
        }
        serve_http(shared, host, conn_id, ctl, stream, host_epoch).await;
        return;
    };
    // Read the ClientHello first (its server name goes to the connection log), so that a
    // handshake fault strikes where a censoring network does: after the ClientHello,
    // before any ServerHello.
    let hello = tokio::time::timeout(
        HANDSHAKE_LIMIT,
        tokio_rustls::LazyConfigAcceptor::new(rustls::server::Acceptor::default(), stream),
    );
    let start = tokio::select! {
        hello = hello => match hello {
            Ok(Ok(start)) => start,
            Ok(Err(e)) => {
                tracing::debug!(host, conn_id, error = %e, "no TLS ClientHello");
                return;
            }
            Err(_) => {
                tracing::debug!(host, conn_id, "TLS ClientHello timed out");
                return;
            }
        },
        _ = host_epoch.changed() => {
            ctl.reset.store(true, Ordering::SeqCst);
            return;
        }
    };
    let server_name = start.client_hello().server_name().map(str::to_owned);
    let fault = shared.decide_handshake(host);
    record(server_name, fault.as_ref().map(|(_, label)| label.clone()));
    if let Some((kind, _)) = fault {
        // `start` owns the stream: keep it alive while stalling, drop it to reset.
        handshake_fault(&kind, &ctl, &mut host_epoch).await;
        drop(start);
        return;
    }
    // The TLS session sits on top of `ConnStream`, so faults that kill the connection still
    // end it with a TCP reset, under the TLS session, as a dying server would.
    let handshake = tokio::time::timeout(HANDSHAKE_LIMIT, start.into_stream(config));
    let tls = tokio::select! {
        accepted = handshake => match accepted {
            Ok(Ok(tls)) => tls,
            Ok(Err(e)) => {
                tracing::debug!(host, conn_id, error = %e, "TLS handshake failed");
                return;
            }
            Err(_) => {
                tracing::debug!(host, conn_id, "TLS handshake timed out");
                return;
            }
        },
        _ = host_epoch.changed() => {
            ctl.reset.store(true, Ordering::SeqCst);
            return;
        }
    };
    serve_http(shared, host, conn_id, ctl, tls, host_epoch).await;
}

/// Carries out a handshake fault on a connection whose owner drops it on return:
/// `HandshakeReset` marks it for a TCP reset at once; `HandshakeStall` waits (answering
/// nothing) until the host goes down or [`STALL_LIMIT`] passes.
async fn handshake_fault(kind: &FaultKind, ctl: &ConnCtl, host_epoch: &mut watch::Receiver<u64>) {
    if *kind == FaultKind::HandshakeStall {
        tokio::select! {
            () = tokio::time::sleep(STALL_LIMIT) => {}
            _ = host_epoch.changed() => {}
        }
    }
    ctl.reset.store(true, Ordering::SeqCst);
}

/// Serves HTTP/1.1 on one connection (plain or TLS) until it ends, is killed by a fault, or
/// its host goes down.
async fn serve_http<I>(
    shared: Arc<Shared>,
    host: usize,
    conn_id: u64,
    ctl: Arc<ConnCtl>,
    stream: I,
    mut host_epoch: watch::Receiver<u64>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let io = TokioIo::new(stream);
    let service_ctl = ctl.clone();
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let shared = shared.clone();
        let ctl = service_ctl.clone();
        async move { Ok::<_, Infallible>(handle(shared, host, conn_id, ctl, req).await) }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(io, service);
    tokio::select! {
        result = conn => {
            if let Err(e) = result {
                tracing::debug!(host, conn_id, error = %e, "connection ended with an error");
            }
        }
        () = ctl.kill.notified() => {
            tracing::debug!(host, conn_id, "connection killed");
        }
        _ = host_epoch.changed() => {
            // The host went down: drop the connection like a dead server would.
            ctl.reset.store(true, Ordering::SeqCst);
        }
    }
}

/// The per-request pipeline: log, latency, faults, routing.
async fn handle(
    shared: Arc<Shared>,
    host: usize,
    conn_id: u64,
    ctl: Arc<ConnCtl>,
    req: Request<Incoming>,
) -> Response<Body> {
    let (parts, body) = req.into_parts();
    // Forms (login, favourites, comments, check-in) come in the body. Read it before
    // anything else so the connection stays usable; a body too large or cut short is
    // answered 400 below, after the request is logged.
    let body = match Limited::new(body, MAX_REQUEST_BODY).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) => Err(e.to_string()),
    };
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned());
    let at = Instant::now();
    let mut record = RequestRecord {
        host,
        connection: conn_id,
        elapsed: at.saturating_duration_since(shared.started),
        at,
        method: parts.method.as_str().to_owned(),
        path_and_query,
        headers: RECORDED_HEADERS
            .iter()
            .filter_map(|name| {
                parts.headers.get(*name).map(|v| {
                    (
                        (*name).to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
            })
            .collect(),
        status: 0,
        fault: None,
    };
    let date = httpdate::fmt_http_date(shared.clock());
    if let Err(retry_after_secs) = shared.admit(host, at) {
        // The rate limit comes before routes and fault rules, like a front proxy's.
        record.fault = Some("rate-limit".to_owned());
        if !shared.cfg.latency.is_zero() {
            tokio::time::sleep(shared.cfg.latency).await;
        }
        let limited = FaultKind::TooManyRequests { retry_after_secs };
        let (status, response) = deliver(None, Some(&limited), parts.uri.path(), &date);
        record.status = status;
        shared.record(record);
        return response;
    }
    let decision = shared.decide_faults(host, &record.path_and_query);
    if !decision.labels.is_empty() {
        record.fault = Some(decision.labels.join(","));
    }
    let delay = shared.cfg.latency + decision.latency;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let fault = decision.fault;
    if fault == Some(FaultKind::Reset) {
        // Status 0 in the log: no response was sent.
        shared.record(record);
        ctl.kill_with_reset();
        return std::future::pending().await;
    }
    let reply = match &fault {
        // These answers do not depend on the route.
        Some(
            FaultKind::Status(_)
            | FaultKind::TooManyRequests { .. }
            | FaultKind::Mysql
            | FaultKind::HugeDimensions
            | FaultKind::HugeBody { .. },
        ) => None,
        Some(FaultKind::Cloudflare { .. } | FaultKind::RegionBlock { .. }) => None,
        _ => Some(match &body {
            Ok(body) => routes::route(&shared, host, &parts, body).await,
            Err(reason) => Reply::text(400, format!("unreadable request body: {reason}\n")),
        }),
    };
    let (status, response) = deliver(reply, fault.as_ref(), parts.uri.path(), &date);
    record.status = status;
    shared.record(record);
    response
}

fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never: Infallible| match never {})
        .boxed_unsync()
}

/// A body that sends `head`, then either fails after a short pause (truncation) or hangs
/// (stall).
fn partial(head: Bytes, stall: bool) -> Body {
    let first = futures::stream::once(async move { Ok::<_, io::Error>(Frame::data(head)) });
    let tail = futures::stream::once(async move {
        tokio::time::sleep(if stall { STALL_LIMIT } else { TRUNCATE_PAUSE }).await;
        Err(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "fault: body cut short",
        ))
    });
    StreamBody::new(futures::StreamExt::chain(first, tail)).boxed_unsync()
}

fn random_bytes(len: usize) -> Vec<u8> {
    let mut rng = fastrand::Rng::new();
    let mut bytes: Vec<u8> = std::iter::repeat_with(|| rng.u8(..)).take(len).collect();
    // No image format starts like this, so the bytes cannot be sniffed as a valid picture.
    let magic = b"\xde\xad\xbe\xef";
    let n = magic.len().min(bytes.len());
    bytes[..n].copy_from_slice(&magic[..n]);
    bytes
}

fn error_page(code: u16) -> (StatusCode, String) {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let reason = status.canonical_reason().unwrap_or(match code {
        520 => "Web server is returning an unknown error",
        521 => "Web server is down",
        522 => "Connection timed out",
        524 => "A timeout occurred",
        _ => "Error",
    });
    let body = format!(
        "<!DOCTYPE html>\n<html><head><title>{code} {reason}</title></head>\
         <body><h1>{code} {reason}</h1><p>jmcomic-emulator injected fault</p></body></html>\n"
    );
    (status, body)
}

/// The Cloudflare "Just a moment..." challenge (the `Cloudflare` fault). Its markers
/// (`<title>Just a moment...</title>`, `_cf_chl_opt`, the `challenge-platform` script) are
/// Cloudflare's, not the spec's; it is well over 500 characters, like the real one, so spec
/// §6.3.4's short-body checks never see it.
fn cloudflare_page() -> String {
    let filler = "<!-- jmcomic-emulator: Cloudflare challenge stand-in -->\n".repeat(8);
    format!(
        "<!DOCTYPE html><html lang=\"en-US\"><head><title>Just a moment...</title>\
         <meta http-equiv=\"Content-Type\" content=\"text/html; charset=UTF-8\">\
         <meta name=\"robots\" content=\"noindex,nofollow\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"></head>\
         <body><div class=\"main-wrapper\" role=\"main\"><div class=\"main-content\">\
         <h1 class=\"zone-name-title h1\">18comic.vip</h1>\
         <h2 class=\"h2\" id=\"challenge-running\">Checking if the site connection is secure</h2>\
         <noscript><div class=\"h2\">Enable JavaScript and cookies to continue</div></noscript>\
         </div></div><script>(function(){{window._cf_chl_opt={{cvId: '3',cType: 'managed',\
         cRay: '0',cHash: '0'}};var a=document.createElement('script');\
         a.src='/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1?ray=0';\
         document.getElementsByTagName('head')[0].appendChild(a);}}());</script>\n{filler}\
         </body></html>\n"
    )
}

/// The region-block page (the `RegionBlock` fault): short, containing `Restricted Access!`
/// (spec §6.3.4 step 3).
fn region_block_page() -> String {
    format!(
        "<!DOCTYPE html><html><head><title>{RESTRICTED_ACCESS}</title></head>\
         <body><h1>{RESTRICTED_ACCESS}</h1></body></html>\n"
    )
}

/// A body of exactly `total` bytes made of one shared 64 KiB block sent again and again, so
/// a gigabyte costs the emulator no memory (the `HugeBody` fault). Hyper pulls the next
/// block only once the previous one is written, so a slow reader slows the stream down.
fn repeating(total: u64) -> Body {
    let block = hostile::huge_body_block();
    let blocks = futures::stream::unfold(total, move |left| {
        let block = block.clone();
        async move {
            if left == 0 {
                return None;
            }
            let n = left.min(block.len() as u64) as usize;
            Some((
                Ok::<_, io::Error>(Frame::data(block.slice(..n))),
                left - n as u64,
            ))
        }
    });
    StreamBody::new(blocks).boxed_unsync()
}

/// Turns the route's reply into the response, applying an answer-changing fault. Returns the
/// status for the request log. `path` (without the query) picks the format of the hostile
/// images; `date` is the `Date` header (the emulator's clock).
fn deliver(
    reply: Option<Reply>,
    fault: Option<&FaultKind>,
    path: &str,
    date: &str,
) -> (u16, Response<Body>) {
    const HTML: &str = "text/html; charset=utf-8";
    let reply = reply.unwrap_or_else(|| Reply::text(200, ""));
    let route_status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK);
    let mut headers = Vec::new();
    let mut content_type = reply.content_type;
    let (status, body, length) = match fault {
        // Handshake faults never reach a request; listed so the match stays exhaustive.
        None
        | Some(
            FaultKind::Latency(_)
            | FaultKind::Reset
            | FaultKind::HandshakeReset
            | FaultKind::HandshakeStall,
        ) => {
            headers = reply.headers;
            let len = reply.body.len() as u64;
            (route_status, full(reply.body), len)
        }
        Some(FaultKind::Status(code)) => {
            let (status, page) = error_page(*code);
            content_type = HTML;
            let len = page.len() as u64;
            (status, full(page), len)
        }
        Some(FaultKind::TooManyRequests { retry_after_secs }) => {
            let page = "<html><body><h1>429 Too Many Requests</h1></body></html>\n";
            headers.push((RETRY_AFTER, retry_after_secs.to_string()));
            content_type = HTML;
            (StatusCode::TOO_MANY_REQUESTS, full(page), page.len() as u64)
        }
        Some(FaultKind::Mysql) => {
            content_type = HTML;
            (
                StatusCode::OK,
                full(MYSQL_ERROR_BODY),
                MYSQL_ERROR_BODY.len() as u64,
            )
        }
        Some(FaultKind::HugeDimensions) => {
            let (kind, bytes) = hostile::huge_dimensions_image(path);
            content_type = kind;
            let len = bytes.len() as u64;
            (StatusCode::OK, full(bytes), len)
        }
        Some(FaultKind::HugeBody { bytes }) => {
            content_type = hostile::content_type_for(path);
            (StatusCode::OK, repeating(*bytes), *bytes)
        }
        Some(FaultKind::NoCookies) => {
            headers = reply.headers;
            headers.retain(|(name, _)| *name != SET_COOKIE);
            let len = reply.body.len() as u64;
            (route_status, full(reply.body), len)
        }
        Some(FaultKind::Empty200) => (StatusCode::OK, full(Bytes::new()), 0),
        Some(FaultKind::Cloudflare { status }) => {
            let page = cloudflare_page();
            content_type = HTML;
            headers.push((SERVER, "cloudflare".to_owned()));
            headers.push((
                HeaderName::from_static("cf-mitigated"),
                "challenge".to_owned(),
            ));
            headers.push((
                HeaderName::from_static("cf-ray"),
                format!("{:016x}-NRT", fastrand::u64(..)),
            ));
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::FORBIDDEN);
            let len = page.len() as u64;
            (status, full(page), len)
        }
        Some(FaultKind::RegionBlock { status }) => {
            let page = region_block_page();
            content_type = HTML;
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::OK);
            let len = page.len() as u64;
            (status, full(page), len)
        }
        Some(FaultKind::BadCiphertext) if reply.is_envelope => {
            let body = routes::bad_ciphertext_envelope();
            let len = body.len() as u64;
            (StatusCode::OK, full(body), len)
        }
        Some(FaultKind::Garbage | FaultKind::BadCiphertext) => {
            // Same type and about the same size as the real answer; bad ciphertext on a
            // non-envelope route degrades to this too.
            let len = reply.body.len().max(64);
            (StatusCode::OK, full(random_bytes(len)), len as u64)
        }
        Some(FaultKind::Truncated | FaultKind::Stall) => {
            let stall = matches!(fault, Some(FaultKind::Stall));
            let len = reply.body.len();
            let head = reply.body.slice(..len / 2);
            (route_status, partial(head, stall), len as u64)
        }
    };
    let response = build(status, content_type, headers, body, length, date);
    (status.as_u16(), response)
}

fn build(
    status: StatusCode,
    content_type: &str,
    headers: Vec<(HeaderName, String)>,
    body: Body,
    length: u64,
    date: &str,
) -> Response<Body> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let map = response.headers_mut();
    // Set here, not left to hyper (which would write the machine's time): the emulator's
    // clock may be skewed on purpose (`clock_offset_secs`).
    if let Ok(v) = HeaderValue::from_str(date) {
        map.insert(DATE, v);
    }
    if let Ok(v) = HeaderValue::from_str(content_type) {
        map.insert(CONTENT_TYPE, v);
    }
    // Explicit even for full bodies: truncated and stalled bodies must announce the full size.
    map.insert(CONTENT_LENGTH, HeaderValue::from(length));
    for (name, value) in headers {
        if let Ok(v) = HeaderValue::from_str(&value) {
            map.append(name, v);
        }
    }
    response
}
