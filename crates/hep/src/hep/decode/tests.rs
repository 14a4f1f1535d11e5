//! Decoder tests: hand-built HEP3 byte vectors for every chunk type, malformed packets, and
//! property tests that no input makes the decoder panic.

use std::io::Write;

use flate2::write::{GzEncoder, ZlibEncoder};
use flate2::Compression;
use proptest::prelude::*;

use super::*;
use crate::hep::{encode, HepPacket};

const SIP: &[u8] = b"INVITE sip:bob@example.com SIP/2.0\r\n\r\n";

fn chunk_of(vendor: u16, chunk_type: u16, body: &[u8]) -> Vec<u8> {
    let mut c = Vec::new();
    c.extend_from_slice(&vendor.to_be_bytes());
    c.extend_from_slice(&chunk_type.to_be_bytes());
    c.extend_from_slice(&u16::try_from(6 + body.len()).unwrap().to_be_bytes());
    c.extend_from_slice(body);
    c
}

fn ch(chunk_type: u16, body: &[u8]) -> Vec<u8> {
    chunk_of(0, chunk_type, body)
}

fn packet(chunks: &[Vec<u8>]) -> Vec<u8> {
    let body = chunks.concat();
    let mut p = b"HEP3".to_vec();
    p.extend_from_slice(&u16::try_from(6 + body.len()).unwrap().to_be_bytes());
    p.extend_from_slice(&body);
    p
}

/// Family, protocol, IPv4 addresses and ports: the least a decodable packet needs besides a
/// payload.
fn v4_core() -> Vec<Vec<u8>> {
    vec![
        ch(0x01, &[2]),
        ch(0x02, &[17]),
        ch(0x03, &[192, 168, 0, 1]),
        ch(0x04, &[192, 168, 0, 2]),
        ch(0x07, &5060u16.to_be_bytes()),
        ch(0x08, &5080u16.to_be_bytes()),
    ]
}

fn decode_with(extra: Vec<Vec<u8>>) -> Result<HepPacket, DecodeError> {
    let mut chunks = v4_core();
    chunks.extend(extra);
    chunks.push(ch(0x0f, SIP));
    decode(&packet(&chunks))
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn spec_worked_example_decodes() {
    let p = packet(&[
        ch(0x01, &[2]),
        ch(0x02, &[17]),
        ch(0x03, &[192, 168, 1, 1]),
        ch(0x04, &[192, 168, 1, 2]),
        ch(0x07, &5060u16.to_be_bytes()),
        ch(0x08, &5060u16.to_be_bytes()),
        ch(0x09, &0x4e5c_cb4au32.to_be_bytes()),
        ch(0x0a, &0x0000_e79cu32.to_be_bytes()),
        ch(0x0b, &[1]),
        ch(0x0c, &2001u32.to_be_bytes()),
        ch(0x0f, b"INVITE sip:bob"),
    ]);
    assert_eq!(p.len(), 113);
    let d = decode(&p).unwrap();
    assert_eq!(d.version, HepVersion::V3);
    assert_eq!(d.ip_family(), 2);
    assert_eq!(d.ip_proto, 17);
    assert_eq!(d.src, "192.168.1.1:5060".parse().unwrap());
    assert_eq!(d.dst, "192.168.1.2:5060".parse().unwrap());
    assert_eq!(d.ts_us, Some(0x4e5c_cb4a * 1_000_000 + 0xe79c));
    assert_eq!(d.proto_type, ProtoType::Sip);
    assert_eq!(d.capture_id, 2001);
    assert_eq!(d.payload, b"INVITE sip:bob");
    assert_eq!(d.auth_key, None);
}

#[test]
fn ipv6_chunks_give_ipv6_addresses() {
    let d = decode(&packet(&[
        ch(0x01, &[10]),
        ch(0x05, &Ipv6Addr::LOCALHOST.octets()),
        ch(0x06, &"2001:db8::9".parse::<Ipv6Addr>().unwrap().octets()),
        ch(0x07, &1u16.to_be_bytes()),
        ch(0x08, &2u16.to_be_bytes()),
        ch(0x0f, SIP),
    ]))
    .unwrap();
    assert_eq!(d.src, "[::1]:1".parse().unwrap());
    assert_eq!(d.dst, "[2001:db8::9]:2".parse().unwrap());
    assert_eq!(d.ip_family(), 10);
}

#[test]
fn family_chunk_picks_between_v4_and_v6_pairs() {
    let v6 = |t| ch(t, &Ipv6Addr::LOCALHOST.octets());
    let d = decode_with(vec![ch(0x01, &[10]), v6(0x05), v6(0x06)]).unwrap();
    assert!(d.src.is_ipv6());
    let d = decode_with(vec![v6(0x05), v6(0x06)]).unwrap();
    assert!(d.src.is_ipv4(), "family 2 from v4_core wins");
}

/// One row per optional chunk: (type, body, check on the decoded packet).
type ChunkCase = (u16, Vec<u8>, fn(&HepPacket) -> bool);

#[test]
fn every_optional_chunk_type_decodes() {
    let cases: Vec<ChunkCase> = vec![
        (0x0b, vec![100], |p| p.proto_type == ProtoType::Log),
        (0x0b, vec![5], |p| p.proto_type == ProtoType::Rtcp),
        (0x0b, vec![34], |p| p.proto_type == ProtoType::MosFullReport),
        (0x0b, vec![77], |p| p.proto_type == ProtoType::Other(77)),
        (0x0c, 7u32.to_be_bytes().to_vec(), |p| p.capture_id == 7),
        (0x0d, 30u16.to_be_bytes().to_vec(), |p| {
            p.extras.keep_alive_s == Some(30)
        }),
        (0x0e, b"myHep".to_vec(), |p| {
            p.auth_key.as_deref() == Some("myHep")
        }),
        (0x11, b"abc@h".to_vec(), |p| {
            p.correlation_id.as_deref() == Some("abc@h")
        }),
        (0x12, 42u16.to_be_bytes().to_vec(), |p| p.vlan == Some(42)),
        (0x13, b"node1".to_vec(), |p| {
            p.node_name.as_deref() == Some("node1")
        }),
        (0x14, 0x0242u64.to_be_bytes().to_vec(), |p| {
            p.extras.src_mac == Some(0x0242)
        }),
        (0x15, 0x0243u64.to_be_bytes().to_vec(), |p| {
            p.extras.dst_mac == Some(0x0243)
        }),
        (0x16, 0x0800u16.to_be_bytes().to_vec(), |p| {
            p.extras.eth_type == Some(0x0800)
        }),
        (0x17, vec![0x18], |p| p.extras.tcp_flags == Some(0x18)),
        (0x18, vec![0xb8], |p| p.extras.ip_tos == Some(0xb8)),
        (0x20, 430u16.to_be_bytes().to_vec(), |p| {
            p.extras.mos_x100 == Some(430)
        }),
        (0x21, 93u16.to_be_bytes().to_vec(), |p| {
            p.extras.r_factor == Some(93)
        }),
        (0x22, b"geo".to_vec(), |p| {
            p.extras.geo_location.as_deref() == Some("geo")
        }),
        (0x23, 12u32.to_be_bytes().to_vec(), |p| {
            p.extras.jitter == Some(12)
        }),
        (0x24, b"call".to_vec(), |p| {
            p.extras.transaction_type.as_deref() == Some("call")
        }),
        (0x25, b"k".to_vec(), |p| {
            p.extras.payload_json_keys.as_deref() == Some("k")
        }),
        (0x26, b"v".to_vec(), |p| {
            p.extras.tags_values.as_deref() == Some("v")
        }),
        (0x27, 3u16.to_be_bytes().to_vec(), |p| {
            p.extras.tag_type == Some(3)
        }),
        (0x28, 1u16.to_be_bytes().to_vec(), |p| {
            p.extras.event_type == Some(1)
        }),
        (0x29, b"g".to_vec(), |p| {
            p.extras.group_id.as_deref() == Some("g")
        }),
    ];
    for (chunk_type, body, check) in cases {
        let p = decode_with(vec![ch(chunk_type, &body)]).unwrap();
        assert!(check(&p), "chunk type {chunk_type:#04x}: {p:?}");
    }
}

#[test]
fn text_chunks_keep_invalid_utf8_lossily_and_empty_reads_as_none() {
    let p = decode_with(vec![ch(0x11, b"a\xffb"), ch(0x13, b"")]).unwrap();
    assert_eq!(p.correlation_id.as_deref(), Some("a\u{fffd}b"));
    assert_eq!(p.node_name, None);
}

#[test]
fn payload_keeps_raw_bytes() {
    let mut chunks = v4_core();
    chunks.push(ch(0x0f, &[0, 0xff, 0xfe, b'x']));
    assert_eq!(
        decode(&packet(&chunks)).unwrap().payload,
        [0, 0xff, 0xfe, b'x']
    );
}

#[test]
fn empty_payload_chunk_is_an_empty_payload() {
    let mut chunks = v4_core();
    chunks.push(ch(0x0f, b""));
    assert!(decode(&packet(&chunks)).unwrap().payload.is_empty());
}

#[test]
fn zero_timestamp_is_none_and_seconds_alone_count() {
    let zero = decode_with(vec![ch(0x09, &[0; 4]), ch(0x0a, &[0; 4])]).unwrap();
    assert_eq!(zero.ts_us, None);
    assert_eq!(decode_with(vec![]).unwrap().ts_us, None);
    let secs = decode_with(vec![ch(0x09, &10u32.to_be_bytes())]).unwrap();
    assert_eq!(secs.ts_us, Some(10_000_000));
    let usecs = decode_with(vec![ch(0x0a, &5u32.to_be_bytes())]).unwrap();
    assert_eq!(usecs.ts_us, Some(5));
}

#[test]
fn vendor_chunks_and_unknown_types_are_skipped() {
    let p = decode_with(vec![
        chunk_of(8, 0x0f, b"vendor payload must not win"),
        chunk_of(2, 0x03, &[1, 1, 1, 1]),
        ch(0x7777, b"unknown"),
        ch(0x1e, b"reserved"),
    ])
    .unwrap();
    assert_eq!(p.payload, SIP);
    assert_eq!(p.src, "192.168.0.1:5060".parse().unwrap());
}

#[test]
fn wrong_sized_known_chunk_is_ignored() {
    let p = decode_with(vec![
        ch(0x07, &[1, 2, 3]),
        ch(0x0c, &[9]),
        ch(0x03, &[1, 2, 3, 4, 5]),
    ])
    .unwrap();
    assert_eq!(p.src, "192.168.0.1:5060".parse().unwrap());
    assert_eq!(p.capture_id, 0);
}

#[test]
fn later_chunk_of_same_type_wins() {
    let p = decode_with(vec![
        ch(0x0c, &1u32.to_be_bytes()),
        ch(0x0c, &2u32.to_be_bytes()),
    ]);
    assert_eq!(p.unwrap().capture_id, 2);
}

#[test]
fn compressed_zlib_payload_is_inflated() {
    let mut chunks = v4_core();
    chunks.push(ch(0x10, &zlib(SIP)));
    assert_eq!(decode(&packet(&chunks)).unwrap().payload, SIP);
}

#[test]
fn compressed_gzip_payload_is_inflated_as_fallback() {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(SIP).unwrap();
    let mut chunks = v4_core();
    chunks.push(ch(0x10, &e.finish().unwrap()));
    assert_eq!(decode(&packet(&chunks)).unwrap().payload, SIP);
}

#[test]
fn plain_payload_wins_over_compressed() {
    let mut chunks = v4_core();
    chunks.push(ch(0x10, &zlib(b"compressed")));
    chunks.push(ch(0x0f, b"plain"));
    assert_eq!(decode(&packet(&chunks)).unwrap().payload, b"plain");
}

#[test]
fn garbage_compressed_payload_is_rejected() {
    let mut chunks = v4_core();
    chunks.push(ch(0x10, b"not a zlib stream at all"));
    let err = decode(&packet(&chunks)).unwrap_err();
    assert_eq!(err.reason(), "bad_compressed_payload");
}

#[test]
fn truncated_compressed_payload_is_rejected() {
    let big: Vec<u8> = (0..4000u32).flat_map(|i| i.to_be_bytes()).collect();
    let z = zlib(&big);
    let mut chunks = v4_core();
    chunks.push(ch(0x10, &z[..z.len() / 2]));
    let err = decode(&packet(&chunks)).unwrap_err();
    assert_eq!(err.reason(), "bad_compressed_payload");
}

#[test]
fn decompression_bomb_is_oversized() {
    let bomb = zlib(&vec![0; MAX_INFLATED_PAYLOAD + 1]);
    assert!(bomb.len() < 60_000);
    let mut chunks = v4_core();
    chunks.push(ch(0x10, &bomb));
    let err = decode(&packet(&chunks)).unwrap_err();
    assert_eq!(
        err,
        DecodeError::Oversized {
            limit: MAX_INFLATED_PAYLOAD
        }
    );
    assert_eq!(err.reason(), "oversized");
}

#[test]
fn one_kib_that_inflates_to_a_mib_is_oversized_at_the_64_kib_cap() {
    assert_eq!(MAX_INFLATED_PAYLOAD, 64 * 1024);
    let bomb = zlib(&vec![b'x'; 1 << 20]);
    assert!(bomb.len() < 2048, "{} bytes", bomb.len());
    let mut chunks = v4_core();
    chunks.push(ch(0x10, &bomb));
    let err = decode(&packet(&chunks)).unwrap_err();
    assert_eq!(err.reason(), "oversized");
    let mut chunks = v4_core();
    chunks.push(ch(0x10, &zlib(&vec![b'x'; 64 * 1024 + 1])));
    assert_eq!(decode(&packet(&chunks)).unwrap_err().reason(), "oversized");
}

#[test]
fn unpack_reads_the_auth_key_and_leaves_the_payload_compressed() {
    // Corrupt compressed bytes: unpack must not look at them, only finish does.
    let mut chunks = v4_core();
    chunks.push(ch(0x0e, b"myHep"));
    chunks.push(ch(0x10, b"not zlib at all"));
    let bytes = packet(&chunks);
    let unpacked = unpack(&bytes).unwrap();
    assert_eq!(unpacked.auth_key(), Some("myHep"));
    assert_eq!(
        unpacked.finish().unwrap_err().reason(),
        "bad_compressed_payload"
    );
    let plain = decode_with(vec![ch(0x0e, b"k")]).unwrap();
    assert_eq!(plain.payload, SIP);
    assert_eq!(plain.auth_key.as_deref(), Some("k"));
}

#[test]
fn payload_exactly_at_the_inflate_cap_is_accepted() {
    let mut chunks = v4_core();
    chunks.push(ch(0x10, &zlib(&vec![b'a'; MAX_INFLATED_PAYLOAD])));
    assert_eq!(
        decode(&packet(&chunks)).unwrap().payload.len(),
        MAX_INFLATED_PAYLOAD
    );
}

#[test]
fn missing_payload_and_missing_addresses_are_named() {
    assert_eq!(
        decode(&packet(&v4_core())).unwrap_err().reason(),
        "missing_payload"
    );
    let no_dst = packet(&[ch(0x03, &[1, 2, 3, 4]), ch(0x0f, SIP)]);
    assert_eq!(decode(&no_dst).unwrap_err().reason(), "missing_addresses");
    let mixed = packet(&[
        ch(0x03, &[1, 2, 3, 4]),
        ch(0x06, &Ipv6Addr::LOCALHOST.octets()),
        ch(0x0f, SIP),
    ]);
    assert_eq!(decode(&mixed).unwrap_err(), DecodeError::MissingAddresses);
}

#[test]
fn bad_magic_is_rejected() {
    let err = decode(b"HEP2\x00\x06").unwrap_err();
    assert_eq!(
        err,
        DecodeError::BadMagic {
            found: b"HEP2".to_vec()
        }
    );
    assert_eq!(decode(b"\x00").unwrap_err().reason(), "bad_magic");
    assert_eq!(decode(b"INVITE sip:x").unwrap_err().reason(), "bad_magic");
}

#[test]
fn empty_and_partial_magic_are_truncated() {
    for input in [&b""[..], b"H", b"HEP", b"HEP3", b"HEP3\x00"] {
        assert_eq!(
            decode(input).unwrap_err().reason(),
            "truncated",
            "{input:?}"
        );
    }
}

#[test]
fn total_length_under_header_is_bad_length() {
    let err = decode(b"HEP3\x00\x05").unwrap_err();
    assert_eq!(err, DecodeError::BadLength { declared: 5 });
}

#[test]
fn total_length_past_datagram_is_truncated() {
    let mut chunks = v4_core();
    chunks.push(ch(0x0f, SIP));
    let bytes = packet(&chunks);
    for cut in 6..bytes.len() {
        let err = decode(&bytes[..cut]).unwrap_err();
        assert_eq!(
            err,
            DecodeError::Truncated {
                needed: bytes.len(),
                available: cut
            },
            "cut at {cut}"
        );
    }
}

#[test]
fn bytes_after_total_length_are_ignored() {
    let mut chunks = v4_core();
    chunks.push(ch(0x0f, SIP));
    let mut bytes = packet(&chunks);
    bytes.extend_from_slice(b"trailing junk");
    assert_eq!(decode(&bytes).unwrap().payload, SIP);
}

#[test]
fn chunk_length_under_six_is_bad_chunk_length() {
    let mut bad = ch(0x0f, SIP);
    bad[4..6].copy_from_slice(&5u16.to_be_bytes());
    let err = decode(&packet(&[bad])).unwrap_err();
    assert_eq!(
        err,
        DecodeError::BadChunkLength {
            offset: 6,
            length: 5
        }
    );
}

#[test]
fn chunk_running_past_the_packet_is_bad_chunk_length() {
    let mut chunks = v4_core();
    let mut bad = ch(0x0f, SIP);
    bad[4..6].copy_from_slice(&500u16.to_be_bytes());
    chunks.push(bad);
    assert_eq!(
        decode(&packet(&chunks)).unwrap_err().reason(),
        "bad_chunk_length"
    );
}

#[test]
fn partial_chunk_header_is_bad_chunk_length() {
    let mut chunks = v4_core();
    chunks.push(ch(0x0f, SIP));
    chunks.push(vec![0, 0, 0]);
    let err = decode(&packet(&chunks)).unwrap_err();
    assert!(
        matches!(err, DecodeError::TruncatedChunk { remaining: 3, .. }),
        "{err:?}"
    );
    assert_eq!(err.reason(), "bad_chunk_length");
}

fn valid_packets() -> Vec<Vec<u8>> {
    let mut p = HepPacket::new(
        "10.1.2.3:5060".parse().unwrap(),
        "10.1.2.4:5060".parse().unwrap(),
        ProtoType::Sip,
        SIP.to_vec(),
    );
    p.correlation_id = Some("cid".into());
    p.ts_us = Some(1_700_000_000_000_001);
    let mut v6 = p.clone();
    v6.src = "[2001:db8::1]:5060".parse().unwrap();
    v6.dst = "[2001:db8::2]:5060".parse().unwrap();
    vec![
        encode(&p, false).unwrap(),
        encode(&p, true).unwrap(),
        encode(&v6, false).unwrap(),
    ]
}

proptest! {
    #[test]
    fn decode_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = decode(&bytes);
    }

    #[test]
    fn decode_never_panics_on_arbitrary_hep3_bodies(body in proptest::collection::vec(any::<u8>(), 0..300), len in any::<u16>()) {
        let mut bytes = b"HEP3".to_vec();
        bytes.extend_from_slice(&len.to_be_bytes());
        bytes.extend_from_slice(&body);
        let _ = decode(&bytes);
    }

    #[test]
    fn decode_never_panics_on_legacy_headers(version in 1u8..=2, family in prop_oneof![Just(2u8), Just(10u8), any::<u8>()], rest in proptest::collection::vec(any::<u8>(), 0..120)) {
        let hdr_len = if family == 10 { 40 } else { 16 };
        let mut bytes = vec![version, hdr_len, family];
        bytes.extend_from_slice(&rest);
        let _ = decode(&bytes);
    }

    #[test]
    fn decode_never_panics_on_mutated_valid_packets(
        which in 0usize..3,
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
        cut in any::<usize>(),
    ) {
        let mut bytes = valid_packets().swap_remove(which);
        for (at, value) in edits {
            let i = at % bytes.len();
            bytes[i] = value;
        }
        bytes.truncate(cut % (bytes.len() + 1));
        let _ = decode(&bytes);
    }
}
