//! The live HEP stream, homer-core compatible (reference `docs/hep-and-live-stream.md` §4): a [`Broker`] on the
//! ingest path, the node endpoint `GET /stream`, the session-protected `GET /api/v4/stream/hep`, and fan-in
//! from upstream nodes ([`fanin`]).
//!
//! # Endpoints
//!
//! - `GET /stream` on its own listener (`[ingest.hep_stream] listen`, `--stream-listen`, default
//!   `127.0.0.1:8083`), no auth: for coordinators and trusted tools only, so keep it on a private address.
//!   It serves only events this process captured (never relayed ones, so nodes relaying each other cannot
//!   loop) and `history` is capped at 2000.
//! - `GET /api/v4/stream/hep` on the main port. Needs a session: the `hepscope_session` cookie,
//!   `Authorization: Bearer <token>`, or `?access_token=<token>` (browsers cannot set headers on a
//!   WebSocket). When the request has an `Origin` header, its host must equal `Host` (403 otherwise).
//!   `history` is capped at `[coordinator.hep_stream] history_limit` (200). 503 when
//!   `[coordinator.hep_stream] enable` is false.
//!
//! Both answer 503 with a JSON `{"error": …}` body, before the upgrade, when the stream is off or the node
//! already has `max_subscribers` (32) subscribers.
//!
//! # Query parameters (both endpoints)
//!
//! | key | meaning |
//! | --- | --- |
//! | `proto=N` | HEP proto id (1 SIP, 5 RTCP, 100 log, …); repeatable, OR |
//! | `method=X` | SIP CSeq method, case-insensitive; repeatable, OR; non-SIP events pass; SIP without parsed fields fails |
//! | `only_requests=1` | drop SIP responses |
//! | `include_payload=1` | ask for payloads: sent only if `allow_payload` is true **and** the user is an admin (on `/stream`: if `allow_payload`); otherwise silently left out |
//! | `history=N` | replay up to N buffered matching events first (oldest first); absent or 0 = none. No event is both replayed and sent live |
//! | `stats=1` | hepscope extension: once a second, when changed, a `{"stats":{"delivered":…,"dropped_backpressure":…,"dropped_rate":…}}` frame |
//!
//! Truthy values are `1 t true y yes on`. Unknown keys and bad values are ignored.
//!
//! # Frames
//!
//! One WebSocket text message per event, a JSON object:
//!
//! ```text
//! {"ts":1700000123456,"proto":1,"src_ip":"10.0.0.5","src_port":5060,"dst_ip":"10.0.0.9","dst_port":5060,
//!  "node_id":2001,"sip":{"method":"INVITE","resp_code":"200","resp_text":"OK","callid":"…","cseq":"1 INVITE",
//!  "from_user":"1001","to_user":"2002","ruri_user":"2002"},"payload":"INVITE sip:…"}
//! ```
//!
//! `ts` (capture time, ms since the epoch) and `proto` are always there. Every other field, and every `sip`
//! subfield, is left out when empty or zero, never `null`. `sip` only for SIP that parsed; `sip.method` is the
//! CSeq method (a `200` to an INVITE says `INVITE`) and `resp_code` is a string, empty (absent) for requests.
//! Clients tell a stats frame by its `stats` key. Per subscriber, at most `per_sub_queue_len` (256) events
//! wait and at most `rate_per_sub_pps` (500) per second are sent; the rest are dropped for that subscriber and
//! counted (`/metrics`: `hepscope_live_dropped_total{cause}`, `hepscope_live_subscriber_dropped{slot,cause}`).
//! The server pings every 30 s; a frame not written within 5 s ends the connection; when the broker stops,
//! it closes with 1001.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

pub mod broker;
pub mod config;
pub mod endpoints;
pub mod event;
pub mod fanin;
pub mod filter;
mod runtime;
mod socket;
pub mod summarize;

use std::sync::Arc;

pub use broker::{Broker, BrokerStats, SubscribeError, SubscriberStats, Subscription};
pub use config::{BrokerConfig, CoordinatorStreamConfig, IngestStreamConfig, LiveConfig};
pub use event::{Origin, RelayError, SharedEvent, StreamEvent, Summarizer};
pub use filter::{StreamFilter, StreamRequest};
pub use hepscope_core::live::{LiveEvent, LiveSip, PROTO_SIP};
pub use runtime::LiveRuntime;

use crate::hep::HepPacket;
use crate::ingest::PacketSink;

/// The payload policy: sent only when the client asks, the server allows it, and the user is an admin.
pub fn payload_allowed(client_asks: bool, allow_payload: bool, admin: bool) -> bool {
    client_asks && allow_payload && admin
}

/// Feeds decoded packets to a broker, summarising SIP with the configured hook.
pub struct BrokerSink {
    broker: Arc<Broker>,
    summarize: Option<Summarizer>,
}

impl BrokerSink {
    /// A sink for `broker`. Without `summarize`, SIP events carry no `sip` block (and fail `method`
    /// filters).
    pub fn new(broker: Arc<Broker>, summarize: Option<Summarizer>) -> Self {
        BrokerSink { broker, summarize }
    }
}

impl PacketSink for BrokerSink {
    fn accept(&self, packet: &Arc<HepPacket>, received_at_us: i64) {
        if self.broker.is_idle() {
            return;
        }
        let event = StreamEvent::from_packet(packet, received_at_us, self.summarize);
        self.broker.publish(Arc::new(event));
    }
}

/// Every logged-in user's place on the live stream is taken: a 503.
#[derive(Debug, thiserror::Error)]
#[error("too many live stream subscribers ([ingest.hep_stream] max_subscribers)")]
pub struct StreamFull;

impl axum::response::IntoResponse for StreamFull {
    fn into_response(self) -> axum::response::Response {
        metrics::counter!("hepscope_live_refused_total").increment(1);
        crate::error::json_error(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            self.to_string(),
        )
    }
}

/// What the main router's stream endpoint needs; part of `AppState`.
#[derive(Clone)]
pub struct LiveState {
    broker: Option<Arc<Broker>>,
    coordinator: Arc<CoordinatorStreamConfig>,
    /// Logged-in users' places when the broker also serves the node endpoint (see [`Self::with_user_cap`]).
    user_slots: Option<Arc<tokio::sync::Semaphore>>,
}

impl LiveState {
    /// The stream is off: the endpoint answers 503.
    pub fn disabled() -> Self {
        LiveState {
            broker: None,
            coordinator: Arc::new(CoordinatorStreamConfig::default()),
            user_slots: None,
        }
    }

    /// The endpoint reads `broker` under the `coordinator` settings.
    pub fn new(broker: Option<Arc<Broker>>, coordinator: CoordinatorStreamConfig) -> Self {
        LiveState {
            broker,
            coordinator: Arc::new(coordinator),
            user_slots: None,
        }
    }

    /// Caps logged-in users' streams at `max` on their own, for a broker whose capacity also holds the
    /// node endpoint's subscribers: neither side can take the other's places.
    pub fn with_user_cap(mut self, max: usize) -> Self {
        self.user_slots = Some(Arc::new(tokio::sync::Semaphore::new(max.max(1))));
        self
    }

    /// A logged-in user's place, held for the life of the socket.
    ///
    /// # Errors
    /// [`StreamFull`] when all are taken.
    pub fn user_slot(&self) -> Result<Option<tokio::sync::OwnedSemaphorePermit>, StreamFull> {
        let Some(slots) = &self.user_slots else {
            return Ok(None);
        };
        Arc::clone(slots)
            .try_acquire_owned()
            .map(Some)
            .map_err(|_| StreamFull)
    }

    /// The broker, when the stream runs.
    pub fn broker(&self) -> Option<&Arc<Broker>> {
        self.broker.as_ref()
    }

    /// The `[coordinator.hep_stream]` settings.
    pub fn coordinator(&self) -> &CoordinatorStreamConfig {
        &self.coordinator
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_policy_needs_all_three() {
        for asks in [false, true] {
            for allow in [false, true] {
                for admin in [false, true] {
                    assert_eq!(payload_allowed(asks, allow, admin), asks && allow && admin);
                }
            }
        }
        assert!(payload_allowed(true, true, true));
        assert!(!payload_allowed(true, true, false));
    }
}
