//! Scoring of objective items, with a documented partial-credit rule.
//!
//! Scores are integers in milli-points (1 point = 1000) so that sums are exact. For an item worth
//! `p` points:
//! - multiple choice: `p` for the key, else 0;
//! - several correct: `p * max(0, hits - wrong picks) / number of correct options`
//!   (ticking every box earns nothing for free);
//! - true/false grid: `p * statements judged correctly / statements` (unjudged = wrong);
//! - matching: `p * premises paired correctly / premises`;
//! - short answer: `p` when the answer equals an accepted one after trimming, collapsing spaces
//!   and (unless the item says otherwise) ignoring case; a comma is read as a decimal point
//!   for numbers ("2,5" = "2.5");
//! - essay: not scored here (`None`): stored for a human rater.
//!
//! Fractions are rounded down to a whole milli-point.

use crate::package::{Item, ItemBody, Package, Test, TestKind};
use crate::response::Response;

/// Milli-points.
pub type Milli = u64;

fn part(points: u32, num: u64, den: u64) -> Milli {
    (u64::from(points) * 1000 * num)
        .checked_div(den)
        .unwrap_or(0)
}

fn normalise(s: &str, case_sensitive: bool) -> String {
    let joined = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let joined = if case_sensitive {
        joined
    } else {
        joined.to_lowercase()
    };
    // Read "2,5" as 2.5 when the whole answer is a number.
    let dotted = joined.replace(',', ".");
    match dotted.parse::<f64>() {
        Ok(v) if v.is_finite() => format!("{v}"),
        _ => joined,
    }
}

/// The score of `response` for `item`; `None` for essays (scored by a person). No response
/// scores 0.
pub fn score(item: &Item, response: Option<&Response>) -> Option<Milli> {
    if let ItemBody::Essay { .. } = item.body {
        return None;
    }
    let p = item.points;
    let Some(r) = response else { return Some(0) };
    Some(match (&item.body, r) {
        (ItemBody::MultipleChoice { key, .. }, Response::Choice(c)) => {
            part(p, (c == key) as u64, 1)
        }
        (ItemBody::MultipleResponse { key, .. }, Response::Choices(cs)) => {
            let hits = cs.iter().filter(|c| key.contains(c)).count() as u64;
            let wrong = cs.len() as u64 - hits;
            part(p, hits.saturating_sub(wrong), key.len() as u64)
        }
        (ItemBody::TrueFalse { key, .. }, Response::TrueFalse(v)) => {
            let right = key.iter().zip(v).filter(|(k, a)| Some(**k) == **a).count() as u64;
            part(p, right, key.len() as u64)
        }
        (ItemBody::Matching { key, .. }, Response::Matching(pairs)) => {
            let right = key.iter().filter(|k| pairs.contains(k)).count() as u64;
            part(p, right, key.len() as u64)
        }
        (
            ItemBody::ShortAnswer {
                accepted,
                case_sensitive,
            },
            Response::Text(t),
        ) => {
            let t = normalise(t, *case_sensitive);
            let ok = !t.is_empty() && accepted.iter().any(|a| normalise(a, *case_sensitive) == t);
            part(p, ok as u64, 1)
        }
        _ => 0,
    })
}

/// The scores of one participant's answers to one test.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TestScore {
    /// Sum of the objective items' scores.
    pub total: Milli,
    /// Full marks of the objective items (essays excluded).
    pub max: Milli,
    /// Per item of the test that the package has, in authoring order: its id and score
    /// (`None` for essays, and for every item of a practice or survey test).
    pub items: Vec<(String, Option<Milli>)>,
}

/// Scores a participant's answers to `test`; `response(item)` gives their response to an item.
/// Only scored tests score: practice and survey tests give `None` for every item and 0 in all.
pub fn score_test<'a>(
    pkg: &Package,
    test: &Test,
    response: impl Fn(&str) -> Option<&'a Response>,
) -> TestScore {
    let scored = test.kind == TestKind::Scored;
    let mut out = TestScore::default();
    for id in &test.items {
        let Some(item) = pkg.item(id) else { continue };
        let s = if scored {
            score(item, response(id))
        } else {
            None
        };
        if let Some(s) = s {
            out.total += s;
            out.max += u64::from(item.points) * 1000;
        }
        out.items.push((id.clone(), s));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::package::Choice;
    use proptest::prelude::*;

    fn choices(n: usize) -> Vec<Choice> {
        (0..n)
            .map(|i| Choice {
                id: ((b'A' + i as u8) as char).to_string(),
                html: String::new(),
            })
            .collect()
    }

    fn item(body: ItemBody) -> Item {
        Item {
            id: "X".into(),
            stimulus: None,
            prompt: String::new(),
            points: 2,
            body,
        }
    }

    #[test]
    fn rules_as_documented() {
        let mc = item(ItemBody::MultipleChoice {
            options: choices(4),
            key: "C".into(),
        });
        assert_eq!(score(&mc, Some(&Response::Choice("C".into()))), Some(2000));
        assert_eq!(score(&mc, Some(&Response::Choice("A".into()))), Some(0));
        assert_eq!(score(&mc, None), Some(0));

        let mr = item(ItemBody::MultipleResponse {
            options: choices(5),
            key: vec!["A".into(), "B".into(), "C".into()],
        });
        let pick = |v: &[&str]| Response::Choices(v.iter().map(|s| s.to_string()).collect());
        assert_eq!(score(&mr, Some(&pick(&["A", "B", "C"]))), Some(2000));
        assert_eq!(score(&mr, Some(&pick(&["A", "B"]))), Some(1333));
        assert_eq!(score(&mr, Some(&pick(&["A", "B", "D"]))), Some(666));
        assert_eq!(
            score(&mr, Some(&pick(&["A", "B", "C", "D", "E"]))),
            Some(666)
        );
        assert_eq!(score(&mr, Some(&pick(&["D", "E"]))), Some(0));

        let tf = item(ItemBody::TrueFalse {
            statements: choices(4),
            key: vec![true, false, true, false],
        });
        let r = Response::TrueFalse(vec![Some(true), Some(true), None, Some(false)]);
        assert_eq!(score(&tf, Some(&r)), Some(1000));

        let m = item(ItemBody::Matching {
            premises: choices(3),
            targets: choices(4),
            key: vec![
                ("A".into(), "B".into()),
                ("B".into(), "A".into()),
                ("C".into(), "D".into()),
            ],
        });
        let r = Response::Matching(vec![("A".into(), "B".into()), ("B".into(), "C".into())]);
        assert_eq!(score(&m, Some(&r)), Some(666));

        let sa = item(ItemBody::ShortAnswer {
            accepted: vec!["Candi Borobudur".into(), "2.5".into()],
            case_sensitive: false,
        });
        assert_eq!(
            score(&sa, Some(&Response::Text("  candi   BOROBUDUR ".into()))),
            Some(2000)
        );
        assert_eq!(score(&sa, Some(&Response::Text("2,50".into()))), Some(2000));
        assert_eq!(
            score(&sa, Some(&Response::Text("Prambanan".into()))),
            Some(0)
        );
        assert_eq!(score(&sa, Some(&Response::Text("".into()))), Some(0));

        let es = item(ItemBody::Essay { max_chars: 100 });
        assert_eq!(score(&es, Some(&Response::Text("x".into()))), None);
        assert_eq!(score(&mc, Some(&Response::Text("C".into()))), Some(0));
    }

    proptest! {
        #[test]
        fn never_exceeds_full_marks(picks in proptest::collection::vec(0usize..6, 0..8),
                                    key in proptest::collection::btree_set(0usize..6, 1..6),
                                    tf in proptest::collection::vec(proptest::option::of(any::<bool>()), 6)) {
            let name = |i: usize| ((b'A' + i as u8) as char).to_string();
            let mut picks: Vec<String> = picks.into_iter().map(name).collect();
            picks.sort();
            picks.dedup();
            let mr = item(ItemBody::MultipleResponse { options: choices(6), key: key.iter().map(|i| name(*i)).collect() });
            let s = score(&mr, Some(&Response::Choices(picks.clone()))).unwrap();
            prop_assert!(s <= 2000);
            let all: Vec<String> = key.iter().map(|i| name(*i)).collect();
            prop_assert_eq!(score(&mr, Some(&Response::Choices(all))), Some(2000));
            let tfi = item(ItemBody::TrueFalse { statements: choices(6), key: vec![true; 6] });
            prop_assert!(score(&tfi, Some(&Response::TrueFalse(tf))).unwrap() <= 2000);
        }
    }
}
