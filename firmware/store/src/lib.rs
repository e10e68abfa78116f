//! ruji-store: the board's durable state, on redb.
//!
//! - [`Store`] owns one redb file. Reads run on any thread ([`Store::read`]); every write goes
//!   through **one writer thread** that gathers whatever writes are waiting into one transaction
//!   and commits it with `Durability::Immediate` (group commit). A write's future resolves only
//!   after its commit is on disk, so a caller can acknowledge an answer the moment it returns.
//! - Every committed batch also records the **exam clock** ([`Store::now`]): milliseconds that
//!   advance only while Ruji runs. After a crash or power cut the clock resumes from the last
//!   commit, so time while the server is down is not counted against participants (unless the
//!   room's policy says to count it, see [`OpenOptions::count_downtime`]).
//! - [`room`] holds the exam-room operations (login, start, save answer, finish, reset, force
//!   finish, open/close session, tokens): each reads state, applies a ruji-core rule, writes the
//!   result and an [`AuditEntry`] in the same transaction.
//! - [`tables`] holds the tables and their postcard-encoded records, typed ([`tables::Table`],
//!   [`tables::MetaKey`]); the schema version is in `meta` and checked on open. Golden fixtures
//!   (`golden/v<N>`) pin every record's encoding.
//! - [`records`] holds the board's own records as typed operations, each one transaction with
//!   its audit entry: the installed package and its source, releases, trusted issuers, the
//!   proctor account, the cookie key.
//! - [`testing`] (feature `testing`): backends that make the file refuse writes on demand, or
//!   lose power at a chosen disk operation.
//!
//! Nothing outside this crate reads or writes a table directly: callers use the operations.
#![forbid(unsafe_code)]

mod deadlines;
pub mod export;
mod migrate;
pub mod records;
pub mod results;
pub mod room;
mod rows;
pub mod tables;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

use std::cell::RefCell;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use ruji_sys::unix_secs as wall_secs;

use deadlines::Deadlines;
use redb::{
    Database, ReadTransaction, ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction,
};
use ruji_core::attempt::Attempt;
use ruji_core::package::{IndexedPackage, Package};
use ruji_core::Millis;
use serde::{de::DeserializeOwned, Serialize};
use tokio::sync::{mpsc, oneshot, watch};

use tables::*;
pub use tables::{Action, Actor, AuditEntry};

/// Current schema version written in `meta` (history in [`migrate`]).
pub const SCHEMA_VERSION: u32 = 3;

/// redb page cache.
const CACHE_BYTES: usize = 16 << 20;

/// Largest number of writes committed together.
const MAX_BATCH: usize = 512;

/// What kind of storage failure a [`StoreError::Storage`] is: what the proctor must do
/// depends on it (make room, move to a spare card, restore a backup).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The data partition is full (ENOSPC, a quota).
    Full,
    /// The card refused a read or a write (an I/O error, read-only, pulled out): failing.
    Failing,
    /// The data file is damaged (redb found a bad checksum or structure).
    Corrupt,
    /// Anything else (a bug, the database closed, a lock).
    Other,
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Fault::Full => "the data card is full",
            Fault::Failing => "the data card refused a read or write",
            Fault::Corrupt => "the data file is damaged",
            Fault::Other => "storage failure",
        })
    }
}

impl Fault {
    /// The fault of an I/O error.
    pub fn of_io(e: &std::io::Error) -> Fault {
        const ENOSPC: i32 = 28;
        const EDQUOT: i32 = 122;
        match (e.raw_os_error(), e.kind()) {
            (Some(ENOSPC | EDQUOT), _) | (_, std::io::ErrorKind::StorageFull) => Fault::Full,
            (_, std::io::ErrorKind::InvalidData) => Fault::Corrupt,
            _ => Fault::Failing,
        }
    }

    /// The fault of a redb error; `None` for "an earlier I/O error" (its cause is the first).
    fn of_redb(e: &redb::Error) -> Option<Fault> {
        Some(match e {
            redb::Error::Io(io) => Fault::of_io(io),
            redb::Error::Corrupted(_) => Fault::Corrupt,
            redb::Error::PreviousIo => return None,
            _ => Fault::Other,
        })
    }

    fn code(self) -> u8 {
        self as u8 + 1
    }

    fn from_code(c: u8) -> Option<Fault> {
        [Fault::Full, Fault::Failing, Fault::Corrupt, Fault::Other]
            .get(usize::from(c).checked_sub(1)?)
            .copied()
    }
}

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The storage failed: the card is full, failing, or the file damaged ([`Fault`]); nothing
    /// of the operation was written.
    #[error("{fault}: {message}")]
    Storage {
        /// What kind of failure.
        fault: Fault,
        /// What redb or the system said.
        message: String,
    },
    /// A record could not be decoded.
    #[error("corrupt record in {table}: {message}")]
    Corrupt {
        /// Table name.
        table: &'static str,
        /// Decoder message.
        message: String,
    },
    /// The data file was written by a newer Ruji.
    #[error(
        "data file has schema version {0}, newer than this Ruji ({SCHEMA_VERSION}); upgrade Ruji"
    )]
    NewerSchema(u32),
    /// Another write in the same group commit failed, so nothing in it was committed; retry.
    #[error("the write was not committed because the batch failed; retry")]
    BatchFailed,
    /// The operation panicked (a bug); nothing of its batch was committed.
    #[error("the operation failed on a bug (it panicked: {0}); nothing of it was committed")]
    Panicked(String),
    /// The writer has stopped (shutting down).
    #[error("the store is closed")]
    Closed,
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                let e = redb::Error::from(e);
                StoreError::Storage {
                    // An earlier write failed: the writer names its cause (see `writer`).
                    fault: Fault::of_redb(&e).unwrap_or(Fault::Failing),
                    message: e.to_string(),
                }
            }
        }
    )*};
}

impl StoreError {
    /// A storage failure of `fault` saying `message`.
    pub fn storage(fault: Fault, message: impl Into<String>) -> StoreError {
        StoreError::Storage {
            fault,
            message: message.into(),
        }
    }

    /// What each caller of a batch that failed with this error gets: the storage failure
    /// itself, else "the batch failed".
    fn for_batch(&self) -> StoreError {
        match self {
            StoreError::Storage { fault, message } => StoreError::Storage {
                fault: *fault,
                message: message.clone(),
            },
            _ => StoreError::BatchFailed,
        }
    }

    /// The storage fault behind this error, if it is one (a damaged record is
    /// [`Fault::Corrupt`]).
    pub fn fault(&self) -> Option<Fault> {
        match self {
            StoreError::Storage { fault, .. } => Some(*fault),
            StoreError::Corrupt { .. } => Some(Fault::Corrupt),
            _ => None,
        }
    }
}
from_redb!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// Result of store calls.
pub type Result<T> = std::result::Result<T, StoreError>;

pub(crate) fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    postcard::to_allocvec(v).expect("serialising to a Vec cannot fail")
}

pub(crate) fn decode<T: DeserializeOwned>(table: &'static str, b: &[u8]) -> Result<T> {
    postcard::from_bytes(b).map_err(|e| StoreError::Corrupt {
        table,
        message: e.to_string(),
    })
}

/// The exam clock: `base` (restored from disk) plus time since this process started, plus any
/// time skipped by [`Store::skip_time`].
#[derive(Debug, Clone)]
struct Clock {
    base: Millis,
    started: Instant,
    skipped: Arc<std::sync::atomic::AtomicU64>,
}

impl Clock {
    fn now(&self) -> Millis {
        self.base
            + self.started.elapsed().as_millis() as Millis
            + self.skipped.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Options for [`Store::open`].
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// Count the time the server was down against running attempts (estimated from the wall
    /// clock, which on a board without RTC may be wrong). Default: not counted.
    pub count_downtime: bool,
}

type Completion = Box<dyn FnOnce(Result<()>) + Send>;
/// A queued write: run in the batch's transaction, it says whether it succeeded and returns
/// what to tell its caller once the batch's outcome is known. Given `None` (the batch's
/// transaction could not begin), it only returns that completion, which passes on the error.
type Job = Box<dyn FnOnce(Option<&mut Tx<'_>>) -> (bool, Completion) + Send>;

/// Shared handle to the store; cheap to clone.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    /// The redb database; readers use it directly, the writer thread has its own Arc.
    db: Arc<Database>,
    /// Queue to the writer thread (bounded: callers wait when it is full). Taken on drop.
    jobs: Option<mpsc::Sender<Job>>,
    /// The writer thread, joined on drop so the file is closed when the last handle goes.
    writer: Option<std::thread::JoinHandle<()>>,
    /// The exam clock.
    clock: Clock,
    /// What the writer keeps up to date after each commit: when the attempts next run out by
    /// themselves, and which participants' records changed.
    derived: Arc<Derived>,
    /// The dashboard's rows, kept between reads ([`rows`]).
    rows: Mutex<rows::Rows>,
    /// The installed package, decoded and indexed once; replaced on import and release.
    package: RwLock<Arc<IndexedPackage>>,
    /// The wall clock (Unix seconds) recorded with the last commit before this open.
    last_known_wall: Option<u64>,
    /// What the writer has done (shared with the writer thread).
    stats: Arc<Counters>,
    /// Becomes `true`, for good, when the file refused a write (a commit or the start of a
    /// transaction failed): redb then refuses every later write until the file is reopened.
    broken: watch::Receiver<bool>,
}

/// Counters the writer thread keeps, for [`Store::stats`].
#[derive(Default)]
struct Counters {
    commits: AtomicU64,
    writes: AtomicU64,
    failed_batches: AtomicU64,
    /// The first storage fault of a commit ([`Fault::code`]; 0 none): later errors that only
    /// say "an earlier I/O error" are given its cause.
    first_fault: std::sync::atomic::AtomicU8,
}

impl Counters {
    /// A storage error of the writer, with its [`Fault`]: the first one is remembered, and a
    /// later "an earlier I/O error" is given its cause.
    fn storage_error(&self, e: redb::Error) -> StoreError {
        let fault = match Fault::of_redb(&e) {
            Some(f) => {
                let _ = self.first_fault.compare_exchange(
                    0,
                    f.code(),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                );
                f
            }
            None => {
                Fault::from_code(self.first_fault.load(Ordering::Relaxed)).unwrap_or(Fault::Failing)
            }
        };
        StoreError::Storage {
            fault,
            message: e.to_string(),
        }
    }
}

/// What the writer has done since the store was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreStats {
    /// Transactions committed (each one fsync).
    pub commits: u64,
    /// Write operations committed (several share a commit when they arrive together).
    pub writes: u64,
    /// Batches abandoned because an operation or the commit failed.
    pub failed_batches: u64,
}

/// A write transaction as seen by one operation in a group commit.
pub struct Tx<'a> {
    txn: &'a WriteTransaction,
    /// Exam-clock time of this batch.
    pub now: Millis,
    audit_seq: &'a mut u64,
    /// What this batch wrote, for what the writer keeps up to date once it is committed.
    notes: &'a mut Notes,
    /// The tables this batch opened, kept open until it ends: opening a table is a look-up in
    /// redb's table tree, and a save reads and writes some eight times (issue 19).
    open: RefCell<OpenTables<'a>>,
}

/// The tables a batch has open ([`Tx::open`]).
#[derive(Default)]
struct OpenTables<'a> {
    by_name: Vec<(&'static str, redb::Table<'a, &'static str, &'static [u8]>)>,
    audit: Option<redb::Table<'a, u64, &'static [u8]>>,
}

/// What a batch wrote that the store keeps track of in memory ([`Derived`]).
#[derive(Default)]
struct Notes {
    /// The attempts written, with their new deadlines.
    deadlines: Vec<(String, Option<Millis>)>,
    /// The participants whose records were written (a participant, an attempt, an answer).
    participants: Vec<String>,
    /// A session's state was written (every dashboard row depends on it).
    sessions: bool,
}

impl Notes {
    fn clear(&mut self) {
        self.deadlines.clear();
        self.participants.clear();
        self.sessions = false;
    }
}

/// What the store keeps in memory about its committed records, shared with the writer thread,
/// which applies a batch's [`Notes`] once the batch is committed (a failed batch changes
/// nothing, here as on disk).
#[derive(Default)]
struct Derived {
    /// When the attempts next run out by themselves ([`deadlines`]).
    deadlines: Mutex<Deadlines>,
    /// Which participants' records changed ([`rows`]).
    changes: Mutex<rows::Changes>,
}

/// Locks state kept in memory even if a thread panicked while holding it: each update of it
/// is complete or not begun (a queue entry, a count, a row), and the writer thread must not
/// stop on it after a commit (its callers would be told the store is closed while it is not).
fn relock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Derived {
    fn apply(&self, notes: &mut Notes) {
        if !notes.deadlines.is_empty() {
            let mut queue = relock(&self.deadlines);
            for (key, at) in notes.deadlines.drain(..) {
                queue.set(key, at);
            }
        }
        if !notes.participants.is_empty() || notes.sessions {
            relock(&self.changes).apply(notes.participants.drain(..), notes.sessions);
        }
    }
}

impl<'a> Tx<'a> {
    /// A batch's transaction: `now` on the exam clock, audit entries numbered after
    /// `audit_seq`, what it writes noted in `notes`.
    fn new(
        txn: &'a WriteTransaction,
        now: Millis,
        audit_seq: &'a mut u64,
        notes: &'a mut Notes,
    ) -> Self {
        Tx {
            txn,
            now,
            audit_seq,
            notes,
            open: RefCell::default(),
        }
    }

    /// Runs `f` on the table `name` (`def`), opened once per batch.
    fn with_table<R>(
        &self,
        name: &'static str,
        def: TableDefinition<'static, &'static str, &'static [u8]>,
        f: impl FnOnce(&mut redb::Table<'a, &'static str, &'static [u8]>) -> Result<R>,
    ) -> Result<R> {
        let mut open = self.open.borrow_mut();
        let i = match open.by_name.iter().position(|(n, _)| *n == name) {
            Some(i) => i,
            None => {
                open.by_name.push((name, self.txn.open_table(def)?));
                open.by_name.len() - 1
            }
        };
        f(&mut open.by_name[i].1)
    }

    /// Reads a record.
    pub(crate) fn get<V: DeserializeOwned>(&self, t: Table<V>, key: &str) -> Result<Option<V>> {
        self.with_table(t.name(), t.def(), |table| {
            let v = table.get(key)?;
            v.map(|v| decode(t.name(), v.value())).transpose()
        })
    }
    /// Writes a record. What the store keeps in memory about the records ([`Derived`]) is
    /// noted here, so that no write can leave it behind: an attempt's new deadline, the
    /// participant whose records changed, a session's state written.
    pub(crate) fn put<V: Serialize + 'static>(
        &mut self,
        t: Table<V>,
        key: &str,
        value: &V,
    ) -> Result<()> {
        self.with_table(t.name(), t.def(), |table| {
            table.insert(key, encode(value).as_slice())?;
            Ok(())
        })?;
        if let Some(a) = (value as &dyn std::any::Any).downcast_ref::<Attempt>() {
            self.notes
                .deadlines
                .push((key.to_string(), a.next_deadline()));
        }
        let name = t.name();
        if name == PARTICIPANTS.name() || name == ATTEMPTS.name() || name == ANSWERS.name() {
            let participant = key.split(SEP).next().unwrap_or(key);
            self.notes.participants.push(participant.to_string());
        } else if name == SESSIONS.name() {
            self.notes.sessions = true;
        }
        Ok(())
    }
    /// Notes the deadline of an attempt that is not written (see [`Tx::put`]).
    pub(crate) fn note_deadline(&mut self, key: String, at: Option<Millis>) {
        self.notes.deadlines.push((key, at));
    }
    /// Reads every record whose key starts with `prefix`.
    pub(crate) fn scan<V: DeserializeOwned>(
        &self,
        t: Table<V>,
        prefix: &str,
    ) -> Result<Vec<(String, V)>> {
        self.with_table(t.name(), t.def(), |table| {
            scan_table(table, t.name(), prefix)
        })
    }
    /// Reads a `meta` record.
    pub(crate) fn meta<V: DeserializeOwned>(&self, k: MetaKey<V>) -> Result<Option<V>> {
        self.with_table("meta", META, |table| {
            let v = table.get(k.key())?;
            v.map(|v| decode("meta", v.value())).transpose()
        })
    }
    /// Writes a `meta` record.
    pub(crate) fn set_meta<V: Serialize>(&self, k: MetaKey<V>, value: &V) -> Result<()> {
        self.with_table("meta", META, |table| {
            table.insert(k.key(), encode(value).as_slice())?;
            Ok(())
        })
    }
    /// Removes a `meta` record.
    pub(crate) fn remove_meta<V>(&self, k: MetaKey<V>) -> Result<()> {
        self.with_table("meta", META, |table| {
            table.remove(k.key())?;
            Ok(())
        })
    }
    /// Appends to the audit log; returns the entry's sequence number.
    pub(crate) fn audit(
        &mut self,
        actor: Actor<'_>,
        action: Action,
        detail: String,
    ) -> Result<u64> {
        *self.audit_seq += 1;
        let entry = AuditEntry {
            seq: *self.audit_seq,
            at: self.now,
            wall: wall_secs(),
            actor: actor.as_str().to_string(),
            action: action.name().to_string(),
            detail,
        };
        let mut open = self.open.borrow_mut();
        let table = match &mut open.audit {
            Some(t) => t,
            None => open.audit.insert(self.txn.open_table(AUDIT)?),
        };
        table.insert(entry.seq, encode(&entry).as_slice())?;
        Ok(entry.seq)
    }
}

fn scan_table<V: DeserializeOwned>(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    name: &'static str,
    prefix: &str,
) -> Result<Vec<(String, V)>> {
    let mut out = Vec::new();
    for row in table.range(prefix..)? {
        let (k, v) = row?;
        let k = k.value();
        if !k.starts_with(prefix) {
            break;
        }
        out.push((k.to_string(), decode(name, v.value())?));
    }
    Ok(out)
}

/// A read-only snapshot.
pub(crate) struct Reader {
    txn: ReadTransaction,
}

impl Reader {
    fn open(
        &self,
        def: TableDefinition<'static, &'static str, &'static [u8]>,
    ) -> Result<Option<redb::ReadOnlyTable<&'static str, &'static [u8]>>> {
        match self.txn.open_table(def) {
            Ok(t) => Ok(Some(t)),
            Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
    /// Reads a record.
    pub(crate) fn get<V: DeserializeOwned>(&self, t: Table<V>, key: &str) -> Result<Option<V>> {
        let Some(table) = self.open(t.def())? else {
            return Ok(None);
        };
        let v = table.get(key)?;
        v.map(|v| decode(t.name(), v.value())).transpose()
    }
    /// Reads every record whose key starts with `prefix`.
    pub(crate) fn scan<V: DeserializeOwned>(
        &self,
        t: Table<V>,
        prefix: &str,
    ) -> Result<Vec<(String, V)>> {
        let Some(table) = self.open(t.def())? else {
            return Ok(vec![]);
        };
        scan_table(&table, t.name(), prefix)
    }
    /// Every attempt that decodes; one that does not is logged and left out (the board still
    /// starts; that attempt's time-out then waits for its participant's next request).
    fn attempts_readable(&self) -> Result<Vec<(String, Attempt)>> {
        let Some(table) = self.open(ATTEMPTS.def())? else {
            return Ok(vec![]);
        };
        let mut out = Vec::new();
        for row in table.iter()? {
            let (k, v) = row?;
            match decode::<Attempt>(ATTEMPTS.name(), v.value()) {
                Ok(a) => out.push((k.value().to_string(), a)),
                Err(e) => tracing::error!(key = k.value(), error = %e, "attempt not readable"),
            }
        }
        Ok(out)
    }
    /// How many records a table holds.
    pub(crate) fn count<V>(&self, t: Table<V>) -> Result<u64> {
        match self.open(t.def())? {
            Some(table) => Ok(redb::ReadableTableMetadata::len(&table)?),
            None => Ok(0),
        }
    }
    /// Reads a `meta` record.
    pub(crate) fn meta<V: DeserializeOwned>(&self, k: MetaKey<V>) -> Result<Option<V>> {
        let Some(table) = self.open(META)? else {
            return Ok(None);
        };
        let v = table.get(k.key())?;
        v.map(|v| decode("meta", v.value())).transpose()
    }
    /// Calls `f` with every audit entry, oldest first (a read of the whole log: off the async
    /// workers).
    pub(crate) fn audit_each(&self, mut f: impl FnMut(AuditEntry)) -> Result<()> {
        let table = match self.txn.open_table(AUDIT) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        for row in table.iter()? {
            let (_, v) = row?;
            f(decode("audit", v.value())?);
        }
        Ok(())
    }
    /// The last `n` audit entries, newest first.
    pub(crate) fn audit_tail(&self, n: usize) -> Result<Vec<AuditEntry>> {
        let table = match self.txn.open_table(AUDIT) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(vec![]),
            Err(e) => return Err(e.into()),
        };
        let mut out = Vec::new();
        for row in table.iter()?.rev().take(n) {
            let (_, v) = row?;
            out.push(decode("audit", v.value())?);
        }
        Ok(out)
    }
}

impl Store {
    /// Opens (or creates) the data file at `path` and starts the writer thread. Must be called
    /// inside or outside a tokio runtime alike; the writer is a plain thread.
    pub fn open(path: &Path, opts: OpenOptions) -> Result<Store> {
        if !path.exists() {
            create_whole(path)?;
        }
        // The page cache is bounded for a 512 MB board; the whole exam fits in a few MB.
        let db = Database::builder()
            .set_cache_size(CACHE_BYTES)
            .create(path)?;
        Self::start_writer(db, opts)
    }

    /// Opens a store on a redb storage backend instead of a file: tests use it to make the
    /// disk fail at a chosen moment (a full card, a dying card) and see what survives.
    pub fn open_backend(backend: impl redb::StorageBackend, opts: OpenOptions) -> Result<Store> {
        let db = Database::builder()
            .set_cache_size(CACHE_BYTES)
            .create_with_backend(backend)?;
        Self::start_writer(db, opts)
    }

    fn start_writer(db: Database, opts: OpenOptions) -> Result<Store> {
        let db = Arc::new(db);
        let (base, audit_seq, package, last_known_wall) = Self::init(&db, &opts)?;
        let derived = {
            let r = Reader {
                txn: db.begin_read()?,
            };
            Arc::new(Derived {
                deadlines: Mutex::new(Deadlines::of(r.attempts_readable()?)),
                changes: Mutex::default(),
            })
        };
        let clock = Clock {
            base,
            started: Instant::now(),
            skipped: Arc::default(),
        };
        let (jobs, rx) = mpsc::channel::<Job>(4096);
        let stats = Arc::new(Counters::default());
        let (broke, broken) = watch::channel(false);
        let (wdb, wclock, wstats) = (db.clone(), clock.clone(), stats.clone());
        let wderived = derived.clone();
        let handle = std::thread::Builder::new()
            .name("ruji-store-writer".into())
            .spawn(move || writer(wdb, rx, wclock, audit_seq, wstats, broke, wderived))
            .map_err(|e| StoreError::storage(Fault::Other, e.to_string()))?;
        Ok(Store {
            inner: Arc::new(Inner {
                db,
                jobs: Some(jobs),
                writer: Some(handle),
                clock,
                derived,
                rows: Mutex::default(),
                package: RwLock::new(Arc::new(package.unwrap_or_default().into())),
                last_known_wall,
                stats,
                broken,
            }),
        })
    }

    fn init(
        db: &Database,
        opts: &OpenOptions,
    ) -> Result<(Millis, u64, Option<Package>, Option<u64>)> {
        let txn = db.begin_write()?;
        let (base, seq, package, last_wall);
        {
            let mut meta = txn.open_table(META)?;
            let get = |meta: &redb::Table<&str, &[u8]>, key: &str| -> Result<Option<Vec<u8>>> {
                Ok(meta.get(key)?.map(|v| v.value().to_vec()))
            };
            let version: Option<u32> = get(&meta, SCHEMA.key())?
                .map(|v| decode("meta", &v))
                .transpose()?;
            match version {
                None => {
                    meta.insert(SCHEMA.key(), encode(&SCHEMA_VERSION).as_slice())?;
                }
                Some(v) if v > SCHEMA_VERSION => return Err(StoreError::NewerSchema(v)),
                // Older versions are migrated here, in this transaction (their records are
                // pinned by the golden fixtures of that version).
                Some(v) if v < SCHEMA_VERSION => {
                    migrate::run(&txn, &mut meta, v)?;
                    meta.insert(SCHEMA.key(), encode(&SCHEMA_VERSION).as_slice())?;
                    tracing::info!(from = v, to = SCHEMA_VERSION, "data file migrated");
                }
                Some(_) => {}
            }
            let clock: Option<ClockRecord> = get(&meta, CLOCK.key())?
                .map(|v| decode("meta", &v))
                .transpose()?;
            last_wall = clock.map(|c| c.wall).filter(|w| *w > 0);
            base = match clock {
                Some(c) if opts.count_downtime => {
                    let down = wall_secs().saturating_sub(c.wall).min(24 * 3600);
                    c.exam + down * 1000
                }
                Some(c) => c.exam,
                None => 0,
            };
            package = get(&meta, PACKAGE.key())?
                .map(|v| decode::<Package>("meta", &v))
                .transpose()?;
            drop(meta);
            for name in TABLE_NAMES {
                txn.open_table(TableDefinition::<&str, &[u8]>::new(name))?;
            }
            let audit = txn.open_table(AUDIT)?;
            seq = audit.last()?.map(|(k, _)| k.value()).unwrap_or(0);
        }
        txn.commit()?;
        Ok((base, seq, package, last_wall))
    }

    /// The exam clock now.
    pub fn now(&self) -> Millis {
        self.inner.clock.now()
    }

    /// Moves the exam clock forward by `ms`, as if that much time had passed (tests use it to
    /// reach a time-out without waiting; it never moves the clock back).
    pub fn skip_time(&self, ms: Millis) {
        self.inner
            .clock
            .skipped
            .fetch_add(ms, std::sync::atomic::Ordering::Relaxed);
    }

    /// The wall clock (Unix seconds) that was recorded with the last commit before this store
    /// was opened: the latest time this board is known to have seen. `None` on a new data file.
    /// A wall clock now earlier than this means the clock was not set since boot (no RTC).
    pub fn last_known_wall(&self) -> Option<u64> {
        self.inner.last_known_wall
    }

    /// What the writer has done since the store was opened.
    pub fn stats(&self) -> StoreStats {
        let c = &self.inner.stats;
        StoreStats {
            commits: c.commits.load(Ordering::Relaxed),
            writes: c.writes.load(Ordering::Relaxed),
            failed_batches: c.failed_batches.load(Ordering::Relaxed),
        }
    }

    /// Has the file refused a write? Then every later write fails until the store is opened
    /// again (redb's rule after an I/O error; acknowledged answers are untouched): the owner
    /// should stop and start again (on the board, init restarts Ruji).
    pub fn is_broken(&self) -> bool {
        *self.inner.broken.borrow()
    }

    /// The first storage fault a commit met since the store was opened, if any: why it is
    /// broken.
    pub fn fault(&self) -> Option<Fault> {
        Fault::from_code(self.inner.stats.first_fault.load(Ordering::Relaxed))
    }

    /// Resolves when the file has refused a write (see [`Store::is_broken`]).
    pub async fn broken(&self) {
        let mut rx = self.inner.broken.clone();
        let _ = rx.wait_for(|b| *b).await;
    }

    /// Write operations waiting for the writer (not yet in a batch).
    pub fn queued(&self) -> usize {
        self.inner
            .jobs
            .as_ref()
            .map_or(0, |j| j.max_capacity() - j.capacity())
    }

    /// Appends one entry to the audit log (for events outside the room operations, such as a
    /// recovery at power-on).
    pub async fn audit_event(
        &self,
        actor: Actor<'static>,
        action: Action,
        detail: String,
    ) -> Result<()> {
        self.write(move |tx| tx.audit(actor, action, detail).map(|_| ()))
            .await
    }

    /// The last `n` audit entries, newest first.
    pub fn audit_tail(&self, n: usize) -> Result<Vec<AuditEntry>> {
        self.reader()?.audit_tail(n)
    }

    /// Calls `f` with every audit entry, oldest first, from one snapshot (a read of the whole
    /// log: call it off the async workers).
    pub fn audit_each(&self, f: impl FnMut(AuditEntry)) -> Result<()> {
        self.reader()?.audit_each(f)
    }

    /// The deadline queue ([`deadlines`]).
    pub(crate) fn deadlines(&self) -> std::sync::MutexGuard<'_, Deadlines> {
        relock(&self.inner.derived.deadlines)
    }

    /// Which participants' records changed ([`rows`]).
    pub(crate) fn changes(&self) -> std::sync::MutexGuard<'_, rows::Changes> {
        relock(&self.inner.derived.changes)
    }

    /// The dashboard's kept rows ([`rows`]).
    pub(crate) fn rows(&self) -> std::sync::MutexGuard<'_, rows::Rows> {
        relock(&self.inner.rows)
    }

    /// The installed package (the demo or an imported one).
    pub fn package(&self) -> Arc<IndexedPackage> {
        self.inner.package.read().expect("not poisoned").clone()
    }

    /// Replaces the in-memory copy of the installed package (after its commit).
    pub(crate) fn set_package(&self, package: Package) {
        *self.inner.package.write().expect("not poisoned") = Arc::new(package.into());
    }

    /// A consistent read-only snapshot.
    pub(crate) fn reader(&self) -> Result<Reader> {
        Ok(Reader {
            txn: self.inner.db.begin_read()?,
        })
    }

    /// Runs `op` inside the next group commit and resolves after that commit is durable.
    ///
    /// The contract for `op`: return `Err` only for storage failures (the whole batch is then
    /// abandoned: its caller gets that error, every other caller in it
    /// [`StoreError::BatchFailed`]); a refusal under the domain rules is an `Ok(Err(..))`
    /// value, and an op that refuses must not have written anything. An op that panics fails
    /// its batch the same way, its caller getting [`StoreError::Panicked`]; the writer goes on.
    pub(crate) async fn write<T, F>(&self, op: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Tx<'_>) -> Result<T> + Send + 'static,
    {
        let (reply, rx) = oneshot::channel();
        let job: Job = Box::new(move |tx: Option<&mut Tx<'_>>| {
            let Some(tx) = tx else {
                // The batch never began: the writer passes why.
                return (
                    false,
                    Box::new(move |why: Result<()>| {
                        let _ = reply.send(why.and(Err(StoreError::BatchFailed)));
                    }) as Completion,
                );
            };
            // A panic is caught here, where the reply is at hand, so that the caller learns
            // what happened (the batch is abandoned like for any failed operation).
            match std::panic::catch_unwind(AssertUnwindSafe(|| op(tx))) {
                Ok(Ok(v)) => (
                    true,
                    Box::new(move |commit: Result<()>| {
                        let _ = reply.send(commit.map(|()| v));
                    }) as Completion,
                ),
                Ok(Err(e)) => (
                    false,
                    Box::new(move |_| {
                        let _ = reply.send(Err(e));
                    }) as Completion,
                ),
                Err(panic) => {
                    let message = panic
                        .downcast_ref::<&str>()
                        .map(|m| m.to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    tracing::error!(%message, "a store operation panicked; batch abandoned");
                    (
                        false,
                        Box::new(move |_| {
                            let _ = reply.send(Err(StoreError::Panicked(message)));
                        }) as Completion,
                    )
                }
            }
        });
        let jobs = self.inner.jobs.as_ref().ok_or(StoreError::Closed)?;
        jobs.send(job).await.map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Records the exam clock (called periodically, so a crash loses little of it).
    pub async fn checkpoint(&self) -> Result<()> {
        self.write(|_| Ok(())).await
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closing the queue lets the writer finish what is queued and exit; joining it makes
        // the database file free for the next open.
        self.jobs.take();
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
    }
}

/// Makes a new, empty data file at `path` whole or not at all. redb makes a new file in two
/// synced steps (the header without its magic number, then the number): a power cut between them
/// leaves a file that redb neither opens nor makes again, and the board would fail at every start
/// (found by the power-cut sweep in `tests::power_cut`). So the file is made under a temporary name
/// (`<name>.new`, a leftover of an earlier cut replaced) and renamed into place once complete.
fn create_whole(path: &Path) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".new");
    let tmp = std::path::PathBuf::from(tmp);
    match std::fs::remove_file(&tmp) {
        Ok(()) => {
            tracing::warn!(file = %tmp.display(), "replacing a data file left half-made by a power cut")
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(StoreError::storage(Fault::of_io(&e), e.to_string())),
    }
    drop(Database::builder().create(&tmp)?);
    ruji_sys::rename_durable(&tmp, path)
        .map_err(|e| StoreError::storage(Fault::of_io(&e), e.to_string()))
}

/// The writer thread: gathers jobs, runs them in one transaction, commits, replies.
fn writer(
    db: Arc<Database>,
    mut rx: mpsc::Receiver<Job>,
    clock: Clock,
    mut audit_seq: u64,
    stats: Arc<Counters>,
    broken: watch::Sender<bool>,
    derived: Arc<Derived>,
) {
    let mut notes = Notes::default();
    while let Some(first) = rx.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        let seq_before = audit_seq;
        let now = clock.now();
        let mut completions = Vec::with_capacity(batch.len());
        let mut all_ok = true;
        let begun = match db.begin_write() {
            Ok(mut t) => {
                // redb's default, stated: commit returns only once the data is on disk. redb 4
                // refuses a durability only when it is not `Immediate` (a persistent savepoint
                // changed, or `None` on a file several processes write), so this cannot fail
                // today; if a later redb made it fail, the batch fails rather than being
                // committed with weaker durability. The file did not refuse anything, so the
                // store is not marked broken.
                match t.set_durability(redb::Durability::Immediate) {
                    Ok(()) => Ok(t),
                    Err(e) => {
                        tracing::error!(error = %e, "cannot make the write transaction durable; batch abandoned");
                        drop(t.abort());
                        Err(StoreError::storage(
                            Fault::Other,
                            format!("cannot make the write durable: {e}"),
                        ))
                    }
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot begin write transaction; the store needs reopening");
                broken.send_replace(true);
                Err(stats.storage_error(e.into()))
            }
        };
        let txn = match begun {
            Ok(t) => t,
            Err(e) => {
                stats.failed_batches.fetch_add(1, Ordering::Relaxed);
                // Every caller in the batch gets the error; nothing ran.
                for job in batch {
                    let (_, done) = job(None);
                    done(Err(e.for_batch()));
                }
                continue;
            }
        };
        {
            notes.clear();
            // Dropped (its open tables closed) before the commit.
            let mut tx = Tx::new(&txn, now, &mut audit_seq, &mut notes);
            for job in batch {
                // The job catches its operation's panics itself; this is a second net (its
                // caller then only learns that its reply was dropped).
                match std::panic::catch_unwind(AssertUnwindSafe(|| job(Some(&mut tx)))) {
                    Ok((ok, done)) => {
                        all_ok &= ok;
                        completions.push(done);
                    }
                    Err(_) => {
                        tracing::error!("a store job panicked; batch abandoned");
                        all_ok = false;
                    }
                }
            }
            if all_ok {
                let rec = ClockRecord {
                    exam: now,
                    wall: wall_secs(),
                };
                if let Err(e) = tx.set_meta(CLOCK, &rec) {
                    tracing::error!(error = %e, "cannot record exam clock");
                    all_ok = false;
                }
            }
        }
        let outcome = if all_ok {
            txn.commit().map_err(|e| stats.storage_error(e.into()))
        } else {
            drop(txn.abort());
            Err(StoreError::BatchFailed)
        };
        match &outcome {
            Ok(()) => {
                derived.apply(&mut notes);
                stats.commits.fetch_add(1, Ordering::Relaxed);
                stats
                    .writes
                    .fetch_add(completions.len() as u64, Ordering::Relaxed);
            }
            Err(e) => {
                if !matches!(e, StoreError::BatchFailed) {
                    tracing::error!(error = %e, "commit failed; the store needs reopening");
                    broken.send_replace(true);
                }
                stats.failed_batches.fetch_add(1, Ordering::Relaxed);
                audit_seq = seq_before;
            }
        }
        for done in completions {
            done(match &outcome {
                Ok(()) => Ok(()),
                Err(e) => Err(e.for_batch()),
            });
        }
    }
}

#[cfg(test)]
mod golden;
#[cfg(test)]
mod tests;
