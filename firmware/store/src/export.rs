//! A session as it stands, read in one snapshot, for its result bundle: every participant with
//! their record, each attempt (ticked to now, so a time-out due shows as finished) with its
//! answers, and the session's events from the audit log.
//!
//! Which events belong to a session: the session's own (`open_session`, `close_session`,
//! `rotate_token`, whose detail starts with the session's id), every event of a test of the
//! session by one of its participants (the detail names the test: `test T ...`, or `u test T`
//! for a force finish), a participant's login, logout, reset and activation while the session
//! was open, and the incidents of that time (a lock-out or a new password of one of its
//! participants, the clock set, a recovery, every login ended). The details are written by
//! this crate ([`crate::room`]).

use std::collections::BTreeMap;

use ruji_core::attempt::Attempt;
use ruji_core::package::{Participant, Session, Test};
use ruji_core::response::Answer;

use crate::room::{answers_of, load_attempt, participant_record, Refusal, RoomResult};
use crate::tables::{ParticipantRecord, SessionState, SESSIONS};
use crate::{Action, AuditEntry, Store};

/// A session as it stands.
#[derive(Debug, Clone)]
pub struct SessionExport {
    /// The session (from the package).
    pub session: Session,
    /// Its state on this board.
    pub state: SessionState,
    /// Every participant of the session, in the session's order.
    pub participants: Vec<ParticipantExport>,
    /// How many events of each kind (action name) the session saw.
    pub events: BTreeMap<String, u64>,
    /// The last event that concerns the session (0 when none).
    pub as_of_seq: u64,
}

/// A participant of a session, with their attempts.
#[derive(Debug, Clone)]
pub struct ParticipantExport {
    /// As the package lists them.
    pub participant: Participant,
    /// Their record on this board.
    pub record: ParticipantRecord,
    /// One per test of the session, in the session's order.
    pub attempts: Vec<AttemptExport>,
}

/// An attempt with its answers.
#[derive(Debug, Clone)]
pub struct AttemptExport {
    /// The test.
    pub test: Test,
    /// The attempt, ticked to the time of reading (never started: a fresh one).
    pub attempt: Attempt,
    /// Answers by item id (practice items included).
    pub answers: BTreeMap<String, Answer>,
}

impl AuditEntry {
    /// The participant this entry is about: the actor when a participant acted, the one the
    /// proctor acted on (reset, force finish, activation), the username of a locked-out
    /// `u:` key.
    pub fn participant(&self) -> Option<&str> {
        match Action::from_name(&self.action)? {
            Action::ResetLogin | Action::ActivateReserve | Action::PasswordReissued => {
                self.detail.split([' ', ':']).next()
            }
            Action::ForceFinish | Action::ExtraTime => self.detail.split(' ').next(),
            Action::LockedOut => self
                .detail
                .strip_prefix("u:")
                .and_then(|r| r.split(':').next()),
            _ => match self.actor.as_str() {
                "system" | "proctor" | "invigilator" => None,
                u => Some(u),
            },
        }
    }

    /// Does this entry belong to `session` (see the module docs)? `window` is the exam-clock
    /// span the session was last open ([`SessionState::window`]).
    pub fn concerns(&self, session: &Session, window: (u64, u64)) -> bool {
        concerns(self, session, window)
    }
}

impl SessionState {
    /// The exam-clock span the session was last open (to `now` while it is open); empty when
    /// it never was.
    pub fn window(&self, now: u64) -> (u64, u64) {
        (
            self.opened_at.unwrap_or(u64::MAX),
            match self.closed_at {
                Some(c) if !self.open => c,
                _ => now,
            },
        )
    }
}

/// Does audit entry `e` belong to `session` (see the module docs)? `window` is the exam-clock
/// span the session was last open.
fn concerns(e: &AuditEntry, session: &Session, window: (u64, u64)) -> bool {
    let member = |u: &str| session.participants.iter().any(|p| p == u);
    let of_test = |rest: &str| {
        rest.strip_prefix("test ")
            .and_then(|r| r.split(' ').next())
            .is_some_and(|t| session.tests.iter().any(|x| x == t))
    };
    let during = window.0 <= e.at && e.at <= window.1;
    let Some(action) = Action::from_name(&e.action) else {
        return false;
    };
    match action {
        Action::OpenSession | Action::CloseSession | Action::RotateToken => {
            e.detail.split(' ').next() == Some(session.id.as_str())
        }
        Action::Start
        | Action::Resume
        | Action::EndPractice
        | Action::Answer
        | Action::Finish
        | Action::Timeout => member(&e.actor) && of_test(&e.detail),
        Action::ForceFinish | Action::ExtraTime => e
            .detail
            .split_once(' ')
            .is_some_and(|(u, rest)| member(u) && of_test(rest)),
        Action::Login | Action::Logout => member(&e.actor) && during,
        Action::ResetLogin | Action::ActivateReserve => {
            e.detail.split(' ').next().is_some_and(member) && during
        }
        // Incidents of the session's time: a participant of it held after wrong tries or given
        // a new password, the board's clock set, a recovery, every login ended.
        Action::LockedOut | Action::PasswordReissued => {
            e.participant().is_some_and(member) && during
        }
        Action::ClockSet
        | Action::Recovery
        | Action::SignedOutEverywhere
        | Action::PauseAll
        | Action::ResumeAll => during,
        _ => false,
    }
}

impl Store {
    /// The session `id` as it stands (a read of the session's records and of the whole audit
    /// log: call it off the async workers).
    pub fn session_export(&self, id: &str) -> RoomResult<SessionExport> {
        let pkg = self.package();
        let Some(session) = pkg.session(id).cloned() else {
            return Ok(Err(Refusal::UnknownSession));
        };
        let r = self.reader()?;
        let now = self.now();
        let state: SessionState = r.get(SESSIONS, id)?.unwrap_or_default();
        let mut participants = Vec::new();
        for u in &session.participants {
            let Some(p) = pkg.participant(u) else {
                continue;
            };
            let mut attempts = Vec::new();
            for tid in &session.tests {
                let Some(test) = pkg.test(tid) else { continue };
                let mut attempt = load_attempt(&r, u, test)?;
                attempt.tick(now);
                attempts.push(AttemptExport {
                    test: test.clone(),
                    attempt,
                    answers: answers_of(&r, u, tid)?,
                });
            }
            participants.push(ParticipantExport {
                participant: p.clone(),
                record: participant_record(&r, u)?,
                attempts,
            });
        }
        let window = state.window(now);
        let mut events: BTreeMap<String, u64> = BTreeMap::new();
        let mut as_of_seq = 0;
        r.audit_each(|e| {
            if concerns(&e, &session, window) {
                *events.entry(e.action).or_default() += 1;
                as_of_seq = e.seq;
            }
        })?;
        Ok(Ok(SessionExport {
            session,
            state,
            participants,
            events,
            as_of_seq,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_attributed_by_session_test_participant_and_time() {
        let session = Session {
            id: "H1S1".into(),
            name: "Hari 1".into(),
            day: String::new(),
            start: String::new(),
            tests: vec!["LIT".into()],
            participants: vec!["P1".into(), "P2".into()],
            minutes: None,
        };
        let e = |actor: &str, action: Action, detail: &str, at: u64| AuditEntry {
            seq: 1,
            at,
            wall: 0,
            actor: actor.into(),
            action: action.name().into(),
            detail: detail.into(),
        };
        let w = (100, 200);
        let yes = [
            e("proctor", Action::OpenSession, "H1S1 token ABCDEF", 100),
            e("system", Action::RotateToken, "H1S1 token GHJKLM", 150),
            e("P1", Action::Answer, "test LIT item I1", 150),
            e("P2", Action::Timeout, "test LIT", 999),
            e(
                "proctor",
                Action::ForceFinish,
                "P1 test LIT reason: mati",
                150,
            ),
            e("P1", Action::Login, "from 192.168.0.7", 120),
            e("proctor", Action::ResetLogin, "P2", 130),
        ];
        for x in &yes {
            assert!(concerns(x, &session, w), "{x:?}");
        }
        let no = [
            e("proctor", Action::OpenSession, "H2S1 token ABCDEF", 150),
            e("P1", Action::Answer, "test NUM item I1", 150),
            e("P9", Action::Answer, "test LIT item I1", 150),
            e("P1", Action::Login, "from 192.168.0.7", 50),
            e("proctor", Action::ResetLogin, "P9", 130),
            e("proctor", Action::ForceFinish, "P9 test LIT reason: x", 150),
            e("system", Action::PackageImported, "H1S1", 150),
        ];
        for x in &no {
            assert!(!concerns(x, &session, w), "{x:?}");
        }
    }

    #[test]
    fn the_participant_an_entry_is_about() {
        let e = |actor: &str, action: Action, detail: &str| AuditEntry {
            seq: 1,
            at: 0,
            wall: 0,
            actor: actor.into(),
            action: action.name().into(),
            detail: detail.into(),
        };
        for (entry, who) in [
            (e("P1", Action::Answer, "test LIT item I1"), Some("P1")),
            (e("proctor", Action::ResetLogin, "P2"), Some("P2")),
            (
                e("proctor", Action::ActivateReserve, "CAD01"),
                Some("CAD01"),
            ),
            (
                e("proctor", Action::ForceFinish, "P3 test LIT reason: mati"),
                Some("P3"),
            ),
            (
                e(
                    "system",
                    Action::LockedOut,
                    "u:P4: 5 failures, locked for 30 s",
                ),
                Some("P4"),
            ),
            (
                e(
                    "system",
                    Action::LockedOut,
                    "ip:10.0.0.9: 6 failures, locked for 30 s",
                ),
                None,
            ),
            (e("proctor", Action::OpenSession, "H1S1 token ABCDEF"), None),
            (
                e("invigilator", Action::InvigilatorLogin, "from 10.0.0.2"),
                None,
            ),
            (e("system", Action::Timeout, "test LIT"), None),
        ] {
            assert_eq!(entry.participant(), who, "{entry:?}");
        }
    }
}
