//! HEP senders that do not play fair: decompression bombs against the real `hepscope` process (store
//! growth and RSS stay bounded), and a capture password that never leaves the receiver (not stored, not
//! in any search, transaction, export or SQL answer, not in live frames).

use crate::common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::process::Hepscope;
use crate::common::store::{call_ids, hep, now_us, open_store, send};
use app::domain::api::Role;
use app::domain::fixture::{single_call, Outcome, SipBuilder};
use app::domain::sip::Method;
use axum::Router;
use serde_json::json;
use server::hep::{encode, HepPacket, ProtoType};
use server::ingest::{Fanout, HepReceiver, Intake};
use server::live::{Broker, BrokerConfig, BrokerSink, StreamFilter};
use server::store::{api, sql_api, Store};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpStream, UdpSocket};

const MIB: u64 = 1024 * 1024;

/// A SIP OPTIONS whose payload is padded to `inflated` bytes, compressed (chunk 0x10).
fn padded_compressed(n: usize, inflated: usize) -> Vec<u8> {
    let mut payload = SipBuilder::request(&Method::parse("OPTIONS"), "sip:ping@example.com")
        .header("Via", "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1")
        .header("From", "<sip:probe@example.com>;tag=a")
        .header("To", "<sip:ping@example.com>")
        .header("Call-ID", format!("bomb-{n}"))
        .header("CSeq", "1 OPTIONS")
        .build();
    payload.resize(inflated, b' ');
    let packet = HepPacket::new(
        "192.0.2.1:5060".parse().unwrap(),
        "192.0.2.2:5060".parse().unwrap(),
        ProtoType::Sip,
        payload,
    );
    encode(&packet, true).unwrap()
}

/// Sends `count` datagrams of `bytes` to `to`, in bursts of 50 with a short pause so the kernel's
/// receive buffer is not what drops them; returns when all are sent.
async fn send_udp(to: std::net::SocketAddr, bytes: &[u8], count: usize) {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    for i in 0..count {
        socket.send_to(bytes, to).await.unwrap();
        if i % 50 == 49 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// Waits until `name` reaches `target` (at most 20 s); returns its value.
async fn metric_at_least(hepscope: &Hepscope, name: &str, target: f64) -> f64 {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let value = hepscope.metric(name).await;
        if value >= target || Instant::now() >= deadline {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_one_kib_packets_inflating_to_a_mib_grow_neither_store_nor_rss() {
    let mut hepscope = Hepscope::with_config("bombs", "");
    let store_before = hepscope.store_bytes();
    let rss_before = hepscope.rss_kb();

    let bomb = padded_compressed(0, 1 << 20);
    assert!(
        (900..=1500).contains(&bomb.len()),
        "about 1 KiB on the wire: {}",
        bomb.len()
    );
    let started = Instant::now();
    send_udp(hepscope.hep_addr(), &bomb, 1000).await;
    let oversized = metric_at_least(
        &hepscope,
        "hepscope_hep_malformed_total{reason=\"oversized\"}",
        1000.0,
    )
    .await;
    let took = started.elapsed();
    let (_, stored, _) = hepscope.health().await;
    let (store_after, rss_after, peak) = (
        hepscope.store_bytes(),
        hepscope.rss_kb(),
        hepscope.peak_rss_kb(),
    );
    println!(
        "1000 x {} B inflating to 1 MiB in {took:?}: {oversized} dropped as oversized, {stored} stored; \
         store {store_before} -> {store_after} B; RSS {rss_before} -> {rss_after} kB, peak {peak} kB",
        bomb.len()
    );
    assert!(hepscope.is_running());
    assert_eq!(oversized, 1000.0, "each bomb is refused past 64 KiB");
    assert_eq!(stored, 0);
    assert!(store_after < store_before + 100 * MIB);
    assert!(peak < 300 * 1024, "peak RSS {peak} kB");

    // The most a packet may inflate to is stored, and memory stays bounded (the store grows by what
    // is stored: 60 MB of rows, plus the WAL until its next checkpoint).
    let near_cap = padded_compressed(1, 60 * 1024);
    send_udp(hepscope.hep_addr(), &near_cap, 1000).await;
    let received = metric_at_least(
        &hepscope,
        "hepscope_hep_received_total{transport=\"udp\"}",
        2000.0,
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let (stored, dropped) = loop {
        let (_, stored, dropped) = hepscope.health().await;
        if stored + dropped >= 1000 || Instant::now() >= deadline {
            break (stored, dropped);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let (store_end, peak_end) = (hepscope.store_bytes(), hepscope.peak_rss_kb());
    println!(
        "1000 x {} B inflating to 60 KiB: {received} received in all, {stored} stored, {dropped} dropped; \
         store {store_before} -> {store_end} B; peak RSS {peak_end} kB",
        near_cap.len()
    );
    assert!(hepscope.is_running());
    assert_eq!(
        stored + dropped,
        1000,
        "every packet under the cap is stored or counted"
    );
    assert!(peak_end < 300 * 1024, "peak RSS {peak_end} kB");
}

/// The capture password every packet of the leak test carries.
const PASSWORD: &str = "hep-capture-secret-7f3a";

fn admin(router: Router) -> Router {
    common::with_session(router, "admin", Role::Admin)
}

fn leaks(bytes: &[u8]) -> bool {
    bytes
        .windows(PASSWORD.len())
        .any(|w| w == PASSWORD.as_bytes())
}

/// Every file of the store (data, postings, WALs) as bytes.
fn store_files(path: &std::path::Path) -> Vec<u8> {
    let dir = path.parent().unwrap();
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter_map(|e| std::fs::read(e.path()).ok())
        .flatten()
        .collect()
}

async fn received_by(store: &Store, rows: u64) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        store.flush().unwrap();
        if store.stats().stored >= rows {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test]
async fn the_capture_password_is_never_stored_answered_or_streamed() {
    let (store, path) = open_store("password-leak", Vec::new(), |_| {});
    let broker = Broker::new(BrokerConfig::default());
    let mut live = broker.subscribe(StreamFilter::default(), 0).unwrap();
    let sinks = Fanout::new()
        .with(Arc::new(store.clone()))
        .with(Arc::new(BrokerSink::new(
            Arc::clone(&broker),
            Some(server::live::summarize::sip_summary),
        )));
    let intake = Arc::new(Intake::new(Arc::new(sinks), Some(PASSWORD.into())));
    let receiver = HepReceiver::start("127.0.0.1:0".parse().unwrap(), intake)
        .await
        .unwrap();

    let start = now_us() - 60_000_000;
    let over_udp = single_call(41, start, Outcome::Answered);
    let over_tcp = single_call(42, start + 5_000_000, Outcome::Busy);
    let keyed = |p: &app::domain::fixture::Packet| {
        let mut packet = hep(p);
        packet.auth_key = Some(PASSWORD.into());
        encode(&packet, false).unwrap()
    };
    let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    for p in &over_udp {
        udp.send_to(&keyed(p), receiver.udp_addr()).await.unwrap();
    }
    let mut tcp = TcpStream::connect(receiver.tcp_addr()).await.unwrap();
    for p in &over_tcp {
        tcp.write_all(&keyed(p)).await.unwrap();
    }
    let total = (over_udp.len() + over_tcp.len()) as u64;
    assert!(received_by(&store, total).await, "{:?}", store.stats());

    // Live frames, with payloads.
    let frames: Vec<String> = std::iter::from_fn(|| live.try_recv())
        .map(|e| e.to_frame_json(true))
        .collect();
    assert_eq!(frames.len() as u64, total);
    assert!(!frames.iter().any(|f| leaks(f.as_bytes())), "{frames:?}");

    // Search, transaction, exports.
    let v3 = api::router(store.clone());
    let ids: Vec<String> = call_ids(&over_udp)
        .into_iter()
        .chain(call_ids(&over_tcp))
        .collect();
    let window = json!({"from": start / 1000 - 60_000, "to": now_us() / 1000});
    let search = json!({
        "timestamp": window,
        "param": {"search": {"1_call": [{"name": "limit", "value": "200", "type": "string", "hepid": 1}]},
                  "location": {"node": ["localnode"]}, "orlogic": false, "limit": 200,
                  "transaction": {}}
    });
    let transaction = json!({
        "timestamp": window,
        "param": {"search": {"1_call": {"id": 1, "callid": ids}},
                  "location": {"node": ["localnode"]},
                  "transaction": {"call": true, "registration": false, "rest": false}}
    });
    let mut answered = 0;
    for (uri, body) in [
        ("/search/call/data", &search),
        ("/call/transaction", &transaction),
        ("/export/call/messages/text", &transaction),
        ("/export/call/messages/pcap", &transaction),
    ] {
        let (status, _, bytes) = send(&v3, "POST", uri, Some(body)).await;
        assert!(status.is_success(), "{uri}: {status}");
        assert!(bytes.len() > 200, "{uri} answered rows");
        assert!(!leaks(&bytes), "{uri} shows the capture password");
        assert!(
            !String::from_utf8_lossy(&bytes).contains("capturePass"),
            "{uri}"
        );
        answered += 1;
    }
    assert_eq!(answered, 4);
    // Nor can a filter on it tell a right guess from a wrong one.
    let guess = json!({
        "timestamp": window,
        "param": {"search": {"1_call": [
                      {"name": "protocol_header.capturePass", "value": PASSWORD, "type": "string", "hepid": 1}]},
                  "location": {"node": ["localnode"]}, "orlogic": false, "limit": 200,
                  "transaction": {}}
    });
    let (status, answer) = common::store::post_json(&v3, "/search/call/data", guess).await;
    assert!(status.is_success(), "{status}: {answer}");
    assert_eq!(answer["data"], json!([]), "{answer}");

    // The SQL API, over its views and over the tables themselves.
    let sql = admin(sql_api::router(store.clone()));
    let suffix = store
        .read_blocking(|conn| Ok(server::store::schema::list_partitions(conn)?))
        .unwrap()
        .pop()
        .unwrap()
        .0;
    for query in [
        "SELECT * FROM hep_1 WHERE time_us > 0".to_string(),
        format!("SELECT * FROM main.hep_proto_1_call_{suffix}"),
    ] {
        let uri = format!("/query?q={}", urlencode(&query));
        let (_, _, bytes) = send(&sql, "GET", &uri, None).await;
        assert!(!leaks(&bytes), "{query} shows the capture password");
    }
    let (status, _, bytes) = send(
        &sql,
        "GET",
        &format!(
            "/query?q={}",
            urlencode("SELECT * FROM hep_1 WHERE time_us > 0")
        ),
        None,
    )
    .await;
    assert!(
        status.is_success() && bytes.len() > 200,
        "the views answered rows"
    );

    // And nothing of it on disk.
    drop(receiver);
    store.flush().unwrap();
    assert!(
        !leaks(&store_files(&path)),
        "the store files hold the capture password"
    );
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn a_capture_time_far_ahead_creates_no_future_partition() {
    let (store, _) = open_store("future", Vec::new(), |c| {
        c.partition = server::config::PartitionSpan::Hour;
    });
    let intake = Arc::new(Intake::new(Arc::new(store.clone()), None));
    let receiver = HepReceiver::start("127.0.0.1:0".parse().unwrap(), intake)
        .await
        .unwrap();
    let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let now = now_us();
    let year = 365 * 86_400_000_000i64;
    for (n, ahead) in [(1, year), (2, 2 * 3_600_000_000), (3, 0)] {
        let mut packet = hep(&single_call(50 + n, now, Outcome::Answered)[0]);
        packet.ts_us = Some(now + ahead);
        udp.send_to(&encode(&packet, false).unwrap(), receiver.udp_addr())
            .await
            .unwrap();
    }
    assert!(received_by(&store, 3).await, "{:?}", store.stats());
    let latest_end = store
        .read_blocking(|conn| Ok(server::store::schema::list_partitions(conn)?))
        .unwrap()
        .iter()
        .map(|(_, p)| p.end_us())
        .max()
        .unwrap();
    assert!(
        latest_end <= now_us() + 3_600_000_000,
        "no partition beyond the current hour"
    );
    receiver.stop().await;
}
