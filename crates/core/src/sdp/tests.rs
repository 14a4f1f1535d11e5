//! Tests for the lenient SDP reader: one case per tolerance rule, plus codec resolution.

use super::*;

const OFFER: &str = "v=0\r\n\
o=- 4711 1 IN IP4 192.0.2.10\r\n\
s=call\r\n\
c=IN IP4 192.0.2.10\r\n\
t=0 0\r\n\
m=audio 40000 RTP/AVP 8 0 9 18 111 101\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:111 opus/48000/2\r\n\
a=fmtp:111 minptime=10;useinbandfec=1\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-16\r\n\
a=ptime:20\r\n\
a=sendrecv\r\n\
a=rtcp:40001 IN IP4 192.0.2.11\r\n";

fn names(sdp: &Sdp) -> Vec<(u8, String, u32)> {
    sdp.codecs()
        .into_iter()
        .map(|c| (c.payload_type, c.name, c.clock_rate_hz))
        .collect()
}

#[test]
fn parse_reads_connection_media_and_attributes() {
    let sdp = parse(OFFER);
    assert_eq!(sdp.session_name.as_deref(), Some("call"));
    assert_eq!(
        sdp.connection.as_ref().map(|c| c.address.as_str()),
        Some("192.0.2.10")
    );
    let [media] = sdp.media.as_slice() else {
        panic!("one m= line expected: {sdp:?}");
    };
    assert_eq!(media.kind, MediaKind::Audio);
    assert_eq!(media.port, 40000);
    assert_eq!(media.proto, MediaProto::RtpAvp);
    assert_eq!(media.formats, ["8", "0", "9", "18", "111", "101"]);
    assert_eq!(media.ptime_ms, Some(20));
    assert_eq!(media.direction, Some(Direction::SendRecv));
    assert_eq!(
        media.rtcp,
        Some(RtcpAttr {
            port: 40001,
            address: Some("192.0.2.11".into())
        })
    );
    assert_eq!(media.fmtps.len(), 2);
    assert_eq!(media.rtpmaps.get(1).and_then(|m| m.channels), Some(2));
    assert_eq!(sdp.address_of(media), Some("192.0.2.10"));
}

#[test]
fn codecs_resolve_rtpmap_then_static_table() {
    let sdp = parse(OFFER);
    assert_eq!(
        names(&sdp),
        [
            (8, "PCMA".to_owned(), 8000),
            (0, "PCMU".to_owned(), 8000),
            (9, "G722".to_owned(), 8000),
            (18, "G729".to_owned(), 8000),
            (111, "opus".to_owned(), 48000),
            (101, "telephone-event".to_owned(), 8000),
        ]
    );
}

#[test]
fn codecs_skip_dynamic_type_without_rtpmap() {
    let sdp = parse("v=0\nm=audio 5004 RTP/AVP 0 96\n");
    assert_eq!(names(&sdp), [(0, "PCMU".to_owned(), 8000)]);
}

/// (case, body, media count, first port, connection address)
type Case = (
    &'static str,
    &'static str,
    usize,
    Option<u16>,
    Option<&'static str>,
);
#[test]
fn parse_tolerance_cases() {
    // (case, body, expected media count, expected first port, expected connection)
    let cases: &[Case] = &[
        (
            "lf_only",
            "v=0\nc=IN IP4 10.0.0.1\nm=audio 4000 RTP/AVP 0\n",
            1,
            Some(4000),
            Some("10.0.0.1"),
        ),
        (
            "missing_s",
            "v=0\r\no=- 1 1 IN IP4 h\r\nm=audio 4002 RTP/AVP 0\r\n",
            1,
            Some(4002),
            None,
        ),
        (
            "unknown_lines",
            "v=0\r\nzz\r\nq=what\r\nm=audio 4004 RTP/AVP 8\r\n",
            1,
            Some(4004),
            None,
        ),
        (
            "truncated",
            "v=0\r\nc=IN IP4 10.0.0.2\r\nm=audio 4006 RTP/AVP 8 0\r\na=rtpm",
            1,
            Some(4006),
            Some("10.0.0.2"),
        ),
        ("cut_m_line", "v=0\r\nm=aud", 0, None, None),
        ("empty", "", 0, None, None),
        (
            "ttl_suffix",
            "c=IN IP4 224.2.1.1/127\nm=video 5000/2 RTP/AVP 31\n",
            1,
            Some(5000),
            Some("224.2.1.1"),
        ),
        (
            "ipv6",
            "c=IN IP6 2001:db8::5\nm=audio 4008 RTP/AVP 0\n",
            1,
            Some(4008),
            Some("2001:db8::5"),
        ),
    ];
    for &(case, body, count, port, connection) in cases {
        let sdp = parse(body);
        assert_eq!(sdp.media.len(), count, "{case}");
        assert_eq!(sdp.media.first().map(|m| m.port), port, "{case}");
        let address = sdp.media.first().and_then(|m| sdp.address_of(m));
        assert_eq!(address, connection, "{case}");
    }
}

#[test]
fn truncated_rtpmap_falls_back_to_static_table() {
    let sdp = parse("m=audio 4000 RTP/AVP 8\r\na=rtpmap:8 PCM");
    assert_eq!(names(&sdp), [(8, "PCMA".to_owned(), 8000)]);
}

#[test]
fn direction_of_prefers_media_then_session_then_sendrecv() {
    let sdp = parse("a=sendonly\nm=audio 1 RTP/AVP 0\nm=audio 2 RTP/AVP 0\na=inactive\n");
    let directions: Vec<_> = sdp.media.iter().map(|m| sdp.direction_of(m)).collect();
    assert_eq!(directions, [Direction::SendOnly, Direction::Inactive]);
    let plain = parse("m=audio 1 RTP/AVP 0\n");
    assert_eq!(
        plain.media.first().map(|m| plain.direction_of(m)),
        Some(Direction::SendRecv)
    );
}

#[test]
fn rtcp_port_follows_attribute_mux_or_plus_one() {
    let sdp = parse("m=audio 4000 RTP/AVP 0\nm=audio 5000 RTP/AVP 0\na=rtcp-mux\nm=audio 6000 RTP/AVP 0\na=rtcp:7001\n");
    let ports: Vec<_> = sdp.media.iter().map(Media::rtcp_port).collect();
    assert_eq!(ports, [4001, 5000, 7001]);
}

#[test]
fn static_table_has_g722_at_8000() {
    assert_eq!(static_payload_type(9).map(|e| e.clock_rate_hz), Some(8000));
    assert_eq!(static_payload_type(96), None);
}
