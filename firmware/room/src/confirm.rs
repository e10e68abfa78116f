//! Actions that need physical presence: started on the web page, done when the board's button
//! is pressed within [`CONFIRM_WINDOW`]. One action waits at a time: while it waits another is
//! refused, not put in its place; it ends with the press, its time running out, or the setup
//! code typed instead.

use ruji_core::Millis;

use crate::{Result, Room};

/// How long a press of the button is awaited after the web page asked for it.
pub const CONFIRM_WINDOW: Millis = 60_000;

/// An action that needs physical presence, waiting for the button.
#[derive(Debug, Clone)]
pub struct Pending {
    /// Random id, known only to the browser that started it.
    pub id: String,
    /// What to do on the press.
    pub action: PendingAction,
    /// Exam-clock time after which a press no longer counts.
    pub expires: Millis,
    /// The press came and the action was done.
    pub done: bool,
}

impl Pending {
    /// Still waiting for the press at `now` (not done, not expired).
    pub(crate) fn waiting(&self, now: Millis) -> bool {
        !self.done && self.expires > now
    }
}

/// Actions confirmed by the button.
#[derive(Debug, Clone)]
pub enum PendingAction {
    /// Create the proctor account with this password hash (first use of the board).
    ClaimProctor {
        /// argon2 PHC string.
        password_hash: String,
    },
}

/// What a press confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmed {
    /// The first proctor account was created.
    ClaimProctor,
}

impl Confirmed {
    /// For the log.
    pub fn name(self) -> &'static str {
        match self {
            Confirmed::ClaimProctor => "claim_proctor",
        }
    }
}

impl Room {
    /// The board's button was pressed: does the action waiting for it, if its window is still
    /// open. Returns what was confirmed.
    pub async fn confirm_physical(&self) -> Result<Option<Confirmed>> {
        let now = self.now();
        let waiting = {
            let p = self.0.pending.lock().expect("not poisoned");
            p.as_ref().filter(|p| p.waiting(now)).cloned()
        };
        let Some(p) = waiting else { return Ok(None) };
        let what = match &p.action {
            PendingAction::ClaimProctor { password_hash } => {
                // The store makes one account at most: if the code path won the race, this
                // claim is over and its page leads to the login.
                match self.create_proctor(password_hash.clone()).await {
                    Ok(_) => Confirmed::ClaimProctor,
                    Err(crate::RoomError::AlreadySetup) => {
                        let mut pending = self.0.pending.lock().expect("not poisoned");
                        if pending.as_ref().is_some_and(|q| q.id == p.id) {
                            *pending = None;
                        }
                        return Ok(None);
                    }
                    Err(e) => return Err(e),
                }
            }
        };
        if let Some(q) = self.0.pending.lock().expect("not poisoned").as_mut() {
            if q.id == p.id {
                q.done = true;
            }
        }
        Ok(Some(what))
    }
}
