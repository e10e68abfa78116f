//! The board's own records as typed operations: the installed package with where it came from
//! and what of it is released, trusted issuer keys, the proctor account, the cookie key. Each
//! operation is one transaction with its audit entry, so a power cut or a failing card leaves
//! either all of it or none of it.

use std::collections::BTreeMap;

use ruji_core::package::Package;

use crate::room::Refusal;
use crate::tables::*;
use crate::{Action, Actor, Result, Store};

/// Length of the cookie-signing key.
pub const COOKIE_KEY_BYTES: usize = 64;

/// What [`Store::install_package`] installs.
#[derive(Debug, Clone)]
pub struct Install {
    /// The package. Plain passwords are blanked before it is stored: only the hashes are kept.
    pub package: Package,
    /// Each participant's password hash, by username (hashing is the caller's job). Existing
    /// participants not listed keep theirs.
    pub password_hashes: Vec<(String, String)>,
    /// The package file it came from; `None` for a package without a file (the demo).
    pub source: Option<PackageSource>,
    /// Who installs it.
    pub actor: Actor<'static>,
    /// What the audit entry says besides the package's id and title.
    pub note: String,
}

/// What [`Store::release_session`] installs: the package with the session's tests opened.
#[derive(Debug, Clone)]
pub struct Release {
    /// The package with every released test's items.
    pub package: Package,
    /// The source record with the session's keys added.
    pub source: PackageSource,
    /// The session released.
    pub session: String,
    /// How the code came (`code`, `central`), for the audit log.
    pub via: &'static str,
    /// Who released it.
    pub actor: Actor<'static>,
}

/// Who a login on the board's proctor page is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The proctor: every action.
    Proctor,
    /// The invigilator (*pengawas*): sees the dashboard, the token, the event log and the
    /// printables; changes nothing but the session report's notes.
    Invigilator,
}

impl Role {
    /// The `meta` key of this role's account.
    fn account(self) -> MetaKey<ProctorAccount> {
        match self {
            Role::Proctor => PROCTOR,
            Role::Invigilator => INVIGILATOR,
        }
    }

    /// The `meta` key of this role's valid logins.
    fn logins(self) -> MetaKey<Vec<ProctorLogin>> {
        match self {
            Role::Proctor => PROCTOR_LOGINS,
            Role::Invigilator => INVIGILATOR_LOGINS,
        }
    }

    /// Who this role's audit entries name.
    pub fn actor(self) -> Actor<'static> {
        match self {
            Role::Proctor => Actor::Proctor,
            Role::Invigilator => Actor::Invigilator,
        }
    }
}

impl Store {
    /// The cookie-signing key; made (random) and recorded on first use.
    pub async fn cookie_key(&self) -> Result<Vec<u8>> {
        if let Some(k) = self
            .reader()?
            .meta(COOKIE_KEY)?
            .filter(|k| k.len() >= COOKIE_KEY_BYTES)
        {
            return Ok(k);
        }
        let mut fresh = vec![0u8; COOKIE_KEY_BYTES];
        rand::fill(&mut fresh[..]);
        self.write(move |tx| {
            // Checked again inside the writer: two first starts at once make one key.
            if let Some(k) = tx.meta(COOKIE_KEY)?.filter(|k| k.len() >= COOKIE_KEY_BYTES) {
                return Ok(k);
            }
            tx.set_meta(COOKIE_KEY, &fresh)?;
            tx.audit(Actor::System, Action::CookieKeyCreated, String::new())?;
            Ok(fresh)
        })
        .await
    }

    /// The proctor account, if one exists.
    pub fn proctor_account(&self) -> Result<Option<ProctorAccount>> {
        self.reader()?.meta(PROCTOR)
    }

    /// Creates the proctor account with `password_hash`; returns its generation (one more than
    /// any account before, so an old account's cookies never work again). Refused with
    /// [`Refusal::ProctorExists`] when an account exists: a second claim never replaces the
    /// first.
    pub async fn create_proctor(&self, password_hash: String) -> crate::room::RoomResult<u32> {
        self.write(move |tx| {
            if tx.meta(PROCTOR)?.is_some() {
                return Ok(Err(Refusal::ProctorExists));
            }
            let generation = tx.meta(PROCTOR_GENERATION)?.unwrap_or(0) + 1;
            tx.set_meta(PROCTOR_GENERATION, &generation)?;
            tx.set_meta(
                PROCTOR,
                &ProctorAccount {
                    password_hash,
                    generation,
                },
            )?;
            tx.audit(
                Actor::Proctor,
                Action::ProctorPasswordCreated,
                String::new(),
            )?;
            Ok(Ok(generation))
        })
        .await
    }

    /// Removes the proctor account (recovery): the next setup makes a new one. Exam data stays;
    /// every proctor login ends.
    pub async fn reset_proctor(&self, detail: String) -> Result<()> {
        self.write(move |tx| {
            tx.remove_meta(PROCTOR)?;
            tx.remove_meta(PROCTOR_LOGINS)?;
            // The next proctor sets the invigilator's account anew (they may not know of it).
            tx.remove_meta(INVIGILATOR)?;
            tx.remove_meta(INVIGILATOR_LOGINS)?;
            tx.audit(Actor::System, Action::ProctorPasswordReset, detail)?;
            Ok(())
        })
        .await
    }

    /// Whether the `role`'s login `id` of account `generation` is valid: the account is that
    /// generation and the login has not ended.
    pub fn login_valid(&self, role: Role, generation: u32, id: &str) -> Result<bool> {
        let r = self.reader()?;
        if r.meta(role.account())?
            .is_none_or(|a| a.generation != generation)
        {
            return Ok(false);
        }
        Ok(r.meta(role.logins())?
            .unwrap_or_default()
            .iter()
            .any(|l| l.generation == generation && l.id == id))
    }

    /// Records a new login `id` of `role` for account `generation` (after its password, code
    /// or button press was checked); the oldest beyond [`MAX_PROCTOR_LOGINS`] ends. Refused
    /// with [`Refusal::ProctorChanged`] when the account is gone or newer.
    pub async fn add_login(
        &self,
        role: Role,
        generation: u32,
        id: String,
        detail: String,
    ) -> crate::room::RoomResult<()> {
        self.write(move |tx| {
            if tx
                .meta(role.account())?
                .is_none_or(|a| a.generation != generation)
            {
                return Ok(Err(Refusal::ProctorChanged));
            }
            let mut logins = tx.meta(role.logins())?.unwrap_or_default();
            logins.retain(|l| l.generation == generation);
            logins.push(ProctorLogin {
                id,
                generation,
                since: tx.now,
            });
            let excess = logins.len().saturating_sub(MAX_PROCTOR_LOGINS);
            logins.drain(..excess);
            tx.set_meta(role.logins(), &logins)?;
            let action = match role {
                Role::Proctor => Action::ProctorLogin,
                Role::Invigilator => Action::InvigilatorLogin,
            };
            tx.audit(role.actor(), action, detail)?;
            Ok(Ok(()))
        })
        .await
    }

    /// Ends the `role`'s login `id` (logging out): its cookie no longer works. `false` when it
    /// was not valid (nothing written).
    pub async fn end_login(&self, role: Role, id: String) -> Result<bool> {
        self.write(move |tx| {
            let mut logins = tx.meta(role.logins())?.unwrap_or_default();
            let before = logins.len();
            logins.retain(|l| l.id != id);
            if logins.len() == before {
                return Ok(false);
            }
            tx.set_meta(role.logins(), &logins)?;
            let action = match role {
                Role::Proctor => Action::ProctorLogout,
                Role::Invigilator => Action::InvigilatorLogout,
            };
            tx.audit(role.actor(), action, String::new())?;
            Ok(true)
        })
        .await
    }

    /// Signing out everywhere: every proctor and invigilator login ends (a browser left logged
    /// in on a lab PC, a lost phone). Returns how many ended.
    pub async fn end_every_login(&self) -> Result<usize> {
        self.write(move |tx| {
            let mut ended = 0;
            for role in [Role::Proctor, Role::Invigilator] {
                ended += tx.meta(role.logins())?.map_or(0, |l| l.len());
                tx.remove_meta(role.logins())?;
            }
            tx.audit(
                Actor::Proctor,
                Action::SignedOutEverywhere,
                format!("{ended} logins ended"),
            )?;
            Ok(ended)
        })
        .await
    }

    /// The notes typed for `session`'s report (empty when none).
    pub fn session_notes(&self, session: &str) -> Result<SessionNotes> {
        Ok(self
            .reader()?
            .meta(SESSION_NOTES)?
            .and_then(|mut m| m.remove(session))
            .unwrap_or_default())
    }

    /// Saves `role`'s notes for `session`'s report (at most [`MAX_NOTES_CHARS`]), audited with
    /// their length.
    pub async fn set_session_notes(
        &self,
        session: &str,
        role: Role,
        text: String,
    ) -> crate::room::RoomResult<()> {
        let pkg = self.package();
        let id = session.to_string();
        let text: String = text.trim().chars().take(MAX_NOTES_CHARS).collect();
        self.write(move |tx| {
            if pkg.session(&id).is_none() {
                return Ok(Err(Refusal::UnknownSession));
            }
            let mut all = tx.meta(SESSION_NOTES)?.unwrap_or_default();
            let notes = all.entry(id.clone()).or_default();
            let detail = format!("{id}: {} characters", text.chars().count());
            match role {
                Role::Proctor => notes.proctor = text,
                Role::Invigilator => notes.invigilator = text,
            }
            tx.set_meta(SESSION_NOTES, &all)?;
            tx.audit(role.actor(), Action::SessionNotes, detail)?;
            Ok(Ok(()))
        })
        .await
    }

    /// The invigilator's account, if the proctor set one.
    pub fn invigilator_account(&self) -> Result<Option<ProctorAccount>> {
        self.reader()?.meta(INVIGILATOR)
    }

    /// Sets the invigilator's password to `password_hash` (`None` removes the account), by the
    /// proctor of account `proctor_generation`: every invigilator login ends, and the account
    /// gets the next generation so that no older invigilator cookie works again. Refused with
    /// [`Refusal::ProctorChanged`] when the proctor's account is gone or newer.
    pub async fn set_invigilator(
        &self,
        proctor_generation: u32,
        password_hash: Option<String>,
    ) -> crate::room::RoomResult<()> {
        self.write(move |tx| {
            if tx
                .meta(PROCTOR)?
                .is_none_or(|a| a.generation != proctor_generation)
            {
                return Ok(Err(Refusal::ProctorChanged));
            }
            let generation = tx
                .meta(INVIGILATOR_GENERATION)?
                .unwrap_or(0)
                .max(tx.meta(INVIGILATOR)?.map_or(0, |a| a.generation))
                + 1;
            tx.set_meta(INVIGILATOR_GENERATION, &generation)?;
            tx.remove_meta(INVIGILATOR_LOGINS)?;
            match password_hash {
                Some(password_hash) => {
                    tx.set_meta(
                        INVIGILATOR,
                        &ProctorAccount {
                            password_hash,
                            generation,
                        },
                    )?;
                    tx.audit(
                        Actor::Proctor,
                        Action::InvigilatorPasswordSet,
                        "every invigilator login ended".into(),
                    )?;
                }
                None => {
                    tx.remove_meta(INVIGILATOR)?;
                    tx.audit(Actor::Proctor, Action::InvigilatorRemoved, String::new())?;
                }
            }
            Ok(Ok(()))
        })
        .await
    }

    /// Changes the proctor password of account `generation` to `password_hash`: the account
    /// gets the next generation, every login ends and `login_id` becomes the one valid login
    /// (the browser that changed it). Returns the new generation; refused with
    /// [`Refusal::ProctorChanged`] when the account is gone or newer.
    pub async fn change_proctor_password(
        &self,
        generation: u32,
        password_hash: String,
        login_id: String,
    ) -> crate::room::RoomResult<u32> {
        self.write(move |tx| {
            if tx.meta(PROCTOR)?.is_none_or(|a| a.generation != generation) {
                return Ok(Err(Refusal::ProctorChanged));
            }
            let next = tx
                .meta(PROCTOR_GENERATION)?
                .unwrap_or(generation)
                .max(generation)
                + 1;
            tx.set_meta(PROCTOR_GENERATION, &next)?;
            tx.set_meta(
                PROCTOR,
                &ProctorAccount {
                    password_hash,
                    generation: next,
                },
            )?;
            tx.set_meta(
                PROCTOR_LOGINS,
                &vec![ProctorLogin {
                    id: login_id,
                    generation: next,
                    since: tx.now,
                }],
            )?;
            tx.audit(
                Actor::Proctor,
                Action::ProctorPasswordChanged,
                "every other proctor login ended".into(),
            )?;
            Ok(Ok(next))
        })
        .await
    }

    /// The throttle's lock-outs kept across restarts (some may have ended since).
    pub fn lockouts(&self) -> Result<BTreeMap<String, Lockout>> {
        Ok(self.reader()?.meta(LOCKOUTS)?.unwrap_or_default())
    }

    /// Keeps the throttle's new `locked` keys (an audit entry each) and forgets `unlocked` ones,
    /// in one commit; ended lock-outs are dropped, and beyond [`MAX_LOCKOUTS`] those ending
    /// first.
    pub async fn keep_lockouts(
        &self,
        locked: Vec<(String, Lockout)>,
        unlocked: Vec<String>,
    ) -> Result<()> {
        self.write(move |tx| {
            let mut map = tx.meta(LOCKOUTS)?.unwrap_or_default();
            let now = tx.now;
            map.retain(|_, l| l.until > now);
            for k in &unlocked {
                map.remove(k);
            }
            for (key, l) in locked {
                tx.audit(
                    Actor::System,
                    Action::LockedOut,
                    format!(
                        "{key}: {} failures, locked for {} s",
                        l.failures,
                        l.until.saturating_sub(now).div_ceil(1000)
                    ),
                )?;
                map.insert(key, l);
            }
            while map.len() > MAX_LOCKOUTS {
                let first = map
                    .iter()
                    .min_by_key(|(_, l)| l.until)
                    .map(|(k, _)| k.clone())
                    .expect("not empty");
                map.remove(&first);
            }
            if map.is_empty() {
                tx.remove_meta(LOCKOUTS)?;
            } else {
                tx.set_meta(LOCKOUTS, &map)?;
            }
            Ok(())
        })
        .await
    }

    /// Where the installed package came from, if it was imported from a file.
    pub fn package_source(&self) -> Result<Option<PackageSource>> {
        self.reader()?.meta(PACKAGE_SOURCE)
    }

    /// The issuer keys added on the proctor's page.
    pub fn trusted_issuers(&self) -> Result<Vec<TrustedIssuer>> {
        Ok(self.reader()?.meta(TRUSTED_ISSUERS)?.unwrap_or_default())
    }

    /// Trusts another issuer key; `false` when it was already trusted (nothing written).
    pub async fn trust_issuer(&self, issuer: TrustedIssuer) -> Result<bool> {
        self.write(move |tx| {
            let mut list = tx.meta(TRUSTED_ISSUERS)?.unwrap_or_default();
            if list.iter().any(|t| t.key == issuer.key) {
                return Ok(false);
            }
            let detail = format!("{} {}", issuer.label, issuer.key);
            list.push(issuer);
            tx.set_meta(TRUSTED_ISSUERS, &list)?;
            tx.audit(Actor::Proctor, Action::IssuerTrusted, detail)?;
            Ok(true)
        })
        .await
    }

    /// How many attempts there are (of any package, started or not).
    pub fn attempt_count(&self) -> Result<u64> {
        self.reader()?.count(ATTEMPTS)
    }

    /// Installs a package, replacing the one in use, in one transaction: the package, every
    /// participant's password hash (newcomers get a fresh state; existing attempts and answers
    /// are kept, they are keyed by username and test), its source record and the audit entry.
    pub async fn install_package(&self, install: Install) -> Result<()> {
        let Install {
            mut package,
            password_hashes,
            source,
            actor,
            note,
        } = install;
        for p in &mut package.participants {
            p.password.clear();
        }
        let pkg = package.clone();
        self.write(move |tx| {
            let same = tx.meta(PACKAGE)?.is_some_and(|p| p.id == pkg.id);
            let reissued = tx
                .meta(REISSUED)?
                .filter(|r| same && r.package == pkg.id)
                .unwrap_or_default();
            if !same {
                // Another package: its sessions are not the old one's, nor its cards.
                tx.remove_meta(SESSION_NOTES)?;
                tx.remove_meta(REISSUED)?;
            }
            tx.set_meta(PACKAGE, &pkg)?;
            for (username, hash) in password_hashes {
                // A card reissued on this board stays valid when the same package comes again.
                if reissued.usernames.contains(&username) {
                    continue;
                }
                let mut rec = tx
                    .get(PARTICIPANTS, &username)?
                    .unwrap_or_else(|| ParticipantRecord::new(&username));
                rec.password_hash = hash;
                tx.put(PARTICIPANTS, &username, &rec)?;
            }
            let action = match &source {
                Some(s) => {
                    tx.set_meta(PACKAGE_SOURCE, s)?;
                    Action::PackageImported
                }
                None => Action::PackageInstalled,
            };
            let mut detail = format!("{} ({}), {} items", pkg.id, pkg.title, pkg.items.len());
            if !note.is_empty() {
                detail = format!("{detail}; {note}");
            }
            tx.audit(actor, action, detail)?;
            Ok(())
        })
        .await?;
        self.set_package(package);
        Ok(())
    }

    /// Installs the package with a session's tests opened, and its source record with the
    /// session's keys, in one transaction with the audit entry. Participants are unchanged.
    pub async fn release_session(&self, release: Release) -> Result<()> {
        let Release {
            mut package,
            source,
            session,
            via,
            actor,
        } = release;
        for p in &mut package.participants {
            p.password.clear();
        }
        let pkg = package.clone();
        self.write(move |tx| {
            tx.set_meta(PACKAGE, &pkg)?;
            tx.set_meta(PACKAGE_SOURCE, &source)?;
            tx.audit(actor, Action::SessionReleased, format!("{session} ({via})"))?;
            Ok(())
        })
        .await?;
        self.set_package(package);
        Ok(())
    }
}
