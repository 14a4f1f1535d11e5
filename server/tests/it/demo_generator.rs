//! The demo generator against real sockets on 127.0.0.1: every packet decodes as HEP3, and the traffic
//! holds everything issue 5 asks for (outcomes, the three-leg call, RTCP SR/RR, IPv6, logs, noise, a
//! long call); calls per second are roughly respected.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use app::domain::sip::{scan, Method, SipMessage, StartLine};
use server::demo::{run, DemoConfig, HepTransport};
use server::hep::{decode, HepFramer, HepPacket, ProtoType, DEFAULT_MAX_PACKET};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, UdpSocket};

/// What arrived, by transport.
#[derive(Default)]
struct Received {
    udp: Vec<HepPacket>,
    tcp: Vec<HepPacket>,
    undecodable: usize,
}

/// A UDP socket and a TCP listener on the same free port, collecting decoded HEP packets.
async fn start_receiver() -> (SocketAddr, Arc<Mutex<Received>>) {
    let (listener, udp) = loop {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        if let Ok(udp) = UdpSocket::bind(addr).await {
            break (listener, udp);
        }
    };
    let addr = listener.local_addr().unwrap();
    let received = Arc::new(Mutex::new(Received::default()));
    let sink = Arc::clone(&received);
    tokio::spawn(async move {
        let mut buf = vec![0u8; 65_536];
        while let Ok((n, _)) = udp.recv_from(&mut buf).await {
            let mut r = sink.lock().unwrap();
            match decode(&buf[..n]) {
                Ok(p) => r.udp.push(p),
                Err(_) => r.undecodable += 1,
            }
        }
    });
    let sink = Arc::clone(&received);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let sink = Arc::clone(&sink);
            tokio::spawn(async move {
                let mut framer = HepFramer::new(DEFAULT_MAX_PACKET);
                let mut buf = vec![0u8; 65_536];
                while let Ok(n) = stream.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    framer.push(&buf[..n]);
                    while let Ok(Some(frame)) = framer.next_packet() {
                        let mut r = sink.lock().unwrap();
                        match decode(&frame) {
                            Ok(p) => r.tcp.push(p),
                            Err(_) => r.undecodable += 1,
                        }
                    }
                }
            });
        }
    });
    (addr, received)
}

/// Waits until nothing new has arrived for a while.
async fn settle(received: &Mutex<Received>) {
    let mut last = usize::MAX;
    loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = {
            let r = received.lock().unwrap();
            r.udp.len() + r.tcp.len()
        };
        if now == last {
            return;
        }
        last = now;
    }
}

fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_micros() as i64
}

fn is_initial_invite(m: &SipMessage) -> bool {
    m.method() == Some(&Method::Invite) && m.to_tag().is_none()
}

/// The carrier side of every call scenario (single-leg calls and leg 1 of three-leg calls).
fn from_carrier(p: &HepPacket) -> bool {
    match p.src.ip() {
        IpAddr::V4(v4) => v4.octets()[..3] == [198, 51, 100],
        IpAddr::V6(v6) => v6.segments()[..3] == [0x2001, 0xdb8, 0x100],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generator_backfill_covers_every_scenario_over_udp_and_tcp() {
    let (addr, received) = start_receiver().await;
    let started_us = now_us();
    let config = DemoConfig {
        transport: HepTransport::Both,
        rate: 1.0,
        seed: 7,
        backfill: Duration::from_secs(6 * 60),
        duration: Some(Duration::from_millis(500)),
        burst_pps: 10_000,
        ..DemoConfig::new(addr)
    };
    let stats = run(config, std::future::pending()).await.unwrap();
    settle(&received).await;
    let r = received.lock().unwrap();
    assert_eq!(stats.errors, 0);
    assert_eq!(r.undecodable, 0);
    assert!(!r.udp.is_empty() && !r.tcp.is_empty());
    let total = (r.udp.len() + r.tcp.len()) as u64;
    // UDP on a loaded machine may drop a few datagrams; TCP may not.
    assert!(total * 100 >= stats.sent * 99, "{total} of {}", stats.sent);
    let all: Vec<&HepPacket> = r.udp.iter().chain(&r.tcp).collect();

    // Timestamps: backfilled ones in the past, none in the future.
    let later = now_us();
    assert!(all.iter().all(|p| p.ts_us.unwrap() <= later));
    assert!(all
        .iter()
        .any(|p| p.ts_us.unwrap() < started_us - 5 * 60 * 1_000_000));

    let sip: Vec<(&HepPacket, SipMessage)> = all
        .iter()
        .filter(|p| p.proto_type == ProtoType::Sip)
        .map(|p| (*p, scan(&p.payload).expect("every SIP payload scans")))
        .collect();

    // Every outcome: final INVITE responses, plus calls that only rang.
    let mut finals = BTreeSet::new();
    let mut ringing = BTreeSet::new();
    let mut ended = BTreeSet::new();
    for (_, m) in &sip {
        let Some(cseq) = m.cseq() else { continue };
        if cseq.method != Method::Invite {
            continue;
        }
        let call_id = m.call_id().unwrap().to_owned();
        match m.start_line() {
            StartLine::Response { code: 180, .. } => {
                ringing.insert(call_id);
            }
            StartLine::Response { code, .. } if *code >= 200 => {
                finals.insert(*code);
                ended.insert(call_id);
            }
            _ => {}
        }
    }
    for code in [200, 486, 487] {
        assert!(finals.contains(&code), "no {code} in {finals:?}");
    }
    assert!(finals.contains(&408) || finals.contains(&480), "{finals:?}");
    assert!(
        finals.iter().any(|c| [503, 404, 603].contains(c)),
        "{finals:?}"
    );
    assert!(
        ringing.difference(&ended).next().is_some(),
        "no ringing-only call"
    );

    // The three legs of a call share X-Acme-Call-ID.
    let mut legs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (_, m) in sip.iter().filter(|(_, m)| is_initial_invite(m)) {
        if let Some(acme) = m.header("X-Acme-Call-ID").next() {
            legs.entry(acme.to_owned())
                .or_default()
                .insert(m.call_id().unwrap().to_owned());
        }
    }
    assert!(legs.values().any(|calls| calls.len() == 3), "{legs:?}");

    // Numbers with and without +; SDP offers with several codecs.
    let callers: Vec<&str> = sip
        .iter()
        .filter(|(_, m)| is_initial_invite(m))
        .filter_map(|(_, m)| m.from_user())
        .collect();
    assert!(callers.iter().any(|u| u.starts_with('+')));
    assert!(callers.iter().any(|u| u.starts_with('0')));
    assert!(sip.iter().any(|(_, m)| {
        let body = String::from_utf8_lossy(m.body()).into_owned();
        body.lines()
            .any(|l| l.starts_with("m=audio") && l.split(' ').count() >= 6)
    }));

    // REGISTER and OPTIONS noise; IPv6 legs; a long call.
    let methods: BTreeSet<String> = sip
        .iter()
        .filter_map(|(_, m)| m.method().map(|x| format!("{x:?}")))
        .collect();
    assert!(
        methods.contains("Register") && methods.contains("Options"),
        "{methods:?}"
    );
    assert!(all.iter().any(|p| p.src.is_ipv6()));
    let mut per_call: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, m) in &sip {
        *per_call.entry(m.call_id().unwrap()).or_default() += 1;
    }
    assert!(per_call.values().any(|&n| n >= 1_000), "no long call");

    // RTCP: JSON with the Call-ID as correlation id, SR and RR, some bad.
    let sip_calls: BTreeSet<&str> = per_call.keys().copied().collect();
    let rtcp: Vec<(&HepPacket, serde_json::Value)> = all
        .iter()
        .filter(|p| p.proto_type == ProtoType::Rtcp)
        .map(|p| (*p, serde_json::from_slice(&p.payload).expect("RTCP JSON")))
        .collect();
    assert!(!rtcp.is_empty());
    assert!(rtcp
        .iter()
        .all(|(p, _)| sip_calls.contains(p.correlation_id.as_deref().unwrap())));
    let types: BTreeSet<u64> = rtcp
        .iter()
        .filter_map(|(_, j)| j["type"].as_u64())
        .collect();
    assert_eq!(types, BTreeSet::from([200, 201]));
    assert!(rtcp.iter().any(|(_, j)| {
        j["report_blocks"][0]["fraction_lost"]
            .as_u64()
            .is_some_and(|f| f > 10)
    }));

    // Logs tied to calls.
    let logs: Vec<&&HepPacket> = all
        .iter()
        .filter(|p| p.proto_type == ProtoType::Log)
        .collect();
    assert!(!logs.is_empty());
    assert!(logs
        .iter()
        .all(|p| sip_calls.contains(p.correlation_id.as_deref().unwrap())));
    assert!(all
        .iter()
        .all(|p| p.node_name.is_some() && p.capture_id != 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generator_respects_calls_per_second_over_udp() {
    let (addr, received) = start_receiver().await;
    let config = DemoConfig {
        rate: 10.0,
        seed: 3,
        duration: Some(Duration::from_secs(2)),
        ..DemoConfig::new(addr)
    };
    let stats = run(config, std::future::pending()).await.unwrap();
    settle(&received).await;
    let r = received.lock().unwrap();
    assert!(r.tcp.is_empty());
    assert_eq!(r.udp.len() as u64, stats.sent);
    let calls = r
        .udp
        .iter()
        .filter(|p| from_carrier(p))
        .filter_map(|p| scan(&p.payload).ok())
        .filter(is_initial_invite)
        .filter_map(|m| m.call_id().map(str::to_owned))
        .collect::<BTreeSet<_>>()
        .len();
    // 10 calls/s for 2 s, each gap drawn from 0.5 to 1.5 times the mean.
    assert!((12..=30).contains(&calls), "{calls} calls");
}

#[tokio::test]
async fn generator_stops_on_shutdown_and_counts_tcp_failures() {
    // Nothing listens on this port: TCP connects fail and every packet is an error, not a crash.
    let unused = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = unused.local_addr().unwrap();
    drop(unused);
    let config = DemoConfig {
        transport: HepTransport::Tcp,
        backfill: Duration::from_secs(60),
        ..DemoConfig::new(addr)
    };
    let stats = run(config, tokio::time::sleep(Duration::from_millis(500)))
        .await
        .unwrap();
    assert_eq!(stats.sent, 0);
    assert!(stats.errors > 0);
}

#[tokio::test]
async fn generator_refuses_a_zero_rate() {
    let config = DemoConfig {
        rate: 0.0,
        ..DemoConfig::new("127.0.0.1:9".parse().unwrap())
    };
    let err = run(config, std::future::pending()).await.unwrap_err();
    assert!(err.to_string().contains("not a positive number"), "{err}");
}
