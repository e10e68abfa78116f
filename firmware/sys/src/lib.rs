//! ruji-sys: what Ruji takes from the operating system, each written once and used everywhere.
//!
//! - [`write_durable`]: replace a file so that a power cut leaves the old content or the new,
//!   never half of it (settings, keys, packages, pictures, backups).
//! - [`unix_secs`], [`unix_nanos`]: the wall clock. On a board without a clock battery it may be
//!   wrong (1970 until set); exam time never depends on it (ruji-store keeps its own clock).
//! - [`set_wall_clock`]: set it (needs `CAP_SYS_TIME`; `ruji serve` keeps it for this).
//! - [`disk_space`]: free and total bytes of the file system holding a path (statvfs, through
//!   rustix: no unsafe code here).
//! - [`restrict_capabilities`]: drop every Linux capability but the ones named (a process
//!   started as root keeps only what it needs).
//! - [`raise_open_files`]: raise the soft open-files limit (RLIMIT_NOFILE) to the hard one when
//!   it is under what a server needs (one descriptor per connection, see ruji-http).
#![forbid(unsafe_code)]

mod file;

pub use file::{rename_durable, write_durable};

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since 1970 by the wall clock; 0 when the clock reads earlier.
pub fn unix_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Nanoseconds since 1970 by the wall clock; 0 when the clock reads earlier.
pub fn unix_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// Sets the wall clock (`CLOCK_REALTIME`) to `unix_ms` milliseconds since 1970. Needs
/// `CAP_SYS_TIME`; the exam clock (monotonic) does not move.
pub fn set_wall_clock(unix_ms: u64) -> std::io::Result<()> {
    let ts = rustix::time::Timespec {
        tv_sec: (unix_ms / 1000) as i64,
        tv_nsec: ((unix_ms % 1000) * 1_000_000) as _,
    };
    rustix::time::clock_settime(rustix::time::ClockId::Realtime, ts)?;
    Ok(())
}

/// Space on a file system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Disk {
    /// Bytes an unprivileged process can still write.
    pub available: u64,
    /// Size of the file system in bytes.
    pub total: u64,
}

/// Space on the file system holding `path`.
pub fn disk_space(path: &Path) -> std::io::Result<Disk> {
    let st = rustix::fs::statvfs(path)?;
    Ok(Disk {
        available: st.f_bavail.saturating_mul(st.f_frsize),
        total: st.f_blocks.saturating_mul(st.f_frsize),
    })
}

pub use caps::Capability;

/// Drops every capability but `keep`, for this process and the programs it runs (a no-op for
/// an unprivileged user, who has none). Returns the capabilities kept.
pub fn restrict_capabilities(keep: &[Capability]) -> Result<Vec<Capability>, String> {
    use caps::{CapSet, CapsHashSet};
    let keep: CapsHashSet = keep.iter().copied().collect();
    let had = caps::read(None, CapSet::Permitted).map_err(|e| e.to_string())?;
    if had.is_empty() {
        return Ok(vec![]);
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
    Ok(kept.into_iter().collect())
}

/// The open-files limit (RLIMIT_NOFILE) of this process, after [`raise_open_files`]; `None`
/// is unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenFiles {
    /// The soft limit before.
    pub was: Option<u64>,
    /// The soft limit now: the most files this process can have open.
    pub soft: Option<u64>,
    /// The hard limit: the most the soft one can be raised to without privilege.
    pub hard: Option<u64>,
}

impl OpenFiles {
    /// Whether the soft limit is at least `needed`.
    pub fn enough(&self, needed: u64) -> bool {
        self.soft.is_none_or(|s| s >= needed)
    }

    /// Whether [`raise_open_files`] changed the soft limit.
    pub fn raised(&self) -> bool {
        self.soft != self.was
    }
}

/// Raises this process's soft open-files limit to its hard limit if it is under `needed`
/// (no privilege is needed for that); leaves it as it is otherwise. The hard limit is the
/// system's (4096 for a process started by the kernel's init, often far more under systemd) or
/// what the board's start script set. Says what the limit is now: a caller should warn if it is
/// still under `needed`.
pub fn raise_open_files(needed: u64) -> std::io::Result<OpenFiles> {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let now = getrlimit(Resource::Nofile);
    let mut files = OpenFiles {
        was: now.current,
        soft: now.current,
        hard: now.maximum,
    };
    if files.enough(needed) || now.current == now.maximum {
        return Ok(files);
    }
    setrlimit(
        Resource::Nofile,
        Rlimit {
            current: now.maximum,
            maximum: now.maximum,
        },
    )?;
    files.soft = getrlimit(Resource::Nofile).current;
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statvfs_reads_a_real_filesystem() {
        let dir = tempfile::tempdir().unwrap();
        let d = disk_space(dir.path()).unwrap();
        assert!(d.total > 0 && d.available <= d.total, "{d:?}");
        assert!(disk_space(&dir.path().join("missing")).is_err());
    }

    #[test]
    fn the_open_files_limit_is_raised_to_the_hard_one_when_under_what_is_needed() {
        // What this process has: nothing to raise when it is enough already.
        let f = raise_open_files(16).unwrap();
        assert!(f.enough(16) && !f.raised(), "{f:?}");
        // More than the soft limit: raised to the hard one (which it may equal already).
        let f = raise_open_files(f.soft.unwrap_or(u64::MAX).saturating_add(1)).unwrap();
        assert_eq!(f.soft, f.hard, "{f:?}");
        assert_eq!(raise_open_files(16).unwrap().soft, f.hard);
    }

    #[test]
    fn the_clock_is_past_2020_here() {
        assert!(unix_secs() > 1_600_000_000);
        assert!(unix_nanos() / 1_000_000_000 >= u128::from(unix_secs()) - 1);
    }
}
