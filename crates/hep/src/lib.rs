//! hepscope's capture codecs, a crate of their own so that everything reading untrusted capture bytes
//! is pure and can be fuzzed without the server (Tokio, axum, SQLite, TLS):
//!
//! - [`hep`]: HEP v1/v2 (decode) and HEP3 (decode and encode), chunks, and the HEP3 framing over TCP.
//! - [`pcap`]: the libpcap writer of the PCAP export, and the pcap/pcapng reader of `import`.
//!
//! The server re-exports both modules (`server::hep`, `server::pcap`), so its paths are unchanged.

pub mod hep;
pub mod pcap;
