//! Button on a GPIO line through the GPIO character device (`/dev/gpiochipN`), via `gpiocdev`.
//!
//! The alternative to the `gpio-key` overlay: it needs no device-tree overlay, only a kernel with
//! the GPIO character device (any current one). The line is requested as an input with the
//! internal pull-up, active-low (a button to ground reads "active" when pressed), both edges
//! detected and the kernel's debounce (see [`GpioButton::debounce`]). The overlay and this backend
//! cannot both hold GPIO3: with the overlay loaded, the line is busy and [`open_gpio`] fails.
//!
//! The reader is a plain thread that waits for edges with a short timeout, so it notices when the
//! [`ButtonEvents`] is dropped and ends. It does not need a tokio runtime.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use gpiocdev::line::{Bias, EdgeDetection, EdgeKind, Value};
use gpiocdev::Request;

use crate::button::ButtonEvents;
use crate::PanelError;

/// Which line to use and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GpioButton {
    /// The chip: a path (`/dev/gpiochip0`), a name (`gpiochip0`) or a label
    /// (`pinctrl-bcm2711` on a Pi 4, `pinctrl-bcm2835` on a Pi 3 or Zero 2 W).
    pub chip: String,
    /// The line's offset on the chip (3 for GPIO3 on a Pi).
    pub line: u32,
    /// Pressed pulls the line low (button to ground). Default true.
    pub active_low: bool,
    /// Enable the internal pull-up. Default true (GPIO3 on a Pi also has an external one).
    pub pull_up: bool,
    /// Debounce period asked of the kernel. Default 20 ms. Ruji's gesture recogniser debounces
    /// again, so a kernel without debounce support still works.
    pub debounce: Duration,
}

impl GpioButton {
    /// GPIO `line` on `chip`, active-low with pull-up and 20 ms debounce.
    pub fn new(chip: impl Into<String>, line: u32) -> GpioButton {
        GpioButton {
            chip: chip.into(),
            line,
            active_low: true,
            pull_up: true,
            debounce: Duration::from_millis(20),
        }
    }
}

/// How often the reader thread checks whether it should stop.
const POLL: Duration = Duration::from_millis(200);

/// Requests the line and starts reading it.
pub fn open_gpio(cfg: &GpioButton) -> Result<ButtonEvents, PanelError> {
    let chip = resolve_chip(&cfg.chip)?;
    let err = |e: gpiocdev::Error| PanelError::Gpio {
        chip: chip.clone(),
        line: cfg.line,
        message: e.to_string(),
    };
    let mut builder = Request::builder();
    builder
        .on_chip(&chip)
        .with_consumer("ruji-panel")
        .with_line(cfg.line)
        .as_input()
        .with_edge_detection(EdgeDetection::BothEdges)
        .with_debounce_period(cfg.debounce);
    if cfg.active_low {
        builder.as_active_low();
    }
    builder.with_bias(if cfg.pull_up {
        Bias::PullUp
    } else {
        Bias::Disabled
    });
    let req = builder.request().map_err(err)?;
    let initially_pressed = req.value(cfg.line).map_err(err)? == Value::Active;
    let source = format!("gpio {} line {}", chip.display(), cfg.line);
    let (tx, mut button) = ButtonEvents::channel(source.clone(), initially_pressed);
    let stop = Arc::new(AtomicBool::new(false));
    button.stop_flag(stop.clone());
    std::thread::Builder::new()
        .name("ruji-panel-gpio".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match req.wait_edge_event(POLL) {
                    Ok(false) => continue,
                    Ok(true) => {}
                    Err(e) => {
                        tracing::warn!(%source, error = %e,
                            "button GPIO line stopped; the button no longer works until restart");
                        break;
                    }
                }
                match req.read_edge_event() {
                    Ok(ev) => {
                        // Rising = inactive to active = pressed (active-low already applied).
                        if tx.blocking_send(ev.kind == EdgeKind::Rising).is_err() {
                            break;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(%source, error = %e, "cannot read a button GPIO edge");
                        break;
                    }
                }
            }
        })
        .map_err(|e| PanelError::Gpio {
            chip: PathBuf::from(&cfg.chip),
            line: cfg.line,
            message: format!("cannot start the reader thread: {e}"),
        })?;
    Ok(button)
}

/// Finds the chip named by a path, a device name or a label.
fn resolve_chip(chip: &str) -> Result<PathBuf, PanelError> {
    let path = Path::new(chip);
    if path.is_absolute() {
        return Ok(path.to_owned());
    }
    let dev = Path::new("/dev").join(chip);
    if dev.exists() {
        return Ok(dev);
    }
    for p in gpiocdev::chip::chips().unwrap_or_default() {
        if let Ok(info) = gpiocdev::Chip::from_path(&p).and_then(|c| c.info()) {
            if info.label == chip || info.name == chip {
                return Ok(p);
            }
        }
    }
    Err(PanelError::Gpio {
        chip: PathBuf::from(chip),
        line: 0,
        message: "no GPIO chip with this path, name or label; check BUTTON_GPIO_CHIP in the \
                  board's meta"
            .into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_chip_is_a_clear_error() {
        let e = open_gpio(&GpioButton::new("no-such-chip-label", 3)).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("no-such-chip-label") && text.contains("BUTTON_GPIO_CHIP"),
            "{text}"
        );
    }

    #[test]
    fn a_path_that_is_no_chip_is_refused() {
        let tmp = tempfile::NamedTempFile::new().unwrap();
        let e = open_gpio(&GpioButton::new(tmp.path().to_str().unwrap(), 3)).unwrap_err();
        assert!(e.to_string().contains("line 3"), "{e}");
    }

    #[test]
    fn defaults_suit_a_button_to_ground() {
        let b = GpioButton::new("pinctrl-bcm2711", 3);
        assert!(b.active_low && b.pull_up);
        assert_eq!(b.debounce, Duration::from_millis(20));
    }
}
