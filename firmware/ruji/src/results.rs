//! `ruji results`: result bundles (`.rujihasil`) on a teacher's or an operator's PC.
//! `verify` checks each file's signature and says what it holds (ruji-package); `report` makes
//! the teacher's report from verified bundles (ruji-report).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ruji_package::bundle;
use ruji_report::{Lang, Part, Report};

/// `ruji results`.
#[derive(clap::Args)]
pub struct ResultsArgs {
    #[command(subcommand)]
    command: ResultsCommand,
}

#[derive(clap::Subcommand)]
enum ResultsCommand {
    /// Check result bundles: each file is signed by the board it names (and, with --board, by
    /// one of those boards). Exit 0 when every file is valid, 1 otherwise.
    Verify(VerifyArgs),
    /// Make a report from result bundles of one package (several sessions or boards): scores,
    /// every response, item analysis, essays to score by hand. Each file is verified first; a
    /// changed or foreign file stops the report (exit 1). The report goes to stdout or --out;
    /// messages to stderr. See docs/result-bundle.md.
    Report(ReportArgs),
}

/// The report's file format.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// A workbook with one sheet per part (Nilai, Jawaban, Analisis butir, Uraian, Keterangan).
    Xlsx,
    /// One part as CSV (comma-separated, UTF-8, decimal point): the part chosen by --part.
    Csv,
    /// One printable page (A4) with every part; --lang id (default) or en.
    Html,
}

/// A part of the report, for --format csv.
#[derive(Clone, Copy, clap::ValueEnum)]
enum PartArg {
    /// Scores per participant and test (Nilai).
    Scores,
    /// Every response, one row per participant and item (Jawaban).
    Responses,
    /// Item analysis: difficulty, discrimination, answer frequencies (Analisis butir).
    Items,
    /// Short answers and essays with an empty score column (Uraian).
    Essays,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LangArg {
    /// Bahasa Indonesia.
    Id,
    /// English.
    En,
}

#[derive(clap::Args)]
struct ReportArgs {
    /// The bundles (.rujihasil), all of one package.
    #[arg(required = true)]
    bundles: Vec<PathBuf>,
    /// xlsx, csv or html; without it, taken from --out's extension.
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// With --format csv: which part (default scores). XLSX and HTML hold every part.
    #[arg(long, value_enum)]
    part: Option<PartArg>,
    /// With --format html: the language (default id).
    #[arg(long, value_enum)]
    lang: Option<LangArg>,
    /// Write the report here instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
    /// A registered board's public key (`ruji-pk:...`); repeatable. Without it, any board that
    /// signed its own bundle is accepted.
    #[arg(long = "board")]
    boards: Vec<String>,
}

#[derive(clap::Args)]
struct VerifyArgs {
    /// The bundles (.rujihasil).
    #[arg(required = true)]
    bundles: Vec<PathBuf>,
    /// A registered board's public key (`ruji-pk:...`, from its sync report); repeatable.
    /// Without it, any board that signed its own bundle is accepted.
    #[arg(long = "board")]
    boards: Vec<String>,
}

/// Runs `ruji results`.
pub fn run(a: ResultsArgs) -> ExitCode {
    match a.command {
        ResultsCommand::Verify(v) => verify(v),
        ResultsCommand::Report(r) => report(r),
    }
}

fn format_of(a: &ReportArgs) -> Result<Format, String> {
    if let Some(f) = a.format {
        return Ok(f);
    }
    let ext = a
        .out
        .as_deref()
        .and_then(Path::extension)
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("xlsx") => Ok(Format::Xlsx),
        Some("csv") => Ok(Format::Csv),
        Some("html" | "htm") => Ok(Format::Html),
        _ => Err("say which format: --format xlsx, csv or html".into()),
    }
}

fn report(a: ReportArgs) -> ExitCode {
    let format = match format_of(&a) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("ruji results report: {e}");
            return ExitCode::from(2);
        }
    };
    if a.part.is_some() && format != Format::Csv {
        eprintln!(
            "ruji results report: --part chooses the part of a CSV file; xlsx and html hold every part"
        );
        return ExitCode::from(2);
    }
    if a.lang.is_some() && format != Format::Html {
        eprintln!("ruji results report: --lang is for html; xlsx and csv are in Bahasa Indonesia");
        return ExitCode::from(2);
    }
    if format == Format::Xlsx && a.out.is_none() && std::io::stdout().is_terminal() {
        eprintln!(
            "ruji results report: an XLSX file is not for the terminal: give --out FILE.xlsx or redirect stdout"
        );
        return ExitCode::from(2);
    }
    let boards = (!a.boards.is_empty()).then_some(a.boards.as_slice());
    let mut verified = vec![];
    let mut refused = false;
    for path in &a.bundles {
        let checked = std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|bytes| bundle::verify(&bytes, boards).map_err(|e| e.to_string()));
        match checked {
            Ok(v) => verified.push(v),
            Err(e) => {
                refused = true;
                eprintln!("REFUSED: {}: {e}", path.display());
            }
        }
    }
    if refused {
        eprintln!("ruji results report: no report made: every bundle must be the board's own file");
        return ExitCode::from(1);
    }
    let r = match Report::from_bundles(&verified) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ruji results report: {e}");
            return ExitCode::from(1);
        }
    };
    for n in &r.notes {
        eprintln!("note: {}", n.text(Lang::En));
    }
    let bytes = match format {
        Format::Xlsx => r.to_xlsx(),
        Format::Csv => {
            let part = match a.part.unwrap_or(PartArg::Scores) {
                PartArg::Scores => Part::Scores,
                PartArg::Responses => Part::Responses,
                PartArg::Items => Part::Items,
                PartArg::Essays => Part::Essays,
            };
            r.to_csv(part).into_bytes()
        }
        Format::Html => {
            let lang = match a.lang {
                Some(LangArg::En) => Lang::En,
                _ => Lang::Id,
            };
            r.to_html(lang).into_bytes()
        }
    };
    let written = match &a.out {
        Some(path) => std::fs::write(path, &bytes).map_err(|e| format!("{}: {e}", path.display())),
        None => std::io::stdout()
            .lock()
            .write_all(&bytes)
            .map_err(|e| format!("stdout: {e}")),
    };
    if let Err(e) = written {
        eprintln!("ruji results report: could not write the report: {e}");
        return ExitCode::from(2);
    }
    let participants: usize = r.sources.iter().map(|s| s.participants).sum();
    eprintln!(
        "report: package {} ({}), {} bundle(s), {} participant(s), {} test(s){}",
        r.package.id,
        r.package.title,
        r.sources.len(),
        participants,
        r.tests.len(),
        a.out
            .as_ref()
            .map(|p| format!(" -> {}", p.display()))
            .unwrap_or_default()
    );
    ExitCode::SUCCESS
}

fn verify(a: VerifyArgs) -> ExitCode {
    let boards = (!a.boards.is_empty()).then_some(a.boards.as_slice());
    let mut all_ok = true;
    for path in &a.bundles {
        let checked = std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|bytes| bundle::verify(&bytes, boards).map_err(|e| e.to_string()));
        match checked {
            Ok(v) => {
                let b = &v.bundle;
                let attempts: usize = b.participants.iter().map(|p| p.attempts.len()).sum();
                let answered: usize = b
                    .participants
                    .iter()
                    .flat_map(|p| &p.attempts)
                    .flat_map(|t| &t.answers)
                    .filter(|x| x.response.is_some())
                    .count();
                println!(
                    "OK: {}: package {} session {} ({}), board {}; {} participants, {} attempts, {} answers; events up to {}{}",
                    path.display(),
                    b.package.id,
                    b.session.id,
                    b.session.name,
                    b.board.id,
                    b.participants.len(),
                    attempts,
                    answered,
                    b.as_of_seq,
                    if b.session.open { "; the session was still open" } else { "" },
                );
                println!("  sha256 {}", v.sha256);
            }
            Err(e) => {
                all_ok = false;
                eprintln!("REFUSED: {}: {e}", path.display());
            }
        }
    }
    if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
