//! The exam package model: what arrives from the central server (or a teacher) before exam day.
//!
//! A [`Package`] holds the [`Test`]s, their [`Item`]s and shared [`Stimulus`] texts, the
//! [`Participant`]s and the [`Session`] schedule. Answer keys live inside [`ItemBody`]; the only
//! thing a client ever receives is an [`ItemView`], built by [`Item::view`], which has none.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

use crate::{shuffle, Millis};

/// Format version of [`Package`] as stored; bump on incompatible change.
pub const PACKAGE_VERSION: u32 = 1;

/// A complete exam package. `Default` is the empty package (nothing installed yet).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Package {
    /// Stable identifier, e.g. `ANBK-2026-SMP-LIT`.
    pub id: String,
    /// Human title shown to the proctor.
    pub title: String,
    /// Who issued it (the central server, a school).
    pub issuer: String,
    /// Shared reading texts, tables or pictures that several items refer to.
    pub stimuli: Vec<Stimulus>,
    /// Every item of every test.
    pub items: Vec<Item>,
    /// The tests (literacy, numeracy, survey...).
    pub tests: Vec<Test>,
    /// Main and reserve participants.
    pub participants: Vec<Participant>,
    /// The schedule: which tests which participants take in which session.
    pub sessions: Vec<Session>,
}

/// A shared stimulus (reading text, table, picture) shown beside the items that refer to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stimulus {
    /// Identifier referenced by [`Item::stimulus`].
    pub id: String,
    /// Title shown above the text.
    pub title: String,
    /// Sanitised HTML.
    pub html: String,
}

/// The kind of a test, deciding whether it counts towards a score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestKind {
    /// Practice: answers kept but never scored.
    Practice,
    /// A scored test (literacy, numeracy, a school's semester exam).
    Scored,
    /// A survey (character, learning environment): answers kept, not scored.
    Survey,
}

/// Settings of a test that schools vary; defaults follow common UNBK/ANBK practice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestRules {
    /// Show items in a per-participant order.
    pub shuffle_items: bool,
    /// Show options in a per-participant order.
    pub shuffle_options: bool,
    /// Refuse "Selesai" while any item is still marked doubtful (ragu-ragu).
    pub refuse_finish_while_doubtful: bool,
    /// Refuse "Selesai" before this many minutes of the test have passed.
    pub min_minutes_before_finish: u32,
    /// Ask "Apakah Anda yakin...?" with a tick box before finishing.
    pub confirm_finish: bool,
    /// Warn this many minutes before the end.
    pub warning_minutes: u32,
    /// The practice items' time limit in minutes, counted from the token; when it is up the
    /// practice ends by itself and the test starts. 0: untimed (the participant ends it).
    /// Default [`DEFAULT_PRACTICE_MINUTES`] (the guide allots 10, 25 or 60).
    #[serde(default = "default_practice_minutes")]
    pub practice_minutes: u32,
}

/// The practice's time limit when a package does not say (the guide's 10 minutes for lower
/// and upper secondary schools; primary schools' packages say 25 or 60).
pub const DEFAULT_PRACTICE_MINUTES: u32 = 10;

fn default_practice_minutes() -> u32 {
    DEFAULT_PRACTICE_MINUTES
}

/// Minutes a session's default length allows beyond each of its tests' time, for logging in,
/// the identity check and the token ([`Session::length`]).
pub const SESSION_ALLOWANCE_MINUTES: u32 = 10;

impl TestRules {
    /// How long before the end the warning shows for a test of working time `limit`: none
    /// when the test is no longer than the warning window (a 5-minute test starts "warned").
    pub fn warning_window(&self, limit: Millis) -> Millis {
        let w = u64::from(self.warning_minutes) * crate::MINUTE;
        if limit > w {
            w
        } else {
            0
        }
    }
}

impl Default for TestRules {
    fn default() -> Self {
        TestRules {
            shuffle_items: false,
            shuffle_options: true,
            refuse_finish_while_doubtful: true,
            min_minutes_before_finish: 0,
            confirm_finish: true,
            warning_minutes: 5,
            practice_minutes: DEFAULT_PRACTICE_MINUTES,
        }
    }
}

/// A test: an ordered list of items with a duration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Test {
    /// Identifier.
    pub id: String,
    /// Name shown on the confirmation page, e.g. "Literasi Membaca".
    pub name: String,
    /// Practice, scored or survey.
    pub kind: TestKind,
    /// Working time in minutes.
    pub duration_minutes: u32,
    /// Items of the test, in authoring order.
    pub items: Vec<String>,
    /// Practice items shown before the clock starts (answers never scored).
    pub practice_items: Vec<String>,
    /// Rules for finishing, shuffling and warnings.
    pub rules: TestRules,
    /// The content is still sealed (imported, not yet released with its code): no items yet,
    /// and a session with this test cannot open.
    pub sealed: bool,
}

/// Sex as printed on the confirmation page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sex {
    /// Laki-laki.
    Male,
    /// Perempuan.
    Female,
}

/// Length of a password Ruji makes for a login card (`ruji pack`, a reissue on the board).
pub const PASSWORD_LEN: usize = 8;

/// Characters of a password Ruji makes: capitals and digits without look-alikes (no `0`/`O`,
/// `1`/`I`, and no lowercase letters at all, so no `l`), easy to type from a printed card.
pub const PASSWORD_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// argon2id memory per password hash, KiB: the board's hashes and the ones `ruji pack` puts in a
/// package (docs/decisions.md D27, D10).
pub const ARGON2_KIB: u32 = 8 * 1024;
/// argon2id passes.
pub const ARGON2_T: u32 = 2;

/// Is `password` (as a package lists it) an argon2id hash (a PHC string) rather than the plain
/// password? Packages made by `ruji pack` carry only hashes; the plain passwords are printed on
/// the login cards and nowhere else.
pub fn is_password_hash(password: &str) -> bool {
    password.starts_with("$argon2id$")
}

/// A password of [`PASSWORD_LEN`] characters from [`PASSWORD_ALPHABET`]; `index(n)` gives a
/// uniformly random number below `n` (the caller's random source: no I/O here).
pub fn generate_password(mut index: impl FnMut(usize) -> usize) -> String {
    (0..PASSWORD_LEN)
        .map(|_| {
            PASSWORD_ALPHABET[index(PASSWORD_ALPHABET.len()) % PASSWORD_ALPHABET.len()] as char
        })
        .collect()
}

/// A participant as listed in the package. The password is the one printed on the login card
/// (in a package file: its argon2id hash, [`is_password_hash`]); the
/// store keeps only its argon2 hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    /// Username (nomor peserta).
    pub username: String,
    /// Password from the login card.
    pub password: String,
    /// Full name.
    pub name: String,
    /// Date of birth, `YYYY-MM-DD`, when known.
    pub birth_date: Option<String>,
    /// Class (rombel), e.g. "IX-A".
    pub class: String,
    /// Sex, when known.
    pub sex: Option<Sex>,
    /// A reserve (peserta cadangan): may log in only once the proctor activates them.
    pub reserve: bool,
}

/// A session (sesi) of the schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Identifier.
    pub id: String,
    /// Name, e.g. "Hari 1 Sesi 1".
    pub name: String,
    /// Day, `YYYY-MM-DD`.
    pub day: String,
    /// Start time, `HH:MM`.
    pub start: String,
    /// Tests taken in this session, in order.
    pub tests: Vec<String>,
    /// Participants (the test group); reserves listed here may be activated.
    pub participants: Vec<String>,
    /// The session's length in minutes from when the proctor opens it: a test that starts
    /// late gets only what remains of it (the guide: a late arrival gets no extra time).
    /// `None`: each of its tests' time with its timed practice and [`SESSION_ALLOWANCE_MINUTES`];
    /// `Some(0)`: no session end (each participant gets each test's whole time).
    #[serde(default)]
    pub minutes: Option<u32>,
}

/// A choice, statement, matching premise or matching target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    /// Identifier within the item, e.g. "A".
    pub id: String,
    /// Sanitised HTML.
    pub html: String,
}

/// The five AKM item types (as reported by `ruji import --check`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemType {
    /// Pilihan ganda: one correct option.
    MultipleChoice,
    /// Pilihan ganda kompleks: several correct options, or a true/false grid.
    ComplexMultipleChoice,
    /// Menjodohkan: pair premises with targets.
    Matching,
    /// Isian singkat: a short typed answer.
    ShortAnswer,
    /// Uraian: free text, stored unscored.
    Essay,
}

/// The body of an item, including its key. Never sent to a client: see [`ItemView`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ItemBody {
    /// One correct option.
    MultipleChoice {
        /// Options.
        options: Vec<Choice>,
        /// Id of the correct option.
        key: String,
    },
    /// Several correct options ("pilih semua jawaban yang benar").
    MultipleResponse {
        /// Options.
        options: Vec<Choice>,
        /// Ids of the correct options.
        key: Vec<String>,
    },
    /// A grid of statements, each to be judged true or false.
    TrueFalse {
        /// Statements.
        statements: Vec<Choice>,
        /// Per statement: is it true.
        key: Vec<bool>,
    },
    /// Pair each premise with one target.
    Matching {
        /// Left column.
        premises: Vec<Choice>,
        /// Right column.
        targets: Vec<Choice>,
        /// (premise id, target id) pairs that are correct; one per premise.
        key: Vec<(String, String)>,
    },
    /// A short typed answer, compared after normalisation.
    ShortAnswer {
        /// Accepted answers.
        accepted: Vec<String>,
        /// Compare case-sensitively (default: not).
        case_sensitive: bool,
    },
    /// Free text, stored for a human to score.
    Essay {
        /// Maximum length in characters.
        max_chars: u32,
    },
}

/// An item (butir soal).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// Identifier, unique in the package.
    pub id: String,
    /// Shared stimulus shown beside the item.
    pub stimulus: Option<String>,
    /// The question, sanitised HTML.
    pub prompt: String,
    /// Full marks for this item.
    pub points: u32,
    /// Type-specific body with the key.
    pub body: ItemBody,
}

/// Longest short answer accepted, in characters.
pub const SHORT_ANSWER_MAX_CHARS: usize = 200;

impl Item {
    /// The AKM type of this item.
    pub fn item_type(&self) -> ItemType {
        match self.body {
            ItemBody::MultipleChoice { .. } => ItemType::MultipleChoice,
            ItemBody::MultipleResponse { .. } | ItemBody::TrueFalse { .. } => {
                ItemType::ComplexMultipleChoice
            }
            ItemBody::Matching { .. } => ItemType::Matching,
            ItemBody::ShortAnswer { .. } => ItemType::ShortAnswer,
            ItemBody::Essay { .. } => ItemType::Essay,
        }
    }

    /// The ids a response to this item names, in authoring order (options, statements,
    /// premises); empty for short answers and essays. Never the key.
    pub fn response_ids(&self) -> Vec<String> {
        let ids = |c: &[Choice]| c.iter().map(|c| c.id.clone()).collect();
        match &self.body {
            ItemBody::MultipleChoice { options, .. }
            | ItemBody::MultipleResponse { options, .. } => ids(options),
            ItemBody::TrueFalse { statements, .. } => ids(statements),
            ItemBody::Matching { premises, .. } => ids(premises),
            ItemBody::ShortAnswer { .. } | ItemBody::Essay { .. } => vec![],
        }
    }

    /// What a client may see: the item without its key, options in the order given by `seed`
    /// (`None` keeps authoring order).
    pub fn view(&self, seed: Option<u64>) -> ItemView {
        let order = |choices: &[Choice], salt: u64| -> Vec<Choice> {
            match seed {
                Some(s) => shuffle::permutation(choices.len(), s ^ salt)
                    .into_iter()
                    .map(|i| choices[i].clone())
                    .collect(),
                None => choices.to_vec(),
            }
        };
        let body = match &self.body {
            ItemBody::MultipleChoice { options, .. } => ViewBody::MultipleChoice {
                options: order(options, 1),
            },
            ItemBody::MultipleResponse { options, key } => ViewBody::MultipleResponse {
                options: order(options, 1),
                select: key.len() as u32,
            },
            ItemBody::TrueFalse { statements, .. } => ViewBody::TrueFalse {
                statements: statements.clone(),
            },
            ItemBody::Matching {
                premises, targets, ..
            } => ViewBody::Matching {
                premises: premises.clone(),
                targets: order(targets, 2),
            },
            ItemBody::ShortAnswer { .. } => ViewBody::ShortAnswer {
                max_chars: SHORT_ANSWER_MAX_CHARS as u32,
            },
            ItemBody::Essay { max_chars } => ViewBody::Essay {
                max_chars: *max_chars,
            },
        };
        ItemView {
            id: self.id.clone(),
            item_type: self.item_type(),
            stimulus: self.stimulus.clone(),
            prompt: self.prompt.clone(),
            body,
        }
    }
}

/// An item as a client sees it: no key, options possibly shuffled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemView {
    /// Item id.
    pub id: String,
    /// AKM type.
    pub item_type: ItemType,
    /// Stimulus id, if any.
    pub stimulus: Option<String>,
    /// The question HTML.
    pub prompt: String,
    /// What to render.
    pub body: ViewBody,
}

/// The type-specific part of an [`ItemView`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ViewBody {
    /// Radio buttons.
    MultipleChoice {
        /// Options in display order.
        options: Vec<Choice>,
    },
    /// Check boxes.
    MultipleResponse {
        /// Options in display order.
        options: Vec<Choice>,
        /// How many the participant is told to pick.
        select: u32,
    },
    /// A true/false grid.
    TrueFalse {
        /// Statements.
        statements: Vec<Choice>,
    },
    /// A select box per premise.
    Matching {
        /// Left column.
        premises: Vec<Choice>,
        /// Right column in display order.
        targets: Vec<Choice>,
    },
    /// A text field.
    ShortAnswer {
        /// Maximum characters.
        max_chars: u32,
    },
    /// A text area.
    Essay {
        /// Maximum characters.
        max_chars: u32,
    },
}

/// A package with sorted indexes of its ids, so that looking up a participant, an item, a
/// test or a session, or asking whether a participant is in a session, costs the same for the
/// first and the thousandth (the room does it on every request). It derefs to the [`Package`];
/// its look-ups answer as [`Package`]'s linear ones do (the first of equal ids).
#[derive(Debug, Clone, Default)]
pub struct IndexedPackage {
    package: Package,
    participants: Vec<u32>,
    items: Vec<u32>,
    tests: Vec<u32>,
    sessions: Vec<u32>,
    /// Per session (same order as `package.sessions`), positions in its participant list.
    members: Vec<Vec<u32>>,
}

/// Positions of `keys` sorted by key; among equal keys the first comes first.
fn sorted_positions<'a>(keys: impl Iterator<Item = &'a str>) -> Vec<u32> {
    let keys: Vec<&str> = keys.collect();
    let mut order: Vec<u32> = (0..keys.len() as u32).collect();
    order.sort_by_key(|&i| keys[i as usize]);
    order
}

/// The position whose key is `key`, by binary search in `index` (from [`sorted_positions`]).
fn look_up<'a>(index: &[u32], key: &str, key_at: impl Fn(usize) -> &'a str) -> Option<usize> {
    let i = index.partition_point(|&p| key_at(p as usize) < key);
    let p = *index.get(i)? as usize;
    (key_at(p) == key).then_some(p)
}

impl IndexedPackage {
    /// Indexes `package`.
    pub fn new(package: Package) -> Self {
        let ids = |v: &[Participant]| sorted_positions(v.iter().map(|p| p.username.as_str()));
        IndexedPackage {
            participants: ids(&package.participants),
            items: sorted_positions(package.items.iter().map(|i| i.id.as_str())),
            tests: sorted_positions(package.tests.iter().map(|t| t.id.as_str())),
            sessions: sorted_positions(package.sessions.iter().map(|s| s.id.as_str())),
            members: package
                .sessions
                .iter()
                .map(|s| sorted_positions(s.participants.iter().map(String::as_str)))
                .collect(),
            package,
        }
    }
    /// The package itself.
    pub fn package(&self) -> &Package {
        &self.package
    }
    /// Looks up an item.
    pub fn item(&self, id: &str) -> Option<&Item> {
        let items = &self.package.items;
        look_up(&self.items, id, |i| &items[i].id).map(|i| &items[i])
    }
    /// Looks up a test.
    pub fn test(&self, id: &str) -> Option<&Test> {
        let tests = &self.package.tests;
        look_up(&self.tests, id, |i| &tests[i].id).map(|i| &tests[i])
    }
    /// Looks up a participant.
    pub fn participant(&self, username: &str) -> Option<&Participant> {
        let ps = &self.package.participants;
        look_up(&self.participants, username, |i| &ps[i].username).map(|i| &ps[i])
    }
    /// Looks up a session.
    pub fn session(&self, id: &str) -> Option<&Session> {
        let ss = &self.package.sessions;
        look_up(&self.sessions, id, |i| &ss[i].id).map(|i| &ss[i])
    }
    /// Is `username` in the participant list of session `session_id`.
    pub fn in_session(&self, session_id: &str, username: &str) -> bool {
        let ss = &self.package.sessions;
        let Some(s) = look_up(&self.sessions, session_id, |i| &ss[i].id) else {
            return false;
        };
        let list = &ss[s].participants;
        look_up(&self.members[s], username, |i| &list[i]).is_some()
    }
}

impl std::ops::Deref for IndexedPackage {
    type Target = Package;
    fn deref(&self) -> &Package {
        &self.package
    }
}

impl From<Package> for IndexedPackage {
    fn from(package: Package) -> Self {
        IndexedPackage::new(package)
    }
}

/// A problem found by [`Package::validate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageError {
    /// Where: `item L03`, `test LIT`, `participant 12345`...
    pub place: String,
    /// What is wrong, in English (the CLI and logs); the web shows it as-is to the proctor.
    pub message: String,
}

impl std::fmt::Display for PackageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.place, self.message)
    }
}

impl Package {
    /// Looks up an item.
    pub fn item(&self, id: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.id == id)
    }
    /// Looks up a test.
    pub fn test(&self, id: &str) -> Option<&Test> {
        self.tests.iter().find(|t| t.id == id)
    }
    /// Looks up a stimulus.
    pub fn stimulus(&self, id: &str) -> Option<&Stimulus> {
        self.stimuli.iter().find(|s| s.id == id)
    }
    /// Looks up a participant.
    pub fn participant(&self, username: &str) -> Option<&Participant> {
        self.participants.iter().find(|p| p.username == username)
    }
    /// Looks up a session.
    pub fn session(&self, id: &str) -> Option<&Session> {
        self.sessions.iter().find(|s| s.id == id)
    }

    /// Checks every reference and key; returns all problems found, not just the first.
    pub fn validate(&self) -> Result<(), Vec<PackageError>> {
        let mut errs = Vec::new();
        let mut err = |place: String, message: &str| {
            errs.push(PackageError {
                place,
                message: message.to_string(),
            })
        };
        let unique = |ids: Vec<&str>| -> Option<String> {
            let mut seen = BTreeSet::new();
            ids.into_iter()
                .find(|id| !seen.insert(*id))
                .map(str::to_string)
        };
        if let Some(d) = unique(self.items.iter().map(|i| i.id.as_str()).collect()) {
            err(format!("item {d}"), "duplicate item id");
        }
        if let Some(d) = unique(self.tests.iter().map(|i| i.id.as_str()).collect()) {
            err(format!("test {d}"), "duplicate test id");
        }
        if let Some(d) = unique(
            self.participants
                .iter()
                .map(|p| p.username.as_str())
                .collect(),
        ) {
            err(format!("participant {d}"), "duplicate username");
        }
        if let Some(d) = unique(self.sessions.iter().map(|s| s.id.as_str()).collect()) {
            err(format!("session {d}"), "duplicate session id");
        }
        let ids = self.items.iter().map(|i| ("item", &i.id));
        let ids = ids.chain(self.tests.iter().map(|t| ("test", &t.id)));
        for (kind, id) in ids.chain(self.sessions.iter().map(|s| ("session", &s.id))) {
            if id.is_empty() || id.len() > 64 || id.chars().any(char::is_control) {
                err(
                    format!("{kind} {id:?}"),
                    "id must be 1-64 printable characters",
                );
            }
        }
        for item in &self.items {
            let place = || format!("item {}", item.id);
            if let Some(s) = &item.stimulus {
                if self.stimulus(s).is_none() {
                    err(place(), "refers to a stimulus that does not exist");
                }
            }
            let ids = |cs: &[Choice]| cs.iter().map(|c| c.id.clone()).collect::<BTreeSet<_>>();
            match &item.body {
                ItemBody::MultipleChoice { options, key } => {
                    if options.len() < 2 {
                        err(place(), "needs at least two options");
                    }
                    if !ids(options).contains(key) {
                        err(place(), "key is not one of the options");
                    }
                }
                ItemBody::MultipleResponse { options, key } => {
                    let o = ids(options);
                    if key.is_empty() || key.iter().any(|k| !o.contains(k)) {
                        err(place(), "key must name one or more of the options");
                    }
                }
                ItemBody::TrueFalse { statements, key } => {
                    if statements.is_empty() || statements.len() != key.len() {
                        err(place(), "needs one true/false key per statement");
                    }
                }
                ItemBody::Matching {
                    premises,
                    targets,
                    key,
                } => {
                    let (p, t) = (ids(premises), ids(targets));
                    let keyed: BTreeSet<_> = key.iter().map(|(a, _)| a.clone()).collect();
                    if key.iter().any(|(a, b)| !p.contains(a) || !t.contains(b))
                        || keyed != p
                        || keyed.len() != key.len()
                    {
                        err(place(), "key must pair every premise with one target");
                    }
                }
                ItemBody::ShortAnswer { accepted, .. } => {
                    if accepted.iter().all(|a| a.trim().is_empty()) {
                        err(place(), "needs at least one accepted answer");
                    }
                }
                ItemBody::Essay { max_chars } => {
                    if *max_chars == 0 {
                        err(place(), "max_chars must be positive");
                    }
                }
            }
            if let Some(d) = match &item.body {
                ItemBody::MultipleChoice { options, .. }
                | ItemBody::MultipleResponse { options, .. } => {
                    unique(options.iter().map(|c| c.id.as_str()).collect())
                }
                ItemBody::TrueFalse { statements, .. } => {
                    unique(statements.iter().map(|c| c.id.as_str()).collect())
                }
                ItemBody::Matching {
                    premises, targets, ..
                } => unique(premises.iter().map(|c| c.id.as_str()).collect())
                    .or_else(|| unique(targets.iter().map(|c| c.id.as_str()).collect())),
                _ => None,
            } {
                err(place(), &format!("duplicate choice id {d}"));
            }
        }
        for test in &self.tests {
            let place = || format!("test {}", test.id);
            if test.sealed {
                if !test.items.is_empty() || !test.practice_items.is_empty() {
                    err(place(), "a sealed test lists no items");
                }
            } else if test.items.is_empty() {
                err(place(), "has no items");
            }
            if test.duration_minutes == 0 {
                err(place(), "duration must be positive");
            }
            for id in test.items.iter().chain(&test.practice_items) {
                if self.item(id).is_none() {
                    err(place(), &format!("refers to item {id} that does not exist"));
                }
            }
            if let Some(d) = unique(test.items.iter().map(String::as_str).collect()) {
                err(place(), &format!("lists item {d} twice"));
            }
        }
        for p in &self.participants {
            let place = || format!("participant {}", p.username);
            if p.username.is_empty()
                || p.username.len() > 64
                || !p
                    .username
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            {
                err(
                    place(),
                    "username must be 1-64 letters, digits, '-', '_' or '.'",
                );
            }
            if p.password.is_empty() {
                err(place(), "password is empty");
            }
            if let Some(d) = &p.birth_date {
                if parse_date(d).is_none() {
                    err(place(), "birth_date must be YYYY-MM-DD");
                }
            }
        }
        for s in &self.sessions {
            let place = || format!("session {}", s.id);
            for t in &s.tests {
                if self.test(t).is_none() {
                    err(place(), &format!("refers to test {t} that does not exist"));
                }
            }
            for u in &s.participants {
                if self.participant(u).is_none() {
                    err(
                        place(),
                        &format!("refers to participant {u} who does not exist"),
                    );
                }
            }
            if s.tests.is_empty() {
                err(place(), "has no tests");
            }
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(errs)
        }
    }
}

/// Parses `YYYY-MM-DD` into (year, month, day) with a plausibility check; also accepts
/// `DD-MM-YYYY` and `DD/MM/YYYY`, the way Indonesian forms write it.
pub fn parse_date(s: &str) -> Option<(u16, u8, u8)> {
    let parts: Vec<&str> = s.trim().split(['-', '/', '.']).collect();
    if parts.len() != 3 || parts.iter().any(|p| p.is_empty() || p.len() > 4) {
        return None;
    }
    let nums: Vec<u32> = parts
        .iter()
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let (y, m, d) = if parts[0].len() == 4 {
        (nums[0], nums[1], nums[2])
    } else if parts[2].len() == 4 {
        (nums[2], nums[1], nums[0])
    } else {
        return None;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1900..=2100).contains(&y) || !(1..=12).contains(&m) || d == 0 || d > days[m as usize - 1] {
        return None;
    }
    Some((y as u16, m as u8, d as u8))
}

/// Compares a typed name with the registered one, forgiving case and spacing.
pub fn same_name(typed: &str, registered: &str) -> bool {
    let norm = |s: &str| {
        s.split_whitespace()
            .map(|w| w.to_lowercase())
            .collect::<Vec<_>>()
            .join(" ")
    };
    !typed.trim().is_empty() && norm(typed) == norm(registered)
}

/// (year, month, day) to days since 1970-01-01 (proleptic Gregorian); the inverse of
/// [`civil_from_days`].
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

impl Session {
    /// How long the session lasts from its opening (exam clock), `None` when it has no end
    /// ([`Session::minutes`]): as the package says, else each of its tests' working time with
    /// its timed practice and [`SESSION_ALLOWANCE_MINUTES`].
    pub fn length(&self, pkg: &Package) -> Option<crate::Millis> {
        let minutes = match self.minutes {
            Some(0) => return None,
            Some(m) => m,
            None => self
                .tests
                .iter()
                .filter_map(|t| pkg.test(t))
                .map(|t| {
                    let practice = if t.practice_items.is_empty() {
                        0
                    } else {
                        t.rules.practice_minutes
                    };
                    t.duration_minutes
                        .saturating_add(practice)
                        .saturating_add(SESSION_ALLOWANCE_MINUTES)
                })
                .fold(0u32, u32::saturating_add),
        };
        Some(u64::from(minutes) * crate::MINUTE)
    }

    /// When the session starts, in seconds since 1970 (UTC), for a schedule written in local
    /// time `utc_offset_minutes` east of UTC (WIB = 420). `None` when `day` or `start`
    /// (`HH:MM`) is missing or not understood.
    pub fn starts_at(&self, utc_offset_minutes: i32) -> Option<i64> {
        let (y, m, d) = parse_date(&self.day)?;
        let (h, min) = self.start.trim().split_once(':')?;
        let (h, min): (i64, i64) = (h.parse().ok()?, min.parse().ok()?);
        if !(0..24).contains(&h) || !(0..60).contains(&min) {
            return None;
        }
        let days = days_from_civil(i64::from(y), u32::from(m), u32::from(d));
        Some(days * 86_400 + h * 3600 + min * 60 - i64::from(utc_offset_minutes) * 60)
    }
}

/// Days since 1970-01-01 to (year, month, day) (proleptic Gregorian).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The indexed look-ups answer exactly as the linear ones, duplicates and absent ids
        /// included.
        #[test]
        fn indexed_look_ups_answer_as_the_linear_ones(
            names in proptest::collection::vec("[a-d]{1,3}", 1..40),
            probes in proptest::collection::vec("[a-e]{0,3}", 1..20),
        ) {
            let mut pkg = crate::demo::package_with(names.len());
            for (p, n) in pkg.participants.iter_mut().zip(&names) {
                p.username = n.clone();
            }
            for (i, n) in pkg.items.iter_mut().zip(&names) {
                i.id = n.clone();
            }
            pkg.sessions[0].participants = names.iter().rev().cloned().collect();
            let sid = pkg.sessions[0].id.clone();
            let ix = IndexedPackage::new(pkg.clone());
            for q in names.iter().chain(&probes) {
                // The same entry: the first of equal usernames, found at the same position.
                let at = |list: &[Participant], found: Option<&Participant>| {
                    found.map(|f| list.iter().position(|p| std::ptr::eq(p, f)))
                };
                proptest::prop_assert_eq!(
                    at(&ix.package().participants, ix.participant(q)),
                    at(&pkg.participants, pkg.participant(q))
                );
                proptest::prop_assert_eq!(
                    ix.item(q).map(|i| &i.body), pkg.item(q).map(|i| &i.body));
                proptest::prop_assert_eq!(
                    ix.in_session(&sid, q),
                    pkg.session(&sid).unwrap().participants.iter().any(|u| u == q)
                );
                proptest::prop_assert!(!ix.in_session("no such session", q));
            }
            for t in &pkg.tests {
                proptest::prop_assert_eq!(ix.test(&t.id), Some(t));
            }
            for s in &pkg.sessions {
                proptest::prop_assert_eq!(ix.session(&s.id), Some(s));
            }
        }
    }

    #[test]
    fn a_session_lasts_its_tests_and_timed_practice_and_the_allowance_unless_it_says() {
        let mut pkg = crate::demo::package();
        let s = pkg.sessions[0].clone();
        let tests: Vec<&Test> = s.tests.iter().map(|t| pkg.test(t).unwrap()).collect();
        let expected: u32 = tests
            .iter()
            .map(|t| {
                t.duration_minutes
                    + if t.practice_items.is_empty() {
                        0
                    } else {
                        t.rules.practice_minutes
                    }
            })
            .sum::<u32>()
            + SESSION_ALLOWANCE_MINUTES * tests.len() as u32;
        assert_eq!(s.length(&pkg), Some(u64::from(expected) * crate::MINUTE));
        pkg.sessions[0].minutes = Some(120);
        assert_eq!(pkg.sessions[0].length(&pkg), Some(120 * crate::MINUTE));
        pkg.sessions[0].minutes = Some(0);
        assert_eq!(pkg.sessions[0].length(&pkg), None, "no session end");
    }

    #[test]
    fn older_packages_read_with_the_guides_defaults() {
        let rules: TestRules = serde_json::from_value(serde_json::json!({
            "shuffle_items": false, "shuffle_options": true,
            "refuse_finish_while_doubtful": true, "min_minutes_before_finish": 0,
            "confirm_finish": true, "warning_minutes": 5
        }))
        .unwrap();
        assert_eq!(rules.practice_minutes, DEFAULT_PRACTICE_MINUTES);
        let s: Session = serde_json::from_value(serde_json::json!({
            "id": "S", "name": "S", "day": "2026-12-07", "start": "07:30", "tests": [],
            "participants": []
        }))
        .unwrap();
        assert_eq!(s.minutes, None);
    }

    #[test]
    fn session_start_in_local_time() {
        let s = Session {
            id: "S1".into(),
            name: "Sesi 1".into(),
            day: "2026-11-24".into(),
            start: "07:30".into(),
            tests: vec![],
            participants: vec![],
            minutes: None,
        };
        // 07:30 WIB is 00:30 UTC the same day.
        assert_eq!(
            s.starts_at(0).unwrap() - s.starts_at(420).unwrap(),
            7 * 3600
        );
        let utc = s.starts_at(420).unwrap();
        assert_eq!(utc.rem_euclid(86_400), 30 * 60);
        assert_eq!(civil_from_days(utc.div_euclid(86_400)), (2026, 11, 24));
        for z in [-800_000i64, -1, 0, 59, 60, 11_016, 20_416, 2_000_000] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        let mut bad = s.clone();
        bad.start = "7.30".into();
        assert_eq!(bad.starts_at(420), None);
        bad.start = "24:00".into();
        assert_eq!(bad.starts_at(420), None);
        bad.start = "07:30".into();
        bad.day = String::new();
        assert_eq!(bad.starts_at(420), None);
    }

    #[test]
    fn demo_package_is_valid() {
        crate::demo::package().validate().unwrap();
    }

    #[test]
    fn validate_reports_every_problem() {
        let mut p = crate::demo::package();
        p.items[0].body = ItemBody::MultipleChoice {
            options: vec![],
            key: "Z".into(),
        };
        p.tests[0].items.push("NOPE".into());
        let errs = p.validate().unwrap_err();
        assert!(errs.iter().any(|e| e.message.contains("at least two")));
        assert!(errs.iter().any(|e| e.message.contains("key is not")));
        assert!(errs.iter().any(|e| e.message.contains("NOPE")));
    }

    #[test]
    fn view_never_contains_key_and_shuffle_is_a_permutation() {
        let p = crate::demo::package();
        for item in &p.items {
            let v = item.view(Some(42));
            let json = format!("{v:?}");
            assert!(!json.contains("key"), "{json}");
            if let (
                ItemBody::MultipleChoice { options, .. },
                ViewBody::MultipleChoice { options: shown },
            ) = (&item.body, &v.body)
            {
                let mut a: Vec<_> = options.iter().map(|c| &c.id).collect();
                let mut b: Vec<_> = shown.iter().map(|c| &c.id).collect();
                a.sort();
                b.sort();
                assert_eq!(a, b);
            }
        }
    }

    #[test]
    fn dates_and_names() {
        assert_eq!(parse_date("2011-02-28"), Some((2011, 2, 28)));
        assert_eq!(parse_date("28-02-2011"), Some((2011, 2, 28)));
        assert_eq!(parse_date("29/02/2012"), Some((2012, 2, 29)));
        assert_eq!(parse_date("29/02/2011"), None);
        assert_eq!(parse_date("2011-13-01"), None);
        assert_eq!(parse_date("kemarin"), None);
        assert!(same_name("  siti   NURHALIZA ", "Siti Nurhaliza"));
        assert!(!same_name("", ""));
        assert!(!same_name("Siti", "Siti Nurhaliza"));
    }
}
