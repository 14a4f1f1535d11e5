//! `V3Backend`: anything that answers `/api/v3` requests (a HOMER 7, later the embedded store),
//! and `HomerBackend`, the HOMER 7 implementation over [`HomerClient`].

use std::sync::Arc;
use std::time::Duration;

use app::domain::api::{BackendInfo, BackendKind};
use axum::body::Body;
use axum::http::{header, Method};
use axum::response::Response;
use bytes::Bytes;
use futures_util::future::BoxFuture;

use super::check::{check_homer, check_via_mapping, CheckReport};
use super::client::{HomerBody, HomerClient, HomerResponse, V3Request};
use super::discovery::{ServiceResolver, SystemResolver};
use super::error::UpstreamError;

/// A source of HOMER-shaped answers. Implemented by [`HomerBackend`] and by the embedded store.
pub trait V3Backend: Send + Sync {
    /// Name, kind and URL. `default` and `status` are filled in by the registry.
    fn info(&self) -> BackendInfo;

    /// Answers one `/api/v3/{path}` request (already allowlisted by the proxy).
    ///
    /// The response carries the backend's status, body, `Content-Type` and
    /// `Content-Disposition`; an `Err` means no usable HTTP answer at all.
    fn call(&self, request: V3Request) -> BoxFuture<'static, Result<Response, UpstreamError>>;

    /// The `GET /api/backends/{name}/check` diagnostic. By default: time one
    /// `GET mapping/protocol` through [`V3Backend::call`].
    fn check(&self) -> BoxFuture<'static, CheckReport> {
        let info = self.info();
        let call = self.call(V3Request {
            method: Method::GET,
            path: "mapping/protocol".to_owned(),
            query: None,
            body: Bytes::new(),
        });
        Box::pin(check_via_mapping(info, call))
    }
}

/// A HOMER 7 backend.
#[derive(Clone)]
pub struct HomerBackend {
    client: HomerClient,
    default: bool,
    connect_timeout: Duration,
    resolver: Arc<dyn ServiceResolver>,
}

impl std::fmt::Debug for HomerBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HomerBackend")
            .field("client", &self.client)
            .field("default", &self.default)
            .finish_non_exhaustive()
    }
}

impl HomerBackend {
    /// Wraps a client. `default` marks the backend `/api/v3` goes to.
    pub fn new(client: HomerClient, default: bool, connect_timeout: Duration) -> Self {
        Self {
            client,
            default,
            connect_timeout,
            resolver: Arc::new(SystemResolver),
        }
    }

    /// Uses `resolver` for the DNS and TCP steps of [`V3Backend::check`].
    pub fn with_resolver(mut self, resolver: Arc<dyn ServiceResolver>) -> Self {
        self.resolver = resolver;
        self
    }

    /// Whether the config marked this backend as the default.
    pub fn is_default(&self) -> bool {
        self.default
    }

    /// The underlying client.
    pub fn client(&self) -> &HomerClient {
        &self.client
    }
}

impl V3Backend for HomerBackend {
    fn info(&self) -> BackendInfo {
        BackendInfo {
            name: self.client.name().to_owned(),
            kind: BackendKind::Homer7,
            url: Some(self.client.base_url().to_string()),
            default: self.default,
            status: "unknown".to_owned(),
        }
    }

    fn call(&self, request: V3Request) -> BoxFuture<'static, Result<Response, UpstreamError>> {
        let client = self.client.clone();
        Box::pin(async move { client.send(&request).await.map(into_response) })
    }

    fn check(&self) -> BoxFuture<'static, CheckReport> {
        let client = self.client.clone();
        let resolver = Arc::clone(&self.resolver);
        let connect_timeout = self.connect_timeout;
        Box::pin(async move { check_homer(&client, resolver.as_ref(), connect_timeout).await })
    }
}

/// Homer's answer as an axum response: status, body, `Content-Type`, `Content-Disposition`.
pub fn into_response(homer: HomerResponse) -> Response {
    let body = match homer.body {
        HomerBody::Full(bytes) => Body::from(bytes),
        HomerBody::Stream(stream) => Body::from_stream(stream),
    };
    let mut response = Response::new(body);
    *response.status_mut() = homer.status;
    let headers = response.headers_mut();
    if let Some(value) = homer.content_type {
        headers.insert(header::CONTENT_TYPE, value);
    }
    if let Some(value) = homer.content_disposition {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}
