//! The board's settings and notices, end to end on the release binary over real sockets:
//!
//! - a broken `ruji.toml` never stops Ruji: it starts on the last good settings, logs the error
//!   with its line and column, and the proctor page shows a banner saying what to do;
//! - recovery (the simulated button held at power-on) resets the proctor password and puts the
//!   LAN defaults in force until ruji.toml is changed;
//! - the developer page of the simulated panel shows the LED and presses the button through the
//!   same gesture path as a real one, and a closed session whose results were not downloaded
//!   raises the "not backed up" attention (LED and dashboard) until they are;
//! - `[central]` in ruji.toml: the board fetches a session's release code from `ruji central`
//!   (over TLS, with the school's CA from ruji.toml) once the session's time has come.
//!
//! Needs `RUJI_BIN`, a `ruji` binary: ignored in a plain `cargo test`, run by scripts/test with
//! `--ignored` (without `RUJI_BIN` it fails saying so). Loopback only.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ruji_e2e::{free_port, http_client, wait_ready, Api, SESSION, TOKEN};
use serde_json::Value;

const PASSWORD: &str = "rahasia-proktor";

/// Collects what a child process writes to `r`, as it comes.
fn collect(mut r: Box<dyn Read + Send>) -> Arc<Mutex<String>> {
    let buf = Arc::new(Mutex::new(String::new()));
    let b = buf.clone();
    std::thread::spawn(move || {
        let mut chunk = [0u8; 4096];
        while let Ok(n) = r.read(&mut chunk) {
            if n == 0 {
                break;
            }
            b.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&chunk[..n]));
        }
    });
    buf
}

/// A running `ruji serve`, killed on drop, with its stdout and stderr collected.
struct Server {
    child: Child,
    base: String,
    out: Arc<Mutex<String>>,
    err: Arc<Mutex<String>>,
}

impl Server {
    async fn start(bin: &str, data: &Path, extra: &[&str]) -> Server {
        let port = free_port().unwrap();
        let mut child = Command::new(bin)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data"])
            .arg(data)
            .args(extra)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = collect(Box::new(child.stdout.take().unwrap()));
        let err = collect(Box::new(child.stderr.take().unwrap()));
        let base = format!("http://127.0.0.1:{port}");
        if let Err(e) = wait_ready(&base, Duration::from_secs(30)).await {
            panic!("{e}\n{}{}", out.lock().unwrap(), err.lock().unwrap());
        }
        Server {
            child,
            base,
            out,
            err,
        }
    }

    /// Waits for `what` on stdout (the banner is printed once the server listens).
    async fn stdout_line(&self, what: &str) -> String {
        let t0 = Instant::now();
        loop {
            if let Some(line) = self.out.lock().unwrap().lines().find(|l| l.contains(what)) {
                return line.to_string();
            }
            assert!(
                t0.elapsed() < Duration::from_secs(10),
                "no {what:?} in stdout"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The setup code from the banner's last "setup code:" line.
    async fn setup_code(&self) -> String {
        self.stdout_line("setup code: ").await;
        let out = self.out.lock().unwrap().clone();
        out.lines()
            .rev()
            .find_map(|l| l.split("setup code: ").nth(1))
            .unwrap()
            .trim()
            .to_string()
    }

    /// Everything the server wrote: the banner (stdout), the log and the simulated LED
    /// (stderr).
    fn log(&self) -> String {
        format!("{}{}", self.out.lock().unwrap(), self.err.lock().unwrap())
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A proctor's browser, logged in (first setup with `code`, or the password).
async fn proctor(s: &Server, code: Option<&str>) -> reqwest::Client {
    let c = http_client(Duration::from_secs(10));
    let r = match code {
        Some(code) => c.post(format!("{}/proctor/setup", s.base)).form(&[
            ("code", code),
            ("password", PASSWORD),
            ("password2", PASSWORD),
        ]),
        None => c
            .post(format!("{}/proctor/login", s.base))
            .form(&[("password", PASSWORD)]),
    };
    let r = r.send().await.unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"dashboard\""), "logged in:\n{html}");
    c
}

async fn page(c: &reqwest::Client, url: String, lang: &str) -> String {
    c.get(url)
        .header("accept-language", lang)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn json(c: &reqwest::Client, url: String) -> Value {
    let r = c.get(url).send().await.unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    r.json().await.unwrap()
}

fn csrf(html: &str) -> String {
    let i = html.find("name=\"csrf\" value=\"").expect("a form") + 19;
    html[i..i + 32].to_string()
}

fn workdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ruji-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

const GOOD: &str = "# sekolah\n[lan]\naddress = \"10.1.2.200/24\"\nseats_first = \"10.1.2.1\"\nseats_last = \"10.1.2.15\"\n\n[token]\nrotate_minutes = 7\ngrace_minutes = 2\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs RUJI_BIN, a release build of ruji: scripts/test runs it"]
async fn a_broken_ruji_toml_runs_on_the_last_good_settings_and_says_so() {
    let bin = ruji_e2e::ruji_bin().display().to_string();
    let dir = workdir("settings");
    let (data, toml) = (dir.join("data"), dir.join("ruji.toml"));
    std::fs::write(&toml, GOOD).unwrap();
    let cfg = ["--config", toml.to_str().unwrap()];

    // A good file: used, and kept as the last good copy.
    let s = Server::start(&bin, &data, &cfg).await;
    let p = proctor(&s, Some(&s.setup_code().await)).await;
    let html = page(&p, format!("{}/proctor", s.base), "id").await;
    assert!(!html.contains("id=\"settings-error\""));
    assert!(
        html.contains("10.1.2.200/24") && html.contains("7 menit"),
        "{html}"
    );
    assert_eq!(
        std::fs::read_to_string(data.join("ruji.toml.last-good")).unwrap(),
        GOOD
    );
    // Without --panel sim there is no developer page.
    let r = p.get(format!("{}/dev/panel", s.base)).send().await.unwrap();
    assert_eq!(r.status(), 404);
    s.stop();

    // Broken (a seat outside the subnet, line 5 column 14): Ruji starts anyway.
    let broken = GOOD.replace("seats_last = \"10.1.2.15\"", "seats_last = \"10.1.9.15\"");
    std::fs::write(&toml, &broken).unwrap();
    let mut args = cfg.to_vec();
    args.extend(["--open-session", SESSION, "--token", TOKEN]);
    let s = Server::start(&bin, &data, &args).await;
    let p = proctor(&s, None).await;
    let html = page(&p, format!("{}/proctor", s.base), "id").await;
    assert!(html.contains("id=\"settings-error\""), "{html}");
    assert!(html.contains("baris 5, kolom 14"), "{html}");
    assert!(
        html.contains("seats_last 10.1.9.15 is outside the room&#x27;s subnet 10.1.2.200/24")
            || html.contains("seats_last 10.1.9.15 is outside the room&#39;s subnet 10.1.2.200/24"),
        "{html}"
    );
    assert!(html.contains("pengaturan terakhir yang benar"), "{html}");
    assert!(html.contains("partisi RUJI-BOOT"), "what to do: {html}");
    // The last good settings are in force: its address, and its 7-minute token rotation.
    assert!(
        html.contains("10.1.2.200/24") && html.contains("7 menit"),
        "{html}"
    );
    let st = json(&p, format!("{}/proctor/status.json", s.base)).await;
    let rotates = st["token"]["rotates_in_ms"].as_u64().unwrap();
    assert!(
        rotates <= 7 * 60_000 && rotates > 6 * 60_000,
        "7 min: {rotates}"
    );
    let en = page(&p, format!("{}/proctor", s.base), "en").await;
    assert!(en.contains("line 5, column 14"), "{en}");
    assert!(en.contains("last settings that were correct"), "{en}");
    // The log says it too, with the place.
    let log = s.log();
    assert!(log.contains("ruji.toml has an error"), "{log}");
    assert!(log.contains("line=5") && log.contains("column=14"), "{log}");
    // The broken file never replaces the good copy.
    assert_eq!(
        std::fs::read_to_string(data.join("ruji.toml.last-good")).unwrap(),
        GOOD
    );
    s.stop();

    // Unparseable TOML with no good copy: the defaults, and the syntax error's place.
    std::fs::remove_file(data.join("ruji.toml.last-good")).unwrap();
    std::fs::write(&toml, "[lan]\naddress = 10.1.2.200\n").unwrap();
    let s = Server::start(&bin, &data, &cfg).await;
    let p = proctor(&s, None).await;
    let html = page(&p, format!("{}/proctor", s.base), "id").await;
    assert!(html.contains("baris 2"), "{html}");
    assert!(html.contains("pengaturan bawaan"), "{html}");
    assert!(html.contains("192.168.0.200/24"), "{html}");
    s.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs RUJI_BIN, a release build of ruji: scripts/test runs it"]
async fn recovery_resets_the_proctor_and_the_lan_until_ruji_toml_changes() {
    let bin = ruji_e2e::ruji_bin().display().to_string();
    let dir = workdir("recovery");
    let (data, toml) = (dir.join("data"), dir.join("ruji.toml"));
    std::fs::write(&toml, GOOD).unwrap();
    let cfg = ["--config", toml.to_str().unwrap(), "--panel", "sim"];
    let s = Server::start(&bin, &data, &cfg).await;
    proctor(&s, Some(&s.setup_code().await)).await;
    s.stop();

    // Held at power-on.
    let mut held = cfg.to_vec();
    held.push("--sim-held-at-start");
    let s = Server::start(&bin, &data, &held).await;
    let line = s.stdout_line("new proctor setup code").await;
    let code = line.split(": ").last().unwrap().trim().to_string();
    assert!(data.join("lan-defaults").exists());
    let c = http_client(Duration::from_secs(10));
    let r = c
        .post(format!("{}/proctor/login", s.base))
        .form(&[("password", PASSWORD)])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        r.contains("name=\"code\""),
        "the old password is gone; the setup form asks for the new code"
    );
    let p = proctor(&s, Some(&code)).await;
    let html = page(&p, format!("{}/proctor", s.base), "id").await;
    assert!(html.contains("id=\"lan-defaults\""), "{html}");
    assert!(html.contains("192.168.0.200/24"), "{html}");
    assert!(!html.contains("10.1.2.200/24"), "{html}");
    assert!(html.contains("7 menit"), "only the LAN is reset: {html}");
    let audit = page(&p, format!("{}/proctor/audit", s.base), "id").await;
    assert!(audit.contains("recovery"), "{audit}");
    assert!(s.log().contains("recovery"), "logged");
    s.stop();

    // Next power-on, file unchanged: the defaults still hold.
    let s = Server::start(&bin, &data, &cfg).await;
    let p = proctor(&s, None).await;
    let html = page(&p, format!("{}/proctor", s.base), "id").await;
    assert!(html.contains("id=\"lan-defaults\""), "{html}");
    s.stop();

    // The school edits ruji.toml: its LAN settings apply again.
    std::fs::write(&toml, GOOD.replace("10.1.2.200/24", "10.1.2.201/24")).unwrap();
    let s = Server::start(&bin, &data, &cfg).await;
    let p = proctor(&s, None).await;
    let html = page(&p, format!("{}/proctor", s.base), "id").await;
    assert!(!html.contains("id=\"lan-defaults\""), "{html}");
    assert!(html.contains("10.1.2.201/24"), "{html}");
    assert!(!data.join("lan-defaults").exists());
    s.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs RUJI_BIN, a release build of ruji: scripts/test runs it"]
async fn dev_panel_page_and_the_not_backed_up_attention() {
    let bin = ruji_e2e::ruji_bin().display().to_string();
    let dir = workdir("devpanel");
    let data = dir.join("data");
    let s = Server::start(
        &bin,
        &data,
        &[
            "--panel",
            "sim",
            "--open-session",
            SESSION,
            "--token",
            TOKEN,
        ],
    )
    .await;
    let p = proctor(&s, Some(&s.setup_code().await)).await;
    let dev = http_client(Duration::from_secs(10));
    let html = page(&dev, format!("{}/dev/panel", s.base), "id").await;
    assert!(html.contains("id=\"sim-led\"") && html.contains("/dev/panel.json"));
    // The machine running this test may itself be short of disk space: then the board rightly
    // says so too, by the same rule, before and after everything below.
    let disk = ruji_sys::disk_space(&data).unwrap();
    let disk_att: Vec<&str> = if ruji_room::health::disk_nearly_full(&disk) {
        eprintln!("this machine's disk is nearly full ({disk:?}): the board says so too");
        vec!["disk_nearly_full"]
    } else {
        vec![]
    };
    let t0 = Instant::now();
    loop {
        let v = json(&dev, format!("{}/dev/panel.json", s.base)).await;
        assert_eq!(v["button"], "simulated");
        if disk_att.is_empty() && v["state"] == "session_open"
            || !disk_att.is_empty() && v["attention"] == serde_json::json!(disk_att)
        {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(10), "{v}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // A participant takes the test; the proctor force-finishes and closes the session.
    let api = Api::new(&s.base, Duration::from_secs(10)).unwrap();
    api.login_and_start(1, TOKEN).await.unwrap();
    let dash = page(&p, format!("{}/proctor", s.base), "id").await;
    let token = csrf(&dash);
    let u = ruji_e2e::username(1);
    for (url, form) in [
        (
            format!("{}/proctor/participants/{u}/finish", s.base),
            vec![("csrf", token.as_str()), ("reason", "uji")],
        ),
        (
            format!("{}/proctor/sessions/{SESSION}/close", s.base),
            vec![("csrf", token.as_str())],
        ),
    ] {
        let html = p
            .post(url)
            .form(&form)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("class=\"ok\""), "{html}");
    }
    // Within the 2 s watch: the LED shows attention, the dashboard lists why.
    let t0 = Instant::now();
    let view = loop {
        let v = json(&dev, format!("{}/dev/panel.json", s.base)).await;
        if v["attention"]
            .as_array()
            .is_some_and(|a| a.iter().any(|a| a == "not_backed_up"))
        {
            break v;
        }
        assert!(t0.elapsed() < Duration::from_secs(10), "no attention: {v}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(view["state"], "attention", "{view}");
    let with_backup: Vec<&str> = disk_att.iter().copied().chain(["not_backed_up"]).collect();
    assert_eq!(view["attention"], serde_json::json!(with_backup));
    let st = json(&p, format!("{}/proctor/status.json", s.base)).await;
    assert_eq!(st["attention"], serde_json::json!(with_backup));
    let html = page(&p, format!("{}/proctor", s.base), "id").await;
    assert!(html.contains("id=\"att-not_backed_up\""), "{html}");
    assert!(html.contains("Hasil belum dicadangkan"), "{html}");
    assert!(html.contains(&format!("/proctor/results/{SESSION}.json")));

    // The proctor downloads the results: the attention goes.
    let r = p
        .get(format!("{}/proctor/results/{SESSION}.json", s.base))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let t0 = Instant::now();
    loop {
        let v = json(&dev, format!("{}/dev/panel.json", s.base)).await;
        if v["attention"] == serde_json::json!(disk_att) {
            let want = if disk_att.is_empty() {
                "ready"
            } else {
                "attention"
            };
            assert_eq!(v["state"], want, "{v}");
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "attention stays: {v}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let html = page(&p, format!("{}/proctor", s.base), "id").await;
    assert!(!html.contains("id=\"att-not_backed_up\""), "{html}");
    assert_eq!(
        html.contains("id=\"attention\""),
        !disk_att.is_empty(),
        "{html}"
    );

    // The page's buttons: a press is a gesture of the real recogniser...
    let r = dev
        .post(format!("{}/dev/panel/press", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "the X-Ruji-Dev header is required");
    let r = dev
        .post(format!("{}/dev/panel/press", s.base))
        .header("X-Ruji-Dev", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let t0 = Instant::now();
    loop {
        let v = json(&dev, format!("{}/dev/panel.json", s.base)).await;
        if v["gestures"] == 1 {
            assert_eq!(v["last_gesture"], "confirm");
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(10), "no gesture: {v}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // ...and a hold shuts Ruji down safely.
    let t0 = Instant::now();
    let r = dev
        .post(format!("{}/dev/panel/hold", s.base))
        .header("X-Ruji-Dev", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let mut s = s;
    let status = loop {
        if let Some(st) = s.child.try_wait().unwrap() {
            break st;
        }
        assert!(t0.elapsed() < Duration::from_secs(30), "did not shut down");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(status.success(), "{status}");
    assert!(
        t0.elapsed() >= Duration::from_secs(3),
        "a hold, not a press"
    );
    // The stderr reader may still be draining.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(s.log().contains("aman dicabut"), "{}", s.log());
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs `ruji <args>` to completion; panics with its output when it fails.
fn run_ok(bin: &str, args: &[&str]) -> String {
    let out = Command::new(bin).args(args).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "ruji {args:?}: {text}");
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs RUJI_BIN, a release build of ruji: scripts/test runs it"]
async fn online_release_from_ruji_central() {
    let bin = ruji_e2e::ruji_bin().display().to_string();
    let dir = workdir("central");
    let s = |p: &Path| p.to_str().unwrap().to_string();
    // The issuer: a key, and the example package with S1 long past and S2 far ahead (2099).
    let key = dir.join("penerbit.key");
    run_ok(&bin, &["keygen", "--out", &s(&key)]);
    let public = std::fs::read_to_string(dir.join("penerbit.key.pub")).unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../firmware/import/tests/fixtures/native/contoh");
    let folder = dir.join("contoh");
    let st = Command::new("cp")
        .arg("-r")
        .arg(&src)
        .arg(&folder)
        .status()
        .unwrap();
    assert!(st.success());
    let toml = std::fs::read_to_string(folder.join("paket.toml")).unwrap();
    let toml = toml
        .replacen("day = \"2026-12-01\"", "day = \"2000-01-03\"", 1)
        .replacen("day = \"2026-12-01\"", "day = \"2099-01-01\"", 1);
    std::fs::write(folder.join("paket.toml"), toml).unwrap();
    let pkgs = dir.join("paket");
    std::fs::create_dir_all(&pkgs).unwrap();
    let pkg = pkgs.join("contoh.rujipkg");
    run_ok(
        &bin,
        &["pack", &s(&folder), "--key", &s(&key), "-o", &s(&pkg)],
    );

    // The board's identity exists before it starts, so the issuer can register it.
    let data = dir.join("data");
    let board = ruji_package::device::DeviceKey::load_or_create(&data).unwrap();
    std::fs::write(
        dir.join("boards.txt"),
        format!("{} SMPN 1 ruang 1\n", board.public()),
    )
    .unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into()]).unwrap();
    std::fs::write(dir.join("cert.pem"), cert.cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), cert.signing_key.serialize_pem()).unwrap();

    // `ruji central` over TLS.
    let port = free_port().unwrap();
    let mut central = Command::new(&bin)
        .args(["central", "--key", &s(&key), "--packages", &s(&pkgs)])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args([
            "--tls-cert",
            &s(&dir.join("cert.pem")),
            "--tls-key",
            &s(&dir.join("key.pem")),
        ])
        .args(["--devices", &s(&dir.join("boards.txt"))])
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let central_log = collect(Box::new(central.stderr.take().unwrap()));
    let t0 = Instant::now();
    while !central_log
        .lock()
        .unwrap()
        .contains("ruji central listening")
    {
        if let Ok(Some(st)) = central.try_wait() {
            let mut out = String::new();
            central
                .stdout
                .take()
                .unwrap()
                .read_to_string(&mut out)
                .unwrap();
            panic!(
                "ruji central exited {st}: {out}{}",
                central_log.lock().unwrap()
            );
        }
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "ruji central did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(central_log.lock().unwrap().contains("PAS-2026-IX-CONTOH"));

    // The board: ruji.toml names the central server and its own CA.
    let cfg = dir.join("ruji.toml");
    std::fs::write(
        &cfg,
        format!(
            "[central]\nurl = \"https://127.0.0.1:{port}\"\nca = \'\'\'\n{}\'\'\'\n",
            cert.cert.pem()
        ),
    )
    .unwrap();
    let srv = Server::start(
        &bin,
        &data,
        &["--config", &s(&cfg), "--trust-issuer", public.trim()],
    )
    .await;
    let p = proctor(&srv, Some(&srv.setup_code().await)).await;
    let html = page(&p, format!("{}/proctor/package", srv.base), "id").await;
    let token = csrf(&html);
    let form = reqwest::multipart::Form::new()
        .text("csrf", token.clone())
        .part(
            "package",
            reqwest::multipart::Part::bytes(std::fs::read(&pkg).unwrap())
                .file_name("contoh.rujipkg"),
        );
    let r = p
        .post(format!("{}/proctor/package/upload", srv.base))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert!(
        r.url().as_str().ends_with("ok=imported"),
        "{}",
        r.text().await.unwrap()
    );
    let html = r.text().await.unwrap();
    assert!(
        html.contains(&format!("https://127.0.0.1:{port}")),
        "{html}"
    );

    // S1 (long past): released from the central server.
    let r = p
        .post(format!("{}/proctor/package/central", srv.base))
        .form(&[("csrf", token.as_str()), ("session", "S1")])
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(
        html.contains("diambil dari server pusat"),
        "{html}\n{}",
        srv.log()
    );
    // S2 (in 2099): refused with the time the issuer releases it, 18 hours before 10:00 WIB.
    let r = p
        .post(format!("{}/proctor/package/central", srv.base))
        .form(&[("csrf", token.as_str()), ("session", "S2")])
        .send()
        .await
        .unwrap();
    let code = r.status();
    let html = r.text().await.unwrap();
    assert_eq!(code, 422, "{html}");
    assert!(html.contains("2098-12-31 16:00 +07:00"), "{html}");
    let status = json(&p, format!("{}/proctor/package/report.json", srv.base)).await;
    let sessions = status["sessions"].as_array().unwrap();
    assert!(sessions[0]["released_at"].is_u64(), "{status}");
    assert!(sessions[1]["released_at"].is_null(), "{status}");

    // The central server logged both, with the board's short id.
    let log = central_log.lock().unwrap().clone();
    assert!(
        log.contains("release code given") && log.contains(&board.id()),
        "{log}"
    );
    assert!(
        log.contains("release refused") && log.contains("too_early"),
        "{log}"
    );
    srv.stop();
    let _ = central.kill();
    let _ = central.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
