//! `hepscope qos CALL-ID...`: per RTP stream, from RTCP: direction, codec, packets, loss, jitter
//! average and maximum, RTT and the E-model MOS with its band (Excellent ≥ 4.3, Good ≥ 3.6, Fair ≥
//! 2.6, Poor). Loading and maths are the Quality tab's (`app::domain::qos`); `-o json` is its JSON
//! download.

use app::domain::qos::load::load_qos;
use app::domain::qos::settings::{CLOCK_KEY, LATENCY_KEY};
use app::domain::qos::view::{direction, fixed, is_rr_only};
use app::domain::qos::{CallQos, QosSettings, QualityBand, StreamQos};
use clap::Args;

use super::backend::Conn;
use super::output::{self, Printer};
use super::show::WindowArgs;
use super::{CliError, Format};

/// `hepscope qos` flags.
#[derive(Args, Debug, Clone)]
pub struct QosArgs {
    /// One or more Call-IDs.
    #[arg(required = true, value_name = "CALL-ID")]
    pub call_ids: Vec<String>,
    /// RTP clock rate in Hz converting RTCP jitter to ms [default: the SDP's, else 8000].
    #[arg(long, value_name = "HZ")]
    pub clock: Option<String>,
    /// Assumed one-way delay in ms when no RTT is measured.
    #[arg(long, default_value = "20", value_name = "MS")]
    pub latency: String,
    /// json (the Quality tab's download) or jsonl (one stream per line); default: a table.
    #[arg(short = 'o', long = "output", value_enum)]
    pub output: Option<Format>,
    #[command(flatten)]
    pub window: WindowArgs,
}

/// `hepscope qos`.
///
/// # Errors
/// See [`CliError`]; a call without RTCP is exit 1.
pub async fn run(conn: &Conn, args: &QosArgs, printer: &Printer) -> Result<(), CliError> {
    let settings = QosSettings::from_lookup(|key| match key {
        k if k == CLOCK_KEY => args.clock.as_deref(),
        k if k == LATENCY_KEY => Some(args.latency.as_str()),
        _ => None,
    })
    .map_err(|e| {
        CliError::Usage(
            e.to_string()
                .replace(CLOCK_KEY, "--clock")
                .replace(LATENCY_KEY, "--latency"),
        )
    })?;
    let window = args.window.window(printer)?;
    let inputs = load_qos(conn, &args.call_ids, window)
        .await
        .map_err(CliError::Backend)?;
    for notice in &inputs.notices {
        output::notice(notice);
    }
    let qos = CallQos::from_reports(&inputs.reports, &inputs.codecs, &settings);
    if !inputs.rejected.is_empty() {
        output::notice(&format!(
            "{} RTCP row(s) could not be read and were left out",
            inputs.rejected.len()
        ));
    }
    match args.output {
        Some(Format::Json) => {
            let mut text =
                serde_json::to_string_pretty(&qos).map_err(|e| CliError::Local(e.to_string()))?;
            text.push('\n');
            output::print(&text);
        }
        Some(Format::Jsonl) => {
            let lines: Vec<serde_json::Value> = qos
                .streams
                .iter()
                .filter_map(|s| serde_json::to_value(s).ok())
                .collect();
            output::print(&output::json_values(&lines, Format::Jsonl));
        }
        None if qos.is_empty() => {}
        None => {
            output::print(&format!(
                "codec {} at {} Hz, assumed latency {} ms\n",
                qos.codec.name, qos.codec.clock_rate, qos.settings.latency_ms
            ));
            output::print(&streams_table(&qos.streams, printer));
        }
    }
    if qos.is_empty() {
        return Err(CliError::NoResults(format!(
            "no RTCP for {} in the searched window",
            args.call_ids.join(", ")
        )));
    }
    Ok(())
}

/// The per-stream table.
pub fn streams_table(streams: &[StreamQos], printer: &Printer) -> String {
    let cells: Vec<Vec<String>> = streams
        .iter()
        .map(|s| {
            let packets = match (s.packets_sent, s.packets_expected) {
                (Some(sent), _) => sent.to_string(),
                (None, Some(expected)) => format!("~{expected}"),
                (None, None) => "-".into(),
            };
            let band = s.mos_emodel.map(|m| QualityBand::from_mos(m.avg));
            vec![
                direction(s).replace('→', "->"),
                s.codec.clone(),
                if is_rr_only(s) {
                    format!("{packets} (RR only)")
                } else {
                    packets
                },
                s.packets_lost.to_string(),
                fixed(Some(s.loss_pct), 2),
                fixed(s.jitter_ms.map(|j| j.avg), 2),
                fixed(s.jitter_ms.map(|j| j.worst), 2),
                fixed(s.rtt_ms.map(|r| r.avg), 1),
                fixed(s.mos_emodel.map(|m| m.avg), 2),
                band.map(|b| b.label().to_owned()).unwrap_or_default(),
            ]
        })
        .collect();
    printer.table(
        &[
            "DIRECTION",
            "CODEC",
            "PACKETS",
            "LOST",
            "LOSS%",
            "JITTER-AVG",
            "JITTER-MAX",
            "RTT",
            "MOS",
            "QUALITY",
        ],
        &cells,
        &|col, cell| match (col, cell) {
            (9, "Excellent" | "Good") => Some("32"),
            (9, "Fair") => Some("33"),
            (9, "Poor") => Some("31"),
            _ => None,
        },
    )
}
