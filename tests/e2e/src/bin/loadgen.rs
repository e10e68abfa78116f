//! loadgen: a load generator for Ruji's participant JSON API (`docs/api.md`).
//!
//! Simulates `--clients` participants (demo participants `DEMO{first:03}`.., each a tokio task with
//! its own cookie jar) against a server on a **loopback** address:
//!
//! 1. setup (not measured): log in (argon2 is deliberately slow, so at most
//!    `--login-concurrency` logins at once), start with name/birth date/token, end practice;
//! 2. measured phases (default: one `mixed` phase of `--seconds`), each of one kind
//!    (`--phases mixed:20,pages:20,saves:20,idle:10`):
//!    - `mixed`: `GET /api/v1/items/{n}` (the page load) then `PUT /api/v1/answers/{item_id}`
//!      with a valid response for the item's type and an increasing `rev`, cycling over the
//!      items; a heartbeat every `--heartbeat-secs`;
//!    - `pages`: the page loads only; `saves`: the saves only (the items are loaded once during
//!      the setup); `idle`: no request (what the server does on its own).
//!
//! Pacing of one client: as fast as possible (default), a pause after each iteration
//! (`--think-ms`), or one iteration started every `--period-ms` (a client that falls behind starts
//! the next at once, and does not burst to catch up). With `--period-ms`, all clients start
//! together, so they stay in lock-step (the burst of an exam's start, the worst case), unless
//! `--spread` spreads their first iterations evenly over one period (the steady state).
//!
//! `--active K`: all `--clients` log in and start, but only the first K (the last K with
//! `--active-last`) run the phases; the others' connections are closed and they stay logged in.
//! `--login-only`: the setup is the logins alone (no start, no phases), to count a login.
//!
//! `--sync DIR`: handshake files, so that a profiler can be switched on after the setup and read
//! per phase. At each step boundary loadgen writes `DIR/NAME.done` (that step's figures, JSON)
//! and waits for `DIR/NAME.go`: `start` (before any request of the clients), `setup` (after the
//! logins and starts), then `0-mixed`, `1-pages`, ... after each phase (`INDEX-KIND`).
//!
//! Prints one summary line (or `--json`, with each phase's figures under `phases`, or
//! `--markdown` for `scripts/bench`): clients, saves, saves/s, p50/p99/max answer-save latency,
//! errors and, with `--pid`, the server's RSS (`VmRSS`/`VmHWM` from `/proc/PID/status`; the setup
//! peak is read, then the peak is reset after the setup and after each phase, so each phase's own
//! peak is known too). Figures over the whole run add up all phases.
//!
//! Example (server started with `ruji serve --listen 127.0.0.1:8080 --demo-participants 100
//! --open-session H1S1 --token ABCDEF`):
//!
//! ```text
//! cargo run --release -p ruji-e2e --bin loadgen -- --url http://127.0.0.1:8080 --clients 100 \
//!     --seconds 20 --token ABCDEF
//! ```
//!
//! `loadgen --free-port` prints a free port on 127.0.0.1 and exits; `loadgen --url URL
//! --wait-only` waits until the server answers and exits (both used by `scripts/bench`).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use ruji_e2e::{check_loopback, percentile, proc_mem_kb, Api, ApiError, ItemInfo};
use serde_json::{json, Value};
use tokio::sync::Semaphore;

#[derive(Parser, Debug)]
#[command(about = "Load generator for Ruji's participant JSON API (loopback only)")]
struct Args {
    /// Server base URL, e.g. http://127.0.0.1:8080 (loopback addresses only).
    #[arg(long, required_unless_present = "free_port")]
    url: Option<String>,
    /// Simulated participants, all logged in and started (1..=5000).
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=5000))]
    clients: u64,
    /// Only this many of the clients run the phases (default: all).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=5000))]
    active: Option<u64>,
    /// The active clients are the last K participants instead of the first.
    #[arg(long, requires = "active")]
    active_last: bool,
    /// Length of the measured phase in seconds (1..=3600), when no --phases are given.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=3600))]
    seconds: u64,
    /// Measured phases, KIND:SECONDS separated by commas; KIND is mixed (page load + save),
    /// pages, saves or idle. Default: mixed:SECONDS.
    #[arg(long, conflicts_with = "seconds")]
    phases: Option<String>,
    /// The session token.
    #[arg(long, default_value = ruji_e2e::TOKEN)]
    token: String,
    /// Number of the first demo participant (DEMO001 = 1).
    #[arg(long, default_value_t = 1)]
    first: usize,
    /// Logins in flight at once during setup.
    #[arg(long, default_value_t = 8)]
    login_concurrency: usize,
    /// Seconds between heartbeats of one client (mixed phases only).
    #[arg(long, default_value_t = 15)]
    heartbeat_secs: u64,
    /// Pause of a client after each iteration, in ms (0 = as fast as possible).
    #[arg(long, default_value_t = 0)]
    think_ms: u64,
    /// Fixed rate: each client starts one iteration every this many ms (0 = off).
    #[arg(long, default_value_t = 0)]
    period_ms: u64,
    /// With --period-ms: spread the clients' first iterations evenly over one period (without
    /// it they all start at once and stay in lock-step).
    #[arg(long)]
    spread: bool,
    /// Setup only the logins (no start, no phases), to measure a login.
    #[arg(long, conflicts_with_all = ["phases", "active", "spread"])]
    login_only: bool,
    /// Handshake directory: writes NAME.done at each step boundary and waits for NAME.go.
    #[arg(long)]
    sync: Option<PathBuf>,
    /// Upper bound on saves per client.
    #[arg(long, default_value_t = 1_000_000)]
    max_saves_per_client: u64,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 30)]
    timeout_secs: u64,
    /// Wait up to this many seconds for the server to answer `GET /` first.
    #[arg(long, default_value_t = 30)]
    wait_ready: u64,
    /// Server process id: report its VmRSS/VmHWM.
    #[arg(long)]
    pid: Option<u32>,
    /// Do not log the clients out at the end (by default they log out so a rerun can log in).
    #[arg(long)]
    no_logout: bool,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
    /// Print the result as a Markdown table row (| clients | saves/s | p50 | p99 | max | errors | RSS peak MB |).
    #[arg(long, conflicts_with = "json")]
    markdown: bool,
    /// Print a free TCP port on 127.0.0.1 and exit.
    #[arg(long)]
    free_port: bool,
    /// Only wait (up to --wait-ready seconds) until the server answers `GET /`, then exit.
    #[arg(long)]
    wait_only: bool,
}

/// What a phase does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Mixed,
    Pages,
    Saves,
    Idle,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Mixed => "mixed",
            Kind::Pages => "pages",
            Kind::Saves => "saves",
            Kind::Idle => "idle",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Phase {
    kind: Kind,
    secs: u64,
}

/// `mixed:20,pages:20,saves:20,idle:10`.
fn parse_phases(spec: &str) -> Result<Vec<Phase>, String> {
    spec.split(',')
        .map(|p| {
            let (kind, secs) = p
                .split_once(':')
                .ok_or_else(|| format!("phase {p:?}: write KIND:SECONDS, e.g. saves:20"))?;
            let kind = match kind.trim() {
                "mixed" => Kind::Mixed,
                "pages" => Kind::Pages,
                "saves" => Kind::Saves,
                "idle" => Kind::Idle,
                k => {
                    return Err(format!(
                        "phase {p:?}: kind {k:?} is not mixed, pages, saves or idle"
                    ))
                }
            };
            let secs = secs
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|s| (1..=3600).contains(s))
                .ok_or_else(|| format!("phase {p:?}: seconds must be 1..=3600"))?;
            Ok(Phase { kind, secs })
        })
        .collect()
}

/// When a paced client starts its next iteration: one period after the last start, or now if it
/// has fallen behind (it never runs two iterations back to back to catch up).
fn next_slot(slot: Instant, period: Duration, now: Instant) -> Instant {
    (slot + period).max(now)
}

/// Delay of client `k` of `n` before its first paced iteration: evenly spread over one period,
/// or none (everyone at once).
fn first_offset(k: usize, n: usize, period: Duration, spread: bool) -> Duration {
    if spread && n > 0 {
        period.mul_f64(k as f64 / n as f64)
    } else {
        Duration::ZERO
    }
}

/// One client after setup.
struct Client {
    /// The participant's username, also in the text answers.
    tag: String,
    api: Api,
    /// Items in the attempt.
    total: usize,
    /// The items by position (from 1, at `n - 1`), once a page load (or the setup) showed them.
    items: Vec<Option<ItemInfo>>,
    /// Last revision per item id, sent or seen stored.
    revs: HashMap<String, u64>,
    /// Position of the next item.
    n: usize,
    saves: u64,
    /// Hit an error after which it cannot go on (time up, logged out, ...).
    stopped: bool,
    last_hb: Instant,
}

#[derive(Default)]
struct Stats {
    save_lat: Vec<Duration>,
    page_lat: Vec<Duration>,
    errors: BTreeMap<String, u64>,
    stale: u64,
    heartbeats: u64,
}

impl Stats {
    fn error(&mut self, e: &ApiError) {
        *self.errors.entry(e.label()).or_default() += 1;
    }
    fn merge(&mut self, o: &Stats) {
        self.save_lat.extend(&o.save_lat);
        self.page_lat.extend(&o.page_lat);
        for (k, v) in &o.errors {
            *self.errors.entry(k.clone()).or_default() += v;
        }
        self.stale += o.stale;
        self.heartbeats += o.heartbeats;
    }
    fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }
    fn sort(&mut self) {
        self.save_lat.sort_unstable();
        self.page_lat.sort_unstable();
    }
}

/// p50/p99/max of a sorted list, in ms.
fn summary(sorted: &[Duration]) -> Value {
    json!({
        "p50": ms(percentile(sorted, 50.0)),
        "p99": ms(percentile(sorted, 99.0)),
        "max": ms(percentile(sorted, 100.0)),
    })
}

impl Client {
    /// Position of the item to use now; moves on to the next.
    fn next_item(&mut self) -> usize {
        let n = self.n;
        self.n = n % self.total + 1;
        n
    }

    /// Counts a failed request; stops the client on an error it cannot go on after. Unpaced, it
    /// pauses a little so that a refusing server is not hammered.
    async fn failed(&mut self, e: &ApiError, st: &mut Stats, paced: bool) {
        st.error(e);
        if stop_on(e) {
            self.stopped = true;
        } else if !paced {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `GET /api/v1/items/{n}`; remembers the item and its stored revision.
    async fn page(&mut self, n: usize, st: &mut Stats, paced: bool) -> bool {
        let t = Instant::now();
        let page = match self.api.get(&format!("items/{n}")).await {
            Ok(p) => {
                st.page_lat.push(t.elapsed());
                p
            }
            Err(e) => {
                self.failed(&e, st, paced).await;
                return false;
            }
        };
        let Some(item) = ItemInfo::from_reply(n, &page) else {
            *st.errors.entry("bad item reply".into()).or_default() += 1;
            self.stopped = true;
            return false;
        };
        let stored = page["answer"]["rev"].as_u64().unwrap_or(0);
        let rev = self.revs.entry(item.id.clone()).or_insert(0);
        *rev = (*rev).max(stored);
        self.items[n - 1] = Some(item);
        true
    }

    /// `PUT /api/v1/answers/{id}` for the item at `n` with the next revision.
    async fn save(&mut self, n: usize, st: &mut Stats, paced: bool) {
        let Some(item) = self.items.get(n - 1).and_then(Option::as_ref) else {
            *st.errors.entry("item not loaded".into()).or_default() += 1;
            self.stopped = true;
            return;
        };
        let rev = self.revs.entry(item.id.clone()).or_insert(0);
        *rev += 1;
        let rev = *rev;
        let Some(response) = ruji_e2e::make_response(&item.body, rev, &self.tag) else {
            *st.errors
                .entry(format!("unknown body kind {}", item.body["kind"]))
                .or_default() += 1;
            self.stopped = true;
            return;
        };
        let path = format!("answers/{}", item.id);
        let body = json!({"response": response, "doubtful": false, "rev": rev});
        let t = Instant::now();
        match self.api.put(&path, &body).await {
            Ok(r) => {
                st.save_lat.push(t.elapsed());
                self.saves += 1;
                if r["stale"] == true {
                    st.stale += 1;
                }
            }
            Err(e) => self.failed(&e, st, paced).await,
        }
    }

    async fn heartbeat_if_due(&mut self, every: Duration, st: &mut Stats) {
        if self.last_hb.elapsed() >= every {
            self.last_hb = Instant::now();
            match self.api.post("heartbeat", &json!({})).await {
                Ok(_) => st.heartbeats += 1,
                Err(e) => st.error(&e),
            }
        }
    }

    /// One iteration of a phase.
    async fn iteration(&mut self, kind: Kind, st: &mut Stats, args: &Args) {
        let paced = args.period_ms > 0;
        match kind {
            Kind::Mixed => {
                self.heartbeat_if_due(Duration::from_secs(args.heartbeat_secs), st)
                    .await;
                let n = self.n;
                if self.page(n, st, paced).await {
                    self.save(n, st, paced).await;
                    self.next_item();
                }
            }
            Kind::Pages => {
                let n = self.next_item();
                self.page(n, st, paced).await;
            }
            Kind::Saves => {
                let n = self.next_item();
                self.save(n, st, paced).await;
            }
            Kind::Idle => {}
        }
    }
}

/// A failed setup: `label` counts failures of a kind (`login: 503 busy`), `message` says who.
struct SetupError {
    label: String,
    message: String,
}

fn setup_error(step: &str, index: usize, e: impl std::fmt::Display, label: String) -> SetupError {
    SetupError {
        label: format!("{step}: {label}"),
        message: format!("{step} {}: {e}", ruji_e2e::username(index)),
    }
}

/// Logs participant `index` in and (unless `--login-only`) starts its attempt and ends practice.
/// Returns the login's time and, if `keep`, the client; `load_items` loads every item once (for
/// phases that save without a page load).
async fn setup(
    base: String,
    index: usize,
    args: Arc<Args>,
    logins: Arc<Semaphore>,
    keep: bool,
    load_items: bool,
) -> Result<(Duration, Option<Client>), SetupError> {
    let api = Api::new(&base, Duration::from_secs(args.timeout_secs)).map_err(|e| SetupError {
        label: e.clone(),
        message: e,
    })?;
    let user = ruji_e2e::username(index);
    let (me, login) = {
        let _permit = logins.acquire().await.expect("semaphore");
        let t = Instant::now();
        let me = api
            .login(&user, &ruji_e2e::password(index))
            .await
            .map_err(|e| setup_error("login", index, &e, e.label()))?;
        (me, t.elapsed())
    };
    let mut total = 0;
    if !args.login_only {
        let attempt = api
            .start(index, &me, &args.token)
            .await
            .map_err(|e| setup_error("start", index, &e, e.label()))?;
        total = match attempt["items"].as_array() {
            Some(items) if !items.is_empty() => items.len(),
            _ => {
                let a = api
                    .get("attempt")
                    .await
                    .map_err(|e| setup_error("attempt", index, &e, e.label()))?;
                a["items"].as_array().map(Vec::len).unwrap_or(0)
            }
        };
        if total == 0 {
            let why = format!("the attempt has no items (phase {})", attempt["phase"]);
            return Err(setup_error("start", index, &why, "no items".into()));
        }
    }
    if !keep {
        // Dropping the client closes its connection; the participant stays logged in.
        return Ok((login, None));
    }
    let mut c = Client {
        tag: user,
        api,
        total,
        items: vec![None; total],
        revs: HashMap::new(),
        n: index % total.max(1) + 1,
        saves: 0,
        stopped: false,
        last_hb: Instant::now(),
    };
    if load_items {
        let mut st = Stats::default();
        for n in 1..=total {
            if !c.page(n, &mut st, true).await {
                let e = st.errors.keys().next().cloned().unwrap_or_default();
                return Err(setup_error("load items", index, &e, e.clone()));
            }
        }
    }
    Ok((login, Some(c)))
}

/// Runs one client through one phase, until `deadline`; its first iteration at `first`.
async fn run_phase(
    mut c: Client,
    kind: Kind,
    deadline: Instant,
    first: Instant,
    args: Arc<Args>,
) -> (Client, Stats) {
    let mut st = Stats::default();
    let period = Duration::from_millis(args.period_ms);
    let mut slot = first;
    while !c.stopped && (kind == Kind::Pages || c.saves < args.max_saves_per_client) {
        if args.period_ms > 0 {
            if slot >= deadline {
                break;
            }
            tokio::time::sleep_until(slot.into()).await;
            slot = next_slot(slot, period, Instant::now());
        } else if Instant::now() >= deadline {
            break;
        }
        c.iteration(kind, &mut st, &args).await;
        if args.think_ms > 0 {
            let wake = (Instant::now() + Duration::from_millis(args.think_ms)).min(deadline);
            tokio::time::sleep_until(wake.into()).await;
        }
    }
    (c, st)
}

/// Errors after which a client cannot go on.
fn stop_on(e: &ApiError) -> bool {
    matches!(
        e.code(),
        Some("time_up" | "finished" | "logged_out" | "not_logged_in" | "not_started")
    )
}

/// Writes `DIR/NAME.done` with `info` and waits for `DIR/NAME.go` (no-op without `--sync`).
async fn handshake(dir: Option<&Path>, name: &str, info: &Value) -> Result<(), String> {
    let Some(dir) = dir else { return Ok(()) };
    // Written under another name first, so that whoever waits for NAME.done reads it whole.
    let tmp = dir.join(format!("{name}.tmp"));
    std::fs::write(&tmp, format!("{info}\n"))
        .and_then(|()| std::fs::rename(&tmp, dir.join(format!("{name}.done"))))
        .map_err(|e| format!("cannot write {}: {e}", dir.join(name).display()))?;
    let go = dir.join(format!("{name}.go"));
    let limit = Duration::from_secs(600);
    let t = Instant::now();
    while !go.exists() {
        if t.elapsed() > limit {
            return Err(format!(
                "nobody created {} within {limit:?}: is the script that drives --sync still running?",
                go.display()
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0 * 100.0).round() / 100.0
}

fn mb(kb: u64) -> f64 {
    (kb as f64 / 1024.0 * 10.0).round() / 10.0
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Reads the server's `(VmRSS, VmHWM)` and resets its peak (Linux: "5" resets VmHWM), so that
/// the next reading is the peak since now.
fn read_and_reset_mem(pid: Option<u32>) -> Option<(u64, u64)> {
    let pid = pid?;
    let m = proc_mem_kb(pid);
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
    m
}

fn die(msg: impl std::fmt::Display, code: i32) -> ! {
    eprintln!("loadgen: {msg}");
    std::process::exit(code)
}

/// Checks the combinations clap cannot express.
fn check(args: &Args) -> Result<(), String> {
    if args.first == 0 {
        return Err("--first counts from 1".into());
    }
    if args.think_ms > 0 && args.period_ms > 0 {
        return Err(
            "give one pacing: --think-ms (a pause after each iteration) or --period-ms \
                    (one iteration every P ms)"
                .into(),
        );
    }
    if args.spread && args.period_ms == 0 {
        return Err("--spread spreads the first iterations over one --period-ms: give it".into());
    }
    if args.active.is_some_and(|k| k > args.clients) {
        return Err(format!(
            "--active is more than --clients ({})",
            args.clients
        ));
    }
    if let Some(dir) = &args.sync {
        if !dir.is_dir() {
            return Err(format!("--sync {}: not a directory", dir.display()));
        }
    }
    Ok(())
}

/// One phase's figures.
struct PhaseResult {
    phase: Phase,
    index: usize,
    seconds: f64,
    active: usize,
    stats: Stats,
    mem: Option<(u64, u64)>,
}

impl PhaseResult {
    fn name(&self) -> String {
        format!("{}-{}", self.index, self.phase.kind.name())
    }

    fn json(&self) -> Value {
        let st = &self.stats;
        let per_s = |n: usize| round1(n as f64 / self.seconds.max(1e-9));
        json!({
            "name": self.name(),
            "kind": self.phase.kind.name(),
            "seconds": round2(self.seconds),
            "active": self.active,
            "saves": st.save_lat.len(),
            "pages": st.page_lat.len(),
            "heartbeats": st.heartbeats,
            "saves_per_s": per_s(st.save_lat.len()),
            "pages_per_s": per_s(st.page_lat.len()),
            "save_ms": summary(&st.save_lat),
            "page_ms": summary(&st.page_lat),
            "errors": st.error_count(),
            "error_kinds": st.errors,
            "stale": st.stale,
            "server": self.mem.map(|(rss, hwm)| json!({"rss_kb": rss, "hwm_kb": hwm})),
        })
    }
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    if args.free_port {
        match ruji_e2e::free_port() {
            Ok(p) => println!("{p}"),
            Err(e) => die(format!("no free port: {e}"), 1),
        }
        return;
    }
    let base =
        check_loopback(args.url.as_deref().unwrap_or_default()).unwrap_or_else(|e| die(e, 2));
    check(&args).unwrap_or_else(|e| die(e, 2));
    let phases = match (&args.phases, args.login_only) {
        (_, true) => vec![],
        (Some(spec), false) => parse_phases(spec).unwrap_or_else(|e| die(e, 2)),
        (None, false) => vec![Phase {
            kind: Kind::Mixed,
            secs: args.seconds,
        }],
    };
    if let Err(e) = ruji_e2e::wait_ready(&base, Duration::from_secs(args.wait_ready)).await {
        die(e, 1);
    }
    if args.wait_only {
        return;
    }
    let args = Arc::new(args);
    let sync = args.sync.clone();
    let sync = sync.as_deref();
    let handshake_or_die = |name: String, info: Value| async move {
        if let Err(e) = handshake(sync, &name, &info).await {
            die(e, 1);
        }
    };
    handshake_or_die("start".into(), json!({"clients": args.clients})).await;

    // Setup: logins (limited concurrency), start, practice end. Not measured.
    let clients_n = args.clients as usize;
    let active_n = args.active.map_or(clients_n, |k| k as usize);
    let is_active = |k: usize| {
        if args.active_last {
            k >= clients_n - active_n
        } else {
            k < active_n
        }
    };
    let load_items = phases.iter().any(|p| p.kind == Kind::Saves);
    let logins = Arc::new(Semaphore::new(args.login_concurrency.max(1)));
    let t_setup = Instant::now();
    let tasks: Vec<_> = (0..clients_n)
        .map(|k| {
            tokio::spawn(setup(
                base.clone(),
                args.first + k,
                args.clone(),
                logins.clone(),
                is_active(k),
                load_items,
            ))
        })
        .collect();
    let mut clients = Vec::new();
    let mut login_lat = Vec::new();
    let mut setup_errors: BTreeMap<String, u64> = BTreeMap::new();
    for t in tasks {
        match t.await.expect("setup task") {
            Ok((login, client)) => {
                login_lat.push(login);
                clients.extend(client);
            }
            Err(e) => {
                if setup_errors.values().sum::<u64>() < 5 {
                    eprintln!("loadgen: setup: {}", e.message);
                }
                *setup_errors.entry(e.label).or_default() += 1;
            }
        }
    }
    let setup_secs = t_setup.elapsed().as_secs_f64();
    login_lat.sort_unstable();
    let mem_setup = read_and_reset_mem(args.pid);
    let ready_n = login_lat.len();
    if ready_n == 0 {
        die(format!("no client got through setup: {setup_errors:?}"), 1);
    }
    let setup_info = json!({
        "clients": args.clients,
        "clients_ready": ready_n,
        "active": clients.len(),
        "setup_seconds": round2(setup_secs),
        "setup_errors": setup_errors,
        "login_ms": summary(&login_lat),
    });
    handshake_or_die("setup".into(), setup_info.clone()).await;

    // Measured phases.
    let mut results: Vec<PhaseResult> = Vec::new();
    for (index, &phase) in phases.iter().enumerate() {
        let t = Instant::now();
        let deadline = t + Duration::from_secs(phase.secs);
        let period = Duration::from_millis(args.period_ms);
        let n = clients.len();
        let mut stats = Stats::default();
        if phase.kind != Kind::Idle {
            let tasks: Vec<_> = clients
                .drain(..)
                .enumerate()
                .map(|(k, c)| {
                    let first = t + first_offset(k, n, period, args.spread);
                    tokio::spawn(run_phase(c, phase.kind, deadline, first, args.clone()))
                })
                .collect();
            for task in tasks {
                let (c, s) = task.await.expect("client task");
                stats.merge(&s);
                clients.push(c);
            }
        }
        // An idle phase, or one whose clients all stopped early, still lasts its length.
        tokio::time::sleep_until(deadline.into()).await;
        let seconds = t.elapsed().as_secs_f64();
        stats.sort();
        let r = PhaseResult {
            phase,
            index,
            seconds,
            active: n,
            stats,
            mem: read_and_reset_mem(args.pid),
        };
        handshake_or_die(r.name(), r.json()).await;
        results.push(r);
    }
    if !args.no_logout {
        let outs: Vec<_> = clients
            .into_iter()
            .map(|c| tokio::spawn(async move { c.api.post("logout", &json!({})).await }))
            .collect();
        for o in outs {
            let _ = o.await;
        }
    }

    // The whole run: every phase together.
    let mut stats = Stats::default();
    for r in &results {
        stats.merge(&r.stats);
    }
    stats.sort();
    let loop_secs: f64 = results.iter().map(|r| r.seconds).sum();
    let saves = stats.save_lat.len();
    let errors = stats.error_count();
    let throughput = saves as f64 / loop_secs.max(1e-9);
    let p50 = ms(percentile(&stats.save_lat, 50.0));
    let p99 = ms(percentile(&stats.save_lat, 99.0));
    let max = ms(percentile(&stats.save_lat, 100.0));
    let page_p50 = ms(percentile(&stats.page_lat, 50.0));
    let page_p99 = ms(percentile(&stats.page_lat, 99.0));
    let mem_end = results.last().and_then(|r| r.mem);
    let hwm_setup = mem_setup.map(|m| m.1);
    let hwm_loop = results.iter().filter_map(|r| r.mem.map(|m| m.1)).max();
    let hwm_peak = hwm_setup.max(hwm_loop);

    if args.json {
        let mut out = json!({
            "clients": args.clients,
            "clients_ready": ready_n,
            "active": setup_info["active"],
            "pace": {"think_ms": args.think_ms, "period_ms": args.period_ms, "spread": args.spread},
            "setup_seconds": round2(setup_secs),
            "setup_errors": setup_info["setup_errors"],
            "login_ms": setup_info["login_ms"],
            "seconds": round2(loop_secs),
            "saves": saves,
            "saves_per_s": round1(throughput),
            "pages": stats.page_lat.len(),
            "save_ms": {"p50": p50, "p99": p99, "max": max},
            "page_ms": summary(&stats.page_lat),
            "errors": errors,
            "error_kinds": stats.errors,
            "stale": stats.stale,
            "heartbeats": stats.heartbeats,
            "phases": results.iter().map(PhaseResult::json).collect::<Vec<_>>(),
            "server": args.pid.map(|pid| json!({
                "pid": pid,
                "rss_setup_kb": mem_setup.map(|m| m.0),
                "hwm_setup_kb": hwm_setup,
                "rss_end_kb": mem_end.map(|m| m.0),
                "hwm_loop_kb": hwm_loop,
                "hwm_peak_kb": hwm_peak,
            })),
        });
        if args.login_only {
            out["logins"] = json!(ready_n);
        }
        println!("{}", serde_json::to_string_pretty(&out).expect("json"));
    } else if args.markdown {
        let rss = hwm_peak
            .map(|k| format!("{:.1}", mb(k)))
            .unwrap_or("-".into());
        println!(
            "| {} | {:.1} | {:.2} | {:.2} | {:.2} | {} | {} |",
            ready_n, throughput, p50, p99, max, errors, rss
        );
    } else {
        if results.len() > 1 {
            for r in &results {
                let st = &r.stats;
                println!(
                    "phase={} seconds={:.1} saves={} pages={} save_p50={:.2}ms save_p99={:.2}ms \
                     page_p50={:.2}ms page_p99={:.2}ms errors={}",
                    r.name(),
                    r.seconds,
                    st.save_lat.len(),
                    st.page_lat.len(),
                    ms(percentile(&st.save_lat, 50.0)),
                    ms(percentile(&st.save_lat, 99.0)),
                    ms(percentile(&st.page_lat, 50.0)),
                    ms(percentile(&st.page_lat, 99.0)),
                    st.error_count()
                );
            }
        }
        let mut line = format!(
            "clients={ready_n}/{} setup={setup_secs:.1}s seconds={loop_secs:.1} saves={saves} \
             saves/s={throughput:.1} p50={p50:.2}ms p99={p99:.2}ms max={max:.2}ms \
             page_p50={page_p50:.2}ms page_p99={page_p99:.2}ms errors={errors} stale={}",
            args.clients, stats.stale
        );
        if let (Some(s), Some(e)) = (mem_setup, mem_end) {
            line.push_str(&format!(
                " rss_end={:.1}MB hwm_setup={:.1}MB hwm_loop={:.1}MB",
                mb(e.0),
                mb(s.1),
                mb(hwm_loop.unwrap_or(e.1))
            ));
        }
        println!("{line}");
    }
    if errors > 0 || !setup_errors.is_empty() {
        eprintln!(
            "loadgen: errors: {:?}; setup errors: {setup_errors:?}",
            stats.errors
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_parse() {
        assert_eq!(
            parse_phases("mixed:20,pages:5,saves:1,idle:10").unwrap(),
            vec![
                Phase {
                    kind: Kind::Mixed,
                    secs: 20
                },
                Phase {
                    kind: Kind::Pages,
                    secs: 5
                },
                Phase {
                    kind: Kind::Saves,
                    secs: 1
                },
                Phase {
                    kind: Kind::Idle,
                    secs: 10
                },
            ]
        );
        assert!(parse_phases("mixed").is_err());
        assert!(parse_phases("logins:5").is_err());
        assert!(parse_phases("saves:0").is_err());
        assert!(parse_phases("saves:x").is_err());
    }

    #[test]
    fn a_late_client_does_not_burst() {
        let t = Instant::now();
        let p = Duration::from_millis(1000);
        // On time: one period after the last start.
        assert_eq!(next_slot(t, p, t + Duration::from_millis(10)), t + p);
        // 2.5 periods late: the next starts now, not three at once.
        let now = t + Duration::from_millis(2500);
        assert_eq!(next_slot(t, p, now), now);
    }

    #[test]
    fn spread_starts_cover_one_period() {
        let p = Duration::from_millis(1000);
        let offs: Vec<_> = (0..4).map(|k| first_offset(k, 4, p, true)).collect();
        assert_eq!(offs, [0, 250, 500, 750].map(Duration::from_millis).to_vec());
        assert_eq!(first_offset(3, 4, p, false), Duration::ZERO);
    }

    #[test]
    fn pacing_flags_are_checked() {
        let parse = |a: &[&str]| {
            let mut v = vec!["loadgen", "--url", "http://127.0.0.1:1"];
            v.extend_from_slice(a);
            Args::try_parse_from(v)
        };
        let ok = |a: &[&str]| parse(a).map_err(|e| e.to_string()).and_then(|a| check(&a));
        assert!(ok(&["--period-ms", "1000", "--spread"]).is_ok());
        assert!(ok(&["--spread"]).is_err());
        assert!(ok(&["--period-ms", "1000", "--think-ms", "1000"]).is_err());
        assert!(ok(&["--clients", "10", "--active", "11"]).is_err());
        assert!(parse(&["--active-last"]).is_err());
        assert!(parse(&["--seconds", "5", "--phases", "saves:5"]).is_err());
        assert!(parse(&["--login-only", "--phases", "saves:5"]).is_err());
    }
}
