//! Failed-login throttling per client address and per user name.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Counts failed logins in a sliding window. Keys are opaque strings ("ip:…", "user:…").
#[derive(Debug)]
pub struct LoginLimiter {
    max_failures: u32,
    window: Duration,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

/// Upper bound on tracked keys, so a flood of distinct names cannot grow memory without limit.
const MAX_KEYS: usize = 100_000;

impl LoginLimiter {
    /// A limiter allowing `max_failures` per key within `window`.
    pub fn new(max_failures: u32, window: Duration) -> Self {
        Self {
            max_failures,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(wait)` when any of `keys` has used up its failures; `wait` is when the oldest one expires.
    pub fn check(&self, keys: &[String], now: Instant) -> Result<(), Duration> {
        let mut map = self.lock();
        let mut wait = Duration::ZERO;
        for key in keys {
            if let Some(times) = map.get_mut(key) {
                prune(times, now, self.window);
                if times.len() >= self.max_failures as usize {
                    if let Some(oldest) = times.front() {
                        let remaining = self.window.saturating_sub(now.duration_since(*oldest));
                        wait = wait.max(remaining);
                    }
                }
            }
        }
        if wait.is_zero() {
            Ok(())
        } else {
            Err(wait)
        }
    }

    /// Records one failure against each key.
    pub fn record_failure(&self, keys: &[String], now: Instant) {
        let mut map = self.lock();
        if map.len() >= MAX_KEYS {
            let window = self.window;
            map.retain(|_, times| {
                prune(times, now, window);
                !times.is_empty()
            });
        }
        for key in keys {
            let times = map.entry(key.clone()).or_default();
            prune(times, now, self.window);
            times.push_back(now);
        }
    }

    /// Forgets a key's failures (after a successful login for that user).
    pub fn clear(&self, key: &str) {
        self.lock().remove(key);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, VecDeque<Instant>>> {
        // A poisoned lock only means another request panicked mid-update; the counts are still usable.
        self.failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn prune(times: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while let Some(first) = times.front() {
        if now.duration_since(*first) >= window {
            times.pop_front();
        } else {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_max_failures_and_recovers_after_the_window() {
        let limiter = LoginLimiter::new(3, Duration::from_secs(60));
        let keys = vec!["user:bob".to_string()];
        let t0 = Instant::now();
        for i in 0..3 {
            assert!(limiter.check(&keys, t0).is_ok(), "attempt {i}");
            limiter.record_failure(&keys, t0);
        }
        let wait = limiter
            .check(&keys, t0 + Duration::from_secs(10))
            .unwrap_err();
        assert_eq!(wait, Duration::from_secs(50));
        assert!(limiter.check(&keys, t0 + Duration::from_secs(61)).is_ok());
    }

    #[test]
    fn clearing_a_user_keeps_the_address_count() {
        let limiter = LoginLimiter::new(1, Duration::from_secs(60));
        let t0 = Instant::now();
        let keys = vec!["ip:1.2.3.4".to_string(), "user:bob".to_string()];
        limiter.record_failure(&keys, t0);
        limiter.clear("user:bob");
        assert!(limiter.check(&["user:bob".to_string()], t0).is_ok());
        assert!(limiter.check(&["ip:1.2.3.4".to_string()], t0).is_err());
    }
}
