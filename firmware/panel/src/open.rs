//! Opening the panel `ruji serve` asked for: none, the simulated one (LED as a line on stderr,
//! presses typed on stdin or sent by the developer page), or the board's (from its meta file).
//! A board whose LED or button cannot be opened still runs: the state is on the proctor page,
//! and the log says what is missing.

use std::path::Path;
use std::time::Duration;

use crate::{
    sim_button, spawn, BoardMeta, Led, LedClass, NoLed, PanelConfig, PanelSpec, SimButton, SimLed,
    Spawned,
};

/// Which panel to open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// No LED, no button.
    None,
    /// The simulated panel (development).
    Sim,
    /// The board's LED and button, per its meta file.
    Board,
}

/// An opened panel, and the simulated button when it is the simulated panel.
pub struct Opened {
    /// The running panel.
    pub spawned: Spawned,
    /// The simulated button (for the developer page).
    pub sim: Option<SimButton>,
}

/// Opens and starts the panel (inside a tokio runtime). With `held_at_start`, the simulated
/// button is down at start and let go 1.5 s later: a recovery, for tests.
pub fn open(mode: Mode, board_meta: &Path, held_at_start: bool) -> Opened {
    let mut sim = None;
    let (led, button): (Box<dyn Led>, _) = match mode {
        Mode::None => (Box::new(NoLed), None),
        Mode::Sim => {
            let (button, events) = sim_button(held_at_start);
            if held_at_start {
                let b = button.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(1500)).await;
                    let _ = b.release();
                });
            }
            stdin_presses(button.clone());
            sim = Some(button);
            (Box::new(SimLed::stderr()), Some(events))
        }
        Mode::Board => {
            let spec = BoardMeta::read(board_meta).and_then(|m| PanelSpec::from_meta(&m));
            match spec {
                Ok(spec) => (
                    spec.open_led(LedClass::SYSFS_ROOT).unwrap_or_else(|e| {
                        tracing::warn!(error = %e, "no LED; state is on the proctor page only");
                        Box::new(NoLed)
                    }),
                    spec.open_button().unwrap_or_else(|e| {
                        tracing::warn!(error = %e, "no button");
                        None
                    }),
                ),
                Err(e) => {
                    tracing::warn!(error = %e, path = %board_meta.display(), "board data unreadable; no LED or button");
                    (Box::new(NoLed), None)
                }
            }
        }
    };
    Opened {
        spawned: spawn(led, button, PanelConfig::default()),
        sim,
    }
}

/// The board's LED alone (for `ruji unplug`): none when it cannot be opened, with a log line.
pub fn open_led(board_meta: &Path) -> Box<dyn Led> {
    BoardMeta::read(board_meta)
        .and_then(|m| PanelSpec::from_meta(&m))
        .and_then(|spec| spec.open_led(LedClass::SYSFS_ROOT))
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "no LED; the console says it instead");
            Box::new(NoLed)
        })
}

/// Terminal presses, the development stand-in for the board's button: a line `h` holds the
/// button 3.5 s, any other line presses it.
fn stdin_presses(button: SimButton) {
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build();
        let Ok(rt) = rt else { return };
        for line in std::io::stdin().lines().map_while(Result::ok) {
            let r = match line.trim() {
                "h" => rt.block_on(button.hold(Duration::from_millis(3500))),
                _ => rt.block_on(button.click()),
            };
            if r.is_err() {
                break;
            }
        }
    });
}
