//! Store set-up for the `store_*` tests: a store in a temporary directory, fixture packets as HEP,
//! and requests against an in-process router.

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use app::domain::fixture::{Packet, PacketKind, Transport};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use server::config::{AliasConfig, StoreConfig};
use server::hep::{HepPacket, ProtoType, IP_PROTO_TCP, IP_PROTO_UDP};
use server::store::Store;
use tower::ServiceExt;

use super::app::temp_dir;

/// Now, µs since the epoch.
pub fn now_us() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_micros(),
    )
    .unwrap()
}

/// A store in a fresh directory, configured by `tweak`.
pub fn open_store(
    name: &str,
    aliases: Vec<AliasConfig>,
    tweak: impl FnOnce(&mut StoreConfig),
) -> (Store, PathBuf) {
    let dir = temp_dir(name);
    let mut config = StoreConfig::at(dir.join("store.sqlite"));
    tweak(&mut config);
    let path = config.path.clone();
    (Store::open(config, aliases).unwrap(), path)
}

/// A fixture packet as the HEP packet an agent would send.
pub fn hep(packet: &Packet) -> HepPacket {
    let proto = match packet.kind {
        PacketKind::Sip => ProtoType::Sip,
        PacketKind::Rtcp => ProtoType::Rtcp,
        PacketKind::Log => ProtoType::Log,
    };
    let mut hep = HepPacket::new(packet.src, packet.dst, proto, packet.payload.clone());
    hep.ts_us = Some(packet.ts_us);
    hep.capture_id = packet.capture_id;
    hep.node_name = Some(packet.node.clone());
    hep.ip_proto = match packet.transport {
        Transport::Udp => IP_PROTO_UDP,
        Transport::Tcp => IP_PROTO_TCP,
    };
    if packet.kind != PacketKind::Sip {
        hep.correlation_id = Some(packet.call_id.clone());
    }
    hep
}

/// Stores packets in one batch and returns how many rows were stored.
pub fn store_all(store: &Store, packets: &[Packet]) -> usize {
    let batch = packets.iter().map(|p| (hep(p), p.ts_us)).collect();
    store.ingest_batch(batch).unwrap()
}

/// The Call-IDs of SIP packets, in first-seen order.
pub fn call_ids(packets: &[Packet]) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for p in packets.iter().filter(|p| p.kind == PacketKind::Sip) {
        if !ids.contains(&p.call_id) {
            ids.push(p.call_id.clone());
        }
    }
    ids
}

/// Sends one request to `app` and returns the status, headers and body bytes.
pub async fn send(
    app: &Router,
    method: &str,
    uri: &str,
    body: Option<&serde_json::Value>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let builder = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json");
    let request = match body {
        Some(json) => builder.body(Body::from(json.to_string())).unwrap(),
        None => builder.body(Body::empty()).unwrap(),
    };
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    (status, headers, bytes)
}

/// POSTs JSON and parses the JSON answer.
pub async fn post_json(
    app: &Router,
    uri: &str,
    body: serde_json::Value,
) -> (StatusCode, serde_json::Value) {
    let (status, _, bytes) = send(app, "POST", uri, Some(&body)).await;
    let value = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    (status, value)
}
