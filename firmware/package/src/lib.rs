//! ruji-package: the exam package file and what it is made of.
//!
//! - [`format`] (re-exported at the top): the signed, sealed package file (`.rujipkg`,
//!   docs/package-format.md): signed by its issuer (ed25519), item content and keys sealed
//!   (XChaCha20-Poly1305) until release; [`pack`] on a teacher's PC, [`verify`] and [`Sealed`] on
//!   the board.
//! - [`release`]: the offline release code a proctor types to unseal a session.
//! - [`assets`]: pictures and sound, content-addressed (the name is the hash).
//! - [`safezip`]: reading untrusted zip files with limits (entry names, sizes, ratios).
//! - [`source`]: where an input's files are read from (a folder, a zip, memory).
//! - [`device`]: the board's own key pair, which identifies it and signs what it hands over.
//! - [`bundle`]: the result bundle (`.rujihasil`): a session's results, signed by the board, and
//!   the central server's receipt for it.
//!
//! No network and no database: the importers (ruji-import) produce what [`pack`] takes, the
//! board's application layer (ruji-room) stores what [`verify`] gives.
#![forbid(unsafe_code)]

pub mod assets;
pub mod bundle;
pub mod device;
pub mod format;
pub mod release;
pub mod safezip;
pub mod source;

pub use format::*;
