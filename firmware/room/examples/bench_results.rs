//! Results benchmark (issue 13): one session of 45 participants x 40 items, as a full room has
//! it after the exam, made into its signed results file, checked and uploaded to a central
//! server over TLS on 127.0.0.1.
//!
//! Setup (not timed): the demo exam widened to 45 participants and a scored test of 40 items
//! (the demo's seven items of every type, repeated), packed and signed as an issuer would,
//! imported and released on a board room with a real store in a temporary folder; every
//! participant logs in, answers every item twice (the second answer kept) and finishes; the
//! session closes. Then, `--runs` times (default 5), median, min and max:
//!
//! - bundle: `Room::make_bundle` from scratch (the file removed first): the session's export from
//!   the store, scoring, the bundle built, serialised, zipped, signed with the device key,
//!   written and synced to `data/results/`;
//! - verify: `bundle::verify` of the file with the board's key (what the central server does);
//! - upload: `Client::upload_results` to a fresh `ruji central` (TLS handshake, the challenge
//!   signed with the device key, the file in 256 KiB pieces, the server's verify and store, the
//!   signed receipt) and the receipt checked.
//!
//! Peak RSS (`VmHWM`) of the whole process is reported. For CPU cost independent of the
//! machine's noise, compare `perf stat -e instructions:u` of `--runs 1` and `--runs 11`: the
//! difference over ten is the instructions of one bundle + verify + upload.
//!
//! A benchmark, not a test: it asserts only that the work succeeded. Run it in release mode:
//! `cargo run --release -p ruji-room --example bench_results [-- --runs N]`, or
//! `scripts/bench results`; on the board's CPU emulated by QEMU:
//! `cargo run --release --target aarch64-unknown-linux-musl -p ruji-room --example
//! bench_results` (the runner is qemu-aarch64-static, .cargo/config.toml).

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ruji_core::package::{Item, ItemBody, Package};
use ruji_core::response::Response;
use ruji_package::assets::Assets;
use ruji_package::bundle;
use ruji_package::device::DeviceKey;
use ruji_package::{self as package, IssuerKey};
use ruji_room::{Actor, Room, Settings};
use ruji_store::{OpenOptions, Store};

/// Participants in the session.
const PARTICIPANTS: usize = 45;
/// Items of the scored test.
const ITEMS: usize = 40;
/// The session.
const SESSION: &str = "H1S1";

fn main() -> ExitCode {
    let mut runs = 5usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match (a.as_str(), args.next().and_then(|n| n.parse().ok())) {
            ("--runs", Some(n)) if n > 0 => runs = n,
            _ => {
                eprintln!("usage: bench_results [--runs N]");
                return ExitCode::from(2);
            }
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match rt.block_on(bench(runs)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench_results: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The demo exam with [`PARTICIPANTS`] main participants and one scored test of [`ITEMS`].
fn exam() -> Package {
    let mut p = ruji_core::demo::package_with(PARTICIPANTS);
    let demo = p
        .tests
        .iter()
        .position(|t| t.id == "DEMO")
        .expect("demo test");
    let originals: Vec<Item> = p.tests[demo]
        .items
        .iter()
        .map(|id| p.item(id).expect("demo item").clone())
        .collect();
    let mut ids = vec![];
    for n in 0..ITEMS {
        let mut item = originals[n % originals.len()].clone();
        item.id = format!("B{:02}", n + 1);
        ids.push(item.id.clone());
        p.items.push(item);
    }
    p.tests[demo].items = ids;
    p.tests[demo].rules.min_minutes_before_finish = 0;
    p.sessions[0].tests = vec!["DEMO".into()];
    p
}

/// An answer that fits `item`, different for each revision.
fn answer(item: &Item, rev: usize) -> Response {
    match &item.body {
        ItemBody::MultipleChoice { options, .. } => {
            Response::Choice(options[rev % options.len()].id.clone())
        }
        ItemBody::MultipleResponse { options, .. } => {
            Response::Choices(vec![options[rev % options.len()].id.clone()])
        }
        ItemBody::TrueFalse { statements, .. } => {
            Response::TrueFalse(vec![Some(rev.is_multiple_of(2)); statements.len()])
        }
        ItemBody::Matching {
            premises, targets, ..
        } => Response::Matching(
            premises
                .iter()
                .zip(targets.iter().cycle().skip(rev))
                .map(|(p, t)| (p.id.clone(), t.id.clone()))
                .collect(),
        ),
        ItemBody::ShortAnswer { .. } => Response::Text(format!("jawaban {rev}")),
        ItemBody::Essay { .. } => Response::Text(
            "Candi Borobudur dibangun pada masa Wangsa Syailendra dan memiliki 72 stupa \
             berlubang di sekeliling stupa induk. Reliefnya menceritakan kehidupan Buddha."
                .repeat(1 + rev % 3),
        ),
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// (median, min, max) in milliseconds.
fn stats(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    (median, v[0], v[n - 1])
}

/// Peak resident set size of this process in MiB, from `/proc/self/status`.
fn vm_hwm_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())?;
    Some(kib as f64 / 1024.0)
}

/// A `ruji central` over TLS on 127.0.0.1 that hands out `pkg`, knows `board` and collects
/// results in `dir`; returns (url, CA PEM).
async fn central(
    key: &IssuerKey,
    pkg: Vec<u8>,
    board: &DeviceKey,
    dir: &std::path::Path,
) -> Result<(String, String), String> {
    let c = ruji_central::Central::new(
        ruji_central::Options {
            key: IssuerKey::from_secret_text(&key.to_secret_text()).map_err(|e| e.to_string())?,
            devices: Some(vec![ruji_central::Device {
                key: board.public(),
                label: "ruang 1".into(),
            }]),
            utc_offset_minutes: 420,
            lead_minutes: 18 * 60,
        },
        vec![("ujian.rujipkg".into(), pkg)],
    )?
    .with_results(dir)?;
    let cert =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into()]).map_err(|e| e.to_string())?;
    let url = ruji_central::serve_tls_on_loopback(
        Arc::new(c),
        cert.cert.pem().as_bytes(),
        cert.signing_key.serialize_pem().as_bytes(),
    )
    .await?;
    Ok((url, cert.cert.pem()))
}

async fn bench(runs: usize) -> Result<(), String> {
    let e = |e: ruji_room::RoomError| e.to_string();
    let key = IssuerKey::generate();
    let exam = exam();
    let file =
        package::pack(&exam, &Assets::default(), &key, 1_796_000_000).map_err(|e| e.to_string())?;
    let data = tempfile::tempdir().map_err(|e| e.to_string())?;
    let board = Arc::new(DeviceKey::load_or_create(data.path()).map_err(|e| e.to_string())?);
    let store = Store::open(&data.path().join("ruji.redb"), OpenOptions::default())
        .map_err(|e| e.to_string())?;
    let room = Room::open(
        store,
        Settings {
            data_dir: Some(data.path().to_path_buf()),
            trusted_issuers: vec![key.public()],
            device: Some((board.id(), board.public())),
            device_key: Some(board.clone()),
            ..Settings::default()
        },
    )
    .await
    .map_err(e)?;

    eprintln!("setup: import, {PARTICIPANTS} participants answer {ITEMS} items twice...");
    let setup = Instant::now();
    room.import_package(file.clone(), Actor::Proctor)
        .await
        .map_err(e)?;
    let code = package::release_code(&file, &key, SESSION).map_err(|e| e.to_string())?;
    room.release_with_code(SESSION, &code, Actor::Proctor)
        .await
        .map_err(e)?;
    room.open_session(SESSION).await.map_err(e)?;
    let token = room
        .current_session()
        .map_err(e)?
        .and_then(|(_, st)| st.token)
        .ok_or("no token")?
        .current
        .as_str()
        .to_string();
    let pkg = room.package();
    let items: Vec<Item> = pkg
        .test("DEMO")
        .ok_or("no test")?
        .items
        .iter()
        .filter_map(|i| pkg.item(i).cloned())
        .collect();
    let mut saves = 0;
    for i in 1..=PARTICIPANTS {
        let (user, password, birth) = ruji_core::demo::login(i);
        let name = pkg.participant(&user).ok_or("no participant")?.name.clone();
        let id = room
            .participant_login(&user, &password, "127.0.0.1")
            .await
            .map_err(e)?;
        room.start(&user, id, "127.0.0.1", &name, &birth, &token)
            .await
            .map_err(e)?;
        room.end_practice(&user, id).await.map_err(e)?;
        for item in &items {
            for rev in 1..=2u64 {
                let r = answer(item, i + rev as usize);
                room.save(&user, id, &item.id, Some(r), false, rev)
                    .await
                    .map_err(e)?;
                saves += 1;
            }
        }
        room.finish(&user, id, true).await.map_err(e)?;
    }
    room.close_session(SESSION).await.map_err(e)?;
    eprintln!(
        "setup: {saves} saves in {:.1} s",
        setup.elapsed().as_secs_f64()
    );

    let results = data.path().join("results");
    let (mut t_bundle, mut t_verify, mut t_upload) = (vec![], vec![], vec![]);
    let mut size = 0;
    // The close made the first file in the background; wait for it.
    room.make_bundle(SESSION).await.map_err(e)?;
    for run in 0..runs {
        // Made from scratch each time: the file of the same content removed first.
        for f in std::fs::read_dir(&results).map_err(|e| e.to_string())? {
            std::fs::remove_file(f.map_err(|e| e.to_string())?.path())
                .map_err(|e| e.to_string())?;
        }
        let t = Instant::now();
        let made = room.make_bundle(SESSION).await.map_err(e)?;
        t_bundle.push(ms(t.elapsed()));
        let bytes = std::fs::read(results.join(&made.file)).map_err(|e| e.to_string())?;
        size = bytes.len();

        let t = Instant::now();
        let v = bundle::verify(&bytes, Some(&[board.public()])).map_err(|e| e.to_string())?;
        t_verify.push(ms(t.elapsed()));
        if v.bundle.participants.len() < PARTICIPANTS {
            return Err("participants missing from the bundle".into());
        }

        let collected = tempfile::tempdir().map_err(|e| e.to_string())?;
        let (url, ca) = central(&key, file.clone(), &board, collected.path()).await?;
        let client = ruji_sync::Client::new(&url, Some(&ca), board.clone())?;
        let t = Instant::now();
        let receipt = client
            .upload_results(&bytes)
            .await
            .map_err(|e| e.to_string())?;
        t_upload.push(ms(t.elapsed()));
        receipt.check(&key.public(), &made.sha256)?;
        eprintln!(
            "run {}: bundle {:.1} ms, verify {:.1} ms, upload {:.1} ms",
            run + 1,
            t_bundle[run],
            t_verify[run],
            t_upload[run]
        );
    }
    let total: Vec<f64> = (0..runs)
        .map(|i| t_bundle[i] + t_verify[i] + t_upload[i])
        .collect();
    println!(
        "{PARTICIPANTS} participants x {ITEMS} items ({saves} saves): results file {size} bytes; \
         {runs} runs"
    );
    println!();
    println!("| step | median ms | min ms | max ms |");
    println!("|---|---:|---:|---:|");
    for (name, v) in [
        (
            "bundle (export, score, build, zip, sign, write + fsync)",
            t_bundle,
        ),
        ("verify (central side)", t_verify),
        ("upload over TLS to ruji central, receipt checked", t_upload),
        ("all three", total),
    ] {
        let (m, lo, hi) = stats(v);
        println!("| {name} | {m:.1} | {lo:.1} | {hi:.1} |");
    }
    println!();
    println!(
        "peak RSS (VmHWM) of the whole process: {}",
        vm_hwm_mib().map_or("-".into(), |m| format!("{m:.1} MiB"))
    );
    Ok(())
}
