//! Sample documents for the tests and the `samples` example: a class of 40 with long and
//! accented names, a scripted session's report.
#![allow(dead_code)] // shared by tests/print.rs and examples/samples.rs, each using a part

use ruji_print::docs::*;
use ruji_print::{Doc, Lang};

pub const NAMES: [&str; 10] = [
    "Adi Nugroho",
    "Siti Nurhaliza",
    "Muhammad Rizky Pratama Wijayakusuma Nugroho Saputra",
    "Ni Luh Putu Ayu Kusumaningrum Dewi Lestari Wulandari",
    "Zoë Ångström-Núñez",
    "I Gusti Ngurah Agung Bagus Krisna Dharmawangsa Putra",
    "Siti Nur'aini (Aini)",
    "Fransiskus Xaverius Kurniawan",
    "Łukasz Wiśniewski",
    "Kadek Dwi Ariani",
];

pub fn place() -> Place {
    Place {
        school: "SMP Negeri 1 Contoh Kabupaten Sukamaju".into(),
        room: "Lab Komputer 1".into(),
        printed: "2026-12-07 07:10:00 WIB".into(),
    }
}

pub fn session() -> SessionInfo {
    SessionInfo {
        exam: "Asesmen Nasional 2026 (gladi)".into(),
        name: "Hari 1 Sesi 1".into(),
        schedule: "2026-12-07 07:30".into(),
        tests: vec!["Literasi Membaca".into(), "Survei Karakter".into()],
    }
}

pub fn username(i: usize) -> String {
    format!("SMP1-{:03}", i + 1)
}

pub fn cards(n: usize) -> LoginCards {
    LoginCards {
        exam: "Asesmen Nasional 2026".into(),
        place: place(),
        cards: (0..n)
            .map(|i| CardData {
                username: username(i),
                password: format!("k7{}m{}x", (b'a' + (i % 26) as u8) as char, 10 + i),
                name: NAMES[i % NAMES.len()].into(),
                class: if i < 20 { "IX-A" } else { "IX-B" }.into(),
                session: "Hari 1 Sesi 1 · 2026-12-07 07:30".into(),
                reserve: i >= n - 2,
            })
            .collect(),
    }
}

pub fn attendance(n: usize) -> Attendance {
    Attendance {
        place: place(),
        session: session(),
        rows: (0..n)
            .map(|i| AttendanceRow {
                username: username(i),
                name: NAMES[i % NAMES.len()].into(),
                class: "IX-A".into(),
                reserve: i >= n - 3,
            })
            .collect(),
    }
}

pub fn report() -> SessionReport {
    let named = |i: usize| Named {
        username: username(i),
        name: NAMES[i % NAMES.len()].into(),
    };
    SessionReport {
        place: place(),
        session: session(),
        opened: "2026-12-07 07:31:12 WIB".into(),
        closed: "2026-12-07 09:45:03 WIB".into(),
        registered: 36,
        present: 35,
        absent: vec![named(4), named(11)],
        finished: 33,
        force_finished: vec![(
            named(7),
            "LIT".into(),
            "Komputer mati, tidak dapat dinyalakan lagi".into(),
        )],
        reserves: vec![(named(37), format!("{} {}", username(4), NAMES[4]))],
        resets: vec![(named(2), 2), (named(9), 1)],
        results: Some(ResultsFile {
            made: "2026-12-07 09:45:05 WIB".into(),
            sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
            receipt: Some("2026-12-07 09:46:10 WIB".into()),
        }),
        incidents: (0..30)
            .map(|i| {
                (
                    format!("2026-12-07 08:{:02}:00 WIB", i),
                    "Reset login".to_string(),
                    format!("{} ({})", username(i), NAMES[i % NAMES.len()]),
                )
            })
            .collect(),
        proctor_notes: "Listrik padam 5 menit pukul 08.10; server tetap menyala dengan UPS.".into(),
        invigilator_notes: String::new(),
    }
}

pub fn all(lang: Lang) -> Vec<(&'static str, Doc)> {
    vec![
        ("kartu-login", cards(20).doc(lang)),
        ("daftar-hadir", attendance(40).doc(lang)),
        ("berita-acara", report().doc(lang)),
    ]
}
