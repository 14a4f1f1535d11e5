//! HEP bytes -> [`HepPacket`]: the HEP3 chunk walker, chunk 0x10 inflation and the version
//! dispatch (HEP3 vs the legacy v1/v2 headers in `legacy.rs`).
//!
//! Two steps, so a receiver can refuse a packet before paying for it: [`unpack`] walks the chunks
//! and leaves a compressed payload as it is ([`Unpacked`]); [`Unpacked::finish`] inflates it. The
//! receiver checks the auth key between the two, so a sender without the capture password cannot
//! make hepscope inflate anything. [`decode`] does both at once.
//!
//! Policy (see `docs/hep-and-live-stream.md` §1.8): a framing fault (bad magic, a total length or
//! chunk length that does not fit) rejects the packet; a known chunk of the wrong size is
//! ignored; chunks of unknown type or of a vendor other than 0 are skipped. Never panics.

use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use flate2::read::{GzDecoder, ZlibDecoder};
use thiserror::Error;

use super::chunk;
use super::{legacy, HepExtras, HepPacket, HepVersion, ProtoType};

/// The largest payload a compressed chunk (0x10) may inflate to, in bytes: what one uncompressed
/// HEP3 packet can carry at most (its length field is 16 bits). Guards against decompression
/// bombs: a 1 KiB chunk can otherwise expand to a megabyte, and a 64 KiB one to gigabytes.
pub const MAX_INFLATED_PAYLOAD: usize = 64 * 1024;

/// Why a HEP packet was rejected. [`DecodeError::reason`] gives a short label for metrics.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// Neither `HEP3` nor a v1/v2 version byte; `found` holds up to the first 4 bytes.
    #[error("bad magic {found:02x?}: not \"HEP3\" and not a HEP v1/v2 header")]
    BadMagic {
        /// The first bytes of the packet (at most 4).
        found: Vec<u8>,
    },
    /// The packet is shorter than its header or its declared length.
    #[error("packet is {available} bytes but needs {needed}: truncated")]
    Truncated {
        /// Bytes the header says must be there.
        needed: usize,
        /// Bytes actually present.
        available: usize,
    },
    /// The HEP3 total length is below the 6-byte packet header.
    #[error("HEP3 total length {declared} is below the 6-byte packet header")]
    BadLength {
        /// The total length field as sent.
        declared: u16,
    },
    /// A chunk's length is under 6 or runs past the end of the packet.
    #[error("chunk at byte {offset} declares length {length}: under 6 or past the packet end")]
    BadChunkLength {
        /// Offset of the chunk header from the start of the packet.
        offset: usize,
        /// The chunk length field as sent.
        length: u16,
    },
    /// Fewer than 6 bytes remain where a chunk header should start.
    #[error("chunk header at byte {offset} is cut short ({remaining} bytes left)")]
    TruncatedChunk {
        /// Offset of the partial chunk header.
        offset: usize,
        /// Bytes left in the packet.
        remaining: usize,
    },
    /// The compressed payload inflates beyond [`MAX_INFLATED_PAYLOAD`].
    #[error("compressed payload inflates to more than {limit} bytes")]
    Oversized {
        /// The cap that was hit, in bytes.
        limit: usize,
    },
    /// Chunk 0x10 is neither a zlib nor a gzip stream.
    #[error("compressed payload is neither zlib nor gzip: {detail}")]
    BadCompressedPayload {
        /// The zlib decoder's complaint.
        detail: String,
    },
    /// No payload chunk (0x0f or 0x10), or an empty v1/v2 payload: typically a keep-alive.
    #[error("packet carries no payload (a keep-alive?)")]
    MissingPayload,
    /// No source and destination IP address of one family.
    #[error("packet lacks a source or destination IP address of one family")]
    MissingAddresses,
    /// A v1/v2 header length that does not match its address family (16 IPv4, 40 IPv6).
    #[error("HEP v{version} header length {length} does not match family {family}")]
    BadHeaderLength {
        /// 1 or 2.
        version: u8,
        /// The header length byte as sent.
        length: u8,
        /// The family byte as sent.
        family: u8,
    },
    /// A v1/v2 address family other than 2 (IPv4) or 10 (IPv6).
    #[error("HEP v{version} address family {family} is neither 2 (IPv4) nor 10 (IPv6)")]
    BadFamily {
        /// 1 or 2.
        version: u8,
        /// The family byte as sent.
        family: u8,
    },
}

impl DecodeError {
    /// A short, stable label for metrics (`hep_rejected_total{reason="truncated"}`).
    pub fn reason(&self) -> &'static str {
        match self {
            DecodeError::BadMagic { .. } => "bad_magic",
            DecodeError::Truncated { .. } => "truncated",
            DecodeError::BadLength { .. } => "bad_length",
            DecodeError::BadChunkLength { .. } | DecodeError::TruncatedChunk { .. } => {
                "bad_chunk_length"
            }
            DecodeError::Oversized { .. } => "oversized",
            DecodeError::BadCompressedPayload { .. } => "bad_compressed_payload",
            DecodeError::MissingPayload => "missing_payload",
            DecodeError::MissingAddresses => "missing_addresses",
            DecodeError::BadHeaderLength { .. } => "bad_header_length",
            DecodeError::BadFamily { .. } => "bad_family",
        }
    }
}

/// Decodes one HEP packet: HEP3, or HEP v1/v2 when the first byte is 1 or 2.
///
/// Bytes after the HEP3 total length are ignored (a datagram may be longer than its packet).
///
/// # Errors
///
/// Any [`DecodeError`]; see the variants. Never panics, whatever the input.
pub fn decode(bytes: &[u8]) -> Result<HepPacket, DecodeError> {
    unpack(bytes)?.finish()
}

/// A packet whose chunks are read but whose payload is not inflated yet (see the module doc).
#[derive(Debug)]
pub struct Unpacked<'a> {
    /// Every field but the payload (empty here).
    packet: HepPacket,
    payload: PayloadBytes<'a>,
}

/// The payload as it arrived.
#[derive(Debug)]
enum PayloadBytes<'a> {
    Plain(&'a [u8]),
    /// Chunk 0x10: zlib or gzip, inflated by [`Unpacked::finish`].
    Compressed(&'a [u8]),
}

impl<'a> Unpacked<'a> {
    /// A packet with a payload that needs no inflating (HEP v1/v2).
    pub(super) fn plain(packet: HepPacket, payload: &'a [u8]) -> Self {
        Unpacked {
            packet,
            payload: PayloadBytes::Plain(payload),
        }
    }

    /// The auth key (chunk 0x0e), when sent.
    pub fn auth_key(&self) -> Option<&str> {
        self.packet.auth_key.as_deref()
    }

    /// The packet, its compressed payload inflated (at most [`MAX_INFLATED_PAYLOAD`] bytes).
    ///
    /// # Errors
    /// [`DecodeError::Oversized`] past the cap, [`DecodeError::BadCompressedPayload`] for a
    /// stream that is neither zlib nor gzip.
    pub fn finish(self) -> Result<HepPacket, DecodeError> {
        let mut packet = self.packet;
        packet.payload = match self.payload {
            PayloadBytes::Plain(bytes) => bytes.to_vec(),
            PayloadBytes::Compressed(bytes) => inflate(bytes)?,
        };
        Ok(packet)
    }
}

/// Reads a packet's header and chunks without inflating its payload: HEP3, or HEP v1/v2 when
/// the first byte is 1 or 2.
///
/// # Errors
/// Any [`DecodeError`] but the two of inflating. Never panics, whatever the input.
pub fn unpack(bytes: &[u8]) -> Result<Unpacked<'_>, DecodeError> {
    match bytes {
        [b'H', b'E', b'P', b'3', ..] => decode_v3(bytes),
        [1 | 2, ..] => legacy::decode_legacy(bytes),
        _ if chunk::MAGIC.starts_with(bytes) => Err(DecodeError::Truncated {
            needed: chunk::PACKET_HEADER_LEN,
            available: bytes.len(),
        }),
        _ => Err(DecodeError::BadMagic {
            found: bytes.iter().take(4).copied().collect(),
        }),
    }
}

fn decode_v3(bytes: &[u8]) -> Result<Unpacked<'_>, DecodeError> {
    let [_, _, _, _, len_hi, len_lo, ..] = *bytes else {
        return Err(DecodeError::Truncated {
            needed: chunk::PACKET_HEADER_LEN,
            available: bytes.len(),
        });
    };
    let declared = u16::from_be_bytes([len_hi, len_lo]);
    let total = usize::from(declared);
    if total < chunk::PACKET_HEADER_LEN {
        return Err(DecodeError::BadLength { declared });
    }
    let body = bytes
        .get(chunk::PACKET_HEADER_LEN..total)
        .ok_or(DecodeError::Truncated {
            needed: total,
            available: bytes.len(),
        })?;

    let mut fields = Fields::default();
    let mut rest = body;
    let mut offset = chunk::PACKET_HEADER_LEN;
    while !rest.is_empty() {
        let [v_hi, v_lo, t_hi, t_lo, l_hi, l_lo, ..] = *rest else {
            return Err(DecodeError::TruncatedChunk {
                offset,
                remaining: rest.len(),
            });
        };
        let length = u16::from_be_bytes([l_hi, l_lo]);
        let len = usize::from(length);
        let bad_length = DecodeError::BadChunkLength { offset, length };
        if len < chunk::CHUNK_HEADER_LEN {
            return Err(bad_length);
        }
        let value = rest
            .get(chunk::CHUNK_HEADER_LEN..len)
            .ok_or_else(|| bad_length.clone())?;
        if u16::from_be_bytes([v_hi, v_lo]) == chunk::VENDOR_GENERIC {
            fields.apply(u16::from_be_bytes([t_hi, t_lo]), value);
        }
        rest = rest.get(len..).ok_or(bad_length)?;
        offset += len;
    }
    fields.into_packet()
}

/// Chunk values seen so far; a later chunk of the same type replaces an earlier one.
#[derive(Default)]
struct Fields<'a> {
    family: Option<u8>,
    ip_proto: Option<u8>,
    ipv4_src: Option<Ipv4Addr>,
    ipv4_dst: Option<Ipv4Addr>,
    ipv6_src: Option<Ipv6Addr>,
    ipv6_dst: Option<Ipv6Addr>,
    src_port: Option<u16>,
    dst_port: Option<u16>,
    secs: Option<u32>,
    usecs: Option<u32>,
    proto_type: Option<u8>,
    capture_id: Option<u32>,
    auth_key: Option<String>,
    payload: Option<&'a [u8]>,
    compressed: Option<&'a [u8]>,
    correlation_id: Option<String>,
    vlan: Option<u16>,
    node_name: Option<String>,
    extras: HepExtras,
}

impl<'a> Fields<'a> {
    /// Records one generic chunk. A wrong-sized value leaves the field as it was.
    fn apply(&mut self, chunk_type: u16, value: &'a [u8]) {
        let x = &mut self.extras;
        match chunk_type {
            chunk::IP_FAMILY => set(&mut self.family, be_u8(value)),
            chunk::IP_PROTO => set(&mut self.ip_proto, be_u8(value)),
            chunk::IPV4_SRC => set(&mut self.ipv4_src, ipv4(value)),
            chunk::IPV4_DST => set(&mut self.ipv4_dst, ipv4(value)),
            chunk::IPV6_SRC => set(&mut self.ipv6_src, ipv6(value)),
            chunk::IPV6_DST => set(&mut self.ipv6_dst, ipv6(value)),
            chunk::SRC_PORT => set(&mut self.src_port, be_u16(value)),
            chunk::DST_PORT => set(&mut self.dst_port, be_u16(value)),
            chunk::TS_SECS => set(&mut self.secs, be_u32(value)),
            chunk::TS_USECS => set(&mut self.usecs, be_u32(value)),
            chunk::PROTO_TYPE => set(&mut self.proto_type, be_u8(value)),
            chunk::CAPTURE_ID => set(&mut self.capture_id, be_u32(value)),
            chunk::KEEP_ALIVE => set(&mut x.keep_alive_s, be_u16(value)),
            chunk::AUTH_KEY => self.auth_key = text(value),
            chunk::PAYLOAD => self.payload = Some(value),
            chunk::COMPRESSED_PAYLOAD => self.compressed = Some(value),
            chunk::CORRELATION_ID => self.correlation_id = text(value),
            chunk::VLAN => set(&mut self.vlan, be_u16(value)),
            chunk::NODE_NAME => self.node_name = text(value),
            chunk::SRC_MAC => set(&mut x.src_mac, be_u64(value)),
            chunk::DST_MAC => set(&mut x.dst_mac, be_u64(value)),
            chunk::ETH_TYPE => set(&mut x.eth_type, be_u16(value)),
            chunk::TCP_FLAGS => set(&mut x.tcp_flags, be_u8(value)),
            chunk::IP_TOS => set(&mut x.ip_tos, be_u8(value)),
            chunk::MOS => set(&mut x.mos_x100, be_u16(value)),
            chunk::R_FACTOR => set(&mut x.r_factor, be_u16(value)),
            chunk::GEO_LOCATION => x.geo_location = text(value),
            chunk::JITTER => set(&mut x.jitter, be_u32(value)),
            chunk::TRANSACTION_TYPE => x.transaction_type = text(value),
            chunk::PAYLOAD_JSON_KEYS => x.payload_json_keys = text(value),
            chunk::TAGS_VALUES => x.tags_values = text(value),
            chunk::TAG_TYPE => set(&mut x.tag_type, be_u16(value)),
            chunk::EVENT_TYPE => set(&mut x.event_type, be_u16(value)),
            chunk::GROUP_ID => x.group_id = text(value),
            _ => {}
        }
    }

    fn into_packet(self) -> Result<Unpacked<'a>, DecodeError> {
        // The plain payload wins when a sender includes both forms.
        let payload = match (self.payload, self.compressed) {
            (Some(plain), _) => PayloadBytes::Plain(plain),
            (None, Some(compressed)) => PayloadBytes::Compressed(compressed),
            (None, None) => return Err(DecodeError::MissingPayload),
        };
        let v4 = self
            .ipv4_src
            .zip(self.ipv4_dst)
            .map(|(s, d)| (IpAddr::V4(s), IpAddr::V4(d)));
        let v6 = self
            .ipv6_src
            .zip(self.ipv6_dst)
            .map(|(s, d)| (IpAddr::V6(s), IpAddr::V6(d)));
        let (src_ip, dst_ip) = match self.family {
            Some(chunk::AF_INET6) => v6.or(v4),
            _ => v4.or(v6),
        }
        .ok_or(DecodeError::MissingAddresses)?;
        let packet = HepPacket {
            version: HepVersion::V3,
            ip_proto: self.ip_proto.unwrap_or(0),
            src: SocketAddr::new(src_ip, self.src_port.unwrap_or(0)),
            dst: SocketAddr::new(dst_ip, self.dst_port.unwrap_or(0)),
            ts_us: timestamp_us(self.secs.unwrap_or(0), self.usecs.unwrap_or(0)),
            proto_type: ProtoType::from_u8(self.proto_type.unwrap_or(0)),
            capture_id: self.capture_id.unwrap_or(0),
            auth_key: self.auth_key,
            correlation_id: self.correlation_id,
            node_name: self.node_name,
            vlan: self.vlan,
            extras: self.extras,
            payload: Vec::new(),
        };
        Ok(Unpacked { packet, payload })
    }
}

/// Seconds plus microseconds since the epoch; 0/0 means "not stamped" (heplify-server and
/// homer-core substitute the receive time in that case).
pub(super) fn timestamp_us(secs: u32, usecs: u32) -> Option<i64> {
    if secs == 0 && usecs == 0 {
        None
    } else {
        Some(i64::from(secs) * 1_000_000 + i64::from(usecs))
    }
}

fn set<T>(field: &mut Option<T>, value: Option<T>) {
    if value.is_some() {
        *field = value;
    }
}

fn be_u8(value: &[u8]) -> Option<u8> {
    match *value {
        [b] => Some(b),
        _ => None,
    }
}

fn be_u16(value: &[u8]) -> Option<u16> {
    Some(u16::from_be_bytes(value.try_into().ok()?))
}

fn be_u32(value: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(value.try_into().ok()?))
}

fn be_u64(value: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(value.try_into().ok()?))
}

fn ipv4(value: &[u8]) -> Option<Ipv4Addr> {
    Some(Ipv4Addr::from(<[u8; 4]>::try_from(value).ok()?))
}

fn ipv6(value: &[u8]) -> Option<Ipv6Addr> {
    Some(Ipv6Addr::from(<[u8; 16]>::try_from(value).ok()?))
}

/// An octet-string chunk as text; empty reads as absent.
fn text(value: &[u8]) -> Option<String> {
    (!value.is_empty()).then(|| String::from_utf8_lossy(value).into_owned())
}

enum InflateError {
    TooLarge,
    Corrupt(String),
}

/// Inflates chunk 0x10: zlib first (what senders use), then gzip.
fn inflate(data: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let too_large = DecodeError::Oversized {
        limit: MAX_INFLATED_PAYLOAD,
    };
    match read_capped(ZlibDecoder::new(data)) {
        Ok(out) => Ok(out),
        Err(InflateError::TooLarge) => Err(too_large),
        Err(InflateError::Corrupt(zlib_detail)) => match read_capped(GzDecoder::new(data)) {
            Ok(out) => Ok(out),
            Err(InflateError::TooLarge) => Err(too_large),
            Err(InflateError::Corrupt(_)) => Err(DecodeError::BadCompressedPayload {
                detail: zlib_detail,
            }),
        },
    }
}

fn read_capped(reader: impl Read) -> Result<Vec<u8>, InflateError> {
    let mut out = Vec::new();
    // One byte over the cap tells "exactly at the cap" from "beyond it".
    let cap = u64::try_from(MAX_INFLATED_PAYLOAD).unwrap_or(u64::MAX);
    reader
        .take(cap.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| InflateError::Corrupt(e.to_string()))?;
    if out.len() > MAX_INFLATED_PAYLOAD {
        return Err(InflateError::TooLarge);
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests;
