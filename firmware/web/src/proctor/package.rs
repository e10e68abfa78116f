//! The proctor's "Paket Soal" page: importing a signed package (upload with a progress bar, or
//! from a USB stick), entering a session's release code or fetching it from the central server,
//! the trusted issuers; the sync report (berita acara sinkronisasi); and `/a/{name}`, the
//! items' pictures and sound with long-lived caching. The work is the room's
//! ([`ruji_room::packages`]); this module reads forms and renders pages.

use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use ruji_room::packages::{SyncReport, Trusted, MAX_PACKAGE_BYTES};
use ruji_room::Actor;
use ruji_room::{PackageError, PackageErrorKind as K, RoomError};
use serde::Deserialize;

use super::{Proctor, Viewer};
use crate::error::render;
use crate::i18n::{Msg, Tr};
use crate::AppState;

/// Routes under `/proctor/package`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(page))
        .route(
            "/upload",
            post(upload).layer(DefaultBodyLimit::max(MAX_PACKAGE_BYTES + 64 * 1024)),
        )
        .route("/usb", post(from_usb))
        .route("/release", post(release))
        .route("/central", post(from_central))
        .route("/trust", post(trust))
        .route("/report", get(report_page))
        .route("/report.json", get(report_json))
        .route("/report.pdf", get(report_pdf))
}

/// The headline of a package failure.
fn failure_msg(kind: K) -> Msg {
    match kind {
        K::Zip => Msg::PkgErrZip,
        K::Damaged => Msg::PkgErrDamaged,
        K::Version => Msg::PkgErrVersion,
        K::Tampered => Msg::PkgErrTampered,
        K::Untrusted => Msg::PkgErrUntrusted,
        K::WrongCode => Msg::PkgErrWrongCode,
        K::CodeTypo => Msg::PkgErrCodeTypo,
        K::NoSession => Msg::PkgErrNoSession,
        K::Invalid => Msg::PkgErrInvalid,
        K::PlainPasswords => Msg::PkgErrPlainPasswords,
        K::Replace => Msg::PkgErrReplace,
        K::SessionOpen => Msg::PkgErrSessionOpen,
        K::Storage => Msg::PkgErrStorage,
        K::Upload => Msg::PkgErrUpload,
        K::NoFile => Msg::PkgErrNoFile,
        K::Key => Msg::PkgErrKey,
        K::None => Msg::PkgErrNone,
        K::CentralOff => Msg::PkgErrCentralOff,
        K::CentralUnreachable => Msg::PkgErrCentralUnreachable,
        K::CentralCert => Msg::PkgErrCentralCert,
        K::CentralEarly => Msg::PkgErrCentralEarly,
        K::CentralDevice => Msg::PkgErrCentralDevice,
        K::CentralChanged => Msg::PkgErrCentralChanged,
        K::CentralUnknown => Msg::PkgErrCentralUnknown,
        K::CentralUnscheduled => Msg::PkgErrCentralUnscheduled,
        K::CentralOther => Msg::PkgErrCentralOther,
    }
}

/// `GET /proctor/package/report.json`.
async fn report_json(State(state): State<AppState>, _p: Viewer) -> axum::Json<SyncReport> {
    axum::Json(state.room.sync_report())
}

/// `GET /proctor/package/report`: the sync report, to print (ruji-print's page).
async fn report_page(State(state): State<AppState>, p: Viewer) -> Response {
    let doc = state.room.sync_sheet().doc(p.lang.into());
    axum::response::Html(doc.to_html_with(&[
        (Tr { lang: p.lang }.t(Msg::Back), "/proctor/package"),
        (
            Tr { lang: p.lang }.t(Msg::PrDownloadPdf),
            "/proctor/package/report.pdf",
        ),
    ]))
    .into_response()
}

/// `GET /proctor/package/report.pdf`: the sync report as PDF.
async fn report_pdf(State(state): State<AppState>, p: Viewer) -> Response {
    let doc = state.room.sync_sheet().doc(p.lang.into());
    (
        [
            (header::CONTENT_TYPE, "application/pdf"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"berita-acara-sinkronisasi.pdf\"",
            ),
        ],
        doc.to_pdf(),
    )
        .into_response()
}

/// `GET /a/{name}`: an item's picture or sound, cached for a year (names are content hashes).
pub async fn asset(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    match state.room.asset(&name).await {
        Some((mime, bytes)) => (
            [
                (header::CONTENT_TYPE, mime),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

struct TestRow {
    id: String,
    name: String,
    items: usize,
    minutes: u32,
    sealed: bool,
}

struct SessionRow {
    id: String,
    name: String,
    when: String,
    sealed: bool,
}

#[derive(Template)]
#[template(path = "proctor_package.html")]
struct PackagePage {
    tr: Tr,
    csrf: String,
    ok: Option<&'static str>,
    error: Option<(&'static str, String)>,
    id: String,
    title: String,
    issuer: String,
    imported: bool,
    participants: usize,
    tests: Vec<TestRow>,
    sessions: Vec<SessionRow>,
    usb: Vec<String>,
    trusted: Vec<Trusted>,
    max_mb: usize,
    /// The central server's address when it can be asked.
    central: Option<String>,
    /// Why the configured central server cannot be asked.
    central_problem: Option<String>,
}

#[derive(Deserialize, Default)]
pub(super) struct PageQuery {
    #[serde(default)]
    ok: Option<String>,
}

async fn build_page(
    state: &AppState,
    p: &Proctor,
    ok: Option<&'static str>,
    error: Option<(&'static str, String)>,
) -> PackagePage {
    let tr = Tr { lang: p.lang };
    let pkg = state.room.package();
    let central = &state.room.settings().central;
    PackagePage {
        tr,
        csrf: p.session.csrf.clone(),
        ok,
        error,
        id: pkg.id.clone(),
        title: pkg.title.clone(),
        issuer: pkg.issuer.clone(),
        imported: state.room.package_source().is_some(),
        participants: pkg.participants.len(),
        tests: pkg
            .tests
            .iter()
            .map(|t| TestRow {
                id: t.id.clone(),
                name: t.name.clone(),
                items: t.items.len(),
                minutes: t.duration_minutes,
                sealed: t.sealed,
            })
            .collect(),
        sessions: pkg
            .sessions
            .iter()
            .map(|s| SessionRow {
                id: s.id.clone(),
                name: s.name.clone(),
                when: format!("{} {}", s.day, s.start).trim().to_string(),
                sealed: s.tests.iter().filter_map(|t| pkg.test(t)).any(|t| t.sealed),
            })
            .collect(),
        usb: state.room.usb_packages().await,
        trusted: state.room.trusted_issuers(),
        max_mb: MAX_PACKAGE_BYTES >> 20,
        central: match central {
            Some(Ok(c)) => Some(c.url().to_string()),
            _ => None,
        },
        central_problem: match central {
            Some(Err(e)) => Some(e.clone()),
            _ => None,
        },
    }
}

async fn page(State(state): State<AppState>, p: Proctor, Query(q): Query<PageQuery>) -> Response {
    let tr = Tr { lang: p.lang };
    let ok = q.ok.as_deref().map(|ok| {
        tr.t(match ok {
            "imported" => Msg::PkgImported,
            "released" => Msg::PkgReleased,
            "central" => Msg::PkgReleasedCentral,
            "trusted" => Msg::PkgTrusted,
            _ => Msg::DoneOk,
        })
    });
    render(&build_page(&state, &p, ok, None).await)
}

/// The page again with what failed and what to do; nothing was changed.
async fn failed(state: &AppState, p: &Proctor, e: RoomError) -> Response {
    let f = match e {
        RoomError::Package(f) => f,
        other => PackageError::storage(other),
    };
    tracing::warn!(kind = ?f.kind, detail = %f.detail, "package action refused");
    let tr = Tr { lang: p.lang };
    let page = build_page(state, p, None, Some((tr.t(failure_msg(f.kind)), f.detail))).await;
    (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response()
}

fn package_error(kind: K, detail: impl Into<String>) -> RoomError {
    RoomError::Package(PackageError::new(kind, detail))
}

/// `POST /proctor/package/upload` (multipart: `csrf`, `package`).
async fn upload(State(state): State<AppState>, p: Proctor, mut mp: Multipart) -> Response {
    let mut csrf = String::new();
    let mut bytes: Option<Vec<u8>> = None;
    loop {
        match mp.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_string();
                match field.bytes().await {
                    Ok(b) if name == "csrf" => csrf = String::from_utf8_lossy(&b).into_owned(),
                    Ok(b) if name == "package" => bytes = Some(b.to_vec()),
                    Ok(_) => {}
                    Err(e) => {
                        return failed(&state, &p, package_error(K::Upload, e.to_string())).await
                    }
                }
            }
            Ok(None) => break,
            Err(e) => return failed(&state, &p, package_error(K::Upload, e.to_string())).await,
        }
    }
    if !p.csrf_ok(&csrf) {
        return p.csrf_refused("/proctor/package");
    }
    match bytes {
        Some(b) if !b.is_empty() => match state.room.import_package(b, Actor::Proctor).await {
            Ok(_) => Redirect::to("/proctor/package?ok=imported").into_response(),
            Err(e) => failed(&state, &p, e).await,
        },
        _ => failed(&state, &p, package_error(K::NoFile, "")).await,
    }
}

#[derive(Deserialize)]
pub(super) struct UsbForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    path: String,
}

/// `POST /proctor/package/usb`: imports a package listed from a USB stick.
async fn from_usb(State(state): State<AppState>, p: Proctor, Form(f): Form<UsbForm>) -> Response {
    if !p.csrf_ok(&f.csrf) {
        return p.csrf_refused("/proctor/package");
    }
    match state.room.import_from_usb(&f.path, Actor::Proctor).await {
        Ok(_) => Redirect::to("/proctor/package?ok=imported").into_response(),
        Err(e) => failed(&state, &p, e).await,
    }
}

#[derive(Deserialize)]
pub(super) struct ReleaseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    session: String,
    #[serde(default)]
    code: String,
}

/// `POST /proctor/package/release`.
async fn release(
    State(state): State<AppState>,
    p: Proctor,
    Form(f): Form<ReleaseForm>,
) -> Response {
    if !p.csrf_ok(&f.csrf) {
        return p.csrf_refused("/proctor/package");
    }
    match state
        .room
        .release_with_code(&f.session, &f.code, Actor::Proctor)
        .await
    {
        Ok(()) => Redirect::to("/proctor/package?ok=released").into_response(),
        Err(e) => failed(&state, &p, e).await,
    }
}

#[derive(Deserialize)]
pub(super) struct CentralForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    session: String,
}

/// `POST /proctor/package/central`: fetches the session's release code from the central
/// server and releases the session with it.
async fn from_central(
    State(state): State<AppState>,
    p: Proctor,
    Form(f): Form<CentralForm>,
) -> Response {
    if !p.csrf_ok(&f.csrf) {
        return p.csrf_refused("/proctor/package");
    }
    match state
        .room
        .release_from_central(&f.session, Actor::Proctor)
        .await
    {
        Ok(()) => Redirect::to("/proctor/package?ok=central").into_response(),
        Err(e) => failed(&state, &p, e).await,
    }
}

#[derive(Deserialize)]
pub(super) struct TrustForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    key: String,
}

/// `POST /proctor/package/trust`: adds an issuer key.
async fn trust(State(state): State<AppState>, p: Proctor, Form(f): Form<TrustForm>) -> Response {
    if !p.csrf_ok(&f.csrf) {
        return p.csrf_refused("/proctor/package");
    }
    match state.room.trust_issuer(&f.label, &f.key).await {
        Ok(()) => Redirect::to("/proctor/package?ok=trusted").into_response(),
        Err(e @ RoomError::Package(_)) => failed(&state, &p, e).await,
        Err(e) => p.fail(e).into_response(),
    }
}
