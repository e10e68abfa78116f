//! Pictures and sound used by items, kept by content: the same bytes are stored and served once,
//! under a name that never changes (`/a/<hash>.<ext>`), so the board can tell browsers to cache
//! them for a year and each of the room's clients loads each file once.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// URL prefix under which the board serves assets.
pub const URL_PREFIX: &str = "/a/";

/// File types an item may embed, with their MIME type. SVG is refused: it can carry script.
pub const TYPES: &[(&str, &str)] = &[
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("gif", "image/gif"),
    ("webp", "image/webp"),
    ("bmp", "image/bmp"),
    ("mp3", "audio/mpeg"),
    ("ogg", "audio/ogg"),
    ("oga", "audio/ogg"),
    ("wav", "audio/wav"),
    ("m4a", "audio/mp4"),
    ("mp4", "video/mp4"),
    ("webm", "video/webm"),
];

/// The MIME type for an asset file name (by extension), if it is an allowed type.
pub fn mime_of(name: &str) -> Option<&'static str> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    TYPES.iter().find(|(e, _)| *e == ext).map(|(_, m)| *m)
}

/// One asset: its served name (`<hash>.<ext>`) and bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Asset {
    /// `<first 32 hex digits of SHA-256>.<ext>`.
    pub name: String,
    /// The file.
    #[serde(skip)]
    pub bytes: Vec<u8>,
}

/// The assets collected while importing.
#[derive(Debug, Default, Clone)]
pub struct Assets {
    by_name: BTreeMap<String, Vec<u8>>,
}

impl Assets {
    /// Adds `bytes` found as `file` (its extension decides the type) and returns the URL to put
    /// in item HTML, or a message saying why the file cannot be used.
    pub fn add(&mut self, file: &str, bytes: Vec<u8>) -> Result<String, String> {
        let ext = file
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        if ext == "svg" {
            return Err(format!(
                "{file}: SVG pictures are not accepted (they can carry script); save it as PNG"
            ));
        }
        if mime_of(file).is_none() {
            return Err(format!(
                "{file}: not a picture or sound type Ruji serves (use PNG, JPG, GIF, WEBP, MP3, OGG, WAV, M4A, MP4 or WEBM)"
            ));
        }
        let name = format!("{}.{ext}", name_hash(&bytes));
        self.by_name.entry(name.clone()).or_insert(bytes);
        Ok(format!("{URL_PREFIX}{name}"))
    }

    /// Number of distinct assets.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// No assets.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// Total bytes.
    pub fn total_bytes(&self) -> u64 {
        self.by_name.values().map(|b| b.len() as u64).sum()
    }

    /// The assets, by served name.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Vec<u8>)> {
        self.by_name.iter()
    }

    /// One asset's bytes.
    pub fn get(&self, name: &str) -> Option<&Vec<u8>> {
        self.by_name.get(name)
    }

    /// Inserts an asset under its served name (reading a package back).
    pub fn insert(&mut self, name: String, bytes: Vec<u8>) {
        self.by_name.insert(name, bytes);
    }
}

/// The content part of an asset's name.
pub fn name_hash(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    data_encoding::HEXLOWER.encode(&d[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_bytes_one_asset_and_types_checked() {
        let mut a = Assets::default();
        let u1 = a.add("x/Gambar 1.PNG", b"png bytes".to_vec()).unwrap();
        let u2 = a.add("other.png", b"png bytes".to_vec()).unwrap();
        assert_eq!(u1, u2);
        assert!(u1.starts_with("/a/") && u1.ends_with(".png"));
        assert_eq!(a.len(), 1);
        assert!(a
            .add("evil.svg", b"<svg/>".to_vec())
            .unwrap_err()
            .contains("PNG"));
        assert!(a.add("a.exe", vec![1]).is_err());
        assert_eq!(mime_of("q.JPG"), Some("image/jpeg"));
    }
}
