//! `ruji`: the exam-room server's command line. This file only wires: clap, the subcommands'
//! dispatch, and `ruji serve` putting the room (ruji-room), the panel (ruji-panel) and the web
//! server (ruji-web) together. Everything with a rule lives in a library crate.
//!
//! - `packages`, `results`, `central`: the package and result-bundle subcommands and
//!   `ruji central` (ruji-package, ruji-import, ruji-report, ruji-central).
#![forbid(unsafe_code)]

mod central;
mod packages;
mod results;

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use ruji_room::panel::Stopped;
use ruji_room::start::{start, StartOptions};
use ruji_room::Room;

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
    /// Result bundles (.rujihasil): `ruji results verify FILE...` checks their signatures;
    /// `ruji results report FILE... --format xlsx|csv|html` makes the teacher's report.
    Results(results::ResultsArgs),
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

fn lan_check(args: LanCheckArgs) -> std::process::ExitCode {
    let config = match ruji_room::config::read(args.config.as_deref()) {
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
    /// A folder where USB sticks are mounted (each folder in it is a stick); repeatable.
    /// Default: /media and /mnt/usb.
    #[arg(long = "usb-dir")]
    usb_dir: Vec<PathBuf>,
    /// The board image's USB helper folder (/run/ruji-usb): sticks are mounted read-write
    /// through it only while results are saved, then unmounted.
    #[arg(long)]
    usb_control: Option<PathBuf>,
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
    /// Tests only: how long a login request waits for its login before the page says it is
    /// being processed (default 4000; 0 shows that page for every login).
    #[arg(long, hide = true)]
    login_wait_ms: Option<u64>,
    /// Development and tests: a simulated wall clock starting at this Unix time (0: a board's
    /// 1970 start); setting it from the proctor's page moves only it, not this machine's clock.
    #[arg(long, hide = true)]
    wall_clock_at: Option<u64>,
    /// A board without a clock battery: when this file exists, the clock was only put forward
    /// to the last saved time at boot (the image's ruji-clock writes it), so it counts as not
    /// set until NTP, the central server or the proctor confirms it; the file is then removed.
    #[arg(long, value_name = "FILE")]
    clock_guess_mark: Option<PathBuf>,
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

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        // Logs go to standard error: standard output carries only what a command prints (the
        // banner, a report, `--json`). Colours only on a terminal: the board's log stays plain
        // text that grep can read.
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
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
        Command::Results(a) => return results::run(a),
        other => other,
    };
    // The servers hold one file descriptor per connection: make room for their limits.
    match &command {
        Command::Serve(_) => open_files(ruji_web::Settings::default().limits.open_files_needed()),
        Command::Central(_) => open_files(ruji_http::Limits::default().open_files_needed()),
        _ => {}
    }
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

/// Raises the soft open-files limit to the hard one when it is under `needed` (a server's
/// connections, see `ruji_http::Limits::open_files_needed`), and logs what it is; warns when
/// it stays under (then connections over it fail to be accepted, logged by ruji-http).
fn open_files(needed: u64) {
    match ruji_sys::raise_open_files(needed) {
        Ok(f) if !f.enough(needed) => tracing::warn!(
            soft = f.soft,
            hard = f.hard,
            needed,
            "the open-files limit is under what the connection limit needs; raise it \
             (ulimit -n, LimitNOFILE)"
        ),
        Ok(f) if f.raised() => tracing::info!(
            was = f.was,
            soft = f.soft,
            needed,
            "open-files limit raised to the hard limit"
        ),
        Ok(f) => tracing::info!(soft = f.soft, hard = f.hard, needed, "open-files limit"),
        Err(e) => tracing::warn!(error = %e, needed, "cannot raise the open-files limit"),
    }
}

/// `ruji unplug`: the "safe to unplug" pattern on the board's LED until SIGTERM or Ctrl-C.
async fn unplug(args: UnplugArgs) -> Result<(), String> {
    use ruji_panel::{Condition, PanelConfig};
    let led = ruji_panel::open_led(&args.board_meta);
    let spawned = ruji_panel::spawn(led, None, PanelConfig::default());
    spawned.handle.raise(Condition::SafeToUnplug);
    spawned.handle.clear(Condition::Booting);
    tracing::info!("safe to unplug / aman untuk dicabut");
    signal().await;
    spawned.handle.stop();
    let _ = spawned.task.await;
    Ok(())
}

/// Resolves on SIGTERM or Ctrl-C (only Ctrl-C, logged, when SIGTERM cannot be caught).
pub(crate) async fn signal() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot catch SIGTERM; Ctrl-C still stops");
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// `ruji serve`. `Ok(true)`: stopped by the button's safe shutdown with `--safe-shutdown-exit`.
async fn serve(args: ServeArgs) -> Result<bool, String> {
    let mode = match args.panel {
        PanelMode::None => ruji_panel::Mode::None,
        PanelMode::Sim => ruji_panel::Mode::Sim,
        PanelMode::Board => ruji_panel::Mode::Board,
    };
    let opened = ruji_panel::open(mode, &args.board_meta, args.sim_held_at_start);
    let ruji_panel::Spawned {
        handle: panel,
        gestures,
        task,
    } = opened.spawned;
    let result = serve_with_panel(&args, &panel, gestures, opened.sim).await;
    let stopped = match &result {
        Ok(true) => Stopped::Button,
        Ok(false) => Stopped::Signal,
        Err(_) => Stopped::Failed,
    };
    ruji_room::panel::after_stop(
        &panel,
        stopped,
        mode == ruji_panel::Mode::Board,
        args.safe_shutdown_exit,
    )
    .await;
    panel.stop();
    let _ = task.await;
    result.map(|by_button| by_button && args.safe_shutdown_exit)
}

/// Serves until SIGTERM/Ctrl-C (`Ok(false)`) or the button's safe shutdown (`Ok(true)`).
async fn serve_with_panel(
    args: &ServeArgs,
    panel: &ruji_panel::PanelHandle,
    mut gestures: tokio::sync::mpsc::Receiver<ruji_panel::Gesture>,
    sim: Option<ruji_panel::SimButton>,
) -> Result<bool, String> {
    let opts = StartOptions {
        data: args.data.clone(),
        config: args.config.clone(),
        count_downtime: args.count_downtime,
        trust_issuers: args.trust_issuer.clone(),
        demo_participants: args.demo_participants,
        lan_iface: args.lan_iface.clone(),
        button: args.panel != PanelMode::None,
        usb_dirs: args.usb_dir.clone(),
        usb_control: args.usb_control.clone(),
        wall_clock_at: args.wall_clock_at,
        clock_guess_mark: args.clock_guess_mark.clone(),
    };
    let started = start(opts, panel, &mut gestures).await?;
    let room = started.room;
    if args.reset_logins {
        room.reset_all_logins().await;
    }
    if let Some(session) = &args.open_session {
        let token = match &args.token {
            Some(t) => ruji_core::token::Token::parse(t).ok_or_else(|| {
                format!(
                    "--token {t:?}: 6 characters of {}",
                    std::str::from_utf8(ruji_core::token::ALPHABET).unwrap_or("")
                )
            })?,
            None => ruji_room::new_token(),
        };
        room.open_session_with(session, token)
            .await
            .map_err(|e| format!("cannot open session {session}: {e}"))?;
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    print_banner(&room, addr);
    // "Booting" ends in the panel's supervision once the LAN address is claimed
    // (`Room::started_up`), not when the port listens.
    let (button_shutdown, by_button) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(ruji_room::panel::supervise(
        room.clone(),
        panel.clone(),
        gestures,
        button_shutdown,
        started.files,
    ));
    let periodic = tokio::spawn(room.clone().periodic());
    let uploader = tokio::spawn(room.clone().uploader());
    let clock_keeper = tokio::spawn(room.clone().clock_keeper());
    let web = ruji_web::AppState::new(
        room.clone(),
        ruji_web::Settings {
            language: ruji_web::i18n::Lang::of_school(started.school.language),
            sim_button: sim,
            lan_only: args.lan_iface.as_ref().map(|_| started.school.lan.subnet()),
            login_wait: args.login_wait_ms.map_or(
                ruji_web::participant::LOGIN_WAIT,
                std::time::Duration::from_millis,
            ),
            ..ruji_web::Settings::default()
        },
    );
    let (tx, rx) = tokio::sync::oneshot::channel();
    let broken = room.clone();
    let stop = async move {
        let why = tokio::select! {
            () = signal() => Stop::Signal,
            r = by_button => if r.is_ok() { Stop::Button } else { Stop::Signal },
            () = broken.store_broken() => Stop::StoreBroken,
        };
        let _ = tx.send(why);
    };
    let served = ruji_web::run(listener, web, stop).await;
    // Whatever ended the serving: the clock is recorded and the LAN service stopped.
    periodic.abort();
    uploader.abort();
    clock_keeper.abort();
    room.close().await;
    served.map_err(|e| e.to_string())?;
    match rx.await.unwrap_or(Stop::Signal) {
        Stop::Signal => {
            tracing::info!("stopped; every acknowledged answer is on disk");
            Ok(false)
        }
        Stop::Button => {
            tracing::info!("stopped; every acknowledged answer is on disk");
            Ok(true)
        }
        Stop::StoreBroken => {
            Err(format!(
            "{}: Ruji stops so that it starts again with its store reopened (every acknowledged \
             answer is on disk)",
            room.storage_fault()
                .map_or_else(|| "the data card refused a write".to_string(), |f| f.to_string())
        ))
        }
    }
}

/// Why `ruji serve` stopped serving.
enum Stop {
    /// SIGTERM or Ctrl-C.
    Signal,
    /// The button's 3 s hold (safe shutdown).
    Button,
    /// The store's file refused a write: it needs reopening.
    StoreBroken,
}

fn print_banner(room: &Room, addr: SocketAddr) {
    let pkg = room.package();
    let host = if addr.ip().is_unspecified() {
        format!("<alamat-board>:{}", addr.port())
    } else {
        addr.to_string()
    };
    // A rule above and below: the banner stands apart from the log lines around it (the log is
    // on standard error, the banner on standard output).
    let rule = "=".repeat(72);
    println!("\n{rule}");
    println!("Ruji siap / ready: {} ({})", pkg.title, pkg.id);
    println!("  Peserta / participants : http://{host}/");
    println!("  Proktor / proctor      : http://{host}/proctor");
    if addr.ip().is_unspecified() {
        println!(
            "  (di komputer ini / on this machine: http://127.0.0.1:{}/)",
            addr.port()
        );
    }
    match room.setup_code() {
        Some(code) => {
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
        println!(
            "  (semua login demo di halaman proktor / every demo login on the proctor's page)"
        );
    }
    println!("{rule}\n");
    tracing::info!(%addr, "listening");
}
