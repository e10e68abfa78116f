//! The board's wall clock: when it counts as not set, and who may set it to what.
//!
//! A board has no clock battery: after a power cut it starts in 1970 (or at the last time the
//! image saved). Exam time never depends on the wall clock (the exam clock is monotonic), but
//! the event log's times, the results' dates and the TLS check of the central server do. These
//! rules decide, from plain numbers:
//!
//! - [`not_set`]: the clock reads earlier than this build, or earlier than the latest time the
//!   board is known to have seen, or it was only guessed at this start (put forward to the last
//!   time the board saved, the image's `ruji-clock`) and no source has confirmed it since: it
//!   was not set since the board started.
//! - [`decide`]: whether a new time from a source is taken. A time before this build or after
//!   2100 is refused from anyone. A trusted source (NTP, the central server) corrects the clock
//!   in either direction, at any time, when it is off by [`MIN_CORRECTION_MS`] or more. The
//!   proctor's browser sets it only while it is [`not_set`]: school PCs' clocks are often
//!   wrong, and a set clock must not be moved by one of them; the proctor checks the time shown
//!   before confirming.
//!
//! Moving the clock during a session is safe for the exam: remaining times, time-outs, the
//! token's rotation and lock-outs all run on the exam clock. What moves is the wall time written
//! beside each audit entry from then on; every change is itself audited with both times, so a
//! report can tell entries before it from entries after it.

/// A correction smaller than this (2 s) is not made: it would only add an audit entry.
pub const MIN_CORRECTION_MS: u64 = 2_000;
/// No time at or after this (2100-01-01 00:00 UTC) is taken.
pub const LATEST_MS: u64 = 4_102_444_800_000;

/// Whether the wall clock `now` (Unix seconds) counts as not set: earlier than `build_epoch` or
/// than `last_known` (the latest wall time recorded before this start), or `guessed`: at this
/// start it was put forward to the last time saved before the power went (a board without a
/// clock battery), so it lags by as long as the board was off, and nothing (a trusted source,
/// the proctor) has confirmed it since.
pub fn not_set(now: u64, build_epoch: u64, last_known: Option<u64>, guessed: bool) -> bool {
    guessed || now < build_epoch || last_known.is_some_and(|k| now < k)
}

/// Where a new time comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    /// NTP or the central server: correct at any time.
    Trusted,
    /// The proctor's browser: only while the clock is not set.
    Browser,
}

/// Why a new time is not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Before this build or after 2100: it cannot be right.
    OutOfRange,
    /// The clock is set already; a browser does not move it.
    AlreadySet,
    /// A browser's time earlier than a time the board knows has passed (the last time it saw,
    /// or the time it was put forward to at this start): the computer's clock is behind.
    BeforeKnown,
}

/// Whether to set the clock reading `now_ms` to `to_ms` from a source of `trust`, given that
/// the clock is `not_set` ([`not_set`]), this build's date `build_epoch` (seconds) and
/// `known_ms`, the latest time the board knows has passed (the last time it saw before this
/// start, or the time it was put forward to at this start and has run on from; 0 when none):
/// `Ok(true)` to set, `Ok(false)` when it is right already (within [`MIN_CORRECTION_MS`]).
///
/// A browser may not set a time earlier than `known_ms` (by [`MIN_CORRECTION_MS`] or more):
/// that computer's clock is behind. A trusted source may (it corrects a wrong saved time).
pub fn decide(
    now_ms: u64,
    to_ms: u64,
    build_epoch: u64,
    not_set: bool,
    known_ms: u64,
    trust: Trust,
) -> Result<bool, Refusal> {
    if to_ms < build_epoch.saturating_mul(1000) || to_ms >= LATEST_MS {
        return Err(Refusal::OutOfRange);
    }
    if trust == Trust::Browser {
        if !not_set {
            return Err(Refusal::AlreadySet);
        }
        if to_ms.saturating_add(MIN_CORRECTION_MS) <= known_ms {
            return Err(Refusal::BeforeKnown);
        }
    }
    Ok(now_ms.abs_diff(to_ms) >= MIN_CORRECTION_MS)
}

/// Indonesia's three time zones, in which the board's pages and printables show wall times
/// (ruji.toml `[school] time_zone`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Zone {
    /// Waktu Indonesia Barat, UTC+7 (the default).
    #[default]
    Wib,
    /// Waktu Indonesia Tengah, UTC+8.
    Wita,
    /// Waktu Indonesia Timur, UTC+9.
    Wit,
}

impl Zone {
    /// Minutes east of UTC.
    pub fn minutes(self) -> i64 {
        match self {
            Zone::Wib => 420,
            Zone::Wita => 480,
            Zone::Wit => 540,
        }
    }

    /// `WIB`, `WITA` or `WIT`.
    pub fn name(self) -> &'static str {
        match self {
            Zone::Wib => "WIB",
            Zone::Wita => "WITA",
            Zone::Wit => "WIT",
        }
    }

    /// The zone named `WIB`, `WITA` or `WIT` (any case).
    pub fn parse(s: &str) -> Option<Zone> {
        match s.trim().to_ascii_uppercase().as_str() {
            "WIB" => Some(Zone::Wib),
            "WITA" => Some(Zone::Wita),
            "WIT" => Some(Zone::Wit),
            _ => None,
        }
    }

    /// `YYYY-MM-DD HH:MM:SS WIB` (the zone's name after it) for `secs` since 1970.
    pub fn format_named(self, secs: u64) -> String {
        format!("{} {}", self.format(secs), self.name())
    }

    /// `YYYY-MM-DD HH:MM:SS` in this zone for `secs` since 1970 (no zone name).
    pub fn format(self, secs: u64) -> String {
        let local = secs as i64 + self.minutes() * 60;
        let (y, m, d) = crate::package::civil_from_days(local.div_euclid(86_400));
        let t = local.rem_euclid(86_400);
        format!(
            "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
            t / 3600,
            t % 3600 / 60,
            t % 60
        )
    }
}

/// Wall times (Unix seconds) before this (2020-01-01 00:00 UTC) are a clock that was not set:
/// no board ran Ruji then.
pub const PLAUSIBLE_SECS: u64 = 1_577_836_800;

/// A local date and time as a browser's `datetime-local` field sends it (`YYYY-MM-DDTHH:MM`,
/// seconds optional, a space for the `T` accepted) in the zone `zone_minutes` east of UTC (WIB
/// 420): milliseconds since 1970.
pub fn parse_local(s: &str, zone_minutes: i64) -> Option<u64> {
    let s = s.trim();
    let (date, time) = s.split_once(['T', ' '])?;
    let (y, m, d) = crate::package::parse_date(date)?;
    let mut parts = time.split(':');
    let mut next = |max: i64| -> Option<i64> {
        let p = parts.next()?;
        let v: i64 = p.parse().ok().filter(|_| p.len() == 2)?;
        (v < max).then_some(v)
    };
    let (h, mi) = (next(24)?, next(60)?);
    let sec = match time.matches(':').count() {
        1 => 0,
        2 => next(60)?,
        _ => return None,
    };
    let days = crate::package::days_from_civil(i64::from(y), u32::from(m), u32::from(d));
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec - zone_minutes * 60;
    u64::try_from(secs).ok().map(|s| s * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUILD: u64 = 1_793_491_200; // 2026-11-01
    const DEC7: u64 = 1_796_601_600_000; // 2026-12-07 00:00 UTC, ms

    #[test]
    fn wall_times_shown_in_each_zone() {
        let secs = DEC7 / 1000 + 3_723; // 01:02:03 UTC
        assert_eq!(Zone::Wib.format(secs), "2026-12-07 08:02:03");
        assert_eq!(Zone::Wita.format(secs), "2026-12-07 09:02:03");
        assert_eq!(Zone::Wit.format(secs), "2026-12-07 10:02:03");
        // Across midnight, and the zone round-trips through its name and parse_local.
        assert_eq!(Zone::Wib.format(DEC7 / 1000 - 1), "2026-12-07 06:59:59");
        for z in [Zone::Wib, Zone::Wita, Zone::Wit] {
            assert_eq!(Zone::parse(&z.name().to_lowercase()), Some(z));
            assert_eq!(parse_local(&z.format(secs), z.minutes()), Some(secs * 1000));
        }
        assert_eq!(Zone::parse("UTC"), None);
    }

    #[test]
    fn a_local_time_in_wib_wita_or_wit() {
        // 2026-12-07 07:00 WIB is 00:00 UTC.
        assert_eq!(parse_local("2026-12-07T07:00", 420), Some(DEC7));
        assert_eq!(parse_local("2026-12-07 08:00:30", 480), Some(DEC7 + 30_000));
        assert_eq!(parse_local("2026-12-07T09:00:00", 540), Some(DEC7));
        for bad in [
            "",
            "2026-12-07",
            "2026-12-07T7:00",
            "2026-12-07T24:00",
            "2026-13-01T07:00",
            "2026-12-07T07:00:00:00",
            "x",
        ] {
            assert_eq!(parse_local(bad, 420), None, "{bad}");
        }
    }

    #[test]
    fn not_set_before_the_build_or_the_last_known_time() {
        assert!(not_set(0, BUILD, None, false), "1970");
        assert!(not_set(BUILD - 1, BUILD, None, false));
        assert!(!not_set(BUILD, BUILD, None, false));
        assert!(
            not_set(BUILD + 10, BUILD, Some(BUILD + 11), false),
            "went back"
        );
        assert!(!not_set(BUILD + 11, BUILD, Some(BUILD + 11), false));
    }

    #[test]
    fn a_clock_put_forward_to_the_last_saved_time_is_not_set_until_confirmed() {
        assert!(
            not_set(BUILD + 11, BUILD, Some(BUILD + 11), true),
            "restored from the saved time: it lags by the time the board was off"
        );
        assert!(not_set(BUILD + 500, BUILD, None, true));
    }

    #[test]
    fn a_time_before_the_build_or_after_2100_is_refused_from_anyone() {
        for trust in [Trust::Trusted, Trust::Browser] {
            assert_eq!(
                decide(0, 0, BUILD, true, 0, trust),
                Err(Refusal::OutOfRange)
            );
            assert_eq!(
                decide(0, BUILD * 1000 - 1, BUILD, true, 0, trust),
                Err(Refusal::OutOfRange)
            );
            assert_eq!(
                decide(0, LATEST_MS, BUILD, true, 0, trust),
                Err(Refusal::OutOfRange)
            );
            assert_eq!(decide(0, DEC7, BUILD, true, 0, trust), Ok(true));
        }
    }

    #[test]
    fn a_browser_does_not_set_a_time_before_one_the_board_knows_has_passed() {
        // Put forward to DEC7 at this start (a guess): a computer 3 h behind is refused, one a
        // second behind or later is taken; a trusted source may go back.
        let known = DEC7;
        assert_eq!(
            decide(
                DEC7,
                DEC7 - 3 * 3_600_000,
                BUILD,
                true,
                known,
                Trust::Browser
            ),
            Err(Refusal::BeforeKnown)
        );
        assert_eq!(
            decide(DEC7, DEC7 - 1_000, BUILD, true, known, Trust::Browser),
            Ok(false)
        );
        assert_eq!(
            decide(DEC7, DEC7 + 3_600_000, BUILD, true, known, Trust::Browser),
            Ok(true)
        );
        assert_eq!(
            decide(
                DEC7,
                DEC7 - 3 * 3_600_000,
                BUILD,
                true,
                known,
                Trust::Trusted
            ),
            Ok(true)
        );
    }

    #[test]
    fn a_browser_sets_only_a_clock_that_is_not_set() {
        assert_eq!(
            decide(5_000, DEC7, BUILD, true, 0, Trust::Browser),
            Ok(true)
        );
        assert_eq!(
            decide(DEC7 + 3_600_000, DEC7, BUILD, false, 0, Trust::Browser),
            Err(Refusal::AlreadySet),
            "a PC an hour behind does not move a set clock"
        );
    }

    #[test]
    fn a_trusted_source_corrects_either_way_but_not_by_less_than_two_seconds() {
        assert_eq!(
            decide(DEC7 + 3_600_000, DEC7, BUILD, false, 0, Trust::Trusted),
            Ok(true)
        );
        assert_eq!(
            decide(DEC7 - 60_000, DEC7, BUILD, false, 0, Trust::Trusted),
            Ok(true)
        );
        assert_eq!(
            decide(DEC7 + 1_999, DEC7, BUILD, false, 0, Trust::Trusted),
            Ok(false)
        );
        assert_eq!(
            decide(DEC7 - 1_999, DEC7, BUILD, false, 0, Trust::Trusted),
            Ok(false)
        );
        assert_eq!(
            decide(DEC7 - 2_000, DEC7, BUILD, false, 0, Trust::Trusted),
            Ok(true)
        );
    }
}
