//! hepscope's server.
//!
//! - [`hep`]: HEP v1/v2/v3 decoding, HEP3 encoding and HEP3-over-TCP framing (pure, no I/O).
//! - [`pcap`]: classic libpcap writing and pcap/pcapng reading of SIP and HEP traffic.

pub mod hep;
pub mod pcap;
