//! Board data: which LED and which button a board has, read from its `board/NAME/meta` file.
//!
//! The meta file is `KEY=VALUE` lines, shell style (`#` comments, values optionally in single or
//! double quotes), so image scripts can `source` it too. The keys read here:
//!
//! | key | meaning | example |
//! |---|---|---|
//! | `LED_NAME` | LED class names to try in order, space separated; empty = no LED | `"ACT led0"` |
//! | `BUTTON_SOURCE` | `input` (input-event key), `gpio` (GPIO line) or `none` | `input` |
//! | `BUTTON_KEY` | key code for `input` | `116` (`KEY_POWER`) |
//! | `BUTTON_DEVICE` | `auto` (every device with the key) or an event device path | `auto` |
//! | `BUTTON_GPIO_CHIP` | chip path, name or label for `gpio` (and the `input` fallback) | `pinctrl-bcm2711` |
//! | `BUTTON_GPIO_LINE` | line offset on that chip | `3` |
//! | `BUTTON_GPIO_ACTIVE` | `low`: a button to ground, with the pull-up (the default); `high`: the line is driven high while pressed, no pull | `low` |
//!
//! Other keys (kernel, device trees, ...) belong to the image build and are ignored here.
//! With `BUTTON_SOURCE=input` and both `BUTTON_GPIO_*` keys present, [`PanelSpec::open_button`]
//! falls back to the GPIO line when no input device reports the key (the overlay is missing).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::button::ButtonEvents;
use crate::gpio::{open_gpio, GpioButton};
use crate::input::{find_input, open_input};
use crate::led::{Led, LedClass, NoLed};
use crate::PanelError;

/// Parsed `KEY=VALUE` board data.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BoardMeta(BTreeMap<String, String>);

impl BoardMeta {
    /// Parses the text of a meta file.
    pub fn parse(text: &str) -> Result<BoardMeta, PanelError> {
        let mut map = BTreeMap::new();
        for (n, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |why: &str| PanelError::Meta {
                line: n + 1,
                message: format!("{why}: {raw}"),
            };
            let (key, value) = line
                .split_once('=')
                .ok_or_else(|| bad("expected KEY=VALUE"))?;
            let key = key.trim();
            if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(bad("bad key"));
            }
            let value = value.trim();
            let value = match value.chars().next() {
                Some(q @ ('"' | '\'')) => value
                    .strip_prefix(q)
                    .and_then(|v| v.strip_suffix(q))
                    .ok_or_else(|| bad("unclosed quote"))?,
                _ => value.split(" #").next().unwrap_or("").trim(),
            };
            map.insert(key.to_owned(), value.to_owned());
        }
        Ok(BoardMeta(map))
    }

    /// Reads and parses a meta file.
    pub fn read(path: impl AsRef<Path>) -> Result<BoardMeta, PanelError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| PanelError::Meta {
            line: 0,
            message: format!("cannot read {}: {e}", path.display()),
        })?;
        BoardMeta::parse(&text)
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }
}

/// Which LED the panel drives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LedSpec {
    /// No LED.
    None,
    /// A Linux LED class LED: the first of these names that exists.
    Class(Vec<String>),
}

/// Which button the panel reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ButtonSpec {
    /// No button.
    None,
    /// An input-event key; `device: None` = every device that reports the key. `fallback` is the
    /// GPIO line to use when no input device is found.
    Input {
        /// A specific event device, or every device that reports `key`.
        device: Option<PathBuf>,
        /// The key code.
        key: u16,
        /// GPIO line to fall back to when no input device is found.
        fallback: Option<GpioButton>,
    },
    /// A GPIO line.
    Gpio(GpioButton),
}

/// A board's LED and button, from its meta file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PanelSpec {
    /// The LED.
    pub led: LedSpec,
    /// The button.
    pub button: ButtonSpec,
}

impl PanelSpec {
    /// The panel of a board described by `meta`.
    pub fn from_meta(meta: &BoardMeta) -> Result<PanelSpec, PanelError> {
        let bad = |key: &str, why: &str| PanelError::Meta {
            line: 0,
            message: format!("{key}: {why}"),
        };
        let names: Vec<String> = meta
            .get("LED_NAME")
            .unwrap_or("")
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        let led = if names.is_empty() {
            LedSpec::None
        } else {
            LedSpec::Class(names)
        };
        let gpio = match (meta.get("BUTTON_GPIO_CHIP"), meta.get("BUTTON_GPIO_LINE")) {
            (Some(chip), Some(line)) if !chip.is_empty() => {
                let mut g = GpioButton::new(
                    chip,
                    line.parse()
                        .map_err(|_| bad("BUTTON_GPIO_LINE", "must be a line number"))?,
                );
                match meta.get("BUTTON_GPIO_ACTIVE").unwrap_or("low") {
                    "low" | "" => {}
                    "high" => {
                        g.active_low = false;
                        g.pull_up = false;
                    }
                    other => {
                        return Err(bad(
                            "BUTTON_GPIO_ACTIVE",
                            &format!("{other:?} is not one of low, high"),
                        ))
                    }
                }
                Some(g)
            }
            _ => None,
        };
        let button = match meta.get("BUTTON_SOURCE").unwrap_or("none") {
            "none" | "" => ButtonSpec::None,
            "input" => ButtonSpec::Input {
                device: match meta.get("BUTTON_DEVICE").unwrap_or("auto") {
                    "auto" | "" => None,
                    path => Some(PathBuf::from(path)),
                },
                key: meta
                    .get("BUTTON_KEY")
                    .ok_or_else(|| bad("BUTTON_KEY", "needed when BUTTON_SOURCE=input"))?
                    .parse()
                    .map_err(|_| bad("BUTTON_KEY", "must be a key code such as 116"))?,
                fallback: gpio,
            },
            "gpio" => ButtonSpec::Gpio(gpio.ok_or_else(|| {
                bad(
                    "BUTTON_GPIO_CHIP",
                    "BUTTON_GPIO_CHIP and BUTTON_GPIO_LINE are needed when BUTTON_SOURCE=gpio",
                )
            })?),
            other => {
                return Err(bad(
                    "BUTTON_SOURCE",
                    &format!("{other:?} is not one of input, gpio, none"),
                ))
            }
        };
        Ok(PanelSpec { led, button })
    }

    /// Opens the LED under `root` (normally [`LedClass::SYSFS_ROOT`]). A board without an LED
    /// gets [`NoLed`].
    pub fn open_led(&self, root: impl AsRef<Path>) -> Result<Box<dyn Led>, PanelError> {
        match &self.led {
            LedSpec::None => Ok(Box::new(NoLed)),
            LedSpec::Class(names) => {
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                Ok(Box::new(LedClass::open_first(root, &names)?))
            }
        }
    }

    /// Opens the button (inside a tokio runtime). `Ok(None)` for a board without one.
    pub fn open_button(&self) -> Result<Option<ButtonEvents>, PanelError> {
        match &self.button {
            ButtonSpec::None => Ok(None),
            ButtonSpec::Gpio(g) => open_gpio(g).map(Some),
            ButtonSpec::Input {
                device,
                key,
                fallback,
            } => {
                let first = match device {
                    Some(path) => open_input(path, *key),
                    None => find_input(*key),
                };
                match (first, fallback) {
                    (Ok(b), _) => Ok(Some(b)),
                    (Err(e), Some(g)) => {
                        tracing::warn!(error = %e, "no input key for the button; trying the GPIO line");
                        open_gpio(g).map(Some)
                    }
                    (Err(e), None) => Err(e),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RPI4: &str = r#"
# Raspberry Pi 4
LED_NAME="ACT led0"
BUTTON_SOURCE=input
BUTTON_KEY=116   # KEY_POWER
BUTTON_DEVICE=auto
BUTTON_GPIO_CHIP='pinctrl-bcm2711'
BUTTON_GPIO_LINE=3
KERNEL=vmlinuz
"#;

    #[test]
    fn parses_shell_style_meta() {
        let m = BoardMeta::parse(RPI4).unwrap();
        assert_eq!(m.get("LED_NAME"), Some("ACT led0"));
        assert_eq!(m.get("BUTTON_KEY"), Some("116"));
        assert_eq!(m.get("BUTTON_GPIO_CHIP"), Some("pinctrl-bcm2711"));
        assert_eq!(m.get("KERNEL"), Some("vmlinuz"));
        assert_eq!(m.get("MISSING"), None);
        let e = BoardMeta::parse("OK=1\nnot a pair\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2"), "{e}");
        assert!(BoardMeta::parse("A=\"open\n").is_err());
        assert!(BoardMeta::parse("BAD KEY=1").is_err());
    }

    #[test]
    fn panel_spec_from_meta() {
        let spec = PanelSpec::from_meta(&BoardMeta::parse(RPI4).unwrap()).unwrap();
        assert_eq!(spec.led, LedSpec::Class(vec!["ACT".into(), "led0".into()]));
        assert_eq!(
            spec.button,
            ButtonSpec::Input {
                device: None,
                key: 116,
                fallback: Some(GpioButton::new("pinctrl-bcm2711", 3)),
            }
        );
        let qemu = "LED_NAME=\nBUTTON_SOURCE=input\nBUTTON_KEY=116\n";
        let spec = PanelSpec::from_meta(&BoardMeta::parse(qemu).unwrap()).unwrap();
        assert_eq!(spec.led, LedSpec::None);
        let gpio = "BUTTON_SOURCE=gpio\nBUTTON_GPIO_CHIP=/dev/gpiochip0\nBUTTON_GPIO_LINE=3\n";
        let spec = PanelSpec::from_meta(&BoardMeta::parse(gpio).unwrap()).unwrap();
        assert_eq!(
            spec.button,
            ButtonSpec::Gpio(GpioButton::new("/dev/gpiochip0", 3))
        );
        // A line driven high while pressed (QEMU virt's power-button line on its PL061).
        let high = "BUTTON_SOURCE=input\nBUTTON_KEY=116\nBUTTON_GPIO_CHIP=9030000.pl061\n\
                    BUTTON_GPIO_LINE=3\nBUTTON_GPIO_ACTIVE=high\n";
        let spec = PanelSpec::from_meta(&BoardMeta::parse(high).unwrap()).unwrap();
        let ButtonSpec::Input {
            fallback: Some(g), ..
        } = spec.button
        else {
            panic!("{spec:?}")
        };
        assert!(!g.active_low && !g.pull_up, "{g:?}");
        assert_eq!(
            PanelSpec::from_meta(&BoardMeta::default()).unwrap(),
            PanelSpec {
                led: LedSpec::None,
                button: ButtonSpec::None
            }
        );
    }

    #[test]
    fn bad_panel_data_says_which_key() {
        for (text, key) in [
            ("BUTTON_SOURCE=input\n", "BUTTON_KEY"),
            ("BUTTON_SOURCE=input\nBUTTON_KEY=power\n", "BUTTON_KEY"),
            ("BUTTON_SOURCE=gpio\n", "BUTTON_GPIO_CHIP"),
            ("BUTTON_SOURCE=usb\n", "BUTTON_SOURCE"),
            (
                "BUTTON_GPIO_CHIP=x\nBUTTON_GPIO_LINE=three\n",
                "BUTTON_GPIO_LINE",
            ),
            (
                "BUTTON_GPIO_CHIP=x\nBUTTON_GPIO_LINE=3\nBUTTON_GPIO_ACTIVE=rising\n",
                "BUTTON_GPIO_ACTIVE",
            ),
        ] {
            let e = PanelSpec::from_meta(&BoardMeta::parse(text).unwrap())
                .unwrap_err()
                .to_string();
            assert!(e.contains(key), "{text:?}: {e}");
        }
    }

    #[test]
    fn opens_the_led_named_in_the_meta() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("led0");
        std::fs::create_dir(&dir).unwrap();
        for (f, v) in [
            ("brightness", "0"),
            ("max_brightness", "1"),
            ("trigger", "[mmc0]"),
        ] {
            std::fs::write(dir.join(f), v).unwrap();
        }
        let spec = PanelSpec::from_meta(&BoardMeta::parse(RPI4).unwrap()).unwrap();
        let mut led = spec.open_led(tmp.path()).unwrap();
        led.set(true, crate::State::Ready).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join("brightness")).unwrap(),
            "1"
        );
        let none = PanelSpec {
            led: LedSpec::None,
            button: ButtonSpec::None,
        };
        assert!(none.open_led(tmp.path()).is_ok());
        assert!(none.open_button().unwrap().is_none());
    }

    /// Every board folder of the project parses and names a panel.
    #[test]
    fn project_board_folders_parse() {
        let boards = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../board");
        for name in ["rpi4", "rpi3", "rpi-zero2w", "qemu-virt"] {
            let meta = BoardMeta::read(boards.join(name).join("meta")).unwrap();
            let spec = PanelSpec::from_meta(&meta).unwrap();
            assert!(
                matches!(spec.button, ButtonSpec::Input { key: 116, .. }),
                "{name}: {spec:?}"
            );
            if name.starts_with("rpi") {
                assert!(
                    matches!(&spec.led, LedSpec::Class(n) if n[0] == "ACT"),
                    "{name}"
                );
                let config = std::fs::read_to_string(boards.join(name).join("config.txt")).unwrap();
                assert!(
                    config.lines().any(|l| l.trim()
                        == "dtoverlay=gpio-key,gpio=3,active_low=1,gpio_pull=up,keycode=116,label=ruji"),
                    "{name}: config.txt lacks the gpio-key overlay line"
                );
            }
        }
    }
}
