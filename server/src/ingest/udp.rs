//! The HEP UDP loop: one datagram is one packet.

use std::sync::Arc;

use tokio::net::UdpSocket;
use tokio::sync::watch;

use super::intake::unix_now_us;
use super::{Intake, Transport};

/// Largest UDP payload.
const MAX_DATAGRAM: usize = 65_535;

/// Receives until `stop` changes (or its sender is gone).
pub(super) async fn run(socket: UdpSocket, intake: Arc<Intake>, mut stop: watch::Receiver<bool>) {
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            received = socket.recv_from(&mut buf) => match received {
                Ok((len, peer)) => {
                    if let Some(datagram) = buf.get(..len) {
                        intake.handle(datagram, Transport::Udp, peer, unix_now_us());
                    }
                }
                // E.g. ICMP errors surfacing on the socket: transient, never fatal to the loop.
                Err(e) => tracing::debug!(error = %e, "HEP UDP receive error"),
            },
        }
    }
}
