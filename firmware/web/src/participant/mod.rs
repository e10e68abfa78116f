//! The participant side: the HTML pages, and what they share with [`crate::api`].
//!
//! Pages are plain forms that work with JavaScript off; every POST redirects (303) to the next
//! page, and a refusal comes back as `?e=CODE`, shown in the user's language.
//! Login → `/confirm` (identity + token) → `/exam/N` (practice items first where the test has
//! them) → `/finish` (summary + confirmation) → `/done` → back to `/`.
//!
//! - this file: the routes, the [`LoggedIn`] extractor, the login that sets the cookie, and the
//!   helpers every page uses (where a participant should be, `?e=` messages, `hh:mm:ss`);
//! - [`login`]: the login page and its waiting page, the thank-you page, logout, the language
//!   and font switches;
//! - [`confirm`]: identity and token;
//! - [`item`]: one item per page, its form and the answer it makes;
//! - [`finish`]: the summary and the finish confirmation.

pub mod confirm;
pub mod finish;
pub mod item;
pub mod login;

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::cookie::{SameSite, SignedCookieJar};
use ruji_core::attempt::{Attempt, FinishReason, PhaseName};
use ruji_core::package::Test;
use ruji_room::{Context, RoomError};
use serde::Deserialize;

use crate::auth;
use crate::error::{query_message, ErrorCode, WebError};
use crate::i18n::Lang;
use crate::AppState;

/// HTML routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(login::home))
        .route("/login", post(login::login_form))
        .route("/login/wait", get(login::wait_page))
        .route("/confirm", get(confirm::page).post(confirm::form))
        .route("/exam/{n}", get(item::page).post(item::form))
        .route("/finish", get(finish::page).post(finish::form))
        .route("/done", get(login::done_page))
        .route("/logout", post(login::logout_form))
        .route("/lang/{code}", get(login::set_lang))
        .route("/fs/{size}", get(login::set_font))
}

/// A request from a logged-in participant (valid signed cookie). Touches their presence.
pub struct LoggedIn {
    /// Username.
    pub username: String,
    /// Login id from the cookie.
    pub login_id: u64,
    /// UI language.
    pub lang: Lang,
    /// Client address.
    pub client: String,
}

impl LoggedIn {
    /// A room error in this participant's language.
    pub fn fail(&self, e: RoomError) -> WebError {
        WebError::room(e, self.lang)
    }
}

/// Rejection when there is no valid participant cookie.
pub struct NotLoggedIn {
    api: bool,
    lang: Lang,
}

impl IntoResponse for NotLoggedIn {
    fn into_response(self) -> Response {
        if self.api {
            WebError::new(StatusCode::UNAUTHORIZED, ErrorCode::NotLoggedIn, self.lang)
                .into_response()
        } else {
            Redirect::to("/?e=not_logged_in").into_response()
        }
    }
}

impl FromRequestParts<AppState> for LoggedIn {
    type Rejection = NotLoggedIn;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, NotLoggedIn> {
        let lang = Lang::from_headers(&parts.headers);
        let api = original_path(parts).starts_with("/api/");
        let Some((username, login_id)) = auth::participant_of(&parts.headers, &state.cookie_mac)
        else {
            return Err(NotLoggedIn { api, lang });
        };
        let client = client_addr(parts);
        state.room.touch(&username, &client, login_id);
        Ok(LoggedIn {
            username,
            login_id,
            lang,
            client,
        })
    }
}

/// The request path before any `nest` stripped its prefix.
pub fn original_path(parts: &Parts) -> String {
    parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map(|u| u.0.path().to_string())
        .unwrap_or_else(|| parts.uri.path().to_string())
}

fn client_addr(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "?".into())
}

/// How long a login request waits for its login job before the participant is shown that it is
/// being processed ([`ruji_room::logins`]); each later ask waits as long again. The default of
/// [`crate::Settings::login_wait`].
pub const LOGIN_WAIT: std::time::Duration = std::time::Duration::from_secs(4);

/// Where a login stands, as the web answers it.
pub enum LoginStep {
    /// Logged in: who, with the jar that holds their cookie (and no longer the ticket).
    In(Box<LoggedIn>, SignedCookieJar),
    /// Still being processed: the jar with the ticket's cookie, and how many logins are ahead.
    Waiting(SignedCookieJar, usize),
}

/// Starts the login (the room throttles, queues and hashes) and waits for it at most
/// [`crate::Settings::login_wait`].
pub async fn login(
    state: &AppState,
    jar: SignedCookieJar,
    username: &str,
    password: &str,
    addr: SocketAddr,
    lang: Lang,
) -> Result<LoginStep, WebError> {
    let client = addr.ip().to_string();
    let r = state
        .room
        .login(username, password, &client, state.settings.login_wait)
        .await;
    login_step(state, jar, username.trim(), r, client, lang)
}

/// Asks again for the login whose ticket the cookie carries, waiting at most
/// [`crate::Settings::login_wait`].
pub async fn login_wait(
    state: &AppState,
    jar: SignedCookieJar,
    addr: SocketAddr,
    lang: Lang,
) -> Result<LoginStep, WebError> {
    let client = addr.ip().to_string();
    let (ticket, username) = jar
        .get(auth::WAIT_COOKIE)
        .and_then(|c| {
            let (t, u) = c.value().split_once(':')?;
            Some((t.to_string(), u.to_string()))
        })
        .ok_or_else(|| WebError::room(RoomError::LoginGone, lang))?;
    let r = state
        .room
        .login_wait(&ticket, &client, state.settings.login_wait)
        .await;
    login_step(state, jar, &username, r, client, lang)
}

fn login_step(
    state: &AppState,
    jar: SignedCookieJar,
    username: &str,
    r: Result<ruji_room::logins::Login, RoomError>,
    client: String,
    lang: Lang,
) -> Result<LoginStep, WebError> {
    use ruji_room::logins::Login;
    let wait_cookie = |v: String| state.cookie(auth::WAIT_COOKIE, v, SameSite::Lax);
    match r {
        Ok(Login::In(login_id)) => {
            let jar = jar.remove(wait_cookie(String::new())).add(state.cookie(
                auth::PARTICIPANT_COOKIE,
                auth::participant_value(username, login_id),
                SameSite::Lax,
            ));
            let who = LoggedIn {
                username: username.to_string(),
                login_id,
                lang,
                client,
            };
            Ok(LoginStep::In(Box::new(who), jar))
        }
        Ok(Login::Waiting { ticket, ahead }) => Ok(LoginStep::Waiting(
            jar.add(wait_cookie(format!("{ticket}:{username}"))),
            ahead,
        )),
        Err(e) => Err(WebError::room(e, lang)),
    }
}

/// The participant's context, with their login checked.
pub fn context(state: &AppState, who: &LoggedIn) -> Result<Context, WebError> {
    state
        .room
        .context(&who.username, who.login_id)
        .map_err(|e| who.fail(e))
}

/// The participant's context on a page of their current test, with that test and attempt; or
/// where to send them instead: the login page when the login is no longer valid, the
/// thank-you page when every test is done.
pub(crate) fn on_a_test(
    state: &AppState,
    who: &LoggedIn,
) -> Result<(Context, Test, Attempt), Redirect> {
    let ctx = context(state, who).map_err(|e| redirect_with_error("/", &e))?;
    match ctx.current() {
        Ok((test, attempt)) => Ok((ctx, test, attempt)),
        Err(_) => Err(Redirect::to("/done")),
    }
}

/// The jar without the participant cookie.
pub fn clear_cookie(state: &AppState, jar: SignedCookieJar) -> SignedCookieJar {
    jar.remove(state.cookie(auth::PARTICIPANT_COOKIE, String::new(), SameSite::Lax))
}

/// How the test of a login ended during that login: `r=` of the thank-you page and `ended` of
/// the API, serialised as its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Ended {
    /// The time ran out.
    #[serde(rename = "timeout")]
    Timeout,
    /// The proctor force-finished it.
    #[serde(rename = "proctor")]
    Proctor,
    /// The participant finished it.
    #[serde(rename = "finished")]
    Finished,
}

impl Ended {
    /// The thank-you page that says so.
    pub fn done_url(self) -> &'static str {
        match self {
            Ended::Timeout => "/done?r=timeout",
            Ended::Proctor => "/done?r=proctor",
            Ended::Finished => "/done?r=finished",
        }
    }
}

/// How the test this login belongs to ended, if it ended during the login.
pub fn ended_reason(ctx: &Context) -> Option<Ended> {
    ctx.ended_during_login().map(|r| match r {
        FinishReason::TimeOut => Ended::Timeout,
        FinishReason::Proctor(_) => Ended::Proctor,
        FinishReason::Participant => Ended::Finished,
    })
}

/// Where a participant should be now.
pub(crate) fn next_url(ctx: &Context) -> &'static str {
    if let Some(ended) = ended_reason(ctx) {
        return ended.done_url();
    }
    if ctx.needs_token() {
        return "/confirm";
    }
    match ctx.attempt.as_ref().map(|a| a.phase.name()) {
        None => "/done",
        Some(PhaseName::NotStarted) => "/confirm",
        Some(PhaseName::Practice | PhaseName::InProgress) => "/exam/1",
        Some(PhaseName::Finished) => "/done",
    }
}

/// Back to `path` with the error's code in `?e=`.
pub(crate) fn back_with_error(path: &str, e: &WebError) -> Response {
    redirect_with_error(path, e).into_response()
}

fn redirect_with_error(path: &str, e: &WebError) -> Redirect {
    let sep = if path.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{path}{sep}e={}", e.code.as_str()))
}

/// `?e=CODE` on a page.
#[derive(Deserialize, Default)]
pub struct ErrQuery {
    /// Error code to show.
    #[serde(default)]
    pub e: Option<String>,
    /// Reason shown on /done.
    #[serde(default)]
    pub r: Option<String>,
    /// Where to go after a settings change.
    #[serde(default)]
    pub next: Option<String>,
    /// On /done after a finish: the id of the session's next test still to do.
    #[serde(default)]
    pub t: Option<String>,
}

pub(crate) fn error_text(q: &ErrQuery, lang: Lang) -> Option<&'static str> {
    query_message(q.e.as_deref(), lang)
}

pub(crate) fn font_class(headers: &HeaderMap) -> &'static str {
    let size = headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix("ruji_fs="));
    match size {
        Some("1") => "fs1",
        Some("3") => "fs3",
        _ => "fs2",
    }
}

/// `hh:mm:ss`.
pub fn hms(ms: u64) -> String {
    let s = ms / 1000;
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_format() {
        assert_eq!(hms(3_725_999), "01:02:05");
    }
}
