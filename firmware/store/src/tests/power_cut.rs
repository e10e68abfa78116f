//! Power cuts: a scripted exam session on a [`PowerCutBackend`] whose power goes at one disk
//! operation after another; after each cut a new store opens on what the disk held and must
//! hold everything that was acknowledged before the cut.

use std::collections::BTreeMap;

use super::*;
use crate::testing::{DiskOp, PowerCutBackend};
use ruji_core::attempt::{FinishReason, Phase};

/// The participants of the script.
const USERS: [&str; 6] = [
    "DEMO001", "DEMO002", "DEMO003", "DEMO004", "DEMO005", "DEMO006",
];

/// The participant whose login the proctor resets (login id 102 afterwards).
const RESET: &str = "DEMO002";
/// The participant the proctor force-finishes.
const FORCED: &str = "DEMO003";
const FORCE_REASON: &str = "komputer mati";
/// Saves made one at a time, between the waves and the end of the test.
const STEADY_SAVES: usize = 42;

/// An audit entry an operation implies: actor, action, detail.
type Event = (String, &'static str, String);

/// One save of the script and how it ended.
#[derive(Debug, Clone)]
struct Save {
    user: String,
    item: String,
    response: Response,
    doubtful: bool,
    /// Unique per user and item: tells which save a stored answer came from.
    rev: u64,
    /// The save's sequence number when it was acknowledged.
    acked: Option<u64>,
}

/// What the script issued, and which of it was acknowledged (returned `Ok` before the cut).
#[derive(Debug, Default)]
struct Run {
    /// Named steps (`install`, `open`, `start DEMO001`, `close`...): acknowledged or not.
    steps: BTreeMap<String, bool>,
    /// Every audit entry an issued operation implies, with whether it was acknowledged.
    events: Vec<(Event, bool)>,
    saves: Vec<Save>,
    /// Next revision per user and item.
    revs: BTreeMap<(String, String), u64>,
}

impl Run {
    fn step(&mut self, name: impl Into<String>, acked: bool, events: Vec<Event>) {
        let name = name.into();
        assert!(
            self.steps.insert(name.clone(), acked).is_none(),
            "step {name} twice"
        );
        self.events.extend(events.into_iter().map(|e| (e, acked)));
    }
    fn acked(&self, name: &str) -> bool {
        self.steps.get(name).copied().unwrap_or(false)
    }
    fn issued(&self, name: &str) -> bool {
        self.steps.contains_key(name)
    }
    fn next_rev(&mut self, user: &str, item: &str) -> u64 {
        let r = self
            .revs
            .entry((user.to_string(), item.to_string()))
            .or_insert(0);
        *r += 1;
        *r
    }
}

fn ev(actor: &str, action: Action, detail: impl Into<String>) -> Event {
    (actor.to_string(), action.name(), detail.into())
}

/// `Some` when acknowledged, `None` when the store failed (the power is gone). A refusal under
/// the rules means the script is wrong: every step before the cut succeeded.
fn acked<T>(what: &str, r: room::RoomResult<T>) -> Option<T> {
    match r {
        Ok(Ok(v)) => Some(v),
        Ok(Err(refusal)) => panic!("{what} refused: {refusal:?}"),
        Err(_) => None,
    }
}

fn login_id(user: &str, after_reset: bool) -> u64 {
    let n: u64 = user[4..].parse().unwrap();
    if after_reset {
        100 + n
    } else {
        n
    }
}

fn install_detail(pkg: &ruji_core::package::Package, note: &str) -> String {
    let d = format!("{} ({}), {} items", pkg.id, pkg.title, pkg.items.len());
    if note.is_empty() {
        d
    } else {
        format!("{d}; {note}")
    }
}

fn pas1() -> ruji_core::package::Package {
    let mut pkg = ruji_core::demo::package();
    pkg.id = "PAS-1".into();
    pkg
}

/// The response of a save: unique per revision where the item allows it.
fn response(user: &str, item: &str, rev: u64) -> Response {
    let choice = ["A", "B", "C", "D"][(rev as usize + user.len()) % 4].to_string();
    match item {
        "D01" | "D02" => Response::Choice(choice),
        "D03" => Response::Choices(if rev.is_multiple_of(2) {
            vec!["A".into(), "B".into(), "D".into()]
        } else {
            vec!["C".into()]
        }),
        "D04" => Response::TrueFalse(vec![Some(true), Some(rev.is_multiple_of(2)), None]),
        "D05" => Response::Matching(vec![("1".into(), "B".into()), ("2".into(), choice)]),
        _ => Response::Text(format!("{user} {item} r{rev}")),
    }
}

/// Saves `(user, item)` pairs all at once (so that the writer batches them).
async fn save_wave(store: &Store, run: &mut Run, pairs: &[(&str, &str)]) {
    let mut handles = vec![];
    for (user, item) in pairs {
        let rev = run.next_rev(user, item);
        let save = Save {
            user: user.to_string(),
            item: item.to_string(),
            response: response(user, item, rev),
            doubtful: *user == FORCED,
            rev,
            acked: None,
        };
        let login = login_id(user, *user == RESET && run.issued("reset"));
        let (s, sv) = (store.clone(), save.clone());
        handles.push((
            save,
            tokio::spawn(async move {
                s.save_answer(
                    &sv.user,
                    login,
                    &sv.item,
                    Some(sv.response),
                    sv.doubtful,
                    sv.rev,
                )
                .await
            }),
        ));
    }
    for (mut save, h) in handles {
        let what = format!("save {} {}", save.user, save.item);
        if let Some(saved) = acked(&what, h.await.unwrap()) {
            assert!(!saved.stale, "{what}: every save is newer than the last");
            save.acked = Some(saved.seq);
        }
        let detail = format!("test DEMO item {}", save.item);
        run.events
            .push((ev(&save.user, Action::Answer, detail), save.acked.is_some()));
        run.saves.push(save);
    }
}

/// Runs `op` for every user at once; records step `name user` with its audit entry.
async fn user_wave<F, Fut>(run: &mut Run, name: &str, users: &[&str], op: F)
where
    F: Fn(String) -> (Fut, Event),
    Fut: std::future::Future<Output = room::RoomResult<()>> + Send + 'static,
{
    let mut handles = vec![];
    for u in users {
        let (fut, event) = op(u.to_string());
        handles.push((u.to_string(), event, tokio::spawn(fut)));
    }
    for (u, event, h) in handles {
        let step = format!("{name} {u}");
        let ok = acked(&step, h.await.unwrap()).is_some();
        run.step(step, ok, vec![event]);
    }
}

/// The scripted session: install, open with a token, six participants log in and start, waves
/// of concurrent saves, an import and a release of the package, a reset and the participant's
/// return, single saves, a force-finish, everybody else finishes, the session closes.
async fn script(store: &Store, run: &mut Run) {
    let demo = ruji_core::demo::package();
    let ok = super::try_install(store).await.is_ok();
    run.step(
        "install",
        ok,
        vec![ev(
            "system",
            Action::PackageInstalled,
            install_detail(&demo, ""),
        )],
    );

    let ok = acked("open", store.open_session("H1S1", token()).await).is_some();
    run.step(
        "open",
        ok,
        vec![ev("proctor", Action::OpenSession, "H1S1 token ABCDEF")],
    );

    user_wave(run, "login", &USERS, |u| {
        let s = store.clone();
        let client = format!("10.0.0.{}", login_id(&u, false));
        let event = ev(&u, Action::Login, format!("from {client}"));
        let fut = async move { s.login(&u, &client, login_id(&u, false)).await };
        (fut, event)
    })
    .await;
    user_wave(run, "start", &USERS, |u| {
        let s = store.clone();
        let p = demo.participant(&u).unwrap().clone();
        let event = ev(&u, Action::Start, "test DEMO");
        let fut = async move {
            s.start(
                &u,
                login_id(&u, false),
                &p.name,
                p.birth_date.as_deref().unwrap(),
                "abcdef",
                TokenPolicy::default(),
            )
            .await
        };
        (fut, event)
    })
    .await;
    user_wave(run, "end_practice", &USERS, |u| {
        let s = store.clone();
        let event = ev(&u, Action::EndPractice, "test DEMO ");
        let fut = async move { s.end_practice(&u, login_id(&u, false)).await };
        (fut, event)
    })
    .await;

    let wave_a: Vec<(&str, &str)> = USERS
        .iter()
        .flat_map(|u| ["D01", "D02", "D06", "D07"].map(|i| (*u, i)))
        .collect();
    save_wave(store, run, &wave_a).await;

    let pkg = pas1();
    let note = "import during the session";
    let ok = store
        .install_package(records::Install {
            package: pkg.clone(),
            password_hashes: vec![],
            source: Some(sample_source("PAS-1")),
            actor: Actor::Proctor,
            note: note.into(),
        })
        .await
        .is_ok();
    run.step(
        "import",
        ok,
        vec![ev(
            "proctor",
            Action::PackageImported,
            install_detail(&pkg, note),
        )],
    );

    let wave_b: Vec<(&str, &str)> = USERS
        .iter()
        .flat_map(|u| ["D06", "D07", "D03"].map(|i| (*u, i)))
        .collect();
    save_wave(store, run, &wave_b).await;

    let mut source = sample_source("PAS-1");
    source.sessions.push("H1S1".into());
    let ok = store
        .release_session(records::Release {
            package: pkg,
            source,
            session: "H1S1".into(),
            via: "code",
            actor: Actor::Proctor,
        })
        .await
        .is_ok();
    run.step(
        "release",
        ok,
        vec![ev("proctor", Action::SessionReleased, "H1S1 (code)")],
    );

    let ok = acked("reset", store.reset_login(RESET).await).is_some();
    run.step("reset", ok, vec![ev("proctor", Action::ResetLogin, RESET)]);
    let client = "10.0.0.99";
    let ok = acked(
        "login again",
        store.login(RESET, client, login_id(RESET, true)).await,
    )
    .is_some();
    run.step(
        "login again",
        ok,
        vec![ev(RESET, Action::Login, format!("from {client}"))],
    );
    let p = demo.participant(RESET).unwrap();
    let resumed = store
        .start(
            RESET,
            login_id(RESET, true),
            &p.name,
            p.birth_date.as_deref().unwrap(),
            "ABCDEF",
            TokenPolicy::default(),
        )
        .await;
    let ok = acked("resume", resumed).is_some();
    run.step("resume", ok, vec![ev(RESET, Action::Resume, "test DEMO")]);

    let wave_c: Vec<(&str, &str)> = USERS
        .iter()
        .flat_map(|u| ["D01", "D06", "D04"].map(|i| (*u, i)))
        .collect();
    save_wave(store, run, &wave_c).await;
    // One at a time, each its own commit, as in the quiet middle of a test.
    const ITEMS: [&str; 7] = ["D01", "D02", "D03", "D04", "D05", "D06", "D07"];
    for k in 0..STEADY_SAVES {
        save_wave(
            store,
            run,
            &[(USERS[k % USERS.len()], ITEMS[k % ITEMS.len()])],
        )
        .await;
    }

    let forced = acked("force", store.force_finish(FORCED, FORCE_REASON).await);
    if let Some(t) = &forced {
        assert_eq!(t, "DEMO");
    }
    run.step(
        "force",
        forced.is_some(),
        vec![ev(
            "proctor",
            Action::ForceFinish,
            format!("{FORCED} test DEMO reason: {FORCE_REASON}"),
        )],
    );

    let finishing: Vec<&str> = USERS.iter().copied().filter(|u| *u != FORCED).collect();
    user_wave(run, "finish", &finishing, |u| {
        let s = store.clone();
        let event = ev(&u, Action::Finish, "test DEMO");
        let login = login_id(&u, u == RESET);
        let fut = async move { s.finish(&u, login, true).await };
        (fut, event)
    })
    .await;

    let ok = acked("close", store.close_session("H1S1").await).is_some();
    run.step(
        "close",
        ok,
        vec![ev("proctor", Action::CloseSession, "H1S1")],
    );
}

/// Checks that `store` (opened on what the disk held after the cut) holds everything `run`
/// had acknowledged, and nothing that was never issued. Returns whether it holds more than
/// was acknowledged (an operation in flight at the cut that landed).
fn check(store: &Store, run: &Run, what: &str) -> bool {
    let r = store.reader().unwrap();
    // The audit log: numbered from 1 without gaps.
    let mut log = vec![];
    r.audit_each(|e| log.push(e)).unwrap();
    for (i, e) in log.iter().enumerate() {
        assert_eq!(e.seq, i as u64 + 1, "{what}: audit log has no gaps");
    }
    let mut issued: BTreeMap<&Event, (usize, usize)> = BTreeMap::new();
    for (e, acked) in &run.events {
        let n = issued.entry(e).or_default();
        n.0 += 1;
        n.1 += usize::from(*acked);
    }
    let mut found: BTreeMap<Event, usize> = BTreeMap::new();
    for e in &log {
        let key: Event = (
            e.actor.clone(),
            Action::from_name(&e.action)
                .unwrap_or_else(|| panic!("{what}: unknown action {}", e.action))
                .name(),
            e.detail.clone(),
        );
        *found.entry(key).or_default() += 1;
    }
    for (e, n) in &found {
        let (issued_n, _) = issued.get(e).copied().unwrap_or_default();
        assert!(
            *n <= issued_n,
            "{what}: the log holds {e:?} {n} times, issued {issued_n} times"
        );
    }
    for (e, (_, acked_n)) in &issued {
        let n = found.get(*e).copied().unwrap_or(0);
        assert!(
            n >= *acked_n,
            "{what}: acknowledged {e:?} {acked_n} times, the log holds it {n} times"
        );
    }
    let acked_events = run.events.iter().filter(|(_, a)| *a).count();
    let more = log.len() > acked_events;

    // Answers: the last acknowledged save of each item, or a later one that was in flight.
    let mut by_item: BTreeMap<(&str, &str), Vec<&Save>> = BTreeMap::new();
    for s in &run.saves {
        by_item.entry((&s.user, &s.item)).or_default().push(s);
    }
    for ((user, item), saves) in by_item {
        let stored: Option<ruji_core::response::Answer> =
            r.get(ANSWERS, &answer_key(user, "DEMO", item)).unwrap();
        let last_acked = saves.iter().rposition(|s| s.acked.is_some());
        let allowed = &saves[last_acked.unwrap_or(0)..];
        match stored {
            None => assert!(
                last_acked.is_none(),
                "{what}: acknowledged answer {user} {item} lost"
            ),
            Some(a) => {
                let s = allowed.iter().find(|s| s.rev == a.rev).unwrap_or_else(|| {
                    panic!(
                        "{what}: {user} {item} holds revision {}, not the last acknowledged \
                             one or a later one ({:?})",
                        a.rev,
                        allowed.iter().map(|s| (s.rev, s.acked)).collect::<Vec<_>>()
                    )
                });
                assert_eq!(
                    a.response.as_ref(),
                    Some(&s.response),
                    "{what}: {user} {item}"
                );
                assert_eq!(a.doubtful, s.doubtful, "{what}: {user} {item}");
                if let Some(seq) = s.acked {
                    assert_eq!(a.seq, seq, "{what}: {user} {item} sequence number");
                }
                let e = &log[a.seq as usize - 1];
                assert_eq!(
                    (e.actor.as_str(), e.action.as_str(), e.detail.as_str()),
                    (user, "answer", format!("test DEMO item {item}").as_str()),
                    "{what}: the answer's audit entry"
                );
            }
        }
    }

    // The package: the last acknowledged install, or one issued after it.
    let installs = [
        ("install", ruji_core::demo::ID),
        ("import", "PAS-1"),
        ("release", "PAS-1"),
    ];
    let from = installs
        .iter()
        .rposition(|(s, _)| run.acked(s))
        .unwrap_or(0);
    let id = store.package().id.clone();
    let possible: Vec<&str> = installs[from..]
        .iter()
        .filter(|(s, _)| run.issued(s))
        .map(|(_, id)| *id)
        .collect();
    assert!(
        possible.contains(&id.as_str()) || (!run.acked("install") && id.is_empty()),
        "{what}: package {id:?}, expected one of {possible:?}"
    );
    let source = store.package_source().unwrap();
    if run.acked("import") {
        assert_eq!(source.as_ref().map(|s| s.id.as_str()), Some("PAS-1"));
    }
    if run.acked("release") {
        assert_eq!(source.unwrap().sessions, vec!["H1S1".to_string()]);
    }

    // The session.
    let st: SessionState = r.get(SESSIONS, "H1S1").unwrap().unwrap_or_default();
    if run.acked("close") {
        assert!(
            !st.open && st.closed_at.is_some(),
            "{what}: closed session {st:?}"
        );
    } else if run.acked("open") {
        assert!(st.opened_at.is_some(), "{what}: opened session {st:?}");
        assert!(
            st.open || (run.issued("close") && st.closed_at.is_some()),
            "{what}: open session {st:?}"
        );
    }

    // Attempts and logins.
    for u in USERS {
        let a: Option<ruji_core::attempt::Attempt> =
            r.get(ATTEMPTS, &attempt_key(u, "DEMO")).unwrap();
        let phase = a.map(|a| a.phase);
        if run.acked(&format!("start {u}")) {
            assert!(
                phase.as_ref().is_some_and(|p| *p != Phase::NotStarted),
                "{what}: {u} started: {phase:?}"
            );
        }
        if run.acked(&format!("end_practice {u}")) {
            assert!(
                matches!(phase, Some(Phase::InProgress | Phase::Finished { .. })),
                "{what}: {u} out of practice: {phase:?}"
            );
        }
        if run.acked(&format!("finish {u}")) {
            assert!(
                matches!(
                    phase,
                    Some(Phase::Finished {
                        reason: FinishReason::Participant,
                        ..
                    })
                ),
                "{what}: {u} finished: {phase:?}"
            );
        }
        if u == FORCED && run.acked("force") {
            assert!(
                matches!(
                    &phase,
                    Some(Phase::Finished {
                        reason: FinishReason::Proctor(r),
                        ..
                    }) if r == FORCE_REASON
                ),
                "{what}: {u} force-finished: {phase:?}"
            );
        }
        let rec: Option<ParticipantRecord> = r.get(PARTICIPANTS, u).unwrap();
        if run.acked("install") {
            assert_eq!(
                rec.as_ref().map(|r| r.password_hash.clone()),
                Some(format!("hash-of-{u}")),
                "{what}: {u}'s password hash"
            );
        }
        if u == RESET && run.acked("reset") {
            assert_eq!(rec.unwrap().state.resets, 1, "{what}: {u} was reset");
        }
    }
    more
}

/// A tiny deterministic pseudo-random generator (xorshift64).
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

/// One run of the script on a disk whose power goes at operation `cut_at`.
struct Outcome {
    run: Run,
    disk: crate::testing::PowerCut,
    /// The store opened (the cut was not in the creation of the file).
    opened: bool,
    /// Disk operations when the store had opened.
    open_ops: u64,
}

async fn run_script(cut_at: Option<u64>) -> Outcome {
    let (backend, disk) = PowerCutBackend::new(vec![], cut_at);
    let mut run = Run::default();
    let (opened, open_ops) = match Store::open_backend(backend, OpenOptions::default()) {
        Ok(store) => {
            let open_ops = disk.ops();
            script(&store, &mut run).await;
            drop(store);
            (true, open_ops)
        }
        Err(_) => (false, disk.ops()),
    };
    Outcome {
        run,
        disk,
        opened,
        open_ops,
    }
}

fn reopen(image: Vec<u8>) -> Result<Store> {
    Store::open_backend(PowerCutBackend::new(image, None).0, OpenOptions::default())
}

/// The script runs once uncut to count its disk operations, then once per cut point with the
/// power going at that operation. After each cut a new store opens on what the disk held (the
/// synced bytes; with writes queued, also those plus some or all of the queued writes) and
/// [`check`]s it: every acknowledged answer (or a later one that was in flight), every
/// acknowledged state change and every acknowledged audit entry is there, nothing that was
/// never issued is, and the store takes a new commit.
#[tokio::test]
async fn acknowledged_work_survives_a_power_cut_at_any_disk_operation() {
    let began = std::time::Instant::now();
    // The whole run, uncut: everything is acknowledged, and is there after a reopen.
    let full = run_script(None).await;
    assert!(full.opened && full.disk.cut().is_none());
    assert!(
        full.run.steps.values().all(|a| *a) && full.run.saves.iter().all(|s| s.acked.is_some()),
        "the uncut run acknowledges every step"
    );
    let total = full.disk.ops();
    let store = reopen(full.disk.durable_image()).unwrap();
    check(&store, &full.run, "uncut");
    let results = store.results("H1S1").unwrap().unwrap();
    for u in USERS {
        let r = results
            .iter()
            .find(|r| r.username == u && r.test == "DEMO")
            .unwrap();
        use ruji_core::attempt::Outcome;
        let want = if u == FORCED {
            Outcome::FinishedProctor
        } else {
            Outcome::FinishedParticipant
        };
        assert_eq!(r.state, want, "{u}");
        assert_eq!(r.answers.iter().filter(|a| a.response.is_some()).count(), {
            let items: std::collections::BTreeSet<&str> = full
                .run
                .saves
                .iter()
                .filter(|s| s.user == u)
                .map(|s| s.item.as_str())
                .collect();
            items.len()
        });
    }
    drop(store);

    // Cut points: every operation of the run (through the last commit and the close) while
    // there are at most 1000, else every operation while the file is created and opened and
    // 1000 spread evenly over the rest.
    const MAX_POINTS: u64 = 1000;
    assert!(
        total >= 500,
        "the script is long enough for 500 cut points: {total} disk operations"
    );
    let mut points: std::collections::BTreeSet<u64> = (0..full.open_ops).collect();
    if total <= MAX_POINTS {
        points.extend(0..total);
    } else {
        points.extend((0..MAX_POINTS).map(|k| k * (total - 1) / (MAX_POINTS - 1)));
    }

    let (mut cut, mut mid_commit, mut at_sync, mut not_reached, mut in_open) = (0, 0, 0, 0, 0);
    let (mut images, mut landed) = (0, 0);
    let mut unopenable = vec![];
    for &n in &points {
        let out = run_script(Some(n)).await;
        let Some(c) = out.disk.cut() else {
            // Batching differs between runs, so a run may end before the last points.
            not_reached += 1;
            continue;
        };
        assert_eq!(c.op, n);
        cut += 1;
        if !out.opened {
            in_open += 1;
        }
        if c.pending > 0 {
            mid_commit += 1;
        }
        if c.kind == DiskOp::Sync {
            at_sync += 1;
        }
        // What the disk holds: what was synced; with writes queued, also what was synced plus
        // some of them (pseudo-random, seeded by the cut point; three draws when the cut hit
        // the sync, that is when the whole commit, its header included, was queued), and plus
        // all of them.
        let mut variants = vec![("durable".to_string(), out.disk.durable_image())];
        if c.pending > 0 {
            let mut rng = XorShift(0x9E37_79B9_7F4A_7C15 ^ (n + 1));
            let draws = if c.kind == DiskOp::Sync { 3 } else { 1 };
            for d in 0..draws {
                let image = out.disk.image_with(|_| rng.next() >> 63 == 0);
                variants.push((format!("some queued writes (draw {d})"), image));
            }
            variants.push(("every queued write".into(), out.disk.image_with(|_| true)));
        }
        for (label, image) in variants {
            let what = format!(
                "cut at op {n} ({:?}, {} pending), {label}",
                c.kind, c.pending
            );
            let store = match reopen(image) {
                Ok(s) => s,
                // redb creates a file in two synced steps: the header without its magic
                // number, then the magic number. A cut between them leaves a file redb refuses
                // to open ("not a redb database") and will not initialise either. On a backend
                // (as here) that is the end of it; `Store::open` on a file makes a new file
                // under a temporary name and renames it into place once whole
                // (`create_whole`, tested by a_data_file_half_made_by_a_power_cut_is_made_again),
                // so the board never meets it. Nothing was acknowledged yet (the store never
                // opened). Only that case is let through, and printed.
                Err(e) => {
                    assert!(
                        !out.opened && e.to_string().contains("magic number mismatch"),
                        "{what}: the store must open after the cut: {e}"
                    );
                    unopenable.push(format!("{what}: {e}"));
                    continue;
                }
            };
            images += 1;
            if check(&store, &out.run, &what) {
                landed += 1;
            }
            // The file is usable, not only readable.
            store.checkpoint().await.unwrap();
        }
    }
    eprintln!(
        "power cuts: {total} disk operations in the uncut run ({} while creating and opening \
         the file); {} cut points, {cut} cut ({mid_commit} mid-commit with writes queued, \
         {at_sync} on a sync, {in_open} while creating or opening the file), {not_reached} \
         past the end of their run; {images} images reopened and checked, {landed} of them \
         holding work in flight at the cut; {:.1} s",
        full.open_ops,
        points.len(),
        began.elapsed().as_secs_f64()
    );
    for u in &unopenable {
        eprintln!("  not reopened: {u}");
    }
    assert!(mid_commit > 0 && at_sync > 0);
}
