//! Writing a file so that a power cut leaves the old content or the new, never half of it.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Replaces `path` with `bytes` (file mode `mode` when created): a temporary file beside it,
/// fsync, rename, then fsync of the folder (best effort: not every file system lets a folder be
/// opened). The folder is created when missing. On failure (a full card) the temporary file is
/// removed and `path` is untouched.
pub fn write_durable(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(d) = dir {
        std::fs::create_dir_all(d)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".part");
    let tmp = std::path::PathBuf::from(tmp);
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&tmp)
        .and_then(|mut f| {
            f.write_all(bytes)?;
            f.sync_all()
        })
        .and_then(|()| rename_durable(&tmp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(())
}

/// Renames the complete, synced file `from` to `to` in the same folder, then fsyncs the folder
/// (best effort: not every file system lets a folder be opened), so that after a power cut `to`
/// is the old file or the whole new one.
pub fn rename_durable(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::rename(from, to)?;
    let dir = to.parent().filter(|d| !d.as_os_str().is_empty());
    if let Ok(d) = std::fs::File::open(dir.unwrap_or(Path::new("."))) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn replaces_whole_with_mode_and_no_leftover() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/a.key");
        write_durable(&p, b"one", 0o600).unwrap();
        write_durable(&p, b"two", 0o600).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            std::fs::read_dir(dir.path().join("sub")).unwrap().count(),
            1
        );
        // A folder where the file should be: the write fails and leaves nothing behind.
        std::fs::create_dir(dir.path().join("b")).unwrap();
        assert!(write_durable(&dir.path().join("b"), b"x", 0o644).is_err());
        assert!(!dir.path().join("b.part").exists());
    }
}
