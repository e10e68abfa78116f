//! Passwords: argon2id hashes (PHC strings) of participants' and the proctor's passwords,
//! computed off the async workers and within a memory bound.
//!
//! - At most `concurrency` hashes run at once, each in a reused working buffer
//!   ([`Scratch`]): memory after a login storm is what it was before it.
//! - A hash holds its place from the moment it starts until it ends, on the blocking thread
//!   that runs it, whatever happens to the request that asked for it: a request cancelled while
//!   it waits leaves the queue without hashing, one cancelled while its hash runs frees nothing
//!   early (so pressing LOGIN again and again cannot make more hashes run than the bound).
//! - Waiting hashes form one queue in three classes, first in first out within each: the
//!   proctor's ([`Priority::Proctor`]), participants' logins ([`Priority::Login`]), and work
//!   nobody waits for ([`Priority::Background`]: a package import's hashes, upgrading an old
//!   hash): a proctor is never stuck behind a room's login storm, a room never behind an import.
//! - The queue is bounded ([`MAX_WAITING`]): beyond it a hash is refused ([`Full`]), never
//!   queued without end.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::oneshot;

/// argon2id memory per hash, KiB, and passes: small enough that the hashes running at once fit
/// a 512 MB board with room to spare, large enough to make guessing a login-card password from
/// a stolen data file costly (docs/decisions.md D27). `ruji pack` hashes with the same.
pub use ruji_core::package::{ARGON2_KIB, ARGON2_T};
/// The most hashes waiting for a place, all classes together.
pub const MAX_WAITING: usize = 4096;
/// The largest hash accepted from the store, KiB (a hash made with more memory is refused as
/// wrong rather than run).
const MAX_KIB: u32 = 64 * 1024;

fn params() -> Params {
    Params::new(ARGON2_KIB, ARGON2_T, 1, None).expect("valid argon2 params")
}

/// Hashes at once on this machine: one core is always left to the participants' saves and
/// pages, at most three (4 cores: a Pi 3, 4, 400 or Zero 2 W hashes three at once in 24 MiB), at
/// least one (docs/decisions.md D27).
pub fn default_concurrency() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    cores.saturating_sub(1).clamp(1, 3)
}

/// Whether `hash` (from a package file) is one [`verify_password`] checks: an argon2id PHC
/// string with a salt and an output, of at most [`MAX_KIB`] of memory.
pub fn acceptable(hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        h.algorithm == Algorithm::Argon2id.ident()
            && h.salt.is_some()
            && h.hash.is_some()
            && Params::try_from(&h).is_ok_and(|p| p.m_cost() <= MAX_KIB)
    })
}

/// Whether `hash` was made with today's parameters (else it is upgraded after the next
/// successful login: [`crate::Room::participant_login`]).
pub fn is_current(hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        h.algorithm == Algorithm::Argon2id.ident()
            && h.version == Some(Version::V0x13.into())
            && Params::try_from(&h).is_ok_and(|p| {
                p.m_cost() == ARGON2_KIB && p.t_cost() == ARGON2_T && p.p_cost() == 1
            })
    })
}

/// argon2's working memory, reused: a fresh 8 MiB allocation per login would be kept by the C
/// allocator's arenas after use (hundreds of MB after a login wave), so each hashing thread
/// takes a buffer from this pool and gives it back. At most `concurrency` buffers exist.
#[derive(Default)]
pub struct Scratch {
    pool: Mutex<Vec<Vec<Block>>>,
}

impl Scratch {
    fn with<R>(&self, blocks: usize, f: impl FnOnce(&mut [Block]) -> R) -> R {
        let mut buf = self
            .pool
            .lock()
            .expect("not poisoned")
            .pop()
            .unwrap_or_default();
        if buf.len() < blocks {
            buf = vec![Block::new(); blocks];
        }
        let r = f(&mut buf[..blocks]);
        self.pool.lock().expect("not poisoned").push(buf);
        r
    }

    /// Working buffers that exist (taken or not), and their size in bytes.
    fn held(&self) -> (usize, usize) {
        let pool = self.pool.lock().expect("not poisoned");
        let bytes = pool.iter().map(|b| b.capacity() * size_of::<Block>()).sum();
        (pool.len(), bytes)
    }
}

/// Hashes a password (blocking: run it off the async threads) into a PHC string.
pub fn hash_password(scratch: &Scratch, password: &str) -> String {
    let mut salt = [0u8; 16];
    rand::fill(&mut salt);
    let params = params();
    let mut out = [0u8; 32];
    scratch.with(params.block_count(), |mem| {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
            .hash_password_into_with_memory(password.as_bytes(), &salt, &mut out, mem)
            .expect("argon2 with valid params cannot fail")
    });
    let salt = SaltString::encode_b64(&salt).expect("16 bytes is a valid salt");
    PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).expect("params encode"),
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).expect("32-byte output")),
    }
    .to_string()
}

/// Checks a password against a PHC hash (blocking). Only argon2id hashes are accepted, with
/// any parameters up to [`MAX_KIB`] (older boards' hashes keep working).
pub fn verify_password(scratch: &Scratch, hash: &str, password: &str) -> bool {
    let Ok(h) = PasswordHash::new(hash) else {
        return false;
    };
    let (Ok(params), Some(salt), Some(expected)) = (Params::try_from(&h), h.salt, h.hash) else {
        return false;
    };
    if h.algorithm != Algorithm::Argon2id.ident() || params.m_cost() > MAX_KIB {
        return false;
    }
    let version = match h.version {
        Some(0x10) => Version::V0x10,
        _ => Version::V0x13,
    };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    let ok = scratch.with(params.block_count(), |mem| {
        Argon2::new(Algorithm::Argon2id, version, params.clone())
            .hash_password_into_with_memory(password.as_bytes(), salt, &mut out, mem)
            .is_ok()
    });
    ok && out.len() == expected.len()
        && out
            .iter()
            .zip(expected.as_bytes())
            .fold(0u8, |a, (x, y)| a | (x ^ y))
            == 0
}

/// A hash of nothing, verified against when the username is unknown so that the answer takes
/// as long as for a known one.
static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Who waits for a hash; see the module's doc.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    /// The proctor's login or password change: first.
    Proctor = 0,
    /// A participant's login.
    Login = 1,
    /// Nobody waits for it: a package import's hashes, an old hash's upgrade.
    Background = 2,
}

/// The queue of hashes is full ([`MAX_WAITING`]): try again later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Full;

/// What the hashing pool is doing, and the most it ever did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Hashes running now.
    pub running: usize,
    /// The most hashes that ever ran at once.
    pub most_running: usize,
    /// Hashes waiting for a place, per [`Priority`].
    pub waiting: [usize; 3],
    /// Hashes started since the pool was made.
    pub started: u64,
    /// Working buffers that exist, and their bytes together.
    pub buffers: (usize, usize),
}

/// The queue's state, behind one lock.
struct Queue {
    limit: usize,
    running: usize,
    most_running: usize,
    started: u64,
    /// Per [`Priority`]: each waiter's channel; a waiter that gave up has dropped its receiver
    /// and is skipped when its turn comes.
    waiting: [VecDeque<oneshot::Sender<Place>>; 3],
}

impl Queue {
    fn waiting(&self) -> usize {
        self.waiting.iter().map(VecDeque::len).sum()
    }
}

/// A place to run one hash. Dropping it (on the thread that ran the hash) hands it to the next
/// waiter still waiting, or frees it.
struct Place {
    queue: Option<Arc<Mutex<Queue>>>,
}

impl Drop for Place {
    fn drop(&mut self) {
        let Some(queue) = self.queue.take() else {
            return;
        };
        let mut q = queue.lock().expect("not poisoned");
        let mut place = Place {
            queue: Some(queue.clone()),
        };
        // Highest class first; within it, first come first served.
        for class in 0..3 {
            while let Some(tx) = q.waiting[class].pop_front() {
                match tx.send(place) {
                    Ok(()) => {
                        q.started += 1;
                        return;
                    }
                    // That waiter gave up: the place comes back for the next one.
                    Err(back) => place = back,
                }
            }
        }
        // Nobody waits: the place is free. Disarmed, so this drop does not recurse.
        place.queue = None;
        q.running -= 1;
    }
}

/// The hashing pool: the queue of places and the working memory.
pub struct Passwords {
    queue: Arc<Mutex<Queue>>,
    scratch: Arc<Scratch>,
}

impl Passwords {
    /// A pool running at most `concurrency` hashes at once (at least one).
    pub fn new(concurrency: usize) -> Passwords {
        Passwords {
            queue: Arc::new(Mutex::new(Queue {
                limit: concurrency.max(1),
                running: 0,
                most_running: 0,
                started: 0,
                waiting: Default::default(),
            })),
            scratch: Arc::new(Scratch::default()),
        }
    }

    /// How many hashes run at once at most.
    pub fn concurrency(&self) -> usize {
        self.queue.lock().expect("not poisoned").limit
    }

    /// What the pool is doing.
    pub fn stats(&self) -> Stats {
        let q = self.queue.lock().expect("not poisoned");
        Stats {
            running: q.running,
            most_running: q.most_running,
            waiting: [0, 1, 2].map(|c| q.waiting[c].len()),
            started: q.started,
            buffers: self.scratch.held(),
        }
    }

    /// A place, now or when one is handed over; [`Full`] when the queue is full. Cancel-safe:
    /// a waiter dropped before its turn is skipped, and a place handed to a waiter that has
    /// just gone is passed on (the place is dropped with the channel).
    async fn place(&self, priority: Priority) -> Result<Place, Full> {
        let rx = {
            let mut q = self.queue.lock().expect("not poisoned");
            if q.running < q.limit && q.waiting() == 0 {
                q.running += 1;
                q.started += 1;
                q.most_running = q.most_running.max(q.running);
                return Ok(Place {
                    queue: Some(self.queue.clone()),
                });
            }
            if q.waiting() >= MAX_WAITING {
                // Waiters that gave up still count until their turn: make room by dropping them.
                for w in &mut q.waiting {
                    w.retain(|tx| !tx.is_closed());
                }
                if q.waiting() >= MAX_WAITING {
                    return Err(Full);
                }
            }
            let (tx, rx) = oneshot::channel();
            q.waiting[priority as usize].push_back(tx);
            rx
        };
        Ok(rx
            .await
            .expect("a waiter's sender is only dropped after a send"))
    }

    /// Runs `f` on the blocking pool once a place is free; the place is held until `f` ends.
    async fn run<T: Send + 'static>(
        &self,
        priority: Priority,
        f: impl FnOnce(&Scratch) -> T + Send + 'static,
    ) -> Result<T, Full> {
        let place = self.place(priority).await?;
        let scratch = self.scratch.clone();
        let r = tokio::task::spawn_blocking(move || {
            let _held = place;
            f(&scratch)
        })
        .await;
        Ok(r.expect("argon2 with valid parameters does not panic"))
    }

    /// Verifies a password. `hash` `None` (unknown user) verifies against a dummy, so the
    /// answer takes as long, and fails.
    pub async fn verify(
        &self,
        priority: Priority,
        hash: Option<String>,
        password: String,
    ) -> Result<bool, Full> {
        self.run(priority, move |scratch| match hash {
            Some(h) if !h.is_empty() => verify_password(scratch, &h, &password),
            _ => {
                let d = DUMMY.get_or_init(|| hash_password(scratch, "ruji-dummy"));
                let _ = verify_password(scratch, d, &password);
                false
            }
        })
        .await
    }

    /// Hashes a password.
    pub async fn hash(&self, priority: Priority, password: String) -> Result<String, Full> {
        self.run(priority, move |scratch| hash_password(scratch, &password))
            .await
    }
}

impl crate::Room {
    /// Hashes every `(username, password)` at `priority`: as many in the queue at once as can
    /// run (a school of thousands does not fill it). The hashes come back in no set order.
    pub(crate) async fn hash_all(
        &self,
        priority: Priority,
        plain: Vec<(String, String)>,
    ) -> crate::Result<Vec<(String, String)>> {
        let mut hashes = Vec::with_capacity(plain.len());
        let mut todo = plain.into_iter();
        let mut tasks = tokio::task::JoinSet::new();
        loop {
            while tasks.len() < self.0.passwords.concurrency() {
                let Some((u, pw)) = todo.next() else { break };
                let room = self.clone();
                tasks.spawn(async move { (u, room.0.passwords.hash(priority, pw).await) });
            }
            let Some(r) = tasks.join_next().await else {
                break;
            };
            let (u, hash) = r.expect("hashing does not panic");
            hashes.push((u, hash?));
        }
        Ok(hashes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn hash_and_verify() {
        let s = Scratch::default();
        let h = hash_password(&s, "mawar01");
        assert!(h.starts_with("$argon2id$v=19$m=8192,t=2,p=1$"), "{h}");
        assert!(is_current(&h));
        assert!(verify_password(&s, &h, "mawar01"));
        assert!(!verify_password(&s, &h, "mawar02"));
        assert!(!verify_password(&s, "garbage", "mawar01"));
        // Interoperable with the argon2 crate's own verifier (standard PHC strings).
        use argon2::password_hash::PasswordVerifier;
        let parsed = PasswordHash::new(&h).unwrap();
        assert!(Argon2::default()
            .verify_password(b"mawar01", &parsed)
            .is_ok());
        assert_eq!(s.pool.lock().unwrap().len(), 1, "one buffer, reused");
    }

    #[test]
    fn hashes_with_other_parameters_still_verify() {
        use argon2::password_hash::PasswordHasher;
        let s = Scratch::default();
        // An older board's hash: argon2id with other memory and passes.
        let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
        let old = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(4096, 3, 1, None).unwrap(),
        )
        .hash_password(b"melati07", &salt)
        .unwrap()
        .to_string();
        assert!(!is_current(&old));
        assert!(verify_password(&s, &old, "melati07"));
        assert!(!verify_password(&s, &old, "melati08"));
        // argon2i or argon2d are not accepted, nor a hash that would take 1 GiB.
        let argon2i = Argon2::new(Algorithm::Argon2i, Version::V0x13, params())
            .hash_password(b"melati07", &salt)
            .unwrap()
            .to_string();
        assert!(!verify_password(&s, &argon2i, "melati07"));
        let huge = old.replace("m=4096", "m=1048576");
        assert!(!verify_password(&s, &huge, "melati07"));
    }

    /// Holds the pool's only place until told, so the test can line waiters up behind it.
    async fn blocker(
        pool: &Arc<Passwords>,
    ) -> (tokio::task::JoinHandle<()>, std::sync::mpsc::Sender<()>) {
        let (go, wait) = std::sync::mpsc::channel::<()>();
        let p = pool.clone();
        let h = tokio::spawn(async move {
            p.run(Priority::Background, move |_| {
                let _ = wait.recv();
            })
            .await
            .unwrap();
        });
        while pool.stats().running == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        (h, go)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_proctor_goes_first_then_logins_then_background_each_in_order() {
        let pool = Arc::new(Passwords::new(1));
        let (h, go) = blocker(&pool).await;
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = vec![];
        for (name, prio) in [
            ("import1", Priority::Background),
            ("login1", Priority::Login),
            ("import2", Priority::Background),
            ("login2", Priority::Login),
            ("proctor", Priority::Proctor),
        ] {
            let (p, o) = (pool.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                p.run(prio, move |_| o.lock().unwrap().push(name))
                    .await
                    .unwrap()
            }));
            // Queued in this order.
            while pool.stats().waiting.iter().sum::<usize>() < tasks.len() {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
        go.send(()).unwrap();
        h.await.unwrap();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(
            *order.lock().unwrap(),
            ["proctor", "login1", "login2", "import1", "import2"]
        );
        let s = pool.stats();
        assert_eq!((s.running, s.most_running, s.started), (0, 1, 6));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_waiter_that_gives_up_never_hashes_and_the_queue_is_bounded() {
        let pool = Arc::new(Passwords::new(1));
        let (h, go) = blocker(&pool).await;
        // Waiters cancelled before their turn: none of them runs.
        for _ in 0..10 {
            let r = tokio::time::timeout(
                Duration::from_millis(5),
                pool.run(Priority::Login, |_| panic!("a cancelled waiter ran")),
            )
            .await;
            assert!(r.is_err(), "still waiting behind the blocker");
        }
        assert_eq!(pool.stats().waiting[1], 10, "gone, but not yet skipped");
        // The queue is bounded; waiters that gave up make room.
        let mut held = vec![];
        for _ in 0..MAX_WAITING {
            let p = pool.clone();
            held.push(tokio::spawn(async move {
                p.run(Priority::Background, |_| ()).await
            }));
        }
        while pool.stats().waiting[2] < MAX_WAITING - 10 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(
            pool.stats().waiting[2],
            MAX_WAITING,
            "the gone ones made room"
        );
        assert_eq!(pool.run(Priority::Proctor, |_| ()).await, Err(Full));
        go.send(()).unwrap();
        h.await.unwrap();
        for t in held {
            assert_eq!(t.await.unwrap(), Ok(()));
        }
        let s = pool.stats();
        assert_eq!((s.running, s.most_running), (0, 1));
        assert_eq!(
            s.started,
            1 + MAX_WAITING as u64,
            "the cancelled ten never started"
        );
    }
}
