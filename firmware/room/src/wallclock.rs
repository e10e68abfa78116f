//! The board's wall clock: reading it, and setting it from a source ([`ClockSource`]) under the
//! rules of [`ruji_core::wallclock`], audited with both times.
//!
//! The clock itself is behind [`WallClock`]: [`System`] on a board (setting it needs
//! `CAP_SYS_TIME`, which `ruji serve` keeps), [`Simulated`] in tests and for
//! `ruji serve --wall-clock-at` (a board's 1970 start shown on a PC, without touching the PC's
//! clock).

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use ruji_core::wallclock::{self as rules, Trust};
use ruji_store::{Action, Actor};

use crate::health::BUILD_EPOCH;
use crate::{Result, Room, RoomError};

/// A wall clock that can be read and set.
pub trait WallClock: Send + Sync {
    /// Milliseconds since 1970 (0 when earlier).
    fn now_ms(&self) -> u64;
    /// Sets it to `unix_ms`.
    fn set(&self, unix_ms: u64) -> std::io::Result<()>;
}

/// The operating system's clock (`CLOCK_REALTIME`).
pub struct System;

impl WallClock for System {
    fn now_ms(&self) -> u64 {
        (ruji_sys::unix_nanos() / 1_000_000) as u64
    }
    fn set(&self, unix_ms: u64) -> std::io::Result<()> {
        ruji_sys::set_wall_clock(unix_ms)
    }
}

/// A clock that runs with the system's from a chosen start; setting it moves only it.
pub struct Simulated {
    offset_ms: AtomicI64,
}

impl Simulated {
    /// A clock that reads `unix_ms` now.
    pub fn at(unix_ms: u64) -> Simulated {
        let s = Simulated {
            offset_ms: AtomicI64::new(0),
        };
        s.set(unix_ms).expect("a simulated clock is always set");
        s
    }
}

impl WallClock for Simulated {
    fn now_ms(&self) -> u64 {
        let real = System.now_ms() as i64;
        (real + self.offset_ms.load(Ordering::Relaxed)).max(0) as u64
    }
    fn set(&self, unix_ms: u64) -> std::io::Result<()> {
        let real = System.now_ms() as i64;
        self.offset_ms
            .store(unix_ms as i64 - real, Ordering::Relaxed);
        Ok(())
    }
}

/// Where a new time comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClockSource {
    /// An NTP server on the WAN.
    Ntp {
        /// Its name or address.
        server: String,
    },
    /// The central server: its signed time, or the date of its HTTPS answer.
    Central {
        /// Its address.
        url: String,
        /// Signed with a trusted issuer's key (else: the date of a TLS-checked answer).
        signed: bool,
    },
    /// The proctor's browser, on the dashboard.
    Proctor {
        /// The browser's address.
        client: String,
    },
}

impl ClockSource {
    fn trust(&self) -> Trust {
        match self {
            ClockSource::Proctor { .. } => Trust::Browser,
            _ => Trust::Trusted,
        }
    }

    /// Who set it, for the audit entry and the log.
    pub fn describe(&self) -> String {
        match self {
            ClockSource::Ntp { server } => format!("NTP server {server}"),
            ClockSource::Central { url, signed: true } => {
                format!("central server {url} (signed time)")
            }
            ClockSource::Central { url, signed: false } => {
                format!("central server {url} (HTTPS date)")
            }
            ClockSource::Proctor { client } => format!("the proctor's browser at {client}"),
        }
    }
}

/// How often the clock keeper asks while the clock is not set.
pub const ASK_EVERY: Duration = Duration::from_secs(30);
/// A signed time whose exchange took longer than this is not used (it may be that far off).
pub const MAX_ROUND_TRIP: Duration = Duration::from_secs(10);

/// A change of the wall clock that was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockChange {
    /// What it read before, ms since 1970.
    pub from_ms: u64,
    /// What it was set to.
    pub to_ms: u64,
}

/// `YYYY-MM-DD HH:MM:SS UTC` of `unix_ms`.
pub fn utc(unix_ms: u64) -> String {
    let secs = unix_ms / 1000;
    let (y, m, d) = ruji_core::package::civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

impl Room {
    /// The wall clock now, ms since 1970.
    pub fn wall_now_ms(&self) -> u64 {
        self.settings().wall_clock.now_ms()
    }

    /// The wall clock in Unix seconds when it is set ([`Room::clock_not_set`]), else `None`.
    pub fn wall_secs_if_set(&self) -> Option<u64> {
        (!self.clock_not_set()).then(|| self.wall_now_ms() / 1000)
    }

    /// Whether the wall clock counts as not set ([`ruji_core::wallclock::not_set`]).
    pub fn clock_not_set(&self) -> bool {
        rules::not_set(
            self.wall_now_ms() / 1000,
            BUILD_EPOCH,
            self.store().last_known_wall(),
            self.clock_guessed(),
        )
    }

    /// The clock was put forward to the last saved time at this start
    /// ([`Settings::clock_guess_mark`](crate::Settings::clock_guess_mark)) and no source has
    /// confirmed it since: it lags by as long as the board was off.
    pub fn clock_guessed(&self) -> bool {
        self.settings().clock_guess_mark.is_some()
            && !self.0.clock_confirmed.load(Ordering::Relaxed)
    }

    /// A source set the clock or found it right: it is no longer a guess.
    fn clock_confirmed(&self) {
        if self.0.clock_confirmed.swap(true, Ordering::Relaxed) {
            return;
        }
        if let Some(mark) = &self.settings().clock_guess_mark {
            if let Err(e) = std::fs::remove_file(mark) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(error = %e, path = %mark.display(), "cannot remove the clock's guess mark");
                }
            }
        }
    }

    /// Sets the wall clock to `to_ms` from `source` when the rules take it
    /// ([`ruji_core::wallclock::decide`]): `None` when it was right already. The change is
    /// audited with both times and its source; the exam clock does not move.
    pub async fn set_wall_clock(
        &self,
        to_ms: u64,
        source: ClockSource,
    ) -> Result<Option<ClockChange>> {
        // One setting at a time: the check and the setting go together (a browser's time
        // checked while NTP's is being set must not overwrite it).
        let _one = self.0.clock_setting.lock().await;
        let clock = &self.settings().wall_clock;
        let from_ms = clock.now_ms();
        // The latest time known to have passed: the last one seen before this start, or the
        // guess this start was put forward to, which has run on since.
        let known_ms = self
            .store()
            .last_known_wall()
            .unwrap_or(0)
            .saturating_mul(1000)
            .max(if self.clock_guessed() { from_ms } else { 0 });
        let take = rules::decide(
            from_ms,
            to_ms,
            BUILD_EPOCH,
            self.clock_not_set(),
            known_ms,
            source.trust(),
        )
        .map_err(RoomError::Clock)?;
        if !take {
            // Right already: a source that was asked agrees with a guessed clock.
            self.clock_confirmed();
            return Ok(None);
        }
        if let Err(e) = clock.set(to_ms) {
            tracing::error!(error = %e, "cannot set the wall clock");
            return Err(RoomError::ClockFailed(e.to_string()));
        }
        self.clock_confirmed();
        let who = source.describe();
        tracing::info!(from = %utc(from_ms), to = %utc(to_ms), source = %who, "wall clock set");
        let actor = match &source {
            ClockSource::Proctor { .. } => Actor::Proctor,
            _ => Actor::System,
        };
        self.store()
            .audit_event(
                actor,
                Action::ClockSet,
                format!("from {} to {} by {who}", utc(from_ms), utc(to_ms)),
            )
            .await?;
        Ok(Some(ClockChange { from_ms, to_ms }))
    }
}

/// How long one NTP server may take to answer.
pub const NTP_WAIT: Duration = Duration::from_secs(5);

/// Asks one NTP server (`name` or `name:port`, port 123 by default) for the time, over SNTP
/// (RFC 4330): its transmit time plus half the round trip, ms since 1970.
pub async fn ntp_time(server: &str) -> std::result::Result<u64, String> {
    let with_port = if server.contains(':') {
        server.to_string()
    } else {
        format!("{server}:123")
    };
    let ask = async {
        let addr = tokio::net::lookup_host(&with_port)
            .await
            .map_err(|e| format!("cannot find {server}: {e}"))?
            .find(std::net::SocketAddr::is_ipv4)
            .ok_or_else(|| format!("{server} has no IPv4 address"))?;
        let socket = tokio::net::UdpSocket::bind("0.0.0.0:0")
            .await
            .map_err(|e| e.to_string())?;
        let socket = sntpc_net_tokio::UdpSocketWrapper::from(socket);
        let context = sntpc::NtpContext::new(sntpc::StdTimestampGen::default());
        let r = sntpc::get_time(addr, &socket, context)
            .await
            .map_err(|e| format!("{server}: {e:?}"))?;
        let fraction_ms = (u64::from(r.sec_fraction()) * 1000) >> 32;
        Ok(r.sec() * 1000 + fraction_ms + r.roundtrip() / 2000)
    };
    tokio::time::timeout(NTP_WAIT, ask)
        .await
        .unwrap_or_else(|_| {
            Err(format!(
                "{server}: no answer within {} s",
                NTP_WAIT.as_secs()
            ))
        })
}

impl Room {
    /// The central server's signed time: signed by an issuer this board trusts, for the nonce
    /// it sent, back within [`MAX_ROUND_TRIP`] (half the round trip is added).
    async fn central_time(&self) -> std::result::Result<(u64, ClockSource), String> {
        let client = match &self.settings().central {
            Some(Ok(c)) => c.clone(),
            Some(Err(e)) => return Err(e.clone()),
            None => return Err("no central server is set in ruji.toml".into()),
        };
        let nonce = format!("{:032x}", rand::random::<u128>());
        let (t, rtt) = client
            .signed_time(&nonce)
            .await
            .map_err(|e| e.to_string())?;
        if rtt > MAX_ROUND_TRIP {
            return Err(format!("the answer took {} ms", rtt.as_millis()));
        }
        if !self.trusted_keys().contains(&t.issuer) {
            return Err("the time is signed by an issuer this board does not trust".into());
        }
        ruji_package::verify_signature(
            &t.issuer,
            &ruji_sync::time_message(&nonce, t.unix_ms),
            &t.signature,
        )
        .map_err(|e| format!("the time's signature is wrong: {e}"))?;
        let source = ClockSource::Central {
            url: client.url().to_string(),
            signed: true,
        };
        Ok((t.unix_ms + (rtt.as_millis() / 2) as u64, source))
    }

    /// Sets the clock from the WAN: every NTP server of the settings and the central server's
    /// signed time are asked at once, and the first good answer is taken. `Ok(None)`: it was
    /// right; `Err` with every source's reason when none answered.
    pub async fn clock_from_wan(&self) -> std::result::Result<Option<ClockChange>, String> {
        let mut asks = tokio::task::JoinSet::new();
        for server in self.settings().ntp_servers.clone() {
            asks.spawn(async move {
                let ms = ntp_time(&server).await?;
                Ok((ms, ClockSource::Ntp { server }))
            });
        }
        if self.settings().central.is_some() {
            let room = self.clone();
            asks.spawn(async move { room.central_time().await });
        }
        let mut reasons = vec![];
        while let Some(r) = asks.join_next().await {
            match r {
                Ok(Ok((to, source))) => {
                    asks.abort_all();
                    return self
                        .set_wall_clock(to, source)
                        .await
                        .map_err(|e| e.to_string());
                }
                Ok(Err(why)) => reasons.push(why),
                Err(e) => reasons.push(e.to_string()),
            }
        }
        if reasons.is_empty() {
            return Err("no NTP server and no central server to ask".into());
        }
        Err(reasons.join("; "))
    }

    /// Before a request to the central server: a clock that is not set is set first from the
    /// server's signed time, so that the request's certificate check (at the board's clock, D28)
    /// passes at once. The proctor who presses "fetch from the central server" on a board that
    /// just came back from a power cut gets the key, not "certificate refused" until the clock
    /// keeper's next round. Returns whether the clock is set after it.
    pub async fn clock_before_central(&self) -> bool {
        if !self.clock_not_set() {
            return true;
        }
        match self.central_time().await {
            Ok((to, source)) => {
                if let Err(e) = self.set_wall_clock(to, source).await {
                    tracing::warn!(error = %e, "clock not set from the central server's time");
                }
            }
            Err(e) => tracing::info!(error = %e, "clock not set from the central server yet"),
        }
        !self.clock_not_set()
    }

    /// The clock keeper (`ruji serve` runs it for the board's life): while the wall clock is
    /// not set, asks the WAN ([`Room::clock_from_wan`]) every [`ASK_EVERY`]; the proctor's page
    /// can set it meanwhile. Nothing to do without NTP servers and a central server.
    pub async fn clock_keeper(self) {
        if self.settings().ntp_servers.is_empty() && self.settings().central.is_none() {
            return;
        }
        loop {
            if self.clock_not_set() {
                if let Err(e) = self.clock_from_wan().await {
                    tracing::info!(error = %e, "clock not set from the WAN yet");
                }
            }
            tokio::time::sleep(ASK_EVERY).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_796_601_600_000), "2026-12-07 00:00:00 UTC");
        assert_eq!(utc(951_782_400_000 + 3_723_000), "2000-02-29 01:02:03 UTC");
    }

    #[test]
    fn a_simulated_clock_moves_with_time_and_is_set_alone() {
        let s = Simulated::at(5_000);
        assert!((5_000..6_000).contains(&s.now_ms()));
        s.set(1_796_601_600_000).unwrap();
        assert!((1_796_601_600_000..1_796_601_601_000).contains(&s.now_ms()));
    }
}
