//! HEP (Homer Encapsulation Protocol) codec: HEP3 bytes <-> [`HepPacket`], the legacy v1/v2
//! fixed-header formats (decode only), and the length framing of HEP3 over TCP.
//!
//! Pure: no Tokio, no sockets, no clock reads. A packet whose timestamp is 0/0 decodes with
//! `ts_us: None` and the receive loop substitutes its own "now". Wire facts follow the HEP3
//! specification rev. 37 (see `docs/hep-and-live-stream.md` §1).
//!
//! - [`decode`]: one UDP datagram (or one framed TCP packet) -> [`HepPacket`]; [`unpack`] the same
//!   in two steps, the payload inflated only when asked.
//! - [`encode`]: [`HepPacket`] -> HEP3 bytes, for tests, the demo generator and `send-hep`.
//! - [`HepFramer`]: splits a TCP byte stream into whole HEP3 packets.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod chunk;
mod decode;
mod encode;
mod legacy;
mod tcp_framing;

use std::net::SocketAddr;

pub use decode::{decode, unpack, DecodeError, Unpacked, MAX_INFLATED_PAYLOAD};
pub use encode::{encode, EncodeError};
pub use tcp_framing::{FramingError, HepFramer, DEFAULT_MAX_PACKET};

/// Which HEP wire format a packet arrived in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HepVersion {
    /// Legacy fixed header without timestamp or capture id (UDP only).
    V1,
    /// Legacy fixed header plus a 12-byte time header (UDP only).
    V2,
    /// Chunked HEP3 / EEP.
    V3,
}

/// The captured protocol (HEP3 chunk 0x0b). Treated as an opaque id; only a few are named.
///
/// Build it with [`ProtoType::from_u8`] so a known id never ends up in `Other`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProtoType {
    /// 1: SIP text.
    Sip,
    /// 5: an RTCP report as JSON.
    Rtcp,
    /// 32: a QoS report as JSON.
    QosReport,
    /// 34: "MOS full report" (rtpagent).
    MosFullReport,
    /// 35: "MOS short report" (VQ-RTCPXR).
    MosShortReport,
    /// 53: DNS as JSON.
    Dns,
    /// 100: a log line correlated through the correlation id.
    Log,
    /// Any other id, kept as is.
    Other(u8),
}

impl ProtoType {
    /// Maps the wire id to a variant; unnamed ids become `Other`.
    pub fn from_u8(id: u8) -> Self {
        match id {
            1 => ProtoType::Sip,
            5 => ProtoType::Rtcp,
            32 => ProtoType::QosReport,
            34 => ProtoType::MosFullReport,
            35 => ProtoType::MosShortReport,
            53 => ProtoType::Dns,
            100 => ProtoType::Log,
            other => ProtoType::Other(other),
        }
    }

    /// The wire id.
    pub fn to_u8(self) -> u8 {
        match self {
            ProtoType::Sip => 1,
            ProtoType::Rtcp => 5,
            ProtoType::QosReport => 32,
            ProtoType::MosFullReport => 34,
            ProtoType::MosShortReport => 35,
            ProtoType::Dns => 53,
            ProtoType::Log => 100,
            ProtoType::Other(id) => id,
        }
    }
}

/// IP protocol number of UDP (HEP3 chunk 0x02).
pub const IP_PROTO_UDP: u8 = 17;
/// IP protocol number of TCP (HEP3 chunk 0x02).
pub const IP_PROTO_TCP: u8 = 6;

/// Rarely used generic chunks (vendor 0, types 0x0d and 0x14..0x29). All optional.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HepExtras {
    /// 0x0d: keep-alive timer, seconds.
    pub keep_alive_s: Option<u16>,
    /// 0x14: source MAC address in the low 48 bits.
    pub src_mac: Option<u64>,
    /// 0x15: destination MAC address in the low 48 bits.
    pub dst_mac: Option<u64>,
    /// 0x16: Ethernet type.
    pub eth_type: Option<u16>,
    /// 0x17: TCP flags.
    pub tcp_flags: Option<u8>,
    /// 0x18: IP TOS byte.
    pub ip_tos: Option<u8>,
    /// 0x20: MOS × 100 (430 means 4.30).
    pub mos_x100: Option<u16>,
    /// 0x21: R-factor.
    pub r_factor: Option<u16>,
    /// 0x22: GEO location, as sent.
    pub geo_location: Option<String>,
    /// 0x23: jitter.
    pub jitter: Option<u32>,
    /// 0x24: transaction type ("call", "registration").
    pub transaction_type: Option<String>,
    /// 0x25: payload JSON keys.
    pub payload_json_keys: Option<String>,
    /// 0x26: tags' values.
    pub tags_values: Option<String>,
    /// 0x27: type of tag.
    pub tag_type: Option<u16>,
    /// 0x28: event type (1 recording, 2 recording LI).
    pub event_type: Option<u16>,
    /// 0x29: group id.
    pub group_id: Option<String>,
}

/// One decoded HEP packet.
///
/// Text chunks (auth key, correlation id, node name, ...) are converted lossily to UTF-8 and an
/// empty one reads as `None`; the payload keeps its raw bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HepPacket {
    /// The wire format it arrived in. [`encode`] always writes HEP3.
    pub version: HepVersion,
    /// IP protocol of the captured packet: [`IP_PROTO_UDP`], [`IP_PROTO_TCP`], 132 SCTP, ...
    pub ip_proto: u8,
    /// Source address and port of the captured packet. Same family as `dst`.
    pub src: SocketAddr,
    /// Destination address and port of the captured packet.
    pub dst: SocketAddr,
    /// Capture time in microseconds since the Unix epoch; `None` when the sender wrote 0/0 or
    /// nothing (the receiver then uses its own clock).
    pub ts_us: Option<i64>,
    /// What the payload holds.
    pub proto_type: ProtoType,
    /// Capture agent id (chunk 0x0c; v2: the 16-bit captid).
    pub capture_id: u32,
    /// Authentication key in plain text (chunk 0x0e).
    pub auth_key: Option<String>,
    /// Correlation id (chunk 0x11): the Call-ID that RTCP, QoS and log packets belong to.
    pub correlation_id: Option<String>,
    /// Capture agent name (chunk 0x13).
    pub node_name: Option<String>,
    /// VLAN id (chunk 0x12).
    pub vlan: Option<u16>,
    /// Less common chunks.
    pub extras: HepExtras,
    /// The captured payload, inflated when it arrived compressed (chunk 0x10).
    pub payload: Vec<u8>,
}

impl HepPacket {
    /// A HEP3 packet over UDP with no timestamp, capture id 0 and no optional chunks.
    pub fn new(src: SocketAddr, dst: SocketAddr, proto_type: ProtoType, payload: Vec<u8>) -> Self {
        HepPacket {
            version: HepVersion::V3,
            ip_proto: IP_PROTO_UDP,
            src,
            dst,
            ts_us: None,
            proto_type,
            capture_id: 0,
            auth_key: None,
            correlation_id: None,
            node_name: None,
            vlan: None,
            extras: HepExtras::default(),
            payload,
        }
    }

    /// The address family as HEP writes it (chunk 0x01): 2 for IPv4, 10 for IPv6, taken from
    /// `src`.
    pub fn ip_family(&self) -> u8 {
        if self.src.is_ipv4() {
            chunk::AF_INET
        } else {
            chunk::AF_INET6
        }
    }
}
