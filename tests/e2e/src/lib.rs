//! ruji-e2e: shared pieces of Ruji's end-to-end tools.
//!
//! - `src/bin/loadgen.rs`: the load generator behind `scripts/bench` (many simulated participants
//!   saving answers through the JSON API of `docs/api.md`).
//! - `tests/crash.rs`: the crash test (SIGKILL the release binary while answers are being saved,
//!   restart it on the same data directory, check that no acknowledged answer was lost).
//!
//! This library holds what both use: the demo participants' credentials, a participant client
//! over the JSON API (own cookie jar, loopback only), building a valid response for any item
//! type, picking a free port and waiting for a server to answer.
//!
//! Everything here talks to loopback addresses only: [`check_loopback`] refuses any other URL.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// The demo session and token used by the tools (`ruji serve --open-session H1S1 --token ABCDEF`).
pub const SESSION: &str = "H1S1";
/// The default token.
pub const TOKEN: &str = "ABCDEF";

// Credentials come from ruji-core's demo (`ruji_core::demo::login`), the same function that
// generates the participants of `ruji serve --demo-participants N`, so they cannot drift apart.

/// Username of demo participant `i` (1-based): `DEMO001`.
pub fn username(i: usize) -> String {
    ruji_core::demo::login(i).0
}

/// Password of demo participant `i` (1-based): `mawar01`.
pub fn password(i: usize) -> String {
    ruji_core::demo::login(i).1
}

/// Birth date of demo participant `i` (1-based), as the server generates it.
pub fn birth_date(i: usize) -> String {
    ruji_core::demo::login(i).2
}

/// Refuses any URL whose host is not a loopback address. Returns the URL without a trailing `/`.
pub fn check_loopback(url: &str) -> Result<String, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("{url}: only http:// URLs are supported"))?;
    let hostport = rest.split('/').next().unwrap_or("");
    let host = if let Some(h) = hostport.strip_prefix('[') {
        h.split(']').next().unwrap_or("")
    } else {
        hostport.split(':').next().unwrap_or("")
    };
    let ok = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false);
    if ok {
        Ok(url.trim_end_matches('/').to_string())
    } else {
        Err(format!(
            "{url}: host {host:?} is not a loopback address; these tools only talk to 127.0.0.1"
        ))
    }
}

/// Why the tests that drive the release binary are `#[ignore]`d in a plain `cargo test`:
/// `scripts/test` builds it and runs them with `--ignored` and `RUJI_BIN` set.
pub const NEEDS_RELEASE_BIN: &str = "needs RUJI_BIN, a release build of ruji: scripts/test runs it";

/// The `ruji` binary under test, from `RUJI_BIN`. Panics with what to do when it is not set or
/// not a file: a test that cannot run fails, it never passes by returning early.
pub fn ruji_bin() -> std::path::PathBuf {
    let Some(bin) = std::env::var_os("RUJI_BIN").map(std::path::PathBuf::from) else {
        panic!(
            "RUJI_BIN is not set: build ruji (cargo build --release -p ruji) and set              RUJI_BIN=$PWD/target/release/ruji, or run scripts/test"
        );
    };
    assert!(
        bin.is_file(),
        "RUJI_BIN={} is not a file (cargo build --release -p ruji)",
        bin.display()
    );
    bin
}

/// A free TCP port on 127.0.0.1 (bound, read, released: a small race is possible).
pub fn free_port() -> std::io::Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// A `reqwest` client with its own cookie jar and no proxy (so nothing leaves loopback).
pub fn http_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .no_proxy()
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(5))
        .build()
        .expect("reqwest client")
}

/// Polls `GET {base}/` until the server answers (any HTTP status) or `limit` passes.
pub async fn wait_ready(base: &str, limit: Duration) -> Result<Duration, String> {
    let base = check_loopback(base)?;
    let client = http_client(Duration::from_secs(2));
    let t0 = Instant::now();
    loop {
        match client.get(format!("{base}/")).send().await {
            Ok(_) => return Ok(t0.elapsed()),
            Err(e) => {
                if t0.elapsed() > limit {
                    return Err(format!("{base} did not answer within {limit:?}: {e}"));
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A failed API call.
#[derive(Debug, Clone)]
pub enum ApiError {
    /// No HTTP answer (connection refused/reset, timeout).
    Transport(String),
    /// An HTTP answer with a non-success status; `code` is the `error` field if any.
    Http {
        /// HTTP status.
        status: u16,
        /// The API error code (`"time_up"`, ...) or the body's start.
        code: String,
    },
}

impl ApiError {
    /// A short label for error counts: `transport`, `409 wrong_phase`, ... A body that is not
    /// an API error (a plain-text 503 "busy", say) gives its first line, at most 100 characters.
    pub fn label(&self) -> String {
        match self {
            ApiError::Transport(_) => "transport".into(),
            ApiError::Http { status, code } => {
                let line = code.trim().lines().next().unwrap_or("");
                format!("{status} {}", line.chars().take(100).collect::<String>())
            }
        }
    }
    /// A request that got no answer; a timeout says so (`timed out: ...`).
    fn transport(e: reqwest::Error) -> ApiError {
        if e.is_timeout() {
            ApiError::Transport(format!("timed out: {e}"))
        } else {
            ApiError::Transport(e.to_string())
        }
    }
    /// The API error code, if the server gave one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ApiError::Http { code, .. } => Some(code),
            ApiError::Transport(_) => None,
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::Transport(e) => write!(f, "transport error: {e}"),
            ApiError::Http { status, code } => write!(f, "HTTP {status} {code}"),
        }
    }
}

/// One participant's connection to the JSON API.
pub struct Api {
    base: String,
    client: reqwest::Client,
}

impl Api {
    /// A new client with an empty cookie jar for `base` (`http://127.0.0.1:PORT`, loopback only).
    pub fn new(base: &str, timeout: Duration) -> Result<Api, String> {
        Ok(Api {
            base: check_loopback(base)?,
            client: http_client(timeout),
        })
    }

    /// A new client whose connections come from `from`, a loopback address of its own
    /// (127.x.y.z): the server sees one PC per participant, as in a room.
    pub fn new_from(
        base: &str,
        timeout: Duration,
        from: std::net::Ipv4Addr,
    ) -> Result<Api, String> {
        if !from.is_loopback() {
            return Err(format!("{from} is not a loopback address"));
        }
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .no_proxy()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(5))
            .local_address(std::net::IpAddr::V4(from))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Api {
            base: check_loopback(base)?,
            client,
        })
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Result<Value, ApiError> {
        let resp = req.send().await.map_err(ApiError::transport)?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.map_err(ApiError::transport)?;
        let body: Value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                Value::String(String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into())
            })
        };
        if (200..300).contains(&status) {
            Ok(body)
        } else {
            let code = match &body {
                Value::Object(m) => m
                    .get("error")
                    .and_then(Value::as_str)
                    .unwrap_or("?")
                    .to_string(),
                Value::String(s) => s.clone(),
                _ => "?".into(),
            };
            Err(ApiError::Http { status, code })
        }
    }

    /// `GET /api/v1/{path}`.
    pub async fn get(&self, path: &str) -> Result<Value, ApiError> {
        self.send(self.client.get(format!("{}/api/v1/{path}", self.base)))
            .await
    }

    /// `POST /api/v1/{path}` with a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> Result<Value, ApiError> {
        self.send(
            self.client
                .post(format!("{}/api/v1/{path}", self.base))
                .json(body),
        )
        .await
    }

    /// `PUT /api/v1/{path}` with a JSON body.
    pub async fn put(&self, path: &str, body: &Value) -> Result<Value, ApiError> {
        self.send(
            self.client
                .put(format!("{}/api/v1/{path}", self.base))
                .json(body),
        )
        .await
    }

    /// `POST /api/v1/login`, then `GET /api/v1/login/wait` for as long as the server answers
    /// that the login is still being processed (`202`, `"status": "waiting"`).
    pub async fn login(&self, username: &str, password: &str) -> Result<Value, ApiError> {
        let mut r = self
            .post(
                "login",
                &json!({"username": username, "password": password}),
            )
            .await?;
        while r["status"] == "waiting" {
            r = self.get("login/wait").await?;
        }
        Ok(r)
    }

    /// Logs demo participant `i` in, starts (or resumes) the test and leaves practice if needed.
    /// Returns the attempt after all that (`phase`, `remaining_ms`, ...).
    pub async fn login_and_start(&self, i: usize, token: &str) -> Result<Value, ApiError> {
        let me = self.login(&username(i), &password(i)).await?;
        self.start(i, &me, token).await
    }

    /// `POST /api/v1/start` (with the name from `me`) then `POST /api/v1/practice/end` when the
    /// attempt is in practice. Returns the attempt.
    pub async fn start(&self, i: usize, me: &Value, token: &str) -> Result<Value, ApiError> {
        let name = me["participant"]["name"]
            .as_str()
            .map(String::from)
            .unwrap_or_else(|| format!("Peserta {i}"));
        let started = self
            .post(
                "start",
                &json!({"name": name, "birth_date": birth_date(i), "token": token}),
            )
            .await?;
        let attempt = started.get("attempt").cloned().unwrap_or(started);
        if attempt["phase"] == "practice" {
            let ended = self.post("practice/end", &json!({})).await?;
            Ok(ended.get("attempt").cloned().unwrap_or(ended))
        } else {
            Ok(attempt)
        }
    }
}

/// An item as `GET /api/v1/items/{n}` shows it: what a client needs to answer it.
#[derive(Debug, Clone)]
pub struct ItemInfo {
    /// Position, from 1.
    pub n: usize,
    /// Item id (`D01`).
    pub id: String,
    /// The `item.body` object.
    pub body: Value,
}

impl ItemInfo {
    /// From a `GET /api/v1/items/{n}` reply.
    pub fn from_reply(n: usize, reply: &Value) -> Option<ItemInfo> {
        Some(ItemInfo {
            n,
            id: reply["item"]["id"].as_str()?.to_string(),
            body: reply["item"]["body"].clone(),
        })
    }
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|c| c["id"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// A valid response for the item, different for different `k` (cycling for choice items; text
/// items carry `tag` and `k` so each value is unique). `None` for an unknown body kind.
pub fn make_response(body: &Value, k: u64, tag: &str) -> Option<Value> {
    let kind = body["kind"].as_str()?;
    Some(match kind {
        "multiple_choice" => {
            let opts = ids(&body["options"]);
            if opts.is_empty() {
                return None;
            }
            json!({"choice": opts[k as usize % opts.len()]})
        }
        "multiple_response" => {
            let opts = ids(&body["options"]);
            if opts.is_empty() {
                return None;
            }
            let n = opts.len();
            let pick = body["select"]
                .as_u64()
                .map(|s| (s as usize).clamp(1, n))
                .unwrap_or(1 + k as usize % n);
            let start = k as usize % n;
            let chosen: Vec<&String> = (0..pick).map(|j| &opts[(start + j) % n]).collect();
            json!({ "choices": chosen })
        }
        "true_false" => {
            let n = body["statements"].as_array().map(Vec::len).unwrap_or(0);
            if n == 0 {
                return None;
            }
            // 2^n patterns of true/false; bit j of k decides statement j.
            let v: Vec<bool> = (0..n).map(|j| (k >> (j % 63)) & 1 == 1).collect();
            json!({ "true_false": v })
        }
        "matching" => {
            let premises = ids(&body["premises"]);
            let targets = ids(&body["targets"]);
            if premises.is_empty() || targets.is_empty() {
                return None;
            }
            let t = targets.len();
            let pairs: Vec<(String, String)> = premises
                .iter()
                .enumerate()
                .map(|(j, p)| (p.clone(), targets[(k as usize + j) % t].clone()))
                .collect();
            json!({ "matching": pairs })
        }
        "short_answer" | "essay" => {
            let max = body["max_chars"].as_u64().unwrap_or(200) as usize;
            let mut text = if kind == "essay" {
                format!("{tag}: relief itu penting bagi generasi sekarang, versi {k}")
            } else {
                format!("{tag}-{k}")
            };
            if text.chars().count() > max {
                // Keep the unique counter: it is at the end.
                let skip = text.chars().count() - max;
                text = text.chars().skip(skip).collect();
            }
            json!({ "text": text })
        }
        _ => return None,
    })
}

/// `VmRSS` and `VmHWM` of a process in kB, from `/proc/PID/status`.
pub fn proc_mem_kb(pid: u32) -> Option<(u64, u64)> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        s.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// Percentile (0..=100) of a **sorted** slice; 0 for an empty one.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// A tiny xorshift generator for delays and choices (no dependency, seed printed by callers).
pub struct XorShift(u64);

impl XorShift {
    /// Seeded; a zero seed is replaced.
    pub fn new(seed: u64) -> XorShift {
        XorShift(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }
    /// A seed from the clock.
    pub fn clock_seed() -> u64 {
        (ruji_sys::unix_nanos() as u64).max(1)
    }
    /// Next value.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    /// Uniform-ish in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_match_the_demo() {
        assert_eq!(username(1), "DEMO001");
        assert_eq!(password(1), "mawar01");
        assert_eq!(password(2), "melati02");
        assert_eq!(password(8), "mawar08");
        assert_eq!(birth_date(1), "2011-01-03");
        assert_eq!(birth_date(13), "2011-01-15");
        assert_eq!(username(500), "DEMO500");
        assert_eq!(password(500), "kenanga500");
        assert_eq!(birth_date(500), "2011-08-08");
    }

    #[test]
    fn only_loopback() {
        assert!(check_loopback("http://127.0.0.1:8080/").is_ok());
        assert!(check_loopback("http://localhost:1").is_ok());
        assert!(check_loopback("http://[::1]:80").is_ok());
        assert!(check_loopback("http://10.0.0.1:80").is_err());
        assert!(check_loopback("http://example.com").is_err());
        assert!(check_loopback("https://127.0.0.1").is_err());
    }

    #[test]
    fn responses_fit_each_kind() {
        let opts = json!([{"id": "A"}, {"id": "B"}, {"id": "C"}, {"id": "D"}]);
        let mc = json!({"kind": "multiple_choice", "options": opts});
        assert_eq!(make_response(&mc, 1, "t").unwrap(), json!({"choice": "B"}));
        let mr = json!({"kind": "multiple_response", "options": opts, "select": 2});
        assert_eq!(
            make_response(&mr, 3, "t").unwrap(),
            json!({"choices": ["D", "A"]})
        );
        let tf =
            json!({"kind": "true_false", "statements": [{"id": "1"}, {"id": "2"}, {"id": "3"}]});
        assert_eq!(
            make_response(&tf, 5, "t").unwrap(),
            json!({"true_false": [true, false, true]})
        );
        let m =
            json!({"kind": "matching", "premises": [{"id": "1"}, {"id": "2"}], "targets": opts});
        assert_eq!(
            make_response(&m, 3, "t").unwrap(),
            json!({"matching": [["1", "D"], ["2", "A"]]})
        );
        let sa = json!({"kind": "short_answer", "max_chars": 200});
        assert_eq!(
            make_response(&sa, 7, "c1").unwrap(),
            json!({"text": "c1-7"})
        );
        let es = json!({"kind": "essay", "max_chars": 10});
        let t = make_response(&es, 12345, "c1").unwrap();
        assert_eq!(t, json!({"text": "ersi 12345"}));
        assert!(make_response(&json!({"kind": "hologram"}), 1, "t").is_none());
    }

    #[test]
    fn percentiles() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&v, 50.0), Duration::from_millis(50));
        assert_eq!(percentile(&v, 99.0), Duration::from_millis(99));
        assert_eq!(percentile(&v, 100.0), Duration::from_millis(100));
        assert_eq!(percentile(&[], 50.0), Duration::ZERO);
    }
}
