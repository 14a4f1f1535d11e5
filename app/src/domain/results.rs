//! Search results as tables: column sorting, the visible window of a virtualized list, time formatting,
//! and downloads as JSON, JSONL and CSV. Pure: the time zone and rows are passed in.

use std::cmp::Ordering;

use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde_json::{json, Value};

use crate::domain::calls::CallSummary;
use crate::domain::homer::HomerRow;
pub use crate::domain::host::host_port;

/// A column sort from the URL: `time` ascending, `-time` descending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnSort {
    pub column: String,
    pub descending: bool,
}

impl ColumnSort {
    /// Parses `col` or `-col`; empty text is no sort.
    pub fn parse(text: &str) -> Option<ColumnSort> {
        let text = text.trim();
        let (column, descending) = match text.strip_prefix('-') {
            Some(rest) => (rest, true),
            None => (text, false),
        };
        (!column.is_empty()).then(|| ColumnSort {
            column: column.to_string(),
            descending,
        })
    }

    /// The URL form.
    pub fn to_param(&self) -> String {
        if self.descending {
            format!("-{}", self.column)
        } else {
            self.column.clone()
        }
    }

    /// The sort after clicking `column`: ascending first, then descending, on the same column.
    pub fn toggled(current: Option<&ColumnSort>, column: &str) -> ColumnSort {
        match current {
            Some(c) if c.column == column => ColumnSort {
                column: column.to_string(),
                descending: !c.descending,
            },
            _ => ColumnSort {
                column: column.to_string(),
                descending: false,
            },
        }
    }
}

/// Columns of the messages table that can be sorted.
pub const MESSAGE_SORT_COLUMNS: &[&str] = &[
    "time", "method", "from", "to", "ruri", "ua", "src", "dst", "callid",
];
/// Columns of the calls table that can be sorted.
pub const CALL_SORT_COLUMNS: &[&str] = &[
    "time",
    "caller",
    "callee",
    "status",
    "duration",
    "pdd",
    "messages",
    "direction",
    "callid",
];

/// Sorts message rows by a column (stable; unknown columns leave the order).
pub fn sort_rows(rows: &mut [HomerRow], sort: &ColumnSort) {
    let key = sort.column.as_str();
    rows.sort_by(|a, b| {
        let ord = match key {
            "time" => a.time_us().cmp(&b.time_us()),
            "method" => a.method.cmp(&b.method),
            "from" => a.from_user.cmp(&b.from_user),
            "to" => a.to_user.cmp(&b.to_user),
            "ruri" => a.ruri_user.cmp(&b.ruri_user),
            "ua" => a.user_agent.cmp(&b.user_agent),
            "src" => (&a.src_ip, a.src_port).cmp(&(&b.src_ip, b.src_port)),
            "dst" => (&a.dst_ip, a.dst_port).cmp(&(&b.dst_ip, b.dst_port)),
            "callid" => a.sid.cmp(&b.sid),
            _ => Ordering::Equal,
        };
        if sort.descending {
            ord.reverse()
        } else {
            ord
        }
    });
}

/// Sorts calls by a column (stable; unknown columns leave the order).
pub fn sort_calls(calls: &mut [CallSummary], sort: &ColumnSort) {
    let key = sort.column.as_str();
    calls.sort_by(|a, b| {
        let ord = match key {
            "time" => a.first_ts_ms.cmp(&b.first_ts_ms),
            "caller" => a.caller.cmp(&b.caller),
            "callee" => a.callee.cmp(&b.callee),
            "status" => a.status.label().cmp(b.status.label()),
            "duration" => a.duration_ms.cmp(&b.duration_ms),
            "pdd" => a.post_dial_delay_ms.cmp(&b.post_dial_delay_ms),
            "messages" => a.message_count.cmp(&b.message_count),
            "direction" => a.direction.cmp(&b.direction),
            "callid" => a.call_id.cmp(&b.call_id),
            _ => Ordering::Equal,
        };
        if sort.descending {
            ord.reverse()
        } else {
            ord
        }
    });
}

/// The rows to render for a virtualized list: `start..end`, with `overscan` extra rows on each side.
pub fn visible_window(
    scroll_top: f64,
    viewport_height: f64,
    row_height: f64,
    count: usize,
    overscan: usize,
) -> (usize, usize) {
    if count == 0 || row_height <= 0.0 {
        return (0, 0);
    }
    let first = (scroll_top.max(0.0) / row_height).floor();
    let shown = (viewport_height.max(0.0) / row_height).ceil() + 1.0;
    // Float to index: both are non-negative and clamped to `count` below.
    let first = if first.is_finite() { first as usize } else { 0 };
    let shown = if shown.is_finite() { shown as usize } else { 0 };
    let start = first.saturating_sub(overscan).min(count);
    let end = first
        .saturating_add(shown)
        .saturating_add(overscan)
        .min(count);
    (start, end.max(start))
}

/// Formats epoch milliseconds in a zone as `2026-02-04 17:13:05.123`.
pub fn format_ms(ms: i64, tz: &TimeZone) -> String {
    match Timestamp::from_millisecond(ms) {
        Ok(ts) => ts
            .to_zoned(tz.clone())
            .strftime("%Y-%m-%d %H:%M:%S%.3f")
            .to_string(),
        Err(_) => ms.to_string(),
    }
}

/// Formats epoch microseconds in a zone as `2026-02-04 17:13:05.123456`.
pub fn format_us(us: i64, tz: &TimeZone) -> String {
    match Timestamp::from_microsecond(us) {
        Ok(ts) => ts
            .to_zoned(tz.clone())
            .strftime("%Y-%m-%d %H:%M:%S%.6f")
            .to_string(),
        Err(_) => us.to_string(),
    }
}

/// A duration in ms as `1:02:03`, `2:05` or `0.350 s`.
pub fn format_duration_ms(ms: i64) -> String {
    if ms < 1000 {
        return format!("{:.3} s", ms as f64 / 1000.0);
    }
    let secs = ms / 1000;
    let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// One message row for downloads.
fn row_json(row: &HomerRow, tz: &TimeZone) -> Value {
    json!({
        "time": row.time_us().map(|us| format_us(us, tz)),
        "time_us": row.time_us(),
        "method": row.method,
        "cseq": row.cseq,
        "from_user": row.from_user,
        "to_user": row.to_user,
        "ruri_user": row.ruri_user,
        "user_agent": row.user_agent,
        "src": host_port(&row.src_ip, row.src_port),
        "dst": host_port(&row.dst_ip, row.dst_port),
        "call_id": row.sid,
        "node": row.node,
    })
}

/// One call for downloads.
fn call_json(call: &CallSummary, tz: &TimeZone) -> Value {
    json!({
        "time": format_ms(call.first_ts_ms, tz),
        "first_ts_ms": call.first_ts_ms,
        "last_ts_ms": call.last_ts_ms,
        "caller": call.caller,
        "callee": call.callee,
        "status": call.status.to_string(),
        "duration_ms": call.duration_ms,
        "post_dial_delay_ms": call.post_dial_delay_ms,
        "messages": call.message_count,
        "src": call.src.as_ref().map(ToString::to_string),
        "dst": call.dst.as_ref().map(ToString::to_string),
        "direction": call.direction,
        "call_id": call.call_id,
        "methods": call.methods,
    })
}

/// Download formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DownloadFormat {
    Json,
    Jsonl,
    Csv,
}

impl DownloadFormat {
    /// File extension and MIME type.
    pub fn extension_and_mime(self) -> (&'static str, &'static str) {
        match self {
            DownloadFormat::Json => ("json", "application/json"),
            DownloadFormat::Jsonl => ("jsonl", "application/x-ndjson"),
            DownloadFormat::Csv => ("csv", "text/csv"),
        }
    }
}

/// Message rows as a download.
pub fn rows_download(rows: &[HomerRow], tz: &TimeZone, format: DownloadFormat) -> String {
    render(rows.iter().map(|r| row_json(r, tz)).collect(), format)
}

/// Calls as a download.
pub fn calls_download(calls: &[CallSummary], tz: &TimeZone, format: DownloadFormat) -> String {
    render(calls.iter().map(|c| call_json(c, tz)).collect(), format)
}

fn render(items: Vec<Value>, format: DownloadFormat) -> String {
    match format {
        DownloadFormat::Json => serde_json::to_string_pretty(&items).unwrap_or_default(),
        DownloadFormat::Jsonl => items.iter().map(|v| format!("{v}\n")).collect::<String>(),
        DownloadFormat::Csv => to_csv(&items),
    }
}

/// Objects to CSV with the first object's keys as columns (RFC 4180 quoting).
fn to_csv(items: &[Value]) -> String {
    let Some(Value::Object(first)) = items.first() else {
        return String::new();
    };
    let columns: Vec<&String> = first.keys().collect();
    let mut out = String::new();
    out.push_str(
        &columns
            .iter()
            .map(|c| csv_field(c))
            .collect::<Vec<_>>()
            .join(","),
    );
    out.push_str("\r\n");
    for item in items {
        let line: Vec<String> = columns
            .iter()
            .map(|c| match item.get(c.as_str()) {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => csv_field(s),
                Some(other) => csv_field(&other.to_string()),
            })
            .collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_sort_parses_and_toggles() {
        let sort = ColumnSort::parse("-time").unwrap();
        assert!(sort.descending);
        assert_eq!(sort.to_param(), "-time");
        assert_eq!(ColumnSort::parse(""), None);
        let next = ColumnSort::toggled(Some(&sort), "time");
        assert_eq!(next.to_param(), "time");
        let other = ColumnSort::toggled(Some(&sort), "from");
        assert_eq!(other.to_param(), "from");
    }

    #[test]
    fn visible_window_covers_the_viewport_with_overscan() {
        assert_eq!(visible_window(0.0, 280.0, 28.0, 5000, 5), (0, 16));
        assert_eq!(visible_window(2800.0, 280.0, 28.0, 5000, 5), (95, 116));
        assert_eq!(visible_window(1e9, 280.0, 28.0, 50, 5), (50, 50));
        assert_eq!(visible_window(0.0, 280.0, 28.0, 0, 5), (0, 0));
        assert_eq!(visible_window(f64::NAN, 280.0, 28.0, 10, 5), (0, 10));
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(format_duration_ms(350), "0.350 s");
        assert_eq!(format_duration_ms(125_000), "2:05");
        assert_eq!(format_duration_ms(3_723_000), "1:02:03");
    }

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let items = vec![json!({"a": "x,y", "b": "say \"hi\"", "c": 3, "d": null})];
        let csv = to_csv(&items);
        assert_eq!(csv, "a,b,c,d\r\n\"x,y\",\"say \"\"hi\"\"\",3,\r\n");
    }

    #[test]
    fn times_format_in_the_given_zone() {
        let tz = TimeZone::fixed(jiff::tz::offset(1));
        assert_eq!(format_ms(0, &tz), "1970-01-01 01:00:00.000");
        assert_eq!(
            format_us(1_500_000, &TimeZone::UTC),
            "1970-01-01 00:00:01.500000"
        );
        assert_eq!(host_port("::1", Some(5060)), "[::1]:5060");
    }

    #[test]
    fn calls_sort_by_direction_and_downloads_carry_it() {
        let call = |id: &str, direction: &str| {
            let rows = [HomerRow {
                sid: id.into(),
                method: "INVITE".into(),
                time_seconds: Some(1),
                ..HomerRow::default()
            }];
            let mut c = crate::domain::calls::group_calls(&rows).remove(0);
            c.direction = direction.into();
            c
        };
        let mut calls = vec![call("a", "pbx → sbc"), call("b", "carrier → sbc")];
        sort_calls(&mut calls, &ColumnSort::parse("direction").unwrap());
        assert_eq!(calls[0].call_id, "b");
        let csv = calls_download(&calls, &TimeZone::UTC, DownloadFormat::Csv);
        let header = csv.lines().next().unwrap();
        assert!(header.split(',').any(|c| c == "direction"), "{header}");
        assert!(csv.contains("carrier → sbc"));
        let json = calls_download(&calls, &TimeZone::UTC, DownloadFormat::Json);
        assert!(json.contains("\"direction\": \"pbx → sbc\""), "{json}");
    }
}
