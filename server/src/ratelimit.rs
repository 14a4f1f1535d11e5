//! Failed-login throttling: sliding-window counters keyed by opaque strings ("ip:…", "ip-user:…",
//! "user:…", "share-ip:…").
//!
//! Logins [`reserve`](LoginLimiter::reserve) an attempt *before* the password hash runs, so a burst of
//! parallel wrong passwords is counted as it arrives, not after the hashes finish. A user name alone is
//! never blocked (that would let anyone lock `admin` out); it only earns a small growing
//! [`slowdown`](LoginLimiter::slowdown).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Counts failures in a sliding window.
#[derive(Debug)]
pub struct LoginLimiter {
    max_failures: u32,
    window: Duration,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

/// Upper bound on tracked keys, so a flood of distinct names cannot grow memory without limit.
const MAX_KEYS: usize = 100_000;
/// Delay added per failure beyond the allowance of [`LoginLimiter::slowdown`].
pub const SLOWDOWN_STEP: Duration = Duration::from_millis(250);
/// Longest delay of [`LoginLimiter::slowdown`].
pub const SLOWDOWN_MAX: Duration = Duration::from_secs(3);

type Map = HashMap<String, VecDeque<Instant>>;

/// A login attempt counted in advance against its keys. Dropped as is, it stays counted as a failure
/// (also when the request is cancelled mid-hash); [`Attempt::forget`] takes it back.
#[derive(Debug)]
#[must_use = "dropping an attempt counts it as a failure"]
pub struct Attempt<'a> {
    limiter: &'a LoginLimiter,
    keys: Vec<String>,
    at: Instant,
}

impl Attempt<'_> {
    /// Takes the attempt back: the password was right, or it was never checked (server busy).
    pub fn forget(self) {
        let mut map = self.limiter.lock();
        for key in &self.keys {
            if let Some(times) = map.get_mut(key) {
                if let Some(pos) = times.iter().rposition(|t| *t == self.at) {
                    times.remove(pos);
                }
                if times.is_empty() {
                    map.remove(key);
                }
            }
        }
    }
}

impl LoginLimiter {
    /// A limiter allowing `max_failures` per key within `window`.
    pub fn new(max_failures: u32, window: Duration) -> Self {
        Self {
            max_failures,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// The allowance per key given to [`LoginLimiter::new`].
    pub fn max_failures(&self) -> u32 {
        self.max_failures
    }

    /// `Err(wait)` when any of `keys` has used up its failures; `wait` is when the oldest one expires.
    pub fn check(&self, keys: &[String], now: Instant) -> Result<(), Duration> {
        let mut map = self.lock();
        let limits: Vec<(&str, u32)> = keys
            .iter()
            .map(|k| (k.as_str(), self.max_failures))
            .collect();
        self.wait(&mut map, &limits, now)
    }

    /// Checks each `(key, allowance)` and, when none is used up, counts one attempt against every key
    /// at once (under one lock, so parallel requests cannot all pass the check before any counts).
    ///
    /// # Errors
    /// `Err(wait)` as [`LoginLimiter::check`]; nothing is counted then.
    pub fn reserve(&self, limits: &[(String, u32)], now: Instant) -> Result<Attempt<'_>, Duration> {
        let mut map = self.lock();
        let borrowed: Vec<(&str, u32)> = limits.iter().map(|(k, n)| (k.as_str(), *n)).collect();
        self.wait(&mut map, &borrowed, now)?;
        let keys: Vec<String> = limits.iter().map(|(k, _)| k.clone()).collect();
        self.push(&mut map, &keys, now);
        Ok(Attempt {
            limiter: self,
            keys,
            at: now,
        })
    }

    /// Records one failure against each key.
    pub fn record_failure(&self, keys: &[String], now: Instant) {
        let mut map = self.lock();
        self.push(&mut map, keys, now);
    }

    /// The delay before trying `key` again: nothing within the allowance, then [`SLOWDOWN_STEP`] more
    /// per failure, at most [`SLOWDOWN_MAX`].
    pub fn slowdown(&self, key: &str, now: Instant) -> Duration {
        let mut map = self.lock();
        let Some(times) = map.get_mut(key) else {
            return Duration::ZERO;
        };
        prune(times, now, self.window);
        let count = u32::try_from(times.len()).unwrap_or(u32::MAX);
        let over = count.saturating_sub(self.max_failures.saturating_sub(1));
        SLOWDOWN_STEP.saturating_mul(over).min(SLOWDOWN_MAX)
    }

    /// Forgets a key's failures (after a successful login for that user).
    pub fn clear(&self, key: &str) {
        self.lock().remove(key);
    }

    fn wait(&self, map: &mut Map, limits: &[(&str, u32)], now: Instant) -> Result<(), Duration> {
        let mut wait = Duration::ZERO;
        for (key, allowance) in limits {
            if let Some(times) = map.get_mut(*key) {
                prune(times, now, self.window);
                if times.len() >= *allowance as usize {
                    if let Some(oldest) = times.front() {
                        let remaining = self.window.saturating_sub(now.duration_since(*oldest));
                        wait = wait.max(remaining.max(Duration::from_millis(1)));
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

    fn push(&self, map: &mut Map, keys: &[String], now: Instant) {
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

    fn lock(&self) -> std::sync::MutexGuard<'_, Map> {
        // A poisoned lock only means another request panicked mid-update; the counts are still usable.
        self.failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn prune(times: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while let Some(first) = times.front() {
        if now.saturating_duration_since(*first) >= window {
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

    #[test]
    fn reservations_count_before_the_outcome_is_known() {
        let limiter = LoginLimiter::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        let limits = [("ip-user:a".to_string(), 3), ("ip:a".to_string(), 12)];
        // Three attempts in flight at once: the fourth is refused before any of them finished.
        let held: Vec<_> = (0..3)
            .map(|_| limiter.reserve(&limits, t0).unwrap())
            .collect();
        assert!(limiter.reserve(&limits, t0).is_err());
        // A right password gives its attempt back.
        let mut held = held.into_iter();
        held.next().unwrap().forget();
        let again = limiter.reserve(&limits, t0).unwrap();
        drop(again);
        drop(held);
        assert!(
            limiter.reserve(&limits, t0).is_err(),
            "dropped attempts stay counted"
        );
    }

    #[test]
    fn slowdown_grows_past_the_allowance_and_is_capped() {
        let limiter = LoginLimiter::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        let key = ["user:admin".to_string()];
        assert_eq!(limiter.slowdown("user:admin", t0), Duration::ZERO);
        limiter.record_failure(&key, t0);
        limiter.record_failure(&key, t0);
        assert_eq!(limiter.slowdown("user:admin", t0), Duration::ZERO);
        limiter.record_failure(&key, t0);
        assert_eq!(limiter.slowdown("user:admin", t0), SLOWDOWN_STEP);
        limiter.record_failure(&key, t0);
        assert_eq!(limiter.slowdown("user:admin", t0), SLOWDOWN_STEP * 2);
        for _ in 0..100 {
            limiter.record_failure(&key, t0);
        }
        assert_eq!(limiter.slowdown("user:admin", t0), SLOWDOWN_MAX);
        assert_eq!(
            limiter.slowdown("user:admin", t0 + Duration::from_secs(61)),
            Duration::ZERO
        );
    }
}
