//! The per-connection send loop shared by both endpoints: history first, then live events, pings, optional
//! stats frames; a write that takes longer than [`WRITE_TIMEOUT`] or a closed peer ends it. One task per
//! socket; reading only notices the peer going away.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::{SinkExt, StreamExt};

use super::broker::{SubscriberStats, Subscription};
use super::event::SharedEvent;

/// Interval between pings.
pub(super) const PING_INTERVAL: Duration = Duration::from_secs(30);
/// Longest a batch of frames may take to write before the client counts as stuck.
pub(super) const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest message accepted from a client (they send nothing useful).
pub(super) const READ_LIMIT: usize = 4096;
/// Frames written before one flush.
const BATCH: usize = 64;
/// WebSocket close code "going away" (RFC 6455 §7.4.1).
const CLOSE_GOING_AWAY: u16 = 1001;
/// WebSocket close code "policy violation" (RFC 6455 §7.4.1): the session ended.
pub(super) const CLOSE_SESSION_ENDED: u16 = 1008;

/// Resolves when a stream must close because the session that opened it ended.
pub(super) type SessionEnd = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// Per-connection choices made by the endpoint.
pub(super) struct PumpOptions {
    /// Include payloads (the payload policy already applied).
    pub payload: bool,
    /// Send `{"stats":…}` frames.
    pub stats: bool,
    /// Close reason when the broker stops.
    pub close_reason: &'static str,
    /// Resolves when the session that opened the stream expires or is revoked (coordinator streams).
    pub session_end: Option<SessionEnd>,
}

enum End {
    Peer,
    Stuck,
    BrokerClosed,
    SessionEnded,
}

/// Runs one subscriber's socket until either side goes away.
pub(super) async fn pump(socket: WebSocket, mut sub: Subscription, mut options: PumpOptions) {
    let (mut tx, mut rx) = socket.split();
    let mut session_end = options
        .session_end
        .take()
        .unwrap_or_else(|| Box::pin(std::future::pending()));
    let history = sub.take_history();
    let end = 'run: {
        for chunk in history.chunks(BATCH) {
            if !write_batch(&mut tx, chunk, options.payload).await {
                break 'run End::Stuck;
            }
        }
        let mut ping =
            tokio::time::interval_at(tokio::time::Instant::now() + PING_INTERVAL, PING_INTERVAL);
        let mut stats_tick = tokio::time::interval(Duration::from_secs(1));
        let mut last_stats = SubscriberStats::default();
        let mut batch: Vec<SharedEvent> = Vec::with_capacity(BATCH);
        loop {
            tokio::select! {
                event = sub.recv() => {
                    let Some(event) = event else { break 'run End::BrokerClosed };
                    batch.push(event);
                    while batch.len() < BATCH {
                        let Some(more) = sub.try_recv() else { break };
                        batch.push(more);
                    }
                    let ok = write_batch(&mut tx, &batch, options.payload).await;
                    batch.clear();
                    if !ok {
                        break 'run End::Stuck;
                    }
                }
                incoming = rx.next() => match incoming {
                    None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break 'run End::Peer,
                    Some(Ok(_)) => {}
                },
                () = &mut session_end => break 'run End::SessionEnded,
                _ = ping.tick() => {
                    if !send_one(&mut tx, Message::Ping(Default::default())).await {
                        break 'run End::Stuck;
                    }
                }
                _ = stats_tick.tick(), if options.stats => {
                    let now = sub.stats();
                    if now != last_stats {
                        last_stats = now;
                        let text = now.to_json();
                        if !send_one(&mut tx, Message::Text(text.into())).await {
                            break 'run End::Stuck;
                        }
                    }
                }
            }
        }
    };
    match end {
        End::BrokerClosed => {
            let close = Message::Close(Some(CloseFrame {
                code: CLOSE_GOING_AWAY,
                reason: Utf8Bytes::from_static(options.close_reason),
            }));
            let _ = send_one(&mut tx, close).await;
        }
        End::SessionEnded => {
            let close = Message::Close(Some(CloseFrame {
                code: CLOSE_SESSION_ENDED,
                reason: Utf8Bytes::from_static("session expired or revoked"),
            }));
            let _ = send_one(&mut tx, close).await;
        }
        End::Stuck => tracing::debug!("live stream client too slow to write to; disconnected"),
        End::Peer => {}
    }
}

async fn write_batch<S>(tx: &mut S, events: &[SharedEvent], payload: bool) -> bool
where
    S: SinkExt<Message> + Unpin,
{
    let write = async {
        for event in events {
            let frame = Message::Text(event.event.to_json(payload).into());
            if tx.feed(frame).await.is_err() {
                return false;
            }
        }
        tx.flush().await.is_ok()
    };
    tokio::time::timeout(WRITE_TIMEOUT, write)
        .await
        .unwrap_or(false)
}

async fn send_one<S>(tx: &mut S, message: Message) -> bool
where
    S: SinkExt<Message> + Unpin,
{
    matches!(
        tokio::time::timeout(WRITE_TIMEOUT, tx.send(message)).await,
        Ok(Ok(()))
    )
}
