//! Button from a Linux input-event device (`/dev/input/event*`), through the `evdev` crate.
//!
//! This is the button of the Raspberry Pi `gpio-key` overlay (a push button on GPIO3 reported as
//! a key, [`KEY_POWER`] by default) and of QEMU (a virtio keyboard driven by the monitor's
//! `sendkey`, or the `virt` machine's power button). The key code comes from the board data
//! (`BUTTON_KEY` in `board/*/meta`).
//!
//! [`find_input`] opens every input device that can report the key, so a USB keyboard's power
//! key also works as the button on a board that has one plugged in.
//!
//! Must be called inside a tokio runtime: the reader is a tokio task on the device's file
//! descriptor, and ends when the [`ButtonEvents`] is dropped or the device goes away.

use std::io;
use std::path::{Path, PathBuf};

use evdev::{Device, EventType, KeyCode};
use tokio::sync::mpsc;

use crate::button::ButtonEvents;
use crate::PanelError;

/// `KEY_POWER` from linux/input-event-codes.h: the default key of the Pi `gpio-key` overlay in
/// Ruji's config.txt and of QEMU's power button.
pub const KEY_POWER: u16 = 116;

/// Opens the input device at `path` as the button, reporting key `key`.
pub fn open_input(path: impl AsRef<Path>, key: u16) -> Result<ButtonEvents, PanelError> {
    let path = path.as_ref();
    let dev = Device::open(path).map_err(|source| PanelError::Input {
        path: path.to_owned(),
        source,
    })?;
    let (tx, mut button) = ButtonEvents::channel(format!("input {}", path.display()), false);
    attach(&mut button, &tx, path.to_owned(), dev, key)?;
    Ok(button)
}

/// Opens every input device under `/dev/input` that reports key `key`, merged into one button.
pub fn find_input(key: u16) -> Result<ButtonEvents, PanelError> {
    let mut found = Vec::new();
    for (path, dev) in evdev::enumerate() {
        if supports(&dev, key) {
            found.push((path, dev));
        }
    }
    if found.is_empty() {
        return Err(PanelError::Input {
            path: PathBuf::from("/dev/input"),
            source: io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "no input device reports key {key}; check the gpio-key overlay line in \
                     config.txt and that the gpio_keys and evdev kernel modules are loaded"
                ),
            ),
        });
    }
    let names: Vec<String> = found.iter().map(|(p, _)| p.display().to_string()).collect();
    let (tx, mut button) = ButtonEvents::channel(format!("input {}", names.join(", ")), false);
    for (path, dev) in found {
        attach(&mut button, &tx, path, dev, key)?;
    }
    Ok(button)
}

fn supports(dev: &Device, key: u16) -> bool {
    dev.supported_keys()
        .is_some_and(|keys| keys.contains(KeyCode::new(key)))
}

/// Starts reading `dev` into `button`'s channel.
fn attach(
    button: &mut ButtonEvents,
    tx: &mpsc::Sender<bool>,
    path: PathBuf,
    dev: Device,
    key: u16,
) -> Result<(), PanelError> {
    let err = |source: io::Error| PanelError::Input {
        path: path.clone(),
        source,
    };
    if !supports(&dev, key) {
        return Err(err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("this device does not report key {key}; check BUTTON_KEY in the board's meta"),
        )));
    }
    if dev
        .get_key_state()
        .map_err(err)?
        .contains(KeyCode::new(key))
    {
        button.initially_pressed = true;
    }
    let mut stream = dev.into_event_stream().map_err(err)?;
    let tx = tx.clone();
    let task = tokio::spawn(async move {
        loop {
            match stream.next_event().await {
                Ok(ev) if ev.event_type() == EventType::KEY && ev.code() == key => {
                    // 1 = down, 0 = up, 2 = autorepeat (ignored).
                    let pressed = match ev.value() {
                        0 => false,
                        1 => true,
                        _ => continue,
                    };
                    if tx.send(pressed).await.is_err() {
                        break;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(device = %path.display(), error = %e,
                        "button input device stopped; the button no longer works until restart");
                    break;
                }
            }
        }
    });
    button.stop_task(task.abort_handle());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn missing_device_is_a_clear_error() {
        let e = open_input("/nonexistent/event0", KEY_POWER).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/event0"), "{e}");
    }

    #[tokio::test]
    async fn a_file_that_is_no_input_device_is_refused() {
        let tmp = tempfile::NamedTempFile::new().unwrap();
        assert!(open_input(tmp.path(), KEY_POWER).is_err());
    }
}
