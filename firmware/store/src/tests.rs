use super::*;
use crate::room::Refusal;
use ruji_core::response::Response;
use ruji_core::token::{Token, TokenPolicy};

fn demo_store(dir: &Path) -> Store {
    Store::open(&dir.join("ruji.redb"), OpenOptions::default()).unwrap()
}

async fn install(store: &Store) {
    try_install(store).await.unwrap();
}

/// Installs the demo package (fake password hashes); the store's answer.
async fn try_install(store: &Store) -> Result<()> {
    let pkg = ruji_core::demo::package();
    let hashes = pkg
        .participants
        .iter()
        .map(|p| (p.username.clone(), format!("hash-of-{}", p.username)))
        .collect();
    store
        .install_package(records::Install {
            package: pkg,
            password_hashes: hashes,
            source: None,
            actor: Actor::System,
            note: String::new(),
        })
        .await
}

fn token() -> Token {
    Token::parse("ABCDEF").unwrap()
}

async fn started(store: &Store, u: &str, login: u64) {
    store.login(u, "127.0.0.1", login).await.unwrap().unwrap();
    let p = store.package().participant(u).unwrap().clone();
    store
        .start(
            u,
            login,
            &p.name,
            p.birth_date.as_deref().unwrap(),
            "abcdef",
            TokenPolicy::default(),
        )
        .await
        .unwrap()
        .unwrap();
    store.end_practice(u, login).await.unwrap().unwrap();
}

#[tokio::test]
async fn acknowledged_answers_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = demo_store(dir.path());
        install(&store).await;
        store.open_session("H1S1", token()).await.unwrap().unwrap();
        started(&store, "DEMO001", 7).await;
        let saved = store
            .save_answer(
                "DEMO001",
                7,
                "D01",
                Some(Response::Choice("B".into())),
                true,
                1,
            )
            .await
            .unwrap()
            .unwrap();
        assert!(!saved.stale);
        // A stale retry (older revision) changes nothing.
        let stale = store
            .save_answer(
                "DEMO001",
                7,
                "D01",
                Some(Response::Choice("A".into())),
                false,
                1,
            )
            .await
            .unwrap()
            .unwrap();
        assert!(stale.stale);
    }
    let bytes = std::fs::read(dir.path().join("ruji.redb")).unwrap();
    let needle = b"mawar01";
    assert!(
        !bytes.windows(needle.len()).any(|w| w == needle),
        "plain passwords are not stored"
    );
    let store = demo_store(dir.path());
    assert_eq!(store.package().id, "RUJI-DEMO-1");
    let ctx = store.context("DEMO001", Some(7)).unwrap().unwrap();
    let a = &ctx.answers["D01"];
    assert_eq!(a.response, Some(Response::Choice("B".into())));
    assert!(a.doubtful);
    let log = store.audit_tail(100).unwrap();
    assert!(log
        .iter()
        .any(|e| e.action == "answer" && e.actor == "DEMO001"));
    assert!(
        log.windows(2).all(|w| w[0].seq == w[1].seq + 1),
        "audit log has no gaps"
    );
}

#[tokio::test]
async fn many_concurrent_writes_are_group_committed() {
    // On a disk that counts its syncs: a commit is one fsync, and the fsyncs are what group
    // commit saves.
    let (backend, disk) = crate::testing::PowerCutBackend::new(vec![], None);
    let store = Store::open_backend(backend, OpenOptions::default()).unwrap();
    install(&store).await;
    store.open_session("H1S1", token()).await.unwrap().unwrap();
    let users: Vec<String> = (1..=10).map(|i| format!("DEMO{i:03}")).collect();
    for (i, u) in users.iter().enumerate() {
        started(&store, u, i as u64 + 1).await;
    }
    // Hold the writer on a job of its own so that every save below is queued before it takes
    // the next batch: the saves must then share commits.
    let before = store.stats();
    let syncs_before = disk.syncs();
    let (open_gate, held) = hold_writer(&store).await;
    let mut handles = vec![];
    for (i, u) in users.iter().enumerate() {
        for (rev, item) in ["D01", "D02", "D06"].iter().enumerate() {
            let s = store.clone();
            let u = u.clone();
            let resp = if *item == "D06" {
                Response::Text("10".into())
            } else {
                Response::Choice("B".into())
            };
            handles.push(tokio::spawn(async move {
                s.save_answer(&u, i as u64 + 1, item, Some(resp), false, rev as u64 + 1)
                    .await
            }));
        }
    }
    wait_queued(&store, handles.len()).await;
    open_gate.send(()).unwrap();
    held.await.unwrap().unwrap();
    for h in handles {
        h.await.unwrap().unwrap().unwrap();
    }
    let after = store.stats();
    let (commits, writes) = (after.commits - before.commits, after.writes - before.writes);
    assert_eq!(writes, 31, "the held job and 30 saves");
    assert!(
        commits <= 2,
        "30 queued saves share one commit (plus the held job's): {commits} commits"
    );
    assert!(commits < writes);
    assert_eq!(after.failed_batches, before.failed_batches);
    assert_eq!(
        disk.syncs() - syncs_before,
        commits,
        "one fsync per commit, not per write"
    );
    // Each save has its own audit entry, numbered in commit order without gaps.
    let log = store.audit_tail(31).unwrap();
    assert_eq!(log.iter().filter(|e| e.action == "answer").count(), 30);
    assert!(log.windows(2).all(|w| w[0].seq == w[1].seq + 1));
    let results = store.results("H1S1").unwrap().unwrap();
    let r = results
        .iter()
        .find(|r| r.username == "DEMO005" && r.test == "DEMO")
        .unwrap();
    assert_eq!(r.score, 3000);
}

#[tokio::test]
async fn rules_refuse_without_writing() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path());
    install(&store).await;
    assert_eq!(
        store.login("DEMO001", "a", 1).await.unwrap(),
        Err(Refusal::NoOpenSession)
    );
    store.open_session("H1S1", token()).await.unwrap().unwrap();
    store.login("DEMO001", "a", 1).await.unwrap().unwrap();
    let before = store.audit_tail(1).unwrap()[0].seq;
    let p = TokenPolicy::default();
    let name = "Adi Nugroho";
    let dob = "2011-01-03";
    assert_eq!(
        store
            .start("DEMO001", 1, "Budi", dob, "ABCDEF", p)
            .await
            .unwrap(),
        Err(Refusal::NameMismatch)
    );
    assert_eq!(
        store
            .start("DEMO001", 1, name, "2011-01-04", "ABCDEF", p)
            .await
            .unwrap(),
        Err(Refusal::BirthDateMismatch)
    );
    assert_eq!(
        store
            .start("DEMO001", 1, name, dob, "ABCDEG", p)
            .await
            .unwrap(),
        Err(Refusal::WrongToken)
    );
    assert_eq!(
        store
            .start("DEMO001", 2, name, dob, "ABCDEF", p)
            .await
            .unwrap(),
        Err(Refusal::LoggedOut)
    );
    assert_eq!(
        store
            .save_answer("DEMO001", 1, "D01", None, true, 0)
            .await
            .unwrap(),
        Err(Refusal::Attempt(
            ruji_core::attempt::AttemptError::NotStarted
        )),
        "test items are not answerable before the token"
    );
    assert_eq!(store.audit_tail(1).unwrap()[0].seq, before);
    assert_eq!(
        store.login("CAD01", "b", 3).await.unwrap(),
        Err(Refusal::Login(
            ruji_core::attempt::LoginError::ReserveNotActive
        ))
    );
    store
        .activate_reserve("CAD01", None)
        .await
        .unwrap()
        .unwrap();
    store.login("CAD01", "b", 3).await.unwrap().unwrap();
}

#[tokio::test]
async fn reset_and_force_finish() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path());
    install(&store).await;
    store.open_session("H1S1", token()).await.unwrap().unwrap();
    started(&store, "DEMO002", 1).await;
    store
        .save_answer(
            "DEMO002",
            1,
            "D02",
            Some(Response::Choice("B".into())),
            false,
            0,
        )
        .await
        .unwrap()
        .unwrap();
    // A second client is refused while the test is open.
    assert!(matches!(
        store.login("DEMO002", "other", 2).await.unwrap(),
        Err(Refusal::Login(_))
    ));
    store.reset_login("DEMO002").await.unwrap().unwrap();
    store.login("DEMO002", "other", 2).await.unwrap().unwrap();
    let ctx = store.context("DEMO002", Some(2)).unwrap().unwrap();
    assert!(ctx.answers.contains_key("D02"));
    assert_eq!(
        store.close_session("H1S1").await.unwrap(),
        Err(Refusal::AttemptsOpen(1))
    );
    let t = store
        .force_finish("DEMO002", "komputer mati")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(t, "DEMO");
    let res = store.results("H1S1").unwrap().unwrap();
    let r = res
        .iter()
        .find(|r| r.username == "DEMO002" && r.test == "DEMO")
        .unwrap();
    assert_eq!(r.state, ruji_core::attempt::Outcome::FinishedProctor);
    assert_eq!(r.reason.as_deref(), Some("komputer mati"));
    store.close_session("H1S1").await.unwrap().unwrap();
}

#[tokio::test]
async fn exam_clock_does_not_count_downtime() {
    let dir = tempfile::tempdir().unwrap();
    let t1 = {
        let store = demo_store(dir.path());
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        store.checkpoint().await.unwrap();
        store.now()
    };
    std::thread::sleep(std::time::Duration::from_millis(500));
    let store = demo_store(dir.path());
    let t2 = store.now();
    assert!(t2 >= t1 - 50 && t2 < t1 + 400, "t1={t1} t2={t2}");
}

#[tokio::test]
async fn newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = demo_store(dir.path());
        store
            .write(|tx| tx.set_meta(SCHEMA, &(SCHEMA_VERSION + 1)))
            .await
            .unwrap();
    }
    assert!(matches!(
        Store::open(&dir.path().join("ruji.redb"), OpenOptions::default()),
        Err(StoreError::NewerSchema(_))
    ));
}

#[tokio::test]
async fn closed_session_needs_export_until_results_are_exported() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = demo_store(dir.path());
        install(&store).await;
        assert!(store.results_not_exported().unwrap().is_empty());
        // Opened and closed with nobody starting: nothing to back up.
        store.open_session("H1S1", token()).await.unwrap().unwrap();
        store.close_session("H1S1").await.unwrap().unwrap();
        assert!(store.results_not_exported().unwrap().is_empty());
        // Someone takes the test; while the session is open nothing is flagged.
        store.open_session("H1S1", token()).await.unwrap().unwrap();
        started(&store, "DEMO001", 1).await;
        store.force_finish("DEMO001", "uji").await.unwrap().unwrap();
        // An export while open does not count for the close that comes after it.
        store.mark_results_exported("H1S1").await.unwrap().unwrap();
        assert!(store.results_not_exported().unwrap().is_empty());
        store.skip_time(10);
        store.close_session("H1S1").await.unwrap().unwrap();
        let pending = store.results_not_exported().unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].id, "H1S1");
        assert_eq!(
            store.mark_results_exported("NOPE").await.unwrap(),
            Err(Refusal::UnknownSession)
        );
    }
    // The mark is durable: the reopened store still needs the export, then not after it.
    let store = demo_store(dir.path());
    assert_eq!(store.results_not_exported().unwrap().len(), 1);
    store.skip_time(10);
    store.mark_results_exported("H1S1").await.unwrap().unwrap();
    assert!(store.results_not_exported().unwrap().is_empty());
    let audit = store.audit_tail(1).unwrap();
    assert_eq!(audit[0].action, "results_exported");
    drop(store);
    let store = demo_store(dir.path());
    assert!(store.results_not_exported().unwrap().is_empty());
}

#[tokio::test]
async fn last_known_wall_is_the_time_of_the_last_commit_before_open() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = demo_store(dir.path());
        assert_eq!(
            store.last_known_wall(),
            None,
            "a new data file knows no time"
        );
        store.checkpoint().await.unwrap();
        store
            .audit_event(Actor::System, Action::Recovery, "uji".into())
            .await
            .unwrap();
        let e = &store.audit_tail(1).unwrap()[0];
        assert_eq!((e.action.as_str(), e.detail.as_str()), ("recovery", "uji"));
    }
    let before = wall_secs();
    let store = demo_store(dir.path());
    let known = store.last_known_wall().expect("recorded by the commits");
    assert!(
        known <= before && known + 60 > before,
        "{known} vs {before}"
    );
}

fn failing_store(path: &Path) -> (Store, Arc<std::sync::atomic::AtomicBool>) {
    let (backend, fail) = crate::testing::FailingBackend::open(path).unwrap();
    (
        Store::open_backend(backend, OpenOptions::default()).unwrap(),
        fail,
    )
}

fn sample_source(id: &str) -> PackageSource {
    PackageSource {
        file: format!("{id}.rujipkg"),
        id: id.into(),
        issuer: "SMP".into(),
        ..PackageSource::default()
    }
}

#[tokio::test]
async fn an_import_and_a_release_each_land_in_one_commit_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ruji.redb");
    {
        let (store, _) = failing_store(&path);
        install(&store).await;
        let mut pkg = ruji_core::demo::package();
        pkg.id = "PAS-1".into();
        let before = store.stats();
        store
            .install_package(records::Install {
                package: pkg.clone(),
                password_hashes: vec![("DEMO001".into(), "h".into())],
                source: Some(sample_source("PAS-1")),
                actor: Actor::Proctor,
                note: "2 tests sealed".into(),
            })
            .await
            .unwrap();
        assert_eq!(
            store.stats().commits - before.commits,
            1,
            "import: one commit"
        );
        let audit = store.audit_tail(1).unwrap();
        assert_eq!(audit[0].action, "package_imported");
        let mut source = sample_source("PAS-1");
        source.sessions.push("H1S1".into());
        let before = store.stats();
        store
            .release_session(records::Release {
                package: pkg,
                source,
                session: "H1S1".into(),
                via: "code",
                actor: Actor::Proctor,
            })
            .await
            .unwrap();
        assert_eq!(
            store.stats().commits - before.commits,
            1,
            "release: one commit"
        );
        assert_eq!(store.audit_tail(1).unwrap()[0].action, "session_released");
    }
    // The card fails during the next import and release: nothing of either is left behind.
    let (seq, source) = {
        let (store, fail) = failing_store(&path);
        let seq = store.audit_tail(1).unwrap()[0].seq;
        let source = store.package_source().unwrap();
        assert!(!store.is_broken());
        fail.store(true, std::sync::atomic::Ordering::SeqCst);
        let mut other = ruji_core::demo::package();
        other.id = "PAS-2".into();
        assert!(store
            .install_package(records::Install {
                package: other.clone(),
                password_hashes: vec![("DEMO001".into(), "h2".into())],
                source: Some(sample_source("PAS-2")),
                actor: Actor::Proctor,
                note: String::new(),
            })
            .await
            .is_err());
        assert_eq!(
            store.package().id,
            "PAS-1",
            "the package in use is unchanged"
        );
        assert!(store
            .release_session(records::Release {
                package: other,
                source: sample_source("PAS-2"),
                session: "H1S2".into(),
                via: "central",
                actor: Actor::Proctor,
            })
            .await
            .is_err());
        assert_eq!(store.package().id, "PAS-1");
        (seq, source)
    };
    let store = demo_store(dir.path());
    assert_eq!(store.package().id, "PAS-1");
    assert_eq!(store.package_source().unwrap(), source);
    assert_eq!(
        store.audit_tail(1).unwrap()[0].seq,
        seq,
        "no audit entry either"
    );
}

#[tokio::test]
async fn a_second_proctor_account_never_replaces_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path());
    assert_eq!(store.create_proctor("h1".into()).await.unwrap(), Ok(1));
    assert_eq!(
        store.create_proctor("h2".into()).await.unwrap(),
        Err(Refusal::ProctorExists)
    );
    assert_eq!(
        store.proctor_account().unwrap().unwrap().password_hash,
        "h1"
    );
    store.reset_proctor("recovery".into()).await.unwrap();
    assert!(store.proctor_account().unwrap().is_none());
    assert_eq!(store.create_proctor("h3".into()).await.unwrap(), Ok(2));
    // The cookie key is made once and kept.
    let k = store.cookie_key().await.unwrap();
    assert_eq!(k.len(), records::COOKIE_KEY_BYTES);
    assert_eq!(store.cookie_key().await.unwrap(), k);
    // Trusting the same key twice records it once.
    let t = TrustedIssuer {
        label: "Dinas".into(),
        key: "ruji-pk:x".into(),
    };
    assert!(store.trust_issuer(t.clone()).await.unwrap());
    assert!(!store.trust_issuer(t.clone()).await.unwrap());
    assert_eq!(store.trusted_issuers().unwrap(), vec![t]);
}

#[tokio::test]
async fn a_schema_1_file_is_migrated_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ruji.redb");
    let v1 = crate::migrate::PackageSourceV1 {
        file: "a.rujipkg".into(),
        id: "PAS-1".into(),
        released: Default::default(),
        sessions: vec!["S1".into()],
        imported_at: 5,
        released_at: Default::default(),
        issuer: "SMP".into(),
        issuer_key: "ruji-pk:x".into(),
        bytes: 9,
    };
    {
        let db = redb::Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut meta = txn.open_table(META).unwrap();
            meta.insert(SCHEMA.key(), encode(&1u32).as_slice()).unwrap();
            meta.insert(PACKAGE_SOURCE.key(), encode(&v1).as_slice())
                .unwrap();
        }
        txn.commit().unwrap();
    }
    let store = demo_store(dir.path());
    let got = store.package_source().unwrap().unwrap();
    assert_eq!(got, PackageSource::from(v1));
    assert_eq!(got.nonce, "");
    assert_eq!(
        store.reader().unwrap().meta(SCHEMA).unwrap(),
        Some(SCHEMA_VERSION)
    );
}

#[tokio::test]
async fn a_schema_2_file_is_migrated_on_open_with_the_guides_timing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ruji.redb");
    let samples: serde_json::Value =
        serde_json::from_str(include_str!("../golden/v2/samples.json")).unwrap();
    let pkg: crate::migrate::PackageV2 =
        serde_json::from_value(samples["meta/package"].clone()).unwrap();
    let open: crate::migrate::SessionStateV2 =
        serde_json::from_value(samples["sessions/open"].clone()).unwrap();
    let session = pkg.sessions[0].id.clone();
    let practice: crate::migrate::AttemptV2 =
        serde_json::from_value(samples["attempts/practice"].clone()).unwrap();
    let practice_key = crate::tables::attempt_key(&practice.username, &practice.test_id);
    {
        let db = redb::Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut meta = txn.open_table(META).unwrap();
            meta.insert(SCHEMA.key(), encode(&2u32).as_slice()).unwrap();
            meta.insert(PACKAGE.key(), encode(&pkg).as_slice()).unwrap();
            let mut sessions = txn
                .open_table(redb::TableDefinition::<&str, &[u8]>::new(SESSIONS.name()))
                .unwrap();
            sessions
                .insert(session.as_str(), encode(&open).as_slice())
                .unwrap();
            let mut attempts = txn
                .open_table(redb::TableDefinition::<&str, &[u8]>::new(ATTEMPTS.name()))
                .unwrap();
            attempts
                .insert(practice_key.as_str(), encode(&practice).as_slice())
                .unwrap();
        }
        txn.commit().unwrap();
    }
    let store = Store::open(&path, OpenOptions::default()).unwrap();
    let got = store.package();
    assert_eq!(got.id, pkg.id);
    assert_eq!(
        got.tests[0].rules.practice_minutes,
        ruji_core::package::DEFAULT_PRACTICE_MINUTES
    );
    assert_eq!(got.sessions[0].minutes, None, "the default length");
    let (_, st) = store
        .sessions()
        .unwrap()
        .into_iter()
        .find(|(s, _)| s.id == session)
        .unwrap();
    assert!(st.open);
    assert_eq!(st.ends_at, None, "no end until opened again");
    let a: ruji_core::attempt::Attempt = store
        .reader()
        .unwrap()
        .get(ATTEMPTS, &practice_key)
        .unwrap()
        .unwrap();
    assert_eq!(a.phase, ruji_core::attempt::Phase::Practice);
    assert_eq!(a.practice, None, "a practice under way stays untimed");
    assert_eq!(
        store.reader().unwrap().meta(SCHEMA).unwrap(),
        Some(SCHEMA_VERSION)
    );
}

mod power_cut;

/// Holds the writer on a job of its own until the returned sender is used (or dropped), so
/// that the writes queued meanwhile are taken as one batch after it.
async fn hold_writer(
    store: &Store,
) -> (
    std::sync::mpsc::Sender<()>,
    tokio::task::JoinHandle<Result<()>>,
) {
    let (open_gate, gate) = std::sync::mpsc::channel::<()>();
    let (running, started) = tokio::sync::oneshot::channel::<()>();
    let s = store.clone();
    let held = tokio::spawn(async move {
        s.write(move |_| {
            let _ = running.send(());
            let _ = gate.recv();
            Ok(())
        })
        .await
    });
    started.await.unwrap();
    (open_gate, held)
}

/// Waits until `n` writes are queued behind the held writer.
async fn wait_queued(store: &Store, n: usize) {
    let waiting = tokio::time::Instant::now();
    while store.queued() < n {
        assert!(
            waiting.elapsed() < std::time::Duration::from_secs(30),
            "writes never reached the queue"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

fn answer_of(store: &Store, user: &str, item: &str) -> Option<ruji_core::response::Answer> {
    store
        .reader()
        .unwrap()
        .get(ANSWERS, &answer_key(user, "DEMO", item))
        .unwrap()
}

fn audit_log(store: &Store) -> Vec<AuditEntry> {
    let mut log = vec![];
    store.reader().unwrap().audit_each(|e| log.push(e)).unwrap();
    for (i, e) in log.iter().enumerate() {
        assert_eq!(e.seq, i as u64 + 1, "the audit log has no gaps");
    }
    log
}

#[tokio::test]
async fn a_batch_the_card_refuses_leaves_nothing_and_the_reopened_store_writes_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ruji.redb");
    let log_before = {
        let (store, fail) = failing_store(&path);
        install(&store).await;
        store.open_session("H1S1", token()).await.unwrap().unwrap();
        started(&store, "DEMO001", 1).await;
        started(&store, "DEMO002", 2).await;
        let choice = |c: &str| Some(Response::Choice(c.into()));
        store
            .save_answer("DEMO001", 1, "D01", choice("A"), false, 1)
            .await
            .unwrap()
            .unwrap();
        let log_before = audit_log(&store);
        let before = store.stats();

        // One batch of three: the first job turns the card's refusal on, so the batch's writes
        // all reach a card that refuses them.
        let (open_gate, held) = hold_writer(&store).await;
        let s = store.clone();
        let f = fail.clone();
        let switch = tokio::spawn(async move {
            s.write(move |tx| {
                f.store(true, std::sync::atomic::Ordering::SeqCst);
                tx.audit(
                    Actor::System,
                    Action::Recovery,
                    "in the refused batch".into(),
                )
                .map(|_| ())
            })
            .await
        });
        let s = store.clone();
        let a = tokio::spawn(async move {
            s.save_answer("DEMO001", 1, "D01", choice("B"), false, 2)
                .await
        });
        let s = store.clone();
        let b = tokio::spawn(async move {
            s.save_answer("DEMO002", 2, "D02", choice("C"), false, 1)
                .await
        });
        wait_queued(&store, 3).await;
        open_gate.send(()).unwrap();
        held.await.unwrap().unwrap();
        assert!(matches!(
            switch.await.unwrap(),
            Err(StoreError::Storage { .. })
        ));
        assert!(matches!(a.await.unwrap(), Err(StoreError::Storage { .. })));
        assert!(matches!(b.await.unwrap(), Err(StoreError::Storage { .. })));
        let after = store.stats();
        assert_eq!(after.commits - before.commits, 1, "the held job's commit");
        assert_eq!(after.failed_batches - before.failed_batches, 1);

        // The code's promise: a file that refused a write marks the store broken, and every
        // later write fails, even with the card writing again, until the store is reopened.
        assert!(store.is_broken());
        tokio::time::timeout(std::time::Duration::from_secs(5), store.broken())
            .await
            .expect("broken() resolves");
        fail.store(false, std::sync::atomic::Ordering::SeqCst);
        let again = store
            .save_answer("DEMO002", 2, "D02", choice("D"), false, 2)
            .await;
        assert!(
            matches!(again, Err(StoreError::Storage { .. })),
            "a write after the refusal fails with the storage error, not as closed: {again:?}"
        );
        assert_eq!(store.stats().failed_batches - before.failed_batches, 2);
        log_before
    };

    // Reopened: nothing of the refused batch (nor of the write after it), and writes work.
    {
        let (store, _fail) = failing_store(&path);
        assert!(!store.is_broken());
        let a = answer_of(&store, "DEMO001", "D01").unwrap();
        assert_eq!((a.response, a.rev), (Some(Response::Choice("A".into())), 1));
        assert!(answer_of(&store, "DEMO002", "D02").is_none());
        assert_eq!(audit_log(&store), log_before);
        let saved = store
            .save_answer(
                "DEMO002",
                2,
                "D02",
                Some(Response::Choice("B".into())),
                false,
                3,
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(saved.seq, log_before.len() as u64 + 1);
    }
    let store = demo_store(dir.path());
    let a = answer_of(&store, "DEMO002", "D02").unwrap();
    assert_eq!((a.response, a.rev), (Some(Response::Choice("B".into())), 3));
    let log = audit_log(&store);
    assert_eq!(log.len(), log_before.len() + 1);
    assert_eq!(log[..log_before.len()], log_before[..]);
}

#[tokio::test]
async fn a_panicking_or_failing_operation_fails_only_its_batch() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path());
    install(&store).await;
    store.open_session("H1S1", token()).await.unwrap().unwrap();
    started(&store, "DEMO001", 1).await;
    let log_before = audit_log(&store);
    let before = store.stats();
    let choice = |c: &str| Some(Response::Choice(c.into()));

    // A batch of three whose middle operation writes and then panics.
    let (open_gate, held) = hold_writer(&store).await;
    let s = store.clone();
    let a = tokio::spawn(async move {
        s.save_answer("DEMO001", 1, "D01", choice("B"), false, 1)
            .await
    });
    let s = store.clone();
    let p = tokio::spawn(async move {
        s.write::<(), _>(|tx| {
            tx.audit(Actor::System, Action::Recovery, "before the panic".into())?;
            panic!("a bug in an operation");
        })
        .await
    });
    let s = store.clone();
    let b = tokio::spawn(async move {
        s.save_answer("DEMO001", 1, "D02", choice("C"), false, 1)
            .await
    });
    wait_queued(&store, 3).await;
    open_gate.send(()).unwrap();
    held.await.unwrap().unwrap();
    match p.await.unwrap() {
        Err(StoreError::Panicked(m)) => assert_eq!(m, "a bug in an operation"),
        other => panic!("the panicking operation's caller: {other:?}"),
    }
    assert!(matches!(a.await.unwrap(), Err(StoreError::BatchFailed)));
    assert!(matches!(b.await.unwrap(), Err(StoreError::BatchFailed)));
    let after = store.stats();
    assert_eq!(after.commits - before.commits, 1, "only the held job's");
    assert_eq!(after.writes - before.writes, 1);
    assert_eq!(after.failed_batches - before.failed_batches, 1);
    assert!(!store.is_broken(), "the file refused nothing");
    assert!(answer_of(&store, "DEMO001", "D01").is_none());
    assert!(answer_of(&store, "DEMO001", "D02").is_none());
    assert_eq!(audit_log(&store), log_before);

    // The same for an operation that returns a storage error after writing: it gets its
    // error, the others BatchFailed.
    let (open_gate, held) = hold_writer(&store).await;
    let s = store.clone();
    let e = tokio::spawn(async move {
        s.write::<(), _>(|tx| {
            tx.audit(Actor::System, Action::Recovery, "before the error".into())?;
            Err(StoreError::storage(Fault::Other, "refused by the test"))
        })
        .await
    });
    let s = store.clone();
    let c = tokio::spawn(async move { s.save_answer("DEMO001", 1, "D03", None, true, 1).await });
    wait_queued(&store, 2).await;
    open_gate.send(()).unwrap();
    held.await.unwrap().unwrap();
    assert!(
        matches!(e.await.unwrap(), Err(StoreError::Storage { message: m, .. }) if m == "refused by the test")
    );
    assert!(matches!(c.await.unwrap(), Err(StoreError::BatchFailed)));
    assert_eq!(store.stats().failed_batches - before.failed_batches, 2);
    assert!(answer_of(&store, "DEMO001", "D03").is_none());
    assert_eq!(audit_log(&store), log_before);

    // The writer goes on: the next write commits, numbered right after the last entry.
    let saved = store
        .save_answer("DEMO001", 1, "D01", choice("D"), false, 2)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(saved.seq, log_before.len() as u64 + 1);
    drop(store);
    let store = demo_store(dir.path());
    let a = answer_of(&store, "DEMO001", "D01").unwrap();
    assert_eq!((a.response, a.seq), (choice("D"), saved.seq));
    assert!(answer_of(&store, "DEMO001", "D02").is_none());
    let log = audit_log(&store);
    assert_eq!(log.len(), log_before.len() + 1);
    assert!(log.iter().all(|e| e.action != "recovery"));
}

/// Where [`a_full_card_is_told_apart_and_loses_nothing_acknowledged`] put its small file system.
const FULL_CARD_DIR: &str = "RUJI_TEST_FULL_CARD_DIR";

/// A full card is a storage failure of kind [`Fault::Full`] (not "failing", not "damaged"), for
/// the save that met it and for every later one; what was acknowledged before is all there once
/// room is made and the store reopened. The card is a 4 MiB tmpfs mounted in a mount namespace
/// of its own (`unshare --user --map-root-user --mount`), where this test runs again as
/// [`full_card_inner`].
#[test]
fn a_full_card_is_told_apart_and_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("card")).unwrap();
    crate::testing::rerun_in_mount_namespace(
        "mount -t tmpfs -o size=4m tmpfs \"$0/card\" || exit 90",
        dir.path(),
        "tests::full_card_inner",
        (FULL_CARD_DIR, &dir.path().join("card")),
    );
}

/// [`a_full_card_is_told_apart_and_loses_nothing_acknowledged`], inside its namespace.
#[test]
#[ignore = "run by a_full_card_is_told_apart_and_loses_nothing_acknowledged in its namespace"]
fn full_card_inner() {
    let card = std::path::PathBuf::from(
        std::env::var_os(FULL_CARD_DIR).expect("run from a_full_card_is_told_apart_..."),
    );
    assert_eq!(
        ruji_sys::disk_space(&card).unwrap().total,
        4 << 20,
        "the card is the namespace's tmpfs"
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let choices = ["A", "B", "C", "D"];
    let last_acked = rt.block_on(async {
        let store = demo_store(&card);
        install(&store).await;
        store.open_session("H1S1", token()).await.unwrap().unwrap();
        started(&store, "DEMO001", 7).await;
        // The rest of the card filled by something else (logs, a copied file...).
        let mut filler = std::fs::File::create(card.join("filler")).unwrap();
        let block = vec![0u8; 64 * 1024];
        while std::io::Write::write_all(&mut filler, &block).is_ok() {}
        // ...but for a little room: some saves are acknowledged before it is full.
        let len = filler.metadata().unwrap().len();
        filler.set_len(len.saturating_sub(256 * 1024)).unwrap();
        drop(filler);
        let mut last_acked = None;
        let mut refused = None;
        for rev in 1..=20_000u64 {
            let choice = choices[rev as usize % 4];
            match store
                .save_answer(
                    "DEMO001",
                    7,
                    "D01",
                    Some(Response::Choice(choice.into())),
                    rev % 2 == 0,
                    rev,
                )
                .await
            {
                Ok(r) => {
                    r.unwrap();
                    last_acked = Some((rev, choice));
                }
                Err(e) => {
                    refused = Some(e);
                    break;
                }
            }
        }
        let e = refused.expect("the full card refused a save");
        assert_eq!(e.fault(), Some(Fault::Full), "{e}");
        assert_eq!(store.fault(), Some(Fault::Full));
        assert!(store.is_broken());
        // Later saves say the same cause (redb says only "an earlier I/O error").
        let again = store
            .save_answer(
                "DEMO001",
                7,
                "D02",
                Some(Response::Choice("A".into())),
                false,
                1,
            )
            .await
            .unwrap_err();
        assert_eq!(again.fault(), Some(Fault::Full), "{again}");
        last_acked.expect("saves were acknowledged before the card was full")
    });
    // Room is made; the store opens again with every acknowledged answer.
    std::fs::remove_file(card.join("filler")).unwrap();
    rt.block_on(async {
        let store = demo_store(&card);
        let ctx = store.context("DEMO001", Some(7)).unwrap().unwrap();
        let a = &ctx.answers["D01"];
        let (rev, choice) = last_acked;
        assert_eq!(
            a.response,
            Some(Response::Choice(choice.into())),
            "rev {rev}"
        );
        assert_eq!(a.doubtful, rev % 2 == 0);
        assert!(
            !ctx.answers.contains_key("D02"),
            "the refused save left nothing"
        );
        let log = store.audit_tail(100_000).unwrap();
        assert_eq!(
            log.iter().filter(|e| e.action == "answer").count() as u64,
            rev,
            "one audit entry per acknowledged save"
        );
    });
}

#[test]
fn faults_of_io_errors() {
    let io = std::io::Error::from_raw_os_error;
    assert_eq!(Fault::of_io(&io(28)), Fault::Full, "ENOSPC");
    assert_eq!(Fault::of_io(&io(122)), Fault::Full, "EDQUOT");
    assert_eq!(Fault::of_io(&io(5)), Fault::Failing, "EIO");
    assert_eq!(Fault::of_io(&io(30)), Fault::Failing, "EROFS");
    let bad = std::io::Error::new(std::io::ErrorKind::InvalidData, "bad checksum");
    assert_eq!(Fault::of_io(&bad), Fault::Corrupt);
    let e: StoreError = redb::StorageError::Corrupted("x".into()).into();
    assert_eq!(e.fault(), Some(Fault::Corrupt));
    let e = StoreError::Corrupt {
        table: "answers",
        message: "x".into(),
    };
    assert_eq!(e.fault(), Some(Fault::Corrupt));
    assert_eq!(StoreError::BatchFailed.fault(), None);
}

#[tokio::test]
async fn a_data_file_half_made_by_a_power_cut_is_made_again() {
    let dir = tempfile::tempdir().unwrap();
    // What a cut between redb's two creation steps leaves: a header without its magic number,
    // under the temporary name the store makes new files with.
    std::fs::write(dir.path().join("ruji.redb.new"), vec![0u8; 4096]).unwrap();
    let store = demo_store(dir.path());
    install(&store).await;
    drop(store);
    assert!(
        !dir.path().join("ruji.redb.new").exists(),
        "the leftover is gone"
    );
    let store = demo_store(dir.path());
    assert_eq!(
        store.package().id,
        "RUJI-DEMO-1",
        "the new file holds what was written"
    );
}

/// The dashboard's rows are kept between reads and read again only when their records change
/// or their time runs out (`crate::rows`): after every step of random sessions (logins, starts,
/// answers, finishes, resets, extra time, pauses, token rotations, time passing), the rows
/// `status` gives are those read from the records.
#[tokio::test]
async fn kept_dashboard_rows_are_the_rows_of_the_records() {
    let users = ["DEMO001", "DEMO002", "DEMO003", "DEMO004"];
    let items = ["P01", "D01", "D02", "D03", "D05", "V01"];
    for seed in 1..=4u64 {
        let dir = tempfile::tempdir().unwrap();
        let store = demo_store(dir.path());
        install(&store).await;
        store.open_session("H1S1", token()).await.unwrap().unwrap();
        let mut rng = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut next = |n: u64| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng % n
        };
        let mut logins = [0u64; 4];
        let (mut rev, mut saves, mut timeouts, mut paused) = (0, 0, 0, false);
        for step in 0..300 {
            if std::mem::take(&mut paused) {
                store.resume_all().await.unwrap().unwrap();
            }
            let i = next(4) as usize;
            let u = users[i];
            let login = logins[i];
            let pick = if login == 0 { 0 } else { 1 + next(99) };
            match pick {
                0 => {
                    let id = logins.iter().max().unwrap() + 1;
                    if store.login(u, "10.0.0.9", id).await.unwrap().is_ok() {
                        logins[i] = id;
                    }
                }
                1..=10 => {
                    let p = store.package().participant(u).unwrap().clone();
                    let birth = p.birth_date.clone().unwrap();
                    let policy = TokenPolicy::default();
                    let st = store.current_session().unwrap().unwrap().1;
                    let t = st.token.unwrap().current.as_str().to_string();
                    let _ = store
                        .start(u, login, &p.name, &birth, &t, policy)
                        .await
                        .unwrap();
                }
                11..=18 => {
                    let _ = store.end_practice(u, login).await.unwrap();
                }
                19..=60 => {
                    rev += 1;
                    // Mostly an item the participant works on now.
                    let current = match store.context(u, Some(login)).unwrap() {
                        Ok(ctx) => ctx.current_items().to_vec(),
                        Err(_) => vec![],
                    };
                    let item = match current.len() as u64 {
                        0 => items[next(items.len() as u64) as usize].to_string(),
                        n => current[next(n) as usize].clone(),
                    };
                    // A choice where the item takes one (a wrong kind is refused now and then),
                    // else only the doubtful mark.
                    let choice = ["A", "B", "C"][next(3) as usize];
                    let r = (item.starts_with("D0") && next(4) != 0 || next(6) == 0)
                        .then(|| Response::Choice(choice.into()));
                    let doubtful = next(3) == 0;
                    let saved = store.save_answer(u, login, &item, r, doubtful, rev).await;
                    saves += usize::from(saved.unwrap().is_ok());
                }
                61..=63 => {
                    let _ = store.finish(u, login, next(2) == 0).await.unwrap();
                }
                64..=66 => {
                    let _ = store.reset_login(u).await.unwrap();
                    logins[i] = 0;
                }
                67..=70 => {
                    let _ = store.extend_time(u, 60_000, "PC mati").await.unwrap();
                }
                71..=74 => {
                    // Paused for one step: the next one resumes.
                    paused = store.pause_all().await.unwrap().is_ok();
                    store.skip_time(next(60) * 1000);
                }
                75..=77 => {
                    let _ = store.rotate_token(token(), Actor::System).await.unwrap();
                }
                _ => {
                    // Mostly seconds; now and then minutes, so that tests and practices run out.
                    let minutes = if next(8) == 0 { 3 + next(6) } else { 0 };
                    store.skip_time(minutes * 60_000 + next(40) * 1000 + next(1000));
                    if next(2) == 0 {
                        timeouts += store.finish_timeouts(store.due_timeouts()).await.unwrap();
                    }
                }
            }
            let (kept, read) = store.status_kept_and_read("H1S1").unwrap();
            assert_eq!(
                format!("{kept:?}"),
                format!("{read:?}"),
                "seed {seed}, step {step}"
            );
        }
        // The steps did what the rows show: answers saved, and time-outs, read before the
        // board's sweep recorded them as well as after.
        assert!(
            saves >= 20 && timeouts >= 1,
            "seed {seed}: {saves} saves, {timeouts} time-outs"
        );
    }
}
