//! The node endpoint `GET /stream` end to end: HEP in over UDP, frames out over WebSocket; each filter,
//! history replay, the subscriber cap, a slow subscriber not slowing others or ingest, close on shutdown.

use crate::live_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::live_support::{
    broker, connect, next_json, next_json_within, refused_status, sip_hep, test_summarizer, Running,
};
use server::ingest::{HepReceiver, Intake};
use server::live::endpoints::{node_router, node_router_with, NodeOptions};
use server::live::{Broker, BrokerSink, LiveEvent, Origin, SipSummary};
use server::secret::Secret;
use tokio::net::UdpSocket;
use tokio_tungstenite::tungstenite::Message;

fn event(ts: i64, proto: u8, method: &str, resp_code: &str) -> Arc<LiveEvent> {
    Arc::new(LiveEvent {
        ts_ms: ts,
        proto,
        src_ip: "10.0.0.1".into(),
        src_port: 5060,
        dst_ip: "10.0.0.2".into(),
        dst_port: 5060,
        node_id: 7,
        sip: (proto == 1).then(|| SipSummary {
            method: method.into(),
            resp_code: resp_code.into(),
            ..SipSummary::default()
        }),
        payload: "x".repeat(64),
        origin: Origin::Local,
    })
}

async fn node(broker: &Arc<Broker>, allow_payload: bool) -> Running {
    Running::start(
        "127.0.0.1:0".parse().unwrap(),
        node_router(Arc::clone(broker), allow_payload),
    )
    .await
}

/// Waits until the broker has `n` subscribers (the upgrade finishes after the handshake answer).
async fn subscribers(broker: &Arc<Broker>, n: usize) {
    assert!(
        live_support::eventually(Duration::from_secs(5), || async {
            broker.stats().subscribers == n
        })
        .await
    );
}

#[tokio::test]
async fn hep_over_udp_comes_out_as_a_homer_core_frame() {
    let broker = broker(32, 256, 0);
    let node = node(&broker, false).await;
    let sink = Arc::new(BrokerSink::new(Arc::clone(&broker), Some(test_summarizer)));
    let receiver = HepReceiver::start(
        "127.0.0.1:0".parse().unwrap(),
        Arc::new(Intake::new(sink, None)),
    )
    .await
    .unwrap();
    let mut ws = connect(&format!("ws://{}/stream?include_payload=1", node.addr), &[])
        .await
        .unwrap();
    subscribers(&broker, 1).await;
    let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    udp.send_to(
        &sip_hep("SIP/2.0 180 Ringing", "c-1", Some(1_700_000_000_123_000)),
        receiver.udp_addr(),
    )
    .await
    .unwrap();
    let frame = next_json(&mut ws).await.unwrap();
    assert_eq!(frame["ts"], 1_700_000_000_123_i64);
    assert_eq!(frame["proto"], 1);
    assert_eq!(frame["src_ip"], "10.0.0.5");
    assert_eq!(frame["dst_port"], 5060);
    assert_eq!(frame["node_id"], 2001);
    assert_eq!(frame["sip"]["method"], "INVITE", "the CSeq method");
    assert_eq!(frame["sip"]["resp_code"], "180");
    assert_eq!(frame["sip"]["callid"], "c-1");
    assert!(
        frame["sip"].get("ruri_user").is_none(),
        "empty fields are left out"
    );
    assert!(
        frame.get("payload").is_none(),
        "allow_payload is off on this node"
    );
    receiver.stop().await;
    node.stop().await;
}

#[tokio::test]
async fn each_filter_applies_over_the_socket() {
    let broker = broker(32, 256, 0);
    let node = node(&broker, false).await;
    let base = format!("ws://{}/stream", node.addr);
    let mut by_proto = connect(&format!("{base}?proto=5&proto=100"), &[])
        .await
        .unwrap();
    let mut by_method = connect(&format!("{base}?method=bye"), &[]).await.unwrap();
    let mut requests = connect(&format!("{base}?proto=1&only_requests=1"), &[])
        .await
        .unwrap();
    subscribers(&broker, 3).await;
    broker.publish(event(1, 1, "INVITE", ""));
    broker.publish(event(2, 1, "BYE", "200"));
    broker.publish(event(3, 5, "", ""));
    broker.publish(event(4, 1, "BYE", ""));
    broker.publish(event(5, 100, "", ""));
    assert_eq!(got(&mut by_proto).await, vec![3, 5]);
    assert_eq!(
        got(&mut by_method).await,
        vec![2, 3, 4, 5],
        "non-SIP passes a method filter"
    );
    assert_eq!(got(&mut requests).await, vec![1, 4]);
    node.stop().await;
}

async fn got(ws: &mut live_support::Ws) -> Vec<i64> {
    let mut ts = Vec::new();
    while let Some(f) = next_json_within(ws, Duration::from_millis(500)).await {
        ts.push(f["ts"].as_i64().unwrap());
    }
    ts
}

#[tokio::test]
async fn history_replays_matching_events_then_goes_live() {
    let broker = broker(32, 256, 0);
    let node = node(&broker, false).await;
    for ts in 1..=5 {
        broker.publish(event(ts, if ts % 2 == 0 { 5 } else { 1 }, "INVITE", ""));
    }
    let mut ws = connect(&format!("ws://{}/stream?proto=1&history=2", node.addr), &[])
        .await
        .unwrap();
    assert_eq!(next_json(&mut ws).await.unwrap()["ts"], 3);
    assert_eq!(next_json(&mut ws).await.unwrap()["ts"], 5);
    broker.publish(event(6, 1, "INVITE", ""));
    assert_eq!(next_json(&mut ws).await.unwrap()["ts"], 6);
    let mut none = connect(&format!("ws://{}/stream?history=0", node.addr), &[])
        .await
        .unwrap();
    assert!(next_json_within(&mut none, Duration::from_millis(300))
        .await
        .is_none());
    node.stop().await;
}

#[tokio::test]
async fn subscriber_past_the_cap_gets_503_with_a_reason() {
    let broker = broker(2, 256, 0);
    let node = node(&broker, false).await;
    let url = format!("ws://{}/stream", node.addr);
    let _a = connect(&url, &[]).await.unwrap();
    let _b = connect(&url, &[]).await.unwrap();
    subscribers(&broker, 2).await;
    assert_eq!(refused_status(connect(&url, &[]).await), 503);
    drop(_a);
    subscribers(&broker, 1).await;
    assert!(
        connect(&url, &[]).await.is_ok(),
        "a freed place can be taken"
    );
    node.stop().await;
}

#[tokio::test]
async fn slow_subscriber_does_not_slow_others_or_ingest() {
    let broker = broker(32, 256, 0);
    let node = node(&broker, true).await;
    let url = format!("ws://{}/stream?include_payload=1", node.addr);
    // The slow client: a tiny receive buffer and it never reads.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(node.addr).await.unwrap();
    let (_slow, _) = tokio_tungstenite::client_async(url.as_str(), stream)
        .await
        .unwrap();
    let mut fast = connect(&url, &[]).await.unwrap();
    subscribers(&broker, 2).await;

    let total = 3000;
    let reader = tokio::spawn(async move {
        let mut n = 0;
        while next_json(&mut fast).await.is_some() {
            n += 1;
            if n == total {
                break;
            }
        }
        n
    });
    let mut publishing = Duration::ZERO;
    for ts in 0..total {
        let e = Arc::new(LiveEvent {
            payload: "p".repeat(1024),
            ..LiveEvent::clone(&event(ts, 5, "", ""))
        });
        let started = Instant::now();
        broker.publish(e);
        publishing += started.elapsed();
        if ts % 20 == 19 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
    assert_eq!(
        reader.await.unwrap(),
        total,
        "the fast subscriber got every event"
    );
    assert!(
        publishing < Duration::from_secs(1),
        "publishing took {publishing:?}"
    );
    assert!(
        broker.stats().dropped_backpressure > 0,
        "the slow subscriber dropped: {:?}",
        broker.stats()
    );
    node.stop().await;
}

#[tokio::test]
async fn stats_frames_report_this_connections_drops() {
    let broker = broker(32, 256, 2);
    let node = node(&broker, false).await;
    let mut ws = connect(&format!("ws://{}/stream?stats=1", node.addr), &[])
        .await
        .unwrap();
    subscribers(&broker, 1).await;
    for ts in 0..5 {
        broker.publish(event(ts, 5, "", ""));
    }
    let mut stats = None;
    for _ in 0..4 {
        let f = next_json(&mut ws).await.unwrap();
        if f.get("stats").is_some() {
            stats = Some(f);
            break;
        }
    }
    let stats = stats.expect("a stats frame");
    assert_eq!(stats["stats"]["dropped_rate"], 3);
    assert_eq!(stats["stats"]["delivered"], 2);
    node.stop().await;
}

#[tokio::test]
async fn closing_the_broker_closes_sockets_with_1001() {
    let broker = broker(32, 256, 0);
    let node = node(&broker, false).await;
    let mut ws = connect(&format!("ws://{}/stream", node.addr), &[])
        .await
        .unwrap();
    subscribers(&broker, 1).await;
    broker.close();
    let mut code = None;
    while let Some(Ok(msg)) = futures_util::StreamExt::next(&mut ws).await {
        if let Message::Close(Some(frame)) = msg {
            code = Some((u16::from(frame.code), frame.reason.to_string()));
            break;
        }
    }
    assert_eq!(code, Some((1001, "broker closed".to_string())));
    let _ = ws.close(None).await;
    node.stop().await;
}

async fn node_with(broker: &Arc<Broker>, options: NodeOptions) -> Running {
    Running::start(
        "127.0.0.1:0".parse().unwrap(),
        node_router_with(Arc::clone(broker), options),
    )
    .await
}

#[tokio::test]
async fn node_stream_refuses_browsers_by_their_origin_header() {
    let broker = broker(32, 256, 0);
    let node = node(&broker, false).await;
    let url = format!("ws://{}/stream", node.addr);
    for origin in [
        format!("http://{}", node.addr),
        "https://evil.example".to_string(),
        "null".to_string(),
    ] {
        assert_eq!(
            refused_status(connect(&url, &[("origin", origin.clone())]).await),
            403,
            "{origin}"
        );
    }
    assert!(
        connect(&url, &[]).await.is_ok(),
        "a tool without Origin is served"
    );
    node.stop().await;
}

#[tokio::test]
async fn node_stream_token_is_required_when_set() {
    let broker = broker(32, 256, 0);
    let node = node_with(
        &broker,
        NodeOptions {
            allow_payload: false,
            token: Some(Secret::new("node-s3cret")),
            max_subscribers: 8,
        },
    )
    .await;
    let url = format!("ws://{}/stream", node.addr);
    assert_eq!(refused_status(connect(&url, &[]).await), 401);
    assert_eq!(
        refused_status(connect(&format!("{url}?token=wrong"), &[]).await),
        401
    );
    assert_eq!(
        refused_status(connect(&url, &[("authorization", "Bearer node-s3cre".to_string())]).await),
        401
    );
    assert!(connect(&format!("{url}?token=node-s3cret"), &[])
        .await
        .is_ok());
    assert!(
        connect(&url, &[("authorization", "Bearer node-s3cret".to_string())])
            .await
            .is_ok()
    );
    node.stop().await;
}

#[tokio::test]
async fn node_stream_has_its_own_subscriber_cap() {
    let broker = broker(32, 256, 0);
    let node = node_with(
        &broker,
        NodeOptions {
            allow_payload: false,
            token: None,
            max_subscribers: 2,
        },
    )
    .await;
    let url = format!("ws://{}/stream", node.addr);
    let a = connect(&url, &[]).await.unwrap();
    let _b = connect(&url, &[]).await.unwrap();
    subscribers(&broker, 2).await;
    assert_eq!(refused_status(connect(&url, &[]).await), 503);
    drop(a);
    subscribers(&broker, 1).await;
    assert!(
        live_support::eventually(Duration::from_secs(5), || async {
            connect(&url, &[]).await.is_ok()
        })
        .await,
        "a freed place can be taken"
    );
    node.stop().await;
}
