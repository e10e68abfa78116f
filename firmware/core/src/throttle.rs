//! Login throttling: after a few wrong passwords (or codes, or tokens) for one key (a username
//! or a client address), further attempts for that key are refused for a while, doubling up to
//! a ceiling.
//!
//! A check and its outcome are one reservation: [`Throttle::begin`] counts the attempt as
//! pending before the (slow) password hash runs, and [`Throttle::end`] turns it into a failure,
//! a success or nothing (the request was abandoned, so no guess reached the guesser). Pending
//! attempts count against the free failures, so many guesses sent at the same moment cannot
//! all be checked: per key, at most its burst is in flight while it has no failure, and once it
//! has, only the failures still free (one at a time after a lock-out). An attempt over that is
//! told to wait ([`Busy::InFlight`]) until one in flight ends, then tries again: a lab of PCs
//! behind one address logging in at once waits its turn instead of being refused.
//!
//! The locks themselves are to be kept across restarts: [`Throttle::end`] says which keys were
//! locked or unlocked ([`Change`]), and [`Throttle::restore`] puts a kept lock back.

use std::collections::HashMap;

use crate::Millis;

/// Failures allowed before the first lock-out.
pub const FREE_FAILURES: u32 = 5;
/// First lock-out.
pub const BASE_LOCK: Millis = 30_000;
/// Longest lock-out.
pub const MAX_LOCK: Millis = 15 * 60_000;
/// Attempts of one username (or code) in flight while it has no failure: one person types one
/// password at a time, so this is the free failures.
pub const USER_BURST: u32 = FREE_FAILURES;
/// Attempts from one client address in flight while it has no failure: a PC is one person,
/// but a lab behind one address (NAT) logs in together.
pub const CLIENT_BURST: u32 = 16;

/// Why [`Throttle::begin`] did not reserve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Busy {
    /// A key is locked out for this many milliseconds more.
    Locked(Millis),
    /// A key has as many attempts in flight as it may have: wait for one to end, then begin
    /// again.
    InFlight,
}

#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    failures: u32,
    pending: u32,
    locked_until: Millis,
}

impl Entry {
    /// Attempts allowed in flight at once: `burst` without failures, else the failures still
    /// free, and after a lock-out one at a time (its failure locks again, for longer).
    fn allowed_in_flight(&self, burst: u32) -> u32 {
        if self.failures == 0 {
            burst.max(1)
        } else {
            FREE_FAILURES
                .saturating_sub(self.failures)
                .clamp(1, burst.max(1))
        }
    }
}

/// What became of an attempt begun with [`Throttle::begin`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Wrong: counts as a failure.
    Failed,
    /// Right: the key's failures are forgotten.
    Succeeded,
    /// The request ended before its answer was known to the client (cancelled, timed out, or
    /// an error before the check): nothing is counted.
    Abandoned,
}

/// A key's lock that changed, for keeping locks across restarts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// `key` is locked until `until` after `failures` failures.
    Locked {
        /// The key.
        key: String,
        /// Failures so far (the next lock doubles from it).
        failures: u32,
        /// End of the lock (the clock of `now`).
        until: Millis,
    },
    /// `key`, locked before, succeeded: its kept lock is gone.
    Unlocked {
        /// The key.
        key: String,
    },
}

/// Failure counts per key. Bounded: beyond `capacity` keys, those neither locked nor being
/// checked are forgotten; with every place locked or in flight a new key is not tracked.
#[derive(Debug)]
pub struct Throttle {
    entries: HashMap<String, Entry>,
    capacity: usize,
}

impl Throttle {
    /// A throttle remembering at most `capacity` keys.
    pub fn new(capacity: usize) -> Self {
        Throttle {
            entries: HashMap::new(),
            capacity,
        }
    }

    /// `Err(ms)` while `key` is locked out, with the milliseconds left. ([`Throttle::begin`]
    /// is the check the room uses; this one is the tests' view.)
    #[cfg(test)]
    fn check(&self, key: &str, now: Millis) -> Result<(), Millis> {
        match self.entries.get(key) {
            Some(e) if e.locked_until > now => Err(e.locked_until - now),
            _ => Ok(()),
        }
    }

    /// Reserves one attempt for every key of `keys` (each with its burst: [`USER_BURST`],
    /// [`CLIENT_BURST`]), or none: refused while one is locked out, or has as many attempts in
    /// flight as it may. Every `Ok` must be followed by one [`Throttle::end`] with the same keys.
    pub fn begin(&mut self, keys: &[(&str, u32)], now: Millis) -> Result<(), Busy> {
        let mut locked = 0;
        let mut in_flight = false;
        for (k, burst) in keys {
            if let Some(e) = self.entries.get(*k) {
                if e.locked_until > now {
                    locked = locked.max(e.locked_until - now);
                } else if e.pending >= e.allowed_in_flight(*burst) {
                    in_flight = true;
                }
            }
        }
        if locked > 0 {
            return Err(Busy::Locked(locked));
        }
        if in_flight {
            return Err(Busy::InFlight);
        }
        for (k, _) in keys {
            if let Some(e) = self.entry(k, now) {
                e.pending += 1;
            }
        }
        Ok(())
    }

    /// Ends an attempt begun with [`Throttle::begin`] on the same keys; returns the locks that
    /// changed.
    pub fn end(&mut self, keys: &[&str], outcome: Outcome, now: Millis) -> Vec<Change> {
        let mut changes = Vec::new();
        for k in keys {
            let Some(e) = self.entries.get_mut(*k) else {
                continue;
            };
            e.pending = e.pending.saturating_sub(1);
            match outcome {
                Outcome::Failed => {
                    e.failures = e.failures.saturating_add(1);
                    if e.failures >= FREE_FAILURES {
                        let doublings = (e.failures - FREE_FAILURES).min(10);
                        e.locked_until = now + (BASE_LOCK << doublings).min(MAX_LOCK);
                        changes.push(Change::Locked {
                            key: k.to_string(),
                            failures: e.failures,
                            until: e.locked_until,
                        });
                    }
                }
                Outcome::Succeeded => {
                    if e.failures >= FREE_FAILURES {
                        changes.push(Change::Unlocked { key: k.to_string() });
                    }
                    e.failures = 0;
                    e.locked_until = 0;
                }
                Outcome::Abandoned => {}
            }
            if e.pending == 0 && e.failures == 0 {
                self.entries.remove(*k);
            }
        }
        changes
    }

    /// Puts back a lock kept from before a restart.
    pub fn restore(&mut self, key: &str, failures: u32, until: Millis, now: Millis) {
        if let Some(e) = self.entry(key, now) {
            e.failures = e.failures.max(failures);
            e.locked_until = e.locked_until.max(until);
        }
    }

    /// Keys being tracked (the tests check the bound).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.len()
    }

    /// No key is tracked.
    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// `key`'s entry, made if there is room.
    fn entry(&mut self, key: &str, now: Millis) -> Option<&mut Entry> {
        if self.entries.len() >= self.capacity && !self.entries.contains_key(key) {
            // Forget keys neither locked nor in flight; a flood of usernames cannot grow memory.
            self.entries
                .retain(|_, e| e.locked_until > now || e.pending > 0);
            if self.entries.len() >= self.capacity {
                return None;
            }
        }
        Some(self.entries.entry(key.to_string()).or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fail(t: &mut Throttle, k: &str, now: Millis) -> Vec<Change> {
        t.begin(&[(k, USER_BURST)], now).unwrap();
        t.end(&[k], Outcome::Failed, now)
    }

    #[test]
    fn locks_after_free_failures_and_grows() {
        let mut t = Throttle::new(100);
        for _ in 0..FREE_FAILURES - 1 {
            assert_eq!(fail(&mut t, "u", 0), vec![]);
        }
        assert!(t.check("u", 0).is_ok());
        assert_eq!(
            fail(&mut t, "u", 0),
            vec![Change::Locked {
                key: "u".into(),
                failures: FREE_FAILURES,
                until: BASE_LOCK
            }]
        );
        assert_eq!(t.check("u", 1000), Err(BASE_LOCK - 1000));
        assert_eq!(
            t.begin(&[("u", USER_BURST)], 1000),
            Err(Busy::Locked(BASE_LOCK - 1000))
        );
        assert!(t.check("u", BASE_LOCK).is_ok());
        fail(&mut t, "u", BASE_LOCK);
        assert_eq!(t.check("u", BASE_LOCK), Err(2 * BASE_LOCK));
        t.begin(&[("u", USER_BURST)], 3 * BASE_LOCK).unwrap();
        assert_eq!(
            t.end(&["u"], Outcome::Succeeded, 3 * BASE_LOCK),
            vec![Change::Unlocked { key: "u".into() }]
        );
        assert!(t.check("u", 3 * BASE_LOCK).is_ok());
        assert!(t.is_empty(), "a success forgets the key");
        for i in 0..40 {
            let now = i * MAX_LOCK;
            fail(&mut t, "v", now);
            if i + 1 >= Millis::from(FREE_FAILURES) {
                assert!(t.check("v", now).unwrap_err() <= MAX_LOCK);
            }
        }
    }

    #[test]
    fn attempts_in_flight_count_against_the_free_failures() {
        let mut t = Throttle::new(100);
        let u = [("u", USER_BURST)];
        // Many guesses at the same moment: only the failures still free are checked.
        let admitted = (0..100).filter(|_| t.begin(&u, 0).is_ok()).count();
        assert_eq!(admitted, FREE_FAILURES as usize);
        assert_eq!(t.begin(&u, 0), Err(Busy::InFlight));
        for _ in 0..admitted {
            t.end(&["u"], Outcome::Failed, 0);
        }
        assert_eq!(t.check("u", 0), Err(BASE_LOCK));
        // After the lock, one at a time.
        t.begin(&u, BASE_LOCK).unwrap();
        assert_eq!(t.begin(&u, BASE_LOCK), Err(Busy::InFlight));
        t.end(&["u"], Outcome::Abandoned, BASE_LOCK);
        assert!(
            t.begin(&u, BASE_LOCK).is_ok(),
            "an abandoned one frees its place"
        );
    }

    #[test]
    fn a_client_address_has_a_wider_burst_until_it_fails() {
        let mut t = Throttle::new(1000);
        let names: Vec<String> = (0..100).map(|n| format!("u{n}")).collect();
        let keys = |n: usize| [("ip", CLIENT_BURST), (names[n].as_str(), USER_BURST)];
        let admitted: Vec<usize> = (0..100).filter(|n| t.begin(&keys(*n), 0).is_ok()).collect();
        assert_eq!(admitted.len(), CLIENT_BURST as usize);
        // One fails: the address is down to its free failures (minus those in flight).
        t.end(&["ip", &names[admitted[0]]], Outcome::Failed, 0);
        assert_eq!(t.begin(&[("ip", CLIENT_BURST)], 0), Err(Busy::InFlight));
        for n in &admitted[1..] {
            t.end(&["ip", &names[*n]], Outcome::Failed, 0);
        }
        assert!(
            matches!(t.check("ip", 0), Err(ms) if ms > BASE_LOCK),
            "locked, doubled"
        );
    }

    #[test]
    fn two_keys_are_reserved_together_or_not_at_all() {
        let mut t = Throttle::new(100);
        for _ in 0..FREE_FAILURES {
            fail(&mut t, "ip", 0);
        }
        assert_eq!(
            t.begin(&[("user", USER_BURST), ("ip", CLIENT_BURST)], 0),
            Err(Busy::Locked(BASE_LOCK))
        );
        assert!(!t.entries.contains_key("user"), "nothing reserved");
        t.begin(&[("user", USER_BURST), ("other-ip", CLIENT_BURST)], 0)
            .unwrap();
        t.end(&["user", "other-ip"], Outcome::Succeeded, 0);
        assert_eq!(t.len(), 1, "only the locked key is left");
    }

    #[test]
    fn abandoned_attempts_count_nothing() {
        let mut t = Throttle::new(100);
        for _ in 0..3 * FREE_FAILURES {
            t.begin(&[("u", USER_BURST)], 0).unwrap();
            t.end(&["u"], Outcome::Abandoned, 0);
        }
        assert!(t.check("u", 0).is_ok());
        assert!(t.is_empty());
    }

    #[test]
    fn a_restored_lock_holds_and_keeps_doubling() {
        let mut t = Throttle::new(100);
        t.restore("u", FREE_FAILURES + 1, 60_000, 1_000);
        assert_eq!(t.check("u", 1_000), Err(59_000));
        let changes = fail(&mut t, "u", 60_000);
        assert_eq!(
            changes,
            vec![Change::Locked {
                key: "u".into(),
                failures: FREE_FAILURES + 2,
                until: 60_000 + 4 * BASE_LOCK
            }]
        );
    }

    #[test]
    fn bounded_memory() {
        let mut t = Throttle::new(10);
        for i in 0..1000 {
            fail(&mut t, &format!("k{i}"), 0);
        }
        assert!(t.len() <= 10);
    }
}
