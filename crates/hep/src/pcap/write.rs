//! Classic libpcap writer (magic `a1b2c3d4`, microsecond resolution, linktype 1 Ethernet), the
//! format of HOMER's PCAP export (`docs/homer7-api.md` §7).
//!
//! Each payload is wrapped in synthetic Ethernet + IPv4/IPv6 + UDP or TCP headers built by
//! etherparse's `PacketBuilder`, so lengths and checksums are right. TCP segments carry PSH|ACK
//! and a per-flow increasing sequence number so Wireshark can reassemble SIP over TCP. MAC
//! addresses are derived from the IPs, so the output is deterministic.

use std::collections::HashMap;
use std::io::Write;
use std::net::{IpAddr, SocketAddr};

use etherparse::err::packet::BuildVecWriteError;
use etherparse::PacketBuilder;
use thiserror::Error;

use super::Transport;

/// Payloads longer than this many bytes are split over several frames, keeping every IP packet
/// under the 65,535-byte limit of the IPv4 total length.
pub const MAX_SEGMENT_PAYLOAD: usize = 65_000;

/// Classic pcap magic for microsecond timestamps, written in little-endian order.
const MAGIC_USEC: u32 = 0xa1b2_c3d4;
/// Larger than any frame we write (65,000 + 14 + 40 + 20 bytes).
const SNAPLEN: u32 = 262_144;
/// LINKTYPE_ETHERNET.
const LINKTYPE_ETHERNET: u32 = 1;
/// TTL / hop limit of the synthetic IP headers.
const HOP_LIMIT: u8 = 64;
/// FNV-1a offset basis and prime, for [`initial_seq`].
const FNV_BASIS: u32 = 0x811c_9dc5;
const FNV_PRIME: u32 = 0x0100_0193;
/// Advertised TCP window.
const TCP_WINDOW: u16 = 65_535;

/// Why a packet or the file header could not be written.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PcapWriteError {
    /// The underlying writer failed.
    #[error("writing pcap output: {0}")]
    Io(#[from] std::io::Error),
    /// `src` and `dst` are of different address families.
    #[error("source {src} and destination {dst} are of different address families")]
    MixedFamilies {
        /// The source address.
        src: IpAddr,
        /// The destination address.
        dst: IpAddr,
    },
    /// A time before 1970 or after 2106 (pcap seconds are an unsigned 32-bit count).
    #[error("timestamp {ts_us} µs does not fit pcap's unsigned 32-bit seconds")]
    TimestampOutOfRange {
        /// The rejected time, microseconds since the epoch.
        ts_us: i64,
    },
    /// etherparse refused to build the frame.
    #[error("building the frame: {0}")]
    Build(#[from] BuildVecWriteError),
}

/// Writes a classic libpcap stream: the file header on creation, then one record per frame.
#[derive(Debug)]
pub struct PcapWriter<W: Write> {
    /// Where the file goes.
    out: W,
    /// Next TCP sequence number per (source, destination) flow.
    next_seq: HashMap<(SocketAddr, SocketAddr), u32>,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the 24-byte file header and returns the writer.
    ///
    /// # Errors
    ///
    /// [`PcapWriteError::Io`] when `out` fails.
    pub fn new(mut out: W) -> Result<Self, PcapWriteError> {
        let mut header = Vec::with_capacity(24);
        header.extend_from_slice(&MAGIC_USEC.to_le_bytes());
        header.extend_from_slice(&2u16.to_le_bytes()); // version 2.4
        header.extend_from_slice(&4u16.to_le_bytes());
        header.extend_from_slice(&0i32.to_le_bytes()); // thiszone: UTC
        header.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
        header.extend_from_slice(&SNAPLEN.to_le_bytes());
        header.extend_from_slice(&LINKTYPE_ETHERNET.to_le_bytes());
        out.write_all(&header)?;
        Ok(PcapWriter {
            out,
            next_seq: HashMap::new(),
        })
    }

    /// Writes `payload` as one frame, or several when it exceeds [`MAX_SEGMENT_PAYLOAD`]
    /// (all with the same time). `ts_us` is microseconds since the Unix epoch.
    ///
    /// # Errors
    ///
    /// [`PcapWriteError::MixedFamilies`] or [`PcapWriteError::TimestampOutOfRange`] (checked
    /// before anything is written), or an I/O or frame-building failure.
    pub fn write_packet(
        &mut self,
        ts_us: i64,
        src: SocketAddr,
        dst: SocketAddr,
        transport: Transport,
        payload: &[u8],
    ) -> Result<(), PcapWriteError> {
        let out_of_range = || PcapWriteError::TimestampOutOfRange { ts_us };
        let ts_sec = u32::try_from(ts_us.div_euclid(1_000_000)).map_err(|_| out_of_range())?;
        let ts_usec = u32::try_from(ts_us.rem_euclid(1_000_000)).map_err(|_| out_of_range())?;
        if src.is_ipv4() != dst.is_ipv4() {
            return Err(PcapWriteError::MixedFamilies {
                src: src.ip(),
                dst: dst.ip(),
            });
        }
        let pieces: Vec<&[u8]> = if payload.is_empty() {
            vec![payload]
        } else {
            payload.chunks(MAX_SEGMENT_PAYLOAD).collect()
        };
        for piece in pieces {
            let frame = self.frame(src, dst, transport, piece)?;
            // A frame is at most MAX_SEGMENT_PAYLOAD plus headers, far below u32::MAX.
            let len = u32::try_from(frame.len()).unwrap_or(u32::MAX);
            let mut record = Vec::with_capacity(16 + frame.len());
            record.extend_from_slice(&ts_sec.to_le_bytes());
            record.extend_from_slice(&ts_usec.to_le_bytes());
            record.extend_from_slice(&len.to_le_bytes()); // captured length
            record.extend_from_slice(&len.to_le_bytes()); // original length
            record.extend_from_slice(&frame);
            self.out.write_all(&record)?;
        }
        Ok(())
    }

    /// Flushes and returns the underlying writer.
    ///
    /// # Errors
    ///
    /// [`PcapWriteError::Io`] when the flush fails.
    pub fn into_inner(mut self) -> Result<W, PcapWriteError> {
        self.out.flush()?;
        Ok(self.out)
    }

    fn frame(
        &mut self,
        src: SocketAddr,
        dst: SocketAddr,
        transport: Transport,
        payload: &[u8],
    ) -> Result<Vec<u8>, PcapWriteError> {
        let ethernet = PacketBuilder::ethernet2(mac_for(src.ip()), mac_for(dst.ip()));
        let ip = match (src.ip(), dst.ip()) {
            (IpAddr::V4(s), IpAddr::V4(d)) => ethernet.ipv4(s.octets(), d.octets(), HOP_LIMIT),
            (IpAddr::V6(s), IpAddr::V6(d)) => ethernet.ipv6(s.octets(), d.octets(), HOP_LIMIT),
            (s, d) => return Err(PcapWriteError::MixedFamilies { src: s, dst: d }),
        };
        let mut frame = Vec::with_capacity(80 + payload.len());
        match transport {
            Transport::Udp => ip
                .udp(src.port(), dst.port())
                .write_to_vec(&mut frame, payload)?,
            Transport::Tcp => {
                let seq = self
                    .next_seq
                    .get(&(src, dst))
                    .copied()
                    .unwrap_or_else(|| initial_seq(src, dst));
                let ack = self
                    .next_seq
                    .get(&(dst, src))
                    .copied()
                    .unwrap_or_else(|| initial_seq(dst, src));
                ip.tcp(src.port(), dst.port(), seq, TCP_WINDOW)
                    .psh()
                    .ack(ack)
                    .write_to_vec(&mut frame, payload)?;
                // A piece is at most MAX_SEGMENT_PAYLOAD bytes, so it fits a u32.
                let advance = u32::try_from(payload.len()).unwrap_or(u32::MAX);
                self.next_seq.insert((src, dst), seq.wrapping_add(advance));
            }
        }
        Ok(frame)
    }
}

/// The first sequence number of the `src` → `dst` direction: arbitrary as a real stack's ISN (so
/// readers must follow relative numbers, as Wireshark does) but derived from the 4-tuple, so the
/// output stays deterministic.
fn initial_seq(src: SocketAddr, dst: SocketAddr) -> u32 {
    let mut hash = FNV_BASIS;
    for addr in [src, dst] {
        let ip = match addr.ip() {
            IpAddr::V4(v4) => v4.octets().to_vec(),
            IpAddr::V6(v6) => v6.octets().to_vec(),
        };
        for byte in ip.iter().chain(&addr.port().to_be_bytes()) {
            hash = (hash ^ u32::from(*byte)).wrapping_mul(FNV_PRIME);
        }
    }
    hash
}

/// A locally administered MAC (`02:00:` + the last four bytes of the IP), stable per address.
fn mac_for(ip: IpAddr) -> [u8; 6] {
    let [a, b, c, d] = match ip {
        IpAddr::V4(v4) => v4.octets(),
        IpAddr::V6(v6) => {
            let [.., a, b, c, d] = v6.octets();
            [a, b, c, d]
        }
    };
    [0x02, 0x00, a, b, c, d]
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use etherparse::{SlicedPacket, TransportSlice};

    fn one_frame(transport: Transport, payload: &[u8]) -> Vec<u8> {
        let mut w = PcapWriter::new(Vec::new()).unwrap();
        let (src, dst) = (
            "10.0.0.1:5060".parse().unwrap(),
            "10.0.0.2:5060".parse().unwrap(),
        );
        w.write_packet(1_000_000, src, dst, transport, payload)
            .unwrap();
        let bytes = w.into_inner().unwrap();
        bytes[24 + 16..].to_vec()
    }

    #[test]
    fn header_is_classic_usec_ethernet() {
        let bytes = PcapWriter::new(Vec::new()).unwrap().into_inner().unwrap();
        assert_eq!(bytes.len(), 24);
        assert_eq!(bytes[..4], [0xd4, 0xc3, 0xb2, 0xa1]);
        assert_eq!(bytes[20..24], [1, 0, 0, 0]);
    }

    #[test]
    fn udp_frame_has_valid_checksum() {
        let frame = one_frame(Transport::Udp, b"OPTIONS");
        let sliced = SlicedPacket::from_ethernet(&frame).unwrap();
        let Some(TransportSlice::Udp(udp)) = sliced.transport else {
            panic!("not udp")
        };
        let ip = sliced.net.unwrap();
        let ipv4 = ip.ipv4_ref().unwrap().header().to_header();
        let header = udp.to_header();
        assert_eq!(
            header.checksum,
            header.calc_checksum_ipv4(&ipv4, udp.payload()).unwrap()
        );
    }

    #[test]
    fn tcp_sequence_advances_per_flow_and_acks_the_peer() {
        let mut w = PcapWriter::new(Vec::new()).unwrap();
        let a: SocketAddr = "10.0.0.1:5060".parse().unwrap();
        let b: SocketAddr = "10.0.0.2:5060".parse().unwrap();
        w.write_packet(1, a, b, Transport::Tcp, b"12345").unwrap();
        w.write_packet(2, b, a, Transport::Tcp, b"xyz").unwrap();
        w.write_packet(3, a, b, Transport::Tcp, b"67").unwrap();
        let bytes = w.into_inner().unwrap();
        let mut frames = Vec::new();
        let mut rest = &bytes[24..];
        while !rest.is_empty() {
            let len = u32::from_le_bytes(rest[8..12].try_into().unwrap()) as usize;
            frames.push(rest[16..16 + len].to_vec());
            rest = &rest[16 + len..];
        }
        let tcp: Vec<(u32, u32, bool, bool)> = frames
            .iter()
            .map(
                |f| match SlicedPacket::from_ethernet(f).unwrap().transport {
                    Some(TransportSlice::Tcp(t)) => (
                        t.sequence_number(),
                        t.acknowledgment_number(),
                        t.psh(),
                        t.ack(),
                    ),
                    _ => panic!("not tcp"),
                },
            )
            .collect();
        let (isn_a, isn_b) = (initial_seq(a, b), initial_seq(b, a));
        assert_ne!(isn_a, isn_b);
        assert_eq!(
            tcp,
            vec![
                (isn_a, isn_b, true, true),
                (isn_b, isn_a.wrapping_add(5), true, true),
                (isn_a.wrapping_add(5), isn_b.wrapping_add(3), true, true)
            ]
        );
    }

    #[test]
    fn rejects_mixed_families_and_negative_time() {
        let mut w = PcapWriter::new(Vec::new()).unwrap();
        let v4: SocketAddr = "10.0.0.1:1".parse().unwrap();
        let v6: SocketAddr = "[::1]:1".parse().unwrap();
        assert!(matches!(
            w.write_packet(0, v4, v6, Transport::Udp, b"x"),
            Err(PcapWriteError::MixedFamilies { .. })
        ));
        assert!(matches!(
            w.write_packet(-1, v4, v4, Transport::Udp, b"x"),
            Err(PcapWriteError::TimestampOutOfRange { .. })
        ));
        assert_eq!(w.into_inner().unwrap().len(), 24);
    }

    #[test]
    fn mac_is_derived_from_the_ip() {
        assert_eq!(mac_for("10.1.2.3".parse().unwrap()), [2, 0, 10, 1, 2, 3]);
        assert_eq!(
            mac_for("2001:db8::a0b:c0d".parse().unwrap()),
            [2, 0, 10, 11, 12, 13]
        );
    }
}
