//! The HEP receiver: UDP and TCP listeners that decode HEP packets and hand them to [`PacketSink`]s (the live
//! broker now, the store later; several at once through [`Fanout`]).
//!
//! - [`HepReceiver::start`] binds UDP and TCP on one address and runs until [`HepReceiver::stop`].
//! - [`Intake`] is the per-packet path shared by both transports: decode, capture-password check, receive
//!   time for 0/0 timestamps, counters and rate-limited warnings. A bad packet never stops a loop.
//!
//! Metrics: `hepscope_hep_received_total{transport}`, `hepscope_hep_received_bytes_total{transport}`,
//! `hepscope_hep_malformed_total{reason}`, `hepscope_hep_keepalive_total{transport}`,
//! `hepscope_hep_auth_failed_total`, `hepscope_hep_tcp_connections`, `hepscope_hep_tcp_rejected_total`,
//! `hepscope_hep_tcp_idle_closed_total`.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod config;
mod intake;
mod receiver;
mod tcp;
mod udp;

use std::sync::Arc;

pub use config::{HepConfig, RawHep, DEFAULT_HEP_LISTEN};
pub use intake::{Intake, IntakeOutcome, Transport};
pub use receiver::{HepReceiver, IngestError};
pub use tcp::{TcpLimits, TcpStats, DEFAULT_MAX_TCP_CONNECTIONS, DEFAULT_TCP_IDLE_TIMEOUT};

use crate::hep::HepPacket;

/// Where decoded packets go. Implementations must return quickly and never block the receive loop.
pub trait PacketSink: Send + Sync {
    /// Takes one packet. Its `ts_us` is always set (the receive time stands in for a 0/0 timestamp);
    /// `received_at_us` is when hepscope read it, microseconds since the Unix epoch.
    fn accept(&self, packet: &Arc<HepPacket>, received_at_us: i64);
}

/// Several sinks fed in order, each with the same packet.
#[derive(Clone, Default)]
pub struct Fanout {
    sinks: Vec<Arc<dyn PacketSink>>,
}

impl Fanout {
    /// An empty fan-out (packets are counted and then dropped).
    pub fn new() -> Self {
        Fanout::default()
    }

    /// Adds a sink.
    #[must_use]
    pub fn with(mut self, sink: Arc<dyn PacketSink>) -> Self {
        self.sinks.push(sink);
        self
    }

    /// How many sinks are attached.
    pub fn len(&self) -> usize {
        self.sinks.len()
    }

    /// True without sinks.
    pub fn is_empty(&self) -> bool {
        self.sinks.is_empty()
    }
}

impl PacketSink for Fanout {
    fn accept(&self, packet: &Arc<HepPacket>, received_at_us: i64) {
        for sink in &self.sinks {
            sink.accept(packet, received_at_us);
        }
    }
}
