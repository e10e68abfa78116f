//! ruji-print: the paper of an exam day, as a proctor prints and signs it.
//!
//! One document model, [`Doc`] (a title, a heading of school, room, session and date, then
//! [`Block`]s: sections, text, tables, login cards, notes, signature lines), rendered two ways
//! from the same value:
//! - [`Doc::to_pdf`]: an A4 PDF laid out here ([`pdf`]): the base-14 fonts Helvetica and
//!   Courier, named and not embedded (every PDF reader has them), their widths from Adobe's
//!   metrics at build time; tables repeat their header on every page and never split a row;
//!   login cards eight to a page; signature lines kept together; "Halaman i dari n" on each page.
//! - [`Doc::to_html`]: print-ready HTML with its own A4 print CSS (`templates/doc.html`), for the
//!   browser's print dialog.
//!
//! [`docs`] builds the documents from plain data: [`docs::LoginCards`], [`docs::Attendance`],
//! [`docs::SessionReport`], with their labels in Bahasa Indonesia or English. Nothing here reads
//! a file, a clock or the store: the room hands the data in, the bytes come out.

#![forbid(unsafe_code)]

pub mod docs;
mod html;
pub mod labels;
pub mod pdf;

/// The language of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Bahasa Indonesia (the default).
    #[default]
    Id,
    /// English.
    En,
}

impl Lang {
    /// `id` or `en`, for `lang=` attributes.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Id => "id",
            Lang::En => "en",
        }
    }

    /// The text in this language.
    pub(crate) fn t(self, id: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Id => id,
            Lang::En => en,
        }
    }
}

/// A document to print.
#[derive(Debug, Clone, PartialEq)]
pub struct Doc {
    /// The language of its labels (for the HTML's `lang` and the page numbers).
    pub lang: Lang,
    /// The title, e.g. "Daftar Hadir Peserta".
    pub title: String,
    /// Label and value pairs under the title (school, room, session, date...).
    pub heading: Vec<(String, String)>,
    /// The body, in order.
    pub blocks: Vec<Block>,
}

/// A part of a document's body.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A section title; kept on the page of what follows it.
    Section(String),
    /// A paragraph.
    Text(String),
    /// A table.
    Table(Table),
    /// Login cards, eight to a page (two columns, four rows), with lines to cut along.
    Cards(Vec<Card>),
    /// A box of free text written on the page (the proctor's notes), or ruled lines to write on
    /// by hand when empty.
    Notes {
        /// Whose notes.
        label: String,
        /// What was written (may be empty).
        text: String,
    },
    /// Signature lines side by side (at most three), kept together on one page.
    Signatures(Vec<Signature>),
}

/// A table whose header repeats on every page and whose rows never split across pages.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The columns.
    pub columns: Vec<Column>,
    /// The rows, one text per column.
    pub rows: Vec<Vec<String>>,
    /// Rows tall enough to sign in (an attendance list).
    pub tall: bool,
}

impl Table {
    /// Each column's share of the table's width (they add up to 1).
    pub fn shares(&self) -> Vec<f32> {
        let total: f32 = self
            .columns
            .iter()
            .map(|c| c.width)
            .sum::<f32>()
            .max(f32::EPSILON);
        self.columns.iter().map(|c| c.width / total).collect()
    }
}

/// A table column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The header.
    pub title: String,
    /// Its share of the table's width (relative to the other columns').
    pub width: f32,
    /// Numbers right, text left.
    pub right: bool,
}

impl Column {
    /// A left-aligned column of relative `width`.
    pub fn text(title: impl Into<String>, width: f32) -> Column {
        Column {
            title: title.into(),
            width,
            right: false,
        }
    }

    /// A right-aligned (number) column of relative `width`.
    pub fn number(title: impl Into<String>, width: f32) -> Column {
        Column {
            title: title.into(),
            width,
            right: true,
        }
    }
}

/// One login card.
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    /// The card's title (the exam).
    pub title: String,
    /// The line under it (school, room, session).
    pub subtitle: String,
    /// Label and value lines; `true` prints the value large in a fixed-width font (username,
    /// password).
    pub fields: Vec<(String, String, bool)>,
    /// A note at the card's foot (keep the card, do not lend it...).
    pub note: String,
}

/// A signature line.
#[derive(Debug, Clone, PartialEq)]
pub struct Signature {
    /// The role above the line ("Proktor", "Pengawas").
    pub role: String,
    /// The name under the line, or empty for a dotted line to write it on.
    pub name: String,
    /// The label of the staff number under the name ("NIP").
    pub id_label: String,
}

impl Doc {
    /// The document as an A4 PDF.
    pub fn to_pdf(&self) -> Vec<u8> {
        pdf::render(self)
    }

    /// The document as print-ready HTML (A4 print CSS, a print button hidden on paper).
    pub fn to_html(&self) -> String {
        html::render(self, &[])
    }

    /// [`Doc::to_html`] with links (label, address) beside the print button, not printed
    /// either (back to the page it came from, the same document as PDF).
    pub fn to_html_with(&self, links: &[(&str, &str)]) -> String {
        html::render(self, links)
    }
}
