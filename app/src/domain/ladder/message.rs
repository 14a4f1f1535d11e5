//! The ladder's input: one captured message (SIP, RTCP report or log line) with what the layout
//! needs from it, built from a HOMER row. SIP facts (label, CSeq, Via branch, SDP) come from the one
//! scanner in [`crate::domain::sip`]. Pure: no I/O.

use crate::domain::calls::HostPort;
use crate::domain::homer::HomerRow;
use crate::domain::sip::{self, Method, SipMessage, StartLine};

/// What a ladder row carries; HOMER's HEP payload type decides it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// SIP (HEP payload type 1).
    Sip,
    /// Media reports: RTCP (5) and RTP/RTCP agent reports (34, 35).
    Rtcp,
    /// Log lines (100) and any other non-SIP payload.
    Log,
}

impl MessageKind {
    /// Maps a HEP payload type; `None` (not sent) is SIP, as in search answers.
    pub fn from_payload_type(payload_type: Option<i64>) -> Self {
        match payload_type {
            None | Some(1) => MessageKind::Sip,
            Some(5 | 34 | 35) => MessageKind::Rtcp,
            Some(_) => MessageKind::Log,
        }
    }
}

/// One message to place on the ladder.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LadderMessage {
    /// Capture time, µs since the epoch.
    pub time_us: i64,
    /// Sender.
    pub src: HostPort,
    /// Receiver.
    pub dst: HostPort,
    /// HEP payload type of the row (see [`MessageKind::from_payload_type`]).
    pub payload_type: Option<i64>,
    /// Session id: the SIP Call-ID, or the correlation id of an RTCP or log row.
    pub call_id: String,
    /// Capture agent that saw the message (HEP capture id), used to tell duplicates apart.
    pub capture_id: String,
    /// HOMER's `method` field: request method or reply code; the label when `raw` is absent.
    pub method: String,
    /// HOMER's whole CSeq value (`"1 INVITE"`), used when `raw` is absent.
    pub cseq: String,
    /// The message text (SIP, RTCP JSON or log line); search answers omit it for SIP.
    pub raw: Option<String>,
    /// HOMER row id, for opening the message.
    pub row_id: Option<i64>,
}

impl LadderMessage {
    /// The message of a HOMER row; `None` when the row has no capture time.
    pub fn from_row(row: &HomerRow) -> Option<Self> {
        Some(Self {
            time_us: row.time_us()?,
            src: HostPort {
                ip: row.src_ip.clone(),
                port: row.src_port,
            },
            dst: HostPort {
                ip: row.dst_ip.clone(),
                port: row.dst_port,
            },
            payload_type: row.payload_type,
            call_id: if row.sid.is_empty() {
                row.callid.clone()
            } else {
                row.sid.clone()
            },
            capture_id: row.capture_id.clone(),
            method: row.method.clone(),
            cseq: row.cseq.clone(),
            raw: row.raw.clone(),
            row_id: row.id,
        })
    }

    /// The row's kind.
    pub fn kind(&self) -> MessageKind {
        MessageKind::from_payload_type(self.payload_type)
    }
}

/// Identifies one SIP transaction (RFC 3261 §17.1.3): the top Via branch with the CSeq number and
/// method. Rows sharing it are highlighted together.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TransactionKey {
    /// The topmost Via `branch` (empty when the raw message was not available).
    pub branch: String,
    /// CSeq sequence number.
    pub cseq: u32,
    /// CSeq method.
    pub method: Method,
}

/// What the layout reads from one message, computed once.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Facts {
    /// `"INVITE"`, `"200 OK"`, `"RTCP"`, `"LOG"`.
    pub(super) label: String,
    /// The request method of a SIP request.
    pub(super) method: Option<Method>,
    /// The reply code of a SIP response.
    pub(super) status: Option<u16>,
    pub(super) transaction: Option<TransactionKey>,
    pub(super) has_sdp: bool,
}

impl Facts {
    /// Reads a message: the raw SIP when it scans, else HOMER's `method` and `cseq` fields.
    pub(super) fn read(message: &LadderMessage) -> Self {
        match message.kind() {
            MessageKind::Rtcp => Self::plain("RTCP"),
            MessageKind::Log => Self::plain("LOG"),
            MessageKind::Sip => message
                .raw
                .as_deref()
                .and_then(|raw| sip::scan(raw.as_bytes()).ok())
                .map_or_else(|| Self::from_fields(message), |msg| Self::from_sip(&msg)),
        }
    }

    fn plain(label: &str) -> Self {
        Self {
            label: label.to_owned(),
            ..Self::default()
        }
    }

    fn from_sip(msg: &SipMessage) -> Self {
        let transaction = msg.cseq().map(|cseq| TransactionKey {
            branch: msg.via_branch().unwrap_or_default().to_owned(),
            cseq: cseq.seq,
            method: cseq.method.clone(),
        });
        let label = match msg.start_line() {
            StartLine::Response { code, reason } if reason.trim().is_empty() => {
                format!("{code} {}", default_reason(*code))
                    .trim_end()
                    .to_owned()
            }
            _ => msg.method_or_status_label(),
        };
        Self {
            label,
            method: msg.method().cloned(),
            status: msg.status(),
            transaction,
            has_sdp: msg.has_sdp(),
        }
    }

    fn from_fields(message: &LadderMessage) -> Self {
        let text = message.method.trim();
        let status = (text.len() == 3 && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse::<u16>().ok())
            .flatten();
        let mut words = message.cseq.split_whitespace();
        let cseq = words.next().and_then(|n| n.parse::<u32>().ok());
        let cseq_method = words.next().map(Method::parse);
        let transaction = cseq.zip(cseq_method).map(|(cseq, method)| TransactionKey {
            branch: String::new(),
            cseq,
            method,
        });
        let label = match status {
            Some(code) => format!("{code} {}", default_reason(code))
                .trim_end()
                .to_owned(),
            None => text.to_owned(),
        };
        Self {
            label,
            method: status.is_none().then(|| Method::parse(text)),
            status,
            transaction,
            has_sdp: false,
        }
    }
}

/// The RFC 3261 §21 reason phrase of common codes, for responses whose own phrase is missing
/// (HOMER rows without `raw`); empty for codes not listed.
pub fn default_reason(code: u16) -> &'static str {
    match code {
        100 => "Trying",
        180 => "Ringing",
        181 => "Call Is Being Forwarded",
        182 => "Queued",
        183 => "Session Progress",
        200 => "OK",
        202 => "Accepted",
        301 => "Moved Permanently",
        302 => "Moved Temporarily",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        500 => "Server Internal Error",
        503 => "Service Unavailable",
        504 => "Server Time-out",
        600 => "Busy Everywhere",
        603 => "Decline",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sip_message(raw: &str) -> LadderMessage {
        LadderMessage {
            payload_type: Some(1),
            raw: Some(raw.to_owned()),
            ..LadderMessage::default()
        }
    }

    #[test]
    fn facts_label_uses_wire_reason_phrase() {
        let raw = "SIP/2.0 486 Busy Right Now\r\nVia: SIP/2.0/UDP a;branch=z9hG4bKx\r\nCSeq: 7 INVITE\r\nCall-ID: c\r\n\r\n";
        let facts = Facts::read(&sip_message(raw));
        assert_eq!(facts.label, "486 Busy Right Now");
        assert_eq!(facts.status, Some(486));
        let key = facts.transaction.unwrap();
        assert_eq!((key.branch.as_str(), key.cseq), ("z9hG4bKx", 7));
        assert_eq!(key.method, Method::Invite);
    }

    #[test]
    fn facts_fall_back_to_homer_fields_without_raw() {
        let message = LadderMessage {
            method: "183".into(),
            cseq: "2 INVITE".into(),
            ..LadderMessage::default()
        };
        let facts = Facts::read(&message);
        assert_eq!(facts.label, "183 Session Progress");
        assert_eq!(facts.transaction.unwrap().cseq, 2);
        let request = LadderMessage {
            method: "BYE".into(),
            ..LadderMessage::default()
        };
        assert_eq!(Facts::read(&request).method, Some(Method::Bye));
    }

    #[test]
    fn kind_follows_payload_type() {
        for (pt, kind) in [
            (None, MessageKind::Sip),
            (Some(1), MessageKind::Sip),
            (Some(5), MessageKind::Rtcp),
            (Some(35), MessageKind::Rtcp),
            (Some(100), MessageKind::Log),
            (Some(54), MessageKind::Log),
        ] {
            assert_eq!(MessageKind::from_payload_type(pt), kind, "{pt:?}");
        }
    }
}
