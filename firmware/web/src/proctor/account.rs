//! The proctor's account: first-run setup (with the one-time code printed on the console, or
//! confirmed by a press of the board's button), the page that waits for the press, login and
//! logout. The rules (throttling, the code, the password's length) are the room's.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{SameSite, SignedCookieJar};
use axum_extra::extract::Form;
use ruji_room::proctor::{Claim, Setup};
use ruji_room::RoomError;
use serde::Deserialize;

use super::{refused, CsrfForm, Proctor};
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

/// Logged in: the proctor's cookie for an account of `generation`, then the dashboard.
fn logged_in(state: &AppState, jar: SignedCookieJar, generation: u32) -> Response {
    let (value, _) = auth::proctor_value(generation);
    (
        jar.add(state.cookie(auth::PROCTOR_COOKIE, value, SameSite::Strict)),
        Redirect::to("/proctor"),
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
        Ok(Setup::Created { generation }) => logged_in(&state, jar, generation),
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
    headers: HeaderMap,
    jar: SignedCookieJar,
    Path(id): Path<String>,
) -> Response {
    match state.room.claim(&id) {
        Claim::Unknown => Redirect::to("/proctor").into_response(),
        Claim::Done { generation } => logged_in(&state, jar, generation),
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
        Ok(generation) => logged_in(&state, jar, generation),
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
    (
        jar.remove(state.cookie(auth::PROCTOR_COOKIE, String::new(), SameSite::Strict)),
        Redirect::to("/proctor"),
    )
        .into_response()
}
