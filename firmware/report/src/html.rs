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
    use super::*;

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
