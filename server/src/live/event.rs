//! One live event and its WebSocket frame: homer-core's `hepstream.Event` JSON (reference
//! `docs/hep-and-live-stream.md` §4.6), built from a decoded [`HepPacket`] or read back from another node's frame.
//!
//! SIP fields come from a [`Summarizer`] hook so this module holds no SIP parser of its own; the shared
//! scanner in `app::domain::sip` plugs in there. No I/O.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::hep::{HepPacket, ProtoType};

/// The SIP fields of a live frame (the `sip` object). Empty strings are left out of the JSON.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SipSummary {
    /// The CSeq method (so a `200` to an INVITE says `INVITE`); the request-line method as fallback.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub method: String,
    /// Status code of a response as text (`"200"`); empty for requests.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub resp_code: String,
    /// Reason phrase of a response; empty for requests.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub resp_text: String,
    /// The Call-ID header value.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub callid: String,
    /// The CSeq header value (`"1 INVITE"`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cseq: String,
    /// User part of the From URI.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub from_user: String,
    /// User part of the To URI.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub to_user: String,
    /// User part of the Request-URI; empty for responses.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub ruri_user: String,
}

impl SipSummary {
    /// True for a response (it has a status code).
    pub fn is_response(&self) -> bool {
        !self.resp_code.is_empty()
    }
}

/// The seam to the SIP scanner: SIP payload bytes -> frame fields, `None` when they do not parse.
///
/// Called once per SIP packet on the ingest path, so it must be cheap and must not panic.
pub type Summarizer = fn(&[u8]) -> Option<SipSummary>;

/// The HEP proto id of SIP (chunk 0x0b = 1).
pub const PROTO_SIP: u8 = 1;

/// Where an event came from: captured by this process, or relayed from an upstream node's stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Decoded by this process's HEP receiver.
    Local,
    /// Read from another node's `/stream` (fan-in).
    Relayed,
}

/// One event of the live stream. Shared between subscribers as `Arc<LiveEvent>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveEvent {
    /// Capture time, milliseconds since the Unix epoch.
    pub ts_ms: i64,
    /// HEP proto type id (1 SIP, 5 RTCP, 100 log, ...).
    pub proto: u8,
    /// Source IP as text; empty when unknown.
    pub src_ip: String,
    /// Source port; 0 when unknown.
    pub src_port: u16,
    /// Destination IP as text; empty when unknown.
    pub dst_ip: String,
    /// Destination port; 0 when unknown.
    pub dst_port: u16,
    /// Capture agent id (HEP chunk 0x0c); 0 when absent.
    pub node_id: u32,
    /// SIP fields, only for SIP that parsed.
    pub sip: Option<SipSummary>,
    /// The payload as text (lossy UTF-8); sent only where the payload policy allows.
    pub payload: String,
    /// Local capture or relayed from a node.
    pub origin: Origin,
}

impl LiveEvent {
    /// Builds the event for a decoded packet. `received_at_us` stands in for a missing capture time.
    pub fn from_packet(
        packet: &HepPacket,
        received_at_us: i64,
        summarize: Option<Summarizer>,
    ) -> LiveEvent {
        let proto = packet.proto_type.to_u8();
        let sip = match (packet.proto_type, summarize) {
            (ProtoType::Sip, Some(summarize)) => summarize(&packet.payload),
            _ => None,
        };
        LiveEvent {
            ts_ms: packet.ts_us.unwrap_or(received_at_us).div_euclid(1000),
            proto,
            src_ip: packet.src.ip().to_string(),
            src_port: packet.src.port(),
            dst_ip: packet.dst.ip().to_string(),
            dst_port: packet.dst.port(),
            node_id: packet.capture_id,
            sip,
            payload: String::from_utf8_lossy(&packet.payload).into_owned(),
            origin: Origin::Local,
        }
    }

    /// About how many bytes of memory the event holds (its strings and the struct), for the
    /// ring buffer's byte bound.
    pub fn approx_bytes(&self) -> usize {
        let sip = self.sip.as_ref().map_or(0, |s| {
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
                + std::mem::size_of::<SipSummary>()
        });
        std::mem::size_of::<LiveEvent>()
            + self.payload.len()
            + self.src_ip.len()
            + self.dst_ip.len()
            + sip
    }

    /// The JSON text of this event's frame; the payload only when `with_payload`.
    pub fn to_frame_json(&self, with_payload: bool) -> String {
        let frame = Frame {
            ts: self.ts_ms,
            proto: self.proto,
            src_ip: &self.src_ip,
            src_port: self.src_port,
            dst_ip: &self.dst_ip,
            dst_port: self.dst_port,
            node_id: self.node_id,
            sip: self.sip.as_ref(),
            payload: if with_payload && !self.payload.is_empty() {
                Some(&self.payload)
            } else {
                None
            },
        };
        // Serialising plain strings and integers cannot fail; an empty object would only hide a bug.
        serde_json::to_string(&frame).unwrap_or_else(|_| String::from("{}"))
    }

    /// Reads another node's frame (fan-in). The event is marked [`Origin::Relayed`].
    ///
    /// # Errors
    /// The text is not a JSON object with at least `ts` and `proto`.
    pub fn from_frame_json(text: &str) -> Result<LiveEvent, serde_json::Error> {
        if !text.trim_start().starts_with('{') {
            // serde would also read a JSON array positionally; only objects are frames.
            return Err(serde::de::Error::custom("a live frame is a JSON object"));
        }
        let frame: OwnedFrame = serde_json::from_str(text)?;
        Ok(LiveEvent {
            ts_ms: frame.ts,
            proto: frame.proto,
            src_ip: frame.src_ip,
            src_port: frame.src_port,
            dst_ip: frame.dst_ip,
            dst_port: frame.dst_port,
            node_id: frame.node_id,
            sip: frame.sip,
            payload: frame.payload,
            origin: Origin::Relayed,
        })
    }
}

/// A shared event, as it travels through the broker.
pub type SharedEvent = Arc<LiveEvent>;

fn is_zero_u16(v: &u16) -> bool {
    *v == 0
}

fn is_zero_u32(v: &u32) -> bool {
    *v == 0
}

/// The frame as written: Go `omitempty` semantics, never `null`.
#[derive(Serialize)]
struct Frame<'a> {
    ts: i64,
    proto: u8,
    #[serde(skip_serializing_if = "str::is_empty")]
    src_ip: &'a str,
    #[serde(skip_serializing_if = "is_zero_u16")]
    src_port: u16,
    #[serde(skip_serializing_if = "str::is_empty")]
    dst_ip: &'a str,
    #[serde(skip_serializing_if = "is_zero_u16")]
    dst_port: u16,
    #[serde(skip_serializing_if = "is_zero_u32")]
    node_id: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    sip: Option<&'a SipSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload: Option<&'a String>,
}

/// The frame as read from a node: `ts` and `proto` required, the rest optional (absent or null).
#[derive(Deserialize)]
struct OwnedFrame {
    ts: i64,
    proto: u8,
    #[serde(default, deserialize_with = "null_as_default")]
    src_ip: String,
    #[serde(default, deserialize_with = "null_as_default")]
    src_port: u16,
    #[serde(default, deserialize_with = "null_as_default")]
    dst_ip: String,
    #[serde(default, deserialize_with = "null_as_default")]
    dst_port: u16,
    #[serde(default, deserialize_with = "null_as_default")]
    node_id: u32,
    #[serde(default)]
    sip: Option<SipSummary>,
    #[serde(default, deserialize_with = "null_as_default")]
    payload: String,
}

fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn invite_summary(_: &[u8]) -> Option<SipSummary> {
        Some(SipSummary {
            method: "INVITE".into(),
            callid: "abc@host".into(),
            cseq: "1 INVITE".into(),
            from_user: "1001".into(),
            to_user: "2002".into(),
            ruri_user: "2002".into(),
            ..SipSummary::default()
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
        let event = LiveEvent::from_packet(&sip_packet(), 0, Some(invite_summary));
        let frame: Value = serde_json::from_str(&event.to_frame_json(false)).unwrap();
        assert_eq!(
            frame,
            json!({"ts":1_700_000_123_456_i64,"proto":1,"src_ip":"10.0.0.5","src_port":5060,
                   "dst_ip":"10.0.0.9","dst_port":5070,"node_id":2001,
                   "sip":{"method":"INVITE","callid":"abc@host","cseq":"1 INVITE","from_user":"1001",
                          "to_user":"2002","ruri_user":"2002"}})
        );
        let with: Value = serde_json::from_str(&event.to_frame_json(true)).unwrap();
        assert_eq!(with["payload"], "INVITE sip:2002@example.com SIP/2.0\r\n");
    }

    #[test]
    fn frame_leaves_out_zero_and_empty_fields_instead_of_null() {
        let mut packet = sip_packet();
        packet.capture_id = 0;
        packet.proto_type = ProtoType::Log;
        packet.src = "0.0.0.0:0".parse().unwrap();
        packet.payload.clear();
        let event = LiveEvent::from_packet(&packet, 0, Some(invite_summary));
        let text = event.to_frame_json(true);
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
        let event = LiveEvent::from_packet(&packet, 42_000_999, None);
        assert_eq!(event.ts_ms, 42_000);
        assert_eq!(event.sip, None);
    }

    #[test]
    fn summarizer_runs_only_for_sip() {
        let mut packet = sip_packet();
        packet.proto_type = ProtoType::Rtcp;
        assert_eq!(
            LiveEvent::from_packet(&packet, 0, Some(invite_summary)).sip,
            None
        );
    }

    #[test]
    fn frame_round_trips_with_payload_and_is_marked_relayed() {
        let event = LiveEvent::from_packet(&sip_packet(), 0, Some(invite_summary));
        let back = LiveEvent::from_frame_json(&event.to_frame_json(true)).unwrap();
        assert_eq!(back.origin, Origin::Relayed);
        assert_eq!(
            LiveEvent {
                origin: Origin::Local,
                ..back
            },
            event
        );
    }

    #[test]
    fn frame_reader_accepts_nulls_and_rejects_non_events() {
        let e =
            LiveEvent::from_frame_json(r#"{"ts":5,"proto":100,"src_ip":null,"sip":null}"#).unwrap();
        assert_eq!((e.ts_ms, e.proto, e.src_ip.as_str()), (5, 100, ""));
        assert!(LiveEvent::from_frame_json(r#"{"proto":1}"#).is_err());
        assert!(LiveEvent::from_frame_json("[1,2]").is_err());
        assert!(LiveEvent::from_frame_json("not json").is_err());
    }
}
