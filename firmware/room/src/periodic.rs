//! The room's periodic work, once a second: finish attempts whose time is up, rotate the open
//! session's token when it is due, and record the exam clock every few seconds so a crash
//! loses little of it (every 2 s with a session open, every 30 s otherwise).

use std::time::Duration;

use ruji_store::Actor;

use crate::{new_token, Room};

impl Room {
    /// Runs the periodic work until the task is dropped (the caller aborts it on shutdown).
    pub async fn periodic(self) {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut n: u64 = 0;
        loop {
            tick.tick().await;
            n += 1;
            let open = self.tick_once().await;
            let every = if open { 2 } else { 30 };
            if n.is_multiple_of(every) {
                if let Err(e) = self.store().checkpoint().await {
                    tracing::error!(error = %e, "clock checkpoint failed");
                }
            }
        }
    }

    /// One second's work; returns whether a session is open.
    async fn tick_once(&self) -> bool {
        // The due part of the store's deadline queue: no read of the attempts.
        let due = self.store().due_timeouts();
        match self.store().finish_timeouts(due).await {
            Ok(0) => {}
            Ok(k) => tracing::info!(attempts = k, "time is up: attempts finished"),
            Err(e) => tracing::error!(error = %e, "time-out sweep failed"),
        }
        let open = match self.store().open_session_state() {
            Ok(open) => open,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the sessions");
                None
            }
        };
        let Some(st) = &open else {
            return false;
        };
        let now = self.now();
        if st
            .token
            .as_ref()
            .is_some_and(|t| t.due(&self.settings().token_policy, now))
        {
            match self.store().rotate_token(new_token(), Actor::System).await {
                Ok(Ok(())) => tracing::info!("token rotated"),
                Ok(Err(r)) => tracing::warn!(?r, "token rotation refused"),
                Err(e) => tracing::error!(error = %e, "token rotation failed"),
            }
        }
        true
    }
}
