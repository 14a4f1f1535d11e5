//! HEP3 wire constants shared by the decoder and the encoder, so the two cannot drift apart.
//!
//! Chunk ids are the generic (vendor 0) types of the HEP3 specification rev. 37, §1.3 of
//! `docs/hep-and-live-stream.md`.

/// The 4-byte protocol id that opens every HEP3 packet.
pub(crate) const MAGIC: [u8; 4] = *b"HEP3";
/// Packet header: magic (4) + total length (2).
pub(crate) const PACKET_HEADER_LEN: usize = 6;
/// Chunk header: vendor (2) + type (2) + length (2). The chunk length includes it.
pub(crate) const CHUNK_HEADER_LEN: usize = 6;
/// Vendor id of the generic chunks; other vendors' chunks are skipped.
pub(crate) const VENDOR_GENERIC: u16 = 0;

/// Linux `AF_INET`, as HEP writes the IPv4 family.
pub(crate) const AF_INET: u8 = 2;
/// Linux `AF_INET6`, as HEP writes the IPv6 family.
pub(crate) const AF_INET6: u8 = 10;

pub(crate) const IP_FAMILY: u16 = 0x01;
pub(crate) const IP_PROTO: u16 = 0x02;
pub(crate) const IPV4_SRC: u16 = 0x03;
pub(crate) const IPV4_DST: u16 = 0x04;
pub(crate) const IPV6_SRC: u16 = 0x05;
pub(crate) const IPV6_DST: u16 = 0x06;
pub(crate) const SRC_PORT: u16 = 0x07;
pub(crate) const DST_PORT: u16 = 0x08;
pub(crate) const TS_SECS: u16 = 0x09;
pub(crate) const TS_USECS: u16 = 0x0a;
pub(crate) const PROTO_TYPE: u16 = 0x0b;
pub(crate) const CAPTURE_ID: u16 = 0x0c;
pub(crate) const KEEP_ALIVE: u16 = 0x0d;
pub(crate) const AUTH_KEY: u16 = 0x0e;
pub(crate) const PAYLOAD: u16 = 0x0f;
pub(crate) const COMPRESSED_PAYLOAD: u16 = 0x10;
pub(crate) const CORRELATION_ID: u16 = 0x11;
pub(crate) const VLAN: u16 = 0x12;
pub(crate) const NODE_NAME: u16 = 0x13;
pub(crate) const SRC_MAC: u16 = 0x14;
pub(crate) const DST_MAC: u16 = 0x15;
pub(crate) const ETH_TYPE: u16 = 0x16;
pub(crate) const TCP_FLAGS: u16 = 0x17;
pub(crate) const IP_TOS: u16 = 0x18;
pub(crate) const MOS: u16 = 0x20;
pub(crate) const R_FACTOR: u16 = 0x21;
pub(crate) const GEO_LOCATION: u16 = 0x22;
pub(crate) const JITTER: u16 = 0x23;
pub(crate) const TRANSACTION_TYPE: u16 = 0x24;
pub(crate) const PAYLOAD_JSON_KEYS: u16 = 0x25;
pub(crate) const TAGS_VALUES: u16 = 0x26;
pub(crate) const TAG_TYPE: u16 = 0x27;
pub(crate) const EVENT_TYPE: u16 = 0x28;
pub(crate) const GROUP_ID: u16 = 0x29;
