//! A problem found while importing or checking, with where it is.

use serde::Serialize;

/// One problem: `where` says which file, line or item (`soal.gift:12`, `item L03`,
/// `peserta.csv:7`), `message` what is wrong and what to do, in plain English (the CLI's JSON and
/// the logs; the proctor page shows it as-is).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    /// File, line or item.
    #[serde(rename = "where")]
    pub place: String,
    /// What is wrong and what to do.
    pub message: String,
}

impl Issue {
    /// A new issue.
    pub fn new(place: impl Into<String>, message: impl Into<String>) -> Issue {
        Issue {
            place: place.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Issue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.place, self.message)
    }
}
