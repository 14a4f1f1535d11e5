//! The table's bounded event buffer: keeps the newest `cap` events, counts the older ones it let go,
//! and while paused holds new events aside (also capped) so the table stays still.

use std::collections::VecDeque;

use hepscope_core::live::LiveEvent;

/// Events the table keeps by default.
pub const DEFAULT_CAP: usize = 5_000;

/// The newest events, oldest first, with pause.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveBuffer {
    cap: usize,
    shown: VecDeque<LiveEvent>,
    waiting: VecDeque<LiveEvent>,
    paused: bool,
    dropped: u64,
    received: u64,
    shown_total: u64,
}

impl Default for LiveBuffer {
    fn default() -> Self {
        Self::new(DEFAULT_CAP)
    }
}

impl LiveBuffer {
    /// An empty buffer keeping at most `cap` events (at least 1).
    pub fn new(cap: usize) -> Self {
        Self {
            cap: cap.max(1),
            shown: VecDeque::new(),
            waiting: VecDeque::new(),
            paused: false,
            dropped: 0,
            received: 0,
            shown_total: 0,
        }
    }

    /// Adds an event: to the table, or aside while paused. The oldest event goes when full.
    pub fn push(&mut self, event: LiveEvent) {
        self.received = self.received.saturating_add(1);
        if self.paused {
            self.waiting.push_back(event);
            if self.waiting.len() > self.cap {
                self.waiting.pop_front();
                self.dropped = self.dropped.saturating_add(1);
            }
        } else {
            self.shown.push_back(event);
            self.shown_total = self.shown_total.saturating_add(1);
            self.trim();
        }
    }

    fn trim(&mut self) {
        while self.shown.len() > self.cap {
            self.shown.pop_front();
            self.dropped = self.dropped.saturating_add(1);
        }
    }

    /// Freezes the table; new events wait.
    pub fn pause(&mut self) {
        self.paused = true;
    }

    /// Shows the waiting events (older shown ones go if the cap is passed).
    pub fn resume(&mut self) {
        self.paused = false;
        self.shown_total = self.shown_total.saturating_add(self.waiting.len() as u64);
        self.shown.append(&mut self.waiting);
        self.trim();
    }

    /// True while paused.
    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// Forgets every event (the counters stay).
    pub fn clear(&mut self) {
        self.shown.clear();
        self.waiting.clear();
    }

    /// Events in the table.
    pub fn len(&self) -> usize {
        self.shown.len()
    }

    /// True when the table is empty.
    pub fn is_empty(&self) -> bool {
        self.shown.is_empty()
    }

    /// Events received while paused, not yet shown.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// Older events let go because of the cap.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Every event pushed.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Events that have entered the table so far (a running total that [`clear`](Self::clear)
    /// keeps): the table lists newest first, so its growth between two looks is the number of
    /// rows inserted above the ones the user was reading.
    pub fn shown_total(&self) -> u64 {
        self.shown_total
    }

    /// The cap.
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// The `i`-th newest shown event (0 is the newest).
    pub fn newest(&self, i: usize) -> Option<&LiveEvent> {
        let index = self.shown.len().checked_sub(i.checked_add(1)?)?;
        self.shown.get(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(ts: i64) -> LiveEvent {
        LiveEvent {
            ts,
            proto: 1,
            ..LiveEvent::default()
        }
    }

    fn newest_ts(b: &LiveBuffer) -> Vec<i64> {
        (0..b.len())
            .filter_map(|i| b.newest(i))
            .map(|e| e.ts)
            .collect()
    }

    #[test]
    fn buffer_keeps_the_newest_events_and_counts_the_dropped() {
        let mut b = LiveBuffer::new(3);
        for ts in 1..=5 {
            b.push(ev(ts));
        }
        assert_eq!(newest_ts(&b), [5, 4, 3]);
        assert_eq!(b.dropped(), 2);
        assert_eq!(b.received(), 5);
        assert_eq!(b.newest(3), None);
        assert_eq!(b.newest(usize::MAX), None);
    }

    #[test]
    fn paused_buffer_freezes_the_table_and_shows_waiting_events_on_resume() {
        let mut b = LiveBuffer::new(10);
        b.push(ev(1));
        b.pause();
        b.push(ev(2));
        b.push(ev(3));
        assert_eq!(newest_ts(&b), [1]);
        assert_eq!(b.waiting(), 2);
        b.resume();
        assert_eq!(newest_ts(&b), [3, 2, 1]);
        assert_eq!(b.waiting(), 0);
        assert!(!b.is_paused());
    }

    #[test]
    fn paused_buffer_caps_the_waiting_events_too() {
        let mut b = LiveBuffer::new(2);
        b.push(ev(1));
        b.pause();
        for ts in 2..=6 {
            b.push(ev(ts));
        }
        assert_eq!(b.waiting(), 2);
        assert_eq!(b.dropped(), 3);
        b.resume();
        assert_eq!(newest_ts(&b), [6, 5]);
        assert_eq!(b.dropped(), 4);
    }

    #[test]
    fn zero_cap_is_raised_to_one() {
        let mut b = LiveBuffer::new(0);
        b.push(ev(1));
        b.push(ev(2));
        assert_eq!(b.cap(), 1);
        assert_eq!(newest_ts(&b), [2]);
    }

    #[test]
    fn shown_total_counts_rows_entering_the_table_not_waiting_ones() {
        let mut b = LiveBuffer::new(2);
        b.push(ev(1));
        b.push(ev(2));
        b.push(ev(3));
        assert_eq!(b.shown_total(), 3);
        b.pause();
        b.push(ev(4));
        assert_eq!(b.shown_total(), 3);
        b.resume();
        assert_eq!(b.shown_total(), 4);
        b.clear();
        assert_eq!(b.shown_total(), 4);
    }
}
