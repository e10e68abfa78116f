//! A picture of the LED patterns for the docs, drawn from the pattern engine itself.
//!
//! [`led_patterns_svg`] draws one row per [`State`], from the highest priority to the lowest,
//! then the acknowledgement flash: the state's name in Bahasa Indonesia and English
//! ([`State::label_id`], [`State::label_en`]) and [`TIMELINE_MS`] of the LED as the [`Panel`]
//! drives it, lit and unlit blocks over a time axis in seconds. No I/O: it returns the SVG text.
//!
//! The docs keep the result as `docs/screens/led-patterns.svg` and a PNG made from it,
//! `docs/screens/led-patterns.png`, which carries the SVG's [`fingerprint`] in a PNG `tEXt` chunk
//! named [`PNG_KEY`]. A test here fails when either no longer matches what the code draws.
//! Regenerate both with `cargo run -p ruji-panel --example led_patterns` (it needs
//! `rsvg-convert`, Debian's `librsvg2-bin`).

use std::fmt::Write as _;

use crate::pattern::{Condition, Conditions, Millis, Panel, Pattern, State};

/// How much time each row shows: two cycles of most patterns, more than one of the slowest.
pub const TIMELINE_MS: Millis = 4000;

/// The committed SVG, relative to the repository's root.
pub const DOCS_SVG: &str = "docs/screens/led-patterns.svg";

/// The committed PNG, relative to the repository's root.
pub const DOCS_PNG: &str = "docs/screens/led-patterns.png";

/// The keyword of the PNG `tEXt` chunk that holds the [`fingerprint`] of the SVG it was made from.
pub const PNG_KEY: &str = "ruji-led-patterns-svg";

/// The acknowledgement flash's row: it is not a [`State`], so its names live here
/// (Bahasa Indonesia, English), with when it starts on its row (over [`State::Ready`]).
const ACK_LABEL: (&str, &str) = ("Kedip tanda terima", "acknowledgement flash");
const ACK_AT: Millis = 1000;

/// The figure's other texts: (Bahasa Indonesia, English).
const TITLE: (&str, &str) = ("Pola lampu Ruji", "Ruji LED patterns");
const ORDER: (&str, &str) = (
    "Dari atas ke bawah: yang paling penting menang bila beberapa berlaku.",
    "From the top: the most important wins when several apply.",
);
const STILL: (&str, &str) = (
    "Semua pola bergerak: lampu yang diam lebih dari 3 detik berarti Ruji tidak berjalan.",
    "Every pattern moves: an LED still for more than 3 seconds means Ruji is not running.",
);
const LIT: (&str, &str) = ("nyala", "on");
const DARK: (&str, &str) = ("padam", "off");
const AXIS: (&str, &str) = ("waktu (detik)", "time (seconds)");
const ACK_NOTE: (&str, &str) = (
    "Kedip tanda terima: sekali, di atas pola mana pun, saat tombol dikenali (di sini: {ready}, pada {at} detik).",
    "Acknowledgement flash: once, over any pattern, when a button gesture is recognised (here: {ready}, at {at} s).",
);

/// Colours: the LED lit (the Pi's green ACT LED), unlit, and the drawing's own.
const LIT_FILL: &str = "#22c244";
const DARK_FILL: &str = "#3c3c3c";
const INK: &str = "#1a1a1a";
const MUTED: &str = "#5c5c5c";
const GRID: &str = "#c8c8c8";
const MARK: &str = "#d97706";

/// Geometry, in SVG user units (px).
const WIDTH: u64 = 920;
const LABEL_X: u64 = 48;
const NUMBER_X: u64 = 30;
const X0: u64 = 320;
/// Timeline scale: tenths of a px per ms (1.4 px per 10 ms, 140 px per second).
const TENTHS_PER_MS: u64 = 14;
const FIRST_ROW_Y: u64 = 128;
const ROW_H: u64 = 46;
const BAR_DY: u64 = 10;
const BAR_H: u64 = 24;
const ACK_GAP: u64 = 14;

/// One row: its number (priority, 1 first), names, and LED runs (lit?, length in ms).
struct Row {
    number: Option<usize>,
    label_id: String,
    label_en: String,
    runs: Vec<(bool, Millis)>,
    mark: Option<(Millis, Millis)>,
}

/// The conditions that make the board show `state` on their own.
fn showing(state: State) -> Conditions {
    std::iter::once(Conditions::empty())
        .chain(Condition::all().map(|c| Conditions::empty().with(c)))
        .find(|c| c.state() == state)
        .expect("every state is shown by some condition")
}

/// Appends the LED's runs from `from` to `to` to `out`, following the panel's own
/// `next_change`.
fn follow(panel: &Panel, from: Millis, to: Millis, out: &mut Vec<(bool, Millis)>) {
    let mut t = from;
    while t < to {
        let o = panel.led(t);
        let end = o.next_change.clamp(t + 1, to);
        match out.last_mut() {
            Some((level, n)) if *level == o.on => *n += end - t,
            _ => out.push((o.on, end - t)),
        }
        t = end;
    }
}

/// The LED's runs over the timeline of a panel showing `state` from 0, with a button gesture
/// acknowledged at `ack` if given (as the driver does: at that moment).
fn runs(state: State, ack: Option<Millis>) -> Vec<(bool, Millis)> {
    let mut panel = Panel::new(showing(state), 0);
    let mut out = Vec::new();
    let mut t = 0;
    if let Some(at) = ack {
        follow(&panel, 0, at, &mut out);
        panel.acknowledge(at);
        t = at;
    }
    follow(&panel, t, TIMELINE_MS, &mut out);
    out
}

fn rows() -> Vec<Row> {
    let mut rows: Vec<Row> = State::ALL
        .iter()
        .enumerate()
        .map(|(i, &s)| Row {
            number: Some(i + 1),
            label_id: capitalise(s.label_id()),
            label_en: s.label_en().to_string(),
            runs: runs(s, None),
            mark: None,
        })
        .collect();
    let ack_len = Pattern::ACK.period_ms();
    rows.push(Row {
        number: None,
        label_id: ACK_LABEL.0.to_string(),
        label_en: ACK_LABEL.1.to_string(),
        runs: runs(State::Ready, Some(ACK_AT)),
        mark: Some((ACK_AT, ACK_AT + ack_len)),
    });
    rows
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Escapes text for SVG.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A number of tenths (of a px, of a second), written without a trailing `.0`.
fn tenths(v: u64) -> String {
    if v.is_multiple_of(10) {
        (v / 10).to_string()
    } else {
        format!("{}.{}", v / 10, v % 10)
    }
}

/// The x of time `t` on the timeline.
fn x_at(t: Millis) -> String {
    tenths(X0 * 10 + t * TENTHS_PER_MS / 10)
}

/// The width of `ms` on the timeline.
fn w_of(ms: Millis) -> String {
    tenths(ms * TENTHS_PER_MS / 10)
}

/// Draws the LED patterns as an SVG picture (see the module's documentation). The same code always
/// gives the same text, byte for byte.
pub fn led_patterns_svg() -> String {
    let rows = rows();
    let states = rows.len() - 1;
    let rows_end = FIRST_ROW_Y + ROW_H * rows.len() as u64 + ACK_GAP;
    let axis_y = rows_end + 4;
    let height = axis_y + 100;
    let x_end = x_at(TIMELINE_MS);
    let ready = State::Ready;
    let font = "font-family=\"DejaVu Sans, Verdana, Arial, Helvetica, sans-serif\"";

    let mut s = String::new();
    let w = &mut s;
    // Writing to a String cannot fail.
    let _ = writeln!(
        w,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" \
         viewBox=\"0 0 {WIDTH} {height}\" {font} font-size=\"13\" fill=\"{INK}\">"
    );
    let _ = writeln!(
        w,
        "<!-- Drawn by ruji_panel::picture::led_patterns_svg from the patterns in \
         firmware/panel/src/pattern.rs. Do not edit: regenerate with the example led_patterns \
         of ruji-panel (firmware/panel/examples/led_patterns.rs). -->"
    );
    let _ = writeln!(w, "<title>{} / {}</title>", esc(TITLE.0), esc(TITLE.1));
    let _ = writeln!(
        w,
        "<rect width=\"{WIDTH}\" height=\"{height}\" fill=\"#ffffff\"/>"
    );

    // Title, the two rules, the legend.
    let _ = writeln!(
        w,
        "<text x=\"{NUMBER_X}\" y=\"36\" font-size=\"20\" font-weight=\"bold\">{} <tspan \
         fill=\"{MUTED}\" font-weight=\"normal\">/ {}</tspan></text>",
        esc(TITLE.0),
        esc(TITLE.1)
    );
    for (i, (id, en)) in [ORDER, STILL].iter().enumerate() {
        let y = 62 + 34 * i as u64;
        let _ = writeln!(
            w,
            "<text x=\"{NUMBER_X}\" y=\"{y}\">{}</text>\n<text x=\"{NUMBER_X}\" y=\"{}\" \
             fill=\"{MUTED}\" font-style=\"italic\">{}</text>",
            esc(id),
            y + 16,
            esc(en)
        );
    }
    let legend_x = WIDTH - 190;
    for (i, (fill, (id, en))) in [(LIT_FILL, LIT), (DARK_FILL, DARK)].iter().enumerate() {
        let y = 20 + 22 * i as u64;
        let _ = writeln!(
            w,
            "<rect x=\"{legend_x}\" y=\"{y}\" width=\"28\" height=\"14\" fill=\"{fill}\"/>\n\
             <text x=\"{}\" y=\"{}\">{} <tspan fill=\"{MUTED}\" font-style=\"italic\">/ {}\
             </tspan></text>",
            legend_x + 36,
            y + 12,
            esc(id),
            esc(en)
        );
    }

    // Grid: a line every half second, darker on whole seconds.
    let grid_top = FIRST_ROW_Y + BAR_DY - 6;
    for half in 0..=(TIMELINE_MS / 500) {
        let t = half * 500;
        let dash = if half.is_multiple_of(2) {
            ""
        } else {
            " stroke-dasharray=\"2 3\""
        };
        let _ = writeln!(
            w,
            "<line x1=\"{x}\" y1=\"{grid_top}\" x2=\"{x}\" y2=\"{axis_y}\" stroke=\"{GRID}\"{dash}/>",
            x = x_at(t)
        );
    }

    // The rows.
    for (i, row) in rows.iter().enumerate() {
        let mut y = FIRST_ROW_Y + ROW_H * i as u64;
        if i == states {
            let sep = y + ACK_GAP / 2 - 2;
            let _ = writeln!(
                w,
                "<line x1=\"{NUMBER_X}\" y1=\"{sep}\" x2=\"{x_end}\" y2=\"{sep}\" stroke=\"{MUTED}\"/>"
            );
            y += ACK_GAP;
        }
        if let Some(n) = row.number {
            let _ = writeln!(
                w,
                "<text x=\"{NUMBER_X}\" y=\"{}\" font-size=\"14\" fill=\"{MUTED}\">{n}</text>",
                y + 27
            );
        }
        let _ = writeln!(
            w,
            "<text x=\"{LABEL_X}\" y=\"{}\" font-size=\"14\" font-weight=\"bold\">{}</text>\n\
             <text x=\"{LABEL_X}\" y=\"{}\" fill=\"{MUTED}\" font-style=\"italic\">{}</text>",
            y + 20,
            esc(&row.label_id),
            y + 37,
            esc(&row.label_en)
        );
        let bar_y = y + BAR_DY;
        let _ = writeln!(
            w,
            "<rect x=\"{X0}\" y=\"{bar_y}\" width=\"{}\" height=\"{BAR_H}\" fill=\"{DARK_FILL}\"/>",
            w_of(TIMELINE_MS)
        );
        let mut t = 0;
        for &(on, len) in &row.runs {
            if on {
                let _ = writeln!(
                    w,
                    "<rect x=\"{}\" y=\"{bar_y}\" width=\"{}\" height=\"{BAR_H}\" fill=\"{LIT_FILL}\"/>",
                    x_at(t),
                    w_of(len)
                );
            }
            t += len;
        }
        if let Some((from, to)) = row.mark {
            let _ = writeln!(
                w,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"{MARK}\" \
                 stroke-width=\"2.5\" stroke-dasharray=\"5 3\"/>",
                x_at(from),
                bar_y - 4,
                w_of(to - from),
                BAR_H + 8
            );
        }
    }

    // The time axis.
    let _ = writeln!(
        w,
        "<line x1=\"{X0}\" y1=\"{axis_y}\" x2=\"{x_end}\" y2=\"{axis_y}\" stroke=\"{INK}\"/>"
    );
    for half in 0..=(TIMELINE_MS / 500) {
        let x = x_at(half * 500);
        let len = if half.is_multiple_of(2) { 7 } else { 4 };
        let _ = writeln!(
            w,
            "<line x1=\"{x}\" y1=\"{axis_y}\" x2=\"{x}\" y2=\"{}\" stroke=\"{INK}\"/>",
            axis_y + len
        );
        if half.is_multiple_of(2) {
            let _ = writeln!(
                w,
                "<text x=\"{x}\" y=\"{}\" text-anchor=\"middle\">{} s</text>",
                axis_y + 22,
                half / 2
            );
        }
    }
    let _ = writeln!(
        w,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{} <tspan fill=\"{MUTED}\" \
         font-style=\"italic\">/ {}</tspan></text>",
        x_at(TIMELINE_MS / 2),
        axis_y + 42,
        esc(AXIS.0),
        esc(AXIS.1)
    );

    // The note on the acknowledgement row.
    for (i, note) in [ACK_NOTE.0, ACK_NOTE.1].iter().enumerate() {
        let name = if i == 0 {
            ready.label_id()
        } else {
            ready.label_en()
        };
        let style = if i == 0 {
            String::new()
        } else {
            format!(" fill=\"{MUTED}\" font-style=\"italic\"")
        };
        let _ = writeln!(
            w,
            "<text x=\"{NUMBER_X}\" y=\"{}\" font-size=\"12\"{style}>{}</text>",
            axis_y + 68 + 16 * i as u64,
            esc(&note
                .replace("{ready}", &format!("\u{201c}{name}\u{201d}"))
                .replace("{at}", &tenths(ACK_AT / 100)))
        );
    }
    let _ = writeln!(
        w,
        "<rect x=\"{}\" y=\"{}\" width=\"14\" height=\"10\" fill=\"none\" stroke=\"{MARK}\" \
         stroke-width=\"2\" stroke-dasharray=\"3 2\"/>",
        NUMBER_X - 20,
        axis_y + 59
    );
    s.push_str("</svg>\n");
    s
}

/// A short, stable identifier of an SVG text (FNV-1a, 64 bits, in hex). The committed PNG carries
/// the fingerprint of the SVG it was made from, so a test can tell a PNG left stale.
pub fn fingerprint(svg: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in svg.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("fnv1a64:{h:016x}")
}

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];

/// The chunks of a PNG file: (type, data), or `None` when it is not a well-formed PNG.
fn png_chunks(png: &[u8]) -> Option<Vec<([u8; 4], &[u8])>> {
    let mut rest = png.strip_prefix(&PNG_SIGNATURE)?;
    let mut out = Vec::new();
    while !rest.is_empty() {
        let len = u32::from_be_bytes(rest.get(0..4)?.try_into().ok()?) as usize;
        let kind: [u8; 4] = rest.get(4..8)?.try_into().ok()?;
        let data = rest.get(8..8 + len)?;
        out.push((kind, data));
        rest = rest.get(8 + len + 4..)?;
    }
    Some(out)
}

/// The text of the PNG's `tEXt` chunk named `key`, if it has one.
pub fn png_text(png: &[u8], key: &str) -> Option<String> {
    png_chunks(png)?.into_iter().find_map(|(kind, data)| {
        let (k, v) = data.split_at(data.iter().position(|&b| b == 0)?);
        (&kind == b"tEXt" && k == key.as_bytes())
            .then(|| v[1..].iter().map(|&b| char::from(b)).collect())
    })
}

/// The PNG with a `tEXt` chunk `key` = `text` (ASCII) right after its header, replacing any
/// chunk of that name. `None` when `png` is not a well-formed PNG.
pub fn png_with_text(png: &[u8], key: &str, text: &str) -> Option<Vec<u8>> {
    let chunks = png_chunks(png)?;
    let mut data = key.as_bytes().to_vec();
    data.push(0);
    data.extend_from_slice(text.as_bytes());
    let mut out = PNG_SIGNATURE.to_vec();
    let mut put = |kind: &[u8; 4], data: &[u8]| {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let crc = crc32(kind.iter().chain(data));
        out.extend_from_slice(&crc.to_be_bytes());
    };
    for (i, (kind, d)) in chunks.iter().enumerate() {
        let named =
            kind == b"tEXt" && d.starts_with(key.as_bytes()) && d.get(key.len()) == Some(&0);
        if !named {
            put(kind, d);
        }
        if i == 0 {
            put(b"tEXt", &data);
        }
    }
    Some(out)
}

/// The CRC-32 of PNG chunks (ISO-HDLC, reflected 0xEDB88320).
fn crc32<'a>(bytes: impl Iterator<Item = &'a u8>) -> u32 {
    let mut c = 0xffff_ffffu32;
    for &b in bytes {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn repo(path: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(path)
    }

    const REGENERATE: &str = "regenerate the SVG and its PNG with `cargo run -p ruji-panel \
                              --example led_patterns` (needs rsvg-convert: apt-get install \
                              librsvg2-bin), look at the PNG, and commit both";

    #[test]
    fn the_docs_picture_is_what_the_patterns_draw() {
        let svg = led_patterns_svg();
        let committed = std::fs::read_to_string(repo(DOCS_SVG)).unwrap_or_default();
        if committed != svg {
            let line = committed
                .lines()
                .zip(svg.lines())
                .position(|(a, b)| a != b)
                .unwrap_or_else(|| committed.lines().count().min(svg.lines().count()));
            panic!(
                "{DOCS_SVG} is missing or differs from what the LED patterns draw (first at line \
                 {}): {REGENERATE}",
                line + 1
            );
        }
        let png = std::fs::read(repo(DOCS_PNG)).unwrap_or_default();
        assert_eq!(
            png_text(&png, PNG_KEY),
            Some(fingerprint(&svg)),
            "{DOCS_PNG} is missing or was not made from the current SVG: {REGENERATE}"
        );
    }

    #[test]
    fn each_row_shows_its_pattern_from_the_engine() {
        let rows = rows();
        assert_eq!(rows.len(), State::ALL.len() + 1);
        for (row, s) in rows.iter().zip(State::ALL) {
            assert_eq!(showing(s).state(), s);
            assert_eq!(row.label_en, s.label_en());
            assert_eq!(row.runs.iter().map(|r| r.1).sum::<Millis>(), TIMELINE_MS);
            // The first runs are the pattern's steps, starting lit.
            let steps = s.pattern().steps();
            assert!(row.runs[0].0, "{s} starts lit");
            for (run, &step) in row.runs.iter().zip(steps) {
                assert_eq!(run.1, Millis::from(step), "{s}");
            }
        }
        let ack = rows.last().unwrap();
        let ready = State::Ready.pattern().steps();
        // Ready's light until the flash, then the flash's dark start.
        assert_eq!(ack.runs[0], (true, ACK_AT));
        assert_eq!(ack.runs[1], (false, Millis::from(Pattern::ACK.steps()[1])));
        assert_eq!(ack.runs.iter().map(|r| r.1).sum::<Millis>(), TIMELINE_MS);
        assert!(Millis::from(ready[0]) > ACK_AT + Pattern::ACK.period_ms());
    }

    #[test]
    fn the_svg_is_stable_and_escaped() {
        let a = led_patterns_svg();
        assert_eq!(a, led_patterns_svg());
        assert!(a.starts_with("<svg ") && a.ends_with("</svg>\n"));
        // XML comments may not hold "--".
        for c in a.split("<!--").skip(1) {
            assert!(!c.split("-->").next().unwrap().contains("--"), "{c}");
        }
        assert_eq!(a.matches("<text").count(), a.matches("</text>").count());
        for s in State::ALL {
            assert!(a.contains(&esc(&capitalise(s.label_id()))), "{s}");
            assert!(a.contains(&esc(s.label_en())), "{s}");
        }
        assert_eq!(esc("a<b & \"c\">"), "a&lt;b &amp; &quot;c&quot;&gt;");
        assert_eq!(x_at(0), "320");
        assert_eq!(x_at(150), "341");
        assert_eq!(w_of(60), "8.4");
    }

    #[test]
    fn png_text_chunks_round_trip() {
        // The standard check value of CRC-32.
        assert_eq!(crc32(b"123456789".iter()), 0xcbf4_3926);
        // A PNG's structure (not a decodable image): signature, IHDR, IEND.
        let mut tiny = PNG_SIGNATURE.to_vec();
        for (kind, data) in [(b"IHDR", &[7u8; 13][..]), (b"IEND", &[][..])] {
            tiny.extend_from_slice(&(data.len() as u32).to_be_bytes());
            tiny.extend_from_slice(kind);
            tiny.extend_from_slice(data);
            tiny.extend_from_slice(&crc32(kind.iter().chain(data)).to_be_bytes());
        }
        let tiny = &tiny[..];
        assert_eq!(png_chunks(tiny).unwrap().len(), 2);
        assert_eq!(png_text(tiny, PNG_KEY), None);
        let one = png_with_text(tiny, PNG_KEY, "fnv1a64:0123").unwrap();
        assert_eq!(png_text(&one, PNG_KEY).as_deref(), Some("fnv1a64:0123"));
        let two = png_with_text(&one, PNG_KEY, "fnv1a64:4567").unwrap();
        assert_eq!(png_text(&two, PNG_KEY).as_deref(), Some("fnv1a64:4567"));
        assert_eq!(two.len(), one.len());
        assert_eq!(png_chunks(&two).unwrap()[1].0, *b"tEXt");
        assert_eq!(png_text(b"not a png", PNG_KEY), None);
        assert_eq!(png_with_text(b"not a png", PNG_KEY, "x"), None);
        assert_eq!(
            fingerprint(""),
            "fnv1a64:cbf29ce484222325",
            "FNV-1a's offset basis"
        );
    }
}
