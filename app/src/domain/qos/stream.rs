//! Media streams seen through RTCP: keyed by (reporter → peer, source SSRC), with per-interval
//! loss from the cumulative counters, jitter in ms, RTT from LSR/DLSR and both MOS estimates
//! (docs/mos-and-rtcp.md §2, §8). Pure: no I/O, no clock reads.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::codec::CodecChoice;
use super::codec::{PtimeSource, Scale};
use super::emodel::{burst_ratio, emodel, simple, EModelInput, SimpleInput};
use super::rtcp::{ReportBlock, RtcpPacket, RtcpReport, XrMetrics};
use super::series::{
    summarize, DelaySource, LossSource, Metric, QosPoint, ReportedPoint, Summary, Worst,
};
use super::settings::QosSettings;

/// A forward sequence advance larger than this between two reports is read as a receiver
/// restart (a new random initial sequence), not as real traffic: ~5.8 h of 20 ms packets.
const MAX_INTERVAL_PACKETS: u64 = 1 << 20;

/// An IP address and port as captured.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Endpoint {
    /// Textual IP address (v4 or v6) as the capture gave it.
    pub ip: String,
    /// UDP port.
    pub port: u16,
}

impl std::fmt::Display for Endpoint {
    /// `ip:port`, with IPv6 addresses in brackets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.ip.contains(':') {
            write!(f, "[{}]:{}", self.ip, self.port)
        } else {
            write!(f, "{}:{}", self.ip, self.port)
        }
    }
}

/// Identity of a stream: who reports, to whom, on which source SSRC.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct StreamKey {
    reporter: Endpoint,
    peer: Endpoint,
    ssrc: u32,
}

/// Quality of one RTP stream as its receiver reported it. Media flows `src` → `dst`; the RTCP
/// reports flow the other way (`dst` wrote them).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StreamQos {
    /// Media sender: the destination of the RTCP reports, owner of `ssrc`.
    pub src: Endpoint,
    /// Media receiver: the reporter.
    pub dst: Endpoint,
    /// SSRC of the media stream (the blocks' `source_ssrc`).
    pub ssrc: u32,
    /// SSRC the receiver reported under, last seen.
    pub reporter_ssrc: Option<u32>,
    /// Codec name used for scoring.
    pub codec: String,
    /// RTP clock rate in Hz used to convert jitter.
    pub clock_rate: u32,
    /// Packets the sender says it sent (its latest SR), when it sent SRs.
    pub packets_sent: Option<u32>,
    /// Packets expected over the intervals measured from counters (Δ extended highest
    /// sequence); `None` with a single report.
    pub packets_expected: Option<u64>,
    /// Packets lost since reception started, as the receiver counts them (the last cumulative
    /// value, summed over restarts).
    pub packets_lost: i64,
    /// Loss over the stream in percent: Σ Δlost / Σ Δexpected when counters allow, else the
    /// mean interval loss; 0..=100.
    pub loss_pct: f64,
    /// Loss of the worst interval in percent.
    pub loss_pct_worst: f64,
    /// Jitter in ms: mean and maximum.
    pub jitter_ms: Option<Summary>,
    /// Round-trip time in ms over the intervals where it was derived.
    pub rtt_ms: Option<Summary>,
    /// "MOS (E-model, est.)": mean and worst interval.
    pub mos_emodel: Option<Summary>,
    /// "MOS (simple)": mean and worst interval.
    pub mos_simple: Option<Summary>,
    /// Endpoint-reported listening MOS (RTCP-XR): mean and worst.
    pub reported_mos_lq: Option<Summary>,
    /// Endpoint-reported conversational MOS (RTCP-XR): mean and worst.
    pub reported_mos_cq: Option<Summary>,
    /// Endpoint-reported R factor (RTCP-XR): mean and worst.
    pub reported_r_factor: Option<Summary>,
    /// One point per report interval, in time order.
    pub points: Vec<QosPoint>,
    /// Endpoint-reported values, in time order.
    pub reported: Vec<ReportedPoint>,
    /// What the E-model was fed, for the QoS table's inputs column.
    pub inputs: StreamInputs,
    /// Where the stream's MOS comes from: always computed for RTCP streams.
    pub mos_source: MosSource,
}

/// Where a stream's MOS comes from, shown beside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MosSource {
    /// Estimated by hepscope from RTCP SR/RR counters with the E-model.
    ComputedFromRtcp,
    /// Computed by the endpoint itself (RTCP-XR VoIP metrics, RFC 6035 vq-rtcpxr).
    ReportedByEndpoint,
}

impl MosSource {
    /// The words shown to the user.
    pub fn label(self) -> &'static str {
        match self {
            Self::ComputedFromRtcp => "computed from RTCP",
            Self::ReportedByEndpoint => "reported by the endpoint",
        }
    }
}

/// The E-model inputs of a stream (means over its intervals), so the table can show what the
/// MOS rests on: delay, jitter-buffer assumption, codec constants, ptime and scale.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StreamInputs {
    /// Mean one-way network delay in ms.
    pub one_way_delay_ms: f64,
    /// Where the delay of the last interval came from.
    pub delay_source: Option<DelaySource>,
    /// Mean jitter-buffer delay in ms (assumed as 2 × jitter).
    pub jitter_buffer_ms: f64,
    /// Equipment impairment Ie of the codec.
    pub ie: f64,
    /// Packet-loss robustness Bpl of the codec.
    pub bpl: f64,
    /// BurstR used (from the ptime).
    pub burst_r: f64,
    /// Packetisation time in ms.
    pub ptime_ms: f64,
    /// Whether the ptime came from the SDP or is the default.
    pub ptime_source: PtimeSource,
    /// Codec name.
    pub codec: String,
    /// The E-model scale (wideband codecs: G.107.1).
    pub scale: Scale,
}

impl StreamInputs {
    /// The inputs of `points` scored with `codec`.
    pub fn of(codec: &CodecChoice, points: &[QosPoint]) -> Self {
        let mean = |value: fn(&QosPoint) -> f64| {
            if points.is_empty() {
                0.0
            } else {
                points.iter().map(value).sum::<f64>() / points.len() as f64
            }
        };
        Self {
            one_way_delay_ms: mean(|p| p.one_way_delay_ms),
            delay_source: points.last().map(|p| p.delay_source),
            jitter_buffer_ms: mean(|p| p.emodel.jitter_buffer_ms),
            ie: codec.impairment.ie,
            bpl: codec.impairment.bpl,
            burst_r: burst_ratio(codec.ptime_ms),
            ptime_ms: codec.ptime_ms,
            ptime_source: codec.ptime_source,
            codec: codec.name.clone(),
            scale: codec.scale,
        }
    }
}

/// The last counters of a stream, against which the next report's interval is measured.
#[derive(Clone, Copy, Debug)]
struct Baseline {
    highest_seq: u32,
    cumulative_lost: i32,
}

#[derive(Debug)]
struct StreamState {
    key: StreamKey,
    /// Creation order, so output follows the first report of each stream.
    order: usize,
    reporter_ssrc: Option<u32>,
    baseline: Option<Baseline>,
    /// Cumulative lost of finished epochs (an epoch ends at a reset).
    closed_epochs_lost: i64,
    /// Last cumulative lost of the current epoch.
    epoch_lost: i64,
    counted_expected: u64,
    counted_lost: i64,
    points: Vec<QosPoint>,
    reported: Vec<ReportedPoint>,
}

impl StreamState {
    fn new(key: StreamKey, order: usize) -> Self {
        Self {
            key,
            order,
            reporter_ssrc: None,
            baseline: None,
            closed_epochs_lost: 0,
            epoch_lost: 0,
            counted_expected: 0,
            counted_lost: 0,
            points: Vec::new(),
            reported: Vec::new(),
        }
    }

    fn reset(&mut self) {
        self.baseline = None;
        self.closed_epochs_lost += self.epoch_lost;
        self.epoch_lost = 0;
    }

    /// The interval loss of `block` against the baseline, updating the baseline.
    fn interval_loss(&mut self, block: &ReportBlock) -> (f64, LossSource) {
        let fraction = (
            f64::from(block.fraction_lost) * 100.0 / 256.0,
            LossSource::FractionLost {
                fraction: block.fraction_lost,
            },
        );
        let (Some(seq), Some(lost)) = (block.highest_seq, block.cumulative_lost) else {
            return fraction;
        };
        let result = match self.baseline {
            None => fraction,
            Some(base) => match seq_advance(base.highest_seq, seq) {
                Some(0) => fraction,
                Some(expected) => {
                    let lost_delta = i64::from(lost) - i64::from(base.cumulative_lost);
                    self.counted_expected += expected;
                    self.counted_lost += lost_delta;
                    let pct = (100.0 * lost_delta as f64 / expected as f64).clamp(0.0, 100.0);
                    (
                        pct,
                        LossSource::CumulativeCounters {
                            lost: lost_delta,
                            expected,
                        },
                    )
                }
                None => {
                    self.reset();
                    fraction
                }
            },
        };
        self.baseline = Some(Baseline {
            highest_seq: seq,
            cumulative_lost: lost,
        });
        self.epoch_lost = i64::from(lost);
        result
    }
}

/// Packets expected between two extended highest sequence numbers, or `None` when the counter
/// went back or leapt (the receiver restarted). Handles a 32-bit wrap and producers that send
/// only the 16-bit sequence without the cycle count.
fn seq_advance(prev: u32, next: u32) -> Option<u64> {
    let (prev, next) = (u64::from(prev), u64::from(next));
    let advance = if next >= prev {
        next - prev
    } else if prev <= 0xFFFF && next <= 0xFFFF && prev - next > 0x8000 {
        next + 0x1_0000 - prev
    } else if prev - next > 0x8000_0000 {
        next + 0x1_0000_0000 - prev
    } else {
        return None;
    };
    (advance <= MAX_INTERVAL_PACKETS).then_some(advance)
}

/// Builds the streams of one call from its reports.
pub(crate) struct StreamTable<'a> {
    codec: &'a CodecChoice,
    settings: &'a QosSettings,
    streams: HashMap<StreamKey, StreamState>,
    /// Capture time of each SR, by (sender SSRC, LSR value it would produce).
    sender_reports: HashMap<(u32, u32), i64>,
    /// Latest SR packet count, by sender SSRC.
    packets_sent: HashMap<u32, u32>,
}

impl<'a> StreamTable<'a> {
    pub(crate) fn new(codec: &'a CodecChoice, settings: &'a QosSettings) -> Self {
        Self {
            codec,
            settings,
            streams: HashMap::new(),
            sender_reports: HashMap::new(),
            packets_sent: HashMap::new(),
        }
    }

    /// Adds one parsed report. Reports must be added in capture-time order.
    pub(crate) fn add(&mut self, report: &RtcpReport, packet: &RtcpPacket) {
        if let Some(sender) = &packet.sender {
            for lsr in sender.lsr_candidates() {
                self.sender_reports.insert((packet.ssrc, lsr), report.ts_us);
            }
            self.packets_sent.insert(packet.ssrc, sender.packets);
        }
        let reporter = Endpoint {
            ip: report.src_ip.clone(),
            port: report.src_port,
        };
        let peer = Endpoint {
            ip: report.dst_ip.clone(),
            port: report.dst_port,
        };
        for block in &packet.blocks {
            let key = StreamKey {
                reporter: reporter.clone(),
                peer: peer.clone(),
                ssrc: block.source_ssrc,
            };
            let xr = packet
                .xr
                .filter(|xr| xr.source_ssrc.is_none_or(|s| s == block.source_ssrc));
            let rtt_ms = self.rtt_ms(report.ts_us, block);
            let (codec, settings) = (self.codec, self.settings);
            let stream = self.stream(key);
            if stream.reporter_ssrc.is_some_and(|s| s != packet.ssrc) {
                stream.reset();
            }
            stream.reporter_ssrc = Some(packet.ssrc);
            let loss = stream.interval_loss(block);
            let point = score(codec, settings, report.ts_us, block, loss, rtt_ms, xr);
            stream.points.push(point);
        }
        if let Some(xr) = packet.xr {
            self.add_reported(report.ts_us, reporter, peer, packet, xr);
        }
    }

    /// The streams, in order of first report.
    pub(crate) fn finish(self) -> Vec<StreamQos> {
        let mut states: Vec<StreamState> = self.streams.into_values().collect();
        states.sort_by_key(|state| state.order);
        states
            .into_iter()
            .map(|state| finish_stream(state, self.codec, &self.packets_sent))
            .collect()
    }

    fn stream(&mut self, key: StreamKey) -> &mut StreamState {
        let order = self.streams.len();
        self.streams
            .entry(key.clone())
            .or_insert_with(|| StreamState::new(key, order))
    }

    /// RTT = A − LSR − DLSR with A and the SR time taken from the capture clock: the round trip
    /// between the capture point and the reporter (RFC 3550 §6.4.1; rtpengine `__calc_rtt`).
    fn rtt_ms(&self, ts_us: i64, block: &ReportBlock) -> Option<f64> {
        if block.lsr == 0 {
            return None;
        }
        let sr_ts_us = *self.sender_reports.get(&(block.source_ssrc, block.lsr))?;
        let since_sr_ms = ts_us.checked_sub(sr_ts_us)? as f64 / 1000.0;
        let rtt = since_sr_ms - f64::from(block.dlsr) * 1000.0 / 65_536.0;
        // DLSR has 15 µs resolution and captures jitter a little; a clearly negative result
        // means the SR matched by coincidence.
        (rtt > -1.0).then_some(rtt.max(0.0))
    }

    fn add_reported(
        &mut self,
        ts_us: i64,
        reporter: Endpoint,
        peer: Endpoint,
        packet: &RtcpPacket,
        xr: XrMetrics,
    ) {
        let ssrc = xr
            .source_ssrc
            .or_else(|| packet.blocks.first().map(|b| b.source_ssrc))
            .or_else(|| {
                self.streams
                    .values()
                    .filter(|s| s.key.reporter == reporter && s.key.peer == peer)
                    .min_by_key(|s| s.order)
                    .map(|s| s.key.ssrc)
            })
            .unwrap_or(0);
        let key = StreamKey {
            reporter,
            peer,
            ssrc,
        };
        self.stream(key).reported.push(ReportedPoint {
            ts_us,
            mos_lq: xr.mos_lq,
            mos_cq: xr.mos_cq,
            r_factor: xr.r_factor,
            round_trip_ms: xr.round_trip_ms,
        });
    }
}

fn score(
    codec: &CodecChoice,
    settings: &QosSettings,
    ts_us: i64,
    block: &ReportBlock,
    (loss_pct, loss_source): (f64, LossSource),
    rtt_ms: Option<f64>,
    xr: Option<XrMetrics>,
) -> QosPoint {
    let jitter_ms = block.jitter_units * 1000.0 / f64::from(codec.clock_rate.max(1));
    let (rtt_ms, delay_source) = match (rtt_ms, xr.and_then(|x| x.round_trip_ms)) {
        (Some(rtt), _) => (Some(rtt), DelaySource::MeasuredRtt),
        (None, Some(rtt)) => (Some(rtt), DelaySource::XrRoundTrip),
        (None, None) => (None, DelaySource::Assumed),
    };
    let one_way_delay_ms = rtt_ms.map_or_else(|| settings.latency_or_zero(), |rtt| rtt / 2.0);
    QosPoint {
        ts_us,
        jitter_units: block.jitter_units,
        jitter_ms,
        loss_pct,
        loss_source,
        rtt_ms,
        one_way_delay_ms,
        delay_source,
        emodel: emodel(EModelInput {
            one_way_delay_ms,
            jitter_ms,
            loss_pct,
            ptime_ms: codec.ptime_ms,
            impairment: codec.impairment,
        }),
        simple: simple(SimpleInput {
            latency_ms: one_way_delay_ms,
            jitter_ms,
            loss_pct,
        }),
    }
}

fn finish_stream(
    state: StreamState,
    codec: &CodecChoice,
    packets_sent: &HashMap<u32, u32>,
) -> StreamQos {
    let points = state.points;
    let loss = summarize(&points, Metric::LossPct);
    let loss_pct = if state.counted_expected > 0 {
        (100.0 * state.counted_lost as f64 / state.counted_expected as f64).clamp(0.0, 100.0)
    } else {
        loss.map_or(0.0, |l| l.avg)
    };
    let reported_summary = |value: fn(&ReportedPoint) -> Option<f64>| {
        Summary::of(
            state
                .reported
                .iter()
                .filter_map(|p| value(p).map(|v| (p.ts_us, v))),
            Worst::Lowest,
        )
    };
    StreamQos {
        src: state.key.peer,
        dst: state.key.reporter,
        ssrc: state.key.ssrc,
        reporter_ssrc: state.reporter_ssrc,
        codec: codec.name.clone(),
        clock_rate: codec.clock_rate,
        packets_sent: packets_sent.get(&state.key.ssrc).copied(),
        packets_expected: (state.counted_expected > 0).then_some(state.counted_expected),
        packets_lost: state.closed_epochs_lost + state.epoch_lost,
        loss_pct,
        loss_pct_worst: loss.map_or(0.0, |l| l.worst),
        jitter_ms: summarize(&points, Metric::JitterMs),
        rtt_ms: summarize(&points, Metric::RttMs),
        mos_emodel: summarize(&points, Metric::MosEModel),
        mos_simple: summarize(&points, Metric::MosSimple),
        reported_mos_lq: reported_summary(|p| p.mos_lq),
        reported_mos_cq: reported_summary(|p| p.mos_cq),
        reported_r_factor: reported_summary(|p| p.r_factor),
        inputs: StreamInputs::of(codec, &points),
        mos_source: MosSource::ComputedFromRtcp,
        points,
        reported: state.reported,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_displays_ip_and_port() {
        let v4 = Endpoint {
            ip: "10.0.0.5".into(),
            port: 40001,
        };
        let v6 = Endpoint {
            ip: "2001:db8::1".into(),
            port: 5005,
        };
        assert_eq!(v4.to_string(), "10.0.0.5:40001");
        assert_eq!(v6.to_string(), "[2001:db8::1]:5005");
    }

    #[test]
    fn seq_advance_counts_forward_progress() {
        let cases = [
            (1000, 1250, Some(250)),
            (1250, 1250, Some(0)),
            // Extended sequence crossing a 16-bit cycle: the cycle count carries it.
            (65_500, 65_536 + 20, Some(56)),
            // A producer sending only the 16-bit sequence.
            (65_500, 20, Some(56)),
            // The 32-bit extended counter wrapping.
            (u32::MAX - 9, 5, Some(15)),
            // Backwards: a restart, not loss.
            (5000, 100, None),
            // A leap to a new random initial sequence.
            (1250, 3_000_000_000, None),
        ];
        for (prev, next, expected) in cases {
            assert_eq!(seq_advance(prev, next), expected, "{prev} -> {next}");
        }
    }
}
