//! The event log as a proctor reads it: every entry of the store's audit log (nothing dropped),
//! filtered by session, participant and kind, with a participant's answer saves folded into
//! one line per run, and wall times a proctor can trust or knows to be estimates.
//!
//! - **Answers summarised.** The store keeps one entry per save. Here, a participant's saves
//!   from the first one after any other event of theirs to the next such event (login, finish,
//!   a reset...) become one [`Event`] with [`Answers`]: how many saves, how many items, from
//!   when to when.
//! - **Wall times.** An entry's wall time is the board's clock when it was written. Before the
//!   clock was set (a board without battery starts in 1970) it is not a time of that day: such
//!   an entry is given the time of the next entry written with a set clock, less the exam-clock
//!   time between them, and marked as estimated (the exam clock does not count while the board
//!   was off, so an estimate across a power cut is late by the time the board was off).
//! - **Kinds** ([`Kind`]): what a filter offers; incidents ([`is_incident`]) are what the
//!   session report lists.
//!
//! The whole log is read once per request on the blocking pool, one read at a time
//! (`Inner::event_reads`); what is kept is one line per event that is not an answer save plus
//! one per run of saves, so a day of autosaves costs a handful of lines per participant.

use std::collections::{BTreeSet, HashMap};

use ruji_core::wallclock::PLAUSIBLE_SECS;
use ruji_core::Millis;
use ruji_store::{Action, AuditEntry};

use crate::{Result, Room, RoomError};

/// What a filter can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// What participants did: login, start, answers, finish, time-outs.
    Participant,
    /// The proctor's actions on the room: sessions, tokens, resets, force finish, reserves.
    Proctor,
    /// What the session report lists as incidents ([`is_incident`]).
    Incident,
    /// Results: bundles, uploads, receipts, downloads, USB sticks.
    Results,
    /// Accounts and security: the proctor's and invigilator's logins and passwords, lock-outs.
    Account,
    /// The board: packages, releases, trusted issuers, the clock, recovery.
    Board,
}

impl Kind {
    /// Every kind, in the filter's order.
    pub const ALL: [Kind; 6] = [
        Kind::Participant,
        Kind::Proctor,
        Kind::Incident,
        Kind::Results,
        Kind::Account,
        Kind::Board,
    ];

    /// The name in a URL (`?kind=`).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Participant => "participant",
            Kind::Proctor => "proctor",
            Kind::Incident => "incident",
            Kind::Results => "results",
            Kind::Account => "account",
            Kind::Board => "board",
        }
    }

    /// The kind named `s`.
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == s)
    }

    /// Does an entry of `action` match this kind.
    pub fn matches(self, action: Option<Action>) -> bool {
        match (self, action) {
            (Kind::Incident, Some(a)) => is_incident(a),
            (k, Some(a)) => kind_of(a) == k,
            // An action this Ruji does not know (a newer one's log): only unfiltered.
            (_, None) => false,
        }
    }
}

/// The kind an action is listed under (incidents are also listed under their own kind).
pub fn kind_of(action: Action) -> Kind {
    use Action as A;
    match action {
        A::Login
        | A::Logout
        | A::Start
        | A::Resume
        | A::EndPractice
        | A::Answer
        | A::Finish
        | A::Timeout
        | A::PasswordUpgraded => Kind::Participant,
        A::OpenSession
        | A::CloseSession
        | A::RotateToken
        | A::ResetLogin
        | A::ForceFinish
        | A::ExtraTime
        | A::PauseAll
        | A::ResumeAll
        | A::ActivateReserve
        | A::PasswordReissued
        | A::SessionNotes => Kind::Proctor,
        A::ResultsExported | A::ResultsBundled | A::ResultsAcknowledged | A::ResultsToUsb => {
            Kind::Results
        }
        A::CookieKeyCreated
        | A::ProctorPasswordCreated
        | A::ProctorPasswordReset
        | A::ProctorLogin
        | A::ProctorLogout
        | A::ProctorPasswordChanged
        | A::LockedOut
        | A::InvigilatorPasswordSet
        | A::InvigilatorRemoved
        | A::InvigilatorLogin
        | A::InvigilatorLogout
        | A::SignedOutEverywhere => Kind::Account,
        A::PackageInstalled
        | A::PackageImported
        | A::SessionReleased
        | A::IssuerTrusted
        | A::Recovery
        | A::ClockSet => Kind::Board,
    }
}

/// Is an entry of `action` an incident: something the session report must account for
/// (a login reset, a force finish, a reserve activated, a new password, a lock-out after wrong
/// passwords, a recovery, the clock set, every login ended).
pub fn is_incident(action: Action) -> bool {
    matches!(
        action,
        Action::ResetLogin
            | Action::ForceFinish
            | Action::ExtraTime
            | Action::PauseAll
            | Action::ResumeAll
            | Action::ActivateReserve
            | Action::PasswordReissued
            | Action::LockedOut
            | Action::Recovery
            | Action::ProctorPasswordReset
            | Action::ClockSet
            | Action::SignedOutEverywhere
    )
}

/// Which events to list; `None` fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Events of this session (its own, its participants' in its tests, their logins while it
    /// was last open: [`AuditEntry::concerns`]).
    pub session: Option<String>,
    /// Events about this participant ([`AuditEntry::participant`]).
    pub participant: Option<String>,
    /// Events of this kind.
    pub kind: Option<Kind>,
}

/// A wall time (Unix seconds) and whether it is an estimate (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wall {
    /// Seconds since 1970.
    pub secs: u64,
    /// Worked out from a later entry, the board's clock not being set when it was written.
    pub estimated: bool,
}

/// A run of a participant's answer saves, folded into one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answers {
    /// How many saves (each one an entry in the store).
    pub saves: u64,
    /// How many different items they saved.
    pub items: usize,
    /// The tests they belong to, in order of first save.
    pub tests: Vec<String>,
    /// The last save's sequence number and exam clock.
    pub last_seq: u64,
    /// The last save's exam clock.
    pub last_at: Millis,
    /// The last save's wall time, when known.
    pub last_wall: Option<Wall>,
}

/// One line of the event log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The (first) entry's sequence number.
    pub seq: u64,
    /// The (first) entry's exam clock.
    pub at: Millis,
    /// The (first) entry's wall time, when known.
    pub wall: Option<Wall>,
    /// `system`, `proctor`, `invigilator` or a participant's username.
    pub actor: String,
    /// What happened; `None` for an action this Ruji does not know (see `action_name`).
    pub action: Option<Action>,
    /// The action as stored.
    pub action_name: String,
    /// The participant it is about, if any.
    pub participant: Option<String>,
    /// The entry's detail as stored (empty for a run of saves).
    pub detail: String,
    /// For a run of answer saves: what it holds.
    pub answers: Option<Answers>,
}

/// The matching events, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventLog {
    /// The lines.
    pub events: Vec<Event>,
    /// How many entries the store's log holds (all of them were read).
    pub entries: u64,
}

impl Room {
    /// The event log with `filter` applied (a read of the whole log, on the blocking pool, one
    /// at a time). An unknown session is refused.
    pub async fn events(&self, filter: Filter) -> Result<EventLog> {
        let session = match &filter.session {
            Some(id) => Some(
                self.package()
                    .session(id)
                    .cloned()
                    .ok_or(RoomError::Refused(
                        ruji_store::room::Refusal::UnknownSession,
                    ))?,
            ),
            None => None,
        };
        let room = self.clone();
        self.read_whole_log(move || {
            let mut log = Folder::new(filter, session);
            room.store().audit_each(|e| log.push(e))?;
            Ok(log.finish())
        })
        .await
    }

    /// Runs `read` (a read of the whole audit log) on the blocking pool, one such read at a
    /// time: the turn is held by the read itself, so a request that is cancelled while its read
    /// runs does not let another one start beside it.
    pub(crate) async fn read_whole_log<T: Send + 'static>(
        &self,
        read: impl FnOnce() -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let turn = self.0.event_reads.clone().lock_owned().await;
        crate::blocking(move || {
            let _turn = turn;
            read()
        })
        .await
    }
}

/// Builds the log from entries given oldest first.
struct Folder {
    filter: Filter,
    session: Option<ruji_core::package::Session>,
    /// Since when the filter's session is open (its latest `open_session`), while it is.
    open_since: Option<Millis>,
    events: Vec<Event>,
    /// Per participant: the index in `events` of their open run of saves, with its items.
    runs: HashMap<String, (usize, BTreeSet<String>)>,
    /// (exam clock, wall) of the first entry with a set clock after one without: what an
    /// unset entry's time is estimated from.
    anchors: Vec<(Millis, u64)>,
    last_unset: bool,
    entries: u64,
}

impl Folder {
    fn new(filter: Filter, session: Option<ruji_core::package::Session>) -> Folder {
        Folder {
            filter,
            session,
            open_since: None,
            events: Vec::new(),
            runs: HashMap::new(),
            anchors: Vec::new(),
            last_unset: false,
            entries: 0,
        }
    }

    fn wall(secs: u64) -> Option<Wall> {
        (secs >= PLAUSIBLE_SECS).then_some(Wall {
            secs,
            estimated: false,
        })
    }

    fn push(&mut self, e: AuditEntry) {
        self.entries += 1;
        let set = e.wall >= PLAUSIBLE_SECS;
        if set && self.last_unset {
            self.anchors.push((e.at, e.wall));
        }
        self.last_unset = !set;
        let action = Action::from_name(&e.action);
        let participant = e.participant().map(str::to_string);
        // A participant's other event ends their run of saves, whatever the filter shows.
        if action != Some(Action::Answer) {
            if let Some(p) = &participant {
                self.runs.remove(p);
            }
        }
        if let Some(s) = &self.session {
            // Every time the session was open counts (it may have been closed and reopened).
            let mine = e.detail.split(' ').next() == Some(s.id.as_str());
            if action == Some(Action::OpenSession) && mine {
                self.open_since = Some(e.at);
            }
            let window = self
                .open_since
                .map_or((Millis::MAX, 0), |o| (o, Millis::MAX));
            if action == Some(Action::CloseSession) && mine {
                self.open_since = None;
            }
            if !e.concerns(s, window) {
                return;
            }
        }
        if let Some(p) = &self.filter.participant {
            if participant.as_ref() != Some(p) {
                return;
            }
        }
        if let Some(k) = self.filter.kind {
            if !k.matches(action) {
                return;
            }
        }
        // An answer save: its test, to add to the participant's run or to start one.
        let saved_in = (action == Some(Action::Answer)).then(|| {
            e.detail
                .strip_prefix("test ")
                .and_then(|r| r.split(' ').next())
                .unwrap_or("")
                .to_string()
        });
        if let Some(test) = &saved_in {
            let item = e.detail.clone();
            if let Some((i, items)) = self.runs.get_mut(&e.actor) {
                items.insert(item);
                let a = self.events[*i].answers.as_mut().expect("a run");
                a.saves += 1;
                a.items = items.len();
                if !a.tests.contains(test) {
                    a.tests.push(test.clone());
                }
                a.last_seq = e.seq;
                a.last_at = e.at;
                a.last_wall = Folder::wall(e.wall);
                return;
            }
            self.runs
                .insert(e.actor.clone(), (self.events.len(), BTreeSet::from([item])));
        }
        // The first save of a run is its line; any other entry is a line of its own.
        let answers = saved_in.map(|test| Answers {
            saves: 1,
            items: 1,
            tests: vec![test],
            last_seq: e.seq,
            last_at: e.at,
            last_wall: Folder::wall(e.wall),
        });
        self.events.push(Event {
            seq: e.seq,
            at: e.at,
            wall: Folder::wall(e.wall),
            actor: e.actor,
            action,
            action_name: e.action,
            participant,
            detail: if answers.is_some() {
                String::new()
            } else {
                e.detail
            },
            answers,
        });
    }

    /// The log, with the times of entries written before the clock was set estimated.
    fn finish(mut self) -> EventLog {
        let estimate = |at: Millis, anchors: &[(Millis, u64)]| {
            let i = anchors.partition_point(|(a, _)| *a < at);
            anchors.get(i).map(|(a, w)| Wall {
                secs: w.saturating_sub((a - at) / 1000),
                estimated: true,
            })
        };
        for e in &mut self.events {
            if e.wall.is_none() {
                e.wall = estimate(e.at, &self.anchors);
            }
            if let Some(a) = &mut e.answers {
                if a.last_wall.is_none() {
                    a.last_wall = estimate(a.last_at, &self.anchors);
                }
            }
        }
        EventLog {
            events: self.events,
            entries: self.entries,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(
        seq: u64,
        at: Millis,
        wall: u64,
        actor: &str,
        action: Action,
        detail: &str,
    ) -> AuditEntry {
        AuditEntry {
            seq,
            at,
            wall,
            actor: actor.into(),
            action: action.name().into(),
            detail: detail.into(),
        }
    }

    const DAY: u64 = 1_796_601_600; // 2026-12-07 00:00 UTC

    #[test]
    fn saves_fold_into_one_line_per_run_and_times_before_the_clock_was_set_are_estimated() {
        let mut f = Folder::new(Filter::default(), None);
        let log = [
            // The board started in 1970: 10 s after power-on.
            entry(1, 10_000, 10, "P1", Action::Login, "from 10.0.0.1"),
            entry(2, 20_000, 20, "P1", Action::Answer, "test T item I1"),
            entry(3, 25_000, 25, "P2", Action::Answer, "test T item I1"),
            entry(4, 30_000, 30, "P1", Action::Answer, "test T item I2"),
            entry(5, 40_000, 40, "P1", Action::Answer, "test T item I1"),
            // The clock is set at exam time 50 s.
            entry(
                6,
                50_000,
                DAY,
                "proctor",
                Action::ClockSet,
                "from ... to ...",
            ),
            entry(7, 60_000, DAY + 10, "proctor", Action::ResetLogin, "P1"),
            entry(8, 70_000, DAY + 20, "P1", Action::Answer, "test T item I3"),
            entry(9, 80_000, DAY + 30, "P2", Action::Answer, "test T item I2"),
        ];
        for e in log {
            f.push(e);
        }
        let got = f.finish();
        assert_eq!(got.entries, 9);
        let lines: Vec<(u64, &str, Option<&str>)> = got
            .events
            .iter()
            .map(|e| (e.seq, e.action_name.as_str(), e.participant.as_deref()))
            .collect();
        assert_eq!(
            lines,
            [
                (1, "login", Some("P1")),
                (2, "answer", Some("P1")),
                (3, "answer", Some("P2")),
                (6, "clock_set", None),
                (7, "reset_login", Some("P1")),
                (8, "answer", Some("P1")),
            ],
            "P2's saves are one run across the reset of P1; P1's run ends at the reset"
        );
        let run = got.events[1].answers.as_ref().unwrap();
        assert_eq!((run.saves, run.items, run.last_seq), (3, 2, 5));
        let p2 = got.events[2].answers.as_ref().unwrap();
        assert_eq!((p2.saves, p2.items, p2.last_seq), (2, 2, 9));
        assert_eq!(
            p2.last_wall,
            Some(Wall {
                secs: DAY + 30,
                estimated: false
            })
        );
        // Before the clock was set: the set time less the exam time between.
        assert_eq!(
            got.events[0].wall,
            Some(Wall {
                secs: DAY - 40,
                estimated: true
            })
        );
        assert_eq!(
            run.last_wall,
            Some(Wall {
                secs: DAY - 10,
                estimated: true
            })
        );
        assert_eq!(got.events[3].wall.map(|w| w.estimated), Some(false));
    }

    #[test]
    fn filters_by_participant_and_kind() {
        let log = || {
            [
                entry(1, 1, DAY, "P1", Action::Login, "from 10.0.0.1"),
                entry(
                    2,
                    2,
                    DAY,
                    "proctor",
                    Action::OpenSession,
                    "H1S1 token ABCDEF",
                ),
                entry(
                    3,
                    3,
                    DAY,
                    "proctor",
                    Action::ForceFinish,
                    "P1 test T reason: mati",
                ),
                entry(4, 4, DAY, "system", Action::LockedOut, "u:P2: 5 failures"),
                entry(5, 5, DAY, "P2", Action::Answer, "test T item I1"),
                entry(6, 6, DAY, "system", Action::ResultsBundled, "H1S1"),
            ]
        };
        let run = |filter: Filter| {
            let mut f = Folder::new(filter, None);
            for e in log() {
                f.push(e);
            }
            f.finish().events.iter().map(|e| e.seq).collect::<Vec<_>>()
        };
        assert_eq!(run(Filter::default()), [1, 2, 3, 4, 5, 6]);
        let p = |u: &str| Filter {
            participant: Some(u.into()),
            ..Filter::default()
        };
        assert_eq!(run(p("P1")), [1, 3]);
        assert_eq!(run(p("P2")), [4, 5]);
        let k = |k: Kind| Filter {
            kind: Some(k),
            ..Filter::default()
        };
        assert_eq!(run(k(Kind::Incident)), [3, 4]);
        assert_eq!(run(k(Kind::Proctor)), [2, 3]);
        assert_eq!(run(k(Kind::Participant)), [1, 5]);
        assert_eq!(run(k(Kind::Results)), [6]);
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.name()), Some(k));
        }
    }

    #[test]
    fn every_action_has_a_label_in_both_languages() {
        for a in Action::ALL {
            for lang in [ruji_print::Lang::Id, ruji_print::Lang::En] {
                assert!(
                    ruji_print::labels::action(a.name(), lang).is_some(),
                    "{}",
                    a.name()
                );
            }
        }
    }
}
