//! The bounds of `ruji_http::serve` on what slow and idle clients hold, over real sockets on
//! loopback (the server on 127.0.0.1; a second "PC" connects from 127.0.0.2): a request body
//! that stops or trickles is answered 408 and closed, a large body at a steady rate is not cut,
//! a reader that stops reading a large response is closed, hundreds of idle and slow
//! connections do not keep a normal request out, the bounds close them and free their slots,
//! and one address cannot take more than its share of the slots.
//!
//! Waits are bounded generously ([`common::PATIENCE`]) and nothing asserts how fast anything
//! happens: only that a connection is closed (eventually, after a bound of a second or two) or
//! served.

mod common;

use std::net::Ipv4Addr;
use std::time::Duration;

use common::{closed, connect_from, get, read_reply, start, within, Log, BIG};
use ruji_http::{Limits, SLOW_TEXT};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::task::JoinSet;

/// A bound long enough that a test's connections stay open however slow the machine.
const KEEP: Duration = Duration::from_secs(300);

/// The second "PC": a loopback address of its own.
const OTHER_PC: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

/// Hundreds of each kind of bad connection.
const IDLE: usize = 300;
const SLOW: usize = 300;

/// Lets this process open the thousands of sockets these tests hold (both ends of each
/// connection are in it).
fn enough_files() {
    let _ = rlimit::increase_nofile_limit(u64::MAX);
}

fn post_head(len: usize) -> String {
    format!(
        "POST /echo HTTP/1.1\r\nHost: ruji\r\nContent-Type: text/plain\r\nContent-Length: {len}\r\n\r\n"
    )
}

#[tokio::test]
async fn a_body_that_stops_midway_is_answered_408_and_closed() {
    let (log, _guard) = Log::capture();
    let limits = Limits {
        body_timeout: Duration::from_secs(1),
        header_read_timeout: KEEP,
        ..Limits::default()
    };
    let srv = start(limits, None).await;
    // A whole body first: the route reads it and answers its length.
    let mut c = TcpStream::connect(srv.addr).await.unwrap();
    c.write_all(format!("{}{}", post_head(5), "hello").as_bytes())
        .await
        .unwrap();
    let r = within("a whole body", read_reply(&mut c)).await.unwrap();
    assert_eq!((r.status, r.body.as_str()), (200, "5"));

    // Then, on the same connection, a head that announces 1000 bytes and 10 of them.
    c.write_all(format!("{}{}", post_head(1000), "0123456789").as_bytes())
        .await
        .unwrap();
    let r = within("the 408", read_reply(&mut c)).await.unwrap();
    assert_eq!(r.status, 408);
    assert_eq!(r.body, SLOW_TEXT);
    assert_eq!(r.header("connection"), Some("close"));
    assert!(within("closed after the 408", closed(&mut c))
        .await
        .is_empty());
    assert_eq!(log.lines_with("arrived too slowly"), 1, "{}", log.text());
}

#[tokio::test]
async fn a_trickled_body_is_cut_after_the_bound() {
    let (log, _guard) = Log::capture();
    let limits = Limits {
        body_timeout: Duration::from_secs(1),
        header_read_timeout: KEEP,
        ..Limits::default()
    };
    let srv = start(limits, None).await;
    let c = TcpStream::connect(srv.addr).await.unwrap();
    let (mut rd, mut wr) = c.into_split();
    wr.write_all(post_head(100_000).as_bytes()).await.unwrap();
    // A byte every 100 ms: far under the default 16 KiB/s, for as long as the server takes it.
    let trickle = tokio::spawn(async move {
        for _ in 0..(common::PATIENCE.as_millis() / 100) {
            if wr.write_all(b"x").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    // The server answers 408 and closes. (Bytes the server has not read when it closes make
    // it a reset, which may discard the 408 on this side: the log says it was sent.)
    let got = within("the trickled body closed", closed(&mut rd)).await;
    assert!(
        got.is_empty() || got.starts_with(b"HTTP/1.1 408"),
        "{:?}",
        String::from_utf8_lossy(&got)
    );
    assert_eq!(log.lines_with("arrived too slowly"), 1, "{}", log.text());
    trickle.abort();
}

#[tokio::test]
async fn a_large_body_at_a_steady_rate_is_not_cut() {
    // 1 MiB in 32 KiB pieces every 100 ms (some 320 KiB/s, five times the rate asked) takes
    // over 3 s, three times `body_timeout`: the rate, not the first second, bounds it.
    let limits = Limits {
        body_timeout: Duration::from_secs(1),
        min_body_rate: 64 * 1024,
        ..Limits::default()
    };
    let srv = start(limits, None).await;
    let mut c = TcpStream::connect(srv.addr).await.unwrap();
    let len = 1024 * 1024;
    c.write_all(post_head(len).as_bytes()).await.unwrap();
    let piece = vec![b'x'; 32 * 1024];
    for _ in 0..len / piece.len() {
        c.write_all(&piece).await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let r = within("the answer", read_reply(&mut c)).await.unwrap();
    assert_eq!((r.status, r.body), (200, len.to_string()));
}

#[tokio::test]
async fn a_reader_that_stops_reading_a_large_response_is_closed() {
    let (log, _guard) = Log::capture();
    let limits = Limits {
        write_timeout: Duration::from_secs(1),
        header_read_timeout: KEEP,
        ..Limits::default()
    };
    let srv = start(limits, None).await;
    let mut c = TcpStream::connect(srv.addr).await.unwrap();
    c.write_all(b"GET /big HTTP/1.1\r\nHost: ruji\r\n\r\n")
        .await
        .unwrap();
    // Not reading: the server's writes wait, then give up.
    within("the slow reader closed", async {
        while log.lines_with("read too slowly") == 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    // What the kernel had buffered arrives, then the end: far less than the answer.
    let got = within("the end of the answer", closed(&mut c)).await;
    assert!(got.starts_with(b"HTTP/1.1 200"));
    assert!(got.len() < BIG, "{} bytes: the whole answer", got.len());
}

/// The kinds of bad connection: idle (connected, sends nothing), a request head sent a byte at
/// a time, a request body announced and sent a byte at a time.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Bad {
    Idle,
    SlowHead,
    SlowBody,
}

/// What keeps bad connections going: the tasks that trickle, the writing halves of idle ones
/// (dropping one would send a FIN).
struct Held {
    _trickles: JoinSet<()>,
    _idle: Vec<OwnedWriteHalf>,
}

/// Opens `idle + slow` bad connections from `from`, mixed: every other one idle, the others
/// slow heads and slow bodies in turn. Slow ones go on sending a byte every 500 ms until the
/// server closes them or [`Held`] is dropped. Gives each connection's reading half and kind.
async fn bad_connections(
    addr: std::net::SocketAddr,
    from: Ipv4Addr,
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
        let c = within("a bad connection", connect_from(from, addr))
            .await
            .unwrap();
        let (rd, mut wr) = c.into_split();
        let (first, next): (Vec<u8>, u8) = match kind {
            Bad::Idle => (Vec::new(), 0),
            Bad::SlowHead => (b"GET / HTTP/1.1\r\nHost: ruji\r\nX-Slow: ".to_vec(), b'a'),
            Bad::SlowBody => (post_head(100_000).into_bytes(), b'x'),
        };
        if kind != Bad::Idle {
            trickles.spawn(async move {
                if wr.write_all(&first).await.is_err() {
                    return;
                }
                loop {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    if wr.write_all(&[next]).await.is_err() {
                        return;
                    }
                }
            });
        } else {
            idle.push(wr);
        }
        conns.push((rd, kind));
    }
    let held = Held {
        _trickles: trickles,
        _idle: idle,
    };
    (conns, held)
}

/// Whether the server has closed this connection: reads what is there without waiting.
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

/// A normal client is served on a fresh connection from `from`.
async fn served(addr: std::net::SocketAddr, from: Ipv4Addr) {
    let mut c = within("a normal client connects", connect_from(from, addr))
        .await
        .unwrap();
    let r = within("a normal request", get(&mut c, "/")).await.unwrap();
    assert_eq!((r.status, r.body.as_str()), (200, "ok"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundreds_of_idle_and_slow_connections_leave_room_for_a_request() {
    enough_files();
    // The default bounds but the timeouts: the bad connections stay open all along.
    let limits = Limits {
        header_read_timeout: KEEP,
        body_timeout: KEEP,
        ..Limits::default()
    };
    assert!(IDLE + SLOW < limits.max_connections);
    let srv = start(limits, None).await;
    let localhost = Ipv4Addr::LOCALHOST;
    let (bad, _held) = bad_connections(srv.addr, localhost, IDLE, SLOW).await;
    // A request served, from this address and from another, again and again.
    for _ in 0..5 {
        served(srv.addr, localhost).await;
        served(srv.addr, OTHER_PC).await;
    }
    // Every bad connection is still open, held by the server.
    for (rd, kind) in &bad {
        assert!(!is_closed(rd), "a {kind:?} connection was closed");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bounds_close_idle_and_slow_connections_and_free_their_slots() {
    enough_files();
    // Few slots: the bad connections take every one, the rest are refused.
    let limits = Limits {
        max_connections: 64,
        header_read_timeout: Duration::from_secs(1),
        body_timeout: Duration::from_secs(1),
        ..Limits::default()
    };
    let srv = start(limits, None).await;
    let localhost = Ipv4Addr::LOCALHOST;
    let (bad, _held) = bad_connections(srv.addr, localhost, IDLE, SLOW).await;
    // Every one is closed by the server: over the limit with a 503 (or at once), in a slot
    // after the header bound (idle, slow head) or with a 408 after the body bound.
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
    // The slots are free again.
    served(srv.addr, localhost).await;
}

// One thread: the log capture sees the server's lines.
#[tokio::test]
async fn one_address_cannot_take_every_slot() {
    enough_files();
    let (log, _guard) = Log::capture();
    let limits = Limits {
        max_connections: 64,
        max_connections_per_address: 16,
        cap_loopback: true,
        header_read_timeout: KEEP,
        body_timeout: KEEP,
        ..Limits::default()
    };
    let srv = start(limits, None).await;
    let (bad, _held) = bad_connections(srv.addr, Ipv4Addr::LOCALHOST, IDLE, SLOW).await;
    // The other PC is served while they are open.
    for _ in 0..5 {
        served(srv.addr, OTHER_PC).await;
    }
    // All but 16 of the bad PC's connections are refused (a 503 or closed at once); the 16 it
    // holds stay open, for the bounds to close.
    let want = IDLE + SLOW - 16;
    within("all but 16 refused", async {
        loop {
            let n = bad.iter().filter(|(rd, _)| is_closed(rd)).count();
            if n == want {
                break;
            }
            assert!(n < want, "{n} closed");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    served(srv.addr, OTHER_PC).await;
    assert!(
        log.lines_with("too many connections from one address") >= 1,
        "{}",
        log.text()
    );
}
