//! One captured frame -> addresses, transport and payload, for the link types hepscope reads:
//! Ethernet (with VLAN tags), Linux SLL and SLL2, raw IP and BSD null/loopback.
//!
//! Link-type numbers are from the tcpdump registry (<https://www.tcpdump.org/linktypes.html>).
//! IP and transport parsing is etherparse's; this file only strips the link header it does
//! not know (SLL2, null/loopback) and classifies what to skip.

use std::net::{IpAddr, SocketAddr};

use etherparse::{EtherType, NetSlice, SlicedPacket, TransportSlice};

use super::Transport;

/// LINKTYPE_NULL: 4-byte address family in the capturing host's byte order.
const LINKTYPE_NULL: i32 = 0;
/// LINKTYPE_ETHERNET.
const LINKTYPE_ETHERNET: i32 = 1;
/// DLT_RAW as some BSDs number it.
const DLT_RAW_12: i32 = 12;
/// DLT_RAW as OpenBSD numbers it.
const DLT_RAW_14: i32 = 14;
/// LINKTYPE_RAW.
const LINKTYPE_RAW: i32 = 101;
/// LINKTYPE_LOOP: like NULL but the family is in network byte order (OpenBSD).
const LINKTYPE_LOOP: i32 = 108;
/// LINKTYPE_LINUX_SLL (16-byte "cooked" header).
const LINKTYPE_LINUX_SLL: i32 = 113;
/// LINKTYPE_IPV4.
const LINKTYPE_IPV4: i32 = 228;
/// LINKTYPE_IPV6.
const LINKTYPE_IPV6: i32 = 229;
/// LINKTYPE_LINUX_SLL2 (20-byte "cooked" header; protocol type in its first 2 bytes).
const LINKTYPE_LINUX_SLL2: i32 = 276;
const SLL2_HEADER_LEN: usize = 20;
const NULL_HEADER_LEN: usize = 4;

/// Whether [`slice_frame`] understands `linktype`.
pub(super) fn is_supported(linktype: i32) -> bool {
    matches!(
        linktype,
        LINKTYPE_NULL
            | LINKTYPE_ETHERNET
            | DLT_RAW_12
            | DLT_RAW_14
            | LINKTYPE_RAW
            | LINKTYPE_LOOP
            | LINKTYPE_LINUX_SLL
            | LINKTYPE_IPV4
            | LINKTYPE_IPV6
            | LINKTYPE_LINUX_SLL2
    )
}

/// Why a frame yields no payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Skip {
    /// ARP, LLDP, or another non-IP protocol.
    NonIp,
    /// An IP fragment (hepscope does not reassemble).
    Fragment,
    /// IP but neither UDP nor TCP (ICMP, SCTP, ...).
    OtherTransport,
    /// Headers that do not parse, or a frame cut short by the snap length.
    Malformed,
    /// UDP or TCP with nothing in it (TCP handshakes and bare ACKs).
    EmptyPayload,
}

/// The transport-level content of one frame.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Segment<'a> {
    pub(super) src: SocketAddr,
    pub(super) dst: SocketAddr,
    pub(super) transport: Transport,
    /// TCP only: the sequence number of the first payload byte.
    pub(super) tcp_seq: Option<u32>,
    pub(super) payload: &'a [u8],
}

/// Parses one frame of link type `linktype` (which must pass [`is_supported`]).
pub(super) fn slice_frame(linktype: i32, data: &[u8]) -> Result<Segment<'_>, Skip> {
    let sliced = match linktype {
        LINKTYPE_ETHERNET => SlicedPacket::from_ethernet(data),
        LINKTYPE_LINUX_SLL => SlicedPacket::from_linux_sll(data),
        LINKTYPE_LINUX_SLL2 => {
            let ([p_hi, p_lo, ..], Some(rest)) = (data, data.get(SLL2_HEADER_LEN..)) else {
                return Err(Skip::Malformed);
            };
            SlicedPacket::from_ether_type(EtherType(u16::from_be_bytes([*p_hi, *p_lo])), rest)
        }
        LINKTYPE_NULL | LINKTYPE_LOOP => {
            let (Some(family), Some(rest)) =
                (data.get(..NULL_HEADER_LEN), data.get(NULL_HEADER_LEN..))
            else {
                return Err(Skip::Malformed);
            };
            if !is_bsd_ip_family(family) {
                return Err(Skip::NonIp);
            }
            SlicedPacket::from_ip(rest)
        }
        _ => {
            // Raw IP: the version nibble says v4 or v6.
            if !matches!(data.first().map(|b| b >> 4), Some(4 | 6)) {
                return Err(Skip::NonIp);
            }
            SlicedPacket::from_ip(data)
        }
    }
    .map_err(|_| Skip::Malformed)?;

    let (src_ip, dst_ip, fragmented) = match sliced.net {
        Some(NetSlice::Ipv4(ref v4)) => (
            IpAddr::V4(v4.header().source_addr()),
            IpAddr::V4(v4.header().destination_addr()),
            v4.is_payload_fragmented(),
        ),
        Some(NetSlice::Ipv6(ref v6)) => (
            IpAddr::V6(v6.header().source_addr()),
            IpAddr::V6(v6.header().destination_addr()),
            v6.is_payload_fragmented(),
        ),
        Some(NetSlice::Arp(_)) | None => return Err(Skip::NonIp),
    };
    if fragmented {
        return Err(Skip::Fragment);
    }
    let (transport, src_port, dst_port, tcp_seq, payload) = match sliced.transport {
        Some(TransportSlice::Udp(udp)) => (
            Transport::Udp,
            udp.source_port(),
            udp.destination_port(),
            None,
            udp.payload(),
        ),
        Some(TransportSlice::Tcp(tcp)) => (
            Transport::Tcp,
            tcp.source_port(),
            tcp.destination_port(),
            Some(tcp.sequence_number()),
            tcp.payload(),
        ),
        _ => return Err(Skip::OtherTransport),
    };
    if payload.is_empty() {
        return Err(Skip::EmptyPayload);
    }
    Ok(Segment {
        src: SocketAddr::new(src_ip, src_port),
        dst: SocketAddr::new(dst_ip, dst_port),
        transport,
        tcp_seq,
        payload,
    })
}

/// BSD `AF_INET` (2) or one of the `AF_INET6` values (24 NetBSD/OpenBSD, 28 FreeBSD, 30 macOS),
/// in either byte order.
fn is_bsd_ip_family(family: &[u8]) -> bool {
    let Ok(bytes) = <[u8; 4]>::try_from(family) else {
        return false;
    };
    let ip = |v: u32| matches!(v, 2 | 24 | 28 | 30);
    ip(u32::from_le_bytes(bytes)) || ip(u32::from_be_bytes(bytes))
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use etherparse::{LinuxSllPacketType, PacketBuilder};

    const PAYLOAD: &[u8] = b"BYE sip:a@b SIP/2.0\r\n\r\n";

    fn raw_ipv4_udp() -> Vec<u8> {
        let mut out = Vec::new();
        PacketBuilder::ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
            .udp(5060, 5070)
            .write(&mut out, PAYLOAD)
            .unwrap();
        out
    }

    fn raw_ipv6_tcp() -> Vec<u8> {
        let mut out = Vec::new();
        let s: std::net::Ipv6Addr = "2001:db8::1".parse().unwrap();
        PacketBuilder::ipv6(s.octets(), std::net::Ipv6Addr::LOCALHOST.octets(), 64)
            .tcp(5061, 5062, 1, 100)
            .write(&mut out, PAYLOAD)
            .unwrap();
        out
    }

    fn expect_v4(seg: Segment<'_>) {
        assert_eq!(seg.src, "10.0.0.1:5060".parse().unwrap());
        assert_eq!(seg.dst, "10.0.0.2:5070".parse().unwrap());
        assert_eq!(seg.transport, Transport::Udp);
        assert_eq!(seg.payload, PAYLOAD);
    }

    #[test]
    fn raw_ip_link_types_slice_v4_and_v6() {
        for lt in [LINKTYPE_RAW, LINKTYPE_IPV4, DLT_RAW_12, DLT_RAW_14] {
            expect_v4(slice_frame(lt, &raw_ipv4_udp()).unwrap());
        }
        let frame = raw_ipv6_tcp();
        let seg = slice_frame(LINKTYPE_IPV6, &frame).unwrap();
        assert_eq!(seg.src, "[2001:db8::1]:5061".parse().unwrap());
        assert_eq!(seg.transport, Transport::Tcp);
        assert_eq!(seg.payload, PAYLOAD);
    }

    #[test]
    fn ethernet_with_vlan_tag_slices() {
        let mut out = Vec::new();
        PacketBuilder::ethernet2([2; 6], [4; 6])
            .single_vlan(100.try_into().unwrap())
            .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
            .udp(5060, 5070)
            .write(&mut out, PAYLOAD)
            .unwrap();
        expect_v4(slice_frame(LINKTYPE_ETHERNET, &out).unwrap());
    }

    #[test]
    fn linux_sll_slices() {
        let mut out = Vec::new();
        PacketBuilder::linux_sll(LinuxSllPacketType::HOST, 6, [1; 8])
            .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
            .udp(5060, 5070)
            .write(&mut out, PAYLOAD)
            .unwrap();
        expect_v4(slice_frame(LINKTYPE_LINUX_SLL, &out).unwrap());
    }

    #[test]
    fn linux_sll2_slices() {
        // protocol 0x0800, reserved, ifindex, ARPHRD_ETHER, packet type, addr len, address
        let mut frame = vec![0x08, 0x00, 0, 0, 0, 0, 0, 3, 0, 1, 0, 6];
        frame.extend_from_slice(&[1; 8]);
        frame.extend_from_slice(&raw_ipv4_udp());
        expect_v4(slice_frame(LINKTYPE_LINUX_SLL2, &frame).unwrap());
        assert_eq!(
            slice_frame(LINKTYPE_LINUX_SLL2, &frame[..10]),
            Err(Skip::Malformed)
        );
    }

    #[test]
    fn null_and_loop_slice_in_either_byte_order() {
        for header in [[2, 0, 0, 0], [0, 0, 0, 2]] {
            let frame = [&header[..], &raw_ipv4_udp()].concat();
            expect_v4(slice_frame(LINKTYPE_NULL, &frame).unwrap());
            expect_v4(slice_frame(LINKTYPE_LOOP, &frame).unwrap());
        }
        let v6 = [&[30, 0, 0, 0][..], &raw_ipv6_tcp()].concat();
        assert!(slice_frame(LINKTYPE_NULL, &v6).is_ok());
        let other = [&[7, 0, 0, 0][..], &raw_ipv4_udp()].concat();
        assert_eq!(slice_frame(LINKTYPE_NULL, &other), Err(Skip::NonIp));
    }

    #[test]
    fn arp_is_non_ip() {
        let mut frame = vec![0xff; 6];
        frame.extend_from_slice(&[2; 6]);
        frame.extend_from_slice(&[0x08, 0x06]);
        frame.extend_from_slice(&[0, 1, 8, 0, 6, 4, 0, 1]);
        frame.extend_from_slice(&[0; 20]);
        assert_eq!(slice_frame(LINKTYPE_ETHERNET, &frame), Err(Skip::NonIp));
        assert_eq!(slice_frame(LINKTYPE_RAW, b"\x00abc"), Err(Skip::NonIp));
    }

    #[test]
    fn ipv4_fragment_is_skipped() {
        let mut frame = raw_ipv4_udp();
        frame[6] |= 0x20; // more fragments
                          // The header checksum is not verified by the slicer, so no need to fix it.
        assert_eq!(slice_frame(LINKTYPE_RAW, &frame), Err(Skip::Fragment));
    }

    #[test]
    fn icmp_is_other_transport_and_truncated_is_malformed() {
        let mut icmp = Vec::new();
        PacketBuilder::ipv4([1, 1, 1, 1], [2, 2, 2, 2], 64)
            .icmpv4_echo_request(1, 1)
            .write(&mut icmp, b"ping")
            .unwrap();
        assert_eq!(slice_frame(LINKTYPE_RAW, &icmp), Err(Skip::OtherTransport));
        let frame = raw_ipv4_udp();
        assert_eq!(
            slice_frame(LINKTYPE_RAW, &frame[..30]),
            Err(Skip::Malformed)
        );
    }

    #[test]
    fn empty_tcp_segment_is_skipped() {
        let mut out = Vec::new();
        PacketBuilder::ipv4([1, 1, 1, 1], [2, 2, 2, 2], 64)
            .tcp(1, 2, 3, 4)
            .syn()
            .write(&mut out, &[])
            .unwrap();
        assert_eq!(slice_frame(LINKTYPE_RAW, &out), Err(Skip::EmptyPayload));
    }
}
