//! HEP3 over TCP: a byte stream of back-to-back packets, each framed only by the total length
//! in its own 6-byte header (`docs/hep-and-live-stream.md` §1.6).
//!
//! [`HepFramer`] buffers what the socket gives it and hands out whole packets. Like
//! homer-core's TCP reader it checks the `HEP3` magic before trusting the length; a framing
//! error means the stream is lost, and the caller closes that connection. Pure: no I/O.

use bytes::{Bytes, BytesMut};
use thiserror::Error;

use super::chunk::{MAGIC, PACKET_HEADER_LEN};

/// The default largest packet: all the 16-bit total length can describe.
pub const DEFAULT_MAX_PACKET: usize = u16::MAX as usize;

/// Why a HEP3 TCP stream cannot be framed any further. The connection should be closed.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum FramingError {
    /// The next packet does not start with `HEP3` (only HEP3 is sent over TCP).
    #[error("stream does not start a packet with \"HEP3\" (found {found:02x?})")]
    BadMagic {
        /// The bytes found where the magic should be (at most 4).
        found: Vec<u8>,
    },
    /// The total length is under the 6-byte header or over the configured cap.
    #[error("HEP3 total length {declared} is outside 6..={max}")]
    BadLength {
        /// The total length field as sent.
        declared: u16,
        /// The configured cap, in bytes.
        max: usize,
    },
}

impl FramingError {
    /// A short, stable label for metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            FramingError::BadMagic { .. } => "bad_magic",
            FramingError::BadLength { .. } => "bad_length",
        }
    }
}

/// Splits a HEP3 TCP stream into packets; one per connection.
#[derive(Debug)]
pub struct HepFramer {
    /// Bytes received and not yet returned as a packet.
    buf: BytesMut,
    /// Largest accepted total length, in bytes; a longer packet is a framing error.
    max_packet: usize,
}

impl Default for HepFramer {
    fn default() -> Self {
        HepFramer::new(DEFAULT_MAX_PACKET)
    }
}

impl HepFramer {
    /// A framer rejecting packets longer than `max_packet` bytes.
    pub fn new(max_packet: usize) -> Self {
        HepFramer {
            buf: BytesMut::new(),
            max_packet,
        }
    }

    /// Appends bytes read from the socket.
    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// Bytes buffered but not yet returned (a partial packet at a clean close is lost data).
    pub fn buffered_len(&self) -> usize {
        self.buf.len()
    }

    /// The next whole packet (header included), or `None` until more bytes arrive.
    ///
    /// Call it in a loop after each [`push`](Self::push): one read may carry several packets.
    ///
    /// # Errors
    ///
    /// [`FramingError`] when the buffered bytes cannot start a HEP3 packet; the stream cannot
    /// be resynchronised, so close the connection.
    pub fn next_packet(&mut self) -> Result<Option<Bytes>, FramingError> {
        // Check whatever part of the magic has arrived, so garbage fails fast.
        let magic_seen = self.buf.len().min(MAGIC.len());
        let head = self.buf.get(..magic_seen).unwrap_or_default();
        if !MAGIC.starts_with(head) {
            return Err(FramingError::BadMagic {
                found: head.to_vec(),
            });
        }
        let Some(&[_, _, _, _, hi, lo]) = self.buf.get(..PACKET_HEADER_LEN) else {
            return Ok(None);
        };
        let declared = u16::from_be_bytes([hi, lo]);
        let total = usize::from(declared);
        if total < PACKET_HEADER_LEN || total > self.max_packet {
            return Err(FramingError::BadLength {
                declared,
                max: self.max_packet,
            });
        }
        if self.buf.len() < total {
            self.buf.reserve(total - self.buf.len());
            return Ok(None);
        }
        Ok(Some(self.buf.split_to(total).freeze()))
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::hep::{decode, encode, HepPacket, ProtoType};
    use proptest::prelude::*;

    fn packet(payload: &str) -> Vec<u8> {
        let p = HepPacket::new(
            "10.0.0.1:5060".parse().unwrap(),
            "10.0.0.2:5060".parse().unwrap(),
            ProtoType::Sip,
            payload.as_bytes().to_vec(),
        );
        encode(&p, false).unwrap()
    }

    fn drain(framer: &mut HepFramer) -> Vec<Bytes> {
        let mut out = Vec::new();
        while let Some(p) = framer.next_packet().unwrap() {
            out.push(p);
        }
        out
    }

    #[test]
    fn framer_returns_several_packets_from_one_read() {
        let (a, b) = (packet("first"), packet("second one"));
        let mut framer = HepFramer::default();
        framer.push(&[a.clone(), b.clone(), a.clone()].concat());
        let got = drain(&mut framer);
        assert_eq!(got, vec![a.clone(), b, a]);
        assert_eq!(framer.buffered_len(), 0);
    }

    #[test]
    fn framer_handles_every_split_point_of_a_two_packet_stream() {
        let (a, b) = (packet("INVITE"), packet("200 OK"));
        let stream = [a.clone(), b.clone()].concat();
        for cut in 0..=stream.len() {
            let mut framer = HepFramer::default();
            framer.push(&stream[..cut]);
            let mut got = drain(&mut framer);
            framer.push(&stream[cut..]);
            got.extend(drain(&mut framer));
            assert_eq!(got, vec![a.clone(), b.clone()], "split at {cut}");
            assert_eq!(framer.buffered_len(), 0);
        }
    }

    #[test]
    fn framer_handles_byte_by_byte_delivery() {
        let stream = [packet("a"), packet("b"), packet("c")].concat();
        let mut framer = HepFramer::default();
        let mut got = Vec::new();
        for byte in &stream {
            framer.push(std::slice::from_ref(byte));
            got.extend(drain(&mut framer));
        }
        let payloads: Vec<Vec<u8>> = got.iter().map(|p| decode(p).unwrap().payload).collect();
        assert_eq!(payloads, vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]);
    }

    #[test]
    fn framer_waits_on_an_incomplete_header() {
        let mut framer = HepFramer::default();
        framer.push(b"HEP");
        assert_eq!(framer.next_packet(), Ok(None));
    }

    #[test]
    fn framer_rejects_bad_magic_early() {
        let mut framer = HepFramer::default();
        framer.push(b"GET");
        assert_eq!(framer.next_packet().unwrap_err().reason(), "bad_magic");
    }

    #[test]
    fn framer_rejects_bad_magic_after_a_good_packet() {
        let mut framer = HepFramer::default();
        framer.push(&packet("ok"));
        framer.push(b"HEP2\x00\x10");
        assert!(framer.next_packet().unwrap().is_some());
        assert_eq!(framer.next_packet().unwrap_err().reason(), "bad_magic");
    }

    #[test]
    fn framer_rejects_length_under_header() {
        let mut framer = HepFramer::default();
        framer.push(b"HEP3\x00\x05");
        assert_eq!(
            framer.next_packet(),
            Err(FramingError::BadLength {
                declared: 5,
                max: DEFAULT_MAX_PACKET
            })
        );
    }

    #[test]
    fn framer_rejects_length_over_cap() {
        let mut framer = HepFramer::new(100);
        framer.push(b"HEP3\x00\x65");
        assert_eq!(framer.next_packet().unwrap_err().reason(), "bad_length");
        let mut framer = HepFramer::new(100);
        framer.push(b"HEP3\x00\x64");
        assert_eq!(framer.next_packet(), Ok(None));
    }

    proptest! {
        #[test]
        fn framer_never_panics_and_frames_by_declared_length(
            reads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 0..8),
            prefix_valid in any::<bool>(),
        ) {
            let mut framer = HepFramer::new(64);
            if prefix_valid {
                framer.push(b"HEP3");
            }
            'outer: for read in reads {
                framer.push(&read);
                loop {
                    match framer.next_packet() {
                        Ok(Some(p)) => {
                            let declared = u16::from_be_bytes([p[4], p[5]]);
                            prop_assert_eq!(usize::from(declared), p.len());
                        }
                        Ok(None) => break,
                        Err(_) => break 'outer,
                    }
                }
            }
        }
    }
}
