//! The printables as paper: each document's PDF (ours) read back with poppler, and its HTML
//! printed by headless Chromium, checked for what is on which page: login cards eight to a page,
//! no table row split across pages, the header on every page, page numbers, signature lines.
//! Needs poppler-utils and Debian's chromium (scripts/test installs them).

mod samples;

use std::path::Path;
use std::process::Command;

use ruji_print::{Doc, Lang};

/// Whether the tests run here: poppler and Chromium present, or SKIP_BROWSER=1 said on a machine
/// without them (scripts/test installs them, so CI always runs these tests).
fn tools_here() -> bool {
    let present = ["pdfinfo", "pdftotext", "chromium"]
        .iter()
        .all(|t| Command::new(t).arg("-v").output().is_ok());
    if !present && std::env::var("SKIP_BROWSER").as_deref() == Ok("1") {
        eprintln!("skipped: no chromium or poppler-utils (SKIP_BROWSER=1)");
        return false;
    }
    true
}

fn run(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!("{tool}: {e} (apt-get install -y poppler-utils chromium; scripts/test does)")
    });
    assert!(
        out.status.success(),
        "{tool} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The text of each page of `pdf` (pdftotext -layout), after checking it is A4.
fn pages(pdf: &Path) -> Vec<String> {
    let pdf = pdf.to_str().unwrap();
    let info = run("pdfinfo", &[pdf]);
    assert!(info.contains("(A4)"), "{info}");
    let n: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    (1..=n)
        .map(|i| {
            let i = i.to_string();
            run("pdftotext", &["-layout", "-f", &i, "-l", &i, pdf, "-"])
        })
        .collect()
}

/// Our PDF of `doc`, page by page.
fn our_pdf(doc: &Doc, dir: &Path, name: &str) -> Vec<String> {
    let file = dir.join(format!("{name}.pdf"));
    std::fs::write(&file, doc.to_pdf()).unwrap();
    pages(&file)
}

/// `doc`'s HTML as headless Chromium prints it, page by page.
fn chromium_pdf(doc: &Doc, dir: &Path, name: &str) -> Vec<String> {
    let html = dir.join(format!("{name}.html"));
    let pdf = dir.join(format!("{name}-chromium.pdf"));
    std::fs::write(&html, doc.to_html()).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-pdf-header-footer",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", html.display()))
        .output()
        .expect("chromium (apt-get install -y chromium; scripts/test does)");
    assert!(
        out.status.success() && pdf.exists(),
        "chromium: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    pages(&pdf)
}

/// Which pages show a line with all of `parts` on it.
fn pages_with_line(pages: &[String], parts: &[&str]) -> Vec<usize> {
    pages
        .iter()
        .enumerate()
        .filter(|(_, p)| p.lines().any(|l| parts.iter().all(|x| l.contains(x))))
        .map(|(i, _)| i)
        .collect()
}

fn check_cards(pages: &[String], n: usize) {
    assert_eq!(pages.len(), n.div_ceil(8), "eight cards a page");
    for (i, p) in pages.iter().enumerate() {
        let want = (n - 8 * i).min(8);
        assert_eq!(p.matches("Password").count(), want, "page {}:\n{p}", i + 1);
    }
    let cards = samples::cards(n);
    for c in &cards.cards {
        let u = pages_with_line(pages, &[&c.username]);
        let pw = pages_with_line(pages, &[&c.password]);
        assert_eq!(u.len(), 1, "{} once", c.username);
        assert_eq!(u, pw, "{}'s password on the card's page", c.username);
    }
}

fn check_attendance(pages: &[String], n: usize, title: &str) {
    assert!(pages.len() >= 2, "{} rows take pages", n);
    for (i, p) in pages.iter().enumerate() {
        if p.contains("SMP1-") {
            assert!(
                p.contains("Username") && p.contains("Tanda tangan"),
                "header on page {}",
                i + 1
            );
        }
        assert!(
            p.contains(&format!("{title} · Halaman {} dari {}", i + 1, pages.len())),
            "page number on page {}:\n{p}",
            i + 1
        );
    }
    for i in 0..n {
        // The row's number, username and its signature place on one line of one page: whole.
        let on = pages_with_line(pages, &[&samples::username(i), &format!("{}.", i + 1)]);
        assert_eq!(on.len(), 1, "row {} printed whole once", i + 1);
    }
    let last = pages.last().unwrap();
    assert!(last.contains("Proktor") && last.contains("Pengawas") && last.contains("NIP"));
    assert!(
        last.contains("Peserta terdaftar"),
        "the count goes with the signatures"
    );
}

fn check_report(pages: &[String]) {
    let all = pages.concat();
    for want in [
        "Berita Acara Pelaksanaan",
        "SMP Negeri 1 Contoh",
        "Lab Komputer 1",
        "Terdaftar (peserta utama)",
        "Komputer mati, tidak dapat dinyalakan lagi",
        "Listrik padam 5 menit",
        "Catatan pengawas",
        "rangkap tiga",
    ] {
        assert!(all.contains(want), "{want}");
    }
    for i in 0..30 {
        let on = pages_with_line(
            pages,
            &[&format!("2026-12-07 08:{i:02}:00"), &samples::username(i)],
        );
        assert_eq!(on.len(), 1, "incident {i} whole once");
    }
    let last = pages.last().unwrap();
    assert!(
        last.contains("Proktor") && last.contains("Pengawas"),
        "{last}"
    );
}

#[test]
fn our_pdfs_keep_rows_whole_and_cards_eight_to_a_page() {
    if !tools_here() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    check_cards(
        &our_pdf(&samples::cards(20).doc(Lang::Id), dir.path(), "cards"),
        20,
    );
    check_attendance(
        &our_pdf(
            &samples::attendance(40).doc(Lang::Id),
            dir.path(),
            "attendance",
        ),
        40,
        "Daftar Hadir Peserta",
    );
    check_report(&our_pdf(
        &samples::report().doc(Lang::Id),
        dir.path(),
        "report",
    ));
    // English labels.
    let en = our_pdf(&samples::report().doc(Lang::En), dir.path(), "report-en").concat();
    assert!(en.contains("Session report") && en.contains("Ended by the proctor"));
}

#[test]
fn the_html_printed_by_chromium_keeps_rows_whole_and_cards_eight_to_a_page() {
    if !tools_here() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    check_cards(
        &chromium_pdf(&samples::cards(20).doc(Lang::Id), dir.path(), "cards"),
        20,
    );
    check_attendance(
        &chromium_pdf(
            &samples::attendance(40).doc(Lang::Id),
            dir.path(),
            "attendance",
        ),
        40,
        "Daftar Hadir Peserta",
    );
    check_report(&chromium_pdf(
        &samples::report().doc(Lang::Id),
        dir.path(),
        "report",
    ));
}
