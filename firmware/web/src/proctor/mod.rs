//! The proctor side under `/proctor`. Every POST carries the CSRF token bound to the proctor's
//! signed cookie; the cookie is `SameSite=Strict` and `HttpOnly`.
//!
//! Two extractors say who may ask: [`Proctor`] (every action; the invigilator is refused with
//! "read-only") and [`Viewer`] (the proctor or the invigilator: the dashboard, the token, the
//! event log, the network and sync reports, the attendance list and the session report, the
//! viewer's own report notes, logging out). Every route takes one of them but the login, setup
//! and claim routes; `tests/http.rs` (`invigilator_is_refused_every_action`) checks each.
//!
//! - this file: the routes, the [`Proctor`] extractor, the `?e=`/`?ok=` notes, CSRF checks;
//! - [`account`]: first-run password setup (one-time code or the board's button), login, logout;
//! - [`dashboard`]: the live dashboard (`status.json` polled by the page), the token page, and
//!   the actions: open/close a session, rotate the token, reset a login, force finish (with a
//!   reason), activate a reserve; the board's notices (ruji.toml, attention reasons);
//! - [`records`]: a session's results (JSON download) and the event log;
//! - [`printables`]: the attendance list, the session report with its notes, login cards with
//!   new passwords, each printable and as PDF;
//! - [`bundles`]: the signed results files, their upload and receipts;
//! - [`clock`]: the board's clock set from the proctor's browser while it is not set;
//! - [`network`]: the seats and the LAN doctor's findings;
//! - [`package`]: the exam package page, the sync report, the items' pictures.

pub mod account;
pub mod bundles;
pub mod clock;
pub mod dashboard;
pub mod network;
pub mod package;
pub mod printables;
pub mod records;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::cookie::{Key, SignedCookieJar};
use ruji_room::proctor::Role;
use ruji_room::RoomError;
use serde::Deserialize;

use crate::auth::{self, ProctorSession};
use crate::error::{html_error, query_message, ErrorCode, WebError};
use crate::i18n::{Lang, Msg, Tr};
use crate::AppState;

/// Routes under `/proctor`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(dashboard::home))
        .route("/setup", post(account::setup))
        .route("/claim/{id}", get(account::claim))
        .route("/login", post(account::login))
        .route("/logout", post(account::logout))
        .route(
            "/password",
            get(account::password_page).post(account::change_password),
        )
        .route("/invigilator", post(account::set_invigilator))
        .route("/invigilator/remove", post(account::remove_invigilator))
        .route("/sign-out-everywhere", post(account::sign_out_everywhere))
        .route("/status.json", get(dashboard::status_json))
        .route("/live", get(dashboard::live))
        .route("/token", get(dashboard::token_page))
        .route("/sessions/{id}/open", post(dashboard::open_session))
        .route("/sessions/{id}/close", post(dashboard::close_session))
        .route("/token/rotate", post(dashboard::rotate_token))
        .route("/pause", post(dashboard::pause))
        .route("/clock", post(clock::set))
        .route("/participants/bulk", post(dashboard::bulk))
        .route("/participants/{u}/reset", post(dashboard::reset_login))
        .route("/participants/{u}/finish", post(dashboard::force_finish))
        .route("/participants/{u}/activate", post(dashboard::activate))
        .route("/participants/{u}/extra", post(dashboard::extra_time))
        .route("/results/{id}", get(records::results))
        .route("/sessions/{id}/attendance", get(printables::attendance))
        .route(
            "/sessions/{id}/attendance.pdf",
            get(printables::attendance_pdf),
        )
        .route("/sessions/{id}/report", get(printables::report))
        .route("/sessions/{id}/report/print", get(printables::report_print))
        .route("/sessions/{id}/report.pdf", get(printables::report_pdf))
        .route("/sessions/{id}/notes", post(printables::save_notes))
        .route(
            "/cards",
            get(printables::cards_page).post(printables::reissue),
        )
        .route("/audit", get(records::audit))
        .route("/audit.csv", get(records::audit_csv))
        .route("/network", get(network::page))
        .route("/network.json", get(network::json))
        .route("/network/rescan", post(network::rescan))
        .route("/bundles", get(bundles::page))
        .route("/bundles/upload-now", post(bundles::upload_now))
        .route("/bundles/receipt", post(bundles::receipt))
        .route("/bundles/usb", post(bundles::to_usb))
        .route("/report", get(bundles::report))
        .route("/bundles/{id}", get(bundles::detail))
        .route("/bundles/{id}/file", get(bundles::file))
        .nest("/package", package::routes())
}

/// A request from the logged-in proctor (not the invigilator): a [`Viewer`] who may act.
pub struct Proctor(Viewer);

impl std::ops::Deref for Proctor {
    type Target = Viewer;
    fn deref(&self) -> &Viewer {
        &self.0
    }
}

/// A request from a login that may look: the proctor's or the invigilator's.
pub struct Viewer {
    pub(crate) session: ProctorSession,
    pub(crate) lang: Lang,
}

impl Viewer {
    /// May this login act (the proctor), or only look (the invigilator)?
    pub fn can_act(&self) -> bool {
        self.session.login.role == Role::Proctor
    }

    /// Is the submitted CSRF token this login's.
    pub fn csrf_ok(&self, submitted: &str) -> bool {
        auth::csrf_ok(&self.session, submitted)
    }

    /// The page for a form with a wrong CSRF token (back to `back`).
    pub fn csrf_refused(&self, back: &str) -> Response {
        html_error(StatusCode::FORBIDDEN, ErrorCode::Csrf, self.lang, back)
    }

    /// A room error in the viewer's language.
    pub fn fail(&self, e: RoomError) -> WebError {
        WebError::for_proctor(e, self.lang)
    }
}

/// Rejection for proctor routes without a valid proctor login, or with the invigilator's
/// where the proctor's is needed.
pub struct NotProctor {
    json: bool,
    lang: Lang,
    read_only: bool,
}

impl IntoResponse for NotProctor {
    fn into_response(self) -> Response {
        match (self.read_only, self.json) {
            (true, true) => {
                WebError::new(StatusCode::FORBIDDEN, ErrorCode::ReadOnly, self.lang).into_response()
            }
            (true, false) => html_error(
                StatusCode::FORBIDDEN,
                ErrorCode::ReadOnly,
                self.lang,
                "/proctor",
            ),
            (false, true) => {
                WebError::new(StatusCode::UNAUTHORIZED, ErrorCode::Forbidden, self.lang)
                    .into_response()
            }
            (false, false) => Redirect::to("/proctor").into_response(),
        }
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = NotProctor;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, NotProctor> {
        let lang = Lang::from_headers(&parts.headers);
        let path = crate::participant::original_path(parts);
        let json = path.ends_with(".json") || path.contains("/results/");
        let jar = SignedCookieJar::<Key>::from_headers(&parts.headers, state.key.clone());
        let session = auth::proctor(&jar, state.cookie_time())
            .filter(|s| state.room.proctor_login_valid(&s.login))
            .ok_or(NotProctor {
                json,
                lang,
                read_only: false,
            })?;
        Ok(Viewer { session, lang })
    }
}

impl FromRequestParts<AppState> for Proctor {
    type Rejection = NotProctor;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, NotProctor> {
        let v = Viewer::from_request_parts(parts, state).await?;
        if !v.can_act() {
            let path = crate::participant::original_path(parts);
            return Err(NotProctor {
                json: path.ends_with(".json") || path.contains("/results/"),
                lang: v.lang,
                read_only: true,
            });
        }
        Ok(Proctor(v))
    }
}

/// `2026-11-23 10:15 UTC` for seconds since 1970 (pages show local time with JS); empty for 0.
pub(crate) fn utc(ts: u64) -> String {
    if ts == 0 {
        return String::new();
    }
    let (y, m, d) = ruji_core::package::civil_from_days((ts / 86_400) as i64);
    let s = ts % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        s / 3600,
        s % 3600 / 60
    )
}

/// `?e=CODE` / `?ok=1` on a proctor page.
#[derive(Deserialize, Default)]
pub(crate) struct Note {
    #[serde(default)]
    pub(crate) e: Option<String>,
    #[serde(default)]
    pub(crate) ok: Option<String>,
}

impl Note {
    /// The error and success texts to show.
    pub(crate) fn texts(&self, lang: Lang) -> (Option<&'static str>, Option<&'static str>) {
        (
            query_message(self.e.as_deref(), lang),
            self.ok.as_ref().map(|_| Tr { lang }.t(Msg::DoneOk)),
        )
    }
}

/// A form that carries only the CSRF token (and a force finish's reason).
#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    pub(crate) csrf: String,
    #[serde(default)]
    pub(crate) reason: String,
    /// Activating a reserve: whom they replace (a username; empty: not said).
    #[serde(default)]
    pub(crate) replaces: String,
    /// Extra time: how many minutes.
    #[serde(default)]
    pub(crate) minutes: String,
    /// Which of a form's actions (pausing: `pause` or `resume`).
    #[serde(default)]
    pub(crate) action: String,
    /// A tick box that says the proctor means it (reopening a closed session).
    #[serde(default)]
    pub(crate) confirm: Option<String>,
}

/// Back to the dashboard after an action: `?ok=1`, or what [`refused`] says.
pub(crate) fn after<T>(r: ruji_room::Result<T>, lang: Lang) -> Response {
    match r {
        Ok(_) => Redirect::to("/proctor?ok=1").into_response(),
        Err(e) => refused(e, lang),
    }
}

/// Back to `/proctor` with the error's code in `?e=`; the error itself when the store failed.
pub(crate) fn refused(e: RoomError, lang: Lang) -> Response {
    refused_at("/proctor", e, lang)
}

/// Back to the page `back` with the error's code in `?e=`; the error itself when the store
/// failed.
pub(crate) fn refused_at(back: &str, e: RoomError, lang: Lang) -> Response {
    let e = WebError::for_proctor(e, lang);
    if e.is_storage() {
        return e.into_response();
    }
    Redirect::to(&format!("{back}?e={}", e.code.as_str())).into_response()
}
