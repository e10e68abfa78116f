//! The board's web server (ruji-web over ruji-http, the demo exam, a real redb file) while
//! hundreds of idle and slow connections are open against it (issue 12 item 2: connections
//! cannot starve the board). Over loopback only: the server listens on 127.0.0.1; the
//! participant's PC connects from 127.0.0.2 and the bad PCs from other 127.0.0.x addresses,
//! each a PC of its own to the per-address cap (nothing leaves this machine).
//!
//! What the product promises, and these tests hold it to:
//! - one PC, however many connections it opens and holds, takes at most
//!   `max_connections_per_address` slots: a participant on another PC logs in, starts and
//!   saves at the first try, every request on a new connection, while they are open;
//! - when many PCs' idle and slow connections fill every slot, the header and body bounds close
//!   them all, and a save retried as the exam page retries it (every half second) succeeds once
//!   they have.
//!
//! Waits are bounded generously; nothing asserts how fast anything happens.

mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use reqwest::{Client, StatusCode};
use ruji_room::{Room, Settings};
use ruji_store::{OpenOptions, Store};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::task::JoinSet;

const TOKEN: &str = "ABCDEF";

/// A bound on every wait: it only turns a hang into a failure.
const PATIENCE: Duration = Duration::from_secs(90);

/// The participant's PC.
const PARTICIPANT_PC: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

/// Bad connections: idle ones, and slow ones (heads and bodies sent a byte at a time).
const IDLE: usize = 300;
const SLOW: usize = 300;

async fn within<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(PATIENCE, f)
        .await
        .unwrap_or_else(|_| panic!("gave up waiting: {what}"))
}

struct Server {
    addr: SocketAddr,
    url: String,
    _store: Store,
    _room: Room,
    _dir: tempfile::TempDir,
}

/// The board's web server with the demo exam, session H1S1 open, within `limits`.
async fn server(limits: ruji_http::Limits) -> Server {
    // Both ends of every connection are in this process.
    let files = ruji_sys::raise_open_files(8192).unwrap();
    assert!(files.enough(4096), "{files:?}");
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("ruji.redb"), OpenOptions::default()).unwrap();
    let room = Room::open(store.clone(), Settings::default())
        .await
        .unwrap();
    room.install_package(ruji_core::demo::package())
        .await
        .unwrap();
    let t = ruji_core::token::Token::parse(TOKEN).unwrap();
    store.open_session("H1S1", t).await.unwrap().unwrap();
    tokio::spawn(room.clone().periodic());
    let settings = ruji_web::Settings {
        limits,
        ..ruji_web::Settings::default()
    };
    let addr = common::serve(&room, settings).await;
    Server {
        addr,
        url: format!("http://{addr}"),
        _store: store,
        _room: room,
        _dir: dir,
    }
}

/// The participant's browser on its own PC, opening a new connection for every request (the
/// worst case: it never has one already open when the slots are full).
fn participant() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .local_address(IpAddr::V4(PARTICIPANT_PC))
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// One JSON API request; `Err` when the connection was refused or closed without an answer.
async fn api(
    c: &Client,
    method: &str,
    url: String,
    body: Option<Value>,
) -> Result<(StatusCode, Value), reqwest::Error> {
    let req = match method {
        "GET" => c.get(url),
        "PUT" => c.put(url),
        _ => c.post(url),
    };
    let req = match body {
        Some(b) => req.json(&b),
        None => req,
    };
    let r = req.send().await?;
    let s = r.status();
    let text = r.text().await?;
    Ok((s, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

/// A request that must be answered 200 at the first try.
async fn ok(c: &Client, method: &str, url: String, body: Option<Value>) -> Value {
    let (st, v) = within(&url.clone(), api(c, method, url, body))
        .await
        .unwrap();
    assert_eq!(st, StatusCode::OK, "{v}");
    v
}

/// Logs demo participant 1 in, passes identity and token, leaves practice.
async fn log_in_and_start(s: &Server, c: &Client) {
    let (u, p, d) = ruji_core::demo::login(1);
    let name = ruji_core::demo::package()
        .participant(&u)
        .unwrap()
        .name
        .clone();
    let login = json!({"username": u, "password": p});
    ok(c, "POST", format!("{}/api/v1/login", s.url), Some(login)).await;
    let identity = json!({"name": name, "birth_date": d, "token": TOKEN});
    let v = ok(c, "POST", format!("{}/api/v1/start", s.url), Some(identity)).await;
    assert_eq!(v["attempt"]["phase"], "practice");
    let v = ok(c, "POST", format!("{}/api/v1/practice/end", s.url), None).await;
    assert_eq!(v["attempt"]["phase"], "in_progress");
}

/// Item 1's id, and the save of an answer to it.
async fn the_save(s: &Server, c: &Client) -> (String, Value) {
    let item = ok(c, "GET", format!("{}/api/v1/items/1", s.url), None).await;
    let id = item["item"]["id"].as_str().unwrap().to_string();
    assert_eq!(id, "D01");
    (
        id,
        json!({"response": {"choice": "B"}, "doubtful": false, "rev": 1}),
    )
}

/// Whether the server has the answer to `id`.
async fn answered(s: &Server, c: &Client, id: &str) -> bool {
    let v = ok(c, "GET", format!("{}/api/v1/attempt", s.url), None).await;
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["id"] == id && i["answered"] == true)
}

/// Kinds of bad connection.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Bad {
    /// Connects and sends nothing.
    Idle,
    /// Sends a request head a byte every 500 ms.
    SlowHead,
    /// Sends a login's head, then its JSON body a byte every 500 ms.
    SlowBody,
}

/// Keeps bad connections going: the tasks that trickle, the writing halves of idle ones.
struct Held {
    _trickles: JoinSet<()>,
    _idle: Vec<OwnedWriteHalf>,
}

/// Opens `idle_n` idle and `slow_n` slow connections (slow heads and bodies in turn), mixed,
/// from `from` (the bad PCs' addresses, in turn). Gives each one's reading half and kind.
async fn bad_connections(
    addr: SocketAddr,
    from: &[Ipv4Addr],
    idle_n: usize,
    slow_n: usize,
) -> (Vec<(OwnedReadHalf, Bad)>, Held) {
    let mut conns = Vec::new();
    let mut trickles = JoinSet::new();
    let mut idle = Vec::new();
    let (mut idle_left, mut slow_left) = (idle_n, slow_n);
    while idle_left + slow_left > 0 {
        let kind = if idle_left > 0 && (idle_left >= slow_left || conns.len() % 2 == 0) {
            idle_left -= 1;
            Bad::Idle
        } else {
            slow_left -= 1;
            if slow_left % 2 == 0 {
                Bad::SlowHead
            } else {
                Bad::SlowBody
            }
        };
        let ip = from[conns.len() % from.len()];
        assert!(ip.is_loopback());
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(SocketAddr::from((ip, 0))).unwrap();
        let c = within("a bad connection", socket.connect(addr))
            .await
            .unwrap();
        let (rd, mut wr) = c.into_split();
        let (first, next): (String, u8) = match kind {
            Bad::Idle => (String::new(), 0),
            Bad::SlowHead => (
                "GET /api/v1/me HTTP/1.1\r\nHost: ruji\r\nX-Slow: ".into(),
                b'a',
            ),
            Bad::SlowBody => (
                "POST /api/v1/login HTTP/1.1\r\nHost: ruji\r\nContent-Type: application/json\r\n\
                 Content-Length: 10000\r\n\r\n{\"username\": \""
                    .into(),
                b'x',
            ),
        };
        if kind == Bad::Idle {
            idle.push(wr);
        } else {
            trickles.spawn(async move {
                if wr.write_all(first.as_bytes()).await.is_err() {
                    return;
                }
                loop {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    if wr.write_all(&[next]).await.is_err() {
                        return;
                    }
                }
            });
        }
        conns.push((rd, kind));
    }
    let held = Held {
        _trickles: trickles,
        _idle: idle,
    };
    (conns, held)
}

/// Whether the server has closed this connection (reads what is there, without waiting).
fn is_closed(rd: &OwnedReadHalf) -> bool {
    let mut buf = [0u8; 4096];
    loop {
        match rd.try_read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return false,
            Err(_) => return true,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_participant_saves_at_the_first_try_while_one_pc_holds_hundreds_of_connections() {
    // 64 slots; one PC may take 48 of them, most of the server.
    let cap = 48;
    let limits = ruji_http::Limits {
        max_connections: 64,
        max_connections_per_address: cap,
        cap_loopback: true,
        // Nothing closes the bad PC's connections during the test: they are all open while the
        // participant works.
        header_read_timeout: Duration::from_secs(600),
        body_timeout: Duration::from_secs(600),
        ..ruji_web::Settings::default().limits
    };
    let s = server(limits).await;
    let bad_pc = [Ipv4Addr::new(127, 0, 0, 1)];
    let (bad, _held) = bad_connections(s.addr, &bad_pc, IDLE, SLOW).await;

    let c = participant();
    log_in_and_start(&s, &c).await;
    let (id, answer) = the_save(&s, &c).await;
    let url = format!("{}/api/v1/answers/{id}", s.url);
    let v = ok(&c, "PUT", url, Some(answer)).await;
    assert_eq!(v["saved"], true);
    assert!(answered(&s, &c, &id).await);

    // The bad PC holds exactly its share: all but `cap` of its connections were refused (a
    // 503, or closed at once with the refusal slots busy); the rest are still open.
    within("all but the cap refused", async {
        loop {
            let n = bad.iter().filter(|(rd, _)| is_closed(rd)).count();
            if n == IDLE + SLOW - cap {
                break;
            }
            assert!(n < IDLE + SLOW - cap, "{n} closed");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_many_pcs_fill_every_slot_the_bounds_free_them_and_a_retried_save_succeeds() {
    // Short bounds, so that the test is short; every PC under the per-address cap.
    let limits = ruji_http::Limits {
        max_connections: 64,
        cap_loopback: true,
        header_read_timeout: Duration::from_secs(2),
        body_timeout: Duration::from_secs(2),
        ..ruji_web::Settings::default().limits
    };
    let s = server(limits).await;
    let c = participant();
    log_in_and_start(&s, &c).await;
    let (id, answer) = the_save(&s, &c).await;

    // 30 PCs, 20 connections each: far more than the 64 slots.
    let bad_pcs: Vec<Ipv4Addr> = (10..40).map(|i| Ipv4Addr::new(127, 0, 0, i)).collect();
    let (bad, _held) = bad_connections(s.addr, &bad_pcs, IDLE, SLOW).await;

    // The save, retried every half second as the exam page does (a 503 "busy", or a
    // connection closed unanswered), succeeds.
    let url = format!("{}/api/v1/answers/{id}", s.url);
    let mut refused = 0;
    within("the save", async {
        loop {
            match api(&c, "PUT", url.clone(), Some(answer.clone())).await {
                Ok((StatusCode::OK, v)) => {
                    assert_eq!(v["saved"], true);
                    break;
                }
                Ok((StatusCode::SERVICE_UNAVAILABLE, _)) | Err(_) => refused += 1,
                Ok((st, v)) => panic!("{st}: {v}"),
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    })
    .await;
    eprintln!("the save succeeded after {refused} refused tries");

    // Every bad connection is closed by the server: refused, or closed by the header bound
    // (idle, slow heads) or answered 408 by the body bound (slow bodies).
    let mut waits = JoinSet::new();
    for (mut rd, kind) in bad {
        waits.spawn(async move {
            let mut got = Vec::new();
            let _ = rd.read_to_end(&mut got).await;
            (kind, got)
        });
    }
    within("every bad connection closed", async {
        while let Some(done) = waits.join_next().await {
            let (kind, got) = done.unwrap();
            let text = String::from_utf8_lossy(&got);
            assert!(
                got.is_empty()
                    || text.starts_with("HTTP/1.1 503")
                    || (kind == Bad::SlowBody && text.starts_with("HTTP/1.1 408")),
                "{kind:?}: {text:?}"
            );
        }
    })
    .await;
    // The answer is on the server (asked once the slots are free again).
    assert!(
        answered(&s, &c, &id).await,
        "saved after {refused} refusals"
    );
}
