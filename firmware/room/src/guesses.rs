//! Guesses of a secret (a password, the setup code, the token) under the room's throttle.
//!
//! [`Room::guess`] reserves the attempt on every key at once before the check runs (the check
//! of a password is a slow hash), and the [`Guess`] it returns ends it: [`Guess::failed`],
//! [`Guess::succeeded`], or dropped (abandoned: an error before the check, or the request
//! cancelled), which counts nothing. So many guesses sent at the same moment are not all
//! checked ([`ruji_core::throttle`]): those over a key's allowance wait for one in flight to
//! end (at most [`GUESS_WAIT`]), and none of them reaches the password hash, so a flood from
//! one address holds only its own few places in the hashing queue. A lock-out is written to the
//! store before the failure that caused it is answered: it survives a restart ([`Room::open`]
//! puts the kept ones back).

use std::time::Duration;

use ruji_core::throttle::{Busy, Change, Outcome};
use ruji_store::tables::Lockout;

use crate::Room;
use crate::{Result, RoomError};

/// One reserved guess; see the module's doc.
#[must_use = "a guess ends as failed, succeeded, or abandoned when dropped"]
pub(crate) struct Guess<'a> {
    room: &'a Room,
    keys: Vec<String>,
    ended: bool,
}

/// Longest wait for a place among a key's attempts in flight; then the attempt is refused as
/// throttled (one second to wait). Places free within a password hash, so only a flood waits
/// this long.
pub const GUESS_WAIT: Duration = Duration::from_secs(25);

impl Room {
    /// Reserves a guess on `keys` (a username or code with [`ruji_core::throttle::USER_BURST`],
    /// a client address with [`ruji_core::throttle::CLIENT_BURST`]): refused with
    /// [`RoomError::Throttled`] while one is locked out; waits while one has its allowance in
    /// flight.
    pub(crate) async fn guess(&self, keys: &[(&str, u32)]) -> Result<Guess<'_>> {
        let deadline = tokio::time::Instant::now() + GUESS_WAIT;
        loop {
            // Registered before the check, so an end between the two is not missed.
            let ended = self.0.guess_ended.notified();
            let now = self.now();
            let r = self
                .0
                .throttle
                .lock()
                .expect("not poisoned")
                .begin(keys, now);
            match r {
                Ok(()) => {
                    return Ok(Guess {
                        room: self,
                        keys: keys.iter().map(|(k, _)| k.to_string()).collect(),
                        ended: false,
                    })
                }
                Err(Busy::Locked(ms)) => return Err(RoomError::Throttled { retry_after_ms: ms }),
                Err(Busy::InFlight) => {
                    if tokio::time::timeout_at(deadline, ended).await.is_err() {
                        return Err(RoomError::Throttled {
                            retry_after_ms: 1000,
                        });
                    }
                }
            }
        }
    }

    /// Puts back the lock-outs kept in the store (at start).
    pub(crate) fn restore_lockouts(&self) -> Result<()> {
        let now = self.now();
        let kept = self.store().lockouts()?;
        let mut t = self.0.throttle.lock().expect("not poisoned");
        for (key, l) in kept.into_iter().filter(|(_, l)| l.until > now) {
            t.restore(&key, l.failures, l.until, now);
        }
        Ok(())
    }
}

impl Guess<'_> {
    /// The guess was wrong: counted, and a lock-out it causes is kept before returning.
    pub(crate) async fn failed(self) {
        self.end(Outcome::Failed).await
    }

    /// The guess was right: the keys' failures are forgotten.
    pub(crate) async fn succeeded(self) {
        self.end(Outcome::Succeeded).await
    }

    async fn end(mut self, outcome: Outcome) {
        self.ended = true;
        let changes = self.finish(outcome);
        if changes.is_empty() {
            return;
        }
        let (mut locked, mut unlocked) = (vec![], vec![]);
        for c in changes {
            match c {
                Change::Locked {
                    key,
                    failures,
                    until,
                } => {
                    tracing::warn!(key, failures, "locked out after wrong guesses");
                    locked.push((key, Lockout { failures, until }));
                }
                Change::Unlocked { key } => unlocked.push(key),
            }
        }
        // The lock holds in memory whatever happens here; kept, it also holds after a restart.
        if let Err(e) = self.room.store().keep_lockouts(locked, unlocked).await {
            tracing::error!(error = %e, "cannot keep a lock-out in the store");
        }
    }

    fn finish(&self, outcome: Outcome) -> Vec<Change> {
        let keys: Vec<&str> = self.keys.iter().map(String::as_str).collect();
        let now = self.room.now();
        let changes = self
            .room
            .0
            .throttle
            .lock()
            .expect("not poisoned")
            .end(&keys, outcome, now);
        self.room.0.guess_ended.notify_waiters();
        changes
    }
}

impl Drop for Guess<'_> {
    fn drop(&mut self) {
        if !self.ended {
            self.ended = true;
            self.finish(Outcome::Abandoned);
        }
    }
}
