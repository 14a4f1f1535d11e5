//! The generator's two ways out: a UDP socket (one datagram per HEP packet) and one persistent TCP
//! connection (packets back to back, HEP3 framing by length) run by its own task, which reconnects
//! with exponential backoff and drops, counting, what arrives while it is down.
//!
//! Counts go to the `metrics` crate (`hepscope_demo_packets_sent_total`,
//! `hepscope_demo_send_errors_total`, by `transport`) and to shared counters for [`super::DemoStats`].

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{timeout, Instant};

use super::{DemoError, DemoStats, Lane};

/// Packets waiting for the TCP task; beyond this the generator drops and counts them.
const TCP_QUEUE: usize = 16_384;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// How long closing waits for the TCP task to write what is queued.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Sent and failed packets, shared with the TCP task.
#[derive(Debug, Default)]
pub struct Counters {
    sent: AtomicU64,
    errors: AtomicU64,
}

impl Counters {
    fn sent(&self, lane: Lane) {
        self.sent.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("hepscope_demo_packets_sent_total", "transport" => lane.as_str())
            .increment(1);
    }

    /// Counts a packet that did not go out, with a short reason label.
    pub fn error(&self, lane: Lane, reason: &'static str) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        metrics::counter!(
            "hepscope_demo_send_errors_total",
            "transport" => lane.as_str(),
            "reason" => reason
        )
        .increment(1);
    }

    /// The totals so far.
    pub fn stats(&self) -> DemoStats {
        DemoStats {
            sent: self.sent.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
        }
    }
}

/// The sockets of one generator run.
#[derive(Debug)]
pub struct Lanes {
    target: SocketAddr,
    udp: Option<UdpSocket>,
    tcp: Option<(mpsc::Sender<Vec<u8>>, JoinHandle<()>)>,
    counters: Arc<Counters>,
}

impl Lanes {
    /// Binds a UDP socket when `udp`, and starts the TCP task when `tcp` (it connects on first use).
    ///
    /// # Errors
    /// [`DemoError::BindUdp`] when no local UDP port can be had.
    pub async fn open(target: SocketAddr, udp: bool, tcp: bool) -> Result<Self, DemoError> {
        let counters = Arc::new(Counters::default());
        let udp = if udp {
            let local = SocketAddr::new(
                if target.is_ipv4() {
                    IpAddr::V4(Ipv4Addr::UNSPECIFIED)
                } else {
                    IpAddr::V6(Ipv6Addr::UNSPECIFIED)
                },
                0,
            );
            let socket = UdpSocket::bind(local)
                .await
                .map_err(|source| DemoError::BindUdp {
                    addr: local,
                    source,
                })?;
            Some(socket)
        } else {
            None
        };
        let tcp = tcp.then(|| {
            let (tx, rx) = mpsc::channel(TCP_QUEUE);
            let task = tokio::spawn(tcp_task(target, rx, Arc::clone(&counters)));
            (tx, task)
        });
        Ok(Lanes {
            target,
            udp,
            tcp,
            counters,
        })
    }

    /// The shared counters.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Sends one encoded HEP packet; failures are counted, never returned.
    pub async fn send(&self, lane: Lane, bytes: Vec<u8>) {
        match (lane, &self.udp, &self.tcp) {
            (Lane::Udp, Some(socket), _) => match socket.send_to(&bytes, self.target).await {
                Ok(_) => self.counters.sent(Lane::Udp),
                Err(e) => {
                    tracing::debug!(error = %e, target = %self.target, "HEP over UDP not sent");
                    self.counters.error(Lane::Udp, "io");
                }
            },
            (Lane::Tcp, _, Some((tx, _))) => {
                if tx.try_send(bytes).is_err() {
                    self.counters.error(Lane::Tcp, "queue_full");
                }
            }
            _ => self.counters.error(lane, "lane_closed"),
        }
    }

    /// Lets the TCP task write what is queued (for at most a few seconds) and returns the totals.
    pub async fn close(self) -> DemoStats {
        if let Some((tx, task)) = self.tcp {
            drop(tx);
            let abort = task.abort_handle();
            if timeout(DRAIN_TIMEOUT, task).await.is_err() {
                tracing::warn!("HEP over TCP: queued packets not written before shutdown");
                abort.abort();
            }
        }
        self.counters.stats()
    }
}

/// Owns the TCP connection: connects on demand, writes packets in order, and after a failure waits
/// out a doubling backoff before the next attempt, counting the packets it drops meanwhile.
async fn tcp_task(target: SocketAddr, mut rx: mpsc::Receiver<Vec<u8>>, counters: Arc<Counters>) {
    let mut stream: Option<TcpStream> = None;
    let mut backoff = MIN_BACKOFF;
    let mut retry_at = Instant::now();
    while let Some(bytes) = rx.recv().await {
        if stream.is_none() && Instant::now() >= retry_at {
            match timeout(CONNECT_TIMEOUT, TcpStream::connect(target)).await {
                Ok(Ok(connected)) => {
                    tracing::info!(%target, "HEP over TCP connected");
                    stream = Some(connected);
                    backoff = MIN_BACKOFF;
                }
                Ok(Err(e)) => {
                    tracing::warn!(%target, error = %e, retry_in = ?backoff, "HEP over TCP: cannot connect");
                    retry_at = Instant::now() + backoff;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
                Err(_) => {
                    tracing::warn!(%target, retry_in = ?backoff, "HEP over TCP: connect timed out");
                    retry_at = Instant::now() + backoff;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
        let Some(connection) = stream.as_mut() else {
            counters.error(Lane::Tcp, "disconnected");
            continue;
        };
        match connection.write_all(&bytes).await {
            Ok(()) => counters.sent(Lane::Tcp),
            Err(e) => {
                tracing::warn!(%target, error = %e, retry_in = ?backoff, "HEP over TCP: connection lost");
                counters.error(Lane::Tcp, "io");
                stream = None;
                retry_at = Instant::now() + backoff;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
    if let Some(mut connection) = stream {
        if let Err(e) = connection.shutdown().await {
            tracing::debug!(error = %e, "HEP over TCP: closing");
        }
    }
}
