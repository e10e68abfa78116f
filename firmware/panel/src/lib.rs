//! ruji-panel: the board's one LED and one button.
//!
//! The board has no screen. It tells its state with an LED (the Raspberry Pi's green ACT LED) and
//! takes a few decisions from a push button (on GPIO3). This crate turns Ruji's conditions into
//! blink patterns, and button presses into gestures, on real hardware or simulated. What each
//! pattern and gesture means for the proctor is in `docs/panel.md`.
//!
//! Layout:
//!
//! - [`pattern`]: the pure pattern engine. [`Condition`]s in (booting, session open, attention
//!   reasons, cannot serve, shutting down, safe to unplug), the [`State`] of highest priority out,
//!   and the LED level at a given time with the time of its next change ([`Panel`]).
//! - [`gesture`]: the pure gesture recogniser. Raw button levels with timestamps in, debounced
//!   [`Gesture`]s out: short press = confirm, hold 3 s = shutdown, held at power-on = recovery.
//! - [`led`]: LED backends: the Linux LED class under `/sys/class/leds` ([`LedClass`]), none.
//! - [`button`], [`input`], [`gpio`]: button backends: an input-event key through `evdev` (the Pi
//!   `gpio-key` overlay, QEMU), a GPIO character-device line through `gpiocdev`.
//! - [`sim`]: the simulated panel for development: LED as a line of text, presses from code.
//! - [`board`]: reads a board's LED and button from its `board/NAME/meta` file.
//! - [`driver`]: the tokio task that runs all of it and sends gestures on a channel.
//! - [`open`]: the panel `ruji serve` asked for (none, simulated, the board's), started.
//! - [`picture`]: the docs' picture of the LED patterns (`docs/screens/led-patterns.svg`), drawn
//!   from the engine; a test fails when the committed picture no longer matches.
//!
//! Both engines take time as [`Millis`] from the caller, so their tests run on virtual time.
//! The driver uses tokio's monotonic clock, never the wall clock (which jumps when it is set).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::path::PathBuf;

pub mod board;
pub mod button;
pub mod driver;
pub mod gesture;
pub mod gpio;
pub mod input;
pub mod led;
pub mod open;
pub mod pattern;
pub mod picture;
pub mod sim;

pub use board::{BoardMeta, ButtonSpec, LedSpec, PanelSpec};
pub use button::ButtonEvents;
pub use driver::{spawn, PanelConfig, PanelHandle, PanelView, Spawned};
pub use gesture::{Gesture, GestureConfig, Recogniser};
pub use gpio::{open_gpio, GpioButton};
pub use input::{find_input, open_input, KEY_POWER};
pub use led::{Led, LedClass, NoLed};
pub use open::{open, open_led, Mode, Opened};
pub use pattern::{Attention, Condition, Conditions, LedOutput, Millis, Panel, Pattern, State};
pub use sim::{sim_button, SimButton, SimLed, SimRender, SimStopped};

/// Why the panel could not be set up. Each message says what to check.
#[derive(Debug, thiserror::Error)]
pub enum PanelError {
    /// The LED could not be opened or driven.
    #[error("cannot use the LED at {path}: {source}")]
    Led {
        /// The LED's folder.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The input-event button could not be opened.
    #[error("cannot use the button input device {path}: {source}")]
    Input {
        /// The device.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The GPIO button could not be opened.
    #[error("cannot use GPIO line {line} of {chip}: {message}")]
    Gpio {
        /// The chip.
        chip: PathBuf,
        /// The line offset.
        line: u32,
        /// What went wrong.
        message: String,
    },
    /// The board's meta file is not valid.
    #[error("board meta file, line {line}: {message}")]
    Meta {
        /// 1-based line number, 0 when the problem is not on one line.
        line: usize,
        /// What is wrong.
        message: String,
    },
}
