//! The demo traffic generator: realistic SIP, RTCP and log traffic from [`app::domain::fixture`],
//! wrapped in HEP3 and sent continuously over UDP and/or TCP to a HEP receiver (hepscope's own, or
//! any Homer). Used by `hepscope demo` (pointed at the local receiver) and `hepscope send-hep`.
//!
//! - `scenario.rs`: which calls, in what order (a catalogue covering every case, then random picks).
//! - `schedule.rs`: the timetable (rate, keepalives) and the queue of packets by send time.
//! - `encapsulate.rs`: fixture packet -> [`crate::hep::HepPacket`].
//! - `lanes.rs`: the UDP socket and the persistent, reconnecting TCP connection.
//! - `generator.rs`: the loop tying them to the wall clock ([`run`]).
//! - `long_call.rs`: one very long call sent at once (`send-hep --long-call-messages N`).
//! - `aliases.rs`: the host aliases `hepscope demo` serves when the config names none.
//! - `send_hep.rs`: the `send-hep` command line.
//!
//! Timestamps are "now"-based: a scenario starts when it is planned, and each packet carries the
//! time at which it is sent. A backfill plans the last N minutes at start-up, so those packets go out
//! at once with past timestamps.

mod aliases;
mod encapsulate;
mod generator;
mod lanes;
mod long_call;
mod scenario;
mod schedule;
mod send_hep;

use std::net::SocketAddr;
use std::time::Duration;

use thiserror::Error;

pub use aliases::demo_aliases;
pub use encapsulate::to_hep;
pub use generator::run;
pub use long_call::{send_long_call, LongCallSent};
pub use scenario::{compress, Scenario, ScenarioKind, ScenarioSource, CATALOGUE};
pub use schedule::Schedule;
pub use send_hep::{send_hep, SendHepArgs, Sent};

/// Which HEP transport(s) the generator sends over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum HepTransport {
    /// One datagram per packet.
    #[default]
    Udp,
    /// One persistent connection, packets back to back, reconnecting with backoff.
    Tcp,
    /// Calls alternate between UDP and TCP; OPTIONS keepalives go over UDP.
    Both,
}

/// The socket a packet leaves by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lane {
    /// The UDP socket.
    Udp,
    /// The TCP connection.
    Tcp,
}

impl Lane {
    /// The metrics label.
    pub fn as_str(self) -> &'static str {
        match self {
            Lane::Udp => "udp",
            Lane::Tcp => "tcp",
        }
    }
}

/// What [`DemoConfig::rate`] counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RateUnit {
    /// New call scenarios per second (each brings its whole dialog, RTCP and logs).
    #[default]
    CallsPerSecond,
    /// HEP packets per second, on average over a few minutes.
    PacketsPerSecond,
}

/// How the generator runs.
#[derive(Clone, Debug, PartialEq)]
pub struct DemoConfig {
    /// The HEP receiver.
    pub target: SocketAddr,
    /// UDP, TCP, or calls alternating between both.
    pub transport: HepTransport,
    /// Positive and finite; see [`DemoConfig::rate_unit`]. Calls last up to about five minutes and
    /// their packets are generated when they start, so memory grows with rate × call length (about
    /// 5 MB for each call per second).
    pub rate: f64,
    /// Calls per second or packets per second.
    pub rate_unit: RateUnit,
    /// Seeds the scenario choice and every generated identifier.
    pub seed: u64,
    /// Traffic of this much past time is sent in a burst at start-up, with past timestamps.
    pub backfill: Duration,
    /// Stop after this many packets (sent or failed).
    pub count: Option<u64>,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// About how many SIP messages a long call has.
    pub long_call_messages: usize,
    /// A long call is compressed in time to last at most this long.
    pub long_call_span: Duration,
    /// Cap on the send rate while catching up (the backfill), packets per second (at least 1000).
    pub burst_pps: u32,
    /// HEP auth key (chunk 0x0e) for receivers that check one.
    pub auth_key: Option<String>,
}

impl DemoConfig {
    /// One call per second over UDP to `target`, no backfill, running until shut down; long calls of
    /// 2,000 messages squeezed into a minute.
    pub fn new(target: SocketAddr) -> Self {
        DemoConfig {
            target,
            transport: HepTransport::Udp,
            rate: 1.0,
            rate_unit: RateUnit::CallsPerSecond,
            seed: 1,
            backfill: Duration::ZERO,
            count: None,
            duration: None,
            long_call_messages: 2_000,
            long_call_span: Duration::from_secs(60),
            burst_pps: 20_000,
            auth_key: None,
        }
    }

    /// What `hepscope demo` runs against its own receiver at `target`: both transports, a call every
    /// two seconds, and the last 15 minutes backfilled so the UI has data at once. Pass it to [`run`].
    pub fn for_local_receiver(target: SocketAddr, seed: u64) -> Self {
        DemoConfig {
            transport: HepTransport::Both,
            rate: 0.5,
            seed,
            backfill: Duration::from_secs(15 * 60),
            ..DemoConfig::new(target)
        }
    }

    fn validate(&self) -> Result<(), DemoError> {
        if !(self.rate.is_finite() && self.rate > 0.0) {
            return Err(DemoError::InvalidRate { rate: self.rate });
        }
        Ok(())
    }
}

/// What a run sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DemoStats {
    /// HEP packets handed to a socket successfully.
    pub sent: u64,
    /// Packets that could not be encoded or sent (TCP down, queue full, socket error).
    pub errors: u64,
}

/// Why the generator could not start.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DemoError {
    /// The rate is zero, negative or not a number.
    #[error("rate {rate} is not a positive number (try --rate 1)")]
    InvalidRate {
        /// The rejected rate.
        rate: f64,
    },
    /// The local UDP socket could not be bound.
    #[error("binding a UDP socket on {addr} to send HEP: {source}")]
    BindUdp {
        /// The local address tried.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
}
