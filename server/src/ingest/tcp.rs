//! The HEP TCP loop: one task per connection, each with its own [`HepFramer`]. A framing error closes that
//! connection only.
//!
//! Limits ([`TcpLimits`]): at most `max_connections` at once, and at most `max_per_address` from one
//! client address (an IPv6 client by its /64), so one sender cannot take every slot; a connection over
//! either cap is closed as soon as it is accepted. A connection that sends nothing for `idle_timeout` is
//! closed, and so is one that does not complete a packet within `packet_timeout` of its first byte (a sender
//! that opens a packet and stalls holds its slot no longer than that). All are counted in [`TcpStats`] and in
//! `hepscope_hep_tcp_rejected_total{reason="max_connections"|"per_address"}`,
//! `hepscope_hep_tcp_idle_closed_total` and `hepscope_hep_tcp_packet_timeout_total`.
//!
//! Backpressure: before each socket read and each packet it hands over, a connection whose sink is
//! congested waits (polling every millisecond, without reading) until the sink has room, so the kernel's
//! buffers fill and the agent's sends slow down. A pause is bounded by [`MAX_BACKPRESSURE_PAUSE`]: after that the connection reads on without
//! pausing (the sink may drop and count) until it sees the sink uncongested again, so a stuck writer cannot
//! wedge agents. Pauses, paused time and cut-short pauses are counted in [`TcpStats`] and in
//! `hepscope_hep_tcp_backpressure_total`, `hepscope_hep_tcp_backpressure_duration_seconds` (a histogram) and
//! `hepscope_hep_tcp_backpressure_expired_total`; a cut-short pause is logged, rate-limited.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use std::future::Future;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::intake::unix_now_us;
use super::{Intake, Transport};
use crate::hep::HepFramer;

/// Read buffer per connection, in bytes.
const READ_CHUNK: usize = 16 * 1024;
/// Default cap on concurrent HEP TCP connections.
pub const DEFAULT_MAX_TCP_CONNECTIONS: usize = 256;
/// Default cap on concurrent HEP TCP connections from one client address.
pub const DEFAULT_MAX_TCP_CONNECTIONS_PER_ADDRESS: usize = 32;
/// Default time a HEP TCP connection may stay silent before it is closed.
pub const DEFAULT_TCP_IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// Default time a HEP TCP connection has to complete a packet once its first byte arrived.
pub const DEFAULT_TCP_PACKET_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest a connection waits for a congested sink before it reads again.
pub const MAX_BACKPRESSURE_PAUSE: Duration = Duration::from_secs(10);
/// How often a paused connection looks at the sink again.
const BACKPRESSURE_POLL: Duration = Duration::from_millis(1);

/// Bounds on the HEP TCP listener.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpLimits {
    /// Connections open at once; one more is closed on accept.
    pub max_connections: usize,
    /// Connections open at once from one client address (IPv6: one /64); one more is closed on accept.
    pub max_per_address: usize,
    /// A connection that sends no byte for this long is closed.
    pub idle_timeout: Duration,
    /// A connection that has not completed a packet this long after the packet's first byte arrived is
    /// closed.
    pub packet_timeout: Duration,
}

impl Default for TcpLimits {
    fn default() -> Self {
        TcpLimits {
            max_connections: DEFAULT_MAX_TCP_CONNECTIONS,
            max_per_address: DEFAULT_MAX_TCP_CONNECTIONS_PER_ADDRESS,
            idle_timeout: DEFAULT_TCP_IDLE_TIMEOUT,
            packet_timeout: DEFAULT_TCP_PACKET_TIMEOUT,
        }
    }
}

/// What the TCP listener has done so far (since the receiver started).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpStats {
    /// Connections open now.
    pub open: usize,
    /// Connections closed on accept because `max_connections` were open.
    pub rejected: u64,
    /// Connections closed on accept because `max_per_address` were open from that address.
    pub rejected_per_address: u64,
    /// Connections closed for sending nothing within `idle_timeout`.
    pub idle_closed: u64,
    /// Connections closed for not completing a packet within `packet_timeout`.
    pub packet_timeouts: u64,
    /// Times a connection stopped reading because the sink was congested.
    pub backpressure_pauses: u64,
    /// Time spent in those pauses, summed over connections.
    pub backpressure_time: Duration,
    /// Pauses cut short by [`MAX_BACKPRESSURE_PAUSE`].
    pub backpressure_expired: u64,
}

/// Counters shared by the accept loop and the connections.
#[derive(Debug, Default)]
pub(super) struct TcpCounters {
    open: AtomicUsize,
    rejected: AtomicU64,
    rejected_per_address: AtomicU64,
    idle_closed: AtomicU64,
    packet_timeouts: AtomicU64,
    paused: AtomicU64,
    paused_us: AtomicU64,
    pause_expired: AtomicU64,
}

impl TcpCounters {
    pub(super) fn snapshot(&self) -> TcpStats {
        TcpStats {
            open: self.open.load(Ordering::Relaxed),
            rejected: self.rejected.load(Ordering::Relaxed),
            rejected_per_address: self.rejected_per_address.load(Ordering::Relaxed),
            idle_closed: self.idle_closed.load(Ordering::Relaxed),
            packet_timeouts: self.packet_timeouts.load(Ordering::Relaxed),
            backpressure_pauses: self.paused.load(Ordering::Relaxed),
            backpressure_time: Duration::from_micros(self.paused_us.load(Ordering::Relaxed)),
            backpressure_expired: self.pause_expired.load(Ordering::Relaxed),
        }
    }
}

/// Open connections per client address (see [`address_key`]); entries at 0 are removed.
#[derive(Debug, Default)]
struct PerAddress(Mutex<HashMap<IpAddr, usize>>);

impl PerAddress {
    /// Counts one more connection from `key` unless `max` are open; false when over the cap.
    fn try_open(&self, key: IpAddr, max: usize) -> bool {
        let mut open = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(key).or_insert(0);
        if *count >= max {
            return false;
        }
        *count += 1;
        true
    }

    fn close(&self, key: IpAddr) {
        let mut open = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&key) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&key);
            }
        }
    }
}

/// The address a connection is counted under: an IPv4 address as it is (an IPv4-mapped IPv6
/// address as its IPv4 one), an IPv6 address by its /64, as one host usually holds a whole /64.
fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(v6.to_bits() & !((1u128 << 64) - 1))),
        },
    }
}

/// Decrements the open counts (and the gauge) when a connection task ends, however it ends.
struct OpenGuard {
    counters: Arc<TcpCounters>,
    per_address: Arc<PerAddress>,
    key: IpAddr,
}

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.counters.open.fetch_sub(1, Ordering::Relaxed);
        self.per_address.close(self.key);
        metrics::gauge!("hepscope_hep_tcp_connections").decrement(1.0);
    }
}

/// Where HEP streams come from: plain TCP, or TLS (`[hep] tls_listen`, handshaken already).
pub(super) trait Accept: Send + 'static {
    type Stream: AsyncRead + Unpin + Send + 'static;
    /// The next connection; `Ok(None)` when no more will come.
    fn accept(
        &mut self,
    ) -> impl Future<Output = std::io::Result<Option<(Self::Stream, SocketAddr)>>> + Send;
}

impl Accept for TcpListener {
    type Stream = TcpStream;
    async fn accept(&mut self) -> std::io::Result<Option<(TcpStream, SocketAddr)>> {
        TcpListener::accept(self).await.map(Some)
    }
}

impl Accept for crate::tls::TlsListener {
    type Stream = tokio_rustls::server::TlsStream<TcpStream>;
    async fn accept(&mut self) -> std::io::Result<Option<(Self::Stream, SocketAddr)>> {
        Ok(self.next().await)
    }
}

/// Accepts until `stop` changes, then waits for the connections (which watch `stop` too). A connection
/// pauses at most `max_pause` for a congested sink.
pub(super) async fn run<L: Accept>(
    mut listener: L,
    intake: Arc<Intake>,
    limits: TcpLimits,
    max_pause: Duration,
    counters: Arc<TcpCounters>,
    mut stop: watch::Receiver<bool>,
) {
    let rejected =
        metrics::counter!("hepscope_hep_tcp_rejected_total", "reason" => "max_connections");
    let rejected_per_address =
        metrics::counter!("hepscope_hep_tcp_rejected_total", "reason" => "per_address");
    let per_address = Arc::new(PerAddress::default());
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok(None) => break,
                Ok(Some((stream, peer))) => {
                    if counters.open.load(Ordering::Relaxed) >= limits.max_connections {
                        drop(stream);
                        counters.rejected.fetch_add(1, Ordering::Relaxed);
                        rejected.increment(1);
                        tracing::debug!(%peer, max = limits.max_connections, "HEP TCP connection over the cap closed");
                        continue;
                    }
                    let key = address_key(peer.ip());
                    if !per_address.try_open(key, limits.max_per_address) {
                        drop(stream);
                        counters.rejected_per_address.fetch_add(1, Ordering::Relaxed);
                        rejected_per_address.increment(1);
                        tracing::debug!(%peer, max = limits.max_per_address, "HEP TCP connection over the per-address cap closed");
                        continue;
                    }
                    counters.open.fetch_add(1, Ordering::Relaxed);
                    metrics::gauge!("hepscope_hep_tcp_connections").increment(1.0);
                    let guard = OpenGuard { counters: Arc::clone(&counters), per_address: Arc::clone(&per_address), key };
                    let bounds = ConnectionBounds {
                        idle_timeout: limits.idle_timeout,
                        packet_timeout: limits.packet_timeout,
                        max_pause,
                    };
                    connections.spawn(connection(stream, peer, Arc::clone(&intake), bounds, guard, stop.clone()));
                }
                // E.g. too many open files: keep accepting once the pressure eases.
                Err(e) => {
                    tracing::warn!(error = %e, "HEP TCP accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    while connections.join_next().await.is_some() {}
}

/// The time limits of one connection.
#[derive(Clone, Copy, Debug)]
struct ConnectionBounds {
    idle_timeout: Duration,
    packet_timeout: Duration,
    max_pause: Duration,
}

/// Why a connection stopped waiting for its next read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ReadDeadline {
    /// No byte for `idle_timeout`.
    Idle,
    /// A packet's first byte came `packet_timeout` ago and the packet is still incomplete.
    Packet,
}

/// How long the next read may wait, and what its running out means: the packet deadline when a
/// packet is open and due before the idle timeout, else the idle timeout.
fn read_deadline(
    bounds: &ConnectionBounds,
    packet_started: Option<Instant>,
) -> (Duration, ReadDeadline) {
    match packet_started {
        Some(started) => {
            let left = bounds.packet_timeout.saturating_sub(started.elapsed());
            if left <= bounds.idle_timeout {
                (left, ReadDeadline::Packet)
            } else {
                (bounds.idle_timeout, ReadDeadline::Idle)
            }
        }
        None => (bounds.idle_timeout, ReadDeadline::Idle),
    }
}

/// How a backpressure pause ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pause {
    /// The sink has room again.
    Resumed,
    /// The sink stayed congested for `max_pause`.
    Expired,
    /// The receiver is stopping.
    Stopped,
}

async fn connection<S: AsyncRead + Unpin>(
    mut stream: S,
    peer: SocketAddr,
    intake: Arc<Intake>,
    bounds: ConnectionBounds,
    guard: OpenGuard,
    mut stop: watch::Receiver<bool>,
) {
    tracing::debug!(%peer, "HEP TCP connection opened");
    let counters = Arc::clone(&guard.counters);
    let mut framer = HepFramer::default();
    let mut buf = vec![0u8; READ_CHUNK];
    // Set when a pause hit `max_pause`: read on without pausing until the sink has room again.
    let mut overrun = false;
    let mut now = unix_now_us();
    // When the first byte of the packet still incomplete in `framer` arrived.
    let mut packet_started: Option<Instant> = None;
    'read: loop {
        // Hand over what is framed, one packet at a time, waiting before each one (and before the
        // next read) while the sink is congested: one read may hold more packets than the sink has room.
        let mut restart_clock = false;
        loop {
            if !intake.congested() {
                overrun = false;
            } else if !overrun {
                // Time spent paused is ours, not the sender's: the packet deadline starts again after it.
                restart_clock = true;
                match pause(&intake, bounds.max_pause, &counters, &mut stop).await {
                    Pause::Resumed => {}
                    Pause::Expired => {
                        overrun = true;
                        intake.backpressure_expired(peer, bounds.max_pause);
                    }
                    Pause::Stopped => break 'read,
                }
            }
            match framer.next_packet() {
                Ok(Some(packet)) => {
                    // What is left began in the last read at the earliest.
                    restart_clock = true;
                    intake.handle(&packet, Transport::Tcp, peer, now);
                }
                Ok(None) => break,
                Err(e) => {
                    intake.framing_error(&e, peer);
                    break 'read;
                }
            }
        }
        packet_started = match packet_started {
            _ if framer.buffered_len() == 0 => None,
            Some(started) if !restart_clock => Some(started),
            _ => Some(Instant::now()),
        };
        let (wait, deadline) = read_deadline(&bounds, packet_started);
        tokio::select! {
            _ = stop.changed() => break,
            read = tokio::time::timeout(wait, stream.read(&mut buf)) => match read {
                Err(_) if deadline == ReadDeadline::Packet => {
                    counters.packet_timeouts.fetch_add(1, Ordering::Relaxed);
                    metrics::counter!("hepscope_hep_tcp_packet_timeout_total").increment(1);
                    tracing::debug!(%peer, timeout = ?bounds.packet_timeout, bytes = framer.buffered_len(),
                        "HEP TCP connection did not complete a packet in time, closed");
                    break;
                }
                Err(_) => {
                    counters.idle_closed.fetch_add(1, Ordering::Relaxed);
                    metrics::counter!("hepscope_hep_tcp_idle_closed_total").increment(1);
                    tracing::debug!(%peer, idle_timeout = ?bounds.idle_timeout, "HEP TCP connection idle, closed");
                    break;
                }
                Ok(Ok(0)) => break,
                Ok(Ok(len)) => {
                    framer.push(buf.get(..len).unwrap_or_default());
                    now = unix_now_us();
                }
                Ok(Err(e)) => {
                    tracing::debug!(%peer, error = %e, "HEP TCP read failed");
                    break;
                }
            },
        }
    }
    if framer.buffered_len() > 0 {
        tracing::debug!(%peer, bytes = framer.buffered_len(), "HEP TCP connection closed mid-packet");
    }
    drop(guard);
}

/// Waits without reading while the sink is congested, for at most `max_pause`; counts the pause.
async fn pause(
    intake: &Intake,
    max_pause: Duration,
    counters: &TcpCounters,
    stop: &mut watch::Receiver<bool>,
) -> Pause {
    let started = Instant::now();
    counters.paused.fetch_add(1, Ordering::Relaxed);
    metrics::counter!("hepscope_hep_tcp_backpressure_total").increment(1);
    let outcome = loop {
        if !intake.congested() {
            break Pause::Resumed;
        }
        if started.elapsed() >= max_pause {
            counters.pause_expired.fetch_add(1, Ordering::Relaxed);
            metrics::counter!("hepscope_hep_tcp_backpressure_expired_total").increment(1);
            break Pause::Expired;
        }
        tokio::select! {
            _ = stop.changed() => break Pause::Stopped,
            () = tokio::time::sleep(BACKPRESSURE_POLL) => {}
        }
    };
    let paused = started.elapsed();
    counters.paused_us.fetch_add(
        u64::try_from(paused.as_micros()).unwrap_or(u64::MAX),
        Ordering::Relaxed,
    );
    metrics::histogram!("hepscope_hep_tcp_backpressure_duration_seconds")
        .record(paused.as_secs_f64());
    outcome
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::sync::atomic::AtomicBool;

    use tokio::io::AsyncWriteExt;

    use super::*;
    use crate::hep::{encode, HepPacket, ProtoType};
    use crate::ingest::PacketSink;

    /// Counts packets; congested while its flag is set.
    #[derive(Default)]
    struct Valve {
        congested: AtomicBool,
        accepted: AtomicUsize,
    }

    impl PacketSink for Valve {
        fn accept(&self, _packet: &Arc<HepPacket>, _received_at_us: i64) {
            self.accepted.fetch_add(1, Ordering::Relaxed);
        }

        fn congested(&self) -> bool {
            self.congested.load(Ordering::Relaxed)
        }
    }

    /// A TCP loop on 127.0.0.1:0 feeding `valve`, with its counters and stop switch.
    struct Running {
        addr: SocketAddr,
        counters: Arc<TcpCounters>,
        stop: watch::Sender<bool>,
        task: tokio::task::JoinHandle<()>,
    }

    async fn start(valve: &Arc<Valve>, max_pause: Duration) -> Running {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let intake = Arc::new(Intake::new(valve.clone(), None));
        let counters = Arc::new(TcpCounters::default());
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run(
            listener,
            intake,
            TcpLimits::default(),
            max_pause,
            Arc::clone(&counters),
            stopped,
        ));
        Running {
            addr,
            counters,
            stop,
            task,
        }
    }

    fn packet() -> Vec<u8> {
        let p = HepPacket::new(
            "10.0.0.1:5060".parse().unwrap(),
            "10.0.0.2:5060".parse().unwrap(),
            ProtoType::Sip,
            b"OPTIONS sip:a SIP/2.0\r\nCall-ID: bp\r\n\r\n".to_vec(),
        );
        encode(&p, false).unwrap()
    }

    /// Polls `done` every 5 ms for up to 5 s.
    async fn eventually(done: impl Fn() -> bool) -> bool {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(5) {
            if done() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        done()
    }

    #[test]
    fn connections_are_counted_per_ipv4_address_and_per_ipv6_64() {
        let key = |s: &str| address_key(s.parse().unwrap()).to_string();
        assert_eq!(key("192.0.2.7"), "192.0.2.7");
        assert_eq!(key("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::");
        assert_eq!(key("2001:db8:1:2:bbbb::9"), "2001:db8:1:2::");
        let open = PerAddress::default();
        let a: IpAddr = "192.0.2.7".parse().unwrap();
        assert!(open.try_open(a, 2) && open.try_open(a, 2));
        assert!(
            !open.try_open(a, 2),
            "the third from one address is refused"
        );
        assert!(open.try_open("192.0.2.8".parse().unwrap(), 2));
        open.close(a);
        assert!(open.try_open(a, 2), "a closed one frees its slot");
    }

    #[test]
    fn an_open_packet_is_due_before_the_idle_timeout() {
        let bounds = ConnectionBounds {
            idle_timeout: Duration::from_secs(300),
            packet_timeout: Duration::from_secs(10),
            max_pause: MAX_BACKPRESSURE_PAUSE,
        };
        assert_eq!(
            read_deadline(&bounds, None),
            (Duration::from_secs(300), ReadDeadline::Idle)
        );
        let (wait, why) = read_deadline(&bounds, Some(Instant::now()));
        assert_eq!(why, ReadDeadline::Packet);
        assert!(wait <= Duration::from_secs(10) && wait > Duration::from_secs(9));
        let short_idle = ConnectionBounds {
            idle_timeout: Duration::from_secs(1),
            ..bounds
        };
        assert_eq!(
            read_deadline(&short_idle, Some(Instant::now())),
            (Duration::from_secs(1), ReadDeadline::Idle)
        );
    }

    #[tokio::test]
    async fn congested_sink_pauses_reading_until_it_has_room() {
        let valve = Arc::new(Valve::default());
        valve.congested.store(true, Ordering::Relaxed);
        let running = start(&valve, MAX_BACKPRESSURE_PAUSE).await;
        let mut client = TcpStream::connect(running.addr).await.unwrap();
        for _ in 0..3 {
            client.write_all(&packet()).await.unwrap();
        }
        assert!(eventually(|| running.counters.snapshot().backpressure_pauses >= 1).await);
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert_eq!(
            valve.accepted.load(Ordering::Relaxed),
            0,
            "nothing is read while the sink is congested"
        );

        valve.congested.store(false, Ordering::Relaxed);
        assert!(eventually(|| valve.accepted.load(Ordering::Relaxed) == 3).await);
        let stats = running.counters.snapshot();
        assert_eq!(stats.backpressure_pauses, 1);
        assert!(
            stats.backpressure_time >= Duration::from_millis(150),
            "{stats:?}"
        );
        assert_eq!(stats.backpressure_expired, 0);

        client.write_all(&packet()).await.unwrap();
        assert!(eventually(|| valve.accepted.load(Ordering::Relaxed) == 4).await);
        let _ = running.stop.send(true);
        running.task.await.unwrap();
    }

    #[tokio::test]
    async fn pause_longer_than_the_bound_reads_on_until_the_sink_has_room() {
        let valve = Arc::new(Valve::default());
        valve.congested.store(true, Ordering::Relaxed);
        let running = start(&valve, Duration::from_millis(100)).await;
        let mut client = TcpStream::connect(running.addr).await.unwrap();
        client.write_all(&packet()).await.unwrap();
        assert!(eventually(|| valve.accepted.load(Ordering::Relaxed) == 1).await);
        client.write_all(&packet()).await.unwrap();
        assert!(eventually(|| valve.accepted.load(Ordering::Relaxed) == 2).await);
        let stats = running.counters.snapshot();
        assert_eq!(
            (stats.backpressure_pauses, stats.backpressure_expired),
            (1, 1),
            "once cut short, the connection does not pause again while still congested"
        );
        assert!(stats.backpressure_time >= Duration::from_millis(100));

        // Room, then congestion again: after its next read the connection pauses again.
        valve.congested.store(false, Ordering::Relaxed);
        client.write_all(&packet()).await.unwrap();
        assert!(eventually(|| valve.accepted.load(Ordering::Relaxed) == 3).await);
        valve.congested.store(true, Ordering::Relaxed);
        client.write_all(&packet()).await.unwrap();
        assert!(eventually(|| running.counters.snapshot().backpressure_pauses == 2).await);
        let _ = running.stop.send(true);
        running.task.await.unwrap();
    }

    #[tokio::test]
    async fn stop_ends_a_paused_connection() {
        let valve = Arc::new(Valve::default());
        valve.congested.store(true, Ordering::Relaxed);
        let running = start(&valve, MAX_BACKPRESSURE_PAUSE).await;
        let mut client = TcpStream::connect(running.addr).await.unwrap();
        client.write_all(&packet()).await.unwrap();
        assert!(eventually(|| running.counters.snapshot().backpressure_pauses >= 1).await);
        let _ = running.stop.send(true);
        tokio::time::timeout(Duration::from_secs(2), running.task)
            .await
            .expect("the loop stops while a connection is paused")
            .unwrap();
        assert_eq!(running.counters.snapshot().open, 0);
    }
}
