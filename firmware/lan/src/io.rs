//! I/O: the AF_PACKET socket, the link state, and applying the address.
//!
//! - [`PacketSocket`]: a raw `AF_PACKET`/`SOCK_RAW` socket bound to one interface, receiving every
//!   Ethernet frame (`ETH_P_ALL`, including the board's own outgoing ones, which the logic ignores
//!   by source MAC). Needs `CAP_NET_RAW` only.
//! - [`carrier`], [`mac_of`]: read from `/sys/class/net/IFACE/`.
//! - [`apply_address`]: runs `ip addr replace ADDR/PREFIX dev IFACE` (iproute2 or busybox `ip`,
//!   both on the board) after a successful probe. Chosen over a netlink crate to keep the binary
//!   small and the step visible in logs; needs `CAP_NET_ADMIN`.
//! - [`run_claim`] and [`scan`]: the blocking loops that connect the pure state machines to the
//!   socket. Socket errors are returned or logged and retried, never a panic.
//!
//! smoltcp's own `phy::RawSocket` is not used: it panics on any receive/send error other than
//! `WouldBlock` (e.g. `ENETDOWN` when the cable is pulled), which would crash the server.

use std::io::{self, Read};
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, Socket, Type};

use crate::claim::{Claim, ClaimEvent, ClaimState, DefendPolicy};
use crate::frame::{self, Observation, ObservedKind};
use crate::Mac;

/// Errors of the LAN service, with what to do.
#[derive(Debug, thiserror::Error)]
pub enum LanError {
    /// The interface does not exist.
    #[error("LAN interface {iface} not found ({source}); check `iface` in ruji.toml")]
    NoInterface {
        /// Interface name.
        iface: String,
        /// Cause.
        source: io::Error,
    },
    /// The packet socket could not be opened (usually: not root / no CAP_NET_RAW).
    #[error("cannot open a packet socket on {iface}: {source} (needs CAP_NET_RAW)")]
    Socket {
        /// Interface name.
        iface: String,
        /// Cause.
        source: io::Error,
    },
    /// Sending or receiving failed repeatedly.
    #[error("LAN I/O on {iface} failed: {source}")]
    Io {
        /// Interface name.
        iface: String,
        /// Cause.
        source: io::Error,
    },
    /// `ip addr replace` failed.
    #[error("could not set {addr} on {iface}: {detail} (needs CAP_NET_ADMIN and the `ip` tool)")]
    Apply {
        /// Interface name.
        iface: String,
        /// Address that was being set.
        addr: String,
        /// What `ip` said.
        detail: String,
    },
}

fn sys_path(iface: &str, file: &str) -> PathBuf {
    PathBuf::from("/sys/class/net").join(iface).join(file)
}

/// Does the interface have carrier? `Ok(false)` also when the interface is administratively down
/// (the kernel then refuses to read `carrier`).
pub fn carrier(iface: &str) -> io::Result<bool> {
    match std::fs::read_to_string(sys_path(iface, "carrier")) {
        Ok(s) => Ok(s.trim() == "1"),
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The interface's hardware address.
pub fn mac_of(iface: &str) -> io::Result<Mac> {
    let s = std::fs::read_to_string(sys_path(iface, "address"))?;
    s.trim()
        .parse()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

fn ifindex_of(iface: &str) -> io::Result<i32> {
    let s = std::fs::read_to_string(sys_path(iface, "ifindex"))?;
    s.trim()
        .parse()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// Runs `ip ARGS`; a failure names the interface and address it was for.
fn ip(iface: &str, cidr: &str, args: &[&str]) -> Result<(), LanError> {
    let fail = |detail: String| LanError::Apply {
        iface: iface.into(),
        addr: cidr.into(),
        detail,
    };
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| fail(e.to_string()))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(fail(
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        ))
    }
}

/// Set `addr/prefix_len` on `iface` (idempotent) and bring the link up, with `ip`.
pub fn apply_address(iface: &str, addr: Ipv4Addr, prefix_len: u8) -> Result<(), LanError> {
    let cidr = format!("{addr}/{prefix_len}");
    ip(iface, &cidr, &["link", "set", "dev", iface, "up"])?;
    ip(
        iface,
        &cidr,
        &["-4", "addr", "replace", &cidr, "dev", iface],
    )
}

/// Remove `addr/prefix_len` from `iface` (after the address was lost to another host).
pub fn remove_address(iface: &str, addr: Ipv4Addr, prefix_len: u8) -> Result<(), LanError> {
    let cidr = format!("{addr}/{prefix_len}");
    ip(iface, &cidr, &["-4", "addr", "del", &cidr, "dev", iface])
}

/// The only unsafe code of the crate: building the `sockaddr_ll` that binds a packet socket to one
/// interface. socket2 offers no safe constructor for link-layer addresses.
#[allow(unsafe_code)]
mod sys {
    use socket2::{SockAddr, SockAddrStorage};

    /// `sockaddr_ll { sll_family: AF_PACKET, sll_protocol: htons(protocol), sll_ifindex }`.
    pub fn link_addr(ifindex: i32, protocol: u16) -> SockAddr {
        let mut storage = SockAddrStorage::zeroed();
        // SAFETY: `sockaddr_ll` is a `sockaddr_*` type of this platform, smaller than
        // `sockaddr_storage`; the storage is zeroed, which is a valid `sockaddr_ll`.
        let ll: &mut libc::sockaddr_ll = unsafe { storage.view_as() };
        ll.sll_family = libc::AF_PACKET as u16;
        ll.sll_protocol = protocol.to_be();
        ll.sll_ifindex = ifindex;
        let len = std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;
        // SAFETY: the storage holds an initialised `sockaddr_ll` of exactly `len` bytes.
        unsafe { SockAddr::new(storage, len) }
    }
}

/// A raw Ethernet socket on one interface.
#[derive(Debug)]
pub struct PacketSocket {
    sock: Socket,
    iface: String,
    mac: Mac,
}

const ETH_P_ALL: u16 = 0x0003;

impl PacketSocket {
    /// Open and bind to `iface`.
    pub fn open(iface: &str) -> Result<Self, LanError> {
        let no_iface = |source| LanError::NoInterface {
            iface: iface.into(),
            source,
        };
        let ifindex = ifindex_of(iface).map_err(no_iface)?;
        let mac = mac_of(iface).map_err(no_iface)?;
        let sock_err = |source| LanError::Socket {
            iface: iface.into(),
            source,
        };
        let sock = Socket::new(
            Domain::PACKET,
            Type::RAW,
            Some(Protocol::from(i32::from(ETH_P_ALL.to_be()))),
        )
        .map_err(sock_err)?;
        sock.bind(&sys::link_addr(ifindex, ETH_P_ALL))
            .map_err(sock_err)?;
        Ok(PacketSocket {
            sock,
            iface: iface.into(),
            mac,
        })
    }

    /// The interface's MAC.
    pub fn mac(&self) -> Mac {
        self.mac
    }

    /// The interface name.
    pub fn iface(&self) -> &str {
        &self.iface
    }

    /// Send one frame; retried a few times on transient errors (no buffer space, interrupted).
    pub fn send(&self, frame: &[u8]) -> Result<(), LanError> {
        let mut last = None;
        for attempt in 0..3u32 {
            match self.sock.send(frame) {
                Ok(_) => return Ok(()),
                Err(e) => {
                    tracing::warn!(iface = %self.iface, attempt, error = %e, "LAN send failed");
                    last = Some(e);
                    std::thread::sleep(Duration::from_millis(20 << attempt));
                }
            }
        }
        Err(LanError::Io {
            iface: self.iface.clone(),
            source: last.unwrap_or_else(|| io::Error::other("send failed")),
        })
    }

    /// Receive one frame into `buf`, waiting at most `timeout`. `Ok(None)` on timeout.
    pub fn recv(&self, buf: &mut [u8], timeout: Duration) -> Result<Option<usize>, LanError> {
        let timeout = timeout.max(Duration::from_millis(1));
        self.sock
            .set_read_timeout(Some(timeout))
            .map_err(|source| LanError::Io {
                iface: self.iface.clone(),
                source,
            })?;
        match (&self.sock).read(buf) {
            Ok(n) => Ok(Some(n)),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) =>
            {
                Ok(None)
            }
            Err(source) => Err(LanError::Io {
                iface: self.iface.clone(),
                source,
            }),
        }
    }

    /// Receive frames for `dur`, handing each parsed observation to `f` with the elapsed time since
    /// `start`. Receive errors are logged and retried (after a short pause) until `dur` is over.
    pub fn listen(&self, start: Instant, dur: Duration, mut f: impl FnMut(Duration, &Observation)) {
        let end = Instant::now() + dur;
        let mut buf = vec![0u8; 2048];
        loop {
            let now = Instant::now();
            if now >= end {
                return;
            }
            match self.recv(&mut buf, end - now) {
                Ok(Some(n)) => {
                    if let Some(obs) = frame::parse(&buf[..n.min(buf.len())]) {
                        f(start.elapsed(), &obs);
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "LAN receive failed; retrying");
                    std::thread::sleep(Duration::from_millis(100).min(end - now));
                }
            }
        }
    }
}

/// How an address claim ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimOutcome {
    /// Nobody answered the probes; the address was configured (if asked) and announced.
    Claimed,
    /// Nobody answered the probes; `apply` was false so nothing was configured (a check only).
    Free,
    /// Another host holds the address.
    Refused {
        /// Its MAC.
        mac: Mac,
    },
}

/// Probe for `addr` per RFC 5227 and, if free and `apply` is true, configure it with
/// [`apply_address`] and announce it. Every received frame is also handed to `observe` (seat table,
/// doctor). Blocks for about 4-11 s (the RFC's timing).
pub fn run_claim(
    sock: &PacketSocket,
    addr: Ipv4Addr,
    prefix_len: u8,
    apply: bool,
    mut observe: impl FnMut(Duration, &Observation),
) -> Result<ClaimOutcome, LanError> {
    let start = Instant::now();
    let seed = u64::from_le_bytes([
        sock.mac.0[0],
        sock.mac.0[1],
        sock.mac.0[2],
        sock.mac.0[3],
        sock.mac.0[4],
        sock.mac.0[5],
        0,
        0,
    ]) ^ ruji_sys::unix_nanos() as u64;
    let mut claim = Claim::new(
        addr,
        sock.mac,
        seed,
        DefendPolicy::Indefinitely,
        Duration::ZERO,
    );
    let mut outcome = None;
    loop {
        let now = start.elapsed();
        while let Some(ev) = claim.poll(now) {
            match ev {
                ClaimEvent::SendProbe => sock.send(&frame::probe(sock.mac, addr))?,
                ClaimEvent::SendAnnounce => sock.send(&frame::announce(sock.mac, addr))?,
                ClaimEvent::Configure if apply => {
                    apply_address(&sock.iface, addr, prefix_len)?;
                    tracing::info!(iface = %sock.iface, %addr, "LAN address configured after probing");
                }
                ClaimEvent::Configure => return Ok(ClaimOutcome::Free),
                ClaimEvent::Conflict { mac, .. } => outcome = Some(ClaimOutcome::Refused { mac }),
                ClaimEvent::Unconfigure { mac } => outcome = Some(ClaimOutcome::Refused { mac }),
            }
        }
        if let Some(o) = outcome {
            tracing::warn!(iface = %sock.iface, %addr, ?o, "LAN address is taken by another host");
            return Ok(o);
        }
        if claim.state() == ClaimState::Bound {
            return Ok(ClaimOutcome::Claimed);
        }
        let wait = claim
            .poll_at()
            .map(|t| t.saturating_sub(now))
            .unwrap_or(Duration::from_millis(100))
            .min(Duration::from_millis(100));
        sock.listen(start, wait, |t, obs| {
            observe(t, obs);
            if let ObservedKind::Arp(arp) = &obs.kind {
                if let Some(ClaimEvent::Conflict { mac, .. }) = claim.on_arp(t, arp) {
                    outcome = Some(ClaimOutcome::Refused { mac });
                }
            }
        });
    }
}

/// Send one ARP request to each of `targets` (sender address `own_ip`, 0.0.0.0 when the board does
/// not hold its address). Returns each target with its send time since `start` (feed them to
/// [`crate::SeatTable::asked`]); then [`PacketSocket::listen`] for the replies. Send errors are
/// logged and the scan goes on.
pub fn send_requests(
    sock: &PacketSocket,
    start: Instant,
    own_ip: Ipv4Addr,
    targets: &[Ipv4Addr],
) -> Vec<(Ipv4Addr, Duration)> {
    let mut sent = Vec::with_capacity(targets.len());
    for &t in targets {
        let at = start.elapsed();
        match sock.send(&frame::request(sock.mac, own_ip, t)) {
            Ok(()) => sent.push((t, at)),
            Err(e) => tracing::warn!(error = %e, target = %t, "ARP request not sent"),
        }
    }
    sent
}
