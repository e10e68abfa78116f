//! The web layer over a real socket on 127.0.0.1:0, with a real redb file in a temp dir:
//! the participant flow (several at once), reset and resume, force finish, time-out, the
//! authorisation matrix, CSRF, throttling, and bad input that must change nothing.

mod common;

use std::time::Duration;

use reqwest::{Client, StatusCode};
use ruji_core::attempt::Outcome;
use ruji_room::{Room, Settings};
use ruji_store::{OpenOptions, Store};
use serde_json::{json, Value};

use common::client;

const SETUP_CODE: &str = "1234-5678";
const TOKEN: &str = "ABCDEF";

struct Server {
    url: String,
    store: Store,
    room: Room,
    _dir: tempfile::TempDir,
}

async fn server(open: bool) -> Server {
    server_with(open, Settings::default()).await
}

async fn server_with(open: bool, settings: Settings) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("ruji.redb"), OpenOptions::default()).unwrap();
    let settings = Settings {
        setup_code: Some(SETUP_CODE.into()),
        ..settings
    };
    let room = Room::open(store.clone(), settings).await.unwrap();
    room.install_package(ruji_core::demo::package())
        .await
        .unwrap();
    if open {
        let t = ruji_core::token::Token::parse(TOKEN).unwrap();
        store.open_session("H1S1", t).await.unwrap().unwrap();
    }
    tokio::spawn(room.clone().periodic());
    let addr = common::serve(&room, ruji_web::Settings::default()).await;
    Server {
        url: format!("http://{addr}"),
        store,
        room,
        _dir: dir,
    }
}

fn demo(i: usize) -> (String, String, String, String) {
    let (u, p, d) = ruji_core::demo::login(i);
    let name = ruji_core::demo::package()
        .participant(&u)
        .unwrap()
        .name
        .clone();
    (u, p, d, name)
}

async fn api(c: &Client, method: &str, url: String, body: Option<Value>) -> (StatusCode, Value) {
    let req = match method {
        "GET" => c.get(url),
        "PUT" => c.put(url),
        _ => c.post(url),
    };
    let req = match body {
        Some(b) => req.json(&b),
        None => req,
    };
    let r = req.send().await.unwrap();
    let s = r.status();
    let text = r.text().await.unwrap();
    (s, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn login(s: &Server, c: &Client, i: usize) -> (StatusCode, Value) {
    let (u, p, _, _) = demo(i);
    api(
        c,
        "POST",
        format!("{}/api/v1/login", s.url),
        Some(json!({"username": u, "password": p})),
    )
    .await
}

/// Logs in, passes identity + token, leaves practice.
async fn start(s: &Server, c: &Client, i: usize) {
    let (st, _) = login(s, c, i).await;
    assert_eq!(st, StatusCode::OK);
    let (_, _, d, name) = demo(i);
    let (st, v) = api(
        c,
        "POST",
        format!("{}/api/v1/start", s.url),
        Some(json!({"name": name, "birth_date": d, "token": TOKEN.to_lowercase()})),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["attempt"]["phase"], "practice");
    let (st, v) = api(c, "POST", format!("{}/api/v1/practice/end", s.url), None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["attempt"]["phase"], "in_progress");
}

/// The right response for a demo item, by its type and the options shown.
fn right_answer(item: &Value) -> Value {
    match item["item"]["id"].as_str().unwrap() {
        "D01" | "D02" => json!({"choice": "B"}),
        "D03" => json!({"choices": ["A", "B", "D"]}),
        "D04" => json!({"true_false": [true, false, true]}),
        "D05" => json!({"matching": [["1", "B"], ["2", "C"], ["3", "A"]]}),
        "D06" => json!({"text": " 10 "}),
        _ => json!({"text": "Relief mengajarkan sejarah."}),
    }
}

async fn answer_all(s: &Server, c: &Client) {
    for n in 1..=7 {
        let (st, item) = api(c, "GET", format!("{}/api/v1/items/{n}", s.url), None).await;
        assert_eq!(st, StatusCode::OK);
        assert!(
            !item.to_string().contains("\"key\""),
            "keys never reach a client"
        );
        let id = item["item"]["id"].as_str().unwrap().to_string();
        let (st, v) = api(
            c,
            "PUT",
            format!("{}/api/v1/answers/{id}", s.url),
            Some(json!({"response": right_answer(&item), "doubtful": false, "rev": 1})),
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert_eq!(v["saved"], true);
    }
}

async fn state_reset(s: &Server) -> String {
    s.room.reset_proctor().await.unwrap()
}

async fn audit_len(s: &Server) -> u64 {
    s.store.audit_tail(1).unwrap()[0].seq
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whole_flow_for_several_participants_at_once() {
    let s = server(true).await;
    let s = std::sync::Arc::new(s);
    let mut tasks = vec![];
    for i in 1..=6 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let c = client();
            start(&s, &c, i).await;
            answer_all(&s, &c).await;
            let (st, v) = api(&c, "GET", format!("{}/api/v1/attempt", s.url), None).await;
            assert_eq!(st, StatusCode::OK);
            assert!(v["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|i| i["answered"] == true));
            let (st, v) = api(
                &c,
                "POST",
                format!("{}/api/v1/finish", s.url),
                Some(json!({"confirm": true})),
            )
            .await;
            assert_eq!(st, StatusCode::OK, "{v}");
            // Logged out by finishing; the next test of the session needs a new login.
            let (st, _) = api(&c, "GET", format!("{}/api/v1/me", s.url), None).await;
            assert_eq!(st, StatusCode::UNAUTHORIZED);
            let (st, v) = login(&s, &c, i).await;
            assert_eq!(st, StatusCode::OK);
            assert_eq!(v["test"]["id"], "SURVEI");
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let results = s.store.results("H1S1").unwrap().unwrap();
    let scored: Vec<_> = results
        .iter()
        .filter(|r| r.test == "DEMO" && r.state == Outcome::FinishedParticipant)
        .collect();
    assert_eq!(scored.len(), 6);
    for r in scored {
        // Every objective item right; the essay is left for a person (None).
        assert_eq!(r.score, r.max_score, "{}", r.username);
        assert_eq!(r.max_score, 10_000);
        assert_eq!(
            r.answers.iter().find(|a| a.item == "D07").unwrap().score,
            None
        );
    }
}

#[tokio::test]
async fn reset_login_then_resume_with_answers_and_time() {
    let s = server(true).await;
    let a = client();
    start(&s, &a, 2).await;
    let (_, item) = api(&a, "GET", format!("{}/api/v1/items/1", s.url), None).await;
    let id = item["item"]["id"].as_str().unwrap().to_string();
    let (st, _) = api(
        &a,
        "PUT",
        format!("{}/api/v1/answers/{id}", s.url),
        Some(json!({"response": right_answer(&item), "doubtful": true, "rev": 3})),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let (_, before) = api(&a, "GET", format!("{}/api/v1/attempt", s.url), None).await;

    // The client "crashes"; another client is refused until the proctor resets.
    let b = client();
    let (st, v) = login(&s, &b, 2).await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert_eq!(v["error"], "already_logged_in");
    assert!(v["message"].as_str().unwrap().contains("reset login"));

    let p = proctor(&s).await;
    let csrf = csrf_of(&s, &p).await;
    let r = p
        .post(format!("{}/proctor/participants/DEMO002/reset", s.url))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/proctor?ok=1");
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let (st, _) = login(&s, &b, 2).await;
    assert_eq!(st, StatusCode::OK);
    // The old client's cookie no longer works.
    let (st, v) = api(&a, "GET", format!("{}/api/v1/attempt", s.url), None).await;
    assert_eq!(
        (st, v["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("logged_out"))
    );
    // The new login sees no item until it passes the identity check and the token again.
    let (st, v) = api(&b, "GET", format!("{}/api/v1/items/1", s.url), None).await;
    assert_eq!(
        (st, v["error"].as_str()),
        (StatusCode::CONFLICT, Some("token_required"))
    );
    let r = b.get(format!("{}/exam/1", s.url)).send().await.unwrap();
    assert_eq!(r.headers()["location"], "/confirm");
    // Token again, then the answers and time are as they were (the clock paused during reset).
    let (_, _, d, name) = demo(2);
    let (st, v) = api(
        &b,
        "POST",
        format!("{}/api/v1/start", s.url),
        Some(json!({"name": name, "birth_date": d, "token": TOKEN})),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["attempt"]["phase"], "in_progress");
    let (_, after) = api(&b, "GET", format!("{}/api/v1/attempt", s.url), None).await;
    assert_eq!(after["items"][0]["doubtful"], true);
    assert_eq!(after["items"][0]["answered"], true);
    let lost = before["remaining_ms"].as_u64().unwrap() - after["remaining_ms"].as_u64().unwrap();
    assert!(
        lost < 1000,
        "the 1.5 s of the reset did not count: lost {lost} ms"
    );
}

#[tokio::test]
async fn force_finish_keeps_the_reason_and_stops_answers() {
    let s = server(true).await;
    let c = client();
    start(&s, &c, 3).await;
    let p = proctor(&s).await;
    let csrf = csrf_of(&s, &p).await;
    // Without a reason: refused, nothing changes.
    let r = p
        .post(format!("{}/proctor/participants/DEMO003/finish", s.url))
        .form(&[("csrf", csrf.as_str()), ("reason", " ")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/proctor?e=reason_required");
    let r = p
        .post(format!("{}/proctor/participants/DEMO003/finish", s.url))
        .form(&[("csrf", csrf.as_str()), ("reason", "komputer mati total")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/proctor?ok=1");
    let (st, v) = api(
        &c,
        "PUT",
        format!("{}/api/v1/answers/D01", s.url),
        Some(json!({"response": {"choice": "B"}, "rev": 9})),
    )
    .await;
    assert_eq!(
        (st, v["error"].as_str()),
        (StatusCode::CONFLICT, Some("force_finished")),
        "{v}"
    );
    // The participant's page learns its test ended, and why.
    let (_, v) = api(&c, "POST", format!("{}/api/v1/heartbeat", s.url), None).await;
    assert_eq!(v["ended"], "proctor");
    let v: Value = p
        .get(format!("{}/proctor/status.json", s.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let row = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["username"] == "DEMO003")
        .unwrap()
        .clone();
    assert_eq!(
        (row["state"].as_str(), row["test"].as_str()),
        (Some("finished"), Some("DEMO"))
    );
    let log = s.store.audit_tail(20).unwrap();
    assert!(log
        .iter()
        .any(|e| e.action == "force_finish" && e.detail.contains("komputer mati total")));
    let res = p
        .get(format!("{}/proctor/results/H1S1.json", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let v: Value = res.json().await.unwrap();
    let a = v["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["username"] == "DEMO003" && a["test"] == "DEMO")
        .unwrap();
    assert_eq!(a["state"], "finished_proctor");
    assert_eq!(a["reason"], "komputer mati total");
}

#[tokio::test]
async fn time_out_finishes_and_refuses_later_answers() {
    let s = server(true).await;
    let c = client();
    start(&s, &c, 4).await;
    let (st, _) = api(
        &c,
        "PUT",
        format!("{}/api/v1/answers/D02", s.url),
        Some(json!({"response": {"choice": "B"}, "rev": 1})),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let (_, v) = api(&c, "GET", format!("{}/api/v1/attempt", s.url), None).await;
    assert_eq!(v["warning"], false);
    s.store.skip_time(16 * 60_000);
    let (_, v) = api(&c, "POST", format!("{}/api/v1/heartbeat", s.url), None).await;
    assert_eq!(v["warning"], true, "5-minute warning");
    s.store.skip_time(5 * 60_000);
    let before = audit_len(&s).await;
    let (st, v) = api(
        &c,
        "PUT",
        format!("{}/api/v1/answers/D01", s.url),
        Some(json!({"response": {"choice": "B"}, "rev": 1})),
    )
    .await;
    assert_eq!(
        (st, v["error"].as_str()),
        (StatusCode::CONFLICT, Some("time_up"))
    );
    // The time-out itself is recorded (once), the late answer is not.
    let log = s.store.audit_tail(5).unwrap();
    assert!(log.iter().all(|e| e.action != "answer" || e.seq <= before));
    let (_, v) = api(&c, "POST", format!("{}/api/v1/heartbeat", s.url), None).await;
    assert_eq!(v["ended"], "timeout", "{v}");
    // The page of the ended test sends the participant to the thank-you page, which logs out.
    let r = c.get(format!("{}/exam/1", s.url)).send().await.unwrap();
    assert_eq!(r.headers()["location"], "/done?r=timeout");
    let html = c
        .get(format!("{}/done?r=timeout", s.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Waktu tes telah habis"), "{html}");
    let (st, _) = api(&c, "GET", format!("{}/api/v1/me", s.url), None).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let res = s.store.results("H1S1").unwrap().unwrap();
    let r = res
        .iter()
        .find(|r| r.username == "DEMO004" && r.test == "DEMO")
        .unwrap();
    assert_eq!(r.state, Outcome::FinishedTimeout);
    assert_eq!(r.score, 1000, "the answer given in time counts");
    assert!(r
        .answers
        .iter()
        .find(|a| a.item == "D01")
        .unwrap()
        .response
        .is_none());
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_changes_nothing() {
    let s = server(true).await;
    let c = client();
    start(&s, &c, 5).await;
    let before = audit_len(&s).await;
    let cases: Vec<(&str, String, Option<Value>, StatusCode, &str)> = vec![
        (
            "PUT",
            "/api/v1/answers/D01".into(),
            Some(json!({"response": {"choice": "Z"}})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_response",
        ),
        (
            "PUT",
            "/api/v1/answers/D01".into(),
            Some(json!({"response": {"text": "B"}})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_response",
        ),
        (
            "PUT",
            "/api/v1/answers/NOPE".into(),
            Some(json!({"response": null})),
            StatusCode::NOT_FOUND,
            "unknown_item",
        ),
        (
            "PUT",
            "/api/v1/answers/P01".into(),
            Some(json!({"response": {"choice": "B"}})),
            StatusCode::NOT_FOUND,
            "unknown_item",
        ),
        (
            "PUT",
            "/api/v1/answers/D01".into(),
            Some(json!({"respon": 1, "doubtful": "yes"})),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            "GET",
            "/api/v1/items/99".into(),
            None,
            StatusCode::NOT_FOUND,
            "unknown_item",
        ),
        (
            "POST",
            "/api/v1/finish".into(),
            Some(json!({"confirm": false})),
            StatusCode::CONFLICT,
            "not_confirmed",
        ),
    ];
    for (m, path, body, status, code) in cases {
        let (st, v) = api(&c, m, format!("{}{path}", s.url), body).await;
        assert_eq!(
            (st, v["error"].as_str()),
            (status, Some(code)),
            "{m} {path}: {v}"
        );
        assert!(v["message"].as_str().unwrap().len() > 10);
    }
    // Malformed JSON text.
    let r = c
        .put(format!("{}/api/v1/answers/D01", s.url))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // An oversized body.
    let big = "x".repeat(200_000);
    let r = c
        .put(format!("{}/api/v1/answers/D07", s.url))
        .json(&json!({"response": {"text": big}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // A malformed HTML form post saves nothing and returns to the page with a message.
    let r = c
        .post(format!("{}/exam/1", s.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("item=D01&choice=%ZZ")
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_client_error() || r.status() == StatusCode::SEE_OTHER,
        "{}",
        r.status()
    );
    assert_eq!(audit_len(&s).await, before, "nothing was written");

    // Wrong token, English message on request.
    let d = client();
    let (st, _) = login(&s, &d, 6).await;
    assert_eq!(st, StatusCode::OK);
    let (_, _, dob, name) = demo(6);
    let r = d
        .post(format!("{}/api/v1/start?lang=en", s.url))
        .header("accept-language", "en")
        .json(&json!({"name": name, "birth_date": dob, "token": "ZZZZZZ"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "wrong_token");
    assert!(v["message"]
        .as_str()
        .unwrap()
        .starts_with("Wrong or expired token"));

    // Where a setting goes back to: a path on this site only; a control character is a 400
    // in the person's language, never a 500.
    for (path, want) in [
        ("/fs/2?next=/exam/3", Some("/exam/3")),
        ("/lang/en?next=//evil.example/x", Some("/")),
        ("/lang/en?next=https://evil.example/", Some("/")),
        ("/lang/id?next=/%5C%5Cevil", Some("/")),
        ("/lang/en?next=/exam%0d%0aSet-Cookie:%20x=1", None),
        ("/fs/1?next=/exam/%00", None),
        ("/fs/1?next=/ujian/%C3%A9", None),
    ] {
        let r = c.get(format!("{}{path}", s.url)).send().await.unwrap();
        match want {
            Some(to) => {
                assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
                assert_eq!(r.headers()["location"], to, "{path}");
            }
            None => {
                assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{path}");
                assert!(r.headers().get("set-cookie").is_none(), "{path}");
            }
        }
    }
}

/// A client logged in as the proctor (first-run setup with the setup code).
async fn proctor(s: &Server) -> Client {
    let p = client();
    let r = p.get(format!("{}/proctor", s.url)).send().await.unwrap();
    let html = r.text().await.unwrap();
    if html.contains("name=\"code\"") {
        let r = p
            .post(format!("{}/proctor/setup", s.url))
            .form(&[
                ("code", "1234 5678"),
                ("password", "rahasia-proktor"),
                ("password2", "rahasia-proktor"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["location"], "/proctor");
    } else {
        let r = p
            .post(format!("{}/proctor/login", s.url))
            .form(&[("password", "rahasia-proktor")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["location"], "/proctor");
    }
    p
}

async fn csrf_of(s: &Server, p: &Client) -> String {
    let html = p
        .get(format!("{}/proctor", s.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let i = html
        .find("name=\"csrf\" value=\"")
        .expect("dashboard has forms")
        + 19;
    html[i..i + 32].to_string()
}

#[tokio::test]
async fn proctor_setup_login_csrf_and_session() {
    let s = server(false).await;
    // A wrong setup code is refused; the page says so.
    let x = client();
    let r = x
        .post(format!("{}/proctor/setup", s.url))
        .form(&[
            ("code", "0000-0000"),
            ("password", "abcdefgh"),
            ("password2", "abcdefgh"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/proctor?e=setup_code");
    let r = x
        .post(format!("{}/proctor/setup", s.url))
        .form(&[
            ("code", SETUP_CODE),
            ("password", "short"),
            ("password2", "short"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/proctor?e=password_short");
    let p = proctor(&s).await;
    // The code works once: a second setup is refused.
    let r = x
        .post(format!("{}/proctor/setup", s.url))
        .form(&[
            ("code", SETUP_CODE),
            ("password", "abcdefgh1"),
            ("password2", "abcdefgh1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/proctor?e=already_setup");
    // Participants cannot log in before a session is open.
    let c = client();
    let (st, v) = login(&s, &c, 1).await;
    assert_eq!(
        (st, v["error"].as_str()),
        (StatusCode::CONFLICT, Some("no_open_session"))
    );

    // CSRF: a POST without or with a wrong token changes nothing.
    for bad in [vec![], vec![("csrf", "0".repeat(32))]] {
        let r = p
            .post(format!("{}/proctor/sessions/H1S1/open", s.url))
            .form(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
    assert!(s.store.sessions().unwrap().iter().all(|(_, st)| !st.open));
    let csrf = csrf_of(&s, &p).await;
    let r = p
        .post(format!("{}/proctor/sessions/H1S1/open", s.url))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/proctor?ok=1");
    let v: Value = p
        .get(format!("{}/proctor/status.json", s.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = v["token"]["token"].as_str().unwrap().to_string();
    assert_eq!(token.len(), 6);
    assert_eq!(v["rows"].as_array().unwrap().len(), 21);
    // The participant uses the released token.
    let (st, _) = login(&s, &c, 1).await;
    assert_eq!(st, StatusCode::OK);
    let (_, _, d, name) = demo(1);
    let (st, _) = api(
        &c,
        "POST",
        format!("{}/api/v1/start", s.url),
        Some(json!({"name": name, "birth_date": d, "token": token})),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let v: Value = p
        .get(format!("{}/proctor/status.json", s.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let row = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["username"] == "DEMO001")
        .unwrap()
        .clone();
    assert_eq!(row["state"], "practice");
    assert_eq!(row["online"], true);
    assert_eq!(row["client"], "127.0.0.1");
    // Rotating: the new token works, the old one stays valid during its grace period.
    let r = p
        .post(format!("{}/proctor/token/rotate", s.url))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/proctor?ok=1");
    // Closing is refused while someone works.
    let r = p
        .post(format!("{}/proctor/sessions/H1S1/close", s.url))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/proctor?e=attempts_open");
    // Recovery resets the proctor password: the old login no longer works, a new code does.
    let code = state_reset(&s).await;
    let r = p
        .get(format!("{}/proctor/status.json", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = x
        .post(format!("{}/proctor/setup", s.url))
        .form(&[
            ("code", SETUP_CODE),
            ("password", "abcdefgh1"),
            ("password2", "abcdefgh1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["location"],
        "/proctor?e=setup_code",
        "the old code is gone"
    );
    let r = x
        .post(format!("{}/proctor/setup", s.url))
        .form(&[
            ("code", code.as_str()),
            ("password", "abcdefgh1"),
            ("password2", "abcdefgh1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/proctor");
    assert!(
        s.store.sessions().unwrap().iter().any(|(_, st)| st.open),
        "exam data kept"
    );
    let r = p
        .get(format!("{}/proctor/status.json", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "cookies of the old account stay dead"
    );
    // A wrong proctor password is refused.
    let q = client();
    let r = q
        .post(format!("{}/proctor/login", s.url))
        .form(&[("password", "salah")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/proctor?e=proctor_password");
}

/// A proctor login's cookie (`ruji_k=...`), as a browser would keep it, for `password`.
async fn proctor_cookie(s: &Server, password: &str) -> String {
    let r = client()
        .post(format!("{}/proctor/login", s.url))
        .form(&[("password", password)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/proctor");
    cookie_of(&r)
}

fn cookie_of(r: &reqwest::Response) -> String {
    let set = r.headers()["set-cookie"].to_str().unwrap();
    set.split(';').next().unwrap().to_string()
}

/// The status of `GET path` with `cookie` (a copy of a browser's cookie).
async fn with_cookie(s: &Server, cookie: &str, path: &str) -> StatusCode {
    client()
        .get(format!("{}{path}", s.url))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .status()
}

/// The page at `path` seen with `cookie`.
async fn page_with(s: &Server, cookie: &str, path: &str) -> String {
    client()
        .get(format!("{}{path}", s.url))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The CSRF value of the dashboard seen with `cookie`.
async fn csrf_with(s: &Server, cookie: &str) -> String {
    let html = page_with(s, cookie, "/proctor").await;
    let i = html.find("name=\"csrf\" value=\"").expect("dashboard") + 19;
    html[i..i + 32].to_string()
}

#[tokio::test]
async fn proctor_logins_end_on_the_board() {
    let s = server(false).await;
    proctor(&s).await;
    let status = "/proctor/status.json";
    // Two browsers (a laptop and a phone), and a copy of the laptop's cookie.
    let laptop = proctor_cookie(&s, "rahasia-proktor").await;
    let phone = proctor_cookie(&s, "rahasia-proktor").await;
    assert_eq!(with_cookie(&s, &laptop, status).await, StatusCode::OK);
    // Logging out ends the login on the board: the copied cookie no longer works.
    let csrf = csrf_with(&s, &laptop).await;
    let r = client()
        .post(format!("{}/proctor/logout", s.url))
        .header("cookie", &laptop)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/proctor");
    assert_eq!(
        with_cookie(&s, &laptop, status).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(with_cookie(&s, &phone, status).await, StatusCode::OK);

    // The password change page; a wrong current password is refused in the proctor's language.
    let other = proctor_cookie(&s, "rahasia-proktor").await;
    let page = page_with(&s, &phone, "/proctor/password").await;
    assert!(page.contains("Password sekarang"), "{page}");
    let csrf = csrf_with(&s, &phone).await;
    let change = |current: &'static str, new: &'static str| {
        let (s, phone, csrf) = (&s, phone.clone(), csrf.clone());
        async move {
            client()
                .post(format!("{}/proctor/password", s.url))
                .header("cookie", &phone)
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("current", current),
                    ("password", new),
                    ("password2", new),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let r = change("salah-salah", "kata-sandi-baru").await;
    assert_eq!(
        r.headers()["location"],
        "/proctor/password?e=proctor_password"
    );
    let r = change("rahasia-proktor", "pendek").await;
    assert_eq!(
        r.headers()["location"],
        "/proctor/password?e=password_short"
    );
    let r = change("rahasia-proktor", "kata-sandi-baru").await;
    assert_eq!(r.headers()["location"], "/proctor/password?ok=password");
    let phone2 = cookie_of(&r);
    // This browser stays logged in (its new cookie); every other login ended.
    assert_eq!(with_cookie(&s, &phone2, status).await, StatusCode::OK);
    for old in [&phone, &other] {
        assert_eq!(with_cookie(&s, old, status).await, StatusCode::UNAUTHORIZED);
    }
    let page = page_with(&s, &phone2, "/proctor/password?ok=password").await;
    assert!(page.contains("Password sudah diganti"), "{page}");
    // The old password no longer logs in; the new one does.
    let r = client()
        .post(format!("{}/proctor/login", s.url))
        .form(&[("password", "rahasia-proktor")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/proctor?e=proctor_password");
    let fresh = proctor_cookie(&s, "kata-sandi-baru").await;

    // A recovery (the button held at power-on) ends every login.
    s.room.reset_proctor().await.unwrap();
    for c in [&phone2, &fresh] {
        assert_eq!(with_cookie(&s, c, status).await, StatusCode::UNAUTHORIZED);
    }
    let actions: Vec<String> = s
        .store
        .audit_tail(50)
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for a in [
        "proctor_login",
        "proctor_logout",
        "proctor_password_changed",
        "proctor_password_reset",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a}: {actions:?}");
    }
}

#[tokio::test]
async fn authorisation_matrix() {
    let s = server(true).await;
    let anon = client();
    let part = client();
    start(&s, &part, 7).await;
    let proc_ = proctor(&s).await;
    let csrf = csrf_of(&s, &proc_).await;

    // Participant routes need a participant cookie.
    for path in ["/api/v1/me", "/api/v1/attempt", "/api/v1/items/1"] {
        let (st, v) = api(&anon, "GET", format!("{}{path}", s.url), None).await;
        assert_eq!(
            (st, v["error"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("not_logged_in")),
            "{path}"
        );
        // The proctor's cookie is not a participant's.
        let (st, _) = api(&proc_, "GET", format!("{}{path}", s.url), None).await;
        assert_eq!(st, StatusCode::UNAUTHORIZED, "{path}");
    }
    let r = anon.get(format!("{}/exam/1", s.url)).send().await.unwrap();
    assert_eq!(r.headers()["location"], "/?e=not_logged_in");

    // Proctor routes refuse participants and strangers, even with a copied CSRF value.
    for c in [&anon, &part] {
        let r = c
            .get(format!("{}/proctor/status.json", s.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let r = c
            .get(format!("{}/proctor/results/H1S1.json", s.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let r = c
            .post(format!("{}/proctor/participants/DEMO007/reset", s.url))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["location"], "/proctor");
        let r = c
            .post(format!("{}/proctor/participants/DEMO007/finish", s.url))
            .form(&[("csrf", csrf.as_str()), ("reason", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["location"], "/proctor");
    }
    let (_, v) = api(&part, "GET", format!("{}/api/v1/attempt", s.url), None).await;
    assert_eq!(
        v["phase"], "in_progress",
        "nothing above touched the participant"
    );

    // A forged participant cookie (another username, no valid signature) is not accepted.
    let forged = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = forged
        .get(format!("{}/api/v1/me", s.url))
        .header("cookie", "ruji_p=DEMO008:1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // Cookies are HttpOnly and SameSite.
    let r = client()
        .post(format!("{}/api/v1/login", s.url))
        .json(&json!({"username": "DEMO009", "password": ruji_core::demo::login(9).1}))
        .send()
        .await
        .unwrap();
    let set = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
}

#[tokio::test]
async fn wrong_passwords_are_throttled() {
    let s = server(true).await;
    let c = client();
    for _ in 0..5 {
        let (st, v) = api(
            &c,
            "POST",
            format!("{}/api/v1/login", s.url),
            Some(json!({"username": "DEMO010", "password": "salah"})),
        )
        .await;
        assert_eq!(
            (st, v["error"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("wrong_password"))
        );
    }
    let (st, v) = api(
        &c,
        "POST",
        format!("{}/api/v1/login", s.url),
        Some(json!({"username": "DEMO010", "password": ruji_core::demo::login(10).1})),
    )
    .await;
    assert_eq!(
        (st, v["error"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("throttled"))
    );
    assert!(v["retry_after_s"].as_u64().unwrap() > 0);
    // Unknown usernames get the same answer as wrong passwords.
    let d = client();
    let (st, v) = api(
        &d,
        "POST",
        format!("{}/api/v1/login", s.url),
        Some(json!({"username": "NOBODY", "password": "x"})),
    )
    .await;
    assert_eq!(
        st,
        StatusCode::TOO_MANY_REQUESTS,
        "the address is throttled too: {v}"
    );
}

#[tokio::test]
async fn html_flow_without_javascript() {
    let s = server(true).await;
    let c = client();
    let (u, p, d, name) = demo(11);
    let r = c
        .post(format!("{}/login", s.url))
        .form(&[("username", u.as_str()), ("password", p.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/confirm");
    let html = c
        .get(format!("{}/confirm", s.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Konfirmasi Data Peserta") && html.contains(&name));
    let r = c
        .post(format!("{}/confirm", s.url))
        .form(&[
            ("name", name.as_str()),
            ("birth_date", "03-11-2011"),
            ("token", TOKEN),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/confirm?e=birth_date_mismatch");
    let html = c
        .get(format!("{}/confirm?e=birth_date_mismatch", s.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Tanggal lahir tidak sesuai"));
    let dd: Vec<&str> = d.split('-').collect();
    let dob = format!("{}-{}-{}", dd[2], dd[1], dd[0]);
    let r = c
        .post(format!("{}/confirm", s.url))
        .form(&[
            ("name", name.as_str()),
            ("birth_date", dob.as_str()),
            ("token", TOKEN),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/exam/1");
    let html = c
        .get(format!("{}/exam/2", s.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Latihan") && html.contains("name=\"text\""));
    let r = c
        .post(format!("{}/exam/2", s.url))
        .form(&[("item", "P02"), ("text", "Bandung"), ("go", "practice_end")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/exam/1");
    let html = c
        .get(format!("{}/exam/1", s.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Sisa waktu") && html.contains("Daftar soal"));
    let r = c
        .post(format!("{}/exam/1", s.url))
        .form(&[
            ("item", "D01"),
            ("choice", "B"),
            ("doubtful", "1"),
            ("go", "5"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/exam/5");
    let html = c
        .get(format!("{}/exam/1", s.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("value=\"B\" checked"));
    assert!(html.contains("cell doubtful current"));
    let r = c
        .post(format!("{}/exam/5", s.url))
        .form(&[
            ("item", "D05"),
            ("m_1", "B"),
            ("m_2", "C"),
            ("m_3", ""),
            ("go", "finish"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/finish");
    // Still doubtful on item 1: refused with the rule's message.
    let r = c
        .post(format!("{}/finish", s.url))
        .form(&[("confirm", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/finish?e=doubtful");
    let r = c
        .post(format!("{}/exam/1", s.url))
        .form(&[("item", "D01"), ("choice", "B"), ("go", "finish")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/finish");
    let r = c
        .post(format!("{}/finish", s.url))
        .form(&[("confirm", "1")])
        .send()
        .await
        .unwrap();
    // The login ends with the finish; the thank-you page is told the survey is still to do.
    assert_eq!(r.headers()["location"], "/done?r=finished&t=SURVEI");
    let html = c
        .get(format!("{}/done?r=finished&t=SURVEI", s.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Terima kasih") && html.contains("Kembali ke halaman login"));
    assert!(html.contains("Masih ada tes berikutnya di sesi ini: <b>Survei Karakter (demo)</b>"));
    let res = s.store.results("H1S1").unwrap().unwrap();
    let r = res
        .iter()
        .find(|r| r.username == u && r.test == "DEMO")
        .unwrap();
    assert_eq!(r.state, Outcome::FinishedParticipant);
    assert_eq!(r.score, 1000 + 2000, "D01 right, D05 two of three pairs");
}

#[tokio::test]
async fn first_proctor_claimed_by_pressing_the_board_button() {
    let button = || Settings {
        button: true,
        ..Settings::default()
    };
    let s = server_with(false, button()).await;
    let p = client();
    let html = p
        .get(format!("{}/proctor", s.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("tekan tombol pada papan"),
        "the page offers the button"
    );
    // No code, a password: the claim waits for the press.
    let form = [
        ("code", ""),
        ("password", "rahasia-proktor"),
        ("password2", "rahasia-proktor"),
    ];
    let r = p
        .post(format!("{}/proctor/setup", s.url))
        .form(&form)
        .send()
        .await
        .unwrap();
    let wait = r.headers()["location"].to_str().unwrap().to_string();
    assert!(wait.starts_with("/proctor/claim/"), "{wait}");
    let html = p
        .get(format!("{}{wait}", s.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Tekan tombol pada papan"));
    assert!(!s.room.has_proctor(), "nothing happens without the press");
    // Another browser cannot pick up the claim.
    let other = client();
    let r = other
        .get(format!("{}/proctor/claim/{}", s.url, "0".repeat(32)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/proctor");
    // The press.
    assert_eq!(
        s.room.confirm_physical().await.unwrap().map(|c| c.name()),
        Some("claim_proctor")
    );
    let r = p.get(format!("{}{wait}", s.url)).send().await.unwrap();
    assert_eq!(r.headers()["location"], "/proctor");
    let r = p
        .get(format!("{}/proctor/status.json", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "logged in as the proctor");
    // A second press does nothing.
    assert_eq!(s.room.confirm_physical().await.unwrap(), None);

    // A press after the window does not count.
    let t = server_with(false, button()).await;
    let q = client();
    let r = q
        .post(format!("{}/proctor/setup", t.url))
        .form(&form)
        .send()
        .await
        .unwrap();
    let wait = r.headers()["location"].to_str().unwrap().to_string();
    t.store.skip_time(ruji_room::confirm::CONFIRM_WINDOW + 1);
    assert_eq!(t.room.confirm_physical().await.unwrap(), None);
    assert!(!t.room.has_proctor());
    let r = q.get(format!("{}{wait}", t.url)).send().await.unwrap();
    assert_eq!(r.headers()["location"], "/proctor?e=confirm_expired");
}

#[tokio::test]
async fn network_page_shows_seats_findings_and_who_sits_where() {
    use ruji_lan::{Finding, LanReport, LanStatus, MonitorHandle};
    use std::net::Ipv4Addr;
    let lan = MonitorHandle::new();
    let mac = |b: u8| ruji_lan::Mac([2, 0, 0, 0, 0, b]);
    let dup = Finding::DuplicateIp {
        ip: Ipv4Addr::new(192, 168, 0, 5),
        macs: vec![mac(5), mac(55)],
    };
    let seat = |ip: Ipv4Addr, online: bool| ruji_lan::check::SeatReport {
        ip,
        online,
        mac: online.then(|| mac(1)),
        rtt_ms: online.then_some(0.4),
        last_seen_s: Some(if online { 2 } else { 40 }),
    };
    lan.publish(LanStatus {
        claim: ruji_lan::ClaimStatus::Bound,
        report: LanReport {
            interface: "eth0".into(),
            address: Ipv4Addr::new(192, 168, 0, 200),
            link_up: true,
            conflict: None,
            // The test's client is 127.0.0.1: seat 1 shows who logged in from it.
            seats: vec![
                seat(Ipv4Addr::LOCALHOST, true),
                seat(Ipv4Addr::new(192, 168, 0, 2), false),
            ],
            duplicates: vec![],
            wrong_subnet: vec![],
            dhcp_servers: vec![],
            unknown_hosts: vec![],
            findings: vec![dup],
        },
    });
    let s = server_with(
        true,
        Settings {
            lan: Some(lan.clone()),
            ..Settings::default()
        },
    )
    .await;
    let c = client();
    let (st, _) = login(&s, &c, 1).await;
    assert_eq!(st, StatusCode::OK);
    let p = proctor(&s).await;
    let html = p
        .get(format!("{}/proctor/network", s.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("192.168.0.200") && html.contains("alamat terpasang"),
        "{html}"
    );
    assert!(html.contains("seat on") && html.contains("seat off"));
    assert!(html.contains("terakhir terdengar 40 s"), "last heard");
    assert!(html.contains("DEMO001 Adi Nugroho"), "who sits at seat 1");
    assert!(
        html.contains("192.168.0.5"),
        "the duplicate-address finding"
    );
    // "Cek semua" asks the service for a scan now (CSRF-checked like every proctor form).
    let csrf = csrf_of(&s, &p).await;
    assert!(!lan.rescan_pending());
    let r = p
        .post(format!("{}/proctor/network/rescan", s.url))
        .form(&[("csrf", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(!lan.rescan_pending());
    let r = p
        .post(format!("{}/proctor/network/rescan", s.url))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/proctor/network?ok=1");
    assert!(lan.rescan_pending());
    // Without the service the page says how to start it.
    let t = server(false).await;
    let q = proctor(&t).await;
    let html = q
        .get(format!("{}/proctor/network", t.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("--lan-iface"));
}

/// `POST path` with `cookie` and a form; the response (redirects not followed).
async fn post_with(
    s: &Server,
    cookie: &str,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client()
        .post(format!("{}{path}", s.url))
        .header("cookie", cookie)
        .form(form)
        .send()
        .await
        .unwrap()
}

/// Every route under `/proctor`, as the routers in src/proctor declare them: (method, path).
fn proctor_routes() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (src, prefix) in [
        (include_str!("../src/proctor/mod.rs"), "/proctor"),
        (
            include_str!("../src/proctor/package.rs"),
            "/proctor/package",
        ),
    ] {
        // `.route("/path", get(..).post(..))`, possibly over several lines.
        for part in src.split(".route(").skip(1) {
            let path = part.split('"').nth(1).unwrap();
            let call = &part[..part.find("\n        .").unwrap_or(part.len())];
            for method in ["get", "post"] {
                if call.contains(&format!("{method}(")) {
                    let full = format!("{prefix}{}", path.trim_end_matches('/'));
                    out.push((method.to_uppercase(), full));
                }
            }
        }
    }
    out
}

#[tokio::test]
async fn invigilator_is_refused_every_action() {
    let s = server(true).await;
    let part = client();
    start(&s, &part, 7).await;
    proctor(&s).await;
    let proc_ = proctor_cookie(&s, "rahasia-proktor").await;
    let csrf = csrf_with(&s, &proc_).await;

    // The proctor sets the invigilator's password on the account page; the rules first.
    let set = |pw: &'static str, pw2: &'static str| {
        let (s, proc_, csrf) = (&s, proc_.clone(), csrf.clone());
        async move {
            let r = post_with(
                s,
                &proc_,
                "/proctor/invigilator",
                &[("csrf", &csrf), ("password", pw), ("password2", pw2)],
            )
            .await;
            r.headers()["location"].to_str().unwrap().to_string()
        }
    };
    assert_eq!(
        set("pendek", "pendek").await,
        "/proctor/password?e=password_short"
    );
    assert_eq!(
        set("pengawas-ruang", "pengawas-ruangX").await,
        "/proctor/password?e=password_repeat"
    );
    assert_eq!(
        set("rahasia-proktor", "rahasia-proktor").await,
        "/proctor/password?e=invigilator_same"
    );
    let page = page_with(&s, &proc_, "/proctor/password?e=invigilator_same").await;
    assert!(
        page.contains("harus berbeda dari password proktor"),
        "{page}"
    );
    assert!(page.contains("Belum ada akun pengawas"), "{page}");
    assert_eq!(
        set("pengawas-ruang", "pengawas-ruang").await,
        "/proctor/password?ok=invigilator"
    );
    assert!(page_with(&s, &proc_, "/proctor/password")
        .await
        .contains("Akun pengawas aktif"));
    // Nor may the proctor take the invigilator's password: the login could not tell them apart.
    let r = post_with(
        &s,
        &proc_,
        "/proctor/password",
        &[
            ("csrf", &csrf),
            ("current", "rahasia-proktor"),
            ("password", "pengawas-ruang"),
            ("password2", "pengawas-ruang"),
        ],
    )
    .await;
    assert_eq!(
        r.headers()["location"],
        "/proctor/password?e=invigilator_same"
    );

    // The invigilator logs in on the same page with their own password and sees the room.
    let inv = proctor_cookie(&s, "pengawas-ruang").await;
    let dash = page_with(&s, &inv, "/proctor").await;
    assert!(dash.contains("id=\"read-only\""), "{dash}");
    assert!(dash.contains(TOKEN), "the invigilator announces the token");
    assert!(dash.contains("DEMO007"), "the participants' rows");
    for action in [
        "/reset",
        "/finish",
        "/open",
        "/close",
        "/rotate",
        "/proctor/password\"",
    ] {
        assert!(
            !dash.contains(action),
            "no {action} form for the invigilator"
        );
    }
    let inv_csrf = csrf_with(&s, &inv).await;

    // Every route, by who may use it; a route added without a place here fails the test.
    let viewer = [
        "GET /proctor",
        "GET /proctor/status.json",
        "GET /proctor/live",
        "GET /proctor/token",
        "GET /proctor/audit",
        "GET /proctor/audit.csv",
        "GET /proctor/network",
        "GET /proctor/network.json",
        "GET /proctor/package/report",
        "GET /proctor/package/report.json",
        "GET /proctor/package/report.pdf",
        "GET /proctor/sessions/{id}/attendance",
        "GET /proctor/sessions/{id}/attendance.pdf",
        "GET /proctor/sessions/{id}/report",
        "GET /proctor/sessions/{id}/report/print",
        "GET /proctor/sessions/{id}/report.pdf",
    ];
    // The one thing the invigilator writes: their notes for the session report.
    let writes = ["POST /proctor/sessions/{id}/notes"];
    // Before a login, or the login itself (the invigilator gains nothing there).
    let public = [
        "POST /proctor/setup",
        "GET /proctor/claim/{id}",
        "POST /proctor/login",
        "POST /proctor/logout",
    ];
    let audit_before = audit_len(&s).await;
    let mut checked = 0;
    for (method, path) in proctor_routes() {
        let route = format!("{method} {path}");
        if public.contains(&route.as_str()) {
            continue;
        }
        let url_path = path.replace("{id}", "H1S1").replace("{u}", "DEMO007");
        let r = if method == "GET" {
            client()
                .get(format!("{}{url_path}", s.url))
                .header("cookie", &inv)
                .send()
                .await
                .unwrap()
        } else {
            post_with(
                &s,
                &inv,
                &url_path,
                &[
                    ("csrf", inv_csrf.as_str()),
                    ("reason", "x"),
                    ("password", "x"),
                    ("notes", "Peserta tertib."),
                ],
            )
            .await
        };
        let status = r.status();
        if route == "GET /proctor/live" {
            // A stream that does not end: its head says enough.
            assert_eq!(status, StatusCode::OK, "{route}");
            assert_eq!(r.headers()["content-type"], "text/event-stream");
            checked += 1;
            continue;
        }
        let body = r.text().await.unwrap();
        if viewer.contains(&route.as_str()) {
            assert_eq!(status, StatusCode::OK, "{route}: {body}");
        } else if writes.contains(&route.as_str()) {
            assert_eq!(status, StatusCode::SEE_OTHER, "{route}: {body}");
        } else {
            assert_eq!(status, StatusCode::FORBIDDEN, "{route}");
            assert!(
                body.contains("read_only") || body.contains("Akun pengawas hanya untuk melihat"),
                "{route}: {body}"
            );
        }
        checked += 1;
    }
    assert!(checked >= 30, "every route was tried: {checked}");
    for r in viewer.iter().chain(&writes) {
        assert!(
            proctor_routes()
                .iter()
                .any(|(m, p)| format!("{m} {p}") == *r),
            "{r} is a route"
        );
    }
    let changes: Vec<(String, String)> = s
        .store
        .audit_tail((audit_len(&s).await - audit_before) as usize)
        .unwrap()
        .into_iter()
        .map(|e| (e.actor, e.action))
        .collect();
    assert_eq!(
        changes,
        [("invigilator".to_string(), "session_notes".to_string())],
        "the invigilator changed nothing but their notes"
    );
    assert_eq!(
        s.room.session_notes("H1S1").unwrap().invigilator,
        "Peserta tertib."
    );
    let (_, v) = api(&part, "GET", format!("{}/api/v1/attempt", s.url), None).await;
    assert_eq!(v["phase"], "in_progress");

    // A new invigilator password ends the invigilator's logins, not the proctor's.
    assert_eq!(
        set("pengawas-baru", "pengawas-baru").await,
        "/proctor/password?ok=invigilator"
    );
    let status = "/proctor/status.json";
    assert_eq!(
        with_cookie(&s, &inv, status).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(with_cookie(&s, &proc_, status).await, StatusCode::OK);
    let inv = proctor_cookie(&s, "pengawas-baru").await;
    // Signing out everywhere ends every login, the proctor's own included.
    let r = post_with(
        &s,
        &proc_,
        "/proctor/sign-out-everywhere",
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(r.headers()["location"], "/proctor");
    for c in [&inv, &proc_] {
        assert_eq!(with_cookie(&s, c, status).await, StatusCode::UNAUTHORIZED);
    }
    // Removed, the invigilator's password no longer logs in.
    let proc_ = proctor_cookie(&s, "rahasia-proktor").await;
    let csrf = csrf_with(&s, &proc_).await;
    let r = post_with(
        &s,
        &proc_,
        "/proctor/invigilator/remove",
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(r.headers()["location"], "/proctor/password?ok=removed");
    let r = client()
        .post(format!("{}/proctor/login", s.url))
        .form(&[("password", "pengawas-baru")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/proctor?e=proctor_password");
    let actions: Vec<(String, String)> = s
        .store
        .audit_tail(40)
        .unwrap()
        .into_iter()
        .map(|e| (e.actor, e.action))
        .collect();
    for (actor, action) in [
        ("proctor", "invigilator_password_set"),
        ("invigilator", "invigilator_login"),
        ("proctor", "signed_out_everywhere"),
        ("proctor", "invigilator_removed"),
    ] {
        assert!(
            actions.iter().any(|(a, x)| a == actor && x == action),
            "{actor} {action}: {actions:?}"
        );
    }
}

/// The rows' action codes of an event log page, top to bottom.
fn event_codes(html: &str) -> Vec<String> {
    html.split("<tr data-code=\"")
        .skip(1)
        .map(|r| r.split('"').next().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn event_log_filters_summaries_csv_and_pages() {
    let s = server(true).await;
    let (a, b) = (client(), client());
    start(&s, &a, 7).await;
    answer_all(&s, &a).await;
    // Saving the same item again is one more save of the same item.
    let (_, item) = api(&a, "GET", format!("{}/api/v1/items/1", s.url), None).await;
    let id = item["item"]["id"].as_str().unwrap().to_string();
    let (st, _) = api(
        &a,
        "PUT",
        format!("{}/api/v1/answers/{id}", s.url),
        Some(json!({"response": right_answer(&item), "doubtful": true, "rev": 2})),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    start(&s, &b, 8).await;
    proctor(&s).await;
    let p = proctor_cookie(&s, "rahasia-proktor").await;
    let csrf = csrf_with(&s, &p).await;
    let r = post_with(
        &s,
        &p,
        "/proctor/participants/DEMO008/reset",
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(r.headers()["location"], "/proctor?ok=1");
    let r = post_with(
        &s,
        &p,
        "/proctor/participants/DEMO007/finish",
        &[("csrf", &csrf), ("reason", "komputer mati")],
    )
    .await;
    assert_eq!(r.headers()["location"], "/proctor?ok=1");

    // Every event, newest first, in Indonesian; eight saves are one line.
    let page = page_with(&s, &p, "/proctor/audit").await;
    let codes = event_codes(&page);
    assert_eq!(
        codes.iter().filter(|c| *c == "answer").count(),
        1,
        "{codes:?}"
    );
    assert!(page.contains("8 kali simpan, 7 soal (DEMO)"), "{page}");
    assert!(page.contains("Paksa selesai") && page.contains("Reset login"));
    assert!(
        page.contains("DEMO007 Gilang Ramadhan"),
        "participants named"
    );
    let stored = s.store.audit_tail(1).unwrap()[0].seq;
    assert!(
        page.contains(&format!("({stored} entri tersimpan di log)")),
        "{page}"
    );
    // The demo board's clock is set: real times in WIB, none estimated.
    assert!(page.contains("Waktu (WIB)") && !page.contains("ev-estimated"));

    // Filters: a participant, a kind, a session.
    let dm8 = event_codes(&page_with(&s, &p, "/proctor/audit?participant=DEMO008").await);
    assert_eq!(
        dm8.first().map(String::as_str),
        Some("reset_login"),
        "{dm8:?}"
    );
    assert!(dm8.iter().all(|c| c != "force_finish"), "{dm8:?}");
    let incidents = event_codes(&page_with(&s, &p, "/proctor/audit?kind=incident").await);
    assert_eq!(incidents, ["force_finish", "reset_login"]);
    let h1 = event_codes(&page_with(&s, &p, "/proctor/audit?session=H1S1&kind=proctor").await);
    assert_eq!(h1, ["force_finish", "reset_login", "open_session"]);
    let r = client()
        .get(format!("{}/proctor/audit?session=NOPE", s.url))
        .header("cookie", &p)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // CSV: the same lines, a header, a byte-order mark for spreadsheets.
    let r = client()
        .get(format!("{}/proctor/audit.csv?participant=DEMO007", s.url))
        .header("cookie", &p)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = r.text().await.unwrap();
    assert!(
        csv.starts_with("\u{feff}#,Waktu (WIB),Oleh,Kejadian,code,Rincian"),
        "{csv}"
    );
    assert!(
        csv.contains(
            "Paksa selesai,force_finish,DEMO007 test DEMO reason: komputer mati (Gilang Ramadhan)"
        ),
        "{csv}"
    );
    assert!(
        csv.contains("Menyimpan jawaban,answer,\"8 kali simpan, 7 soal"),
        "{csv}"
    );
    assert!(!csv.contains("DEMO008"), "{csv}");

    // Nothing dropped: 300 more events are pages of 200, every one reachable, and all on one
    // page to print.
    for i in 0..300 {
        s.store
            .audit_event(
                ruji_store::Actor::System,
                ruji_store::Action::Recovery,
                format!("test {i}"),
            )
            .await
            .unwrap();
    }
    let all = event_codes(&page_with(&s, &p, "/proctor/audit?all=1").await);
    let p1 = event_codes(&page_with(&s, &p, "/proctor/audit").await);
    let p2 = page_with(&s, &p, "/proctor/audit?page=2").await;
    assert_eq!(p1.len(), 200);
    assert_eq!(p1.len() + event_codes(&p2).len(), all.len());
    assert!(all.len() > 300, "{}", all.len());
    assert!(p2.contains("id=\"ev-newer\"") && !p2.contains("id=\"ev-older\""));
}

#[tokio::test]
async fn printables_and_new_login_cards_over_http() {
    let s = server(true).await;
    proctor(&s).await;
    let p = proctor_cookie(&s, "rahasia-proktor").await;
    let csrf = csrf_with(&s, &p).await;
    let get = |path: &'static str| {
        let (s, p) = (&s, p.clone());
        async move {
            client()
                .get(format!("{}{path}", s.url))
                .header("cookie", &p)
                .send()
                .await
                .unwrap()
        }
    };
    // The attendance list: printable HTML, and a PDF.
    let html = get("/proctor/sessions/H1S1/attendance")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("<h1>Daftar Hadir Peserta</h1>") && html.contains("Adi Nugroho"));
    assert!(html.contains("href=\"/proctor/sessions/H1S1/attendance.pdf\""));
    let r = get("/proctor/sessions/H1S1/attendance.pdf").await;
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert!(r.bytes().await.unwrap().starts_with(b"%PDF-"));
    // The session report: the notes typed on its page go onto the paper.
    let r = post_with(
        &s,
        &p,
        "/proctor/sessions/H1S1/notes",
        &[("csrf", &csrf), ("notes", "Listrik padam 5 menit.")],
    )
    .await;
    assert_eq!(
        r.headers()["location"],
        "/proctor/sessions/H1S1/report?ok=1"
    );
    let page = get("/proctor/sessions/H1S1/report")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Listrik padam 5 menit.</textarea>"), "{page}");
    let print = get("/proctor/sessions/H1S1/report/print")
        .await
        .text()
        .await
        .unwrap();
    assert!(print.contains("Berita Acara Pelaksanaan") && print.contains("Listrik padam 5 menit."));
    let r = get("/proctor/sessions/H1S1/report.pdf").await;
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let r = get("/proctor/sessions/NOPE/report").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // New login cards: asked for properly, or refused with what to do.
    let cards = |form: Vec<(&'static str, &'static str)>| {
        let (s, p, csrf) = (&s, p.clone(), csrf.clone());
        async move {
            let mut form = form;
            form.push(("csrf", Box::leak(csrf.into_boxed_str())));
            post_with(s, &p, "/proctor/cards", &form).await
        }
    };
    let r = cards(vec![("participant", "DEMO009"), ("format", "html")]).await;
    assert_eq!(r.headers()["location"], "/proctor/cards?e=not_confirmed");
    let r = cards(vec![
        ("participant", "DEMO009"),
        ("class", "IX-A"),
        ("confirm", "1"),
    ])
    .await;
    assert_eq!(r.headers()["location"], "/proctor/cards?e=cards_choose");
    let r = cards(vec![
        ("participant", "DEMO009"),
        ("confirm", "1"),
        ("format", "html"),
    ])
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let html = r.text().await.unwrap();
    assert!(
        html.contains("data:application/pdf;base64,JVBERi"),
        "the PDF inside the page"
    );
    let big: Vec<&str> = html
        .split("<td class=\"big\">")
        .skip(1)
        .map(|x| x.split('<').next().unwrap())
        .collect();
    assert_eq!(big[0], "DEMO009");
    let new = big[1].to_string();
    assert_eq!(new.len(), 8);
    // The old password is refused; the new one logs in.
    let old = ruji_core::demo::login(9).1;
    let url = format!("{}/api/v1/login", s.url);
    for (pw, want) in [(old, StatusCode::UNAUTHORIZED), (new, StatusCode::OK)] {
        let body = json!({"username": "DEMO009", "password": pw});
        assert_eq!(
            api(&client(), "POST", url.clone(), Some(body)).await.0,
            want
        );
    }
    let r = cards(vec![("class", "IX-B"), ("confirm", "1"), ("format", "pdf")]).await;
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let reissued = s
        .store
        .audit_tail(40)
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "password_reissued")
        .count();
    assert_eq!(reissued, 10, "DEMO009, then the 9 of IX-B");
}

#[tokio::test]
async fn the_demo_lists_every_login_on_the_proctors_page() {
    let s = server(false).await;
    proctor(&s).await;
    let p = proctor_cookie(&s, "rahasia-proktor").await;
    let page = page_with(&s, &p, "/proctor").await;
    assert!(page.contains("id=\"demo-logins\""), "{page}");
    let demo = ruji_core::demo::package();
    for participant in &demo.participants {
        let row = format!(
            "<td>{}</td><td><code>{}</code></td>",
            participant.username, participant.password
        );
        assert!(page.contains(&row), "{row}");
    }
    assert_eq!(page.matches("<code>").count(), demo.participants.len());
}

#[tokio::test]
async fn bulk_reset_and_finish_everyone_from_the_dashboard() {
    let s = server(true).await;
    let (a, b) = (client(), client());
    start(&s, &a, 5).await;
    start(&s, &b, 6).await;
    proctor(&s).await;
    let p = proctor_cookie(&s, "rahasia-proktor").await;
    let csrf = csrf_with(&s, &p).await;
    let page = page_with(&s, &p, "/proctor").await;
    assert!(
        page.contains("form=\"bulk-form\" aria-label=\"Pilih DEMO005\""),
        "{page}"
    );
    let bulk = |form: Vec<(&'static str, &'static str)>| {
        let (s, p, csrf) = (&s, p.clone(), csrf.clone());
        async move {
            let mut form: Vec<(&str, String)> =
                form.into_iter().map(|(k, v)| (k, v.to_string())).collect();
            form.push(("csrf", csrf));
            let r = client()
                .post(format!("{}/proctor/participants/bulk", s.url))
                .header("cookie", &p)
                .form(&form)
                .send()
                .await
                .unwrap();
            r.headers()["location"].to_str().unwrap().to_string()
        }
    };
    assert_eq!(
        bulk(vec![("action", "reset")]).await,
        "/proctor?e=bulk_none"
    );
    assert_eq!(
        bulk(vec![
            ("action", "reset"),
            ("u", "DEMO005"),
            ("u", "DEMO006")
        ])
        .await,
        "/proctor?ok=1"
    );
    let (st, v) = api(&a, "GET", format!("{}/api/v1/attempt", s.url), None).await;
    assert_eq!(
        (st, v["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("logged_out"))
    );
    // Pause all: an answer is refused with 503 "paused" (the page keeps it), the dashboard says
    // so; resume all.
    let pause = |action: &'static str| {
        let (s, p, csrf) = (&s, p.clone(), csrf.clone());
        async move {
            let form = [("csrf", csrf.as_str()), ("action", action)];
            let r = post_with(s, &p, "/proctor/pause", &form).await;
            r.headers()["location"].to_str().unwrap().to_string()
        }
    };
    let c = client();
    start(&s, &c, 7).await;
    assert_eq!(pause("pause").await, "/proctor?ok=1");
    assert!(page_with(&s, &p, "/proctor")
        .await
        .contains("id=\"paused\""));
    let (st, v) = api(
        &c,
        "PUT",
        format!("{}/api/v1/answers/D01", s.url),
        Some(json!({"response": {"choice": "B"}, "doubtful": false, "rev": 1})),
    )
    .await;
    assert_eq!(
        (st, v["error"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("paused"))
    );
    assert_eq!(pause("pause").await, "/proctor?e=pause_state");
    assert_eq!(pause("resume").await, "/proctor?ok=1");
    let (st, _) = api(
        &c,
        "PUT",
        format!("{}/api/v1/answers/D01", s.url),
        Some(json!({"response": {"choice": "B"}, "doubtful": false, "rev": 1})),
    )
    .await;
    assert_eq!(st, StatusCode::OK);

    // Extra time for one participant: 1 to 120 minutes, with a reason.
    let extra = |minutes: &'static str| {
        let (s, p, csrf) = (&s, p.clone(), csrf.clone());
        async move {
            let form = [
                ("csrf", csrf.as_str()),
                ("minutes", minutes),
                ("reason", "PC mati"),
            ];
            let r = post_with(s, &p, "/proctor/participants/DEMO005/extra", &form).await;
            r.headers()["location"].to_str().unwrap().to_string()
        }
    };
    assert_eq!(extra("0").await, "/proctor?e=extra_minutes");
    assert_eq!(extra("10").await, "/proctor?ok=1");
    assert_eq!(
        bulk(vec![("action", "finish_open"), ("reason", "")]).await,
        "/proctor?e=reason_required"
    );
    assert_eq!(
        bulk(vec![
            ("action", "finish_open"),
            ("reason", "Waktu sesi habis")
        ])
        .await,
        "/proctor?ok=1"
    );
    let res = s.store.results("H1S1").unwrap().unwrap();
    for u in ["DEMO005", "DEMO006"] {
        let r = res
            .iter()
            .find(|r| r.username == u && r.test == "DEMO")
            .unwrap();
        assert_eq!(r.state, Outcome::FinishedProctor, "{u}");
        assert_eq!(r.reason.as_deref(), Some("Waktu sesi habis"));
    }
}

/// The next `console` event of a live console stream, as JSON.
async fn next_console(r: &mut reqwest::Response, buf: &mut String) -> Value {
    loop {
        if let Some(end) = buf.find("\n\n") {
            let event: String = buf.drain(..end + 2).collect();
            if event.contains("event: console") {
                let data = event
                    .lines()
                    .find_map(|l| l.strip_prefix("data: "))
                    .expect("a data line");
                return serde_json::from_str(data).unwrap();
            }
            continue;
        }
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), r.chunk())
            .await
            .expect("an event within 10 s")
            .unwrap()
            .expect("the stream goes on");
        buf.push_str(std::str::from_utf8(&chunk).unwrap());
    }
}

#[tokio::test]
async fn the_console_is_pushed_live_over_server_sent_events() {
    let s = server(true).await;
    let p = proctor(&s).await;
    let mut live = p
        .get(format!("{}/proctor/live", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), StatusCode::OK);
    assert_eq!(live.headers()["content-type"], "text/event-stream");
    let mut buf = String::new();
    let first = next_console(&mut live, &mut buf).await;
    let row = |v: &Value, u: &str| {
        v["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["username"] == u)
            .unwrap()
            .clone()
    };
    assert_eq!(first["rows"].as_array().unwrap().len(), 21);
    assert_eq!(row(&first, "DEMO001")["look"], "not_logged_in");
    assert_eq!(first["map"].as_array().unwrap().len(), 21, "a tile each");
    assert_eq!(first["counts"], json!([21, 0, 0]));

    // A participant logs in and starts: the stream says so by itself.
    let c = client();
    start(&s, &c, 1).await;
    let mut seen = first;
    for _ in 0..10 {
        if row(&seen, "DEMO001")["look"] == "working" {
            break;
        }
        seen = next_console(&mut live, &mut buf).await;
    }
    let r1 = row(&seen, "DEMO001");
    assert_eq!(
        (r1["look"].clone(), r1["label"].clone()),
        (json!("working"), json!("Mengerjakan"))
    );
    assert_eq!(seen["counts"], json!([20, 1, 0]));

    // A second tab of this computer follows too; a third is told to poll.
    let second = p
        .get(format!("{}/proctor/live", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), StatusCode::OK);
    let third = p
        .get(format!("{}/proctor/live", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(third.status(), StatusCode::SERVICE_UNAVAILABLE);
    let v: Value = third.json().await.unwrap();
    assert_eq!(v["error"], "live_busy");
    drop(second);

    // Without a proctor's login: no stream.
    let r = client()
        .get(format!("{}/proctor/live", s.url))
        .send()
        .await
        .unwrap();
    assert_ne!(r.status(), StatusCode::OK);
}
