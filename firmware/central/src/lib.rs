//! The reference central server, `ruji central`: what an issuer (a district office, a school
//! running its own semester exams) runs so that boards that are online get a session's release
//! code without anyone reading it out over the phone.
//!
//! It holds the issuer's secret key and the packages it handed out (`*.rujipkg`, each verified
//! as signed by that key at start). It speaks protocol v1 of [`ruji_sync`]
//! (docs/central-protocol.md):
//! - `GET /api/v1/` says what it is;
//! - `POST /api/v1/challenge` gives a one-time challenge;
//! - `POST /api/v1/time` gives this server's time for the board's nonce, signed with the
//!   issuer's key (a board without a clock battery sets its clock from it);
//! - `POST /api/v1/release` checks the board's signature over the challenge, that the board is
//!   registered (when a device list is given), that the board holds the packing the server
//!   knows, and that the session's time has come: from `lead_minutes` before its start, read
//!   in the issuer's local time (`utc_offset_minutes`, WIB = +420). A session without a
//!   readable day and start is never given out (only its offline code opens it). Then it answers with the
//!   release code, derived from the key as `ruji release-code` does.
//!
//! Every grant and refusal is logged with the board's id. TLS is rustls with ring
//! ([`tls_config`], [`serve_tls`]); plain HTTP is for a reverse proxy in front. Serving, plain or
//! TLS, is ruji-http's bounded accept loop.
//!
//! Layout: [`Central`] (the rules, clock injectable for tests), [`router`], [`serve_tls`].

#![forbid(unsafe_code)]

pub mod results;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rand::RngCore;
use ruji_package::device::short_id;
use ruji_package::{self as pkgfile, IssuerKey, Manifest};
use ruji_sync::{self as proto, Challenge, Refusal, ReleaseGranted, ReleaseRequest};

/// Most used challenges remembered at once (each for [`proto::CHALLENGE_SECONDS`]): only signed
/// requests of registered boards are remembered, so this is never reached in a normal morning.
pub const MAX_USED_CHALLENGES: usize = 100_000;

/// A registered board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// Its public key, `ruji-pk:...`.
    pub key: String,
    /// Who it is, e.g. "SMPN 1 Contoh, ruang 1".
    pub label: String,
}

/// Reads a device list: one board per line, `ruji-pk:... optional label`; `#` starts a comment.
pub fn parse_devices(text: &str) -> Result<Vec<Device>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let (key, label) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        pkgfile::parse_public(key).map_err(|e| format!("line {}: {e}", n + 1))?;
        out.push(Device {
            key: key.to_string(),
            label: label.trim().to_string(),
        });
    }
    Ok(out)
}

/// Reads a time zone as minutes east of UTC: `WIB`, `WITA`, `WIT`, or `+07:00`, `+0700`, `+7`.
pub fn parse_utc_offset(s: &str) -> Result<i32, String> {
    let t = s.trim();
    match t.to_ascii_uppercase().as_str() {
        "WIB" => return Ok(420),
        "WITA" => return Ok(480),
        "WIT" => return Ok(540),
        "UTC" | "Z" => return Ok(0),
        _ => {}
    }
    let bad = || format!("{s:?} is not a time zone; write WIB, WITA, WIT or +07:00");
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'+') => (1, &t[1..]),
        Some(b'-') => (-1, &t[1..]),
        _ => return Err(bad()),
    };
    if !rest.is_ascii() {
        return Err(bad());
    }
    let (h, m) = match rest.split_once(':') {
        Some((h, m)) => (h, m),
        None if rest.len() == 4 => rest.split_at(2),
        None => (rest, "0"),
    };
    let (h, m): (i32, i32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if !(0..=14).contains(&h) || !(0..60).contains(&m) {
        return Err(bad());
    }
    Ok(sign * (h * 60 + m))
}

/// The server's settings.
pub struct Options {
    /// The issuer's key: it signed the packages and derives their release codes.
    pub key: IssuerKey,
    /// Registered boards; `None` answers any board (each request is still signed and logged).
    pub devices: Option<Vec<Device>>,
    /// The schedule's time zone, minutes east of UTC (WIB 420, WITA 480, WIT 540).
    pub utc_offset_minutes: i32,
    /// How long before a session's start its code is given, in minutes.
    pub lead_minutes: u32,
}

/// Seconds since 1970, from the system clock.
pub fn system_now() -> i64 {
    i64::try_from(ruji_sys::unix_secs()).unwrap_or(i64::MAX)
}

/// The central server's state.
pub struct Central {
    opts: Options,
    packages: HashMap<String, Manifest>,
    /// Challenges are stateless: time and random bytes with an HMAC under this secret, so that
    /// asking for challenges costs the server no memory.
    secret: [u8; 32],
    started: Instant,
    /// Challenges already used by a registered board's signed request, with when they expire
    /// (seconds since `started`): a replay is refused.
    used: Mutex<HashMap<String, u64>>,
    now: Box<dyn Fn() -> i64 + Send + Sync>,
    /// Where result bundles are kept (`None`: this server does not collect results).
    results: Option<results::Results>,
}

type Mac = hmac::Hmac<sha2::Sha256>;
/// Bytes of a challenge: issue time (u64, seconds since the server started), 16 random bytes,
/// 16 bytes of HMAC.
const CHALLENGE_BYTES: usize = 8 + 16 + 16;

impl Central {
    /// A server for `packages` (file name, bytes), each of which must be signed by the key.
    pub fn new(opts: Options, packages: Vec<(String, Vec<u8>)>) -> Result<Central, String> {
        let public = opts.key.public();
        let mut by_id: HashMap<String, Manifest> = HashMap::new();
        for (name, bytes) in packages {
            let sealed = pkgfile::verify(&bytes, std::slice::from_ref(&public))
                .map_err(|e| format!("{name}: {e}"))?;
            let m = sealed.manifest;
            if let Some(other) = by_id.get(&m.id) {
                if other.nonce != m.nonce {
                    return Err(format!(
                        "{name}: a second packing of package {}; keep only the one the schools got",
                        m.id
                    ));
                }
            }
            by_id.insert(m.id.clone(), m);
        }
        if by_id.is_empty() {
            return Err("no package to serve".into());
        }
        Ok(Central {
            opts,
            packages: by_id,
            secret: {
                let mut s = [0u8; 32];
                rand::rng().fill_bytes(&mut s);
                s
            },
            started: Instant::now(),
            used: Mutex::new(HashMap::new()),
            now: Box::new(system_now),
            results: None,
        })
    }

    /// Reads every `*.rujipkg` in `dir`.
    pub fn load_dir(opts: Options, dir: &Path) -> Result<Central, String> {
        let mut files = Vec::new();
        let rd = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for e in rd.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == pkgfile::EXTENSION) {
                let bytes = std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))?;
                files.push((p.display().to_string(), bytes));
            }
        }
        files.sort();
        Central::new(opts, files)
    }

    /// Collects result bundles in `dir` (created when missing).
    pub fn with_results(mut self, dir: &Path) -> Result<Central, String> {
        let r = results::Results::open(dir)?;
        tracing::info!(dir = %dir.display(), bundles = r.count(), "result bundles kept here");
        self.results = Some(r);
        Ok(self)
    }

    /// This server's time for a board's `nonce` (32 hex digits), signed with the issuer's key
    /// over [`proto::time_message`]: a board whose clock is not set takes it from here.
    pub fn signed_time(&self, nonce: &str) -> Result<proto::SignedTime, Refusal> {
        if nonce.len() != 32 || !nonce.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Refusal::new(
                proto::RefusalCode::BadRequest,
                "the nonce is not 32 hex digits",
            ));
        }
        let unix_ms = u64::try_from((self.now)()).unwrap_or(0) * 1000;
        Ok(proto::SignedTime {
            unix_ms,
            issuer: self.opts.key.public(),
            signature: self.opts.key.sign(&proto::time_message(nonce, unix_ms)),
        })
    }

    /// Replaces the clock (seconds since 1970), for tests.
    pub fn with_clock(mut self, now: impl Fn() -> i64 + Send + Sync + 'static) -> Central {
        self.now = Box::new(now);
        self
    }

    /// The packages served: (id, title, session count).
    pub fn packages(&self) -> Vec<(String, String, usize)> {
        let mut v: Vec<_> = self
            .packages
            .values()
            .map(|m| (m.id.clone(), m.title.clone(), m.sessions.len()))
            .collect();
        v.sort();
        v
    }

    fn mac(&self, data: &[u8]) -> Mac {
        use hmac::Mac as _;
        let mut m = Mac::new_from_slice(&self.secret).expect("any key length");
        m.update(data);
        m
    }

    /// A new challenge, good for [`proto::CHALLENGE_SECONDS`]. Nothing is kept.
    pub fn challenge(&self) -> Challenge {
        use hmac::Mac as _;
        let mut b = [0u8; CHALLENGE_BYTES];
        b[..8].copy_from_slice(&self.started.elapsed().as_secs().to_be_bytes());
        rand::rng().fill_bytes(&mut b[8..24]);
        let tag = self.mac(&b[..24]).finalize().into_bytes();
        b[24..].copy_from_slice(&tag[..16]);
        Challenge {
            challenge: data_encoding::BASE64.encode(&b),
            expires_in: proto::CHALLENGE_SECONDS,
        }
    }

    /// When a challenge this server made expires (seconds since it started), if it is still good.
    fn challenge_expiry(&self, c: &str) -> Option<u64> {
        use hmac::Mac as _;
        let b = data_encoding::BASE64.decode(c.as_bytes()).ok()?;
        if b.len() != CHALLENGE_BYTES {
            return None;
        }
        self.mac(&b[..24]).verify_truncated_left(&b[24..]).ok()?;
        let issued = u64::from_be_bytes(b[..8].try_into().ok()?);
        let expires = issued + proto::CHALLENGE_SECONDS;
        (self.started.elapsed().as_secs() < expires).then_some(expires)
    }

    /// `HH:MM` local time and date of `unix`, as `YYYY-MM-DD HH:MM +07:00`.
    fn local(&self, unix: i64) -> String {
        let off = i64::from(self.opts.utc_offset_minutes);
        let t = unix + off * 60;
        let (y, m, d) = ruji_core::package::civil_from_days(t.div_euclid(86_400));
        let s = t.rem_euclid(86_400);
        let sign = if off < 0 { '-' } else { '+' };
        format!(
            "{y:04}-{m:02}-{d:02} {:02}:{:02} {sign}{:02}:{:02}",
            s / 3600,
            s % 3600 / 60,
            off.abs() / 60,
            off.abs() % 60
        )
    }

    /// Decides a release request.
    pub fn release(&self, r: &ReleaseRequest) -> Result<ReleaseGranted, (StatusCode, Refusal)> {
        let refuse = |status: StatusCode, error: proto::RefusalCode, message: String| {
            (
                status,
                Refusal {
                    error,
                    message,
                    not_before: None,
                },
            )
        };
        let Some(expires) = self.challenge_expiry(&r.challenge) else {
            return Err(refuse(
                StatusCode::UNAUTHORIZED,
                proto::RefusalCode::BadChallenge,
                "the challenge is not this server's or has expired; ask for a new one".into(),
            ));
        };
        if let Err(e) =
            pkgfile::verify_signature(&r.device, &proto::release_message(r), &r.signature)
        {
            return Err(refuse(
                StatusCode::UNAUTHORIZED,
                proto::RefusalCode::BadChallenge,
                format!("the request's signature: {e}"),
            ));
        }
        let board = short_id(&r.device);
        if let Some(devices) = &self.opts.devices {
            if !devices.iter().any(|d| d.key == r.device) {
                return Err(refuse(
                    StatusCode::FORBIDDEN,
                    proto::RefusalCode::DeviceUnknown,
                    format!("board {board} is not registered with this server"),
                ));
            }
        }
        // A signed request of a registered board uses its challenge up: a replay is refused.
        // (Only these are remembered, so no one else can fill the memory.)
        {
            let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
            let now = self.started.elapsed().as_secs();
            if used.len() >= MAX_USED_CHALLENGES {
                used.retain(|_, exp| *exp > now);
            }
            if used.len() >= MAX_USED_CHALLENGES {
                return Err(refuse(
                    StatusCode::SERVICE_UNAVAILABLE,
                    proto::RefusalCode::Busy,
                    "too many requests; try again in a minute".into(),
                ));
            }
            if used.insert(r.challenge.clone(), expires).is_some() {
                return Err(refuse(
                    StatusCode::UNAUTHORIZED,
                    proto::RefusalCode::BadChallenge,
                    "the challenge was used already; ask for a new one".into(),
                ));
            }
        }
        let Some(m) = self.packages.get(&r.package) else {
            return Err(refuse(
                StatusCode::NOT_FOUND,
                proto::RefusalCode::UnknownPackage,
                format!("this server does not hand out package {}", r.package),
            ));
        };
        if m.nonce != r.nonce {
            return Err(refuse(
                StatusCode::CONFLICT,
                proto::RefusalCode::PackageChanged,
                format!(
                    "the board holds another packing of {} (packed {}); import the current one",
                    m.id,
                    self.local(m.created as i64)
                ),
            ));
        }
        let Some(session) = m.sessions.iter().find(|s| s.id == r.session) else {
            return Err(refuse(
                StatusCode::NOT_FOUND,
                proto::RefusalCode::UnknownSession,
                format!("package {} has no session {}", m.id, r.session),
            ));
        };
        // A session without a readable schedule is never given out: its time cannot come.
        let Some(start) = session.starts_at(self.opts.utc_offset_minutes) else {
            return Err(refuse(
                StatusCode::FORBIDDEN,
                proto::RefusalCode::Unscheduled,
                format!(
                    "session {} has no readable day and start ({:?} {:?}); only the offline \
                     release code opens it",
                    session.id, session.day, session.start
                ),
            ));
        };
        let from = start - i64::from(self.opts.lead_minutes) * 60;
        if (self.now)() < from {
            let mut r = refuse(
                StatusCode::FORBIDDEN,
                proto::RefusalCode::TooEarly,
                format!(
                    "session {} starts {}; its code is given from {}",
                    session.id,
                    self.local(start),
                    self.local(from)
                ),
            );
            r.1.not_before = Some(self.local(from));
            return Err(r);
        }
        let code = self.opts.key.release_code(m, &session.id).map_err(|e| {
            refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                proto::RefusalCode::Internal,
                e.to_string(),
            )
        })?;
        Ok(ReleaseGranted {
            package: m.id.clone(),
            session: session.id.clone(),
            code,
        })
    }
}

async fn hello(State(c): State<Arc<Central>>) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "service": "ruji-central",
        "protocol": 1,
        "packages": c.packages().len(),
    }))
}

async fn challenge(State(c): State<Arc<Central>>) -> Json<Challenge> {
    Json(c.challenge())
}

async fn time(State(c): State<Arc<Central>>, body: axum::body::Bytes) -> Response {
    let signed = serde_json::from_slice::<proto::TimeRequest>(&body)
        .map_err(|e| Refusal::new(proto::RefusalCode::BadRequest, e.to_string()))
        .and_then(|r| c.signed_time(&r.nonce));
    match signed {
        Ok(t) => Json(t).into_response(),
        Err(r) => (StatusCode::BAD_REQUEST, Json(r)).into_response(),
    }
}

async fn release(State(c): State<Arc<Central>>, body: axum::body::Bytes) -> Response {
    let req: ReleaseRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(Refusal {
                    error: proto::RefusalCode::BadRequest,
                    message: e.to_string(),
                    not_before: None,
                }),
            )
                .into_response()
        }
    };
    let board = short_id(&req.device);
    match c.release(&req) {
        Ok(g) => {
            tracing::info!(%board, package = ?g.package, session = ?g.session, "release code given");
            Json(g).into_response()
        }
        Err((status, r)) => {
            // Debug formatting: what a client sent is quoted and escaped, so it cannot forge
            // lines of this log.
            tracing::warn!(%board, package = ?req.package, session = ?req.session, error = %r.error, message = ?r.message, "release refused");
            (status, Json(r)).into_response()
        }
    }
}

/// The HTTP routes of protocol v1.
pub fn router(c: Arc<Central>) -> Router {
    Router::new()
        .route(&format!("{}/", proto::API), get(hello))
        .route(&format!("{}/challenge", proto::API), post(challenge))
        .route(&format!("{}/time", proto::API), post(time))
        .route(&format!("{}/release", proto::API), post(release))
        .layer(axum::extract::DefaultBodyLimit::max(16 * 1024))
        .merge(results::routes())
        .with_state(c)
}

/// A TLS server configuration from a PEM certificate chain and its private key.
pub fn tls_config(cert_pem: &[u8], key_pem: &[u8]) -> Result<Arc<rustls::ServerConfig>, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("certificate: {e}"))?;
    if certs.is_empty() {
        return Err("certificate: no -----BEGIN CERTIFICATE----- in the file".into());
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| format!("private key: {e}"))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("certificate and key: {e}"))?;
    Ok(Arc::new(cfg))
}

/// Serves `app` over TLS on `listener` until `shutdown` resolves, then lets the requests in
/// flight finish: [`ruji_http::serve`] with its default [`ruji_http::Limits`].
pub async fn serve_tls(
    listener: tokio::net::TcpListener,
    tls: Arc<rustls::ServerConfig>,
    app: Router,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    ruji_http::serve(
        listener,
        app,
        Some(tls),
        ruji_http::Limits::default(),
        shutdown,
    )
    .await
}

/// Serves `central` over TLS (`cert_pem`, `key_pem`) on 127.0.0.1 with a port the system
/// chooses, in the background until the runtime stops; its `https://127.0.0.1:PORT` address.
/// For tests and benchmarks of the board against a real server on the same machine.
pub async fn serve_tls_on_loopback(
    central: Arc<Central>,
    cert_pem: &[u8],
    key_pem: &[u8],
) -> Result<String, String> {
    let tls = tls_config(cert_pem, key_pem)?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let url = format!(
        "https://{}",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    tokio::spawn(serve_tls(
        listener,
        tls,
        router(central),
        std::future::pending(),
    ));
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_zones() {
        assert_eq!(parse_utc_offset("WIB"), Ok(420));
        assert_eq!(parse_utc_offset("wita"), Ok(480));
        assert_eq!(parse_utc_offset("WIT"), Ok(540));
        assert_eq!(parse_utc_offset("+07:00"), Ok(420));
        assert_eq!(parse_utc_offset("+0530"), Ok(330));
        assert_eq!(parse_utc_offset("-3"), Ok(-180));
        assert!(parse_utc_offset("07:00").is_err());
        assert!(parse_utc_offset("+25").is_err());
        assert!(parse_utc_offset("Jakarta").is_err());
        assert!(parse_utc_offset("+1é2").is_err());
    }
}
