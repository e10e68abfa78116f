//! Each session's result bundle and its upload ([`ResultRecord`]): the bundle the board made
//! last, the tries to upload it, and the receipt of the newest bundle the central server
//! acknowledged. Each operation is one transaction; making a new bundle and receiving a receipt
//! are in the audit log, a failed try only in the process log.

use crate::room::{Refusal, RoomResult};
use crate::tables::{Acknowledged, BundleRef, ResultRecord, RESULTS};
use crate::{Action, Actor, Result, Store};

impl Store {
    /// The result record of session `id`.
    pub fn result_record(&self, id: &str) -> Result<Option<ResultRecord>> {
        self.reader()?.get(RESULTS, id)
    }

    /// Every session's result record, by session id.
    pub fn result_records(&self) -> Result<Vec<(String, ResultRecord)>> {
        self.reader()?.scan(RESULTS, "")
    }

    /// Records that the board made `bundle` for session `id` (it becomes the one to upload);
    /// `false` when it is already the current one (nothing written).
    pub async fn record_bundle(&self, id: &str, bundle: BundleRef) -> Result<bool> {
        let id = id.to_string();
        self.write(move |tx| {
            let mut rec: ResultRecord = tx.get(RESULTS, &id)?.unwrap_or_default();
            if rec.current.sha256 == bundle.sha256 {
                return Ok(false);
            }
            let detail = format!(
                "{id} {} (events up to {})",
                &bundle.sha256[..bundle.sha256.len().min(12)],
                bundle.as_of_seq
            );
            rec.current = bundle;
            rec.tries = 0;
            rec.last_problem.clear();
            rec.last_error.clear();
            tx.put(RESULTS, &id, &rec)?;
            tx.audit(Actor::System, Action::ResultsBundled, detail)?;
            Ok(true)
        })
        .await
    }

    /// Records a failed try to upload the bundle `sha256` of session `id` (nothing when it is
    /// no longer the current one).
    pub async fn record_upload_failure(
        &self,
        id: &str,
        sha256: &str,
        problem: &str,
        error: String,
        at: u64,
    ) -> Result<()> {
        let (id, sha, problem) = (id.to_string(), sha256.to_string(), problem.to_string());
        self.write(move |tx| {
            let Some(mut rec) = tx.get(RESULTS, &id)? else {
                return Ok(());
            };
            if rec.current.sha256 != sha {
                return Ok(());
            }
            rec.tries += 1;
            rec.last_problem = problem;
            rec.last_error = error;
            rec.last_try_at = at;
            tx.put(RESULTS, &id, &rec)
        })
        .await
    }

    /// Records the central server's receipt for the bundle `sha256` of session `id` (checked by
    /// the caller). Refused with [`Refusal::UnknownSession`] when the board has no such bundle
    /// as the session's current one.
    pub async fn record_receipt(
        &self,
        id: &str,
        sha256: &str,
        receipt: String,
        at: u64,
    ) -> RoomResult<()> {
        let (id, sha) = (id.to_string(), sha256.to_string());
        self.write(move |tx| {
            let Some(mut rec) = tx.get(RESULTS, &id)? else {
                return Ok(Err(Refusal::UnknownSession));
            };
            if rec.current.sha256 != sha {
                return Ok(Err(Refusal::UnknownSession));
            }
            if rec
                .acknowledged
                .as_ref()
                .is_some_and(|a| a.bundle.sha256 == sha)
            {
                return Ok(Ok(()));
            }
            rec.acknowledged = Some(Acknowledged {
                bundle: rec.current.clone(),
                receipt,
                at,
            });
            rec.last_problem.clear();
            rec.last_error.clear();
            tx.put(RESULTS, &id, &rec)?;
            tx.audit(
                Actor::System,
                Action::ResultsAcknowledged,
                format!("{id} {}", &sha[..sha.len().min(12)]),
            )?;
            Ok(Ok(()))
        })
        .await
    }
}
