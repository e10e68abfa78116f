//! A [`Doc`] laid out on A4 pages and written as PDF (pdf-writer).
//!
//! Text is set in the base-14 fonts Helvetica, Helvetica-Bold and Courier-Bold, named and not
//! embedded: every PDF reader carries them, and a document stays a few KB. Their glyph widths
//! come from Adobe's metrics at build time (`build.rs`), so text is measured exactly as it will be
//! drawn: cells wrap, long names are cut with "…", and nothing runs out of its box. The fonts'
//! encoding is WinAnsi (Windows-1252): every letter of Bahasa Indonesia and of Latin-1; a few
//! other Latin letters are printed without their accent, anything else as "?".
//!
//! Layout rules: 15 mm margins; the title and heading on the first page; a table's header on
//! every page it spans, a row moved whole to the next page when it does not fit; a section title
//! never alone at a page's foot; signature lines kept together; login cards eight to a page;
//! "Halaman i dari n" at the foot of each page.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use crate::{Block, Card, Doc, Signature, Table};

mod widths {
    include!(concat!(env!("OUT_DIR"), "/widths.rs"));
}

/// A4 in points.
pub const A4: (f32, f32) = (595.28, 841.89);
const MARGIN: f32 = 42.5; // 15 mm
const FOOTER: f32 = 24.0; // the page number's band
const WIDTH: f32 = A4.0 - 2.0 * MARGIN;
const BOTTOM: f32 = A4.1 - MARGIN - FOOTER;
const SIZE: f32 = 9.5;
const LEADING: f32 = 12.0;
const PAD: f32 = 4.0;
/// The height of a row of signature lines.
const SIGNATURES: f32 = 100.0;

/// The fonts a page may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Font {
    /// Helvetica.
    Regular,
    /// Helvetica-Bold.
    Bold,
    /// Courier-Bold (usernames and passwords: every character as wide as the next).
    Mono,
}

const FONTS: [Font; 3] = [Font::Regular, Font::Bold, Font::Mono];

impl Font {
    fn resource(self) -> Name<'static> {
        Name(match self {
            Font::Regular => b"F1",
            Font::Bold => b"F2",
            Font::Mono => b"F3",
        })
    }

    fn base(self) -> Name<'static> {
        Name(match self {
            Font::Regular => b"Helvetica",
            Font::Bold => b"Helvetica-Bold",
            Font::Mono => b"Courier-Bold",
        })
    }

    fn widths(self) -> &'static [u16; 256] {
        match self {
            Font::Regular => &widths::HELVETICA,
            Font::Bold => &widths::HELVETICA_BOLD,
            Font::Mono => &widths::COURIER_BOLD,
        }
    }
}

/// The WinAnsi byte of `c`, with a few Latin letters outside it printed without their accent.
fn winansi(c: char) -> u8 {
    let u = c as u32;
    if (0x20..=0x7E).contains(&u) || (0xA0..=0xFF).contains(&u) {
        return u as u8;
    }
    match c {
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8A,
        '‹' => 0x8B,
        'Œ' => 0x8C,
        'Ž' => 0x8E,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9A,
        '›' => 0x9B,
        'œ' => 0x9C,
        'ž' => 0x9E,
        'Ÿ' => 0x9F,
        '≈' => b'~',
        'ā' | 'ă' | 'ą' => b'a',
        'Ā' | 'Ă' | 'Ą' => b'A',
        'ć' | 'č' => b'c',
        'Ć' | 'Č' => b'C',
        'ē' | 'ę' | 'ě' => b'e',
        'Ē' | 'Ę' | 'Ě' => b'E',
        'ğ' => b'g',
        'Ğ' => b'G',
        'ı' | 'ī' => b'i',
        'İ' | 'Ī' => b'I',
        'ł' => b'l',
        'Ł' => b'L',
        'ń' | 'ň' => b'n',
        'Ń' | 'Ň' => b'N',
        'ō' | 'ő' => b'o',
        'Ō' | 'Ő' => b'O',
        'ř' => b'r',
        'Ř' => b'R',
        'ś' | 'ş' => b's',
        'Ś' | 'Ş' => b'S',
        'ţ' | 'ť' => b't',
        'Ţ' | 'Ť' => b'T',
        'ū' | 'ů' | 'ű' => b'u',
        'Ū' | 'Ů' | 'Ű' => b'U',
        'ź' | 'ż' => b'z',
        'Ź' | 'Ż' => b'Z',
        c if c.is_whitespace() => b' ',
        _ => b'?',
    }
}

/// `s` in the fonts' encoding; combining accents (text typed in decomposed form) dropped.
pub fn encode(s: &str) -> Vec<u8> {
    s.chars()
        .filter(|c| !('\u{300}'..='\u{36F}').contains(c))
        .map(winansi)
        .collect()
}

/// The width of `s` in `font` at `size` points.
pub fn width(font: Font, size: f32, s: &str) -> f32 {
    let w = font.widths();
    encode(s)
        .iter()
        .map(|&b| u32::from(w[b as usize]))
        .sum::<u32>() as f32
        * size
        / 1000.0
}

/// `s` cut to fit `max` points, ending in "…" when cut.
pub fn fit(font: Font, size: f32, s: &str, max: f32) -> String {
    if width(font, size, s) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    for c in s.chars() {
        let mut t = out.clone();
        t.push(c);
        t.push('…');
        if width(font, size, &t) > max {
            break;
        }
        out.push(c);
    }
    format!("{}…", out.trim_end())
}

/// `s` in lines of at most `max` points (words kept whole where they fit; a word longer than
/// a line is cut), at most `max_lines` of them, the last ending in "…" when text was left out.
pub fn wrap(font: Font, size: f32, s: &str, max: f32, max_lines: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for para in s.split('\n') {
        let mut cur = String::new();
        for word in para.split_whitespace() {
            let cand = if cur.is_empty() {
                word.to_string()
            } else {
                format!("{cur} {word}")
            };
            if width(font, size, &cand) <= max {
                cur = cand;
            } else if cur.is_empty() {
                lines.push(fit(font, size, word, max));
            } else {
                lines.push(std::mem::take(&mut cur));
                cur = if width(font, size, word) <= max {
                    word.to_string()
                } else {
                    lines.push(fit(font, size, word, max));
                    String::new()
                };
            }
        }
        lines.push(cur);
    }
    while lines.len() > 1 && lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    if lines.len() > max_lines {
        let rest = lines[max_lines - 1..].join(" ");
        lines.truncate(max_lines - 1);
        lines.push(fit(font, size, &format!("{rest} …"), max));
    }
    lines
}

/// Pages being drawn with y growing downwards from the top edge.
struct Layout {
    pages: Vec<Content>,
    y: f32,
}

impl Layout {
    fn new() -> Layout {
        Layout {
            pages: vec![Content::new()],
            y: MARGIN,
        }
    }

    fn page(&mut self) -> &mut Content {
        self.pages.last_mut().expect("a page")
    }

    fn new_page(&mut self) {
        self.pages.push(Content::new());
        self.y = MARGIN;
    }

    /// A new page unless `h` more points fit on this one.
    fn room_for(&mut self, h: f32) -> bool {
        if self.y + h > BOTTOM && self.y > MARGIN {
            self.new_page();
            return true;
        }
        false
    }

    fn text(&mut self, x: f32, baseline: f32, font: Font, size: f32, s: &str) {
        let c = self.page();
        c.begin_text();
        c.set_font(font.resource(), size);
        c.next_line(x, A4.1 - baseline);
        c.show(Str(&encode(s)));
        c.end_text();
    }

    fn text_center(&mut self, center: f32, baseline: f32, font: Font, size: f32, s: &str) {
        let x = center - width(font, size, s) / 2.0;
        self.text(x, baseline, font, size, s);
    }

    fn text_right(&mut self, right: f32, baseline: f32, font: Font, size: f32, s: &str) {
        let x = right - width(font, size, s);
        self.text(x, baseline, font, size, s);
    }

    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, line: f32) {
        let c = self.page();
        c.set_line_width(line);
        c.rect(x, A4.1 - y - h, w, h);
        c.stroke();
    }

    fn fill(&mut self, x: f32, y: f32, w: f32, h: f32, gray: f32) {
        let c = self.page();
        c.save_state();
        c.set_fill_gray(gray);
        c.rect(x, A4.1 - y - h, w, h);
        c.fill_nonzero();
        c.restore_state();
    }

    fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, width: f32, dashed: bool) {
        let c = self.page();
        c.save_state();
        c.set_line_width(width);
        if dashed {
            c.set_dash_pattern([2.0, 2.0], 0.0);
        }
        c.move_to(x1, A4.1 - y1);
        c.line_to(x2, A4.1 - y2);
        c.stroke();
        c.restore_state();
    }
}

/// The PDF of `doc`.
pub fn render(doc: &Doc) -> Vec<u8> {
    let mut l = Layout::new();
    let cards_only = doc.heading.is_empty() && matches!(doc.blocks.first(), Some(Block::Cards(_)));
    if !cards_only {
        title(&mut l, doc);
    }
    for (i, b) in doc.blocks.iter().enumerate() {
        match b {
            Block::Section(s) => {
                // Never alone at a page's foot: with the start of what follows.
                l.room_for(18.0 + doc.blocks.get(i + 1).map_or(0.0, lead));
                l.y += 8.0;
                l.text(MARGIN, l.y + 11.0, Font::Bold, 11.5, s);
                l.y += 18.0;
            }
            Block::Text(s) => {
                let lines = wrap(Font::Regular, SIZE, s, WIDTH, usize::MAX);
                // A closing line before the signatures goes with them.
                if let Some(Block::Signatures(_)) = doc.blocks.get(i + 1) {
                    l.room_for(lines.len() as f32 * LEADING + 4.0 + SIGNATURES);
                }
                for line in lines {
                    l.room_for(LEADING);
                    l.text(MARGIN, l.y + SIZE, Font::Regular, SIZE, &line);
                    l.y += LEADING;
                }
                l.y += 4.0;
            }
            Block::Table(t) => table(&mut l, t),
            Block::Cards(cards) => card_pages(&mut l, cards),
            Block::Notes { label, text } => notes(&mut l, label, text),
            Block::Signatures(s) => signatures(&mut l, s),
        }
    }
    let n = l.pages.len();
    let (page_of, of) = (doc.lang.t("Halaman", "Page"), doc.lang.t("dari", "of"));
    for (i, c) in l.pages.iter_mut().enumerate() {
        let foot = format!("{} · {page_of} {} {of} {n}", doc.title, i + 1);
        let x = A4.0 - MARGIN - width(Font::Regular, 7.5, &foot);
        c.save_state();
        c.set_fill_gray(0.35);
        c.begin_text();
        c.set_font(Font::Regular.resource(), 7.5);
        c.next_line(x, MARGIN / 2.0 + 6.0);
        c.show(Str(&encode(&foot)));
        c.end_text();
        c.restore_state();
    }
    write(&doc.title, l.pages)
}

/// The height of the start of `b` that must stay with a section title above it.
fn lead(b: &Block) -> f32 {
    match b {
        Block::Table(t) => {
            let widths = column_widths(t);
            let first = t.rows.first().map_or(0.0, |r| row_height(r, &widths, 0.0));
            header_height(t, &widths) + first
        }
        Block::Notes { .. } => 16.0 + 2.0 * LEADING,
        Block::Signatures(_) => SIGNATURES,
        _ => 2.0 * LEADING,
    }
}

fn column_widths(t: &Table) -> Vec<f32> {
    t.shares().iter().map(|s| s * WIDTH).collect()
}

/// The header's wrapped titles; none for a table whose columns have no titles.
fn header_lines(t: &Table, widths: &[f32]) -> Vec<Vec<String>> {
    if t.columns.iter().all(|c| c.title.is_empty()) {
        return vec![];
    }
    t.columns
        .iter()
        .zip(widths)
        .map(|(c, w)| wrap(Font::Bold, SIZE, &c.title, w - 2.0 * PAD, 2))
        .collect()
}

fn header_height(t: &Table, widths: &[f32]) -> f32 {
    match header_lines(t, widths).iter().map(Vec::len).max() {
        Some(n) => n as f32 * LEADING + 2.0 * PAD,
        None => 0.0,
    }
}

/// The title and the heading's label/value pairs (two pairs a row).
fn title(l: &mut Layout, doc: &Doc) {
    l.text(MARGIN, l.y + 15.0, Font::Bold, 15.0, &doc.title);
    l.y += 26.0;
    let label_w = doc
        .heading
        .iter()
        .map(|(k, _)| width(Font::Bold, SIZE, k))
        .fold(0.0_f32, f32::max)
        .min(WIDTH / 5.0)
        + 2.0 * PAD;
    let value_w = WIDTH / 2.0 - label_w;
    for pair in doc.heading.chunks(2) {
        let lines: Vec<Vec<String>> = pair
            .iter()
            .map(|(_, v)| wrap(Font::Regular, SIZE, v, value_w - 2.0 * PAD, 3))
            .collect();
        let h = lines.iter().map(Vec::len).max().unwrap_or(1) as f32 * LEADING + 2.0 * PAD;
        for (i, ((k, _), v)) in pair.iter().zip(&lines).enumerate() {
            let x = MARGIN + i as f32 * WIDTH / 2.0;
            l.fill(x, l.y, label_w, h, 0.93);
            l.rect(x, l.y, label_w, h, 0.5);
            l.rect(x + label_w, l.y, value_w, h, 0.5);
            let k = fit(Font::Bold, SIZE, k, label_w - 2.0 * PAD);
            l.text(x + PAD, l.y + PAD + SIZE, Font::Bold, SIZE, &k);
            for (j, line) in v.iter().enumerate() {
                let base = l.y + PAD + SIZE + j as f32 * LEADING;
                l.text(x + label_w + PAD, base, Font::Regular, SIZE, line);
            }
        }
        l.y += h;
    }
    l.y += 10.0;
}

/// A table: its header on every page, rows moved whole to the next page.
fn table(l: &mut Layout, t: &Table) {
    let widths = column_widths(t);
    let header = header_lines(t, &widths);
    let header_h = header_height(t, &widths);
    let draw_header = |l: &mut Layout| {
        let mut x = MARGIN;
        for (cell, w) in header.iter().zip(&widths) {
            l.fill(x, l.y, *w, header_h, 0.9);
            l.rect(x, l.y, *w, header_h, 0.5);
            for (j, line) in cell.iter().enumerate() {
                l.text(
                    x + PAD,
                    l.y + PAD + SIZE + j as f32 * LEADING,
                    Font::Bold,
                    SIZE,
                    line,
                );
            }
            x += w;
        }
        l.y += header_h;
    };
    let min_row = if t.tall { 30.0 } else { 0.0 };
    // The header with at least one row, or a new page.
    let first = t
        .rows
        .first()
        .map_or(0.0, |r| row_height(r, &widths, min_row));
    l.room_for(header_h + first);
    draw_header(l);
    for row in &t.rows {
        let cells: Vec<Vec<String>> = row
            .iter()
            .zip(&widths)
            .map(|(s, w)| wrap(Font::Regular, SIZE, s, w - 2.0 * PAD, 4))
            .collect();
        let h = row_height(row, &widths, min_row);
        if l.room_for(h) {
            draw_header(l);
        }
        let mut x = MARGIN;
        for ((cell, w), col) in cells.iter().zip(&widths).zip(&t.columns) {
            l.rect(x, l.y, *w, h, 0.5);
            for (j, line) in cell.iter().enumerate() {
                let base = l.y + PAD + SIZE + j as f32 * LEADING;
                if col.right {
                    l.text_right(x + w - PAD, base, Font::Regular, SIZE, line);
                } else {
                    l.text(x + PAD, base, Font::Regular, SIZE, line);
                }
            }
            x += w;
        }
        l.y += h;
    }
    l.y += 8.0;
}

fn row_height(row: &[String], widths: &[f32], min: f32) -> f32 {
    let lines = row
        .iter()
        .zip(widths)
        .map(|(s, w)| wrap(Font::Regular, SIZE, s, w - 2.0 * PAD, 4).len())
        .max()
        .unwrap_or(1);
    (lines as f32 * LEADING + 2.0 * PAD).max(min)
}

/// A box with the notes typed on the page, or ruled lines to write on.
fn notes(l: &mut Layout, label: &str, text: &str) {
    if text.trim().is_empty() {
        // Ruled lines to write on, in one box.
        let h = 4.0 * 20.0 + 2.0 * PAD;
        l.room_for(16.0 + h);
        l.text(MARGIN, l.y + SIZE + 2.0, Font::Bold, SIZE, label);
        l.y += 16.0;
        l.rect(MARGIN, l.y, WIDTH, h, 0.5);
        for j in 1..=4 {
            let y = l.y + PAD + j as f32 * 20.0 - 4.0;
            l.line(MARGIN + PAD, y, MARGIN + WIDTH - PAD, y, 0.4, true);
        }
        l.y += h + 10.0;
        return;
    }
    // Every line typed, however many: over pages when long, a rule above and below.
    let lines = wrap(Font::Regular, SIZE, text, WIDTH - 2.0 * PAD, usize::MAX);
    l.room_for(16.0 + 2.0 * LEADING);
    l.text(MARGIN, l.y + SIZE + 2.0, Font::Bold, SIZE, label);
    l.y += 16.0;
    l.line(MARGIN, l.y, MARGIN + WIDTH, l.y, 0.5, false);
    l.y += PAD;
    for line in &lines {
        l.room_for(LEADING);
        l.text(MARGIN + PAD, l.y + SIZE, Font::Regular, SIZE, line);
        l.y += LEADING;
    }
    l.y += PAD;
    l.line(MARGIN, l.y, MARGIN + WIDTH, l.y, 0.5, false);
    l.y += 10.0;
}

/// Signature lines side by side, kept together.
fn signatures(l: &mut Layout, s: &[Signature]) {
    let h = SIGNATURES;
    l.room_for(h);
    l.y += 10.0;
    let n = s.len().clamp(1, 3);
    let w = WIDTH / n as f32;
    for (i, sig) in s.iter().take(3).enumerate() {
        let center = MARGIN + w * (i as f32 + 0.5);
        let role = fit(Font::Regular, SIZE, &sig.role, w - 10.0);
        l.text_center(center, l.y + SIZE, Font::Regular, SIZE, &role);
        let name_y = l.y + 62.0;
        if sig.name.trim().is_empty() {
            l.line(
                center - w / 2.0 + 16.0,
                name_y,
                center + w / 2.0 - 16.0,
                name_y,
                0.5,
                true,
            );
        } else {
            let name = fit(Font::Bold, SIZE, &sig.name, w - 10.0);
            l.text_center(center, name_y - 2.0, Font::Bold, SIZE, &name);
            l.line(
                center - w / 2.0 + 16.0,
                name_y + 2.0,
                center + w / 2.0 - 16.0,
                name_y + 2.0,
                0.5,
                false,
            );
        }
        if !sig.id_label.is_empty() {
            l.text(
                center - w / 2.0 + 16.0,
                name_y + 15.0,
                Font::Regular,
                8.5,
                &format!("{}.", sig.id_label),
            );
            l.line(
                center - w / 2.0 + 40.0,
                name_y + 15.0,
                center + w / 2.0 - 16.0,
                name_y + 15.0,
                0.4,
                true,
            );
        }
    }
    l.y += h;
}

/// Login cards, eight to a page (2 × 4), each inside dashed lines to cut along.
fn card_pages(l: &mut Layout, cards: &[Card]) {
    let (mx, my) = (28.0, 30.0);
    let cw = (A4.0 - 2.0 * mx) / 2.0;
    let ch = (A4.1 - 2.0 * my - FOOTER) / 4.0;
    for (i, card) in cards.iter().enumerate() {
        if i % 8 == 0 && (i > 0 || l.y > MARGIN) {
            l.new_page();
        }
        let k = i % 8;
        let x = mx + (k % 2) as f32 * cw;
        let y = my + (k / 2) as f32 * ch;
        one_card(l, card, x, y, cw, ch);
    }
    l.y = BOTTOM;
}

fn one_card(l: &mut Layout, card: &Card, x: f32, y: f32, w: f32, h: f32) {
    l.line(x, y, x + w, y, 0.5, true);
    l.line(x, y + h, x + w, y + h, 0.5, true);
    l.line(x, y, x, y + h, 0.5, true);
    l.line(x + w, y, x + w, y + h, 0.5, true);
    let (pad, inner) = (12.0, w - 24.0);
    l.fill(x + 6.0, y + 6.0, w - 12.0, 22.0, 0.9);
    let t = fit(Font::Bold, 11.0, &card.title, inner);
    l.text_center(x + w / 2.0, y + 21.0, Font::Bold, 11.0, &t);
    let sub = fit(Font::Regular, 8.0, &card.subtitle, inner);
    l.text_center(x + w / 2.0, y + 40.0, Font::Regular, 8.0, &sub);
    let label_w = 62.0;
    let mut yy = y + 58.0;
    for (label, value, big) in &card.fields {
        l.text(x + pad, yy, Font::Regular, 8.5, label);
        if *big {
            let v = fit(Font::Mono, 14.0, value, inner - label_w - 8.0);
            l.rect(x + pad + label_w, yy - 13.0, inner - label_w, 19.0, 0.6);
            l.text(x + pad + label_w + 5.0, yy + 1.0, Font::Mono, 14.0, &v);
            yy += 24.0;
        } else {
            let v = fit(Font::Bold, 9.5, value, inner - label_w);
            l.text(x + pad + label_w, yy, Font::Bold, 9.5, &v);
            yy += 14.0;
        }
    }
    for (j, line) in wrap(Font::Regular, 7.0, &card.note, inner, 2)
        .iter()
        .enumerate()
    {
        l.text(
            x + pad,
            y + h - 18.0 + j as f32 * 8.5,
            Font::Regular,
            7.0,
            line,
        );
    }
}

/// The PDF file of laid-out pages.
fn write(title: &str, pages: Vec<Content>) -> Vec<u8> {
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let info = Ref::new(3);
    let font_ref = |i: usize| Ref::new(10 + i as i32);
    let page_ref = |i: usize| Ref::new(100 + 2 * i as i32);
    let content_ref = |i: usize| Ref::new(101 + 2 * i as i32);
    pdf.catalog(catalog).pages(tree);
    pdf.document_info(info)
        .title(TextStr(title))
        .producer(TextStr("Ruji"));
    pdf.pages(tree)
        .kids((0..pages.len()).map(page_ref))
        .count(pages.len() as i32);
    for (i, f) in FONTS.iter().enumerate() {
        let w = f.widths();
        pdf.type1_font(font_ref(i))
            .base_font(f.base())
            .encoding_predefined(Name(b"WinAnsiEncoding"))
            .first_char(32)
            .last_char(255)
            .widths(w[32..].iter().map(|&x| f32::from(x)));
    }
    for (i, content) in pages.into_iter().enumerate() {
        let mut page = pdf.page(page_ref(i));
        page.media_box(Rect::new(0.0, 0.0, A4.0, A4.1))
            .parent(tree)
            .contents(content_ref(i));
        let mut res = page.resources();
        let mut fonts = res.fonts();
        for (j, f) in FONTS.iter().enumerate() {
            fonts.pair(f.resource(), font_ref(j));
        }
        fonts.finish();
        res.finish();
        page.finish();
        pdf.stream(content_ref(i), &content.finish());
    }
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_are_adobes() {
        assert_eq!(width(Font::Regular, 1000.0, "A"), 667.0);
        assert_eq!(width(Font::Regular, 1000.0, "é"), 556.0);
        assert_eq!(width(Font::Mono, 1000.0, "iW"), 1200.0);
        assert_eq!(encode("Łukasz Ñ e\u{301}"), b"Lukasz \xd1 e");
        assert_eq!(encode("日"), b"?");
    }

    #[test]
    fn long_notes_go_over_pages_whole() {
        let text: String = (1..=120).map(|i| format!("Catatan baris {i}.\n")).collect();
        let doc = Doc {
            lang: crate::Lang::Id,
            title: "T".into(),
            heading: vec![],
            blocks: vec![crate::Block::Notes {
                label: "Catatan proktor".into(),
                text,
            }],
        };
        let pdf = render(&doc);
        let text = String::from_utf8_lossy(&pdf);
        let count = text.split("/Count ").nth(1).expect("a page tree");
        let pages: usize = count
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(pages >= 2, "{pages} pages");
        for i in [1, 60, 120] {
            let want = format!("(Catatan baris {i}.)");
            assert!(
                pdf.windows(want.len()).any(|w| w == want.as_bytes()),
                "{want}"
            );
        }
    }

    #[test]
    fn text_wraps_within_its_width_and_is_cut_where_told() {
        let s = "Muhammad Rizky Pratama Wijayakusuma Nugroho Saputra";
        let lines = wrap(Font::Regular, 10.0, s, 100.0, 10);
        assert!(lines.len() > 2, "{lines:?}");
        assert!(lines.iter().all(|l| width(Font::Regular, 10.0, l) <= 100.0));
        assert_eq!(lines.join(" "), s);
        let two = wrap(Font::Regular, 10.0, s, 100.0, 2);
        assert_eq!(two.len(), 2);
        assert!(two[1].ends_with('…'), "{two:?}");
        assert!(width(Font::Regular, 10.0, &two[1]) <= 100.0);
        assert_eq!(wrap(Font::Regular, 10.0, "", 100.0, 3), [""]);
        assert_eq!(wrap(Font::Regular, 10.0, "a\nb", 100.0, 3), ["a", "b"]);
        let long = fit(Font::Bold, 10.0, &"W".repeat(50), 50.0);
        assert!(long.ends_with('…') && width(Font::Bold, 10.0, &long) <= 50.0);
    }
}
