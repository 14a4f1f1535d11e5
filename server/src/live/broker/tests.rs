//! Broker behaviour: cap, history, ring overflow, backpressure and rate drops, slow subscribers.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::*;
use crate::live::event::StreamEvent;
use hepscope_core::live::{LiveEvent, LiveSip, PROTO_SIP};

fn event(n: i64, proto: u8) -> SharedEvent {
    Arc::new(StreamEvent::local(LiveEvent {
        ts: n,
        proto,
        src_ip: "10.0.0.1".into(),
        src_port: Some(5060),
        dst_ip: "10.0.0.2".into(),
        dst_port: Some(5060),
        node_id: None,
        sip: (proto == PROTO_SIP).then(|| LiveSip {
            method: "INVITE".into(),
            ..LiveSip::default()
        }),
        payload: None,
    }))
}

fn config(buffer_size: usize, max_subscribers: usize, queue: usize, rate: u32) -> BrokerConfig {
    BrokerConfig {
        buffer_size,
        buffer_bytes: usize::MAX,
        max_subscribers,
        per_sub_queue_len: queue,
        rate_per_sub_pps: rate,
    }
}

fn drain(sub: &mut Subscription) -> Vec<i64> {
    std::iter::from_fn(|| sub.try_recv())
        .map(|e| e.event.ts)
        .collect()
}

#[test]
fn subscriber_past_the_cap_is_refused_until_one_leaves() {
    let broker = Broker::new(config(10, 2, 4, 0));
    let a = broker.subscribe(StreamFilter::default(), 0).unwrap();
    let _b = broker.subscribe(StreamFilter::default(), 0).unwrap();
    let err = broker.subscribe(StreamFilter::default(), 0).err().unwrap();
    assert_eq!(err, SubscribeError::TooManySubscribers { max: 2 });
    assert!(err.to_string().contains("maximum of 2"));
    drop(a);
    let c = broker.subscribe(StreamFilter::default(), 0).unwrap();
    assert_eq!(c.slot(), 0, "the freed slot is reused");
}

#[test]
fn history_replays_the_newest_matching_events_oldest_first() {
    let broker = Broker::new(config(100, 4, 4, 0));
    for n in 0..10 {
        broker.publish(event(n, if n % 2 == 0 { PROTO_SIP } else { 5 }));
    }
    let filter = StreamFilter {
        protos: vec![PROTO_SIP],
        ..StreamFilter::default()
    };
    let mut sub = broker.subscribe(filter, 3).unwrap();
    let replay: Vec<i64> = sub.take_history().iter().map(|e| e.event.ts).collect();
    assert_eq!(replay, vec![4, 6, 8]);
    assert!(sub.take_history().is_empty());
    let mut none = broker.subscribe(StreamFilter::default(), 0).unwrap();
    assert!(none.take_history().is_empty(), "history=0 means no replay");
}

#[test]
fn history_and_live_neither_overlap_nor_leave_a_gap() {
    let broker = Broker::new(config(100, 4, 100, 0));
    broker.publish(event(1, 5));
    let mut sub = broker.subscribe(StreamFilter::default(), 10).unwrap();
    broker.publish(event(2, 5));
    let replay: Vec<i64> = sub.take_history().iter().map(|e| e.event.ts).collect();
    assert_eq!(replay, vec![1]);
    assert_eq!(drain(&mut sub), vec![2]);
}

#[test]
fn full_ring_drops_the_oldest_and_counts_it() {
    let broker = Broker::new(config(3, 4, 4, 0));
    for n in 0..5 {
        broker.publish(event(n, 5));
    }
    let stats = broker.stats();
    assert_eq!(
        (stats.buffered, stats.dropped_ring_overflow, stats.published),
        (3, 2, 5)
    );
    let mut sub = broker.subscribe(StreamFilter::default(), 10).unwrap();
    let replay: Vec<i64> = sub.take_history().iter().map(|e| e.event.ts).collect();
    assert_eq!(replay, vec![2, 3, 4]);
}

#[test]
fn the_ring_holds_at_most_buffer_bytes_dropping_the_oldest() {
    let big = |n: i64| {
        let mut e = StreamEvent::clone(&event(n, 5));
        e.event.payload = Some("x".repeat(60 * 1024));
        Arc::new(e)
    };
    let one = big(0).approx_bytes();
    let mut c = config(10_000, 4, 4, 0);
    c.buffer_bytes = 3 * one + one / 2;
    let broker = Broker::new(c);
    for n in 0..10 {
        broker.publish(big(n));
    }
    let stats = broker.stats();
    assert_eq!(
        (stats.buffered, stats.dropped_ring_overflow),
        (3, 7),
        "far below buffer_size, the bytes bound the ring"
    );
    assert_eq!(stats.buffered_bytes, 3 * one);
    let mut sub = broker.subscribe(StreamFilter::default(), 100).unwrap();
    let replay: Vec<i64> = sub.take_history().iter().map(|e| e.event.ts).collect();
    assert_eq!(replay, vec![7, 8, 9]);
    // An event larger than the whole bound is not kept, and pushes nothing out.
    let mut huge = StreamEvent::clone(&event(10, 5));
    huge.event.payload = Some("x".repeat(4 * one));
    broker.publish(Arc::new(huge));
    let stats = broker.stats();
    assert_eq!((stats.buffered, stats.dropped_ring_overflow), (3, 8));
}

#[test]
fn zero_buffer_keeps_no_history() {
    let broker = Broker::new(config(0, 4, 4, 0));
    broker.publish(event(1, 5));
    assert!(broker.is_idle());
    let mut sub = broker.subscribe(StreamFilter::default(), 10).unwrap();
    assert!(sub.take_history().is_empty());
    assert_eq!(broker.stats().dropped_ring_overflow, 0);
}

#[test]
fn full_queue_drops_for_that_subscriber_only() {
    let broker = Broker::new(config(0, 4, 2, 0));
    let mut slow = broker.subscribe(StreamFilter::default(), 0).unwrap();
    let mut fast = broker.subscribe(StreamFilter::default(), 0).unwrap();
    let mut got = Vec::new();
    for n in 0..10 {
        broker.publish(event(n, 5));
        got.extend(drain(&mut fast));
    }
    assert_eq!(got, (0..10).collect::<Vec<_>>());
    assert_eq!(drain(&mut slow), vec![0, 1]);
    assert_eq!(
        slow.stats(),
        SubscriberStats {
            delivered: 2,
            dropped_backpressure: 8,
            dropped_rate: 0
        }
    );
    assert_eq!(fast.stats().dropped_backpressure, 0);
    assert_eq!(broker.stats().dropped_backpressure, 8);
}

#[test]
fn rate_limit_drops_beyond_the_burst_and_refills_over_time() {
    let start = Instant::now();
    let mut bucket = TokenBucket::new(3, start);
    let taken = (0..5).filter(|_| bucket.take(start)).count();
    assert_eq!(taken, 3, "starts with one second of tokens");
    assert!(!bucket.take(start + Duration::from_millis(100)));
    assert!(
        bucket.take(start + Duration::from_millis(400)),
        "a third of a second buys one token"
    );
    let later = start + Duration::from_secs(10);
    assert_eq!(
        (0..10).filter(|_| bucket.take(later)).count(),
        3,
        "burst is capped at one second"
    );
    let mut unlimited = TokenBucket::new(0, start);
    assert!((0..10_000).all(|_| unlimited.take(start)));
}

#[test]
fn rate_drops_are_counted_per_subscriber_and_in_total() {
    let broker = Broker::new(config(0, 4, 100, 5));
    let mut limited = broker.subscribe(StreamFilter::default(), 0).unwrap();
    for n in 0..20 {
        broker.publish(event(n, 5));
    }
    assert_eq!(drain(&mut limited).len(), 5);
    assert_eq!(limited.stats().dropped_rate, 15);
    assert_eq!(broker.stats().dropped_rate, 15);
}

#[test]
fn filtered_events_take_no_queue_space() {
    let broker = Broker::new(config(0, 4, 1, 0));
    let filter = StreamFilter {
        protos: vec![100],
        ..StreamFilter::default()
    };
    let mut sub = broker.subscribe(filter, 0).unwrap();
    for n in 0..5 {
        broker.publish(event(n, 5));
    }
    broker.publish(event(9, 100));
    assert_eq!(drain(&mut sub), vec![9]);
    assert_eq!(sub.stats().dropped_backpressure, 0);
}

#[test]
fn publishing_stays_fast_with_a_never_reading_subscriber() {
    let broker = Broker::new(config(1000, 32, 256, 0));
    let _stuck: Vec<Subscription> = (0..31)
        .map(|_| broker.subscribe(StreamFilter::default(), 0).unwrap())
        .collect();
    let started = Instant::now();
    for n in 0..50_000 {
        broker.publish(event(n, 5));
    }
    // 50k events to 31 stuck queues must not wait on anyone; generous bound for a loaded debug build.
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(broker.stats().dropped_backpressure, 31 * (50_000 - 256));
}

#[tokio::test]
async fn close_ends_subscriptions_after_their_queue_and_refuses_new_ones() {
    let broker = Broker::new(config(10, 4, 10, 0));
    let mut sub = broker.subscribe(StreamFilter::default(), 0).unwrap();
    broker.publish(event(1, 5));
    broker.close();
    broker.publish(event(2, 5));
    assert_eq!(sub.recv().await.map(|e| e.event.ts), Some(1));
    assert!(sub.recv().await.is_none());
    assert_eq!(
        broker.subscribe(StreamFilter::default(), 0).err(),
        Some(SubscribeError::Closed)
    );
}
