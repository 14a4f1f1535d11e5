//! The embedded store as a backend of the registry: `/api/v3` requests answered in-process by the
//! store's HOMER 7 router, behind the same allowlist as a real Homer.

use axum::body::Body;
use axum::response::Response;
use axum::Router;
use futures_util::future::BoxFuture;
use tower::ServiceExt;

use app::domain::api::{BackendInfo, BackendKind};

use crate::homer::{UpstreamError, V3Backend, V3Request};
use crate::store::Store;

/// Name of the embedded backend in `/api/backends` and `/api/b/{name}/v3`.
pub const EMBEDDED_BACKEND_NAME: &str = "embedded";

/// The store answering HOMER 7 requests.
pub struct EmbeddedBackend {
    router: Router,
    default: bool,
}

impl EmbeddedBackend {
    /// Wraps the store's HOMER 7 router.
    pub fn new(store: Store, default: bool) -> Self {
        Self {
            router: crate::store::api::router(store),
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

impl crate::ingest::PacketSink for Store {
    fn accept(&self, packet: &std::sync::Arc<crate::hep::HepPacket>, received_at_us: i64) {
        self.ingest(packet.as_ref().clone(), received_at_us);
    }
}
