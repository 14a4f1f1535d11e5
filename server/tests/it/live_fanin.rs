//! Fan-in: a coordinator relays an upstream node's stream into its own broker, keeps payloads, skips
//! undecodable frames, and reconnects after the node restarts.

use crate::live_support;

use std::sync::Arc;
use std::time::Duration;

use crate::live_support::{broker, eventually, Running};
use axum::extract::ws::{Message, WebSocketUpgrade};
use axum::routing::get;
use server::live::endpoints::node_router;
use server::live::fanin::{spawn_relays, RelayOptions};
use server::live::{Broker, LiveEvent, Origin, StreamFilter, Subscription};
use tokio::sync::watch;

fn event(ts: i64) -> Arc<LiveEvent> {
    Arc::new(LiveEvent {
        ts_ms: ts,
        proto: 1,
        src_ip: "10.1.1.1".into(),
        src_port: 5060,
        dst_ip: "10.1.1.2".into(),
        dst_port: 5080,
        node_id: 3,
        sip: None,
        payload: format!("payload {ts}"),
        origin: Origin::Local,
    })
}

fn fast_options() -> RelayOptions {
    RelayOptions {
        connect_timeout: Duration::from_secs(1),
        initial_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(400),
    }
}

/// Publishes `ts` on `node` until the coordinator subscription sees it.
async fn relayed(node: &Arc<Broker>, sub: &mut Subscription, ts: i64) -> Option<Arc<LiveEvent>> {
    let mut found = None;
    let ok = eventually(Duration::from_secs(10), || {
        node.publish(event(ts));
        while let Some(e) = sub.try_recv() {
            if e.ts_ms == ts {
                found = Some(e);
            }
        }
        let done = found.is_some();
        async move { done }
    })
    .await;
    ok.then_some(()).and(found)
}

#[tokio::test]
async fn relay_survives_a_node_restart_and_keeps_payloads() {
    let first = broker(32, 256, 0);
    let node = Running::start(
        "127.0.0.1:0".parse().unwrap(),
        node_router(Arc::clone(&first), true),
    )
    .await;
    let addr = node.addr;
    let coordinator = broker(32, 1024, 0);
    let mut sub = coordinator.subscribe(StreamFilter::default(), 0).unwrap();
    let (stop, stopped) = watch::channel(false);
    let relays = spawn_relays(
        &[format!("ws://{addr}/stream")],
        &coordinator,
        fast_options(),
        &stopped,
    );

    let e = relayed(&first, &mut sub, 100)
        .await
        .expect("relayed before the restart");
    assert_eq!(e.origin, Origin::Relayed);
    assert_eq!(e.payload, "payload 100");
    assert_eq!((e.dst_port, e.node_id), (5080, 3));

    first.close();
    node.stop().await;
    let second = broker(32, 256, 0);
    let node = Running::start(addr, node_router(Arc::clone(&second), true)).await;
    assert!(
        relayed(&second, &mut sub, 200).await.is_some(),
        "relayed after the restart"
    );

    let _ = stop.send(true);
    for relay in relays {
        relay.await.unwrap();
    }
    node.stop().await;
}

#[tokio::test]
async fn undecodable_frames_are_skipped_not_forwarded() {
    let app = axum::Router::new().route(
        "/stream",
        get(|ws: WebSocketUpgrade| async move {
            ws.on_upgrade(|mut socket| async move {
                for text in [
                    "not json",
                    "[1,2]",
                    r#"{"proto":1}"#,
                    r#"{"ts":7,"proto":5}"#,
                ] {
                    let _ = socket.send(Message::Text(text.into())).await;
                }
                tokio::time::sleep(Duration::from_secs(5)).await;
            })
        }),
    );
    let fake = Running::start("127.0.0.1:0".parse().unwrap(), app).await;
    let coordinator = broker(32, 256, 0);
    let mut sub = coordinator.subscribe(StreamFilter::default(), 0).unwrap();
    let (stop, stopped) = watch::channel(false);
    let relays = spawn_relays(
        &[format!("ws://{}/stream", fake.addr)],
        &coordinator,
        fast_options(),
        &stopped,
    );
    let first = tokio::time::timeout(Duration::from_secs(5), sub.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((first.ts_ms, first.proto), (7, 5));
    assert_eq!(coordinator.stats().published, 1);
    let _ = stop.send(true);
    for relay in relays {
        relay.await.unwrap();
    }
    fake.stop().await;
}

#[tokio::test]
async fn node_endpoint_does_not_serve_relayed_events() {
    let b = broker(32, 256, 0);
    let node = Running::start(
        "127.0.0.1:0".parse().unwrap(),
        node_router(Arc::clone(&b), false),
    )
    .await;
    let mut ws = live_support::connect(&format!("ws://{}/stream", node.addr), &[])
        .await
        .unwrap();
    assert!(
        eventually(Duration::from_secs(5), || async {
            b.stats().subscribers == 1
        })
        .await
    );
    b.publish(Arc::new(LiveEvent {
        origin: Origin::Relayed,
        ..LiveEvent::clone(&event(1))
    }));
    b.publish(event(2));
    assert_eq!(live_support::next_json(&mut ws).await.unwrap()["ts"], 2);
    node.stop().await;
}
