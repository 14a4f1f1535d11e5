//! MOS estimates from network metrics: the ITU-T G.107 E-model (narrowband) and the simplified
//! "PingPlotter" formula Homer, rtpengine and nProbe use (docs/mos-and-rtcp.md §3, §4.2). Each score
//! keeps its inputs and intermediate values so the UI can show them in a tooltip.
//!
//! Pure arithmetic: no I/O. Inputs are sanitised (non-finite or negative values read as 0, loss
//! clamped to 0..=100), so every MOS is within 1.0..=4.5.

use serde::{Deserialize, Serialize};

use super::codec::{Impairment, Scale};

/// UI label of the G.107 estimate; MOS is named with its method (docs/mos-and-rtcp.md §8).
pub const EMODEL_LABEL: &str = "MOS (E-model, est.)";
/// UI label of the simplified estimate.
pub const SIMPLE_LABEL: &str = "MOS (simple)";
/// UI label of values an endpoint computed itself (RTCP-XR).
pub const REPORTED_LABEL: &str = "reported by endpoint";

/// Ro − Is with all G.107 default parameters (G.107 (06/2015) §7.7; formerly 94.2).
pub const RO_MINUS_IS: f64 = 93.2;
/// Advantage factor A: 0 for wired telephony (G.107 §7.6).
pub const ADVANTAGE: f64 = 0.0;
/// Packetisation delay added to the mouth-to-ear delay when the SDP gives no `ptime`, in ms.
pub const DEFAULT_PTIME_MS: f64 = 20.0;
/// Lowest MOS of G.107 Annex B.
pub const MOS_MIN: f64 = 1.0;
/// Highest MOS of G.107 Annex B.
pub const MOS_MAX: f64 = 4.5;

/// Maps a rating R to MOS (G.107 Annex B): 1 below 0, 4.5 above 100, the cubic in between
/// (clamped to 1.0, since the cubic dips just under 1 for small R).
pub fn r_to_mos(r: f64) -> f64 {
    if r.is_nan() || r <= 0.0 {
        MOS_MIN
    } else if r >= 100.0 {
        MOS_MAX
    } else {
        let mos = 1.0 + 0.035 * r + 7.0e-6 * r * (r - 60.0) * (100.0 - r);
        mos.clamp(MOS_MIN, MOS_MAX)
    }
}

/// Factor between the wideband and narrowband R scales (G.107.1: R_WB / 1.29 is mapped to MOS
/// with the G.107 Annex B cubic, so R_WB = 129 gives MOS 4.5).
pub const WIDEBAND_R_FACTOR: f64 = 1.29;

/// Packet size, in ms, the Bpl values are taken to hold for. A longer packet loses more
/// speech per lost packet, which [`burst_ratio`] expresses (docs/mos-and-rtcp.md §3.7).
pub const BPL_REFERENCE_PTIME_MS: f64 = 20.0;

/// Maps R to MOS on the given scale: G.107 Annex B for narrowband, Annex B of R / 1.29 for
/// wideband (G.107.1).
pub fn mos_on(scale: Scale, r: f64) -> f64 {
    match scale {
        Scale::Narrowband => r_to_mos(r),
        Scale::Wideband => r_to_mos(r / WIDEBAND_R_FACTOR),
    }
}

/// BurstR from the packetisation time: every lost packet of `ptime_ms` removes
/// `ptime_ms / 20` reference packets in a row, so loss that is random per packet is bursty by
/// that ratio in the units Bpl is given in. Never below 1 (random loss).
pub fn burst_ratio(ptime_ms: f64) -> f64 {
    let ratio = sanitize_ms(ptime_ms) / BPL_REFERENCE_PTIME_MS;
    if ratio > 1.0 {
        ratio
    } else {
        1.0
    }
}

/// Delay impairment Idd for an absolute one-way delay `ta_ms` with the default mT = 100 ms and
/// sT = 1 (G.107 eq. 7-27).
pub fn idd(ta_ms: f64) -> f64 {
    idd_with(ta_ms, 100.0, 1.0)
}

/// Delay impairment Idd with explicit mT (ms) and sT. The exponent is 6·sT (amplet2's `6 − sT`
/// is a bug, docs/mos-and-rtcp.md §3.2).
pub fn idd_with(ta_ms: f64, mt_ms: f64, st: f64) -> f64 {
    // Written positively so NaN inputs also give 0.
    let in_domain = ta_ms > mt_ms && mt_ms > 0.0 && st > 0.0 && ta_ms.is_finite();
    if !in_domain {
        return 0.0;
    }
    let x = (ta_ms / mt_ms).log2();
    let e = 6.0 * st;
    25.0 * ((1.0 + x.powf(e)).powf(1.0 / e) - 3.0 * (1.0 + (x / 3.0).powf(e)).powf(1.0 / e) + 2.0)
}

/// Effective equipment impairment Ie,eff = Ie + (95 − Ie) · Ppl / (Ppl / BurstR + Bpl)
/// (G.107 eq. 7-29), with `ppl` the packet-loss percentage; on the wideband scale the constant
/// 95 is 129 (G.107.1).
pub fn ie_eff(impairment: &Impairment, ppl: f64, burst_r: f64) -> f64 {
    let ppl = sanitize_pct(ppl);
    let burst_r = if burst_r >= 1.0 { burst_r } else { 1.0 };
    let denominator = ppl / burst_r + impairment.bpl;
    if denominator > 0.0 {
        let ceiling = impairment.family.scale().loss_ceiling();
        impairment.ie + (ceiling - impairment.ie) * ppl / denominator
    } else {
        impairment.ie
    }
}

/// The Cole–Rosenbluth linearised delay term Id ≈ 0.024·d + 0.11·(d − 177.3)·H(d − 177.3), with
/// `d_ms` the one-way delay (docs/mos-and-rtcp.md §4.1). Shown for comparison; hepscope scores with
/// [`idd`].
pub fn cole_rosenbluth_id(d_ms: f64) -> f64 {
    let d = sanitize_ms(d_ms);
    0.024 * d + 0.11 * (d - 177.3).max(0.0)
}

/// What the E-model is fed for one interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct EModelInput {
    /// One-way network delay in ms (RTT / 2 when measured, else the assumed latency).
    pub one_way_delay_ms: f64,
    /// Interarrival jitter in ms.
    pub jitter_ms: f64,
    /// Packet loss in percent.
    pub loss_pct: f64,
    /// Packetisation time in ms.
    pub ptime_ms: f64,
    /// Codec constants.
    pub impairment: Impairment,
}

/// A G.107 score with its intermediate values (the tooltip of "MOS (E-model, est.)").
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct EModelScore {
    /// The inputs, after sanitising.
    pub input: EModelInput,
    /// Jitter-buffer delay assumed as 2 × jitter, in ms.
    pub jitter_buffer_ms: f64,
    /// Absolute mouth-to-ear delay Ta = one-way delay + jitter buffer + ptime, in ms.
    pub ta_ms: f64,
    /// Ro − Is.
    pub ro_minus_is: f64,
    /// Delay impairment Idd(Ta).
    pub idd: f64,
    /// Burst ratio used: 1 for random loss, more when ptime exceeds the 20 ms the Bpl values
    /// hold for ([`burst_ratio`]); RTCP itself gives no burst information.
    pub burst_r: f64,
    /// Effective equipment impairment.
    pub ie_eff: f64,
    /// Advantage factor.
    pub advantage: f64,
    /// Rating R = Ro − Is − Idd − Ie,eff + A.
    pub r: f64,
    /// MOS from R (Annex B, of R / 1.29 on the wideband scale), 1.0..=4.5.
    pub mos: f64,
    /// The scale R is on (wideband codecs: G.107.1, R up to 129).
    pub scale: Scale,
}

/// Scores one interval with the G.107 E-model, R = Ro − Is − Idd(Ta) − Ie,eff + A, on the
/// codec's scale (G.107.1 for wideband codecs). BurstR follows from the ptime.
pub fn emodel(input: EModelInput) -> EModelScore {
    let input = EModelInput {
        one_way_delay_ms: sanitize_ms(input.one_way_delay_ms),
        jitter_ms: sanitize_ms(input.jitter_ms),
        loss_pct: sanitize_pct(input.loss_pct),
        ptime_ms: sanitize_ms(input.ptime_ms),
        impairment: input.impairment,
    };
    let jitter_buffer_ms = 2.0 * input.jitter_ms;
    let ta_ms = input.one_way_delay_ms + jitter_buffer_ms + input.ptime_ms;
    let idd = idd(ta_ms);
    let burst_r = burst_ratio(input.ptime_ms);
    let ie_eff = ie_eff(&input.impairment, input.loss_pct, burst_r);
    let scale = input.impairment.family.scale();
    let ro_minus_is = scale.ro_minus_is();
    let r = ro_minus_is - idd - ie_eff + ADVANTAGE;
    EModelScore {
        input,
        jitter_buffer_ms,
        ta_ms,
        ro_minus_is,
        idd,
        burst_r,
        ie_eff,
        advantage: ADVANTAGE,
        r,
        mos: mos_on(scale, r),
        scale,
    }
}

/// What the simplified formula is fed for one interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SimpleInput {
    /// Latency in ms (hepscope feeds the one-way delay, as for the E-model).
    pub latency_ms: f64,
    /// Interarrival jitter in ms (not RTP units: Homer's bug, docs/mos-and-rtcp.md §7.1).
    pub jitter_ms: f64,
    /// Packet loss in percent.
    pub loss_pct: f64,
}

/// A "PingPlotter" score with its intermediate values (the tooltip of "MOS (simple)").
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SimpleScore {
    /// The inputs, after sanitising.
    pub input: SimpleInput,
    /// Effective latency = latency + 2 × jitter + 10 ms.
    pub effective_latency_ms: f64,
    /// R lost to delay: eff / 40 below 160 ms, else (eff − 120) / 10.
    pub delay_penalty: f64,
    /// R lost to loss: 2.5 per percent.
    pub loss_penalty: f64,
    /// R = 93.2 − delay penalty − loss penalty.
    pub r: f64,
    /// MOS from R (G.107 Annex B), 1.0..=4.5.
    pub mos: f64,
}

/// Scores one interval with the simplified formula (docs/mos-and-rtcp.md §4.2), using the current
/// `/ 10` else branch, not old rtpengine's `/ 40` (§7.8).
pub fn simple(input: SimpleInput) -> SimpleScore {
    let input = SimpleInput {
        latency_ms: sanitize_ms(input.latency_ms),
        jitter_ms: sanitize_ms(input.jitter_ms),
        loss_pct: sanitize_pct(input.loss_pct),
    };
    let effective_latency_ms = input.latency_ms + 2.0 * input.jitter_ms + 10.0;
    let delay_penalty = if effective_latency_ms < 160.0 {
        effective_latency_ms / 40.0
    } else {
        (effective_latency_ms - 120.0) / 10.0
    };
    let loss_penalty = 2.5 * input.loss_pct;
    let r = RO_MINUS_IS - delay_penalty - loss_penalty;
    SimpleScore {
        input,
        effective_latency_ms,
        delay_penalty,
        loss_penalty,
        r,
        mos: r_to_mos(r),
    }
}

/// Quality band of a MOS for colouring.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QualityBand {
    /// MOS ≥ 4.3.
    Excellent,
    /// 3.6 ≤ MOS < 4.3.
    Good,
    /// 2.6 ≤ MOS < 3.6.
    Fair,
    /// MOS < 2.6.
    Poor,
}

impl QualityBand {
    /// The band a MOS falls in.
    pub fn from_mos(mos: f64) -> Self {
        if mos >= 4.3 {
            Self::Excellent
        } else if mos >= 3.6 {
            Self::Good
        } else if mos >= 2.6 {
            Self::Fair
        } else {
            Self::Poor
        }
    }

    /// The label shown to users.
    pub fn label(self) -> &'static str {
        match self {
            Self::Excellent => "Excellent",
            Self::Good => "Good",
            Self::Fair => "Fair",
            Self::Poor => "Poor",
        }
    }
}

fn sanitize_ms(value: f64) -> f64 {
    if value.is_finite() && value > 0.0 {
        value
    } else {
        0.0
    }
}

fn sanitize_pct(value: f64) -> f64 {
    if value.is_finite() {
        value.clamp(0.0, 100.0)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::qos::codec::{CodecFamily, Scale};

    fn round(value: f64, places: i32) -> f64 {
        let scale = 10f64.powi(places);
        (value * scale).round() / scale
    }

    /// The E-model at Ta = 100 ms exactly (Idd = 0), as in docs/mos-and-rtcp.md §5.2.
    fn mos_at_ta_100(ie: f64, bpl: f64, loss_pct: f64) -> f64 {
        let impairment = Impairment {
            ie,
            bpl,
            family: CodecFamily::Unknown,
        };
        emodel(EModelInput {
            one_way_delay_ms: 80.0,
            jitter_ms: 0.0,
            loss_pct,
            ptime_ms: 20.0,
            impairment,
        })
        .mos
    }

    #[test]
    fn simple_formula_matches_worked_table() {
        // docs/mos-and-rtcp.md §5.1: latency, jitter, loss, R, MOS.
        let cases = [
            (20.0, 5.0, 0.0, 92.2, 4.39),
            (50.0, 10.0, 1.0, 88.7, 4.31),
            (100.0, 20.0, 1.0, 87.0, 4.26),
            (150.0, 30.0, 3.0, 75.7, 3.85),
            (250.0, 50.0, 5.0, 56.7, 2.93),
        ];
        for (latency_ms, jitter_ms, loss_pct, r, mos) in cases {
            let score = simple(SimpleInput {
                latency_ms,
                jitter_ms,
                loss_pct,
            });
            assert_eq!(
                round(score.r, 1),
                r,
                "R for {latency_ms}/{jitter_ms}/{loss_pct}"
            );
            assert_eq!(
                round(score.mos, 2),
                mos,
                "MOS for {latency_ms}/{jitter_ms}/{loss_pct}"
            );
        }
    }

    #[test]
    fn emodel_matches_worked_table_at_ta_100() {
        // docs/mos-and-rtcp.md §5.2: codec (Ie, Bpl) and MOS at 0, 1, 3, 5 % loss.
        let cases = [
            (0.0, 25.1, [4.41, 4.33, 4.13, 3.92]),
            (11.0, 19.0, [4.10, 3.95, 3.63, 3.34]),
            (0.0, 4.3, [4.41, 3.83, 2.79, 2.17]),
        ];
        for (ie, bpl, expected) in cases {
            for (loss, mos) in [0.0, 1.0, 3.0, 5.0].into_iter().zip(expected) {
                assert_eq!(
                    round(mos_at_ta_100(ie, bpl, loss), 2),
                    mos,
                    "Ie {ie} Bpl {bpl} loss {loss}"
                );
            }
        }
    }

    #[test]
    fn emodel_practical_rule_g711_without_plc_at_1_pct() {
        // docs/mos-and-rtcp.md §3.5: Ie,eff ≈ 17.9, R ≈ 75 at 1 % loss without PLC.
        let impairment = Impairment {
            ie: 0.0,
            bpl: 4.3,
            family: CodecFamily::G711,
        };
        assert_eq!(round(ie_eff(&impairment, 1.0, 1.0), 1), 17.9);
    }

    #[test]
    fn idd_matches_worked_delay_table() {
        // docs/mos-and-rtcp.md §5.3.
        for (ta, expected) in [(200.0, 3.0), (300.0, 14.8), (400.0, 24.1)] {
            assert_eq!(round(idd(ta), 1), expected, "Ta {ta}");
        }
        assert_eq!(idd(100.0), 0.0);
        assert_eq!(idd(50.0), 0.0);
    }

    #[test]
    fn idd_uses_exponent_6_st_not_amplet2_6_minus_st() {
        // With sT = 1, amplet2's `6 − sT` would give exponent 5 and a different value.
        let x: f64 = 2.0; // Ta = 400 ms
        let exponent_5 =
            25.0 * ((1.0 + x.powi(5)).powf(0.2) - 3.0 * (1.0 + (x / 3.0).powi(5)).powf(0.2) + 2.0);
        assert!((idd(400.0) - exponent_5).abs() > 0.5);
    }

    #[test]
    fn cole_rosenbluth_matches_worked_delay_table() {
        for (d, expected) in [(200.0, 7.3), (300.0, 20.7), (400.0, 34.1)] {
            assert_eq!(round(cole_rosenbluth_id(d), 1), expected, "d {d}");
        }
    }

    #[test]
    fn homer_unit_bug_is_not_reproduced() {
        // docs/mos-and-rtcp.md §5.4: 20 ms jitter scores 4.38; fed as 160 RTP units it would be 3.65.
        let correct = simple(SimpleInput {
            latency_ms: 10.0,
            jitter_ms: 20.0,
            loss_pct: 0.0,
        });
        assert_eq!(round(correct.effective_latency_ms, 1), 60.0);
        assert_eq!(round(correct.r, 1), 91.7);
        assert_eq!(round(correct.mos, 2), 4.38);
        let homer = simple(SimpleInput {
            latency_ms: 10.0,
            jitter_ms: 160.0,
            loss_pct: 0.0,
        });
        assert_eq!(round(homer.r, 1), 71.2);
        assert_eq!(round(homer.mos, 2), 3.65);
    }

    #[test]
    fn simple_else_branch_divides_by_10_not_40() {
        let score = simple(SimpleInput {
            latency_ms: 200.0,
            jitter_ms: 0.0,
            loss_pct: 0.0,
        });
        assert_eq!(round(score.delay_penalty, 2), 9.0);
    }

    #[test]
    fn perfect_g711_call_scores_4_41() {
        let score = emodel(EModelInput {
            one_way_delay_ms: 20.0,
            jitter_ms: 0.0,
            loss_pct: 0.0,
            ptime_ms: DEFAULT_PTIME_MS,
            impairment: CodecFamily::G711.impairment(),
        });
        assert_eq!(score.r, 93.2);
        assert_eq!(round(score.mos, 2), 4.41);
        assert_eq!(score.ta_ms, 40.0);
    }

    #[test]
    fn mos_is_clamped_to_annex_b_range() {
        assert_eq!(r_to_mos(-5.0), 1.0);
        assert_eq!(r_to_mos(f64::NAN), 1.0);
        assert_eq!(r_to_mos(5.0), 1.0); // the cubic gives 0.99 here
        assert_eq!(r_to_mos(100.0), 4.5);
        assert_eq!(r_to_mos(130.0), 4.5);
    }

    #[test]
    fn satisfaction_band_lower_bounds_match_g109_table() {
        // docs/mos-and-rtcp.md §3.6: R 90/80/70/60/50 → MOS 4.34/4.02/3.60/3.10/2.58.
        for (r, mos) in [
            (90.0, 4.34),
            (80.0, 4.02),
            (70.0, 3.60),
            (60.0, 3.10),
            (50.0, 2.58),
        ] {
            assert_eq!(round(r_to_mos(r), 2), mos, "R {r}");
        }
    }

    #[test]
    fn quality_bands_follow_thresholds() {
        let cases = [
            (4.5, QualityBand::Excellent),
            (4.3, QualityBand::Excellent),
            (4.29, QualityBand::Good),
            (3.6, QualityBand::Good),
            (3.59, QualityBand::Fair),
            (2.6, QualityBand::Fair),
            (2.59, QualityBand::Poor),
            (1.0, QualityBand::Poor),
        ];
        for (mos, band) in cases {
            assert_eq!(QualityBand::from_mos(mos), band, "{mos}");
        }
    }

    #[test]
    fn inputs_are_sanitised() {
        let score = emodel(EModelInput {
            one_way_delay_ms: f64::NAN,
            jitter_ms: -3.0,
            loss_pct: 250.0,
            ptime_ms: f64::INFINITY,
            impairment: CodecFamily::G711.impairment(),
        });
        assert_eq!(score.input.loss_pct, 100.0);
        assert_eq!(score.ta_ms, 0.0);
        assert!((1.0..=4.5).contains(&score.mos));
    }

    fn score(
        family: CodecFamily,
        delay_ms: f64,
        jitter_ms: f64,
        loss_pct: f64,
        ptime: f64,
    ) -> EModelScore {
        emodel(EModelInput {
            one_way_delay_ms: delay_ms,
            jitter_ms,
            loss_pct,
            ptime_ms: ptime,
            impairment: family.impairment(),
        })
    }

    #[test]
    fn ptime_adds_packetisation_delay_to_ta() {
        // docs/mos-and-rtcp.md §5.5: 100 ms one way, 10 ms jitter (20 ms buffer).
        let at_20 = score(CodecFamily::G711, 100.0, 10.0, 0.0, 20.0);
        assert_eq!(at_20.ta_ms, 140.0);
        assert_eq!(round(at_20.idd, 2), 0.05);
        assert_eq!(round(at_20.mos, 2), 4.41);
        let at_60 = score(CodecFamily::G711, 100.0, 10.0, 0.0, 60.0);
        assert_eq!(at_60.ta_ms, 180.0);
        assert_eq!(round(at_60.idd, 2), 1.35);
        assert_eq!(round(at_60.r, 1), 91.9);
        assert_eq!(round(at_60.mos, 2), 4.38);
    }

    #[test]
    fn ptime_beyond_20_ms_makes_loss_bursty() {
        // docs/mos-and-rtcp.md §5.5: G.711 + PLC at 5 % loss, Idd = 0.
        let cases = [
            (20.0, 1.0, 15.78, 77.4, 3.92),
            (40.0, 2.0, 17.21, 76.0, 3.86),
            (60.0, 3.0, 17.75, 75.5, 3.84),
        ];
        for (ptime, burst_r, ie_eff, r, mos) in cases {
            let s = score(CodecFamily::G711, 0.0, 0.0, 5.0, ptime);
            assert_eq!(s.burst_r, burst_r, "ptime {ptime}");
            assert_eq!(round(s.ie_eff, 2), ie_eff, "ptime {ptime}");
            assert_eq!(round(s.r, 1), r, "ptime {ptime}");
            assert_eq!(round(s.mos, 2), mos, "ptime {ptime}");
        }
        // Shorter packets never make loss better than random.
        assert_eq!(burst_ratio(10.0), 1.0);
        assert_eq!(burst_ratio(f64::NAN), 1.0);
    }

    #[test]
    fn wideband_codecs_score_on_the_g107_1_scale() {
        // docs/mos-and-rtcp.md §5.6: R_WB = 129 − Ie,eff,WB, MOS of R_WB / 1.29.
        let cases = [
            (CodecFamily::G722, 0.0, 116.0, 4.34),
            (CodecFamily::G722, 1.0, 112.4, 4.26),
            (CodecFamily::G722, 3.0, 105.8, 4.10),
            (CodecFamily::AmrWb, 0.0, 118.0, 4.37),
            (CodecFamily::AmrWb, 3.0, 95.9, 3.79),
            (CodecFamily::Opus, 1.0, 101.1, 3.96),
        ];
        for (family, loss, r, mos) in cases {
            let s = score(family, 0.0, 0.0, loss, 20.0);
            assert_eq!(s.scale, Scale::Wideband, "{family:?}");
            assert_eq!(s.ro_minus_is, 129.0);
            assert_eq!(round(s.r, 1), r, "{family:?} {loss}");
            assert_eq!(round(s.mos, 2), mos, "{family:?} {loss}");
        }
        // The top of the wideband scale is MOS 4.5; narrowband stays on G.107.
        assert_eq!(mos_on(Scale::Wideband, 129.0), 4.5);
        let g711 = score(CodecFamily::G711, 0.0, 0.0, 0.0, 20.0);
        assert_eq!((g711.scale, g711.r), (Scale::Narrowband, 93.2));
        assert_eq!(
            score(CodecFamily::OpusNarrowband, 0.0, 0.0, 0.0, 20.0).scale,
            Scale::Narrowband
        );
    }
}
