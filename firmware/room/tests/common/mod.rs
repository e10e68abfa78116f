//! Helpers shared by the room's tests.

use ruji_room::Room;

/// Logs demo participant `u` in from `client` and enters the open session's token: practice,
/// when the test has some. Returns the login id.
pub async fn arrive(room: &Room, u: &str, client: &str) -> u64 {
    // The installed demo keeps only hashes: the plain passwords come from the same demo.
    let main = room
        .package()
        .participants
        .iter()
        .filter(|p| !p.reserve)
        .count();
    let p = ruji_core::demo::package_with(main)
        .participant(u)
        .unwrap()
        .clone();
    let id = room
        .participant_login(&p.username, &p.password, client)
        .await
        .unwrap();
    let (_, st) = room.current_session().unwrap().unwrap();
    let token = st.token.unwrap().current.as_str().to_string();
    room.start(
        u,
        id,
        client,
        &p.name,
        p.birth_date.as_deref().unwrap(),
        &token,
    )
    .await
    .unwrap();
    id
}
