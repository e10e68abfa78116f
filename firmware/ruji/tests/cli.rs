//! The package subcommands as a teacher runs them: `import --check --json` on every kind of
//! input (exit 0 clean or with warnings only, 1 with errors, the documented JSON shape), and
//! keygen -> pack -> verify -> release-code.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn ruji(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ruji"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("ruji runs")
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../import/tests/fixtures")
}

fn check(path: &Path) -> (i32, Value) {
    let out = ruji(
        &["import", "--check", path.to_str().unwrap(), "--json"],
        Path::new("."),
    );
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().unwrap(), v)
}

#[test]
fn import_check_reports_every_format() {
    let f = fixtures();
    let (code, v) = check(&f.join("native/contoh"));
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["format"], "native");
    assert_eq!(v["tests"], 2);
    assert_eq!(v["participants"], 4);
    assert_eq!(v["errors"], Value::Array(vec![]));
    let types: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["type"].as_str().unwrap())
        .collect();
    for t in [
        "multiple_choice",
        "complex_multiple_choice",
        "matching",
        "short_answer",
        "essay",
    ] {
        assert!(types.contains(&t), "{t} in {types:?}");
    }
    assert!(v["items"][0]["id"].is_string());

    let (code, v) = check(&f.join("gift/soal.gift"));
    assert_eq!((code, v["format"].as_str()), (0, Some("gift")), "{v}");
    assert!(v["items"].as_array().unwrap().len() >= 6);

    let (code, v) = check(&f.join("gift/rusak.gift"));
    assert_eq!(code, 1);
    let errors = v["errors"].as_array().unwrap();
    assert!(!errors.is_empty());
    assert!(
        errors
            .iter()
            .all(|e| e["where"].as_str().unwrap().starts_with("rusak.gift:")
                && e["message"].is_string()),
        "{v}"
    );

    let (code, v) = check(&f.join("qti/package"));
    assert_eq!((code, v["format"].as_str()), (0, Some("qti")), "{v}");
    assert_eq!(v["items"].as_array().unwrap().len(), 3);
    let (code, v) = check(&f.join("qti/items/match.xml"));
    assert_eq!(
        (code, v["items"][0]["type"].as_str()),
        (0, Some("matching")),
        "{v}"
    );
    let (code, v) = check(&f.join("qti/bad/hotspot.xml"));
    assert_eq!(code, 1, "{v}");

    let (code, v) = check(&f.join("participants/semicolon_bom.csv"));
    assert_eq!((code, v["format"].as_str()), (0, Some("csv")), "{v}");
    assert!(v["participants"].as_u64().unwrap() > 0);
    assert_eq!(v["tests"], 0);

    let (code, v) = check(&f.join("nothing-here.pdf"));
    assert_eq!((code, v["format"].as_str()), (1, Some("unknown")), "{v}");
}

#[test]
fn keygen_pack_verify_release_code() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let contoh = fixtures().join("native/contoh");
    let out = ruji(&["keygen", "--out", "sekolah.key"], d);
    assert!(out.status.success(), "{out:?}");
    let public = std::fs::read_to_string(d.join("sekolah.key.pub")).unwrap();
    assert!(public.starts_with("ruji-pk:"));
    // A key is never overwritten.
    assert!(!ruji(&["keygen", "--out", "sekolah.key"], d)
        .status
        .success());

    let out = ruji(
        &[
            "pack",
            contoh.to_str().unwrap(),
            "--key",
            "sekolah.key",
            "-o",
            "ujian.rujipkg",
        ],
        d,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cards = std::fs::read_to_string(d.join("ujian.kartu-login.csv")).unwrap();
    assert!(cards.contains("Ani Lestari") && cards.contains("TKJ7MR2Q"));
    // The cards to print, eight to an A4 page, beside the list; the package holds only hashes.
    let pdf = std::fs::read(d.join("ujian.kartu-login.pdf")).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let html = std::fs::read_to_string(d.join("ujian.kartu-login.html")).unwrap();
    assert!(html.contains("Ani Lestari") && html.contains("TKJ7MR2Q"));
    let zip = std::fs::read(d.join("ujian.rujipkg")).unwrap();
    let files = ruji_package::safezip::read(&zip, &Default::default()).unwrap();
    let listed = String::from_utf8(files.files["participants.json"].clone()).unwrap();
    assert!(listed.contains("$argon2id$") && !listed.contains("TKJ7MR2Q"));

    let out = ruji(
        &["verify", "ujian.rujipkg", "--trust", "sekolah.key.pub"],
        d,
    );
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("PAS-2026-IX-CONTOH"));
    ruji(&["keygen", "--out", "lain.key"], d);
    let out = ruji(&["verify", "ujian.rujipkg", "--trust", "lain.key.pub"], d);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not trust"));

    let out = ruji(
        &["release-code", "ujian.rujipkg", "--key", "sekolah.key"],
        d,
    );
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    for (line, session) in lines.iter().zip(["S1", "S2"]) {
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols[0], session);
        assert!(ruji_package::release::decode(cols[1]).is_ok(), "{line}");
    }
    // Another key cannot produce codes for this package.
    let out = ruji(
        &[
            "release-code",
            "ujian.rujipkg",
            "--key",
            "lain.key",
            "--session",
            "S1",
        ],
        d,
    );
    assert!(!out.status.success());

    // A damaged input writes nothing.
    let out = ruji(
        &[
            "pack",
            fixtures().join("gift/rusak.gift").to_str().unwrap(),
            "--key",
            "sekolah.key",
            "--id",
            "X",
            "--title",
            "X",
            "-o",
            "rusak.rujipkg",
        ],
        d,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(!d.join("rusak.rujipkg").exists());
}

#[test]
fn warnings_only_check_passes_and_pack_goes_on() {
    let gift = fixtures().join("gift/bobot.gift");
    let out = ruji(
        &["import", "--check", gift.to_str().unwrap(), "--json"],
        Path::new("."),
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    // The documented field order: format, tests, items, participants, errors, warnings.
    let raw = String::from_utf8_lossy(&out.stdout).into_owned();
    let at = |k: &str| {
        raw.find(&format!("\"{k}\":"))
            .unwrap_or_else(|| panic!("{k} in {raw}"))
    };
    let order: Vec<usize> = [
        "format",
        "tests",
        "items",
        "participants",
        "errors",
        "warnings",
    ]
    .iter()
    .map(|k| at(k))
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{raw}");
    let v: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(v["format"], "gift");
    assert_eq!(v["items"].as_array().unwrap().len(), 2, "{v}");
    assert_eq!(v["errors"], Value::Array(vec![]));
    let warnings = v["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 2, "{v}");
    assert_eq!(warnings[0]["where"], "bobot.gift:3");
    assert!(
        warnings[0]["message"]
            .as_str()
            .unwrap()
            .contains("count the same here (imported)"),
        "{v}"
    );
    assert_eq!(warnings[1]["where"], "bobot.gift:5");

    // The text form lists them under a "warnings" heading, and still exits 0.
    let out = ruji(
        &["import", "--check", gift.to_str().unwrap()],
        Path::new("."),
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let heading = text.find("warnings").unwrap_or_else(|| panic!("{text}"));
    assert!(text[heading..].contains("bobot.gift:3: "), "{text}");
    assert!(!text.contains("block packing"), "{text}");

    // A clean check has an empty warnings list too.
    let (code, v) = check(&fixtures().join("gift/soal.gift"));
    assert_eq!((code, &v["warnings"]), (0, &Value::Array(vec![])), "{v}");

    // Packing goes on: the warnings go to stderr, the package is written.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(ruji(&["keygen", "--out", "sekolah.key"], d)
        .status
        .success());
    let out = ruji(
        &[
            "pack",
            gift.to_str().unwrap(),
            "--key",
            "sekolah.key",
            "--id",
            "BOBOT",
            "--title",
            "Bobot",
            "-o",
            "bobot.rujipkg",
        ],
        d,
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("warning") && stderr.contains("bobot.gift:5: option B gives 50%"),
        "{stderr}"
    );
    assert!(d.join("bobot.rujipkg").exists());
    let out = ruji(
        &["verify", "bobot.rujipkg", "--trust", "sekolah.key.pub"],
        d,
    );
    assert!(out.status.success(), "{out:?}");
}

/// Standard output carries only what a command prints: `ruji serve`'s banner, never a log line
/// (which would break a script reading the banner, or a `--json` result); the log goes to
/// standard error.
#[test]
fn serve_prints_its_banner_on_stdout_and_logs_on_stderr() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ruji"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(dir.path().join("data"))
        .env("RUST_LOG", "info")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The banner ends with the demo logins; read until it is all there.
    let mut stdout = child.stdout.take().unwrap();
    let mut out = String::new();
    let start = std::time::Instant::now();
    while !out.contains("DEMO004") {
        let mut buf = [0u8; 4096];
        let n = stdout.read(&mut buf).unwrap();
        assert!(
            n > 0 && start.elapsed() < std::time::Duration::from_secs(60),
            "no banner: {out}"
        );
        out.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(out.contains("setup code: "), "{out}");
    assert!(
        !out.contains(" INFO ") && !out.contains(" WARN "),
        "a log line on stdout: {out}"
    );
    assert!(err.contains(" INFO "), "the log is on stderr: {err}");
}
