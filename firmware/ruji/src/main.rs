//! `ruji`: the exam-room server's command line. This file only wires the crates together:
//! ruji-store (durable state), ruji-web (HTTP), ruji-core (rules and the demo exam).

use std::net::SocketAddr;
use std::path::PathBuf;

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
}

#[derive(clap::Args)]
struct ServeArgs {
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
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let result = match cli.command {
        Command::Serve(args) => rt.block_on(serve(args)),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ruji: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    std::fs::create_dir_all(&args.data)
        .map_err(|e| format!("cannot create data directory {}: {e}", args.data.display()))?;
    let db = args.data.join("ruji.redb");
    let store = Store::open(
        &db,
        OpenOptions {
            count_downtime: args.count_downtime,
        },
    )
    .map_err(|e| format!("cannot open {}: {e}", db.display()))?;
    let setup_code = format!(
        "{:04}-{:04}",
        rand::random::<u32>() % 10_000,
        rand::random::<u32>() % 10_000
    );
    let settings = Settings {
        setup_code: Some(setup_code.clone()),
        ..Settings::default()
    };
    let state = AppState::new(store.clone(), settings)
        .await
        .map_err(|e| e.to_string())?;
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
    print_banner(&state, addr, &setup_code);
    let shutdown = async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {},
            _ = term.recv() => {},
        }
    };
    ruji_web::run(listener, state, shutdown)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!("stopped; every acknowledged answer is on disk");
    Ok(())
}

fn print_banner(state: &AppState, addr: SocketAddr, setup_code: &str) {
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
    if state.has_proctor() {
        println!("  Password proktor sudah dibuat / proctor password is set.");
    } else {
        println!("  Kode penyiapan proktor / proctor setup code: {setup_code}");
    }
    if pkg.id == "RUJI-DEMO-1" {
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
