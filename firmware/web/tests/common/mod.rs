//! What the web layer's integration tests share: the server on a real socket on 127.0.0.1, and
//! a client that keeps cookies and shows redirects as they are, as a browser's form would meet
//! them.
#![allow(dead_code)] // each test file uses what it needs

use std::net::SocketAddr;
use std::time::Duration;

use reqwest::Client;
use ruji_room::Room;
use ruji_web::AppState;

/// Serves `room` with the web settings `web` on 127.0.0.1, on a port the system chooses, until
/// the test ends; the server's address.
pub async fn serve(room: &Room, web: ruji_web::Settings) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = AppState::new(room.clone(), web);
    tokio::spawn(ruji_web::run(listener, state, std::future::pending()));
    addr
}

/// A client with its own cookies that does not follow redirects, giving up after 30 s.
pub fn client() -> Client {
    client_timeout(Duration::from_secs(30))
}

/// As [`client`], giving up after `timeout`.
pub fn client_timeout(timeout: Duration) -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .build()
        .unwrap()
}
