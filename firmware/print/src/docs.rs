//! The exam day's documents, built from plain data (the room fills it in): login cards, the
//! attendance list, the session report (*berita acara pelaksanaan*). Labels in Bahasa Indonesia
//! or English.

use crate::{Block, Card, Column, Doc, Lang, Signature, Table};

/// Where and when a document is printed: the heading of every document but the cards.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Place {
    /// The school (ruji.toml `[school] name`; blank: a line to write on).
    pub school: String,
    /// The room (`[school] room`).
    pub room: String,
    /// When it was printed, in the board's zone (`2026-12-07 08:15:02 WIB`).
    pub printed: String,
}

/// A session as documents name it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionInfo {
    /// The exam (the package's title).
    pub exam: String,
    /// The session's name ("Hari 1 Sesi 1").
    pub name: String,
    /// Its day and start as scheduled (`2026-12-07 07:30`).
    pub schedule: String,
    /// Its tests, by name.
    pub tests: Vec<String>,
}

/// Something to fill in by hand when the value is blank.
fn or_blank(s: &str) -> String {
    if s.trim().is_empty() {
        "………………………………………".to_string()
    } else {
        s.to_string()
    }
}

fn signatures(lang: Lang) -> Block {
    Block::Signatures(vec![
        Signature {
            role: lang.t("Proktor", "Proctor").into(),
            name: String::new(),
            id_label: lang.t("NIP", "Staff no").into(),
        },
        Signature {
            role: lang.t("Pengawas", "Invigilator").into(),
            name: String::new(),
            id_label: lang.t("NIP", "Staff no").into(),
        },
    ])
}

fn heading(lang: Lang, place: &Place, s: &SessionInfo) -> Vec<(String, String)> {
    vec![
        (lang.t("Sekolah", "School").into(), or_blank(&place.school)),
        (lang.t("Ruang", "Room").into(), or_blank(&place.room)),
        (lang.t("Ujian", "Exam").into(), s.exam.clone()),
        (lang.t("Sesi", "Session").into(), s.name.clone()),
        (lang.t("Jadwal", "Schedule").into(), s.schedule.clone()),
        (lang.t("Tes", "Tests").into(), s.tests.join(", ")),
    ]
}

/// One participant's login card.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CardData {
    /// Username.
    pub username: String,
    /// The password (printed only: nothing keeps it).
    pub password: String,
    /// Full name.
    pub name: String,
    /// Class.
    pub class: String,
    /// The session(s) they sit, as a line.
    pub session: String,
    /// A reserve participant.
    pub reserve: bool,
}

/// Login cards, eight to an A4 page, to cut and hand out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoginCards {
    /// The exam (the package's title).
    pub exam: String,
    /// The school and room.
    pub place: Place,
    /// The cards, in order.
    pub cards: Vec<CardData>,
}

impl LoginCards {
    /// The cards as a document.
    pub fn doc(&self, lang: Lang) -> Doc {
        let sub = [self.place.school.as_str(), self.place.room.as_str()]
            .iter()
            .filter(|s| !s.trim().is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" · ");
        let cards = self
            .cards
            .iter()
            .map(|c| Card {
                title: format!("{} · {}", lang.t("KARTU LOGIN", "LOGIN CARD"), self.exam),
                subtitle: sub.clone(),
                fields: vec![
                    (
                        lang.t("Nama", "Name").into(),
                        if c.reserve {
                            format!("{} ({})", c.name, lang.t("cadangan", "reserve"))
                        } else {
                            c.name.clone()
                        },
                        false,
                    ),
                    (lang.t("Kelas", "Class").into(), c.class.clone(), false),
                    (lang.t("Sesi", "Session").into(), c.session.clone(), false),
                    (lang.t("Username", "Username").into(), c.username.clone(), true),
                    (lang.t("Password", "Password").into(), c.password.clone(), true),
                ],
                note: lang
                    .t(
                        "Simpan kartu ini dan jangan pinjamkan. Bawa pada hari ujian; serahkan kepada pengawas bila diminta.",
                        "Keep this card and lend it to nobody. Bring it on the exam day; hand it to the invigilator when asked.",
                    )
                    .into(),
            })
            .collect();
        Doc {
            lang,
            title: lang
                .t("Kartu login peserta", "Participants' login cards")
                .into(),
            heading: vec![],
            blocks: vec![Block::Cards(cards)],
        }
    }
}

/// A row of the attendance list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttendanceRow {
    /// Username.
    pub username: String,
    /// Full name.
    pub name: String,
    /// Class.
    pub class: String,
    /// A reserve participant (listed after the others).
    pub reserve: bool,
}

/// The attendance list of a session, which participants sign.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attendance {
    /// The school, room and time of printing.
    pub place: Place,
    /// The session.
    pub session: SessionInfo,
    /// The participants in seat order (the session's order), reserves last.
    pub rows: Vec<AttendanceRow>,
}

impl Attendance {
    /// The list as a document.
    pub fn doc(&self, lang: Lang) -> Doc {
        let mut heading = heading(lang, &self.place, &self.session);
        heading.push((
            lang.t("Dicetak", "Printed").into(),
            self.place.printed.clone(),
        ));
        let rows = self
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                vec![
                    (i + 1).to_string(),
                    r.username.clone(),
                    if r.reserve {
                        format!("{} ({})", r.name, lang.t("cadangan", "reserve"))
                    } else {
                        r.name.clone()
                    },
                    r.class.clone(),
                    format!("{}.", i + 1),
                ]
            })
            .collect();
        let main = self.rows.iter().filter(|r| !r.reserve).count();
        Doc {
            lang,
            title: lang.t("Daftar Hadir Peserta", "Attendance list").into(),
            heading,
            blocks: vec![
                Block::Table(Table {
                    columns: vec![
                        Column::number(lang.t("No", "No"), 5.0),
                        Column::text(lang.t("Username", "Username"), 15.0),
                        Column::text(lang.t("Nama peserta", "Participant"), 38.0),
                        Column::text(lang.t("Kelas", "Class"), 12.0),
                        Column::text(lang.t("Tanda tangan", "Signature"), 30.0),
                    ],
                    rows,
                    tall: true,
                }),
                Block::Text(format!(
                    "{}: {main}. {}: ........ {}: ........",
                    lang.t("Peserta terdaftar", "Registered"),
                    lang.t("Hadir", "Present"),
                    lang.t("Tidak hadir", "Absent"),
                )),
                signatures(lang),
            ],
        }
    }
}

/// A participant as the session report names them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Named {
    /// Username.
    pub username: String,
    /// Full name.
    pub name: String,
}

/// A session's results file and its receipt.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResultsFile {
    /// When it was made (board's zone).
    pub made: String,
    /// Its SHA-256 (hex).
    pub sha256: String,
    /// When the central server's receipt for it came, if it did.
    pub receipt: Option<String>,
}

/// The session report (*berita acara pelaksanaan*), signed in three copies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionReport {
    /// The school, room and time of printing.
    pub place: Place,
    /// The session.
    pub session: SessionInfo,
    /// When it was opened and closed on the board (wall time, board's zone; empty: not yet).
    pub opened: String,
    /// When it was closed (empty: still open).
    pub closed: String,
    /// Registered main participants.
    pub registered: usize,
    /// Who logged in at least once (reserves activated included).
    pub present: usize,
    /// Main participants who never logged in during the session (a reserve may have replaced
    /// them: see `reserves`).
    pub absent: Vec<Named>,
    /// Who finished every test of the session.
    pub finished: usize,
    /// Tests the proctor ended, with the reason: (participant, test, reason).
    pub force_finished: Vec<(Named, String, String)>,
    /// Reserves activated, with whom each replaced (empty when not said).
    pub reserves: Vec<(Named, String)>,
    /// Login resets: (participant, how many).
    pub resets: Vec<(Named, usize)>,
    /// The session's results file (`None`: not made yet).
    pub results: Option<ResultsFile>,
    /// Incidents from the event log: (time, what, detail).
    pub incidents: Vec<(String, String, String)>,
    /// The proctor's notes, typed on the page.
    pub proctor_notes: String,
    /// The invigilator's notes, typed on the page.
    pub invigilator_notes: String,
}

impl SessionReport {
    /// The report as a document.
    pub fn doc(&self, lang: Lang) -> Doc {
        let t = |id, en| lang.t(id, en).to_string();
        let mut heading = heading(lang, &self.place, &self.session);
        heading.push((t("Dibuka", "Opened"), self.opened.clone()));
        heading.push((
            t("Ditutup", "Closed"),
            if self.closed.is_empty() {
                t("belum ditutup", "not closed yet")
            } else {
                self.closed.clone()
            },
        ));
        heading.push((t("Dicetak", "Printed"), self.place.printed.clone()));
        let who = |n: &Named| format!("{} {}", n.username, n.name);
        let count = |n: usize| n.to_string();
        let mut blocks = vec![
            Block::Section(t("Jumlah peserta", "Participants")),
            Block::Table(Table {
                columns: vec![Column::text("", 70.0), Column::number("", 30.0)],
                rows: vec![
                    vec![
                        t(
                            "Terdaftar (peserta utama)",
                            "Registered (main participants)",
                        ),
                        count(self.registered),
                    ],
                    vec![
                        t(
                            "Hadir (login, termasuk cadangan)",
                            "Present (logged in, reserves included)",
                        ),
                        count(self.present),
                    ],
                    vec![t("Tidak hadir", "Absent"), count(self.absent.len())],
                    vec![
                        t(
                            "Selesai semua tes sesi",
                            "Finished every test of the session",
                        ),
                        count(self.finished),
                    ],
                    vec![
                        t(
                            "Diakhiri proktor (paksa selesai)",
                            "Ended by the proctor (force finish)",
                        ),
                        count(self.force_finished.len()),
                    ],
                    vec![
                        t("Cadangan diaktifkan", "Reserves activated"),
                        count(self.reserves.len()),
                    ],
                    vec![
                        t("Reset login", "Login resets"),
                        count(self.resets.iter().map(|r| r.1).sum()),
                    ],
                ],
                tall: false,
            }),
        ];
        let none = t("Tidak ada.", "None.");
        let list =
            |title: String, cols: Vec<Column>, rows: Vec<Vec<String>>, blocks: &mut Vec<Block>| {
                blocks.push(Block::Section(title));
                if rows.is_empty() {
                    blocks.push(Block::Text(none.clone()));
                } else {
                    blocks.push(Block::Table(Table {
                        columns: cols,
                        rows,
                        tall: false,
                    }));
                }
            };
        list(
            t("Tidak hadir", "Absent"),
            vec![Column::text(t("Peserta", "Participant"), 100.0)],
            self.absent.iter().map(|n| vec![who(n)]).collect(),
            &mut blocks,
        );
        list(
            t("Diakhiri proktor", "Ended by the proctor"),
            vec![
                Column::text(t("Peserta", "Participant"), 35.0),
                Column::text(t("Tes", "Test"), 15.0),
                Column::text(t("Alasan", "Reason"), 50.0),
            ],
            self.force_finished
                .iter()
                .map(|(n, test, reason)| vec![who(n), test.clone(), reason.clone()])
                .collect(),
            &mut blocks,
        );
        list(
            t("Peserta cadangan", "Reserves"),
            vec![
                Column::text(t("Cadangan", "Reserve"), 50.0),
                Column::text(t("Menggantikan", "Replacing"), 50.0),
            ],
            self.reserves
                .iter()
                .map(|(n, replaced)| {
                    vec![
                        who(n),
                        if replaced.is_empty() {
                            t("(tidak disebut)", "(not said)")
                        } else {
                            replaced.clone()
                        },
                    ]
                })
                .collect(),
            &mut blocks,
        );
        list(
            t("Reset login", "Login resets"),
            vec![
                Column::text(t("Peserta", "Participant"), 80.0),
                Column::number(t("Kali", "Times"), 20.0),
            ],
            self.resets
                .iter()
                .map(|(n, k)| vec![who(n), k.to_string()])
                .collect(),
            &mut blocks,
        );
        list(
            t(
                "Kejadian penting (dari catatan kejadian)",
                "Incidents (from the event log)",
            ),
            vec![
                Column::text(t("Waktu", "Time"), 24.0),
                Column::text(t("Kejadian", "Event"), 26.0),
                Column::text(t("Rincian", "Detail"), 50.0),
            ],
            self.incidents
                .iter()
                .map(|(a, b, c)| vec![a.clone(), b.clone(), c.clone()])
                .collect(),
            &mut blocks,
        );
        let results = match &self.results {
            None => vec![t(
                "Berkas hasil belum dibuat (dibuat saat sesi ditutup).",
                "No results file yet (made when the session is closed).",
            )],
            Some(r) => vec![
                format!(
                    "{} {} (SHA-256 {}…)",
                    t("Berkas hasil dibuat", "Results file made"),
                    r.made,
                    r.sha256.get(..12).unwrap_or(&r.sha256)
                ),
                match &r.receipt {
                    Some(at) => format!(
                        "{} {at}",
                        t("Tanda terima server pusat diterima", "The central server's receipt received")
                    ),
                    None => t(
                        "Belum ada tanda terima server pusat untuk berkas ini: unggah, atau simpan ke flashdisk dan bawa ke server pusat.",
                        "No receipt from the central server for this file yet: upload it, or save it to a USB stick and take it to the central server.",
                    ),
                },
            ],
        };
        list(
            t("Hasil ujian", "Results"),
            vec![Column::text(t("Keadaan", "Status"), 100.0)],
            results.into_iter().map(|u| vec![u]).collect(),
            &mut blocks,
        );
        blocks.push(Block::Section(t("Catatan", "Notes")));
        blocks.push(Block::Notes {
            label: t("Catatan proktor", "The proctor's notes"),
            text: self.proctor_notes.clone(),
        });
        blocks.push(Block::Notes {
            label: t("Catatan pengawas", "The invigilator's notes"),
            text: self.invigilator_notes.clone(),
        });
        blocks.push(Block::Text(t(
            "Berita acara ini dibuat rangkap tiga: untuk sekolah, untuk dinas pendidikan, dan untuk arsip proktor.",
            "This report is made in three copies: for the school, for the education office, and for the proctor's records.",
        )));
        blocks.push(signatures(lang));
        Doc {
            lang,
            title: t("Berita Acara Pelaksanaan", "Session report"),
            heading,
            blocks,
        }
    }
}

/// A test as the sync report lists it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncTest {
    /// `Name (ID)`.
    pub name: String,
    /// Its items, `None` while sealed.
    pub items: Option<usize>,
    /// Minutes.
    pub minutes: u32,
}

/// A session as the sync report lists it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncSession {
    /// The session's name.
    pub name: String,
    /// Day and start as scheduled.
    pub schedule: String,
    /// Its participants.
    pub participants: usize,
    /// When its items were released (board's zone), `None` while sealed.
    pub released: Option<String>,
}

/// The sync report (*berita acara sinkronisasi*): what package the board holds, from where,
/// and what of it is released, signed by the proctor, the technician and the head of school.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncSheet {
    /// The school, room and time of printing.
    pub place: Place,
    /// The package's id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its issuer.
    pub issuer: String,
    /// The issuer's public key (empty for the built-in demo).
    pub issuer_key: String,
    /// The file's name and size (empty for the built-in demo).
    pub file: String,
    /// When it was imported (board's zone; empty for the demo).
    pub imported: String,
    /// This server (Ruji and its version).
    pub server: String,
    /// The board's id and key, if it has one.
    pub board: String,
    /// Main participants, reserves, and per class.
    pub main: usize,
    /// Reserves.
    pub reserve: usize,
    /// `IX-A: 12, IX-B: 9`.
    pub classes: String,
    /// The tests.
    pub tests: Vec<SyncTest>,
    /// The sessions.
    pub sessions: Vec<SyncSession>,
}

impl SyncSheet {
    /// The sync report as a document.
    pub fn doc(&self, lang: Lang) -> Doc {
        let t = |id, en| lang.t(id, en).to_string();
        let sealed = t("Terkunci", "Sealed");
        let participants = format!(
            "{} {}, {} {}{}",
            self.main,
            t("utama", "main"),
            self.reserve,
            t("cadangan", "reserve"),
            if self.classes.is_empty() {
                String::new()
            } else {
                format!(" ({})", self.classes)
            }
        );
        Doc {
            lang,
            title: t("Berita Acara Sinkronisasi", "Sync report"),
            heading: vec![
                (t("Sekolah", "School"), or_blank(&self.place.school)),
                (t("Ruang", "Room"), or_blank(&self.place.room)),
                (t("Dicetak", "Printed"), self.place.printed.clone()),
                (t("Server", "Server"), self.server.clone()),
            ],
            blocks: vec![
                Block::Section(t("Paket soal", "Exam package")),
                Block::Table(Table {
                    columns: vec![Column::text("", 28.0), Column::text("", 72.0)],
                    rows: vec![
                        vec![t("Kode paket", "Package id"), self.id.clone()],
                        vec![t("Nama paket", "Package title"), self.title.clone()],
                        vec![t("Penerbit", "Issuer"), self.issuer.clone()],
                        vec![t("Kunci penerbit", "Issuer key"), self.issuer_key.clone()],
                        vec![t("Berkas", "File"), self.file.clone()],
                        vec![t("Waktu impor", "Imported at"), self.imported.clone()],
                        vec![t("ID papan", "Board id"), self.board.clone()],
                        vec![t("Peserta", "Participants"), participants],
                    ],
                    tall: false,
                }),
                Block::Section(t("Tes", "Tests")),
                Block::Table(Table {
                    columns: vec![
                        Column::text(t("Tes", "Test"), 70.0),
                        Column::number(t("Soal", "Items"), 15.0),
                        Column::number(t("Menit", "Minutes"), 15.0),
                    ],
                    rows: self
                        .tests
                        .iter()
                        .map(|x| {
                            vec![
                                x.name.clone(),
                                x.items.map_or_else(|| sealed.clone(), |n| n.to_string()),
                                x.minutes.to_string(),
                            ]
                        })
                        .collect(),
                    tall: false,
                }),
                Block::Section(t("Sesi", "Sessions")),
                Block::Table(Table {
                    columns: vec![
                        Column::text(t("Sesi", "Session"), 35.0),
                        Column::text(t("Jadwal", "Schedule"), 22.0),
                        Column::number(t("Peserta", "Participants"), 13.0),
                        Column::text(t("Soal dibuka", "Released"), 30.0),
                    ],
                    rows: self
                        .sessions
                        .iter()
                        .map(|s| {
                            vec![
                                s.name.clone(),
                                s.schedule.clone(),
                                s.participants.to_string(),
                                s.released.clone().unwrap_or_else(|| sealed.clone()),
                            ]
                        })
                        .collect(),
                    tall: false,
                }),
                Block::Signatures(
                    [
                        t("Proktor", "Proctor"),
                        t("Teknisi", "Technician"),
                        t("Kepala Sekolah", "Head of school"),
                    ]
                    .into_iter()
                    .map(|role| Signature {
                        role,
                        name: String::new(),
                        id_label: t("NIP", "Staff no"),
                    })
                    .collect(),
                ),
            ],
        }
    }
}
