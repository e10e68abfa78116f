//! The next exam day waits for the earlier days' receipts.
//!
//! The ANBK guide asks the proctor to "activate the next day after a successful upload": a
//! session may be opened only when every earlier day's session that has results (someone
//! started) has the central server's receipt for its newest bundle. Sessions of the same day
//! never wait for each other: the day's second session follows the first while its results
//! are on their way.

use crate::package::parse_date;

/// An earlier session as the gate sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Earlier<'a> {
    /// The session's id.
    pub id: &'a str,
    /// Its day, `YYYY-MM-DD`.
    pub day: &'a str,
    /// It has results the central server has not acknowledged (its newest bundle has no
    /// receipt, or no bundle was made yet).
    pub awaiting: bool,
}

/// The sessions of days before `day` still awaiting their receipt, in the order given.
/// Opening a session of `day` waits for all of them.
pub fn awaiting_receipts<'a>(
    day: &str,
    sessions: impl IntoIterator<Item = Earlier<'a>>,
) -> Vec<&'a str> {
    sessions
        .into_iter()
        .filter(|s| s.awaiting && before(s.day, day))
        .map(|s| s.id)
        .collect()
}

/// `a` is a day before `b` (dates as [`parse_date`] reads them; text order otherwise).
fn before(a: &str, b: &str) -> bool {
    match (parse_date(a), parse_date(b)) {
        (Some(a), Some(b)) => a < b,
        _ => a < b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e<'a>(id: &'a str, day: &'a str, awaiting: bool) -> Earlier<'a> {
        Earlier { id, day, awaiting }
    }

    #[test]
    fn only_earlier_days_without_receipt_hold_a_session() {
        let s = [
            e("H1S1", "2026-12-07", true),
            e("H1S2", "2026-12-07", false),
            e("H2S1", "2026-12-08", true),
            e("H3S1", "2026-12-09", false),
        ];
        // The first day's second session does not wait for the first.
        assert!(awaiting_receipts("2026-12-07", s).is_empty());
        assert_eq!(awaiting_receipts("2026-12-08", s), ["H1S1"]);
        assert_eq!(awaiting_receipts("2026-12-09", s), ["H1S1", "H2S1"]);
        assert_eq!(awaiting_receipts("2026-12-10", s), ["H1S1", "H2S1"]);
        // Receipts in: nothing holds the next day.
        let done = s.map(|x| Earlier {
            awaiting: false,
            ..x
        });
        assert!(awaiting_receipts("2026-12-10", done).is_empty());
    }

    #[test]
    fn across_months_and_years() {
        let s = [e("A", "2026-12-31", true)];
        assert_eq!(awaiting_receipts("2027-01-02", s), ["A"]);
        assert!(awaiting_receipts("2026-12-31", s).is_empty());
        // Indonesian forms write the day first.
        assert_eq!(awaiting_receipts("01/01/2027", s), ["A"]);
        assert!(awaiting_receipts("30-12-2026", s).is_empty());
    }
}
