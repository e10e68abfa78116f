//! Who is asking: signed cookies for participants and the proctor, argon2 password hashes,
//! CSRF tokens on proctor forms, login throttling, and participant presence.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use axum_extra::extract::cookie::{Cookie, SameSite, SignedCookieJar};

use crate::AppState;

/// argon2id memory per hash, KiB. Small enough that two at once fit a 512 MB board with room to
/// spare, large enough to make guessing a login-card password from a stolen data file costly.
pub const ARGON2_KIB: u32 = 8 * 1024;
/// argon2id passes.
pub const ARGON2_T: u32 = 2;

/// Participant cookie name.
pub const PARTICIPANT_COOKIE: &str = "ruji_p";
/// Proctor cookie name.
pub const PROCTOR_COOKIE: &str = "ruji_k";
/// A proctor login lasts this long.
pub const PROCTOR_SESSION: Duration = Duration::from_secs(12 * 3600);
/// A participant counts as online this long after their last request.
pub const ONLINE_WINDOW: Duration = Duration::from_secs(45);

fn argon2() -> Argon2<'static> {
    let params = Params::new(ARGON2_KIB, ARGON2_T, 1, None).expect("valid argon2 params");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password (blocking: run it off the async threads).
pub fn hash_password(password: &str) -> String {
    let mut salt = [0u8; 16];
    rand::fill(&mut salt);
    let salt = SaltString::encode_b64(&salt).expect("16 bytes is a valid salt");
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with valid params cannot fail")
        .to_string()
}

/// Checks a password against a PHC hash (blocking).
pub fn verify_password(hash: &str, password: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(h) => argon2().verify_password(password.as_bytes(), &h).is_ok(),
        Err(_) => false,
    }
}

/// A hash of nothing, verified against when the username is unknown so that the answer takes
/// as long as for a known one.
static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();

impl AppState {
    /// Verifies a password on the blocking pool, at most `hash_concurrency` at once.
    /// `hash` `None` (unknown user) verifies against a dummy and fails.
    pub async fn verify(&self, hash: Option<String>, password: String) -> bool {
        let _permit = self
            .hashing
            .acquire()
            .await
            .expect("semaphore never closed");
        tokio::task::spawn_blocking(move || match hash {
            Some(h) if !h.is_empty() => verify_password(&h, &password),
            _ => {
                let d = DUMMY.get_or_init(|| hash_password("ruji-dummy"));
                let _ = verify_password(d, &password);
                false
            }
        })
        .await
        .unwrap_or(false)
    }

    /// Hashes on the blocking pool, at most `hash_concurrency` at once.
    pub async fn hash(&self, password: String) -> String {
        let _permit = self
            .hashing
            .acquire()
            .await
            .expect("semaphore never closed");
        tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .expect("hashing does not panic")
    }

    /// A cookie with the board's attributes: HttpOnly, SameSite, path `/`.
    pub fn cookie(
        &self,
        name: &'static str,
        value: String,
        same_site: SameSite,
    ) -> Cookie<'static> {
        let mut c = Cookie::new(name, value);
        c.set_http_only(true);
        c.set_same_site(same_site);
        c.set_path("/");
        c.set_secure(self.settings.secure_cookies);
        c
    }
}

/// The participant a request comes from, per its signed cookie: (username, login id).
pub fn participant(jar: &SignedCookieJar) -> Option<(String, u64)> {
    let c = jar.get(PARTICIPANT_COOKIE)?;
    let (u, id) = c.value().rsplit_once('\t')?;
    Some((u.to_string(), id.parse().ok()?))
}

/// The cookie value for a participant login.
pub fn participant_value(username: &str, login_id: u64) -> String {
    format!("{username}\t{login_id}")
}

/// A proctor's login, per its signed cookie.
#[derive(Debug, Clone)]
pub struct ProctorSession {
    /// The CSRF token every proctor form must carry.
    pub csrf: String,
}

fn wall_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The cookie value for a new proctor login of account `generation`.
pub fn proctor_value(generation: u32) -> (String, String) {
    let csrf = format!("{:032x}", rand::random::<u128>());
    let expires = wall_secs() + PROCTOR_SESSION.as_secs();
    (format!("{generation}:{csrf}:{expires}"), csrf)
}

/// Reads and checks the proctor cookie against the account's generation.
pub fn proctor(jar: &SignedCookieJar, generation: u32) -> Option<ProctorSession> {
    let c = jar.get(PROCTOR_COOKIE)?;
    let mut parts = c.value().split(':');
    let gen: u32 = parts.next()?.parse().ok()?;
    let csrf = parts.next()?.to_string();
    let expires: u64 = parts.next()?.parse().ok()?;
    // A board without RTC may have a wrong clock; the cookie is signed, so the expiry is only a
    // limit on how long a forgotten browser stays logged in.
    if gen != generation || (wall_secs() > expires && wall_secs() > 1_600_000_000) {
        return None;
    }
    Some(ProctorSession { csrf })
}

/// Constant-time comparison of a submitted CSRF token.
pub fn csrf_ok(session: &ProctorSession, submitted: &str) -> bool {
    let (a, b) = (session.csrf.as_bytes(), submitted.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Last request per participant, for the online column.
#[derive(Default)]
pub struct Presence {
    seen: Mutex<HashMap<String, (Instant, String)>>,
}

impl Presence {
    /// Records a request from `username` at `client`.
    pub fn touch(&self, username: &str, client: &str) {
        let mut m = self.seen.lock().expect("not poisoned");
        match m.get_mut(username) {
            Some(e) => {
                e.0 = Instant::now();
                if e.1 != client {
                    e.1 = client.to_string();
                }
            }
            None => {
                m.insert(username.to_string(), (Instant::now(), client.to_string()));
            }
        }
    }
    /// Seen within [`ONLINE_WINDOW`]; with the address.
    pub fn online(&self, username: &str) -> Option<String> {
        let m = self.seen.lock().expect("not poisoned");
        m.get(username)
            .filter(|(t, _)| t.elapsed() < ONLINE_WINDOW)
            .map(|(_, c)| c.clone())
    }
    /// Forgets a participant (logout, reset).
    pub fn forget(&self, username: &str) {
        self.seen.lock().expect("not poisoned").remove(username);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let h = hash_password("mawar01");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&h, "mawar01"));
        assert!(!verify_password(&h, "mawar02"));
        assert!(!verify_password("garbage", "mawar01"));
    }

    #[test]
    fn csrf_compare() {
        let s = ProctorSession { csrf: "abc".into() };
        assert!(csrf_ok(&s, "abc"));
        assert!(!csrf_ok(&s, "abd"));
        assert!(!csrf_ok(&s, ""));
    }
}
