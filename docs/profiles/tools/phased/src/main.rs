//! phased: a profiling driver for Ruji's participant JSON API, built on ruji-e2e (the library of
//! tests/e2e/src/bin/loadgen.rs). Same requests as loadgen, but
//!  - the setup (logins, start, practice end) and each measured phase are separated by
//!    handshake files in --sync DIR, so a profiler can be switched on/off or dumped between them;
//!  - phases of one kind of request only: `mixed` (page load + save, as loadgen), `pages`
//!    (GET /api/v1/items/{n} only), `saves` (PUT /api/v1/answers/{id} only), `idle` (nothing);
//!  - `--active K` of the `--clients N` logged-in participants run the phases;
//!  - pacing: `--think-ms` (as loadgen: pause after each iteration) or `--period-ms` (fixed rate
//!    per client; with `--spread` the clients' first requests are spread over one period);
//!  - `--login-only`: only `POST /api/v1/login` (+ waiting) for the clients, between handshakes.
//! Loopback only (ruji_e2e::check_loopback).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use ruji_e2e::{check_loopback, percentile, Api, ItemInfo};
use serde_json::{json, Value};
use tokio::sync::Semaphore;

#[derive(Parser, Debug, Clone)]
struct Args {
    #[arg(long)]
    url: String,
    #[arg(long, default_value_t = 15)]
    clients: usize,
    /// Clients that run the phases (the first K); default all.
    #[arg(long)]
    active: Option<usize>,
    #[arg(long, default_value_t = 1)]
    first: usize,
    #[arg(long, default_value = "ABCDEF")]
    token: String,
    #[arg(long, default_value_t = 8)]
    login_concurrency: usize,
    /// Handshake directory: writes NAME.done, waits for NAME.go.
    #[arg(long)]
    sync: Option<PathBuf>,
    /// Comma-separated phases, each KIND:SECONDS (KIND = mixed|pages|saves|idle).
    #[arg(long, default_value = "mixed:20")]
    phases: String,
    #[arg(long, default_value_t = 0)]
    think_ms: u64,
    #[arg(long, default_value_t = 0)]
    period_ms: u64,
    #[arg(long)]
    spread: bool,
    #[arg(long)]
    login_only: bool,
    /// The active clients are the last K participants (DEMO{N-K+1}..) instead of the first.
    #[arg(long)]
    active_last: bool,
    #[arg(long)]
    no_logout: bool,
    #[arg(long, default_value_t = 60)]
    timeout_secs: u64,
}

struct Client {
    index: usize,
    api: Api,
    items: Vec<ItemInfo>,
    revs: HashMap<String, u64>,
}

#[derive(Default)]
struct St {
    saves: Vec<Duration>,
    pages: Vec<Duration>,
    errors: HashMap<String, u64>,
}

async fn handshake(args: &Args, name: &str, info: &Value) {
    let Some(dir) = &args.sync else { return };
    std::fs::write(dir.join(format!("{name}.done")), info.to_string()).expect("write done");
    let go = dir.join(format!("{name}.go"));
    while !go.exists() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn setup(
    base: String,
    index: usize,
    args: Arc<Args>,
    logins: Arc<Semaphore>,
    fetch: bool,
) -> Result<Option<Client>, String> {
    let api = Api::new(&base, Duration::from_secs(args.timeout_secs))?;
    let user = ruji_e2e::username(index);
    let me = {
        let _p = logins.acquire().await.expect("sem");
        api.login(&user, &ruji_e2e::password(index))
            .await
            .map_err(|e| format!("login {user}: {e}"))?
    };
    if args.login_only {
        return Ok(fetch.then(|| Client {
            index,
            api,
            items: vec![],
            revs: HashMap::new(),
        }));
    }
    api.start(index, &me, &args.token)
        .await
        .map_err(|e| format!("start {user}: {e}"))?;
    let a = api
        .get("attempt")
        .await
        .map_err(|e| format!("attempt {user}: {e}"))?;
    let total = a["items"].as_array().map(Vec::len).unwrap_or(0);
    let mut items = vec![];
    let mut revs = HashMap::new();
    if !fetch {
        // Not active: its connection is closed (the server's connection limit is 768); the
        // participant stays logged in and started.
        return Ok(None);
    }
    {
        for n in 1..=total {
            let p = api
                .get(&format!("items/{n}"))
                .await
                .map_err(|e| format!("item {user}: {e}"))?;
            let it = ItemInfo::from_reply(n, &p).ok_or("bad item")?;
            revs.insert(it.id.clone(), p["answer"]["rev"].as_u64().unwrap_or(0));
            items.push(it);
        }
    }
    Ok(Some(Client {
        index,
        api,
        items,
        revs,
    }))
}

async fn save(c: &mut Client, k: usize, st: &mut St) {
    let it = &c.items[k % c.items.len()];
    let rev = c.revs.entry(it.id.clone()).or_insert(0);
    *rev += 1;
    let tag = ruji_e2e::username(c.index);
    let resp = ruji_e2e::make_response(&it.body, *rev, &tag).expect("response");
    let body = json!({"response": resp, "doubtful": false, "rev": *rev});
    let t = Instant::now();
    match c.api.put(&format!("answers/{}", it.id), &body).await {
        Ok(_) => st.saves.push(t.elapsed()),
        Err(e) => *st.errors.entry(e.label()).or_default() += 1,
    }
}

async fn page(c: &mut Client, k: usize, st: &mut St) {
    let n = k % c.items.len() + 1;
    let t = Instant::now();
    match c.api.get(&format!("items/{n}")).await {
        Ok(_) => st.pages.push(t.elapsed()),
        Err(e) => *st.errors.entry(e.label()).or_default() += 1,
    }
}

async fn run_phase(
    mut c: Client,
    kind: String,
    secs: u64,
    offset: Duration,
    args: Arc<Args>,
) -> (Client, St) {
    let mut st = St::default();
    let start = Instant::now();
    let deadline = start + Duration::from_secs(secs);
    if kind == "idle" {
        tokio::time::sleep_until(deadline.into()).await;
        return (c, st);
    }
    let period = Duration::from_millis(args.period_ms);
    let mut next = start + offset;
    let mut k = c.index;
    loop {
        if args.period_ms > 0 {
            if next >= deadline {
                break;
            }
            tokio::time::sleep_until(next.into()).await;
            next += period;
            let now = Instant::now();
            if next < now {
                next = now;
            }
        } else if Instant::now() >= deadline {
            break;
        }
        match kind.as_str() {
            "mixed" => {
                page(&mut c, k, &mut st).await;
                save(&mut c, k, &mut st).await;
            }
            "pages" => page(&mut c, k, &mut st).await,
            "saves" => save(&mut c, k, &mut st).await,
            other => panic!("unknown phase {other}"),
        }
        k += 1;
        if args.think_ms > 0 {
            tokio::time::sleep(Duration::from_millis(args.think_ms)).await;
        }
    }
    (c, st)
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 100_000.0).round() / 100.0
}

#[tokio::main]
async fn main() {
    let args = Arc::new(Args::parse());
    let base = check_loopback(&args.url).expect("loopback url");
    ruji_e2e::wait_ready(&base, Duration::from_secs(120))
        .await
        .expect("server up");
    let active = args.active.unwrap_or(args.clients).min(args.clients);
    if args.login_only {
        handshake(&args, "logins-ready", &json!({})).await;
    }
    let logins = Arc::new(Semaphore::new(args.login_concurrency.max(1)));
    let t0 = Instant::now();
    let tasks: Vec<_> = (0..args.clients)
        .map(|k| {
            let is_active = if args.active_last {
                k >= args.clients - active
            } else {
                k < active
            };
            tokio::spawn(setup(
                base.clone(),
                args.first + k,
                args.clone(),
                logins.clone(),
                is_active,
            ))
        })
        .collect();
    let mut clients = vec![];
    let mut setup_errors = 0;
    let mut inactive = 0;
    for t in tasks {
        match t.await.expect("task") {
            Ok(Some(c)) => clients.push(c),
            Ok(None) => inactive += 1,
            Err(e) => {
                setup_errors += 1;
                if setup_errors < 5 {
                    eprintln!("phased: setup: {e}");
                }
            }
        }
    }
    let info = json!({"phase": if args.login_only {"logins"} else {"setup"}, "clients": clients.len(), "inactive": inactive,
        "setup_errors": setup_errors, "seconds": t0.elapsed().as_secs_f64()});
    println!("{info}");
    if args.login_only {
        handshake(&args, "logins", &info).await;
        return;
    }
    handshake(&args, "setup", &info).await;
    for (pi, spec) in args.phases.split(',').enumerate() {
        let (kind, secs) = spec.split_once(':').expect("KIND:SECONDS");
        let secs: u64 = secs.parse().expect("seconds");
        let n = clients.len().max(1);
        let t = Instant::now();
        let tasks: Vec<_> = clients
            .drain(..)
            .enumerate()
            .map(|(i, c)| {
                let off = if args.spread && args.period_ms > 0 {
                    Duration::from_millis(args.period_ms * i as u64 / n as u64)
                } else {
                    Duration::ZERO
                };
                tokio::spawn(run_phase(c, kind.to_string(), secs, off, args.clone()))
            })
            .collect();
        let mut st = St::default();
        for task in tasks {
            let (c, s) = task.await.expect("task");
            clients.push(c);
            st.saves.extend(s.saves);
            st.pages.extend(s.pages);
            for (k, v) in s.errors {
                *st.errors.entry(k).or_default() += v;
            }
        }
        let wall = t.elapsed().as_secs_f64();
        st.saves.sort_unstable();
        st.pages.sort_unstable();
        let info = json!({
            "phase": kind, "seconds": (wall * 100.0).round() / 100.0, "active": clients.len(),
            "saves": st.saves.len(), "pages": st.pages.len(),
            "saves_per_s": (st.saves.len() as f64 / wall * 10.0).round() / 10.0,
            "save_ms": {"p50": ms(percentile(&st.saves, 50.0)), "p99": ms(percentile(&st.saves, 99.0)), "max": ms(percentile(&st.saves, 100.0))},
            "page_ms": {"p50": ms(percentile(&st.pages, 50.0)), "p99": ms(percentile(&st.pages, 99.0)), "max": ms(percentile(&st.pages, 100.0))},
            "errors": st.errors,
        });
        println!("{info}");
        handshake(&args, &format!("{pi}-{kind}"), &info).await;
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
}
