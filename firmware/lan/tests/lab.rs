//! The room LAN lab (scripts/lab) end to end: 15 seats and the classic misfits in network
//! namespaces, checked with the `lan-check` binary running in the board's namespace.
//!
//! Needs `ip` + busybox, and root or unprivileged user namespaces: as a normal user each test
//! re-runs itself inside `unshare --user --map-root-user --net --mount`. Without these it prints
//! why and passes without checking (run `tests/lan/run` on a machine that has them). No traffic
//! leaves the namespaces.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A lab that is torn down when dropped.
struct Lab {
    prefix: String,
}

impl Lab {
    /// Build the lab; a machine that cannot build it fails the test with what to install or
    /// allow (never a silent pass). `test` is the calling test's name: as a normal user it is
    /// re-run inside a user+net+mount namespace, and `None` returned here once that run passed.
    fn up(tag: &str, test: &str) -> Option<Lab> {
        let is_root = Command::new("id")
            .arg("-u")
            .output()
            .map(|o| o.stdout.starts_with(b"0\n"))
            .unwrap_or(false);
        let why = if Command::new("ip").arg("-V").output().is_err() {
            Some("no `ip` tool")
        } else if Command::new("busybox").output().is_err()
            && !std::path::Path::new("/bin/busybox").exists()
        {
            Some("no busybox (apt-get install busybox-static)")
        } else {
            None
        };
        if let Some(why) = why {
            panic!("the LAN lab needs ip and busybox: {why} (scripts/test installs them)");
        }
        if !is_root {
            if std::env::var_os("RUJI_LAB_UNSHARED").is_some() {
                panic!("not root even inside the user namespace: allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1) or run as root");
            }
            let exe = std::env::current_exe().unwrap();
            let st = Command::new("unshare")
                .args(["--user", "--map-root-user", "--net", "--mount", "--fork"])
                .arg(&exe)
                .args([test, "--exact", "--nocapture", "--test-threads=1"])
                .env("RUJI_LAB_UNSHARED", "1")
                .status();
            match st {
                Ok(s) if s.success() => {}
                Ok(s) => panic!("{test} failed inside the user namespace ({s})"),
                Err(e) => panic!("not root and `unshare` (util-linux) cannot run: {e}"),
            }
            return None;
        }
        let prefix = format!("rl{}{tag}", std::process::id() % 100_000);
        let out = Command::new(root().join("scripts/lab"))
            .args(["up", &prefix])
            .output()
            .expect("run scripts/lab");
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            let _ = Command::new(root().join("scripts/lab"))
                .args(["down", &prefix])
                .output();
            // Namespaces may be forbidden inside some containers: that is a machine this test
            // cannot prove anything on, so it fails and says so.
            panic!("scripts/lab up failed (are network namespaces allowed here?): {err}");
        }
        Some(Lab { prefix })
    }

    fn ns(&self, name: &str) -> String {
        format!("{}-{name}", self.prefix)
    }

    /// MAC of eth0 in namespace `name`.
    fn mac(&self, name: &str) -> String {
        let o = Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.ns(name),
                "cat",
                "/sys/class/net/eth0/address",
            ])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    }

    /// Run lan-check in the board namespace.
    fn check(&self, args: &[&str]) -> (Output, Value) {
        let out = Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.ns("board"),
                env!("CARGO_BIN_EXE_lan-check"),
            ])
            .args(["--iface", "eth0", "--json", "--listen-ms", "2000"])
            .args(args)
            .output()
            .unwrap();
        let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "lan-check output is not JSON ({e}): {}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out, v)
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = Command::new(root().join("scripts/lab"))
            .args(["down", &self.prefix])
            .output();
    }
}

fn hosts(v: &Value, key: &str) -> Vec<(String, String)> {
    v[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["ip"].as_str().unwrap().to_string(),
                h["mac"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn room_lan_lab() {
    let Some(lab) = Lab::up("a", "room_lan_lab") else {
        return;
    };

    // 1. The board's default address is held by `holder`: the probe refuses it and names the MAC.
    let (out, v) = lab.check(&[]);
    assert_eq!(out.status.code(), Some(1), "findings -> exit 1");
    assert_eq!(v["address"], "192.168.0.200");
    assert_eq!(v["conflict"]["mac"], lab.mac("holder"));
    let board_ip = Command::new("ip")
        .args(["-n", &lab.ns("board"), "-4", "addr", "show", "eth0"])
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&board_ip.stdout).contains("inet "),
        "a refused address is never configured"
    );

    // 2. The seat scan finds all 15 seats with their MACs.
    let seats = v["seats"].as_array().unwrap();
    assert_eq!(seats.len(), 15);
    for (i, s) in seats.iter().enumerate() {
        let n = i + 1;
        assert_eq!(s["ip"], format!("192.168.0.{n}"));
        assert_eq!(s["online"], true, "seat {n}");
        assert!(s["rtt_ms"].as_f64().is_some(), "seat {n} rtt");
        if n != 5 {
            assert_eq!(s["mac"], lab.mac(&format!("seat{n}")), "seat {n} mac");
        }
    }

    // 3. Every doctor finding.
    let dups = v["duplicates"].as_array().unwrap();
    assert_eq!(dups.len(), 1, "{dups:?}");
    assert_eq!(dups[0]["ip"], "192.168.0.5");
    let mut macs: Vec<String> = dups[0]["macs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_string())
        .collect();
    macs.sort();
    let mut want = vec![lab.mac("seat5"), lab.mac("dup")];
    want.sort();
    assert_eq!(macs, want);
    assert_eq!(
        hosts(&v, "wrong_subnet"),
        vec![("192.168.1.50".into(), lab.mac("wrong"))]
    );
    assert_eq!(
        hosts(&v, "dhcp_servers"),
        vec![("192.168.0.254".into(), lab.mac("dhcp"))]
    );
    assert!(hosts(&v, "unknown_hosts").contains(&("192.168.0.254".into(), lab.mac("dhcp"))));

    // 4. A free address: the probe succeeds and the address is configured.
    let (_, v) = lab.check(&["--address", "192.168.0.201", "--apply", "--no-subnet"]);
    assert!(v["conflict"].is_null(), "{v}");
    let board_ip = Command::new("ip")
        .args(["-n", &lab.ns("board"), "-4", "addr", "show", "eth0"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&board_ip.stdout).contains("inet 192.168.0.201/24"));
    // The holder at .200 is now simply an unknown host inside the subnet... but --no-subnet
    // skipped the sweep, so only passive findings remain; the seats are still all there.
    assert_eq!(
        v["seats"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["online"] == true)
            .count(),
        15
    );

    // 5. Seat 3 goes away: offline, the others still online.
    let st = Command::new("ip")
        .args(["-n", &lab.ns("seat3"), "link", "set", "eth0", "down"])
        .status()
        .unwrap();
    assert!(st.success());
    let (_, v) = lab.check(&["--address", "192.168.0.201", "--skip-probe", "--no-subnet"]);
    let online: Vec<bool> = v["seats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["online"].as_bool().unwrap())
        .collect();
    assert_eq!(online.iter().filter(|o| **o).count(), 14);
    assert!(!online[2]);
}

#[test]
fn link_down_is_a_finding_not_an_error() {
    let Some(lab) = Lab::up("b", "link_down_is_a_finding_not_an_error") else {
        return;
    };
    // Unplug the board's cable: scripts/lab records each host's bridge port in /run/PREFIX/ports.
    let ports = std::fs::read_to_string(format!("/run/{}/ports", lab.prefix)).unwrap();
    let port = ports
        .lines()
        .find_map(|l| l.strip_prefix("board "))
        .expect("board port")
        .to_string();
    let st = Command::new("ip")
        .args(["-n", &lab.ns("sw"), "link", "set", &port, "down"])
        .status()
        .unwrap();
    assert!(st.success());
    let (out, v) = lab.check(&[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(v["link_up"], false);
    assert!(v["seats"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["online"] == false));
}

#[test]
fn service_claims_defends_and_reports_a_later_conflict() {
    let Some(lab) = Lab::up("c", "service_claims_defends_and_reports_a_later_conflict") else {
        return;
    };
    let child = Command::new("ip")
        .args([
            "netns",
            "exec",
            &lab.ns("board"),
            env!("CARGO_BIN_EXE_lan-check"),
        ])
        .args([
            "--iface",
            "eth0",
            "--address",
            "192.168.0.201",
            "--monitor",
            "16",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // RFC 5227 timing: configured after at most 7 s, announcements done after 9 s.
    std::thread::sleep(std::time::Duration::from_secs(11));
    let board_ip = Command::new("ip")
        .args(["-n", &lab.ns("board"), "-4", "addr", "show", "eth0"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&board_ip.stdout).contains("inet 192.168.0.201/24"));
    // Now the holder also takes .201 and announces it (gratuitous ARP).
    let holder = lab.ns("holder");
    let st = Command::new("ip")
        .args([
            "-n",
            &holder,
            "addr",
            "add",
            "192.168.0.201/24",
            "dev",
            "eth0",
        ])
        .status()
        .unwrap();
    assert!(st.success());
    let bb = if std::path::Path::new("/bin/busybox").exists() {
        "/bin/busybox"
    } else {
        "busybox"
    };
    let st = Command::new("ip")
        .args([
            "netns", "exec", &holder, bb, "arping", "-U", "-c", "2", "-I", "eth0",
        ])
        .arg("192.168.0.201")
        .output()
        .unwrap();
    assert!(st.status.success());
    let out = child.wait_with_output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(v["claim"], "bound", "{v}");
    assert_eq!(v["conflict"]["mac"], lab.mac("holder"), "{v}");
    let online = v["seats"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["online"] == true)
        .count();
    assert_eq!(online, 15, "{v}");
    assert_eq!(out.status.code(), Some(1));
}
