//! One very long call sent at once (`hepscope send-hep --long-call-messages N`): an answered call of
//! about N SIP messages, its timestamps spread over the minute before now, sent as fast as the burst
//! cap allows, and then the sender stops. Loads a store with a call far longer than the demo's
//! (the ladder's scrolling benchmark uses 50,000 messages).

use std::time::Duration;

use app::domain::fixture::long_call;

use super::lanes::Lanes;
use super::{compress, to_hep, DemoError, DemoStats, HepTransport, Lane};
use crate::hep::encode;

/// The call's messages are spread over this span before "now", µs.
const SPAN_US: i64 = 60_000_000;
/// Packets sent between pauses.
const SLICE: usize = 64;
/// The pause after each slice: 64 packets per 4 ms is 16,000 packets per second.
const SLICE_PAUSE: Duration = Duration::from_millis(4);

/// What was sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LongCallSent {
    /// The call's Call-ID.
    pub call_id: String,
    /// SIP messages in the call.
    pub messages: usize,
    /// The first message's time, ms since the epoch (for a `/call/{id}?t=` link).
    pub start_ms: i64,
    /// Packets handed to a socket, and failures.
    pub stats: DemoStats,
}

/// Sends one answered call of about `messages` SIP messages to `target`, ending before `now_us`.
/// UDP for [`HepTransport::Udp`], else TCP (which loses nothing to a busy receiver).
///
/// # Errors
/// [`DemoError::BindUdp`] when no UDP socket can be bound.
pub async fn send_long_call(
    target: std::net::SocketAddr,
    transport: HepTransport,
    messages: usize,
    seed: u64,
    auth_key: Option<&str>,
    now_us: i64,
) -> Result<LongCallSent, DemoError> {
    let start_us = now_us - SPAN_US;
    let packets = compress(long_call(seed, start_us, messages), start_us, SPAN_US);
    let call_id = packets
        .first()
        .map(|p| p.call_id.clone())
        .unwrap_or_default();
    let lane = match transport {
        HepTransport::Udp => Lane::Udp,
        HepTransport::Tcp | HepTransport::Both => Lane::Tcp,
    };
    let lanes = Lanes::open(target, lane == Lane::Udp, lane == Lane::Tcp).await?;
    for (i, packet) in packets.iter().enumerate() {
        match encode(&to_hep(packet, auth_key), false) {
            Ok(bytes) => lanes.send(lane, bytes).await,
            Err(e) => {
                tracing::debug!(error = %e, "long-call packet not encodable");
                lanes.counters().error(lane, "encode");
            }
        }
        if (i + 1) % SLICE == 0 {
            tokio::time::sleep(SLICE_PAUSE).await;
        }
    }
    let stats = lanes.close().await;
    Ok(LongCallSent {
        call_id,
        messages: packets.len(),
        start_ms: start_us.div_euclid(1000),
        stats,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hep::decode;

    #[tokio::test]
    async fn send_long_call_sends_every_message_of_one_call() {
        let receiver = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let target = receiver.local_addr().unwrap();
        let collect = tokio::spawn(async move {
            let mut payloads = Vec::new();
            let mut buf = vec![0u8; 65_536];
            while let Ok(Ok(n)) =
                tokio::time::timeout(Duration::from_secs(2), receiver.recv(&mut buf)).await
            {
                payloads.push(decode(&buf[..n]).unwrap().payload);
            }
            payloads
        });
        let now_us = 1_700_000_000_000_000;
        let sent = send_long_call(target, HepTransport::Udp, 300, 5, None, now_us)
            .await
            .unwrap();
        assert!((299..=301).contains(&sent.messages), "{}", sent.messages);
        assert_eq!(sent.stats.sent, sent.messages as u64);
        assert_eq!(sent.start_ms, (now_us - SPAN_US) / 1000);
        let payloads = collect.await.unwrap();
        assert_eq!(payloads.len(), sent.messages);
        let needle = format!("Call-ID: {}", sent.call_id);
        assert!(payloads
            .iter()
            .all(|p| String::from_utf8_lossy(p).contains(&needle)));
    }
}
