//! Passwords: argon2id hashes (PHC strings) of participants' and the proctor's passwords,
//! computed off the async workers and within a memory bound: at most `concurrency` hashes run
//! at once, each in a reused 8 MiB buffer, and a hash that started holds its place until it
//! ends, even when the request that asked for it was dropped (so a room that presses LOGIN
//! again and again cannot make more hashes run than the bound allows).

use std::sync::{Arc, Mutex};

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::Semaphore;

/// argon2id memory per hash, KiB. Small enough that two at once fit a 512 MB board with room to
/// spare, large enough to make guessing a login-card password from a stolen data file costly.
pub const ARGON2_KIB: u32 = 8 * 1024;
/// argon2id passes.
pub const ARGON2_T: u32 = 2;

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

/// The hashing pool: a semaphore and the working memory.
pub struct Passwords {
    permits: Arc<Semaphore>,
    scratch: Arc<Scratch>,
}

impl Passwords {
    /// A pool running at most `concurrency` hashes at once (at least one).
    pub fn new(concurrency: usize) -> Passwords {
        Passwords {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            scratch: Arc::new(Scratch::default()),
        }
    }

    /// Runs `f` on the blocking pool once a place is free; the place is held until `f` ends.
    /// `None` when the blocking task failed (it cannot with valid parameters).
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Scratch) -> T + Send + 'static,
    ) -> Option<T> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .expect("semaphore never closed");
        let scratch = self.scratch.clone();
        match tokio::task::spawn_blocking(move || {
            let _held = permit;
            f(&scratch)
        })
        .await
        {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::error!(error = %e, "password hashing failed");
                None
            }
        }
    }

    /// Verifies a password. `hash` `None` (unknown user) verifies against a dummy, so the
    /// answer takes as long, and fails.
    pub async fn verify(&self, hash: Option<String>, password: String) -> bool {
        self.run(move |scratch| match hash {
            Some(h) if !h.is_empty() => verify_password(scratch, &h, &password),
            _ => {
                let d = DUMMY.get_or_init(|| hash_password(scratch, "ruji-dummy"));
                let _ = verify_password(scratch, d, &password);
                false
            }
        })
        .await
        .unwrap_or(false)
    }

    /// Hashes a password.
    pub async fn hash(&self, password: String) -> String {
        self.run(move |scratch| hash_password(scratch, &password))
            .await
            .expect("argon2 with valid parameters does not fail")
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
}
