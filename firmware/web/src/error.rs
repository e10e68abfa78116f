//! Errors as a person or a client sees them: a code ([`ErrorCode`], docs/api.md), an HTTP
//! status, and a message in the user's language that says what to do. JSON for `/api/v1`, an
//! HTML page elsewhere. Every [`RoomError`] maps here, in one place.

use askama::Template;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use ruji_core::attempt::{AttemptError, FinishReason, LoginError};
use ruji_room::{Fault, Refusal, RoomError, StoreError};
use serde::Serialize;

use crate::i18n::{Lang, Msg, Tr};

/// Declares [`ErrorCode`]: each code with its name (serialised) and its message.
macro_rules! codes {
    ($($(#[$doc:meta])* $v:ident = $name:literal => $msg:ident,)*) => {
        /// A stable machine code of an error (`error` in the JSON API, `?e=` on pages).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        pub enum ErrorCode { $($(#[$doc])* #[serde(rename = $name)] $v,)* }

        impl ErrorCode {
            /// Every code.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$v,)*];
            /// The name, as serialised.
            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$v => $name,)* }
            }
            /// The code named `name` (from `?e=`).
            pub fn parse(name: &str) -> Option<ErrorCode> {
                match name { $($name => Some(ErrorCode::$v),)* _ => None }
            }
            /// The message for a person.
            pub fn msg(self) -> Msg {
                match self { $(ErrorCode::$v => Msg::$msg,)* }
            }
        }
    };
}

codes! {
    /// Wrong username or password.
    WrongPassword = "wrong_password" => ErrWrongPassword,
    /// Too many failed tries.
    Throttled = "throttled" => ErrThrottled,
    /// More logins wait than the board queues.
    Busy = "busy" => ErrBusy,
    /// Every place of the live console is taken: the page polls instead.
    LiveBusy = "live_busy" => ErrLiveBusy,
    /// The waiting login's ticket is gone: log in again.
    LoginGone = "login_gone" => ErrLoginGone,
    /// A time before this build or after 2100 for the board's clock.
    ClockOutOfRange = "clock_out_of_range" => ErrClockOutOfRange,
    /// The board's clock is set already: a browser does not move it.
    ClockAlreadySet = "clock_already_set" => ErrClockAlreadySet,
    /// A browser's time earlier than one the board knows has passed.
    ClockBeforeKnown = "clock_before_known" => ErrClockBeforeKnown,
    /// The operating system refused to set the clock.
    ClockFailed = "clock_failed" => ErrClockFailed,
    /// Logged in elsewhere with a test open.
    AlreadyLoggedIn = "already_logged_in" => ErrAlreadyLoggedIn,
    /// A reserve not activated yet.
    ReserveNotActive = "reserve_not_active" => ErrReserveNotActive,
    /// No session is open.
    NoOpenSession = "no_open_session" => ErrNoOpenSession,
    /// Not in the open session.
    NotInSession = "not_in_session" => ErrNotInSession,
    /// The login was reset or used elsewhere.
    LoggedOut = "logged_out" => ErrLoggedOut,
    /// No participant cookie.
    NotLoggedIn = "not_logged_in" => ErrNotLoggedIn,
    /// The token is not released yet.
    NoToken = "no_token" => ErrNoToken,
    /// Wrong or expired token.
    WrongToken = "wrong_token" => ErrWrongToken,
    /// The typed name does not match.
    NameMismatch = "name_mismatch" => ErrNameMismatch,
    /// The typed date of birth does not match.
    BirthDateMismatch = "birth_date_mismatch" => ErrBirthDateMismatch,
    /// The test has not started.
    NotStarted = "not_started" => ErrNotStarted,
    /// The test is finished.
    Finished = "finished" => ErrFinished,
    /// The proctor ended the test.
    ForceFinished = "force_finished" => ErrForceFinished,
    /// The token must be entered again (after a reset).
    TokenRequired = "token_required" => ErrTokenRequired,
    /// The time is up.
    TimeUp = "time_up" => ErrTimeUp,
    /// Items still marked doubtful.
    Doubtful = "doubtful" => ErrDoubtful,
    /// Finishing before the minimum time.
    TooEarly = "too_early" => ErrTooEarly,
    /// The confirmation box is not ticked.
    NotConfirmed = "not_confirmed" => ErrNotConfirmed,
    /// Every test of the session is finished.
    AllDone = "all_done" => ErrAllDone,
    /// The step does not apply now.
    WrongPhase = "wrong_phase" => ErrWrongPhase,
    /// No such item.
    UnknownItem = "unknown_item" => ErrUnknownItem,
    /// The answer does not fit the item.
    BadResponse = "bad_response" => ErrBadResponse,
    /// A malformed request.
    BadRequest = "bad_request" => ErrBadRequest,
    /// A request body over the limit.
    TooLarge = "too_large" => ErrTooLarge,
    /// Storage failed: nothing saved.
    Storage = "storage" => ErrStorage,
    /// Storage failed, to the proctor: the card is full.
    StorageFull = "storage_full" => ErrStorageFull,
    /// Storage failed, to the proctor: the card refused a read or write.
    StorageFailing = "storage_failing" => ErrStorageFailing,
    /// Storage failed, to the proctor: the data file is damaged.
    StorageCorrupt = "storage_corrupt" => ErrStorageCorrupt,
    /// The server is shutting down.
    ShuttingDown = "shutting_down" => ErrShuttingDown,
    /// No such participant.
    UnknownParticipant = "unknown_participant" => ErrUnknownParticipant,
    /// A proctor page without a proctor login.
    Forbidden = "forbidden" => ErrForbidden,
    /// Every test is paused by the proctor: wait.
    Paused = "paused" => ErrPaused,
    /// Paused already, or not paused.
    PauseState = "pause_state" => ErrPauseState,
    /// Reopening a closed session without ticking that it is meant.
    ReopenConfirm = "reopen_confirm" => ErrReopenConfirm,
    /// Extra time outside 1 to 120 minutes.
    ExtraMinutes = "extra_minutes" => ErrExtraMinutes,
    /// A reissue for more participants than one request makes.
    TooManyCards = "too_many_cards" => ErrTooManyCards,
    /// A bulk reset with no participant ticked.
    BulkNone = "bulk_none" => ErrBulkNone,
    /// A reissue names neither a participant nor a class (or both).
    CardsChoose = "cards_choose" => ErrCardsChoose,
    /// The invigilator's account is read-only.
    ReadOnly = "read_only" => ErrReadOnly,
    /// The invigilator's password may not be the proctor's.
    InvigilatorSame = "invigilator_same" => ErrInvigilatorSame,
    /// The form's CSRF token is wrong.
    Csrf = "csrf" => ErrCsrf,
    /// No such page.
    NotFound = "not_found" => ErrNotFound,
    /// Wrong setup code.
    SetupCode = "setup_code" => ErrSetupCode,
    /// The new password is too short.
    PasswordShort = "password_short" => ErrPasswordShort,
    /// The two new passwords differ.
    PasswordRepeat = "password_repeat" => ErrPasswordRepeat,
    /// Wrong proctor password.
    ProctorPassword = "proctor_password" => ErrProctorPassword,
    /// The proctor account exists.
    AlreadySetup = "already_setup" => ErrAlreadySetup,
    /// Another browser's claim waits for the board's button.
    ClaimInProgress = "claim_in_progress" => ErrClaimInProgress,
    /// The button was not pressed in time.
    ConfirmExpired = "confirm_expired" => ErrConfirmExpired,
    /// A force finish needs a reason.
    ReasonRequired = "reason_required" => ErrReasonRequired,
    /// The session's items are sealed.
    SessionSealed = "session_sealed" => ErrSessionSealed,
    /// Another session is open.
    AnotherSessionOpen = "another_session_open" => ErrAnotherSessionOpen,
    /// Attempts are still open.
    AttemptsOpen = "attempts_open" => ErrAttemptsOpen,
    /// The session is not open.
    SessionClosed = "session_closed" => ErrSessionClosed,
    /// No such session.
    UnknownSession = "unknown_session" => ErrUnknownSession,
    /// Not a reserve.
    NotReserve = "not_reserve" => ErrNotReserve,
    /// The board has no device key to sign results with.
    NoIdentity = "no_identity" => ErrNoIdentity,
    /// A receipt that is not for this board's bundle.
    ReceiptRefused = "receipt_refused" => ErrReceiptRefused,
    /// The session waits for earlier days' receipts.
    AwaitingReceipts = "awaiting_receipts" => ErrAwaitingReceipts,
    /// A report could not be made.
    ReportFailed = "report_failed" => ErrReportFailed,
    /// The USB stick is not there (any more).
    UsbGone = "usb_gone" => ErrUsbGone,
    /// No session has results to save.
    UsbNothing = "usb_nothing" => ErrUsbNothing,
    /// The board's USB service did not answer.
    UsbService = "usb_service" => ErrUsbService,
    /// The stick cannot be written.
    UsbReadOnly = "usb_readonly" => ErrUsbReadOnly,
    /// The stick is full.
    UsbFull = "usb_full" => ErrUsbFull,
    /// Writing to the stick failed.
    UsbWrite = "usb_write" => ErrUsbWrite,
    /// The stick could not be unmounted.
    UsbEject = "usb_eject" => ErrUsbEject,
}

/// An error with its HTTP status, code and language.
#[derive(Debug)]
pub struct WebError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine code (docs/api.md).
    pub code: ErrorCode,
    /// Language of the message.
    pub lang: Lang,
    /// Extra fields merged into the body (e.g. `retry_after_s`, `count`).
    pub extra: Option<serde_json::Value>,
}

impl WebError {
    /// An error with a code and status.
    pub fn new(status: StatusCode, code: ErrorCode, lang: Lang) -> Self {
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
        tracing::error!(error = %e, fault = ?e.fault(), "storage error");
        WebError::new(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Storage, lang)
    }
    /// A room error as the proctor sees it: as [`WebError::room`], with a storage failure told
    /// by its cause (full, failing, damaged) and what to do about it.
    pub fn for_proctor(e: RoomError, lang: Lang) -> Self {
        let fault = match &e {
            RoomError::Storage(s) => s.fault(),
            _ => None,
        };
        let mut w = WebError::room(e, lang);
        if w.code == ErrorCode::Storage {
            w.code = match fault {
                Some(Fault::Full) => ErrorCode::StorageFull,
                Some(Fault::Failing) => ErrorCode::StorageFailing,
                Some(Fault::Corrupt) => ErrorCode::StorageCorrupt,
                Some(Fault::Other) | None => ErrorCode::Storage,
            };
        }
        w
    }
    /// Is this a failure of the board's storage (shown as a page, never as a redirect note)?
    pub fn is_storage(&self) -> bool {
        matches!(
            self.code,
            ErrorCode::Storage
                | ErrorCode::StorageFull
                | ErrorCode::StorageFailing
                | ErrorCode::StorageCorrupt
        )
    }
    /// A room error as the person sees it.
    pub fn room(e: RoomError, lang: Lang) -> Self {
        use ErrorCode as C;
        use StatusCode as S;
        let new = |s, c| WebError::new(s, c, lang);
        match e {
            RoomError::Refused(r) => WebError::refusal(&r, lang),
            RoomError::Storage(e) => WebError::storage(&e, lang),
            RoomError::ShuttingDown => new(S::SERVICE_UNAVAILABLE, C::ShuttingDown),
            RoomError::Throttled { retry_after_ms } => new(S::TOO_MANY_REQUESTS, C::Throttled)
                .with(serde_json::json!({"retry_after_s": retry_after_ms.div_ceil(1000)})),
            RoomError::WrongPassword => new(S::UNAUTHORIZED, C::WrongPassword),
            RoomError::Busy => {
                new(S::SERVICE_UNAVAILABLE, C::Busy).with(serde_json::json!({"retry_after_s": 5}))
            }
            RoomError::LoginGone => new(S::UNAUTHORIZED, C::LoginGone),
            RoomError::Clock(ruji_core::wallclock::Refusal::OutOfRange) => {
                new(S::UNPROCESSABLE_ENTITY, C::ClockOutOfRange)
            }
            RoomError::Clock(ruji_core::wallclock::Refusal::AlreadySet) => {
                new(S::CONFLICT, C::ClockAlreadySet)
            }
            RoomError::Clock(ruji_core::wallclock::Refusal::BeforeKnown) => {
                new(S::UNPROCESSABLE_ENTITY, C::ClockBeforeKnown)
            }
            RoomError::ClockFailed(_) => new(S::SERVICE_UNAVAILABLE, C::ClockFailed),
            RoomError::ProctorPassword => new(S::UNAUTHORIZED, C::ProctorPassword),
            RoomError::ReadOnly => new(S::FORBIDDEN, C::ReadOnly),
            RoomError::ExtraMinutes => new(S::UNPROCESSABLE_ENTITY, C::ExtraMinutes),
            RoomError::TooManyCards => new(S::UNPROCESSABLE_ENTITY, C::TooManyCards),
            RoomError::InvigilatorSameAsProctor => new(S::UNPROCESSABLE_ENTITY, C::InvigilatorSame),
            RoomError::NoProctor => new(S::UNAUTHORIZED, C::Forbidden),
            RoomError::AlreadySetup => new(S::CONFLICT, C::AlreadySetup),
            RoomError::ClaimInProgress { seconds } => new(S::CONFLICT, C::ClaimInProgress)
                .with(serde_json::json!({ "retry_after_s": seconds })),
            RoomError::SetupCode => new(S::UNAUTHORIZED, C::SetupCode),
            RoomError::PasswordShort => new(S::UNPROCESSABLE_ENTITY, C::PasswordShort),
            RoomError::PasswordRepeat => new(S::UNPROCESSABLE_ENTITY, C::PasswordRepeat),
            RoomError::ConfirmExpired => new(S::CONFLICT, C::ConfirmExpired),
            RoomError::ReasonRequired => new(S::UNPROCESSABLE_ENTITY, C::ReasonRequired),
            RoomError::NoIdentity => new(S::SERVICE_UNAVAILABLE, C::NoIdentity),
            RoomError::NoResultsDir => new(S::SERVICE_UNAVAILABLE, C::Storage),
            RoomError::Receipt(why) => {
                tracing::warn!(%why, "receipt refused");
                new(S::UNPROCESSABLE_ENTITY, C::ReceiptRefused)
            }
            RoomError::AwaitingReceipts(sessions) => new(S::CONFLICT, C::AwaitingReceipts)
                .with(serde_json::json!({ "sessions": sessions })),
            RoomError::Report(why) => {
                tracing::warn!(%why, "report not made");
                new(S::CONFLICT, C::ReportFailed)
            }
            RoomError::Usb(u) => {
                use ruji_room::usb::UsbProblem as U;
                tracing::warn!(error = %u, "results not saved to the USB stick");
                let (status, code) = match u.kind {
                    U::Gone => (S::NOT_FOUND, C::UsbGone),
                    U::Nothing => (S::CONFLICT, C::UsbNothing),
                    U::Service => (S::SERVICE_UNAVAILABLE, C::UsbService),
                    U::ReadOnly => (S::CONFLICT, C::UsbReadOnly),
                    U::Full => (S::INSUFFICIENT_STORAGE, C::UsbFull),
                    U::Write => (S::SERVICE_UNAVAILABLE, C::UsbWrite),
                    U::Eject => (S::SERVICE_UNAVAILABLE, C::UsbEject),
                };
                new(status, code)
            }
            RoomError::Package(p) => {
                // Package failures have their own page (crate::package); elsewhere they are
                // a storage problem.
                tracing::warn!(error = %p, "package error outside the package page");
                new(S::SERVICE_UNAVAILABLE, C::Storage)
            }
        }
    }
    /// The message for the user.
    pub fn message(&self) -> &'static str {
        Tr { lang: self.lang }.t(self.code.msg())
    }
}

/// HTTP status and code of a refusal.
pub fn refusal_code(r: &Refusal) -> (StatusCode, ErrorCode) {
    use ErrorCode as C;
    use StatusCode as S;
    match r {
        Refusal::UnknownParticipant => (S::NOT_FOUND, C::UnknownParticipant),
        Refusal::Login(LoginError::AlreadyLoggedIn { .. }) => (S::CONFLICT, C::AlreadyLoggedIn),
        Refusal::Login(LoginError::ReserveNotActive) => (S::FORBIDDEN, C::ReserveNotActive),
        Refusal::NoOpenSession => (S::CONFLICT, C::NoOpenSession),
        Refusal::NotInSession => (S::FORBIDDEN, C::NotInSession),
        Refusal::AllDone => (S::CONFLICT, C::AllDone),
        Refusal::LoggedOut => (S::UNAUTHORIZED, C::LoggedOut),
        Refusal::NoToken => (S::CONFLICT, C::NoToken),
        Refusal::WrongToken => (S::CONFLICT, C::WrongToken),
        Refusal::NameMismatch => (S::CONFLICT, C::NameMismatch),
        Refusal::BirthDateMismatch => (S::CONFLICT, C::BirthDateMismatch),
        Refusal::Attempt(a) => match a {
            AttemptError::Finished(FinishReason::TimeOut) => (S::CONFLICT, C::TimeUp),
            AttemptError::Finished(FinishReason::Proctor(_)) => (S::CONFLICT, C::ForceFinished),
            AttemptError::Finished(_) => (S::CONFLICT, C::Finished),
            AttemptError::NotStarted => (S::CONFLICT, C::NotStarted),
            AttemptError::Doubtful(_) => (S::CONFLICT, C::Doubtful),
            AttemptError::TooEarly(_) => (S::CONFLICT, C::TooEarly),
            AttemptError::NotConfirmed => (S::CONFLICT, C::NotConfirmed),
            AttemptError::WrongPhase => (S::CONFLICT, C::WrongPhase),
        },
        Refusal::TokenRequired => (S::CONFLICT, C::TokenRequired),
        Refusal::UnknownItem => (S::NOT_FOUND, C::UnknownItem),
        Refusal::BadResponse(_) => (S::UNPROCESSABLE_ENTITY, C::BadResponse),
        Refusal::UnknownSession => (S::NOT_FOUND, C::UnknownSession),
        Refusal::AnotherSessionOpen(_) => (S::CONFLICT, C::AnotherSessionOpen),
        Refusal::AttemptsOpen(_) => (S::CONFLICT, C::AttemptsOpen),
        Refusal::SessionClosed => (S::CONFLICT, C::SessionClosed),
        Refusal::NotReserve => (S::CONFLICT, C::NotReserve),
        Refusal::SessionSealed(_) => (S::CONFLICT, C::SessionSealed),
        Refusal::ProctorExists => (S::CONFLICT, C::AlreadySetup),
        Refusal::ProctorChanged => (S::UNAUTHORIZED, C::Forbidden),
        // The page keeps the answer and sends it again (a 5xx): nothing is lost while paused.
        Refusal::Paused => (S::SERVICE_UNAVAILABLE, C::Paused),
        Refusal::PauseState => (S::CONFLICT, C::PauseState),
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
pub fn html_error(status: StatusCode, code: ErrorCode, lang: Lang, back: &str) -> Response {
    let page = ErrorPage {
        tr: Tr { lang },
        message: Tr { lang }.t(code.msg()),
        back,
    };
    (status, render(&page)).into_response()
}

/// The message of a `?e=CODE` query, when it names a code.
pub fn query_message(code: Option<&str>, lang: Lang) -> Option<&'static str> {
    code.and_then(ErrorCode::parse)
        .map(|c| Tr { lang }.t(c.msg()))
}

/// Fallback for unknown paths.
pub async fn not_found(headers: HeaderMap, uri: axum::http::Uri) -> Response {
    let lang = Lang::from_headers(&headers);
    if uri.path().starts_with("/api/") {
        return WebError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, lang).into_response();
    }
    html_error(StatusCode::NOT_FOUND, ErrorCode::NotFound, lang, "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_storage_failure_tells_the_proctor_its_cause_and_the_participant_to_retry() {
        let full = || RoomError::Storage(StoreError::storage(Fault::Full, "No space left"));
        let p = WebError::for_proctor(full(), Lang::Id);
        assert_eq!(p.code, ErrorCode::StorageFull);
        assert!(p.is_storage());
        assert!(p.message().contains("PENUH"), "{}", p.message());
        let p = WebError::for_proctor(full(), Lang::En);
        assert!(p.message().contains("FULL"), "{}", p.message());
        // The participant: not saved, try again (the cause is the proctor's to deal with).
        let q = WebError::room(full(), Lang::Id);
        assert_eq!(q.code, ErrorCode::Storage);
        assert!(q.message().contains("BELUM tersimpan"), "{}", q.message());
        let failing = RoomError::Storage(StoreError::storage(Fault::Failing, "I/O error"));
        assert_eq!(
            WebError::for_proctor(failing, Lang::Id).code,
            ErrorCode::StorageFailing
        );
        let corrupt = RoomError::Storage(StoreError::Corrupt {
            table: "answers",
            message: "x".into(),
        });
        assert_eq!(
            WebError::for_proctor(corrupt, Lang::Id).code,
            ErrorCode::StorageCorrupt
        );
        // Not a storage failure: unchanged.
        let other = WebError::for_proctor(RoomError::ProctorPassword, Lang::Id);
        assert_eq!(other.code, ErrorCode::ProctorPassword);
        assert!(!other.is_storage());
    }

    #[test]
    fn codes_serialise_as_their_names_and_parse_back() {
        for c in ErrorCode::ALL {
            assert_eq!(
                serde_json::to_value(c).unwrap(),
                serde_json::Value::from(c.as_str())
            );
            assert_eq!(ErrorCode::parse(c.as_str()), Some(*c));
            for lang in [Lang::Id, Lang::En] {
                assert!(Tr { lang }.t(c.msg()).len() > 5, "{c:?}");
            }
        }
        assert_eq!(ErrorCode::parse("bukan_kode"), None);
    }
}
