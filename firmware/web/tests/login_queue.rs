//! Logins that wait in the queue, over a real socket on 127.0.0.1:0 (issue 20): the
//! participant whose login is not done at once sees the page that says it is being processed
//! (no script needed: it asks again by itself) and lands on the token page when it ends; the JSON
//! API answers 202 and the same; a refused login says why; and a storm of requests whose
//! browsers close at once still logs every participant in with no more hashes running than the
//! bound.

mod common;

use std::time::Duration;

use reqwest::StatusCode;
use ruji_room::{Room, Settings};
use ruji_store::{Action, OpenOptions, Store};
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

use common::client;

const BOUND: usize = 1;

struct Server {
    url: String,
    addr: std::net::SocketAddr,
    store: Store,
    room: Room,
    _dir: tempfile::TempDir,
}

/// A server that never waits for a login before answering that it is being processed.
async fn server(participants: usize) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("ruji.redb"), OpenOptions::default()).unwrap();
    let settings = Settings {
        hash_concurrency: BOUND,
        ..Settings::default()
    };
    let room = Room::open(store.clone(), settings).await.unwrap();
    room.install_package(ruji_core::demo::package_with(participants))
        .await
        .unwrap();
    let t = ruji_core::token::Token::parse("ABCDEF").unwrap();
    store.open_session("H1S1", t).await.unwrap().unwrap();
    let web = ruji_web::Settings {
        login_wait: Duration::ZERO,
        ..ruji_web::Settings::default()
    };
    let addr = common::serve(&room, web).await;
    Server {
        url: format!("http://{addr}"),
        addr,
        store,
        room,
        _dir: dir,
    }
}

fn location(r: &reqwest::Response) -> String {
    r.headers()["location"].to_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_login_shows_the_waiting_page_then_the_token_page() {
    let s = server(3).await;
    let c = client();
    let (u, p, _) = ruji_core::demo::login(1);
    let r = c
        .post(format!("{}/login", s.url))
        .form(&[("username", u.as_str()), ("password", p.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "the waiting page, not a redirect"
    );
    assert_eq!(r.headers()["cache-control"], "no-store");
    let page = r.text().await.unwrap();
    assert!(page.contains("Login sedang diproses"), "{page}");
    assert!(page.contains("jangan menekan LOGIN lagi"), "{page}");
    assert!(
        page.contains(r#"<meta http-equiv="refresh" content="1;url=/login/wait">"#),
        "asks again without a script: {page}"
    );
    // Asking again as the page does, until the login ends.
    let mut waits = 0;
    let to = loop {
        let r = c.get(format!("{}/login/wait", s.url)).send().await.unwrap();
        if r.status() == StatusCode::SEE_OTHER {
            break location(&r);
        }
        assert_eq!(r.status(), StatusCode::OK);
        waits += 1;
        assert!(waits < 1000, "the login never ended");
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    assert_eq!(to, "/confirm");
    let r = c.get(format!("{}/confirm", s.url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "logged in");
    // The ticket was used: asking again is a fresh login.
    let r = c.get(format!("{}/login/wait", s.url)).send().await.unwrap();
    assert_eq!(location(&r), "/?e=login_gone");
    // A wrong password comes back as the login page's message.
    let c2 = client();
    c2.post(format!("{}/login", s.url))
        .form(&[("username", u.as_str()), ("password", "salah")])
        .send()
        .await
        .unwrap();
    let to = loop {
        let r = c2
            .get(format!("{}/login/wait", s.url))
            .send()
            .await
            .unwrap();
        if r.status() == StatusCode::SEE_OTHER {
            break location(&r);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    assert_eq!(to, "/?e=wrong_password");
    // English when the browser asks for it.
    let r = client()
        .post(format!("{}/login", s.url))
        .header("accept-language", "en")
        .form(&[("username", u.as_str()), ("password", p.as_str())])
        .send()
        .await
        .unwrap();
    let page = r.text().await.unwrap();
    assert!(page.contains("Logging you in"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_answers_202_and_the_client_asks_again() {
    let s = server(3).await;
    let c = client();
    let (u, p, _) = ruji_core::demo::login(2);
    let r = c
        .post(format!("{}/api/v1/login", s.url))
        .json(&json!({"username": u, "password": p}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "waiting");
    assert_eq!(body["ahead"], 0);
    let me = loop {
        let r = c
            .get(format!("{}/api/v1/login/wait", s.url))
            .send()
            .await
            .unwrap();
        let status = r.status();
        let body: Value = r.json().await.unwrap();
        match status {
            StatusCode::OK => break body,
            StatusCode::ACCEPTED => tokio::time::sleep(Duration::from_millis(5)).await,
            other => panic!("{other}: {body}"),
        }
    };
    assert_eq!(me["participant"]["username"], u, "{me}");
    let r = c.get(format!("{}/api/v1/me", s.url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // Without a ticket: log in again.
    let r = client()
        .get(format!("{}/api/v1/login/wait", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "login_gone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browsers_that_close_mid_login_still_log_in_within_the_bound() {
    const N: usize = 30;
    let s = server(N).await;
    let started = s.room.hashing().started;
    // Every participant's browser sends the login form and closes the connection at once.
    for i in 1..=N {
        let (u, p, _) = ruji_core::demo::login(i);
        let body = format!("username={u}&password={p}");
        let mut tcp = tokio::net::TcpStream::connect(s.addr).await.unwrap();
        let req = format!(
            "POST /login HTTP/1.1\r\nHost: ruji\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        tcp.write_all(req.as_bytes()).await.unwrap();
        // Every other one gives the server a moment to read it before closing.
        if i % 2 == 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        drop(tcp);
    }
    // The jobs go on: each login the server received is recorded though nobody waits for it
    // (its hash, once started, used), one hash each, never more than the bound at once. (A
    // request whose connection closed before the server read it never starts.)
    let mut rounds = 0;
    let logins = loop {
        let h = s.room.hashing();
        assert!(h.running <= BOUND, "{h:?}");
        if s.room.login_jobs().0 == 0 && h.running == 0 {
            break s
                .store
                .audit_tail(10_000)
                .unwrap()
                .iter()
                .filter(|e| e.action == Action::Login.name())
                .count();
        }
        rounds += 1;
        assert!(rounds < 3000, "the logins never ended: {h:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let h = s.room.hashing();
    assert!(logins >= N / 2, "{logins} of {N} logins reached the server");
    assert_eq!(
        h.started - started,
        logins as u64,
        "every started hash was used: {h:?}"
    );
    assert_eq!(h.most_running, BOUND, "{h:?}");
    assert!(h.buffers.0 <= BOUND, "{h:?}");
}
