//! What `ruji serve` does before it listens, in order: the data directory and the board's
//! identity (device key); a recovery when the button is held at power-on; the school's
//! settings (ruji.toml, never fatal); the store; the capabilities the process keeps; the LAN
//! service; the room; the demo exam on a fresh board.

use std::path::PathBuf;
use std::sync::Arc;

use ruji_package::device::DeviceKey;
use ruji_panel::{Gesture, PanelHandle};
use ruji_store::{Actor, OpenOptions, Store};
use tokio::sync::mpsc::Receiver;

use crate::config::{self, SchoolConfig};
use crate::panel::{self, RecoveryFiles};
use crate::{new_setup_code, Room, Settings};

/// Capabilities `ruji serve` keeps when started as root: setting the wall clock (a board without
/// a clock battery starts in 1970; [`crate::wallclock`]), raw packets and address configuration
/// for the LAN service, and the HTTP port below 1024. Everything else (module loading,
/// mounting, tracing other processes, overriding file permissions...) is dropped, for this
/// process and for the `ip` commands it runs.
pub const KEEP_CAPS: [ruji_sys::Capability; 4] = [
    ruji_sys::Capability::CAP_SYS_TIME,
    ruji_sys::Capability::CAP_NET_RAW,
    ruji_sys::Capability::CAP_NET_ADMIN,
    ruji_sys::Capability::CAP_NET_BIND_SERVICE,
];

/// What `ruji serve` was asked to run.
#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    /// The data directory (holds ruji.redb); created if missing.
    pub data: PathBuf,
    /// The school's settings file.
    pub config: Option<PathBuf>,
    /// Count time while the server was down (also a setting of ruji.toml).
    pub count_downtime: bool,
    /// Issuer keys trusted besides ruji.toml's.
    pub trust_issuers: Vec<String>,
    /// Main participants of the demo exam installed on a fresh data directory.
    pub demo_participants: usize,
    /// Run the LAN service on this interface.
    pub lan_iface: Option<String>,
    /// The board has a button (actions can be confirmed by a press).
    pub button: bool,
    /// Folders where USB sticks are mounted (empty: `/media` and `/mnt/usb`).
    pub usb_dirs: Vec<PathBuf>,
    /// The image's USB mount helper's folder (`/run/ruji-usb`), when it runs.
    pub usb_control: Option<PathBuf>,
    /// Development and tests: a simulated wall clock that starts at this time (Unix seconds;
    /// 0 shows a board's 1970 start) and is set without touching the machine's clock; no NTP
    /// server is asked then.
    pub wall_clock_at: Option<u64>,
    /// Written at boot when the clock was put forward to the last saved time (the image's
    /// `ruji-clock`): the clock counts as not set until a source confirms it
    /// ([`Settings::clock_guess_mark`]).
    pub clock_guess_mark: Option<PathBuf>,
}

/// A started room and what the web server needs from the start.
pub struct Started {
    /// The room.
    pub room: Room,
    /// The settings in force.
    pub school: SchoolConfig,
    /// What a recovery writes to (for the panel supervisor).
    pub files: RecoveryFiles,
}

/// Starts the room (see the module docs). `panel` and `gestures` are the board's panel: a
/// button held at power-on is decided here, before the settings are read.
pub async fn start(
    opts: StartOptions,
    panel: &PanelHandle,
    gestures: &mut Receiver<Gesture>,
) -> Result<Started, String> {
    std::fs::create_dir_all(&opts.data)
        .map_err(|e| format!("cannot create data directory {}: {e}", opts.data.display()))?;
    let files = RecoveryFiles {
        data: opts.data.clone(),
        config: opts.config.clone(),
    };
    // The board's identity, made on the first start. A damaged key file must not stop the
    // exam: Ruji runs without an identity and says so.
    let device_key = match DeviceKey::load_or_create(&opts.data) {
        Ok(k) => {
            tracing::info!(id = %k.id(), key = %k.public(), "device key");
            Ok(Arc::new(k))
        }
        Err(e) => {
            tracing::error!(error = %e, "no device key");
            Err(e)
        }
    };
    // A button held at power-on is a recovery: decide it before the settings are read, so the
    // LAN starts on the defaults.
    let recovered =
        panel.view().borrow().button_pressed && panel::held_for_recovery(gestures).await;
    if recovered {
        tracing::warn!("button held at power-on: recovery");
        panel::recover_lan(&files);
    }
    let loaded = config::load(opts.config.as_deref(), &opts.data);
    if let Some(e) = &loaded.error {
        tracing::error!(
            file = %e.path.display(),
            line = e.line,
            column = e.column,
            error = %e.message,
            using = ?loaded.source,
            "ruji.toml has an error; Ruji runs on the last good settings (or the defaults) and the proctor page shows it"
        );
    }
    if loaded.lan_defaults {
        tracing::warn!("LAN defaults in force since a recovery (until ruji.toml is changed)");
    }
    let school = loaded.config.clone();
    let db = opts.data.join("ruji.redb");
    let store = Store::open(
        &db,
        OpenOptions {
            count_downtime: opts.count_downtime || school.count_downtime,
        },
    )
    .map_err(|e| format!("cannot open {}: {e}", db.display()))?;
    // The data directory is open and nothing else needs privilege: keep only what the LAN
    // service and the HTTP port need.
    match ruji_sys::restrict_capabilities(&KEEP_CAPS) {
        Ok(kept) if !kept.is_empty() => tracing::info!(?kept, "capabilities restricted"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "could not restrict capabilities"),
    }
    let lan = match &opts.lan_iface {
        None => None,
        Some(iface) => {
            let (cfg, handle) = (school.lan.clone(), ruji_lan::MonitorHandle::new());
            let (h, iface) = (handle.clone(), iface.clone());
            std::thread::Builder::new()
                .name("ruji-lan".into())
                .spawn(move || {
                    ruji_lan::monitor::run(&iface, &cfg, ruji_lan::MonitorTiming::default(), &h)
                })
                .map_err(|e| e.to_string())?;
            Some(handle)
        }
    };
    let wall_clock: Arc<dyn crate::wallclock::WallClock> = match opts.wall_clock_at {
        Some(at) => Arc::new(crate::wallclock::Simulated::at(at.saturating_mul(1000))),
        None => Arc::new(crate::wallclock::System),
    };
    let central = school.central.as_ref().map(|c| {
        let key = device_key
            .clone()
            .map_err(|e| format!("the board has no identity to sign with: {e}"))?;
        // Certificates are checked by the board's wall clock, never earlier than the latest time
        // it knew (Room::open sets that floor).
        let wall = wall_clock.clone();
        let now: ruji_sync::Now = Arc::new(move || wall.now_ms() / 1000);
        let client = ruji_sync::Client::with_clock(&c.url, c.ca.as_deref(), key, now)?;
        tracing::info!(url = %c.url, "central server");
        Ok(Arc::new(client))
    });
    let mut settings = Settings {
        setup_code: Some(new_setup_code()),
        button: opts.button,
        lan,
        token_policy: school.token,
        panel: Some(panel.clone()),
        notice: loaded.notice(opts.config.as_deref(), opts.count_downtime),
        data_dir: Some(opts.data.clone()),
        device: device_key.as_ref().ok().map(|k| (k.id(), k.public())),
        device_key: device_key.as_ref().ok().cloned(),
        central,
        gate_next_day: school.gates_next_day(),
        school: school.school.clone(),
        usb_control: opts.usb_control.clone(),
        hash_concurrency: crate::passwords::default_concurrency(),
        wall_clock,
        // A simulated clock (development, tests) asks no NTP server: nothing leaves the machine.
        ntp_servers: match opts.wall_clock_at {
            Some(_) => vec![],
            None => school.ntp_servers(),
        },
        clock_guess_mark: opts.clock_guess_mark.clone().filter(|m| m.exists()),
        trusted_issuers: school
            .trusted_issuers
            .iter()
            .chain(&opts.trust_issuers)
            .cloned()
            .collect(),
        ..Settings::default()
    };
    if !opts.usb_dirs.is_empty() {
        settings.usb_dirs = opts.usb_dirs.clone();
    }
    let room = Room::open(store, settings)
        .await
        .map_err(|e| e.to_string())?;
    if recovered {
        panel::recover_proctor(&room).await;
    }
    room.install_demo_if_empty(opts.demo_participants)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Started {
        room,
        school,
        files,
    })
}

impl Room {
    /// Installs the demo exam (with `participants` main participants) when no package is
    /// installed: a fresh board serves a rehearsal at once.
    pub async fn install_demo_if_empty(&self, participants: usize) -> crate::Result<()> {
        if !self.package().id.is_empty() {
            return Ok(());
        }
        tracing::info!(participants, "installing the demo exam");
        self.install_package(ruji_core::demo::package_with(participants))
            .await
    }

    /// Installs a package without a file (the demo, tests), hashing its passwords.
    pub async fn install_package(&self, package: ruji_core::package::Package) -> crate::Result<()> {
        self.install(package, None, Actor::System, String::new())
            .await
    }
}
