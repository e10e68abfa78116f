//! ruji-room: the application layer. The exam room's operations as one service, [`Room`], that
//! the web server, the board's panel and the command line call; no HTTP here.
//!
//! - [`participants`]: the participant's flow: login (throttled, passwords checked off the async
//!   workers), identity and token, practice, answers, finish, logout; who is online.
//! - [`proctor`]: the proctor's account (setup with a one-time code or the board's button, login,
//!   recovery) and the proctor's actions on the room: sessions, tokens, resets, force finish,
//!   reserves, the dashboard's rows, results, the event log.
//! - [`packages`]: importing a signed package (upload or USB stick), releasing a session with
//!   its code or from the central server, trusted issuers, the sync report, the items' pictures.
//! - [`confirm`]: actions started on the web page that wait for a press of the board's button.
//! - [`periodic`]: the work done every second (time-outs, token rotation, clock checkpoints).
//! - [`results`]: each session's signed result bundle, its upload to the central server and
//!   the receipt.
//! - [`printables`]: the paper of an exam day from the room's records: attendance lists,
//!   session reports with the proctor's and invigilator's notes, login cards with reissued
//!   passwords (laid out by ruji-print as PDF and print-ready HTML).
//! - [`reports`]: reports for teachers (scores, responses, item analysis, essays) from the
//!   results files, as XLSX, HTML or CSV.
//! - [`usb`]: the results files saved to a USB stick (through the image's mount helper).
//! - [`health`]: why the board wants the proctor's attention (the LED's reasons), from real state.
//! - [`panel`]: keeps the LED in step with the room and acts on the button's gestures; recovery.
//! - [`config`]: the school's settings file, ruji.toml (strict, with a last good copy).
//! - [`start`]: what `ruji serve` does before it listens: identity, recovery, settings, store,
//!   LAN service, demo exam.
//! - [`passwords`]: argon2 hashing within a memory bound, in one queue with priorities.
//! - [`logins`]: participants' logins as jobs that outlive their requests.
//! - [`wallclock`]: the board's wall clock, and setting it from NTP, the central server or the
//!   proctor's browser.
//! - [`events`]: the event log as a proctor reads it: filters, answer saves folded per
//!   participant, wall times (estimated where the clock was not set yet), incidents.
//! - [`error`]: [`RoomError`], every way an operation can fail, typed.
//!
//! Layering: ruji-room uses ruji-store (durable state, each operation one transaction),
//! ruji-package and ruji-sync (package files, the central server), ruji-panel and ruji-lan
//! through their handles. The web server (ruji-web) sees only this crate's API.
#![forbid(unsafe_code)]

pub mod config;
pub mod confirm;
pub mod console;
pub mod error;
pub mod events;
mod guesses;
pub mod health;
pub mod logins;
pub mod packages;
pub mod panel;
pub mod participants;
pub mod passwords;
pub mod periodic;
pub mod printables;
pub mod proctor;
pub mod reports;
pub mod results;
pub mod start;
pub mod usb;
pub mod wallclock;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use ruji_core::throttle::Throttle;
use ruji_core::token::{Token, TokenPolicy};
use ruji_store::Store;

pub use config::SettingsNotice;
pub use error::{PackageError, PackageErrorKind, RoomError};
pub use ruji_store::room::{AttemptResult, Context, ItemResult, ParticipantStatus, Refusal, Saved};
pub use ruji_store::tables::{PackageSource, SessionState, TrustedIssuer};
pub use ruji_store::{Action, Actor, AuditEntry, Fault, StoreError};

/// Result of a room operation.
pub type Result<T, E = RoomError> = std::result::Result<T, E>;

/// What the room is set up with (`ruji serve`'s settings; tests build their own).
#[derive(Clone)]
pub struct Settings {
    /// Token rotation and grace.
    pub token_policy: TokenPolicy,
    /// One-time code that allows creating the proctor password (printed on the console).
    pub setup_code: Option<String>,
    /// Concurrent argon2 computations (each takes [`passwords::ARGON2_KIB`] of memory); `ruji
    /// serve` uses [`passwords::default_concurrency`], tests and the default 2.
    pub hash_concurrency: usize,
    /// The board has a button (`--panel sim|board`): actions that need physical presence can
    /// be confirmed with a press instead of a code.
    pub button: bool,
    /// The LAN service's status, when it runs (`ruji serve --lan-iface`).
    pub lan: Option<Arc<ruji_lan::MonitorHandle>>,
    /// The board's panel (LED and button), when it runs.
    pub panel: Option<ruji_panel::PanelHandle>,
    /// What the proctor page says about ruji.toml at start.
    pub notice: SettingsNotice,
    /// The data directory: imported packages and released pictures live there. `None` (tests of
    /// other things) disables import.
    pub data_dir: Option<PathBuf>,
    /// Issuer public keys (`ruji-pk:...`) whose packages the board accepts, from ruji.toml; the
    /// proctor page can add more.
    pub trusted_issuers: Vec<String>,
    /// Folders where USB sticks are mounted; `*.rujipkg` files there are offered for import,
    /// and each folder in them is a stick the results can be saved to.
    pub usb_dirs: Vec<PathBuf>,
    /// The folder through which the image's root helper (`ruji-usb`) mounts a stick
    /// read-write for an export and unmounts it after ([`usb`]); `None`: the sticks' folders
    /// are written as they are.
    pub usb_control: Option<PathBuf>,
    /// The board's identity (short id, public key) from its device key, when there is one.
    pub device: Option<(String, String)>,
    /// The board's device key, which signs its result bundles.
    pub device_key: Option<Arc<ruji_package::device::DeviceKey>>,
    /// The central server (ruji.toml `[central]`): `None` when not set, `Err` with the reason
    /// when set but not usable (no device key, a bad CA).
    pub central: Option<std::result::Result<Arc<ruji_sync::Client>, String>>,
    /// A session waits for the central server's receipts of the earlier days' results
    /// (ruji.toml `[results] gate_next_day`).
    pub gate_next_day: bool,
    /// The board's wall clock ([`wallclock::System`] on a board).
    pub wall_clock: Arc<dyn wallclock::WallClock>,
    /// NTP servers asked while the clock is not set (ruji.toml `[clock] ntp`); none in tests.
    pub ntp_servers: Vec<String>,
    /// Set when the clock was only put forward to the last time saved before the power went
    /// (the image's `ruji-clock restore`, on a board without a clock battery, writes this file):
    /// it counts as not set until a source confirms or sets it; the file is removed then, so a
    /// restart of Ruji in the same boot does not doubt a confirmed clock.
    pub clock_guess_mark: Option<PathBuf>,
    /// The school, the room and the time zone (ruji.toml `[school]`): the printables' heading
    /// and the zone of the wall times on the proctor's pages.
    pub school: config::School,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            token_policy: TokenPolicy::default(),
            setup_code: None,
            hash_concurrency: 2,
            button: false,
            lan: None,
            panel: None,
            notice: SettingsNotice::default(),
            data_dir: None,
            trusted_issuers: vec![],
            usb_dirs: vec!["/media".into(), "/mnt/usb".into()],
            usb_control: None,
            device: None,
            device_key: None,
            central: None,
            gate_next_day: false,
            wall_clock: Arc::new(wallclock::System),
            ntp_servers: vec![],
            clock_guess_mark: None,
            school: config::School::default(),
        }
    }
}

/// The exam room as a service; cheap to clone (one shared state behind it).
#[derive(Clone)]
pub struct Room(Arc<Inner>);

/// The state behind [`Room`]. Every field's bound is stated: nothing here grows with time.
pub(crate) struct Inner {
    /// Durable state.
    store: Store,
    /// Settings.
    settings: Settings,
    /// The cookie-signing key (64 bytes, kept in the store so cookies survive a restart).
    cookie_key: Vec<u8>,
    /// Wrong-guess counters by username and by client address (at most 4096 keys; see
    /// [`guesses`]).
    throttle: Mutex<Throttle>,
    /// Wakes guesses waiting for a place among their keys' attempts in flight.
    guess_ended: tokio::sync::Notify,
    /// Last request time and address per participant (one entry per participant of the
    /// package at most: only logged-in participants touch it).
    presence: participants::Presence,
    /// The live console's snapshot and its followers (at most [`console::MAX_LIVE`]).
    console: Arc<console::Feed>,
    /// argon2 within its bound: at most `hash_concurrency` hashes at once, their working memory
    /// reused; the proctor's first, then logins, then imports and upgrades.
    passwords: passwords::Passwords,
    /// Participants' login jobs (at most [`logins::MAX_LOGINS`]).
    logins: logins::Logins,
    /// The one-time setup code, until the proctor password exists.
    setup_code: Mutex<Option<String>>,
    /// The one action that waits for a press of the board's button.
    pending: Mutex<Option<confirm::Pending>>,
    /// What the proctor page says about ruji.toml.
    notice: Mutex<SettingsNotice>,
    /// Held by a package change (import, release) from start to end: each reads the record of
    /// what is installed and released, and writes it back; two at once would lose one.
    package_changes: tokio::sync::Mutex<()>,
    /// One export to a USB stick at a time.
    usb_export: tokio::sync::Mutex<()>,
    /// One read of the whole event log at a time ([`events`]).
    event_reads: Arc<tokio::sync::Mutex<()>>,
    /// One reissue of passwords at a time ([`printables`]).
    reissues: tokio::sync::Mutex<()>,
    /// One result bundle made at a time (a close and a download at once would write the same
    /// file twice).
    bundling: tokio::sync::Mutex<()>,
    /// Set when shutting down: saves are refused with a clear message.
    shutting_down: AtomicBool,
    /// Wakes the uploader when a new bundle is made.
    uploads: tokio::sync::Notify,
    /// The proctor asked to upload now: the next round ignores the pauses.
    upload_now: AtomicBool,
    /// A source set or confirmed the wall clock since the start ([`Room::clock_guessed`]).
    clock_confirmed: AtomicBool,
    /// One setting of the wall clock at a time ([`Room::set_wall_clock`]).
    clock_setting: tokio::sync::Mutex<()>,
}

impl Room {
    /// The room on `store`; makes the cookie key on the first start.
    pub async fn open(store: Store, settings: Settings) -> Result<Room> {
        let cookie_key = store.cookie_key().await?;
        let passwords = passwords::Passwords::new(settings.hash_concurrency);
        let setup_code = settings.setup_code.clone();
        let notice = settings.notice.clone();
        let room = Room(Arc::new(Inner {
            store,
            cookie_key,
            throttle: Mutex::new(Throttle::new(4096)),
            guess_ended: tokio::sync::Notify::new(),
            presence: participants::Presence::default(),
            console: Arc::new(console::Feed::default()),
            passwords,
            logins: logins::Logins::default(),
            setup_code: Mutex::new(setup_code),
            pending: Mutex::new(None),
            notice: Mutex::new(notice),
            package_changes: tokio::sync::Mutex::new(()),
            usb_export: tokio::sync::Mutex::new(()),
            event_reads: Arc::new(tokio::sync::Mutex::new(())),
            reissues: tokio::sync::Mutex::new(()),
            bundling: tokio::sync::Mutex::new(()),
            shutting_down: AtomicBool::new(false),
            uploads: tokio::sync::Notify::new(),
            upload_now: AtomicBool::new(false),
            clock_confirmed: AtomicBool::new(false),
            clock_setting: tokio::sync::Mutex::new(()),
            settings,
        }));
        room.restore_lockouts()?;
        if let Some(Ok(client)) = &room.settings().central {
            // A board that starts in 1970 still checks the central server's certificate at the
            // latest time it knew.
            let known = room.store().last_known_wall().unwrap_or(0);
            client.set_time_floor(health::BUILD_EPOCH.max(known));
        }
        Ok(room)
    }

    /// The store.
    pub(crate) fn store(&self) -> &Store {
        &self.0.store
    }

    /// The settings the room runs with.
    pub fn settings(&self) -> &Settings {
        &self.0.settings
    }

    /// The key that signs cookies (64 bytes).
    pub fn cookie_key(&self) -> &[u8] {
        &self.0.cookie_key
    }

    /// The installed package.
    pub fn package(&self) -> Arc<ruji_core::package::IndexedPackage> {
        self.0.store.package()
    }

    /// The exam clock now.
    pub fn now(&self) -> ruji_core::Millis {
        self.0.store.now()
    }

    /// Resolves when the store's file has refused a write: nothing more can be saved until
    /// Ruji starts again with the store reopened (`ruji serve` then stops with an error and the
    /// board's init starts it again; acknowledged answers are on disk).
    pub async fn store_broken(&self) {
        self.0.store.broken().await;
        tracing::error!(fault = ?self.storage_fault(), "the store's file refused a write; it must be reopened");
    }

    /// Why the store's file refused a write, if it did: the card full, failing, or the file
    /// damaged.
    pub fn storage_fault(&self) -> Option<ruji_store::Fault> {
        self.0.store.fault()
    }

    /// Shutting down: from now on saves are refused with a clear message (the page keeps them
    /// and retries), requests in flight finish.
    pub fn begin_shutdown(&self) {
        self.0.shutting_down.store(true, Ordering::Relaxed);
        self.0.console.close();
        tracing::info!("shutting down: refusing new answers, finishing requests in flight");
    }

    /// Is the board shutting down.
    pub fn is_shutting_down(&self) -> bool {
        self.0.shutting_down.load(Ordering::Relaxed)
    }

    /// After the server stopped: records the exam clock a last time and stops the LAN service.
    /// The store closes when the last handle on it goes.
    pub async fn close(&self) {
        if let Err(e) = self.0.store.checkpoint().await {
            tracing::error!(error = %e, "final checkpoint failed");
        }
        if let Some(h) = &self.0.settings.lan {
            h.shutdown();
        }
    }

    /// What the proctor page says about ruji.toml now.
    pub fn settings_notice(&self) -> SettingsNotice {
        self.0.notice.lock().expect("not poisoned").clone()
    }

    /// The LAN service's status (`None` when it does not run, or has nothing yet).
    pub fn lan_status(&self) -> Option<ruji_lan::LanStatus> {
        self.0.settings.lan.as_ref().and_then(|h| h.status())
    }

    /// Does the LAN service run.
    pub fn lan_running(&self) -> bool {
        self.0.settings.lan.is_some()
    }

    /// Has the board finished starting, as the LED tells it: the LAN service (when it runs) is
    /// no longer probing its address: the address is the board's, or another host has it (then
    /// the "address conflict" attention says so). Without a LAN service, once serving.
    pub fn started_up(&self) -> bool {
        match &self.0.settings.lan {
            None => true,
            Some(h) => h
                .status()
                .is_some_and(|s| s.claim != ruji_lan::ClaimStatus::Probing),
        }
    }

    /// Asks the LAN service to scan every seat now.
    pub fn rescan_lan(&self) {
        if let Some(h) = &self.0.settings.lan {
            h.rescan();
        }
    }

    /// What the panel shows (`None` without a panel).
    pub fn panel_view(&self) -> Option<ruji_panel::PanelView> {
        self.0
            .settings
            .panel
            .as_ref()
            .map(|p| p.view().borrow().clone())
    }
}

/// Runs `f` on the blocking pool (reads of many records, file system walks): never on the async
/// workers. A task that did not finish (it panicked) is a storage failure.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        RoomError::Storage(StoreError::storage(
            ruji_store::Fault::Other,
            format!("a blocking task failed: {e}"),
        ))
    })?
}

/// A one-time proctor setup code, `NNNN-NNNN`.
pub fn new_setup_code() -> String {
    format!(
        "{:04}-{:04}",
        rand::random::<u32>() % 10_000,
        rand::random::<u32>() % 10_000
    )
}

/// A fresh random token.
pub fn new_token() -> Token {
    Token::generate(rand::random::<u32>)
}

/// A new login-card password ([`ruji_core::package::generate_password`]).
pub fn new_password() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    ruji_core::package::generate_password(|n| rng.random_range(0..n))
}
