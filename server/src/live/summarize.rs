//! The live stream's `sip` block, read with the one shared SIP scanner (`hepscope_core::sip`).

use hepscope_core::sip::{scan, StartLine};

use hepscope_core::live::LiveSip;

/// The SIP fields of a live frame, or `None` when the payload is not SIP.
pub fn sip_summary(payload: &[u8]) -> Option<LiveSip> {
    let message = scan(payload).ok()?;
    let (resp_code, resp_text) = match message.start_line() {
        StartLine::Response { code, reason } => (code.to_string(), reason.to_string()),
        StartLine::Request { .. } => (String::new(), String::new()),
    };
    let method = message
        .cseq()
        .map(|c| c.method.as_str().to_string())
        .or_else(|| message.method().map(|m| m.as_str().to_string()))
        .unwrap_or_default();
    Some(LiveSip {
        method,
        resp_code,
        resp_text,
        callid: message.call_id().unwrap_or_default().to_string(),
        cseq: message
            .cseq()
            .map(|c| format!("{} {}", c.seq, c.method.as_str()))
            .unwrap_or_default(),
        from_user: message.from_user().unwrap_or_default().to_string(),
        to_user: message.to_user().unwrap_or_default().to_string(),
        ruri_user: message.ruri_user().unwrap_or_default().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_response_names_its_cseq_method_and_status() {
        let raw = b"SIP/2.0 486 Busy Here\r\nCall-ID: abc@h\r\nCSeq: 1 INVITE\r\nFrom: <sip:+4922112345@a>;tag=1\r\nTo: <sip:200@b>;tag=2\r\n\r\n";
        let s = sip_summary(raw).unwrap();
        assert_eq!(s.method, "INVITE");
        assert_eq!(s.resp_code, "486");
        assert_eq!(s.resp_text, "Busy Here");
        assert_eq!(s.callid, "abc@h");
        assert_eq!(s.cseq, "1 INVITE");
        assert_eq!(s.from_user, "+4922112345");
        assert_eq!(s.to_user, "200");
        assert_eq!(s.ruri_user, "");
    }

    #[test]
    fn a_request_has_its_r_uri_user_and_no_status() {
        let raw = b"INVITE sip:100@pbx SIP/2.0\nCall-ID: x\nCSeq: 2 INVITE\nFrom: <sip:a@h>\nTo: <sip:100@pbx>\n\n";
        let s = sip_summary(raw).unwrap();
        assert_eq!(s.method, "INVITE");
        assert_eq!(s.resp_code, "");
        assert_eq!(s.ruri_user, "100");
    }

    #[test]
    fn rtcp_json_is_not_sip() {
        assert!(sip_summary(br#"{"type":200}"#).is_none());
    }
}
