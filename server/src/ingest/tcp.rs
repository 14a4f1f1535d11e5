//! The HEP TCP loop: one task per connection, each with its own [`HepFramer`]. A framing error closes that
//! connection only.
//!
//! Limits ([`TcpLimits`]): at most `max_connections` at once (one over the cap is closed as soon as it is
//! accepted), and a connection that sends nothing for `idle_timeout` is closed. Both are counted in
//! [`TcpStats`] and in `hepscope_hep_tcp_rejected_total` / `hepscope_hep_tcp_idle_closed_total`.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncReadExt;
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
/// Default time a HEP TCP connection may stay silent before it is closed.
pub const DEFAULT_TCP_IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// Bounds on the HEP TCP listener.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpLimits {
    /// Connections open at once; one more is closed on accept.
    pub max_connections: usize,
    /// A connection that sends no byte for this long is closed.
    pub idle_timeout: Duration,
}

impl Default for TcpLimits {
    fn default() -> Self {
        TcpLimits {
            max_connections: DEFAULT_MAX_TCP_CONNECTIONS,
            idle_timeout: DEFAULT_TCP_IDLE_TIMEOUT,
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
    /// Connections closed for sending nothing within `idle_timeout`.
    pub idle_closed: u64,
}

/// Counters shared by the accept loop and the connections.
#[derive(Debug, Default)]
pub(super) struct TcpCounters {
    open: AtomicUsize,
    rejected: AtomicU64,
    idle_closed: AtomicU64,
}

impl TcpCounters {
    pub(super) fn snapshot(&self) -> TcpStats {
        TcpStats {
            open: self.open.load(Ordering::Relaxed),
            rejected: self.rejected.load(Ordering::Relaxed),
            idle_closed: self.idle_closed.load(Ordering::Relaxed),
        }
    }
}

/// Decrements the open count (and the gauge) when a connection task ends, however it ends.
struct OpenGuard(Arc<TcpCounters>);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
        metrics::gauge!("hepscope_hep_tcp_connections").decrement(1.0);
    }
}

/// Accepts until `stop` changes, then waits for the connections (which watch `stop` too).
pub(super) async fn run(
    listener: TcpListener,
    intake: Arc<Intake>,
    limits: TcpLimits,
    counters: Arc<TcpCounters>,
    mut stop: watch::Receiver<bool>,
) {
    let rejected = metrics::counter!("hepscope_hep_tcp_rejected_total");
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    if counters.open.load(Ordering::Relaxed) >= limits.max_connections {
                        drop(stream);
                        counters.rejected.fetch_add(1, Ordering::Relaxed);
                        rejected.increment(1);
                        tracing::debug!(%peer, max = limits.max_connections, "HEP TCP connection over the cap closed");
                        continue;
                    }
                    counters.open.fetch_add(1, Ordering::Relaxed);
                    metrics::gauge!("hepscope_hep_tcp_connections").increment(1.0);
                    let guard = OpenGuard(Arc::clone(&counters));
                    connections.spawn(connection(stream, peer, Arc::clone(&intake), limits.idle_timeout, guard, stop.clone()));
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

async fn connection(
    mut stream: TcpStream,
    peer: SocketAddr,
    intake: Arc<Intake>,
    idle_timeout: Duration,
    guard: OpenGuard,
    mut stop: watch::Receiver<bool>,
) {
    tracing::debug!(%peer, "HEP TCP connection opened");
    let mut framer = HepFramer::default();
    let mut buf = vec![0u8; READ_CHUNK];
    'read: loop {
        tokio::select! {
            _ = stop.changed() => break,
            read = tokio::time::timeout(idle_timeout, stream.read(&mut buf)) => match read {
                Err(_) => {
                    guard.0.idle_closed.fetch_add(1, Ordering::Relaxed);
                    metrics::counter!("hepscope_hep_tcp_idle_closed_total").increment(1);
                    tracing::debug!(%peer, ?idle_timeout, "HEP TCP connection idle, closed");
                    break;
                }
                Ok(Ok(0)) => break,
                Ok(Ok(len)) => {
                    framer.push(buf.get(..len).unwrap_or_default());
                    let now = unix_now_us();
                    loop {
                        match framer.next_packet() {
                            Ok(Some(packet)) => {
                                intake.handle(&packet, Transport::Tcp, peer, now);
                            }
                            Ok(None) => break,
                            Err(e) => {
                                intake.framing_error(&e, peer);
                                break 'read;
                            }
                        }
                    }
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
