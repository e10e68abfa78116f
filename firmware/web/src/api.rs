//! The participant flow as JSON under `/api/v1` (docs/api.md). The HTML pages and this API share
//! the flow functions in [`crate::participant`]; this module only maps them to JSON.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use axum_extra::extract::cookie::SignedCookieJar;
use ruji_core::attempt::PhaseName;
use ruji_core::response::Response as Answer;
use ruji_room::participants::{item_view, ordered_items, require_open};
use ruji_room::Context;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{ErrorCode, WebError};
use crate::i18n::Lang;
use crate::participant::{self as flow, LoggedIn};
use crate::AppState;

/// Routes under `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", post(login))
        .route("/login/wait", get(login_wait))
        .route("/me", get(me))
        .route("/start", post(start))
        .route("/practice/end", post(end_practice))
        .route("/attempt", get(attempt))
        .route("/items/{n}", get(item))
        .route("/answers/{item_id}", put(save))
        .route("/finish", post(finish))
        .route("/heartbeat", post(heartbeat))
        .route("/logout", post(logout))
}

/// JSON body extractor whose rejection is a `bad_request` in the user's language.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequest<S> for JsonBody<T> {
    type Rejection = WebError;
    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, WebError> {
        let lang = Lang::from_headers(req.headers());
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(JsonBody(v)),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(WebError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::TooLarge,
                lang,
            )),
            Err(e) => Err(
                WebError::new(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, lang)
                    .with(json!({"detail": e.body_text()})),
            ),
        }
    }
}

fn attempt_json(ctx: &Context) -> Value {
    match (&ctx.test, &ctx.attempt) {
        (Some(t), Some(a)) => json!({
            "test": t.id,
            "phase": a.phase.name(),
            "remaining_ms": a.clock.remaining(ctx.now),
            "practice_remaining_ms": a.practice_remaining(ctx.now),
            "warning": a.warning(ctx.now, &t.rules),
            "ended": flow::ended_reason(ctx),
        }),
        _ => json!({"test": null, "phase": PhaseName::Finished, "ended": flow::ended_reason(ctx)}),
    }
}

fn me_json(ctx: &Context) -> Value {
    let p = &ctx.participant;
    json!({
        "participant": {
            "username": p.username, "name": p.name, "class": p.class,
            "sex": p.sex.map(|s| match s { ruji_core::package::Sex::Male => "male", ruji_core::package::Sex::Female => "female" }),
            "asks_birth_date": p.birth_date.is_some(),
        },
        "test": ctx.test.as_ref().map(|t| json!({
            "id": t.id, "name": t.name, "kind": t.kind, "duration_minutes": t.duration_minutes,
            "items": t.items.len(), "practice_items": t.practice_items.len(),
        })),
        "attempt": attempt_json(ctx),
    })
}

#[derive(Deserialize)]
struct LoginBody {
    username: String,
    password: String,
}

async fn login(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    jar: SignedCookieJar,
    JsonBody(body): JsonBody<LoginBody>,
) -> Result<Response, WebError> {
    let lang = Lang::from_headers(&headers);
    let step = flow::login(&state, jar, &body.username, &body.password, addr, lang).await?;
    login_answer(&state, step)
}

/// `GET /api/v1/login/wait`: asks again for a login answered `202` (the ticket's cookie).
async fn login_wait(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    jar: SignedCookieJar,
) -> Result<Response, WebError> {
    let step = flow::login_wait(&state, jar, addr, Lang::from_headers(&headers)).await?;
    login_answer(&state, step)
}

/// Logged in: `200` with the participant (as `/me`). Still being processed: `202` with
/// `{"status": "waiting", "ahead": n}`; ask again at `/api/v1/login/wait`.
fn login_answer(state: &AppState, step: flow::LoginStep) -> Result<Response, WebError> {
    match step {
        flow::LoginStep::In(who, jar) => {
            let ctx = flow::context(state, &who)?;
            Ok((jar, Json(me_json(&ctx))).into_response())
        }
        flow::LoginStep::Waiting(jar, ahead) => Ok((
            StatusCode::ACCEPTED,
            jar,
            Json(serde_json::json!({"status": "waiting", "ahead": ahead})),
        )
            .into_response()),
    }
}

async fn me(State(state): State<AppState>, who: LoggedIn) -> Result<Json<Value>, WebError> {
    let ctx = flow::context(&state, &who)?;
    Ok(Json(me_json(&ctx)))
}

#[derive(Deserialize)]
struct StartBody {
    #[serde(default)]
    name: String,
    #[serde(default)]
    birth_date: String,
    token: String,
}

async fn start(
    State(state): State<AppState>,
    who: LoggedIn,
    JsonBody(b): JsonBody<StartBody>,
) -> Result<Json<Value>, WebError> {
    state
        .room
        .start(
            &who.username,
            who.login_id,
            &who.client,
            &b.name,
            &b.birth_date,
            &b.token,
        )
        .await
        .map_err(|e| who.fail(e))?;
    let ctx = flow::context(&state, &who)?;
    Ok(Json(json!({"attempt": attempt_json(&ctx)})))
}

async fn end_practice(
    State(state): State<AppState>,
    who: LoggedIn,
) -> Result<Json<Value>, WebError> {
    state
        .room
        .end_practice(&who.username, who.login_id)
        .await
        .map_err(|e| who.fail(e))?;
    let ctx = flow::context(&state, &who)?;
    Ok(Json(json!({"attempt": attempt_json(&ctx)})))
}

async fn attempt(State(state): State<AppState>, who: LoggedIn) -> Result<Json<Value>, WebError> {
    let ctx = flow::context(&state, &who)?;
    let mut v = attempt_json(&ctx);
    let items: Vec<Value> = ordered_items(&ctx)
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let a = ctx.answers.get(id);
            json!({"n": i + 1, "id": id, "answered": a.is_some_and(|a| a.is_answered()),
                   "doubtful": a.is_some_and(|a| a.doubtful)})
        })
        .collect();
    if let Value::Object(o) = &mut v {
        o.insert("items".into(), Value::Array(items));
    }
    Ok(Json(v))
}

async fn item(
    State(state): State<AppState>,
    who: LoggedIn,
    Path(n): Path<usize>,
) -> Result<Json<Value>, WebError> {
    let ctx = flow::context(&state, &who)?;
    require_open(&ctx).map_err(|r| WebError::refusal(&r, who.lang))?;
    let order = ordered_items(&ctx);
    let Some(id) = n.checked_sub(1).and_then(|i| order.get(i)) else {
        return Err(WebError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::UnknownItem,
            who.lang,
        ));
    };
    let pkg = state.room.package();
    let view = item_view(&ctx, &pkg, id);
    let stimulus = view
        .stimulus
        .as_ref()
        .and_then(|s| pkg.stimulus(s))
        .map(|s| json!({"title": s.title, "html": s.html}));
    let answer = ctx
        .answers
        .get(id)
        .map(|a| json!({"response": a.response, "doubtful": a.doubtful, "rev": a.rev}));
    Ok(Json(json!({
        "n": n, "total": order.len(),
        "phase": ctx.attempt.as_ref().map(|a| a.phase.name()),
        "item": view, "stimulus": stimulus, "answer": answer,
    })))
}

#[derive(Deserialize)]
struct SaveBody {
    response: Option<Answer>,
    #[serde(default)]
    doubtful: bool,
    #[serde(default)]
    rev: u64,
}

async fn save(
    State(state): State<AppState>,
    who: LoggedIn,
    Path(item_id): Path<String>,
    JsonBody(b): JsonBody<SaveBody>,
) -> Result<Json<Value>, WebError> {
    let saved = state
        .room
        .save(
            &who.username,
            who.login_id,
            &item_id,
            b.response,
            b.doubtful,
            b.rev,
        )
        .await
        .map_err(|e| who.fail(e))?;
    Ok(Json(json!({
        "saved": true, "seq": saved.seq, "remaining_ms": saved.remaining, "stale": saved.stale,
    })))
}

#[derive(Deserialize)]
struct FinishBody {
    #[serde(default)]
    confirm: bool,
}

async fn finish(
    State(state): State<AppState>,
    who: LoggedIn,
    jar: SignedCookieJar,
    JsonBody(b): JsonBody<FinishBody>,
) -> Result<Response, WebError> {
    state
        .room
        .finish(&who.username, who.login_id, b.confirm)
        .await
        .map_err(|e| who.fail(e))?;
    Ok((
        flow::clear_cookie(&state, jar),
        Json(json!({"finished": true})),
    )
        .into_response())
}

async fn heartbeat(State(state): State<AppState>, who: LoggedIn) -> Result<Json<Value>, WebError> {
    let ctx = flow::context(&state, &who)?;
    Ok(Json(attempt_json(&ctx)))
}

async fn logout(
    State(state): State<AppState>,
    who: LoggedIn,
    jar: SignedCookieJar,
) -> Result<Response, WebError> {
    state
        .room
        .logout(&who.username, who.login_id)
        .await
        .map_err(|e| who.fail(e))?;
    Ok((flow::clear_cookie(&state, jar), StatusCode::NO_CONTENT).into_response())
}
