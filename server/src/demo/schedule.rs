//! The generator's timetable: when the next call and OPTIONS keepalive start, and the queue of packets
//! waiting for their send time. Times are µs since the epoch; the caller supplies "now".
//!
//! Pure: no clock reads, no sockets. The generator loop drives it.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use app::domain::fixture::{Packet, Rng};

use super::scenario::ScenarioSource;
use super::{HepTransport, Lane, RateUnit};

/// Interval between OPTIONS keepalives, µs.
const OPTIONS_INTERVAL_US: i64 = 30_000_000;

/// One packet waiting for its time. Ordered by time, then by insertion (so equal times keep order).
#[derive(Debug)]
struct Queued {
    ts_us: i64,
    seq: u64,
    lane: Lane,
    packet: Packet,
}

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        (self.ts_us, self.seq) == (other.ts_us, other.seq)
    }
}
impl Eq for Queued {}
impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Queued {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.ts_us, self.seq).cmp(&(other.ts_us, other.seq))
    }
}

/// Plans scenarios at the configured rate and queues their packets by time.
#[derive(Debug)]
pub struct Schedule {
    source: ScenarioSource,
    rng: Rng,
    rate: f64,
    unit: RateUnit,
    transport: HepTransport,
    /// Start of the next call scenario, µs.
    next_call_us: i64,
    /// Start of the next OPTIONS keepalive, µs.
    next_options_us: i64,
    /// Calls planned so far (picks the lane when alternating).
    calls: u64,
    seq: u64,
    queue: BinaryHeap<Reverse<Queued>>,
}

impl Schedule {
    /// A timetable whose first call and keepalive start at `start_us` (in the past for a backfill).
    /// `rate` must be positive and finite (the config checks it).
    pub fn new(
        source: ScenarioSource,
        seed: u64,
        rate: f64,
        unit: RateUnit,
        transport: HepTransport,
        start_us: i64,
    ) -> Self {
        Schedule {
            source,
            rng: Rng::new(seed ^ 0x5ced_u64),
            rate,
            unit,
            transport,
            next_call_us: start_us,
            next_options_us: start_us,
            calls: 0,
            seq: 0,
            queue: BinaryHeap::new(),
        }
    }

    /// Plans every scenario that starts at or before `now_us` and queues its packets.
    pub fn plan_until(&mut self, now_us: i64) {
        while self.next_call_us <= now_us {
            let start = self.next_call_us;
            let scenario = self.source.next_call(start);
            let lane = match self.transport {
                HepTransport::Udp => Lane::Udp,
                HepTransport::Tcp => Lane::Tcp,
                HepTransport::Both if self.calls.is_multiple_of(2) => Lane::Udp,
                HepTransport::Both => Lane::Tcp,
            };
            self.calls += 1;
            let packets = scenario.packets.len();
            self.queue_all(scenario.packets, lane);
            self.next_call_us = start + self.gap_us(packets);
        }
        while self.next_options_us <= now_us {
            let packets = self.source.options(self.next_options_us);
            let lane = match self.transport {
                HepTransport::Tcp => Lane::Tcp,
                HepTransport::Udp | HepTransport::Both => Lane::Udp,
            };
            self.queue_all(packets, lane);
            self.next_options_us += OPTIONS_INTERVAL_US;
        }
    }

    /// The earliest time something happens next: a queued packet's time or a scenario's start.
    pub fn next_event_us(&self) -> i64 {
        let next_start = self.next_call_us.min(self.next_options_us);
        self.queue
            .peek()
            .map_or(next_start, |Reverse(q)| q.ts_us.min(next_start))
    }

    /// Takes the earliest queued packet if its time is at or before `now_us`.
    pub fn pop_due(&mut self, now_us: i64) -> Option<(Lane, Packet)> {
        if self
            .queue
            .peek()
            .is_some_and(|Reverse(q)| q.ts_us <= now_us)
        {
            self.queue.pop().map(|Reverse(q)| (q.lane, q.packet))
        } else {
            None
        }
    }

    /// Packets queued and not yet taken.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    fn queue_all(&mut self, packets: Vec<Packet>, lane: Lane) {
        for packet in packets {
            self.seq += 1;
            self.queue.push(Reverse(Queued {
                ts_us: packet.ts_us,
                seq: self.seq,
                lane,
                packet,
            }));
        }
    }

    /// Time to the next call start: the mean interval for the rate, times a factor from 0.5 to 1.5.
    /// In packets per second, a scenario of `packets` packets buys `packets / rate` seconds.
    fn gap_us(&mut self, packets: usize) -> i64 {
        let per_second = match self.unit {
            RateUnit::CallsPerSecond => self.rate,
            RateUnit::PacketsPerSecond => self.rate / (packets.max(1) as f64),
        };
        let mean_us = 1e6 / per_second;
        let factor = 0.5 + self.rng.below(1_001) as f64 / 1_000.0;
        // Never 0, so a huge rate cannot spin planning forever within one instant.
        ((mean_us * factor) as i64).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const START: i64 = 1_700_000_000_000_000;

    fn schedule(rate: f64, unit: RateUnit, transport: HepTransport) -> Schedule {
        Schedule::new(
            ScenarioSource::new(1, 100, 60_000_000),
            1,
            rate,
            unit,
            transport,
            START,
        )
    }

    fn drain(s: &mut Schedule, now: i64) -> Vec<(Lane, Packet)> {
        std::iter::from_fn(|| s.pop_due(now)).collect()
    }

    #[test]
    fn calls_per_second_plans_about_rate_times_span_calls() {
        let mut s = schedule(2.0, RateUnit::CallsPerSecond, HepTransport::Udp);
        s.plan_until(START + 100_000_000);
        assert!((180..=220).contains(&s.calls), "{}", s.calls);
    }

    #[test]
    fn packets_per_second_is_respected_over_a_long_span() {
        let mut s = schedule(50.0, RateUnit::PacketsPerSecond, HepTransport::Udp);
        let span = 2_000_000_000; // the long call is squeezed into the first minute
        s.plan_until(START + span);
        let sent = drain(&mut s, START + span).len() + s.queued();
        let expected = 50 * span as usize / 1_000_000;
        assert!(
            sent > expected * 8 / 10 && sent < expected * 12 / 10,
            "{sent} vs {expected}"
        );
    }

    #[test]
    fn pop_due_returns_packets_in_time_order_and_holds_later_ones() {
        let mut s = schedule(1.0, RateUnit::CallsPerSecond, HepTransport::Udp);
        s.plan_until(START + 10_000_000);
        let due = drain(&mut s, START + 10_000_000);
        assert!(!due.is_empty());
        assert!(due.windows(2).all(|w| w[0].1.ts_us <= w[1].1.ts_us));
        assert!(due.iter().all(|(_, p)| p.ts_us <= START + 10_000_000));
        assert!(s.next_event_us() > START + 10_000_000);
    }

    #[test]
    fn both_transports_alternate_calls_between_lanes() {
        let mut s = schedule(1.0, RateUnit::CallsPerSecond, HepTransport::Both);
        s.plan_until(START + 600_000_000);
        let lanes: Vec<Lane> = drain(&mut s, i64::MAX)
            .into_iter()
            .map(|(l, _)| l)
            .collect();
        assert!(lanes.contains(&Lane::Udp) && lanes.contains(&Lane::Tcp));
    }

    #[test]
    fn options_keepalive_every_thirty_seconds() {
        let mut s = schedule(0.001, RateUnit::CallsPerSecond, HepTransport::Udp);
        s.plan_until(START + 89_000_000);
        let options = drain(&mut s, i64::MAX)
            .into_iter()
            .filter(|(_, p)| p.payload.starts_with(b"OPTIONS "))
            .count();
        assert_eq!(options, 3);
    }
}
