//! What a participant answers, and checking an answer against its item before it is stored.

use serde::{Deserialize, Serialize};

use crate::package::{Choice, Item, ItemBody, SHORT_ANSWER_MAX_CHARS};

/// A participant's response to one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Response {
    /// Multiple choice: the chosen option id.
    Choice(String),
    /// Several correct: the chosen option ids.
    Choices(Vec<String>),
    /// True/false grid: per statement, in the item's statement order; `None` = not judged.
    TrueFalse(Vec<Option<bool>>),
    /// Matching: (premise id, target id) pairs.
    Matching(Vec<(String, String)>),
    /// Short answer or essay text.
    Text(String),
}

/// Why a response does not fit its item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseError {
    /// The response kind does not match the item type.
    WrongKind,
    /// An option, statement or target id that the item does not have.
    UnknownChoice(String),
    /// The text is longer than allowed (the limit is given).
    TooLong(usize),
    /// The same premise or option given twice.
    Repeated(String),
}

impl std::fmt::Display for ResponseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResponseError::WrongKind => write!(f, "answer does not match the item type"),
            ResponseError::UnknownChoice(c) => write!(f, "unknown choice {c:?}"),
            ResponseError::TooLong(n) => write!(f, "answer longer than {n} characters"),
            ResponseError::Repeated(c) => write!(f, "choice {c:?} given twice"),
        }
    }
}

fn known(choices: &[Choice], id: &str) -> Result<(), ResponseError> {
    if choices.iter().any(|c| c.id == id) {
        Ok(())
    } else {
        Err(ResponseError::UnknownChoice(id.to_string()))
    }
}

fn no_repeats<'a>(ids: impl Iterator<Item = &'a String>) -> Result<(), ResponseError> {
    let mut seen = std::collections::BTreeSet::new();
    for id in ids {
        if !seen.insert(id) {
            return Err(ResponseError::Repeated(id.clone()));
        }
    }
    Ok(())
}

impl Response {
    /// Checks that this response can be stored for `item`.
    pub fn check(&self, item: &Item) -> Result<(), ResponseError> {
        match (&item.body, self) {
            (ItemBody::MultipleChoice { options, .. }, Response::Choice(c)) => known(options, c),
            (ItemBody::MultipleResponse { options, .. }, Response::Choices(cs)) => {
                no_repeats(cs.iter())?;
                cs.iter().try_for_each(|c| known(options, c))
            }
            (ItemBody::TrueFalse { statements, .. }, Response::TrueFalse(v)) => {
                if v.len() == statements.len() {
                    Ok(())
                } else {
                    Err(ResponseError::WrongKind)
                }
            }
            (
                ItemBody::Matching {
                    premises, targets, ..
                },
                Response::Matching(pairs),
            ) => {
                no_repeats(pairs.iter().map(|(p, _)| p))?;
                pairs
                    .iter()
                    .try_for_each(|(p, t)| known(premises, p).and_then(|_| known(targets, t)))
            }
            (ItemBody::ShortAnswer { .. }, Response::Text(t)) => {
                if t.chars().count() > SHORT_ANSWER_MAX_CHARS {
                    Err(ResponseError::TooLong(SHORT_ANSWER_MAX_CHARS))
                } else {
                    Ok(())
                }
            }
            (ItemBody::Essay { max_chars }, Response::Text(t)) => {
                if t.chars().count() > *max_chars as usize {
                    Err(ResponseError::TooLong(*max_chars as usize))
                } else {
                    Ok(())
                }
            }
            _ => Err(ResponseError::WrongKind),
        }
    }

    /// Does this response count as answered on the navigation grid.
    pub fn is_answered(&self) -> bool {
        match self {
            Response::Choice(c) => !c.is_empty(),
            Response::Choices(cs) => !cs.is_empty(),
            Response::TrueFalse(v) => v.iter().any(Option::is_some),
            Response::Matching(p) => !p.is_empty(),
            Response::Text(t) => !t.trim().is_empty(),
        }
    }
}

/// A stored answer: the response, the doubtful mark, and when it was saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// The response; `None` when only the doubtful mark was set or the answer was cleared.
    pub response: Option<Response>,
    /// Marked ragu-ragu.
    pub doubtful: bool,
    /// Exam-clock time of the save.
    pub saved_at: crate::Millis,
    /// Store-wide sequence number of the save (the audit log entry that recorded it).
    pub seq: u64,
    /// The client's own revision counter for this item; 0 for plain form posts. A save whose
    /// revision is not newer than the stored one is a stale retry and changes nothing.
    pub rev: u64,
}

impl Answer {
    /// Answered for the navigation grid.
    pub fn is_answered(&self) -> bool {
        self.response.as_ref().is_some_and(Response::is_answered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str) -> Item {
        crate::demo::package().item(id).unwrap().clone()
    }

    #[test]
    fn checks_kind_ids_repeats_and_length() {
        let mc = item("D01");
        assert!(Response::Choice("B".into()).check(&mc).is_ok());
        assert_eq!(
            Response::Choice("Z".into()).check(&mc),
            Err(ResponseError::UnknownChoice("Z".into()))
        );
        assert_eq!(
            Response::Text("x".into()).check(&mc),
            Err(ResponseError::WrongKind)
        );
        let mr = item("D03");
        assert_eq!(
            Response::Choices(vec!["A".into(), "A".into()]).check(&mr),
            Err(ResponseError::Repeated("A".into()))
        );
        let sa = item("D06");
        assert!(Response::Text("x".repeat(201)).check(&sa).is_err());
        let tf = item("D04");
        assert_eq!(
            Response::TrueFalse(vec![Some(true)]).check(&tf),
            Err(ResponseError::WrongKind)
        );
    }

    #[test]
    fn answered() {
        assert!(!Response::Text("  ".into()).is_answered());
        assert!(!Response::TrueFalse(vec![None, None]).is_answered());
        assert!(Response::TrueFalse(vec![None, Some(false)]).is_answered());
    }
}
