//! The proctor's console through the room, on a real redb file: tiles on the LAN service's
//! seats (a finished participant keeps theirs), by arrival where no seat is known, each with the
//! look that says what needs the proctor; and the live console: followers get a new snapshot
//! after a save, at most `MAX_LIVE` follow, and the board's shutdown ends every follow.

mod common;

use std::net::Ipv4Addr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ruji_core::attempt::{SeatLook, SeatState};
use ruji_core::response::Response;
use ruji_lan::check::SeatReport;
use ruji_lan::{ClaimStatus, LanReport, LanStatus, MonitorHandle};
use ruji_room::console::{MAX_LIVE, MAX_LIVE_PER_CLIENT};
use ruji_room::{Refusal, Room, RoomError, Settings};
use ruji_store::{OpenOptions, Store};

async fn room_with(dir: &Path, lan: Option<Arc<MonitorHandle>>) -> Room {
    let store = Store::open(&dir.join("ruji.redb"), OpenOptions::default()).unwrap();
    let settings = Settings {
        lan,
        ..Settings::default()
    };
    let room = Room::open(store, settings).await.unwrap();
    room.install_package(ruji_core::demo::package_with(6))
        .await
        .unwrap();
    room.open_session("H1S1").await.unwrap();
    room
}

/// The seat table the LAN service would publish: seats 192.168.0.1..=n, the PCs of `on` heard.
fn seats(n: u8, on: &[u8]) -> LanStatus {
    LanStatus {
        claim: ClaimStatus::Bound,
        report: LanReport {
            interface: "eth0".into(),
            address: Ipv4Addr::new(192, 168, 0, 200),
            link_up: true,
            conflict: None,
            seats: (1..=n)
                .map(|i| SeatReport {
                    ip: Ipv4Addr::new(192, 168, 0, i),
                    online: on.contains(&i),
                    mac: None,
                    rtt_ms: None,
                    last_seen_s: None,
                })
                .collect(),
            duplicates: vec![],
            wrong_subnet: vec![],
            dhcp_servers: vec![],
            unknown_hosts: vec![],
            findings: vec![],
        },
    }
}

/// Logs `u` in from `client` and enters the token: practice; `test`: then the test.
async fn start(room: &Room, u: &str, client: &str, test: bool) -> u64 {
    let id = common::arrive(room, u, client).await;
    if test {
        room.end_practice(u, id).await.unwrap();
    }
    id
}

fn look_of(c: &ruji_room::console::Console, u: &str) -> (SeatLook, Option<u16>) {
    let t = c.tiles.iter().find(|t| t.row.status.username == u).unwrap();
    (t.look, t.seat)
}

#[tokio::test]
async fn tiles_sit_on_the_seats_and_say_what_needs_the_proctor() {
    let dir = tempfile::tempdir().unwrap();
    let lan = MonitorHandle::new();
    lan.publish(seats(8, &[2, 3, 5, 7]));
    let room = room_with(dir.path(), Some(lan.clone())).await;

    // DEMO003 at seat 7, working; DEMO001 at seat 2 with a doubtful item; DEMO002 at seat 5,
    // finished; DEMO004 logged in at seat 3, then a login from another PC is refused.
    let id3 = start(&room, "DEMO003", "192.168.0.7", true).await;
    let id1 = start(&room, "DEMO001", "192.168.0.2", true).await;
    room.save(
        "DEMO001",
        id1,
        "D01",
        Some(Response::Choice("B".into())),
        true,
        1,
    )
    .await
    .unwrap();
    let id2 = start(&room, "DEMO002", "::ffff:192.168.0.5", true).await;
    room.finish("DEMO002", id2, true).await.unwrap();
    start(&room, "DEMO004", "192.168.0.3", false).await;
    let p4 = ruji_core::demo::package_with(6)
        .participant("DEMO004")
        .unwrap()
        .clone();
    let refused = room
        .participant_login(&p4.username, &p4.password, "192.168.0.4")
        .await;
    assert!(
        matches!(
            refused,
            Err(RoomError::Refused(Refusal::Login(
                ruji_core::attempt::LoginError::AlreadyLoggedIn { .. }
            )))
        ),
        "{refused:?}"
    );
    let _ = id3;

    let c = room.console().await.unwrap().expect("a session is open");
    assert_eq!(c.session.0, "H1S1");
    assert_eq!(look_of(&c, "DEMO003"), (SeatLook::Working, Some(7)));
    assert_eq!(look_of(&c, "DEMO001"), (SeatLook::Doubtful, Some(2)));
    // Finished and logged out: the address they last used keeps their seat.
    assert_eq!(look_of(&c, "DEMO002"), (SeatLook::Finished, Some(5)));
    assert_eq!(look_of(&c, "DEMO004"), (SeatLook::NeedsReset, Some(3)));
    assert_eq!(look_of(&c, "DEMO005"), (SeatLook::NotLoggedIn, None));
    // By seat, then those without one in the session's order.
    let order: Vec<&str> = c
        .tiles
        .iter()
        .map(|t| t.row.status.username.as_str())
        .collect();
    assert_eq!(
        &order[..4],
        &["DEMO001", "DEMO004", "DEMO002", "DEMO003"],
        "{order:?}"
    );
    let empty: Vec<u16> = c.empty_seats.iter().map(|e| e.0).collect();
    assert_eq!(empty, vec![1, 4, 6, 8]);
    assert_eq!(c.counts, (c.tiles.len() - 4, 3, 1));
    let doubtful = c
        .tiles
        .iter()
        .find(|t| t.row.status.username == "DEMO001")
        .unwrap();
    assert_eq!(
        (doubtful.row.status.doubtful, doubtful.row.status.answered),
        (1, 1)
    );

    // The reset clears "needs a reset": their test is open with nobody on it until they log
    // in again.
    room.reset_login("DEMO004").await.unwrap();
    let c = room.console().await.unwrap().unwrap();
    assert_eq!(look_of(&c, "DEMO004").0, SeatLook::Offline);
    start(&room, "DEMO004", "192.168.0.4", false).await;
    let c = room.console().await.unwrap().unwrap();
    assert_eq!(look_of(&c, "DEMO004"), (SeatLook::Working, Some(4)));
}

#[tokio::test]
async fn without_a_seat_table_tiles_go_in_the_order_participants_came() {
    let dir = tempfile::tempdir().unwrap();
    let room = room_with(dir.path(), None).await;
    start(&room, "DEMO004", "10.0.0.4", true).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    start(&room, "DEMO002", "10.0.0.2", false).await;
    let c = room.console().await.unwrap().unwrap();
    let order: Vec<&str> = c
        .tiles
        .iter()
        .map(|t| t.row.status.username.as_str())
        .collect();
    assert_eq!(&order[..3], &["DEMO004", "DEMO002", "DEMO001"], "{order:?}");
    assert!(c.tiles.iter().all(|t| t.seat.is_none()));
    assert!(c.empty_seats.is_empty());
    assert_eq!(c.tiles[1].row.status.state, SeatState::Practice);
}

#[tokio::test]
async fn the_live_console_follows_saves_within_its_bound_until_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let room = room_with(dir.path(), None).await;
    let id = start(&room, "DEMO001", "10.0.0.1", true).await;

    // Two tabs of one browser follow; its third polls (the browser keeps connections free).
    let one = room.live("10.0.0.9").unwrap();
    let two = room.live("10.0.0.9").unwrap();
    assert_eq!(MAX_LIVE_PER_CLIENT, 2);
    assert!(matches!(room.live("10.0.0.9"), Err(RoomError::Busy)));
    drop(two);
    let two = room
        .live("10.0.0.9")
        .expect("a tab closed gives its place back");
    drop((one, two));
    let mut follows: Vec<_> = (0..MAX_LIVE)
        .map(|i| room.live(&format!("10.0.1.{i}")).unwrap())
        .collect();
    assert!(
        matches!(room.live("10.0.2.1"), Err(RoomError::Busy)),
        "one more than MAX_LIVE is refused"
    );
    let first = tokio::time::timeout(Duration::from_secs(5), follows[0].next())
        .await
        .expect("a first snapshot within seconds")
        .expect("not shutting down");
    let answered =
        |s: &ruji_room::console::Snapshot| s.console.as_ref().unwrap().tiles[0].row.status.answered;
    assert_eq!(answered(&first), 0);

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
    let after = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let s = follows[0].next().await.unwrap();
            if answered(&s) == 1 {
                return s;
            }
        }
    })
    .await
    .expect("the save shows within seconds");
    assert_eq!(
        after.console.as_ref().unwrap().tiles[0].row.status.answered,
        1
    );

    // A follower that leaves gives its place back.
    follows.pop();
    let mut again = room.live("10.0.2.1").expect("a place is free again");
    assert!(
        tokio::time::timeout(Duration::from_secs(5), again.next())
            .await
            .unwrap()
            .is_some(),
        "a new follower has a fresh snapshot within a second"
    );

    // Shutting down ends every follow, and no new one starts.
    room.begin_shutdown();
    for f in follows.iter_mut().chain(std::iter::once(&mut again)) {
        let end = tokio::time::timeout(Duration::from_secs(5), async {
            while f.next().await.is_some() {}
        })
        .await;
        assert!(end.is_ok(), "a follow ended at shutdown");
    }
    assert!(matches!(
        room.live("10.0.2.2"),
        Err(RoomError::ShuttingDown)
    ));
}
