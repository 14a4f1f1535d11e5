//! Reader tests: files written by [`PcapWriter`] read back, hand-built big-endian, nanosecond
//! and pcapng files, corrupt files, and (when installed) a cross-check with tshark.

use std::net::SocketAddr;

use super::*;
use crate::pcap::{PcapWriter, Transport, MAX_SEGMENT_PAYLOAD};

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn sip(method: &str, call_id: &str) -> Vec<u8> {
    format!(
        "{method} sip:bob@example.com SIP/2.0\r\nCall-ID: {call_id}\r\nCSeq: 1 {method}\r\nContent-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

struct Sent {
    ts_us: i64,
    src: SocketAddr,
    dst: SocketAddr,
    transport: Transport,
    payload: Vec<u8>,
}

fn sample() -> Vec<Sent> {
    let v4a = addr("10.0.0.1:5060");
    let v4b = addr("10.0.0.2:5080");
    let v6a = addr("[2001:db8::1]:5060");
    let v6b = addr("[2001:db8::2]:5062");
    let base = 1_700_000_000_000_000;
    vec![
        Sent {
            ts_us: base,
            src: v4a,
            dst: v4b,
            transport: Transport::Udp,
            payload: sip("INVITE", "c1@h"),
        },
        Sent {
            ts_us: base + 1,
            src: v4b,
            dst: v4a,
            transport: Transport::Udp,
            payload: sip("ACK", "c1@h"),
        },
        Sent {
            ts_us: base + 999_999,
            src: v4a,
            dst: v4b,
            transport: Transport::Tcp,
            payload: sip("BYE", "c2@h"),
        },
        Sent {
            ts_us: base + 2_000_000,
            src: v4b,
            dst: v4a,
            transport: Transport::Tcp,
            payload: sip("OPTIONS", "c2@h"),
        },
        Sent {
            ts_us: base + 3_000_001,
            src: v6a,
            dst: v6b,
            transport: Transport::Udp,
            payload: sip("REGISTER", "c3@h"),
        },
        Sent {
            ts_us: base + 4_500_000,
            src: v6b,
            dst: v6a,
            transport: Transport::Tcp,
            payload: sip("INFO", "c4@h"),
        },
    ]
}

fn write_all(packets: &[Sent]) -> Vec<u8> {
    let mut w = PcapWriter::new(Vec::new()).unwrap();
    for p in packets {
        w.write_packet(p.ts_us, p.src, p.dst, p.transport, &p.payload)
            .unwrap();
    }
    w.into_inner().unwrap()
}

#[test]
fn written_packets_read_back_identically() {
    let sent = sample();
    let capture = read_capture(&write_all(&sent)).unwrap();
    assert_eq!(capture.packets.len(), sent.len());
    assert_eq!(capture.skipped, SkipCounts::default());
    for (got, want) in capture.packets.iter().zip(&sent) {
        assert_eq!(got.ts_us, want.ts_us);
        assert_eq!(got.src, want.src);
        assert_eq!(got.dst, want.dst);
        assert_eq!(got.transport, want.transport);
        assert_eq!(got.payload, want.payload);
        assert!(!got.is_hep);
    }
}

#[test]
fn udp_hep_payload_is_marked() {
    let hep = b"HEP3\x00\x06".to_vec();
    let sent = [
        Sent {
            ts_us: 1,
            src: addr("1.1.1.1:9060"),
            dst: addr("2.2.2.2:9060"),
            transport: Transport::Udp,
            payload: hep.clone(),
        },
        Sent {
            ts_us: 2,
            src: addr("1.1.1.1:9060"),
            dst: addr("2.2.2.2:9060"),
            transport: Transport::Tcp,
            payload: hep,
        },
    ];
    let capture = read_capture(&write_all(&sent)).unwrap();
    let marks: Vec<bool> = capture.packets.iter().map(|p| p.is_hep).collect();
    assert_eq!(marks, vec![true, false]);
}

#[test]
fn large_payload_is_split_and_reassembles() {
    let big: Vec<u8> = (0..150_000u32).map(|i| (i % 251) as u8).collect();
    for transport in [Transport::Udp, Transport::Tcp] {
        let sent = [Sent {
            ts_us: 5,
            src: addr("[::1]:1"),
            dst: addr("[::2]:2"),
            transport,
            payload: big.clone(),
        }];
        let capture = read_capture(&write_all(&sent)).unwrap();
        assert_eq!(capture.packets.len(), 3);
        assert!(capture
            .packets
            .iter()
            .all(|p| p.payload.len() <= MAX_SEGMENT_PAYLOAD));
        let joined: Vec<u8> = capture
            .packets
            .iter()
            .flat_map(|p| p.payload.clone())
            .collect();
        assert_eq!(joined, big);
    }
}

/// A classic pcap built by hand: `records` are (seconds, fraction, frame).
fn classic(
    big_endian: bool,
    nanos: bool,
    linktype: u32,
    records: &[(u32, u32, Vec<u8>)],
) -> Vec<u8> {
    let u32b = |v: u32| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let u16b = |v: u16| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let mut out = Vec::new();
    out.extend_from_slice(&u32b(if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 }));
    out.extend_from_slice(&u16b(2));
    out.extend_from_slice(&u16b(4));
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&u32b(65_535));
    out.extend_from_slice(&u32b(linktype));
    for (secs, frac, frame) in records {
        let len = u32::try_from(frame.len()).unwrap();
        for v in [*secs, *frac, len, len] {
            out.extend_from_slice(&u32b(v));
        }
        out.extend_from_slice(frame);
    }
    out
}

/// The first frame of a file written by [`PcapWriter`] (Ethernet).
fn ethernet_frame(transport: Transport, payload: &[u8]) -> Vec<u8> {
    let bytes = write_all(&[Sent {
        ts_us: 0,
        src: addr("10.0.0.1:5060"),
        dst: addr("10.0.0.2:5060"),
        transport,
        payload: payload.to_vec(),
    }]);
    bytes[40..].to_vec()
}

#[test]
fn big_endian_and_nanosecond_files_read() {
    let frame = ethernet_frame(Transport::Udp, b"OPTIONS sip:x SIP/2.0\r\n\r\n");
    for big_endian in [false, true] {
        let micro = classic(big_endian, false, 1, &[(10, 123_456, frame.clone())]);
        let capture = read_capture(&micro).unwrap();
        assert_eq!(capture.packets[0].ts_us, 10_123_456, "µs, be={big_endian}");
        let nano = classic(big_endian, true, 1, &[(10, 123_456_789, frame.clone())]);
        let capture = read_capture(&nano).unwrap();
        assert_eq!(capture.packets[0].ts_us, 10_123_456, "ns, be={big_endian}");
        assert_eq!(capture.packets[0].src, addr("10.0.0.1:5060"));
    }
}

#[test]
fn non_ip_and_fragments_are_skipped_and_counted() {
    let good = ethernet_frame(Transport::Udp, b"x");
    let mut arp = vec![0xff; 6];
    arp.extend_from_slice(&[2; 6]);
    arp.extend_from_slice(&[0x08, 0x06]);
    arp.extend_from_slice(&[0; 28]);
    let mut fragment = good.clone();
    fragment[14 + 6] |= 0x20; // IPv4 "more fragments"
    let mut cut = good.clone();
    cut.truncate(30);
    let file = classic(
        false,
        false,
        1,
        &[(1, 0, good), (2, 0, arp), (3, 0, fragment), (4, 0, cut)],
    );
    let capture = read_capture(&file).unwrap();
    assert_eq!(capture.packets.len(), 1);
    let expected = SkipCounts {
        non_ip: 1,
        fragments: 1,
        malformed: 1,
        ..SkipCounts::default()
    };
    assert_eq!(capture.skipped, expected);
    assert_eq!(capture.skipped.total(), 3);
}

#[test]
fn empty_capture_has_no_packets() {
    let capture = read_capture(&classic(false, false, 1, &[])).unwrap();
    assert!(capture.packets.is_empty());
}

#[test]
fn unknown_format_is_an_error() {
    assert_eq!(
        read_capture(b""),
        Err(PcapError::UnknownFormat { found: vec![] })
    );
    assert_eq!(
        read_capture(b"GIF89a...."),
        Err(PcapError::UnknownFormat {
            found: b"GIF8".to_vec()
        })
    );
}

#[test]
fn truncated_header_is_an_error() {
    let file = write_all(&sample());
    assert_eq!(
        read_capture(&file[..20]),
        Err(PcapError::TruncatedHeader { len: 20 })
    );
}

#[test]
fn truncated_record_is_an_error_not_a_partial_result() {
    let file = write_all(&sample());
    let err = read_capture(&file[..file.len() - 10]).unwrap_err();
    assert_eq!(err, PcapError::TruncatedRecord { index: 5 });
    let err = read_capture(&file[..24 + 8]).unwrap_err();
    assert_eq!(err, PcapError::TruncatedRecord { index: 0 });
}

#[test]
fn unsupported_link_type_is_an_error() {
    let file = classic(false, false, 147, &[]);
    assert_eq!(
        read_capture(&file),
        Err(PcapError::UnsupportedLinkType { linktype: 147 })
    );
}

/// pcapng blocks, little- or big-endian.
struct Ng {
    big_endian: bool,
    out: Vec<u8>,
}

impl Ng {
    fn u16b(&self, v: u16) -> [u8; 2] {
        if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
    fn u32b(&self, v: u32) -> [u8; 4] {
        if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
    fn block(&mut self, block_type: u32, body: &[u8]) {
        let len = u32::try_from(12 + body.len()).unwrap();
        let (t, l) = (self.u32b(block_type), self.u32b(len));
        self.out.extend_from_slice(&t);
        self.out.extend_from_slice(&l);
        self.out.extend_from_slice(body);
        self.out.extend_from_slice(&l);
    }
    fn section(&mut self) {
        let mut body = self.u32b(0x1a2b_3c4d).to_vec();
        body.extend_from_slice(&self.u16b(1));
        body.extend_from_slice(&self.u16b(0));
        body.extend_from_slice(&[0xff; 8]); // section length unknown
        self.block(0x0a0d_0d0a, &body);
    }
    fn interface(&mut self, linktype: u16, tsresol: Option<u8>) {
        let mut body = self.u16b(linktype).to_vec();
        body.extend_from_slice(&self.u16b(0));
        body.extend_from_slice(&self.u32b(65_535));
        if let Some(r) = tsresol {
            body.extend_from_slice(&self.u16b(9));
            body.extend_from_slice(&self.u16b(1));
            body.extend_from_slice(&[r, 0, 0, 0]);
            body.extend_from_slice(&[0; 4]); // opt_endofopt
        }
        self.block(1, &body);
    }
    fn packet(&mut self, if_id: u32, ts_units: u64, frame: &[u8]) {
        let len = u32::try_from(frame.len()).unwrap();
        let mut body = Vec::new();
        for v in [if_id, (ts_units >> 32) as u32, ts_units as u32, len, len] {
            body.extend_from_slice(&self.u32b(v));
        }
        body.extend_from_slice(frame);
        body.resize(body.len().next_multiple_of(4), 0);
        self.block(6, &body);
    }
}

#[test]
fn pcapng_sections_interfaces_and_resolutions_read() {
    let eth = ethernet_frame(Transport::Tcp, b"INVITE sip:x SIP/2.0\r\n\r\n");
    let raw = eth[14..].to_vec();
    let mut ng = Ng {
        big_endian: false,
        out: Vec::new(),
    };
    ng.section();
    ng.interface(1, None); // µs by default
    ng.interface(101, Some(9)); // raw IP, ns
    ng.packet(0, 7_000_001, &eth);
    ng.packet(1, 8_000_000_500, &raw);
    let mut be = Ng {
        big_endian: true,
        out: ng.out,
    };
    be.section();
    be.interface(1, Some(3)); // ms
    be.packet(0, 9_001, &eth);

    let capture = read_capture(&be.out).unwrap();
    let times: Vec<i64> = capture.packets.iter().map(|p| p.ts_us).collect();
    assert_eq!(times, vec![7_000_001, 8_000_000, 9_001_000]);
    assert!(capture
        .packets
        .iter()
        .all(|p| p.transport == Transport::Tcp));
    assert!(capture
        .packets
        .iter()
        .all(|p| p.payload == b"INVITE sip:x SIP/2.0\r\n\r\n"));
}

#[test]
fn pcapng_unknown_interface_is_an_error() {
    let mut ng = Ng {
        big_endian: false,
        out: Vec::new(),
    };
    ng.section();
    ng.interface(1, None);
    ng.packet(3, 0, &ethernet_frame(Transport::Udp, b"x"));
    assert_eq!(
        read_capture(&ng.out),
        Err(PcapError::UnknownInterface { index: 2, if_id: 3 })
    );
}

#[test]
fn pcapng_truncated_or_corrupt_is_an_error() {
    let mut ng = Ng {
        big_endian: false,
        out: Vec::new(),
    };
    ng.section();
    ng.interface(1, None);
    ng.packet(0, 0, &ethernet_frame(Transport::Udp, b"payload"));
    let len = ng.out.len();
    let err = read_capture(&ng.out[..len - 6]).unwrap_err();
    assert_eq!(err, PcapError::TruncatedRecord { index: 2 });
    let mut corrupt = ng.out.clone();
    corrupt[len - 4..].copy_from_slice(&[9, 9, 9, 9]); // trailing block length disagrees
    assert!(
        matches!(
            read_capture(&corrupt),
            Err(PcapError::Corrupt { index: 2, .. })
        ),
        "{:?}",
        read_capture(&corrupt)
    );
    assert!(read_capture(&ng.out[..10]).is_err());
}

#[test]
fn pcapng_unsupported_link_type_is_an_error() {
    let mut ng = Ng {
        big_endian: false,
        out: Vec::new(),
    };
    ng.section();
    ng.interface(147, None);
    ng.packet(0, 0, b"whatever");
    assert_eq!(
        read_capture(&ng.out),
        Err(PcapError::UnsupportedLinkType { linktype: 147 })
    );
}

#[test]
fn tshark_reads_written_sip_when_installed() {
    let tshark = std::path::Path::new("/usr/bin/tshark");
    if !tshark.exists() {
        eprintln!("note: /usr/bin/tshark not installed; skipping the tshark cross-check");
        return;
    }
    let sent = sample();
    let path = std::env::temp_dir().join(format!("hepscope-tshark-{}.pcap", std::process::id()));
    std::fs::write(&path, write_all(&sent)).unwrap();
    let output = std::process::Command::new(tshark)
        .args([
            "-r",
            path.to_str().unwrap(),
            "-T",
            "fields",
            "-e",
            "sip.Call-ID",
            "-e",
            "frame.time_epoch",
        ])
        .output()
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let rows: Vec<(String, f64)> = stdout
        .lines()
        .map(|line| {
            let (call_id, time) = line.split_once('\t').unwrap();
            (call_id.to_string(), time.parse().unwrap())
        })
        .collect();
    let want: Vec<(String, f64)> = sent
        .iter()
        .map(|s| {
            let text = String::from_utf8(s.payload.clone()).unwrap();
            let call_id = text
                .split("Call-ID: ")
                .nth(1)
                .unwrap()
                .split("\r\n")
                .next()
                .unwrap();
            (call_id.to_string(), s.ts_us as f64 / 1e6)
        })
        .collect();
    assert_eq!(rows.len(), want.len(), "{stdout}");
    for ((got_id, got_t), (want_id, want_t)) in rows.iter().zip(&want) {
        assert_eq!(got_id, want_id, "{stdout}");
        assert!((got_t - want_t).abs() < 2e-6, "{got_t} vs {want_t}");
    }
}
