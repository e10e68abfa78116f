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
//! - [`tables`] lists the tables and their postcard-encoded records; the schema version is in
//!   `meta` and checked on open.
#![forbid(unsafe_code)]

pub mod room;
pub mod tables;

use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use ruji_sys::unix_secs as wall_secs;

use redb::{Database, ReadTransaction, ReadableDatabase, ReadableTable, WriteTransaction};
use ruji_core::package::Package;
use ruji_core::Millis;
use serde::{de::DeserializeOwned, Serialize};
use tokio::sync::{mpsc, oneshot};

pub use tables::AuditEntry;
use tables::*;

/// Current schema version written in `meta`.
pub const SCHEMA_VERSION: u32 = 1;

/// redb page cache.
const CACHE_BYTES: usize = 16 << 20;

/// Largest number of writes committed together.
const MAX_BATCH: usize = 512;

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// redb reported an error (disk full, I/O error...).
    #[error("storage error: {0}")]
    Db(String),
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
    /// The writer has stopped (shutting down).
    #[error("the store is closed")]
    Closed,
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::Db(e.to_string())
            }
        }
    )*};
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
type Job = Box<dyn FnOnce(&mut Tx<'_>) -> (bool, Completion) + Send>;

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
    /// The installed package, decoded once; replaced on import.
    package: RwLock<Arc<Package>>,
    /// The wall clock (Unix seconds) recorded with the last commit before this open.
    last_known_wall: Option<u64>,
}

/// A write transaction as seen by one operation in a group commit.
pub struct Tx<'a> {
    txn: &'a WriteTransaction,
    /// Exam-clock time of this batch.
    pub now: Millis,
    audit_seq: &'a mut u64,
}

impl Tx<'_> {
    /// Reads a record.
    pub fn get<T: DeserializeOwned>(&self, t: Table, key: &str) -> Result<Option<T>> {
        let table = self.txn.open_table(t.def())?;
        let v = table.get(key)?;
        v.map(|v| decode(t.name(), v.value())).transpose()
    }
    /// Writes a record.
    pub fn put<T: Serialize>(&self, t: Table, key: &str, value: &T) -> Result<()> {
        let mut table = self.txn.open_table(t.def())?;
        table.insert(key, encode(value).as_slice())?;
        Ok(())
    }
    /// Appends to the audit log; returns the entry's sequence number.
    pub fn audit(&mut self, actor: &str, action: &str, detail: String) -> Result<u64> {
        *self.audit_seq += 1;
        let entry = AuditEntry {
            seq: *self.audit_seq,
            at: self.now,
            wall: wall_secs(),
            actor: actor.to_string(),
            action: action.to_string(),
            detail,
        };
        let mut table = self.txn.open_table(AUDIT)?;
        table.insert(entry.seq, encode(&entry).as_slice())?;
        Ok(entry.seq)
    }
    /// Reads every record whose key starts with `prefix`.
    pub fn scan<T: DeserializeOwned>(&self, t: Table, prefix: &str) -> Result<Vec<(String, T)>> {
        let table = self.txn.open_table(t.def())?;
        scan_table(&table, t.name(), prefix)
    }
}

fn scan_table<T: DeserializeOwned>(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    name: &'static str,
    prefix: &str,
) -> Result<Vec<(String, T)>> {
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
pub struct Reader {
    txn: ReadTransaction,
}

impl Reader {
    /// Reads a record.
    pub fn get<T: DeserializeOwned>(&self, t: Table, key: &str) -> Result<Option<T>> {
        let table = match self.txn.open_table(t.def()) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let v = table.get(key)?;
        v.map(|v| decode(t.name(), v.value())).transpose()
    }
    /// Reads every record whose key starts with `prefix`.
    pub fn scan<T: DeserializeOwned>(&self, t: Table, prefix: &str) -> Result<Vec<(String, T)>> {
        let table = match self.txn.open_table(t.def()) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(vec![]),
            Err(e) => return Err(e.into()),
        };
        scan_table(&table, t.name(), prefix)
    }
    /// The last `n` audit entries, newest first.
    pub fn audit_tail(&self, n: usize) -> Result<Vec<AuditEntry>> {
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
        // The page cache is bounded for a 512 MB board; the whole exam fits in a few MB.
        let db = Arc::new(
            Database::builder()
                .set_cache_size(CACHE_BYTES)
                .create(path)?,
        );
        let (base, audit_seq, package, last_known_wall) = Self::init(&db, &opts)?;
        let clock = Clock {
            base,
            started: Instant::now(),
            skipped: Arc::default(),
        };
        let (jobs, rx) = mpsc::channel::<Job>(4096);
        let wdb = db.clone();
        let wclock = clock.clone();
        let handle = std::thread::Builder::new()
            .name("ruji-store-writer".into())
            .spawn(move || writer(wdb, rx, wclock, audit_seq))
            .map_err(|e| StoreError::Db(e.to_string()))?;
        Ok(Store {
            inner: Arc::new(Inner {
                db,
                jobs: Some(jobs),
                writer: Some(handle),
                clock,
                package: RwLock::new(Arc::new(package.unwrap_or_default())),
                last_known_wall,
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
            let version: Option<u32> = meta
                .get(KEY_SCHEMA)?
                .map(|v| decode("meta", v.value()))
                .transpose()?;
            match version {
                None => {
                    meta.insert(KEY_SCHEMA, encode(&SCHEMA_VERSION).as_slice())?;
                }
                Some(v) if v > SCHEMA_VERSION => return Err(StoreError::NewerSchema(v)),
                // Older versions would be migrated here, table by table, in this transaction.
                Some(_) => {}
            }
            let clock: Option<ClockRecord> = meta
                .get(KEY_CLOCK)?
                .map(|v| decode("meta", v.value()))
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
            package = meta
                .get(KEY_PACKAGE)?
                .map(|v| decode::<Package>("meta", v.value()))
                .transpose()?;
            drop(meta);
            for t in Table::ALL {
                txn.open_table(t.def())?;
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

    /// Appends one entry to the audit log (for events outside the room operations, such as a
    /// recovery at power-on).
    pub async fn audit_event(
        &self,
        actor: &'static str,
        action: &'static str,
        detail: String,
    ) -> Result<()> {
        self.write(move |tx| tx.audit(actor, action, detail).map(|_| ()))
            .await
    }

    /// The installed package (the demo or an imported one).
    pub fn package(&self) -> Arc<Package> {
        self.inner.package.read().expect("not poisoned").clone()
    }

    /// A consistent read-only snapshot.
    pub fn reader(&self) -> Result<Reader> {
        Ok(Reader {
            txn: self.inner.db.begin_read()?,
        })
    }

    /// Runs `op` inside the next group commit and resolves after that commit is durable.
    ///
    /// The contract for `op`: return `Err` only for storage failures (the whole batch is then
    /// abandoned and every caller in it gets an error); a refusal under the domain rules is an
    /// `Ok(Err(..))` value, and an op that refuses must not have written anything.
    pub async fn write<T, F>(&self, op: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Tx<'_>) -> Result<T> + Send + 'static,
    {
        let (reply, rx) = oneshot::channel();
        let job: Job = Box::new(move |tx: &mut Tx<'_>| match op(tx) {
            Ok(v) => (
                true,
                Box::new(move |commit: Result<()>| {
                    let _ = reply.send(commit.map(|()| v));
                }) as Completion,
            ),
            Err(e) => (
                false,
                Box::new(move |_| {
                    let _ = reply.send(Err(e));
                }) as Completion,
            ),
        });
        let jobs = self.inner.jobs.as_ref().ok_or(StoreError::Closed)?;
        jobs.send(job).await.map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Installs a package, replacing the one in use. Participants' states are created for
    /// newcomers; existing attempts and answers are kept (they are keyed by username and test).
    /// `hashes` pairs each username with its password hash (hashing is the caller's job).
    /// Plain passwords are removed before the package is stored: only the hashes are kept.
    pub async fn install_package(
        &self,
        mut package: Package,
        hashes: Vec<(String, String)>,
    ) -> Result<()> {
        for p in &mut package.participants {
            p.password.clear();
        }
        let pkg = package.clone();
        self.write(move |tx| {
            tx.put(Table::Meta, KEY_PACKAGE, &pkg)?;
            for (username, hash) in hashes {
                let mut rec: ParticipantRecord = tx
                    .get(Table::Participants, &username)?
                    .unwrap_or_else(|| ParticipantRecord::new(&username));
                rec.password_hash = hash;
                tx.put(Table::Participants, &username, &rec)?;
            }
            tx.audit(
                "system",
                "package_installed",
                format!("{} ({}), {} items", pkg.id, pkg.title, pkg.items.len()),
            )?;
            Ok(())
        })
        .await?;
        *self.inner.package.write().expect("not poisoned") = Arc::new(package);
        Ok(())
    }

    /// Records the exam clock (called periodically, so a crash loses little of it).
    pub async fn checkpoint(&self) -> Result<()> {
        self.write(|_| Ok(())).await
    }

    /// A value from `meta`.
    pub fn meta<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        self.reader()?.get(Table::Meta, key)
    }

    /// Removes a value from `meta`, audited.
    pub async fn remove_meta(
        &self,
        key: &'static str,
        audit: (&'static str, &'static str),
    ) -> Result<()> {
        self.write(move |tx| {
            let mut table = tx.txn.open_table(Table::Meta.def())?;
            table.remove(key)?;
            drop(table);
            tx.audit(audit.0, audit.1, String::new())?;
            Ok(())
        })
        .await
    }

    /// Sets a value in `meta`, audited.
    pub async fn set_meta<T: Serialize + Send + 'static>(
        &self,
        key: &'static str,
        value: T,
        audit: Option<(&'static str, &'static str)>,
    ) -> Result<()> {
        self.write(move |tx| {
            tx.put(Table::Meta, key, &value)?;
            if let Some((actor, action)) = audit {
                tx.audit(actor, action, String::new())?;
            }
            Ok(())
        })
        .await
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

/// The writer thread: gathers jobs, runs them in one transaction, commits, replies.
fn writer(db: Arc<Database>, mut rx: mpsc::Receiver<Job>, clock: Clock, mut audit_seq: u64) {
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
        let txn = match db.begin_write() {
            Ok(mut t) => {
                // redb's default, stated: commit returns only once the data is on disk.
                let _ = t.set_durability(redb::Durability::Immediate);
                t
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot begin write transaction");
                for job in batch {
                    drop(job);
                }
                continue;
            }
        };
        {
            let mut tx = Tx {
                txn: &txn,
                now,
                audit_seq: &mut audit_seq,
            };
            for job in batch {
                match std::panic::catch_unwind(AssertUnwindSafe(|| job(&mut tx))) {
                    Ok((ok, done)) => {
                        all_ok &= ok;
                        completions.push(done);
                    }
                    Err(_) => {
                        tracing::error!("a store operation panicked; batch abandoned");
                        all_ok = false;
                    }
                }
            }
            if all_ok {
                let rec = ClockRecord {
                    exam: now,
                    wall: wall_secs(),
                };
                if let Err(e) = tx.put(Table::Meta, KEY_CLOCK, &rec) {
                    tracing::error!(error = %e, "cannot record exam clock");
                    all_ok = false;
                }
            }
        }
        let outcome = if all_ok {
            txn.commit().map_err(StoreError::from)
        } else {
            drop(txn.abort());
            Err(StoreError::BatchFailed)
        };
        if let Err(e) = &outcome {
            if !matches!(e, StoreError::BatchFailed) {
                tracing::error!(error = %e, "commit failed");
            }
            audit_seq = seq_before;
        }
        for done in completions {
            done(match &outcome {
                Ok(()) => Ok(()),
                Err(StoreError::Db(m)) => Err(StoreError::Db(m.clone())),
                Err(_) => Err(StoreError::BatchFailed),
            });
        }
    }
}

#[cfg(test)]
mod tests;
