//! `lan_check`: run every check once and report, the library side of `ruji lan-check`.
//!
//! Steps: link carrier; RFC 5227 probe for the board's address (without configuring it unless
//! asked); two rounds of ARP requests to every seat; one DHCPDISCOVER (a question only: nothing is
//! ever requested or bound, so no lease is taken) to make a rogue DHCP server show itself;
//! listening throughout, feeding the seat table and the doctor.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use serde::Serialize;
use smoltcp::phy::ChecksumCapabilities;
use smoltcp::wire::{
    DhcpMessageType, DhcpPacket, DhcpRepr, EthernetAddress, EthernetFrame, EthernetProtocol,
    EthernetRepr, IpAddress, IpProtocol, Ipv4Packet, Ipv4Repr, UdpPacket, UdpRepr,
};

use crate::doctor::{Doctor, Finding};
use crate::frame::{DHCP_CLIENT_PORT, DHCP_SERVER_PORT};
use crate::io::{self, ClaimOutcome, LanError, PacketSocket};
use crate::seats::SeatTable;
use crate::{LanConfig, Mac};

/// What `lan_check` does.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// LAN interface name.
    pub iface: String,
    /// The room's LAN settings.
    pub config: LanConfig,
    /// Configure the address after a successful probe (false: only check it is free).
    pub apply: bool,
    /// Skip the probe (the board already holds the address; conflicts are then seen passively).
    pub skip_probe: bool,
    /// Send one DHCPDISCOVER to find DHCP servers.
    pub dhcp_discover: bool,
    /// Also ARP every other address of the subnet (at most 1024) to find unknown hosts actively.
    pub scan_subnet: bool,
    /// How long to listen after the scan requests.
    pub listen: Duration,
}

impl CheckOptions {
    /// Defaults for `iface`: check only, probe, DHCP discover, listen 3 s.
    pub fn new(iface: &str, config: LanConfig) -> Self {
        CheckOptions {
            iface: iface.into(),
            config,
            apply: false,
            skip_probe: false,
            dhcp_discover: true,
            scan_subnet: true,
            listen: Duration::from_secs(3),
        }
    }
}

/// The other host holding the board's address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conflict {
    /// Its MAC.
    pub mac: Mac,
}

/// One seat in the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeatReport {
    /// Seat address.
    pub ip: Ipv4Addr,
    /// Answered or was heard.
    pub online: bool,
    /// Its MAC.
    pub mac: Option<Mac>,
    /// ARP round-trip time in milliseconds.
    pub rtt_ms: Option<f64>,
    /// Seconds since the seat was last heard (the long-running service only; absent from the
    /// one-shot check's JSON).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen_s: Option<u64>,
}

/// An address used by several MACs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Duplicate {
    /// The address.
    pub ip: Ipv4Addr,
    /// The MACs.
    pub macs: Vec<Mac>,
}

/// A host (address + MAC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Host {
    /// Its address.
    pub ip: Ipv4Addr,
    /// Its MAC.
    pub mac: Mac,
}

/// The `ruji lan-check --json` object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LanReport {
    /// LAN interface.
    pub interface: String,
    /// The board's address.
    pub address: Ipv4Addr,
    /// Carrier present.
    pub link_up: bool,
    /// Another host holding the board's address, if any.
    pub conflict: Option<Conflict>,
    /// Every seat in order.
    pub seats: Vec<SeatReport>,
    /// Duplicate static addresses.
    pub duplicates: Vec<Duplicate>,
    /// Hosts outside the subnet.
    pub wrong_subnet: Vec<Host>,
    /// DHCP servers seen.
    pub dhcp_servers: Vec<Host>,
    /// Hosts in the subnet that are neither seats nor the board.
    pub unknown_hosts: Vec<Host>,
    /// Every finding with its messages (Bahasa Indonesia, English).
    #[serde(skip)]
    pub findings: Vec<Finding>,
}

impl LanReport {
    /// Any problem found (the CLI exits 1 then, 0 otherwise).
    pub fn has_findings(&self) -> bool {
        !self.findings.is_empty() || self.conflict.is_some()
    }

    /// Assemble the report from the seat table, the doctor and the probe's outcome.
    pub fn build(
        iface: &str,
        config: &LanConfig,
        seats: &SeatTable,
        doctor: &Doctor,
        probe: Option<ClaimOutcome>,
    ) -> Self {
        let findings = doctor.findings();
        let probe_conflict = match probe {
            Some(ClaimOutcome::Refused { mac }) => Some(Conflict { mac }),
            _ => None,
        };
        let mut r = LanReport {
            interface: iface.into(),
            address: config.address,
            link_up: true,
            conflict: probe_conflict,
            seats: seats
                .seats()
                .iter()
                .map(|s| SeatReport {
                    ip: s.ip,
                    online: s.online,
                    mac: s.mac,
                    rtt_ms: s
                        .rtt
                        .map(|d| (d.as_micros() as f64 / 1000.0 * 100.0).round() / 100.0),
                    last_seen_s: None,
                })
                .collect(),
            duplicates: vec![],
            wrong_subnet: vec![],
            dhcp_servers: vec![],
            unknown_hosts: vec![],
            findings: vec![],
        };
        r.set_findings(findings);
        r
    }

    /// Replace the findings (and the lists derived from them), keeping seats and the probe's conflict.
    pub fn set_findings(&mut self, findings: Vec<Finding>) {
        self.duplicates.clear();
        self.wrong_subnet.clear();
        self.dhcp_servers.clear();
        self.unknown_hosts.clear();
        self.link_up = true;
        for f in &findings {
            match f.clone() {
                Finding::LinkDown => self.link_up = false,
                Finding::AddressInUse { mac, .. } => {
                    self.conflict.get_or_insert(Conflict { mac });
                }
                Finding::DuplicateIp { ip, macs } => self.duplicates.push(Duplicate { ip, macs }),
                Finding::WrongSubnet { ip, mac } => self.wrong_subnet.push(Host { ip, mac }),
                Finding::DhcpServer { ip, mac } => self.dhcp_servers.push(Host { ip, mac }),
                Finding::UnknownHost { ip, mac } => self.unknown_hosts.push(Host { ip, mac }),
            }
        }
        self.findings = findings;
    }

    /// The JSON object (one line).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }

    /// A readable table for a technician, in Bahasa Indonesia.
    pub fn to_table(&self) -> String {
        let mut s = format!(
            "Antarmuka {}  alamat papan {}  link {}\n",
            self.interface,
            self.address,
            if self.link_up { "tersambung" } else { "PUTUS" }
        );
        if let Some(c) = &self.conflict {
            s += &format!("KONFLIK: alamat papan dipakai {}\n", c.mac);
        }
        s += "Kursi  Alamat           Status   MAC                RTT\n";
        for (i, seat) in self.seats.iter().enumerate() {
            s += &format!(
                "{:>5}  {:<15}  {:<7}  {:<17}  {}\n",
                i + 1,
                seat.ip,
                if seat.online { "online" } else { "offline" },
                seat.mac
                    .map(|m| m.to_string())
                    .unwrap_or_else(|| "-".into()),
                seat.rtt_ms
                    .map(|r| format!("{r} ms"))
                    .unwrap_or_else(|| "-".into()),
            );
        }
        for f in &self.findings {
            s += &format!("- {}\n", f.message_id());
        }
        s
    }
}

/// A DHCPDISCOVER broadcast from `mac` (client identifier = MAC, broadcast flag set).
pub fn dhcp_discover(mac: Mac, xid: u32) -> Vec<u8> {
    let prl = [1u8, 3, 6];
    let dhcp = DhcpRepr {
        message_type: DhcpMessageType::Discover,
        transaction_id: xid,
        secs: 0,
        client_hardware_address: EthernetAddress(mac.0),
        client_ip: Ipv4Addr::UNSPECIFIED,
        your_ip: Ipv4Addr::UNSPECIFIED,
        server_ip: Ipv4Addr::UNSPECIFIED,
        router: None,
        subnet_mask: None,
        relay_agent_ip: Ipv4Addr::UNSPECIFIED,
        broadcast: true,
        requested_ip: None,
        client_identifier: Some(EthernetAddress(mac.0)),
        server_identifier: None,
        parameter_request_list: Some(&prl),
        dns_servers: None,
        max_size: None,
        lease_duration: None,
        renew_duration: None,
        rebind_duration: None,
        additional_options: &[],
    };
    let dhcp_len = dhcp.buffer_len();
    let udp = UdpRepr {
        src_port: DHCP_CLIENT_PORT,
        dst_port: DHCP_SERVER_PORT,
    };
    let ip = Ipv4Repr {
        src_addr: Ipv4Addr::UNSPECIFIED,
        dst_addr: Ipv4Addr::BROADCAST,
        next_header: IpProtocol::Udp,
        payload_len: 8 + dhcp_len,
        hop_limit: 64,
    };
    let eth = EthernetRepr {
        src_addr: EthernetAddress(mac.0),
        dst_addr: EthernetAddress::BROADCAST,
        ethertype: EthernetProtocol::Ipv4,
    };
    let caps = ChecksumCapabilities::default();
    let mut buf = vec![0u8; 14 + 20 + 8 + dhcp_len];
    let mut frame = EthernetFrame::new_unchecked(&mut buf[..]);
    eth.emit(&mut frame);
    let mut ipp = Ipv4Packet::new_unchecked(frame.payload_mut());
    ip.emit(&mut ipp, &caps);
    let mut udpp = UdpPacket::new_unchecked(ipp.payload_mut());
    udp.emit(
        &mut udpp,
        &IpAddress::Ipv4(ip.src_addr),
        &IpAddress::Ipv4(ip.dst_addr),
        dhcp_len,
        |payload| {
            let mut p = DhcpPacket::new_unchecked(payload);
            // The buffer is exactly `buffer_len()` long, so emitting cannot fail.
            let _ = dhcp.emit(&mut p);
        },
        &caps,
    );
    buf
}

/// Host addresses of the subnet (network and broadcast excluded), at most 1024.
pub fn subnet_hosts(cfg: &LanConfig) -> impl Iterator<Item = Ipv4Addr> {
    cfg.subnet().hosts().take(1024)
}

/// Run every check once on `opts.iface` (blocks ~4-10 s). Errors only when the interface or the
/// socket cannot be used at all; everything seen is in the report.
pub fn lan_check(opts: &CheckOptions) -> Result<LanReport, LanError> {
    let cfg = &opts.config;
    let link_up = io::carrier(&opts.iface).map_err(|source| LanError::NoInterface {
        iface: opts.iface.clone(),
        source,
    })?;
    let sock = PacketSocket::open(&opts.iface)?;
    let own = sock.mac();
    let mut seats = SeatTable::new(cfg, own, Duration::from_secs(3600));
    let mut doctor = Doctor::new(cfg, own);
    doctor.set_link(link_up);
    let start = Instant::now();
    if !link_up {
        // Nothing can be learnt without carrier (and sends would fail): report the link.
        return Ok(LanReport::build(&opts.iface, cfg, &seats, &doctor, None));
    }
    let probe = if opts.skip_probe {
        None
    } else {
        Some(io::run_claim(
            &sock,
            cfg.address,
            cfg.prefix_len,
            opts.apply,
            |t, o| {
                seats.observe(t, o);
                doctor.observe(o);
            },
        )?)
    };
    let own_ip = match probe {
        Some(ClaimOutcome::Claimed) | None => cfg.address,
        _ => Ipv4Addr::UNSPECIFIED,
    };
    if opts.dhcp_discover {
        let xid = u32::from_be_bytes([own.0[2], own.0[3], own.0[4], own.0[5]]) ^ 0x5275_6a69;
        if let Err(e) = sock.send(&dhcp_discover(own, xid)) {
            tracing::warn!(error = %e, "DHCPDISCOVER not sent");
        }
    }
    // Seats first, on their own, so their round-trip times are not inflated by the subnet sweep;
    // then the rest of the subnet; then the seats once more (a lost request or reply).
    let seat_ips: Vec<Ipv4Addr> = cfg.seats().collect();
    let others: Vec<Ipv4Addr> = if opts.scan_subnet {
        subnet_hosts(cfg)
            .filter(|ip| !cfg.is_seat(*ip) && *ip != cfg.address)
            .collect()
    } else {
        vec![]
    };
    let quarter = opts.listen / 4;
    let rounds: [(&[Ipv4Addr], Duration); 3] = [
        (&seat_ips, quarter),
        (&others, quarter),
        (&seat_ips, opts.listen.saturating_sub(quarter * 2)),
    ];
    for (targets, window) in rounds {
        for (ip, t) in io::send_requests(&sock, start, own_ip, targets) {
            seats.asked(ip, t);
        }
        sock.listen(start, window, |t, o| {
            seats.observe(t, o);
            doctor.observe(o);
        });
    }
    Ok(LanReport::build(&opts.iface, cfg, &seats, &doctor, probe))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::tests::{ip, reply, A, B};
    use crate::frame::{parse, ObservedKind};

    #[test]
    fn subnet_hosts_of_a_24() {
        let v: Vec<_> = subnet_hosts(&LanConfig::default()).collect();
        assert_eq!(v.len(), 254);
        assert_eq!(v[0], ip(1));
        assert_eq!(v[253], ip(254));
        let small = LanConfig {
            prefix_len: 31,
            ..LanConfig::default()
        };
        assert_eq!(subnet_hosts(&small).count(), 0);
    }

    #[test]
    fn discover_is_well_formed() {
        let f = dhcp_discover(A, 7);
        let eth = EthernetFrame::new_checked(&f[..]).unwrap();
        let ipp = Ipv4Packet::new_checked(eth.payload()).unwrap();
        assert!(ipp.verify_checksum());
        let udp = UdpPacket::new_checked(ipp.payload()).unwrap();
        assert_eq!((udp.src_port(), udp.dst_port()), (68, 67));
        let d = DhcpPacket::new_checked(udp.payload()).unwrap();
        let r = DhcpRepr::parse(&d).unwrap();
        assert_eq!(r.message_type, DhcpMessageType::Discover);
        assert_eq!(r.transaction_id, 7);
        // Our own discover is not a server message.
        assert_eq!(
            parse(&f).unwrap().kind,
            ObservedKind::Ipv4 {
                src_ip: Ipv4Addr::UNSPECIFIED
            }
        );
    }

    #[test]
    fn report_json_shape() {
        let cfg = LanConfig::default();
        let mut seats = SeatTable::new(&cfg, A, Duration::from_secs(60));
        let mut doc = Doctor::new(&cfg, A);
        seats.asked(ip(1), Duration::from_millis(10));
        let o = parse(&reply(B, ip(1), A, ip(200))).unwrap();
        seats.observe(Duration::from_millis(12), &o);
        doc.observe(&o);
        let r = LanReport::build("eth0", &cfg, &seats, &doc, Some(ClaimOutcome::Free));
        assert!(!r.has_findings());
        let v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(v["interface"], "eth0");
        assert_eq!(v["address"], "192.168.0.200");
        assert!(v["conflict"].is_null());
        assert_eq!(v["seats"].as_array().unwrap().len(), 15);
        assert_eq!(v["seats"][0]["ip"], "192.168.0.1");
        assert_eq!(v["seats"][0]["online"], true);
        assert_eq!(v["seats"][0]["mac"], "02:00:00:00:00:0b");
        assert_eq!(v["seats"][0]["rtt_ms"], 2.0);
        assert!(v["seats"][1]["mac"].is_null());
        assert!(v["seats"][1]["rtt_ms"].is_null());
        for k in [
            "duplicates",
            "wrong_subnet",
            "dhcp_servers",
            "unknown_hosts",
        ] {
            assert_eq!(v[k], serde_json::json!([]), "{k}");
        }
        let refused = LanReport::build(
            "eth0",
            &cfg,
            &seats,
            &doc,
            Some(ClaimOutcome::Refused { mac: B }),
        );
        assert!(refused.has_findings());
        let v: serde_json::Value = serde_json::from_str(&refused.to_json()).unwrap();
        assert_eq!(v["conflict"]["mac"], "02:00:00:00:00:0b");
        assert!(refused.to_table().contains("KONFLIK"));
    }
}
