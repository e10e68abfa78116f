//! `lan-check`: a development front end of `ruji_lan::lan_check` for the netns lab and the tests.
//! The board's own entry point is `ruji lan-check` (in the `ruji` binary).
//!
//! Usage: lan-check --iface IFACE [--address A] [--prefix N] [--seats FIRST-LAST] [--apply]
//!                  [--skip-probe] [--no-dhcp] [--no-subnet] [--listen-ms MS] [--json]
//!        lan-check --iface IFACE [--address A] ... --monitor SECS
//!                  runs the long-running service (ruji_lan::monitor::run) for SECS seconds, then
//!                  prints its status as JSON.
//! Exit: 0 no finding, 1 findings, 2 error.

#![deny(unsafe_code)]

use std::process::ExitCode;
use std::time::Duration;

use ruji_lan::{lan_check, CheckOptions, LanConfig};

fn usage(msg: &str) -> ExitCode {
    eprintln!("lan-check: {msg}");
    eprintln!("usage: lan-check --iface IFACE [--address A] [--prefix N] [--seats FIRST-LAST] [--apply] [--skip-probe] [--no-dhcp] [--no-subnet] [--listen-ms MS] [--json]");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut cfg = LanConfig::default();
    let mut iface = None;
    let mut json = false;
    let mut monitor_secs: Option<u64> = None;
    let mut opts = CheckOptions::new("", cfg.clone());
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        let r: Result<(), String> = (|| {
            match a.as_str() {
                "--iface" => iface = Some(val("--iface")?),
                "--address" => {
                    cfg.address = val("--address")?.parse().map_err(|e| format!("{e}"))?
                }
                "--prefix" => {
                    cfg.prefix_len = val("--prefix")?.parse().map_err(|e| format!("{e}"))?
                }
                "--seats" => {
                    let v = val("--seats")?;
                    let (a, b) = v.split_once('-').ok_or("--seats FIRST-LAST")?;
                    cfg.seat_first = a.parse().map_err(|e| format!("{e}"))?;
                    cfg.seat_last = b.parse().map_err(|e| format!("{e}"))?;
                }
                "--apply" => opts.apply = true,
                "--skip-probe" => opts.skip_probe = true,
                "--no-dhcp" => opts.dhcp_discover = false,
                "--no-subnet" => opts.scan_subnet = false,
                "--listen-ms" => {
                    let ms: u64 = val("--listen-ms")?.parse().map_err(|e| format!("{e}"))?;
                    opts.listen = Duration::from_millis(ms);
                }
                "--json" => json = true,
                "--monitor" => {
                    monitor_secs = Some(val("--monitor")?.parse().map_err(|e| format!("{e}"))?)
                }
                other => return Err(format!("unknown argument {other}")),
            }
            Ok(())
        })();
        if let Err(e) = r {
            return usage(&e);
        }
    }
    let Some(iface) = iface else {
        return usage("--iface is required");
    };
    if let Some(secs) = monitor_secs {
        return monitor(&iface, &cfg, secs);
    }
    opts.iface = iface;
    opts.config = cfg;
    match lan_check(&opts) {
        Ok(report) => {
            if json {
                println!("{}", report.to_json());
            } else {
                print!("{}", report.to_table());
            }
            if report.has_findings() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("lan-check: {e}");
            ExitCode::from(2)
        }
    }
}

fn monitor(iface: &str, cfg: &LanConfig, secs: u64) -> ExitCode {
    let handle = ruji_lan::MonitorHandle::new();
    let h = handle.clone();
    let (iface2, cfg2) = (iface.to_string(), cfg.clone());
    let t = std::thread::spawn(move || {
        ruji_lan::monitor::run(&iface2, &cfg2, ruji_lan::MonitorTiming::default(), &h)
    });
    std::thread::sleep(Duration::from_secs(secs));
    handle.shutdown();
    let _ = t.join();
    match handle.status() {
        Some(st) => {
            println!("{}", serde_json::to_string(&st).unwrap_or_default());
            if st.report.has_findings() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        None => {
            eprintln!("lan-check: the LAN service produced no status (see the log)");
            ExitCode::from(2)
        }
    }
}
