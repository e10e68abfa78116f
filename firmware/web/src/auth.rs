//! Who is asking: signed cookies for participants and the proctor, argon2 password hashes,
//! CSRF tokens on proctor forms, login throttling, and participant presence.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
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

fn params() -> Params {
    Params::new(ARGON2_KIB, ARGON2_T, 1, None).expect("valid argon2 params")
}

/// argon2's working memory, reused: a fresh 8 MiB allocation per login would be kept by the C
/// allocator's arenas after use (hundreds of MB after a login wave), so each hashing thread
/// takes a buffer from this pool and gives it back. At most `hash_concurrency` buffers exist.
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

/// Checks a password against a PHC hash (blocking). Only argon2id hashes are accepted.
pub fn verify_password(scratch: &Scratch, hash: &str, password: &str) -> bool {
    let Ok(h) = PasswordHash::new(hash) else {
        return false;
    };
    let (Ok(params), Some(salt), Some(expected)) = (Params::try_from(&h), h.salt, h.hash) else {
        return false;
    };
    if h.algorithm != Algorithm::Argon2id.ident() || params.block_count() > 64 * 1024 {
        return false;
    }
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    let ok = scratch.with(params.block_count(), |mem| {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
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

impl AppState {
    /// Verifies a password on the blocking pool, at most `hash_concurrency` at once.
    /// `hash` `None` (unknown user) verifies against a dummy and fails.
    pub async fn verify(&self, hash: Option<String>, password: String) -> bool {
        let _permit = self
            .hashing
            .acquire()
            .await
            .expect("semaphore never closed");
        let state = self.clone();
        tokio::task::spawn_blocking(move || match hash {
            Some(h) if !h.is_empty() => verify_password(&state.scratch, &h, &password),
            _ => {
                let d = DUMMY.get_or_init(|| hash_password(&state.scratch, "ruji-dummy"));
                let _ = verify_password(&state.scratch, d, &password);
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
        let state = self.clone();
        tokio::task::spawn_blocking(move || hash_password(&state.scratch, &password))
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
    let (u, id) = c.value().rsplit_once(':')?;
    Some((u.to_string(), id.parse().ok()?))
}

/// The cookie value for a participant login.
pub fn participant_value(username: &str, login_id: u64) -> String {
    format!("{username}:{login_id}")
}

/// A proctor's login, per its signed cookie.
#[derive(Debug, Clone)]
pub struct ProctorSession {
    /// The CSRF token every proctor form must carry.
    pub csrf: String,
}

/// The cookie value for a new proctor login of account `generation`.
pub fn proctor_value(generation: u32) -> (String, String) {
    let csrf = format!("{:032x}", rand::random::<u128>());
    let expires = ruji_sys::unix_secs() + PROCTOR_SESSION.as_secs();
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
    if gen != generation
        || (ruji_sys::unix_secs() > expires && ruji_sys::unix_secs() > 1_600_000_000)
    {
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
        let s = Scratch::default();
        let h = hash_password(&s, "mawar01");
        assert!(h.starts_with("$argon2id$v=19$m=8192,t=2,p=1$"), "{h}");
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
    fn csrf_compare() {
        let s = ProctorSession { csrf: "abc".into() };
        assert!(csrf_ok(&s, "abc"));
        assert!(!csrf_ok(&s, "abd"));
        assert!(!csrf_ok(&s, ""));
    }
}
