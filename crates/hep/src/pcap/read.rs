//! Reading a whole capture file held in memory: classic pcap (either byte order, µs or ns
//! timestamps) and pcapng (any number of sections and interfaces), via `pcap-parser`.
//!
//! A file that is not a capture, or that is corrupt or cut short anywhere, is an error: the
//! importer gets all packets or none. Frames that carry no UDP/TCP payload are skipped and
//! counted in [`SkipCounts`].

use pcap_parser::pcapng::Block;
use pcap_parser::traits::PcapNGPacketBlock;
use pcap_parser::{parse_pcap_frame, parse_pcap_frame_be, parse_pcap_header, PcapBlockOwned};
use pcap_parser::{LegacyPcapBlock, PcapNGSlice};
use thiserror::Error;

use super::link::{self, Skip};
use super::CapturedPacket;

const PCAP_HEADER_LEN: usize = 24;
const PCAPNG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];
/// Microsecond and nanosecond classic magics, as the first 4 bytes of a little- or big-endian
/// file.
const PCAP_MAGICS: [[u8; 4]; 4] = [
    [0xd4, 0xc3, 0xb2, 0xa1],
    [0xa1, 0xb2, 0xc3, 0xd4],
    [0x4d, 0x3c, 0xb2, 0xa1],
    [0xa1, 0xb2, 0x3c, 0x4d],
];

/// Why a capture file could not be read. No packets are returned with an error.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum PcapError {
    /// Neither a pcap nor a pcapng magic number.
    #[error("not a pcap or pcapng file (starts with {found:02x?})")]
    UnknownFormat {
        /// The first bytes of the file (at most 4).
        found: Vec<u8>,
    },
    /// The 24-byte pcap file header is incomplete.
    #[error("pcap file header is cut short: {len} of 24 bytes")]
    TruncatedHeader {
        /// Bytes present.
        len: usize,
    },
    /// The file ends inside a packet record or block.
    #[error("capture ends inside record {index} (0-based): the file is truncated")]
    TruncatedRecord {
        /// Index of the incomplete record or block.
        index: usize,
    },
    /// A record or block that does not parse.
    #[error("record {index} (0-based) is corrupt: {detail}")]
    Corrupt {
        /// Index of the bad record or block.
        index: usize,
        /// What the parser said.
        detail: String,
    },
    /// A link type hepscope cannot read.
    #[error("link type {linktype} is not supported (Ethernet, Linux SLL/SLL2, raw IP and null/loopback are)")]
    UnsupportedLinkType {
        /// The link type number from the file.
        linktype: i32,
    },
    /// A pcapng packet names an interface its section does not describe.
    #[error("block {index} (0-based) refers to interface {if_id}, which is not described")]
    UnknownInterface {
        /// Index of the packet block.
        index: usize,
        /// The interface id it gives.
        if_id: u32,
    },
    /// A timestamp that does not fit in microseconds since the epoch, or an invalid pcapng time
    /// resolution.
    #[error("block {index} (0-based) has a timestamp that cannot be represented")]
    BadTimestamp {
        /// Index of the record or block.
        index: usize,
    },
}

/// How many frames were skipped, by reason.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SkipCounts {
    /// ARP and other non-IP frames.
    pub non_ip: usize,
    /// IP fragments (not reassembled).
    pub fragments: usize,
    /// IP packets that are neither UDP nor TCP.
    pub other_transport: usize,
    /// Frames whose headers do not parse or were cut short by the snap length.
    pub malformed: usize,
    /// UDP or TCP with no payload (handshakes, bare ACKs).
    pub empty_payload: usize,
}

impl SkipCounts {
    /// All skipped frames.
    pub fn total(&self) -> usize {
        self.non_ip + self.fragments + self.other_transport + self.malformed + self.empty_payload
    }

    fn count(&mut self, skip: Skip) {
        let counter = match skip {
            Skip::NonIp => &mut self.non_ip,
            Skip::Fragment => &mut self.fragments,
            Skip::OtherTransport => &mut self.other_transport,
            Skip::Malformed => &mut self.malformed,
            Skip::EmptyPayload => &mut self.empty_payload,
        };
        *counter += 1;
    }
}

/// The packets of one capture file, in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Capture {
    /// UDP and TCP payloads.
    pub packets: Vec<CapturedPacket>,
    /// Frames left out, by reason.
    pub skipped: SkipCounts,
}

impl Capture {
    fn push(&mut self, ts_us: i64, linktype: i32, data: &[u8]) {
        match link::slice_frame(linktype, data) {
            Ok(seg) => self.packets.push(CapturedPacket {
                ts_us,
                src: seg.src,
                dst: seg.dst,
                transport: seg.transport,
                tcp_seq: seg.tcp_seq,
                is_hep: seg.transport == super::Transport::Udp && seg.payload.starts_with(b"HEP3"),
                payload: seg.payload.to_vec(),
            }),
            Err(skip) => self.skipped.count(skip),
        }
    }
}

/// Reads a whole pcap or pcapng file.
///
/// # Errors
///
/// [`PcapError`] for an unknown format, an unsupported link type, or a file that is corrupt or
/// cut short anywhere; no partial result is returned.
pub fn read_capture(bytes: &[u8]) -> Result<Capture, PcapError> {
    let head = bytes.get(..4).unwrap_or(bytes);
    if head == PCAPNG_MAGIC {
        read_pcapng(bytes)
    } else if PCAP_MAGICS.iter().any(|m| m == head) {
        read_pcap(bytes)
    } else {
        Err(PcapError::UnknownFormat {
            found: head.to_vec(),
        })
    }
}

fn read_pcap(bytes: &[u8]) -> Result<Capture, PcapError> {
    if bytes.len() < PCAP_HEADER_LEN {
        return Err(PcapError::TruncatedHeader { len: bytes.len() });
    }
    let (mut rest, header) = parse_pcap_header(bytes).map_err(|e| PcapError::Corrupt {
        index: 0,
        detail: format!("file header: {e:?}"),
    })?;
    let linktype = header.network.0;
    if !link::is_supported(linktype) {
        return Err(PcapError::UnsupportedLinkType { linktype });
    }
    let parse_frame = if header.is_bigendian() {
        parse_pcap_frame_be
    } else {
        parse_pcap_frame
    };
    let nanos = header.is_nanosecond_precision();
    let mut capture = Capture::default();
    let mut index = 0;
    while !rest.is_empty() {
        let Ok((next, frame)) = parse_frame(rest) else {
            // A classic record only fails to parse when the file ends inside it.
            return Err(PcapError::TruncatedRecord { index });
        };
        capture.push(legacy_ts_us(&frame, nanos), linktype, frame.data);
        rest = next;
        index += 1;
    }
    Ok(capture)
}

fn legacy_ts_us(frame: &LegacyPcapBlock<'_>, nanos: bool) -> i64 {
    let frac_us = if nanos {
        frame.ts_usec / 1000
    } else {
        frame.ts_usec
    };
    i64::from(frame.ts_sec) * 1_000_000 + i64::from(frac_us)
}

/// What a pcapng section says about one interface.
struct Interface {
    linktype: i32,
    tsresol: u8,
    tsoffset_s: i64,
}

fn read_pcapng(bytes: &[u8]) -> Result<Capture, PcapError> {
    let blocks = PcapNGSlice::from_slice(bytes).map_err(|e| ng_error(0, e))?;
    let mut capture = Capture::default();
    let mut interfaces: Vec<Interface> = Vec::new();
    for (index, block) in blocks.enumerate() {
        let block = block.map_err(|e| ng_error(index, e))?;
        let PcapBlockOwned::NG(block) = block else {
            continue;
        };
        match block {
            Block::SectionHeader(_) => interfaces.clear(),
            Block::InterfaceDescription(idb) => interfaces.push(Interface {
                linktype: idb.linktype.0,
                tsresol: idb.if_tsresol,
                tsoffset_s: idb.if_tsoffset,
            }),
            Block::EnhancedPacket(epb) => {
                let iface = interface(&interfaces, index, epb.if_id)?;
                let units = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                let ts_us = ng_ts_us(units, iface.tsresol, iface.tsoffset_s)
                    .ok_or(PcapError::BadTimestamp { index })?;
                capture.push(ts_us, iface.linktype, epb.packet_data());
            }
            Block::SimplePacket(spb) => {
                // A simple packet block has no timestamp and belongs to interface 0.
                let iface = interface(&interfaces, index, 0)?;
                capture.push(0, iface.linktype, spb.packet_data());
            }
            _ => {}
        }
    }
    Ok(capture)
}

/// The interface `if_id` of the current section, checked for a readable link type.
fn interface(interfaces: &[Interface], index: usize, if_id: u32) -> Result<&Interface, PcapError> {
    let iface = usize::try_from(if_id)
        .ok()
        .and_then(|i| interfaces.get(i))
        .ok_or(PcapError::UnknownInterface { index, if_id })?;
    if !link::is_supported(iface.linktype) {
        return Err(PcapError::UnsupportedLinkType {
            linktype: iface.linktype,
        });
    }
    Ok(iface)
}

/// pcapng time: `units` of 10^-r s (or 2^-r s when the top bit of `tsresol` is set), plus
/// `if_tsoffset` seconds. `None` when it does not fit or the resolution is absurd.
fn ng_ts_us(units: u64, tsresol: u8, tsoffset_s: i64) -> Option<i64> {
    let exponent = u32::from(tsresol & 0x7f);
    let per_second: u128 = if tsresol & 0x80 == 0 {
        10u128.checked_pow(exponent)?
    } else {
        1u128.checked_shl(exponent)?
    };
    let us = (u128::from(units) * 1_000_000).checked_div(per_second)?;
    i64::try_from(us)
        .ok()?
        .checked_add(tsoffset_s.checked_mul(1_000_000)?)
}

/// Maps a pcap-parser failure on block `index`: running out of bytes is truncation.
fn ng_error<E: std::fmt::Debug>(index: usize, e: pcap_parser::nom::Err<E>) -> PcapError {
    if e.is_incomplete() {
        PcapError::TruncatedRecord { index }
    } else {
        PcapError::Corrupt {
            index,
            detail: e.to_string(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests;
