//! Capture import: a pcap written from fixture packets (SIP over UDP and TCP, a HEP-in-UDP datagram)
//! reads back as HEP packets; SIP over TCP is reassembled however it was segmented; corrupt or truncated
//! files are errors with no packets. Over HTTP: the role and the one-import slot are checked
//! before the body is read, and an imported call is found by an `src_ip` query the app compiles.

use crate::common;

use app::domain::fixture::{demo_mix, PacketKind, Transport as FixtureTransport};
use server::demo::to_hep;
use server::hep::{encode, ProtoType, IP_PROTO_TCP, IP_PROTO_UDP};
use server::import::{packets_from_capture, ImportError};
use server::pcap::{PcapError, PcapWriter, Transport};

const START: i64 = 1_700_000_000_000_000;

/// A capture of the first demo calls' SIP (over UDP, or TCP for about half the calls), their RTCP as HEP-in-UDP, and one
/// non-SIP datagram. Returns the bytes and the number of SIP and HEP packets written.
fn fixture_capture() -> (Vec<u8>, usize, usize) {
    let mut writer = PcapWriter::new(Vec::new()).unwrap();
    let (mut sip, mut hep) = (0, 0);
    let collector = "10.0.0.2:9060".parse().unwrap();
    for packet in demo_mix(5, START, 12) {
        match packet.kind {
            PacketKind::Sip => {
                // demo_mix signals over UDP; move about half the calls to TCP.
                let odd_call = packet.call_id.bytes().next().is_some_and(|b| b % 2 == 1);
                let transport = match packet.transport {
                    FixtureTransport::Udp if !odd_call => Transport::Udp,
                    FixtureTransport::Udp | FixtureTransport::Tcp => Transport::Tcp,
                };
                writer
                    .write_packet(
                        packet.ts_us,
                        packet.src,
                        packet.dst,
                        transport,
                        &packet.payload,
                    )
                    .unwrap();
                sip += 1;
            }
            PacketKind::Rtcp if packet.src.is_ipv4() => {
                let bytes = encode(&to_hep(&packet, None), false).unwrap();
                let agent = "10.0.0.30:40000".parse().unwrap();
                writer
                    .write_packet(packet.ts_us, agent, collector, Transport::Udp, &bytes)
                    .unwrap();
                hep += 1;
            }
            _ => {}
        }
    }
    // An RTP-looking datagram: not SIP, not HEP.
    writer
        .write_packet(
            START,
            "10.0.0.30:10000".parse().unwrap(),
            "10.0.0.31:10002".parse().unwrap(),
            Transport::Udp,
            &[0x80, 0x08, 0, 1, 0, 0, 0, 160],
        )
        .unwrap();
    (writer.into_inner().unwrap(), sip, hep)
}

#[test]
fn import_reads_sip_over_udp_and_tcp_and_hep_in_udp() {
    let (bytes, sip, hep) = fixture_capture();
    let imported = packets_from_capture(&bytes, usize::MAX).unwrap();
    assert_eq!(imported.sip, sip);
    assert_eq!(imported.hep, hep);
    assert_eq!(imported.skipped.not_sip, 1);
    assert_eq!(imported.packets.len(), sip + hep);
    assert!(imported.packets.iter().all(|p| p.ts_us.is_some()));
    let rtcp = imported
        .packets
        .iter()
        .filter(|p| p.proto_type == ProtoType::Rtcp)
        .collect::<Vec<_>>();
    assert_eq!(rtcp.len(), hep);
    assert!(rtcp.iter().all(|p| p.correlation_id.is_some()));
    let protos = imported
        .packets
        .iter()
        .filter(|p| p.proto_type == ProtoType::Sip)
        .map(|p| p.ip_proto);
    let (mut udp, mut tcp) = (0, 0);
    for proto in protos {
        match proto {
            IP_PROTO_UDP => udp += 1,
            IP_PROTO_TCP => tcp += 1,
            other => panic!("ip proto {other}"),
        }
    }
    assert!(udp > 0, "no SIP over UDP");
    assert!(tcp > 0, "no SIP over TCP");
}

#[test]
fn import_rejects_a_truncated_capture_with_no_packets() {
    let (bytes, _, _) = fixture_capture();
    let cut = &bytes[..bytes.len() - 7];
    assert!(matches!(
        packets_from_capture(cut, usize::MAX),
        Err(ImportError::Capture(PcapError::TruncatedRecord { .. }))
    ));
}

#[test]
fn import_rejects_garbage_and_an_empty_file() {
    for bytes in [
        &b""[..],
        b"GET / HTTP/1.1\r\n\r\n",
        &[0xd4, 0xc3, 0xb2, 0xa1, 2, 0],
    ] {
        let err = packets_from_capture(bytes, usize::MAX).unwrap_err();
        assert!(!err.to_string().is_empty());
    }
}

#[test]
fn import_takes_each_sip_message_over_tcp_once_however_it_was_segmented() {
    let mut writer = PcapWriter::new(Vec::new()).unwrap();
    let sip: Vec<_> = demo_mix(9, START, 12)
        .into_iter()
        .filter(|p| p.kind == PacketKind::Sip && p.src.is_ipv4())
        .collect();
    for (i, packet) in sip.iter().enumerate() {
        // Segments of 1 to 300 bytes: headers, the blank line and bodies all get cut somewhere.
        let size = 1 + (i * 37) % 300;
        for piece in packet.payload.chunks(size) {
            writer
                .write_packet(packet.ts_us, packet.src, packet.dst, Transport::Tcp, piece)
                .unwrap();
        }
    }
    let imported = packets_from_capture(&writer.into_inner().unwrap(), usize::MAX).unwrap();
    assert_eq!(imported.sip, sip.len());
    assert_eq!(imported.skipped.not_sip, 0);
    let payloads: Vec<&[u8]> = imported.packets.iter().map(|p| &p.payload[..]).collect();
    let expected: Vec<&[u8]> = sip.iter().map(|p| &p.payload[..]).collect();
    assert_eq!(
        payloads, expected,
        "every message once, whole, in capture order"
    );
    assert!(imported.packets.iter().all(|p| p.ip_proto == IP_PROTO_TCP));
}

/// A server with an admin `ada` and a viewer `vic` (password `pw-import-test`), and their cookies.
async fn import_server() -> (common::app::TestServer, String, String) {
    let hash = server::users::hash_password("pw-import-test").unwrap();
    let toml = format!(
        "[[users]]\nusername = \"ada\"\npassword_hash = \"{hash}\"\nrole = \"admin\"\n\
         [[users]]\nusername = \"vic\"\npassword_hash = \"{hash}\"\nrole = \"viewer\"\n"
    );
    let server = common::app::TestServer::start(&toml).await;
    let mut cookies = Vec::new();
    for user in ["ada", "vic"] {
        let login = common::app::login(&server, user, "pw-import-test").await;
        assert_eq!(login.status(), 200, "{user}");
        cookies.push(common::app::session_cookie(&login));
    }
    let vic = cookies.pop().unwrap();
    let ada = cookies.pop().unwrap();
    (server, ada, vic)
}

/// Sends the request head of a `POST /api/import` announcing `length` bytes, and `body_part`.
async fn start_upload(
    server: &common::app::TestServer,
    cookie: &str,
    length: usize,
    body_part: &[u8],
) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "POST /api/import HTTP/1.1\r\nHost: {}\r\nCookie: {cookie}\r\n\
         Content-Type: application/vnd.tcpdump.pcap\r\nContent-Length: {length}\r\n\r\n",
        server.addr
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body_part).await.unwrap();
    stream
}

/// The status line and what follows, read until the body's JSON closes (or 5 s pass).
async fn read_answer(stream: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    while !answer.ends_with(b"}") {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => answer.extend_from_slice(&buf[..n]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_viewers_upload_is_refused_before_its_body_is_read() {
    let (server, _, viewer) = import_server().await;
    // 100 MB announced, not a byte of it sent: the answer must not wait for the body.
    let started = std::time::Instant::now();
    let mut upload = start_upload(&server, &viewer, 100 * 1024 * 1024, b"").await;
    let answer = read_answer(&mut upload).await;
    eprintln!("viewer refused in {:?}", started.elapsed());
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer:?}");
    assert!(answer.contains("missing right: import"), "{answer:?}");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_upload_announced_over_the_size_limit_is_refused_unread() {
    let (server, admin, _) = import_server().await;
    let mut upload = start_upload(&server, &admin, 300 * 1024 * 1024, b"").await;
    let answer = read_answer(&mut upload).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer:?}");
    assert!(answer.contains("larger than"), "{answer:?}");
    // The slot was not taken: an import runs at once.
    let (capture, _, _) = fixture_capture();
    let stored = common::app::client()
        .post(server.url("/api/import"))
        .header("cookie", &admin)
        .body(capture)
        .send()
        .await
        .unwrap();
    assert_eq!(stored.status(), 201);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_second_import_is_refused_while_one_runs() {
    let (server, admin, _) = import_server().await;
    let (capture, _, _) = fixture_capture();
    // The first import announces the whole capture but sends half: it holds the slot.
    let mut first = start_upload(
        &server,
        &admin,
        capture.len(),
        &capture[..capture.len() / 2],
    )
    .await;
    let post = || {
        common::app::client()
            .post(server.url("/api/import"))
            .header("cookie", &admin)
            .body(capture.clone())
            .send()
    };
    // The first request's head may still be on its way: retry until it holds the slot.
    let mut second = post().await.unwrap();
    for _ in 0..50 {
        if second.status() == 409 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        second = post().await.unwrap();
    }
    assert_eq!(second.status(), 409);
    let body: serde_json::Value = second.json().await.unwrap();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("another capture import is running"),
        "{body}"
    );
    // The first one completes and stores; then the slot is free again.
    {
        use tokio::io::AsyncWriteExt;
        first
            .write_all(&capture[capture.len() / 2..])
            .await
            .unwrap();
    }
    let answer = read_answer(&mut first).await;
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer:?}");
    let third = post().await.unwrap();
    assert_eq!(third.status(), 201);
    server.shutdown().await.unwrap();
}

/// The app's query `src_ip = '…'`, compiled by its domain code against the mapping the server
/// serves, sent to the embedded store over the real HTTP API, finds the one call from that address.
#[tokio::test]
async fn an_src_ip_query_compiled_by_the_app_finds_the_call_over_http() {
    use app::domain::homer::{MappingList, SearchResponse};
    use app::domain::query::{compile_with_mapping, ResultView};
    use app::domain::search_form::SearchForm;
    use std::collections::{BTreeMap, BTreeSet};

    let (server, admin, viewer) = import_server().await;
    let now = jiff::Timestamp::now();
    let start = now.as_microsecond() - 3_600_000_000;
    let sip: Vec<_> = demo_mix(21, start, 12)
        .into_iter()
        .filter(|p| p.kind == PacketKind::Sip && p.src.is_ipv4())
        .collect();
    let mut writer = PcapWriter::new(Vec::new()).unwrap();
    for p in &sip {
        writer
            .write_packet(p.ts_us, p.src, p.dst, Transport::Udp, &p.payload)
            .unwrap();
    }
    let stored = common::app::client()
        .post(server.url("/api/import"))
        .header("cookie", &admin)
        .body(writer.into_inner().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(stored.status(), 201);

    // The call-table messages (INVITE dialogs) by source address; pick an address only one call uses.
    let mut by_ip: BTreeMap<String, (BTreeSet<String>, usize)> = BTreeMap::new();
    for p in &sip {
        let message = app::domain::sip::scan(&p.payload).unwrap();
        let method = message.cseq().unwrap().method.as_str().to_owned();
        if ["REGISTER", "OPTIONS", "SUBSCRIBE", "PUBLISH", "MESSAGE"].contains(&method.as_str()) {
            continue;
        }
        let entry = by_ip.entry(p.src.ip().to_string()).or_default();
        entry.0.insert(p.call_id.clone());
        entry.1 += 1;
    }
    let (ip, (calls, messages)) = by_ip
        .iter()
        .find(|(_, (calls, _))| calls.len() == 1)
        .expect("an address used by one call only");

    let mapping: MappingList =
        common::app::get_with(&server, "/api/v3/mapping/protocol", Some(&viewer))
            .await
            .json()
            .await
            .unwrap();
    let form = SearchForm {
        query: format!("src_ip = '{ip}'"),
        since: "2h".into(),
        ..SearchForm::default()
    };
    let compiled = compile_with_mapping(
        &form,
        ResultView::Messages,
        now,
        &jiff::tz::TimeZone::UTC,
        &mapping,
    )
    .unwrap();
    assert_eq!(compiled.requests.len(), 1);
    let response = common::app::post_with(
        &server,
        "/api/v3/search/call/data",
        Some(&viewer),
        &serde_json::to_value(&compiled.requests[0]).unwrap(),
    )
    .await;
    assert_eq!(response.status(), 201);
    let answer: SearchResponse = response.json().await.unwrap();
    let rows = compiled.finish_rows([answer.data]);
    let found: BTreeSet<String> = rows.iter().map(|r| r.sid.clone()).collect();
    assert_eq!(&found, calls, "{ip}");
    assert_eq!(rows.len(), *messages, "{ip}");
    assert!(rows.iter().all(|r| r.src_ip == *ip));
    server.shutdown().await.unwrap();
}
