//! `ruji results`: result bundles (`.rujihasil`) on a teacher's or an operator's PC.
//! `verify` checks each file's signature and says what it holds. The work is ruji-package's.

use std::path::PathBuf;
use std::process::ExitCode;

use ruji_package::bundle;

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
    }
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
