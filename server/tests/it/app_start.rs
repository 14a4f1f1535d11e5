//! `App::start` as `hepscope serve` runs it: every listener bound on port 0 and reported, HEP received
//! into the store the HTTP API reads, and a graceful stop that releases the ports.

use std::time::Duration;

use crate::common::app::{get_with, TestServer};
use crate::common::store::{hep, now_us};
use app::domain::fixture::{single_call, Outcome, PacketKind};
use server::hep::encode;

#[tokio::test]
async fn app_start_reports_bound_addresses_and_stores_hep_received_on_them() {
    let server = TestServer::start("[ingest.hep_stream]\nenable = true\n").await;
    let addrs = server.addresses();
    assert_eq!(addrs.http, server.addr);
    assert!(!addrs.https);
    let udp = addrs.hep_udp.expect("the HEP receiver runs by default");
    assert_ne!(udp.port(), 0, "the bound port, not the configured 0");
    assert_eq!(addrs.hep_tcp.map(|a| a.port()), Some(udp.port()));
    assert!(
        addrs.stream.is_some(),
        "[ingest.hep_stream] binds the node endpoint"
    );
    assert_eq!(addrs.hep_tls, None);

    let packets = single_call(7, now_us() - 1_000_000, Outcome::Answered);
    let sip: Vec<_> = packets
        .iter()
        .filter(|p| p.kind == PacketKind::Sip)
        .collect();
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    for packet in &sip {
        let bytes = encode(&hep(packet), false).unwrap();
        socket.send_to(&bytes, udp).await.unwrap();
    }
    let mut stored = 0;
    for _ in 0..100 {
        let health: serde_json::Value = get_with(&server, "/healthz", None)
            .await
            .json()
            .await
            .unwrap();
        stored = health["store"]["stored"].as_u64().unwrap_or(0);
        if stored >= sip.len() as u64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        stored,
        sip.len() as u64,
        "every SIP packet sent over UDP is stored"
    );

    let http = server.addr;
    server.shutdown().await.unwrap();
    assert!(
        tokio::net::TcpStream::connect(http).await.is_err(),
        "the web listener is closed after stop"
    );
    assert!(
        tokio::net::TcpStream::connect(addrs.hep_tcp.unwrap())
            .await
            .is_err(),
        "the HEP TCP listener is closed after stop"
    );
}

#[tokio::test]
async fn app_without_hep_binds_no_receiver() {
    let server = TestServer::start("[hep]\nenable = false\n").await;
    let addrs = server.addresses();
    assert_eq!(addrs.hep_udp, None);
    assert_eq!(addrs.hep_tcp, None);
    assert_eq!(addrs.stream, None, "the live stream is off by default");
    server.shutdown().await.unwrap();
}
