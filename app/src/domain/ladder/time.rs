//! The ladder's three time columns: absolute time of day, delta to the previous shown row, and time
//! since the first shown row. Formatting only; the zone is passed in (no clock, no tz lookups).

use jiff::tz::TimeZone;
use jiff::Timestamp;

/// Which time a row shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TimeMode {
    /// Time of day in the given zone, `17:13:05.123456`.
    #[default]
    Absolute,
    /// Since the previous shown row, `+12.345 ms`.
    Delta,
    /// Since the first shown row, `+1.234567 s`.
    Relative,
}

impl TimeMode {
    /// Every mode, in the order a click cycles through them.
    pub const ALL: [TimeMode; 3] = [TimeMode::Absolute, TimeMode::Delta, TimeMode::Relative];

    /// The URL and UI name.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeMode::Absolute => "absolute",
            TimeMode::Delta => "delta",
            TimeMode::Relative => "relative",
        }
    }

    /// Reads a URL name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == text)
    }

    /// The next mode in the click cycle.
    pub fn next(self) -> Self {
        match self {
            TimeMode::Absolute => TimeMode::Delta,
            TimeMode::Delta => TimeMode::Relative,
            TimeMode::Relative => TimeMode::Absolute,
        }
    }
}

/// `HH:MM:SS.ffffff` of `time_us` in `tz`; the raw µs count when out of jiff's range.
pub fn format_absolute(time_us: i64, tz: &TimeZone) -> String {
    match Timestamp::from_microsecond(time_us) {
        Ok(ts) => ts.to_zoned(tz.clone()).strftime("%H:%M:%S%.6f").to_string(),
        Err(_) => format!("{time_us} µs"),
    }
}

/// A signed duration for the delta and relative columns: `+0.250 ms`, `+12.345 ms`, `+1.234567 s`,
/// `+2m03.456789s`.
pub fn format_offset(offset_us: i64) -> String {
    let sign = if offset_us < 0 { '-' } else { '+' };
    let us = offset_us.unsigned_abs();
    if us < 1_000_000 {
        format!("{sign}{}.{:03} ms", us / 1000, us % 1000)
    } else if us < 60_000_000 {
        format!("{sign}{}.{:06} s", us / 1_000_000, us % 1_000_000)
    } else {
        let secs = us / 1_000_000;
        format!(
            "{sign}{}m{:02}.{:06}s",
            secs / 60,
            secs % 60,
            us % 1_000_000
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_pick_unit_by_size() {
        for (us, text) in [
            (0, "+0.000 ms"),
            (250, "+0.250 ms"),
            (12_345, "+12.345 ms"),
            (1_234_567, "+1.234567 s"),
            (123_456_789, "+2m03.456789s"),
            (-5_000, "-5.000 ms"),
            (i64::MIN, "-153722867280m54.775808s"),
        ] {
            assert_eq!(format_offset(us), text, "{us}");
        }
    }

    #[test]
    fn absolute_time_uses_given_zone() {
        let us = 1_700_000_123_456_789;
        assert_eq!(format_absolute(us, &TimeZone::UTC), "22:15:23.456789");
        let plus2 = TimeZone::fixed(jiff::tz::offset(2));
        assert_eq!(format_absolute(us, &plus2), "00:15:23.456789");
        assert_eq!(
            format_absolute(i64::MAX, &TimeZone::UTC),
            format!("{} µs", i64::MAX)
        );
    }

    #[test]
    fn time_mode_cycles_and_round_trips() {
        let mut mode = TimeMode::default();
        for _ in 0..3 {
            assert_eq!(TimeMode::parse(mode.as_str()), Some(mode));
            mode = mode.next();
        }
        assert_eq!(mode, TimeMode::Absolute);
    }
}
