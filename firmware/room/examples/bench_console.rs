//! The proctor's console, in process (issue 19): what one read of the open session at a glance
//! costs in a room of `--participants` demo participants, each logged in, on the test, with
//! every item answered. The live console reads it again every second while anyone follows and
//! saves are committed, so this cost is paid once a second through a whole exam.
//!
//! Prints the median time of `--reads` reads (after one not timed). With `--all-changed`,
//! every participant saves an answer again before each read (not timed), so that no row can be
//! kept from the read before: the console of a room where everyone saves every second. For
//! instructions
//! (noise-free), run it under callgrind with `--reads 1` and `--reads 11`: the difference over
//! ten is ten reads (and, with `--all-changed`, ten rounds of saves).
//!
//! A benchmark, not a test. `scripts/bench console [N...]`.

use std::process::ExitCode;
use std::time::Instant;

use ruji_core::response::Response;
use ruji_room::{Room, Settings};
use ruji_store::{OpenOptions, Store};

fn main() -> ExitCode {
    let (mut participants, mut reads, mut all_changed) = (45usize, 21usize, false);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--all-changed" {
            all_changed = true;
            continue;
        }
        let n = args.next().and_then(|n| n.parse::<usize>().ok());
        match (a.as_str(), n) {
            ("--participants", Some(n)) if n > 0 => participants = n,
            ("--reads", Some(n)) if n > 0 => reads = n,
            _ => {
                eprintln!("usage: bench_console [--participants N] [--reads N] [--all-changed]");
                return ExitCode::from(2);
            }
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match rt.block_on(run(participants, reads, all_changed)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench_console: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(n: usize, reads: usize, all_changed: bool) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let store = Store::open(&dir.path().join("ruji.redb"), OpenOptions::default())
        .map_err(|e| e.to_string())?;
    let room = Room::open(store.clone(), Settings::default())
        .await
        .map_err(|e| e.to_string())?;
    let pkg = ruji_core::demo::package_with(n);
    room.install_package(pkg.clone())
        .await
        .map_err(|e| e.to_string())?;
    room.open_session("H1S1").await.map_err(|e| e.to_string())?;
    let (_, st) = room
        .current_session()
        .map_err(|e| e.to_string())?
        .ok_or("no open session")?;
    let token = st.token.ok_or("no token")?.current.as_str().to_string();
    let test = pkg.test("DEMO").ok_or("no DEMO test")?.clone();
    eprintln!("bench_console: {n} participants log in, start and answer (not timed)");
    let mut tasks = tokio::task::JoinSet::new();
    let (tx, mut logged_in) = tokio::sync::mpsc::channel(n);
    for i in 1..=n {
        let tx = tx.clone();
        let (room, token, test, pkg) = (room.clone(), token.clone(), test.clone(), pkg.clone());
        tasks.spawn(async move {
            let (u, password, _) = ruji_core::demo::login(i);
            let p = pkg.participant(&u).ok_or("no such participant")?;
            let client = format!("10.0.{}.{}", i / 250, i % 250 + 1);
            let e = |e: ruji_room::RoomError| format!("{u}: {e}");
            let id = room
                .participant_login(&u, &password, &client)
                .await
                .map_err(e)?;
            let birth = p.birth_date.clone().unwrap_or_default();
            room.start(&u, id, &client, &p.name, &birth, &token)
                .await
                .map_err(e)?;
            room.end_practice(&u, id).await.map_err(e)?;
            for item in &test.items {
                let choice = Response::Choice("A".into());
                if room
                    .save(&u, id, item, Some(choice), false, 1)
                    .await
                    .is_err()
                {
                    // An item of another type: a wrong guess is not what is measured here.
                    room.save(&u, id, item, None, true, 1).await.map_err(e)?;
                }
            }
            tx.send((u, id)).await.map_err(|e| e.to_string())?;
            Ok::<(), String>(())
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.map_err(|e| e.to_string())??;
    }
    drop(tx);
    let mut who = Vec::with_capacity(n);
    while let Some(w) = logged_in.recv().await {
        who.push(w);
    }
    let first = test.items.first().ok_or("no items")?.clone();
    let mut times = Vec::with_capacity(reads);
    for rev in 0..=reads as u64 {
        if all_changed {
            let mut saves = tokio::task::JoinSet::new();
            for (u, id) in who.clone() {
                let (room, item) = (room.clone(), first.clone());
                saves.spawn(async move {
                    let doubtful = rev % 2 == 1;
                    room.save(&u, id, &item, None, doubtful, rev + 2)
                        .await
                        .map_err(|e| format!("{u}: {e}"))
                });
            }
            while let Some(r) = saves.join_next().await {
                r.map_err(|e| e.to_string())??;
            }
        }
        let ms = read_timed(&room).await?;
        if rev > 0 {
            times.push(ms);
        }
    }
    times.sort_by(f64::total_cmp);
    println!(
        "participants={n} all_changed={all_changed} reads={reads} console_read_median_ms={:.3} min_ms={:.3} max_ms={:.3}",
        times[reads / 2],
        times[0],
        times[reads - 1]
    );
    Ok(())
}

/// One read of the console, timed (ms).
async fn read_timed(room: &Room) -> Result<f64, String> {
    let t0 = Instant::now();
    let c = room.console().await.map_err(|e| e.to_string())?;
    let ms = t0.elapsed().as_secs_f64() * 1000.0;
    std::hint::black_box(c);
    Ok(ms)
}
