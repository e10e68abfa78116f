//! ruji-import: turns what teachers and the central server write into the native model of
//! `ruji-core`, with a clear message for every line or item it cannot take.
//!
//! - [`native`]: the native authoring folder (`paket.toml`, items in TOML, participants), and
//!   loose files (items and participants in one folder) for `ruji pack`.
//! - [`gift`]: Moodle GIFT. [`qti`]: QTI 2.x items and IMS content packages.
//!   [`participants`]: participant lists in CSV/XLSX, and the login-card list.
//! - [`sanitize`]: item HTML is cleaned on import (no script, no event handlers, no external
//!   URLs); pictures and sound become content-addressed assets (ruji-package).
//! - [`Issue`]: one problem, with the place it was found.
//!
//! Each importer turns one input format into the native model of `ruji-core`, reporting every
//! problem as an [`Issue`] through the [`Ctx`](crate::sanitize::Ctx) (which also
//! cleans item HTML and collects pictures), and keeping going after a bad item so that a teacher
//! sees all problems at once. A problem is an error when something is skipped, dropped or may be
//! wrong, and a warning when what was read is imported faithfully with an adjustment.

#![forbid(unsafe_code)]

use ruji_core::package::{Item, Stimulus};

pub use issue::Issue;

pub mod gift;
mod issue;
pub mod native;
pub mod participants;
pub mod qti;
pub mod sanitize;

/// Items and shared stimuli read from one input.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Bank {
    /// Items, in the order of the input.
    pub items: Vec<Item>,
    /// Shared stimuli the items refer to.
    pub stimuli: Vec<Stimulus>,
}

/// Turns a title or file name into an item id: letters, digits, `-` and `_` only, at most 64
/// characters (`"Soal 1: Membaca"` -> `"Soal-1-Membaca"`). Empty if nothing usable is left.
pub fn id_from(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        if out.len() >= 64 {
            break;
        }
    }
    out.trim_end_matches('-').to_string()
}

/// Makes `id` unique among `taken` by appending `-2`, `-3`... and records it.
pub fn unique_id(id: String, taken: &mut std::collections::BTreeSet<String>) -> String {
    if taken.insert(id.clone()) {
        return id;
    }
    (2..)
        .map(|n| format!("{id}-{n}"))
        .find(|c| taken.insert(c.clone()))
        .expect("some suffix is free")
}

/// One item in a [`Report`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ItemSummary {
    /// Item id.
    pub id: String,
    /// AKM type.
    #[serde(rename = "type")]
    pub item_type: ruji_core::package::ItemType,
}

/// What `ruji import --check FILE --json` prints.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    /// `native`, `gift`, `qti`, `csv`, `xlsx` or `unknown`.
    pub format: &'static str,
    /// Number of tests.
    pub tests: usize,
    /// Every item.
    pub items: Vec<ItemSummary>,
    /// Number of participants.
    pub participants: usize,
    /// Every error: something skipped, dropped or possibly wrong. Any error fails the check and
    /// blocks packing.
    pub errors: Vec<crate::Issue>,
    /// Adjustments made to what was imported faithfully (a GIFT weight Ruji scores differently,
    /// MathML shown as text, a NISN given back its leading zeros): shown, not blocking.
    pub warnings: Vec<crate::Issue>,
}

/// Reads any supported input and reports what it holds and every problem in it.
pub fn check(path: &std::path::Path) -> Report {
    let l = native::load(path);
    Report {
        format: l.format,
        tests: l.package.tests.len(),
        items: l
            .package
            .items
            .iter()
            .map(|i| ItemSummary {
                id: i.id.clone(),
                item_type: i.item_type(),
            })
            .collect(),
        participants: l.package.participants.len(),
        errors: l.issues,
        warnings: l.warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_clean_and_unique() {
        assert_eq!(id_from("Soal 1: Membaca"), "Soal-1-Membaca");
        assert_eq!(id_from("  ??"), "");
        let mut t = Default::default();
        assert_eq!(unique_id("a".into(), &mut t), "a");
        assert_eq!(unique_id("a".into(), &mut t), "a-2");
        assert_eq!(unique_id("a".into(), &mut t), "a-3");
    }
}
