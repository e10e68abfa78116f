//! Login storms at the room, where the queue lives (issue 20): requests cut while they wait or
//! while their hash runs never make more hashes run than the bound, every started hash is
//! finished and its result used (the login recorded, a wrong password counted), LOGIN pressed
//! again joins the first press instead of hashing again, and the working memory after a storm
//! is what it was after the first. On a real redb file in a temp dir.

use std::path::Path;
use std::time::Duration;

use ruji_core::token::Token;
use ruji_room::logins::Login;
use ruji_room::passwords::{self, ARGON2_KIB};
use ruji_room::{Room, RoomError, Settings};
use ruji_store::{Action, OpenOptions, Store};

const BOUND: usize = 2;

async fn room_with(path: &Path, participants: usize) -> (Room, Store) {
    let store = Store::open(path, OpenOptions::default()).unwrap();
    let room = Room::open(
        store.clone(),
        Settings {
            hash_concurrency: BOUND,
            ..Settings::default()
        },
    )
    .await
    .unwrap();
    room.install_package(ruji_core::demo::package_with(participants))
        .await
        .unwrap();
    store
        .open_session("H1S1", Token::parse("ABCDEF").unwrap())
        .await
        .unwrap()
        .unwrap();
    (room, store)
}

/// Waits for every ticket's login, asking again as a waiting page does.
async fn pick_up(room: &Room, tickets: Vec<(String, String)>) -> Vec<Result<u64, RoomError>> {
    let mut out = vec![];
    for (ticket, client) in tickets {
        let r = loop {
            match room
                .login_wait(&ticket, &client, Duration::from_secs(5))
                .await
            {
                Ok(Login::In(id)) => break Ok(id),
                Ok(Login::Waiting { .. }) => continue,
                Err(e) => break Err(e),
            }
        };
        out.push(r);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storm_of_cut_requests_stays_within_the_bound_and_every_login_lands() {
    const N: usize = 40;
    let dir = tempfile::tempdir().unwrap();
    let (room, store) = room_with(&dir.path().join("ruji.redb"), N).await;
    let started_before = room.hashing().started;
    // Every participant presses LOGIN; every request is cut at once (a closed browser, a
    // timeout): none waits for its login.
    let mut tickets = vec![];
    for i in 0..N {
        let (u, p, _) = ruji_core::demo::login(i + 1);
        let client = format!("10.1.0.{i}");
        match room.login(&u, &p, &client, Duration::ZERO).await.unwrap() {
            Login::Waiting { ticket, .. } => tickets.push((ticket, client)),
            Login::In(_) => panic!("a login of a storm cannot be done before it is asked"),
        }
    }
    // Half of them press LOGIN again, and that request too is cut mid-wait (a timeout while
    // their hash runs or waits): the same job, the same ticket; or, when the job ended, its
    // login (the first page's ticket is then used up).
    let mut taken = vec![None; N];
    for (i, (ticket, client)) in tickets.iter().enumerate().step_by(2) {
        let (u, p, _) = ruji_core::demo::login(i + 1);
        let again = tokio::time::timeout(
            Duration::from_millis(3),
            room.login(&u, &p, client, Duration::from_secs(60)),
        )
        .await;
        match again {
            Ok(Ok(Login::Waiting { ticket: t, .. })) => {
                assert_eq!(&t, ticket, "joined, not a second job")
            }
            Ok(Ok(Login::In(id))) => taken[i] = Some(id),
            Ok(Err(e)) => panic!("{e}"),
            Err(_cut) => {}
        }
    }
    let during = room.hashing();
    assert!(during.running <= BOUND, "{during:?}");
    // Every job ends and its login was recorded, though nobody was waiting for it.
    while room.login_jobs().0 > 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let s = room.hashing();
        assert!(s.running <= BOUND, "{s:?}");
    }
    let stats = room.hashing();
    assert_eq!(stats.most_running, BOUND, "{stats:?}");
    assert_eq!(
        stats.started - started_before,
        N as u64,
        "one hash per participant: a second press joined the first"
    );
    assert!(stats.buffers.0 <= BOUND, "{stats:?}");
    let logins = store
        .audit_tail(10_000)
        .unwrap()
        .into_iter()
        .filter(|e| e.action == Action::Login.name())
        .count();
    assert_eq!(logins, N, "every login recorded before anyone picked it up");
    // The pages pick them up later: each gets its login (or its second press got it), and the
    // login works.
    let ids = pick_up(&room, tickets.clone()).await;
    for (i, id) in ids.into_iter().enumerate() {
        let (u, _, _) = ruji_core::demo::login(i + 1);
        let id = match (id, taken[i]) {
            (Ok(id), None) => id,
            (Err(RoomError::LoginGone), Some(id)) => id,
            (r, t) => panic!("{u}: {r:?} after a second press that got {t:?}"),
        };
        room.context(&u, id).unwrap();
    }
    // A result is given once; a ticket from another PC is nobody's.
    let (t0, c0) = &tickets[1];
    assert!(matches!(
        room.login_wait(t0, c0, Duration::ZERO).await,
        Err(RoomError::LoginGone)
    ));
    let (u, p, _) = ruji_core::demo::login(1);
    let Login::Waiting { ticket, .. } = room
        .login(&u, &p, "10.1.1.1", Duration::ZERO)
        .await
        .unwrap()
    else {
        panic!("a hash cannot be done in no time");
    };
    assert!(matches!(
        room.login_wait(&ticket, "10.1.1.2", Duration::ZERO).await,
        Err(RoomError::LoginGone)
    ));
    assert!(pick_up(&room, vec![(ticket, "10.1.1.1".into())]).await[0].is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_whose_request_was_cut_is_still_counted() {
    let dir = tempfile::tempdir().unwrap();
    let (room, _store) = room_with(&dir.path().join("ruji.redb"), 3).await;
    let (u, p, _) = ruji_core::demo::login(1);
    // Wrong passwords from many PCs, every request cut before its hash ends.
    for i in 0..ruji_core::throttle::FREE_FAILURES {
        let r = room
            .login(
                &u,
                &format!("salah{i}"),
                &format!("10.2.0.{i}"),
                Duration::ZERO,
            )
            .await
            .unwrap();
        assert!(matches!(r, Login::Waiting { .. }));
        while room.login_jobs().0 > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    // The username is locked out: the right password is refused until the lock ends.
    let r = room.participant_login(&u, &p, "10.2.1.1").await;
    assert!(matches!(r, Err(RoomError::Throttled { .. })), "{r:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storm_after_storm_the_working_memory_stays_the_same() {
    const N: usize = 24;
    let dir = tempfile::tempdir().unwrap();
    let (room, _store) = room_with(&dir.path().join("ruji.redb"), N).await;
    let mut after = vec![];
    for storm in 0..3 {
        let mut tasks = vec![];
        for i in 0..N {
            let room = room.clone();
            tasks.push(tokio::spawn(async move {
                let (u, p, _) = ruji_core::demo::login(i + 1);
                // Some cut at once, the others waited for.
                let client = format!("10.3.{storm}.{i}");
                if i % 3 == 0 {
                    let _ = room.login(&u, &p, &client, Duration::ZERO).await;
                } else {
                    room.participant_login(&u, &p, &client).await.unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        while room.login_jobs().0 > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        after.push(room.hashing().buffers);
    }
    let one = ARGON2_KIB as usize * 1024;
    assert!(
        after[0].0 <= BOUND && after[0].1 <= BOUND * one,
        "{after:?}"
    );
    assert_eq!(after[0], after[1], "no growth storm after storm");
    assert_eq!(after[1], after[2], "no growth storm after storm");
    assert_eq!(room.hashing().most_running, BOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hash_with_older_parameters_works_and_is_upgraded_after_the_login() {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let dir = tempfile::tempdir().unwrap();
    let (room, store) = room_with(&dir.path().join("ruji.redb"), 3).await;
    let (u, p, _) = ruji_core::demo::login(2);
    let current = store.password_hash(&u).unwrap().unwrap();
    let old = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(4096, 3, 1, None).unwrap(),
    )
    .hash_password(
        p.as_bytes(),
        &SaltString::encode_b64(b"an older board!!").unwrap(),
    )
    .unwrap()
    .to_string();
    assert!(store
        .upgrade_password_hash(&u, current, old.clone())
        .await
        .unwrap());
    assert!(!passwords::is_current(&old));
    room.participant_login(&u, &p, "10.4.0.1").await.unwrap();
    let mut upgraded = String::new();
    for _ in 0..500 {
        upgraded = store.password_hash(&u).unwrap().unwrap();
        if upgraded != old {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(passwords::is_current(&upgraded), "{upgraded}");
    // The same password still logs in, now with today's hash, and nothing is upgraded again.
    room.participant_login(&u, &p, "10.4.0.1").await.unwrap();
    let audit = store.audit_tail(100).unwrap();
    let ups: Vec<_> = audit
        .iter()
        .filter(|e| e.action == Action::PasswordUpgraded.name())
        .collect();
    assert_eq!(
        ups.len(),
        2,
        "the test's own downgrade and the upgrade: {ups:?}"
    );
}
