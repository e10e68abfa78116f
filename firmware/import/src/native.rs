//! The native authoring folder: a `paket.toml` that names the tests, sessions and participant
//! list, and item files in any supported format (native TOML, GIFT, QTI). Documented with an
//! example in docs/package-format.md; meant to be written by hand.
//!
//! Also [`from_inputs`], which builds a one-test, one-session package from loose files
//! (`ruji pack soal.gift peserta.xlsx`), and [`load`], which reads any supported input.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use ruji_core::package::{
    Choice, Item, ItemBody, Package, Participant, Session, Stimulus, Test, TestKind, TestRules,
};
use serde::Deserialize;

use super::{gift, id_from, participants, qti, unique_id, Bank};
use crate::sanitize::Ctx;
use ruji_package::source::{dir_of, Folder, Sub};

/// Names the folder's description file may have.
pub const MANIFESTS: [&str; 2] = ["paket.toml", "package.toml"];

/// What was read: the package (possibly invalid: see `issues`) and where it came from.
pub struct Loaded {
    /// Format name as reported by `ruji import --check`.
    pub format: &'static str,
    /// The package built from the input.
    pub package: Package,
    /// Pictures and sound.
    pub assets: ruji_package::assets::Assets,
    /// Every error found, including the package's own validation: any of them blocks packing.
    pub issues: Vec<crate::Issue>,
    /// Adjustments made to what was imported faithfully (see [`Ctx::warn`]): shown, not
    /// blocking.
    pub warnings: Vec<crate::Issue>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PaketToml {
    id: String,
    title: String,
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    participants: Vec<String>,
    #[serde(default)]
    test: Vec<TestToml>,
    #[serde(default)]
    session: Vec<SessionToml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TestToml {
    id: String,
    name: String,
    #[serde(default = "scored")]
    kind: TestKind,
    duration_minutes: u32,
    items: Vec<String>,
    #[serde(default)]
    practice: Vec<String>,
    shuffle_items: Option<bool>,
    shuffle_options: Option<bool>,
    refuse_finish_while_doubtful: Option<bool>,
    min_minutes_before_finish: Option<u32>,
    confirm_finish: Option<bool>,
    warning_minutes: Option<u32>,
    /// The practice's time limit (0: untimed).
    practice_minutes: Option<u32>,
}

fn scored() -> TestKind {
    TestKind::Scored
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionToml {
    id: String,
    name: String,
    #[serde(default)]
    day: String,
    #[serde(default)]
    start: String,
    tests: Vec<String>,
    /// `"all"`, or a list of classes and/or usernames.
    #[serde(default)]
    participants: Option<toml::Value>,
    /// The session's length from its opening (0: no session end).
    #[serde(default)]
    minutes: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemFile {
    #[serde(default)]
    stimulus: Vec<StimulusToml>,
    #[serde(default)]
    item: Vec<ItemToml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StimulusToml {
    id: String,
    #[serde(default)]
    title: String,
    html: Option<String>,
    file: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemToml {
    id: Option<String>,
    #[serde(rename = "type")]
    kind: String,
    stimulus: Option<String>,
    prompt: String,
    points: Option<u32>,
    options: Option<Vec<String>>,
    statements: Option<Vec<String>>,
    premises: Option<Vec<String>>,
    targets: Option<Vec<String>>,
    key: Option<toml::Value>,
    accepted: Option<Vec<String>>,
    case_sensitive: Option<bool>,
    max_chars: Option<u32>,
}

fn letters(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            if i < 26 {
                ((b'A' + i as u8) as char).to_string()
            } else {
                format!("A{i}")
            }
        })
        .collect()
}

/// Reports a TOML error at `file:line`.
fn toml_issue(ctx: &Ctx, file: &str, text: &str, e: &toml::de::Error) {
    let line = e
        .span()
        .map(|s| text[..s.start.min(text.len())].lines().count().max(1))
        .unwrap_or(1);
    ctx.issue(format!("{file}:{line}"), e.message().to_string());
}

/// Reads one native item file (`[[stimulus]]` and `[[item]]` tables).
pub fn parse_items(ctx: &Ctx, file: &str, text: &str) -> Bank {
    let mut bank = Bank::default();
    let parsed: ItemFile = match toml::from_str(text) {
        Ok(p) => p,
        Err(e) => {
            toml_issue(ctx, file, text, &e);
            return bank;
        }
    };
    for s in parsed.stimulus {
        let place = format!("{file}: stimulus {}", s.id);
        let (raw, doc) = match (s.html, s.file) {
            (Some(h), None) => (h, file.to_string()),
            (None, Some(f)) => {
                let path = ruji_package::source::resolve(dir_of(file), &f).unwrap_or_default();
                match ctx.source().read(&path) {
                    Ok(b) => (String::from_utf8_lossy(&b).into_owned(), path),
                    Err(e) => {
                        ctx.issue(&place, format!("cannot read the stimulus file: {e}"));
                        continue;
                    }
                }
            }
            _ => {
                ctx.issue(&place, "give either html = \"...\" or file = \"...\"");
                continue;
            }
        };
        bank.stimuli.push(Stimulus {
            id: s.id.clone(),
            title: ctx.text(&s.title),
            html: ctx.html(&place, &doc, &raw),
        });
    }
    for (n, it) in parsed.item.into_iter().enumerate() {
        let id = it.id.clone().unwrap_or_else(|| {
            let stem = file.rsplit('/').next().unwrap_or(file);
            let stem = stem.split('.').next().unwrap_or(stem);
            format!("{}-{}", id_from(stem), n + 1)
        });
        let place = format!("{file}: item {id}");
        let html = |s: &str| ctx.html(&place, file, s);
        let choices = |texts: &[String], ids: Vec<String>| -> Vec<Choice> {
            texts
                .iter()
                .zip(ids)
                .map(|(t, id)| Choice { id, html: html(t) })
                .collect()
        };
        let need = |what: &str| {
            ctx.issue(&place, format!("type {} needs {what}", it.kind));
        };
        let key_str = it.key.as_ref().and_then(|k| k.as_str()).map(str::to_string);
        let key_list = |v: &Option<toml::Value>| -> Option<Vec<toml::Value>> {
            v.as_ref().and_then(|k| k.as_array()).cloned()
        };
        let body = match it.kind.as_str() {
            "multiple_choice" => match (&it.options, key_str) {
                (Some(o), Some(k)) => Some(ItemBody::MultipleChoice {
                    options: choices(o, letters(o.len())),
                    key: k.to_uppercase(),
                }),
                _ => {
                    need("options = [...] and key = \"B\"");
                    None
                }
            },
            "complex_multiple_choice" => match (&it.options, key_list(&it.key)) {
                (Some(o), Some(k)) => Some(ItemBody::MultipleResponse {
                    options: choices(o, letters(o.len())),
                    key: k
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_uppercase))
                        .collect(),
                }),
                _ => {
                    need("options = [...] and key = [\"A\", \"C\"]");
                    None
                }
            },
            "true_false" => match (&it.statements, key_list(&it.key)) {
                (Some(s), Some(k)) if k.iter().all(|v| v.as_bool().is_some()) => {
                    Some(ItemBody::TrueFalse {
                        statements: choices(s, (1..=s.len()).map(|i| i.to_string()).collect()),
                        key: k.iter().filter_map(toml::Value::as_bool).collect(),
                    })
                }
                _ => {
                    need("statements = [...] and key = [true, false, ...]");
                    None
                }
            },
            "matching" => match (&it.premises, &it.targets, key_list(&it.key)) {
                (Some(p), Some(t), Some(k)) => {
                    let pids: Vec<String> = (1..=p.len()).map(|i| i.to_string()).collect();
                    Some(ItemBody::Matching {
                        premises: choices(p, pids.clone()),
                        targets: choices(t, letters(t.len())),
                        key: pids
                            .into_iter()
                            .zip(k.iter().map(|v| v.as_str().unwrap_or("").to_uppercase()))
                            .collect(),
                    })
                }
                _ => {
                    need("premises, targets and key = [\"B\", \"A\", ...] (the target of each premise)");
                    None
                }
            },
            "short_answer" => match &it.accepted {
                Some(a) => Some(ItemBody::ShortAnswer {
                    accepted: a.clone(),
                    case_sensitive: it.case_sensitive.unwrap_or(false),
                }),
                None => {
                    need("accepted = [\"...\"]");
                    None
                }
            },
            "essay" => Some(ItemBody::Essay {
                max_chars: it.max_chars.unwrap_or(5000),
            }),
            other => {
                ctx.issue(&place, format!("unknown type {other:?}: use multiple_choice, complex_multiple_choice, true_false, matching, short_answer or essay"));
                None
            }
        };
        if let Some(body) = body {
            bank.items.push(Item {
                id: id.clone(),
                stimulus: it.stimulus.clone(),
                prompt: html(&it.prompt),
                points: it.points.unwrap_or(1),
                body,
            });
        }
    }
    bank
}

/// Reads the items of one file or folder named in a test, by its kind.
fn read_bank(ctx: &Ctx, path: &str) -> Bank {
    let lower = path.to_ascii_lowercase();
    let text = |ctx: &Ctx| match ctx.source().read(path) {
        Ok(b) => Some(String::from_utf8_lossy(&b).into_owned()),
        Err(e) => {
            ctx.issue(path, format!("cannot read: {e}"));
            None
        }
    };
    if lower.ends_with(".toml") {
        text(ctx)
            .map(|t| parse_items(ctx, path, &t))
            .unwrap_or_default()
    } else if lower.ends_with(".gift") || lower.ends_with(".txt") {
        text(ctx)
            .map(|t| gift::parse(ctx, path, &t))
            .unwrap_or_default()
    } else if lower.ends_with(".xml") {
        let Some(t) = text(ctx) else {
            return Bank::default();
        };
        Bank {
            items: qti::parse_item(ctx, path, &t).into_iter().collect(),
            stimuli: vec![],
        }
    } else if lower.ends_with(".zip") {
        let Ok(bytes) = ctx.source().read(path) else {
            ctx.issue(path, "cannot read");
            return Bank::default();
        };
        match ruji_package::safezip::read(&bytes, &ruji_package::safezip::Limits::default()) {
            Ok(mem) => {
                let part = Ctx::new(Arc::new(mem));
                let bank = qti::parse_package(&part);
                ctx.absorb(part, &format!("{path}: "));
                bank
            }
            Err(e) => {
                ctx.issue(path, e.to_string());
                Bank::default()
            }
        }
    } else if ctx
        .source()
        .list()
        .iter()
        .any(|f| f.starts_with(&format!("{path}/")))
    {
        // A folder: an IMS content package.
        let part = Ctx::new(Arc::new(Sub {
            inner: ctx.source_arc(),
            prefix: path.trim_end_matches('/').to_string(),
        }));
        let bank = qti::parse_package(&part);
        ctx.absorb(part, &format!("{path}/"));
        bank
    } else {
        ctx.issue(
            path,
            "not found, or not a supported item file (.toml, .gift, .txt, .xml, .zip or a folder with imsmanifest.xml)",
        );
        Bank::default()
    }
}

/// Reads participants from a CSV or XLSX file.
fn read_participants(ctx: &Ctx, path: &str) -> Vec<Participant> {
    let bytes = match ctx.source().read(path) {
        Ok(b) => b,
        Err(e) => {
            ctx.issue(path, format!("cannot read: {e}"));
            return vec![];
        }
    };
    if path.to_ascii_lowercase().ends_with(".xlsx") {
        participants::parse_xlsx(ctx, path, &bytes)
    } else {
        participants::parse_csv(ctx, path, &bytes)
    }
}

fn merge(into: &mut Bank, from: Bank, ctx: &Ctx, taken: &mut BTreeSet<String>) -> Vec<String> {
    let mut ids = Vec::new();
    for mut item in from.items {
        let original = item.id.clone();
        item.id = unique_id(item.id, taken);
        if item.id != original {
            ctx.issue(
                format!("item {original}"),
                format!("the id is used twice; this one is now {}", item.id),
            );
        }
        ids.push(item.id.clone());
        into.items.push(item);
    }
    for s in from.stimuli {
        if !into.stimuli.iter().any(|x| x.id == s.id) {
            into.stimuli.push(s);
        }
    }
    ids
}

/// Reads an authoring folder (a source whose root holds `paket.toml`).
pub fn parse_folder(ctx: &Ctx) -> Package {
    let name = MANIFESTS
        .iter()
        .find(|m| ctx.source().read(m).is_ok())
        .copied()
        .unwrap_or(MANIFESTS[0]);
    let text = match ctx.source().read(name) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(_) => {
            ctx.issue(
                "paket.toml",
                "missing: an authoring folder starts with paket.toml",
            );
            return Package::default();
        }
    };
    let p: PaketToml = match toml::from_str(&text) {
        Ok(p) => p,
        Err(e) => {
            toml_issue(ctx, name, &text, &e);
            return Package::default();
        }
    };
    let mut bank = Bank::default();
    let mut taken = BTreeSet::new();
    let mut tests = Vec::new();
    for t in &p.test {
        let mut items = Vec::new();
        for f in &t.items {
            let b = read_bank(ctx, f);
            items.extend(merge(&mut bank, b, ctx, &mut taken));
        }
        let mut practice = Vec::new();
        for f in &t.practice {
            let b = read_bank(ctx, f);
            practice.extend(merge(&mut bank, b, ctx, &mut taken));
        }
        let d = TestRules::default();
        tests.push(Test {
            id: t.id.clone(),
            name: t.name.clone(),
            kind: t.kind,
            duration_minutes: t.duration_minutes,
            items,
            practice_items: practice,
            rules: TestRules {
                shuffle_items: t.shuffle_items.unwrap_or(d.shuffle_items),
                shuffle_options: t.shuffle_options.unwrap_or(d.shuffle_options),
                refuse_finish_while_doubtful: t
                    .refuse_finish_while_doubtful
                    .unwrap_or(d.refuse_finish_while_doubtful),
                min_minutes_before_finish: t
                    .min_minutes_before_finish
                    .unwrap_or(d.min_minutes_before_finish),
                confirm_finish: t.confirm_finish.unwrap_or(d.confirm_finish),
                warning_minutes: t.warning_minutes.unwrap_or(d.warning_minutes),
                practice_minutes: t.practice_minutes.unwrap_or(d.practice_minutes),
            },
            sealed: false,
        });
    }
    let mut people = Vec::new();
    for f in &p.participants {
        people.extend(read_participants(ctx, f));
    }
    let sessions = p
        .session
        .iter()
        .map(|s| Session {
            id: s.id.clone(),
            name: s.name.clone(),
            day: s.day.clone(),
            start: s.start.clone(),
            tests: s.tests.clone(),
            participants: select(ctx, &s.id, s.participants.as_ref(), &people),
            minutes: s.minutes,
        })
        .collect();
    Package {
        id: p.id,
        title: p.title,
        issuer: p.issuer,
        stimuli: bank.stimuli,
        items: bank.items,
        tests,
        participants: people,
        sessions,
    }
}

fn select(
    ctx: &Ctx,
    session: &str,
    which: Option<&toml::Value>,
    people: &[Participant],
) -> Vec<String> {
    let all = || people.iter().map(|p| p.username.clone()).collect();
    match which {
        None => all(),
        Some(toml::Value::String(s)) if s == "all" || s == "semua" => all(),
        Some(toml::Value::Array(list)) => {
            let wanted: Vec<&str> = list.iter().filter_map(|v| v.as_str()).collect();
            for w in &wanted {
                if !people.iter().any(|p| p.class == *w || p.username == *w) {
                    ctx.issue(
                        format!("session {session}"),
                        format!("{w:?} is neither a class nor a username in the participant list"),
                    );
                }
            }
            people
                .iter()
                .filter(|p| {
                    wanted.contains(&p.class.as_str()) || wanted.contains(&p.username.as_str())
                })
                .map(|p| p.username.clone())
                .collect()
        }
        Some(_) => {
            ctx.issue(
                format!("session {session}"),
                "participants = \"all\" or a list of classes and usernames",
            );
            vec![]
        }
    }
}

/// Options for building a package from loose files.
#[derive(Debug, Clone)]
pub struct LooseOptions {
    /// Package id.
    pub id: String,
    /// Title, also the test's name.
    pub title: String,
    /// Issuer (school) name.
    pub issuer: String,
    /// Working time.
    pub duration_minutes: u32,
}

/// Builds a package with one test (all items of the item files) and one session (all
/// participants of the CSV/XLSX files) from loose files in one folder.
pub fn from_inputs(ctx: &Ctx, files: &[String], opts: &LooseOptions) -> Package {
    let mut bank = Bank::default();
    let mut taken = BTreeSet::new();
    let mut items = Vec::new();
    let mut people = Vec::new();
    for f in files {
        let lower = f.to_ascii_lowercase();
        if lower.ends_with(".csv") || lower.ends_with(".tsv") || lower.ends_with(".xlsx") {
            people.extend(read_participants(ctx, f));
        } else {
            let b = read_bank(ctx, f);
            items.extend(merge(&mut bank, b, ctx, &mut taken));
        }
    }
    let test_id = "T1".to_string();
    Package {
        id: opts.id.clone(),
        title: opts.title.clone(),
        issuer: opts.issuer.clone(),
        stimuli: bank.stimuli,
        items: bank.items,
        tests: vec![Test {
            id: test_id.clone(),
            name: opts.title.clone(),
            kind: TestKind::Scored,
            duration_minutes: opts.duration_minutes,
            items,
            practice_items: vec![],
            rules: TestRules::default(),
            sealed: false,
        }],
        sessions: vec![Session {
            id: "S1".into(),
            name: "Sesi 1".into(),
            day: String::new(),
            start: String::new(),
            tests: vec![test_id],
            participants: people.iter().map(|p| p.username.clone()).collect(),
            minutes: None,
        }],
        participants: people,
    }
}

/// Loads loose input files for `ruji pack` (items and participants, all in one folder) into a
/// package with one test and one session ([`from_inputs`]), every problem reported as for an
/// authoring folder. Refused (with what to do) when the files are not in one folder.
pub fn load_loose(inputs: &[std::path::PathBuf], opts: &LooseOptions) -> Result<Loaded, String> {
    let dir = inputs
        .first()
        .and_then(|p| p.parent())
        .ok_or_else(|| "no input".to_string())?;
    if inputs.iter().any(|p| p.parent() != Some(dir)) {
        return Err("loose input files must be in one folder".into());
    }
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let ctx = Ctx::new(Arc::new(Folder::new(dir)));
    let files: Vec<String> = inputs
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    let package = from_inputs(&ctx, &files, opts);
    let (assets, mut issues, warnings) = ctx.finish_with_warnings();
    if let Err(errs) = package.validate() {
        issues.extend(
            errs.into_iter()
                .map(|e| crate::Issue::new(e.place, e.message)),
        );
    }
    Ok(Loaded {
        format: "loose",
        package,
        assets,
        issues,
        warnings,
    })
}

/// Reads any supported input at `path`: an authoring folder, an IMS content package (folder or
/// zip), a GIFT, QTI item, native item, CSV or XLSX file. Item and participant files alone give
/// a package with one test or no test; the report says what was found.
pub fn load(path: &Path) -> Loaded {
    let ctx_of = |root: &Path| Ctx::new(Arc::new(Folder::new(root)));
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let lower = file_name.to_ascii_lowercase();
    let (format, ctx, package): (&'static str, Ctx, Package) = if path.is_dir() {
        let ctx = ctx_of(path);
        if MANIFESTS.iter().any(|m| path.join(m).is_file()) {
            let p = parse_folder(&ctx);
            ("native", ctx, p)
        } else if path.join("imsmanifest.xml").is_file() {
            let bank = qti::parse_package(&ctx);
            let p = bank_package(bank);
            ("qti", ctx, p)
        } else {
            ctx.issue(
                file_name.clone(),
                "a folder needs paket.toml (authoring folder) or imsmanifest.xml (IMS content package)",
            );
            ("unknown", ctx, Package::default())
        }
    } else {
        let dir = path.parent().unwrap_or(Path::new("."));
        let ctx = ctx_of(if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        });
        let fmt = if lower.ends_with(".gift") || lower.ends_with(".txt") {
            "gift"
        } else if lower.ends_with(".xml") || lower.ends_with(".zip") {
            "qti"
        } else if lower.ends_with(".csv") || lower.ends_with(".tsv") {
            "csv"
        } else if lower.ends_with(".xlsx") {
            "xlsx"
        } else if lower.ends_with(".toml") {
            "native"
        } else {
            "unknown"
        };
        let package = match fmt {
            "csv" | "xlsx" => Package {
                participants: read_participants(&ctx, &file_name),
                ..Package::default()
            },
            "unknown" => {
                ctx.issue(&file_name, "not a supported input: a folder with paket.toml, .gift, .txt (GIFT), .xml (QTI item), .zip (IMS content package), .toml (native items), .csv or .xlsx (participants)");
                Package::default()
            }
            _ => bank_package(read_bank(&ctx, &file_name)),
        };
        (fmt, ctx, package)
    };
    let (assets, mut issues, warnings) = ctx.finish_with_warnings();
    {
        // Judge what is there with the core rules; items alone are judged as one test.
        let mut probe = package.clone();
        if probe.tests.is_empty() && !probe.items.is_empty() {
            probe.tests.push(Test {
                id: "T".into(),
                name: "T".into(),
                kind: TestKind::Scored,
                duration_minutes: 1,
                items: probe.items.iter().map(|i| i.id.clone()).collect(),
                practice_items: vec![],
                rules: TestRules::default(),
                sealed: false,
            });
        }
        if let Err(errs) = probe.validate() {
            issues.extend(
                errs.into_iter()
                    .map(|e| crate::Issue::new(e.place, e.message)),
            );
        }
    }
    Loaded {
        format,
        package,
        assets,
        issues,
        warnings,
    }
}

fn bank_package(bank: Bank) -> Package {
    Package {
        items: bank.items,
        stimuli: bank.stimuli,
        ..Package::default()
    }
}
