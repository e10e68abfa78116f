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
    /// The clocks a proctor cookie is made and read at ([`CookieTime`]).
    pub fn cookie_time(&self) -> CookieTime {
        CookieTime {
            exam: self.room.now(),
            wall: self.room.wall_secs_if_set(),
        }
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
    participant_of_value(jar.get(PARTICIPANT_COOKIE)?.value())
}

fn participant_of_value(value: &str) -> Option<(String, u64)> {
    let (u, id) = value.rsplit_once(':')?;
    Some((u.to_string(), id.parse().ok()?))
}

/// The participant a request comes from, per the signed cookie in its headers, with one HMAC:
/// what [`participant`] answers, for every participant request. (Reading a
/// [`SignedCookieJar`] from the headers verifies every cookie and signs it again, and reading
/// the cookie from it verifies it once more: three HMACs with their key set up each time, a
/// sixth of a save's instructions on a board without SHA instructions; issue 19.)
pub fn participant_of(headers: &axum::http::HeaderMap, mac: &CookieMac) -> Option<(String, u64)> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|c| Cookie::parse_encoded(c).ok())
        .filter(|c| c.name() == PARTICIPANT_COOKIE)
        // The last that verifies, as the signed jar keeps it (looked for from the end).
        .filter_map(|c| participant_of_value(mac.verify(c.value())?))
        .next_back()
}

/// HMAC-SHA256 with the cookie key already set up, checking values the way the cookie crate's
/// signed jar signs them (`base64(HMAC(value))` then the value), which [`SignedCookieJar`]
/// still writes.
#[derive(Clone)]
pub struct CookieMac(hmac::Hmac<sha2::Sha256>);

impl CookieMac {
    /// The MAC of `key`'s signing half, as the signed jar uses.
    pub fn new(key: &axum_extra::extract::cookie::Key) -> Self {
        use hmac::Mac;
        CookieMac(hmac::Hmac::new_from_slice(key.signing()).expect("HMAC takes any key length"))
    }

    /// The value a signed cookie value carries, if its signature is right.
    pub fn verify<'v>(&self, signed: &'v str) -> Option<&'v str> {
        use base64::Engine;
        use hmac::Mac;
        const DIGEST_BASE64: usize = 44;
        if !signed.is_char_boundary(DIGEST_BASE64) {
            return None;
        }
        let (digest, value) = signed.split_at(DIGEST_BASE64);
        let digest = base64::engine::general_purpose::STANDARD
            .decode(digest)
            .ok()?;
        let mut mac = self.0.clone();
        mac.update(value.as_bytes());
        mac.verify_slice(&digest).ok()?;
        Some(value)
    }
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
    /// When the cookie ends on the exam clock (ms).
    pub expires: ruji_core::Millis,
    /// When it ends on the wall clock (Unix seconds), if the wall clock was set when it was
    /// made.
    pub wall_expires: Option<u64>,
}

impl ProctorSession {
    /// The same cookie value with the wall clock's end added, for a login made while the
    /// clock was not set, once it is set (`at.wall`): as much real time as it has left on the
    /// exam clock. `None` when it has one already or the clock is still not set.
    pub fn with_wall_end(&self, at: CookieTime) -> Option<String> {
        if self.wall_expires.is_some() {
            return None;
        }
        let wall = at.wall?;
        let left = self.expires.saturating_sub(at.exam) / 1000;
        Some(cookie_value(
            &self.login,
            &self.csrf,
            self.expires,
            Some(wall + left),
        ))
    }
}

/// When a proctor cookie is made or read: the exam clock ([`ruji_room::Room::now`]) and the wall
/// clock in Unix seconds when it is set ([`ruji_room::Room::wall_secs_if_set`]).
#[derive(Debug, Clone, Copy)]
pub struct CookieTime {
    /// The exam clock, ms.
    pub exam: ruji_core::Millis,
    /// The wall clock, when set.
    pub wall: Option<u64>,
}

/// The cookie value for the proctor's (`generation:id:csrf:eEXAM[:wWALL]`) or the invigilator's
/// (`i:` before it) new `login`, made at `at`.
///
/// It expires [`PROCTOR_SESSION`] later on the exam clock, which never jumps and survives a
/// restart: a board without a clock battery starts in 1970, and setting its clock must not end
/// the login of the proctor who just set it. When the wall clock is set at login, it also
/// expires 12 real hours later (checked while the wall clock is set): the exam clock stands
/// still while the board is off, so alone it would keep a forgotten login for days of exams.
pub fn proctor_value(login: &ProctorLogin, at: CookieTime) -> String {
    let csrf = format!("{:032x}", rand::random::<u128>());
    let expires = at.exam + PROCTOR_SESSION.as_millis() as u64;
    let wall = at.wall.map(|w| w + PROCTOR_SESSION.as_secs());
    cookie_value(login, &csrf, expires, wall)
}

/// `[i:]generation:id:csrf:eEXPIRES[:wWALL]`, the one place the value is written.
fn cookie_value(login: &ProctorLogin, csrf: &str, expires: u64, wall: Option<u64>) -> String {
    let role = match login.role {
        Role::Proctor => "",
        Role::Invigilator => "i:",
    };
    let wall = wall.map(|w| format!(":w{w}")).unwrap_or_default();
    format!(
        "{role}{}:{}:{csrf}:e{expires}{wall}",
        login.generation, login.id
    )
}

/// Reads the proctor cookie (signed, not expired at `at`). Whether its login is still valid on
/// the board is the room's to say ([`ruji_room::Room::proctor_login_valid`]).
pub fn proctor(jar: &SignedCookieJar, at: CookieTime) -> Option<ProctorSession> {
    let c = jar.get(PROCTOR_COOKIE)?;
    let (role, value) = match c.value().strip_prefix("i:") {
        Some(rest) => (Role::Invigilator, rest),
        None => (Role::Proctor, c.value()),
    };
    let mut parts = value.split(':');
    let generation: u32 = parts.next()?.parse().ok()?;
    let id = parts.next()?.to_string();
    let csrf = parts.next()?.to_string();
    // `e` + exam-clock ms; a cookie of an older version (wall-clock seconds) is not read.
    let expires: u64 = parts.next()?.strip_prefix('e')?.parse().ok()?;
    if at.exam > expires {
        return None;
    }
    // `w` + wall-clock seconds, when the wall clock was set at login.
    let wall_expires = match parts.next() {
        Some(w) => {
            let w: u64 = w.strip_prefix('w')?.parse().ok()?;
            if at.wall.is_some_and(|now| now > w) {
                return None;
            }
            Some(w)
        }
        None => None,
    };
    Some(ProctorSession {
        csrf,
        login: ProctorLogin {
            role,
            generation,
            id,
        },
        expires,
        wall_expires,
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
            expires: 0,
            wall_expires: None,
        };
        assert!(csrf_ok(&s, "abc"));
        assert!(!csrf_ok(&s, "abd"));
        assert!(!csrf_ok(&s, ""));
    }

    /// The participant cookie, as the signed jar writes it into a response, is read back from
    /// a request's headers with one HMAC; a cookie changed by hand or signed with another key
    /// is not.
    #[test]
    fn the_participant_cookie_is_read_with_one_verification() {
        use axum::http::{header, HeaderMap, HeaderValue};
        use axum::response::IntoResponse;
        let key = axum_extra::extract::cookie::Key::generate();
        let mac = CookieMac::new(&key);
        let set_cookie = |key: &axum_extra::extract::cookie::Key, value: &str| {
            let jar = SignedCookieJar::new(key.clone())
                .add(Cookie::new(PARTICIPANT_COOKIE, value.to_string()));
            let r = jar.into_response();
            let c = r.headers()[header::SET_COOKIE]
                .to_str()
                .unwrap()
                .to_string();
            c.split(';').next().unwrap().to_string()
        };
        let request = |cookies: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::COOKIE, HeaderValue::from_str(cookies).unwrap());
            h
        };
        let good = set_cookie(&key, &participant_value("DEMO001", 7));
        let h = request(&format!("ruji_lang=en; {good}; fs=2"));
        assert_eq!(participant_of(&h, &mac), Some(("DEMO001".into(), 7)));
        // The same answer as the signed jar gives.
        let jar = SignedCookieJar::from_headers(&h, key.clone());
        assert_eq!(participant(&jar), participant_of(&h, &mac));

        // Two valid cookies of that name: the last, as the signed jar has it.
        let later = set_cookie(&key, &participant_value("DEMO001", 8));
        let h = request(&format!("{good}; {later}"));
        let jar = SignedCookieJar::from_headers(&h, key.clone());
        assert_eq!(participant_of(&h, &mac), Some(("DEMO001".into(), 8)));
        assert_eq!(participant(&jar), participant_of(&h, &mac));

        let forged = good.replace("DEMO001", "DEMO002");
        assert_eq!(participant_of(&request(&forged), &mac), None);
        let other = set_cookie(&axum_extra::extract::cookie::Key::generate(), "DEMO001:7");
        assert_eq!(participant_of(&request(&other), &mac), None);
        assert_eq!(participant_of(&request("ruji_p=DEMO001:7"), &mac), None);
        assert_eq!(participant_of(&HeaderMap::new(), &mac), None);
    }

    /// 2026-12-07 00:00 UTC, Unix seconds.
    const DEC7: u64 = 1_796_601_600;

    #[test]
    fn the_proctor_cookie_expires_on_the_exam_clock_and_on_a_set_wall_clock() {
        let key = axum_extra::extract::cookie::Key::generate();
        let login = ProctorLogin {
            role: Role::Invigilator,
            generation: 3,
            id: "abc".into(),
        };
        let jar_with = |value: String| {
            SignedCookieJar::new(key.clone()).add(axum_extra::extract::cookie::Cookie::new(
                PROCTOR_COOKIE,
                value,
            ))
        };
        let at = |exam, wall| CookieTime { exam, wall };
        // Made a minute into the exam clock, the wall clock not set (a board at 1970).
        let jar = jar_with(proctor_value(&login, at(60_000, None)));
        let twelve_hours = PROCTOR_SESSION.as_millis() as u64;
        let s = proctor(&jar, at(60_000 + twelve_hours, Some(DEC7))).expect("valid for 12 hours");
        assert_eq!(
            (s.login.role, s.login.generation, s.login.id.as_str()),
            (Role::Invigilator, 3, "abc")
        );
        assert!(
            proctor(&jar, at(60_001 + twelve_hours, None)).is_none(),
            "expired"
        );
        // Made with the wall clock set: it also ends 12 real hours later, however little the
        // board ran in between (the next exam day), while the wall clock is set.
        let jar = jar_with(proctor_value(&login, at(60_000, Some(DEC7))));
        let next_day = Some(DEC7 + 86_400);
        assert!(proctor(&jar, at(61_000, Some(DEC7 + 3_600))).is_some());
        assert!(proctor(&jar, at(61_000, next_day)).is_none());
        // Made while the clock was not set, then the clock set (from this login): the renewed
        // cookie ends when its exam time would, on the wall clock too.
        let unset = proctor(
            &jar_with(proctor_value(&login, at(60_000, None))),
            at(61_000, None),
        )
        .unwrap();
        let renewed = jar_with(unset.with_wall_end(at(3_661_000, Some(DEC7))).unwrap());
        let s = proctor(&renewed, at(3_661_000, Some(DEC7))).unwrap();
        assert_eq!(s.csrf, unset.csrf, "the same login and form token");
        assert_eq!(
            s.wall_expires,
            Some(DEC7 + 11 * 3600 - 1),
            "made 1 h 1 s before"
        );
        assert!(proctor(&renewed, at(3_662_000, Some(DEC7 + 11 * 3600 + 1))).is_none());
        assert_eq!(s.with_wall_end(at(3_661_000, Some(DEC7))), None, "once");
        assert!(
            proctor(&jar, at(61_000, None)).is_some(),
            "a clock not set says nothing"
        );
        // A cookie of the version before, with wall-clock seconds, is not read.
        let old = jar_with(format!("3:abc:{:032x}:1900000000", 7));
        assert!(proctor(&old, at(60_000, Some(DEC7))).is_none());
    }
}
