//! Capture file -> HEP packets for the store: SIP carried over UDP or TCP becomes a HEP packet of
//! proto 1 with the frame's addresses and time; UDP datagrams that hold HEP are decoded as such.
//! Anything else is skipped and counted by reason. TCP streams are reassembled first
//! (`tcp_stream.rs`), so a SIP message split over segments, or several in one, is imported once each.
//!
//! All or nothing: a file that cannot be read as a whole (unknown format, corrupt or truncated) gives
//! an error and no packets. No I/O: the caller passes the file's bytes in.

mod tcp_stream;

use std::collections::HashMap;
use std::net::SocketAddr;

use app::domain::sip::scan;
use thiserror::Error;

use tcp_stream::{reassemble, TcpSegment};

use crate::hep::{self, HepPacket, ProtoType, IP_PROTO_TCP, IP_PROTO_UDP};
use crate::pcap::{self, CapturedPacket, PcapError, SkipCounts, Transport};

/// Why a capture could not be imported. No packets are returned with an error.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImportError {
    /// The file is not a readable pcap or pcapng capture.
    #[error("cannot import the capture: {0}")]
    Capture(#[from] PcapError),
    /// The packets (compressed HEP payloads inflated) would hold more than the import budget.
    #[error(
        "the capture's packets hold more than {limit} bytes once compressed HEP payloads are \
         inflated ([store] import_max_bytes); split the capture"
    )]
    TooLarge { limit: usize },
}

/// Packets left out of an import, by reason.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportSkips {
    /// UDP payloads and pieces of TCP streams that are not SIP (RTP, DNS, another protocol over TCP, the
    /// rest of a message the capture started inside or lost a segment of).
    pub not_sip: usize,
    /// UDP datagrams starting with `HEP3` that do not decode.
    pub bad_hep: usize,
    /// Frames with no UDP or TCP payload, by the capture reader's reasons.
    pub frames: SkipCounts,
}

impl ImportSkips {
    /// Everything skipped.
    pub fn total(&self) -> usize {
        self.not_sip + self.bad_hep + self.frames.total()
    }
}

/// The result of reading a capture for import.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportedCapture {
    /// In file order (a message reassembled from TCP sits where its first byte was); every one has a
    /// timestamp.
    pub packets: Vec<HepPacket>,
    /// SIP payloads turned into HEP packets.
    pub sip: usize,
    /// HEP packets found inside UDP datagrams.
    pub hep: usize,
    /// What was left out.
    pub skipped: ImportSkips,
}

/// Reads a pcap or pcapng file held in memory into HEP packets.
///
/// A HEP packet without a timestamp of its own takes the capture time of the frame it came in. TCP
/// payloads are reassembled per direction of each connection and cut into SIP messages; each takes the
/// time of the segment its first byte arrived in.
///
/// The packets' payloads together may hold at most `max_bytes` (compressed HEP inflates): past
/// that the import stops with an error rather than fill memory.
///
/// # Errors
/// [`ImportError::Capture`] when the file is not a pcap/pcapng capture, or is corrupt or truncated;
/// [`ImportError::TooLarge`] past `max_bytes`.
pub fn packets_from_capture(
    bytes: &[u8],
    max_bytes: usize,
) -> Result<ImportedCapture, ImportError> {
    let capture = pcap::read_capture(bytes)?;
    let mut budget = Budget {
        left: max_bytes,
        limit: max_bytes,
    };
    let mut imported = ImportedCapture {
        skipped: ImportSkips {
            frames: capture.skipped,
            ..ImportSkips::default()
        },
        ..ImportedCapture::default()
    };
    // (file order, packet), sorted at the end so TCP messages sit among the datagrams.
    let mut packets: Vec<(usize, HepPacket)> = Vec::new();
    let mut flows = TcpFlows::default();
    for (order, captured) in capture.packets.into_iter().enumerate() {
        if captured.is_hep {
            match hep::decode(&captured.payload) {
                Ok(mut packet) => {
                    budget.spend(packet.payload.len())?;
                    packet.ts_us.get_or_insert(captured.ts_us);
                    packets.push((order, packet));
                    imported.hep += 1;
                }
                Err(e) => {
                    tracing::debug!(error = %e, src = %captured.src, "imported HEP datagram does not decode");
                    imported.skipped.bad_hep += 1;
                }
            }
        } else if let (Transport::Tcp, Some(seq)) = (captured.transport, captured.tcp_seq) {
            flows.push(order, seq, captured);
        } else if scan(&captured.payload).is_ok() {
            budget.spend(captured.payload.len())?;
            packets.push((order, sip_packet(captured)));
            imported.sip += 1;
        } else {
            imported.skipped.not_sip += 1;
        }
    }
    for ((src, dst), segments) in flows.into_flows() {
        let stream = reassemble(segments);
        imported.skipped.not_sip += stream.skipped;
        for message in stream.messages {
            if scan(&message.bytes).is_ok() {
                budget.spend(message.bytes.len())?;
                let captured = CapturedPacket {
                    ts_us: message.ts_us,
                    src,
                    dst,
                    transport: Transport::Tcp,
                    tcp_seq: None,
                    payload: message.bytes,
                    is_hep: false,
                };
                packets.push((message.order, sip_packet(captured)));
                imported.sip += 1;
            } else {
                imported.skipped.not_sip += 1;
            }
        }
    }
    packets.sort_by_key(|(order, _)| *order);
    imported.packets = packets.into_iter().map(|(_, packet)| packet).collect();
    Ok(imported)
}

/// Payload bytes an import may still produce.
struct Budget {
    left: usize,
    limit: usize,
}

impl Budget {
    fn spend(&mut self, bytes: usize) -> Result<(), ImportError> {
        self.left = self
            .left
            .checked_sub(bytes)
            .ok_or(ImportError::TooLarge { limit: self.limit })?;
        Ok(())
    }
}

/// TCP segments grouped by direction of connection, in order of first appearance.
#[derive(Default)]
struct TcpFlows {
    index: HashMap<(SocketAddr, SocketAddr), usize>,
    flows: Vec<((SocketAddr, SocketAddr), Vec<TcpSegment>)>,
}

impl TcpFlows {
    fn push(&mut self, order: usize, seq: u32, captured: CapturedPacket) {
        let key = (captured.src, captured.dst);
        let next = self.flows.len();
        let at = *self.index.entry(key).or_insert(next);
        if at == next {
            self.flows.push((key, Vec::new()));
        }
        if let Some((_, segments)) = self.flows.get_mut(at) {
            segments.push(TcpSegment {
                order,
                ts_us: captured.ts_us,
                seq,
                payload: captured.payload,
            });
        }
    }

    fn into_flows(self) -> Vec<((SocketAddr, SocketAddr), Vec<TcpSegment>)> {
        self.flows
    }
}

fn sip_packet(captured: CapturedPacket) -> HepPacket {
    let mut packet = HepPacket::new(captured.src, captured.dst, ProtoType::Sip, captured.payload);
    packet.ip_proto = match captured.transport {
        Transport::Udp => IP_PROTO_UDP,
        Transport::Tcp => IP_PROTO_TCP,
    };
    packet.ts_us = Some(captured.ts_us);
    packet
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pcap::PcapWriter;

    const TS: i64 = 1_700_000_000_123_456;
    const OPTIONS: &[u8] = b"OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x@y\r\nCSeq: 1 OPTIONS\r\n\r\n";

    fn capture(packets: &[(Transport, &[u8])]) -> Vec<u8> {
        let mut writer = PcapWriter::new(Vec::new()).unwrap();
        for (i, (transport, payload)) in packets.iter().enumerate() {
            writer
                .write_packet(
                    TS + i as i64,
                    "10.0.0.1:5060".parse().unwrap(),
                    "10.0.0.2:5060".parse().unwrap(),
                    *transport,
                    payload,
                )
                .unwrap();
        }
        writer.into_inner().unwrap()
    }

    #[test]
    fn import_keeps_sip_over_udp_and_tcp_with_frame_time() {
        let bytes = capture(&[(Transport::Udp, OPTIONS), (Transport::Tcp, OPTIONS)]);
        let imported = packets_from_capture(&bytes, usize::MAX).unwrap();
        assert_eq!(imported.sip, 2);
        let protos: Vec<u8> = imported.packets.iter().map(|p| p.ip_proto).collect();
        assert_eq!(protos, vec![IP_PROTO_UDP, IP_PROTO_TCP]);
        assert_eq!(imported.packets[0].ts_us, Some(TS));
        assert_eq!(imported.packets[0].proto_type, ProtoType::Sip);
    }

    #[test]
    fn import_counts_non_sip_and_broken_hep_as_skipped() {
        let bytes = capture(&[
            (Transport::Udp, b"\x80\x08binary rtp"),
            (Transport::Udp, b"HEP3\x00\x02"),
            (Transport::Udp, OPTIONS),
        ]);
        let imported = packets_from_capture(&bytes, usize::MAX).unwrap();
        assert_eq!((imported.sip, imported.hep), (1, 0));
        assert_eq!((imported.skipped.not_sip, imported.skipped.bad_hep), (1, 1));
        assert_eq!(imported.skipped.total(), 2);
    }

    #[test]
    fn import_gives_hep_without_time_the_frame_time() {
        let hep = hep::encode(
            &HepPacket::new(
                "10.1.1.1:5060".parse().unwrap(),
                "10.1.1.2:5060".parse().unwrap(),
                ProtoType::Sip,
                OPTIONS.to_vec(),
            ),
            false,
        )
        .unwrap();
        let imported =
            packets_from_capture(&capture(&[(Transport::Udp, &hep)]), usize::MAX).unwrap();
        assert_eq!(imported.hep, 1);
        assert_eq!(imported.packets[0].ts_us, Some(TS));
        assert_eq!(imported.packets[0].src, "10.1.1.1:5060".parse().unwrap());
    }

    /// A classic pcap of Ethernet/IPv4/TCP frames with the given sequence numbers, one µs apart.
    fn tcp_capture(frames: &[(&str, &str, u32, &[u8])]) -> Vec<u8> {
        let mut out = PcapWriter::new(Vec::new()).unwrap().into_inner().unwrap();
        for (i, (src, dst, seq, payload)) in frames.iter().enumerate() {
            let (src, dst): (SocketAddr, SocketAddr) = (src.parse().unwrap(), dst.parse().unwrap());
            let (SocketAddr::V4(s), SocketAddr::V4(d)) = (src, dst) else {
                panic!("IPv4 only")
            };
            let mut frame = Vec::new();
            etherparse::PacketBuilder::ethernet2([2; 6], [4; 6])
                .ipv4(s.ip().octets(), d.ip().octets(), 64)
                .tcp(s.port(), d.port(), *seq, 65_535)
                .psh()
                .ack(1)
                .write(&mut frame, payload)
                .unwrap();
            let ts = TS + i as i64;
            for field in [ts / 1_000_000, ts % 1_000_000] {
                out.extend_from_slice(&(field as u32).to_le_bytes());
            }
            for _ in 0..2 {
                out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
            }
            out.extend_from_slice(&frame);
        }
        out
    }

    fn sip(first_line: &str, call_id: &str, body: &str) -> Vec<u8> {
        format!(
            "{first_line}\r\nCall-ID: {call_id}\r\nCSeq: 1 INVITE\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    }

    fn call_ids(imported: &ImportedCapture) -> Vec<String> {
        imported
            .packets
            .iter()
            .map(|p| {
                scan(&p.payload)
                    .unwrap()
                    .call_id()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn import_reassembles_sip_split_over_tcp_segments_and_several_in_one() {
        let invite = sip("INVITE sip:b@x SIP/2.0", "split", "v=0\r\n\r\ns=-\r\n");
        let ok = sip("SIP/2.0 200 OK", "two-a", "");
        let ack = sip("ACK sip:b@x SIP/2.0", "two-b", "");
        let mut both = ok.clone();
        both.extend_from_slice(&ack);
        let bytes = capture(&[
            (Transport::Tcp, &invite[..20]),
            (Transport::Tcp, &invite[20..70]),
            (Transport::Tcp, &invite[70..]),
            (Transport::Tcp, &both),
            (Transport::Udp, OPTIONS),
        ]);
        let imported = packets_from_capture(&bytes, usize::MAX).unwrap();
        assert_eq!(call_ids(&imported), vec!["split", "two-a", "two-b", "x@y"]);
        assert_eq!(imported.packets[0].payload, invite);
        assert_eq!(
            imported.packets[0].ts_us,
            Some(TS),
            "the first segment's time"
        );
        assert_eq!(imported.packets[0].ip_proto, IP_PROTO_TCP);
        assert_eq!((imported.sip, imported.skipped.not_sip), (4, 0));
    }

    #[test]
    fn import_orders_tcp_segments_by_sequence_and_drops_retransmissions() {
        let invite = sip("INVITE sip:b@x SIP/2.0", "c1", "");
        let bye = sip("BYE sip:b@x SIP/2.0", "c2", "");
        let ok = sip("SIP/2.0 200 OK", "c3", "");
        let (a, b) = ("10.0.0.1:5060", "10.0.0.2:5060");
        let next = 1000 + invite.len() as u32;
        let bytes = tcp_capture(&[
            (a, b, 1010, &invite[10..]),
            (b, a, 77, &ok),
            (a, b, 1000, &invite[..10]),
            (a, b, 1000, &invite[..10]),
            (a, b, next, &bye),
            (a, b, next, &bye),
        ]);
        let imported = packets_from_capture(&bytes, usize::MAX).unwrap();
        assert_eq!(call_ids(&imported), vec!["c3", "c1", "c2"]);
        assert_eq!(imported.packets[1].ts_us, Some(TS + 2));
        assert_eq!(imported.packets[0].src, b.parse().unwrap());
        assert_eq!(imported.skipped.total(), 0);
    }

    #[test]
    fn import_skips_tcp_bytes_before_the_first_start_line() {
        let invite = sip("INVITE sip:b@x SIP/2.0", "late", "");
        let mut stream = b"o=- 1 1 IN IP4 10.0.0.1\r\n".to_vec();
        stream.extend_from_slice(&invite);
        let bytes = tcp_capture(&[("10.0.0.1:5060", "10.0.0.2:5060", 5, &stream)]);
        let imported = packets_from_capture(&bytes, usize::MAX).unwrap();
        assert_eq!(call_ids(&imported), vec!["late"]);
        assert_eq!(imported.skipped.not_sip, 1);
    }

    #[test]
    fn import_stops_when_inflated_hep_passes_the_budget() {
        // 200 HEP datagrams of a few hundred bytes that inflate to 40 KB each: 8 MB in all.
        let mut packet = HepPacket::new(
            "10.1.1.1:5060".parse().unwrap(),
            "10.1.1.2:5060".parse().unwrap(),
            ProtoType::Sip,
            [OPTIONS, &vec![b' '; 40_000][..]].concat(),
        );
        packet.ts_us = Some(TS);
        let hep = hep::encode(&packet, true).unwrap();
        assert!(hep.len() < 1000, "{}", hep.len());
        let datagrams: Vec<(Transport, &[u8])> = vec![(Transport::Udp, &hep[..]); 200];
        let bytes = capture(&datagrams);
        assert!(bytes.len() < 250_000, "{}", bytes.len());
        let err = packets_from_capture(&bytes, 1_000_000).unwrap_err();
        assert_eq!(err, ImportError::TooLarge { limit: 1_000_000 });
        assert!(err.to_string().contains("import_max_bytes"), "{err}");
        let all = packets_from_capture(&bytes, 10_000_000).unwrap();
        assert_eq!(all.hep, 200);
    }

    #[test]
    fn import_rejects_a_file_that_is_not_a_capture() {
        let err = packets_from_capture(b"hello, not a pcap", usize::MAX).unwrap_err();
        assert!(matches!(
            err,
            ImportError::Capture(PcapError::UnknownFormat { .. })
        ));
        assert!(err.to_string().contains("not a pcap"), "{err}");
    }
}
