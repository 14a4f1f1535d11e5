//! Overload: the real `hepscope` binary with a deliberately slow store (a tiny writer queue, one row per
//! transaction) gets HEP at about twice the rate its writer keeps up with, over UDP and then TCP. The
//! process stays up and its RSS stays bounded. UDP cannot push back: the drop counters in `/healthz` and
//! `/metrics` rise. TCP is paced by backpressure instead: the receiver stops reading while the writer's queue
//! is nearly full, so the sender is slowed, nothing is dropped and every packet is stored. Once the flood
//! stops, every packet sent at a gentle rate is stored again.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::common::process::Hepscope;
use app::domain::fixture::SipBuilder;
use app::domain::sip::Method;
use server::hep::{encode, HepPacket, ProtoType};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpSocket, TcpStream, UdpSocket};

/// The slow store: 32 queued rows, one commit per row.
const CONFIG: &str = "[store]\nqueue = 32\nbatch_size = 1\n";
/// Sending is paced in ticks of this length.
const TICK: Duration = Duration::from_millis(10);
/// How long each overload phase lasts.
const PHASE: Duration = Duration::from_secs(2);
/// The test sender's TCP send buffer, in bytes (the kernel doubles it).
const TCP_SEND_BUFFER: u32 = 32 * 1024;
/// RSS may grow by at most this much over a whole overload run.
const MAX_RSS_GROWTH_KB: u64 = 64 * 1024;

fn packet(n: usize) -> Vec<u8> {
    let payload = SipBuilder::request(&Method::parse("OPTIONS"), "sip:ping@example.com")
        .header("Via", "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1")
        .header("From", "<sip:probe@example.com>;tag=a")
        .header("To", "<sip:ping@example.com>")
        .header("Call-ID", format!("overload-{n}"))
        .header("CSeq", "1 OPTIONS")
        .build();
    let packet = HepPacket::new(
        "192.0.2.1:5060".parse().unwrap(),
        "192.0.2.2:5060".parse().unwrap(),
        ProtoType::Sip,
        payload,
    );
    encode(&packet, false).unwrap()
}

/// One way of getting packets to the receiver.
enum Sender {
    Udp(UdpSocket, SocketAddr),
    Tcp(TcpStream),
}

impl Sender {
    async fn send(&mut self, bytes: &[u8]) {
        match self {
            Sender::Udp(socket, to) => {
                // A full socket buffer is itself overload: the kernel's drop, not ours to count.
                let _ = socket.send_to(bytes, *to).await;
            }
            Sender::Tcp(stream) => stream.write_all(bytes).await.unwrap(),
        }
    }
}

/// A TCP connection to `to` with a small send buffer, so that the kernel cannot absorb a whole phase
/// of a paused receiver and the sender's writes wait as an agent's would.
async fn tcp_sender(to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_send_buffer_size(TCP_SEND_BUFFER).unwrap();
    socket.connect(to).await.unwrap()
}

/// Sends `rate` packets a second for `span`, in [`TICK`] bursts; returns how many were sent.
async fn send_paced(sender: &mut Sender, rate: u64, span: Duration) -> usize {
    let per_tick = usize::try_from((rate * TICK.as_millis() as u64 / 1000).max(1)).unwrap();
    let pkt = packet(0);
    let started = Instant::now();
    let mut sent = 0;
    let mut tick = tokio::time::interval(TICK);
    while started.elapsed() < span {
        tick.tick().await;
        for _ in 0..per_tick {
            sender.send(&pkt).await;
        }
        sent += per_tick;
    }
    sent
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twice_the_writer_capacity_drops_udp_slows_tcp_and_never_grows_or_crashes() {
    let mut hepscope = Hepscope::with_config("overload", CONFIG);
    let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut udp = Sender::Udp(udp, hepscope.hep_addr());
    let mut tcp = Sender::Tcp(tcp_sender(hepscope.hep_addr()).await);
    let rss_before = hepscope.rss_kb();

    // Capacity: what the writer commits per second while TCP keeps it saturated.
    let (_, stored0, _) = hepscope.health().await;
    let started = Instant::now();
    send_paced(&mut tcp, 1_000_000, Duration::from_secs(1)).await;
    let (_, stored1, _) = hepscope.health().await;
    let capacity = ((stored1 - stored0) as f64 / started.elapsed().as_secs_f64()) as u64;
    assert!(capacity > 0, "the writer stored something");
    hepscope.settled().await;

    // UDP: the full queue drops and counts.
    let (_, stored_a, dropped_a) = hepscope.health().await;
    let sent = send_paced(&mut udp, 2 * capacity, PHASE).await;
    let stored_b = hepscope.settled().await;
    let (status, _, dropped_b) = hepscope.health().await;
    println!(
        "udp: capacity {capacity}/s, sent {sent} at {}/s, stored {}, dropped {}",
        2 * capacity,
        stored_b - stored_a,
        dropped_b - dropped_a
    );
    assert!(hepscope.is_running(), "hepscope survives the udp flood");
    assert_eq!(status, "ok");
    assert!(
        dropped_b > dropped_a,
        "udp: the full queue drops and counts"
    );
    assert!(stored_b > stored_a, "udp: the writer keeps storing");

    // TCP: backpressure slows the sender; nothing is dropped.
    let pauses_a = hepscope.metric("hepscope_hep_tcp_backpressure_total").await;
    let paused_a = hepscope
        .metric("hepscope_hep_tcp_backpressure_duration_seconds_sum")
        .await;
    let (_, stored_a, dropped_a) = hepscope.health().await;
    let started = Instant::now();
    let sent = send_paced(&mut tcp, 2 * capacity, PHASE).await;
    let took = started.elapsed();
    let stored_b = hepscope.settled().await;
    let (status, _, dropped_b) = hepscope.health().await;
    let pauses_b = hepscope.metric("hepscope_hep_tcp_backpressure_total").await;
    let paused = hepscope
        .metric("hepscope_hep_tcp_backpressure_duration_seconds_sum")
        .await
        - paused_a;
    println!(
        "tcp: capacity {capacity}/s, sent {sent} at {}/s in {took:?}, stored {}, dropped {}, {} pauses, {paused:.2} s paused",
        2 * capacity,
        stored_b - stored_a,
        dropped_b - dropped_a,
        pauses_b - pauses_a
    );
    assert!(hepscope.is_running(), "hepscope survives the tcp flood");
    assert_eq!(status, "ok");
    assert_eq!(dropped_b, dropped_a, "tcp: nothing dropped");
    assert_eq!(stored_b - stored_a, sent as u64, "tcp: every packet stored");
    assert!(pauses_b > pauses_a, "tcp: the receiver paused");
    let achieved = sent as f64 / took.as_secs_f64();
    assert!(
        achieved < 0.8 * (2 * capacity) as f64,
        "tcp: the sender was slowed below the {}/s it asked for (sent at {achieved:.0}/s)",
        2 * capacity
    );

    let rss_after = hepscope.rss_kb();
    println!("RSS {rss_before} kB before, {rss_after} kB after");
    assert!(
        rss_after < rss_before + MAX_RSS_GROWTH_KB,
        "RSS grew from {rss_before} kB to {rss_after} kB"
    );
    let (_, _, dropped) = hepscope.health().await;
    assert_eq!(
        hepscope.metric("hepscope_store_dropped_total").await as u64,
        dropped,
        "/metrics and /healthz agree"
    );

    // Recovery: once the flood is over, every packet is stored again, over both transports. Each is
    // sent when the one before is stored, so a slow commit on a loaded machine cannot fill the
    // 32-row queue and turn this into another overload.
    let (_, stored_before, dropped_before) = hepscope.health().await;
    let waited = Instant::now();
    let mut stored_after = stored_before;
    for n in 0..50 {
        udp.send(&packet(n)).await;
        stored_after = hepscope.stored_at_least(stored_after + 1).await;
        tcp.send(&packet(n)).await;
        stored_after = hepscope.stored_at_least(stored_after + 1).await;
    }
    println!(
        "recovery: stored {} of 100 in {:?}",
        stored_after - stored_before,
        waited.elapsed()
    );
    let (_, _, dropped_after) = hepscope.health().await;
    let received = |transport: &'static str| {
        let hepscope = &hepscope;
        async move {
            hepscope
                .metric(&format!(
                    "hepscope_hep_received_total{{transport=\"{transport}\"}}"
                ))
                .await
        }
    };
    assert_eq!(
        stored_after - stored_before,
        100,
        "ingest recovered; /healthz {}; received udp {} tcp {}",
        reqwest::get(format!("http://{}/healthz", hepscope.http))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        received("udp").await,
        received("tcp").await,
    );
    assert_eq!(dropped_after, dropped_before);
}
