//! The result bundle (`.rujihasil`): one session's results as the board hands them over, to
//! the central server or on a USB stick, and the receipt the central server gives back.
//!
//! The file is a zip (as a package file is) of two entries:
//! - `bundle.json`: [`Bundle`]: the board, the package, the session, every participant of the
//!   session with each attempt (phase and how it ended, times, scores) and every answer (its
//!   response, doubtful mark, save time, sequence number and revision), the items' shape (type,
//!   points, option ids: never a key), and the session's event counts;
//! - `signature.json`: [`crate::Signature`]: the board's device key's ed25519 signature over
//!   the exact bytes of `bundle.json`.
//!
//! The same session with nothing changed gives byte-identical files (no time of export inside,
//! fixed zip timestamps, JSON fields in declaration order), so a bundle's SHA-256 names its
//! content: the central server stores and acknowledges by it, and a second upload of the same
//! file changes nothing. A [`Receipt`] is signed by the issuer's key (the one that signed the
//! package), naming the bundle's SHA-256. The format is documented for people in
//! docs/result-bundle.md.

use std::collections::BTreeMap;

use ruji_core::attempt::Outcome;
use ruji_core::package::{ItemType, TestKind};
use ruji_core::response::Response;
use ruji_core::score::Milli;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::device::DeviceKey;
use crate::safezip::{self, Limits};
use crate::{verify_signature, IssuerKey, Signature};

/// `format` of a bundle.
pub const FORMAT: &str = "ruji-result-bundle";
/// The version this code writes and reads.
pub const VERSION: u32 = 1;
/// The file extension (`hasil` = results).
pub const EXTENSION: &str = "rujihasil";
/// The bundle's entry.
pub const BUNDLE_ENTRY: &str = "bundle.json";
/// The signature's entry.
pub const SIGNATURE_ENTRY: &str = "signature.json";
/// Largest bundle accepted (a session of 1000 participants × 100 items fits many times).
pub const MAX_BUNDLE_BYTES: usize = 64 * 1024 * 1024;

/// One session's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bundle {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`VERSION`].
    pub version: u32,
    /// `Ruji <version>` of the board.
    pub generated_by: String,
    /// The board that held the session.
    pub board: BoardRef,
    /// The package the session belongs to.
    pub package: PackageRef,
    /// The session.
    pub session: SessionRef,
    /// The board's last event that concerns the session (audit sequence number): of two
    /// bundles of one session from one board, the one with the higher number is newer.
    pub as_of_seq: u64,
    /// The session's tests and the shape of their items (never a key).
    pub tests: Vec<TestShape>,
    /// Every participant of the session (reserves included), in the session's order.
    pub participants: Vec<ParticipantResult>,
    /// How many events of each kind the session saw (`login`, `answer`, `reset_login`...).
    pub events: BTreeMap<String, u64>,
}

/// The board in a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardRef {
    /// Short id from the public key ([`crate::device::short_id`]): two groups of four letters
    /// and digits, e.g. `B1G6-AFWB`.
    pub id: String,
    /// Device public key, `ruji-pk:...` (the key that signed the bundle).
    pub key: String,
}

/// The package in a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageRef {
    /// Package id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Issuer's name.
    pub issuer: String,
    /// Issuer's public key (empty for a package without a file, such as the demo).
    pub issuer_key: String,
    /// The packing (manifest `nonce`; empty without a file).
    pub nonce: String,
}

/// The session in a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRef {
    /// Session id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Day, `YYYY-MM-DD`.
    pub day: String,
    /// Start, `HH:MM`.
    pub start: String,
    /// Still open when the bundle was made (results may still change).
    pub open: bool,
    /// When it was last opened, on the board's exam clock (ms).
    pub opened_at_ms: Option<u64>,
    /// When it was last closed, on the board's exam clock (ms).
    pub closed_at_ms: Option<u64>,
}

/// A test and its items' shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestShape {
    /// Test id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Scored, practice or survey.
    pub kind: TestKind,
    /// Working time in minutes.
    pub duration_minutes: u32,
    /// Its items in authoring order.
    pub items: Vec<ItemShape>,
}

/// An item's shape: what a report needs to analyse the answers, without the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemShape {
    /// Item id.
    pub id: String,
    /// AKM type.
    #[serde(rename = "type")]
    pub item_type: ItemType,
    /// Full marks.
    pub points: u32,
    /// The ids a response can name (options, statements, premises), in authoring order; empty
    /// for short answers and essays.
    pub options: Vec<String>,
}

/// A participant's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParticipantResult {
    /// Username.
    pub username: String,
    /// Name.
    pub name: String,
    /// Class.
    pub class: String,
    /// A reserve participant.
    pub reserve: bool,
    /// Activated (a reserve who replaced an absent participant).
    pub reserve_active: bool,
    /// Login resets by the proctor.
    pub resets: u32,
    /// One attempt per test of the session, in the session's order.
    pub attempts: Vec<AttemptResult>,
}

/// One attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptResult {
    /// Test id.
    pub test: String,
    /// Where it stands or how it ended.
    pub state: Outcome,
    /// The proctor's reason, when force-finished.
    pub reason: Option<String>,
    /// When the token was first accepted (exam clock, ms).
    pub started_at_ms: Option<u64>,
    /// When it finished (exam clock, ms).
    pub finished_at_ms: Option<u64>,
    /// Working time used, ms.
    pub time_used_ms: u64,
    /// Working time allowed, ms.
    pub time_limit_ms: u64,
    /// Sum of the objective items' scores, milli-points (0 for practice and survey tests).
    pub score: Milli,
    /// Full marks of the objective items, milli-points.
    pub max_score: Milli,
    /// Every item of the test (practice items excluded), in authoring order.
    pub answers: Vec<AnswerResult>,
}

/// One item of an attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnswerResult {
    /// Item id.
    pub item: String,
    /// The latest response saved; `None` when never answered or cleared.
    pub response: Option<Response>,
    /// Marked doubtful (ragu-ragu).
    pub doubtful: bool,
    /// When it was saved (exam clock, ms); `None` when never saved.
    pub saved_at_ms: Option<u64>,
    /// The save's sequence number on the board; `None` when never saved.
    pub seq: Option<u64>,
    /// The client's revision of the answer (0 for answers from plain forms).
    pub rev: u64,
    /// Objective score, milli-points; `None` for essays and unscored tests.
    pub score: Option<Milli>,
}

/// Why a bundle file was refused.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// Not a readable zip (damaged, cut short, too large).
    #[error("not a result bundle file: {0}")]
    Zip(String),
    /// An entry is missing or not valid JSON of its kind.
    #[error("the bundle is incomplete or damaged: {0}")]
    Damaged(String),
    /// A format or version this code does not read.
    #[error("the bundle is of format {0}; update Ruji")]
    Version(String),
    /// The signature does not match the bytes, or names another key than the bundle's board.
    #[error("the bundle was changed after the board signed it: {0}")]
    Tampered(String),
    /// Signed by a board not in the trusted list.
    #[error("the bundle is signed by board {0}, which is not registered")]
    UnknownBoard(String),
}

/// A bundle that was checked.
#[derive(Debug, Clone)]
pub struct Verified {
    /// Its content.
    pub bundle: Bundle,
    /// SHA-256 of the whole file, hex: the name the central server and receipts use.
    pub sha256: String,
}

/// SHA-256 of `bytes`, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The file: `bundle.json` and the device key's signature over it, zipped with fixed
/// timestamps (the same bundle always gives the same bytes).
pub fn seal(bundle: &Bundle, key: &DeviceKey) -> Vec<u8> {
    let json = serde_json::to_vec_pretty(bundle).expect("a bundle serialises");
    let sig = Signature {
        alg: "ed25519".into(),
        key: key.public(),
        signature: key.sign(&json),
    };
    let sig = serde_json::to_vec_pretty(&sig).expect("a signature serialises");
    safezip::write([(BUNDLE_ENTRY, &json[..]), (SIGNATURE_ENTRY, &sig[..])])
}

/// Checks a bundle file: a readable zip within limits, a bundle of this version, signed by the
/// board it names. With `boards`, the board's key must also be one of them (`ruji-pk:...`).
pub fn verify(bytes: &[u8], boards: Option<&[String]>) -> Result<Verified, BundleError> {
    if bytes.len() > MAX_BUNDLE_BYTES {
        return Err(BundleError::Zip(format!(
            "{} bytes, more than {MAX_BUNDLE_BYTES}",
            bytes.len()
        )));
    }
    let limits = Limits {
        entries: 8,
        ..Limits::default()
    };
    let files = safezip::read(bytes, &limits).map_err(|e| BundleError::Zip(e.to_string()))?;
    let get = |name: &str| {
        files
            .files
            .get(name)
            .ok_or_else(|| BundleError::Damaged(format!("{name} is missing")))
    };
    let json = get(BUNDLE_ENTRY)?;
    let sig: Signature = serde_json::from_slice(get(SIGNATURE_ENTRY)?)
        .map_err(|e| BundleError::Damaged(format!("{SIGNATURE_ENTRY}: {e}")))?;
    // The format first, from a loose reading, so a newer version says "update" rather than
    // "damaged".
    let head: serde_json::Value = serde_json::from_slice(json)
        .map_err(|e| BundleError::Damaged(format!("{BUNDLE_ENTRY}: {e}")))?;
    let format = head["format"].as_str().unwrap_or("");
    let version = head["version"].as_u64().unwrap_or(0);
    if format != FORMAT || version != u64::from(VERSION) {
        return Err(BundleError::Version(format!(
            "{format:?} version {version}"
        )));
    }
    verify_signature(&sig.key, json, &sig.signature)
        .map_err(|e| BundleError::Tampered(e.to_string()))?;
    let bundle: Bundle = serde_json::from_slice(json)
        .map_err(|e| BundleError::Damaged(format!("{BUNDLE_ENTRY}: {e}")))?;
    if bundle.board.key != sig.key {
        return Err(BundleError::Tampered(
            "signed by another key than the board it names".into(),
        ));
    }
    if let Some(boards) = boards {
        if !boards.iter().any(|b| b.trim() == sig.key) {
            return Err(BundleError::UnknownBoard(bundle.board.id.clone()));
        }
    }
    Ok(Verified {
        bundle,
        sha256: sha256_hex(bytes),
    })
}

/// A name for the file: `hasil-<package>-<session>-<board>.rujihasil`, letters, digits, `-`
/// and `_` only.
pub fn file_name(b: &Bundle) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    format!(
        "hasil-{}-{}-{}.{EXTENSION}",
        clean(&b.package.id),
        clean(&b.session.id),
        clean(&b.board.id)
    )
}

/// `format` of a receipt.
pub const RECEIPT_FORMAT: &str = "ruji-receipt";

/// What the central server gives for a bundle it stored: signed by the issuer's key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// Always [`RECEIPT_FORMAT`].
    pub format: String,
    /// 1.
    pub version: u32,
    /// SHA-256 (hex) of the bundle file received.
    pub bundle_sha256: String,
    /// Package id.
    pub package: String,
    /// Session id.
    pub session: String,
    /// The board's public key.
    pub board: String,
    /// When the server first stored this bundle (its clock, seconds since 1970).
    pub received_at: u64,
    /// The signer's public key (the package's issuer).
    pub key: String,
    /// Signature over [`receipt_message`], base64.
    pub signature: String,
}

/// The bytes a receipt's signature covers: each field length-prefixed (u64 big-endian) after
/// a domain label, so no two receipts sign the same bytes.
pub fn receipt_message(r: &Receipt) -> Vec<u8> {
    let mut out = b"ruji-receipt-v1".to_vec();
    for f in [
        r.bundle_sha256.as_bytes(),
        r.package.as_bytes(),
        r.session.as_bytes(),
        r.board.as_bytes(),
        r.received_at.to_string().as_bytes(),
    ] {
        out.extend_from_slice(&(f.len() as u64).to_be_bytes());
        out.extend_from_slice(f);
    }
    out
}

impl Receipt {
    /// A receipt for a verified bundle, signed with the issuer's key.
    pub fn sign(bundle: &Verified, received_at: u64, key: &IssuerKey) -> Receipt {
        let mut r = Receipt {
            format: RECEIPT_FORMAT.into(),
            version: 1,
            bundle_sha256: bundle.sha256.clone(),
            package: bundle.bundle.package.id.clone(),
            session: bundle.bundle.session.id.clone(),
            board: bundle.bundle.board.key.clone(),
            received_at,
            key: key.public(),
            signature: String::new(),
        };
        r.signature = key.sign(&receipt_message(&r));
        r
    }

    /// Checks that the receipt is signed by `issuer_key` and names the bundle `sha256`.
    pub fn check(&self, issuer_key: &str, sha256: &str) -> Result<(), String> {
        if self.format != RECEIPT_FORMAT || self.version != 1 {
            return Err(format!("not a receipt this Ruji reads ({})", self.format));
        }
        if self.key.trim() != issuer_key.trim() {
            return Err("signed by another key than the package's issuer".into());
        }
        if self.bundle_sha256 != sha256 {
            return Err("it is the receipt of another bundle".into());
        }
        verify_signature(&self.key, &receipt_message(self), &self.signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample(board: &DeviceKey) -> Bundle {
        Bundle {
            format: FORMAT.into(),
            version: VERSION,
            generated_by: "Ruji test".into(),
            board: BoardRef {
                id: board.id(),
                key: board.public(),
            },
            package: PackageRef {
                id: "PAS-1".into(),
                title: "PAS".into(),
                issuer: "SMP".into(),
                issuer_key: String::new(),
                nonce: String::new(),
            },
            session: SessionRef {
                id: "S1".into(),
                name: "Sesi 1".into(),
                day: "2026-12-01".into(),
                start: "07:30".into(),
                open: false,
                opened_at_ms: Some(1),
                closed_at_ms: Some(9),
            },
            as_of_seq: 42,
            tests: vec![],
            participants: vec![ParticipantResult {
                username: "P1".into(),
                name: "Adi".into(),
                class: "IX".into(),
                reserve: false,
                reserve_active: false,
                resets: 1,
                attempts: vec![AttemptResult {
                    test: "T".into(),
                    state: Outcome::FinishedProctor,
                    reason: Some("mati lampu".into()),
                    started_at_ms: Some(2),
                    finished_at_ms: Some(8),
                    time_used_ms: 6,
                    time_limit_ms: 60_000,
                    score: 1000,
                    max_score: 2000,
                    answers: vec![AnswerResult {
                        item: "I1".into(),
                        response: Some(Response::Choice("B".into())),
                        doubtful: false,
                        saved_at_ms: Some(5),
                        seq: Some(40),
                        rev: 3,
                        score: Some(1000),
                    }],
                }],
            }],
            events: BTreeMap::from([("answer".into(), 1)]),
        }
    }

    fn board() -> DeviceKey {
        let dir = tempfile::tempdir().unwrap();
        DeviceKey::load_or_create(dir.path()).unwrap()
    }

    #[test]
    fn sealed_bundles_verify_and_the_same_bundle_gives_the_same_bytes() {
        let key = board();
        let b = sample(&key);
        let file = seal(&b, &key);
        assert_eq!(seal(&b, &key), file, "deterministic");
        let v = verify(&file, None).unwrap();
        assert_eq!(v.bundle, b);
        assert_eq!(v.sha256, sha256_hex(&file));
        assert!(verify(&file, Some(&[key.public()])).is_ok());
        assert!(matches!(
            verify(&file, Some(&["ruji-pk:someone-else".into()])),
            Err(BundleError::UnknownBoard(_))
        ));
        let mut changed = b.clone();
        changed.participants[0].attempts[0].score = 2000;
        assert_ne!(seal(&changed, &key), file, "a change changes the bytes");
        assert_eq!(
            file_name(&b),
            format!("hasil-PAS-1-S1-{}.rujihasil", key.id())
        );
    }

    #[test]
    fn tampering_a_stranger_and_damage_are_refused() {
        let key = board();
        let b = sample(&key);
        let file = seal(&b, &key);
        // Another score in bundle.json, the signature kept.
        let mut files = safezip::read(&file, &Limits::default()).unwrap().files;
        let json = String::from_utf8(files[BUNDLE_ENTRY].clone()).unwrap();
        files.insert(
            BUNDLE_ENTRY.into(),
            json.replace("\"score\": 1000", "\"score\": 2000")
                .into_bytes(),
        );
        let forged = safezip::write(files.iter().map(|(n, b)| (n.as_str(), &b[..])));
        assert!(matches!(
            verify(&forged, None),
            Err(BundleError::Tampered(_))
        ));
        // Re-signed by another key while naming this board.
        let stranger = board();
        let mut other = seal(&b, &stranger);
        assert!(matches!(
            verify(&other, None),
            Err(BundleError::Tampered(_))
        ));
        // Cut short; not a zip; a newer version.
        other.truncate(other.len() / 2);
        assert!(matches!(verify(&other, None), Err(BundleError::Zip(_))));
        assert!(matches!(verify(b"hello", None), Err(BundleError::Zip(_))));
        let mut newer = b.clone();
        newer.version = 2;
        assert!(matches!(
            verify(&seal(&newer, &key), None),
            Err(BundleError::Version(_))
        ));
    }

    #[test]
    fn receipts_name_one_bundle_and_the_issuer() {
        let key = board();
        let file = seal(&sample(&key), &key);
        let v = verify(&file, None).unwrap();
        let issuer = IssuerKey::generate();
        let r = Receipt::sign(&v, 1_800_000_000, &issuer);
        assert!(r.check(&issuer.public(), &v.sha256).is_ok());
        assert!(r.check(&IssuerKey::generate().public(), &v.sha256).is_err());
        assert!(r.check(&issuer.public(), &"0".repeat(64)).is_err());
        let mut forged = r.clone();
        forged.received_at += 1;
        assert!(forged.check(&issuer.public(), &v.sha256).is_err());
        let text = serde_json::to_string(&r).unwrap();
        let back: Receipt = serde_json::from_str(&text).unwrap();
        assert_eq!(back, r);
    }
}
