//! One live event as the broker carries it: the wire type [`LiveEvent`] of `hepscope_core::live` (the
//! frame both ends read, reference `docs/hep-and-live-stream.md` §4.6) plus where it came from, built
//! from a decoded [`HepPacket`] or read back from another node's frame.
//!
//! SIP fields come from a [`Summarizer`] hook so this module holds no SIP parser of its own; the shared
//! scanner in `hepscope_core::sip` plugs in there. No I/O.

use std::sync::Arc;

use hepscope_core::live::{parse_frame, Frame, FrameError, LiveEvent, LiveSip};

use crate::hep::{HepPacket, ProtoType};

/// The seam to the SIP scanner: SIP payload bytes -> frame fields, `None` when they do not parse.
///
/// Called once per SIP packet on the ingest path, so it must be cheap and must not panic.
pub type Summarizer = fn(&[u8]) -> Option<LiveSip>;

/// Where an event came from: captured by this process, or relayed from an upstream node's stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Decoded by this process's HEP receiver.
    Local,
    /// Read from another node's `/stream` (fan-in).
    Relayed,
}

/// One event of the live stream with its origin (which is never sent: a node passes on only its own
/// captures, so two nodes relaying each other cannot loop). Shared between subscribers as
/// [`SharedEvent`]; the payload is kept and left out per subscriber by [`LiveEvent::to_json`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamEvent {
    /// The frame as sent.
    pub event: LiveEvent,
    /// Local capture or relayed from a node.
    pub origin: Origin,
}

/// A shared event, as it travels through the broker.
pub type SharedEvent = Arc<StreamEvent>;

/// Why another node's frame was not relayed.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// Not a frame.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// A stats frame: counters of the node's own subscriber, nothing to relay.
    #[error("a stats frame is not an event")]
    Stats,
}

impl StreamEvent {
    /// A local event.
    pub fn local(event: LiveEvent) -> StreamEvent {
        StreamEvent {
            event,
            origin: Origin::Local,
        }
    }

    /// Builds the event for a decoded packet. `received_at_us` stands in for a missing capture time.
    /// HEP's "unknown" values (port 0, capture id 0, no payload) become absent fields.
    pub fn from_packet(
        packet: &HepPacket,
        received_at_us: i64,
        summarize: Option<Summarizer>,
    ) -> StreamEvent {
        let sip = match (packet.proto_type, summarize) {
            (ProtoType::Sip, Some(summarize)) => summarize(&packet.payload),
            _ => None,
        };
        let known = |port: u16| (port != 0).then_some(port);
        StreamEvent::local(LiveEvent {
            ts: packet.ts_us.unwrap_or(received_at_us).div_euclid(1000),
            proto: packet.proto_type.to_u8(),
            src_ip: packet.src.ip().to_string(),
            src_port: known(packet.src.port()),
            dst_ip: packet.dst.ip().to_string(),
            dst_port: known(packet.dst.port()),
            node_id: (packet.capture_id != 0).then_some(packet.capture_id),
            sip,
            payload: (!packet.payload.is_empty())
                .then(|| String::from_utf8_lossy(&packet.payload).into_owned()),
        })
    }

    /// Reads another node's frame (fan-in). The event is marked [`Origin::Relayed`].
    ///
    /// # Errors
    /// The text is not an event frame.
    pub fn from_relayed_frame(text: &str) -> Result<StreamEvent, RelayError> {
        match parse_frame(text)? {
            Frame::Event(event) => Ok(StreamEvent {
                event: *event,
                origin: Origin::Relayed,
            }),
            Frame::Stats(_) => Err(RelayError::Stats),
        }
    }

    /// About how many bytes of memory the event holds (its strings and the struct), for the
    /// ring buffer's byte bound.
    pub fn approx_bytes(&self) -> usize {
        let e = &self.event;
        let sip = e.sip.as_ref().map_or(0, |s| {
            [
                &s.method,
                &s.resp_code,
                &s.resp_text,
                &s.callid,
                &s.cseq,
                &s.from_user,
                &s.to_user,
                &s.ruri_user,
            ]
            .iter()
            .map(|f| f.len())
            .sum::<usize>()
                + std::mem::size_of::<LiveSip>()
        });
        std::mem::size_of::<StreamEvent>()
            + e.payload.as_ref().map_or(0, String::len)
            + e.src_ip.len()
            + e.dst_ip.len()
            + sip
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn invite_summary(_: &[u8]) -> Option<LiveSip> {
        Some(LiveSip {
            method: "INVITE".into(),
            callid: "abc@host".into(),
            cseq: "1 INVITE".into(),
            from_user: "1001".into(),
            to_user: "2002".into(),
            ruri_user: "2002".into(),
            ..LiveSip::default()
        })
    }

    fn sip_packet() -> HepPacket {
        let mut p = HepPacket::new(
            "10.0.0.5:5060".parse().unwrap(),
            "10.0.0.9:5070".parse().unwrap(),
            ProtoType::Sip,
            b"INVITE sip:2002@example.com SIP/2.0\r\n".to_vec(),
        );
        p.capture_id = 2001;
        p.ts_us = Some(1_700_000_123_456_789);
        p
    }

    #[test]
    fn frame_has_homer_core_fields_and_no_payload_unless_allowed() {
        let event = StreamEvent::from_packet(&sip_packet(), 0, Some(invite_summary));
        let frame: Value = serde_json::from_str(&event.event.to_json(false)).unwrap();
        assert_eq!(
            frame,
            json!({"ts":1_700_000_123_456_i64,"proto":1,"src_ip":"10.0.0.5","src_port":5060,
                   "dst_ip":"10.0.0.9","dst_port":5070,"node_id":2001,
                   "sip":{"method":"INVITE","callid":"abc@host","cseq":"1 INVITE","from_user":"1001",
                          "to_user":"2002","ruri_user":"2002"}})
        );
        let with: Value = serde_json::from_str(&event.event.to_json(true)).unwrap();
        assert_eq!(with["payload"], "INVITE sip:2002@example.com SIP/2.0\r\n");
    }

    #[test]
    fn frame_leaves_out_zero_and_empty_fields_instead_of_null() {
        let mut packet = sip_packet();
        packet.capture_id = 0;
        packet.proto_type = ProtoType::Log;
        packet.src = "0.0.0.0:0".parse().unwrap();
        packet.payload.clear();
        let event = StreamEvent::from_packet(&packet, 0, Some(invite_summary));
        let text = event.event.to_json(true);
        assert!(!text.contains("null"), "{text}");
        let frame: Value = serde_json::from_str(&text).unwrap();
        let keys: Vec<&str> = frame
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys.len(), 5, "{text}");
        for absent in ["src_port", "node_id", "sip", "payload"] {
            assert!(frame.get(absent).is_none(), "{absent} in {text}");
        }
    }

    #[test]
    fn missing_timestamp_uses_receive_time() {
        let mut packet = sip_packet();
        packet.ts_us = None;
        let event = StreamEvent::from_packet(&packet, 42_000_999, None);
        assert_eq!(event.event.ts, 42_000);
        assert_eq!(event.event.sip, None);
    }

    #[test]
    fn summarizer_runs_only_for_sip() {
        let mut packet = sip_packet();
        packet.proto_type = ProtoType::Rtcp;
        assert_eq!(
            StreamEvent::from_packet(&packet, 0, Some(invite_summary))
                .event
                .sip,
            None
        );
    }

    #[test]
    fn frame_round_trips_with_payload_and_is_marked_relayed() {
        let event = StreamEvent::from_packet(&sip_packet(), 0, Some(invite_summary));
        let back = StreamEvent::from_relayed_frame(&event.event.to_json(true)).unwrap();
        assert_eq!(back.origin, Origin::Relayed);
        assert_eq!(back.event, event.event);
    }

    #[test]
    fn frame_reader_accepts_nulls_and_rejects_non_events() {
        let e = StreamEvent::from_relayed_frame(r#"{"ts":5,"proto":100,"src_ip":null,"sip":null}"#)
            .unwrap()
            .event;
        assert_eq!((e.ts, e.proto, e.src_ip.as_str()), (5, 100, ""));
        for bad in [
            r#"{"proto":1}"#,
            "[1,2]",
            "not json",
            r#"{"stats":{"delivered":1}}"#,
        ] {
            assert!(StreamEvent::from_relayed_frame(bad).is_err(), "{bad}");
        }
    }
}
