//! [`HepPacket`] -> HEP3 bytes. Used by tests, the demo traffic generator and `send-hep`.
//!
//! Chunk order follows the specification's worked example (family, protocol, addresses,
//! ports, time, protocol type, capture id), then the optional chunks, then the payload.
//! Timestamps are always written (0/0 when absent) because Kamailio wants the core chunks.

use std::io::Write;
use std::net::IpAddr;

use flate2::write::ZlibEncoder;
use flate2::Compression;
use thiserror::Error;

use super::chunk;
use super::HepPacket;

/// Why a packet cannot be written as HEP3.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The packet would exceed the 65,535 bytes its 16-bit total length can describe.
    #[error("HEP3 packet would be {len} bytes; the total length field allows 65535 (shorten the payload or compress it)")]
    TooLarge {
        /// The size the packet would have had, in bytes.
        len: usize,
    },
    /// `src` and `dst` are of different address families.
    #[error("source {src} and destination {dst} are of different address families")]
    MixedFamilies {
        /// The source address.
        src: IpAddr,
        /// The destination address.
        dst: IpAddr,
    },
    /// A timestamp before 1970 or after 2106 (HEP3 seconds are an unsigned 32-bit count).
    #[error("timestamp {ts_us} µs does not fit HEP3's unsigned 32-bit seconds")]
    TimestampOutOfRange {
        /// The rejected timestamp, microseconds since the epoch.
        ts_us: i64,
    },
    /// zlib failed while compressing (in memory, so not expected in practice).
    #[error("compressing the payload: {0}")]
    Compress(#[from] std::io::Error),
}

/// Encodes `packet` as HEP3, whatever its `version`. With `compress`, the payload goes into a
/// zlib-compressed chunk 0x10 instead of chunk 0x0f.
///
/// Empty optional strings are left out, so they decode as `None`.
///
/// # Errors
///
/// [`EncodeError::TooLarge`] when the result would not fit the 16-bit length,
/// [`EncodeError::MixedFamilies`] when `src` and `dst` differ in family, and
/// [`EncodeError::TimestampOutOfRange`] for a negative or post-2106 `ts_us`.
pub fn encode(packet: &HepPacket, compress: bool) -> Result<Vec<u8>, EncodeError> {
    let (secs, usecs) = split_timestamp(packet.ts_us)?;
    let mut out = Vec::with_capacity(128 + packet.payload.len());
    out.extend_from_slice(&chunk::MAGIC);
    out.extend_from_slice(&[0, 0]); // total length, patched below

    put(&mut out, chunk::IP_FAMILY, &[packet.ip_family()]);
    put(&mut out, chunk::IP_PROTO, &[packet.ip_proto]);
    match (packet.src.ip(), packet.dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            put(&mut out, chunk::IPV4_SRC, &s.octets());
            put(&mut out, chunk::IPV4_DST, &d.octets());
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            put(&mut out, chunk::IPV6_SRC, &s.octets());
            put(&mut out, chunk::IPV6_DST, &d.octets());
        }
        (src, dst) => return Err(EncodeError::MixedFamilies { src, dst }),
    }
    put(&mut out, chunk::SRC_PORT, &packet.src.port().to_be_bytes());
    put(&mut out, chunk::DST_PORT, &packet.dst.port().to_be_bytes());
    put(&mut out, chunk::TS_SECS, &secs.to_be_bytes());
    put(&mut out, chunk::TS_USECS, &usecs.to_be_bytes());
    put(&mut out, chunk::PROTO_TYPE, &[packet.proto_type.to_u8()]);
    put(
        &mut out,
        chunk::CAPTURE_ID,
        &packet.capture_id.to_be_bytes(),
    );

    let x = &packet.extras;
    put_opt(
        &mut out,
        chunk::KEEP_ALIVE,
        x.keep_alive_s.map(u16::to_be_bytes),
    );
    put_text(&mut out, chunk::AUTH_KEY, packet.auth_key.as_deref());
    put_text(
        &mut out,
        chunk::CORRELATION_ID,
        packet.correlation_id.as_deref(),
    );
    put_opt(&mut out, chunk::VLAN, packet.vlan.map(u16::to_be_bytes));
    put_text(&mut out, chunk::NODE_NAME, packet.node_name.as_deref());
    put_opt(&mut out, chunk::SRC_MAC, x.src_mac.map(u64::to_be_bytes));
    put_opt(&mut out, chunk::DST_MAC, x.dst_mac.map(u64::to_be_bytes));
    put_opt(&mut out, chunk::ETH_TYPE, x.eth_type.map(u16::to_be_bytes));
    put_opt(&mut out, chunk::TCP_FLAGS, x.tcp_flags.map(|f| [f]));
    put_opt(&mut out, chunk::IP_TOS, x.ip_tos.map(|t| [t]));
    put_opt(&mut out, chunk::MOS, x.mos_x100.map(u16::to_be_bytes));
    put_opt(&mut out, chunk::R_FACTOR, x.r_factor.map(u16::to_be_bytes));
    put_text(&mut out, chunk::GEO_LOCATION, x.geo_location.as_deref());
    put_opt(&mut out, chunk::JITTER, x.jitter.map(u32::to_be_bytes));
    put_text(
        &mut out,
        chunk::TRANSACTION_TYPE,
        x.transaction_type.as_deref(),
    );
    put_text(
        &mut out,
        chunk::PAYLOAD_JSON_KEYS,
        x.payload_json_keys.as_deref(),
    );
    put_text(&mut out, chunk::TAGS_VALUES, x.tags_values.as_deref());
    put_opt(&mut out, chunk::TAG_TYPE, x.tag_type.map(u16::to_be_bytes));
    put_opt(
        &mut out,
        chunk::EVENT_TYPE,
        x.event_type.map(u16::to_be_bytes),
    );
    put_text(&mut out, chunk::GROUP_ID, x.group_id.as_deref());

    if compress {
        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(&packet.payload)?;
        let compressed = encoder.finish()?;
        put(&mut out, chunk::COMPRESSED_PAYLOAD, &compressed);
    } else {
        put(&mut out, chunk::PAYLOAD, &packet.payload);
    }

    let total = u16::try_from(out.len()).map_err(|_| EncodeError::TooLarge { len: out.len() })?;
    if let Some(len_field) = out.get_mut(4..6) {
        len_field.copy_from_slice(&total.to_be_bytes());
    }
    Ok(out)
}

fn split_timestamp(ts_us: Option<i64>) -> Result<(u32, u32), EncodeError> {
    let Some(ts_us) = ts_us else {
        return Ok((0, 0));
    };
    let out_of_range = EncodeError::TimestampOutOfRange { ts_us };
    let secs = u32::try_from(ts_us.div_euclid(1_000_000)).map_err(|_| out_of_range)?;
    // rem_euclid of a positive modulus is in 0..1_000_000, so it always fits.
    let usecs = u32::try_from(ts_us.rem_euclid(1_000_000)).unwrap_or(0);
    Ok((secs, usecs))
}

/// Appends one vendor-0 chunk. A body too long for the 16-bit chunk length is caught later by
/// the total-length check, since it would push the packet over 65,535 bytes too; its length
/// field is then never read.
fn put(out: &mut Vec<u8>, chunk_type: u16, body: &[u8]) {
    let len = u16::try_from(chunk::CHUNK_HEADER_LEN + body.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&chunk::VENDOR_GENERIC.to_be_bytes());
    out.extend_from_slice(&chunk_type.to_be_bytes());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(body);
}

fn put_opt<const N: usize>(out: &mut Vec<u8>, chunk_type: u16, body: Option<[u8; N]>) {
    if let Some(body) = body {
        put(out, chunk_type, &body);
    }
}

fn put_text(out: &mut Vec<u8>, chunk_type: u16, text: Option<&str>) {
    if let Some(text) = text.filter(|t| !t.is_empty()) {
        put(out, chunk_type, text.as_bytes());
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::hep::{decode, HepExtras, HepVersion, ProtoType, IP_PROTO_TCP};

    const INVITE: &[u8] = b"INVITE sip:bob@example.com SIP/2.0\r\nCall-ID: abc@h\r\n\r\n";

    fn v4_packet() -> HepPacket {
        let mut p = HepPacket::new(
            "10.0.0.1:5060".parse().unwrap(),
            "10.0.0.2:5080".parse().unwrap(),
            ProtoType::Sip,
            INVITE.to_vec(),
        );
        p.ts_us = Some(1_700_000_000_654_321);
        p.capture_id = 2001;
        p
    }

    fn full_v6_packet() -> HepPacket {
        let mut p = HepPacket::new(
            "[2001:db8::1]:5060".parse().unwrap(),
            "[2001:db8::2]:5061".parse().unwrap(),
            ProtoType::Rtcp,
            br#"{"type":200,"ssrc":1}"#.to_vec(),
        );
        p.ip_proto = IP_PROTO_TCP;
        p.ts_us = Some(1);
        p.capture_id = u32::MAX;
        p.auth_key = Some("myHep".into());
        p.correlation_id = Some("abc@h".into());
        p.node_name = Some("node1".into());
        p.vlan = Some(42);
        p.extras = HepExtras {
            keep_alive_s: Some(30),
            src_mac: Some(0x0000_0242_ac11_0002),
            dst_mac: Some(0x0000_0242_ac11_0003),
            eth_type: Some(0x86dd),
            tcp_flags: Some(0x18),
            ip_tos: Some(0xb8),
            mos_x100: Some(430),
            r_factor: Some(93),
            geo_location: Some("52.5,13.4".into()),
            jitter: Some(12),
            transaction_type: Some("call".into()),
            payload_json_keys: Some("ssrc".into()),
            tags_values: Some("a=b".into()),
            tag_type: Some(1),
            event_type: Some(1),
            group_id: Some("g1".into()),
        };
        p
    }

    /// The chunk types of an encoded packet, in order.
    fn chunk_types(bytes: &[u8]) -> Vec<u16> {
        let mut types = Vec::new();
        let mut at = 6;
        while at < bytes.len() {
            types.push(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
            at += usize::from(u16::from_be_bytes([bytes[at + 4], bytes[at + 5]]));
        }
        types
    }

    #[test]
    fn encode_writes_core_chunks_in_spec_order_and_payload_last() {
        let types = chunk_types(&encode(&v4_packet(), false).unwrap());
        assert_eq!(types, vec![1, 2, 3, 4, 7, 8, 9, 10, 11, 12, 15]);
    }

    #[test]
    fn round_trip_ipv4_minimal() {
        let p = v4_packet();
        assert_eq!(decode(&encode(&p, false).unwrap()).unwrap(), p);
    }

    #[test]
    fn round_trip_ipv4_compressed() {
        let p = v4_packet();
        let bytes = encode(&p, true).unwrap();
        let types = chunk_types(&bytes);
        assert!(types.contains(&0x10) && !types.contains(&0x0f), "{types:?}");
        assert_eq!(decode(&bytes).unwrap(), p);
    }

    #[test]
    fn round_trip_ipv6_with_every_optional_chunk() {
        let p = full_v6_packet();
        assert_eq!(decode(&encode(&p, false).unwrap()).unwrap(), p);
        assert_eq!(decode(&encode(&p, true).unwrap()).unwrap(), p);
    }

    #[test]
    fn round_trip_without_timestamp_keeps_none() {
        let mut p = v4_packet();
        p.ts_us = None;
        assert_eq!(decode(&encode(&p, false).unwrap()).unwrap().ts_us, None);
    }

    #[test]
    fn encode_writes_v3_for_a_legacy_packet() {
        let mut p = v4_packet();
        p.version = HepVersion::V2;
        let decoded = decode(&encode(&p, false).unwrap()).unwrap();
        assert_eq!(decoded.version, HepVersion::V3);
    }

    #[test]
    fn encode_total_length_matches_buffer() {
        let bytes = encode(&v4_packet(), false).unwrap();
        assert_eq!(&bytes[..4], b"HEP3");
        assert_eq!(
            usize::from(u16::from_be_bytes([bytes[4], bytes[5]])),
            bytes.len()
        );
    }

    #[test]
    fn encode_rejects_payload_over_the_length_field() {
        let mut p = v4_packet();
        // Over what the 16-bit length allows with the headers, under the 64 KiB inflate cap.
        p.payload = vec![b'a'; 65_500];
        assert!(matches!(
            encode(&p, false),
            Err(EncodeError::TooLarge { .. })
        ));
        // Compressible enough to fit once compressed.
        assert_eq!(decode(&encode(&p, true).unwrap()).unwrap(), p);
    }

    #[test]
    fn encode_rejects_mixed_families() {
        let mut p = v4_packet();
        p.dst = "[::1]:5060".parse().unwrap();
        assert!(matches!(
            encode(&p, false),
            Err(EncodeError::MixedFamilies { .. })
        ));
    }

    #[test]
    fn encode_rejects_timestamp_before_epoch() {
        let mut p = v4_packet();
        p.ts_us = Some(-1);
        assert!(matches!(
            encode(&p, false),
            Err(EncodeError::TimestampOutOfRange { .. })
        ));
    }
}
