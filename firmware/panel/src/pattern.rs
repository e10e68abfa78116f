//! The LED pattern engine: which state the board shows and how the LED blinks for it.
//!
//! Pure logic. The caller owns the clock: every method that depends on time takes `now`, a
//! monotonic time in [`Millis`] (virtual in tests, `tokio::time::Instant` based in the driver).
//!
//! The rest of Ruji raises and clears [`Condition`]s (a set: several can be active at once). The
//! [`Panel`] shows the [`State`] of the highest priority among them, [`State::Ready`] when none is
//! active, and blinks that state's [`Pattern`]. When the shown state changes its pattern restarts
//! from its first phase, so a change is visible at once. Every pattern moves (none is steady on or
//! steady off), so an LED frozen for more than three seconds means Ruji itself has stopped.

use serde::Serialize;

/// Milliseconds on a monotonic clock chosen by the caller.
pub type Millis = u64;

/// Why the board wants the proctor's attention. The proctor page says which ones are active;
/// the LED shows only that at least one is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Attention {
    /// Results of a finished session have not reached the central server yet.
    ResultsNotUploaded,
    /// Exam data has changed since the last backup.
    NotBackedUp,
    /// Another host on the LAN claims the board's address (RFC 5227 conflict).
    AddressConflict,
    /// The wall clock has not been set since boot (no RTC on the board).
    ClockNotSet,
    /// The data partition is nearly full.
    DiskNearlyFull,
}

impl Attention {
    /// Every reason, in the order they are listed to the proctor.
    pub const ALL: [Attention; 5] = [
        Attention::AddressConflict,
        Attention::DiskNearlyFull,
        Attention::ClockNotSet,
        Attention::ResultsNotUploaded,
        Attention::NotBackedUp,
    ];

    /// Stable identifier for logs and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Attention::ResultsNotUploaded => "results_not_uploaded",
            Attention::NotBackedUp => "not_backed_up",
            Attention::AddressConflict => "address_conflict",
            Attention::ClockNotSet => "clock_not_set",
            Attention::DiskNearlyFull => "disk_nearly_full",
        }
    }

    /// Short text for the proctor, in Bahasa Indonesia.
    pub fn label_id(self) -> &'static str {
        match self {
            Attention::ResultsNotUploaded => "hasil belum diunggah",
            Attention::NotBackedUp => "belum dicadangkan",
            Attention::AddressConflict => "alamat IP bentrok",
            Attention::ClockNotSet => "jam belum diatur",
            Attention::DiskNearlyFull => "penyimpanan hampir penuh",
        }
    }

    /// Short text for the proctor, in English.
    pub fn label_en(self) -> &'static str {
        match self {
            Attention::ResultsNotUploaded => "results not uploaded",
            Attention::NotBackedUp => "not backed up",
            Attention::AddressConflict => "address conflict",
            Attention::ClockNotSet => "clock not set",
            Attention::DiskNearlyFull => "disk nearly full",
        }
    }

    fn bit(self) -> u16 {
        1 << (8 + self as u16)
    }
}

/// A fact about the board that the LED may have to show. Raised and cleared by the rest of Ruji.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// Ruji is starting: store opening, LAN address being claimed, server not yet listening.
    Booting,
    /// At least one exam session is open (participants can log in and answer).
    SessionOpen,
    /// Something needs the proctor's attention; see [`Attention`].
    Attention(Attention),
    /// Ruji cannot serve the exam (store unusable, cannot listen, LAN down...).
    CannotServe,
    /// A safe shutdown is under way: answers are being committed and the data partition unmounted.
    ShuttingDown,
    /// The safe shutdown has finished: power can be removed.
    SafeToUnplug,
}

impl Condition {
    fn bit(self) -> u16 {
        match self {
            Condition::Booting => 1 << 0,
            Condition::SessionOpen => 1 << 1,
            Condition::CannotServe => 1 << 2,
            Condition::ShuttingDown => 1 << 3,
            Condition::SafeToUnplug => 1 << 4,
            Condition::Attention(a) => a.bit(),
        }
    }

    /// Every condition, plain ones first, then each attention reason.
    pub fn all() -> impl Iterator<Item = Condition> {
        [
            Condition::Booting,
            Condition::SessionOpen,
            Condition::CannotServe,
            Condition::ShuttingDown,
            Condition::SafeToUnplug,
        ]
        .into_iter()
        .chain(Attention::ALL.into_iter().map(Condition::Attention))
    }
}

/// The set of active [`Condition`]s (a small bit set; `Copy`).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Conditions(u16);

impl Conditions {
    /// No condition active: the board shows [`State::Ready`].
    pub const fn empty() -> Self {
        Conditions(0)
    }

    /// This set with `c` added.
    #[must_use]
    pub fn with(mut self, c: Condition) -> Self {
        self.insert(c);
        self
    }

    /// Adds `c`; returns whether it was absent.
    pub fn insert(&mut self, c: Condition) -> bool {
        let was = self.contains(c);
        self.0 |= c.bit();
        !was
    }

    /// Removes `c`; returns whether it was present.
    pub fn remove(&mut self, c: Condition) -> bool {
        let was = self.contains(c);
        self.0 &= !c.bit();
        was
    }

    /// Adds `c` when `active`, removes it otherwise; returns whether the set changed.
    pub fn set(&mut self, c: Condition, active: bool) -> bool {
        if active {
            self.insert(c)
        } else {
            self.remove(c)
        }
    }

    /// Whether `c` is active.
    pub fn contains(self, c: Condition) -> bool {
        self.0 & c.bit() != 0
    }

    /// Whether no condition is active.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The active conditions, in the order of [`Condition::all`].
    pub fn iter(self) -> impl Iterator<Item = Condition> {
        Condition::all().filter(move |c| self.contains(*c))
    }

    /// The active attention reasons, in the order of [`Attention::ALL`].
    pub fn attention(self) -> impl Iterator<Item = Attention> {
        Attention::ALL
            .into_iter()
            .filter(move |a| self.contains(Condition::Attention(*a)))
    }

    /// The state these conditions make the board show: the one of highest priority.
    pub fn state(self) -> State {
        let has = |c: Condition| self.contains(c);
        if has(Condition::SafeToUnplug) {
            State::SafeToUnplug
        } else if has(Condition::ShuttingDown) {
            State::ShuttingDown
        } else if has(Condition::CannotServe) {
            State::Error
        } else if has(Condition::Booting) {
            State::Booting
        } else if self.attention().next().is_some() {
            State::Attention
        } else if has(Condition::SessionOpen) {
            State::SessionOpen
        } else {
            State::Ready
        }
    }
}

impl FromIterator<Condition> for Conditions {
    fn from_iter<I: IntoIterator<Item = Condition>>(iter: I) -> Self {
        let mut set = Conditions::empty();
        for c in iter {
            set.insert(c);
        }
        set
    }
}

impl std::fmt::Debug for Conditions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl Serialize for Conditions {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

/// What the LED shows. Listed from the highest priority to the lowest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Safe shutdown finished: remove power now. One short flash every 3 s.
    SafeToUnplug,
    /// Safe shutdown under way: do not remove power. Very fast flicker (5 per second).
    ShuttingDown,
    /// Ruji cannot serve the exam. Three quick flashes, pause (every 2 s).
    Error,
    /// Ruji is starting. Even fast blink (2 per second).
    Booting,
    /// Something needs the proctor; see the proctor page. Two flashes, pause (every 2 s).
    Attention,
    /// An exam session is open. Even slow blink (1 s on, 1 s off).
    SessionOpen,
    /// Ready, nothing needs attention. On, with a short dark blink every 2 s.
    Ready,
}

impl State {
    /// Every state, from the highest priority to the lowest.
    pub const ALL: [State; 7] = [
        State::SafeToUnplug,
        State::ShuttingDown,
        State::Error,
        State::Booting,
        State::Attention,
        State::SessionOpen,
        State::Ready,
    ];

    /// Priority: higher wins when several conditions are active.
    pub fn priority(self) -> u8 {
        match self {
            State::SafeToUnplug => 7,
            State::ShuttingDown => 6,
            State::Error => 5,
            State::Booting => 4,
            State::Attention => 3,
            State::SessionOpen => 2,
            State::Ready => 1,
        }
    }

    /// The blink pattern of this state.
    pub fn pattern(self) -> Pattern {
        match self {
            State::SafeToUnplug => Pattern::SAFE_TO_UNPLUG,
            State::ShuttingDown => Pattern::SHUTTING_DOWN,
            State::Error => Pattern::ERROR,
            State::Booting => Pattern::BOOTING,
            State::Attention => Pattern::ATTENTION,
            State::SessionOpen => Pattern::SESSION_OPEN,
            State::Ready => Pattern::READY,
        }
    }

    /// Stable identifier for logs and JSON.
    pub fn name(self) -> &'static str {
        match self {
            State::SafeToUnplug => "safe_to_unplug",
            State::ShuttingDown => "shutting_down",
            State::Error => "error",
            State::Booting => "booting",
            State::Attention => "attention",
            State::SessionOpen => "session_open",
            State::Ready => "ready",
        }
    }

    /// Short text for the proctor, in Bahasa Indonesia.
    pub fn label_id(self) -> &'static str {
        match self {
            State::SafeToUnplug => "aman dicabut",
            State::ShuttingDown => "sedang mematikan",
            State::Error => "galat: tidak bisa melayani",
            State::Booting => "sedang menyala",
            State::Attention => "perlu perhatian",
            State::SessionOpen => "sesi ujian dibuka",
            State::Ready => "siap",
        }
    }

    /// Short text for the proctor, in English.
    pub fn label_en(self) -> &'static str {
        match self {
            State::SafeToUnplug => "safe to unplug",
            State::ShuttingDown => "shutting down",
            State::Error => "error: cannot serve",
            State::Booting => "booting",
            State::Attention => "needs attention",
            State::SessionOpen => "session open",
            State::Ready => "ready",
        }
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A repeating blink pattern: durations in ms, alternating on and off, starting with on.
///
/// Invariants (checked by tests for every pattern here): an even, non-zero number of steps, each
/// step longer than zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Pattern {
    steps: &'static [u32],
}

impl Pattern {
    /// [`State::Booting`]: 250 on, 250 off.
    pub const BOOTING: Pattern = Pattern::new(&[250, 250]);
    /// [`State::Ready`]: 1900 on, 100 off.
    pub const READY: Pattern = Pattern::new(&[1900, 100]);
    /// [`State::SessionOpen`]: 1000 on, 1000 off.
    pub const SESSION_OPEN: Pattern = Pattern::new(&[1000, 1000]);
    /// [`State::Attention`]: 200 on, 200 off, 200 on, 1400 off.
    pub const ATTENTION: Pattern = Pattern::new(&[200, 200, 200, 1400]);
    /// [`State::Error`]: 150 on, 150 off, 150 on, 150 off, 150 on, 1250 off.
    pub const ERROR: Pattern = Pattern::new(&[150, 150, 150, 150, 150, 1250]);
    /// [`State::ShuttingDown`]: 100 on, 100 off.
    pub const SHUTTING_DOWN: Pattern = Pattern::new(&[100, 100]);
    /// [`State::SafeToUnplug`]: 100 on, 2900 off.
    pub const SAFE_TO_UNPLUG: Pattern = Pattern::new(&[100, 2900]);
    /// Acknowledgement shown once over any state when a button gesture is recognised:
    /// three very short flashes (60 on, 60 off, three times), dark before and after so that it
    /// stands out even over [`State::Ready`]'s mostly-on pattern. Not repeated.
    pub const ACK: Pattern = Pattern::new(&[0, 120, 60, 60, 60, 60, 60, 180]);

    /// A pattern from its steps (see the type's invariants; a leading 0 means "start dark").
    pub const fn new(steps: &'static [u32]) -> Pattern {
        Pattern { steps }
    }

    /// The steps: durations in ms, alternating on and off, starting with on.
    pub fn steps(self) -> &'static [u32] {
        self.steps
    }

    /// Length of one repetition in ms.
    pub fn period_ms(self) -> Millis {
        self.steps.iter().map(|&s| Millis::from(s)).sum()
    }

    /// Whether the LED is on `elapsed` ms after the pattern started, and how many ms remain until
    /// it next changes (always at least 1). The pattern repeats every [`Pattern::period_ms`].
    pub fn at(self, elapsed: Millis) -> (bool, Millis) {
        let steps = self.steps;
        let period = self.period_ms();
        if period == 0 {
            return (false, Millis::MAX);
        }
        let t = elapsed % period;
        let mut start = 0;
        let mut idx = 0;
        for (i, &s) in steps.iter().enumerate() {
            if t < start + Millis::from(s) {
                idx = i;
                break;
            }
            start += Millis::from(s);
        }
        let mut end = start + Millis::from(steps[idx]);
        // A zero-length step between two steps of the same level is no change: look past it.
        let mut j = idx + 1;
        while j + 1 < steps.len() && steps[j] == 0 {
            end += Millis::from(steps[j + 1]);
            j += 2;
        }
        (idx % 2 == 0, (end - t).max(1))
    }
}

/// The LED level at a given time, and when it next changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct LedOutput {
    /// Whether the LED is lit.
    pub on: bool,
    /// The time (same clock as `now`) at which the output may next change.
    pub next_change: Millis,
}

/// The pattern engine: active conditions in, LED level out.
#[derive(Clone, Debug)]
pub struct Panel {
    /// The active conditions.
    conditions: Conditions,
    /// The state shown (derived from `conditions`, kept to detect changes).
    state: State,
    /// When `state` started being shown: its pattern runs from here.
    since: Millis,
    /// When the current acknowledgement flash started, if one is running.
    ack_since: Option<Millis>,
}

impl Panel {
    /// A panel showing `conditions` from `now`.
    pub fn new(conditions: Conditions, now: Millis) -> Panel {
        Panel {
            conditions,
            state: conditions.state(),
            since: now,
            ack_since: None,
        }
    }

    /// The active conditions.
    pub fn conditions(&self) -> Conditions {
        self.conditions
    }

    /// The state shown.
    pub fn state(&self) -> State {
        self.state
    }

    /// Since when the shown state has been shown.
    pub fn since(&self) -> Millis {
        self.since
    }

    /// Replaces the active conditions. Returns whether the shown state changed (its pattern then
    /// restarts at `now`).
    pub fn set_conditions(&mut self, conditions: Conditions, now: Millis) -> bool {
        self.conditions = conditions;
        let state = conditions.state();
        if state != self.state {
            self.state = state;
            self.since = now;
            true
        } else {
            false
        }
    }

    /// Raises (`active`) or clears one condition. Returns whether the shown state changed.
    pub fn set(&mut self, condition: Condition, active: bool, now: Millis) -> bool {
        let mut c = self.conditions;
        c.set(condition, active);
        self.set_conditions(c, now)
    }

    /// Shows the [`Pattern::ACK`] flash once, from `now`, over the current state.
    pub fn acknowledge(&mut self, now: Millis) {
        self.ack_since = Some(now);
    }

    /// Whether an acknowledgement flash is showing at `now`.
    pub fn acknowledging(&self, now: Millis) -> bool {
        self.ack_since
            .is_some_and(|t| now >= t && now - t < Pattern::ACK.period_ms())
    }

    /// The LED level at `now` and when it next changes. `now` should not go backwards; if it does,
    /// it is treated as the start of the current state.
    pub fn led(&self, now: Millis) -> LedOutput {
        if let Some(t) = self.ack_since {
            if now >= t && now - t < Pattern::ACK.period_ms() {
                let (on, remaining) = Pattern::ACK.at(now - t);
                return LedOutput {
                    on,
                    next_change: now + remaining,
                };
            }
        }
        let (on, remaining) = self.state.pattern().at(now.saturating_sub(self.since));
        LedOutput {
            on,
            next_change: now + remaining,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Samples the LED every ms from `from` to `to` and returns the (on, duration) runs.
    fn runs(panel: &Panel, from: Millis, to: Millis) -> Vec<(bool, Millis)> {
        let mut out: Vec<(bool, Millis)> = Vec::new();
        for t in from..to {
            let on = panel.led(t).on;
            match out.last_mut() {
                Some((level, n)) if *level == on => *n += 1,
                _ => out.push((on, 1)),
            }
        }
        out
    }

    /// Follows `next_change` from `from` and returns the (on, duration) runs until `to`.
    fn jumps(panel: &Panel, from: Millis, to: Millis) -> Vec<(bool, Millis)> {
        let mut out: Vec<(bool, Millis)> = Vec::new();
        let mut t = from;
        while t < to {
            let o = panel.led(t);
            assert!(o.next_change > t, "next change must be in the future");
            let end = o.next_change.min(to);
            match out.last_mut() {
                Some((level, n)) if *level == o.on => *n += end - t,
                _ => out.push((o.on, end - t)),
            }
            t = end;
        }
        out
    }

    fn steps_as_runs(p: Pattern, repeats: usize) -> Vec<(bool, Millis)> {
        let mut out: Vec<(bool, Millis)> = Vec::new();
        for _ in 0..repeats {
            let mut on = true;
            for &s in p.steps() {
                if s > 0 {
                    match out.last_mut() {
                        Some((level, n)) if *level == on => *n += Millis::from(s),
                        _ => out.push((on, Millis::from(s))),
                    }
                }
                on = !on;
            }
        }
        out
    }

    #[test]
    fn patterns_are_well_formed_and_distinct() {
        let mut seen: Vec<&[u32]> = Vec::new();
        for s in State::ALL {
            let p = s.pattern();
            assert!(!p.steps().is_empty() && p.steps().len() % 2 == 0, "{s}");
            assert!(p.steps().iter().all(|&d| d > 0), "{s}: zero step");
            // Every state pattern moves and lights the LED at least once per 3 s.
            assert!(p.period_ms() <= 3000, "{s}");
            assert!(!seen.contains(&p.steps()), "{s}: pattern not distinct");
            seen.push(p.steps());
        }
        assert_eq!(Pattern::ACK.period_ms(), 600);
    }

    #[test]
    fn each_state_blinks_its_pattern_from_the_moment_it_is_shown() {
        for s in State::ALL {
            let c = match s {
                State::SafeToUnplug => Conditions::empty().with(Condition::SafeToUnplug),
                State::ShuttingDown => Conditions::empty().with(Condition::ShuttingDown),
                State::Error => Conditions::empty().with(Condition::CannotServe),
                State::Booting => Conditions::empty().with(Condition::Booting),
                State::Attention => {
                    Conditions::empty().with(Condition::Attention(Attention::ClockNotSet))
                }
                State::SessionOpen => Conditions::empty().with(Condition::SessionOpen),
                State::Ready => Conditions::empty(),
            };
            let start = 10_000;
            let panel = Panel::new(c, start);
            assert_eq!(panel.state(), s);
            let p = s.pattern();
            let span = p.period_ms() * 3;
            let expected = steps_as_runs(p, 3);
            assert_eq!(runs(&panel, start, start + span), expected, "{s} sampled");
            assert_eq!(
                jumps(&panel, start, start + span),
                expected,
                "{s} via next_change"
            );
        }
    }

    #[test]
    fn priorities_pick_the_most_important_state() {
        let all: Conditions = Condition::all().collect();
        assert_eq!(all.state(), State::SafeToUnplug);
        let mut c = all;
        let order = [
            (Condition::SafeToUnplug, State::ShuttingDown),
            (Condition::ShuttingDown, State::Error),
            (Condition::CannotServe, State::Booting),
            (Condition::Booting, State::Attention),
        ];
        for (remove, next) in order {
            c.remove(remove);
            assert_eq!(c.state(), next, "after clearing {remove:?}");
        }
        // Attention stays until its last reason is cleared.
        for a in Attention::ALL {
            assert_eq!(c.state(), State::Attention);
            c.remove(Condition::Attention(a));
        }
        assert_eq!(c.state(), State::SessionOpen);
        c.remove(Condition::SessionOpen);
        assert_eq!(c.state(), State::Ready);
        assert!(c.is_empty());
        // Priorities are strictly ordered as listed.
        for w in State::ALL.windows(2) {
            assert!(w[0].priority() > w[1].priority());
        }
    }

    #[test]
    fn conditions_set_semantics_and_reasons() {
        let mut c = Conditions::empty();
        assert!(c.insert(Condition::Attention(Attention::NotBackedUp)));
        assert!(!c.insert(Condition::Attention(Attention::NotBackedUp)));
        assert!(c.set(Condition::Attention(Attention::AddressConflict), true));
        assert!(!c.set(Condition::SessionOpen, false));
        assert_eq!(
            c.attention().collect::<Vec<_>>(),
            vec![Attention::AddressConflict, Attention::NotBackedUp]
        );
        assert_eq!(format!("{c:?}").matches("Attention").count(), 2);
        assert!(c.remove(Condition::Attention(Attention::NotBackedUp)));
        assert!(!c.remove(Condition::Attention(Attention::NotBackedUp)));
        // Each condition has its own bit.
        let n = Condition::all().count();
        let all: Conditions = Condition::all().collect();
        assert_eq!(all.iter().count(), n);
    }

    #[test]
    fn state_change_restarts_pattern_same_state_keeps_phase() {
        let mut panel = Panel::new(Conditions::empty().with(Condition::Booting), 0);
        // Mid-off phase of booting at 300 ms.
        assert!(!panel.led(300).on);
        // Raising an attention reason while booting changes nothing visible.
        assert!(!panel.set(Condition::Attention(Attention::ClockNotSet), true, 300));
        assert_eq!(panel.since(), 0);
        assert!(!panel.led(300).on);
        // Boot finishes at 1234: attention shows, starting with its first flash.
        assert!(panel.set(Condition::Booting, false, 1234));
        assert_eq!(panel.state(), State::Attention);
        let o = panel.led(1234);
        assert!(o.on);
        assert_eq!(o.next_change, 1234 + 200);
        // A second reason does not restart the pattern.
        assert!(!panel.set(Condition::Attention(Attention::NotBackedUp), true, 1300));
        assert_eq!(panel.since(), 1234);
        // Clearing every reason shows ready.
        let c: Conditions = Conditions::empty();
        assert!(panel.set_conditions(c, 5000));
        assert_eq!(panel.state(), State::Ready);
        assert_eq!(
            panel.led(5000),
            LedOutput {
                on: true,
                next_change: 6900
            }
        );
    }

    #[test]
    fn acknowledgement_overlays_once_then_state_resumes_in_phase() {
        let mut panel = Panel::new(Conditions::empty(), 0);
        panel.acknowledge(1000);
        assert!(panel.acknowledging(1000));
        let expected = steps_as_runs(Pattern::ACK, 1);
        assert_eq!(expected[0], (false, 120));
        assert_eq!(runs(&panel, 1000, 1600), expected);
        assert_eq!(jumps(&panel, 1000, 1600), expected);
        assert!(!panel.acknowledging(1600));
        // After the flash, ready resumes in its own phase (on until 1900).
        assert_eq!(
            panel.led(1600),
            LedOutput {
                on: true,
                next_change: 1900
            }
        );
        // The flash never shortens a next_change below 1 ms or skips its first dark step.
        assert_eq!(
            panel.led(1000),
            LedOutput {
                on: false,
                next_change: 1120
            }
        );
    }

    #[test]
    fn time_going_backwards_is_tolerated() {
        let panel = Panel::new(Conditions::empty().with(Condition::SessionOpen), 5000);
        let o = panel.led(10);
        assert!(o.on);
        assert!(o.next_change > 10);
    }

    #[test]
    fn serialises_for_a_dev_page() {
        let c = Conditions::empty()
            .with(Condition::SessionOpen)
            .with(Condition::Attention(Attention::ClockNotSet));
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            r#"["session_open",{"attention":"clock_not_set"}]"#
        );
        assert_eq!(
            serde_json::to_string(&State::SafeToUnplug).unwrap(),
            r#""safe_to_unplug""#
        );
        for s in State::ALL {
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.name())
            );
        }
    }
}
