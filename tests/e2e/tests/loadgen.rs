//! loadgen's phases, `--active`, pacing and `--sync` handshakes against the release server, as
//! `scripts/bench paced` and `scripts/bench instructions` use them. What each phase sends is
//! checked by its counts; no time is asserted (loadgen is a benchmark's tool).
//!
//! Needs `RUJI_BIN`, a `ruji` binary: ignored in a plain `cargo test`, run by scripts/test with
//! `--ignored` (without `RUJI_BIN` it fails saying so). Loopback only.

use std::path::Path;
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

const LOADGEN: &str = env!("CARGO_BIN_EXE_loadgen");

/// `ruji serve` with 6 demo participants on a fresh data directory; killed on drop.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(data: &Path) -> Server {
        let port = ruji_e2e::free_port().unwrap();
        let log = std::fs::File::create(data.with_extension("log")).unwrap();
        let child = Command::new(ruji_e2e::ruji_bin())
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data"])
            .arg(data)
            .args([
                "--demo-participants",
                "6",
                "--open-session",
                ruji_e2e::SESSION,
            ])
            .args(["--token", ruji_e2e::TOKEN])
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start ruji serve");
        let url = format!("http://127.0.0.1:{port}");
        let ready = loadgen(&["--url", &url, "--wait-only", "--wait-ready", "60"]);
        assert!(ready.status.success(), "the server did not answer");
        Server { child, url }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn loadgen(args: &[&str]) -> Output {
    Command::new(LOADGEN)
        .args(args)
        .output()
        .expect("run loadgen")
}

/// Waits for `dir/NAME.done`, returns its JSON and lets loadgen go on.
fn handshake(dir: &Path, name: &str) -> Value {
    let done = dir.join(format!("{name}.done"));
    let t = Instant::now();
    while !done.exists() {
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "no {name}.done from loadgen"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let info = serde_json::from_str(&std::fs::read_to_string(&done).unwrap()).unwrap();
    std::fs::write(dir.join(format!("{name}.go")), "").unwrap();
    info
}

#[test]
#[ignore = "needs RUJI_BIN, a release build of ruji: scripts/test runs it"]
fn phases_of_one_kind_with_handshakes() {
    let work = std::env::temp_dir().join(format!("ruji-loadgen-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    let sync = work.join("sync");
    std::fs::create_dir_all(&sync).unwrap();
    let server = Server::start(&work.join("data"));

    // All 6 log in and start; the last 2 run the phases, paced, each with at least one
    // iteration per phase (a paced client's first slot is within the phase).
    let url = server.url.clone();
    let run = std::thread::spawn(move || {
        loadgen(&[
            "--url",
            &url,
            "--clients",
            "6",
            "--active",
            "2",
            "--active-last",
            "--phases",
            "pages:1,saves:1,idle:1,mixed:1",
            "--period-ms",
            "100",
            "--spread",
            "--sync",
            sync.to_str().unwrap(),
            "--json",
        ])
    });
    let sync = work.join("sync");
    assert_eq!(handshake(&sync, "start")["clients"], 6);
    let setup = handshake(&sync, "setup");
    assert_eq!(setup["clients_ready"], 6, "{setup}");
    assert_eq!(setup["active"], 2, "{setup}");
    let names = ["0-pages", "1-saves", "2-idle", "3-mixed"];
    let infos: Vec<Value> = names.iter().map(|n| handshake(&sync, n)).collect();
    let out = run.join().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let d: Value = serde_json::from_slice(&out.stdout).expect("loadgen --json");

    let phases = d["phases"].as_array().unwrap();
    assert_eq!(phases.len(), 4);
    for (p, info) in phases.iter().zip(&infos) {
        assert_eq!(p, info, "the handshake carries the phase's figures");
        assert_eq!(p["errors"], 0, "{p}");
    }
    let count = |i: usize, what: &str| phases[i][what].as_u64().unwrap();
    assert!(
        count(0, "pages") >= 2 && count(0, "saves") == 0,
        "{}",
        phases[0]
    );
    assert!(
        count(1, "saves") >= 2 && count(1, "pages") == 0,
        "{}",
        phases[1]
    );
    assert!(
        count(2, "saves") == 0 && count(2, "pages") == 0,
        "{}",
        phases[2]
    );
    assert!(
        count(3, "saves") >= 2 && count(3, "pages") >= count(3, "saves"),
        "{}",
        phases[3]
    );
    assert_eq!(
        d["saves"].as_u64(),
        Some(count(1, "saves") + count(3, "saves"))
    );

    // The active ones (DEMO005, DEMO006) logged out at the end; the others are still logged in.
    let again = loadgen(&[
        "--url",
        &server.url,
        "--clients",
        "2",
        "--first",
        "5",
        "--login-only",
        "--json",
    ]);
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let d: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(d["logins"], 2, "{d}");
    let refused = loadgen(&["--url", &server.url, "--clients", "1", "--login-only"]);
    assert!(!refused.status.success(), "DEMO001 was left logged in");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("already_logged_in"));

    drop(server);
    let _ = std::fs::remove_dir_all(&work);
}
