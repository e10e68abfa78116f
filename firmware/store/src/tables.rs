//! Tables and records. Keys are text; composite keys join their parts with [`SEP`] (a control
//! character that never appears in an id); values are postcard-encoded records.
//!
//! | table | key | value |
//! |---|---|---|
//! | meta | `schema_version`, `clock`, `package`, `proctor`, `cookie_key`, `results_exported`, ... | various |
//! | participants | username | [`ParticipantRecord`] |
//! | attempts | username SEP test | [`ruji_core::attempt::Attempt`] |
//! | answers | username SEP test SEP item | [`ruji_core::response::Answer`] |
//! | sessions | session id | [`SessionState`] |
//! | audit | sequence number (u64) | [`AuditEntry`] |

use redb::TableDefinition;
use ruji_core::attempt::ParticipantState;
use ruji_core::token::TokenState;
use ruji_core::Millis;
use serde::{Deserialize, Serialize};

/// Separator of composite keys.
pub const SEP: char = '\u{1f}';

pub(crate) const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
pub(crate) const PARTICIPANTS: TableDefinition<&str, &[u8]> = TableDefinition::new("participants");
pub(crate) const ATTEMPTS: TableDefinition<&str, &[u8]> = TableDefinition::new("attempts");
pub(crate) const ANSWERS: TableDefinition<&str, &[u8]> = TableDefinition::new("answers");
pub(crate) const SESSIONS: TableDefinition<&str, &[u8]> = TableDefinition::new("sessions");
pub(crate) const AUDIT: TableDefinition<u64, &[u8]> = TableDefinition::new("audit");

/// `meta` key: schema version (u32).
pub const KEY_SCHEMA: &str = "schema_version";
/// `meta` key: last recorded exam clock ([`ClockRecord`]).
pub const KEY_CLOCK: &str = "clock";
/// `meta` key: the installed package.
pub const KEY_PACKAGE: &str = "package";
/// `meta` key: the proctor account ([`ProctorAccount`]).
pub const KEY_PROCTOR: &str = "proctor";
/// `meta` key: how many proctor accounts were created so far (u32); a new account gets the next
/// number as its generation, so cookies of an account that was reset never work again.
pub const KEY_PROCTOR_GENERATION: &str = "proctor_generation";
/// `meta` key: the key signing cookies (64 random bytes).
pub const KEY_COOKIE: &str = "cookie_key";
/// Meta: where the installed package came from and what of it is released (ruji-web's
/// `PackageSource`).
pub const KEY_PACKAGE_SOURCE: &str = "package_source";
/// Meta: issuer keys added on the proctor's package page.
pub const KEY_TRUSTED_ISSUERS: &str = "trusted_issuers";
/// `meta` key: when the proctor last exported (downloaded) each session's results, as a map of
/// session id to exam-clock time (`BTreeMap<String, Millis>`). A closed session whose results
/// were not exported after it closed needs a backup (the panel's attention).
pub const KEY_RESULTS_EXPORTED: &str = "results_exported";

/// The text-keyed tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// Settings and singletons.
    Meta,
    /// Per-participant state and password hash.
    Participants,
    /// Attempts.
    Attempts,
    /// Answers.
    Answers,
    /// Session state (open, token).
    Sessions,
}

impl Table {
    pub(crate) const ALL: [Table; 5] = [
        Table::Meta,
        Table::Participants,
        Table::Attempts,
        Table::Answers,
        Table::Sessions,
    ];
    pub(crate) fn def(self) -> TableDefinition<'static, &'static str, &'static [u8]> {
        match self {
            Table::Meta => META,
            Table::Participants => PARTICIPANTS,
            Table::Attempts => ATTEMPTS,
            Table::Answers => ANSWERS,
            Table::Sessions => SESSIONS,
        }
    }
    pub(crate) fn name(self) -> &'static str {
        match self {
            Table::Meta => "meta",
            Table::Participants => "participants",
            Table::Attempts => "attempts",
            Table::Answers => "answers",
            Table::Sessions => "sessions",
        }
    }
}

/// Key of an attempt.
pub fn attempt_key(username: &str, test: &str) -> String {
    format!("{username}{SEP}{test}")
}

/// Key of an answer.
pub fn answer_key(username: &str, test: &str, item: &str) -> String {
    format!("{username}{SEP}{test}{SEP}{item}")
}

/// Prefix of every answer of one attempt.
pub fn answers_prefix(username: &str, test: &str) -> String {
    format!("{username}{SEP}{test}{SEP}")
}

/// Last recorded exam clock with the wall clock at that moment.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct ClockRecord {
    /// Exam clock, ms.
    pub exam: Millis,
    /// Unix seconds.
    pub wall: u64,
}

/// A participant's mutable state and password hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipantRecord {
    /// Login lock, reserve activation, resets.
    pub state: ParticipantState,
    /// argon2 PHC string.
    pub password_hash: String,
}

impl ParticipantRecord {
    /// A participant who never logged in, without a password yet.
    pub fn new(username: &str) -> Self {
        ParticipantRecord {
            state: ParticipantState::new(username),
            password_hash: String::new(),
        }
    }
}

/// State of a session on this board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SessionState {
    /// Participants may log in and start.
    pub open: bool,
    /// The released token, once released.
    pub token: Option<TokenState>,
    /// When it was opened (exam clock).
    pub opened_at: Option<Millis>,
    /// When it was closed (exam clock).
    pub closed_at: Option<Millis>,
}

/// The proctor's account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProctorAccount {
    /// argon2 PHC string.
    pub password_hash: String,
    /// Bumped on password change: older proctor cookies stop working.
    pub generation: u32,
}

/// One line of the append-only audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Sequence number, from 1.
    pub seq: u64,
    /// Exam clock.
    pub at: Millis,
    /// Unix seconds (may be wrong on a board whose clock was never set).
    pub wall: u64,
    /// `system`, `proctor` or a participant's username.
    pub actor: String,
    /// What happened, snake_case: `login`, `answer`, `reset_login`, `force_finish`...
    pub action: String,
    /// Details (test, item, reason...).
    pub detail: String,
}
