//! Exam packages: how an exam gets onto the board.
//!
//! - [`import`]: turns what teachers and the central server write (the native authoring folder,
//!   Moodle GIFT, QTI 2.x items and IMS content packages, participant lists in CSV/XLSX) into the
//!   native model of `ruji-core`, with a clear message for every line or item it cannot take.
//! - [`sanitize`]: item HTML is cleaned on import: no script, no event handlers, no external URLs;
//!   pictures and sound become content-addressed [`assets`].
//! - [`package`]: the signed, sealed package file (`.rujipkg`, docs/package-format.md): signed by
//!   its issuer (ed25519), item content and keys sealed (XChaCha20-Poly1305) until release.
//! - [`release`]: the offline release code a proctor types to unseal a session.
//! - [`central`]: the central server protocol (wire types) and the board's HTTPS client.
//! - [`safezip`]: reading untrusted zip files with limits (entry names, sizes, ratios).

pub mod assets;
pub mod central;
pub mod device;
pub mod file;
pub mod import;
pub mod issue;
pub mod package;
pub mod release;
pub mod safezip;
pub mod sanitize;
pub mod source;

pub use issue::Issue;
