//! Golden fixtures: the exact bytes every stored record encodes to, per schema version.
//!
//! `golden/vN/samples.json` holds sample records of every table and `meta` key, by name
//! (`attempts/in_progress`, `meta/package`...); `golden/vN/bytes.txt` holds what each encodes
//! to (`name hex`, one per line). For the current [`SCHEMA_VERSION`] every sample must encode to
//! exactly its bytes and decode back to itself, and every table and `meta` key must have a
//! sample. So a change to a record's encoding (a field added, an enum variant moved, another
//! serialiser) fails here until the schema version is bumped and a migration written:
//! copy `golden/vN` to `golden/vN+1`, edit the samples, run
//! `RUJI_GOLDEN_BLESS=1 cargo test -p ruji-store golden` (it writes `bytes.txt` only where the
//! version has none), and decode the old version's bytes in the migration's test.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::path::PathBuf;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::tables::*;
use crate::{decode, encode, SCHEMA_VERSION};

fn dir(version: u32) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("golden/v{version}"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Encodes one sample (JSON) as the record type `V`; checks the round trip through postcard.
fn encoded<V: Serialize + DeserializeOwned + PartialEq + Debug>(
    name: &str,
    sample: &serde_json::Value,
) -> Vec<u8> {
    let v: V = serde_json::from_value(sample.clone())
        .unwrap_or_else(|e| panic!("sample {name} is not a {}: {e}", std::any::type_name::<V>()));
    let bytes = encode(&v);
    let back: V = decode("golden", &bytes).unwrap();
    assert_eq!(back, v, "{name}: decoding what was encoded gives it back");
    bytes
}

/// The bytes of one sample, by the type its table or `meta` key holds.
fn encode_sample(name: &str, sample: &serde_json::Value) -> Vec<u8> {
    let (table, _) = name.split_once('/').expect("table/name");
    match (table, name) {
        ("participants", _) => encoded::<ParticipantRecord>(name, sample),
        ("attempts", _) => encoded::<ruji_core::attempt::Attempt>(name, sample),
        ("answers", _) => encoded::<ruji_core::response::Answer>(name, sample),
        ("sessions", _) => encoded::<SessionState>(name, sample),
        ("results", _) => encoded::<ResultRecord>(name, sample),
        ("audit", _) => encoded::<AuditEntry>(name, sample),
        ("meta", "meta/schema_version") => encoded::<u32>(name, sample),
        ("meta", "meta/clock") => encoded::<ClockRecord>(name, sample),
        ("meta", "meta/package") => encoded::<ruji_core::package::Package>(name, sample),
        ("meta", "meta/package_source") => encoded::<PackageSource>(name, sample),
        ("meta", "meta/trusted_issuers") => encoded::<Vec<TrustedIssuer>>(name, sample),
        ("meta", "meta/proctor") => encoded::<ProctorAccount>(name, sample),
        ("meta", "meta/proctor_generation") => encoded::<u32>(name, sample),
        ("meta", "meta/cookie_key") => encoded::<Vec<u8>>(name, sample),
        ("meta", "meta/results_exported") => {
            encoded::<BTreeMap<String, ruji_core::Millis>>(name, sample)
        }
        ("meta", "meta/lockouts") => encoded::<BTreeMap<String, Lockout>>(name, sample),
        ("meta", "meta/proctor_logins" | "meta/invigilator_logins") => {
            encoded::<Vec<ProctorLogin>>(name, sample)
        }
        ("meta", "meta/invigilator") => encoded::<ProctorAccount>(name, sample),
        ("meta", "meta/invigilator_generation") => encoded::<u32>(name, sample),
        ("meta", "meta/reissued") => encoded::<Reissued>(name, sample),
        ("meta", "meta/pause") => encoded::<Pause>(name, sample),
        ("meta", "meta/session_notes") => encoded::<BTreeMap<String, SessionNotes>>(name, sample),
        _ => panic!("sample {name}: no record type known for it; add it to golden.rs"),
    }
}

fn samples(version: u32) -> BTreeMap<String, serde_json::Value> {
    let path = dir(version).join("samples.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (every schema version has samples)", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn read_bytes(version: u32) -> Option<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(dir(version).join("bytes.txt")).ok()?;
    Some(
        text.lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|l| {
                let (n, h) = l.split_once(' ').expect("`name hex` lines");
                (n.to_string(), h.trim().to_string())
            })
            .collect(),
    )
}

#[test]
fn every_record_encodes_to_its_golden_bytes() {
    let samples = samples(SCHEMA_VERSION);
    let encoded: BTreeMap<String, String> = samples
        .iter()
        .map(|(n, v)| (n.clone(), hex(&encode_sample(n, v))))
        .collect();
    let Some(golden) = read_bytes(SCHEMA_VERSION) else {
        if std::env::var_os("RUJI_GOLDEN_BLESS").is_some() {
            let mut out = format!(
                "# Schema version {SCHEMA_VERSION}: what each sample of samples.json encodes to \
                 (postcard). Never edit: a change is a new schema version (src/golden.rs).\n"
            );
            for (n, h) in &encoded {
                out.push_str(&format!("{n} {h}\n"));
            }
            std::fs::write(dir(SCHEMA_VERSION).join("bytes.txt"), out).unwrap();
            return;
        }
        panic!(
            "golden/v{SCHEMA_VERSION}/bytes.txt is missing; make it with RUJI_GOLDEN_BLESS=1 \
             (only for a new schema version)"
        );
    };
    assert_eq!(
        golden.keys().collect::<Vec<_>>(),
        encoded.keys().collect::<Vec<_>>(),
        "the samples and the golden bytes name the same records"
    );
    for (name, want) in &golden {
        assert_eq!(
            &encoded[name], want,
            "{name} encodes differently from schema version {SCHEMA_VERSION}: a changed record \
             encoding needs a new schema version and a migration (see src/golden.rs)"
        );
    }
}

/// Every older version's records reach the current version: through their migration where
/// one changed them, else unchanged (they decode as today's types and encode to the same bytes).
#[test]
fn older_versions_migrate_to_the_current_one() {
    for version in 1..SCHEMA_VERSION {
        let golden = read_bytes(version).expect("every version keeps its golden bytes");
        let old_samples = samples(version);
        for (name, hex_bytes) in &golden {
            let bytes: Vec<u8> = (0..hex_bytes.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex_bytes[i..i + 2], 16).unwrap())
                .collect();
            match (version, name.as_str()) {
                (1, "meta/package_source") => {
                    let new = crate::migrate::package_source_v1_to_v2(&bytes).unwrap();
                    let got: PackageSource = decode("golden", &new).unwrap();
                    let mut want: serde_json::Value = old_samples[name].clone();
                    want["nonce"] = "".into();
                    assert_eq!(got, serde_json::from_value::<PackageSource>(want).unwrap());
                }
                (1 | 2, "meta/package") => {
                    let new = crate::migrate::package_v2_to_v3(&bytes).unwrap();
                    let got: ruji_core::package::Package = decode("golden", &new).unwrap();
                    let mut want: serde_json::Value = old_samples[name].clone();
                    for t in want["tests"].as_array_mut().unwrap() {
                        t["rules"]["practice_minutes"] =
                            ruji_core::package::DEFAULT_PRACTICE_MINUTES.into();
                    }
                    for s in want["sessions"].as_array_mut().unwrap() {
                        s["minutes"] = serde_json::Value::Null;
                    }
                    let want: ruji_core::package::Package = serde_json::from_value(want).unwrap();
                    assert_eq!(got, want);
                }
                (1 | 2, n) if n.starts_with("attempts/") => {
                    let new = crate::migrate::attempt_v2_to_v3(&bytes).unwrap();
                    let got: ruji_core::attempt::Attempt = decode("golden", &new).unwrap();
                    let mut want: serde_json::Value = old_samples[name].clone();
                    want["practice"] = serde_json::Value::Null;
                    assert_eq!(
                        got,
                        serde_json::from_value::<ruji_core::attempt::Attempt>(want).unwrap()
                    );
                }
                (1 | 2, n) if n.starts_with("sessions/") => {
                    let new = crate::migrate::session_v2_to_v3(&bytes).unwrap();
                    let got: SessionState = decode("golden", &new).unwrap();
                    let mut want: serde_json::Value = old_samples[name].clone();
                    want["ends_at"] = serde_json::Value::Null;
                    assert_eq!(got, serde_json::from_value::<SessionState>(want).unwrap());
                }
                (_, "meta/schema_version") => {}
                _ => {
                    let sample = &old_samples[name];
                    assert_eq!(
                        encode_sample(name, sample),
                        bytes,
                        "v{version} {name}: unchanged since, so it must read the same"
                    );
                }
            }
        }
    }
}

#[test]
fn every_table_and_meta_key_has_a_golden_sample() {
    let samples = samples(SCHEMA_VERSION);
    let has = |prefix: &str| samples.keys().any(|k| k.starts_with(prefix));
    for t in TABLE_NAMES.iter().chain(["audit"].iter()) {
        assert!(has(&format!("{t}/")), "no golden sample of table {t}");
    }
    for k in META_KEY_NAMES {
        assert!(
            samples.contains_key(&format!("meta/{k}")),
            "no golden sample of meta key {k}"
        );
    }
}
