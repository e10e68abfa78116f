//! `ruji serve --lan-iface` in the namespace lab (scripts/lab): the board claims its address,
//! the proctor's network status shows the 15 seats and the faults, and a seat that goes offline
//! and comes back is shown so.
//!
//! Needs `RUJI_BIN` and the lab (root, `ip`, busybox, curl): ignored in a plain `cargo test`,
//! run by scripts/test with `--ignored`, where a missing piece fails the test with what to
//! install. All traffic stays inside the lab's network namespaces.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const LAB: &str = "rujie2e";

fn repo() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn lab(args: &[&str]) -> std::process::Output {
    Command::new(repo().join("scripts/lab"))
        .args(args)
        .output()
        .expect("scripts/lab runs")
}

/// `curl` inside the board's namespace (the server listens on its loopback).
fn curl(args: &[&str]) -> String {
    let mut a = vec![
        "exec",
        LAB,
        "board",
        "curl",
        "-s",
        "-b",
        "/tmp/ruji-e2e-lab.cookies",
    ];
    a.extend(["-c", "/tmp/ruji-e2e-lab.cookies"]);
    a.extend(args);
    String::from_utf8_lossy(&lab(&a).stdout).into_owned()
}

fn status() -> Value {
    serde_json::from_str(&curl(&["http://127.0.0.1:8080/proctor/network.json"]))
        .unwrap_or(Value::Null)
}

fn wait_for(what: &str, limit: Duration, f: impl Fn(&Value) -> bool) -> Value {
    let t0 = Instant::now();
    loop {
        let s = status();
        if f(&s) {
            return s;
        }
        assert!(
            t0.elapsed() < limit,
            "timed out waiting for {what}; last status {s}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn seat(s: &Value, n: usize) -> &Value {
    &s["seats"][n - 1]
}

#[test]
#[ignore = "needs RUJI_BIN, a release build of ruji, and the LAN lab (root): scripts/test runs it"]
fn serve_claims_the_address_and_shows_seats_going_offline_and_online() {
    let bin = ruji_e2e::ruji_bin().display().to_string();
    let up = lab(&["up", LAB]);
    assert!(
        up.status.success(),
        "the LAN lab cannot be built here (needs root, iproute2, busybox): {}",
        String::from_utf8_lossy(&up.stderr).trim()
    );
    let which_curl = lab(&["exec", LAB, "board", "sh", "-c", "command -v curl"]);
    if !which_curl.status.success() {
        lab(&["down", LAB]);
        panic!("curl is missing (apt-get install curl)");
    }
    let data = std::env::temp_dir().join(format!("ruji-e2e-lan-{}", std::process::id()));
    let config = data.with_extension("toml");
    std::fs::write(&config, "[lan]\naddress = \"192.168.0.201\"\n").unwrap();
    let _ = std::fs::remove_file("/tmp/ruji-e2e-lab.cookies");
    let mut server = Command::new(repo().join("scripts/lab"))
        .args([
            "exec",
            LAB,
            "board",
            &bin,
            "serve",
            "--listen",
            "127.0.0.1:8080",
            "--data",
        ])
        .arg(&data)
        .args(["--lan-iface", "eth0", "--config"])
        .arg(&config)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // The banner carries the setup code; the first proctor password logs this client in.
        let mut out = String::new();
        let t0 = Instant::now();
        let stdout = server.stdout.as_mut().unwrap();
        while !out.contains("setup code: ")
            || !out[out.find("setup code: ").unwrap()..].contains('\n')
        {
            let mut buf = [0u8; 512];
            let n = std::io::Read::read(stdout, &mut buf).unwrap();
            assert!(
                n > 0 && t0.elapsed() < Duration::from_secs(30),
                "no banner: {out}"
            );
            out.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
        // Started as root, it keeps only CAP_NET_BIND_SERVICE (10), CAP_NET_ADMIN (12),
        // CAP_NET_RAW (13) and CAP_SYS_TIME (25, to set a board's clock), in its bounding set
        // too (so the `ip` it runs has no more).
        let proc_status = std::fs::read_to_string(format!("/proc/{}/status", server.id())).unwrap();
        let cap = |name: &str| {
            proc_status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .map(|v| u64::from_str_radix(v.trim(), 16).unwrap())
                .unwrap()
        };
        let keep = (1 << 10) | (1 << 12) | (1 << 13) | (1 << 25);
        assert_eq!(cap("CapEff:"), keep, "{proc_status}");
        assert_eq!(cap("CapBnd:"), keep, "{proc_status}");
        let code = out
            .split("setup code: ")
            .nth(1)
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .trim()
            .to_string();
        let form = format!("code={code}&password=abcdefgh1&password2=abcdefgh1");
        curl(&[
            "-o",
            "/dev/null",
            "-d",
            &form,
            "http://127.0.0.1:8080/proctor/setup",
        ]);

        let s = wait_for(
            "the address claim and 15 seats",
            Duration::from_secs(30),
            |s| {
                s["claim"] == "bound"
                    && s["seats"]
                        .as_array()
                        .is_some_and(|a| a.len() == 15 && a.iter().all(|x| x["online"] == true))
            },
        );
        assert_eq!(s["address"], "192.168.0.201");
        assert_eq!(s["duplicates"][0]["ip"], "192.168.0.5", "{s}");
        assert_eq!(s["wrong_subnet"][0]["ip"], "192.168.1.50", "{s}");
        let ip = lab(&["exec", LAB, "board", "ip", "-4", "addr", "show", "eth0"]);
        assert!(String::from_utf8_lossy(&ip.stdout).contains("192.168.0.201/24"));
        let rtt = seat(&s, 3)["rtt_ms"].as_f64().unwrap();
        assert!(rtt < 50.0, "a real round trip, not a loop delay: {rtt} ms");

        // Seat 3's cable is pulled: offline; plugged back: online after "cek semua".
        lab(&["exec", LAB, "seat3", "ip", "link", "set", "eth0", "down"]);
        wait_for("seat 3 offline", Duration::from_secs(60), |s| {
            seat(s, 3)["online"] == false
        });
        assert_eq!(seat(&status(), 4)["online"], true);
        lab(&["exec", LAB, "seat3", "ip", "link", "set", "eth0", "up"]);
        let dash = curl(&["http://127.0.0.1:8080/proctor"]);
        let csrf = dash
            .split("data-csrf=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let back = curl(&[
            "-o",
            "/dev/null",
            "-w",
            "%{redirect_url}",
            "-d",
            &format!("csrf={csrf}"),
            "http://127.0.0.1:8080/proctor/network/rescan",
        ]);
        assert!(back.ends_with("/proctor/network?ok=1"), "cek semua: {back}");
        wait_for("seat 3 back online", Duration::from_secs(30), |s| {
            seat(s, 3)["online"] == true
        });
    }));
    let _ = server.kill();
    let _ = server.wait();
    // The server runs as `ip netns exec` → ruji; make sure nothing is left in the namespace.
    let _ = lab(&["exec", LAB, "board", "pkill", "-f", "ruji serve"]);
    lab(&["down", LAB]);
    let _ = std::fs::remove_dir_all(&data);
    let _ = std::fs::remove_file(&config);
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}
