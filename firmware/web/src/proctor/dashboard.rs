//! The proctor's dashboard: the console (a tile per participant on the room's seats, the token
//! large, the list beside it; pushed live over server-sent events at `/proctor/live`, polled as
//! `status.json` where a browser cannot follow, refreshed by the page itself without a script),
//! the sessions of the day, the board's notices (ruji.toml, the LED's attention reasons), and
//! the actions on sessions and participants.

use askama::Template;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use axum_extra::extract::cookie::SignedCookieJar;
use axum_extra::extract::Form;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use axum::response::sse::{Event, KeepAlive, Sse};
use ruji_core::attempt::{SeatLook, SeatState};
use ruji_core::package::Session;
use ruji_panel::Attention;
use ruji_room::config::{Language, SettingsError};
use ruji_room::console::{Console, Tile};
use ruji_room::{ParticipantStatus, RoomError, SessionState};
use serde::Deserialize;
use serde_json::{json, Value};

use super::account::{LoginPage, SetupPage};
use super::{after, CsrfForm, Note, Proctor, Viewer};
use crate::auth;
use crate::error::{render, ErrorCode, WebError};
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

/// A participant as the console shows them: a tile and a row of the list.
struct Row {
    s: ParticipantStatus,
    state_text: &'static str,
    remaining: String,
    online: bool,
    client: String,
    look: SeatLook,
    /// What the tile and the list say: the state, or what needs the proctor's eye.
    label: &'static str,
    /// The seat's number, or empty.
    seat: String,
}

impl Row {
    fn of(t: &Tile, tr: Tr) -> Row {
        let r = &t.row;
        let state_text = tr.t(seat_state_msg(r.status.state));
        Row {
            state_text,
            remaining: r.status.remaining.map(hms).unwrap_or_default(),
            online: r.online,
            client: r.client.clone(),
            look: t.look,
            // What needs the proctor's eye, else where the participant stands.
            label: if t.look.needs_attention() {
                tr.t(look_msg(t.look))
            } else {
                state_text
            },
            seat: t.seat.map(|n| n.to_string()).unwrap_or_default(),
            s: r.status.clone(),
        }
    }

    /// A reserve not yet activated.
    fn activatable(&self) -> bool {
        self.s.reserve && !self.s.reserve_active
    }

    /// The row as `status.json` and the live console send it.
    fn json(&self) -> Value {
        json!({
            "username": self.s.username, "name": self.s.name, "state": self.s.state,
            "state_text": self.state_text, "answered": self.s.answered, "items": self.s.items,
            "doubtful": self.s.doubtful, "remaining_ms": self.s.remaining,
            "remaining": self.remaining, "online": self.online, "client": self.client,
            "resets": self.s.resets, "test": self.s.test, "look": self.look,
            "label": self.label, "seat": self.seat, "attention": self.look.needs_attention(),
        })
    }
}

fn look_msg(l: SeatLook) -> Msg {
    match l {
        SeatLook::NotLoggedIn => Msg::StNotLoggedIn,
        SeatLook::Working => Msg::LkWorking,
        SeatLook::Doubtful => Msg::LkDoubtful,
        SeatLook::Finished => Msg::StFinished,
        SeatLook::NeedsReset => Msg::LkNeedsReset,
        SeatLook::Offline => Msg::Offline,
    }
}

/// A place on the room map: a participant's tile, or a seat nobody sits at.
struct MapCell {
    /// The participant (an index into the rows), or none: an empty seat.
    row: Option<usize>,
    /// An empty seat's number, address, and whether its PC is heard.
    seat: u16,
    ip: String,
    on: bool,
}

/// The map: tiles with a seat and the empty seats in seat order, then the tiles without one
/// (in the order the console gave: by arrival).
fn room_map(rows: &[Row], empty: Vec<(u16, String, bool)>) -> Vec<MapCell> {
    let mut seated: Vec<(u16, MapCell)> = rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let n = r.seat.parse::<u16>().ok()?;
            Some((
                n,
                MapCell {
                    row: Some(i),
                    seat: n,
                    ip: String::new(),
                    on: true,
                },
            ))
        })
        .collect();
    seated.extend(empty.into_iter().map(|(n, ip, on)| {
        (
            n,
            MapCell {
                row: None,
                seat: n,
                ip,
                on,
            },
        )
    }));
    seated.sort_by_key(|(n, c)| (*n, c.row.is_none()));
    let mut map: Vec<MapCell> = seated.into_iter().map(|(_, c)| c).collect();
    map.extend(
        rows.iter()
            .enumerate()
            .filter(|(_, r)| r.seat.is_empty())
            .map(|(i, _)| MapCell {
                row: Some(i),
                seat: 0,
                ip: String::new(),
                on: true,
            }),
    );
    map
}

/// The list's filter and order (`?show=` a look or `attention`, `?sort=`), a GET form that
/// works without a script.
#[derive(Deserialize, Default)]
pub(super) struct ListQuery {
    #[serde(default)]
    show: String,
    #[serde(default)]
    sort: String,
}

impl ListQuery {
    /// The rows to list, filtered and sorted as asked (the tiles keep the seat order).
    fn apply(&self, rows: &[Row]) -> Vec<usize> {
        let mut keep: Vec<usize> = (0..rows.len())
            .filter(|&i| {
                let l = rows[i].look;
                match self.show.as_str() {
                    "" => true,
                    "attention" => l.needs_attention(),
                    name => l.as_str() == name,
                }
            })
            .collect();
        match self.sort.as_str() {
            "name" => keep.sort_by(|&a, &b| rows[a].s.name.cmp(&rows[b].s.name)),
            "username" => keep.sort_by(|&a, &b| rows[a].s.username.cmp(&rows[b].s.username)),
            "state" => keep.sort_by_key(|&i| SeatLook::ALL.iter().position(|l| *l == rows[i].look)),
            "answered" => keep.sort_by_key(|&i| rows[i].s.answered),
            "remaining" => keep.sort_by_key(|&i| rows[i].s.remaining.unwrap_or(u64::MAX)),
            _ => {}
        }
        keep
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
    /// Time left until the open session's end, if it has one.
    ends_in: Option<String>,
    /// Every participant, in tile order.
    rows: Vec<Row>,
    /// The list: indices into `rows`, filtered and sorted as asked.
    listed: Vec<usize>,
    list: ListQuery,
    /// The room map: the tiles and the empty seats in seat order, then the tiles of those
    /// without a known seat.
    map: Vec<MapCell>,
    /// Each look's name and text, for the legend and the list's filter.
    legend: Vec<(&'static str, &'static str)>,
    /// The list's orders: (value, text).
    sorts: Vec<(&'static str, &'static str)>,
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
        // In the school's zone, as the form below asks for the time: the proctor compares it
        // with a wall clock.
        let clock = (a == Attention::ClockNotSet).then(|| {
            let zone = state.room.settings().school.zone;
            zone.format_named(state.room.wall_now_ms() / 1000)
        });
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
    Query(list): Query<ListQuery>,
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
    let Some(session) = auth::proctor(&jar, state.cookie_time())
        .filter(|s| state.room.proctor_login_valid(&s.login))
    else {
        return render(&LoginPage { tr, error });
    };
    let sessions = match state.room.sessions() {
        Ok(all) => all,
        Err(e) => return WebError::for_proctor(e, lang).into_response(),
    };
    let open = sessions.iter().find(|(_, st)| st.open);
    let (token, rotates_in) = open
        .and_then(|(_, st)| state.room.token_now(st))
        .map(|t| (t.token, t.rotates_in.map(hms).unwrap_or_default()))
        .unwrap_or_default();
    let mut error = error;
    let console = match state.room.console().await {
        Ok(c) => c,
        // The page still shows the sessions and the token; the error says why no rows.
        Err(e) => {
            error = Some(WebError::for_proctor(e, lang).message());
            None
        }
    };
    let rows: Vec<Row> = console
        .as_ref()
        .map(|c| c.tiles.iter().map(|t| Row::of(t, tr)).collect())
        .unwrap_or_default();
    let counts = console.as_ref().map(|c| c.counts).unwrap_or_default();
    let ends_in = console.as_ref().and_then(|c| c.ends_in).map(hms);
    let map = room_map(&rows, console.map(|c| c.empty_seats).unwrap_or_default());
    let absent = rows
        .iter()
        .filter(|r| !r.s.reserve && r.s.state == SeatState::NotLoggedIn)
        .map(|r| (r.s.username.clone(), r.s.name.clone()))
        .collect();
    render(&Dashboard {
        tr,
        absent,
        demo_logins: state.room.demo_logins().unwrap_or_default(),
        paused: state
            .room
            .paused_since_wall()
            .map(|at| state.room.settings().school.zone.format_named(at)),
        can_act: session.login.role == ruji_room::proctor::Role::Proctor,
        csrf: session.csrf,
        error,
        ok,
        title: state.room.package().title.clone(),
        open: open.map(SessionRow::of),
        sessions: day_order(
            sessions
                .iter()
                .map(|s| SessionRow::of(s).with_gate(&state.room))
                .collect(),
        ),
        token,
        rotates_in,
        ends_in,
        listed: list.apply(&rows),
        list,
        rows,
        map,
        legend: SeatLook::ALL
            .iter()
            .map(|&l| (l.as_str(), tr.t(look_msg(l))))
            .collect(),
        sorts: vec![
            ("", tr.t(Msg::ListSeatOrder)),
            ("state", tr.t(Msg::Status)),
            ("username", tr.t(Msg::Username)),
            ("name", tr.t(Msg::Name)),
            ("answered", tr.t(Msg::Progress)),
            ("remaining", tr.t(Msg::TimeLeft)),
        ],
        counts,
        board: board_notes(&state, tr).await,
    })
}

/// The console as `status.json` and the live console send it: the session, its token, every
/// participant in tile order, the counts, the pause and the board's attention reasons.
fn console_json(console: Option<&Console>, attention: &[Attention], tr: Tr) -> Value {
    let attention: Vec<&str> = attention.iter().map(|a| a.name()).collect();
    let Some(c) = console else {
        return json!({"session": null, "attention": attention});
    };
    let rows: Vec<Row> = c.tiles.iter().map(|t| Row::of(t, tr)).collect();
    let map: Vec<Value> = room_map(&rows, c.empty_seats.clone())
        .into_iter()
        .map(|m| match m.row {
            Some(i) => json!({"row": i}),
            None => json!({"seat": m.seat, "ip": m.ip, "on": m.on}),
        })
        .collect();
    let rows: Vec<Value> = rows.iter().map(Row::json).collect();
    let token = c
        .token
        .as_ref()
        .map(|t| json!({"token": t.token, "rotates_in_ms": t.rotates_in}));
    json!({
        "session": {"id": c.session.0, "name": c.session.1}, "token": token, "rows": rows,
        "map": map, "counts": [c.counts.0, c.counts.1, c.counts.2],
        "paused": c.paused_since.is_some(), "ends_in": c.ends_in.map(hms),
        "attention": attention,
    })
}

/// `GET /proctor/status.json`: the console once (the page polls it where a browser cannot
/// follow `/proctor/live`).
pub(super) async fn status_json(
    State(state): State<AppState>,
    p: Viewer,
) -> Result<Json<Value>, WebError> {
    let console = state.room.console().await.map_err(|e| p.fail(e))?;
    Ok(Json(console_json(
        console.as_ref(),
        &state.room.attention(),
        Tr { lang: p.lang },
    )))
}

/// `GET /proctor/live`: the console pushed as server-sent events, one `console` event (the
/// `status.json` body) each time it changes; a comment every 15 s keeps idle links open. The
/// stream ends when the board shuts down or the login stops being valid (a logout, a new
/// password); more than [`ruji_room::console::MAX_LIVE`] followers, or more than
/// [`ruji_room::console::MAX_LIVE_PER_CLIENT`] from one address, are answered 503 and their
/// pages poll `status.json`.
pub(super) async fn live(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    p: Viewer,
) -> Response {
    let follow = match state.room.live(&addr.ip().to_canonical().to_string()) {
        Ok(f) => f,
        Err(RoomError::Busy) => {
            return WebError::new(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::LiveBusy, p.lang)
                .into_response()
        }
        Err(e) => return p.fail(e).into_response(),
    };
    let tr = Tr { lang: p.lang };
    let login = p.session.login.clone();
    let events = futures_util::stream::unfold(
        (follow, state, login),
        move |(mut follow, state, login)| async move {
            let snap = follow.next().await?;
            if !state.room.proctor_login_valid(&login) {
                return None;
            }
            let data = console_json(snap.console.as_deref(), &snap.attention, tr).to_string();
            let event = Event::default().event("console").data(data);
            Some((Ok::<_, Infallible>(event), (follow, state, login)))
        },
    );
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
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
