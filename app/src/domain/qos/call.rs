//! The QoS of one call: every RTCP stream scored with both MOS formulas, plus the reports that
//! could not be read. This is what the QoS panel renders and what the JSON download contains.
//! Pure: no I/O.

use serde::{Deserialize, Serialize};

use super::codec::{CodecChoice, CodecInfo};
use super::rtcp::RtcpReport;
use super::settings::QosSettings;
use super::stream::{StreamQos, StreamTable};

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
                    src: format!("{}:{}", report.src_ip, report.src_port),
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
        }
    }

    /// True when no stream was found: the UI then says "no RTCP".
    pub fn is_empty(&self) -> bool {
        self.streams.is_empty()
    }
}
