//! UI text: Bahasa Indonesia by default, English on request (the `ruji_lang` cookie set by
//! `/lang/en`, or `Accept-Language`). Every string a person sees goes through [`Tr::s`].

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

/// Translator handed to templates.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    /// The language.
    pub lang: Lang,
}

impl Tr {
    /// The text for `key`; the key itself if unknown (a unit test keeps templates honest).
    pub fn s(&self, key: &str) -> &'static str {
        match lookup(key) {
            Some((id, en)) => match self.lang {
                Lang::Id => id,
                Lang::En => en,
            },
            None => {
                debug_assert!(false, "missing UI text {key}");
                "?"
            }
        }
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

/// (Bahasa Indonesia, English) for a key.
pub fn lookup(key: &str) -> Option<(&'static str, &'static str)> {
    Some(match key {
        // Participant pages.
        "welcome" => ("Selamat Datang", "Welcome"),
        "login_hint" => ("Masukkan username dan password dari kartu peserta.", "Enter the username and password from your login card."),
        "username" => ("Username", "Username"),
        "password" => ("Password", "Password"),
        "login" => ("LOGIN", "LOG IN"),
        "logout" => ("Keluar", "Log out"),
        "confirm_title" => ("Konfirmasi Data Peserta", "Confirm participant data"),
        "number" => ("Nomor peserta", "Participant number"),
        "name" => ("Nama", "Name"),
        "sex" => ("Jenis kelamin", "Sex"),
        "male" => ("Laki-laki", "Male"),
        "female" => ("Perempuan", "Female"),
        "class" => ("Kelas", "Class"),
        "test" => ("Tes", "Test"),
        "duration" => ("Alokasi waktu", "Time allowed"),
        "minutes" => ("menit", "minutes"),
        "type_name" => ("Ketik nama lengkap Anda", "Type your full name"),
        "type_dob" => ("Tanggal lahir (HH-BB-TTTT)", "Date of birth (DD-MM-YYYY)"),
        "token" => ("Token", "Token"),
        "token_hint" => ("Token diumumkan oleh proktor.", "The proctor announces the token."),
        "start" => ("Mulai", "Start"),
        "resume_note" => ("Anda melanjutkan tes. Jawaban dan sisa waktu Anda tetap tersimpan.", "You are resuming your test. Your answers and remaining time are kept."),
        "practice" => ("Latihan", "Practice"),
        "practice_note" => ("Ini soal latihan. Jawaban latihan tidak dinilai dan waktu tes belum berjalan.", "These are practice items. They are not scored and the test clock has not started."),
        "practice_end" => ("Selesai latihan, mulai tes", "End practice, start the test"),
        "item_no" => ("Soal nomor", "Question"),
        "time_left" => ("Sisa waktu", "Time left"),
        "font_size" => ("Ukuran huruf", "Font size"),
        "item_list" => ("Daftar soal", "Question list"),
        "prev" => ("Soal sebelumnya", "Previous"),
        "next" => ("Soal berikutnya", "Next"),
        "doubtful" => ("Ragu-ragu", "Not sure"),
        "finish" => ("Selesai", "Finish"),
        "save" => ("Simpan", "Save"),
        "saved" => ("Jawaban tersimpan", "Answer saved"),
        "saving" => ("Menyimpan...", "Saving..."),
        "save_retry" => ("Koneksi terputus. Jawaban akan dikirim ulang otomatis; jangan tutup halaman ini.", "Connection lost. Your answer will be sent again automatically; do not close this page."),
        "warning_5" => ("Perhatian: waktu hampir habis. Periksa kembali jawaban Anda.", "Attention: time is almost up. Check your answers."),
        "legend_answered" => ("sudah dijawab", "answered"),
        "legend_unanswered" => ("belum dijawab", "not answered"),
        "legend_doubtful" => ("ragu-ragu", "not sure"),
        "choose_one" => ("Pilih satu jawaban.", "Choose one answer."),
        "choose_many" => ("Pilih semua jawaban yang benar.", "Choose every correct answer."),
        "true" => ("Benar", "True"),
        "false" => ("Salah", "False"),
        "statement" => ("Pernyataan", "Statement"),
        "choose_pair" => ("-- pilih pasangan --", "-- choose a match --"),
        "your_answer" => ("Jawaban Anda", "Your answer"),
        "clear" => ("Hapus jawaban", "Clear answer"),
        "finish_title" => ("Selesai mengerjakan?", "Finish the test?"),
        "finish_summary" => ("Ringkasan jawaban", "Summary"),
        "answered" => ("Dijawab", "Answered"),
        "unanswered" => ("Belum dijawab", "Not answered"),
        "doubtful_count" => ("Ragu-ragu", "Not sure"),
        "finish_confirm" => ("Apakah Anda yakin ingin mengakhiri tes? Jawaban tidak dapat diubah lagi.", "Are you sure you want to finish? Answers cannot be changed afterwards."),
        "finish_tick" => ("Saya yakin dan ingin mengakhiri tes", "I am sure and want to finish"),
        "finish_button" => ("Selesai dan kirim", "Finish and submit"),
        "back_to_test" => ("Kembali ke soal", "Back to the questions"),
        "done_title" => ("Terima kasih", "Thank you"),
        "done_text" => ("Anda telah menyelesaikan tes. Jawaban Anda sudah tersimpan.", "You have finished the test. Your answers are saved."),
        "done_timeout" => ("Waktu tes telah habis. Jawaban yang sudah Anda isi tersimpan.", "The time is up. The answers you gave are saved."),
        "done_proctor" => ("Tes Anda diakhiri oleh proktor. Jawaban yang sudah Anda isi tersimpan.", "The proctor ended your test. The answers you gave are saved."),
        "done_all" => ("Semua tes pada sesi ini sudah Anda selesaikan.", "You have finished every test of this session."),
        "back_to_login" => ("Kembali ke halaman login", "Back to the login page"),
        "next_test_note" => ("Tes berikutnya pada sesi ini", "Next test in this session"),
        "js_off" => ("JavaScript mati: jawaban tersimpan setiap kali Anda menekan tombol.", "JavaScript is off: answers are saved whenever you press a button."),
        "stimulus" => ("Bacaan", "Reading"),
        // Errors a participant sees.
        "err_wrong_password" => ("Username atau password salah. Periksa kartu peserta Anda.", "Wrong username or password. Check your login card."),
        "err_throttled" => ("Terlalu banyak percobaan yang salah. Tunggu sebentar, lalu coba lagi, atau hubungi proktor.", "Too many failed attempts. Wait a moment and try again, or ask the proctor."),
        "err_already_logged_in" => ("Anda masih tercatat login di komputer lain. Minta proktor melakukan reset login, lalu login kembali.", "You are still logged in on another computer. Ask the proctor to reset your login, then log in again."),
        "err_reserve_not_active" => ("Anda terdaftar sebagai peserta cadangan. Minta proktor mengaktifkan akun Anda.", "You are registered as a reserve. Ask the proctor to activate your account."),
        "err_no_open_session" => ("Belum ada sesi ujian yang dibuka. Tunggu aba-aba proktor.", "No exam session is open yet. Wait for the proctor."),
        "err_not_in_session" => ("Anda tidak terdaftar pada sesi ini. Hubungi proktor.", "You are not registered for this session. Ask the proctor."),
        "err_logged_out" => ("Login Anda tidak berlaku lagi (direset proktor atau dipakai di komputer lain). Silakan login kembali.", "Your login is no longer valid (reset by the proctor or used elsewhere). Please log in again."),
        "err_not_logged_in" => ("Silakan login terlebih dahulu.", "Please log in first."),
        "err_no_token" => ("Token belum dirilis. Tunggu proktor mengumumkan token.", "The token has not been released yet. Wait for the proctor to announce it."),
        "err_wrong_token" => ("Token salah atau sudah tidak berlaku. Periksa token yang diumumkan proktor.", "Wrong or expired token. Check the token the proctor announced."),
        "err_name_mismatch" => ("Nama yang Anda ketik tidak sesuai dengan data peserta. Ketik nama lengkap seperti pada kartu peserta.", "The name you typed does not match. Type your full name as on your login card."),
        "err_birth_date_mismatch" => ("Tanggal lahir tidak sesuai. Tulis seperti 03-01-2011. Jika data salah, hubungi proktor.", "Date of birth does not match. Write it like 03-01-2011. If the data is wrong, ask the proctor."),
        "err_not_started" => ("Tes belum dimulai. Masukkan token terlebih dahulu.", "The test has not started. Enter the token first."),
        "err_finished" => ("Tes ini sudah selesai; jawaban tidak dapat diubah.", "This test is finished; answers cannot be changed."),
        "err_force_finished" => ("Tes Anda diakhiri oleh proktor. Jawaban yang sudah Anda isi tersimpan.", "The proctor ended your test. The answers you gave are saved."),
        "err_token_required" => ("Masukkan kembali data Anda dan token untuk melanjutkan tes.", "Enter your details and the token again to continue the test."),
        "err_time_up" => ("Waktu tes sudah habis; jawaban tidak dapat diubah.", "The time is up; answers cannot be changed."),
        "err_doubtful" => ("Masih ada soal yang ditandai ragu-ragu. Periksa dan hapus tanda ragu-ragu sebelum selesai.", "Some questions are still marked not sure. Check them and clear the mark before finishing."),
        "err_too_early" => ("Tes belum dapat diakhiri. Tunggu sampai waktu minimum terpenuhi.", "You cannot finish yet. Wait until the minimum time has passed."),
        "err_not_confirmed" => ("Centang kotak konfirmasi untuk mengakhiri tes.", "Tick the confirmation box to finish."),
        "err_all_done" => ("Semua tes pada sesi ini sudah selesai.", "Every test of this session is finished."),
        "err_wrong_phase" => ("Langkah ini tidak berlaku sekarang. Muat ulang halaman.", "This step does not apply now. Reload the page."),
        "err_unknown_item" => ("Soal tidak ditemukan.", "Question not found."),
        "err_bad_response" => ("Jawaban tidak sesuai dengan jenis soal. Periksa kembali jawaban Anda.", "The answer does not fit the question. Check your answer."),
        "err_bad_request" => ("Isian tidak lengkap atau tidak valid. Periksa kembali, lalu kirim ulang.", "The form is incomplete or invalid. Check it and send again."),
        "err_too_large" => ("Jawaban terlalu panjang untuk dikirim. Persingkat jawaban Anda.", "The answer is too long to send. Shorten it."),
        "err_storage" => ("Jawaban BELUM tersimpan karena gangguan penyimpanan. Coba lagi; jika berulang, hubungi proktor.", "The answer was NOT saved because of a storage problem. Try again; if it repeats, tell the proctor."),
        "err_shutting_down" => ("Server sedang dimatikan. Jawaban yang sudah tersimpan aman. Tunggu proktor.", "The server is shutting down. Saved answers are safe. Wait for the proctor."),
        "err_unknown_participant" => ("Peserta tidak ditemukan.", "Participant not found."),
        "err_forbidden" => ("Halaman ini khusus proktor.", "This page is for the proctor only."),
        "err_csrf" => ("Formulir kedaluwarsa. Muat ulang halaman, lalu ulangi.", "The form has expired. Reload the page and try again."),
        "err_not_found" => ("Halaman tidak ditemukan.", "Page not found."),
        "error" => ("Terjadi kesalahan", "Something went wrong"),
        "back" => ("Kembali", "Back"),
        // Proctor pages.
        "proctor" => ("Proktor", "Proctor"),
        "setup_title" => ("Buat password proktor", "Create the proctor password"),
        "setup_hint" => ("Ketik kode penyiapan yang tercetak di layar/log server Ruji, lalu buat password proktor (minimal 8 karakter).", "Type the setup code printed on the Ruji server's console/log, then choose a proctor password (at least 8 characters)."),
        "setup_or_button" => ("Tanpa kode: kosongkan kolom ini, isi password, tekan Simpan, lalu tekan tombol pada papan Ruji.", "Without the code: leave this empty, fill in the password, press Save, then press the button on the Ruji board."),
        "press_button_title" => ("Tekan tombol pada papan", "Press the button on the board"),
        "press_button_text" => ("Tekan sekali tombol pada papan Ruji untuk membuktikan Anda berada di dekatnya. Halaman ini berlanjut sendiri.", "Press the button on the Ruji board once to show you are next to it. This page continues by itself."),
        "seconds_left" => ("detik tersisa", "seconds left"),
        "err_confirm_expired" => ("Waktu menekan tombol sudah habis. Ulangi dari awal.", "The time to press the button ran out. Start again."),
        "setup_code" => ("Kode penyiapan", "Setup code"),
        "new_password" => ("Password baru", "New password"),
        "repeat_password" => ("Ulangi password", "Repeat the password"),
        "create" => ("Simpan password", "Save password"),
        "proctor_login" => ("Login proktor", "Proctor login"),
        "err_setup_code" => ("Kode penyiapan salah. Lihat kode di layar atau log server.", "Wrong setup code. See the code on the server's console or log."),
        "err_password_short" => ("Password minimal 8 karakter.", "The password needs at least 8 characters."),
        "err_password_repeat" => ("Kedua password tidak sama. Ketik ulang.", "The two passwords differ. Type them again."),
        "err_proctor_password" => ("Password proktor salah.", "Wrong proctor password."),
        "err_already_setup" => ("Password proktor sudah dibuat. Silakan login.", "The proctor password already exists. Please log in."),
        "package" => ("Paket Soal", "Exam package"),
        "pkg_report" => ("Berita Acara Sinkronisasi", "Sync report"),
        "pkg_print" => ("Cetak", "Print"),
        "pkg_r_id" => ("Kode paket", "Package id"),
        "pkg_r_title" => ("Nama paket", "Package title"),
        "pkg_r_issuer" => ("Penerbit", "Issuer"),
        "pkg_r_key" => ("Kunci penerbit", "Issuer key"),
        "pkg_r_file" => ("Berkas", "File"),
        "pkg_r_imported_at" => ("Waktu impor", "Imported at"),
        "pkg_r_server" => ("Server", "Server"),
        "pkg_r_board" => ("ID papan", "Board id"),
        "pkg_r_participants" => ("Peserta", "Participants"),
        "pkg_r_main" => ("utama", "main"),
        "pkg_r_reserve" => ("cadangan", "reserve"),
        "pkg_r_tests" => ("Tes", "Tests"),
        "pkg_r_sessions" => ("Sesi", "Sessions"),
        "pkg_r_session" => ("Sesi", "Session"),
        "pkg_r_when" => ("Jadwal", "Schedule"),
        "pkg_r_released" => ("Soal dibuka", "Released"),
        "pkg_r_sign_proctor" => ("Proktor", "Proctor"),
        "pkg_r_sign_technician" => ("Teknisi", "Technician"),
        "pkg_r_sign_head" => ("Kepala Sekolah", "Head of school"),
        "pkg_current" => ("Paket yang terpasang", "Installed package"),
        "pkg_participants" => ("peserta", "participants"),
        "pkg_builtin" => ("paket demo bawaan", "built-in demo package"),
        "pkg_test" => ("Tes", "Test"),
        "pkg_items" => ("Soal", "Items"),
        "pkg_minutes" => ("Menit", "Minutes"),
        "pkg_state" => ("Keadaan", "State"),
        "pkg_sealed" => ("Terkunci", "Sealed"),
        "pkg_open" => ("Terbuka", "Released"),
        "pkg_release" => ("Buka soal dengan kode rilis", "Release with the release code"),
        "pkg_release_help" => ("Pada hari ujian, ketik kode rilis sesi dari dinas/sekolah. Huruf besar-kecil dan tanda hubung tidak berpengaruh.", "On exam day, type the session's release code from the issuer. Case and dashes do not matter."),
        "pkg_code" => ("Kode rilis", "Release code"),
        "pkg_release_button" => ("Buka soal", "Release"),
        "pkg_session_open" => ("soal sudah terbuka", "released"),
        "pkg_central_help" => ("Bila papan tersambung ke internet, kunci sesi dapat diambil langsung dari server pusat (mulai waktu yang ditetapkan penerbit, biasanya sehari sebelum ujian). Tanpa internet, ketik kode rilis offline.", "When the board is online, a session's key can be fetched from the central server (from the time the issuer set, usually the day before the exam). Without internet, type the offline release code."),
        "pkg_central_problem" => ("Server pusat di ruji.toml tidak dapat dipakai; gunakan kode rilis offline.", "The central server in ruji.toml cannot be used; use the offline release code."),
        "pkg_central_button" => ("Ambil kunci dari server pusat", "Fetch the key from the central server"),
        "pkg_released_central" => ("Kunci sesi diambil dari server pusat dan soal sesi dibuka. Sesi sekarang dapat dimulai dari dasbor.", "The session's key came from the central server and its items are released. The session can now be opened from the dashboard."),
        "pkg_err_central_off" => ("Server pusat belum diatur. Isi bagian [central] di ruji.toml, atau ketik kode rilis offline.", "No central server is set. Fill in [central] in ruji.toml, or type the offline release code."),
        "pkg_err_central_unreachable" => ("Server pusat tidak dapat dihubungi. Periksa sambungan internet papan (tethering USB atau kabel WAN), lalu coba lagi; atau minta kode rilis offline ke penerbit dan ketik di bawah.", "The central server cannot be reached. Check the board's internet link (USB tethering or the WAN cable) and try again; or ask the issuer for the offline release code and type it below."),
        "pkg_err_central_cert" => ("Sertifikat server pusat ditolak. Periksa jam papan di dasbor (jam yang salah membuat sertifikat tampak tidak berlaku) dan alamat server di ruji.toml; atau gunakan kode rilis offline.", "The central server's certificate was refused. Check the board's clock on the dashboard (a wrong clock makes certificates look invalid) and the server address in ruji.toml; or use the offline release code."),
        "pkg_err_central_early" => ("Server pusat belum memberikan kunci sesi ini. Kunci diberikan mulai waktu berikut; coba lagi saat itu.", "The central server does not give this session's key yet. It is given from the time below; try again then."),
        "pkg_err_central_device" => ("Papan ini belum terdaftar di server pusat. Kirim ID papan (di Berita Acara Sinkronisasi) ke penerbit, atau gunakan kode rilis offline.", "This board is not registered with the central server. Send the board id (on the sync report) to the issuer, or use the offline release code."),
        "pkg_err_central_changed" => ("Server pusat memegang versi lain dari paket ini. Impor paket terbaru dari penerbit, lalu ambil kuncinya lagi.", "The central server holds another version of this package. Import the latest package from the issuer, then fetch the key again."),
        "pkg_err_central_unknown" => ("Server pusat tidak mengenal paket atau sesi ini. Periksa alamat server di ruji.toml atau hubungi penerbit; atau gunakan kode rilis offline.", "The central server does not know this package or session. Check the server address in ruji.toml or contact the issuer; or use the offline release code."),
        "pkg_err_central_unscheduled" => ("Sesi ini tidak berjadwal di server pusat, jadi kuncinya tidak diberikan lewat internet. Minta kode rilis offline ke penerbit.", "This session has no schedule on the central server, so its key is not given online. Ask the issuer for the offline release code."),
        "pkg_err_central_other" => ("Jawaban server pusat tidak dikenali. Gunakan kode rilis offline dan laporkan ke teknisi.", "The central server's answer is not understood. Use the offline release code and tell the technician."),
        "pkg_import" => ("Impor paket", "Import a package"),
        "pkg_import_help" => ("Pilih berkas .rujipkg dari penerbit. Paket diperiksa seluruhnya dulu; jika ada yang salah, tidak ada yang berubah.", "Choose the .rujipkg file from the issuer. The package is checked completely first; if anything is wrong, nothing changes."),
        "pkg_upload" => ("Unggah dan impor", "Upload and import"),
        "pkg_usb" => ("Dari flashdisk", "From a USB stick"),
        "pkg_usb_none" => ("Tidak ada berkas .rujipkg di flashdisk. Colokkan flashdisk lalu muat ulang halaman ini.", "No .rujipkg file on a USB stick. Plug one in and reload this page."),
        "pkg_import_this" => ("Impor", "Import"),
        "pkg_trusted_issuers" => ("Penerbit tepercaya", "Trusted issuers"),
        "pkg_trusted_none" => ("Belum ada. Tambahkan kunci publik penerbit (dari `ruji keygen`) agar paketnya diterima.", "None yet. Add an issuer's public key (from `ruji keygen`) so its packages are accepted."),
        "pkg_trust_label" => ("Nama", "Name"),
        "pkg_trust_key" => ("Kunci publik", "Public key"),
        "pkg_trust_add" => ("Percayai", "Trust"),
        "pkg_imported" => ("Paket diimpor. Soal masih terkunci sampai kode rilis dimasukkan.", "Package imported. Its items stay sealed until the release code is entered."),
        "pkg_released" => ("Soal sesi dibuka. Sesi sekarang dapat dimulai dari dasbor.", "The session's items are released. The session can now be opened from the dashboard."),
        "pkg_trusted" => ("Kunci penerbit ditambahkan.", "Issuer key added."),
        "pkg_nothing_changed" => ("Tidak ada yang berubah di server.", "Nothing was changed on the server."),
        "pkg_err_zip" => ("Berkas bukan paket yang utuh (rusak, terpotong, atau terlalu besar). Salin atau unduh ulang berkasnya.", "The file is not a complete package (damaged, cut short or too large). Copy or download it again."),
        "pkg_err_damaged" => ("Paket tidak lengkap atau rusak. Minta paket lagi dari penerbitnya.", "The package is incomplete or damaged. Get it again from its issuer."),
        "pkg_err_version" => ("Paket dibuat untuk versi Ruji yang lebih baru. Perbarui Ruji.", "The package is for a newer Ruji. Update Ruji."),
        "pkg_err_tampered" => ("Paket telah diubah setelah ditandatangani. Jangan dipakai; minta paket asli dari penerbit.", "The package was changed after it was signed. Do not use it; get the original from its issuer."),
        "pkg_err_untrusted" => ("Paket ditandatangani penerbit yang belum dipercaya server ini. Jika penerbitnya benar, tambahkan kunci publiknya di bawah.", "The package is signed by an issuer this server does not trust. If the issuer is genuine, add its public key below."),
        "pkg_err_wrong_code" => ("Kode rilis tidak cocok untuk sesi ini. Periksa bahwa kodenya untuk paket dan sesi ini.", "The release code does not open this session. Check it is the code for this package and session."),
        "pkg_err_code_typo" => ("Kode rilis salah ketik. Periksa setiap kelompok 4 huruf dengan kertasnya.", "The release code has a typo. Check each group of 4 against the paper."),
        "pkg_err_no_session" => ("Paket tidak punya sesi itu.", "The package has no such session."),
        "pkg_err_invalid" => ("Isi paket tidak sah sebagai ujian. Laporkan ke penerbit.", "The package content is not a valid exam. Report it to the issuer."),
        "pkg_err_replace" => ("Paket lain yang sedang terpasang sudah berisi pekerjaan peserta. Unduh hasilnya dan selesaikan dulu; paket baru tidak dipasang.", "Another installed package already holds participants' work. Download its results first; the new package was not installed."),
        "pkg_err_session_open" => ("Sebuah sesi sedang dibuka. Tutup sesi itu dulu di dasbor, lalu impor paket lagi.", "A session is open. Close it on the dashboard first, then import the package again."),
        "pkg_err_storage" => ("Server tidak dapat menyimpan paket (kartu penuh atau rusak?).", "The server cannot store the package (card full or failing?)."),
        "pkg_err_upload" => ("Unggahan terputus. Coba lagi.", "The upload was interrupted. Try again."),
        "pkg_err_no_file" => ("Pilih berkas paket terlebih dahulu.", "Choose a package file first."),
        "pkg_err_key" => ("Itu bukan kunci publik Ruji (diawali ruji-pk:).", "That is not a Ruji public key (it starts with ruji-pk:)."),
        "pkg_err_none" => ("Belum ada paket yang diimpor.", "No package has been imported."),
        "network" => ("Jaringan", "Network"),
        "lan_off" => ("Layanan LAN tidak berjalan. Jalankan Ruji dengan --lan-iface (di papan: otomatis).", "The LAN service is not running. Run Ruji with --lan-iface (on the board: automatic)."),
        "lan_address" => ("Alamat papan", "Board address"),
        "lan_bound" => ("alamat terpasang", "address in use by the board"),
        "lan_probing" => ("memeriksa apakah alamat bebas...", "checking that the address is free..."),
        "lan_conflict" => ("KONFLIK: alamat dipakai perangkat lain", "CONFLICT: another device uses the address"),
        "lan_link_up" => ("kabel tersambung", "cable connected"),
        "lan_link_down" => ("kabel LAN tidak tersambung", "LAN cable not connected"),
        "lan_rescan" => ("Cek semua", "Check all"),
        "lan_findings" => ("Temuan", "Findings"),
        "lan_seats" => ("Kursi", "Seats"),
        "lan_last_seen" => ("terakhir terdengar", "last heard"),
        "dashboard" => ("Status Ujian", "Exam status"),
        "sessions" => ("Sesi", "Sessions"),
        "open_session" => ("Buka sesi", "Open session"),
        "close_session" => ("Tutup sesi", "Close session"),
        "session_open" => ("Sesi dibuka", "Session open"),
        "session_closed" => ("Sesi ditutup", "Session closed"),
        "no_session_open" => ("Belum ada sesi yang dibuka. Buka sesi untuk merilis token.", "No session is open. Open a session to release the token."),
        "rotate_token" => ("Ganti token", "New token"),
        "show_token" => ("Tampilkan token besar", "Show token full screen"),
        "token_rotates_in" => ("Token berganti otomatis dalam", "Token changes automatically in"),
        "participants" => ("Peserta", "Participants"),
        "status" => ("Status", "Status"),
        "progress" => ("Dijawab", "Answered"),
        "client" => ("Komputer", "Client"),
        "online" => ("Online", "Online"),
        "actions" => ("Tindakan", "Actions"),
        "reset_login" => ("Reset login", "Reset login"),
        "force_finish" => ("Paksa selesai", "Force finish"),
        "reason" => ("Alasan", "Reason"),
        "activate_reserve" => ("Aktifkan cadangan", "Activate reserve"),
        "st_not_logged_in" => ("Belum login", "Not logged in"),
        "st_logged_in" => ("Sudah login", "Logged in"),
        "st_practice" => ("Latihan", "Practice"),
        "st_in_progress" => ("Mengerjakan", "In progress"),
        "st_finished" => ("Selesai", "Finished"),
        "reserve" => ("cadangan", "reserve"),
        "results" => ("Hasil (JSON)", "Results (JSON)"),
        "audit" => ("Catatan kejadian", "Event log"),
        "err_reason_required" => ("Tuliskan alasan paksa selesai (dicatat di berita acara).", "Write the reason for force finishing (it goes into the report)."),
        "err_session_sealed" => ("Soal sesi ini masih terkunci. Masukkan kode rilis sesi ini di halaman Paket terlebih dahulu.", "This session's questions are still sealed. Enter the session's release code on the Package page first."),
        "err_another_session_open" => ("Sesi lain masih dibuka. Tutup sesi itu terlebih dahulu.", "Another session is still open. Close it first."),
        "err_attempts_open" => ("Masih ada peserta yang mengerjakan. Tunggu selesai atau paksa selesai, lalu tutup sesi.", "Participants are still working. Wait, or force finish them, then close the session."),
        "err_session_closed" => ("Sesi tidak sedang dibuka.", "The session is not open."),
        "err_unknown_session" => ("Sesi tidak ditemukan.", "Session not found."),
        "err_not_reserve" => ("Peserta ini bukan peserta cadangan.", "This participant is not a reserve."),
        "done_ok" => ("Berhasil", "Done"),
        "summary_counts" => ("Ringkasan", "Summary"),
        "not_logged_in_count" => ("belum login", "not logged in"),
        "in_progress_count" => ("mengerjakan", "in progress"),
        "finished_count" => ("selesai", "finished"),
        "offline" => ("Offline", "Offline"),
        "time" => ("Waktu", "Time"),
        "who" => ("Oleh", "By"),
        "what" => ("Kejadian", "Event"),
        "detail" => ("Rincian", "Detail"),
        // The board's notices: settings file, recovery, attention reasons.
        "cfg_error_title" => ("Berkas pengaturan ruji.toml berisi kesalahan", "The settings file ruji.toml has an error"),
        "cfg_line" => ("baris", "line"),
        "cfg_column" => ("kolom", "column"),
        "cfg_using_last_good" => ("Ruji tetap berjalan dengan pengaturan terakhir yang benar (di bawah).", "Ruji is running on the last settings that were correct (below)."),
        "cfg_using_defaults" => ("Ruji tetap berjalan dengan pengaturan bawaan (di bawah).", "Ruji is running on the default settings (below)."),
        "cfg_error_todo" => ("Cara memperbaiki: matikan papan dengan aman (tahan tombol 3 detik), pasang kartu SD di PC, buka ruji.toml di partisi RUJI-BOOT dengan Notepad, perbaiki baris yang disebut, simpan, pasang kembali kartu, lalu nyalakan papan.", "To fix it: shut the board down safely (hold the button 3 s), put the SD card in a PC, open ruji.toml on the RUJI-BOOT partition with Notepad, correct the line named, save, put the card back and power the board on."),
        "lan_defaults_title" => ("Pengaturan LAN bawaan berlaku (pemulihan)", "LAN defaults in force (recovery)"),
        "lan_defaults_text" => ("Tombol ditahan saat papan dinyalakan: password proktor dan pengaturan LAN dikembalikan ke bawaan, data ujian tetap ada. Papan memakai alamat bawaan sampai ruji.toml diubah; setelah ruji.toml diperbaiki di PC, pengaturannya berlaku lagi saat papan dinyalakan berikutnya.", "The button was held at power-on: the proctor password and the LAN settings were reset to the defaults, exam data kept. The board uses the default address until ruji.toml is changed; once ruji.toml is corrected on a PC, its settings apply again at the next power-on."),
        "settings_in_force" => ("Pengaturan sekolah yang berlaku (ruji.toml)", "School settings in force (ruji.toml)"),
        "set_source" => ("Berkas", "File"),
        "set_language" => ("Bahasa tampilan", "Display language"),
        "set_lang_auto" => ("mengikuti peramban", "follows the browser"),
        "set_token_rotation" => ("Token berganti otomatis setiap", "Token changes automatically every"),
        "set_token_never" => ("tidak otomatis (hanya oleh proktor)", "not automatically (only by the proctor)"),
        "set_token_grace" => ("Token lama masih berlaku selama", "The previous token stays valid for"),
        "set_count_downtime" => ("Waktu server mati dihitung", "Time the server was down is counted"),
        "yes" => ("ya", "yes"),
        "no" => ("tidak", "no"),
        "attention_title" => ("Perlu perhatian", "Needs attention"),
        "att_address_conflict" => ("Alamat IP papan bentrok", "The board's IP address conflicts"),
        "att_address_conflict_todo" => ("Perangkat lain di LAN memakai alamat papan. Buka halaman Jaringan untuk melihat perangkatnya, lalu ubah alamat perangkat itu atau alamat papan di ruji.toml.", "Another device on the LAN uses the board's address. Open the Network page to see which one, then change that device's address or the board's address in ruji.toml."),
        "att_disk_nearly_full" => ("Penyimpanan hampir penuh", "Storage nearly full"),
        "att_disk_nearly_full_todo" => ("Sisa ruang di kartu SD kurang dari 10% atau 200 MB. Unduh hasil semua sesi, lalu ganti kartu dengan yang lebih besar sebelum ujian berikutnya.", "Less than 10% or 200 MB is free on the SD card. Download every session's results, then move to a larger card before the next exam."),
        "att_clock_not_set" => ("Jam papan belum diatur", "The board's clock is not set"),
        "att_clock_not_set_todo" => ("Jam papan lebih awal dari waktu terakhir yang diketahui. Ujian tetap berjalan (waktu ujian tidak bergantung pada jam), tetapi waktu di catatan kejadian bisa salah. Sambungkan papan ke internet sebentar agar jam diatur.", "The board's clock is earlier than the last time it knew. The exam is not affected (exam time does not depend on the clock), but times in the event log may be wrong. Connect the board to the internet briefly so the clock gets set."),
        "att_results_not_uploaded" => ("Hasil belum diunggah", "Results not uploaded"),
        "att_results_not_uploaded_todo" => ("Hasil sesi yang sudah selesai belum terkirim ke server pusat.", "Results of a finished session have not reached the central server yet."),
        "att_not_backed_up" => ("Hasil belum dicadangkan", "Results not backed up"),
        "att_not_backed_up_todo" => ("Sesi ini sudah ditutup tetapi hasilnya belum diunduh sejak itu. Unduh hasilnya (tombol Hasil) dan simpan di flashdisk atau PC:", "These sessions were closed but their results were not downloaded since. Download the results (the Results button) and keep them on a USB stick or PC:"),
        // The simulated panel's developer page.
        "dev_panel" => ("Panel simulasi (pengembang)", "Simulated panel (developers)"),
        "dev_panel_hint" => ("Halaman ini hanya ada dengan ruji serve --panel sim. Lampu di bawah mengikuti lampu papan; tombol menekan tombol papan.", "This page exists only with ruji serve --panel sim. The light below follows the board's LED; the buttons press the board's button."),
        "dev_press" => ("Tekan", "Press"),
        "dev_hold" => ("Tahan 3 detik", "Hold 3 s"),
        "dev_last_gesture" => ("Gerakan terakhir", "Last gesture"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key passed to `Tr::s` in the templates and sources has a translation.
    #[test]
    fn every_key_used_exists() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        let mut texts: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect();
        let src = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        for e in std::fs::read_dir(src).unwrap() {
            texts.push(std::fs::read_to_string(e.unwrap().path()).unwrap());
        }
        let mut n = 0;
        for t in texts {
            for part in t.split(".s(\"").skip(1) {
                let key = part.split('"').next().unwrap();
                assert!(lookup(key).is_some(), "missing UI text {key:?}");
                n += 1;
            }
        }
        assert!(n > 50);
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
