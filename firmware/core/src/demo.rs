//! The embedded demo exam: `ruji serve` on a fresh install serves it with no setup.
//!
//! One session with a short scored test that has every AKM item type (two practice items first)
//! and a one-item survey; 18 main participants and 3 reserves. Logins are printed by `ruji serve`.

use crate::package::*;

fn c(id: &str, html: &str) -> Choice {
    Choice {
        id: id.into(),
        html: html.into(),
    }
}

fn item(id: &str, stimulus: Option<&str>, prompt: &str, points: u32, body: ItemBody) -> Item {
    Item {
        id: id.into(),
        stimulus: stimulus.map(Into::into),
        prompt: prompt.into(),
        points,
        body,
    }
}

const NAMES: [(&str, Sex); 21] = [
    ("Adi Nugroho", Sex::Male),
    ("Siti Nurhaliza", Sex::Female),
    ("Budi Santoso", Sex::Male),
    ("Dewi Lestari", Sex::Female),
    ("Eko Prasetyo", Sex::Male),
    ("Fitri Handayani", Sex::Female),
    ("Gilang Ramadhan", Sex::Male),
    ("Hana Pertiwi", Sex::Female),
    ("Indra Wijaya", Sex::Male),
    ("Juwita Sari", Sex::Female),
    ("Kurniawan Putra", Sex::Male),
    ("Lestari Wulandari", Sex::Female),
    ("Made Suarjana", Sex::Male),
    ("Nur Aisyah", Sex::Female),
    ("Oktaviani Rahma", Sex::Female),
    ("Putu Ayu Maharani", Sex::Female),
    ("Rizky Firmansyah", Sex::Male),
    ("Yohanes Manurung", Sex::Male),
    ("Agus Salim", Sex::Male),
    ("Ratna Kusuma", Sex::Female),
    ("Teguh Hidayat", Sex::Male),
];

const WORDS: [&str; 7] = [
    "mawar", "melati", "kenanga", "anggrek", "kamboja", "dahlia", "teratai",
];

/// Main participants in the demo.
pub const MAIN_PARTICIPANTS: usize = 18;

/// The demo package with its 18 main participants and 3 reserves.
pub fn package() -> Package {
    package_with(MAIN_PARTICIPANTS)
}

/// Username, password and date of birth of the demo's `i`-th main participant (from 1), as
/// printed on its login card; used by the load generator too.
pub fn login(i: usize) -> (String, String, String) {
    (
        format!("DEMO{i:03}"),
        format!("{}{:02}", WORDS[(i - 1) % WORDS.len()], i),
        format!("2011-{:02}-{:02}", (i - 1) % 12 + 1, (i - 1) % 26 + 3),
    )
}

/// Id of the demo package (a board with it installed holds no real exam).
pub const ID: &str = "RUJI-DEMO-1";

/// The demo package with `main` main participants (`DEMO001`...; names beyond the 18 built-in
/// ones are "Peserta N") and 3 reserves, all in the one session. For load tests.
pub fn package_with(main: usize) -> Package {
    let stimulus = Stimulus {
        id: "S-BORO".into(),
        title: "Candi Borobudur".into(),
        html: "<p>Candi Borobudur di Magelang, Jawa Tengah, dibangun pada abad ke-8 dan ke-9 \
               pada masa Wangsa Syailendra. Candi ini terdiri atas sembilan teras: enam teras \
               berbentuk bujur sangkar dan tiga teras berbentuk lingkaran, dengan 72 stupa \
               berlubang mengelilingi stupa induk di puncaknya.</p>\
               <p>Dindingnya dihiasi 2.672 panel relief yang menceritakan kehidupan dan ajaran \
               Buddha. Pada tahun 1991 UNESCO menetapkan Borobudur sebagai Warisan Dunia.</p>"
            .into(),
    };
    let items = vec![
        item(
            "P01",
            None,
            "<p>Contoh soal latihan: berapakah 2 + 3?</p>",
            1,
            ItemBody::MultipleChoice {
                options: vec![c("A", "4"), c("B", "5"), c("C", "6"), c("D", "7")],
                key: "B".into(),
            },
        ),
        item(
            "P02",
            None,
            "<p>Contoh isian: tuliskan ibu kota provinsi Jawa Barat.</p>",
            1,
            ItemBody::ShortAnswer {
                accepted: vec!["Bandung".into()],
                case_sensitive: false,
            },
        ),
        item(
            "D01",
            Some("S-BORO"),
            "<p>Berapa jumlah stupa berlubang yang mengelilingi stupa induk?</p>",
            1,
            ItemBody::MultipleChoice {
                options: vec![c("A", "9"), c("B", "72"), c("C", "504"), c("D", "2.672")],
                key: "B".into(),
            },
        ),
        item(
            "D02",
            None,
            "<p>Sebuah kelas memiliki 32 siswa. Sebanyak 25% siswa membawa bekal. \
             Berapa siswa yang membawa bekal?</p>",
            1,
            ItemBody::MultipleChoice {
                options: vec![c("A", "6"), c("B", "8"), c("C", "10"), c("D", "12")],
                key: "B".into(),
            },
        ),
        item(
            "D03",
            Some("S-BORO"),
            "<p>Pilih <b>semua</b> pernyataan yang sesuai dengan teks.</p>",
            2,
            ItemBody::MultipleResponse {
                options: vec![
                    c("A", "Borobudur dibangun pada masa Wangsa Syailendra."),
                    c("B", "Borobudur memiliki sembilan teras."),
                    c("C", "Semua teras Borobudur berbentuk lingkaran."),
                    c(
                        "D",
                        "Borobudur ditetapkan sebagai Warisan Dunia oleh UNESCO.",
                    ),
                ],
                key: vec!["A".into(), "B".into(), "D".into()],
            },
        ),
        item(
            "D04",
            None,
            "<p>Tentukan benar atau salah setiap pernyataan berikut.</p>",
            2,
            ItemBody::TrueFalse {
                statements: vec![
                    c("1", "0,5 sama dengan 1/2"),
                    c("2", "3/4 lebih kecil dari 2/3"),
                    c("3", "20% dari 50 adalah 10"),
                ],
                key: vec![true, false, true],
            },
        ),
        item(
            "D05",
            None,
            "<p>Pasangkan setiap provinsi dengan ibu kotanya.</p>",
            3,
            ItemBody::Matching {
                premises: vec![
                    c("1", "Bali"),
                    c("2", "Sumatera Utara"),
                    c("3", "Sulawesi Selatan"),
                ],
                targets: vec![
                    c("A", "Makassar"),
                    c("B", "Denpasar"),
                    c("C", "Medan"),
                    c("D", "Padang"),
                ],
                key: vec![
                    ("1".into(), "B".into()),
                    ("2".into(), "C".into()),
                    ("3".into(), "A".into()),
                ],
            },
        ),
        item(
            "D06",
            None,
            "<p>Sebuah persegi panjang berukuran 4 cm &times; 2,5 cm. Berapa cm<sup>2</sup> \
             luasnya? Tulis angkanya saja.</p>",
            1,
            ItemBody::ShortAnswer {
                accepted: vec!["10".into()],
                case_sensitive: false,
            },
        ),
        item(
            "D07",
            Some("S-BORO"),
            "<p>Menurutmu, mengapa relief pada dinding Borobudur penting bagi generasi sekarang? \
             Jelaskan dengan kalimatmu sendiri.</p>",
            4,
            ItemBody::Essay { max_chars: 2000 },
        ),
        item(
            "V01",
            None,
            "<p>Saya senang membantu teman yang kesulitan belajar.</p>",
            0,
            ItemBody::MultipleChoice {
                options: vec![
                    c("1", "Sangat tidak setuju"),
                    c("2", "Tidak setuju"),
                    c("3", "Setuju"),
                    c("4", "Sangat setuju"),
                ],
                key: "4".into(),
            },
        ),
    ];
    let tests = vec![
        Test {
            id: "DEMO".into(),
            name: "Tes Demo Literasi dan Numerasi".into(),
            kind: TestKind::Scored,
            duration_minutes: 20,
            items: ["D01", "D02", "D03", "D04", "D05", "D06", "D07"]
                .map(String::from)
                .to_vec(),
            practice_items: vec!["P01".into(), "P02".into()],
            rules: TestRules::default(),
            sealed: false,
        },
        Test {
            id: "SURVEI".into(),
            name: "Survei Karakter (demo)".into(),
            kind: TestKind::Survey,
            duration_minutes: 5,
            items: vec!["V01".into()],
            practice_items: vec![],
            rules: TestRules {
                shuffle_options: false,
                ..TestRules::default()
            },
            sealed: false,
        },
    ];
    let mut participants: Vec<Participant> = (1..=main)
        .map(|i| {
            let (username, password, birth_date) = login(i);
            let (name, sex) = match NAMES.get(i - 1).filter(|_| i <= MAIN_PARTICIPANTS) {
                Some((n, s)) => ((*n).to_string(), Some(*s)),
                None => (format!("Peserta {i}"), None),
            };
            Participant {
                username,
                password,
                name,
                birth_date: Some(birth_date),
                class: if i % 2 == 1 { "IX-A" } else { "IX-B" }.into(),
                sex,
                reserve: false,
            }
        })
        .collect();
    for (k, (name, sex)) in NAMES[MAIN_PARTICIPANTS..].iter().enumerate() {
        participants.push(Participant {
            username: format!("CAD{:02}", k + 1),
            password: format!("{}{:02}", WORDS[(k + 3) % WORDS.len()], k + 91),
            name: (*name).into(),
            birth_date: Some(format!("2010-12-{:02}", k + 10)),
            class: "IX-A".into(),
            sex: Some(*sex),
            reserve: true,
        });
    }
    Package {
        id: ID.into(),
        title: "Ujian Demo Ruji".into(),
        issuer: "Ruji (demo bawaan)".into(),
        stimuli: vec![stimulus],
        items,
        tests,
        sessions: vec![Session {
            id: "H1S1".into(),
            name: "Hari 1 Sesi 1".into(),
            day: "2026-11-23".into(),
            start: "07:30".into(),
            tests: vec!["DEMO".into(), "SURVEI".into()],
            participants: participants.iter().map(|p| p.username.clone()).collect(),
            minutes: None,
        }],
        participants,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn has_every_item_type_and_reserves() {
        use crate::package::ItemType::*;
        let p = super::package();
        for t in [
            MultipleChoice,
            ComplexMultipleChoice,
            Matching,
            ShortAnswer,
            Essay,
        ] {
            assert!(p.items.iter().any(|i| i.item_type() == t), "{t:?}");
        }
        assert_eq!(p.participants.iter().filter(|p| p.reserve).count(), 3);
        assert!(p.participants.len() >= 20);
        let big = super::package_with(500);
        assert_eq!(big.participants.len(), 503);
        big.validate().unwrap();
        assert_eq!(super::login(1).1, "mawar01");
        assert_eq!(
            big.participants[0].birth_date.as_deref(),
            Some("2011-01-03")
        );
    }
}
