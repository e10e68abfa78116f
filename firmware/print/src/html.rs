//! A [`Doc`] as print-ready HTML: its own A4 print CSS (`templates/doc.css`), page numbers in
//! the page margin, table headers repeated, rows never split, cards eight to a sheet, a print
//! button that does not print. No script but the button's.

use askama::Template;

use crate::{Block, Card, Doc, Signature};

/// A block as the template draws it (cards grouped by sheet, column widths in percent).
enum Part<'a> {
    Section(&'a str),
    Text(&'a str),
    Table {
        columns: Vec<(&'a str, String, bool)>,
        rows: &'a [Vec<String>],
        tall: bool,
        /// Some column has a title.
        header: bool,
    },
    Cards(Vec<&'a [Card]>),
    Notes {
        label: &'a str,
        text: &'a str,
    },
    Signatures(&'a [Signature]),
    /// A closing line with the signatures below it, kept on one page.
    Closing(&'a str, &'a [Signature]),
}

#[derive(Template)]
#[template(path = "doc.html")]
struct Page<'a> {
    doc: &'a Doc,
    parts: Vec<Part<'a>>,
    css: &'static str,
    links: &'a [(&'a str, &'a str)],
    /// "<title> · Halaman" as a CSS string (the page number follows it).
    footer: String,
    of: &'static str,
    print: &'static str,
}

/// The HTML of `doc`.
pub(crate) fn render(doc: &Doc, links: &[(&str, &str)]) -> String {
    let mut parts = Vec::with_capacity(doc.blocks.len());
    let mut blocks = doc.blocks.iter().peekable();
    while let Some(b) = blocks.next() {
        parts.push(match b {
            Block::Text(s) => match blocks.peek() {
                Some(Block::Signatures(sig)) => {
                    blocks.next();
                    Part::Closing(s, sig)
                }
                _ => Part::Text(s),
            },
            Block::Section(s) => Part::Section(s),
            Block::Table(t) => Part::Table {
                columns: t
                    .columns
                    .iter()
                    .zip(t.shares())
                    .map(|(c, share)| (c.title.as_str(), format!("{:.1}", share * 100.0), c.right))
                    .collect(),
                rows: &t.rows,
                tall: t.tall,
                header: t.columns.iter().any(|c| !c.title.is_empty()),
            },
            Block::Cards(c) => Part::Cards(c.chunks(8).collect()),
            Block::Notes { label, text } => Part::Notes { label, text },
            Block::Signatures(s) => Part::Signatures(s),
        });
    }
    let lang = doc.lang;
    Page {
        doc,
        parts,
        css: include_str!("../templates/doc.css"),
        links,
        footer: css_string(&format!("{} · {}", doc.title, lang.t("Halaman", "Page"))),
        of: lang.t("dari", "of"),
        print: lang.t("Cetak", "Print"),
    }
    .render()
    .expect("the template renders")
}

/// `s` as a CSS string literal that is also safe inside `<style>`.
fn css_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '<' | '>' | '&' | '\n' | '\r' => out.push_str(&format!("\\{:X} ", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_title_in_css_cannot_end_the_style() {
        assert_eq!(
            super::css_string("A \"b\" </style>\\"),
            "\"A \\\"b\\\" \\3C /style\\3E \\\\\""
        );
    }
}
