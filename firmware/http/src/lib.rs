//! ruji-http: serves an axum [`Router`] on a bound [`TcpListener`], over plain HTTP/1.1 or TLS
//! (rustls with ring), with a bound on everything a client can make the server hold.
//!
//! The board must never run out of anything, whatever a browser, an old PC switched off
//! mid-request or a misbehaving client does. [`serve`] is the one accept loop of the project's
//! servers (`ruji central` and the board's web server), and holds these bounds:
//! - at most [`Limits::max_connections`] connections are open at once (a semaphore, as in
//!   mini-redis), and at most [`Limits::max_connections_per_address`] from one IP address (so
//!   that one PC, faulty or hostile, cannot take the room's slots; loopback peers, the machine
//!   itself or a reverse proxy, are not counted unless [`Limits::cap_loopback`]); one over
//!   either gets a short HTTP 503 in Bahasa Indonesia and English ([`BUSY_TEXT`]) from one of
//!   [`Limits::max_refusing`] refusal slots, and with those full it is closed at once: nothing
//!   ever waits in a queue of ours; refusals are logged (rate-limited);
//! - a request head must arrive within [`Limits::header_read_timeout`], which (in hyper 1) also
//!   closes a keep-alive connection idle that long; a TLS handshake within
//!   [`Limits::tls_handshake_timeout`]; a connection's buffers stay within
//!   [`Limits::max_buffer_bytes`]; data a peer stops acknowledging (a PC switched off) closes its
//!   connection after [`Limits::dead_peer_timeout`];
//! - a request body must arrive within [`Limits::body_timeout`] of its head, and after that at
//!   [`Limits::min_body_rate`] on average (a wrapper around hyper's body, `BoundedBody`); one
//!   that stops or trickles is answered 408 ([`SLOW_TEXT`]) and its connection closed;
//! - a response that waits on a slow reader is written within [`Limits::write_timeout`] or its
//!   connection is closed (a wrapper around the socket, `WriteBound`);
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
//! stop), `PerAddress` (the per-address count), `BoundedBody` and `WriteBound` (the body and
//! write bounds), `Throttled` (rate-limited log lines), `is_listener_error`.
//!
//! [`Limits::open_files_needed`] says how many file descriptors a process serving within its
//! limits needs; `ruji` raises its soft open-files limit to the hard one at start when it is under
//! that (ruji-sys), and the
//! board's image starts it with room for it.

#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Request, Response, StatusCode};
use axum::Router;
use hyper::body::{Buf, Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::{JoinError, JoinSet};
use tokio_rustls::TlsAcceptor;

/// The one line a connection over the limit is answered with (status 503), in Bahasa Indonesia
/// and English.
pub const BUSY_TEXT: &str = "Server sedang sibuk, silakan coba lagi sebentar lagi. / \
                             The server is busy, please try again in a moment.\n";

/// The one line a request whose body did not arrive within [`Limits::body_timeout`] (and
/// [`Limits::min_body_rate`]) is answered with (status 408, then the connection is closed), in
/// Bahasa Indonesia and English.
pub const SLOW_TEXT: &str = "Permintaan terlalu lambat terkirim, silakan coba lagi. / \
                             The request arrived too slowly, please try again.\n";

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
/// has 512 MB of memory) serving a room of 15 to 1000 client PCs; they need more open files
/// than the usual default soft limit of 1024 ([`Limits::open_files_needed`]), which `ruji`
/// raises at start. The central server uses them too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Most connections open at once (being served, in a TLS handshake, or idle between
    /// requests). Default 1,536: a browser opens up to 6 connections to a server for a page
    /// load and keeps about one alive (the exam page's heartbeat every 15 s reuses it), so
    /// this covers 1,000 working PCs with a kept-alive connection each and 500 more
    /// connections of page loads (issue 19: at 768, a room of 1,000 had 232 PCs answered
    /// "busy"). A connection costs some 10-50 KB while it is served (hyper's buffers; rustls's
    /// state) and little when idle, so the limit holds memory to tens of MB. With
    /// [`Limits::max_refusing`] it needs 1,696 open files ([`Limits::open_files_needed`]).
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
    /// How long a request body may take to arrive, counted from the end of its head, before
    /// [`Limits::min_body_rate`] counts: at any moment `t` after the head, at least
    /// `(t - body_timeout) * min_body_rate` bytes of the body must have arrived, or the request
    /// is answered 408 ([`SLOW_TEXT`]) and its connection closed. A client that sends a head and
    /// then stops, or trickles its body, would otherwise hold its connection and its handler for
    /// as long as it likes: the header-read timeout ends with the head. Default 10 s: an old PC on
    /// a 100 Mbit LAN posts an answer or a form of a few KB in milliseconds, and 10 s leaves room
    /// for a few TCP retransmissions on a busy switch; it is under the board's 30 s bound on a
    /// whole request, so a stalled body is cut here, with its connection, before that.
    pub body_timeout: Duration,
    /// The least average rate, in bytes per second, at which a body must go on arriving once
    /// [`Limits::body_timeout`] has passed (see there); 0 makes `body_timeout` a bound on the
    /// whole body. Default 16 KiB/s (128 kbit/s): large bodies (a package of up to 256 MB
    /// uploaded to the board, a results bundle to the central server, a board's 256 KB results
    /// piece over a poor mobile link) take as long as their size needs at any rate a real link
    /// has, while a trickle of a few bytes a second is cut after `body_timeout`.
    pub min_body_rate: u64,
    /// How long writing a response may take once a write has had to wait for the peer (the
    /// kernel's send buffer is full because the peer reads more slowly than the server writes),
    /// until the peer's next request arrives; then the connection is closed. Responses that fit
    /// in the kernel's buffers (every page and answer) never wait. Default 60 s: the largest
    /// responses (a package's pictures and sound, the results download) are a few MB, seconds at
    /// 10 Mbit; a minute is a reader that stopped (a frozen browser) or reads a byte at a time.
    /// [`Limits::dead_peer_timeout`] covers a peer that stops acknowledging, and on Linux 5.11
    /// and later one that keeps its receive window at zero, but not a live peer that reads
    /// slowly and steadily: this does.
    pub write_timeout: Duration,
    /// Most connections open at once from one IP address; one over it is answered the same 503
    /// as over [`Limits::max_connections`]. Default 32: a PC's browser opens up to 6 connections
    /// to a server (a few tabs, two browsers, the proctor's pages: still under 32), so one PC,
    /// faulty or hostile, can never hold more than 32 of the 1,536 slots and the rest of the room
    /// is served; the header and body bounds then close what it holds that does nothing.
    /// Loopback peers are not counted unless [`Limits::cap_loopback`]. 0 turns the cap off.
    pub max_connections_per_address: usize,
    /// Whether [`Limits::max_connections_per_address`] counts loopback peers (127.0.0.0/8,
    /// ::1) too. Default false: a loopback peer is the machine itself, the reverse proxy that
    /// carries every client's connection to `ruji central --plain-http`, or a load test run on
    /// the board (scripts/bench); capping it would cap everyone. Tests turn it on to exercise
    /// the cap over 127.0.0.x.
    pub cap_loopback: bool,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: 1536,
            max_refusing: 32,
            header_read_timeout: Duration::from_secs(20),
            tls_handshake_timeout: Duration::from_secs(10),
            refusal_timeout: Duration::from_secs(5),
            shutdown_grace: Duration::from_secs(10),
            max_buffer_bytes: 64 * 1024,
            dead_peer_timeout: Some(Duration::from_secs(60)),
            body_timeout: Duration::from_secs(10),
            min_body_rate: 16 * 1024,
            write_timeout: Duration::from_secs(60),
            max_connections_per_address: 32,
            cap_loopback: false,
        }
    }
}

/// File descriptors a process serving within [`Limits`] needs besides its connections: the
/// store, logs, the LAN service's sockets, USB, the panel, the central-server client, the
/// runtime's own (epoll, event fds) and files opened while importing or backing up.
pub const OTHER_FILES: u64 = 128;

impl Limits {
    /// File descriptors a process serving within these limits needs: one per connection served
    /// or being refused, and [`OTHER_FILES`]. The soft open-files limit (RLIMIT_NOFILE) should
    /// be at least this.
    pub fn open_files_needed(&self) -> u64 {
        (self.max_connections + self.max_refusing) as u64 + OTHER_FILES
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
    /// Rate-limited log line of requests answered 408 (their body too slow), and of
    /// connections closed because the peer read a response too slowly.
    slow_log: Mutex<Throttled>,
    slow_reader_log: Mutex<Throttled>,
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
        slow_log: Mutex::new(Throttled::new(LOG_EVERY)),
        slow_reader_log: Mutex::new(Throttled::new(LOG_EVERY)),
    });
    let limits = &shared.limits;
    // Permits for served connections, and for connections being refused.
    let serving = Arc::new(Semaphore::new(limits.max_connections));
    let refusing = Arc::new(Semaphore::new(limits.max_refusing));
    // Connections open per peer address (those the cap counts).
    let per_address = Arc::new(PerAddress::new(limits.max_connections_per_address));
    // The shutdown broadcast: `true` asks every connection to finish.
    let (stop_tx, stop_rx) = watch::channel(false);
    // Every connection task; finished ones are reaped in the loop, so it holds at most
    // max_connections + max_refusing tasks (and those that ended since the last reaping).
    let mut tasks = JoinSet::new();
    let mut pause: Option<Duration> = None;
    let (mut refused_log, mut closed_log, mut error_log, mut address_log) = (
        Throttled::new(LOG_EVERY),
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
        // The per-address cap first: one address over it is refused even with slots free.
        let counted = limits.cap_loopback || !canonical(peer.ip()).is_loopback();
        let slot = if counted {
            match per_address.take(peer.ip()) {
                Ok(slot) => slot,
                Err(()) => {
                    if let Ok(permit) = refusing.clone().try_acquire_owned() {
                        address_log.hit(Instant::now(), |also| {
                            tracing::warn!(%peer, limit = limits.max_connections_per_address, also,
                                "too many connections from one address: answering 503 \
                                 (busy, try again)");
                        });
                        tasks.spawn(refuse(shared.clone(), tcp, peer, stop_rx.clone(), permit));
                    } else {
                        closed_log.hit(Instant::now(), |also| {
                            tracing::warn!(%peer, limit = limits.max_connections_per_address,
                                also, "too many connections from one address and refusals \
                                busy: closing without an answer");
                        });
                    }
                    continue;
                }
            }
        } else {
            None
        };
        if let Ok(permit) = serving.clone().try_acquire_owned() {
            tasks.spawn(connection(
                shared.clone(),
                tcp,
                peer,
                stop_rx.clone(),
                (permit, slot),
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
    _slots: (OwnedSemaphorePermit, Option<AddressSlot>),
) {
    let app = shared.app.clone();
    let svc_shared = shared.clone();
    let svc = hyper::service::service_fn(move |mut req: Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        let limits = &svc_shared.limits;
        let too_slow = Arc::new(AtomicBool::new(false));
        let req = req.map(|body| {
            BoundedBody::new(
                body,
                limits.body_timeout,
                limits.min_body_rate,
                too_slow.clone(),
            )
        });
        let answer = tower::Service::call(&mut app.clone(), req);
        let shared = svc_shared.clone();
        async move {
            let response = answer.await?;
            if !too_slow.load(Ordering::Relaxed) {
                return Ok::<_, Infallible>(response);
            }
            if let Ok(mut log) = shared.slow_log.lock() {
                log.hit(Instant::now(), |also| {
                    tracing::warn!(%peer, timeout_s = shared.limits.body_timeout.as_secs_f32(),
                        min_rate = shared.limits.min_body_rate, also,
                        "a request body arrived too slowly: answering 408 and closing");
                });
            }
            Ok(slow())
        }
    });
    let tcp = WriteBound::new(tcp, shared.limits.write_timeout);
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
        if is_write_timeout(&e) {
            if let Ok(mut log) = shared.slow_reader_log.lock() {
                log.hit(Instant::now(), |also| {
                    tracing::warn!(%peer,
                        timeout_s = shared.limits.write_timeout.as_secs_f32(), also,
                        "a response was read too slowly: connection closed");
                });
            }
        } else {
            tracing::debug!(%peer, error = %e, "connection ended with an error");
        }
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

/// The answer to a request whose body arrived too slowly: 408, and the connection closed.
fn slow() -> Response<Body> {
    let mut r = Response::new(Body::from(SLOW_TEXT));
    *r.status_mut() = StatusCode::REQUEST_TIMEOUT;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    h.insert(
        header::CONNECTION,
        header::HeaderValue::from_static("close"),
    );
    h.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    r
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
async fn handshake<I: AsyncRead + AsyncWrite + Unpin>(
    acceptor: &TlsAcceptor,
    tcp: I,
    peer: SocketAddr,
    limit: Duration,
    stop: &mut watch::Receiver<bool>,
) -> Option<tokio_rustls::server::TlsStream<I>> {
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

/// The address a peer is counted under: an IPv4 address mapped into IPv6 (a dual-stack
/// listener) as the IPv4 address it is.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Connections open per peer address, for [`Limits::max_connections_per_address`]. Only the
/// addresses with a connection open are kept, so it holds at most `max_connections` entries.
struct PerAddress {
    /// The cap; 0 for none.
    max: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One connection counted under its address; dropping it uncounts it.
struct AddressSlot {
    of: Arc<PerAddress>,
    ip: IpAddr,
}

impl PerAddress {
    fn new(max: usize) -> PerAddress {
        PerAddress {
            max,
            open: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one more connection from `ip`: `Ok(None)` without a cap, `Err` when `ip` has
    /// `max` open already.
    fn take(self: &Arc<Self>, ip: IpAddr) -> Result<Option<AddressSlot>, ()> {
        if self.max == 0 {
            return Ok(None);
        }
        let ip = canonical(ip);
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(ip).or_insert(0);
        if *n >= self.max {
            return Err(());
        }
        *n += 1;
        Ok(Some(AddressSlot {
            of: self.clone(),
            ip,
        }))
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut open = self.of.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// The error a [`BoundedBody`] ends with when its body arrives too slowly.
#[derive(Debug)]
struct BodyTooSlow;

impl std::fmt::Display for BodyTooSlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the request body arrived too slowly")
    }
}

impl std::error::Error for BodyTooSlow {}

/// A request body under [`Limits::body_timeout`] and [`Limits::min_body_rate`]: once the body
/// has taken `grace` plus one second per `rate` bytes received, counted from when the request
/// head was read, and the next frame is not there, it ends with [`BodyTooSlow`] and sets
/// `too_slow`, so that the answer is replaced by the 408. The timer runs only while the
/// application waits for the body; a body nobody reads is dropped unread by hyper, which then
/// closes the connection after the answer.
struct BoundedBody<B> {
    body: B,
    /// When the head was read.
    start: tokio::time::Instant,
    grace: Duration,
    /// Bytes per second; 0: `grace` bounds the whole body.
    rate: u64,
    /// Data bytes received so far.
    received: u64,
    /// Armed the first time the body has to be waited for; moved on as data arrives.
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
    too_slow: Arc<AtomicBool>,
}

impl<B> BoundedBody<B> {
    fn new(body: B, grace: Duration, rate: u64, too_slow: Arc<AtomicBool>) -> BoundedBody<B> {
        BoundedBody {
            body,
            start: tokio::time::Instant::now(),
            grace,
            rate,
            received: 0,
            sleep: None,
            too_slow,
        }
    }

    /// When the body must have gone on, given what it has sent.
    fn deadline(&self) -> tokio::time::Instant {
        let earned = match self.rate {
            0 => Duration::ZERO,
            r => Duration::from_secs_f64(self.received as f64 / r as f64),
        };
        self.start + self.grace.saturating_add(earned)
    }
}

impl<B> hyper::body::Body for BoundedBody<B>
where
    B: hyper::body::Body + Unpin,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Data = B::Data;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.body).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.received = this.received.saturating_add(data.remaining() as u64);
                    let deadline = this.deadline();
                    if let Some(sleep) = &mut this.sleep {
                        sleep.as_mut().reset(deadline);
                    }
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e.into()))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => {
                let deadline = this.deadline();
                let sleep = this
                    .sleep
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                if sleep.as_mut().poll(cx).is_ready() {
                    this.too_slow.store(true, Ordering::Relaxed);
                    return Poll::Ready(Some(Err(Box::new(BodyTooSlow))));
                }
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The message of the error a [`WriteBound`] fails a write with.
const WRITE_TIMEOUT_MESSAGE: &str = "the peer reads the response too slowly";

/// Whether hyper's connection ended because of a [`WriteBound`].
fn is_write_timeout(e: &hyper::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if let Some(io) = err.downcast_ref::<io::Error>() {
            if io.kind() == io::ErrorKind::TimedOut && io.to_string() == WRITE_TIMEOUT_MESSAGE {
                return true;
            }
        }
        source = err.source();
    }
    false
}

/// A connection's socket under [`Limits::write_timeout`]: the clock starts when a write first
/// has to wait for the peer, and stops when the peer sends data again (its next request); a
/// write still waiting, or attempted, after `limit` fails with `TimedOut`, and hyper closes
/// the connection.
struct WriteBound<I> {
    io: I,
    limit: Duration,
    /// Running since a write had to wait.
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<I> WriteBound<I> {
    fn new(io: I, limit: Duration) -> WriteBound<I> {
        WriteBound {
            io,
            limit,
            sleep: None,
        }
    }

    fn timed_out() -> io::Error {
        io::Error::new(io::ErrorKind::TimedOut, WRITE_TIMEOUT_MESSAGE)
    }

    /// Past the bound already (checked before every write, so that a peer that reads just
    /// enough now and then to let some writes through is cut all the same).
    fn expired(&self) -> bool {
        self.sleep.as_ref().is_some_and(|s| s.is_elapsed())
    }

    /// A write is waiting: starts the clock if it is not running; whether it has run out.
    fn waiting(&mut self, cx: &mut Context<'_>) -> bool {
        let limit = self.limit;
        let sleep = self
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        sleep.as_mut().poll(cx).is_ready()
    }

    /// Runs a write or flush of the inner socket under the bound.
    fn bounded<T>(
        &mut self,
        cx: &mut Context<'_>,
        op: impl FnOnce(Pin<&mut I>, &mut Context<'_>) -> Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>>
    where
        I: Unpin,
    {
        if self.expired() {
            return Poll::Ready(Err(Self::timed_out()));
        }
        match op(Pin::new(&mut self.io), cx) {
            Poll::Pending if self.waiting(cx) => Poll::Ready(Err(Self::timed_out())),
            other => other,
        }
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for WriteBound<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.io).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            // The peer sent again (its next request): the response before it is written.
            self.sleep = None;
        }
        r
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for WriteBound<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.bounded(cx, |io, cx| io.poll_write(cx, buf))
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.bounded(cx, |io, cx| io.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.bounded(cx, |io, cx| io.poll_flush(cx))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
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
    fn slow_answer_is_one_line_in_both_languages_and_closes() {
        assert_eq!(SLOW_TEXT.lines().count(), 1);
        assert!(SLOW_TEXT.contains("lambat") && SLOW_TEXT.contains("slowly"));
        let r = slow();
        assert_eq!(r.status(), StatusCode::REQUEST_TIMEOUT);
        assert_eq!(r.headers()[header::CONNECTION], "close");
    }

    #[test]
    fn connections_are_counted_per_address_and_uncounted_when_closed() {
        let per = Arc::new(PerAddress::new(2));
        let a: IpAddr = "192.168.0.7".parse().unwrap();
        let a_mapped: IpAddr = "::ffff:192.168.0.7".parse().unwrap();
        let b: IpAddr = "192.168.0.8".parse().unwrap();
        let one = per.take(a).unwrap();
        let two = per.take(a_mapped).unwrap();
        assert!(
            per.take(a).is_err(),
            "the same PC over IPv4 and mapped IPv6"
        );
        let other = per.take(b).unwrap();
        drop(one);
        let three = per.take(a).unwrap();
        drop((two, three, other));
        assert!(per.open.lock().unwrap().is_empty());
        // No cap: nothing is counted.
        assert!(Arc::new(PerAddress::new(0)).take(a).unwrap().is_none());
        assert!(canonical("::ffff:127.0.0.1".parse().unwrap()).is_loopback());
    }

    #[test]
    fn default_limits_fit_the_default_hard_open_files_limit() {
        let l = Limits::default();
        assert_eq!(l.open_files_needed(), 1536 + 32 + OTHER_FILES);
        // Over the usual soft limit (1024), under the kernel's default hard limit (4096), which
        // `ruji` raises its soft limit to without privilege (ruji_sys::raise_open_files).
        assert!(l.open_files_needed() <= 4096);
        assert!(
            l.body_timeout < Duration::from_secs(30),
            "under the board's request bound"
        );
        assert!(l.max_connections_per_address * 8 <= l.max_connections);
        assert!(l.max_buffer_bytes >= MIN_BUFFER_BYTES);
        assert!(
            l.header_read_timeout > Duration::from_secs(15),
            "over the heartbeat"
        );
    }
}
