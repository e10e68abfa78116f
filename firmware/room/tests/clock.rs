//! The board's wall clock set at the room (issue 18 item 2, issue 16 item 4), on a simulated
//! clock that starts in 1970 as a board without a clock battery does: the proctor's browser sets
//! it only while it is not set, a trusted source corrects it either way, a time before this build
//! is refused from anyone, each change is audited with both times, and the exam clock does not
//! move. On a real redb file in a temp dir.

use std::sync::Arc;

use ruji_core::wallclock::Refusal;
use ruji_room::wallclock::{ClockSource, Simulated};
use ruji_room::{Room, RoomError, Settings};
use ruji_store::{Action, OpenOptions, Store};

/// 2026-12-07 00:00 UTC.
const DEC7: u64 = 1_796_601_600_000;

async fn room_at_1970() -> (Room, Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("ruji.redb"), OpenOptions::default()).unwrap();
    let room = Room::open(
        store.clone(),
        Settings {
            wall_clock: Arc::new(Simulated::at(0)),
            ..Settings::default()
        },
    )
    .await
    .unwrap();
    (room, store, dir)
}

fn proctor() -> ClockSource {
    ClockSource::Proctor {
        client: "10.0.0.2".into(),
    }
}

#[tokio::test]
async fn the_proctor_sets_a_clock_that_starts_in_1970_once() {
    let (room, store, _dir) = room_at_1970().await;
    assert!(room.clock_not_set());
    assert!(room.health_inputs().wall_now < 10);
    let exam_before = store.now();
    // A time before this build cannot be right.
    let r = room.set_wall_clock(1_000_000_000_000, proctor()).await;
    assert!(
        matches!(r, Err(RoomError::Clock(Refusal::OutOfRange))),
        "{r:?}"
    );
    assert!(room.clock_not_set());
    let change = room.set_wall_clock(DEC7, proctor()).await.unwrap().unwrap();
    assert!(change.from_ms < 10_000);
    assert_eq!(change.to_ms, DEC7);
    assert!(!room.clock_not_set(), "the attention clears");
    assert!(room.wall_now_ms() >= DEC7);
    // The exam clock did not jump with it.
    assert!(store.now() - exam_before < 5_000);
    // Set now: another browser (a school PC an hour behind) does not move it.
    let r = room.set_wall_clock(DEC7 - 3_600_000, proctor()).await;
    assert!(
        matches!(r, Err(RoomError::Clock(Refusal::AlreadySet))),
        "{r:?}"
    );
    let audit = store.audit_tail(10).unwrap();
    let sets: Vec<_> = audit
        .iter()
        .filter(|e| e.action == Action::ClockSet.name())
        .collect();
    assert_eq!(sets.len(), 1, "{audit:?}");
    assert_eq!(sets[0].actor, "proctor");
    assert!(
        sets[0].detail.starts_with("from 1970-01-01 00:00:0")
            && sets[0]
                .detail
                .contains("to 2026-12-07 00:00:00 UTC by the proctor's browser at 10.0.0.2"),
        "{}",
        sets[0].detail
    );
}

#[tokio::test]
async fn a_trusted_source_corrects_a_set_clock_either_way() {
    let (room, store, _dir) = room_at_1970().await;
    let ntp = || ClockSource::Ntp {
        server: "pool.ntp.org".into(),
    };
    room.set_wall_clock(DEC7 + 3_600_000, ntp())
        .await
        .unwrap()
        .unwrap();
    // An hour back, from the central server's signed time.
    let central = ClockSource::Central {
        url: "https://pusat.example".into(),
        signed: true,
    };
    let c = room.set_wall_clock(DEC7, central).await.unwrap().unwrap();
    assert!(c.from_ms >= DEC7 + 3_600_000);
    // Within two seconds: nothing to do, nothing audited.
    assert_eq!(
        room.set_wall_clock(room.wall_now_ms() + 500, ntp())
            .await
            .unwrap(),
        None
    );
    let sets: Vec<_> = store
        .audit_tail(10)
        .unwrap()
        .into_iter()
        .filter(|e| e.action == Action::ClockSet.name())
        .map(|e| (e.actor, e.detail))
        .collect();
    assert_eq!(sets.len(), 2);
    assert_eq!(sets[0].0, "system");
    assert!(
        sets[0]
            .1
            .ends_with("by central server https://pusat.example (signed time)"),
        "{sets:?}"
    );
    assert!(
        sets[1].1.ends_with("by NTP server pool.ntp.org"),
        "{sets:?}"
    );
}
