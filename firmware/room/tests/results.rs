//! Results leaving the board, end to end over real TLS on 127.0.0.1: a session closes, the
//! board makes its signed bundle, the uploader sends it to `ruji central`, and the receipt
//! clears the "results not uploaded" attention. With the ways it goes wrong: the server
//! unreachable and the board restarted with the upload pending, a wrong certificate, an upload
//! cut in the middle and resumed, the same bundle twice, a changed bundle. Without internet:
//! the results files saved to a USB stick (through the mount helper's protocol, a refused
//! stick, a full one), and the next day's sessions held until the receipts are in.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ruji_core::package::{Item, ItemBody};
use ruji_core::response::Response;
use ruji_import::native;
use ruji_package::bundle;
use ruji_package::device::DeviceKey;
use ruji_package::{self as package, IssuerKey};
use ruji_room::results::UploadProblem;
use ruji_room::usb::UsbProblem;
use ruji_room::{Actor, Room, Settings};
use ruji_store::{OpenOptions, Store};
use ruji_sync::{CentralError, Client, RefusalCode};

/// The example package, its participants' passwords and the file.
fn contoh(key: &IssuerKey) -> (Vec<u8>, Vec<(String, String)>) {
    contoh_with(key, |_| {})
}

/// [`contoh`] changed by `edit` before it is packed.
fn contoh_with(
    key: &IssuerKey,
    edit: impl FnOnce(&mut ruji_core::package::Package),
) -> (Vec<u8>, Vec<(String, String)>) {
    let mut l = native::load(Path::new("../import/tests/fixtures/native/contoh"));
    assert!(l.issues.is_empty(), "{:?}", l.issues);
    edit(&mut l.package);
    let passwords = l
        .package
        .participants
        .iter()
        .map(|p| (p.username.clone(), p.password.clone()))
        .collect();
    (
        package::pack(&l.package, &l.assets, key, 1_764_000_000).unwrap(),
        passwords,
    )
}

/// `ruji central` over TLS on 127.0.0.1 collecting results in `dir`; returns (url, CA PEM).
async fn central(key: &IssuerKey, pkg: Vec<u8>, board: &DeviceKey, dir: &Path) -> (String, String) {
    let c = ruji_central::Central::new(
        ruji_central::Options {
            key: IssuerKey::from_secret_text(&key.to_secret_text()).unwrap(),
            devices: Some(vec![ruji_central::Device {
                key: board.public(),
                label: "ruang 1".into(),
            }]),
            utc_offset_minutes: 420,
            lead_minutes: 18 * 60,
        },
        vec![("contoh.rujipkg".into(), pkg)],
    )
    .unwrap()
    .with_results(dir)
    .unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into()]).unwrap();
    let url = ruji_central::serve_tls_on_loopback(
        Arc::new(c),
        cert.cert.pem().as_bytes(),
        cert.signing_key.serialize_pem().as_bytes(),
    )
    .await
    .unwrap();
    (url, cert.cert.pem())
}

async fn room(
    data: &Path,
    key: &IssuerKey,
    board: &Arc<DeviceKey>,
    central: Option<Arc<Client>>,
) -> Room {
    let store = Store::open(&data.join("ruji.redb"), OpenOptions::default()).unwrap();
    Room::open(
        store,
        Settings {
            data_dir: Some(data.to_path_buf()),
            trusted_issuers: vec![key.public()],
            device: Some((board.id(), board.public())),
            device_key: Some(board.clone()),
            central: central.map(Ok),
            ..Settings::default()
        },
    )
    .await
    .unwrap()
}

/// A response that fits `item` (not necessarily right).
fn some_response(item: &Item) -> Response {
    match &item.body {
        ItemBody::MultipleChoice { options, .. } => Response::Choice(options[0].id.clone()),
        ItemBody::MultipleResponse { options, .. } => {
            Response::Choices(vec![options[0].id.clone()])
        }
        ItemBody::TrueFalse { statements, .. } => {
            Response::TrueFalse(vec![Some(true); statements.len()])
        }
        ItemBody::Matching {
            premises, targets, ..
        } => Response::Matching(vec![(premises[0].id.clone(), targets[0].id.clone())]),
        ItemBody::ShortAnswer { .. } | ItemBody::Essay { .. } => {
            Response::Text("jawaban saya".into())
        }
    }
}

/// Session S1 held: both participants answer every item of BIN twice (the second answer is the
/// one kept); one finishes, the proctor force-finishes the other; the session closes. Returns
/// what each participant last saved, by (username, item).
async fn hold_session(
    room: &Room,
    key: &IssuerKey,
    pkg: &[u8],
    passwords: &[(String, String)],
) -> Vec<(String, String, Response)> {
    room.import_package(pkg.to_vec(), Actor::Proctor)
        .await
        .unwrap();
    let code = package::release_code(pkg, key, "S1").unwrap();
    room.release_with_code("S1", &code, Actor::Proctor)
        .await
        .unwrap();
    room.open_session("S1").await.unwrap();
    let token = room
        .current_session()
        .unwrap()
        .unwrap()
        .1
        .token
        .unwrap()
        .current
        .as_str()
        .to_string();
    let p = room.package();
    let mut saved = vec![];
    for (i, u) in ["IX-A-01", "IX-A-02"].iter().enumerate() {
        let pw = &passwords.iter().find(|(n, _)| n == u).unwrap().1;
        let who = p.participant(u).unwrap().clone();
        let id = room.participant_login(u, pw, "127.0.0.1").await.unwrap();
        room.start(
            u,
            id,
            "127.0.0.1",
            &who.name,
            who.birth_date.as_deref().unwrap(),
            &token,
        )
        .await
        .unwrap();
        room.end_practice(u, id).await.unwrap();
        for item_id in &p.test("BIN").unwrap().items {
            let item = p.item(item_id).unwrap();
            let first = Response::Text("salah ketik".into());
            let r = some_response(item);
            if matches!(r, Response::Text(_)) {
                room.save(u, id, item_id, Some(first), false, 1)
                    .await
                    .unwrap();
            }
            room.save(u, id, item_id, Some(r.clone()), false, 2)
                .await
                .unwrap();
            saved.push((u.to_string(), item_id.clone(), r));
        }
        if i == 0 {
            room.finish(u, id, true).await.unwrap();
        } else {
            room.force_finish(u, "komputer mati").await.unwrap();
        }
    }
    room.close_session("S1").await.unwrap();
    saved
}

/// Stops a room's task and waits until it let go of the room (the store closes with the last
/// handle, as when the board restarts).
async fn stop(task: tokio::task::JoinHandle<()>) {
    task.abort();
    let _ = task.await;
}

async fn until<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = tokio::time::Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "waited 60 s for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_session_reaches_the_central_server_with_every_answer_and_comes_back_with_a_receipt(
) {
    let key = IssuerKey::generate();
    let (pkg, passwords) = contoh(&key);
    let data = tempfile::tempdir().unwrap();
    let board = Arc::new(DeviceKey::load_or_create(data.path()).unwrap());
    let collected = tempfile::tempdir().unwrap();
    let (url, ca) = central(&key, pkg.clone(), &board, collected.path()).await;

    // First the server cannot be reached: the bundle is made, the try fails and is recorded.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("https://{}", l.local_addr().unwrap())
    };
    let saved = {
        let r = room(
            data.path(),
            &key,
            &board,
            Some(Arc::new(
                Client::new(&dead, Some(&ca), board.clone()).unwrap(),
            )),
        )
        .await;
        let up = tokio::spawn(r.clone().uploader());
        let saved = hold_session(&r, &key, &pkg, &passwords).await;
        let rec = until("a failed try", || {
            r.session_results()
                .unwrap()
                .into_iter()
                .find(|s| s.session == "S1")
                .and_then(|s| s.record)
                .filter(|rec| rec.tries > 0)
        })
        .await;
        assert_eq!(
            UploadProblem::from_name(&rec.last_problem),
            Some(UploadProblem::Unreachable),
            "{}",
            rec.last_error
        );
        assert_eq!(
            r.results_not_uploaded().unwrap(),
            ["S1"],
            "the attention is up"
        );
        stop(up).await;
        saved
    };

    // A wrong certificate (Mozilla's roots only): refused, and said so.
    {
        let r = room(
            data.path(),
            &key,
            &board,
            Some(Arc::new(Client::new(&url, None, board.clone()).unwrap())),
        )
        .await;
        let up = tokio::spawn(r.clone().uploader());
        r.upload_now();
        until("a certificate refusal", || {
            r.session_results()
                .unwrap()
                .into_iter()
                .find(|s| s.session == "S1")
                .and_then(|s| s.record)
                .filter(|rec| rec.last_problem == UploadProblem::Certificate.name())
        })
        .await;
        assert_eq!(r.results_not_uploaded().unwrap(), ["S1"]);
        stop(up).await;
    }

    // The board "restarted" with the upload pending, now with the right server: the receipt
    // comes back and the attention clears.
    let r = room(
        data.path(),
        &key,
        &board,
        Some(Arc::new(
            Client::new(&url, Some(&ca), board.clone()).unwrap(),
        )),
    )
    .await;
    tokio::spawn(r.clone().uploader());
    r.upload_now();
    until("the receipt", || {
        r.results_not_uploaded().unwrap().is_empty().then_some(())
    })
    .await;
    let acks = r.participant_acks("S1").await.unwrap();
    assert!(
        acks.len() == 2 && acks.iter().all(|a| a.acknowledged),
        "{acks:?}"
    );

    // What the central server holds: the same file, every answer with its latest value, the
    // force finish with its reason, and no key.
    let (_, file) = r.bundle_file("S1").await.unwrap();
    let v = bundle::verify(&file, Some(&[board.public()])).unwrap();
    let stored = collected
        .path()
        .join("PAS-2026-IX-CONTOH/S1")
        .join(format!("{}.rujihasil", v.sha256));
    assert_eq!(std::fs::read(&stored).unwrap(), file);
    for (u, item, response) in &saved {
        let p = v
            .bundle
            .participants
            .iter()
            .find(|p| &p.username == u)
            .unwrap();
        let a = p.attempts[0]
            .answers
            .iter()
            .find(|a| &a.item == item)
            .unwrap();
        assert_eq!(a.response.as_ref(), Some(response), "{u} {item}");
        assert_eq!(a.rev, 2);
    }
    let forced = &v.bundle.participants[1].attempts[0];
    assert_eq!(forced.state.as_str(), "finished_proctor");
    assert_eq!(forced.reason.as_deref(), Some("komputer mati"));
    let json = String::from_utf8(
        ruji_package::safezip::read(&file, &Default::default())
            .unwrap()
            .files["bundle.json"]
            .clone(),
    )
    .unwrap();
    // No answer key anywhere in the items or the results (the board's own public key is the
    // only `key`, in `board`).
    fn no_key(v: &serde_json::Value, at: &str) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    assert!(
                        !["key", "accepted", "case_sensitive"].contains(&k.as_str()),
                        "{at}.{k}"
                    );
                    no_key(x, &format!("{at}.{k}"));
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| no_key(x, at)),
            _ => {}
        }
    }
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    no_key(&doc["tests"], "tests");
    no_key(&doc["participants"], "participants");
    assert_eq!(v.bundle.package.nonce.len(), 32, "the packing is named");

    // The same bundle again: the same receipt, nothing stored twice.
    let client = Client::new(&url, Some(&ca), board.clone()).unwrap();
    let first = serde_json::from_str::<bundle::Receipt>(
        &r.session_results().unwrap()[0]
            .record
            .clone()
            .unwrap()
            .acknowledged
            .unwrap()
            .receipt,
    )
    .unwrap();
    let again = client.upload_results(&file).await.unwrap();
    assert_eq!(again, first);
    assert!(again.check(&key.public(), &v.sha256).is_ok());
    assert_eq!(
        std::fs::read_dir(stored.parent().unwrap()).unwrap().count(),
        2,
        "one bundle and its receipt"
    );

    // A changed bundle is refused; the server keeps nothing of it.
    let mut files = ruji_package::safezip::read(&file, &Default::default())
        .unwrap()
        .files;
    files.insert(
        "bundle.json".into(),
        json.replacen("\"rev\": 2", "\"rev\": 9", 1).into_bytes(),
    );
    let forged = ruji_package::safezip::write(files.iter().map(|(n, b)| (n.as_str(), &b[..])));
    match client.upload_results(&forged).await {
        Err(CentralError::Refused(r)) => assert_eq!(r.error, RefusalCode::BadBundle),
        other => panic!("{other:?}"),
    }

    // Made again with nothing changed: the same file (the same SHA-256, nothing rewritten);
    // after a change (the session reopened and closed), a new one.
    let again = r.make_bundle("S1").await.unwrap();
    assert_eq!(again, r.make_bundle("S1").await.unwrap());
    assert_eq!(again.sha256, bundle::sha256_hex(&file));
    r.open_session("S1").await.unwrap();
    r.close_session("S1").await.unwrap();
    let changed = r.make_bundle("S1").await.unwrap();
    assert_ne!(changed.sha256, again.sha256);

    // An upload cut in the middle: half of a new bundle sent, then the client goes on from
    // there.
    let newer = {
        let mut b = v.bundle.clone();
        b.as_of_seq += 1000;
        bundle::seal(&b, &board)
    };
    let sha = bundle::sha256_hex(&newer);
    let http = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(ca.as_bytes()).unwrap())
        .build()
        .unwrap();
    let half = newer.len() / 2;
    let resp = http
        .put(format!(
            "{url}/api/v1/results/{sha}?offset=0&total={}",
            newer.len()
        ))
        .body(newer[..half].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let status: ruji_sync::UploadStatus = http
        .get(format!("{url}/api/v1/results/{sha}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!((status.received, status.receipt), (half as u64, None));
    let receipt = client.upload_results(&newer).await.unwrap();
    assert_eq!(receipt.bundle_sha256, sha);
    assert!(receipt.check(&key.public(), &sha).is_ok());
}

/// `[results] gate_next_day`: the next day's session stays closed until the earlier day's
/// results have their receipt, here by hand as a school without internet gets it (the bundle
/// taken to the central server, the receipt brought back).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_next_day_waits_for_the_receipt_of_the_day_before() {
    let key = IssuerKey::generate();
    let (pkg, passwords) = contoh_with(&key, |p| p.sessions[1].day = "2026-12-02".into());
    let data = tempfile::tempdir().unwrap();
    let board = Arc::new(DeviceKey::load_or_create(data.path()).unwrap());
    let store = Store::open(&data.path().join("ruji.redb"), OpenOptions::default()).unwrap();
    let r = Room::open(
        store,
        Settings {
            data_dir: Some(data.path().to_path_buf()),
            trusted_issuers: vec![key.public()],
            device: Some((board.id(), board.public())),
            device_key: Some(board.clone()),
            gate_next_day: true,
            ..Settings::default()
        },
    )
    .await
    .unwrap();
    hold_session(&r, &key, &pkg, &passwords).await;
    let code = package::release_code(&pkg, &key, "S2").unwrap();
    r.release_with_code("S2", &code, Actor::Proctor)
        .await
        .unwrap();
    // Refused at once, before the bundle is even made: S1 has results without a receipt.
    match r.open_session("S2").await {
        Err(ruji_room::RoomError::AwaitingReceipts(s)) => assert_eq!(s, ["S1"]),
        other => panic!("S2 opened without S1's receipt: {other:?}"),
    }
    assert!(!r.session_open());
    // A receipt signed by anyone but the package's issuer does not count.
    until("the bundle", || {
        r.session_results().unwrap()[0].record.clone()
    })
    .await;
    let (_, file) = r.bundle_file("S1").await.unwrap();
    let verified = bundle::verify(&file, Some(&[board.public()])).unwrap();
    let receipt = bundle::Receipt::sign(&verified, 1_764_600_000, &key);
    let other_issuer = bundle::Receipt::sign(&verified, 1_764_600_000, &IssuerKey::generate());
    assert!(r
        .accept_receipt(&serde_json::to_string(&other_issuer).unwrap())
        .await
        .is_err());
    assert_eq!(r.awaiting_receipts("S2").unwrap(), ["S1"]);
    r.accept_receipt(&serde_json::to_string(&receipt).unwrap())
        .await
        .unwrap();
    assert!(r.awaiting_receipts("S2").unwrap().is_empty());
    r.open_session("S2").await.unwrap();
    assert!(r.session_open());
}

/// The image's USB helper (ruji-usb) as seen through its folder: answers `rw-<stick>` with
/// `writable-<stick>` and `eject-<stick>` with `safe-<stick>`, or every request with
/// `error-<stick>` when `refuse` is set. Returns the requests it saw, in order.
fn fake_helper(
    dir: std::path::PathBuf,
    refuse: Option<&'static str>,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<Vec<String>> {
    std::thread::spawn(move || {
        let mut seen = vec![];
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            for e in std::fs::read_dir(&dir).unwrap().flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let answer = match (name.split_once('-'), refuse) {
                    (Some(("rw" | "eject", stick)), Some(why)) => Some(("error", stick, why)),
                    (Some(("rw", stick)), None) => Some(("writable", stick, "")),
                    (Some(("eject", stick)), None) => Some(("safe", stick, "")),
                    _ => None,
                };
                if let Some((what, stick, text)) = answer {
                    std::fs::remove_file(e.path()).unwrap();
                    std::fs::write(dir.join(format!("{what}-{stick}")), text).unwrap();
                    seen.push(name);
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        seen
    })
}

/// A board room with a data folder, a USB folder holding the stick `sda1`, and the helper's
/// folder `control` (used when `helper`).
async fn usb_room(data: &Path, key: &IssuerKey, board: &Arc<DeviceKey>, helper: bool) -> Room {
    std::fs::create_dir_all(data.join("media/sda1")).unwrap();
    std::fs::create_dir_all(data.join("control")).unwrap();
    let store = Store::open(&data.join("ruji.redb"), OpenOptions::default()).unwrap();
    Room::open(
        store,
        Settings {
            data_dir: Some(data.to_path_buf()),
            trusted_issuers: vec![key.public()],
            device: Some((board.id(), board.public())),
            device_key: Some(board.clone()),
            usb_dirs: vec![data.join("media")],
            usb_control: helper.then(|| data.join("control")),
            ..Settings::default()
        },
    )
    .await
    .unwrap()
}

/// Without internet: the proctor saves the results to a stick. Through the helper, the stick
/// is made writable only for the export and released after it; the file on the stick is the
/// signed bundle, byte for byte, and the session counts as backed up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_saved_to_a_usb_stick_are_the_signed_bundle_and_the_stick_is_released() {
    let key = IssuerKey::generate();
    let (pkg, passwords) = contoh(&key);
    let data = tempfile::tempdir().unwrap();
    let board = Arc::new(DeviceKey::load_or_create(data.path()).unwrap());
    let r = usb_room(data.path(), &key, &board, true).await;
    let sticks = r.usb_sticks().await;
    assert_eq!(sticks.len(), 1);
    assert_eq!(sticks[0].name, "sda1");
    assert!(sticks[0].free.is_some_and(|f| f > 0));
    // Nothing to save before anyone started.
    match r.export_results_to_usb("sda1").await {
        Err(ruji_room::RoomError::Usb(u)) => assert_eq!(u.kind, UsbProblem::Nothing),
        other => panic!("{other:?}"),
    }
    let saved = hold_session(&r, &key, &pkg, &passwords).await;
    assert_eq!(r.results_not_exported().unwrap().len(), 1);
    // A stick the page did not list (or a path) is refused; nothing is asked of the helper.
    for bad in ["sdb1", "../control", ""] {
        match r.export_results_to_usb(bad).await {
            Err(ruji_room::RoomError::Usb(u)) => assert_eq!(u.kind, UsbProblem::Gone, "{bad}"),
            other => panic!("{bad}: {other:?}"),
        }
    }

    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let helper = fake_helper(data.path().join("control"), None, stop.clone());
    let x = r.export_results_to_usb("sda1").await.unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert_eq!(helper.join().unwrap(), ["rw-sda1", "eject-sda1"]);
    assert!(x.ejected);
    assert_eq!(x.files.len(), 1);
    let on_stick = std::fs::read(data.path().join("media/sda1").join(&x.files[0])).unwrap();
    let (name, file) = r.bundle_file("S1").await.unwrap();
    assert_eq!(x.files[0], format!("RUJI-HASIL/{name}"));
    assert_eq!(
        on_stick, file,
        "the stick holds the signed bundle byte for byte"
    );
    assert_eq!(x.bytes, file.len() as u64);
    let v = bundle::verify(&on_stick, Some(&[board.public()])).unwrap();
    for (u, item, response) in &saved {
        let p = v
            .bundle
            .participants
            .iter()
            .find(|p| &p.username == u)
            .unwrap();
        let a = p.attempts[0]
            .answers
            .iter()
            .find(|a| &a.item == item)
            .unwrap();
        assert_eq!(a.response.as_ref(), Some(response), "{u} {item}");
    }
    // No half-written file is left beside it; the session is backed up; the log says where.
    let names: Vec<_> = std::fs::read_dir(data.path().join("media/sda1/RUJI-HASIL"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, std::slice::from_ref(&name));
    assert!(r.results_not_exported().unwrap().is_empty());
    let audit = r.audit_tail(5).unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.action == "results_to_usb" && a.detail.contains(&name)),
        "{audit:?}"
    );
    // Saving again (the same results) writes the same file once more: nothing piles up.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let helper = fake_helper(data.path().join("control"), None, stop.clone());
    assert_eq!(
        r.export_results_to_usb("sda1").await.unwrap().files,
        x.files
    );
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    helper.join().unwrap();
    assert_eq!(
        std::fs::read_dir(data.path().join("media/sda1/RUJI-HASIL"))
            .unwrap()
            .count(),
        1
    );
}

/// A stick the helper cannot make writable (its write-protect switch): said so, nothing is
/// written, and the session still needs its backup.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_protected_stick_is_refused_with_nothing_written() {
    let key = IssuerKey::generate();
    let (pkg, passwords) = contoh(&key);
    let data = tempfile::tempdir().unwrap();
    let board = Arc::new(DeviceKey::load_or_create(data.path()).unwrap());
    let r = usb_room(data.path(), &key, &board, true).await;
    hold_session(&r, &key, &pkg, &passwords).await;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let helper = fake_helper(
        data.path().join("control"),
        Some("mount: /media/sda1: WARNING: source write-protected"),
        stop.clone(),
    );
    let e = r.export_results_to_usb("sda1").await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    match e {
        Err(ruji_room::RoomError::Usb(u)) => {
            assert_eq!(u.kind, UsbProblem::ReadOnly);
            assert!(u.detail.contains("write-protected"), "{}", u.detail);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        helper.join().unwrap(),
        ["rw-sda1"],
        "no eject of a stick never made writable"
    );
    assert!(!data.path().join("media/sda1/RUJI-HASIL").exists());
    assert_eq!(r.results_not_exported().unwrap().len(), 1);
}

/// The environment variable that runs [`full_stick_inner`] inside its own mount namespace.
const FULL_STICK_DIR: &str = "RUJI_TEST_FULL_STICK";

/// A full stick: the write fails with "full", leaves no half file on the stick, and the
/// session still needs its backup. The stick is a 64 KiB tmpfs, filled up, mounted in a
/// mount namespace of its own (`unshare --user --map-root-user --mount`) where this test runs
/// again as [`full_stick_inner`].
#[test]
fn a_full_stick_is_said_so_and_left_without_a_half_file() {
    let dir = tempfile::tempdir().unwrap();
    let media = dir.path().join("media");
    std::fs::create_dir_all(media.join("sda1")).unwrap();
    ruji_store::testing::rerun_in_mount_namespace(
        "mount -t tmpfs -o size=64k tmpfs \"$0/media/sda1\" || exit 90\n\
         dd if=/dev/zero of=\"$0/media/sda1/filler\" bs=1k count=1024 2>/dev/null",
        dir.path(),
        "full_stick_inner",
        (FULL_STICK_DIR, dir.path()),
    );
}

/// [`a_full_stick_is_said_so_and_left_without_a_half_file`], inside its namespace.
#[test]
#[ignore = "run by a_full_stick_is_said_so_and_left_without_a_half_file in its own namespace"]
fn full_stick_inner() {
    let dir = std::path::PathBuf::from(
        std::env::var_os(FULL_STICK_DIR).expect("run from a_full_stick_is_said_so_..."),
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let key = IssuerKey::generate();
        let (pkg, passwords) = contoh(&key);
        let data = dir.join("board");
        std::fs::create_dir_all(&data).unwrap();
        let board = Arc::new(DeviceKey::load_or_create(&data).unwrap());
        let store = Store::open(&data.join("ruji.redb"), OpenOptions::default()).unwrap();
        let r = Room::open(
            store,
            Settings {
                data_dir: Some(data.clone()),
                trusted_issuers: vec![key.public()],
                device: Some((board.id(), board.public())),
                device_key: Some(board.clone()),
                usb_dirs: vec![dir.join("media")],
                ..Settings::default()
            },
        )
        .await
        .unwrap();
        hold_session(&r, &key, &pkg, &passwords).await;
        let stick = dir.join("media/sda1");
        assert_eq!(
            ruji_sys::disk_space(&stick).unwrap().total,
            64 * 1024,
            "the stick is the namespace's tmpfs"
        );
        match r.export_results_to_usb("sda1").await {
            Err(ruji_room::RoomError::Usb(u)) => assert_eq!(u.kind, UsbProblem::Full, "{u}"),
            other => panic!("{other:?}"),
        }
        let left: Vec<_> = std::fs::read_dir(stick.join("RUJI-HASIL"))
            .map(|rd| rd.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert!(left.is_empty(), "no half file: {left:?}");
        assert_eq!(r.results_not_exported().unwrap().len(), 1);
        // The board's own copy is whole.
        let (_, file) = r.bundle_file("S1").await.unwrap();
        bundle::verify(&file, Some(&[board.public()])).unwrap();
    });
}
