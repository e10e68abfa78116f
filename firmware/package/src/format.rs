//! The package file (`.rujipkg`): a zip, signed by its issuer, with item content sealed until
//! release. The format is documented for people in docs/package-format.md; this module is its
//! only implementation, used by `ruji pack` on a teacher's PC and by the board on import.
//!
//! Layout of the zip:
//! - `manifest.json`: [`Manifest`], public: what the proctor sees before release (tests, their
//!   durations, sessions) and the SHA-256 of every other file.
//! - `signature.json`: [`Signature`]: the issuer's ed25519 signature over the exact bytes of
//!   `manifest.json`.
//! - `participants.json`: the participants (public: login cards are printed before exam day).
//! - `tests/<test>.sealed`: [`TestContent`] (the test, its items with keys, stimuli, asset keys)
//!   sealed with the test's content key.
//! - `assets/<name>.sealed`: each picture or sound, sealed with its own key (listed in the
//!   contents of every test that uses it).
//! - `keys/<session>.sealed`: the content keys of the session's tests, sealed with the session
//!   key, which comes from the session's release code ([`crate::release`]).
//!
//! Sealing is XChaCha20-Poly1305 with a random 24-byte nonce in front of the ciphertext and the
//! package id and entry name as associated data, so a sealed entry cannot be moved elsewhere.

use std::collections::{BTreeMap, BTreeSet};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::XChaCha20Poly1305;
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use rand::RngCore;
use ruji_core::package::{
    Item, Package, Participant, Session, Stimulus, Test, TestKind, TestRules,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::assets::Assets;
use crate::release::{self, Secret};
use crate::safezip::{self, Limits, ZipError};
use crate::source::Memory;

/// The `format` field of every manifest.
pub const FORMAT: &str = "ruji-package";
/// The format version this code writes and reads.
pub const VERSION: u32 = 1;
/// File name extension of packages.
pub const EXTENSION: &str = "rujipkg";
const PUBLIC_PREFIX: &str = "ruji-pk:";
const SECRET_PREFIX: &str = "ruji-sk:";

/// Why a package was refused. Messages say what to do; nothing of a refused package is kept.
#[derive(Debug, thiserror::Error)]
pub enum PackageFileError {
    /// The zip itself is damaged, too large or unsafe.
    #[error(transparent)]
    Zip(#[from] ZipError),
    /// A required entry is missing or unreadable.
    #[error("the package is incomplete or damaged: {0}; get the package again from its issuer")]
    Damaged(String),
    /// Written by a newer Ruji.
    #[error("the package uses format version {0}; this Ruji reads version {VERSION}: update Ruji")]
    Version(u32),
    /// The signature does not match: changed after signing.
    #[error("the package was changed after it was signed ({0}); do not use it: get it again from its issuer")]
    Tampered(String),
    /// Signed by an issuer the board does not trust.
    #[error("the package is signed by {issuer} with key {key}, which this board does not trust; add the issuer's public key to the trusted issuers if it is genuine")]
    Untrusted {
        /// Issuer name as written in the manifest.
        issuer: String,
        /// The key.
        key: String,
    },
    /// The release code does not open this session.
    #[error("the release code does not open session {0}: check that it is the code for this package and session")]
    WrongCode(String),
    /// No such session.
    #[error("the package has no session {0}")]
    NoSession(String),
    /// The content, once opened, is not a valid exam.
    #[error("the package content is not valid: {0}")]
    Invalid(String),
}

/// A test as listed publicly in the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestInfo {
    /// Test id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Practice, scored or survey.
    pub kind: TestKind,
    /// Working time.
    pub duration_minutes: u32,
    /// Rules.
    pub rules: TestRules,
    /// Number of items.
    pub items: usize,
}

/// The public part of a package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// Format version.
    pub version: u32,
    /// Package id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Issuer name.
    pub issuer: String,
    /// Issuer public key, `ruji-pk:<base64>`.
    pub issuer_key: String,
    /// When it was packed, seconds since 1970 (UTC).
    pub created: u64,
    /// Random per package: release codes of two packings differ.
    pub nonce: String,
    /// Tests.
    pub tests: Vec<TestInfo>,
    /// Sessions.
    pub sessions: Vec<Session>,
    /// Number of participants.
    pub participants: usize,
    /// SHA-256 (hex) of every other entry except `signature.json`.
    pub files: BTreeMap<String, String>,
}

/// `signature.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signature {
    /// Always `ed25519`.
    pub alg: String,
    /// The signer's public key, `ruji-pk:<base64>`.
    pub key: String,
    /// Signature over the bytes of `manifest.json`, base64.
    pub signature: String,
}

/// The sealed content of one test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestContent {
    /// The test with its item order and practice items.
    pub test: Test,
    /// Items with keys.
    pub items: Vec<Item>,
    /// Stimuli the items refer to.
    pub stimuli: Vec<Stimulus>,
    /// Asset name -> its content key (hex).
    pub assets: BTreeMap<String, String>,
}

/// An issuer's key pair.
pub struct IssuerKey(SigningKey);

impl IssuerKey {
    /// A new random key.
    pub fn generate() -> IssuerKey {
        let mut b = [0u8; 32];
        rand::rng().fill_bytes(&mut b);
        IssuerKey(SigningKey::from_bytes(&b))
    }
    /// The secret key file's text.
    pub fn to_secret_text(&self) -> String {
        format!(
            "{SECRET_PREFIX}{}\n",
            data_encoding::BASE64.encode(self.0.as_bytes())
        )
    }
    /// Reads a secret key file's text.
    pub fn from_secret_text(s: &str) -> Result<IssuerKey, String> {
        let b64 = s
            .trim()
            .strip_prefix(SECRET_PREFIX)
            .ok_or("not a Ruji secret key (it starts with ruji-sk:)")?;
        let b = data_encoding::BASE64
            .decode(b64.as_bytes())
            .map_err(|e| format!("damaged secret key: {e}"))?;
        let arr: [u8; 32] = b
            .try_into()
            .map_err(|_| "damaged secret key: wrong length")?;
        Ok(IssuerKey(SigningKey::from_bytes(&arr)))
    }
    /// The public key, `ruji-pk:<base64>`.
    pub fn public(&self) -> String {
        public_text(&self.0.verifying_key())
    }
    fn secret_bytes(&self) -> &[u8; 32] {
        self.0.as_bytes()
    }
    /// Signs `message`; the signature in base64.
    pub fn sign(&self, message: &[u8]) -> String {
        data_encoding::BASE64.encode(&self.0.sign(message).to_bytes())
    }
    /// The release code of `session` in the package described by `manifest` (already verified
    /// as signed by this key), without reading the package again.
    pub fn release_code(
        &self,
        manifest: &Manifest,
        session: &str,
    ) -> Result<String, PackageFileError> {
        if manifest.sessions.iter().all(|s| s.id != session) {
            return Err(PackageFileError::NoSession(session.into()));
        }
        Ok(release::encode(&release::derive(
            self.secret_bytes(),
            &manifest.id,
            &manifest.nonce,
            session,
        )))
    }
}

/// Checks a base64 ed25519 `signature` of `message` by the public key `key` (`ruji-pk:...`).
pub fn verify_signature(key: &str, message: &[u8], signature: &str) -> Result<(), String> {
    let key = parse_public(key)?;
    let bytes = data_encoding::BASE64
        .decode(signature.trim().as_bytes())
        .map_err(|e| format!("damaged signature: {e}"))?;
    let arr: [u8; 64] = bytes
        .try_into()
        .map_err(|_| "damaged signature: wrong length")?;
    key.verify_strict(message, &ed25519_dalek::Signature::from_bytes(&arr))
        .map_err(|_| "the signature does not match".to_string())
}

fn public_text(k: &VerifyingKey) -> String {
    format!(
        "{PUBLIC_PREFIX}{}",
        data_encoding::BASE64.encode(k.as_bytes())
    )
}

/// Reads a public key `ruji-pk:<base64>`.
pub fn parse_public(s: &str) -> Result<VerifyingKey, String> {
    let b64 = s
        .trim()
        .strip_prefix(PUBLIC_PREFIX)
        .ok_or("not a Ruji public key (it starts with ruji-pk:)")?;
    let b = data_encoding::BASE64
        .decode(b64.as_bytes())
        .map_err(|e| format!("damaged public key: {e}"))?;
    let arr: [u8; 32] = b
        .try_into()
        .map_err(|_| "damaged public key: wrong length")?;
    VerifyingKey::from_bytes(&arr).map_err(|e| format!("damaged public key: {e}"))
}

fn hex(b: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(b)
}

fn key32(h: &str) -> Option<[u8; 32]> {
    data_encoding::HEXLOWER
        .decode(h.as_bytes())
        .ok()?
        .try_into()
        .ok()
}

fn random32() -> [u8; 32] {
    let mut k = [0u8; 32];
    rand::rng().fill_bytes(&mut k);
    k
}

fn aad(package: &str, entry: &str) -> Vec<u8> {
    format!("ruji/v1/{package}/{entry}").into_bytes()
}

fn seal(key: &[u8; 32], aad: &[u8], plain: &[u8]) -> Vec<u8> {
    let cipher = XChaCha20Poly1305::new(key.into());
    let mut nonce = [0u8; 24];
    rand::rng().fill_bytes(&mut nonce);
    let mut out = nonce.to_vec();
    out.extend(
        cipher
            .encrypt(&nonce.into(), Payload { msg: plain, aad })
            .expect("sealing in memory"),
    );
    out
}

fn open(key: &[u8; 32], aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
    if sealed.len() < 24 + 16 {
        return None;
    }
    let (nonce, ct) = sealed.split_at(24);
    let cipher = XChaCha20Poly1305::new(key.into());
    cipher.decrypt(nonce.into(), Payload { msg: ct, aad }).ok()
}

fn session_key(secret: &Secret, package: &str, nonce: &str, session: &str) -> [u8; 32] {
    let hk = hkdf::Hkdf::<Sha256>::new(Some(nonce.as_bytes()), &secret.0);
    let mut k = [0u8; 32];
    let info = format!("ruji session key v1/{package}/{session}");
    hk.expand(info.as_bytes(), &mut k).expect("32 bytes");
    k
}

fn tests_of<'a>(pkg: &'a Package, session: &Session) -> impl Iterator<Item = &'a Test> {
    let ids: BTreeSet<String> = session.tests.iter().cloned().collect();
    pkg.tests.iter().filter(move |t| ids.contains(&t.id))
}

/// `participants` as a package file lists them: every plain password replaced by its argon2id
/// hash (the board's parameters, [`ruji_core::package::ARGON2_KIB`]), on every core.
pub fn hashed(participants: &[Participant]) -> Vec<Participant> {
    let mut out = participants.to_vec();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = out.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        for part in out.chunks_mut(chunk) {
            s.spawn(move || {
                for p in part {
                    if !ruji_core::package::is_password_hash(&p.password) {
                        p.password = hash_password(&p.password);
                    }
                }
            });
        }
    });
    out
}

/// The argon2id hash (PHC string) of `password`, with a random salt.
pub fn hash_password(password: &str) -> String {
    use argon2::password_hash::{PasswordHasher, SaltString};
    use ruji_core::package::{ARGON2_KIB, ARGON2_T};
    let salt = SaltString::encode_b64(&random32()[..16]).expect("16 bytes make a salt");
    let params = argon2::Params::new(ARGON2_KIB, ARGON2_T, 1, None).expect("valid argon2 params");
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with valid parameters")
        .to_string()
}

/// Packs a validated `package` and its `assets` into a signed, sealed package file, its
/// participants' passwords as hashes ([`hashed`]). Fails if the package does not validate.
pub fn pack(
    package: &Package,
    assets: &Assets,
    key: &IssuerKey,
    created: u64,
) -> Result<Vec<u8>, PackageFileError> {
    pack_participants(
        package,
        &hashed(&package.participants),
        assets,
        key,
        created,
    )
}

/// A package file as a `ruji pack` before hashes made it: the participants' passwords as they
/// are in `package`. Only for testing that the board refuses such a file.
#[doc(hidden)]
pub fn pack_as_older_ruji(
    package: &Package,
    assets: &Assets,
    key: &IssuerKey,
) -> Result<Vec<u8>, PackageFileError> {
    pack_participants(package, &package.participants, assets, key, 1_700_000_000)
}

fn pack_participants(
    package: &Package,
    participants: &[Participant],
    assets: &Assets,
    key: &IssuerKey,
    created: u64,
) -> Result<Vec<u8>, PackageFileError> {
    package.validate().map_err(|errs| {
        PackageFileError::Invalid(
            errs.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    let nonce = hex(&random32()[..16]);
    let mut entries: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    // Only hashes leave the issuer's computer: the plain passwords are on the login cards.
    entries.insert(
        "participants.json".into(),
        serde_json::to_vec_pretty(participants).expect("serialisable"),
    );
    // Every asset gets its own key; a test's contents list the keys of the assets it uses.
    let mut asset_keys: BTreeMap<String, [u8; 32]> = BTreeMap::new();
    for (name, bytes) in assets.iter() {
        let k = random32();
        let entry = format!("assets/{name}.sealed");
        entries.insert(entry.clone(), seal(&k, &aad(&package.id, &entry), bytes));
        asset_keys.insert(name.clone(), k);
    }
    let mut test_keys: BTreeMap<String, [u8; 32]> = BTreeMap::new();
    for t in &package.tests {
        let items: Vec<Item> = t
            .items
            .iter()
            .chain(&t.practice_items)
            .filter_map(|id| package.item(id).cloned())
            .collect();
        let stimuli: Vec<Stimulus> = package
            .stimuli
            .iter()
            .filter(|s| items.iter().any(|i| i.stimulus.as_deref() == Some(&s.id)))
            .cloned()
            .collect();
        let mut html = String::new();
        for i in &items {
            html.push_str(&serde_json::to_string(&i.prompt).unwrap_or_default());
            html.push_str(&serde_json::to_string(&i.body).unwrap_or_default());
        }
        for s in &stimuli {
            html.push_str(&s.html);
        }
        let used = asset_keys
            .iter()
            .filter(|(name, _)| html.contains(name.as_str()))
            .map(|(name, k)| (name.clone(), hex(k)))
            .collect();
        let content = TestContent {
            test: t.clone(),
            items,
            stimuli,
            assets: used,
        };
        let k = random32();
        let entry = format!("tests/{}.sealed", t.id);
        let json = serde_json::to_vec(&content).expect("serialisable");
        entries.insert(entry.clone(), seal(&k, &aad(&package.id, &entry), &json));
        test_keys.insert(t.id.clone(), k);
    }
    for s in &package.sessions {
        let keys: BTreeMap<String, String> = tests_of(package, s)
            .map(|t| (t.id.clone(), hex(&test_keys[&t.id])))
            .collect();
        let secret = release::derive(key.secret_bytes(), &package.id, &nonce, &s.id);
        let sk = session_key(&secret, &package.id, &nonce, &s.id);
        let entry = format!("keys/{}.sealed", s.id);
        let json = serde_json::to_vec(&keys).expect("serialisable");
        entries.insert(entry.clone(), seal(&sk, &aad(&package.id, &entry), &json));
    }
    let manifest = Manifest {
        format: FORMAT.into(),
        version: VERSION,
        id: package.id.clone(),
        title: package.title.clone(),
        issuer: package.issuer.clone(),
        issuer_key: key.public(),
        created,
        nonce,
        tests: package
            .tests
            .iter()
            .map(|t| TestInfo {
                id: t.id.clone(),
                name: t.name.clone(),
                kind: t.kind,
                duration_minutes: t.duration_minutes,
                rules: t.rules.clone(),
                items: t.items.len(),
            })
            .collect(),
        sessions: package.sessions.clone(),
        participants: package.participants.len(),
        files: entries
            .iter()
            .map(|(n, b)| (n.clone(), hex(&Sha256::digest(b))))
            .collect(),
    };
    let manifest_bytes = serde_json::to_vec_pretty(&manifest).expect("serialisable");
    let signature = Signature {
        alg: "ed25519".into(),
        key: key.public(),
        signature: data_encoding::BASE64.encode(&key.0.sign(&manifest_bytes).to_bytes()),
    };
    let signature_bytes = serde_json::to_vec_pretty(&signature).expect("serialisable");
    let mut files: Vec<(&str, &[u8])> = vec![
        ("manifest.json", &manifest_bytes),
        ("signature.json", &signature_bytes),
    ];
    files.extend(entries.iter().map(|(n, b)| (n.as_str(), b.as_slice())));
    Ok(safezip::write(files))
}

/// The release code of `session` in `package_file`, for the holder of the issuer's key.
pub fn release_code(
    package_file: &[u8],
    key: &IssuerKey,
    session: &str,
) -> Result<String, PackageFileError> {
    let sealed = verify(package_file, &[key.public()])?;
    key.release_code(&sealed.manifest, session)
}

/// A package whose signature and contents list were checked, still sealed.
#[derive(Debug, Clone)]
pub struct Sealed {
    /// The manifest.
    pub manifest: Manifest,
    /// The participants.
    pub participants: Vec<Participant>,
    files: Memory,
}

/// Checks a package file: zip limits, signature by one of the `trusted` keys (`ruji-pk:...`),
/// every entry listed with its hash and nothing else present, participants and sessions
/// consistent. Nothing is unsealed.
pub fn verify(bytes: &[u8], trusted: &[String]) -> Result<Sealed, PackageFileError> {
    let files = safezip::read(bytes, &Limits::default())?;
    let get = |name: &str| {
        files
            .files
            .get(name)
            .ok_or_else(|| PackageFileError::Damaged(format!("{name} is missing")))
    };
    let sig: Signature = serde_json::from_slice(get("signature.json")?)
        .map_err(|e| PackageFileError::Damaged(format!("signature.json: {e}")))?;
    let manifest_bytes = get("manifest.json")?;
    let probe: serde_json::Value = serde_json::from_slice(manifest_bytes)
        .map_err(|e| PackageFileError::Damaged(format!("manifest.json: {e}")))?;
    if probe.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(PackageFileError::Damaged(
            "manifest.json is not a Ruji package manifest".into(),
        ));
    }
    let version = probe.get("version").and_then(|v| v.as_u64()).unwrap_or(0) as u32;
    if version != VERSION {
        return Err(PackageFileError::Version(version));
    }
    let key = parse_public(&sig.key).map_err(PackageFileError::Tampered)?;
    let signature = data_encoding::BASE64
        .decode(sig.signature.as_bytes())
        .ok()
        .and_then(|b| ed25519_dalek::Signature::from_slice(&b).ok())
        .ok_or_else(|| PackageFileError::Tampered("the signature is damaged".into()))?;
    key.verify_strict(manifest_bytes, &signature)
        .map_err(|_| PackageFileError::Tampered("the signature does not match".into()))?;
    let manifest: Manifest = serde_json::from_slice(manifest_bytes)
        .map_err(|e| PackageFileError::Damaged(format!("manifest.json: {e}")))?;
    if manifest.issuer_key != sig.key {
        return Err(PackageFileError::Tampered(
            "the manifest names another issuer key than the one that signed it".into(),
        ));
    }
    let trusted_keys: Vec<VerifyingKey> = trusted
        .iter()
        .filter_map(|t| parse_public(t).ok())
        .collect();
    if !trusted_keys.contains(&key) {
        return Err(PackageFileError::Untrusted {
            issuer: manifest.issuer.clone(),
            key: sig.key.clone(),
        });
    }
    for (name, bytes) in &files.files {
        if name == "manifest.json" || name == "signature.json" {
            continue;
        }
        match manifest.files.get(name) {
            None => {
                return Err(PackageFileError::Tampered(format!(
                    "{name} is not listed in the manifest"
                )))
            }
            Some(h) if *h != hex(&Sha256::digest(bytes)) => {
                return Err(PackageFileError::Tampered(format!("{name} was changed")))
            }
            Some(_) => {}
        }
    }
    if let Some(missing) = manifest
        .files
        .keys()
        .find(|n| !files.files.contains_key(*n))
    {
        return Err(PackageFileError::Damaged(format!("{missing} is missing")));
    }
    let participants: Vec<Participant> = serde_json::from_slice(get("participants.json")?)
        .map_err(|e| PackageFileError::Damaged(format!("participants.json: {e}")))?;
    let sealed = Sealed {
        manifest,
        participants,
        files,
    };
    sealed.check_public()?;
    Ok(sealed)
}

impl Sealed {
    fn check_public(&self) -> Result<(), PackageFileError> {
        // Validate the public part with the core rules: tests stand in with one placeholder
        // item each, so only participants, sessions and references are judged here.
        let pkg = self.public_package();
        let errs: Vec<String> = match pkg.validate() {
            Ok(()) => vec![],
            Err(errs) => errs.iter().map(ToString::to_string).collect(),
        };
        if !errs.is_empty() {
            return Err(PackageFileError::Invalid(errs.join("; ")));
        }
        for t in &self.manifest.tests {
            if !self
                .files
                .files
                .contains_key(&format!("tests/{}.sealed", t.id))
            {
                return Err(PackageFileError::Damaged(format!(
                    "tests/{}.sealed is missing",
                    t.id
                )));
            }
        }
        for s in &self.manifest.sessions {
            if !self
                .files
                .files
                .contains_key(&format!("keys/{}.sealed", s.id))
            {
                return Err(PackageFileError::Damaged(format!(
                    "keys/{}.sealed is missing",
                    s.id
                )));
            }
        }
        Ok(())
    }

    /// The package as far as it is public: tests without items (their content is sealed).
    fn public_package(&self) -> Package {
        let m = &self.manifest;
        let placeholder = |t: &TestInfo| format!("{}#sealed", t.id);
        Package {
            id: m.id.clone(),
            title: m.title.clone(),
            issuer: m.issuer.clone(),
            stimuli: vec![],
            items: m
                .tests
                .iter()
                .map(|t| Item {
                    id: placeholder(t),
                    stimulus: None,
                    prompt: String::new(),
                    points: 0,
                    body: ruji_core::package::ItemBody::Essay { max_chars: 1 },
                })
                .collect(),
            tests: m
                .tests
                .iter()
                .map(|t| Test {
                    id: t.id.clone(),
                    name: t.name.clone(),
                    kind: t.kind,
                    duration_minutes: t.duration_minutes,
                    items: vec![placeholder(t)],
                    practice_items: vec![],
                    rules: t.rules.clone(),
                    sealed: false,
                })
                .collect(),
            participants: self.participants.clone(),
            sessions: m.sessions.clone(),
        }
    }

    /// Opens the sealed content of `session` with the secret from its release code: the
    /// content keys of its tests.
    pub fn session_keys(
        &self,
        session: &str,
        secret: &Secret,
    ) -> Result<BTreeMap<String, String>, PackageFileError> {
        let m = &self.manifest;
        if m.sessions.iter().all(|s| s.id != session) {
            return Err(PackageFileError::NoSession(session.into()));
        }
        let entry = format!("keys/{session}.sealed");
        let sk = session_key(secret, &m.id, &m.nonce, session);
        let sealed = self
            .files
            .files
            .get(&entry)
            .ok_or_else(|| PackageFileError::Damaged(format!("{entry} is missing")))?;
        let plain = open(&sk, &aad(&m.id, &entry), sealed)
            .ok_or_else(|| PackageFileError::WrongCode(session.into()))?;
        serde_json::from_slice(&plain)
            .map_err(|e| PackageFileError::Damaged(format!("{entry}: {e}")))
    }

    /// Opens the given tests with their content keys (test id -> hex key, as returned by
    /// [`Sealed::session_keys`]), returning their contents and the assets they use.
    pub fn open_tests(
        &self,
        keys: &BTreeMap<String, String>,
    ) -> Result<(Vec<TestContent>, Assets), PackageFileError> {
        let m = &self.manifest;
        let mut out = Vec::new();
        let mut assets = Assets::default();
        for (test, k) in keys {
            let entry = format!("tests/{test}.sealed");
            let key =
                key32(k).ok_or_else(|| PackageFileError::Damaged(format!("the key of {entry}")))?;
            let sealed = self
                .files
                .files
                .get(&entry)
                .ok_or_else(|| PackageFileError::Damaged(format!("{entry} is missing")))?;
            let plain = open(&key, &aad(&m.id, &entry), sealed)
                .ok_or_else(|| PackageFileError::Damaged(format!("{entry} does not open")))?;
            let content: TestContent = serde_json::from_slice(&plain)
                .map_err(|e| PackageFileError::Damaged(format!("{entry}: {e}")))?;
            for (name, k) in &content.assets {
                if assets.get(name).is_some() {
                    continue;
                }
                let entry = format!("assets/{name}.sealed");
                let key = key32(k)
                    .ok_or_else(|| PackageFileError::Damaged(format!("the key of {entry}")))?;
                let sealed = self
                    .files
                    .files
                    .get(&entry)
                    .ok_or_else(|| PackageFileError::Damaged(format!("{entry} is missing")))?;
                let bytes = open(&key, &aad(&m.id, &entry), sealed)
                    .ok_or_else(|| PackageFileError::Damaged(format!("{entry} does not open")))?;
                if crate::assets::name_hash(&bytes) != name.split('.').next().unwrap_or("") {
                    return Err(PackageFileError::Tampered(format!(
                        "{entry} does not match its name"
                    )));
                }
                assets.insert(name.clone(), bytes);
            }
            out.push(content);
        }
        Ok((out, assets))
    }

    /// The package to install: participants, sessions, and every test; the tests in `opened`
    /// with their items, the others still sealed (no items, `sealed` set).
    pub fn package(&self, opened: &[TestContent]) -> Result<Package, PackageFileError> {
        let mut pkg = self.public_package();
        pkg.items.clear();
        for t in &mut pkg.tests {
            t.items.clear();
            t.sealed = true;
        }
        for c in opened {
            if let Some(t) = pkg.tests.iter_mut().find(|t| t.id == c.test.id) {
                *t = c.test.clone();
            }
            for i in &c.items {
                if pkg.item(&i.id).is_none() {
                    pkg.items.push(i.clone());
                }
            }
            for s in &c.stimuli {
                if pkg.stimulus(&s.id).is_none() {
                    pkg.stimuli.push(s.clone());
                }
            }
        }
        Ok(pkg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packed() -> (Vec<u8>, IssuerKey, Package) {
        let key = IssuerKey::generate();
        let pkg = ruji_core::demo::package_with(5);
        let mut assets = Assets::default();
        assets.add("peta.png", b"PNG".to_vec()).unwrap();
        (pack(&pkg, &assets, &key, 1_700_000_000).unwrap(), key, pkg)
    }

    #[test]
    fn pack_verify_release_open() {
        let (file, key, pkg) = packed();
        let sealed = verify(&file, &[key.public()]).unwrap();
        assert_eq!(sealed.manifest.id, pkg.id);
        // The file lists every participant, each password only as its argon2id hash.
        assert_eq!(sealed.participants.len(), pkg.participants.len());
        for (got, want) in sealed.participants.iter().zip(&pkg.participants) {
            assert_eq!((&got.username, &got.name), (&want.username, &want.name));
            assert!(ruji_core::package::is_password_hash(&got.password));
            assert!(!file
                .windows(want.password.len())
                .any(|w| w == want.password.as_bytes()));
            let h = argon2::PasswordHash::new(&got.password).unwrap();
            use argon2::PasswordVerifier;
            assert!(argon2::Argon2::default()
                .verify_password(want.password.as_bytes(), &h)
                .is_ok());
        }
        let session = &pkg.sessions[0].id;
        let code = release_code(&file, &key, session).unwrap();
        let secret = release::decode(&code).unwrap();
        let keys = sealed.session_keys(session, &secret).unwrap();
        let (contents, _) = sealed.open_tests(&keys).unwrap();
        let opened = sealed.package(&contents).unwrap();
        assert_eq!(opened.items.len(), pkg.items.len());
        opened.validate().unwrap();
    }

    #[test]
    fn refuses_untrusted_tampered_and_wrong_codes() {
        let (file, key, pkg) = packed();
        let other = IssuerKey::generate();
        assert!(matches!(
            verify(&file, &[other.public()]),
            Err(PackageFileError::Untrusted { .. })
        ));
        let sealed = verify(&file, &[key.public()]).unwrap();
        let session = &pkg.sessions[0].id;
        let wrong = release::derive(&[1; 32], &pkg.id, "x", session);
        assert!(matches!(
            sealed.session_keys(session, &wrong),
            Err(PackageFileError::WrongCode(_))
        ));
    }
}
