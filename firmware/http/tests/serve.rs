//! `ruji_http::serve` over real sockets on 127.0.0.1: the connection limit and its 503, the
//! header-read timeout (a stalled head, an idle keep-alive connection), graceful shutdown and
//! its grace period, `ConnectInfo`, and the same over TLS. Waits are bounded generously and the
//! assertions are on behaviour, never on how fast it happens.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{closed, get, read_reply, start, within, Log};
use ruji_http::{Limits, BUSY_TEXT};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// A header-read (and keep-alive idle) timeout long enough that a test's idle connections stay
/// open however slow the machine.
const KEEP: Duration = Duration::from_secs(300);

#[tokio::test]
async fn connect_info_reaches_the_handler() {
    let srv = start(Limits::default(), None).await;
    let mut c = TcpStream::connect(srv.addr).await.unwrap();
    let r = within("/peer", get(&mut c, "/peer")).await.unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.body, c.local_addr().unwrap().to_string());
}

#[tokio::test]
async fn over_the_limit_a_connection_gets_503_until_one_closes() {
    let (log, _guard) = Log::capture();
    let t0 = Instant::now();
    let limits = Limits {
        max_connections: 2,
        header_read_timeout: KEEP,
        ..Limits::default()
    };
    let srv = start(limits, None).await;
    // Two connections served and kept open (keep-alive): the limit is reached.
    let mut a = TcpStream::connect(srv.addr).await.unwrap();
    let mut b = TcpStream::connect(srv.addr).await.unwrap();
    assert_eq!(within("a", get(&mut a, "/")).await.unwrap().status, 200);
    assert_eq!(within("b", get(&mut b, "/")).await.unwrap().status, 200);

    // Each further connection is answered 503 with the one line, then closed.
    for _ in 0..5 {
        let mut c = TcpStream::connect(srv.addr).await.unwrap();
        let r = within("the 503", get(&mut c, "/")).await.unwrap();
        assert_eq!(r.status, 503);
        assert_eq!(r.body, BUSY_TEXT);
        assert_eq!(r.header("connection"), Some("close"));
        assert_eq!(r.header("retry-after"), Some("5"));
        assert!(r
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/plain")));
        assert!(within("closed after the 503", closed(&mut c))
            .await
            .is_empty());
    }
    // The open ones are still served.
    assert_eq!(
        within("a again", get(&mut a, "/")).await.unwrap().status,
        200
    );

    // One closes: a new connection is served once the server has seen the close.
    drop(b);
    let mut refused_meanwhile = 0;
    within("a new connection served", async {
        loop {
            let mut c = TcpStream::connect(srv.addr).await.unwrap();
            let r = get(&mut c, "/").await.unwrap();
            if r.status == 200 {
                break;
            }
            assert_eq!(r.status, 503);
            refused_meanwhile += 1;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;

    // The refusals were logged, rate-limited: one line, plus at most one per 10 s that passed.
    let lines = log.lines_with("connection limit reached");
    let allowed = 1 + t0.elapsed().as_secs() as usize / 10 + 1;
    assert!(
        (1..=allowed).contains(&lines),
        "{lines} log lines for {} refusals:\n{}",
        5 + refused_meanwhile,
        log.text()
    );
}

#[tokio::test]
async fn a_stalled_request_head_is_closed_while_others_are_served() {
    let limits = Limits {
        header_read_timeout: Duration::from_secs(1),
        max_connections: 2,
        ..Limits::default()
    };
    let srv = start(limits, None).await;
    let mut stalled = TcpStream::connect(srv.addr).await.unwrap();
    stalled
        .write_all(b"GET / HTTP/1.1\r\nHost: ru")
        .await
        .unwrap();

    // Others are served meanwhile, on the one slot left.
    for _ in 0..3 {
        let mut c = TcpStream::connect(srv.addr).await.unwrap();
        let r = within("another client", get(&mut c, "/")).await.unwrap();
        assert_eq!(r.status, 200);
    }

    // The stalled one is closed without an answer, and its slot is free again: two
    // connections are served at once.
    assert!(within("the stalled head closed", closed(&mut stalled))
        .await
        .is_empty());
    within("two served at once", async {
        loop {
            let mut c1 = TcpStream::connect(srv.addr).await.unwrap();
            let mut c2 = TcpStream::connect(srv.addr).await.unwrap();
            let (r1, r2) = (get(&mut c1, "/").await, get(&mut c2, "/").await);
            if r1.unwrap().status == 200 && r2.unwrap().status == 200 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_header_timeout() {
    let limits = Limits {
        header_read_timeout: Duration::from_secs(1),
        ..Limits::default()
    };
    let srv = start(limits, None).await;
    let mut c = TcpStream::connect(srv.addr).await.unwrap();
    let r = within("served", get(&mut c, "/")).await.unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.header("connection"), None, "kept alive");
    assert!(within("idle connection closed", closed(&mut c))
        .await
        .is_empty());
}

#[tokio::test]
async fn a_request_head_over_the_buffer_bound_gets_431() {
    let limits = Limits {
        max_buffer_bytes: 16 * 1024,
        ..Limits::default()
    };
    let srv = start(limits, None).await;
    let mut c = TcpStream::connect(srv.addr).await.unwrap();
    let big = format!(
        "GET / HTTP/1.1\r\nHost: ruji\r\nX-Big: {}\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    // The server may close before it has read all of it.
    let _ = c.write_all(big.as_bytes()).await;
    let got = within("the answer to a big head", closed(&mut c)).await;
    assert!(
        got.starts_with(b"HTTP/1.1 431"),
        "{:?}",
        String::from_utf8_lossy(&got)
    );
}

#[tokio::test]
async fn shutdown_finishes_the_request_in_flight_and_refuses_new_connections() {
    let mut srv = start(Limits::default(), None).await;
    // A slow request in flight, and an idle keep-alive connection.
    let mut slow = TcpStream::connect(srv.addr).await.unwrap();
    slow.write_all(b"GET /slow HTTP/1.1\r\nHost: ruji\r\n\r\n")
        .await
        .unwrap();
    within("/slow started", srv.started.recv()).await.unwrap();
    let mut idle = TcpStream::connect(srv.addr).await.unwrap();
    assert_eq!(
        within("idle", get(&mut idle, "/")).await.unwrap().status,
        200
    );

    srv.shutdown();

    // The idle connection is closed; new connections are refused by the kernel.
    assert!(within("idle closed", closed(&mut idle)).await.is_empty());
    within("new connections refused", async {
        loop {
            match TcpStream::connect(srv.addr).await {
                Err(e) => {
                    assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused);
                    break;
                }
                // Queued before the listener closed: it is dropped, never served.
                Ok(mut c) => {
                    if let Ok(r) = get(&mut c, "/").await {
                        panic!("served after shutdown: {r:?}");
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    // serve waits for the request in flight.
    assert!(!srv.task.is_finished());

    srv.release.add_permits(1);
    let r = within("the slow answer", read_reply(&mut slow))
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "slow done");
    assert_eq!(r.header("connection"), Some("close"));
    assert!(within("slow closed after its answer", closed(&mut slow))
        .await
        .is_empty());
    within("serve returns", &mut srv.task)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn shutdown_closes_what_is_left_after_the_grace_period() {
    let limits = Limits {
        shutdown_grace: Duration::from_secs(1),
        ..Limits::default()
    };
    let mut srv = start(limits, None).await;
    let mut slow = TcpStream::connect(srv.addr).await.unwrap();
    slow.write_all(b"GET /slow HTTP/1.1\r\nHost: ruji\r\n\r\n")
        .await
        .unwrap();
    within("/slow started", srv.started.recv()).await.unwrap();
    srv.shutdown();
    // The request never finishes: serve returns after the grace period all the same, and the
    // connection is closed without an answer.
    within("serve returns", &mut srv.task)
        .await
        .unwrap()
        .unwrap();
    assert!(within("slow closed", closed(&mut slow)).await.is_empty());
}

mod tls {
    use super::*;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
    use tokio_rustls::{client::TlsStream, TlsConnector};

    /// A server configuration with a fresh self-signed certificate for 127.0.0.1, and a client
    /// that trusts it.
    fn pair() -> (Arc<rustls::ServerConfig>, TlsConnector) {
        let c = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into()]).unwrap();
        let cert: CertificateDer<'static> = c.cert.der().clone();
        let key = PrivateKeyDer::Pkcs8(c.signing_key.serialize_der().into());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let server = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.clone()], key)
            .unwrap();
        let mut roots = rustls::RootCertStore::empty();
        roots.add(cert).unwrap();
        let client = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        (Arc::new(server), TlsConnector::from(Arc::new(client)))
    }

    async fn connect(
        tls: &TlsConnector,
        addr: std::net::SocketAddr,
    ) -> std::io::Result<(TlsStream<TcpStream>, std::net::SocketAddr)> {
        let tcp = TcpStream::connect(addr).await?;
        let local = tcp.local_addr()?;
        let name = ServerName::IpAddress(addr.ip().into());
        Ok((tls.connect(name, tcp).await?, local))
    }

    #[tokio::test]
    async fn serves_over_tls_with_connect_info() {
        let (server, client) = pair();
        let srv = start(Limits::default(), Some(server)).await;
        let (mut c, local) = within("TLS connect", connect(&client, srv.addr))
            .await
            .unwrap();
        let r = within("/peer", get(&mut c, "/peer")).await.unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.body, local.to_string());
        // Keep-alive over TLS: a second request on the same connection.
        assert_eq!(within("/", get(&mut c, "/")).await.unwrap().body, "ok");
    }

    #[tokio::test]
    async fn over_the_limit_a_tls_client_gets_the_503_over_tls() {
        let (server, client) = pair();
        let limits = Limits {
            max_connections: 1,
            header_read_timeout: KEEP,
            ..Limits::default()
        };
        let srv = start(limits, Some(server)).await;
        let (mut a, _) = within("a", connect(&client, srv.addr)).await.unwrap();
        assert_eq!(within("a", get(&mut a, "/")).await.unwrap().status, 200);
        let (mut b, _) = within("b", connect(&client, srv.addr)).await.unwrap();
        let r = within("b's 503", get(&mut b, "/")).await.unwrap();
        assert_eq!(r.status, 503);
        assert_eq!(r.body, BUSY_TEXT);
    }

    #[tokio::test]
    async fn a_stalled_tls_handshake_is_closed_and_frees_its_slot() {
        let (server, client) = pair();
        let limits = Limits {
            max_connections: 1,
            tls_handshake_timeout: Duration::from_secs(1),
            ..Limits::default()
        };
        let srv = start(limits, Some(server)).await;
        // A TCP connection that never starts its handshake takes the only slot...
        let mut stalled = TcpStream::connect(srv.addr).await.unwrap();
        assert!(within("the stalled handshake closed", closed(&mut stalled))
            .await
            .is_empty());
        // ...until it is closed; then a TLS client is served.
        within("a TLS client served", async {
            loop {
                let (mut c, _) = connect(&client, srv.addr).await.unwrap();
                if get(&mut c, "/").await.unwrap().status == 200 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
    }
}
