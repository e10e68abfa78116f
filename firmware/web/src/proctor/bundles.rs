//! The "Hasil & unggah" page: each session's signed results file (download), whether the
//! central server has acknowledged it (per session and per participant), "upload now", and a
//! receipt uploaded by hand. The work is the room's ([`ruji_room::results`]).

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use ruji_room::results::{ParticipantAck, UploadProblem};

use super::{utc, CsrfForm, Note, Proctor};
use crate::error::{render, WebError};
use crate::i18n::{Msg, Tr};
use crate::AppState;

struct Row {
    id: String,
    name: String,
    open: bool,
    made: bool,
    made_at: u64,
    made_text: String,
    sha: String,
    acknowledged: bool,
    ack_at: u64,
    ack_text: String,
    tries: u32,
    problem: Option<&'static str>,
    last_error: String,
    can_make: bool,
}

/// What the page says about a failed upload.
fn problem_text(p: UploadProblem) -> Msg {
    match p {
        UploadProblem::Unreachable => Msg::RsProbUnreachable,
        UploadProblem::Certificate => Msg::RsProbCertificate,
        UploadProblem::DeviceUnknown => Msg::RsProbDeviceUnknown,
        UploadProblem::PackageUnknown => Msg::RsProbPackageUnknown,
        UploadProblem::BadBundle => Msg::RsProbBadBundle,
        UploadProblem::ServerBusy => Msg::RsProbServerBusy,
        UploadProblem::Receipt => Msg::RsProbReceipt,
        UploadProblem::File => Msg::RsProbFile,
        UploadProblem::Other => Msg::RsProbOther,
    }
}

#[derive(Template)]
#[template(path = "proctor_bundles.html")]
struct BundlesPage {
    tr: Tr,
    csrf: String,
    error: Option<&'static str>,
    ok: Option<String>,
    central: Option<String>,
    rows: Vec<Row>,
    sticks: Vec<StickRow>,
    any_results: bool,
}

/// A USB stick the results can be saved to.
struct StickRow {
    name: String,
    /// "3.1 GB free of 14.2 GB", or empty.
    space: String,
}

/// The page's query: `?e=` an error code, `?ok=` what was done, `?n=` how many files.
#[derive(serde::Deserialize)]
pub(super) struct PageQuery {
    #[serde(default)]
    e: Option<String>,
    #[serde(default)]
    ok: Option<String>,
    #[serde(default)]
    n: Option<usize>,
}

/// `1.5 GB`, `820 MB`, `4 KB` (decimal, as sticks are sold).
fn size(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= 1e9 {
        format!("{:.1} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.0} MB", b / 1e6)
    } else {
        format!("{:.0} KB", (b / 1e3).ceil())
    }
}

/// `GET /proctor/bundles`.
pub(super) async fn page(
    State(state): State<AppState>,
    p: Proctor,
    Query(q): Query<PageQuery>,
) -> Result<Response, WebError> {
    let tr = Tr { lang: p.lang };
    let note = Note { e: q.e, ok: q.ok };
    let (error, ok) = note.texts(p.lang);
    let ok = match note.ok.as_deref() {
        Some("receipt") => Some(tr.t(Msg::RsReceiptOk).to_string()),
        Some("upload") => Some(tr.t(Msg::RsUploadStarted).to_string()),
        Some(u @ ("usb_safe" | "usb_written")) => Some(format!(
            "{} {}. {}",
            tr.t(Msg::RsUsbSaved),
            q.n.unwrap_or(0),
            tr.t(if u == "usb_safe" {
                Msg::RsUsbSafe
            } else {
                Msg::RsUsbEjectYourself
            })
        )),
        _ => ok.map(str::to_string),
    };
    let results = state.room.session_results().map_err(|e| p.fail(e))?;
    let sessions = state.room.sessions().map_err(|e| p.fail(e))?;
    let rows: Vec<Row> = sessions
        .iter()
        .zip(results)
        .map(|((s, st), r)| {
            let acknowledged = r.acknowledged();
            let rec = r.record.unwrap_or_default();
            let ack = rec.acknowledged.clone().unwrap_or_default();
            Row {
                id: s.id.clone(),
                name: s.name.clone(),
                open: st.open,
                made: !rec.current.sha256.is_empty(),
                made_at: rec.current.made_at,
                made_text: utc(rec.current.made_at),
                sha: rec.current.sha256.chars().take(12).collect(),
                acknowledged,
                ack_at: ack.at,
                ack_text: utc(ack.at),
                tries: rec.tries,
                problem: UploadProblem::from_name(&rec.last_problem).map(|p| tr.t(problem_text(p))),
                last_error: rec.last_error,
                can_make: st.opened_at.is_some(),
            }
        })
        .collect();
    let any_results = rows.iter().any(|r| r.can_make);
    let sticks = state
        .room
        .usb_sticks()
        .await
        .into_iter()
        .map(|s| StickRow {
            space: match (s.free, s.size) {
                (Some(f), Some(t)) if t > 0 => {
                    format!("{} {} {}", size(f), tr.t(Msg::RsUsbFreeOf), size(t))
                }
                _ => String::new(),
            },
            name: s.name,
        })
        .collect();
    let central = match &state.room.settings().central {
        Some(Ok(c)) => Some(c.url().to_string()),
        _ => None,
    };
    Ok(render(&BundlesPage {
        tr,
        csrf: p.session.csrf.clone(),
        error,
        ok,
        central,
        rows,
        sticks,
        any_results,
    }))
}

#[derive(Template)]
#[template(path = "proctor_bundle.html")]
struct BundlePage {
    tr: Tr,
    session: String,
    participants: Vec<ParticipantAck>,
}

/// `GET /proctor/bundles/{id}`: per participant, whether the central server has their results.
pub(super) async fn detail(
    State(state): State<AppState>,
    p: Proctor,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let session = state
        .room
        .package()
        .session(&id)
        .map(|s| s.name.clone())
        .ok_or_else(|| p.fail(ruji_room::Refusal::UnknownSession.into()))?;
    let participants = state
        .room
        .participant_acks(&id)
        .await
        .map_err(|e| p.fail(e))?;
    Ok(render(&BundlePage {
        tr: Tr { lang: p.lang },
        session,
        participants,
    }))
}

/// `GET /proctor/bundles/{id}/file`: the session's results file (made first if the session
/// changed since the last one).
pub(super) async fn file(
    State(state): State<AppState>,
    p: Proctor,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let (name, bytes) = state
        .room
        .download_bundle(&id)
        .await
        .map_err(|e| p.fail(e))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// `POST /proctor/bundles/upload-now`.
pub(super) async fn upload_now(
    State(state): State<AppState>,
    p: Proctor,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !p.csrf_ok(&f.csrf) {
        return p.csrf_refused("/proctor/bundles");
    }
    state.room.upload_now();
    Redirect::to("/proctor/bundles?ok=upload").into_response()
}

/// `GET /proctor/report?session=S1&format=xlsx`: the query of a report download (`session`
/// empty: every session with results; `format`: `xlsx`, `html`, `csv-scores`, `csv-responses`,
/// `csv-items`, `csv-essays`).
#[derive(serde::Deserialize)]
pub(super) struct ReportQuery {
    #[serde(default)]
    session: String,
    #[serde(default)]
    format: String,
}

/// `GET /proctor/report`: a report for teachers, made from the board's results files (the HTML
/// opens in the browser, to print; the others download).
pub(super) async fn report(
    State(state): State<AppState>,
    p: Proctor,
    Query(q): Query<ReportQuery>,
) -> Response {
    use ruji_room::reports::{Lang as RLang, Part, ReportFormat as F};
    let format = match q.format.as_str() {
        "xlsx" => F::Xlsx,
        "html" => F::Html(match p.lang {
            crate::i18n::Lang::En => RLang::En,
            _ => RLang::Id,
        }),
        "csv-scores" => F::Csv(Part::Scores),
        "csv-responses" => F::Csv(Part::Responses),
        "csv-items" => F::Csv(Part::Items),
        "csv-essays" => F::Csv(Part::Essays),
        _ => {
            return WebError::new(
                axum::http::StatusCode::NOT_FOUND,
                crate::error::ErrorCode::NotFound,
                p.lang,
            )
            .into_response()
        }
    };
    let session = Some(q.session.as_str()).filter(|s| !s.is_empty());
    match state.room.report(session, format).await {
        Ok(f) => {
            let disposition = if matches!(format, F::Html(_)) {
                "inline"
            } else {
                "attachment"
            };
            (
                [
                    (header::CONTENT_TYPE, f.content_type.to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("{disposition}; filename=\"{}\"", f.name),
                    ),
                ],
                f.bytes,
            )
                .into_response()
        }
        Err(e) => {
            let e = p.fail(e);
            Redirect::to(&format!("/proctor/bundles?e={}", e.code.as_str())).into_response()
        }
    }
}

/// The stick chosen on the page.
#[derive(serde::Deserialize)]
pub(super) struct UsbForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    stick: String,
}

/// `POST /proctor/bundles/usb`: every session's results file to the chosen stick, which is
/// then unmounted (the page says when it is safe to pull out).
pub(super) async fn to_usb(
    State(state): State<AppState>,
    p: Proctor,
    Form(f): Form<UsbForm>,
) -> Response {
    if !p.csrf_ok(&f.csrf) {
        return p.csrf_refused("/proctor/bundles");
    }
    match state.room.export_results_to_usb(&f.stick).await {
        Ok(x) => Redirect::to(&format!(
            "/proctor/bundles?ok={}&n={}",
            if x.ejected { "usb_safe" } else { "usb_written" },
            x.files.len()
        ))
        .into_response(),
        Err(e) => {
            let e = p.fail(e);
            Redirect::to(&format!("/proctor/bundles?e={}", e.code.as_str())).into_response()
        }
    }
}

/// `POST /proctor/bundles/receipt` (multipart: `csrf`, `receipt`): a receipt from the central
/// server's page.
pub(super) async fn receipt(
    State(state): State<AppState>,
    p: Proctor,
    mut mp: Multipart,
) -> Response {
    let (mut csrf, mut text) = (String::new(), None);
    while let Ok(Some(field)) = mp.next_field().await {
        let name = field.name().unwrap_or("").to_string();
        let Ok(b) = field.bytes().await else { break };
        match name.as_str() {
            "csrf" => csrf = String::from_utf8_lossy(&b).into_owned(),
            "receipt" => text = Some(String::from_utf8_lossy(&b).into_owned()),
            _ => {}
        }
    }
    if !p.csrf_ok(&csrf) {
        return p.csrf_refused("/proctor/bundles");
    }
    let Some(text) = text else {
        return Redirect::to("/proctor/bundles?e=receipt_refused").into_response();
    };
    match state.room.accept_receipt(&text).await {
        Ok(()) => Redirect::to("/proctor/bundles?ok=receipt").into_response(),
        Err(e) => {
            let e = p.fail(e);
            Redirect::to(&format!("/proctor/bundles?e={}", e.code.as_str())).into_response()
        }
    }
}
