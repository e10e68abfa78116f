//! `ruji results report` as a teacher runs it on bundles copied from the boards: each file is
//! verified first (a changed file stops the report), bundles of another package are refused,
//! and the report goes to stdout or --out in the format asked for.

use std::path::Path;
use std::process::{Command, Output};

use ruji_core::attempt::Outcome;
use ruji_core::package::{ItemType, TestKind};
use ruji_core::response::Response;
use ruji_package::bundle::{
    self, AnswerResult, AttemptResult, BoardRef, Bundle, ItemShape, PackageRef, ParticipantResult,
    SessionRef, TestShape,
};
use ruji_package::device::DeviceKey;

fn ruji(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ruji"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("ruji runs")
}

/// A session's bundle from a board: one participant per (username, choice) on one item.
fn bundle_file(dir: &Path, file: &str, session: &str, package: &str, who: &[(&str, &str)]) {
    let keydir = tempfile::tempdir().unwrap();
    let key = DeviceKey::load_or_create(keydir.path()).unwrap();
    let b = Bundle {
        format: bundle::FORMAT.into(),
        version: bundle::VERSION,
        generated_by: "Ruji test".into(),
        board: BoardRef {
            id: key.id(),
            key: key.public(),
        },
        package: PackageRef {
            id: package.into(),
            title: "Penilaian Harian".into(),
            issuer: "SMP Negeri 1 Contoh".into(),
            issuer_key: "ruji-pk:issuer".into(),
            nonce: "n".into(),
        },
        session: SessionRef {
            id: session.into(),
            name: format!("Sesi {session}"),
            day: "2026-12-01".into(),
            start: "07:30".into(),
            open: false,
            opened_at_ms: Some(0),
            closed_at_ms: Some(1),
        },
        as_of_seq: 10,
        tests: vec![TestShape {
            id: "MTK".into(),
            name: "Matematika".into(),
            kind: TestKind::Scored,
            duration_minutes: 30,
            items: vec![ItemShape {
                id: "M1".into(),
                item_type: ItemType::MultipleChoice,
                points: 2,
                options: vec!["A".into(), "B".into()],
            }],
        }],
        participants: who
            .iter()
            .map(|(u, c)| ParticipantResult {
                username: u.to_string(),
                name: format!("Nama {u}"),
                class: "VIII-B".into(),
                reserve: false,
                reserve_active: false,
                resets: 0,
                attempts: vec![AttemptResult {
                    test: "MTK".into(),
                    state: Outcome::FinishedParticipant,
                    reason: None,
                    started_at_ms: Some(0),
                    finished_at_ms: Some(600_000),
                    time_used_ms: 600_000,
                    time_limit_ms: 1_800_000,
                    score: if *c == "A" { 2000 } else { 0 },
                    max_score: 2000,
                    answers: vec![AnswerResult {
                        item: "M1".into(),
                        response: Some(Response::Choice(c.to_string())),
                        doubtful: false,
                        saved_at_ms: Some(1),
                        seq: Some(1),
                        rev: 1,
                        score: Some(if *c == "A" { 2000 } else { 0 }),
                    }],
                }],
            })
            .collect(),
        events: Default::default(),
    };
    std::fs::write(dir.join(file), bundle::seal(&b, &key)).unwrap();
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn reports_from_two_boards_in_each_format() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    bundle_file(d, "s1.rujihasil", "S1", "PH-1", &[("U1", "A"), ("U2", "B")]);
    bundle_file(d, "s2.rujihasil", "S2", "PH-1", &[("U3", "A")]);
    let both = ["s1.rujihasil", "s2.rujihasil"];

    // CSV: the scores by default, to stdout; the messages on stderr.
    let mut args = vec!["results", "report"];
    args.extend(both);
    args.extend(["--format", "csv"]);
    let out = ruji(&args, d);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("Tes,Nama tes,Username,Nama,Kelas,Sesi,Papan,PG,"));
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(lines[1].starts_with("MTK,Matematika,U1,Nama U1,VIII-B,S1,"));
    assert!(lines[3].contains(",S2,"));
    assert!(text(&out.stderr).contains("2 bundle(s), 3 participant(s)"));

    // Another part.
    args.extend(["--part", "items"]);
    let out = ruji(&args, d);
    assert!(out.status.success());
    let items = text(&out.stdout);
    assert!(items.contains("A: 2 · B: 1 · kosong: 0"), "{items}");
    assert!(items.contains(",n terlalu kecil,"), "{items}");

    // XLSX to a file; HTML in English, the format taken from --out.
    let out = ruji(
        &[
            "results", "report", both[0], both[1], "--format", "xlsx", "--out", "r.xlsx",
        ],
        d,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    assert!(std::fs::read(d.join("r.xlsx")).unwrap().starts_with(b"PK"));
    let out = ruji(
        &[
            "results", "report", both[0], both[1], "--lang", "en", "--out", "r.html",
        ],
        d,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let html = std::fs::read_to_string(d.join("r.html")).unwrap();
    assert!(html.contains("Exam Results Report: Scores"));

    // Options that do not fit the format.
    let out = ruji(
        &[
            "results", "report", both[0], "--format", "html", "--part", "items",
        ],
        d,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--part"));
    let out = ruji(&["results", "report", both[0]], d);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--format"));
}

#[test]
fn a_changed_file_or_another_package_stops_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    bundle_file(d, "s1.rujihasil", "S1", "PH-1", &[("U1", "A")]);
    bundle_file(d, "other.rujihasil", "S1", "PH-2", &[("U9", "B")]);
    // A score changed inside the zip, the board's signature kept.
    let limits = ruji_package::safezip::Limits::default();
    let file = std::fs::read(d.join("s1.rujihasil")).unwrap();
    let mut files = ruji_package::safezip::read(&file, &limits).unwrap().files;
    let json = text(&files[bundle::BUNDLE_ENTRY]).replace("\"score\": 2000", "\"score\": 0");
    files.insert(bundle::BUNDLE_ENTRY.into(), json.into_bytes());
    let forged = ruji_package::safezip::write(files.iter().map(|(n, b)| (n.as_str(), &b[..])));
    assert_ne!(forged, file, "the score was changed");
    std::fs::write(d.join("forged.rujihasil"), forged).unwrap();

    let out = ruji(
        &[
            "results",
            "report",
            "s1.rujihasil",
            "forged.rujihasil",
            "--format",
            "csv",
            "--out",
            "r.csv",
        ],
        d,
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("REFUSED: forged.rujihasil"), "{err}");
    assert!(err.contains("changed after the board signed it"), "{err}");
    assert!(!d.join("r.csv").exists(), "no report from a changed file");

    let out = ruji(
        &[
            "results",
            "report",
            "s1.rujihasil",
            "other.rujihasil",
            "--format",
            "csv",
        ],
        d,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert!(err.contains("different packages are mixed"), "{err}");
    assert!(err.contains("PH-2"), "{err}");
}
