//! The report's words in Bahasa Indonesia and English, and how numbers, times and responses
//! are written.

use ruji_core::attempt::Outcome;
use ruji_core::package::ItemType;
use ruji_core::response::Response;
use ruji_core::score::Milli;

use crate::analysis::{Discrimination, Frequencies, Note};
use crate::Lang;

macro_rules! texts {
    ($($k:ident => ($id:expr, $en:expr),)*) => {
        /// Every fixed text of the report.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum T { $($k,)* }

        impl T {
            fn pair(self) -> (&'static str, &'static str) {
                match self { $(T::$k => ($id, $en),)* }
            }
        }
    };
}

texts! {
    Title => ("Laporan Hasil Ujian", "Exam Results Report"),
    PartScores => ("Nilai", "Scores"),
    PartResponses => ("Jawaban", "Responses"),
    PartItems => ("Analisis butir", "Item analysis"),
    PartEssaysLong => ("Uraian dan isian singkat: penilaian manual", "Essays and short answers: scoring by hand"),
    Issuer => ("Sekolah / penerbit", "School / issuer"),
    Package => ("Paket soal", "Package"),
    PackageId => ("Kode paket", "Package id"),
    Session => ("Sesi", "Session"),
    Board => ("Papan", "Board"),
    Date => ("Tanggal", "Date"),
    Start => ("Mulai", "Start"),
    Test => ("Tes", "Test"),
    TestName => ("Nama tes", "Test name"),
    Duration => ("Durasi", "Duration"),
    Minutes => ("menit", "minutes"),
    No => ("No.", "No."),
    Username => ("Username", "Username"),
    Name => ("Nama", "Name"),
    Class => ("Kelas", "Class"),
    Score => ("Skor", "Score"),
    MaxScore => ("Skor maks.", "Full marks"),
    Of => ("dari", "of"),
    State => ("Status", "State"),
    Reason => ("Alasan", "Reason"),
    TimeUsed => ("Waktu", "Time used"),
    Item => ("Butir", "Item"),
    Type => ("Tipe", "Type"),
    Points => ("Poin", "Points"),
    Response => ("Jawaban", "Response"),
    Doubtful => ("Ragu-ragu", "Doubtful"),
    Yes => ("ya", "yes"),
    Answered => ("Dijawab", "Answered"),
    NoAnswer => ("Tidak dijawab", "No answer"),
    NoAnswerShort => ("kosong", "blank"),
    Difficulty => ("Tingkat kesukaran (p)", "Difficulty (p)"),
    DifficultyShort => ("p", "p"),
    Discrimination => ("Daya beda (D)", "Discrimination (D)"),
    DiscriminationShort => ("D", "D"),
    Category => ("Kategori", "Category"),
    Frequencies => ("Sebaran jawaban", "Answers given"),
    Remark => ("Catatan", "Remark"),
    NobodyAnswered => ("tidak ada yang menjawab", "nobody answered"),
    TooFew => ("n terlalu kecil", "n too small"),
    Hard => ("sukar", "hard"),
    Medium => ("sedang", "medium"),
    Easy => ("mudah", "easy"),
    Negative => ("negatif: periksa kunci", "negative: check the key"),
    Poor => ("jelek", "poor"),
    Fair => ("cukup", "fair"),
    Good => ("baik", "good"),
    Excellent => ("baik sekali", "excellent"),
    Analysed => ("Peserta dianalisis", "Attempts analysed"),
    Mean => ("Rata-rata", "Mean"),
    Highest => ("Tertinggi", "Highest"),
    Lowest => ("Terendah", "Lowest"),
    NobodyTook => ("Belum ada peserta yang mengerjakan tes ini.", "Nobody has worked on this test."),
    NotScoredTest => ("Tes ini tidak dinilai (survei atau latihan): hanya sebaran jawaban.", "This test is not scored (survey or practice): answers given only."),
    AutoScore => ("Skor otomatis", "Automatic score"),
    HandScore => ("Skor", "Score"),
    NoAnswerText => ("(tidak menjawab)", "(no answer)"),
    NoHandItems => ("Tidak ada soal uraian atau isian singkat.", "There are no essays or short answers."),
    True => ("B", "T"),
    False => ("S", "F"),
    Notes => ("Catatan", "Notes"),
    Bundles => ("Berkas hasil", "Result bundles"),
    EventsUpTo => ("Kejadian s.d. no.", "Events up to no."),
    Participants => ("Peserta", "Participants"),
    Sha256 => ("SHA-256", "SHA-256"),
    Teacher => ("Guru mata pelajaran", "Subject teacher"),
    Nip => ("NIP", "Staff no."),
    PlaceDate => ("...................., ....................", "...................., ...................."),
    Page => ("Halaman", "Page"),
    HowToRead => ("Cara membaca analisis butir", "How to read the item analysis"),
    ReadP => (
        "p = rata-rata skor butir ÷ poin butir, dari peserta yang mengerjakan tes (butir kosong bernilai 0). p ≤ 0,30 sukar; 0,30 < p ≤ 0,70 sedang; p > 0,70 mudah.",
        "p = mean item score ÷ item points, over the participants who worked on the test (a blank item scores 0). p ≤ 0.30 hard; 0.30 < p ≤ 0.70 medium; p > 0.70 easy."
    ),
    ReadD => (
        "D = (rata-rata skor butir kelompok atas − kelompok bawah) ÷ poin; kelompok atas dan bawah = 27% peserta dengan skor tes tertinggi dan terendah. D < 0 negatif (periksa kunci); D ≤ 0,20 jelek; ≤ 0,40 cukup; ≤ 0,70 baik; > 0,70 baik sekali. Di bawah 10 peserta D tidak dihitung (n terlalu kecil).",
        "D = (mean item score of the upper group − of the lower group) ÷ points; the upper and lower groups are the 27% of participants with the highest and lowest test scores. D < 0 negative (check the key); D ≤ 0.20 poor; ≤ 0.40 fair; ≤ 0.70 good; > 0.70 excellent. Under 10 participants D is not computed (n too small)."
    ),
    ReadEssay => (
        "Uraian tidak dinilai otomatis: kolom UR dan skor maks. tidak memuatnya. Nilailah di bagian Uraian.",
        "Essays are not scored automatically: the ESS column and the full marks leave them out. Score them in the Essays part."
    ),
}

/// Texts in one language.
#[derive(Debug, Clone, Copy)]
pub struct Tr(pub Lang);

impl Tr {
    /// A fixed text.
    pub fn t(&self, k: T) -> &'static str {
        let (id, en) = k.pair();
        match self.0 {
            Lang::Id => id,
            Lang::En => en,
        }
    }

    /// Short column label of an item type.
    pub fn type_short(&self, t: ItemType) -> &'static str {
        let (id, en) = match t {
            ItemType::MultipleChoice => ("PG", "MC"),
            ItemType::ComplexMultipleChoice => ("PGK", "CMC"),
            ItemType::Matching => ("MJ", "MAT"),
            ItemType::ShortAnswer => ("IS", "SA"),
            ItemType::Essay => ("UR", "ESS"),
        };
        self.pick(id, en)
    }

    /// Name of an item type.
    pub fn type_name(&self, t: ItemType) -> &'static str {
        let (id, en) = match t {
            ItemType::MultipleChoice => ("Pilihan ganda", "Multiple choice"),
            ItemType::ComplexMultipleChoice => {
                ("Pilihan ganda kompleks", "Complex multiple choice")
            }
            ItemType::Matching => ("Menjodohkan", "Matching"),
            ItemType::ShortAnswer => ("Isian singkat", "Short answer"),
            ItemType::Essay => ("Uraian", "Essay"),
        };
        self.pick(id, en)
    }

    fn pick(&self, id: &'static str, en: &'static str) -> &'static str {
        match self.0 {
            Lang::Id => id,
            Lang::En => en,
        }
    }

    /// How an attempt stands or ended (without the reason).
    pub fn state(&self, s: Outcome) -> &'static str {
        let (id, en) = match s {
            Outcome::NotStarted => ("Belum mulai", "Not started"),
            Outcome::Practice => ("Masih latihan", "In practice"),
            Outcome::InProgress => ("Masih mengerjakan", "In progress"),
            Outcome::FinishedParticipant => ("Selesai", "Finished"),
            Outcome::FinishedTimeout => ("Waktu habis", "Time out"),
            Outcome::FinishedProctor => ("Diselesaikan proktor", "Force-finished by the proctor"),
        };
        self.pick(id, en)
    }

    /// The state with the proctor's reason: "Diselesaikan proktor: komputer mati".
    pub fn state_with_reason(&self, s: Outcome, reason: Option<&str>) -> String {
        match reason.map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) if s == Outcome::FinishedProctor => format!("{}: {r}", self.state(s)),
            _ => self.state(s).to_string(),
        }
    }

    /// Points with up to 3 decimals: "12,5" (Indonesian, with "." grouping thousands) or
    /// "12.5".
    pub fn points(&self, m: Milli) -> String {
        let (dec, group) = match self.0 {
            Lang::Id => (',', '.'),
            Lang::En => ('.', ','),
        };
        let whole = (m / 1000).to_string();
        let mut out = String::new();
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i).is_multiple_of(3) {
                out.push(group);
            }
            out.push(c);
        }
        let frac = format!("{:03}", m % 1000);
        let frac = frac.trim_end_matches('0');
        if !frac.is_empty() {
            out.push(dec);
            out.push_str(frac);
        }
        out
    }

    /// A ratio with 2 decimals: "0,75" / "0.75"; a minus sign for negatives.
    pub fn ratio(&self, x: f64) -> String {
        let s = format!("{x:.2}");
        let s = if s == "-0.00" { "0.00".into() } else { s };
        let s = s.replace('-', "−");
        match self.0 {
            Lang::Id => s.replace('.', ","),
            Lang::En => s,
        }
    }

    /// A mean in points with 2 decimals.
    pub fn mean_points(&self, milli: f64) -> String {
        self.ratio(milli / 1000.0)
    }

    /// Difficulty category of p.
    pub fn difficulty_category(&self, p: f64) -> &'static str {
        self.t(difficulty_category(p))
    }

    /// Discrimination as text: the value, "n terlalu kecil", or nothing.
    pub fn discrimination(&self, d: Discrimination) -> String {
        match d {
            Discrimination::NotScored => String::new(),
            Discrimination::TooFew => self.t(T::TooFew).into(),
            Discrimination::Value(v) => self.ratio(v),
        }
    }

    /// Discrimination category.
    pub fn discrimination_category(&self, d: Discrimination) -> &'static str {
        match d {
            Discrimination::Value(v) => self.t(discrimination_category(v)),
            _ => "",
        }
    }

    /// Answer frequencies as one line: "A: 12 · B: 3 · kosong: 2"; a true/false grid
    /// "P1: B 10/S 4 · ...".
    pub fn frequencies(&self, f: &Frequencies, no_answer: usize) -> String {
        let mut parts: Vec<String> = match f {
            Frequencies::None => return String::new(),
            Frequencies::Choices(c) => c.iter().map(|(id, n)| format!("{id}: {n}")).collect(),
            Frequencies::TrueFalse(v) => v
                .iter()
                .map(|(id, t, f)| format!("{id}: {} {t}/{} {f}", self.t(T::True), self.t(T::False)))
                .collect(),
        };
        parts.push(format!("{}: {no_answer}", self.t(T::NoAnswerShort)));
        parts.join(" · ")
    }

    /// A response as readable text; empty when not answered. `options` are the item's ids
    /// (statements of a true/false grid are named by them).
    pub fn response(&self, r: Option<&Response>, options: &[String]) -> String {
        let Some(r) = r.filter(|r| r.is_answered()) else {
            return String::new();
        };
        match r {
            Response::Choice(c) => c.clone(),
            Response::Choices(cs) => cs.join(", "),
            Response::TrueFalse(v) => v
                .iter()
                .enumerate()
                .map(|(i, x)| {
                    let id = options
                        .get(i)
                        .cloned()
                        .unwrap_or_else(|| (i + 1).to_string());
                    let x = match x {
                        Some(true) => self.t(T::True),
                        Some(false) => self.t(T::False),
                        None => "-",
                    };
                    format!("{id}={x}")
                })
                .collect::<Vec<_>>()
                .join(", "),
            Response::Matching(pairs) => pairs
                .iter()
                .map(|(p, t)| format!("{p}→{t}"))
                .collect::<Vec<_>>()
                .join(", "),
            Response::Text(t) => t.trim().to_string(),
        }
    }

    /// A note about the bundles.
    pub fn note(&self, n: &Note) -> String {
        match (n, self.0) {
            (Note::SessionOpen { session, board }, Lang::Id) => format!(
                "Sesi {session} di papan {board} masih dibuka saat berkas hasil dibuat: hasilnya \
                 bisa masih berubah."
            ),
            (Note::SessionOpen { session, board }, Lang::En) => format!(
                "Session {session} on board {board} was still open when its bundle was made: its \
                 results may still have changed."
            ),
            (
                Note::OlderBundle {
                    session,
                    board,
                    used_seq,
                    dropped_seq,
                },
                Lang::Id,
            ) => format!(
                "Dua berkas hasil sesi {session} dari papan {board}: yang lebih baru (kejadian \
                 s.d. no. {used_seq}) dipakai, yang lama (s.d. no. {dropped_seq}) diabaikan."
            ),
            (
                Note::OlderBundle {
                    session,
                    board,
                    used_seq,
                    dropped_seq,
                },
                Lang::En,
            ) => format!(
                "Two bundles of session {session} from board {board}: the newer (events up to \
                 {used_seq}) is used, the older (up to {dropped_seq}) left out."
            ),
            (Note::SameFile { sha256 }, Lang::Id) => format!(
                "Berkas yang sama diberikan lebih dari sekali (SHA-256 {}…); dipakai sekali.",
                &sha256[..sha256.len().min(12)]
            ),
            (Note::SameFile { sha256 }, Lang::En) => format!(
                "The same file was given more than once (SHA-256 {}…); used once.",
                &sha256[..sha256.len().min(12)]
            ),
            (Note::SeveralAttempts { username, test }, Lang::Id) => format!(
                "Peserta {username} mengerjakan tes {test} di lebih dari satu berkas hasil \
                 (pindah papan?): semua baris ditampilkan, analisis butir menghitung satu, yang \
                 jawabannya paling banyak."
            ),
            (Note::SeveralAttempts { username, test }, Lang::En) => format!(
                "Participant {username} worked on test {test} in more than one bundle (moved to \
                 another board?): every row is shown, the item analysis counts one, the one with \
                 the most answers."
            ),
        }
    }
}

/// Category of a difficulty index.
pub fn difficulty_category(p: f64) -> T {
    if p <= 0.30 {
        T::Hard
    } else if p <= 0.70 {
        T::Medium
    } else {
        T::Easy
    }
}

/// Category of a discrimination index.
pub fn discrimination_category(d: f64) -> T {
    if d < 0.0 {
        T::Negative
    } else if d <= 0.20 {
        T::Poor
    } else if d <= 0.40 {
        T::Fair
    } else if d <= 0.70 {
        T::Good
    } else {
        T::Excellent
    }
}

/// Working time as `h:mm:ss`.
pub fn duration(ms: u64) -> String {
    let s = ms / 1000;
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// Points for machines: decimal point, no grouping, up to 3 decimals.
pub fn points_plain(m: Milli) -> String {
    let s = format!("{}.{:03}", m / 1000, m % 1000);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_both_languages() {
        let id = Tr(Lang::Id);
        let en = Tr(Lang::En);
        assert_eq!(id.points(12_500), "12,5");
        assert_eq!(id.points(12_345), "12,345");
        assert_eq!(id.points(12_000), "12");
        assert_eq!(id.points(0), "0");
        assert_eq!(id.points(1_234_050), "1.234,05");
        assert_eq!(en.points(1_234_050), "1,234.05");
        assert_eq!(points_plain(1_234_050), "1234.05");
        assert_eq!(points_plain(0), "0");
        assert_eq!(points_plain(333), "0.333");
        assert_eq!(id.ratio(0.755), "0,76");
        assert_eq!(en.ratio(-0.2), "−0.20");
        assert_eq!(en.ratio(-0.0001), "0.00");
        assert_eq!(duration(3_725_999), "1:02:05");
        assert_eq!(duration(45_000), "0:00:45");
    }

    #[test]
    fn responses_read_as_text() {
        let id = Tr(Lang::Id);
        let ids = ["P1".to_string(), "P2".to_string(), "P3".to_string()];
        assert_eq!(id.response(Some(&Response::Choice("B".into())), &[]), "B");
        assert_eq!(
            id.response(Some(&Response::Choices(vec!["A".into(), "D".into()])), &[]),
            "A, D"
        );
        assert_eq!(
            id.response(
                Some(&Response::TrueFalse(vec![Some(true), Some(false), None])),
                &ids
            ),
            "P1=B, P2=S, P3=-"
        );
        assert_eq!(
            Tr(Lang::En).response(Some(&Response::TrueFalse(vec![Some(true)])), &ids),
            "P1=T"
        );
        assert_eq!(
            id.response(
                Some(&Response::Matching(vec![("P1".into(), "b".into())])),
                &[]
            ),
            "P1→b"
        );
        assert_eq!(
            id.response(Some(&Response::Text(" 2,5 ".into())), &[]),
            "2,5"
        );
        assert_eq!(id.response(Some(&Response::Choice(String::new())), &[]), "");
        assert_eq!(id.response(None, &[]), "");
    }

    #[test]
    fn categories_and_states() {
        assert_eq!(difficulty_category(0.30), T::Hard);
        assert_eq!(difficulty_category(0.31), T::Medium);
        assert_eq!(difficulty_category(0.71), T::Easy);
        assert_eq!(discrimination_category(-0.1), T::Negative);
        assert_eq!(discrimination_category(0.2), T::Poor);
        assert_eq!(discrimination_category(0.4), T::Fair);
        assert_eq!(discrimination_category(0.7), T::Good);
        assert_eq!(discrimination_category(1.0), T::Excellent);
        let id = Tr(Lang::Id);
        assert_eq!(
            id.state_with_reason(Outcome::FinishedProctor, Some("listrik padam")),
            "Diselesaikan proktor: listrik padam"
        );
        assert_eq!(
            id.state_with_reason(Outcome::FinishedTimeout, None),
            "Waktu habis"
        );
        assert_eq!(
            id.frequencies(
                &Frequencies::Choices(vec![("A".into(), 3), ("B".into(), 1)]),
                2
            ),
            "A: 3 · B: 1 · kosong: 2"
        );
    }
}
