//! Every way a room operation can fail, typed. The web layer turns each into a status, a code
//! and a message in the person's language that says what to do; the command line into text.

use ruji_store::room::Refusal;
use ruji_store::StoreError;

/// Why a room operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum RoomError {
    /// The exam rules refused it (nothing was written).
    #[error("refused: {0:?}")]
    Refused(Refusal),
    /// The store failed: nothing was saved; retry.
    #[error(transparent)]
    Storage(#[from] StoreError),
    /// The board is shutting down; saved work is safe.
    #[error("shutting down")]
    ShuttingDown,
    /// Too many wrong passwords or codes from this person or client: wait.
    #[error("throttled for {retry_after_ms} ms")]
    Throttled {
        /// How long until a new try is accepted.
        retry_after_ms: u64,
    },
    /// The board has more logins waiting than it queues ([`crate::passwords::MAX_WAITING`]):
    /// try again in a moment.
    #[error("busy: too many logins waiting")]
    Busy,
    /// The login page's ticket is unknown: its login was already picked up or forgotten, or
    /// it comes from another PC. Log in again.
    #[error("the login is gone: log in again")]
    LoginGone,
    /// The wall clock was not set to that time ([`ruji_core::wallclock::decide`]).
    #[error("the clock was not set: {0:?}")]
    Clock(ruji_core::wallclock::Refusal),
    /// The operating system refused to set the wall clock.
    #[error("cannot set the clock: {0}")]
    ClockFailed(String),
    /// Wrong username or password (a participant's login).
    #[error("wrong username or password")]
    WrongPassword,
    /// The proctor password is wrong.
    #[error("wrong proctor password")]
    ProctorPassword,
    /// No proctor account exists yet: set one up first.
    #[error("no proctor account")]
    NoProctor,
    /// A proctor account exists already.
    #[error("the proctor account exists")]
    AlreadySetup,
    /// The one-time setup code is wrong.
    #[error("wrong setup code")]
    SetupCode,
    /// The new password is too short.
    #[error("password shorter than 8 characters")]
    PasswordShort,
    /// The two new passwords differ.
    #[error("the passwords differ")]
    PasswordRepeat,
    /// The invigilator's account only looks: the action is the proctor's.
    #[error("the invigilator's account is read-only")]
    ReadOnly,
    /// Extra time outside 1 to [`crate::proctor::MAX_EXTRA_MINUTES`] minutes.
    #[error("extra time must be 1 to 120 minutes")]
    ExtraMinutes,
    /// A reissue for more participants than [`crate::printables::MAX_REISSUE`] at once.
    #[error("too many login cards at once")]
    TooManyCards,
    /// The invigilator's password may not be the proctor's.
    #[error("the invigilator's password is the proctor's")]
    InvigilatorSameAsProctor,
    /// The time to press the board's button ran out.
    #[error("the button was not pressed in time")]
    ConfirmExpired,
    /// Another browser's claim of the board waits for the button: one claim at a time.
    #[error("another claim waits for the button for {seconds} s more")]
    ClaimInProgress {
        /// Seconds until that claim expires.
        seconds: u64,
    },
    /// A force finish needs a reason (for the session report).
    #[error("a reason is required")]
    ReasonRequired,
    /// A package import or release failed.
    #[error(transparent)]
    Package(#[from] PackageError),
    /// The board has no device key: its results cannot be signed.
    #[error("the board has no device key")]
    NoIdentity,
    /// This server runs without a data directory: no result files.
    #[error("no data directory")]
    NoResultsDir,
    /// A receipt that is not for this board's bundle, or not the issuer's.
    #[error("the receipt was refused: {0}")]
    Receipt(String),
    /// The session waits for the central server's receipts of these earlier days' sessions
    /// (`[results] gate_next_day`).
    #[error("waiting for the receipts of sessions {}", .0.join(", "))]
    AwaitingReceipts(Vec<String>),
    /// A report could not be made (no results yet, a damaged results file).
    #[error("report: {0}")]
    Report(String),
    /// Saving the results to a USB stick failed.
    #[error("USB export: {0}")]
    Usb(#[from] crate::usb::UsbError),
}

impl From<Refusal> for RoomError {
    fn from(r: Refusal) -> Self {
        RoomError::Refused(r)
    }
}

/// Turns a store result (storage error outside, refusal inside) into a room result.
pub(crate) fn flat<T>(r: ruji_store::Result<std::result::Result<T, Refusal>>) -> crate::Result<T> {
    match r {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(r)) => Err(RoomError::Refused(r)),
        Err(e) => Err(RoomError::Storage(e)),
    }
}

/// What went wrong with a package import or release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackageErrorKind {
    /// Not a complete package file (damaged, cut short, too large).
    Zip,
    /// Incomplete or damaged inside.
    Damaged,
    /// Made for a newer Ruji.
    Version,
    /// Changed after it was signed.
    Tampered,
    /// Signed by an issuer the board does not trust.
    Untrusted,
    /// The release code does not open this session.
    WrongCode,
    /// The release code has a typo.
    CodeTypo,
    /// The package has no such session.
    NoSession,
    /// The content is not a valid exam.
    Invalid,
    /// The participants' passwords are in plain text (a package from an older `ruji pack`):
    /// the file would keep the login cards' passwords on the board.
    PlainPasswords,
    /// Another package holds participants' work.
    Replace,
    /// A session is open.
    SessionOpen,
    /// The card cannot store it.
    Storage,
    /// The upload or the stick's file could not be read.
    Upload,
    /// No file was chosen (or it is not one the page listed).
    NoFile,
    /// Not a Ruji public key.
    Key,
    /// No package file was imported.
    None,
    /// No central server is set up (or it cannot be used).
    CentralOff,
    /// The central server cannot be reached (or is busy).
    CentralUnreachable,
    /// The central server's certificate is refused.
    CentralCert,
    /// The session's code is not given yet.
    CentralEarly,
    /// The board is not registered with the central server.
    CentralDevice,
    /// The central server has another packing of the package.
    CentralChanged,
    /// The central server does not know the package or session.
    CentralUnknown,
    /// The session has no readable schedule on the central server.
    CentralUnscheduled,
    /// Anything else the central server said.
    CentralOther,
}

/// A package import or release that failed: what kind, and the detail (English: file names,
/// keys, which check) for the page and the log.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{kind:?}: {detail}")]
pub struct PackageError {
    /// What went wrong.
    pub kind: PackageErrorKind,
    /// Details.
    pub detail: String,
}

impl PackageError {
    /// A failure of `kind`.
    pub fn new(kind: PackageErrorKind, detail: impl Into<String>) -> PackageError {
        PackageError {
            kind,
            detail: detail.into(),
        }
    }

    /// The card or the store failed.
    pub fn storage(e: impl std::fmt::Display) -> PackageError {
        PackageError::new(PackageErrorKind::Storage, e.to_string())
    }
}

impl From<ruji_package::PackageFileError> for PackageError {
    fn from(e: ruji_package::PackageFileError) -> PackageError {
        use ruji_package::PackageFileError as F;
        use PackageErrorKind as K;
        let kind = match &e {
            F::Zip(_) => K::Zip,
            F::Damaged(_) => K::Damaged,
            F::Version(_) => K::Version,
            F::Tampered(_) => K::Tampered,
            F::Untrusted { .. } => K::Untrusted,
            F::WrongCode(_) => K::WrongCode,
            F::NoSession(_) => K::NoSession,
            F::Invalid(_) => K::Invalid,
        };
        PackageError::new(kind, e.to_string())
    }
}

impl From<ruji_package::PackageFileError> for RoomError {
    fn from(e: ruji_package::PackageFileError) -> RoomError {
        RoomError::Package(e.into())
    }
}

impl From<crate::passwords::Full> for RoomError {
    fn from(_: crate::passwords::Full) -> Self {
        RoomError::Busy
    }
}
