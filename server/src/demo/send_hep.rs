//! `hepscope send-hep`: the demo traffic sent to any HEP server (hepscope, Homer, heplify-server).
//! Parses the flags into a [`DemoConfig`] and runs the generator until Ctrl-C or a limit, or sends
//! one long call (`--long-call-messages`).

use std::future::Future;
use std::time::Duration;

use anyhow::Context;

use super::{run, send_long_call, DemoConfig, DemoStats, HepTransport, LongCallSent, RateUnit};
use crate::duration::parse_duration;

/// Flags of `hepscope send-hep`.
#[derive(clap::Args, Debug, Clone)]
pub struct SendHepArgs {
    /// The HEP receiver, HOST:PORT (Homer's default port is 9060).
    #[arg(long, value_name = "HOST:PORT")]
    pub to: String,
    /// HEP over UDP, TCP, or calls alternating between both.
    #[arg(long, value_enum, default_value_t = HepTransport::Udp)]
    pub transport: HepTransport,
    /// New calls per second.
    #[arg(long, default_value_t = 1.0, value_name = "N")]
    pub rate: f64,
    /// Pace by HEP packets per second instead of calls (overrides --rate).
    #[arg(long, value_name = "N")]
    pub packet_rate: Option<f64>,
    /// Stop after this many HEP packets.
    #[arg(long, value_name = "N", conflicts_with = "duration")]
    pub count: Option<u64>,
    /// Stop after this long (e.g. 30s, 5m).
    #[arg(long, value_parser = duration_arg)]
    pub duration: Option<Duration>,
    /// Seed for the generated calls; the same seed sends the same calls.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Send this much past traffic at once at start-up (e.g. 10m), timestamps in the past.
    #[arg(long, value_parser = duration_arg, default_value = "0s")]
    pub backfill: Duration,
    /// HEP authentication key (chunk 0x0e), if the receiver checks one.
    #[arg(long)]
    pub auth_key: Option<String>,
    /// Send one answered call of about N SIP messages (timestamps over the last minute), then stop.
    #[arg(long, value_name = "N", conflicts_with_all = ["rate", "packet_rate", "count", "duration", "backfill"])]
    pub long_call_messages: Option<usize>,
}

fn duration_arg(text: &str) -> Result<Duration, String> {
    parse_duration(text).ok_or_else(|| format!("{text:?} is not a duration (try 30s, 5m or 1h)"))
}

impl SendHepArgs {
    /// The generator configuration for a resolved target address.
    pub fn to_config(&self, target: std::net::SocketAddr) -> DemoConfig {
        let (rate, rate_unit) = match self.packet_rate {
            Some(pps) => (pps, RateUnit::PacketsPerSecond),
            None => (self.rate, RateUnit::CallsPerSecond),
        };
        DemoConfig {
            transport: self.transport,
            rate,
            rate_unit,
            seed: self.seed,
            backfill: self.backfill,
            count: self.count,
            duration: self.duration,
            auth_key: self.auth_key.clone(),
            ..DemoConfig::new(target)
        }
    }
}

/// What `send-hep` sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sent {
    /// The generated traffic, until a limit or shutdown.
    Traffic(DemoStats),
    /// One long call (`--long-call-messages`).
    LongCall(LongCallSent),
}

/// Resolves `--to`, sends until `shutdown` or a limit (or the one long call), and says what was
/// sent.
///
/// # Errors
/// The host does not resolve, or the generator cannot start (bad rate, no UDP socket).
pub async fn send_hep(
    args: &SendHepArgs,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<Sent> {
    let target = tokio::net::lookup_host(args.to.as_str())
        .await
        .with_context(|| format!("resolving --to {:?} (expected HOST:PORT)", args.to))?
        .next()
        .with_context(|| format!("--to {:?} resolves to no address", args.to))?;
    if let Some(messages) = args.long_call_messages {
        let now_us = i64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_micros(),
        )
        .unwrap_or(i64::MAX);
        let sent = send_long_call(
            target,
            args.transport,
            messages,
            args.seed,
            args.auth_key.as_deref(),
            now_us,
        )
        .await
        .with_context(|| format!("sending a long call to {target}"))?;
        return Ok(Sent::LongCall(sent));
    }
    let stats = run(args.to_config(target), shutdown)
        .await
        .with_context(|| format!("sending HEP to {target}"))?;
    Ok(Sent::Traffic(stats))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: SendHepArgs,
    }

    fn parse(args: &[&str]) -> Result<SendHepArgs, clap::Error> {
        Cli::try_parse_from(std::iter::once("send-hep").chain(args.iter().copied())).map(|c| c.args)
    }

    #[test]
    fn send_hep_flags_build_a_packets_per_second_config() {
        let args = parse(&[
            "--to",
            "127.0.0.1:9060",
            "--transport",
            "both",
            "--packet-rate",
            "200",
            "--duration",
            "30s",
            "--backfill",
            "5m",
        ])
        .unwrap();
        let config = args.to_config("127.0.0.1:9060".parse().unwrap());
        assert_eq!(config.transport, HepTransport::Both);
        assert_eq!(
            (config.rate, config.rate_unit),
            (200.0, RateUnit::PacketsPerSecond)
        );
        assert_eq!(config.duration, Some(Duration::from_secs(30)));
        assert_eq!(config.backfill, Duration::from_secs(300));
    }

    #[test]
    fn send_hep_long_call_refuses_pacing_flags() {
        let args = parse(&["--to", "h:1", "--long-call-messages", "50000"]).unwrap();
        assert_eq!(args.long_call_messages, Some(50_000));
        assert!(parse(&["--to", "h:1", "--long-call-messages", "9", "--rate", "2"]).is_err());
    }

    #[test]
    fn send_hep_refuses_count_with_duration() {
        assert!(parse(&["--to", "h:1", "--count", "5", "--duration", "1s"]).is_err());
    }

    #[test]
    fn send_hep_explains_a_bad_duration() {
        let err = parse(&["--to", "h:1", "--duration", "soon"]).unwrap_err();
        assert!(err.to_string().contains("not a duration"), "{err}");
    }
}
