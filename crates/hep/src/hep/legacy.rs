//! HEP v1 and v2: the legacy fixed-header formats (UDP only, SIP payload only).
//!
//! Layout as in Kamailio `sipcapture/hep.h` (`docs/hep-and-live-stream.md` §1.7): version, header
//! length (16 for IPv4, 40 for IPv6), family, IP protocol, source and destination ports
//! (big-endian), both addresses; v2 then adds a 12-byte time header whose seconds,
//! microseconds and 16-bit capture id senders write in host order (little-endian on x86), plus
//! 2 padding bytes. Decode only: hepscope never sends these.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::chunk::{AF_INET, AF_INET6};
use super::decode::{timestamp_us, DecodeError, Unpacked};
use super::{HepExtras, HepPacket, HepVersion, ProtoType};

/// Fixed part before the addresses: version, header length, family, protocol, two ports.
const FIXED_LEN: usize = 8;
/// v2 time header: tv_sec (4), tv_usec (4), captid (2), padding (2).
const TIME_HEADER_LEN: usize = 12;

/// Decodes a packet whose first byte is 1 or 2.
pub(super) fn decode_legacy(bytes: &[u8]) -> Result<Unpacked<'_>, DecodeError> {
    let [version, header_len, family, ip_proto, sp_hi, sp_lo, dp_hi, dp_lo, rest @ ..] = bytes
    else {
        return Err(DecodeError::Truncated {
            needed: FIXED_LEN,
            available: bytes.len(),
        });
    };
    let (version, family) = (*version, *family);
    let addr_len = match family {
        AF_INET => 4,
        AF_INET6 => 16,
        _ => return Err(DecodeError::BadFamily { version, family }),
    };
    let expected_header = FIXED_LEN + 2 * addr_len;
    if usize::from(*header_len) != expected_header {
        return Err(DecodeError::BadHeaderLength {
            version,
            length: *header_len,
            family,
        });
    }
    let truncated = |needed| DecodeError::Truncated {
        needed,
        available: bytes.len(),
    };
    let (src_ip, dst_ip) = addresses(rest, addr_len).ok_or(truncated(expected_header))?;
    let rest = rest.get(2 * addr_len..).ok_or(truncated(expected_header))?;

    let (ts_us, capture_id, payload) = if version == 2 {
        let [s0, s1, s2, s3, u0, u1, u2, u3, c0, c1, _, _, payload @ ..] = rest else {
            return Err(truncated(expected_header + TIME_HEADER_LEN));
        };
        let secs = u32::from_le_bytes([*s0, *s1, *s2, *s3]);
        let usecs = u32::from_le_bytes([*u0, *u1, *u2, *u3]);
        let capture_id = u32::from(u16::from_le_bytes([*c0, *c1]));
        (timestamp_us(secs, usecs), capture_id, payload)
    } else {
        (None, 0, rest)
    };
    if payload.is_empty() {
        return Err(DecodeError::MissingPayload);
    }
    let packet = HepPacket {
        version: if version == 2 {
            HepVersion::V2
        } else {
            HepVersion::V1
        },
        ip_proto: *ip_proto,
        src: SocketAddr::new(src_ip, u16::from_be_bytes([*sp_hi, *sp_lo])),
        dst: SocketAddr::new(dst_ip, u16::from_be_bytes([*dp_hi, *dp_lo])),
        ts_us,
        proto_type: ProtoType::Sip,
        capture_id,
        auth_key: None,
        correlation_id: None,
        node_name: None,
        vlan: None,
        extras: HepExtras::default(),
        payload: Vec::new(),
    };
    Ok(Unpacked::plain(packet, payload))
}

/// Source then destination address, each `addr_len` (4 or 16) bytes.
fn addresses(bytes: &[u8], addr_len: usize) -> Option<(IpAddr, IpAddr)> {
    let src = bytes.get(..addr_len)?;
    let dst = bytes.get(addr_len..2 * addr_len)?;
    if addr_len == 4 {
        Some((
            IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(src).ok()?)),
            IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(dst).ok()?)),
        ))
    } else {
        Some((
            IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(src).ok()?)),
            IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(dst).ok()?)),
        ))
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::hep::decode;

    const SIP: &[u8] = b"OPTIONS sip:a@b SIP/2.0\r\n\r\n";

    fn v1_ipv4() -> Vec<u8> {
        let mut b = vec![1, 16, 2, 17, 0x13, 0xc4, 0x13, 0xc5];
        b.extend_from_slice(&[10, 0, 0, 1, 10, 0, 0, 2]);
        b.extend_from_slice(SIP);
        b
    }

    fn v2_ipv6() -> Vec<u8> {
        let mut b = vec![2, 40, 10, 6, 0x13, 0xc4, 0x13, 0xc5];
        b.extend_from_slice(&Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1).octets());
        b.extend_from_slice(&Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2).octets());
        b.extend_from_slice(&1_700_000_000u32.to_le_bytes());
        b.extend_from_slice(&123_456u32.to_le_bytes());
        b.extend_from_slice(&2001u16.to_le_bytes());
        b.extend_from_slice(&[0, 0]);
        b.extend_from_slice(SIP);
        b
    }

    #[test]
    fn v1_ipv4_decodes_without_timestamp() {
        let p = decode(&v1_ipv4()).unwrap();
        assert_eq!(p.version, HepVersion::V1);
        assert_eq!(p.src, "10.0.0.1:5060".parse().unwrap());
        assert_eq!(p.dst, "10.0.0.2:5061".parse().unwrap());
        assert_eq!(p.ip_proto, 17);
        assert_eq!(p.ts_us, None);
        assert_eq!(p.capture_id, 0);
        assert_eq!(p.proto_type, ProtoType::Sip);
        assert_eq!(p.payload, SIP);
    }

    #[test]
    fn v2_ipv6_reads_little_endian_time_and_capture_id() {
        let p = decode(&v2_ipv6()).unwrap();
        assert_eq!(p.version, HepVersion::V2);
        assert_eq!(p.src, "[2001:db8::1]:5060".parse().unwrap());
        assert_eq!(p.dst, "[2001:db8::2]:5061".parse().unwrap());
        assert_eq!(p.ip_proto, 6);
        assert_eq!(p.ts_us, Some(1_700_000_000_123_456));
        assert_eq!(p.capture_id, 2001);
        assert_eq!(p.payload, SIP);
    }

    #[test]
    fn v2_ipv4_with_zero_time_has_no_timestamp() {
        let mut b = vec![2, 16, 2, 17, 0x13, 0xc4, 0x13, 0xc4, 1, 2, 3, 4, 5, 6, 7, 8];
        b.extend_from_slice(&[0; 8]);
        b.extend_from_slice(&7u16.to_le_bytes());
        b.extend_from_slice(&[0, 0]);
        b.extend_from_slice(SIP);
        let p = decode(&b).unwrap();
        assert_eq!(p.ts_us, None);
        assert_eq!(p.capture_id, 7);
    }

    #[test]
    fn legacy_rejects_unknown_family() {
        let mut b = v1_ipv4();
        b[2] = 7;
        assert_eq!(decode(&b).unwrap_err().reason(), "bad_family");
    }

    #[test]
    fn legacy_rejects_header_length_that_disagrees_with_family() {
        let mut b = v1_ipv4();
        b[1] = 40;
        assert_eq!(decode(&b).unwrap_err().reason(), "bad_header_length");
    }

    #[test]
    fn legacy_without_payload_is_missing_payload() {
        assert_eq!(
            decode(&v1_ipv4()[..16]).unwrap_err(),
            DecodeError::MissingPayload
        );
        assert_eq!(
            decode(&v2_ipv6()[..52]).unwrap_err(),
            DecodeError::MissingPayload
        );
    }

    #[test]
    fn legacy_truncated_at_every_length_is_an_error_not_a_panic() {
        let v1 = v1_ipv4();
        for cut in 1..16 {
            assert_eq!(
                decode(&v1[..cut]).unwrap_err().reason(),
                "truncated",
                "{cut}"
            );
        }
        let v2 = v2_ipv6();
        for cut in 1..52 {
            let reason = decode(&v2[..cut]).unwrap_err().reason();
            assert_eq!(reason, "truncated", "cut at {cut}");
        }
    }
}
