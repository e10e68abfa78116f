//! Identity and token ("Konfirmasi Data Peserta"): the participant re-types name and date of
//! birth and enters the token the proctor announced.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use ruji_core::package::Sex;
use serde::Deserialize;

use super::{
    back_with_error, ended_reason, error_text, hms, next_url, on_a_test, ErrQuery, LoggedIn,
};
use crate::error::{render, ErrorCode};
use crate::i18n::{Msg, Tr};
use crate::AppState;

#[derive(Template)]
#[template(path = "confirm.html")]
struct ConfirmPage<'a> {
    tr: Tr,
    error: Option<&'a str>,
    username: &'a str,
    name: &'a str,
    class: &'a str,
    sex: &'a str,
    test_name: &'a str,
    duration: u32,
    asks_birth_date: bool,
    resuming: bool,
    remaining: String,
}

fn sex_msg(s: Option<Sex>) -> Option<Msg> {
    s.map(|s| match s {
        Sex::Male => Msg::Male,
        Sex::Female => Msg::Female,
    })
}

pub(super) async fn page(
    State(state): State<AppState>,
    who: LoggedIn,
    Query(q): Query<ErrQuery>,
) -> Response {
    let lang = who.lang;
    let (ctx, test, attempt) = match on_a_test(&state, &who) {
        Ok(on) => on,
        Err(elsewhere) => return elsewhere.into_response(),
    };
    if ended_reason(&ctx).is_some() {
        return Redirect::to(next_url(&ctx)).into_response();
    }
    let tr = Tr { lang };
    render(&ConfirmPage {
        tr,
        error: error_text(&q, lang),
        username: &ctx.participant.username,
        name: &ctx.participant.name,
        class: &ctx.participant.class,
        sex: sex_msg(ctx.participant.sex).map_or("-", |m| tr.t(m)),
        test_name: &test.name,
        duration: test.duration_minutes,
        asks_birth_date: ctx.participant.birth_date.is_some(),
        resuming: attempt.is_open(),
        remaining: hms(attempt.clock.remaining(ctx.now)),
    })
}

#[derive(Deserialize)]
pub(super) struct ConfirmForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    birth_date: String,
    #[serde(default)]
    token: String,
}

pub(super) async fn form(
    State(state): State<AppState>,
    who: LoggedIn,
    Form(f): Form<ConfirmForm>,
) -> Response {
    let started = state
        .room
        .start(
            &who.username,
            who.login_id,
            &who.client,
            &f.name,
            &f.birth_date,
            &f.token,
        )
        .await;
    match started.map_err(|e| who.fail(e)) {
        Ok(()) => Redirect::to("/exam/1").into_response(),
        Err(e) if e.code == ErrorCode::LoggedOut => back_with_error("/", &e),
        Err(e) => back_with_error("/confirm", &e),
    }
}
