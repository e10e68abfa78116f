//! The "Jaringan" page: the seats the board sees on the LAN, who is logged in from each, and
//! the LAN doctor's findings; "Cek semua" asks the LAN service for a scan now.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use axum_extra::extract::Form;
use ruji_lan::ClaimStatus;
use serde_json::Value;

use super::{CsrfForm, Note, Proctor, Viewer};
use crate::error::render;
use crate::i18n::{Lang, Msg, Tr};
use crate::AppState;

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
    /// The proctor (may rescan) or the invigilator.
    can_act: bool,
}

/// Who is logged in from which address (the participant's login records the client).
async fn who_sits_where(state: &AppState) -> HashMap<String, String> {
    let Ok(Some((session, _))) = state.room.current_session() else {
        return HashMap::new();
    };
    state
        .room
        .seat_rows(&session.id)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter_map(|r| {
            let s = r.status;
            s.client.map(|c| (c, format!("{} {}", s.username, s.name)))
        })
        .collect()
}

/// `GET /proctor/network`.
pub(super) async fn page(
    State(state): State<AppState>,
    p: Viewer,
    Query(note): Query<Note>,
) -> Response {
    let tr = Tr { lang: p.lang };
    let by_ip = who_sits_where(&state).await;
    let mut page = NetworkPage {
        tr,
        csrf: p.session.csrf.clone(),
        ok: note.texts(p.lang).1,
        running: state.room.lan_running(),
        claim: "",
        address: String::new(),
        link_up: false,
        seats: vec![],
        findings: vec![],
        can_act: p.can_act(),
    };
    if let Some(st) = state.room.lan_status() {
        let r = &st.report;
        page.claim = tr.t(match st.claim {
            ClaimStatus::Bound => Msg::LanBound,
            ClaimStatus::Refused | ClaimStatus::Lost => Msg::LanConflict,
            ClaimStatus::Probing => Msg::LanProbing,
        });
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

/// `GET /proctor/network.json`: the LAN service's status (the `ruji lan-check` shape plus
/// `claim`); `null` when the service does not run.
pub(super) async fn json(State(state): State<AppState>, _p: Viewer) -> Json<Value> {
    Json(serde_json::to_value(state.room.lan_status()).unwrap_or(Value::Null))
}

/// `POST /proctor/network/rescan`: "Cek semua", scan every seat now.
pub(super) async fn rescan(
    State(state): State<AppState>,
    p: Proctor,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !p.csrf_ok(&f.csrf) {
        return p.csrf_refused("/proctor");
    }
    state.room.rescan_lan();
    Redirect::to("/proctor/network?ok=1").into_response()
}
