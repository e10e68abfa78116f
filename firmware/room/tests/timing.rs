//! The exam's timing rules through the room, on a real redb file: pausing every test (the
//! clients lost power while the board runs on its UPS) across a restart of the board, with the
//! pause not charged and answers refused (kept in the browser) while paused.

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
