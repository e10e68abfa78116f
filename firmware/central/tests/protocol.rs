//! The central server over real TLS on 127.0.0.1, asked by the board's own client: the code is
//! given only once the session's time has come, only to a registered board holding the packing
//! the server knows, only against a fresh challenge; and the client tells a refused certificate
//! and an unreachable server apart.

use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use ruji_central::{parse_devices, Central, Device, Options};
use ruji_import::native;
use ruji_package::device::DeviceKey;
use ruji_package::{self as package, IssuerKey};
use ruji_sync::{self as proto, CentralError, Client, ReleaseRequest};

struct Lab {
    url: String,
    ca: String,
    clock: Arc<AtomicI64>,
    package: Vec<u8>,
    key: IssuerKey,
    _dir: tempfile::TempDir,
    board: Arc<DeviceKey>,
}

fn contoh(key: &IssuerKey) -> Vec<u8> {
    let l = native::load(Path::new("../import/tests/fixtures/native/contoh"));
    assert!(l.issues.is_empty(), "{:?}", l.issues);
    package::pack(&l.package, &l.assets, key, 0).unwrap()
}

/// 2026-12-01 07:30 WIB (session S1 of the example) in seconds since 1970.
const S1_START: i64 = 1_796_085_000;

async fn lab(register_board: bool) -> Lab {
    let dir = tempfile::tempdir().unwrap();
    let board = Arc::new(DeviceKey::load_or_create(dir.path()).unwrap());
    let key = IssuerKey::generate();
    let package = contoh(&key);
    let clock = Arc::new(AtomicI64::new(S1_START - 86_400));
    let devices = register_board.then(|| {
        vec![Device {
            key: board.public(),
            label: "ruang 1".into(),
        }]
    });
    let c = Central::new(
        Options {
            key: IssuerKey::from_secret_text(&key.to_secret_text()).unwrap(),
            devices,
            utc_offset_minutes: 7 * 60,
            lead_minutes: 60,
        },
        vec![("contoh.rujipkg".into(), package.clone())],
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
    Lab {
        url,
        ca: cert.cert.pem(),
        clock,
        package,
        key,
        _dir: dir,
        board,
    }
}

fn nonce(l: &Lab) -> String {
    package::verify(&l.package, &[l.key.public()])
        .unwrap()
        .manifest
        .nonce
}

fn refusal(e: CentralError) -> proto::Refusal {
    match e {
        CentralError::Refused(r) => r,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn code_given_once_the_session_time_has_come() {
    let l = lab(true).await;
    let c = Client::new(&l.url, Some(&l.ca), l.board.clone()).unwrap();
    let n = nonce(&l);

    // A day early: refused with the time it opens (07:30 WIB minus the 60-minute lead).
    let r = refusal(
        c.release_code("PAS-2026-IX-CONTOH", &n, "S1")
            .await
            .unwrap_err(),
    );
    assert_eq!(r.error, proto::RefusalCode::TooEarly);
    assert_eq!(r.not_before.as_deref(), Some("2026-12-01 06:30 +07:00"));

    // One second before the lead: still refused; at the lead: given.
    l.clock.store(S1_START - 3600 - 1, Ordering::SeqCst);
    let r = refusal(
        c.release_code("PAS-2026-IX-CONTOH", &n, "S1")
            .await
            .unwrap_err(),
    );
    assert_eq!(r.error, proto::RefusalCode::TooEarly);
    l.clock.store(S1_START - 3600, Ordering::SeqCst);
    let code = c
        .release_code("PAS-2026-IX-CONTOH", &n, "S1")
        .await
        .unwrap();
    assert_eq!(
        code,
        package::release_code(&l.package, &l.key, "S1").unwrap()
    );
    // It opens the session; S2 (10:00) is not open yet.
    let sealed = package::verify(&l.package, &[l.key.public()]).unwrap();
    let secret = ruji_package::release::decode(&code).unwrap();
    assert!(!sealed.session_keys("S1", &secret).unwrap().is_empty());
    let r = refusal(
        c.release_code("PAS-2026-IX-CONTOH", &n, "S2")
            .await
            .unwrap_err(),
    );
    assert_eq!(r.not_before.as_deref(), Some("2026-12-01 09:00 +07:00"));

    // Unknown session, unknown package, another packing.
    let r = refusal(
        c.release_code("PAS-2026-IX-CONTOH", &n, "S9")
            .await
            .unwrap_err(),
    );
    assert_eq!(r.error, proto::RefusalCode::UnknownSession);
    let r = refusal(c.release_code("LAIN", &n, "S1").await.unwrap_err());
    assert_eq!(r.error, proto::RefusalCode::UnknownPackage);
    let r = refusal(
        c.release_code("PAS-2026-IX-CONTOH", "another-nonce", "S1")
            .await
            .unwrap_err(),
    );
    assert_eq!(r.error, proto::RefusalCode::PackageChanged);
    assert!(
        r.message.contains("import the current one"),
        "{}",
        r.message
    );
}

#[tokio::test]
async fn only_registered_boards_with_a_fresh_signed_challenge() {
    let l = lab(true).await;
    l.clock.store(S1_START, Ordering::SeqCst);
    let n = nonce(&l);
    let dir = tempfile::tempdir().unwrap();
    let stranger = Arc::new(DeviceKey::load_or_create(dir.path()).unwrap());
    let c = Client::new(&l.url, Some(&l.ca), stranger.clone()).unwrap();
    let r = refusal(
        c.release_code("PAS-2026-IX-CONTOH", &n, "S1")
            .await
            .unwrap_err(),
    );
    assert_eq!(r.error, proto::RefusalCode::DeviceUnknown);
    assert!(r.message.contains(&stranger.id()), "{}", r.message);

    // By hand: a signed request goes through once; replaying it, or signing with another
    // key, or changing a field after signing, is refused.
    let ca = reqwest::Certificate::from_pem(l.ca.as_bytes()).unwrap();
    let http = reqwest::Client::builder()
        .add_root_certificate(ca)
        .build()
        .unwrap();
    let challenge = || async {
        let ch: proto::Challenge = http
            .post(format!("{}/api/v1/challenge", l.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        ch.challenge
    };
    let send = |req: ReleaseRequest| {
        let http = http.clone();
        let url = format!("{}/api/v1/release", l.url);
        async move {
            let r = http.post(url).json(&req).send().await.unwrap();
            let status = r.status().as_u16();
            (status, r.json::<serde_json::Value>().await.unwrap())
        }
    };
    let mut req = ReleaseRequest {
        package: "PAS-2026-IX-CONTOH".into(),
        nonce: n.clone(),
        session: "S1".into(),
        device: l.board.public(),
        challenge: challenge().await,
        signature: String::new(),
    };
    req.signature = l.board.sign(&proto::release_message(&req));
    let (status, body) = send(req.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["code"].as_str().unwrap().len(), 29);
    let (status, body) = send(req.clone()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some(proto::RefusalCode::BadChallenge.as_str()))
    );

    let mut forged = req.clone();
    forged.challenge = challenge().await;
    forged.signature = stranger.sign(&proto::release_message(&forged));
    let (status, body) = send(forged).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some(proto::RefusalCode::BadChallenge.as_str()))
    );

    // A challenge the server did not make.
    let mut made_up = req.clone();
    made_up.challenge = data_encoding::BASE64.encode(&[7u8; 40]);
    made_up.signature = l.board.sign(&proto::release_message(&made_up));
    let (status, body) = send(made_up).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some(proto::RefusalCode::BadChallenge.as_str()))
    );

    let mut changed = req.clone();
    changed.challenge = challenge().await;
    changed.signature = l.board.sign(&proto::release_message(&changed));
    changed.session = "S2".into();
    let (status, body) = send(changed).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some(proto::RefusalCode::BadChallenge.as_str()))
    );

    let r = http
        .post(format!("{}/api/v1/release", l.url))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
}

#[tokio::test]
async fn without_a_device_list_any_signed_board_is_answered() {
    let l = lab(false).await;
    l.clock.store(S1_START + 3 * 3600, Ordering::SeqCst);
    let c = Client::new(&l.url, Some(&l.ca), l.board.clone()).unwrap();
    let code = c
        .release_code("PAS-2026-IX-CONTOH", &nonce(&l), "S2")
        .await
        .unwrap();
    assert_eq!(
        code,
        package::release_code(&l.package, &l.key, "S2").unwrap()
    );
}

#[tokio::test]
async fn certificate_refused_and_server_unreachable_are_told_apart() {
    let l = lab(true).await;
    // Mozilla's roots only: the test CA is not among them.
    let c = Client::new(&l.url, None, l.board.clone()).unwrap();
    match c.release_code("PAS-2026-IX-CONTOH", "n", "S1").await {
        Err(CentralError::Certificate(m)) => assert!(m.contains("certificate"), "{m}"),
        other => panic!("{other:?}"),
    }
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let c = Client::new(
        &format!("https://127.0.0.1:{port}"),
        Some(&l.ca),
        l.board.clone(),
    )
    .unwrap();
    assert!(matches!(
        c.release_code("PAS-2026-IX-CONTOH", "n", "S1").await,
        Err(CentralError::Unreachable(_))
    ));
    // A CA setting that is not a certificate.
    assert!(Client::new(&l.url, Some("not a pem"), l.board.clone()).is_err());
}

#[test]
fn packages_must_be_the_issuers_and_device_lists_are_checked() {
    let key = IssuerKey::generate();
    let other = IssuerKey::generate();
    let opts = |k: &IssuerKey| Options {
        key: IssuerKey::from_secret_text(&k.to_secret_text()).unwrap(),
        devices: None,
        utc_offset_minutes: 420,
        lead_minutes: 60,
    };
    let e = Central::new(opts(&other), vec![("a.rujipkg".into(), contoh(&key))])
        .err()
        .unwrap();
    assert!(e.starts_with("a.rujipkg: "), "{e}");
    let e = Central::new(
        opts(&key),
        vec![
            ("a.rujipkg".into(), contoh(&key)),
            ("b.rujipkg".into(), contoh(&key)),
        ],
    )
    .err()
    .unwrap();
    assert!(e.contains("second packing"), "{e}");
    assert!(Central::new(opts(&key), vec![]).is_err());

    let list = format!(
        "# boards of SMPN 1\n{} ruang 1\n\n{}\n",
        key.public(),
        other.public()
    );
    let d = parse_devices(&list).unwrap();
    assert_eq!(d.len(), 2);
    assert_eq!(d[0].label, "ruang 1");
    assert_eq!(d[1].label, "");
    let e = parse_devices("ruji-pk:rusak\n").unwrap_err();
    assert!(e.starts_with("line 1: "), "{e}");
}

#[test]
fn a_session_without_a_readable_schedule_is_never_given_out() {
    let key = IssuerKey::generate();
    let mut l = native::load(Path::new("../import/tests/fixtures/native/contoh"));
    l.package.sessions[0].day = String::new();
    l.package.sessions[1].day = "2999-01-01".into();
    let pkg = package::pack(&l.package, &l.assets, &key, 0).unwrap();
    let nonce = package::verify(&pkg, &[key.public()])
        .unwrap()
        .manifest
        .nonce;
    let c = Central::new(
        Options {
            key: IssuerKey::from_secret_text(&key.to_secret_text()).unwrap(),
            devices: None,
            utc_offset_minutes: 420,
            lead_minutes: 60,
        },
        vec![("p.rujipkg".into(), pkg)],
    )
    .unwrap()
    .with_clock(|| i64::MAX / 2);
    let dir = tempfile::tempdir().unwrap();
    let board = DeviceKey::load_or_create(dir.path()).unwrap();
    for session in ["S1", "S2"] {
        let mut req = ReleaseRequest {
            package: "PAS-2026-IX-CONTOH".into(),
            nonce: nonce.clone(),
            session: session.into(),
            device: board.public(),
            challenge: c.challenge().challenge,
            signature: String::new(),
        };
        req.signature = board.sign(&proto::release_message(&req));
        let (status, r) = c.release(&req).unwrap_err();
        assert_eq!(status.as_u16(), 403);
        assert_eq!(
            r.error,
            proto::RefusalCode::Unscheduled,
            "{session}: {}",
            r.message
        );
    }
}
