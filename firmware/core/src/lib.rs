//! ruji-core: the domain rules of a Ruji exam room, with no I/O.
//!
//! Everything here is plain data plus pure functions of that data and a time value (`now`, in
//! milliseconds of the server's exam clock) supplied by the caller. The store persists these types
//! with postcard; the web layer renders them. Layout:
//!
//! - [`package`]: the exam package: tests, items of the five AKM types, shared stimuli,
//!   participants, the schedule of sessions; validation; the client view that never carries keys.
//! - [`response`]: what a participant answers, its validation against an item, and [`score`]-ing.
//! - [`attempt`]: the attempt state machine, the exam clock, the participant's login lock.
//! - [`token`]: session tokens (6 characters without look-alikes), rotation and grace.
//! - [`shuffle`]: deterministic per-participant order of items and options.
//! - [`throttle`]: login throttling by key (username or address).
//! - [`demo`]: the embedded demo exam served by `ruji serve` on a fresh install.
//! - [`gate`]: the next exam day waits for the earlier days' result receipts.
//! - [`wallclock`]: when the board's wall clock counts as not set, and who may set it.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod attempt;
pub mod demo;
pub mod gate;
pub mod package;
pub mod response;
pub mod score;
pub mod shuffle;
pub mod throttle;
pub mod token;
pub mod wallclock;

/// Milliseconds on the server's exam clock (monotonic across restarts; see ruji-store).
pub type Millis = u64;

/// One minute in [`Millis`].
pub const MINUTE: Millis = 60_000;
