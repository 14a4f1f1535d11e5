//! Durations as written in config files, flags and API parameters: the domain's one grammar
//! ([`app::domain::duration`]: `90`, `1.5s`, `250ms`, `1m30s`, `12h`, `7d`, `PT1M30S`), shared with
//! the query language, so every setting accepts the same texts.

use std::time::Duration;

pub use app::domain::duration::DurationError;

/// Parses a setting's duration; `None` when it is not one (callers word their own error). Use
/// [`app::domain::duration::parse_duration`] for the reason.
pub fn parse_duration(text: &str) -> Option<Duration> {
    app::domain::duration::parse_duration(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_in_every_unit() {
        assert_eq!(parse_duration("90"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Some(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("7d"), Some(Duration::from_secs(604_800)));
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("PT1M30S"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("5x"), None);
        assert_eq!(parse_duration("h"), None);
        assert_eq!(parse_duration("12"), Some(Duration::from_secs(12)));
        assert_eq!(parse_duration("3h5"), None);
    }
}
