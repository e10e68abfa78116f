//! The proctor: the account (first setup with the one-time code or the board's button, login,
//! recovery) and the proctor's actions on the room (sessions and tokens, resets, force finish,
//! reserves), with what the dashboard shows and the session's results.

use ruji_core::attempt::SeatState;
use ruji_core::package::Session;
use ruji_core::throttle::USER_BURST;
use ruji_core::Millis;
use ruji_store::room::{AttemptResult, ParticipantStatus, Refusal};
use ruji_store::tables::SessionState;
use ruji_store::{Action, Actor, AuditEntry};
use serde::Serialize;

use crate::confirm::{Pending, PendingAction, CONFIRM_WINDOW};
use crate::error::flat;
use crate::passwords::Priority;
use crate::{new_setup_code, new_token, Result, Room, RoomError};

/// Shortest proctor password.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Most extra minutes one grant gives.
pub const MAX_EXTRA_MINUTES: u32 = 120;
/// Longest force-finish reason (it goes into the session report).
pub const MAX_REASON_BYTES: usize = 500;

pub use ruji_store::records::Role;

/// A login on the board's proctor page (the proctor's or the invigilator's), as its cookie
/// carries it: valid while the role's account has this generation and the login has not ended
/// (logout, a password change, signing out everywhere or a recovery end it on the board, so a
/// copied cookie stops working).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProctorLogin {
    /// The proctor, or the invigilator (read-only).
    pub role: Role,
    /// The account's generation.
    pub generation: u32,
    /// The login's random id (32 hex digits).
    pub id: String,
}

/// What a first setup did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Setup {
    /// The account exists now, and this browser is logged in.
    Created {
        /// The new login.
        login: ProctorLogin,
    },
    /// No code was typed: the account is made when the board's button is pressed; the page
    /// with this id waits for it.
    AwaitingButton {
        /// The claim's random id, known only to the browser that started it.
        id: String,
    },
}

/// Where a claim waiting for the button stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// No such claim (another one replaced it, or it was finished).
    Unknown,
    /// The button was pressed: the account exists, and the browser that waited is logged in.
    Done {
        /// The new login.
        login: ProctorLogin,
    },
    /// The time to press ran out.
    Expired,
    /// Still waiting, this many seconds left.
    Waiting {
        /// Seconds left.
        seconds: u64,
    },
}

/// A dashboard row: a participant's status with where they are online.
#[derive(Debug, Clone)]
pub struct SeatRow {
    /// The status from the store.
    pub status: ParticipantStatus,
    /// Seen within the online window under their current login.
    pub online: bool,
    /// The address they are logged in from (empty when not logged in).
    pub client: String,
}

/// What an action on several participants did: whom it was done for, and who was refused
/// with why (a login already ended, an attempt already finished...).
#[derive(Debug, Default)]
pub struct Bulk {
    /// Usernames it was done for.
    pub done: Vec<String>,
    /// Usernames refused, with the refusal.
    pub refused: Vec<(String, RoomError)>,
}

/// The open session's token, for the dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenNow {
    /// The token to announce.
    pub token: String,
    /// When it changes by itself, if it rotates.
    pub rotates_in: Option<Millis>,
}

/// A session's results as the proctor downloads them (`ruji-results` version 1).
#[derive(Debug, Clone, Serialize)]
pub struct ResultsExport {
    /// `ruji-results`.
    pub format: &'static str,
    /// 1.
    pub version: u32,
    /// The package's id.
    pub package: String,
    /// The session's id.
    pub session: String,
    /// The exam clock when exported.
    pub exam_clock_ms: Millis,
    /// Every participant's attempt at every test of the session, scored.
    pub attempts: Vec<AttemptResult>,
}

impl Room {
    /// Does a proctor account exist.
    pub fn has_proctor(&self) -> bool {
        matches!(self.store().proctor_account(), Ok(Some(_)))
    }

    /// The proctor account's generation (cookies of another generation are refused).
    pub fn proctor_generation(&self) -> Option<u32> {
        self.store()
            .proctor_account()
            .ok()
            .flatten()
            .map(|a| a.generation)
    }

    /// The one-time setup code, while no proctor account exists.
    pub fn setup_code(&self) -> Option<String> {
        if self.has_proctor() {
            return None;
        }
        self.0.setup_code.lock().expect("not poisoned").clone()
    }

    /// First setup of the proctor account from the page: with the setup code printed on the
    /// console, or (on a board with a button, code left empty) confirmed by a press.
    pub async fn proctor_setup(
        &self,
        client: &str,
        code: &str,
        password: &str,
        password2: &str,
    ) -> Result<Setup> {
        if self.has_proctor() {
            return Err(RoomError::AlreadySetup);
        }
        let key = format!("setup:{client}");
        let guess = self.guess(&[(&key, USER_BURST)]).await?;
        if password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(RoomError::PasswordShort);
        }
        if password != password2 {
            return Err(RoomError::PasswordRepeat);
        }
        if code.trim().is_empty() && self.settings().button {
            // Physical presence instead of the code: the press on the board completes it. One
            // claim at a time: a second browser cannot replace a claim that waits for the press
            // (the press would give the account to whoever came last).
            claim_in_progress(&self.0.pending.lock().expect("not poisoned"), self.now())?;
            let password_hash = self
                .0
                .passwords
                .hash(Priority::Proctor, password.to_string())
                .await?;
            let id = format!("{:032x}", rand::random::<u128>());
            let now = self.now();
            {
                let mut pending = self.0.pending.lock().expect("not poisoned");
                // Checked again: another claim may have started while this one was hashing.
                claim_in_progress(&pending, now)?;
                *pending = Some(Pending {
                    id: id.clone(),
                    action: PendingAction::ClaimProctor { password_hash },
                    expires: now + CONFIRM_WINDOW,
                    done: false,
                });
            }
            tracing::info!(client, "proctor claim waits for the board's button");
            return Ok(Setup::AwaitingButton { id });
        }
        let expected = self.0.setup_code.lock().expect("not poisoned").clone();
        let code_ok = expected.as_deref().is_some_and(|c| {
            let typed: String = code.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
            let want: String = c.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
            !want.is_empty() && typed.eq_ignore_ascii_case(&want)
        });
        if !code_ok {
            tracing::warn!(client, "wrong proctor setup code");
            guess.failed().await;
            return Err(RoomError::SetupCode);
        }
        guess.succeeded().await;
        let hash = self
            .0
            .passwords
            .hash(Priority::Proctor, password.to_string())
            .await?;
        let generation = self.create_proctor(hash).await?;
        // The code is the stronger proof: a claim still waiting for the button is over (its page
        // then leads to the login).
        *self.0.pending.lock().expect("not poisoned") = None;
        tracing::info!(client, "proctor password created");
        let login = self.new_login(Role::Proctor, generation, client).await?;
        Ok(Setup::Created { login })
    }

    /// A new login of `role` for account `generation` from `client`, recorded on the board.
    async fn new_login(&self, role: Role, generation: u32, client: &str) -> Result<ProctorLogin> {
        let id = format!("{:032x}", rand::random::<u128>());
        match flat(
            self.store()
                .add_login(role, generation, id.clone(), format!("from {client}"))
                .await,
        ) {
            Err(RoomError::Refused(Refusal::ProctorChanged)) => Err(RoomError::NoProctor),
            other => other.map(|()| ProctorLogin {
                role,
                generation,
                id,
            }),
        }
    }

    /// Whether `login` (read from a proctor's or invigilator's cookie) is still valid on the
    /// board.
    pub fn proctor_login_valid(&self, login: &ProctorLogin) -> bool {
        self.store()
            .login_valid(login.role, login.generation, &login.id)
            .unwrap_or(false)
    }

    /// Logging out: `login` ends on the board (its cookie, even copied, no longer works).
    pub async fn proctor_logout(&self, login: &ProctorLogin) -> Result<()> {
        self.store().end_login(login.role, login.id.clone()).await?;
        Ok(())
    }

    /// Signing out everywhere, by the proctor: every proctor and invigilator login ends,
    /// `login`'s own included. Returns how many ended.
    pub async fn sign_out_everywhere(&self, login: &ProctorLogin) -> Result<usize> {
        proctor_only(login)?;
        let ended = self.store().end_every_login().await?;
        tracing::info!(ended, "every proctor and invigilator login ended");
        Ok(ended)
    }

    /// Does the invigilator's account exist.
    pub fn has_invigilator(&self) -> bool {
        matches!(self.store().invigilator_account(), Ok(Some(_)))
    }

    /// Sets the invigilator's password (read-only account), by the proctor: the new password
    /// twice, at least [`MIN_PASSWORD_CHARS`] long and not the proctor's. Every invigilator
    /// login ends.
    pub async fn set_invigilator_password(
        &self,
        login: &ProctorLogin,
        password: &str,
        password2: &str,
    ) -> Result<()> {
        proctor_only(login)?;
        if password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(RoomError::PasswordShort);
        }
        if password != password2 {
            return Err(RoomError::PasswordRepeat);
        }
        let account = self
            .store()
            .proctor_account()?
            .ok_or(RoomError::NoProctor)?;
        // One password would be both accounts: the login could not tell them apart.
        if self.is_password(account.password_hash, password).await? {
            return Err(RoomError::InvigilatorSameAsProctor);
        }
        let hash = self
            .0
            .passwords
            .hash(Priority::Proctor, password.to_string())
            .await?;
        self.set_invigilator(login, Some(hash)).await
    }

    /// Removes the invigilator's account, by the proctor: every invigilator login ends.
    pub async fn remove_invigilator(&self, login: &ProctorLogin) -> Result<()> {
        proctor_only(login)?;
        self.set_invigilator(login, None).await
    }

    async fn set_invigilator(&self, login: &ProctorLogin, hash: Option<String>) -> Result<()> {
        match flat(self.store().set_invigilator(login.generation, hash).await) {
            Err(RoomError::Refused(Refusal::ProctorChanged)) => Err(RoomError::NoProctor),
            other => other,
        }
    }

    /// Changes the proctor password after checking the current one (throttled as a login):
    /// every other login ends, and the one returned replaces `login` for this browser.
    pub async fn change_proctor_password(
        &self,
        login: &ProctorLogin,
        client: &str,
        current: &str,
        password: &str,
        password2: &str,
    ) -> Result<ProctorLogin> {
        proctor_only(login)?;
        // The invigilator's password is not the proctor's current one.
        if self.check_password(client, current).await?.0 != Role::Proctor {
            return Err(RoomError::ProctorPassword);
        }
        if password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(RoomError::PasswordShort);
        }
        if password != password2 {
            return Err(RoomError::PasswordRepeat);
        }
        // The invigilator's password as the proctor's would log the invigilator in as proctor.
        if let Some(inv) = self.store().invigilator_account()? {
            if self.is_password(inv.password_hash, password).await? {
                return Err(RoomError::InvigilatorSameAsProctor);
            }
        }
        let hash = self
            .0
            .passwords
            .hash(Priority::Proctor, password.to_string())
            .await?;
        let id = format!("{:032x}", rand::random::<u128>());
        let generation = match flat(
            self.store()
                .change_proctor_password(login.generation, hash, id.clone())
                .await,
        ) {
            Err(RoomError::Refused(Refusal::ProctorChanged)) => return Err(RoomError::NoProctor),
            other => other?,
        };
        tracing::info!(client, "proctor password changed; other logins ended");
        Ok(ProctorLogin {
            role: Role::Proctor,
            generation,
            id,
        })
    }

    /// Creates the proctor account; the setup code is used up.
    pub(crate) async fn create_proctor(&self, password_hash: String) -> Result<u32> {
        let generation = match flat(self.store().create_proctor(password_hash).await) {
            Err(RoomError::Refused(Refusal::ProctorExists)) => return Err(RoomError::AlreadySetup),
            other => other?,
        };
        *self.0.setup_code.lock().expect("not poisoned") = None;
        Ok(generation)
    }

    /// Where the claim `id` (waiting for the button) stands; a finished claim is forgotten and
    /// the browser that waited for it (which knows `id`) gets a login.
    pub async fn claim(&self, id: &str, client: &str) -> Claim {
        let now = self.now();
        {
            let mut pending = self.0.pending.lock().expect("not poisoned");
            let Some(p) = pending.as_ref().filter(|p| p.id == id) else {
                return Claim::Unknown;
            };
            if !p.done {
                if p.expires <= now {
                    return Claim::Expired;
                }
                return Claim::Waiting {
                    seconds: (p.expires - now).div_ceil(1000),
                };
            }
            *pending = None;
        }
        let Some(generation) = self.proctor_generation() else {
            return Claim::Unknown;
        };
        match self.new_login(Role::Proctor, generation, client).await {
            Ok(login) => Claim::Done { login },
            Err(e) => {
                tracing::error!(error = %e, "cannot record the proctor's login after the claim");
                Claim::Unknown
            }
        }
    }

    /// Checks the password typed on the proctor's login page (throttled per client address):
    /// the proctor's logs in as the proctor, the invigilator's as the invigilator. Returns the
    /// new login for the cookie.
    pub async fn proctor_login(&self, client: &str, password: &str) -> Result<ProctorLogin> {
        let (role, generation) = self.check_password(client, password).await?;
        self.new_login(role, generation, client).await
    }

    /// Whether `password` is the one of `hash` (verified at the proctor's priority).
    async fn is_password(&self, hash: String, password: &str) -> Result<bool> {
        let p = password.to_string();
        Ok(self
            .0
            .passwords
            .verify(Priority::Proctor, Some(hash), p)
            .await?)
    }

    /// Checks the password typed at `client` (one guess, throttled per address) against the
    /// proctor's account, then the invigilator's: whose it is, with the account's generation.
    async fn check_password(&self, client: &str, password: &str) -> Result<(Role, u32)> {
        let proctor = self
            .store()
            .proctor_account()?
            .ok_or(RoomError::NoProctor)?;
        let key = format!("proctor:{client}");
        let guess = self.guess(&[(&key, USER_BURST)]).await?;
        let mut accounts = vec![(Role::Proctor, proctor)];
        accounts.extend(
            self.store()
                .invigilator_account()?
                .map(|a| (Role::Invigilator, a)),
        );
        for (role, account) in accounts {
            if self.is_password(account.password_hash, password).await? {
                guess.succeeded().await;
                return Ok((role, account.generation));
            }
        }
        tracing::warn!(client, "wrong proctor password");
        guess.failed().await;
        Err(RoomError::ProctorPassword)
    }

    /// Recovery (the button held at power-on): removes the proctor password so that it can be
    /// set again with a new one-time setup code, which is returned. Exam data is kept; every
    /// proctor browser is logged out (the next account has another generation).
    pub async fn reset_proctor(&self) -> Result<String> {
        let code = new_setup_code();
        self.store()
            .reset_proctor("proctor password removed; a new setup code was printed".into())
            .await?;
        *self.0.setup_code.lock().expect("not poisoned") = Some(code.clone());
        Ok(code)
    }

    /// State of every session, in package order.
    pub fn sessions(&self) -> Result<Vec<(Session, SessionState)>> {
        Ok(self.store().sessions()?)
    }

    /// The open session, if any, with its state.
    pub fn current_session(&self) -> Result<Option<(Session, SessionState)>> {
        Ok(self.store().current_session()?)
    }

    /// Is a session open.
    pub fn session_open(&self) -> bool {
        matches!(self.store().open_session_state(), Ok(Some(_)))
    }

    /// The open session's token and when it changes by itself.
    pub fn token_now(&self, state: &SessionState) -> Option<TokenNow> {
        let now = self.now();
        state.token.as_ref().map(|t| TokenNow {
            token: t.current.as_str().to_string(),
            rotates_in: t.next_rotation_in(&self.settings().token_policy, now),
        })
    }

    /// Opens a session and releases its first token (one session at a time). With
    /// `[results] gate_next_day`, refused while an earlier day's results await their receipt.
    pub async fn open_session(&self, id: &str) -> Result<()> {
        self.open_session_with(id, new_token()).await
    }

    /// Opens a session with a given token (tests and benchmarks: `ruji serve --open-session`).
    pub async fn open_session_with(&self, id: &str, token: ruji_core::token::Token) -> Result<()> {
        let awaiting = self.awaiting_receipts(id)?;
        if !awaiting.is_empty() {
            return Err(RoomError::AwaitingReceipts(awaiting));
        }
        flat(self.store().open_session(id, token).await)
    }

    /// Closes the open session (refused while attempts are open), then makes its result
    /// bundle in the background (the uploader sends it).
    pub async fn close_session(&self, id: &str) -> Result<()> {
        flat(self.store().close_session(id).await)?;
        let (room, id) = (self.clone(), id.to_string());
        tokio::spawn(async move {
            match room.store().sessions_with_results() {
                Ok(with) if with.contains(&id) => {
                    if let Err(e) = room.make_bundle(&id).await {
                        tracing::warn!(session = %id, error = %e, "cannot make the result bundle");
                    }
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "cannot list the sessions with results"),
            }
        });
        Ok(())
    }

    /// Replaces the open session's token.
    pub async fn rotate_token(&self) -> Result<()> {
        flat(self.store().rotate_token(new_token(), Actor::Proctor).await)
    }

    /// Resets a participant's login (their client crashed): they log in again and continue,
    /// their attempt's clock paused until they are back.
    pub async fn reset_login(&self, username: &str) -> Result<()> {
        self.0.presence.login_changed(username);
        flat(self.store().reset_login(username).await)
    }

    /// Resets the logins of `usernames` (a lab row whose PCs crashed), each its own audited
    /// reset; a storage failure stops it. At most the package's participants, each once.
    pub async fn reset_logins(&self, usernames: &[String]) -> Result<Bulk> {
        let mut names: Vec<&String> = usernames
            .iter()
            .filter(|u| self.package().participant(u).is_some())
            .collect();
        names.sort();
        names.dedup();
        if names.is_empty() {
            return Err(RoomError::Refused(Refusal::UnknownParticipant));
        }
        let mut bulk = Bulk::default();
        for u in names {
            match self.reset_login(u).await {
                Ok(()) => bulk.done.push(u.clone()),
                Err(e @ RoomError::Storage(_)) => return Err(e),
                Err(e) => bulk.refused.push((u.clone(), e)),
            }
        }
        Ok(bulk)
    }

    /// Force-finishes every attempt still open in the open session (the end of the session),
    /// each with `reason` and its own audit entry; a storage failure stops it.
    pub async fn force_finish_open(&self, reason: &str) -> Result<Bulk> {
        let reason = reason.trim();
        if reason.is_empty() || reason.len() > MAX_REASON_BYTES {
            return Err(RoomError::ReasonRequired);
        }
        let (session, _) = self
            .current_session()?
            .ok_or(RoomError::Refused(Refusal::NoOpenSession))?;
        let open: Vec<String> = self
            .seat_rows(&session.id)
            .await?
            .into_iter()
            .filter(|r| matches!(r.status.state, SeatState::Practice | SeatState::InProgress))
            .map(|r| r.status.username)
            .collect();
        let mut bulk = Bulk::default();
        for u in open {
            match self.force_finish(&u, reason).await {
                Ok(_) => bulk.done.push(u),
                Err(e @ RoomError::Storage(_)) => return Err(e),
                Err(e) => bulk.refused.push((u, e)),
            }
        }
        Ok(bulk)
    }

    /// Resets every participant's login (tests: `ruji serve --reset-logins`).
    pub async fn reset_all_logins(&self) {
        for p in &self.package().participants {
            if let Err(e) = self.reset_login(&p.username).await {
                tracing::debug!(username = %p.username, error = %e, "reset");
            }
        }
    }

    /// Force-finishes a participant's open attempt; the reason goes into the session report.
    pub async fn force_finish(&self, username: &str, reason: &str) -> Result<String> {
        let reason = reason.trim();
        if reason.is_empty() || reason.len() > MAX_REASON_BYTES {
            return Err(RoomError::ReasonRequired);
        }
        flat(self.store().force_finish(username, reason).await)
    }

    /// Pauses every test of the open session (the clients lost power): their clocks stop and
    /// participants' saves wait until [`Room::resume_all`]. How many clocks stopped.
    pub async fn pause_all(&self) -> Result<usize> {
        flat(self.store().pause_all().await)
    }

    /// Resumes every test the pause stopped; the pause is not charged. How many.
    pub async fn resume_all(&self) -> Result<usize> {
        flat(self.store().resume_all().await)
    }

    /// Since when every test is paused (exam clock), if it is.
    pub fn paused_since(&self) -> Option<Millis> {
        self.store().paused_since().ok().flatten()
    }

    /// Since when every test is paused, as a wall time (Unix seconds: now less the exam time
    /// paused), if it is.
    pub fn paused_since_wall(&self) -> Option<u64> {
        let ago = self.now().saturating_sub(self.paused_since()?) / 1000;
        Some((self.wall_now_ms() / 1000).saturating_sub(ago))
    }

    /// Extra working time for one participant's current test (a PC that failed, a late start
    /// the proctor allows), with the reason: 1 to [`MAX_EXTRA_MINUTES`] minutes, audited.
    pub async fn extra_time(&self, username: &str, minutes: u32, reason: &str) -> Result<String> {
        let reason = reason.trim();
        if reason.is_empty() || reason.len() > MAX_REASON_BYTES {
            return Err(RoomError::ReasonRequired);
        }
        if !(1..=MAX_EXTRA_MINUTES).contains(&minutes) {
            return Err(RoomError::ExtraMinutes);
        }
        let extra = u64::from(minutes) * ruji_core::MINUTE;
        flat(self.store().extend_time(username, extra, reason).await)
    }

    /// Activates a reserve participant, replacing `replaces` (an absent main participant) when
    /// the proctor names one: the session report says whom each reserve replaced.
    pub async fn activate_reserve(&self, username: &str, replaces: Option<&str>) -> Result<()> {
        let replaces = replaces.map(str::trim).filter(|r| !r.is_empty());
        flat(self.store().activate_reserve(username, replaces).await)
    }

    /// The dashboard's rows of a session, with who is online where (read on the blocking pool:
    /// it reads every participant of the session).
    pub async fn seat_rows(&self, session: &str) -> Result<Vec<SeatRow>> {
        let (room, id) = (self.clone(), session.to_string());
        let rows = crate::blocking(move || flat(room.store().status(&id))).await?;
        Ok(rows
            .into_iter()
            .map(|status| SeatRow {
                online: status
                    .login_id
                    .and_then(|id| self.0.presence.online(&status.username, id))
                    .is_some(),
                client: status.client.clone().unwrap_or_default(),
                status,
            })
            .collect())
    }

    /// A session's results, scored; the session no longer needs a backup until it is closed
    /// again after more answers (read on the blocking pool).
    pub async fn export_results(&self, session: &str) -> Result<ResultsExport> {
        let (room, id) = (self.clone(), session.to_string());
        let attempts = crate::blocking(move || flat(room.store().results(&id))).await?;
        match flat(self.store().mark_results_exported(session).await) {
            Ok(()) => tracing::info!(session, "results exported"),
            Err(e) => tracing::warn!(session, error = %e, "results export not recorded"),
        }
        Ok(ResultsExport {
            format: "ruji-results",
            version: 1,
            package: self.package().id.clone(),
            session: session.to_string(),
            exam_clock_ms: self.now(),
            attempts,
        })
    }

    /// Closed sessions whose results were not exported since they closed (a read of their
    /// attempts: call it off the async workers, or use [`Room::sessions_to_back_up`]).
    pub fn results_not_exported(&self) -> Result<Vec<Session>> {
        Ok(self.store().results_not_exported()?)
    }

    /// [`Room::results_not_exported`], read on the blocking pool.
    pub async fn sessions_to_back_up(&self) -> Result<Vec<Session>> {
        let room = self.clone();
        crate::blocking(move || room.results_not_exported()).await
    }

    /// The last `n` entries of the event log, newest first.
    pub fn audit_tail(&self, n: usize) -> Result<Vec<AuditEntry>> {
        Ok(self.store().audit_tail(n)?)
    }

    /// Records an event outside the room's operations (a recovery).
    pub async fn audit_event(&self, action: Action, detail: String) -> Result<()> {
        Ok(self
            .store()
            .audit_event(Actor::System, action, detail)
            .await?)
    }
}

/// `Err(ReadOnly)` unless `login` is the proctor's.
pub fn proctor_only(login: &ProctorLogin) -> Result<()> {
    match login.role {
        Role::Proctor => Ok(()),
        Role::Invigilator => Err(RoomError::ReadOnly),
    }
}

/// `Err(ClaimInProgress)` while `pending` is another browser's claim waiting for the button.
fn claim_in_progress(pending: &Option<Pending>, now: Millis) -> Result<()> {
    match pending.as_ref().filter(|p| p.waiting(now)) {
        Some(p) => Err(RoomError::ClaimInProgress {
            seconds: (p.expires - now).div_ceil(1000),
        }),
        None => Ok(()),
    }
}
