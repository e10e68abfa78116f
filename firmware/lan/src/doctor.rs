//! LAN doctor: classic exam-room LAN faults, found by watching frames.
//!
//! Each [`Finding`] has a message in Bahasa Indonesia (what happened and what to do) and in English.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use serde::Serialize;

use crate::frame::{Observation, ObservedKind};
use crate::{LanConfig, Mac};

/// One problem found on the LAN.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Finding {
    /// The LAN interface has no carrier (cable unplugged, switch off).
    LinkDown,
    /// Another host uses the board's own address.
    AddressInUse {
        /// The board's address.
        ip: Ipv4Addr,
        /// The other host's MAC.
        mac: Mac,
    },
    /// Two or more MACs answer for one address (duplicate static IP).
    DuplicateIp {
        /// The address.
        ip: Ipv4Addr,
        /// The MACs using it.
        macs: Vec<Mac>,
    },
    /// A host talks from outside the configured subnet (wrong address or mask).
    WrongSubnet {
        /// Its address.
        ip: Ipv4Addr,
        /// Its MAC.
        mac: Mac,
    },
    /// A DHCP server answers on the LAN (e.g. a home router plugged into the exam switch).
    DhcpServer {
        /// Its address.
        ip: Ipv4Addr,
        /// Its MAC.
        mac: Mac,
    },
    /// A host inside the room subnet that is neither a seat nor the board.
    UnknownHost {
        /// Its address.
        ip: Ipv4Addr,
        /// Its MAC.
        mac: Mac,
    },
}

impl Finding {
    /// The message for people, in Bahasa Indonesia: what happened and what to do.
    pub fn message_id(&self) -> String {
        match self {
            Finding::LinkDown => "Kabel LAN tidak tersambung (tidak ada sinyal). Periksa kabel dari papan ke switch dan pastikan switch menyala.".into(),
            Finding::AddressInUse { ip, mac } => format!("Alamat papan {ip} sudah dipakai perangkat lain ({mac}). Ubah alamat perangkat itu, atau ganti alamat papan di ruji.toml."),
            Finding::DuplicateIp { ip, macs } => format!("Alamat {ip} dipakai oleh {} perangkat ({}). Beri setiap komputer alamat yang berbeda.", macs.len(), join(macs)),
            Finding::WrongSubnet { ip, mac } => format!("Perangkat {mac} memakai alamat {ip} di luar jaringan ruang ujian. Perbaiki alamat IP dan subnet mask komputer itu."),
            Finding::DhcpServer { ip, mac } => format!("Ada server DHCP di LAN ({ip}, {mac}), misalnya router rumah yang tercolok ke switch ujian. Cabut perangkat itu dari switch."),
            Finding::UnknownHost { ip, mac } => format!("Perangkat tak dikenal {mac} memakai alamat {ip} di jaringan ujian. Periksa perangkat itu; tambahkan ke daftar kursi bila memang dipakai."),
        }
    }

    /// The same message in English.
    pub fn message_en(&self) -> String {
        match self {
            Finding::LinkDown => "The LAN cable is not connected (no carrier). Check the cable from the board to the switch and that the switch is on.".into(),
            Finding::AddressInUse { ip, mac } => format!("The board's address {ip} is already used by another device ({mac}). Change that device's address, or the board's address in ruji.toml."),
            Finding::DuplicateIp { ip, macs } => format!("Address {ip} is used by {} devices ({}). Give every computer a different address.", macs.len(), join(macs)),
            Finding::WrongSubnet { ip, mac } => format!("Device {mac} uses address {ip}, outside the exam room network. Fix that computer's IP address and subnet mask."),
            Finding::DhcpServer { ip, mac } => format!("A DHCP server is on the LAN ({ip}, {mac}), e.g. a home router plugged into the exam switch. Unplug it from the switch."),
            Finding::UnknownHost { ip, mac } => format!("Unknown device {mac} uses address {ip} on the exam network. Check it; add it to the seat list if it belongs there."),
        }
    }
}

fn join(macs: &[Mac]) -> String {
    macs.iter()
        .map(|m| m.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Accumulates observations and turns them into findings.
#[derive(Debug, Clone)]
pub struct Doctor {
    config: LanConfig,
    own: Mac,
    link_down: bool,
    /// Every (ARP sender address, sender MAC) pair seen: the basis for duplicates.
    arp_bindings: BTreeMap<Ipv4Addr, BTreeSet<Mac>>,
    /// Every (source address, MAC) seen in any frame.
    hosts: BTreeSet<(Ipv4Addr, Mac)>,
    dhcp_servers: BTreeSet<(Ipv4Addr, Mac)>,
}

impl Doctor {
    /// A doctor for the room described by `config`; frames from `own` (the board) are ignored.
    pub fn new(config: &LanConfig, own: Mac) -> Self {
        Doctor {
            config: config.clone(),
            own,
            link_down: false,
            arp_bindings: BTreeMap::new(),
            hosts: BTreeSet::new(),
            dhcp_servers: BTreeSet::new(),
        }
    }

    /// Set the carrier state (see [`crate::io::carrier`]).
    pub fn set_link(&mut self, up: bool) {
        self.link_down = !up;
    }

    /// Feed any received frame.
    pub fn observe(&mut self, obs: &Observation) {
        if obs.src_mac == self.own {
            return;
        }
        let (ip, mac) = match obs.kind {
            ObservedKind::Arp(a) => {
                if a.sha == self.own || !a.sha.is_unicast() || a.spa.is_unspecified() {
                    return;
                }
                self.arp_bindings.entry(a.spa).or_default().insert(a.sha);
                (a.spa, a.sha)
            }
            ObservedKind::Ipv4 { src_ip } => (src_ip, obs.src_mac),
            ObservedKind::DhcpServer { src_ip, .. } => {
                if obs.src_mac.is_unicast() {
                    self.dhcp_servers.insert((src_ip, obs.src_mac));
                }
                (src_ip, obs.src_mac)
            }
        };
        if mac.is_unicast() && !ip.is_unspecified() && !ip.is_broadcast() && !ip.is_multicast() {
            self.hosts.insert((ip, mac));
        }
    }

    /// All findings so far, sorted, without repeats.
    pub fn findings(&self) -> Vec<Finding> {
        let mut out = BTreeSet::new();
        if self.link_down {
            out.insert(Finding::LinkDown);
        }
        for (ip, macs) in &self.arp_bindings {
            if macs.len() > 1 {
                out.insert(Finding::DuplicateIp {
                    ip: *ip,
                    macs: macs.iter().copied().collect(),
                });
            }
        }
        for &(ip, mac) in &self.dhcp_servers {
            out.insert(Finding::DhcpServer { ip, mac });
        }
        for &(ip, mac) in &self.hosts {
            if ip == self.config.address {
                out.insert(Finding::AddressInUse { ip, mac });
            } else if !self.config.in_subnet(ip) {
                out.insert(Finding::WrongSubnet { ip, mac });
            } else if !self.config.is_seat(ip) && ip != self.config.broadcast() {
                out.insert(Finding::UnknownHost { ip, mac });
            }
        }
        out.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::tests::{dhcp_offer, ip, ipv4_from, reply, A, B};
    use crate::frame::{announce, parse, probe};

    const C: Mac = Mac([0x02, 0, 0, 0, 0, 0x0c]);

    fn doc(frames: &[Vec<u8>]) -> Vec<Finding> {
        let mut d = Doctor::new(&LanConfig::default(), A);
        for f in frames {
            if let Some(o) = parse(f) {
                d.observe(&o);
            }
        }
        d.findings()
    }

    #[test]
    fn healthy_room_has_no_findings() {
        let f = doc(&[
            reply(B, ip(1), A, ip(200)),
            reply(C, ip(2), A, ip(200)),
            ipv4_from(B, ip(1)),
            probe(C, ip(9)),
            announce(A, ip(200)),
        ]);
        assert_eq!(f, vec![]);
    }

    #[test]
    fn duplicate_ip() {
        let f = doc(&[reply(B, ip(5), A, ip(200)), reply(C, ip(5), A, ip(200))]);
        assert_eq!(
            f,
            vec![Finding::DuplicateIp {
                ip: ip(5),
                macs: vec![B, C]
            }]
        );
        assert!(f[0].message_id().contains("192.168.0.5"));
    }

    #[test]
    fn wrong_subnet_from_arp_and_ipv4() {
        let other = Ipv4Addr::new(192, 168, 1, 5);
        let f = doc(&[announce(B, other), ipv4_from(C, Ipv4Addr::new(10, 0, 0, 1))]);
        assert_eq!(
            f,
            vec![
                Finding::WrongSubnet {
                    ip: Ipv4Addr::new(10, 0, 0, 1),
                    mac: C
                },
                Finding::WrongSubnet { ip: other, mac: B },
            ]
        );
    }

    #[test]
    fn dhcp_server_seen() {
        let f = doc(&[dhcp_offer(C, ip(254), 2)]);
        assert_eq!(
            f,
            vec![
                Finding::DhcpServer {
                    ip: ip(254),
                    mac: C
                },
                Finding::UnknownHost {
                    ip: ip(254),
                    mac: C
                },
            ]
        );
    }

    #[test]
    fn unknown_host_and_board_address_in_use() {
        let f = doc(&[
            announce(B, ip(100)),
            reply(C, ip(200), A, Ipv4Addr::UNSPECIFIED),
        ]);
        assert_eq!(
            f,
            vec![
                Finding::AddressInUse {
                    ip: ip(200),
                    mac: C
                },
                Finding::UnknownHost {
                    ip: ip(100),
                    mac: B
                },
            ]
        );
    }

    #[test]
    fn link_down() {
        let mut d = Doctor::new(&LanConfig::default(), A);
        d.set_link(false);
        assert_eq!(d.findings(), vec![Finding::LinkDown]);
        assert!(Finding::LinkDown.message_en().contains("cable"));
        d.set_link(true);
        assert_eq!(d.findings(), vec![]);
    }
}
