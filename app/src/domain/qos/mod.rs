//! RTCP quality maths: reports → streams → loss, jitter, RTT and MOS per interval, and chart
//! series (docs/mos-and-rtcp.md §8).
//!
//! - [`rtcp`]: the input [`RtcpReport`] and the lenient report parser.
//! - [`codec`]: codec and RTP clock choice from the SDP, G.113 impairment values.
//! - [`endpoint`]: endpoint-reported quality (RTCP-XR VoIP metrics, RFC 6035 vq-rtcpxr).
//! - [`emodel`]: ITU-T G.107 E-model and the simplified "PingPlotter" formula, with tooltips.
//! - [`stream`]: per-stream interval loss, jitter in ms, RTT from LSR/DLSR.
//! - [`series`]: per-interval points, summaries and chart series.
//! - [`settings`]: [`QosSettings`] and their URL form.
//! - [`call`]: [`CallQos::from_reports`], the entry point.
//! - [`view`]: the QoS view's URL state, HOMER answers → reports and codecs, tooltip texts.
//!
//! Pure: no I/O, no clock reads, no browser types.

#![deny(clippy::unwrap_used, clippy::expect_used)]

pub mod call;
pub mod codec;
pub mod emodel;
pub mod endpoint;
pub mod load;
mod number;
pub mod rtcp;
pub mod series;
pub mod settings;
pub mod stream;
pub mod view;

pub use call::{CallQos, RejectedReport};
pub use codec::{CodecChoice, CodecInfo};
pub use emodel::{QualityBand, EMODEL_LABEL, REPORTED_LABEL, SIMPLE_LABEL};
pub use endpoint::{EndpointStream, ReportFormat};
pub use rtcp::{RtcpError, RtcpReport};
pub use series::{Metric, QosPoint, Summary, Worst};
pub use settings::QosSettings;
pub use stream::{Endpoint, MosSource, StreamInputs, StreamQos};

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{json, Value};

    /// A value as any producer might send it for a numeric field.
    fn numberish() -> impl Strategy<Value = Value> {
        prop_oneof![
            (0i64..70_000).prop_map(|n| json!(n)),
            any::<i64>().prop_map(|n| json!(n)),
            any::<u64>().prop_map(|n| json!(n)),
            any::<f64>().prop_map(|f| json!(f)),
            any::<i32>().prop_map(|n| json!(n.to_string())),
            "[ -~]{0,8}".prop_map(|s| json!(s)),
            Just(Value::Null),
        ]
    }

    fn block() -> impl Strategy<Value = Value> {
        (
            prop_oneof![(0u32..3).prop_map(|n| json!(n)), numberish()],
            numberish(),
            numberish(),
            numberish(),
            numberish(),
            numberish(),
            numberish(),
        )
            .prop_map(|(ssrc, fraction, lost, seq, jitter, lsr, dlsr)| {
                json!({"source_ssrc": ssrc, "fraction_lost": fraction, "packets_lost": lost,
                    "highest_seq_no": seq, "ia_jitter": jitter, "lsr": lsr, "dlsr": dlsr})
            })
    }

    fn raw_report() -> impl Strategy<Value = String> {
        let object = (
            prop_oneof![
                Just(json!(200)),
                Just(json!(201)),
                Just(json!(207)),
                numberish()
            ],
            prop_oneof![(0u32..3).prop_map(|n| json!(n)), numberish()],
            proptest::option::of((numberish(), numberish(), numberish())),
            proptest::collection::vec(block(), 0..3),
            proptest::option::of((numberish(), numberish(), numberish(), numberish())),
        )
            .prop_map(|(kind, ssrc, sender, blocks, xr)| {
                let mut report = json!({"type": kind, "ssrc": ssrc, "report_blocks": blocks});
                if let Some((msw, lsw, packets)) = sender {
                    report["sender_information"] = json!({"ntp_timestamp_sec": msw,
                        "ntp_timestamp_usec": lsw, "rtp_timestamp": 1, "packets": packets,
                        "octets": 1});
                }
                if let Some((lq, cq, r, rtd)) = xr {
                    report["voip_metrics"] = json!({"mos_lq": lq, "mos_cq": cq,
                        "r_factor": r, "round_trip_delay": rtd});
                }
                report.to_string()
            });
        prop_oneof![4 => object, 1 => ".{0,20}"]
    }

    fn reports() -> impl Strategy<Value = Vec<RtcpReport>> {
        proptest::collection::vec(
            (
                any::<i64>(),
                0i64..60_000_000,
                0u16..3,
                0u16..3,
                raw_report(),
            ),
            0..24,
        )
        .prop_map(|items| {
            items
                .into_iter()
                .map(|(huge, ts, src, dst, raw_json)| RtcpReport {
                    ts_us: if ts % 7 == 0 { huge } else { ts },
                    src_ip: format!("10.0.0.{src}"),
                    src_port: 5000 + src,
                    dst_ip: format!("10.0.0.{dst}"),
                    dst_port: 5000 + dst,
                    raw_json,
                })
                .collect()
        })
    }

    fn settings() -> impl Strategy<Value = QosSettings> {
        (proptest::option::of(any::<u32>()), any::<f64>()).prop_map(
            |(clock_override, latency_ms)| QosSettings {
                clock_override,
                latency_ms,
            },
        )
    }

    proptest! {
        #[test]
        fn arbitrary_reports_never_panic_and_mos_stays_in_range(
            reports in reports(),
            settings in settings(),
            payload_type in any::<u8>(),
            clock_rate in proptest::option::of(any::<u32>()),
            ptime_ms in proptest::option::of(any::<u32>()),
        ) {
            let codecs = [CodecInfo { payload_type, name: None, clock_rate, ptime_ms, max_playback_rate: None }];
            let qos = CallQos::from_reports(&reports, &codecs, &settings);
            for stream in &qos.streams {
                prop_assert!((0.0..=100.0).contains(&stream.loss_pct));
                for point in &stream.points {
                    prop_assert!((1.0..=4.5).contains(&point.emodel.mos), "{:?}", point);
                    prop_assert!((1.0..=4.5).contains(&point.simple.mos), "{:?}", point);
                    prop_assert!((0.0..=100.0).contains(&point.loss_pct));
                    prop_assert!(point.jitter_ms.is_finite() && point.jitter_ms >= 0.0);
                    prop_assert!(point.one_way_delay_ms.is_finite());
                }
                for summary in [stream.mos_emodel, stream.mos_simple].into_iter().flatten() {
                    prop_assert!((1.0..=4.5).contains(&summary.avg));
                    prop_assert!((1.0..=4.5).contains(&summary.worst));
                }
            }
            // The download must always serialise.
            prop_assert!(serde_json::to_string(&qos).is_ok());
        }
    }
}
