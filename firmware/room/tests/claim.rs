//! The first claim of a board with a button: one claim at a time, and the code path and the
//! button path cannot be raced into giving the account to the wrong browser. On a real redb file.

use ruji_room::confirm::CONFIRM_WINDOW;
use ruji_room::proctor::{Claim, Setup};
use ruji_room::{Room, RoomError, Settings};
use ruji_store::{OpenOptions, Store};

const CODE: &str = "1234-5678";

async fn board() -> (Room, Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("ruji.redb"), OpenOptions::default()).unwrap();
    let room = Room::open(
        store.clone(),
        Settings {
            setup_code: Some(CODE.into()),
            button: true,
            ..Settings::default()
        },
    )
    .await
    .unwrap();
    (room, store, dir)
}

async fn claim(room: &Room, client: &str, password: &str) -> Result<String, RoomError> {
    match room.proctor_setup(client, "", password, password).await? {
        Setup::AwaitingButton { id } => Ok(id),
        other => panic!("a claim without code waits for the button: {other:?}"),
    }
}

#[tokio::test]
async fn a_second_claim_cannot_replace_the_one_waiting_for_the_button() {
    let (room, store, _dir) = board().await;
    let first = claim(&room, "10.0.0.1", "password-pertama").await.unwrap();
    // Another browser tries while the first waits: told so, nothing replaced.
    match claim(&room, "10.0.0.2", "password-kedua").await {
        Err(RoomError::ClaimInProgress { seconds }) => {
            assert!(seconds > 0 && seconds * 1000 <= CONFIRM_WINDOW)
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        room.claim(&first, "10.0.0.1").await,
        Claim::Waiting { .. }
    ));
    // The press gives the account to the first browser, with its password.
    room.confirm_physical()
        .await
        .unwrap()
        .expect("a claim was confirmed");
    assert!(matches!(
        room.claim(&first, "10.0.0.1").await,
        Claim::Done { .. }
    ));
    room.proctor_login("10.0.0.3", "password-pertama")
        .await
        .expect("the first browser's password");
    assert!(matches!(
        room.proctor_login("10.0.0.3", "password-kedua").await,
        Err(RoomError::ProctorPassword)
    ));
    // Once the window has passed, a claim can be made again (here: the account exists).
    store.skip_time(CONFIRM_WINDOW);
    assert!(matches!(
        room.proctor_setup("10.0.0.2", "", "password-kedua", "password-kedua")
            .await,
        Err(RoomError::AlreadySetup)
    ));
}

#[tokio::test]
async fn the_code_path_ends_a_claim_waiting_for_the_button_and_the_press_then_does_nothing() {
    let (room, _store, _dir) = board().await;
    let waiting = claim(&room, "10.0.0.1", "password-tombol").await.unwrap();
    // The proctor at the console types the code (the stronger proof): it wins.
    match room
        .proctor_setup("10.0.0.9", CODE, "password-kode", "password-kode")
        .await
        .unwrap()
    {
        Setup::Created { .. } => {}
        other => panic!("{other:?}"),
    }
    // The waiting claim is over; its page leads to the login.
    assert_eq!(room.claim(&waiting, "10.0.0.1").await, Claim::Unknown);
    // A press now confirms nothing and changes nothing.
    assert_eq!(room.confirm_physical().await.unwrap(), None);
    room.proctor_login("10.0.0.3", "password-kode")
        .await
        .unwrap();
    assert!(matches!(
        room.proctor_login("10.0.0.4", "password-tombol").await,
        Err(RoomError::ProctorPassword)
    ));
}

#[tokio::test]
async fn an_expired_claim_makes_way_for_the_next() {
    let (room, store, _dir) = board().await;
    let first = claim(&room, "10.0.0.1", "password-pertama").await.unwrap();
    store.skip_time(CONFIRM_WINDOW);
    assert_eq!(room.claim(&first, "10.0.0.1").await, Claim::Expired);
    let second = claim(&room, "10.0.0.2", "password-kedua").await.unwrap();
    room.confirm_physical().await.unwrap().expect("confirmed");
    assert!(matches!(
        room.claim(&second, "10.0.0.2").await,
        Claim::Done { .. }
    ));
    room.proctor_login("10.0.0.3", "password-kedua")
        .await
        .unwrap();
}
