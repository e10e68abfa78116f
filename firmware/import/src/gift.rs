//! Moodle GIFT (<https://docs.moodle.org/en/GIFT_format>) to the native item model.
//!
//! A GIFT file is a list of questions separated by blank lines. Lines whose first non-blank
//! characters are `//` are comments; a block starting with `$CATEGORY:` names a Moodle category
//! (ignored here, except that it ends the current shared stimulus). A question is
//! `::title::[format]text {answers} more text`, where the answer block decides the type:
//!
//! | GIFT                                  | Ruji                                            |
//! |---------------------------------------|-------------------------------------------------|
//! | `{=a ~b ~c}`                          | multiple choice, options `A`, `B`, ...          |
//! | `{~%50%a ~%50%b ~%-100%c}` (no `=`)   | several correct: the options with weight > 0    |
//! | `{T}` `{TRUE}` `{F}` `{FALSE}`        | multiple choice "Benar" / "Salah"               |
//! | `{=a =b}` (only `=`)                  | short answer, case-insensitive                  |
//! | `{=a -> 1 =b -> 2}`                   | matching, premises `P1..`, targets `T1..`       |
//! | `{}`                                  | essay (5000 characters)                         |
//! | `{#42}` `{#=42 =43}`                  | short answer accepting those numbers            |
//! | no answer block                       | a shared stimulus for the questions after it    |
//!
//! Text before and after the answer block (Moodle's "missing word" form) becomes one prompt with
//! a `_____` gap. Answer feedback (`#...`) and general feedback (`####...`) are dropped: Ruji
//! shows no feedback during an exam. `\~ \= \# \{ \} \: \\` are literal characters and `\n` a
//! line break. What Ruji cannot score the way Moodle would (tolerances and ranges, partial credit
//! in single-answer questions, several fully correct options in a single-answer question) is
//! reported, and either imported with the difference explained (a warning, [`Ctx::warn`]: partial
//! credit counted as wrong, unequal weights counted equally) or skipped or left out (an error,
//! [`Ctx::issue`]). An unknown `[marker]` is kept as text with a warning.

use std::collections::BTreeSet;

use ruji_core::package::{Choice, Item, ItemBody, Stimulus, SHORT_ANSWER_MAX_CHARS};

use crate::sanitize::Ctx;
use crate::{id_from, unique_id, Bank};

/// Maximum length of an essay answer imported from `{}`.
pub const ESSAY_MAX_CHARS: u32 = 5000;

/// The gap put in place of the answer block when text follows it.
pub const GAP: &str = "_____";

/// Parses the GIFT `text` of `file` (a path inside `ctx.source()`, used in issue places and to
/// find pictures referenced relatively) into items and stimuli. Every problem is reported at
/// `"<file>:<line>"`, the line where the question starts: through `ctx.issue` when something is
/// skipped or left out, through `ctx.warn` when the question is imported with the difference
/// explained; parsing goes on after a bad question.
pub fn parse(ctx: &Ctx, file: &str, text: &str) -> Bank {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let stem = file_stem(file);
    let mut bank = Bank::default();
    let mut taken = BTreeSet::new();
    let mut stimulus: Option<String> = None;
    let mut n = 0usize;
    for block in blocks(&text) {
        let mut lines = block.as_slice();
        if lines[0].1.starts_with("$CATEGORY:") {
            // A category ends the current stimulus; a question written right below the category
            // line (no blank line) is still read.
            stimulus = None;
            lines = &lines[1..];
            if lines.is_empty() {
                continue;
            }
        }
        n += 1;
        let line = lines[0].0;
        let joined = lines.iter().map(|(_, l)| *l).collect::<Vec<_>>().join("\n");
        let q = Question {
            ctx,
            file,
            place: format!("{file}:{line}"),
        };
        match q.parse(&joined) {
            Ok(Parsed::Description { title, html }) => {
                let id = make_id(&title, &stem, n, &mut taken);
                stimulus = Some(id.clone());
                bank.stimuli.push(Stimulus { id, title, html });
            }
            Ok(Parsed::Item {
                title,
                prompt,
                body,
            }) => {
                let id = make_id(&title, &stem, n, &mut taken);
                bank.items.push(Item {
                    id,
                    stimulus: stimulus.clone(),
                    prompt,
                    points: 1,
                    body,
                });
            }
            Err(Skip(message)) => {
                if !protect(&joined).contains('{') {
                    // A text meant as a new stimulus failed: do not show the previous one beside
                    // the questions that follow.
                    stimulus = None;
                }
                ctx.issue(
                    &q.place,
                    format!("{message}; this question was not imported"),
                );
            }
        }
    }
    bank
}

/// Longest id base before [`unique_id`] may add a `-N` suffix (ids are at most 64 characters).
const ID_BASE_MAX: usize = 56;

/// The id of question `n`: from its title when that leaves something usable, else
/// `<file stem>-<n>`; made unique among `taken`.
fn make_id(title: &str, stem: &str, n: usize, taken: &mut BTreeSet<String>) -> String {
    let mut id = id_from(title);
    if id.is_empty() {
        id = format!("{stem}-{n}");
    }
    // Ids are ASCII, so any byte index is a character boundary.
    id.truncate(ID_BASE_MAX);
    let id = id.trim_end_matches('-').to_string();
    unique_id(id, taken)
}

/// The file name without folder and extension, as an id part (`bank/Soal IPA.gift` ->
/// `Soal-IPA`).
fn file_stem(file: &str) -> String {
    let name = file.rsplit(['/', '\\']).next().unwrap_or(file);
    let stem = match name.rsplit_once('.') {
        Some((s, _)) if !s.is_empty() => s,
        _ => name,
    };
    let mut id = id_from(stem);
    id.truncate(40);
    let id = id.trim_end_matches('-');
    if id.is_empty() {
        "gift".to_string()
    } else {
        id.to_string()
    }
}

/// Splits the text into questions: runs of non-blank lines, each line trimmed and paired with
/// its 1-based number; comment lines are left out but do not end a question.
fn blocks(text: &str) -> Vec<Vec<(usize, &str)>> {
    let mut out = Vec::new();
    let mut cur: Vec<(usize, &str)> = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let line = raw.trim();
        if line.is_empty() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        } else if !line.starts_with("//") {
            cur.push((i + 1, line));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Messages for a misplaced brace.
const UNCLOSED: &str = "the answer block opened with { is never closed with }; close it in the \
     same question (no blank line inside), or write a literal brace as \\{";
const STRAY_CLOSE: &str = "there is a } without a { before it; write a literal brace as \\}";
const TWO_BLOCKS: &str = "there is more than one { } answer block; a GIFT question has exactly \
     one (write literal braces as \\{ and \\})";

/// A question that cannot be imported, with the reason.
struct Skip(String);

fn skip<T>(message: impl Into<String>) -> Result<T, Skip> {
    Err(Skip(message.into()))
}

/// One question read from a block.
enum Parsed {
    /// No answer block: a shared text.
    Description { title: String, html: String },
    /// A question.
    Item {
        title: String,
        prompt: String,
        body: ItemBody,
    },
}

/// How a text is written (`[html]` etc.); Moodle's default is `moodle`: HTML where line breaks
/// count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Html,
    Moodle,
    Plain,
    Markdown,
}

/// Characters that a backslash makes literal, in placeholder order.
const ESCAPABLE: [char; 7] = ['\\', ':', '#', '=', '{', '}', '~'];
/// First placeholder code point (private use area); `ESCAPABLE[i]` becomes `PLACEHOLDER + i`.
const PLACEHOLDER: u32 = 0xE000;

/// Replaces escaped characters by placeholders so that they never act as GIFT syntax, and `\n`
/// by a line break. Placeholder code points already in the input become U+FFFD.
fn protect(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if is_placeholder(c) {
            out.push('\u{fffd}');
            continue;
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.peek().copied() {
            Some('n') => {
                chars.next();
                out.push('\n');
            }
            Some(e) => match ESCAPABLE.iter().position(|x| *x == e) {
                Some(i) => {
                    chars.next();
                    out.push(char::from_u32(PLACEHOLDER + i as u32).unwrap_or('\u{fffd}'));
                }
                None => out.push('\\'),
            },
            None => out.push('\\'),
        }
    }
    out
}

fn is_placeholder(c: char) -> bool {
    (PLACEHOLDER..PLACEHOLDER + ESCAPABLE.len() as u32).contains(&(c as u32))
}

/// Turns placeholders back into the literal characters they stand for.
fn restore(s: &str) -> String {
    s.chars()
        .map(|c| {
            if is_placeholder(c) {
                ESCAPABLE[(c as u32 - PLACEHOLDER) as usize]
            } else {
                c
            }
        })
        .collect()
}

/// Option ids: `A`..`Z`, then `AA`, `AB`...
fn letter_id(i: usize) -> String {
    let mut n = i + 1;
    let mut out = Vec::new();
    while n > 0 {
        n -= 1;
        out.push(b'A' + (n % 26) as u8);
        n /= 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Splits `%weight%text` into the weight (percent) and the rest.
fn weight(a: &str) -> (Option<f64>, &str) {
    if let Some(rest) = a.strip_prefix('%') {
        if let Some((w, text)) = rest.split_once('%') {
            if let Ok(v) = w.trim().parse::<f64>() {
                if v.is_finite() {
                    return (Some(v), text);
                }
            }
        }
    }
    (None, a)
}

/// The answer without its feedback (`text#feedback`).
fn strip_feedback(a: &str) -> &str {
    a.split('#').next().unwrap_or("").trim()
}

/// Formats a percentage without a needless fraction (`50`, `33.3`).
fn pct(w: f64) -> String {
    let r = (w * 10.0).round() / 10.0;
    format!("{r}")
}

/// Splits answer text on `sep`, dropping an empty part before the first separator.
fn split_answers(text: &str, sep: char) -> Vec<&str> {
    let mut parts: Vec<&str> = text.split(sep).map(str::trim).collect();
    if parts.first().is_some_and(|p| p.is_empty()) {
        parts.remove(0);
    }
    parts
}

/// Shortens a text for a message.
fn short(s: &str) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() > 40 {
        format!("\"{}...\"", s.chars().take(40).collect::<String>())
    } else {
        format!("\"{s}\"")
    }
}

/// Reads one question, reporting problems at `place`.
struct Question<'a> {
    ctx: &'a Ctx,
    file: &'a str,
    place: String,
}

impl Question<'_> {
    /// Something of the question was left out or may be wrong (an error: it blocks packing).
    fn error(&self, message: impl Into<String>) {
        self.ctx.issue(&self.place, message);
    }

    /// The question is imported as written, with an adjustment `message` explains (a warning).
    fn warn(&self, message: impl Into<String>) {
        self.ctx.warn(&self.place, message);
    }

    /// `text` is the question's lines joined by `\n`.
    fn parse(&self, text: &str) -> Result<Parsed, Skip> {
        let text = protect(text);
        let (title, rest) = self.title(&text)?;
        let (question, answers) = match (rest.find('{'), rest.find('}')) {
            (None, None) => (rest.to_string(), None),
            (Some(_), None) => return skip(UNCLOSED),
            (None, Some(_)) => return skip(STRAY_CLOSE),
            (Some(o), Some(c)) if c < o => return skip(STRAY_CLOSE),
            (Some(o), Some(c)) => {
                let (before, after) = (&rest[..o], &rest[c + 1..]);
                if after.contains('{') || after.contains('}') {
                    return skip(TWO_BLOCKS);
                }
                let question = if after.trim().is_empty() {
                    before.trim_end().to_string()
                } else {
                    format!("{before}{GAP}{after}")
                };
                (question, Some(&rest[o + 1..c]))
            }
        };
        let (format, question) = self.format(question.trim(), Format::Moodle);
        if question.trim().is_empty() {
            return skip(if answers.is_some() {
                "there is no question text before the answers; write the question, then { ... }"
            } else {
                "there is a title but no text"
            });
        }
        let prompt = self.render(format, question);
        let Some(answers) = answers else {
            return Ok(Parsed::Description {
                title,
                html: prompt,
            });
        };
        let body = self.answers(format, answers)?;
        Ok(Parsed::Item {
            title,
            prompt,
            body,
        })
    }

    /// Splits off `::title::`.
    fn title<'t>(&self, text: &'t str) -> Result<(String, &'t str), Skip> {
        let Some(after) = text.strip_prefix("::") else {
            return Ok((String::new(), text));
        };
        match after.find("::") {
            Some(end) => Ok((
                restore(&after[..end])
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" "),
                after[end + 2..].trim_start(),
            )),
            None => skip(
                "the title starts with :: but is not closed with ::; write ::title:: before the \
                 question (a colon inside a title is written \\:)",
            ),
        }
    }

    /// Splits off a `[format]` marker, reporting unknown ones (their text is kept).
    fn format<'t>(&self, text: &'t str, default: Format) -> (Format, &'t str) {
        let Some(inner) = text.strip_prefix('[') else {
            return (default, text);
        };
        let Some((name, rest)) = inner.split_once(']') else {
            return (default, text);
        };
        let format = match name.trim().to_ascii_lowercase().as_str() {
            "html" => Format::Html,
            "moodle" => Format::Moodle,
            "plain" => Format::Plain,
            "markdown" => Format::Markdown,
            _ => {
                if !name.is_empty()
                    && name.len() <= 16
                    && name.bytes().all(|b| b.is_ascii_alphabetic())
                {
                    self.warn(format!(
                        "[{name}] is not a GIFT format marker (use [html], [moodle], [plain] or \
                         [markdown]); imported with [{name}] kept as part of the text"
                    ));
                }
                return (default, text);
            }
        };
        (format, rest.trim_start())
    }

    /// GIFT text (with placeholders) as sanitised HTML.
    fn render(&self, format: Format, text: &str) -> String {
        let text = restore(text.trim());
        let html = match format {
            Format::Html => text,
            Format::Moodle => text.replace('\n', "<br>"),
            // Markdown is shown as its plain text; the escaped text is re-serialised by the
            // cleaner so that it reads naturally (`&#32;` becomes a space again).
            Format::Plain | Format::Markdown => self.ctx.text(&text).replace("&#10;", "<br>"),
        };
        self.ctx.html(&self.place, self.file, &html)
    }

    /// Reads the answer block (between the braces) into a body.
    fn answers(&self, format: Format, raw: &str) -> Result<ItemBody, Skip> {
        // General feedback: everything after the last "####".
        let answers = match raw.rfind("####") {
            Some(i) => &raw[..i],
            None => raw,
        };
        let answers = answers.trim();
        if answers.is_empty() {
            return Ok(ItemBody::Essay {
                max_chars: ESSAY_MAX_CHARS,
            });
        }
        if let Some(numbers) = answers.strip_prefix('#') {
            return self.numeric(numbers);
        }
        if answers.contains('~') {
            return self.choice(format, answers);
        }
        if answers.contains('=') && answers.contains("->") {
            return self.matching(format, answers);
        }
        match strip_feedback(answers) {
            "T" | "TRUE" => return Ok(true_false(true)),
            "F" | "FALSE" => return Ok(true_false(false)),
            _ => {}
        }
        self.short_answer(answers)
    }

    /// `{=a ~b}` (one correct option) or `{~%50%a ~%50%b ~c}` (several).
    fn choice(&self, format: Format, answers: &str) -> Result<ItemBody, Skip> {
        // `~` and `=` both start an option; `~=` is one option marked correct.
        let mut split = vec![String::new()];
        for c in answers.chars() {
            match (c, split.last_mut()) {
                ('~', _) => split.push(String::new()),
                ('=', Some(last)) if last.trim().is_empty() => *last = "=".into(),
                ('=', _) => split.push("=".into()),
                (c, Some(last)) => last.push(c),
                (_, None) => {}
            }
        }
        if split[0].trim().is_empty() {
            split.remove(0);
        }
        let parts: Vec<&str> = split.iter().map(|s| s.trim()).collect();
        let single = parts.iter().any(|p| p.starts_with('='));
        let mut options = Vec::new();
        let mut weights = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            let (w, rest) = match part.strip_prefix('=') {
                Some(r) => {
                    let (w, r) = weight(r.trim_start());
                    (w.unwrap_or(100.0), r)
                }
                None => {
                    let (w, r) = weight(part);
                    (w.unwrap_or(0.0), r)
                }
            };
            let text = strip_feedback(rest);
            let (f, text) = self.format(text, format);
            if text.trim().is_empty() {
                return skip(format!(
                    "option {} is empty; write its text after the ~ or =",
                    letter_id(i)
                ));
            }
            options.push(Choice {
                id: letter_id(i),
                html: self.render(f, &text.replace('\n', " ")),
            });
            weights.push(w);
        }
        if options.len() < 2 {
            return skip("a multiple-choice question needs at least two options");
        }
        if single {
            let full: Vec<usize> = (0..weights.len())
                .filter(|&i| weights[i] >= 100.0)
                .collect();
            match full.as_slice() {
                [] => skip(
                    "no option is fully correct; mark the correct option with = (without a \
                     smaller % weight)",
                ),
                [k] => {
                    for (i, w) in weights.iter().enumerate() {
                        if *w > 0.0 && *w < 100.0 {
                            self.warn(format!(
                                "option {} gives {}% in Moodle; Ruji's multiple choice scores only \
                                 the correct option, so it counts as wrong (imported)",
                                letter_id(i),
                                pct(*w)
                            ));
                        }
                    }
                    Ok(ItemBody::MultipleChoice {
                        options,
                        key: letter_id(*k),
                    })
                }
                _ => {
                    skip(format!(
                    "options {} are all marked correct with =, but a multiple-choice question has \
                     one key; keep one = and mark the others with ~, or use weights such as \
                     ~%50% for a question with several correct options",
                    full.iter().map(|&i| letter_id(i)).collect::<Vec<_>>().join(", ")
                ))
                }
            }
        } else {
            let key: Vec<usize> = (0..weights.len()).filter(|&i| weights[i] > 0.0).collect();
            if key.is_empty() {
                return skip(
                    "no option is correct; mark the correct option with =, or give the correct \
                     options positive weights such as ~%50%",
                );
            }
            let first = weights[key[0]];
            if key.iter().any(|&i| (weights[i] - first).abs() > 1e-6) {
                self.warn(format!(
                    "the correct options have different weights ({}); Ruji scores every correct \
                     option equally, so they count the same here (imported)",
                    key.iter()
                        .map(|&i| format!("{} {}%", letter_id(i), pct(weights[i])))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            Ok(ItemBody::MultipleResponse {
                options,
                key: key.into_iter().map(letter_id).collect(),
            })
        }
    }

    /// `{=premise -> target ...}`; an empty premise adds a distractor target.
    fn matching(&self, format: Format, answers: &str) -> Result<ItemBody, Skip> {
        let parts = split_answers(answers, '=');
        if parts.len() < 2 {
            return skip("a matching question needs at least two pairs (=premise -> target)");
        }
        let mut premises = Vec::new();
        let mut targets: Vec<(String, Choice)> = Vec::new();
        let mut key = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            let Some((premise, target)) = part.split_once("->") else {
                return skip(format!(
                    "pair {} ({}) has no ->; write each pair as =premise -> target",
                    i + 1,
                    short(&restore(part))
                ));
            };
            let target = restore(target.trim())
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            if target.is_empty() {
                return skip(format!(
                    "pair {} has nothing after ->; write the matching answer after ->",
                    i + 1
                ));
            }
            let tid = match targets.iter().find(|(t, _)| *t == target) {
                Some((_, c)) => c.id.clone(),
                None => {
                    let id = format!("T{}", targets.len() + 1);
                    let html = self
                        .ctx
                        .html(&self.place, self.file, &self.ctx.text(&target));
                    targets.push((
                        target,
                        Choice {
                            id: id.clone(),
                            html,
                        },
                    ));
                    id
                }
            };
            let (f, premise) = self.format(premise.trim(), format);
            if premise.trim().is_empty() {
                continue; // a distractor: a target no premise goes with
            }
            let pid = format!("P{}", premises.len() + 1);
            premises.push(Choice {
                id: pid.clone(),
                html: self.render(f, premise),
            });
            key.push((pid, tid));
        }
        if premises.is_empty() {
            return skip("a matching question needs at least one pair with text before ->");
        }
        Ok(ItemBody::Matching {
            premises,
            targets: targets.into_iter().map(|(_, c)| c).collect(),
            key,
        })
    }

    /// `{=a =b}` or `{a}`: accepted typed answers.
    fn short_answer(&self, answers: &str) -> Result<ItemBody, Skip> {
        let mut accepted = Vec::new();
        for (i, part) in split_answers(answers, '=').iter().enumerate() {
            let (w, rest) = weight(part);
            let text = restore(strip_feedback(rest));
            let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
            if text.is_empty() {
                return skip(format!(
                    "accepted answer {} is empty; write it after the =",
                    i + 1
                ));
            }
            self.keep_answer(w.unwrap_or(100.0), text, &mut accepted);
        }
        self.accepted(accepted)
    }

    /// Adds a fully correct answer to `accepted`; explains why a partly correct one is dropped.
    fn keep_answer(&self, w: f64, text: String, accepted: &mut Vec<String>) {
        if w >= 100.0 {
            if text.chars().count() > SHORT_ANSWER_MAX_CHARS {
                self.error(format!(
                    "accepted answer {} is longer than the {SHORT_ANSWER_MAX_CHARS} characters a \
                     participant can type; it was left out",
                    short(&text)
                ));
            } else if !accepted.contains(&text) {
                accepted.push(text);
            }
        } else if w > 0.0 {
            self.error(format!(
                "answer {} gives {}% in Moodle; Ruji accepts an answer fully or not at all, so it \
                 was left out",
                short(&text),
                pct(w)
            ));
        }
    }

    fn accepted(&self, accepted: Vec<String>) -> Result<ItemBody, Skip> {
        if accepted.is_empty() {
            return skip("no answer is fully correct; write the accepted answers as =answer");
        }
        Ok(ItemBody::ShortAnswer {
            accepted,
            case_sensitive: false,
        })
    }

    /// `{#42}`, `{#=42 =43}`; tolerances and ranges other than exact are refused.
    fn numeric(&self, numbers: &str) -> Result<ItemBody, Skip> {
        let parts = if numbers.contains('=') {
            split_answers(numbers, '=')
        } else {
            vec![numbers.trim()]
        };
        let mut accepted = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            let (w, rest) = weight(part);
            let w = w.unwrap_or(100.0);
            let answer = strip_feedback(rest);
            if w <= 0.0 {
                continue; // only there to give feedback
            }
            if w < 100.0 {
                self.keep_answer(w, restore(answer), &mut accepted);
                continue;
            }
            if answer == "*" {
                return skip("the answer * accepts any number; list the accepted numbers instead");
            }
            let number = |s: &str| -> Result<String, Skip> {
                let s = s.trim();
                match s.replace(',', ".").parse::<f64>() {
                    Ok(v) if v.is_finite() => Ok(s.to_string()),
                    _ => skip(format!(
                        "answer {} of the numeric question, {}, is not a number; write it like \
                         {{#42}} or {{#3.5}}",
                        i + 1,
                        short(&restore(s))
                    )),
                }
            };
            let value = |s: &str| {
                s.trim()
                    .replace(',', ".")
                    .parse::<f64>()
                    .unwrap_or(f64::NAN)
            };
            let exact = if let Some((lo, hi)) = answer.split_once("..") {
                let (lo, hi) = (number(lo)?, number(hi)?);
                if value(&lo) != value(&hi) {
                    return skip(format!(
                        "the answer {lo}..{hi} accepts a range of numbers, which Ruji cannot \
                         score (its short answers accept exact values); list the accepted values \
                         as {{#={lo} =...}} or make it a multiple-choice question"
                    ));
                }
                lo
            } else if let Some((v, tol)) = answer.split_once(':') {
                let (v, tol) = (number(v)?, number(tol)?);
                if value(&tol) != 0.0 {
                    return skip(format!(
                        "the answer {v}:{tol} accepts {v} plus or minus {tol}, which Ruji cannot \
                         score (its short answers accept exact values); list the accepted values \
                         as {{#={v} =...}} or make it a multiple-choice question"
                    ));
                }
                v
            } else {
                number(answer)?
            };
            self.keep_answer(w, exact, &mut accepted);
        }
        self.accepted(accepted)
    }
}

/// `{T}` / `{F}` as a two-option multiple choice.
fn true_false(truth: bool) -> ItemBody {
    ItemBody::MultipleChoice {
        options: vec![
            Choice {
                id: "A".into(),
                html: "Benar".into(),
            },
            Choice {
                id: "B".into(),
                html: "Salah".into(),
            },
        ],
        key: if truth { "A" } else { "B" }.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Issue;
    use proptest::prelude::*;
    use ruji_package::source::Memory;
    use std::sync::Arc;

    /// Parses `text`: (bank, errors).
    fn run(text: &str) -> (Bank, Vec<Issue>) {
        let (bank, errors, _) = run_all(text);
        (bank, errors)
    }

    /// Parses `text`: (bank, errors, warnings).
    fn run_all(text: &str) -> (Bank, Vec<Issue>, Vec<Issue>) {
        let ctx = Ctx::standalone();
        let bank = parse(&ctx, "bank/soal.gift", text);
        let (_, errors, warnings) = ctx.finish_with_warnings();
        (bank, errors, warnings)
    }

    /// The one item of `text`, read with neither error nor warning.
    fn one(text: &str) -> Item {
        let (bank, issues, warnings) = run_all(text);
        assert!(issues.is_empty(), "{issues:?}");
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(bank.items.len(), 1, "{bank:?}");
        bank.items.into_iter().next().unwrap()
    }

    fn htmls(cs: &[Choice]) -> Vec<&str> {
        cs.iter().map(|c| c.html.as_str()).collect()
    }

    #[test]
    fn multiple_choice_with_title_feedback_and_missing_word() {
        let item = one(
            "// komentar\n::Ibu kota::Ibu kota Indonesia adalah {=Jakarta#Benar! ~Bandung#Bukan \
             ~Surabaya####Umpan balik umum}.",
        );
        assert_eq!(item.id, "Ibu-kota");
        assert_eq!(item.points, 1);
        assert_eq!(item.prompt, "Ibu kota Indonesia adalah _____.");
        let ItemBody::MultipleChoice { options, key } = item.body else {
            panic!("{item:?}")
        };
        assert_eq!(htmls(&options), ["Jakarta", "Bandung", "Surabaya"]);
        assert_eq!(options[2].id, "C");
        assert_eq!(key, "A");
    }

    #[test]
    fn answers_on_their_own_lines_and_no_gap_when_nothing_follows() {
        let item = one("Bacalah teks berikut. Apa gagasan utama paragraf kedua?\n{\n~Banjir\n=Gotong royong\n}");
        assert_eq!(
            item.prompt,
            "Bacalah teks berikut. Apa gagasan utama paragraf kedua?"
        );
        let ItemBody::MultipleChoice { key, .. } = item.body else {
            panic!()
        };
        assert_eq!(key, "B");
    }

    #[test]
    fn weighted_answers_become_multiple_response() {
        let item = one("Pilih bilangan prima. {~%50%2 ~%50%3 ~%-100%4}");
        let ItemBody::MultipleResponse { options, key } = item.body else {
            panic!()
        };
        assert_eq!(options.len(), 3);
        assert_eq!(key, ["A", "B"]);
        // Unequal weights are scored equally: imported, with a warning (not an error).
        let (bank, issues, warnings) = run_all("Pilih. {~%70%a ~%30%b ~c}");
        assert_eq!(bank.items.len(), 1);
        assert!(issues.is_empty(), "{issues:?}");
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].message.contains("equally"), "{warnings:?}");
        assert!(warnings[0].message.contains("A 70%, B 30%"), "{warnings:?}");
        assert!(warnings[0].message.contains("(imported)"), "{warnings:?}");
        assert_eq!(warnings[0].place, "bank/soal.gift:1");
    }

    #[test]
    fn true_false_in_all_spellings() {
        for (src, key) in [
            ("{T}", "A"),
            ("{TRUE}", "A"),
            ("{F}", "B"),
            ("{FALSE#salah}", "B"),
        ] {
            let item = one(&format!("Matahari terbit di timur. {src}"));
            let ItemBody::MultipleChoice { options, key: k } = item.body else {
                panic!()
            };
            assert_eq!(htmls(&options), ["Benar", "Salah"]);
            assert_eq!(k, key, "{src}");
        }
    }

    #[test]
    fn short_answer_and_plain_word() {
        let item = one("Siapa proklamator Indonesia? {=Soekarno =Sukarno =Ir. Soekarno#Ya}");
        assert_eq!(
            item.body,
            ItemBody::ShortAnswer {
                accepted: vec!["Soekarno".into(), "Sukarno".into(), "Ir. Soekarno".into()],
                case_sensitive: false
            }
        );
        let item = one("Dua tambah dua? {empat}");
        assert!(
            matches!(item.body, ItemBody::ShortAnswer { ref accepted, .. } if accepted == &["empat"])
        );
    }

    #[test]
    fn matching_shares_identical_targets_and_keeps_distractors() {
        let item = one(
            "Pasangkan hewan dengan kelasnya. {\n=Kucing -> Mamalia\n=Paus -> Mamalia\n=Elang -> Burung\n= -> Reptil\n}",
        );
        let ItemBody::Matching {
            premises,
            targets,
            key,
        } = item.body
        else {
            panic!()
        };
        assert_eq!(htmls(&premises), ["Kucing", "Paus", "Elang"]);
        assert_eq!(htmls(&targets), ["Mamalia", "Burung", "Reptil"]);
        let ids: Vec<_> = targets.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["T1", "T2", "T3"]);
        let k: Vec<(&str, &str)> = key.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        assert_eq!(k, [("P1", "T1"), ("P2", "T1"), ("P3", "T2")]);
    }

    #[test]
    fn essay_with_and_without_general_feedback() {
        for src in [
            "Ceritakan liburanmu. {}",
            "Ceritakan liburanmu. {####Minimal 100 kata}",
        ] {
            assert_eq!(one(src).body, ItemBody::Essay { max_chars: 5000 });
        }
    }

    #[test]
    fn numeric_exact_values_and_refused_tolerances() {
        let sa = |v: &[&str]| ItemBody::ShortAnswer {
            accepted: v.iter().map(|s| s.to_string()).collect(),
            case_sensitive: false,
        };
        assert_eq!(one("Berapa 6 x 7? {#42}").body, sa(&["42"]));
        assert_eq!(
            one("Akar dari 4? {#=2 =-2#juga benar}").body,
            sa(&["2", "-2"])
        );
        assert_eq!(one("Pi dua angka? {#3.14:0}").body, sa(&["3.14"]));
        assert_eq!(one("Lima? {#5..5}").body, sa(&["5"]));
        let (bank, issues) = run("Tahun? {#=1945 =%50%1944 =%0%1000#jauh}");
        assert_eq!(bank.items[0].body, sa(&["1945"]));
        assert_eq!(issues.len(), 1);
        assert!(issues[0].message.contains("50%"), "{issues:?}");
        for src in [
            "Pi? {#3.14:0.01}",
            "Antara satu dan lima? {#1..5}",
            "X? {#=3:1 =4}",
        ] {
            let (bank, issues) = run(src);
            assert!(bank.items.is_empty(), "{src}");
            assert_eq!(issues.len(), 1, "{src}: {issues:?}");
            assert!(issues[0].message.contains("exact values"), "{issues:?}");
            assert!(issues[0].message.contains("not imported"), "{issues:?}");
        }
        let (bank, issues) = run("Berapa? {#empat puluh}");
        assert!(bank.items.is_empty());
        assert!(issues[0].message.contains("not a number"), "{issues:?}");
    }

    #[test]
    fn escapes_are_literal() {
        let item = one(
            "::Soal 1\\: Simbol::Tanda \\= dan \\~ serta \\{kurung\\} dan \\# pagar\\\\.\\nBaris baru \
             {=a \\= b ~c\\~d}",
        );
        assert_eq!(item.id, "Soal-1-Simbol");
        assert_eq!(
            item.prompt,
            "Tanda = dan ~ serta {kurung} dan # pagar\\.<br>Baris baru"
        );
        let ItemBody::MultipleChoice { options, .. } = item.body else {
            panic!()
        };
        assert_eq!(htmls(&options), ["a = b", "c~d"]);
    }

    #[test]
    fn format_markers() {
        let item =
            one("[html]<p>Perhatikan <b>gambar</b>.</p>\n<p>Lalu jawab.</p>{=[plain]<b> ~x}");
        assert_eq!(
            item.prompt,
            "<p>Perhatikan <b>gambar</b>.</p>\n<p>Lalu jawab.</p>"
        );
        let ItemBody::MultipleChoice { options, .. } = item.body else {
            panic!()
        };
        assert_eq!(options[0].html, "&lt;b&gt;");
        let item = one("[plain]1 < 2 & \"benar\"\nbaris dua {T}");
        assert_eq!(item.prompt, "1 &lt; 2 &amp; \"benar\"<br>baris dua");
        let item = one("[markdown]Apa itu **tebal**? {T}");
        assert_eq!(item.prompt, "Apa itu **tebal**?");
        let item = one("[moodle]Baris satu\nbaris <i>dua</i><script>x()</script> {T}");
        assert_eq!(item.prompt, "Baris satu<br>baris <i>dua</i>");
        // An unknown marker is kept as text: a warning, not an error.
        let (bank, issues, warnings) = run_all("::a::[htm]<b>Teks</b> {T}");
        assert_eq!(bank.items.len(), 1);
        assert!(bank.items[0].prompt.starts_with("[htm]"), "{bank:?}");
        assert!(issues.is_empty(), "{issues:?}");
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0]
            .message
            .contains("[htm] is not a GIFT format marker"));
        assert!(
            warnings[0].message.contains("kept as part of the text"),
            "{warnings:?}"
        );
    }

    #[test]
    fn descriptions_become_stimuli_for_the_questions_after_them() {
        let (bank, issues) = run(
            "::Teks Banjir::Banjir melanda desa. Warga bergotong royong.\n\n\
             Apa yang melanda desa? {=Banjir ~Gempa}\n\n\
             Apa yang dilakukan warga? {=Gotong royong ~Mengungsi}\n\n\
             Teks kedua tanpa judul.\n\n\
             Soal dengan teks kedua. {T}\n\n\
             $CATEGORY: $course$/Bahasa\n\n\
             Soal tanpa teks. {F}",
        );
        assert!(issues.is_empty(), "{issues:?}");
        let ids: Vec<_> = bank.stimuli.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["Teks-Banjir", "soal-4"]);
        assert_eq!(bank.stimuli[0].title, "Teks Banjir");
        assert_eq!(bank.stimuli[1].title, "");
        let st: Vec<_> = bank.items.iter().map(|i| i.stimulus.as_deref()).collect();
        assert_eq!(
            st,
            [
                Some("Teks-Banjir"),
                Some("Teks-Banjir"),
                Some("soal-4"),
                None
            ]
        );
        let ids: Vec<_> = bank.items.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["soal-2", "soal-3", "soal-5", "soal-6"]);
    }

    #[test]
    fn ids_are_unique_and_category_line_may_head_a_question() {
        let (bank, issues) =
            run("$CATEGORY: Ujian\n::Q::Satu {T}\n\n::Q::Dua {F}\n\n::?!::Tiga {T}");
        assert!(issues.is_empty(), "{issues:?}");
        let ids: Vec<_> = bank.items.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["Q", "Q-2", "soal-3"]);
    }

    #[test]
    fn bad_questions_are_reported_at_their_line_and_parsing_goes_on() {
        let text = "// awal\n\
                    Tidak ditutup {=a ~b\n\n\
                    \n\
                    // komentar\n\
                    Tanpa kunci {~a ~b}\n\n\
                    Dua kunci {=a =b ~c}\n\n\
                    ::Judul tanpa tutup Apa? {T}\n\n\
                    Kurung } terbalik {T}\n\n\
                    Dua blok {T} dan {F}\n\n\
                    {=a ~b}\n\n\
                    Pilihan kosong {=a ~ ~c}\n\n\
                    Satu pilihan {~=a}\n\n\
                    Satu pilihan lagi {=a ~}\n\n\
                    Jodoh {=a -> 1 =b}\n\n\
                    Soal baik {T}";
        let (bank, issues) = run(text);
        assert_eq!(bank.items.len(), 1, "{bank:?}");
        assert_eq!(bank.items[0].prompt, "Soal baik");
        let got: Vec<(&str, &str)> = issues
            .iter()
            .map(|i| (i.place.as_str(), i.message.as_str()))
            .collect();
        let expect = [
            (2, "never closed"),
            (6, "no option is correct"),
            (8, "options A, B are all marked correct"),
            (10, "not closed with ::"),
            (12, "} without a { before it"),
            (14, "more than one { } answer block"),
            (16, "no question text"),
            (18, "option B is empty"),
            (20, "at least two options"),
            (22, "option B is empty"),
            (24, "pair 2"),
        ];
        assert_eq!(got.len(), expect.len(), "{got:#?}");
        for ((place, msg), (line, want)) in got.iter().zip(expect) {
            assert_eq!(*place, format!("bank/soal.gift:{line}"), "{msg}");
            assert!(msg.contains(want), "{msg} should contain {want}");
            assert!(msg.ends_with("not imported"), "{msg}");
        }
    }

    #[test]
    fn crlf_bom_and_relative_pictures() {
        let mut m = Memory::default();
        m.files
            .insert("bank/gambar/peta.png".into(), b"\x89PNG fake".to_vec());
        let ctx = Ctx::new(Arc::new(m));
        let bank = parse(
            &ctx,
            "bank/soal.gift",
            "\u{feff}// judul\r\n::Peta::Lihat <img src=\"gambar/peta.png\" alt=\"Peta\">\r\nPulau apa? {\r\n=Jawa\r\n~Bali\r\n}\r\n\r\nLagi {T}\r",
        );
        let (assets, issues) = ctx.finish();
        assert!(issues.is_empty(), "{issues:?}");
        assert_eq!(bank.items.len(), 2);
        assert_eq!(assets.len(), 1);
        let name = assets.iter().next().unwrap().0;
        assert!(
            bank.items[0].prompt.contains(&format!("src=\"/a/{name}\"")),
            "{}",
            bank.items[0].prompt
        );
        assert!(!bank.items[0].prompt.contains('\r'));
    }

    #[test]
    fn partial_credit_in_single_choice_is_explained() {
        let (bank, issues, warnings) = run_all("Pilih. {=a ~%50%b ~c}");
        assert!(
            matches!(bank.items[0].body, ItemBody::MultipleChoice { ref key, .. } if key == "A")
        );
        assert!(issues.is_empty(), "{issues:?}");
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].message.contains("option B gives 50%"),
            "{warnings:?}"
        );
        assert!(
            warnings[0].message.contains("counts as wrong"),
            "{warnings:?}"
        );
    }

    #[test]
    fn long_titles_give_ids_that_stay_valid_when_made_unique() {
        let title = "Soal ".repeat(30);
        let (bank, issues) = run(&format!("::{title}::Satu {{T}}\n\n::{title}::Dua {{F}}"));
        assert!(issues.is_empty(), "{issues:?}");
        assert!(bank.items.iter().all(|i| i.id.len() <= 64), "{bank:?}");
        assert_ne!(bank.items[0].id, bank.items[1].id);
        let ctx = Ctx::standalone();
        let file = format!("{}.gift", "x".repeat(100));
        let bank = parse(&ctx, &file, "Satu {T}");
        assert_eq!(bank.items[0].id, format!("{}-1", "x".repeat(40)));
    }

    #[test]
    fn a_broken_stimulus_ends_the_previous_one() {
        let (bank, issues) =
            run("::Teks A::Bacaan A.\n\nSoal A {T}\n\n::Teks B tanpa tutup\n\nSoal B {T}");
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!(issues[0].place, "bank/soal.gift:5");
        let st: Vec<_> = bank.items.iter().map(|i| i.stimulus.as_deref()).collect();
        assert_eq!(st, [Some("Teks-A"), None]);
    }

    #[test]
    fn letter_ids_go_past_z() {
        assert_eq!(letter_id(0), "A");
        assert_eq!(letter_id(25), "Z");
        assert_eq!(letter_id(26), "AA");
        assert_eq!(letter_id(27), "AB");
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC*") {
            let _ = run(&s);
        }

        #[test]
        fn never_panics_on_gift_like_text(
            s in "([-{}~=#:>%.\\\\ \n\r\u{feff}\u{e000}\\[\\]a-zT0-9]|::|->|\\.\\.|\\[html\\]|\\$CATEGORY:|//){0,80}"
        ) {
            let _ = run(&s);
        }
    }
}
