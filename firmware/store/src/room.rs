//! The exam-room operations: each one reads state, applies a ruji-core rule, and writes the
//! result together with an audit entry in one group-committed transaction. A refusal under the
//! rules is returned as `Ok(Err(Refusal))` and writes nothing.
//!
//! Participants are identified by username plus the login id from their cookie; a login id that
//! is no longer current (the proctor reset the login, or they logged in elsewhere) is refused
//! with [`Refusal::LoggedOut`].

use std::collections::BTreeMap;

use ruji_core::attempt::{
    Attempt, AttemptError, FinishReason, Login, LoginError, Outcome, Phase, SeatState,
};
use ruji_core::package::{same_name, IndexedPackage, Participant, Session, Test};
use ruji_core::response::{Answer, Response, ResponseError};
use ruji_core::score::{self, Milli};
use ruji_core::token::{Token, TokenPolicy, TokenState};
use ruji_core::Millis;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::tables::*;
use crate::{Action, Actor, Reader, Result, Store, Tx};

/// Why the rules refused an operation. The web layer turns each into a message saying what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No such participant.
    UnknownParticipant,
    /// Login refused (logged in elsewhere, reserve not activated).
    Login(LoginError),
    /// No session is open.
    NoOpenSession,
    /// The participant is not in the open session's group.
    NotInSession,
    /// Every test of the session is finished for this participant.
    AllDone,
    /// This login is no longer valid (reset or logged in elsewhere): log in again.
    LoggedOut,
    /// The proctor has not released a token yet.
    NoToken,
    /// The token is wrong or expired.
    WrongToken,
    /// The typed name does not match.
    NameMismatch,
    /// The typed date of birth does not match.
    BirthDateMismatch,
    /// The attempt's state machine refused.
    Attempt(AttemptError),
    /// The attempt is open but this login has not entered the token yet (after a reset).
    TokenRequired,
    /// The item is not part of what the participant may answer now.
    UnknownItem,
    /// The response does not fit the item.
    BadResponse(ResponseError),
    /// No such session.
    UnknownSession,
    /// Another session is already open.
    AnotherSessionOpen(String),
    /// The session still has attempts open; force-finish them first.
    AttemptsOpen(usize),
    /// The session is not open.
    SessionClosed,
    /// The participant is not a reserve.
    NotReserve,
    /// A test of the session is still sealed: enter the session's release code first.
    SessionSealed(String),
    /// A proctor account exists already: log in (or recover) instead of creating another.
    ProctorExists,
    /// The proctor account this login belongs to is gone or was replaced (password changed,
    /// recovery): log in again.
    ProctorChanged,
    /// The proctor paused every test: wait (an answer stays in the participant's browser and
    /// is sent again).
    Paused,
    /// Every test is paused already ([`Store::pause_all`]), or not paused ([`Store::resume_all`]).
    PauseState,
}

/// `Err(Paused)` while the proctor has paused every test.
fn not_paused(tx: &Tx) -> Result<std::result::Result<(), Refusal>> {
    Ok(match tx.meta(PAUSE)? {
        Some(_) => Err(Refusal::Paused),
        None => Ok(()),
    })
}

/// Inside a store operation: the value of a rule check, or return its refusal as the
/// operation's result (nothing written).
macro_rules! refuse {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(r) => return Ok(Err(r)),
        }
    };
}

/// Result of a room operation: storage error outside, rule refusal inside.
pub type RoomResult<T> = Result<std::result::Result<T, Refusal>>;

/// Reading access shared by a write transaction and a read snapshot.
pub(crate) trait Get {
    /// Reads a record.
    fn get_rec<V: DeserializeOwned>(&self, t: Table<V>, key: &str) -> Result<Option<V>>;
    /// Reads records by key prefix.
    fn scan_rec<V: DeserializeOwned>(&self, t: Table<V>, prefix: &str) -> Result<Vec<(String, V)>>;
}

impl Get for Tx<'_> {
    fn get_rec<V: DeserializeOwned>(&self, t: Table<V>, key: &str) -> Result<Option<V>> {
        self.get(t, key)
    }
    fn scan_rec<V: DeserializeOwned>(&self, t: Table<V>, prefix: &str) -> Result<Vec<(String, V)>> {
        self.scan(t, prefix)
    }
}

impl Get for Reader {
    fn get_rec<V: DeserializeOwned>(&self, t: Table<V>, key: &str) -> Result<Option<V>> {
        self.get(t, key)
    }
    fn scan_rec<V: DeserializeOwned>(&self, t: Table<V>, prefix: &str) -> Result<Vec<(String, V)>> {
        self.scan(t, prefix)
    }
}

/// The open session (borrowed from the package: no copy of its participant list per request)
/// and its state.
pub(crate) fn open_session<'p, R: Get>(
    r: &R,
    pkg: &'p IndexedPackage,
) -> Result<Option<(&'p Session, SessionState)>> {
    for (id, st) in r.scan_rec(SESSIONS, "")? {
        if st.open {
            if let Some(s) = pkg.session(&id) {
                return Ok(Some((s, st)));
            }
        }
    }
    Ok(None)
}

pub(crate) fn participant_record<R: Get>(r: &R, username: &str) -> Result<ParticipantRecord> {
    Ok(r.get_rec(PARTICIPANTS, username)?
        .unwrap_or_else(|| ParticipantRecord::new(username)))
}

pub(crate) fn load_attempt<R: Get>(r: &R, username: &str, test: &Test) -> Result<Attempt> {
    Ok(r.get_rec(ATTEMPTS, &attempt_key(username, &test.id))?
        .unwrap_or_else(|| Attempt::new(username, &test.id, test.duration_minutes)))
}

fn any_attempt_open<R: Get>(r: &R, username: &str) -> Result<bool> {
    Ok(r.scan_rec(ATTEMPTS, &attempts_prefix(username))?
        .iter()
        .any(|(_, a)| a.is_open()))
}

/// Everything a participant's page needs, read at one instant.
#[derive(Debug, Clone)]
pub struct Context {
    /// The participant (from the package).
    pub participant: Participant,
    /// The test they are on (first one not finished); `None` when all are done.
    pub test: Option<Test>,
    /// Their attempt at that test (ticked to now, so a time-out shows at once).
    pub attempt: Option<Attempt>,
    /// Their answers to that test, by item id.
    pub answers: BTreeMap<String, Answer>,
    /// Exam clock when read.
    pub now: Millis,
    /// The session's token state (never shown to participants; used for checks).
    pub token: Option<TokenState>,
    /// When the session ends (exam clock), if it has an end.
    pub session_ends_at: Option<Millis>,
    /// The test finished most recently before the current one, with its attempt, and whether
    /// that attempt finished (timed out) only in this reading and is not yet stored so.
    pub previous: Option<(Test, Attempt, bool)>,
    /// When the participant's current login began (exam clock), if logged in.
    pub login_at: Option<Millis>,
    /// The participant's current login id, if logged in.
    pub login_id: Option<u64>,
}

impl Context {
    /// The attempt is open but was begun under another login: this login must enter the token
    /// (and pass the identity check) before it sees or answers an item.
    pub fn needs_token(&self) -> bool {
        self.attempt
            .as_ref()
            .is_some_and(|a| a.is_open() && a.login != self.login_id)
    }

    /// Refuses with [`Refusal::TokenRequired`] when [`Context::needs_token`].
    pub fn token_passed(&self) -> std::result::Result<(), Refusal> {
        if self.needs_token() {
            Err(Refusal::TokenRequired)
        } else {
            Ok(())
        }
    }

    /// The current test and its attempt, or [`Refusal::AllDone`].
    pub fn current(&self) -> std::result::Result<(Test, Attempt), Refusal> {
        match (&self.test, &self.attempt) {
            (Some(t), Some(a)) => Ok((t.clone(), a.clone())),
            _ => Err(Refusal::AllDone),
        }
    }

    /// How the previous test ended, if it ended during this login (time-out or proctor): the
    /// participant's page belongs to that test and must send them to the thank-you page.
    pub fn ended_during_login(&self) -> Option<&FinishReason> {
        let (_, a, _) = self.previous.as_ref()?;
        let Phase::Finished { reason, at } = &a.phase else {
            return None;
        };
        let current_idle = self
            .attempt
            .as_ref()
            .is_none_or(|a| a.phase == Phase::NotStarted);
        (current_idle && self.login_at.is_some_and(|l| l <= *at)).then_some(reason)
    }
}

impl Context {
    /// Items the participant works on now: practice items in practice, else the test items.
    pub fn current_items(&self) -> &[String] {
        match (&self.test, &self.attempt) {
            (Some(t), Some(a)) if a.phase == Phase::Practice => &t.practice_items,
            (Some(t), _) => &t.items,
            _ => &[],
        }
    }

    /// Is `item` one the participant works on now ([`Context::current_items`]).
    pub fn works_on(&self, item: &str) -> bool {
        self.current_items().iter().any(|i| i == item)
    }
}

fn context_of<R: Get>(
    r: &R,
    pkg: &IndexedPackage,
    username: &str,
    login_id: Option<u64>,
    now: Millis,
) -> Result<std::result::Result<Context, Refusal>> {
    let mut ctx = refuse!(context_without_answers(r, pkg, username, login_id, now)?);
    if let Some(t) = &ctx.test {
        ctx.answers = answers_of(r, username, &t.id)?;
    }
    Ok(Ok(ctx))
}

/// [`context_of`] without reading the answers (`answers` is left empty): for an operation
/// that needs one answer at most, such as a save.
fn context_without_answers<R: Get>(
    r: &R,
    pkg: &IndexedPackage,
    username: &str,
    login_id: Option<u64>,
    now: Millis,
) -> Result<std::result::Result<Context, Refusal>> {
    let Some(participant) = pkg.participant(username) else {
        return Ok(Err(Refusal::UnknownParticipant));
    };
    let record = participant_record(r, username)?;
    if let Some(id) = login_id {
        if !record.state.is_current(id) {
            return Ok(Err(Refusal::LoggedOut));
        }
    }
    let login_at = record.state.login.as_ref().map(|l| l.at);
    let current_login = record.state.login.as_ref().map(|l| l.id);
    let Some((session, state)) = open_session(r, pkg)? else {
        return Ok(Err(Refusal::NoOpenSession));
    };
    if !pkg.in_session(&session.id, username) {
        return Ok(Err(Refusal::NotInSession));
    }
    let mut current = None;
    let mut previous = None;
    for tid in &session.tests {
        let Some(test) = pkg.test(tid) else { continue };
        let mut a = load_attempt(r, username, test)?;
        let ticked = a.advance(now, state.ends_at);
        if !a.is_finished() {
            current = Some((test.clone(), a));
            break;
        }
        previous = Some((test.clone(), a, ticked));
    }
    let (test, attempt) = current.unzip();
    Ok(Ok(Context {
        participant: participant.clone(),
        test,
        attempt,
        answers: BTreeMap::new(),
        now,
        token: state.token,
        session_ends_at: state.ends_at,
        previous,
        login_at,
        login_id: current_login,
    }))
}

/// Stores a time-out that a reading just noticed. The login stays: the participant's page
/// learns its test ended ([`Context::ended_during_login`]) and shows the thank-you page, which
/// logs out.
fn record_timeout(tx: &mut Tx<'_>, attempt: &Attempt) -> Result<()> {
    tx.put(
        ATTEMPTS,
        &attempt_key(&attempt.username, &attempt.test_id),
        attempt,
    )?;
    tx.audit(
        Actor::Participant(&attempt.username),
        Action::Timeout,
        format!("test {}", attempt.test_id),
    )?;
    Ok(())
}

/// A test's practice time limit (0: untimed; none without practice items).
fn practice_limit(test: &Test) -> Millis {
    if test.practice_items.is_empty() {
        0
    } else {
        u64::from(test.rules.practice_minutes) * ruji_core::MINUTE
    }
}

/// The test's clock started for the first time between `before` and `after` (the token with no
/// practice, or the practice's end): it gets at most what remains of the session.
fn fit_if_started(before: &Attempt, after: &mut Attempt, now: Millis, session_end: Option<Millis>) {
    if matches!(before.phase, Phase::NotStarted | Phase::Practice)
        && after.phase == Phase::InProgress
    {
        after.fit_session(now, session_end);
    }
}

/// What a successful save returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saved {
    /// Store sequence number of the save.
    pub seq: u64,
    /// Time left, ms.
    pub remaining: Millis,
    /// The save was an older revision than the one stored, so nothing changed.
    pub stale: bool,
}

/// A row of the proctor's dashboard.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ParticipantStatus {
    /// Username.
    pub username: String,
    /// Name.
    pub name: String,
    /// Class.
    pub class: String,
    /// A reserve, and whether activated.
    pub reserve: bool,
    /// Activated reserve.
    pub reserve_active: bool,
    /// Logged in now, from which client.
    pub client: Option<String>,
    /// The current login's id, if logged in.
    pub login_id: Option<u64>,
    /// Test they are on (or the last one when all done).
    pub test: Option<String>,
    /// Logged in or not, and where in the test.
    pub state: SeatState,
    /// Items answered of the current test.
    pub answered: usize,
    /// Items of the current test marked doubtful (ragu-ragu).
    pub doubtful: usize,
    /// When they came (exam clock): their login, or their first token, whichever was first;
    /// the console's order where no seat is known.
    pub arrived: Option<Millis>,
    /// Items in the current test.
    pub items: usize,
    /// Time left, ms, when in progress.
    pub remaining: Option<Millis>,
    /// Resets so far.
    pub resets: u32,
}

/// Scores of one attempt, for the result bundle.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttemptResult {
    /// Username.
    pub username: String,
    /// Test.
    pub test: String,
    /// The attempt's phase with how it finished.
    pub state: Outcome,
    /// Proctor's reason when force-finished.
    pub reason: Option<String>,
    /// Sum of objective scores, milli-points (scored tests only).
    pub score: Milli,
    /// Full marks of the objective items, milli-points.
    pub max_score: Milli,
    /// Per item: response, doubtful mark, objective score (`None` for essays and unscored
    /// tests).
    pub answers: Vec<ItemResult>,
}

/// One item of an [`AttemptResult`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ItemResult {
    /// Item id.
    pub item: String,
    /// The response, if any.
    pub response: Option<Response>,
    /// Marked doubtful.
    pub doubtful: bool,
    /// Score, milli-points.
    pub score: Option<Milli>,
}

/// A participant's answers to one test, by item id.
pub(crate) fn answers_of<R: Get>(
    r: &R,
    username: &str,
    test: &str,
) -> Result<BTreeMap<String, Answer>> {
    Ok(r.scan_rec(ANSWERS, &answers_prefix(username, test))?
        .into_iter()
        .filter_map(|(k, v)| k.rsplit(SEP).next().map(|i| (i.to_string(), v)))
        .collect())
}

/// How many of a test's items (practice items excluded) the participant has answered.
/// Items of `test` (practice items not counted) answered, and marked doubtful.
fn answer_counts<R: Get>(r: &R, username: &str, test: &Test) -> Result<(usize, usize)> {
    let mut counts = (0, 0);
    for (k, v) in r.scan_rec(ANSWERS, &answers_prefix(username, &test.id))? {
        let of_test = k
            .rsplit(SEP)
            .next()
            .is_some_and(|i| test.items.iter().any(|t| t == i));
        if of_test {
            counts.0 += usize::from(v.is_answered());
            counts.1 += usize::from(v.doubtful);
        }
    }
    Ok(counts)
}

/// One participant's dashboard row, read from the records at `now` (the session ends at
/// `ends`), with what keeps it right without reading them again ([`crate::rows::Row`]).
fn status_row<R: Get>(
    r: &R,
    pkg: &IndexedPackage,
    session: &Session,
    p: &Participant,
    now: Millis,
    ends: Option<Millis>,
) -> Result<crate::rows::Row> {
    let u = &p.username;
    let rec = participant_record(r, u)?;
    let mut row = ParticipantStatus {
        username: u.clone(),
        name: p.name.clone(),
        class: p.class.clone(),
        reserve: p.reserve,
        reserve_active: rec.state.reserve_active,
        client: rec.state.login.as_ref().map(|l| l.client.clone()),
        login_id: rec.state.login.as_ref().map(|l| l.id),
        test: None,
        state: if rec.state.login.is_some() {
            SeatState::LoggedIn
        } else {
            SeatState::NotLoggedIn
        },
        answered: 0,
        doubtful: 0,
        items: 0,
        remaining: None,
        resets: rec.state.resets,
        arrived: rec.state.login.as_ref().map(|l| l.at),
    };
    let (mut clock, mut until) = (None, None::<Millis>);
    // Left Some only when every test is finished, or between tests: the row then shows
    // the test just finished until the next one starts.
    let mut last_finished = None;
    for tid in &session.tests {
        let Some(test) = pkg.test(tid) else { continue };
        let mut a = load_attempt(r, u, test)?;
        a.advance(now, ends);
        if let Some(d) = a.next_deadline() {
            until = Some(until.map_or(d, |u| u.min(d)));
        }
        row.arrived = match (row.arrived, a.started_at) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (x, y) => x.or(y),
        };
        if a.is_finished() {
            last_finished = Some(test);
            continue;
        }
        row.test = Some(test.id.clone());
        row.items = test.items.len();
        (row.answered, row.doubtful) = answer_counts(r, u, test)?;
        if a.phase == Phase::NotStarted && last_finished.is_some() {
            break;
        }
        match a.phase {
            Phase::Practice => row.state = SeatState::Practice,
            Phase::InProgress => {
                row.state = SeatState::InProgress;
                row.remaining = Some(a.clock.remaining(now));
                clock = Some(a.clock);
            }
            _ => {}
        }
        last_finished = None;
        break;
    }
    if let Some(t) = last_finished {
        row.state = SeatState::Finished;
        row.test = Some(t.id.clone());
        row.items = t.items.len();
        (row.answered, row.doubtful) = answer_counts(r, u, t)?;
    }
    Ok(crate::rows::Row {
        status: row,
        clock,
        until,
    })
}

impl Store {
    /// Read-only: a participant's context (`login_id` checks their cookie is still current).
    pub fn context(&self, username: &str, login_id: Option<u64>) -> RoomResult<Context> {
        let pkg = self.package();
        let now = self.now();
        context_of(&self.reader()?, &pkg, username, login_id, now)
    }

    /// The password hash of a participant known to the package.
    pub fn password_hash(&self, username: &str) -> Result<Option<String>> {
        if self.package().participant(username).is_none() {
            return Ok(None);
        }
        Ok(self
            .reader()?
            .get::<ParticipantRecord>(PARTICIPANTS, username)?
            .map(|r| r.password_hash))
    }

    /// Replaces participant `username`'s password hash `old` by `new` (the same password hashed
    /// with today's parameters); `false`, and nothing written, when the hash is no longer `old`
    /// (a new package came meanwhile).
    pub async fn upgrade_password_hash(
        &self,
        username: &str,
        old: String,
        new: String,
    ) -> Result<bool> {
        let u = username.to_string();
        self.write(move |tx| {
            let Some(mut rec) = tx.get_rec::<ParticipantRecord>(PARTICIPANTS, &u)? else {
                return Ok(false);
            };
            if rec.password_hash != old {
                return Ok(false);
            }
            rec.password_hash = new;
            tx.put(PARTICIPANTS, &u, &rec)?;
            tx.audit(
                Actor::Participant(&u),
                Action::PasswordUpgraded,
                "hashed again with today's parameters".into(),
            )?;
            Ok(true)
        })
        .await
    }

    /// A participant whose password was verified logs in from `client` with a fresh `login_id`.
    pub async fn login(&self, username: &str, client: &str, login_id: u64) -> RoomResult<()> {
        let (pkg, u, client) = (self.package(), username.to_string(), client.to_string());
        self.write(move |tx| {
            let ctx = refuse!(context_of(tx, &pkg, &u, None, tx.now)?);
            let mut rec = participant_record(tx, &u)?;
            let open = any_attempt_open(tx, &u)?;
            let login = Login {
                id: login_id,
                client: client.clone(),
                at: tx.now,
            };
            if let Err(e) = rec.state.login(login, ctx.participant.reserve, open) {
                return Ok(Err(Refusal::Login(e)));
            }
            tx.put(PARTICIPANTS, &u, &rec)?;
            tx.audit(
                Actor::Participant(&u),
                Action::Login,
                format!("from {client}"),
            )?;
            Ok(Ok(()))
        })
        .await
    }

    /// The participant logs out.
    pub async fn logout(&self, username: &str, login_id: u64) -> Result<()> {
        let u = username.to_string();
        self.write(move |tx| {
            let mut rec = participant_record(tx, &u)?;
            if rec.state.is_current(login_id) {
                rec.state.logout(login_id);
                tx.put(PARTICIPANTS, &u, &rec)?;
                tx.audit(Actor::Participant(&u), Action::Logout, String::new())?;
            }
            Ok(())
        })
        .await
    }

    /// Identity check and token: starts (or resumes after a reset) the current test.
    pub async fn start(
        &self,
        username: &str,
        login_id: u64,
        typed_name: &str,
        typed_birth_date: &str,
        token: &str,
        policy: TokenPolicy,
    ) -> RoomResult<()> {
        let pkg = self.package();
        let (u, name, dob, token) = (
            username.to_string(),
            typed_name.to_string(),
            typed_birth_date.to_string(),
            token.to_string(),
        );
        self.write(move |tx| {
            refuse!(not_paused(tx)?);
            let ctx = refuse!(context_of(tx, &pkg, &u, Some(login_id), tx.now)?);
            let (test, mut attempt) = refuse!(ctx.current());
            if !same_name(&name, &ctx.participant.name) {
                return Ok(Err(Refusal::NameMismatch));
            }
            if let Some(registered) = &ctx.participant.birth_date {
                let a = ruji_core::package::parse_date(registered);
                if a.is_none() || a != ruji_core::package::parse_date(&dob) {
                    return Ok(Err(Refusal::BirthDateMismatch));
                }
            }
            let Some(state) = ctx.token else {
                return Ok(Err(Refusal::NoToken));
            };
            if !state.accepts(&token, &policy, tx.now) {
                return Ok(Err(Refusal::WrongToken));
            }
            let resumed = attempt.is_open();
            let before = attempt.clone();
            if let Err(e) = attempt.begin(tx.now, !test.practice_items.is_empty()) {
                return Ok(Err(Refusal::Attempt(e)));
            }
            fit_if_started(&before, &mut attempt, tx.now, ctx.session_ends_at);
            attempt.time_practice(tx.now, practice_limit(&test), ctx.session_ends_at);
            attempt.login = Some(login_id);
            tx.put(ATTEMPTS, &attempt_key(&u, &test.id), &attempt)?;
            tx.audit(
                Actor::Participant(&u),
                if resumed {
                    Action::Resume
                } else {
                    Action::Start
                },
                format!("test {}", test.id),
            )?;
            Ok(Ok(()))
        })
        .await
    }

    /// Leaves practice and starts the test's clock.
    pub async fn end_practice(&self, username: &str, login_id: u64) -> RoomResult<()> {
        self.attempt_op(username, login_id, Action::EndPractice, |a, now| {
            a.end_practice(now).map(|_| String::new())
        })
        .await
    }

    /// The participant finishes the current test (rules of the test apply) and is logged out.
    pub async fn finish(&self, username: &str, login_id: u64, confirmed: bool) -> RoomResult<()> {
        let pkg = self.package();
        let u = username.to_string();
        self.write(move |tx| {
            refuse!(not_paused(tx)?);
            let ctx = refuse!(context_of(tx, &pkg, &u, Some(login_id), tx.now)?);
            refuse!(ctx.token_passed());
            let (test, mut attempt) = refuse!(ctx.current());
            let doubtful = test
                .items
                .iter()
                .filter(|i| ctx.answers.get(*i).is_some_and(|a| a.doubtful))
                .count();
            if let Err(e) = attempt.finish(tx.now, doubtful, confirmed, &test.rules) {
                return Ok(Err(Refusal::Attempt(e)));
            }
            tx.put(ATTEMPTS, &attempt_key(&u, &test.id), &attempt)?;
            let mut rec = participant_record(tx, &u)?;
            rec.state.logout(login_id);
            tx.put(PARTICIPANTS, &u, &rec)?;
            tx.audit(
                Actor::Participant(&u),
                Action::Finish,
                format!("test {}", test.id),
            )?;
            Ok(Ok(()))
        })
        .await
    }

    async fn attempt_op(
        &self,
        username: &str,
        login_id: u64,
        action: Action,
        f: impl FnOnce(&mut Attempt, Millis) -> std::result::Result<String, AttemptError>
            + Send
            + 'static,
    ) -> RoomResult<()> {
        let pkg = self.package();
        let u = username.to_string();
        self.write(move |tx| {
            refuse!(not_paused(tx)?);
            let ctx = refuse!(context_of(tx, &pkg, &u, Some(login_id), tx.now)?);
            refuse!(ctx.token_passed());
            let (test, mut attempt) = refuse!(ctx.current());
            let before = attempt.clone();
            let done = f(&mut attempt, tx.now);
            fit_if_started(&before, &mut attempt, tx.now, ctx.session_ends_at);
            match done {
                Ok(_) if attempt == before => Ok(Ok(())),
                Ok(detail) => {
                    tx.put(ATTEMPTS, &attempt_key(&u, &test.id), &attempt)?;
                    tx.audit(
                        Actor::Participant(&u),
                        action,
                        format!("test {} {detail}", test.id),
                    )?;
                    Ok(Ok(()))
                }
                Err(e) => Ok(Err(Refusal::Attempt(e))),
            }
        })
        .await
    }

    /// Saves an answer; resolves only once it is durable. `rev` is the client's revision for
    /// this item (0 for plain form posts, which always write).
    pub async fn save_answer(
        &self,
        username: &str,
        login_id: u64,
        item_id: &str,
        response: Option<Response>,
        doubtful: bool,
        rev: u64,
    ) -> RoomResult<Saved> {
        let pkg = self.package();
        let (u, item_id) = (username.to_string(), item_id.to_string());
        self.write(move |tx| {
            refuse!(not_paused(tx)?);
            let ctx = refuse!(context_without_answers(
                tx,
                &pkg,
                &u,
                Some(login_id),
                tx.now
            )?);
            refuse!(ctx.token_passed());
            if !ctx.works_on(&item_id) {
                // An item of the test that just ended: say why it is closed.
                if let Some((t, a, ticked)) = &ctx.previous {
                    if t.items.contains(&item_id) || t.practice_items.contains(&item_id) {
                        if *ticked {
                            record_timeout(tx, a)?;
                        }
                        if let Phase::Finished { reason, .. } = &a.phase {
                            return Ok(Err(Refusal::Attempt(AttemptError::Finished(
                                reason.clone(),
                            ))));
                        }
                    }
                }
                return Ok(Err(Refusal::UnknownItem));
            }
            let (test, mut attempt) = refuse!(ctx.current());
            let was = attempt.clone();
            if let Err(e) = attempt.check_answerable(tx.now) {
                if attempt.is_finished() && !was.is_finished() {
                    // The time ran out: record the time-out even though the save is refused.
                    // (A refusal normally writes nothing; this write is the clock's, not the
                    // answer's, and is what the sweeper would write a moment later.)
                    record_timeout(tx, &attempt)?;
                }
                return Ok(Err(Refusal::Attempt(e)));
            }
            let item = pkg.item(&item_id).expect("listed items exist (validated)");
            if let Some(r) = &response {
                if let Err(e) = r.check(item) {
                    return Ok(Err(Refusal::BadResponse(e)));
                }
            }
            let remaining = attempt.clock.remaining(tx.now);
            let key = answer_key(&u, &test.id, &item_id);
            if let Some(old) = tx.get(ANSWERS, &key)? {
                if rev > 0 && rev <= old.rev {
                    return Ok(Ok(Saved {
                        seq: old.seq,
                        remaining,
                        stale: true,
                    }));
                }
            }
            if attempt != was {
                tx.put(ATTEMPTS, &attempt_key(&u, &test.id), &attempt)?;
            }
            let seq = tx.audit(
                Actor::Participant(&u),
                Action::Answer,
                format!("test {} item {item_id}", test.id),
            )?;
            let answer = Answer {
                response,
                doubtful,
                saved_at: tx.now,
                seq,
                rev,
            };
            tx.put(ANSWERS, &key, &answer)?;
            Ok(Ok(Saved {
                seq,
                remaining,
                stale: false,
            }))
        })
        .await
    }

    /// The attempts whose time is up, or whose timed practice is over: the due part of the
    /// deadline queue, without reading the store (cheap enough for the async workers).
    pub fn due_timeouts(&self) -> Vec<String> {
        self.deadlines().due(self.now())
    }

    /// Moves on the attempts of [`Store::due_timeouts`]: a timed practice that is over ends
    /// (`end_practice` audited, "time"), a test whose time is up finishes (`timeout`). Returns
    /// how many tests finished.
    pub async fn finish_timeouts(&self, due: Vec<String>) -> Result<usize> {
        if due.is_empty() {
            return Ok(0);
        }
        let pkg = self.package();
        self.write(move |tx| {
            let ends = open_session(tx, &pkg)?.and_then(|(_, st)| st.ends_at);
            let mut n = 0;
            for key in due {
                let Some(mut a) = tx.get::<Attempt>(ATTEMPTS, &key)? else {
                    tx.note_deadline(key, None);
                    continue;
                };
                let before = a.phase.clone();
                if !a.advance(tx.now, ends) {
                    // Not due after all (the queue is exact, `Attempt::next_deadline`; this
                    // only keeps a wrong entry from coming back every second).
                    tx.note_deadline(key, a.next_deadline());
                    continue;
                }
                if before == Phase::Practice && a.phase != Phase::Practice {
                    tx.audit(
                        Actor::Participant(&a.username),
                        Action::EndPractice,
                        format!("test {} time", a.test_id),
                    )?;
                }
                if a.is_finished() {
                    record_timeout(tx, &a)?;
                    n += 1;
                } else {
                    tx.put(ATTEMPTS, &key, &a)?;
                }
            }
            Ok(n)
        })
        .await
    }

    /// Proctor: opens a session and releases its first token. One session at a time.
    pub async fn open_session(&self, session_id: &str, token: Token) -> RoomResult<()> {
        let pkg = self.package();
        let id = session_id.to_string();
        self.write(move |tx| {
            let Some(session) = pkg.session(&id) else {
                return Ok(Err(Refusal::UnknownSession));
            };
            if let Some(t) = session
                .tests
                .iter()
                .filter_map(|t| pkg.test(t))
                .find(|t| t.sealed)
            {
                return Ok(Err(Refusal::SessionSealed(t.name.clone())));
            }
            if let Some((s, _)) = open_session(tx, &pkg)? {
                if s.id != id {
                    return Ok(Err(Refusal::AnotherSessionOpen(s.name.clone())));
                }
                return Ok(Ok(()));
            }
            let mut st: SessionState = tx.get(SESSIONS, &id)?.unwrap_or_default();
            st.open = true;
            st.opened_at = Some(tx.now);
            st.ends_at = session.length(&pkg).map(|l| tx.now.saturating_add(l));
            st.closed_at = None;
            let t = token.as_str().to_string();
            st.token = Some(TokenState::release(token, tx.now));
            tx.put(SESSIONS, &id, &st)?;
            tx.audit(
                Actor::Proctor,
                Action::OpenSession,
                format!("{id} token {t}"),
            )?;
            Ok(Ok(()))
        })
        .await
    }

    /// Proctor: closes the open session. Refused while attempts are still open.
    pub async fn close_session(&self, session_id: &str) -> RoomResult<()> {
        let pkg = self.package();
        let id = session_id.to_string();
        self.write(move |tx| {
            let Some(session) = pkg.session(&id) else {
                return Ok(Err(Refusal::UnknownSession));
            };
            let mut st: SessionState = tx.get(SESSIONS, &id)?.unwrap_or_default();
            if !st.open {
                return Ok(Err(Refusal::SessionClosed));
            }
            let mut open = 0;
            for u in &session.participants {
                for t in &session.tests {
                    let a: Option<Attempt> = tx.get(ATTEMPTS, &attempt_key(u, t))?;
                    if a.is_some_and(|mut a| {
                        a.tick(tx.now);
                        a.is_open()
                    }) {
                        open += 1;
                    }
                }
            }
            if open > 0 {
                return Ok(Err(Refusal::AttemptsOpen(open)));
            }
            st.open = false;
            st.closed_at = Some(tx.now);
            tx.put(SESSIONS, &id, &st)?;
            tx.audit(Actor::Proctor, Action::CloseSession, id.clone())?;
            Ok(Ok(()))
        })
        .await
    }

    /// Proctor (or the automatic rotation): replaces the open session's token.
    pub async fn rotate_token(&self, token: Token, actor: Actor<'static>) -> RoomResult<()> {
        let pkg = self.package();
        self.write(move |tx| {
            let Some((s, mut st)) = open_session(tx, &pkg)? else {
                return Ok(Err(Refusal::NoOpenSession));
            };
            let t = token.as_str().to_string();
            match &mut st.token {
                Some(ts) => ts.rotate(token, tx.now),
                None => st.token = Some(TokenState::release(token, tx.now)),
            }
            tx.put(SESSIONS, &s.id, &st)?;
            tx.audit(actor, Action::RotateToken, format!("{} token {t}", s.id))?;
            Ok(Ok(()))
        })
        .await
    }

    /// Proctor: resets a participant's login; their open attempt's clock pauses until they are
    /// back.
    pub async fn reset_login(&self, username: &str) -> RoomResult<()> {
        let pkg = self.package();
        let u = username.to_string();
        self.write(move |tx| {
            if pkg.participant(&u).is_none() {
                return Ok(Err(Refusal::UnknownParticipant));
            }
            let mut rec = participant_record(tx, &u)?;
            rec.state.reset();
            tx.put(PARTICIPANTS, &u, &rec)?;
            for (k, mut a) in tx.scan(ATTEMPTS, &attempts_prefix(&u))? {
                if a.is_open() {
                    a.pause(tx.now);
                    tx.put(ATTEMPTS, &k, &a)?;
                }
            }
            tx.audit(Actor::Proctor, Action::ResetLogin, u.clone())?;
            Ok(Ok(()))
        })
        .await
    }

    /// Proctor: force-finishes the participant's open attempt, with a reason for the report.
    pub async fn force_finish(&self, username: &str, reason: &str) -> RoomResult<String> {
        let pkg = self.package();
        let (u, reason) = (username.to_string(), reason.trim().to_string());
        self.write(move |tx| {
            let ctx = refuse!(context_of(tx, &pkg, &u, None, tx.now)?);
            let (test, mut attempt) = refuse!(ctx.current());
            if let Err(e) = attempt.force_finish(tx.now, &reason) {
                return Ok(Err(Refusal::Attempt(e)));
            }
            // The login stays: the participant's page learns the test ended (see
            // `Context::ended_during_login`) and shows the thank-you page, which logs out.
            tx.put(ATTEMPTS, &attempt_key(&u, &test.id), &attempt)?;
            tx.audit(
                Actor::Proctor,
                Action::ForceFinish,
                format!("{u} test {} reason: {reason}", test.id),
            )?;
            Ok(Ok(test.id))
        })
        .await
    }

    /// Proctor: pauses every test of the open session (the clients lost power while the board
    /// runs on its UPS): each running clock stops, and participants' saves, starts and finishes
    /// are refused until [`Store::resume_all`] (their answers wait in their browsers). Kept
    /// across a restart. Returns how many clocks stopped.
    pub async fn pause_all(&self) -> RoomResult<usize> {
        let pkg = self.package();
        self.write(move |tx| {
            if tx.meta(PAUSE)?.is_some() {
                return Ok(Err(Refusal::PauseState));
            }
            let Some((session, st)) = open_session(tx, &pkg)? else {
                return Ok(Err(Refusal::NoOpenSession));
            };
            let mut stopped = Vec::new();
            for u in &session.participants {
                for tid in &session.tests {
                    let Some(test) = pkg.test(tid) else { continue };
                    let mut a = load_attempt(tx, u, test)?;
                    let was_finished = a.is_finished();
                    // A practice whose time is up is the test's now (the sweep's second).
                    a.advance(tx.now, st.ends_at);
                    if a.pause_for_all(tx.now) {
                        let key = attempt_key(u, &test.id);
                        tx.put(ATTEMPTS, &key, &a)?;
                        stopped.push(key);
                    } else if !was_finished && a.is_finished() {
                        // Its time was up before the pause.
                        record_timeout(tx, &a)?;
                    }
                }
            }
            let n = stopped.len();
            tx.set_meta(
                PAUSE,
                &Pause {
                    since: tx.now,
                    attempts: stopped,
                },
            )?;
            tx.audit(
                Actor::Proctor,
                Action::PauseAll,
                format!("{} tests paused", n),
            )?;
            Ok(Ok(n))
        })
        .await
    }

    /// Proctor: resumes every test [`Store::pause_all`] stopped: each clock runs again from now,
    /// so the pause is not charged. Returns how many.
    pub async fn resume_all(&self) -> RoomResult<usize> {
        let pkg = self.package();
        self.write(move |tx| {
            let Some(pause) = tx.meta(PAUSE)? else {
                return Ok(Err(Refusal::PauseState));
            };
            let mut n = 0;
            for key in &pause.attempts {
                let Some(mut a) = tx.get::<Attempt>(ATTEMPTS, key)? else {
                    continue;
                };
                if a.resume_after_pause(tx.now) {
                    tx.put(ATTEMPTS, key, &a)?;
                    n += 1;
                }
            }
            // Nor is the pause charged to the session's end.
            let paused_for = tx.now.saturating_sub(pause.since);
            if let Some((session, mut st)) = open_session(tx, &pkg)? {
                st.ends_at = st.ends_at.map(|e| e.saturating_add(paused_for));
                tx.put(SESSIONS, &session.id, &st)?;
            }
            tx.remove_meta(PAUSE)?;
            tx.audit(
                Actor::Proctor,
                Action::ResumeAll,
                format!(
                    "{n} tests resumed after {} s",
                    tx.now.saturating_sub(pause.since) / 1000
                ),
            )?;
            Ok(Ok(n))
        })
        .await
    }

    /// Since when every test is paused, if it is ([`Store::pause_all`]).
    pub fn paused_since(&self) -> Result<Option<Millis>> {
        Ok(self.reader()?.meta(PAUSE)?.map(|p| p.since))
    }

    /// Proctor: `extra` more working time for `username`'s current test, with the reason (the
    /// audit detail is `USERNAME test T +N min reason: ...`, which the session report lists).
    pub async fn extend_time(
        &self,
        username: &str,
        extra: Millis,
        reason: &str,
    ) -> RoomResult<String> {
        let pkg = self.package();
        let (u, reason) = (username.to_string(), reason.trim().to_string());
        self.write(move |tx| {
            let ctx = refuse!(context_of(tx, &pkg, &u, None, tx.now)?);
            let (test, mut attempt) = refuse!(ctx.current());
            if let Err(e) = attempt.extend(tx.now, extra) {
                return Ok(Err(Refusal::Attempt(e)));
            }
            tx.put(ATTEMPTS, &attempt_key(&u, &test.id), &attempt)?;
            tx.audit(
                Actor::Proctor,
                Action::ExtraTime,
                format!(
                    "{u} test {} +{} min reason: {reason}",
                    test.id,
                    extra / ruji_core::MINUTE
                ),
            )?;
            Ok(Ok(test.id))
        })
        .await
    }

    /// Proctor: activates a reserve participant, replacing `replaces` (an absent main
    /// participant, when the proctor names one: the session report says whom each reserve
    /// replaced). The audit detail is `RESERVE` or `RESERVE replaces USERNAME`.
    pub async fn activate_reserve(&self, username: &str, replaces: Option<&str>) -> RoomResult<()> {
        let pkg = self.package();
        let u = username.to_string();
        let replaces = replaces.map(str::to_string);
        self.write(move |tx| {
            match pkg.participant(&u) {
                None => return Ok(Err(Refusal::UnknownParticipant)),
                Some(p) if !p.reserve => return Ok(Err(Refusal::NotReserve)),
                _ => {}
            }
            if let Some(r) = &replaces {
                match pkg.participant(r) {
                    Some(p) if !p.reserve => {}
                    Some(_) => return Ok(Err(Refusal::NotReserve)),
                    None => return Ok(Err(Refusal::UnknownParticipant)),
                }
            }
            let mut rec = participant_record(tx, &u)?;
            rec.state.reserve_active = true;
            tx.put(PARTICIPANTS, &u, &rec)?;
            let detail = match &replaces {
                Some(r) => format!("{u} replaces {r}"),
                None => u.clone(),
            };
            tx.audit(Actor::Proctor, Action::ActivateReserve, detail)?;
            Ok(Ok(()))
        })
        .await
    }

    /// Proctor: new passwords for `hashes` (username, argon2 hash of the new password) in one
    /// commit, each audited (`password_reissued`); the old passwords stop working at once. A
    /// participant's login in progress is not ended. Refused whole when one is unknown.
    pub async fn reissue_passwords(&self, hashes: Vec<(String, String)>) -> RoomResult<usize> {
        let pkg = self.package();
        self.write(move |tx| {
            if hashes.iter().any(|(u, _)| pkg.participant(u).is_none()) {
                return Ok(Err(Refusal::UnknownParticipant));
            }
            let n = hashes.len();
            let mut reissued = tx
                .meta(REISSUED)?
                .filter(|r| r.package == pkg.id)
                .unwrap_or_else(|| Reissued {
                    package: pkg.id.clone(),
                    usernames: vec![],
                });
            for (u, _) in &hashes {
                if !reissued.usernames.contains(u) {
                    reissued.usernames.push(u.clone());
                }
            }
            tx.set_meta(REISSUED, &reissued)?;
            for (u, hash) in hashes {
                let mut rec = participant_record(tx, &u)?;
                rec.password_hash = hash;
                tx.put(PARTICIPANTS, &u, &rec)?;
                tx.audit(
                    Actor::Proctor,
                    Action::PasswordReissued,
                    format!("{u}: new login card printed; the old password no longer works"),
                )?;
            }
            Ok(Ok(n))
        })
        .await
    }

    /// The open session, if any, with its state: the one query for "which session is open".
    pub fn current_session(&self) -> Result<Option<(Session, SessionState)>> {
        let pkg = self.package();
        Ok(open_session(&self.reader()?, &pkg)?.map(|(s, st)| (s.clone(), st)))
    }

    /// The open session's state, if one is open: [`Store::current_session`] without a copy of
    /// the session (the periodic work and the LED ask every second or two).
    pub fn open_session_state(&self) -> Result<Option<SessionState>> {
        let pkg = self.package();
        Ok(open_session(&self.reader()?, &pkg)?.map(|(_, st)| st))
    }

    /// State of every session.
    pub fn sessions(&self) -> Result<Vec<(Session, SessionState)>> {
        let pkg = self.package();
        let r = self.reader()?;
        pkg.sessions
            .iter()
            .map(|s| Ok((s.clone(), r.get(SESSIONS, &s.id)?.unwrap_or_default())))
            .collect()
    }

    /// Dashboard rows for a session's participants. A row is read from the records only when
    /// they changed since it was last read, or its time ran out ([`crate::rows`]); the live
    /// console asks every second.
    pub fn status(&self, session_id: &str) -> RoomResult<Vec<ParticipantStatus>> {
        self.status_at(session_id, self.now())
    }

    /// [`Store::status`] at exam-clock time `now`.
    fn status_at(&self, session_id: &str, now: Millis) -> RoomResult<Vec<ParticipantStatus>> {
        let pkg = self.package();
        let Some(session) = pkg.session(session_id) else {
            return Ok(Err(Refusal::UnknownSession));
        };
        let mut kept = self.rows();
        kept.for_session(&pkg, session_id);
        // The count of changes first: a reader opened after it sees every change it counts.
        let read_at = self.changes().now();
        let mut reader = None;
        let mut rows = Vec::with_capacity(session.participants.len());
        for u in &session.participants {
            let Some(p) = pkg.participant(u) else {
                continue;
            };
            if let Some(row) = kept.get(u, &self.changes(), now) {
                rows.push(row);
                continue;
            }
            // One snapshot for the rows read (none when every row is kept).
            if reader.is_none() {
                let r = self.reader()?;
                let ends = r.get(SESSIONS, session_id)?.and_then(|st| st.ends_at);
                reader = Some((r, ends));
            }
            let (r, ends) = reader.as_ref().expect("opened above");
            let row = status_row(r, &pkg, session, p, now, *ends)?;
            rows.push(row.status.clone());
            kept.put(u, read_at, row);
        }
        Ok(Ok(rows))
    }

    /// [`Store::status`] at `now`, and the same read from the records, every row (tests
    /// compare the kept rows with it).
    #[cfg(test)]
    pub(crate) fn status_kept_and_read(
        &self,
        session_id: &str,
    ) -> Result<(Vec<ParticipantStatus>, Vec<ParticipantStatus>)> {
        let now = self.now();
        let kept = self
            .status_at(session_id, now)?
            .expect("a session of the package");
        let pkg = self.package();
        let session = pkg.session(session_id).expect("a session of the package");
        let r = self.reader()?;
        let ends = r.get(SESSIONS, session_id)?.and_then(|st| st.ends_at);
        session
            .participants
            .iter()
            .filter_map(|u| pkg.participant(u))
            .map(|p| Ok(status_row(&r, &pkg, session, p, now, ends)?.status))
            .collect::<Result<_>>()
            .map(|read| (kept, read))
    }

    /// Results of a session: every participant's attempt at every test, scored.
    pub fn results(&self, session_id: &str) -> RoomResult<Vec<AttemptResult>> {
        let pkg = self.package();
        let Some(session) = pkg.session(session_id) else {
            return Ok(Err(Refusal::UnknownSession));
        };
        let r = self.reader()?;
        let now = self.now();
        let mut out = Vec::new();
        for u in &session.participants {
            for tid in &session.tests {
                let Some(test) = pkg.test(tid) else { continue };
                let mut a = load_attempt(&r, u, test)?;
                a.tick(now);
                let answers = answers_of(&r, u, &test.id)?;
                let scores = score::score_test(&pkg, test, |i| {
                    answers.get(i).and_then(|a| a.response.as_ref())
                });
                let items = scores
                    .items
                    .into_iter()
                    .map(|(iid, s)| {
                        let ans = answers.get(&iid);
                        ItemResult {
                            response: ans.and_then(|a| a.response.clone()),
                            doubtful: ans.is_some_and(|a| a.doubtful),
                            score: s,
                            item: iid,
                        }
                    })
                    .collect();
                let reason = match &a.phase {
                    Phase::Finished {
                        reason: ruji_core::attempt::FinishReason::Proctor(r),
                        ..
                    } => Some(r.clone()),
                    _ => None,
                };
                out.push(AttemptResult {
                    username: u.clone(),
                    test: test.id.clone(),
                    state: a.phase.outcome(),
                    reason,
                    score: scores.total,
                    max_score: scores.max,
                    answers: items,
                });
            }
        }
        Ok(Ok(out))
    }
}

/// Backup marks: which closed sessions still have results the proctor has not exported.
impl Store {
    /// Records that the proctor exported (downloaded) a session's results now. Audited.
    pub async fn mark_results_exported(&self, session_id: &str) -> RoomResult<()> {
        let pkg = self.package();
        let id = session_id.to_string();
        self.write(move |tx| {
            if pkg.session(&id).is_none() {
                return Ok(Err(Refusal::UnknownSession));
            }
            let mut marks: BTreeMap<String, Millis> =
                tx.meta(RESULTS_EXPORTED)?.unwrap_or_default();
            marks.insert(id.clone(), tx.now);
            tx.set_meta(RESULTS_EXPORTED, &marks)?;
            tx.audit(Actor::Proctor, Action::ResultsExported, id)?;
            Ok(Ok(()))
        })
        .await
    }

    /// Closed sessions whose results were not exported since they closed, in package order.
    /// Only sessions where at least one participant started a test count: a session opened and
    /// closed without anyone starting has nothing to back up.
    pub fn results_not_exported(&self) -> Result<Vec<Session>> {
        let r = self.reader()?;
        let marks: BTreeMap<String, Millis> = r.meta(RESULTS_EXPORTED)?.unwrap_or_default();
        Ok(closed_with_results(&r, &self.package())?
            .into_iter()
            .filter(|(s, closed)| marks.get(&s.id).is_none_or(|at| at < closed))
            .map(|(s, _)| s)
            .collect())
    }

    /// Closed sessions where at least one participant started a test (the sessions that have
    /// results to hand over), by id, in package order.
    pub fn sessions_with_results(&self) -> Result<Vec<String>> {
        Ok(closed_with_results(&self.reader()?, &self.package())?
            .into_iter()
            .map(|(s, _)| s.id)
            .collect())
    }
}

/// Closed sessions (with when they closed) where at least one participant started a test.
fn closed_with_results(r: &Reader, pkg: &IndexedPackage) -> Result<Vec<(Session, Millis)>> {
    let mut out = Vec::new();
    for s in &pkg.sessions {
        let st: SessionState = r.get(SESSIONS, &s.id)?.unwrap_or_default();
        let Some(closed) = st.closed_at.filter(|_| !st.open) else {
            continue;
        };
        let mut started = false;
        'find: for u in &s.participants {
            for t in &s.tests {
                let a: Option<Attempt> = r.get(ATTEMPTS, &attempt_key(u, t))?;
                if a.is_some_and(|a| a.phase != Phase::NotStarted) {
                    started = true;
                    break 'find;
                }
            }
        }
        if started {
            out.push((s.clone(), closed));
        }
    }
    Ok(out)
}
