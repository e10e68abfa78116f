//! Result files to a USB stick, for a school without internet on exam day: every session's
//! signed results file is written to the stick's `RUJI-HASIL` folder, each one whole and
//! synced, then the stick is unmounted before the page says it is safe to pull out.
//!
//! On the board Ruji has no privilege to mount (it keeps only the network capabilities), and
//! sticks are mounted read-only. The image's root helper, `ruji-usb`, mounts a stick
//! read-write only for the export and unmounts it afterwards; Ruji asks it through files in
//! its folder (`--usb-control`, `/run/ruji-usb` on the board; docs/formats.md, "USB"):
//!
//! - Ruji creates `rw-<stick>`; the helper remounts `/media/<stick>` read-write and answers
//!   `writable-<stick>` (or `error-<stick>` holding why).
//! - Ruji writes and syncs the files, then creates `eject-<stick>`; the helper runs `sync`,
//!   unmounts the stick and answers `safe-<stick>` (or `error-<stick>`). An unmounted stick is
//!   not mounted again until it is pulled out and plugged in.
//!
//! Without a helper (a PC running `ruji serve`, tests), the folder is written as it is and the
//! proctor ejects the stick with the computer's own means.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ruji_store::Action;

use crate::error::flat;
use crate::{Result, Room, RoomError};

/// The folder on the stick that receives the results files.
pub const FOLDER: &str = "RUJI-HASIL";
/// How long the helper may take to make a stick writable.
pub const MOUNT_WAIT: Duration = Duration::from_secs(20);
/// How long the helper may take to sync and unmount (a slow stick flushing its cache).
pub const EJECT_WAIT: Duration = Duration::from_secs(120);

/// A USB stick the board sees (a folder under one of the USB folders).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stick {
    /// Its name: the folder's name (`sda1` on the board).
    pub name: String,
    /// Where it is mounted.
    pub path: PathBuf,
    /// Free space in bytes (`None` when it cannot be read).
    pub free: Option<u64>,
    /// Size in bytes (`None` when it cannot be read).
    pub size: Option<u64>,
}

/// What an export to a stick did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsbExport {
    /// The stick's name.
    pub stick: String,
    /// The files written, relative to the stick (`RUJI-HASIL/...`).
    pub files: Vec<String>,
    /// Bytes written.
    pub bytes: u64,
    /// The board's helper unmounted the stick: it may be pulled out now. `false` without a
    /// helper: eject it with the computer's own means.
    pub ejected: bool,
}

/// Why an export to a stick failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsbProblem {
    /// No such stick (pulled out, or not one the page listed).
    Gone,
    /// No session has results to save yet.
    Nothing,
    /// The board's USB service did not answer.
    Service,
    /// The stick cannot be written (its write-protect switch, or a file system the board only
    /// reads).
    ReadOnly,
    /// The stick is full.
    Full,
    /// Writing failed (a bad stick, pulled out while writing).
    Write,
    /// The stick could not be unmounted: it is not yet safe to pull out.
    Eject,
}

/// An export to a stick that failed: what kind, and the detail (English, for the log).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{kind:?}: {detail}")]
pub struct UsbError {
    /// What went wrong.
    pub kind: UsbProblem,
    /// Details.
    pub detail: String,
}

fn fail(kind: UsbProblem, detail: impl Into<String>) -> RoomError {
    RoomError::Usb(UsbError {
        kind,
        detail: detail.into(),
    })
}

/// The sticks under `dirs`: each folder directly inside one of them, by name.
pub fn sticks(dirs: &[PathBuf]) -> Vec<Stick> {
    let mut found: Vec<Stick> = dirs
        .iter()
        .filter_map(|d| std::fs::read_dir(d).ok())
        .flat_map(|rd| rd.flatten())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| {
            let path = e.path();
            let disk = ruji_sys::disk_space(&path).ok();
            Stick {
                name: e.file_name().to_string_lossy().into_owned(),
                free: disk.map(|d| d.available),
                size: disk.map(|d| d.total),
                path,
            }
        })
        .collect();
    found.sort_by(|a, b| a.name.cmp(&b.name).then(a.path.cmp(&b.path)));
    found
}

/// The helper's folder: requests and answers as files.
struct Helper<'a> {
    dir: &'a Path,
    stick: &'a str,
}

impl Helper<'_> {
    fn file(&self, what: &str) -> PathBuf {
        self.dir.join(format!("{what}-{}", self.stick))
    }

    /// Asks for `request` and waits up to `wait` for the answer `want` (or an error).
    fn ask(&self, request: &str, want: &str, wait: Duration, kind: UsbProblem) -> Result<()> {
        for stale in [want, "error"] {
            let _ = std::fs::remove_file(self.file(stale));
        }
        std::fs::write(self.file(request), b"").map_err(|e| {
            fail(
                UsbProblem::Service,
                format!("{}: {e}", self.file(request).display()),
            )
        })?;
        let start = std::time::Instant::now();
        loop {
            if self.file(want).exists() {
                let _ = std::fs::remove_file(self.file(want));
                return Ok(());
            }
            if let Ok(why) = std::fs::read_to_string(self.file("error")) {
                let _ = std::fs::remove_file(self.file("error"));
                return Err(fail(kind, why.trim().to_string()));
            }
            if start.elapsed() > wait {
                let _ = std::fs::remove_file(self.file(request));
                return Err(fail(
                    UsbProblem::Service,
                    format!("no answer to {request} in {} s", wait.as_secs()),
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// The kind of a failed write.
fn write_problem(e: &std::io::Error) -> UsbProblem {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::StorageFull | K::QuotaExceeded | K::FileTooLarge => UsbProblem::Full,
        K::ReadOnlyFilesystem | K::PermissionDenied => UsbProblem::ReadOnly,
        _ => UsbProblem::Write,
    }
}

/// Writes `files` (name, bytes) into `<stick>/RUJI-HASIL/`, each whole and synced, then reads
/// each back and compares. Returns the names written, relative to the stick.
fn write_files(stick: &Path, files: &[(String, Vec<u8>)]) -> Result<Vec<String>> {
    let folder = stick.join(FOLDER);
    let mut written = vec![];
    for (name, bytes) in files {
        let path = folder.join(name);
        ruji_sys::write_durable(&path, bytes, 0o644)
            .map_err(|e| fail(write_problem(&e), format!("{}: {e}", path.display())))?;
        match std::fs::read(&path) {
            Ok(back) if &back == bytes => {}
            Ok(_) => {
                return Err(fail(
                    UsbProblem::Write,
                    format!("{name}: read back differs"),
                ))
            }
            Err(e) => return Err(fail(UsbProblem::Write, format!("{name}: {e}"))),
        }
        written.push(format!("{FOLDER}/{name}"));
    }
    Ok(written)
}

impl Room {
    /// The USB sticks the board sees now (read on the blocking pool).
    pub async fn usb_sticks(&self) -> Vec<Stick> {
        let dirs = self.settings().usb_dirs.clone();
        tokio::task::spawn_blocking(move || sticks(&dirs))
            .await
            .unwrap_or_default()
    }

    /// Saves every session's current results file to the stick named `stick` (one the page
    /// listed), then has it unmounted so it may be pulled out. The sessions count as backed up.
    /// One export at a time.
    pub async fn export_results_to_usb(&self, stick: &str) -> Result<UsbExport> {
        let _one_at_a_time = self.0.usb_export.lock().await;
        let Some(target) = self
            .usb_sticks()
            .await
            .into_iter()
            .find(|s| s.name == stick)
        else {
            return Err(fail(UsbProblem::Gone, stick.to_string()));
        };
        let sessions = self.store().sessions_with_results()?;
        if sessions.is_empty() {
            return Err(fail(UsbProblem::Nothing, "no session has results"));
        }
        let mut files = Vec::with_capacity(sessions.len());
        for id in &sessions {
            files.push(self.bundle_file(id).await?);
        }
        let bytes = files.iter().map(|(_, b)| b.len() as u64).sum();
        let helper = self.settings().usb_control.clone();
        let name = target.name.clone();
        let (written, ejected) = crate::blocking(move || {
            let helper = helper.as_deref().map(|dir| Helper { dir, stick: &name });
            if let Some(h) = &helper {
                if let Err(e) = h.ask("rw", "writable", MOUNT_WAIT, UsbProblem::ReadOnly) {
                    // No answer in time: the helper may still make it writable later; ask it
                    // to release the stick then (a refusal left it read-only: nothing to do).
                    if matches!(&e, RoomError::Usb(u) if u.kind == UsbProblem::Service) {
                        let _ = std::fs::write(h.file("eject"), b"");
                    }
                    return Err(e);
                }
            }
            let written = write_files(&target.path, &files);
            // Unmounted whatever happened: a stick is never left writable.
            let ejected = match &helper {
                Some(h) => h.ask("eject", "safe", EJECT_WAIT, UsbProblem::Eject),
                None => Ok(()),
            };
            let written = written?;
            ejected?;
            Ok((written, helper.is_some()))
        })
        .await?;
        for id in &sessions {
            if let Err(e) = flat(self.store().mark_results_exported(id).await) {
                tracing::warn!(session = %id, error = %e, "results export not recorded");
            }
        }
        let detail = format!("{stick}: {}", written.join(", "));
        self.audit_event(Action::ResultsToUsb, detail).await?;
        tracing::info!(
            stick,
            files = written.len(),
            bytes,
            ejected,
            "results saved to a USB stick"
        );
        Ok(UsbExport {
            stick: stick.to_string(),
            files: written,
            bytes,
            ejected,
        })
    }
}
