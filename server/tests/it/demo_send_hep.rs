//! `hepscope send-hep` as a process: `--count` packets of HEP3 reach a local UDP socket.

use std::process::Command;
use std::time::Duration;

use server::hep::{decode, ProtoType};

#[test]
fn send_hep_sends_count_packets_over_udp() {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let addr = socket.local_addr().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_hepscope"))
        .args(["send-hep", "--to", &addr.to_string(), "--count", "40"])
        .args(["--backfill", "5m", "--seed", "11"])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("sent 40 HEP packets"), "{stdout}");

    let mut buf = [0u8; 65_536];
    let mut packets = Vec::new();
    while packets.len() < 40 {
        let n = socket
            .recv(&mut buf)
            .expect("40 datagrams within the timeout");
        packets.push(decode(&buf[..n]).unwrap());
    }
    socket
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    assert!(socket.recv(&mut buf).is_err(), "more than --count packets");
    assert!(packets.iter().any(|p| p.proto_type == ProtoType::Sip));
    assert!(packets.iter().all(|p| p.ts_us.is_some()));
}

#[test]
fn send_hep_rejects_a_missing_target() {
    let output = Command::new(env!("CARGO_BIN_EXE_hepscope"))
        .args(["send-hep", "--count", "1"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--to"));
}
