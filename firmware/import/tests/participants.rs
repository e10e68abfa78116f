//! Participant lists from CSV and XLSX files as schools export them, and the login card list.

// In a module so that `cargo test participants` selects these tests too.
mod participants {
    use std::io::Write;

    use proptest::prelude::*;
    use ruji_core::package::{Participant, Sex};
    use ruji_import::participants::{
        parse_csv, parse_xlsx, write_cards_csv, PASSWORD_ALPHABET, PASSWORD_LEN,
    };
    use ruji_import::sanitize::Ctx;
    use ruji_import::Issue;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/tests/fixtures/participants/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// Reads the CSV fixture `name`: (participants, errors).
    fn csv(name: &str) -> (Vec<Participant>, Vec<Issue>) {
        let (got, errors, _) = csv_all(name);
        (got, errors)
    }

    /// Reads the CSV fixture `name`: (participants, errors, warnings).
    fn csv_all(name: &str) -> (Vec<Participant>, Vec<Issue>, Vec<Issue>) {
        let ctx = Ctx::standalone();
        let got = parse_csv(&ctx, name, &fixture(name));
        let (_, errors, warnings) = ctx.finish_with_warnings();
        (got, errors, warnings)
    }

    fn xlsx(bytes: &[u8]) -> (Vec<Participant>, Vec<Issue>) {
        let ctx = Ctx::standalone();
        let got = parse_xlsx(&ctx, "peserta.xlsx", bytes);
        let (_, issues) = ctx.finish();
        (got, issues)
    }

    /// The issue at `place`, which must be the only one there, with `needle` in its message.
    fn issue_at<'a>(issues: &'a [Issue], place: &str, needle: &str) -> &'a Issue {
        let here: Vec<_> = issues
            .iter()
            .filter(|i| i.place == place && i.message.contains(needle))
            .collect();
        assert_eq!(here.len(), 1, "{place} {needle:?} in {issues:#?}");
        here[0]
    }

    /// The participants must pass `Package::validate` as the package's participant list.
    fn assert_valid(participants: &[Participant]) {
        let mut p = ruji_core::demo::package();
        p.participants = participants.to_vec();
        p.sessions[0].participants = participants.iter().map(|p| p.username.clone()).collect();
        if let Err(errs) = p.validate() {
            panic!("{errs:?}");
        }
    }

    fn generated_password(p: &str) -> bool {
        p.len() == PASSWORD_LEN && p.bytes().all(|b| PASSWORD_ALPHABET.contains(&b))
    }

    #[test]
    fn semicolon_csv_with_bom_title_rows_ttl_and_reserves() {
        let (got, issues) = csv("semicolon_bom.csv");
        assert!(issues.is_empty(), "{issues:#?}");
        let names: Vec<_> = got.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "ADI NUGROHO",
                "Siti Nurhaliza",
                "Budi Santoso",
                "Dewi Lestari",
                "Eko Prasetyo"
            ]
        );
        let dates: Vec<_> = got.iter().map(|p| p.birth_date.as_deref()).collect();
        assert_eq!(
            dates,
            [
                Some("2011-05-12"),
                Some("2011-01-03"),
                Some("2011-02-28"),
                Some("2011-08-12"),
                Some("2010-12-31")
            ]
        );
        let sexes: Vec<_> = got.iter().map(|p| p.sex).collect();
        use Sex::*;
        assert_eq!(
            sexes,
            [
                Some(Male),
                Some(Female),
                Some(Male),
                Some(Female),
                Some(Male)
            ]
        );
        let reserves: Vec<_> = got.iter().map(|p| p.reserve).collect();
        assert_eq!(reserves, [false, false, false, true, true]);
        assert_eq!(got[0].class, "IX-A");
        assert_eq!(got[4].class, "IX-B");
        // Usernames: the NISN (leading zeros kept), else P001, P002.
        let users: Vec<_> = got.iter().map(|p| p.username.as_str()).collect();
        assert_eq!(
            users,
            ["0081234567", "0081234568", "0091234569", "P001", "P002"]
        );
        assert!(got.iter().all(|p| generated_password(&p.password)));
        assert_valid(&got);
    }

    #[test]
    fn cp1252_csv_with_english_headers() {
        let (got, issues) = csv("cp1252.csv");
        assert!(issues.is_empty(), "{issues:#?}");
        let names: Vec<_> = got.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["José Peña", "Núñez, Ana María", "François Ñañez"]);
        assert_eq!(got[0].username, "U-001");
        assert_eq!(got[0].password, "rahasia1");
        assert_eq!(got[1].birth_date.as_deref(), Some("2011-05-12"));
        assert_eq!(got[2].birth_date.as_deref(), Some("2011-03-05"));
        assert_eq!(got[1].sex, Some(Sex::Female));
        assert!(generated_password(&got[2].password), "{}", got[2].password);
        assert_eq!(
            got.iter().map(|p| p.reserve).collect::<Vec<_>>(),
            [false, false, true]
        );
        assert_valid(&got);
    }

    #[test]
    fn every_problem_is_reported_at_its_row() {
        let (got, issues, warnings) = csv_all("problems.tsv");
        let f = "problems.tsv";
        issue_at(&issues, &format!("{f}:2"), "30-02-2011");
        issue_at(&issues, &format!("{f}:3"), "NISN \"12345\"");
        issue_at(&issues, &format!("{f}:3"), "sex \"X\"");
        issue_at(&issues, &format!("{f}:4"), "no name");
        issue_at(&issues, &format!("{f}:5"), "also on row 2");
        issue_at(&issues, &format!("{f}:6"), "\"mungkin\"");
        issue_at(
            &issues,
            &format!("{f}:7"),
            "username P001 is also used on row 6",
        );
        issue_at(&issues, &format!("{f}:8"), "\"bad name!\"");
        issue_at(&issues, &format!("{f}:9"), "\"kemarin\"");
        assert_eq!(issues.len(), 9, "{issues:#?}");
        // Row 10's 8-digit NISN is padded back to 10 digits: kept, so a warning, not an error.
        let padded = issue_at(&warnings, f, "rows 10");
        assert!(padded.message.contains("padded to 10 digits"), "{padded:?}");
        assert_eq!(warnings.len(), 1, "{warnings:#?}");

        let summary: Vec<_> = got
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.username.as_str(),
                    p.birth_date.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("Gilang Ramadhan", "0071234567", None),
                ("Hana Pertiwi", "P002", Some("2011-04-01")),
                ("Joko Susilo", "P001", Some("2011-04-04")),
                ("Maya Sari", "P003", None),
                ("Nina Andriani", "0071234571", Some("2011-04-08")),
            ]
        );
        assert_eq!(got[1].sex, None);
        assert_eq!(got[2].password, "abc");
        assert!(!got[2].reserve);
        assert_valid(&got);
    }

    #[test]
    fn a_list_without_a_name_column_is_one_clear_issue() {
        let (got, issues) = csv("no_header.csv");
        assert!(got.is_empty());
        assert_eq!(issues.len(), 1, "{issues:#?}");
        assert_eq!(issues[0].place, "no_header.csv");
        assert!(issues[0].message.contains("Nama"), "{}", issues[0]);

        let ctx = Ctx::standalone();
        assert!(parse_csv(&ctx, "kosong.csv", b"No;Nama;Kelas\n;;\n").is_empty());
        let (_, issues) = ctx.finish();
        assert_eq!(issues.len(), 1, "{issues:#?}");
        assert!(issues[0].message.contains("no participants"), "{issues:?}");
    }

    #[test]
    fn generated_usernames_and_passwords_are_unique_and_valid() {
        let mut text = String::from("Nama,Username\nSudah Ada,P003\n");
        for i in 0..300 {
            text.push_str(&format!("Peserta {i},\n"));
        }
        let ctx = Ctx::standalone();
        let got = parse_csv(&ctx, "banyak.csv", text.as_bytes());
        assert_eq!(ctx.issue_count(), 0);
        assert_eq!(got.len(), 301);
        assert_eq!(got[0].username, "P003");
        assert_eq!(got[1].username, "P001");
        assert_eq!(got[3].username, "P004", "P003 is taken");
        let users: std::collections::BTreeSet<_> = got.iter().map(|p| &p.username).collect();
        assert_eq!(users.len(), 301);
        let passwords: std::collections::BTreeSet<_> = got.iter().map(|p| &p.password).collect();
        assert!(
            passwords.len() > 295,
            "random passwords should rarely repeat"
        );
        assert!(got[1..].iter().all(|p| generated_password(&p.password)));
        assert_valid(&got);
    }

    #[test]
    fn card_list_is_indonesian_keeps_zeros_and_reads_back() {
        let (got, _) = csv("semicolon_bom.csv");
        let cards = write_cards_csv(&got);
        let mut lines = cards.lines();
        assert_eq!(
            lines.next(),
            Some("\u{FEFF}No;Nama;Kelas;Username;Password;Status")
        );
        let first = lines.next().unwrap();
        assert!(
            first.starts_with("1;ADI NUGROHO;IX-A;\"=\"\"0081234567\"\"\";"),
            "{first}"
        );
        assert!(cards.contains(";Cadangan"), "{cards}");

        let ctx = Ctx::standalone();
        let back = parse_csv(&ctx, "kartu.csv", cards.as_bytes());
        let (_, issues) = ctx.finish();
        assert!(issues.is_empty(), "{issues:#?}");
        let strip = |p: &Participant| Participant {
            birth_date: None,
            sex: None,
            ..p.clone()
        };
        assert_eq!(back, got.iter().map(strip).collect::<Vec<_>>());
    }

    // ---------------------------------------------------------------------------------------------
    // XLSX, written here with the zip crate.

    enum X {
        S(&'static str),
        N(f64),
        /// A date serial with a date style.
        D(f64),
    }

    const MAIN_NS: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    const REL_NS: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
    const DOC_REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

    /// A worksheet: (row number, cells from column A) for each row that has cells.
    type Sheet = Vec<(u32, Vec<X>)>;

    /// A workbook with the given (name, sheet)s.
    fn workbook(sheets: &[(&str, Sheet)]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let mut put = |name: &str, text: String| {
            zip.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(text.as_bytes()).unwrap();
        };
        let overrides: String = (1..=sheets.len())
        .map(|i| {
            format!(
                r#"<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#
            )
        })
        .collect();
        put(
            "[Content_Types].xml",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>
{overrides}</Types>"#
            ),
        );
        put(
            "_rels/.rels",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="{REL_NS}"><Relationship Id="rId1" Type="{DOC_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
            ),
        );
        let sheet_list: String = sheets
            .iter()
            .enumerate()
            .map(|(i, (name, _))| {
                format!(
                    r#"<sheet name="{name}" sheetId="{n}" r:id="rId{n}"/>"#,
                    n = i + 1
                )
            })
            .collect();
        put(
            "xl/workbook.xml",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="{MAIN_NS}" xmlns:r="{DOC_REL}"><sheets>{sheet_list}</sheets></workbook>"#
            ),
        );
        let rels: String = (1..=sheets.len())
        .map(|n| {
            format!(
                r#"<Relationship Id="rId{n}" Type="{DOC_REL}/worksheet" Target="worksheets/sheet{n}.xml"/>"#
            )
        })
        .collect();
        put(
            "xl/_rels/workbook.xml.rels",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="{REL_NS}">{rels}<Relationship Id="rIdStyles" Type="{DOC_REL}/styles" Target="styles.xml"/></Relationships>"#
            ),
        );
        // Style 1: a custom dd/mm/yyyy format, as an Indonesian Excel writes dates.
        put(
            "xl/styles.xml",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="{MAIN_NS}"><numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/></numFmts>
<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="1"><fill><patternFill patternType="none"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>
</styleSheet>"#
            ),
        );
        for (i, (_, rows)) in sheets.iter().enumerate() {
            let mut data = String::new();
            for (r, cells) in rows {
                data.push_str(&format!(r#"<row r="{r}">"#));
                for (c, x) in cells.iter().enumerate() {
                    let at = format!("{}{r}", char::from(b'A' + c as u8));
                    data.push_str(&match x {
                        X::S("") => continue,
                        X::S(s) => format!(r#"<c r="{at}" t="inlineStr"><is><t>{s}</t></is></c>"#),
                        X::N(n) => format!(r#"<c r="{at}"><v>{n}</v></c>"#),
                        X::D(n) => format!(r#"<c r="{at}" s="1"><v>{n}</v></c>"#),
                    });
                }
                data.push_str("</row>");
            }
            put(
                &format!("xl/worksheets/sheet{}.xml", i + 1),
                format!(
                    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="{MAIN_NS}"><sheetData>{data}</sheetData></worksheet>"#
                ),
            );
        }
        zip.finish().unwrap().into_inner()
    }

    fn dapodik_sheet() -> Sheet {
        use X::*;
        vec![
            (1, vec![S("DAFTAR PESERTA DIDIK")]),
            (2, vec![S("SMP NEGERI 1 CONTOH")]),
            (
                4,
                vec![
                    S("No"),
                    S("Nama"),
                    S("NISN"),
                    S("JK"),
                    S("Tanggal Lahir"),
                    S("Rombel Saat Ini"),
                    S("Cadangan"),
                ],
            ),
            // NISN 0081234567 stored as a number: the leading zeros are gone.
            (
                5,
                vec![
                    N(1.0),
                    S("Adi Nugroho"),
                    N(81234567.0),
                    S("L"),
                    D(40675.0),
                    S("IX-A"),
                    S(""),
                ],
            ),
            // A date serial without a date style, and a text date.
            (
                6,
                vec![
                    N(2.0),
                    S("Siti Nurhaliza"),
                    S("0081234568"),
                    S("P"),
                    N(40576.0),
                    S("IX-A"),
                    N(0.0),
                ],
            ),
            (
                7,
                vec![
                    N(3.0),
                    S("Dewi Lestari"),
                    N(91234569.0),
                    S("P"),
                    S("12 Mei 2011"),
                    N(9.0),
                    S("Ya"),
                ],
            ),
            // A NISN number too long, and a serial far outside any birth date.
            (
                9,
                vec![
                    N(4.0),
                    S("Eko Prasetyo"),
                    N(123456789012.0),
                    S("L"),
                    N(5.0),
                    S("IX-B"),
                ],
            ),
        ]
    }

    #[test]
    fn xlsx_with_title_rows_number_nisn_and_date_cells() {
        let (got, issues) = xlsx(&workbook(&[("Peserta", dapodik_sheet())]));
        issue_at(&issues, "peserta.xlsx:9", "NISN \"123456789012\"");
        issue_at(&issues, "peserta.xlsx:9", "birth date \"5\"");
        assert_eq!(issues.len(), 2, "{issues:#?}");
        let summary: Vec<_> = got
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.username.as_str(),
                    p.birth_date.as_deref(),
                    p.class.as_str(),
                    p.reserve,
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "Adi Nugroho",
                    "0081234567",
                    Some("2011-05-12"),
                    "IX-A",
                    false
                ),
                (
                    "Siti Nurhaliza",
                    "0081234568",
                    Some("2011-02-02"),
                    "IX-A",
                    false
                ),
                ("Dewi Lestari", "0091234569", Some("2011-05-12"), "9", true),
                ("Eko Prasetyo", "P001", None, "IX-B", false),
            ]
        );
        assert_valid(&got);
    }

    #[test]
    fn xlsx_reads_the_first_sheet_with_a_header() {
        use X::*;
        let help = vec![
            (1, vec![S("Petunjuk pengisian")]),
            (2, vec![S("Isi lembar Peserta")]),
        ];
        let (got, issues) = xlsx(&workbook(&[
            ("Petunjuk", help),
            ("Peserta", dapodik_sheet()),
            ("Lain", vec![(1, vec![S("Nama"), S("Kelas")])]),
        ]));
        assert_eq!(got.len(), 4);
        assert_eq!(issues.len(), 2, "{issues:#?}");

        let (got, issues) = xlsx(&workbook(&[(
            "Petunjuk",
            vec![(1, vec![S("Siswa"), S("Kelas")])],
        )]));
        assert!(got.is_empty());
        assert_eq!(issues.len(), 1, "{issues:#?}");
        assert!(issues[0].message.contains("Nama"), "{}", issues[0]);
    }

    #[test]
    fn unreadable_xlsx_is_one_issue() {
        for bytes in [
            &b"not a workbook"[..],
            &fixture("semicolon_bom.csv")[..],
            &b"PK\x03\x04garbage"[..],
        ] {
            let (got, issues) = xlsx(bytes);
            assert!(got.is_empty());
            assert_eq!(issues.len(), 1, "{issues:#?}");
            assert!(issues[0].message.contains("xlsx"), "{}", issues[0]);
        }
        // A valid zip that is not a workbook.
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        zip.start_file("a.txt", zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(b"hello").unwrap();
        let (got, issues) = xlsx(&zip.finish().unwrap().into_inner());
        assert!(got.is_empty());
        assert_eq!(issues.len(), 1, "{issues:#?}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn parse_csv_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let ctx = Ctx::standalone();
            let got = parse_csv(&ctx, "acak.csv", &bytes);
            for p in &got {
                prop_assert!(!p.name.is_empty() && !p.username.is_empty() && !p.password.is_empty());
            }
        }

        #[test]
        fn parse_csv_never_panics_on_list_like_text(
            rows in proptest::collection::vec(
                proptest::collection::vec("[A-Za-z0-9 ,;\"/\\-'=\t]{0,12}", 0..7), 0..12),
            delimiter in prop::sample::select(vec![",", ";", "\t"]),
        ) {
            let mut text = String::from("No;NISN;Nama;TTL;JK;Username;Password;Cadangan\n")
                .replace(';', delimiter);
            for r in rows {
                text.push_str(&r.join(delimiter));
                text.push('\n');
            }
            let ctx = Ctx::standalone();
            let got = parse_csv(&ctx, "acak.csv", text.as_bytes());
            assert_valid(&got);
        }

        #[test]
        fn parse_xlsx_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let ctx = Ctx::standalone();
            parse_xlsx(&ctx, "acak.xlsx", &bytes);
            prop_assert_eq!(ctx.issue_count(), 1);
        }
    }
}
