//! The summary before finishing (answered, not answered, doubtful) and the confirmation
//! ("Apakah Anda yakin...?", a tick box, then the final button).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use ruji_core::attempt::Phase;
use serde::Deserialize;

use super::{
    back_with_error, clear_cookie, error_text, hms, next_url, on_a_test, Ended, ErrQuery, LoggedIn,
};
use crate::error::{render, ErrorCode};
use crate::i18n::{Msg, Tr};
use crate::AppState;

#[derive(Template)]
#[template(path = "finish.html")]
struct FinishPage<'a> {
    tr: Tr,
    error: Option<&'a str>,
    username: &'a str,
    name: &'a str,
    test_name: &'a str,
    answered: usize,
    unanswered: usize,
    doubtful: usize,
    confirm: bool,
    remaining: String,
    remaining_ms: u64,
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
    if attempt.phase != Phase::InProgress || ctx.needs_token() {
        return Redirect::to(next_url(&ctx)).into_response();
    }
    let answered = test
        .items
        .iter()
        .filter(|i| ctx.answers.get(*i).is_some_and(|a| a.is_answered()))
        .count();
    let doubtful = test
        .items
        .iter()
        .filter(|i| ctx.answers.get(*i).is_some_and(|a| a.doubtful))
        .count();
    render(&FinishPage {
        tr: Tr { lang },
        error: error_text(&q, lang),
        username: &ctx.participant.username,
        name: &ctx.participant.name,
        test_name: &test.name,
        answered,
        unanswered: test.items.len() - answered,
        doubtful,
        confirm: test.rules.confirm_finish,
        remaining: hms(attempt.clock.remaining(ctx.now)),
        remaining_ms: attempt.clock.remaining(ctx.now),
    })
}

#[derive(Deserialize)]
pub(super) struct FinishForm {
    #[serde(default)]
    confirm: Option<String>,
}

pub(super) async fn form(
    State(state): State<AppState>,
    who: LoggedIn,
    jar: axum_extra::extract::cookie::SignedCookieJar,
    Form(f): Form<FinishForm>,
) -> Response {
    let finished = state
        .room
        .finish(&who.username, who.login_id, f.confirm.is_some())
        .await;
    match finished.map_err(|e| who.fail(e)) {
        Ok(()) => {
            // The login ends here; the thank-you page is told the session's next test.
            let done = match state.room.next_test(&who.username) {
                Some(t) => format!(
                    "{}&t={}",
                    Ended::Finished.done_url(),
                    crate::url_part(&t.id)
                ),
                None => Ended::Finished.done_url().to_string(),
            };
            (clear_cookie(&state, jar), Redirect::to(&done)).into_response()
        }
        Err(e) if e.code == ErrorCode::TimeUp => {
            Redirect::to(Ended::Timeout.done_url()).into_response()
        }
        Err(e) => back_with_error("/finish", &e),
    }
}
