//! Exam packages on the board: importing a signed package (uploaded, or from a USB stick),
//! releasing a session with its code (typed, or fetched from the central server), the trusted
//! issuers, the sync report (berita acara sinkronisasi), and the items' pictures and sound.
//!
//! An import is verified completely (zip limits, signature by a trusted issuer, every entry's
//! hash, participants and sessions) before anything is written; then the sealed file is stored
//! under its hash in `<data>/packages/` and the store switches to it in one transaction
//! ([`ruji_store::records::Install`]). A release opens the session's tests with the code,
//! writes their assets to `<data>/assets/` and installs the items, again in one transaction;
//! a wrong code changes nothing. Verification, decryption and file writes run on the blocking
//! pool, never on the async workers.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ruji_package::{self as pkgfile, Sealed};
use ruji_store::records::{Install, Release};
use ruji_store::tables::{PackageSource, TrustedIssuer};
use ruji_store::Actor;
use serde::Serialize;

use crate::error::{PackageError, PackageErrorKind as K};
use crate::passwords::Priority;
use crate::{Result, Room, RoomError};

/// Largest package accepted (upload or stick).
pub const MAX_PACKAGE_BYTES: usize = 256 * 1024 * 1024;

/// How deep [`usb_packages`] looks below each configured folder: a stick's mount point
/// (`/media/sda1`), its top level, and one folder on it (`/media/sda1/UJIAN/x.rujipkg`).
const USB_DEPTH: u32 = 3;
/// Most directory entries [`usb_packages`] looks at in all (a stick full of files must not make
/// the page slow).
const USB_MAX_ENTRIES: usize = 10_000;

/// A trusted issuer key and where the board got it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trusted {
    /// `ruji.toml` for the school's settings, else the label the proctor typed.
    pub label: String,
    /// `ruji-pk:...`.
    pub key: String,
}

/// The sync report (berita acara sinkronisasi): what was imported, when, from whom, what it
/// holds, and the release of every session. Serialised as `/proctor/package/report.json`.
#[derive(Debug, Clone, Serialize)]
pub struct SyncReport {
    /// `Ruji <version>`.
    pub server: String,
    /// The board's identity.
    pub board: Option<BoardId>,
    /// The package.
    pub package: ReportPackage,
    /// Its tests.
    pub tests: Vec<ReportTest>,
    /// Its participants, counted.
    pub participants: ReportParticipants,
    /// Its sessions.
    pub sessions: Vec<ReportSession>,
}

/// The board's identity in the report.
#[derive(Debug, Clone, Serialize)]
pub struct BoardId {
    /// Short id from the public key ([`ruji_package::device::short_id`]): two groups of four
    /// letters and digits, e.g. `B1G6-AFWB`.
    pub id: String,
    /// Public key.
    pub key: String,
}

/// The package in the report.
#[derive(Debug, Clone, Serialize)]
pub struct ReportPackage {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Issuer's name.
    pub issuer: String,
    /// Issuer's public key.
    pub issuer_key: String,
    /// File name under `<data>/packages/`.
    pub file: String,
    /// File size.
    pub bytes: u64,
    /// When it was imported (Unix seconds; 0 when not imported).
    pub imported_at: u64,
    /// Imported from a file (the demo is not).
    pub imported: bool,
}

/// A test in the report.
#[derive(Debug, Clone, Serialize)]
pub struct ReportTest {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Number of items (0 while sealed).
    pub items: usize,
    /// Working time.
    pub duration_minutes: u32,
    /// Still sealed.
    pub sealed: bool,
}

/// The participants in the report.
#[derive(Debug, Clone, Serialize)]
pub struct ReportParticipants {
    /// Main participants.
    pub main: usize,
    /// Reserves.
    pub reserve: usize,
    /// Per class, how many.
    pub classes: BTreeMap<String, usize>,
}

/// A session in the report.
#[derive(Debug, Clone, Serialize)]
pub struct ReportSession {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Day, `YYYY-MM-DD`.
    pub day: String,
    /// Start, `HH:MM`.
    pub start: String,
    /// How many participants.
    pub participants: usize,
    /// Its tests.
    pub tests: Vec<String>,
    /// When it was released (Unix seconds), if it was.
    pub released_at: Option<u64>,
}

fn storage(e: impl std::fmt::Display) -> PackageError {
    PackageError::storage(e)
}

/// Runs blocking work (verification, decryption, file writes) on the blocking pool.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> std::result::Result<T, PackageError> + Send + 'static,
) -> std::result::Result<T, PackageError> {
    tokio::task::spawn_blocking(f).await.map_err(storage)?
}

impl Room {
    fn data_dir(&self) -> std::result::Result<PathBuf, PackageError> {
        self.settings().data_dir.clone().ok_or_else(|| {
            PackageError::new(K::Storage, "this server runs without a data directory")
        })
    }

    /// Every issuer key the board trusts: ruji.toml's and the ones added on the page.
    pub fn trusted_issuers(&self) -> Vec<Trusted> {
        let mut out: Vec<Trusted> = self
            .settings()
            .trusted_issuers
            .iter()
            .map(|k| Trusted {
                label: "ruji.toml".into(),
                key: k.clone(),
            })
            .collect();
        match self.store().trusted_issuers() {
            Ok(added) => out.extend(added.into_iter().map(|t| Trusted {
                label: t.label,
                key: t.key,
            })),
            Err(e) => tracing::warn!(error = %e, "cannot read the trusted issuers"),
        }
        out
    }

    pub(crate) fn trusted_keys(&self) -> Vec<String> {
        self.trusted_issuers().into_iter().map(|t| t.key).collect()
    }

    /// Trusts another issuer key (typed on the page). Refused when it is not a Ruji key.
    pub async fn trust_issuer(&self, label: &str, key: &str) -> Result<()> {
        let key = key.trim().to_string();
        pkgfile::parse_public(&key).map_err(|e| PackageError::new(K::Key, e))?;
        let issuer = TrustedIssuer {
            label: label.trim().chars().take(80).collect(),
            key,
        };
        self.store().trust_issuer(issuer).await?;
        Ok(())
    }

    /// Where the installed package came from, when it matches the package in use.
    pub fn package_source(&self) -> Option<PackageSource> {
        let id = self.package().id.clone();
        self.store()
            .package_source()
            .ok()
            .flatten()
            .filter(|s| s.id == id)
    }

    /// The record of the last imported file, whatever is installed now.
    fn last_source(&self) -> Option<PackageSource> {
        self.store().package_source().ok().flatten()
    }

    /// Package files offered from mounted USB sticks (read on the blocking pool).
    pub async fn usb_packages(&self) -> Vec<String> {
        let dirs = self.settings().usb_dirs.clone();
        match tokio::task::spawn_blocking(move || usb_packages(&dirs)).await {
            Ok(found) => found,
            Err(e) => {
                tracing::warn!(error = %e, "cannot list the USB sticks");
                vec![]
            }
        }
    }

    /// Imports a package file from a USB stick: only a file the page listed, never another
    /// path.
    pub async fn import_from_usb(&self, path: &str, actor: Actor<'static>) -> Result<String> {
        if !self.usb_packages().await.iter().any(|p| p == path) {
            return Err(PackageError::new(K::NoFile, path).into());
        }
        let bytes = match tokio::fs::read(path).await {
            Ok(b) if b.len() <= MAX_PACKAGE_BYTES => b,
            Ok(_) => return Err(PackageError::new(K::Zip, "too large").into()),
            Err(e) => return Err(PackageError::new(K::Upload, e.to_string()).into()),
        };
        self.import_package(bytes, actor).await
    }

    /// Imports a package file: verifies it completely, then stores it and installs its public
    /// part (participants with their password hashes, sessions, sealed tests) in one
    /// transaction. Returns the package id. Runs to the end in its own task even when the
    /// caller stops waiting: hashing a large school's passwords on a small board can outlast a
    /// request's time limit, and a change cut in half is worse than a late answer.
    pub async fn import_package(&self, bytes: Vec<u8>, actor: Actor<'static>) -> Result<String> {
        let room = self.clone();
        detached(async move { room.import_now(bytes, actor).await }).await
    }

    async fn import_now(&self, bytes: Vec<u8>, actor: Actor<'static>) -> Result<String> {
        let _one_at_a_time = self.0.package_changes.lock().await;
        let dir = self.data_dir()?;
        let trusted = self.trusted_keys();
        let (sealed, bytes) =
            blocking(move || Ok((pkgfile::verify(&bytes, &trusted)?, bytes))).await?;
        let current = self.package();
        let demo = current.id == ruji_core::demo::ID || current.id.is_empty();
        // Never swap a real exam under an open session: participants are working on it. (The
        // demo is a rehearsal: a real package may replace it at any time.)
        if let Some((open, _)) = self.store().current_session()?.filter(|_| !demo) {
            return Err(PackageError::new(
                K::SessionOpen,
                format!("session {} ({}) is open", open.id, open.name),
            )
            .into());
        }
        if !demo && current.id != sealed.manifest.id {
            let attempts = self.store().attempt_count()?;
            if attempts > 0 {
                return Err(PackageError::new(
                    K::Replace,
                    format!("{} has {attempts} attempts", current.id),
                )
                .into());
            }
        }
        // Same package again: keep what was released; another one starts sealed. A new packing
        // under the same id has new keys: the old ones do not open it, and it starts sealed too.
        let previous = self
            .last_source()
            .filter(|s| s.id == sealed.manifest.id)
            .unwrap_or_default();
        let hash = ruji_package::assets::name_hash(&bytes);
        let file = format!("{hash}.{}", pkgfile::EXTENSION);
        let path = dir.join("packages").join(&file);
        let size = bytes.len() as u64;
        let (sealed, previous, package, new_file) = {
            let (dir, path) = (dir.clone(), path.clone());
            blocking(move || {
                let (previous, (contents, assets)) = match sealed.open_tests(&previous.released) {
                    Ok(opened) => (previous, opened),
                    Err(_) => {
                        let fresh = PackageSource::default();
                        let opened = sealed.open_tests(&fresh.released)?;
                        (fresh, opened)
                    }
                };
                let package = sealed.package(&contents)?;
                // Pictures first (content-addressed: shared, harmless if left), the package file
                // last, so a card that fills up leaves no package file without its record.
                write_assets(&dir, &assets)?;
                let new_file = !path.exists();
                ruji_sys::write_durable(&path, &bytes, 0o644).map_err(storage)?;
                Ok((sealed, previous, package, new_file))
            })
            .await?
        };
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
            nonce: sealed.manifest.nonce.clone(),
        };
        let note = format!(
            "by {}: {} tests sealed, {} participants",
            sealed.manifest.issuer,
            sealed.manifest.tests.len(),
            sealed.participants.len()
        );
        let installed = self.install(package, Some(source), actor, note).await;
        if installed.is_err() && new_file {
            // Nothing refers to the file: leave the card as it was.
            let _ = tokio::fs::remove_file(&path).await;
        }
        installed?;
        Ok(sealed.manifest.id)
    }

    /// Hashes every participant's password and installs `package` (one transaction). `source`
    /// is the file it came from; `None` for the demo.
    pub(crate) async fn install(
        &self,
        package: ruji_core::package::Package,
        source: Option<PackageSource>,
        actor: Actor<'static>,
        note: String,
    ) -> Result<()> {
        // A package file carries hashes only (`ruji pack`), taken as they are; plain passwords
        // are hashed here (the demo, which has no file), behind any login: an import never
        // delays a room's logins.
        let (mut hashes, mut plain) = (Vec::new(), Vec::new());
        for p in &package.participants {
            if ruji_core::package::is_password_hash(&p.password) {
                if !crate::passwords::acceptable(&p.password) {
                    return Err(PackageError::new(
                        K::Invalid,
                        format!("{}: the password hash is not one Ruji verifies", p.username),
                    )
                    .into());
                }
                hashes.push((p.username.clone(), p.password.clone()));
            } else {
                plain.push((p.username.clone(), p.password.clone()));
            }
        }
        if source.is_some() && !plain.is_empty() {
            // The file stays on the card: it must not hold the login cards' passwords (D10).
            return Err(PackageError::new(
                K::PlainPasswords,
                format!(
                    "{} participants' passwords are not hashed: a package from an older ruji pack",
                    plain.len()
                ),
            )
            .into());
        }
        hashes.extend(self.hash_all(Priority::Background, plain).await?);
        self.store()
            .install_package(Install {
                package,
                password_hashes: hashes,
                source,
                actor,
                note,
            })
            .await?;
        Ok(())
    }

    /// The installed package's file, verified again (it is on the card, which may fail), and
    /// its source record.
    async fn installed(&self) -> std::result::Result<(Sealed, PackageSource), PackageError> {
        let dir = self.data_dir()?;
        let source = self
            .last_source()
            .ok_or_else(|| PackageError::new(K::None, "no imported package"))?;
        if source.id != self.package().id {
            return Err(PackageError::new(
                K::None,
                "the installed package has no file: import it again",
            ));
        }
        let bytes = tokio::fs::read(dir.join("packages").join(&source.file))
            .await
            .map_err(storage)?;
        let trusted = self.trusted_keys();
        let sealed = blocking(move || Ok(pkgfile::verify(&bytes, &trusted)?)).await?;
        Ok((sealed, source))
    }

    /// Opens a session's tests with its release code and installs their items.
    pub async fn release_with_code(
        &self,
        session: &str,
        code: &str,
        actor: Actor<'static>,
    ) -> Result<()> {
        let secret = ruji_package::release::decode(code)
            .map_err(|e| PackageError::new(K::CodeTypo, e.to_string()))?;
        let (room, session) = (self.clone(), session.to_string());
        detached(async move {
            let _one_at_a_time = room.0.package_changes.lock().await;
            let (sealed, source) = room.installed().await?;
            room.release(sealed, source, &session, secret, "code", actor)
                .await
        })
        .await
    }

    /// Asks the central server (ruji.toml `[central]`) for a session's release code and opens
    /// the session with it, exactly as if it had been typed.
    pub async fn release_from_central(&self, session: &str, actor: Actor<'static>) -> Result<()> {
        let client = match &self.settings().central {
            None => return Err(PackageError::new(K::CentralOff, "").into()),
            Some(Err(e)) => return Err(PackageError::new(K::CentralOff, e.clone()).into()),
            Some(Ok(c)) => c.clone(),
        };
        let (room, session) = (self.clone(), session.to_string());
        detached(async move {
            // A clock not set is set from the server's time first (one more request, at most
            // 25 s, only while the clock is not set).
            room.clock_before_central().await;
            // Held while the server is asked too (at most 25 s): the record read here is the
            // one written back.
            let _one_at_a_time = room.0.package_changes.lock().await;
            let (sealed, source) = room.installed().await?;
            if sealed.manifest.sessions.iter().all(|s| s.id != session) {
                return Err(PackageError::new(K::NoSession, session.clone()).into());
            }
            let code = client
                .release_code(&sealed.manifest.id, &sealed.manifest.nonce, &session)
                .await
                .map_err(|e| central_failure(e, client.url()))?;
            let secret = ruji_package::release::decode(&code)
                .map_err(|e| PackageError::new(K::CentralOther, e.to_string()))?;
            room.release(sealed, source, &session, secret, "central", actor)
                .await
        })
        .await
    }

    async fn release(
        &self,
        sealed: Sealed,
        mut source: PackageSource,
        session: &str,
        secret: ruji_package::release::Secret,
        via: &'static str,
        actor: Actor<'static>,
    ) -> Result<()> {
        let dir = self.data_dir()?;
        let sess = session.to_string();
        let (package, source) = blocking(move || {
            let keys = sealed.session_keys(&sess, &secret)?;
            source.released.extend(keys);
            if !source.sessions.contains(&sess) {
                source.sessions.push(sess.clone());
            }
            source.released_at.insert(sess, ruji_sys::unix_secs());
            let (contents, assets) = sealed.open_tests(&source.released)?;
            let package = sealed.package(&contents)?;
            package.validate().map_err(|errs| {
                PackageError::new(
                    K::Invalid,
                    errs.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; "),
                )
            })?;
            write_assets(&dir, &assets)?;
            Ok((package, source))
        })
        .await?;
        self.store()
            .release_session(Release {
                package,
                source,
                session: session.to_string(),
                via,
                actor,
            })
            .await?;
        Ok(())
    }

    /// The sync report of the installed package.
    pub fn sync_report(&self) -> SyncReport {
        let pkg = self.package();
        let source = self.package_source();
        let reserves = pkg.participants.iter().filter(|p| p.reserve).count();
        let mut classes: BTreeMap<String, usize> = BTreeMap::new();
        for p in &pkg.participants {
            *classes.entry(p.class.clone()).or_default() += 1;
        }
        let src = source.clone().unwrap_or_default();
        SyncReport {
            server: format!("Ruji {}", env!("CARGO_PKG_VERSION")),
            board: self.settings().device.as_ref().map(|(id, key)| BoardId {
                id: id.clone(),
                key: key.clone(),
            }),
            package: ReportPackage {
                id: pkg.id.clone(),
                title: pkg.title.clone(),
                issuer: pkg.issuer.clone(),
                issuer_key: src.issuer_key.clone(),
                file: src.file.clone(),
                bytes: src.bytes,
                imported_at: src.imported_at,
                imported: source.is_some(),
            },
            tests: pkg
                .tests
                .iter()
                .map(|t| ReportTest {
                    id: t.id.clone(),
                    name: t.name.clone(),
                    items: t.items.len(),
                    duration_minutes: t.duration_minutes,
                    sealed: t.sealed,
                })
                .collect(),
            participants: ReportParticipants {
                main: pkg.participants.len() - reserves,
                reserve: reserves,
                classes,
            },
            sessions: pkg
                .sessions
                .iter()
                .map(|s| ReportSession {
                    id: s.id.clone(),
                    name: s.name.clone(),
                    day: s.day.clone(),
                    start: s.start.clone(),
                    participants: s.participants.len(),
                    tests: s.tests.clone(),
                    released_at: src.released_at.get(&s.id).copied(),
                })
                .collect(),
        }
    }

    /// An item's picture or sound by its content name (`<32 hex>.<ext>`): its type and bytes,
    /// or `None` for any other name or a missing file.
    pub async fn asset(&self, name: &str) -> Option<(&'static str, Vec<u8>)> {
        let ok_name = name.len() < 48
            && name.split_once('.').is_some_and(|(h, e)| {
                h.len() == 32
                    && h.bytes()
                        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
                    && e.bytes().all(|b| b.is_ascii_alphanumeric())
            });
        let mime = ruji_package::assets::mime_of(name)?;
        let dir = self.settings().data_dir.as_ref()?;
        if !ok_name {
            return None;
        }
        let bytes = tokio::fs::read(dir.join("assets").join(name)).await.ok()?;
        Some((mime, bytes))
    }
}

/// Runs a package change in its own task: a dropped request must not cut it in half.
async fn detached<T: Send + 'static>(
    work: impl std::future::Future<Output = Result<T>> + Send + 'static,
) -> Result<T> {
    tokio::spawn(work)
        .await
        .map_err(|e| RoomError::Package(storage(e)))?
}

/// Words a central server's refusal: what happened, for the page to say what to do.
fn central_failure(e: ruji_sync::CentralError, url: &str) -> PackageError {
    use ruji_sync::{CentralError, RefusalCode as R};
    let kind = match &e {
        CentralError::Unreachable(_) => K::CentralUnreachable,
        CentralError::Certificate(_) => K::CentralCert,
        CentralError::Protocol(_) => K::CentralOther,
        CentralError::Refused(r) => match r.error {
            R::Busy => K::CentralUnreachable,
            R::TooEarly => K::CentralEarly,
            R::DeviceUnknown => K::CentralDevice,
            R::PackageChanged => K::CentralChanged,
            R::UnknownPackage | R::UnknownSession => K::CentralUnknown,
            R::Unscheduled => K::CentralUnscheduled,
            _ => K::CentralOther,
        },
    };
    let detail = match &e {
        CentralError::Refused(r) if r.error == R::TooEarly => {
            r.not_before.clone().unwrap_or_else(|| r.message.clone())
        }
        _ => format!("{url}: {e}"),
    };
    PackageError::new(kind, detail)
}

/// Writes assets not yet on the card (their names are content hashes).
fn write_assets(
    dir: &Path,
    assets: &ruji_package::assets::Assets,
) -> std::result::Result<(), PackageError> {
    let dir = dir.join("assets");
    for (name, bytes) in assets.iter() {
        let path = dir.join(name);
        if path.exists() {
            continue;
        }
        ruji_sys::write_durable(&path, bytes, 0o644).map_err(storage)?;
    }
    Ok(())
}

/// `*.rujipkg` files on mounted USB sticks: regular files (not symbolic links) up to
/// [`USB_DEPTH`] levels below the configured folders (the image's `ruji-usb` mounts each stick
/// read-only at `/media/<device>`), sorted. Blocking.
pub fn usb_packages(dirs: &[PathBuf]) -> Vec<String> {
    fn walk(dir: &Path, depth: u32, seen: &mut usize, out: &mut Vec<PathBuf>) {
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
