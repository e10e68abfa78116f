//! RFC 5227 address claim: probe, announce, defend.
//!
//! [`Claim`] is a pure state machine. Time is virtual (a `Duration` since any fixed start), so tests
//! drive it without sleeping; the caller feeds it received ARP packets ([`Claim::on_arp`]) and the
//! clock ([`Claim::poll`]), and carries out the [`ClaimEvent`]s it returns (send a probe or an
//! announcement, configure the address, report a conflict).
//!
//! Timeline (the RFC's steps; the waits are shorter than its constants, see below): wait a random
//! 0..PROBE_WAIT, send PROBE_NUM probes (sender IP
//! 0.0.0.0) PROBE_MIN..PROBE_MAX apart, wait ANNOUNCE_WAIT; if nobody claimed the address, configure
//! it and send ANNOUNCE_NUM announcements ANNOUNCE_INTERVAL apart. While holding it, a packet from
//! another MAC with our address as sender is a conflict: defend with one announcement at most every
//! DEFEND_INTERVAL, and either keep the address (the board is a server with a well-known address,
//! RFC 5227 §2.4 (c)) or give it up ([`DefendPolicy::Once`], §2.4 (b)).
//!
//! The waits: the RFC's (PROBE_WAIT 1 s, probes 1-2 s apart, ANNOUNCE_WAIT 2 s) take 4-7 s before
//! the address is set, and with it the first page a client can load after a boot. The exam room is
//! one switched Ethernet segment where any host answers an ARP probe within milliseconds, so Ruji
//! keeps the RFC's three probes and its announce/defend rules but waits 0-0.2 s, spaces the probes
//! 0.2-0.4 s and takes the address 1 s after the last one: 1-2 s in all (docs/decisions.md D19).

use std::net::Ipv4Addr;
use std::time::Duration;

use crate::frame::Arp;
use crate::Mac;

/// Initial random delay, upper bound (RFC 5227: 1 s).
pub const PROBE_WAIT: Duration = Duration::from_millis(200);
/// Number of probes (as the RFC).
pub const PROBE_NUM: u8 = 3;
/// Minimum delay between probes (RFC 5227: 1 s).
pub const PROBE_MIN: Duration = Duration::from_millis(200);
/// Maximum delay between probes (RFC 5227: 2 s).
pub const PROBE_MAX: Duration = Duration::from_millis(400);
/// Delay after the last probe before the address is taken (RFC 5227: 2 s).
pub const ANNOUNCE_WAIT: Duration = Duration::from_secs(1);
/// Number of announcements.
pub const ANNOUNCE_NUM: u8 = 2;
/// Time between announcements.
pub const ANNOUNCE_INTERVAL: Duration = Duration::from_secs(2);
/// Minimum time between two defences of the address.
pub const DEFEND_INTERVAL: Duration = Duration::from_secs(10);

/// What to do when another host uses our address after we took it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DefendPolicy {
    /// Defend forever (one announcement per DEFEND_INTERVAL) and keep reporting the conflict.
    #[default]
    Indefinitely,
    /// Defend once; a second conflict within DEFEND_INTERVAL gives the address up.
    Once,
}

/// Where the claim stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimState {
    /// Waiting the initial random delay.
    Waiting,
    /// `sent` probes sent so far.
    Probing {
        /// Probes sent.
        sent: u8,
    },
    /// Address configured; `sent` announcements sent so far.
    Announcing {
        /// Announcements sent.
        sent: u8,
    },
    /// Address held and defended.
    Bound,
    /// Another host answered during probing: the address was not taken.
    Refused {
        /// MAC of the host that holds the address.
        mac: Mac,
    },
    /// Address given up after repeated conflicts ([`DefendPolicy::Once`]).
    Lost {
        /// MAC of the host that took the address.
        mac: Mac,
    },
}

/// What the caller must do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimEvent {
    /// Send an ARP probe ([`crate::frame::probe`]).
    SendProbe,
    /// Send an ARP announcement ([`crate::frame::announce`]).
    SendAnnounce,
    /// Probing found nobody: configure the address on the interface now.
    Configure,
    /// Another host uses the address. `bound` is true if we held it already (a later conflict).
    Conflict {
        /// The other host's MAC.
        mac: Mac,
        /// True when the conflict came after the address was configured.
        bound: bool,
    },
    /// Remove the address from the interface: it was given up.
    Unconfigure {
        /// The other host's MAC.
        mac: Mac,
    },
}

/// The RFC 5227 state machine for one address on one interface.
#[derive(Debug, Clone)]
pub struct Claim {
    ip: Ipv4Addr,
    mac: Mac,
    policy: DefendPolicy,
    state: ClaimState,
    /// When the next timed step is due (None when nothing is timed).
    next_at: Option<Duration>,
    /// A defending announcement is due on the next poll.
    defend_pending: bool,
    /// When the last conflict while bound was seen.
    last_conflict_at: Option<Duration>,
    /// The last conflicting MAC seen, if any.
    last_conflict: Option<Mac>,
    rng: u64,
}

impl Claim {
    /// Start claiming `ip` for the interface with hardware address `mac` at virtual time `now`.
    /// `seed` feeds the random delays (use something per-board, e.g. from the MAC and the clock).
    pub fn new(ip: Ipv4Addr, mac: Mac, seed: u64, policy: DefendPolicy, now: Duration) -> Self {
        let mut c = Claim {
            ip,
            mac,
            policy,
            state: ClaimState::Waiting,
            next_at: None,
            defend_pending: false,
            last_conflict_at: None,
            last_conflict: None,
            rng: seed | 1,
        };
        let wait = c.random(Duration::ZERO, PROBE_WAIT);
        c.next_at = Some(now + wait);
        c
    }

    /// The address being claimed.
    pub fn ip(&self) -> Ipv4Addr {
        self.ip
    }

    /// Current state.
    pub fn state(&self) -> ClaimState {
        self.state
    }

    /// MAC of the last host seen using our address, if any.
    pub fn last_conflict(&self) -> Option<Mac> {
        self.last_conflict
    }

    /// Is the address configured (announcing or bound)?
    pub fn holds_address(&self) -> bool {
        matches!(
            self.state,
            ClaimState::Announcing { .. } | ClaimState::Bound
        )
    }

    /// When `poll` next has something to do (None: only received packets can change anything).
    pub fn poll_at(&self) -> Option<Duration> {
        if self.defend_pending {
            return Some(Duration::ZERO);
        }
        self.next_at
    }

    /// A uniformly random duration in `[lo, hi)` at millisecond resolution (xorshift64).
    fn random(&mut self, lo: Duration, hi: Duration) -> Duration {
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = x;
        let span = (hi - lo).as_millis().max(1) as u64;
        lo + Duration::from_millis(x % span)
    }

    /// Advance the clock to `now`; returns the next thing to do. Call repeatedly until `None`.
    pub fn poll(&mut self, now: Duration) -> Option<ClaimEvent> {
        if self.defend_pending {
            self.defend_pending = false;
            return Some(ClaimEvent::SendAnnounce);
        }
        let due = self.next_at?;
        if now < due {
            return None;
        }
        match self.state {
            ClaimState::Waiting => {
                self.state = ClaimState::Probing { sent: 1 };
                self.next_at = Some(now + self.random(PROBE_MIN, PROBE_MAX));
                Some(ClaimEvent::SendProbe)
            }
            ClaimState::Probing { sent } if sent < PROBE_NUM => {
                let sent = sent + 1;
                self.state = ClaimState::Probing { sent };
                self.next_at = Some(if sent == PROBE_NUM {
                    now + ANNOUNCE_WAIT
                } else {
                    now + self.random(PROBE_MIN, PROBE_MAX)
                });
                Some(ClaimEvent::SendProbe)
            }
            ClaimState::Probing { .. } => {
                self.state = ClaimState::Announcing { sent: 0 };
                self.next_at = Some(now);
                Some(ClaimEvent::Configure)
            }
            ClaimState::Announcing { sent } => {
                let sent = sent + 1;
                if sent >= ANNOUNCE_NUM {
                    self.state = ClaimState::Bound;
                    self.next_at = None;
                } else {
                    self.state = ClaimState::Announcing { sent };
                    self.next_at = Some(now + ANNOUNCE_INTERVAL);
                }
                Some(ClaimEvent::SendAnnounce)
            }
            ClaimState::Bound | ClaimState::Refused { .. } | ClaimState::Lost { .. } => {
                self.next_at = None;
                None
            }
        }
    }

    /// Feed a received ARP packet (any, the claim picks what concerns it).
    pub fn on_arp(&mut self, now: Duration, arp: &Arp) -> Option<ClaimEvent> {
        if arp.sha == self.mac || !arp.sha.is_unicast() {
            return None; // our own frame looped back, or garbage
        }
        match self.state {
            ClaimState::Waiting | ClaimState::Probing { .. } => {
                // §2.1.1: any ARP with our address as sender, or another host's probe for it.
                let uses = arp.spa == self.ip;
                let probes = arp.is_probe() && arp.tpa == self.ip;
                if uses || probes {
                    self.state = ClaimState::Refused { mac: arp.sha };
                    self.next_at = None;
                    self.last_conflict = Some(arp.sha);
                    return Some(ClaimEvent::Conflict {
                        mac: arp.sha,
                        bound: false,
                    });
                }
                None
            }
            ClaimState::Announcing { .. } | ClaimState::Bound => {
                if arp.spa != self.ip {
                    return None;
                }
                self.last_conflict = Some(arp.sha);
                let recent = self
                    .last_conflict_at
                    .is_some_and(|t| now.saturating_sub(t) < DEFEND_INTERVAL);
                if recent && self.policy == DefendPolicy::Once {
                    self.state = ClaimState::Lost { mac: arp.sha };
                    self.next_at = None;
                    self.defend_pending = false;
                    return Some(ClaimEvent::Unconfigure { mac: arp.sha });
                }
                if !recent {
                    self.last_conflict_at = Some(now);
                    self.defend_pending = true;
                }
                Some(ClaimEvent::Conflict {
                    mac: arp.sha,
                    bound: true,
                })
            }
            ClaimState::Refused { .. } | ClaimState::Lost { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::tests::{ip, A, B};

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Run the claim in 10 ms steps until `until`, collecting (time, event).
    fn run(c: &mut Claim, from: Duration, until: Duration) -> Vec<(Duration, ClaimEvent)> {
        let mut out = vec![];
        let mut t = from;
        while t <= until {
            while let Some(e) = c.poll(t) {
                out.push((t, e));
            }
            t += ms(10);
        }
        out
    }

    fn arp_from(sha: Mac, spa: Ipv4Addr, tpa: Ipv4Addr, reply: bool) -> Arp {
        Arp {
            reply,
            sha,
            spa,
            tha: Mac::ZERO,
            tpa,
        }
    }

    #[test]
    fn free_address_is_probed_three_times_then_configured_and_announced_twice() {
        let mut c = Claim::new(ip(200), A, 42, DefendPolicy::Indefinitely, ms(0));
        let evs = run(&mut c, ms(0), ms(20_000));
        let kinds: Vec<_> = evs.iter().map(|e| e.1).collect();
        use ClaimEvent::*;
        assert_eq!(
            kinds,
            vec![
                SendProbe,
                SendProbe,
                SendProbe,
                Configure,
                SendAnnounce,
                SendAnnounce
            ]
        );
        let t: Vec<_> = evs.iter().map(|e| e.0).collect();
        assert!(t[0] < PROBE_WAIT);
        for w in t[..3].windows(2) {
            let gap = w[1] - w[0];
            assert!(gap >= PROBE_MIN && gap <= PROBE_MAX + ms(10), "{gap:?}");
        }
        assert!(t[3] - t[2] >= ANNOUNCE_WAIT);
        assert_eq!(t[4], t[3]);
        assert!(t[5] - t[4] >= ANNOUNCE_INTERVAL);
        assert_eq!(c.state(), ClaimState::Bound);
        assert_eq!(c.poll_at(), None);
    }

    #[test]
    fn reply_during_probing_refuses_with_other_mac() {
        let mut c = Claim::new(ip(200), A, 7, DefendPolicy::Indefinitely, ms(0));
        let evs = run(&mut c, ms(0), ms(1500));
        assert_eq!(evs[0].1, ClaimEvent::SendProbe);
        let e = c.on_arp(ms(1600), &arp_from(B, ip(200), Ipv4Addr::UNSPECIFIED, true));
        assert_eq!(
            e,
            Some(ClaimEvent::Conflict {
                mac: B,
                bound: false
            })
        );
        assert_eq!(c.state(), ClaimState::Refused { mac: B });
        assert!(
            run(&mut c, ms(1600), ms(20_000)).is_empty(),
            "never configures"
        );
        assert!(!c.holds_address());
    }

    #[test]
    fn simultaneous_probe_from_other_host_is_a_conflict() {
        let mut c = Claim::new(ip(200), A, 7, DefendPolicy::Indefinitely, ms(0));
        run(&mut c, ms(0), ms(1000));
        let e = c.on_arp(
            ms(1000),
            &arp_from(B, Ipv4Addr::UNSPECIFIED, ip(200), false),
        );
        assert!(matches!(e, Some(ClaimEvent::Conflict { mac, .. }) if mac == B));
    }

    #[test]
    fn unrelated_arp_and_own_loopback_are_ignored() {
        let mut c = Claim::new(ip(200), A, 7, DefendPolicy::Indefinitely, ms(0));
        assert_eq!(c.on_arp(ms(1), &arp_from(B, ip(3), ip(4), false)), None);
        assert_eq!(
            c.on_arp(ms(1), &arp_from(B, Ipv4Addr::UNSPECIFIED, ip(9), false)),
            None
        );
        // Our own probe seen on the socket.
        assert_eq!(
            c.on_arp(ms(1), &arp_from(A, Ipv4Addr::UNSPECIFIED, ip(200), false)),
            None
        );
        assert_eq!(
            c.on_arp(ms(1), &arp_from(Mac::BROADCAST, ip(200), ip(200), false)),
            None
        );
        assert_eq!(c.state(), ClaimState::Waiting);
    }

    fn bound(policy: DefendPolicy) -> Claim {
        let mut c = Claim::new(ip(200), A, 3, policy, ms(0));
        run(&mut c, ms(0), ms(20_000));
        assert_eq!(c.state(), ClaimState::Bound);
        c
    }

    #[test]
    fn bound_defends_at_most_once_per_defend_interval() {
        let mut c = bound(DefendPolicy::Indefinitely);
        let t = ms(30_000);
        let conflict = arp_from(B, ip(200), ip(200), false);
        let e = c.on_arp(t, &conflict);
        assert_eq!(
            e,
            Some(ClaimEvent::Conflict {
                mac: B,
                bound: true
            })
        );
        assert_eq!(c.poll(t), Some(ClaimEvent::SendAnnounce));
        assert_eq!(c.poll(t), None);
        // A second conflict 5 s later is reported but not answered.
        assert!(c.on_arp(t + ms(5000), &conflict).is_some());
        assert_eq!(c.poll(t + ms(5000)), None);
        // After DEFEND_INTERVAL, defend again.
        assert!(c.on_arp(t + ms(16_000), &conflict).is_some());
        assert_eq!(c.poll(t + ms(16_000)), Some(ClaimEvent::SendAnnounce));
        assert_eq!(c.state(), ClaimState::Bound);
        assert_eq!(c.last_conflict(), Some(B));
    }

    #[test]
    fn defend_once_gives_up_on_second_conflict() {
        let mut c = bound(DefendPolicy::Once);
        let conflict = arp_from(B, ip(200), ip(1), true);
        assert!(c.on_arp(ms(30_000), &conflict).is_some());
        assert_eq!(
            c.on_arp(ms(31_000), &conflict),
            Some(ClaimEvent::Unconfigure { mac: B })
        );
        assert_eq!(c.state(), ClaimState::Lost { mac: B });
        assert!(!c.holds_address());
    }

    #[test]
    fn delays_differ_with_seed() {
        let a = Claim::new(ip(200), A, 1, DefendPolicy::Once, ms(0)).poll_at();
        let b = Claim::new(ip(200), A, 99, DefendPolicy::Once, ms(0)).poll_at();
        assert_ne!(a, b);
    }
}
