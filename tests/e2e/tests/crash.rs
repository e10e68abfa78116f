//! Crash test: acknowledged answers survive SIGKILL, and the exam clock does not jump.
//!
//! Needs `RUJI_BIN`, a release build of `ruji`: ignored in a plain `cargo test`, run by
//! scripts/test with `--ignored` (without `RUJI_BIN` it fails saying so). Loopback only.
//!
//! For `RUJI_CRASH_ROUNDS` rounds (default 20) on **one** data directory:
//! 1. start `ruji serve --listen 127.0.0.1:PORT --data DIR --open-session H1S1 --token ABCDEF`
//!    (with `--reset-logins` on restarts: after a crash every participant still holds a login);
//! 2. on a restart, log every client in again, start (which resumes the attempt) and check:
//!    - every item's stored answer is the last acknowledged one or a later one that was sent
//!      (an un-acknowledged save may have landed before the kill; an acknowledged one must never
//!      be lost or replaced by an older one). Each save carries a unique, increasing `rev` and a
//!      value derived from it, so the stored `(rev, response)` pair identifies the save exactly;
//!    - the attempt's `remaining_ms` did not go up and did not drop by more than the time the
//!      server was actually running since that client's last acknowledged save (time while the
//!      server is down must not be counted; the test keeps it down `RUJI_CRASH_DOWN_MS`, default
//!      1500 ms, so counting it would be caught);
//! 3. `RUJI_CRASH_CLIENTS` clients (default 8) save answers continuously (`PUT
//!    /api/v1/answers/{id}`), each recording what it sent and which saves were acknowledged (200);
//! 4. after a random 100-1500 ms the server is killed with SIGKILL (`Child::kill`).
//!
//! A final restart checks the last round. `RUJI_CRASH_SEED` fixes the random delays;
//! `RUJI_CRASH_SERVER_ARGS` adds arguments to `ruji serve` (e.g. `--count-downtime`, which the
//! timer check must then catch: a way to see the test fail). Server logs
//! and the data directory are kept under the printed work directory when the test fails.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ruji_e2e::{make_response, username, Api, ApiError, ItemInfo, XorShift, SESSION, TOKEN};
use serde_json::{json, Value};

/// Slack for timer comparisons (measurement skew between the server's clock and ours).
const TIMER_SLACK_MS: u64 = 500;
/// The clock must never give time back; allow this much for rounding.
const TIMER_UP_SLACK_MS: u64 = 250;

fn env_num(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a number")),
        Err(_) => default,
    }
}

/// The server process; killed (SIGKILL) when dropped.
struct Server {
    child: Child,
    spawned: Instant,
    log: PathBuf,
}

impl Server {
    fn start(bin: &Path, data: &Path, port: u16, reset_logins: bool, log: PathBuf) -> Server {
        let out = std::fs::File::create(&log).expect("server log file");
        let err = out.try_clone().expect("server log file");
        let mut cmd = Command::new(bin);
        cmd.arg("serve")
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--data")
            .arg(data)
            .arg("--open-session")
            .arg(SESSION)
            .arg("--token")
            .arg(TOKEN);
        if reset_logins {
            cmd.arg("--reset-logins");
        }
        if let Ok(extra) = std::env::var("RUJI_CRASH_SERVER_ARGS") {
            cmd.args(extra.split_whitespace());
        }
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        Server {
            child,
            spawned: Instant::now(),
            log,
        }
    }

    /// SIGKILL and reap; returns the instant just before the signal was sent.
    fn kill(&mut self) -> Instant {
        let t = Instant::now();
        let _ = self.child.kill();
        let _ = self.child.wait();
        t
    }

    fn log_tail(&self) -> String {
        let s = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = s.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What one simulated participant sent and had acknowledged.
struct Part {
    index: usize,
    items: Vec<ItemInfo>,
    /// Next revision to send (one counter for all items, so also increasing per item).
    next_rev: u64,
    /// item id -> rev -> response sent with it.
    sent: HashMap<String, BTreeMap<u64, Value>>,
    /// item id -> highest acknowledged (or since seen stored) rev.
    acked: HashMap<String, u64>,
    /// `remaining_ms` of the last acknowledged save (or of the last start), and when it came.
    last_remaining: Option<(u64, Instant)>,
    acks: u64,
    stale: u64,
    /// HTTP (not transport) errors while saving: these are bugs, the server was up.
    http_errors: Vec<String>,
    /// When the client first saw a transport error this round.
    transport_error_at: Option<Instant>,
}

impl Part {
    fn new(index: usize) -> Part {
        Part {
            index,
            items: Vec::new(),
            next_rev: 1,
            sent: HashMap::new(),
            acked: HashMap::new(),
            last_remaining: None,
            acks: 0,
            stale: 0,
            http_errors: Vec::new(),
            transport_error_at: None,
        }
    }
}

/// Saves answers until `stop` or the server goes away.
async fn save_loop(mut p: Part, api: Api, stop: Arc<AtomicBool>, round: u64) -> Part {
    let tag = format!("{}-r{round}", username(p.index));
    let mut k = p.index;
    p.transport_error_at = None;
    while !stop.load(Ordering::Relaxed) {
        let item = p.items[k % p.items.len()].clone();
        k += 1;
        let rev = p.next_rev;
        p.next_rev += 1;
        let response = make_response(&item.body, rev, &tag)
            .unwrap_or_else(|| panic!("cannot answer item {} body {}", item.id, item.body));
        p.sent
            .entry(item.id.clone())
            .or_default()
            .insert(rev, response.clone());
        let body = json!({"response": response, "doubtful": false, "rev": rev});
        match api.put(&format!("answers/{}", item.id), &body).await {
            Ok(r) => {
                if r["stale"] == true {
                    p.stale += 1;
                } else if r["saved"] == false {
                    p.http_errors.push(format!(
                        "round {round}: {} rev {rev}: 200 with saved=false: {r}",
                        item.id
                    ));
                } else {
                    let a = p.acked.entry(item.id.clone()).or_insert(0);
                    *a = (*a).max(rev);
                    p.acks += 1;
                    if let Some(ms) = r["remaining_ms"].as_u64() {
                        p.last_remaining = Some((ms, Instant::now()));
                    }
                }
            }
            Err(ApiError::Transport(_)) => {
                p.transport_error_at = Some(Instant::now());
                break;
            }
            Err(e) => {
                p.http_errors
                    .push(format!("round {round}: PUT {} rev {rev}: {e}", item.id));
                if p.http_errors.len() > 20 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    p
}

/// Logs in, starts (resuming after a crash), returns the attempt JSON.
async fn login_start(api: &Api, p: &Part, round: u64) -> Result<Value, String> {
    let i = p.index;
    let me = api
        .login(&username(i), &ruji_e2e::password(i))
        .await
        .map_err(|e| format!("round {round}: login {}: {e}", username(i)))?;
    let started = api
        .post(
            "start",
            &json!({
                "name": me["participant"]["name"].as_str().unwrap_or_default(),
                "birth_date": ruji_e2e::birth_date(i),
                "token": TOKEN,
            }),
        )
        .await
        .map_err(|e| format!("round {round}: start {}: {e}", username(i)))?;
    Ok(started.get("attempt").cloned().unwrap_or(started))
}

/// Counts of what the checks after a restart saw.
#[derive(Default)]
struct Checked {
    /// Stored answers checked.
    answers: u64,
    /// Stored answers newer than the last acknowledged one (sent, reply lost in the kill).
    unacked_landed: u64,
    /// Largest drop of `remaining_ms` across the crash, and the bound it was checked against.
    max_drop_ms: u64,
    max_allowed_ms: u64,
}

/// Checks the stored answers against what was sent and acknowledged; returns failures.
async fn verify_answers(api: &Api, p: &mut Part, round: u64, stats: &mut Checked) -> Vec<String> {
    let mut fails = Vec::new();
    let who = username(p.index);
    let total = p.items.len();
    let mut seen = 0;
    for n in 1..=total {
        let reply = match api.get(&format!("items/{n}")).await {
            Ok(r) => r,
            Err(e) => {
                fails.push(format!("round {round}: {who} GET items/{n}: {e}"));
                continue;
            }
        };
        let Some(id) = reply["item"]["id"].as_str().map(String::from) else {
            fails.push(format!(
                "round {round}: {who} items/{n}: no item id: {reply}"
            ));
            continue;
        };
        seen += 1;
        let acked = p.acked.get(&id).copied();
        let sent = p.sent.get(&id);
        let answer = &reply["answer"];
        if answer.is_null() {
            if let Some(a) = acked {
                fails.push(format!(
                    "round {round}: {who} {id}: LOST: no stored answer, but rev {a} was acknowledged"
                ));
            }
            continue;
        }
        let response = &answer["response"];
        let stored_rev = match answer["rev"].as_u64() {
            Some(r) => r,
            None => {
                // No rev in the reply: find the sent save with this response.
                match sent.and_then(|s| s.iter().rev().find(|(_, v)| *v == response)) {
                    Some((r, _)) => *r,
                    None => {
                        fails.push(format!(
                            "round {round}: {who} {id}: stored {response} (no rev) was never sent"
                        ));
                        continue;
                    }
                }
            }
        };
        match sent.and_then(|s| s.get(&stored_rev)) {
            None => fails.push(format!(
                "round {round}: {who} {id}: stored rev {stored_rev} ({response}) was never sent"
            )),
            Some(v) if v != response => fails.push(format!(
                "round {round}: {who} {id}: stored rev {stored_rev} has {response}, but that rev sent {v}"
            )),
            Some(_) => {}
        }
        if let Some(a) = acked {
            if stored_rev < a {
                fails.push(format!(
                    "round {round}: {who} {id}: OLDER ANSWER: stored rev {stored_rev} ({response}) \
                     but rev {a} ({}) was acknowledged",
                    sent.and_then(|s| s.get(&a)).cloned().unwrap_or(Value::Null)
                ));
            }
        }
        stats.answers += 1;
        if acked.is_none_or(|a| stored_rev > a) {
            stats.unacked_landed += 1;
        }
        // What is stored now is durable: later checks hold the server to it.
        let a = p.acked.entry(id).or_insert(0);
        *a = (*a).max(stored_rev);
    }
    if seen != total {
        fails.push(format!(
            "round {round}: {who}: read {seen} of {total} items"
        ));
    }
    fails
}

/// After the last round: the proctor force-finishes everyone and closes the session, and the
/// session's result bundle must hold, for every item, the last acknowledged answer or a later
/// one that was sent: what the store holds, signed.
async fn check_bundle(base: &str, log: &Path, parts: &[Part]) -> Vec<String> {
    let mut failures = vec![];
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let Some(code) = text
        .lines()
        .rev()
        .find_map(|l| l.split("setup code: ").nth(1))
        .map(|c| c.trim().to_string())
    else {
        return vec!["bundle check: no proctor setup code in the server log".into()];
    };
    let c = ruji_e2e::http_client(Duration::from_secs(30));
    let pw = "rahasia-proktor";
    let dash = c
        .post(format!("{base}/proctor/setup"))
        .form(&[("code", code.as_str()), ("password", pw), ("password2", pw)])
        .send()
        .await
        .and_then(|r| r.error_for_status());
    let html = match dash {
        Ok(r) => r.text().await.unwrap_or_default(),
        Err(e) => return vec![format!("bundle check: proctor setup: {e}")],
    };
    let Some(csrf) = html
        .split("data-csrf=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .map(str::to_string)
    else {
        return vec!["bundle check: no dashboard after the setup".into()];
    };
    for p in parts {
        let _ = c
            .post(format!(
                "{base}/proctor/participants/{}/finish",
                username(p.index)
            ))
            .form(&[("csrf", csrf.as_str()), ("reason", "uji ketahanan")])
            .send()
            .await;
    }
    let closed = c
        .post(format!("{base}/proctor/sessions/{SESSION}/close"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        // The client follows the redirect: where it landed says how it went.
        .map(|r| r.url().query().map(str::to_string));
    if !matches!(&closed, Ok(Some(q)) if q == "ok=1") {
        return vec![format!(
            "bundle check: the session did not close: {closed:?}"
        )];
    }
    let file = match c
        .get(format!("{base}/proctor/bundles/{SESSION}/file"))
        .send()
        .await
        .and_then(|r| r.error_for_status())
    {
        Ok(r) => r.bytes().await.unwrap_or_default(),
        Err(e) => return vec![format!("bundle check: no bundle: {e}")],
    };
    let v = match ruji_package::bundle::verify(&file, None) {
        Ok(v) => v,
        Err(e) => return vec![format!("bundle check: the bundle does not verify: {e}")],
    };
    let mut checked = 0;
    for p in parts {
        let who = username(p.index);
        let Some(in_bundle) = v.bundle.participants.iter().find(|x| x.username == who) else {
            failures.push(format!("bundle check: {who} is not in the bundle"));
            continue;
        };
        for (item, acked) in &p.acked {
            let a = in_bundle
                .attempts
                .iter()
                .flat_map(|t| &t.answers)
                .find(|a| &a.item == item);
            let sent = p.sent.get(item);
            let ok = a.is_some_and(|a| {
                a.rev >= *acked
                    && sent
                        .and_then(|s| s.get(&a.rev))
                        .is_some_and(|r| serde_json::to_value(&a.response).ok().as_ref() == Some(r))
            });
            if !ok {
                failures.push(format!(
                    "bundle check: {who} {item}: the bundle holds {:?}, acknowledged rev {acked}",
                    a.map(|a| (a.rev, &a.response))
                ));
            }
            checked += 1;
        }
    }
    eprintln!("bundle check: {checked} acknowledged answers found in the signed bundle with their latest value");
    failures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs RUJI_BIN, a release build of ruji: scripts/test runs it"]
async fn acknowledged_answers_survive_sigkill() {
    let bin = ruji_e2e::ruji_bin();
    let rounds = env_num("RUJI_CRASH_ROUNDS", 20);
    let nclients = env_num("RUJI_CRASH_CLIENTS", 8).clamp(1, 18) as usize;
    let down_ms = env_num("RUJI_CRASH_DOWN_MS", 1500);
    let seed = env_num("RUJI_CRASH_SEED", XorShift::clock_seed());
    let mut rng = XorShift::new(seed);
    let work = std::env::temp_dir().join(format!("ruji-crash-{}-{seed}", std::process::id()));
    let data = work.join("data");
    std::fs::create_dir_all(&data).expect("work dir");
    eprintln!(
        "crash test: {} rounds, {nclients} clients, seed {seed}, work dir {}",
        rounds,
        work.display()
    );

    let timeout = Duration::from_secs(10);
    let mut parts: Vec<Part> = (1..=nclients).map(Part::new).collect();
    let mut failures: Vec<String> = Vec::new();
    let mut total_acks = 0u64;
    let mut last_kill: Option<Instant> = None;
    let mut unacked_landed = 0u64;

    for round in 0..=rounds {
        let port = ruji_e2e::free_port().expect("free port");
        let base = format!("http://127.0.0.1:{port}");
        let mut server = Server::start(
            &bin,
            &data,
            port,
            round > 0,
            work.join(format!("server-{round}.log")),
        );
        if let Err(e) = ruji_e2e::wait_ready(&base, Duration::from_secs(30)).await {
            panic!(
                "round {round}: server did not come up: {e}\n--- server log ---\n{}",
                server.log_tail()
            );
        }

        // Log in, start/resume, check timer and answers.
        let mut apis = Vec::new();
        let mut checked = Checked::default();
        for p in parts.iter_mut() {
            let api = Api::new(&base, timeout).expect("api");
            let attempt = match login_start(&api, p, round).await {
                Ok(a) => a,
                Err(e) => {
                    failures.push(e);
                    break;
                }
            };
            let t_now = Instant::now();
            let phase = attempt["phase"].as_str().unwrap_or("?").to_string();
            let remaining = attempt["remaining_ms"].as_u64();
            if round == 0 {
                if phase == "practice" {
                    if let Err(e) = api.post("practice/end", &json!({})).await {
                        failures.push(format!("round 0: practice/end {}: {e}", username(p.index)));
                        break;
                    }
                }
                let list = match api.get("attempt").await {
                    Ok(a) => a,
                    Err(e) => {
                        failures.push(format!("round 0: GET attempt: {e}"));
                        break;
                    }
                };
                let total = list["items"].as_array().map(Vec::len).unwrap_or(0);
                for n in 1..=total {
                    match api.get(&format!("items/{n}")).await {
                        Ok(r) => match ItemInfo::from_reply(n, &r) {
                            Some(it) => p.items.push(it),
                            None => failures.push(format!("round 0: items/{n}: {r}")),
                        },
                        Err(e) => failures.push(format!("round 0: GET items/{n}: {e}")),
                    }
                }
                if p.items.is_empty() {
                    failures.push(format!("round 0: {}: no items: {list}", username(p.index)));
                    break;
                }
            } else {
                if phase != "in_progress" {
                    failures.push(format!(
                        "round {round}: {}: phase after restart is {phase:?}, expected \"in_progress\" ({attempt})",
                        username(p.index)
                    ));
                }
                match (remaining, p.last_remaining, last_kill) {
                    (Some(after), Some((before, t_before)), Some(t_kill)) => {
                        let running = t_kill.saturating_duration_since(t_before)
                            + t_now.saturating_duration_since(server.spawned);
                        let max_drop = running.as_millis() as u64 + TIMER_SLACK_MS;
                        checked.max_drop_ms = checked.max_drop_ms.max(before.saturating_sub(after));
                        checked.max_allowed_ms = checked.max_allowed_ms.max(max_drop);
                        if after > before + TIMER_UP_SLACK_MS {
                            failures.push(format!(
                                "round {round}: {}: TIMER WENT UP: remaining {before} ms before the \
                                 kill, {after} ms after the restart",
                                username(p.index)
                            ));
                        } else if before.saturating_sub(after) > max_drop {
                            failures.push(format!(
                                "round {round}: {}: TIMER JUMPED: remaining {before} ms before the \
                                 kill, {after} ms after the restart: dropped {} ms, but the server \
                                 ran only {} ms in between (it was down {} ms)",
                                username(p.index),
                                before - after,
                                running.as_millis(),
                                server.spawned.saturating_duration_since(t_kill).as_millis()
                            ));
                        }
                    }
                    (None, _, _) => failures.push(format!(
                        "round {round}: {}: start reply has no remaining_ms: {attempt}",
                        username(p.index)
                    )),
                    _ => {}
                }
                failures.extend(verify_answers(&api, p, round, &mut checked).await);
            }
            if let Some(ms) = remaining {
                p.last_remaining = Some((ms, Instant::now()));
            }
            apis.push(api);
        }
        if round > 0 {
            unacked_landed += checked.unacked_landed;
            eprintln!(
                "round {round}: restarted; {} stored answers checked ({} newer than the last \
                 acknowledged save); timer dropped at most {} ms across the crash (bound {} ms)",
                checked.answers,
                checked.unacked_landed,
                checked.max_drop_ms,
                checked.max_allowed_ms
            );
        }
        if failures.is_empty() && round == rounds {
            failures.extend(check_bundle(&base, &server.log, &parts).await);
        }
        if !failures.is_empty() || round == rounds {
            let tail = server.log_tail();
            server.kill();
            if !failures.is_empty() {
                panic!(
                    "crash test failed (seed {seed}, work dir {} kept):\n{}\n--- server log (round {round}) ---\n{tail}",
                    work.display(),
                    failures.join("\n")
                );
            }
            break;
        }

        // Save continuously, then SIGKILL after a random delay.
        let stop = Arc::new(AtomicBool::new(false));
        let tasks: Vec<_> = std::mem::take(&mut parts)
            .into_iter()
            .zip(apis)
            .map(|(p, api)| tokio::spawn(save_loop(p, api, stop.clone(), round)))
            .collect();
        let delay = rng.range(100, 1500);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        let t_kill = server.kill();
        stop.store(true, Ordering::Relaxed);
        last_kill = Some(t_kill);
        let mut round_acks = 0;
        for t in tasks {
            let mut p = t.await.expect("client task");
            round_acks += p.acks;
            total_acks += p.acks;
            p.acks = 0;
            if let Some(t) = p.transport_error_at {
                if t < t_kill {
                    failures.push(format!(
                        "round {round}: {}: connection failed {} ms before the kill",
                        username(p.index),
                        (t_kill - t).as_millis()
                    ));
                }
            }
            if p.stale > 0 {
                failures.push(format!(
                    "round {round}: {}: {} saves with a new rev were reported stale",
                    username(p.index),
                    p.stale
                ));
                p.stale = 0;
            }
            failures.append(&mut p.http_errors);
            parts.push(p);
        }
        parts.sort_by_key(|p| p.index);
        eprintln!("round {round}: killed after {delay} ms, {round_acks} saves acknowledged");
        if !failures.is_empty() {
            panic!(
                "crash test failed (seed {seed}, work dir {} kept):\n{}\n--- server log (round {round}) ---\n{}",
                work.display(),
                failures.join("\n"),
                server.log_tail()
            );
        }
        drop(server);
        tokio::time::sleep(Duration::from_millis(down_ms)).await;
    }
    assert!(
        total_acks > 0,
        "no save was acknowledged in {rounds} rounds: the test proved nothing"
    );
    eprintln!(
        "crash test passed: {rounds} SIGKILLs, {total_acks} acknowledged saves, none lost \
         ({unacked_landed} un-acknowledged saves had landed)"
    );
    let _ = std::fs::remove_dir_all(&work);
}
