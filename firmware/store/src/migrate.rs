//! Migrations of older data files, run inside the opening transaction (so a file is migrated
//! whole or not at all). Each step reads the records of the version before as the golden
//! fixtures of that version pin them (`golden/v<N>`), and writes them as the next version.
//!
//! | from | to | what changed |
//! |---|---|---|
//! | 1 | 2 | `meta/package_source` gained `nonce` (the packing, for result bundles): empty until the package is imported again |

use std::collections::BTreeMap;

use redb::{ReadableTable, Table};
use serde::{Deserialize, Serialize};

use crate::tables::{PackageSource, PACKAGE_SOURCE};
use crate::{decode, encode, Result};

/// `PackageSource` as schema 1 stored it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PackageSourceV1 {
    pub file: String,
    pub id: String,
    pub released: BTreeMap<String, String>,
    pub sessions: Vec<String>,
    pub imported_at: u64,
    pub released_at: BTreeMap<String, u64>,
    pub issuer: String,
    pub issuer_key: String,
    pub bytes: u64,
}

impl From<PackageSourceV1> for PackageSource {
    fn from(v: PackageSourceV1) -> PackageSource {
        PackageSource {
            file: v.file,
            id: v.id,
            released: v.released,
            sessions: v.sessions,
            imported_at: v.imported_at,
            released_at: v.released_at,
            issuer: v.issuer,
            issuer_key: v.issuer_key,
            bytes: v.bytes,
            nonce: String::new(),
        }
    }
}

/// Schema 1's `meta/package_source` bytes as schema 2's.
pub(crate) fn package_source_v1_to_v2(bytes: &[u8]) -> Result<Vec<u8>> {
    let old: PackageSourceV1 = decode("meta", bytes)?;
    Ok(encode(&PackageSource::from(old)))
}

/// Migrates the `meta` table from schema `from` to the current one.
pub(crate) fn run(meta: &mut Table<&str, &[u8]>, from: u32) -> Result<()> {
    if from < 2 {
        let old: Option<Vec<u8>> = meta.get(PACKAGE_SOURCE.key())?.map(|v| v.value().to_vec());
        if let Some(old) = old {
            let new = package_source_v1_to_v2(&old)?;
            meta.insert(PACKAGE_SOURCE.key(), new.as_slice())?;
        }
    }
    Ok(())
}
