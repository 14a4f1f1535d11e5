//! Fan-in: one relay task per configured upstream node stream URL (another hepscope's `/stream`, or a
//! homer-core node's), each reading frames and publishing them into the local broker, where the coordinator
//! endpoint's clients get them with their own filters, limits and history.
//!
//! A relay asks its node for payloads (`include_payload=1`) and keeps them, so the coordinator's payload
//! policy decides what its clients see. Undecodable frames are skipped and counted
//! (`hepscope_live_relay_undecodable_total`). A failed or lost connection is retried after an exponential
//! backoff ([`RelayOptions`]), reset after each successful connect.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

use super::broker::Broker;
use super::event::StreamEvent;

/// Connect timeout and backoff bounds of a relay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RelayOptions {
    /// Longest a connect (TCP + WebSocket handshake) may take (`fan_out_timeout_ms`).
    pub connect_timeout: Duration,
    /// Wait after the first failure.
    pub initial_backoff: Duration,
    /// Longest wait between attempts.
    pub max_backoff: Duration,
}

impl Default for RelayOptions {
    fn default() -> Self {
        RelayOptions {
            connect_timeout: Duration::from_millis(2000),
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
        }
    }
}

/// Starts one relay per URL; each runs until `stop` changes.
pub fn spawn_relays(
    nodes: &[String],
    broker: &Arc<Broker>,
    options: RelayOptions,
    stop: &watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    nodes
        .iter()
        .map(|url| {
            tokio::spawn(relay(
                upstream_url(url),
                Arc::clone(broker),
                options,
                stop.clone(),
            ))
        })
        .collect()
}

/// The node URL with `include_payload=1` added.
pub fn upstream_url(url: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}include_payload=1")
}

/// The next wait: doubled, capped.
pub fn next_backoff(current: Duration, options: &RelayOptions) -> Duration {
    current.saturating_mul(2).min(options.max_backoff)
}

async fn relay(
    url: String,
    broker: Arc<Broker>,
    options: RelayOptions,
    mut stop: watch::Receiver<bool>,
) {
    let undecodable = metrics::counter!("hepscope_live_relay_undecodable_total");
    let mut backoff = options.initial_backoff;
    let mut was_up = true;
    loop {
        let connect = tokio::time::timeout(
            options.connect_timeout,
            tokio_tungstenite::connect_async(url.as_str()),
        );
        let connected = tokio::select! {
            _ = stop.changed() => return,
            connected = connect => connected,
        };
        match connected {
            Ok(Ok((mut socket, _))) => {
                tracing::info!(node = %url, "live relay connected");
                metrics::counter!("hepscope_live_relay_connects_total").increment(1);
                backoff = options.initial_backoff;
                was_up = true;
                loop {
                    let message = tokio::select! {
                        _ = stop.changed() => {
                            let _ = socket.close(None).await;
                            return;
                        }
                        message = socket.next() => message,
                    };
                    match message {
                        Some(Ok(Message::Text(text))) => {
                            match StreamEvent::from_relayed_frame(text.as_str()) {
                                Ok(event) => broker.publish(Arc::new(event)),
                                Err(e) => {
                                    undecodable.increment(1);
                                    tracing::debug!(node = %url, error = %e, "undecodable live frame skipped");
                                }
                            }
                        }
                        Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                        Some(Ok(_)) => {}
                    }
                }
                tracing::warn!(node = %url, "live relay lost its node; reconnecting");
            }
            Ok(Err(e)) => log_failure(&url, &e.to_string(), &mut was_up),
            Err(_) => log_failure(&url, "connect timed out", &mut was_up),
        }
        tokio::select! {
            _ = stop.changed() => return,
            () = tokio::time::sleep(backoff) => {}
        }
        backoff = next_backoff(backoff, &options);
    }
}

/// Warns on the first failure after being up; later failures only at debug, so a down node does not flood
/// the log.
fn log_failure(url: &str, error: &str, was_up: &mut bool) {
    if *was_up {
        tracing::warn!(node = %url, error, "live relay cannot connect; retrying with backoff");
        *was_up = false;
    } else {
        tracing::debug!(node = %url, error, "live relay still cannot connect");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let options = RelayOptions::default();
        let mut wait = options.initial_backoff;
        let mut seen = vec![wait];
        for _ in 0..8 {
            wait = next_backoff(wait, &options);
            seen.push(wait);
        }
        let secs: Vec<f64> = seen.iter().map(Duration::as_secs_f64).collect();
        assert_eq!(secs, vec![0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]);
    }

    #[test]
    fn upstream_url_asks_for_payloads() {
        assert_eq!(
            upstream_url("ws://n:8083/stream"),
            "ws://n:8083/stream?include_payload=1"
        );
        assert_eq!(
            upstream_url("ws://n/stream?proto=1"),
            "ws://n/stream?proto=1&include_payload=1"
        );
    }
}
