//! Labels of the event log's actions (stored by name in the board's audit log), shared by the
//! event log page and the printed session report.

use crate::Lang;

/// The label of the action stored as `name`; `None` for a name this Ruji does not know.
pub fn action(name: &str, lang: Lang) -> Option<&'static str> {
    #[rustfmt::skip]
    let (id, en) = match name {
        "cookie_key_created" => ("Kunci cookie dibuat", "Cookie key made"),
        "package_installed" => ("Paket dipasang", "Package installed"),
        "package_imported" => ("Paket diimpor", "Package imported"),
        "issuer_trusted" => ("Kunci penerbit dipercaya", "Issuer key trusted"),
        "proctor_password_created" => ("Password proktor dibuat", "Proctor password created"),
        "recovery" => ("Pemulihan dengan tombol", "Recovery with the button"),
        "open_session" => ("Sesi dibuka", "Session opened"),
        "close_session" => ("Sesi ditutup", "Session closed"),
        "rotate_token" => ("Token diganti", "Token changed"),
        "login" => ("Login peserta", "Participant logged in"),
        "logout" => ("Peserta keluar", "Participant logged out"),
        "end_practice" => ("Selesai latihan", "Practice ended"),
        "answer" => ("Menyimpan jawaban", "Answers saved"),
        "finish" => ("Selesai tes", "Test finished"),
        "timeout" => ("Waktu habis", "Time up"),
        "reset_login" => ("Reset login", "Login reset"),
        "force_finish" => ("Paksa selesai", "Force finish"),
        "activate_reserve" => ("Peserta cadangan diaktifkan", "Reserve activated"),
        "results_exported" => ("Hasil diunduh", "Results downloaded"),
        "results_bundled" => ("Berkas hasil dibuat", "Results file made"),
        "results_acknowledged" => ("Tanda terima hasil diterima", "Results receipt received"),
        "proctor_login" => ("Login proktor", "Proctor logged in"),
        "proctor_logout" => ("Proktor keluar", "Proctor logged out"),
        "proctor_password_changed" => ("Password proktor diganti", "Proctor password changed"),
        "password_upgraded" => ("Hash password diperbarui", "Password hash renewed"),
        "clock_set" => ("Jam papan disetel", "Board clock set"),
        "invigilator_password_set" => ("Password pengawas disimpan", "Invigilator password saved"),
        "invigilator_removed" => ("Akun pengawas dihapus", "Invigilator account removed"),
        "invigilator_login" => ("Login pengawas", "Invigilator logged in"),
        "invigilator_logout" => ("Pengawas keluar", "Invigilator logged out"),
        "signed_out_everywhere" => ("Keluar dari semua perangkat", "Signed out everywhere"),
        "password_reissued" => ("Password baru (kartu login dicetak ulang)", "New password (login card reprinted)"),
        "session_notes" => ("Catatan berita acara disimpan", "Session report notes saved"),
        "session_released" => ("Sesi dirilis (kode rilis)", "Session released (release code)"),
        "proctor_password_reset" => ("Password proktor dihapus (pemulihan)", "Proctor password removed (recovery)"),
        "start" => ("Mulai tes (token diterima)", "Test started (token accepted)"),
        "resume" => ("Melanjutkan tes (token diterima)", "Test resumed (token accepted)"),
        "results_to_usb" => ("Hasil disimpan ke flashdisk", "Results saved to a USB stick"),
        "locked_out" => ("Login ditahan (salah berkali-kali)", "Login held (too many wrong tries)"),
        "extra_time" => ("Tambahan waktu", "Extra time"),
        "pause_all" => ("Ujian dijeda", "Exam paused"),
        "resume_all" => ("Ujian dilanjutkan", "Exam resumed"),
        _ => return None,
    };
    Some(lang.t(id, en))
}
