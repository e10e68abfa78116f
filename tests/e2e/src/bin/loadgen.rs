//! loadgen: a load generator for Ruji's participant JSON API (`docs/api.md`).
//!
//! Simulates `--clients` participants (demo participants `DEMO{first:03}`.., each a tokio task with
//! its own cookie jar) against a server on a **loopback** address:
//!
//! 1. setup (not measured): log in (argon2 is deliberately slow, so at most
//!    `--login-concurrency` logins at once), start with name/birth date/token, end practice;
//! 2. measured loop for `--seconds`: `GET /api/v1/items/{n}` (the page load) then
//!    `PUT /api/v1/answers/{item_id}` with a valid response for the item's type and an increasing
//!    `rev`, cycling over the items; a heartbeat every `--heartbeat-secs`.
//!
//! Prints one summary line (or `--json`, or `--markdown` for `scripts/bench`): clients, saves,
//! saves/s, p50/p99/max answer-save latency, errors and, with `--pid`, the server's RSS
//! (`VmRSS`/`VmHWM` from `/proc/PID/status`; the setup peak is read, then the peak is reset so
//! the loop's own peak is known too).
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
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use ruji_e2e::{check_loopback, percentile, proc_mem_kb, Api, ApiError, ItemInfo};
use serde_json::json;
use tokio::sync::Semaphore;

#[derive(Parser, Debug)]
#[command(about = "Load generator for Ruji's participant JSON API (loopback only)")]
struct Args {
    /// Server base URL, e.g. http://127.0.0.1:8080 (loopback addresses only).
    #[arg(long, required_unless_present = "free_port")]
    url: Option<String>,
    /// Simulated participants (1..=5000).
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=5000))]
    clients: u64,
    /// Length of the measured phase in seconds (1..=3600).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=3600))]
    seconds: u64,
    /// The session token.
    #[arg(long, default_value = ruji_e2e::TOKEN)]
    token: String,
    /// Number of the first demo participant (DEMO001 = 1).
    #[arg(long, default_value_t = 1)]
    first: usize,
    /// Logins in flight at once during setup.
    #[arg(long, default_value_t = 8)]
    login_concurrency: usize,
    /// Seconds between heartbeats of one client.
    #[arg(long, default_value_t = 15)]
    heartbeat_secs: u64,
    /// Pause of a client between two saves, in ms (0 = as fast as possible).
    #[arg(long, default_value_t = 0)]
    think_ms: u64,
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

/// One ready client after setup.
struct Ready {
    index: usize,
    api: Api,
    total: usize,
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
    fn merge(&mut self, o: Stats) {
        self.save_lat.extend(o.save_lat);
        self.page_lat.extend(o.page_lat);
        for (k, v) in o.errors {
            *self.errors.entry(k).or_default() += v;
        }
        self.stale += o.stale;
        self.heartbeats += o.heartbeats;
    }
}

async fn setup(
    base: String,
    index: usize,
    token: String,
    timeout: Duration,
    logins: Arc<Semaphore>,
) -> Result<Ready, String> {
    let api = Api::new(&base, timeout)?;
    let me = {
        let _permit = logins.acquire().await.expect("semaphore");
        api.login(&ruji_e2e::username(index), &ruji_e2e::password(index))
            .await
            .map_err(|e| format!("login {}: {e}", ruji_e2e::username(index)))?
    };
    let attempt = api
        .start(index, &me, &token)
        .await
        .map_err(|e| format!("start {}: {e}", ruji_e2e::username(index)))?;
    let total = match attempt["items"].as_array() {
        Some(items) if !items.is_empty() => items.len(),
        _ => {
            let a = api
                .get("attempt")
                .await
                .map_err(|e| format!("attempt {}: {e}", ruji_e2e::username(index)))?;
            a["items"].as_array().map(Vec::len).unwrap_or(0)
        }
    };
    if total == 0 {
        return Err(format!(
            "{}: the attempt has no items (phase {})",
            ruji_e2e::username(index),
            attempt["phase"]
        ));
    }
    Ok(Ready { index, api, total })
}

async fn run_client(c: Ready, deadline: Instant, args: Arc<Args>) -> (Ready, Stats) {
    let mut st = Stats::default();
    let mut revs: HashMap<String, u64> = HashMap::new();
    let mut n = c.index % c.total + 1;
    let mut last_hb = Instant::now();
    let hb = Duration::from_secs(args.heartbeat_secs);
    let tag = ruji_e2e::username(c.index);
    let mut saves = 0u64;
    while Instant::now() < deadline && saves < args.max_saves_per_client {
        if last_hb.elapsed() >= hb {
            last_hb = Instant::now();
            match c.api.post("heartbeat", &json!({})).await {
                Ok(_) => st.heartbeats += 1,
                Err(e) => st.error(&e),
            }
        }
        let t0 = Instant::now();
        let page = c.api.get(&format!("items/{n}")).await;
        let page = match page {
            Ok(p) => {
                st.page_lat.push(t0.elapsed());
                p
            }
            Err(e) => {
                st.error(&e);
                if stop_on(&e) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Some(item) = ItemInfo::from_reply(n, &page) else {
            *st.errors.entry("bad item reply".into()).or_default() += 1;
            break;
        };
        let stored = page["answer"]["rev"].as_u64().unwrap_or(0);
        let rev = revs.entry(item.id.clone()).or_insert(0);
        *rev = (*rev).max(stored) + 1;
        let rev = *rev;
        let Some(response) = ruji_e2e::make_response(&item.body, rev, &tag) else {
            *st.errors
                .entry(format!("unknown body kind {}", item.body["kind"]))
                .or_default() += 1;
            break;
        };
        let body = json!({"response": response, "doubtful": false, "rev": rev});
        let t1 = Instant::now();
        match c.api.put(&format!("answers/{}", item.id), &body).await {
            Ok(r) => {
                st.save_lat.push(t1.elapsed());
                saves += 1;
                if r["stale"] == true {
                    st.stale += 1;
                }
            }
            Err(e) => {
                st.error(&e);
                if stop_on(&e) {
                    break;
                }
                if matches!(e, ApiError::Transport(_)) {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        n = n % c.total + 1;
        if args.think_ms > 0 {
            tokio::time::sleep(Duration::from_millis(args.think_ms)).await;
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

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0 * 100.0).round() / 100.0
}

fn mb(kb: u64) -> f64 {
    (kb as f64 / 1024.0 * 10.0).round() / 10.0
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    if args.free_port {
        match ruji_e2e::free_port() {
            Ok(p) => println!("{p}"),
            Err(e) => {
                eprintln!("loadgen: no free port: {e}");
                std::process::exit(1);
            }
        }
        return;
    }
    let base = match check_loopback(args.url.as_deref().unwrap_or_default()) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("loadgen: {e}");
            std::process::exit(2);
        }
    };
    if args.first == 0 {
        eprintln!("loadgen: --first counts from 1");
        std::process::exit(2);
    }
    if let Err(e) = ruji_e2e::wait_ready(&base, Duration::from_secs(args.wait_ready)).await {
        eprintln!("loadgen: {e}");
        std::process::exit(1);
    }
    if args.wait_only {
        return;
    }
    let args = Arc::new(args);
    let timeout = Duration::from_secs(args.timeout_secs);

    // Setup: logins (limited concurrency), start, practice end. Not measured.
    let logins = Arc::new(Semaphore::new(args.login_concurrency.max(1)));
    let t_setup = Instant::now();
    let mut tasks = Vec::new();
    for k in 0..args.clients as usize {
        let index = args.first + k;
        tasks.push(tokio::spawn(setup(
            base.clone(),
            index,
            args.token.clone(),
            timeout,
            logins.clone(),
        )));
    }
    let mut ready = Vec::new();
    let mut setup_errors: BTreeMap<String, u64> = BTreeMap::new();
    for t in tasks {
        match t.await.expect("setup task") {
            Ok(r) => ready.push(r),
            Err(e) => {
                if setup_errors.values().sum::<u64>() < 5 {
                    eprintln!("loadgen: setup: {e}");
                }
                let label = e.split(": ").skip(1).collect::<Vec<_>>().join(": ");
                *setup_errors.entry(label).or_default() += 1;
            }
        }
    }
    let setup_secs = t_setup.elapsed().as_secs_f64();
    let mem_setup = args.pid.and_then(proc_mem_kb);
    if let Some(pid) = args.pid {
        // Reset the peak so the loop's own peak can be read at the end (Linux: "5" resets VmHWM).
        let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
    }
    if ready.is_empty() {
        eprintln!("loadgen: no client got through setup: {setup_errors:?}");
        std::process::exit(1);
    }

    // Measured loop.
    let t_loop = Instant::now();
    let deadline = t_loop + Duration::from_secs(args.seconds);
    let tasks: Vec<_> = ready
        .into_iter()
        .map(|c| tokio::spawn(run_client(c, deadline, args.clone())))
        .collect();
    let mut stats = Stats::default();
    let mut clients = Vec::new();
    for t in tasks {
        let (c, s) = t.await.expect("client task");
        stats.merge(s);
        clients.push(c);
    }
    let loop_secs = t_loop.elapsed().as_secs_f64();
    let mem_end = args.pid.and_then(proc_mem_kb);
    if !args.no_logout {
        let outs: Vec<_> = clients
            .into_iter()
            .map(|c| tokio::spawn(async move { c.api.post("logout", &json!({})).await }))
            .collect();
        for o in outs {
            let _ = o.await;
        }
    }

    stats.save_lat.sort_unstable();
    stats.page_lat.sort_unstable();
    let saves = stats.save_lat.len();
    let errors: u64 = stats.errors.values().sum();
    let throughput = saves as f64 / loop_secs;
    let p50 = ms(percentile(&stats.save_lat, 50.0));
    let p99 = ms(percentile(&stats.save_lat, 99.0));
    let max = ms(percentile(&stats.save_lat, 100.0));
    let page_p50 = ms(percentile(&stats.page_lat, 50.0));
    let page_p99 = ms(percentile(&stats.page_lat, 99.0));
    let ready_n = args.clients - setup_errors.values().sum::<u64>();
    let hwm_setup = mem_setup.map(|m| m.1);
    let hwm_loop = mem_end.map(|m| m.1);
    let hwm_peak = match (hwm_setup, hwm_loop) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };

    if args.json {
        let out = json!({
            "clients": args.clients,
            "clients_ready": ready_n,
            "setup_seconds": (setup_secs * 100.0).round() / 100.0,
            "setup_errors": setup_errors,
            "seconds": (loop_secs * 100.0).round() / 100.0,
            "saves": saves,
            "saves_per_s": (throughput * 10.0).round() / 10.0,
            "save_ms": {"p50": p50, "p99": p99, "max": max},
            "page_ms": {"p50": page_p50, "p99": page_p99},
            "errors": errors,
            "error_kinds": stats.errors,
            "stale": stats.stale,
            "heartbeats": stats.heartbeats,
            "server": args.pid.map(|pid| json!({
                "pid": pid,
                "rss_setup_kb": mem_setup.map(|m| m.0),
                "hwm_setup_kb": hwm_setup,
                "rss_end_kb": mem_end.map(|m| m.0),
                "hwm_loop_kb": hwm_loop,
                "hwm_peak_kb": hwm_peak,
            })),
        });
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
                mb(e.1)
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
