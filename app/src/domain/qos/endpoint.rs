//! Quality an endpoint computed itself and reported: RTCP-XR VoIP metrics (RFC 3611 §4.7, block
//! type 7) as agents send them in JSON, and RFC 6035 `vq-rtcpxr` bodies of SIP PUBLISH. HOMER
//! stores both as HEP 34/35 in `hep_proto_35_default` and answers them in the `rtp` section of
//! `call/report/qos`. Each becomes an [`EndpointStream`] whose MOS is the endpoint's own
//! ([`MosSource::ReportedByEndpoint`]), never recomputed. Pure: no I/O.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::number::float;
use super::stream::{Endpoint, MosSource};

/// RFC 3611 §4.7: 127 in the R factor, MOS and several other one-byte fields means
/// "unavailable".
const XR_UNAVAILABLE: f64 = 127.0;

/// Which report format a stream came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportFormat {
    /// RTCP-XR VoIP metrics block (RFC 3611 block type 7), as JSON.
    RtcpXr,
    /// RFC 6035 `vq-rtcpxr` session report (SIP PUBLISH body).
    VqRtcpXr,
}

impl ReportFormat {
    /// The label shown with the stream.
    pub fn label(self) -> &'static str {
        match self {
            Self::RtcpXr => "RTCP-XR VoIP metrics",
            Self::VqRtcpXr => "vq-rtcpxr (SIP PUBLISH)",
        }
    }
}

/// One direction of media as an endpoint reported it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EndpointStream {
    /// Capture time of the report, µs since the Unix epoch.
    pub ts_us: i64,
    /// Media sender.
    pub src: Endpoint,
    /// Media receiver (the endpoint that measured).
    pub dst: Endpoint,
    /// SSRC of the measured stream, when given.
    pub ssrc: Option<u32>,
    /// The report format.
    pub format: ReportFormat,
    /// Always [`MosSource::ReportedByEndpoint`].
    pub mos_source: MosSource,
    /// Codec as the report names it (`SessionDesc: PD=`).
    pub codec: Option<String>,
    /// Listening-quality MOS.
    pub mos_lq: Option<f64>,
    /// Conversational-quality MOS.
    pub mos_cq: Option<f64>,
    /// Listening-quality R factor.
    pub r_lq: Option<f64>,
    /// Conversational-quality R factor.
    pub r_cq: Option<f64>,
    /// Network packet loss in percent.
    pub loss_pct: Option<f64>,
    /// Jitter-buffer discards in percent.
    pub discard_pct: Option<f64>,
    /// Loss density within bursts, percent.
    pub burst_density_pct: Option<f64>,
    /// Loss density within gaps, percent.
    pub gap_density_pct: Option<f64>,
    /// Round-trip delay, ms.
    pub round_trip_ms: Option<f64>,
    /// End-system delay, ms.
    pub end_system_delay_ms: Option<f64>,
    /// Interarrival jitter, ms (`Delay: IAJ=`).
    pub jitter_ms: Option<f64>,
}

/// Why a report could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EndpointReportError {
    /// Neither a JSON object nor a `vq-rtcpxr` body.
    #[error("not an RTCP-XR JSON object nor a vq-rtcpxr report")]
    UnknownFormat,
    /// A recognised report that carries no metric at all.
    #[error("the report carries no quality metric")]
    NoMetrics,
}

/// Where a report was captured: the HEP addresses of its row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportCapture {
    /// Capture time, µs since the Unix epoch.
    pub ts_us: i64,
    /// HEP source (the reporting endpoint).
    pub src: Endpoint,
    /// HEP destination (its peer or collector).
    pub dst: Endpoint,
}

/// Reads one stored report (`raw` of an `rtp` row): a JSON object with RTCP-XR VoIP metrics,
/// or a `vq-rtcpxr` body (alone or inside a whole SIP PUBLISH). A vq report yields up to two
/// streams (its `LocalMetrics` and `RemoteMetrics`).
///
/// # Errors
/// [`EndpointReportError`] when the text is neither format or carries no metric.
pub fn parse_report(
    raw: &str,
    capture: &ReportCapture,
) -> Result<Vec<EndpointStream>, EndpointReportError> {
    let trimmed = raw.trim_start_matches('\u{10}').trim();
    let streams = if trimmed.starts_with('{') {
        let value: Value =
            serde_json::from_str(trimmed).map_err(|_| EndpointReportError::UnknownFormat)?;
        let object = value
            .as_object()
            .ok_or(EndpointReportError::UnknownFormat)?;
        vec![xr_stream(object, capture)]
    } else if let Some(start) = trimmed.find("VQSessionReport") {
        vq_streams(trimmed.get(start..).unwrap_or_default(), capture)
    } else {
        return Err(EndpointReportError::UnknownFormat);
    };
    let streams: Vec<EndpointStream> = streams.into_iter().filter(has_metrics).collect();
    if streams.is_empty() {
        Err(EndpointReportError::NoMetrics)
    } else {
        Ok(streams)
    }
}

fn has_metrics(s: &EndpointStream) -> bool {
    [
        s.mos_lq,
        s.mos_cq,
        s.r_lq,
        s.r_cq,
        s.loss_pct,
        s.discard_pct,
        s.round_trip_ms,
        s.jitter_ms,
    ]
    .iter()
    .any(Option::is_some)
}

fn empty_stream(format: ReportFormat, ts_us: i64, src: Endpoint, dst: Endpoint) -> EndpointStream {
    EndpointStream {
        ts_us,
        src,
        dst,
        ssrc: None,
        format,
        mos_source: MosSource::ReportedByEndpoint,
        codec: None,
        mos_lq: None,
        mos_cq: None,
        r_lq: None,
        r_cq: None,
        loss_pct: None,
        discard_pct: None,
        burst_density_pct: None,
        gap_density_pct: None,
        round_trip_ms: None,
        end_system_delay_ms: None,
        jitter_ms: None,
    }
}

/// A block-7 field as sent: heplify nests it in `voip_metrics` or `report_blocks_xr`, other
/// agents send it flat; names are matched without regard to case.
fn xr_field(object: &Map<String, Value>, name: &str) -> Option<f64> {
    let find = |o: &Map<String, Value>| {
        o.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| float(v))
    };
    ["voip_metrics", "report_blocks_xr"]
        .iter()
        .filter_map(|key| object.get(*key).and_then(Value::as_object))
        .find_map(find)
        .or_else(|| find(object))
}

/// RFC 3611 §4.7: loss and discard rates are fractions × 256, burst and gap densities too;
/// MOS is × 10 (heplify has already divided: values ≤ 5 are taken as they are); 127 means
/// unavailable for R and MOS.
fn xr_stream(object: &Map<String, Value>, capture: &ReportCapture) -> EndpointStream {
    // The reporter receives the media: the stream runs from its peer to it.
    let mut stream = empty_stream(
        ReportFormat::RtcpXr,
        capture.ts_us,
        capture.dst.clone(),
        capture.src.clone(),
    );
    let fraction =
        |name: &str| xr_field(object, name).map(|v| (v * 100.0 / 256.0).clamp(0.0, 100.0));
    let available = |v: f64| (v != XR_UNAVAILABLE && v > 0.0).then_some(v);
    let mos = |name: &str| {
        xr_field(object, name)
            .and_then(available)
            .map(|v| if v > 5.0 { v / 10.0 } else { v })
            .filter(|v| (1.0..=5.0).contains(v))
    };
    stream.ssrc = ["ssrc", "source_ssrc", "id"]
        .iter()
        .find_map(|k| xr_field(object, k))
        .filter(|v| *v > 0.0 && *v <= f64::from(u32::MAX))
        .map(|v| v as u32);
    stream.loss_pct = fraction("loss_rate");
    stream.discard_pct = fraction("discard_rate");
    stream.burst_density_pct = fraction("burst_density");
    stream.gap_density_pct = fraction("gap_density");
    stream.round_trip_ms = xr_field(object, "round_trip_delay").filter(|v| *v > 0.0);
    stream.end_system_delay_ms = xr_field(object, "end_system_delay").filter(|v| *v > 0.0);
    stream.r_lq = xr_field(object, "r_factor").and_then(available);
    stream.mos_lq = mos("mos_lq");
    stream.mos_cq = mos("mos_cq");
    stream
}

/// `KEY=value` pairs of one vq-rtcpxr line (values may be quoted), keys upper-cased.
fn vq_pairs(text: &str) -> Vec<(String, String)> {
    text.split_whitespace()
        .filter_map(|part| part.split_once('='))
        .map(|(k, v)| (k.to_ascii_uppercase(), v.trim_matches('"').to_owned()))
        .collect()
}

fn vq_value<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn vq_number(pairs: &[(String, String)], key: &str) -> Option<f64> {
    vq_value(pairs, key)
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|v| v.is_finite())
}

/// `IP=… PORT=… SSRC=0x…` of `LocalAddr`/`RemoteAddr`.
fn vq_addr(pairs: &[(String, String)]) -> (Endpoint, Option<u32>) {
    let ip = vq_value(pairs, "IP").unwrap_or_default().to_owned();
    let port = vq_value(pairs, "PORT")
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let ssrc = vq_value(pairs, "SSRC").and_then(|s| {
        let s = s.trim();
        match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => s.parse().ok(),
        }
    });
    (Endpoint { ip, port }, ssrc)
}

/// The metrics lines of one `LocalMetrics:`/`RemoteMetrics:` block (RFC 6035 §4.7).
fn vq_metrics(stream: &mut EndpointStream, lines: &[(String, Vec<(String, String)>)]) {
    for (name, pairs) in lines {
        match name.as_str() {
            "sessiondesc" => stream.codec = vq_value(pairs, "PD").map(str::to_owned),
            "packetloss" => {
                stream.loss_pct = vq_number(pairs, "NLR");
                stream.discard_pct = vq_number(pairs, "JDR");
            }
            "burstgaploss" => {
                stream.burst_density_pct = vq_number(pairs, "BLD");
                stream.gap_density_pct = vq_number(pairs, "GLD");
            }
            "delay" => {
                stream.round_trip_ms = vq_number(pairs, "RTD");
                stream.end_system_delay_ms = vq_number(pairs, "ESD");
                stream.jitter_ms = vq_number(pairs, "IAJ");
            }
            "qualityest" => {
                stream.r_lq = vq_number(pairs, "RLQ");
                stream.r_cq = vq_number(pairs, "RCQ");
                stream.mos_lq = vq_number(pairs, "MOSLQ");
                stream.mos_cq = vq_number(pairs, "MOSCQ");
            }
            _ => {}
        }
    }
}

/// An RFC 6035 session report: `LocalMetrics` describe the media the reporter received (from
/// `RemoteAddr` to `LocalAddr`), `RemoteMetrics` what its peer received.
fn vq_streams(body: &str, capture: &ReportCapture) -> Vec<EndpointStream> {
    #[derive(PartialEq)]
    enum Section {
        Head,
        Local,
        Remote,
    }
    let mut section = Section::Head;
    let mut head = Vec::new();
    let mut local = Vec::new();
    let mut remote = Vec::new();
    for line in body.lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim().to_ascii_lowercase();
        match name.as_str() {
            "localmetrics" => section = Section::Local,
            "remotemetrics" => section = Section::Remote,
            // The trailer after the metrics blocks belongs to the report again.
            "dialogid" => section = Section::Head,
            _ => {
                let entry = (name, vq_pairs(value));
                match section {
                    Section::Head => head.push(entry),
                    Section::Local => local.push(entry),
                    Section::Remote => remote.push(entry),
                }
            }
        }
    }
    let addr = |key: &str| {
        head.iter()
            .find(|(n, _)| n == key)
            .map(|(_, pairs)| vq_addr(pairs))
    };
    let fallback = || (capture.src.clone(), None);
    let (local_addr, local_ssrc) = addr("localaddr").unwrap_or_else(fallback);
    let (remote_addr, remote_ssrc) =
        addr("remoteaddr").unwrap_or_else(|| (capture.dst.clone(), None));
    let mut streams = Vec::new();
    if !local.is_empty() {
        let mut s = empty_stream(
            ReportFormat::VqRtcpXr,
            capture.ts_us,
            remote_addr.clone(),
            local_addr.clone(),
        );
        s.ssrc = remote_ssrc;
        vq_metrics(&mut s, &local);
        streams.push(s);
    }
    if !remote.is_empty() {
        let mut s = empty_stream(
            ReportFormat::VqRtcpXr,
            capture.ts_us,
            local_addr,
            remote_addr,
        );
        s.ssrc = local_ssrc;
        vq_metrics(&mut s, &remote);
        streams.push(s);
    }
    streams
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn capture() -> ReportCapture {
        ReportCapture {
            ts_us: 1_000,
            src: Endpoint {
                ip: "10.0.0.5".into(),
                port: 5060,
            },
            dst: Endpoint {
                ip: "10.0.0.9".into(),
                port: 5060,
            },
        }
    }

    /// The example of RFC 6035 §4.7.1 (values as there).
    const VQ: &str = "VQSessionReport: CallTerm\r\n\
        CallID: 6dg37f1890463\r\n\
        LocalID: Alice <sip:alice@example.org>\r\n\
        RemoteID: Bill <sip:bill@example.net>\r\n\
        LocalAddr: IP=10.10.1.100 PORT=5000 SSRC=0x2468abcd\r\n\
        RemoteAddr: IP=11.1.1.150 PORT=5002 SSRC=0x1357efff\r\n\
        LocalMetrics:\r\n\
        Timestamps: START=2004-10-10T18:23:43Z STOP=2004-10-10T18:24:15Z\r\n\
        SessionDesc: PT=18 PD=G729 SR=8000 FD=20 FO=20 FPP=2 PPS=50 FMTP=\"annexb=no\" PLC=3 SSUP=on\r\n\
        JitterBuffer: JBA=3 JBR=2 JBN=40 JBM=80 JBX=120\r\n\
        PacketLoss: NLR=5.0 JDR=2.0\r\n\
        BurstGapLoss: BLD=0 BD=0 GLD=2.0 GD=500 GMIN=16\r\n\
        Delay: RTD=200 ESD=140 SOWD=200 IAJ=2\r\n\
        Signal: SL=-21 NL=-50 RERL=55\r\n\
        QualityEst: RLQ=90 RCQ=85 MOSLQ=4.2 MOSCQ=4.3 QoEEstAlg=P.564\r\n\
        DialogID: 1890463548@alice.example.org;to-tag=8472761;from-tag=9123dh311\r\n";

    #[test]
    fn vq_rtcpxr_local_metrics_become_the_received_stream() {
        let streams = parse_report(VQ, &capture()).unwrap();
        assert_eq!(streams.len(), 1);
        let s = &streams[0];
        assert_eq!(s.format, ReportFormat::VqRtcpXr);
        assert_eq!(s.mos_source, MosSource::ReportedByEndpoint);
        assert_eq!(s.src.to_string(), "11.1.1.150:5002");
        assert_eq!(s.dst.to_string(), "10.10.1.100:5000");
        assert_eq!(s.ssrc, Some(0x1357_efff));
        assert_eq!(s.codec.as_deref(), Some("G729"));
        assert_eq!((s.mos_lq, s.mos_cq), (Some(4.2), Some(4.3)));
        assert_eq!((s.r_lq, s.r_cq), (Some(90.0), Some(85.0)));
        assert_eq!((s.loss_pct, s.discard_pct), (Some(5.0), Some(2.0)));
        assert_eq!(s.gap_density_pct, Some(2.0));
        assert_eq!(s.round_trip_ms, Some(200.0));
        assert_eq!(s.end_system_delay_ms, Some(140.0));
        assert_eq!(s.jitter_ms, Some(2.0));
    }

    #[test]
    fn vq_rtcpxr_inside_a_publish_with_remote_metrics_gives_two_streams() {
        let body = format!(
            "{}RemoteMetrics:\r\nQualityEst: MOSLQ=3.1\r\n",
            VQ.replace(
                "DialogID: 1890463548@alice.example.org;to-tag=8472761;from-tag=9123dh311\r\n",
                ""
            )
        );
        let publish = format!(
            "PUBLISH sip:collector@example.org SIP/2.0\r\nEvent: vq-rtcpxr\r\n\
             Content-Type: application/vq-rtcpxr\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let streams = parse_report(&publish, &capture()).unwrap();
        assert_eq!(streams.len(), 2);
        assert_eq!(streams[1].src.to_string(), "10.10.1.100:5000");
        assert_eq!(streams[1].ssrc, Some(0x2468_abcd));
        assert_eq!(streams[1].mos_lq, Some(3.1));
    }

    #[test]
    fn xr_voip_metrics_json_in_rfc3611_units() {
        // loss 13/256 = 5.08 %, MOS ×10, R 127 = unavailable.
        let raw = json!({"type": 207, "ssrc": 1, "voip_metrics": {"ssrc": 77, "loss_rate": 13,
            "discard_rate": 0, "burst_density": 64, "round_trip_delay": 48, "r_factor": 127,
            "mos_lq": 41, "mos_cq": "3.9"}});
        let streams = parse_report(&raw.to_string(), &capture()).unwrap();
        let s = &streams[0];
        assert_eq!(s.format, ReportFormat::RtcpXr);
        assert_eq!(s.ssrc, Some(77));
        assert_eq!(s.src.to_string(), "10.0.0.9:5060");
        assert_eq!(s.loss_pct.map(|v| (v * 100.0).round() / 100.0), Some(5.08));
        assert_eq!(s.burst_density_pct, Some(25.0));
        assert_eq!(s.round_trip_ms, Some(48.0));
        assert_eq!(s.r_lq, None);
        assert_eq!((s.mos_lq, s.mos_cq), (Some(4.1), Some(3.9)));
    }

    #[test]
    fn unknown_or_empty_reports_are_errors() {
        assert_eq!(
            parse_report("hello", &capture()),
            Err(EndpointReportError::UnknownFormat)
        );
        assert_eq!(
            parse_report("[1]", &capture()),
            Err(EndpointReportError::UnknownFormat)
        );
        assert_eq!(
            parse_report("{\"mos_lq\":127}", &capture()),
            Err(EndpointReportError::NoMetrics)
        );
        assert_eq!(
            parse_report("VQSessionReport: CallTerm\r\nCallID: x\r\n", &capture()),
            Err(EndpointReportError::NoMetrics)
        );
    }
}

/// The fixture generator's reports (hepscope-core) read back through this parser.
#[cfg(test)]
mod fixture_round_trip {
    use std::net::SocketAddr;

    use super::{parse_report, ReportCapture, ReportFormat};
    use crate::domain::fixture::{
        vq_report_packet, vq_rtcpxr_body, xr_report_packet, Packet, ReportedQuality,
    };
    use crate::domain::qos::Endpoint;

    fn capture(packet: &Packet) -> ReportCapture {
        let endpoint = |a: SocketAddr| Endpoint {
            ip: a.ip().to_string(),
            port: a.port(),
        };
        ReportCapture {
            ts_us: packet.ts_us,
            src: endpoint(packet.src),
            dst: endpoint(packet.dst),
        }
    }

    #[test]
    fn generated_reports_read_back_through_the_domain() {
        let quality = ReportedQuality::default();
        let local: SocketAddr = "10.0.0.5:40000".parse().unwrap();
        let remote: SocketAddr = "10.0.0.9:30000".parse().unwrap();
        let body = vq_rtcpxr_body("c1", local, remote, "PCMU", &quality);
        let vq = vq_report_packet(5, "c1", local, remote, &body);
        let raw = String::from_utf8(vq.payload.clone()).unwrap();
        let streams = parse_report(&raw, &capture(&vq)).unwrap();
        assert_eq!(streams[0].format, ReportFormat::VqRtcpXr);
        assert_eq!(streams[0].mos_lq, Some(4.2));
        assert_eq!(streams[0].loss_pct, Some(0.5));
        assert_eq!(streams[0].dst.to_string(), "10.0.0.5:40000");

        let xr = xr_report_packet(6, "c1", local, remote, 99, &quality);
        let raw = String::from_utf8(xr.payload.clone()).unwrap();
        let streams = parse_report(&raw, &capture(&xr)).unwrap();
        assert_eq!(streams[0].format, ReportFormat::RtcpXr);
        assert_eq!(streams[0].ssrc, Some(99));
        assert_eq!(
            (streams[0].mos_lq, streams[0].mos_cq),
            (Some(4.2), Some(4.1))
        );
        // 0.5 % → round(1.28) = 1/256 on the wire → 0.39 %.
        assert_eq!(streams[0].loss_pct, Some(100.0 / 256.0));
    }
}
