//! `ruji`: the exam-room server's command line. This file only wires the crates together:
//! ruji-store (durable state), ruji-web (HTTP), ruji-core (rules and the demo exam), ruji-panel
//! (LED and button), ruji-lan (the room LAN).
//!
//! - `config`: the school's settings file, ruji.toml (strict parsing, last good copy, the
//!   recovery's LAN reset).
//! - `health`: the attention reasons of the LED and the dashboard, from real state.
//! - `packages`, `central`: the package subcommands and `ruji central` (ruji-sync, ruji-central).

#![forbid(unsafe_code)]

mod central;
mod config;
mod health;

mod packages;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};
use ruji_store::{OpenOptions, Store};
use ruji_web::{AppState, Settings};

#[derive(Parser)]
#[command(
    name = "ruji",
    version,
    about = "Ruji: an exam server for one room (UNBK/ANBK semi-online)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the exam to the room's clients (the demo exam on a fresh data directory).
    Serve(ServeArgs),
    /// Check the room LAN once: the board's address is free (RFC 5227 probe), which seats answer,
    /// and the classic faults (duplicate addresses, wrong subnet, a DHCP server, unknown hosts,
    /// no link). Exit 0 when nothing is found, 1 with findings, 2 on error. Needs CAP_NET_RAW.
    LanCheck(LanCheckArgs),
    /// Make a new issuer key pair for signing packages (secret key file + .pub beside it).
    Keygen(packages::KeygenArgs),
    /// Build a signed, sealed package (.rujipkg) from an authoring folder or loose files.
    Pack(packages::PackArgs),
    /// Print the offline release code of a package's sessions (needs the issuer's key).
    ReleaseCode(packages::ReleaseCodeArgs),
    /// Check an input (folder, GIFT, QTI, CSV, XLSX...): what it holds and every problem.
    /// Exit 0 when clean, 1 with problems.
    Import(packages::ImportArgs),
    /// Check a package's signature and contents without opening it. Exit 0 valid, 1 refused.
    Verify(packages::VerifyArgs),
    /// Run the reference central server: hand a session's release code to a registered board
    /// once the session's time has come (docs/central-protocol.md).
    Central(central::CentralArgs),
    /// Show "safe to unplug" on the board's LED until the power is removed (or SIGTERM). The
    /// image runs it after `ruji serve --safe-shutdown-exit` stopped and the data was unmounted.
    Unplug(UnplugArgs),
}

#[derive(clap::Args)]
struct UnplugArgs {
    /// The board's data file (LED name); see board/*/meta.
    #[arg(long, default_value = "/etc/ruji/board.meta")]
    board_meta: PathBuf,
}

/// Exit status of `ruji serve --safe-shutdown-exit` after the button's safe shutdown: every
/// answer is committed and the store is closed; the caller unmounts the data, then runs
/// `ruji unplug`.
const EXIT_SAFE_SHUTDOWN: u8 = 3;

#[derive(clap::Args)]
struct LanCheckArgs {
    /// The LAN interface, e.g. eth0.
    #[arg(long)]
    iface: String,
    /// ruji.toml whose `[lan]` section gives the address and seats (default: 192.168.0.200/24,
    /// seats 192.168.0.1-15). A file with an error is refused (exit 2) with its line and column.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
    /// Configure the address on the interface when the probe finds it free.
    #[arg(long)]
    apply: bool,
}

/// Capabilities `ruji serve` keeps when started as root: raw packets and address configuration
/// for the LAN service, and the HTTP port below 1024. Everything else (module loading, mounting,
/// tracing other processes, overriding file permissions...) is dropped, for this process and
/// for the `ip` commands it runs.
const KEEP_CAPS: [caps::Capability; 3] = [
    caps::Capability::CAP_NET_RAW,
    caps::Capability::CAP_NET_ADMIN,
    caps::Capability::CAP_NET_BIND_SERVICE,
];

/// Drops every capability but [`KEEP_CAPS`] (a no-op for an unprivileged user, who has none).
fn restrict_capabilities() -> Result<(), String> {
    use caps::{CapSet, CapsHashSet};
    let keep: CapsHashSet = KEEP_CAPS.into_iter().collect();
    let had = caps::read(None, CapSet::Permitted).map_err(|e| e.to_string())?;
    if had.is_empty() {
        return Ok(());
    }
    for cap in caps::all() {
        if !keep.contains(&cap) && caps::has_cap(None, CapSet::Bounding, cap).unwrap_or(false) {
            caps::drop(None, CapSet::Bounding, cap).map_err(|e| format!("{cap}: {e}"))?;
        }
    }
    let kept: CapsHashSet = keep.intersection(&had).copied().collect();
    caps::set(None, CapSet::Inheritable, &kept).map_err(|e| e.to_string())?;
    caps::set(None, CapSet::Effective, &kept).map_err(|e| e.to_string())?;
    caps::set(None, CapSet::Permitted, &kept).map_err(|e| e.to_string())?;
    tracing::info!(kept = ?KEEP_CAPS, "capabilities restricted");
    Ok(())
}

/// Reads ruji.toml strictly (defaults when no file is given).
fn read_config(path: Option<&Path>) -> Result<config::SchoolConfig, String> {
    match path {
        None => Ok(config::SchoolConfig::default()),
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| format!("{}: {e}", path.display()))
            .and_then(|t| config::parse(&t, path).map_err(|e| e.to_string())),
    }
}

fn lan_check(args: LanCheckArgs) -> std::process::ExitCode {
    let config = match read_config(args.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("ruji lan-check: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let mut opts = ruji_lan::CheckOptions::new(&args.iface, config.lan);
    opts.apply = args.apply;
    match ruji_lan::lan_check(&opts) {
        Ok(report) => {
            if args.json {
                println!("{}", report.to_json());
            } else {
                print!("{}", report.to_table());
            }
            std::process::ExitCode::from(if report.has_findings() { 1 } else { 0 })
        }
        Err(e) => {
            eprintln!("ruji lan-check: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Trust packages signed with this issuer public key (`ruji-pk:...`); repeatable. The
    /// proctor page can add more.
    #[arg(long = "trust-issuer")]
    trust_issuer: Vec<String>,
    /// Address and port to listen on.
    #[arg(long, default_value = "0.0.0.0:8080")]
    listen: SocketAddr,
    /// Data directory (holds ruji.redb); created if missing.
    #[arg(long, default_value = "ruji-data")]
    data: PathBuf,
    /// Count time while the server was down against running tests (default: not counted).
    #[arg(long)]
    count_downtime: bool,
    /// Demo exam only: number of main participants to generate (DEMO001...). For load tests.
    #[arg(long, default_value_t = ruji_core::demo::MAIN_PARTICIPANTS)]
    demo_participants: usize,
    /// Tests and benchmarks: open this session at start...
    #[arg(long)]
    open_session: Option<String>,
    /// ...with this token (otherwise a random one).
    #[arg(long, requires = "open_session")]
    token: Option<String>,
    /// Tests only: reset every participant's login at start (as the proctor would after a crash).
    #[arg(long)]
    reset_logins: bool,
    /// The LED and button: `none`, `sim` (LED as a line on stderr; type `p` + Enter for a
    /// press, `h` + Enter for a 3.5 s hold; the page /dev/panel shows the LED and has both
    /// buttons), or `board` (from --board-meta).
    #[arg(long, value_enum, default_value_t = PanelMode::None)]
    panel: PanelMode,
    /// Development and tests, with `--panel sim`: the simulated button is held down when Ruji
    /// starts and let go 1.5 s later, i.e. a recovery (proctor password and LAN settings reset).
    #[arg(long)]
    sim_held_at_start: bool,
    /// The board's data file (LED name, button source); see board/*/meta.
    #[arg(long, default_value = "/etc/ruji/board.meta")]
    board_meta: PathBuf,
    /// Run the LAN service on this interface: claim the address (RFC 5227), scan the seats,
    /// watch for faults; the proctor's "Jaringan" page shows it. Needs CAP_NET_RAW and
    /// CAP_NET_ADMIN.
    #[arg(long)]
    lan_iface: Option<String>,
    /// The school's settings file, ruji.toml (`[lan]`, `[ui]`, `[token]`, `[exam]`, `[packages]`). A file
    /// with an error never stops Ruji: it starts with the last good settings (kept in the data
    /// directory) or the defaults, and the proctor page shows the error.
    #[arg(long)]
    config: Option<PathBuf>,
    /// After a safe shutdown by the button, exit with status 3 once the store is closed instead
    /// of showing "safe to unplug": the caller (the image's ruji-start) unmounts the data first,
    /// which this process cannot do, then runs `ruji unplug`.
    #[arg(long)]
    safe_shutdown_exit: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum PanelMode {
    None,
    Sim,
    Board,
}

/// Starts the panel (before the store opens, so a button held at power-on is seen). With
/// `--panel sim`, also returns the simulated button (for the developer page).
fn start_panel(args: &ServeArgs) -> (ruji_panel::Spawned, Option<ruji_panel::SimButton>) {
    use ruji_panel::{sim_button, BoardMeta, LedClass, NoLed, PanelConfig, PanelSpec, SimLed};
    let mut sim_out = None;
    let (led, button): (Box<dyn ruji_panel::Led>, _) = match args.panel {
        PanelMode::None => (Box::new(NoLed), None),
        PanelMode::Sim => {
            let (sim, events) = sim_button(args.sim_held_at_start);
            if args.sim_held_at_start {
                let s = sim.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
                    let _ = s.release();
                });
            }
            sim_out = Some(sim.clone());
            // Terminal presses: the development stand-in for the board's button.
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_time()
                    .build();
                let Ok(rt) = rt else { return };
                for line in std::io::stdin().lines().map_while(Result::ok) {
                    let r = match line.trim() {
                        "h" => rt.block_on(sim.hold(std::time::Duration::from_millis(3500))),
                        _ => rt.block_on(sim.click()),
                    };
                    if r.is_err() {
                        break;
                    }
                }
            });
            (Box::new(SimLed::stderr()), Some(events))
        }
        PanelMode::Board => {
            let spec = BoardMeta::read(&args.board_meta).and_then(|m| PanelSpec::from_meta(&m));
            match spec {
                Ok(spec) => (
                    spec.open_led(LedClass::SYSFS_ROOT).unwrap_or_else(|e| {
                        tracing::warn!(error = %e, "no LED; state is on the proctor page only");
                        Box::new(NoLed)
                    }),
                    spec.open_button().unwrap_or_else(|e| {
                        tracing::warn!(error = %e, "no button");
                        None
                    }),
                ),
                Err(e) => {
                    tracing::warn!(error = %e, path = %args.board_meta.display(), "board data unreadable; no LED or button");
                    (Box::new(NoLed), None)
                }
            }
        }
    };
    (
        ruji_panel::spawn(led, button, PanelConfig::default()),
        sim_out,
    )
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        // Colours only on a terminal: the board's log file stays plain text that grep can read.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();
    let cli = Cli::parse();
    // The one-shot commands need no runtime.
    let command = match cli.command {
        Command::LanCheck(args) => return lan_check(args),
        Command::Keygen(a) => return packages::keygen(a),
        Command::Pack(a) => return packages::pack(a),
        Command::ReleaseCode(a) => return packages::release_code(a),
        Command::Import(a) => return packages::import(a),
        Command::Verify(a) => return packages::verify(a),
        other => other,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let result = match command {
        Command::Unplug(args) => rt.block_on(unplug(args)).map(|()| false),
        Command::Serve(args) => rt.block_on(serve(args)),
        Command::Central(args) => rt.block_on(central::run(args)).map(|()| false),
        _ => unreachable!("one-shot commands returned above"),
    };
    // Dropping the runtime ends the remaining tasks, and with them the last handles on the
    // store: its writer thread is joined and the database file closed before the exit.
    drop(rt);
    match result {
        Ok(false) => std::process::ExitCode::SUCCESS,
        Ok(true) => {
            tracing::info!("safe shutdown: store closed; the data can be unmounted");
            std::process::ExitCode::from(EXIT_SAFE_SHUTDOWN)
        }
        Err(e) => {
            eprintln!("ruji: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

/// `ruji unplug`: the "safe to unplug" pattern on the board's LED until SIGTERM or Ctrl-C.
async fn unplug(args: UnplugArgs) -> Result<(), String> {
    use ruji_panel::{BoardMeta, Condition, LedClass, NoLed, PanelConfig, PanelSpec};
    let led = BoardMeta::read(&args.board_meta)
        .and_then(|m| PanelSpec::from_meta(&m))
        .and_then(|spec| spec.open_led(LedClass::SYSFS_ROOT))
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "no LED; the console says it instead");
            Box::new(NoLed)
        });
    let spawned = ruji_panel::spawn(led, None, PanelConfig::default());
    spawned.handle.raise(Condition::SafeToUnplug);
    spawned.handle.clear(Condition::Booting);
    tracing::info!("safe to unplug / aman untuk dicabut");
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| format!("SIGTERM handler: {e}"))?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    spawned.handle.stop();
    let _ = spawned.task.await;
    Ok(())
}

/// `ruji serve`. `Ok(true)`: stopped by the button's safe shutdown with `--safe-shutdown-exit`.
async fn serve(args: ServeArgs) -> Result<bool, String> {
    let (
        ruji_panel::Spawned {
            handle: panel,
            gestures,
            task: panel_task,
        },
        sim,
    ) = start_panel(&args);
    let result = serve_with_panel(&args, &panel, gestures, sim).await;
    match &result {
        Ok(true) if args.safe_shutdown_exit => {}
        Ok(true) => {
            // Safe shutdown by the button: everything is on disk; show it and wait for the plug.
            let _ = std::process::Command::new("sync").status();
            panel.raise(ruji_panel::Condition::SafeToUnplug);
            tracing::info!("safe to unplug / aman untuk dicabut");
            if args.panel == PanelMode::Board {
                std::future::pending::<()>().await;
            }
            tokio::time::sleep(std::time::Duration::from_secs(3)).await;
        }
        Ok(false) => {}
        Err(_) => panel.raise(ruji_panel::Condition::CannotServe),
    }
    panel.stop();
    let _ = panel_task.await;
    result.map(|by_button| by_button && args.safe_shutdown_exit)
}

/// Serves until SIGTERM/Ctrl-C (`Ok(false)`) or the button's safe shutdown (`Ok(true)`).
async fn serve_with_panel(
    args: &ServeArgs,
    panel: &ruji_panel::PanelHandle,
    mut gestures: tokio::sync::mpsc::Receiver<ruji_panel::Gesture>,
    sim: Option<ruji_panel::SimButton>,
) -> Result<bool, String> {
    std::fs::create_dir_all(&args.data)
        .map_err(|e| format!("cannot create data directory {}: {e}", args.data.display()))?;
    // The board's identity, made on the first start. A damaged key file must not stop the
    // exam: Ruji runs without an identity and says so.
    let device_key = match ruji_package::device::DeviceKey::load_or_create(&args.data) {
        Ok(k) => {
            tracing::info!(id = %k.id(), key = %k.public(), "device key");
            Ok(std::sync::Arc::new(k))
        }
        Err(e) => {
            tracing::error!(error = %e, "no device key");
            Err(e)
        }
    };
    let device = device_key.as_ref().ok().map(|k| (k.id(), k.public()));
    // A button held at power-on is a recovery: decide it before the settings are read, so the
    // LAN starts on the defaults.
    let recovered = panel.view().borrow().button_pressed && held_for_recovery(&mut gestures).await;
    if recovered {
        recover_lan(args);
    }
    let loaded = config::load(args.config.as_deref(), &args.data);
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
    let db = args.data.join("ruji.redb");
    let store = Store::open(
        &db,
        OpenOptions {
            count_downtime: args.count_downtime || school.count_downtime,
        },
    )
    .map_err(|e| format!("cannot open {}: {e}", db.display()))?;
    // The data directory is open and nothing else needs privilege: keep only what the LAN
    // service and the HTTP port need.
    if let Err(e) = restrict_capabilities() {
        tracing::warn!(error = %e, "could not restrict capabilities");
    }
    let setup_code = ruji_web::new_setup_code();
    let lan = match &args.lan_iface {
        None => None,
        Some(iface) => {
            let cfg = school.lan.clone();
            let handle = ruji_lan::MonitorHandle::new();
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
    let settings = Settings {
        setup_code: Some(setup_code.clone()),
        button: args.panel != PanelMode::None,
        lan: lan.clone(),
        token_policy: school.token,
        language: match school.language {
            config::Language::Auto => None,
            config::Language::Id => Some(ruji_web::i18n::Lang::Id),
            config::Language::En => Some(ruji_web::i18n::Lang::En),
        },
        panel: Some(panel.clone()),
        sim_button: sim,
        notice: settings_notice(args, &loaded),
        data_dir: Some(args.data.clone()),
        device,
        lan_only: args.lan_iface.as_ref().map(|_| school.lan.subnet()),
        central: school.central.as_ref().map(|c| {
            let key = device_key
                .clone()
                .map_err(|e| format!("the board has no identity to sign with: {e}"))?;
            let client = ruji_sync::Client::new(&c.url, c.ca.as_deref(), key)?;
            tracing::info!(url = %c.url, "central server");
            Ok(std::sync::Arc::new(client))
        }),
        trusted_issuers: school
            .trusted_issuers
            .iter()
            .chain(&args.trust_issuer)
            .cloned()
            .collect(),
        ..Settings::default()
    };
    let state = AppState::new(store.clone(), settings)
        .await
        .map_err(|e| e.to_string())?;
    if recovered {
        recover_proctor(&state).await;
    }
    let fresh = store.package().id.is_empty();
    if fresh {
        tracing::info!(
            participants = args.demo_participants,
            "installing the demo exam"
        );
        state
            .install_package(ruji_core::demo::package_with(args.demo_participants))
            .await
            .map_err(|e| e.to_string())?;
    }
    if args.reset_logins {
        for p in &store.package().participants {
            let _ = store.reset_login(&p.username).await;
        }
    }
    if let Some(session) = &args.open_session {
        let token = match &args.token {
            Some(t) => ruji_core::token::Token::parse(t).ok_or_else(|| {
                format!(
                    "--token {t:?}: 6 characters of {}",
                    std::str::from_utf8(ruji_core::token::ALPHABET).unwrap_or("")
                )
            })?,
            None => ruji_web::new_token(),
        };
        match store.open_session(session, token).await {
            Ok(Ok(())) => {}
            Ok(Err(r)) => return Err(format!("cannot open session {session}: {r:?}")),
            Err(e) => return Err(e.to_string()),
        }
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    print_banner(&state, addr);
    panel.clear(ruji_panel::Condition::Booting);
    let (button_shutdown, by_button) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(watch_panel(
        state.clone(),
        panel.clone(),
        button_shutdown,
        gestures,
        WatchCtx {
            data: args.data.clone(),
            config: args.config.clone(),
        },
    ));
    let shutdown = async move {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => false,
            _ = term.recv() => false,
            r = by_button => r.is_ok(),
        }
    };
    let (tx, rx) = tokio::sync::oneshot::channel();
    ruji_web::run(listener, state, async move {
        let _ = tx.send(shutdown.await);
    })
    .await
    .map_err(|e| e.to_string())?;
    tracing::info!("stopped; every acknowledged answer is on disk");
    if let Some(h) = &lan {
        h.shutdown();
    }
    Ok(rx.await.unwrap_or(false))
}

/// Waits (at most the recogniser's power-on hold plus 2 s) for the gesture of a button that was
/// already down at power-on: is it a recovery?
async fn held_for_recovery(
    gestures: &mut tokio::sync::mpsc::Receiver<ruji_panel::Gesture>,
) -> bool {
    let wait = ruji_panel::GestureConfig::default().boot_hold_ms + 2000;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_millis(wait);
    tracing::info!("button down at power-on: waiting for a recovery hold");
    loop {
        match tokio::time::timeout_at(deadline, gestures.recv()).await {
            Ok(Some(ruji_panel::Gesture::Recovery)) => return true,
            Ok(Some(g)) => tracing::info!(gesture = g.name(), "button at start: not a recovery"),
            Ok(None) | Err(_) => return false,
        }
    }
}

/// Recovery, first half: the LAN defaults win over ruji.toml until the file changes.
fn recover_lan(args: &ServeArgs) {
    match config::reset_lan(args.config.as_deref(), &args.data) {
        Ok(()) => tracing::warn!(
            "button held at power-on: recovery: LAN settings reset to the defaults (192.168.0.200/24) until ruji.toml is changed"
        ),
        Err(e) => tracing::error!(error = %e, "recovery: cannot record the LAN reset"),
    }
}

/// Recovery, second half: the proctor password is removed and a new setup code printed; the
/// exam data stays. Logged and in the audit log.
async fn recover_proctor(state: &AppState) {
    match state.reset_proctor().await {
        Ok(code) => {
            tracing::warn!("recovery: proctor password reset (exam data kept)");
            println!("  Kode penyiapan proktor baru / new proctor setup code: {code}");
        }
        Err(e) => tracing::error!(error = %e, "recovery failed"),
    }
    if let Err(e) = state
        .store
        .audit_event(
            "system",
            "recovery",
            "proctor password and LAN settings reset".into(),
        )
        .await
    {
        tracing::error!(error = %e, "recovery: cannot write the audit log");
    }
}

/// What the proctor page says about ruji.toml and the settings in force.
fn settings_notice(args: &ServeArgs, loaded: &config::Loaded) -> ruji_web::board::SettingsNotice {
    use ruji_web::board::{InForce, SettingsError, SettingsNotice};
    let c = &loaded.config;
    SettingsNotice {
        path: args.config.as_ref().map(|p| p.display().to_string()),
        error: loaded.error.as_ref().map(|e| SettingsError {
            line: e.line,
            column: e.column,
            message: e.message.clone(),
        }),
        from_last_good: loaded.source == config::Source::LastGood,
        lan_defaults: loaded.lan_defaults,
        in_force: Some(InForce {
            lan_address: format!("{}/{}", c.lan.address, c.lan.prefix_len),
            seats: format!("{} - {}", c.lan.seat_first, c.lan.seat_last),
            language: match c.language {
                config::Language::Auto => None,
                config::Language::Id => Some(ruji_web::i18n::Lang::Id),
                config::Language::En => Some(ruji_web::i18n::Lang::En),
            },
            token_rotate_minutes: c.token.rotate_every.map(|m| m / ruji_core::MINUTE),
            token_grace_minutes: c.token.grace / ruji_core::MINUTE,
            count_downtime: args.count_downtime || c.count_downtime,
        }),
    }
}

/// What [`watch_panel`] needs besides the state.
struct WatchCtx {
    /// The data directory (its filesystem's free space).
    data: PathBuf,
    /// ruji.toml, for a late recovery.
    config: Option<PathBuf>,
}

/// Keeps the LED in step with the room (session open, attention reasons) and acts on the
/// button's gestures.
async fn watch_panel(
    state: AppState,
    panel: ruji_panel::PanelHandle,
    shutdown: tokio::sync::oneshot::Sender<()>,
    mut gestures: tokio::sync::mpsc::Receiver<ruji_panel::Gesture>,
    ctx: WatchCtx,
) {
    use ruji_panel::{Condition, Gesture};
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(2));
    let mut shutdown = Some(shutdown);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                let open = state.store.sessions().map(|s| s.iter().any(|(_, st)| st.open));
                panel.set(Condition::SessionOpen, open.unwrap_or(false));
                let inputs = health::gather(&state.store, &ctx.data, state.settings.lan.as_deref());
                let active = health::attention(&inputs);
                for a in ruji_panel::Attention::ALL {
                    panel.set(Condition::Attention(a), active.contains(&a));
                }
            }
            g = gestures.recv() => match g {
                None => return,
                Some(Gesture::Confirm) => match state.confirm_physical().await {
                    Ok(Some(what)) => tracing::info!(action = what, "button: press confirmed the action"),
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
                    if let Err(e) = config::reset_lan(ctx.config.as_deref(), &ctx.data) {
                        tracing::error!(error = %e, "recovery: cannot record the LAN reset");
                    }
                    tracing::warn!("recovery: LAN defaults apply from the next start");
                    recover_proctor(&state).await;
                }
            }
        }
    }
}

fn print_banner(state: &AppState, addr: SocketAddr) {
    let pkg = state.store.package();
    let host = if addr.ip().is_unspecified() {
        format!("<alamat-board>:{}", addr.port())
    } else {
        addr.to_string()
    };
    println!("Ruji siap / ready: {} ({})", pkg.title, pkg.id);
    println!("  Peserta / participants : http://{host}/");
    println!("  Proktor / proctor      : http://{host}/proctor");
    if addr.ip().is_unspecified() {
        println!(
            "  (di komputer ini / on this machine: http://127.0.0.1:{}/)",
            addr.port()
        );
    }
    let setup_code = state.setup_code.lock().ok().and_then(|c| c.clone());
    match setup_code {
        Some(code) if !state.has_proctor() => {
            println!("  Kode penyiapan proktor / proctor setup code: {code}")
        }
        _ => println!("  Password proktor sudah dibuat / proctor password is set."),
    }
    if pkg.id == ruji_core::demo::ID {
        println!("  Login demo (username / password / tanggal lahir):");
        for (i, p) in pkg
            .participants
            .iter()
            .filter(|p| !p.reserve)
            .take(4)
            .enumerate()
        {
            let (username, password, birth_date) = ruji_core::demo::login(i + 1);
            println!("    {username} / {password} / {birth_date}  {}", p.name);
        }
    }
    tracing::info!(%addr, "listening");
}
