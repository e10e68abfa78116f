//! LED backends: the [`Led`] trait, the Linux LED class ([`LedClass`]) and [`NoLed`].
//!
//! The Linux LED class exposes each LED as a folder `/sys/class/leds/NAME` with the files
//! `trigger` (reading lists the triggers with the active one in brackets, e.g.
//! `none [mmc0] heartbeat`), `brightness` and `max_brightness`. Ruji takes the LED over by writing
//! `none` to `trigger`, then drives it by writing `0` or `max_brightness` to `brightness`. When the
//! panel stops cleanly, the LED goes back to the trigger it had (on a Pi: `mmc0` disk activity or
//! `heartbeat`), so an LED that is not following a Ruji pattern means Ruji is not running.
//!
//! The root folder is a parameter so tests can point it at a temporary folder laid out the same.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::pattern::State;
use crate::PanelError;

/// Something that shows the panel's LED.
pub trait Led: Send {
    /// Turns the LED on or off. `state` is what the board is showing, for backends that can say
    /// more than on/off (the simulated panel prints it); hardware ignores it.
    fn set(&mut self, on: bool, state: State) -> io::Result<()>;

    /// Gives the LED back (the panel is stopping). Default: nothing to do.
    fn release(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<L: Led + ?Sized> Led for Box<L> {
    fn set(&mut self, on: bool, state: State) -> io::Result<()> {
        (**self).set(on, state)
    }

    fn release(&mut self) -> io::Result<()> {
        (**self).release()
    }
}

/// No LED (a board without one, e.g. QEMU `virt`): states are only logged by the driver.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoLed;

impl Led for NoLed {
    fn set(&mut self, _on: bool, _state: State) -> io::Result<()> {
        Ok(())
    }
}

/// An LED of the Linux LED class, e.g. `/sys/class/leds/ACT` on a Raspberry Pi.
#[derive(Debug)]
pub struct LedClass {
    /// The LED's folder, `ROOT/NAME`.
    dir: PathBuf,
    /// Value written for "on" (`max_brightness`, at least 1).
    max: u32,
    /// The trigger active before Ruji took the LED over, restored by [`Led::release`].
    original_trigger: Option<String>,
    /// Last level written, so unchanged levels are not written again.
    last: Option<bool>,
}

impl LedClass {
    /// Where Linux exposes the LED class.
    pub const SYSFS_ROOT: &'static str = "/sys/class/leds";

    /// Takes over the LED `name` under `root` (normally [`LedClass::SYSFS_ROOT`]): remembers its
    /// trigger, sets the trigger to `none` and turns the LED off.
    pub fn open(root: impl AsRef<Path>, name: &str) -> Result<LedClass, PanelError> {
        let dir = root.as_ref().join(name);
        let err = |source: io::Error| PanelError::Led {
            path: dir.clone(),
            source,
        };
        if name.is_empty() || name.contains('/') || !dir.is_dir() {
            return Err(err(io::Error::new(
                io::ErrorKind::NotFound,
                "no such LED; check LED_NAME in the board's meta file",
            )));
        }
        let max = match std::fs::read_to_string(dir.join("max_brightness")) {
            Ok(s) => s.trim().parse::<u32>().unwrap_or(1).max(1),
            Err(e) if e.kind() == io::ErrorKind::NotFound => 1,
            Err(e) => return Err(err(e)),
        };
        let original_trigger = std::fs::read_to_string(dir.join("trigger"))
            .ok()
            .and_then(|s| active_trigger(&s).map(str::to_owned));
        let mut led = LedClass {
            dir: dir.clone(),
            max,
            original_trigger,
            last: None,
        };
        write_attr(&dir.join("trigger"), "none").map_err(err)?;
        led.write_level(false).map_err(err)?;
        Ok(led)
    }

    /// Takes over the first LED of `names` that exists under `root` (LED names changed across
    /// kernels: `ACT` today, `led0` on older Raspberry Pi kernels).
    pub fn open_first(root: impl AsRef<Path>, names: &[&str]) -> Result<LedClass, PanelError> {
        let root = root.as_ref();
        let mut last = None;
        for name in names {
            match LedClass::open(root, name) {
                Ok(led) => return Ok(led),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| PanelError::Led {
            path: root.to_owned(),
            source: io::Error::new(io::ErrorKind::NotFound, "no LED name given"),
        }))
    }

    /// The LED's folder.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The value written for "on".
    pub fn max_brightness(&self) -> u32 {
        self.max
    }

    /// The trigger the LED had before Ruji took it over, if it could be read.
    pub fn original_trigger(&self) -> Option<&str> {
        self.original_trigger.as_deref()
    }

    fn write_level(&mut self, on: bool) -> io::Result<()> {
        let value = if on { self.max } else { 0 };
        write_attr(&self.dir.join("brightness"), &value.to_string())?;
        self.last = Some(on);
        Ok(())
    }
}

impl Led for LedClass {
    fn set(&mut self, on: bool, _state: State) -> io::Result<()> {
        if self.last == Some(on) {
            return Ok(());
        }
        self.write_level(on)
    }

    fn release(&mut self) -> io::Result<()> {
        match self.original_trigger.as_deref() {
            Some(t) if t != "none" => write_attr(&self.dir.join("trigger"), t),
            _ => self.write_level(false),
        }
    }
}

/// The active trigger in the text of a `trigger` file: the word in brackets.
fn active_trigger(text: &str) -> Option<&str> {
    text.split_whitespace()
        .find_map(|w| w.strip_prefix('[').and_then(|w| w.strip_suffix(']')))
}

/// Writes a sysfs attribute. The file must exist (sysfs never creates one; neither do we).
fn write_attr(path: &Path, value: &str) -> io::Result<()> {
    let mut f = OpenOptions::new().write(true).truncate(true).open(path)?;
    f.write_all(value.as_bytes())?;
    f.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A folder laid out like `/sys/class/leds/NAME`.
    fn fake_led(root: &Path, name: &str, max: &str, trigger: &str) -> PathBuf {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("brightness"), "1\n").unwrap();
        std::fs::write(dir.join("max_brightness"), max).unwrap();
        std::fs::write(dir.join("trigger"), trigger).unwrap();
        dir
    }

    fn read(dir: &Path, attr: &str) -> String {
        std::fs::read_to_string(dir.join(attr)).unwrap()
    }

    #[test]
    fn takes_over_drives_and_releases_the_led() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = fake_led(
            tmp.path(),
            "ACT",
            "255\n",
            "none rc-feedback [mmc0] heartbeat\n",
        );
        let mut led = LedClass::open(tmp.path(), "ACT").unwrap();
        assert_eq!(led.max_brightness(), 255);
        assert_eq!(led.original_trigger(), Some("mmc0"));
        assert_eq!(read(&dir, "trigger"), "none");
        assert_eq!(read(&dir, "brightness"), "0");
        led.set(true, State::Ready).unwrap();
        assert_eq!(read(&dir, "brightness"), "255");
        led.set(false, State::Ready).unwrap();
        assert_eq!(read(&dir, "brightness"), "0");
        // An unchanged level is not written again.
        std::fs::write(dir.join("brightness"), "sentinel").unwrap();
        led.set(false, State::Ready).unwrap();
        assert_eq!(read(&dir, "brightness"), "sentinel");
        led.release().unwrap();
        assert_eq!(read(&dir, "trigger"), "mmc0");
    }

    #[test]
    fn gpio_led_with_max_one_and_no_trigger_to_restore() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = fake_led(tmp.path(), "led0", "1", "[none] heartbeat");
        let mut led = LedClass::open_first(tmp.path(), &["ACT", "led0"]).unwrap();
        assert_eq!(led.path(), dir);
        led.set(true, State::Booting).unwrap();
        assert_eq!(read(&dir, "brightness"), "1");
        led.release().unwrap();
        assert_eq!(read(&dir, "trigger"), "none");
        assert_eq!(read(&dir, "brightness"), "0");
    }

    #[test]
    fn missing_led_says_what_to_check() {
        let tmp = tempfile::tempdir().unwrap();
        let e = LedClass::open(tmp.path(), "ACT").unwrap_err().to_string();
        assert!(e.contains("ACT") && e.contains("LED_NAME"), "{e}");
        assert!(LedClass::open(tmp.path(), "../x").is_err());
        assert!(LedClass::open_first(tmp.path(), &[]).is_err());
        // A folder without a brightness file cannot be driven.
        std::fs::create_dir_all(tmp.path().join("broken")).unwrap();
        assert!(LedClass::open(tmp.path(), "broken").is_err());
        assert!(!tmp.path().join("broken/brightness").exists());
    }

    #[test]
    fn active_trigger_parsing() {
        assert_eq!(active_trigger("none [mmc0] timer"), Some("mmc0"));
        assert_eq!(active_trigger("[none] timer\n"), Some("none"));
        assert_eq!(active_trigger("none timer"), None);
    }
}
