//! Login throttling: after a few wrong passwords for one key (a username or a client address),
//! further attempts for that key are refused for a while, doubling up to a ceiling.

use std::collections::HashMap;

use crate::Millis;

/// Failures allowed before the first lock-out.
pub const FREE_FAILURES: u32 = 5;
/// First lock-out.
pub const BASE_LOCK: Millis = 30_000;
/// Longest lock-out.
pub const MAX_LOCK: Millis = 15 * 60_000;

#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    failures: u32,
    locked_until: Millis,
}

/// Failure counts per key. Bounded: the oldest entries are dropped beyond `capacity`.
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

    /// `Err(ms)` while `key` is locked out, with the milliseconds left.
    pub fn check(&self, key: &str, now: Millis) -> Result<(), Millis> {
        match self.entries.get(key) {
            Some(e) if e.locked_until > now => Err(e.locked_until - now),
            _ => Ok(()),
        }
    }

    /// Records a failure; returns the lock-out now in force, if any.
    pub fn fail(&mut self, key: &str, now: Millis) -> Option<Millis> {
        if self.entries.len() >= self.capacity && !self.entries.contains_key(key) {
            // Forget keys that are not locked; a flood of usernames cannot grow memory.
            self.entries.retain(|_, e| e.locked_until > now);
            if self.entries.len() >= self.capacity {
                return None;
            }
        }
        let e = self.entries.entry(key.to_string()).or_default();
        e.failures += 1;
        if e.failures >= FREE_FAILURES {
            let doublings = (e.failures - FREE_FAILURES).min(10);
            let lock = (BASE_LOCK << doublings).min(MAX_LOCK);
            e.locked_until = now + lock;
            Some(lock)
        } else {
            None
        }
    }

    /// Forgets `key` after a success.
    pub fn succeed(&mut self, key: &str) {
        self.entries.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_free_failures_and_grows() {
        let mut t = Throttle::new(100);
        for _ in 0..FREE_FAILURES - 1 {
            assert_eq!(t.fail("u", 0), None);
        }
        assert!(t.check("u", 0).is_ok());
        assert_eq!(t.fail("u", 0), Some(BASE_LOCK));
        assert_eq!(t.check("u", 1000), Err(BASE_LOCK - 1000));
        assert!(t.check("u", BASE_LOCK).is_ok());
        assert_eq!(t.fail("u", BASE_LOCK), Some(2 * BASE_LOCK));
        t.succeed("u");
        assert!(t.check("u", BASE_LOCK + 1).is_ok());
        for i in 0..40 {
            t.fail("v", i);
        }
        assert!(t.check("v", 40).unwrap_err() <= MAX_LOCK);
    }

    #[test]
    fn bounded_memory() {
        let mut t = Throttle::new(10);
        for i in 0..1000 {
            t.fail(&format!("k{i}"), 0);
        }
        assert!(t.entries.len() <= 10);
    }
}
