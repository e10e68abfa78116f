//! The button's safe shutdown, end to end on the release binary with the simulated panel:
//! a participant saves answers, a 3.5 s hold is typed on `ruji serve --panel sim`'s stdin, the
//! server stops taking answers, says "safe to unplug" and exits 0; restarted on the same data,
//! every acknowledged answer is there and the participant continues.
//!
//! Needs `RUJI_BIN`, a `ruji` binary: ignored in a plain `cargo test`, run by scripts/test with
//! `--ignored` (without `RUJI_BIN` it fails saying so). Loopback only.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ruji_e2e::{free_port, wait_ready, Api, SESSION, TOKEN};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs RUJI_BIN, a release build of ruji: scripts/test runs it"]
async fn hold_three_seconds_shuts_down_safely() {
    let bin = ruji_e2e::ruji_bin();
    let dir = tempfile_dir();
    let port = free_port().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let spawn = |extra: &[&str]| {
        Command::new(&bin)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data"])
            .arg(&dir)
            .args(["--open-session", SESSION, "--token", TOKEN])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut server = spawn(&["--panel", "sim"]);
    wait_ready(&base, Duration::from_secs(30)).await.unwrap();

    let api = Api::new(&base, Duration::from_secs(10)).unwrap();
    api.login_and_start(1, TOKEN).await.unwrap();
    let mut acked = Vec::new();
    for (rev, item) in ["D02", "D06", "D07"].iter().enumerate() {
        let response = match *item {
            "D02" => json!({"choice": "B"}),
            _ => json!({"text": format!("jawaban {rev}")}),
        };
        let body = json!({"response": response, "doubtful": false, "rev": rev + 1});
        api.put(&format!("answers/{item}"), &body).await.unwrap();
        acked.push((item.to_string(), response));
    }

    // The proctor holds the button: `h` is a 3.5 s hold on the simulated panel.
    let t0 = Instant::now();
    server.stdin.as_mut().unwrap().write_all(b"h\n").unwrap();
    let status = loop {
        if let Some(s) = server.try_wait().unwrap() {
            break s;
        }
        assert!(t0.elapsed() < Duration::from_secs(30), "did not shut down");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(status.success(), "exit status {status}");
    let mut err = String::new();
    std::io::Read::read_to_string(server.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert!(
        err.contains("aman dicabut"),
        "the LED said safe to unplug:\n{err}"
    );
    assert!(
        t0.elapsed() >= Duration::from_secs(3),
        "a hold, not a press"
    );

    // Power back: every acknowledged answer is there.
    let mut server = spawn(&["--reset-logins"]);
    wait_ready(&base, Duration::from_secs(30)).await.unwrap();
    let api = Api::new(&base, Duration::from_secs(10)).unwrap();
    api.login_and_start(1, TOKEN).await.unwrap();
    for n in 1..=7 {
        let item = api.get(&format!("items/{n}")).await.unwrap();
        let id = item["item"]["id"].as_str().unwrap().to_string();
        if let Some((_, response)) = acked.iter().find(|(i, _)| *i == id) {
            assert_eq!(&item["answer"]["response"], response, "item {id}");
        }
    }
    server.kill().unwrap();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempfile_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("ruji-panel-test-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}
