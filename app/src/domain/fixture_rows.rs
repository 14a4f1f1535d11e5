//! Test support: fixture packets turned into the HOMER rows a transaction answer would carry, so the
//! ladder and leg tests run on the same shapes the browser receives. Test builds only; no I/O.

use crate::domain::fixture::{Packet, PacketKind};
use crate::domain::homer::HomerRow;
use crate::domain::sip;

/// The row HOMER would store for `packet`, with row id `id`: SIP fields read by our scanner, the
/// raw payload kept, `correlation_id` set to the X-CID value (else the Call-ID) as heplify-server does.
pub(crate) fn packet_row(packet: &Packet, id: i64) -> HomerRow {
    let mut row = HomerRow {
        id: Some(id),
        sid: packet.call_id.clone(),
        time_seconds: Some(packet.ts_us.div_euclid(1_000_000)),
        time_useconds: Some(packet.ts_us.rem_euclid(1_000_000)),
        src_ip: packet.src.ip().to_string(),
        src_port: Some(packet.src.port()),
        dst_ip: packet.dst.ip().to_string(),
        dst_port: Some(packet.dst.port()),
        capture_id: packet.capture_id.to_string(),
        node: vec![packet.node.clone()],
        raw: Some(String::from_utf8_lossy(&packet.payload).into_owned()),
        ..HomerRow::default()
    };
    match packet.kind {
        PacketKind::Sip => {
            row.payload_type = Some(1);
            if let Ok(msg) = sip::scan(&packet.payload) {
                row.method = match msg.status() {
                    Some(code) => code.to_string(),
                    None => msg
                        .method()
                        .map(|m| m.as_str().to_owned())
                        .unwrap_or_default(),
                };
                row.callid = msg.call_id().unwrap_or_default().to_owned();
                row.cseq = msg
                    .cseq()
                    .map(|c| format!("{} {}", c.seq, c.method))
                    .unwrap_or_default();
                row.from_user = msg.from_user().unwrap_or_default().to_owned();
                row.to_user = msg.to_user().unwrap_or_default().to_owned();
                row.correlation_id = msg
                    .header("X-CID")
                    .next()
                    .unwrap_or(&packet.call_id)
                    .to_owned();
            }
        }
        PacketKind::Rtcp => {
            row.payload_type = Some(5);
            row.proto = "rtcp".to_owned();
            row.correlation_id = packet.call_id.clone();
        }
        PacketKind::QualityReport => {
            row.payload_type = Some(35);
            row.proto = "rtcpxr".to_owned();
            row.correlation_id = packet.call_id.clone();
        }
        PacketKind::Log => {
            row.payload_type = Some(100);
            row.proto = "log".to_owned();
            row.correlation_id = packet.call_id.clone();
        }
    }
    row
}

/// [`packet_row`] for every packet, ids counting from 1.
pub(crate) fn packet_rows(packets: &[Packet]) -> Vec<HomerRow> {
    packets
        .iter()
        .zip(1..)
        .map(|(packet, id)| packet_row(packet, id))
        .collect()
}
