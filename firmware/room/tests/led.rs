//! The LED follows the board's real state: "booting" until the LAN address is claimed, not when
//! the web server listens. The room's panel supervision with the panel driver (no LED device)
//! and the LAN service's status published by hand, as its monitor does.

use std::net::Ipv4Addr;
use std::time::Duration;

use ruji_lan::{ClaimStatus, LanReport, LanStatus, MonitorHandle};
use ruji_panel::{Condition, NoLed, PanelConfig};
use ruji_room::panel::RecoveryFiles;
use ruji_room::{Room, Settings};
use ruji_store::{OpenOptions, Store};

fn status(claim: ClaimStatus) -> LanStatus {
    LanStatus {
        claim,
        report: LanReport {
            interface: "eth0".into(),
            address: Ipv4Addr::new(192, 168, 0, 200),
            link_up: true,
            conflict: None,
            seats: vec![],
            duplicates: vec![],
            wrong_subnet: vec![],
            dhcp_servers: vec![],
            unknown_hosts: vec![],
            findings: vec![],
        },
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_led_says_booting_until_the_lan_address_is_claimed() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("ruji.redb"), OpenOptions::default()).unwrap();
    let lan = MonitorHandle::new();
    let room = Room::open(
        store,
        Settings {
            lan: Some(lan.clone()),
            ..Settings::default()
        },
    )
    .await
    .unwrap();
    let panel = ruji_panel::spawn(NoLed, None, PanelConfig::default());
    let (shutdown, _by_button) = tokio::sync::oneshot::channel();
    tokio::spawn(ruji_room::panel::supervise(
        room.clone(),
        panel.handle.clone(),
        panel.gestures,
        shutdown,
        RecoveryFiles {
            data: dir.path().to_path_buf(),
            config: None,
        },
    ));
    let view = panel.handle.view();
    let booting = || view.borrow().conditions.contains(Condition::Booting);
    // The server is up, the LAN service has said nothing yet, then is still probing: booting,
    // through more than one of the supervision's 2 s rounds.
    assert!(booting());
    assert!(!room.started_up());
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(booting(), "no LAN status yet");
    lan.publish(status(ClaimStatus::Probing));
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(booting(), "still probing its address");
    // The address is the board's: the LED leaves "booting" at the next round.
    lan.publish(status(ClaimStatus::Bound));
    assert!(room.started_up());
    let t0 = std::time::Instant::now();
    while booting() {
        assert!(t0.elapsed() < Duration::from_secs(10), "still booting");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A later re-probe is not a boot.
    lan.publish(status(ClaimStatus::Probing));
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(!booting());
}

#[tokio::test]
async fn without_a_lan_service_the_board_has_started_once_it_serves() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("ruji.redb"), OpenOptions::default()).unwrap();
    let room = Room::open(store, Settings::default()).await.unwrap();
    assert!(room.started_up());
    // A conflict also ends the boot: the "address conflict" attention then says why.
    let lan = MonitorHandle::new();
    lan.publish(status(ClaimStatus::Refused));
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("ruji.redb"), OpenOptions::default()).unwrap();
    let room = Room::open(
        store,
        Settings {
            lan: Some(lan),
            ..Settings::default()
        },
    )
    .await
    .unwrap();
    assert!(room.started_up());
}
