//! The paper of an exam day from the room's records (the documents themselves are
//! ruji-print's): the sync report, the attendance list of a session, its session report with
//! the proctor's and
//! the invigilator's notes, and login cards with new passwords (a reissue: the board keeps only
//! password hashes, so a card is printed the moment its password is made, and never again).
//!
//! The session report counts from the session's records and its events (the rule the results
//! bundle uses to say which events belong to a session):
//! - registered: the session's main participants; present: who logged in during the session or
//!   started one of its tests (reserves included); absent: main participants not present;
//! - finished: present participants whose every test of the session has ended (any way);
//! - ended by the proctor: each force-finished test with its reason;
//! - reserves: each activation, with whom the proctor said it replaces;
//! - resets: login resets per participant; incidents: [`crate::events::is_incident`];
//! - results: the session's results file, its upload and receipt.

use std::collections::{BTreeMap, BTreeSet};

use ruji_core::attempt::{FinishReason, Phase};
use ruji_core::package::Session;
use ruji_print::docs::{
    Attendance, AttendanceRow, CardData, LoginCards, Named, Place, ResultsFile, SessionInfo,
    SessionReport, SyncSession, SyncSheet, SyncTest,
};
use ruji_print::Lang;
use ruji_store::room::Refusal;
use ruji_store::tables::SessionNotes;
use ruji_store::Action;

use crate::error::flat;
use crate::events::{is_incident, Event, Filter, Wall};
use crate::passwords::Priority;
use crate::proctor::{proctor_only, ProctorLogin};
use crate::{Result, Room, RoomError};

/// The most new passwords one reissue makes (a class; a larger group is several classes).
pub const MAX_REISSUE: usize = 100;

/// Whose passwords to make anew.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reissue {
    /// One participant, by username.
    Participant(String),
    /// Every participant of a class (as the package names it).
    Class(String),
}

impl Room {
    /// The school, the room, and now in the board's zone.
    pub fn place(&self) -> Place {
        let school = &self.settings().school;
        Place {
            school: school.name.clone(),
            room: school.room.clone(),
            printed: school.zone.format_named(self.wall_now_ms() / 1000),
        }
    }

    /// A wall time in the board's zone, `≈` before an estimate.
    fn wall_text(&self, w: Option<Wall>) -> String {
        let zone = self.settings().school.zone;
        match w {
            Some(w) => format!(
                "{}{}",
                if w.estimated { "≈ " } else { "" },
                zone.format_named(w.secs)
            ),
            None => String::new(),
        }
    }

    fn session_info(&self, s: &Session) -> SessionInfo {
        let pkg = self.package();
        SessionInfo {
            exam: pkg.title.clone(),
            name: s.name.clone(),
            schedule: format!("{} {}", s.day, s.start),
            tests: s
                .tests
                .iter()
                .map(|t| pkg.test(t).map_or_else(|| t.clone(), |t| t.name.clone()))
                .collect(),
        }
    }

    fn named(&self, username: &str) -> Named {
        Named {
            username: username.to_string(),
            name: self
                .package()
                .participant(username)
                .map(|p| p.name.clone())
                .unwrap_or_default(),
        }
    }

    fn session_of(&self, id: &str) -> Result<Session> {
        self.package()
            .session(id)
            .cloned()
            .ok_or(RoomError::Refused(Refusal::UnknownSession))
    }

    /// The attendance list of session `id`: its participants in the session's order (the seat
    /// order the issuer listed), reserves last.
    pub fn attendance(&self, id: &str) -> Result<Attendance> {
        let s = self.session_of(id)?;
        let pkg = self.package();
        let mut rows: Vec<AttendanceRow> = s
            .participants
            .iter()
            .filter_map(|u| pkg.participant(u))
            .map(|p| AttendanceRow {
                username: p.username.clone(),
                name: p.name.clone(),
                class: p.class.clone(),
                reserve: p.reserve,
            })
            .collect();
        rows.sort_by_key(|r| r.reserve);
        Ok(Attendance {
            place: self.place(),
            session: self.session_info(&s),
            rows,
        })
    }

    /// The notes typed for session `id`'s report.
    pub fn session_notes(&self, id: &str) -> Result<SessionNotes> {
        Ok(self.store().session_notes(id)?)
    }

    /// Saves `login`'s notes for session `id`'s report: the proctor's or the invigilator's
    /// (the one thing the invigilator writes).
    pub async fn set_session_notes(
        &self,
        login: &ProctorLogin,
        id: &str,
        text: &str,
    ) -> Result<()> {
        flat(
            self.store()
                .set_session_notes(id, login.role, text.to_string())
                .await,
        )
    }

    /// The session report of session `id`, its incidents and results worded in `lang`.
    pub async fn session_report(&self, id: &str, lang: Lang) -> Result<SessionReport> {
        let s = self.session_of(id)?;
        let (room, sid) = (self.clone(), id.to_string());
        let export = self
            .read_whole_log(move || flat(room.store().session_export(&sid)))
            .await?;
        let log = self
            .events(Filter {
                session: Some(id.to_string()),
                ..Filter::default()
            })
            .await?;
        let pkg = self.package();
        let of = |e: &Event, a: Action| e.action == Some(a);
        let logged_in: BTreeSet<&str> = log
            .events
            .iter()
            .filter(|e| of(e, Action::Login))
            .filter_map(|e| e.participant.as_deref())
            .collect();
        let mut present = BTreeSet::new();
        let mut finished = 0;
        let mut force_finished = Vec::new();
        for p in &export.participants {
            let u = p.participant.username.as_str();
            let started = p
                .attempts
                .iter()
                .any(|a| a.attempt.phase != Phase::NotStarted);
            if started || logged_in.contains(u) {
                present.insert(u.to_string());
                if p.attempts.iter().all(|a| a.attempt.is_finished()) {
                    finished += 1;
                }
            }
            for a in &p.attempts {
                if let Phase::Finished {
                    reason: FinishReason::Proctor(why),
                    ..
                } = &a.attempt.phase
                {
                    force_finished.push((self.named(u), a.test.name.clone(), why.clone()));
                }
            }
        }
        let main: Vec<&str> = s
            .participants
            .iter()
            .filter(|u| pkg.participant(u).is_some_and(|p| !p.reserve))
            .map(String::as_str)
            .collect();
        let absent = main
            .iter()
            .filter(|u| !present.contains(**u))
            .map(|u| self.named(u))
            .collect();
        let mut resets: BTreeMap<String, usize> = BTreeMap::new();
        let mut reserves = Vec::new();
        let mut incidents = Vec::new();
        let (mut opened, mut closed) = (String::new(), String::new());
        for e in &log.events {
            match e.action {
                Some(Action::ResetLogin) => {
                    if let Some(u) = &e.participant {
                        *resets.entry(u.clone()).or_default() += 1;
                    }
                }
                Some(Action::ActivateReserve) => {
                    let replaced = e
                        .detail
                        .split_once(" replaces ")
                        .map(|(_, r)| {
                            let n = self.named(r.trim());
                            format!("{} {}", n.username, n.name)
                        })
                        .unwrap_or_default();
                    let u = e.participant.clone().unwrap_or_default();
                    reserves.push((self.named(&u), replaced));
                }
                Some(Action::OpenSession) => opened = self.wall_text(e.wall),
                Some(Action::CloseSession) => closed = self.wall_text(e.wall),
                _ => {}
            }
            if e.action.is_some_and(is_incident) {
                let what = ruji_print::labels::action(&e.action_name, lang).unwrap_or("");
                let detail = match e.participant.as_deref() {
                    Some(u) if !e.detail.contains(&self.named(u).name) => {
                        format!("{} ({})", e.detail, self.named(u).name)
                    }
                    _ => e.detail.clone(),
                };
                incidents.push((self.wall_text(e.wall), what.to_string(), detail));
            }
        }
        if export.state.open {
            closed.clear();
        }
        let notes = self.session_notes(id)?;
        Ok(SessionReport {
            place: self.place(),
            session: self.session_info(&s),
            opened,
            closed,
            registered: main.len(),
            present: present.len(),
            absent,
            finished,
            force_finished,
            reserves,
            resets: resets
                .into_iter()
                .map(|(u, n)| (self.named(&u), n))
                .collect(),
            results: self.results_file(id)?,
            incidents,
            proctor_notes: notes.proctor,
            invigilator_notes: notes.invigilator,
        })
    }

    /// The sync report ([`Room::sync_report`]) as its paper: times in the board's zone.
    pub fn sync_sheet(&self) -> SyncSheet {
        let r = self.sync_report();
        let zone = self.settings().school.zone;
        let at = |secs: u64| zone.format_named(secs);
        let p = &r.package;
        SyncSheet {
            place: self.place(),
            id: p.id.clone(),
            title: p.title.clone(),
            issuer: p.issuer.clone(),
            issuer_key: p.issuer_key.clone(),
            file: if p.imported {
                format!("{} ({} KB)", p.file, p.bytes.div_ceil(1024))
            } else {
                String::new()
            },
            imported: if p.imported {
                at(p.imported_at)
            } else {
                String::new()
            },
            server: r.server.clone(),
            board: r
                .board
                .as_ref()
                .map(|b| format!("{} ({})", b.id, b.key))
                .unwrap_or_default(),
            main: r.participants.main,
            reserve: r.participants.reserve,
            classes: r
                .participants
                .classes
                .iter()
                .filter(|(k, _)| !k.is_empty())
                .map(|(k, v)| format!("{k}: {v}"))
                .collect::<Vec<_>>()
                .join(", "),
            tests: r
                .tests
                .iter()
                .map(|t| SyncTest {
                    name: format!("{} ({})", t.name, t.id),
                    items: (!t.sealed).then_some(t.items),
                    minutes: t.duration_minutes,
                })
                .collect(),
            sessions: r
                .sessions
                .iter()
                .map(|s| SyncSession {
                    name: s.name.clone(),
                    schedule: format!("{} {}", s.day, s.start),
                    participants: s.participants,
                    released: s.released_at.map(at),
                })
                .collect(),
        }
    }

    /// Session `id`'s results file and its receipt, if made.
    fn results_file(&self, id: &str) -> Result<Option<ResultsFile>> {
        let zone = self.settings().school.zone;
        let at = |secs: u64| zone.format_named(secs);
        let results = self.session_results()?;
        Ok(results
            .iter()
            .find(|r| r.session == id)
            .and_then(|r| r.record.as_ref())
            .map(|record| ResultsFile {
                made: at(record.current.made_at),
                sha256: record.current.sha256.clone(),
                receipt: record
                    .acknowledged
                    .as_ref()
                    .filter(|a| a.bundle.sha256 == record.current.sha256)
                    .map(|a| at(a.at)),
            }))
    }

    /// New passwords for `who`, by the proctor: made, hashed and stored (the old ones stop
    /// working; audited), and returned once as login cards to print now. Nothing keeps them.
    pub async fn reissue_passwords(
        &self,
        login: &ProctorLogin,
        who: Reissue,
    ) -> Result<LoginCards> {
        proctor_only(login)?;
        let pkg = self.package();
        let chosen: Vec<&ruji_core::package::Participant> = match &who {
            Reissue::Participant(u) => pkg.participant(u).into_iter().collect(),
            Reissue::Class(c) => pkg
                .participants
                .iter()
                .filter(|p| p.class.trim() == c.trim())
                .collect(),
        };
        if chosen.is_empty() {
            return Err(RoomError::Refused(Refusal::UnknownParticipant));
        }
        if chosen.len() > MAX_REISSUE {
            return Err(RoomError::TooManyCards);
        }
        // One reissue at a time: two (a double click) would each store passwords, and the page
        // shown must hold the ones that stay.
        let _one = self.0.reissues.lock().await;
        let plain: Vec<(String, String)> = chosen
            .iter()
            .map(|p| (p.username.clone(), crate::new_password()))
            .collect();
        // In the logins' line, not before it: a class's new cards never hold up a room's logins.
        let hashes = self.hash_all(Priority::Login, plain.clone()).await?;
        flat(self.store().reissue_passwords(hashes).await)?;
        tracing::info!(
            count = plain.len(),
            "new passwords made; their cards printed"
        );
        let sessions_of = |u: &str| {
            pkg.sessions
                .iter()
                .filter(|s| s.participants.iter().any(|x| x == u))
                .map(|s| format!("{} · {} {}", s.name, s.day, s.start))
                .collect::<Vec<_>>()
                .join("; ")
        };
        Ok(LoginCards {
            exam: pkg.title.clone(),
            place: self.place(),
            cards: chosen
                .iter()
                .zip(&plain)
                .map(|(p, (_, password))| CardData {
                    username: p.username.clone(),
                    password: password.clone(),
                    name: p.name.clone(),
                    class: p.class.clone(),
                    session: sessions_of(&p.username),
                    reserve: p.reserve,
                })
                .collect(),
        })
    }
}
