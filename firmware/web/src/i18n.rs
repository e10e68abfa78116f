//! UI text: Bahasa Indonesia by default, English on request (the `ruji_lang` cookie set by
//! `/lang/en`, or `Accept-Language`). Every string a person sees is a [`Msg`], through [`Tr::t`].

use axum::http::HeaderMap;
use serde::Serialize;

/// A UI language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Lang {
    /// Bahasa Indonesia (default).
    Id,
    /// English.
    En,
}

impl Lang {
    /// Parses `id` / `en`.
    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().get(..2) {
            Some("id") | Some("in") => Some(Lang::Id),
            Some("en") => Some(Lang::En),
            _ => None,
        }
    }
    /// The code for `lang=` attributes.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Id => "id",
            Lang::En => "en",
        }
    }
    /// The school's language setting as a language for everyone (`None`: follow the browser).
    pub fn of_school(l: ruji_room::config::Language) -> Option<Lang> {
        match l {
            ruji_room::config::Language::Auto => None,
            ruji_room::config::Language::Id => Some(Lang::Id),
            ruji_room::config::Language::En => Some(Lang::En),
        }
    }
    /// The language from the cookie or, failing that, the first supported in Accept-Language.
    pub fn from_headers(headers: &HeaderMap) -> Lang {
        let cookie = headers
            .get_all(axum::http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .find_map(|c| c.trim().strip_prefix("ruji_lang=").and_then(Lang::parse));
        if let Some(l) = cookie {
            return l;
        }
        headers
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').find_map(Lang::parse))
            .unwrap_or(Lang::Id)
    }
}

impl From<Lang> for ruji_print::Lang {
    fn from(l: Lang) -> ruji_print::Lang {
        match l {
            Lang::Id => ruji_print::Lang::Id,
            Lang::En => ruji_print::Lang::En,
        }
    }
}

/// Translator handed to templates.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    /// The language.
    pub lang: Lang,
}

impl Tr {
    /// The text `m` in this language.
    pub fn t(&self, m: Msg) -> &'static str {
        m.text(self.lang)
    }
    /// The language code.
    pub fn code(&self) -> &'static str {
        self.lang.code()
    }
    /// The other language, for the switch link.
    pub fn other(&self) -> &'static str {
        match self.lang {
            Lang::Id => "en",
            Lang::En => "id",
        }
    }
    /// Label of the other language.
    pub fn other_label(&self) -> &'static str {
        match self.lang {
            Lang::Id => "English",
            Lang::En => "Bahasa Indonesia",
        }
    }
}

/// Declares [`Msg`], every text a person sees, with its Bahasa Indonesia and English.
macro_rules! messages {
    ($($(#[$doc:meta])* $v:ident => ($id:literal, $en:literal),)*) => {
        /// A UI text. Templates and handlers name texts by this enum, so a text that does not
        /// exist is a compile error, never a "?" on a page.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Msg { $($(#[$doc])* $v,)* }

        impl Msg {
            /// Every text.
            pub const ALL: &'static [Msg] = &[$(Msg::$v,)*];
            /// The text in `lang`.
            pub fn text(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $((Msg::$v, Lang::Id) => $id, (Msg::$v, Lang::En) => $en,)*
                }
            }
        }
    };
}

messages! {
    /// (Bahasa Indonesia, English) for a key.
    // Participant pages.
    Welcome => ("Selamat Datang", "Welcome"),
    LoginWaitTitle => ("Login sedang diproses", "Logging you in"),
    LoginWaitText => ("Banyak peserta masuk bersamaan. Login Anda sedang diproses: tunggu di halaman ini, jangan menekan LOGIN lagi. Halaman ini akan lanjut sendiri.", "Many participants are logging in at once. Your login is being processed: wait on this page, do not press LOG IN again. This page will carry on by itself."),
    LoginWaitAhead => ("Peserta sebelum Anda:", "Participants before you:"),
    LoginWaitCheck => ("Periksa sekarang", "Check now"),
    LoginBusy => ("Sedang diproses…", "Processing…"),
    LoginHint => ("Masukkan username dan password dari kartu peserta.", "Enter the username and password from your login card."),
    Username => ("Username", "Username"),
    Password => ("Password", "Password"),
    Login => ("LOGIN", "LOG IN"),
    Logout => ("Keluar", "Log out"),
    ConfirmTitle => ("Konfirmasi Data Peserta", "Confirm participant data"),
    Number => ("Nomor peserta", "Participant number"),
    Name => ("Nama", "Name"),
    Sex => ("Jenis kelamin", "Sex"),
    Male => ("Laki-laki", "Male"),
    Female => ("Perempuan", "Female"),
    Class => ("Kelas", "Class"),
    Test => ("Tes", "Test"),
    Duration => ("Alokasi waktu", "Time allowed"),
    Minutes => ("menit", "minutes"),
    TypeName => ("Ketik nama lengkap Anda", "Type your full name"),
    TypeDob => ("Tanggal lahir (HH-BB-TTTT)", "Date of birth (DD-MM-YYYY)"),
    Token => ("Token", "Token"),
    TokenHint => ("Token diumumkan oleh proktor.", "The proctor announces the token."),
    Start => ("Mulai", "Start"),
    ResumeNote => ("Anda melanjutkan tes. Jawaban dan sisa waktu Anda tetap tersimpan.", "You are resuming your test. Your answers and remaining time are kept."),
    Practice => ("Latihan", "Practice"),
    PracticeNote => ("Ini soal latihan. Jawaban latihan tidak dinilai dan waktu tes belum berjalan. Bila waktu latihan habis, tes dimulai dengan sendirinya.", "These are practice items. They are not scored and the test clock has not started. When the practice time is up, the test starts by itself."),
    PracticeEnd => ("Selesai latihan, mulai tes", "End practice, start the test"),
    ItemNo => ("Soal nomor", "Question"),
    TimeLeft => ("Sisa waktu", "Time left"),
    PracticeTimeLeft => ("Sisa waktu latihan", "Practice time left"),
    FontSize => ("Ukuran huruf", "Font size"),
    ItemList => ("Daftar soal", "Question list"),
    Prev => ("Soal sebelumnya", "Previous"),
    Next => ("Soal berikutnya", "Next"),
    Doubtful => ("Ragu-ragu", "Not sure"),
    Finish => ("Selesai", "Finish"),
    Save => ("Simpan", "Save"),
    Saved => ("Jawaban tersimpan", "Answer saved"),
    Saving => ("Menyimpan...", "Saving..."),
    SaveRetry => ("Koneksi terputus. Jawaban akan dikirim ulang otomatis; jangan tutup halaman ini.", "Connection lost. Your answer will be sent again automatically; do not close this page."),
    Warning5 => ("Perhatian: waktu hampir habis. Periksa kembali jawaban Anda.", "Attention: time is almost up. Check your answers."),
    LegendAnswered => ("sudah dijawab", "answered"),
    LegendUnanswered => ("belum dijawab", "not answered"),
    LegendDoubtful => ("ragu-ragu", "not sure"),
    ChooseOne => ("Pilih satu jawaban.", "Choose one answer."),
    ChooseMany => ("Pilih semua jawaban yang benar.", "Choose every correct answer."),
    True => ("Benar", "True"),
    False => ("Salah", "False"),
    Statement => ("Pernyataan", "Statement"),
    ChoosePair => ("-- pilih pasangan --", "-- choose a match --"),
    YourAnswer => ("Jawaban Anda", "Your answer"),
    Clear => ("Hapus jawaban", "Clear answer"),
    FinishTitle => ("Selesai mengerjakan?", "Finish the test?"),
    FinishSummary => ("Ringkasan jawaban", "Summary"),
    Answered => ("Dijawab", "Answered"),
    Unanswered => ("Belum dijawab", "Not answered"),
    DoubtfulCount => ("Ragu-ragu", "Not sure"),
    FinishConfirm => ("Apakah Anda yakin ingin mengakhiri tes? Jawaban tidak dapat diubah lagi.", "Are you sure you want to finish? Answers cannot be changed afterwards."),
    FinishTick => ("Saya yakin dan ingin mengakhiri tes", "I am sure and want to finish"),
    FinishButton => ("Selesai dan kirim", "Finish and submit"),
    BackToTest => ("Kembali ke soal", "Back to the questions"),
    DoneTitle => ("Terima kasih", "Thank you"),
    DoneText => ("Anda telah menyelesaikan tes. Jawaban Anda sudah tersimpan.", "You have finished the test. Your answers are saved."),
    DoneTimeout => ("Waktu tes telah habis. Jawaban yang sudah Anda isi tersimpan.", "The time is up. The answers you gave are saved."),
    DoneProctor => ("Tes Anda diakhiri oleh proktor. Jawaban yang sudah Anda isi tersimpan.", "The proctor ended your test. The answers you gave are saved."),
    DoneNextTest => ("Masih ada tes berikutnya di sesi ini:", "Another test of this session is still to do:"),
    DoneNextTestHow => ("Login lagi dengan username dan password yang sama, lalu masukkan token untuk mengerjakannya.", "Log in again with the same username and password, then enter the token to take it."),
    DoneAll => ("Semua tes pada sesi ini sudah Anda selesaikan.", "You have finished every test of this session."),
    BackToLogin => ("Kembali ke halaman login", "Back to the login page"),
    NextTestNote => ("Tes berikutnya pada sesi ini", "Next test in this session"),
    JsOff => ("JavaScript mati: jawaban tersimpan setiap kali Anda menekan tombol.", "JavaScript is off: answers are saved whenever you press a button."),
    Stimulus => ("Bacaan", "Reading"),
    // Errors a participant sees.
    ErrWrongPassword => ("Username atau password salah. Periksa kartu peserta Anda.", "Wrong username or password. Check your login card."),
    ErrLiveBusy => ("Pembaruan langsung sudah dipakai tab lain di komputer ini (atau terlalu banyak komputer). Halaman ini tetap diperbarui setiap 3 detik.", "Live updates are already used by other tabs on this computer (or by too many computers). This page still updates every 3 seconds."),
    ErrBusy => ("Server sedang melayani sangat banyak login. Tunggu beberapa detik, lalu tekan LOGIN lagi.", "The server is handling very many logins. Wait a few seconds, then press LOG IN again."),
    ErrLoginGone => ("Login Anda tidak ditemukan lagi. Silakan masuk lagi dengan kartu peserta.", "Your login could not be found any more. Please log in again with your login card."),
    ErrClockOutOfRange => ("Tanggal dan jam itu tidak mungkin benar (lebih awal dari perangkat lunak ini, atau tidak lengkap). Periksa tanggal, jam dan zona waktu, lalu coba lagi.", "That date and time cannot be right (earlier than this software, or incomplete). Check the date, the time and the time zone, then try again."),
    ErrClockBeforeKnown => ("Jam itu lebih awal dari jam papan sekarang, yang saat menyala dimajukan ke waktu terakhir yang pernah dilihatnya; jadi jam komputer ini tertinggal. Periksa dengan jam dinding atau ponsel, ketik tanggal dan jam yang benar, lalu coba lagi.", "That time is earlier than the board's clock now, which was put forward at start to the last time it had seen; so this computer's clock is behind. Check with a wall clock or a phone, type the right date and time, then try again."),
    ErrClockAlreadySet => ("Jam papan sudah diatur; jam dari browser tidak mengubahnya (jam komputer sekolah sering salah). Jam papan dikoreksi sendiri dari internet atau server pusat.", "The board's clock is set already; a browser's clock does not change it (school computers' clocks are often wrong). The board corrects its clock itself from the internet or the central server."),
    ErrClockFailed => ("Papan menolak mengatur jamnya. Mulai ulang papan, lalu coba lagi; bila tetap gagal, catat di berita acara.", "The board refused to set its clock. Restart the board, then try again; if it still fails, note it in the session report."),
    ErrThrottled => ("Terlalu banyak percobaan yang salah. Tunggu sebentar, lalu coba lagi, atau hubungi proktor.", "Too many failed attempts. Wait a moment and try again, or ask the proctor."),
    ErrAlreadyLoggedIn => ("Anda masih tercatat login di komputer lain. Minta proktor melakukan reset login, lalu login kembali.", "You are still logged in on another computer. Ask the proctor to reset your login, then log in again."),
    ErrReserveNotActive => ("Anda terdaftar sebagai peserta cadangan. Minta proktor mengaktifkan akun Anda.", "You are registered as a reserve. Ask the proctor to activate your account."),
    ErrNoOpenSession => ("Belum ada sesi ujian yang dibuka. Tunggu aba-aba proktor.", "No exam session is open yet. Wait for the proctor."),
    ErrNotInSession => ("Anda tidak terdaftar pada sesi ini. Hubungi proktor.", "You are not registered for this session. Ask the proctor."),
    ErrLoggedOut => ("Login Anda tidak berlaku lagi (direset proktor atau dipakai di komputer lain). Silakan login kembali.", "Your login is no longer valid (reset by the proctor or used elsewhere). Please log in again."),
    ErrNotLoggedIn => ("Silakan login terlebih dahulu.", "Please log in first."),
    ErrNoToken => ("Token belum dirilis. Tunggu proktor mengumumkan token.", "The token has not been released yet. Wait for the proctor to announce it."),
    ErrWrongToken => ("Token salah atau sudah tidak berlaku. Periksa token yang diumumkan proktor.", "Wrong or expired token. Check the token the proctor announced."),
    ErrNameMismatch => ("Nama yang Anda ketik tidak sesuai dengan data peserta. Ketik nama lengkap seperti pada kartu peserta.", "The name you typed does not match. Type your full name as on your login card."),
    ErrBirthDateMismatch => ("Tanggal lahir tidak sesuai. Tulis seperti 03-01-2011. Jika data salah, hubungi proktor.", "Date of birth does not match. Write it like 03-01-2011. If the data is wrong, ask the proctor."),
    ErrNotStarted => ("Tes belum dimulai. Masukkan token terlebih dahulu.", "The test has not started. Enter the token first."),
    ErrFinished => ("Tes ini sudah selesai; jawaban tidak dapat diubah.", "This test is finished; answers cannot be changed."),
    ErrForceFinished => ("Tes Anda diakhiri oleh proktor. Jawaban yang sudah Anda isi tersimpan.", "The proctor ended your test. The answers you gave are saved."),
    ErrTokenRequired => ("Masukkan kembali data Anda dan token untuk melanjutkan tes.", "Enter your details and the token again to continue the test."),
    ErrTimeUp => ("Waktu tes sudah habis; jawaban tidak dapat diubah.", "The time is up; answers cannot be changed."),
    ErrDoubtful => ("Masih ada soal yang ditandai ragu-ragu. Periksa dan hapus tanda ragu-ragu sebelum selesai.", "Some questions are still marked not sure. Check them and clear the mark before finishing."),
    ErrTooEarly => ("Tes belum dapat diakhiri. Tunggu sampai waktu minimum terpenuhi.", "You cannot finish yet. Wait until the minimum time has passed."),
    ErrNotConfirmed => ("Centang kotak konfirmasi untuk mengakhiri tes.", "Tick the confirmation box to finish."),
    ErrAllDone => ("Semua tes pada sesi ini sudah selesai.", "Every test of this session is finished."),
    ErrWrongPhase => ("Langkah ini tidak berlaku sekarang. Muat ulang halaman.", "This step does not apply now. Reload the page."),
    ErrUnknownItem => ("Soal tidak ditemukan.", "Question not found."),
    ErrBadResponse => ("Jawaban tidak sesuai dengan jenis soal. Periksa kembali jawaban Anda.", "The answer does not fit the question. Check your answer."),
    ErrBadRequest => ("Isian tidak lengkap atau tidak valid. Periksa kembali, lalu kirim ulang.", "The form is incomplete or invalid. Check it and send again."),
    ErrTooLarge => ("Jawaban terlalu panjang untuk dikirim. Persingkat jawaban Anda.", "The answer is too long to send. Shorten it."),
    ErrStorage => ("Jawaban BELUM tersimpan karena gangguan penyimpanan. Coba lagi; jika berulang, hubungi proktor.", "The answer was NOT saved because of a storage problem. Try again; if it repeats, tell the proctor."),
    ErrStorageFull => ("Kartu SD board PENUH: jawaban dan perubahan baru TIDAK dapat disimpan. Yang sudah tersimpan aman. Unduh hasil semua sesi sekarang, lalu minta teknisi mengosongkan atau mengganti kartu sebelum sesi berikutnya (Panduan Proktor, bagian 11d).", "The board's SD card is FULL: new answers and changes CANNOT be saved. What is already saved is safe. Download every session's results now, then have a technician free or replace the card before the next session (Proctor guide, section 11d)."),
    ErrStorageFailing => ("Kartu SD board menolak membaca atau menulis (rusak, longgar, atau terkunci hanya-baca). Yang sudah tersimpan aman. Ruji memulai ulang sendiri; jika pesan ini terulang, matikan board dengan menahan tombol 3 detik dan ganti kartu (Panduan Proktor, bagian 11d).", "The board's SD card refused a read or write (failing, loose, or locked read-only). What is already saved is safe. Ruji restarts by itself; if this message comes back, shut the board down by holding the button 3 seconds and replace the card (Proctor guide, section 11d)."),
    ErrStorageCorrupt => ("Berkas data di kartu SD board rusak. Jangan matikan board: unduh hasil semua sesi yang masih bisa diunduh, lalu hubungi teknisi (Panduan Proktor, bagian 11d).", "The data file on the board's SD card is damaged. Do not switch the board off: download every session's results that can still be downloaded, then call a technician (Proctor guide, section 11d)."),
    ErrShuttingDown => ("Server sedang dimatikan. Jawaban yang sudah tersimpan aman. Tunggu proktor.", "The server is shutting down. Saved answers are safe. Wait for the proctor."),
    ErrUnknownParticipant => ("Peserta tidak ditemukan.", "Participant not found."),
    ErrForbidden => ("Halaman ini khusus proktor.", "This page is for the proctor only."),
    ErrCsrf => ("Formulir kedaluwarsa. Muat ulang halaman, lalu ulangi.", "The form has expired. Reload the page and try again."),
    ErrNotFound => ("Halaman tidak ditemukan.", "Page not found."),
    Error => ("Terjadi kesalahan", "Something went wrong"),
    Back => ("Kembali", "Back"),
    // Proctor pages.
    Proctor => ("Proktor", "Proctor"),
    SetupTitle => ("Buat password proktor", "Create the proctor password"),
    SetupHint => ("Ketik kode penyiapan yang tercetak di layar/log server Ruji, lalu buat password proktor (minimal 8 karakter).", "Type the setup code printed on the Ruji server's console/log, then choose a proctor password (at least 8 characters)."),
    SetupOrButton => ("Tanpa kode: kosongkan kolom ini, isi password, tekan Simpan, lalu tekan tombol pada papan Ruji.", "Without the code: leave this empty, fill in the password, press Save, then press the button on the Ruji board."),
    PressButtonTitle => ("Tekan tombol pada papan", "Press the button on the board"),
    PressButtonText => ("Tekan sekali tombol pada papan Ruji untuk membuktikan Anda berada di dekatnya. Halaman ini berlanjut sendiri.", "Press the button on the Ruji board once to show you are next to it. This page continues by itself."),
    SecondsLeft => ("detik tersisa", "seconds left"),
    ErrConfirmExpired => ("Waktu menekan tombol sudah habis. Ulangi dari awal.", "The time to press the button ran out. Start again."),
    SetupCode => ("Kode penyiapan", "Setup code"),
    NewPassword => ("Password baru", "New password"),
    RepeatPassword => ("Ulangi password", "Repeat the password"),
    Create => ("Simpan password", "Save password"),
    ProctorLogin => ("Login proktor", "Proctor login"),
    ProctorLoginHint => ("Proktor dan pengawas login di sini, masing-masing dengan password-nya sendiri.", "The proctor and the invigilator log in here, each with their own password."),
    ChangePassword => ("Ganti password", "Change password"),
    CurrentPassword => ("Password sekarang", "Current password"),
    ChangePasswordHint => ("Setelah password diganti, semua browser lain yang login sebagai proktor akan keluar (juga salinan cookie-nya). Browser ini tetap login.", "After the change, every other browser logged in as proctor is logged out (copies of its cookie too). This browser stays logged in."),
    PasswordChanged => ("Password sudah diganti. Browser lain yang login sebagai proktor sudah keluar.", "The password was changed. Every other browser logged in as proctor is logged out."),
    BackToDashboard => ("Kembali ke Status Ujian", "Back to the exam status"),
    Account => ("Akun", "Account"),
    ProctorPasswordTitle => ("Password proktor", "The proctor's password"),
    InvigilatorAccount => ("Akun pengawas", "The invigilator's account"),
    InvigilatorHint => ("Pengawas ruang dapat melihat Status Ujian, token, log kejadian, dan dokumen cetak dari perangkatnya sendiri, tanpa dapat mengubah apa pun (tidak membuka sesi, tidak mereset login, tidak mengakhiri ujian). Pengawas login di halaman yang sama (/proctor) dengan password ini. Password pengawas harus berbeda dari password proktor.", "The room's invigilator can watch the exam status, the token, the event log and the printables from their own device without changing anything (no opening sessions, no login resets, no force finish). The invigilator logs in on the same page (/proctor) with this password. It must differ from the proctor's."),
    InvigilatorNone => ("Belum ada akun pengawas.", "No invigilator's account yet."),
    InvigilatorActive => ("Akun pengawas aktif. Menyimpan password baru mengeluarkan semua browser pengawas.", "The invigilator's account is active. Saving a new password logs out every invigilator's browser."),
    SetInvigilator => ("Simpan password pengawas", "Save the invigilator's password"),
    RemoveInvigilator => ("Hapus akun pengawas", "Remove the invigilator's account"),
    SignOutEverywhere => ("Keluar dari semua perangkat", "Sign out everywhere"),
    SignOutEverywhereHint => ("Mengakhiri semua login proktor dan pengawas di semua browser, termasuk browser ini (misalnya bila proktor lupa keluar di PC lab atau ponsel hilang). Setelah itu login lagi dengan password.", "Ends every proctor and invigilator login in every browser, this one included (a browser left logged in on a lab PC, a lost phone). Then log in again with the password."),
    ReadOnlyBanner => ("Anda masuk sebagai pengawas: hanya melihat. Tindakan (membuka sesi, reset login, akhiri ujian) dilakukan oleh proktor.", "You are logged in as the invigilator: view only. Actions (opening sessions, login resets, force finish) are the proctor's."),
    Invigilator => ("Pengawas", "Invigilator"),
    ErrReadOnly => ("Akun pengawas hanya untuk melihat. Minta proktor melakukan tindakan ini.", "The invigilator's account can only look. Ask the proctor to do this."),
    ErrInvigilatorSame => ("Password pengawas harus berbeda dari password proktor. Pilih password lain.", "The invigilator's password must differ from the proctor's. Choose another."),
    ErrSetupCode => ("Kode penyiapan salah. Lihat kode di layar atau log server.", "Wrong setup code. See the code on the server's console or log."),
    ErrPasswordShort => ("Password minimal 8 karakter.", "The password needs at least 8 characters."),
    ErrPasswordRepeat => ("Kedua password tidak sama. Ketik ulang.", "The two passwords differ. Type them again."),
    ErrProctorPassword => ("Password proktor salah.", "Wrong proctor password."),
    ErrClaimInProgress => ("Board ini sedang diklaim dari browser lain dan menunggu tombol di board ditekan. Tunggu sampai waktunya habis (paling lama 1 menit), lalu coba lagi; atau ketik kode penyiapan dari layar/log server.", "This board is being claimed from another browser and waits for its button. Wait until that time runs out (1 minute at most), then try again; or type the setup code from the server's screen or log."),
    ErrAlreadySetup => ("Password proktor sudah dibuat. Silakan login.", "The proctor password already exists. Please log in."),
    Package => ("Paket Soal", "Exam package"),
    PkgReport => ("Berita Acara Sinkronisasi", "Sync report"),
    PkgPrint => ("Cetak", "Print"),
    PkgRSession => ("Sesi", "Session"),
    PkgCurrent => ("Paket yang terpasang", "Installed package"),
    PkgParticipants => ("peserta", "participants"),
    PkgBuiltin => ("paket demo bawaan", "built-in demo package"),
    PkgTest => ("Tes", "Test"),
    PkgItems => ("Soal", "Items"),
    PkgMinutes => ("Menit", "Minutes"),
    PkgState => ("Keadaan", "State"),
    PkgSealed => ("Terkunci", "Sealed"),
    PkgOpen => ("Terbuka", "Released"),
    PkgRelease => ("Buka soal dengan kode rilis", "Release with the release code"),
    PkgReleaseHelp => ("Pada hari ujian, ketik kode rilis sesi dari dinas/sekolah. Huruf besar-kecil dan tanda hubung tidak berpengaruh.", "On exam day, type the session's release code from the issuer. Case and dashes do not matter."),
    PkgCode => ("Kode rilis", "Release code"),
    PkgReleaseButton => ("Buka soal", "Release"),
    PkgSessionOpen => ("soal sudah terbuka", "released"),
    PkgCentralHelp => ("Bila papan tersambung ke internet, kunci sesi dapat diambil langsung dari server pusat (mulai waktu yang ditetapkan penerbit, biasanya sehari sebelum ujian). Tanpa internet, ketik kode rilis offline.", "When the board is online, a session's key can be fetched from the central server (from the time the issuer set, usually the day before the exam). Without internet, type the offline release code."),
    PkgCentralProblem => ("Server pusat di ruji.toml tidak dapat dipakai; gunakan kode rilis offline.", "The central server in ruji.toml cannot be used; use the offline release code."),
    PkgCentralButton => ("Ambil kunci dari server pusat", "Fetch the key from the central server"),
    PkgReleasedCentral => ("Kunci sesi diambil dari server pusat dan soal sesi dibuka. Sesi sekarang dapat dimulai dari dasbor.", "The session's key came from the central server and its items are released. The session can now be opened from the dashboard."),
    PkgErrCentralOff => ("Server pusat belum diatur. Isi bagian [central] di ruji.toml, atau ketik kode rilis offline.", "No central server is set. Fill in [central] in ruji.toml, or type the offline release code."),
    PkgErrCentralUnreachable => ("Server pusat tidak dapat dihubungi. Periksa sambungan internet papan (tethering USB atau kabel WAN), lalu coba lagi; atau minta kode rilis offline ke penerbit dan ketik di bawah.", "The central server cannot be reached. Check the board's internet link (USB tethering or the WAN cable) and try again; or ask the issuer for the offline release code and type it below."),
    PkgErrCentralCert => ("Sertifikat server pusat ditolak. Periksa jam papan di dasbor (jam yang salah membuat sertifikat tampak tidak berlaku) dan alamat server di ruji.toml; atau gunakan kode rilis offline.", "The central server's certificate was refused. Check the board's clock on the dashboard (a wrong clock makes certificates look invalid) and the server address in ruji.toml; or use the offline release code."),
    PkgErrCentralEarly => ("Server pusat belum memberikan kunci sesi ini. Kunci diberikan mulai waktu berikut; coba lagi saat itu.", "The central server does not give this session's key yet. It is given from the time below; try again then."),
    PkgErrCentralDevice => ("Papan ini belum terdaftar di server pusat. Kirim ID papan (di Berita Acara Sinkronisasi) ke penerbit, atau gunakan kode rilis offline.", "This board is not registered with the central server. Send the board id (on the sync report) to the issuer, or use the offline release code."),
    PkgErrCentralChanged => ("Server pusat memegang versi lain dari paket ini. Impor paket terbaru dari penerbit, lalu ambil kuncinya lagi.", "The central server holds another version of this package. Import the latest package from the issuer, then fetch the key again."),
    PkgErrCentralUnknown => ("Server pusat tidak mengenal paket atau sesi ini. Periksa alamat server di ruji.toml atau hubungi penerbit; atau gunakan kode rilis offline.", "The central server does not know this package or session. Check the server address in ruji.toml or contact the issuer; or use the offline release code."),
    PkgErrCentralUnscheduled => ("Sesi ini tidak berjadwal di server pusat, jadi kuncinya tidak diberikan lewat internet. Minta kode rilis offline ke penerbit.", "This session has no schedule on the central server, so its key is not given online. Ask the issuer for the offline release code."),
    PkgErrCentralOther => ("Jawaban server pusat tidak dikenali. Gunakan kode rilis offline dan laporkan ke teknisi.", "The central server's answer is not understood. Use the offline release code and tell the technician."),
    PkgImport => ("Impor paket", "Import a package"),
    PkgImportHelp => ("Pilih berkas .rujipkg dari penerbit. Paket diperiksa seluruhnya dulu; jika ada yang salah, tidak ada yang berubah.", "Choose the .rujipkg file from the issuer. The package is checked completely first; if anything is wrong, nothing changes."),
    PkgUpload => ("Unggah dan impor", "Upload and import"),
    PkgUsb => ("Dari flashdisk", "From a USB stick"),
    PkgUsbNone => ("Tidak ada berkas .rujipkg di flashdisk. Colokkan flashdisk lalu muat ulang halaman ini.", "No .rujipkg file on a USB stick. Plug one in and reload this page."),
    PkgImportThis => ("Impor", "Import"),
    PkgTrustedIssuers => ("Penerbit tepercaya", "Trusted issuers"),
    PkgTrustedNone => ("Belum ada. Tambahkan kunci publik penerbit (dari `ruji keygen`) agar paketnya diterima.", "None yet. Add an issuer's public key (from `ruji keygen`) so its packages are accepted."),
    PkgTrustLabel => ("Nama", "Name"),
    PkgTrustKey => ("Kunci publik", "Public key"),
    PkgTrustAdd => ("Percayai", "Trust"),
    PkgImported => ("Paket diimpor. Soal masih terkunci sampai kode rilis dimasukkan.", "Package imported. Its items stay sealed until the release code is entered."),
    PkgReleased => ("Soal sesi dibuka. Sesi sekarang dapat dimulai dari dasbor.", "The session's items are released. The session can now be opened from the dashboard."),
    PkgTrusted => ("Kunci penerbit ditambahkan.", "Issuer key added."),
    PkgNothingChanged => ("Tidak ada yang berubah di server.", "Nothing was changed on the server."),
    PkgErrZip => ("Berkas bukan paket yang utuh (rusak, terpotong, atau terlalu besar). Salin atau unduh ulang berkasnya.", "The file is not a complete package (damaged, cut short or too large). Copy or download it again."),
    PkgErrDamaged => ("Paket tidak lengkap atau rusak. Minta paket lagi dari penerbitnya.", "The package is incomplete or damaged. Get it again from its issuer."),
    PkgErrVersion => ("Paket dibuat untuk versi Ruji yang lebih baru. Perbarui Ruji.", "The package is for a newer Ruji. Update Ruji."),
    PkgErrTampered => ("Paket telah diubah setelah ditandatangani. Jangan dipakai; minta paket asli dari penerbit.", "The package was changed after it was signed. Do not use it; get the original from its issuer."),
    PkgErrUntrusted => ("Paket ditandatangani penerbit yang belum dipercaya server ini. Jika penerbitnya benar, tambahkan kunci publiknya di bawah.", "The package is signed by an issuer this server does not trust. If the issuer is genuine, add its public key below."),
    PkgErrWrongCode => ("Kode rilis tidak cocok untuk sesi ini. Periksa bahwa kodenya untuk paket dan sesi ini.", "The release code does not open this session. Check it is the code for this package and session."),
    PkgErrCodeTypo => ("Kode rilis salah ketik. Periksa setiap kelompok 4 huruf dengan kertasnya.", "The release code has a typo. Check each group of 4 against the paper."),
    PkgErrNoSession => ("Paket tidak punya sesi itu.", "The package has no such session."),
    PkgErrInvalid => ("Isi paket tidak sah sebagai ujian. Laporkan ke penerbit.", "The package content is not a valid exam. Report it to the issuer."),
    PkgErrPlainPasswords => ("Paket ini menyimpan password peserta apa adanya (dibuat dengan ruji pack versi lama), sehingga password kartu login akan tersimpan di papan. Minta penerbit membuat ulang paket dengan ruji pack versi terbaru: password yang sama tetap berlaku, kartu login tidak perlu dicetak ulang.", "This package holds the participants' passwords as they are (made by an older ruji pack), so the login cards' passwords would stay on the board. Ask the issuer to pack it again with the current ruji pack: the same passwords stay valid, the login cards need no reprint."),
    PkgErrReplace => ("Paket lain yang sedang terpasang sudah berisi pekerjaan peserta. Unduh hasilnya dan selesaikan dulu; paket baru tidak dipasang.", "Another installed package already holds participants' work. Download its results first; the new package was not installed."),
    PkgErrSessionOpen => ("Sebuah sesi sedang dibuka. Tutup sesi itu dulu di dasbor, lalu impor paket lagi.", "A session is open. Close it on the dashboard first, then import the package again."),
    PkgErrStorage => ("Server tidak dapat menyimpan paket (kartu penuh atau rusak?).", "The server cannot store the package (card full or failing?)."),
    PkgErrUpload => ("Unggahan terputus. Coba lagi.", "The upload was interrupted. Try again."),
    PkgErrNoFile => ("Pilih berkas paket terlebih dahulu.", "Choose a package file first."),
    PkgErrKey => ("Itu bukan kunci publik Ruji (diawali ruji-pk:).", "That is not a Ruji public key (it starts with ruji-pk:)."),
    PkgErrNone => ("Belum ada paket yang diimpor.", "No package has been imported."),
    Network => ("Jaringan", "Network"),
    LanOff => ("Layanan LAN tidak berjalan. Jalankan Ruji dengan --lan-iface (di papan: otomatis).", "The LAN service is not running. Run Ruji with --lan-iface (on the board: automatic)."),
    LanAddress => ("Alamat papan", "Board address"),
    LanBound => ("alamat terpasang", "address in use by the board"),
    LanProbing => ("memeriksa apakah alamat bebas...", "checking that the address is free..."),
    LanConflict => ("KONFLIK: alamat dipakai perangkat lain", "CONFLICT: another device uses the address"),
    LanLinkUp => ("kabel tersambung", "cable connected"),
    LanLinkDown => ("kabel LAN tidak tersambung", "LAN cable not connected"),
    LanRescan => ("Cek semua", "Check all"),
    LanFindings => ("Temuan", "Findings"),
    LanSeats => ("Kursi", "Seats"),
    LanLastSeen => ("terakhir terdengar", "last heard"),
    Dashboard => ("Status Ujian", "Exam status"),
    Sessions => ("Sesi", "Sessions"),
    OpenSession => ("Buka sesi", "Open session"),
    CloseSession => ("Tutup sesi", "Close session"),
    SessionOpen => ("Sesi dibuka", "Session open"),
    SessionClosedBadge => ("Sudah ditutup", "Closed"),
    ReopenSession => ("Buka lagi", "Reopen"),
    SessionClosed => ("Sesi ditutup", "Session closed"),
    NoSessionOpen => ("Belum ada sesi yang dibuka. Buka sesi untuk merilis token.", "No session is open. Open a session to release the token."),
    Replaces => ("menggantikan…", "replacing…"),
    BirthDate => ("Tanggal lahir", "Date of birth"),
    DemoLogins => ("Login ujian demo: semua peserta dan cadangan", "Demo exam logins: every participant and reserve"),
    DemoLoginsHint => ("Ujian demo bawaan untuk gladi bersih: password-nya tidak rahasia. Peserta cadangan baru bisa login setelah diaktifkan. Setelah paket soal asli diimpor, daftar ini hilang.", "The built-in demo exam, for a rehearsal: its passwords are not secret. A reserve can log in once activated. Once a real package is imported, this list is gone."),
    ErrPaused => ("Ujian sedang dijeda oleh proktor; waktu Anda tidak berjalan. Tunggu; jawaban Anda tersimpan di komputer ini dan terkirim sendiri setelah ujian dilanjutkan.", "The proctor has paused the exam; your time is not running. Wait: your answer is kept on this computer and sent by itself when the exam resumes."),
    ErrPauseState => ("Ujian sudah dijeda, atau tidak sedang dijeda. Muat ulang halaman.", "The exam is paused already, or not paused. Reload the page."),
    PauseAll => ("Jeda semua", "Pause all"),
    PauseAllHint => ("Bila komputer peserta mati listrik (papan tetap menyala dengan UPS): waktu semua peserta berhenti sampai dilanjutkan.", "When the clients lose power (the board stays on its UPS): everyone's time stops until it resumes."),
    ResumeAll => ("Lanjutkan semua", "Resume all"),
    PausedBanner => ("Ujian dijeda sejak", "The exam is paused since"),
    PausedBannerTodo => ("Waktu peserta tidak berjalan dan jawaban tidak diterima. Tekan Lanjutkan semua bila komputer peserta sudah menyala.", "Participants' time does not run and no answer is taken. Press Resume all once the clients are back on."),
    ErrReopenConfirm => ("Sesi ini sudah ditutup dan berkas hasilnya sudah dibuat. Untuk membukanya lagi, centang kotak konfirmasinya.", "This session is closed and its results file made. To open it again, tick its confirmation box."),
    ReopenConfirm => ("Buka lagi sesi yang sudah ditutup: peserta dapat login lagi dan berkas hasil dibuat ulang saat ditutup.", "Open the closed session again: participants can log in again and the results file is made anew when it closes."),
    ErrExtraMinutes => ("Tambahan waktu 1 sampai 120 menit.", "Extra time is 1 to 120 minutes."),
    ExtraTime => ("Tambah waktu", "Extra time"),
    ExtraMinutesLabel => ("menit", "minutes"),
    ErrTooManyCards => ("Paling banyak 100 kartu sekaligus. Pilih satu kelas yang lebih kecil atau satu peserta.", "At most 100 cards at once. Choose a smaller class or one participant."),
    ErrBulkNone => ("Centang dulu peserta yang login-nya akan direset.", "Tick the participants whose logins to reset first."),
    BulkReset => ("Reset login yang dicentang", "Reset the ticked logins"),
    BulkFinish => ("Paksa selesai semua yang masih mengerjakan", "Force finish everyone still working"),
    BulkFinishHint => ("Di akhir sesi: setiap tes yang masih terbuka diakhiri dengan alasan ini, yang dicatat di berita acara.", "At the end of the session: every test still open is ended with this reason, which the session report records."),
    Tick => ("Pilih", "Select"),
    ErrCardsChoose => ("Pilih satu peserta atau satu kelas (bukan keduanya).", "Choose one participant or one class (not both)."),
    PrDownloadPdf => ("Unduh PDF", "Download PDF"),
    PrAttendance => ("Daftar hadir", "Attendance list"),
    PrReport => ("Berita acara", "Session report"),
    PrReportTitle => ("Berita Acara Pelaksanaan", "Session report"),
    PrReportHint => ("Angka di bawah dihitung dari catatan papan. Tulis catatan Anda (kejadian, kendala, keterangan) lalu simpan; catatan proktor dan catatan pengawas masing-masing dicetak di berita acara. Cetak tiga rangkap untuk ditandatangani.", "The counts below come from the board's records. Write your notes (incidents, problems, remarks) and save; the proctor's and the invigilator's notes are each printed on the report. Print three copies to sign."),
    PrPrint => ("Cetak berita acara", "Print the report"),
    PrProctorNotes => ("Catatan proktor", "The proctor's notes"),
    PrInvigilatorNotes => ("Catatan pengawas", "The invigilator's notes"),
    PrSaveNotes => ("Simpan catatan", "Save the notes"),
    PrNotesSaved => ("Catatan tersimpan.", "Notes saved."),
    PrRegistered => ("Terdaftar (peserta utama)", "Registered (main participants)"),
    PrPresent => ("Hadir", "Present"),
    PrAbsent => ("Tidak hadir", "Absent"),
    PrFinished => ("Selesai semua tes sesi", "Finished every test of the session"),
    PrForceFinished => ("Diakhiri proktor", "Ended by the proctor"),
    PrReserves => ("Cadangan diaktifkan", "Reserves activated"),
    PrResets => ("Reset login", "Login resets"),
    PrIncidents => ("Kejadian penting", "Incidents"),
    PrCards => ("Kartu login", "Login cards"),
    PrCardsHint => ("Papan hanya menyimpan hash password, jadi kartu login tidak dapat dicetak ulang dengan password lama. Di sini papan membuat password baru untuk satu peserta (kartu hilang atau lupa) atau satu kelas, lalu langsung menampilkan kartunya untuk dicetak. Password lama langsung tidak berlaku. Simpan atau cetak kartunya sekarang: password baru tidak dapat ditampilkan lagi.", "The board keeps only password hashes, so a login card cannot be printed again with its old password. Here the board makes new passwords for one participant (a lost or forgotten card) or one class and shows their cards at once, to print. The old passwords stop working at once. Save or print the cards now: the new passwords cannot be shown again."),
    PrOneParticipant => ("Satu peserta", "One participant"),
    PrOneClass => ("Satu kelas", "One class"),
    PrOr => ("atau", "or"),
    PrChoose => ("(pilih)", "(choose)"),
    PrCardsConfirm => ("Saya mengerti: password lama tidak berlaku lagi.", "I understand: the old passwords stop working."),
    PrCardsShow => ("Buat password baru dan tampilkan kartu", "Make new passwords and show the cards"),
    PrCardsPdf => ("Buat password baru dan unduh PDF", "Make new passwords and download the PDF"),
    SetSchool => ("Sekolah · ruang · zona waktu ([school])", "School · room · time zone ([school])"),
    NoSessionOpenYet => ("Belum ada sesi yang dibuka. Token tampil di sini setelah proktor membuka sesi.", "No session is open. The token shows here once the proctor opens a session."),
    RotateToken => ("Ganti token", "New token"),
    ShowToken => ("Tampilkan token besar", "Show token full screen"),
    TokenRotatesIn => ("Token berganti otomatis dalam", "Token changes automatically in"),
    Participants => ("Peserta", "Participants"),
    Status => ("Status", "Status"),
    Progress => ("Dijawab", "Answered"),
    Client => ("Komputer", "Client"),
    Online => ("Online", "Online"),
    Actions => ("Tindakan", "Actions"),
    ResetLogin => ("Reset login", "Reset login"),
    ForceFinish => ("Paksa selesai", "Force finish"),
    Reason => ("Alasan", "Reason"),
    ActivateReserve => ("Aktifkan cadangan", "Activate reserve"),
    StNotLoggedIn => ("Belum login", "Not logged in"),
    StLoggedIn => ("Sudah login", "Logged in"),
    StPractice => ("Latihan", "Practice"),
    StInProgress => ("Mengerjakan", "In progress"),
    StFinished => ("Selesai", "Finished"),
    NoJsRefresh => ("Tanpa JavaScript, halaman ini dimuat ulang setiap 30 detik (isian yang belum dikirim ikut hilang).", "Without JavaScript this page reloads every 30 seconds (a form not yet sent is lost with it)."),
    RefreshNow => ("Muat ulang sekarang", "Reload now"),
    SessionEndsIn => ("Sesi berakhir dalam", "The session ends in"),
    SessionEndsHint => ("Peserta yang mulai terlambat hanya mendapat sisa waktu sampai akhir sesi; jeda semua memundurkan akhir sesi.", "A participant who starts late gets only the time left until the session's end; pausing all moves the end on."),
    LkWorking => ("Mengerjakan", "Working"),
    LkDoubtful => ("Ada ragu-ragu", "Doubtful items"),
    LkNeedsReset => ("Perlu reset", "Needs a reset"),
    Seat => ("Kursi", "Seat"),
    EmptySeat => ("kosong", "empty"),
    SeatMap => ("Denah ruang", "Room map"),
    ListShow => ("Tampilkan", "Show"),
    ListAll => ("Semua", "Everyone"),
    ListAttention => ("Perlu perhatian", "Needs attention"),
    ListSort => ("Urutkan", "Sort by"),
    ListSeatOrder => ("Urutan denah", "Map order"),
    ListApply => ("Terapkan", "Apply"),
    LegendHint => ("Warna kotak:", "Tile colours:"),
    Reserve => ("cadangan", "reserve"),
    Results => ("Hasil (JSON)", "Results (JSON)"),
    Audit => ("Catatan kejadian", "Event log"),
    ErrReasonRequired => ("Tuliskan alasan paksa selesai (dicatat di berita acara).", "Write the reason for force finishing (it goes into the report)."),
    ErrSessionSealed => ("Soal sesi ini masih terkunci. Masukkan kode rilis sesi ini di halaman Paket terlebih dahulu.", "This session's questions are still sealed. Enter the session's release code on the Package page first."),
    ErrAnotherSessionOpen => ("Sesi lain masih dibuka. Tutup sesi itu terlebih dahulu.", "Another session is still open. Close it first."),
    ErrAttemptsOpen => ("Masih ada peserta yang mengerjakan. Tunggu selesai atau paksa selesai, lalu tutup sesi.", "Participants are still working. Wait, or force finish them, then close the session."),
    ErrSessionClosed => ("Sesi tidak sedang dibuka.", "The session is not open."),
    ErrUnknownSession => ("Sesi tidak ditemukan.", "Session not found."),
    ErrNoIdentity => ("Papan tidak punya kunci perangkat (data/device.key rusak atau hilang), jadi hasil tidak dapat ditandatangani. Unduh hasil (JSON) dari dasbor dan hubungi teknisi.", "The board has no device key (data/device.key damaged or missing), so results cannot be signed. Download the results (JSON) from the dashboard and call the technician."),
    ErrReceiptRefused => ("Tanda terima ditolak: bukan untuk berkas hasil terbaru papan ini, atau tidak ditandatangani penerbit paket. Unggah berkas hasil terbaru di server pusat, lalu unggah tanda terima yang baru.", "The receipt was refused: it is not for this board's newest results file, or not signed by the package's issuer. Upload the newest results file on the central server, then upload the new receipt."),
    ErrAwaitingReceipts => ("Sesi hari ini baru bisa dibuka setelah server pusat mengirim tanda terima hasil sesi hari sebelumnya (lihat daftar sesi). Buka halaman Hasil: tekan Unggah sekarang, atau simpan berkas hasil ke flashdisk, unggah di server pusat, lalu unggah tanda terimanya.", "This day's sessions open only after the central server's receipt for the earlier days' results (see the session list). Open the Results page: press Upload now, or save the results file to a USB stick, upload it on the central server, then upload its receipt."),
    ErrReportFailed => ("Laporan belum dapat dibuat: belum ada sesi dengan hasil, atau berkas hasil di papan rusak (lihat log papan).", "The report cannot be made: no session has results yet, or a results file on the board is damaged (see the board's log)."),
    RsReports => ("Laporan untuk guru", "Reports for teachers"),
    RsReportsHelp => ("Nilai per peserta, semua jawaban, analisis butir (tingkat kesukaran, daya beda, sebaran jawaban) dan jawaban uraian untuk dinilai manual. XLSX untuk Excel/LibreOffice; HTML untuk dicetak dari Chrome (A4, matikan \"Header dan footer\").", "Scores per participant, every response, the item analysis (difficulty, discrimination, answer frequencies) and the essays to score by hand. XLSX for Excel/LibreOffice; HTML to print from Chrome (A4, turn \"Headers and footers\" off)."),
    RsReportAll => ("Semua sesi:", "All sessions:"),
    RsReportPrint => ("Cetak (HTML)", "Print (HTML)"),
    RsReportCsv => ("CSV nilai", "CSV scores"),
    ErrUsbGone => ("Flashdisk tidak ditemukan (sudah dicabut?). Colokkan lagi, tunggu beberapa detik, lalu muat ulang halaman ini.", "The USB stick is not found (pulled out?). Plug it in again, wait a few seconds, then reload this page."),
    ErrUsbNothing => ("Belum ada sesi dengan hasil untuk disimpan: berkas hasil dibuat setelah peserta mulai mengerjakan.", "No session has results to save yet: results files are made once participants have started."),
    ErrUsbService => ("Layanan flashdisk papan tidak menjawab. Cabut dan colokkan lagi flashdisk, lalu coba lagi; bila tetap gagal, unduh berkas hasil dengan laptop. Hasil di papan tetap aman.", "The board's USB service did not answer. Pull the stick out, plug it in again and retry; if it still fails, download the results files with a laptop. The results on the board are safe."),
    ErrUsbReadOnly => ("Flashdisk tidak dapat ditulisi (kunci tulisnya aktif, atau formatnya tidak didukung). Geser kunci tulis, atau pakai flashdisk lain berformat FAT32 atau exFAT. Hasil di papan tetap aman.", "The USB stick cannot be written (its write-protect switch is on, or its format is not supported). Slide the switch, or use another stick formatted FAT32 or exFAT. The results on the board are safe."),
    ErrUsbFull => ("Flashdisk penuh. Hapus berkas lain atau pakai flashdisk lain, lalu coba lagi. Hasil di papan tetap aman.", "The USB stick is full. Delete other files or use another stick, then retry. The results on the board are safe."),
    ErrUsbWrite => ("Gagal menulis ke flashdisk (rusak atau tercabut). Coba lagi dengan flashdisk lain. Hasil di papan tetap aman.", "Writing to the USB stick failed (damaged or pulled out). Retry with another stick. The results on the board are safe."),
    ErrUsbEject => ("Berkas sudah ditulis, tetapi flashdisk belum dapat dilepas dengan aman. Jangan dicabut dulu: tunggu sebentar, lalu tekan Simpan lagi.", "The files are written, but the stick could not be released safely yet. Do not pull it out: wait a moment, then press Save again."),
    AwaitingReceiptsOf => ("Menunggu tanda terima hasil:", "Waiting for the results receipt of:"),
    ErrNotReserve => ("Peserta ini bukan peserta cadangan.", "This participant is not a reserve."),
    DoneOk => ("Berhasil", "Done"),
    SummaryCounts => ("Ringkasan", "Summary"),
    NotLoggedInCount => ("belum login", "not logged in"),
    InProgressCount => ("mengerjakan", "in progress"),
    FinishedCount => ("selesai", "finished"),
    Offline => ("Offline", "Offline"),
    Time => ("Waktu", "Time"),
    EvFilter => ("Tampilkan", "Show"),
    EvAllSessions => ("Semua sesi", "Every session"),
    EvAllParticipants => ("Semua peserta", "Every participant"),
    EvAllKinds => ("Semua jenis", "Every kind"),
    EvSession => ("Sesi", "Session"),
    EvParticipant => ("Peserta", "Participant"),
    EvKind => ("Jenis", "Kind"),
    EvKindParticipant => ("Kegiatan peserta", "Participants' activity"),
    EvKindProctor => ("Tindakan proktor", "The proctor's actions"),
    EvKindIncident => ("Insiden (untuk berita acara)", "Incidents (for the session report)"),
    EvKindResults => ("Hasil ujian", "Results"),
    EvKindAccount => ("Akun dan keamanan", "Accounts and security"),
    EvKindBoard => ("Papan, paket, dan jam", "Board, packages and clock"),
    EvCount => ("kejadian", "events"),
    EvEntries => ("entri tersimpan di log", "entries stored in the log"),
    EvPage => ("Halaman", "Page"),
    EvOf => ("dari", "of"),
    EvNewer => ("Lebih baru", "Newer"),
    EvOlder => ("Lebih lama", "Older"),
    EvCsv => ("Unduh CSV", "Download CSV"),
    EvPrintAll => ("Cetak (semua baris)", "Print (every line)"),
    EvEstimated => ("≈ perkiraan: jam papan belum disetel saat kejadian ini; waktunya dihitung dari kejadian berikutnya yang jamnya benar.", "≈ estimate: the board's clock was not set yet; the time is worked out from the next event with a set clock."),
    EvNoTime => ("jam papan belum disetel", "board clock not set"),
    EvSaves => ("kali simpan", "saves"),
    EvItems => ("soal", "items"),
    EvUntil => ("s.d.", "until"),
    EvNone => ("Tidak ada kejadian yang cocok dengan pilihan ini.", "No event matches this choice."),
    EvAnswersNote => ("Jawaban yang disimpan berurutan oleh satu peserta diringkas dalam satu baris; setiap simpanan tetap tercatat di papan.", "Answers saved in a row by one participant are summarised in one line; every save stays recorded on the board."),
    EvPrinted => ("Dicetak", "Printed"),
    EvSchool => ("Sekolah", "School"),
    EvRoom => ("Ruang", "Room"),
    ActorSystem => ("Sistem", "System"),
    Who => ("Oleh", "By"),
    What => ("Kejadian", "Event"),
    Detail => ("Rincian", "Detail"),
    // The board's notices: settings file, recovery, attention reasons.
    CfgErrorTitle => ("Berkas pengaturan ruji.toml berisi kesalahan", "The settings file ruji.toml has an error"),
    CfgLine => ("baris", "line"),
    CfgColumn => ("kolom", "column"),
    CfgUsingLastGood => ("Ruji tetap berjalan dengan pengaturan terakhir yang benar (di bawah).", "Ruji is running on the last settings that were correct (below)."),
    CfgUsingDefaults => ("Ruji tetap berjalan dengan pengaturan bawaan (di bawah).", "Ruji is running on the default settings (below)."),
    CfgErrorTodo => ("Cara memperbaiki: matikan papan dengan aman (tahan tombol 3 detik), pasang kartu SD di PC, buka ruji.toml di partisi RUJI-BOOT dengan Notepad, perbaiki baris yang disebut, simpan, pasang kembali kartu, lalu nyalakan papan.", "To fix it: shut the board down safely (hold the button 3 s), put the SD card in a PC, open ruji.toml on the RUJI-BOOT partition with Notepad, correct the line named, save, put the card back and power the board on."),
    LanDefaultsTitle => ("Pengaturan LAN bawaan berlaku (pemulihan)", "LAN defaults in force (recovery)"),
    LanDefaultsText => ("Tombol ditahan saat papan dinyalakan: password proktor dan pengaturan LAN dikembalikan ke bawaan, data ujian tetap ada. Papan memakai alamat bawaan sampai ruji.toml diubah; setelah ruji.toml diperbaiki di PC, pengaturannya berlaku lagi saat papan dinyalakan berikutnya.", "The button was held at power-on: the proctor password and the LAN settings were reset to the defaults, exam data kept. The board uses the default address until ruji.toml is changed; once ruji.toml is corrected on a PC, its settings apply again at the next power-on."),
    SettingsInForce => ("Pengaturan sekolah yang berlaku (ruji.toml)", "School settings in force (ruji.toml)"),
    SetSource => ("Berkas", "File"),
    SetLanguage => ("Bahasa tampilan", "Display language"),
    SetLangAuto => ("mengikuti peramban", "follows the browser"),
    SetTokenRotation => ("Token berganti otomatis setiap", "Token changes automatically every"),
    SetTokenNever => ("tidak otomatis (hanya oleh proktor)", "not automatically (only by the proctor)"),
    SetTokenGrace => ("Token lama masih berlaku selama", "The previous token stays valid for"),
    SetCountDowntime => ("Waktu server mati dihitung", "Time the server was down is counted"),
    SetGateNextDay => ("Hari berikutnya menunggu tanda terima hasil", "The next day waits for the results receipts"),
    Yes => ("ya", "yes"),
    No => ("tidak", "no"),
    AttentionTitle => ("Perlu perhatian", "Needs attention"),
    AttAddressConflict => ("Alamat IP papan bentrok", "The board's IP address conflicts"),
    AttAddressConflictTodo => ("Perangkat lain di LAN memakai alamat papan. Buka halaman Jaringan untuk melihat perangkatnya, lalu ubah alamat perangkat itu atau alamat papan di ruji.toml.", "Another device on the LAN uses the board's address. Open the Network page to see which one, then change that device's address or the board's address in ruji.toml."),
    AttDiskNearlyFull => ("Penyimpanan hampir penuh", "Storage nearly full"),
    AttDiskNearlyFullTodo => ("Sisa ruang di kartu SD kurang dari 200 MB atau kurang dari 10% (1 GB bebas sudah cukup). Unduh hasil semua sesi, lalu ganti kartu dengan yang lebih besar sebelum ujian berikutnya.", "Less than 200 MB or less than 10% is free on the SD card (1 GB free is enough). Download every session's results, then move to a larger card before the next exam."),
    AttClockNotSet => ("Jam papan belum diatur", "The board's clock is not set"),
    AttClockNotSetTodo => ("Papan tanpa baterai jam mulai dari masa lalu setelah listrik padam. Ujian tetap berjalan (waktu ujian tidak bergantung pada jam), tetapi waktu di catatan kejadian dan tanggal berkas hasil bisa salah. Periksa tanggal dan jam di bawah (dari komputer ini), lalu tekan Atur jam papan; atau sambungkan papan ke internet agar jam diatur sendiri.", "A board without a clock battery starts in the past after a power cut. The exam is not affected (exam time does not depend on the clock), but times in the event log and the results files' dates may be wrong. Check the date and time below (from this computer), then press Set the board's clock; or connect the board to the internet so the clock gets set by itself."),
    ClockDateTime => ("Tanggal dan jam sekarang", "Date and time now"),
    ClockZone => ("Zona waktu", "Time zone"),
    ClockSet => ("Atur jam papan", "Set the board's clock"),
    ClockBoardReads => ("Jam papan sekarang:", "The board's clock reads:"),
    AttResultsNotUploaded => ("Hasil belum diunggah", "Results not uploaded"),
    AttResultsNotUploadedTodo => ("Hasil sesi yang sudah ditutup belum diterima server pusat. Sambungkan papan ke internet (tethering USB dari ponsel atau adaptor USB-Ethernet): hasil terkirim sendiri. Tanpa internet: buka halaman Hasil & unggah, simpan berkas hasil ke flashdisk, unggah di server pusat, lalu unggah tanda terimanya di halaman Hasil & unggah.", "Results of a closed session have not reached the central server. Connect the board to the internet (USB tethering from a phone, or a USB-Ethernet adapter): the results go by themselves. Without internet: open the Results & upload page, save the results file to a USB stick, upload it on the central server, then upload its receipt on the Results & upload page."),
    AttNotBackedUp => ("Hasil belum dicadangkan", "Results not backed up"),
    AttNotBackedUpTodo => ("Sesi ini sudah ditutup tetapi hasilnya belum dicadangkan sejak itu. Unduh berkas hasilnya (tombol di bawah) dan simpan di flashdisk atau PC, atau simpan ke flashdisk yang dicolokkan ke papan di halaman Hasil & unggah:", "These sessions were closed but their results were not backed up since. Download the results file (the button below) and keep it on a USB stick or PC, or save it to a stick plugged into the board on the Results & upload page:"),
    // Results and their upload.
    RsTitle => ("Hasil & unggah", "Results & upload"),
    RsIntro => ("Setelah sesi ditutup, papan membuat berkas hasil yang ditandatangani (semua jawaban, termasuk peserta yang dipaksa selesai) dan mengunggahnya ke server pusat bila ada internet. Server pusat membalas dengan tanda terima; sampai tanda terima diterima, lampu papan memberi tanda.", "When a session closes, the board makes a signed results file (every answer, force-finished participants included) and uploads it to the central server when it has internet. The central server answers with a receipt; until the receipt arrives, the board's LED asks for attention."),
    RsCentral => ("Server pusat:", "Central server:"),
    RsNoCentral => ("Server pusat belum diatur (ruji.toml, bagian [central]). Simpan berkas hasil ke flashdisk dan unggah di halaman Unggah hasil server pusat, lalu unggah tanda terimanya di bawah.", "No central server is set up (ruji.toml, section [central]). Save the results file to a USB stick, upload it on the central server's results page, then upload its receipt below."),
    RsUploadNow => ("Unggah sekarang", "Upload now"),
    RsFile => ("Berkas hasil", "Results file"),
    RsCentralStatus => ("Server pusat", "Central server"),
    RsAcknowledged => ("diterima", "received"),
    RsWaiting => ("menunggu koneksi ke server pusat", "waiting for the central server"),
    RsNotSent => ("belum dikirim", "not sent"),
    RsNotYet => ("belum", "not yet"),
    RsDownload => ("Unduh berkas hasil", "Download results file"),
    RsDetails => ("Per peserta", "Per participant"),
    RsReceiptTitle => ("Unggah tanda terima", "Upload a receipt"),
    RsReceiptHelp => ("Bila berkas hasil diunggah lewat halaman server pusat, server memberi berkas tanda terima (.json). Unggah di sini agar papan mencatat hasil sudah diterima.", "When a results file was uploaded on the central server's page, the server gives a receipt file (.json). Upload it here so the board records the results as received."),
    RsReceiptButton => ("Unggah tanda terima", "Upload receipt"),
    RsReceiptOk => ("Tanda terima dicatat: server pusat sudah menerima hasil ini.", "Receipt recorded: the central server has these results."),
    RsProbUnreachable => ("Server pusat tidak dapat dihubungi. Periksa sambungan internet papan (tethering USB atau kabel WAN); papan mencoba lagi sendiri. Tanpa internet: simpan berkas hasil ke flashdisk.", "The central server cannot be reached. Check the board's internet link (USB tethering or the WAN cable); the board tries again by itself. Without internet: save the results file to a USB stick."),
    RsProbCertificate => ("Sertifikat server pusat ditolak. Periksa jam papan di dasbor dan alamat server di ruji.toml.", "The central server's certificate was refused. Check the board's clock on the dashboard and the server address in ruji.toml."),
    RsProbDeviceUnknown => ("Papan ini belum terdaftar di server pusat. Kirim ID papan (di Berita Acara Sinkronisasi) ke penerbit; sementara itu simpan berkas hasil ke flashdisk.", "This board is not registered with the central server. Send the board id (on the sync report) to the issuer; meanwhile save the results file to a USB stick."),
    RsProbPackageUnknown => ("Server pusat tidak mengenal paket soal ini. Hubungi penerbit; sementara itu simpan berkas hasil ke flashdisk.", "The central server does not know this exam package. Contact the issuer; meanwhile save the results file to a USB stick."),
    RsProbBadBundle => ("Server pusat menolak berkas hasil sebagai rusak atau diubah. Tekan Unggah sekarang untuk mengirim ulang; bila tetap ditolak, hubungi teknisi.", "The central server refused the results file as damaged or changed. Press Upload now to send it again; if it is refused again, call the technician."),
    RsProbServerBusy => ("Server pusat sedang sibuk atau bermasalah; papan mencoba lagi sendiri.", "The central server is busy or failing; the board tries again by itself."),
    RsProbReceipt => ("Tanda terima dari server pusat tidak sah (bukan dari penerbit paket ini). Periksa alamat server di ruji.toml.", "The central server's receipt is not valid (not from this package's issuer). Check the server address in ruji.toml."),
    RsProbFile => ("Berkas hasil di papan tidak dapat dibaca. Tekan Unduh berkas hasil untuk membuatnya lagi.", "The results file on the board cannot be read. Press Download results file to make it again."),
    RsProbOther => ("Jawaban server pusat tidak dikenali; papan mencoba lagi sendiri. Bila berulang, simpan berkas hasil ke flashdisk dan hubungi teknisi.", "The central server's answer is not understood; the board tries again by itself. If it happens again, save the results file to a USB stick and call the technician."),
    RsUsbTitle => ("Simpan ke flashdisk", "Save to a USB stick"),
    RsUsbHelp => ("Tanpa internet: simpan semua berkas hasil ke flashdisk (folder RUJI-HASIL), unggah di halaman Unggah hasil server pusat dari komputer yang tersambung internet, lalu unggah tanda terimanya di bawah. Flashdisk ditulisi hanya saat menyimpan, lalu dilepas.", "Without internet: save every results file to a USB stick (folder RUJI-HASIL), upload them on the central server's results page from a computer with internet, then upload the receipt below. The stick is written only while saving, then released."),
    RsUsbNone => ("Tidak ada flashdisk. Colokkan flashdisk ke papan, tunggu beberapa detik, lalu muat ulang halaman ini.", "No USB stick. Plug one into the board, wait a few seconds, then reload this page."),
    RsUsbNothing => ("Belum ada berkas hasil untuk disimpan.", "No results file to save yet."),
    RsUsbSave => ("Simpan semua berkas hasil ke sini", "Save every results file here"),
    RsUsbFreeOf => ("kosong dari", "free of"),
    RsUsbSaved => ("Berkas hasil tersimpan di flashdisk (folder RUJI-HASIL), jumlah berkas:", "Results files saved on the USB stick (folder RUJI-HASIL), files:"),
    RsUsbSafe => ("Flashdisk sudah dilepas: aman dicabut sekarang.", "The stick has been released: it is safe to pull out now."),
    RsUsbEjectYourself => ("Lepaskan (eject) flashdisk dengan cara komputer ini sebelum mencabutnya.", "Eject the stick the way this computer does before pulling it out."),
    RsUploadStarted => ("Papan mencoba mengunggah sekarang. Muat ulang halaman sebentar lagi.", "The board is trying to upload now. Reload the page in a moment."),
    // The simulated panel's developer page.
    DevPanel => ("Panel simulasi (pengembang)", "Simulated panel (developers)"),
    DevPanelHint => ("Halaman ini hanya ada dengan ruji serve --panel sim. Lampu di bawah mengikuti lampu papan; tombol menekan tombol papan.", "This page exists only with ruji serve --panel sim. The light below follows the board's LED; the buttons press the board's button."),
    DevPress => ("Tekan", "Press"),
    DevHold => ("Tahan 3 detik", "Hold 3 s"),
    DevLastGesture => ("Gerakan terakhir", "Last gesture"),
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every text exists in both languages (an empty one would show nothing).
    #[test]
    fn every_text_has_both_languages() {
        for m in Msg::ALL {
            for lang in [Lang::Id, Lang::En] {
                assert!(!m.text(lang).trim().is_empty(), "{m:?} in {lang:?}");
            }
        }
        assert!(Msg::ALL.len() > 250);
    }

    #[test]
    fn language_choice() {
        let mut h = HeaderMap::new();
        assert_eq!(Lang::from_headers(&h), Lang::Id);
        h.insert("accept-language", "en-US,en;q=0.9".parse().unwrap());
        assert_eq!(Lang::from_headers(&h), Lang::En);
        h.insert("cookie", "a=b; ruji_lang=id".parse().unwrap());
        assert_eq!(Lang::from_headers(&h), Lang::Id);
    }
}
