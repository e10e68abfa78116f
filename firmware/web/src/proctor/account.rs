//! The proctor's account: first-run setup (with the one-time code printed on the console, or
//! confirmed by a press of the board's button), the page that waits for the press, login,
//! logout and the password change; the last two end logins on the board. The rules (throttling, the code, the password's length) are the room's.

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

use super::{refused, CsrfForm, Note, Proctor};
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
    let value = auth::proctor_value(login);
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

/// `POST /proctor/logout`.
pub(super) async fn logout(
    State(state): State<AppState>,
    p: Proctor,
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

/// The page to change the proctor password.
#[derive(Template)]
#[template(path = "proctor_password.html")]
struct PasswordPage {
    tr: Tr,
    csrf: String,
    error: Option<&'static str>,
    changed: bool,
}

/// `GET /proctor/password`.
pub(super) async fn password_page(p: Proctor, Query(note): Query<Note>) -> Response {
    let (error, ok) = note.texts(p.lang);
    render(&PasswordPage {
        tr: Tr { lang: p.lang },
        csrf: p.session.csrf.clone(),
        error,
        changed: ok.is_some(),
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
        Ok(login) => logged_in(&state, jar, &login, "/proctor/password?ok=1"),
        Err(RoomError::NoProctor) => Redirect::to("/proctor").into_response(),
        Err(e) => {
            let e = p.fail(e);
            Redirect::to(&format!("/proctor/password?e={}", e.code.as_str())).into_response()
        }
    }
}
