//! One frame of `/api/v4/stream/hep`: an event (homer-core's fields) or a hepscope stats frame.
//! Absent fields are left out by the server, so every field but `ts` and `proto` is optional here.

use serde::Deserialize;

use crate::domain::calls::HostPort;
use crate::domain::ladder::LadderMessage;

/// Why a frame could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// Not JSON, or JSON of another shape.
    #[error("unreadable live frame: {0}")]
    Json(#[from] serde_json::Error),
}

/// The parsed SIP fields of an event (each empty when the server left it out).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct LiveSip {
    /// CSeq method (a `200` to an INVITE says `INVITE`).
    pub method: String,
    /// Reply code of a response; empty for requests.
    pub resp_code: String,
    /// Reply reason phrase.
    pub resp_text: String,
    /// Call-ID.
    pub callid: String,
    /// Whole CSeq value, `"1 INVITE"`.
    pub cseq: String,
    /// From user part.
    pub from_user: String,
    /// To user part.
    pub to_user: String,
    /// Request-URI user part.
    pub ruri_user: String,
}

/// One captured event.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct LiveEvent {
    /// Capture time, ms since the epoch.
    pub ts: i64,
    /// HEP proto id (1 SIP, 5 RTCP, 100 log, …).
    pub proto: u32,
    /// Source IP.
    #[serde(default)]
    pub src_ip: String,
    /// Source port.
    #[serde(default)]
    pub src_port: Option<u16>,
    /// Destination IP.
    #[serde(default)]
    pub dst_ip: String,
    /// Destination port.
    #[serde(default)]
    pub dst_port: Option<u16>,
    /// Capture node id.
    #[serde(default)]
    pub node_id: Option<u64>,
    /// SIP fields, for SIP that parsed.
    #[serde(default)]
    pub sip: Option<LiveSip>,
    /// The raw message, only when the server allowed it.
    #[serde(default)]
    pub payload: Option<String>,
}

/// hepscope's `stats=1` counters for this subscriber.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
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
}

/// One WebSocket message of the stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// A captured event.
    Event(Box<LiveEvent>),
    /// Counters (told apart by their `stats` key).
    Stats(StreamStats),
}

#[derive(Deserialize)]
struct StatsFrame {
    stats: StreamStats,
}

/// Reads one frame.
pub fn parse_frame(text: &str) -> Result<Frame, FrameError> {
    let value: serde_json::Value = serde_json::from_str(text)?;
    if value.get("stats").is_some() {
        let frame: StatsFrame = serde_json::from_value(value)?;
        return Ok(Frame::Stats(frame.stats));
    }
    Ok(Frame::Event(Box::new(serde_json::from_value(value)?)))
}

impl LiveEvent {
    /// The SIP Call-ID, empty for non-SIP events.
    pub fn call_id(&self) -> &str {
        self.sip.as_ref().map_or("", |s| s.callid.as_str())
    }

    /// True for a SIP response.
    pub fn is_response(&self) -> bool {
        self.sip.as_ref().is_some_and(|s| !s.resp_code.is_empty())
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
    pub fn proto_name(proto: u32) -> &'static str {
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

    /// The event as a ladder message. Without a payload the label comes from the frame's SIP fields:
    /// the reply code for responses, else the CSeq method, with the CSeq for the transaction.
    pub fn to_ladder_message(&self) -> LadderMessage {
        let (method, cseq) = match &self.sip {
            Some(sip) if !sip.resp_code.is_empty() => (sip.resp_code.clone(), sip.cseq.clone()),
            Some(sip) => (sip.method.clone(), sip.cseq.clone()),
            None => (String::new(), String::new()),
        };
        LadderMessage {
            time_us: self.ts.saturating_mul(1000),
            src: self.src(),
            dst: self.dst(),
            payload_type: Some(i64::from(self.proto)),
            call_id: self.call_id().to_owned(),
            capture_id: self.node_id.map(|n| n.to_string()).unwrap_or_default(),
            method,
            cseq,
            raw: self.payload.clone(),
            row_id: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ladder::{layout, AliasTable, LadderOptions};

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
    }

    #[test]
    fn ladder_messages_from_frames_without_payload_label_requests_and_responses() {
        let messages = vec![
            event(INVITE).to_ladder_message(),
            event(OK).to_ladder_message(),
        ];
        assert_eq!(
            messages.first().map(|m| m.time_us),
            Some(1_700_000_123_456_000)
        );
        let view = layout(&messages, &AliasTable::default(), &LadderOptions::default());
        let labels: Vec<&str> = view.rows.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(labels, ["INVITE", "200 OK"]);
        assert_eq!(view.lanes.len(), 2);
        assert_eq!(
            view.rows.first().map(|r| (r.from_lane, r.to_lane)),
            Some((0, 1))
        );
        assert_eq!(
            view.rows.get(1).map(|r| (r.from_lane, r.to_lane)),
            Some((1, 0))
        );
    }
}
