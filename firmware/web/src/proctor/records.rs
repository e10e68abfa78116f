//! What the proctor takes away: a session's results (the JSON download, `ruji-results`
//! version 1) and the event log as a proctor reads it (the room's [`ruji_room::events`]):
//! filters, a page at a time or every line to print, and CSV.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;

use ruji_core::wallclock::Zone;
use ruji_room::events::{is_incident, Event, Filter, Kind};
use serde::Deserialize;

use super::{Proctor, Viewer};
use crate::error::{render, WebError};
use crate::i18n::{Msg, Tr};
use crate::participant::hms;
use crate::AppState;

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

/// Lines per page of the event log (every line is reachable: older pages, CSV, print).
const PER_PAGE: usize = 200;

/// The event log's filters and page, as the form sends them (empty = no filter).
#[derive(Deserialize, Default)]
pub(super) struct EventsQuery {
    #[serde(default)]
    session: String,
    #[serde(default)]
    participant: String,
    #[serde(default)]
    kind: String,
    /// 1 = the newest lines.
    #[serde(default)]
    page: Option<usize>,
    /// Every line on one page (to print).
    #[serde(default)]
    all: Option<String>,
}

impl EventsQuery {
    fn filter(&self) -> Filter {
        let some = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
        Filter {
            session: some(&self.session),
            participant: some(&self.participant),
            kind: Kind::parse(self.kind.trim()),
        }
    }

    /// The query string of these filters (for the pages', CSV and print links).
    fn link(&self) -> String {
        let enc = |s: &str| crate::url_part(s.trim());
        format!(
            "session={}&participant={}&kind={}",
            enc(&self.session),
            enc(&self.participant),
            enc(&self.kind)
        )
    }
}

/// One line of the event log as the page and the CSV show it.
struct Line {
    seq: u64,
    /// Local wall time, `≈` before it when estimated; the exam clock when unknown.
    time: String,
    estimated: bool,
    actor: String,
    what: &'static str,
    /// The stored action name (for a future action this Ruji has no label for).
    code: String,
    detail: String,
    incident: bool,
}

fn line(e: &Event, tr: Tr, zone: Zone, names: &BTreeMap<&str, &str>) -> Line {
    let time = |w: Option<ruji_room::events::Wall>, at: u64| match w {
        Some(w) => format!(
            "{}{}",
            if w.estimated { "≈ " } else { "" },
            zone.format(w.secs)
        ),
        None => format!("{} ({})", tr.t(Msg::EvNoTime), hms(at)),
    };
    let actor = match e.actor.as_str() {
        "system" => tr.t(Msg::ActorSystem).to_string(),
        "proctor" => tr.t(Msg::Proctor).to_string(),
        "invigilator" => tr.t(Msg::Invigilator).to_string(),
        u => match names.get(u) {
            Some(n) => format!("{u} {n}"),
            None => u.to_string(),
        },
    };
    let detail = match &e.answers {
        Some(a) => format!(
            "{} {}, {} {} ({}) {} {}",
            a.saves,
            tr.t(Msg::EvSaves),
            a.items,
            tr.t(Msg::EvItems),
            a.tests.join(", "),
            tr.t(Msg::EvUntil),
            time(a.last_wall, a.last_at)
        ),
        None => match (e.participant.as_deref(), e.actor.as_str()) {
            // The proctor acted on a participant: name them.
            (Some(p), "proctor" | "system") => match names.get(p) {
                Some(n) => format!("{} ({n})", e.detail),
                None => e.detail.clone(),
            },
            _ => e.detail.clone(),
        },
    };
    Line {
        seq: e.seq,
        time: time(e.wall, e.at),
        estimated: e.wall.is_some_and(|w| w.estimated),
        actor,
        what: ruji_print::labels::action(&e.action_name, tr.lang.into()).unwrap_or(""),
        code: e.action_name.clone(),
        detail,
        incident: e.action.is_some_and(is_incident),
    }
}

#[derive(Template)]
#[template(path = "proctor_audit.html")]
struct AuditPage {
    tr: Tr,
    lines: Vec<Line>,
    /// All matching lines (not only this page's).
    total: usize,
    entries: u64,
    page: usize,
    pages: usize,
    all: bool,
    link: String,
    session: String,
    participant: String,
    kind: String,
    sessions: Vec<(String, String)>,
    participants: Vec<(String, String)>,
    kinds: Vec<(&'static str, &'static str)>,
    estimated: bool,
    heading: ruji_print::docs::Place,
    session_name: String,
    zone: &'static str,
    can_act: bool,
}

fn kind_label(k: Kind) -> Msg {
    match k {
        Kind::Participant => Msg::EvKindParticipant,
        Kind::Proctor => Msg::EvKindProctor,
        Kind::Incident => Msg::EvKindIncident,
        Kind::Results => Msg::EvKindResults,
        Kind::Account => Msg::EvKindAccount,
        Kind::Board => Msg::EvKindBoard,
    }
}

/// The matching events, newest first, as lines.
async fn lines(
    state: &AppState,
    v: &Viewer,
    q: &EventsQuery,
) -> Result<(Vec<Line>, u64), WebError> {
    let log = state.room.events(q.filter()).await.map_err(|e| v.fail(e))?;
    let pkg = state.room.package();
    let names: BTreeMap<&str, &str> = pkg
        .participants
        .iter()
        .map(|p| (p.username.as_str(), p.name.as_str()))
        .collect();
    let (tr, zone) = (Tr { lang: v.lang }, state.room.settings().school.zone);
    Ok((
        log.events
            .iter()
            .rev()
            .map(|e| line(e, tr, zone, &names))
            .collect(),
        log.entries,
    ))
}

/// `GET /proctor/audit`: the event log, newest first, a page at a time (or every line with
/// `all=1`, to print), with its filters.
pub(super) async fn audit(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<EventsQuery>,
) -> Result<Response, WebError> {
    let (mut all_lines, entries) = lines(&state, &v, &q).await?;
    let total = all_lines.len();
    let all = q.all.is_some();
    let pages = total.div_ceil(PER_PAGE).max(1);
    let page = q.page.unwrap_or(1).clamp(1, pages);
    let lines: Vec<Line> = if all {
        all_lines
    } else {
        all_lines
            .drain((page - 1) * PER_PAGE..(page * PER_PAGE).min(total))
            .collect()
    };
    let tr = Tr { lang: v.lang };
    let pkg = state.room.package();
    let school = &state.room.settings().school;
    let session_name = pkg
        .sessions
        .iter()
        .find(|s| s.id == q.session.trim())
        .map(|s| format!("{} ({} {})", s.name, s.day, s.start))
        .unwrap_or_default();
    Ok(render(&AuditPage {
        tr,
        estimated: lines.iter().any(|l| l.estimated),
        total,
        entries,
        page,
        pages,
        all,
        link: q.link(),
        session: q.session.trim().to_string(),
        participant: q.participant.trim().to_string(),
        kind: q.kind.trim().to_string(),
        sessions: pkg
            .sessions
            .iter()
            .map(|s| (s.id.clone(), s.name.clone()))
            .collect(),
        participants: pkg
            .participants
            .iter()
            .map(|p| (p.username.clone(), p.name.clone()))
            .collect(),
        kinds: Kind::ALL
            .iter()
            .map(|k| (k.name(), tr.t(kind_label(*k))))
            .collect(),
        heading: state.room.place(),
        session_name,
        can_act: v.can_act(),
        zone: school.zone.name(),
        lines,
    }))
}

/// `GET /proctor/audit.csv`: every matching line (the same filters), newest first: number,
/// time, estimated, by, event, code, detail. UTF-8 with a byte-order mark so that a
/// spreadsheet on Windows reads the letters right.
pub(super) async fn audit_csv(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<EventsQuery>,
) -> Result<Response, WebError> {
    let (lines, _) = lines(&state, &v, &q).await?;
    let tr = Tr { lang: v.lang };
    let zone = state.room.settings().school.zone;
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let header = [
        "#".to_string(),
        format!("{} ({})", tr.t(Msg::Time), zone.name()),
        tr.t(Msg::Who).to_string(),
        tr.t(Msg::What).to_string(),
        "code".to_string(),
        tr.t(Msg::Detail).to_string(),
    ];
    let fail = |e: csv::Error| {
        tracing::error!(error = %e, "event log CSV");
        WebError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            crate::error::ErrorCode::Storage,
            v.lang,
        )
    };
    w.write_record(&header).map_err(fail)?;
    for l in &lines {
        w.write_record([
            l.seq.to_string().as_str(),
            &l.time,
            &l.actor,
            l.what,
            &l.code,
            &l.detail,
        ])
        .map_err(fail)?;
    }
    let bytes = w.into_inner().map_err(|e| fail(e.into_error().into()))?;
    let name = match q.session.trim() {
        "" => "catatan-kejadian.csv".to_string(),
        s => format!("catatan-kejadian-{s}.csv"),
    }
    .replace(
        |c: char| !c.is_ascii_alphanumeric() && c != '.' && c != '-',
        "_",
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}
