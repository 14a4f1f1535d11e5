//! `since` / `until` / `at` → a validated [`TimeRange`] in epoch ms.
//!
//! A time is a duration back from `now` (`30m`, `2h30m`, `1d`, `7d`, ISO `PT2H`; resolved in the
//! user's zone so `1d` respects DST) or an absolute time (`2026-02-04 17:13` and date-only
//! `2026-02-04` in the given zone, or RFC 3339 with an offset). `now` and the zone are passed in:
//! no clock reads here.

use jiff::civil;
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};

use super::error::{Input, QueryError, QueryErrorKind};
use crate::domain::duration::parse_span;

/// Range searched when neither `since` nor `at` is given, ms.
pub const DEFAULT_RANGE_MS: i64 = 24 * 60 * 60 * 1000;
/// Half width of an `at` search, ms.
pub const AT_HALF_WIDTH_MS: i64 = 5 * 60 * 1000;

/// A search window in epoch milliseconds; `from_ms < to_ms` always holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeRange {
    /// Start, epoch ms.
    pub from_ms: i64,
    /// End, epoch ms.
    pub to_ms: i64,
}

impl TimeRange {
    /// A range, checked.
    ///
    /// # Errors
    /// [`QueryErrorKind::EmptyRange`] (reported on `input`) when `from_ms >= to_ms`.
    pub fn new(from_ms: i64, to_ms: i64, input: Input) -> Result<Self, QueryError> {
        if from_ms < to_ms {
            Ok(Self { from_ms, to_ms })
        } else {
            Err(QueryError::new(
                input,
                0..0,
                QueryErrorKind::EmptyRange { from_ms, to_ms },
            ))
        }
    }

    /// The HOMER `timestamp` object for this range.
    pub fn to_homer(self) -> crate::domain::homer::TimeWindow {
        crate::domain::homer::TimeWindow::new(self.from_ms, self.to_ms)
    }
}

/// Resolves the form's time inputs into a range.
///
/// Blank inputs are absent. `at` gives `at ± 5 min` and excludes `since`/`until`; otherwise
/// `until` defaults to `now` and `since` to 24 h before `until`.
///
/// # Errors
/// Unreadable times ([`QueryErrorKind::InvalidTime`], span = the trimmed text),
/// [`QueryErrorKind::AtWithRange`], and [`QueryErrorKind::EmptyRange`].
pub fn resolve_range(
    since: &str,
    until: &str,
    at: &str,
    now: Timestamp,
    tz: &TimeZone,
) -> Result<TimeRange, QueryError> {
    if !at.trim().is_empty() {
        if !since.trim().is_empty() || !until.trim().is_empty() {
            return Err(QueryError::new(
                Input::At,
                trimmed_span(at),
                QueryErrorKind::AtWithRange,
            ));
        }
        let center = parse_instant(at, Input::At, now, tz)?;
        return TimeRange::new(
            center.saturating_sub(AT_HALF_WIDTH_MS),
            center.saturating_add(AT_HALF_WIDTH_MS),
            Input::At,
        );
    }
    let to_ms = if until.trim().is_empty() {
        now.as_millisecond()
    } else {
        parse_instant(until, Input::Until, now, tz)?
    };
    let from_ms = if since.trim().is_empty() {
        to_ms.saturating_sub(DEFAULT_RANGE_MS)
    } else {
        parse_instant(since, Input::Since, now, tz)?
    };
    let (input, text) = if since.trim().is_empty() {
        (Input::Until, until)
    } else {
        (Input::Since, since)
    };
    TimeRange::new(from_ms, to_ms, input).map_err(|err| QueryError {
        span: trimmed_span(text),
        ..err
    })
}

/// Reads one time input as epoch ms.
///
/// # Errors
/// [`QueryErrorKind::InvalidTime`] on `input` when the text is no known shape or out of range.
pub fn parse_instant(
    text: &str,
    input: Input,
    now: Timestamp,
    tz: &TimeZone,
) -> Result<i64, QueryError> {
    let trimmed = text.trim();
    let invalid = || {
        QueryError::new(
            input,
            trimmed_span(text),
            QueryErrorKind::InvalidTime(trimmed.to_owned()),
        )
    };
    if let Ok(ts) = trimmed.parse::<Timestamp>() {
        return Ok(ts.as_millisecond());
    }
    if let Ok(dt) = trimmed.parse::<civil::DateTime>() {
        return dt
            .to_zoned(tz.clone())
            .map(|z| z.timestamp().as_millisecond())
            .map_err(|_| invalid());
    }
    if let Ok(date) = trimmed.parse::<civil::Date>() {
        return date
            .to_zoned(tz.clone())
            .map(|z| z.timestamp().as_millisecond())
            .map_err(|_| invalid());
    }
    // The one duration grammar of settings and queries (units required here).
    let span = parse_span(trimmed).map_err(|_| invalid())?;
    // "1h ago" parses as a negative span; both spellings mean "back from now".
    let back = span.abs();
    let now_zoned: Zoned = now.to_zoned(tz.clone());
    now_zoned
        .checked_sub(back)
        .map(|z| z.timestamp().as_millisecond())
        .map_err(|_| invalid())
}

fn trimmed_span(text: &str) -> std::ops::Range<usize> {
    let start = text.len() - text.trim_start().len();
    let end = text.trim_end().len();
    start..end.max(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;
    const HOUR: i64 = 60 * MIN;

    fn now() -> Timestamp {
        "2026-02-04T16:00:00Z".parse().unwrap()
    }

    fn berlin() -> TimeZone {
        // A fixed +01:00 zone stands in for Europe/Berlin in winter (no tzdb lookup in tests).
        TimeZone::fixed(jiff::tz::offset(1))
    }

    fn ms(text: &str) -> i64 {
        text.parse::<Timestamp>().unwrap().as_millisecond()
    }

    #[test]
    fn instants_case_table() {
        let n = now().as_millisecond();
        let cases = [
            ("30m", n - 30 * MIN),
            ("1h", n - HOUR),
            ("2h30m", n - 150 * MIN),
            ("2h 30m", n - 150 * MIN),
            ("1d", n - 24 * HOUR),
            ("7d", n - 7 * 24 * HOUR),
            ("PT2H", n - 2 * HOUR),
            ("1m30s", n - 90_000),
            ("PT1M30S", n - 90_000),
            ("1.5h", n - 90 * MIN),
            ("1h ago", n - HOUR),
            ("2026-02-04 17:13", ms("2026-02-04T16:13:00Z")),
            ("2026-02-04T17:13:05", ms("2026-02-04T16:13:05Z")),
            ("2026-02-04T17:13:05Z", ms("2026-02-04T17:13:05Z")),
            ("2026-02-04T17:13:05+02:00", ms("2026-02-04T15:13:05Z")),
            ("2026-02-04", ms("2026-02-03T23:00:00Z")),
            ("  1h  ", n - HOUR),
        ];
        for (text, expected) in cases {
            let got = parse_instant(text, Input::Since, now(), &berlin()).unwrap();
            assert_eq!(got, expected, "input {text:?}");
        }
    }

    #[test]
    fn instant_errors_quote_the_trimmed_text() {
        for text in ["yesterday", "17:13", "2026-13-01", "1x", " 5 "] {
            let err = parse_instant(text, Input::Until, now(), &berlin()).unwrap_err();
            assert_eq!(err.input, Input::Until);
            assert_eq!(
                err.kind,
                QueryErrorKind::InvalidTime(text.trim().to_owned())
            );
            assert_eq!(text.get(err.span.clone()), Some(text.trim()));
        }
    }

    #[test]
    fn range_defaults_to_last_24_hours() {
        let r = resolve_range("", "", "", now(), &berlin()).unwrap();
        assert_eq!(r.to_ms, now().as_millisecond());
        assert_eq!(r.to_ms - r.from_ms, DEFAULT_RANGE_MS);
    }

    #[test]
    fn range_since_and_until_combine() {
        let r = resolve_range("2h", "1h", "", now(), &berlin()).unwrap();
        assert_eq!(r.to_ms - r.from_ms, HOUR);
        let r = resolve_range("", "2026-02-04 12:00", "", now(), &berlin()).unwrap();
        assert_eq!(r.to_ms, ms("2026-02-04T11:00:00Z"));
        assert_eq!(r.from_ms, r.to_ms - DEFAULT_RANGE_MS);
    }

    #[test]
    fn range_at_is_plus_minus_five_minutes() {
        let r = resolve_range("", "", "2026-02-04 17:13", now(), &berlin()).unwrap();
        let center = ms("2026-02-04T16:13:00Z");
        assert_eq!((r.from_ms, r.to_ms), (center - 5 * MIN, center + 5 * MIN));
    }

    #[test]
    fn range_at_with_since_or_until_is_rejected() {
        for (since, until) in [("1h", ""), ("", "1h")] {
            let err = resolve_range(since, until, "30m", now(), &berlin()).unwrap_err();
            assert_eq!(err.kind, QueryErrorKind::AtWithRange);
            assert_eq!(err.input, Input::At);
        }
    }

    #[test]
    fn range_reversed_is_rejected() {
        let err = resolve_range("1h", "2h", "", now(), &berlin()).unwrap_err();
        assert!(matches!(err.kind, QueryErrorKind::EmptyRange { .. }));
        assert_eq!(err.input, Input::Since);
        assert_eq!(err.span, 0..2);
        assert!(err.to_string().contains("make 'since' earlier"));
    }
}
