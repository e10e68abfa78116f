//! The attempt state machine, the exam clock, and the participant's login lock.
//!
//! ```text
//!              begin (token ok)            end_practice
//! NotStarted ─────────────────► Practice ───────────────► InProgress ──┐
//!      │                                                    ▲          │ finish (participant)
//!      └──────────── begin, test without practice ──────────┘          │ tick: time is up
//!                                                                      │ force_finish (proctor)
//!                                                                      ▼
//!                                                                   Finished
//! ```
//! `Finished` is terminal. The clock runs only in `InProgress` (practice is untimed for score),
//! and pauses when the proctor resets a login or the board shuts down, so a reset neither steals
//! nor grants time. Time while the server is down is not counted: the server's exam clock itself
//! does not advance while it is down (see ruji-store).

use serde::{Deserialize, Serialize};

use crate::package::TestRules;
use crate::{Millis, MINUTE};

/// Server-authoritative working time of one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExamClock {
    /// The test's duration.
    pub limit: Millis,
    /// Time used in earlier running periods.
    pub used: Millis,
    /// Start of the current running period.
    pub running_since: Option<Millis>,
}

impl ExamClock {
    /// A stopped clock for a test of `limit`.
    pub fn new(limit: Millis) -> Self {
        ExamClock {
            limit,
            used: 0,
            running_since: None,
        }
    }
    /// Time used at `now`, never more than the limit.
    pub fn elapsed(&self, now: Millis) -> Millis {
        let running = self.running_since.map_or(0, |s| now.saturating_sub(s));
        (self.used + running).min(self.limit)
    }
    /// Time left at `now`.
    pub fn remaining(&self, now: Millis) -> Millis {
        self.limit - self.elapsed(now)
    }
    fn start(&mut self, now: Millis) {
        if self.running_since.is_none() {
            self.running_since = Some(now);
        }
    }
    fn pause(&mut self, now: Millis) {
        self.used = self.elapsed(now);
        self.running_since = None;
    }
}

/// Why an attempt finished.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FinishReason {
    /// The participant pressed "Selesai" and confirmed.
    Participant,
    /// The time ran out.
    TimeOut,
    /// The proctor force-finished it, with the reason they gave.
    Proctor(String),
}

/// Where an attempt stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    /// Logged in or not, the token not yet entered.
    NotStarted,
    /// Working on practice items; the clock is not running.
    Practice,
    /// Working on the test.
    InProgress,
    /// Done; nothing can change any more.
    Finished {
        /// Why.
        reason: FinishReason,
        /// When, on the exam clock.
        at: Millis,
    },
}

/// Declares a name enum: each variant serialised and shown as its one name.
macro_rules! names {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $v:ident = $s:literal,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $($(#[$vdoc])* #[serde(rename = $s)] $v,)* }

        impl $name {
            /// The name, as serialised.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $s,)* }
            }
        }

        impl $name {
            /// Every name.
            pub const ALL: &'static [$name] = &[$($name::$v,)*];
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

names! {
    /// A [`Phase`] as the participant's client sees it (`phase` in the JSON API): how it
    /// finished is not its business.
    PhaseName {
        /// The token is not entered yet.
        NotStarted = "not_started",
        /// Practice items.
        Practice = "practice",
        /// The test, clock running.
        InProgress = "in_progress",
        /// Done.
        Finished = "finished",
    }
}

names! {
    /// A [`Phase`] with how it finished, as results report it (`state` in a result).
    Outcome {
        /// The token was never entered.
        NotStarted = "not_started",
        /// Still in practice.
        Practice = "practice",
        /// Still working.
        InProgress = "in_progress",
        /// The participant finished.
        FinishedParticipant = "finished_participant",
        /// The time ran out.
        FinishedTimeout = "finished_timeout",
        /// The proctor force-finished it.
        FinishedProctor = "finished_proctor",
    }
}

names! {
    /// Where a participant stands in the room, as the proctor's dashboard shows it: logged in
    /// or not, then the current test's phase.
    SeatState {
        /// Not logged in (and not working).
        NotLoggedIn = "not_logged_in",
        /// Logged in, the token not entered yet.
        LoggedIn = "logged_in",
        /// Practice items.
        Practice = "practice",
        /// Working on the test.
        InProgress = "in_progress",
        /// Every test of the session finished.
        Finished = "finished",
    }
}

names! {
    /// How the proctor's console draws a participant's tile: [`SeatState`] with what needs the
    /// proctor's eye ([`SeatLook::of`]).
    SeatLook {
        /// Not logged in.
        NotLoggedIn = "not_logged_in",
        /// Logged in and working (token, practice or the test), nothing marked doubtful.
        Working = "working",
        /// In the test with items still marked doubtful (ragu-ragu): finishing is refused until
        /// they are settled, when the test's rules say so.
        Doubtful = "doubtful",
        /// Every test of the session finished.
        Finished = "finished",
        /// Tried to log in on another computer while this login holds: the proctor must reset it.
        NeedsReset = "needs_reset",
        /// Their test is open (logged in, or their login reset), but no computer of theirs has
        /// been heard from for a while.
        Offline = "offline",
    }
}

impl SeatLook {
    /// Does the proctor need to look (the console's "needs attention"): a reset to give, a
    /// silent computer, doubtful items left.
    pub fn needs_attention(self) -> bool {
        matches!(
            self,
            SeatLook::NeedsReset | SeatLook::Offline | SeatLook::Doubtful
        )
    }

    /// The look of a participant in `state` with `doubtful` items marked doubtful, `online`
    /// (heard within the online window), and `refused_elsewhere` (a login from another
    /// computer was refused lately because this one holds). A refused login comes first: it is
    /// the one thing only the proctor can undo; then a silent computer; then doubtful items.
    pub fn of(
        state: SeatState,
        doubtful: usize,
        online: bool,
        refused_elsewhere: bool,
    ) -> SeatLook {
        match state {
            SeatState::NotLoggedIn => SeatLook::NotLoggedIn,
            SeatState::Finished => SeatLook::Finished,
            SeatState::LoggedIn | SeatState::Practice | SeatState::InProgress => {
                if refused_elsewhere {
                    SeatLook::NeedsReset
                } else if !online {
                    SeatLook::Offline
                } else if state == SeatState::InProgress && doubtful > 0 {
                    SeatLook::Doubtful
                } else {
                    SeatLook::Working
                }
            }
        }
    }
}

/// The order of the console's tiles: by seat where the LAN service knows the seat (its
/// address in the seat table), then by arrival (the login or the token, whichever came first),
/// then the rest in the session's order. `keys[i]` is participant `i`'s (seat, arrival); the
/// result lists indices.
pub fn tile_order(keys: &[(Option<u16>, Option<Millis>)]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by_key(|&i| {
        let (seat, arrived) = keys[i];
        (seat.is_none(), seat, arrived.is_none(), arrived, i)
    });
    order
}

impl Phase {
    /// The phase as the participant's client names it.
    pub fn name(&self) -> PhaseName {
        match self {
            Phase::NotStarted => PhaseName::NotStarted,
            Phase::Practice => PhaseName::Practice,
            Phase::InProgress => PhaseName::InProgress,
            Phase::Finished { .. } => PhaseName::Finished,
        }
    }

    /// The phase with how it finished, as results report it.
    pub fn outcome(&self) -> Outcome {
        match self {
            Phase::NotStarted => Outcome::NotStarted,
            Phase::Practice => Outcome::Practice,
            Phase::InProgress => Outcome::InProgress,
            Phase::Finished { reason, .. } => match reason {
                FinishReason::Participant => Outcome::FinishedParticipant,
                FinishReason::TimeOut => Outcome::FinishedTimeout,
                FinishReason::Proctor(_) => Outcome::FinishedProctor,
            },
        }
    }
}

/// Why an event was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptError {
    /// The attempt has finished (the reason says how).
    Finished(FinishReason),
    /// The attempt has not started yet.
    NotStarted,
    /// Items are still marked doubtful and the test refuses to finish with them.
    Doubtful(usize),
    /// Finishing is allowed only after a minimum time; this much is left.
    TooEarly(Millis),
    /// The participant has not ticked the confirmation box.
    NotConfirmed,
    /// The event needs another phase (e.g. ending practice when not in practice).
    WrongPhase,
}

/// One participant's attempt at one test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// Participant.
    pub username: String,
    /// Test.
    pub test_id: String,
    /// Where it stands.
    pub phase: Phase,
    /// Working time.
    pub clock: ExamClock,
    /// When the token was accepted.
    pub started_at: Option<Millis>,
    /// The login under which the token was last accepted. A new login (after a reset) must
    /// pass the identity check and the token again before it sees an item.
    pub login: Option<u64>,
    /// A timed practice's own clock ([`Attempt::time_practice`]): it runs from the token, stops
    /// with a reset or a pause as the test's does, and its end starts the test. `None`: the
    /// practice is untimed (or there is none).
    pub practice: Option<ExamClock>,
}

impl Attempt {
    /// A new attempt, not started, for a test of `duration_minutes`.
    pub fn new(username: &str, test_id: &str, duration_minutes: u32) -> Self {
        Attempt {
            username: username.to_string(),
            test_id: test_id.to_string(),
            phase: Phase::NotStarted,
            clock: ExamClock::new(u64::from(duration_minutes) * MINUTE),
            started_at: None,
            login: None,
            practice: None,
        }
    }

    /// Practice or in progress: the participant is working.
    pub fn is_open(&self) -> bool {
        matches!(self.phase, Phase::Practice | Phase::InProgress)
    }

    /// Finished, for whatever reason.
    pub fn is_finished(&self) -> bool {
        matches!(self.phase, Phase::Finished { .. })
    }

    fn refuse_if_finished(&self) -> Result<(), AttemptError> {
        match &self.phase {
            Phase::Finished { reason, .. } => Err(AttemptError::Finished(reason.clone())),
            _ => Ok(()),
        }
    }

    /// Applies the passage of time: finishes the attempt if its time is up. Returns true when
    /// this call finished it.
    pub fn tick(&mut self, now: Millis) -> bool {
        if self.phase == Phase::InProgress && self.clock.remaining(now) == 0 {
            let at = match self.clock.running_since {
                Some(s) => s + (self.clock.limit - self.clock.used),
                None => now,
            };
            self.clock.pause(now);
            self.phase = Phase::Finished {
                reason: FinishReason::TimeOut,
                at: at.min(now),
            };
            return true;
        }
        false
    }

    /// The token was accepted (or the participant came back after a reset): enter practice
    /// (when the test has practice items) or the test; resume a paused clock.
    pub fn begin(&mut self, now: Millis, has_practice: bool) -> Result<(), AttemptError> {
        self.tick(now);
        self.refuse_if_finished()?;
        match self.phase {
            Phase::NotStarted => {
                self.started_at = Some(now);
                if has_practice {
                    self.phase = Phase::Practice;
                } else {
                    self.phase = Phase::InProgress;
                    self.clock.start(now);
                }
            }
            Phase::InProgress => self.clock.start(now),
            // Back after a reset: a timed practice runs again.
            Phase::Practice => {
                if let Some(p) = &mut self.practice {
                    p.start(now);
                }
            }
            Phase::Finished { .. } => {}
        }
        Ok(())
    }

    /// Times the practice just begun: `limit` (0: untimed), at most what remains until the
    /// session's end `session_end`, running from `now`. Only once, in practice.
    pub fn time_practice(&mut self, now: Millis, limit: Millis, session_end: Option<Millis>) {
        if self.phase != Phase::Practice || self.practice.is_some() || limit == 0 {
            return;
        }
        let limit = session_end.map_or(limit, |e| limit.min(e.saturating_sub(now)));
        let mut clock = ExamClock::new(limit);
        clock.start(now);
        self.practice = Some(clock);
    }

    /// Leaves practice and starts the test's clock.
    pub fn end_practice(&mut self, now: Millis) -> Result<(), AttemptError> {
        self.refuse_if_finished()?;
        match self.phase {
            Phase::Practice => {
                self.phase = Phase::InProgress;
                self.clock.start(now);
                Ok(())
            }
            Phase::InProgress => Ok(()),
            _ => Err(AttemptError::NotStarted),
        }
    }

    /// Time left of a timed practice; `None` outside practice or when it is untimed.
    pub fn practice_remaining(&self, now: Millis) -> Option<Millis> {
        if self.phase != Phase::Practice {
            return None;
        }
        self.practice.map(|p| p.remaining(now))
    }

    /// A timed practice ends by itself when its time is up (the guide allots 10, 25 or 60
    /// minutes): the test starts then, its clock running from the practice's end. Returns when
    /// the test started, if it did now.
    pub fn end_practice_if_over(&mut self, now: Millis) -> Option<Millis> {
        if self.practice_remaining(now)? > 0 {
            return None;
        }
        let p = self.practice?;
        let at = p
            .running_since
            .map_or(now, |s| s.saturating_add(p.limit - p.used))
            .min(now);
        if let Some(p) = &mut self.practice {
            p.pause(at);
        }
        self.phase = Phase::InProgress;
        self.clock.start(at);
        Some(at)
    }

    /// The session ends at `end` (exam clock; `None`: no session end): a test whose clock
    /// first started at `start` gets at most what remains until then, so a late arrival gets
    /// no extra time (the guide's rule). Call it once, when the clock first starts.
    pub fn fit_session(&mut self, start: Millis, end: Option<Millis>) {
        if let Some(end) = end {
            self.clock.limit = self.clock.limit.min(end.saturating_sub(start));
        }
    }

    /// Moves the attempt on to `now`: a timed practice whose time is up ends (the test starts
    /// at the practice's end, within what remains of the session, which ends at `session_end`);
    /// then a test whose time is up finishes. Whether it changed.
    pub fn advance(&mut self, now: Millis, session_end: Option<Millis>) -> bool {
        let mut changed = false;
        if let Some(at) = self.end_practice_if_over(now) {
            self.fit_session(at, session_end);
            changed = true;
        }
        self.tick(now) || changed
    }

    /// The first instant at which [`Attempt::advance`] would change this attempt: when a
    /// running timed practice or a running test's clock reaches its end. `None` while nothing
    /// runs out by itself (not started, finished, untimed practice, a stopped clock with time
    /// left). A stopped clock with no time left is due at once (`Some(0)`). The room keeps these
    /// instants in a queue, so that the time-outs of a second cost no read of every attempt.
    pub fn next_deadline(&self) -> Option<Millis> {
        let clock = match (&self.phase, &self.practice) {
            (Phase::Practice, Some(p)) => p,
            (Phase::InProgress, _) => &self.clock,
            _ => return None,
        };
        let left = clock.limit.saturating_sub(clock.used);
        match clock.running_since {
            Some(since) => Some(since.saturating_add(left)),
            None => (left == 0).then_some(0),
        }
    }

    /// May an answer be saved now (practice answers included).
    pub fn check_answerable(&mut self, now: Millis) -> Result<(), AttemptError> {
        self.tick(now);
        self.refuse_if_finished()?;
        if self.phase == Phase::NotStarted {
            return Err(AttemptError::NotStarted);
        }
        if self.phase == Phase::InProgress {
            // A paused clock (after a reset) restarts with the first answer from the client.
            self.clock.start(now);
        }
        Ok(())
    }

    /// The participant finishes, under the test's rules.
    pub fn finish(
        &mut self,
        now: Millis,
        doubtful: usize,
        confirmed: bool,
        rules: &TestRules,
    ) -> Result<(), AttemptError> {
        self.tick(now);
        self.refuse_if_finished()?;
        if self.phase != Phase::InProgress {
            return Err(if self.phase == Phase::NotStarted {
                AttemptError::NotStarted
            } else {
                AttemptError::WrongPhase
            });
        }
        if rules.refuse_finish_while_doubtful && doubtful > 0 {
            return Err(AttemptError::Doubtful(doubtful));
        }
        let min = u64::from(rules.min_minutes_before_finish) * MINUTE;
        let elapsed = self.clock.elapsed(now);
        if elapsed < min {
            return Err(AttemptError::TooEarly(min - elapsed));
        }
        if rules.confirm_finish && !confirmed {
            return Err(AttemptError::NotConfirmed);
        }
        self.clock.pause(now);
        self.phase = Phase::Finished {
            reason: FinishReason::Participant,
            at: now,
        };
        Ok(())
    }

    /// The proctor closes an attempt still open, giving a reason.
    pub fn force_finish(&mut self, now: Millis, reason: &str) -> Result<(), AttemptError> {
        self.tick(now);
        self.refuse_if_finished()?;
        if self.phase == Phase::NotStarted {
            return Err(AttemptError::NotStarted);
        }
        self.clock.pause(now);
        self.phase = Phase::Finished {
            reason: FinishReason::Proctor(reason.to_string()),
            at: now,
        };
        Ok(())
    }

    /// Stops the clock (proctor reset, board shutdown); [`Attempt::begin`] or the next answer
    /// restarts it.
    pub fn pause(&mut self, now: Millis) {
        if !self.tick(now) {
            self.clock.pause(now);
            if let Some(p) = &mut self.practice {
                p.pause(now);
            }
        }
    }

    /// Should the 5-minute (or configured) warning show at `now`: only when the test is longer
    /// than the warning window ([`TestRules::warning_window`]).
    pub fn warning(&self, now: Millis, rules: &TestRules) -> bool {
        let window = rules.warning_window(self.clock.limit);
        self.phase == Phase::InProgress && window > 0 && self.clock.remaining(now) <= window
    }

    /// The proctor paused every test: a running test's clock stops (time up first ends it, see
    /// [`Attempt::tick`]). Whether this call stopped it.
    pub fn pause_for_all(&mut self, now: Millis) -> bool {
        self.end_practice_if_over(now);
        if self.tick(now) {
            return false;
        }
        let clock = match (&self.phase, &mut self.practice) {
            (Phase::InProgress, _) => &mut self.clock,
            // A timed practice stops too.
            (Phase::Practice, Some(p)) => p,
            _ => return false,
        };
        if clock.running_since.is_none() {
            return false;
        }
        clock.pause(now);
        true
    }

    /// The pause ended: a test (or timed practice) the pause stopped runs again from `now` (the
    /// pause is not charged). Whether this call started it.
    pub fn resume_after_pause(&mut self, now: Millis) -> bool {
        let clock = match (&self.phase, &mut self.practice) {
            (Phase::InProgress, _) => &mut self.clock,
            (Phase::Practice, Some(p)) => p,
            _ => return false,
        };
        if clock.running_since.is_some() {
            return false;
        }
        clock.start(now);
        true
    }

    /// Extra working time for this participant (the proctor's, with a reason): the limit grows
    /// by `extra`, and a test whose time ran out but is not finished yet goes on. Refused when
    /// the attempt is finished.
    pub fn extend(&mut self, now: Millis, extra: Millis) -> Result<(), AttemptError> {
        self.tick(now);
        self.refuse_if_finished()?;
        self.clock.limit = self.clock.limit.saturating_add(extra);
        Ok(())
    }
}

/// The client a participant is logged in from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Login {
    /// Random id carried in the participant's cookie; a reset invalidates it.
    pub id: u64,
    /// Client address as seen by the server.
    pub client: String,
    /// When, on the exam clock.
    pub at: Millis,
}

/// Why a login was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginError {
    /// Logged in elsewhere with a test open: the proctor must reset the login.
    AlreadyLoggedIn {
        /// The client holding the login.
        client: String,
    },
    /// A reserve participant the proctor has not activated.
    ReserveNotActive,
}

/// Per-participant state kept by the board (the package holds the static part).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipantState {
    /// Username.
    pub username: String,
    /// Where they are logged in, if anywhere.
    pub login: Option<Login>,
    /// A reserve activated by the proctor to replace an absent participant.
    pub reserve_active: bool,
    /// How many times the proctor reset this login.
    pub resets: u32,
}

impl ParticipantState {
    /// State of a participant who never logged in.
    pub fn new(username: &str) -> Self {
        ParticipantState {
            username: username.to_string(),
            login: None,
            reserve_active: false,
            resets: 0,
        }
    }

    /// A login with the right password. `reserve`: the package lists them as a reserve;
    /// `attempt_open`: one of their attempts is in practice or in progress.
    pub fn login(
        &mut self,
        login: Login,
        reserve: bool,
        attempt_open: bool,
    ) -> Result<(), LoginError> {
        if reserve && !self.reserve_active {
            return Err(LoginError::ReserveNotActive);
        }
        if let Some(existing) = &self.login {
            if attempt_open {
                return Err(LoginError::AlreadyLoggedIn {
                    client: existing.client.clone(),
                });
            }
        }
        self.login = Some(login);
        Ok(())
    }

    /// Is a cookie carrying `id` still the valid login.
    pub fn is_current(&self, id: u64) -> bool {
        self.login.as_ref().is_some_and(|l| l.id == id)
    }

    /// The participant logs out (or finishes and returns to the login page).
    pub fn logout(&mut self, id: u64) {
        if self.is_current(id) {
            self.login = None;
        }
    }

    /// The proctor resets the login so the participant can log in from another client.
    pub fn reset(&mut self) {
        self.login = None;
        self.resets += 1;
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn names_serialise_as_they_show() {
        fn check<T: Serialize + std::fmt::Display>(all: &[T]) {
            for n in all {
                assert_eq!(serde_json::to_value(n).unwrap(), n.to_string());
            }
        }
        check(PhaseName::ALL);
        check(Outcome::ALL);
        check(SeatState::ALL);
        check(SeatLook::ALL);
        let a = Phase::Finished {
            reason: FinishReason::Proctor("x".into()),
            at: 1,
        };
        assert_eq!(
            (a.name(), a.outcome()),
            (PhaseName::Finished, Outcome::FinishedProctor)
        );
        assert_eq!(Phase::InProgress.outcome().as_str(), "in_progress");
    }

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_timed_practice_ends_by_itself_and_the_test_runs_from_its_end() {
        let practice = 10 * MINUTE;
        let mut a = Attempt::new("u", "T", 90);
        a.begin(1_000, true).unwrap();
        assert_eq!(a.practice_remaining(1_000), None, "untimed until timed");
        a.time_practice(1_000, practice, None);
        assert_eq!(a.practice_remaining(1_000), Some(practice));
        assert_eq!(a.end_practice_if_over(1_000 + practice - 1), None);
        assert_eq!(a.phase, Phase::Practice);
        // Seen late (the board's sweep runs each second): the test started at the practice's end.
        let end = 1_000 + practice;
        assert_eq!(a.end_practice_if_over(end + 3_000), Some(end));
        assert_eq!(a.phase, Phase::InProgress);
        assert_eq!(a.clock.remaining(end + 3_000), 90 * MINUTE - 3_000);
        assert_eq!(a.end_practice_if_over(end + 4_000), None, "once");
        // Untimed practice never ends by itself.
        let mut b = Attempt::new("u", "T", 90);
        b.begin(0, true).unwrap();
        b.time_practice(0, 0, None);
        assert_eq!(b.end_practice_if_over(100 * MINUTE), None);
    }

    #[test]
    fn a_timed_practice_stops_with_a_reset_and_a_pause_and_fits_the_session() {
        let m = MINUTE;
        let mut a = Attempt::new("u", "T", 90);
        a.begin(0, true).unwrap();
        a.time_practice(0, 10 * m, None);
        // A reset after 4 minutes: 15 minutes away cost nothing.
        a.pause(4 * m);
        assert_eq!(a.end_practice_if_over(19 * m), None);
        assert_eq!(a.practice_remaining(19 * m), Some(6 * m));
        a.begin(19 * m, true).unwrap();
        // Paused for all after 2 more minutes, resumed 20 minutes later.
        assert!(a.pause_for_all(21 * m));
        assert_eq!(a.practice_remaining(40 * m), Some(4 * m));
        assert!(a.resume_after_pause(41 * m));
        assert!(!a.resume_after_pause(41 * m), "once");
        assert_eq!(a.end_practice_if_over(45 * m), Some(45 * m));
        assert_eq!(a.started_at, Some(0), "the token's time is kept");
        // A late arrival's practice ends no later than the session.
        let mut late = Attempt::new("u", "T", 90);
        late.begin(95 * m, true).unwrap();
        late.time_practice(95 * m, 10 * m, Some(100 * m));
        assert_eq!(late.practice_remaining(95 * m), Some(5 * m));
    }

    #[test]
    fn a_late_start_gets_only_what_remains_of_the_session() {
        let end = Some(100 * MINUTE);
        // On time: the whole test.
        let mut a = Attempt::new("u", "T", 90);
        a.begin(5 * MINUTE, false).unwrap();
        a.fit_session(5 * MINUTE, end);
        assert_eq!(a.clock.remaining(5 * MINUTE), 90 * MINUTE);
        // 30 minutes late: what remains until the session's end.
        let mut late = Attempt::new("u", "T", 90);
        late.begin(40 * MINUTE, false).unwrap();
        late.fit_session(40 * MINUTE, end);
        assert_eq!(late.clock.remaining(40 * MINUTE), 60 * MINUTE);
        // After the end: nothing; the next tick finishes it.
        let mut after = Attempt::new("u", "T", 90);
        after.begin(120 * MINUTE, false).unwrap();
        after.fit_session(120 * MINUTE, end);
        assert!(after.tick(120 * MINUTE));
        // Without a session end: the whole test whenever it starts.
        let mut free = Attempt::new("u", "T", 90);
        free.begin(400 * MINUTE, false).unwrap();
        free.fit_session(400 * MINUTE, None);
        assert_eq!(free.clock.remaining(400 * MINUTE), 90 * MINUTE);
    }

    #[test]
    fn a_tile_shows_what_needs_the_proctor_first() {
        use SeatLook as L;
        use SeatState as S;
        assert_eq!(
            SeatLook::of(S::NotLoggedIn, 0, false, false),
            L::NotLoggedIn
        );
        assert_eq!(SeatLook::of(S::Finished, 3, false, true), L::Finished);
        assert_eq!(SeatLook::of(S::InProgress, 0, true, false), L::Working);
        assert_eq!(SeatLook::of(S::LoggedIn, 0, true, false), L::Working);
        // Doubtful items count only in the test (practice answers are never scored).
        assert_eq!(SeatLook::of(S::InProgress, 2, true, false), L::Doubtful);
        assert_eq!(SeatLook::of(S::Practice, 2, true, false), L::Working);
        // A silent computer before doubtful items; a refused login before everything.
        assert_eq!(SeatLook::of(S::InProgress, 2, false, false), L::Offline);
        assert_eq!(SeatLook::of(S::InProgress, 2, false, true), L::NeedsReset);
        assert_eq!(SeatLook::of(S::LoggedIn, 0, true, true), L::NeedsReset);
        let attention: Vec<L> = L::ALL
            .iter()
            .copied()
            .filter(|l| l.needs_attention())
            .collect();
        assert_eq!(attention, vec![L::Doubtful, L::NeedsReset, L::Offline]);
    }

    #[test]
    fn tiles_go_by_seat_then_by_arrival_then_as_listed() {
        let keys = [
            (None, None),         // 0: not arrived
            (Some(7), Some(500)), // 1: seat 7
            (None, Some(300)),    // 2: arrived second, no seat known
            (Some(2), None),      // 3: seat 2 (logged in before the clock was read)
            (None, Some(100)),    // 4: arrived first
            (None, None),         // 5: not arrived
        ];
        assert_eq!(tile_order(&keys), vec![3, 1, 4, 2, 0, 5]);
        assert!(tile_order(&[]).is_empty());
    }

    fn rules() -> TestRules {
        TestRules::default()
    }

    #[test]
    fn the_five_minute_warning_only_for_a_test_longer_than_five_minutes() {
        // A 5-minute test would start "warned": no warning at all.
        let mut short = Attempt::new("u", "T", 5);
        short.begin(0, false).unwrap();
        assert!(!short.warning(1000, &rules()));
        assert!(!short.warning(4 * MINUTE, &rules()));
        let mut long = Attempt::new("u", "T", 6);
        long.begin(0, false).unwrap();
        assert!(!long.warning(MINUTE - 1, &rules()));
        assert!(long.warning(MINUTE, &rules()));
        assert_eq!(rules().warning_window(5 * MINUTE), 0);
        assert_eq!(rules().warning_window(90 * MINUTE), 5 * MINUTE);
    }

    #[test]
    fn a_pause_is_not_charged() {
        let mut a = Attempt::new("u", "T", 10);
        a.begin(0, false).unwrap();
        assert!(a.pause_for_all(2 * MINUTE));
        assert!(!a.pause_for_all(3 * MINUTE), "paused already");
        // Twenty minutes without power: nothing runs out.
        assert!(!a.tick(22 * MINUTE));
        assert_eq!(a.clock.remaining(22 * MINUTE), 8 * MINUTE);
        assert!(a.resume_after_pause(22 * MINUTE));
        assert_eq!(a.clock.remaining(23 * MINUTE), 7 * MINUTE);
        assert!(!a.resume_after_pause(23 * MINUTE), "running already");
        // Practice and finished attempts have no clock to stop.
        let mut p = Attempt::new("u", "T", 10);
        p.begin(0, true).unwrap();
        assert!(!p.pause_for_all(MINUTE));
        let mut late = Attempt::new("u", "T", 1);
        late.begin(0, false).unwrap();
        assert!(!late.pause_for_all(2 * MINUTE), "its time was up: it ends");
        assert!(late.is_finished());
    }

    #[test]
    fn extra_time_lengthens_one_attempt_and_never_a_finished_one() {
        let mut a = Attempt::new("u", "T", 10);
        a.begin(0, false).unwrap();
        a.extend(9 * MINUTE, 5 * MINUTE).unwrap();
        assert_eq!(a.clock.remaining(9 * MINUTE), 6 * MINUTE);
        assert!(!a.tick(11 * MINUTE), "no time-out at the old end");
        assert!(a.tick(15 * MINUTE));
        assert!(matches!(
            a.extend(16 * MINUTE, MINUTE),
            Err(AttemptError::Finished(_))
        ));
        // Time already up but not yet recorded: it ends, and is not extended.
        let mut b = Attempt::new("u", "T", 1);
        b.begin(0, false).unwrap();
        assert!(b.extend(2 * MINUTE, MINUTE).is_err());
        assert!(b.is_finished());
    }

    #[test]
    fn full_flow_with_practice() {
        let mut a = Attempt::new("u", "t", 10);
        assert_eq!(a.check_answerable(0), Err(AttemptError::NotStarted));
        a.begin(1000, true).unwrap();
        assert_eq!(a.phase, Phase::Practice);
        a.check_answerable(5000).unwrap();
        assert_eq!(
            a.clock.remaining(60_000),
            10 * MINUTE,
            "practice is untimed"
        );
        a.end_practice(60_000).unwrap();
        assert_eq!(a.clock.remaining(120_000), 9 * MINUTE);
        assert!(!a.warning(120_000, &rules()));
        assert!(a.warning(60_000 + 5 * MINUTE, &rules()));
        assert_eq!(
            a.finish(120_000, 1, true, &rules()),
            Err(AttemptError::Doubtful(1))
        );
        assert_eq!(
            a.finish(120_000, 0, false, &rules()),
            Err(AttemptError::NotConfirmed)
        );
        a.finish(120_000, 0, true, &rules()).unwrap();
        assert!(matches!(
            a.phase,
            Phase::Finished {
                reason: FinishReason::Participant,
                ..
            }
        ));
        assert!(a.check_answerable(120_001).is_err());
    }

    #[test]
    fn time_out_finishes_at_the_deadline() {
        let mut a = Attempt::new("u", "t", 1);
        a.begin(0, false).unwrap();
        assert!(!a.tick(MINUTE - 1));
        assert!(a.tick(MINUTE + 5000));
        assert_eq!(
            a.phase,
            Phase::Finished {
                reason: FinishReason::TimeOut,
                at: MINUTE
            }
        );
        assert_eq!(
            a.check_answerable(MINUTE + 6000),
            Err(AttemptError::Finished(FinishReason::TimeOut))
        );
    }

    #[test]
    fn reset_pauses_the_clock_and_resume_keeps_time() {
        let mut a = Attempt::new("u", "t", 10);
        a.begin(0, false).unwrap();
        a.pause(2 * MINUTE);
        assert_eq!(a.clock.remaining(9 * MINUTE), 8 * MINUTE);
        a.begin(9 * MINUTE, false).unwrap();
        assert_eq!(a.clock.remaining(10 * MINUTE), 7 * MINUTE);
    }

    #[test]
    fn minimum_time_rule() {
        let r = TestRules {
            min_minutes_before_finish: 5,
            ..TestRules::default()
        };
        let mut a = Attempt::new("u", "t", 10);
        a.begin(0, false).unwrap();
        assert_eq!(
            a.finish(MINUTE, 0, true, &r),
            Err(AttemptError::TooEarly(4 * MINUTE))
        );
        a.finish(5 * MINUTE, 0, true, &r).unwrap();
    }

    #[test]
    fn force_finish_needs_a_started_attempt() {
        let mut a = Attempt::new("u", "t", 10);
        assert_eq!(a.force_finish(0, "x"), Err(AttemptError::NotStarted));
        a.begin(0, true).unwrap();
        a.force_finish(10, "client rusak").unwrap();
        assert!(
            matches!(&a.phase, Phase::Finished { reason: FinishReason::Proctor(r), .. } if r == "client rusak")
        );
    }

    #[test]
    fn login_lock_and_reset() {
        let mut p = ParticipantState::new("u");
        let l = |id, c: &str| Login {
            id,
            client: c.into(),
            at: 0,
        };
        p.login(l(1, "10.0.0.1"), false, false).unwrap();
        // Not yet started: a second login takes over.
        p.login(l(2, "10.0.0.2"), false, false).unwrap();
        assert!(!p.is_current(1) && p.is_current(2));
        // Test open: refused until the proctor resets.
        assert_eq!(
            p.login(l(3, "10.0.0.3"), false, true),
            Err(LoginError::AlreadyLoggedIn {
                client: "10.0.0.2".into()
            })
        );
        p.reset();
        p.login(l(3, "10.0.0.3"), false, true).unwrap();
        assert!(p.is_current(3) && !p.is_current(2));
        assert_eq!(p.resets, 1);

        let mut r = ParticipantState::new("cad");
        assert_eq!(
            r.login(l(1, "x"), true, false),
            Err(LoginError::ReserveNotActive)
        );
        r.reserve_active = true;
        r.login(l(1, "x"), true, false).unwrap();
    }

    #[derive(Debug, Clone)]
    enum Ev {
        Wait(u64),
        Begin(bool),
        EndPractice,
        Answer,
        Finish(usize, bool),
        Force,
        Pause,
        TimePractice(u64),
        PauseAll,
        Resume,
        Extend(u64),
        Advance,
    }

    fn ev() -> impl Strategy<Value = Ev> {
        prop_oneof![
            (0u64..4 * MINUTE).prop_map(Ev::Wait),
            any::<bool>().prop_map(Ev::Begin),
            Just(Ev::EndPractice),
            Just(Ev::Answer),
            (0usize..2, any::<bool>()).prop_map(|(d, c)| Ev::Finish(d, c)),
            Just(Ev::Force),
            Just(Ev::Pause),
            (0u64..3 * MINUTE).prop_map(Ev::TimePractice),
            Just(Ev::PauseAll),
            Just(Ev::Resume),
            (0u64..2 * MINUTE).prop_map(Ev::Extend),
            Just(Ev::Advance),
        ]
    }

    proptest! {
        /// Whatever happens: time left never grows while running, never exceeds the limit,
        /// the attempt times out exactly when time is used up, and Finished is terminal.
        #[test]
        fn state_machine_invariants(events in proptest::collection::vec(ev(), 1..60)) {
            let mut a = Attempt::new("u", "t", 10);
            let mut now = 0u64;
            let mut finished: Option<Phase> = None;
            for e in events {
                let before = a.clock.remaining(now);
                match e {
                    Ev::Wait(d) => now += d,
                    Ev::Begin(p) => { let _ = a.begin(now, p); }
                    Ev::EndPractice => { let _ = a.end_practice(now); }
                    Ev::Answer => {
                        let r = a.check_answerable(now);
                        prop_assert_eq!(r.is_ok(), a.is_open());
                    }
                    Ev::Finish(d, c) => { let _ = a.finish(now, d, c, &rules()); }
                    Ev::Force => { let _ = a.force_finish(now, "r"); }
                    Ev::Pause => a.pause(now),
                    _ => continue,
                }
                a.tick(now);
                prop_assert!(a.clock.remaining(now) <= before);
                prop_assert!(a.clock.elapsed(now) <= a.clock.limit);
                if a.phase == Phase::InProgress {
                    prop_assert!(a.clock.remaining(now) > 0);
                }
                if a.phase == Phase::Practice {
                    prop_assert_eq!(a.clock.used, 0);
                }
                if let Some(f) = &finished {
                    prop_assert_eq!(f, &a.phase);
                } else if a.is_finished() {
                    finished = Some(a.phase.clone());
                }
            }
        }

        /// `next_deadline` is exact: from any state, `advance` changes nothing before it and
        /// changes the attempt at it and after it (the room's deadline queue relies on both).
        #[test]
        fn next_deadline_is_when_advance_acts(
            events in proptest::collection::vec(ev(), 1..40),
            session_minutes in proptest::option::of(0u64..30),
            probe in 0u64..15 * MINUTE,
        ) {
            let end = session_minutes.map(|m| m * MINUTE);
            let mut a = Attempt::new("u", "t", 10);
            let mut now = 0u64;
            for e in events {
                match e {
                    Ev::Wait(d) => now += d,
                    Ev::Begin(p) => { let _ = a.begin(now, p); }
                    Ev::EndPractice => { let _ = a.end_practice(now); }
                    Ev::Answer => { let _ = a.check_answerable(now); }
                    Ev::Finish(d, c) => { let _ = a.finish(now, d, c, &rules()); }
                    Ev::Force => { let _ = a.force_finish(now, "r"); }
                    Ev::Pause => a.pause(now),
                    Ev::TimePractice(l) => a.time_practice(now, l, end),
                    Ev::PauseAll => { a.pause_for_all(now); }
                    Ev::Resume => { a.resume_after_pause(now); }
                    Ev::Extend(x) => { let _ = a.extend(now, x); }
                    Ev::Advance => { a.advance(now, end); }
                }
                // Moved on to its time, as an operation that read it would have it.
                a.advance(now, end);
                let deadline = a.next_deadline();
                prop_assert!(deadline.is_none_or(|d| d > now), "stored state already due");
                let acts = |t: u64| a.clone().advance(t, end);
                prop_assert!(!acts(now));
                match deadline {
                    Some(d) => {
                        prop_assert!(!acts(d - 1), "acts before its deadline");
                        prop_assert!(acts(d), "does not act at its deadline");
                        prop_assert_eq!(acts(now + probe), now + probe >= d);
                    }
                    None => prop_assert!(!acts(now + probe)),
                }
            }
        }
    }
}
