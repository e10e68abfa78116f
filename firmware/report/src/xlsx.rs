//! The report as an XLSX workbook (rust_xlsxwriter): one sheet per part, then *Keterangan*.

use rust_xlsxwriter::{
    Color, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet,
    XlsxError,
};

use crate::analysis::Report;
use crate::table::{self, Cell, Table};
use crate::text::{Tr, T};
use crate::{Lang, Part};

/// Rows Excel holds in a sheet, the header included.
const MAX_ROWS: usize = 1_048_576;

/// The last sheet: the bundles, notes and how to read the analysis.
const INFO_SHEET: &str = "Keterangan";

struct Formats {
    header: Format,
    fill_header: Format,
    fill: Format,
    wrap: Format,
    ratio: Format,
    duration: Format,
    bold: Format,
}

impl Formats {
    fn new() -> Formats {
        let header = Format::new()
            .set_bold()
            .set_text_wrap()
            .set_align(FormatAlign::Top)
            .set_background_color(Color::RGB(0xE8E8E8))
            .set_border_bottom(FormatBorder::Thin);
        Formats {
            fill_header: header.clone().set_background_color(Color::RGB(0xFFF2A8)),
            header,
            fill: Format::new()
                .set_background_color(Color::RGB(0xFFFBE0))
                .set_border(FormatBorder::Thin)
                .set_border_color(Color::RGB(0xBBBBBB)),
            wrap: Format::new().set_text_wrap().set_align(FormatAlign::Top),
            ratio: Format::new().set_num_format("0.00"),
            duration: Format::new().set_num_format("[h]:mm:ss"),
            bold: Format::new().set_bold(),
        }
    }
}

pub fn write(r: &Report) -> Vec<u8> {
    build(r).expect("the report's sheets stay within Excel's limits")
}

fn build(r: &Report) -> Result<Vec<u8>, XlsxError> {
    let f = Formats::new();
    let mut wb = Workbook::new();
    let mut props = DocProperties::new()
        .set_title(format!(
            "{} - {}",
            Tr(Lang::Id).t(T::Title),
            r.package.title
        ))
        .set_company(&r.package.issuer);
    // The sessions' first day as the creation time: the same bundles give the same workbook.
    if let Some(day) = r
        .sources
        .iter()
        .map(|s| s.session.day.as_str())
        .min()
        .and_then(|d| ExcelDateTime::parse_from_str(d).ok())
    {
        props = props.set_creation_datetime(&day);
    }
    wb.set_properties(&props);
    for part in Part::ALL {
        let t = table::part(r, part);
        sheet(wb.add_worksheet(), &t, &f)?;
    }
    info(wb.add_worksheet(), r, &f)?;
    wb.save_to_buffer()
}

fn sheet(ws: &mut Worksheet, t: &Table, f: &Formats) -> Result<(), XlsxError> {
    ws.set_name(t.name)?;
    ws.set_paper_size(9); // A4
    ws.set_landscape();
    ws.set_repeat_rows(0, 0)?;
    ws.set_print_fit_to_pages(1, 0);
    for (c, column) in t.columns.iter().enumerate() {
        let c = c as u16;
        ws.set_column_width(c, column.width)?;
        let hf = if column.to_fill {
            &f.fill_header
        } else {
            &f.header
        };
        ws.write_string_with_format(0, c, &column.title, hf)?;
    }
    let wrap_from = 30.0;
    let shown = t.rows.len().min(MAX_ROWS - 2);
    for (i, row) in t.rows.iter().take(shown).enumerate() {
        let r = i as u32 + 1;
        for (c, (cell, column)) in row.iter().zip(&t.columns).enumerate() {
            let c = c as u16;
            match cell {
                Cell::Text(s) if s.is_empty() => {}
                Cell::Text(s) if column.width >= wrap_from => {
                    ws.write_string_with_format(r, c, s, &f.wrap)?;
                }
                Cell::Text(s) => {
                    ws.write_string(r, c, s)?;
                }
                Cell::Int(n) => {
                    ws.write_number(r, c, *n as f64)?;
                }
                Cell::Points(m) => {
                    ws.write_number(r, c, *m as f64 / 1000.0)?;
                }
                Cell::Ratio(x) => {
                    ws.write_number_with_format(r, c, *x, &f.ratio)?;
                }
                Cell::Duration(ms) => {
                    ws.write_number_with_format(r, c, *ms as f64 / 86_400_000.0, &f.duration)?;
                }
                Cell::Blank if column.to_fill => {
                    ws.write_blank(r, c, &f.fill)?;
                }
                Cell::Blank => {}
            }
        }
    }
    if shown < t.rows.len() {
        ws.write_string_with_format(
            shown as u32 + 1,
            0,
            format!(
                "{} baris lagi tidak muat di lembar Excel: buat CSV bagian ini (--format csv).",
                t.rows.len() - shown
            ),
            &f.bold,
        )?;
    }
    ws.set_freeze_panes(1, 0)?;
    if !t.columns.is_empty() {
        ws.autofilter(0, 0, shown as u32, t.columns.len() as u16 - 1)?;
    }
    Ok(())
}

fn info(ws: &mut Worksheet, r: &Report, f: &Formats) -> Result<(), XlsxError> {
    let tr = Tr(Lang::Id);
    ws.set_name(INFO_SHEET)?;
    ws.set_paper_size(9);
    for (c, w) in [22.0, 18.0, 12.0, 8.0, 12.0, 10.0, 16.0, 66.0]
        .into_iter()
        .enumerate()
    {
        ws.set_column_width(c as u16, w)?;
    }
    ws.write_string_with_format(0, 0, tr.t(T::Title), &f.bold)?;
    let mut row = 2;
    for (k, v) in [
        (T::Issuer, &r.package.issuer),
        (T::Package, &r.package.title),
        (T::PackageId, &r.package.id),
    ] {
        ws.write_string_with_format(row, 0, tr.t(k), &f.bold)?;
        ws.write_string(row, 1, v)?;
        row += 1;
    }
    row += 1;
    ws.write_string_with_format(row, 0, tr.t(T::Bundles), &f.bold)?;
    row += 1;
    let header = [
        T::Session,
        T::Name,
        T::Date,
        T::Start,
        T::Board,
        T::Participants,
        T::EventsUpTo,
        T::Sha256,
    ];
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(row, c as u16, tr.t(*h), &f.header)?;
    }
    row += 1;
    for s in &r.sources {
        ws.write_string(row, 0, &s.session.id)?;
        ws.write_string(row, 1, &s.session.name)?;
        ws.write_string(row, 2, &s.session.day)?;
        ws.write_string(row, 3, &s.session.start)?;
        ws.write_string(row, 4, &s.board)?;
        ws.write_number(row, 5, s.participants as f64)?;
        ws.write_number(row, 6, s.as_of_seq as f64)?;
        ws.write_string(row, 7, &s.sha256)?;
        row += 1;
    }
    row += 1;
    ws.write_string_with_format(row, 0, tr.t(T::Test), &f.header)?;
    ws.write_string_with_format(row, 1, tr.t(T::TestName), &f.header)?;
    ws.write_string_with_format(row, 2, tr.t(T::MaxScore), &f.header)?;
    ws.write_string_with_format(row, 3, tr.t(T::Duration), &f.header)?;
    row += 1;
    for t in &r.tests {
        ws.write_string(row, 0, &t.id)?;
        ws.write_string(row, 1, &t.name)?;
        if t.scored() {
            ws.write_number(row, 2, t.max as f64 / 1000.0)?;
        }
        ws.write_string(
            row,
            3,
            format!("{} {}", t.duration_minutes, tr.t(T::Minutes)),
        )?;
        row += 1;
    }
    if !r.notes.is_empty() {
        row += 1;
        ws.write_string_with_format(row, 0, tr.t(T::Notes), &f.bold)?;
        row += 1;
        for n in &r.notes {
            ws.write_string(row, 0, tr.note(n))?;
            row += 1;
        }
    }
    row += 1;
    ws.write_string_with_format(row, 0, tr.t(T::HowToRead), &f.bold)?;
    row += 1;
    let types = crate::TYPES
        .iter()
        .map(|t| format!("{} = {}", tr.type_short(*t), tr.type_name(*t)))
        .collect::<Vec<_>>()
        .join("; ");
    for line in [
        types.as_str(),
        tr.t(T::ReadP),
        tr.t(T::ReadD),
        tr.t(T::ReadEssay),
    ] {
        ws.write_string(row, 0, line)?;
        row += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use calamine::{Data, DataType, Reader, Xlsx};
    use ruji_package::safezip;

    use crate::analysis::tests::class_report;

    fn cell(sheet: &calamine::Range<Data>, row: u32, col: u32) -> Data {
        sheet.get_value((row, col)).cloned().unwrap_or(Data::Empty)
    }

    #[test]
    fn the_workbook_opens_with_its_sheets_headers_and_numbers() {
        let report = class_report();
        let bytes = report.to_xlsx();
        let mut book: Xlsx<_> =
            calamine::open_workbook_from_rs(Cursor::new(bytes.clone())).unwrap();
        assert_eq!(
            book.sheet_names(),
            ["Nilai", "Jawaban", "Analisis butir", "Uraian", "Keterangan"]
        );

        let nilai = book.worksheet_range("Nilai").unwrap();
        let header: Vec<String> = (0..17).map(|c| cell(&nilai, 0, c).to_string()).collect();
        assert_eq!(
            header,
            [
                "Tes",
                "Nama tes",
                "Username",
                "Nama",
                "Kelas",
                "Sesi",
                "Papan",
                "PG",
                "PGK",
                "MJ",
                "IS",
                "UR",
                "Skor",
                "Skor maks.",
                "Status",
                "Alasan",
                "Waktu"
            ]
        );
        assert_eq!(nilai.height(), 31, "a header and one row per participant");
        // P01: 9 of 12 points as numbers; PG 2 (Q1, Q7), PGK 4, MJ 2, IS 1, UR blank.
        assert_eq!(cell(&nilai, 1, 2).get_string(), Some("P01"));
        let num = |r, c| cell(&nilai, r, c).get_float();
        assert_eq!(
            (
                num(1, 7),
                num(1, 8),
                num(1, 9),
                num(1, 10),
                num(1, 12),
                num(1, 13)
            ),
            (
                Some(2.0),
                Some(4.0),
                Some(2.0),
                Some(1.0),
                Some(9.0),
                Some(12.0)
            )
        );
        assert_eq!(cell(&nilai, 1, 11), Data::Empty);
        // P02 force-finished with the proctor's reason; P03 timed out; P04 never came (no
        // score, not a zero).
        assert_eq!(
            cell(&nilai, 2, 14).get_string(),
            Some("Diselesaikan proktor")
        );
        assert_eq!(cell(&nilai, 2, 15).get_string(), Some("listrik padam"));
        assert_eq!(cell(&nilai, 3, 14).get_string(), Some("Waktu habis"));
        assert_eq!(cell(&nilai, 4, 14).get_string(), Some("Belum mulai"));
        assert_eq!(cell(&nilai, 4, 12), Data::Empty);
        // Time used: 30 minutes as a duration (a fraction of a day).
        match cell(&nilai, 1, 16) {
            Data::DateTime(d) => {
                assert!(d.is_duration(), "{d:?}");
                assert!((d.as_f64() - 1.0 / 48.0).abs() < 1e-9);
            }
            other => panic!("time used is {other:?}"),
        }

        let jawaban = book.worksheet_range("Jawaban").unwrap();
        assert_eq!(cell(&jawaban, 0, 9).get_string(), Some("Jawaban"));
        assert_eq!(
            jawaban.height(),
            1 + 29 * 7,
            "every started participant × item"
        );
        assert_eq!(cell(&jawaban, 3, 9).get_string(), Some("P1=B, P2=B, P3=-"));
        assert_eq!(cell(&jawaban, 4, 9).get_string(), Some("1→a, 2→b"));

        let analisis = book.worksheet_range("Analisis butir").unwrap();
        assert_eq!(
            cell(&analisis, 0, 8).get_string(),
            Some("Tingkat kesukaran (p)")
        );
        assert_eq!(analisis.height(), 8);
        // Q1: 11 of 29 chose the key (P01, P03, P06 ... P30).
        assert_eq!(cell(&analisis, 1, 5).get_float(), Some(29.0));
        let p = cell(&analisis, 1, 8).get_float().unwrap();
        assert!((p - 11.0 / 29.0).abs() < 1e-9, "{p}");
        assert!(cell(&analisis, 1, 10).get_float().unwrap() > 0.9);
        assert_eq!(
            cell(&analisis, 1, 12).get_string(),
            Some("A: 0 · B: 11 · C: 18 · D: 0 · kosong: 0")
        );
        assert_eq!(
            cell(&analisis, 7, 13).get_string(),
            Some("tidak ada yang menjawab")
        );

        let uraian = book.worksheet_range("Uraian").unwrap();
        assert_eq!(cell(&uraian, 0, 12).get_string(), Some("Skor"));
        assert_eq!(
            uraian.height(),
            1 + 2 * 29,
            "short answers and essays, per item"
        );
        let essay_row = 1 + 29; // Q6, P01
        assert_eq!(cell(&uraian, essay_row, 2).get_string(), Some("Q6"));
        assert!(cell(&uraian, essay_row, 10)
            .get_string()
            .unwrap()
            .starts_with("Energi terbarukan <b>penting</b>"));
        assert_eq!(
            cell(&uraian, essay_row, 12),
            Data::Empty,
            "left to the teacher"
        );

        let info = book.worksheet_range("Keterangan").unwrap();
        assert_eq!(cell(&info, 2, 1).get_string(), Some("SMP Negeri 1 Contoh"));

        // Every sheet's header row is frozen and its columns have widths.
        let files = safezip::read(&bytes, &safezip::Limits::default())
            .unwrap()
            .files;
        for n in 1..=5 {
            let xml =
                String::from_utf8(files[&format!("xl/worksheets/sheet{n}.xml")].clone()).unwrap();
            assert!(xml.contains("<cols>"), "sheet {n} column widths");
            if n < 5 {
                assert!(
                    xml.contains(r#"ySplit="1""#) && xml.contains(r#"state="frozen""#),
                    "sheet {n} frozen header"
                );
            }
        }
        // The same report gives the same bytes (no time of export inside).
        assert!(report.to_xlsx() == bytes);
    }
}
