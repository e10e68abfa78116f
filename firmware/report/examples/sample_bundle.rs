//! Writes a realistic result bundle for trying reports by hand: 32 participants of a class
//! on a test with all five AKM item types and a short survey; one force-finished, one timed
//! out, one absent; signed by a throwaway device key.
//!
//! ```sh
//! cargo run -p ruji-report --example sample_bundle -- /tmp/sample.rujihasil
//! ruji results report /tmp/sample.rujihasil --format html --out /tmp/report.html
//! ```

use std::path::PathBuf;

use ruji_core::attempt::Outcome;
use ruji_core::package::{ItemType, TestKind};
use ruji_core::response::Response;
use ruji_package::bundle::{
    self, AnswerResult, AttemptResult, BoardRef, Bundle, ItemShape, PackageRef, ParticipantResult,
    SessionRef, TestShape,
};
use ruji_package::device::DeviceKey;

const NAMES: [&str; 32] = [
    "Adi Saputra",
    "Ayu Lestari",
    "Bagus Pratama",
    "Bunga Citra Maharani",
    "Cahya Nugraha",
    "Dewi Anggraini",
    "Dimas Aditya Nugroho",
    "Eka Putri Wulandari",
    "Fajar Ramadhan",
    "Fitri Handayani",
    "Gilang Permana",
    "Hana Safitri",
    "Indra Kusuma",
    "Intan Permatasari",
    "Joko Susilo",
    "Kartika Sari Dewi",
    "Lukman Hakim",
    "Maya Puspita",
    "Muhammad Rizky Firmansyah",
    "Nadia Zahra",
    "Nur Aini",
    "Oki Setiawan",
    "Putri Ayu Rahmawati",
    "Rahmat Hidayat",
    "Rina Marlina",
    "Siti Nurhaliza Azzahra",
    "Taufik Hidayatullah",
    "Tri Wahyuni",
    "Umar Faruq",
    "Vina Oktaviani",
    "Wahyu Saputro",
    "Yoga Prasetyo",
];

/// A small deterministic generator (the same file every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn shape(id: &str, t: ItemType, points: u32, options: &[&str]) -> ItemShape {
    ItemShape {
        id: id.into(),
        item_type: t,
        points,
        options: options.iter().map(|s| s.to_string()).collect(),
    }
}

fn main() {
    let out = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("sample.rujihasil"));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let key = DeviceKey::load_or_create(dir.path()).expect("a device key");
    let abcd = ["A", "B", "C", "D"];
    let items = vec![
        shape("BIN-01", ItemType::MultipleChoice, 2, &abcd),
        shape("BIN-02", ItemType::MultipleChoice, 2, &abcd),
        shape("BIN-03", ItemType::MultipleChoice, 2, &abcd),
        shape("BIN-04", ItemType::MultipleChoice, 2, &abcd),
        shape(
            "BIN-05",
            ItemType::MultipleChoice,
            2,
            &["A", "B", "C", "D", "E"],
        ),
        shape("BIN-06", ItemType::MultipleChoice, 2, &abcd),
        shape("BIN-07", ItemType::ComplexMultipleChoice, 3, &abcd),
        shape(
            "BIN-08",
            ItemType::ComplexMultipleChoice,
            3,
            &["P1", "P2", "P3"],
        ),
        shape("BIN-09", ItemType::Matching, 3, &["1", "2", "3"]),
        shape("BIN-10", ItemType::ShortAnswer, 2, &[]),
        shape("BIN-11", ItemType::Essay, 5, &[]),
        shape("BIN-12", ItemType::MultipleChoice, 2, &abcd),
    ];
    let keys = ["B", "D", "A", "C", "E", "A", "", "", "", "", "", "C"];
    let survey = vec![
        shape("KAR-1", ItemType::MultipleChoice, 1, &["1", "2", "3", "4"]),
        shape("KAR-2", ItemType::MultipleChoice, 1, &["1", "2", "3", "4"]),
    ];
    let essays = [
        "Menurut saya, hemat energi penting karena sumber energi fosil terbatas. Di rumah kita bisa mematikan lampu yang tidak dipakai, mencabut pengisi daya, dan memakai kipas daripada AC. Di sekolah, piket kelas bisa memastikan lampu dan proyektor dimatikan setelah pelajaran selesai.",
        "Hemat energi supaya listrik tidak cepat habis.",
        "Paragraf tersebut membahas pentingnya menjaga kebersihan lingkungan sekolah; kalimat utamanya ada di awal paragraf, lalu diikuti kalimat penjelas tentang cara membuang sampah pada tempatnya, memilah sampah organik dan anorganik, serta kerja bakti setiap Jumat.",
        "tidak tahu",
    ];
    let mut rng = Lcg(20261201);
    let mut participants = vec![];
    for (i, name) in NAMES.iter().enumerate() {
        let username = format!("IX-A-{:02}", i + 1);
        // Ability from 0.15 to 0.95 across the class, shuffled by the generator.
        let ability = 0.15 + 0.8 * (rng.below(1000) as f64 / 1000.0);
        let state = match i {
            6 => Outcome::FinishedProctor,
            17 => Outcome::FinishedTimeout,
            25 => Outcome::NotStarted,
            _ => Outcome::FinishedParticipant,
        };
        let reached = state != Outcome::NotStarted;
        let right = |rng: &mut Lcg| (rng.below(1000) as f64 / 1000.0) < ability;
        let mut answers = vec![];
        for (n, item) in items.iter().enumerate() {
            let skip = !reached || (state == Outcome::FinishedTimeout && n >= 9);
            let (response, score) = if skip {
                (None, Some(0))
            } else {
                match item.item_type {
                    ItemType::MultipleChoice => {
                        // BIN-12: nobody answers it (say, its picture did not load).
                        let c = if n == 11 {
                            String::new()
                        } else if right(&mut rng) {
                            keys[n].to_string()
                        } else {
                            item.options[rng.below(item.options.len() as u64) as usize].clone()
                        };
                        let s = if c == keys[n] { 2000 } else { 0 };
                        let r = (!c.is_empty()).then_some(Response::Choice(c));
                        (r, Some(s))
                    }
                    ItemType::ComplexMultipleChoice if n == 6 => {
                        // Key A and C.
                        let mut cs = vec!["A".to_string()];
                        if right(&mut rng) {
                            cs.push("C".into());
                        } else {
                            cs.push("B".into());
                        }
                        let hits = cs.iter().filter(|c| *c == "A" || *c == "C").count() as u64;
                        let wrong = cs.len() as u64 - hits;
                        (
                            Some(Response::Choices(cs)),
                            Some(3000 * hits.saturating_sub(wrong) / 2),
                        )
                    }
                    ItemType::ComplexMultipleChoice => {
                        // Key: true, false, true.
                        let key = [true, false, true];
                        let v: Vec<Option<bool>> = key
                            .iter()
                            .map(|k| Some(if right(&mut rng) { *k } else { !*k }))
                            .collect();
                        let ok = v.iter().zip(key).filter(|(a, k)| **a == Some(*k)).count();
                        (Some(Response::TrueFalse(v)), Some(3000 * ok as u64 / 3))
                    }
                    ItemType::Matching => {
                        let targets = ["a", "b", "c"];
                        let pairs: Vec<(String, String)> = (0..3)
                            .map(|p| {
                                let t = if right(&mut rng) { p } else { (p + 1) % 3 };
                                (format!("{}", p + 1), targets[t].to_string())
                            })
                            .collect();
                        let ok = pairs
                            .iter()
                            .enumerate()
                            .filter(|(p, (_, t))| *t == targets[*p])
                            .count();
                        (Some(Response::Matching(pairs)), Some(3000 * ok as u64 / 3))
                    }
                    ItemType::ShortAnswer => {
                        let ok = right(&mut rng);
                        let t = if ok { "2,5" } else { "25" };
                        (
                            Some(Response::Text(t.into())),
                            Some(if ok { 2000 } else { 0 }),
                        )
                    }
                    ItemType::Essay => (
                        Some(Response::Text(
                            essays[rng.below(essays.len() as u64) as usize].into(),
                        )),
                        None,
                    ),
                }
            };
            answers.push(AnswerResult {
                item: item.id.clone(),
                saved_at_ms: response.as_ref().map(|_| 600_000 + n as u64 * 60_000),
                seq: response.as_ref().map(|_| 1000 + (i * 20 + n) as u64),
                doubtful: response.is_some() && rng.below(12) == 0,
                response,
                rev: 1,
                score,
            });
        }
        let score = answers.iter().filter_map(|a| a.score).sum();
        let used = match state {
            Outcome::NotStarted => 0,
            Outcome::FinishedTimeout => 3_600_000,
            _ => 1_500_000 + rng.below(2_000_000),
        };
        let bin = AttemptResult {
            test: "BIN".into(),
            state,
            reason: (state == Outcome::FinishedProctor)
                .then(|| "komputer mati, waktu sesi habis".into()),
            started_at_ms: reached.then_some(300_000),
            finished_at_ms: reached.then_some(300_000 + used),
            time_used_ms: used,
            time_limit_ms: 3_600_000,
            score,
            max_score: 25_000,
            answers,
        };
        let kar = AttemptResult {
            test: "KAR".into(),
            state: if reached {
                Outcome::FinishedParticipant
            } else {
                Outcome::NotStarted
            },
            reason: None,
            started_at_ms: reached.then_some(4_000_000),
            finished_at_ms: reached.then_some(4_300_000),
            time_used_ms: if reached { 300_000 } else { 0 },
            time_limit_ms: 1_200_000,
            score: 0,
            max_score: 0,
            answers: survey
                .iter()
                .map(|s| AnswerResult {
                    item: s.id.clone(),
                    response: reached
                        .then(|| Response::Choice(s.options[rng.below(4) as usize].clone())),
                    doubtful: false,
                    saved_at_ms: reached.then_some(4_100_000),
                    seq: reached.then_some(5000),
                    rev: 1,
                    score: None,
                })
                .collect(),
        };
        participants.push(ParticipantResult {
            username,
            name: name.to_string(),
            class: "IX-A".into(),
            reserve: false,
            reserve_active: false,
            resets: u32::from(i == 6),
            attempts: vec![bin, kar],
        });
    }
    let b = Bundle {
        format: bundle::FORMAT.into(),
        version: bundle::VERSION,
        generated_by: "Ruji (sample)".into(),
        board: BoardRef {
            id: key.id(),
            key: key.public(),
        },
        package: PackageRef {
            id: "PAS-2026-IX-CONTOH".into(),
            title: "Penilaian Akhir Semester Ganjil Kelas IX".into(),
            issuer: "SMP Negeri 1 Contoh".into(),
            issuer_key: "ruji-pk:sample".into(),
            nonce: "sample".into(),
        },
        session: SessionRef {
            id: "S1".into(),
            name: "Hari 1 Sesi 1".into(),
            day: "2026-12-01".into(),
            start: "07:30".into(),
            open: false,
            opened_at_ms: Some(0),
            closed_at_ms: Some(5_000_000),
        },
        as_of_seq: 9000,
        tests: vec![
            TestShape {
                id: "BIN".into(),
                name: "Bahasa Indonesia".into(),
                kind: TestKind::Scored,
                duration_minutes: 60,
                items,
            },
            TestShape {
                id: "KAR".into(),
                name: "Survei Karakter".into(),
                kind: TestKind::Survey,
                duration_minutes: 20,
                items: survey,
            },
        ],
        participants,
        events: Default::default(),
    };
    std::fs::write(&out, bundle::seal(&b, &key)).expect("the bundle written");
    eprintln!("wrote {}", out.display());
}
