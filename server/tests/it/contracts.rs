//! The server's real answers decoded with the wire types of `hepscope-core`, the ones the browser
//! reads them with: search, transaction, QoS, the alias list and live frames. A field renamed or
//! retyped on one side fails here, not in a browser. Also: the ladder and the store name hosts alike
//! (one alias resolver, one meaning of `/0`).

use crate::common;

use std::net::IpAddr;

use crate::common::store::{call_ids, now_us, open_store, send, store_all};
use app::domain::fixture::{call, CallOptions, Packet, PacketKind, RtcpOptions};
use app::domain::ladder::AliasTable;
use axum::http::StatusCode;
use axum::Router;
use hepscope_core::homer::{
    AliasList, ProfileKey, QosResponse, SearchRequest, SearchResponse, TimeWindow,
    TransactionRequest, TransactionResponse,
};
use hepscope_core::host::HostPort;
use hepscope_core::live::{parse_frame, Frame};
use serde_json::Value;
use server::config::AliasConfig;
use server::live::StreamEvent;
use server::store::api;

struct Stored {
    app: Router,
    packets: Vec<Packet>,
    window: TimeWindow,
}

/// One call with RTCP, stored with `aliases`.
fn stored(name: &str, aliases: Vec<AliasConfig>) -> Stored {
    let start = now_us() - 600_000_000;
    let packets = call(
        21,
        start,
        &CallOptions {
            rtcp: Some(RtcpOptions::default()),
            ..CallOptions::default()
        },
    );
    let (store, _) = open_store(name, aliases, |_| {});
    assert!(store_all(&store, &packets) > 0);
    Stored {
        app: api::router(store),
        packets,
        window: TimeWindow::new(start / 1000 - 60_000, now_us() / 1000),
    }
}

async fn post<T: serde::Serialize>(app: &Router, path: &str, body: &T) -> (StatusCode, Vec<u8>) {
    let body = serde_json::to_value(body).unwrap();
    let (status, _, bytes) = send(app, "POST", path, Some(&body)).await;
    (status, bytes)
}

fn alias(ip: &str, prefix: u8, port: u16, name: &str) -> AliasConfig {
    AliasConfig {
        ip: ip.parse().unwrap(),
        prefix,
        port,
        name: name.into(),
    }
}

/// The first SIP packet's source address (a host of the call).
fn first_src(packets: &[Packet]) -> std::net::SocketAddr {
    packets
        .iter()
        .find(|p| p.kind == PacketKind::Sip)
        .unwrap()
        .src
}

#[tokio::test]
async fn search_answer_decodes_with_core_types() {
    let s = stored("contract-search", Vec::new());
    let request = SearchRequest::new(&ProfileKey::call(), s.window, Vec::new(), 200);
    let (status, bytes) = post(&s.app, "/search/call/data", &request).await;
    assert_eq!(status, StatusCode::CREATED);
    let answer: SearchResponse = serde_json::from_slice(&bytes).unwrap();
    let ids = call_ids(&s.packets);
    assert!(!answer.data.is_empty());
    assert_eq!(answer.total, answer.data.len() as i64);
    for row in &answer.data {
        assert!(ids.contains(&row.sid), "{}", row.sid);
        assert!(row.src_port.is_some() && row.dst_port.is_some());
        assert!(row.time_us().is_some() && !row.method.is_empty());
    }
}

#[tokio::test]
async fn transaction_and_qos_answers_decode_with_core_types() {
    let s = stored("contract-transaction", Vec::new());
    let request = TransactionRequest::new(&ProfileKey::call(), s.window, call_ids(&s.packets));
    let (status, bytes) = post(&s.app, "/call/transaction", &request).await;
    assert_eq!(status, StatusCode::CREATED);
    let answer: TransactionResponse = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(answer.call_ids(), call_ids(&s.packets));
    assert_eq!(answer.data.messages.len(), answer.data.calldata.len());
    assert!(answer.data.messages.iter().all(|m| m.raw.is_some()));

    let (status, bytes) = post(&s.app, "/call/report/qos", &request).await;
    assert_eq!(status, StatusCode::CREATED);
    let qos = QosResponse::from_body(std::str::from_utf8(&bytes).unwrap()).unwrap();
    assert!(!qos.rtcp.data.is_empty(), "the call has RTCP");
}

/// The ladder (browser: `GET /alias` read into an [`AliasTable`]) and the store (`aliasSrc`,
/// `aliasDst` and the transaction's alias map) give every host the same name, with a `/0` catch-all,
/// a `/32` any-port alias and a `/24` port-5060 alias on the same host.
#[tokio::test]
async fn ladder_and_store_name_hosts_alike() {
    let probe = call(21, 0, &CallOptions::default());
    let host = first_src(&probe);
    let IpAddr::V4(v4) = host.ip() else {
        panic!("the fixture's first host is IPv4")
    };
    let [a, b, c, _] = v4.octets();
    let aliases = vec![
        alias("0.0.0.0", 0, 0, "ANYWHERE"),
        alias(&format!("{a}.{b}.{c}.0"), 24, 5060, "NET-5060"),
        alias(&v4.to_string(), 32, 0, "HOST"),
    ];
    let s = stored("contract-alias", aliases);

    let (status, _, bytes) = send(&s.app, "GET", "/alias", None).await;
    assert_eq!(status, StatusCode::CREATED);
    let list: AliasList = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(list.data.len(), 3);
    let ladder = AliasTable::from_list(&list);
    let ladder_name = |ip: &str, port: Option<u16>| {
        ladder
            .resolve(&HostPort {
                ip: ip.to_owned(),
                port,
            })
            .map(str::to_owned)
    };

    let request = SearchRequest::new(&ProfileKey::call(), s.window, Vec::new(), 200);
    let (_, bytes) = post(&s.app, "/search/call/data", &request).await;
    let rows: Value = serde_json::from_slice(&bytes).unwrap();
    let rows = rows["data"].as_array().unwrap();
    assert!(!rows.is_empty());
    let mut names = std::collections::BTreeSet::new();
    for row in rows {
        for (ip, port, alias) in [
            ("srcIp", "srcPort", "aliasSrc"),
            ("dstIp", "dstPort", "aliasDst"),
        ] {
            let ip = row[ip].as_str().unwrap();
            let port = row[port].as_u64().and_then(|p| u16::try_from(p).ok());
            let store = row[alias].as_str().map(str::to_owned);
            assert_eq!(ladder_name(ip, port), store, "{ip}:{port:?}");
            names.extend(store);
        }
    }
    assert!(
        names.contains("HOST"),
        "the /32 any-port alias wins over the /24 port-5060 one: {names:?}"
    );
    assert!(
        names.contains("ANYWHERE"),
        "the /0 names the other hosts: {names:?}"
    );
    assert!(!names.contains("NET-5060"), "{names:?}");

    let transaction = TransactionRequest::new(&ProfileKey::call(), s.window, call_ids(&s.packets));
    let (_, bytes) = post(&s.app, "/call/transaction", &transaction).await;
    let answer: TransactionResponse = serde_json::from_slice(&bytes).unwrap();
    let from_map = AliasTable::from_transaction(&answer.data.alias);
    for message in &answer.data.messages {
        let host = HostPort {
            ip: message.src_ip.clone(),
            port: message.src_port,
        };
        assert_eq!(from_map.resolve(&host), ladder.resolve(&host), "{host}");
    }
}

/// A live frame as the server writes it, for a captured packet with the real SIP summarizer, reads
/// back with the browser's [`parse_frame`] to the same event.
#[test]
fn live_frames_decode_with_core_types() {
    let packets = call(22, 1_700_000_000_000_000, &CallOptions::default());
    let invite = packets.iter().find(|p| p.kind == PacketKind::Sip).unwrap();
    let packet = common::store::hep(invite);
    let event =
        StreamEvent::from_packet(&packet, 0, Some(server::live::summarize::sip_summary)).event;
    for with_payload in [false, true] {
        let Ok(Frame::Event(read)) = parse_frame(&event.to_json(with_payload)) else {
            panic!("not an event frame")
        };
        assert_eq!(read.ts, invite.ts_us / 1000);
        assert_eq!(read.src_port, Some(invite.src.port()));
        assert_eq!(read.node_id, Some(invite.capture_id).filter(|n| *n != 0));
        assert_eq!(read.call_id(), invite.call_id);
        assert_eq!(read.label(), "INVITE");
        assert_eq!(read.payload.is_some(), with_payload);
        if with_payload {
            assert_eq!(*read, event);
        }
    }
}
