//! Result bundles coming in: by upload from a board (`GET`/`PUT /api/v1/results/{sha256}`, in
//! pieces, going on from what the server has) or by hand on the page `/results`. A complete
//! bundle is checked (its SHA-256 is its name, the board's signature, a registered board, a
//! package and session the server hands out, the same packing), stored once under
//! `<results>/<package>/<session>/<sha256>.rujihasil`, and answered with a receipt signed by
//! the issuer's key, kept beside it: the same bundle again gets the same receipt and changes
//! nothing.
//!
//! Bounds: at most [`MAX_PARTIAL`] uploads in progress (older than a day are dropped when room
//! is needed), each at most [`bundle::MAX_BUNDLE_BYTES`], a piece at most
//! [`proto::RESULTS_CHUNK_BYTES`] (+ slack); one upload piece is written at a time.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::extract::{Multipart, Path as UrlPath, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use ruji_package::bundle::{self, Receipt, Verified};
use ruji_sync::{self as proto, Refusal, RefusalCode, UploadStatus};
use serde::Deserialize;

use crate::Central;

/// Most uploads in progress at once.
pub const MAX_PARTIAL: usize = 1000;
/// An upload in progress untouched this long may be dropped (seconds).
pub const PARTIAL_TTL_SECS: u64 = 24 * 3600;

/// Where bundles and receipts are kept, and what is known of them.
pub struct Results {
    dir: PathBuf,
    /// Receipts by bundle SHA-256 (loaded at start, added on each new bundle).
    receipts: Mutex<HashMap<String, Receipt>>,
    /// Held while a piece is written or a bundle stored: one at a time.
    writing: tokio::sync::Mutex<()>,
}

fn refuse(status: StatusCode, error: RefusalCode, message: impl Into<String>) -> Response {
    (status, Json(Refusal::new(error, message))).into_response()
}

fn is_sha(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// A path part from an id (letters, digits, `-`, `_`, `.`; anything else `_`).
fn part(s: &str) -> String {
    let p: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if p.is_empty() || p.starts_with('.') {
        format!("_{p}")
    } else {
        p
    }
}

impl Results {
    /// The results kept in `dir` (created when missing; receipts there are read).
    pub fn open(dir: &Path) -> Result<Results, String> {
        std::fs::create_dir_all(dir.join("incoming"))
            .map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut receipts = HashMap::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            let Ok(rd) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() && !p.ends_with("incoming") {
                    stack.push(p);
                } else if p.to_string_lossy().ends_with(".receipt.json") {
                    let text =
                        std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
                    let r: Receipt =
                        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))?;
                    receipts.insert(r.bundle_sha256.clone(), r);
                }
            }
        }
        Ok(Results {
            dir: dir.to_path_buf(),
            receipts: Mutex::new(receipts),
            writing: tokio::sync::Mutex::new(()),
        })
    }

    fn receipt(&self, sha: &str) -> Option<Receipt> {
        self.receipts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(sha)
            .cloned()
    }

    fn partial(&self, sha: &str) -> PathBuf {
        self.dir.join("incoming").join(format!("{sha}.part"))
    }

    /// How many bundles were received (for the log).
    pub fn count(&self) -> usize {
        self.receipts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }

    /// Makes room for a new upload in progress: drops those untouched for a day; refuses when
    /// still full.
    fn room_for_partial(&self) -> Result<(), String> {
        let incoming = self.dir.join("incoming");
        let entries: Vec<_> = std::fs::read_dir(&incoming)
            .map_err(|e| e.to_string())?
            .flatten()
            .collect();
        if entries.len() < MAX_PARTIAL {
            return Ok(());
        }
        let now = std::time::SystemTime::now();
        for e in &entries {
            let old = e
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| now.duration_since(t).ok())
                .is_some_and(|age| age.as_secs() > PARTIAL_TTL_SECS);
            if old {
                let _ = std::fs::remove_file(e.path());
            }
        }
        let left = std::fs::read_dir(&incoming)
            .map_err(|e| e.to_string())?
            .count();
        if left >= MAX_PARTIAL {
            return Err(format!("{left} uploads in progress"));
        }
        Ok(())
    }
}

impl Central {
    /// Checks a complete bundle (see the module docs) and stores it with its receipt; the
    /// receipt of the same bundle when it was stored before.
    pub async fn accept_bundle(&self, bytes: &[u8]) -> Result<Receipt, (StatusCode, Refusal)> {
        let results = self.results.as_ref().ok_or_else(|| {
            (
                StatusCode::NOT_FOUND,
                Refusal::new(
                    RefusalCode::BadRequest,
                    "this server does not collect results",
                ),
            )
        })?;
        let bad = |code, m: String| (StatusCode::UNPROCESSABLE_ENTITY, Refusal::new(code, m));
        let boards = self
            .opts
            .devices
            .as_ref()
            .map(|d| d.iter().map(|d| d.key.clone()).collect::<Vec<_>>());
        let v: Verified = bundle::verify(bytes, boards.as_deref()).map_err(|e| match e {
            bundle::BundleError::UnknownBoard(b) => (
                StatusCode::FORBIDDEN,
                Refusal::new(
                    RefusalCode::DeviceUnknown,
                    format!("board {b} is not registered with this server"),
                ),
            ),
            other => bad(RefusalCode::BadBundle, other.to_string()),
        })?;
        if let Some(r) = results.receipt(&v.sha256) {
            return Ok(r);
        }
        let b = &v.bundle;
        let Some(m) = self.packages.get(&b.package.id) else {
            return Err(bad(
                RefusalCode::UnknownPackage,
                format!("this server does not hand out package {}", b.package.id),
            ));
        };
        if !b.package.nonce.is_empty() && b.package.nonce != m.nonce {
            return Err(bad(
                RefusalCode::PackageChanged,
                format!(
                    "the bundle is of another packing of {} than this server's",
                    m.id
                ),
            ));
        }
        if m.sessions.iter().all(|s| s.id != b.session.id) {
            return Err(bad(
                RefusalCode::UnknownSession,
                format!("package {} has no session {}", m.id, b.session.id),
            ));
        }
        let _one = results.writing.lock().await;
        if let Some(r) = results.receipt(&v.sha256) {
            return Ok(r);
        }
        let received_at = u64::try_from((self.now)()).unwrap_or(0);
        let receipt = Receipt::sign(&v, received_at, &self.opts.key);
        let dir = results
            .dir
            .join(part(&b.package.id))
            .join(part(&b.session.id));
        let name = format!("{}.{}", v.sha256, bundle::EXTENSION);
        let stored = (|| {
            ruji_sys::write_durable(&dir.join(&name), bytes, 0o644)?;
            let text = serde_json::to_vec_pretty(&receipt).expect("a receipt serialises");
            ruji_sys::write_durable(
                &dir.join(format!("{}.receipt.json", v.sha256)),
                &text,
                0o644,
            )
        })();
        if let Err(e) = stored {
            tracing::error!(error = %e, "cannot store a result bundle");
            return Err((
                StatusCode::INTERNAL_SERVER_ERROR,
                Refusal::new(RefusalCode::Internal, "the server cannot store the bundle"),
            ));
        }
        tracing::info!(
            board = ?b.board.id,
            package = ?b.package.id,
            session = ?b.session.id,
            sha256 = %v.sha256,
            "result bundle stored"
        );
        results
            .receipts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(v.sha256.clone(), receipt.clone());
        Ok(receipt)
    }
}

/// `GET /api/v1/results/{sha256}`: how much of the bundle the server has, or its receipt.
pub(crate) async fn status(
    State(c): State<Arc<Central>>,
    UrlPath(sha): UrlPath<String>,
) -> Response {
    let Some(results) = c.results.as_ref() else {
        return refuse(
            StatusCode::NOT_FOUND,
            RefusalCode::BadRequest,
            "this server does not collect results",
        );
    };
    if !is_sha(&sha) {
        return refuse(
            StatusCode::BAD_REQUEST,
            RefusalCode::BadRequest,
            "not a SHA-256 in hex",
        );
    }
    if let Some(r) = results.receipt(&sha) {
        return Json(UploadStatus {
            received: 0,
            receipt: Some(r),
        })
        .into_response();
    }
    let received = std::fs::metadata(results.partial(&sha))
        .map(|m| m.len())
        .unwrap_or(0);
    Json(UploadStatus {
        received,
        receipt: None,
    })
    .into_response()
}

#[derive(Deserialize)]
pub(crate) struct Piece {
    offset: u64,
    total: u64,
}

/// `PUT /api/v1/results/{sha256}?offset=N&total=T`: a piece of a bundle, from byte N of T.
pub(crate) async fn put(
    State(c): State<Arc<Central>>,
    UrlPath(sha): UrlPath<String>,
    Query(q): Query<Piece>,
    body: axum::body::Bytes,
) -> Response {
    let Some(results) = c.results.as_ref() else {
        return refuse(
            StatusCode::NOT_FOUND,
            RefusalCode::BadRequest,
            "this server does not collect results",
        );
    };
    if !is_sha(&sha) {
        return refuse(
            StatusCode::BAD_REQUEST,
            RefusalCode::BadRequest,
            "not a SHA-256 in hex",
        );
    }
    if q.total == 0 || q.total > bundle::MAX_BUNDLE_BYTES as u64 {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            RefusalCode::BadRequest,
            format!("a bundle is 1 to {} bytes", bundle::MAX_BUNDLE_BYTES),
        );
    }
    if let Some(r) = results.receipt(&sha) {
        return Json(UploadStatus {
            received: q.total,
            receipt: Some(r),
        })
        .into_response();
    }
    let path = results.partial(&sha);
    let complete = {
        let _one = results.writing.lock().await;
        let have = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        if have == 0 {
            if let Err(e) = results.room_for_partial() {
                tracing::warn!(error = %e, "result upload refused: busy");
                return refuse(
                    StatusCode::SERVICE_UNAVAILABLE,
                    RefusalCode::Busy,
                    "too many uploads in progress; try again later",
                );
            }
        }
        if q.offset != have || q.offset + body.len() as u64 > q.total {
            return (
                StatusCode::CONFLICT,
                Json(Refusal::new(
                    RefusalCode::WrongOffset,
                    format!("the server has {have} bytes"),
                )),
            )
                .into_response();
        }
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| {
                std::io::Write::write_all(&mut f, &body)?;
                f.sync_all()
            });
        if let Err(e) = written {
            tracing::error!(error = %e, "cannot write an upload piece");
            return refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                RefusalCode::Internal,
                "the server cannot store the upload",
            );
        }
        have + body.len() as u64 == q.total
    };
    if !complete {
        return Json(UploadStatus {
            received: q.offset + body.len() as u64,
            receipt: None,
        })
        .into_response();
    }
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "cannot read a complete upload");
            return refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                RefusalCode::Internal,
                "the server cannot read the upload",
            );
        }
    };
    let _ = std::fs::remove_file(&path);
    if bundle::sha256_hex(&bytes) != sha {
        return refuse(StatusCode::UNPROCESSABLE_ENTITY, RefusalCode::BadBundle, "the bytes received do not have the SHA-256 they were sent under; send the bundle again");
    }
    match c.accept_bundle(&bytes).await {
        Ok(r) => Json(UploadStatus {
            received: q.total,
            receipt: Some(r),
        })
        .into_response(),
        Err((status, r)) => {
            tracing::warn!(error = %r.error, message = ?r.message, "result bundle refused");
            (status, Json(r)).into_response()
        }
    }
}

/// `GET /results`: the page to upload a bundle by hand (from a USB stick).
pub(crate) async fn page() -> Html<&'static str> {
    Html(UPLOAD_PAGE)
}

const UPLOAD_PAGE: &str = r#"<!DOCTYPE html>
<html lang="id"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Unggah hasil / Upload results - Ruji</title></head>
<body style="font-family:sans-serif;max-width:40em;margin:2em auto;padding:0 1em">
<h1>Unggah hasil ujian / Upload exam results</h1>
<p>Pilih berkas hasil (<code>.rujihasil</code>) dari flashdisk papan Ruji, lalu tekan Unggah. Anda menerima berkas tanda terima: bawa kembali ke papan dan unggah di halaman Hasil.</p>
<p><i>Choose the results file (<code>.rujihasil</code>) from the Ruji board's USB stick and press Upload. You get a receipt file: take it back to the board and upload it on its Results page.</i></p>
<form method="post" action="/results" enctype="multipart/form-data">
<input type="file" name="bundle" accept=".rujihasil" required>
<button type="submit">Unggah / Upload</button>
</form></body></html>
"#;

/// `POST /results` (multipart `bundle`): a bundle uploaded by hand; answers with the receipt as
/// a file to download.
pub(crate) async fn upload(State(c): State<Arc<Central>>, mut mp: Multipart) -> Response {
    let mut bytes = None;
    loop {
        match mp.next_field().await {
            Ok(Some(f)) if f.name() == Some("bundle") => match f.bytes().await {
                Ok(b) => bytes = Some(b),
                Err(e) => {
                    return (
                        StatusCode::BAD_REQUEST,
                        format!("Unggahan terputus / the upload was cut: {e}\n"),
                    )
                        .into_response()
                }
            },
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) => {
                return (
                    StatusCode::BAD_REQUEST,
                    format!("Unggahan terputus / the upload was cut: {e}\n"),
                )
                    .into_response()
            }
        }
    }
    let Some(bytes) = bytes else {
        return (
            StatusCode::BAD_REQUEST,
            "Pilih berkas .rujihasil / choose a .rujihasil file\n",
        )
            .into_response();
    };
    match c.accept_bundle(&bytes).await {
        Ok(r) => {
            let name = format!(
                "tanda-terima-{}-{}.json",
                part(&r.package),
                part(&r.session)
            );
            (
                [
                    (header::CONTENT_TYPE, "application/json".to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{name}\""),
                    ),
                ],
                serde_json::to_string_pretty(&r).expect("a receipt serialises"),
            )
                .into_response()
        }
        Err((status, r)) => (
            status,
            format!(
                "Berkas ditolak / the file was refused: {} ({})\n",
                r.message, r.error
            ),
        )
            .into_response(),
    }
}

/// The routes of results, with their body limits.
pub(crate) fn routes() -> axum::Router<Arc<Central>> {
    use axum::extract::DefaultBodyLimit;
    use axum::routing::get;
    axum::Router::new()
        .route(
            &format!("{}/results/{{sha}}", proto::API),
            get(status)
                .put(put)
                .layer(DefaultBodyLimit::max(proto::RESULTS_CHUNK_BYTES + 4096)),
        )
        .route(
            "/results",
            get(page)
                .post(upload)
                .layer(DefaultBodyLimit::max(bundle::MAX_BUNDLE_BYTES + 64 * 1024)),
        )
}
