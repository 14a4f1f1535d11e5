//! Events per second over the last few seconds, from per-second counts; the caller passes `now`.

use std::collections::VecDeque;

/// A sliding-window event counter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateMeter {
    window_s: i64,
    /// (whole second since the epoch, events in it), oldest first.
    buckets: VecDeque<(i64, u64)>,
}

impl Default for RateMeter {
    fn default() -> Self {
        Self::new(5)
    }
}

impl RateMeter {
    /// A meter averaging over `window_s` seconds (at least 1).
    pub fn new(window_s: u32) -> Self {
        Self {
            window_s: i64::from(window_s.max(1)),
            buckets: VecDeque::new(),
        }
    }

    /// Counts `n` events at `now_ms`.
    pub fn record(&mut self, now_ms: i64, n: u64) {
        let second = now_ms.div_euclid(1000);
        match self.buckets.back_mut() {
            Some((s, count)) if *s == second => *count = count.saturating_add(n),
            _ => self.buckets.push_back((second, n)),
        }
        self.forget(second);
    }

    fn forget(&mut self, second: i64) {
        while self
            .buckets
            .front()
            .is_some_and(|(s, _)| *s <= second.saturating_sub(self.window_s))
        {
            self.buckets.pop_front();
        }
    }

    /// Events per second over the window ending at `now_ms`.
    pub fn rate(&mut self, now_ms: i64) -> f64 {
        self.forget(now_ms.div_euclid(1000));
        let total: u64 = self.buckets.iter().map(|(_, n)| n).sum();
        total as f64 / self.window_s as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_averages_over_the_window() {
        let mut m = RateMeter::new(5);
        m.record(10_000, 10);
        m.record(11_500, 20);
        m.record(14_999, 20);
        assert!((m.rate(14_999) - 10.0).abs() < 1e-9);
    }

    #[test]
    fn rate_forgets_seconds_older_than_the_window() {
        let mut m = RateMeter::new(2);
        m.record(1_000, 100);
        m.record(2_000, 4);
        assert!((m.rate(2_500) - 52.0).abs() < 1e-9);
        assert!((m.rate(3_000) - 2.0).abs() < 1e-9);
        assert!(m.rate(60_000).abs() < 1e-9);
    }

    #[test]
    fn rate_of_an_idle_meter_is_zero() {
        assert!(RateMeter::default().rate(0).abs() < 1e-9);
    }
}
