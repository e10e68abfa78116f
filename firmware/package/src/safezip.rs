//! Reading untrusted zip files (packages, IMS content packages, XLSX) with limits, so that a
//! truncated file, a zip bomb or a hostile entry name is refused with a clear message instead of
//! filling the memory or the disk or writing outside where it should.
//!
//! Sizes are enforced on the bytes actually inflated, never on what the headers claim.

use std::io::{Cursor, Read};

use crate::source::Memory;

/// How much a zip may hold.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most entries.
    pub entries: usize,
    /// Largest inflated entry.
    pub file_bytes: u64,
    /// Largest inflated total.
    pub total_bytes: u64,
    /// Largest inflated/compressed ratio for entries over 1 MiB.
    pub ratio: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            entries: 20_000,
            file_bytes: crate::source::MAX_FILE_BYTES,
            total_bytes: 512 * 1024 * 1024,
            ratio: 200,
        }
    }
}

/// Why a zip was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ZipError {
    /// Not a zip, or cut short (an interrupted download or copy).
    #[error(
        "the file is not a complete zip (damaged or cut short: copy or download it again): {0}"
    )]
    Corrupt(String),
    /// An entry name that could write outside the package or is ambiguous.
    #[error("the zip holds an unsafe entry name {0:?}; the file was not made by a trusted tool")]
    UnsafeName(String),
    /// Too many entries, or too large.
    #[error("the zip is too large: {0}")]
    TooLarge(String),
}

/// Checks an entry name: relative, `/`-separated, no `..`, no drive letters, no control
/// characters, no backslashes.
pub fn safe_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.starts_with('/')
        && !name.contains('\\')
        && !name.contains(':')
        && !name.chars().any(char::is_control)
        && name
            .split('/')
            .enumerate()
            .all(|(i, p)| p != ".." && p != "." && (!p.is_empty() || i > 0 && name.ends_with('/')))
}

/// Reads every file of the zip in `bytes` into memory, within `limits`. Directory entries are
/// skipped; symbolic links, duplicate names and unsafe names refuse the whole zip.
pub fn read(bytes: &[u8], limits: &Limits) -> Result<Memory, ZipError> {
    let mut zip =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| ZipError::Corrupt(e.to_string()))?;
    if zip.len() > limits.entries {
        return Err(ZipError::TooLarge(format!(
            "{} entries (at most {})",
            zip.len(),
            limits.entries
        )));
    }
    let mut out = Memory::default();
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut f = zip
            .by_index(i)
            .map_err(|e| ZipError::Corrupt(e.to_string()))?;
        let name = f
            .name()
            .map_err(|e| ZipError::Corrupt(e.to_string()))?
            .to_string();
        if !safe_name(&name) {
            return Err(ZipError::UnsafeName(name));
        }
        if f.is_dir() {
            continue;
        }
        if f.is_symlink() {
            return Err(ZipError::UnsafeName(format!("{name} (a symbolic link)")));
        }
        let mut buf = Vec::new();
        (&mut f)
            .take(limits.file_bytes + 1)
            .read_to_end(&mut buf)
            .map_err(|e| ZipError::Corrupt(format!("{name}: {e}")))?;
        let len = buf.len() as u64;
        if len > limits.file_bytes {
            return Err(ZipError::TooLarge(format!(
                "{name} inflates to more than {} MB",
                limits.file_bytes >> 20
            )));
        }
        if len > 1 << 20 && len / f.compressed_size().max(1) > limits.ratio {
            return Err(ZipError::TooLarge(format!(
                "{name} inflates {}-fold (a zip bomb?)",
                len / f.compressed_size().max(1)
            )));
        }
        total += len;
        if total > limits.total_bytes {
            return Err(ZipError::TooLarge(format!(
                "more than {} MB inflated in all",
                limits.total_bytes >> 20
            )));
        }
        if out.files.insert(name.clone(), buf).is_some() {
            return Err(ZipError::UnsafeName(format!("{name} (appears twice)")));
        }
    }
    Ok(out)
}

/// Writes `files` as a zip (deflated, except already-compressed pictures and sound, which are
/// stored), with fixed timestamps so the same input gives the same bytes.
pub fn write<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in files {
        let stored = crate::assets::mime_of(name).is_some() || name.ends_with(".sealed");
        let opts = SimpleFileOptions::default()
            .compression_method(if stored {
                zip::CompressionMethod::Stored
            } else {
                zip::CompressionMethod::Deflated
            })
            .last_modified_time(zip::DateTime::default())
            .large_file(bytes.len() as u64 >= u64::from(u32::MAX));
        w.start_file(name, opts).expect("writing to memory");
        std::io::Write::write_all(&mut w, bytes).expect("writing to memory");
    }
    w.finish().expect("writing to memory").into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let z = write([("manifest.json", &b"{}"[..]), ("a/b.png", &[1, 2, 3][..])]);
        let m = read(&z, &Limits::default()).unwrap();
        assert_eq!(m.files.len(), 2);
        assert_eq!(m.files["a/b.png"], vec![1, 2, 3]);
    }

    #[test]
    fn refuses_truncation_traversal_and_bombs() {
        let z = write([("manifest.json", &b"{\"a\":1}"[..])]);
        assert!(matches!(
            read(&z[..z.len() - 10], &Limits::default()),
            Err(ZipError::Corrupt(_))
        ));
        for bad in [
            "../x",
            "/etc/passwd",
            "a/../../x",
            "c:\\x",
            "a\\..\\x",
            "./a",
        ] {
            assert!(!safe_name(bad), "{bad}");
            let z = write([(bad, &b"x"[..])]);
            assert!(
                matches!(read(&z, &Limits::default()), Err(ZipError::UnsafeName(_))),
                "{bad}"
            );
        }
        let zeros = vec![0u8; 8 << 20];
        let z = write([("big.txt", &zeros[..])]);
        assert!(z.len() < 100_000);
        assert!(matches!(
            read(&z, &Limits::default()),
            Err(ZipError::TooLarge(_))
        ));
        let small = Limits {
            file_bytes: 1 << 20,
            ..Limits::default()
        };
        let z = write([("a.txt", &vec![7u8; 2 << 20][..])]);
        assert!(matches!(read(&z, &small), Err(ZipError::TooLarge(_))));
        assert!(safe_name("dir/") && safe_name("a/b.xml"));
    }
}
