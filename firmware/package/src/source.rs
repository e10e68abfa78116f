//! Where an importer reads files from: a folder on disk, a zip (IMS content package, `.rujipkg`)
//! or memory. Paths are always relative, `/`-separated and stay inside the source.

use std::collections::BTreeMap;
use std::path::PathBuf;

/// Largest single file an importer reads (a picture, an audio clip, an XML item).
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Read access to the files of an input.
pub trait Source: Send + Sync {
    /// The bytes of `path` (relative, `/`-separated), or a message saying why not.
    fn read(&self, path: &str) -> Result<Vec<u8>, String>;
    /// Every file path in the source, sorted.
    fn list(&self) -> Vec<String>;
}

/// Joins `rel` (as written in a document, e.g. `../img/a.png` or `gambar%20satu.png`) onto the
/// folder `base` of that document; `None` if it leaves the source, is absolute or has a scheme.
pub fn resolve(base: &str, rel: &str) -> Option<String> {
    let rel = percent_decode(rel.split(['#', '?']).next().unwrap_or(""));
    if rel.is_empty() || rel.starts_with('/') || rel.starts_with('\\') || rel.contains(':') {
        return None;
    }
    let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
    for p in rel.split(['/', '\\']) {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// The folder part of a path (`a/b/c.xml` -> `a/b`).
pub fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Some(v) = std::str::from_utf8(&b[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Files in a folder on disk.
pub struct Folder {
    root: PathBuf,
}

impl Folder {
    /// A source rooted at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Folder {
        Folder { root: root.into() }
    }
}

impl Source for Folder {
    fn read(&self, path: &str) -> Result<Vec<u8>, String> {
        let Some(clean) = resolve("", path) else {
            return Err(format!("{path}: not a path inside the folder"));
        };
        let full = self.root.join(&clean);
        let meta = std::fs::metadata(&full).map_err(|e| format!("{clean}: {e}"))?;
        if meta.len() > MAX_FILE_BYTES {
            return Err(format!(
                "{clean}: {} MB is too large (at most {} MB per file)",
                meta.len() >> 20,
                MAX_FILE_BYTES >> 20
            ));
        }
        std::fs::read(&full).map_err(|e| format!("{clean}: {e}"))
    }

    fn list(&self) -> Vec<String> {
        fn walk(dir: &std::path::Path, prefix: &str, out: &mut Vec<String>, depth: usize) {
            let Ok(rd) = std::fs::read_dir(dir) else {
                return;
            };
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let rel = if prefix.is_empty() {
                    name.clone()
                } else {
                    format!("{prefix}/{name}")
                };
                match e.file_type() {
                    Ok(t) if t.is_dir() && depth < 16 => walk(&e.path(), &rel, out, depth + 1),
                    Ok(t) if t.is_file() => out.push(rel),
                    _ => {}
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.root, "", &mut out, 0);
        out.sort();
        out
    }
}

/// The files under a folder of another source, as if that folder were the root.
pub struct Sub {
    /// The whole input.
    pub inner: std::sync::Arc<dyn Source>,
    /// The folder, without a trailing `/`.
    pub prefix: String,
}

impl Source for Sub {
    fn read(&self, path: &str) -> Result<Vec<u8>, String> {
        let clean = resolve(&self.prefix, path).ok_or_else(|| format!("{path}: outside"))?;
        self.inner.read(&clean)
    }

    fn list(&self) -> Vec<String> {
        let p = format!("{}/", self.prefix);
        self.inner
            .list()
            .into_iter()
            .filter_map(|f| f.strip_prefix(&p).map(str::to_string))
            .collect()
    }
}

/// Files held in memory (a zip already read through [`crate::safezip`], tests).
#[derive(Debug, Default, Clone)]
pub struct Memory {
    /// Path -> bytes.
    pub files: BTreeMap<String, Vec<u8>>,
}

impl Source for Memory {
    fn read(&self, path: &str) -> Result<Vec<u8>, String> {
        let clean = resolve("", path).unwrap_or_default();
        self.files
            .get(&clean)
            .cloned()
            .ok_or_else(|| format!("{path}: no such file"))
    }

    fn list(&self) -> Vec<String> {
        self.files.keys().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_inside_and_refuses_escape() {
        assert_eq!(
            resolve("items", "img/a.png").as_deref(),
            Some("items/img/a.png")
        );
        assert_eq!(
            resolve("items/x", "../a.png").as_deref(),
            Some("items/a.png")
        );
        assert_eq!(
            resolve("", "gambar%20satu.png").as_deref(),
            Some("gambar satu.png")
        );
        assert_eq!(resolve("a", "b.png?x=1#y").as_deref(), Some("a/b.png"));
        assert_eq!(resolve("", "../etc/passwd"), None);
        assert_eq!(resolve("a", "/etc/passwd"), None);
        assert_eq!(resolve("a", "http://example.com/x.png"), None);
        assert_eq!(resolve("a", "data:image/png;base64,AAAA"), None);
        assert_eq!(dir_of("a/b/c.xml"), "a/b");
        assert_eq!(dir_of("c.xml"), "");
    }
}
