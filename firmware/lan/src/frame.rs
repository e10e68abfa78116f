//! Untrusted frames in, observations out; ARP frames out.
//!
//! Every received byte goes through smoltcp's `new_checked` wrappers and then a `Repr` (or the checked
//! accessors): nothing here indexes raw bytes, so no frame can make it panic (see the proptest below
//! and `fuzz/`).

use std::net::Ipv4Addr;

use smoltcp::wire::{
    ArpOperation, ArpPacket, ArpRepr, DhcpMessageType, DhcpPacket, DhcpRepr, EthernetAddress,
    EthernetFrame, EthernetProtocol, EthernetRepr, IpProtocol, Ipv4Packet, UdpPacket,
};

use crate::Mac;

/// UDP port of a DHCP server (BOOTP server).
pub const DHCP_SERVER_PORT: u16 = 67;
/// UDP port of a DHCP client (BOOTP client).
pub const DHCP_CLIENT_PORT: u16 = 68;

/// What one received Ethernet frame tells about the LAN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observation {
    /// Ethernet source address of the frame.
    pub src_mac: Mac,
    /// What the frame carried.
    pub kind: ObservedKind,
}

/// The part of a frame that the LAN service cares about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObservedKind {
    /// An Ethernet/IPv4 ARP packet.
    Arp(Arp),
    /// An IPv4 packet (not a DHCP server message) from `src_ip`.
    Ipv4 {
        /// IPv4 source address.
        src_ip: Ipv4Addr,
    },
    /// A DHCP OFFER or ACK: a DHCP server is on the LAN.
    DhcpServer {
        /// IPv4 source address of the server's packet.
        src_ip: Ipv4Addr,
        /// Server identifier option, when present.
        server_id: Option<Ipv4Addr>,
        /// The address offered/acknowledged to the client (`yiaddr`).
        your_ip: Ipv4Addr,
        /// True for ACK, false for OFFER.
        ack: bool,
    },
}

/// A parsed Ethernet/IPv4 ARP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arp {
    /// True for a reply, false for a request (probes and announcements are requests).
    pub reply: bool,
    /// Sender hardware address.
    pub sha: Mac,
    /// Sender protocol address (0.0.0.0 in an RFC 5227 probe).
    pub spa: Ipv4Addr,
    /// Target hardware address.
    pub tha: Mac,
    /// Target protocol address.
    pub tpa: Ipv4Addr,
}

impl Arp {
    /// An RFC 5227 probe: a request whose sender address is 0.0.0.0.
    pub fn is_probe(&self) -> bool {
        !self.reply && self.spa.is_unspecified()
    }
}

/// Parse one received Ethernet frame. `None` for anything malformed or of no interest; never panics.
pub fn parse(bytes: &[u8]) -> Option<Observation> {
    let eth = EthernetFrame::new_checked(bytes).ok()?;
    let eth_repr = EthernetRepr::parse(&eth).ok()?;
    let src_mac = Mac(eth_repr.src_addr.0);
    let kind = match eth_repr.ethertype {
        EthernetProtocol::Arp => {
            let pkt = ArpPacket::new_checked(eth.payload()).ok()?;
            match ArpRepr::parse(&pkt).ok()? {
                ArpRepr::EthernetIpv4 {
                    operation,
                    source_hardware_addr,
                    source_protocol_addr,
                    target_hardware_addr,
                    target_protocol_addr,
                } => {
                    let reply = match operation {
                        ArpOperation::Request => false,
                        ArpOperation::Reply => true,
                        _ => return None,
                    };
                    ObservedKind::Arp(Arp {
                        reply,
                        sha: Mac(source_hardware_addr.0),
                        spa: source_protocol_addr,
                        tha: Mac(target_hardware_addr.0),
                        tpa: target_protocol_addr,
                    })
                }
                _ => return None,
            }
        }
        EthernetProtocol::Ipv4 => parse_ipv4(eth.payload())?,
        _ => return None,
    };
    Some(Observation { src_mac, kind })
}

fn parse_ipv4(bytes: &[u8]) -> Option<ObservedKind> {
    let ip = Ipv4Packet::new_checked(bytes).ok()?;
    let src_ip = ip.src_addr();
    if ip.next_header() == IpProtocol::Udp && ip.frag_offset() == 0 {
        if let Some(dhcp) = parse_dhcp_server(src_ip, ip.payload()) {
            return Some(dhcp);
        }
    }
    Some(ObservedKind::Ipv4 { src_ip })
}

fn parse_dhcp_server(src_ip: Ipv4Addr, bytes: &[u8]) -> Option<ObservedKind> {
    let udp = UdpPacket::new_checked(bytes).ok()?;
    if udp.src_port() != DHCP_SERVER_PORT || udp.dst_port() != DHCP_CLIENT_PORT {
        return None;
    }
    let payload = udp.payload();
    let pkt = DhcpPacket::new_checked(payload).ok()?;
    let repr = DhcpRepr::parse(&pkt).ok()?;
    let ack = match repr.message_type {
        DhcpMessageType::Offer => false,
        DhcpMessageType::Ack => true,
        _ => return None,
    };
    Some(ObservedKind::DhcpServer {
        src_ip,
        server_id: repr.server_identifier,
        your_ip: repr.your_ip,
        ack,
    })
}

/// Size of an Ethernet frame carrying an Ethernet/IPv4 ARP packet (before padding).
pub const ARP_FRAME_LEN: usize = 14 + 28;

/// Build an Ethernet frame carrying an ARP packet. Padded to the 60-byte Ethernet minimum.
pub fn arp_frame(dst: Mac, arp: &Arp) -> Vec<u8> {
    let repr = ArpRepr::EthernetIpv4 {
        operation: if arp.reply {
            ArpOperation::Reply
        } else {
            ArpOperation::Request
        },
        source_hardware_addr: EthernetAddress(arp.sha.0),
        source_protocol_addr: arp.spa,
        target_hardware_addr: EthernetAddress(arp.tha.0),
        target_protocol_addr: arp.tpa,
    };
    let eth = EthernetRepr {
        src_addr: EthernetAddress(arp.sha.0),
        dst_addr: EthernetAddress(dst.0),
        ethertype: EthernetProtocol::Arp,
    };
    let mut buf = vec![0u8; 60];
    let mut frame = EthernetFrame::new_unchecked(&mut buf[..]);
    eth.emit(&mut frame);
    let mut pkt = ArpPacket::new_unchecked(frame.payload_mut());
    repr.emit(&mut pkt);
    buf
}

/// RFC 5227 ARP probe for `ip`: request, sender IP 0.0.0.0, target MAC zero, broadcast.
pub fn probe(own: Mac, ip: Ipv4Addr) -> Vec<u8> {
    arp_frame(
        Mac::BROADCAST,
        &Arp {
            reply: false,
            sha: own,
            spa: Ipv4Addr::UNSPECIFIED,
            tha: Mac::ZERO,
            tpa: ip,
        },
    )
}

/// RFC 5227 ARP announcement of `ip`: request with sender IP = target IP = `ip`, broadcast.
pub fn announce(own: Mac, ip: Ipv4Addr) -> Vec<u8> {
    arp_frame(
        Mac::BROADCAST,
        &Arp {
            reply: false,
            sha: own,
            spa: ip,
            tha: Mac::ZERO,
            tpa: ip,
        },
    )
}

/// ARP request "who has `target`? tell `own_ip`" (a seat scan). `own_ip` may be 0.0.0.0 before the
/// board holds its address; hosts answer such probes too.
pub fn request(own: Mac, own_ip: Ipv4Addr, target: Ipv4Addr) -> Vec<u8> {
    arp_frame(
        Mac::BROADCAST,
        &Arp {
            reply: false,
            sha: own,
            spa: own_ip,
            tha: Mac::ZERO,
            tpa: target,
        },
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    pub const A: Mac = Mac([0x02, 0, 0, 0, 0, 0x0a]);
    pub const B: Mac = Mac([0x02, 0, 0, 0, 0, 0x0b]);

    pub fn ip(d: u8) -> Ipv4Addr {
        Ipv4Addr::new(192, 168, 0, d)
    }

    /// An ARP reply "`spa` is at `sha`" as a byte fixture.
    pub fn reply(sha: Mac, spa: Ipv4Addr, tha: Mac, tpa: Ipv4Addr) -> Vec<u8> {
        arp_frame(
            tha,
            &Arp {
                reply: true,
                sha,
                spa,
                tha,
                tpa,
            },
        )
    }

    #[rustfmt::skip]
    const PROBE_FIXTURE: [u8; 42] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // dst
        0x02, 0, 0, 0, 0, 0x0a,             // src
        0x08, 0x06,                         // ARP
        0x00, 0x01, 0x08, 0x00, 6, 4,       // Ethernet/IPv4
        0x00, 0x01,                         // request
        0x02, 0, 0, 0, 0, 0x0a,             // sha
        0, 0, 0, 0,                         // spa 0.0.0.0
        0, 0, 0, 0, 0, 0,                   // tha
        192, 168, 0, 200,                   // tpa
    ];

    #[test]
    fn probe_bytes_match_rfc5227() {
        let f = probe(A, ip(200));
        assert_eq!(f.len(), 60);
        assert_eq!(&f[..42], &PROBE_FIXTURE[..]);
        assert!(f[42..].iter().all(|b| *b == 0));
        let obs = parse(&f).unwrap();
        match obs.kind {
            ObservedKind::Arp(arp) => {
                assert!(arp.is_probe());
                assert_eq!(arp.tpa, ip(200));
                assert_eq!(arp.sha, A);
            }
            k => panic!("{k:?}"),
        }
    }

    #[test]
    fn announce_has_sender_equal_target() {
        let f = announce(A, ip(200));
        let ObservedKind::Arp(arp) = parse(&f).unwrap().kind else {
            panic!()
        };
        assert_eq!((arp.spa, arp.tpa, arp.reply), (ip(200), ip(200), false));
        assert!(!arp.is_probe());
    }

    #[test]
    fn reply_roundtrip() {
        let f = reply(B, ip(7), A, ip(200));
        let obs = parse(&f).unwrap();
        assert_eq!(obs.src_mac, B);
        let ObservedKind::Arp(arp) = obs.kind else {
            panic!()
        };
        assert!(arp.reply);
        assert_eq!((arp.sha, arp.spa, arp.tha, arp.tpa), (B, ip(7), A, ip(200)));
    }

    #[test]
    fn truncated_and_odd_arp_are_ignored() {
        let f = probe(A, ip(200));
        for n in 0..42 {
            assert_eq!(parse(&f[..n]), None, "len {n}");
        }
        let mut odd = f.clone();
        odd[18] = 8; // hardware length 8: not Ethernet/IPv4
        assert_eq!(parse(&odd), None);
        let mut op = f;
        op[21] = 9; // unknown operation
        assert_eq!(parse(&op), None);
    }

    /// Ethernet + IPv4 + UDP 67->68 + a DHCP OFFER, built by hand as a fixture.
    pub fn dhcp_offer(server_mac: Mac, server_ip: Ipv4Addr, msg_type: u8) -> Vec<u8> {
        let mut dhcp = vec![0u8; 240];
        dhcp[0] = 2; // BOOTREPLY
        dhcp[1] = 1; // Ethernet
        dhcp[2] = 6;
        dhcp[4..8].copy_from_slice(&[1, 2, 3, 4]); // xid
        dhcp[16..20].copy_from_slice(&[192, 168, 1, 100]); // yiaddr
        dhcp[28..34].copy_from_slice(&B.0); // chaddr
        dhcp[236..240].copy_from_slice(&[99, 130, 83, 99]); // magic cookie
        dhcp.extend_from_slice(&[53, 1, msg_type]);
        dhcp.extend_from_slice(&[54, 4]);
        dhcp.extend_from_slice(&server_ip.octets());
        dhcp.push(255);
        let udp_len = 8 + dhcp.len();
        let mut udp = vec![0, 67, 0, 68, (udp_len >> 8) as u8, udp_len as u8, 0, 0];
        udp.extend_from_slice(&dhcp);
        let ip_len = 20 + udp.len();
        let mut ipv4 = vec![
            0x45,
            0,
            (ip_len >> 8) as u8,
            ip_len as u8,
            0,
            0,
            0,
            0,
            64,
            17,
            0,
            0,
        ];
        ipv4.extend_from_slice(&server_ip.octets());
        ipv4.extend_from_slice(&[255, 255, 255, 255]);
        ipv4.extend_from_slice(&udp);
        let mut f = vec![0xff; 6];
        f.extend_from_slice(&server_mac.0);
        f.extend_from_slice(&[0x08, 0x00]);
        f.extend_from_slice(&ipv4);
        f
    }

    /// Ethernet + minimal IPv4 header (protocol ICMP) from `src`.
    pub fn ipv4_from(mac: Mac, src: Ipv4Addr) -> Vec<u8> {
        let mut f = vec![0xff; 6];
        f.extend_from_slice(&mac.0);
        f.extend_from_slice(&[0x08, 0x00, 0x45, 0, 0, 20, 0, 0, 0, 0, 64, 1, 0, 0]);
        f.extend_from_slice(&src.octets());
        f.extend_from_slice(&[192, 168, 0, 255]);
        f
    }

    #[test]
    fn dhcp_offer_and_ack_are_server_messages() {
        let server = Ipv4Addr::new(192, 168, 1, 1);
        let obs = parse(&dhcp_offer(B, server, 2)).unwrap();
        assert_eq!(obs.src_mac, B);
        assert_eq!(
            obs.kind,
            ObservedKind::DhcpServer {
                src_ip: server,
                server_id: Some(server),
                your_ip: Ipv4Addr::new(192, 168, 1, 100),
                ack: false
            }
        );
        let ObservedKind::DhcpServer { ack, .. } = parse(&dhcp_offer(B, server, 5)).unwrap().kind
        else {
            panic!()
        };
        assert!(ack);
        // A DHCP NAK (6) is just IPv4 traffic.
        assert_eq!(
            parse(&dhcp_offer(B, server, 6)).unwrap().kind,
            ObservedKind::Ipv4 { src_ip: server }
        );
    }

    #[test]
    fn plain_ipv4_source() {
        let obs = parse(&ipv4_from(B, Ipv4Addr::new(10, 0, 0, 9))).unwrap();
        assert_eq!(
            obs.kind,
            ObservedKind::Ipv4 {
                src_ip: Ipv4Addr::new(10, 0, 0, 9)
            }
        );
        // Truncated IPv4 header: ignored.
        let f = ipv4_from(B, ip(1));
        assert_eq!(parse(&f[..f.len() - 1]), None);
    }

    proptest! {
        #[test]
        fn never_panics_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..1600)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn never_panics_on_mutated_fixtures(
            which in 0usize..4,
            flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..8),
            cut in any::<usize>(),
        ) {
            let mut f = match which {
                0 => probe(A, ip(200)),
                1 => reply(B, ip(7), A, ip(200)),
                2 => dhcp_offer(B, ip(1), 2),
                _ => ipv4_from(B, ip(3)),
            };
            for (i, v) in flips {
                let n = f.len();
                f[i % n] = v;
            }
            let n = f.len();
            f.truncate(cut % (n + 1));
            let _ = parse(&f);
        }
    }
}
