use super::*;
use crate::room::Refusal;
use ruji_core::response::Response;
use ruji_core::token::{Token, TokenPolicy};

fn demo_store(dir: &Path) -> Store {
    Store::open(&dir.join("ruji.redb"), OpenOptions::default()).unwrap()
}

async fn install(store: &Store) {
    let pkg = ruji_core::demo::package();
    let hashes = pkg
        .participants
        .iter()
        .map(|p| (p.username.clone(), format!("hash-of-{}", p.username)))
        .collect();
    store.install_package(pkg, hashes).await.unwrap();
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
    let log = store.reader().unwrap().audit_tail(100).unwrap();
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
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path());
    install(&store).await;
    store.open_session("H1S1", token()).await.unwrap().unwrap();
    let users: Vec<String> = (1..=10).map(|i| format!("DEMO{i:03}")).collect();
    for (i, u) in users.iter().enumerate() {
        started(&store, u, i as u64 + 1).await;
    }
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
    for h in handles {
        h.await.unwrap().unwrap().unwrap();
    }
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
    let before = store.reader().unwrap().audit_tail(1).unwrap()[0].seq;
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
    assert_eq!(
        store.reader().unwrap().audit_tail(1).unwrap()[0].seq,
        before
    );
    assert_eq!(
        store.login("CAD01", "b", 3).await.unwrap(),
        Err(Refusal::Login(
            ruji_core::attempt::LoginError::ReserveNotActive
        ))
    );
    store.activate_reserve("CAD01").await.unwrap().unwrap();
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
    assert_eq!(r.state, "finished_proctor");
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
            .set_meta(tables::KEY_SCHEMA, SCHEMA_VERSION + 1, None)
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
    let audit = store.reader().unwrap().audit_tail(1).unwrap();
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
            .audit_event("system", "recovery", "uji".into())
            .await
            .unwrap();
        let e = &store.reader().unwrap().audit_tail(1).unwrap()[0];
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
