//! QTI 2.1/2.2 items (`assessmentItem`) and IMS content packages (`imsmanifest.xml`).
//!
//! One interaction per item is taken and mapped onto the native model:
//!
//! | QTI interaction                               | Ruji item                 |
//! |-----------------------------------------------|---------------------------|
//! | `choiceInteraction` with `maxChoices="1"`     | multiple choice           |
//! | `choiceInteraction`, other `maxChoices`       | multiple response         |
//! | `matchInteraction`, `associateInteraction`    | matching                  |
//! | `textEntryInteraction`                        | short answer              |
//! | `extendedTextInteraction`                     | essay                     |
//!
//! The item body around the interaction, with the interaction's `<prompt>` in its place (a text
//! entry becomes a blank `_____`), becomes the prompt. Feedback, template and scorer-only rubric
//! blocks are left out. Every piece of HTML goes through [`Ctx::html`], which cleans it and turns
//! pictures (`<img src>`, and `<object data>` of a picture, sound or video type) into assets.
//!
//! The key comes from `<correctResponse>`, or, when there is none, from the `<mapping>` entries
//! that give points. Points come from the `MAXSCORE` outcome, else the mapping's `upperBound`,
//! else the `SCORE` outcome's `normalMaximum`, when whole; otherwise 1. `responseProcessing` is
//! not run: Ruji scores by its own documented rules (`ruji_core::score`).
//!
//! MathML is kept as its text, and an item without a usable identifier takes its file name: both
//! are imported with a warning ([`Ctx::warn`]). What is skipped or removed is an error.
//!
//! Elements are matched by local name in the QTI 2.0/2.1/2.2 namespaces, with any prefix, or in
//! no namespace at all. Items with several interactions, an unsupported interaction (hotspot,
//! order, gap match, slider...) or template variables are reported and skipped.

use std::cell::Cell;
use std::collections::BTreeSet;

use roxmltree::{Document, Node, NodeId, ParsingOptions};
use ruji_core::package::{Choice, Item, ItemBody, SHORT_ANSWER_MAX_CHARS};

use super::{id_from, unique_id, Bank};
use crate::sanitize::Ctx;
use ruji_package::assets::mime_of;
use ruji_package::source::{dir_of, resolve};

/// The QTI namespaces read (2.1, 2.2, and 2.0 which has the same item model).
pub const NAMESPACES: &[&str] = &[
    "http://www.imsglobal.org/xsd/imsqti_v2p1",
    "http://www.imsglobal.org/xsd/imsqti_v2p2",
    "http://www.imsglobal.org/xsd/imsqti_v2p0",
];

/// Name of the IMS content package manifest.
pub const MANIFEST: &str = "imsmanifest.xml";

/// Essay length when the item gives no `expectedLength`.
pub const ESSAY_DEFAULT_CHARS: u32 = 5000;

/// Longest essay limit set from an `expectedLength`.
const ESSAY_MAX_CHARS: u32 = 100_000;

/// Deepest element nesting accepted (real items stay far below; the HTML writer recurses).
const MAX_DEPTH: usize = 200;

/// Most points an item may carry (anything above is surely a mistake in the file).
const MAX_POINTS: f64 = 1000.0;

const MATHML: &str = "http://www.w3.org/1998/Math/MathML";
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// Interactions Ruji takes.
const SUPPORTED: &[&str] = &[
    "choiceInteraction",
    "matchInteraction",
    "associateInteraction",
    "textEntryInteraction",
    "extendedTextInteraction",
];

/// HTML entity names that editors leave in exported XML although XML does not know them; used
/// only when parsing failed on an unknown entity.
const HTML_ENTITIES: &[(&str, u32)] = &[
    ("nbsp", 160),
    ("iexcl", 161),
    ("copy", 169),
    ("laquo", 171),
    ("reg", 174),
    ("deg", 176),
    ("plusmn", 177),
    ("sup2", 178),
    ("sup3", 179),
    ("micro", 181),
    ("middot", 183),
    ("raquo", 187),
    ("frac14", 188),
    ("frac12", 189),
    ("frac34", 190),
    ("times", 215),
    ("eacute", 233),
    ("divide", 247),
    ("alpha", 945),
    ("beta", 946),
    ("pi", 960),
    ("ndash", 8211),
    ("mdash", 8212),
    ("lsquo", 8216),
    ("rsquo", 8217),
    ("ldquo", 8220),
    ("rdquo", 8221),
    ("bull", 8226),
    ("hellip", 8230),
    ("minus", 8722),
    ("ne", 8800),
    ("le", 8804),
    ("ge", 8805),
];

/// Quick sniff: is this text a QTI `assessmentItem` document (its root element, with any
/// prefix)? Reads only the start of the text; [`parse_item`] has the final word.
pub fn is_qti(xml: &str) -> bool {
    root_name(xml).is_some_and(|n| n.rsplit(':').next() == Some("assessmentItem"))
}

/// The name of the first element of `xml`, skipping the declaration, comments and DOCTYPE.
fn root_name(xml: &str) -> Option<&str> {
    let mut rest = xml.trim_start_matches('\u{feff}');
    for _ in 0..64 {
        rest = &rest[rest.find('<')?..];
        if let Some(r) = rest.strip_prefix("<?") {
            rest = &r[r.find("?>")? + 2..];
        } else if let Some(r) = rest.strip_prefix("<!--") {
            rest = &r[r.find("-->")? + 3..];
        } else if let Some(r) = rest.strip_prefix("<!") {
            // DOCTYPE, possibly with an internal subset in brackets.
            let end = match (r.find('['), r.find('>')) {
                (Some(b), Some(g)) if b < g => b + r[b..].find("]")? + 1,
                _ => 0,
            };
            rest = &r[end + r[end..].find('>')? + 1..];
        } else {
            let r = &rest[1..];
            let end = r
                .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
                .unwrap_or(r.len());
            return Some(&r[..end]).filter(|n| !n.is_empty());
        }
    }
    None
}

fn options<'a>() -> ParsingOptions<'a> {
    ParsingOptions {
        // roxmltree guards against entity expansion attacks; external entities are never read.
        allow_dtd: true,
        nodes_limit: 2_000_000,
        ..ParsingOptions::default()
    }
}

/// `xml` with the known HTML entity names replaced by character references, if any was found.
fn html_entities(xml: &str) -> Option<String> {
    let mut out = xml.to_string();
    for (name, code) in HTML_ENTITIES {
        out = out.replace(&format!("&{name};"), &format!("&#{code};"));
    }
    (out != xml).then_some(out)
}

fn in_qti_ns(ns: Option<&str>) -> bool {
    ns.is_none_or(|ns| NAMESPACES.contains(&ns))
}

/// A QTI element (any prefix or none).
fn qti(n: Node) -> bool {
    n.is_element() && in_qti_ns(n.tag_name().namespace())
}

/// A QTI element called `name`.
fn is(n: Node, name: &str) -> bool {
    qti(n) && n.tag_name().name() == name
}

/// The first QTI child called `name`.
fn child<'a, 'i>(n: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    n.children().find(|c| is(*c, name))
}

/// The QTI children called `name`.
fn children<'a, 'i: 'a>(n: Node<'a, 'i>, name: &'a str) -> impl Iterator<Item = Node<'a, 'i>> {
    n.children().filter(move |c| is(*c, name))
}

/// All text inside `n`, trimmed.
fn text_of(n: Node) -> String {
    let s: String = n
        .descendants()
        .filter(|d| d.is_text())
        .filter_map(|d| d.text())
        .collect();
    s.trim().to_string()
}

/// Reads one `assessmentItem` document. `file` is its path inside `ctx.source()`: problems are
/// reported as `"<file>"` or `"<file>: <interaction>"`, and pictures are looked up next to it.
/// Returns `None` (with the reason reported) for an item that cannot be taken.
pub fn parse_item(ctx: &Ctx, file: &str, xml: &str) -> Option<Item> {
    let first = Document::parse_with_options(xml, options());
    let fixed = match &first {
        Err(roxmltree::Error::UnknownEntityReference(..)) => html_entities(xml),
        _ => None,
    };
    let parsed = match &fixed {
        Some(f) => Document::parse_with_options(f, options()),
        None => first,
    };
    let doc = match parsed {
        Ok(d) => d,
        Err(e) => {
            let hint = match e {
                roxmltree::Error::UnknownEntityReference(..) => {
                    " (HTML entity names are not XML: write a character reference such as &#160;)"
                }
                _ => "",
            };
            ctx.issue(
                file,
                format!("not well-formed XML: {e}{hint}; fix the file or export it again"),
            );
            return None;
        }
    };
    let root = doc.root_element();
    if too_deep(root) {
        ctx.issue(
            file,
            format!("elements are nested more than {MAX_DEPTH} levels deep; this is not an item Ruji can show; skipped"),
        );
        return None;
    }
    if !check_root(ctx, file, root) {
        return None;
    }
    let raw_id = root.attribute("identifier").unwrap_or("");
    let mut id = id_from(raw_id);
    if id.is_empty() {
        let stem = file.rsplit('/').next().unwrap_or(file);
        let stem = stem.rsplit_once('.').map_or(stem, |(s, _)| s);
        id = Some(id_from(stem))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "item".into());
        ctx.warn(
            file,
            format!("the assessmentItem has no usable identifier; imported with the id \"{id}\" (from the file name)"),
        );
    }
    if child(root, "templateDeclaration").is_some() || child(root, "templateProcessing").is_some() {
        ctx.issue(
            file,
            "uses template variables (values generated per candidate), which Ruji does not support; write the item with fixed values; skipped",
        );
        return None;
    }
    let Some(body) = child(root, "itemBody") else {
        ctx.issue(file, "has no itemBody: nothing to show; skipped");
        return None;
    };
    let inters: Vec<Node> = body
        .descendants()
        .filter(|n| qti(*n) && n.tag_name().name().ends_with("Interaction"))
        .collect();
    let inter = match inters.as_slice() {
        [] => {
            ctx.issue(file, "has no interaction: nothing to answer; skipped");
            return None;
        }
        [one] => *one,
        many => {
            let names: Vec<&str> = many.iter().map(|n| n.tag_name().name()).collect();
            ctx.issue(
                file,
                format!(
                    "has {} interactions ({}); Ruji takes one interaction per item: split it into separate items; skipped",
                    many.len(),
                    names.join(", ")
                ),
            );
            return None;
        }
    };
    let kind = inter.tag_name().name();
    let place = format!("{file}: {kind}");
    if !SUPPORTED.contains(&kind) {
        ctx.issue(
            &place,
            format!("{kind} is not supported (Ruji takes choice, match, associate, text entry and extended text interactions); item skipped"),
        );
        return None;
    }
    let decl = inter.attribute("responseIdentifier").and_then(|r| {
        children(root, "responseDeclaration").find(|d| d.attribute("identifier") == Some(r))
    });
    let resp = decl.map(Response::read);
    if resp.is_none() && kind != "extendedTextInteraction" {
        ctx.issue(
            &place,
            format!(
                "no responseDeclaration with identifier \"{}\" (the interaction's responseIdentifier): the answer key is missing; item skipped",
                inter.attribute("responseIdentifier").unwrap_or("")
            ),
        );
        return None;
    }
    let resp = resp.unwrap_or_default();
    let html = Html::new(ctx, file, &place);
    let item_body = match kind {
        "choiceInteraction" => choice(&html, inter, &resp)?,
        "matchInteraction" => matching(&html, inter, &resp)?,
        "associateInteraction" => associate(&html, inter, &resp)?,
        "textEntryInteraction" => short_answer(ctx, &place, &resp)?,
        _ => essay(ctx, &place, inter),
    };
    let prompt = html.prompt(body, inter);
    if html.had_math.get() {
        // Plain text can change a formula's meaning (1/2 reads "1 2"): an error, not a note.
        ctx.issue(
            file,
            "contains MathML formulas, which Ruji can only show as plain text (1/2 would read \"1 2\"); put each formula in a picture, or write it as text (1/2)",
        );
    }
    Some(Item {
        id,
        stimulus: None,
        prompt,
        points: points(ctx, file, root, &resp),
        body: item_body,
    })
}

/// Whether elements under `root` nest deeper than [`MAX_DEPTH`] (node ids are dense and a
/// parent comes before its children, so one pass in document order finds every depth).
fn too_deep(root: Node) -> bool {
    let mut depth: Vec<usize> = Vec::new();
    for n in root.descendants() {
        let id = n.id().get_usize();
        let here = match n.parent() {
            Some(p) if p.id() != n.id() && p.id().get_usize() < depth.len() => {
                depth[p.id().get_usize()] + 1
            }
            _ => 1,
        };
        if here > MAX_DEPTH {
            return true;
        }
        if depth.len() <= id {
            depth.resize(id + 1, 0);
        }
        depth[id] = here;
    }
    false
}

/// Checks the root element is a QTI 2.x `assessmentItem`; reports what it is otherwise.
fn check_root(ctx: &Ctx, file: &str, root: Node) -> bool {
    let name = root.tag_name().name();
    let ns = root.tag_name().namespace();
    let message = match name {
        "assessmentItem" if in_qti_ns(ns) => return true,
        "assessmentItem" => format!(
            "the assessmentItem is in namespace {}, not QTI 2.1 or 2.2; export the item as QTI 2.1 or 2.2",
            ns.unwrap_or("")
        ),
        "questestinterop" => {
            "is QTI 1.2, which Ruji does not read; export the items as QTI 2.1 or 2.2".to_string()
        }
        n if n.starts_with("qti-") => {
            "is QTI 3.0, which Ruji does not read; export the items as QTI 2.1 or 2.2".to_string()
        }
        "assessmentTest" => {
            "is an assessmentTest (a test listing items), not an item; import the content package (zip with imsmanifest.xml) that holds it".to_string()
        }
        n => format!("not a QTI item: the root element is <{n}>, expected <assessmentItem>"),
    };
    ctx.issue(file, message);
    false
}

/// One `<mapEntry>`.
struct MapEntry {
    key: String,
    value: f64,
    case_sensitive: bool,
}

/// What a `<responseDeclaration>` says about the key.
#[derive(Default)]
struct Response {
    /// `<correctResponse>` values.
    correct: Vec<String>,
    /// `<mapping>` entries.
    entries: Vec<MapEntry>,
    /// `<mapping upperBound>`.
    upper_bound: Option<String>,
}

impl Response {
    fn read(decl: Node) -> Response {
        let correct = child(decl, "correctResponse")
            .map(|c| children(c, "value").map(text_of).collect())
            .unwrap_or_default();
        let mapping = child(decl, "mapping");
        let entries = mapping
            .map(|m| {
                children(m, "mapEntry")
                    .map(|e| MapEntry {
                        key: e.attribute("mapKey").unwrap_or("").trim().to_string(),
                        value: e
                            .attribute("mappedValue")
                            .and_then(|v| v.trim().parse().ok())
                            .unwrap_or(0.0),
                        case_sensitive: e
                            .attribute("caseSensitive")
                            .is_some_and(|v| matches!(v.trim(), "true" | "1")),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Response {
            correct,
            entries,
            upper_bound: mapping.and_then(|m| m.attribute("upperBound").map(str::to_string)),
        }
    }

    /// Mapping entries that give points.
    fn positive(&self) -> impl Iterator<Item = &MapEntry> {
        self.entries
            .iter()
            .filter(|e| e.value > 0.0 && !e.key.is_empty())
    }

    /// The correct values: `<correctResponse>`, else the mapping keys that give points.
    fn key_values(&self) -> Vec<String> {
        if self.correct.iter().any(|v| !v.is_empty()) {
            self.correct
                .iter()
                .filter(|v| !v.is_empty())
                .cloned()
                .collect()
        } else {
            self.positive().map(|e| e.key.clone()).collect()
        }
    }
}

const NO_KEY: &str = "no correctResponse (and no mapping entry giving points): the answer key is missing; add a <correctResponse>; item skipped";

/// Choices with their cleaned ids: (raw identifier, id, element).
type Choices<'a, 'i> = Vec<(String, String, Node<'a, 'i>)>;

/// The choices called `name` under `parent`, with cleaned, unique ids.
fn choice_list<'a, 'i: 'a>(
    html: &Html,
    parent: Node<'a, 'i>,
    name: &'a str,
) -> Option<Choices<'a, 'i>> {
    let mut out: Choices = Vec::new();
    let mut seen = BTreeSet::new();
    for c in children(parent, name) {
        let raw = c.attribute("identifier").unwrap_or("").trim().to_string();
        let id = id_from(&raw);
        if id.is_empty() {
            html.issue(format!(
                "a {name} has no usable identifier \"{raw}\" (letters, digits, '-' or '_'); item skipped"
            ));
            return None;
        }
        if !seen.insert(id.clone()) {
            html.issue(format!(
                "two {name}s have the identifier \"{id}\" (after cleaning); give each its own; item skipped"
            ));
            return None;
        }
        out.push((raw, id, c));
    }
    Some(out)
}

/// The cleaned id of the choice whose raw identifier is `raw`.
fn find_id(list: &Choices, raw: &str) -> Option<String> {
    list.iter()
        .find(|(r, _, _)| r == raw)
        .map(|(_, id, _)| id.clone())
}

fn choice(html: &Html, inter: Node, resp: &Response) -> Option<ItemBody> {
    let list = choice_list(html, inter, "simpleChoice")?;
    if list.len() < 2 {
        html.issue(format!(
            "has {} simpleChoice; a choice question needs at least two; item skipped",
            list.len()
        ));
        return None;
    }
    let max = inter.attribute("maxChoices").unwrap_or("1").trim();
    let values = resp.key_values();
    if values.is_empty() {
        html.issue(NO_KEY);
        return None;
    }
    let mut key = Vec::new();
    for v in &values {
        match find_id(&list, v) {
            Some(id) if !key.contains(&id) => key.push(id),
            Some(_) => {}
            None => {
                html.issue(format!(
                    "the key names \"{v}\", which is not one of the simpleChoice identifiers; item skipped"
                ));
                return None;
            }
        }
    }
    if max == "1" {
        if key.len() != 1 {
            html.issue(format!(
                "maxChoices is 1 but the key names {} choices ({}); give one correct choice, or raise maxChoices for a several-answer question; item skipped",
                key.len(),
                key.join(", ")
            ));
            return None;
        }
        Some(ItemBody::MultipleChoice {
            options: html.choices(&list),
            key: key.remove(0),
        })
    } else {
        Some(ItemBody::MultipleResponse {
            options: html.choices(&list),
            key,
        })
    }
}

/// Raw (first, second) pairs from the key values (`"P T"`).
fn raw_pairs(html: &Html, resp: &Response) -> Option<Vec<(String, String)>> {
    let values = resp.key_values();
    if values.is_empty() {
        html.issue(NO_KEY);
        return None;
    }
    let mut out = Vec::new();
    for v in values {
        let parts: Vec<&str> = v.split_whitespace().collect();
        let [a, b] = parts.as_slice() else {
            html.issue(format!(
                "key value \"{v}\" is not a pair of two identifiers; item skipped"
            ));
            return None;
        };
        let pair = (a.to_string(), b.to_string());
        if !out.contains(&pair) {
            out.push(pair);
        }
    }
    Some(out)
}

/// Checks that each premise has exactly one pair and turns raw pairs into cleaned ids.
fn matching_key(
    html: &Html,
    premises: &Choices,
    targets: &Choices,
    pairs: &[(String, String)],
) -> Option<Vec<(String, String)>> {
    let mut key = Vec::new();
    for (raw, id, _) in premises {
        let mine: Vec<&(String, String)> = pairs.iter().filter(|(p, _)| p == raw).collect();
        match mine.as_slice() {
            [] => {
                html.issue(format!(
                    "premise \"{raw}\" has no pair in the key; every premise needs exactly one correct target; item skipped"
                ));
                return None;
            }
            [(_, t)] => key.push((id.clone(), find_id(targets, t)?)),
            many => {
                html.issue(format!(
                    "premise \"{raw}\" has {} correct targets; Ruji pairs each premise with exactly one target; item skipped",
                    many.len()
                ));
                return None;
            }
        }
    }
    Some(key)
}

fn matching(html: &Html, inter: Node, resp: &Response) -> Option<ItemBody> {
    let sets: Vec<Node> = children(inter, "simpleMatchSet").collect();
    let [first, second] = sets.as_slice() else {
        html.issue(format!(
            "has {} simpleMatchSet; a match needs exactly two (premises, then targets); item skipped",
            sets.len()
        ));
        return None;
    };
    let premises = choice_list(html, *first, "simpleAssociableChoice")?;
    let targets = choice_list(html, *second, "simpleAssociableChoice")?;
    if premises.is_empty() || targets.is_empty() {
        html.issue("a simpleMatchSet has no simpleAssociableChoice; item skipped");
        return None;
    }
    let has = |l: &Choices, r: &str| l.iter().any(|(raw, _, _)| raw == r);
    let mut pairs = Vec::new();
    for (a, b) in raw_pairs(html, resp)? {
        if has(&premises, &a) && has(&targets, &b) {
            pairs.push((a, b));
        } else if has(&premises, &b) && has(&targets, &a) {
            pairs.push((b, a));
        } else {
            html.issue(format!(
                "key pair \"{a} {b}\" does not name a choice of the first set and one of the second; item skipped"
            ));
            return None;
        }
    }
    let key = matching_key(html, &premises, &targets, &pairs)?;
    Some(ItemBody::Matching {
        premises: html.choices(&premises),
        targets: html.choices(&targets),
        key,
    })
}

/// `associateInteraction`: one pool of choices, undirected pairs. The first choice of each pair
/// becomes a premise (pairs are turned round where needed so that no choice is on both sides);
/// every other choice, paired or not, is a target.
fn associate(html: &Html, inter: Node, resp: &Response) -> Option<ItemBody> {
    let pool = choice_list(html, inter, "simpleAssociableChoice")?;
    if pool.len() < 2 {
        html.issue("an associate question needs at least two simpleAssociableChoice; item skipped");
        return None;
    }
    let mut left = BTreeSet::new();
    let mut right = BTreeSet::new();
    let mut pairs = Vec::new();
    for (a, b) in raw_pairs(html, resp)? {
        for c in [&a, &b] {
            if !pool.iter().any(|(raw, _, _)| raw == c) {
                html.issue(format!(
                    "key pair \"{a} {b}\" names \"{c}\", which is not one of the simpleAssociableChoice identifiers; item skipped"
                ));
                return None;
            }
        }
        let (p, t) = if right.contains(&a) || left.contains(&b) {
            (b, a)
        } else {
            (a, b)
        };
        if right.contains(&p) || left.contains(&t) || p == t {
            html.issue(format!(
                "the key pairs do not split into two columns (\"{p}\" and \"{t}\" appear on both sides); write it as a matchInteraction with two sets; item skipped"
            ));
            return None;
        }
        left.insert(p.clone());
        right.insert(t.clone());
        pairs.push((p, t));
    }
    let (premises, targets): (Choices, Choices) =
        pool.into_iter().partition(|(raw, _, _)| left.contains(raw));
    let key = matching_key(html, &premises, &targets, &pairs)?;
    Some(ItemBody::Matching {
        premises: html.choices(&premises),
        targets: html.choices(&targets),
        key,
    })
}

fn short_answer(ctx: &Ctx, place: &str, resp: &Response) -> Option<ItemBody> {
    let mut accepted: Vec<String> = Vec::new();
    let values = resp.correct.iter().chain(resp.positive().map(|e| &e.key));
    for v in values.map(|v| v.trim()).filter(|v| !v.is_empty()) {
        if !accepted.iter().any(|a| a == v) {
            accepted.push(v.to_string());
        }
    }
    if accepted.is_empty() {
        ctx.issue(place, NO_KEY);
        return None;
    }
    for a in &accepted {
        if a.chars().count() > SHORT_ANSWER_MAX_CHARS {
            ctx.issue(
                place,
                format!("accepted answer \"{a}\" is longer than the {SHORT_ANSWER_MAX_CHARS} characters a short answer may have; nobody can type it"),
            );
        }
    }
    Some(ItemBody::ShortAnswer {
        accepted,
        case_sensitive: resp.positive().any(|e| e.case_sensitive),
    })
}

/// An essay's limit: twice the `expectedLength` (which QTI defines as a hint for the size of the
/// box, not a limit), at most [`ESSAY_MAX_CHARS`]; else [`ESSAY_DEFAULT_CHARS`].
fn essay(ctx: &Ctx, place: &str, inter: Node) -> ItemBody {
    let given = inter.attribute("expectedLength");
    let max_chars = match given.map(|v| v.trim().parse::<u32>()) {
        None => ESSAY_DEFAULT_CHARS,
        Some(Ok(n)) if n > 0 => n.saturating_mul(2).min(ESSAY_MAX_CHARS),
        Some(_) => {
            ctx.warn(
                place,
                format!(
                    "expectedLength \"{}\" is not a positive whole number; imported with the usual limit of {ESSAY_DEFAULT_CHARS} characters",
                    given.unwrap_or("")
                ),
            );
            ESSAY_DEFAULT_CHARS
        }
    };
    ItemBody::Essay { max_chars }
}

/// A whole number of points in `s`.
fn whole(s: &str) -> Option<u32> {
    let v: f64 = s.trim().parse().ok()?;
    ((0.0..=MAX_POINTS).contains(&v) && v.fract() == 0.0).then_some(v as u32)
}

/// The item's points: `MAXSCORE`, else the mapping's `upperBound`, else `SCORE`'s
/// `normalMaximum`, when a whole number; else 1.
fn points(ctx: &Ctx, file: &str, root: Node, resp: &Response) -> u32 {
    let outcome = |id: &str| {
        children(root, "outcomeDeclaration").find(|o| o.attribute("identifier") == Some(id))
    };
    let max_score = outcome("MAXSCORE").and_then(|o| {
        let d = child(o, "defaultValue")?;
        Some(text_of(child(d, "value")?))
    });
    if let Some(m) = &max_score {
        match whole(m) {
            Some(p) => return p,
            None => ctx.issue(
                file,
                format!("MAXSCORE \"{m}\" is not a whole number of points from 0 to {MAX_POINTS}; using the next source of points"),
            ),
        }
    }
    resp.upper_bound
        .as_deref()
        .and_then(whole)
        .or_else(|| {
            outcome("SCORE")
                .and_then(|o| o.attribute("normalMaximum"))
                .and_then(whole)
        })
        .unwrap_or(1)
}

/// Turns QTI body content into HTML for [`Ctx::html`].
struct Html<'c> {
    ctx: &'c Ctx,
    file: &'c str,
    place: &'c str,
    /// Where problems inside the HTML being written are reported: the file for the prompt, the
    /// interaction for its choices.
    current: Cell<&'c str>,
    had_math: Cell<bool>,
}

const VOID: &[&str] = &["img", "br", "hr", "col", "area", "source", "wbr"];

/// Elements left out with their content: feedback (Ruji shows none), template parts, and the
/// parameters of an `<object>`.
const DROP: &[&str] = &[
    "feedbackBlock",
    "feedbackInline",
    "modalFeedback",
    "templateBlock",
    "templateInline",
    "printedVariable",
    "param",
    "stylesheet",
];

fn escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

impl<'c> Html<'c> {
    fn new(ctx: &'c Ctx, file: &'c str, place: &'c str) -> Html<'c> {
        Html {
            ctx,
            file,
            place,
            current: Cell::new(place),
            had_math: Cell::new(false),
        }
    }

    fn issue(&self, message: impl Into<String>) {
        self.ctx.issue(self.place, message);
    }

    /// The choices as native [`Choice`]s with cleaned HTML.
    fn choices(&self, list: &Choices) -> Vec<Choice> {
        self.current.set(self.place);
        list.iter()
            .map(|(_, id, node)| {
                let mut raw = String::new();
                self.children(*node, None, &mut raw);
                Choice {
                    id: id.clone(),
                    html: self
                        .ctx
                        .html(self.place, self.file, &raw)
                        .trim()
                        .to_string(),
                }
            })
            .collect()
    }

    /// The item body with `inter` replaced by its prompt (or a blank for a text entry).
    fn prompt(&self, body: Node, inter: Node) -> String {
        self.current.set(self.file);
        let mut raw = String::new();
        self.children(body, Some(inter.id()), &mut raw);
        self.ctx.html(self.file, self.file, &raw).trim().to_string()
    }

    fn children(&self, n: Node, inter: Option<NodeId>, out: &mut String) {
        for c in n.children() {
            self.node(c, inter, out);
        }
    }

    fn node(&self, n: Node, inter: Option<NodeId>, out: &mut String) {
        if n.is_text() {
            escape(n.text().unwrap_or(""), out);
            return;
        }
        if !n.is_element() {
            return;
        }
        if Some(n.id()) == inter {
            if n.tag_name().name() == "textEntryInteraction" {
                out.push_str("_____");
            } else if let Some(p) = child(n, "prompt") {
                out.push_str("<div>");
                self.children(p, inter, out);
                out.push_str("</div>");
            }
            return;
        }
        let name = n.tag_name().name();
        if n.tag_name().namespace() == Some(MATHML) || (qti(n) && name == "math") {
            self.had_math.set(true);
            self.children(n, inter, out);
            out.push(' ');
            return;
        }
        if !qti(n) {
            // Another vocabulary (XInclude, SSML...): keep its text only.
            self.children(n, inter, out);
            return;
        }
        if DROP.contains(&name) {
            return;
        }
        match name {
            "rubricBlock" => {
                // Shown only when meant for the candidate; otherwise it is for scorers.
                if n.attribute("view").is_some_and(|v| v.contains("candidate")) {
                    out.push_str("<div>");
                    self.children(n, inter, out);
                    out.push_str("</div>");
                }
            }
            "object" => self.object(n, inter, out),
            _ => {
                out.push('<');
                out.push_str(name);
                for a in n.attributes() {
                    let an = match a.namespace() {
                        None => a.name(),
                        Some(XML_NS) if a.name() == "lang" => "lang",
                        Some(_) => continue,
                    };
                    out.push(' ');
                    out.push_str(an);
                    out.push_str("=\"");
                    escape(a.value(), out);
                    out.push('"');
                }
                out.push('>');
                if !VOID.contains(&name) {
                    self.children(n, inter, out);
                    out.push_str("</");
                    out.push_str(name);
                    out.push('>');
                }
            }
        }
    }

    /// `<object data type>`: a picture, sound or video becomes `<img>`, `<audio>` or `<video>`;
    /// anything else is reported and its fallback content kept.
    fn object(&self, n: Node, inter: Option<NodeId>, out: &mut String) {
        let data = n.attribute("data").unwrap_or("").trim();
        let ty = n
            .attribute("type")
            .map(|t| t.trim().to_ascii_lowercase())
            .or_else(|| mime_of(data).map(str::to_string))
            .unwrap_or_default();
        let attr = |out: &mut String, name: &str, value: &str| {
            out.push(' ');
            out.push_str(name);
            out.push_str("=\"");
            escape(value, out);
            out.push('"');
        };
        let size = |out: &mut String| {
            for a in ["width", "height"] {
                if let Some(v) = n.attribute(a) {
                    attr(out, a, v);
                }
            }
        };
        let tag = ty.split('/').next().unwrap_or("");
        match tag {
            "image" => {
                out.push_str("<img");
                attr(out, "src", data);
                attr(out, "alt", &text_of(n));
                size(out);
                out.push('>');
            }
            "audio" | "video" => {
                out.push('<');
                out.push_str(tag);
                attr(out, "src", data);
                out.push_str(" controls");
                if tag == "video" {
                    size(out);
                }
                out.push_str("></");
                out.push_str(tag);
                out.push('>');
            }
            _ => {
                self.ctx.issue(
                    self.current.get(),
                    format!("<object data=\"{data}\" type=\"{ty}\">: only pictures, sound and video can be shown in the exam; removed"),
                );
                self.children(n, inter, out);
            }
        }
    }
}

/// Decodes an XML file's bytes: UTF-8 (with or without byte order mark) or UTF-16 with a byte
/// order mark.
fn decode(bytes: &[u8]) -> Result<String, String> {
    let utf16 = |b: &[u8], le: bool| {
        let units: Vec<u16> = b
            .chunks_exact(2)
            .map(|c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            })
            .collect();
        String::from_utf16(&units).map_err(|_| "not valid UTF-16 text".to_string())
    };
    match bytes {
        [0xEF, 0xBB, 0xBF, rest @ ..] => std::str::from_utf8(rest).map(str::to_string),
        [0xFF, 0xFE, rest @ ..] => return utf16(rest, true),
        [0xFE, 0xFF, rest @ ..] => return utf16(rest, false),
        _ => std::str::from_utf8(bytes).map(str::to_string),
    }
    .map_err(|e| format!("not UTF-8 text ({e}); save it as UTF-8"))
}

/// Reads a QTI input: with an `imsmanifest.xml` (at the top, or the shallowest one), every
/// resource of type `imsqti_item_xmlv2p*` in manifest order; without one, every `*.xml` file that
/// is an `assessmentItem`, in path order. Item ids are made unique (`-2`, `-3`... with an issue).
pub fn parse_package(ctx: &Ctx) -> Bank {
    let files = ctx.source().list();
    let manifest = files
        .iter()
        .filter(|f| *f == MANIFEST || f.ends_with(&format!("/{MANIFEST}")))
        .min_by_key(|f| (f.matches('/').count(), f.len()));
    let paths = match manifest {
        Some(m) => manifest_items(ctx, m, &files),
        None => loose_items(ctx, &files),
    };
    let mut bank = Bank::default();
    let mut taken = BTreeSet::new();
    for (path, text) in paths {
        let Some(mut item) = parse_item(ctx, &path, &text) else {
            continue;
        };
        let id = unique_id(item.id.clone(), &mut taken);
        if id != item.id {
            ctx.issue(
                &path,
                format!(
                    "identifier \"{}\" is already used by another item; renamed to \"{id}\"",
                    item.id
                ),
            );
            item.id = id;
        }
        bank.items.push(item);
    }
    bank
}

/// Reads `path`, falling back to a file whose name differs only in letter case (packages made
/// on Windows): (the path actually read, its text).
fn read_text(ctx: &Ctx, path: &str, files: &[String]) -> Result<(String, String), String> {
    let (path, bytes) = match ctx.source().read(path) {
        Ok(b) => (path.to_string(), b),
        Err(e) => match files.iter().find(|f| f.eq_ignore_ascii_case(path)) {
            Some(f) => (f.clone(), ctx.source().read(f)?),
            None => return Err(e),
        },
    };
    Ok((path, decode(&bytes)?))
}

/// The item files listed by the manifest at `manifest`, read: (path, text).
fn manifest_items(ctx: &Ctx, manifest: &str, files: &[String]) -> Vec<(String, String)> {
    let before = ctx.issue_count();
    let text = match read_text(ctx, manifest, files) {
        Ok((_, t)) => t,
        Err(e) => {
            ctx.issue(manifest, e);
            return Vec::new();
        }
    };
    let doc = match Document::parse_with_options(&text, options()) {
        Ok(d) => d,
        Err(e) => {
            ctx.issue(
                manifest,
                format!("not well-formed XML: {e}; export the package again"),
            );
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for res in doc
        .descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "resource")
    {
        let ty = res.attribute("type").unwrap_or("");
        let rid = res.attribute("identifier").unwrap_or("");
        if ty.starts_with("imsqti_item_xmlv3") || ty.starts_with("imsqti_xmlv1") {
            ctx.issue(
                manifest,
                format!("resource \"{rid}\" is of type {ty}, a QTI version Ruji does not read; export as QTI 2.1 or 2.2"),
            );
            continue;
        }
        if !ty.starts_with("imsqti_item_xmlv2p") {
            continue;
        }
        let href = res.attribute("href").map(str::to_string).or_else(|| {
            res.children()
                .filter(|f| f.is_element() && f.tag_name().name() == "file")
                .filter_map(|f| f.attribute("href"))
                .find(|h| h.to_ascii_lowercase().ends_with(".xml"))
                .map(str::to_string)
        });
        let Some(href) = href else {
            ctx.issue(
                manifest,
                format!("resource \"{rid}\" names no item file (no href); skipped"),
            );
            continue;
        };
        let parent_base = res.parent().map(base_of).unwrap_or("");
        let join = |base: String, rel: &str| {
            if rel.trim().is_empty() {
                Some(base)
            } else {
                resolve(&base, rel)
            }
        };
        let path = join(dir_of(manifest).to_string(), parent_base)
            .and_then(|b| join(b, base_of(res)))
            .and_then(|b| resolve(&b, &href));
        let Some(path) = path else {
            ctx.issue(
                manifest,
                format!("resource \"{rid}\": {href} points outside the package; skipped"),
            );
            continue;
        };
        if !seen.insert(path.clone()) {
            continue;
        }
        match read_text(ctx, &path, files) {
            Ok(found) => out.push(found),
            Err(e) => ctx.issue(
                &path,
                format!("listed in {manifest} (resource \"{rid}\") but cannot be read: {e}; put the file in the package"),
            ),
        }
    }
    if out.is_empty() && ctx.issue_count() == before {
        ctx.issue(
            manifest,
            "lists no QTI 2.1/2.2 items (resources of type imsqti_item_xmlv2p1 or imsqti_item_xmlv2p2)",
        );
    }
    out
}

/// The `xml:base` of a manifest element, or "".
fn base_of<'a>(n: Node<'a, '_>) -> &'a str {
    n.attribute((XML_NS, "base")).unwrap_or("")
}

/// Every `*.xml` file that is an `assessmentItem`, read: (path, text).
fn loose_items(ctx: &Ctx, files: &[String]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for f in files
        .iter()
        .filter(|f| f.to_ascii_lowercase().ends_with(".xml"))
    {
        match read_text(ctx, f, files) {
            Ok((path, t)) if is_qti(&t) => out.push((path, t)),
            Ok(_) => {}
            Err(e) => ctx.issue(f, e),
        }
    }
    if out.is_empty() {
        ctx.issue(
            MANIFEST,
            "no imsmanifest.xml and no QTI item files (*.xml holding an assessmentItem) found; export the items as an IMS QTI 2.1 or 2.2 content package",
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Issue;
    use ruji_package::source::Memory;
    use std::sync::Arc;

    const NS21: &str = "http://www.imsglobal.org/xsd/imsqti_v2p1";

    fn ctx_with(files: &[(&str, &[u8])]) -> Ctx {
        let mut m = Memory::default();
        for (p, b) in files {
            m.files.insert(p.to_string(), b.to_vec());
        }
        Ctx::new(Arc::new(m))
    }

    /// Parses `xml` as `soal/q.xml` in a source holding `soal/img/a.png`: (item, errors).
    fn parse(xml: &str) -> (Option<Item>, Vec<Issue>) {
        let (item, errors, _) = parse_all(xml);
        (item, errors)
    }

    /// As [`parse`], with the warnings: (item, errors, warnings).
    fn parse_all(xml: &str) -> (Option<Item>, Vec<Issue>, Vec<Issue>) {
        let c = ctx_with(&[("soal/img/a.png", b"PNG")]);
        let item = parse_item(&c, "soal/q.xml", xml);
        let (_, errors, warnings) = c.finish_with_warnings();
        (item, errors, warnings)
    }

    /// An item in the QTI 2.1 namespace with `decls` before and `body` inside the itemBody.
    fn item_xml(decls: &str, body: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="{NS21}" identifier="Q 1" title="t" adaptive="false" timeDependent="false">
{decls}<itemBody>{body}</itemBody></assessmentItem>"#
        )
    }

    fn decl(card: &str, base: &str, inner: &str) -> String {
        format!(
            r#"<responseDeclaration identifier="RESPONSE" cardinality="{card}" baseType="{base}">{inner}</responseDeclaration>"#
        )
    }

    fn correct(values: &[&str]) -> String {
        let v: String = values
            .iter()
            .map(|v| format!("<value>{v}</value>"))
            .collect();
        format!("<correctResponse>{v}</correctResponse>")
    }

    const CHOICES: &str = r#"<simpleChoice identifier="A">Satu</simpleChoice>
        <simpleChoice identifier="B">Dua <feedbackInline outcomeIdentifier="F" identifier="B">benar</feedbackInline></simpleChoice>
        <simpleChoice identifier="C">Tiga</simpleChoice>"#;

    #[test]
    fn single_choice_with_prompt_around_it() {
        let xml = item_xml(
            &decl("single", "identifier", &correct(&["B"])),
            &format!(
                r#"<p>Bacalah soal berikut.</p><choiceInteraction responseIdentifier="RESPONSE" maxChoices="1">
                <prompt>Berapa 1 + 1?</prompt>{CHOICES}</choiceInteraction><p>Akhir.</p>"#
            ),
        );
        let (item, issues) = parse(&xml);
        let item = item.unwrap();
        assert!(issues.is_empty(), "{issues:?}");
        assert_eq!(item.id, "Q-1");
        assert_eq!(item.points, 1);
        assert_eq!(
            item.prompt,
            "<p>Bacalah soal berikut.</p><div>Berapa 1 + 1?</div><p>Akhir.</p>"
        );
        let ItemBody::MultipleChoice { options, key } = &item.body else {
            panic!("{:?}", item.body)
        };
        assert_eq!(key, "B");
        let ids: Vec<&str> = options.iter().map(|o| o.id.as_str()).collect();
        assert_eq!(ids, ["A", "B", "C"]);
        // Feedback is not shown.
        assert_eq!(options[1].html, "Dua");
    }

    #[test]
    fn multiple_response_and_key_from_mapping() {
        let xml = item_xml(
            &decl("multiple", "identifier", &correct(&["A", "C"])),
            &format!(
                r#"<choiceInteraction responseIdentifier="RESPONSE" maxChoices="0">{CHOICES}</choiceInteraction>"#
            ),
        );
        let (item, issues) = parse(&xml);
        assert!(issues.is_empty(), "{issues:?}");
        assert_eq!(
            item.unwrap().body,
            ItemBody::MultipleResponse {
                options: vec![
                    Choice {
                        id: "A".into(),
                        html: "Satu".into()
                    },
                    Choice {
                        id: "B".into(),
                        html: "Dua".into()
                    },
                    Choice {
                        id: "C".into(),
                        html: "Tiga".into()
                    },
                ],
                key: vec!["A".into(), "C".into()],
            }
        );
        // No correctResponse: the mapping entries with points give the key, upperBound the points.
        let xml = item_xml(
            &decl(
                "single",
                "identifier",
                r#"<mapping defaultValue="0" upperBound="3"><mapEntry mapKey="C" mappedValue="3"/><mapEntry mapKey="A" mappedValue="0"/></mapping>"#,
            ),
            &format!(
                r#"<choiceInteraction responseIdentifier="RESPONSE" maxChoices="1">{CHOICES}</choiceInteraction>"#
            ),
        );
        let (item, issues) = parse(&xml);
        assert!(issues.is_empty(), "{issues:?}");
        let item = item.unwrap();
        assert_eq!(item.points, 3);
        assert!(matches!(item.body, ItemBody::MultipleChoice { ref key, .. } if key == "C"));
    }

    #[test]
    fn single_choice_with_two_keys_or_a_foreign_key_is_refused() {
        let body = format!(
            r#"<choiceInteraction responseIdentifier="RESPONSE" maxChoices="1">{CHOICES}</choiceInteraction>"#
        );
        let (item, issues) = parse(&item_xml(
            &decl("single", "identifier", &correct(&["A", "B"])),
            &body,
        ));
        assert!(item.is_none());
        assert_eq!(issues[0].place, "soal/q.xml: choiceInteraction");
        assert!(issues[0].message.contains("maxChoices is 1"), "{issues:?}");
        let (item, issues) = parse(&item_xml(
            &decl("single", "identifier", &correct(&["Z"])),
            &body,
        ));
        assert!(item.is_none());
        assert!(issues[0].message.contains("\"Z\""), "{issues:?}");
        let (item, issues) = parse(&item_xml("", &body));
        assert!(item.is_none());
        assert!(
            issues[0].message.contains("no responseDeclaration"),
            "{issues:?}"
        );
    }

    #[test]
    fn missing_correct_response_is_reported_at_the_interaction() {
        let xml = item_xml(
            &decl("single", "identifier", ""),
            &format!(
                r#"<choiceInteraction responseIdentifier="RESPONSE" maxChoices="1">{CHOICES}</choiceInteraction>"#
            ),
        );
        let (item, issues) = parse(&xml);
        assert!(item.is_none());
        assert_eq!(
            issues,
            vec![Issue::new("soal/q.xml: choiceInteraction", NO_KEY)]
        );
    }

    const MATCH_SETS: &str = r#"<simpleMatchSet>
            <simpleAssociableChoice identifier="P1" matchMax="1">Jakarta</simpleAssociableChoice>
            <simpleAssociableChoice identifier="P2" matchMax="1">Surabaya</simpleAssociableChoice>
        </simpleMatchSet><simpleMatchSet>
            <simpleAssociableChoice identifier="T1" matchMax="2">Jawa Timur</simpleAssociableChoice>
            <simpleAssociableChoice identifier="T2" matchMax="2">DKI Jakarta</simpleAssociableChoice>
            <simpleAssociableChoice identifier="T3" matchMax="2">Bali</simpleAssociableChoice>
        </simpleMatchSet>"#;

    #[test]
    fn match_interaction_becomes_matching() {
        // The second pair is written target-first; it is turned round.
        let xml = item_xml(
            &decl("multiple", "directedPair", &correct(&["P1 T2", "T1 P2"])),
            &format!(
                r#"<matchInteraction responseIdentifier="RESPONSE" maxAssociations="2"><prompt>Jodohkan.</prompt>{MATCH_SETS}</matchInteraction>"#
            ),
        );
        let (item, issues) = parse(&xml);
        assert!(issues.is_empty(), "{issues:?}");
        let ItemBody::Matching {
            premises,
            targets,
            key,
        } = item.unwrap().body
        else {
            panic!()
        };
        assert_eq!(premises.len(), 2);
        assert_eq!(targets.len(), 3);
        assert_eq!(
            key,
            vec![("P1".into(), "T2".into()), ("P2".into(), "T1".into())]
        );
    }

    #[test]
    fn match_premise_without_pair_or_with_two_is_reported() {
        let run = |pairs: &[&str]| {
            parse(&item_xml(
                &decl("multiple", "directedPair", &correct(pairs)),
                &format!(
                    r#"<matchInteraction responseIdentifier="RESPONSE">{MATCH_SETS}</matchInteraction>"#
                ),
            ))
        };
        let (item, issues) = run(&["P1 T2"]);
        assert!(item.is_none());
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].place, "soal/q.xml: matchInteraction");
        assert!(
            issues[0].message.contains("premise \"P2\" has no pair"),
            "{issues:?}"
        );
        let (item, issues) = run(&["P1 T2", "P1 T3", "P2 T1"]);
        assert!(item.is_none());
        assert!(
            issues[0].message.contains("2 correct targets"),
            "{issues:?}"
        );
        let (item, issues) = run(&["P1 T2", "P2 X9"]);
        assert!(item.is_none());
        assert!(issues[0].message.contains("P2 X9"), "{issues:?}");
        let (item, issues) = run(&["P1"]);
        assert!(item.is_none());
        assert!(issues[0].message.contains("not a pair"), "{issues:?}");
    }

    #[test]
    fn associate_interaction_splits_into_columns() {
        let xml = item_xml(
            &decl("multiple", "pair", &correct(&["A B", "D C", "B E"])),
            r#"<associateInteraction responseIdentifier="RESPONSE" maxAssociations="3">
                <simpleAssociableChoice identifier="A" matchMax="1">Padi</simpleAssociableChoice>
                <simpleAssociableChoice identifier="B" matchMax="2">Sawah</simpleAssociableChoice>
                <simpleAssociableChoice identifier="C" matchMax="1">Laut</simpleAssociableChoice>
                <simpleAssociableChoice identifier="D" matchMax="1">Ikan</simpleAssociableChoice>
                <simpleAssociableChoice identifier="E" matchMax="1">Jagung</simpleAssociableChoice>
                <simpleAssociableChoice identifier="F" matchMax="1">Gurun</simpleAssociableChoice>
            </associateInteraction>"#,
        );
        let (item, issues) = parse(&xml);
        assert!(issues.is_empty(), "{issues:?}");
        let ItemBody::Matching {
            premises,
            targets,
            key,
        } = item.unwrap().body
        else {
            panic!()
        };
        let ids = |c: &[Choice]| c.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&premises), ["A", "D", "E"]);
        assert_eq!(ids(&targets), ["B", "C", "F"]);
        assert_eq!(
            key,
            vec![
                ("A".into(), "B".into()),
                ("D".into(), "C".into()),
                ("E".into(), "B".into())
            ]
        );
        // A chain that cannot be split into two columns.
        let xml = item_xml(
            &decl("multiple", "pair", &correct(&["A B", "B C", "C A"])),
            r#"<associateInteraction responseIdentifier="RESPONSE">
                <simpleAssociableChoice identifier="A">a</simpleAssociableChoice>
                <simpleAssociableChoice identifier="B">b</simpleAssociableChoice>
                <simpleAssociableChoice identifier="C">c</simpleAssociableChoice>
                <simpleAssociableChoice identifier="D">d</simpleAssociableChoice>
            </associateInteraction>"#,
        );
        let (item, issues) = parse(&xml);
        assert!(item.is_none());
        assert!(issues[0].message.contains("two columns"), "{issues:?}");
    }

    #[test]
    fn text_entry_takes_correct_and_mapped_answers() {
        let xml = item_xml(
            &decl(
                "single",
                "string",
                &format!(
                    r#"{}<mapping defaultValue="0"><mapEntry mapKey="Jakarta" mappedValue="1" caseSensitive="false"/><mapEntry mapKey="DKI Jakarta" mappedValue="1" caseSensitive="true"/><mapEntry mapKey="Bandung" mappedValue="0" caseSensitive="false"/></mapping>"#,
                    correct(&["Jakarta"])
                ),
            ),
            r#"<p>Ibu kota Indonesia adalah <textEntryInteraction responseIdentifier="RESPONSE" expectedLength="15"/>.</p>"#,
        );
        let (item, issues) = parse(&xml);
        assert!(issues.is_empty(), "{issues:?}");
        let item = item.unwrap();
        assert_eq!(item.prompt, "<p>Ibu kota Indonesia adalah _____.</p>");
        assert_eq!(
            item.body,
            ItemBody::ShortAnswer {
                accepted: vec!["Jakarta".into(), "DKI Jakarta".into()],
                case_sensitive: true,
            }
        );
        // Only a correctResponse: not case-sensitive.
        let xml = item_xml(
            &decl("single", "float", &correct(&["2.5"])),
            r#"<p>x = <textEntryInteraction responseIdentifier="RESPONSE"/></p>"#,
        );
        let item = parse(&xml).0.unwrap();
        assert_eq!(
            item.body,
            ItemBody::ShortAnswer {
                accepted: vec!["2.5".into()],
                case_sensitive: false
            }
        );
        let (item, issues) = parse(&item_xml(
            &decl("single", "string", ""),
            r#"<p><textEntryInteraction responseIdentifier="RESPONSE"/></p>"#,
        ));
        assert!(item.is_none());
        assert_eq!(issues[0].place, "soal/q.xml: textEntryInteraction");
    }

    #[test]
    fn extended_text_is_an_essay() {
        let run = |attrs: &str| {
            parse_all(&item_xml(
                &decl("single", "string", ""),
                &format!(
                    r#"<extendedTextInteraction responseIdentifier="RESPONSE" {attrs}><prompt>Jelaskan.</prompt></extendedTextInteraction>"#
                ),
            ))
        };
        let (item, issues, warnings) = run("");
        assert!(
            issues.is_empty() && warnings.is_empty(),
            "{issues:?} {warnings:?}"
        );
        let item = item.unwrap();
        assert_eq!(
            item.body,
            ItemBody::Essay {
                max_chars: ESSAY_DEFAULT_CHARS
            }
        );
        assert_eq!(item.prompt, "<div>Jelaskan.</div>");
        let (item, _, _) = run(r#"expectedLength="400""#);
        assert_eq!(item.unwrap().body, ItemBody::Essay { max_chars: 800 });
        // A length that is not a number is only a hint gone wrong: imported, with a warning.
        let (item, issues, warnings) = run(r#"expectedLength="banyak""#);
        assert_eq!(
            item.unwrap().body,
            ItemBody::Essay {
                max_chars: ESSAY_DEFAULT_CHARS
            }
        );
        assert!(issues.is_empty(), "{issues:?}");
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].message.contains("expectedLength"),
            "{warnings:?}"
        );
        assert!(
            warnings[0].message.contains("imported with"),
            "{warnings:?}"
        );
        // An essay needs no responseDeclaration.
        let xml = item_xml("", r#"<extendedTextInteraction responseIdentifier="R"/>"#);
        assert!(parse(&xml).0.is_some());
    }

    #[test]
    fn unsupported_several_or_no_interactions_are_skipped_with_a_reason() {
        let (item, issues) = parse(&item_xml(
            &decl("single", "identifier", &correct(&["A"])),
            r#"<hotspotInteraction responseIdentifier="RESPONSE" maxChoices="1"><object data="img/a.png" type="image/png"/></hotspotInteraction>"#,
        ));
        assert!(item.is_none());
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!(issues[0].place, "soal/q.xml: hotspotInteraction");
        assert!(issues[0].message.contains("not supported"));
        let (item, issues) = parse(&item_xml(
            "",
            r#"<p><textEntryInteraction responseIdentifier="A"/></p><extendedTextInteraction responseIdentifier="B"/>"#,
        ));
        assert!(item.is_none());
        assert_eq!(issues[0].place, "soal/q.xml");
        assert!(
            issues[0]
                .message
                .contains("2 interactions (textEntryInteraction, extendedTextInteraction)"),
            "{issues:?}"
        );
        let (item, issues) = parse(&item_xml("", "<p>Tidak ada.</p>"));
        assert!(item.is_none());
        assert!(issues[0].message.contains("no interaction"));
    }

    #[test]
    fn namespaces_prefix_none_and_foreign() {
        let inner = r#"<responseDeclaration identifier="R" cardinality="single" baseType="identifier"><correctResponse><value>b</value></correctResponse></responseDeclaration>"#;
        let choices = r#"<choiceInteraction responseIdentifier="R" maxChoices="1"><simpleChoice identifier="a">x</simpleChoice><simpleChoice identifier="b">y</simpleChoice></choiceInteraction>"#;
        for ns in NAMESPACES {
            let prefixed = format!(
                r#"<qti:assessmentItem xmlns:qti="{ns}" identifier="P">{}<qti:itemBody>{}</qti:itemBody></qti:assessmentItem>"#,
                inner.replace('<', "<qti:").replace("<qti:/", "</qti:"),
                choices.replace('<', "<qti:").replace("<qti:/", "</qti:"),
            );
            let (item, issues) = parse(&prefixed);
            assert!(issues.is_empty(), "{issues:?}");
            assert!(
                matches!(item.unwrap().body, ItemBody::MultipleChoice { key, .. } if key == "b")
            );
            assert!(is_qti(&prefixed));
        }
        let plain = format!(
            r#"<assessmentItem identifier="N">{inner}<itemBody>{choices}</itemBody></assessmentItem>"#
        );
        assert!(parse(&plain).0.is_some());
        let foreign = plain.replace(
            "<assessmentItem ",
            r#"<assessmentItem xmlns="http://example.com/other" "#,
        );
        let (item, issues) = parse(&foreign);
        assert!(item.is_none());
        assert!(
            issues[0].message.contains("http://example.com/other"),
            "{issues:?}"
        );
    }

    #[test]
    fn other_documents_are_named() {
        let cases = [
            ("<questestinterop><item/></questestinterop>", "QTI 1.2"),
            (
                r#"<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0"/>"#,
                "QTI 3.0",
            ),
            (
                r#"<assessmentTest xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1"/>"#,
                "assessmentTest",
            ),
            ("<html><body/></html>", "<html>"),
            ("<assessmentItem><itemBody>", "not well-formed XML"),
            ("", "not well-formed XML"),
        ];
        for (xml, expect) in cases {
            let (item, issues) = parse(xml);
            assert!(item.is_none());
            assert_eq!(issues.len(), 1, "{xml}: {issues:?}");
            assert_eq!(issues[0].place, "soal/q.xml");
            assert!(issues[0].message.contains(expect), "{xml}: {issues:?}");
        }
    }

    #[test]
    fn entities_indonesian_text_and_html_entity_names() {
        let xml = item_xml(
            &decl("single", "identifier", &correct(&["A"])),
            r#"<p>Bacalah teks &#8220;Kancil &amp; Buaya&#8221; &#8211; lalu jawab&#8230;</p><choiceInteraction responseIdentifier="RESPONSE" maxChoices="1"><simpleChoice identifier="A">Kancil &lt;cerdik&gt;</simpleChoice><simpleChoice identifier="B">Buaya</simpleChoice></choiceInteraction>"#,
        );
        let (item, issues) = parse(&xml);
        assert!(issues.is_empty(), "{issues:?}");
        let item = item.unwrap();
        assert_eq!(
            item.prompt,
            "<p>Bacalah teks “Kancil &amp; Buaya” – lalu jawab…</p>"
        );
        let ItemBody::MultipleChoice { options, .. } = &item.body else {
            panic!()
        };
        assert_eq!(options[0].html, "Kancil &lt;cerdik&gt;");
        // &nbsp; is not XML but common in exported items: read as the character it names.
        let (item, issues) = parse(&xml.replace("&#8211;", "&nbsp;&ndash;"));
        assert!(issues.is_empty(), "{issues:?}");
        assert!(item.unwrap().prompt.contains("&nbsp;–"));
        let (item, issues) = parse(&xml.replace("&#8211;", "&bogus;"));
        assert!(item.is_none());
        assert!(issues[0].message.contains("bogus") && issues[0].message.contains("&#160;"));
    }

    #[test]
    fn pictures_objects_and_blocks_in_the_body() {
        let xml = item_xml(
            &decl("single", "identifier", &correct(&["A"])),
            r#"<div class="stimulus"><p>Perhatikan peta.</p><img src="img/a.png" alt="Peta"/></div>
            <object data="img/a.png" type="image/png" width="100">Peta lagi</object>
            <object data="img/a.png"/>
            <object data="suara.mp3" type="audio/mpeg"/>
            <object data="applet.swf" type="application/x-shockwave-flash">cadangan</object>
            <rubricBlock view="scorer"><p>Kunci untuk penilai</p></rubricBlock>
            <rubricBlock view="candidate"><p>Petunjuk</p></rubricBlock>
            <feedbackBlock outcomeIdentifier="F" identifier="x"><p>Umpan balik</p></feedbackBlock>
            <choiceInteraction responseIdentifier="RESPONSE" maxChoices="1">
            <simpleChoice identifier="A"><img src="img/a.png" alt="a"/></simpleChoice>
            <simpleChoice identifier="B"><img src="img/b.png" alt="b"/></simpleChoice></choiceInteraction>"#,
        );
        let c = ctx_with(&[("soal/img/a.png", b"PNG"), ("soal/suara.mp3", b"ID3")]);
        let item = parse_item(&c, "soal/q.xml", &xml).unwrap();
        let (assets, issues) = c.finish();
        assert_eq!(assets.len(), 2);
        let png = format!("/a/{}.png", ruji_package::assets::name_hash(b"PNG"));
        let mp3 = format!("/a/{}.mp3", ruji_package::assets::name_hash(b"ID3"));
        assert_eq!(item.prompt.matches(&png).count(), 3, "{}", item.prompt);
        assert!(
            item.prompt
                .contains(&format!(r#"<audio src="{mp3}" controls"#)),
            "{}",
            item.prompt
        );
        assert!(item.prompt.contains("Perhatikan peta") && item.prompt.contains("Petunjuk"));
        assert!(
            item.prompt.contains(r#"alt="Peta lagi""#),
            "{}",
            item.prompt
        );
        assert!(item.prompt.contains("cadangan"));
        assert!(!item.prompt.contains("penilai") && !item.prompt.contains("Umpan"));
        // Choices are read before the prompt.
        assert_eq!(issues.len(), 2, "{issues:?}");
        assert_eq!(issues[0].place, "soal/q.xml: choiceInteraction");
        assert!(issues[0].message.contains("b.png"));
        assert_eq!(issues[1].place, "soal/q.xml");
        assert!(issues[1].message.contains("applet.swf"));
    }

    #[test]
    fn mathml_is_flagged() {
        let xml = item_xml(
            &decl("single", "float", &correct(&["0.5"])),
            r#"<p>Hitung <m:math xmlns:m="http://www.w3.org/1998/Math/MathML"><m:mfrac><m:mn>1</m:mn><m:mn>2</m:mn></m:mfrac></m:math> <textEntryInteraction responseIdentifier="RESPONSE"/></p>"#,
        );
        let (item, issues, warnings) = parse_all(&xml);
        let p = item.unwrap().prompt;
        assert!(p.contains("Hitung 1 2"), "{p}");
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert!(issues[0].message.contains("MathML"));
        assert!(issues[0].message.contains("plain text"));
        assert_eq!(issues[0].place, "soal/q.xml");
    }

    #[test]
    fn points_from_maxscore_upper_bound_or_normal_maximum() {
        let body = format!(
            r#"<choiceInteraction responseIdentifier="RESPONSE" maxChoices="1">{CHOICES}</choiceInteraction>"#
        );
        let run = |extra: &str, mapping: &str| {
            let d = decl(
                "single",
                "identifier",
                &format!("{}{mapping}", correct(&["A"])),
            );
            parse(&item_xml(&format!("{d}{extra}"), &body))
        };
        let max = |v: &str| {
            format!(
                r#"<outcomeDeclaration identifier="MAXSCORE" cardinality="single" baseType="float"><defaultValue><value>{v}</value></defaultValue></outcomeDeclaration>"#
            )
        };
        assert_eq!(run(&max("4"), "").0.unwrap().points, 4);
        assert_eq!(run(&max("2.0"), "").0.unwrap().points, 2);
        let (item, issues) = run(
            &max("2.5"),
            r#"<mapping upperBound="3"><mapEntry mapKey="A" mappedValue="3"/></mapping>"#,
        );
        assert_eq!(item.unwrap().points, 3);
        assert!(issues[0].message.contains("MAXSCORE \"2.5\""), "{issues:?}");
        let score = r#"<outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float" normalMaximum="5"/>"#;
        assert_eq!(run(score, "").0.unwrap().points, 5);
        assert_eq!(
            run("", r#"<mapping upperBound="1.5"/>"#).0.unwrap().points,
            1
        );
        assert_eq!(run("", "").0.unwrap().points, 1);
    }

    #[test]
    fn templates_and_bad_identifiers() {
        let (item, issues) = parse(&item_xml(
            r#"<templateDeclaration identifier="X" cardinality="single" baseType="integer"/>"#,
            "<p/>",
        ));
        assert!(item.is_none());
        assert!(issues[0].message.contains("template"));
        let xml = item_xml(
            &decl("single", "identifier", &correct(&["a b"])),
            r#"<choiceInteraction responseIdentifier="RESPONSE" maxChoices="1"><simpleChoice identifier="a b">1</simpleChoice><simpleChoice identifier="a-b">2</simpleChoice></choiceInteraction>"#,
        );
        let (item, issues) = parse(&xml);
        assert!(item.is_none());
        assert!(issues[0].message.contains("\"a-b\""), "{issues:?}");
        let (item, issues, warnings) = parse_all(
            &item_xml("", "<extendedTextInteraction/>").replace(r#"identifier="Q 1""#, ""),
        );
        assert_eq!(item.unwrap().id, "q");
        assert!(issues.is_empty(), "{issues:?}");
        assert!(warnings[0].message.contains("no usable identifier"));
        assert!(
            warnings[0].message.contains("imported with the id \"q\""),
            "{warnings:?}"
        );
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let deep = |n: usize| {
            format!(
                r#"<assessmentItem identifier="d"><itemBody>{}<extendedTextInteraction/>{}</itemBody></assessmentItem>"#,
                "<div>".repeat(n),
                "</div>".repeat(n)
            )
        };
        assert!(parse(&deep(150)).0.is_some());
        let (item, issues) = parse(&deep(100_000));
        assert!(item.is_none());
        assert!(issues[0].message.contains("nested more than"), "{issues:?}");
    }

    #[test]
    fn sniffs_items_only() {
        assert!(is_qti("\u{feff}<?xml version=\"1.0\"?>\n<!-- x -->\n<!DOCTYPE a [<!ENTITY e \"<x>\">]>\n<assessmentItem identifier=\"a\">"));
        assert!(!is_qti(&format!(
            r#"<assessmentTest xmlns="{NS21}"><assessmentItemRef identifier="a"/></assessmentTest>"#
        )));
        assert!(!is_qti("<manifest/>"));
        assert!(!is_qti("assessmentItem"));
        assert!(!is_qti("<!-- unterminated <assessmentItem>"));
    }

    #[test]
    fn decodes_utf8_bom_and_utf16() {
        assert_eq!(decode(b"\xEF\xBB\xBF<a/>").unwrap(), "<a/>");
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("<é/>".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(decode(&le).unwrap(), "<é/>");
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("<é/>".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(decode(&be).unwrap(), "<é/>");
        assert!(decode(b"<a>\xE9</a>").unwrap_err().contains("UTF-8"));
    }

    fn essay_item(id: &str) -> Vec<u8> {
        format!(r#"<assessmentItem xmlns="{NS21}" identifier="{id}"><itemBody><extendedTextInteraction responseIdentifier="R"/></itemBody></assessmentItem>"#).into_bytes()
    }

    #[test]
    fn package_reports_missing_files_and_renames_duplicates() {
        let manifest =
            br#"<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" identifier="M">
          <resources xml:base="soal/">
            <resource identifier="R1" type="imsqti_item_xmlv2p1" href="satu.xml"/>
            <resource identifier="R2" type="imsqti_item_xmlv2p2" href="hilang.xml"/>
            <resource identifier="R3" type="imsqti_item_xmlv2p1" href="DUA.XML"/>
            <resource identifier="R4" type="webcontent" href="img/a.png"/>
            <resource identifier="R5" type="imsqti_item_xmlv2p1"><file href="tiga.xml"/></resource>
            <resource identifier="R6" type="imsqti_item_xmlv3p0" href="empat.xml"/>
            <resource identifier="R7" type="imsqti_item_xmlv2p1" href="../../../luar.xml"/>
          </resources></manifest>"#;
        let c = ctx_with(&[
            ("paket/imsmanifest.xml", manifest),
            ("paket/soal/satu.xml", &essay_item("S")),
            ("paket/soal/dua.xml", &essay_item("S")),
            ("paket/soal/tiga.xml", &essay_item("T")),
            ("paket/soal/lain.xml", &essay_item("X")),
        ]);
        let bank = parse_package(&c);
        let ids: Vec<&str> = bank.items.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["S", "S-2", "T"], "{:?}", c.finish().1);
        let (_, issues) = c.finish();
        let places: Vec<&str> = issues.iter().map(|i| i.place.as_str()).collect();
        assert_eq!(
            places,
            [
                "paket/soal/hilang.xml",
                "paket/imsmanifest.xml",
                "paket/imsmanifest.xml",
                "paket/soal/dua.xml"
            ],
            "{issues:?}"
        );
        assert!(issues[0].message.contains("R2"));
        assert!(issues[1].message.contains("imsqti_item_xmlv3p0"));
        assert!(issues[2].message.contains("outside"));
        assert!(issues[3].message.contains("renamed to \"S-2\""));
    }

    #[test]
    fn package_without_manifest_reads_loose_items() {
        let c = ctx_with(&[
            ("b.xml", &essay_item("B")),
            ("a.XML", &essay_item("A")),
            ("catatan.xml", b"<catatan/>"),
            ("gambar.png", b"PNG"),
        ]);
        let bank = parse_package(&c);
        let ids: Vec<&str> = bank.items.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["A", "B"]);
        assert!(c.finish().1.is_empty());
        let c = ctx_with(&[("catatan.xml", b"<catatan/>")]);
        assert!(parse_package(&c).items.is_empty());
        let issues = c.finish().1;
        assert_eq!(issues.len(), 1);
        assert!(issues[0].message.contains("no imsmanifest.xml"));
        let c = ctx_with(&[("imsmanifest.xml", b"<manifest><resources>")]);
        assert!(parse_package(&c).items.is_empty());
        assert!(c.finish().1[0].message.contains("not well-formed"));
        let c = ctx_with(&[("imsmanifest.xml", b"<manifest><resources/></manifest>")]);
        assert!(parse_package(&c).items.is_empty());
        assert!(c.finish().1[0].message.contains("lists no QTI"));
    }

    mod fuzz {
        use super::*;
        use proptest::prelude::*;

        const PIECES: &[&str] = &[
            "<assessmentItem identifier=\"x\">",
            "</assessmentItem>",
            "<itemBody>",
            "</itemBody>",
            "<choiceInteraction responseIdentifier=\"R\" maxChoices=\"1\">",
            "</choiceInteraction>",
            "<simpleChoice identifier=\"A\">a</simpleChoice>",
            "<simpleChoice identifier=\"\">",
            "<matchInteraction responseIdentifier=\"R\">",
            "<simpleMatchSet>",
            "</simpleMatchSet>",
            "<simpleAssociableChoice identifier=\"P\">p</simpleAssociableChoice>",
            "<associateInteraction responseIdentifier=\"R\">",
            "<textEntryInteraction responseIdentifier=\"R\"/>",
            "<extendedTextInteraction responseIdentifier=\"R\" expectedLength=\"99999999999\"/>",
            "<responseDeclaration identifier=\"R\">",
            "</responseDeclaration>",
            "<correctResponse><value>A</value><value>P P</value></correctResponse>",
            "<mapping upperBound=\"1e309\"><mapEntry mapKey=\"A\" mappedValue=\"NaN\"/></mapping>",
            "<object data=\"x.png\"/>",
            "<img src=\"../../x.png\"/>",
            "<prompt>",
            "</prompt>",
            "&nbsp;",
            "&#0;",
            "<![CDATA[x]]>",
            "<!DOCTYPE a [<!ENTITY e \"&e;\">]>",
            "é",
        ];

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]
            #[test]
            fn parse_item_never_panics(s in ".{0,300}") {
                let c = Ctx::standalone();
                let _ = parse_item(&c, "x.xml", &s);
                let _ = is_qti(&s);
            }

            #[test]
            fn parse_item_never_panics_on_qti_pieces(
                picks in proptest::collection::vec(0..PIECES.len(), 0..40)
            ) {
                let xml: String = picks.iter().map(|i| PIECES[*i]).collect();
                let c = Ctx::standalone();
                let _ = parse_item(&c, "x.xml", &xml);
                let _ = is_qti(&xml);
            }
        }
    }
}
