//! The simulated panel, for development (`ruji serve --panel sim`) and tests.
//!
//! [`SimLed`] draws the LED as a line of text, `LED ● siap (ready)` when lit and
//! `LED ○ siap (ready)` when dark. [`SimButton`] presses and releases a pretend button from code:
//! a dev-only web page can call it, and so can tests. What the panel shows at any moment (state,
//! LED level, conditions, last gesture) is published by the driver for every backend, see
//! [`crate::PanelHandle::view`]; the dev page reads that.

use std::io::{self, IsTerminal, Write};
use std::time::Duration;

use tokio::sync::mpsc;

use crate::button::ButtonEvents;
use crate::led::Led;
use crate::pattern::State;

/// How [`SimLed`] draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SimRender {
    /// Redraw one line in place at every blink (`\r` + clear line): for an interactive terminal.
    Line,
    /// One line per change of state, not per blink: for logs and pipes.
    Changes,
    /// Draw nothing (the dev page or a test reads the state instead).
    Quiet,
}

/// A pretend LED drawn as text.
pub struct SimLed {
    out: Box<dyn Write + Send>,
    render: SimRender,
    last: Option<(bool, State)>,
}

impl std::fmt::Debug for SimLed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimLed")
            .field("render", &self.render)
            .field("last", &self.last)
            .finish()
    }
}

impl SimLed {
    /// Draws on standard error: in place on a terminal, one line per state change otherwise.
    pub fn stderr() -> SimLed {
        let render = if io::stderr().is_terminal() {
            SimRender::Line
        } else {
            SimRender::Changes
        };
        SimLed::new(Box::new(io::stderr()), render)
    }

    /// Draws on `out` as `render` says.
    pub fn new(out: Box<dyn Write + Send>, render: SimRender) -> SimLed {
        SimLed {
            out,
            render,
            last: None,
        }
    }

    /// The text of the LED line for a level and state (without line control characters).
    pub fn line(on: bool, state: State) -> String {
        format!(
            "LED {} {} ({})",
            if on { '●' } else { '○' },
            state.label_id(),
            state.label_en()
        )
    }
}

impl Led for SimLed {
    fn set(&mut self, on: bool, state: State) -> io::Result<()> {
        let changed_state = self.last.map(|(_, s)| s) != Some(state);
        if self.last == Some((on, state)) {
            return Ok(());
        }
        self.last = Some((on, state));
        match self.render {
            SimRender::Line => {
                write!(self.out, "\r\x1b[2K{}", SimLed::line(on, state))?;
                self.out.flush()
            }
            SimRender::Changes if changed_state => {
                writeln!(self.out, "{}", SimLed::line(true, state))?;
                self.out.flush()
            }
            SimRender::Changes | SimRender::Quiet => Ok(()),
        }
    }

    fn release(&mut self) -> io::Result<()> {
        if self.render == SimRender::Line {
            writeln!(self.out)?;
            self.out.flush()?;
        }
        Ok(())
    }
}

/// A pretend button. Cheap to clone; every clone presses the same button.
#[derive(Clone, Debug)]
pub struct SimButton {
    tx: mpsc::Sender<bool>,
}

/// The panel is no longer running, so the simulated button goes nowhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the simulated panel is not running")]
pub struct SimStopped;

impl SimButton {
    /// Puts the button down.
    pub fn press(&self) -> Result<(), SimStopped> {
        self.send(true)
    }

    /// Lets the button up.
    pub fn release(&self) -> Result<(), SimStopped> {
        self.send(false)
    }

    /// A short press (150 ms): a confirm.
    pub async fn click(&self) -> Result<(), SimStopped> {
        self.hold(Duration::from_millis(150)).await
    }

    /// Holds the button for `dur`, then releases it (`3.5 s` for a shutdown).
    pub async fn hold(&self, dur: Duration) -> Result<(), SimStopped> {
        self.press()?;
        tokio::time::sleep(dur).await;
        self.release()
    }

    fn send(&self, pressed: bool) -> Result<(), SimStopped> {
        match self.tx.try_send(pressed) {
            Ok(()) => Ok(()),
            // A full queue means nobody is reading fast enough; the level is dropped like a
            // bounce would be. Only a closed channel is an error.
            Err(mpsc::error::TrySendError::Full(_)) => Ok(()),
            Err(mpsc::error::TrySendError::Closed(_)) => Err(SimStopped),
        }
    }
}

/// A simulated button and its [`ButtonEvents`] for the driver. `held_at_start` simulates a
/// button held while the board powers on (recovery).
pub fn sim_button(held_at_start: bool) -> (SimButton, ButtonEvents) {
    let (tx, events) = ButtonEvents::channel("simulated", held_at_start);
    (SimButton { tx }, events)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A writer tests can read back.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    impl Shared {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    #[test]
    fn line_mode_redraws_in_place() {
        let out = Shared::default();
        let mut led = SimLed::new(Box::new(out.clone()), SimRender::Line);
        led.set(true, State::Ready).unwrap();
        led.set(true, State::Ready).unwrap();
        led.set(false, State::Ready).unwrap();
        led.release().unwrap();
        assert_eq!(
            out.text(),
            "\r\x1b[2KLED ● siap (ready)\r\x1b[2KLED ○ siap (ready)\n"
        );
    }

    #[test]
    fn changes_mode_prints_one_line_per_state() {
        let out = Shared::default();
        let mut led = SimLed::new(Box::new(out.clone()), SimRender::Changes);
        for on in [true, false, true, false] {
            led.set(on, State::Booting).unwrap();
        }
        led.set(false, State::Attention).unwrap();
        led.set(true, State::Attention).unwrap();
        assert_eq!(
            out.text(),
            "LED ● sedang menyala (booting)\nLED ● perlu perhatian (needs attention)\n"
        );
        let quiet = Shared::default();
        let mut led = SimLed::new(Box::new(quiet.clone()), SimRender::Quiet);
        led.set(true, State::Error).unwrap();
        assert_eq!(quiet.text(), "");
    }

    #[tokio::test]
    async fn button_levels_arrive_in_order_and_stop_is_reported() {
        let (button, mut events) = sim_button(true);
        assert!(events.initially_pressed);
        button.release().unwrap();
        button.press().unwrap();
        assert_eq!(events.recv().await, Some(false));
        assert_eq!(events.recv().await, Some(true));
        drop(events);
        assert_eq!(button.press(), Err(SimStopped));
    }
}
