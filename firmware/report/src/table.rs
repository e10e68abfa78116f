//! The report's parts as flat tables (one header row, one row per record), in Bahasa
//! Indonesia: what the CSV files and the XLSX sheets hold.

use ruji_core::score::Milli;

use crate::analysis::{Discrimination, Report, TYPES};
use crate::text::{self, Tr, T};
use crate::{Lang, Part};

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text.
    Text(String),
    /// A count.
    Int(u64),
    /// Points (milli-points).
    Points(Milli),
    /// A ratio (p, D).
    Ratio(f64),
    /// A duration, ms.
    Duration(u64),
    /// Nothing (a score to fill in by hand, a subtotal of a type the test lacks).
    Blank,
}

/// A column: its header and its width in characters (XLSX).
#[derive(Debug, Clone)]
pub struct Column {
    /// Header text.
    pub title: String,
    /// Width, characters.
    pub width: f64,
    /// A column to fill in by hand (highlighted in XLSX).
    pub to_fill: bool,
}

/// One part as a table.
#[derive(Debug, Clone)]
pub struct Table {
    /// Sheet name.
    pub name: &'static str,
    /// Columns.
    pub columns: Vec<Column>,
    /// Rows, each as long as `columns`.
    pub rows: Vec<Vec<Cell>>,
}

fn col(title: impl Into<String>, width: f64) -> Column {
    Column {
        title: title.into(),
        width,
        to_fill: false,
    }
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

const TR: Tr = Tr(Lang::Id);

/// The table of `part`.
pub fn part(r: &Report, part: Part) -> Table {
    match part {
        Part::Scores => scores(r),
        Part::Responses => responses(r),
        Part::Items => items(r),
        Part::Essays => essays(r),
    }
}

fn who_columns() -> Vec<Column> {
    vec![
        col(TR.t(T::Username), 14.0),
        col(TR.t(T::Name), 28.0),
        col(TR.t(T::Class), 8.0),
        col(TR.t(T::Session), 8.0),
        col(TR.t(T::Board), 11.0),
    ]
}

fn scores(r: &Report) -> Table {
    let mut columns = vec![col(TR.t(T::Test), 8.0), col(TR.t(T::TestName), 22.0)];
    columns.extend(who_columns());
    for t in TYPES {
        columns.push(col(TR.type_short(t), 7.0));
    }
    columns.extend([
        col(TR.t(T::Score), 8.0),
        col(TR.t(T::MaxScore), 9.0),
        col(TR.t(T::State), 20.0),
        col(TR.t(T::Reason), 24.0),
        col(TR.t(T::TimeUsed), 9.0),
    ]);
    let mut rows = vec![];
    for t in &r.tests {
        for row in &t.rows {
            let mut cells = vec![
                text(&t.id),
                text(&t.name),
                text(&row.username),
                text(&row.name),
                text(&row.class),
                text(&row.session),
                text(&row.board),
            ];
            cells.extend(
                row.by_type
                    .iter()
                    .map(|x| x.map_or(Cell::Blank, Cell::Points)),
            );
            cells.extend([
                row.total.map_or(Cell::Blank, Cell::Points),
                if t.scored() {
                    Cell::Points(t.max)
                } else {
                    Cell::Blank
                },
                text(TR.state(row.state)),
                text(row.reason.clone().unwrap_or_default()),
                Cell::Duration(row.time_used_ms),
            ]);
            rows.push(cells);
        }
    }
    Table {
        name: "Nilai",
        columns,
        rows,
    }
}

fn responses(r: &Report) -> Table {
    let mut columns = vec![col(TR.t(T::Test), 8.0)];
    columns.extend(who_columns());
    columns.extend([
        col(TR.t(T::No), 5.0),
        col(TR.t(T::Item), 12.0),
        col(TR.t(T::Type), 8.0),
        col(TR.t(T::Response), 40.0),
        col(TR.t(T::Doubtful), 9.0),
        col(TR.t(T::Score), 7.0),
        col(TR.t(T::Points), 6.0),
    ]);
    let mut rows = vec![];
    for t in &r.tests {
        for row in t.rows.iter().filter(|x| x.reached_items()) {
            for (n, (item, a)) in t.items.iter().zip(&row.answers).enumerate() {
                rows.push(vec![
                    text(&t.id),
                    text(&row.username),
                    text(&row.name),
                    text(&row.class),
                    text(&row.session),
                    text(&row.board),
                    Cell::Int(n as u64 + 1),
                    text(&item.id),
                    text(TR.type_short(item.item_type)),
                    text(TR.response(a.response.as_ref(), &item.options)),
                    text(if a.doubtful { TR.t(T::Yes) } else { "" }),
                    a.score.map_or(Cell::Blank, Cell::Points),
                    Cell::Points(u64::from(item.points) * 1000),
                ]);
            }
        }
    }
    Table {
        name: "Jawaban",
        columns,
        rows,
    }
}

fn items(r: &Report) -> Table {
    let columns = vec![
        col(TR.t(T::Test), 8.0),
        col(TR.t(T::No), 5.0),
        col(TR.t(T::Item), 12.0),
        col(TR.t(T::Type), 8.0),
        col(TR.t(T::Points), 6.0),
        col(TR.t(T::Analysed), 10.0),
        col(TR.t(T::Answered), 9.0),
        col(TR.t(T::NoAnswer), 9.0),
        col(TR.t(T::Difficulty), 11.0),
        col(format!("{} p", TR.t(T::Category)), 10.0),
        col(TR.t(T::Discrimination), 11.0),
        col(format!("{} D", TR.t(T::Category)), 20.0),
        col(TR.t(T::Frequencies), 36.0),
        col(TR.t(T::Remark), 22.0),
    ];
    let mut rows = vec![];
    for t in &r.tests {
        if t.kind == ruji_core::package::TestKind::Practice {
            continue;
        }
        for (n, (item, s)) in t.items.iter().zip(&t.stats).enumerate() {
            rows.push(vec![
                text(&t.id),
                Cell::Int(n as u64 + 1),
                text(&item.id),
                text(TR.type_short(item.item_type)),
                Cell::Points(u64::from(item.points) * 1000),
                Cell::Int(t.counted as u64),
                Cell::Int(s.answered as u64),
                Cell::Int(s.no_answer as u64),
                s.difficulty.map_or(Cell::Blank, Cell::Ratio),
                text(s.difficulty.map_or("", |p| TR.difficulty_category(p))),
                match s.discrimination {
                    Discrimination::Value(d) => Cell::Ratio(d),
                    d => text(TR.discrimination(d)),
                },
                text(TR.discrimination_category(s.discrimination)),
                text(TR.frequencies(&s.frequencies, s.no_answer)),
                text(if s.nobody_answered() {
                    TR.t(T::NobodyAnswered)
                } else {
                    ""
                }),
            ]);
        }
    }
    Table {
        name: "Analisis butir",
        columns,
        rows,
    }
}

fn essays(r: &Report) -> Table {
    let mut columns = vec![
        col(TR.t(T::Test), 8.0),
        col(TR.t(T::No), 5.0),
        col(TR.t(T::Item), 12.0),
        col(TR.t(T::Type), 8.0),
        col(TR.t(T::Points), 6.0),
    ];
    columns.extend(who_columns());
    columns.extend([
        col(TR.t(T::Response), 60.0),
        col(TR.t(T::AutoScore), 9.0),
        Column {
            to_fill: true,
            ..col(TR.t(T::HandScore), 8.0)
        },
    ]);
    let mut rows = vec![];
    for t in &r.tests {
        for n in t.hand_items() {
            let item = &t.items[n];
            for row in t.rows.iter().filter(|x| x.reached_items()) {
                let a = &row.answers[n];
                rows.push(vec![
                    text(&t.id),
                    Cell::Int(n as u64 + 1),
                    text(&item.id),
                    text(TR.type_short(item.item_type)),
                    Cell::Points(u64::from(item.points) * 1000),
                    text(&row.username),
                    text(&row.name),
                    text(&row.class),
                    text(&row.session),
                    text(&row.board),
                    text(TR.response(a.response.as_ref(), &item.options)),
                    a.score.map_or(Cell::Blank, Cell::Points),
                    Cell::Blank,
                ]);
            }
        }
    }
    Table {
        name: "Uraian",
        columns,
        rows,
    }
}

/// A table as CSV (header row, comma-separated, RFC 4180 quoting, decimal point).
pub fn to_csv(t: &Table) -> String {
    let mut w = csv::Writer::from_writer(vec![]);
    let header: Vec<&str> = t.columns.iter().map(|c| c.title.as_str()).collect();
    w.write_record(&header).expect("writing to memory");
    for row in &t.rows {
        let cells: Vec<String> = row
            .iter()
            .map(|c| match c {
                Cell::Text(s) => s.clone(),
                Cell::Int(n) => n.to_string(),
                Cell::Points(m) => text::points_plain(*m),
                Cell::Ratio(x) => format!("{:.3}", if x.abs() < 0.0005 { 0.0 } else { *x }),
                Cell::Duration(ms) => text::duration(*ms),
                Cell::Blank => String::new(),
            })
            .collect();
        w.write_record(&cells).expect("writing to memory");
    }
    String::from_utf8(w.into_inner().expect("writing to memory")).expect("UTF-8 in, UTF-8 out")
}

#[cfg(test)]
mod tests {
    use crate::analysis::tests::class_report;
    use crate::Part;

    #[test]
    fn each_part_is_one_csv_table() {
        let r = class_report();
        let scores = r.to_csv(Part::Scores);
        let lines: Vec<&str> = scores.lines().collect();
        assert_eq!(
            lines[0],
            "Tes,Nama tes,Username,Nama,Kelas,Sesi,Papan,PG,PGK,MJ,IS,UR,Skor,Skor maks.,Status,Alasan,Waktu"
        );
        assert_eq!(lines.len(), 31);
        assert_eq!(
            lines[2],
            "T,Matematika,P02,Siswa Nomor 2,IX-A,S1,".to_string()
                + &r.sources[0].board
                + ",0,2,2,0,,4,12,Diselesaikan proktor,listrik padam,0:30:00"
        );
        assert!(
            lines[4].contains(",,,,,,,12,Belum mulai,,0:30:00"),
            "{}",
            lines[4]
        );

        let items = r.to_csv(Part::Items);
        let mut rdr = csv::Reader::from_reader(items.as_bytes());
        let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 7);
        assert_eq!(&rows[0][8], "0.379");
        assert_eq!(&rows[5][8], "", "no p for the essay");
        assert_eq!(&rows[6][13], "tidak ada yang menjawab");

        let essays = r.to_csv(Part::Essays);
        let mut rdr = csv::Reader::from_reader(essays.as_bytes());
        let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 58);
        assert!(
            rows[29][10].contains("tidak habis.\nContohnya"),
            "quoted with its line break"
        );
        assert_eq!(&rows[29][12], "");

        let responses = r.to_csv(Part::Responses);
        assert_eq!(
            responses.lines().count(),
            1 + 29 * 7 + 1,
            "one essay spans two lines"
        );
    }
}
