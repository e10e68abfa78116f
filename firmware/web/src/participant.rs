//! The participant side: the flow functions shared with [`crate::api`], and the HTML pages.
//!
//! Pages are plain forms that work with JavaScript off; every POST redirects (303) to the next
//! page, and a refusal comes back as `?e=CODE`, shown in the user's language.
//! Login → `/confirm` (identity + token) → `/exam/N` (practice items first where the test has
//! them) → `/finish` (summary + confirmation) → `/done` → back to `/`.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::cookie::{Cookie, SameSite, SignedCookieJar};
use axum_extra::extract::Form;
use ruji_core::attempt::{FinishReason, Phase};
use ruji_core::package::{ItemView, Package, Sex, ViewBody};
use ruji_core::response::Response as Answer;
use ruji_core::shuffle;
use ruji_store::room::{Context, Refusal, Saved};
use serde::Deserialize;

use crate::auth;
use crate::error::{html_error, message, render, WebError};
use crate::i18n::{Lang, Tr};
use crate::AppState;

/// HTML routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", post(login_form))
        .route("/confirm", get(confirm_page).post(confirm_form))
        .route("/exam/{n}", get(item_page).post(item_form))
        .route("/finish", get(finish_page).post(finish_form))
        .route("/done", get(done_page))
        .route("/logout", post(logout_form))
        .route("/lang/{code}", get(set_lang))
        .route("/fs/{size}", get(set_font))
}

// ---------------------------------------------------------------------------------------------
// The logged-in participant.

/// A request from a logged-in participant (valid signed cookie). Touches their presence.
pub struct LoggedIn {
    /// Username.
    pub username: String,
    /// Login id from the cookie.
    pub login_id: u64,
    /// UI language.
    pub lang: Lang,
    /// The cookie jar (to clear the cookie on logout).
    pub jar: SignedCookieJar,
    /// Client address.
    pub client: String,
}

/// Rejection when there is no valid participant cookie.
pub struct NotLoggedIn {
    api: bool,
    lang: Lang,
}

impl IntoResponse for NotLoggedIn {
    fn into_response(self) -> Response {
        if self.api {
            WebError::new(StatusCode::UNAUTHORIZED, "not_logged_in", self.lang).into_response()
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
        let jar = SignedCookieJar::<axum_extra::extract::cookie::Key>::from_headers(
            &parts.headers,
            state.key.clone(),
        );
        let Some((username, login_id)) = auth::participant(&jar) else {
            return Err(NotLoggedIn { api, lang });
        };
        let client = client_addr(parts);
        state.presence.touch(&username, &client);
        Ok(LoggedIn {
            username,
            login_id,
            lang,
            jar,
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

// ---------------------------------------------------------------------------------------------
// Flow functions shared with the JSON API.

fn refused(r: Refusal, lang: Lang) -> WebError {
    WebError::refusal(&r, lang)
}

/// Checks the password (throttled) and records the login; returns the jar with the cookie.
pub async fn login(
    state: &AppState,
    jar: SignedCookieJar,
    username: &str,
    password: &str,
    addr: SocketAddr,
    lang: Lang,
) -> Result<(SignedCookieJar, LoggedIn), WebError> {
    let username = username.trim();
    if username.is_empty() || username.len() > 64 || password.len() > 256 {
        return Err(WebError::new(
            StatusCode::UNAUTHORIZED,
            "wrong_password",
            lang,
        ));
    }
    let client = addr.ip().to_string();
    let (ukey, ikey) = (format!("u:{username}"), format!("ip:{client}"));
    let now = state.store.now();
    {
        let t = state.throttle.lock().expect("not poisoned");
        if let Err(ms) = t.check(&ukey, now).and(t.check(&ikey, now)) {
            return Err(
                WebError::new(StatusCode::TOO_MANY_REQUESTS, "throttled", lang)
                    .with(serde_json::json!({"retry_after_s": ms.div_ceil(1000)})),
            );
        }
    }
    let hash = state
        .store
        .password_hash(username)
        .map_err(|e| WebError::storage(&e, lang))?;
    if !state.verify(hash, password.to_string()).await {
        let mut t = state.throttle.lock().expect("not poisoned");
        t.fail(&ukey, now);
        t.fail(&ikey, now);
        tracing::info!(username, client, "wrong password");
        return Err(WebError::new(
            StatusCode::UNAUTHORIZED,
            "wrong_password",
            lang,
        ));
    }
    {
        let mut t = state.throttle.lock().expect("not poisoned");
        t.succeed(&ukey);
        // A room's PC is shared all day: one participant's typos must not lock the next one out.
        t.succeed(&ikey);
    }
    let login_id = rand::random::<u64>() | 1;
    match state.store.login(username, &client, login_id).await {
        Ok(Ok(())) => {}
        Ok(Err(r)) => return Err(refused(r, lang)),
        Err(e) => return Err(WebError::storage(&e, lang)),
    }
    tracing::info!(username, client, "participant logged in");
    state.presence.touch(username, &client);
    let jar = jar.add(state.cookie(
        auth::PARTICIPANT_COOKIE,
        auth::participant_value(username, login_id),
        SameSite::Lax,
    ));
    let who = LoggedIn {
        username: username.to_string(),
        login_id,
        lang,
        jar: jar.clone(),
        client,
    };
    Ok((jar, who))
}

/// The participant's context, with their login checked.
pub fn context(state: &AppState, who: &LoggedIn, lang: Lang) -> Result<Context, WebError> {
    match state.store.context(&who.username, Some(who.login_id)) {
        Ok(Ok(c)) => Ok(c),
        Ok(Err(r)) => Err(refused(r, lang)),
        Err(e) => Err(WebError::storage(&e, lang)),
    }
}

/// Refuses unless the participant is in practice or in the test under this login.
pub fn require_open(ctx: &Context, lang: Lang) -> Result<(), WebError> {
    if ctx.needs_token() {
        return Err(WebError::refusal(&Refusal::TokenRequired, lang));
    }
    match ctx.attempt.as_ref().map(|a| &a.phase) {
        Some(Phase::Practice | Phase::InProgress) => Ok(()),
        Some(Phase::NotStarted) => Err(WebError::new(StatusCode::CONFLICT, "not_started", lang)),
        _ => Err(WebError::new(StatusCode::CONFLICT, "all_done", lang)),
    }
}

fn store_result<T>(
    r: ruji_store::Result<Result<T, Refusal>>,
    state: &AppState,
    lang: Lang,
) -> Result<T, WebError> {
    if state.is_shutting_down() {
        // The write may have landed; the client is told to stop, and the store stays truthful.
        if let Ok(Ok(v)) = r {
            return Ok(v);
        }
        return Err(WebError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            lang,
        ));
    }
    match r {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(r)) => Err(refused(r, lang)),
        Err(e) => Err(WebError::storage(&e, lang)),
    }
}

/// Identity check + token.
pub async fn start(
    state: &AppState,
    who: &LoggedIn,
    name: &str,
    dob: &str,
    token: &str,
) -> Result<(), WebError> {
    let r = state
        .store
        .start(
            &who.username,
            who.login_id,
            name,
            dob,
            token,
            state.settings.token_policy,
        )
        .await;
    store_result(r, state, who.lang)
}

/// Leaves practice.
pub async fn end_practice(state: &AppState, who: &LoggedIn) -> Result<(), WebError> {
    let r = state.store.end_practice(&who.username, who.login_id).await;
    store_result(r, state, who.lang)
}

/// Saves an answer; returns once it is durable.
pub async fn save(
    state: &AppState,
    who: &LoggedIn,
    item_id: &str,
    response: Option<Answer>,
    doubtful: bool,
    rev: u64,
) -> Result<Saved, WebError> {
    if state.is_shutting_down() {
        return Err(WebError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            who.lang,
        ));
    }
    let r = state
        .store
        .save_answer(
            &who.username,
            who.login_id,
            item_id,
            response,
            doubtful,
            rev,
        )
        .await;
    store_result(r, state, who.lang)
}

/// Finishes the current test.
pub async fn finish(state: &AppState, who: &LoggedIn, confirmed: bool) -> Result<(), WebError> {
    let r = state
        .store
        .finish(&who.username, who.login_id, confirmed)
        .await;
    store_result(r, state, who.lang)?;
    state.presence.forget(&who.username);
    Ok(())
}

/// Logs out.
pub async fn logout(state: &AppState, who: &LoggedIn) -> Result<(), WebError> {
    state
        .store
        .logout(&who.username, who.login_id)
        .await
        .map_err(|e| WebError::storage(&e, who.lang))?;
    state.presence.forget(&who.username);
    Ok(())
}

/// The jar without the participant cookie.
pub fn clear_cookie(state: &AppState, jar: SignedCookieJar) -> SignedCookieJar {
    jar.remove(state.cookie(auth::PARTICIPANT_COOKIE, String::new(), SameSite::Lax))
}

/// The items of the current phase in this participant's order.
pub fn ordered_items(ctx: &Context) -> Vec<String> {
    let items = ctx.current_items();
    let practice = ctx
        .attempt
        .as_ref()
        .is_some_and(|a| a.phase == Phase::Practice);
    match &ctx.test {
        Some(t) if t.rules.shuffle_items && !practice => {
            let seed = shuffle::seed(&[&ctx.participant.username, &t.id, "items"]);
            shuffle::permutation(items.len(), seed)
                .into_iter()
                .map(|i| items[i].clone())
                .collect()
        }
        _ => items,
    }
}

/// The client view of an item, options in this participant's order.
pub fn item_view(ctx: &Context, pkg: &Package, item_id: &str) -> ItemView {
    let item = pkg
        .item(item_id)
        .expect("current items exist (validated package)");
    let seed = ctx
        .test
        .as_ref()
        .filter(|t| t.rules.shuffle_options)
        .map(|t| shuffle::seed(&[&ctx.participant.username, &t.id, item_id]));
    item.view(seed)
}

/// `r=` of the thank-you page for a test that ended during this login.
pub fn ended_reason(ctx: &Context) -> Option<&'static str> {
    ctx.ended_during_login().map(|r| match r {
        FinishReason::TimeOut => "timeout",
        FinishReason::Proctor(_) => "proctor",
        FinishReason::Participant => "finished",
    })
}

/// Where a participant should be now.
fn next_url(ctx: &Context) -> &'static str {
    match ended_reason(ctx) {
        Some("timeout") => return "/done?r=timeout",
        Some("proctor") => return "/done?r=proctor",
        Some(_) => return "/done?r=finished",
        None => {}
    }
    if ctx.needs_token() {
        return "/confirm";
    }
    match ctx.attempt.as_ref().map(|a| &a.phase) {
        None => "/done",
        Some(Phase::NotStarted) => "/confirm",
        Some(Phase::Practice | Phase::InProgress) => "/exam/1",
        Some(Phase::Finished { .. }) => "/done",
    }
}

fn back_with_error(path: &str, e: &WebError) -> Response {
    let sep = if path.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{path}{sep}e={}", e.code)).into_response()
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
}

fn error_text(q: &ErrQuery, lang: Lang) -> Option<&'static str> {
    q.e.as_deref()
        .filter(|c| c.len() < 40 && c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
        .map(|c| message(c, lang))
}

fn font_class(headers: &HeaderMap) -> &'static str {
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

// ---------------------------------------------------------------------------------------------
// Pages.

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    tr: Tr,
    error: Option<&'a str>,
    title: &'a str,
}

async fn home(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: SignedCookieJar,
    Query(q): Query<ErrQuery>,
) -> Response {
    let lang = Lang::from_headers(&headers);
    if q.e.is_none() {
        if let Some((u, id)) = auth::participant(&jar) {
            if let Ok(Ok(ctx)) = state.store.context(&u, Some(id)) {
                return Redirect::to(next_url(&ctx)).into_response();
            }
        }
    }
    let title = state.store.package().title.clone();
    render(&LoginPage {
        tr: Tr { lang },
        error: error_text(&q, lang),
        title: &title,
    })
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

async fn login_form(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    jar: SignedCookieJar,
    Form(f): Form<LoginForm>,
) -> Response {
    let lang = Lang::from_headers(&headers);
    match login(&state, jar, &f.username, &f.password, addr, lang).await {
        Ok((jar, _)) => (jar, Redirect::to("/confirm")).into_response(),
        Err(e) => back_with_error("/", &e),
    }
}

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

fn sex_key(s: Option<Sex>) -> &'static str {
    match s {
        Some(Sex::Male) => "male",
        Some(Sex::Female) => "female",
        None => "",
    }
}

async fn confirm_page(
    State(state): State<AppState>,
    who: LoggedIn,
    Query(q): Query<ErrQuery>,
) -> Response {
    let lang = who.lang;
    let ctx = match context(&state, &who, lang) {
        Ok(c) => c,
        Err(e) => return back_with_error("/", &e),
    };
    let (Some(test), Some(attempt)) = (&ctx.test, &ctx.attempt) else {
        return Redirect::to("/done").into_response();
    };
    if ended_reason(&ctx).is_some() {
        return Redirect::to(next_url(&ctx)).into_response();
    }
    let tr = Tr { lang };
    let sex = sex_key(ctx.participant.sex);
    render(&ConfirmPage {
        tr,
        error: error_text(&q, lang),
        username: &ctx.participant.username,
        name: &ctx.participant.name,
        class: &ctx.participant.class,
        sex: if sex.is_empty() { "-" } else { tr.s(sex) },
        test_name: &test.name,
        duration: test.duration_minutes,
        asks_birth_date: ctx.participant.birth_date.is_some(),
        resuming: attempt.is_open(),
        remaining: hms(attempt.clock.remaining(ctx.now)),
    })
}

#[derive(Deserialize)]
struct ConfirmForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    birth_date: String,
    #[serde(default)]
    token: String,
}

async fn confirm_form(
    State(state): State<AppState>,
    who: LoggedIn,
    Form(f): Form<ConfirmForm>,
) -> Response {
    match start(&state, &who, &f.name, &f.birth_date, &f.token).await {
        Ok(()) => Redirect::to("/exam/1").into_response(),
        Err(e) if e.code == "logged_out" => back_with_error("/", &e),
        Err(e) => back_with_error("/confirm", &e),
    }
}

/// `hh:mm:ss`.
pub fn hms(ms: u64) -> String {
    let s = ms / 1000;
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

struct GridCell {
    n: usize,
    class: &'static str,
    current: bool,
}

struct Opt {
    id: String,
    html: String,
    checked: bool,
    /// Position letter (A, B, C...) in display order.
    label: char,
    /// The text without tags, for `<option>`.
    plain: String,
}

impl Opt {
    fn new(i: usize, c: &ruji_core::package::Choice, checked: bool) -> Opt {
        Opt {
            id: c.id.clone(),
            html: c.html.clone(),
            checked,
            label: (b'A' + (i % 26) as u8) as char,
            plain: strip_tags(&c.html),
        }
    }
}

/// Text of an HTML fragment without its tags (entities left as they are).
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

struct TfRow {
    idx: usize,
    html: String,
    t: bool,
    f: bool,
}

struct MatchRow {
    id: String,
    html: String,
    selected: String,
}

#[derive(Template)]
#[template(path = "item.html")]
struct ItemPage<'a> {
    tr: Tr,
    error: Option<&'a str>,
    font: &'static str,
    username: &'a str,
    name: &'a str,
    test_name: &'a str,
    test_id: &'a str,
    practice: bool,
    n: usize,
    total: usize,
    item_id: &'a str,
    kind: &'static str,
    stimulus_title: String,
    stimulus_html: String,
    prompt: &'a str,
    options: Vec<Opt>,
    select: u32,
    tf: Vec<TfRow>,
    premises: Vec<MatchRow>,
    targets: Vec<Opt>,
    text: String,
    max_chars: u32,
    doubtful: bool,
    rev: u64,
    grid: Vec<GridCell>,
    remaining_ms: u64,
    remaining: String,
    warning: bool,
    warning_ms: u64,
    /// Radio-button types cannot be emptied by clicking: they get a clear button.
    clearable: bool,
}

fn kind_name(b: &ViewBody) -> &'static str {
    match b {
        ViewBody::MultipleChoice { .. } => "multiple_choice",
        ViewBody::MultipleResponse { .. } => "multiple_response",
        ViewBody::TrueFalse { .. } => "true_false",
        ViewBody::Matching { .. } => "matching",
        ViewBody::ShortAnswer { .. } => "short_answer",
        ViewBody::Essay { .. } => "essay",
    }
}

async fn item_page(
    State(state): State<AppState>,
    who: LoggedIn,
    headers: HeaderMap,
    Path(n): Path<usize>,
    Query(q): Query<ErrQuery>,
) -> Response {
    let lang = who.lang;
    let ctx = match context(&state, &who, lang) {
        Ok(c) => c,
        Err(e) => return back_with_error("/", &e),
    };
    let (Some(test), Some(attempt)) = (&ctx.test, &ctx.attempt) else {
        return Redirect::to("/done").into_response();
    };
    if !attempt.is_open() || ctx.needs_token() {
        return Redirect::to(next_url(&ctx)).into_response();
    }
    let test_id = test.id.clone();
    let order = ordered_items(&ctx);
    if n == 0 || n > order.len() {
        return Redirect::to("/exam/1").into_response();
    }
    let pkg = state.store.package();
    let id = &order[n - 1];
    let view = item_view(&ctx, &pkg, id);
    let saved = ctx.answers.get(id);
    let resp = saved.and_then(|a| a.response.clone());
    let (stimulus_title, stimulus_html) = view
        .stimulus
        .as_ref()
        .and_then(|s| pkg.stimulus(s))
        .map(|s| (s.title.clone(), s.html.clone()))
        .unwrap_or_default();
    let mut page = ItemPage {
        tr: Tr { lang },
        error: error_text(&q, lang),
        font: font_class(&headers),
        username: &ctx.participant.username,
        name: &ctx.participant.name,
        test_name: &test.name,
        test_id: &test_id,
        practice: attempt.phase == Phase::Practice,
        n,
        total: order.len(),
        item_id: id,
        kind: kind_name(&view.body),
        stimulus_title,
        stimulus_html,
        prompt: &view.prompt,
        options: vec![],
        select: 0,
        tf: vec![],
        premises: vec![],
        targets: vec![],
        text: String::new(),
        max_chars: 0,
        doubtful: saved.is_some_and(|a| a.doubtful),
        rev: saved.map_or(0, |a| a.rev),
        grid: order
            .iter()
            .enumerate()
            .map(|(i, iid)| {
                let a = ctx.answers.get(iid);
                GridCell {
                    n: i + 1,
                    class: match a {
                        Some(a) if a.doubtful => "doubtful",
                        Some(a) if a.is_answered() => "answered",
                        _ => "unanswered",
                    },
                    current: i + 1 == n,
                }
            })
            .collect(),
        remaining_ms: if attempt.phase == Phase::InProgress {
            attempt.clock.remaining(ctx.now)
        } else {
            0
        },
        remaining: hms(attempt.clock.remaining(ctx.now)),
        warning: attempt.warning(ctx.now, &test.rules),
        warning_ms: u64::from(test.rules.warning_minutes) * ruji_core::MINUTE,
        clearable: matches!(
            view.body,
            ViewBody::MultipleChoice { .. } | ViewBody::TrueFalse { .. }
        ),
    };
    match (&view.body, &resp) {
        (ViewBody::MultipleChoice { options }, r) => {
            let chosen = match r {
                Some(Answer::Choice(c)) => Some(c),
                _ => None,
            };
            page.options = options
                .iter()
                .enumerate()
                .map(|(i, o)| Opt::new(i, o, chosen == Some(&o.id)))
                .collect();
        }
        (ViewBody::MultipleResponse { options, select }, r) => {
            let chosen: &[String] = match r {
                Some(Answer::Choices(c)) => c,
                _ => &[],
            };
            page.select = *select;
            page.options = options
                .iter()
                .enumerate()
                .map(|(i, o)| Opt::new(i, o, chosen.contains(&o.id)))
                .collect();
        }
        (ViewBody::TrueFalse { statements }, r) => {
            let v: &[Option<bool>] = match r {
                Some(Answer::TrueFalse(v)) => v,
                _ => &[],
            };
            page.tf = statements
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let a = v.get(i).copied().flatten();
                    TfRow {
                        idx: i,
                        html: s.html.clone(),
                        t: a == Some(true),
                        f: a == Some(false),
                    }
                })
                .collect();
        }
        (ViewBody::Matching { premises, targets }, r) => {
            let pairs: &[(String, String)] = match r {
                Some(Answer::Matching(p)) => p,
                _ => &[],
            };
            page.premises = premises
                .iter()
                .map(|p| MatchRow {
                    id: p.id.clone(),
                    html: p.html.clone(),
                    selected: pairs
                        .iter()
                        .find(|(a, _)| *a == p.id)
                        .map(|(_, b)| b.clone())
                        .unwrap_or_default(),
                })
                .collect();
            page.targets = targets
                .iter()
                .enumerate()
                .map(|(i, t)| Opt::new(i, t, false))
                .collect();
        }
        (ViewBody::ShortAnswer { max_chars } | ViewBody::Essay { max_chars }, r) => {
            page.max_chars = *max_chars;
            if let Some(Answer::Text(t)) = r {
                page.text = t.clone();
            }
        }
    }
    render(&page)
}

/// Builds a response from the item form's fields, by the item's type. `None` = nothing given.
pub fn response_from_form(view: &ItemView, form: &[(String, String)]) -> Option<Answer> {
    let get = |k: &str| form.iter().find(|(a, _)| a == k).map(|(_, v)| v.as_str());
    match &view.body {
        ViewBody::MultipleChoice { .. } => get("choice")
            .filter(|c| !c.is_empty())
            .map(|c| Answer::Choice(c.to_string())),
        ViewBody::MultipleResponse { .. } => {
            let cs: Vec<String> = form
                .iter()
                .filter(|(k, _)| k == "choices")
                .map(|(_, v)| v.clone())
                .collect();
            (!cs.is_empty()).then_some(Answer::Choices(cs))
        }
        ViewBody::TrueFalse { statements } => {
            let v: Vec<Option<bool>> = (0..statements.len())
                .map(|i| match get(&format!("tf{i}")) {
                    Some("true") => Some(true),
                    Some("false") => Some(false),
                    _ => None,
                })
                .collect();
            v.iter()
                .any(Option::is_some)
                .then_some(Answer::TrueFalse(v))
        }
        ViewBody::Matching { premises, .. } => {
            let pairs: Vec<(String, String)> = premises
                .iter()
                .filter_map(|p| {
                    get(&format!("m_{}", p.id))
                        .filter(|t| !t.is_empty())
                        .map(|t| (p.id.clone(), t.to_string()))
                })
                .collect();
            (!pairs.is_empty()).then_some(Answer::Matching(pairs))
        }
        ViewBody::ShortAnswer { .. } | ViewBody::Essay { .. } => {
            get("text").map(|t| Answer::Text(t.replace("\r\n", "\n")))
        }
    }
}

async fn item_form(
    State(state): State<AppState>,
    who: LoggedIn,
    Path(n): Path<usize>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let lang = who.lang;
    let here = format!("/exam/{n}");
    let ctx = match context(&state, &who, lang) {
        Ok(c) => c,
        Err(e) => return back_with_error("/", &e),
    };
    let order = ordered_items(&ctx);
    let get = |k: &str| form.iter().find(|(a, _)| a == k).map(|(_, v)| v.as_str());
    let go = get("go").unwrap_or("save").to_string();
    let clear = go == "clear";
    // The form names its item: a stale page (order changed by practice → test) saves nothing.
    let Some(id) = n
        .checked_sub(1)
        .and_then(|i| order.get(i))
        .filter(|id| get("item") == Some(id.as_str()))
    else {
        return Redirect::to(next_url(&ctx)).into_response();
    };
    let pkg = state.store.package();
    let view = item_view(&ctx, &pkg, id);
    let response = if clear {
        None
    } else {
        response_from_form(&view, &form)
    };
    let doubtful = get("doubtful").is_some();
    if let Err(e) = save(&state, &who, id, response, doubtful, 0).await {
        return match e.code {
            "time_up" => Redirect::to("/done?r=timeout").into_response(),
            "force_finished" => Redirect::to("/done?r=proctor").into_response(),
            "finished" | "all_done" => Redirect::to("/done").into_response(),
            "logged_out" | "not_logged_in" => back_with_error("/", &e),
            "token_required" => back_with_error("/confirm", &e),
            _ => back_with_error(&here, &e),
        };
    }
    let target = match go.as_str() {
        "prev" => format!("/exam/{}", n.saturating_sub(1).max(1)),
        "next" => format!("/exam/{}", (n + 1).min(order.len())),
        "finish" => "/finish".to_string(),
        "clear" => here,
        "practice_end" => match end_practice(&state, &who).await {
            Ok(()) => "/exam/1".to_string(),
            Err(e) => return back_with_error(&here, &e),
        },
        g => match g.parse::<usize>() {
            Ok(k) if (1..=order.len()).contains(&k) => format!("/exam/{k}"),
            _ => here,
        },
    };
    Redirect::to(&target).into_response()
}

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

async fn finish_page(
    State(state): State<AppState>,
    who: LoggedIn,
    Query(q): Query<ErrQuery>,
) -> Response {
    let lang = who.lang;
    let ctx = match context(&state, &who, lang) {
        Ok(c) => c,
        Err(e) => return back_with_error("/", &e),
    };
    let (Some(test), Some(attempt)) = (&ctx.test, &ctx.attempt) else {
        return Redirect::to("/done").into_response();
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
struct FinishForm {
    #[serde(default)]
    confirm: Option<String>,
}

async fn finish_form(
    State(state): State<AppState>,
    who: LoggedIn,
    Form(f): Form<FinishForm>,
) -> Response {
    match finish(&state, &who, f.confirm.is_some()).await {
        Ok(()) => (
            clear_cookie(&state, who.jar.clone()),
            Redirect::to("/done?r=finished"),
        )
            .into_response(),
        Err(e) if e.code == "time_up" => Redirect::to("/done?r=timeout").into_response(),
        Err(e) => back_with_error("/finish", &e),
    }
}

#[derive(Template)]
#[template(path = "done.html")]
struct DonePage {
    tr: Tr,
    text: &'static str,
}

async fn done_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: SignedCookieJar,
    Query(q): Query<ErrQuery>,
) -> Response {
    let lang = Lang::from_headers(&headers);
    let tr = Tr { lang };
    let mut text = match q.r.as_deref() {
        Some("timeout") => tr.s("done_timeout"),
        Some("proctor") => tr.s("done_proctor"),
        _ => tr.s("done_text"),
    };
    let mut jar = jar;
    if let Some((u, id)) = auth::participant(&jar) {
        if let Ok(Ok(ctx)) = state.store.context(&u, Some(id)) {
            if ctx.attempt.as_ref().is_some_and(|a| a.is_open()) {
                // Still working: this page is not for them yet.
                return Redirect::to(next_url(&ctx)).into_response();
            }
            if ctx.test.is_none() && !matches!(q.r.as_deref(), Some("timeout" | "proctor")) {
                text = tr.s("done_all");
            }
        }
        // Whatever ended the test (time-out, proctor), the participant leaves through the
        // login page.
        let _ = state.store.logout(&u, id).await;
        state.presence.forget(&u);
        jar = clear_cookie(&state, jar);
    }
    (jar, render(&DonePage { tr, text })).into_response()
}

async fn logout_form(State(state): State<AppState>, who: LoggedIn) -> Response {
    let _ = logout(&state, &who).await;
    (clear_cookie(&state, who.jar.clone()), Redirect::to("/")).into_response()
}

fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n,
        _ => "/",
    }
}

async fn set_lang(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<ErrQuery>,
) -> Response {
    let Some(lang) = Lang::parse(&code) else {
        return html_error(StatusCode::NOT_FOUND, "not_found", Lang::Id, "/");
    };
    let mut c = Cookie::new("ruji_lang", lang.code());
    c.set_path("/");
    c.set_same_site(SameSite::Lax);
    c.set_secure(state.settings.secure_cookies);
    let jar = axum_extra::extract::cookie::CookieJar::new().add(c);
    (jar, Redirect::to(safe_next(q.next.as_deref()))).into_response()
}

async fn set_font(
    State(state): State<AppState>,
    Path(size): Path<u8>,
    Query(q): Query<ErrQuery>,
) -> Response {
    let size = size.clamp(1, 3).to_string();
    let mut c = Cookie::new("ruji_fs", size);
    c.set_path("/");
    c.set_same_site(SameSite::Lax);
    c.set_secure(state.settings.secure_cookies);
    let jar = axum_extra::extract::cookie::CookieJar::new().add(c);
    (jar, Redirect::to(safe_next(q.next.as_deref()))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_fields_become_responses() {
        let pkg = ruji_core::demo::package();
        let v = |id: &str| pkg.item(id).unwrap().view(None);
        let f = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            response_from_form(&v("D01"), &f(&[("choice", "B")])),
            Some(Answer::Choice("B".into()))
        );
        assert_eq!(response_from_form(&v("D01"), &f(&[])), None);
        assert_eq!(
            response_from_form(&v("D03"), &f(&[("choices", "A"), ("choices", "D")])),
            Some(Answer::Choices(vec!["A".into(), "D".into()]))
        );
        assert_eq!(
            response_from_form(&v("D04"), &f(&[("tf0", "true"), ("tf2", "false")])),
            Some(Answer::TrueFalse(vec![Some(true), None, Some(false)]))
        );
        assert_eq!(
            response_from_form(&v("D05"), &f(&[("m_1", "B"), ("m_2", "")])),
            Some(Answer::Matching(vec![("1".into(), "B".into())]))
        );
        assert_eq!(
            response_from_form(&v("D07"), &f(&[("text", "a\r\nb")])),
            Some(Answer::Text("a\nb".into()))
        );
    }

    #[test]
    fn time_format() {
        assert_eq!(hms(3_725_999), "01:02:05");
    }
}
