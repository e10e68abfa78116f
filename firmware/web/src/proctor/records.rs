//! What the proctor takes away: a session's results (the JSON download, `ruji-results`
//! version 1) and the event log.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::{Proctor, Viewer};
use crate::error::{render, WebError};
use crate::i18n::{Msg, Tr};
use crate::participant::hms;
use crate::AppState;

/// How many of the newest events the event log page shows.
const AUDIT_ROWS: usize = 300;

/// `GET /proctor/results/{id}.json`: the session's results; the session then no longer needs
/// a backup (until it is closed again after more answers).
pub(super) async fn results(
    State(state): State<AppState>,
    p: Proctor,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = id.trim_end_matches(".json").to_string();
    let export = state
        .room
        .export_results(&id)
        .await
        .map_err(|e| p.fail(e))?;
    let disposition = format!(
        "attachment; filename=\"hasil-{}-{}.json\"",
        export.package, id
    )
    .replace(|c: char| !c.is_ascii() || c == '\n', "_");
    Ok(([(header::CONTENT_DISPOSITION, disposition)], Json(export)).into_response())
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

/// `GET /proctor/audit`: the newest events.
pub(super) async fn audit(State(state): State<AppState>, p: Viewer) -> Result<Response, WebError> {
    let entries = state.room.audit_tail(AUDIT_ROWS).map_err(|e| p.fail(e))?;
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
