//! Errors as a person or a client sees them: a code, an HTTP status, and a message in the
//! user's language that says what to do. JSON for `/api/v1`, an HTML page elsewhere.

use askama::Template;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use ruji_core::attempt::{AttemptError, FinishReason, LoginError};
use ruji_store::room::Refusal;
use ruji_store::StoreError;

use crate::i18n::{Lang, Tr};

/// An error for the JSON API.
#[derive(Debug)]
pub struct WebError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine code (docs/api.md); the message key is `err_<code>`.
    pub code: &'static str,
    /// Language of the message.
    pub lang: Lang,
    /// Extra fields merged into the body (e.g. `retry_after_s`, `count`).
    pub extra: Option<serde_json::Value>,
}

impl WebError {
    /// An error with a code and status.
    pub fn new(status: StatusCode, code: &'static str, lang: Lang) -> Self {
        WebError {
            status,
            code,
            lang,
            extra: None,
        }
    }
    /// Adds extra fields.
    pub fn with(mut self, extra: serde_json::Value) -> Self {
        self.extra = Some(extra);
        self
    }
    /// A refusal under the exam rules.
    pub fn refusal(r: &Refusal, lang: Lang) -> Self {
        let (status, code) = refusal_code(r);
        let e = WebError::new(status, code, lang);
        match r {
            Refusal::Attempt(AttemptError::Doubtful(n)) => e.with(serde_json::json!({"count": n})),
            Refusal::Attempt(AttemptError::TooEarly(ms)) => {
                e.with(serde_json::json!({"wait_s": ms.div_ceil(1000)}))
            }
            Refusal::Login(LoginError::AlreadyLoggedIn { client }) => {
                e.with(serde_json::json!({"client": client}))
            }
            Refusal::AttemptsOpen(n) => e.with(serde_json::json!({"count": n})),
            _ => e,
        }
    }
    /// The store failed: nothing was saved; the client should retry.
    pub fn storage(e: &StoreError, lang: Lang) -> Self {
        tracing::error!(error = %e, "storage error");
        WebError::new(StatusCode::SERVICE_UNAVAILABLE, "storage", lang)
    }
    /// The message for the user.
    pub fn message(&self) -> &'static str {
        message(self.code, self.lang)
    }
}

/// The user-facing message for an error code.
pub fn message(code: &str, lang: Lang) -> &'static str {
    let key = format!("err_{code}");
    match crate::i18n::lookup(&key) {
        Some((id, en)) => match lang {
            Lang::Id => id,
            Lang::En => en,
        },
        None => Tr { lang }.s("error"),
    }
}

/// HTTP status and code of a refusal.
pub fn refusal_code(r: &Refusal) -> (StatusCode, &'static str) {
    use StatusCode as S;
    match r {
        Refusal::UnknownParticipant => (S::NOT_FOUND, "unknown_participant"),
        Refusal::Login(LoginError::AlreadyLoggedIn { .. }) => (S::CONFLICT, "already_logged_in"),
        Refusal::Login(LoginError::ReserveNotActive) => (S::FORBIDDEN, "reserve_not_active"),
        Refusal::NoOpenSession => (S::CONFLICT, "no_open_session"),
        Refusal::NotInSession => (S::FORBIDDEN, "not_in_session"),
        Refusal::AllDone => (S::CONFLICT, "all_done"),
        Refusal::LoggedOut => (S::UNAUTHORIZED, "logged_out"),
        Refusal::NoToken => (S::CONFLICT, "no_token"),
        Refusal::WrongToken => (S::CONFLICT, "wrong_token"),
        Refusal::NameMismatch => (S::CONFLICT, "name_mismatch"),
        Refusal::BirthDateMismatch => (S::CONFLICT, "birth_date_mismatch"),
        Refusal::Attempt(a) => match a {
            AttemptError::Finished(FinishReason::TimeOut) => (S::CONFLICT, "time_up"),
            AttemptError::Finished(FinishReason::Proctor(_)) => (S::CONFLICT, "force_finished"),
            AttemptError::Finished(_) => (S::CONFLICT, "finished"),
            AttemptError::NotStarted => (S::CONFLICT, "not_started"),
            AttemptError::Doubtful(_) => (S::CONFLICT, "doubtful"),
            AttemptError::TooEarly(_) => (S::CONFLICT, "too_early"),
            AttemptError::NotConfirmed => (S::CONFLICT, "not_confirmed"),
            AttemptError::WrongPhase => (S::CONFLICT, "wrong_phase"),
        },
        Refusal::TokenRequired => (S::CONFLICT, "token_required"),
        Refusal::UnknownItem => (S::NOT_FOUND, "unknown_item"),
        Refusal::BadResponse(_) => (S::UNPROCESSABLE_ENTITY, "bad_response"),
        Refusal::UnknownSession => (S::NOT_FOUND, "unknown_session"),
        Refusal::AnotherSessionOpen(_) => (S::CONFLICT, "another_session_open"),
        Refusal::AttemptsOpen(_) => (S::CONFLICT, "attempts_open"),
        Refusal::SessionClosed => (S::CONFLICT, "session_closed"),
        Refusal::NotReserve => (S::CONFLICT, "not_reserve"),
        Refusal::SessionSealed(_) => (S::CONFLICT, "session_sealed"),
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let mut body = serde_json::json!({"error": self.code, "message": self.message()});
        if let (Some(serde_json::Value::Object(extra)), Some(obj)) =
            (self.extra, body.as_object_mut())
        {
            obj.extend(extra);
        }
        (self.status, Json(body)).into_response()
    }
}

/// The HTML error page.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    /// Translator.
    pub tr: Tr,
    /// Message.
    pub message: &'a str,
    /// Where "back" goes.
    pub back: &'a str,
}

/// Renders a template, or a plain 500 if rendering failed (it cannot with checked templates
/// unless a value's Display fails).
pub fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(s) => Html(s).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

/// An HTML error page with a status.
pub fn html_error(status: StatusCode, code: &str, lang: Lang, back: &str) -> Response {
    let page = ErrorPage {
        tr: Tr { lang },
        message: message(code, lang),
        back,
    };
    (status, render(&page)).into_response()
}

/// Fallback for unknown paths.
pub async fn not_found(headers: HeaderMap, uri: axum::http::Uri) -> Response {
    let lang = Lang::from_headers(&headers);
    if uri.path().starts_with("/api/") {
        return WebError::new(StatusCode::NOT_FOUND, "not_found", lang).into_response();
    }
    html_error(StatusCode::NOT_FOUND, "not_found", lang, "/")
}
