//! The simulated panel in a terminal: `cargo run -p ruji-panel --example sim`.
//!
//! Walks through the states (a few seconds each), then simulates a short press and a 3 s hold,
//! printing the gestures the driver reports. What `ruji serve --panel sim` will show.

use std::time::Duration;

use ruji_panel::{sim_button, spawn, Attention, Condition, PanelConfig, SimLed};
use tokio::time::sleep;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let (button, events) = sim_button(false);
    let mut panel = spawn(SimLed::stderr(), Some(events), PanelConfig::default());
    let h = panel.handle.clone();
    let step = Duration::from_secs(3);
    sleep(step).await;
    h.clear(Condition::Booting);
    sleep(step).await;
    h.raise(Condition::SessionOpen);
    sleep(step).await;
    h.raise(Condition::Attention(Attention::AddressConflict));
    sleep(step).await;
    h.raise(Condition::CannotServe);
    sleep(step).await;
    h.clear(Condition::CannotServe);
    h.clear(Condition::Attention(Attention::AddressConflict));
    h.clear(Condition::SessionOpen);
    button.click().await.ok();
    println!("\ngesture: {:?}", panel.gestures.recv().await);
    sleep(Duration::from_secs(1)).await;
    tokio::spawn({
        let b = button.clone();
        async move { b.hold(Duration::from_millis(3500)).await }
    });
    println!("\ngesture: {:?}", panel.gestures.recv().await);
    h.raise(Condition::ShuttingDown);
    sleep(step).await;
    h.raise(Condition::SafeToUnplug);
    sleep(Duration::from_secs(7)).await;
    h.stop();
    panel.task.await.ok();
}
