//! Who is asking: signed cookies for participants and the proctor, and CSRF tokens on proctor
//! forms. (Passwords, throttling and presence are the room's: ruji_room.)

use std::time::Duration;

use axum_extra::extract::cookie::{Cookie, SameSite, SignedCookieJar};
use ruji_room::proctor::{ProctorLogin, Role};

use crate::AppState;

/// Participant cookie name.
pub const PARTICIPANT_COOKIE: &str = "ruji_p";
/// The cookie of a login still being processed: `ticket:username` (signed).
pub const WAIT_COOKIE: &str = "ruji_wait";
/// Proctor cookie name.
pub const PROCTOR_COOKIE: &str = "ruji_k";
/// A proctor login lasts this long.
pub const PROCTOR_SESSION: Duration = Duration::from_secs(12 * 3600);

impl AppState {
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

/// A proctor's or invigilator's login, per its signed cookie.
#[derive(Debug, Clone)]
pub struct ProctorSession {
    /// The CSRF token every proctor form must carry.
    pub csrf: String,
    /// The login on the board the cookie names.
    pub login: ProctorLogin,
}

/// The cookie value for the proctor's (`generation:id:csrf:expires`) or the invigilator's
/// (`i:` before it) new `login`.
pub fn proctor_value(login: &ProctorLogin) -> String {
    let csrf = format!("{:032x}", rand::random::<u128>());
    let expires = ruji_sys::unix_secs() + PROCTOR_SESSION.as_secs();
    let role = match login.role {
        Role::Proctor => "",
        Role::Invigilator => "i:",
    };
    format!("{role}{}:{}:{csrf}:{expires}", login.generation, login.id)
}

/// Reads the proctor cookie (signed, not expired). Whether its login is still valid on the
/// board is the room's to say ([`ruji_room::Room::proctor_login_valid`]).
pub fn proctor(jar: &SignedCookieJar) -> Option<ProctorSession> {
    let c = jar.get(PROCTOR_COOKIE)?;
    let (role, value) = match c.value().strip_prefix("i:") {
        Some(rest) => (Role::Invigilator, rest),
        None => (Role::Proctor, c.value()),
    };
    let mut parts = value.split(':');
    let generation: u32 = parts.next()?.parse().ok()?;
    let id = parts.next()?.to_string();
    let csrf = parts.next()?.to_string();
    let expires: u64 = parts.next()?.parse().ok()?;
    // A board without RTC may have a wrong clock; the cookie is signed, so the expiry is only a
    // limit on how long a forgotten browser stays logged in.
    if ruji_sys::unix_secs() > expires && ruji_sys::unix_secs() > 1_600_000_000 {
        return None;
    }
    Some(ProctorSession {
        csrf,
        login: ProctorLogin {
            role,
            generation,
            id,
        },
    })
}

/// Constant-time comparison of a submitted CSRF token.
pub fn csrf_ok(session: &ProctorSession, submitted: &str) -> bool {
    let (a, b) = (session.csrf.as_bytes(), submitted.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_compare() {
        let s = ProctorSession {
            csrf: "abc".into(),
            login: ProctorLogin {
                role: Role::Proctor,
                generation: 1,
                id: "x".into(),
            },
        };
        assert!(csrf_ok(&s, "abc"));
        assert!(!csrf_ok(&s, "abd"));
        assert!(!csrf_ok(&s, ""));
    }
}
