//! `ruji central`: runs the reference central server of ruji-central. This only reads the
//! files and the flags, and serves (ruji-http, TLS or plain) until SIGTERM or Ctrl-C, then lets
//! the requests in flight finish.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use ruji_central::{Central, Options};

/// `ruji central`.
#[derive(clap::Args)]
pub struct CentralArgs {
    /// The issuer's secret key (from `ruji keygen`): the packages must be signed with it.
    #[arg(long)]
    pub key: PathBuf,
    /// The folder of the packages (*.rujipkg) handed out to schools.
    #[arg(long)]
    pub packages: PathBuf,
    /// Address and port to listen on (default 0.0.0.0:8443; with --plain-http 127.0.0.1:8080,
    /// for a proxy on the same machine).
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// The server's certificate chain (PEM).
    #[arg(long, required_unless_present = "plain_http")]
    pub tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM).
    #[arg(long, required_unless_present = "plain_http")]
    pub tls_key: Option<PathBuf>,
    /// Serve plain HTTP, for a reverse proxy in front that does TLS (never directly on the
    /// internet: boards refuse http:// except to themselves).
    #[arg(long, conflicts_with_all = ["tls_cert", "tls_key"])]
    pub plain_http: bool,
    /// Registered boards: one `ruji-pk:...` key per line, then an optional label (the board's
    /// key is on its sync report). Only these boards get codes.
    #[arg(long, required_unless_present = "any_board")]
    pub devices: Option<PathBuf>,
    /// Answer any board that signs its request (each is logged), instead of a --devices list:
    /// whoever holds a package file can then read its items from the release time on.
    #[arg(long, conflicts_with = "devices")]
    pub any_board: bool,
    /// The time zone the sessions' day and start are written in: WIB, WITA, WIT or +07:00.
    #[arg(long, default_value = "WIB")]
    pub utc_offset: String,
    /// How many minutes before a session's start its code is given (1080 = 18 hours: the
    /// afternoon before, when the proctor prepares the next day).
    #[arg(long, default_value_t = 1080)]
    pub lead_minutes: u32,
    /// Collect result bundles from the boards here (each stored once, under
    /// PACKAGE/SESSION/, with the receipt the board got); also the page /results to upload one
    /// by hand.
    #[arg(long)]
    pub results: Option<PathBuf>,
}

fn read(p: &PathBuf) -> Result<Vec<u8>, String> {
    std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))
}

/// Serves until SIGTERM or Ctrl-C.
pub async fn run(a: CentralArgs) -> Result<(), String> {
    let key = crate::packages::read_key(&a.key)?;
    let devices = match &a.devices {
        None => None,
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
            Some(ruji_central::parse_devices(&text).map_err(|e| format!("{}: {e}", p.display()))?)
        }
    };
    let opts = Options {
        key,
        devices,
        utc_offset_minutes: ruji_central::parse_utc_offset(&a.utc_offset)?,
        lead_minutes: a.lead_minutes,
    };
    let registered = opts.devices.as_ref().map(Vec::len);
    let mut central = Central::load_dir(opts, &a.packages)?;
    if let Some(dir) = &a.results {
        central = central.with_results(dir)?;
    }
    for (id, title, sessions) in central.packages() {
        tracing::info!(%id, %title, sessions, "package served");
    }
    match registered {
        Some(n) => tracing::info!(boards = n, "only registered boards are answered"),
        None => tracing::warn!("--any-board: any board that signs its request is answered"),
    }
    let app = ruji_central::router(Arc::new(central));
    let listen = a.listen.unwrap_or_else(|| {
        if a.plain_http {
            SocketAddr::from(([127, 0, 0, 1], 8080))
        } else {
            SocketAddr::from(([0, 0, 0, 0], 8443))
        }
    });
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let shutdown = crate::signal();
    let tls = match (&a.tls_cert, &a.tls_key) {
        (Some(c), Some(k)) => {
            let tls = ruji_central::tls_config(&read(c)?, &read(k)?)?;
            tracing::info!(url = %format!("https://{addr}/api/v1/"), "ruji central listening");
            Some(tls)
        }
        _ => {
            tracing::info!(url = %format!("http://{addr}/api/v1/"), "ruji central listening (plain HTTP, for a TLS proxy)");
            None
        }
    };
    // On SIGTERM or Ctrl-C: stop accepting, finish the requests in flight, then return.
    ruji_http::serve(listener, app, tls, ruji_http::Limits::default(), shutdown)
        .await
        .map_err(|e| format!("serving on {addr}: {e}"))?;
    Ok(())
}
