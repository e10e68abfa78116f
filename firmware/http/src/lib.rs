//! ruji-http: serves an axum [`Router`] on a bound [`TcpListener`], over plain HTTP/1.1 or TLS
//! (rustls with ring), with a bound on everything a client can make the server hold.
//!
//! The board must never run out of anything, whatever a browser, an old PC switched off
//! mid-request or a misbehaving client does. [`serve`] is the one accept loop of the project's
//! servers (`ruji central` and the board's web server), and holds these bounds:
//! - at most [`Limits::max_connections`] connections are open at once (a semaphore, as in
//!   mini-redis); one over the limit gets a short HTTP 503 in Bahasa Indonesia and English
//!   ([`BUSY_TEXT`]) from one of [`Limits::max_refusing`] refusal slots, and with those full it is
//!   closed at once: nothing ever waits in a queue of ours;
//! - a request head must arrive within [`Limits::header_read_timeout`], which (in hyper 1) also
//!   closes a keep-alive connection idle that long; a TLS handshake within
//!   [`Limits::tls_handshake_timeout`]; a connection's buffers stay within
//!   [`Limits::max_buffer_bytes`]; data a peer stops acknowledging (a PC switched off) closes its
//!   connection after [`Limits::dead_peer_timeout`];
//! - an error of `accept` (out of file descriptors, say) is logged and retried after a pause
//!   that grows to a second, never in a busy loop; log lines of refusals and errors are
//!   rate-limited;
//! - on shutdown the listener is closed at once (new connections are refused by the kernel),
//!   every connection is asked to finish (hyper's graceful shutdown: the request in flight is
//!   answered, then the connection closes), and [`serve`] returns when they have, or after
//!   [`Limits::shutdown_grace`], when those left are closed.
//!
//! Handlers get the peer's address as [`axum::extract::ConnectInfo<SocketAddr>`], as with
//! `into_make_service_with_connect_info`. HTTP/1.1 only: every browser in an exam room speaks it,
//! and the TLS configuration should offer no ALPN protocol but `http/1.1`.
//!
//! Layout: [`Limits`] (the bounds, their defaults and why), [`serve`] (the accept loop), then
//! private: `connection` and `refuse` (one task per connection: TLS handshake, hyper's HTTP/1
//! connection, graceful shutdown), `drive` (a hyper connection until it ends or is asked to
//! stop), `Throttled` (rate-limited log lines), `is_listener_error`.

#![forbid(unsafe_code)]

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Request, Response, StatusCode};
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::{JoinError, JoinSet};
use tokio_rustls::TlsAcceptor;

/// The one line a connection over the limit is answered with (status 503), in Bahasa Indonesia
/// and English.
pub const BUSY_TEXT: &str = "Server sedang sibuk, silakan coba lagi sebentar lagi. / \
                             The server is busy, please try again in a moment.\n";

/// Seconds a refused client is told to wait (`Retry-After`).
const BUSY_RETRY_AFTER: &str = "5";

/// Most bytes of a refused request's body read before the 503 is sent: reading what the
/// client sent lets the connection close with a FIN, not a reset that could discard the answer.
const REFUSAL_DRAIN_BYTES: usize = 64 * 1024;

/// First pause after a failed `accept`; it doubles on each failure in a row, up to
/// [`ACCEPT_PAUSE_MAX`], and starts again after an accept succeeds.
const ACCEPT_PAUSE_MIN: Duration = Duration::from_millis(10);
/// Longest pause after failed `accept`s.
const ACCEPT_PAUSE_MAX: Duration = Duration::from_secs(1);

/// At most one log line of a kind (refusals, closed connections, accept errors) per this long;
/// each line says how many it stands for.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// The least `max_buffer_bytes` hyper accepts (it panics below).
const MIN_BUFFER_BYTES: usize = 8192;

/// The bounds [`serve`] holds. The defaults are sized for a Raspberry-Pi-class board (a Zero 2 W
/// has 512 MB of memory) serving a room of 15 to 1000 client PCs, within the default limit of
/// 1024 open files per process; the central server uses them too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Most connections open at once (being served, in a TLS handshake, or idle between
    /// requests). Default 768: a browser opens up to 6 connections to a server for a page
    /// load and keeps about one alive (the exam page's heartbeat every 15 s reuses it), so
    /// this covers a room of over 100 PCs loading pages at once and several hundred working.
    /// With [`Limits::max_refusing`] it leaves about 220 of the default 1024 file descriptors
    /// for the store, logs, the LAN socket and the central-server client. A connection costs
    /// some 10-50 KB (hyper's buffers; rustls's state), so the limit holds memory to tens of
    /// MB. Serving more than ~700 busy clients needs a higher open-files limit (`ulimit -n`)
    /// and a higher value here.
    pub max_connections: usize,
    /// Most connections being refused at once, each answered with the 503 [`BUSY_TEXT`]
    /// (after its TLS handshake, on TLS). Beyond this a connection over the limit is closed
    /// without an answer. Default 32: refusing is quick, and a flood of refusals must not cost
    /// the file descriptors the served connections need.
    pub max_refusing: usize,
    /// How long a client has to send a whole request head (request line and headers), from the
    /// first byte it may send; in hyper 1 the same timer closes a keep-alive connection that
    /// sits idle this long between requests. Default 20 s: a head on the LAN takes milliseconds,
    /// even from an old PC; a client that sends half a head and stalls is closed, and 20 s is
    /// over the exam page's 15 s heartbeat, so a working participant's connection is reused
    /// rather than opened again for every heartbeat.
    pub header_read_timeout: Duration,
    /// How long a TLS handshake may take. Default 10 s: a few round trips, over a slow mobile
    /// link at worst.
    pub tls_handshake_timeout: Duration,
    /// How long a connection over the limit is kept to be answered 503: its TLS handshake, its
    /// request head, the answer. Default 5 s.
    pub refusal_timeout: Duration,
    /// On shutdown, how long requests in flight have to finish before their connections are
    /// closed. Default 10 s: requests are answered in milliseconds (the board's web server
    /// bounds a request at 30 s), and a board being switched off must not wait long.
    pub shutdown_grace: Duration,
    /// Most bytes hyper buffers for one connection in each direction; a request head larger
    /// than this is answered 431. Default 64 KiB (hyper's own is ~400 KiB): heads of a browser
    /// are a few KB, and it bounds a connection's memory to a known size. Values under 8192 are
    /// taken as 8192, the least hyper accepts.
    pub max_buffer_bytes: usize,
    /// How long data sent to a peer may stay unacknowledged before its connection is closed
    /// (TCP_USER_TIMEOUT, on Linux; ignored elsewhere). A PC switched off or unplugged while it
    /// is sent a large response otherwise holds its connection for the kernel's ~15 minutes of
    /// retransmissions. Default 60 s: on a LAN an ACK comes in milliseconds, and a minute
    /// without any is a peer that is gone. `None` keeps the system's behaviour.
    pub dead_peer_timeout: Option<Duration>,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: 768,
            max_refusing: 32,
            header_read_timeout: Duration::from_secs(20),
            tls_handshake_timeout: Duration::from_secs(10),
            refusal_timeout: Duration::from_secs(5),
            shutdown_grace: Duration::from_secs(10),
            max_buffer_bytes: 64 * 1024,
            dead_peer_timeout: Some(Duration::from_secs(60)),
        }
    }
}

/// What every connection task of one [`serve`] shares.
struct Shared {
    /// The application; cloned per request (a `Router` clone is a reference count).
    app: Router,
    /// The TLS acceptor, `None` for plain HTTP.
    tls: Option<TlsAcceptor>,
    /// HTTP/1 settings of served connections: the timer, the header-read timeout, the buffer
    /// bound; keep-alive on.
    http1: http1::Builder,
    /// HTTP/1 settings of refused connections: as `http1`, with keep-alive off, so that the
    /// connection closes after its 503.
    refusal_http1: http1::Builder,
    /// The bounds.
    limits: Limits,
}

/// Serves `app` on `listener` until `shutdown` resolves, plain HTTP/1.1 or, with `tls`, HTTPS,
/// within `limits`; then stops accepting, lets the requests in flight finish (up to
/// [`Limits::shutdown_grace`]) and returns. Handlers can extract
/// [`ConnectInfo<SocketAddr>`](axum::extract::ConnectInfo) (the peer's address).
///
/// Errors of `accept` are logged and retried after a pause; the only error returned is one
/// that means the listener itself cannot accept any more (EBADF, ENOTSOCK, EINVAL), after the
/// open connections have been shut down as above.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    tls: Option<Arc<rustls::ServerConfig>>,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    if let Some(cfg) = &tls {
        if cfg.alpn_protocols.iter().any(|p| p != b"http/1.1") {
            tracing::warn!(
                "the TLS configuration offers ALPN protocols other than http/1.1; \
                 this server speaks HTTP/1.1 only"
            );
        }
    }
    let mut http1 = http1::Builder::new();
    http1
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(limits.max_buffer_bytes.max(MIN_BUFFER_BYTES));
    let mut refusal_http1 = http1.clone();
    refusal_http1.keep_alive(false);
    let shared = Arc::new(Shared {
        app,
        tls: tls.map(TlsAcceptor::from),
        http1,
        refusal_http1,
        limits,
    });
    let limits = &shared.limits;
    // Permits for served connections, and for connections being refused.
    let serving = Arc::new(Semaphore::new(limits.max_connections));
    let refusing = Arc::new(Semaphore::new(limits.max_refusing));
    // The shutdown broadcast: `true` asks every connection to finish.
    let (stop_tx, stop_rx) = watch::channel(false);
    // Every connection task; finished ones are reaped in the loop, so it holds at most
    // max_connections + max_refusing tasks (and those that ended since the last reaping).
    let mut tasks = JoinSet::new();
    let mut pause: Option<Duration> = None;
    let (mut refused_log, mut closed_log, mut error_log) = (
        Throttled::new(LOG_EVERY),
        Throttled::new(LOG_EVERY),
        Throttled::new(LOG_EVERY),
    );
    let mut fatal = None;
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            biased;
            () = &mut shutdown => break,
            Some(ended) = tasks.join_next(), if !tasks.is_empty() => {
                log_task_end(ended);
                continue;
            }
            r = listener.accept() => r,
        };
        let (tcp, peer) = match accepted {
            Ok(c) => c,
            Err(e) if is_listener_error(&e) => {
                tracing::error!(error = %e, "the listening socket cannot accept connections");
                fatal = Some(e);
                break;
            }
            Err(e) => {
                // Out of file descriptors or memory, or an error of one incoming connection:
                // pause, so that an error that stays does not turn this loop into a busy one.
                let p = pause.map_or(ACCEPT_PAUSE_MIN, |p| (p * 2).min(ACCEPT_PAUSE_MAX));
                pause = Some(p);
                error_log.hit(Instant::now(), |also| {
                    tracing::warn!(error = %e, pause_ms = p.as_millis() as u64, also,
                        "accepting a connection failed; pausing before the next try");
                });
                tokio::select! {
                    biased;
                    () = &mut shutdown => break,
                    () = tokio::time::sleep(p) => continue,
                }
            }
        };
        pause = None;
        tune(&tcp, limits);
        if let Ok(permit) = serving.clone().try_acquire_owned() {
            tasks.spawn(connection(
                shared.clone(),
                tcp,
                peer,
                stop_rx.clone(),
                permit,
            ));
        } else if let Ok(permit) = refusing.clone().try_acquire_owned() {
            refused_log.hit(Instant::now(), |also| {
                tracing::warn!(%peer, limit = limits.max_connections, also,
                    "connection limit reached: answering 503 (busy, try again)");
            });
            tasks.spawn(refuse(shared.clone(), tcp, peer, stop_rx.clone(), permit));
        } else {
            closed_log.hit(Instant::now(), |also| {
                tracing::warn!(%peer, limit = limits.max_connections, also,
                    "connection limit reached and refusals busy: closing without an answer");
            });
            drop(tcp);
        }
    }

    // Shutdown: new connections are refused by the kernel from here on.
    drop(listener);
    stop_tx.send_replace(true);
    tracing::info!(
        connections = tasks.len(),
        grace_s = limits.shutdown_grace.as_secs_f32(),
        "stopped accepting; finishing the requests in flight"
    );
    let drained = tokio::time::timeout(limits.shutdown_grace, async {
        while let Some(ended) = tasks.join_next().await {
            log_task_end(ended);
        }
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            connections = tasks.len(),
            "shutdown grace period over: closing the connections still open"
        );
        tasks.shutdown().await;
    }
    match fatal {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Whether an error of `accept` means the listening socket itself is unusable, rather than a
/// shortage (EMFILE, ENFILE, ENOBUFS, ENOMEM) or a problem of one incoming connection
/// (ECONNABORTED, EPROTO...), which pass.
fn is_listener_error(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EBADF | libc::ENOTSOCK | libc::EINVAL)
    )
}

/// Socket options of an accepted connection: the dead-peer timeout.
fn tune(tcp: &TcpStream, limits: &Limits) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if let Some(t) = limits.dead_peer_timeout {
        if let Err(e) = socket2::SockRef::from(tcp).set_tcp_user_timeout(Some(t)) {
            tracing::debug!(error = %e, "TCP_USER_TIMEOUT not set");
        }
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = (tcp, limits);
}

/// Logs a connection task that panicked (its connection is closed and its permit returned).
fn log_task_end(ended: Result<(), JoinError>) {
    if let Err(e) = ended {
        if e.is_panic() {
            tracing::error!(error = %e, "a connection's task panicked; its connection is closed");
        }
    }
}

/// Serves one connection within its permit: TLS handshake, then HTTP/1 until the client closes,
/// a timeout closes it, or shutdown asks it to finish.
async fn connection(
    shared: Arc<Shared>,
    tcp: TcpStream,
    peer: SocketAddr,
    mut stop: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
) {
    let app = shared.app.clone();
    let svc = hyper::service::service_fn(move |mut req: Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        tower::Service::call(&mut app.clone(), req)
    });
    let result = match &shared.tls {
        None => drive(&shared.http1, tcp, svc, &mut stop).await,
        Some(acceptor) => {
            let limit = shared.limits.tls_handshake_timeout;
            match handshake(acceptor, tcp, peer, limit, &mut stop).await {
                Some(tls) => drive(&shared.http1, tls, svc, &mut stop).await,
                None => return,
            }
        }
    };
    if let Err(e) = result {
        tracing::debug!(%peer, error = %e, "connection ended with an error");
    }
}

/// Answers one connection over the limit with a 503 and closes it, all within
/// [`Limits::refusal_timeout`].
async fn refuse(
    shared: Arc<Shared>,
    tcp: TcpStream,
    peer: SocketAddr,
    mut stop: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
) {
    let svc = hyper::service::service_fn(|req: Request<Incoming>| async move {
        let _ = axum::body::to_bytes(Body::new(req.into_body()), REFUSAL_DRAIN_BYTES).await;
        Ok::<_, Infallible>(busy())
    });
    let limits = &shared.limits;
    let work = async {
        match &shared.tls {
            None => drive(&shared.refusal_http1, tcp, svc, &mut stop).await,
            Some(acceptor) => {
                let limit = limits.tls_handshake_timeout;
                match handshake(acceptor, tcp, peer, limit, &mut stop).await {
                    Some(tls) => drive(&shared.refusal_http1, tls, svc, &mut stop).await,
                    None => Ok(()),
                }
            }
        }
    };
    match tokio::time::timeout(limits.refusal_timeout, work).await {
        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "refused connection ended with an error"),
        Err(_) => tracing::debug!(%peer, "refused connection timed out"),
        Ok(Ok(())) => {}
    }
}

/// The answer to a connection over the limit.
fn busy() -> Response<Body> {
    let mut r = Response::new(Body::from(BUSY_TEXT));
    *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    h.insert(
        header::RETRY_AFTER,
        header::HeaderValue::from_static(BUSY_RETRY_AFTER),
    );
    h.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    r
}

/// A TLS handshake within `limit`; `None` if it fails, times out, or shutdown comes first.
async fn handshake(
    acceptor: &TlsAcceptor,
    tcp: TcpStream,
    peer: SocketAddr,
    limit: Duration,
    stop: &mut watch::Receiver<bool>,
) -> Option<tokio_rustls::server::TlsStream<TcpStream>> {
    tokio::select! {
        r = tokio::time::timeout(limit, acceptor.accept(tcp)) => match r {
            Ok(Ok(s)) => Some(s),
            Ok(Err(e)) => {
                tracing::debug!(%peer, error = %e, "TLS handshake failed");
                None
            }
            Err(_) => {
                tracing::debug!(%peer, "TLS handshake timed out");
                None
            }
        },
        () = stopped(stop) => None,
    }
}

/// Runs hyper's HTTP/1 connection over `io` until it ends; once `stop` turns true, asks it to
/// finish gracefully (the request in flight is answered, then the connection closes; an idle
/// one closes at once) and waits for that.
async fn drive<I, S, B>(
    http1: &http1::Builder,
    io: I,
    svc: S,
    stop: &mut watch::Receiver<bool>,
) -> Result<(), hyper::Error>
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + 'static,
    S: hyper::service::HttpService<Incoming, ResBody = B>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    B: hyper::body::Body + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let conn = http1.serve_connection(TokioIo::new(io), svc);
    let mut conn = std::pin::pin!(conn);
    tokio::select! {
        r = conn.as_mut() => r,
        () = stopped(stop) => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    }
}

/// Resolves once shutdown has been asked for (or [`serve`] is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// A log line at most once per period, saying how many occurrences it stands for.
struct Throttled {
    /// The least time between two lines.
    every: Duration,
    /// When the last line was written.
    last: Option<Instant>,
    /// Occurrences since the last line that wrote none.
    held: u64,
}

impl Throttled {
    fn new(every: Duration) -> Throttled {
        Throttled {
            every,
            last: None,
            held: 0,
        }
    }

    /// One occurrence at `now`: calls `log` with the number of occurrences held back since the
    /// last line, if a line is due.
    fn hit(&mut self, now: Instant, log: impl FnOnce(u64)) {
        if self
            .last
            .is_none_or(|t| now.saturating_duration_since(t) >= self.every)
        {
            log(self.held);
            self.held = 0;
            self.last = Some(now);
        } else {
            self.held += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttled_writes_one_line_per_period_with_the_count() {
        let mut t = Throttled::new(Duration::from_secs(10));
        let t0 = Instant::now();
        let mut lines = Vec::new();
        for s in [0, 1, 2, 9, 10, 11, 25] {
            t.hit(t0 + Duration::from_secs(s), |held| lines.push((s, held)));
        }
        assert_eq!(lines, vec![(0, 0), (10, 3), (25, 1)]);
    }

    #[test]
    fn busy_answer_is_one_line_in_both_languages() {
        assert_eq!(BUSY_TEXT.lines().count(), 1);
        assert!(BUSY_TEXT.contains("sibuk") && BUSY_TEXT.contains("busy"));
        let r = busy();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers()[header::RETRY_AFTER], BUSY_RETRY_AFTER);
    }

    #[test]
    fn listener_errors_are_told_from_shortages() {
        for errno in [libc::EBADF, libc::ENOTSOCK, libc::EINVAL] {
            assert!(is_listener_error(&io::Error::from_raw_os_error(errno)));
        }
        for errno in [
            libc::EMFILE,
            libc::ENFILE,
            libc::ENOBUFS,
            libc::ENOMEM,
            libc::ECONNABORTED,
            libc::EPROTO,
            libc::EPERM,
        ] {
            assert!(!is_listener_error(&io::Error::from_raw_os_error(errno)));
        }
        assert!(!is_listener_error(&io::Error::other("no errno")));
    }

    #[test]
    fn default_limits_fit_the_default_open_files_limit() {
        let l = Limits::default();
        assert!(l.max_connections + l.max_refusing + 128 <= 1024);
        assert!(l.max_buffer_bytes >= MIN_BUFFER_BYTES);
        assert!(
            l.header_read_timeout > Duration::from_secs(15),
            "over the heartbeat"
        );
    }
}
