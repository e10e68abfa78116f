//! Why the board wants the proctor's attention, from real state.
//!
//! [`attention`] is a pure function of [`Inputs`] (unit-tested); [`Room::health_inputs`] reads
//! them from the system (wall clock, the data directory's filesystem, the store, the LAN
//! service). The panel supervisor ([`crate::panel`]) runs both every 2 s and raises exactly
//! those reasons on the panel; the proctor dashboard lists the panel's reasons, so the LED and
//! the page always agree.

use ruji_panel::Attention;

/// A date every board's clock is past once it has been set: the build date
/// (`SOURCE_DATE_EPOCH` when the build sets it), else the date of this code (2026-11-01 UTC).
pub const BUILD_EPOCH: u64 = match option_env!("SOURCE_DATE_EPOCH") {
    Some(s) => parse_u64(s, 1_793_491_200),
    None => 1_793_491_200,
};

/// Decimal digits to a number at compile time; `fallback` for anything else.
const fn parse_u64(s: &str, fallback: u64) -> u64 {
    let b = s.as_bytes();
    if b.is_empty() {
        return fallback;
    }
    let mut i = 0;
    let mut n: u64 = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            return fallback;
        }
        n = n * 10 + (b[i] - b'0') as u64;
        i += 1;
    }
    n
}

/// Free space is "nearly full" below this many bytes...
pub const DISK_MIN_FREE: u64 = 200 * 1024 * 1024;
/// ...or below this share of the filesystem, in percent...
pub const DISK_MIN_FREE_PERCENT: u64 = 10;
/// ...where the share counts only up to this many bytes: a room's data is megabytes, so 1 GiB
/// free is room enough on any card (10 % of a 256 GB disk would flag 25 GB free as "full").
pub const DISK_SHARE_CAP: u64 = 1024 * 1024 * 1024;

/// Whether `d` is nearly full: under [`DISK_MIN_FREE`], or under [`DISK_MIN_FREE_PERCENT`] of
/// the filesystem capped at [`DISK_SHARE_CAP`].
pub fn disk_nearly_full(d: &Disk) -> bool {
    let share = (u128::from(d.total) * u128::from(DISK_MIN_FREE_PERCENT) / 100)
        .min(u128::from(DISK_SHARE_CAP));
    d.available < DISK_MIN_FREE || u128::from(d.available) < share
}

pub use ruji_sys::Disk;

/// What [`attention`] decides from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Inputs {
    /// The wall clock now, Unix seconds.
    pub wall_now: u64,
    /// [`BUILD_EPOCH`] (a parameter so tests choose it).
    pub build_epoch: u64,
    /// The latest wall time the board saw before this start
    /// ([`ruji_store::Store::last_known_wall`]).
    pub last_known_wall: Option<u64>,
    /// The clock was only put forward to the last saved time at this start and nothing has
    /// confirmed it since ([`crate::Room::clock_guessed`]).
    pub clock_guessed: bool,
    /// Space on the data filesystem; `None` when it could not be read.
    pub disk: Option<Disk>,
    /// Closed sessions with results not exported since ([`ruji_store::Store::results_not_exported`]).
    pub sessions_not_exported: usize,
    /// Closed sessions whose newest result bundle the central server has not acknowledged
    /// ([`crate::Room::results_not_uploaded`]; none without a central server).
    pub sessions_not_uploaded: usize,
    /// The LAN service found another host on the board's address.
    pub address_conflict: bool,
}

/// The attention reasons active for `i`, in [`Attention::ALL`] order.
pub fn attention(i: &Inputs) -> Vec<Attention> {
    let clock_not_set = ruji_core::wallclock::not_set(
        i.wall_now,
        i.build_epoch,
        i.last_known_wall,
        i.clock_guessed,
    );
    let disk_nearly_full = i.disk.as_ref().is_some_and(disk_nearly_full);
    Attention::ALL
        .into_iter()
        .filter(|a| match a {
            Attention::AddressConflict => i.address_conflict,
            Attention::DiskNearlyFull => disk_nearly_full,
            Attention::ClockNotSet => clock_not_set,
            Attention::NotBackedUp => i.sessions_not_exported > 0,
            Attention::ResultsNotUploaded => i.sessions_not_uploaded > 0,
        })
        .collect()
}

impl crate::Room {
    /// Reads the [`Inputs`] from the system (the data directory's file system: none without).
    pub fn health_inputs(&self) -> Inputs {
        let disk =
            self.settings()
                .data_dir
                .as_deref()
                .and_then(|d| match ruji_sys::disk_space(d) {
                    Ok(d) => Some(d),
                    Err(e) => {
                        tracing::debug!(error = %e, "cannot read the data filesystem's free space");
                        None
                    }
                });
        let sessions_not_exported =
            self.results_not_exported()
                .map(|s| s.len())
                .unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "cannot check which results were exported");
                    0
                });
        let sessions_not_uploaded =
            self.results_not_uploaded()
                .map(|s| s.len())
                .unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "cannot check which results were uploaded");
                    0
                });
        let address_conflict = self
            .lan_status()
            .is_some_and(|s| s.claim.is_conflict() || s.report.conflict.is_some());
        Inputs {
            wall_now: self.wall_now_ms() / 1000,
            build_epoch: BUILD_EPOCH,
            last_known_wall: self.store().last_known_wall(),
            clock_guessed: self.clock_guessed(),
            disk,
            sessions_not_exported,
            sessions_not_uploaded,
            address_conflict,
        }
    }

    /// The attention reasons the panel shows now (none without a panel).
    pub fn attention(&self) -> Vec<Attention> {
        self.panel_view().map(|v| v.attention).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_800_000_000;
    const GB: u64 = 1 << 30;

    fn healthy() -> Inputs {
        Inputs {
            wall_now: NOW,
            build_epoch: NOW - 86_400,
            last_known_wall: Some(NOW - 3_600),
            clock_guessed: false,
            disk: Some(Disk {
                available: 20 * GB,
                total: 30 * GB,
            }),
            sessions_not_exported: 0,
            sessions_not_uploaded: 0,
            address_conflict: false,
        }
    }

    #[test]
    fn nothing_when_all_is_well() {
        assert!(attention(&healthy()).is_empty());
        // A new data file and an unreadable disk are not reasons by themselves.
        let i = Inputs {
            last_known_wall: None,
            disk: None,
            ..healthy()
        };
        assert!(attention(&i).is_empty());
    }

    #[test]
    fn clock_not_set_before_the_build_or_the_last_known_time() {
        let before_build = Inputs {
            wall_now: 0,
            last_known_wall: None,
            ..healthy()
        };
        assert_eq!(attention(&before_build), [Attention::ClockNotSet]);
        let went_back = Inputs {
            last_known_wall: Some(NOW + 10),
            ..healthy()
        };
        assert_eq!(attention(&went_back), [Attention::ClockNotSet]);
        let equal = Inputs {
            last_known_wall: Some(NOW),
            build_epoch: NOW,
            ..healthy()
        };
        assert!(attention(&equal).is_empty());
        let guessed = Inputs {
            clock_guessed: true,
            ..healthy()
        };
        assert_eq!(
            attention(&guessed),
            [Attention::ClockNotSet],
            "put forward to the last saved time at this start, not confirmed since"
        );
    }

    #[test]
    fn disk_nearly_full_below_200_mb_or_10_percent_up_to_1_gib() {
        let disk = |available, total| Inputs {
            disk: Some(Disk { available, total }),
            ..healthy()
        };
        assert_eq!(
            attention(&disk(199 << 20, 100 * GB)),
            [Attention::DiskNearlyFull]
        );
        assert!(
            attention(&disk(200 << 20, 1 << 30)).is_empty(),
            "200 MB of 1 GB"
        );
        assert_eq!(
            attention(&disk(799 << 20, 8000 << 20)),
            [Attention::DiskNearlyFull],
            "under 10 % of an 8 GB card"
        );
        assert!(
            attention(&disk(800 << 20, 8000 << 20)).is_empty(),
            "exactly 10 %"
        );
        assert_eq!(
            attention(&disk(GB - 1, 100 * GB)),
            [Attention::DiskNearlyFull],
            "the share is capped at 1 GiB"
        );
        assert!(
            attention(&disk(GB, 252 * GB)).is_empty(),
            "1 GiB free on a large disk is enough"
        );
        assert_eq!(attention(&disk(0, 0)), [Attention::DiskNearlyFull]);
    }

    #[test]
    fn results_not_backed_up_and_conflict_in_the_listed_order() {
        let i = Inputs {
            sessions_not_exported: 2,
            sessions_not_uploaded: 1,
            address_conflict: true,
            wall_now: 5,
            disk: Some(Disk {
                available: 1,
                total: 10,
            }),
            ..healthy()
        };
        assert_eq!(
            attention(&i),
            [
                Attention::AddressConflict,
                Attention::DiskNearlyFull,
                Attention::ClockNotSet,
                Attention::ResultsNotUploaded,
                Attention::NotBackedUp
            ]
        );
    }

    #[test]
    fn build_epoch_parses_digits_only() {
        assert_eq!(parse_u64("1700000000", 7), 1_700_000_000);
        assert_eq!(parse_u64("17x", 7), 7);
        assert_eq!(parse_u64("", 7), 7);
        if option_env!("SOURCE_DATE_EPOCH").is_none() {
            assert_eq!(BUILD_EPOCH, 1_793_491_200);
        }
    }
}
