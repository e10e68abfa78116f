//! The exam's timing rules through the room, on a real redb file: pausing every test (the
//! clients lost power while the board runs on its UPS) across a restart of the board, with the
//! pause not charged and answers refused (kept in the browser) while paused.

mod common;

use std::path::Path;

use ruji_core::response::Response;
use ruji_room::{Refusal, Room, RoomError, Settings};
use ruji_store::{OpenOptions, Store};

async fn room_on(dir: &Path) -> (Room, Store) {
    let store = Store::open(&dir.join("ruji.redb"), OpenOptions::default()).unwrap();
    let room = Room::open(store.clone(), Settings::default())
        .await
        .unwrap();
    (room, store)
}

fn remaining(room: &Room, store: &Store, u: &str, id: u64) -> u64 {
    let ctx = room.context(u, id).unwrap();
    ctx.attempt.unwrap().clock.remaining(store.now())
}

#[tokio::test]
async fn pause_all_survives_a_restart_and_is_not_charged() {
    let dir = tempfile::tempdir().unwrap();
    let demo = ruji_core::demo::package();
    let (u, id) = {
        let (room, _store) = room_on(dir.path()).await;
        room.install_package(demo.clone()).await.unwrap();
        room.open_session("H1S1").await.unwrap();
        let (_, st) = room.current_session().unwrap().unwrap();
        let token = st.token.unwrap().current.as_str().to_string();
        let p = demo.participant("DEMO001").unwrap().clone();
        let id = room
            .participant_login(&p.username, &p.password, "10.0.0.1")
            .await
            .unwrap();
        room.start(
            &p.username,
            id,
            "10.0.0.1",
            &p.name,
            p.birth_date.as_deref().unwrap(),
            &token,
        )
        .await
        .unwrap();
        room.end_practice(&p.username, id).await.unwrap();
        assert!(matches!(
            room.resume_all().await,
            Err(RoomError::Refused(Refusal::PauseState))
        ));
        assert_eq!(room.pause_all().await.unwrap(), 1, "one test running");
        assert!(matches!(
            room.pause_all().await,
            Err(RoomError::Refused(Refusal::PauseState))
        ));
        (p.username, id)
    };
    // The board restarts while paused: still paused, the clock still stopped.
    let (room, store) = room_on(dir.path()).await;
    assert!(room.paused_since().is_some());
    let before = remaining(&room, &store, &u, id);
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    assert_eq!(
        remaining(&room, &store, &u, id),
        before,
        "no time runs while paused"
    );
    // An answer sent while paused is refused (the page keeps it and sends it again).
    let r = room
        .save(&u, id, "D01", Some(Response::Choice("B".into())), false, 1)
        .await;
    assert!(
        matches!(r, Err(RoomError::Refused(Refusal::Paused))),
        "{r:?}"
    );
    assert_eq!(room.resume_all().await.unwrap(), 1);
    assert!(room.paused_since().is_none());
    let after = remaining(&room, &store, &u, id);
    assert!(
        before - after < 1000,
        "the pause was not charged: {before} -> {after}"
    );
    room.save(&u, id, "D01", Some(Response::Choice("B".into())), false, 1)
        .await
        .unwrap();
    let actions: Vec<String> = store
        .audit_tail(10)
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert!(
        actions.contains(&"pause_all".to_string()) && actions.contains(&"resume_all".to_string())
    );
}

const MIN: u64 = 60_000;

#[tokio::test]
async fn a_late_arrival_gets_only_what_remains_of_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let (room, store) = room_on(dir.path()).await;
    let mut pkg = ruji_core::demo::package();
    pkg.sessions[0].minutes = Some(40);
    room.install_package(pkg).await.unwrap();
    room.open_session("H1S1").await.unwrap();

    // On time: the whole 20 minutes.
    let id1 = common::arrive(&room, "DEMO001", "10.0.0.1").await;
    room.end_practice("DEMO001", id1).await.unwrap();
    assert!(remaining(&room, &store, "DEMO001", id1) > 20 * MIN - 1000);

    // 30 minutes late: 10 minutes are left of the session.
    store.skip_time(30 * MIN);
    let id2 = common::arrive(&room, "DEMO002", "10.0.0.2").await;
    room.end_practice("DEMO002", id2).await.unwrap();
    let r2 = remaining(&room, &store, "DEMO002", id2);
    assert!((10 * MIN - 1000..=10 * MIN).contains(&r2), "{r2}");

    // A pause (the clients lost power) moves the session's end on by its length: while it
    // lasts, the time left to the end stands still on the console.
    room.pause_all().await.unwrap();
    let ends_in = || async { room.console().await.unwrap().unwrap().ends_in.unwrap() };
    let before = ends_in().await;
    store.skip_time(5 * MIN);
    assert_eq!(ends_in().await, before);
    room.resume_all().await.unwrap();
    assert!(before - ends_in().await < 2000);
    let id3 = common::arrive(&room, "DEMO003", "10.0.0.3").await;
    room.end_practice("DEMO003", id3).await.unwrap();
    let r3 = remaining(&room, &store, "DEMO003", id3);
    assert!((10 * MIN - 2000..=10 * MIN).contains(&r3), "{r3}");

    // A late arrival's practice does not run past the session's end either.
    store.skip_time(5 * MIN);
    let id5 = common::arrive(&room, "DEMO005", "10.0.0.5").await;
    let ctx = room.context("DEMO005", id5).unwrap();
    let p = ctx
        .attempt
        .unwrap()
        .practice_remaining(store.now())
        .unwrap();
    assert!((5 * MIN - 2000..=5 * MIN).contains(&p), "{p}");

    // After the session's end: no time at all; practice and test end at once, timed out.
    store.skip_time(7 * MIN);
    let id4 = common::arrive(&room, "DEMO004", "10.0.0.4").await;
    let ctx = room.context("DEMO004", id4).unwrap();
    assert_eq!(
        ctx.previous
            .as_ref()
            .map(|(t, a, _)| (t.id.as_str(), a.is_finished())),
        Some(("DEMO", true)),
        "the test ended at once"
    );
}

#[tokio::test]
async fn without_a_session_end_every_start_gets_the_whole_test() {
    let dir = tempfile::tempdir().unwrap();
    let (room, store) = room_on(dir.path()).await;
    let mut pkg = ruji_core::demo::package();
    pkg.sessions[0].minutes = Some(0);
    room.install_package(pkg).await.unwrap();
    room.open_session("H1S1").await.unwrap();
    store.skip_time(300 * MIN);
    let id = common::arrive(&room, "DEMO001", "10.0.0.1").await;
    room.end_practice("DEMO001", id).await.unwrap();
    assert!(remaining(&room, &store, "DEMO001", id) > 20 * MIN - 1000);
}

#[tokio::test]
async fn a_timed_practice_ends_by_itself_and_the_test_starts() {
    let dir = tempfile::tempdir().unwrap();
    let (room, store) = room_on(dir.path()).await;
    let pkg = ruji_core::demo::package();
    let practice = u64::from(pkg.tests[0].rules.practice_minutes) * MIN;
    assert_eq!(practice, 10 * MIN, "the guide's 10 minutes by default");
    room.install_package(pkg).await.unwrap();
    room.open_session("H1S1").await.unwrap();
    let periodic = tokio::spawn(room.clone().periodic());
    let id = common::arrive(&room, "DEMO001", "10.0.0.1").await;
    let ctx = room.context("DEMO001", id).unwrap();
    assert_eq!(
        ctx.attempt.unwrap().phase,
        ruji_core::attempt::Phase::Practice
    );

    // Ten minutes later (and two seconds): the practice ended by itself, the test runs from
    // the practice's end.
    store.skip_time(practice + 2000);
    let ended = async {
        loop {
            let done = store
                .audit_tail(5)
                .unwrap()
                .iter()
                .any(|e| e.action == "end_practice" && e.detail.ends_with("time"));
            if done {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(5), ended)
        .await
        .expect("the board's sweep ended the practice and recorded it");
    let ctx = room.context("DEMO001", id).unwrap();
    let a = ctx.attempt.unwrap();
    assert_eq!(a.phase, ruji_core::attempt::Phase::InProgress);
    let r = a.clock.remaining(store.now());
    assert!((20 * MIN - 4000..=20 * MIN - 2000).contains(&r), "{r}");
    // The participant's next answer is the test's.
    room.save(
        "DEMO001",
        id,
        "D01",
        Some(Response::Choice("B".into())),
        false,
        1,
    )
    .await
    .unwrap();
    periodic.abort();
}

#[tokio::test]
async fn a_reset_or_a_pause_stops_the_practices_time() {
    let dir = tempfile::tempdir().unwrap();
    let (room, store) = room_on(dir.path()).await;
    room.install_package(ruji_core::demo::package())
        .await
        .unwrap();
    room.open_session("H1S1").await.unwrap();
    let periodic = tokio::spawn(room.clone().periodic());
    let left = |id: u64| {
        room.context("DEMO001", id)
            .unwrap()
            .attempt
            .unwrap()
            .practice_remaining(store.now())
            .unwrap()
    };
    let id = common::arrive(&room, "DEMO001", "10.0.0.1").await;
    store.skip_time(4 * MIN);
    // The computer crashed: a reset, and 15 minutes to move to another one.
    room.reset_login("DEMO001").await.unwrap();
    store.skip_time(15 * MIN);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let id2 = common::arrive(&room, "DEMO001", "10.0.0.2").await;
    assert_ne!(id, id2);
    let l = left(id2);
    assert!((6 * MIN - 2000..=6 * MIN).contains(&l), "{l}");
    // The clients lose power for 20 minutes.
    room.pause_all().await.unwrap();
    store.skip_time(20 * MIN);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    room.resume_all().await.unwrap();
    let l2 = left(id2);
    assert!(l - l2 < 3000, "{l} -> {l2}");
    assert_eq!(
        room.context("DEMO001", id2).unwrap().attempt.unwrap().phase,
        ruji_core::attempt::Phase::Practice
    );
    periodic.abort();
}

/// The sweep reads no attempts: it takes the due ones from the store's deadline queue. The
/// queue is rebuilt from the file when the board starts and follows every write: here a test
/// that ran out while the board was off, one the proctor extended, and one a reset paused.
#[tokio::test]
async fn the_sweep_finds_every_time_out_after_a_restart_and_after_changes() {
    let dir = tempfile::tempdir().unwrap();
    let seats = [
        ("DEMO001", "10.0.0.1"),
        ("DEMO002", "10.0.0.2"),
        ("DEMO003", "10.0.0.3"),
    ];
    let ids: Vec<u64> = {
        let (room, _store) = room_on(dir.path()).await;
        room.install_package(ruji_core::demo::package())
            .await
            .unwrap();
        room.open_session("H1S1").await.unwrap();
        let mut ids = vec![];
        for (u, c) in seats {
            let id = common::arrive(&room, u, c).await;
            room.end_practice(u, id).await.unwrap();
            ids.push(id);
        }
        ids
    };
    let key = |u: &str| format!("{u}{}DEMO", ruji_store::tables::SEP);
    // The board restarts; the queue comes from the file.
    let (room, store) = room_on(dir.path()).await;
    assert!(store.due_timeouts().is_empty(), "nothing is due yet");
    room.extra_time("DEMO002", 5, "listrik padam di kelas")
        .await
        .unwrap();
    room.reset_login("DEMO003").await.unwrap();
    // The 20-minute test: DEMO001's time is up, DEMO002 has 5 more minutes, DEMO003's clock
    // stopped with the reset.
    store.skip_time(21 * MIN);
    assert_eq!(store.due_timeouts(), [key("DEMO001")]);
    store.skip_time(5 * MIN);
    assert_eq!(store.due_timeouts(), [key("DEMO001"), key("DEMO002")]);

    // The board's sweep finishes both, and then nothing is due.
    let periodic = tokio::spawn(room.clone().periodic());
    let on_next_test = |u: &str, id: u64| {
        room.context(u, id)
            .unwrap()
            .test
            .is_some_and(|t| t.id == "SURVEI")
    };
    let mut done = false;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        if on_next_test("DEMO001", ids[0]) && on_next_test("DEMO002", ids[1]) {
            done = true;
            break;
        }
    }
    assert!(done, "the sweep finished both tests");
    assert!(store.due_timeouts().is_empty());
    let ctx = store.context("DEMO003", None).unwrap().unwrap();
    assert_eq!(
        ctx.test.unwrap().id,
        "DEMO",
        "the reset stopped DEMO003's clock"
    );
    assert_eq!(ctx.attempt.unwrap().clock.running_since, None);
    periodic.abort();
}
