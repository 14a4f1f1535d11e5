//! Capture import: a pcap written from fixture packets (SIP over UDP and TCP, a HEP-in-UDP datagram)
//! reads back as HEP packets; SIP over TCP is reassembled however it was segmented; corrupt or truncated
//! files are errors with no packets.

use app::domain::fixture::{demo_mix, PacketKind, Transport as FixtureTransport};
use server::demo::to_hep;
use server::hep::{encode, ProtoType, IP_PROTO_TCP, IP_PROTO_UDP};
use server::import::{packets_from_capture, ImportError};
use server::pcap::{PcapError, PcapWriter, Transport};

const START: i64 = 1_700_000_000_000_000;

/// A capture of the first demo calls' SIP (over UDP, or TCP for about half the calls), their RTCP as HEP-in-UDP, and one
/// non-SIP datagram. Returns the bytes and the number of SIP and HEP packets written.
fn fixture_capture() -> (Vec<u8>, usize, usize) {
    let mut writer = PcapWriter::new(Vec::new()).unwrap();
    let (mut sip, mut hep) = (0, 0);
    let collector = "10.0.0.2:9060".parse().unwrap();
    for packet in demo_mix(5, START, 12) {
        match packet.kind {
            PacketKind::Sip => {
                // demo_mix signals over UDP; move about half the calls to TCP.
                let odd_call = packet.call_id.bytes().next().is_some_and(|b| b % 2 == 1);
                let transport = match packet.transport {
                    FixtureTransport::Udp if !odd_call => Transport::Udp,
                    FixtureTransport::Udp | FixtureTransport::Tcp => Transport::Tcp,
                };
                writer
                    .write_packet(
                        packet.ts_us,
                        packet.src,
                        packet.dst,
                        transport,
                        &packet.payload,
                    )
                    .unwrap();
                sip += 1;
            }
            PacketKind::Rtcp if packet.src.is_ipv4() => {
                let bytes = encode(&to_hep(&packet, None), false).unwrap();
                let agent = "10.0.0.30:40000".parse().unwrap();
                writer
                    .write_packet(packet.ts_us, agent, collector, Transport::Udp, &bytes)
                    .unwrap();
                hep += 1;
            }
            _ => {}
        }
    }
    // An RTP-looking datagram: not SIP, not HEP.
    writer
        .write_packet(
            START,
            "10.0.0.30:10000".parse().unwrap(),
            "10.0.0.31:10002".parse().unwrap(),
            Transport::Udp,
            &[0x80, 0x08, 0, 1, 0, 0, 0, 160],
        )
        .unwrap();
    (writer.into_inner().unwrap(), sip, hep)
}

#[test]
fn import_reads_sip_over_udp_and_tcp_and_hep_in_udp() {
    let (bytes, sip, hep) = fixture_capture();
    let imported = packets_from_capture(&bytes).unwrap();
    assert_eq!(imported.sip, sip);
    assert_eq!(imported.hep, hep);
    assert_eq!(imported.skipped.not_sip, 1);
    assert_eq!(imported.packets.len(), sip + hep);
    assert!(imported.packets.iter().all(|p| p.ts_us.is_some()));
    let rtcp = imported
        .packets
        .iter()
        .filter(|p| p.proto_type == ProtoType::Rtcp)
        .collect::<Vec<_>>();
    assert_eq!(rtcp.len(), hep);
    assert!(rtcp.iter().all(|p| p.correlation_id.is_some()));
    let protos = imported
        .packets
        .iter()
        .filter(|p| p.proto_type == ProtoType::Sip)
        .map(|p| p.ip_proto);
    let (mut udp, mut tcp) = (0, 0);
    for proto in protos {
        match proto {
            IP_PROTO_UDP => udp += 1,
            IP_PROTO_TCP => tcp += 1,
            other => panic!("ip proto {other}"),
        }
    }
    assert!(udp > 0, "no SIP over UDP");
    assert!(tcp > 0, "no SIP over TCP");
}

#[test]
fn import_rejects_a_truncated_capture_with_no_packets() {
    let (bytes, _, _) = fixture_capture();
    let cut = &bytes[..bytes.len() - 7];
    assert!(matches!(
        packets_from_capture(cut),
        Err(ImportError::Capture(PcapError::TruncatedRecord { .. }))
    ));
}

#[test]
fn import_rejects_garbage_and_an_empty_file() {
    for bytes in [
        &b""[..],
        b"GET / HTTP/1.1\r\n\r\n",
        &[0xd4, 0xc3, 0xb2, 0xa1, 2, 0],
    ] {
        let err = packets_from_capture(bytes).unwrap_err();
        assert!(!err.to_string().is_empty());
    }
}

#[test]
fn import_takes_each_sip_message_over_tcp_once_however_it_was_segmented() {
    let mut writer = PcapWriter::new(Vec::new()).unwrap();
    let sip: Vec<_> = demo_mix(9, START, 12)
        .into_iter()
        .filter(|p| p.kind == PacketKind::Sip && p.src.is_ipv4())
        .collect();
    for (i, packet) in sip.iter().enumerate() {
        // Segments of 1 to 300 bytes: headers, the blank line and bodies all get cut somewhere.
        let size = 1 + (i * 37) % 300;
        for piece in packet.payload.chunks(size) {
            writer
                .write_packet(packet.ts_us, packet.src, packet.dst, Transport::Tcp, piece)
                .unwrap();
        }
    }
    let imported = packets_from_capture(&writer.into_inner().unwrap()).unwrap();
    assert_eq!(imported.sip, sip.len());
    assert_eq!(imported.skipped.not_sip, 0);
    let payloads: Vec<&[u8]> = imported.packets.iter().map(|p| &p.payload[..]).collect();
    let expected: Vec<&[u8]> = sip.iter().map(|p| &p.payload[..]).collect();
    assert_eq!(
        payloads, expected,
        "every message once, whole, in capture order"
    );
    assert!(imported.packets.iter().all(|p| p.ip_proto == IP_PROTO_TCP));
}
