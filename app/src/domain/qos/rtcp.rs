//! RTCP reports as HOMER and HEP agents deliver them: the input struct and a lenient parser of the
//! report JSON (SR 200, RR 201, XR 207 VoIP metrics; RFC 3550 §6.4, RFC 3611 §4.7).
//!
//! Parsing never guesses values it cannot read: a missing or unreadable field becomes `None` (or
//! the documented zero), and only a payload that is not a JSON object is an error. Pure: no I/O.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::number::{cumulative_lost_24, float, float_field, int_field, to_u32_field, u32_field};

/// Errors reading one RTCP report. Each names what was wrong so the UI can list rejected rows.
#[derive(Debug, thiserror::Error)]
pub enum RtcpError {
    /// The report text is not JSON at all.
    #[error(
        "rtcp report is not valid json ({source}); expected an object such as {{\"type\":200,...}}"
    )]
    InvalidJson {
        /// The parser's complaint.
        #[source]
        source: serde_json::Error,
    },
    /// The report is JSON but not an object.
    #[error("rtcp report is a json {found}, expected an object")]
    NotAnObject {
        /// The JSON kind found instead ("array", "string", ...).
        found: &'static str,
    },
    /// A HOMER QoS row lacks a field the report needs.
    #[error("qos row has no usable \"{field}\"; expected HOMER's /call/report/qos row shape")]
    MissingField {
        /// The JSON key that was absent or unreadable.
        field: &'static str,
    },
}

/// One RTCP report as the app receives it, from a HOMER `/call/report/qos` `rtcp` row or from
/// hepscope's embedded store. The addresses are those of the RTCP packet: `src` is the reporter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RtcpReport {
    /// Capture time, microseconds since the Unix epoch.
    pub ts_us: i64,
    /// Source address of the RTCP packet (the endpoint that wrote the report).
    pub src_ip: String,
    /// Source UDP port of the RTCP packet.
    pub src_port: u16,
    /// Destination address of the RTCP packet.
    pub dst_ip: String,
    /// Destination UDP port of the RTCP packet.
    pub dst_port: u16,
    /// The report JSON verbatim (HOMER's `raw`).
    pub raw_json: String,
}

impl RtcpReport {
    /// Builds a report from one element of HOMER's `rtcp.data` array (docs/homer7-api.md §6.2):
    /// the time from `timeSeconds`/`timeUseconds` (else `create_date`), the addresses and ports,
    /// and `raw` (a JSON string, or an object that is re-encoded).
    ///
    /// # Errors
    ///
    /// [`RtcpError::NotAnObject`] when `row` is not an object, [`RtcpError::MissingField`] when it
    /// has no readable time or no `raw`.
    pub fn from_qos_row(row: &Value) -> Result<Self, RtcpError> {
        let obj = as_object(row)?;
        let ts_us = row_time_us(obj).ok_or(RtcpError::MissingField {
            field: "timeSeconds",
        })?;
        let raw_json = match obj.get("raw") {
            Some(Value::String(text)) => text.clone(),
            Some(value @ Value::Object(_)) => value.to_string(),
            _ => return Err(RtcpError::MissingField { field: "raw" }),
        };
        let text = |key: &str| {
            obj.get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let port = |key: &str| {
            int_field(obj, key)
                .and_then(|p| u16::try_from(p).ok())
                .unwrap_or(0)
        };
        Ok(Self {
            ts_us,
            src_ip: text("srcIp"),
            src_port: port("srcPort"),
            dst_ip: text("dstIp"),
            dst_port: port("dstPort"),
            raw_json,
        })
    }

    /// Parses [`RtcpReport::raw_json`] with [`RtcpPacket::parse`].
    ///
    /// # Errors
    ///
    /// As [`RtcpPacket::parse`].
    pub fn parse(&self) -> Result<RtcpPacket, RtcpError> {
        RtcpPacket::parse(&self.raw_json)
    }
}

/// The RTCP packet type of the first packet of the compound (heplify's `type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RtcpType {
    /// 200, sender report.
    SenderReport,
    /// 201, receiver report.
    ReceiverReport,
    /// 202, source description.
    SourceDescription,
    /// 203, goodbye.
    Goodbye,
    /// 207, extended report (RFC 3611).
    ExtendedReport,
    /// Any other or missing type code (missing reads as 0).
    Other(i64),
}

impl RtcpType {
    /// Maps an RTCP packet type code.
    pub fn from_code(code: i64) -> Self {
        match code {
            200 => Self::SenderReport,
            201 => Self::ReceiverReport,
            202 => Self::SourceDescription,
            203 => Self::Goodbye,
            207 => Self::ExtendedReport,
            other => Self::Other(other),
        }
    }
}

/// The sender-information part of an SR (RFC 3550 §6.4.1).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SenderInfo {
    /// NTP timestamp, most significant word (seconds since 1900).
    pub ntp_msw: u32,
    /// NTP timestamp, least significant word (heplify's `ntp_timestamp_usec`, a 2^-32 fraction).
    pub ntp_lsw: u32,
    /// RTP timestamp matching the NTP time.
    pub rtp_timestamp: u32,
    /// Sender's packet count since it started sending.
    pub packets: u32,
    /// Sender's payload octet count.
    pub octets: u32,
}

impl SenderInfo {
    /// The values an RR's `lsr` may hold for this SR: the middle 32 bits of the NTP timestamp
    /// (RFC 3550 §6.4.1). The second entry reads `ntp_lsw` as microseconds, as Asterisk writes
    /// it; it equals the first when that reading is impossible.
    pub fn lsr_candidates(&self) -> [u32; 2] {
        let middle = |fraction: u32| ((self.ntp_msw & 0xFFFF) << 16) | (fraction >> 16);
        let as_fraction = middle(self.ntp_lsw);
        let as_micros = if self.ntp_lsw < 1_000_000 {
            let fraction = (u64::from(self.ntp_lsw) << 32) / 1_000_000;
            middle(u32::try_from(fraction).unwrap_or(u32::MAX))
        } else {
            as_fraction
        };
        [as_fraction, as_micros]
    }
}

/// One reception report block (RFC 3550 §6.4.1): what the reporter saw of `source_ssrc`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportBlock {
    /// SSRC of the media sender this block reports on (0 when absent).
    pub source_ssrc: u32,
    /// Loss in the interval since the previous report, in 1/256 (0 when absent).
    pub fraction_lost: u8,
    /// Cumulative packets lost since reception started, sign-extended from 24 bits.
    pub cumulative_lost: Option<i32>,
    /// Extended highest sequence number received (cycles × 65536 + sequence).
    pub highest_seq: Option<u32>,
    /// Interarrival jitter in RTP timestamp units (0 when absent).
    pub jitter_units: f64,
    /// Middle 32 bits of the NTP time of the last SR received from the source; 0 = none yet.
    pub lsr: u32,
    /// Delay since that SR, in 1/65536 s.
    pub dlsr: u32,
}

/// Endpoint-computed quality from RTCP-XR VoIP metrics (RFC 3611 §4.7) as agents flatten it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct XrMetrics {
    /// SSRC of the source the metrics describe, when the producer says.
    pub source_ssrc: Option<u32>,
    /// Listening-quality MOS, 1.0..=5.0.
    pub mos_lq: Option<f64>,
    /// Conversational-quality MOS, 1.0..=5.0.
    pub mos_cq: Option<f64>,
    /// R factor, 1..=100.
    pub r_factor: Option<f64>,
    /// Round-trip delay the endpoint measured, in ms.
    pub round_trip_ms: Option<f64>,
}

impl XrMetrics {
    fn is_empty(&self) -> bool {
        self.mos_lq.is_none()
            && self.mos_cq.is_none()
            && self.r_factor.is_none()
            && self.round_trip_ms.is_none()
    }
}

/// A parsed RTCP report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RtcpPacket {
    /// Type of the first packet in the compound.
    pub kind: RtcpType,
    /// SSRC of the reporter (the packet's sender); 0 when absent.
    pub ssrc: u32,
    /// Sender information, present only when some field is non-zero (heplify zero-fills RRs and
    /// Asterisk sends `null`).
    pub sender: Option<SenderInfo>,
    /// Every reception report block, in order.
    pub blocks: Vec<ReportBlock>,
    /// XR VoIP metrics, when any usable value is present.
    pub xr: Option<XrMetrics>,
}

impl RtcpPacket {
    /// Parses report JSON leniently (docs/hep-and-live-stream.md §2.3): numbers may be strings,
    /// floats or negative; `sender_information`, `report_blocks` and the XR objects may be
    /// missing or null; stray control bytes (HOMER's `\u0010`) are dropped first.
    ///
    /// # Errors
    ///
    /// [`RtcpError::InvalidJson`] when the text is not JSON, [`RtcpError::NotAnObject`] when it is
    /// not an object.
    pub fn parse(raw: &str) -> Result<Self, RtcpError> {
        let cleaned: String = raw
            .chars()
            .filter(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
            .collect();
        let value: Value =
            serde_json::from_str(&cleaned).map_err(|source| RtcpError::InvalidJson { source })?;
        Self::from_value(&value)
    }

    /// Reads an already decoded report.
    ///
    /// # Errors
    ///
    /// [`RtcpError::NotAnObject`] when `value` is not an object.
    pub fn from_value(value: &Value) -> Result<Self, RtcpError> {
        let obj = as_object(value)?;
        let sender = obj
            .get("sender_information")
            .and_then(Value::as_object)
            .and_then(sender_info);
        let blocks: Vec<ReportBlock> = obj
            .get("report_blocks")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(Value::as_object)
                    .map(report_block)
                    .collect()
            })
            .unwrap_or_default();
        let kind = match int_field(obj, "type") {
            Some(code) => RtcpType::from_code(code),
            None if sender.is_some() => RtcpType::SenderReport,
            None if !blocks.is_empty() => RtcpType::ReceiverReport,
            None => RtcpType::Other(0),
        };
        Ok(Self {
            kind,
            ssrc: u32_field(obj, "ssrc").unwrap_or(0),
            sender,
            blocks,
            xr: xr_metrics(obj),
        })
    }
}

fn as_object(value: &Value) -> Result<&Map<String, Value>, RtcpError> {
    let found = match value {
        Value::Object(obj) => return Ok(obj),
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
    };
    Err(RtcpError::NotAnObject { found })
}

fn row_time_us(obj: &Map<String, Value>) -> Option<i64> {
    if let Some(seconds) = int_field(obj, "timeSeconds") {
        let micros = int_field(obj, "timeUseconds").unwrap_or(0);
        return seconds.checked_mul(1_000_000)?.checked_add(micros);
    }
    let text = obj.get("create_date")?.as_str()?;
    let ts: jiff::Timestamp = text.parse().ok()?;
    Some(ts.as_microsecond())
}

fn sender_info(obj: &Map<String, Value>) -> Option<SenderInfo> {
    let field = |key: &str| u32_field(obj, key).unwrap_or(0);
    let info = SenderInfo {
        ntp_msw: field("ntp_timestamp_sec"),
        ntp_lsw: field("ntp_timestamp_usec"),
        rtp_timestamp: field("rtp_timestamp"),
        packets: field("packets"),
        octets: field("octets"),
    };
    let all_zero = info.ntp_msw == 0
        && info.ntp_lsw == 0
        && info.rtp_timestamp == 0
        && info.packets == 0
        && info.octets == 0;
    (!all_zero).then_some(info)
}

fn report_block(obj: &Map<String, Value>) -> ReportBlock {
    let jitter_units = match float_field(obj, "ia_jitter") {
        // The wire field is 32 bits; larger values are producer noise.
        Some(j) if j >= 0.0 => j.min(f64::from(u32::MAX)),
        Some(_) => int_field(obj, "ia_jitter").map_or(0.0, |j| f64::from(to_u32_field(j))),
        None => 0.0,
    };
    ReportBlock {
        source_ssrc: u32_field(obj, "source_ssrc").unwrap_or(0),
        fraction_lost: int_field(obj, "fraction_lost")
            .and_then(|f| u8::try_from(f & 0xFF).ok())
            .unwrap_or(0),
        cumulative_lost: int_field(obj, "packets_lost").map(cumulative_lost_24),
        highest_seq: u32_field(obj, "highest_seq_no"),
        jitter_units,
        lsr: u32_field(obj, "lsr").unwrap_or(0),
        dlsr: u32_field(obj, "dlsr").unwrap_or(0),
    }
}

/// Merges the XR shapes agents use: heplify 2.x `voip_metrics`, heplify's flattened
/// `report_blocks_xr` and captagent's `extended_report_information`. The first usable value of
/// each field wins.
fn xr_metrics(obj: &Map<String, Value>) -> Option<XrMetrics> {
    let mut metrics = XrMetrics::default();
    for key in [
        "voip_metrics",
        "report_blocks_xr",
        "extended_report_information",
    ] {
        let Some(part) = obj.get(key).and_then(Value::as_object) else {
            continue;
        };
        metrics.source_ssrc = metrics.source_ssrc.or_else(|| {
            ["ssrc", "source_ssrc", "id", "identifier"]
                .iter()
                .find_map(|k| u32_field(part, k))
                .filter(|&ssrc| ssrc != 0)
        });
        metrics.mos_lq = metrics.mos_lq.or_else(|| xr_mos(part, "mos_lq"));
        metrics.mos_cq = metrics.mos_cq.or_else(|| xr_mos(part, "mos_cq"));
        metrics.r_factor = metrics
            .r_factor
            .or_else(|| float_field(part, "r_factor").filter(|r| *r > 0.0 && *r <= 100.0));
        metrics.round_trip_ms = metrics.round_trip_ms.or_else(|| {
            float_field(part, "round_trip_delay").filter(|d| *d > 0.0 && *d < 65_535.0)
        });
    }
    (!metrics.is_empty()).then_some(metrics)
}

/// RFC 3611 carries MOS × 10 (10..=50, 127 = unavailable); heplify divides by 10. Both forms are
/// accepted; 0 (zero-filled) and out-of-range values are treated as absent.
fn xr_mos(obj: &Map<String, Value>, key: &str) -> Option<f64> {
    let value = obj.get(key).and_then(float)?;
    if (1.0..=5.0).contains(&value) {
        Some(value)
    } else if (10.0..=50.0).contains(&value) {
        Some(value / 10.0)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The SR of docs/homer7-api.md §6.2, decoded from `raw`.
    const HOMER_SR: &str = r#"{"sender_information":{"ntp_timestamp_sec":3908989330,"ntp_timestamp_usec":515396075,"rtp_timestamp":160000,"packets":250,"octets":40000},"ssrc":305419896,"type":200,"report_count":1,"report_blocks":[{"source_ssrc":2271560481,"fraction_lost":0,"packets_lost":0,"highest_seq_no":1250,"ia_jitter":12,"lsr":0,"dlsr":0}],"report_blocks_xr":{"type":0,"id":0,"fraction_lost":0,"fraction_discard":0,"burst_density":0,"gap_density":0,"burst_duration":0,"gap_duration":0,"round_trip_delay":0,"end_system_delay":0},"sdes_ssrc":305419896}"#;

    #[test]
    fn parse_reads_homer_sender_report() {
        let packet = RtcpPacket::parse(HOMER_SR).unwrap();
        assert_eq!(packet.kind, RtcpType::SenderReport);
        assert_eq!(packet.ssrc, 305_419_896);
        let sender = packet.sender.unwrap();
        assert_eq!(sender.packets, 250);
        assert_eq!(sender.ntp_msw, 3_908_989_330);
        assert_eq!(packet.blocks.len(), 1);
        let block = packet.blocks[0];
        assert_eq!(block.source_ssrc, 2_271_560_481);
        assert_eq!(block.highest_seq, Some(1250));
        assert_eq!(block.cumulative_lost, Some(0));
        assert_eq!(block.jitter_units, 12.0);
        // The zero-filled XR object carries nothing usable.
        assert_eq!(packet.xr, None);
    }

    #[test]
    fn parse_accepts_numbers_sent_as_strings() {
        let raw = json!({
            "type": "201", "ssrc": "-2023406815",
            "sender_information": null,
            "report_blocks": [{"source_ssrc": "77", "fraction_lost": "26", "packets_lost": "-5",
                "highest_seq_no": "1300", "ia_jitter": 160.7, "lsr": "-1", "dlsr": "65536"}]
        });
        let packet = RtcpPacket::parse(&raw.to_string()).unwrap();
        assert_eq!(packet.kind, RtcpType::ReceiverReport);
        assert_eq!(packet.ssrc, 0x8765_4321);
        assert_eq!(packet.sender, None);
        let block = packet.blocks[0];
        assert_eq!(block.source_ssrc, 77);
        assert_eq!(block.fraction_lost, 26);
        assert_eq!(block.cumulative_lost, Some(-5));
        assert_eq!(block.highest_seq, Some(1300));
        assert!((block.jitter_units - 160.7).abs() < 1e-9);
        assert_eq!(block.lsr, u32::MAX);
        assert_eq!(block.dlsr, 65_536);
    }

    #[test]
    fn parse_tolerates_missing_and_null_parts() {
        let packet = RtcpPacket::parse(r#"{"type":201,"report_blocks":null}"#).unwrap();
        assert!(packet.blocks.is_empty());
        assert_eq!(packet.ssrc, 0);
        let packet = RtcpPacket::parse(r#"{"report_blocks":[{"source_ssrc":9}, 5]}"#).unwrap();
        assert_eq!(packet.kind, RtcpType::ReceiverReport);
        assert_eq!(packet.blocks.len(), 1);
        assert_eq!(packet.blocks[0].highest_seq, None);
        assert_eq!(packet.blocks[0].cumulative_lost, None);
    }

    #[test]
    fn parse_drops_stray_control_bytes() {
        let raw = format!("\u{10}{}\u{10}", r#"{"type":201,"ssrc":3}"#);
        assert_eq!(RtcpPacket::parse(&raw).unwrap().ssrc, 3);
    }

    #[test]
    fn parse_rejects_non_objects() {
        assert!(matches!(
            RtcpPacket::parse("[1,2]"),
            Err(RtcpError::NotAnObject { found: "array" })
        ));
        assert!(matches!(
            RtcpPacket::parse("{not json"),
            Err(RtcpError::InvalidJson { .. })
        ));
    }

    #[test]
    fn parse_reads_xr_voip_metrics_in_both_scales() {
        let raw = json!({"type": 207, "ssrc": 5,
            "voip_metrics": {"ssrc": 77, "mos_lq": 4.1, "mos_cq": "39", "r_factor": 88},
            "report_blocks_xr": {"type": 7, "id": 77, "round_trip_delay": 48}});
        let xr = RtcpPacket::parse(&raw.to_string()).unwrap().xr.unwrap();
        assert_eq!(xr.source_ssrc, Some(77));
        assert_eq!(xr.mos_lq, Some(4.1));
        assert_eq!(xr.mos_cq, Some(3.9));
        assert_eq!(xr.r_factor, Some(88.0));
        assert_eq!(xr.round_trip_ms, Some(48.0));
    }

    #[test]
    fn xr_unavailable_markers_are_absent() {
        let raw =
            json!({"type": 207, "voip_metrics": {"mos_lq": 127, "mos_cq": 0, "r_factor": 127}});
        assert_eq!(RtcpPacket::parse(&raw.to_string()).unwrap().xr, None);
    }

    #[test]
    fn lsr_candidates_cover_fraction_and_microseconds() {
        let sender = SenderInfo {
            ntp_msw: 0x0001_0002,
            ntp_lsw: 0x8000_0000,
            rtp_timestamp: 0,
            packets: 1,
            octets: 1,
        };
        assert_eq!(sender.lsr_candidates(), [0x0002_8000, 0x0002_8000]);
        let asterisk = SenderInfo {
            ntp_lsw: 500_000,
            ..sender
        };
        assert_eq!(asterisk.lsr_candidates()[1], 0x0002_8000);
    }

    #[test]
    fn from_qos_row_reads_homer_row() {
        let row = json!({"id": 88, "create_date": "2023-11-14T22:15:30.12Z",
            "srcIp": "10.0.0.5", "srcPort": 40001, "dstIp": "10.0.0.9", "dstPort": 30001,
            "timeSeconds": 1_700_000_130, "timeUseconds": 120_000, "raw": HOMER_SR});
        let report = RtcpReport::from_qos_row(&row).unwrap();
        assert_eq!(report.ts_us, 1_700_000_130_120_000);
        assert_eq!(report.src_ip, "10.0.0.5");
        assert_eq!(report.dst_port, 30001);
        assert_eq!(report.raw_json, HOMER_SR);
    }

    #[test]
    fn from_qos_row_falls_back_to_create_date_and_object_raw() {
        let row = json!({"create_date": "2023-11-14T22:15:30.12Z", "raw": {"type": 201}});
        let report = RtcpReport::from_qos_row(&row).unwrap();
        assert_eq!(report.ts_us, 1_700_000_130_120_000);
        assert_eq!(report.parse().unwrap().kind, RtcpType::ReceiverReport);
        assert!(matches!(
            RtcpReport::from_qos_row(&json!({"timeSeconds": 1})),
            Err(RtcpError::MissingField { field: "raw" })
        ));
    }
}
