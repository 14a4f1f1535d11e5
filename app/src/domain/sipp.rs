//! A SIPp scenario from a captured call (`hepscope show --sipp`, the call view's "SIPp scenario"
//! download), to replay the signalling of one hop against a lab system.
//!
//! The two ends are those of the call's first INVITE: its sender is the UAC, its receiver the UAS.
//! Only the messages between those two addresses are used. From the chosen side, each message it
//! sent becomes a `<send>` (the captured text with SIPp keywords for addresses, Via branch,
//! Call-ID, Content-Length and SDP media address) and each message it received a `<recv>`; gaps of
//! at least [`MIN_PAUSE_MS`] before a send become `<pause>`. Retransmissions and copies from other
//! capture points are dropped. The XML is what SIPp's `-sf` loads. Pure: no I/O.

use crate::domain::homer::HomerRow;

/// Which end of the call the scenario plays.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SippRole {
    /// The sender of the first INVITE.
    #[default]
    Uac,
    /// Its receiver.
    Uas,
}

impl SippRole {
    /// `uac` or `uas`.
    pub fn as_str(self) -> &'static str {
        match self {
            SippRole::Uac => "uac",
            SippRole::Uas => "uas",
        }
    }
}

/// Shortest gap between captured messages that becomes a `<pause>` before a send.
pub const MIN_PAUSE_MS: i64 = 100;
/// Longest pause written (a long call's BYE would otherwise keep a replay waiting for hours).
pub const MAX_PAUSE_MS: i64 = 60_000;

/// Why no scenario could be written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SippError {
    /// No INVITE with its text among the rows.
    #[error("the call has no INVITE with its message text, so there is no UAC to replay")]
    NoInvite,
}

struct Step<'a> {
    time_us: i64,
    sent: bool,
    raw: &'a str,
}

/// The scenario of `role` for the call in `rows` (any order), named `name`.
///
/// # Errors
/// [`SippError::NoInvite`] without an INVITE carrying its text.
pub fn sipp_scenario(rows: &[HomerRow], role: SippRole, name: &str) -> Result<String, SippError> {
    let mut sip: Vec<(&HomerRow, &str)> = rows
        .iter()
        .filter(|r| matches!(r.payload_type, None | Some(1)))
        .filter_map(|r| r.raw.as_deref().map(|raw| (r, raw)))
        .collect();
    sip.sort_by_key(|(r, _)| r.time_us().unwrap_or(0));
    let (invite, _) = sip
        .iter()
        .find(|(r, raw)| r.method == "INVITE" || raw.starts_with("INVITE "))
        .ok_or(SippError::NoInvite)?;
    let uac = (invite.src_ip.clone(), invite.src_port);
    let uas = (invite.dst_ip.clone(), invite.dst_port);
    let me = match role {
        SippRole::Uac => &uac,
        SippRole::Uas => &uas,
    };
    let mut seen: Vec<(bool, String)> = Vec::new();
    let mut steps = Vec::new();
    for (row, raw) in &sip {
        let src = (row.src_ip.clone(), row.src_port);
        let dst = (row.dst_ip.clone(), row.dst_port);
        let between = (src == uac && dst == uas) || (src == uas && dst == uac);
        if !between {
            continue;
        }
        let sent = &src == me;
        let key = (sent, identity(raw));
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        steps.push(Step {
            time_us: row.time_us().unwrap_or(0),
            sent,
            raw,
        });
    }
    Ok(render(&steps, role, name))
}

/// What makes a message itself rather than a retransmission: start line, CSeq and Via branch.
fn identity(raw: &str) -> String {
    let start = raw.lines().next().unwrap_or_default().trim();
    let cseq = header(raw, &["cseq"]).unwrap_or_default();
    let branch = header(raw, &["via", "v"])
        .and_then(|via| {
            via.split(';')
                .find_map(|p| p.trim().strip_prefix("branch="))
        })
        .unwrap_or_default();
    format!("{start}|{cseq}|{branch}")
}

/// The first value of a header (by any of its names, lower case) in the message head.
fn header<'a>(raw: &'a str, names: &[&str]) -> Option<&'a str> {
    raw.lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            names
                .contains(&name.trim().to_ascii_lowercase().as_str())
                .then(|| value.trim())
        })
}

fn render(steps: &[Step<'_>], role: SippRole, name: &str) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"ISO-8859-1\" ?>\n<!DOCTYPE scenario SYSTEM \"sipp.dtd\">\n",
    );
    out.push_str(&format!(
        "<!-- {} side of a captured call, written by hepscope -->\n<scenario name=\"{}\">\n",
        role.as_str().to_ascii_uppercase(),
        xml_attr(name)
    ));
    let mut previous: Option<i64> = None;
    for step in steps {
        let start = step.raw.lines().next().unwrap_or_default().trim();
        let response = start.starts_with("SIP/2.0 ");
        if step.sent {
            if let Some(prev) = previous {
                let gap_ms = (step.time_us - prev) / 1000;
                if gap_ms >= MIN_PAUSE_MS {
                    out.push_str(&format!(
                        "  <pause milliseconds=\"{}\"/>\n",
                        gap_ms.min(MAX_PAUSE_MS)
                    ));
                }
            }
            out.push_str("  <send>\n    <![CDATA[\n");
            for line in send_text(step.raw, response).lines() {
                out.push_str("      ");
                out.push_str(line);
                out.push('\n');
            }
            out.push_str("\n    ]]>\n  </send>\n");
        } else if response {
            let code = start.split_whitespace().nth(1).unwrap_or("200");
            let optional = if code.starts_with('1') {
                " optional=\"true\""
            } else {
                ""
            };
            out.push_str(&format!("  <recv response=\"{code}\"{optional}/>\n"));
        } else {
            let method = start.split_whitespace().next().unwrap_or("INVITE");
            out.push_str(&format!("  <recv request=\"{}\"/>\n", xml_attr(method)));
        }
        previous = Some(step.time_us);
    }
    out.push_str("</scenario>\n");
    out
}

/// The captured text with SIPp keywords where a replay must differ.
fn send_text(raw: &str, response: bool) -> String {
    let (head, body) = match raw
        .split_once("\r\n\r\n")
        .or_else(|| raw.split_once("\n\n"))
    {
        Some((h, b)) => (h, b),
        None => (raw, ""),
    };
    let mut lines = head.lines();
    let start = lines.next().unwrap_or_default().trim();
    let mut out = Vec::new();
    out.push(if response {
        start.to_owned()
    } else {
        request_line(start)
    });
    let mut first_via = true;
    for line in lines {
        let Some((name, _)) = line.split_once(':') else {
            continue;
        };
        let lower = name.trim().to_ascii_lowercase();
        let text = match lower.as_str() {
            "via" | "v" if response => "[last_Via:]".to_owned(),
            "via" | "v" if first_via => {
                first_via = false;
                "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]".to_owned()
            }
            "via" | "v" => continue,
            "call-id" | "i" => "Call-ID: [call_id]".to_owned(),
            "content-length" | "l" => "Content-Length: [len]".to_owned(),
            "contact" | "m" => {
                "Contact: <sip:[service]@[local_ip]:[local_port];transport=[transport]>".to_owned()
            }
            "record-route" | "route" => continue,
            _ => line.trim_end().to_owned(),
        };
        out.push(text);
    }
    let mut text = out.join("\n");
    text.push_str("\n\n");
    for line in body.lines() {
        text.push_str(&sdp_line(line.trim_end()));
        text.push('\n');
    }
    text
}

/// `METHOD sip:user@[remote_ip]:[remote_port] SIP/2.0`, keeping the user part.
fn request_line(start: &str) -> String {
    let mut parts = start.split_whitespace();
    let method = parts.next().unwrap_or("INVITE");
    let uri = parts.next().unwrap_or_default();
    let user = uri
        .strip_prefix("sip:")
        .or_else(|| uri.strip_prefix("sips:"))
        .and_then(|rest| rest.split_once('@'))
        .map_or("[service]", |(user, _)| user);
    format!("{method} sip:{user}@[remote_ip]:[remote_port] SIP/2.0")
}

/// SDP with the media address and port of the replaying host.
fn sdp_line(line: &str) -> String {
    if let Some(rest) = line.strip_prefix("c=IN ") {
        let family = rest.split_whitespace().next().unwrap_or("IP4");
        return format!("c=IN {family} [media_ip]");
    }
    if let Some(rest) = line.strip_prefix("o=") {
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if let [user, session, version, net, family, _] = fields.as_slice() {
            return format!("o={user} {session} {version} {net} {family} [media_ip]");
        }
    }
    if let Some(rest) = line.strip_prefix("m=") {
        let mut fields = rest.splitn(3, ' ');
        if let (Some(media), Some(_port), Some(tail)) =
            (fields.next(), fields.next(), fields.next())
        {
            return format!("m={media} [media_port] {tail}");
        }
    }
    line.to_owned()
}

fn xml_attr(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::homer::HomerRow;

    fn row(t: i64, src: &str, dst: &str, method: &str, raw: &str) -> HomerRow {
        HomerRow {
            create_date: Some(crate::domain::homer::CreateDate::EpochUs(t)),
            src_ip: src.into(),
            src_port: Some(5060),
            dst_ip: dst.into(),
            dst_port: Some(5060),
            method: method.into(),
            raw: Some(raw.into()),
            ..HomerRow::default()
        }
    }

    const INVITE: &str = "INVITE sip:200@10.0.0.9 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.5;branch=z9hG4bK1\r\nFrom: <sip:100@a>;tag=1\r\nTo: <sip:200@b>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nContact: <sip:100@10.0.0.5>\r\nContent-Length: 20\r\n\r\nv=0\r\nc=IN IP4 10.0.0.5\r\nm=audio 4000 RTP/AVP 0\r\n";
    const RINGING: &str = "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 10.0.0.5;branch=z9hG4bK1\r\nCSeq: 1 INVITE\r\n\r\n";
    const OK: &str = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.0.0.5;branch=z9hG4bK1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
    const BYE: &str = "BYE sip:200@10.0.0.9 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.5;branch=z9hG4bK2\r\nCSeq: 2 BYE\r\nCall-ID: c1\r\n\r\n";

    fn call() -> Vec<HomerRow> {
        vec![
            row(3_000_000, "10.0.0.5", "10.0.0.9", "BYE", BYE),
            row(1_000_000, "10.0.0.5", "10.0.0.9", "INVITE", INVITE),
            row(1_000_500, "10.0.0.5", "10.0.0.9", "INVITE", INVITE),
            row(1_100_000, "10.0.0.9", "10.0.0.5", "180", RINGING),
            row(1_500_000, "10.0.0.9", "10.0.0.5", "200", OK),
            row(
                1_200_000,
                "10.0.0.9",
                "10.0.0.7",
                "OPTIONS",
                "OPTIONS sip:x SIP/2.0\r\n\r\n",
            ),
        ]
    }

    #[test]
    fn uac_sends_its_requests_and_receives_the_replies() {
        let xml = sipp_scenario(&call(), SippRole::Uac, "c1").unwrap();
        assert_eq!(xml.matches("<send>").count(), 2, "INVITE once, BYE: {xml}");
        assert!(xml.contains("<recv response=\"180\" optional=\"true\"/>"));
        assert!(xml.contains("<recv response=\"200\"/>"));
        assert!(xml.contains("INVITE sip:200@[remote_ip]:[remote_port] SIP/2.0"));
        assert!(xml.contains("branch=[branch]") && xml.contains("Call-ID: [call_id]"));
        assert!(
            xml.contains("c=IN IP4 [media_ip]") && xml.contains("m=audio [media_port] RTP/AVP 0")
        );
        assert!(xml.contains("<pause milliseconds=\"1500\"/>"), "{xml}");
        assert!(!xml.contains("OPTIONS"), "another hop's message: {xml}");
    }

    #[test]
    fn uas_receives_the_invite_and_sends_replies_with_last_via() {
        let xml = sipp_scenario(&call(), SippRole::Uas, "c1").unwrap();
        assert!(xml.contains("<recv request=\"INVITE\"/>"));
        assert!(xml.contains("<recv request=\"BYE\"/>"));
        assert!(xml.contains("SIP/2.0 180 Ringing") && xml.contains("[last_Via:]"));
    }

    #[test]
    fn no_invite_is_an_error() {
        assert_eq!(
            sipp_scenario(&call()[3..], SippRole::Uac, "x"),
            Err(SippError::NoInvite)
        );
    }
}
