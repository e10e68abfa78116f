//! When each attempt next runs out by itself ([`Attempt::next_deadline`]), kept as a queue so
//! that the room's one-second sweep costs the attempts that are due, not a read of every
//! attempt (issue 19: a room of 1,000 decoded 1,000 attempts a second).
//!
//! The queue follows the committed data: it is filled from the attempts table when the store
//! opens, and every write of an attempt records that attempt's new deadline in its batch, which
//! the writer applies only once the batch is committed (a failed batch changes nothing, here
//! as on disk).

use std::collections::{BTreeSet, HashMap};

use ruji_core::attempt::Attempt;
use ruji_core::Millis;

/// The attempts that run out by themselves, by when (exam clock).
#[derive(Debug, Default)]
pub(crate) struct Deadlines {
    by_time: BTreeSet<(Millis, String)>,
    by_key: HashMap<String, Millis>,
}

impl Deadlines {
    /// The queue of the attempts `(key, attempt)`.
    pub(crate) fn of(attempts: impl IntoIterator<Item = (String, Attempt)>) -> Self {
        let mut d = Deadlines::default();
        for (key, a) in attempts {
            d.set(key, a.next_deadline());
        }
        d
    }

    /// The attempt `key` next runs out at `at` (`None`: it does not).
    pub(crate) fn set(&mut self, key: String, at: Option<Millis>) {
        if let Some(old) = self.by_key.remove(&key) {
            self.by_time.remove(&(old, key.clone()));
        }
        if let Some(at) = at {
            self.by_time.insert((at, key.clone()));
            self.by_key.insert(key, at);
        }
    }

    /// The attempts whose deadline is at or before `now`, earliest first. They stay queued
    /// until a commit writes them moved on.
    pub(crate) fn due(&self, now: Millis) -> Vec<String> {
        self.by_time
            .iter()
            .take_while(|(at, _)| *at <= now)
            .map(|(_, k)| k.clone())
            .collect()
    }

    /// How many attempts are queued.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        debug_assert_eq!(self.by_time.len(), self.by_key.len());
        self.by_key.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_deadline_replaces_the_old_and_none_removes_it() {
        let mut d = Deadlines::default();
        d.set("a".into(), Some(30));
        d.set("b".into(), Some(10));
        d.set("c".into(), None);
        assert_eq!(d.due(9), Vec::<String>::new());
        assert_eq!(d.due(30), ["b", "a"]);
        d.set("b".into(), Some(50));
        assert_eq!(d.due(30), ["a"]);
        d.set("a".into(), None);
        assert_eq!(d.due(100), ["b"]);
        assert_eq!(d.len(), 1);
    }
}
