//! The live broker: a ring buffer of recent events for history replay, and up to `max_subscribers`
//! subscribers, each with a bounded queue and a token-bucket rate limit (reference
//! `docs/hep-and-live-stream.md` §4.3, with the §4.9 defects fixed).
//!
//! [`Broker::publish`] never blocks and never waits on a subscriber: it takes one short lock to append to
//! the ring and snapshot the subscriber list, then `try_send`s to each matching subscriber. A full queue or
//! an empty bucket drops the event for that subscriber only; drops are counted per subscriber and in total,
//! by cause. History and live never overlap or leave a gap: a subscription is registered under the same lock
//! that appends to the ring.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use serde::Serialize;
use tokio::sync::mpsc::{self, error::TrySendError};

use super::config::BrokerConfig;
use super::event::SharedEvent;
use super::filter::StreamFilter;

/// Why a subscription was refused.
#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
pub enum SubscribeError {
    /// The node already serves `max` subscribers.
    #[error("the live stream already has its maximum of {max} subscribers; try again later")]
    TooManySubscribers {
        /// The configured cap.
        max: usize,
    },
    /// The broker is shutting down.
    #[error("the live stream is shutting down")]
    Closed,
}

/// Totals since the broker started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BrokerStats {
    /// Events published.
    pub published: u64,
    /// Event copies queued to subscribers.
    pub delivered: u64,
    /// Events pushed out of a full ring buffer (no longer available for history).
    pub dropped_ring_overflow: u64,
    /// Events dropped because a subscriber's queue was full.
    pub dropped_backpressure: u64,
    /// Events dropped by a subscriber's rate limit.
    pub dropped_rate: u64,
    /// Current subscribers.
    pub subscribers: usize,
    /// Events in the ring buffer now.
    pub buffered: usize,
    /// Their bytes ([`crate::live::StreamEvent::approx_bytes`]), at most `buffer_bytes`.
    pub buffered_bytes: usize,
}

/// One subscriber's counts, also sent to clients that ask for `stats=1`: the wire type of the stats
/// frame, so what the browser reads is what the broker counts.
pub use hepscope_core::live::StreamStats as SubscriberStats;

#[derive(Default)]
struct SubscriberCounters {
    delivered: AtomicU64,
    dropped_backpressure: AtomicU64,
    dropped_rate: AtomicU64,
}

impl SubscriberCounters {
    fn snapshot(&self) -> SubscriberStats {
        SubscriberStats {
            delivered: self.delivered.load(Ordering::Relaxed),
            dropped_backpressure: self.dropped_backpressure.load(Ordering::Relaxed),
            dropped_rate: self.dropped_rate.load(Ordering::Relaxed),
        }
    }
}

/// A token bucket holding at most one second's worth of events; starts full.
struct TokenBucket {
    /// Events per second; 0 = unlimited.
    rate: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    fn new(rate_pps: u32, now: Instant) -> Self {
        let rate = f64::from(rate_pps);
        TokenBucket {
            rate,
            tokens: rate,
            last: now,
        }
    }

    fn take(&mut self, now: Instant) -> bool {
        if self.rate <= 0.0 {
            return true;
        }
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now.max(self.last);
        self.tokens = (self.tokens + elapsed * self.rate).min(self.rate);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// A registered subscriber as the publisher sees it.
struct Subscriber {
    id: u64,
    slot: usize,
    filter: StreamFilter,
    tx: mpsc::Sender<SharedEvent>,
    bucket: Mutex<TokenBucket>,
    counters: Arc<SubscriberCounters>,
}

struct Inner {
    /// Oldest first; at most `config.buffer_size` events and `config.buffer_bytes` bytes.
    ring: VecDeque<SharedEvent>,
    /// The bytes of the events in `ring`.
    ring_bytes: usize,
    /// Copy-on-write so a publisher can snapshot it with one `Arc` clone.
    subscribers: Arc<Vec<Arc<Subscriber>>>,
    closed: bool,
}

#[derive(Default)]
struct Totals {
    published: AtomicU64,
    delivered: AtomicU64,
    dropped_ring_overflow: AtomicU64,
    dropped_backpressure: AtomicU64,
    dropped_rate: AtomicU64,
}

/// The broker; share it as `Arc<Broker>`.
pub struct Broker {
    config: BrokerConfig,
    inner: Mutex<Inner>,
    next_id: AtomicU64,
    totals: Totals,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves plain data behind (a ring, a list); keep serving.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Broker {
    /// A broker with the given sizes.
    pub fn new(config: BrokerConfig) -> Arc<Broker> {
        Arc::new(Broker {
            inner: Mutex::new(Inner {
                ring: VecDeque::with_capacity(config.buffer_size.min(1 << 16)),
                ring_bytes: 0,
                subscribers: Arc::new(Vec::new()),
                closed: false,
            }),
            config,
            next_id: AtomicU64::new(1),
            totals: Totals::default(),
        })
    }

    /// The broker's sizes and limits.
    pub fn config(&self) -> &BrokerConfig {
        &self.config
    }

    /// True when nobody listens and nothing is kept, so building an event would be wasted work.
    pub fn is_idle(&self) -> bool {
        self.config.buffer_size == 0 && lock(&self.inner).subscribers.is_empty()
    }

    /// Publishes one event: into the ring, then to each matching subscriber that has room and tokens.
    /// Never blocks on a subscriber.
    pub fn publish(&self, event: SharedEvent) {
        let subscribers = {
            let mut inner = lock(&self.inner);
            if inner.closed {
                return;
            }
            self.totals.published.fetch_add(1, Ordering::Relaxed);
            if self.config.buffer_size > 0 {
                self.keep(&mut inner, &event);
            }
            Arc::clone(&inner.subscribers)
        };
        if subscribers.is_empty() {
            return;
        }
        let limited = self.config.rate_per_sub_pps > 0;
        let now = Instant::now();
        let (mut delivered, mut full, mut limited_out) = (0, 0, 0);
        for sub in subscribers.iter() {
            if !sub.filter.matches(&event) {
                continue;
            }
            if limited && !lock(&sub.bucket).take(now) {
                sub.counters.dropped_rate.fetch_add(1, Ordering::Relaxed);
                limited_out += 1;
                continue;
            }
            match sub.tx.try_send(Arc::clone(&event)) {
                Ok(()) => {
                    sub.counters.delivered.fetch_add(1, Ordering::Relaxed);
                    delivered += 1;
                }
                Err(TrySendError::Full(_)) => {
                    sub.counters
                        .dropped_backpressure
                        .fetch_add(1, Ordering::Relaxed);
                    full += 1;
                }
                // The subscription is being dropped; it unregisters itself.
                Err(TrySendError::Closed(_)) => {}
            }
        }
        // One update of each shared total per event, not one per subscriber.
        for (total, n) in [
            (&self.totals.delivered, delivered),
            (&self.totals.dropped_backpressure, full),
            (&self.totals.dropped_rate, limited_out),
        ] {
            if n > 0 {
                total.fetch_add(n, Ordering::Relaxed);
            }
        }
    }

    /// Appends `event` to the ring, then pushes the oldest events out until it holds at most
    /// `buffer_size` events and `buffer_bytes` bytes (an event larger than that is not kept).
    fn keep(&self, inner: &mut Inner, event: &SharedEvent) {
        let bytes = event.approx_bytes();
        if bytes > self.config.buffer_bytes {
            self.totals
                .dropped_ring_overflow
                .fetch_add(1, Ordering::Relaxed);
            return;
        }
        inner.ring_bytes += bytes;
        inner.ring.push_back(Arc::clone(event));
        let mut overflow = 0;
        while inner.ring.len() > self.config.buffer_size
            || inner.ring_bytes > self.config.buffer_bytes
        {
            let Some(oldest) = inner.ring.pop_front() else {
                break;
            };
            inner.ring_bytes = inner.ring_bytes.saturating_sub(oldest.approx_bytes());
            overflow += 1;
        }
        if overflow > 0 {
            self.totals
                .dropped_ring_overflow
                .fetch_add(overflow, Ordering::Relaxed);
        }
    }

    /// Registers a subscriber and returns it with up to `history` buffered events that match `filter`
    /// (the newest ones, oldest first). Events published afterwards arrive through the subscription; none is
    /// in both and none is missed.
    ///
    /// # Errors
    /// [`SubscribeError::TooManySubscribers`] at the cap, [`SubscribeError::Closed`] after [`Broker::close`].
    pub fn subscribe(
        self: &Arc<Self>,
        filter: StreamFilter,
        history: usize,
    ) -> Result<Subscription, SubscribeError> {
        let (tx, rx) = mpsc::channel(self.config.per_sub_queue_len.max(1));
        let counters = Arc::new(SubscriberCounters::default());
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut inner = lock(&self.inner);
        if inner.closed {
            return Err(SubscribeError::Closed);
        }
        if inner.subscribers.len() >= self.config.max_subscribers {
            return Err(SubscribeError::TooManySubscribers {
                max: self.config.max_subscribers,
            });
        }
        let slot = (0..)
            .find(|s| inner.subscribers.iter().all(|sub| sub.slot != *s))
            .unwrap_or_default();
        let mut replay: Vec<SharedEvent> = Vec::new();
        if history > 0 {
            replay = inner
                .ring
                .iter()
                .rev()
                .filter(|e| filter.matches(e))
                .take(history)
                .cloned()
                .collect();
            replay.reverse();
        }
        let mut subscribers = Vec::clone(&inner.subscribers);
        subscribers.push(Arc::new(Subscriber {
            id,
            slot,
            filter,
            tx,
            bucket: Mutex::new(TokenBucket::new(
                self.config.rate_per_sub_pps,
                Instant::now(),
            )),
            counters: Arc::clone(&counters),
        }));
        inner.subscribers = Arc::new(subscribers);
        drop(inner);
        Ok(Subscription {
            id,
            slot,
            rx,
            counters,
            broker: Arc::clone(self),
            history: replay,
        })
    }

    fn unsubscribe(&self, id: u64) {
        let mut inner = lock(&self.inner);
        if inner.subscribers.iter().any(|s| s.id == id) {
            let rest: Vec<_> = inner
                .subscribers
                .iter()
                .filter(|s| s.id != id)
                .cloned()
                .collect();
            inner.subscribers = Arc::new(rest);
        }
    }

    /// Stops the broker: refuses new subscribers and publishes, and ends every subscription (its queue is
    /// drained first, then `recv` returns `None`).
    pub fn close(&self) {
        let mut inner = lock(&self.inner);
        inner.closed = true;
        inner.subscribers = Arc::new(Vec::new());
    }

    /// Totals since start.
    pub fn stats(&self) -> BrokerStats {
        let (subscribers, buffered, buffered_bytes) = {
            let inner = lock(&self.inner);
            (inner.subscribers.len(), inner.ring.len(), inner.ring_bytes)
        };
        BrokerStats {
            published: self.totals.published.load(Ordering::Relaxed),
            delivered: self.totals.delivered.load(Ordering::Relaxed),
            dropped_ring_overflow: self.totals.dropped_ring_overflow.load(Ordering::Relaxed),
            dropped_backpressure: self.totals.dropped_backpressure.load(Ordering::Relaxed),
            dropped_rate: self.totals.dropped_rate.load(Ordering::Relaxed),
            subscribers,
            buffered,
            buffered_bytes,
        }
    }

    /// Writes the counters to the `metrics` recorder (for `/metrics`): totals, and per subscriber slot
    /// (`slot` 0..max_subscribers, reused as subscribers come and go) its current drops.
    pub fn export_metrics(&self) {
        let stats = self.stats();
        metrics::counter!("hepscope_live_published_total").absolute(stats.published);
        metrics::counter!("hepscope_live_delivered_total").absolute(stats.delivered);
        for (cause, value) in [
            ("ring_overflow", stats.dropped_ring_overflow),
            ("backpressure", stats.dropped_backpressure),
            ("rate", stats.dropped_rate),
        ] {
            metrics::counter!("hepscope_live_dropped_total", "cause" => cause).absolute(value);
        }
        #[allow(clippy::cast_precision_loss)]
        metrics::gauge!("hepscope_live_subscribers").set(stats.subscribers as f64);
        let subscribers = Arc::clone(&lock(&self.inner).subscribers);
        for slot in 0..self.config.max_subscribers {
            let counts = subscribers
                .iter()
                .find(|s| s.slot == slot)
                .map(|s| s.counters.snapshot())
                .unwrap_or_default();
            let slot = slot.to_string();
            for (cause, value) in [
                ("backpressure", counts.dropped_backpressure),
                ("rate", counts.dropped_rate),
            ] {
                #[allow(clippy::cast_precision_loss)]
                metrics::gauge!("hepscope_live_subscriber_dropped", "slot" => slot.clone(), "cause" => cause)
                    .set(value as f64);
            }
        }
    }
}

/// A live subscription; dropping it unregisters the subscriber.
pub struct Subscription {
    id: u64,
    slot: usize,
    rx: mpsc::Receiver<SharedEvent>,
    counters: Arc<SubscriberCounters>,
    broker: Arc<Broker>,
    history: Vec<SharedEvent>,
}

impl Subscription {
    /// The replay taken at subscribe time (oldest first); empty after the first call.
    pub fn take_history(&mut self) -> Vec<SharedEvent> {
        std::mem::take(&mut self.history)
    }

    /// The next live event; `None` once the broker is closed and the queue is empty.
    pub async fn recv(&mut self) -> Option<SharedEvent> {
        self.rx.recv().await
    }

    /// The next queued event without waiting.
    pub fn try_recv(&mut self) -> Option<SharedEvent> {
        self.rx.try_recv().ok()
    }

    /// This subscriber's counts so far.
    pub fn stats(&self) -> SubscriberStats {
        self.counters.snapshot()
    }

    /// The metrics slot (0..max_subscribers) this subscriber occupies.
    pub fn slot(&self) -> usize {
        self.slot
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.broker.unsubscribe(self.id);
    }
}

#[cfg(test)]
mod tests;
