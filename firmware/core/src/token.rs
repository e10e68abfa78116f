//! Session tokens: the short code the proctor announces and participants type to start.
//!
//! A token is 6 characters from an alphabet without look-alikes (no 0/O, 1/I/L), compared
//! case-insensitively. Tokens rotate on an interval (UNBK: 15 minutes); the previous token stays
//! valid for a grace period so a participant typing it as it changes is not refused.

use heapless::String as HString;
use serde::{Deserialize, Serialize};

use crate::{Millis, MINUTE};

/// Characters a token is made of: capital letters and digits without look-alikes.
pub const ALPHABET: &[u8; 31] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// Length of a token.
pub const LEN: usize = 6;

/// A token: exactly [`LEN`] characters of [`ALPHABET`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token(HString<LEN>);

impl Token {
    /// Makes a token from a source of random numbers supplied by the caller (the core does no
    /// I/O). `u32 % 31` has a bias below one in 10^8, far under what matters here.
    pub fn generate(mut random: impl FnMut() -> u32) -> Token {
        let mut s = HString::new();
        for _ in 0..LEN {
            let c = ALPHABET[(random() % ALPHABET.len() as u32) as usize] as char;
            s.push(c).expect("bounded by LEN");
        }
        Token(s)
    }

    /// Parses what a participant typed: trims, upper-cases, checks length and alphabet.
    pub fn parse(typed: &str) -> Option<Token> {
        let t = typed.trim().to_ascii_uppercase();
        if t.len() != LEN || !t.bytes().all(|b| ALPHABET.contains(&b)) {
            return None;
        }
        let mut s = HString::new();
        s.push_str(&t).ok()?;
        Some(Token(s))
    }

    /// The token text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Token settings of a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenPolicy {
    /// Rotate automatically after this long; `None` keeps a token until the proctor rotates it.
    pub rotate_every: Option<Millis>,
    /// How long the previous token stays valid after a rotation.
    pub grace: Millis,
}

impl Default for TokenPolicy {
    fn default() -> Self {
        TokenPolicy {
            rotate_every: Some(15 * MINUTE),
            grace: 5 * MINUTE,
        }
    }
}

/// The token state of an open session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenState {
    /// The token to announce.
    pub current: Token,
    /// When `current` was released.
    pub released_at: Millis,
    /// The token before, with the time it was replaced.
    pub previous: Option<(Token, Millis)>,
}

impl TokenState {
    /// A first release.
    pub fn release(token: Token, now: Millis) -> TokenState {
        TokenState {
            current: token,
            released_at: now,
            previous: None,
        }
    }

    /// Replaces the token; the old one enters its grace period.
    pub fn rotate(&mut self, token: Token, now: Millis) {
        let old = std::mem::replace(&mut self.current, token);
        self.previous = Some((old, now));
        self.released_at = now;
    }

    /// Is it time for an automatic rotation.
    pub fn due(&self, policy: &TokenPolicy, now: Millis) -> bool {
        policy
            .rotate_every
            .is_some_and(|every| now.saturating_sub(self.released_at) >= every)
    }

    /// Does `typed` open the test at `now`.
    pub fn accepts(&self, typed: &str, policy: &TokenPolicy, now: Millis) -> bool {
        let Some(t) = Token::parse(typed) else {
            return false;
        };
        if t == self.current {
            return true;
        }
        matches!(&self.previous, Some((p, at)) if *p == t && now.saturating_sub(*at) <= policy.grace)
    }

    /// Milliseconds until the next automatic rotation.
    pub fn next_rotation_in(&self, policy: &TokenPolicy, now: Millis) -> Option<Millis> {
        policy
            .rotate_every
            .map(|every| (self.released_at + every).saturating_sub(now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parse_forgives_case_and_spaces_but_not_lookalikes() {
        assert_eq!(Token::parse(" abcdef ").unwrap().as_str(), "ABCDEF");
        assert!(Token::parse("ABCDE0").is_none());
        assert!(Token::parse("ABCDEI").is_none());
        assert!(Token::parse("ABCDE").is_none());
        assert!(Token::parse("ABCDEFG").is_none());
    }

    #[test]
    fn rotation_and_grace() {
        let p = TokenPolicy::default();
        let t1 = Token::parse("AAAAAA").unwrap();
        let t2 = Token::parse("BBBBBB").unwrap();
        let mut s = TokenState::release(t1, 0);
        assert!(!s.due(&p, 14 * MINUTE));
        assert!(s.due(&p, 15 * MINUTE));
        s.rotate(t2, 15 * MINUTE);
        assert!(s.accepts("bbbbbb", &p, 16 * MINUTE));
        assert!(s.accepts("aaaaaa", &p, 20 * MINUTE));
        assert!(!s.accepts("aaaaaa", &p, 20 * MINUTE + 1));
        assert!(!s.accepts("CCCCCC", &p, 16 * MINUTE));
        assert_eq!(s.next_rotation_in(&p, 16 * MINUTE), Some(14 * MINUTE));
    }

    proptest! {
        #[test]
        fn random_tokens_are_valid(r: [u32; 6]) {
            let mut it = r.into_iter();
            let t = Token::generate(|| it.next().unwrap());
            prop_assert_eq!(Token::parse(t.as_str()), Some(t.clone()));
        }
    }
}
