//! One frame of the live stream (`/api/v4/stream/hep` for browsers, `/api/v4/stream/node` between
//! nodes): an event with homer-core's `hepstream.Event` fields (reference `docs/hep-and-live-stream.md`
//! §4.6), or a hepscope stats frame. The server writes it and reads other nodes' frames (fan-in), the
//! browser reads it: one type, so both ends agree on every field.
//!
//! Written as Go's `omitempty` would: unknown ports, node ids and empty strings are left out, never
//! `null`. Read leniently: only `ts` and `proto` are required, and `null` reads as absent.

use serde::{Deserialize, Serialize};

use crate::host::HostPort;

/// Why a frame could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// Not JSON, or JSON of another shape.
    #[error("unreadable live frame: {0}")]
    Json(#[from] serde_json::Error),
    /// JSON, but not an object (serde would otherwise read an array positionally).
    #[error("a live frame is a JSON object")]
    NotObject,
}

/// The HEP proto id of SIP (chunk 0x000b = 1).
pub const PROTO_SIP: u8 = 1;

/// The parsed SIP fields of an event (each empty when the server left it out).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LiveSip {
    /// CSeq method (so a `200` to an INVITE says `INVITE`); the request-line method as fallback.
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
    /// The whole CSeq value (`"1 INVITE"`).
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

impl LiveSip {
    /// True for a response (it has a status code).
    pub fn is_response(&self) -> bool {
        !self.resp_code.is_empty()
    }
}

/// One captured event.
///
/// Field types follow HEP3: `proto` is the one-byte chunk 0x000b, `node_id` the 32-bit capture agent
/// id (chunk 0x000c). Unknown values are `None` (a port or node id of 0 is "unknown" in HEP too).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct LiveEvent {
    /// Capture time, ms since the Unix epoch.
    pub ts: i64,
    /// HEP proto id (1 SIP, 5 RTCP, 100 log, …).
    pub proto: u8,
    /// Source IP as text; empty when unknown.
    #[serde(default, deserialize_with = "null_as_default")]
    pub src_ip: String,
    /// Source port, when known.
    #[serde(default)]
    pub src_port: Option<u16>,
    /// Destination IP as text; empty when unknown.
    #[serde(default, deserialize_with = "null_as_default")]
    pub dst_ip: String,
    /// Destination port, when known.
    #[serde(default)]
    pub dst_port: Option<u16>,
    /// Capture agent id, when the packet carried one.
    #[serde(default)]
    pub node_id: Option<u32>,
    /// SIP fields, for SIP that parsed.
    #[serde(default)]
    pub sip: Option<LiveSip>,
    /// The raw message as text, only where the server's payload policy allows it.
    #[serde(default)]
    pub payload: Option<String>,
}

/// hepscope's `stats=1` counters for this subscriber.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StreamStats {
    /// Events sent to this subscriber.
    pub delivered: u64,
    /// Events dropped because this subscriber's queue was full.
    pub dropped_backpressure: u64,
    /// Events dropped by the per-subscriber rate limit.
    pub dropped_rate: u64,
}

impl StreamStats {
    /// All events the server dropped for this subscriber.
    pub fn dropped(&self) -> u64 {
        self.dropped_backpressure.saturating_add(self.dropped_rate)
    }

    /// The frame's JSON text: `{"stats":{…}}`.
    pub fn to_json(&self) -> String {
        // Serialising three integers cannot fail; an empty object would only hide a bug.
        serde_json::to_string(&StatsFrame { stats: *self }).unwrap_or_else(|_| String::from("{}"))
    }
}

/// One WebSocket message of the stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// A captured event.
    Event(Box<LiveEvent>),
    /// Counters (told apart by their `stats` key).
    Stats(StreamStats),
}

#[derive(Serialize, Deserialize)]
struct StatsFrame {
    stats: StreamStats,
}

/// Reads one frame.
///
/// # Errors
/// The text is not a JSON object, or an event without `ts` and `proto`.
pub fn parse_frame(text: &str) -> Result<Frame, FrameError> {
    let value: serde_json::Value = serde_json::from_str(text)?;
    if !value.is_object() {
        return Err(FrameError::NotObject);
    }
    if value.get("stats").is_some() {
        let frame: StatsFrame = serde_json::from_value(value)?;
        return Ok(Frame::Stats(frame.stats));
    }
    Ok(Frame::Event(Box::new(serde_json::from_value(value)?)))
}

impl Serialize for LiveEvent {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        WireEvent::new(self, true).serialize(serializer)
    }
}

impl LiveEvent {
    /// The frame's JSON text; the payload only when `with_payload` (the subscriber's payload policy),
    /// so one shared event serves subscribers with and without the right to see payloads.
    pub fn to_json(&self, with_payload: bool) -> String {
        // Serialising plain strings and integers cannot fail; an empty object would only hide a bug.
        serde_json::to_string(&WireEvent::new(self, with_payload))
            .unwrap_or_else(|_| String::from("{}"))
    }

    /// The SIP Call-ID, empty for non-SIP events.
    pub fn call_id(&self) -> &str {
        self.sip.as_ref().map_or("", |s| s.callid.as_str())
    }

    /// True for a SIP response.
    pub fn is_response(&self) -> bool {
        self.sip.as_ref().is_some_and(LiveSip::is_response)
    }

    /// The table's method-or-status text: `INVITE`, `200 OK`, or the protocol of non-SIP events.
    pub fn label(&self) -> String {
        match &self.sip {
            Some(sip) if !sip.resp_code.is_empty() => {
                format!("{} {}", sip.resp_code, sip.resp_text)
                    .trim_end()
                    .to_owned()
            }
            Some(sip) => sip.method.clone(),
            None => Self::proto_name(self.proto).to_owned(),
        }
    }

    /// A HEP proto id's name.
    pub fn proto_name(proto: u8) -> &'static str {
        match proto {
            1 => "SIP",
            5 => "RTCP",
            34 | 35 => "RTP report",
            53 => "DNS",
            100 => "LOG",
            _ => "other",
        }
    }

    /// The sender.
    pub fn src(&self) -> HostPort {
        HostPort {
            ip: self.src_ip.clone(),
            port: self.src_port,
        }
    }

    /// The receiver.
    pub fn dst(&self) -> HostPort {
        HostPort {
            ip: self.dst_ip.clone(),
            port: self.dst_port,
        }
    }
}

/// The event as written, borrowed so that leaving out the payload costs no copy.
#[derive(Serialize)]
struct WireEvent<'a> {
    ts: i64,
    proto: u8,
    #[serde(skip_serializing_if = "str::is_empty")]
    src_ip: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    src_port: Option<u16>,
    #[serde(skip_serializing_if = "str::is_empty")]
    dst_ip: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    dst_port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    node_id: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sip: Option<&'a LiveSip>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload: Option<&'a str>,
}

impl<'a> WireEvent<'a> {
    fn new(event: &'a LiveEvent, with_payload: bool) -> Self {
        WireEvent {
            ts: event.ts,
            proto: event.proto,
            src_ip: &event.src_ip,
            src_port: event.src_port,
            dst_ip: &event.dst_ip,
            dst_port: event.dst_port,
            node_id: event.node_id,
            sip: event.sip.as_ref(),
            payload: event.payload.as_deref().filter(|_| with_payload),
        }
    }
}

fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVITE: &str = r#"{"ts":1700000123456,"proto":1,"src_ip":"10.0.0.5","src_port":5060,
        "dst_ip":"10.0.0.9","dst_port":5060,"node_id":2001,"sip":{"method":"INVITE","callid":"abc@h",
        "cseq":"1 INVITE","from_user":"1001","to_user":"2002","ruri_user":"2002"}}"#;
    const OK: &str = r#"{"ts":1700000123500,"proto":1,"src_ip":"10.0.0.9","src_port":5060,
        "dst_ip":"10.0.0.5","dst_port":5060,"sip":{"method":"INVITE","resp_code":"200","resp_text":"OK",
        "callid":"abc@h","cseq":"1 INVITE"}}"#;

    fn event(text: &str) -> LiveEvent {
        match parse_frame(text) {
            Ok(Frame::Event(e)) => *e,
            other => panic!("not an event: {other:?}"),
        }
    }

    #[test]
    fn parse_frame_reads_a_sip_event() {
        let e = event(INVITE);
        assert_eq!(e.ts, 1_700_000_123_456);
        assert_eq!(e.src_port, Some(5060));
        assert_eq!(e.node_id, Some(2001));
        assert_eq!(e.call_id(), "abc@h");
        assert_eq!(e.label(), "INVITE");
        assert!(!e.is_response());
        assert_eq!(e.payload, None);
    }

    #[test]
    fn parse_frame_reads_a_response_label_with_its_reason() {
        let e = event(OK);
        assert!(e.is_response());
        assert_eq!(e.label(), "200 OK");
    }

    #[test]
    fn parse_frame_accepts_a_minimal_non_sip_event() {
        let e = event(r#"{"ts":5,"proto":100}"#);
        assert_eq!(e.label(), "LOG");
        assert_eq!(e.call_id(), "");
        assert_eq!(e.src_port, None);
    }

    #[test]
    fn parse_frame_tells_a_stats_frame_by_its_key() {
        let frame =
            parse_frame(r#"{"stats":{"delivered":10,"dropped_backpressure":2,"dropped_rate":3}}"#);
        match frame {
            Ok(Frame::Stats(s)) => {
                assert_eq!(s.delivered, 10);
                assert_eq!(s.dropped(), 5);
            }
            other => panic!("not stats: {other:?}"),
        }
    }

    #[test]
    fn parse_frame_rejects_garbage_without_panicking() {
        assert!(parse_frame("not json").is_err());
        assert!(parse_frame(r#"{"proto":1}"#).is_err());
        assert!(parse_frame(r#"{"ts":"x","proto":1}"#).is_err());
        assert!(parse_frame("[]").is_err());
        assert!(parse_frame("[1,2]").is_err());
    }

    #[test]
    fn event_round_trips_and_leaves_out_unknown_fields_instead_of_null() {
        let e = event(INVITE);
        let text = e.to_json(true);
        assert!(!text.contains("null"), "{text}");
        assert_eq!(event(&text), e);
        let bare = LiveEvent {
            ts: 5,
            proto: 100,
            ..LiveEvent::default()
        };
        assert_eq!(bare.to_json(true), r#"{"ts":5,"proto":100}"#);
    }

    #[test]
    fn to_json_leaves_out_the_payload_unless_allowed() {
        let e = LiveEvent {
            payload: Some("INVITE sip:x SIP/2.0".into()),
            ..event(OK)
        };
        assert!(!e.to_json(false).contains("payload"));
        assert_eq!(
            event(&e.to_json(true)).payload.as_deref(),
            Some("INVITE sip:x SIP/2.0")
        );
        assert_eq!(serde_json::to_string(&e).ok(), Some(e.to_json(true)));
    }

    #[test]
    fn parse_frame_reads_nulls_as_absent() {
        let e = event(r#"{"ts":5,"proto":100,"src_ip":null,"src_port":null,"sip":null}"#);
        assert_eq!(
            (e.ts, e.proto, e.src_ip.as_str(), e.src_port),
            (5, 100, "", None)
        );
        assert_eq!(e.sip, None);
    }

    #[test]
    fn stats_frame_round_trips() {
        let stats = StreamStats {
            delivered: 3,
            dropped_backpressure: 1,
            dropped_rate: 2,
        };
        assert_eq!(
            parse_frame(&stats.to_json()).ok(),
            Some(Frame::Stats(stats))
        );
    }
}
