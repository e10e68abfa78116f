//! For tests that make the card fail. Open a store on one of these redb storage backends with
//! [`crate::Store::open_backend`]:
//! - [`FailingBackend`]: a real file whose writes can be made to fail from a chosen moment (a
//!   full card, a dying card); set the switch and see that nothing half-done is left.
//! - [`PowerCutBackend`]: an in-memory disk that keeps what was synced apart from what was only
//!   written, and loses its power at a chosen write, length change or sync; open a new store on
//!   what it held and see that everything acknowledged is there.
//!
//! And [`rerun_in_mount_namespace`]: a test run again inside a mount namespace of its own,
//! where a small file system stands for a full card or stick.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A file whose writes fail while the switch is on.
#[derive(Debug)]
pub struct FailingBackend {
    file: redb::backends::FileBackend,
    fail: Arc<AtomicBool>,
}

impl FailingBackend {
    /// The backend on the file at `path` (created if missing) and its switch (off).
    pub fn open(path: &Path) -> std::io::Result<(FailingBackend, Arc<AtomicBool>)> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        let fail = Arc::new(AtomicBool::new(false));
        let backend = FailingBackend {
            file: redb::backends::FileBackend::new(file).map_err(std::io::Error::other)?,
            fail: fail.clone(),
        };
        Ok((backend, fail))
    }

    fn check(&self) -> std::io::Result<()> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(std::io::Error::other("injected: the card refuses writes"));
        }
        Ok(())
    }
}

impl redb::StorageBackend for FailingBackend {
    fn len(&self) -> std::io::Result<u64> {
        self.file.len()
    }
    fn read(&self, offset: u64, out: &mut [u8]) -> std::io::Result<()> {
        self.file.read(offset, out)
    }
    fn set_len(&self, len: u64) -> std::io::Result<()> {
        self.check()?;
        self.file.set_len(len)
    }
    fn sync_data(&self) -> std::io::Result<()> {
        self.check()?;
        self.file.sync_data()
    }
    fn write(&self, offset: u64, data: &[u8]) -> std::io::Result<()> {
        self.check()?;
        self.file.write(offset, data)
    }
    fn close(&self) -> std::io::Result<()> {
        self.file.close()
    }
}

/// What a [`PowerCutBackend`] was asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiskOp {
    /// `write`.
    Write,
    /// `set_len`.
    SetLen,
    /// `sync_data`.
    Sync,
}

/// Where the power was cut on a [`PowerCutBackend`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cut {
    /// Number of the first operation that failed (write, set_len and sync calls counted from 0).
    pub op: u64,
    /// What that operation was.
    pub kind: DiskOp,
    /// Writes and length changes issued since the last successful sync: on the device's way,
    /// not known to be on it (the durable image does not hold them).
    pub pending: usize,
}

/// A write or length change issued since the last sync.
#[derive(Debug, Clone)]
enum Pending {
    Write { offset: u64, data: Vec<u8> },
    SetLen(u64),
}

impl Pending {
    fn apply(&self, image: &mut Vec<u8>) {
        match self {
            Pending::Write { offset, data } => {
                let start = *offset as usize;
                let end = start + data.len();
                if image.len() < end {
                    // A write past the end grows a file.
                    image.resize(end, 0);
                }
                image[start..end].copy_from_slice(data);
            }
            Pending::SetLen(len) => image.resize(*len as usize, 0),
        }
    }
}

#[derive(Debug, Default)]
struct Disk {
    /// What the device holds for sure: the bytes as of the last successful `sync_data`.
    durable: Vec<u8>,
    /// What the process sees (the page cache): every write so far.
    volatile: Vec<u8>,
    /// Writes and length changes since the last successful sync, in the order issued.
    pending: Vec<Pending>,
    /// Write, set_len and sync calls so far (failed ones included).
    ops: u64,
    /// Successful syncs.
    syncs: u64,
    /// The operation at which the power goes.
    cut_at: Option<u64>,
    /// Where it went, once it has.
    cut: Option<Cut>,
}

/// An in-memory disk for power-cut tests: it keeps the **durable** image (what the device holds
/// after the last successful `sync_data`) apart from the **volatile** one (every write so far,
/// as the page cache sees it), and counts write, set_len and sync calls. At operation number
/// `cut_at` the power goes: that call and every later write, set_len and sync fail with an I/O
/// error (the process is as good as dead; reads still see the volatile image so that it can
/// wind down). The test then takes the durable image, or the durable image plus some of the
/// writes issued since the last sync (a device that had persisted part of its queue), through
/// the [`PowerCut`] handle, and opens a new store on a fresh backend holding those bytes.
#[derive(Debug)]
pub struct PowerCutBackend {
    disk: Arc<std::sync::Mutex<Disk>>,
}

/// The test's handle on a [`PowerCutBackend`]'s disk.
#[derive(Debug, Clone)]
pub struct PowerCut {
    disk: Arc<std::sync::Mutex<Disk>>,
}

impl PowerCutBackend {
    /// A disk holding `image` (durable and volatile alike: empty for a new file) whose power
    /// goes at operation `cut_at` (never when `None`).
    pub fn new(image: Vec<u8>, cut_at: Option<u64>) -> (PowerCutBackend, PowerCut) {
        let disk = Arc::new(std::sync::Mutex::new(Disk {
            durable: image.clone(),
            volatile: image,
            cut_at,
            ..Disk::default()
        }));
        (PowerCutBackend { disk: disk.clone() }, PowerCut { disk })
    }

    fn disk(&self) -> std::sync::MutexGuard<'_, Disk> {
        self.disk.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts an operation; fails it when the power is (or now goes) off.
    fn power(disk: &mut Disk, kind: DiskOp) -> std::io::Result<()> {
        let op = disk.ops;
        disk.ops += 1;
        if disk.cut.is_none() && disk.cut_at.is_some_and(|at| op >= at) {
            disk.cut = Some(Cut {
                op,
                kind,
                pending: disk.pending.len(),
            });
        }
        if disk.cut.is_some() {
            return Err(std::io::Error::other("injected: the power is cut"));
        }
        Ok(())
    }
}

impl redb::StorageBackend for PowerCutBackend {
    fn len(&self) -> std::io::Result<u64> {
        Ok(self.disk().volatile.len() as u64)
    }
    fn read(&self, offset: u64, out: &mut [u8]) -> std::io::Result<()> {
        let disk = self.disk();
        let start = offset as usize;
        let src = disk
            .volatile
            .get(start..start + out.len())
            .ok_or_else(|| std::io::Error::other("read past the end"))?;
        out.copy_from_slice(src);
        Ok(())
    }
    fn set_len(&self, len: u64) -> std::io::Result<()> {
        let mut disk = self.disk();
        Self::power(&mut disk, DiskOp::SetLen)?;
        let op = Pending::SetLen(len);
        op.apply(&mut disk.volatile);
        disk.pending.push(op);
        Ok(())
    }
    fn sync_data(&self) -> std::io::Result<()> {
        let mut disk = self.disk();
        Self::power(&mut disk, DiskOp::Sync)?;
        disk.durable = disk.volatile.clone();
        disk.pending.clear();
        disk.syncs += 1;
        Ok(())
    }
    fn write(&self, offset: u64, data: &[u8]) -> std::io::Result<()> {
        let mut disk = self.disk();
        Self::power(&mut disk, DiskOp::Write)?;
        let op = Pending::Write {
            offset,
            data: data.to_vec(),
        };
        op.apply(&mut disk.volatile);
        disk.pending.push(op);
        Ok(())
    }
}

impl PowerCut {
    fn disk(&self) -> std::sync::MutexGuard<'_, Disk> {
        self.disk.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Write, set_len and sync calls so far (the failed ones included).
    pub fn ops(&self) -> u64 {
        self.disk().ops
    }

    /// Successful syncs so far.
    pub fn syncs(&self) -> u64 {
        self.disk().syncs
    }

    /// Where the power went, once it has.
    pub fn cut(&self) -> Option<Cut> {
        self.disk().cut
    }

    /// Writes and length changes issued since the last successful sync.
    pub fn pending(&self) -> usize {
        self.disk().pending.len()
    }

    /// What the device holds for sure: the bytes as of the last successful sync.
    pub fn durable_image(&self) -> Vec<u8> {
        self.disk().durable.clone()
    }

    /// The durable image plus those of the writes and length changes issued since the last
    /// sync for which `persisted(i)` is true (`i` counts them from 0 in the order issued),
    /// applied in that order: a device that had persisted part of its queue, each write whole
    /// or not at all, when the power went.
    pub fn image_with(&self, mut persisted: impl FnMut(usize) -> bool) -> Vec<u8> {
        let disk = self.disk();
        let mut image = disk.durable.clone();
        for (i, op) in disk.pending.iter().enumerate() {
            if persisted(i) {
                op.apply(&mut image);
            }
        }
        image
    }
}

/// Runs the test `inner` of this test binary again inside a user and mount namespace of its own
/// (`unshare --user --map-root-user --mount`), after the shell script `setup` (with `$0` set to
/// `dir`) has mounted what the test needs there (a small tmpfs for a full card), with the
/// variable `env` set. Panics unless the inner test ran and passed.
pub fn rerun_in_mount_namespace(setup: &str, dir: &Path, inner: &str, env: (&str, &Path)) {
    let exe = std::env::current_exe().expect("the test binary");
    let out = std::process::Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "sh", "-c"])
        .arg(format!(
            "{setup}\nexec \"$1\" --exact {inner} --ignored --nocapture --test-threads 1"
        ))
        .arg(dir)
        .arg(&exe)
        .env(env.0, env.1)
        .output()
        .expect("unshare (util-linux) runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "inside the namespace: {text}");
    assert!(text.contains("1 passed"), "the inner test ran: {text}");
}
