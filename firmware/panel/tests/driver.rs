//! The async driver against a recording LED and the simulated button, on tokio's paused clock:
//! every test runs in virtual time (no real sleeping) and checks exact timings.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ruji_panel::{
    sim_button, spawn, Attention, Condition, Conditions, Gesture, Led, LedClass, PanelConfig, State,
};
use tokio::time::{sleep, Instant};

/// One LED write: (ms since test start, on, state).
type Frame = (u64, bool, State);

/// What the recording LED saw, and whether it was released.
#[derive(Default)]
struct Recorded {
    frames: Vec<Frame>,
    released: bool,
}

#[derive(Clone, Default)]
struct Log(Arc<Mutex<Recorded>>);

struct RecLed {
    t0: Instant,
    log: Log,
}

impl Led for RecLed {
    fn set(&mut self, on: bool, state: State) -> io::Result<()> {
        let t = self.t0.elapsed().as_millis() as u64;
        self.log.0.lock().unwrap().frames.push((t, on, state));
        Ok(())
    }
    fn release(&mut self) -> io::Result<()> {
        self.log.0.lock().unwrap().released = true;
        Ok(())
    }
}

impl Log {
    fn led(&self, t0: Instant) -> RecLed {
        RecLed {
            t0,
            log: self.clone(),
        }
    }
    fn frames(&self) -> Vec<Frame> {
        self.0.lock().unwrap().frames.clone()
    }
    fn released(&self) -> bool {
        self.0.lock().unwrap().released
    }
    /// Level changes only (state changes that keep the level are dropped), from `from` ms on.
    fn edges_from(&self, from: u64) -> Vec<(u64, bool)> {
        let mut out: Vec<(u64, bool)> = Vec::new();
        for (t, on, _) in self.frames() {
            if t >= from && out.last().map(|e| e.1) != Some(on) {
                out.push((t, on));
            }
        }
        out
    }
}

#[tokio::test(start_paused = true)]
async fn booting_then_ready_blinks_on_time() {
    let t0 = Instant::now();
    let log = Log::default();
    let p = spawn(log.led(t0), None, PanelConfig::default());
    // Cleared in booting's lit phase (1000..1250), so no timer edge coincides with it.
    sleep(Duration::from_millis(1100)).await;
    p.handle.clear(Condition::Booting);
    sleep(Duration::from_millis(4500)).await;

    let frames = log.frames();
    // Booting: on at 0, off at 250, on at 500, off at 750.
    let boot: Vec<_> = frames.iter().filter(|f| f.2 == State::Booting).collect();
    assert_eq!(
        boot.iter().map(|f| (f.0, f.1)).collect::<Vec<_>>(),
        vec![
            (0, true),
            (250, false),
            (500, true),
            (750, false),
            (1000, true)
        ]
    );
    // Ready from 1100, starting lit: off at 3000 for 100 ms, on at 3100, off at 5000, on at 5100.
    let ready: Vec<_> = frames
        .iter()
        .filter(|f| f.2 == State::Ready)
        .map(|f| (f.0, f.1))
        .collect();
    assert_eq!(
        ready,
        vec![
            (1100, true),
            (3000, false),
            (3100, true),
            (5000, false),
            (5100, true)
        ]
    );
    let view = p.handle.view().borrow().clone();
    assert_eq!(view.state, State::Ready);
    assert!(view.conditions.is_empty());
}

#[tokio::test(start_paused = true)]
async fn conditions_from_the_handle_change_the_state_by_priority() {
    let t0 = Instant::now();
    let log = Log::default();
    let p = spawn(log.led(t0), None, PanelConfig::default());
    let h = p.handle.clone();
    let mut view = h.view();
    h.raise(Condition::Attention(Attention::ClockNotSet));
    h.raise(Condition::SessionOpen);
    h.clear(Condition::Booting);
    sleep(Duration::from_millis(10)).await;
    assert_eq!(view.borrow_and_update().state, State::Attention);
    assert_eq!(view.borrow().attention, vec![Attention::ClockNotSet]);
    h.clear(Condition::Attention(Attention::ClockNotSet));
    sleep(Duration::from_millis(10)).await;
    assert_eq!(view.borrow().state, State::SessionOpen);
    h.replace(Conditions::empty().with(Condition::CannotServe));
    sleep(Duration::from_millis(10)).await;
    assert_eq!(view.borrow().state, State::Error);
    // JSON for a dev page.
    let json = serde_json::to_string(&*view.borrow()).unwrap();
    assert!(json.contains(r#""state":"error""#), "{json}");
    assert!(json.contains(r#""conditions":["cannot_serve"]"#), "{json}");
}

#[tokio::test(start_paused = true)]
async fn short_press_confirms_and_flashes_acknowledgement() {
    let t0 = Instant::now();
    let log = Log::default();
    let (button, events) = sim_button(false);
    let cfg = PanelConfig {
        initial: Conditions::empty(),
        ..PanelConfig::default()
    };
    let mut p = spawn(log.led(t0), Some(events), cfg);
    sleep(Duration::from_millis(500)).await;
    button.click().await.unwrap(); // 500..650
    let g = p.gestures.recv().await.unwrap();
    assert_eq!(g, Gesture::Confirm);
    // Recognised when the release settled: 650 + 30 debounce.
    assert_eq!(t0.elapsed().as_millis(), 680);
    sleep(Duration::from_millis(1000)).await;
    // Ready is lit; the acknowledgement darkens it at 680, flashes three times, ends at 1280.
    assert_eq!(
        log.edges_from(600),
        vec![
            (680, false),
            (800, true),
            (860, false),
            (920, true),
            (980, false),
            (1040, true),
            (1100, false),
            (1280, true),
        ]
    );
    let v = p.handle.view().borrow().clone();
    assert_eq!(v.last_gesture, Some(Gesture::Confirm));
    assert_eq!(v.gestures, 1);
    assert_eq!(v.button.as_deref(), Some("simulated"));
}

#[tokio::test(start_paused = true)]
async fn hold_reports_shutdown_at_three_seconds_while_held() {
    let t0 = Instant::now();
    let log = Log::default();
    let (button, events) = sim_button(false);
    let mut p = spawn(log.led(t0), Some(events), PanelConfig::default());
    sleep(Duration::from_millis(200)).await;
    button.press().unwrap();
    let g = p.gestures.recv().await.unwrap();
    assert_eq!(g, Gesture::Shutdown);
    assert_eq!(t0.elapsed().as_millis(), 3200);
    assert!(p.handle.view().borrow().button_pressed);
    // The binary then shows the shutdown, and the end of it.
    p.handle.raise(Condition::ShuttingDown);
    sleep(Duration::from_millis(2000)).await;
    button.release().unwrap();
    p.handle.raise(Condition::SafeToUnplug);
    sleep(Duration::from_millis(7000)).await;
    // No further gesture from the release.
    assert!(p.gestures.try_recv().is_err());
    // Safe to unplug from 5200: 100 ms flash every 3 s.
    assert_eq!(
        log.edges_from(5200),
        vec![
            (5200, true),
            (5300, false),
            (8200, true),
            (8300, false),
            (11200, true),
            (11300, false)
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn held_at_power_on_reports_recovery() {
    let t0 = Instant::now();
    let log = Log::default();
    let (button, events) = sim_button(true);
    let mut p = spawn(log.led(t0), Some(events), PanelConfig::default());
    assert_eq!(p.gestures.recv().await, Some(Gesture::Recovery));
    assert_eq!(t0.elapsed().as_millis(), 1000);
    sleep(Duration::from_millis(5000)).await;
    button.release().unwrap();
    sleep(Duration::from_millis(100)).await;
    assert!(p.gestures.try_recv().is_err());
}

#[tokio::test(start_paused = true)]
async fn stop_releases_the_led_and_closes_gestures() {
    let t0 = Instant::now();
    let log = Log::default();
    let (button, events) = sim_button(false);
    let mut p = spawn(log.led(t0), Some(events), PanelConfig::default());
    sleep(Duration::from_millis(300)).await;
    assert!(p.handle.is_running());
    p.handle.stop();
    p.task.await.unwrap();
    assert!(log.released());
    assert_eq!(p.gestures.recv().await, None);
    assert!(!p.handle.is_running());
    // The simulated button now reports that nobody is listening.
    assert!(button.press().is_err());
    // Commands after stop are ignored, not a panic.
    p.handle.raise(Condition::Booting);
}

#[tokio::test(start_paused = true)]
async fn dropping_every_handle_stops_the_panel() {
    let log = Log::default();
    let p = spawn(log.led(Instant::now()), None, PanelConfig::default());
    let task = p.task;
    drop(p.handle);
    task.await.unwrap();
    assert!(log.released());
}

#[tokio::test(start_paused = true)]
async fn a_vanished_button_leaves_the_led_running() {
    let t0 = Instant::now();
    let log = Log::default();
    let (button, events) = sim_button(false);
    let p = spawn(log.led(t0), Some(events), PanelConfig::default());
    button.press().unwrap();
    sleep(Duration::from_millis(100)).await;
    drop(button); // the backend ends: its channel closes
    sleep(Duration::from_millis(5000)).await;
    let v = p.handle.view().borrow().clone();
    assert_eq!(v.button, None);
    assert!(!v.button_pressed);
    assert_eq!(
        v.gestures, 0,
        "a press cut short by a vanished device is no gesture"
    );
    assert!(log.frames().last().unwrap().0 >= 4750, "LED still blinking");
}

#[tokio::test(start_paused = true)]
async fn drives_a_sysfs_led_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ACT");
    std::fs::create_dir(&dir).unwrap();
    for (f, v) in [
        ("brightness", "0"),
        ("max_brightness", "1"),
        ("trigger", "none [heartbeat]"),
    ] {
        std::fs::write(dir.join(f), v).unwrap();
    }
    let led = LedClass::open(tmp.path(), "ACT").unwrap();
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    let p = spawn(led, None, PanelConfig::default());
    sleep(Duration::from_millis(100)).await;
    assert_eq!(read("trigger"), "none");
    assert_eq!(read("brightness"), "1");
    sleep(Duration::from_millis(200)).await; // 300 ms: booting's off phase
    assert_eq!(read("brightness"), "0");
    p.handle.stop();
    p.task.await.unwrap();
    assert_eq!(read("trigger"), "heartbeat");
}

#[tokio::test(start_paused = true)]
async fn a_burst_of_changes_is_one_state_not_a_queue() {
    // The handles hold the wanted state, not a queue: a million raises and clears while the
    // driver is busy cost no memory and leave the last state, which the driver then shows.
    let log = Log::default();
    let p = spawn(log.led(Instant::now()), None, PanelConfig::default());
    for i in 0..1_000_000u32 {
        p.handle.set(Condition::SessionOpen, i % 2 == 0);
    }
    p.handle.clear(Condition::Booting);
    sleep(Duration::from_millis(10)).await;
    let view = p.handle.view().borrow().clone();
    assert_eq!(
        view.state,
        State::Ready,
        "the last of the burst: SessionOpen cleared"
    );
}

#[tokio::test(start_paused = true)]
async fn a_stop_asked_before_the_panel_first_runs_is_kept() {
    let log = Log::default();
    let p = spawn(log.led(Instant::now()), None, PanelConfig::default());
    p.handle.stop();
    p.task.await.unwrap();
    assert!(log.released());
}
