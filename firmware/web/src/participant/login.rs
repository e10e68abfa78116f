//! The login page and the page of a login still being processed, the thank-you page, logout,
//! and the language and font switches.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, SameSite, SignedCookieJar};
use axum_extra::extract::Form;
use serde::Deserialize;

use super::{back_with_error, clear_cookie, error_text, next_url, ErrQuery, LoggedIn, LoginStep};
use crate::auth;
use crate::error::{html_error, render, ErrorCode};
use crate::i18n::{Lang, Msg, Tr};
use crate::AppState;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    tr: Tr,
    error: Option<&'a str>,
    title: &'a str,
}

pub(super) async fn home(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: SignedCookieJar,
    Query(q): Query<ErrQuery>,
) -> Response {
    let lang = Lang::from_headers(&headers);
    if q.e.is_none() {
        if let Some((u, id)) = auth::participant(&jar) {
            if let Ok(ctx) = state.room.context(&u, id) {
                return Redirect::to(next_url(&ctx)).into_response();
            }
        }
    }
    let title = state.room.package().title.clone();
    render(&LoginPage {
        tr: Tr { lang },
        error: error_text(&q, lang),
        title: &title,
    })
}

#[derive(Deserialize)]
pub(super) struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

pub(super) async fn login_form(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    jar: SignedCookieJar,
    Form(f): Form<LoginForm>,
) -> Response {
    let lang = Lang::from_headers(&headers);
    let step = super::login(&state, jar, &f.username, &f.password, addr, lang).await;
    login_answer(&state, step, lang)
}

#[derive(Template)]
#[template(path = "login_wait.html")]
struct WaitPage<'a> {
    tr: Tr,
    ahead: usize,
    title: &'a str,
}

/// The page of a login still being processed: it asks again by itself (a refresh, no script
/// needed) until the login ends.
pub(super) async fn wait_page(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    jar: SignedCookieJar,
) -> Response {
    let lang = Lang::from_headers(&headers);
    let step = super::login_wait(&state, jar, addr, lang).await;
    login_answer(&state, step, lang)
}

fn login_answer(
    state: &AppState,
    step: Result<LoginStep, crate::error::WebError>,
    lang: Lang,
) -> Response {
    match step {
        Ok(LoginStep::In(_, jar)) => (jar, Redirect::to("/confirm")).into_response(),
        Ok(LoginStep::Waiting(jar, ahead)) => {
            let title = state.room.package().title.clone();
            let page = render(&WaitPage {
                tr: Tr { lang },
                ahead,
                title: &title,
            });
            (jar, [(CACHE_CONTROL, "no-store")], page).into_response()
        }
        Err(e) => back_with_error("/", &e),
    }
}

#[derive(Template)]
#[template(path = "done.html")]
struct DonePage {
    tr: Tr,
    text: &'static str,
    /// The session's next test still to do, if any.
    next: Option<String>,
}

pub(super) async fn done_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: SignedCookieJar,
    Query(q): Query<ErrQuery>,
) -> Response {
    let lang = Lang::from_headers(&headers);
    let tr = Tr { lang };
    let mut text = match q.r.as_deref() {
        Some("timeout") => tr.t(Msg::DoneTimeout),
        Some("proctor") => tr.t(Msg::DoneProctor),
        _ => tr.t(Msg::DoneText),
    };
    let mut jar = jar;
    // A finish ends the login before this page: the finish names the next test in `t`.
    let mut next = q.t.as_deref().and_then(|id| {
        let pkg = state.room.package();
        pkg.test(id).map(|t| t.name.clone())
    });
    if let Some((u, id)) = auth::participant(&jar) {
        if let Ok(ctx) = state.room.context(&u, id) {
            if ctx.attempt.as_ref().is_some_and(|a| a.is_open()) {
                // Still working: this page is not for them yet.
                return Redirect::to(next_url(&ctx)).into_response();
            }
            if ctx.test.is_none() && !matches!(q.r.as_deref(), Some("timeout" | "proctor")) {
                text = tr.t(Msg::DoneAll);
            }
        }
        next = state.room.next_test(&u).map(|t| t.name);
        // Whatever ended the test (time-out, proctor), the participant leaves through the
        // login page.
        let _ = state.room.logout(&u, id).await;
        jar = clear_cookie(&state, jar);
    }
    (jar, render(&DonePage { tr, text, next })).into_response()
}

pub(super) async fn logout_form(
    State(state): State<AppState>,
    who: LoggedIn,
    jar: SignedCookieJar,
) -> Response {
    let _ = state.room.logout(&who.username, who.login_id).await;
    (clear_cookie(&state, jar), Redirect::to("/")).into_response()
}

/// Where to go back to after a setting: a path on this site (`/...`), else `/`. `None` when
/// the target holds a control or non-ASCII character (the request is refused: 400).
fn safe_next(next: Option<&str>) -> Option<&str> {
    match next {
        Some(n) if !n.bytes().all(|b| b.is_ascii_graphic()) => None,
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => Some(n),
        _ => Some("/"),
    }
}

/// Back to `next` with the cookie set, or 400 for a target no browser would send.
fn back(jar: axum_extra::extract::cookie::CookieJar, next: Option<&str>, lang: Lang) -> Response {
    match safe_next(next) {
        Some(to) => (jar, Redirect::to(to)).into_response(),
        None => html_error(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, lang, "/"),
    }
}

pub(super) async fn set_lang(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<ErrQuery>,
) -> Response {
    let Some(lang) = Lang::parse(&code) else {
        return html_error(StatusCode::NOT_FOUND, ErrorCode::NotFound, Lang::Id, "/");
    };
    let mut c = Cookie::new("ruji_lang", lang.code());
    c.set_path("/");
    c.set_same_site(SameSite::Lax);
    c.set_secure(state.settings.secure_cookies);
    let jar = axum_extra::extract::cookie::CookieJar::new().add(c);
    back(jar, q.next.as_deref(), lang)
}

pub(super) async fn set_font(
    State(state): State<AppState>,
    Path(size): Path<u8>,
    Query(q): Query<ErrQuery>,
    headers: axum::http::HeaderMap,
) -> Response {
    let jar = axum_extra::extract::cookie::CookieJar::new().add(state.font_cookie(size));
    back(jar, q.next.as_deref(), Lang::from_headers(&headers))
}

impl AppState {
    /// The font size cookie (`ruji_fs`, 1 to 3; readable by the page's script).
    pub(crate) fn font_cookie(&self, size: u8) -> Cookie<'static> {
        let mut c = Cookie::new("ruji_fs", size.clamp(1, 3).to_string());
        c.set_path("/");
        c.set_same_site(SameSite::Lax);
        c.set_secure(self.settings.secure_cookies);
        c
    }
}
