//! Per-interval QoS points of a stream, their summaries (true mean and worst interval) and the
//! `(time, value)` series the charts draw. Pure: no I/O, no drawing.

use serde::{Deserialize, Serialize};

use super::emodel::{EModelScore, SimpleScore};

/// How an interval's loss was obtained (docs/mos-and-rtcp.md §2.2, §2.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum LossSource {
    /// Δ cumulative lost / Δ extended highest sequence since the previous report.
    CumulativeCounters {
        /// Packets lost in the interval (negative with duplicates).
        lost: i64,
        /// Packets expected in the interval.
        expected: u64,
    },
    /// `fraction_lost` / 256: the first report, or after a reset (SSRC change, restart).
    FractionLost {
        /// The raw 8-bit field.
        fraction: u8,
    },
}

/// Where the one-way delay fed to the formulas came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DelaySource {
    /// Half the RTT derived from LSR/DLSR against the captured SR.
    MeasuredRtt,
    /// Half the round-trip delay an RTCP-XR block reported.
    XrRoundTrip,
    /// The assumed latency setting (no RTT available).
    Assumed,
}

/// One report interval of a stream, with everything the tooltip needs.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct QosPoint {
    /// Capture time of the report closing the interval, µs since the Unix epoch.
    pub ts_us: i64,
    /// Interarrival jitter as reported, in RTP timestamp units.
    pub jitter_units: f64,
    /// Interarrival jitter in ms (units × 1000 / clock rate).
    pub jitter_ms: f64,
    /// Loss in the interval, percent, 0..=100.
    pub loss_pct: f64,
    /// How `loss_pct` was obtained.
    pub loss_source: LossSource,
    /// Round-trip time in ms, when it could be derived.
    pub rtt_ms: Option<f64>,
    /// One-way delay fed to both formulas, in ms.
    pub one_way_delay_ms: f64,
    /// Where `one_way_delay_ms` came from.
    pub delay_source: DelaySource,
    /// "MOS (E-model, est.)" with its inputs.
    pub emodel: EModelScore,
    /// "MOS (simple)" with its inputs.
    pub simple: SimpleScore,
}

/// Quality an endpoint computed itself (RTCP-XR VoIP metrics), shown as "reported by endpoint".
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportedPoint {
    /// Capture time of the report, µs since the Unix epoch.
    pub ts_us: i64,
    /// Listening-quality MOS.
    pub mos_lq: Option<f64>,
    /// Conversational-quality MOS.
    pub mos_cq: Option<f64>,
    /// R factor.
    pub r_factor: Option<f64>,
    /// Round-trip delay in ms.
    pub round_trip_ms: Option<f64>,
}

/// Mean and worst value of a metric over a stream's intervals.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Arithmetic mean over the intervals (not (min + max) / 2, as Homer shows).
    pub avg: f64,
    /// Worst interval: the maximum, or the minimum for MOS.
    pub worst: f64,
    /// Time of the worst interval, µs since the Unix epoch.
    pub worst_ts_us: i64,
    /// Number of intervals summarised.
    pub count: usize,
}

impl Summary {
    /// Summarises `(time, value)` pairs; `None` when there are none. Non-finite values are
    /// skipped.
    pub fn of(values: impl IntoIterator<Item = (i64, f64)>, worst_is: Worst) -> Option<Self> {
        let mut sum = 0.0;
        let mut count = 0usize;
        let mut worst: Option<(i64, f64)> = None;
        for (ts_us, value) in values.into_iter().filter(|(_, v)| v.is_finite()) {
            sum += value;
            count += 1;
            let is_worse = worst.is_none_or(|(_, w)| match worst_is {
                Worst::Highest => value > w,
                Worst::Lowest => value < w,
            });
            if is_worse {
                worst = Some((ts_us, value));
            }
        }
        let (worst_ts_us, worst) = worst?;
        let divisor = f64::from(u32::try_from(count).unwrap_or(u32::MAX));
        Some(Self {
            avg: sum / divisor,
            worst,
            worst_ts_us,
            count,
        })
    }
}

/// Which end of a metric's range is bad.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Worst {
    /// Larger is worse (jitter, loss, RTT).
    Highest,
    /// Smaller is worse (MOS, R).
    Lowest,
}

/// A chartable per-interval metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Jitter in ms.
    JitterMs,
    /// Loss in percent.
    LossPct,
    /// Round-trip time in ms (intervals without one are left out).
    RttMs,
    /// MOS from the G.107 E-model.
    MosEModel,
    /// MOS from the simplified formula.
    MosSimple,
}

impl Metric {
    /// Which end of this metric's range is bad.
    pub fn worst(self) -> Worst {
        match self {
            Self::JitterMs | Self::LossPct | Self::RttMs => Worst::Highest,
            Self::MosEModel | Self::MosSimple => Worst::Lowest,
        }
    }

    /// The value of this metric at `point`.
    pub fn value(self, point: &QosPoint) -> Option<f64> {
        match self {
            Self::JitterMs => Some(point.jitter_ms),
            Self::LossPct => Some(point.loss_pct),
            Self::RttMs => point.rtt_ms,
            Self::MosEModel => Some(point.emodel.mos),
            Self::MosSimple => Some(point.simple.mos),
        }
    }
}

/// The `(time µs, value)` series of `metric` over `points`, in time order, for a chart.
pub fn series(points: &[QosPoint], metric: Metric) -> Vec<(i64, f64)> {
    points
        .iter()
        .filter_map(|point| metric.value(point).map(|v| (point.ts_us, v)))
        .collect()
}

/// Summarises `metric` over `points`.
pub fn summarize(points: &[QosPoint], metric: Metric) -> Option<Summary> {
    Summary::of(series(points, metric), metric.worst())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_average_is_true_mean() {
        // Homer shows (min + max) / 2 = 5.5 here; the true mean is 4.
        let summary = Summary::of([(1, 1.0), (2, 1.0), (3, 10.0)], Worst::Highest).unwrap();
        assert_eq!(summary.avg, 4.0);
        assert_eq!(summary.worst, 10.0);
        assert_eq!(summary.worst_ts_us, 3);
        assert_eq!(summary.count, 3);
    }

    #[test]
    fn summary_worst_mos_is_minimum() {
        let summary = Summary::of([(1, 4.4), (2, 3.1), (3, 4.0)], Worst::Lowest).unwrap();
        assert_eq!(summary.worst, 3.1);
        assert_eq!(summary.worst_ts_us, 2);
    }

    #[test]
    fn series_picks_metric_in_time_order_and_skips_missing_rtt() {
        use crate::domain::qos::codec::CodecFamily;
        use crate::domain::qos::emodel::{emodel, simple, EModelInput, SimpleInput};
        let point = |ts_us, rtt_ms| {
            let input = EModelInput {
                one_way_delay_ms: 20.0,
                jitter_ms: 5.0,
                loss_pct: 1.0,
                ptime_ms: 20.0,
                impairment: CodecFamily::G711.impairment(),
            };
            QosPoint {
                ts_us,
                jitter_units: 40.0,
                jitter_ms: 5.0,
                loss_pct: 1.0,
                loss_source: LossSource::FractionLost { fraction: 3 },
                rtt_ms,
                one_way_delay_ms: 20.0,
                delay_source: DelaySource::Assumed,
                emodel: emodel(input),
                simple: simple(SimpleInput {
                    latency_ms: 20.0,
                    jitter_ms: 5.0,
                    loss_pct: 1.0,
                }),
            }
        };
        let points = [point(1, None), point(2, Some(30.0))];
        assert_eq!(series(&points, Metric::JitterMs), [(1, 5.0), (2, 5.0)]);
        assert_eq!(series(&points, Metric::RttMs), [(2, 30.0)]);
        assert_eq!(summarize(&points, Metric::MosSimple).unwrap().count, 2);
    }

    #[test]
    fn summary_of_nothing_is_none() {
        assert_eq!(Summary::of([], Worst::Highest), None);
        assert_eq!(Summary::of([(1, f64::NAN)], Worst::Highest), None);
    }
}
