//! The HEP receiver over real sockets on 127.0.0.1: UDP datagrams, TCP framing, a bad TCP stream closing only
//! its own connection, malformed packets not stopping the loops, bind errors naming the address, and the TCP
//! connection cap and idle timeout, the per-address cap and the packet deadline against stalled senders.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::live_support::{eventually, sip_hep};
use server::hep::HepPacket;
use server::ingest::{Fanout, HepReceiver, Intake, PacketSink, TcpLimits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

#[derive(Default)]
struct Collect(Mutex<Vec<HepPacket>>);

impl PacketSink for Collect {
    fn accept(&self, packet: &Arc<HepPacket>, _received_at_us: i64) {
        self.0.lock().unwrap().push(HepPacket::clone(packet));
    }
}

impl Collect {
    fn call_ids(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|p| {
                let text = String::from_utf8_lossy(&p.payload).into_owned();
                text.lines()
                    .find_map(|l| l.strip_prefix("Call-ID: ").map(String::from))
                    .unwrap_or_default()
            })
            .collect()
    }

    async fn wait_for(&self, n: usize) -> bool {
        eventually(Duration::from_secs(5), || async {
            self.0.lock().unwrap().len() >= n
        })
        .await
    }
}

async fn start(sink: Arc<Collect>) -> HepReceiver {
    let fanout = Fanout::new().with(sink);
    let intake = Arc::new(Intake::new(Arc::new(fanout), None));
    HepReceiver::start("127.0.0.1:0".parse().unwrap(), intake)
        .await
        .unwrap()
}

#[tokio::test]
async fn udp_datagrams_reach_the_sink_and_garbage_does_not_stop_the_loop() {
    let sink = Arc::new(Collect::default());
    let receiver = start(sink.clone()).await;
    let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let to = receiver.udp_addr();
    client
        .send_to(&sip_hep("INVITE sip:b@x SIP/2.0", "u1", None), to)
        .await
        .unwrap();
    client.send_to(b"not hep at all", to).await.unwrap();
    client.send_to(b"HEP3\x00\x05", to).await.unwrap();
    client
        .send_to(&sip_hep("BYE sip:b@x SIP/2.0", "u2", Some(1_000_000)), to)
        .await
        .unwrap();
    assert!(sink.wait_for(2).await);
    assert_eq!(sink.call_ids(), vec!["u1", "u2"]);
    let packets = sink.0.lock().unwrap().clone();
    assert!(
        packets[0].ts_us.unwrap() > 1_600_000_000_000_000,
        "0/0 became the receive time"
    );
    assert_eq!(packets[1].ts_us, Some(1_000_000));
    receiver.stop().await;
}

#[tokio::test]
async fn tcp_packets_are_framed_across_and_within_reads() {
    let sink = Arc::new(Collect::default());
    let receiver = start(sink.clone()).await;
    assert_eq!(
        receiver.tcp_addr().port(),
        receiver.udp_addr().port(),
        "one port for both"
    );
    let mut stream = TcpStream::connect(receiver.tcp_addr()).await.unwrap();
    let (a, b, c) = (
        sip_hep("INVITE sip:b@x SIP/2.0", "t1", None),
        sip_hep("ACK sip:b@x SIP/2.0", "t2", None),
        sip_hep("BYE sip:b@x SIP/2.0", "t3", None),
    );
    let mut both = a.clone();
    both.extend_from_slice(&b);
    both.extend_from_slice(&c[..10]);
    stream.write_all(&both).await.unwrap();
    stream.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    stream.write_all(&c[10..]).await.unwrap();
    assert!(sink.wait_for(3).await);
    assert_eq!(sink.call_ids(), vec!["t1", "t2", "t3"]);
    receiver.stop().await;
}

#[tokio::test]
async fn tcp_framing_error_closes_only_that_connection() {
    let sink = Arc::new(Collect::default());
    let receiver = start(sink.clone()).await;
    let mut good = TcpStream::connect(receiver.tcp_addr()).await.unwrap();
    let mut bad = TcpStream::connect(receiver.tcp_addr()).await.unwrap();
    bad.write_all(b"GET / HTTP/1.1\r\n\r\n").await.unwrap();
    let mut buf = [0u8; 16];
    let closed = tokio::time::timeout(Duration::from_secs(5), bad.read(&mut buf)).await;
    assert!(
        matches!(closed, Ok(Ok(0)) | Ok(Err(_))),
        "the bad connection is closed"
    );
    good.write_all(&sip_hep("OPTIONS sip:x SIP/2.0", "g1", None))
        .await
        .unwrap();
    assert!(sink.wait_for(1).await);
    let mut again = TcpStream::connect(receiver.tcp_addr()).await.unwrap();
    again
        .write_all(&sip_hep("OPTIONS sip:x SIP/2.0", "g2", None))
        .await
        .unwrap();
    assert!(sink.wait_for(2).await, "the listener keeps accepting");
    receiver.stop().await;
}

#[tokio::test]
async fn capture_password_drops_packets_without_the_key() {
    let sink = Arc::new(Collect::default());
    let intake = Arc::new(Intake::new(sink.clone(), Some("s3cret".into())));
    let receiver = HepReceiver::start("127.0.0.1:0".parse().unwrap(), intake)
        .await
        .unwrap();
    let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    client
        .send_to(
            &sip_hep("INVITE sip:b@x SIP/2.0", "nokey", None),
            receiver.udp_addr(),
        )
        .await
        .unwrap();
    let mut keyed = HepPacket::new(
        "10.0.0.1:5060".parse().unwrap(),
        "10.0.0.2:5060".parse().unwrap(),
        server::hep::ProtoType::Sip,
        b"INVITE sip:b@x SIP/2.0\r\nCall-ID: key\r\n\r\n".to_vec(),
    );
    keyed.auth_key = Some("s3cret".into());
    client
        .send_to(
            &server::hep::encode(&keyed, false).unwrap(),
            receiver.udp_addr(),
        )
        .await
        .unwrap();
    assert!(sink.wait_for(1).await);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(sink.call_ids(), vec!["key"]);
    receiver.stop().await;
}

#[tokio::test]
async fn bind_error_names_the_address() {
    let taken = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = taken.local_addr().unwrap();
    let intake = Arc::new(Intake::new(Arc::new(Fanout::new()), None));
    let err = HepReceiver::start(addr, intake).await.err().unwrap();
    assert!(err.to_string().contains(&addr.to_string()), "{err}");
}

async fn start_limited(sink: Arc<Collect>, limits: TcpLimits) -> HepReceiver {
    let intake = Arc::new(Intake::new(sink, None));
    HepReceiver::start_with("127.0.0.1:0".parse().unwrap(), intake, limits)
        .await
        .unwrap()
}

/// True when the peer closes `stream` within 5 s.
async fn closed_by_peer(stream: &mut TcpStream) -> bool {
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await;
    matches!(read, Ok(Ok(0)) | Ok(Err(_)))
}

#[tokio::test]
async fn tcp_connections_over_the_cap_are_closed_at_once_and_counted() {
    let handle = server::telemetry::metrics_handle().unwrap();
    let sink = Arc::new(Collect::default());
    let limits = TcpLimits {
        max_connections: 2,
        idle_timeout: Duration::from_secs(60),
        ..TcpLimits::default()
    };
    let receiver = start_limited(sink.clone(), limits).await;
    let addr = receiver.tcp_addr();
    let mut a = TcpStream::connect(addr).await.unwrap();
    let _b = TcpStream::connect(addr).await.unwrap();
    assert!(
        eventually(Duration::from_secs(5), || async {
            receiver.tcp_stats().open == 2
        })
        .await
    );

    let mut over = TcpStream::connect(addr).await.unwrap();
    assert!(
        closed_by_peer(&mut over).await,
        "the third connection is closed"
    );
    assert_eq!(receiver.tcp_stats().rejected, 1);
    assert!(handle.render().contains("hepscope_hep_tcp_rejected_total"));

    a.write_all(&sip_hep("OPTIONS sip:x SIP/2.0", "a1", None))
        .await
        .unwrap();
    assert!(
        sink.wait_for(1).await,
        "connections under the cap still work"
    );
    drop(a);
    assert!(
        eventually(Duration::from_secs(5), || async {
            receiver.tcp_stats().open == 1
        })
        .await
    );
    let mut again = TcpStream::connect(addr).await.unwrap();
    again
        .write_all(&sip_hep("OPTIONS sip:x SIP/2.0", "c1", None))
        .await
        .unwrap();
    assert!(sink.wait_for(2).await, "a freed slot is taken again");
    assert_eq!(sink.call_ids(), vec!["a1", "c1"]);
    assert_eq!(receiver.tcp_stats().rejected, 1);
    receiver.stop().await;
}

#[tokio::test]
async fn silent_tcp_connection_is_closed_after_the_idle_timeout() {
    let sink = Arc::new(Collect::default());
    let limits = TcpLimits {
        max_connections: 8,
        idle_timeout: Duration::from_millis(300),
        ..TcpLimits::default()
    };
    let receiver = start_limited(sink.clone(), limits).await;
    let addr = receiver.tcp_addr();
    let mut silent = TcpStream::connect(addr).await.unwrap();
    let mut talker = TcpStream::connect(addr).await.unwrap();
    for i in 0..6 {
        talker
            .write_all(&sip_hep("OPTIONS sip:x SIP/2.0", &format!("k{i}"), None))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        closed_by_peer(&mut silent).await,
        "the silent connection is closed"
    );
    assert!(
        sink.wait_for(6).await,
        "a connection that keeps sending stays open"
    );
    let stats = receiver.tcp_stats();
    assert_eq!(stats.idle_closed, 1);
    assert_eq!(stats.open, 1);
    receiver.stop().await;
}

/// A TCP connection to `to` from the local address `from` (any 127/8 address works on loopback).
async fn connect_from(from: &str, to: std::net::SocketAddr) -> TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket
        .bind(std::net::SocketAddr::new(from.parse().unwrap(), 0))
        .unwrap();
    socket.connect(to).await.unwrap()
}

#[tokio::test]
async fn stalled_connections_from_one_address_neither_keep_another_out_nor_stay_open() {
    let (store, _) = common::store::open_store("stalled", Vec::new(), |_| {});
    let intake = Arc::new(Intake::new(Arc::new(store.clone()), None));
    let limits = TcpLimits {
        packet_timeout: Duration::from_secs(2),
        ..TcpLimits::default()
    };
    assert_eq!((limits.max_connections, limits.max_per_address), (256, 32));
    let receiver = HepReceiver::start_with("127.0.0.1:0".parse().unwrap(), intake, limits)
        .await
        .unwrap();
    let addr = receiver.tcp_addr();
    let started = std::time::Instant::now();
    let mut stalled = Vec::new();
    for _ in 0..300 {
        let mut stream = connect_from("127.0.0.1", addr).await;
        // A packet's start, never finished: without a deadline each would hold a slot forever.
        let _ = stream.write_all(b"HEP3").await;
        stalled.push(stream);
    }
    assert!(
        eventually(Duration::from_secs(5), || async {
            receiver.tcp_stats().rejected_per_address == 268
        })
        .await,
        "{:?}",
        receiver.tcp_stats()
    );
    assert_eq!(receiver.tcp_stats().open, 32);

    let mut sender = connect_from("127.0.0.2", addr).await;
    for i in 0..5 {
        sender
            .write_all(&sip_hep(
                "OPTIONS sip:x SIP/2.0",
                &format!("fair-{i}"),
                None,
            ))
            .await
            .unwrap();
    }
    assert!(
        eventually(Duration::from_secs(5), || async {
            store.flush().unwrap();
            store.stats().stored == 5
        })
        .await,
        "the sender from another address gets its packets stored: {:?}",
        store.stats()
    );

    for stream in &mut stalled {
        assert!(
            closed_by_peer(stream).await,
            "every stalled connection is closed"
        );
    }
    let closed_after = started.elapsed();
    let stats = receiver.tcp_stats();
    println!("300 stalled connections: {stats:?}, all closed after {closed_after:?}");
    assert_eq!(stats.packet_timeouts, 32, "{stats:?}");
    assert!(closed_after >= Duration::from_secs(2));
    assert_eq!(stats.open, 1, "only the well-formed sender is left");
    sender
        .write_all(&sip_hep("OPTIONS sip:x SIP/2.0", "fair-5", None))
        .await
        .unwrap();
    assert!(
        eventually(Duration::from_secs(5), || async {
            store.flush().unwrap();
            store.stats().stored == 6
        })
        .await
    );
    receiver.stop().await;
}
