//! What every button backend hands to the driver: the level at start and a stream of levels.
//!
//! Backends ([`crate::input`], [`crate::gpio`], [`crate::sim`]) read their device in a task or
//! thread of their own and send `true` (pressed) / `false` (released) on a channel. The driver
//! stamps each level with its own monotonic clock as it arrives, so every backend is timed the
//! same way, whatever clock its device uses (input events carry wall-clock time by default, and
//! the board's wall clock can jump when it is set).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::AbortHandle;

/// How many unread levels a backend may queue before it waits.
pub(crate) const QUEUE: usize = 64;

/// A button as the driver sees it. Dropping it stops the backend's reader.
#[derive(Debug)]
pub struct ButtonEvents {
    /// Whether the button was down when the backend opened it (for recovery at power-on).
    pub initially_pressed: bool,
    /// Human-readable description of the source, for logs.
    pub source: String,
    pub(crate) rx: mpsc::Receiver<bool>,
    stops: Vec<Stop>,
}

#[derive(Debug)]
enum Stop {
    Task(AbortHandle),
    Flag(Arc<AtomicBool>),
}

impl ButtonEvents {
    /// A button fed by any source: send `true`/`false` on the matching sender.
    pub fn channel(
        source: impl Into<String>,
        initially_pressed: bool,
    ) -> (mpsc::Sender<bool>, Self) {
        let (tx, rx) = mpsc::channel(QUEUE);
        (
            tx,
            ButtonEvents {
                initially_pressed,
                source: source.into(),
                rx,
                stops: Vec::new(),
            },
        )
    }

    /// Stops this tokio task when the button is dropped.
    pub(crate) fn stop_task(&mut self, task: AbortHandle) {
        self.stops.push(Stop::Task(task));
    }

    /// Raises this flag when the button is dropped (for reader threads that poll it).
    pub(crate) fn stop_flag(&mut self, flag: Arc<AtomicBool>) {
        self.stops.push(Stop::Flag(flag));
    }

    /// Receives the next level; `None` when the backend has ended (device gone).
    pub async fn recv(&mut self) -> Option<bool> {
        self.rx.recv().await
    }
}

impl Drop for ButtonEvents {
    fn drop(&mut self) {
        for s in &self.stops {
            match s {
                Stop::Task(t) => t.abort(),
                Stop::Flag(f) => f.store(true, Ordering::Relaxed),
            }
        }
    }
}
