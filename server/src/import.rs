//! Capture file -> HEP packets for the store: SIP carried over UDP or TCP becomes a HEP packet of
//! proto 1 with the frame's addresses and time; UDP datagrams that hold HEP are decoded as such.
//! Anything else is skipped and counted by reason.
//!
//! All or nothing: a file that cannot be read as a whole (unknown format, corrupt or truncated) gives
//! an error and no packets. No I/O: the caller passes the file's bytes in.

use app::domain::sip::scan;
use thiserror::Error;

use crate::hep::{self, HepPacket, ProtoType, IP_PROTO_TCP, IP_PROTO_UDP};
use crate::pcap::{self, CapturedPacket, PcapError, SkipCounts, Transport};

/// Why a capture could not be imported. No packets are returned with an error.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImportError {
    /// The file is not a readable pcap or pcapng capture.
    #[error("cannot import the capture: {0}")]
    Capture(#[from] PcapError),
}

/// Packets left out of an import, by reason.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportSkips {
    /// UDP or TCP payloads that do not scan as SIP (RTP, DNS, a TCP segment continuing a message).
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
    /// In file order; every one has a timestamp.
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
/// A HEP packet without a timestamp of its own takes the capture time of the frame it came in. A
/// TCP segment is taken on its own (no stream reassembly): one holding the start of a SIP message is
/// imported, one continuing a message is skipped as not SIP.
///
/// # Errors
/// [`ImportError::Capture`] when the file is not a pcap/pcapng capture, or is corrupt or truncated.
pub fn packets_from_capture(bytes: &[u8]) -> Result<ImportedCapture, ImportError> {
    let capture = pcap::read_capture(bytes)?;
    let mut imported = ImportedCapture {
        skipped: ImportSkips {
            frames: capture.skipped,
            ..ImportSkips::default()
        },
        ..ImportedCapture::default()
    };
    for captured in capture.packets {
        if captured.is_hep {
            match hep::decode(&captured.payload) {
                Ok(mut packet) => {
                    packet.ts_us.get_or_insert(captured.ts_us);
                    imported.packets.push(packet);
                    imported.hep += 1;
                }
                Err(e) => {
                    tracing::debug!(error = %e, src = %captured.src, "imported HEP datagram does not decode");
                    imported.skipped.bad_hep += 1;
                }
            }
        } else if scan(&captured.payload).is_ok() {
            imported.packets.push(sip_packet(captured));
            imported.sip += 1;
        } else {
            imported.skipped.not_sip += 1;
        }
    }
    Ok(imported)
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
        let imported = packets_from_capture(&bytes).unwrap();
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
        let imported = packets_from_capture(&bytes).unwrap();
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
        let imported = packets_from_capture(&capture(&[(Transport::Udp, &hep)])).unwrap();
        assert_eq!(imported.hep, 1);
        assert_eq!(imported.packets[0].ts_us, Some(TS));
        assert_eq!(imported.packets[0].src, "10.1.1.1:5060".parse().unwrap());
    }

    #[test]
    fn import_rejects_a_file_that_is_not_a_capture() {
        let err = packets_from_capture(b"hello, not a pcap").unwrap_err();
        assert!(matches!(
            err,
            ImportError::Capture(PcapError::UnknownFormat { .. })
        ));
        assert!(err.to_string().contains("not a pcap"), "{err}");
    }
}
