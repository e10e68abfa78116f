//! The proctor's package page over a real socket with a real data directory: upload (refused
//! when tampered, untrusted or not a package, with nothing changed), release with the code (a
//! typo and another session's code refused), the released pictures served with long caching,
//! a session that cannot open while sealed, import from a USB folder, and trusting a key.

use std::path::Path;
use std::time::Duration;

use reqwest::{multipart, Client, StatusCode};
use ruji_store::{OpenOptions, Store};
use ruji_sync::import::native;
use ruji_sync::package::{self, IssuerKey};
use ruji_web::{AppState, Settings};

const SETUP_CODE: &str = "1234-5678";

struct Server {
    url: String,
    state: AppState,
    dir: tempfile::TempDir,
}

async fn server(trusted: Vec<String>) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("ruji.redb"), OpenOptions::default()).unwrap();
    std::fs::create_dir_all(dir.path().join("usb/STICK")).unwrap();
    let settings = Settings {
        setup_code: Some(SETUP_CODE.into()),
        data_dir: Some(dir.path().to_path_buf()),
        trusted_issuers: trusted,
        usb_dirs: vec![dir.path().join("usb")],
        device: Some(("7K3M-QX9A".into(), "ruji-pk:board".into())),
        ..Settings::default()
    };
    let state = AppState::new(store.clone(), settings).await.unwrap();
    state
        .install_package(ruji_core::demo::package())
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(ruji_web::run(
        listener,
        state.clone(),
        std::future::pending(),
    ));
    Server { url, state, dir }
}

fn client() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
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
    let l = native::load(Path::new("../sync/tests/fixtures/native/contoh"));
    assert!(l.issues.is_empty(), "{:?}", l.issues);
    (package::pack(&l.package, &l.assets, key, 0).unwrap(), l)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_release_and_serve_a_package() {
    let key = IssuerKey::generate();
    let s = server(vec![key.public()]).await;
    let (p, csrf) = proctor(&s).await;
    let (good, loaded) = contoh(&key);
    let demo_id = s.state.store.package().id.clone();

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
    assert_eq!(s.state.store.package().id, demo_id);

    // A good package: installed with its tests sealed.
    let (st, loc, _) = upload(&s, &p, &csrf, good.clone()).await;
    assert_eq!(
        (st, loc.as_str()),
        (StatusCode::SEE_OTHER, "/proctor/package?ok=imported")
    );
    let pkg = s.state.store.package();
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
    assert!(s.state.store.package().items.is_empty());

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
    let pkg = s.state.store.package();
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
    assert!(!s.state.store.package().test("BIN").unwrap().sealed);
    // A new packing of the same exam has new keys: it is imported sealed, and its own codes open it.
    let (repacked, _) = contoh(&key);
    let (_, loc, _) = upload(&s, &p, &csrf, repacked.clone()).await;
    assert_eq!(loc, "/proctor/package?ok=imported");
    assert!(s.state.store.package().test("BIN").unwrap().sealed);
    let code = package::release_code(&repacked, &key, "S1").unwrap();
    let (_, loc, _) = post(
        &s,
        &p,
        "/proctor/package/release",
        &[("csrf", &csrf), ("session", "S1"), ("code", &code)],
    )
    .await;
    assert_eq!(loc, "/proctor/package?ok=released");
    assert!(!s.state.store.package().test("BIN").unwrap().sealed);
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
    assert_eq!(s.state.store.package().id, "PAS-2026-IX-CONTOH");
}
