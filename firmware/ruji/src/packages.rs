//! The package subcommands: `keygen`, `pack`, `release-code`, `import --check`, `verify`.
//! All the work is in ruji-sync; this only reads and writes files and prints.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ruji_import::{self as import, native};
use ruji_package::{self as package, IssuerKey};

/// `ruji keygen`.
#[derive(clap::Args)]
pub struct KeygenArgs {
    /// Where to write the secret key; the public key goes beside it with `.pub` added.
    #[arg(long, short, default_value = "penerbit.key")]
    pub out: PathBuf,
}

/// `ruji pack`.
#[derive(clap::Args)]
pub struct PackArgs {
    /// An authoring folder (with paket.toml), or loose files: items (.gift, .txt, .xml, .zip,
    /// .toml) and participants (.csv, .xlsx), all in one folder.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// The issuer's secret key (from `ruji keygen`).
    #[arg(long)]
    pub key: PathBuf,
    /// The package file to write (default: <id>.rujipkg).
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Loose files only: package id.
    #[arg(long)]
    pub id: Option<String>,
    /// Loose files only: title (also the test's name).
    #[arg(long)]
    pub title: Option<String>,
    /// Loose files only: issuer (school) name.
    #[arg(long, default_value = "")]
    pub issuer: String,
    /// Loose files only: working time in minutes.
    #[arg(long, default_value_t = 60)]
    pub duration: u32,
}

/// Every participant's login card: name, class, sessions, username and the plain password.
fn login_cards(p: &ruji_core::package::Package) -> ruji_print::docs::LoginCards {
    ruji_print::docs::LoginCards {
        exam: p.title.clone(),
        place: ruji_print::docs::Place {
            school: p.issuer.clone(),
            ..Default::default()
        },
        cards: p
            .participants
            .iter()
            .map(|x| ruji_print::docs::CardData {
                username: x.username.clone(),
                password: x.password.clone(),
                name: x.name.clone(),
                class: x.class.clone(),
                session: p
                    .sessions
                    .iter()
                    .filter(|s| s.participants.contains(&x.username))
                    .map(|s| format!("{} · {} {}", s.name, s.day, s.start))
                    .collect::<Vec<_>>()
                    .join("; "),
                reserve: x.reserve,
            })
            .collect(),
    }
}

/// `ruji release-code`.
#[derive(clap::Args)]
pub struct ReleaseCodeArgs {
    /// The package.
    pub package: PathBuf,
    /// The issuer's secret key that signed it.
    #[arg(long)]
    pub key: PathBuf,
    /// The session (default: every session).
    #[arg(long)]
    pub session: Option<String>,
}

/// `ruji import`.
#[derive(clap::Args)]
pub struct ImportArgs {
    /// Only check: parse the input and report what it holds and every problem.
    #[arg(long)]
    pub check: bool,
    /// The input: an authoring folder, .gift/.txt, .xml (QTI item), .zip or a folder with
    /// imsmanifest.xml (IMS content package), .toml (native items), .csv/.xlsx (participants).
    pub file: PathBuf,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// `ruji verify`.
#[derive(clap::Args)]
pub struct VerifyArgs {
    /// The package.
    pub package: PathBuf,
    /// Trusted issuer public keys (`ruji-pk:...` or a .pub file); default: the key the package
    /// names, which checks integrity but not who signed it.
    #[arg(long = "trust")]
    pub trust: Vec<String>,
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("ruji: {msg}");
    ExitCode::from(2)
}

/// Reads an issuer's secret key file (`ruji keygen`).
pub(crate) fn read_key(path: &Path) -> Result<IssuerKey, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    IssuerKey::from_secret_text(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// `ruji keygen`: a new issuer key pair.
pub fn keygen(a: KeygenArgs) -> ExitCode {
    if a.out.exists() {
        return fail(format!(
            "{} exists; refusing to overwrite a key (packages signed with it would become unverifiable)",
            a.out.display()
        ));
    }
    let key = IssuerKey::generate();
    let mut pub_path = a.out.clone().into_os_string();
    pub_path.push(".pub");
    let pub_path = PathBuf::from(pub_path);
    if let Err(e) = ruji_sys::write_durable(&a.out, key.to_secret_text().as_bytes(), 0o600) {
        return fail(format!("{}: {e}", a.out.display()));
    }
    if let Err(e) =
        ruji_sys::write_durable(&pub_path, format!("{}\n", key.public()).as_bytes(), 0o644)
    {
        return fail(format!("{}: {e}", pub_path.display()));
    }
    println!(
        "secret key: {} (keep it safe; never copy it to a board)",
        a.out.display()
    );
    println!("public key: {} = {}", pub_path.display(), key.public());
    println!("boards that should accept your packages trust the public key: ruji.toml [packages] trusted_issuers, the proctor page, or ruji serve --trust-issuer");
    ExitCode::SUCCESS
}

fn print_issues(issues: &[ruji_import::Issue]) {
    for i in issues {
        eprintln!("  {i}");
    }
}

/// `ruji pack`.
pub fn pack(a: PackArgs) -> ExitCode {
    let key = match read_key(&a.key) {
        Ok(k) => k,
        Err(e) => return fail(e),
    };
    let loaded = if a.inputs.len() == 1 && a.inputs[0].is_dir() {
        native::load(&a.inputs[0])
    } else {
        let (Some(id), Some(title)) = (&a.id, &a.title) else {
            return fail(
                "loose files need --id and --title (an authoring folder has them in paket.toml)",
            );
        };
        let opts = native::LooseOptions {
            id: id.clone(),
            title: title.clone(),
            issuer: a.issuer.clone(),
            duration_minutes: a.duration,
        };
        match native::load_loose(&a.inputs, &opts) {
            Ok(l) => l,
            Err(e) => return fail(e),
        }
    };
    if !loaded.warnings.is_empty() {
        eprintln!(
            "ruji: {} warning(s): imported, with these adjustments (check them):",
            loaded.warnings.len()
        );
        print_issues(&loaded.warnings);
    }
    if !loaded.issues.is_empty() {
        eprintln!(
            "ruji: the input has {} error(s); nothing was written:",
            loaded.issues.len()
        );
        print_issues(&loaded.issues);
        return ExitCode::from(1);
    }
    let bytes = match package::pack(&loaded.package, &loaded.assets, &key, ruji_sys::unix_secs()) {
        Ok(b) => b,
        Err(e) => return fail(e),
    };
    let out = a
        .out
        .unwrap_or_else(|| PathBuf::from(format!("{}.{}", loaded.package.id, package::EXTENSION)));
    if let Err(e) = ruji_sys::write_durable(&out, &bytes, 0o644) {
        return fail(format!("{}: {e}", out.display()));
    }
    // The login cards, with every password (generated ones included): a list, and the cards
    // eight to an A4 page as PDF and as a page to print. The package itself holds only hashes.
    let doc = login_cards(&loaded.package).doc(ruji_print::Lang::Id);
    let csv = ruji_import::participants::write_cards_csv(&loaded.package.participants);
    let mut written = Vec::new();
    for (ext, bytes) in [
        ("kartu-login.csv", csv.into_bytes()),
        ("kartu-login.pdf", doc.to_pdf()),
        ("kartu-login.html", doc.to_html().into_bytes()),
    ] {
        let file = out.with_extension(ext);
        if let Err(e) = ruji_sys::write_durable(&file, &bytes, 0o600) {
            return fail(format!("{}: {e}", file.display()));
        }
        written.push(file.display().to_string());
    }
    println!(
        "login cards: {} (print them; keep these files private)",
        written.join(", ")
    );
    let p = &loaded.package;
    println!(
        "{}: {} ({}), {} tests, {} items, {} pictures/sounds, {} participants, {} sessions, {} KB",
        out.display(),
        p.id,
        p.title,
        p.tests.len(),
        p.items.len(),
        loaded.assets.len(),
        p.participants.len(),
        p.sessions.len(),
        bytes.len() / 1024
    );
    println!(
        "release codes: ruji release-code {} --key {}",
        out.display(),
        a.key.display()
    );
    ExitCode::SUCCESS
}

/// `ruji release-code`.
pub fn release_code(a: ReleaseCodeArgs) -> ExitCode {
    let key = match read_key(&a.key) {
        Ok(k) => k,
        Err(e) => return fail(e),
    };
    let bytes = match std::fs::read(&a.package) {
        Ok(b) => b,
        Err(e) => return fail(format!("{}: {e}", a.package.display())),
    };
    let sealed = match package::verify(&bytes, &[key.public()]) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let sessions: Vec<_> = sealed
        .manifest
        .sessions
        .iter()
        .filter(|s| a.session.as_deref().is_none_or(|w| w == s.id))
        .collect();
    if sessions.is_empty() {
        return fail(format!(
            "the package has no session {}",
            a.session.as_deref().unwrap_or("")
        ));
    }
    for s in sessions {
        match package::release_code(&bytes, &key, &s.id) {
            Ok(code) => println!("{}\t{}\t{}", s.id, code, s.name),
            Err(e) => return fail(e),
        }
    }
    ExitCode::SUCCESS
}

/// `ruji import --check`.
pub fn import(a: ImportArgs) -> ExitCode {
    if !a.check {
        return fail("use `ruji import --check FILE` to check an input; a board imports packages (.rujipkg) from the proctor page or a USB stick");
    }
    let report = import::check(&a.file);
    if a.json {
        println!("{}", serde_json::to_string(&report).expect("serialisable"));
    } else {
        println!(
            "{}: {} — {} tests, {} items, {} participants",
            a.file.display(),
            report.format,
            report.tests,
            report.items.len(),
            report.participants
        );
        if !report.errors.is_empty() {
            println!("errors (these block packing):");
            for e in &report.errors {
                println!("  {e}");
            }
        }
        if !report.warnings.is_empty() {
            println!("warnings (imported with an adjustment; check them):");
            for w in &report.warnings {
                println!("  {w}");
            }
        }
        if report.errors.is_empty() && report.warnings.is_empty() {
            println!("no problems found");
        } else if report.errors.is_empty() {
            println!("no errors: the input can be packed");
        }
    }
    if report.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// `ruji verify`.
pub fn verify(a: VerifyArgs) -> ExitCode {
    let bytes = match std::fs::read(&a.package) {
        Ok(b) => b,
        Err(e) => return fail(format!("{}: {e}", a.package.display())),
    };
    let mut trusted = Vec::new();
    for t in &a.trust {
        if t.starts_with("ruji-pk:") {
            trusted.push(t.clone());
        } else {
            match std::fs::read_to_string(t) {
                Ok(s) => trusted.push(s.trim().to_string()),
                Err(e) => return fail(format!("{t}: {e}")),
            }
        }
    }
    let self_signed = trusted.is_empty();
    if self_signed {
        // Integrity only: trust the key the package names.
        if let Ok(files) = ruji_package::safezip::read(&bytes, &Default::default()) {
            if let Some(sig) = files.files.get("signature.json") {
                if let Ok(s) = serde_json::from_slice::<package::Signature>(sig) {
                    trusted.push(s.key);
                }
            }
        }
    }
    match package::verify(&bytes, &trusted) {
        Ok(s) => {
            let m = &s.manifest;
            println!(
                "OK: {} ({}) by {} [{}]",
                m.id, m.title, m.issuer, m.issuer_key
            );
            for t in &m.tests {
                println!(
                    "  test {}: {} — {} items, {} minutes (sealed)",
                    t.id, t.name, t.items, t.duration_minutes
                );
            }
            for ses in &m.sessions {
                println!(
                    "  session {}: {} — {} participants",
                    ses.id,
                    ses.name,
                    ses.participants.len()
                );
            }
            println!("  {} participants", s.participants.len());
            if self_signed {
                println!("  (integrity checked against the key the package names; pass --trust to check who signed it)");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("REFUSED: {e}");
            ExitCode::from(1)
        }
    }
}
