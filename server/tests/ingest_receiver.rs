//! The HEP receiver over real sockets on 127.0.0.1: UDP datagrams, TCP framing, a bad TCP stream closing only
//! its own connection, malformed packets not stopping the loops, and bind errors naming the address.

mod live_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use live_support::{eventually, sip_hep};
use server::hep::HepPacket;
use server::ingest::{Fanout, HepReceiver, Intake, PacketSink};
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
