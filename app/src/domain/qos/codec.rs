//! Codec and RTP clock selection for a call's media, and the G.113 impairment values the E-model
//! needs for each codec (docs/mos-and-rtcp.md §2.1, §3.5). Pure: no I/O.

use serde::{Deserialize, Serialize};

use super::emodel::DEFAULT_PTIME_MS;

/// RTP clock assumed when neither the user, the SDP nor the static table gives one.
pub const DEFAULT_CLOCK_RATE: u32 = 8000;

/// One payload format offered in the call's SDP (`m=` payload type plus its `a=rtpmap`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodecInfo {
    /// RTP payload type.
    pub payload_type: u8,
    /// Encoding name from `a=rtpmap` (`PCMU`, `opus`, ...); `None` for a static type without one.
    #[serde(default)]
    pub name: Option<String>,
    /// RTP clock rate from `a=rtpmap`, in Hz.
    #[serde(default)]
    pub clock_rate: Option<u32>,
    /// `a=ptime` of the media section the format was offered in, in ms.
    #[serde(default)]
    pub ptime_ms: Option<u32>,
    /// The `maxplaybackrate` fmtp parameter (RFC 7587), in Hz: below 16000 an Opus stream is
    /// narrowband, otherwise it is scored as wideband.
    #[serde(default)]
    pub max_playback_rate: Option<u32>,
}

/// The voice codec family, which decides the E-model impairment values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodecFamily {
    /// G.711 µ-law or A-law (PCMU, PCMA).
    G711,
    /// G.729 / G.729A.
    G729,
    /// G.723.1.
    G723,
    /// GSM full rate.
    GsmFr,
    /// GSM enhanced full rate.
    GsmEfr,
    /// G.722 (wideband).
    G722,
    /// AMR-WB (G.722.2, wideband).
    AmrWb,
    /// Opus in wideband mode (or wider): the default for Opus.
    Opus,
    /// Opus limited to narrowband by `maxplaybackrate` < 16000.
    OpusNarrowband,
    /// Anything else, or no codec known.
    Unknown,
}

impl CodecFamily {
    /// Classifies an `a=rtpmap` encoding name, ignoring case.
    pub fn from_name(name: &str) -> Self {
        match name.trim().to_ascii_uppercase().as_str() {
            "PCMU" | "PCMA" | "G711" | "G711U" | "G711A" => Self::G711,
            "G729" | "G729A" | "G729B" | "G729AB" => Self::G729,
            "G723" | "G7231" | "G723.1" => Self::G723,
            "GSM" | "GSM-FR" => Self::GsmFr,
            "GSM-EFR" => Self::GsmEfr,
            "G722" => Self::G722,
            "AMR-WB" | "AMRWB" | "G7222" | "G722.2" => Self::AmrWb,
            "OPUS" => Self::Opus,
            _ => Self::Unknown,
        }
    }

    /// The E-model scale this codec is scored on: wideband codecs on G.107.1 (R up to 129),
    /// everything else on G.107.
    pub fn scale(self) -> Scale {
        match self {
            Self::G722 | Self::AmrWb | Self::Opus => Scale::Wideband,
            _ => Scale::Narrowband,
        }
    }

    /// The E-model equipment-impairment values used for this codec: G.113 Appendix I on the
    /// narrowband scale, G.113 Appendix IV (Ie,WB) on the wideband scale, research values for
    /// Opus (docs/mos-and-rtcp.md §3.5, §3.7).
    pub fn impairment(self) -> Impairment {
        let (ie, bpl) = match self {
            Self::G711 | Self::OpusNarrowband | Self::Unknown => (0.0, 25.1),
            Self::G729 => (11.0, 19.0),
            Self::G723 => (15.0, 16.1),
            Self::GsmEfr => (5.0, 10.0),
            Self::GsmFr => (20.0, 10.0),
            Self::G722 => (13.0, 31.1),
            Self::AmrWb => (11.0, 13.0),
            Self::Opus => (23.3, 22.2),
        };
        Impairment {
            ie,
            bpl,
            family: self,
        }
    }

    /// Where the impairment values come from, for the tooltip.
    pub fn impairment_basis(self) -> &'static str {
        match self {
            Self::G711 => "G.711 with PLC, G.113 App. I",
            Self::G729 => "G.729A + VAD, G.113 App. I",
            Self::G723 => "G.723.1 6.3 kbit/s + VAD, G.113 App. I",
            Self::GsmEfr => "GSM-EFR, G.113 App. I",
            Self::GsmFr => "GSM-FR (Bpl as SIP3 uses it)",
            Self::G722 => "G.722 64 kbit/s with PLC, wideband scale (G.113 App. IV, provisional)",
            Self::AmrWb => "AMR-WB 12.65 kbit/s, wideband scale (G.113 App. IV, provisional)",
            Self::Opus => "Opus WB, research values on the wideband scale (no ITU value)",
            Self::OpusNarrowband => {
                "Opus NB approximated as G.711 with PLC on the narrowband scale (no ITU value)"
            }
            Self::Unknown => "unknown codec, assumed G.711 with PLC",
        }
    }

    /// Formats that carry no voice and never describe the media stream being scored.
    fn is_voice(name: &str) -> bool {
        !matches!(
            name.trim().to_ascii_lowercase().as_str(),
            "telephone-event" | "cn" | "red" | "ulpfec" | "flexfec" | "rtx"
        )
    }
}

/// Which E-model a score is on: G.107 (narrowband, R up to 100 with the default Ro − Is of
/// 93.2) or G.107.1 (wideband, R up to 129). The two R scales are not comparable; the MOS of
/// both is on the same 1..4.5 scale through [`Scale::mos`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scale {
    /// ITU-T G.107.
    #[default]
    Narrowband,
    /// ITU-T G.107.1.
    Wideband,
}

impl Scale {
    /// Ro − Is with default parameters: 93.2 (G.107 §7.7) or 129 (G.107.1, Is,WB = 0).
    pub fn ro_minus_is(self) -> f64 {
        match self {
            Self::Narrowband => 93.2,
            Self::Wideband => 129.0,
        }
    }

    /// The constant Ie,eff grows towards with loss: 95 in G.107 eq. 7-29, 129 in G.107.1.
    pub fn loss_ceiling(self) -> f64 {
        match self {
            Self::Narrowband => 95.0,
            Self::Wideband => 129.0,
        }
    }

    /// The label shown beside the MOS.
    pub fn label(self) -> &'static str {
        match self {
            Self::Narrowband => "narrowband (G.107)",
            Self::Wideband => "wideband (G.107.1)",
        }
    }
}

/// Codec constants of the E-model (G.107 eq. 7-29).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Impairment {
    /// Equipment impairment factor Ie at zero loss.
    pub ie: f64,
    /// Packet-loss robustness factor Bpl (random loss).
    pub bpl: f64,
    /// The codec family the values belong to ([`CodecFamily::impairment_basis`] names the
    /// source).
    pub family: CodecFamily,
}

/// Where the clock rate used for jitter conversion came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockSource {
    /// The user's setting.
    Override,
    /// The SDP `a=rtpmap` line.
    Sdp,
    /// The static RTP payload table of RFC 3551.
    StaticTable,
    /// Nothing known: [`DEFAULT_CLOCK_RATE`].
    Default,
}

/// The codec and clock a call's streams are scored with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CodecChoice {
    /// Payload type of the chosen format, when the SDP gave one.
    pub payload_type: Option<u8>,
    /// Encoding name as shown to the user (`"unknown"` when none).
    pub name: String,
    /// Codec family deciding the impairment values.
    pub family: CodecFamily,
    /// RTP clock rate in Hz used to convert jitter.
    pub clock_rate: u32,
    /// Where `clock_rate` came from.
    pub clock_source: ClockSource,
    /// E-model constants for `family`.
    pub impairment: Impairment,
    /// The E-model scale `family` is scored on.
    pub scale: Scale,
    /// Packetisation time in ms: the SDP's `a=ptime`, else [`DEFAULT_PTIME_MS`].
    pub ptime_ms: f64,
    /// Where `ptime_ms` came from.
    pub ptime_source: PtimeSource,
}

/// Where the packetisation time came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PtimeSource {
    /// `a=ptime` of the chosen format's media section.
    Sdp,
    /// No `a=ptime`: the RFC 3551 default of 20 ms.
    Default,
}

impl CodecChoice {
    /// Chooses the codec from the SDP formats: the first voice format (the answerer's
    /// preference), with name and clock from `a=rtpmap` or else the static RTP table. A
    /// `clock_override` replaces the clock whatever the SDP says.
    pub fn select(codecs: &[CodecInfo], clock_override: Option<u32>) -> Self {
        let chosen = codecs.iter().find(|codec| {
            let name = codec
                .name
                .as_deref()
                .or_else(|| static_payload(codec.payload_type).map(|(name, _)| name));
            name.is_none_or(CodecFamily::is_voice)
        });
        let payload_type = chosen.map(|codec| codec.payload_type);
        let table = payload_type.and_then(static_payload);
        let name = chosen
            .and_then(|codec| codec.name.clone())
            .or_else(|| table.map(|(name, _)| name.to_owned()))
            .unwrap_or_else(|| "unknown".to_owned());
        let (clock_rate, clock_source) = match (
            clock_override.filter(|&c| c > 0),
            chosen.and_then(|codec| codec.clock_rate).filter(|&c| c > 0),
            table,
        ) {
            (Some(clock), _, _) => (clock, ClockSource::Override),
            (None, Some(clock), _) => (clock, ClockSource::Sdp),
            (None, None, Some((_, clock))) => (clock, ClockSource::StaticTable),
            (None, None, None) => (DEFAULT_CLOCK_RATE, ClockSource::Default),
        };
        let family = match CodecFamily::from_name(&name) {
            CodecFamily::Opus
                if chosen
                    .and_then(|codec| codec.max_playback_rate)
                    .is_some_and(|rate| rate < 16_000) =>
            {
                CodecFamily::OpusNarrowband
            }
            family => family,
        };
        let (ptime_ms, ptime_source) = match chosen.and_then(|c| c.ptime_ms).filter(|&p| p > 0) {
            Some(ptime) => (f64::from(ptime), PtimeSource::Sdp),
            None => (DEFAULT_PTIME_MS, PtimeSource::Default),
        };
        Self {
            payload_type,
            name,
            family,
            clock_rate,
            clock_source,
            impairment: family.impairment(),
            scale: family.scale(),
            ptime_ms,
            ptime_source,
        }
    }
}

/// The static audio payload types of RFC 3551 §6 (name, clock rate in Hz). G.722 is 8000 Hz
/// although it samples at 16 kHz, a historical quirk of RFC 3551.
pub fn static_payload(payload_type: u8) -> Option<(&'static str, u32)> {
    Some(match payload_type {
        0 => ("PCMU", 8000),
        3 => ("GSM", 8000),
        4 => ("G723", 8000),
        5 => ("DVI4", 8000),
        6 => ("DVI4", 16000),
        7 => ("LPC", 8000),
        8 => ("PCMA", 8000),
        9 => ("G722", 8000),
        10 | 11 => ("L16", 44100),
        12 => ("QCELP", 8000),
        13 => ("CN", 8000),
        14 => ("MPA", 90000),
        15 => ("G728", 8000),
        16 => ("DVI4", 11025),
        17 => ("DVI4", 22050),
        18 => ("G729", 8000),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sdp(payload_type: u8, name: Option<&str>, clock_rate: Option<u32>) -> CodecInfo {
        CodecInfo {
            payload_type,
            name: name.map(str::to_owned),
            clock_rate,
            ptime_ms: None,
            max_playback_rate: None,
        }
    }

    #[test]
    fn select_takes_clock_from_rtpmap() {
        let choice = CodecChoice::select(&[sdp(111, Some("opus"), Some(48000))], None);
        assert_eq!(choice.clock_rate, 48000);
        assert_eq!(choice.clock_source, ClockSource::Sdp);
        assert_eq!(choice.family, CodecFamily::Opus);
    }

    #[test]
    fn select_uses_static_table_without_rtpmap() {
        let choice = CodecChoice::select(&[sdp(9, None, None)], None);
        assert_eq!(choice.name, "G722");
        assert_eq!(choice.clock_rate, 8000);
        assert_eq!(choice.clock_source, ClockSource::StaticTable);
        let choice = CodecChoice::select(&[sdp(18, None, None)], None);
        assert_eq!(choice.family, CodecFamily::G729);
    }

    #[test]
    fn select_skips_telephone_event_and_comfort_noise() {
        let codecs = [
            sdp(101, Some("telephone-event"), Some(8000)),
            sdp(13, None, None),
            sdp(8, Some("PCMA"), Some(8000)),
        ];
        let choice = CodecChoice::select(&codecs, None);
        assert_eq!(choice.payload_type, Some(8));
        assert_eq!(choice.family, CodecFamily::G711);
    }

    #[test]
    fn select_override_beats_sdp_clock() {
        let choice = CodecChoice::select(&[sdp(111, Some("opus"), Some(48000))], Some(16000));
        assert_eq!(choice.clock_rate, 16000);
        assert_eq!(choice.clock_source, ClockSource::Override);
    }

    #[test]
    fn select_defaults_to_8000_without_sdp() {
        let choice = CodecChoice::select(&[], None);
        assert_eq!(choice.clock_rate, DEFAULT_CLOCK_RATE);
        assert_eq!(choice.clock_source, ClockSource::Default);
        assert_eq!(choice.family, CodecFamily::Unknown);
        assert_eq!(choice.name, "unknown");
    }

    #[test]
    fn g711_defaults_to_plc_bpl_not_sip3_value() {
        // SIP3 uses Bpl 4.3 (no PLC) for G.711, which is pessimistic (docs/mos-and-rtcp.md §7.5).
        let g711 = CodecFamily::from_name("pcmu").impairment();
        assert_eq!((g711.ie, g711.bpl), (0.0, 25.1));
        let g729 = CodecFamily::from_name("G729a").impairment();
        assert_eq!((g729.ie, g729.bpl), (11.0, 19.0));
    }

    #[test]
    fn select_takes_ptime_from_the_sdp_else_20_ms() {
        let mut pcma = sdp(8, Some("PCMA"), Some(8000));
        assert_eq!(CodecChoice::select(&[pcma.clone()], None).ptime_ms, 20.0);
        assert_eq!(
            CodecChoice::select(&[pcma.clone()], None).ptime_source,
            PtimeSource::Default
        );
        pcma.ptime_ms = Some(30);
        let choice = CodecChoice::select(&[pcma], None);
        assert_eq!(
            (choice.ptime_ms, choice.ptime_source),
            (30.0, PtimeSource::Sdp)
        );
    }

    #[test]
    fn wideband_codecs_are_labelled_wideband() {
        for (name, family) in [
            ("G722", CodecFamily::G722),
            ("AMR-WB", CodecFamily::AmrWb),
            ("opus", CodecFamily::Opus),
        ] {
            let choice = CodecChoice::select(&[sdp(96, Some(name), Some(16000))], None);
            assert_eq!(choice.family, family);
            assert_eq!(choice.scale, Scale::Wideband);
            assert_eq!(choice.scale.label(), "wideband (G.107.1)");
        }
        // Opus capped below 16 kHz playback is narrowband.
        let mut nb = sdp(111, Some("opus"), Some(48000));
        nb.max_playback_rate = Some(8000);
        let choice = CodecChoice::select(&[nb], None);
        assert_eq!(choice.family, CodecFamily::OpusNarrowband);
        assert_eq!(choice.scale, Scale::Narrowband);
        assert_eq!(
            CodecChoice::select(&[sdp(0, None, None)], None).scale,
            Scale::Narrowband
        );
    }
}
