//! ruji-web: everything Ruji serves over HTTP.
//!
//! - [`participant`]: the participant pages (login, identity + token, practice, one item per page
//!   with the navigation grid, finish, thank-you), plain HTML forms that work without JavaScript;
//!   `static/ruji.js` (ES5) only enhances them (autosave with a retry queue, timer, heartbeat).
//! - [`api`]: the same flow as JSON under `/api/v1` (docs/api.md).
//! - [`proctor`]: first-run password setup with a one-time code, login, the live dashboard,
//!   session/token/participant actions, results and the audit log.
//! - [`auth`]: signed cookies, argon2 hashing, CSRF, throttling, presence (online/heartbeat).
//! - [`i18n`]: UI text in Bahasa Indonesia and English.
//! - [`board`]: what the board tells the proctor: the settings file (ruji.toml) in force or in
//!   error, the recovery's LAN reset, the attention reasons of the LED.
//! - [`dev`]: the simulated panel's page (`--panel sim` only).
//!
//! [`run`] serves a bound listener until `shutdown` resolves (mini-redis style) and runs the
//! periodic tasks: time-out sweep, exam-clock checkpoint, automatic token rotation.
#![forbid(unsafe_code)]

pub mod api;
pub mod auth;
pub mod board;
pub mod dev;
pub mod error;
pub mod i18n;
pub mod package;
pub mod participant;
pub mod proctor;

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, FromRef, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use axum_extra::extract::cookie::Key;
use ruji_core::throttle::Throttle;
use ruji_core::token::{Token, TokenPolicy};
use ruji_store::Store;
use tokio::net::TcpListener;

pub use error::WebError;

/// Settings of the web layer.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Token rotation and grace.
    pub token_policy: TokenPolicy,
    /// One-time code that allows creating the proctor password (printed on the console).
    pub setup_code: Option<String>,
    /// Concurrent argon2 computations (each takes [`auth::ARGON2_KIB`] of memory).
    pub hash_concurrency: usize,
    /// Set `Secure` on cookies (when served over TLS).
    pub secure_cookies: bool,
    /// The board has a button (`--panel sim|board`): actions that need physical presence can be
    /// confirmed with a press instead of a code.
    pub button: bool,
    /// The LAN service's status, when it runs (`ruji serve --lan-iface`): the "Jaringan" page.
    pub lan: Option<Arc<ruji_lan::MonitorHandle>>,
    /// The school's UI language (ruji.toml `[ui] language`): used instead of the browser's
    /// `Accept-Language` when the person has not chosen a language with the switch link.
    /// `None` follows the browser.
    pub language: Option<i18n::Lang>,
    /// The board's panel (LED and button), when it runs: its attention reasons are listed on
    /// the dashboard.
    pub panel: Option<ruji_panel::PanelHandle>,
    /// The simulated button (`ruji serve --panel sim`): enables the developer page `/dev/panel`.
    pub sim_button: Option<ruji_panel::SimButton>,
    /// What the proctor page says about ruji.toml at start (see [`AppState::set_settings_notice`]).
    pub notice: board::SettingsNotice,
    /// The data directory: imported packages and released pictures live there. `None` (tests
    /// of other things) disables import.
    pub data_dir: Option<std::path::PathBuf>,
    /// Issuer public keys (`ruji-pk:...`) whose packages the board accepts, from ruji.toml;
    /// the proctor page can add more.
    pub trusted_issuers: Vec<String>,
    /// Folders where USB sticks are mounted; `*.rujipkg` files there are offered for import.
    pub usb_dirs: Vec<std::path::PathBuf>,
    /// The board's identity (short id, public key) from its device key, when there is one.
    pub device: Option<(String, String)>,
    /// The central server (ruji.toml `[central]`): `None` when not set, `Err` with the reason
    /// when set but not usable (no device key, a bad CA). The package page then offers to fetch
    /// a session's release code from it.
    pub central: Option<Result<Arc<ruji_sync::Client>, String>>,
    /// The room LAN's subnet (address, prefix length) when the board runs its LAN service: only
    /// clients in it (and the board itself) are served, so that with a WAN link up (USB
    /// tethering, an adapter to the school network) the exam is not reachable from outside the
    /// room. `None` serves every client (a PC running Ruji for a rehearsal).
    pub lan_only: Option<ruji_lan::Subnet>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            token_policy: TokenPolicy::default(),
            setup_code: None,
            hash_concurrency: 2,
            secure_cookies: false,
            button: false,
            lan: None,
            language: None,
            panel: None,
            sim_button: None,
            notice: board::SettingsNotice::default(),
            data_dir: None,
            trusted_issuers: vec![],
            usb_dirs: vec!["/media".into(), "/mnt/usb".into()],
            device: None,
            central: None,
            lan_only: None,
        }
    }
}

/// Shared state of the web layer; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<App>);

/// The fields behind [`AppState`].
pub struct App {
    /// Durable state.
    pub store: Store,
    /// Signs cookies; kept in the store so cookies survive a restart.
    pub key: Key,
    /// Settings.
    pub settings: Settings,
    /// Wrong-password counters by username and by client address.
    pub throttle: Mutex<Throttle>,
    /// Last request time and address per participant (the dashboard's online column).
    pub presence: auth::Presence,
    /// Limits concurrent argon2 work so a login wave cannot exhaust memory.
    pub hashing: tokio::sync::Semaphore,
    /// argon2 working memory, reused across logins.
    pub scratch: auth::Scratch,
    /// Set when shutting down: saves are refused with a clear message.
    pub shutting_down: AtomicBool,
    /// The one-time setup code, until the proctor password exists.
    pub setup_code: Mutex<Option<String>>,
    /// An action started on the web page that waits for a press of the board's button.
    pub pending: Mutex<Option<Pending>>,
    /// What the proctor page says about ruji.toml.
    pub notice: Mutex<board::SettingsNotice>,
    /// Held by a package change (import, release) from start to end: each reads the record of
    /// what is installed and released, and writes it back; two at once would lose one.
    pub package_changes: tokio::sync::Mutex<()>,
}

/// How long a press of the button is awaited after the web page asked for it.
pub const CONFIRM_WINDOW: ruji_core::Millis = 60_000;

/// An action that needs physical presence, waiting for the button.
#[derive(Debug, Clone)]
pub struct Pending {
    /// Random id, known only to the browser that started it.
    pub id: String,
    /// What to do on the press.
    pub action: PendingAction,
    /// Exam-clock time after which a press no longer counts.
    pub expires: ruji_core::Millis,
    /// The press came and the action was done.
    pub done: bool,
}

/// Actions confirmed by the button.
#[derive(Debug, Clone)]
pub enum PendingAction {
    /// Create the proctor account with this password hash (first use of the board).
    ClaimProctor {
        /// argon2 PHC string.
        password_hash: String,
    },
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
    /// Builds the state; creates the cookie key on first start.
    pub async fn new(store: Store, settings: Settings) -> Result<AppState, ruji_store::StoreError> {
        let key = match store.meta::<Vec<u8>>(ruji_store::tables::KEY_COOKIE)? {
            Some(k) if k.len() >= 64 => Key::from(&k),
            _ => {
                let mut k = vec![0u8; 64];
                rand::fill(&mut k[..]);
                store
                    .set_meta(
                        ruji_store::tables::KEY_COOKIE,
                        k.clone(),
                        Some(("system", "cookie_key_created")),
                    )
                    .await?;
                Key::from(&k)
            }
        };
        let setup_code = settings.setup_code.clone();
        let notice = settings.notice.clone();
        Ok(AppState(Arc::new(App {
            store,
            key,
            hashing: tokio::sync::Semaphore::new(settings.hash_concurrency.max(1)),
            scratch: auth::Scratch::default(),
            settings,
            throttle: Mutex::new(Throttle::new(4096)),
            presence: auth::Presence::default(),
            shutting_down: AtomicBool::new(false),
            setup_code: Mutex::new(setup_code),
            pending: Mutex::new(None),
            notice: Mutex::new(notice),
            package_changes: tokio::sync::Mutex::new(()),
        })))
    }

    /// Is the board shutting down.
    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::Relaxed)
    }
}

/// A one-time proctor setup code, `NNNN-NNNN`.
pub fn new_setup_code() -> String {
    format!(
        "{:04}-{:04}",
        rand::random::<u32>() % 10_000,
        rand::random::<u32>() % 10_000
    )
}

/// A fresh random token.
pub fn new_token() -> Token {
    Token::generate(rand::random::<u32>)
}

async fn static_js() -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/javascript; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        include_str!("../static/ruji.js"),
    )
}

async fn static_css() -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        include_str!("../static/ruji.css"),
    )
}

/// Largest request body accepted (an essay of a few thousand characters fits many times).
pub const BODY_LIMIT: usize = 64 * 1024;

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
        .route("/a/{name}", get(package::asset))
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
            Duration::from_secs(30),
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

/// Serves `listener` until `shutdown` resolves, with the periodic tasks. On shutdown new saves
/// are refused, in-flight requests finish, and the exam clock is checkpointed.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let ticker = tokio::spawn(periodic(state.clone()));
    let app = router(state.clone()).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let st = state.clone();
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            st.shutting_down.store(true, Ordering::Relaxed);
            tracing::info!("shutting down: refusing new answers, finishing requests in flight");
        })
        .await;
    ticker.abort();
    if let Err(e) = state.store.checkpoint().await {
        tracing::error!(error = %e, "final checkpoint failed");
    }
    result
}

/// Once a second: finish timed-out attempts, rotate a due token; every few seconds, record the
/// exam clock so a crash loses little of it.
async fn periodic(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut n: u64 = 0;
    loop {
        tick.tick().await;
        n += 1;
        match state.store.sweep_timeouts().await {
            Ok(0) => {}
            Ok(k) => tracing::info!(attempts = k, "time is up: attempts finished"),
            Err(e) => tracing::error!(error = %e, "time-out sweep failed"),
        }
        let open = state
            .store
            .sessions()
            .ok()
            .and_then(|s| s.into_iter().find(|(_, st)| st.open));
        if let Some((_, st)) = &open {
            let now = state.store.now();
            if st
                .token
                .as_ref()
                .is_some_and(|t| t.due(&state.settings.token_policy, now))
            {
                match state.store.rotate_token(new_token(), "system").await {
                    Ok(Ok(())) => tracing::info!("token rotated"),
                    Ok(Err(r)) => tracing::warn!(?r, "token rotation refused"),
                    Err(e) => tracing::error!(error = %e, "token rotation failed"),
                }
            }
        }
        let every = if open.is_some() { 2 } else { 30 };
        if n.is_multiple_of(every) {
            if let Err(e) = state.store.checkpoint().await {
                tracing::error!(error = %e, "clock checkpoint failed");
            }
        }
    }
}

impl AppState {
    /// Hashes every participant's password and installs `package` in the store.
    pub async fn install_package(
        &self,
        package: ruji_core::package::Package,
    ) -> Result<(), ruji_store::StoreError> {
        let mut tasks = tokio::task::JoinSet::new();
        for p in &package.participants {
            let (state, u, pw) = (self.clone(), p.username.clone(), p.password.clone());
            tasks.spawn(async move { (u, state.hash(pw).await) });
        }
        let mut hashes = Vec::with_capacity(package.participants.len());
        while let Some(r) = tasks.join_next().await {
            hashes.push(r.expect("hashing does not panic"));
        }
        self.store.install_package(package, hashes).await
    }

    /// Recovery (button held at power-on): removes the proctor password so that it can be set
    /// again with a new one-time setup code, which is returned. Exam data is kept; every
    /// proctor browser is logged out.
    pub async fn reset_proctor(&self) -> Result<String, ruji_store::StoreError> {
        let code = new_setup_code();
        self.store
            .remove_meta(
                ruji_store::tables::KEY_PROCTOR,
                ("system", "proctor_password_reset"),
            )
            .await?;
        *self.setup_code.lock().expect("not poisoned") = Some(code.clone());
        Ok(code)
    }

    /// Creates the proctor account; returns its generation (one more than any before).
    pub async fn create_proctor(
        &self,
        password_hash: String,
    ) -> Result<u32, ruji_store::StoreError> {
        use ruji_store::tables::{ProctorAccount, KEY_PROCTOR, KEY_PROCTOR_GENERATION};
        let generation = self.store.meta::<u32>(KEY_PROCTOR_GENERATION)?.unwrap_or(0) + 1;
        self.store
            .set_meta(KEY_PROCTOR_GENERATION, generation, None)
            .await?;
        let acct = ProctorAccount {
            password_hash,
            generation,
        };
        self.store
            .set_meta(
                KEY_PROCTOR,
                acct,
                Some(("proctor", "proctor_password_created")),
            )
            .await?;
        *self.setup_code.lock().expect("not poisoned") = None;
        Ok(generation)
    }

    /// The board's button was pressed: does the action waiting for it, if its window is still
    /// open. Returns what was confirmed.
    pub async fn confirm_physical(&self) -> Result<Option<&'static str>, ruji_store::StoreError> {
        let now = self.store.now();
        let waiting = {
            let p = self.pending.lock().expect("not poisoned");
            p.as_ref().filter(|p| !p.done && p.expires > now).cloned()
        };
        let Some(p) = waiting else { return Ok(None) };
        let what = match &p.action {
            PendingAction::ClaimProctor { password_hash } => {
                if self.has_proctor() {
                    return Ok(None);
                }
                self.create_proctor(password_hash.clone()).await?;
                "claim_proctor"
            }
        };
        if let Some(q) = self.pending.lock().expect("not poisoned").as_mut() {
            if q.id == p.id {
                q.done = true;
            }
        }
        Ok(Some(what))
    }

    /// Does a proctor account exist.
    pub fn has_proctor(&self) -> bool {
        matches!(
            self.store
                .meta::<ruji_store::tables::ProctorAccount>(ruji_store::tables::KEY_PROCTOR),
            Ok(Some(_))
        )
    }
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
