//! Migrations of older data files, run inside the opening transaction (so a file is migrated
//! whole or not at all). Each step reads the records of the version before as the golden
//! fixtures of that version pin them (`golden/v<N>`), and writes them as the next version.
//!
//! | from | to | what changed |
//! |---|---|---|
//! | 1 | 2 | `meta/package_source` gained `nonce` (the packing, for result bundles): empty until the package is imported again |
//! | 2 | 3 | `meta/package`: a test's rules gained `practice_minutes` (the guide's 10), a session `minutes` (none: the default length); `sessions/*` gained `ends_at` (none: a session open during the upgrade has no end until it is opened again); `attempts/*` gained `practice` (none: a practice under way during the upgrade stays untimed) |

use std::collections::BTreeMap;

use redb::{ReadableTable, Table, TableDefinition, WriteTransaction};
use ruji_core::attempt::{Attempt, ExamClock, Phase};
use ruji_core::package::{
    Item, Package, Participant, Session, Stimulus, Test, TestKind, TestRules,
    DEFAULT_PRACTICE_MINUTES,
};
use ruji_core::Millis;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use ruji_core::token::TokenState;

use crate::tables::{PackageSource, SessionState, ATTEMPTS, PACKAGE, PACKAGE_SOURCE, SESSIONS};
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

/// A record of table `table` stored as `Old`, as today's `New`.
fn upgrade<Old: DeserializeOwned, New: From<Old> + Serialize>(
    table: &'static str,
    bytes: &[u8],
) -> Result<Vec<u8>> {
    let old: Old = decode(table, bytes)?;
    Ok(encode(&New::from(old)))
}

/// Schema 1's `meta/package_source` bytes as schema 2's.
pub(crate) fn package_source_v1_to_v2(bytes: &[u8]) -> Result<Vec<u8>> {
    upgrade::<PackageSourceV1, PackageSource>("meta", bytes)
}

/// `TestRules` as schemas 1 and 2 stored them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct TestRulesV2 {
    pub shuffle_items: bool,
    pub shuffle_options: bool,
    pub refuse_finish_while_doubtful: bool,
    pub min_minutes_before_finish: u32,
    pub confirm_finish: bool,
    pub warning_minutes: u32,
}

/// `Test` as schemas 1 and 2 stored it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct TestV2 {
    pub id: String,
    pub name: String,
    pub kind: TestKind,
    pub duration_minutes: u32,
    pub items: Vec<String>,
    pub practice_items: Vec<String>,
    pub rules: TestRulesV2,
    pub sealed: bool,
}

/// `Session` as schemas 1 and 2 stored it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SessionV2 {
    pub id: String,
    pub name: String,
    pub day: String,
    pub start: String,
    pub tests: Vec<String>,
    pub participants: Vec<String>,
}

/// `Package` as schemas 1 and 2 stored it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct PackageV2 {
    pub id: String,
    pub title: String,
    pub issuer: String,
    pub stimuli: Vec<Stimulus>,
    pub items: Vec<Item>,
    pub tests: Vec<TestV2>,
    pub participants: Vec<Participant>,
    pub sessions: Vec<SessionV2>,
}

impl From<PackageV2> for Package {
    fn from(v: PackageV2) -> Package {
        Package {
            id: v.id,
            title: v.title,
            issuer: v.issuer,
            stimuli: v.stimuli,
            items: v.items,
            tests: v
                .tests
                .into_iter()
                .map(|t| Test {
                    id: t.id,
                    name: t.name,
                    kind: t.kind,
                    duration_minutes: t.duration_minutes,
                    items: t.items,
                    practice_items: t.practice_items,
                    rules: TestRules {
                        shuffle_items: t.rules.shuffle_items,
                        shuffle_options: t.rules.shuffle_options,
                        refuse_finish_while_doubtful: t.rules.refuse_finish_while_doubtful,
                        min_minutes_before_finish: t.rules.min_minutes_before_finish,
                        confirm_finish: t.rules.confirm_finish,
                        warning_minutes: t.rules.warning_minutes,
                        practice_minutes: DEFAULT_PRACTICE_MINUTES,
                    },
                    sealed: t.sealed,
                })
                .collect(),
            participants: v.participants,
            sessions: v
                .sessions
                .into_iter()
                .map(|s| Session {
                    id: s.id,
                    name: s.name,
                    day: s.day,
                    start: s.start,
                    tests: s.tests,
                    participants: s.participants,
                    minutes: None,
                })
                .collect(),
        }
    }
}

/// `SessionState` as schemas 1 and 2 stored it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SessionStateV2 {
    pub open: bool,
    pub token: Option<TokenState>,
    pub opened_at: Option<Millis>,
    pub closed_at: Option<Millis>,
}

impl From<SessionStateV2> for SessionState {
    fn from(v: SessionStateV2) -> SessionState {
        SessionState {
            open: v.open,
            token: v.token,
            opened_at: v.opened_at,
            closed_at: v.closed_at,
            ends_at: None,
        }
    }
}

/// `Attempt` as schemas 1 and 2 stored it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct AttemptV2 {
    pub username: String,
    pub test_id: String,
    pub phase: Phase,
    pub clock: ExamClock,
    pub started_at: Option<Millis>,
    pub login: Option<u64>,
}

impl From<AttemptV2> for Attempt {
    fn from(v: AttemptV2) -> Attempt {
        Attempt {
            username: v.username,
            test_id: v.test_id,
            phase: v.phase,
            clock: v.clock,
            started_at: v.started_at,
            login: v.login,
            practice: None,
        }
    }
}

/// Schema 2's `attempts/*` bytes as schema 3's.
pub(crate) fn attempt_v2_to_v3(bytes: &[u8]) -> Result<Vec<u8>> {
    upgrade::<AttemptV2, Attempt>("attempts", bytes)
}

/// Schema 2's `meta/package` bytes as schema 3's.
pub(crate) fn package_v2_to_v3(bytes: &[u8]) -> Result<Vec<u8>> {
    upgrade::<PackageV2, Package>("meta", bytes)
}

/// Schema 2's `sessions/*` bytes as schema 3's.
pub(crate) fn session_v2_to_v3(bytes: &[u8]) -> Result<Vec<u8>> {
    upgrade::<SessionStateV2, SessionState>("sessions", bytes)
}

/// Every record of table `name` through `step`.
fn rewrite(txn: &WriteTransaction, name: &str, step: fn(&[u8]) -> Result<Vec<u8>>) -> Result<()> {
    let mut table = txn.open_table(TableDefinition::<&str, &[u8]>::new(name))?;
    let old: Vec<(String, Vec<u8>)> = table
        .iter()?
        .map(|r| r.map(|(k, v)| (k.value().to_string(), v.value().to_vec())))
        .collect::<std::result::Result<_, _>>()?;
    for (k, v) in old {
        table.insert(k.as_str(), step(&v)?.as_slice())?;
    }
    Ok(())
}

/// Migrates the records from schema `from` to the current one, in `txn` (`meta` is open).
pub(crate) fn run(txn: &WriteTransaction, meta: &mut Table<&str, &[u8]>, from: u32) -> Result<()> {
    if from < 2 {
        let old: Option<Vec<u8>> = meta.get(PACKAGE_SOURCE.key())?.map(|v| v.value().to_vec());
        if let Some(old) = old {
            let new = package_source_v1_to_v2(&old)?;
            meta.insert(PACKAGE_SOURCE.key(), new.as_slice())?;
        }
    }
    if from < 3 {
        let old: Option<Vec<u8>> = meta.get(PACKAGE.key())?.map(|v| v.value().to_vec());
        if let Some(old) = old {
            meta.insert(PACKAGE.key(), package_v2_to_v3(&old)?.as_slice())?;
        }
        rewrite(txn, SESSIONS.name(), session_v2_to_v3)?;
        rewrite(txn, ATTEMPTS.name(), attempt_v2_to_v3)?;
    }
    Ok(())
}
