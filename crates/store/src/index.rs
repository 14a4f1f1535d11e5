//! What the store keeps per packet: the payload as received plus the indexed fields, and the routing
//! of a packet to its table (heplify-server's rules, `docs/homer7-api.md` §12.2).
//!
//! SIP is routed by the CSeq method: INVITE, ACK, BYE, CANCEL, UPDATE, PRACK, REFER, INFO, NOTIFY to
//! `1_call`, REGISTER to `1_registration`, the rest to `1_default`; RTCP (HEP type 5) to `5_default`,
//! logs (100) to `100_default`, every other type to `35_default`. Pure: no I/O.

use hepscope_core::sip;

use hepscope_hep::hep::{HepPacket, ProtoType};

/// A table family: `hep_proto_<key>` in HOMER's naming; the one profile type of the browser and the store.
pub use hepscope_core::homer::Profile;

/// One stored row: the packet's payload and the fields the API filters and answers with, as the
/// writer stores it and [`crate::read::StoredRow`] reads it back (with its id).
///
/// SIP text fields are empty when the message lacks them, as in heplify-server's `data_header`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Row {
    /// Which table family.
    pub profile: Option<Profile>,
    /// Capture time, µs since the Unix epoch.
    pub time_us: i64,
    /// Session id: the Call-ID for SIP, the correlation id for other rows.
    pub sid: String,
    /// The first correlation value (HEP chunk 17, else a configured header), when it differs from
    /// `sid`; the API answers `sid` when absent, as heplify-server does.
    pub correlation_id: Option<String>,
    /// The request method, or the status code for responses.
    pub method: String,
    /// The whole CSeq value, `"1 INVITE"`.
    pub cseq: String,
    pub from_user: String,
    pub from_tag: String,
    pub from_domain: String,
    pub to_user: String,
    pub to_tag: String,
    pub to_domain: String,
    pub ruri_user: String,
    pub ruri_domain: String,
    pub user_agent: String,
    /// Source IP as text.
    pub src_ip: String,
    pub src_port: u16,
    /// Destination IP as text.
    pub dst_ip: String,
    pub dst_port: u16,
    /// 2 IPv4, 10 IPv6.
    pub family: u8,
    /// IP protocol: 17 UDP, 6 TCP, 132 SCTP.
    pub transport: u8,
    /// HEP payload type (1 SIP, 5 RTCP, 100 log, ...).
    pub payload_type: u8,
    /// HEP capture agent id (chunk 12).
    pub capture_id: u32,
    /// Capture node name (chunk 19), else the decimal capture id.
    pub node: String,
    /// The payload exactly as received.
    pub raw: Vec<u8>,
}

impl Row {
    /// The correlation id the API answers: the stored one, else the `sid`.
    pub fn correlation_id_or_sid(&self) -> &str {
        self.correlation_id.as_deref().unwrap_or(&self.sid)
    }
}

/// A packet's row with its correlation links, as the writer takes it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PacketRow {
    /// The row for the profile's table.
    pub row: Row,
    /// Every correlation value that differs from `sid` (chunk 17 and all configured headers),
    /// stored in the partition's link table.
    pub links: Vec<String>,
}

impl PacketRow {
    /// About how many bytes of memory the row holds while it waits for the writer: its payload, its
    /// text fields and links, and the struct itself. The writer queue's byte bound counts this.
    pub fn approx_bytes(&self) -> usize {
        let r = &self.row;
        let text = [
            &r.sid,
            &r.method,
            &r.cseq,
            &r.from_user,
            &r.from_tag,
            &r.from_domain,
            &r.to_user,
            &r.to_tag,
            &r.to_domain,
            &r.ruri_user,
            &r.ruri_domain,
            &r.user_agent,
            &r.src_ip,
            &r.dst_ip,
            &r.node,
        ]
        .iter()
        .map(|s| s.len())
        .sum::<usize>();
        let links = self.links.iter().map(|l| l.len() + 24).sum::<usize>();
        std::mem::size_of::<PacketRow>()
            + r.raw.len()
            + text
            + r.correlation_id.as_ref().map_or(0, String::len)
            + links
    }
}

/// Builds the stored row of a packet; `received_at_us` stands in for a missing capture time.
///
/// Returns `None` for a SIP packet whose payload does not scan as SIP (counted and dropped, as
/// heplify-server rejects it). `correlation_headers` are the configured header names (X-CID, ...).
pub fn row_from_packet(
    packet: HepPacket,
    received_at_us: i64,
    correlation_headers: &[String],
) -> Option<PacketRow> {
    let time_us = packet.ts_us.unwrap_or(received_at_us);
    let node = packet
        .node_name
        .clone()
        .unwrap_or_else(|| packet.capture_id.to_string());
    let mut row = Row {
        profile: None,
        time_us,
        src_ip: packet.src.ip().to_string(),
        src_port: packet.src.port(),
        dst_ip: packet.dst.ip().to_string(),
        dst_port: packet.dst.port(),
        family: packet.ip_family(),
        transport: packet.ip_proto,
        payload_type: packet.proto_type.to_u8(),
        capture_id: packet.capture_id,
        node,
        ..Row::default()
    };
    let chunk_correlation = packet.correlation_id.clone().filter(|c| !c.is_empty());
    let mut links: Vec<String> = Vec::new();
    match packet.proto_type {
        ProtoType::Sip => {
            let message = sip::scan(&packet.payload).ok()?;
            fill_sip(&mut row, &message);
            let header_values = message
                .correlation_ids(correlation_headers)
                .into_iter()
                .map(|(_, value)| value);
            for value in chunk_correlation.into_iter().chain(header_values) {
                if value != row.sid && !links.contains(&value) {
                    links.push(value);
                }
            }
            row.correlation_id = links.first().cloned();
        }
        other => {
            row.profile = Some(match other {
                ProtoType::Rtcp => Profile::Rtcp,
                ProtoType::Log => Profile::Log,
                _ => Profile::Report,
            });
            row.sid = chunk_correlation.unwrap_or_default();
        }
    }
    row.raw = packet.payload;
    Some(PacketRow { row, links })
}

/// Counts one stored SIP message in `hepscope_sip_messages_total{method,class}` (heplify-server's
/// method/response counters): the request method, or the CSeq method of a response with its class.
fn count_sip(message: &sip::SipMessage) {
    let (method, class) = match message.status() {
        Some(code) => (message.cseq().map(|c| &c.method), status_class(code)),
        None => (message.method(), "request"),
    };
    // Unknown tokens share one label, so a scanner cannot grow the series without bound.
    let method = match method {
        Some(sip::Method::Other(_)) | None => "other",
        Some(m) => m.as_str(),
    };
    metrics::counter!("hepscope_sip_messages_total", "method" => method.to_owned(), "class" => class)
        .increment(1);
}

/// `1xx` … `6xx`, or `other` for a code outside 100–699.
fn status_class(code: u16) -> &'static str {
    match code / 100 {
        1 => "1xx",
        2 => "2xx",
        3 => "3xx",
        4 => "4xx",
        5 => "5xx",
        6 => "6xx",
        _ => "other",
    }
}

fn fill_sip(row: &mut Row, message: &sip::SipMessage) {
    count_sip(message);
    let text = |v: Option<&str>| v.unwrap_or_default().to_owned();
    row.profile = Some(
        message
            .cseq()
            .map_or(Profile::SipDefault, |c| Profile::for_cseq_method(&c.method)),
    );
    row.sid = text(message.call_id());
    row.method = match message.status() {
        Some(code) => code.to_string(),
        None => message
            .method()
            .map(|m| m.as_str().to_owned())
            .unwrap_or_default(),
    };
    row.cseq = message
        .cseq()
        .map(|c| format!("{} {}", c.seq, c.method.as_str()))
        .unwrap_or_default();
    // Each header is parsed once (the per-field accessors would parse From and To three times).
    if let Some(from) = message.from() {
        row.from_user = text(from.uri.user);
        row.from_tag = text(from.tag());
        row.from_domain = text(from.uri.host);
    }
    if let Some(to) = message.to() {
        row.to_user = text(to.uri.user);
        row.to_tag = text(to.tag());
        row.to_domain = text(to.uri.host);
    }
    if let Some(uri) = message.request_uri() {
        row.ruri_user = text(uri.user);
        row.ruri_domain = text(uri.host);
    }
    row.user_agent = text(message.user_agent().or_else(|| message.server()));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sip_packet(text: &str) -> HepPacket {
        HepPacket::new(
            "10.0.0.5:5060".parse().unwrap(),
            "10.0.0.9:5070".parse().unwrap(),
            ProtoType::Sip,
            text.replace('\n', "\r\n").into_bytes(),
        )
    }

    fn request(method: &str, cseq_method: &str, extra: &str) -> String {
        format!(
            "{method} sip:2002@example.com SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.5;branch=z9hG4bK1\n\
             From: <sip:1001@a.example>;tag=ft\nTo: <sip:2002@b.example>\nCall-ID: cid-1\n\
             CSeq: 7 {cseq_method}\n{extra}Content-Length: 0\n\n"
        )
    }

    #[test]
    fn sip_is_routed_by_cseq_method() {
        let cases = [
            ("INVITE", Profile::Call),
            ("ACK", Profile::Call),
            ("BYE", Profile::Call),
            ("CANCEL", Profile::Call),
            ("UPDATE", Profile::Call),
            ("PRACK", Profile::Call),
            ("REFER", Profile::Call),
            ("INFO", Profile::Call),
            ("NOTIFY", Profile::Call),
            ("REGISTER", Profile::Registration),
            ("OPTIONS", Profile::SipDefault),
            ("SUBSCRIBE", Profile::SipDefault),
            ("MESSAGE", Profile::SipDefault),
            ("PUBLISH", Profile::SipDefault),
        ];
        for (method, profile) in cases {
            let row = row_from_packet(sip_packet(&request(method, method, "")), 1, &[])
                .unwrap()
                .row;
            assert_eq!(row.profile, Some(profile), "{method}");
        }
    }

    #[test]
    fn response_goes_to_its_requests_table_with_status_as_method() {
        let text = "SIP/2.0 200 OK\nCall-ID: reg-1\nCSeq: 2 REGISTER\nFrom: <sip:1001@x>;tag=a\n\
                    To: <sip:1001@x>;tag=b\nServer: Reg/1\n\n";
        let row = row_from_packet(sip_packet(text), 1, &[]).unwrap().row;
        assert_eq!(row.profile, Some(Profile::Registration));
        assert_eq!(row.method, "200");
        assert_eq!(row.cseq, "2 REGISTER");
        assert_eq!(row.user_agent, "Reg/1");
    }

    #[test]
    fn sip_fields_and_correlation_headers_are_extracted() {
        let text = request(
            "INVITE",
            "INVITE",
            "X-CID: a-leg\nX-Other: b\nUser-Agent: Phone/1\n",
        );
        let mut packet = sip_packet(&text);
        packet.ts_us = Some(42);
        packet.node_name = Some("edge".into());
        let PacketRow { row, links } =
            row_from_packet(packet, 99, &["X-CID".into(), "X-Other".into()]).unwrap();
        assert_eq!(row.time_us, 42);
        assert_eq!(row.sid, "cid-1");
        assert_eq!(row.correlation_id.as_deref(), Some("a-leg"));
        assert_eq!(row.correlation_id_or_sid(), "a-leg");
        assert_eq!(links, vec!["a-leg", "b"]);
        assert_eq!(
            (
                row.from_user.as_str(),
                row.to_user.as_str(),
                row.ruri_user.as_str()
            ),
            ("1001", "2002", "2002")
        );
        assert_eq!(row.from_tag, "ft");
        assert_eq!(row.ruri_domain, "example.com");
        assert_eq!(row.user_agent, "Phone/1");
        assert_eq!(row.node, "edge");
        assert_eq!((row.src_port, row.dst_port, row.family), (5060, 5070, 2));
    }

    #[test]
    fn non_sip_rows_use_the_correlation_chunk_as_sid() {
        for (proto, profile) in [
            (ProtoType::Rtcp, Profile::Rtcp),
            (ProtoType::Log, Profile::Log),
            (ProtoType::MosShortReport, Profile::Report),
            (ProtoType::Other(77), Profile::Report),
        ] {
            let mut packet = sip_packet("{}");
            packet.proto_type = proto;
            packet.correlation_id = Some("cid-1".into());
            let row = row_from_packet(packet, 5, &[]).unwrap().row;
            assert_eq!(row.profile, Some(profile));
            assert_eq!(row.sid, "cid-1");
            assert_eq!(row.time_us, 5);
            assert_eq!(row.node, "0");
        }
    }

    #[test]
    fn garbage_sip_payload_is_rejected() {
        assert!(row_from_packet(sip_packet("GET / HTTP/1.1\n\n"), 1, &[]).is_none());
    }
}
