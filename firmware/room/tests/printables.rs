//! The session report's counts against a scripted session, reissued passwords, and the notes,
//! on a real redb file in a temp dir (issue 16). The documents' layout is ruji-print's; here
//! the numbers and names that go into them.

use ruji_core::package::Package;
use ruji_room::printables::Reissue;
use ruji_room::proctor::{ProctorLogin, Role};
use ruji_room::{Room, RoomError, Settings};
use ruji_store::{OpenOptions, Store};

const PROCTOR: &str = "rahasia-proktor";

async fn room() -> (Room, Store, tempfile::TempDir, ProctorLogin) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("ruji.redb"), OpenOptions::default()).unwrap();
    let room = Room::open(
        store.clone(),
        Settings {
            setup_code: Some("1234-5678".into()),
            ..Settings::default()
        },
    )
    .await
    .unwrap();
    room.install_package(ruji_core::demo::package())
        .await
        .unwrap();
    room.proctor_setup("10.0.0.2", "1234-5678", PROCTOR, PROCTOR)
        .await
        .unwrap();
    let login = room.proctor_login("10.0.0.2", PROCTOR).await.unwrap();
    (room, store, dir, login)
}

fn demo() -> Package {
    ruji_core::demo::package()
}

/// Logs `u` in with `password` and starts the session's first test with `token`.
async fn sit(room: &Room, u: &str, password: &str, token: &str) -> u64 {
    let p = demo().participant(u).unwrap().clone();
    let id = room
        .participant_login(u, password, "10.0.0.9")
        .await
        .unwrap();
    room.start(
        u,
        id,
        "10.0.0.9",
        &p.name,
        p.birth_date.as_deref().unwrap(),
        token,
    )
    .await
    .unwrap();
    id
}

fn token(room: &Room) -> String {
    let (_, st) = room.current_session().unwrap().unwrap();
    st.token.unwrap().current.as_str().to_string()
}

fn password(u: &str) -> String {
    demo().participant(u).unwrap().password.clone()
}

#[tokio::test]
async fn the_session_report_counts_a_scripted_session() {
    let (room, _store, _dir, proctor) = room().await;
    room.open_session("H1S1").await.unwrap();
    let t = token(&room);
    // DEMO001 sits both tests to the end; DEMO002 is reset twice; DEMO003 is force-finished;
    // DEMO004 only logs in (late, no token yet); DEMO018 is absent and CAD01 replaces them.
    let id = sit(&room, "DEMO001", &password("DEMO001"), &t).await;
    room.end_practice("DEMO001", id).await.unwrap();
    room.finish("DEMO001", id, true).await.unwrap();
    // Finishing a test logs out; the session's second test (the survey) needs a new login.
    let id = sit(&room, "DEMO001", &password("DEMO001"), &t).await;
    room.end_practice("DEMO001", id).await.unwrap();
    room.finish("DEMO001", id, true).await.unwrap();
    sit(&room, "DEMO002", &password("DEMO002"), &t).await;
    room.reset_login("DEMO002").await.unwrap();
    sit(&room, "DEMO002", &password("DEMO002"), &t).await;
    room.reset_login("DEMO002").await.unwrap();
    sit(&room, "DEMO003", &password("DEMO003"), &t).await;
    room.force_finish("DEMO003", "Komputer mati").await.unwrap();
    room.participant_login("DEMO004", &password("DEMO004"), "10.0.0.4")
        .await
        .unwrap();
    room.activate_reserve("CAD01", Some("DEMO018"))
        .await
        .unwrap();
    sit(&room, "CAD01", &password("CAD01"), &t).await;
    room.set_session_notes(&proctor, "H1S1", "Listrik padam 5 menit.")
        .await
        .unwrap();

    let r = room
        .session_report("H1S1", ruji_print::Lang::Id)
        .await
        .unwrap();
    assert_eq!(r.registered, 18);
    assert_eq!(r.present, 5, "DEMO001-004 and CAD01");
    let absent: Vec<&str> = r.absent.iter().map(|n| n.username.as_str()).collect();
    assert_eq!(absent.len(), 14);
    assert!(absent.contains(&"DEMO018") && !absent.contains(&"DEMO004"));
    assert_eq!(r.finished, 1, "DEMO001 finished both tests");
    assert_eq!(r.force_finished.len(), 1);
    assert_eq!(r.force_finished[0].0.username, "DEMO003");
    assert_eq!(r.force_finished[0].2, "Komputer mati");
    assert_eq!(r.reserves.len(), 1);
    assert_eq!(r.reserves[0].0.username, "CAD01");
    assert_eq!(r.reserves[0].1, "DEMO018 Yohanes Manurung");
    assert_eq!(r.resets.len(), 1);
    assert_eq!(
        (r.resets[0].0.username.as_str(), r.resets[0].1),
        ("DEMO002", 2)
    );
    let incidents: Vec<&str> = r.incidents.iter().map(|i| i.1.as_str()).collect();
    assert_eq!(
        incidents,
        [
            "Reset login",
            "Reset login",
            "Paksa selesai",
            "Peserta cadangan diaktifkan"
        ]
    );
    assert!(
        r.incidents.iter().all(|i| i.0.ends_with(" WIB")),
        "wall times in the zone"
    );
    assert!(!r.opened.is_empty() && r.closed.is_empty(), "still open");
    assert!(r.results.is_none(), "no results file before the close");
    assert_eq!(r.proctor_notes, "Listrik padam 5 menit.");
    // The invigilator writes their own notes, not the proctor's.
    let inv = ProctorLogin {
        role: Role::Invigilator,
        ..proctor.clone()
    };
    room.set_session_notes(&inv, "H1S1", "Peserta tertib.")
        .await
        .unwrap();
    let notes = room.session_notes("H1S1").unwrap();
    assert_eq!(
        (notes.proctor.as_str(), notes.invigilator.as_str()),
        ("Listrik padam 5 menit.", "Peserta tertib.")
    );
    // The attendance list: the session's order, reserves last.
    let a = room.attendance("H1S1").unwrap();
    assert_eq!(a.rows.len(), 21);
    assert_eq!(a.rows[0].username, "DEMO001");
    assert!(a.rows[18..].iter().all(|r| r.reserve));
    assert!(matches!(
        room.attendance("NOPE"),
        Err(RoomError::Refused(_))
    ));
}

#[tokio::test]
async fn reissued_passwords_replace_the_old_ones_and_are_audited() {
    let (room, store, _dir, proctor) = room().await;
    room.open_session("H1S1").await.unwrap();
    let cards = room
        .reissue_passwords(&proctor, Reissue::Participant("DEMO005".into()))
        .await
        .unwrap();
    assert_eq!(cards.cards.len(), 1);
    let new = cards.cards[0].password.clone();
    assert_eq!(new.len(), ruji_core::package::PASSWORD_LEN);
    assert_ne!(new, password("DEMO005"));
    // The old password is refused, the new one logs in.
    assert!(matches!(
        room.participant_login("DEMO005", &password("DEMO005"), "10.0.0.5")
            .await,
        Err(RoomError::WrongPassword)
    ));
    room.participant_login("DEMO005", &new, "10.0.0.5")
        .await
        .unwrap();
    // A class: every IX-B participant gets a card (the demo's even numbers).
    let class = room
        .reissue_passwords(&proctor, Reissue::Class("IX-B".into()))
        .await
        .unwrap();
    assert_eq!(class.cards.len(), 9);
    assert!(class.cards.iter().all(|c| c.class == "IX-B"));
    let audited = store
        .audit_tail(20)
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "password_reissued")
        .count();
    assert_eq!(audited, 10);
    // Only the proctor reissues; an unknown participant changes nothing.
    let inv = ProctorLogin {
        role: Role::Invigilator,
        ..proctor.clone()
    };
    assert!(matches!(
        room.reissue_passwords(&inv, Reissue::Participant("DEMO001".into()))
            .await,
        Err(RoomError::ReadOnly)
    ));
    assert!(room
        .reissue_passwords(&proctor, Reissue::Participant("NOPE".into()))
        .await
        .is_err());
    // Nothing on the board keeps a plain password: not the store's package, not a record.
    for p in &room.package().participants {
        assert!(p.password.is_empty(), "{}", p.username);
    }
}

#[tokio::test]
async fn bulk_actions_reset_a_row_and_end_every_open_test_with_a_reason() {
    let (room, store, _dir, _proctor) = room().await;
    room.open_session("H1S1").await.unwrap();
    let t = token(&room);
    for u in ["DEMO001", "DEMO002", "DEMO003"] {
        sit(&room, u, &password(u), &t).await;
    }
    // A lab row's PCs crashed: DEMO001 and DEMO002 reset at once (an unknown name is skipped,
    // a name twice is reset once).
    let names: Vec<String> = ["DEMO002", "DEMO001", "DEMO002", "NOPE"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let b = room.reset_logins(&names).await.unwrap();
    assert_eq!(b.done, ["DEMO001", "DEMO002"]);
    assert!(b.refused.is_empty());
    assert!(matches!(
        room.reset_logins(&["NOPE".to_string()]).await,
        Err(RoomError::Refused(_))
    ));
    // The end of the session: every open test ends with the reason, each audited.
    assert!(matches!(
        room.force_finish_open("  ").await,
        Err(RoomError::ReasonRequired)
    ));
    let b = room.force_finish_open("Waktu sesi habis").await.unwrap();
    assert_eq!(b.done.len(), 3, "{b:?}");
    let finishes = store
        .audit_tail(10)
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "force_finish" && e.detail.ends_with("reason: Waktu sesi habis"))
        .count();
    assert_eq!(finishes, 3);
    let again = room.force_finish_open("Waktu sesi habis").await.unwrap();
    assert!(again.done.is_empty(), "nothing left open");
    let r = room
        .session_report("H1S1", ruji_print::Lang::Id)
        .await
        .unwrap();
    assert_eq!(r.force_finished.len(), 3);
    assert_eq!(r.resets.len(), 2);
}

#[tokio::test]
async fn a_report_counts_every_time_its_session_was_open_and_its_incidents() {
    let (room, _store, _dir, proctor) = room().await;
    room.open_session("H1S1").await.unwrap();
    // First opening: DEMO002 logs in and is reset; a new card for DEMO009.
    room.participant_login("DEMO002", &password("DEMO002"), "10.0.0.2")
        .await
        .unwrap();
    room.reset_login("DEMO002").await.unwrap();
    room.reissue_passwords(&proctor, Reissue::Participant("DEMO009".into()))
        .await
        .unwrap();
    room.close_session("H1S1").await.unwrap();
    // Reopened and closed again: the first opening still counts.
    room.open_session("H1S1").await.unwrap();
    room.close_session("H1S1").await.unwrap();
    let r = room
        .session_report("H1S1", ruji_print::Lang::Id)
        .await
        .unwrap();
    assert_eq!(r.present, 1, "DEMO002 logged in during the first opening");
    assert_eq!(r.resets.len(), 1);
    let what: Vec<&str> = r.incidents.iter().map(|i| i.1.as_str()).collect();
    assert_eq!(
        what,
        ["Reset login", "Password baru (kartu login dicetak ulang)"]
    );
}

#[tokio::test]
async fn reissued_cards_outlive_the_same_package_imported_again_and_notes_go_with_their_package() {
    let (room, _store, _dir, proctor) = room().await;
    room.open_session("H1S1").await.unwrap();
    let card = room
        .reissue_passwords(&proctor, Reissue::Participant("DEMO005".into()))
        .await
        .unwrap();
    room.set_session_notes(&proctor, "H1S1", "Gladi bersih.")
        .await
        .unwrap();
    room.close_session("H1S1").await.unwrap();
    // The same package again (a USB stick imported twice): the new card stays the valid one.
    room.install_package(demo()).await.unwrap();
    assert_eq!(room.session_notes("H1S1").unwrap().proctor, "Gladi bersih.");
    room.open_session("H1S1").await.unwrap();
    assert!(matches!(
        room.participant_login("DEMO005", &password("DEMO005"), "10.0.0.5")
            .await,
        Err(RoomError::WrongPassword)
    ));
    room.participant_login("DEMO005", &card.cards[0].password, "10.0.0.5")
        .await
        .unwrap();
    room.force_finish_open("akhir gladi").await.unwrap();
    room.close_session("H1S1").await.unwrap();
    // Another package: the rehearsal's notes do not land on the real exam's report.
    let mut real = demo();
    real.id = "PAS-2026-NYATA".into();
    room.install_package(real).await.unwrap();
    assert_eq!(room.session_notes("H1S1").unwrap().proctor, "");
}

#[tokio::test]
async fn extra_time_for_one_participant_with_a_reason_reaches_the_report() {
    let (room, store, _dir, _proctor) = room().await;
    room.open_session("H1S1").await.unwrap();
    let t = token(&room);
    let id = sit(&room, "DEMO001", &password("DEMO001"), &t).await;
    room.end_practice("DEMO001", id).await.unwrap();
    let left = |room: &Room| {
        let ctx = room.context("DEMO001", id).unwrap();
        ctx.attempt.unwrap().clock.remaining(store.now())
    };
    let before = left(&room);
    for (minutes, reason) in [(0, "x"), (121, "x"), (10, " ")] {
        assert!(room.extra_time("DEMO001", minutes, reason).await.is_err());
    }
    room.extra_time("DEMO001", 10, "Komputer mati 10 menit")
        .await
        .unwrap();
    let after = left(&room);
    assert!(
        after > before + 9 * ruji_core::MINUTE,
        "{before} -> {after}"
    );
    let r = room
        .session_report("H1S1", ruji_print::Lang::Id)
        .await
        .unwrap();
    let extra: Vec<&(String, String, String)> = r
        .incidents
        .iter()
        .filter(|i| i.1 == "Tambahan waktu")
        .collect();
    assert_eq!(extra.len(), 1);
    assert!(extra[0]
        .2
        .starts_with("DEMO001 test DEMO +10 min reason: Komputer mati 10 menit"));
    // A finished test never gets more: it goes to the session's next test (not started yet).
    room.finish("DEMO001", id, true).await.unwrap();
    assert_eq!(
        room.extra_time("DEMO001", 5, "terlambat masuk")
            .await
            .unwrap(),
        "SURVEI"
    );
    let res = store.results("H1S1").unwrap().unwrap();
    let demo = res
        .iter()
        .find(|r| r.username == "DEMO001" && r.test == "DEMO")
        .unwrap();
    assert_eq!(demo.state, ruji_core::attempt::Outcome::FinishedParticipant);
}
