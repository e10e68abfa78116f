//! The gesture recogniser: raw button levels with timestamps in, [`Gesture`]s out.
//!
//! Pure logic with a caller-owned clock ([`Millis`]), like the pattern engine. Feed every raw
//! level change with [`Recogniser::input`], call [`Recogniser::tick`] at
//! [`Recogniser::next_deadline`] (or any later time), and act on what they return.
//!
//! Debounce is by stability: a raw level counts only once it has stayed unchanged for
//! [`GestureConfig::debounce_ms`]. A spike or bounce shorter than that is ignored, whichever
//! direction it goes, so a glitch can neither start nor end a hold. Durations are measured from
//! the raw edge that stuck (the last bounce), so the hold is reported
//! [`GestureConfig::hold_ms`] after the contact closed for good, while the button is still held.
//!
//! | what the person does | gesture |
//! |---|---|
//! | press and release within `press_max_ms` (default 1 s) | [`Gesture::Confirm`] on release |
//! | hold for `hold_ms` (default 3 s) | [`Gesture::Shutdown`] at the 3 s mark, still held |
//! | hold from before Ruji starts until `boot_hold_ms` after it starts | [`Gesture::Recovery`] |
//! | release between `press_max_ms` and `hold_ms` | nothing (changed one's mind) |
//!
//! One press gives at most one gesture; after a hold or recovery, the release does nothing.

use serde::Serialize;

use crate::pattern::Millis;

/// Timing of the gestures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GestureConfig {
    /// A raw level must be stable this long to count.
    pub debounce_ms: Millis,
    /// Longest press that still counts as a confirming press.
    pub press_max_ms: Millis,
    /// A press held this long is a shutdown request.
    pub hold_ms: Millis,
    /// A press that was already down when the recogniser started and is still down this long
    /// after is a recovery request.
    pub boot_hold_ms: Millis,
}

impl Default for GestureConfig {
    fn default() -> Self {
        GestureConfig {
            debounce_ms: 30,
            press_max_ms: 1000,
            hold_ms: 3000,
            boot_hold_ms: 1000,
        }
    }
}

/// What the person asked for with the button.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Gesture {
    /// Short press: confirm the action that the proctor page is waiting for, if any.
    Confirm,
    /// Held for 3 s: safe shutdown.
    Shutdown,
    /// Held while the board powered on: recovery (reset proctor password and LAN settings).
    Recovery,
}

impl Gesture {
    /// Stable identifier for logs and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Gesture::Confirm => "confirm",
            Gesture::Shutdown => "shutdown",
            Gesture::Recovery => "recovery",
        }
    }
}

/// Where the current (debounced) press is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Released.
    Idle,
    /// Pressed after start; may still become a confirm or a shutdown.
    Pressed,
    /// Pressed since before start; may become a recovery.
    HeldAtStart,
    /// Pressed, but this press has given its gesture (or can give none): wait for release.
    Spent,
}

/// The recogniser. See the module documentation.
#[derive(Clone, Debug)]
pub struct Recogniser {
    cfg: GestureConfig,
    /// When the recogniser started (the reference for [`GestureConfig::boot_hold_ms`]).
    start: Millis,
    /// Latest time seen; time never goes backwards inside.
    now: Millis,
    /// Last raw level reported, and when it last changed.
    raw: bool,
    raw_since: Millis,
    /// Debounced level, and the time of the raw edge that led to it.
    stable: bool,
    stable_since: Millis,
    phase: Phase,
}

impl Recogniser {
    /// A recogniser started at `now`, with the button's level at that moment (`true` = pressed,
    /// as read from the device when it was opened).
    pub fn new(cfg: GestureConfig, now: Millis, initially_pressed: bool) -> Recogniser {
        Recogniser {
            cfg,
            start: now,
            now,
            raw: initially_pressed,
            raw_since: now,
            stable: initially_pressed,
            stable_since: now,
            phase: if initially_pressed {
                Phase::HeldAtStart
            } else {
                Phase::Idle
            },
        }
    }

    /// The configuration.
    pub fn config(&self) -> GestureConfig {
        self.cfg
    }

    /// Whether the button is down, debounced.
    pub fn is_pressed(&self) -> bool {
        self.stable
    }

    /// A raw level reported by the device at `at`. Returns a gesture that became due up to `at`
    /// (before this level is taken into account).
    pub fn input(&mut self, at: Millis, pressed: bool) -> Option<Gesture> {
        let gesture = self.tick(at);
        let at = self.now;
        if pressed != self.raw {
            self.raw = pressed;
            self.raw_since = at;
        }
        gesture
    }

    /// Advances time to `now`; returns a gesture that became due, if any.
    pub fn tick(&mut self, now: Millis) -> Option<Gesture> {
        let now = now.max(self.now);
        self.now = now;
        if self.raw != self.stable {
            let settles = self.raw_since + self.cfg.debounce_ms;
            if settles <= now {
                if let Some(g) = self.settle() {
                    return Some(g);
                }
            } else {
                // A pending change: nothing else can be due until it settles or is withdrawn.
                return None;
            }
        }
        match self.hold_deadline() {
            Some((deadline, gesture)) if deadline <= now => {
                self.phase = Phase::Spent;
                Some(gesture)
            }
            _ => None,
        }
    }

    /// The next time at which [`Recogniser::tick`] may return a gesture or change state, if any.
    pub fn next_deadline(&self) -> Option<Millis> {
        if self.raw != self.stable {
            Some(self.raw_since + self.cfg.debounce_ms)
        } else {
            self.hold_deadline().map(|(d, _)| d)
        }
    }

    /// The raw level has been stable long enough: make it the debounced level.
    fn settle(&mut self) -> Option<Gesture> {
        let edge = self.raw_since;
        self.stable = self.raw;
        let held_from = self.stable_since;
        self.stable_since = edge;
        if self.stable {
            self.phase = Phase::Pressed;
            None
        } else {
            let was = std::mem::replace(&mut self.phase, Phase::Idle);
            let held = edge.saturating_sub(held_from);
            (was == Phase::Pressed && held <= self.cfg.press_max_ms).then_some(Gesture::Confirm)
        }
    }

    /// While pressed (raw and debounced), when the current press turns into a gesture.
    fn hold_deadline(&self) -> Option<(Millis, Gesture)> {
        if !(self.stable && self.raw) {
            return None;
        }
        match self.phase {
            Phase::Pressed => Some((self.stable_since + self.cfg.hold_ms, Gesture::Shutdown)),
            Phase::HeldAtStart => Some((self.start + self.cfg.boot_hold_ms, Gesture::Recovery)),
            Phase::Idle | Phase::Spent => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a recogniser over `(time, pressed)` raw events, ticking at every deadline, until
    /// `end`; returns the gestures with the time they were reported.
    fn run(
        initially_pressed: bool,
        events: &[(Millis, bool)],
        end: Millis,
    ) -> Vec<(Millis, Gesture)> {
        let mut r = Recogniser::new(GestureConfig::default(), 0, initially_pressed);
        let mut out = Vec::new();
        let mut events = events.iter().copied().peekable();
        loop {
            let next_event = events.peek().map(|e| e.0);
            let next_tick = r.next_deadline();
            let t = match (next_event, next_tick) {
                (Some(e), Some(d)) => e.min(d),
                (Some(e), None) => e,
                (None, Some(d)) => d,
                (None, None) => break,
            };
            if t > end {
                break;
            }
            if next_event == Some(t) {
                let (_, pressed) = events.next().unwrap();
                if let Some(g) = r.input(t, pressed) {
                    out.push((t, g));
                }
            } else if let Some(g) = r.tick(t) {
                out.push((t, g));
            }
        }
        if let Some(g) = r.tick(end) {
            out.push((end, g));
        }
        out
    }

    /// A press at `down` released at `up`, with `bounces` raw toggles 2 ms apart on both edges.
    fn bouncy(down: Millis, up: Millis, bounces: usize) -> Vec<(Millis, bool)> {
        let mut v = Vec::new();
        for i in 0..=bounces * 2 {
            v.push((down + 2 * i as Millis, i % 2 == 0));
        }
        for i in 0..=bounces * 2 {
            v.push((up + 2 * i as Millis, i % 2 != 0));
        }
        v
    }

    #[test]
    fn short_press_confirms_on_release() {
        let g = run(false, &[(1000, true), (1200, false)], 10_000);
        assert_eq!(g, vec![(1230, Gesture::Confirm)]);
    }

    #[test]
    fn bouncing_contacts_give_one_confirm() {
        let g = run(false, &bouncy(1000, 1300, 5), 10_000);
        assert_eq!(g.len(), 1, "{g:?}");
        assert_eq!(g[0].1, Gesture::Confirm);
        // Settles debounce_ms after the last bounce of the release.
        assert_eq!(g[0].0, 1300 + 20 + 30);
    }

    #[test]
    fn glitch_shorter_than_debounce_is_ignored() {
        assert!(run(false, &[(500, true), (510, false)], 10_000).is_empty());
        // A glitch while held does not end the hold.
        let g = run(
            false,
            &[(0, true), (1500, false), (1510, true), (6000, false)],
            10_000,
        );
        assert_eq!(g, vec![(3000, Gesture::Shutdown)]);
    }

    #[test]
    fn hold_is_reported_at_three_seconds_while_still_held() {
        let g = run(false, &[(2000, true)], 60_000);
        assert_eq!(g, vec![(5000, Gesture::Shutdown)]);
        // The release after a hold gives nothing more.
        let g = run(false, &[(2000, true), (9000, false)], 60_000);
        assert_eq!(g, vec![(5000, Gesture::Shutdown)]);
        // Bouncy press: measured from the last bounce (the edge that stuck), 12 ms in.
        let g = run(false, &bouncy(2000, 8000, 3), 60_000);
        assert_eq!(g, vec![(5012, Gesture::Shutdown)]);
    }

    #[test]
    fn release_between_press_and_hold_gives_nothing() {
        assert!(run(false, &[(0, true), (1500, false)], 10_000).is_empty());
        assert!(run(false, &[(0, true), (2990, false)], 10_000).is_empty());
        // Released 10 ms before the mark: the pending release wins over the hold deadline.
        assert!(run(false, &[(100, true), (3090, false)], 10_000).is_empty());
    }

    #[test]
    fn longest_confirming_press_is_press_max() {
        let g = run(false, &[(0, true), (1000, false)], 10_000);
        assert_eq!(g, vec![(1030, Gesture::Confirm)]);
        assert!(run(false, &[(0, true), (1001, false)], 10_000).is_empty());
    }

    #[test]
    fn held_at_power_on_is_recovery_only() {
        // Held from before start, kept down: recovery at boot_hold_ms, and no shutdown later.
        let g = run(true, &[], 60_000);
        assert_eq!(g, vec![(1000, Gesture::Recovery)]);
        let g = run(true, &[(8000, false)], 60_000);
        assert_eq!(g, vec![(1000, Gesture::Recovery)]);
        // Released early: nothing at all, not even a confirm.
        assert!(run(true, &[(400, false)], 60_000).is_empty());
        // After that, the button works normally.
        let g = run(true, &[(400, false), (5000, true), (5100, false)], 60_000);
        assert_eq!(g, vec![(5130, Gesture::Confirm)]);
    }

    #[test]
    fn repeated_levels_and_presses() {
        // Autorepeat-like duplicates change nothing.
        let g = run(
            false,
            &[
                (0, true),
                (10, true),
                (20, true),
                (200, false),
                (210, false),
            ],
            5000,
        );
        assert_eq!(g, vec![(230, Gesture::Confirm)]);
        // Two presses, two confirms.
        let g = run(
            false,
            &[(0, true), (100, false), (400, true), (500, false)],
            5000,
        );
        assert_eq!(g, vec![(130, Gesture::Confirm), (530, Gesture::Confirm)]);
    }

    #[test]
    fn late_ticks_still_report_and_time_never_goes_back() {
        let mut r = Recogniser::new(GestureConfig::default(), 0, false);
        assert_eq!(r.input(100, true), None);
        assert_eq!(r.next_deadline(), Some(130));
        // A tick long after the hold mark reports the hold once.
        assert_eq!(r.tick(10_000), Some(Gesture::Shutdown));
        assert_eq!(r.tick(20_000), None);
        assert!(r.is_pressed());
        // An event stamped in the past is taken as happening now.
        assert_eq!(r.input(50, false), None);
        assert_eq!(r.next_deadline(), Some(20_030));
        assert_eq!(r.tick(20_030), None);
        assert!(!r.is_pressed());
        assert_eq!(r.next_deadline(), None);
    }

    #[test]
    fn event_after_a_long_gap_reports_the_pending_gesture_first() {
        let mut r = Recogniser::new(GestureConfig::default(), 0, false);
        assert_eq!(r.input(0, true), None);
        // No ticks in between: the release event itself reports the hold that came due.
        assert_eq!(r.input(7000, false), Some(Gesture::Shutdown));
        assert_eq!(r.tick(8000), None);
    }
}
