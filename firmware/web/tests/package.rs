//! The proctor's package page over a real socket with a real data directory: upload (refused
//! when tampered, untrusted or not a package, with nothing changed), release with the code (a
//! typo and another session's code refused), the released pictures served with long caching,
//! a session that cannot open while sealed, import from a USB folder, trusting a key, and the
//! session's key fetched from a central server (`ruji-central` over TLS on 127.0.0.1). And the
//! results page: a failed upload explained, the results saved to a USB folder, a receipt
//! uploaded by hand, the next day's session held until then.

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::{multipart, Client, StatusCode};
use ruji_import::native;
use ruji_package::device::DeviceKey;
use ruji_package::{self as package, IssuerKey};
use ruji_room::{Actor, Room, Settings};
use ruji_store::{OpenOptions, Store};
use ruji_sync::Client as CentralClient;

const SETUP_CODE: &str = "1234-5678";

struct Server {
    url: String,
    room: Room,
    dir: tempfile::TempDir,
}

async fn server(trusted: Vec<String>) -> Server {
    server_with(trusted, |_| None).await
}

/// A server whose `[central]` setting is made from its data directory (where a device key can
/// be created).
async fn server_with(
    trusted: Vec<String>,
    central: impl FnOnce(&Path) -> Option<Result<Arc<CentralClient>, String>>,
) -> Server {
    server_set(trusted, |dir, s| s.central = central(dir)).await
}

/// A server with its settings changed by `change` (given the data directory).
async fn server_set(trusted: Vec<String>, change: impl FnOnce(&Path, &mut Settings)) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("ruji.redb"), OpenOptions::default()).unwrap();
    std::fs::create_dir_all(dir.path().join("usb/STICK")).unwrap();
    let mut settings = Settings {
        setup_code: Some(SETUP_CODE.into()),
        data_dir: Some(dir.path().to_path_buf()),
        trusted_issuers: trusted,
        usb_dirs: vec![dir.path().join("usb")],
        device: Some(("7K3M-QX9A".into(), "ruji-pk:board".into())),
        ..Settings::default()
    };
    change(dir.path(), &mut settings);
    let room = Room::open(store, settings).await.unwrap();
    room.install_package(ruji_core::demo::package())
        .await
        .unwrap();
    tokio::spawn(room.clone().periodic());
    let addr = common::serve(&room, ruji_web::Settings::default()).await;
    Server {
        url: format!("http://{addr}"),
        room,
        dir,
    }
}

fn client() -> Client {
    common::client_timeout(Duration::from_secs(60))
}

async fn proctor(s: &Server) -> (Client, String) {
    let p = client();
    let r = p
        .post(format!("{}/proctor/setup", s.url))
        .form(&[
            ("code", SETUP_CODE),
            ("password", "rahasia-proktor"),
            ("password2", "rahasia-proktor"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/proctor");
    let html = page(s, &p).await;
    let at = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = html[at..].split('"').next().unwrap().to_string();
    (p, csrf)
}

async fn page(s: &Server, p: &Client) -> String {
    p.get(format!("{}/proctor/package", s.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn upload(
    s: &Server,
    p: &Client,
    csrf: &str,
    bytes: Vec<u8>,
) -> (StatusCode, String, String) {
    let form = multipart::Form::new().text("csrf", csrf.to_string()).part(
        "package",
        multipart::Part::bytes(bytes).file_name("paket.rujipkg"),
    );
    let r = p
        .post(format!("{}/proctor/package/upload", s.url))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let loc = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, loc, r.text().await.unwrap())
}

async fn post(
    s: &Server,
    p: &Client,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let r = p
        .post(format!("{}{path}", s.url))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let loc = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, loc, r.text().await.unwrap())
}

fn contoh(key: &IssuerKey) -> (Vec<u8>, native::Loaded) {
    let l = native::load(Path::new("../import/tests/fixtures/native/contoh"));
    assert!(l.issues.is_empty(), "{:?}", l.issues);
    (package::pack(&l.package, &l.assets, key, 0).unwrap(), l)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_release_and_serve_a_package() {
    let key = IssuerKey::generate();
    let s = server(vec![key.public()]).await;
    let (p, csrf) = proctor(&s).await;
    let (good, loaded) = contoh(&key);
    let demo_id = s.room.package().id.clone();

    // Refused uploads change nothing and say why, in Indonesian by default.
    let mut tampered = good.clone();
    let n = tampered.len();
    tampered[n / 2] ^= 1;
    let (st, _, html) = upload(&s, &p, &csrf, tampered).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Tidak ada yang berubah"), "{html}");
    let stranger = IssuerKey::generate();
    let (forged, _) = contoh(&stranger);
    let (st, _, html) = upload(&s, &p, &csrf, forged).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("belum dipercaya"), "{html}");
    let (st, _, html) = upload(&s, &p, &csrf, b"not a zip".to_vec()).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("bukan paket yang utuh"), "{html}");
    let (st, _, _) = upload(&s, &p, "wrong-csrf", good.clone()).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert_eq!(s.room.package().id, demo_id);

    // A good package: installed with its tests sealed.
    let (st, loc, _) = upload(&s, &p, &csrf, good.clone()).await;
    assert_eq!(
        (st, loc.as_str()),
        (StatusCode::SEE_OTHER, "/proctor/package?ok=imported")
    );
    let pkg = s.room.package();
    assert_eq!(pkg.id, loaded.package.id);
    assert!(pkg.tests.iter().all(|t| t.sealed) && pkg.items.is_empty());
    assert_eq!(pkg.participants.len(), 4);
    let html = page(&s, &p).await;
    assert!(
        html.contains("Terkunci") && html.contains("Hari 1 Sesi 1"),
        "{html}"
    );

    // A sealed session cannot open.
    let (_, loc, _) = post(&s, &p, "/proctor/sessions/S1/open", &[("csrf", &csrf)]).await;
    assert_eq!(loc, "/proctor?e=session_sealed");

    // Release: a typo and another session's code are refused, nothing opens.
    let code1 = package::release_code(&good, &key, "S1").unwrap();
    let code2 = package::release_code(&good, &key, "S2").unwrap();
    let mut typo = code1.clone().into_bytes();
    typo[2] = if typo[2] == b'X' { b'Y' } else { b'X' };
    let typo = String::from_utf8(typo).unwrap();
    let (st, _, html) = post(
        &s,
        &p,
        "/proctor/package/release",
        &[("csrf", &csrf), ("session", "S1"), ("code", &typo)],
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("salah ketik"), "{html}");
    let (st, _, html) = post(
        &s,
        &p,
        "/proctor/package/release",
        &[("csrf", &csrf), ("session", "S1"), ("code", &code2)],
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("tidak cocok"), "{html}");
    assert!(s.room.package().items.is_empty());

    // The right code, typed sloppily.
    let sloppy = code1.to_lowercase().replace('-', " ");
    let (_, loc, _) = post(
        &s,
        &p,
        "/proctor/package/release",
        &[("csrf", &csrf), ("session", "S1"), ("code", &sloppy)],
    )
    .await;
    assert_eq!(loc, "/proctor/package?ok=released");
    let pkg = s.room.package();
    assert!(!pkg.test("BIN").unwrap().sealed && pkg.test("IPA").unwrap().sealed);
    assert_eq!(pkg.test("BIN").unwrap().items.len(), 6);
    let (_, loc, _) = post(&s, &p, "/proctor/sessions/S1/open", &[("csrf", &csrf)]).await;
    assert_eq!(loc, "/proctor?ok=1");

    // The stimulus picture is served by content name with a year of caching.
    let (name, bytes) = loaded.assets.iter().next().unwrap();
    assert!(pkg
        .stimulus("teks-peta")
        .unwrap()
        .html
        .contains(&format!("/a/{name}")));
    let r = client()
        .get(format!("{}/a/{name}", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert!(r.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("immutable"));
    assert_eq!(&r.bytes().await.unwrap()[..], &bytes[..]);
    for bad in [
        "../ruji.redb",
        "0123.png",
        "ffffffffffffffffffffffffffffffff.png",
    ] {
        let r = client()
            .get(format!("{}/a/{bad}", s.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{bad}");
    }

    // A participant from the CSV logs in with the password from the list.
    let r = client()
        .post(format!("{}/api/v1/login", s.url))
        .json(&serde_json::json!({"username": "IX-A-01", "password": "TKJ7MR2Q"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // The sync report: what was imported, from whom, and which sessions are released.
    let html = p
        .get(format!("{}/proctor/package/report", s.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Berita Acara Sinkronisasi") && html.contains("PAS-2026-IX-CONTOH"),
        "{html}"
    );
    assert!(html.contains("SMP Negeri 1 Contoh") && html.contains(&key.public()));
    let pdf = p
        .get(format!("{}/proctor/package/report.pdf", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF-"));
    let v: serde_json::Value = p
        .get(format!("{}/proctor/package/report.json", s.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["participants"]["main"], 4);
    assert_eq!(v["board"]["id"], "7K3M-QX9A");
    assert!(v["package"]["imported_at"].as_u64().unwrap() > 1_700_000_000);
    assert!(v["sessions"][0]["released_at"].as_u64().is_some());
    assert!(v["sessions"][1]["released_at"].is_null());
    assert_eq!(v["tests"][1]["sealed"], true);

    // No import while a session is open: participants are working on it.
    let (st, _, html) = upload(&s, &p, &csrf, good.clone()).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Tutup sesi itu dulu"), "{html}");
    let (_, loc, _) = post(&s, &p, "/proctor/sessions/S1/close", &[("csrf", &csrf)]).await;
    assert_eq!(loc, "/proctor?ok=1");

    // Importing the same package again keeps what was released.
    let (_, loc, _) = upload(&s, &p, &csrf, good.clone()).await;
    assert_eq!(loc, "/proctor/package?ok=imported");
    assert!(!s.room.package().test("BIN").unwrap().sealed);
    // A new packing of the same exam has new keys: it is imported sealed, and its own codes open it.
    let (repacked, _) = contoh(&key);
    let (_, loc, _) = upload(&s, &p, &csrf, repacked.clone()).await;
    assert_eq!(loc, "/proctor/package?ok=imported");
    assert!(s.room.package().test("BIN").unwrap().sealed);
    let code = package::release_code(&repacked, &key, "S1").unwrap();
    let (_, loc, _) = post(
        &s,
        &p,
        "/proctor/package/release",
        &[("csrf", &csrf), ("session", "S1"), ("code", &code)],
    )
    .await;
    assert_eq!(loc, "/proctor/package?ok=released");
    assert!(!s.room.package().test("BIN").unwrap().sealed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usb_import_and_trusting_a_key() {
    let key = IssuerKey::generate();
    let s = server(vec![]).await;
    let (p, csrf) = proctor(&s).await;
    let (good, _) = contoh(&key);
    let on_stick = s.dir.path().join("usb/STICK/ujian.rujipkg");
    std::fs::write(&on_stick, &good).unwrap();
    let html = page(&s, &p).await;
    assert!(html.contains("ujian.rujipkg"), "{html}");
    let path = on_stick.to_string_lossy().into_owned();
    // Untrusted until the key is added.
    let (st, _, html) = post(
        &s,
        &p,
        "/proctor/package/usb",
        &[("csrf", &csrf), ("path", &path)],
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("belum dipercaya"));
    let (st, _, _) = post(
        &s,
        &p,
        "/proctor/package/trust",
        &[("csrf", &csrf), ("label", "Dinas"), ("key", "bukan kunci")],
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, loc, _) = post(
        &s,
        &p,
        "/proctor/package/trust",
        &[("csrf", &csrf), ("label", "Dinas"), ("key", &key.public())],
    )
    .await;
    assert_eq!(loc, "/proctor/package?ok=trusted");
    // Only files the page lists can be imported.
    let (st, _, _) = post(
        &s,
        &p,
        "/proctor/package/usb",
        &[("csrf", &csrf), ("path", "/etc/passwd")],
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, loc, _) = post(
        &s,
        &p,
        "/proctor/package/usb",
        &[("csrf", &csrf), ("path", &path)],
    )
    .await;
    assert_eq!(loc, "/proctor/package?ok=imported");
    assert_eq!(s.room.package().id, "PAS-2026-IX-CONTOH");
}

/// 2026-12-01 07:30 WIB, the start of S1 in the example package.
const S1_START: i64 = 1_796_085_000;

/// A central server over TLS on 127.0.0.1 for `package`, with a settable clock; it registers
/// only the board whose key is in `board_dir`. Returns (url, CA PEM, clock).
async fn central(
    key: &IssuerKey,
    package: Vec<u8>,
    board: &DeviceKey,
) -> (String, String, Arc<AtomicI64>) {
    let clock = Arc::new(AtomicI64::new(S1_START - 86_400));
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
        vec![("contoh.rujipkg".into(), package)],
    )
    .unwrap();
    let clk = clock.clone();
    let c = Arc::new(c.with_clock(move || clk.load(Ordering::SeqCst)));
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into()]).unwrap();
    let url = ruji_central::serve_tls_on_loopback(
        c,
        cert.cert.pem().as_bytes(),
        cert.signing_key.serialize_pem().as_bytes(),
    )
    .await
    .unwrap();
    (url, cert.cert.pem(), clock)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_key_from_the_central_server() {
    let key = IssuerKey::generate();
    let (good, _) = contoh(&key);
    let board_dir = tempfile::tempdir().unwrap();
    let board = Arc::new(DeviceKey::load_or_create(board_dir.path()).unwrap());
    let (url, ca, clock) = central(&key, good.clone(), &board).await;
    let b = board.clone();
    let s = server_with(vec![key.public()], move |_| {
        Some(Ok(Arc::new(
            CentralClient::new(&url, Some(&ca), b).unwrap(),
        )))
    })
    .await;
    let (p, csrf) = proctor(&s).await;
    let (_, loc, _) = upload(&s, &p, &csrf, good.clone()).await;
    assert_eq!(loc, "/proctor/package?ok=imported");
    let html = page(&s, &p).await;
    assert!(
        html.contains("Ambil kunci dari server pusat: Hari 1 Sesi 1"),
        "{html}"
    );

    // Two days early (the issuer gives keys from 18 h before the start): refused with the time,
    // nothing opens.
    clock.store(S1_START - 2 * 86_400, Ordering::SeqCst);
    let (st, _, html) = post(
        &s,
        &p,
        "/proctor/package/central",
        &[("csrf", &csrf), ("session", "S1")],
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("belum memberikan kunci"), "{html}");
    assert!(html.contains("2026-11-30 13:30 +07:00"), "{html}");
    assert!(html.contains("Tidak ada yang berubah"), "{html}");
    assert!(s.room.package().tests.iter().all(|t| t.sealed));

    // A wrong CSRF token is refused before anything is asked.
    let (st, _, _) = post(
        &s,
        &p,
        "/proctor/package/central",
        &[("csrf", "x"), ("session", "S1")],
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);

    // The evening before: S1 is released from the central server, S2 (BIN + IPA) stays sealed
    // apart from BIN, which S1 opened.
    clock.store(S1_START - 17 * 3600, Ordering::SeqCst);
    let (st, loc, _) = post(
        &s,
        &p,
        "/proctor/package/central",
        &[("csrf", &csrf), ("session", "S1")],
    )
    .await;
    assert_eq!(
        (st, loc.as_str()),
        (StatusCode::SEE_OTHER, "/proctor/package?ok=central")
    );
    let pkg = s.room.package();
    assert!(!pkg.test("BIN").unwrap().sealed);
    assert!(pkg.test("IPA").unwrap().sealed);
    let html = p
        .get(format!("{}/proctor/package?ok=central", s.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("diambil dari server pusat"), "{html}");
    let audit = p
        .get(format!("{}/proctor/audit", s.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(audit.contains("S1 (central)"), "{audit}");
    // The typed code is still accepted for S2 (offline fallback), and S1 stays released.
    let code2 = package::release_code(&good, &key, "S2").unwrap();
    let (_, loc, _) = post(
        &s,
        &p,
        "/proctor/package/release",
        &[("csrf", &csrf), ("session", "S2"), ("code", &code2)],
    )
    .await;
    assert_eq!(loc, "/proctor/package?ok=released");
    assert!(s.room.package().tests.iter().all(|t| !t.sealed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn central_server_problems_are_explained() {
    let key = IssuerKey::generate();
    let (good, _) = contoh(&key);
    let registered_dir = tempfile::tempdir().unwrap();
    let registered = DeviceKey::load_or_create(registered_dir.path()).unwrap();
    let (url, ca, clock) = central(&key, good.clone(), &registered).await;
    clock.store(S1_START, Ordering::SeqCst);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("https://127.0.0.1:{}", closed.local_addr().unwrap().port());
    drop(closed);

    // (what the setting points at: url and CA, expected words on the page)
    type Setting = Option<(String, Option<String>)>;
    let cases: Vec<(Setting, &str)> = vec![
        (None, "Server pusat belum diatur"),
        (Some((dead, Some(ca.clone()))), "tidak dapat dihubungi"),
        (Some((url.clone(), None)), "Sertifikat server pusat ditolak"),
        // This board's own new key is not the registered one.
        (Some((url.clone(), Some(ca.clone()))), "belum terdaftar"),
    ];
    for (setting, words) in cases {
        let s = server_with(vec![key.public()], move |dir| {
            setting.map(|(u, ca)| {
                let board = Arc::new(DeviceKey::load_or_create(dir).unwrap());
                Ok(Arc::new(
                    CentralClient::new(&u, ca.as_deref(), board).unwrap(),
                ))
            })
        })
        .await;
        let (p, csrf) = proctor(&s).await;
        let (_, loc, _) = upload(&s, &p, &csrf, good.clone()).await;
        assert_eq!(loc, "/proctor/package?ok=imported");
        let (st, _, html) = post(
            &s,
            &p,
            "/proctor/package/central",
            &[("csrf", &csrf), ("session", "S1")],
        )
        .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{words}");
        assert!(html.contains(words), "{words}: {html}");
        assert!(s.room.package().tests.iter().all(|t| t.sealed));
    }

    // A setting that could not be used is shown on the page.
    let s = server_with(vec![key.public()], |_| {
        Some(Err("no device key: data/device.key: damaged".into()))
    })
    .await;
    let (p, _) = proctor(&s).await;
    let html = page(&s, &p).await;
    assert!(
        html.contains("tidak dapat dipakai") && html.contains("damaged"),
        "{html}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_releases_at_once_both_stick() {
    let key = IssuerKey::generate();
    let s = server(vec![key.public()]).await;
    let (good, _) = contoh(&key);
    s.room
        .import_package(good.clone(), Actor::Proctor)
        .await
        .unwrap();
    let code1 = package::release_code(&good, &key, "S1").unwrap();
    let code2 = package::release_code(&good, &key, "S2").unwrap();
    // Each release reads the record of what is released and writes it back: run together, the
    // second must see the first's result (one at a time), not overwrite it.
    let (a, b) = tokio::join!(
        s.room.release_with_code("S1", &code1, Actor::Proctor),
        s.room.release_with_code("S2", &code2, Actor::Proctor)
    );
    a.unwrap();
    b.unwrap();
    let source = s.room.package_source().unwrap();
    let mut sessions = source.sessions.clone();
    sessions.sort();
    assert_eq!(sessions, ["S1", "S2"]);
    assert!(s.room.package().tests.iter().all(|t| !t.sealed));
}

async fn get(s: &Server, p: &Client, path: &str) -> String {
    p.get(format!("{}{path}", s.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The results pages after a session, for a school whose board cannot reach the central
/// server: the failed upload said in the proctor's language, the next day's session held until
/// the receipt, the results saved to a USB stick, the receipt brought back by hand.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_page_usb_export_receipt_and_the_next_day_gate() {
    let key = IssuerKey::generate();
    let l = native::load(Path::new("../import/tests/fixtures/native/contoh"));
    let mut next_day = l.package.clone();
    next_day.sessions[1].day = "2026-12-02".into();
    let pkg = package::pack(&next_day, &l.assets, &key, 0).unwrap();
    let s = server_set(vec![key.public()], |dir, set| {
        let board = Arc::new(DeviceKey::load_or_create(dir).unwrap());
        // Nothing listens on port 1 of 127.0.0.1: every upload fails at once.
        set.central = Some(Ok(Arc::new(
            CentralClient::new("https://127.0.0.1:1", None, board.clone()).unwrap(),
        )));
        set.device_key = Some(board);
        set.gate_next_day = true;
    })
    .await;
    tokio::spawn(s.room.clone().uploader());
    let (p, csrf) = proctor(&s).await;
    s.room
        .import_package(pkg.clone(), Actor::Proctor)
        .await
        .unwrap();
    for session in ["S1", "S2"] {
        let code = package::release_code(&pkg, &key, session).unwrap();
        s.room
            .release_with_code(session, &code, Actor::Proctor)
            .await
            .unwrap();
    }
    // One participant takes S1 and finishes; the proctor closes it.
    s.room.open_session("S1").await.unwrap();
    let token = s.room.current_session().unwrap().unwrap().1.token.unwrap();
    let who = next_day.participant("IX-A-01").unwrap().clone();
    let id = s
        .room
        .participant_login(&who.username, &who.password, "127.0.0.1")
        .await
        .unwrap();
    s.room
        .start(
            &who.username,
            id,
            "127.0.0.1",
            &who.name,
            who.birth_date.as_deref().unwrap(),
            token.current.as_str(),
        )
        .await
        .unwrap();
    s.room.end_practice(&who.username, id).await.unwrap();
    s.room.finish(&who.username, id, true).await.unwrap();
    let (_, loc, _) = post(&s, &p, "/proctor/sessions/S1/close", &[("csrf", &csrf)]).await;
    assert_eq!(loc, "/proctor?ok=1");

    // The upload fails (no internet): the page says why in Indonesian.
    let mut html = String::new();
    for _ in 0..600 {
        html = get(&s, &p, "/proctor/bundles").await;
        if html.contains("rs-problem") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        html.contains("Server pusat tidak dapat dihubungi"),
        "{html}"
    );

    // The next day's session waits for S1's receipt: the dashboard says so, opening is refused.
    let dash = get(&s, &p, "/proctor").await;
    assert!(
        dash.contains("id=\"awaiting-S2\"")
            && dash.contains("Menunggu tanda terima hasil: Hari 1 Sesi 1"),
        "{dash}"
    );
    assert!(!dash.contains("/proctor/sessions/S2/open"), "{dash}");
    // The closed S1 says so, and can be opened again on purpose.
    assert!(
        dash.contains("id=\"closed-S1\"") && dash.contains("Buka lagi"),
        "{dash}"
    );
    let (_, loc, _) = post(&s, &p, "/proctor/sessions/S1/open", &[("csrf", &csrf)]).await;
    assert_eq!(loc, "/proctor?e=reopen_confirm", "reopening needs its tick");
    let (_, loc, _) = post(&s, &p, "/proctor/sessions/S2/open", &[("csrf", &csrf)]).await;
    assert_eq!(loc, "/proctor?e=awaiting_receipts");
    assert!(get(&s, &p, &loc)
        .await
        .contains("baru bisa dibuka setelah server pusat mengirim tanda terima"));

    // Saved to the USB stick: the page lists the stick, the file lands in RUJI-HASIL.
    assert!(html.contains("id=\"stick-STICK\""), "{html}");
    let (_, loc, _) = post(
        &s,
        &p,
        "/proctor/bundles/usb",
        &[("csrf", &csrf), ("stick", "STICK")],
    )
    .await;
    assert_eq!(loc, "/proctor/bundles?ok=usb_written&n=1");
    let html = get(&s, &p, &loc).await;
    assert!(
        html.contains("Berkas hasil tersimpan di flashdisk (folder RUJI-HASIL), jumlah berkas: 1")
            && html.contains("Lepaskan (eject) flashdisk"),
        "{html}"
    );
    let folder = s.dir.path().join("usb/STICK/RUJI-HASIL");
    let files: Vec<_> = std::fs::read_dir(&folder).unwrap().flatten().collect();
    assert_eq!(files.len(), 1);
    let on_stick = std::fs::read(files[0].path()).unwrap();
    let v = ruji_package::bundle::verify(&on_stick, None).unwrap();
    assert_eq!(v.bundle.session.id, "S1");
    // A stick that is gone, or a wrong form: said so.
    let (_, loc, _) = post(
        &s,
        &p,
        "/proctor/bundles/usb",
        &[("csrf", &csrf), ("stick", "NOPE")],
    )
    .await;
    assert_eq!(loc, "/proctor/bundles?e=usb_gone");
    assert!(get(&s, &p, &loc)
        .await
        .contains("Flashdisk tidak ditemukan"));
    let (st, _, _) = post(
        &s,
        &p,
        "/proctor/bundles/usb",
        &[("csrf", "salah"), ("stick", "STICK")],
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);

    // Reports for teachers from the same files: XLSX, printable HTML, CSV.
    let html = get(&s, &p, "/proctor/bundles").await;
    assert!(html.contains("id=\"reports-all\""), "{html}");
    let r = p
        .get(format!("{}/proctor/report?session=S1&format=xlsx", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("laporan-PAS-2026-IX-CONTOH-S1.xlsx"));
    assert!(r.bytes().await.unwrap().starts_with(b"PK"), "a zip (XLSX)");
    let printable = get(&s, &p, "/proctor/report?format=html").await;
    assert!(
        printable.contains("Analisis butir") && printable.contains("Ani Lestari"),
        "{printable}"
    );
    let csv = get(&s, &p, "/proctor/report?format=csv-scores").await;
    assert!(csv.lines().count() >= 2 && csv.contains("IX-A-01"), "{csv}");
    let r = p
        .get(format!("{}/proctor/report?format=pdf", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // The receipt the central server's page gave for the file on the stick, uploaded by hand.
    let receipt = |k: &IssuerKey| {
        let r = ruji_package::bundle::Receipt::sign(&v, 1_796_100_000, k);
        multipart::Form::new().text("csrf", csrf.clone()).part(
            "receipt",
            multipart::Part::bytes(serde_json::to_vec(&r).unwrap()).file_name("tanda.json"),
        )
    };
    let send = |form| {
        p.post(format!("{}/proctor/bundles/receipt", s.url))
            .multipart(form)
            .send()
    };
    let r = send(receipt(&IssuerKey::generate())).await.unwrap();
    assert_eq!(
        r.headers()["location"],
        "/proctor/bundles?e=receipt_refused"
    );
    let r = send(receipt(&key)).await.unwrap();
    assert_eq!(r.headers()["location"], "/proctor/bundles?ok=receipt");
    let html = get(&s, &p, "/proctor/bundles").await;
    assert!(html.contains("id=\"bundle-S1\" class=\"rs-ok\""), "{html}");

    // Now the next day opens.
    let dash = get(&s, &p, "/proctor").await;
    assert!(!dash.contains("awaiting-S2"), "{dash}");
    let (_, loc, _) = post(&s, &p, "/proctor/sessions/S2/open", &[("csrf", &csrf)]).await;
    assert_eq!(loc, "/proctor?ok=1");
}
