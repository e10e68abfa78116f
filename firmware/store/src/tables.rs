//! Tables and records: the store's on-disk schema, owned here and nowhere else. Keys are text;
//! composite keys join their parts with [`SEP`] (a control character that never appears in an
//! id); values are postcard-encoded records. Every table is typed ([`Table`], [`MetaKey`]): a
//! record can only be written to and read from the table that holds its type.
//!
//! | table | key | value |
//! |---|---|---|
//! | meta | [`SCHEMA`], [`CLOCK`], [`PACKAGE`], [`PACKAGE_SOURCE`], [`TRUSTED_ISSUERS`], [`PROCTOR`], [`PROCTOR_GENERATION`], [`COOKIE_KEY`], [`RESULTS_EXPORTED`], [`LOCKOUTS`], [`PROCTOR_LOGINS`], [`INVIGILATOR`], [`INVIGILATOR_LOGINS`] | one record each |
//! | participants | username | [`ParticipantRecord`] |
//! | attempts | username SEP test | [`ruji_core::attempt::Attempt`] |
//! | answers | username SEP test SEP item | [`ruji_core::response::Answer`] |
//! | sessions | session id | [`SessionState`] |
//! | results | session id | [`ResultRecord`] |
//! | audit | sequence number (u64) | [`AuditEntry`] |
//!
//! A change to any record's encoding is a schema change: the golden fixtures (`golden/v<N>`)
//! fail until [`crate::SCHEMA_VERSION`] is bumped and a migration from the old version written.

use std::collections::BTreeMap;
use std::marker::PhantomData;

use redb::TableDefinition;
use ruji_core::attempt::{Attempt, ParticipantState};
use ruji_core::package::Package;
use ruji_core::response::Answer;
use ruji_core::token::TokenState;
use ruji_core::Millis;
use serde::{Deserialize, Serialize};

/// Separator of composite keys.
pub const SEP: char = '\u{1f}';

/// A text-keyed table whose values are records of type `V`.
pub struct Table<V> {
    name: &'static str,
    _v: PhantomData<fn() -> V>,
}

impl<V> Clone for Table<V> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<V> Copy for Table<V> {}

impl<V> Table<V> {
    const fn new(name: &'static str) -> Table<V> {
        Table {
            name,
            _v: PhantomData,
        }
    }
    /// The table's name in the file.
    pub fn name(&self) -> &'static str {
        self.name
    }
    pub(crate) fn def(&self) -> TableDefinition<'static, &'static str, &'static [u8]> {
        TableDefinition::new(self.name)
    }
}

/// One record of type `V` in the `meta` table.
pub struct MetaKey<V> {
    key: &'static str,
    _v: PhantomData<fn() -> V>,
}

impl<V> Clone for MetaKey<V> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<V> Copy for MetaKey<V> {}

impl<V> MetaKey<V> {
    const fn new(key: &'static str) -> MetaKey<V> {
        MetaKey {
            key,
            _v: PhantomData,
        }
    }
    /// The key in the `meta` table.
    pub fn key(&self) -> &'static str {
        self.key
    }
}

pub(crate) const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
pub(crate) const AUDIT: TableDefinition<u64, &[u8]> = TableDefinition::new("audit");

/// Per-participant state and password hash.
pub const PARTICIPANTS: Table<ParticipantRecord> = Table::new("participants");
/// Attempts, by [`attempt_key`].
pub const ATTEMPTS: Table<Attempt> = Table::new("attempts");
/// Answers, by [`answer_key`].
pub const ANSWERS: Table<Answer> = Table::new("answers");
/// Session state (open, token), by session id.
pub const SESSIONS: Table<SessionState> = Table::new("sessions");
/// Each session's result bundle and its upload, by session id.
pub const RESULTS: Table<ResultRecord> = Table::new("results");

/// The names of the text-keyed tables besides `meta` (created on open).
pub(crate) const TABLE_NAMES: [&str; 5] =
    ["participants", "attempts", "answers", "sessions", "results"];

/// Schema version (u32).
pub const SCHEMA: MetaKey<u32> = MetaKey::new("schema_version");
/// Last recorded exam clock.
pub const CLOCK: MetaKey<ClockRecord> = MetaKey::new("clock");
/// The installed package (plain passwords blanked).
pub const PACKAGE: MetaKey<Package> = MetaKey::new("package");
/// Where the installed package came from and what of it is released.
pub const PACKAGE_SOURCE: MetaKey<PackageSource> = MetaKey::new("package_source");
/// Issuer keys added on the proctor's package page.
pub const TRUSTED_ISSUERS: MetaKey<Vec<TrustedIssuer>> = MetaKey::new("trusted_issuers");
/// The proctor account.
pub const PROCTOR: MetaKey<ProctorAccount> = MetaKey::new("proctor");
/// How many proctor accounts were created so far: a new account gets the next number as its
/// generation, so cookies of an account that was reset never work again.
pub const PROCTOR_GENERATION: MetaKey<u32> = MetaKey::new("proctor_generation");
/// The key signing cookies (64 random bytes).
pub const COOKIE_KEY: MetaKey<Vec<u8>> = MetaKey::new("cookie_key");
/// When the proctor last exported (downloaded) each session's results: session id -> exam
/// clock. A closed session whose results were not exported after it closed needs a backup
/// (the panel's attention).
pub const RESULTS_EXPORTED: MetaKey<BTreeMap<String, Millis>> = MetaKey::new("results_exported");
/// Login throttle keys locked out (wrong passwords, codes or tokens), kept across restarts:
/// key -> [`Lockout`]. Expired ones are dropped on every write; at most [`MAX_LOCKOUTS`].
pub const LOCKOUTS: MetaKey<BTreeMap<String, Lockout>> = MetaKey::new("lockouts");
/// The proctor's logins that are valid (a cookie names one): logging out, a password change
/// or a recovery removes them, so a copied cookie stops working. At most
/// [`MAX_PROCTOR_LOGINS`], the oldest dropped first.
pub const PROCTOR_LOGINS: MetaKey<Vec<ProctorLogin>> = MetaKey::new("proctor_logins");
/// The invigilator's (*pengawas*) read-only account, whose password the proctor sets; absent
/// until then. Its generation is bumped at every change, so older invigilator cookies stop
/// working.
pub const INVIGILATOR: MetaKey<ProctorAccount> = MetaKey::new("invigilator");
/// The invigilator's valid logins, as [`PROCTOR_LOGINS`] (at most [`MAX_PROCTOR_LOGINS`]).
pub const INVIGILATOR_LOGINS: MetaKey<Vec<ProctorLogin>> = MetaKey::new("invigilator_logins");
/// How many invigilator accounts were set so far: each new one (or a removal) takes the next
/// number as its generation, so no older invigilator cookie ever works again.
pub const INVIGILATOR_GENERATION: MetaKey<u32> = MetaKey::new("invigilator_generation");
/// The participants whose password the proctor reissued on this board, with the package they
/// belong to: importing that package again keeps their new passwords.
pub const REISSUED: MetaKey<Reissued> = MetaKey::new("reissued");
/// Every test paused by the proctor (the clients lost power): since when, and which attempts'
/// clocks it stopped (only those run again on resume). Absent when not paused.
pub const PAUSE: MetaKey<Pause> = MetaKey::new("pause");
/// The notes for each session's report, by session id.
pub const SESSION_NOTES: MetaKey<BTreeMap<String, SessionNotes>> = MetaKey::new("session_notes");
/// Longest notes kept (each of the proctor's and the invigilator's), in characters.
pub const MAX_NOTES_CHARS: usize = 4000;

/// Most lockouts kept (the latest ending win); the throttle in memory is bounded likewise.
pub const MAX_LOCKOUTS: usize = 1024;
/// Most proctor logins valid at once (browsers on the board's page: a laptop, a phone...).
pub const MAX_PROCTOR_LOGINS: usize = 8;

/// Every `meta` key (the golden fixtures check each has a sample).
#[cfg(test)]
pub(crate) const META_KEY_NAMES: [&str; 17] = [
    SCHEMA.key,
    CLOCK.key,
    PACKAGE.key,
    PACKAGE_SOURCE.key,
    TRUSTED_ISSUERS.key,
    PROCTOR.key,
    PROCTOR_GENERATION.key,
    COOKIE_KEY.key,
    RESULTS_EXPORTED.key,
    LOCKOUTS.key,
    PROCTOR_LOGINS.key,
    INVIGILATOR.key,
    INVIGILATOR_LOGINS.key,
    SESSION_NOTES.key,
    INVIGILATOR_GENERATION.key,
    REISSUED.key,
    PAUSE.key,
];

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

/// Prefix of every attempt of one participant.
pub fn attempts_prefix(username: &str) -> String {
    format!("{username}{SEP}")
}

/// Last recorded exam clock with the wall clock at that moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
    /// When it ends (exam clock): its opening and its length ([`Session::length`]), moved on
    /// by every pause; a test that starts later gets only what remains. `None`: no end.
    ///
    /// [`Session::length`]: ruji_core::package::Session::length
    pub ends_at: Option<Millis>,
}

/// The proctor's account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProctorAccount {
    /// argon2 PHC string.
    pub password_hash: String,
    /// Bumped on password change: older proctor cookies stop working.
    pub generation: u32,
}

/// Every test paused ([`PAUSE`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    /// Since when (exam clock).
    pub since: Millis,
    /// The attempts (their keys) whose clocks the pause stopped.
    pub attempts: Vec<String>,
}

/// Participants with a reissued password, of one package.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reissued {
    /// The package's id.
    pub package: String,
    /// Their usernames.
    pub usernames: Vec<String>,
}

/// The free-text notes typed on a session's report page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionNotes {
    /// The proctor's.
    pub proctor: String,
    /// The invigilator's.
    pub invigilator: String,
}

/// A throttle key's lock-out (exam clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lockout {
    /// Failures so far (the next lock doubles from it).
    pub failures: u32,
    /// End of the lock, exam clock (downtime does not count, so a restart never shortens it).
    pub until: Millis,
}

/// One valid proctor login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProctorLogin {
    /// Random id the cookie carries (32 hex digits).
    pub id: String,
    /// The account's generation it belongs to.
    pub generation: u32,
    /// When it began (exam clock).
    pub since: Millis,
}

/// Where the installed package came from and what of it is released.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageSource {
    /// File name under `<data>/packages/`.
    pub file: String,
    /// Package id (to detect a store that switched without its file).
    pub id: String,
    /// Released tests: test id -> content key (hex).
    pub released: BTreeMap<String, String>,
    /// Released sessions.
    pub sessions: Vec<String>,
    /// When the file was imported (system clock, seconds since 1970).
    pub imported_at: u64,
    /// When each session was released (system clock, seconds since 1970).
    pub released_at: BTreeMap<String, u64>,
    /// Issuer name as in the manifest.
    pub issuer: String,
    /// Issuer public key.
    pub issuer_key: String,
    /// Size of the package file in bytes.
    pub bytes: u64,
    /// The packing (manifest `nonce`), named in result bundles (schema 2; empty for a package
    /// imported before, until it is imported again).
    pub nonce: String,
}

/// A trusted issuer key added on the proctor's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustedIssuer {
    /// Who it is (as typed by the proctor).
    pub label: String,
    /// `ruji-pk:...`.
    pub key: String,
}

/// A session's result bundle as the board made it, and its upload.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultRecord {
    /// The newest bundle of the session.
    pub current: BundleRef,
    /// Tries to upload the newest bundle so far.
    pub tries: u32,
    /// Why the last try failed, as a stable name the proctor page words in the proctor's
    /// language (`unreachable`, `certificate`, `bad_bundle`...: ruji-room's `UploadProblem`);
    /// empty when none.
    pub last_problem: String,
    /// The last failure's details (English, for the log and the page's small print).
    pub last_error: String,
    /// When the last try was (Unix seconds).
    pub last_try_at: u64,
    /// The newest bundle the central server acknowledged, with its receipt (may be an older
    /// one than `current` while the newest is on its way).
    pub acknowledged: Option<Acknowledged>,
}

/// A bundle file the board made.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleRef {
    /// File name under `<data>/results/`.
    pub file: String,
    /// SHA-256 of the file (hex).
    pub sha256: String,
    /// The session's last event the bundle holds.
    pub as_of_seq: u64,
    /// When it was made (Unix seconds).
    pub made_at: u64,
}

/// A bundle with the central server's receipt.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledged {
    /// The bundle.
    pub bundle: BundleRef,
    /// The receipt as the server sent it (JSON text, kept byte for byte).
    pub receipt: String,
    /// When the board got it (Unix seconds).
    pub at: u64,
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
    /// `system`, `proctor` or a participant's username ([`Actor::as_str`]).
    pub actor: String,
    /// What happened ([`Action::name`]): `login`, `answer`, `reset_login`, `force_finish`...
    pub action: String,
    /// Details (test, item, reason...).
    pub detail: String,
}

/// Who did what an audit entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor<'a> {
    /// Ruji itself (time-outs, token rotation, start-up).
    System,
    /// The proctor (on the page or with the board's button).
    Proctor,
    /// The invigilator (*pengawas*), on the read-only account.
    Invigilator,
    /// A participant, by username.
    Participant(&'a str),
}

impl Actor<'_> {
    /// The text stored in [`AuditEntry::actor`].
    pub fn as_str(&self) -> &str {
        match self {
            Actor::System => "system",
            Actor::Proctor => "proctor",
            Actor::Invigilator => "invigilator",
            Actor::Participant(u) => u,
        }
    }
}

/// Declares [`Action`] with the name each variant is stored under.
macro_rules! actions {
    ($($(#[$doc:meta])* $v:ident = $name:literal,)*) => {
        /// What an audit entry records. Stored as its [`Action::name`], so the log stays readable
        /// (and old logs decodable) whatever the enum becomes.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Action { $($(#[$doc])* $v,)* }

        impl Action {
            /// Every action, in declaration order.
            pub const ALL: &'static [Action] = &[$(Action::$v,)*];
            /// The name stored in [`AuditEntry::action`].
            pub fn name(self) -> &'static str {
                match self { $(Action::$v => $name,)* }
            }
            /// The action stored as `name`, if it is one of today's.
            pub fn from_name(name: &str) -> Option<Action> {
                match name { $($name => Some(Action::$v),)* _ => None }
            }
        }
    };
}

actions! {
    /// The cookie-signing key was made (first start).
    CookieKeyCreated = "cookie_key_created",
    /// A package was installed without a file (the demo on a fresh board).
    PackageInstalled = "package_installed",
    /// A package file was imported (upload or USB stick).
    PackageImported = "package_imported",
    /// A session's tests were released (typed code or central server).
    SessionReleased = "session_released",
    /// The proctor trusted another issuer key.
    IssuerTrusted = "issuer_trusted",
    /// The proctor account was created.
    ProctorPasswordCreated = "proctor_password_created",
    /// The proctor account was removed (recovery).
    ProctorPasswordReset = "proctor_password_reset",
    /// The button was held at power-on, or late: a recovery.
    Recovery = "recovery",
    /// A session was opened and its first token released.
    OpenSession = "open_session",
    /// A session was closed.
    CloseSession = "close_session",
    /// The token was replaced.
    RotateToken = "rotate_token",
    /// A participant logged in.
    Login = "login",
    /// A participant logged out.
    Logout = "logout",
    /// A participant entered the token and started a test.
    Start = "start",
    /// A participant entered the token again after a reset.
    Resume = "resume",
    /// A participant left practice.
    EndPractice = "end_practice",
    /// An answer was saved.
    Answer = "answer",
    /// A participant finished a test.
    Finish = "finish",
    /// A test's time ran out.
    Timeout = "timeout",
    /// The proctor reset a participant's login.
    ResetLogin = "reset_login",
    /// The proctor force-finished an attempt.
    ForceFinish = "force_finish",
    /// The proctor activated a reserve participant.
    ActivateReserve = "activate_reserve",
    /// The proctor downloaded a session's results.
    ResultsExported = "results_exported",
    /// The board made a session's result bundle.
    ResultsBundled = "results_bundled",
    /// The central server acknowledged a session's result bundle (its receipt).
    ResultsAcknowledged = "results_acknowledged",
    /// The proctor saved the results files to a USB stick.
    ResultsToUsb = "results_to_usb",
    /// Too many wrong passwords, codes or tokens: a throttle key was locked out.
    LockedOut = "locked_out",
    /// The proctor logged in (a new login on the board's page).
    ProctorLogin = "proctor_login",
    /// The proctor logged out: that login's cookie no longer works.
    ProctorLogout = "proctor_logout",
    /// The proctor changed the password: every other login ends.
    ProctorPasswordChanged = "proctor_password_changed",
    /// A participant's password hash, made with older parameters, was made again with today's
    /// after a successful login (same password).
    PasswordUpgraded = "password_upgraded",
    /// The board's wall clock was set (from, to, and by what: NTP, the central server, the
    /// proctor's browser).
    ClockSet = "clock_set",
    /// The proctor set the invigilator's password (every invigilator login ends).
    InvigilatorPasswordSet = "invigilator_password_set",
    /// The proctor removed the invigilator's account (every invigilator login ends).
    InvigilatorRemoved = "invigilator_removed",
    /// The invigilator logged in.
    InvigilatorLogin = "invigilator_login",
    /// The invigilator logged out.
    InvigilatorLogout = "invigilator_logout",
    /// The proctor signed out everywhere: every proctor and invigilator login ended.
    SignedOutEverywhere = "signed_out_everywhere",
    /// The proctor paused every test (clients without power).
    PauseAll = "pause_all",
    /// The proctor resumed every paused test.
    ResumeAll = "resume_all",
    /// The proctor gave a participant extra working time, with a reason.
    ExtraTime = "extra_time",
    /// The proctor gave a participant a new password (a new login card).
    PasswordReissued = "password_reissued",
    /// The proctor or the invigilator saved their notes for a session's report.
    SessionNotes = "session_notes",
}
