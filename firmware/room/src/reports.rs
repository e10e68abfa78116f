//! Reports for teachers from the board's own results files (the same as `ruji results report`,
//! [`ruji_report`]): one session or every session with results, as XLSX, printable HTML or one
//! CSV part, for the proctor page's downloads.

use ruji_package::bundle;
pub use ruji_report::{Lang, Part};

use crate::{Result, Room, RoomError};

/// What a report download is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    /// An XLSX workbook, one sheet per part.
    Xlsx,
    /// One printable HTML page (A4) in a language.
    Html(Lang),
    /// One part as CSV.
    Csv(Part),
}

/// A report file ready to download.
#[derive(Debug, Clone)]
pub struct ReportFile {
    /// Download name, `laporan-<package>-<session or semua>.<ext>`.
    pub name: String,
    /// MIME type.
    pub content_type: &'static str,
    /// The bytes.
    pub bytes: Vec<u8>,
}

impl Room {
    /// The report of session `session` (`None`: every session with results), from the current
    /// results files (made first where a session changed since), checked against the board's
    /// own key. Built on the blocking pool.
    pub async fn report(&self, session: Option<&str>, format: ReportFormat) -> Result<ReportFile> {
        let ids = match session {
            Some(id) => {
                if self.package().session(id).is_none() {
                    return Err(ruji_store::room::Refusal::UnknownSession.into());
                }
                vec![id.to_string()]
            }
            None => self.store().sessions_with_results()?,
        };
        if ids.is_empty() {
            return Err(RoomError::Report("no session has results yet".into()));
        }
        let mut files = Vec::with_capacity(ids.len());
        for id in &ids {
            files.push(self.bundle_file(id).await?.1);
        }
        let board = self
            .settings()
            .device_key
            .as_ref()
            .map(|k| k.public())
            .ok_or(RoomError::NoIdentity)?;
        let package = self.package().id.clone();
        let scope = match session {
            Some(id) => id.to_string(),
            None => "semua".into(),
        };
        crate::blocking(move || {
            let verified = files
                .iter()
                .map(|f| bundle::verify(f, Some(std::slice::from_ref(&board))))
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| RoomError::Report(e.to_string()))?;
            let report = ruji_report::Report::from_bundles(&verified).map_err(RoomError::Report)?;
            let clean = |s: &str| -> String {
                s.chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || c == '-' {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect()
            };
            let stem = format!("laporan-{}-{}", clean(&package), clean(&scope));
            Ok(match format {
                ReportFormat::Xlsx => ReportFile {
                    name: format!("{stem}.xlsx"),
                    content_type:
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    bytes: report.to_xlsx(),
                },
                ReportFormat::Html(lang) => ReportFile {
                    name: format!("{stem}.html"),
                    content_type: "text/html; charset=utf-8",
                    bytes: report.to_html(lang).into_bytes(),
                },
                ReportFormat::Csv(part) => ReportFile {
                    name: format!("{stem}-{}.csv", part.as_str()),
                    content_type: "text/csv; charset=utf-8",
                    bytes: report.to_csv(part).into_bytes(),
                },
            })
        })
        .await
    }
}
