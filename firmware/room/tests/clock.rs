//! The board's wall clock set at the room (issue 18 item 2, issue 16 item 4), on a simulated
//! clock that starts in 1970 as a board without a clock battery does: the proctor's browser sets
//! it only while it is not set, a trusted source corrects it either way, a time before this build
//! is refused from anyone, each change is audited with both times, and the exam clock does not
//! move. On a real redb file in a temp dir.

use std::sync::Arc;

use ruji_core::wallclock::Refusal;
use ruji_room::wallclock::{ClockSource, Simulated, WallClock};
use ruji_room::{Room, RoomError, Settings};
use ruji_store::{Action, OpenOptions, Store};

/// 2026-12-07 00:00 UTC.
const DEC7: u64 = 1_796_601_600_000;

/// A room whose simulated clock starts in 1970, with these NTP servers.
async fn room_at_1970_asking(ntp_servers: Vec<String>) -> (Room, Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("ruji.redb"), OpenOptions::default()).unwrap();
    let room = Room::open(
        store.clone(),
        Settings {
            wall_clock: Arc::new(Simulated::at(0)),
            ntp_servers,
            ..Settings::default()
        },
    )
    .await
    .unwrap();
    (room, store, dir)
}

async fn room_at_1970() -> (Room, Store, tempfile::TempDir) {
    room_at_1970_asking(vec![]).await
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

/// A `ruji central` over TLS on 127.0.0.1 with a certificate valid from 2026-10-01 (after 1970,
/// before this build) to 2036; its address and CA.
async fn central_2026(key: &ruji_package::IssuerKey) -> (String, String) {
    central_valid_from(key, (2026, 10, 1)).await
}

/// A `ruji central` over TLS on 127.0.0.1 with a certificate valid from the day `(y, m, d)`
/// (00:00 UTC) to 2036; its address and CA.
async fn central_valid_from(
    key: &ruji_package::IssuerKey,
    (y, m, d): (i32, u8, u8),
) -> (String, String) {
    let c = ruji_central::Central::new(
        ruji_central::Options {
            key: ruji_package::IssuerKey::from_secret_text(&key.to_secret_text()).unwrap(),
            devices: None,
            utc_offset_minutes: 420,
            lead_minutes: 60,
        },
        vec![(
            "demo.rujipkg".into(),
            ruji_package::pack(
                &ruji_core::demo::package(),
                &ruji_package::assets::Assets::default(),
                key,
                0,
            )
            .unwrap(),
        )],
    )
    .unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    params.not_before = rcgen::date_time_ymd(y, m, d);
    params.not_after = rcgen::date_time_ymd(2036, 1, 1);
    let signing = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&signing).unwrap();
    let url = ruji_central::serve_tls_on_loopback(
        Arc::new(c),
        cert.pem().as_bytes(),
        signing.serialize_pem().as_bytes(),
    )
    .await
    .unwrap();
    (url, cert.pem())
}

/// A board at 1970 and its central server (signed by `key`).
struct WithCentral {
    room: Room,
    store: Store,
    url: String,
    _dir: tempfile::TempDir,
}

/// A room at 1970 with a central server of `key` whose client reads the same simulated clock;
/// the board trusts `trusted` and asks the NTP servers `ntp_servers`.
async fn at_1970_with_central(
    key: &ruji_package::IssuerKey,
    trusted: String,
    ntp_servers: Vec<String>,
) -> WithCentral {
    let (url, ca) = central_2026(key).await;
    with_central(trusted, ntp_servers, (url, ca), 0, false).await
}

/// A room whose simulated clock reads `wall_ms` (a guess, with the mark of `ruji-clock`, when
/// `guessed`), with the central server at `url` (certificate `ca`).
async fn with_central(
    trusted: String,
    ntp_servers: Vec<String>,
    (url, ca): (String, String),
    wall_ms: u64,
    guessed: bool,
) -> WithCentral {
    let dir = tempfile::tempdir().unwrap();
    let mark = dir.path().join("ruji-clock.restored");
    if guessed {
        std::fs::write(&mark, "1").unwrap();
    }
    let wall = Arc::new(Simulated::at(wall_ms));
    let board = Arc::new(ruji_package::device::DeviceKey::load_or_create(dir.path()).unwrap());
    let w = wall.clone();
    let now: ruji_sync::Now = Arc::new(move || w.now_ms() / 1000);
    let client = ruji_sync::Client::with_clock(&url, Some(&ca), board.clone(), now).unwrap();
    let store = Store::open(&dir.path().join("ruji.redb"), OpenOptions::default()).unwrap();
    let room = Room::open(
        store.clone(),
        Settings {
            wall_clock: wall,
            trusted_issuers: vec![trusted],
            device_key: Some(board),
            central: Some(Ok(Arc::new(client))),
            ntp_servers,
            clock_guess_mark: guessed.then_some(mark),
            ..Settings::default()
        },
    )
    .await
    .unwrap();
    WithCentral {
        room,
        store,
        url,
        _dir: dir,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_board_at_1970_sets_its_clock_from_the_central_servers_signed_time() {
    let key = ruji_package::IssuerKey::generate();
    let WithCentral {
        room, store, url, ..
    } = at_1970_with_central(&key, key.public(), vec![]).await;
    assert!(room.clock_not_set());
    // At 1970 the certificate is "not valid yet"; the board checks it at this build's date.
    let change = room.clock_from_wan().await.unwrap().unwrap();
    let real = ruji_room::wallclock::System.now_ms();
    assert!(change.from_ms < 60_000, "{change:?}");
    assert!(change.to_ms.abs_diff(real) < 5_000, "{change:?} vs {real}");
    assert!(!room.clock_not_set(), "the attention clears");
    let e = store
        .audit_tail(5)
        .unwrap()
        .into_iter()
        .find(|e| e.action == Action::ClockSet.name())
        .unwrap();
    assert_eq!(e.actor, "system");
    assert!(
        e.detail
            .ends_with(&format!("by central server {url} (signed time)")),
        "{}",
        e.detail
    );
    // Asked again: right already, nothing written.
    assert_eq!(room.clock_from_wan().await, Ok(None));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_time_signed_by_an_issuer_the_board_does_not_trust_is_not_taken() {
    let key = ruji_package::IssuerKey::generate();
    let other = ruji_package::IssuerKey::generate().public();
    let WithCentral { room, .. } = at_1970_with_central(&key, other, vec![]).await;
    let e = room.clock_from_wan().await.unwrap_err();
    assert!(e.contains("does not trust"), "{e}");
    assert!(room.clock_not_set());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clock_behind_the_certificate_gets_the_signed_time_and_nothing_else_until_the_floor() {
    let key = ruji_package::IssuerKey::generate();
    let (url, ca) = central_2026(&key).await;
    let dir = tempfile::tempdir().unwrap();
    let board = Arc::new(ruji_package::device::DeviceKey::load_or_create(dir.path()).unwrap());
    let at_1970: ruji_sync::Now = Arc::new(|| 0);
    let client = ruji_sync::Client::with_clock(&url, Some(&ca), board, at_1970).unwrap();
    // The signed time: the certificate is checked at its start; the issuer's signature over the
    // nonce is what proves the time (the room checks it).
    let (t, _) = client.signed_time(&"0".repeat(32)).await.unwrap();
    assert_eq!(t.issuer, key.public());
    // Every other request keeps the usual check: at 1970 the certificate is not valid yet ...
    let nonce = "1".repeat(32);
    let e = client
        .release_code("DEMO", &nonce, "H1S1")
        .await
        .unwrap_err();
    assert!(matches!(e, ruji_sync::CentralError::Certificate(_)), "{e}");
    // ... until the floor lifts it to this build's date.
    client.set_time_floor(ruji_room::health::BUILD_EPOCH);
    let r = client.release_code("DEMO", &nonce, "H1S1").await;
    assert!(
        !matches!(r, Err(ruji_sync::CentralError::Certificate(_))),
        "{r:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guessed_clock_behind_a_new_certificate_is_set_from_the_central_servers_time() {
    // Put forward at boot to 2026-12-06 18:00, the last time saved before the power went; the
    // server's certificate was renewed since (valid from 2026-12-07 00:00), while the board
    // was off.
    let key = ruji_package::IssuerKey::generate();
    let central = central_valid_from(&key, (2026, 12, 7)).await;
    let WithCentral { room, store, .. } =
        with_central(key.public(), vec![], central, DEC7 - 6 * 3_600_000, true).await;
    assert!(room.clock_not_set());
    let change = room.clock_from_wan().await.unwrap().unwrap();
    let real = ruji_room::wallclock::System.now_ms();
    assert!(change.to_ms.abs_diff(real) < 5_000, "{change:?} vs {real}");
    assert!(!room.clock_not_set(), "the attention clears");
    assert!(room.clock_before_central().await, "set: nothing to ask");
    assert!(store
        .audit_tail(5)
        .unwrap()
        .iter()
        .any(|e| e.action == Action::ClockSet.name() && e.detail.contains("(signed time)")));
}

/// A one-line SNTP server on 127.0.0.1 that answers every request with `unix_ms` (stratum 1,
/// the request's transmit time as origin, as RFC 4330 asks); its address.
async fn sntp_server(unix_ms: u64) -> String {
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = sock.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        let mut req = [0u8; 48];
        while let Ok((n, from)) = sock.recv_from(&mut req).await {
            if n < 48 {
                continue;
            }
            let secs = unix_ms / 1000 + 2_208_988_800;
            let frac = ((unix_ms % 1000) << 32) / 1000;
            let ts = (secs << 32 | frac).to_be_bytes();
            let mut resp = [0u8; 48];
            resp[0] = 0x24; // LI 0, version 4, mode 4 (server)
            resp[1] = 1; // stratum 1
            resp[12..16].copy_from_slice(b"TEST");
            resp[16..24].copy_from_slice(&ts);
            resp[24..32].copy_from_slice(&req[40..48]);
            resp[32..40].copy_from_slice(&ts);
            resp[40..48].copy_from_slice(&ts);
            let _ = sock.send_to(&resp, from).await;
        }
    });
    addr
}

/// A UDP port that takes requests and never answers.
async fn silent_server() -> (tokio::net::UdpSocket, String) {
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = sock.local_addr().unwrap().to_string();
    (sock, addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_board_at_1970_sets_its_clock_from_ntp() {
    let server = sntp_server(DEC7 + 250).await;
    let (_silent, dead) = silent_server().await;
    // One server that never answers: the other's answer is taken at once.
    let (room, store, _dir) = room_at_1970_asking(vec![dead, server.clone()]).await;
    assert!(room.clock_not_set());
    let change = room.clock_from_wan().await.unwrap().unwrap();
    assert!(
        (DEC7 + 250..DEC7 + 1_250).contains(&change.to_ms),
        "{change:?}"
    );
    assert!(!room.clock_not_set());
    let e = store
        .audit_tail(5)
        .unwrap()
        .into_iter()
        .find(|e| e.action == Action::ClockSet.name())
        .unwrap();
    assert!(
        e.detail.ends_with(&format!("by NTP server {server}")),
        "{}",
        e.detail
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_ntp_answer_the_central_servers_time_is_taken_and_every_reason_told() {
    let key = ruji_package::IssuerKey::generate();
    let (_silent, dead) = silent_server().await;
    let WithCentral { room, .. } =
        at_1970_with_central(&key, key.public(), vec![dead.clone()]).await;
    assert!(
        room.clock_from_wan().await.unwrap().is_some(),
        "the central's time"
    );
    // Nothing answers at all: every source's reason, and the clock left as it was. (Loopback
    // only: no name is looked up.)
    let (_silent2, dead2) = silent_server().await;
    let (room, _store, _dir2) = room_at_1970_asking(vec![dead.clone(), dead2.clone()]).await;
    let e = room.clock_from_wan().await.unwrap_err();
    assert!(e.contains(&format!("{dead}: no answer within 5 s")), "{e}");
    assert!(e.contains(&format!("{dead2}: no answer within 5 s")), "{e}");
    assert!(room.clock_not_set());
}

/// A room whose clock was put forward at boot to a saved time (`ruji-clock restore` wrote the
/// guess mark): the clock reads `unix_ms` and the mark exists.
async fn room_put_forward_to(
    unix_ms: u64,
    ntp_servers: Vec<String>,
) -> (Room, Store, tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let mark = dir.path().join("ruji-clock.restored");
    std::fs::write(&mark, (unix_ms / 1000).to_string()).unwrap();
    let store = Store::open(&dir.path().join("ruji.redb"), OpenOptions::default()).unwrap();
    let room = Room::open(
        store.clone(),
        Settings {
            wall_clock: Arc::new(Simulated::at(unix_ms)),
            ntp_servers,
            clock_guess_mark: Some(mark.clone()),
            ..Settings::default()
        },
    )
    .await
    .unwrap();
    (room, store, dir, mark)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clock_put_forward_to_the_last_saved_time_is_not_set_until_a_source_confirms_it() {
    // After the build and after every time the store knows, but only a guess: it lags by as
    // long as the board was off.
    let (room, store, _dir, mark) = room_put_forward_to(DEC7, vec![]).await;
    assert!(room.clock_guessed());
    assert!(
        room.clock_not_set(),
        "the attention shows; the WAN is asked"
    );
    // A computer whose clock is behind the guess is wrong: the real time is later.
    let r = room.set_wall_clock(DEC7 - 3 * 3_600_000, proctor()).await;
    assert!(
        matches!(r, Err(RoomError::Clock(Refusal::BeforeKnown))),
        "{r:?}"
    );
    assert!(room.clock_not_set() && mark.exists());
    // The proctor's browser may set it (it is not set), to a later time.
    room.set_wall_clock(DEC7 + 3 * 3_600_000, proctor())
        .await
        .unwrap()
        .unwrap();
    assert!(!room.clock_not_set(), "the attention clears");
    assert!(
        !mark.exists(),
        "a restart in this boot does not doubt it again"
    );
    assert!(store
        .audit_tail(5)
        .unwrap()
        .iter()
        .any(|e| e.action == Action::ClockSet.name() && e.actor == "proctor"));

    // A trusted source that finds the guess right (within 2 s) confirms it without a change.
    let real = ruji_room::wallclock::System.now_ms();
    let server = sntp_server(real).await;
    let (room, store, _dir, mark) = room_put_forward_to(real, vec![server]).await;
    assert!(room.clock_not_set());
    assert_eq!(room.clock_from_wan().await, Ok(None), "right already");
    assert!(!room.clock_not_set());
    assert!(!mark.exists());
    assert!(!store
        .audit_tail(5)
        .unwrap()
        .iter()
        .any(|e| e.action == Action::ClockSet.name()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn before_a_central_request_a_clock_not_set_is_set_from_the_servers_time_first() {
    let key = ruji_package::IssuerKey::generate();
    let central = central_valid_from(&key, (2026, 12, 7)).await;
    let url = central.0.clone();
    let WithCentral { room, .. } =
        with_central(key.public(), vec![], central, DEC7 - 6 * 3_600_000, true).await;
    let Some(Ok(client)) = room.settings().central.clone() else {
        panic!("a central client")
    };
    // The usual check at the guessed clock: the certificate is not valid yet.
    let nonce = "2".repeat(32);
    let e = client
        .release_code("DEMO", &nonce, "H1S1")
        .await
        .unwrap_err();
    assert!(matches!(e, ruji_sync::CentralError::Certificate(_)), "{e}");
    // What a release or an upload does first: the signed time sets the clock, and the request's
    // certificate check passes.
    assert!(room.clock_before_central().await);
    assert!(!room.clock_not_set());
    let r = client.release_code("DEMO", &nonce, "H1S1").await;
    assert!(
        !matches!(r, Err(ruji_sync::CentralError::Certificate(_))),
        "{url}: {r:?}"
    );
}
