//! The HEP receiver: UDP and TCP listeners that decode HEP packets and hand them to [`PacketSink`]s (the live
//! broker now, the store later; several at once through [`Fanout`]).
//!
//! - [`HepReceiver::start`] binds UDP and TCP on one address and runs until [`HepReceiver::stop`].
//! - [`Intake`] is the per-packet path shared by both transports: decode, capture-password check, receive
//!   time for 0/0 timestamps, counters and rate-limited warnings. A bad packet never stops a loop.
//! - Backpressure: while a sink is [`PacketSink::congested`] (the store's writer queue is nearly full), TCP
//!   connections stop reading, so the kernel's buffers fill and HEP agents slow down instead of losing packets;
//!   UDP cannot push back, so its packets are dropped and counted by the store when its queue is full.
//!
//! Metrics: `hepscope_hep_received_total{transport}`, `hepscope_hep_received_bytes_total{transport}`,
//! `hepscope_hep_malformed_total{reason}`, `hepscope_hep_keepalive_total{transport}`,
//! `hepscope_hep_auth_failed_total`, `hepscope_hep_future_timestamp_total`, `hepscope_hep_tcp_connections`,
//! `hepscope_hep_tcp_rejected_total{reason}`, `hepscope_hep_tcp_idle_closed_total`,
//! `hepscope_hep_tcp_packet_timeout_total`, `hepscope_hep_tcp_backpressure_total` (pauses),
//! `hepscope_hep_tcp_backpressure_duration_seconds` (histogram of the pauses' lengths),
//! `hepscope_hep_tcp_backpressure_expired_total` (pauses cut short by [`MAX_BACKPRESSURE_PAUSE`]).

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
pub use tcp::{
    TcpLimits, TcpStats, DEFAULT_MAX_TCP_CONNECTIONS, DEFAULT_MAX_TCP_CONNECTIONS_PER_ADDRESS,
    DEFAULT_TCP_IDLE_TIMEOUT, DEFAULT_TCP_PACKET_TIMEOUT, MAX_BACKPRESSURE_PAUSE,
};

use crate::hep::HepPacket;

/// Where decoded packets go. Implementations must return quickly and never block the receive loop.
pub trait PacketSink: Send + Sync {
    /// Takes one packet. Its `ts_us` is always set (the receive time stands in for a 0/0 timestamp);
    /// `received_at_us` is when hepscope read it, microseconds since the Unix epoch.
    fn accept(&self, packet: &Arc<HepPacket>, received_at_us: i64);

    /// True while the sink would rather not get more packets (its queue is nearly full). TCP
    /// connections stop reading until it is false again (for at most [`MAX_BACKPRESSURE_PAUSE`]);
    /// UDP cannot push back and keeps delivering. Must not block.
    fn congested(&self) -> bool {
        false
    }
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
    fn congested(&self) -> bool {
        self.sinks.iter().any(|sink| sink.congested())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;

    struct Flag(AtomicBool);

    impl PacketSink for Flag {
        fn accept(&self, _packet: &Arc<HepPacket>, _received_at_us: i64) {}

        fn congested(&self) -> bool {
            self.0.load(Ordering::Relaxed)
        }
    }

    #[test]
    fn fanout_is_congested_while_any_sink_is() {
        let calm = Arc::new(Flag(AtomicBool::new(false)));
        let busy = Arc::new(Flag(AtomicBool::new(true)));
        assert!(!Fanout::new().congested());
        assert!(!Fanout::new().with(calm.clone()).congested());
        let both = Fanout::new().with(calm).with(busy.clone());
        assert!(both.congested());
        busy.0.store(false, Ordering::Relaxed);
        assert!(!both.congested());
    }
}
