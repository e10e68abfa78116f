//! The report as one printable HTML page (askama, `templates/report.html`): every text worked
//! out here in the reader's language, the template only lays it out.

use askama::Template;
use ruji_core::attempt::Outcome;

use crate::analysis::{Report, TestReport, TYPES};
use crate::text::{self, Tr, T};
use crate::Lang;

#[derive(Template)]
#[template(path = "report.html")]
struct Page {
    tr: Tr,
    lang: &'static str,
    title: String,
    css: String,
    meta: Vec<(String, String)>,
    notes: Vec<String>,
    several: bool,
    scores: Vec<ScoreTable>,
    responses: Vec<ResponseTable>,
    items: Vec<ItemTable>,
    essays: Vec<EssayTest>,
    type_legend: String,
}

struct ScoreTable {
    title: String,
    sub: String,
    scored: bool,
    type_heads: Vec<String>,
    score_head: String,
    rows: Vec<ScoreLine>,
}

struct ScoreLine {
    no: usize,
    username: String,
    name: String,
    class: String,
    session: String,
    board: String,
    types: Vec<String>,
    score: String,
    state: String,
    reason: String,
    time: String,
    not_done: bool,
}

struct ResponseTable {
    title: String,
    people: Vec<Person>,
}

struct Person {
    head: String,
    state: String,
    lines: Vec<ResponseLine>,
}

struct ResponseLine {
    no: usize,
    item: String,
    kind: &'static str,
    response: String,
    doubtful: bool,
    score: String,
}

struct ItemTable {
    title: String,
    summary: String,
    remark: String,
    scored: bool,
    rows: Vec<ItemLine>,
}

struct ItemLine {
    no: usize,
    item: String,
    kind: &'static str,
    points: String,
    answered: String,
    p: String,
    p_cat: &'static str,
    d: String,
    d_cat: &'static str,
    freq: String,
    flag: bool,
}

struct EssayTest {
    title: String,
    items: Vec<EssayItem>,
}

struct EssayItem {
    head: String,
    auto: bool,
    points: String,
    rows: Vec<EssayLine>,
}

struct EssayLine {
    no: usize,
    username: String,
    name: String,
    text: String,
    auto: String,
}

const MONTHS_ID: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// `YYYY-MM-DD` as "1 Desember 2026"; anything else as given.
fn long_date(day: &str, lang: Lang) -> String {
    let parts: Vec<&str> = day.split('-').collect();
    if let [y, m, d] = parts[..] {
        if let (Ok(m), Ok(d)) = (m.parse::<usize>(), d.parse::<u32>()) {
            if (1..=12).contains(&m) && y.len() == 4 {
                let months = match lang {
                    Lang::Id => MONTHS_ID,
                    Lang::En => MONTHS_EN,
                };
                return format!("{d} {} {y}", months[m - 1]);
            }
        }
    }
    day.to_string()
}

/// A CSS string literal holding `s` (for the page's running header), safe inside `<style>`.
fn css_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\3C "),
            '>' => out.push_str("\\3E "),
            '&' => out.push_str("\\26 "),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

const CSS: &str = include_str!("../templates/report.css");

fn uniq(v: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = vec![];
    for x in v {
        if !out.contains(&x) {
            out.push(x);
        }
    }
    out
}

pub fn render(r: &Report, lang: Lang) -> String {
    let tr = Tr(lang);
    let sessions = uniq(r.sources.iter().map(|s| {
        format!(
            "{} ({}, {} {})",
            s.session.name,
            s.session.id,
            long_date(&s.session.day, lang),
            s.session.start
        )
    }));
    let boards = uniq(r.sources.iter().map(|s| s.board.clone()));
    let days = uniq(r.sources.iter().map(|s| long_date(&s.session.day, lang)));
    let meta = vec![
        (tr.t(T::Issuer).to_string(), r.package.issuer.clone()),
        (
            tr.t(T::Package).to_string(),
            format!("{} ({})", r.package.title, r.package.id),
        ),
        (tr.t(T::Session).to_string(), sessions.join("; ")),
        (tr.t(T::Board).to_string(), boards.join(", ")),
        (tr.t(T::Date).to_string(), days.join(", ")),
    ];
    let running = format!("{} · {}", r.package.issuer, r.package.title);
    let css = CSS
        .replace("/*RUNNING*/\"\"", &css_string(&running))
        .replace("/*PAGE*/\"\"", &css_string(tr.t(T::Page)))
        .replace(
            "/*SESSIONS*/\"\"",
            &css_string(&format!(
                "{} {} · {} {}",
                tr.t(T::Session),
                uniq(r.sources.iter().map(|s| s.session.id.clone())).join(", "),
                tr.t(T::Board),
                boards.join(", ")
            )),
        );
    let several = r.several_sources();
    let type_legend = TYPES
        .iter()
        .map(|t| format!("{} = {}", tr.type_short(*t), tr.type_name(*t)))
        .collect::<Vec<_>>()
        .join(" · ");
    let page = Page {
        tr,
        lang: match lang {
            Lang::Id => "id",
            Lang::En => "en",
        },
        title: format!("{} · {}", tr.t(T::Title), r.package.title),
        css,
        meta,
        notes: r.notes.iter().map(|n| tr.note(n)).collect(),
        several,
        scores: r.tests.iter().map(|t| score_table(t, tr)).collect(),
        responses: r.tests.iter().map(|t| response_table(t, tr)).collect(),
        items: r
            .tests
            .iter()
            .filter(|t| t.kind != ruji_core::package::TestKind::Practice)
            .map(|t| item_table(t, tr))
            .collect(),
        essays: r
            .tests
            .iter()
            .filter(|t| !t.hand_items().is_empty())
            .map(|t| essay_test(t, tr))
            .collect(),
        type_legend,
    };
    page.render().expect("the report template renders")
}

fn test_title(t: &TestReport) -> String {
    format!("{} · {}", t.id, t.name)
}

fn score_table(t: &TestReport, tr: Tr) -> ScoreTable {
    let types = t.present_types();
    let sub = if t.scored() {
        format!(
            "{} {} · {} {}",
            tr.t(T::MaxScore),
            tr.points(t.max),
            t.duration_minutes,
            tr.t(T::Minutes)
        )
    } else {
        format!("{} {}", t.duration_minutes, tr.t(T::Minutes))
    };
    ScoreTable {
        title: test_title(t),
        sub,
        scored: t.scored(),
        type_heads: types
            .iter()
            .map(|&i| {
                format!(
                    "{} /{}",
                    tr.type_short(TYPES[i]),
                    tr.points(t.type_max[i].unwrap_or(0))
                )
            })
            .collect(),
        score_head: format!("{} /{}", tr.t(T::Score), tr.points(t.max)),
        rows: t
            .rows
            .iter()
            .enumerate()
            .map(|(n, row)| ScoreLine {
                no: n + 1,
                username: row.username.clone(),
                name: row.name.clone(),
                class: row.class.clone(),
                session: row.session.clone(),
                board: row.board.clone(),
                types: types
                    .iter()
                    .map(|&i| row.by_type[i].map_or("–".into(), |m| tr.points(m)))
                    .collect(),
                score: row.total.map_or(String::new(), |m| tr.points(m)),
                state: tr.state(row.state).to_string(),
                reason: if row.state == Outcome::FinishedProctor {
                    row.reason.clone().unwrap_or_default()
                } else {
                    String::new()
                },
                time: if row.reached_items() {
                    text::duration(row.time_used_ms)
                } else {
                    String::new()
                },
                not_done: !row.reached_items(),
            })
            .collect(),
    }
}

fn response_table(t: &TestReport, tr: Tr) -> ResponseTable {
    ResponseTable {
        title: test_title(t),
        people: t
            .rows
            .iter()
            .filter(|r| r.reached_items())
            .map(|row| Person {
                head: format!(
                    "{} · {} · {}{}",
                    row.username,
                    row.name,
                    row.class,
                    match t.rows.iter().filter(|x| x.username == row.username).count() {
                        1 => String::new(),
                        _ => format!(
                            " · {} {} · {} {}",
                            tr.t(T::Session),
                            row.session,
                            tr.t(T::Board),
                            row.board
                        ),
                    }
                ),
                state: tr.state_with_reason(row.state, row.reason.as_deref()),
                lines: t
                    .items
                    .iter()
                    .zip(&row.answers)
                    .enumerate()
                    .map(|(n, (item, a))| ResponseLine {
                        no: n + 1,
                        item: item.id.clone(),
                        kind: tr.type_short(item.item_type),
                        response: tr.response(a.response.as_ref(), &item.options),
                        doubtful: a.doubtful,
                        score: a.score.map_or(String::new(), |s| {
                            format!("{} /{}", tr.points(s), item.points)
                        }),
                    })
                    .collect(),
            })
            .collect(),
    }
}

fn item_table(t: &TestReport, tr: Tr) -> ItemTable {
    let summary = match t.summary() {
        Some(s) => format!(
            "{} {} · {} {} · {} {} · {} {} ({} {})",
            tr.t(T::Analysed),
            s.n,
            tr.t(T::Mean),
            tr.mean_points(s.mean),
            tr.t(T::Highest),
            tr.points(s.highest),
            tr.t(T::Lowest),
            tr.points(s.lowest),
            tr.t(T::Of),
            tr.points(t.max)
        ),
        None => format!("{} {}", tr.t(T::Analysed), t.counted),
    };
    let remark = if t.counted == 0 {
        tr.t(T::NobodyTook)
    } else if !t.scored() {
        tr.t(T::NotScoredTest)
    } else {
        ""
    };
    ItemTable {
        title: test_title(t),
        summary,
        remark: remark.to_string(),
        scored: t.scored(),
        rows: t
            .items
            .iter()
            .zip(&t.stats)
            .enumerate()
            .map(|(n, (item, s))| ItemLine {
                no: n + 1,
                item: item.id.clone(),
                kind: tr.type_short(item.item_type),
                points: item.points.to_string(),
                answered: format!("{}/{}", s.answered, s.answered + s.no_answer),
                p: s.difficulty.map_or(String::new(), |p| tr.ratio(p)),
                p_cat: s.difficulty.map_or("", |p| tr.difficulty_category(p)),
                d: tr.discrimination(s.discrimination),
                d_cat: tr.discrimination_category(s.discrimination),
                freq: tr.frequencies(&s.frequencies, s.no_answer),
                flag: s.nobody_answered(),
            })
            .collect(),
    }
}

fn essay_test(t: &TestReport, tr: Tr) -> EssayTest {
    EssayTest {
        title: test_title(t),
        items: t
            .hand_items()
            .into_iter()
            .map(|n| {
                let item = &t.items[n];
                let auto = item.item_type != ruji_core::package::ItemType::Essay;
                EssayItem {
                    head: format!(
                        "{} {} · {} · {} · {} {}",
                        tr.t(T::No),
                        n + 1,
                        item.id,
                        tr.type_name(item.item_type),
                        item.points,
                        tr.t(T::Points).to_lowercase()
                    ),
                    auto,
                    points: item.points.to_string(),
                    rows: t
                        .rows
                        .iter()
                        .filter(|r| r.reached_items())
                        .enumerate()
                        .map(|(i, row)| {
                            let a = &row.answers[n];
                            let text = tr.response(a.response.as_ref(), &item.options);
                            EssayLine {
                                no: i + 1,
                                username: row.username.clone(),
                                name: row.name.clone(),
                                text: if text.is_empty() {
                                    tr.t(T::NoAnswerText).into()
                                } else {
                                    text
                                },
                                auto: a.score.map_or(String::new(), |s| tr.points(s)),
                            }
                        })
                        .collect(),
                }
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::process::Command;

    use super::*;
    use crate::analysis::tests::class_report;

    #[test]
    fn one_self_contained_page_in_either_language() {
        let r = class_report();
        let id = r.to_html(Lang::Id);
        assert!(id.starts_with("<!DOCTYPE html>"));
        assert!(id.contains(r#"<html lang="id">"#));
        for outside in ["<script", "src=", "href=", "url(", "@import"] {
            assert!(!id.contains(outside), "{outside} in a self-contained page");
        }
        for part in [
            "Nilai",
            "Jawaban",
            "Analisis butir",
            "Uraian dan isian singkat",
        ] {
            assert!(
                id.contains(&format!("Laporan Hasil Ujian: {part}")),
                "{part}"
            );
        }
        assert!(id.contains("Diselesaikan proktor: <i>listrik padam</i>"));
        assert!(id.contains("Waktu habis"));
        assert!(id.contains("Skor /12"));
        // p of Q1 with a decimal comma; the item nobody answered flagged.
        assert!(id.contains(r#"<td class="num">0,38</td>"#));
        assert!(id.contains("tidak ada yang menjawab"));
        // Participants' text is escaped, never markup.
        assert!(
            id.contains("Energi terbarukan &#60;b&#62;penting")
                || id.contains("Energi terbarukan &lt;b&gt;penting")
        );
        assert!(!id.contains("<b>penting</b>"));
        // The running header (CSS string) and the signature line.
        assert!(id.contains(r#"content: "SMP Negeri 1 Contoh · Penilaian Akhir Semester""#));
        assert!(id.contains("Guru mata pelajaran"));

        let en = r.to_html(Lang::En);
        assert!(en.contains(r#"<html lang="en">"#));
        assert!(en.contains("Exam Results Report: Scores"));
        assert!(en.contains("Force-finished by the proctor: <i>listrik padam</i>"));
        assert!(en.contains(r#"<td class="num">0.38</td>"#));
        assert!(en.contains("Subject teacher"));
    }

    /// Runs a tool; `None` when it is not installed.
    fn run(tool: &str, args: &[&str]) -> Option<String> {
        let out = Command::new(tool).args(args).output().ok()?;
        assert!(
            out.status.success(),
            "{tool} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The page as Chromium prints it: A4, each part from a new page, the table header on every
    /// page of a long table, page numbers, no word outside the page. Needs Debian's chromium and
    /// poppler-utils (scripts/test installs them); SKIP_BROWSER=1 skips it.
    #[test]
    fn printed_by_chromium_on_a4_with_headers_repeating() {
        if run("pdfinfo", &["-v"]).is_none() || run("chromium", &["--version"]).is_none() {
            if std::env::var("SKIP_BROWSER").as_deref() == Ok("1") {
                eprintln!("skipped: no chromium or poppler-utils (SKIP_BROWSER=1)");
                return;
            }
            panic!(
                "this test prints the report with Chromium: apt-get install -y chromium \
                 poppler-utils (or SKIP_BROWSER=1 to skip it)"
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let html = dir.path().join("report.html");
        let pdf = dir.path().join("report.pdf");
        std::fs::write(&html, class_report().to_html(Lang::Id)).unwrap();
        let profile = tempfile::tempdir().unwrap();
        print_pdf(&html, &pdf, profile.path());
        let pdf = pdf.to_str().unwrap();

        let info = run("pdfinfo", &[pdf]).unwrap();
        let size = info.lines().find(|l| l.starts_with("Page size:")).unwrap();
        assert!(size.contains("(A4)"), "{size}");
        let pages: usize = info
            .lines()
            .find_map(|l| l.strip_prefix("Pages:"))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let text: Vec<String> = (1..=pages)
            .map(|i| {
                let i = i.to_string();
                run("pdftotext", &["-layout", "-f", &i, "-l", &i, pdf, "-"]).unwrap()
            })
            .collect();
        for (i, t) in text.iter().enumerate() {
            assert!(
                t.contains(&format!("Halaman {} / {pages}", i + 1)),
                "page {} numbered:\n{t}",
                i + 1
            );
            assert!(
                t.contains("SMP Negeri 1 Contoh · Penilaian Akhir Semester"),
                "running header"
            );
        }
        let start = |part: &str| {
            text.iter()
                .position(|t| t.contains(&format!("Laporan Hasil Ujian: {part}")))
                .unwrap_or_else(|| panic!("{part} printed"))
        };
        let parts = [
            start("Nilai"),
            start("Jawaban"),
            start("Analisis butir"),
            start("Uraian dan isian singkat"),
        ];
        assert_eq!(parts[0], 0);
        assert!(
            parts.windows(2).all(|w| w[0] < w[1]),
            "each part on its own pages: {parts:?}"
        );
        // 29 × 7 responses fill several pages, each with the table's header row.
        assert!(parts[2] - parts[1] >= 3, "{parts:?}");
        for t in &text[parts[1]..parts[2]] {
            assert!(
                t.contains("Butir") && t.contains("Tipe"),
                "header repeated:\n{t}"
            );
        }
        // The scores' right-most column (time used) is on the page for every participant who came.
        let scores: String = text[..parts[1]].concat();
        assert_eq!(scores.matches("0:30:00").count(), 29);
        assert!(scores.contains("Guru mata pelajaran"));

        // No word outside the printable area (12 mm margins, 1 mm of slack).
        let bbox = run("pdftotext", &["-bbox", pdf, "-"]).unwrap();
        let attr = |w: &str, name: &str| -> f64 {
            let at = w.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
            w[at..].split('"').next().unwrap().parse().unwrap()
        };
        let (width, mm) = (595.0, 72.0 / 25.4);
        let words: Vec<&str> = bbox.split("<word ").skip(1).collect();
        assert!(words.len() > 1000);
        // Chromium shrinks every page to fit when something is wider than A4 (then nothing is
        // cut off, but everything is smaller): the 14 pt title must print at its size.
        let title = words
            .iter()
            .find(|w| w.contains(">Laporan</word>"))
            .unwrap();
        let height = attr(title, "yMax") - attr(title, "yMin");
        assert!(
            height > 14.0,
            "printed at {height:.1} pt: the page was shrunk to fit"
        );
        for w in words {
            let (x0, x1) = (attr(w, "xMin"), attr(w, "xMax"));
            assert!(
                x0 >= 11.0 * mm && x1 <= width - 11.0 * mm,
                "a word outside the page: {}",
                &w[..w.len().min(120)]
            );
        }
    }

    /// Headless Chromium's print to PDF, offline, as the report's docs say to try it.
    fn print_pdf(html: &Path, pdf: &Path, profile: &Path) {
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
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(format!("--print-to-pdf={}", pdf.display()))
            .arg(format!("file://{}", html.display()))
            .output()
            .unwrap();
        assert!(
            out.status.success() && pdf.exists(),
            "chromium: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[test]
    fn dates_and_css_strings() {
        assert_eq!(long_date("2026-12-01", Lang::Id), "1 Desember 2026");
        assert_eq!(long_date("2026-03-15", Lang::En), "15 March 2026");
        assert_eq!(long_date("besok", Lang::Id), "besok");
        assert_eq!(
            css_string("SMP \"1\" </style>\\"),
            "\"SMP \\\"1\\\" \\3C /style\\3E \\\\\""
        );
    }
}
