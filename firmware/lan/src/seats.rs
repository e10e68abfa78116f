//! The seat table: which seat PCs are on the LAN, at which MAC, how fast they answer.
//!
//! Fed by two things: ARP replies to the board's own scan requests (these give the round-trip time)
//! and, passively, any frame whose sender address is a seat's (ARP sender, IPv4 source). A seat is
//! online while it was heard within `offline_after`.

use std::net::Ipv4Addr;
use std::time::Duration;

use serde::Serialize;

use crate::frame::{Observation, ObservedKind};
use crate::{LanConfig, Mac};

/// One seat (a client PC with a fixed address).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Seat {
    /// Seat number, 1-based, in the order of the configured range.
    pub number: u16,
    /// The seat's static address.
    pub ip: Ipv4Addr,
    /// Heard within `offline_after`.
    pub online: bool,
    /// MAC last heard from this address.
    pub mac: Option<Mac>,
    /// Virtual time when last heard.
    #[serde(skip)]
    pub last_seen: Option<Duration>,
    /// Round-trip time of the last answered ARP request.
    #[serde(skip)]
    pub rtt: Option<Duration>,
    /// When the last unanswered ARP request went out.
    #[serde(skip)]
    asked_at: Option<Duration>,
}

/// All seats of the room, in seat order.
#[derive(Debug, Clone)]
pub struct SeatTable {
    seats: Vec<Seat>,
    own: Mac,
    offline_after: Duration,
}

impl SeatTable {
    /// Seats from the configured range; frames from `own` (the board) are ignored.
    pub fn new(config: &LanConfig, own: Mac, offline_after: Duration) -> Self {
        let seats = config
            .seats()
            .enumerate()
            .map(|(i, ip)| Seat {
                number: u16::try_from(i + 1).unwrap_or(u16::MAX),
                ip,
                online: false,
                mac: None,
                last_seen: None,
                rtt: None,
                asked_at: None,
            })
            .collect();
        SeatTable {
            seats,
            own,
            offline_after,
        }
    }

    /// The seats in order.
    pub fn seats(&self) -> &[Seat] {
        &self.seats
    }

    /// The seat with address `ip`.
    pub fn get(&self, ip: Ipv4Addr) -> Option<&Seat> {
        self.seats.iter().find(|s| s.ip == ip)
    }

    fn get_mut(&mut self, ip: Ipv4Addr) -> Option<&mut Seat> {
        self.seats.iter_mut().find(|s| s.ip == ip)
    }

    /// Record that an ARP request for `ip` was sent at `now`.
    pub fn asked(&mut self, ip: Ipv4Addr, now: Duration) {
        if let Some(s) = self.get_mut(ip) {
            s.asked_at = Some(now);
        }
    }

    /// Feed any received frame.
    pub fn observe(&mut self, now: Duration, obs: &Observation) {
        if obs.src_mac == self.own {
            return;
        }
        let (ip, mac, reply) = match obs.kind {
            ObservedKind::Arp(a) => (a.spa, a.sha, a.reply),
            ObservedKind::Ipv4 { src_ip } | ObservedKind::DhcpServer { src_ip, .. } => {
                (src_ip, obs.src_mac, false)
            }
        };
        if !mac.is_unicast() || mac == self.own {
            return;
        }
        let offline_after = self.offline_after;
        if let Some(s) = self.get_mut(ip) {
            if reply {
                if let Some(asked) = s.asked_at.take() {
                    s.rtt = Some(now.saturating_sub(asked));
                }
            }
            s.mac = Some(mac);
            s.last_seen = Some(now);
            s.online = offline_after > Duration::ZERO;
        }
    }

    /// Recompute `online` at `now` (a seat not heard within `offline_after` goes offline).
    pub fn refresh(&mut self, now: Duration) {
        for s in &mut self.seats {
            s.online = s
                .last_seen
                .is_some_and(|t| now.saturating_sub(t) < self.offline_after);
        }
    }

    /// Number of seats online.
    pub fn online_count(&self) -> usize {
        self.seats.iter().filter(|s| s.online).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::tests::{ip, ipv4_from, reply, A, B};
    use crate::frame::{self, parse};

    fn s(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn arp_reply_to_our_request_gives_rtt_and_mac() {
        let mut t = SeatTable::new(&LanConfig::default(), A, s(30_000));
        assert_eq!(t.seats().len(), 15);
        assert_eq!(t.seats()[0].number, 1);
        t.asked(ip(3), s(100));
        t.observe(s(103), &parse(&reply(B, ip(3), A, ip(200))).unwrap());
        let seat = t.get(ip(3)).unwrap();
        assert!(seat.online);
        assert_eq!(seat.mac, Some(B));
        assert_eq!(seat.rtt, Some(s(3)));
        assert_eq!(t.online_count(), 1);
    }

    #[test]
    fn passive_learning_and_going_offline() {
        let mut t = SeatTable::new(&LanConfig::default(), A, s(30_000));
        t.observe(s(1000), &parse(&ipv4_from(B, ip(15))).unwrap());
        let seat = t.get(ip(15)).unwrap();
        assert!(seat.online);
        assert_eq!(seat.rtt, None, "no RTT without our request");
        t.refresh(s(20_000));
        assert!(t.get(ip(15)).unwrap().online);
        t.refresh(s(31_000));
        assert!(!t.get(ip(15)).unwrap().online);
        assert_eq!(
            t.get(ip(15)).unwrap().mac,
            Some(B),
            "MAC kept while offline"
        );
    }

    #[test]
    fn own_frames_and_non_seats_are_ignored() {
        let mut t = SeatTable::new(&LanConfig::default(), A, s(30_000));
        t.observe(s(1), &parse(&frame::announce(A, ip(2))).unwrap());
        t.observe(s(1), &parse(&ipv4_from(B, ip(16))).unwrap());
        t.observe(s(1), &parse(&frame::probe(B, ip(4))).unwrap());
        assert_eq!(t.online_count(), 0);
    }
}
