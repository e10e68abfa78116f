//! Any bytes as a received frame: parsing, the monitor (claim, seats, doctor) and the report must
//! never panic.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use ruji_lan::{frame, LanConfig, Mac, Monitor, MonitorTiming};

fuzz_target!(|data: &[u8]| {
    let _ = frame::parse(data);
    let mut m = Monitor::new(
        &LanConfig::default(),
        Mac([2, 0, 0, 0, 0, 1]),
        1,
        MonitorTiming::default(),
        Duration::ZERO,
    );
    for (i, chunk) in data.chunks(64).enumerate() {
        let now = Duration::from_millis(i as u64 * 700);
        let _ = m.poll(now);
        let _ = m.on_frame(now, data);
        let _ = m.on_frame(now, chunk);
    }
    let _ = m.status("eth0", Duration::from_secs(60)).report.to_json();
});
