//! Stored RTCP report JSON back to RTCP wire bytes (RFC 3550 §6.4, §6.5) for the PCAP export, so
//! Wireshark's RTP/RTCP analysis reads the reports as it would from the network.
//!
//! The JSON is read by the app's parser ([`RtcpPacket`]), the one definition of its shape; this
//! file only lays the parsed values out in network byte order: an SR (when sender information is
//! present) or RR, followed by an SDES chunk with a CNAME, as a compound packet must start
//! (RFC 3550 §6.1).

use app::domain::qos::rtcp::{ReportBlock, RtcpPacket, SenderInfo};

/// RTCP version 2 in the top two bits of the first octet.
const VERSION_BITS: u8 = 0x80;
/// Packet types (RFC 3550 §12.1).
const PT_SR: u8 = 200;
const PT_RR: u8 = 201;
const PT_SDES: u8 = 202;
/// SDES item type CNAME (RFC 3550 §6.5.1).
const SDES_CNAME: u8 = 1;
/// The report count is a 5-bit field.
const MAX_BLOCKS: usize = 31;
/// A CNAME item's length is one octet.
const MAX_CNAME: usize = 255;

/// The compound packet for `packet`: SR or RR with up to 31 report blocks, then SDES with
/// `cname` (cut to 255 bytes). A report without sender information becomes an RR, as
/// producers zero-fill or null it in RRs.
pub fn compound(packet: &RtcpPacket, cname: &str) -> Vec<u8> {
    let blocks = packet.blocks.get(..packet.blocks.len().min(MAX_BLOCKS));
    let blocks = blocks.unwrap_or_default();
    let mut out = Vec::with_capacity(8 + 20 + 24 * blocks.len() + 12 + cname.len());
    // Bounded by MAX_BLOCKS above.
    let count = u8::try_from(blocks.len()).unwrap_or(0);
    let (pt, body_words) = match packet.sender {
        Some(_) => (PT_SR, 6 + 6 * blocks.len()),
        None => (PT_RR, 1 + 6 * blocks.len()),
    };
    header(&mut out, count, pt, body_words);
    out.extend_from_slice(&packet.ssrc.to_be_bytes());
    if let Some(sender) = &packet.sender {
        sender_info(&mut out, sender);
    }
    for block in blocks {
        report_block(&mut out, block);
    }
    sdes(&mut out, packet.ssrc, cname);
    out
}

/// The 4-byte common header; `body_words` is the length in 32-bit words after the header.
fn header(out: &mut Vec<u8>, count: u8, pt: u8, body_words: usize) {
    out.push(VERSION_BITS | (count & 0x1F));
    out.push(pt);
    // At most 6 + 6 × 31 or (4 + 255 + 4) / 4 words, far below u16::MAX.
    let words = u16::try_from(body_words).unwrap_or(u16::MAX);
    out.extend_from_slice(&words.to_be_bytes());
}

fn sender_info(out: &mut Vec<u8>, s: &SenderInfo) {
    for word in [s.ntp_msw, s.ntp_lsw, s.rtp_timestamp, s.packets, s.octets] {
        out.extend_from_slice(&word.to_be_bytes());
    }
}

fn report_block(out: &mut Vec<u8>, b: &ReportBlock) {
    out.extend_from_slice(&b.source_ssrc.to_be_bytes());
    // Cumulative lost is a 24-bit two's complement number after the fraction octet.
    let lost = b.cumulative_lost.unwrap_or(0).to_be_bytes();
    out.push(b.fraction_lost);
    out.extend_from_slice(lost.get(1..).unwrap_or_default());
    out.extend_from_slice(&b.highest_seq.unwrap_or(0).to_be_bytes());
    // The parser keeps jitter within 0..=u32::MAX; `as` saturates and rounds toward zero.
    out.extend_from_slice(&(b.jitter_units.round() as u32).to_be_bytes());
    out.extend_from_slice(&b.lsr.to_be_bytes());
    out.extend_from_slice(&b.dlsr.to_be_bytes());
}

/// One SDES chunk with a CNAME item, ended by a null item and padded to a 32-bit boundary
/// (RFC 3550 §6.5).
fn sdes(out: &mut Vec<u8>, ssrc: u32, cname: &str) {
    let text = cname.as_bytes();
    let text = text.get(..text.len().min(MAX_CNAME)).unwrap_or_default();
    // SSRC, type, length, text, then at least one zero octet up to the boundary.
    let chunk = 4 + 2 + text.len();
    let padded = (chunk / 4 + 1) * 4;
    header(out, 1, PT_SDES, padded / 4);
    out.extend_from_slice(&ssrc.to_be_bytes());
    out.push(SDES_CNAME);
    out.push(u8::try_from(text.len()).unwrap_or(0));
    out.extend_from_slice(text);
    out.resize(out.len() + (padded - chunk), 0);
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn word(bytes: &[u8], at: usize) -> u32 {
        u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap())
    }

    const SR: &str = r#"{"type":200,"ssrc":305419896,"sender_information":{"ntp_timestamp_sec":3908989330,"ntp_timestamp_usec":515396075,"rtp_timestamp":160000,"packets":250,"octets":40000},"report_blocks":[{"source_ssrc":2271560481,"fraction_lost":26,"packets_lost":-3,"highest_seq_no":70000,"ia_jitter":12.4,"lsr":1234,"dlsr":5678}]}"#;

    #[test]
    fn sender_report_fields_sit_at_rfc3550_positions() {
        let bytes = compound(&RtcpPacket::parse(SR).unwrap(), "a@10.0.0.1");
        // SR: header + SSRC + 5 sender words + one 6-word block = 13 words = 52 bytes.
        assert_eq!(bytes[0], 0x81, "V=2, P=0, RC=1");
        assert_eq!(bytes[1], 200);
        assert_eq!(u16::from_be_bytes([bytes[2], bytes[3]]), 12);
        assert_eq!(word(&bytes, 4), 305_419_896);
        assert_eq!(word(&bytes, 8), 3_908_989_330, "NTP msw");
        assert_eq!(word(&bytes, 12), 515_396_075, "NTP lsw");
        assert_eq!(word(&bytes, 16), 160_000, "RTP timestamp");
        assert_eq!(word(&bytes, 20), 250, "packet count");
        assert_eq!(word(&bytes, 24), 40_000, "octet count");
        assert_eq!(word(&bytes, 28), 2_271_560_481, "source SSRC");
        assert_eq!(bytes[32], 26, "fraction lost");
        assert_eq!(
            bytes[33..36],
            [0xFF, 0xFF, 0xFD],
            "cumulative lost -3, 24-bit"
        );
        assert_eq!(word(&bytes, 36), 70_000, "extended highest sequence");
        assert_eq!(word(&bytes, 40), 12, "jitter");
        assert_eq!(word(&bytes, 44), 1234, "LSR");
        assert_eq!(word(&bytes, 48), 5678, "DLSR");
        // SDES: "a@10.0.0.1" is 10 bytes; chunk 4 + 2 + 10 = 16, padded to 20 = 5 words.
        let sdes = &bytes[52..];
        assert_eq!(sdes.len(), 24);
        assert_eq!(sdes[..4], [0x81, 202, 0, 5]);
        assert_eq!(word(sdes, 4), 305_419_896);
        assert_eq!(sdes[8..10], [1, 10]);
        assert_eq!(&sdes[10..20], b"a@10.0.0.1");
        assert_eq!(sdes[20..], [0, 0, 0, 0]);
    }

    #[test]
    fn report_without_sender_information_is_a_receiver_report() {
        let raw = r#"{"type":201,"ssrc":7,"sender_information":{"ntp_timestamp_sec":0,"ntp_timestamp_usec":0,"rtp_timestamp":0,"packets":0,"octets":0},"report_blocks":[{"source_ssrc":9,"fraction_lost":0,"packets_lost":5,"highest_seq_no":1,"ia_jitter":0,"lsr":0,"dlsr":0},{"source_ssrc":10}]}"#;
        let bytes = compound(&RtcpPacket::parse(raw).unwrap(), "abc");
        assert_eq!(bytes[..4], [0x82, 201, 0, 13]);
        assert_eq!(word(&bytes, 4), 7);
        assert_eq!(word(&bytes, 8), 9);
        assert_eq!(bytes[13..16], [0, 0, 5]);
        assert_eq!(word(&bytes, 32), 10);
        // SDES chunk 4 + 2 + 3 = 9, padded to 12.
        assert_eq!(bytes[56..60], [0x81, 202, 0, 3]);
        assert_eq!(bytes.len(), 56 + 16);
    }

    #[test]
    fn cname_is_cut_and_an_exact_fit_still_gets_a_null_item() {
        let no_blocks = RtcpPacket::parse(r#"{"type":201,"ssrc":1}"#).unwrap();
        // 4 + 2 + 2 = 8: a full word, so a whole zero word follows.
        let bytes = compound(&no_blocks, "ab");
        assert_eq!(bytes[..8], [0x80, 201, 0, 1, 0, 0, 0, 1]);
        assert_eq!(bytes[8..12], [0x81, 202, 0, 3]);
        assert_eq!(bytes[16..], [1, 2, b'a', b'b', 0, 0, 0, 0]);
        let long = compound(&no_blocks, &"x".repeat(300));
        assert_eq!(long[17], 255);
        assert_eq!(long.len() % 4, 0);
    }
}
