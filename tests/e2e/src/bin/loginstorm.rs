//! loginstorm: the exam's first minute (issue 20). `--clients` demo participants, each from a
//! loopback address of its own (127.0.x.y, one PC each as in a room), send their login at the
//! same moment; each follows the server's "still being processed" answers (`202`, then
//! `GET /api/v1/login/wait`) as the waiting page does. Repeated `--storms` times.
//!
//! Per storm it reports: the time until the last participant is in, the median login, the
//! logins that got in, timed out (no answer within `--timeout-secs`, the old request timeout)
//! or failed otherwise, refusals the participant would have to press LOGIN again for (HTTP 503
//! when more PCs connect than the server serves at once; the client presses again after a
//! second, as a person would), and with `--pid` the server's RSS before the storm, at its peak
//! (VmHWM, reset before the storm through `/proc/PID/clear_refs`), and 3 s after.
//!
//! A benchmark, not a test: it asserts nothing. Loopback only. Used by `scripts/bench logins`.

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use ruji_e2e::{check_loopback, percentile, proc_mem_kb, Api, ApiError};
use tokio::sync::Barrier;

#[derive(Parser, Debug)]
#[command(about = "All participants log in at once (loopback only)")]
struct Args {
    /// Server base URL, e.g. http://127.0.0.1:8080 (loopback addresses only).
    #[arg(long)]
    url: String,
    /// Participants logging in at once (1..=20000).
    #[arg(long, default_value_t = 45, value_parser = clap::value_parser!(u64).range(1..=20000))]
    clients: u64,
    /// Storms, one after the other.
    #[arg(long, default_value_t = 3)]
    storms: u32,
    /// Number of the first demo participant (DEMO001 = 1).
    #[arg(long, default_value_t = 1)]
    first: usize,
    /// A request with no answer within this many seconds counts as timed out.
    #[arg(long, default_value_t = 30)]
    timeout_secs: u64,
    /// Server process id: report its memory.
    #[arg(long)]
    pid: Option<u32>,
    /// Print Markdown table rows.
    #[arg(long)]
    markdown: bool,
}

/// How one participant's login went.
enum Outcome {
    In(Duration),
    TimedOut,
    Failed(String),
}

/// The `k`-th participant's own loopback address: 127.0.1.1, 127.0.1.2, ... (250 per /24).
fn address(k: usize) -> Ipv4Addr {
    Ipv4Addr::new(
        127,
        (1 + k / 62_500) as u8,
        (1 + (k / 250) % 250) as u8,
        (1 + k % 250) as u8,
    )
}

async fn one(
    api: Api,
    index: usize,
    barrier: Arc<Barrier>,
    presses: Arc<std::sync::atomic::AtomicU64>,
) -> Outcome {
    let (u, p, _) = ruji_core::demo::login(index);
    barrier.wait().await;
    let t0 = Instant::now();
    loop {
        presses.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        match api.login(&u, &p).await {
            Ok(_) => return Outcome::In(t0.elapsed()),
            // No answer within the request timeout: counted, never retried away.
            Err(ApiError::Transport(e)) if e.starts_with("timed out") => return Outcome::TimedOut,
            // More PCs than the server serves at once (a 503, or the connection closed at
            // once): the participant presses LOGIN again.
            Err(ApiError::Http { status: 503, .. }) | Err(ApiError::Transport(_))
                if t0.elapsed() < Duration::from_secs(120) =>
            {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(e) => return Outcome::Failed(e.label()),
        }
    }
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let base = match check_loopback(&args.url) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("loginstorm: {e}");
            std::process::exit(2);
        }
    };
    if args.first == 0 {
        eprintln!("loginstorm: --first counts from 1");
        std::process::exit(2);
    }
    let timeout = Duration::from_secs(args.timeout_secs);
    let mb = |kb: u64| format!("{:.1}", kb as f64 / 1024.0);
    if args.markdown {
        println!("| logins at once | storm | last in s | median s | in | timed out | failed | pressed again | RSS before MB | RSS peak MB | RSS after MB |");
        println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    }
    for storm in 1..=args.storms {
        let n = args.clients as usize;
        let barrier = Arc::new(Barrier::new(n + 1));
        let presses = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let mut tasks = Vec::with_capacity(n);
        for k in 0..n {
            let api = match Api::new_from(&base, timeout, address(k)) {
                Ok(a) => a,
                Err(e) => {
                    eprintln!("loginstorm: {e}");
                    std::process::exit(2);
                }
            };
            tasks.push(tokio::spawn(one(
                api,
                args.first + k,
                barrier.clone(),
                presses.clone(),
            )));
        }
        let before = args.pid.and_then(proc_mem_kb).map(|m| m.0);
        if let Some(pid) = args.pid {
            // Resets VmHWM to the current RSS, so the peak read after is this storm's.
            let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
        }
        barrier.wait().await;
        let t0 = Instant::now();
        let mut times = vec![];
        let (mut timed_out, mut failed) = (0, std::collections::BTreeMap::<String, u64>::new());
        for t in tasks {
            match t.await.expect("client task") {
                Outcome::In(d) => times.push(d),
                Outcome::TimedOut => timed_out += 1,
                Outcome::Failed(label) => *failed.entry(label).or_default() += 1,
            }
        }
        let last = t0.elapsed();
        let peak = args.pid.and_then(proc_mem_kb).map(|m| m.1);
        tokio::time::sleep(Duration::from_secs(3)).await;
        let after = args.pid.and_then(proc_mem_kb).map(|m| m.0);
        times.sort();
        let again = presses.load(std::sync::atomic::Ordering::Relaxed) - n as u64;
        let failed_n: u64 = failed.values().sum();
        let opt = |v: Option<u64>| v.map(mb).unwrap_or_else(|| "-".into());
        let (last, median) = (
            format!("{:.2}", last.as_secs_f64()),
            format!("{:.2}", percentile(&times, 50.0).as_secs_f64()),
        );
        let (got_in, before, peak, after) = (times.len(), opt(before), opt(peak), opt(after));
        if args.markdown {
            println!(
                "| {n} | {storm} | {last} | {median} | {got_in} | {timed_out} | {failed_n} | {again} | {before} | {peak} | {after} |"
            );
        } else {
            println!(
                "clients={n} storm={storm} last_in_s={last} median_s={median} in={got_in} timed_out={timed_out} \
                 failed={failed:?} pressed_again={again} rss_before_mb={before} rss_peak_mb={peak} rss_after_mb={after}"
            );
        }
    }
}
