//! ruji-web: everything Ruji serves over HTTP, and nothing else. Handlers read the request
//! (extractors), call the room ([`ruji_room::Room`]) and render the answer (askama templates,
//! JSON); the exam's rules, accounts, packages and the periodic work are the room's.
//!
//! - [`participant`]: the participant pages (login, identity + token, practice, one item per page
//!   with the navigation grid, finish, thank-you), plain HTML forms that work without JavaScript;
//!   `static/ruji.js` (ES5) only enhances them (autosave with a retry queue, timer, heartbeat).
//! - [`api`]: the same flow as JSON under `/api/v1` (docs/api.md).
//! - [`proctor`]: the proctor's pages: first-run setup, login, the live dashboard and its
//!   actions, results and the event log, the network page, the package page.
//! - [`auth`]: signed cookies (participant and proctor) and CSRF.
//! - [`error`]: every error as a status, a code ([`error::ErrorCode`]) and a message in the
//!   person's language.
//! - [`i18n`]: UI text in Bahasa Indonesia and English.
//! - [`dev`]: the simulated panel's page (`--panel sim` only, loopback only).
//!
//! [`run`] serves a bound listener through ruji-http (connection limits in all and per PC,
//! header-read, body and slow-reader bounds, graceful shutdown) until `shutdown` resolves.
#![forbid(unsafe_code)]

pub mod api;
pub mod auth;
pub mod dev;
pub mod error;
pub mod i18n;
pub mod participant;
pub mod proctor;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, FromRef, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use axum_extra::extract::cookie::Key;
use ruji_room::Room;
use tokio::net::TcpListener;

pub use error::WebError;

/// Settings of the web layer (the room has its own).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Set `Secure` on cookies (when served over TLS).
    pub secure_cookies: bool,
    /// The school's UI language (ruji.toml `[ui] language`): used instead of the browser's
    /// `Accept-Language` when the person has not chosen a language with the switch link.
    /// `None` follows the browser.
    pub language: Option<i18n::Lang>,
    /// The simulated button (`ruji serve --panel sim`): enables the developer page `/dev/panel`.
    pub sim_button: Option<ruji_panel::SimButton>,
    /// The room LAN's subnet when the board runs its LAN service: only clients in it (and the
    /// board itself) are served, so that with a WAN link up (USB tethering, an adapter to the
    /// school network) the exam is not reachable from outside the room. `None` serves every
    /// client (a PC running Ruji for a rehearsal).
    pub lan_only: Option<ruji_lan::Subnet>,
    /// Bounds of the server (connections in all and per PC, header, body and write time);
    /// the defaults suit a board.
    pub limits: ruji_http::Limits,
    /// How long a login request waits for its login before the participant is shown that it
    /// is being processed (each later ask waits as long again): [`participant::LOGIN_WAIT`].
    pub login_wait: std::time::Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            secure_cookies: false,
            language: None,
            sim_button: None,
            lan_only: None,
            login_wait: participant::LOGIN_WAIT,
            limits: ruji_http::Limits {
                // A request in flight at shutdown (an answer being saved) is never cut short.
                shutdown_grace: REQUEST_TIMEOUT,
                ..ruji_http::Limits::default()
            },
        }
    }
}

/// Shared state of the web layer; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<App>);

/// The fields behind [`AppState`].
pub struct App {
    /// The exam room.
    pub room: Room,
    /// Signs cookies; the room keeps it so cookies survive a restart.
    pub key: Key,
    /// Verifies the participant cookie on every request ([`auth::CookieMac`]).
    pub cookie_mac: auth::CookieMac,
    /// Settings.
    pub settings: Settings,
}

impl std::ops::Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}

impl FromRef<AppState> for Key {
    fn from_ref(s: &AppState) -> Key {
        s.key.clone()
    }
}

impl AppState {
    /// The web layer over `room`.
    pub fn new(room: Room, settings: Settings) -> AppState {
        let key = Key::from(room.cookie_key());
        AppState(Arc::new(App {
            room,
            cookie_mac: auth::CookieMac::new(&key),
            key,
            settings,
        }))
    }
}

/// Serves a text asset embedded in the binary, cached for an hour.
fn embedded(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        body,
    )
        .into_response()
}

async fn static_js() -> Response {
    embedded(
        "application/javascript; charset=utf-8",
        include_str!("../static/ruji.js"),
    )
}

async fn static_css() -> Response {
    embedded(
        "text/css; charset=utf-8",
        include_str!("../static/ruji.css"),
    )
}

/// Largest request body accepted (an essay of a few thousand characters fits many times).
pub const BODY_LIMIT: usize = 64 * 1024;

/// How long a request may take before it is answered 408 (the client retries).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Whether a client at `peer` is served under [`Settings::lan_only`]: any client without it;
/// with it, the board itself (loopback) and addresses inside the room's subnet.
pub fn peer_allowed(peer: std::net::IpAddr, lan_only: Option<ruji_lan::Subnet>) -> bool {
    let Some(subnet) = lan_only else {
        return true;
    };
    let v4 = match peer {
        std::net::IpAddr::V4(a) => a,
        std::net::IpAddr::V6(a) => match a.to_ipv4_mapped() {
            Some(a) => a,
            None => return a.is_loopback(),
        },
    };
    v4.is_loopback() || subnet.contains(v4)
}

/// Refuses clients outside the room LAN (see [`peer_allowed`]).
async fn lan_only(
    State(state): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    match peer {
        Some(ip) if !peer_allowed(ip, state.settings.lan_only) => {
            tracing::warn!(%ip, "request from outside the room LAN refused");
            (
                StatusCode::FORBIDDEN,
                "Ruji hanya melayani LAN ruang ujian. / Ruji serves only the exam room's LAN.\n",
            )
                .into_response()
        }
        _ => next.run(req).await,
    }
}

/// The whole application router.
pub fn router(state: AppState) -> Router {
    let mut app = Router::new();
    if state.settings.sim_button.is_some() {
        app = app.merge(dev::routes());
    }
    let school_language = state.settings.language;
    app.merge(participant::routes())
        .nest("/api/v1", api::routes())
        .nest("/proctor", proctor::routes())
        .route("/a/{name}", get(proctor::package::asset))
        .route("/static/ruji.js", get(static_js))
        .route("/static/ruji.css", get(static_css))
        .fallback(error::not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::map_request(
            move |req: axum::extract::Request| async move {
                school_default_language(req, school_language)
            },
        ))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(
            tower_http::set_header::SetResponseHeaderLayer::if_not_present(
                header::X_FRAME_OPTIONS,
                HeaderValue::from_static("DENY"),
            ),
        )
        .layer(
            tower_http::set_header::SetResponseHeaderLayer::if_not_present(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            lan_only,
        ))
        .with_state(state)
}

/// Applies the school's language: a request without the `ruji_lang` cookie (the person's own
/// choice) is answered as if the browser asked for the school's language.
fn school_default_language(
    mut req: axum::extract::Request,
    school: Option<i18n::Lang>,
) -> axum::extract::Request {
    if let Some(lang) = school {
        let chosen = req
            .headers()
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.split(';').any(|c| c.trim().starts_with("ruji_lang=")));
        if !chosen {
            req.headers_mut().insert(
                header::ACCEPT_LANGUAGE,
                HeaderValue::from_static(lang.code()),
            );
        }
    }
    req
}

/// Serves `listener` until `shutdown` resolves. Then the room refuses new saves, the requests
/// in flight finish, and this returns; the room's clock is checkpointed by its owner.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let room = state.room.clone();
    let limits = state.settings.limits.clone();
    ruji_http::serve(listener, router(state), None, limits, async move {
        shutdown.await;
        room.begin_shutdown();
    })
    .await
}

/// `s` as a part of a URL's query: letters, digits, `-`, `_` and `.` as they are, every other
/// byte as `%XX`.
pub(crate) fn url_part(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::peer_allowed;
    use ruji_lan::Subnet;
    use std::net::{IpAddr, Ipv4Addr};

    #[test]
    fn only_the_room_lan_and_the_board_itself_when_the_lan_service_runs() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let lan = Some(Subnet::new(Ipv4Addr::new(192, 168, 0, 200), 24));
        for ok in [
            "192.168.0.1",
            "192.168.0.15",
            "192.168.0.254",
            "127.0.0.1",
            "::1",
            "::ffff:192.168.0.7",
        ] {
            assert!(peer_allowed(ip(ok), lan), "{ok}");
        }
        // The school network or the internet behind a WAN link; a wrong-subnet PC.
        for no in [
            "192.168.1.50",
            "10.0.2.2",
            "8.8.8.8",
            "fe80::1",
            "::ffff:10.1.1.1",
        ] {
            assert!(!peer_allowed(ip(no), lan), "{no}");
        }
        assert!(peer_allowed(
            ip("10.1.2.3"),
            Some(Subnet::new(Ipv4Addr::new(10, 1, 2, 200), 16))
        ));
        assert!(!peer_allowed(
            ip("10.2.0.1"),
            Some(Subnet::new(Ipv4Addr::new(10, 1, 2, 200), 16))
        ));
        // Without the LAN service (a PC rehearsing): everyone.
        assert!(peer_allowed(ip("8.8.8.8"), None));
    }
}
