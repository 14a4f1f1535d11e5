//! The one duration grammar: every setting (`session_ttl`, `request_timeout`, `retention`, …), every
//! flag and API parameter that takes a duration, and the query language's relative times read it here,
//! so a text accepted in one place is accepted everywhere.
//!
//! The grammar is jiff's: its friendly format (`90s`, `1m30s`, `1h 30m`, `1.5s`, `250ms`, `12h`, `7d`,
//! `2w`, `1 hour`, `1h ago`) and ISO 8601 (`PT1M30S`, `P7D`). A fixed length ([`parse_duration`], for
//! settings) also takes a bare number of seconds (`90`, `1.5`), the shorthand config files have always
//! used; the query language does not, since a bare `5` in a time field reads like a clock hour.

use std::time::Duration;

use jiff::{SignedDuration, Span, SpanRelativeTo};
use thiserror::Error;

/// Why a text is not a duration. Each variant quotes the text as written (trimmed).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum DurationError {
    /// Not in the grammar.
    #[error("{0:?} is not a duration like 90s, 1m30s, 12h, 7d or PT1M30S")]
    Invalid(String),
    /// Months and years have no fixed length, so a setting cannot use them.
    #[error("{0:?} has months or years, which have no fixed length: use days or weeks")]
    Calendar(String),
    /// A setting cannot be negative (`1h ago` is a relative time, not a length).
    #[error("{0:?} is negative")]
    Negative(String),
}

/// Reads a span in jiff's friendly or ISO 8601 format (units required); `1h ago` is negative.
/// Days stay calendar days, so a caller relative to a zoned time can respect DST.
///
/// # Errors
/// [`DurationError::Invalid`] when the text is not in the grammar.
pub fn parse_span(text: &str) -> Result<Span, DurationError> {
    let text = text.trim();
    text.parse::<Span>()
        .map_err(|_| DurationError::Invalid(text.to_owned()))
}

/// Reads a fixed, non-negative length: [`parse_span`]'s grammar, or a bare number of seconds. A day
/// counts 24 hours and a week 7 days; months and years are refused.
///
/// # Errors
/// [`DurationError`] naming the text.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let text = text.trim();
    let bare_seconds = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && text.bytes().any(|b| b.is_ascii_digit());
    let span = if bare_seconds {
        parse_span(&format!("{text}s"))
    } else {
        parse_span(text)
    }
    .map_err(|_| DurationError::Invalid(text.to_owned()))?;
    if span.get_months() != 0 || span.get_years() != 0 {
        return Err(DurationError::Calendar(text.to_owned()));
    }
    let signed: SignedDuration = span
        .to_duration(SpanRelativeTo::days_are_24_hours())
        .map_err(|_| DurationError::Invalid(text.to_owned()))?;
    Duration::try_from(signed).map_err(|_| DurationError::Negative(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Result<Duration, DurationError> {
        Ok(Duration::from_secs(s))
    }

    #[test]
    fn every_spelling_settings_used_is_one_grammar() {
        // Once only `request_timeout` (fractions) or only `session_ttl` (h, d, compounds) took these.
        for (text, want) in [
            ("90", secs(90)),
            ("90s", secs(90)),
            ("1m30s", secs(90)),
            ("1m 30s", secs(90)),
            ("PT1M30S", secs(90)),
            ("1.5s", Ok(Duration::from_millis(1500))),
            ("1.5", Ok(Duration::from_millis(1500))),
            ("250ms", Ok(Duration::from_millis(250))),
            ("5m", secs(300)),
            ("12h", secs(43_200)),
            ("1h30m", secs(5_400)),
            ("7d", secs(604_800)),
            ("P7D", secs(604_800)),
            ("2w", secs(1_209_600)),
            ("0s", secs(0)),
            ("  30s ", secs(30)),
        ] {
            assert_eq!(parse_duration(text), want, "{text:?}");
        }
    }

    #[test]
    fn settings_refuse_what_has_no_fixed_non_negative_length() {
        for text in ["", "soon", "5x", "h", "3h5", "1.2.3", "."] {
            assert!(
                matches!(parse_duration(text), Err(DurationError::Invalid(_))),
                "{text:?}"
            );
        }
        assert_eq!(
            parse_duration("1mo"),
            Err(DurationError::Calendar("1mo".into()))
        );
        assert_eq!(
            parse_duration("P1Y"),
            Err(DurationError::Calendar("P1Y".into()))
        );
        assert!(parse_duration("-5s").is_err());
        assert_eq!(
            parse_duration("1h ago"),
            Err(DurationError::Negative("1h ago".into()))
        );
    }

    #[test]
    fn spans_keep_calendar_days_and_need_units() {
        assert_eq!(parse_span("1d").map(|s| s.get_days()), Ok(1));
        assert_eq!(parse_span("2h ago").map(|s| s.get_hours()), Ok(-2));
        assert!(parse_span("5").is_err());
    }
}
