//! The dashboard's rows, kept between reads (issue 19): the live console reads every
//! participant's row each second while saves are committed, and a row read from the records
//! decodes the participant, their attempts and every answer. A row is read again only when a
//! commit wrote one of that participant's records (or a session's state, which moves every
//! row), or when its attempt's time runs out ([`ruji_core::attempt::Attempt::next_deadline`]);
//! in between only its time left is computed, from the kept clock.
//!
//! Which participants a commit wrote is noted by [`crate::Tx::put`] and applied by the writer
//! after the commit ([`Changes`]), as the deadline queue is.

use std::collections::HashMap;
use std::sync::Arc;

use ruji_core::attempt::ExamClock;
use ruji_core::package::IndexedPackage;
use ruji_core::Millis;

use crate::room::ParticipantStatus;

/// Which participants' records changed, as a count of commits' changes: a row read when the
/// count was `n` is still right if nothing it depends on changed after `n`.
#[derive(Debug, Default)]
pub(crate) struct Changes {
    /// The count of the latest change applied.
    now: u64,
    /// When each participant's records last changed.
    by_participant: HashMap<String, u64>,
    /// When every row last changed (a session's state was written).
    everyone: u64,
}

impl Changes {
    /// The count now: a reader opened after taking it sees every change up to it.
    pub(crate) fn now(&self) -> u64 {
        self.now
    }

    /// A commit wrote `participants`' records (and, with `everyone`, a session's state).
    pub(crate) fn apply(&mut self, participants: impl IntoIterator<Item = String>, everyone: bool) {
        self.now += 1;
        for p in participants {
            self.by_participant.insert(p, self.now);
        }
        if everyone {
            self.everyone = self.now;
        }
    }

    /// When the records behind `participant`'s row last changed.
    fn of(&self, participant: &str) -> u64 {
        self.by_participant
            .get(participant)
            .copied()
            .unwrap_or(0)
            .max(self.everyone)
    }
}

/// A row as read from the records, with what keeps it right without reading them again.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    /// The row; its `remaining` is computed on each read from `clock`.
    pub(crate) status: ParticipantStatus,
    /// The running test's clock, when the row shows one in progress.
    pub(crate) clock: Option<ExamClock>,
    /// When an attempt of the row runs out by itself (the row must then be read again).
    pub(crate) until: Option<Millis>,
}

/// The rows of one session, for one installed package.
#[derive(Debug, Default)]
pub(crate) struct Rows {
    package: Option<Arc<IndexedPackage>>,
    session: String,
    rows: HashMap<String, (u64, Row)>,
}

impl Rows {
    /// Forgets every row unless they belong to `session` of `package`.
    pub(crate) fn for_session(&mut self, package: &Arc<IndexedPackage>, session: &str) {
        let same = self
            .package
            .as_ref()
            .is_some_and(|p| Arc::ptr_eq(p, package))
            && self.session == session;
        if !same {
            self.package = Some(package.clone());
            self.session = session.to_string();
            self.rows.clear();
        }
    }

    /// `participant`'s row at `now`, if the kept one is still right under `changes`.
    pub(crate) fn get(
        &self,
        participant: &str,
        changes: &Changes,
        now: Millis,
    ) -> Option<ParticipantStatus> {
        let (read_at, row) = self.rows.get(participant)?;
        if *read_at < changes.of(participant) || row.until.is_some_and(|t| t <= now) {
            return None;
        }
        let mut status = row.status.clone();
        status.remaining = row.clock.map(|c| c.remaining(now));
        Some(status)
    }

    /// Keeps `participant`'s row, read from the records as they were at change count `read_at`.
    pub(crate) fn put(&mut self, participant: &str, read_at: u64, row: Row) {
        self.rows.insert(participant.to_string(), (read_at, row));
    }
}
