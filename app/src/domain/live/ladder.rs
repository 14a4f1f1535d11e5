//! Live events as ladder messages, so the live view draws its ladder with the same layout as a call.

use hepscope_core::live::LiveEvent;

use crate::domain::ladder::LadderMessage;

/// The event as a ladder message. Without a payload the label comes from the frame's SIP fields:
/// the reply code for responses, else the CSeq method, with the CSeq for the transaction.
pub fn to_ladder_message(event: &LiveEvent) -> LadderMessage {
    let (method, cseq) = match &event.sip {
        Some(sip) if sip.is_response() => (sip.resp_code.clone(), sip.cseq.clone()),
        Some(sip) => (sip.method.clone(), sip.cseq.clone()),
        None => (String::new(), String::new()),
    };
    LadderMessage {
        time_us: event.ts.saturating_mul(1000),
        src: event.src(),
        dst: event.dst(),
        payload_type: Some(i64::from(event.proto)),
        call_id: event.call_id().to_owned(),
        capture_id: event.node_id.map(|n| n.to_string()).unwrap_or_default(),
        method,
        cseq,
        raw: event.payload.clone(),
        row_id: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ladder::{layout, AliasTable, LadderOptions};
    use crate::domain::live::{parse_frame, Frame};

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
    fn ladder_messages_from_frames_without_payload_label_requests_and_responses() {
        let messages = vec![
            to_ladder_message(&event(INVITE)),
            to_ladder_message(&event(OK)),
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
        assert_eq!(
            messages.first().map(|m| m.capture_id.as_str()),
            Some("2001")
        );
    }
}
