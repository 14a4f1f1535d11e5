//! Logs (tracing: text or JSON, level from `RUST_LOG`), one log line per HTTP request, and the
//! Prometheus metrics rendered by `GET /metrics`.
//!
//! Every metric is described in [`METRICS`] (its `# HELP` line, checked by `promtool check
//! metrics` in the tests): counters end in `_total` and nothing else does; durations are
//! histograms in seconds with the buckets of [`DURATION_BUCKETS`].

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// The crate version, as `hepscope --version` prints it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The git commit the binary was built from (`unknown` outside git), set by `build.rs`.
pub const COMMIT: &str = env!("HEPSCOPE_GIT_COMMIT");
/// `hepscope --version`'s text after the name.
pub const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("HEPSCOPE_GIT_COMMIT"),
    ")"
);

/// Histogram buckets (seconds) for every `*_seconds` histogram: 1 ms to 30 s.
pub const DURATION_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// A metric's Prometheus type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

/// Every metric hepscope exports, with its help text.
pub const METRICS: &[(&str, Kind, &str)] = &[
    ("hepscope_build_info", Kind::Gauge, "Always 1; the labels name the version and git commit."),
    ("hepscope_http_requests_total", Kind::Counter, "HTTP requests answered, by route and status."),
    ("hepscope_http_request_duration_seconds", Kind::Histogram, "Time to answer an HTTP request (until the response head), by route."),
    ("hepscope_logins_total", Kind::Counter, "Login attempts, by result."),
    ("hepscope_hep_received_total", Kind::Counter, "HEP packets received, by transport."),
    ("hepscope_hep_received_bytes_total", Kind::Counter, "Bytes of HEP packets received, by transport."),
    ("hepscope_hep_keepalive_total", Kind::Counter, "HEP3 packets without payload (keep-alives), by transport."),
    ("hepscope_hep_auth_failed_total", Kind::Counter, "HEP packets dropped for a wrong or missing capture password."),
    ("hepscope_hep_malformed_total", Kind::Counter, "HEP packets dropped as malformed, by reason (oversized: a payload inflating past 64 KiB)."),
    ("hepscope_hep_future_timestamp_total", Kind::Counter, "HEP packets whose capture time was over an hour ahead of the receive time and was replaced by it."),
    ("hepscope_hep_tcp_connections", Kind::Gauge, "Open HEP TCP connections."),
    ("hepscope_hep_tcp_rejected_total", Kind::Counter, "HEP TCP connections refused on accept, by reason (max_connections, per_address)."),
    ("hepscope_hep_tcp_idle_closed_total", Kind::Counter, "HEP TCP connections closed for idleness."),
    ("hepscope_hep_tcp_packet_timeout_total", Kind::Counter, "HEP TCP connections closed for not completing a packet within tcp_packet_timeout of its first byte."),
    ("hepscope_hep_tcp_backpressure_total", Kind::Counter, "Times a HEP TCP connection stopped reading for a congested store."),
    ("hepscope_hep_tcp_backpressure_expired_total", Kind::Counter, "HEP TCP pauses that ran out before the store caught up."),
    ("hepscope_hep_tcp_backpressure_duration_seconds", Kind::Histogram, "How long a HEP TCP connection paused for a congested store."),
    ("hepscope_sip_messages_total", Kind::Counter, "SIP messages stored, by method (the CSeq method for responses) and class (request, 1xx to 6xx)."),
    ("hepscope_store_rows_total", Kind::Counter, "Rows committed to the embedded store by the live writer."),
    ("hepscope_store_dropped_total", Kind::Counter, "Packets dropped because the store's writer queue was full, by reason (queue_full: rows, queue_bytes: bytes)."),
    ("hepscope_store_rejected_total", Kind::Counter, "SIP packets not stored because they did not scan as SIP."),
    ("hepscope_store_lost_rows_total", Kind::Counter, "Rows lost with a failed commit."),
    ("hepscope_store_write_errors_total", Kind::Counter, "Failed store commits or retention runs."),
    ("hepscope_store_partitions_dropped_total", Kind::Counter, "Store partitions dropped, by reason (retention, or disk over max_disk)."),
    ("hepscope_store_queue_rows", Kind::Gauge, "Rows waiting in the store's writer queue."),
    ("hepscope_store_queue_bytes", Kind::Gauge, "Bytes the store's writer holds: rows queued or in its uncommitted batch (bounded by [store] queue_bytes)."),
    ("hepscope_store_disk_bytes", Kind::Gauge, "Size on disk of the store's files, by file (data, index, wal)."),
    ("hepscope_store_partitions", Kind::Gauge, "Time partitions in the store."),
    ("hepscope_store_oldest_partition_age_seconds", Kind::Gauge, "Age of the start of the oldest stored partition."),
    ("hepscope_live_published_total", Kind::Counter, "Packets published to the live stream."),
    ("hepscope_live_delivered_total", Kind::Counter, "Packets delivered to live stream subscribers."),
    ("hepscope_live_dropped_total", Kind::Counter, "Live stream packets dropped, by cause."),
    ("hepscope_live_subscribers", Kind::Gauge, "Live stream subscribers connected."),
    ("hepscope_live_subscriber_dropped", Kind::Gauge, "Packets dropped for one live subscriber slot, by cause."),
    ("hepscope_live_refused_total", Kind::Counter, "Live stream connections refused."),
    ("hepscope_live_relay_connects_total", Kind::Counter, "Connections made to upstream live stream nodes."),
    ("hepscope_live_relay_undecodable_total", Kind::Counter, "Undecodable messages from upstream live stream nodes."),
    ("hepscope_demo_packets_sent_total", Kind::Counter, "Demo HEP packets sent, by transport."),
    ("hepscope_demo_send_errors_total", Kind::Counter, "Demo HEP packets that could not be sent, by transport and reason."),
];

static PROMETHEUS: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide metrics recorder once; later calls reuse it (tests start many servers).
pub fn metrics_handle() -> Option<&'static PrometheusHandle> {
    PROMETHEUS.get_or_init(install).as_ref()
}

fn install() -> Option<PrometheusHandle> {
    let builder = match PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), DURATION_BUCKETS)
    {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(error = %e, "metrics buckets refused");
            return None;
        }
    };
    match builder.install_recorder() {
        Ok(handle) => {
            describe_all();
            metrics::gauge!("hepscope_build_info", "version" => VERSION, "commit" => COMMIT)
                .set(1.0);
            Some(handle)
        }
        Err(e) => {
            tracing::warn!(error = %e, "metrics recorder not installed");
            None
        }
    }
}

fn describe_all() {
    for &(name, kind, help) in METRICS {
        match kind {
            Kind::Counter => metrics::describe_counter!(name, help),
            Kind::Gauge => metrics::describe_gauge!(name, help),
            Kind::Histogram => metrics::describe_histogram!(name, help),
        }
    }
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line (tracing-subscriber's JSON, fields flattened).
    Json,
}

/// Sets up logging to stderr from `RUST_LOG` (default `info`) in `format`. Safe to call twice.
pub fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Logs go to stderr: stdout keeps the few lines meant for the person starting it (addresses, where
    // the admin password is), so a log pipeline reading stderr gets nothing but log lines.
    // Colours only on a terminal: a journal or log file gets plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init(),
    };
}

/// `GET /metrics`: Prometheus text format.
pub fn render_metrics() -> Response {
    let body = metrics_handle().map(|h| h.render()).unwrap_or_default();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

/// The user a request was made as, put in the response's extensions by the session check so the
/// request log line can name it.
#[derive(Clone, Debug)]
pub struct RequestUser(pub String);

/// Middleware: counts requests and their latency by route and status, and logs one line per
/// request with method, path (never the query string, which may hold tokens), status, duration
/// and user (`-` without a session).
pub async fn track_requests(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| {
            if request.uri().path().starts_with("/api/") {
                "/api/unknown".to_string()
            } else {
                "static".to_string()
            }
        });
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    metrics::counter!("hepscope_http_requests_total", "route" => route.clone(), "status" => status.to_string())
        .increment(1);
    metrics::histogram!("hepscope_http_request_duration_seconds", "route" => route)
        .record(elapsed.as_secs_f64());
    let user = response
        .extensions()
        .get::<RequestUser>()
        .map_or("-", |u| u.0.as_str());
    tracing::info!(
        target: "hepscope::http",
        method = %method,
        path = %path,
        status,
        duration_ms = duration_ms(elapsed),
        user,
        "request"
    );
    response
}

/// A duration in milliseconds to the microsecond, so log lines read `0.099`, not `0.09861600000000001`.
fn duration_ms(elapsed: std::time::Duration) -> f64 {
    (elapsed.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_durations_are_logged_to_the_microsecond() {
        assert_eq!(duration_ms(std::time::Duration::from_nanos(98_616)), 0.099);
        assert_eq!(duration_ms(std::time::Duration::from_millis(1500)), 1500.0);
    }

    #[test]
    fn only_counters_end_in_total_and_durations_are_histograms() {
        for &(name, kind, help) in METRICS {
            assert!(name.starts_with("hepscope_"), "{name}");
            assert!(!help.is_empty(), "{name}");
            assert_eq!(name.ends_with("_total"), kind == Kind::Counter, "{name}");
            if kind == Kind::Histogram {
                assert!(name.ends_with("_seconds"), "{name}");
            }
        }
        let mut names: Vec<_> = METRICS.iter().map(|m| m.0).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), METRICS.len(), "a metric is described twice");
    }

    #[test]
    fn version_names_the_commit() {
        assert!(LONG_VERSION.starts_with(VERSION));
        assert!(LONG_VERSION.contains(COMMIT));
        assert!(!COMMIT.is_empty());
    }
}
