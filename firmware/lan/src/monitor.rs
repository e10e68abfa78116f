//! The long-running LAN service behind `ruji serve`: claim, defend, scan, diagnose.
//!
//! [`Monitor`] is pure: it takes received frames and the (virtual) clock and returns [`Action`]s.
//! It wires a [`Claim`], a [`SeatTable`] and two [`Doctor`]s (the current and the previous
//! window, so a fault that went away leaves the findings after at most two windows).
//! After a refused claim it probes again every [`RETRY_INTERVAL`] (the technician may remove the
//! other host); it rescans the seats every `scan_every` and at once after [`Monitor::rescan`] (the
//! proctor's "cek semua").
//!
//! [`run`] is the I/O loop (a thread): it opens the socket, reopens it after errors with backoff,
//! applies the address with `ip`, follows the carrier, and publishes a [`LanStatus`] in a
//! [`MonitorHandle`] shared with the web server.

use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::check::LanReport;
use crate::claim::{Claim, ClaimEvent, ClaimState, DefendPolicy};
use crate::frame::{self, ObservedKind};
use crate::io::{self, ClaimOutcome, PacketSocket};
use crate::{Doctor, LanConfig, Mac, SeatTable};

/// Wait before probing a refused address again (RFC 5227's RATE_LIMIT_INTERVAL).
pub const RETRY_INTERVAL: Duration = Duration::from_secs(60);

/// Something the I/O side must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send this Ethernet frame.
    Send(Vec<u8>),
    /// Configure the board's address on the interface.
    Configure,
    /// Remove the board's address from the interface.
    Unconfigure,
}

/// Timing of the service.
#[derive(Debug, Clone, Copy)]
pub struct MonitorTiming {
    /// Seat scan period.
    pub scan_every: Duration,
    /// A seat is offline when not heard for this long.
    pub offline_after: Duration,
    /// Doctor window (findings live one to two windows).
    pub doctor_window: Duration,
}

impl Default for MonitorTiming {
    fn default() -> Self {
        MonitorTiming {
            scan_every: Duration::from_secs(10),
            offline_after: Duration::from_secs(35),
            doctor_window: Duration::from_secs(120),
        }
    }
}

/// The LAN service state machine.
#[derive(Debug, Clone)]
pub struct Monitor {
    config: LanConfig,
    own: Mac,
    timing: MonitorTiming,
    claim: Claim,
    retry_at: Option<Duration>,
    seats: SeatTable,
    doctor: Doctor,
    previous: Doctor,
    window_end: Duration,
    next_scan: Duration,
    link_up: bool,
    /// The last host seen using our address, and when.
    conflict: Option<(Mac, Duration)>,
    seed: u64,
}

impl Monitor {
    /// Start at `now`: the claim of `config.address` begins at once.
    pub fn new(
        config: &LanConfig,
        own: Mac,
        seed: u64,
        timing: MonitorTiming,
        now: Duration,
    ) -> Self {
        Monitor {
            config: config.clone(),
            own,
            timing,
            claim: Claim::new(config.address, own, seed, DefendPolicy::Indefinitely, now),
            retry_at: None,
            seats: SeatTable::new(config, own, timing.offline_after),
            doctor: Doctor::new(config, own),
            previous: Doctor::new(config, own),
            window_end: now + timing.doctor_window,
            next_scan: now,
            link_up: true,
            conflict: None,
            seed,
        }
    }

    /// The claim's state.
    pub fn claim_state(&self) -> ClaimState {
        self.claim.state()
    }

    /// The seat table.
    pub fn seats(&self) -> &SeatTable {
        &self.seats
    }

    /// Scan the seats on the next poll.
    pub fn rescan(&mut self) {
        self.next_scan = Duration::ZERO;
    }

    /// Record the carrier state.
    pub fn set_link(&mut self, up: bool) {
        self.link_up = up;
        self.doctor.set_link(up);
    }

    /// Feed one received frame (untrusted bytes).
    pub fn on_frame(&mut self, now: Duration, bytes: &[u8]) -> Vec<Action> {
        let Some(obs) = frame::parse(bytes) else {
            return vec![];
        };
        self.seats.observe(now, &obs);
        self.doctor.observe(&obs);
        let mut out = vec![];
        if let ObservedKind::Arp(arp) = &obs.kind {
            if let Some(ev) = self.claim.on_arp(now, arp) {
                self.handle(now, ev, &mut out);
            }
        }
        out
    }

    fn handle(&mut self, now: Duration, ev: ClaimEvent, out: &mut Vec<Action>) {
        let ip = self.config.address;
        match ev {
            ClaimEvent::SendProbe => out.push(Action::Send(frame::probe(self.own, ip))),
            ClaimEvent::SendAnnounce => out.push(Action::Send(frame::announce(self.own, ip))),
            ClaimEvent::Configure => out.push(Action::Configure),
            ClaimEvent::Conflict { mac, bound } => {
                tracing::warn!(%ip, %mac, bound, "another host uses the board's address");
                self.conflict = Some((mac, now));
                if !bound {
                    self.retry_at = Some(now + RETRY_INTERVAL);
                }
            }
            ClaimEvent::Unconfigure { mac } => {
                self.conflict = Some((mac, now));
                self.retry_at = Some(now + RETRY_INTERVAL);
                out.push(Action::Unconfigure);
            }
        }
    }

    /// Advance to `now`: claim steps, retries, scans, doctor windows.
    pub fn poll(&mut self, now: Duration) -> Vec<Action> {
        let mut out = vec![];
        if self.retry_at.is_some_and(|t| now >= t) {
            self.retry_at = None;
            self.seed = self.seed.rotate_left(7) ^ 0x9e37_79b9_7f4a_7c15;
            self.claim = Claim::new(
                self.config.address,
                self.own,
                self.seed,
                DefendPolicy::Indefinitely,
                now,
            );
        }
        while let Some(ev) = self.claim.poll(now) {
            self.handle(now, ev, &mut out);
        }
        if now >= self.window_end {
            self.previous =
                std::mem::replace(&mut self.doctor, Doctor::new(&self.config, self.own));
            self.doctor.set_link(self.link_up);
            self.window_end = now + self.timing.doctor_window;
        }
        if now >= self.next_scan && self.link_up {
            let own_ip = if self.claim.holds_address() {
                self.config.address
            } else {
                Ipv4Addr::UNSPECIFIED
            };
            for ip in self.config.seats() {
                self.seats.asked(ip, now);
                out.push(Action::Send(frame::request(self.own, own_ip, ip)));
            }
            self.next_scan = now + self.timing.scan_every;
        }
        self.seats.refresh(now);
        out
    }

    /// When `poll` next has timed work (at most `scan_every` away).
    pub fn poll_at(&self) -> Duration {
        let mut t = self.next_scan.min(self.window_end);
        if let Some(c) = self.claim.poll_at() {
            t = t.min(c);
        }
        if let Some(r) = self.retry_at {
            t = t.min(r);
        }
        t
    }

    /// The current picture, for the proctor page and the log.
    pub fn status(&self, iface: &str, now: Duration) -> LanStatus {
        let mut findings = self.doctor.findings();
        findings.extend(self.previous.findings());
        if !self.link_up {
            findings.push(crate::Finding::LinkDown);
        } else {
            findings.retain(|f| *f != crate::Finding::LinkDown);
        }
        findings.sort();
        findings.dedup();
        let mut merged = Doctor::new(&self.config, self.own);
        merged.set_link(self.link_up);
        let probe = match self.conflict {
            Some((mac, at)) if now.saturating_sub(at) < 2 * self.timing.doctor_window => {
                Some(ClaimOutcome::Refused { mac })
            }
            _ => None,
        };
        let mut report = LanReport::build(iface, &self.config, &self.seats, &merged, probe);
        report.set_findings(findings);
        for (r, s) in report.seats.iter_mut().zip(self.seats.seats()) {
            r.last_seen_s = s.last_seen.map(|t| now.saturating_sub(t).as_secs());
        }
        LanStatus {
            claim: match self.claim.state() {
                ClaimState::Waiting | ClaimState::Probing { .. } => ClaimStatus::Probing,
                ClaimState::Announcing { .. } | ClaimState::Bound => ClaimStatus::Bound,
                ClaimState::Refused { .. } => ClaimStatus::Refused,
                ClaimState::Lost { .. } => ClaimStatus::Lost,
            },
            report,
        }
    }
}

/// Declares [`ClaimStatus`], each variant with its one name.
macro_rules! claim_status {
    ($($(#[$doc:meta])* $v:ident = $s:literal,)*) => {
        /// Where the board's claim of its address stands, as the proctor page shows it
        /// (serialised as its name).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
        pub enum ClaimStatus { $($(#[$doc])* #[serde(rename = $s)] $v,)* }

        impl ClaimStatus {
            /// Every status.
            pub const ALL: &'static [ClaimStatus] = &[$(ClaimStatus::$v,)*];
            /// The name, as serialised.
            pub fn as_str(self) -> &'static str {
                match self { $(ClaimStatus::$v => $s,)* }
            }
        }
    };
}

claim_status! {
    /// Checking that the address is free.
    Probing = "probing",
    /// The address is the board's (announced or defended).
    Bound = "bound",
    /// Another host holds the address: it was not taken.
    Refused = "refused",
    /// Given up after repeated conflicts.
    Lost = "lost",
}

impl ClaimStatus {
    /// Another host has the board's address.
    pub fn is_conflict(self) -> bool {
        matches!(self, ClaimStatus::Refused | ClaimStatus::Lost)
    }
}

/// What the proctor page shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LanStatus {
    /// Where the address claim stands.
    pub claim: ClaimStatus,
    /// Seats and findings, the `lan-check` shape.
    #[serde(flatten)]
    pub report: LanReport,
}

/// Shared between [`run`] (writer) and the web server (reader).
#[derive(Debug, Default)]
pub struct MonitorHandle {
    status: Mutex<Option<LanStatus>>,
    rescan: AtomicBool,
    shutdown: AtomicBool,
}

impl MonitorHandle {
    /// A new handle.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }
    /// The latest status (None before the first poll).
    pub fn status(&self) -> Option<LanStatus> {
        self.status.lock().map(|s| s.clone()).unwrap_or(None)
    }
    /// Publishes a status (the service loop does; tests and tools may).
    pub fn publish(&self, status: LanStatus) {
        if let Ok(mut s) = self.status.lock() {
            *s = Some(status);
        }
    }
    /// Has a rescan been asked for and not yet taken up.
    pub fn rescan_pending(&self) -> bool {
        self.rescan.load(Ordering::Relaxed)
    }
    /// Ask for a seat rescan now ("cek semua").
    pub fn rescan(&self) {
        self.rescan.store(true, Ordering::Relaxed);
    }
    /// Ask [`run`] to return.
    pub fn shutdown(&self) {
        self.shutdown.store(true, Ordering::Relaxed);
    }
}

/// The service loop: blocks until [`MonitorHandle::shutdown`]. Never panics on I/O: a socket that
/// cannot be opened or fails is reported in the log and reopened after a growing pause (1-30 s).
pub fn run(iface: &str, config: &LanConfig, timing: MonitorTiming, handle: &MonitorHandle) {
    let start = Instant::now();
    let mut backoff = Duration::from_secs(1);
    let mut monitor: Option<Monitor> = None;
    while !handle.shutdown.load(Ordering::Relaxed) {
        let sock = match PacketSocket::open(iface) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "LAN service cannot open its socket; retrying");
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(Duration::from_secs(30));
                continue;
            }
        };
        backoff = Duration::from_secs(1);
        let m = monitor.get_or_insert_with(|| {
            let seed = u64::from_le_bytes([
                sock.mac().0[0],
                sock.mac().0[1],
                sock.mac().0[2],
                sock.mac().0[3],
                sock.mac().0[4],
                sock.mac().0[5],
                0,
                0,
            ]) ^ start.elapsed().as_nanos() as u64;
            Monitor::new(config, sock.mac(), seed, timing, start.elapsed())
        });
        let mut buf = vec![0u8; 2048];
        let mut last_carrier = Duration::ZERO;
        let mut failures = 0u32;
        let mut published: Option<Duration> = None;
        while !handle.shutdown.load(Ordering::Relaxed) && failures < 10 {
            let now = start.elapsed();
            if now >= last_carrier + Duration::from_secs(1) || last_carrier.is_zero() {
                last_carrier = now.max(Duration::from_millis(1));
                m.set_link(io::carrier(iface).unwrap_or(false));
            }
            if handle.rescan.swap(false, Ordering::Relaxed) {
                m.rescan();
            }
            // What is due now goes out before the wait, so a reply's round-trip time is not
            // stretched by the receive timeout.
            let due = m.poll(now);
            perform(&sock, iface, config, due, &mut failures);
            let wait = m
                .poll_at()
                .saturating_sub(start.elapsed())
                .clamp(Duration::from_millis(1), Duration::from_millis(200));
            match sock.recv(&mut buf, wait) {
                Ok(Some(n)) => {
                    let answer = m.on_frame(start.elapsed(), &buf[..n.min(buf.len())]);
                    perform(&sock, iface, config, answer, &mut failures);
                }
                Ok(None) => {}
                Err(e) => {
                    failures += 1;
                    tracing::warn!(error = %e, "LAN receive failed");
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
            // Publish at most twice a second (a busy LAN delivers many frames).
            let now = start.elapsed();
            if published.is_none_or(|p| now >= p + Duration::from_millis(500)) {
                published = Some(now);
                handle.publish(m.status(iface, now));
            }
        }
        handle.publish(m.status(iface, start.elapsed()));
        if failures >= 10 {
            tracing::error!("LAN socket failing repeatedly; reopening");
            std::thread::sleep(backoff);
        }
    }
}

/// Sends frames and applies address changes; failures are counted, never fatal.
fn perform(
    sock: &PacketSocket,
    iface: &str,
    config: &LanConfig,
    actions: Vec<Action>,
    failures: &mut u32,
) {
    for a in actions {
        let r = match a {
            Action::Send(f) => sock.send(&f),
            Action::Configure => io::apply_address(iface, config.address, config.prefix_len)
                .inspect(|()| {
                    tracing::info!(
                        iface,
                        address = %format!("{}/{}", config.address, config.prefix_len),
                        "LAN address claimed (no other host answered the probes) and set"
                    )
                }),
            Action::Unconfigure => io::remove_address(iface, config.address, config.prefix_len),
        };
        if let Err(e) = r {
            *failures += 1;
            tracing::warn!(error = %e, "LAN action failed");
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn claim_status_serialises_as_its_name() {
        for c in ClaimStatus::ALL {
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
    }

    use super::*;
    use crate::frame::tests::{dhcp_offer, ip, reply, A, B};
    use crate::Finding;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn drive(m: &mut Monitor, from: u64, to: u64) -> Vec<Action> {
        let mut out = vec![];
        let mut t = from;
        while t <= to {
            out.extend(m.poll(ms(t)));
            t += 10;
        }
        out
    }

    #[test]
    fn claims_scans_and_tracks_seats() {
        let cfg = LanConfig::default();
        let mut m = Monitor::new(&cfg, A, 5, MonitorTiming::default(), ms(0));
        let acts = drive(&mut m, 0, 12_000);
        assert!(acts.contains(&Action::Configure));
        assert_eq!(m.claim_state(), ClaimState::Bound);
        let requests = acts
            .iter()
            .filter(
                |a| matches!(a, Action::Send(f) if f[21] == 1 && f[38..42] != [192, 168, 0, 200]),
            )
            .count();
        assert_eq!(requests, 30, "15 seats scanned at t=0 and t=10 s");
        m.on_frame(ms(12_001), &reply(B, ip(4), A, ip(200)));
        let st = m.status("eth0", ms(12_001));
        assert_eq!(st.claim, ClaimStatus::Bound);
        assert!(st.report.seats[3].online);
        assert_eq!(st.report.seats.iter().filter(|s| s.online).count(), 1);
        // Not heard for offline_after: offline.
        m.poll(ms(12_001 + 36_000));
        assert!(!m.status("eth0", ms(48_001)).report.seats[3].online);
    }

    #[test]
    fn refused_then_retried_and_later_conflict_reported() {
        let cfg = LanConfig::default();
        let mut m = Monitor::new(&cfg, A, 5, MonitorTiming::default(), ms(0));
        drive(&mut m, 0, 1500);
        m.on_frame(ms(1500), &reply(B, ip(200), A, ip(0)));
        assert_eq!(m.claim_state(), ClaimState::Refused { mac: B });
        let st = m.status("eth0", ms(1500));
        assert_eq!(st.claim, ClaimStatus::Refused);
        assert_eq!(st.report.conflict.as_ref().unwrap().mac, B);
        // No Configure while refused; after RETRY_INTERVAL it probes again and, free now, binds.
        let acts = drive(&mut m, 1510, 61_000);
        assert!(!acts.contains(&Action::Configure));
        let acts = drive(&mut m, 61_010, 75_000);
        assert!(acts.contains(&Action::Configure));
        assert_eq!(m.claim_state(), ClaimState::Bound);
        // A later conflict: defended (announcement) and reported.
        let acts = m.on_frame(ms(80_000), &reply(B, ip(200), A, ip(200)));
        assert!(acts.is_empty());
        let acts = m.poll(ms(80_000));
        assert!(acts
            .iter()
            .any(|a| matches!(a, Action::Send(f) if f[28..32] == [192, 168, 0, 200])));
        assert!(m.status("eth0", ms(80_000)).report.conflict.is_some());
    }

    #[test]
    fn findings_expire_after_two_windows_and_link() {
        let cfg = LanConfig::default();
        let timing = MonitorTiming::default();
        let mut m = Monitor::new(&cfg, A, 5, timing, ms(0));
        m.on_frame(ms(1), &dhcp_offer(B, Ipv4Addr::new(192, 168, 1, 1), 2));
        let f = m.status("eth0", ms(1)).report.findings;
        assert!(f.contains(&Finding::DhcpServer {
            ip: Ipv4Addr::new(192, 168, 1, 1),
            mac: B
        }));
        drive(&mut m, 0, 121_000);
        assert!(!m.status("eth0", ms(121_000)).report.dhcp_servers.is_empty());
        drive(&mut m, 121_010, 242_000);
        assert!(m.status("eth0", ms(242_000)).report.dhcp_servers.is_empty());
        m.set_link(false);
        let st = m.status("eth0", ms(242_000));
        assert!(!st.report.link_up);
        assert_eq!(st.report.findings, vec![Finding::LinkDown]);
    }

    proptest::proptest! {
        /// The fuzz target's body (firmware/lan/fuzz) as a property: random frames, some of them
        /// mutated real ones, through the whole service never panic.
        #[test]
        fn monitor_never_panics(
            frames in proptest::collection::vec(proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400), 0..20),
            seed in proptest::prelude::any::<u64>(),
        ) {
            let mut m = Monitor::new(&LanConfig::default(), A, seed, MonitorTiming::default(), ms(0));
            for (i, f) in frames.iter().enumerate() {
                let now = ms(i as u64 * 900);
                let _ = m.poll(now);
                let _ = m.on_frame(now, f);
                let mut r = reply(B, ip(200), A, ip(200));
                let n = r.len();
                for (j, b) in f.iter().take(8).enumerate() {
                    r[(j * 7 + usize::from(*b)) % n] = *b;
                }
                let _ = m.on_frame(now, &r);
            }
            let _ = m.status("eth0", ms(60_000)).report.to_json();
        }
    }
}
