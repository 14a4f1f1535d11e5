//! The reconnect schedule: exponential from 1 s, capped at 30 s, with "equal jitter" (half the delay
//! fixed, half random) so many browsers do not reconnect in step. The caller passes the randomness.

/// First delay, ms.
pub const BASE_DELAY_MS: u64 = 1_000;
/// Longest delay, ms.
pub const MAX_DELAY_MS: u64 = 30_000;

/// Failed attempts so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Backoff {
    attempt: u32,
}

impl Backoff {
    /// The delay before the next attempt, given `random` in `[0, 1)` (clamped), and counts the attempt.
    pub fn next_delay_ms(&mut self, random: f64) -> u64 {
        let ceiling = BASE_DELAY_MS
            .checked_shl(self.attempt)
            .unwrap_or(MAX_DELAY_MS)
            .min(MAX_DELAY_MS);
        self.attempt = self.attempt.saturating_add(1).min(16);
        let random = if random.is_finite() {
            random.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let half = ceiling / 2;
        // `random * half` is within [0, half], so the cast cannot overflow.
        half + (random * half as f64).round() as u64
    }

    /// Starts over after a successful connection.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// Failed attempts since the last reset.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_thirty_seconds() {
        let mut b = Backoff::default();
        let top: Vec<u64> = (0..8).map(|_| b.next_delay_ms(1.0)).collect();
        assert_eq!(
            top,
            [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]
        );
        assert_eq!(b.attempts(), 8);
    }

    #[test]
    fn backoff_jitter_stays_within_half_and_whole_delay() {
        let mut low = Backoff::default();
        let mut mid = Backoff::default();
        assert_eq!(low.next_delay_ms(0.0), 500);
        assert_eq!(mid.next_delay_ms(0.5), 750);
        for _ in 0..40 {
            let d = low.next_delay_ms(0.0);
            assert!((500..=MAX_DELAY_MS).contains(&d));
        }
        assert_eq!(low.next_delay_ms(0.0), 15_000);
    }

    #[test]
    fn backoff_reset_starts_over_and_bad_randomness_is_tamed() {
        let mut b = Backoff::default();
        b.next_delay_ms(f64::NAN);
        b.next_delay_ms(7.0);
        b.reset();
        assert_eq!(b.next_delay_ms(f64::INFINITY), 500);
        assert_eq!(b.next_delay_ms(-3.0), 1_000);
    }
}
