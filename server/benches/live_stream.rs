//! Live stream benchmark (`cargo bench -p server --bench live_stream`), printing:
//!
//! 1. events/s through the broker to 32 subscribers that drain their queues;
//! 2. HEP-in (UDP to the receiver) to WebSocket-out latency, p50 and p99;
//! 3. ingest rate (decode + publish, as the receive loop does) with no subscribers and with 32 subscribers
//!    that never read (at the default 500/s rate limit, and unlimited so every event hits a full queue).
//!
//! Plain `main` (`harness = false`): no benchmark framework, figures printed once.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use server::hep::{encode, HepPacket, ProtoType};
use server::ingest::{HepReceiver, Intake, Transport};
use server::live::endpoints::node_router;
use server::live::{Broker, BrokerConfig, BrokerSink, LiveEvent, StreamEvent, StreamFilter};
use tokio_tungstenite::tungstenite::Message;

const SUBSCRIBERS: usize = 32;

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        broker_throughput().await;
        latency().await?;
        ingest_rate();
        anyhow::Ok(())
    })
}

fn config(queue: usize, rate: u32) -> BrokerConfig {
    BrokerConfig {
        buffer_size: 10_000,
        buffer_bytes: BrokerConfig::default().buffer_bytes,
        max_subscribers: SUBSCRIBERS,
        per_sub_queue_len: queue,
        rate_per_sub_pps: rate,
    }
}

fn sample_event(n: i64) -> Arc<StreamEvent> {
    Arc::new(StreamEvent::local(LiveEvent {
        ts: n,
        proto: 1,
        src_ip: "10.0.0.5".into(),
        src_port: Some(5060),
        dst_ip: "10.0.0.9".into(),
        dst_port: Some(5060),
        node_id: Some(2001),
        sip: None,
        payload: Some("INVITE sip:2002@example.com SIP/2.0\r\n".into()),
    }))
}

async fn broker_throughput() {
    let events: u64 = 400_000;
    let broker = Broker::new(config(4096, 0));
    let received = Arc::new(AtomicU64::new(0));
    let mut consumers = Vec::new();
    for _ in 0..SUBSCRIBERS {
        let Ok(mut sub) = broker.subscribe(StreamFilter::default(), 0) else {
            println!("broker: subscribe refused");
            return;
        };
        let received = Arc::clone(&received);
        consumers.push(tokio::spawn(async move {
            // Drain like the WebSocket loop does: wait for one, then take what is queued.
            while sub.recv().await.is_some() {
                let mut n = 1;
                while n < 64 && sub.try_recv().is_some() {
                    n += 1;
                }
                received.fetch_add(n, Ordering::Relaxed);
            }
        }));
    }
    let publisher = Arc::clone(&broker);
    let started = Instant::now();
    let published = tokio::task::spawn_blocking(move || {
        for n in 0..events {
            publisher.publish(sample_event(i64::try_from(n).unwrap_or(0)));
        }
        started.elapsed()
    })
    .await
    .unwrap_or_default();
    broker.close();
    for c in consumers {
        let _ = c.await;
    }
    let total = started.elapsed();
    let stats = broker.stats();
    let secs = published.as_secs_f64();
    println!("broker, {SUBSCRIBERS} draining subscribers (queue 4096, no rate limit):");
    println!(
        "  published {events} events in {:.3} s = {:.0} events/s; delivered {} copies ({:.0} copies/s over {:.3} s), dropped by backpressure {}",
        secs,
        events as f64 / secs,
        received.load(Ordering::Relaxed),
        received.load(Ordering::Relaxed) as f64 / total.as_secs_f64(),
        total.as_secs_f64(),
        stats.dropped_backpressure,
    );
}

fn hep(seq: u16) -> Vec<u8> {
    let packet = HepPacket::new(
        format!("10.0.0.5:{seq}")
            .parse()
            .unwrap_or_else(|_| ([10, 0, 0, 5], seq).into()),
        ([10, 0, 0, 9], 5060).into(),
        ProtoType::Sip,
        b"OPTIONS sip:probe@example.com SIP/2.0\r\nCall-ID: bench\r\nCSeq: 1 OPTIONS\r\n\r\n"
            .to_vec(),
    );
    encode(&packet, false).unwrap_or_default()
}

async fn latency() -> anyhow::Result<()> {
    let count: u16 = 5000;
    let broker = Broker::new(config(256, 0));
    let sink = Arc::new(BrokerSink::new(Arc::clone(&broker), None));
    let receiver =
        HepReceiver::start("127.0.0.1:0".parse()?, Arc::new(Intake::new(sink, None))).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let node = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(server::serve(
        listener,
        node_router(Arc::clone(&broker), false),
        async move {
            let _ = stopped.await;
        },
    ));
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{node}/stream")).await?;
    while broker.stats().subscribers == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let sent_at: Arc<Vec<std::sync::OnceLock<Instant>>> =
        Arc::new((0..=count).map(|_| std::sync::OnceLock::new()).collect());
    let udp = tokio::net::UdpSocket::bind("127.0.0.1:0").await?;
    let target = receiver.udp_addr();
    let times = Arc::clone(&sent_at);
    let sender = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_micros(500));
        for seq in 1..=count {
            tick.tick().await;
            let bytes = hep(seq);
            if let Some(slot) = times.get(usize::from(seq)) {
                let _ = slot.set(Instant::now());
            }
            let _ = udp.send_to(&bytes, target).await;
        }
    });
    let mut latencies = Vec::with_capacity(usize::from(count));
    let deadline = Instant::now() + Duration::from_secs(30);
    while latencies.len() < usize::from(count) && Instant::now() < deadline {
        let Ok(Some(Ok(Message::Text(text)))) =
            tokio::time::timeout(Duration::from_secs(2), ws.next()).await
        else {
            break;
        };
        let now = Instant::now();
        let Ok(event) = StreamEvent::from_relayed_frame(text.as_str()) else {
            continue;
        };
        if let Some(sent) = sent_at
            .get(usize::from(event.event.src_port.unwrap_or(0)))
            .and_then(|s| s.get())
        {
            latencies.push(now.duration_since(*sent));
        }
    }
    let _ = sender.await;
    latencies.sort();
    let pct = |p: f64| -> Duration {
        let i = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        latencies.get(i).copied().unwrap_or_default()
    };
    println!(
        "HEP in (UDP, 2000/s) to WebSocket out, {} of {count} frames:",
        latencies.len()
    );
    println!(
        "  p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
    let _ = stop.send(());
    broker.close();
    let _ = server.await;
    receiver.stop().await;
    Ok(())
}

fn ingest_rate() {
    let packets: Vec<Vec<u8>> = (1..=1000).map(hep).collect();
    let peer = ([127, 0, 0, 1], 9).into();
    let rounds = 200;
    for (slow, rate) in [(0, 500), (SUBSCRIBERS, 500), (SUBSCRIBERS, 0)] {
        let broker = Broker::new(config(256, rate));
        let subs: Vec<_> = (0..slow)
            .filter_map(|_| broker.subscribe(StreamFilter::default(), 0).ok())
            .collect();
        let intake = Intake::new(Arc::new(BrokerSink::new(Arc::clone(&broker), None)), None);
        let started = Instant::now();
        for _ in 0..rounds {
            for p in &packets {
                intake.handle(p, Transport::Udp, peer, 0);
            }
        }
        let secs = started.elapsed().as_secs_f64();
        let n = rounds * packets.len();
        let stats = broker.stats();
        println!(
            "ingest (decode + publish), {slow} never-reading subscribers (queue 256, rate {rate}/s, 0 = unlimited): {n} packets in {secs:.3} s = {:.0} packets/s (dropped: rate {}, backpressure {})",
            n as f64 / secs,
            stats.dropped_rate,
            stats.dropped_backpressure,
        );
        drop(subs);
    }
}
