//! Participants' logins as jobs that outlive the request that asked for them.
//!
//! At the start of a session a whole room logs in within the same minute, and each password
//! check is a slow hash ([`crate::passwords`]). A login is therefore a job: [`Room::login`]
//! starts it (or, when LOGIN is pressed again, joins the same participant's job from the same
//! PC with the same password, running or ended with a login not yet picked up) and waits for it
//! at most the time it is given. A job that has
//! not ended by then is answered with a ticket ([`Login::Waiting`]); the participant's page says
//! the login is being processed and asks again ([`Room::login_wait`]) until it ends. The job
//! itself goes on whatever happens to the requests: its hash, once started, is finished and its
//! result used (the login recorded, a wrong password counted), so no request timeout or closed
//! browser can waste a hash or cut a login in half.
//!
//! Bounds: at most [`MAX_LOGINS`] jobs exist (waiting, running, or ended and not yet picked
//! up); an ended job is kept [`KEEP_ENDED`] for its page to pick it up, then forgotten.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use ruji_core::attempt::LoginError;
use ruji_core::throttle::{CLIENT_BURST, USER_BURST};
use ruji_store::room::Refusal;
use tokio::sync::watch;

use crate::error::flat;
use crate::passwords::{self, Priority};
use crate::{Result, Room, RoomError};

/// Longest username and password a login form may carry.
const MAX_USERNAME: usize = 64;
const MAX_PASSWORD: usize = 256;

/// The most login jobs at once (waiting, running, or ended and not yet picked up).
pub const MAX_LOGINS: usize = 4096;
/// How long an ended job waits for its page to pick it up.
pub const KEEP_ENDED: Duration = Duration::from_secs(120);

/// Where a login stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Login {
    /// Logged in: the new login id for the participant's cookie.
    In(u64),
    /// Still being processed: ask again with this ticket ([`Room::login_wait`]).
    Waiting {
        /// The job's ticket (secret: whoever holds it gets the login).
        ticket: String,
        /// Logins started before this one that have not ended.
        ahead: usize,
    },
}

/// One login job.
struct Job {
    /// Order of arrival.
    seq: u64,
    username: String,
    /// Kept until the job is picked up, to join a repeated press.
    password: String,
    client: String,
    /// Becomes `true` when the job ends.
    ended: watch::Receiver<bool>,
    /// The job's result, until picked up.
    outcome: Option<Result<u64>>,
    ended_at: Option<Instant>,
}

/// The login jobs (a field of the room).
#[derive(Default)]
pub(crate) struct Logins {
    jobs: std::sync::Mutex<HashMap<String, Job>>,
    next_seq: std::sync::atomic::AtomicU64,
}

impl Logins {
    /// Jobs not yet ended, and jobs in all.
    pub(crate) fn counts(&self) -> (usize, usize) {
        let jobs = self.jobs.lock().expect("not poisoned");
        let open = jobs.values().filter(|j| j.ended_at.is_none()).count();
        (open, jobs.len())
    }
}

/// Ends the job when dropped, even if its task is cancelled (the runtime stops) or panics: its
/// waiters are never left waiting for nothing.
struct Ending {
    room: Room,
    ticket: String,
    tx: watch::Sender<bool>,
}

impl Ending {
    fn end(&self, outcome: Result<u64>) {
        let mut jobs = self.room.0.logins.jobs.lock().expect("not poisoned");
        if let Some(job) = jobs.get_mut(&self.ticket) {
            if job.ended_at.is_none() {
                if outcome.is_err() {
                    job.password = String::new();
                }
                job.outcome = Some(outcome);
                job.ended_at = Some(Instant::now());
            }
        }
    }
}

impl Drop for Ending {
    fn drop(&mut self) {
        // A job that ended normally has its outcome already; this only fills a cut one.
        self.end(Err(RoomError::ShuttingDown));
        let _ = self.tx.send(true);
    }
}

impl Room {
    /// A participant logs in from `client`: starts the login job (or joins the one this
    /// participant started from the same client with the same password) and waits for it at
    /// most `wait`. Refused at once when the input cannot be a login or the board has
    /// [`MAX_LOGINS`] jobs ([`RoomError::Busy`]).
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        client: &str,
        wait: Duration,
    ) -> Result<Login> {
        let username = username.trim();
        if username.is_empty() || username.len() > MAX_USERNAME || password.len() > MAX_PASSWORD {
            return Err(RoomError::WrongPassword);
        }
        let ticket = {
            let mut jobs = self.0.logins.jobs.lock().expect("not poisoned");
            jobs.retain(|_, j| j.ended_at.is_none_or(|t| t.elapsed() < KEEP_ENDED));
            // The same press again (same participant, PC and password) joins the job while it
            // runs, or takes its login when it ended with one not yet picked up.
            let same = jobs.iter().find(|(_, j)| {
                (j.ended_at.is_none() || matches!(j.outcome, Some(Ok(_))))
                    && j.username == username
                    && j.client == client
                    && j.password == password
            });
            match same {
                Some((ticket, _)) => ticket.clone(),
                None => {
                    if jobs.len() >= MAX_LOGINS {
                        return Err(RoomError::Busy);
                    }
                    let ticket = format!("{:032x}", rand::random::<u128>());
                    let (tx, rx) = watch::channel(false);
                    let seq = self
                        .0
                        .logins
                        .next_seq
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    jobs.insert(
                        ticket.clone(),
                        Job {
                            seq,
                            username: username.to_string(),
                            password: password.to_string(),
                            client: client.to_string(),
                            ended: rx,
                            outcome: None,
                            ended_at: None,
                        },
                    );
                    let ending = Ending {
                        room: self.clone(),
                        ticket: ticket.clone(),
                        tx,
                    };
                    let (u, p, c) = (username.to_string(), password.to_string(), client.into());
                    tokio::spawn(run(ending, u, p, c));
                    ticket
                }
            }
        };
        self.login_wait(&ticket, client, wait).await
    }

    /// Asks again after [`Login::Waiting`]: waits at most `wait` for the job of `ticket`
    /// (started from `client`; a zero `wait` answers at once). Its result is given once; an
    /// unknown ticket (already picked up, forgotten after [`KEEP_ENDED`], or from another
    /// client) is [`RoomError::LoginGone`].
    pub async fn login_wait(&self, ticket: &str, client: &str, wait: Duration) -> Result<Login> {
        let mut ended = {
            let jobs = self.0.logins.jobs.lock().expect("not poisoned");
            match jobs.get(ticket) {
                Some(j) if j.client == client => j.ended.clone(),
                _ => return Err(RoomError::LoginGone),
            }
        };
        // No wait at all: the answer is what the job is now, without yielding (a job started
        // in this call that has a password to hash is still waiting).
        if !wait.is_zero() {
            let _ = tokio::time::timeout(wait, ended.wait_for(|e| *e)).await;
        }
        let mut jobs = self.0.logins.jobs.lock().expect("not poisoned");
        let Some(job) = jobs.get(ticket) else {
            return Err(RoomError::LoginGone);
        };
        if job.ended_at.is_none() {
            let seq = job.seq;
            let ahead = jobs
                .values()
                .filter(|j| j.ended_at.is_none() && j.seq < seq)
                .count();
            return Ok(Login::Waiting {
                ticket: ticket.to_string(),
                ahead,
            });
        }
        let outcome = jobs
            .remove(ticket)
            .and_then(|j| j.outcome)
            .unwrap_or(Err(RoomError::LoginGone));
        outcome.map(Login::In)
    }

    /// Logs a participant in and waits for it however long it takes (tests, benchmarks and
    /// the command line; pages use [`Room::login`] with a wait and a ticket).
    pub async fn participant_login(
        &self,
        username: &str,
        password: &str,
        client: &str,
    ) -> Result<u64> {
        let long = Duration::from_secs(3600);
        let mut r = self.login(username, password, client, long).await?;
        loop {
            match r {
                Login::In(id) => return Ok(id),
                Login::Waiting { ticket, .. } => r = self.login_wait(&ticket, client, long).await?,
            }
        }
    }

    /// Login jobs not yet ended, and jobs in all.
    pub fn login_jobs(&self) -> (usize, usize) {
        self.0.logins.counts()
    }

    /// What the password hashing is doing, and the most hashes that ever ran at once.
    pub fn hashing(&self) -> passwords::Stats {
        self.0.passwords.stats()
    }

    /// The check and the record of one login (the job's work): the guess reserved on the
    /// username and the client address, the password verified, the login written. With the
    /// stored hash when it was made with older parameters.
    async fn check_login(
        &self,
        username: &str,
        password: &str,
        client: &str,
    ) -> Result<(u64, Option<String>)> {
        let (ukey, ikey) = (format!("u:{username}"), format!("ip:{client}"));
        let guess = self
            .guess(&[(&ukey, USER_BURST), (&ikey, CLIENT_BURST)])
            .await?;
        let hash = self.store().password_hash(username)?;
        let ok = self
            .0
            .passwords
            .verify(Priority::Login, hash.clone(), password.to_string())
            .await?;
        if !ok {
            tracing::info!(username, client, "wrong password");
            guess.failed().await;
            return Err(RoomError::WrongPassword);
        }
        // A room's PC is shared all day: one participant's typos must not lock the next one out.
        guess.succeeded().await;
        let login_id = rand::random::<u64>() | 1;
        let r = flat(self.store().login(username, client, login_id).await);
        if let Err(RoomError::Refused(Refusal::Login(LoginError::AlreadyLoggedIn { .. }))) = &r {
            // Moved to another computer with the test open: the console shows who needs a reset.
            tracing::info!(
                username,
                client,
                "login refused: logged in on another computer"
            );
            self.0.presence.refused_elsewhere(username);
            self.0.console.poke();
        }
        r?;
        self.0.presence.login_changed(username);
        tracing::info!(username, client, "participant logged in");
        self.touch(username, client, login_id);
        Ok((login_id, hash.filter(|h| !passwords::is_current(h))))
    }
}

/// A login job's task: the check, its outcome handed to the waiters, then (nobody waiting for
/// it) an old hash made again with today's parameters.
async fn run(ending: Ending, username: String, password: String, client: String) {
    let room = ending.room.clone();
    let r = room.check_login(&username, &password, &client).await;
    let old = match r {
        Ok((id, old)) => {
            ending.end(Ok(id));
            old
        }
        Err(e) => {
            ending.end(Err(e));
            None
        }
    };
    drop(ending);
    let Some(old) = old else { return };
    // A full queue skips it: the next login tries again.
    let Ok(new) = room.0.passwords.hash(Priority::Background, password).await else {
        return;
    };
    match room
        .store()
        .upgrade_password_hash(&username, old, new)
        .await
    {
        Ok(true) => tracing::info!(username, "password hash upgraded"),
        Ok(false) => {}
        Err(e) => tracing::warn!(username, error = %e, "cannot upgrade a password hash"),
    }
}
