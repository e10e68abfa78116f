//! ruji-report: reports a teacher can use without any server, made from result bundles
//! (`.rujihasil`, [`ruji_package::bundle`]).
//!
//! [`Report::from_bundles`] takes one or more verified bundles of one package (several sessions,
//! several boards) and works out the report's four parts:
//! 1. **scores** (*Nilai*): per participant and test, the total and full marks, a subtotal per
//!    AKM item type, how the attempt stands or ended (with the proctor's reason when
//!    force-finished) and the working time used;
//! 2. **responses** (*Jawaban*): every participant × item, the response as readable text, the
//!    doubtful mark, the score;
//! 3. **item analysis** (*Analisis butir*): per test, each item's difficulty (p), discrimination
//!    (upper and lower 27 %), answer frequencies of choice items, items nobody answered;
//! 4. **essays** (*Uraian*): short answers and essays listed per item for scoring by hand.
//!
//! The report is then written as XLSX ([`Report::to_xlsx`], one sheet per part), CSV
//! ([`Report::to_csv`], one part per file) or one printable HTML page ([`Report::to_html`], A4,
//! Bahasa Indonesia or English). Nothing here reads a file or a clock: the bytes come in verified
//! and go out as bytes, so the CLI (`ruji results report`) and the board's proctor page can offer
//! the same downloads.
//!
//! Layout: [`analysis`] (the domain: merging bundles, subtotals, item statistics, with its unit
//! tests), `text` (labels in both languages and number formats), `table` (the parts as flat tables,
//! shared by CSV and XLSX), `xlsx`, `html` (askama template `templates/report.html`). How
//! difficulty and discrimination are computed is in docs/result-bundle.md ("Reports for teachers").

#![forbid(unsafe_code)]

pub mod analysis;
mod html;
mod table;
mod text;
mod xlsx;

pub use analysis::{
    Discrimination, Frequencies, ItemStats, Note, Report, ScoreRow, Source, TestReport, TYPES,
};

/// The language of the HTML report (XLSX and CSV are in Bahasa Indonesia).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Bahasa Indonesia (the default).
    #[default]
    Id,
    /// English.
    En,
}

impl std::str::FromStr for Lang {
    type Err = String;

    fn from_str(s: &str) -> Result<Lang, String> {
        match s {
            "id" => Ok(Lang::Id),
            "en" => Ok(Lang::En),
            _ => Err(format!("unknown language {s:?}: id or en")),
        }
    }
}

/// One part of the report, for CSV (one part per file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Part {
    /// Scores per participant and test (*Nilai*).
    #[default]
    Scores,
    /// Every response (*Jawaban*).
    Responses,
    /// Item analysis (*Analisis butir*).
    Items,
    /// Short answers and essays for scoring by hand (*Uraian*).
    Essays,
}

impl Part {
    /// Every part, in the report's order.
    pub const ALL: [Part; 4] = [Part::Scores, Part::Responses, Part::Items, Part::Essays];

    /// The name on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Part::Scores => "scores",
            Part::Responses => "responses",
            Part::Items => "items",
            Part::Essays => "essays",
        }
    }
}

impl std::str::FromStr for Part {
    type Err = String;

    fn from_str(s: &str) -> Result<Part, String> {
        Part::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| format!("unknown part {s:?}: scores, responses, items or essays"))
    }
}

impl Note {
    /// The note as a sentence for people.
    pub fn text(&self, lang: Lang) -> String {
        text::Tr(lang).note(self)
    }
}

impl Report {
    /// The report as an XLSX workbook: sheets *Nilai*, *Jawaban*, *Analisis butir*, *Uraian*
    /// (one per part, header row frozen, filters on) and *Keterangan* (the bundles, notes and
    /// how to read the analysis). Numbers are numbers (points, p, D; time used as a duration).
    pub fn to_xlsx(&self) -> Vec<u8> {
        xlsx::write(self)
    }

    /// One part as CSV (RFC 4180: comma-separated, UTF-8, a header row, decimal point, points
    /// with up to 3 decimals), for other programs; Excel users take the XLSX.
    pub fn to_csv(&self, part: Part) -> String {
        table::to_csv(&table::part(self, part))
    }

    /// The whole report as one self-contained HTML page (inline CSS, no script) laid out for
    /// A4 printing: each part starts on a new page, table headers repeat on every page.
    pub fn to_html(&self, lang: Lang) -> String {
        html::render(self, lang)
    }
}
