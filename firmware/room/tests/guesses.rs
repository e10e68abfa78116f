//! Guesses under the throttle, at the room (where the rule lives): wrong passwords, setup codes
//! and tokens sent at the same moment are not all checked; a flood from one address holds only
//! its own places; a lock-out survives a restart; an abandoned attempt counts nothing. On a
//! real redb file in a temp dir.

use std::future::Future;
use std::path::Path;

use ruji_core::throttle::{BASE_LOCK, CLIENT_BURST, FREE_FAILURES};
use ruji_core::token::Token;
use ruji_room::{Room, RoomError, Settings};
use ruji_store::room::Refusal;
use ruji_store::{OpenOptions, Store};

const TOKEN: &str = "ABCDEF";
const CODE: &str = "1234-5678";
const PROCTOR_PASSWORD: &str = "rahasia-proktor";

async fn room_at(path: &Path) -> (Room, Store) {
    let store = Store::open(path, OpenOptions::default()).unwrap();
    let room = Room::open(
        store.clone(),
        Settings {
            setup_code: Some(CODE.into()),
            ..Settings::default()
        },
    )
    .await
    .unwrap();
    if store.package().participants.is_empty() {
        room.install_package(ruji_core::demo::package())
            .await
            .unwrap();
        store
            .open_session("H1S1", Token::parse(TOKEN).unwrap())
            .await
            .unwrap()
            .unwrap();
    }
    (room, store)
}

fn demo(i: usize) -> (String, String, String, String) {
    let (u, p, d) = ruji_core::demo::login(i);
    let name = ruji_core::demo::package()
        .participant(&u)
        .unwrap()
        .name
        .clone();
    (u, p, d, name)
}

/// How many of `results` are each kind: (wrong, throttled, other).
fn tally<T>(results: &[Result<T, RoomError>], wrong: fn(&RoomError) -> bool) -> (usize, usize) {
    let mut n = (0, 0);
    for r in results {
        match r {
            Err(e) if wrong(e) => n.0 += 1,
            Err(RoomError::Throttled { .. }) => n.1 += 1,
            Err(e) => panic!("unexpected error: {e}"),
            Ok(_) => panic!("a wrong guess was accepted"),
        }
    }
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passwords_sent_at_once_are_not_all_checked() {
    let dir = tempfile::tempdir().unwrap();
    let (room, _store) = room_at(&dir.path().join("ruji.redb")).await;
    let (u, password, _, _) = demo(1);

    // 60 wrong passwords for one participant at the same moment, each from its own PC: only the
    // free failures are checked; the rest wait for them and then find the account locked.
    let tries = (0..60).map(|i| {
        let (room, u) = (room.clone(), u.clone());
        tokio::spawn(async move {
            room.participant_login(&u, "salah", &format!("10.0.0.{i}"))
                .await
        })
    });
    let results: Vec<_> = futures_join(tries).await;
    let (wrong, throttled) = tally(&results, |e| matches!(e, RoomError::WrongPassword));
    assert_eq!(wrong, FREE_FAILURES as usize, "checked");
    assert_eq!(throttled, 60 - FREE_FAILURES as usize);
    // The right password is refused too while locked.
    assert!(matches!(
        room.participant_login(&u, &password, "10.0.0.250").await,
        Err(RoomError::Throttled { retry_after_ms }) if retry_after_ms <= BASE_LOCK
    ));

    // The proctor alike: 40 wrong passwords from one address at once.
    room.proctor_setup("10.0.1.1", CODE, PROCTOR_PASSWORD, PROCTOR_PASSWORD)
        .await
        .unwrap();
    let tries = (0..40).map(|_| {
        let room = room.clone();
        tokio::spawn(async move { room.proctor_login("10.0.1.2", "salah-salah").await })
    });
    let results: Vec<_> = futures_join(tries).await;
    let (wrong, throttled) = tally(&results, |e| matches!(e, RoomError::ProctorPassword));
    assert_eq!(
        (wrong, throttled),
        (FREE_FAILURES as usize, 40 - FREE_FAILURES as usize)
    );
    // The proctor's own PC is not locked by that one.
    room.proctor_login("10.0.1.1", PROCTOR_PASSWORD)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_bogus_logins_from_one_address_holds_only_its_own_places() {
    let dir = tempfile::tempdir().unwrap();
    let (room, _store) = room_at(&dir.path().join("ruji.redb")).await;
    // 300 logins with made-up usernames from one address at once...
    let flood: Vec<_> = (0..300)
        .map(|i| {
            let room = room.clone();
            tokio::spawn(async move {
                room.participant_login(&format!("BOGUS{i}"), "x", "10.6.6.6")
                    .await
            })
        })
        .collect();
    // ...while the room's participants log in from their PCs.
    for i in 1..=5 {
        let (u, p, _, _) = demo(i);
        room.participant_login(&u, &p, &format!("10.0.2.{i}"))
            .await
            .expect("a real login is not refused during the flood");
    }
    let results = futures_join(flood).await;
    let (wrong, throttled) = tally(&results, |e| matches!(e, RoomError::WrongPassword));
    // At most a burst of the flood reached the password hash; the rest never did.
    assert!(
        wrong <= CLIENT_BURST as usize,
        "{wrong} of the flood were hashed"
    );
    assert_eq!(wrong + throttled, 300);
}

#[tokio::test]
async fn a_lockout_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ruji.redb");
    let (u, password, _, _) = demo(2);
    {
        let (room, _store) = room_at(&path).await;
        for i in 0..FREE_FAILURES {
            let r = room
                .participant_login(&u, "salah", &format!("10.0.3.{i}"))
                .await;
            assert!(matches!(r, Err(RoomError::WrongPassword)), "{r:?}");
        }
        let audit = room.audit_tail(20).unwrap();
        assert!(
            audit
                .iter()
                .any(|e| e.action == "locked_out" && e.detail.starts_with(&format!("u:{u}"))),
            "{audit:?}"
        );
    }
    // Restarted (the store closed and opened again): still locked, even with the right password.
    let (room, store) = room_at(&path).await;
    let r = room.participant_login(&u, &password, "10.0.3.99").await;
    assert!(
        matches!(r, Err(RoomError::Throttled { retry_after_ms }) if retry_after_ms > 0 && retry_after_ms <= BASE_LOCK),
        "{r:?}"
    );
    // Once the lock has passed (exam clock), the right password works and the lock is dropped.
    store.skip_time(BASE_LOCK);
    room.participant_login(&u, &password, "10.0.3.99")
        .await
        .unwrap();
    drop((room, store));
    let (room, _store) = room_at(&path).await;
    room.participant_login(&u, "salah", "10.0.3.98")
        .await
        .expect_err("wrong");
    let r = room.participant_login(&u, &password, "10.0.3.98").await;
    assert!(r.is_ok(), "one typo after the success is not a lock: {r:?}");
}

#[tokio::test]
async fn wrong_tokens_are_throttled_per_participant_and_per_pc() {
    let dir = tempfile::tempdir().unwrap();
    let (room, _store) = room_at(&dir.path().join("ruji.redb")).await;
    let (u, p, d, name) = demo(3);
    let id = room.participant_login(&u, &p, "10.0.4.1").await.unwrap();
    for _ in 0..FREE_FAILURES {
        let r = room.start(&u, id, "10.0.4.1", &name, &d, "ZZZZZZ").await;
        assert!(
            matches!(r, Err(RoomError::Refused(Refusal::WrongToken))),
            "{r:?}"
        );
    }
    let r = room.start(&u, id, "10.0.4.1", &name, &d, TOKEN).await;
    assert!(matches!(r, Err(RoomError::Throttled { .. })), "{r:?}");
    // Another participant at the same PC is held too (the PC's own count)...
    let (u4, p4, d4, name4) = demo(4);
    let id4 = room.participant_login(&u4, &p4, "10.0.4.1").await.unwrap();
    let r = room.start(&u4, id4, "10.0.4.1", &name4, &d4, TOKEN).await;
    assert!(matches!(r, Err(RoomError::Throttled { .. })), "{r:?}");
    // ...but not at another PC, and the right token then starts the test.
    let id4 = room.participant_login(&u4, &p4, "10.0.4.2").await.unwrap();
    room.start(&u4, id4, "10.0.4.2", &name4, &d4, TOKEN)
        .await
        .unwrap();
    // A typed name that does not match is not a token guess: it counts nothing.
    let (u5, p5, d5, _) = demo(5);
    let id5 = room.participant_login(&u5, &p5, "10.0.4.3").await.unwrap();
    for _ in 0..2 * FREE_FAILURES {
        let r = room
            .start(&u5, id5, "10.0.4.3", "Bukan Nama", &d5, TOKEN)
            .await;
        assert!(
            matches!(r, Err(RoomError::Refused(Refusal::NameMismatch))),
            "{r:?}"
        );
    }
}

#[tokio::test]
async fn the_same_wrong_login_pressed_again_and_again_is_one_guess() {
    let dir = tempfile::tempdir().unwrap();
    let (room, _store) = room_at(&dir.path().join("ruji.redb")).await;
    let (u, p, _, _) = demo(6);
    // A participant pressing LOGIN again and again with the same wrong password on the same PC,
    // each request cut before its answer: one login job, joined by every press (the job itself
    // is never abandoned: logins.rs shows that a cut wrong password still counts).
    // Each press is polled once and dropped, with no yield between them (so that no hash can
    // end in between, whatever the machine's load): the job the first one started is joined.
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    for _ in 0..3 * FREE_FAILURES {
        let mut press = std::pin::pin!(room.participant_login(&u, "salah", "10.0.5.1"));
        assert!(
            press.as_mut().poll(&mut cx).is_pending(),
            "cut before the answer"
        );
    }
    assert_eq!(room.login_jobs(), (1, 1), "one job for every press");
    room.participant_login(&u, &p, "10.0.5.1")
        .await
        .expect("one wrong guess counted, far from a lock-out");
}

/// Awaits every task.
async fn futures_join<T: Send + 'static>(
    tasks: impl IntoIterator<Item = tokio::task::JoinHandle<T>>,
) -> Vec<T> {
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}
