//! ruji-lan: the board's DHCP-less static-IP LAN service.
//!
//! The room LAN has no DHCP: every seat PC has a static address and the board must take its own
//! configured address without ever colliding, then watch the room. This crate does that with
//! smoltcp's `wire` codecs over an AF_PACKET socket; the kernel's own stack carries TCP.
//!
//! Layout (pure logic first, I/O last):
//! - [`frame`]: untrusted bytes -> [`frame::Observation`] (only through smoltcp `new_checked` + `Repr`),
//!   and the ARP frames the board sends (probe, announcement, request).
//! - [`claim`]: the RFC 5227 probe / announce / defend state machine, driven by virtual time and
//!   received ARP packets; it says what to send and when to configure the address.
//! - [`seats`]: the seat table (per seat: online, MAC, last seen, RTT) fed by ARP replies and,
//!   passively, by any frame.
//! - [`doctor`]: LAN doctor findings (duplicate IP, wrong subnet, DHCP server, unknown host, link
//!   down) with Bahasa Indonesia / English text saying what to do.
//! - [`io`]: the AF_PACKET socket, link carrier, and applying the address with `ip`.
//! - [`monitor`]: the long-running service (claim, defend, periodic scan, doctor windows) and its
//!   I/O loop [`monitor::run`], publishing a [`LanStatus`] for the proctor page.
//! - [`check`]: `lan_check`, the one-shot run behind `ruji lan-check` and its JSON report.
//!
//! Unsafe code is denied everywhere except `io::sys`, which builds the `sockaddr_ll` that binds the
//! packet socket to one interface (socket2 has no safe constructor for it).
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod check;
pub mod claim;
pub mod doctor;
pub mod frame;
pub mod io;
pub mod monitor;
pub mod seats;

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use check::{lan_check, CheckOptions, LanReport};
pub use claim::{Claim, ClaimEvent, ClaimState, DefendPolicy};
pub use doctor::{Doctor, Finding};
pub use monitor::{ClaimStatus, LanStatus, Monitor, MonitorHandle, MonitorTiming};
pub use seats::{Seat, SeatTable};

/// An Ethernet (MAC) address. Serialised as `aa:bb:cc:dd:ee:ff`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Mac(pub [u8; 6]);

impl Mac {
    /// ff:ff:ff:ff:ff:ff
    pub const BROADCAST: Mac = Mac([0xff; 6]);
    /// 00:00:00:00:00:00
    pub const ZERO: Mac = Mac([0; 6]);

    /// A unicast address that a host can own (not broadcast/multicast, not zero).
    pub fn is_unicast(&self) -> bool {
        self.0[0] & 1 == 0 && *self != Mac::ZERO
    }
}

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            b[0], b[1], b[2], b[3], b[4], b[5]
        )
    }
}

impl fmt::Debug for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A MAC address text that is not `aa:bb:cc:dd:ee:ff`.
#[derive(Debug, thiserror::Error)]
#[error("not a MAC address (expected aa:bb:cc:dd:ee:ff): {0:?}")]
pub struct BadMac(pub String);

impl FromStr for Mac {
    type Err = BadMac;
    fn from_str(s: &str) -> Result<Self, BadMac> {
        let mut out = [0u8; 6];
        let mut parts = s.trim().split(':');
        for b in &mut out {
            let p = parts.next().ok_or_else(|| BadMac(s.into()))?;
            if p.len() != 2 {
                return Err(BadMac(s.into()));
            }
            *b = u8::from_str_radix(p, 16).map_err(|_| BadMac(s.into()))?;
        }
        if parts.next().is_some() {
            return Err(BadMac(s.into()));
        }
        Ok(Mac(out))
    }
}

impl Serialize for Mac {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Mac {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The LAN settings (the `[lan]` part of ruji.toml); missing keys take their defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LanConfig {
    /// The board's static address (default 192.168.0.200).
    pub address: Ipv4Addr,
    /// Prefix length of the room subnet (default 24).
    pub prefix_len: u8,
    /// First seat address (default 192.168.0.1).
    pub seat_first: Ipv4Addr,
    /// Last seat address, inclusive (default 192.168.0.15).
    pub seat_last: Ipv4Addr,
}

impl Default for LanConfig {
    fn default() -> Self {
        LanConfig {
            address: Ipv4Addr::new(192, 168, 0, 200),
            prefix_len: 24,
            seat_first: Ipv4Addr::new(192, 168, 0, 1),
            seat_last: Ipv4Addr::new(192, 168, 0, 15),
        }
    }
}

/// An IPv4 subnet given by one of its addresses and the prefix length (`192.168.0.200/24`):
/// the one place Ruji does subnet arithmetic (the LAN service, the settings check, the web
/// server's room-only rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subnet {
    /// An address in the subnet (the board's own, usually).
    pub address: Ipv4Addr,
    /// Prefix length, 0-32.
    pub prefix_len: u8,
}

impl Subnet {
    /// The subnet of `address`/`prefix_len`.
    pub fn new(address: Ipv4Addr, prefix_len: u8) -> Subnet {
        Subnet {
            address,
            prefix_len: prefix_len.min(32),
        }
    }

    /// The network mask as a number (`/24` -> `0xffffff00`).
    pub fn mask(&self) -> u32 {
        match self.prefix_len {
            0 => 0,
            n if n >= 32 => u32::MAX,
            n => u32::MAX << (32 - n),
        }
    }

    /// The network address (host bits zero).
    pub fn network(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.address) & self.mask())
    }

    /// The broadcast address (host bits one).
    pub fn broadcast(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.address) | !self.mask())
    }

    /// Is `ip` inside the subnet (0.0.0.0 never is)?
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        !ip.is_unspecified() && u32::from(ip) & self.mask() == u32::from(self.address) & self.mask()
    }

    /// The host addresses in order, network and broadcast excluded (none for /31 and /32).
    pub fn hosts(&self) -> impl Iterator<Item = Ipv4Addr> {
        let (net, bcast) = (u32::from(self.network()), u32::from(self.broadcast()));
        let count = if self.prefix_len >= 31 {
            0
        } else {
            bcast - net - 1
        };
        (1..=count).map(move |i| Ipv4Addr::from(net + i))
    }
}

impl fmt::Display for Subnet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.address, self.prefix_len)
    }
}

impl LanConfig {
    /// The room subnet (the board's address with the prefix length).
    pub fn subnet(&self) -> Subnet {
        Subnet::new(self.address, self.prefix_len)
    }

    /// Is `ip` inside the room subnet (address/prefix), excluding 0.0.0.0?
    pub fn in_subnet(&self, ip: Ipv4Addr) -> bool {
        self.subnet().contains(ip)
    }

    /// Is `ip` one of the seats?
    pub fn is_seat(&self, ip: Ipv4Addr) -> bool {
        (u32::from(self.seat_first)..=u32::from(self.seat_last)).contains(&u32::from(ip))
    }

    /// The seat addresses in order (at most 4096, a guard against a mistyped range).
    pub fn seats(&self) -> impl Iterator<Item = Ipv4Addr> {
        (u32::from(self.seat_first)..=u32::from(self.seat_last))
            .take(4096)
            .map(Ipv4Addr::from)
    }

    /// The subnet's broadcast address.
    pub fn broadcast(&self) -> Ipv4Addr {
        self.subnet().broadcast()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_text_roundtrip() {
        let m: Mac = "02:00:0a:Bb:00:ff".parse().unwrap();
        assert_eq!(m.to_string(), "02:00:0a:bb:00:ff");
        assert!("02:00:0a:bb:00".parse::<Mac>().is_err());
        assert!("02:00:0a:bb:00:ff:01".parse::<Mac>().is_err());
        assert!("02:00:0a:bb:00:f".parse::<Mac>().is_err());
        assert!(!Mac::BROADCAST.is_unicast());
        assert!(m.is_unicast());
    }

    #[test]
    fn subnet_and_seats() {
        let c = LanConfig::default();
        assert!(c.in_subnet(Ipv4Addr::new(192, 168, 0, 7)));
        assert!(!c.in_subnet(Ipv4Addr::new(192, 168, 1, 7)));
        assert!(!c.in_subnet(Ipv4Addr::UNSPECIFIED));
        assert_eq!(c.seats().count(), 15);
        assert!(c.is_seat(Ipv4Addr::new(192, 168, 0, 15)));
        assert!(!c.is_seat(Ipv4Addr::new(192, 168, 0, 16)));
        assert_eq!(c.broadcast(), Ipv4Addr::new(192, 168, 0, 255));
    }

    #[test]
    fn subnet_arithmetic() {
        let s = Subnet::new(Ipv4Addr::new(10, 1, 2, 200), 16);
        assert_eq!(s.network(), Ipv4Addr::new(10, 1, 0, 0));
        assert_eq!(s.broadcast(), Ipv4Addr::new(10, 1, 255, 255));
        assert!(s.contains(Ipv4Addr::new(10, 1, 9, 9)));
        assert!(!s.contains(Ipv4Addr::new(10, 2, 0, 1)));
        assert_eq!(s.to_string(), "10.1.2.200/16");
        let s24 = Subnet::new(Ipv4Addr::new(192, 168, 0, 200), 24);
        let hosts: Vec<_> = s24.hosts().collect();
        assert_eq!(hosts.len(), 254);
        assert_eq!(hosts[0], Ipv4Addr::new(192, 168, 0, 1));
        assert_eq!(hosts[253], Ipv4Addr::new(192, 168, 0, 254));
        for p in [31, 32] {
            assert_eq!(
                Subnet::new(Ipv4Addr::new(10, 0, 0, 1), p).hosts().count(),
                0
            );
        }
        assert_eq!(
            Subnet::new(Ipv4Addr::new(10, 0, 0, 1), 30).hosts().count(),
            2
        );
        let all = Subnet::new(Ipv4Addr::new(10, 0, 0, 1), 0);
        assert!(all.contains(Ipv4Addr::new(8, 8, 8, 8)));
        assert_eq!(all.hosts().next(), Some(Ipv4Addr::new(0, 0, 0, 1)));
    }
}
