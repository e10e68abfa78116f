//! For tests that make the card fail: a redb storage backend on a real file whose writes can
//! be made to fail from a chosen moment (a full card, a dying card). Open a store on it with
//! [`crate::Store::open_backend`], set the switch, and see that nothing half-done is left.

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
