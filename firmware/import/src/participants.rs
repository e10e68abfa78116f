//! Participant lists from CSV and XLSX, as Indonesian schools export them (Dapodik, e-Rapor, ANBK
//! participant lists), and the login card list written back for printing.
//!
//! Both readers turn the file into rows of cells and hand them to one row mapper:
//!
//! - The header row is the first of the first [`HEADER_SEARCH_ROWS`] rows with a name column
//!   (title lines above it, like "DAFTAR PESERTA DIDIK", are skipped). Header names are matched
//!   ignoring case, spaces and punctuation, in Indonesian or English; columns not
//!   recognised (a leading "No", NIS, NIK, address...) are ignored.
//! - Dates become `YYYY-MM-DD` from `YYYY-MM-DD`, `DD-MM-YYYY`, `DD/MM/YYYY`, `D/M/YYYY`,
//!   "12 Mei 2011", a TTL cell ("Jakarta, 12-05-2011") or a spreadsheet date.
//! - A missing username becomes the NISN, else `P001`, `P002`...; a missing password becomes
//!   [`PASSWORD_LEN`] random characters of [`PASSWORD_ALPHABET`].
//! - Every problem is an issue at `<file>:<row>`, the row number a spreadsheet shows; a row
//!   without a name, with an unusable username or listing a student a second time is left out, a
//!   bad date, NISN or sex only leaves that field empty (all errors). A NISN of 7 to 9 digits is
//!   given back the leading zeros a spreadsheet dropped, with a warning ([`Ctx::warn`]).

use std::collections::{BTreeMap, HashMap};
use std::io::Cursor;

use calamine::{DataRef, Reader, Xlsx};
use rand::Rng;
use ruji_core::package::{parse_date, Participant, Sex};

use crate::sanitize::Ctx;

/// How many rows from the top are searched for the header row.
pub const HEADER_SEARCH_ROWS: usize = 30;

pub use ruji_core::package::{PASSWORD_ALPHABET, PASSWORD_LEN};

/// Largest workbook accepted, counted uncompressed (a school's list is well under 1 MB).
const MAX_XLSX_UNPACKED: u128 = 64 << 20;
/// Columns read from a worksheet (a Dapodik export has about 65).
const MAX_COLUMNS: u32 = 256;
/// Rows read from a worksheet or CSV file.
const MAX_ROWS: usize = 20_000;

/// One cell as read from a CSV or XLSX file.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Empty,
    Text(String),
    Number(f64),
    /// A cell a spreadsheet stores as a date: (year, month, day).
    Date(u16, u8, u8),
    Bool(bool),
    /// A formula error such as `#N/A`.
    Error(String),
}

impl Cell {
    fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }

    /// The cell as a spreadsheet would show it, trimmed.
    fn text(&self) -> String {
        match self {
            Cell::Empty | Cell::Error(_) => String::new(),
            Cell::Text(s) => s.trim().to_string(),
            Cell::Number(n) => number_text(*n),
            Cell::Date(y, m, d) => format!("{y:04}-{m:02}-{d:02}"),
            Cell::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        }
    }
}

/// A number without a useless `.0`.
fn number_text(n: f64) -> String {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// A column the importer understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Col {
    Nisn,
    Name,
    BirthDate,
    /// Tempat, tanggal lahir: "Jakarta, 12-05-2011".
    PlaceAndDate,
    Class,
    Sex,
    Username,
    Password,
    Reserve,
}

impl Col {
    /// The column's name in messages.
    fn label(self) -> &'static str {
        match self {
            Col::Nisn => "NISN",
            Col::Name => "Nama",
            Col::BirthDate => "Tanggal Lahir",
            Col::PlaceAndDate => "TTL",
            Col::Class => "Kelas",
            Col::Sex => "JK",
            Col::Username => "Username",
            Col::Password => "Password",
            Col::Reserve => "Cadangan",
        }
    }
}

/// Lowercase letters and digits only: `"Tgl. Lahir"` -> `"tgllahir"`, `"L/P"` -> `"lp"`.
fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The column a header cell names, if the importer knows it.
fn column(header: &str) -> Option<Col> {
    Some(match norm(header).as_str() {
        "nisn" => Col::Nisn,
        "nama" | "namapeserta" | "namalengkap" | "namasiswa" | "namapesertadidik" | "name"
        | "fullname" => Col::Name,
        "tanggallahir" | "tgllahir" | "tgllhr" | "tanggallhr" | "birthdate" | "dateofbirth"
        | "dob" => Col::BirthDate,
        "ttl" | "tempattanggallahir" | "tempattgllahir" | "placeanddateofbirth" => {
            Col::PlaceAndDate
        }
        "kelas" | "rombel" | "rombonganbelajar" | "rombelsaatini" | "class" => Col::Class,
        "jk" | "lp" | "jeniskelamin" | "kelamin" | "sex" | "gender" => Col::Sex,
        "username" | "nomorpeserta" | "nopeserta" | "nopes" => Col::Username,
        "password" | "katasandi" | "sandi" => Col::Password,
        "cadangan" | "pesertacadangan" | "reserve" | "status" => Col::Reserve,
        _ => return None,
    })
}

/// Where each known column is (the first one wins when a name repeats).
type Header = BTreeMap<Col, usize>;

fn header_of(cells: &[Cell]) -> Header {
    let mut h = Header::new();
    for (i, c) in cells.iter().enumerate() {
        if let Cell::Text(s) = c {
            if let Some(col) = column(s) {
                h.entry(col).or_insert(i);
            }
        }
    }
    h
}

/// The index (in `rows`) of the header row and its columns: the first row among the first
/// [`HEADER_SEARCH_ROWS`] that has a name column.
fn find_header(rows: &[(usize, Vec<Cell>)]) -> Option<(usize, Header)> {
    rows.iter()
        .take(HEADER_SEARCH_ROWS)
        .enumerate()
        .map(|(i, (_, cells))| (i, header_of(cells)))
        .find(|(_, h)| h.contains_key(&Col::Name))
}

/// A participant read from one row, before usernames and passwords are settled.
struct Draft {
    row: usize,
    nisn: Option<String>,
    username: Option<String>,
    password: Option<String>,
    participant: Participant,
}

/// Turns rows (spreadsheet row number, cells) into participants, reporting at `<file>:<row>`.
fn map_rows(ctx: &Ctx, file: &str, rows: &[(usize, Vec<Cell>)]) -> Vec<Participant> {
    let Some((at, header)) = find_header(rows) else {
        ctx.issue(
            file,
            format!(
                "no header row with a name column found in the first {HEADER_SEARCH_ROWS} rows: \
                 the list needs a row naming its columns, with at least one called Nama (or Nama \
                 Peserta, Nama Lengkap, Name); other columns the importer reads: NISN, Tanggal \
                 Lahir or TTL, Kelas, JK, Username, Password, Cadangan"
            ),
        );
        return Vec::new();
    };
    let mut drafts = Vec::new();
    let mut padded = Vec::new();
    for (row, cells) in &rows[at + 1..] {
        if cells.iter().all(Cell::is_blank) {
            continue;
        }
        let place = format!("{file}:{row}");
        let get = |col: Col| -> &Cell {
            match header.get(&col).and_then(|&i| cells.get(i)) {
                Some(Cell::Error(e)) => {
                    ctx.issue(
                        &place,
                        format!(
                            "column {}: the spreadsheet shows the error {e}; fix the formula or \
                             paste the values; taken as empty",
                            col.label()
                        ),
                    );
                    &Cell::Empty
                }
                Some(c) => c,
                None => &Cell::Empty,
            }
        };
        if let Some(d) = draft(ctx, &place, *row, &get, &mut padded) {
            drafts.push(d);
        }
    }
    if !padded.is_empty() {
        let list: Vec<String> = padded.iter().map(usize::to_string).collect();
        ctx.warn(
            file,
            format!(
                "NISN with 7 to 9 digits on rows {}: taken as having lost their leading zeros (a \
                 spreadsheet does that to numbers) and padded to 10 digits with zeros; check \
                 them, and format the NISN column as Text before saving",
                list.join(", ")
            ),
        );
    }
    let out = settle(ctx, file, drafts);
    if out.is_empty() {
        ctx.issue(
            file,
            "the list has a header row but no participants under it",
        );
    }
    out
}

/// Reads one row; `None` when the row is left out.
fn draft<'c>(
    ctx: &Ctx,
    place: &str,
    row: usize,
    get: &dyn Fn(Col) -> &'c Cell,
    padded: &mut Vec<usize>,
) -> Option<Draft> {
    let name = clean(&get(Col::Name).text());
    if name.is_empty() {
        ctx.issue(
            place,
            "no name in column Nama: this row is left out; write the participant's name or delete the row",
        );
        return None;
    }
    let nisn = match nisn(get(Col::Nisn)) {
        Ok(Some((n, was_padded))) => {
            if was_padded {
                padded.push(row);
            }
            Some(n)
        }
        Ok(None) => None,
        Err(e) => {
            ctx.issue(place, e);
            None
        }
    };
    let username = clean(&get(Col::Username).text());
    let username = if username.is_empty() {
        None
    } else if valid_username(&username) {
        Some(username)
    } else {
        ctx.issue(
            place,
            format!(
                "username {username:?} may hold only letters, digits, '-', '_' and '.' (at most \
                 64): this row is left out; correct the username or empty the cell to have one \
                 made"
            ),
        );
        return None;
    };
    let password = get(Col::Password).text();
    let password = Some(password.trim().to_string()).filter(|p| !p.is_empty());
    let birth_date = match (get(Col::BirthDate), get(Col::PlaceAndDate)) {
        (c, ttl) if c.is_blank() && !ttl.is_blank() => birth_date(ttl, true),
        (c, _) => birth_date(c, false),
    };
    let birth_date = birth_date.unwrap_or_else(|e| {
        ctx.issue(place, e);
        None
    });
    let sex = sex(get(Col::Sex)).unwrap_or_else(|e| {
        ctx.issue(place, e);
        None
    });
    let reserve = reserve(get(Col::Reserve)).unwrap_or_else(|e| {
        ctx.issue(place, e);
        false
    });
    Some(Draft {
        row,
        nisn,
        username,
        password,
        participant: Participant {
            username: String::new(),
            password: String::new(),
            name,
            birth_date,
            class: clean(&get(Col::Class).text()),
            sex,
            reserve,
        },
    })
}

/// Settles usernames (given, else the NISN, else `P001`...) and passwords, leaving out a row that
/// repeats an earlier username or NISN.
fn settle(ctx: &Ctx, file: &str, drafts: Vec<Draft>) -> Vec<Participant> {
    let mut by_username: HashMap<String, usize> = HashMap::new();
    let mut by_nisn: HashMap<String, usize> = HashMap::new();
    let mut kept = Vec::new();
    for d in drafts {
        let place = format!("{file}:{}", d.row);
        if let Some(first) = d.nisn.as_ref().and_then(|n| by_nisn.get(n)) {
            ctx.issue(
                place,
                format!(
                    "NISN {} is also on row {first}: the same student listed twice? This row is \
                     left out; correct the NISN or delete one of the rows",
                    d.nisn.as_deref().unwrap_or_default()
                ),
            );
            continue;
        }
        let username = d.username.clone().or_else(|| d.nisn.clone());
        if let Some(u) = &username {
            if let Some(first) = by_username.get(&u.to_lowercase()) {
                ctx.issue(
                    place,
                    format!(
                        "username {u} is also used on row {first}: usernames must be unique, so \
                         this row is left out; give it another username"
                    ),
                );
                continue;
            }
            by_username.insert(u.to_lowercase(), d.row);
        }
        if let Some(n) = &d.nisn {
            by_nisn.insert(n.clone(), d.row);
        }
        kept.push((username, d));
    }
    let mut rng = rand::rng();
    let mut next = 1;
    kept.into_iter()
        .map(|(username, d)| {
            let username = username.unwrap_or_else(|| loop {
                let u = format!("P{next:03}");
                next += 1;
                if by_username.insert(u.to_lowercase(), d.row).is_none() {
                    break u;
                }
            });
            let password = d.password.unwrap_or_else(|| generate_password(&mut rng));
            Participant {
                username,
                password,
                ..d.participant
            }
        })
        .collect()
}

/// A password of [`PASSWORD_LEN`] characters from [`PASSWORD_ALPHABET`].
pub fn generate_password(rng: &mut impl Rng) -> String {
    ruji_core::package::generate_password(|n| rng.random_range(0..n))
}

/// The rule of `Package::validate`: 1-64 letters, digits, `-`, `_` or `.`.
fn valid_username(u: &str) -> bool {
    !u.is_empty()
        && u.len() <= 64
        && u.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Whitespace runs become one space, control characters go.
fn clean(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The NISN of a cell and whether leading zeros were added to a text of 7-9 digits.
fn nisn(cell: &Cell) -> Result<Option<(String, bool)>, String> {
    let bad = |s: &str| {
        format!(
            "NISN {s:?} is not 10 digits: left out (a username is not made from it); correct it \
             or empty the cell"
        )
    };
    match cell {
        c if c.is_blank() => Ok(None),
        // A spreadsheet stored the NISN as a number and dropped its leading zeros.
        Cell::Number(n) if *n >= 0.0 && n.fract() == 0.0 && *n < 1e10 => {
            Ok(Some((format!("{:010}", *n as u64), false)))
        }
        Cell::Text(s) => {
            let digits: String = s
                .trim()
                .trim_start_matches('\'')
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            if !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad(s.trim()));
            }
            match digits.len() {
                10 => Ok(Some((digits, false))),
                7..=9 => Ok(Some((format!("{digits:0>10}"), true))),
                _ => Err(bad(s.trim())),
            }
        }
        other => Err(bad(&other.text())),
    }
}

/// Indonesian and English month names and their usual abbreviations.
const MONTHS: [(u8, &[&str]); 12] = [
    (1, &["januari", "january", "jan"]),
    (2, &["februari", "pebruari", "february", "feb", "peb"]),
    (3, &["maret", "march", "mar"]),
    (4, &["april", "apr"]),
    (5, &["mei", "may"]),
    (6, &["juni", "june", "jun"]),
    (7, &["juli", "july", "jul"]),
    (
        8,
        &["agustus", "august", "agu", "agt", "ags", "agus", "aug"],
    ),
    (9, &["september", "sep", "sept"]),
    (10, &["oktober", "october", "okt", "oct"]),
    (11, &["november", "nopember", "nov", "nop"]),
    (12, &["desember", "december", "des", "dec"]),
];

fn month(word: &str) -> Option<u8> {
    let w = word.to_lowercase();
    MONTHS
        .iter()
        .find(|(_, names)| names.contains(&w.as_str()))
        .map(|(m, _)| *m)
}

/// `YYYY-MM-DD` if (y, m, d) is a real, plausible date.
fn iso(y: u32, m: u32, d: u32) -> Option<String> {
    let s = format!("{y:04}-{m:02}-{d:02}");
    parse_date(&s).map(|_| s)
}

/// A date written as text, see the module documentation.
fn date_text(s: &str) -> Option<String> {
    let s = s.trim();
    // "2011-05-12 00:00:00" or "2011-05-12T00:00:00" from a database export.
    let s = match s.rsplit_once([' ', 'T']) {
        Some((d, t)) if t.contains(':') => d,
        _ => s,
    };
    if let Some((y, m, d)) = parse_date(s) {
        return iso(y.into(), m.into(), d.into());
    }
    let parts: Vec<&str> = s
        .split(|c: char| c.is_whitespace() || matches!(c, '-' | '/' | '.' | ','))
        .filter(|p| !p.is_empty())
        .collect();
    let [a, b, c] = parts[..] else {
        return None;
    };
    let year = |y: &str| Some(y).filter(|y| y.len() == 4)?.parse::<u32>().ok();
    // "12 Mei 2011", then "May 12, 2011".
    if let (Ok(d), Some(m), Some(y)) = (a.parse::<u32>(), month(b), year(c)) {
        return iso(y, m.into(), d);
    }
    if let (Some(m), Ok(d), Some(y)) = (month(a), b.parse::<u32>(), year(c)) {
        return iso(y, m.into(), d);
    }
    None
}

/// The date part of a TTL cell: after the last comma, else the end of the text.
fn ttl_date(s: &str) -> Option<String> {
    if let Some((_, date)) = s.rsplit_once(',') {
        return date_text(date);
    }
    let words: Vec<&str> = s.split_whitespace().collect();
    let last = |n: usize| words[words.len().saturating_sub(n)..].join(" ");
    date_text(&last(1)).or_else(|| date_text(&last(3)))
}

/// An Excel serial day number (1900 date system) as a date; serials before 1900-03-01 are not
/// birth dates and give `None`.
fn excel_serial(n: f64) -> Option<String> {
    if !(61.0..2_958_466.0).contains(&n) {
        return None;
    }
    // Serial 25569 is 1970-01-01.
    let (y, m, d) = ruji_core::package::civil_from_days(n.floor() as i64 - 25_569);
    iso(u32::try_from(y).ok()?, m, d)
}

/// The birth date in a cell (`ttl`: a "Jakarta, 12-05-2011" cell).
fn birth_date(cell: &Cell, ttl: bool) -> Result<Option<String>, String> {
    let date = match cell {
        c if c.is_blank() => return Ok(None),
        Cell::Date(y, m, d) => iso((*y).into(), (*m).into(), (*d).into()),
        Cell::Number(n) => excel_serial(*n),
        Cell::Text(s) if ttl => ttl_date(s),
        Cell::Text(s) => date_text(s),
        _ => None,
    };
    date.map(Some).ok_or_else(|| {
        format!(
            "birth date {:?} not understood: write it as DD-MM-YYYY (12-05-2011), YYYY-MM-DD or \
             12 Mei 2011; left empty",
            cell.text()
        )
    })
}

/// Sex from L / Laki-laki / P / Perempuan / M / F.
fn sex(cell: &Cell) -> Result<Option<Sex>, String> {
    if cell.is_blank() {
        return Ok(None);
    }
    match norm(&cell.text()).as_str() {
        "l" | "lk" | "lakilaki" | "laki" | "pria" | "m" | "male" => Ok(Some(Sex::Male)),
        "p" | "pr" | "perempuan" | "wanita" | "f" | "female" => Ok(Some(Sex::Female)),
        _ => Err(format!(
            "sex {:?} not understood: write L (laki-laki) or P (perempuan); left empty",
            cell.text()
        )),
    }
}

/// Whether the Cadangan / Status cell marks a reserve.
fn reserve(cell: &Cell) -> Result<bool, String> {
    match cell {
        c if c.is_blank() => return Ok(false),
        Cell::Bool(b) => return Ok(*b),
        Cell::Number(n) if *n == 0.0 || *n == 1.0 => return Ok(*n == 1.0),
        _ => {}
    }
    let text = cell.text();
    if matches!(text.as_str(), "✓" | "✔" | "√") {
        return Ok(true);
    }
    match norm(&text).as_str() {
        "cadangan" | "pesertacadangan" | "ya" | "y" | "yes" | "1" | "x" | "v" | "reserve"
        | "true" | "benar" => Ok(true),
        "utama" | "pesertautama" | "main" | "tidak" | "bukan" | "n" | "no" | "0" | "false"
        | "salah" | "aktif" | "" => Ok(false),
        _ => Err(format!(
            "{text:?} in column Cadangan/Status not understood: write \"cadangan\" (or ya, 1, x) \
             for a reserve and leave it empty for a main participant; taken as a main participant"
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// CSV

/// Reads a participant list saved as CSV (delimiter `,`, `;` or tab, found from the header;
/// UTF-8 with or without BOM, UTF-16 with BOM, else Windows-1252).
pub fn parse_csv(ctx: &Ctx, file: &str, bytes: &[u8]) -> Vec<Participant> {
    let text = decode(bytes);
    // Excel's "sep=;" first line names the delimiter and is not shown as a row.
    let declared = text.split_once('\n').and_then(|(first, rest)| {
        let d = first.trim_end_matches('\r').strip_prefix("sep=")?;
        (d.len() == 1).then(|| (rest, d.as_bytes()[0]))
    });
    let (text, declared) = match declared {
        Some((rest, d)) => (rest, Some(d)),
        None => (text.as_str(), None),
    };
    let delimiter = declared.unwrap_or_else(|| sniff_delimiter(text));
    let mut rows = Vec::new();
    // A spreadsheet shows a record with line breaks inside quotes as one row.
    let mut inner_breaks = 0u64;
    for record in reader(text, delimiter).records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                ctx.issue(file, format!("not readable as CSV: {e}"));
                break;
            }
        };
        let line = record.position().map_or(1, |p| p.line());
        let row = line.saturating_sub(inner_breaks).max(1) as usize;
        inner_breaks += record
            .iter()
            .map(|f| f.matches('\n').count() as u64)
            .sum::<u64>();
        if rows.len() >= MAX_ROWS {
            ctx.issue(
                format!("{file}:{row}"),
                format!("more than {MAX_ROWS} rows: the rest is not read; split the list"),
            );
            break;
        }
        rows.push((row, record.iter().map(csv_cell).collect()));
    }
    map_rows(ctx, file, &rows)
}

fn reader(text: &str, delimiter: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes())
}

/// A CSV field; `="0012345678"` (how some exports keep leading zeros) is its inner text.
fn csv_cell(field: &str) -> Cell {
    let t = field.trim();
    match t.strip_prefix("=\"").and_then(|r| r.strip_suffix('"')) {
        Some(inner) => Cell::Text(inner.to_string()),
        None if t.is_empty() => Cell::Empty,
        None => Cell::Text(field.to_string()),
    }
}

/// The delimiter whose reading of the first rows gives the best header (most known columns),
/// ties broken by how often it occurs there outside quotes.
fn sniff_delimiter(text: &str) -> u8 {
    let head: String = text
        .lines()
        .take(HEADER_SEARCH_ROWS)
        .collect::<Vec<_>>()
        .join("\n");
    let count = |d: u8| {
        let mut quoted = false;
        head.bytes()
            .filter(|&b| {
                if b == b'"' {
                    quoted = !quoted;
                }
                b == d && !quoted
            })
            .count()
    };
    let score = |d: u8| {
        let rows: Vec<(usize, Vec<Cell>)> = reader(&head, d)
            .records()
            .map_while(Result::ok)
            .map(|r| (0, r.iter().map(csv_cell).collect()))
            .collect();
        let known = find_header(&rows).map_or(0, |(_, h)| h.len());
        (known, count(d))
    };
    // On a tie the last wins: `,` before `;` before tab.
    [b'\t', b';', b',']
        .into_iter()
        .max_by_key(|&d| score(d))
        .unwrap_or(b',')
}

/// Bytes to text: UTF-8 (BOM dropped), UTF-16 with BOM, else Windows-1252.
fn decode(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return String::from_utf8_lossy(rest).into_owned();
    }
    let utf16 = |rest: &[u8], le: bool| {
        let units = rest.chunks_exact(2).map(|p| {
            if le {
                u16::from_le_bytes([p[0], p[1]])
            } else {
                u16::from_be_bytes([p[0], p[1]])
            }
        });
        char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect()
    };
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return utf16(rest, true);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return utf16(rest, false);
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => bytes.iter().map(|&b| cp1252(b)).collect(),
    }
}

/// Windows-1252 to Unicode: 0x80-0x9F differ from Latin-1, the rest is Latin-1.
fn cp1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž',
        '\u{8F}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}',
        'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9F => HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

// ---------------------------------------------------------------------------------------------
// XLSX

/// Reads a participant list saved as XLSX: the first worksheet that has a header row.
pub fn parse_xlsx(ctx: &Ctx, file: &str, bytes: &[u8]) -> Vec<Participant> {
    let unreadable = |why: String| {
        ctx.issue(
            file,
            format!(
                "not a readable .xlsx workbook ({why}): open it in Excel or LibreOffice and save \
                 it again as .xlsx, or save it as CSV"
            ),
        );
        Vec::new()
    };
    match zip::ZipArchive::new(Cursor::new(bytes)) {
        Ok(z) if z.decompressed_size().is_none_or(|n| n > MAX_XLSX_UNPACKED) => {
            return unreadable(format!(
                "it unpacks to more than {} MB",
                MAX_XLSX_UNPACKED >> 20
            ));
        }
        Ok(_) => {}
        Err(e) => return unreadable(e.to_string()),
    }
    let mut book: Xlsx<_> = match calamine::open_workbook_from_rs(Cursor::new(bytes)) {
        Ok(b) => b,
        Err(e) => return unreadable(e.to_string()),
    };
    let mut problems = Vec::new();
    for sheet in book.sheet_names() {
        match sheet_rows(&mut book, &sheet) {
            Ok((rows, cut)) => {
                if find_header(&rows).is_some() {
                    if let Some(row) = cut {
                        ctx.issue(
                            format!("{file}:{row}"),
                            format!(
                                "more than {MAX_ROWS} rows: the rest is not read; split the list"
                            ),
                        );
                    }
                    return map_rows(ctx, file, &rows);
                }
            }
            Err(e) => problems.push(format!("worksheet {sheet:?}: {e}")),
        }
    }
    let mut message = format!(
        "no worksheet has a header row with a name column in its first {HEADER_SEARCH_ROWS} rows: \
         the list needs a row naming its columns, with at least one called Nama (or Nama \
         Peserta, Nama Lengkap, Name)"
    );
    if !problems.is_empty() {
        message.push_str(&format!("; unreadable: {}", problems.join("; ")));
    }
    ctx.issue(file, message);
    Vec::new()
}

/// Non-empty rows (spreadsheet row number, cells) and the first row not read, if any.
type SheetRows = (Vec<(usize, Vec<Cell>)>, Option<usize>);

/// The rows of a worksheet, at most [`MAX_ROWS`] of them with at most [`MAX_COLUMNS`] cells.
/// Streams the cells, so that one far-away cell (XFD1048576) does not make a huge grid.
fn sheet_rows(book: &mut Xlsx<Cursor<&[u8]>>, sheet: &str) -> Result<SheetRows, String> {
    let mut reader = book
        .worksheet_cells_reader(sheet)
        .map_err(|e| e.to_string())?;
    let mut rows: BTreeMap<u32, Vec<Cell>> = BTreeMap::new();
    let mut cut = None;
    while let Some(cell) = reader.next_cell().map_err(|e| e.to_string())? {
        let (r, c) = cell.get_position();
        if c >= MAX_COLUMNS {
            continue;
        }
        let value = xlsx_cell(cell.get_value());
        if value.is_blank() {
            continue;
        }
        if !rows.contains_key(&r) && rows.len() >= MAX_ROWS {
            // Rows come in order: everything from here on is left.
            cut = Some(r as usize + 1);
            break;
        }
        let row = rows.entry(r).or_default();
        if row.len() <= c as usize {
            row.resize(c as usize + 1, Cell::Empty);
        }
        row[c as usize] = value;
    }
    let rows = rows
        .into_iter()
        .map(|(r, cells)| (r as usize + 1, cells))
        .collect();
    Ok((rows, cut))
}

fn xlsx_cell(d: &DataRef<'_>) -> Cell {
    match d {
        DataRef::Empty => Cell::Empty,
        DataRef::Int(i) => Cell::Number(*i as f64),
        DataRef::Float(f) => Cell::Number(*f),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => {
            Cell::Text(s.clone())
        }
        DataRef::SharedString(s) => Cell::Text((*s).to_string()),
        DataRef::Bool(b) => Cell::Bool(*b),
        DataRef::DateTime(dt) if dt.is_datetime() && dt.as_f64().is_finite() => {
            let (y, m, d, ..) = dt.to_ymd_hms_milli();
            Cell::Date(y, m, d)
        }
        DataRef::DateTime(dt) => Cell::Number(dt.as_f64()),
        DataRef::Error(e) => Cell::Error(e.to_string()),
    }
}

// ---------------------------------------------------------------------------------------------
// Login cards

/// The login card list for the teacher to print: No, Nama, Kelas, Username, Password, Status
/// (Utama / Cadangan), one participant a row, in order. Written for Excel with Indonesian
/// settings: `;`-separated, UTF-8 with a BOM (so names like "José" show right), and usernames
/// and passwords made only of digits written as `="0012345678"` so that Excel keeps their leading
/// zeros. [`parse_csv`] reads it back.
pub fn write_cards_csv(participants: &[Participant]) -> String {
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::new());
    let keep = |s: &str| {
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            format!("=\"{s}\"")
        } else {
            s.to_string()
        }
    };
    let header = ["No", "Nama", "Kelas", "Username", "Password", "Status"];
    let mut rows = vec![header.map(String::from)];
    for (i, p) in participants.iter().enumerate() {
        rows.push([
            (i + 1).to_string(),
            p.name.clone(),
            p.class.clone(),
            keep(&p.username),
            keep(&p.password),
            if p.reserve { "Cadangan" } else { "Utama" }.to_string(),
        ]);
    }
    for row in rows {
        // Writing into a Vec cannot fail.
        w.write_record(&row).expect("writing to memory");
    }
    let bytes = w.into_inner().expect("writing to memory");
    format!(
        "\u{FEFF}{}",
        String::from_utf8(bytes).expect("written from strings")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(s: &str) -> Cell {
        Cell::Text(s.into())
    }

    #[test]
    fn headers_match_in_either_language() {
        for (h, c) in [
            ("Nama Peserta", Col::Name),
            ("NAMA LENGKAP", Col::Name),
            ("Tgl. Lahir", Col::BirthDate),
            ("Tempat, Tanggal Lahir", Col::PlaceAndDate),
            ("L/P", Col::Sex),
            ("Jenis Kelamin", Col::Sex),
            ("No. Peserta", Col::Username),
            ("Kata Sandi", Col::Password),
            ("Rombongan Belajar", Col::Class),
            ("Birth date", Col::BirthDate),
            ("status", Col::Reserve),
        ] {
            assert_eq!(column(h), Some(c), "{h}");
        }
        assert_eq!(column("No"), None);
        assert_eq!(column("NIK"), None);
    }

    #[test]
    fn dates_in_every_usual_form() {
        for (s, want) in [
            ("2011-05-12", "2011-05-12"),
            ("12-05-2011", "2011-05-12"),
            ("12/05/2011", "2011-05-12"),
            ("2/3/2011", "2011-03-02"),
            ("12 Mei 2011", "2011-05-12"),
            ("12 Agustus 2011", "2011-08-12"),
            ("1 Des 2010", "2010-12-01"),
            ("May 12, 2011", "2011-05-12"),
            ("2011-05-12 00:00:00", "2011-05-12"),
        ] {
            assert_eq!(date_text(s).as_deref(), Some(want), "{s}");
        }
        for s in ["31-02-2011", "12 Mai 2011", "12/05/11", "besok", ""] {
            assert_eq!(date_text(s), None, "{s}");
        }
        assert_eq!(
            ttl_date("Jakarta, 12-05-2011").as_deref(),
            Some("2011-05-12")
        );
        assert_eq!(
            ttl_date("Kota Bandung, 3 Januari 2011").as_deref(),
            Some("2011-01-03")
        );
        assert_eq!(ttl_date("Bogor 12/05/2011").as_deref(), Some("2011-05-12"));
        assert_eq!(
            ttl_date("Bogor 3 Maret 2011").as_deref(),
            Some("2011-03-03")
        );
        assert_eq!(ttl_date("Jakarta"), None);
    }

    #[test]
    fn excel_serials() {
        // 40675 is 2011-05-12 in Excel's 1900 system; 25569 is 1970-01-01.
        assert_eq!(excel_serial(40675.0).as_deref(), Some("2011-05-12"));
        assert_eq!(excel_serial(25569.0).as_deref(), Some("1970-01-01"));
        assert_eq!(excel_serial(61.0).as_deref(), Some("1900-03-01"));
        assert_eq!(excel_serial(-3.0), None);
        assert_eq!(excel_serial(f64::NAN), None);
        assert_eq!(excel_serial(1e300), None);
    }

    #[test]
    fn nisn_keeps_and_restores_leading_zeros() {
        assert_eq!(
            nisn(&cell("0012345678")),
            Ok(Some(("0012345678".into(), false)))
        );
        assert_eq!(
            nisn(&Cell::Number(12345678.0)),
            Ok(Some(("0012345678".into(), false)))
        );
        assert_eq!(
            nisn(&cell("'0081234567")),
            Ok(Some(("0081234567".into(), false)))
        );
        assert_eq!(
            nisn(&cell("81234567")),
            Ok(Some(("0081234567".into(), true)))
        );
        assert!(nisn(&cell("12345")).is_err());
        assert!(nisn(&cell("00123456789")).is_err());
        assert!(nisn(&cell("00123X5678")).is_err());
        assert!(nisn(&Cell::Number(1.5)).is_err());
        assert_eq!(nisn(&Cell::Empty), Ok(None));
    }

    #[test]
    fn sex_and_reserve_values() {
        for s in ["L", "laki-laki", "Laki Laki", "M", "male"] {
            assert_eq!(sex(&cell(s)), Ok(Some(Sex::Male)), "{s}");
        }
        for s in ["P", "Perempuan", "F", "wanita"] {
            assert_eq!(sex(&cell(s)), Ok(Some(Sex::Female)), "{s}");
        }
        assert!(sex(&cell("?")).is_err());
        for s in ["cadangan", "Ya", "y", "1", "X", "reserve", "TRUE", "✓"] {
            assert_eq!(reserve(&cell(s)), Ok(true), "{s}");
        }
        for s in ["", "utama", "tidak", "0", "-"] {
            assert_eq!(reserve(&cell(s)), Ok(false), "{s}");
        }
        assert_eq!(reserve(&Cell::Bool(true)), Ok(true));
        assert_eq!(reserve(&Cell::Number(1.0)), Ok(true));
        assert!(reserve(&cell("mungkin")).is_err());
    }

    #[test]
    fn decoding_and_delimiters() {
        assert_eq!(decode(b"\xEF\xBB\xBFNama"), "Nama");
        assert_eq!(decode(b"Jos\xe9 Pe\xf1a \x93x\x94 \x80"), "José Peña “x” €");
        assert_eq!(decode(b"\xFF\xFEN\0a\0"), "Na");
        assert_eq!(
            sniff_delimiter("No;Nama;TTL\n1;Adi;Jakarta, 12-05-2011\n"),
            b';'
        );
        assert_eq!(sniff_delimiter("Nama;TTL\nAdi;Jakarta, 12-05-2011\n"), b';');
        assert_eq!(sniff_delimiter("Nama,Kelas\n\"Adi; S\",9\n"), b',');
        assert_eq!(sniff_delimiter("Nama\tKelas\tJK\nAdi\t9\tL\n"), b'\t');
        assert_eq!(sniff_delimiter("a,b\n"), b',');
    }

    #[test]
    fn declared_separator_wins() {
        let ctx = Ctx::standalone();
        let got = parse_csv(&ctx, "p.csv", b"sep=\t\nNama\tKelas\nAdi, S.Pd\tIX\n");
        assert_eq!(ctx.issue_count(), 0);
        assert_eq!(
            (got[0].name.as_str(), got[0].class.as_str()),
            ("Adi, S.Pd", "IX")
        );
    }

    #[test]
    fn generated_passwords_avoid_look_alikes() {
        let mut rng = rand::rng();
        for _ in 0..200 {
            let p = generate_password(&mut rng);
            assert_eq!(p.len(), PASSWORD_LEN);
            assert!(!p.contains(['0', 'O', '1', 'l', 'I']), "{p}");
        }
    }

    #[test]
    fn rows_are_numbered_as_a_spreadsheet_shows_them() {
        let ctx = Ctx::standalone();
        let csv =
            "sep=;\r\nDAFTAR PESERTA\n\nNama;Kelas\n\"Adi\nNugroho\";IX-A\n;IX-B\nBudi;IX-B\n";
        let got = parse_csv(&ctx, "p.csv", csv.as_bytes());
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].name, "Adi Nugroho");
        let (_, issues) = ctx.finish();
        // Excel hides the sep= line; row 1 title, 2 empty, 3 header, 4 Adi (two lines), 5 the
        // nameless row.
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!(issues[0].place, "p.csv:5");
    }
}
