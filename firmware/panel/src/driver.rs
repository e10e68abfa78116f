//! The async driver: runs the pattern engine against an LED backend, the gesture recogniser
//! against a button backend, and reports gestures on a channel.
//!
//! [`spawn`] starts it as a tokio task and returns a [`PanelHandle`] (raise and clear
//! conditions, read the [`PanelView`]), the receiver of [`Gesture`]s and the task's handle. The
//! driver sleeps until the next LED change or gesture deadline, whichever is first, so an idle
//! panel costs a wake-up every few hundred milliseconds and nothing else.
//!
//! Shutdown-safe: [`PanelHandle::stop`] (or dropping every handle) ends the task after it has
//! given the LED back ([`Led::release`]: the kernel trigger it had before) and closed the button
//! device. The gesture channel then closes. For the "safe to unplug" pattern to keep blinking
//! after a safe shutdown, keep the driver running: do not stop it.

use std::time::Duration;

use serde::Serialize;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::button::ButtonEvents;
use crate::gesture::{Gesture, GestureConfig, Recogniser};
use crate::led::Led;
use crate::pattern::{Attention, Condition, Conditions, Millis, Panel, State};

/// How the driver behaves.
#[derive(Clone, Copy, Debug)]
pub struct PanelConfig {
    /// Gesture timing.
    pub gestures: GestureConfig,
    /// Conditions active from the start. Default: [`Condition::Booting`].
    pub initial: Conditions,
    /// Flash [`crate::Pattern::ACK`] on the LED when a gesture is recognised. Default: true.
    pub acknowledge: bool,
}

impl Default for PanelConfig {
    fn default() -> Self {
        PanelConfig {
            gestures: GestureConfig::default(),
            initial: Conditions::empty().with(Condition::Booting),
            acknowledge: true,
        }
    }
}

/// What the panel shows now: for a status or dev page (serialisable to JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PanelView {
    /// The state shown.
    pub state: State,
    /// Whether the LED is lit at this moment.
    pub led_on: bool,
    /// The active conditions.
    pub conditions: Conditions,
    /// The active attention reasons (also in `conditions`), for display.
    pub attention: Vec<Attention>,
    /// Whether the button is held down (debounced).
    pub button_pressed: bool,
    /// The button's source, or `None` when the panel has no (working) button.
    pub button: Option<String>,
    /// The last gesture recognised since start.
    pub last_gesture: Option<Gesture>,
    /// How many gestures were recognised since start (a dev page can spot a new one).
    pub gestures: u64,
}

/// What the handles ask of the driver: a state, not a queue of commands, so it is bounded
/// whatever the callers do (a burst of raises and clears leaves one value; the driver reads the
/// latest).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Control {
    /// The conditions to show.
    conditions: Conditions,
    /// Acknowledgement flashes asked for so far (the driver flashes when it grows).
    acks: u64,
    /// Stop the panel.
    stop: bool,
}

/// Controls a running panel. Cheap to clone; the panel stops when every clone is dropped.
#[derive(Clone, Debug)]
pub struct PanelHandle {
    control: std::sync::Arc<watch::Sender<Control>>,
    view: watch::Receiver<PanelView>,
}

impl PanelHandle {
    /// Raises (`active = true`) or clears a condition.
    pub fn set(&self, condition: Condition, active: bool) {
        self.control
            .send_if_modified(|c| c.conditions.set(condition, active));
    }

    /// Raises a condition.
    pub fn raise(&self, condition: Condition) {
        self.set(condition, true);
    }

    /// Clears a condition.
    pub fn clear(&self, condition: Condition) {
        self.set(condition, false);
    }

    /// Replaces every active condition at once.
    pub fn replace(&self, conditions: Conditions) {
        self.control.send_if_modified(|c| {
            let changed = c.conditions != conditions;
            c.conditions = conditions;
            changed
        });
    }

    /// Flashes the acknowledgement pattern once (e.g. when the web page completes an action).
    pub fn acknowledge(&self) {
        self.control.send_modify(|c| c.acks += 1);
    }

    /// What the panel shows now, and changes to it.
    pub fn view(&self) -> watch::Receiver<PanelView> {
        self.view.clone()
    }

    /// Asks the panel to stop: it gives the LED back and closes the button. Await the task
    /// returned by [`spawn`] to know it is done.
    pub fn stop(&self) {
        self.control.send_modify(|c| c.stop = true);
    }

    /// Whether the panel task is still running.
    pub fn is_running(&self) -> bool {
        !self.control.is_closed()
    }
}

/// A started panel: see [`spawn`].
#[derive(Debug)]
pub struct Spawned {
    /// Controls the panel.
    pub handle: PanelHandle,
    /// Gestures as they are recognised. Closed when the panel stops.
    pub gestures: mpsc::Receiver<Gesture>,
    /// The panel's task; ends after [`PanelHandle::stop`] or when every handle is dropped.
    pub task: JoinHandle<()>,
}

/// How many recognised gestures may wait unread before new ones are dropped (and logged).
const GESTURE_QUEUE: usize = 16;

/// Starts the panel on the current tokio runtime with an LED backend and an optional button.
pub fn spawn(led: impl Led + 'static, button: Option<ButtonEvents>, cfg: PanelConfig) -> Spawned {
    let (control_tx, control_rx) = watch::channel(Control {
        conditions: cfg.initial,
        ..Control::default()
    });
    let (gesture_tx, gesture_rx) = mpsc::channel(GESTURE_QUEUE);
    let state = cfg.initial.state();
    let (view_tx, view_rx) = watch::channel(PanelView {
        state,
        led_on: false,
        conditions: cfg.initial,
        attention: cfg.initial.attention().collect(),
        button_pressed: button.as_ref().is_some_and(|b| b.initially_pressed),
        button: button.as_ref().map(|b| b.source.clone()),
        last_gesture: None,
        gestures: 0,
    });
    let task = tokio::spawn(run(led, button, cfg, control_rx, gesture_tx, view_tx));
    Spawned {
        handle: PanelHandle {
            control: std::sync::Arc::new(control_tx),
            view: view_rx,
        },
        gestures: gesture_rx,
        task,
    }
}

/// The driver's loop. Every time is in ms since `t0`, on tokio's monotonic clock.
async fn run(
    mut led: impl Led,
    mut button: Option<ButtonEvents>,
    cfg: PanelConfig,
    mut control: watch::Receiver<Control>,
    gestures: mpsc::Sender<Gesture>,
    view: watch::Sender<PanelView>,
) {
    let t0 = Instant::now();
    let now = || -> Millis { t0.elapsed().as_millis() as Millis };
    // What the handles asked before this task first ran counts too.
    let first = *control.borrow_and_update();
    let mut panel = Panel::new(first.conditions, now());
    let mut acks_seen = first.acks;
    if first.acks > 0 {
        panel.acknowledge(now());
    }
    let mut stopping = first.stop;
    let initially_pressed = button.as_ref().is_some_and(|b| b.initially_pressed);
    let mut recogniser = Recogniser::new(cfg.gestures, now(), initially_pressed);
    let mut shown: Option<(bool, State)> = None;
    let mut led_failing = false;
    let mut last_gesture = None;
    let mut gesture_count = 0u64;
    if let Some(b) = &button {
        tracing::info!(source = %b.source, held = b.initially_pressed, "panel button ready");
    }
    tracing::info!(state = %panel.state(), "panel state");

    while !stopping {
        let t = now();
        if let Some(g) = recogniser.tick(t) {
            on_gesture(g, t, &cfg, &mut panel, &gestures);
            last_gesture = Some(g);
            gesture_count += 1;
        }
        let out = panel.led(t);
        let frame = (out.on, panel.state());
        if shown != Some(frame) {
            if shown.map(|(_, s)| s) != Some(frame.1) {
                tracing::info!(state = %frame.1, "panel state");
            }
            match led.set(frame.0, frame.1) {
                Ok(()) => led_failing = false,
                Err(e) if !led_failing => {
                    led_failing = true;
                    tracing::warn!(error = %e, "cannot drive the panel LED; will keep trying");
                }
                Err(_) => {}
            }
            shown = Some(frame);
        }
        view.send_if_modified(|v| {
            let new = PanelView {
                state: panel.state(),
                led_on: out.on,
                conditions: panel.conditions(),
                attention: panel.conditions().attention().collect(),
                button_pressed: recogniser.is_pressed(),
                button: button.as_ref().map(|b| b.source.clone()),
                last_gesture,
                gestures: gesture_count,
            };
            if *v != new {
                *v = new;
                true
            } else {
                false
            }
        });

        let mut deadline = out.next_change;
        if let Some(d) = recogniser.next_deadline() {
            deadline = deadline.min(d);
        }
        let wake = t0 + Duration::from_millis(deadline.max(t));
        tokio::select! {
            _ = tokio::time::sleep_until(wake) => {}
            changed = control.changed() => {
                // Every handle dropped: stop, as after `stop`.
                if changed.is_err() {
                    break;
                }
                let c = *control.borrow_and_update();
                stopping = c.stop;
                panel.set_conditions(c.conditions, now());
                if c.acks > acks_seen {
                    acks_seen = c.acks;
                    panel.acknowledge(now());
                }
            }
            level = next_level(&mut button) => match level {
                Some(pressed) => {
                    let t = now();
                    if let Some(g) = recogniser.input(t, pressed) {
                        on_gesture(g, t, &cfg, &mut panel, &gestures);
                        last_gesture = Some(g);
                        gesture_count += 1;
                    }
                }
                None => {
                    let source = button.take().map(|b| b.source.clone()).unwrap_or_default();
                    tracing::warn!(%source, "panel button ended; continuing without a button");
                    // Forget any press in progress: it can no longer end.
                    recogniser = Recogniser::new(cfg.gestures, now(), false);
                }
            },
        }
    }

    drop(button);
    if let Err(e) = led.release() {
        tracing::warn!(error = %e, "cannot give the panel LED back to the kernel");
    }
    tracing::info!("panel stopped");
}

/// The next level from the button, or never when there is no button.
async fn next_level(button: &mut Option<ButtonEvents>) -> Option<bool> {
    match button.as_mut() {
        Some(b) => b.recv().await,
        None => std::future::pending().await,
    }
}

fn on_gesture(
    g: Gesture,
    t: Millis,
    cfg: &PanelConfig,
    panel: &mut Panel,
    gestures: &mpsc::Sender<Gesture>,
) {
    tracing::info!(gesture = g.name(), "panel button gesture");
    if cfg.acknowledge {
        panel.acknowledge(t);
    }
    match gestures.try_send(g) {
        Ok(()) | Err(mpsc::error::TrySendError::Closed(_)) => {}
        Err(mpsc::error::TrySendError::Full(_)) => {
            tracing::warn!(
                gesture = g.name(),
                "panel gesture dropped: nobody is reading them"
            );
        }
    }
}
