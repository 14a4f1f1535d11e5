//! The HEP TCP loop: one task per connection, each with its own [`HepFramer`]. A framing error closes that
//! connection only.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::intake::unix_now_us;
use super::{Intake, Transport};
use crate::hep::HepFramer;

/// Read buffer per connection, in bytes.
const READ_CHUNK: usize = 16 * 1024;

/// Accepts until `stop` changes, then waits for the connections (which watch `stop` too).
pub(super) async fn run(
    listener: TcpListener,
    intake: Arc<Intake>,
    mut stop: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    connections.spawn(connection(stream, peer, Arc::clone(&intake), stop.clone()));
                }
                // E.g. too many open files: keep accepting once the pressure eases.
                Err(e) => {
                    tracing::warn!(error = %e, "HEP TCP accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
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
    mut stop: watch::Receiver<bool>,
) {
    let gauge = metrics::gauge!("hepscope_hep_tcp_connections");
    gauge.increment(1.0);
    tracing::debug!(%peer, "HEP TCP connection opened");
    let mut framer = HepFramer::default();
    let mut buf = vec![0u8; READ_CHUNK];
    'read: loop {
        tokio::select! {
            _ = stop.changed() => break,
            read = stream.read(&mut buf) => match read {
                Ok(0) => break,
                Ok(len) => {
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
                Err(e) => {
                    tracing::debug!(%peer, error = %e, "HEP TCP read failed");
                    break;
                }
            },
        }
    }
    if framer.buffered_len() > 0 {
        tracing::debug!(%peer, bytes = framer.buffered_len(), "HEP TCP connection closed mid-packet");
    }
    gauge.decrement(1.0);
}
