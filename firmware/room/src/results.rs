//! Results leaving the board: a session's result bundle (signed by the board's device key,
//! kept under `<data>/results/<sha256>.rujihasil`), its upload to the central server with a
//! receipt, and what the proctor page shows of both.
//!
//! A bundle is made when a session closes, when the proctor asks for it, and at start for a
//! closed session that has none; making it again with nothing changed gives the same file and
//! writes nothing. The uploader ([`Room::uploader`]) sends the newest bundle of every session
//! that has no receipt yet, whenever a central server is set up: a failed try is recorded and
//! tried again later (after 30 s, doubling up to 10 min), across restarts, since the queue is
//! the store's records. The receipt is checked (the package's issuer signed it, for this file)
//! before it is recorded.

use std::path::PathBuf;
use std::time::Duration;

use ruji_core::package::Package;
use ruji_core::score;
use ruji_package::bundle::{
    self, AnswerResult, AttemptResult, BoardRef, Bundle, ItemShape, PackageRef, ParticipantResult,
    Receipt, SessionRef, TestShape,
};
use ruji_store::export::SessionExport;
use ruji_store::tables::{BundleRef, ResultRecord};

use crate::error::flat;
use crate::{Result, Room, RoomError};

/// First pause after a failed upload; it doubles up to [`RETRY_MAX`].
pub const RETRY_MIN: Duration = Duration::from_secs(30);
/// Longest pause between tries of one bundle.
pub const RETRY_MAX: Duration = Duration::from_secs(600);

/// Why an upload failed, as the proctor page words it (stored by name in
/// [`ResultRecord::last_problem`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadProblem {
    /// No connection: no internet, server down, timeout.
    Unreachable,
    /// The server's certificate was refused (the board's clock, or the wrong server).
    Certificate,
    /// The board's device key is not registered with the central server.
    DeviceUnknown,
    /// The server does not know the package (or holds another packing of it).
    PackageUnknown,
    /// The server refused the bundle as damaged or changed.
    BadBundle,
    /// The server is busy or failed on its side: the board tries again.
    ServerBusy,
    /// The server's receipt did not check (not the issuer's, or for another file).
    Receipt,
    /// The bundle file on the board could not be read.
    File,
    /// Anything else the server answered.
    Other,
}

impl UploadProblem {
    /// Every problem.
    pub const ALL: &'static [UploadProblem] = &[
        UploadProblem::Unreachable,
        UploadProblem::Certificate,
        UploadProblem::DeviceUnknown,
        UploadProblem::PackageUnknown,
        UploadProblem::BadBundle,
        UploadProblem::ServerBusy,
        UploadProblem::Receipt,
        UploadProblem::File,
        UploadProblem::Other,
    ];

    /// The stable name kept in the record.
    pub const fn name(self) -> &'static str {
        match self {
            UploadProblem::Unreachable => "unreachable",
            UploadProblem::Certificate => "certificate",
            UploadProblem::DeviceUnknown => "device_unknown",
            UploadProblem::PackageUnknown => "package_unknown",
            UploadProblem::BadBundle => "bad_bundle",
            UploadProblem::ServerBusy => "server_busy",
            UploadProblem::Receipt => "receipt",
            UploadProblem::File => "file",
            UploadProblem::Other => "other",
        }
    }

    /// The problem named `name` (`None` for an empty name: no problem).
    pub fn from_name(name: &str) -> Option<UploadProblem> {
        if name.is_empty() {
            return None;
        }
        Some(
            UploadProblem::ALL
                .iter()
                .copied()
                .find(|p| p.name() == name)
                .unwrap_or(UploadProblem::Other),
        )
    }

    /// The problem behind a failed call to the central server.
    pub fn of(e: &ruji_sync::CentralError) -> UploadProblem {
        use ruji_sync::{CentralError as E, RefusalCode as R};
        match e {
            E::Unreachable(_) => UploadProblem::Unreachable,
            E::Certificate(_) => UploadProblem::Certificate,
            E::Protocol(_) => UploadProblem::Other,
            E::Refused(r) => match r.error {
                R::DeviceUnknown | R::BadChallenge => UploadProblem::DeviceUnknown,
                R::UnknownPackage | R::PackageChanged | R::UnknownSession => {
                    UploadProblem::PackageUnknown
                }
                R::BadBundle => UploadProblem::BadBundle,
                R::Busy | R::Internal | R::WrongOffset => UploadProblem::ServerBusy,
                R::TooEarly | R::Unscheduled | R::BadRequest | R::Other => UploadProblem::Other,
            },
        }
    }
}

/// A session's results as the proctor page shows them.
#[derive(Debug, Clone)]
pub struct SessionResults {
    /// The session id.
    pub session: String,
    /// The record (`None`: no bundle made yet).
    pub record: Option<ResultRecord>,
}

impl SessionResults {
    /// The newest bundle has its receipt.
    pub fn acknowledged(&self) -> bool {
        self.record.as_ref().is_some_and(|r| {
            r.acknowledged
                .as_ref()
                .is_some_and(|a| a.bundle.sha256 == r.current.sha256)
        })
    }
}

/// Builds the bundle of a session from the store's export (pure: no I/O).
pub fn build(
    export: &SessionExport,
    pkg: &Package,
    package_key: (&str, &str),
    board: BoardRef,
) -> Bundle {
    let tests = export
        .session
        .tests
        .iter()
        .filter_map(|t| pkg.test(t))
        .map(|t| TestShape {
            id: t.id.clone(),
            name: t.name.clone(),
            kind: t.kind,
            duration_minutes: t.duration_minutes,
            items: t
                .items
                .iter()
                .filter_map(|i| pkg.item(i))
                .map(|i| ItemShape {
                    id: i.id.clone(),
                    item_type: i.item_type(),
                    points: i.points,
                    options: i.response_ids(),
                })
                .collect(),
        })
        .collect();
    let participants = export
        .participants
        .iter()
        .map(|p| ParticipantResult {
            username: p.participant.username.clone(),
            name: p.participant.name.clone(),
            class: p.participant.class.clone(),
            reserve: p.participant.reserve,
            reserve_active: p.record.state.reserve_active,
            resets: p.record.state.resets,
            attempts: p
                .attempts
                .iter()
                .map(|a| {
                    let scores = score::score_test(pkg, &a.test, |i| {
                        a.answers.get(i).and_then(|x| x.response.as_ref())
                    });
                    let (reason, finished_at) = match &a.attempt.phase {
                        ruji_core::attempt::Phase::Finished { reason, at } => (
                            match reason {
                                ruji_core::attempt::FinishReason::Proctor(r) => Some(r.clone()),
                                _ => None,
                            },
                            Some(*at),
                        ),
                        _ => (None, None),
                    };
                    let clock = &a.attempt.clock;
                    AttemptResult {
                        test: a.test.id.clone(),
                        state: a.attempt.phase.outcome(),
                        reason,
                        started_at_ms: a.attempt.started_at,
                        finished_at_ms: finished_at,
                        time_used_ms: clock.used,
                        time_limit_ms: clock.limit,
                        score: scores.total,
                        max_score: scores.max,
                        answers: scores
                            .items
                            .into_iter()
                            .map(|(item, score)| {
                                let saved = a.answers.get(&item);
                                AnswerResult {
                                    response: saved.and_then(|x| x.response.clone()),
                                    doubtful: saved.is_some_and(|x| x.doubtful),
                                    saved_at_ms: saved.map(|x| x.saved_at),
                                    seq: saved.map(|x| x.seq),
                                    rev: saved.map_or(0, |x| x.rev),
                                    score,
                                    item,
                                }
                            })
                            .collect(),
                    }
                })
                .collect(),
        })
        .collect();
    let s = &export.session;
    Bundle {
        format: bundle::FORMAT.into(),
        version: bundle::VERSION,
        generated_by: format!("Ruji {}", env!("CARGO_PKG_VERSION")),
        board,
        package: PackageRef {
            id: pkg.id.clone(),
            title: pkg.title.clone(),
            issuer: pkg.issuer.clone(),
            issuer_key: package_key.0.to_string(),
            nonce: package_key.1.to_string(),
        },
        session: SessionRef {
            id: s.id.clone(),
            name: s.name.clone(),
            day: s.day.clone(),
            start: s.start.clone(),
            open: export.state.open,
            opened_at_ms: export.state.opened_at,
            closed_at_ms: export.state.closed_at,
        },
        as_of_seq: export.as_of_seq,
        tests,
        participants,
        events: export.events.clone(),
    }
}

impl Room {
    fn results_dir(&self) -> Result<PathBuf> {
        self.settings()
            .data_dir
            .as_ref()
            .map(|d| d.join("results"))
            .ok_or(RoomError::NoResultsDir)
    }

    /// Makes the result bundle of session `id` (nothing is written when it would be the same
    /// file as the current one); returns the current bundle.
    pub async fn make_bundle(&self, id: &str) -> Result<BundleRef> {
        let _one_at_a_time = self.0.bundling.lock().await;
        let key = self
            .settings()
            .device_key
            .clone()
            .ok_or(RoomError::NoIdentity)?;
        let dir = self.results_dir()?;
        let (room, sid) = (self.clone(), id.to_string());
        let (bundle_ref, made) = crate::blocking(move || {
            let export = flat(room.store().session_export(&sid))?;
            let pkg = room.package();
            let source = room.package_source().unwrap_or_default();
            let board = BoardRef {
                id: key.id(),
                key: key.public(),
            };
            let b = build(&export, &pkg, (&source.issuer_key, &source.nonce), board);
            let file = bundle::seal(&b, &key);
            let sha = bundle::sha256_hex(&file);
            let name = format!("{sha}.{}", bundle::EXTENSION);
            let current = room.store().result_record(&sid)?;
            if current.as_ref().is_some_and(|r| r.current.sha256 == sha) && dir.join(&name).exists()
            {
                return Ok((current.map(|r| r.current).unwrap_or_default(), false));
            }
            ruji_sys::write_durable(&dir.join(&name), &file, 0o644)
                .map_err(|e| RoomError::Storage(io_storage(&e)))?;
            Ok((
                BundleRef {
                    file: name,
                    sha256: sha,
                    as_of_seq: b.as_of_seq,
                    made_at: ruji_sys::unix_secs(),
                },
                true,
            ))
        })
        .await?;
        if made {
            self.store().record_bundle(id, bundle_ref.clone()).await?;
            tracing::info!(session = id, sha256 = %bundle_ref.sha256, "result bundle made");
            self.0.uploads.notify_one();
        }
        Ok(bundle_ref)
    }

    /// The current bundle file of session `id`: its download name and bytes (made first when
    /// there is none or the session changed since).
    pub async fn bundle_file(&self, id: &str) -> Result<(String, Vec<u8>)> {
        let r = self.make_bundle(id).await?;
        let dir = self.results_dir()?;
        let bytes = tokio::fs::read(dir.join(&r.file))
            .await
            .map_err(|e| RoomError::Storage(io_storage(&e)))?;
        let name = bundle::verify(&bytes, None)
            .map(|v| bundle::file_name(&v.bundle))
            .unwrap_or_else(|_| r.file.clone());
        Ok((name, bytes))
    }

    /// [`Room::bundle_file`] for the proctor's download: the session counts as backed up.
    pub async fn download_bundle(&self, id: &str) -> Result<(String, Vec<u8>)> {
        let file = self.bundle_file(id).await?;
        if let Err(e) = flat(self.store().mark_results_exported(id).await) {
            tracing::warn!(session = id, error = %e, "results download not recorded");
        }
        Ok(file)
    }

    /// Every session of the package with its result record, in package order.
    pub fn session_results(&self) -> Result<Vec<SessionResults>> {
        let records: std::collections::BTreeMap<String, ResultRecord> =
            self.store().result_records()?.into_iter().collect();
        Ok(self
            .package()
            .sessions
            .iter()
            .map(|s| SessionResults {
                session: s.id.clone(),
                record: records.get(&s.id).cloned(),
            })
            .collect())
    }

    /// Closed sessions where someone started whose newest bundle has no receipt: what the
    /// "results not uploaded" attention is about. Empty without a central server.
    pub fn results_not_uploaded(&self) -> Result<Vec<String>> {
        if self.settings().central.is_none() {
            return Ok(vec![]);
        }
        self.unacknowledged()
    }

    /// Sessions with results whose newest bundle has no receipt (or no bundle yet).
    fn unacknowledged(&self) -> Result<Vec<String>> {
        let with_results = self.store().sessions_with_results()?;
        let records: std::collections::BTreeMap<String, ResultRecord> =
            self.store().result_records()?.into_iter().collect();
        Ok(with_results
            .into_iter()
            .filter(|s| {
                !records.get(s).is_some_and(|r| {
                    r.acknowledged
                        .as_ref()
                        .is_some_and(|a| a.bundle.sha256 == r.current.sha256)
                })
            })
            .collect())
    }

    /// The earlier days' sessions whose receipts session `id` waits for before it may open
    /// (`[results] gate_next_day`; empty when the setting is off).
    pub fn awaiting_receipts(&self, id: &str) -> Result<Vec<String>> {
        if !self.settings().gate_next_day {
            return Ok(vec![]);
        }
        let pkg = self.package();
        let Some(day) = pkg.sessions.iter().find(|s| s.id == id).map(|s| &s.day) else {
            return Ok(vec![]);
        };
        let unacknowledged = self.unacknowledged()?;
        let earlier = pkg.sessions.iter().map(|s| ruji_core::gate::Earlier {
            id: &s.id,
            day: &s.day,
            awaiting: unacknowledged.contains(&s.id),
        });
        Ok(ruji_core::gate::awaiting_receipts(day, earlier)
            .into_iter()
            .map(str::to_string)
            .collect())
    }

    /// Checks a receipt for the current bundle of its session and records it.
    pub async fn accept_receipt(&self, text: &str) -> Result<()> {
        let receipt: Receipt = serde_json::from_str(text)
            .map_err(|e| RoomError::Receipt(format!("not a receipt: {e}")))?;
        let rec = self
            .store()
            .result_record(&receipt.session)?
            .ok_or_else(|| RoomError::Receipt("no bundle of that session on this board".into()))?;
        let issuer = self.package_source().unwrap_or_default().issuer_key;
        receipt
            .check(&issuer, &rec.current.sha256)
            .map_err(RoomError::Receipt)?;
        flat(
            self.store()
                .record_receipt(
                    &receipt.session,
                    &rec.current.sha256,
                    text.to_string(),
                    ruji_sys::unix_secs(),
                )
                .await,
        )?;
        tracing::info!(session = %receipt.session, "results acknowledged by the central server");
        self.forget_old_bundles(&receipt.session).await;
        Ok(())
    }

    /// Removes bundle files of a session that are neither current nor acknowledged.
    async fn forget_old_bundles(&self, _session: &str) {
        let Ok(dir) = self.results_dir() else { return };
        let Ok(records) = self.store().result_records() else {
            return;
        };
        let keep: std::collections::BTreeSet<String> = records
            .iter()
            .flat_map(|(_, r)| {
                std::iter::once(r.current.file.clone())
                    .chain(r.acknowledged.iter().map(|a| a.bundle.file.clone()))
            })
            .collect();
        let _ = crate::blocking(move || {
            if let Ok(rd) = std::fs::read_dir(&dir) {
                for e in rd.flatten() {
                    let name = e.file_name().to_string_lossy().into_owned();
                    if name.ends_with(bundle::EXTENSION) && !keep.contains(&name) {
                        let _ = std::fs::remove_file(e.path());
                    }
                }
            }
            Ok(())
        })
        .await;
    }
}

/// How long to wait before the next try of a bundle tried `tries` times (0: at once).
pub fn backoff(tries: u32) -> Duration {
    if tries == 0 {
        return Duration::ZERO;
    }
    let doubled = RETRY_MIN.saturating_mul(1u32 << (tries - 1).min(16));
    doubled.min(RETRY_MAX)
}

impl Room {
    /// Makes the missing bundles (a closed session with results but no bundle: after a crash
    /// between the close and the bundle, or on a board updated from before bundles), then
    /// uploads whatever has no receipt whenever a central server is set up, until the task is
    /// dropped.
    pub async fn uploader(self) {
        match self.store().sessions_with_results() {
            Ok(ids) => {
                for id in ids {
                    let missing = self.store().result_record(&id).ok().flatten().is_none();
                    if missing {
                        if let Err(e) = self.make_bundle(&id).await {
                            tracing::warn!(session = %id, error = %e, "cannot make the result bundle");
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot list the sessions with results"),
        }
        let client = match &self.settings().central {
            Some(Ok(c)) => c.clone(),
            _ => return,
        };
        loop {
            let wait = self.upload_pending(&client).await;
            tokio::select! {
                () = self.0.uploads.notified() => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// One round: tries every bundle without a receipt whose pause is over; returns how long
    /// until the next one is due (at most [`RETRY_MAX`]).
    async fn upload_pending(&self, client: &ruji_sync::Client) -> Duration {
        let mut next = RETRY_MAX;
        let records = match self.store().result_records() {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the result records");
                return RETRY_MIN;
            }
        };
        let now = ruji_sys::unix_secs();
        let forced = self
            .0
            .upload_now
            .swap(false, std::sync::atomic::Ordering::Relaxed);
        for (session, rec) in records {
            let done = rec
                .acknowledged
                .as_ref()
                .is_some_and(|a| a.bundle.sha256 == rec.current.sha256);
            if done || rec.current.sha256.is_empty() {
                continue;
            }
            let due = rec.last_try_at + backoff(rec.tries).as_secs();
            if now < due && !forced {
                next = next.min(Duration::from_secs(due - now));
                continue;
            }
            match self.upload_one(client, &session, &rec).await {
                Ok(()) => {}
                Err((problem, e)) => {
                    tracing::info!(session = %session, problem = problem.name(), error = %e, "results not uploaded yet; tried again later");
                    let _ = self
                        .store()
                        .record_upload_failure(
                            &session,
                            &rec.current.sha256,
                            problem.name(),
                            e,
                            ruji_sys::unix_secs(),
                        )
                        .await;
                    next = next.min(backoff(rec.tries + 1));
                }
            }
        }
        next
    }

    /// Uploads the current bundle of `session` and records the receipt.
    async fn upload_one(
        &self,
        client: &ruji_sync::Client,
        session: &str,
        rec: &ResultRecord,
    ) -> std::result::Result<(), (UploadProblem, String)> {
        let dir = self
            .results_dir()
            .map_err(|e| (UploadProblem::File, e.to_string()))?;
        let bytes = tokio::fs::read(dir.join(&rec.current.file))
            .await
            .map_err(|e| (UploadProblem::File, format!("{}: {e}", rec.current.file)))?;
        self.clock_before_central().await;
        let receipt = client
            .upload_results(&bytes)
            .await
            .map_err(|e| (UploadProblem::of(&e), e.to_string()))?;
        let text = serde_json::to_string_pretty(&receipt).expect("a receipt serialises");
        self.accept_receipt(&text)
            .await
            .map_err(|e| (UploadProblem::Receipt, e.to_string()))?;
        tracing::info!(session, sha256 = %rec.current.sha256, "results uploaded; receipt kept");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tries_back_off_from_30_s_to_10_min() {
        assert_eq!(backoff(0), Duration::ZERO);
        assert_eq!(backoff(1), Duration::from_secs(30));
        assert_eq!(backoff(2), Duration::from_secs(60));
        assert_eq!(backoff(5), Duration::from_secs(480));
        assert_eq!(backoff(6), RETRY_MAX);
        assert_eq!(backoff(60), RETRY_MAX);
    }
}

/// A participant of a session and whether the central server has their results as they are
/// now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParticipantAck {
    /// Username.
    pub username: String,
    /// Name.
    pub name: String,
    /// The acknowledged bundle holds exactly what the current one holds for them.
    pub acknowledged: bool,
}

impl Room {
    /// Per participant of session `id`: does the newest acknowledged bundle hold their results
    /// as the newest bundle does? (Read from the two files, on the blocking pool.)
    pub async fn participant_acks(&self, id: &str) -> Result<Vec<ParticipantAck>> {
        let dir = self.results_dir()?;
        let rec = self.store().result_record(id)?;
        crate::blocking(move || {
            let Some(rec) = rec else { return Ok(vec![]) };
            let read = |file: &str| -> Option<Bundle> {
                let bytes = std::fs::read(dir.join(file)).ok()?;
                bundle::verify(&bytes, None).ok().map(|v| v.bundle)
            };
            let Some(current) = read(&rec.current.file) else {
                return Ok(vec![]);
            };
            let acked = rec.acknowledged.as_ref().and_then(|a| {
                if a.bundle.sha256 == rec.current.sha256 {
                    Some(current.clone())
                } else {
                    read(&a.bundle.file)
                }
            });
            Ok(current
                .participants
                .iter()
                .map(|p| ParticipantAck {
                    username: p.username.clone(),
                    name: p.name.clone(),
                    acknowledged: acked.as_ref().is_some_and(|a| {
                        a.participants
                            .iter()
                            .any(|q| q.username == p.username && q == p)
                    }),
                })
                .collect())
        })
        .await
    }

    /// Wakes the uploader and has it try every bundle without a receipt at once, whatever its
    /// pause (the proctor's "upload now", after plugging the board into the internet).
    pub fn upload_now(&self) {
        self.0
            .upload_now
            .store(true, std::sync::atomic::Ordering::Relaxed);
        self.0.uploads.notify_one();
    }
}

/// A file of the data partition that could not be written or read, as a storage failure with
/// its fault (a full card is told apart from a failing one).
fn io_storage(e: &std::io::Error) -> ruji_store::StoreError {
    ruji_store::StoreError::storage(ruji_store::Fault::of_io(e), e.to_string())
}
