//! The participant's flow: login ([`crate::logins`]) →
//! identity and token → practice → one item at a time → finish → logout; and who is online.
//!
//! A participant is identified by username plus the login id their cookie carries; a login id
//! that is no longer current (the proctor reset the login, or they logged in elsewhere) is
//! refused with [`Refusal::LoggedOut`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ruji_core::attempt::{Phase, PhaseName};
use ruji_core::package::{IndexedPackage, ItemView};
use ruji_core::response::Response;
use ruji_core::shuffle;
use ruji_core::throttle::{CLIENT_BURST, USER_BURST};
use ruji_store::room::{Context, Refusal, Saved};

use crate::error::flat;
use crate::{Result, Room, RoomError};

/// A participant counts as online this long after their last request.
pub const ONLINE_WINDOW: Duration = Duration::from_secs(45);

/// A login refused because the participant is logged in elsewhere shows "needs a reset" on the
/// console this long (or until the reset, the logout or the finish).
pub const REFUSED_WINDOW: Duration = Duration::from_secs(10 * 60);

/// Last request per participant, for the dashboard's online column and the console's seats, and
/// the last login refused because another computer holds theirs. Bounded by the participants
/// who logged in since the board started (only requests with a signed participant cookie touch
/// it, and only a valid login can be refused as held elsewhere).
#[derive(Default)]
pub struct Presence {
    /// When, from where, and under which login. Kept after a logout or reset: a participant is
    /// online only under their current login ([`Presence::online`]), and the address they last
    /// used keeps a finished participant on their seat ([`Presence::last_client`]).
    seen: Mutex<HashMap<String, (Instant, String, u64)>>,
    refused: Mutex<HashMap<String, Instant>>,
}

impl Presence {
    /// Records a request from `username` at `client`.
    pub fn touch(&self, username: &str, client: &str, login_id: u64) {
        let mut m = self.seen.lock().expect("not poisoned");
        match m.get_mut(username) {
            Some(e) => {
                e.0 = Instant::now();
                e.2 = login_id;
                if e.1 != client {
                    e.1 = client.to_string();
                }
            }
            None => {
                m.insert(
                    username.to_string(),
                    (Instant::now(), client.to_string(), login_id),
                );
            }
        }
    }
    /// Seen within [`ONLINE_WINDOW`] under the login `login_id` (the current one); with the
    /// address.
    pub fn online(&self, username: &str, login_id: u64) -> Option<String> {
        let m = self.seen.lock().expect("not poisoned");
        m.get(username)
            .filter(|(t, _, id)| t.elapsed() < ONLINE_WINDOW && *id == login_id)
            .map(|(_, c, _)| c.clone())
    }
    /// A login of `username` (a participant of the package) was refused because another
    /// computer holds theirs.
    pub fn refused_elsewhere(&self, username: &str) {
        let mut m = self.refused.lock().expect("not poisoned");
        match m.get_mut(username) {
            Some(t) => *t = Instant::now(),
            None => {
                m.insert(username.to_string(), Instant::now());
            }
        }
    }
    /// Was a login of `username` refused within [`REFUSED_WINDOW`] (see
    /// [`Presence::refused_elsewhere`]).
    pub fn needs_reset(&self, username: &str) -> bool {
        let m = self.refused.lock().expect("not poisoned");
        m.get(username)
            .is_some_and(|t| t.elapsed() < REFUSED_WINDOW)
    }
    /// The address `username` last used since the board started, logged in or not.
    pub fn last_client(&self, username: &str) -> Option<String> {
        let m = self.seen.lock().expect("not poisoned");
        m.get(username).map(|(_, c, _)| c.clone())
    }
    /// A participant's login began or ended (login, logout, reset): a refusal of another login
    /// no longer needs a reset. (Their last request stays.)
    pub fn login_changed(&self, username: &str) {
        self.refused.lock().expect("not poisoned").remove(username);
    }
}

impl Room {
    /// A request from a participant at `client` with login `login_id` in its cookie (the
    /// online column counts it only while that login is the current one).
    pub fn touch(&self, username: &str, client: &str, login_id: u64) {
        self.0.presence.touch(username, client, login_id);
    }

    /// Every participant of the built-in demo exam (main participants and reserves) with their
    /// plain passwords, when the demo is installed. The demo's passwords are public (they are in
    /// the source), so the proctor's page lists them for a rehearsal.
    pub fn demo_logins(&self) -> Option<Vec<ruji_core::package::Participant>> {
        let pkg = self.package();
        if pkg.id != ruji_core::demo::ID {
            return None;
        }
        let main = pkg.participants.iter().filter(|p| !p.reserve).count();
        let demo = ruji_core::demo::package_with(main);
        Some(
            demo.participants
                .into_iter()
                .filter(|p| pkg.participant(&p.username).is_some())
                .collect(),
        )
    }

    /// The open session's next test `username` has still to do (their login is not checked:
    /// the thank-you page after a finish, when the login has ended).
    pub fn next_test(&self, username: &str) -> Option<ruji_core::package::Test> {
        flat(self.store().context(username, None)).ok()?.test
    }

    /// The participant's context, with their login checked.
    pub fn context(&self, username: &str, login_id: u64) -> Result<Context> {
        flat(self.store().context(username, Some(login_id)))
    }

    /// A store write's result while the board may be shutting down: a write that landed is
    /// reported as done (the store stays truthful), anything else as "shutting down".
    fn settled<T>(&self, r: ruji_store::Result<std::result::Result<T, Refusal>>) -> Result<T> {
        if self.is_shutting_down() {
            if let Ok(Ok(v)) = r {
                return Ok(v);
            }
            return Err(RoomError::ShuttingDown);
        }
        flat(r)
    }

    /// Identity check (typed name and date of birth) and token: starts the current test, or
    /// resumes it after a reset. Wrong tokens are throttled per participant and per client
    /// address, as passwords are.
    pub async fn start(
        &self,
        username: &str,
        login_id: u64,
        client: &str,
        name: &str,
        birth_date: &str,
        token: &str,
    ) -> Result<()> {
        let (ukey, ikey) = (format!("token-u:{username}"), format!("token-ip:{client}"));
        let guess = self
            .guess(&[(&ukey, USER_BURST), (&ikey, CLIENT_BURST)])
            .await?;
        let policy = self.settings().token_policy;
        let r = self
            .store()
            .start(username, login_id, name, birth_date, token, policy)
            .await;
        match &r {
            Ok(Err(Refusal::WrongToken)) => {
                tracing::info!(username, client, "wrong token");
                guess.failed().await
            }
            Ok(Ok(())) => guess.succeeded().await,
            // Refused before the token was compared, or not written: no guess was answered.
            _ => drop(guess),
        }
        self.settled(r)
    }

    /// Leaves practice; the test's clock starts.
    pub async fn end_practice(&self, username: &str, login_id: u64) -> Result<()> {
        let r = self.store().end_practice(username, login_id).await;
        self.settled(r)
    }

    /// Saves an answer; returns once it is durable. `rev` is the client's revision for the
    /// item (0 for a plain form post, which always writes).
    pub async fn save(
        &self,
        username: &str,
        login_id: u64,
        item: &str,
        response: Option<Response>,
        doubtful: bool,
        rev: u64,
    ) -> Result<Saved> {
        if self.is_shutting_down() {
            return Err(RoomError::ShuttingDown);
        }
        let r = self
            .store()
            .save_answer(username, login_id, item, response, doubtful, rev)
            .await;
        self.settled(r)
    }

    /// Finishes the current test (the test's rules apply) and logs out.
    pub async fn finish(&self, username: &str, login_id: u64, confirmed: bool) -> Result<()> {
        let r = self.store().finish(username, login_id, confirmed).await;
        self.settled(r)?;
        self.0.presence.login_changed(username);
        Ok(())
    }

    /// Logs out (a login that is no longer current changes nothing).
    pub async fn logout(&self, username: &str, login_id: u64) -> Result<()> {
        self.store().logout(username, login_id).await?;
        self.0.presence.login_changed(username);
        Ok(())
    }
}

/// Refuses unless the participant is in practice or in the test under this login.
pub fn require_open(ctx: &Context) -> std::result::Result<(), Refusal> {
    ctx.token_passed()?;
    match ctx.attempt.as_ref().map(|a| a.phase.name()) {
        Some(PhaseName::Practice | PhaseName::InProgress) => Ok(()),
        Some(PhaseName::NotStarted) => Err(Refusal::Attempt(
            ruji_core::attempt::AttemptError::NotStarted,
        )),
        _ => Err(Refusal::AllDone),
    }
}

/// The items of the current phase in this participant's order.
pub fn ordered_items(ctx: &Context) -> Vec<String> {
    let items = ctx.current_items();
    let practice = ctx
        .attempt
        .as_ref()
        .is_some_and(|a| a.phase == Phase::Practice);
    match &ctx.test {
        Some(t) if t.rules.shuffle_items && !practice => {
            let seed = shuffle::seed(&[&ctx.participant.username, &t.id, "items"]);
            shuffle::permutation(items.len(), seed)
                .into_iter()
                .map(|i| items[i].clone())
                .collect()
        }
        _ => items.to_vec(),
    }
}

/// The client view of an item, options in this participant's order.
pub fn item_view(ctx: &Context, pkg: &IndexedPackage, item_id: &str) -> ItemView {
    let item = pkg
        .item(item_id)
        .expect("current items exist (validated package)");
    let seed = ctx
        .test
        .as_ref()
        .filter(|t| t.rules.shuffle_options)
        .map(|t| shuffle::seed(&[&ctx.participant.username, &t.id, item_id]));
    item.view(seed)
}
