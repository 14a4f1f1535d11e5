//! Fixture packet -> [`HepPacket`]: the protocol type, capture transport, agent id, node name and, for
//! RTCP and log lines, the correlation id (HEP3 chunk 0x11) that ties them to their SIP Call-ID.
//!
//! Pure: the timestamp is the packet's own; the generator shifts it before calling this.

use app::domain::fixture::{Packet, PacketKind, Transport};

use crate::hep::{HepPacket, ProtoType, IP_PROTO_TCP, IP_PROTO_UDP};

/// Wraps `packet` for HEP3: proto 1 (SIP), 5 (RTCP JSON), 35 (quality report) or 100 (log);
/// correlation id on everything but SIP; `auth_key` (chunk 0x0e) when the receiver wants one.
pub fn to_hep(packet: &Packet, auth_key: Option<&str>) -> HepPacket {
    let proto_type = match packet.kind {
        PacketKind::Sip => ProtoType::Sip,
        PacketKind::Rtcp => ProtoType::Rtcp,
        PacketKind::Log => ProtoType::Log,
        PacketKind::QualityReport => ProtoType::MosShortReport,
    };
    let mut hep = HepPacket::new(packet.src, packet.dst, proto_type, packet.payload.clone());
    hep.ip_proto = match packet.transport {
        Transport::Udp => IP_PROTO_UDP,
        Transport::Tcp => IP_PROTO_TCP,
    };
    hep.ts_us = Some(packet.ts_us);
    hep.capture_id = packet.capture_id;
    hep.node_name = Some(packet.node.clone());
    hep.auth_key = auth_key.map(str::to_owned);
    if packet.kind != PacketKind::Sip {
        hep.correlation_id = Some(packet.call_id.clone());
    }
    hep
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hep::{decode, encode};
    use app::domain::fixture::{log_packet, single_call, Outcome};

    #[test]
    fn sip_packet_keeps_addresses_time_and_node_without_correlation_id() {
        let packet = single_call(1, 1_700_000_000_000_000, Outcome::Busy)
            .into_iter()
            .next()
            .unwrap();
        let hep = decode(&encode(&to_hep(&packet, None), false).unwrap()).unwrap();
        assert_eq!(hep.proto_type, ProtoType::Sip);
        assert_eq!((hep.src, hep.dst), (packet.src, packet.dst));
        assert_eq!(hep.ts_us, Some(packet.ts_us));
        assert_eq!(hep.capture_id, packet.capture_id);
        assert_eq!(hep.node_name.as_deref(), Some(packet.node.as_str()));
        assert_eq!(hep.correlation_id, None);
        assert_eq!(hep.payload, packet.payload);
    }

    #[test]
    fn log_packet_is_proto_100_correlated_to_its_call() {
        let packet = log_packet(1_700_000_000_000_000, "abc@host", "hello");
        let hep = to_hep(&packet, Some("myHep"));
        assert_eq!(hep.proto_type, ProtoType::Log);
        assert_eq!(hep.correlation_id.as_deref(), Some("abc@host"));
        assert_eq!(hep.auth_key.as_deref(), Some("myHep"));
    }
}
