//! The proctor's console: the open session at a glance. One tile per participant, placed on
//! the room's seats where the LAN service knows them (the seat of the address they logged in
//! from), else in the order they came ([`ruji_core::attempt::tile_order`]), each with how it
//! looks ([`SeatLook`]); the token; the counts.
//!
//! [`Room::console`] reads it once (the dashboard's page, `status.json`). [`Room::live`]
//! follows it: one task, running only while someone follows, reads it when the store has
//! committed since the last read (at most once a second) and at least every
//! [`REFRESH_EVERY`] (the online window and the token's rotation move without a commit), and
//! hands the same snapshot to every follower; a change no commit shows (a refused login) and a
//! new follower ask for a read at the next tick. At most [`MAX_LIVE`] follow at once; the board's
//! shutdown ends every follow.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ruji_core::attempt::{tile_order, SeatLook, SeatState};
use ruji_core::Millis;
use ruji_panel::Attention;
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};

use crate::proctor::{SeatRow, TokenNow};
use crate::{Result, Room, RoomError};

/// Most followers of the live console at once (the proctor's and the invigilator's browsers,
/// a projector, a few tabs). One more is refused with [`RoomError::Busy`]; its page polls.
pub const MAX_LIVE: usize = 8;

/// Most followers from one address. A browser opens at most 6 connections to a server, and a
/// follow holds one for good: a third tab of the same browser polls, so the browser keeps
/// connections for its pages.
pub const MAX_LIVE_PER_CLIENT: usize = 2;

/// The live console is read again at least this often without a commit.
pub const REFRESH_EVERY: Duration = Duration::from_secs(3);

/// The open session at a glance.
#[derive(Debug, Clone)]
pub struct Console {
    /// The open session's id and name.
    pub session: (String, String),
    /// Its token now.
    pub token: Option<TokenNow>,
    /// Every participant of the session, in tile order.
    pub tiles: Vec<Tile>,
    /// Seats of the room's seat table no participant sits at (number, address, its PC heard),
    /// when the LAN service runs.
    pub empty_seats: Vec<(u16, String, bool)>,
    /// Not logged in, working (logged in, practice or test), finished.
    pub counts: (usize, usize, usize),
    /// Since when every test is paused (exam clock), if it is.
    pub paused_since: Option<Millis>,
    /// Time left until the session's end (a test starting later gets only this), if it has one.
    pub ends_in: Option<Millis>,
}

/// One participant's tile.
#[derive(Debug, Clone)]
pub struct Tile {
    /// The dashboard's row (status, online, client).
    pub row: SeatRow,
    /// How the tile looks.
    pub look: SeatLook,
    /// Their seat's number in the LAN service's seat table, when known.
    pub seat: Option<u16>,
}

/// What the live console hands its followers.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// The console (`None`: no session open).
    pub console: Option<Arc<Console>>,
    /// The board's attention reasons.
    pub attention: Vec<Attention>,
}

/// The live console's state in the room.
pub(crate) struct Feed {
    /// The latest snapshot; `None` until the first read, and after the board began shutting
    /// down (a follower then ends).
    tx: watch::Sender<Option<Arc<Snapshot>>>,
    /// Whether the reading task runs, and whether the board is shutting down: one lock, held
    /// while a follower subscribes and while the task decides to stop, so that neither misses
    /// the other.
    state: Mutex<FeedState>,
    /// One permit per follower.
    slots: Arc<Semaphore>,
    /// Something changed that no commit shows (a refused login), or a follower came: read
    /// again at the next tick.
    poked: AtomicBool,
    /// Followers per client address (an entry only while it has one: at most [`MAX_LIVE`]).
    per_client: Mutex<HashMap<String, usize>>,
}

impl Default for Feed {
    fn default() -> Feed {
        Feed {
            tx: watch::channel(None).0,
            state: Mutex::new(FeedState::default()),
            slots: Arc::new(Semaphore::new(MAX_LIVE)),
            poked: AtomicBool::new(false),
            per_client: Mutex::new(HashMap::new()),
        }
    }
}

/// See [`Feed::state`].
#[derive(Default)]
struct FeedState {
    running: bool,
    closed: bool,
}

impl Feed {
    /// Asks for a new read at the next tick (within a second).
    pub(crate) fn poke(&self) {
        self.poked.store(true, Ordering::Relaxed);
    }

    /// Ends every follow (the board is shutting down).
    pub(crate) fn close(&self) {
        let mut st = self.state.lock().expect("not poisoned");
        st.closed = true;
        self.tx.send_replace(None);
    }
}

/// A follower of the live console ([`Room::live`]).
pub struct Live {
    rx: watch::Receiver<Option<Arc<Snapshot>>>,
    _slot: OwnedSemaphorePermit,
    feed: Arc<Feed>,
    client: String,
}

impl Drop for Live {
    fn drop(&mut self) {
        let mut m = self.feed.per_client.lock().expect("not poisoned");
        if let Some(n) = m.get_mut(&self.client) {
            *n -= 1;
            if *n == 0 {
                m.remove(&self.client);
            }
        }
    }
}

impl Live {
    /// The next snapshot: the latest one the follower has not had, waiting for it. `None` once
    /// the board is shutting down.
    pub async fn next(&mut self) -> Option<Arc<Snapshot>> {
        self.rx.changed().await.ok()?;
        // `None` only after the board began shutting down (no read publishes it).
        self.rx.borrow_and_update().clone()
    }
}

/// The address as the seat table writes it (an IPv4 address mapped into IPv6 as IPv4).
fn canonical(client: &str) -> Option<String> {
    let ip: IpAddr = client.parse().ok()?;
    Some(ip.to_canonical().to_string())
}

impl Room {
    /// The open session at a glance, `None` when none is open.
    pub async fn console(&self) -> Result<Option<Console>> {
        let Some((session, state)) = self.current_session()? else {
            return Ok(None);
        };
        let rows = self.seat_rows(&session.id).await?;
        let seats: Vec<(String, bool)> = self
            .lan_status()
            .map(|s| {
                s.report
                    .seats
                    .iter()
                    .map(|x| (x.ip.to_string(), x.online))
                    .collect()
            })
            .unwrap_or_default();
        let seat_of: HashMap<&str, u16> = seats
            .iter()
            .enumerate()
            .map(|(i, (ip, _))| (ip.as_str(), u16::try_from(i + 1).unwrap_or(u16::MAX)))
            .collect();
        let mut tiles: Vec<Tile> = rows
            .into_iter()
            .map(|row| {
                // A finished participant's login has ended: the address they last used keeps
                // their seat.
                let client = if row.client.is_empty() {
                    self.0.presence.last_client(&row.status.username)
                } else {
                    Some(row.client.clone())
                };
                let seat = client
                    .as_deref()
                    .and_then(canonical)
                    .and_then(|c| seat_of.get(c.as_str()).copied());
                Tile {
                    look: SeatLook::of(
                        row.status.state,
                        row.status.doubtful,
                        row.online,
                        self.0.presence.needs_reset(&row.status.username),
                    ),
                    seat,
                    row,
                }
            })
            .collect();
        let order = tile_order(
            &tiles
                .iter()
                .map(|t| (t.seat, t.row.status.arrived))
                .collect::<Vec<_>>(),
        );
        let mut slots: Vec<Option<Tile>> = tiles.drain(..).map(Some).collect();
        let tiles: Vec<Tile> = order.into_iter().filter_map(|i| slots[i].take()).collect();
        let taken: Vec<u16> = tiles.iter().filter_map(|t| t.seat).collect();
        let empty_seats = seats
            .into_iter()
            .enumerate()
            .filter_map(|(i, (ip, on))| {
                let n = u16::try_from(i + 1).ok()?;
                (!taken.contains(&n)).then_some((n, ip, on))
            })
            .collect();
        let paused_since = self.paused_since();
        let count =
            |f: &dyn Fn(SeatState) -> bool| tiles.iter().filter(|t| f(t.row.status.state)).count();
        let counts = (
            count(&|s| s == SeatState::NotLoggedIn),
            count(&|s| {
                matches!(
                    s,
                    SeatState::LoggedIn | SeatState::Practice | SeatState::InProgress
                )
            }),
            count(&|s| s == SeatState::Finished),
        );
        Ok(Some(Console {
            token: self.token_now(&state),
            session: (session.id, session.name),
            tiles,
            empty_seats,
            counts,
            ends_in: state.ends_at.map(|e| {
                // While paused the end moves on with the pause: what is left stands still.
                e.saturating_sub(paused_since.unwrap_or_else(|| self.now()))
            }),
            paused_since,
        }))
    }

    /// Follows the console live from `client` (its address). Refused with [`RoomError::Busy`]
    /// when [`MAX_LIVE`] follow already, or [`MAX_LIVE_PER_CLIENT`] from this address, and with
    /// [`RoomError::ShuttingDown`] once the board is shutting down.
    pub fn live(&self, client: &str) -> Result<Live> {
        let feed = &self.0.console;
        if feed.state.lock().expect("not poisoned").closed {
            return Err(RoomError::ShuttingDown);
        }
        let slot = feed
            .slots
            .clone()
            .try_acquire_owned()
            .map_err(|_| RoomError::Busy)?;
        {
            let mut m = feed.per_client.lock().expect("not poisoned");
            let n = m.entry(client.to_string()).or_insert(0);
            if *n >= MAX_LIVE_PER_CLIENT {
                return Err(RoomError::Busy);
            }
            *n += 1;
        }
        // Counted from here: a refusal below gives the place back.
        let live = |rx| Live {
            rx,
            _slot: slot,
            feed: feed.clone(),
            client: client.to_string(),
        };
        let mut st = feed.state.lock().expect("not poisoned");
        // The snapshot there is may be older than the page the follower has: its first is read
        // for it, within a second.
        let rx = feed.tx.subscribe();
        let follower = live(rx);
        if st.closed {
            return Err(RoomError::ShuttingDown);
        }
        feed.poke();
        if !st.running {
            st.running = true;
            tokio::spawn(self.clone().follow());
        }
        Ok(follower)
    }

    /// The live console's task: reads the console while anyone follows.
    async fn follow(self) {
        let feed = &self.0.console;
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let (mut commits, mut read_at) = (None, None::<Instant>);
        loop {
            tick.tick().await;
            {
                let mut st = feed.state.lock().expect("not poisoned");
                if st.closed || feed.tx.receiver_count() == 0 {
                    st.running = false;
                    return;
                }
            }
            let now_commits = self.store().stats().commits;
            let due = feed.poked.swap(false, Ordering::Relaxed)
                || commits != Some(now_commits)
                || read_at.is_none_or(|t| t.elapsed() >= REFRESH_EVERY);
            if !due {
                continue;
            }
            let console = match self.console().await {
                Ok(c) => c.map(Arc::new),
                Err(e) => {
                    tracing::warn!(error = %e, "live console not read");
                    continue;
                }
            };
            (commits, read_at) = (Some(now_commits), Some(Instant::now()));
            let snapshot = Arc::new(Snapshot {
                console,
                attention: self.attention(),
            });
            // Not after the shutdown's `None`: followers must see the end.
            let st = feed.state.lock().expect("not poisoned");
            if !st.closed {
                feed.tx.send_replace(Some(snapshot));
            }
        }
    }
}
