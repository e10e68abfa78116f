//! What the board tells the proctor besides the exam: the school's settings file (ruji.toml) in
//! force or in error, the recovery's LAN reset, and the attention reasons the LED blinks for.
//!
//! The settings are parsed by the `ruji` binary (its `config` module); this module only holds
//! what the pages show ([`SettingsNotice`]). The attention reasons are read from the panel
//! ([`ruji_panel::PanelView::attention`]), so the dashboard lists exactly what the LED shows.

use ruji_panel::Attention;

use crate::i18n::{Lang, Tr};
use crate::AppState;

/// What was wrong with the settings file, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError {
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// What is wrong (as in the log; English).
    pub message: String,
}

/// The settings in force, for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InForce {
    /// The board's address with its prefix, `192.168.0.200/24`.
    pub lan_address: String,
    /// The seat range, `192.168.0.1 - 192.168.0.15`.
    pub seats: String,
    /// The school's UI language; `None` follows the browser.
    pub language: Option<Lang>,
    /// Automatic token rotation in minutes; `None` = only when the proctor rotates it.
    pub token_rotate_minutes: Option<u64>,
    /// How long the previous token stays valid, in minutes.
    pub token_grace_minutes: u64,
    /// Time while the server was down counts against running tests.
    pub count_downtime: bool,
}

/// What the proctor page says about ruji.toml.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingsNotice {
    /// The settings file Ruji was started with (`--config`), if any.
    pub path: Option<String>,
    /// The file had an error; the settings in force come from elsewhere (see `from_last_good`).
    pub error: Option<SettingsError>,
    /// With an error: the last good copy is in force (`false`: the defaults).
    pub from_last_good: bool,
    /// A recovery (button held at power-on) put the LAN defaults in force over ruji.toml.
    pub lan_defaults: bool,
    /// The settings in force.
    pub in_force: Option<InForce>,
}

/// One attention reason as the dashboard lists it.
pub struct AttentionRow {
    /// Stable name (`not_backed_up`...), for the page's ids and tests.
    pub name: &'static str,
    /// Short label.
    pub label: &'static str,
    /// What to do.
    pub todo: &'static str,
    /// For `not_backed_up`: the sessions whose results to download (id, name).
    pub sessions: Vec<(String, String)>,
}

/// The (label, what to do) keys of a reason. Literal keys, so the i18n test sees them.
fn texts(a: Attention, tr: Tr) -> (&'static str, &'static str) {
    match a {
        Attention::AddressConflict => (
            tr.s("att_address_conflict"),
            tr.s("att_address_conflict_todo"),
        ),
        Attention::DiskNearlyFull => (
            tr.s("att_disk_nearly_full"),
            tr.s("att_disk_nearly_full_todo"),
        ),
        Attention::ClockNotSet => (tr.s("att_clock_not_set"), tr.s("att_clock_not_set_todo")),
        Attention::ResultsNotUploaded => (
            tr.s("att_results_not_uploaded"),
            tr.s("att_results_not_uploaded_todo"),
        ),
        Attention::NotBackedUp => (tr.s("att_not_backed_up"), tr.s("att_not_backed_up_todo")),
    }
}

impl AppState {
    /// The attention reasons the panel shows now (none without a panel).
    pub fn attention(&self) -> Vec<Attention> {
        self.settings
            .panel
            .as_ref()
            .map(|p| p.view().borrow().attention.clone())
            .unwrap_or_default()
    }

    /// The attention reasons as the dashboard lists them.
    pub fn attention_rows(&self, tr: Tr) -> Vec<AttentionRow> {
        self.attention()
            .into_iter()
            .map(|a| {
                let (label, todo) = texts(a, tr);
                let sessions = if a == Attention::NotBackedUp {
                    self.store
                        .results_not_exported()
                        .unwrap_or_default()
                        .into_iter()
                        .map(|s| (s.id, s.name))
                        .collect()
                } else {
                    vec![]
                };
                AttentionRow {
                    name: a.name(),
                    label,
                    todo,
                    sessions,
                }
            })
            .collect()
    }

    /// What the page says about ruji.toml now.
    pub fn settings_notice(&self) -> SettingsNotice {
        self.notice.lock().expect("not poisoned").clone()
    }

    /// Replaces what the page says about ruji.toml (e.g. after a recovery).
    pub fn set_settings_notice(&self, notice: SettingsNotice) {
        *self.notice.lock().expect("not poisoned") = notice;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_has_text_in_both_languages() {
        for a in Attention::ALL {
            for lang in [Lang::Id, Lang::En] {
                let (label, todo) = texts(a, Tr { lang });
                assert!(!label.is_empty() && todo.len() > 20, "{a:?}");
            }
        }
    }
}
