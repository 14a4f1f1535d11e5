//! Capture files: writing classic libpcap (the HOMER-style PCAP export) and reading pcap or
//! pcapng files for import.
//!
//! - [`PcapWriter`]: synthesises Ethernet/IP/UDP-or-TCP frames around stored payloads
//!   (`write.rs`).
//! - [`read_capture`]: whole file in memory -> UDP and TCP payloads with their addresses and
//!   times (`read.rs`, link layers in `link.rs`).
//!
//! No sockets and no files: callers pass bytes in and get bytes out.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod link;
mod read;
mod write;

use std::net::SocketAddr;

pub use read::{read_capture, Capture, PcapError, SkipCounts};
pub use write::{PcapWriteError, PcapWriter, MAX_SEGMENT_PAYLOAD};

/// The transport a payload travelled on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transport {
    /// UDP: one datagram per packet.
    Udp,
    /// TCP: one segment per packet; the server's importer reassembles the streams.
    Tcp,
}

/// One UDP datagram or TCP segment payload read from a capture file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CapturedPacket {
    /// Capture time, microseconds since the Unix epoch (nanosecond files are truncated).
    pub ts_us: i64,
    /// Source address and port.
    pub src: SocketAddr,
    /// Destination address and port.
    pub dst: SocketAddr,
    /// UDP or TCP.
    pub transport: Transport,
    /// TCP only: the sequence number of the segment's first payload byte.
    pub tcp_seq: Option<u32>,
    /// The transport payload, as captured.
    pub payload: Vec<u8>,
    /// A UDP payload starting with the `HEP3` magic: decode it with [`crate::hep::decode`]
    /// rather than treating it as SIP.
    pub is_hep: bool,
}
