//! The per-packet path shared by the UDP and TCP loops: read the chunks, check the capture password (in
//! constant time, before a compressed payload is inflated, so a sender without it costs no inflating), inflate
//! (at most [`crate::hep::MAX_INFLATED_PAYLOAD`]), fill a missing timestamp with the receive time and replace one
//! more than [`MAX_FUTURE_SKEW`] ahead of it, drop the auth key, count, and hand the packet to the sink.
//!
//! The auth key never goes further than this module: no sink (store, live stream) ever sees it.
//!
//! A malformed packet is counted by reason and logged at most once per reason every [`WARN_INTERVAL`];
//! keep-alives (HEP3 without a payload chunk) are counted quietly. Nothing here can stop a loop.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use metrics::Counter;
use subtle::ConstantTimeEq;

use super::PacketSink;
use crate::hep::{unpack, DecodeError, FramingError};

/// At most one warning per reason in this interval.
pub const WARN_INTERVAL: Duration = Duration::from_secs(10);
/// A capture time further than this ahead of the receive time is not believed: the receive time
/// replaces it, so a sender's wrong clock (or a hostile one) cannot create partitions far in the
/// future that retention would keep for years.
pub const MAX_FUTURE_SKEW: Duration = Duration::from_secs(3600);

/// The transport a packet arrived on (a metrics label).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// One datagram, one packet.
    Udp,
    /// A length-framed stream.
    Tcp,
}

impl Transport {
    /// The label value: `udp` or `tcp`.
    pub fn label(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
        }
    }

    fn index(self) -> usize {
        match self {
            Transport::Udp => 0,
            Transport::Tcp => 1,
        }
    }
}

/// What became of one packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntakeOutcome {
    /// Decoded and given to the sink.
    Accepted,
    /// A HEP3 packet without payload: a keep-alive, counted and dropped.
    KeepAlive,
    /// Rejected by the decoder, with the metrics reason.
    Malformed(&'static str),
    /// The auth key did not match the capture password.
    AuthFailed,
}

/// Counter handles registered once, so the hot path does no label lookups.
struct Counters {
    received: [Counter; 2],
    bytes: [Counter; 2],
    keepalive: [Counter; 2],
    auth_failed: Counter,
    future_timestamp: Counter,
}

impl Counters {
    fn new() -> Self {
        let by_transport = |name: &'static str| {
            [Transport::Udp, Transport::Tcp]
                .map(|t| metrics::counter!(name, "transport" => t.label()))
        };
        Counters {
            received: by_transport("hepscope_hep_received_total"),
            bytes: by_transport("hepscope_hep_received_bytes_total"),
            keepalive: by_transport("hepscope_hep_keepalive_total"),
            auth_failed: metrics::counter!("hepscope_hep_auth_failed_total"),
            future_timestamp: metrics::counter!("hepscope_hep_future_timestamp_total"),
        }
    }
}

/// Decodes and forwards packets for both transports; share it as `Arc<Intake>`.
pub struct Intake {
    sink: Arc<dyn PacketSink>,
    capture_password: Option<String>,
    counters: Counters,
    /// Last warning time per reason.
    warned: Mutex<HashMap<&'static str, Instant>>,
}

impl Intake {
    /// An intake feeding `sink`; with `capture_password`, packets must carry that auth key.
    pub fn new(sink: Arc<dyn PacketSink>, capture_password: Option<String>) -> Self {
        Intake {
            sink,
            capture_password,
            counters: Counters::new(),
            warned: Mutex::new(HashMap::new()),
        }
    }

    /// Handles one whole packet (a datagram, or one framed TCP packet) read at `received_at_us`.
    pub fn handle(
        &self,
        bytes: &[u8],
        transport: Transport,
        peer: SocketAddr,
        received_at_us: i64,
    ) -> IntakeOutcome {
        let t = transport.index();
        if let (Some(received), Some(len)) =
            (self.counters.received.get(t), self.counters.bytes.get(t))
        {
            received.increment(1);
            len.increment(bytes.len() as u64);
        }
        let unpacked = match unpack(bytes) {
            Ok(unpacked) => unpacked,
            Err(DecodeError::MissingPayload) => {
                if let Some(c) = self.counters.keepalive.get(t) {
                    c.increment(1);
                }
                return IntakeOutcome::KeepAlive;
            }
            Err(e) => return self.rejected(&e, transport, peer),
        };
        if let Some(expected) = &self.capture_password {
            if !password_matches(expected, unpacked.auth_key()) {
                self.counters.auth_failed.increment(1);
                self.warn_limited("auth_failed", || {
                    tracing::warn!(%peer, transport = transport.label(), "HEP packet with a wrong or missing capture password dropped");
                });
                return IntakeOutcome::AuthFailed;
            }
        }
        let mut packet = match unpacked.finish() {
            Ok(packet) => packet,
            Err(e) => return self.rejected(&e, transport, peer),
        };
        packet.auth_key = None;
        let max_ts = received_at_us.saturating_add(MAX_FUTURE_SKEW_US);
        match packet.ts_us {
            None => packet.ts_us = Some(received_at_us),
            Some(ts) if ts > max_ts => {
                packet.ts_us = Some(received_at_us);
                self.counters.future_timestamp.increment(1);
                self.warn_limited("future_timestamp", || {
                    tracing::warn!(%peer, transport = transport.label(), capture_time_us = ts,
                        "HEP capture time more than an hour ahead of the receive time replaced by the receive time (a sender's clock is wrong; not logged again for 10 s)");
                });
            }
            Some(_) => {}
        }
        self.sink.accept(&Arc::new(packet), received_at_us);
        IntakeOutcome::Accepted
    }

    /// True while the sink asks the TCP loops to stop reading (see [`PacketSink::congested`]).
    pub fn congested(&self) -> bool {
        self.sink.congested()
    }

    /// Logs, at most once per [`WARN_INTERVAL`], that a TCP connection stopped waiting for a congested
    /// sink after `paused` and reads again (packets may now be dropped).
    pub fn backpressure_expired(&self, peer: SocketAddr, paused: Duration) {
        self.warn_limited("tcp_backpressure", || {
            tracing::warn!(%peer, ?paused, "HEP TCP connection paused too long for a congested store; reading again, packets may be dropped (not logged again for 10 s)");
        });
    }

    /// Counts and logs a packet the decoder refused.
    fn rejected(
        &self,
        error: &DecodeError,
        transport: Transport,
        peer: SocketAddr,
    ) -> IntakeOutcome {
        let reason = error.reason();
        self.malformed(reason, error, transport, peer);
        IntakeOutcome::Malformed(reason)
    }

    /// Counts and logs a TCP framing error (the caller closes the connection).
    pub fn framing_error(&self, error: &FramingError, peer: SocketAddr) {
        let reason = error.reason();
        self.malformed(reason, error, Transport::Tcp, peer);
    }

    fn malformed(
        &self,
        reason: &'static str,
        error: &dyn std::fmt::Display,
        transport: Transport,
        peer: SocketAddr,
    ) {
        metrics::counter!("hepscope_hep_malformed_total", "reason" => reason).increment(1);
        self.warn_limited(reason, || {
            tracing::warn!(%peer, transport = transport.label(), reason, error = %error,
                "malformed HEP packet dropped (further ones with this reason are not logged for 10 s)");
        });
    }

    fn warn_limited(&self, reason: &'static str, log: impl FnOnce()) {
        let now = Instant::now();
        let due = {
            let mut warned = self.warned.lock().unwrap_or_else(PoisonError::into_inner);
            let due = warned
                .get(reason)
                .is_none_or(|last| now.saturating_duration_since(*last) >= WARN_INTERVAL);
            if due {
                warned.insert(reason, now);
            }
            due
        };
        if due {
            log();
        }
    }
}

/// [`MAX_FUTURE_SKEW`] in microseconds.
const MAX_FUTURE_SKEW_US: i64 = MAX_FUTURE_SKEW.as_micros() as i64;

/// True when the packet's auth key is the capture password. Compared in constant time (for keys
/// of the password's length), so response timing tells a guesser nothing.
fn password_matches(expected: &str, offered: Option<&str>) -> bool {
    offered.is_some_and(|key| bool::from(key.as_bytes().ct_eq(expected.as_bytes())))
}

/// Microseconds since the Unix epoch, now.
pub fn unix_now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::hep::{encode, HepPacket, ProtoType};

    #[derive(Default)]
    struct Collect(Mutex<Vec<(HepPacket, i64)>>);

    impl PacketSink for Collect {
        fn accept(&self, packet: &Arc<HepPacket>, received_at_us: i64) {
            self.0
                .lock()
                .unwrap()
                .push((HepPacket::clone(packet), received_at_us));
        }
    }

    fn packet(auth: Option<&str>, ts_us: Option<i64>) -> Vec<u8> {
        let mut p = HepPacket::new(
            "10.0.0.1:5060".parse().unwrap(),
            "10.0.0.2:5060".parse().unwrap(),
            ProtoType::Sip,
            b"OPTIONS sip:a SIP/2.0\r\n\r\n".to_vec(),
        );
        p.auth_key = auth.map(String::from);
        p.ts_us = ts_us;
        encode(&p, false).unwrap()
    }

    fn peer() -> SocketAddr {
        "127.0.0.1:9".parse().unwrap()
    }

    #[test]
    fn zero_timestamp_becomes_the_receive_time() {
        let sink = Arc::new(Collect::default());
        let intake = Intake::new(sink.clone(), None);
        assert_eq!(
            intake.handle(&packet(None, None), Transport::Udp, peer(), 77),
            IntakeOutcome::Accepted
        );
        intake.handle(&packet(None, Some(5_000_000)), Transport::Udp, peer(), 77);
        let got = sink.0.lock().unwrap();
        assert_eq!(got[0].0.ts_us, Some(77));
        assert_eq!(got[1].0.ts_us, Some(5_000_000));
    }

    #[test]
    fn wrong_capture_password_is_dropped() {
        let sink = Arc::new(Collect::default());
        let intake = Intake::new(sink.clone(), Some("secret".into()));
        assert_eq!(
            intake.handle(&packet(None, None), Transport::Tcp, peer(), 1),
            IntakeOutcome::AuthFailed
        );
        assert_eq!(
            intake.handle(&packet(Some("nope"), None), Transport::Tcp, peer(), 1),
            IntakeOutcome::AuthFailed
        );
        assert_eq!(
            intake.handle(&packet(Some("secret"), None), Transport::Tcp, peer(), 1),
            IntakeOutcome::Accepted
        );
        assert_eq!(sink.0.lock().unwrap().len(), 1);
    }

    /// A SIP packet whose compressed payload inflates to `inflated` bytes.
    fn compressed(auth: Option<&str>, inflated: usize) -> Vec<u8> {
        let mut payload = b"OPTIONS sip:a SIP/2.0\r\n\r\n".to_vec();
        payload.resize(inflated, b' ');
        let mut p = HepPacket::new(
            "10.0.0.1:5060".parse().unwrap(),
            "10.0.0.2:5060".parse().unwrap(),
            ProtoType::Sip,
            payload,
        );
        p.auth_key = auth.map(String::from);
        encode(&p, true).unwrap()
    }

    #[test]
    fn the_password_is_checked_before_the_payload_is_inflated() {
        let sink = Arc::new(Collect::default());
        let intake = Intake::new(sink.clone(), Some("secret".into()));
        let bomb = compressed(Some("guess"), 4 << 20);
        assert!(bomb.len() < 8192, "{} bytes", bomb.len());
        // Were the payload inflated first, this would be "oversized"; a wrong key must stop it earlier.
        assert_eq!(
            intake.handle(&bomb, Transport::Udp, peer(), 1),
            IntakeOutcome::AuthFailed
        );
        assert_eq!(
            intake.handle(&compressed(None, 4 << 20), Transport::Udp, peer(), 1),
            IntakeOutcome::AuthFailed
        );
        assert_eq!(
            intake.handle(
                &compressed(Some("secret"), 4 << 20),
                Transport::Udp,
                peer(),
                1
            ),
            IntakeOutcome::Malformed("oversized")
        );
        assert!(sink.0.lock().unwrap().is_empty());
    }

    #[test]
    fn at_most_64_kib_is_inflated_per_packet() {
        let sink = Arc::new(Collect::default());
        let intake = Intake::new(sink.clone(), None);
        assert_eq!(
            intake.handle(&compressed(None, 1 << 20), Transport::Udp, peer(), 1),
            IntakeOutcome::Malformed("oversized")
        );
        assert_eq!(
            intake.handle(&compressed(None, 64 * 1024 + 1), Transport::Udp, peer(), 1),
            IntakeOutcome::Malformed("oversized")
        );
        assert_eq!(
            intake.handle(&compressed(None, 64 * 1024), Transport::Udp, peer(), 1),
            IntakeOutcome::Accepted
        );
        assert_eq!(sink.0.lock().unwrap()[0].0.payload.len(), 64 * 1024);
    }

    #[test]
    fn the_auth_key_is_never_handed_to_a_sink() {
        let sink = Arc::new(Collect::default());
        let checked = Intake::new(sink.clone(), Some("secret".into()));
        checked.handle(&packet(Some("secret"), None), Transport::Tcp, peer(), 1);
        let open = Intake::new(sink.clone(), None);
        open.handle(&packet(Some("anything"), None), Transport::Udp, peer(), 1);
        let got = sink.0.lock().unwrap();
        assert_eq!(got.len(), 2);
        assert!(got.iter().all(|(p, _)| p.auth_key.is_none()));
    }

    #[test]
    fn a_capture_time_over_an_hour_ahead_becomes_the_receive_time() {
        let sink = Arc::new(Collect::default());
        let intake = Intake::new(sink.clone(), None);
        let now = 1_800_000_000_000_000;
        let hour = 3_600_000_000;
        for ts in [
            now + hour,
            now + hour + 1,
            now + 400 * 86_400_000_000,
            now - 5,
        ] {
            intake.handle(&packet(None, Some(ts)), Transport::Udp, peer(), now);
        }
        let got: Vec<i64> = sink
            .0
            .lock()
            .unwrap()
            .iter()
            .map(|(p, _)| p.ts_us.unwrap())
            .collect();
        assert_eq!(got, vec![now + hour, now, now, now - 5]);
    }

    #[test]
    fn password_comparison_needs_the_exact_key() {
        assert!(password_matches("secret", Some("secret")));
        for offered in [
            None,
            Some(""),
            Some("secre"),
            Some("secret!"),
            Some("Secret"),
        ] {
            assert!(!password_matches("secret", offered), "{offered:?}");
        }
    }

    #[test]
    fn malformed_and_keepalive_are_told_apart_and_not_forwarded() {
        let sink = Arc::new(Collect::default());
        let intake = Intake::new(sink.clone(), None);
        assert_eq!(
            intake.handle(b"GET / HTTP/1.1", Transport::Udp, peer(), 1),
            IntakeOutcome::Malformed("bad_magic")
        );
        let keepalive = b"HEP3\x00\x0d\x00\x00\x00\x0b\x00\x07\x01";
        assert_eq!(
            intake.handle(keepalive, Transport::Udp, peer(), 1),
            IntakeOutcome::KeepAlive
        );
        assert!(sink.0.lock().unwrap().is_empty());
    }

    #[test]
    fn warnings_are_limited_per_reason() {
        let intake = Intake::new(Arc::new(Collect::default()), None);
        let mut logged = 0;
        for _ in 0..5 {
            intake.warn_limited("bad_magic", || logged += 1);
        }
        intake.warn_limited("truncated", || logged += 1);
        assert_eq!(logged, 2);
    }
}
