//! The exam day's paper, each as print-ready HTML and as a PDF download (laid out by
//! ruji-print from the room's records): a session's attendance list and its session report
//! (with the page where the proctor and the invigilator type their notes), and login cards
//! with new passwords (shown once: the board keeps only the hashes).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use base64::Engine;
use ruji_print::Doc;
use ruji_room::printables::Reissue;
use ruji_room::proctor::Role;
use serde::Deserialize;

use super::{Note, Proctor, Viewer};
use crate::error::{render, WebError};
use crate::i18n::{Msg, Tr};
use crate::AppState;

/// A document as a PDF download named `name.pdf`.
fn pdf(doc: &Doc, name: &str) -> Response {
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.pdf\""),
            ),
            // A card's password is in it; no cache keeps any of these.
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        doc.to_pdf(),
    )
        .into_response()
}

/// A document as its printable page, with a link back and one to its PDF.
fn page(doc: &Doc, tr: Tr, back: &str, pdf: &str) -> Response {
    axum::response::Html(
        doc.to_html_with(&[(tr.t(Msg::Back), back), (tr.t(Msg::PrDownloadPdf), pdf)]),
    )
    .into_response()
}

/// Session `id`'s attendance list in the viewer's language.
fn attendance_doc(state: &AppState, v: &Viewer, id: &str) -> Result<Doc, WebError> {
    Ok(state
        .room
        .attendance(id)
        .map_err(|e| v.fail(e))?
        .doc(v.lang.into()))
}

/// Session `id`'s report in the viewer's language.
async fn report_doc(state: &AppState, v: &Viewer, id: &str) -> Result<Doc, WebError> {
    Ok(state
        .room
        .session_report(id, v.lang.into())
        .await
        .map_err(|e| v.fail(e))?
        .doc(v.lang.into()))
}

/// `GET /proctor/sessions/{id}/attendance`: the attendance list to print.
pub(super) async fn attendance(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let doc = attendance_doc(&state, &v, &id)?;
    let pdf = format!("/proctor/sessions/{id}/attendance.pdf");
    Ok(page(&doc, Tr { lang: v.lang }, "/proctor", &pdf))
}

/// `GET /proctor/sessions/{id}/attendance.pdf`.
pub(super) async fn attendance_pdf(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let doc = attendance_doc(&state, &v, &id)?;
    Ok(pdf(&doc, &format!("daftar-hadir-{id}")))
}

/// `GET /proctor/sessions/{id}/report/print`: the session report to print.
pub(super) async fn report_print(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let doc = report_doc(&state, &v, &id).await?;
    let (back, pdf) = (
        format!("/proctor/sessions/{id}/report"),
        format!("/proctor/sessions/{id}/report.pdf"),
    );
    Ok(page(&doc, Tr { lang: v.lang }, &back, &pdf))
}

/// `GET /proctor/sessions/{id}/report.pdf`.
pub(super) async fn report_pdf(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let doc = report_doc(&state, &v, &id).await?;
    Ok(pdf(&doc, &format!("berita-acara-{id}")))
}

#[derive(Template)]
#[template(path = "proctor_session_report.html")]
struct ReportPage {
    tr: Tr,
    csrf: String,
    id: String,
    name: String,
    counts: Vec<(&'static str, usize)>,
    /// The notes this login writes, and the other role's (read only).
    mine: String,
    theirs: String,
    mine_label: &'static str,
    theirs_label: &'static str,
    saved: bool,
    error: Option<&'static str>,
    can_act: bool,
}

/// `GET /proctor/sessions/{id}/report`: the session report's counts, and the form for this
/// login's notes (the proctor's or the invigilator's), with the links to print it.
pub(super) async fn report(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Query(note): Query<Note>,
) -> Result<Response, WebError> {
    let r = state
        .room
        .session_report(&id, v.lang.into())
        .await
        .map_err(|e| v.fail(e))?;
    let tr = Tr { lang: v.lang };
    let (mine, theirs, mine_label, theirs_label) = match v.session.login.role {
        Role::Proctor => (
            r.proctor_notes.clone(),
            r.invigilator_notes.clone(),
            tr.t(Msg::PrProctorNotes),
            tr.t(Msg::PrInvigilatorNotes),
        ),
        Role::Invigilator => (
            r.invigilator_notes.clone(),
            r.proctor_notes.clone(),
            tr.t(Msg::PrInvigilatorNotes),
            tr.t(Msg::PrProctorNotes),
        ),
    };
    let (error, ok) = note.texts(v.lang);
    Ok(render(&ReportPage {
        csrf: v.session.csrf.clone(),
        name: r.session.name.clone(),
        counts: vec![
            (tr.t(Msg::PrRegistered), r.registered),
            (tr.t(Msg::PrPresent), r.present),
            (tr.t(Msg::PrAbsent), r.absent.len()),
            (tr.t(Msg::PrFinished), r.finished),
            (tr.t(Msg::PrForceFinished), r.force_finished.len()),
            (tr.t(Msg::PrReserves), r.reserves.len()),
            (tr.t(Msg::PrResets), r.resets.iter().map(|x| x.1).sum()),
            (tr.t(Msg::PrIncidents), r.incidents.len()),
        ],
        id,
        mine,
        theirs,
        mine_label,
        theirs_label,
        saved: ok.is_some(),
        error,
        can_act: v.can_act(),
        tr,
    }))
}

#[derive(Deserialize)]
pub(super) struct NotesForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    notes: String,
}

/// `POST /proctor/sessions/{id}/notes`: this login's notes for the report (the proctor's, or
/// the invigilator's: the one thing the invigilator writes).
pub(super) async fn save_notes(
    State(state): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Form(f): Form<NotesForm>,
) -> Response {
    let back = format!("/proctor/sessions/{id}/report");
    if !v.csrf_ok(&f.csrf) {
        return v.csrf_refused(&back);
    }
    match state
        .room
        .set_session_notes(&v.session.login, &id, &f.notes)
        .await
    {
        Ok(()) => Redirect::to(&format!("{back}?ok=1")).into_response(),
        Err(e) => super::refused_at(&back, e, v.lang),
    }
}

#[derive(Template)]
#[template(path = "proctor_cards.html")]
struct CardsPage {
    tr: Tr,
    csrf: String,
    error: Option<&'static str>,
    participants: Vec<(String, String, String)>,
    classes: Vec<String>,
}

/// `GET /proctor/cards`: new passwords and their login cards, for one participant or a class.
pub(super) async fn cards_page(
    State(state): State<AppState>,
    p: Proctor,
    Query(note): Query<Note>,
) -> Response {
    let pkg = state.room.package();
    let mut classes: Vec<String> = pkg
        .participants
        .iter()
        .map(|p| p.class.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect();
    classes.sort();
    classes.dedup();
    render(&CardsPage {
        tr: Tr { lang: p.lang },
        csrf: p.session.csrf.clone(),
        error: note.texts(p.lang).0,
        participants: pkg
            .participants
            .iter()
            .map(|p| (p.username.clone(), p.name.clone(), p.class.clone()))
            .collect(),
        classes,
    })
}

#[derive(Deserialize)]
pub(super) struct CardsForm {
    #[serde(default)]
    csrf: String,
    /// A username, or empty.
    #[serde(default)]
    participant: String,
    /// A class, or empty.
    #[serde(default)]
    class: String,
    /// The box saying the old passwords stop working.
    #[serde(default)]
    confirm: Option<String>,
    /// `pdf`: the cards as a PDF download; else the page to print.
    #[serde(default)]
    format: String,
}

/// `POST /proctor/cards`: new passwords for one participant or a class (the old ones stop
/// working), answered with their cards: the page to print (its PDF inside it, to download:
/// nothing keeps the passwords, so no second request could make it) or the PDF itself.
pub(super) async fn reissue(
    State(state): State<AppState>,
    p: Proctor,
    Form(f): Form<CardsForm>,
) -> Response {
    if !p.csrf_ok(&f.csrf) {
        return p.csrf_refused("/proctor/cards");
    }
    let who = match (f.participant.trim(), f.class.trim()) {
        (u, "") if !u.is_empty() => Reissue::Participant(u.to_string()),
        ("", c) if !c.is_empty() => Reissue::Class(c.to_string()),
        _ => return Redirect::to("/proctor/cards?e=cards_choose").into_response(),
    };
    if f.confirm.is_none() {
        return Redirect::to("/proctor/cards?e=not_confirmed").into_response();
    }
    let cards = match state.room.reissue_passwords(&p.session.login, who).await {
        Ok(c) => c,
        Err(e) => return super::refused_at("/proctor/cards", e, p.lang),
    };
    let doc = cards.doc(p.lang.into());
    if f.format == "pdf" {
        return pdf(&doc, "kartu-login");
    }
    let data = format!(
        "data:application/pdf;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(doc.to_pdf())
    );
    let tr = Tr { lang: p.lang };
    let mut response = axum::response::Html(doc.to_html_with(&[
        (tr.t(Msg::Back), "/proctor/cards"),
        (tr.t(Msg::PrDownloadPdf), &data),
    ]))
    .into_response();
    // The passwords are on this page only: no cache keeps it.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, "no-store".parse().expect("a header"));
    response
}
