//! The QoS view's inputs and wording: its URL state, the RTCP reports and SDP codecs read from
//! HOMER answers, and the tooltip texts that show each figure's formula inputs. Pure: no I/O, no
//! browser.

use serde_json::Value;

use super::call::RejectedReport;
use super::codec::{CodecChoice, CodecInfo, PtimeSource};
use super::emodel::QualityBand;
use super::endpoint::{parse_report, EndpointStream, ReportCapture};
use super::rtcp::RtcpReport;
use super::series::{DelaySource, LossSource, QosPoint, Summary};
use super::settings::QosSettings;
use super::stream::{Endpoint, StreamQos};
use crate::domain::homer::{HomerError, HomerRow};
use crate::domain::percent::{percent_decode, percent_encode};
use crate::domain::sdp::Media;
use crate::domain::sip::scan;

/// HEP payload type of RTCP rows.
const HEP_RTCP: i64 = 5;

/// MOS band thresholds drawn as horizontal lines on the MOS chart: (MOS, band starting there).
pub const MOS_BAND_LINES: [(f64, QualityBand); 3] = [
    (4.3, QualityBand::Excellent),
    (3.6, QualityBand::Good),
    (2.6, QualityBand::Fair),
];

/// The QoS view's state in the URL (`/qos/{ids}?t=…&backend=…&qos_clock=…&qos_latency=…`).
#[derive(Clone, Debug, PartialEq)]
pub struct QosQuery {
    /// Backend name; empty for the default one.
    pub backend: String,
    /// The call's start, epoch ms, when the link carries it.
    pub t: Option<i64>,
    /// Clock override and assumed latency (defaults when absent or unreadable).
    pub settings: QosSettings,
    /// Why the settings in the URL were not used, worded for a banner.
    pub settings_error: Option<String>,
}

impl QosQuery {
    /// Reads a query string (leading `?` allowed). Unknown keys are ignored; malformed settings
    /// fall back to the defaults and are reported in [`QosQuery::settings_error`].
    pub fn from_query_string(search: &str) -> Self {
        let pairs = query_pairs(search);
        let value = |key: &str| {
            pairs
                .iter()
                .rev()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        let (settings, settings_error) = match QosSettings::from_lookup(value) {
            Ok(settings) => (settings, None),
            Err(e) => (QosSettings::default(), Some(e.to_string())),
        };
        Self {
            backend: value("backend").unwrap_or_default().to_owned(),
            t: value("t").and_then(|t| t.trim().parse().ok()),
            settings,
            settings_error,
        }
    }
}

fn query_pairs(search: &str) -> Vec<(String, String)> {
    search
        .trim_start_matches('?')
        .split('&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// `search` with `key` set to `value` (or removed when `value` is `None` or blank), every other
/// pair kept as written and in order. Returns the query string with a leading `?`, or `""`.
pub fn with_query_value(search: &str, key: &str, value: Option<&str>) -> String {
    let mut parts: Vec<String> = search
        .trim_start_matches('?')
        .split('&')
        .filter(|part| !part.is_empty())
        .filter(|part| percent_decode(part.split_once('=').map_or(*part, |(k, _)| k)) != key)
        .map(str::to_owned)
        .collect();
    if let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) {
        parts.push(format!("{key}={}", percent_encode(value)));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// The audio codecs of the call's SDP, answers first: the formats of 200 OK bodies, then those of
/// the other messages (the INVITE's offer, 183 …), each in `m=` order. Rows that do not scan as
/// SIP or carry no SDP are skipped.
pub fn codecs_from_rows(rows: &[HomerRow]) -> Vec<CodecInfo> {
    let mut answers = Vec::new();
    let mut others = Vec::new();
    for row in rows {
        let Some(raw) = row.raw.as_deref() else {
            continue;
        };
        let Ok(message) = scan(raw.as_bytes()) else {
            continue;
        };
        let Some(sdp) = message.sdp() else {
            continue;
        };
        let target = if message.status() == Some(200) {
            &mut answers
        } else {
            &mut others
        };
        for media in &sdp.media {
            target.extend(media.codecs().into_iter().map(|codec| CodecInfo {
                max_playback_rate: fmtp_number(media, codec.payload_type, "maxplaybackrate"),
                payload_type: codec.payload_type,
                name: Some(codec.name),
                clock_rate: Some(codec.clock_rate_hz).filter(|&c| c > 0),
                ptime_ms: media.ptime_ms,
            }));
        }
    }
    answers.extend(others);
    answers
}

/// A numeric `key=value` parameter of the `a=fmtp` line for `payload_type` (RFC 4566 §6).
fn fmtp_number(media: &Media, payload_type: u8, key: &str) -> Option<u32> {
    let format = payload_type.to_string();
    media
        .fmtps
        .iter()
        .filter(|fmtp| fmtp.format == format)
        .flat_map(|fmtp| fmtp.params.split(';'))
        .filter_map(|param| param.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(key))
        .and_then(|(_, v)| v.trim().parse().ok())
}

/// The RTCP reports of a `call/report/qos` answer (`rtcp.data`), and the rows that could not be
/// read as reports. A blank body is an empty answer.
///
/// # Errors
/// [`HomerError::Decode`] when the body is not JSON.
pub fn reports_from_qos_body(
    body: &str,
) -> Result<(Vec<RtcpReport>, Vec<RejectedReport>), HomerError> {
    let rows = qos_section_rows(body, "rtcp")?;
    let mut reports = Vec::new();
    let mut rejected = Vec::new();
    for row in &rows {
        match RtcpReport::from_qos_row(row) {
            Ok(report) => reports.push(report),
            Err(e) => rejected.push(RejectedReport {
                ts_us: 0,
                src: row_source(row),
                reason: e.to_string(),
            }),
        }
    }
    Ok((reports, rejected))
}

/// The rows of one section (`rtcp`, `rtp`) of a `call/report/qos` answer; a blank body has none.
fn qos_section_rows(body: &str, section: &str) -> Result<Vec<Value>, HomerError> {
    if body.trim().is_empty() {
        return Ok(Vec::new());
    }
    let mut value: Value = serde_json::from_str(body).map_err(|source| HomerError::Decode {
        endpoint: "call/report/qos",
        source,
    })?;
    match value
        .get_mut(section)
        .and_then(|s| s.get_mut("data"))
        .map(Value::take)
    {
        Some(Value::Array(rows)) => Ok(rows),
        _ => Ok(Vec::new()),
    }
}

/// The endpoint-reported streams of a `call/report/qos` answer's `rtp` section (HEP 34/35 rows
/// of `hep_proto_35_default`: RTCP-XR JSON or vq-rtcpxr text), and the rows that could not be
/// read. A blank body is an empty answer.
///
/// # Errors
/// [`HomerError::Decode`] when the body is not JSON.
pub fn endpoint_streams_from_qos_body(
    body: &str,
) -> Result<(Vec<EndpointStream>, Vec<RejectedReport>), HomerError> {
    let rows = qos_section_rows(body, "rtp")?;
    let mut streams = Vec::new();
    let mut rejected = Vec::new();
    for row in &rows {
        let read = RtcpReport::from_qos_row(row)
            .map_err(|e| e.to_string())
            .and_then(|r| {
                let capture = ReportCapture {
                    ts_us: r.ts_us,
                    src: Endpoint {
                        ip: r.src_ip,
                        port: r.src_port,
                    },
                    dst: Endpoint {
                        ip: r.dst_ip,
                        port: r.dst_port,
                    },
                };
                parse_report(&r.raw_json, &capture).map_err(|e| e.to_string())
            });
        match read {
            Ok(found) => streams.extend(found),
            Err(reason) => rejected.push(RejectedReport {
                ts_us: 0,
                src: row_source(row),
                reason,
            }),
        }
    }
    Ok((streams, rejected))
}

fn row_source(row: &Value) -> String {
    let ip = row.get("srcIp").and_then(Value::as_str).unwrap_or("?");
    let port = row
        .get("srcPort")
        .map(|p| p.to_string().trim_matches('"').to_owned())
        .unwrap_or_else(|| "?".to_owned());
    format!("{ip}:{port}")
}

/// The RTCP rows (HEP type 5) of a `call/transaction` answer as reports: the fallback when
/// `call/report/qos` has none.
pub fn reports_from_rows(rows: &[HomerRow]) -> Vec<RtcpReport> {
    rows.iter()
        .filter(|row| row.payload_type == Some(HEP_RTCP))
        .filter_map(|row| {
            Some(RtcpReport {
                ts_us: row.time_us()?,
                src_ip: row.src_ip.clone(),
                src_port: row.src_port.unwrap_or(0),
                dst_ip: row.dst_ip.clone(),
                dst_port: row.dst_port.unwrap_or(0),
                raw_json: row.raw.clone()?,
            })
        })
        .collect()
}

/// `src → dst` of a stream's media.
pub fn direction(stream: &StreamQos) -> String {
    format!("{} → {}", stream.src, stream.dst)
}

/// True when the media sender never sent a sender report (an RR-only endpoint): only the
/// receiver's counters are known.
pub fn is_rr_only(stream: &StreamQos) -> bool {
    stream.packets_sent.is_none()
}

/// A figure with 1 or 2 decimals, or "—".
pub fn fixed(value: Option<f64>, places: usize) -> String {
    value
        .filter(|v| v.is_finite())
        .map_or_else(|| "—".to_owned(), |v| format!("{v:.places$}"))
}

fn worst_point(stream: &StreamQos, summary: Option<&Summary>) -> Option<QosPoint> {
    let ts = summary?.worst_ts_us;
    stream.points.iter().find(|p| p.ts_us == ts).copied()
}

fn delay_words(point: &QosPoint) -> &'static str {
    match point.delay_source {
        DelaySource::MeasuredRtt => "RTT / 2 from LSR/DLSR",
        DelaySource::XrRoundTrip => "RTCP-XR round trip / 2",
        DelaySource::Assumed => "assumed latency setting",
    }
}

/// The E-model inputs of a stream as one line for the codec cell's tooltip.
pub fn inputs_text(stream: &StreamQos) -> String {
    let i = &stream.inputs;
    let delay = match i.delay_source {
        Some(DelaySource::MeasuredRtt) => "RTT / 2",
        Some(DelaySource::XrRoundTrip) => "XR round trip / 2",
        Some(DelaySource::Assumed) | None => "assumed",
    };
    let ptime = match i.ptime_source {
        PtimeSource::Sdp => "a=ptime",
        PtimeSource::Default => "default",
    };
    format!(
        "{} on the {} scale; one-way delay {:.1} ms ({delay}); jitter buffer {:.1} ms (2 × jitter); \
         Ie {:.1}, Bpl {:.1}, BurstR {:.1}; ptime {:.0} ms ({ptime})",
        i.codec,
        i.scale.label(),
        i.one_way_delay_ms,
        i.jitter_buffer_ms,
        i.ie,
        i.bpl,
        i.burst_r,
        i.ptime_ms
    )
}

/// The QoS table's cells for an endpoint-reported stream, in the table's column order
/// (direction, codec, packets, lost, loss %, jitter avg, jitter max, RTT, E-model avg, E-model
/// worst, simple, reported MOS), then the MOS source words.
pub fn endpoint_cells(stream: &EndpointStream) -> [String; 13] {
    let dash = || "—".to_owned();
    [
        format!("{} → {}", stream.src, stream.dst),
        stream.codec.clone().unwrap_or_else(dash),
        dash(),
        dash(),
        fixed(stream.loss_pct, 2),
        fixed(stream.jitter_ms, 2),
        dash(),
        fixed(stream.round_trip_ms, 1),
        dash(),
        dash(),
        dash(),
        fixed(stream.mos_lq.or(stream.mos_cq), 2),
        format!("{} ({})", stream.mos_source.label(), stream.format.label()),
    ]
}

/// Tooltip of the jitter cells: the conversion from RTP units.
pub fn jitter_tooltip(stream: &StreamQos) -> String {
    let worst = worst_point(stream, stream.jitter_ms.as_ref());
    let mut text = format!(
        "jitter ms = RTP units × 1000 / clock rate {} Hz",
        stream.clock_rate
    );
    if let Some(p) = worst {
        text.push_str(&format!(
            "\nworst interval: {:.0} units → {:.2} ms",
            p.jitter_units, p.jitter_ms
        ));
    }
    text
}

/// Tooltip of the loss cells: how the loss was counted.
pub fn loss_tooltip(stream: &StreamQos) -> String {
    let mut text = match stream.packets_expected {
        Some(expected) => format!(
            "loss % = Δ cumulative lost / Δ extended highest sequence\n{} lost of {expected} expected",
            stream.packets_lost
        ),
        None => "loss % = fraction_lost / 256 (a single report)".to_owned(),
    };
    if let Some(p) = stream.points.last() {
        if let LossSource::FractionLost { fraction } = p.loss_source {
            text.push_str(&format!("\nlast interval: fraction_lost {fraction} / 256"));
        }
    }
    text.push_str(&format!("\nworst interval: {:.2} %", stream.loss_pct_worst));
    text
}

/// Tooltip of the RTT cell.
pub fn rtt_tooltip(stream: &StreamQos, settings: &QosSettings) -> String {
    match stream.rtt_ms {
        Some(rtt) => format!(
            "RTT = arrival of the RR − LSR − DLSR, over {} intervals",
            rtt.count
        ),
        None => format!(
            "no RTT: the sender's SR was not matched; the formulas assume a one-way latency of {} ms",
            settings.latency_ms
        ),
    }
}

/// Tooltip of "MOS (E-model)": the G.107 inputs and intermediate values of the worst interval.
pub fn emodel_tooltip(stream: &StreamQos, codec: &CodecChoice) -> String {
    let Some(p) = worst_point(stream, stream.mos_emodel.as_ref()) else {
        return "no interval scored".to_owned();
    };
    let s = p.emodel;
    format!(
        "E-model, {} scale, worst interval\n\
         codec {} (Ie {:.1}, Bpl {:.1}; {})\n\
         one-way delay {:.1} ms ({}) + jitter buffer 2 × {:.2} ms + ptime {:.0} ms = Ta {:.1} ms → Idd {:.2}\n\
         loss {:.2} % (BurstR {:.1}) → Ie,eff {:.2}\n\
         R = {:.1} − {:.2} − {:.2} + {:.0} = {:.2} → MOS {:.2}",
        s.scale.label(),
        codec.name,
        s.input.impairment.ie,
        s.input.impairment.bpl,
        s.input.impairment.family.impairment_basis(),
        s.input.one_way_delay_ms,
        delay_words(&p),
        s.input.jitter_ms,
        s.input.ptime_ms,
        s.ta_ms,
        s.idd,
        s.input.loss_pct,
        s.burst_r,
        s.ie_eff,
        s.ro_minus_is,
        s.idd,
        s.ie_eff,
        s.advantage,
        s.r,
        s.mos
    )
}

/// Tooltip of "MOS (simple)": the simplified formula's inputs for the worst interval.
pub fn simple_tooltip(stream: &StreamQos) -> String {
    let Some(p) = worst_point(stream, stream.mos_simple.as_ref()) else {
        return "no interval scored".to_owned();
    };
    let s = p.simple;
    format!(
        "simplified E-model, worst interval\n\
         effective latency = {:.1} + 2 × {:.2} + 10 = {:.1} ms → −{:.2}\n\
         loss {:.2} % × 2.5 → −{:.2}\n\
         R = 93.2 − {:.2} − {:.2} = {:.2} → MOS {:.2}",
        s.input.latency_ms,
        s.input.jitter_ms,
        s.effective_latency_ms,
        s.delay_penalty,
        s.input.loss_pct,
        s.loss_penalty,
        s.delay_penalty,
        s.loss_penalty,
        s.r,
        s.mos
    )
}

/// A stable CSS class suffix of a band (`excellent`, `good`, `fair`, `poor`).
pub fn band_class(band: QualityBand) -> &'static str {
    match band {
        QualityBand::Excellent => "excellent",
        QualityBand::Good => "good",
        QualityBand::Fair => "fair",
        QualityBand::Poor => "poor",
    }
}

/// A file name for the JSON download: the first Call-ID made safe, `-qos.json`.
pub fn download_name(call_ids: &[String]) -> String {
    format!("{}-qos.json", crate::domain::call_view::file_stem(call_ids))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::qos::CallQos;
    use serde_json::json;

    fn rr(seq: u32, lost: u32, jitter: u32) -> String {
        json!({"type": 201, "ssrc": 7, "report_count": 1, "report_blocks": [{
            "source_ssrc": 9, "fraction_lost": 0, "packets_lost": lost,
            "highest_seq_no": seq, "ia_jitter": jitter, "lsr": 0, "dlsr": 0}]})
        .to_string()
    }

    fn qos_row(secs: i64, raw: &str) -> Value {
        json!({"timeSeconds": secs, "timeUseconds": 0, "srcIp": "10.0.0.2", "srcPort": 4001,
            "dstIp": "10.0.0.1", "dstPort": 5001, "raw": raw})
    }

    #[test]
    fn query_reads_settings_time_and_backend() {
        let q = QosQuery::from_query_string("?t=1700&backend=b%201&qos_clock=16000&qos_latency=40");
        assert_eq!(q.t, Some(1700));
        assert_eq!(q.backend, "b 1");
        assert_eq!(q.settings.clock_override, Some(16000));
        assert_eq!(q.settings.latency_ms, 40.0);
        assert_eq!(q.settings_error, None);
    }

    #[test]
    fn query_with_bad_clock_falls_back_and_says_why() {
        let q = QosQuery::from_query_string("qos_clock=fast");
        assert_eq!(q.settings, QosSettings::default());
        assert!(q.settings_error.unwrap_or_default().contains("\"fast\""));
    }

    #[test]
    fn with_query_value_replaces_keeps_and_removes() {
        assert_eq!(
            with_query_value("?t=5&qos_clock=8000&tz=UTC", "qos_clock", Some("16000")),
            "?t=5&tz=UTC&qos_clock=16000"
        );
        assert_eq!(with_query_value("?qos_clock=8000", "qos_clock", None), "");
        assert_eq!(
            with_query_value("", "qos_latency", Some(" 30 ")),
            "?qos_latency=30"
        );
    }

    #[test]
    fn qos_body_reports_feed_the_analysis_and_bad_rows_are_listed() {
        let body = json!({"rtcp": {"total": 3, "data": [
            qos_row(100, &rr(1000, 0, 80)), qos_row(105, &rr(1250, 5, 160)), {"srcIp": "x"}]},
            "rtp": {"total": 0, "data": []}})
        .to_string();
        let (reports, rejected) = reports_from_qos_body(&body).unwrap();
        assert_eq!(reports.len(), 2);
        assert_eq!(rejected.len(), 1);
        let qos = CallQos::from_reports(&reports, &[], &QosSettings::default());
        assert_eq!(qos.streams.len(), 1);
        let stream = &qos.streams[0];
        assert_eq!(direction(stream), "10.0.0.1:5001 → 10.0.0.2:4001");
        assert!(is_rr_only(stream));
        assert!((stream.loss_pct - 2.0).abs() < 1e-9);
        assert!(emodel_tooltip(stream, &qos.codec).contains("Ta "));
        assert!(simple_tooltip(stream).contains("effective latency"));
        assert!(jitter_tooltip(stream).contains("160 units → 20.00 ms"));
    }

    #[test]
    fn rtp_section_rows_become_endpoint_streams() {
        let vq = "VQSessionReport: CallTerm\r\nLocalAddr: IP=10.0.0.5 PORT=4000\r\n\
                  RemoteAddr: IP=10.0.0.9 PORT=4002\r\nLocalMetrics:\r\n\
                  QualityEst: MOSLQ=3.9 MOSCQ=3.7\r\n";
        let body = serde_json::json!({"rtcp": {"total": 0, "data": []}, "rtp": {"total": 2, "data": [
            {"timeSeconds": 1_700_000_000, "timeUseconds": 0, "srcIp": "10.0.0.5", "srcPort": 5060,
             "dstIp": "10.0.0.1", "dstPort": 5060, "payloadType": 35, "raw": vq},
            {"timeSeconds": 1_700_000_001, "srcIp": "10.0.0.6", "srcPort": 1, "raw": "garbage"}]}});
        let (streams, rejected) = endpoint_streams_from_qos_body(&body.to_string()).unwrap();
        assert_eq!(streams.len(), 1);
        assert_eq!(streams[0].ts_us, 1_700_000_000_000_000);
        assert_eq!(streams[0].mos_cq, Some(3.7));
        assert_eq!(streams[0].src.to_string(), "10.0.0.9:4002");
        assert_eq!(rejected.len(), 1);
        assert_eq!(rejected[0].src, "10.0.0.6:1");
        assert!(endpoint_streams_from_qos_body(" ").unwrap().0.is_empty());
    }

    #[test]
    fn endpoint_cells_name_the_mos_source_and_inputs_name_the_scale() {
        let vq = "VQSessionReport: CallTerm\r\nLocalAddr: IP=10.0.0.5 PORT=4000\r\n\
                  RemoteAddr: IP=10.0.0.9 PORT=4002\r\nLocalMetrics:\r\n\
                  SessionDesc: PD=G722\r\nQualityEst: MOSLQ=3.94\r\n";
        let capture = ReportCapture {
            ts_us: 0,
            src: Endpoint {
                ip: String::new(),
                port: 0,
            },
            dst: Endpoint {
                ip: String::new(),
                port: 0,
            },
        };
        let streams = parse_report(vq, &capture).unwrap();
        let cells = endpoint_cells(&streams[0]);
        assert_eq!(cells[0], "10.0.0.9:4002 → 10.0.0.5:4000");
        assert_eq!(cells[11], "3.94");
        assert_eq!(
            cells[12],
            "reported by the endpoint (vq-rtcpxr (SIP PUBLISH))"
        );
        let codecs = [CodecInfo {
            payload_type: 9,
            name: Some("G722".into()),
            clock_rate: Some(8000),
            ptime_ms: Some(30),
            max_playback_rate: None,
        }];
        let raw = serde_json::json!({"type": 201, "ssrc": 1, "report_blocks": [{"source_ssrc": 2,
            "fraction_lost": 0, "packets_lost": 0, "highest_seq_no": 100, "ia_jitter": 80}]});
        let report = RtcpReport {
            ts_us: 0,
            src_ip: "10.0.0.5".into(),
            src_port: 1,
            dst_ip: "10.0.0.9".into(),
            dst_port: 2,
            raw_json: raw.to_string(),
        };
        let qos = CallQos::from_reports(&[report], &codecs, &QosSettings::default());
        let text = inputs_text(&qos.streams[0]);
        assert!(
            text.starts_with("G722 on the wideband (G.107.1) scale"),
            "{text}"
        );
        assert!(text.contains("jitter buffer 20.0 ms"), "{text}");
        assert!(text.contains("ptime 30 ms (a=ptime)"), "{text}");
        assert!(text.contains("Ie 13.0, Bpl 31.1, BurstR 1.5"), "{text}");
    }

    #[test]
    fn blank_qos_body_is_empty_and_garbage_is_an_error() {
        assert_eq!(reports_from_qos_body("  ").unwrap().0.len(), 0);
        assert!(reports_from_qos_body("<html>").is_err());
    }

    #[test]
    fn codecs_from_rows_prefers_the_answer() {
        let sip = |first: &str, pt: u8, name: &str, rate: u32| {
            let sdp = format!(
                "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
                 m=audio 4000 RTP/AVP {pt}\r\na=rtpmap:{pt} {name}/{rate}\r\n\
                 a=fmtp:{pt} useinbandfec=1; maxplaybackrate=8000\r\na=ptime:40\r\n"
            );
            format!(
                "{first}\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\nFrom: <sip:a@x>;tag=1\r\n\
                 To: <sip:b@x>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\n\
                 Content-Length: {}\r\n\r\n{sdp}",
                sdp.len()
            )
        };
        let rows = [
            HomerRow {
                raw: Some(sip("INVITE sip:b@x SIP/2.0", 96, "opus", 48000)),
                ..HomerRow::default()
            },
            HomerRow {
                raw: Some(sip("SIP/2.0 200 OK", 9, "G722", 8000)),
                ..HomerRow::default()
            },
            HomerRow {
                raw: Some("not sip".into()),
                ..HomerRow::default()
            },
        ];
        let codecs = codecs_from_rows(&rows);
        let names: Vec<_> = codecs.iter().filter_map(|c| c.name.as_deref()).collect();
        assert_eq!(names, ["G722", "opus"]);
        assert_eq!(codecs[1].clock_rate, Some(48000));
        // ptime and maxplaybackrate of the media section reach the E-model.
        assert_eq!(codecs[1].ptime_ms, Some(40));
        assert_eq!(codecs[1].max_playback_rate, Some(8000));
    }

    #[test]
    fn transaction_rtcp_rows_become_reports() {
        let rows = [
            HomerRow {
                payload_type: Some(5),
                time_seconds: Some(10),
                src_ip: "10.0.0.2".into(),
                src_port: Some(4001),
                raw: Some(rr(10, 0, 0)),
                ..HomerRow::default()
            },
            HomerRow {
                payload_type: Some(1),
                time_seconds: Some(10),
                raw: Some("INVITE".into()),
                ..HomerRow::default()
            },
        ];
        let reports = reports_from_rows(&rows);
        assert_eq!(reports.len(), 1);
        assert_eq!(reports[0].ts_us, 10_000_000);
    }

    #[test]
    fn download_name_is_safe() {
        assert_eq!(download_name(&["a b@c".into()]), "a_b_c-qos.json");
        assert_eq!(download_name(&[]), "call-qos.json");
        assert_eq!(fixed(None, 2), "—");
        assert_eq!(fixed(Some(4.256), 2), "4.26");
    }
}
