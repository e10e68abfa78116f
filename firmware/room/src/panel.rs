//! The board's LED and button, seen from the room: [`supervise`] keeps the LED in step with
//! the room (session open, the attention reasons of [`crate::health`]) and acts on the button's
//! gestures (a press confirms the action waiting for it, a 3 s hold shuts down safely, a hold
//! at power-on recovers). The panel itself (patterns, gestures, hardware) is ruji-panel; it
//! knows nothing of the room.

use std::path::PathBuf;
use std::time::Duration;

use ruji_panel::{Attention, Condition, Gesture, PanelHandle};
use ruji_store::Action;
use tokio::sync::mpsc::Receiver;
use tokio::sync::oneshot;

use crate::{config, health, Room};

/// How often the LED's reasons are read again.
const REFRESH: Duration = Duration::from_secs(2);

/// Where a recovery records the LAN reset.
#[derive(Debug, Clone)]
pub struct RecoveryFiles {
    /// The data directory (the recovery marker lives there).
    pub data: PathBuf,
    /// ruji.toml, as given with `--config`.
    pub config: Option<PathBuf>,
}

/// Keeps the LED in step with the room and acts on the button's gestures until the gesture
/// channel closes. A 3 s hold sends on `shutdown` (once).
pub async fn supervise(
    room: Room,
    panel: PanelHandle,
    mut gestures: Receiver<Gesture>,
    shutdown: oneshot::Sender<()>,
    files: RecoveryFiles,
) {
    let mut tick = tokio::time::interval(REFRESH);
    let mut shutdown = Some(shutdown);
    // Starting is a phase: "booting" until the LAN address is claimed (or found taken), never
    // again after (a later re-probe is not a boot).
    let mut booting = true;
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if booting && room.started_up() {
                    booting = false;
                    panel.clear(Condition::Booting);
                    tracing::info!("started: the LED leaves \"booting\"");
                }
                // Reading the store and the file system: off the async workers.
                let r = room.clone();
                let state = tokio::task::spawn_blocking(move || {
                    (r.session_open(), health::attention(&r.health_inputs()))
                })
                .await;
                let (open, active) = match state {
                    Ok(state) => state,
                    Err(e) => {
                        tracing::error!(error = %e, "cannot read the LED's reasons");
                        continue;
                    }
                };
                panel.set(Condition::SessionOpen, open);
                for a in Attention::ALL {
                    panel.set(Condition::Attention(a), active.contains(&a));
                }
            }
            g = gestures.recv() => match g {
                None => return,
                Some(Gesture::Confirm) => match room.confirm_physical().await {
                    Ok(Some(what)) => tracing::info!(action = what.name(), "button: press confirmed the action"),
                    Ok(None) => tracing::info!("button: press (no action is waiting for a confirmation)"),
                    Err(e) => tracing::error!(error = %e, "button: the confirmed action failed"),
                },
                Some(Gesture::Shutdown) => {
                    tracing::info!("button: held 3 s: safe shutdown");
                    panel.raise(Condition::ShuttingDown);
                    if let Some(s) = shutdown.take() {
                        let _ = s.send(());
                    }
                }
                Some(Gesture::Recovery) => {
                    // Late (the start did not wait for it): the LAN reset applies from the next
                    // start.
                    recover_lan(&files);
                    tracing::warn!("recovery: LAN defaults apply from the next start");
                    recover_proctor(&room).await;
                }
            }
        }
    }
}

/// How `ruji serve` ended, for the LED.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// A signal (SIGTERM, Ctrl-C).
    Signal,
    /// The button's 3 s hold.
    Button,
    /// It could not serve.
    Failed,
}

/// What the LED shows once `ruji serve` stopped: after the button's safe shutdown, everything
/// is on disk: "safe to unplug" (until the power goes, on a board; a few seconds elsewhere),
/// unless the caller (`--safe-shutdown-exit`, the image's ruji-start) shows it itself after
/// unmounting the data; "cannot serve" after a failure.
pub async fn after_stop(panel: &PanelHandle, stopped: Stopped, board: bool, caller_shows: bool) {
    match stopped {
        Stopped::Button if !caller_shows => {
            let _ = std::process::Command::new("sync").status();
            panel.raise(Condition::SafeToUnplug);
            tracing::info!("safe to unplug / aman untuk dicabut");
            if board {
                std::future::pending::<()>().await;
            }
            tokio::time::sleep(Duration::from_secs(3)).await;
        }
        Stopped::Failed => panel.raise(Condition::CannotServe),
        _ => {}
    }
}

/// Waits (at most the recogniser's power-on hold plus 2 s) for the gesture of a button that was
/// already down at power-on: is it a recovery?
pub async fn held_for_recovery(gestures: &mut Receiver<Gesture>) -> bool {
    let wait = ruji_panel::GestureConfig::default().boot_hold_ms + 2000;
    let deadline = tokio::time::Instant::now() + Duration::from_millis(wait);
    tracing::info!("button down at power-on: waiting for a recovery hold");
    loop {
        match tokio::time::timeout_at(deadline, gestures.recv()).await {
            Ok(Some(Gesture::Recovery)) => return true,
            Ok(Some(g)) => tracing::info!(gesture = g.name(), "button at start: not a recovery"),
            Ok(None) | Err(_) => return false,
        }
    }
}

/// Recovery, first half: the LAN defaults win over ruji.toml until the file changes.
pub fn recover_lan(files: &RecoveryFiles) {
    match config::reset_lan(files.config.as_deref(), &files.data) {
        Ok(()) => tracing::warn!(
            "recovery: LAN settings reset to the defaults (192.168.0.200/24) until ruji.toml is changed"
        ),
        Err(e) => tracing::error!(error = %e, "recovery: cannot record the LAN reset"),
    }
}

/// Recovery, second half: the proctor password is removed and a new setup code printed (on the
/// console, where the first one was); the exam data stays. Logged and in the event log.
pub async fn recover_proctor(room: &Room) {
    match room.reset_proctor().await {
        Ok(code) => {
            tracing::warn!("recovery: proctor password reset (exam data kept)");
            println!("  Kode penyiapan proktor baru / new proctor setup code: {code}");
        }
        Err(e) => tracing::error!(error = %e, "recovery failed"),
    }
    if let Err(e) = room
        .audit_event(
            Action::Recovery,
            "proctor password and LAN settings reset".into(),
        )
        .await
    {
        tracing::error!(error = %e, "recovery: cannot write the audit log");
    }
}
