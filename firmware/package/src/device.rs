//! The board's own key: an ed25519 key pair made on the first start and kept on the data
//! partition (`<data>/device.key`, readable only by its owner). Its public half identifies the
//! board in the sync report and signs what the board hands over (result bundles); it never
//! leaves the board.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::IssuerKey;

/// File name of the key in the data directory.
pub const FILE: &str = "device.key";

/// The board's key pair.
pub struct DeviceKey(IssuerKey);

impl DeviceKey {
    /// Reads `<data>/device.key`, or makes and stores a new key when there is none (first
    /// start). A damaged file is an error, never silently replaced: the board's identity would
    /// change.
    pub fn load_or_create(data: &Path) -> Result<DeviceKey, String> {
        let path = data.join(FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => IssuerKey::from_secret_text(&text)
                .map(DeviceKey)
                .map_err(|e| {
                    format!(
                        "{}: {e}; move it aside to make a new board identity",
                        path.display()
                    )
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = IssuerKey::generate();
                ruji_sys::write_durable(&path, key.to_secret_text().as_bytes(), 0o600)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                Ok(DeviceKey(key))
            }
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// The public key, `ruji-pk:<base64>`.
    pub fn public(&self) -> String {
        self.0.public()
    }

    /// Signs `message` (base64 ed25519 signature).
    pub fn sign(&self, message: &[u8]) -> String {
        self.0.sign(message)
    }

    /// A short id for people: 8 characters of the public key's SHA-256 in Crockford base 32,
    /// grouped `XXXX-XXXX`.
    pub fn id(&self) -> String {
        short_id(&self.public())
    }
}

/// The short id of a board's public key (`ruji-pk:...`): 8 characters of its SHA-256 in
/// Crockford base 32, grouped `XXXX-XXXX`, as the board shows it on its sync report.
pub fn short_id(public: &str) -> String {
    let d = Sha256::digest(public.trim().as_bytes());
    let mut out = String::new();
    let mut acc = u64::from_be_bytes(d[..8].try_into().expect("8 bytes"));
    for i in 0..8 {
        if i == 4 {
            out.push('-');
        }
        out.push(crate::release::ALPHABET[(acc >> 59) as usize] as char);
        acc <<= 5;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_once_kept_private_and_stable() {
        let dir = tempfile::tempdir().unwrap();
        let a = DeviceKey::load_or_create(dir.path()).unwrap();
        let b = DeviceKey::load_or_create(dir.path()).unwrap();
        assert_eq!(a.public(), b.public());
        assert_eq!(a.id(), b.id());
        assert_eq!(a.id().len(), 9);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join(FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::write(dir.path().join(FILE), "rusak").unwrap();
        let e = DeviceKey::load_or_create(dir.path()).err().unwrap();
        assert!(e.contains("move it aside"), "{e}");
    }
}
