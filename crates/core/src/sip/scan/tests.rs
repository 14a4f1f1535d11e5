//! Scanner tests: a case table per tolerance rule, field extraction, and property tests.

use proptest::prelude::*;

use super::*;
use crate::sip::{Scheme, DEFAULT_CORRELATION_HEADERS};

const INVITE: &str = "INVITE sip:+4922112345@pbx.example.com;user=phone SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.10:5060;rport;branch=z9hG4bK-inv-1\r\n\
Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-second\r\n\
Max-Forwards: 70\r\n\
From: \"Alice A.\" <sip:1001@carrier.example>;tag=f-77\r\n\
To: <sip:+4922112345@pbx.example.com>\r\n\
Call-ID: a84b4c76e66710@pc33.example.com\r\n\
CSeq: 314159 INVITE\r\n\
Contact: <sip:1001@192.0.2.10:5060;transport=udp>\r\n\
P-Asserted-Identity: \"Alice\" <tel:+4930123456>\r\n\
User-Agent: TestPhone/1.0\r\n\
X-CID: leg-a@carrier\r\n\
Expires: 180\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 29\r\n\
\r\n\
v=0\r\nm=audio 4000 RTP/AVP 8\r\n";

fn scanned(text: &str) -> SipMessage {
    match scan(text.as_bytes()) {
        Ok(message) => message,
        Err(err) => panic!("{text:?} did not scan: {err}"),
    }
}

fn has_warning(message: &SipMessage, kind: &WarningKind) -> bool {
    message.warnings().iter().any(|w| &w.kind == kind)
}

#[test]
fn scan_extracts_indexed_fields_from_invite() {
    let m = scanned(INVITE);
    assert!(m.is_request());
    assert_eq!(m.method(), Some(&Method::Invite));
    assert_eq!(m.method_or_status_label(), "INVITE");
    assert_eq!(m.ruri_user(), Some("+4922112345"));
    assert_eq!(m.ruri_domain(), Some("pbx.example.com"));
    assert_eq!(m.call_id(), Some("a84b4c76e66710@pc33.example.com"));
    assert_eq!(
        m.cseq(),
        Some(&CSeq {
            seq: 314159,
            method: Method::Invite
        })
    );
    assert_eq!(m.from_user(), Some("1001"));
    assert_eq!(m.from_domain(), Some("carrier.example"));
    assert_eq!(m.from_tag(), Some("f-77"));
    assert_eq!(m.from().and_then(|f| f.display_name), Some("Alice A."));
    assert_eq!(m.to_user(), Some("+4922112345"));
    assert_eq!(m.to_tag(), None);
    assert_eq!(m.via_branch(), Some("z9hG4bK-inv-1"));
    assert_eq!(
        m.via().map(|v| (v.host, v.port)),
        Some(("192.0.2.10", Some(5060)))
    );
    assert_eq!(m.contact_user(), Some("1001"));
    assert_eq!(m.contact_host(), Some("192.0.2.10"));
    assert_eq!(m.pai_user(), Some("+4930123456"));
    assert_eq!(m.user_agent(), Some("TestPhone/1.0"));
    assert_eq!(m.expires(), Some(180));
    assert_eq!(m.max_forwards(), Some(70));
    assert_eq!(m.content_type(), Some("application/sdp"));
    assert_eq!(m.body(), b"v=0\r\nm=audio 4000 RTP/AVP 8\r\n");
    assert!(m.has_sdp());
    assert_eq!(m.sdp().map(|s| s.media.len()), Some(1));
    assert!(!m.is_truncated());
    assert!(m.warnings().is_empty(), "{:?}", m.warnings());
    assert_eq!(m.header("via").count(), 2);
    assert_eq!(m.headers().count(), 14);
    assert_eq!(
        m.correlation_ids(DEFAULT_CORRELATION_HEADERS),
        [("X-CID".to_owned(), "leg-a@carrier".to_owned())]
    );
}

#[test]
fn scan_reads_response_status_and_reason() {
    let m = scanned("SIP/2.0 486 Busy Here\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nReason: Q.850;cause=17\r\nServer: PBX 2\r\n\r\n");
    assert_eq!(m.status(), Some(486));
    assert_eq!(m.method_or_status_label(), "486 Busy Here");
    assert_eq!(m.cseq().map(|c| &c.method), Some(&Method::Invite));
    assert_eq!(m.reason(), Some("Q.850;cause=17"));
    assert_eq!(m.server(), Some("PBX 2"));
    assert_eq!(m.ruri_user(), None);
    assert!(!m.has_sdp());
}

#[test]
fn scan_response_without_reason_labels_code_only() {
    let m = scanned("SIP/2.0 200\r\nCall-ID: x\r\nCSeq: 1 BYE\r\n\r\n");
    assert_eq!(m.method_or_status_label(), "200");
}

/// One line per tolerance rule: (case, input, call-id, truncated, warning expected).
/// (case, input, call-id, truncated, warning expected)
type Case = (
    &'static str,
    &'static str,
    Option<&'static str>,
    bool,
    Option<WarningKind>,
);
#[test]
fn scan_tolerance_cases() {
    let cases: &[Case] = &[
        (
            "lf_only",
            "OPTIONS sip:a@b SIP/2.0\nCall-ID: lf\nCSeq: 1 OPTIONS\n\n",
            Some("lf"),
            false,
            None,
        ),
        (
            "leading_crlf",
            "\r\n\r\nOPTIONS sip:a@b SIP/2.0\r\ni: k\r\nCSeq: 1 OPTIONS\r\n\r\n",
            Some("k"),
            false,
            None,
        ),
        (
            "compact",
            "BYE sip:a@b SIP/2.0\r\ni: cmp\r\nf: <sip:x@y>;tag=1\r\nCSeq: 2 BYE\r\nl: 0\r\n\r\n",
            Some("cmp"),
            false,
            None,
        ),
        (
            "no_colon",
            "BYE sip:a@b SIP/2.0\r\nCall-ID: nc\r\nCSeq: 2 BYE\r\ngarbage line\r\n\r\n",
            Some("nc"),
            false,
            Some(WarningKind::HeaderWithoutColon),
        ),
        (
            "bad_name",
            "BYE sip:a@b SIP/2.0\r\nCall-ID: bn\r\nCSeq: 2 BYE\r\nbad name: x\r\n\r\n",
            Some("bn"),
            false,
            Some(WarningKind::InvalidHeaderName),
        ),
        (
            "missing_call_id",
            "BYE sip:a@b SIP/2.0\r\nCSeq: 2 BYE\r\n\r\n",
            None,
            false,
            Some(WarningKind::MissingCallId),
        ),
        (
            "missing_cseq",
            "BYE sip:a@b SIP/2.0\r\nCall-ID: mc\r\n\r\n",
            Some("mc"),
            false,
            Some(WarningKind::MissingCSeq),
        ),
        (
            "bad_cseq",
            "BYE sip:a@b SIP/2.0\r\nCall-ID: bc\r\nCSeq: BYE\r\n\r\n",
            Some("bc"),
            false,
            Some(WarningKind::InvalidCSeq),
        ),
        (
            "no_blank_line",
            "BYE sip:a@b SIP/2.0\r\nCall-ID: nb\r\nCSeq: 2 BYE\r\n",
            Some("nb"),
            true,
            Some(WarningKind::HeadersUnterminated),
        ),
        (
            "cut_in_header",
            "BYE sip:a@b SIP/2.0\r\nCall-ID: ch\r\nCSe",
            Some("ch"),
            true,
            Some(WarningKind::HeaderWithoutColon),
        ),
        (
            "bad_length",
            "BYE sip:a@b SIP/2.0\r\nCall-ID: bl\r\nCSeq: 2 BYE\r\nContent-Length: ten\r\n\r\nabc",
            Some("bl"),
            false,
            Some(WarningKind::InvalidContentLength),
        ),
        (
            "orphan_fold",
            "BYE sip:a@b SIP/2.0\r\n  folded\r\nCall-ID: of\r\nCSeq: 2 BYE\r\n\r\n",
            Some("of"),
            false,
            Some(WarningKind::OrphanContinuation),
        ),
        (
            "start_line_only",
            "SIP/2.0 100 Trying",
            None,
            true,
            Some(WarningKind::HeadersUnterminated),
        ),
    ];
    for (case, input, call_id, truncated, warning) in cases {
        let m = scanned(input);
        assert_eq!(m.call_id(), *call_id, "{case}: call-id");
        assert_eq!(m.is_truncated(), *truncated, "{case}: truncated");
        if let Some(kind) = warning {
            assert!(
                has_warning(&m, kind),
                "{case}: expected {kind:?} in {:?}",
                m.warnings()
            );
        }
    }
}

#[test]
fn scan_unfolds_folded_via() {
    let m = scanned("INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP\r\n  10.1.1.1:5062\r\n\t;branch=z9hG4bKfold\r\nCall-ID: f\r\nCSeq: 1 INVITE\r\n\r\n");
    assert_eq!(
        m.header("Via").next(),
        Some("SIP/2.0/UDP 10.1.1.1:5062 ;branch=z9hG4bKfold")
    );
    assert_eq!(m.via_branch(), Some("z9hG4bKfold"));
    assert_eq!(m.via().map(|v| v.port), Some(Some(5062)));
    assert_eq!(m.lines().next().map(|h| h.span), Some(24..79));
}

#[test]
fn scan_keeps_truncated_body_and_flags_it() {
    let m = scanned("INVITE sip:a@b SIP/2.0\r\nCall-ID: t\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\nContent-Length: 500\r\n\r\nv=0\r\nm=au");
    assert!(m.is_truncated());
    assert_eq!(m.body(), b"v=0\r\nm=au");
    assert!(has_warning(
        &m,
        &WarningKind::BodyTruncated {
            declared: 500,
            available: 9
        }
    ));
    assert!(m.has_sdp());
}

#[test]
fn scan_finds_sdp_inside_multipart_body() {
    let body = "--b1\r\nContent-Type: application/sdp\r\n\r\nv=0\r\nm=audio 4000 RTP/AVP 0\r\n\r\n--b1\r\nContent-Type: application/isup\r\n\r\nxx\r\n--b1--\r\n";
    let text = format!(
        "INVITE sip:a@b SIP/2.0\r\nCall-ID: mp\r\nCSeq: 1 INVITE\r\nContent-Type: multipart/mixed;boundary=b1\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let m = scanned(&text);
    assert!(m.has_sdp());
    assert_eq!(
        m.sdp().and_then(|s| s.media.first().map(|m| m.port)),
        Some(4000)
    );
}

#[test]
fn scan_stops_body_at_content_length() {
    let m = scanned("MESSAGE sip:a@b SIP/2.0\r\nCall-ID: s\r\nCSeq: 1 MESSAGE\r\nl: 5\r\n\r\nhelloOPTIONS sip:next SIP/2.0\r\n");
    assert_eq!(m.body(), b"hello");
    assert_eq!(m.content_length(), Some(5));
    assert!(!m.is_truncated());
}

#[test]
fn scan_replaces_non_utf8_in_user_agent() {
    let mut bytes = b"OPTIONS sip:a@b SIP/2.0\r\nCall-ID: u\r\nCSeq: 1 OPTIONS\r\nUser-Agent: Phone\xff/1\r\n\r\n".to_vec();
    bytes.extend_from_slice(b"\xfe\xff");
    let m = scan(&bytes).expect("scans despite 0xFF bytes");
    assert_eq!(m.user_agent(), Some("Phone\u{fffd}/1"));
    assert!(has_warning(&m, &WarningKind::NonUtf8));
    assert_eq!(m.body(), b"\xfe\xff");
}

#[test]
fn scan_accepts_unknown_method() {
    let m = scanned("FOOBAR sip:a@b SIP/2.0\r\nCall-ID: fb\r\nCSeq: 9 FOOBAR\r\n\r\n");
    assert_eq!(m.method(), Some(&Method::Other("FOOBAR".into())));
    assert_eq!(
        m.cseq().map(|c| &c.method),
        Some(&Method::Other("FOOBAR".into()))
    );
}

#[test]
fn scan_reads_tel_uri_and_quoted_display_name_with_angle() {
    let m = scanned("INVITE tel:+4922112345 SIP/2.0\r\nFrom: \"Support <2nd line>\" <sip:+4989555@gw.example>;tag=q1\r\nTo: tel:+4922112345\r\nCall-ID: tel\r\nCSeq: 1 INVITE\r\n\r\n");
    assert_eq!(m.request_uri().map(|u| u.scheme), Some(Scheme::Tel));
    assert_eq!(m.ruri_user(), Some("+4922112345"));
    assert_eq!(m.ruri_domain(), None);
    assert_eq!(
        m.from().and_then(|f| f.display_name),
        Some("Support <2nd line>")
    );
    assert_eq!(m.from_user(), Some("+4989555"));
    assert_eq!(m.from_tag(), Some("q1"));
    assert_eq!(m.to_user(), Some("+4922112345"));
}

#[test]
fn scan_header_lookup_maps_compact_and_full_names() {
    let m = scanned("INVITE sip:a@b SIP/2.0\r\ni: one\r\nCALL-ID: two\r\nCSeq: 1 INVITE\r\nx-cid: lower\r\n\r\n");
    assert_eq!(m.header("Call-ID").collect::<Vec<_>>(), ["one", "two"]);
    assert_eq!(m.header("i").collect::<Vec<_>>(), ["one", "two"]);
    assert_eq!(m.header("X-CID").collect::<Vec<_>>(), ["lower"]);
    assert_eq!(m.headers().next(), Some(("i", "one")));
}

#[test]
fn scan_reads_auth_user() {
    let m = scanned("REGISTER sip:reg.example SIP/2.0\r\nCall-ID: r\r\nCSeq: 2 REGISTER\r\nAuthorization: Digest username=\"1001\", realm=\"reg.example\", nonce=\"n\"\r\n\r\n");
    assert_eq!(m.auth_user(), Some("1001"));
}

#[test]
fn scan_caps_header_count_and_line_length() {
    let mut text = String::from("OPTIONS sip:a@b SIP/2.0\r\nCall-ID: cap\r\nCSeq: 1 OPTIONS\r\n");
    for i in 0..MAX_HEADERS + 10 {
        text.push_str(&format!("X-H{i}: v\r\n"));
    }
    text.push_str(&format!(
        "X-Long: {}\r\n\r\nbody",
        "a".repeat(MAX_LINE_LEN + 10)
    ));
    let m = scanned(&text);
    assert_eq!(m.headers().count(), MAX_HEADERS);
    assert!(has_warning(&m, &WarningKind::TooManyHeaders));
    assert!(has_warning(&m, &WarningKind::LineTooLong));
    assert_eq!(m.body(), b"body");
}

/// (case, input, expected error)
#[test]
fn scan_error_cases() {
    let cases: &[(&str, &[u8], ScanError)] = &[
        ("empty", b"", ScanError::Incomplete),
        ("only_crlf", b"\r\n\r\n", ScanError::Incomplete),
        ("cut_start_line", b"INVITE sip:a@", ScanError::Incomplete),
        (
            "http",
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
            ScanError::NotSip {
                line: "GET / HTTP/1.1".into(),
            },
        ),
        (
            "binary",
            b"\x80\xc9\x00\x07\r\n",
            ScanError::NotSip {
                line: "\u{fffd}\u{fffd}\0\u{7}".into(),
            },
        ),
        (
            "bad_status",
            b"SIP/2.0 2x0 OK\r\n\r\n",
            ScanError::Malformed {
                at: 0,
                fault: StartLineFault::InvalidStatusCode("2x0".into()),
            },
        ),
        (
            "status_out_of_range",
            b"\r\nSIP/2.0 700 Odd\r\n\r\n",
            ScanError::Malformed {
                at: 2,
                fault: StartLineFault::InvalidStatusCode("700".into()),
            },
        ),
        (
            "missing_uri",
            b"INVITE SIP/2.0\r\n\r\n",
            ScanError::Malformed {
                at: 0,
                fault: StartLineFault::MissingRequestUri,
            },
        ),
        (
            "bad_method",
            b"IN(VITE sip:a@b SIP/2.0\r\n\r\n",
            ScanError::Malformed {
                at: 0,
                fault: StartLineFault::InvalidMethod("IN(VITE".into()),
            },
        ),
    ];
    for (case, input, expected) in cases {
        assert_eq!(scan(input).as_ref().err(), Some(expected), "{case}");
    }
}

proptest! {
    #[test]
    fn scan_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = scan(&bytes);
    }

    #[test]
    fn scan_never_panics_on_sip_like_noise(
        lines in proptest::collection::vec("[ -~\t\u{80}-\u{ff}]{0,40}", 0..20),
        lf_only in any::<bool>(),
    ) {
        let eol = if lf_only { "\n" } else { "\r\n" };
        let text = format!("INVITE sip:a@b SIP/2.0{eol}{}", lines.join(eol));
        if let Ok(message) = scan(text.as_bytes()) {
            let _ = (message.from(), message.to(), message.via(), message.contact(), message.sdp());
            let _ = (message.pai_user(), message.auth_user(), message.header("X-CID").count());
        }
    }

    #[test]
    fn scan_round_trips_generated_message(
        user in "[a-z0-9+]{1,12}",
        host in "[a-z]{1,10}\\.example",
        tag in "[a-zA-Z0-9]{1,16}",
        call_id in "[a-zA-Z0-9@.-]{1,40}",
        seq in any::<u32>(),
        branch in "[a-zA-Z0-9]{1,20}",
        body in "[ -~]{0,200}",
        lf_only in any::<bool>(),
        compact in any::<bool>(),
        code in proptest::option::of(100u16..700),
    ) {
        let eol = if lf_only { "\n" } else { "\r\n" };
        let name = |full: &'static str, short: &'static str| if compact { short } else { full };
        let start = match code {
            Some(code) => format!("SIP/2.0 {code} Whatever"),
            None => format!("INVITE sip:{user}@{host} SIP/2.0"),
        };
        let text = format!(
            "{start}{eol}{}: SIP/2.0/UDP {host}:5060;branch=z9hG4bK{branch}{eol}{}: <sip:{user}@{host}>;tag={tag}{eol}\
             {}: {call_id}{eol}CSeq: {seq} INVITE{eol}{}: {}{eol}{eol}{body}",
            name("Via", "v"), name("From", "f"), name("Call-ID", "i"), name("Content-Length", "l"), body.len(),
        );
        let m = scan(text.as_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(m.call_id(), Some(call_id.as_str()));
        prop_assert_eq!(m.cseq(), Some(&CSeq { seq, method: Method::Invite }));
        prop_assert_eq!(m.from_user(), Some(user.as_str()));
        prop_assert_eq!(m.from_domain(), Some(host.as_str()));
        prop_assert_eq!(m.from_tag(), Some(tag.as_str()));
        let expected_branch = format!("z9hG4bK{branch}");
        prop_assert_eq!(m.via_branch(), Some(expected_branch.as_str()));
        prop_assert_eq!(m.status(), code);
        if code.is_none() {
            prop_assert_eq!(m.ruri_user(), Some(user.as_str()));
        }
        prop_assert_eq!(m.body(), body.as_bytes());
        prop_assert!(!m.is_truncated());
        prop_assert!(m.warnings().is_empty(), "{:?}", m.warnings());
    }
}
