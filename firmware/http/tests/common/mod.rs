//! What the tests of ruji-http share: a server on 127.0.0.1:0 with a few routes, a raw HTTP/1.1
//! client over any stream (so that a test controls each connection and each byte), and a log
//! capture.
#![allow(dead_code)]

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{ConnectInfo, State};
use axum::routing;
use axum::Router;
use ruji_http::Limits;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, Semaphore};
use tokio::task::JoinHandle;

/// A bound on every wait of a test: generous, so that a slow shared machine does not fail it;
/// it only turns a hang into a failure.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// Awaits `f` for at most [`PATIENCE`], or fails the test with `what`.
pub async fn within<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(PATIENCE, f)
        .await
        .unwrap_or_else(|_| panic!("gave up waiting: {what}"))
}

/// The routes' shared state: `/slow` tells `started` when it has begun and finishes when the
/// test adds a permit to `release`.
#[derive(Clone)]
pub struct Gate {
    pub started: mpsc::UnboundedSender<()>,
    pub release: Arc<Semaphore>,
}

/// Bytes of the `/big` answer: more than the kernel buffers of a loopback connection hold.
pub const BIG: usize = 32 * 1024 * 1024;

/// `/` says "ok"; `/peer` answers the peer address from `ConnectInfo`; `/slow` waits on the
/// gate; `POST /echo` reads the whole body and answers its length; `/big` answers [`BIG`] bytes.
pub fn app(gate: Gate) -> Router {
    Router::new()
        .route("/", routing::get(|| async { "ok" }))
        .route(
            "/echo",
            routing::post(|body: axum::body::Bytes| async move { body.len().to_string() }),
        )
        .route("/big", routing::get(|| async { vec![b'x'; BIG] }))
        .route(
            "/peer",
            routing::get(
                |ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.to_string() },
            ),
        )
        .route(
            "/slow",
            routing::get(|State(g): State<Gate>| async move {
                let _ = g.started.send(());
                g.release.acquire().await.unwrap().forget();
                "slow done"
            }),
        )
        .with_state(gate)
}

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    /// Sending (or dropping) it starts the shutdown.
    pub stop: Option<oneshot::Sender<()>>,
    pub task: JoinHandle<io::Result<()>>,
    /// One message per `/slow` request that has begun.
    pub started: mpsc::UnboundedReceiver<()>,
    /// Each permit added lets one `/slow` request finish.
    pub release: Arc<Semaphore>,
}

impl Server {
    pub fn shutdown(&mut self) {
        let _ = self.stop.take().unwrap().send(());
    }
}

pub async fn start(limits: Limits, tls: Option<Arc<rustls::ServerConfig>>) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    let release = Arc::new(Semaphore::new(0));
    let app = app(Gate {
        started: tx,
        release: release.clone(),
    });
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(ruji_http::serve(listener, app, tls, limits, async {
        let _ = stopped.await;
    }));
    Server {
        addr,
        stop: Some(stop),
        task,
        started: rx,
        release,
    }
}

/// A TCP connection to `addr` from the loopback address `from` (127.0.0.x: a PC of its own as
/// far as the per-address cap is concerned; nothing leaves this machine).
pub async fn connect_from(from: std::net::Ipv4Addr, addr: SocketAddr) -> io::Result<TcpStream> {
    assert!(from.is_loopback() && addr.ip().is_loopback());
    let s = tokio::net::TcpSocket::new_v4()?;
    s.bind(SocketAddr::from((from, 0)))?;
    s.connect(addr).await
}

/// An HTTP response as read off the wire.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    /// Header lines, lower-cased.
    pub headers: Vec<String>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        let prefix = format!("{name}:");
        self.headers
            .iter()
            .find(|h| h.starts_with(&prefix))
            .map(|h| h[prefix.len()..].trim())
    }
}

/// Sends `GET path` (keep-alive) and reads one response with a Content-Length body.
pub async fn get<S: AsyncRead + AsyncWrite + Unpin>(s: &mut S, path: &str) -> io::Result<Reply> {
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: ruji\r\n\r\n").as_bytes())
        .await?;
    s.flush().await?;
    read_reply(s).await
}

/// Reads one response: the head byte by byte (so nothing past it is taken), then the body.
pub async fn read_reply<S: AsyncRead + Unpin>(s: &mut S) -> io::Result<Reply> {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut b = [0u8; 1];
        if s.read(&mut b).await? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "closed after {:?} of a response head",
                    String::from_utf8_lossy(&head)
                ),
            ));
        }
        head.push(b[0]);
    }
    let head = String::from_utf8(head).expect("ASCII head");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("status line {status_line:?}"));
    let headers: Vec<String> = lines
        .filter(|l| !l.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let mut reply = Reply {
        status,
        headers,
        body: String::new(),
    };
    let len: usize = reply
        .header("content-length")
        .expect("a Content-Length")
        .parse()
        .unwrap();
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).await?;
    reply.body = String::from_utf8(body).unwrap();
    Ok(reply)
}

/// Waits until the peer closes the connection (end of stream or reset); returns what it sent
/// before that.
pub async fn closed<S: AsyncRead + Unpin>(s: &mut S) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match s.read(&mut buf).await {
            Ok(0) | Err(_) => return got,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// A log capture: every line the `tracing` subscriber writes.
#[derive(Clone, Default)]
pub struct Log(Arc<Mutex<Vec<u8>>>);

impl Log {
    /// Captures the logs of this thread (a `#[tokio::test]` runs the server's tasks on it) while
    /// the guard lives.
    pub fn capture() -> (Log, tracing::subscriber::DefaultGuard) {
        let log = Log::default();
        let w = log.clone();
        let sub = tracing_subscriber::fmt()
            .with_writer(move || w.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .finish();
        (log.clone(), tracing::subscriber::set_default(sub))
    }

    pub fn lines_with(&self, needle: &str) -> usize {
        let text = String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned();
        text.lines().filter(|l| l.contains(needle)).count()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl io::Write for Log {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
