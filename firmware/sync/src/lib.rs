//! ruji-sync: the central server protocol, version 1 (docs/central-protocol.md): how a board that is
//! online gets a session's release code from the issuer's central server instead of having a
//! proctor type it.
//!
//! JSON over HTTPS, two requests:
//! 1. `POST /api/v1/challenge` → [`Challenge`]: a fresh random value, good for a minute.
//! 2. `POST /api/v1/release` with a [`ReleaseRequest`] signed by the board's device key over
//!    [`release_message`] (so the central knows which board asks, and a captured request cannot
//!    be replayed) → [`ReleaseGranted`] with the session's release code, or a [`Refusal`] whose
//!    `error` is a [`RefusalCode`] (too early, unknown board, another packing...).
//!
//! The board checks the code it gets exactly like a typed one: it must open the session's key
//! box, so a wrong or forged answer changes nothing. This crate holds the wire types (shared by
//! the board and `ruji central`) and, with the `client` feature, the board's HTTPS client
//! (reqwest on rustls with the ring provider and Mozilla's roots, plus an optional school CA).
#![forbid(unsafe_code)]

use serde::{Deserialize, Serialize};

/// Path prefix of protocol version 1.
pub const API: &str = "/api/v1";
/// How long a challenge stays good, in seconds.
pub const CHALLENGE_SECONDS: u64 = 60;
/// The most the board waits for the whole exchange (both requests), in seconds: the proctor's
/// page gets its answer within the web server's 30 s request limit.
pub const CLIENT_TOTAL_SECONDS: u64 = 25;

/// Declares [`RefusalCode`], each code with its one name, and `Other` for codes a newer server
/// may send.
macro_rules! refusal_codes {
    ($($(#[$doc:meta])* $v:ident = $s:literal,)*) => {
        /// Why the central server refused a request: the `error` of a [`Refusal`], serialised as
        /// its name (`too_early`...), the one vocabulary of the board and the server.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum RefusalCode {
            $($(#[$doc])* #[serde(rename = $s)] $v,)*
            /// A code this board does not know (a newer server): the message says what
            /// happened.
            #[serde(rename = "other", other)]
            Other,
        }

        impl RefusalCode {
            /// Every code.
            pub const ALL: &'static [RefusalCode] = &[$(RefusalCode::$v,)* RefusalCode::Other];
            /// The name, as serialised.
            pub const fn as_str(self) -> &'static str {
                match self { $(RefusalCode::$v => $s,)* RefusalCode::Other => "other" }
            }
        }
    };
}

refusal_codes! {
    /// The session is not released yet: `not_before` says when.
    TooEarly = "too_early",
    /// The board's device key is not registered with the central server.
    DeviceUnknown = "device_unknown",
    /// The central server does not hand out this package.
    UnknownPackage = "unknown_package",
    /// The package has no such session.
    UnknownSession = "unknown_session",
    /// The board holds another packing of the package (its nonce differs): import the current
    /// one.
    PackageChanged = "package_changed",
    /// The session has no readable day and start, so the server never gives its code.
    Unscheduled = "unscheduled",
    /// The challenge is unknown, used or expired, or the signature does not match.
    BadChallenge = "bad_challenge",
    /// The request is not understood.
    BadRequest = "bad_request",
    /// Too many challenges outstanding: try again in a minute.
    Busy = "busy",
    /// The server failed on its side (its log says why).
    Internal = "internal",
    /// A result bundle that is damaged, changed after signing, or of a format the server does
    /// not read.
    BadBundle = "bad_bundle",
    /// A piece of an upload that does not continue what the server has: `received` says where
    /// to go on from.
    WrongOffset = "wrong_offset",
}

impl std::fmt::Display for RefusalCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Most bytes of a result bundle sent in one request (an interrupted upload goes on from the
/// last piece the server has).
pub const RESULTS_CHUNK_BYTES: usize = 256 * 1024;

/// Answer to `GET /api/v1/results/{sha256}` and to each `PUT` of a piece: how much of the
/// bundle the server has, and its receipt once it has all of it and stored it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadStatus {
    /// Bytes of the bundle the server holds.
    pub received: u64,
    /// The receipt, once the whole bundle was checked and stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<ruji_package::bundle::Receipt>,
}

/// Answer to `POST /api/v1/challenge`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    /// 32 random bytes, base64.
    pub challenge: String,
    /// Seconds it stays good.
    pub expires_in: u64,
}

/// Body of `POST /api/v1/release`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseRequest {
    /// Package id (manifest `id`).
    pub package: String,
    /// The packing the board holds (manifest `nonce`).
    pub nonce: String,
    /// Session id.
    pub session: String,
    /// The board's device public key, `ruji-pk:...`.
    pub device: String,
    /// The challenge from the first request.
    pub challenge: String,
    /// ed25519 signature by the device key over [`release_message`], base64.
    pub signature: String,
}

/// Answer to a granted release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseGranted {
    /// Package id.
    pub package: String,
    /// Session id.
    pub session: String,
    /// The session's release code, `XXXX-XXXX-XXXX-XXXX-XXXX-XXXX`.
    pub code: String,
}

/// Answer to a refused request (any 4xx/5xx status).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// Why.
    pub error: RefusalCode,
    /// What happened, in English (for the log; the board words it for the proctor).
    pub message: String,
    /// With [`RefusalCode::TooEarly`]: when the session is released, as the central's local time
    /// `YYYY-MM-DD HH:MM +07:00`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<String>,
}

impl Refusal {
    /// A refusal with `error` and `message`.
    pub fn new(error: RefusalCode, message: impl Into<String>) -> Refusal {
        Refusal {
            error,
            message: message.into(),
            not_before: None,
        }
    }
}

/// The bytes a board signs for a release request: each field length-prefixed (u64 big-endian)
/// after a domain label, so no two different requests sign the same bytes.
pub fn release_message(r: &ReleaseRequest) -> Vec<u8> {
    let mut out = Vec::new();
    for part in [
        "ruji central release v1",
        &r.package,
        &r.nonce,
        &r.session,
        &r.device,
        &r.challenge,
    ] {
        out.extend_from_slice(&(part.len() as u64).to_be_bytes());
        out.extend_from_slice(part.as_bytes());
    }
    out
}

/// `POST /api/v1/time`: the board asks for the central server's time with a fresh nonce (32
/// hex digits), so that an answer cannot be replayed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeRequest {
    /// 16 random bytes as hex.
    pub nonce: String,
}

/// The central server's time, signed with the issuer's key over [`time_message`]: the board
/// sets its clock from it only when the key is one it trusts and the nonce is its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedTime {
    /// Milliseconds since 1970 when the server answered.
    pub unix_ms: u64,
    /// The issuer's public key (`ruji-pk:...`).
    pub issuer: String,
    /// The signature (`ruji-sig:...`).
    pub signature: String,
}

/// The bytes the central server signs for its time: a domain label, the board's nonce and the
/// time, each length-prefixed like [`release_message`].
pub fn time_message(nonce: &str, unix_ms: u64) -> Vec<u8> {
    let ms = unix_ms.to_string();
    let mut out = Vec::new();
    for part in ["ruji central time v1", nonce, ms.as_str()] {
        out.extend_from_slice(&(part.len() as u64).to_be_bytes());
        out.extend_from_slice(part.as_bytes());
    }
    out
}

/// Checks a central server address from the settings: `https://host[:port][/prefix]`, or
/// `http://` only to the board itself (127.0.0.1, localhost) for a local test. Returns it
/// without a trailing slash.
pub fn check_url(url: &str) -> Result<String, String> {
    let url = url.trim().trim_end_matches('/');
    let rest = if let Some(r) = url.strip_prefix("https://") {
        r
    } else if let Some(r) = url.strip_prefix("http://") {
        let hostport = r.split('/').next().unwrap_or("");
        let host = match hostport.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or(""),
            None => hostport.split(':').next().unwrap_or(""),
        };
        if !matches!(host, "127.0.0.1" | "localhost" | "::1") {
            return Err(format!(
                "{url:?} is plain http: the release code would cross the internet unprotected; \
                 use https://"
            ));
        }
        r
    } else {
        return Err(format!(
            "{url:?} is not a web address; write it as https://name.of.the.server"
        ));
    };
    let host = rest.split('/').next().unwrap_or("");
    if host.is_empty() || host.contains(['@', ' ', '?', '#']) {
        return Err(format!("{url:?} has no usable server name"));
    }
    Ok(url.to_string())
}

#[cfg(feature = "client")]
pub use client::{CentralError, Client, Now};

#[cfg(feature = "client")]
mod client {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use rustls::pki_types::UnixTime;

    use super::*;
    use ruji_package::device::DeviceKey;

    /// Why the central server gave no code.
    #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
    pub enum CentralError {
        /// No connection: no internet, wrong address, server down, timeout.
        #[error("cannot reach the central server: {0}")]
        Unreachable(String),
        /// The server's certificate was refused (wrong server, or the board's clock is wrong).
        #[error("the central server's certificate was refused: {0}")]
        Certificate(String),
        /// The server answered with a refusal.
        #[error("the central server refused: {} ({})", .0.message, .0.error)]
        Refused(Refusal),
        /// The server answered something that is not this protocol.
        #[error("the central server's answer is not understood: {0}")]
        Protocol(String),
    }

    /// The board's client of one central server.
    pub struct Client {
        http: reqwest::Client,
        /// For the signed time only ([`UpToCertificateStart`]).
        time_http: reqwest::Client,
        base: String,
        device: Arc<DeviceKey>,
        floor: Arc<AtomicU64>,
    }

    /// The largest answer the board reads from the central server (its answers are a few
    /// hundred bytes of JSON).
    const MAX_ANSWER_BYTES: usize = 64 * 1024;

    /// What a client reads as the time now, Unix seconds.
    pub type Now = Arc<dyn Fn() -> u64 + Send + Sync>;

    /// The time certificates are checked at: the clock, but never earlier than the floor (this
    /// build's date, the latest time the board knew; [`Client::set_time_floor`]). A board
    /// without a clock battery starts in 1970, when every certificate is "not valid yet"; it
    /// must still reach its central server, which is where it gets its time.
    struct NotBefore {
        now: Now,
        floor: Arc<AtomicU64>,
    }

    impl std::fmt::Debug for NotBefore {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("NotBefore")
                .field("floor", &self.floor.load(Ordering::Relaxed))
                .finish()
        }
    }

    impl rustls::time_provider::TimeProvider for NotBefore {
        fn current_time(&self) -> Option<UnixTime> {
            let secs = (self.now)().max(self.floor.load(Ordering::Relaxed));
            Some(UnixTime::since_unix_epoch(Duration::from_secs(secs)))
        }
    }

    /// The certificate check of the signed-time request: the usual one (roots, chain, name,
    /// signatures), but when the board's clock reads earlier than the certificate's start, the
    /// check is made again at that start instead of failing "not valid yet".
    ///
    /// A board whose clock is behind (1970 lifted to the floor, or put forward to the last time
    /// it saved before a power cut: behind by as long as it was off) must still get its time
    /// from a server whose certificate was made after that floor. The time itself needs no
    /// trusted clock: the issuer signs it over the board's nonce, and the board checks that
    /// signature. Every other request keeps the usual check.
    #[derive(Debug)]
    struct UpToCertificateStart(Arc<rustls::client::WebPkiServerVerifier>);

    impl rustls::client::danger::ServerCertVerifier for UpToCertificateStart {
        fn verify_server_cert(
            &self,
            end_entity: &rustls::pki_types::CertificateDer<'_>,
            intermediates: &[rustls::pki_types::CertificateDer<'_>],
            server_name: &rustls::pki_types::ServerName<'_>,
            ocsp_response: &[u8],
            now: UnixTime,
        ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
            use rustls::{CertificateError, Error};
            let mut at = now;
            // The end entity's start, then an intermediate's or the root's: at most a few
            // steps, each to a later time, whatever the server sends.
            for _ in 0..=intermediates.len().min(3) {
                match self.0.verify_server_cert(
                    end_entity,
                    intermediates,
                    server_name,
                    ocsp_response,
                    at,
                ) {
                    Err(Error::InvalidCertificate(CertificateError::NotValidYetContext {
                        not_before,
                        ..
                    })) if not_before > at => at = not_before,
                    r => return r,
                }
            }
            self.0
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, at)
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &rustls::pki_types::CertificateDer<'_>,
            dss: &rustls::DigitallySignedStruct,
        ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
            self.0.verify_tls12_signature(message, cert, dss)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &rustls::pki_types::CertificateDer<'_>,
            dss: &rustls::DigitallySignedStruct,
        ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
            self.0.verify_tls13_signature(message, cert, dss)
        }

        fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
            self.0.supported_verify_schemes()
        }
    }

    /// The TLS configurations, both checked at [`NotBefore`] against Mozilla's roots and the
    /// school's CA: for every request, and for the signed time ([`UpToCertificateStart`]).
    fn tls(
        ca_pem: Option<&str>,
        time: NotBefore,
    ) -> Result<(rustls::ClientConfig, rustls::ClientConfig), String> {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        if let Some(pem) = ca_pem.filter(|p| !p.trim().is_empty()) {
            for der in parse_ca(pem)? {
                roots
                    .add(der)
                    .map_err(|e| format!("not a usable CA certificate: {e}"))?;
            }
        }
        let roots = Arc::new(roots);
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let time: Arc<dyn rustls::time_provider::TimeProvider> = Arc::new(time);
        let builder = || {
            rustls::ClientConfig::builder_with_details(provider.clone(), time.clone())
                .with_safe_default_protocol_versions()
                .map_err(|e| e.to_string())
        };
        let mut usual = builder()?
            .with_root_certificates(roots.clone())
            .with_no_client_auth();
        let verifier =
            rustls::client::WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
                .build()
                .map_err(|e| e.to_string())?;
        let mut for_time = builder()?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(UpToCertificateStart(verifier)))
            .with_no_client_auth();
        for config in [&mut usual, &mut for_time] {
            config.alpn_protocols = vec![b"http/1.1".to_vec()];
        }
        Ok((usual, for_time))
    }

    impl std::fmt::Debug for Client {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("Client").field("base", &self.base).finish()
        }
    }

    /// Reads PEM certificates (a school's or a district's own CA).
    pub fn parse_ca(pem: &str) -> Result<Vec<rustls::pki_types::CertificateDer<'static>>, String> {
        use rustls::pki_types::pem::PemObject;
        let certs = rustls::pki_types::CertificateDer::pem_slice_iter(pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("not a PEM certificate: {e}"))?;
        if certs.is_empty() {
            return Err("no certificate (-----BEGIN CERTIFICATE-----) in it".into());
        }
        Ok(certs)
    }

    fn describe(e: &reqwest::Error) -> CentralError {
        let mut chain = e.to_string();
        let mut src = std::error::Error::source(e);
        while let Some(s) = src {
            chain.push_str(": ");
            chain.push_str(&s.to_string());
            src = s.source();
        }
        if chain.contains("certificate") || chain.contains("Certificate") {
            CentralError::Certificate(chain)
        } else if e.is_decode() {
            CentralError::Protocol(chain)
        } else {
            CentralError::Unreachable(chain)
        }
    }

    impl Client {
        /// A client of the server at `url` (checked by [`check_url`]) that trusts Mozilla's
        /// roots and the certificates in `ca_pem`, and signs with `device`.
        pub fn new(
            url: &str,
            ca_pem: Option<&str>,
            device: Arc<DeviceKey>,
        ) -> Result<Client, String> {
            let system: Now = Arc::new(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs())
            });
            Client::with_clock(url, ca_pem, device, system)
        }

        /// As [`Client::new`], checking certificates at the time `now` reads (never earlier
        /// than the floor): a board's wall clock, or a test's.
        pub fn with_clock(
            url: &str,
            ca_pem: Option<&str>,
            device: Arc<DeviceKey>,
            now: Now,
        ) -> Result<Client, String> {
            let base = check_url(url)?;
            let floor = Arc::new(AtomicU64::new(0));
            let time = NotBefore {
                now,
                floor: floor.clone(),
            };
            let http = |tls: rustls::ClientConfig| {
                reqwest::Client::builder()
                    .user_agent(concat!("ruji/", env!("CARGO_PKG_VERSION")))
                    .connect_timeout(Duration::from_secs(10))
                    .timeout(Duration::from_secs(CLIENT_TOTAL_SECONDS))
                    .https_only(!base.starts_with("http://"))
                    .redirect(reqwest::redirect::Policy::none())
                    .use_preconfigured_tls(tls)
                    .build()
                    .map_err(|e| e.to_string())
            };
            let (usual, for_time) = tls(ca_pem, time)?;
            Ok(Client {
                http: http(usual)?,
                time_http: http(for_time)?,
                base,
                device,
                floor,
            })
        }

        /// Certificates are checked at a time never earlier than `unix_secs` (this build's
        /// date, or the latest time the board is known to have seen), whatever the clock reads.
        pub fn set_time_floor(&self, unix_secs: u64) {
            self.floor.fetch_max(unix_secs, Ordering::Relaxed);
        }

        /// The central server's signed time for a fresh `nonce` ([`TimeRequest`]), and how long
        /// the exchange took (the answer is at most that old). Not checked here: the caller
        /// checks the issuer and the signature ([`time_message`]). A certificate that starts
        /// after the board's clock is checked at its start ([`UpToCertificateStart`]).
        pub async fn signed_time(
            &self,
            nonce: &str,
        ) -> Result<(SignedTime, Duration), CentralError> {
            let started = std::time::Instant::now();
            let resp = self
                .time_http
                .post(format!("{}{API}/time", self.base))
                .json(&TimeRequest {
                    nonce: nonce.to_string(),
                })
                .send()
                .await
                .map_err(|e| describe(&e))?;
            let t: SignedTime = Self::answer(resp, "/time").await?;
            Ok((t, started.elapsed()))
        }

        /// The server's address.
        pub fn url(&self) -> &str {
            &self.base
        }

        async fn post<B: Serialize, T: serde::de::DeserializeOwned>(
            &self,
            path: &str,
            body: &B,
        ) -> Result<T, CentralError> {
            let resp = self
                .http
                .post(format!("{}{API}{path}", self.base))
                .json(body)
                .send()
                .await
                .map_err(|e| describe(&e))?;
            Self::answer(resp, path).await
        }

        /// Asks for the release code of `session` in the package `package` packed with `nonce`.
        /// The code is not checked here: the caller opens the session with it like a typed one.
        pub async fn release_code(
            &self,
            package: &str,
            nonce: &str,
            session: &str,
        ) -> Result<String, CentralError> {
            let total = Duration::from_secs(CLIENT_TOTAL_SECONDS);
            tokio::time::timeout(total, self.exchange(package, nonce, session))
                .await
                .unwrap_or_else(|_| {
                    Err(CentralError::Unreachable(format!(
                        "no complete answer within {CLIENT_TOTAL_SECONDS} s"
                    )))
                })
        }

        /// Uploads a result bundle (the whole file) and returns the server's receipt. Goes on
        /// from what the server already has (an interrupted upload is not sent again), and a
        /// bundle the server already stored is not sent at all. The receipt is not checked
        /// here: the caller checks it against the package's issuer.
        pub async fn upload_results(
            &self,
            bundle: &[u8],
        ) -> Result<ruji_package::bundle::Receipt, CentralError> {
            let sha = ruji_package::bundle::sha256_hex(bundle);
            let path = format!("{}{API}/results/{sha}", self.base);
            let mut status = self.status(&path).await?;
            for _ in 0..(bundle.len() / RESULTS_CHUNK_BYTES + 8) {
                if let Some(r) = status.receipt {
                    if r.bundle_sha256 != sha {
                        return Err(CentralError::Protocol(
                            "the receipt names another bundle".into(),
                        ));
                    }
                    return Ok(r);
                }
                let from = usize::try_from(status.received)
                    .ok()
                    .filter(|f| *f <= bundle.len())
                    .ok_or_else(|| {
                        CentralError::Protocol(format!(
                            "the server claims {} bytes of {}",
                            status.received,
                            bundle.len()
                        ))
                    })?;
                let to = (from + RESULTS_CHUNK_BYTES).min(bundle.len());
                let resp = self
                    .http
                    .put(format!("{path}?offset={from}&total={}", bundle.len()))
                    .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                    .body(bundle[from..to].to_vec())
                    .send()
                    .await
                    .map_err(|e| describe(&e))?;
                status = match Self::answer::<UploadStatus>(resp, "/results").await {
                    Err(CentralError::Refused(r)) if r.error == RefusalCode::WrongOffset => {
                        self.status(&path).await?
                    }
                    other => other?,
                };
            }
            Err(CentralError::Protocol(
                "the upload did not finish: the server keeps asking for more".into(),
            ))
        }

        async fn status(&self, url: &str) -> Result<UploadStatus, CentralError> {
            let resp = self.http.get(url).send().await.map_err(|e| describe(&e))?;
            Self::answer(resp, "/results").await
        }

        async fn answer<T: serde::de::DeserializeOwned>(
            mut resp: reqwest::Response,
            path: &str,
        ) -> Result<T, CentralError> {
            let status = resp.status();
            // Every answer of this protocol is a small JSON document: read at most
            // MAX_ANSWER_BYTES of it, whatever the peer sends.
            let mut bytes = Vec::new();
            while let Some(chunk) = resp.chunk().await.map_err(|e| describe(&e))? {
                if bytes.len() + chunk.len() > MAX_ANSWER_BYTES {
                    return Err(CentralError::Protocol(format!(
                        "{path}: the answer is larger than {} KiB",
                        MAX_ANSWER_BYTES / 1024
                    )));
                }
                bytes.extend_from_slice(&chunk);
            }
            if status.is_success() {
                serde_json::from_slice(&bytes)
                    .map_err(|e| CentralError::Protocol(format!("{path}: {e}")))
            } else {
                match serde_json::from_slice::<Refusal>(&bytes) {
                    Ok(r) => Err(CentralError::Refused(r)),
                    // A proxy in front whose server is down or overloaded: try again later.
                    Err(_) if status.is_server_error() => Err(CentralError::Unreachable(format!(
                        "{path}: HTTP {status} from the server or a proxy in front of it"
                    ))),
                    Err(_) => Err(CentralError::Protocol(format!(
                        "{path}: HTTP {status}: {}",
                        String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
                    ))),
                }
            }
        }

        async fn exchange(
            &self,
            package: &str,
            nonce: &str,
            session: &str,
        ) -> Result<String, CentralError> {
            let ch: Challenge = self.post("/challenge", &serde_json::json!({})).await?;
            let mut req = ReleaseRequest {
                package: package.into(),
                nonce: nonce.into(),
                session: session.into(),
                device: self.device.public(),
                challenge: ch.challenge,
                signature: String::new(),
            };
            req.signature = self.device.sign(&release_message(&req));
            let granted: ReleaseGranted = self.post("/release", &req).await?;
            if granted.package != package || granted.session != session {
                return Err(CentralError::Protocol(format!(
                    "asked for {package}/{session}, got {}/{}",
                    granted.package, granted.session
                )));
            }
            Ok(granted.code)
        }
    }
}

#[cfg(feature = "client")]
pub use client::parse_ca;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusal_codes_serialise_as_their_names() {
        for c in RefusalCode::ALL {
            assert_eq!(
                serde_json::to_string(&c).unwrap(),
                format!("\"{}\"", c.as_str())
            );
        }
        let r: Refusal = serde_json::from_str(r#"{"error":"new_in_v2","message":"m"}"#).unwrap();
        assert_eq!(
            r.error,
            RefusalCode::Other,
            "a newer server's code is still read"
        );
    }

    #[test]
    fn urls_must_be_https_except_to_the_board_itself() {
        assert_eq!(
            check_url(" https://pusat.example.id/ ").unwrap(),
            "https://pusat.example.id"
        );
        assert_eq!(
            check_url("https://10.0.2.2:8443/ruji").unwrap(),
            "https://10.0.2.2:8443/ruji"
        );
        assert!(check_url("http://127.0.0.1:9000").is_ok());
        assert!(check_url("http://localhost/").is_ok());
        assert!(check_url("http://[::1]:80").is_ok());
        assert!(check_url("http://127.0.0.1.evil.example").is_err());
        let e = check_url("http://pusat.example.id").unwrap_err();
        assert!(e.contains("use https://"), "{e}");
        assert!(check_url("pusat.example.id")
            .unwrap_err()
            .contains("https://"));
        assert!(check_url("https://").is_err());
        assert!(check_url("https://user@host").is_err());
    }

    #[test]
    fn the_signed_message_separates_fields() {
        let a = ReleaseRequest {
            package: "P".into(),
            nonce: "n".into(),
            session: "S1".into(),
            device: "ruji-pk:x".into(),
            challenge: "c".into(),
            signature: String::new(),
        };
        let mut b = a.clone();
        b.package = "PS".into();
        b.session = "1".into();
        assert_ne!(release_message(&a), release_message(&b));
        let mut c = a.clone();
        c.signature = "anything".into();
        assert_eq!(release_message(&a), release_message(&c));
    }

    /// A peer that answers with an endless body: the board reads at most
    /// `MAX_ANSWER_BYTES` of it and says what is wrong (plain HTTP to 127.0.0.1, which
    /// `check_url` allows for a local test).
    #[cfg(feature = "client")]
    #[tokio::test]
    async fn an_answer_larger_than_the_bound_is_refused_unread() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let sent = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = sent.clone();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut req = [0u8; 4096];
            let _ = s.read(&mut req).await;
            let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                        transfer-encoding: chunked\r\n\r\n";
            s.write_all(head.as_bytes()).await.unwrap();
            let chunk = format!("{:x}\r\n{}\r\n", 8192, " ".repeat(8192));
            // 100 MB, unless the board hangs up first.
            for _ in 0..12_800 {
                if s.write_all(chunk.as_bytes()).await.is_err() {
                    return;
                }
                counter.fetch_add(8192, std::sync::atomic::Ordering::Relaxed);
            }
        });
        let dir = tempfile::tempdir().unwrap();
        let device = std::sync::Arc::new(
            ruji_package::device::DeviceKey::load_or_create(dir.path()).unwrap(),
        );
        let client = Client::new(&url, None, device).unwrap();
        let e = client.signed_time(&"0".repeat(32)).await.unwrap_err();
        assert!(
            matches!(&e, CentralError::Protocol(m) if m.contains("larger than 64 KiB")),
            "{e}"
        );
        assert!(
            sent.load(std::sync::atomic::Ordering::Relaxed) < 10 << 20,
            "the board stopped reading long before the end"
        );
    }
}
