//! The proctor's account: first-run setup (with the one-time code printed on the console, or
//! confirmed by a press of the board's button), the page that waits for the press, login (the
//! proctor's password or the invigilator's), logout, and the account page: the password
//! change, the invigilator's read-only account, signing out everywhere. Logout, the password
//! change and signing out end logins on the board. The rules (throttling, the code, the
//! password's length, who may do what) are the room's.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{SameSite, SignedCookieJar};
use axum_extra::extract::Form;
use ruji_room::proctor::{Claim, ProctorLogin, Setup};
use ruji_room::RoomError;
use serde::Deserialize;

use super::{refused, CsrfForm, Note, Proctor, Viewer};
use crate::auth;
use crate::error::render;
use crate::i18n::{Lang, Msg, Tr};
use crate::AppState;

/// The page of the first setup.
#[derive(Template)]
#[template(path = "proctor_setup.html")]
pub(crate) struct SetupPage {
    pub(crate) tr: Tr,
    pub(crate) error: Option<&'static str>,
    pub(crate) button: bool,
}

/// The proctor's login page.
#[derive(Template)]
#[template(path = "proctor_login.html")]
pub(crate) struct LoginPage {
    pub(crate) tr: Tr,
    pub(crate) error: Option<&'static str>,
}

#[derive(Deserialize)]
pub(super) struct SetupForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password2: String,
}

/// Logged in: the proctor's cookie for `login`, then `to`.
fn logged_in(state: &AppState, jar: SignedCookieJar, login: &ProctorLogin, to: &str) -> Response {
    let value = auth::proctor_value(login, state.cookie_time());
    (
        jar.add(state.cookie(auth::PROCTOR_COOKIE, value, SameSite::Strict)),
        Redirect::to(to),
    )
        .into_response()
}

/// `POST /proctor/setup`.
pub(super) async fn setup(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    jar: SignedCookieJar,
    Form(f): Form<SetupForm>,
) -> Response {
    let client = addr.ip().to_string();
    match state
        .room
        .proctor_setup(&client, &f.code, &f.password, &f.password2)
        .await
    {
        Ok(Setup::Created { login }) => logged_in(&state, jar, &login, "/proctor"),
        Ok(Setup::AwaitingButton { id }) => {
            Redirect::to(&format!("/proctor/claim/{id}")).into_response()
        }
        Err(e) => refused(e, Lang::Id),
    }
}

#[derive(Template)]
#[template(path = "proctor_claim.html")]
struct ClaimPage {
    tr: Tr,
    seconds: u64,
}

/// `GET /proctor/claim/{id}`: the page that waits for the button after a claim without code.
pub(super) async fn claim(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    jar: SignedCookieJar,
    Path(id): Path<String>,
) -> Response {
    match state.room.claim(&id, &addr.ip().to_string()).await {
        Claim::Unknown => Redirect::to("/proctor").into_response(),
        Claim::Done { login } => logged_in(&state, jar, &login, "/proctor"),
        Claim::Expired => Redirect::to("/proctor?e=confirm_expired").into_response(),
        Claim::Waiting { seconds } => render(&ClaimPage {
            tr: Tr {
                lang: Lang::from_headers(&headers),
            },
            seconds,
        }),
    }
}

#[derive(Deserialize)]
pub(super) struct LoginForm {
    #[serde(default)]
    password: String,
}

/// `POST /proctor/login`.
pub(super) async fn login(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    jar: SignedCookieJar,
    Form(f): Form<LoginForm>,
) -> Response {
    let client = addr.ip().to_string();
    match state.room.proctor_login(&client, &f.password).await {
        Ok(login) => logged_in(&state, jar, &login, "/proctor"),
        Err(RoomError::NoProctor) => Redirect::to("/proctor").into_response(),
        Err(e) => refused(e, Lang::Id),
    }
}

/// `POST /proctor/logout` (the proctor or the invigilator).
pub(super) async fn logout(
    State(state): State<AppState>,
    p: Viewer,
    jar: SignedCookieJar,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !p.csrf_ok(&f.csrf) {
        return p.csrf_refused("/proctor");
    }
    // Ended on the board first: a copy of the cookie no longer works either.
    if let Err(e) = state.room.proctor_logout(&p.session.login).await {
        return refused(e, p.lang);
    }
    (
        jar.remove(state.cookie(auth::PROCTOR_COOKIE, String::new(), SameSite::Strict)),
        Redirect::to("/proctor"),
    )
        .into_response()
}

/// The account page: the proctor's password, the invigilator's account, signing out
/// everywhere.
#[derive(Template)]
#[template(path = "proctor_password.html")]
struct PasswordPage {
    tr: Tr,
    csrf: String,
    error: Option<&'static str>,
    /// Which form succeeded (`?ok=password` or `?ok=invigilator`).
    ok: String,
    invigilator: bool,
}

/// `GET /proctor/password`: the account page.
pub(super) async fn password_page(
    State(state): State<AppState>,
    p: Proctor,
    Query(note): Query<Note>,
) -> Response {
    let (error, _) = note.texts(p.lang);
    render(&PasswordPage {
        tr: Tr { lang: p.lang },
        csrf: p.session.csrf.clone(),
        error,
        ok: note.ok.clone().unwrap_or_default(),
        invigilator: state.room.has_invigilator(),
    })
}

#[derive(Deserialize)]
pub(super) struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password2: String,
}

/// `POST /proctor/password`: the current password, then the new one twice. Every other login
/// ends; this browser gets a new cookie.
pub(super) async fn change_password(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    p: Proctor,
    jar: SignedCookieJar,
    Form(f): Form<PasswordForm>,
) -> Response {
    if !p.csrf_ok(&f.csrf) {
        return p.csrf_refused("/proctor/password");
    }
    let client = addr.ip().to_string();
    match state
        .room
        .change_proctor_password(
            &p.session.login,
            &client,
            &f.current,
            &f.password,
            &f.password2,
        )
        .await
    {
        Ok(login) => logged_in(&state, jar, &login, "/proctor/password?ok=password"),
        Err(e) => back_to_account(&p, e),
    }
}

/// Back to the account page with the error's code, or to the login when the account is gone.
fn back_to_account(p: &Proctor, e: RoomError) -> Response {
    if matches!(e, RoomError::NoProctor) {
        return Redirect::to("/proctor").into_response();
    }
    super::refused_at("/proctor/password", e, p.lang)
}

#[derive(Deserialize)]
pub(super) struct InvigilatorForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password2: String,
}

/// `POST /proctor/invigilator`: the invigilator's password (new twice); every invigilator
/// login ends.
pub(super) async fn set_invigilator(
    State(state): State<AppState>,
    p: Proctor,
    Form(f): Form<InvigilatorForm>,
) -> Response {
    if !p.csrf_ok(&f.csrf) {
        return p.csrf_refused("/proctor/password");
    }
    match state
        .room
        .set_invigilator_password(&p.session.login, &f.password, &f.password2)
        .await
    {
        Ok(()) => Redirect::to("/proctor/password?ok=invigilator").into_response(),
        Err(e) => back_to_account(&p, e),
    }
}

/// `POST /proctor/invigilator/remove`: no invigilator's account any more.
pub(super) async fn remove_invigilator(
    State(state): State<AppState>,
    p: Proctor,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !p.csrf_ok(&f.csrf) {
        return p.csrf_refused("/proctor/password");
    }
    match state.room.remove_invigilator(&p.session.login).await {
        Ok(()) => Redirect::to("/proctor/password?ok=removed").into_response(),
        Err(e) => back_to_account(&p, e),
    }
}

/// `POST /proctor/sign-out-everywhere`: every proctor and invigilator login ends, this
/// browser's too (back to the login page).
pub(super) async fn sign_out_everywhere(
    State(state): State<AppState>,
    p: Proctor,
    jar: SignedCookieJar,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !p.csrf_ok(&f.csrf) {
        return p.csrf_refused("/proctor/password");
    }
    if let Err(e) = state.room.sign_out_everywhere(&p.session.login).await {
        return back_to_account(&p, e);
    }
    (
        jar.remove(state.cookie(auth::PROCTOR_COOKIE, String::new(), SameSite::Strict)),
        Redirect::to("/proctor"),
    )
        .into_response()
}
