//! The domain of the report: bundles of one package merged into tests with one row per
//! participant and bundle, the subtotals per item type, and the item statistics.
//!
//! Who counts in the item analysis: every attempt that reached the test (in progress or
//! finished, however it finished); a participant who never entered the token or is still in
//! practice saw no item. A participant with such an attempt in more than one bundle (moved to
//! a spare board) counts once, with the attempt that has the most answers.
//!
//! - **Difficulty** (p, *tingkat kesukaran*) of an objective item: the mean score of the counted
//!   attempts divided by the item's points (an unanswered item scores 0). 1 = everyone got full
//!   marks.
//! - **Discrimination** (D, *daya beda*): the counted attempts ranked by their test score
//!   (highest first; ties by username, session, board), the upper and the lower group are
//!   `round(27 % of n)` attempts each; D = (mean item score of the upper group − that of the
//!   lower group) / points. Under [`MIN_DISCRIMINATION_N`] counted attempts the groups are too
//!   small to mean anything and D is [`Discrimination::TooFew`].
//! - **Frequencies** of choice items (multiple choice and complex multiple choice): how many
//!   counted attempts chose each option id (a true/false grid: how many judged each statement
//!   true and false), and how many gave no answer.
//! - An item **nobody answered** is one that no counted attempt answered (there was at least
//!   one).

use std::collections::BTreeMap;

use ruji_core::attempt::Outcome;
use ruji_core::package::{ItemType, TestKind};
use ruji_core::response::Response;
use ruji_core::score::Milli;
use ruji_package::bundle::{AnswerResult, ItemShape, PackageRef, SessionRef, Verified};

/// The five AKM item types, in the order of the report's columns.
pub const TYPES: [ItemType; 5] = [
    ItemType::MultipleChoice,
    ItemType::ComplexMultipleChoice,
    ItemType::Matching,
    ItemType::ShortAnswer,
    ItemType::Essay,
];

/// The position of `t` in [`TYPES`].
pub fn type_index(t: ItemType) -> usize {
    match t {
        ItemType::MultipleChoice => 0,
        ItemType::ComplexMultipleChoice => 1,
        ItemType::Matching => 2,
        ItemType::ShortAnswer => 3,
        ItemType::Essay => 4,
    }
}

/// Fewer counted attempts than this: no discrimination index (27 % of 10 is 3 per group).
pub const MIN_DISCRIMINATION_N: usize = 10;

/// Share of the counted attempts in each of the upper and lower groups.
pub const GROUP_SHARE: f64 = 0.27;

/// A report: the package, the bundles it was made from, and each test's results.
#[derive(Debug, Clone)]
pub struct Report {
    /// The package every bundle belongs to.
    pub package: PackageRef,
    /// The bundles used, by session day and start, session and board.
    pub sources: Vec<Source>,
    /// What the reader should know about the bundles (open sessions, bundles left out...).
    pub notes: Vec<Note>,
    /// The tests, in the order the sessions list them.
    pub tests: Vec<TestReport>,
}

/// One bundle used in a report.
#[derive(Debug, Clone)]
pub struct Source {
    /// The board's short id.
    pub board: String,
    /// The session.
    pub session: SessionRef,
    /// SHA-256 of the bundle file.
    pub sha256: String,
    /// The board's last event in the bundle.
    pub as_of_seq: u64,
    /// `Ruji <version>` of the board.
    pub generated_by: String,
    /// Participants listed in the bundle.
    pub participants: usize,
}

/// Something the reader of a report should know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// The session was still open when its bundle was made: results may still have changed.
    SessionOpen {
        /// Session id.
        session: String,
        /// Board id.
        board: String,
    },
    /// Two bundles of one session from one board: the newer one is used.
    OlderBundle {
        /// Session id.
        session: String,
        /// Board id.
        board: String,
        /// Events up to this number in the bundle used.
        used_seq: u64,
        /// Events up to this number in the bundle left out.
        dropped_seq: u64,
    },
    /// The same file was given more than once.
    SameFile {
        /// Its SHA-256.
        sha256: String,
    },
    /// A participant took a test in more than one bundle; the analysis counts one attempt.
    SeveralAttempts {
        /// Username.
        username: String,
        /// Test id.
        test: String,
    },
}

/// One test of the package with every attempt at it in the bundles.
#[derive(Debug, Clone)]
pub struct TestReport {
    /// Test id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Scored, practice or survey.
    pub kind: TestKind,
    /// Working time, minutes.
    pub duration_minutes: u32,
    /// Items in authoring order (their number in the report is their position + 1).
    pub items: Vec<ItemShape>,
    /// Full marks per item type (in [`TYPES`] order); `None` where the test has no such item.
    pub type_max: [Option<Milli>; 5],
    /// Full marks of the objective items (what [`ScoreRow::total`] is out of).
    pub max: Milli,
    /// One row per participant and bundle, in the bundles' order and each session's order.
    pub rows: Vec<ScoreRow>,
    /// Per item (same order as `items`).
    pub stats: Vec<ItemStats>,
    /// Attempts counted in the item analysis.
    pub counted: usize,
}

/// A participant's attempt at a test, from one bundle.
#[derive(Debug, Clone)]
pub struct ScoreRow {
    /// Username.
    pub username: String,
    /// Name.
    pub name: String,
    /// Class.
    pub class: String,
    /// Board id.
    pub board: String,
    /// Session id.
    pub session: String,
    /// How the attempt stands or ended.
    pub state: Outcome,
    /// The proctor's reason, when force-finished.
    pub reason: Option<String>,
    /// Objective score; `None` for a test that is not scored and for an attempt that never
    /// reached the items (absent is not zero).
    pub total: Option<Milli>,
    /// Subtotal per item type ([`TYPES`] order); `None` where the test has no scored item of
    /// the type (always for essays, which are scored by hand), and when `total` is `None`.
    pub by_type: [Option<Milli>; 5],
    /// Working time used, ms.
    pub time_used_ms: u64,
    /// One answer per item of the test, in the test's item order (an item the bundle did not
    /// list is unanswered).
    pub answers: Vec<AnswerResult>,
    /// Counted in the item analysis.
    pub counted: bool,
}

impl ScoreRow {
    /// The attempt reached the test's items (in progress or finished).
    pub fn reached_items(&self) -> bool {
        reached(self.state)
    }

    fn answered_count(&self) -> usize {
        self.answers.iter().filter(|a| answered(a)).count()
    }
}

/// An attempt in this state has reached the test's items (in progress or finished, however).
pub fn reached(state: Outcome) -> bool {
    matches!(
        state,
        Outcome::InProgress
            | Outcome::FinishedParticipant
            | Outcome::FinishedTimeout
            | Outcome::FinishedProctor
    )
}

/// Whether an answer holds a response that counts as answered.
pub fn answered(a: &AnswerResult) -> bool {
    a.response.as_ref().is_some_and(Response::is_answered)
}

/// An item's statistics over the counted attempts.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemStats {
    /// Counted attempts that answered it.
    pub answered: usize,
    /// Counted attempts that did not.
    pub no_answer: usize,
    /// p: mean score / points; `None` for essays, unscored tests and when nobody counted.
    pub difficulty: Option<f64>,
    /// D.
    pub discrimination: Discrimination,
    /// Answer frequencies (choice items).
    pub frequencies: Frequencies,
}

impl ItemStats {
    /// At least one attempt counted and none answered this item.
    pub fn nobody_answered(&self) -> bool {
        self.answered == 0 && self.no_answer > 0
    }
}

/// An item's discrimination index.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Discrimination {
    /// Not an objective item of a scored test (essay, survey, practice).
    NotScored,
    /// Fewer than [`MIN_DISCRIMINATION_N`] counted attempts.
    TooFew,
    /// D, from −1 to 1.
    Value(f64),
}

/// How often each answer was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frequencies {
    /// Not a choice item (matching, short answer, essay).
    None,
    /// Per option id, in the item's order: how many chose it.
    Choices(Vec<(String, usize)>),
    /// Per statement id of a true/false grid: how many judged it true, and false.
    TrueFalse(Vec<(String, usize, usize)>),
}

/// A test's totals over the counted attempts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Counted attempts.
    pub n: usize,
    /// Mean score, milli-points.
    pub mean: f64,
    /// Highest score.
    pub highest: Milli,
    /// Lowest score.
    pub lowest: Milli,
}

impl TestReport {
    /// Scored test.
    pub fn scored(&self) -> bool {
        self.kind == TestKind::Scored
    }

    /// Item types the test has, as indexes into [`TYPES`].
    pub fn present_types(&self) -> Vec<usize> {
        (0..TYPES.len())
            .filter(|&i| self.type_max[i].is_some())
            .collect()
    }

    /// Totals of the counted attempts of a scored test; `None` when none counted.
    pub fn summary(&self) -> Option<Summary> {
        let totals: Vec<Milli> = self
            .rows
            .iter()
            .filter(|r| r.counted)
            .filter_map(|r| r.total)
            .collect();
        if totals.is_empty() {
            return None;
        }
        Some(Summary {
            n: totals.len(),
            mean: totals.iter().sum::<Milli>() as f64 / totals.len() as f64,
            highest: *totals.iter().max().expect("not empty"),
            lowest: *totals.iter().min().expect("not empty"),
        })
    }

    /// Positions of the items scored by hand or worth checking by hand: short answers and
    /// essays of a scored test.
    pub fn hand_items(&self) -> Vec<usize> {
        if !self.scored() {
            return vec![];
        }
        self.items
            .iter()
            .enumerate()
            .filter(|(_, i)| matches!(i.item_type, ItemType::ShortAnswer | ItemType::Essay))
            .map(|(n, _)| n)
            .collect()
    }
}

/// Whether an item is scored automatically in a test of `kind`.
fn objective(kind: TestKind, item: &ItemShape) -> bool {
    kind == TestKind::Scored && item.item_type != ItemType::Essay
}

impl Report {
    /// Merges verified bundles of one package into a report. Refused: no bundle, bundles of
    /// different packages (or packings) mixed, and one test whose items differ between bundles.
    /// Two bundles of one session from one board: the newer (higher `as_of_seq`) is used.
    pub fn from_bundles(bundles: &[Verified]) -> Result<Report, String> {
        let first = bundles.first().ok_or("no result bundle given")?;
        let package = first.bundle.package.clone();
        let describe = |v: &Verified| {
            format!(
                "session {} from board {}",
                v.bundle.session.id, v.bundle.board.id
            )
        };
        for v in bundles {
            let p = &v.bundle.package;
            if p.id == package.id && p.issuer_key != package.issuer_key {
                return Err(format!(
                    "bundles of different packages are mixed: {} and {} are both of package {:?} \
                     but from different issuers (keys {} and {}); make one report per package",
                    describe(first),
                    describe(v),
                    package.id,
                    short_key(&package.issuer_key),
                    short_key(&p.issuer_key)
                ));
            }
            if p.id != package.id {
                return Err(format!(
                    "bundles of different packages are mixed: {} is of package {:?} ({}), {} is of \
                     package {:?} ({}); make one report per package",
                    describe(first),
                    package.id,
                    package.title,
                    describe(v),
                    p.id,
                    p.title
                ));
            }
            if p.nonce != package.nonce {
                return Err(format!(
                    "bundles of different packings of package {:?} are mixed: {} and {} were held \
                     from package files packed apart (their items or keys may differ); make one \
                     report per package file",
                    package.id,
                    describe(first),
                    describe(v)
                ));
            }
        }

        // Sources in a stable order; the newest bundle of each board's session.
        let mut order: Vec<&Verified> = bundles.iter().collect();
        order.sort_by(|a, b| {
            let (sa, sb) = (&a.bundle.session, &b.bundle.session);
            (
                &sa.day,
                &sa.start,
                &sa.id,
                &a.bundle.board.id,
                b.bundle.as_of_seq,
            )
                .cmp(&(
                    &sb.day,
                    &sb.start,
                    &sb.id,
                    &b.bundle.board.id,
                    a.bundle.as_of_seq,
                ))
        });
        let mut notes = vec![];
        let mut used: Vec<&Verified> = vec![];
        for v in order {
            if used.iter().any(|u| u.sha256 == v.sha256) {
                notes.push(Note::SameFile {
                    sha256: v.sha256.clone(),
                });
                continue;
            }
            if let Some(newer) = used.iter().find(|u| {
                u.bundle.board.key == v.bundle.board.key
                    && u.bundle.session.id == v.bundle.session.id
            }) {
                notes.push(Note::OlderBundle {
                    session: v.bundle.session.id.clone(),
                    board: v.bundle.board.id.clone(),
                    used_seq: newer.bundle.as_of_seq,
                    dropped_seq: v.bundle.as_of_seq,
                });
                continue;
            }
            used.push(v);
        }

        let mut tests: Vec<TestReport> = vec![];
        for v in &used {
            for t in &v.bundle.tests {
                match tests.iter().find(|x| x.id == t.id) {
                    Some(known) if known.items != t.items || known.kind != t.kind => {
                        return Err(format!(
                            "test {} differs between the bundles ({} has other items): they are \
                             not of the same package file",
                            t.id,
                            describe(v)
                        ));
                    }
                    Some(_) => {}
                    None => {
                        let mut type_max = [None; 5];
                        let mut max = 0;
                        for i in &t.items {
                            let m = u64::from(i.points) * 1000;
                            let slot = &mut type_max[type_index(i.item_type)];
                            *slot = Some(slot.unwrap_or(0) + m);
                            if objective(t.kind, i) {
                                max += m;
                            }
                        }
                        tests.push(TestReport {
                            id: t.id.clone(),
                            name: t.name.clone(),
                            kind: t.kind,
                            duration_minutes: t.duration_minutes,
                            items: t.items.clone(),
                            type_max,
                            max,
                            rows: vec![],
                            stats: vec![],
                            counted: 0,
                        });
                    }
                }
            }
        }

        for v in &used {
            let b = &v.bundle;
            if b.session.open {
                notes.push(Note::SessionOpen {
                    session: b.session.id.clone(),
                    board: b.board.id.clone(),
                });
            }
            for p in &b.participants {
                for a in &p.attempts {
                    let Some(test) = tests.iter_mut().find(|t| t.id == a.test) else {
                        return Err(format!(
                            "{} names test {} that the bundle does not describe: the bundle is \
                             damaged",
                            describe(v),
                            a.test
                        ));
                    };
                    let scored = test.scored();
                    let answers: Vec<AnswerResult> = test
                        .items
                        .iter()
                        .map(|item| {
                            a.answers
                                .iter()
                                .find(|x| x.item == item.id)
                                .cloned()
                                .unwrap_or_else(|| AnswerResult {
                                    item: item.id.clone(),
                                    response: None,
                                    doubtful: false,
                                    saved_at_ms: None,
                                    seq: None,
                                    rev: 0,
                                    score: objective(test.kind, item).then_some(0),
                                })
                        })
                        .collect();
                    let reached = reached(a.state);
                    let mut by_type = [None; 5];
                    if scored && reached {
                        for (item, ans) in test.items.iter().zip(&answers) {
                            if objective(test.kind, item) {
                                let slot = &mut by_type[type_index(item.item_type)];
                                *slot = Some(slot.unwrap_or(0) + ans.score.unwrap_or(0));
                            }
                        }
                    }
                    test.rows.push(ScoreRow {
                        username: p.username.clone(),
                        name: p.name.clone(),
                        class: p.class.clone(),
                        board: b.board.id.clone(),
                        session: b.session.id.clone(),
                        state: a.state,
                        reason: a.reason.clone(),
                        total: (scored && reached).then(|| by_type.iter().flatten().sum()),
                        by_type,
                        time_used_ms: a.time_used_ms,
                        answers,
                        counted: false,
                    });
                }
            }
        }

        for t in &mut tests {
            count_once(t, &mut notes);
            t.stats = item_stats(t);
        }

        let sources = used
            .iter()
            .map(|v| Source {
                board: v.bundle.board.id.clone(),
                session: v.bundle.session.clone(),
                sha256: v.sha256.clone(),
                as_of_seq: v.bundle.as_of_seq,
                generated_by: v.bundle.generated_by.clone(),
                participants: v.bundle.participants.len(),
            })
            .collect();
        Ok(Report {
            package,
            sources,
            notes,
            tests,
        })
    }

    /// Several sessions or boards (the report then names them per row).
    pub fn several_sources(&self) -> bool {
        self.sources.len() > 1
    }
}

/// The start of a public key, enough to tell two apart.
fn short_key(k: &str) -> String {
    let k = k.strip_prefix("ruji-pk:").unwrap_or(k);
    format!("{}…", k.chars().take(10).collect::<String>())
}

/// Marks the attempts the analysis counts: those that reached the items, one per username.
fn count_once(t: &mut TestReport, notes: &mut Vec<Note>) {
    let mut best: BTreeMap<&str, (usize, usize)> = BTreeMap::new(); // username -> (row, answered)
    let mut repeated = vec![];
    for (i, r) in t.rows.iter().enumerate() {
        if !r.reached_items() {
            continue;
        }
        let n = r.answered_count();
        match best.get_mut(r.username.as_str()) {
            Some(b) => {
                if !repeated.contains(&r.username) {
                    repeated.push(r.username.clone());
                }
                if n > b.1 {
                    *b = (i, n);
                }
            }
            None => {
                best.insert(&r.username, (i, n));
            }
        }
    }
    let keep: Vec<usize> = best.values().map(|b| b.0).collect();
    for i in keep {
        t.rows[i].counted = true;
    }
    t.counted = t.rows.iter().filter(|r| r.counted).count();
    for username in repeated {
        notes.push(Note::SeveralAttempts {
            username,
            test: t.id.clone(),
        });
    }
}

fn item_stats(t: &TestReport) -> Vec<ItemStats> {
    let counted: Vec<&ScoreRow> = t.rows.iter().filter(|r| r.counted).collect();
    let n = counted.len();
    // Ranked by test score, highest first; ties in a fixed order.
    let mut ranked = counted.clone();
    ranked.sort_by(|a, b| {
        b.total
            .cmp(&a.total)
            .then_with(|| a.username.cmp(&b.username))
            .then_with(|| a.session.cmp(&b.session))
            .then_with(|| a.board.cmp(&b.board))
    });
    let k = ((n as f64 * GROUP_SHARE).round() as usize).max(1);
    let (upper, lower) = if n >= MIN_DISCRIMINATION_N {
        (&ranked[..k], &ranked[n - k..])
    } else {
        (&ranked[..0], &ranked[..0])
    };
    let score = |r: &ScoreRow, i: usize| r.answers[i].score.unwrap_or(0) as f64;

    t.items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let answered_n = counted.iter().filter(|r| answered(&r.answers[i])).count();
            let full = f64::from(item.points) * 1000.0;
            let scorable = objective(t.kind, item) && item.points > 0;
            let difficulty = (scorable && n > 0)
                .then(|| counted.iter().map(|r| score(r, i)).sum::<f64>() / n as f64 / full);
            let discrimination = if !scorable {
                Discrimination::NotScored
            } else if n < MIN_DISCRIMINATION_N {
                Discrimination::TooFew
            } else {
                let mean = |g: &[&ScoreRow]| g.iter().map(|r| score(r, i)).sum::<f64>() / k as f64;
                Discrimination::Value((mean(upper) - mean(lower)) / full)
            };
            ItemStats {
                answered: answered_n,
                no_answer: n - answered_n,
                difficulty,
                discrimination,
                frequencies: frequencies(item, counted.iter().map(|r| &r.answers[i])),
            }
        })
        .collect()
}

fn frequencies<'a>(
    item: &ItemShape,
    answers: impl Iterator<Item = &'a AnswerResult>,
) -> Frequencies {
    if !matches!(
        item.item_type,
        ItemType::MultipleChoice | ItemType::ComplexMultipleChoice
    ) {
        return Frequencies::None;
    }
    let mut chosen = vec![0usize; item.options.len()];
    let mut judged: Vec<(usize, usize)> = vec![(0, 0); item.options.len()];
    let mut grid = false;
    let pos = |id: &str| item.options.iter().position(|o| o == id);
    for a in answers {
        match &a.response {
            Some(Response::Choice(c)) => {
                if let Some(p) = pos(c) {
                    chosen[p] += 1;
                }
            }
            Some(Response::Choices(cs)) => {
                for c in cs {
                    if let Some(p) = pos(c) {
                        chosen[p] += 1;
                    }
                }
            }
            Some(Response::TrueFalse(v)) => {
                grid = true;
                for (j, x) in v.iter().enumerate().take(judged.len()) {
                    match x {
                        Some(true) => judged[j].0 += 1,
                        Some(false) => judged[j].1 += 1,
                        None => {}
                    }
                }
            }
            _ => {}
        }
    }
    if grid {
        Frequencies::TrueFalse(
            item.options
                .iter()
                .zip(judged)
                .map(|(id, (t, f))| (id.clone(), t, f))
                .collect(),
        )
    } else {
        Frequencies::Choices(item.options.iter().cloned().zip(chosen).collect())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use ruji_package::bundle::{
        self, AttemptResult, BoardRef, Bundle, ParticipantResult, TestShape,
    };
    use ruji_package::device::DeviceKey;

    pub fn shape(id: &str, t: ItemType, points: u32, options: &[&str]) -> ItemShape {
        ItemShape {
            id: id.into(),
            item_type: t,
            points,
            options: options.iter().map(|s| s.to_string()).collect(),
        }
    }

    pub fn answer(item: &str, r: Option<Response>, score: Option<Milli>) -> AnswerResult {
        AnswerResult {
            item: item.into(),
            saved_at_ms: r.as_ref().map(|_| 1000),
            seq: r.as_ref().map(|_| 1),
            response: r,
            doubtful: false,
            rev: 1,
            score,
        }
    }

    pub fn attempt(test: &str, state: Outcome, answers: Vec<AnswerResult>) -> AttemptResult {
        AttemptResult {
            test: test.into(),
            state,
            reason: None,
            started_at_ms: Some(0),
            finished_at_ms: None,
            time_used_ms: 1_800_000,
            time_limit_ms: 3_600_000,
            score: answers.iter().filter_map(|a| a.score).sum(),
            max_score: 0,
            answers,
        }
    }

    pub fn participant(u: &str, attempts: Vec<AttemptResult>) -> ParticipantResult {
        ParticipantResult {
            username: u.into(),
            name: format!("Peserta {u}"),
            class: "IX-A".into(),
            reserve: false,
            reserve_active: false,
            resets: 0,
            attempts,
        }
    }

    pub fn bundle_of(
        key: &DeviceKey,
        session: &str,
        tests: Vec<TestShape>,
        participants: Vec<ParticipantResult>,
    ) -> Bundle {
        Bundle {
            format: bundle::FORMAT.into(),
            version: bundle::VERSION,
            generated_by: "Ruji test".into(),
            board: BoardRef {
                id: key.id(),
                key: key.public(),
            },
            package: PackageRef {
                id: "PAS-1".into(),
                title: "Penilaian Akhir Semester".into(),
                issuer: "SMP Negeri 1 Contoh".into(),
                issuer_key: "ruji-pk:issuer".into(),
                nonce: "n1".into(),
            },
            session: SessionRef {
                id: session.into(),
                name: format!("Sesi {session}"),
                day: "2026-12-01".into(),
                start: "07:30".into(),
                open: false,
                opened_at_ms: Some(0),
                closed_at_ms: Some(9_000_000),
            },
            as_of_seq: 100,
            tests,
            participants,
            events: Default::default(),
        }
    }

    pub fn key() -> DeviceKey {
        let dir = tempfile::tempdir().unwrap();
        DeviceKey::load_or_create(dir.path()).unwrap()
    }

    pub fn verified(b: &Bundle, key: &DeviceKey) -> Verified {
        bundle::verify(&bundle::seal(b, key), None).unwrap()
    }

    /// A class of 30 on a test with every AKM type, for the writers' tests: P01 finished
    /// with full marks, P02 force-finished ("listrik padam"), P03 timed out, P04 never came;
    /// item Q7 nobody answered; Q6 an essay (P01's is long, with a line break and markup).
    pub fn class_report() -> Report {
        let k = key();
        let items = vec![
            shape("Q1", ItemType::MultipleChoice, 2, &["A", "B", "C", "D"]),
            shape("Q2", ItemType::ComplexMultipleChoice, 2, &["A", "B", "C"]),
            shape(
                "Q3",
                ItemType::ComplexMultipleChoice,
                3,
                &["P1", "P2", "P3"],
            ),
            shape("Q4", ItemType::Matching, 3, &["1", "2", "3"]),
            shape("Q5", ItemType::ShortAnswer, 1, &[]),
            shape("Q6", ItemType::Essay, 4, &[]),
            shape("Q7", ItemType::MultipleChoice, 1, &["A", "B", "C", "D"]),
        ];
        let ps = (1..=30u64)
            .map(|i| {
                let u = format!("P{i:02}");
                let good = i == 1 || i % 3 == 0;
                let state = match i {
                    2 => Outcome::FinishedProctor,
                    3 => Outcome::FinishedTimeout,
                    4 => Outcome::NotStarted,
                    _ => Outcome::FinishedParticipant,
                };
                let answers = if state == Outcome::NotStarted {
                    vec![]
                } else {
                    let essay = if i == 1 {
                        "Energi terbarukan <b>penting</b> karena tidak habis.\nContohnya \
                         matahari, angin, dan air; panel surya di atap sekolah bisa \
                         menghemat listrik setiap bulan."
                            .to_string()
                    } else {
                        format!("jawaban uraian {i}")
                    };
                    let mut a = vec![
                        answer(
                            "Q1",
                            Some(Response::Choice(if good { "B" } else { "C" }.into())),
                            Some(if good { 2000 } else { 0 }),
                        ),
                        answer(
                            "Q2",
                            Some(Response::Choices(vec!["A".into(), "C".into()])),
                            Some(if good { 2000 } else { 1000 }),
                        ),
                        answer(
                            "Q3",
                            Some(Response::TrueFalse(vec![Some(true), Some(good), None])),
                            Some(if good { 2000 } else { 1000 }),
                        ),
                        answer(
                            "Q4",
                            Some(Response::Matching(vec![
                                ("1".into(), "a".into()),
                                ("2".into(), "b".into()),
                            ])),
                            Some(2000),
                        ),
                        answer(
                            "Q5",
                            Some(Response::Text(if good { "2,5" } else { "25" }.into())),
                            Some(if good { 1000 } else { 0 }),
                        ),
                        answer("Q6", Some(Response::Text(essay)), None),
                        answer("Q7", None, Some(0)),
                    ];
                    a[1].doubtful = i == 5;
                    a
                };
                let mut at = attempt("T", state, answers);
                if i == 2 {
                    at.reason = Some("listrik padam".into());
                }
                let mut p = participant(&u, vec![at]);
                p.name = format!("Siswa Nomor {i}");
                p
            })
            .collect();
        let b = bundle_of(&k, "S1", vec![test_shape(items)], ps);
        Report::from_bundles(&[verified(&b, &k)]).unwrap()
    }

    #[test]
    fn the_class_fixture_adds_up() {
        let r = class_report();
        let t = &r.tests[0];
        assert_eq!(t.rows.len(), 30);
        assert_eq!(t.counted, 29);
        assert_eq!(t.max, 12_000);
        assert_eq!(t.rows[0].total, Some(9000));
        assert_eq!(t.rows[4].total, Some(4000));
        assert!(t.stats[6].nobody_answered());
        assert_eq!(t.hand_items(), vec![4, 5]);
    }

    fn test_shape(items: Vec<ItemShape>) -> TestShape {
        TestShape {
            id: "T".into(),
            name: "Matematika".into(),
            kind: TestKind::Scored,
            duration_minutes: 60,
            items,
        }
    }

    /// 20 participants P01..P20 on one multiple-choice item Q1 (2 points, key B) and an item
    /// Q2 nobody answered; P01..P05 right on Q1 and given 10 extra points on Q3 so they form the
    /// top; P16..P20 choose A. With 20 attempts each group has round(5.4) = 5.
    fn twenty() -> Report {
        let k = key();
        let items = vec![
            shape("Q1", ItemType::MultipleChoice, 2, &["A", "B", "C", "D"]),
            shape("Q2", ItemType::MultipleChoice, 1, &["A", "B", "C", "D"]),
            shape("Q3", ItemType::ShortAnswer, 10, &[]),
        ];
        let ps = (1..=20)
            .map(|i| {
                let u = format!("P{i:02}");
                let top = i <= 5;
                let q1 = if top {
                    answer("Q1", Some(Response::Choice("B".into())), Some(2000))
                } else if i > 15 {
                    answer("Q1", Some(Response::Choice("A".into())), Some(0))
                } else if i % 2 == 0 {
                    answer("Q1", Some(Response::Choice("C".into())), Some(0))
                } else {
                    answer("Q1", None, Some(0))
                };
                let q3 = answer(
                    "Q3",
                    Some(Response::Text(if top { "12" } else { "3" }.into())),
                    Some(if top { 10_000 } else { 0 }),
                );
                participant(
                    &u,
                    vec![attempt(
                        "T",
                        Outcome::FinishedParticipant,
                        vec![q1, answer("Q2", None, Some(0)), q3],
                    )],
                )
            })
            .collect();
        let b = bundle_of(&k, "S1", vec![test_shape(items)], ps);
        Report::from_bundles(&[verified(&b, &k)]).unwrap()
    }

    #[test]
    fn difficulty_discrimination_and_option_counts_on_a_known_split() {
        let r = twenty();
        let t = &r.tests[0];
        assert_eq!(t.counted, 20);
        let q1 = &t.stats[0];
        // 5 of 20 got 2 of 2 points.
        assert_eq!(q1.difficulty, Some(0.25));
        // Upper 5 (P01..P05) all right, lower 5 (P16..P20, ranked last by username) all wrong.
        assert_eq!(q1.discrimination, Discrimination::Value(1.0));
        assert_eq!(
            q1.frequencies,
            Frequencies::Choices(vec![
                ("A".into(), 5),
                ("B".into(), 5),
                ("C".into(), 5),
                ("D".into(), 0)
            ])
        );
        // P07, P09, P11, P13, P15 left it blank.
        assert_eq!((q1.answered, q1.no_answer), (15, 5));
        assert!(!q1.nobody_answered());
        // Q2: nobody answered; p = 0, D = 0.
        let q2 = &t.stats[1];
        assert!(q2.nobody_answered());
        assert_eq!(q2.difficulty, Some(0.0));
        assert_eq!(q2.discrimination, Discrimination::Value(0.0));
        assert_eq!((q2.answered, q2.no_answer), (0, 20));
        // The short answer is objective, not a choice item.
        assert_eq!(t.stats[2].difficulty, Some(0.25));
        assert_eq!(t.stats[2].frequencies, Frequencies::None);
        // Subtotals per type and the total.
        let p1 = &t.rows[0];
        assert_eq!(p1.total, Some(12_000));
        assert_eq!(p1.by_type, [Some(2000), None, None, Some(10_000), None]);
        assert_eq!(t.type_max, [Some(3000), None, None, Some(10_000), None]);
        assert_eq!(t.max, 13_000);
        let s = t.summary().unwrap();
        assert_eq!((s.n, s.highest, s.lowest), (20, 12_000, 0));
        assert_eq!(s.mean, 3000.0);
    }

    #[test]
    fn discrimination_is_withheld_under_ten_and_partial_credit_counts_in_p() {
        let k = key();
        let items = vec![
            shape("C1", ItemType::ComplexMultipleChoice, 4, &["A", "B", "C"]),
            shape("TF", ItemType::ComplexMultipleChoice, 2, &["S1", "S2"]),
            shape("E1", ItemType::Essay, 5, &[]),
        ];
        let ps = (1..=9)
            .map(|i| {
                participant(
                    &format!("U{i}"),
                    vec![attempt(
                        "T",
                        Outcome::FinishedTimeout,
                        vec![
                            answer(
                                "C1",
                                Some(Response::Choices(vec!["A".into(), "C".into()])),
                                Some(if i <= 3 { 4000 } else { 1000 }),
                            ),
                            answer(
                                "TF",
                                Some(Response::TrueFalse(vec![Some(true), None])),
                                Some(1000),
                            ),
                            answer("E1", Some(Response::Text(format!("esai {i}"))), None),
                        ],
                    )],
                )
            })
            .collect();
        let b = bundle_of(&k, "S1", vec![test_shape(items)], ps);
        let r = Report::from_bundles(&[verified(&b, &k)]).unwrap();
        let t = &r.tests[0];
        assert_eq!(t.counted, 9);
        // (3×4 + 6×1) / 9 / 4 = 0.5.
        assert_eq!(t.stats[0].difficulty, Some(0.5));
        assert_eq!(t.stats[0].discrimination, Discrimination::TooFew);
        assert_eq!(
            t.stats[0].frequencies,
            Frequencies::Choices(vec![("A".into(), 9), ("B".into(), 0), ("C".into(), 9)])
        );
        assert_eq!(
            t.stats[1].frequencies,
            Frequencies::TrueFalse(vec![("S1".into(), 9, 0), ("S2".into(), 0, 0)])
        );
        // The essay: no p, no D; listed for scoring by hand with the short answers.
        assert_eq!(t.stats[2].difficulty, None);
        assert_eq!(t.stats[2].discrimination, Discrimination::NotScored);
        assert_eq!(t.hand_items(), vec![2]);
        assert_eq!(t.max, 6000, "essays are not in the automatic full marks");
        assert_eq!(t.type_max[4], Some(5000));
        assert_eq!(t.rows[0].by_type[4], None);
    }

    #[test]
    fn states_reasons_and_who_counts() {
        let k = key();
        let items = vec![shape("Q1", ItemType::MultipleChoice, 1, &["A", "B"])];
        let mut forced = attempt(
            "T",
            Outcome::FinishedProctor,
            vec![answer("Q1", Some(Response::Choice("A".into())), Some(1000))],
        );
        forced.reason = Some("komputer mati".into());
        let ps = vec![
            participant("A1", vec![forced]),
            participant("A2", vec![attempt("T", Outcome::NotStarted, vec![])]),
            participant("A3", vec![attempt("T", Outcome::Practice, vec![])]),
            participant(
                "A4",
                vec![attempt(
                    "T",
                    Outcome::InProgress,
                    vec![answer("Q1", Some(Response::Choice("B".into())), Some(0))],
                )],
            ),
        ];
        let b = bundle_of(&k, "S1", vec![test_shape(items)], ps);
        let r = Report::from_bundles(&[verified(&b, &k)]).unwrap();
        let t = &r.tests[0];
        assert_eq!(t.rows.len(), 4, "every participant has a score row");
        assert_eq!(t.rows[0].state, Outcome::FinishedProctor);
        assert_eq!(t.rows[0].reason.as_deref(), Some("komputer mati"));
        let counted: Vec<&str> = t
            .rows
            .iter()
            .filter(|r| r.counted)
            .map(|r| r.username.as_str())
            .collect();
        assert_eq!(counted, ["A1", "A4"]);
        // The not-started attempt listed no answer: its items are unanswered, and it has no
        // score (absent is not zero).
        assert_eq!(t.rows[1].answers.len(), 1);
        assert_eq!(t.rows[1].answers[0].score, Some(0));
        assert_eq!(t.rows[1].total, None);
        assert_eq!(t.rows[1].by_type, [None; 5]);
        assert_eq!(t.rows[0].total, Some(1000));
        assert_eq!(t.stats[0].difficulty, Some(0.5));
    }

    #[test]
    fn several_boards_merge_and_mixed_packages_are_refused() {
        let (k1, k2) = (key(), key());
        let items = vec![shape("Q1", ItemType::MultipleChoice, 1, &["A", "B"])];
        let one = |u: &str, c: &str, s: Milli| {
            participant(
                u,
                vec![attempt(
                    "T",
                    Outcome::FinishedParticipant,
                    vec![answer("Q1", Some(Response::Choice(c.into())), Some(s))],
                )],
            )
        };
        let b1 = bundle_of(
            &k1,
            "S1",
            vec![test_shape(items.clone())],
            vec![one("A", "A", 1000)],
        );
        let mut b2 = bundle_of(
            &k2,
            "S1",
            vec![test_shape(items.clone())],
            vec![one("B", "B", 0), one("A", "B", 0)],
        );
        // "A" moved to the second board without answering there.
        b2.participants[1].attempts[0].answers[0] = answer("Q1", None, Some(0));
        let r = Report::from_bundles(&[verified(&b1, &k1), verified(&b2, &k2)]).unwrap();
        assert_eq!(r.sources.len(), 2);
        let t = &r.tests[0];
        assert_eq!(t.rows.len(), 3);
        assert_eq!(
            t.counted, 2,
            "A counts once, with the attempt that has answers"
        );
        assert!(r.notes.contains(&Note::SeveralAttempts {
            username: "A".into(),
            test: "T".into()
        }));
        assert_eq!(t.stats[0].difficulty, Some(0.5));

        // An older bundle of the same board's session is left out; the same file twice too.
        let mut older = b1.clone();
        older.as_of_seq = 50;
        older.participants.clear();
        let r = Report::from_bundles(&[
            verified(&older, &k1),
            verified(&b1, &k1),
            verified(&b1, &k1),
        ])
        .unwrap();
        assert_eq!(r.sources.len(), 1);
        assert_eq!(r.sources[0].as_of_seq, 100);
        assert_eq!(r.tests[0].rows.len(), 1);
        assert!(matches!(
            r.notes[..],
            [
                Note::SameFile { .. },
                Note::OlderBundle {
                    used_seq: 100,
                    dropped_seq: 50,
                    ..
                }
            ]
        ));

        // Another package.
        let mut other = b2.clone();
        other.package.id = "PAS-2".into();
        let e = Report::from_bundles(&[verified(&b1, &k1), verified(&other, &k2)]).unwrap_err();
        assert!(e.contains("different packages are mixed"), "{e}");
        assert!(e.contains("PAS-2"), "{e}");
        // The same package id from another issuer.
        let mut stranger = b2.clone();
        stranger.package.issuer_key = "ruji-pk:someone-else".into();
        let e = Report::from_bundles(&[verified(&b1, &k1), verified(&stranger, &k2)]).unwrap_err();
        assert!(e.contains("from different issuers"), "{e}");
        // Another packing of the same package.
        let mut repacked = b2.clone();
        repacked.package.nonce = "n2".into();
        let e = Report::from_bundles(&[verified(&b1, &k1), verified(&repacked, &k2)]).unwrap_err();
        assert!(e.contains("different packings"), "{e}");
        // The same test with other items.
        let mut changed = b2.clone();
        changed.tests[0].items[0].points = 2;
        let e = Report::from_bundles(&[verified(&b1, &k1), verified(&changed, &k2)]).unwrap_err();
        assert!(e.contains("test T differs"), "{e}");
        assert!(Report::from_bundles(&[]).is_err());
    }

    #[test]
    fn surveys_have_frequencies_but_no_scores() {
        let k = key();
        let mut t = test_shape(vec![shape(
            "K1",
            ItemType::MultipleChoice,
            1,
            &["1", "2", "3"],
        )]);
        t.kind = TestKind::Survey;
        let ps = vec![participant(
            "S",
            vec![attempt(
                "T",
                Outcome::FinishedParticipant,
                vec![answer("K1", Some(Response::Choice("3".into())), None)],
            )],
        )];
        let b = bundle_of(&k, "S1", vec![t], ps);
        let r = Report::from_bundles(&[verified(&b, &k)]).unwrap();
        let t = &r.tests[0];
        assert_eq!(t.rows[0].total, None);
        assert_eq!(t.max, 0);
        assert_eq!(t.stats[0].difficulty, None);
        assert_eq!(t.stats[0].discrimination, Discrimination::NotScored);
        assert_eq!(
            t.stats[0].frequencies,
            Frequencies::Choices(vec![("1".into(), 0), ("2".into(), 0), ("3".into(), 1)])
        );
        assert!(t.summary().is_none());
        assert!(t.hand_items().is_empty());
    }
}
