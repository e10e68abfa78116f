//! The proctor side under `/proctor`: first-run password setup guarded by a one-time code,
//! login, the live dashboard (`status.json` polled by the page), and the actions: open/close a
//! session, rotate the token, reset a login, force finish (with a reason for the audit log),
//! activate a reserve; the session's results and the audit log.
//!
//! Every POST carries the CSRF token bound to the proctor's signed cookie; the cookie is
//! `SameSite=Strict` and `HttpOnly`.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use axum_extra::extract::cookie::{Key, SameSite, SignedCookieJar};
use axum_extra::extract::Form;
use ruji_store::room::{ParticipantStatus, Refusal};
use ruji_store::tables::{ProctorAccount, KEY_PROCTOR};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::{self, ProctorSession};
use crate::error::{html_error, message, render, WebError};
use crate::i18n::{Lang, Tr};
use crate::participant::hms;
use crate::{new_token, AppState};

/// Routes under `/proctor`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/setup", post(setup))
        .route("/claim/{id}", get(claim))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/status.json", get(status_json))
        .route("/token", get(token_page))
        .route("/sessions/{id}/open", post(open_session))
        .route("/sessions/{id}/close", post(close_session))
        .route("/token/rotate", post(rotate_token))
        .route("/participants/{u}/reset", post(reset_login))
        .route("/participants/{u}/finish", post(force_finish))
        .route("/participants/{u}/activate", post(activate))
        .route("/results/{id}", get(results))
        .route("/audit", get(audit))
        .route("/network", get(network))
        .route("/network.json", get(network_json))
        .route("/network/rescan", post(rescan))
        .nest("/package", crate::package::routes())
}

fn account(state: &AppState) -> Option<ProctorAccount> {
    state
        .store
        .meta::<ProctorAccount>(KEY_PROCTOR)
        .ok()
        .flatten()
}

/// A request from the logged-in proctor.
pub struct Proctor {
    pub(crate) session: ProctorSession,
    pub(crate) lang: Lang,
}

/// Rejection for proctor routes without a valid proctor login.
pub struct NotProctor {
    json: bool,
    lang: Lang,
}

impl IntoResponse for NotProctor {
    fn into_response(self) -> Response {
        if self.json {
            WebError::new(StatusCode::UNAUTHORIZED, "forbidden", self.lang).into_response()
        } else {
            Redirect::to("/proctor").into_response()
        }
    }
}

impl FromRequestParts<AppState> for Proctor {
    type Rejection = NotProctor;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, NotProctor> {
        let lang = Lang::from_headers(&parts.headers);
        let path = crate::participant::original_path(parts);
        let json = path.ends_with(".json") || path.contains("/results/");
        let jar = SignedCookieJar::<Key>::from_headers(&parts.headers, state.key.clone());
        let acct = account(state).ok_or(NotProctor { json, lang })?;
        let session = auth::proctor(&jar, acct.generation).ok_or(NotProctor { json, lang })?;
        Ok(Proctor { session, lang })
    }
}

#[derive(Deserialize, Default)]
struct Msg {
    #[serde(default)]
    e: Option<String>,
    #[serde(default)]
    ok: Option<String>,
}

fn note(m: &Msg, lang: Lang) -> (Option<&'static str>, Option<&'static str>) {
    let clean = |s: &Option<String>| {
        s.as_deref()
            .filter(|c| c.len() < 40 && c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
            .map(|c| c.to_string())
    };
    (
        clean(&m.e).map(|c| message(&c, lang)),
        m.ok.as_ref().map(|_| Tr { lang }.s("done_ok")),
    )
}

#[derive(Template)]
#[template(path = "proctor_setup.html")]
struct SetupPage {
    tr: Tr,
    error: Option<&'static str>,
    button: bool,
}

#[derive(Template)]
#[template(path = "proctor_login.html")]
struct LoginPage {
    tr: Tr,
    error: Option<&'static str>,
}

struct SessionRow {
    id: String,
    name: String,
    day: String,
    start: String,
    open: bool,
}

struct Row {
    s: ParticipantStatus,
    state_text: &'static str,
    remaining: String,
    online: bool,
    client: String,
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
}

/// The board's notices on the dashboard: ruji.toml errors, the recovery's LAN reset, the
/// settings in force and the attention reasons.
struct BoardNotes {
    cfg_path: String,
    cfg_error: Option<crate::board::SettingsError>,
    cfg_last_good: bool,
    lan_defaults: bool,
    settings: Vec<(&'static str, String)>,
    attention: Vec<crate::board::AttentionRow>,
    attention_names: String,
}

fn board_notes(state: &AppState, tr: Tr) -> BoardNotes {
    let n = state.settings_notice();
    let settings = n
        .in_force
        .as_ref()
        .map(|f| {
            let minutes = |m: u64| format!("{m} {}", tr.s("minutes"));
            vec![
                (tr.s("lan_address"), f.lan_address.clone()),
                (tr.s("lan_seats"), f.seats.clone()),
                (
                    tr.s("set_language"),
                    match f.language {
                        Some(Lang::Id) => "Bahasa Indonesia".to_string(),
                        Some(Lang::En) => "English".to_string(),
                        None => tr.s("set_lang_auto").to_string(),
                    },
                ),
                (
                    tr.s("set_token_rotation"),
                    f.token_rotate_minutes
                        .map(minutes)
                        .unwrap_or_else(|| tr.s("set_token_never").to_string()),
                ),
                (tr.s("set_token_grace"), minutes(f.token_grace_minutes)),
                (
                    tr.s("set_count_downtime"),
                    tr.s(if f.count_downtime { "yes" } else { "no" })
                        .to_string(),
                ),
            ]
        })
        .unwrap_or_default();
    let attention = state.attention_rows(tr);
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

fn state_key(s: &str) -> &'static str {
    match s {
        "logged_in" => "st_logged_in",
        "practice" => "st_practice",
        "in_progress" => "st_in_progress",
        "finished" => "st_finished",
        _ => "st_not_logged_in",
    }
}

async fn home(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: SignedCookieJar,
    Query(m): Query<Msg>,
) -> Response {
    let lang = Lang::from_headers(&headers);
    let tr = Tr { lang };
    let (error, ok) = note(&m, lang);
    let Some(acct) = account(&state) else {
        return render(&SetupPage {
            tr,
            error,
            button: state.settings.button,
        });
    };
    let Some(session) = auth::proctor(&jar, acct.generation) else {
        return render(&LoginPage { tr, error });
    };
    let sessions = match state.store.sessions() {
        Ok(s) => s,
        Err(e) => return WebError::storage(&e, lang).into_response(),
    };
    let rows_of = |(s, st): &(
        ruji_core::package::Session,
        ruji_store::tables::SessionState,
    )| SessionRow {
        id: s.id.clone(),
        name: s.name.clone(),
        day: s.day.clone(),
        start: s.start.clone(),
        open: st.open,
    };
    let open = sessions.iter().find(|(_, st)| st.open);
    let now = state.store.now();
    let (token, rotates_in) = open
        .and_then(|(_, st)| st.token.as_ref())
        .map(|t| {
            (
                t.current.as_str().to_string(),
                t.next_rotation_in(&state.settings.token_policy, now)
                    .map(hms)
                    .unwrap_or_default(),
            )
        })
        .unwrap_or_default();
    let rows: Vec<Row> = match open {
        Some((s, _)) => match state.store.status(&s.id) {
            Ok(Ok(rows)) => rows.into_iter().map(|r| row(&state, r, tr)).collect(),
            _ => vec![],
        },
        None => vec![],
    };
    let counts = (
        rows.iter().filter(|r| r.s.state == "not_logged_in").count(),
        rows.iter()
            .filter(|r| matches!(r.s.state, "logged_in" | "practice" | "in_progress"))
            .count(),
        rows.iter().filter(|r| r.s.state == "finished").count(),
    );
    render(&Dashboard {
        tr,
        csrf: session.csrf,
        error,
        ok,
        title: state.store.package().title.clone(),
        open: open.map(rows_of),
        sessions: sessions.iter().map(rows_of).collect(),
        token,
        rotates_in,
        rows,
        counts,
        board: board_notes(&state, tr),
    })
}

fn row(state: &AppState, s: ParticipantStatus, tr: Tr) -> Row {
    let online = state.presence.online(&s.username);
    Row {
        state_text: tr.s(state_key(s.state)),
        remaining: s.remaining.map(hms).unwrap_or_default(),
        online: online.is_some() && s.client.is_some(),
        client: s.client.clone().or(online).unwrap_or_default(),
        s,
    }
}

/// Is `key` locked out after too many wrong codes or passwords.
fn throttled(state: &AppState, key: &str, now: u64) -> bool {
    let t = state.throttle.lock().expect("not poisoned");
    t.check(key, now).is_err()
}

#[derive(Deserialize)]
struct SetupForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password2: String,
}

async fn setup(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    jar: SignedCookieJar,
    Form(f): Form<SetupForm>,
) -> Response {
    if account(&state).is_some() {
        return Redirect::to("/proctor?e=already_setup").into_response();
    }
    let now = state.store.now();
    let key = format!("setup:{}", addr.ip());
    if throttled(&state, &key, now) {
        return Redirect::to("/proctor?e=throttled").into_response();
    }
    if f.password.chars().count() < 8 {
        return Redirect::to("/proctor?e=password_short").into_response();
    }
    if f.password != f.password2 {
        return Redirect::to("/proctor?e=password_repeat").into_response();
    }
    if f.code.trim().is_empty() && state.settings.button {
        // Physical presence instead of the code: the press on the board completes it.
        let id = format!("{:032x}", rand::random::<u128>());
        let pending = crate::Pending {
            id: id.clone(),
            action: crate::PendingAction::ClaimProctor {
                password_hash: state.hash(f.password).await,
            },
            expires: now + crate::CONFIRM_WINDOW,
            done: false,
        };
        *state.pending.lock().expect("not poisoned") = Some(pending);
        tracing::info!(client = %addr.ip(), "proctor claim waits for the board's button");
        return Redirect::to(&format!("/proctor/claim/{id}")).into_response();
    }
    let expected = state.setup_code.lock().expect("not poisoned").clone();
    let code_ok = expected.as_deref().is_some_and(|c| {
        let typed: String = f
            .code
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        let want: String = c.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
        !want.is_empty() && typed.eq_ignore_ascii_case(&want)
    });
    if !code_ok {
        state.throttle.lock().expect("not poisoned").fail(&key, now);
        tracing::warn!(client = %addr.ip(), "wrong proctor setup code");
        return Redirect::to("/proctor?e=setup_code").into_response();
    }
    let hash = state.hash(f.password).await;
    let generation = match state.create_proctor(hash).await {
        Ok(g) => g,
        Err(e) => return WebError::storage(&e, Lang::Id).into_response(),
    };
    tracing::info!(client = %addr.ip(), "proctor password created");
    let (value, _) = auth::proctor_value(generation);
    (
        jar.add(state.cookie(auth::PROCTOR_COOKIE, value, SameSite::Strict)),
        Redirect::to("/proctor"),
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "proctor_claim.html")]
struct ClaimPage {
    tr: Tr,
    seconds: u64,
}

/// The page that waits for the button after a claim without code.
async fn claim(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: SignedCookieJar,
    Path(id): Path<String>,
) -> Response {
    let lang = Lang::from_headers(&headers);
    let now = state.store.now();
    let pending = state.pending.lock().expect("not poisoned").clone();
    let Some(p) = pending.filter(|p| p.id == id) else {
        return Redirect::to("/proctor").into_response();
    };
    if p.done {
        *state.pending.lock().expect("not poisoned") = None;
        let Some(acct) = account(&state) else {
            return Redirect::to("/proctor").into_response();
        };
        let (value, _) = auth::proctor_value(acct.generation);
        return (
            jar.add(state.cookie(auth::PROCTOR_COOKIE, value, SameSite::Strict)),
            Redirect::to("/proctor"),
        )
            .into_response();
    }
    if p.expires <= now {
        return Redirect::to("/proctor?e=confirm_expired").into_response();
    }
    render(&ClaimPage {
        tr: Tr { lang },
        seconds: (p.expires - now).div_ceil(1000),
    })
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    password: String,
}

async fn login(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    jar: SignedCookieJar,
    Form(f): Form<LoginForm>,
) -> Response {
    let Some(acct) = account(&state) else {
        return Redirect::to("/proctor").into_response();
    };
    let now = state.store.now();
    let key = format!("proctor:{}", addr.ip());
    if throttled(&state, &key, now) {
        return Redirect::to("/proctor?e=throttled").into_response();
    }
    if !state.verify(Some(acct.password_hash), f.password).await {
        state.throttle.lock().expect("not poisoned").fail(&key, now);
        tracing::warn!(client = %addr.ip(), "wrong proctor password");
        return Redirect::to("/proctor?e=proctor_password").into_response();
    }
    state.throttle.lock().expect("not poisoned").succeed(&key);
    let (value, _) = auth::proctor_value(acct.generation);
    (
        jar.add(state.cookie(auth::PROCTOR_COOKIE, value, SameSite::Strict)),
        Redirect::to("/proctor"),
    )
        .into_response()
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

fn csrf_failed(p: &Proctor) -> Response {
    html_error(StatusCode::FORBIDDEN, "csrf", p.lang, "/proctor")
}

async fn logout(
    State(state): State<AppState>,
    p: Proctor,
    jar: SignedCookieJar,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !auth::csrf_ok(&p.session, &f.csrf) {
        return csrf_failed(&p);
    }
    (
        jar.remove(state.cookie(auth::PROCTOR_COOKIE, String::new(), SameSite::Strict)),
        Redirect::to("/proctor"),
    )
        .into_response()
}

fn after(r: ruji_store::Result<Result<impl Sized, Refusal>>, lang: Lang) -> Response {
    match r {
        Ok(Ok(_)) => Redirect::to("/proctor?ok=1").into_response(),
        Ok(Err(r)) => Redirect::to(&format!("/proctor?e={}", WebError::refusal(&r, lang).code))
            .into_response(),
        Err(e) => WebError::storage(&e, lang).into_response(),
    }
}

async fn open_session(
    State(state): State<AppState>,
    p: Proctor,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !auth::csrf_ok(&p.session, &f.csrf) {
        return csrf_failed(&p);
    }
    after(state.store.open_session(&id, new_token()).await, p.lang)
}

async fn close_session(
    State(state): State<AppState>,
    p: Proctor,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !auth::csrf_ok(&p.session, &f.csrf) {
        return csrf_failed(&p);
    }
    after(state.store.close_session(&id).await, p.lang)
}

async fn rotate_token(
    State(state): State<AppState>,
    p: Proctor,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !auth::csrf_ok(&p.session, &f.csrf) {
        return csrf_failed(&p);
    }
    after(
        state.store.rotate_token(new_token(), "proctor").await,
        p.lang,
    )
}

async fn reset_login(
    State(state): State<AppState>,
    p: Proctor,
    Path(u): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !auth::csrf_ok(&p.session, &f.csrf) {
        return csrf_failed(&p);
    }
    state.presence.forget(&u);
    after(state.store.reset_login(&u).await, p.lang)
}

async fn force_finish(
    State(state): State<AppState>,
    p: Proctor,
    Path(u): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !auth::csrf_ok(&p.session, &f.csrf) {
        return csrf_failed(&p);
    }
    let reason = f.reason.trim();
    if reason.is_empty() || reason.len() > 500 {
        return Redirect::to("/proctor?e=reason_required").into_response();
    }
    after(state.store.force_finish(&u, reason).await, p.lang)
}

async fn activate(
    State(state): State<AppState>,
    p: Proctor,
    Path(u): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !auth::csrf_ok(&p.session, &f.csrf) {
        return csrf_failed(&p);
    }
    after(state.store.activate_reserve(&u).await, p.lang)
}

/// The dashboard's live data.
async fn status_json(State(state): State<AppState>, p: Proctor) -> Result<Json<Value>, WebError> {
    let tr = Tr { lang: p.lang };
    let sessions = state
        .store
        .sessions()
        .map_err(|e| WebError::storage(&e, p.lang))?;
    let attention: Vec<&str> = state.attention().iter().map(|a| a.name()).collect();
    let Some((s, st)) = sessions.into_iter().find(|(_, st)| st.open) else {
        return Ok(Json(json!({"session": null, "attention": attention})));
    };
    let now = state.store.now();
    let rows = match state.store.status(&s.id) {
        Ok(Ok(r)) => r,
        Ok(Err(r)) => return Err(WebError::refusal(&r, p.lang)),
        Err(e) => return Err(WebError::storage(&e, p.lang)),
    };
    let rows: Vec<Value> = rows
        .into_iter()
        .map(|r| {
            let r = row(&state, r, tr);
            json!({
                "username": r.s.username, "name": r.s.name, "state": r.s.state,
                "state_text": r.state_text, "answered": r.s.answered, "items": r.s.items,
                "remaining_ms": r.s.remaining, "remaining": r.remaining, "online": r.online,
                "client": r.client, "resets": r.s.resets, "test": r.s.test,
            })
        })
        .collect();
    let token = st.token.as_ref().map(|t| {
        json!({
            "token": t.current.as_str(),
            "rotates_in_ms": t.next_rotation_in(&state.settings.token_policy, now),
        })
    });
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

async fn token_page(State(state): State<AppState>, p: Proctor) -> Response {
    let open = state
        .store
        .sessions()
        .ok()
        .and_then(|s| s.into_iter().find(|(_, st)| st.open));
    let (token, session) = open
        .map(|(s, st)| {
            (
                st.token
                    .map(|t| t.current.as_str().to_string())
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

async fn results(
    State(state): State<AppState>,
    p: Proctor,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = id.trim_end_matches(".json").to_string();
    let results = match state.store.results(&id) {
        Ok(Ok(r)) => r,
        Ok(Err(r)) => return Err(WebError::refusal(&r, p.lang)),
        Err(e) => return Err(WebError::storage(&e, p.lang)),
    };
    let pkg = state.store.package();
    let body = json!({
        "format": "ruji-results", "version": 1,
        "package": pkg.id, "session": id,
        "exam_clock_ms": state.store.now(),
        "attempts": results,
    });
    // The proctor has the results now: this session no longer needs a backup (until it is
    // closed again after more answers).
    match state.store.mark_results_exported(&id).await {
        Ok(Ok(())) => tracing::info!(session = %id, "results exported"),
        Ok(Err(r)) => tracing::warn!(session = %id, ?r, "results export not recorded"),
        Err(e) => tracing::warn!(session = %id, error = %e, "results export not recorded"),
    }
    let disposition = format!("attachment; filename=\"hasil-{}-{}.json\"", pkg.id, id)
        .replace(|c: char| !c.is_ascii() || c == '\n', "_");
    Ok(([(header::CONTENT_DISPOSITION, disposition)], Json(body)).into_response())
}

struct AuditRow {
    seq: u64,
    at: String,
    actor: String,
    action: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "proctor_audit.html")]
struct AuditPage {
    tr: Tr,
    rows: Vec<AuditRow>,
}

async fn audit(State(state): State<AppState>, p: Proctor) -> Result<Response, WebError> {
    let entries = state
        .store
        .reader()
        .and_then(|r| r.audit_tail(300))
        .map_err(|e| WebError::storage(&e, p.lang))?;
    let rows = entries
        .into_iter()
        .map(|e| AuditRow {
            seq: e.seq,
            at: hms(e.at),
            actor: e.actor,
            action: e.action,
            detail: e.detail,
        })
        .collect();
    Ok(render(&AuditPage {
        tr: Tr { lang: p.lang },
        rows,
    }))
}

struct SeatRow {
    n: usize,
    ip: String,
    online: bool,
    mac: String,
    rtt: String,
    last_seen: String,
    who: String,
}

#[derive(Template)]
#[template(path = "proctor_network.html")]
struct NetworkPage {
    tr: Tr,
    csrf: String,
    ok: Option<&'static str>,
    running: bool,
    claim: &'static str,
    address: String,
    link_up: bool,
    seats: Vec<SeatRow>,
    findings: Vec<String>,
}

/// The "Jaringan" page: the seats the board sees on the LAN and the LAN doctor's findings.
async fn network(State(state): State<AppState>, p: Proctor, Query(m): Query<Msg>) -> Response {
    let tr = Tr { lang: p.lang };
    let status = state.settings.lan.as_ref().and_then(|h| h.status());
    // Who is logged in from which address (the participant's login records the client).
    let by_ip: std::collections::HashMap<String, String> = state
        .store
        .sessions()
        .ok()
        .and_then(|s| s.into_iter().find(|(_, st)| st.open))
        .and_then(|(s, _)| state.store.status(&s.id).ok()?.ok())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|r| r.client.map(|c| (c, format!("{} {}", r.username, r.name))))
        .collect();
    let mut page = NetworkPage {
        tr,
        csrf: p.session.csrf.clone(),
        ok: m.ok.as_ref().map(|_| tr.s("done_ok")),
        running: state.settings.lan.is_some(),
        claim: "",
        address: String::new(),
        link_up: false,
        seats: vec![],
        findings: vec![],
    };
    if let Some(st) = status {
        let r = &st.report;
        page.claim = match st.claim {
            "bound" => tr.s("lan_bound"),
            "refused" | "lost" => tr.s("lan_conflict"),
            _ => tr.s("lan_probing"),
        };
        page.address = r.address.to_string();
        page.link_up = r.link_up;
        page.seats = r
            .seats
            .iter()
            .enumerate()
            .map(|(i, s)| SeatRow {
                n: i + 1,
                ip: s.ip.to_string(),
                online: s.online,
                mac: s.mac.map(|m| m.to_string()).unwrap_or_default(),
                rtt: s.rtt_ms.map(|v| format!("{v:.1} ms")).unwrap_or_default(),
                last_seen: s.last_seen_s.map(|v| format!("{v} s")).unwrap_or_default(),
                who: by_ip.get(&s.ip.to_string()).cloned().unwrap_or_default(),
            })
            .collect();
        page.findings = r
            .findings
            .iter()
            .map(|f| match p.lang {
                Lang::Id => f.message_id(),
                Lang::En => f.message_en(),
            })
            .collect();
    }
    render(&page)
}

/// The LAN service's status as JSON (the `ruji lan-check` shape plus `claim`); `null` when the
/// service does not run.
async fn network_json(State(state): State<AppState>, _p: Proctor) -> Json<Value> {
    let status = state.settings.lan.as_ref().and_then(|h| h.status());
    Json(serde_json::to_value(status).unwrap_or(Value::Null))
}

/// "Cek semua": scan every seat now.
async fn rescan(State(state): State<AppState>, p: Proctor, Form(f): Form<CsrfForm>) -> Response {
    if !auth::csrf_ok(&p.session, &f.csrf) {
        return csrf_failed(&p);
    }
    if let Some(h) = &state.settings.lan {
        h.rescan();
    }
    Redirect::to("/proctor/network?ok=1").into_response()
}
