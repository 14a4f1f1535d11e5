//! The embedded store as a backend of the registry: `/api/v3` requests answered in-process by the
//! store's HOMER 7 router, behind the same allowlist as a real Homer.

use axum::body::Body;
use axum::http::Method;
use axum::response::Response;
use axum::Router;
use bytes::Bytes;
use futures_util::future::BoxFuture;
use tower::ServiceExt;

use app::domain::api::{BackendInfo, BackendKind};

use crate::homer::check::{check_store_then_mapping, CheckReport};
use crate::homer::{UpstreamError, V3Backend, V3Request};
use crate::store::{Store, StoreStats};

/// Name of the embedded backend in `/api/backends` and `/api/b/{name}/v3`.
pub const EMBEDDED_BACKEND_NAME: &str = "embedded";

/// The store answering HOMER 7 requests.
pub struct EmbeddedBackend {
    router: Router,
    store: Store,
    default: bool,
}

impl EmbeddedBackend {
    /// Wraps the store's HOMER 7 router.
    pub fn new(store: Store, default: bool) -> Self {
        Self {
            router: crate::store::api::router(store.clone()),
            store,
            default,
        }
    }
}

impl V3Backend for EmbeddedBackend {
    fn info(&self) -> BackendInfo {
        BackendInfo {
            name: EMBEDDED_BACKEND_NAME.to_owned(),
            kind: BackendKind::Embedded,
            url: None,
            default: self.default,
            status: "ok".to_owned(),
        }
    }

    fn check(&self) -> BoxFuture<'static, CheckReport> {
        let info = self.info();
        let store = store_step(&self.store.stats());
        let call = self.call(V3Request {
            method: Method::GET,
            path: "mapping/protocol".to_owned(),
            query: None,
            body: Bytes::new(),
        });
        Box::pin(check_store_then_mapping(info, store, call))
    }

    fn call(&self, request: V3Request) -> BoxFuture<'static, Result<Response, UpstreamError>> {
        let router = self.router.clone();
        Box::pin(async move {
            let uri = match &request.query {
                Some(q) if !q.is_empty() => format!("/{}?{q}", request.path),
                _ => format!("/{}", request.path),
            };
            let http_request = axum::http::Request::builder()
                .method(request.method)
                .uri(uri)
                .header("content-type", "application/json")
                .body(Body::from(request.body))
                .map_err(|e| UpstreamError::Broken {
                    backend: EMBEDDED_BACKEND_NAME.to_owned(),
                    detail: e.to_string(),
                })?;
            match router.oneshot(http_request).await {
                Ok(response) => Ok(response),
                Err(never) => match never {},
            }
        })
    }
}

/// The `store` step of the check: the writer's counters, or why it is degraded.
fn store_step(stats: &StoreStats) -> Result<String, String> {
    match &stats.degraded {
        Some(reason) => Err(format!(
            "degraded: {reason} ({} write errors, {} rows lost)",
            stats.write_errors, stats.lost
        )),
        None => Ok(format!(
            "writing: {} messages stored since start, {} dropped (writer queue full), {} rejected as not SIP",
            stats.stored, stats.dropped, stats.rejected
        )),
    }
}

impl crate::ingest::PacketSink for Store {
    fn accept(&self, packet: &std::sync::Arc<crate::hep::HepPacket>, received_at_us: i64) {
        self.ingest(packet.as_ref().clone(), received_at_us);
    }

    fn congested(&self) -> bool {
        Store::congested(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_step_reports_counters_or_the_degraded_reason() {
        let ok = StoreStats {
            stored: 42,
            dropped: 3,
            ..StoreStats::default()
        };
        let text = store_step(&ok).unwrap();
        assert!(text.contains("42 messages stored"), "{text}");
        assert!(text.contains("3 dropped"), "{text}");
        let degraded = StoreStats {
            degraded: Some("disk full".into()),
            write_errors: 2,
            ..StoreStats::default()
        };
        let text = store_step(&degraded).unwrap_err();
        assert!(text.starts_with("degraded: disk full"), "{text}");
    }
}
