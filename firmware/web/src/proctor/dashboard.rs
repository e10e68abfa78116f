//! The proctor's dashboard: the sessions, the token, a row per participant (polled as
//! `status.json` by the page), the board's notices (ruji.toml, the LED's attention reasons),
//! and the actions on sessions and participants.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use axum_extra::extract::cookie::SignedCookieJar;
use axum_extra::extract::Form;
use ruji_core::attempt::SeatState;
use ruji_core::package::Session;
use ruji_panel::Attention;
use ruji_room::config::{Language, SettingsError};
use ruji_room::proctor::SeatRow;
use ruji_room::{ParticipantStatus, SessionState};
use serde_json::{json, Value};

use super::account::{LoginPage, SetupPage};
use super::{after, CsrfForm, Note, Proctor, Viewer};
use crate::auth;
use crate::error::{render, WebError};
use crate::i18n::{Lang, Msg, Tr};
use crate::participant::hms;
use crate::AppState;

struct SessionRow {
    id: String,
    name: String,
    day: String,
    start: String,
    open: bool,
    /// Opened before and closed since (it can be opened again).
    closed: bool,
    /// Names of the earlier days' sessions whose receipts this one waits for.
    awaiting: Vec<String>,
    /// The first row of its day in the list (the day is shown above it).
    day_heading: bool,
}

impl SessionRow {
    fn of((s, st): &(Session, SessionState)) -> SessionRow {
        SessionRow {
            id: s.id.clone(),
            name: s.name.clone(),
            day: s.day.clone(),
            start: s.start.clone(),
            open: st.open,
            closed: !st.open && st.closed_at.is_some(),
            awaiting: vec![],
            day_heading: false,
        }
    }

    /// The row with the sessions it waits for (`[results] gate_next_day`).
    fn with_gate(mut self, room: &ruji_room::Room) -> SessionRow {
        if !self.open {
            let pkg = room.package();
            let name = |id: &String| {
                pkg.sessions
                    .iter()
                    .find(|s| &s.id == id)
                    .map_or_else(|| id.clone(), |s| s.name.clone())
            };
            self.awaiting = room
                .awaiting_receipts(&self.id)
                .unwrap_or_default()
                .iter()
                .map(name)
                .collect();
        }
        self
    }
}

/// The sessions as the day goes: the open one first, then those still to come in the order of
/// their schedule, then the closed ones; a day's heading above the first of its rows.
fn day_order(mut rows: Vec<SessionRow>) -> Vec<SessionRow> {
    rows.sort_by(|a, b| {
        let rank = |r: &SessionRow| match (r.open, r.closed) {
            (true, _) => 0,
            (false, false) => 1,
            (false, true) => 2,
        };
        (rank(a), &a.day, &a.start).cmp(&(rank(b), &b.day, &b.start))
    });
    let mut last: Option<String> = None;
    for r in &mut rows {
        r.day_heading = last.as_deref() != Some(r.day.as_str());
        last = Some(r.day.clone());
    }
    rows
}

struct Row {
    s: ParticipantStatus,
    state_text: &'static str,
    remaining: String,
    online: bool,
    client: String,
}

impl Row {
    fn of(r: SeatRow, tr: Tr) -> Row {
        Row {
            state_text: tr.t(seat_state_msg(r.status.state)),
            remaining: r.status.remaining.map(hms).unwrap_or_default(),
            online: r.online,
            client: r.client,
            s: r.status,
        }
    }
}

fn seat_state_msg(s: SeatState) -> Msg {
    match s {
        SeatState::NotLoggedIn => Msg::StNotLoggedIn,
        SeatState::LoggedIn => Msg::StLoggedIn,
        SeatState::Practice => Msg::StPractice,
        SeatState::InProgress => Msg::StInProgress,
        SeatState::Finished => Msg::StFinished,
    }
}

#[derive(Template)]
#[template(path = "proctor_dashboard.html")]
struct Dashboard {
    tr: Tr,
    csrf: String,
    error: Option<&'static str>,
    ok: Option<&'static str>,
    title: String,
    sessions: Vec<SessionRow>,
    open: Option<SessionRow>,
    token: String,
    rotates_in: String,
    rows: Vec<Row>,
    counts: (usize, usize, usize),
    board: BoardNotes,
    /// The proctor (every action) or the invigilator (no forms but logging out).
    can_act: bool,
    /// Main participants not logged in: whom a reserve may replace (username, name).
    absent: Vec<(String, String)>,
    /// Since when every test is paused (the board's zone), if it is.
    paused: Option<String>,
    /// The demo exam's logins, when it is installed (a rehearsal).
    demo_logins: Vec<ruji_core::package::Participant>,
}

/// One attention reason as the dashboard lists it.
struct AttentionRow {
    /// Stable name (`not_backed_up`...), for the page's ids and tests.
    name: &'static str,
    /// Short label.
    label: &'static str,
    /// What to do.
    todo: &'static str,
    /// For `not_backed_up`: the sessions whose results to download (id, name).
    sessions: Vec<(String, String)>,
    /// For `clock_not_set`: what the board's clock reads (the form to set it follows).
    clock: Option<String>,
}

/// The (label, what to do) of a reason.
fn attention_texts(a: Attention) -> (Msg, Msg) {
    match a {
        Attention::AddressConflict => (Msg::AttAddressConflict, Msg::AttAddressConflictTodo),
        Attention::DiskNearlyFull => (Msg::AttDiskNearlyFull, Msg::AttDiskNearlyFullTodo),
        Attention::ClockNotSet => (Msg::AttClockNotSet, Msg::AttClockNotSetTodo),
        Attention::ResultsNotUploaded => {
            (Msg::AttResultsNotUploaded, Msg::AttResultsNotUploadedTodo)
        }
        Attention::NotBackedUp => (Msg::AttNotBackedUp, Msg::AttNotBackedUpTodo),
    }
}

/// The board's notices on the dashboard: ruji.toml errors, the recovery's LAN reset, the
/// settings in force and the attention reasons.
struct BoardNotes {
    cfg_path: String,
    cfg_error: Option<SettingsError>,
    cfg_last_good: bool,
    lan_defaults: bool,
    settings: Vec<(&'static str, String)>,
    attention: Vec<AttentionRow>,
    attention_names: String,
}

async fn board_notes(state: &AppState, tr: Tr) -> BoardNotes {
    let n = state.room.settings_notice();
    let settings = n
        .in_force
        .as_ref()
        .map(|f| {
            let minutes = |m: u64| format!("{m} {}", tr.t(Msg::Minutes));
            vec![
                (tr.t(Msg::LanAddress), f.lan_address.clone()),
                (tr.t(Msg::LanSeats), f.seats.clone()),
                (
                    tr.t(Msg::SetLanguage),
                    match f.language {
                        Language::Id => "Bahasa Indonesia".to_string(),
                        Language::En => "English".to_string(),
                        Language::Auto => tr.t(Msg::SetLangAuto).to_string(),
                    },
                ),
                (
                    tr.t(Msg::SetTokenRotation),
                    f.token_rotate_minutes
                        .map(minutes)
                        .unwrap_or_else(|| tr.t(Msg::SetTokenNever).to_string()),
                ),
                (tr.t(Msg::SetTokenGrace), minutes(f.token_grace_minutes)),
                (
                    tr.t(Msg::SetCountDowntime),
                    tr.t(if f.count_downtime { Msg::Yes } else { Msg::No })
                        .to_string(),
                ),
                (
                    tr.t(Msg::SetSchool),
                    [
                        f.school.name.as_str(),
                        f.school.room.as_str(),
                        f.school.zone.name(),
                    ]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(" · "),
                ),
                (
                    tr.t(Msg::SetGateNextDay),
                    tr.t(if f.gate_next_day { Msg::Yes } else { Msg::No })
                        .to_string(),
                ),
            ]
        })
        .unwrap_or_default();
    let mut attention = Vec::new();
    for a in state.room.attention() {
        let (label, todo) = attention_texts(a);
        let sessions = if a == Attention::NotBackedUp {
            state
                .room
                .sessions_to_back_up()
                .await
                .unwrap_or_default()
                .into_iter()
                .map(|s| (s.id, s.name))
                .collect()
        } else {
            vec![]
        };
        let clock = (a == Attention::ClockNotSet)
            .then(|| ruji_room::wallclock::utc(state.room.wall_now_ms()));
        attention.push(AttentionRow {
            name: a.name(),
            label: tr.t(label),
            todo: tr.t(todo),
            sessions,
            clock,
        });
    }
    BoardNotes {
        cfg_path: n.path.clone().unwrap_or_default(),
        cfg_last_good: n.from_last_good,
        cfg_error: n.error,
        lan_defaults: n.lan_defaults,
        settings,
        attention_names: attention
            .iter()
            .map(|a| a.name)
            .collect::<Vec<_>>()
            .join(","),
        attention,
    }
}

/// `GET /proctor`: the setup page before the account exists, the login page without a login,
/// else the dashboard.
pub(super) async fn home(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: SignedCookieJar,
    Query(note): Query<Note>,
) -> Response {
    let lang = Lang::from_headers(&headers);
    let tr = Tr { lang };
    let (error, ok) = note.texts(lang);
    if !state.room.has_proctor() {
        return render(&SetupPage {
            tr,
            error,
            button: state.room.settings().button,
        });
    }
    let Some(session) = auth::proctor(&jar).filter(|s| state.room.proctor_login_valid(&s.login))
    else {
        return render(&LoginPage { tr, error });
    };
    let (sessions, open) = match (state.room.sessions(), state.room.current_session()) {
        (Ok(all), Ok(open)) => (all, open),
        (Err(e), _) | (_, Err(e)) => return WebError::for_proctor(e, lang).into_response(),
    };
    let (token, rotates_in) = open
        .as_ref()
        .and_then(|(_, st)| state.room.token_now(st))
        .map(|t| (t.token, t.rotates_in.map(hms).unwrap_or_default()))
        .unwrap_or_default();
    let mut error = error;
    let rows: Vec<Row> = match &open {
        Some((s, _)) => match state.room.seat_rows(&s.id).await {
            Ok(rows) => rows.into_iter().map(|r| Row::of(r, tr)).collect(),
            // The page still shows the sessions and the token; the error says why no rows.
            Err(e) => {
                error = Some(WebError::for_proctor(e, lang).message());
                vec![]
            }
        },
        None => vec![],
    };
    let counts = (
        rows.iter()
            .filter(|r| r.s.state == SeatState::NotLoggedIn)
            .count(),
        rows.iter()
            .filter(|r| {
                matches!(
                    r.s.state,
                    SeatState::LoggedIn | SeatState::Practice | SeatState::InProgress
                )
            })
            .count(),
        rows.iter()
            .filter(|r| r.s.state == SeatState::Finished)
            .count(),
    );
    let absent = rows
        .iter()
        .filter(|r| !r.s.reserve && r.s.state == SeatState::NotLoggedIn)
        .map(|r| (r.s.username.clone(), r.s.name.clone()))
        .collect();
    render(&Dashboard {
        tr,
        absent,
        demo_logins: state.room.demo_logins().unwrap_or_default(),
        paused: state.room.paused_since_wall().map(|at| {
            let zone = state.room.settings().school.zone;
            format!("{} {}", zone.format(at), zone.name())
        }),
        can_act: session.login.role == ruji_room::proctor::Role::Proctor,
        csrf: session.csrf,
        error,
        ok,
        title: state.room.package().title.clone(),
        open: open.as_ref().map(SessionRow::of),
        sessions: day_order(
            sessions
                .iter()
                .map(|s| SessionRow::of(s).with_gate(&state.room))
                .collect(),
        ),
        token,
        rotates_in,
        rows,
        counts,
        board: board_notes(&state, tr).await,
    })
}

/// `GET /proctor/status.json`: the dashboard's live data.
pub(super) async fn status_json(
    State(state): State<AppState>,
    p: Viewer,
) -> Result<Json<Value>, WebError> {
    let tr = Tr { lang: p.lang };
    let attention: Vec<&str> = state.room.attention().iter().map(|a| a.name()).collect();
    let Some((s, st)) = state.room.current_session().map_err(|e| p.fail(e))? else {
        return Ok(Json(json!({"session": null, "attention": attention})));
    };
    let rows: Vec<Value> = state
        .room
        .seat_rows(&s.id)
        .await
        .map_err(|e| p.fail(e))?
        .into_iter()
        .map(|r| {
            let r = Row::of(r, tr);
            json!({
                "username": r.s.username, "name": r.s.name, "state": r.s.state,
                "state_text": r.state_text, "answered": r.s.answered, "items": r.s.items,
                "remaining_ms": r.s.remaining, "remaining": r.remaining, "online": r.online,
                "client": r.client, "resets": r.s.resets, "test": r.s.test,
            })
        })
        .collect();
    let token = state
        .room
        .token_now(&st)
        .map(|t| json!({"token": t.token, "rotates_in_ms": t.rotates_in}));
    Ok(Json(json!({
        "session": {"id": s.id, "name": s.name}, "token": token, "rows": rows,
        "attention": attention,
    })))
}

#[derive(Template)]
#[template(path = "proctor_token.html")]
struct TokenPage {
    tr: Tr,
    token: String,
    session: String,
}

/// `GET /proctor/token`: the token full screen, to show on a projector.
pub(super) async fn token_page(State(state): State<AppState>, p: Viewer) -> Response {
    let (token, session) = state
        .room
        .current_session()
        .ok()
        .flatten()
        .map(|(s, st)| {
            (
                state
                    .room
                    .token_now(&st)
                    .map(|t| t.token)
                    .unwrap_or_default(),
                s.name,
            )
        })
        .unwrap_or_default();
    render(&TokenPage {
        tr: Tr { lang: p.lang },
        token,
        session,
    })
}

/// An action of the dashboard: checks the form's CSRF token, then does `action` (a future does
/// nothing until awaited) and goes back to the dashboard with what came of it.
async fn act<T>(
    p: &Proctor,
    f: &CsrfForm,
    action: impl std::future::Future<Output = ruji_room::Result<T>>,
) -> Response {
    if !p.csrf_ok(&f.csrf) {
        return p.csrf_refused("/proctor");
    }
    after(action.await, p.lang)
}

/// `POST /proctor/sessions/{id}/open`.
pub(super) async fn open_session(
    State(state): State<AppState>,
    p: Proctor,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    // Reopening a closed session is done on purpose only: its results file was made, maybe sent.
    let closed = state
        .room
        .sessions()
        .ok()
        .and_then(|all| all.into_iter().find(|(s, _)| s.id == id))
        .is_some_and(|(_, st)| !st.open && st.closed_at.is_some());
    if closed && f.confirm.is_none() && p.csrf_ok(&f.csrf) {
        return Redirect::to("/proctor?e=reopen_confirm").into_response();
    }
    act(&p, &f, state.room.open_session(&id)).await
}

/// `POST /proctor/sessions/{id}/close`.
pub(super) async fn close_session(
    State(state): State<AppState>,
    p: Proctor,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    act(&p, &f, state.room.close_session(&id)).await
}

/// `POST /proctor/token/rotate`.
pub(super) async fn rotate_token(
    State(state): State<AppState>,
    p: Proctor,
    Form(f): Form<CsrfForm>,
) -> Response {
    act(&p, &f, state.room.rotate_token()).await
}

/// `POST /proctor/participants/{u}/reset`.
pub(super) async fn reset_login(
    State(state): State<AppState>,
    p: Proctor,
    Path(u): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    act(&p, &f, state.room.reset_login(&u)).await
}

/// `POST /proctor/participants/{u}/finish` (with the reason).
pub(super) async fn force_finish(
    State(state): State<AppState>,
    p: Proctor,
    Path(u): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    act(&p, &f, state.room.force_finish(&u, &f.reason)).await
}

/// `POST /proctor/pause`: every test paused (`action=pause`) or resumed (`action=resume`).
pub(super) async fn pause(
    State(state): State<AppState>,
    p: Proctor,
    Form(f): Form<CsrfForm>,
) -> Response {
    match f.action.as_str() {
        "pause" => act(&p, &f, state.room.pause_all()).await,
        "resume" => act(&p, &f, state.room.resume_all()).await,
        _ => Redirect::to("/proctor?e=bad_request").into_response(),
    }
}

/// `POST /proctor/participants/{u}/extra`: extra minutes for the participant's current test,
/// with the reason.
pub(super) async fn extra_time(
    State(state): State<AppState>,
    p: Proctor,
    Path(u): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let minutes = f.minutes.trim().parse::<u32>().unwrap_or(0);
    act(&p, &f, state.room.extra_time(&u, minutes, &f.reason)).await
}

/// `POST /proctor/participants/bulk`: `action=reset` resets the ticked participants' logins (`u`,
/// repeated); `action=finish_open` force-finishes every attempt still open, with `reason`.
pub(super) async fn bulk(
    State(state): State<AppState>,
    p: Proctor,
    Form(f): Form<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| {
        f.iter()
            .find(|(a, _)| a == k)
            .map_or("", |(_, v)| v.as_str())
    };
    if !p.csrf_ok(get("csrf")) {
        return p.csrf_refused("/proctor");
    }
    let users: Vec<String> = f
        .iter()
        .filter(|(k, _)| k == "u")
        .map(|(_, v)| v.clone())
        .take(MAX_BULK)
        .collect();
    let done = match get("action") {
        "reset" if users.is_empty() => return Redirect::to("/proctor?e=bulk_none").into_response(),
        "reset" => state.room.reset_logins(&users).await,
        "finish_open" => state.room.force_finish_open(get("reason")).await,
        _ => return Redirect::to("/proctor?e=bad_request").into_response(),
    };
    match done {
        // Each participant's own refusal (an attempt that ended meanwhile...) is in the log; the
        // page says the first one when nobody was done.
        Ok(b) if b.done.is_empty() && !b.refused.is_empty() => {
            let (_, e) = b.refused.into_iter().next().expect("one refusal");
            super::refused(e, p.lang)
        }
        other => after(other, p.lang),
    }
}

/// Most participants one bulk action names (a school's room is far fewer).
const MAX_BULK: usize = 4096;

/// `POST /proctor/participants/{u}/activate`.
pub(super) async fn activate(
    State(state): State<AppState>,
    p: Proctor,
    Path(u): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    act(&p, &f, state.room.activate_reserve(&u, Some(&f.replaces))).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_attention_reason_says_what_it_is_and_what_to_do_in_both_languages() {
        for a in Attention::ALL {
            let (label, todo) = attention_texts(a);
            for lang in [Lang::Id, Lang::En] {
                let tr = Tr { lang };
                assert!(!tr.t(label).is_empty() && tr.t(todo).len() > 20, "{a:?}");
            }
        }
    }
}
