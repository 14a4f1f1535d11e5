//! Time partitions: which table set a capture time belongs to, and which ones a time window or the
//! retention limit touches.
//!
//! A partition is one set of tables (`hep_proto_1_call_20260704`, ...) inside the single store file,
//! covering one UTC day or hour like heplify-server's `hep_proto_1_call_YYYYMMDD_HHMM` partitions.
//! Pure arithmetic: no I/O, no clock reads.

use crate::config::PartitionSpan;

/// One partition: the UTC interval `[start_us, start_us + span)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Partition {
    /// Start, µs since the Unix epoch (a multiple of the span length).
    pub start_us: i64,
    /// Day or hour.
    pub span: PartitionSpan,
}

impl Partition {
    /// The partition holding the capture time `ts_us`.
    pub fn containing(ts_us: i64, span: PartitionSpan) -> Partition {
        let len = span.len_us();
        Partition {
            start_us: ts_us.div_euclid(len).saturating_mul(len),
            span,
        }
    }

    /// End of the partition (exclusive), µs.
    pub fn end_us(&self) -> i64 {
        self.start_us.saturating_add(self.span.len_us())
    }

    /// The table-name suffix: `YYYYMMDD` for days, `YYYYMMDD_HH` for hours (UTC).
    pub fn suffix(&self) -> String {
        let ts =
            jiff::Timestamp::from_microsecond(self.start_us).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        match self.span {
            PartitionSpan::Day => ts.strftime("%Y%m%d").to_string(),
            PartitionSpan::Hour => ts.strftime("%Y%m%d_%H").to_string(),
        }
    }

    /// True when the partition shares a moment with `[from_us, to_us]` (inclusive).
    pub fn overlaps(&self, from_us: i64, to_us: i64) -> bool {
        self.start_us <= to_us && from_us < self.end_us()
    }

    /// True when every row in it is older than `cutoff_us` ([`retention_cutoff`]).
    pub fn expired(&self, cutoff_us: i64) -> bool {
        self.end_us() <= cutoff_us
    }
}

/// The most the retention clock may run ahead of the newest stored capture time, µs.
pub const MAX_RETENTION_SLACK_US: i64 = 86_400_000_000;

/// Rows captured before this are past retention.
///
/// Retention counts back from the wall clock, but never from more than a slack past the newest
/// stored capture time (`newest_us`, `None` for an empty store); the slack is one day, or the
/// retention if shorter. A clock that jumps forward (a VM restored, NTP fixing a wrong clock,
/// a typo with `date -s`) therefore cannot expire the data at once: with 7 days of retention
/// it drops at most what is more than 6 days older than the newest row, and the partition
/// holding the newest row is never dropped. Data captured later moves the cutoff on as usual.
/// The other side: a store that receives nothing keeps its last rows until traffic resumes.
pub fn retention_cutoff(now_us: i64, newest_us: Option<i64>, retention_us: i64) -> i64 {
    let slack = retention_us.clamp(0, MAX_RETENTION_SLACK_US);
    let clock = newest_us.map_or(now_us, |newest| now_us.min(newest.saturating_add(slack)));
    clock.saturating_sub(retention_us)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 1_783_166_400_000_000; // 2026-07-04T12:00:00Z

    #[test]
    fn day_partition_starts_at_utc_midnight() {
        let p = Partition::containing(T + 1, PartitionSpan::Day);
        assert_eq!(p.suffix(), "20260704");
        assert_eq!(p.end_us() - p.start_us, 86_400_000_000);
        assert!(p.start_us <= T && T < p.end_us());
    }

    #[test]
    fn hour_partition_names_the_hour() {
        let p = Partition::containing(T + 59 * 60_000_000, PartitionSpan::Hour);
        assert_eq!(p.suffix(), "20260704_12");
        assert_eq!(p.start_us, T);
    }

    #[test]
    fn partition_before_1970_rounds_down() {
        let p = Partition::containing(-1, PartitionSpan::Hour);
        assert_eq!(p.start_us, -3_600_000_000);
    }

    #[test]
    fn overlap_and_expiry_use_the_whole_interval() {
        let p = Partition::containing(T, PartitionSpan::Hour);
        assert!(p.overlaps(T - 10, T));
        assert!(!p.overlaps(T - 10, T - 1));
        assert!(!p.overlaps(p.end_us(), p.end_us() + 5));
        assert!(p.expired(p.end_us()));
        assert!(!p.expired(p.end_us() - 1));
    }

    #[test]
    fn retention_cutoff_follows_the_clock_but_not_past_the_newest_capture() {
        let day = 86_400_000_000;
        let week = 7 * day;
        // The clock as usual, newest row a minute ago.
        assert_eq!(retention_cutoff(T, Some(T - 60_000_000), week), T - week);
        assert_eq!(retention_cutoff(T, None, week), T - week);
        // A clock a year ahead: one day past the newest row at most.
        let year = 365 * day;
        assert_eq!(retention_cutoff(T + year, Some(T), week), T + day - week);
        // A short retention: the slack is the retention, so the newest row's partition stays.
        let hour = 3_600_000_000;
        let cutoff = retention_cutoff(T + year, Some(T), 2 * hour);
        assert_eq!(cutoff, T);
        assert!(!Partition::containing(T, PartitionSpan::Hour).expired(cutoff));
        // A spoofed future row does not push the clock past now.
        assert_eq!(retention_cutoff(T, Some(T + year), week), T - week);
    }
}
