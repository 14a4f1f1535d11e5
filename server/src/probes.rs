//! Probes for orchestrators and Prometheus: `GET /readyz` (readiness) and `GET /metrics` (with the
//! store's gauges refreshed per scrape). `GET /healthz`, the liveness probe, stays in the crate root.
//!
//! Readiness means "send me traffic": the store can write and, when the default backend is a HOMER
//! 7, it answers. The HOMER check logs in and fetches a mapping, so its result is kept for
//! [`HOMER_CHECK_TTL`] (probes come every few seconds) and bounded by [`HOMER_CHECK_TIMEOUT`].

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use app::domain::api::BackendKind;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::store::Store;
use crate::AppState;

/// How long a HOMER check result is reused.
pub const HOMER_CHECK_TTL: Duration = Duration::from_secs(10);
/// A HOMER check taking longer counts as unreachable.
pub const HOMER_CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// When the last HOMER check ran and what it found.
type LastCheck = Option<(Instant, Result<(), String>)>;

/// State of `/readyz`: the app and the last HOMER check.
#[derive(Clone)]
pub struct Readiness {
    app: AppState,
    last_check: Arc<Mutex<LastCheck>>,
}

impl Readiness {
    /// Readiness of `app`, with no HOMER check made yet.
    pub fn new(app: AppState) -> Self {
        Readiness {
            app,
            last_check: Arc::new(Mutex::new(None)),
        }
    }

    /// `Err(reason)` while the store cannot write or the default HOMER 7 does not answer.
    async fn check(&self) -> Result<(), String> {
        if let Some(store) = &self.app.store {
            if let Some(reason) = store.stats().degraded {
                return Err(format!("store: {reason}"));
            }
        }
        let Some((name, backend)) = self.app.backends.default_backend() else {
            return Ok(());
        };
        if backend.info().kind != BackendKind::Homer7 {
            return Ok(());
        }
        let cached = self
            .last_check
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .filter(|(at, _)| at.elapsed() < HOMER_CHECK_TTL)
            .map(|(_, result)| result.clone());
        if let Some(result) = cached {
            return result;
        }
        let result = match tokio::time::timeout(HOMER_CHECK_TIMEOUT, backend.check()).await {
            Err(_) => Err(format!(
                "default backend {name}: no answer within {} s",
                HOMER_CHECK_TIMEOUT.as_secs()
            )),
            Ok(report) if report.ok => Ok(()),
            Ok(report) => {
                let failed = report
                    .steps
                    .iter()
                    .find(|s| !s.ok)
                    .map(|s| format!("{}: {}", s.step, s.detail))
                    .unwrap_or_else(|| "check failed".into());
                Err(format!("default backend {name}: {failed}"))
            }
        };
        *self
            .last_check
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some((Instant::now(), result.clone()));
        result
    }
}

/// `GET /readyz`: 200 `{"status":"ready"}`, or 503 `{"status":"not ready","reason":…}`.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "probes",
    responses(
        (status = 200, description = "`{\"status\": \"ready\"}`", body = serde_json::Value),
        (status = 503, description = "`{\"status\": \"not ready\", \"reason\"}`", body = serde_json::Value),
    )
)]
pub async fn readyz(State(readiness): State<Readiness>) -> Response {
    match readiness.check().await {
        Ok(()) => Json(serde_json::json!({ "status": "ready" })).into_response(),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({ "status": "not ready", "reason": reason })),
        )
            .into_response(),
    }
}

/// `GET /metrics`: refreshes the store's gauges, then renders every metric.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "probes",
    responses((status = 200, description = "Prometheus text exposition", content_type = "text/plain"))
)]
pub async fn metrics(State(app): State<AppState>) -> Response {
    if let Some(store) = &app.store {
        export_store_gauges(store).await;
    }
    crate::telemetry::render_metrics()
}

async fn export_store_gauges(store: &Store) {
    metrics::gauge!("hepscope_store_queue_rows").set(store.queued_rows() as f64);
    metrics::gauge!("hepscope_store_queue_bytes").set(store.queued_bytes() as f64);
    let disk = store.disk_usage();
    for (file, bytes) in [
        ("data", disk.data),
        ("index", disk.index),
        ("wal", disk.wal),
    ] {
        metrics::gauge!("hepscope_store_disk_bytes", "file" => file).set(bytes as f64);
    }
    match store.partition_span_stats().await {
        Ok(stats) => {
            metrics::gauge!("hepscope_store_partitions").set(stats.count as f64);
            let now_us = jiff::Timestamp::now().as_microsecond();
            let age_s = stats.oldest_start_us.map_or(0.0, |start| {
                (now_us.saturating_sub(start)).max(0) as f64 / 1e6
            });
            metrics::gauge!("hepscope_store_oldest_partition_age_seconds").set(age_s);
        }
        Err(e) => tracing::warn!(error = %e, "metrics: cannot list the store's partitions"),
    }
}
