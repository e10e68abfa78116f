//! The proctor's "Paket" page: importing a signed package (upload with a progress bar, or from a
//! USB stick), entering a session's release code, and the trusted issuers; plus the asset route
//! that serves the items' pictures and sound with long-lived caching.
//!
//! Import is atomic: the package is verified completely (zip limits, signature by a trusted
//! issuer, every entry's hash, participants and sessions) before anything is written; then the
//! sealed file is stored under its hash in `<data>/packages/`, and the store switches to it in
//! its own transactions. Release opens the session's tests with the code, writes their assets to
//! `<data>/assets/` and installs the items; a wrong code changes nothing.

use std::collections::BTreeMap;
use std::path::{Path as FsPath, PathBuf};

use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use ruji_package::{self as pkgfile, PackageFileError};
use serde::{Deserialize, Serialize};

use crate::auth;
use crate::error::{render, WebError};
use crate::i18n::Tr;
use crate::proctor::Proctor;
use crate::AppState;

/// Largest package accepted by upload.
pub const MAX_PACKAGE_BYTES: usize = 256 * 1024 * 1024;
use ruji_store::tables::{KEY_PACKAGE_SOURCE, KEY_TRUSTED_ISSUERS as KEY_TRUSTED};

/// Where the installed package came from and what of it is released.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PackageSource {
    /// File name under `<data>/packages/`.
    pub file: String,
    /// Package id (to detect a store that switched without its file).
    pub id: String,
    /// Released tests: test id -> content key (hex).
    pub released: BTreeMap<String, String>,
    /// Released sessions.
    pub sessions: Vec<String>,
    /// When the file was imported (system clock, seconds since 1970).
    pub imported_at: u64,
    /// When each session was released (system clock, seconds since 1970).
    pub released_at: BTreeMap<String, u64>,
    /// Issuer name and key as in the manifest.
    pub issuer: String,
    /// Issuer public key.
    pub issuer_key: String,
    /// Size of the package file in bytes.
    pub bytes: u64,
}

/// A trusted issuer key added on the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrustedIssuer {
    /// Who it is (as typed by the proctor).
    pub label: String,
    /// `ruji-pk:...`.
    pub key: String,
}

/// Why an import or release failed: an i18n key and the detail.
#[derive(Debug)]
pub struct Failure {
    /// i18n key of the headline.
    pub code: &'static str,
    /// Detail (English: file names, keys, which check).
    pub detail: String,
}

impl Failure {
    fn new(code: &'static str, detail: impl Into<String>) -> Failure {
        Failure {
            code,
            detail: detail.into(),
        }
    }
}

impl From<PackageFileError> for Failure {
    fn from(e: PackageFileError) -> Failure {
        let code = match &e {
            PackageFileError::Zip(_) => "pkg_err_zip",
            PackageFileError::Damaged(_) => "pkg_err_damaged",
            PackageFileError::Version(_) => "pkg_err_version",
            PackageFileError::Tampered(_) => "pkg_err_tampered",
            PackageFileError::Untrusted { .. } => "pkg_err_untrusted",
            PackageFileError::WrongCode(_) => "pkg_err_wrong_code",
            PackageFileError::NoSession(_) => "pkg_err_no_session",
            PackageFileError::Invalid(_) => "pkg_err_invalid",
        };
        Failure::new(code, e.to_string())
    }
}

fn storage(e: impl std::fmt::Display) -> Failure {
    Failure::new("pkg_err_storage", e.to_string())
}

impl AppState {
    fn data_dir(&self) -> Result<&PathBuf, Failure> {
        self.settings.data_dir.as_ref().ok_or_else(|| {
            Failure::new(
                "pkg_err_storage",
                "this server runs without a data directory",
            )
        })
    }

    /// Every issuer key the board trusts: ruji.toml's and the ones added on the page.
    pub fn trusted_issuers(&self) -> Vec<String> {
        let mut keys = self.settings.trusted_issuers.clone();
        keys.extend(self.added_issuers().into_iter().map(|t| t.key));
        keys
    }

    /// The issuer keys added on the page.
    fn added_issuers(&self) -> Vec<TrustedIssuer> {
        self.store
            .meta(KEY_TRUSTED)
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// The current package's source record.
    pub fn package_source(&self) -> Option<PackageSource> {
        self.store.meta(KEY_PACKAGE_SOURCE).ok().flatten()
    }

    /// Imports a package file: verifies it completely, then stores it and installs its public
    /// part (participants, sessions, sealed tests). Returns the package id.
    pub async fn import_package_file(
        &self,
        bytes: Vec<u8>,
        actor: &str,
    ) -> Result<String, Failure> {
        let _one_at_a_time = self.package_changes.lock().await;
        let dir = self.data_dir()?.clone();
        let trusted = self.trusted_issuers();
        let (sealed, bytes) = tokio::task::spawn_blocking(move || {
            pkgfile::verify(&bytes, &trusted).map(|s| (s, bytes))
        })
        .await
        .map_err(storage)??;
        let current = self.store.package();
        let demo = current.id == ruji_core::demo::ID || current.id.is_empty();
        // Never swap a real exam under an open session: participants are working on it. (The
        // demo is a rehearsal: a real package may replace it at any time.)
        if let Some((open, _)) = self
            .store
            .sessions()
            .map_err(storage)?
            .into_iter()
            .find(|(_, st)| st.open)
            .filter(|_| !demo)
        {
            return Err(Failure::new(
                "pkg_err_session_open",
                format!("session {} ({}) is open", open.id, open.name),
            ));
        }
        if !demo && current.id != sealed.manifest.id {
            let attempts: Vec<(String, ruji_core::attempt::Attempt)> = self
                .store
                .reader()
                .and_then(|r| r.scan(ruji_store::tables::Table::Attempts, ""))
                .map_err(storage)?;
            if !attempts.is_empty() {
                return Err(Failure::new(
                    "pkg_err_replace",
                    format!("{} has {} attempts", current.id, attempts.len()),
                ));
            }
        }
        // Same package again: keep what was released; another one starts sealed. A new packing
        // under the same id has new keys: the old ones do not open it, and it starts sealed too.
        let mut previous = self
            .package_source()
            .filter(|s| s.id == sealed.manifest.id)
            .unwrap_or_default();
        let (contents, assets) = match sealed.open_tests(&previous.released) {
            Ok(opened) => opened,
            Err(_) => {
                previous = PackageSource::default();
                sealed.open_tests(&previous.released)?
            }
        };
        let hash = ruji_package::assets::name_hash(&bytes);
        let file = format!("{hash}.{}", pkgfile::EXTENSION);
        let path = dir.join("packages").join(&file);
        let size = bytes.len() as u64;
        tokio::task::spawn_blocking(move || ruji_sys::write_durable(&path, &bytes, 0o644))
            .await
            .map_err(storage)?
            .map_err(storage)?;
        let source = PackageSource {
            file,
            id: sealed.manifest.id.clone(),
            released: previous.released,
            sessions: previous.sessions,
            imported_at: ruji_sys::unix_secs(),
            released_at: previous.released_at,
            issuer: sealed.manifest.issuer.clone(),
            issuer_key: sealed.manifest.issuer_key.clone(),
            bytes: size,
        };
        write_assets(&dir, &assets).await?;
        let package = sealed.package(&contents)?;
        self.store
            .set_meta(
                KEY_PACKAGE_SOURCE,
                source,
                Some((actor_static(actor), "package_source_set")),
            )
            .await
            .map_err(storage)?;
        self.install_package(package).await.map_err(storage)?;
        self.store
            .audit_event(
                actor_static(actor),
                "package_imported",
                format!(
                    "{} ({}) by {}: {} tests sealed, {} participants",
                    sealed.manifest.id,
                    sealed.manifest.title,
                    sealed.manifest.issuer,
                    sealed.manifest.tests.len(),
                    sealed.participants.len()
                ),
            )
            .await
            .map_err(storage)?;
        Ok(sealed.manifest.id)
    }

    /// The installed package's file, verified again (it is on the card, which may fail), and
    /// its source record.
    async fn installed(&self) -> Result<(pkgfile::Sealed, PackageSource), Failure> {
        let dir = self.data_dir()?.clone();
        let source = self
            .package_source()
            .ok_or_else(|| Failure::new("pkg_err_none", "no imported package"))?;
        if source.id != self.store.package().id {
            return Err(Failure::new(
                "pkg_err_none",
                "the installed package has no file: import it again",
            ));
        }
        let bytes = tokio::fs::read(dir.join("packages").join(&source.file))
            .await
            .map_err(storage)?;
        let trusted = self.trusted_issuers();
        let sealed = tokio::task::spawn_blocking(move || pkgfile::verify(&bytes, &trusted))
            .await
            .map_err(storage)??;
        Ok((sealed, source))
    }

    /// Opens a session's tests with its release code and installs their items.
    pub async fn release_session(
        &self,
        session: &str,
        code: &str,
        actor: &str,
    ) -> Result<(), Failure> {
        let secret = ruji_package::release::decode(code)
            .map_err(|e| Failure::new("pkg_err_code_typo", e.to_string()))?;
        let _one_at_a_time = self.package_changes.lock().await;
        let (sealed, source) = self.installed().await?;
        self.release_with(sealed, source, session, &secret, "code", actor)
            .await
    }

    /// Asks the central server (ruji.toml `[central]`) for a session's release code and opens
    /// the session with it, exactly as if it had been typed.
    pub async fn release_from_central(&self, session: &str, actor: &str) -> Result<(), Failure> {
        let client = match &self.settings.central {
            None => return Err(Failure::new("pkg_err_central_off", "")),
            Some(Err(e)) => return Err(Failure::new("pkg_err_central_off", e.clone())),
            Some(Ok(c)) => c.clone(),
        };
        // Held while the server is asked too (at most 25 s): the record read here is the one
        // written back.
        let _one_at_a_time = self.package_changes.lock().await;
        let (sealed, source) = self.installed().await?;
        if sealed.manifest.sessions.iter().all(|s| s.id != session) {
            return Err(Failure::new("pkg_err_no_session", session.to_string()));
        }
        let code = client
            .release_code(&sealed.manifest.id, &sealed.manifest.nonce, session)
            .await
            .map_err(|e| central_failure(e, client.url()))?;
        let secret = ruji_package::release::decode(&code)
            .map_err(|e| Failure::new("pkg_err_central_other", e.to_string()))?;
        self.release_with(sealed, source, session, &secret, "central", actor)
            .await
    }

    async fn release_with(
        &self,
        sealed: pkgfile::Sealed,
        mut source: PackageSource,
        session: &str,
        secret: &ruji_package::release::Secret,
        via: &str,
        actor: &str,
    ) -> Result<(), Failure> {
        let dir = self.data_dir()?.clone();
        let keys = sealed.session_keys(session, secret)?;
        source.released.extend(keys);
        if !source.sessions.iter().any(|s| s == session) {
            source.sessions.push(session.to_string());
        }
        source
            .released_at
            .insert(session.to_string(), ruji_sys::unix_secs());
        let (contents, assets) = sealed.open_tests(&source.released)?;
        let package = sealed.package(&contents)?;
        package.validate().map_err(|errs| {
            Failure::new(
                "pkg_err_invalid",
                errs.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })?;
        write_assets(&dir, &assets).await?;
        self.store
            .set_meta(
                KEY_PACKAGE_SOURCE,
                source,
                Some((actor_static(actor), "session_released")),
            )
            .await
            .map_err(storage)?;
        // Participants are unchanged: no new password hashes.
        self.store
            .install_package(package, vec![])
            .await
            .map_err(storage)?;
        self.store
            .audit_event(
                actor_static(actor),
                "session_released",
                format!("{session} ({via})"),
            )
            .await
            .map_err(storage)?;
        Ok(())
    }
}

/// Words a central server's refusal for the proctor: what happened and what to do.
fn central_failure(e: ruji_sync::CentralError, url: &str) -> Failure {
    use ruji_sync::{self as proto, CentralError};
    let code = match &e {
        CentralError::Unreachable(_) => "pkg_err_central_unreachable",
        CentralError::Refused(r) if r.error == proto::ERR_BUSY => "pkg_err_central_unreachable",
        CentralError::Certificate(_) => "pkg_err_central_cert",
        CentralError::Protocol(_) => "pkg_err_central_other",
        CentralError::Refused(r) => match r.error.as_str() {
            proto::ERR_TOO_EARLY => "pkg_err_central_early",
            proto::ERR_DEVICE_UNKNOWN => "pkg_err_central_device",
            proto::ERR_PACKAGE_CHANGED => "pkg_err_central_changed",
            proto::ERR_UNKNOWN_PACKAGE | proto::ERR_UNKNOWN_SESSION => "pkg_err_central_unknown",
            proto::ERR_UNSCHEDULED => "pkg_err_central_unscheduled",
            _ => "pkg_err_central_other",
        },
    };
    let detail = match &e {
        CentralError::Refused(r) if r.error == proto::ERR_TOO_EARLY => {
            r.not_before.clone().unwrap_or_else(|| r.message.clone())
        }
        _ => format!("{url}: {e}"),
    };
    Failure::new(code, detail)
}

fn actor_static(actor: &str) -> &'static str {
    if actor == "system" {
        "system"
    } else {
        "proctor"
    }
}

async fn write_assets(dir: &FsPath, assets: &ruji_package::assets::Assets) -> Result<(), Failure> {
    let dir = dir.join("assets");
    let list: Vec<(String, Vec<u8>)> = assets.iter().map(|(n, b)| (n.clone(), b.clone())).collect();
    tokio::task::spawn_blocking(move || {
        for (name, bytes) in list {
            let path = dir.join(&name);
            if path.exists() {
                continue;
            }
            ruji_sys::write_durable(&path, &bytes, 0o644)?;
        }
        Ok::<(), std::io::Error>(())
    })
    .await
    .map_err(storage)?
    .map_err(storage)
}

/// Routes under `/proctor/package`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(page))
        .route(
            "/upload",
            post(upload).layer(DefaultBodyLimit::max(MAX_PACKAGE_BYTES + 64 * 1024)),
        )
        .route("/usb", post(from_usb))
        .route("/release", post(release))
        .route("/central", post(from_central))
        .route("/trust", post(trust))
        .route("/report", get(report_page))
        .route("/report.json", get(report_json))
}

/// `2026-11-23 10:15 UTC` for seconds since 1970 (the page shows local time with JS).
fn utc(ts: u64) -> String {
    if ts == 0 {
        return String::new();
    }
    let (y, m, d) = ruji_core::package::civil_from_days((ts / 86_400) as i64);
    let s = ts % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        s / 3600,
        s % 3600 / 60
    )
}

/// The sync report (berita acara sinkronisasi) data: what was imported, when, from whom, and
/// what it holds; with the release state of every session.
pub fn sync_report(state: &AppState) -> serde_json::Value {
    let pkg = state.store.package();
    let source = state.package_source().filter(|s| s.id == pkg.id);
    let reserves = pkg.participants.iter().filter(|p| p.reserve).count();
    let mut classes: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &pkg.participants {
        *classes.entry(p.class.as_str()).or_default() += 1;
    }
    let src = source.clone().unwrap_or_default();
    serde_json::json!({
        "server": format!("Ruji {}", env!("CARGO_PKG_VERSION")),
        "board": state.settings.device.as_ref().map(|(id, key)| serde_json::json!({"id": id, "key": key})),
        "package": {
            "id": pkg.id,
            "title": pkg.title,
            "issuer": pkg.issuer,
            "issuer_key": src.issuer_key,
            "file": src.file,
            "bytes": src.bytes,
            "imported_at": src.imported_at,
            "imported": source.is_some(),
        },
        "tests": pkg.tests.iter().map(|t| serde_json::json!({
            "id": t.id, "name": t.name, "items": t.items.len(),
            "duration_minutes": t.duration_minutes, "sealed": t.sealed,
        })).collect::<Vec<_>>(),
        "participants": {
            "main": pkg.participants.len() - reserves,
            "reserve": reserves,
            "classes": classes,
        },
        "sessions": pkg.sessions.iter().map(|s| serde_json::json!({
            "id": s.id, "name": s.name, "day": s.day, "start": s.start,
            "participants": s.participants.len(),
            "tests": s.tests,
            "released_at": src.released_at.get(&s.id),
        })).collect::<Vec<_>>(),
    })
}

struct ReportRow {
    cells: Vec<String>,
}

#[derive(Template)]
#[template(path = "proctor_sync_report.html")]
struct ReportPage {
    tr: Tr,
    package: Vec<(&'static str, String, u64)>,
    tests: Vec<ReportRow>,
    sessions: Vec<ReportRow>,
    main: usize,
    reserve: usize,
    classes: String,
}

async fn report_json(State(state): State<AppState>, _p: Proctor) -> axum::Json<serde_json::Value> {
    axum::Json(sync_report(&state))
}

async fn report_page(State(state): State<AppState>, p: Proctor) -> Response {
    let tr = Tr { lang: p.lang };
    let r = sync_report(&state);
    let s = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        v => v.to_string(),
    };
    let pk = &r["package"];
    let imported_at = pk["imported_at"].as_u64().unwrap_or(0);
    let page = ReportPage {
        tr,
        package: vec![
            ("pkg_r_id", s(&pk["id"]), 0),
            ("pkg_r_title", s(&pk["title"]), 0),
            ("pkg_r_issuer", s(&pk["issuer"]), 0),
            ("pkg_r_key", s(&pk["issuer_key"]), 0),
            (
                "pkg_r_file",
                format!(
                    "{} ({} KB)",
                    s(&pk["file"]),
                    pk["bytes"].as_u64().unwrap_or(0) / 1024
                ),
                0,
            ),
            ("pkg_r_imported_at", utc(imported_at), imported_at),
            ("pkg_r_server", s(&r["server"]), 0),
            (
                "pkg_r_board",
                match &r["board"] {
                    serde_json::Value::Null => String::new(),
                    b => format!("{} ({})", s(&b["id"]), s(&b["key"])),
                },
                0,
            ),
        ],
        tests: r["tests"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| ReportRow {
                cells: vec![
                    format!("{} ({})", s(&t["name"]), s(&t["id"])),
                    if t["sealed"].as_bool() == Some(true) {
                        tr.s("pkg_sealed").to_string()
                    } else {
                        s(&t["items"])
                    },
                    s(&t["duration_minutes"]),
                ],
            })
            .collect(),
        sessions: r["sessions"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|x| ReportRow {
                cells: vec![
                    s(&x["name"]),
                    format!("{} {}", s(&x["day"]), s(&x["start"])),
                    s(&x["participants"]),
                    x["released_at"]
                        .as_u64()
                        .map(utc)
                        .unwrap_or_else(|| tr.s("pkg_sealed").to_string()),
                ],
            })
            .collect(),
        main: r["participants"]["main"].as_u64().unwrap_or(0) as usize,
        reserve: r["participants"]["reserve"].as_u64().unwrap_or(0) as usize,
        classes: r["participants"]["classes"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| format!("{k}: {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default(),
    };
    render(&page)
}

/// `GET /a/{name}`: an item's picture or sound, cached for a year (names are content hashes).
pub async fn asset(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    let ok_name = name.len() < 48
        && name.split_once('.').is_some_and(|(h, e)| {
            h.len() == 32
                && h.bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
                && e.bytes().all(|b| b.is_ascii_alphanumeric())
        });
    let mime = ruji_package::assets::mime_of(&name);
    let (Some(dir), true, Some(mime)) = (state.settings.data_dir.as_ref(), ok_name, mime) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match tokio::fs::read(dir.join("assets").join(&name)).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, mime),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

struct TestRow {
    id: String,
    name: String,
    items: usize,
    minutes: u32,
    sealed: bool,
}

struct SessionRow {
    id: String,
    name: String,
    when: String,
    sealed: bool,
}

#[derive(Template)]
#[template(path = "proctor_package.html")]
struct PackagePage {
    tr: Tr,
    csrf: String,
    ok: Option<&'static str>,
    error: Option<(&'static str, String)>,
    id: String,
    title: String,
    issuer: String,
    imported: bool,
    participants: usize,
    tests: Vec<TestRow>,
    sessions: Vec<SessionRow>,
    usb: Vec<String>,
    trusted: Vec<TrustedIssuer>,
    max_mb: usize,
    /// The central server's address when it can be asked.
    central: Option<String>,
    /// Why the configured central server cannot be asked.
    central_problem: Option<String>,
}

#[derive(Deserialize, Default)]
struct PageQuery {
    #[serde(default)]
    ok: Option<String>,
}

/// How deep [`usb_packages`] looks below each configured folder: a stick's mount point
/// (`/media/sda1`), its top level, and one folder on it (`/media/sda1/UJIAN/x.rujipkg`).
const USB_DEPTH: u32 = 3;
/// Most directory entries [`usb_packages`] looks at in all (a stick full of files must not make
/// the page slow).
const USB_MAX_ENTRIES: usize = 10_000;

/// `*.rujipkg` files on mounted USB sticks: regular files (not symbolic links) up to
/// [`USB_DEPTH`] levels below the configured folders (the image's `ruji-usb` mounts each stick
/// read-only at `/media/<device>`), sorted.
fn usb_packages(dirs: &[PathBuf]) -> Vec<String> {
    fn walk(dir: &FsPath, depth: u32, seen: &mut usize, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            *seen += 1;
            if *seen > USB_MAX_ENTRIES {
                return;
            }
            let Ok(kind) = e.file_type() else {
                continue;
            };
            let p = e.path();
            if kind.is_dir() && depth > 1 {
                walk(&p, depth - 1, seen, out);
            } else if kind.is_file() && p.extension().is_some_and(|x| x == pkgfile::EXTENSION) {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    let mut seen = 0;
    for d in dirs {
        walk(d, USB_DEPTH, &mut seen, &mut out);
    }
    let mut names: Vec<String> = out
        .into_iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn build_page(
    state: &AppState,
    p: &Proctor,
    ok: Option<&'static str>,
    error: Option<(&'static str, String)>,
) -> PackagePage {
    let tr = Tr { lang: p.lang };
    let pkg = state.store.package();
    let source = state.package_source().filter(|s| s.id == pkg.id);
    let trusted_added = state.added_issuers();
    let mut trusted: Vec<TrustedIssuer> = state
        .settings
        .trusted_issuers
        .iter()
        .map(|k| TrustedIssuer {
            label: "ruji.toml".into(),
            key: k.clone(),
        })
        .collect();
    trusted.extend(trusted_added);
    PackagePage {
        tr,
        csrf: p.session.csrf.clone(),
        ok,
        error,
        id: pkg.id.clone(),
        title: pkg.title.clone(),
        issuer: pkg.issuer.clone(),
        imported: source.is_some(),
        participants: pkg.participants.len(),
        tests: pkg
            .tests
            .iter()
            .map(|t| TestRow {
                id: t.id.clone(),
                name: t.name.clone(),
                items: t.items.len(),
                minutes: t.duration_minutes,
                sealed: t.sealed,
            })
            .collect(),
        sessions: pkg
            .sessions
            .iter()
            .map(|s| SessionRow {
                id: s.id.clone(),
                name: s.name.clone(),
                when: format!("{} {}", s.day, s.start).trim().to_string(),
                sealed: s.tests.iter().filter_map(|t| pkg.test(t)).any(|t| t.sealed),
            })
            .collect(),
        usb: usb_packages(&state.settings.usb_dirs),
        trusted,
        max_mb: MAX_PACKAGE_BYTES >> 20,
        central: match &state.settings.central {
            Some(Ok(c)) => Some(c.url().to_string()),
            _ => None,
        },
        central_problem: match &state.settings.central {
            Some(Err(e)) => Some(e.clone()),
            _ => None,
        },
    }
}

async fn page(State(state): State<AppState>, p: Proctor, Query(q): Query<PageQuery>) -> Response {
    let tr = Tr { lang: p.lang };
    let ok = match q.ok.as_deref() {
        Some("imported") => Some(tr.s("pkg_imported")),
        Some("released") => Some(tr.s("pkg_released")),
        Some("central") => Some(tr.s("pkg_released_central")),
        Some("trusted") => Some(tr.s("pkg_trusted")),
        Some(_) => Some(tr.s("done_ok")),
        None => None,
    };
    render(&build_page(&state, &p, ok, None))
}

fn failed(state: &AppState, p: &Proctor, f: Failure) -> Response {
    tracing::warn!(code = f.code, detail = %f.detail, "package action refused");
    let tr = Tr { lang: p.lang };
    let page = build_page(state, p, None, Some((tr.s(f.code), f.detail)));
    (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response()
}

fn csrf_refused(p: &Proctor) -> Response {
    crate::error::html_error(StatusCode::FORBIDDEN, "csrf", p.lang, "/proctor/package")
}

/// Runs a package change (import, release) in its own task: hashing a large school's passwords
/// or waiting for the central server can outlast the request's time limit on a small board, and
/// a dropped request must not cut the change in half. The page then shows the outcome on its
/// next load.
async fn detached<T: Send + 'static>(
    work: impl std::future::Future<Output = Result<T, Failure>> + Send + 'static,
) -> Result<T, Failure> {
    tokio::spawn(work).await.map_err(storage)?
}

async fn import_detached(state: &AppState, bytes: Vec<u8>) -> Result<String, Failure> {
    let s = state.clone();
    detached(async move { s.import_package_file(bytes, "proctor").await }).await
}

/// `POST /proctor/package/upload` (multipart: `csrf`, `package`).
async fn upload(State(state): State<AppState>, p: Proctor, mut mp: Multipart) -> Response {
    let mut csrf = String::new();
    let mut bytes: Option<Vec<u8>> = None;
    loop {
        match mp.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_string();
                match field.bytes().await {
                    Ok(b) if name == "csrf" => csrf = String::from_utf8_lossy(&b).into_owned(),
                    Ok(b) if name == "package" => bytes = Some(b.to_vec()),
                    Ok(_) => {}
                    Err(e) => {
                        return failed(&state, &p, Failure::new("pkg_err_upload", e.to_string()))
                    }
                }
            }
            Ok(None) => break,
            Err(e) => return failed(&state, &p, Failure::new("pkg_err_upload", e.to_string())),
        }
    }
    if !auth::csrf_ok(&p.session, &csrf) {
        return csrf_refused(&p);
    }
    match bytes {
        Some(b) if !b.is_empty() => match import_detached(&state, b).await {
            Ok(_) => Redirect::to("/proctor/package?ok=imported").into_response(),
            Err(f) => failed(&state, &p, f),
        },
        _ => failed(&state, &p, Failure::new("pkg_err_no_file", "")),
    }
}

#[derive(Deserialize)]
struct UsbForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    path: String,
}

/// `POST /proctor/package/usb`: imports a package listed from a USB stick.
async fn from_usb(State(state): State<AppState>, p: Proctor, Form(f): Form<UsbForm>) -> Response {
    if !auth::csrf_ok(&p.session, &f.csrf) {
        return csrf_refused(&p);
    }
    // Only a file the page listed: never an arbitrary path.
    if !usb_packages(&state.settings.usb_dirs).contains(&f.path) {
        return failed(&state, &p, Failure::new("pkg_err_no_file", f.path));
    }
    let bytes = match tokio::fs::read(&f.path).await {
        Ok(b) if b.len() <= MAX_PACKAGE_BYTES => b,
        Ok(_) => return failed(&state, &p, Failure::new("pkg_err_zip", "too large")),
        Err(e) => return failed(&state, &p, Failure::new("pkg_err_upload", e.to_string())),
    };
    match import_detached(&state, bytes).await {
        Ok(_) => Redirect::to("/proctor/package?ok=imported").into_response(),
        Err(e) => failed(&state, &p, e),
    }
}

#[derive(Deserialize)]
struct ReleaseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    session: String,
    #[serde(default)]
    code: String,
}

/// `POST /proctor/package/release`.
async fn release(
    State(state): State<AppState>,
    p: Proctor,
    Form(f): Form<ReleaseForm>,
) -> Response {
    if !auth::csrf_ok(&p.session, &f.csrf) {
        return csrf_refused(&p);
    }
    let s = state.clone();
    match detached(async move { s.release_session(&f.session, &f.code, "proctor").await }).await {
        Ok(()) => Redirect::to("/proctor/package?ok=released").into_response(),
        Err(e) => failed(&state, &p, e),
    }
}

#[derive(Deserialize)]
struct CentralForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    session: String,
}

/// `POST /proctor/package/central`: fetches the session's release code from the central
/// server and releases the session with it.
async fn from_central(
    State(state): State<AppState>,
    p: Proctor,
    Form(f): Form<CentralForm>,
) -> Response {
    if !auth::csrf_ok(&p.session, &f.csrf) {
        return csrf_refused(&p);
    }
    let s = state.clone();
    match detached(async move { s.release_from_central(&f.session, "proctor").await }).await {
        Ok(()) => Redirect::to("/proctor/package?ok=central").into_response(),
        Err(e) => failed(&state, &p, e),
    }
}

#[derive(Deserialize)]
struct TrustForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    key: String,
}

/// `POST /proctor/package/trust`: adds an issuer key.
async fn trust(State(state): State<AppState>, p: Proctor, Form(f): Form<TrustForm>) -> Response {
    if !auth::csrf_ok(&p.session, &f.csrf) {
        return csrf_refused(&p);
    }
    let key = f.key.trim().to_string();
    if let Err(e) = pkgfile::parse_public(&key) {
        return failed(&state, &p, Failure::new("pkg_err_key", e));
    }
    let mut list = state.added_issuers();
    if !list.iter().any(|t| t.key == key) {
        list.push(TrustedIssuer {
            label: f.label.trim().chars().take(80).collect(),
            key,
        });
    }
    match state
        .store
        .set_meta(KEY_TRUSTED, list, Some(("proctor", "issuer_trusted")))
        .await
    {
        Ok(_) => Redirect::to("/proctor/package?ok=trusted").into_response(),
        Err(e) => WebError::storage(&e, p.lang).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usb_packages_on_a_stick_top_level_and_one_folder_deep() {
        let media = tempfile::tempdir().unwrap();
        let stick = media.path().join("sda1");
        std::fs::create_dir_all(stick.join("UJIAN/lama/arsip")).unwrap();
        for f in [
            "paket.rujipkg",
            "catatan.txt",
            "UJIAN/pas.rujipkg",
            "UJIAN/lama/terlalu-dalam.rujipkg",
            "UJIAN/lama/arsip/juga.rujipkg",
        ] {
            std::fs::write(stick.join(f), b"x").unwrap();
        }
        // A symbolic link (possible on an ext4 stick) is never listed: it could point anywhere.
        std::os::unix::fs::symlink("/etc/passwd", stick.join("tautan.rujipkg")).unwrap();
        std::fs::create_dir(stick.join("folder.rujipkg")).unwrap();
        let found = usb_packages(&[media.path().to_path_buf(), media.path().join("tidak-ada")]);
        let mut want: Vec<String> = ["paket.rujipkg", "UJIAN/pas.rujipkg"]
            .iter()
            .map(|f| stick.join(f).to_string_lossy().into_owned())
            .collect();
        want.sort();
        assert_eq!(found, want);
    }
}
