//! The school's settings file, `ruji.toml` (on the card's boot partition, edited on any PC).
//!
//! [`parse`] reads the text strictly: TOML syntax, types, unknown keys (a typo must not be
//! silently ignored) and values (an address outside the room's subnet, a seat range the wrong way
//! round...). Every error carries the line and column it points at.
//!
//! [`load`] is what `ruji serve --config FILE` does at start, and it never fails: a file that
//! parses is used, and a copy of it is kept in the data directory as the *last good* settings;
//! a broken or missing file leaves Ruji on the last good settings (or the defaults when there
//! are none), with the error in the log and on the proctor page.
//!
//! Recovery (the button held at power-on) resets the LAN settings with [`reset_lan`]: it puts a
//! marker in the data directory holding the `ruji.toml` text seen at that moment. While the file
//! is unchanged, the marker wins and the LAN defaults are in force; once the file is edited
//! (the school fixed it on a PC), the marker is removed and the file applies again
//! (docs/decisions.md D17).

use std::net::Ipv4Addr;
use std::ops::Range;
use std::path::{Path, PathBuf};

use ruji_core::token::TokenPolicy;
use ruji_core::MINUTE;
use ruji_lan::LanConfig;
use serde::Deserialize;
use toml::Spanned;

/// The copy of the last `ruji.toml` that parsed cleanly, in the data directory.
pub const LAST_GOOD: &str = "ruji.toml.last-good";
/// The recovery marker in the data directory: LAN defaults are in force over `ruji.toml`.
pub const LAN_DEFAULTS_MARKER: &str = "lan-defaults";
/// First line of the marker file; the rest is the `ruji.toml` text seen at recovery.
const MARKER_HEADER: &str =
    "# ruji: LAN defaults in force since a recovery; below is the ruji.toml seen then\n";

/// Most seats a room may list (a guard against a mistyped range).
pub const MAX_SEATS: u32 = 1024;

/// The UI language the school chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Follow the browser (`Accept-Language`), Bahasa Indonesia when it names neither.
    #[default]
    Auto,
    /// Bahasa Indonesia for everyone (a participant can still switch).
    Id,
    /// English for everyone (a participant can still switch).
    En,
}

/// The school's settings, validated. `Default` is what Ruji uses without a file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SchoolConfig {
    /// `[lan]`: the board's address and the seats.
    pub lan: LanConfig,
    /// `[ui] language`.
    pub language: Language,
    /// `[token]`: rotation and grace.
    pub token: TokenPolicy,
    /// `[exam] count_downtime`: count time while the server was down against running tests.
    pub count_downtime: bool,
    /// `[packages] trusted_issuers`: public keys (`ruji-pk:...`) of issuers whose packages the
    /// board accepts.
    pub trusted_issuers: Vec<String>,
    /// `[central]`: the issuer's central server, when the school uses one.
    pub central: Option<Central>,
    /// `[results] gate_next_day`: a session waits for the central server's receipts of the
    /// earlier days' results (`None`: on exactly when a central server is set).
    pub gate_next_day: Option<bool>,
    /// `[clock] ntp`: the NTP servers asked while the clock is not set (`None`: the defaults,
    /// [`DEFAULT_NTP`]; an empty list asks none).
    pub ntp: Option<Vec<String>>,
    /// `[school]`: the school's name, the room, the time zone (the printables' heading).
    pub school: School,
}

/// `[school]`: who and where, for the printables and the event log's times.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct School {
    /// The school's name, e.g. "SMP Negeri 1 Contoh" (empty: a blank line to write on).
    pub name: String,
    /// The room, e.g. "Lab Komputer 1" (empty: a blank line to write on).
    pub room: String,
    /// The zone wall times are shown in (`WIB`, `WITA`, `WIT`; WIB by default).
    pub zone: ruji_core::wallclock::Zone,
}

/// Longest school or room name kept (a printable's heading line).
pub const MAX_SCHOOL_CHARS: usize = 120;

/// NTP servers asked when ruji.toml names none: Indonesia's pool first, then the world's.
pub const DEFAULT_NTP: [&str; 2] = ["id.pool.ntp.org", "pool.ntp.org"];

impl SchoolConfig {
    /// The NTP servers to ask ([`DEFAULT_NTP`] unless `[clock] ntp` is set).
    pub fn ntp_servers(&self) -> Vec<String> {
        match &self.ntp {
            Some(list) => list.clone(),
            None => DEFAULT_NTP.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// The next day's sessions wait for the earlier days' receipts.
    pub fn gates_next_day(&self) -> bool {
        self.gate_next_day.unwrap_or(self.central.is_some())
    }
}

/// `[central]`: where an online board fetches a session's release code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Central {
    /// `https://...` (checked by [`ruji_sync::check_url`]).
    pub url: String,
    /// PEM certificates the board trusts besides Mozilla's roots (a district's own CA).
    pub ca: Option<String>,
}

/// What is wrong with a settings file, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line, when the error points into the text.
    pub line: Option<usize>,
    /// 1-based column (in characters), when the error points into the text.
    pub column: Option<usize>,
    /// What is wrong (English, as in the log).
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{}:{l}:{c}: {}", self.path.display(), self.message),
            _ => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

/// The file as written; every key optional.
#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct RawFile {
    lan: RawLan,
    ui: RawUi,
    token: RawToken,
    exam: RawExam,
    packages: RawPackages,
    central: RawCentral,
    results: RawResults,
    clock: RawClock,
    school: RawSchool,
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct RawSchool {
    name: Option<Spanned<String>>,
    room: Option<Spanned<String>>,
    time_zone: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct RawClock {
    ntp: Option<Vec<Spanned<String>>>,
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct RawResults {
    gate_next_day: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct RawCentral {
    url: Option<Spanned<String>>,
    ca: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct RawPackages {
    trusted_issuers: Vec<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct RawLan {
    /// `"192.168.0.200/24"`, or `"192.168.0.200"` with `prefix_len`.
    address: Option<Spanned<String>>,
    prefix_len: Option<Spanned<u8>>,
    #[serde(alias = "seat_first")]
    seats_first: Option<Spanned<Ipv4Addr>>,
    #[serde(alias = "seat_last")]
    seats_last: Option<Spanned<Ipv4Addr>>,
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct RawUi {
    language: Option<Language>,
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct RawToken {
    rotate_minutes: Option<Spanned<u32>>,
    grace_minutes: Option<Spanned<u32>>,
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct RawExam {
    count_downtime: Option<bool>,
}

/// 1-based line and column (in characters) of byte offset `at` in `text`.
pub fn line_column(text: &str, at: usize) -> (usize, usize) {
    let at = at.min(text.len());
    let before = text.get(..at).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

/// Parses and checks the text of a settings file (`path` is only for messages).
pub fn parse(text: &str, path: &Path) -> Result<SchoolConfig, ConfigError> {
    let err = |span: Option<Range<usize>>, message: String| {
        let (line, column) = match span {
            Some(s) => {
                let (l, c) = line_column(text, s.start);
                (Some(l), Some(c))
            }
            None => (None, None),
        };
        ConfigError {
            path: path.to_path_buf(),
            line,
            column,
            message,
        }
    };
    let raw: RawFile = toml::from_str(text).map_err(|e| err(e.span(), e.message().to_string()))?;
    let mut cfg = SchoolConfig::default();

    // [lan]
    let lan = &raw.lan;
    if let Some(a) = &lan.address {
        let (ip, prefix) = parse_address(a.get_ref()).map_err(|m| err(Some(a.span()), m))?;
        cfg.lan.address = ip;
        match (prefix, &lan.prefix_len) {
            (Some(p), Some(q)) if p != *q.get_ref() => {
                return Err(err(
                    Some(q.span()),
                    format!(
                        "prefix_len = {} contradicts the /{p} in address; keep one of them",
                        q.get_ref()
                    ),
                ))
            }
            (Some(p), _) => cfg.lan.prefix_len = p,
            (None, Some(q)) => cfg.lan.prefix_len = *q.get_ref(),
            (None, None) => {}
        }
    } else if let Some(q) = &lan.prefix_len {
        cfg.lan.prefix_len = *q.get_ref();
    }
    if !(8..=30).contains(&cfg.lan.prefix_len) {
        let span = lan
            .prefix_len
            .as_ref()
            .map(|q| q.span())
            .or(lan.address.as_ref().map(|a| a.span()));
        return Err(err(
            span,
            format!(
                "prefix length /{} is not usable for a room LAN; use 8 to 30 (usually 24)",
                cfg.lan.prefix_len
            ),
        ));
    }
    let addr_span = lan.address.as_ref().map(|a| a.span());
    check_host(&cfg.lan, cfg.lan.address, "the board's address")
        .map_err(|m| err(addr_span.clone(), m))?;
    if let Some(f) = &lan.seats_first {
        cfg.lan.seat_first = *f.get_ref();
    }
    if let Some(l) = &lan.seats_last {
        cfg.lan.seat_last = *l.get_ref();
    }
    let first_span = lan
        .seats_first
        .as_ref()
        .map(|f| f.span())
        .or(addr_span.clone());
    let last_span = lan
        .seats_last
        .as_ref()
        .map(|l| l.span())
        .or(addr_span.clone());
    // A seat left at its default names it, so the message says to set the range.
    let seat_name = |set: bool, key: &str| {
        if set {
            key.to_string()
        } else {
            format!("{key} (not set; add seats_first and seats_last to [lan]) default")
        }
    };
    check_host(
        &cfg.lan,
        cfg.lan.seat_first,
        &seat_name(lan.seats_first.is_some(), "seats_first"),
    )
    .map_err(|m| err(first_span.clone(), m))?;
    check_host(
        &cfg.lan,
        cfg.lan.seat_last,
        &seat_name(lan.seats_last.is_some(), "seats_last"),
    )
    .map_err(|m| err(last_span.clone(), m))?;
    let (first, last) = (u32::from(cfg.lan.seat_first), u32::from(cfg.lan.seat_last));
    if first > last {
        return Err(err(
            last_span,
            format!(
                "seats_last {} comes before seats_first {}; swap them",
                cfg.lan.seat_last, cfg.lan.seat_first
            ),
        ));
    }
    if last - first >= MAX_SEATS {
        return Err(err(
            last_span,
            format!(
                "{} seats from {} to {} is more than {MAX_SEATS}; check the range",
                last - first + 1,
                cfg.lan.seat_first,
                cfg.lan.seat_last
            ),
        ));
    }
    if cfg.lan.is_seat(cfg.lan.address) {
        return Err(err(
            addr_span,
            format!(
                "the board's address {} is inside the seat range {}-{}; give the board an address \
                 outside it (e.g. .200)",
                cfg.lan.address, cfg.lan.seat_first, cfg.lan.seat_last
            ),
        ));
    }

    // [ui]
    if let Some(l) = raw.ui.language {
        cfg.language = l;
    }

    // [token]
    let t = &raw.token;
    if let Some(r) = &t.rotate_minutes {
        let m = *r.get_ref();
        if m > 240 {
            return Err(err(
                Some(r.span()),
                format!("rotate_minutes = {m} is too long; use 0 (never) to 240 (usually 15)"),
            ));
        }
        cfg.token.rotate_every = (m > 0).then(|| u64::from(m) * MINUTE);
    }
    if let Some(g) = &t.grace_minutes {
        let m = *g.get_ref();
        if m > 60 {
            return Err(err(
                Some(g.span()),
                format!("grace_minutes = {m} is too long; use 0 to 60 (usually 5)"),
            ));
        }
        cfg.token.grace = u64::from(m) * MINUTE;
    }
    if let Some(every) = cfg.token.rotate_every {
        if cfg.token.grace > every {
            let span = t.grace_minutes.as_ref().or(t.rotate_minutes.as_ref());
            return Err(err(
                span.map(|s| s.span()),
                format!(
                    "grace_minutes ({}) is longer than rotate_minutes ({}); the old token would \
                     outlive the next one",
                    cfg.token.grace / MINUTE,
                    every / MINUTE
                ),
            ));
        }
    }

    // [exam]
    if let Some(c) = raw.exam.count_downtime {
        cfg.count_downtime = c;
    }

    // [packages]
    for k in &raw.packages.trusted_issuers {
        if let Err(e) = ruji_package::parse_public(k.get_ref()) {
            return Err(err(
                Some(k.span()),
                format!("trusted_issuers: {e}; copy the whole line of the issuer's .pub file"),
            ));
        }
        cfg.trusted_issuers.push(k.get_ref().trim().to_string());
    }

    // [central]
    let c = &raw.central;
    match (&c.url, &c.ca) {
        (Some(u), ca) if !u.get_ref().trim().is_empty() => {
            let url = ruji_sync::check_url(u.get_ref())
                .map_err(|m| err(Some(u.span()), format!("url: {m}")))?;
            let ca = match ca.as_ref().filter(|c| !c.get_ref().trim().is_empty()) {
                Some(c) => {
                    ruji_sync::parse_ca(c.get_ref()).map_err(|m| {
                        err(
                            Some(c.span()),
                            format!("ca: {m}; paste the whole PEM block between ''' quotes"),
                        )
                    })?;
                    Some(c.get_ref().clone())
                }
                None => None,
            };
            cfg.central = Some(Central { url, ca });
        }
        (_, Some(ca)) if !ca.get_ref().trim().is_empty() => {
            return Err(err(
                Some(ca.span()),
                "ca is set but url is not; give the central server's url too".into(),
            ));
        }
        _ => {}
    }
    cfg.gate_next_day = raw.results.gate_next_day;
    if let Some(list) = raw.clock.ntp {
        let mut servers = Vec::with_capacity(list.len());
        for s in list {
            let name = s.get_ref().trim();
            let host = name.rsplit_once(':').map_or(name, |(h, _)| h);
            if host.is_empty()
                || name.len() > 260
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.:".contains(&b))
            {
                return Err(err(
                    Some(s.span()),
                    format!("{name:?} is not an NTP server name; write it as \"pool.ntp.org\" or \"192.168.1.1\""),
                ));
            }
            servers.push(name.to_string());
        }
        cfg.ntp = Some(servers);
    }
    for (field, value) in [
        (&mut cfg.school.name, &raw.school.name),
        (&mut cfg.school.room, &raw.school.room),
    ] {
        if let Some(v) = value {
            let text = v.get_ref().trim();
            if text.chars().count() > MAX_SCHOOL_CHARS || text.chars().any(char::is_control) {
                return Err(err(
                    Some(v.span()),
                    format!("{text:?} is too long or has a line break; write at most {MAX_SCHOOL_CHARS} characters on one line"),
                ));
            }
            *field = text.to_string();
        }
    }
    if let Some(z) = &raw.school.time_zone {
        cfg.school.zone = ruji_core::wallclock::Zone::parse(z.get_ref()).ok_or_else(|| {
            err(
                Some(z.span()),
                format!(
                    "time_zone {:?} is not one of \"WIB\", \"WITA\", \"WIT\"",
                    z.get_ref()
                ),
            )
        })?;
    }
    Ok(cfg)
}

/// `"A.B.C.D/NN"` or `"A.B.C.D"` -> address and optional prefix length.
fn parse_address(s: &str) -> Result<(Ipv4Addr, Option<u8>), String> {
    let (ip, prefix) = match s.trim().split_once('/') {
        Some((ip, p)) => (ip, Some(p)),
        None => (s.trim(), None),
    };
    let ip: Ipv4Addr = ip.parse().map_err(|_| {
        format!("address {s:?} is not an IPv4 address; write it like \"192.168.0.200/24\"")
    })?;
    let prefix = match prefix {
        None => None,
        Some(p) => Some(p.parse::<u8>().ok().filter(|p| *p <= 32).ok_or_else(|| {
            format!("address {s:?}: the part after / must be a prefix length such as 24")
        })?),
    };
    Ok((ip, prefix))
}

/// An address a host of this subnet can have: inside the subnet, not its network or broadcast
/// address, not loopback or multicast.
fn check_host(lan: &LanConfig, ip: Ipv4Addr, what: &str) -> Result<(), String> {
    if ip.is_loopback() || ip.is_multicast() || ip.is_unspecified() || ip.is_broadcast() {
        return Err(format!("{what} {ip} cannot be used on a LAN"));
    }
    if !lan.in_subnet(ip) {
        return Err(format!(
            "{what} {ip} is outside the room's subnet {}/{}; every address must share the \
             board's network",
            lan.address, lan.prefix_len
        ));
    }
    let subnet = lan.subnet();
    if ip == subnet.network() || ip == subnet.broadcast() {
        return Err(format!(
            "{what} {ip} is the subnet's network or broadcast address; pick another"
        ));
    }
    Ok(())
}

/// Where the settings in force came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The file given with `--config`.
    File,
    /// The copy of the last file that parsed cleanly ([`LAST_GOOD`]).
    LastGood,
    /// Built-in defaults (no file given, or a broken one and no good copy).
    Defaults,
}

/// The result of [`load`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    /// The settings in force.
    pub config: SchoolConfig,
    /// Where they came from.
    pub source: Source,
    /// What was wrong with the file, if anything.
    pub error: Option<ConfigError>,
    /// A recovery marker is in force: the LAN settings are the defaults, whatever the file says.
    pub lan_defaults: bool,
}

/// Loads the settings for `ruji serve`: never fails (see the module docs). Keeps the last good
/// copy in `data_dir` up to date and drops a recovery marker once the file has changed.
pub fn load(path: Option<&Path>, data_dir: &Path) -> Loaded {
    let mut loaded = Loaded {
        config: SchoolConfig::default(),
        source: Source::Defaults,
        error: None,
        lan_defaults: false,
    };
    let text = path.map(|p| {
        read_text(p).map_err(|e| ConfigError {
            path: p.to_path_buf(),
            line: None,
            column: None,
            message: format!("cannot read the settings file: {e}"),
        })
    });
    if let (Some(p), Some(text)) = (path, &text) {
        match text
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|t| parse(t, p))
        {
            Ok(cfg) => {
                loaded.config = cfg;
                loaded.source = Source::File;
                if let Ok(t) = text {
                    if let Err(e) = keep_last_good(t, data_dir) {
                        tracing::warn!(error = %e, "cannot keep a copy of the good ruji.toml");
                    }
                }
            }
            Err(e) => {
                let good = data_dir.join(LAST_GOOD);
                match std::fs::read_to_string(&good) {
                    Ok(t) => match parse(&t, &good) {
                        Ok(cfg) => {
                            loaded.config = cfg;
                            loaded.source = Source::LastGood;
                        }
                        Err(e2) => {
                            tracing::error!(error = %e2, "the last good copy no longer parses; using defaults")
                        }
                    },
                    Err(e2) if e2.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e2) => {
                        tracing::error!(error = %e2, path = %good.display(), "cannot read the last good settings")
                    }
                }
                loaded.error = Some(e);
            }
        }
    }
    // The recovery marker: in force while the file reads as it did at the recovery.
    let marker = data_dir.join(LAN_DEFAULTS_MARKER);
    match std::fs::read_to_string(&marker) {
        Ok(m) => {
            let seen = m.strip_prefix(MARKER_HEADER).unwrap_or(&m);
            let now = current_text(&text);
            if seen == now {
                loaded.config.lan = LanConfig::default();
                loaded.lan_defaults = true;
            } else {
                tracing::info!(
                    "ruji.toml changed since the recovery: its LAN settings apply again"
                );
                if let Err(e) = std::fs::remove_file(&marker) {
                    tracing::warn!(error = %e, "cannot remove the recovery marker");
                }
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => tracing::warn!(error = %e, "cannot read the recovery marker"),
    }
    loaded
}

/// The file's text for the marker comparison: a missing or unreadable file counts as empty.
fn current_text(text: &Option<Result<String, ConfigError>>) -> &str {
    match text {
        Some(Ok(t)) => t,
        _ => "",
    }
}

/// Recovery: puts the LAN defaults in force over `ruji.toml` until the file changes.
pub fn reset_lan(path: Option<&Path>, data_dir: &Path) -> std::io::Result<()> {
    let text = path.map(|p| {
        read_text(p).map_err(|e| ConfigError {
            path: p.to_path_buf(),
            line: None,
            column: None,
            message: e.to_string(),
        })
    });
    let body = format!("{MARKER_HEADER}{}", current_text(&text));
    ruji_sys::write_durable(&data_dir.join(LAN_DEFAULTS_MARKER), body.as_bytes(), 0o644)
}

/// Writes the good file's text to [`LAST_GOOD`] when it differs from the copy there.
fn keep_last_good(text: &str, data_dir: &Path) -> std::io::Result<()> {
    let good = data_dir.join(LAST_GOOD);
    if std::fs::read_to_string(&good).is_ok_and(|t| t == text) {
        return Ok(());
    }
    ruji_sys::write_durable(&good, text.as_bytes(), 0o644)
}

/// What was wrong with the settings file, and where (for the proctor page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError {
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// What is wrong (as in the log; English).
    pub message: String,
}

/// The settings in force, for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InForce {
    /// The board's address with its prefix, `192.168.0.200/24`.
    pub lan_address: String,
    /// The seat range, `192.168.0.1 - 192.168.0.15`.
    pub seats: String,
    /// The school's UI language.
    pub language: Language,
    /// Automatic token rotation in minutes; `None` = only when the proctor rotates it.
    pub token_rotate_minutes: Option<u64>,
    /// How long the previous token stays valid, in minutes.
    pub token_grace_minutes: u64,
    /// Time while the server was down counts against running tests.
    pub count_downtime: bool,
    /// The next day's sessions wait for the earlier days' receipts.
    pub gate_next_day: bool,
    /// The school, the room and the time zone.
    pub school: School,
}

/// What the proctor page says about ruji.toml.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingsNotice {
    /// The settings file Ruji was started with (`--config`), if any.
    pub path: Option<String>,
    /// The file had an error; the settings in force come from elsewhere (see `from_last_good`).
    pub error: Option<SettingsError>,
    /// With an error: the last good copy is in force (`false`: the defaults).
    pub from_last_good: bool,
    /// A recovery (button held at power-on) put the LAN defaults in force over ruji.toml.
    pub lan_defaults: bool,
    /// The settings in force.
    pub in_force: Option<InForce>,
}

impl Loaded {
    /// What the proctor page says about these settings (`path` as given with `--config`;
    /// `count_downtime` also when the command line asked for it).
    pub fn notice(&self, path: Option<&Path>, count_downtime: bool) -> SettingsNotice {
        let c = &self.config;
        SettingsNotice {
            path: path.map(|p| p.display().to_string()),
            error: self.error.as_ref().map(|e| SettingsError {
                line: e.line,
                column: e.column,
                message: e.message.clone(),
            }),
            from_last_good: self.source == Source::LastGood,
            lan_defaults: self.lan_defaults,
            in_force: Some(InForce {
                lan_address: c.lan.subnet().to_string(),
                seats: format!("{} - {}", c.lan.seat_first, c.lan.seat_last),
                language: c.language,
                token_rotate_minutes: c.token.rotate_every.map(|m| m / MINUTE),
                token_grace_minutes: c.token.grace / MINUTE,
                count_downtime: count_downtime || c.count_downtime,
                gate_next_day: c.gates_next_day(),
                school: c.school.clone(),
            }),
        }
    }
}

/// The text of a settings file as a school's editor saved it: UTF-8 with or without a byte-order
/// mark, UTF-16 (Notepad's "Unicode", which always starts with its byte-order mark), or, when the
/// bytes are not UTF-8, Windows-1252 (an older Notepad's "ANSI"; every byte is a character, so
/// it never fails). CRLF line ends are TOML's own.
pub fn read_text(path: &Path) -> std::io::Result<String> {
    Ok(decode_text(&std::fs::read(path)?))
}

/// [`read_text`] on bytes.
fn decode_text(bytes: &[u8]) -> String {
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom..]);
        return text.into_owned();
    }
    match std::str::from_utf8(bytes) {
        Ok(t) => t.to_string(),
        Err(_) => encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0
            .into_owned(),
    }
}

/// Reads ruji.toml strictly, for a one-shot command (`ruji lan-check`): the defaults when no
/// file is given, an error with its line and column for a broken one.
pub fn read(path: Option<&Path>) -> Result<SchoolConfig, String> {
    match path {
        None => Ok(SchoolConfig::default()),
        Some(path) => read_text(path)
            .map_err(|e| format!("{}: {e}", path.display()))
            .and_then(|t| parse(&t, path).map_err(|e| e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_files_in_every_encoding_a_school_editor_saves_read_alike() {
        // A comment with an accented letter, as a school types it, and CRLF line ends.
        let text = "# Ruang ujian: Lab Komputer, caf\u{e9} di lantai 2\r\n[ui]\r\nlanguage = \"en\"\r\n[token]\r\nrotate_minutes = 20\r\n";
        let mut utf16le = vec![0xFF, 0xFE];
        utf16le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let mut utf16be = vec![0xFE, 0xFF];
        utf16be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
        let mut bom8 = vec![0xEF, 0xBB, 0xBF];
        bom8.extend(text.as_bytes());
        // Windows-1252 ("ANSI"): the é is the single byte 0xE9, not UTF-8.
        let ansi: Vec<u8> = text
            .chars()
            .map(|c| if c == '\u{e9}' { 0xE9 } else { c as u8 })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        for (what, bytes) in [
            ("UTF-8", text.as_bytes().to_vec()),
            ("UTF-8 with BOM", bom8),
            ("UTF-16 LE", utf16le),
            ("UTF-16 BE", utf16be),
            ("Windows-1252", ansi),
        ] {
            let path = dir.path().join("ruji.toml");
            std::fs::write(&path, &bytes).unwrap();
            assert_eq!(read_text(&path).unwrap(), text, "{what}");
            let loaded = load(Some(&path), dir.path());
            assert!(loaded.error.is_none(), "{what}: {:?}", loaded.error);
            assert_eq!(loaded.source, Source::File, "{what}");
            assert_eq!(loaded.config.language, Language::En, "{what}");
        }
    }

    fn p(text: &str) -> Result<SchoolConfig, ConfigError> {
        parse(text, Path::new("ruji.toml"))
    }

    fn at(text: &str) -> (usize, usize, String) {
        let e = p(text).unwrap_err();
        (e.line.unwrap(), e.column.unwrap(), e.message)
    }

    /// The file the image ships (image/rootfs-overlay/etc/ruji/ruji.toml.default) parses to the
    /// defaults.
    #[test]
    fn the_shipped_file_is_the_defaults() {
        let shipped = include_str!("../../../image/rootfs-overlay/etc/ruji/ruji.toml.default");
        assert_eq!(p(shipped).unwrap(), SchoolConfig::default());
        assert_eq!(p("").unwrap(), SchoolConfig::default());
    }

    #[test]
    fn ntp_servers_default_to_indonesias_pool_and_can_be_named_or_turned_off() {
        assert_eq!(
            p("").unwrap().ntp_servers(),
            ["id.pool.ntp.org", "pool.ntp.org"]
        );
        let c = p("[clock]\nntp = [\"10.0.0.1\", \"ntp.sekolah.id:123\"]\n").unwrap();
        assert_eq!(c.ntp_servers(), ["10.0.0.1", "ntp.sekolah.id:123"]);
        assert!(p("[clock]\nntp = []\n").unwrap().ntp_servers().is_empty());
        let bad = p("[clock]\nntp = [\"pool ntp org\"]\n").unwrap_err();
        assert_eq!(bad.line, Some(2));
        assert!(bad.message.contains("not an NTP server name"), "{bad}");
    }

    #[test]
    fn the_school_room_and_time_zone_for_the_printables() {
        let c = p(
            "[school]\nname = \" SMP Negeri 1 Contoh \"\nroom = \"Lab 1\"\ntime_zone = \"wita\"\n",
        )
        .unwrap();
        assert_eq!(
            c.school,
            School {
                name: "SMP Negeri 1 Contoh".into(),
                room: "Lab 1".into(),
                zone: ruji_core::wallclock::Zone::Wita,
            }
        );
        assert_eq!(p("").unwrap().school.zone, ruji_core::wallclock::Zone::Wib);
        let bad = p("[school]\ntime_zone = \"UTC+7\"\n").unwrap_err();
        assert_eq!(bad.line, Some(2));
        assert!(bad.message.contains("\"WIB\", \"WITA\", \"WIT\""), "{bad}");
        let bad = p(&format!("[school]\nname = \"{}\"\n", "x".repeat(121))).unwrap_err();
        assert!(bad.message.contains("at most 120 characters"), "{bad}");
    }

    #[test]
    fn every_section_is_read() {
        let c = p(r#"
[lan]
address = "10.1.2.3/16"
seats_first = "10.1.3.1"
seats_last = "10.1.3.40"
[ui]
language = "en"
[token]
rotate_minutes = 7
grace_minutes = 2
[exam]
count_downtime = true
[packages]
trusted_issuers = ["ruji-pk:h95iXybcEfN9gs3rRTDv6x6RtbJIUg+ZyvlPR9m33TI="]
[central]
url = "https://pusat.example.id/"
"#)
        .unwrap();
        assert_eq!(
            c.central,
            Some(Central {
                url: "https://pusat.example.id".into(),
                ca: None
            })
        );
        let bad = p("[central]\nurl = \"http://pusat.example.id\"\n").unwrap_err();
        assert_eq!(bad.line, Some(2));
        assert!(bad.message.contains("use https://"), "{bad}");
        let bad = p("[central]\nurl = \"https://pusat.example.id\"\nca = \"bukan sertifikat\"\n")
            .unwrap_err();
        assert_eq!(bad.line, Some(3));
        assert!(bad.message.contains("PEM"), "{bad}");
        let bad = p("[central]\nca = \"x\"\n").unwrap_err();
        assert!(bad.message.contains("url"), "{bad}");
        // An empty url is "not used", as the shipped file writes it.
        assert_eq!(p("[central]\nurl = \"\"\n").unwrap().central, None);
        // The next day waits for receipts by default exactly when a central server is set.
        assert!(c.gates_next_day());
        assert!(!p("").unwrap().gates_next_day());
        let off =
            p("[central]\nurl = \"https://pusat.example.id\"\n[results]\ngate_next_day = false\n");
        assert!(!off.unwrap().gates_next_day());
        let on = p("[results]\ngate_next_day = true\n").unwrap();
        assert!(
            on.gates_next_day(),
            "a school without WAN can gate on receipts by hand"
        );
        let bad = p("[results]\ngate_next_day = \"ya\"\n").unwrap_err();
        assert_eq!(bad.line, Some(2));
        assert_eq!(c.trusted_issuers.len(), 1);
        let bad = p("[packages]\ntrusted_issuers = [\"ruji-pk:abc\"]\n").unwrap_err();
        assert_eq!(bad.line, Some(2));
        assert!(bad.message.contains("trusted_issuers"), "{bad}");
        assert_eq!(c.lan.address, Ipv4Addr::new(10, 1, 2, 3));
        assert_eq!(c.lan.prefix_len, 16);
        assert_eq!(c.lan.seats().count(), 40);
        assert_eq!(c.language, Language::En);
        assert_eq!(c.token.rotate_every, Some(7 * MINUTE));
        assert_eq!(c.token.grace, 2 * MINUTE);
        assert!(c.count_downtime);
        // The lan-check spelling (docs/lan.md) is accepted too; 0 minutes = no rotation.
        let c = p("[lan]\naddress = \"172.16.5.9\"\nprefix_len = 24\nseat_first = \"172.16.5.10\"\nseat_last = \"172.16.5.12\"\n[token]\nrotate_minutes = 0\n").unwrap();
        assert_eq!(c.lan.prefix_len, 24);
        assert_eq!(c.lan.seats().count(), 3);
        assert_eq!(c.token.rotate_every, None);
    }

    #[test]
    fn syntax_type_and_unknown_key_errors_point_at_the_line() {
        let (l, c, m) = at("[lan]\naddress = \"192.168.0.200/24\n");
        assert_eq!((l, c), (2, 28), "the end of the line: {m}");
        let (l, c, m) = at("[token]\nrotate_minutes = \"lima belas\"\n");
        assert_eq!((l, c), (2, 18));
        assert!(m.contains("invalid type"), "{m}");
        let (l, c, m) = at("[lan]\nadress = \"192.168.0.200/24\"\n");
        assert_eq!((l, c), (2, 1));
        assert!(m.contains("unknown field `adress`"), "{m}");
        let (l, _, m) = at("[lann]\n");
        assert_eq!(l, 1);
        assert!(m.contains("unknown field `lann`"), "{m}");
        let (l, c, m) = at("\n[ui]\nlanguage = \"jawa\"\n");
        assert_eq!((l, c), (3, 12));
        assert!(m.contains("unknown variant"), "{m}");
        let (l, c, m) = at("[lan]\nseats_first = \"192.168.0.300\"\n");
        assert_eq!((l, c), (2, 15));
        assert!(m.contains("invalid IPv4"), "{m}");
    }

    #[test]
    fn invalid_values_are_refused_with_what_to_do() {
        let (l, c, m) =
            at("[lan]\naddress = \"192.168.0.200/24\"\nseats_first = \"192.168.1.1\"\n");
        assert_eq!((l, c), (3, 15));
        assert!(
            m.contains("outside the room's subnet 192.168.0.200/24"),
            "{m}"
        );
        let (l, _, m) = at("[lan]\naddress = \"192.168.0.200/24\"\nseats_first = \"192.168.0.20\"\nseats_last = \"192.168.0.10\"\n");
        assert_eq!(l, 4);
        assert!(m.contains("swap"), "{m}");
        let (_, _, m) = at("[lan]\naddress = \"192.168.0.5/24\"\n");
        assert!(m.contains("inside the seat range"), "{m}");
        let (_, _, m) = at("[lan]\naddress = \"192.168.0.255/24\"\n");
        assert!(m.contains("broadcast"), "{m}");
        let (_, _, m) = at("[lan]\naddress = \"192.168.0.200/31\"\n");
        assert!(m.contains("8 to 30"), "{m}");
        let (_, _, m) = at("[lan]\naddress = \"192.168.0.200/24\"\nprefix_len = 16\n");
        assert!(m.contains("contradicts"), "{m}");
        let (l, c, m) = at("[lan]\naddress = \"10.0.5.200/24\"\n");
        assert_eq!((l, c), (2, 11));
        assert!(m.contains("seats_first (not set; add seats_first and seats_last to [lan]) default 192.168.0.1 is outside"), "{m}");
        let (_, _, m) = at("[lan]\naddress = \"papan\"\n");
        assert!(m.contains("not an IPv4 address"), "{m}");
        let (_, _, m) = at("[lan]\naddress = \"10.0.0.1/8\"\nseats_first = \"10.0.0.2\"\nseats_last = \"10.1.0.2\"\n");
        assert!(m.contains("more than 1024"), "{m}");
        let (l, _, m) = at("[token]\nrotate_minutes = 5\ngrace_minutes = 10\n");
        assert_eq!(l, 3);
        assert!(m.contains("longer than rotate_minutes"), "{m}");
        let (_, _, m) = at("[token]\nrotate_minutes = 1000\n");
        assert!(m.contains("0 (never) to 240"), "{m}");
        let e = p("[lan]\naddress = \"192.168.0.200/24\"\nseats_first = \"192.168.1.1\"\n")
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("ruji.toml:3:15: seats_first 192.168.1.1"),
            "{e}"
        );
    }

    #[test]
    fn line_and_column_count_characters() {
        assert_eq!(line_column("a\nbé=c", 5), (2, 3));
        assert_eq!(line_column("", 9), (1, 1));
    }

    const GOOD: &str = "[lan]\naddress = \"10.1.2.200/24\"\nseats_first = \"10.1.2.1\"\nseats_last = \"10.1.2.15\"\n[token]\nrotate_minutes = 7\n";

    #[test]
    fn a_broken_file_falls_back_to_the_last_good_then_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let (file, data) = (dir.path().join("ruji.toml"), dir.path().join("data"));
        std::fs::create_dir(&data).unwrap();
        // Broken with no good copy yet: defaults, and the error.
        std::fs::write(&file, "[lan]\naddress = 10.1.2.200\n").unwrap();
        let l = load(Some(&file), &data);
        assert_eq!(
            (l.source, &l.config),
            (Source::Defaults, &SchoolConfig::default())
        );
        assert_eq!(l.error.as_ref().unwrap().line, Some(2));
        assert!(
            !data.join(LAST_GOOD).exists(),
            "a broken file is never kept"
        );
        // Good: used and kept.
        std::fs::write(&file, GOOD).unwrap();
        let l = load(Some(&file), &data);
        assert_eq!((l.source, l.error.is_none()), (Source::File, true));
        assert_eq!(l.config.lan.address, Ipv4Addr::new(10, 1, 2, 200));
        assert_eq!(std::fs::read_to_string(data.join(LAST_GOOD)).unwrap(), GOOD);
        // Broken again: the last good settings, with the new error.
        std::fs::write(
            &file,
            "[lan]\naddress = \"10.1.2.200/24\"\nseats_first = \"10.1.2.1\"\nseats_last = \"10.9.9.9\"\n",
        )
        .unwrap();
        let l = load(Some(&file), &data);
        assert_eq!(l.source, Source::LastGood);
        assert_eq!(l.config.token.rotate_every, Some(7 * MINUTE));
        assert_eq!(l.config.lan.address, Ipv4Addr::new(10, 1, 2, 200));
        let e = l.error.unwrap();
        assert_eq!((e.line, e.column), (Some(4), Some(14)));
        assert_eq!(std::fs::read_to_string(data.join(LAST_GOOD)).unwrap(), GOOD);
        // Missing: last good, with a read error.
        std::fs::remove_file(&file).unwrap();
        let l = load(Some(&file), &data);
        assert_eq!(l.source, Source::LastGood);
        assert!(l.error.unwrap().message.contains("cannot read"));
        // No file asked for: defaults, no error.
        let l = load(None, &data);
        assert_eq!((l.source, l.error), (Source::Defaults, None));
    }

    #[test]
    fn recovery_puts_lan_defaults_in_force_until_the_file_changes() {
        let dir = tempfile::tempdir().unwrap();
        let (file, data) = (dir.path().join("ruji.toml"), dir.path().join("data"));
        std::fs::create_dir(&data).unwrap();
        std::fs::write(&file, GOOD).unwrap();
        reset_lan(Some(&file), &data).unwrap();
        for _ in 0..2 {
            let l = load(Some(&file), &data);
            assert!(l.lan_defaults);
            assert_eq!(l.config.lan, LanConfig::default());
            assert_eq!(
                l.config.token.rotate_every,
                Some(7 * MINUTE),
                "only LAN is reset"
            );
        }
        // Edited on a PC: the marker goes, the file's LAN settings apply.
        std::fs::write(&file, GOOD.replace("10.1.2.200", "10.1.2.201")).unwrap();
        let l = load(Some(&file), &data);
        assert!(!l.lan_defaults);
        assert_eq!(l.config.lan.address, Ipv4Addr::new(10, 1, 2, 201));
        assert!(!data.join(LAN_DEFAULTS_MARKER).exists());
        // Without a file at all, the marker holds until one appears.
        reset_lan(None, &data).unwrap();
        assert!(load(None, &data).lan_defaults);
        assert!(load(None, &data).lan_defaults);
        assert!(!load(Some(&file), &data).lan_defaults);
    }
}
