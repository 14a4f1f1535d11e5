//! The QoS of one call: every RTCP stream scored with both MOS formulas, plus the reports that
//! could not be read. This is what the QoS panel renders and what the JSON download contains.
//! Pure: no I/O.

use serde::{Deserialize, Serialize};

use super::codec::{CodecChoice, CodecInfo};
use super::endpoint::EndpointStream;
use super::rtcp::RtcpReport;
use super::settings::QosSettings;
use super::stream::{Endpoint, StreamQos, StreamTable};

/// A report left out of the analysis, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedReport {
    /// Capture time of the report, µs since the Unix epoch.
    pub ts_us: i64,
    /// Source of the report as `ip:port`.
    pub src: String,
    /// What was wrong, as [`super::rtcp::RtcpError`] words it.
    pub reason: String,
}

/// Quality of every RTP stream of a call, as far as its RTCP reports tell.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallQos {
    /// One entry per (receiver → sender, SSRC), in order of first report.
    pub streams: Vec<StreamQos>,
    /// The codec and clock the streams were scored with.
    pub codec: CodecChoice,
    /// The settings used.
    pub settings: QosSettings,
    /// Reports whose JSON could not be read.
    pub rejected: Vec<RejectedReport>,
    /// Streams as the endpoints themselves reported them (RTCP-XR, vq-rtcpxr; HEP 34/35),
    /// with their own MOS, beside the streams computed from RTCP.
    #[serde(default)]
    pub endpoint_streams: Vec<EndpointStream>,
}

impl CallQos {
    /// Analyses a call's RTCP reports. `codecs` are the formats of the call's SDP (may be
    /// empty); `settings` carry the clock override and the assumed latency. Reports may come in
    /// any order; exact duplicates (the same capture seen twice) count once. Unreadable reports
    /// are listed in [`CallQos::rejected`], never fatal.
    pub fn from_reports(
        reports: &[RtcpReport],
        codecs: &[CodecInfo],
        settings: &QosSettings,
    ) -> Self {
        let codec = CodecChoice::select(codecs, settings.clock_override);
        let mut ordered: Vec<&RtcpReport> = reports.iter().collect();
        ordered.sort_by_key(|report| report.ts_us);
        ordered.dedup();
        let mut table = StreamTable::new(&codec, settings);
        let mut rejected = Vec::new();
        for report in ordered {
            match report.parse() {
                Ok(packet) => table.add(report, &packet),
                Err(error) => rejected.push(RejectedReport {
                    ts_us: report.ts_us,
                    src: Endpoint {
                        ip: report.src_ip.clone(),
                        port: report.src_port,
                    }
                    .to_string(),
                    reason: error.to_string(),
                }),
            }
        }
        let streams = table.finish();
        Self {
            streams,
            codec,
            settings: *settings,
            rejected,
            endpoint_streams: Vec::new(),
        }
    }

    /// Adds the endpoint-reported streams (from [`super::view::endpoint_streams_from_qos_body`]),
    /// in time order.
    pub fn with_endpoint_streams(mut self, mut streams: Vec<EndpointStream>) -> Self {
        streams.sort_by_key(|s| s.ts_us);
        self.endpoint_streams = streams;
        self
    }

    /// True when no stream was found: the UI then says "no RTCP".
    pub fn is_empty(&self) -> bool {
        self.streams.is_empty() && self.endpoint_streams.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::qos::series::{DelaySource, LossSource};
    use serde_json::{json, Value};

    const A: (&str, u16) = ("10.0.0.5", 40001);
    const B: (&str, u16) = ("10.0.0.9", 30001);

    fn report(ts_ms: i64, src: (&str, u16), dst: (&str, u16), raw: &Value) -> RtcpReport {
        RtcpReport {
            ts_us: ts_ms * 1000,
            src_ip: src.0.to_owned(),
            src_port: src.1,
            dst_ip: dst.0.to_owned(),
            dst_port: dst.1,
            raw_json: raw.to_string(),
        }
    }

    /// An RR from `ssrc` about `source` with the given counters.
    fn rr(ssrc: u32, source: u32, seq: u32, lost: i64, fraction: u8, jitter: u32) -> Value {
        json!({"type": 201, "ssrc": ssrc, "report_count": 1, "report_blocks": [{
            "source_ssrc": source, "fraction_lost": fraction, "packets_lost": lost,
            "highest_seq_no": seq, "ia_jitter": jitter, "lsr": 0, "dlsr": 0}]})
    }

    fn pcmu() -> Vec<CodecInfo> {
        vec![CodecInfo {
            payload_type: 0,
            name: Some("PCMU".into()),
            clock_rate: Some(8000),
            ptime_ms: None,
            max_playback_rate: None,
        }]
    }

    fn analyse(reports: &[RtcpReport]) -> CallQos {
        CallQos::from_reports(reports, &pcmu(), &QosSettings::default())
    }

    fn round(value: f64, places: i32) -> f64 {
        let scale = 10f64.powi(places);
        (value * scale).round() / scale
    }

    #[test]
    fn empty_input_gives_empty_result() {
        let qos = CallQos::from_reports(&[], &[], &QosSettings::default());
        assert!(qos.is_empty());
        assert!(qos.rejected.is_empty());
        assert_eq!(qos.codec.clock_rate, 8000);
    }

    #[test]
    fn single_report_uses_fraction_lost() {
        // docs/mos-and-rtcp.md §2.2: 1 → 0.39 %, 13 → 5.1 %, 26 → 10.2 %, 64 → 25 %.
        for (fraction, pct) in [(1, 0.39), (13, 5.08), (26, 10.16), (64, 25.0)] {
            let qos = analyse(&[report(0, A, B, &rr(1, 2, 1250, 0, fraction, 0))]);
            let point = qos.streams[0].points[0];
            assert_eq!(round(point.loss_pct, 2), pct, "fraction {fraction}");
            assert_eq!(point.loss_source, LossSource::FractionLost { fraction });
            assert_eq!(round(qos.streams[0].loss_pct, 2), pct);
        }
    }

    #[test]
    fn interval_loss_comes_from_cumulative_counters() {
        let qos = analyse(&[
            report(0, A, B, &rr(1, 2, 1000, 0, 0, 80)),
            // 250 expected, 5 lost: 2 % although fraction_lost says 0.
            report(5000, A, B, &rr(1, 2, 1250, 5, 0, 80)),
            report(10_000, A, B, &rr(1, 2, 1500, 5, 0, 80)),
        ]);
        let stream = &qos.streams[0];
        let losses: Vec<f64> = stream.points.iter().map(|p| p.loss_pct).collect();
        assert_eq!(losses, [0.0, 2.0, 0.0]);
        assert_eq!(
            stream.points[1].loss_source,
            LossSource::CumulativeCounters {
                lost: 5,
                expected: 250
            }
        );
        assert_eq!(stream.packets_expected, Some(500));
        assert_eq!(stream.packets_lost, 5);
        assert_eq!(stream.loss_pct, 1.0);
        assert_eq!(stream.loss_pct_worst, 2.0);
    }

    #[test]
    fn interval_loss_survives_16_bit_sequence_wrap() {
        let qos = analyse(&[
            report(0, A, B, &rr(1, 2, 65_500, 10, 0, 0)),
            report(5000, A, B, &rr(1, 2, 20, 11, 0, 0)),
        ]);
        let point = qos.streams[0].points[1];
        assert_eq!(
            point.loss_source,
            LossSource::CumulativeCounters {
                lost: 1,
                expected: 56
            }
        );
        assert_eq!(round(point.loss_pct, 2), 1.79);
    }

    #[test]
    fn duplicates_make_loss_zero_not_negative() {
        let qos = analyse(&[
            report(0, A, B, &rr(1, 2, 1000, 5, 0, 0)),
            report(5000, A, B, &rr(1, 2, 1250, 0xFF_FFFD, 0, 0)), // −3 on the wire
        ]);
        let point = qos.streams[0].points[1];
        assert_eq!(
            point.loss_source,
            LossSource::CumulativeCounters {
                lost: -8,
                expected: 250
            }
        );
        assert_eq!(point.loss_pct, 0.0);
    }

    #[test]
    fn receiver_restart_resets_baseline() {
        let qos = analyse(&[
            report(0, A, B, &rr(1, 2, 5000, 7, 0, 0)),
            // Sequence went back: a restart, so the interval falls back to fraction_lost.
            report(5000, A, B, &rr(1, 2, 100, 2, 13, 0)),
            report(10_000, A, B, &rr(1, 2, 350, 2, 0, 0)),
        ]);
        let stream = &qos.streams[0];
        assert_eq!(
            stream.points[1].loss_source,
            LossSource::FractionLost { fraction: 13 }
        );
        assert_eq!(
            stream.points[2].loss_source,
            LossSource::CumulativeCounters {
                lost: 0,
                expected: 250
            }
        );
        assert_eq!(stream.packets_lost, 9);
    }

    #[test]
    fn reporter_ssrc_change_resets_baseline() {
        let qos = analyse(&[
            report(0, A, B, &rr(1, 2, 1000, 0, 0, 0)),
            report(5000, A, B, &rr(9, 2, 1250, 50, 26, 0)),
        ]);
        let stream = &qos.streams[0];
        assert_eq!(
            stream.points[1].loss_source,
            LossSource::FractionLost { fraction: 26 }
        );
        assert_eq!(stream.reporter_ssrc, Some(9));
    }

    #[test]
    fn source_ssrc_change_starts_new_stream() {
        let qos = analyse(&[
            report(0, A, B, &rr(1, 2, 1000, 0, 0, 0)),
            report(5000, A, B, &rr(1, 3, 10, 0, 0, 0)),
        ]);
        let ssrcs: Vec<u32> = qos.streams.iter().map(|s| s.ssrc).collect();
        assert_eq!(ssrcs, [2, 3]);
    }

    #[test]
    fn rr_only_receiver_still_produces_stream() {
        // Homer drops reports without sender_information (docs/mos-and-rtcp.md §7.3).
        let raw = json!({"type": 201, "ssrc": 1, "sender_information": {"ntp_timestamp_sec": 0,
            "ntp_timestamp_usec": 0, "rtp_timestamp": 0, "packets": 0, "octets": 0},
            "report_blocks": [{"source_ssrc": 2, "fraction_lost": 0, "packets_lost": 0,
            "highest_seq_no": 1250, "ia_jitter": 40, "lsr": 0, "dlsr": 0}]});
        let qos = analyse(&[report(0, A, B, &raw)]);
        assert_eq!(qos.streams.len(), 1);
        let stream = &qos.streams[0];
        assert_eq!(stream.packets_sent, None);
        assert_eq!(stream.jitter_ms.unwrap().avg, 5.0);
        // Media flows from the peer to the reporter.
        assert_eq!((stream.src.ip.as_str(), stream.dst.ip.as_str()), (B.0, A.0));
    }

    #[test]
    fn every_report_block_is_used() {
        // Homer only reads report_blocks[0].
        let raw = json!({"type": 201, "ssrc": 1, "report_blocks": [
            {"source_ssrc": 2, "fraction_lost": 0, "highest_seq_no": 10, "packets_lost": 0, "ia_jitter": 8},
            {"source_ssrc": 3, "fraction_lost": 64, "highest_seq_no": 10, "packets_lost": 0, "ia_jitter": 8}]});
        let qos = analyse(&[report(0, A, B, &raw)]);
        assert_eq!(qos.streams.len(), 2);
        assert_eq!(qos.streams[1].loss_pct, 25.0);
    }

    #[test]
    fn homer_unit_bug_is_not_reproduced_end_to_end() {
        // docs/mos-and-rtcp.md §5.4: 160 RTP units at 8 kHz are 20 ms; with 10 ms latency and no
        // loss the simple MOS is 4.38, not Homer's 3.65.
        let settings = QosSettings {
            clock_override: None,
            latency_ms: 10.0,
        };
        let reports = [report(0, A, B, &rr(1, 2, 1250, 0, 0, 160))];
        let qos = CallQos::from_reports(&reports, &pcmu(), &settings);
        let point = qos.streams[0].points[0];
        assert_eq!(point.jitter_ms, 20.0);
        assert_eq!(point.delay_source, DelaySource::Assumed);
        assert_eq!(round(point.simple.r, 1), 91.7);
        assert_eq!(round(point.simple.mos, 2), 4.38);
    }

    #[test]
    fn jitter_uses_codec_clock_rate() {
        let cases = [
            (
                CodecInfo {
                    payload_type: 111,
                    name: Some("opus".into()),
                    clock_rate: Some(48000),
                    ptime_ms: None,
                    max_playback_rate: None,
                },
                960,
                20.0,
            ),
            (
                CodecInfo {
                    payload_type: 9,
                    name: None,
                    clock_rate: None,
                    ptime_ms: None,
                    max_playback_rate: None,
                },
                160,
                20.0,
            ),
            (
                CodecInfo {
                    payload_type: 8,
                    name: Some("PCMA".into()),
                    clock_rate: Some(8000),
                    ptime_ms: None,
                    max_playback_rate: None,
                },
                12,
                1.5,
            ),
        ];
        for (codec, units, ms) in cases {
            let reports = [report(0, A, B, &rr(1, 2, 10, 0, 0, units))];
            let qos = CallQos::from_reports(&reports, &[codec], &QosSettings::default());
            assert_eq!(qos.streams[0].points[0].jitter_ms, ms, "{units} units");
        }
    }

    #[test]
    fn clock_override_replaces_sdp_clock() {
        let settings = QosSettings {
            clock_override: Some(16000),
            latency_ms: 20.0,
        };
        let reports = [report(0, A, B, &rr(1, 2, 10, 0, 0, 160))];
        let qos = CallQos::from_reports(&reports, &pcmu(), &settings);
        assert_eq!(qos.streams[0].clock_rate, 16000);
        assert_eq!(qos.streams[0].points[0].jitter_ms, 10.0);
    }

    #[test]
    fn rtt_comes_from_lsr_and_dlsr_against_captured_sr() {
        let (msw, lsw) = (3_908_989_330u32, 0x8000_0000u32);
        let lsr = ((msw & 0xFFFF) << 16) | (lsw >> 16);
        let sr = json!({"type": 200, "ssrc": 2, "sender_information": {"ntp_timestamp_sec": msw,
            "ntp_timestamp_usec": lsw, "rtp_timestamp": 160_000, "packets": 250, "octets": 40_000},
            "report_blocks": []});
        // DLSR 3932 / 65536 s = 59.998 ms; the RR is captured 100 ms after the SR.
        let rr = json!({"type": 201, "ssrc": 1, "report_blocks": [{"source_ssrc": 2,
            "fraction_lost": 0, "packets_lost": 0, "highest_seq_no": 1250, "ia_jitter": 0,
            "lsr": lsr, "dlsr": 3932}]});
        let qos = analyse(&[report(100, A, B, &rr), report(0, B, A, &sr)]);
        let stream = &qos.streams[0];
        let point = stream.points[0];
        assert_eq!(point.delay_source, DelaySource::MeasuredRtt);
        assert_eq!(round(point.rtt_ms.unwrap(), 2), 40.0);
        assert_eq!(round(point.one_way_delay_ms, 2), 20.0);
        assert_eq!(stream.packets_sent, Some(250));
    }

    #[test]
    fn dlsr_alone_is_not_used_as_delay() {
        // Homer feeds DLSR as the latency (docs/mos-and-rtcp.md §7.2); without a captured SR the
        // assumed latency is used instead.
        let raw = json!({"type": 201, "ssrc": 1, "report_blocks": [{"source_ssrc": 2,
            "fraction_lost": 0, "highest_seq_no": 10, "packets_lost": 0, "ia_jitter": 0,
            "lsr": 123_456, "dlsr": 500}]});
        let qos = analyse(&[report(0, A, B, &raw)]);
        let point = qos.streams[0].points[0];
        assert_eq!(point.rtt_ms, None);
        assert_eq!(point.delay_source, DelaySource::Assumed);
        assert_eq!(point.one_way_delay_ms, 20.0);
    }

    #[test]
    fn xr_reported_mos_is_kept_separately() {
        let raw = json!({"type": 207, "ssrc": 1,
            "voip_metrics": {"ssrc": 2, "mos_lq": 4.1, "mos_cq": 3.9, "r_factor": 85, "round_trip_delay": 60}});
        let qos = analyse(&[
            report(0, A, B, &rr(1, 2, 1000, 0, 0, 0)),
            report(10, A, B, &raw),
        ]);
        assert_eq!(qos.streams.len(), 1);
        let stream = &qos.streams[0];
        assert_eq!(stream.reported_mos_lq.unwrap().avg, 4.1);
        assert_eq!(stream.reported_mos_cq.unwrap().worst, 3.9);
        assert_eq!(stream.reported_r_factor.unwrap().avg, 85.0);
        assert_eq!(stream.reported[0].round_trip_ms, Some(60.0));
    }

    #[test]
    fn xr_round_trip_feeds_delay_when_no_sr_matches() {
        let raw = json!({"type": 201, "ssrc": 1, "report_blocks": [{"source_ssrc": 2,
            "fraction_lost": 0, "highest_seq_no": 10, "packets_lost": 0, "ia_jitter": 0}],
            "report_blocks_xr": {"type": 7, "id": 2, "round_trip_delay": 80}});
        let point = analyse(&[report(0, A, B, &raw)]).streams[0].points[0];
        assert_eq!(point.delay_source, DelaySource::XrRoundTrip);
        assert_eq!(point.one_way_delay_ms, 40.0);
    }

    #[test]
    fn strings_as_numbers_work_end_to_end() {
        let raw = json!({"type": "201", "ssrc": "1", "report_blocks": [{"source_ssrc": "2",
            "fraction_lost": "0", "packets_lost": "0", "highest_seq_no": "1250",
            "ia_jitter": "160", "lsr": "0", "dlsr": "0"}]});
        let qos = analyse(&[report(0, A, B, &raw)]);
        assert_eq!(qos.streams[0].ssrc, 2);
        assert_eq!(qos.streams[0].points[0].jitter_ms, 20.0);
    }

    #[test]
    fn unreadable_reports_are_listed_not_fatal() {
        let mut bad = report(5, A, B, &json!({}));
        bad.raw_json = "not json".into();
        let qos = analyse(&[bad, report(0, A, B, &rr(1, 2, 10, 0, 0, 0))]);
        assert_eq!(qos.streams.len(), 1);
        assert_eq!(qos.rejected.len(), 1);
        assert_eq!(qos.rejected[0].src, "10.0.0.5:40001");
    }

    #[test]
    fn exact_duplicate_reports_count_once() {
        let one = report(0, A, B, &rr(1, 2, 10, 0, 0, 0));
        let qos = analyse(&[one.clone(), one]);
        assert_eq!(qos.streams[0].points.len(), 1);
    }

    #[test]
    fn mos_summary_has_average_and_worst_interval() {
        let qos = analyse(&[
            report(0, A, B, &rr(1, 2, 1000, 0, 0, 0)),
            report(5000, A, B, &rr(1, 2, 1100, 5, 0, 0)),
            report(10_000, A, B, &rr(1, 2, 1200, 5, 0, 0)),
        ]);
        let stream = &qos.streams[0];
        let emodel = stream.mos_emodel.unwrap();
        assert_eq!(emodel.worst_ts_us, 5_000_000);
        let mean = stream.points.iter().map(|p| p.emodel.mos).sum::<f64>() / 3.0;
        assert!((emodel.avg - mean).abs() < 1e-12);
        // G.711 + PLC at 5 % loss, Ta = 40 ms: 3.92 as in docs/mos-and-rtcp.md §5.2.
        assert_eq!(round(emodel.worst, 2), 3.92);
        assert!(stream.mos_simple.unwrap().worst < stream.mos_simple.unwrap().avg);
    }

    #[test]
    fn call_qos_serialises_for_download() {
        let qos = analyse(&[report(0, A, B, &rr(1, 2, 10, 0, 0, 8))]);
        let json = serde_json::to_value(&qos).unwrap();
        assert_eq!(json["streams"][0]["ssrc"], 2);
        assert_eq!(
            json["streams"][0]["points"][0]["loss_source"]["kind"],
            "fraction_lost"
        );
        assert_eq!(json["codec"]["clock_source"], "sdp");
        let back: CallQos = serde_json::from_value(json).unwrap();
        assert_eq!(back.streams[0].points.len(), 1);
    }
}
