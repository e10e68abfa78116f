//! Login benchmark (issue 20), in process: what a board's CPU makes of a room logging in at
//! once, without the HTTP around it (`tests/e2e` `loginstorm` measures that over a socket).
//!
//! - default: a room on a real store in a temporary folder with `--participants` demo
//!   participants (installed, not timed); then `--runs` times, every participant logs in at
//!   the same moment from a PC of its own, through the room's login queue with
//!   `--concurrency` hashes at once (default: what `ruji serve` uses on this machine,
//!   [`ruji_room::passwords::default_concurrency`]); median, min and max of the time until the
//!   last is in; peak RSS.
//! - `--hash-only`: `--runs` single argon2id hashes of a login-card password, one after the
//!   other with a reused buffer, for each parameter set of the calibration (memory KiB, passes):
//!   the median time of one (`--today-only`: today's parameters only). For instructions
//!   (noise-free), run `--hash-only --today-only` under `valgrind --tool=callgrind` with
//!   `--runs 1` and `--runs 11`: the difference over ten is one hash.
//!
//! A benchmark, not a test: it asserts only that the logins succeeded. Run it in release mode:
//! `scripts/bench logins-room [ARGS]`, or on the board's CPU emulated by QEMU with
//! `BENCH_TARGET=aarch64-unknown-linux-musl`.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use argon2::{Algorithm, Argon2, Block, Params, Version};
use ruji_room::passwords::{self, ARGON2_KIB, ARGON2_T};
use ruji_room::{Room, Settings};
use ruji_store::{OpenOptions, Store};

/// Parameter sets measured by `--hash-only` (KiB, passes): today's, lighter and heavier ones,
/// and OWASP's smallest argon2id recommendation (19 MiB, 2 passes).
const CALIBRATION: &[(u32, u32)] = &[
    (4 * 1024, 2),
    (ARGON2_KIB, ARGON2_T),
    (8 * 1024, 3),
    (16 * 1024, 2),
    (19 * 1024, 2),
    (32 * 1024, 2),
];

fn main() -> ExitCode {
    let (mut participants, mut runs, mut concurrency) = (45usize, 3usize, 0usize);
    let (mut hash_only, mut today_only) = (false, false);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut num = || args.next().and_then(|n| n.parse::<usize>().ok());
        match a.as_str() {
            "--participants" => match num() {
                Some(n) if n > 0 => participants = n,
                _ => return usage(),
            },
            "--runs" => match num() {
                Some(n) if n > 0 => runs = n,
                _ => return usage(),
            },
            "--concurrency" => match num() {
                Some(n) => concurrency = n,
                None => return usage(),
            },
            "--hash-only" => hash_only = true,
            "--today-only" => today_only = true,
            _ => return usage(),
        }
    }
    if hash_only {
        hashes(runs, today_only);
        return ExitCode::SUCCESS;
    }
    if concurrency == 0 {
        concurrency = passwords::default_concurrency();
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match rt.block_on(storm(participants, runs, concurrency)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench_logins: {e}");
            ExitCode::FAILURE
        }
    }
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: bench_logins [--participants N] [--runs N] [--concurrency N] [--hash-only [--today-only]]"
    );
    ExitCode::from(2)
}

fn hashes(runs: usize, today_only: bool) {
    println!("| argon2id memory | passes | one hash, median ms | runs |");
    println!("|---:|---:|---:|---:|");
    for &(kib, t) in CALIBRATION {
        if today_only && (kib, t) != (ARGON2_KIB, ARGON2_T) {
            continue;
        }
        let params = Params::new(kib, t, 1, None).expect("valid params");
        let a = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        let mut mem = vec![Block::new(); params.block_count()];
        let mut out = [0u8; 32];
        let mut times = vec![];
        for i in 0..runs {
            let t0 = Instant::now();
            a.hash_password_into_with_memory(
                format!("mawar{i:02}").as_bytes(),
                b"0123456789abcdef",
                &mut out,
                &mut mem,
            )
            .expect("argon2");
            times.push(t0.elapsed());
        }
        times.sort();
        let today = if (kib, t) == (ARGON2_KIB, ARGON2_T) {
            " (today)"
        } else {
            ""
        };
        println!(
            "| {} MiB{today} | {t} | {:.1} | {runs} |",
            kib / 1024,
            times[runs / 2].as_secs_f64() * 1000.0
        );
    }
}

async fn storm(n: usize, runs: usize, concurrency: usize) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let store = Store::open(&dir.path().join("ruji.redb"), OpenOptions::default())
        .map_err(|e| e.to_string())?;
    let room = Room::open(
        store.clone(),
        Settings {
            hash_concurrency: concurrency,
            ..Settings::default()
        },
    )
    .await
    .map_err(|e| e.to_string())?;
    room.install_package(ruji_core::demo::package_with(n))
        .await
        .map_err(|e| e.to_string())?;
    store
        .open_session(
            "H1S1",
            ruji_core::token::Token::parse("ABCDEF").expect("token"),
        )
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("{e:?}"))?;
    let mut times = vec![];
    for run in 0..runs {
        let t0 = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for i in 1..=n {
            let room = room.clone();
            tasks.spawn(async move {
                let (u, p, _) = ruji_core::demo::login(i);
                room.participant_login(&u, &p, &format!("10.{run}.{}.{}", i / 250, i % 250))
                    .await
                    .map_err(|e| format!("{u}: {e}"))
            });
        }
        while let Some(r) = tasks.join_next().await {
            r.map_err(|e| e.to_string())??;
        }
        times.push(t0.elapsed());
    }
    times.sort();
    let secs = |d: Duration| d.as_secs_f64();
    let median = times[runs / 2];
    println!(
        "participants={n} concurrency={concurrency} runs={runs} last_in_median_s={:.2} min_s={:.2} max_s={:.2} \
         logins_per_s={:.1} peak_rss_mb={}",
        secs(median),
        secs(times[0]),
        secs(times[runs - 1]),
        n as f64 / secs(median),
        peak_rss_mb().map(|m| format!("{m:.1}")).unwrap_or_else(|| "-".into()),
    );
    Ok(())
}

fn peak_rss_mb() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = s
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}
