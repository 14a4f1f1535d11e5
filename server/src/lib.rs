//! hepscope's server: login and sessions, the front end, and (in their modules) the HOMER 7 proxy, the HEP
//! receiver with its embedded store, and the live stream.
//!
//! [`App::start`] turns a config into a running server (every listener bound, a [`RunningApp`] to stop);
//! `main` and the integration tests start servers through it. [`router`] builds the HTTP app from an
//! [`AppState`]; [`serve`] runs it on a bound listener until a shutdown future resolves.

pub mod app;
pub mod audit;
pub mod audit_http;
pub mod auth;
pub mod auth_config;
pub mod cli;
pub mod client_addr;
pub mod config;
pub mod demo;
pub mod duration;
pub mod error;
pub mod homer;
pub mod http_listener;
pub mod import;
pub mod import_http;
pub mod ingest;
pub mod live;
pub mod openapi;
pub mod origin;
pub mod probes;
pub mod ratelimit;
pub mod rights;
pub mod secret;
pub mod security_headers;
pub mod settings;
pub mod share;
pub mod shutdown;
pub mod store;
pub mod telemetry;
pub mod tls;
pub mod users;
pub mod web;

// The codecs live in `crates/hep`; re-exported so `crate::hep::…` and `crate::pcap::…` paths stay valid.
pub use hepscope_hep::{hep, pcap};

// The HOMER backend registry is part of the wiring; the old path `server::backends` still works.
pub use app::{backends, App, RunningApp};

// Owner-only files under the data dir (`crates/private-fs`): every module writing there goes through it.
pub use hepscope_private_fs as private_fs;

use std::future::Future;
use std::sync::Arc;

use anyhow::Context;
use axum::extract::{FromRef, OriginalUri};
use axum::http::{Method, StatusCode};
use axum::middleware;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;

use crate::auth::AuthState;
use crate::client_addr::TrustedProxies;
use crate::config::Config;
use crate::error::json_error;
use crate::homer::BackendRegistry;
use crate::origin::OriginPolicy;
use crate::store::Store;

/// Shared handles for handlers; each part is cheap to clone. Built by `AppState::from_config` (in
/// [`app`], with the rest of the wiring).
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub auth: AuthState,
    /// HOMER 7 instances and the embedded store, by name.
    pub backends: Arc<BackendRegistry>,
    /// The embedded HEP store, when `[store] enabled` (the default).
    pub store: Option<Store>,
    /// The live stream behind `GET /api/v4/stream/hep`; disabled until `live::LiveRuntime` provides it.
    pub live: live::LiveState,
    /// Share links (`/api/shares`, `/api/shared/{token}/…`).
    pub shares: share::Shares,
    /// The audit log (`audit.sqlite` in the data dir).
    pub audit: audit::AuditLog,
}

impl FromRef<AppState> for audit::AuditLog {
    fn from_ref(state: &AppState) -> audit::AuditLog {
        state.audit.clone()
    }
}

impl FromRef<AppState> for AuthState {
    fn from_ref(state: &AppState) -> AuthState {
        state.auth.clone()
    }
}

impl FromRef<AppState> for live::LiveState {
    fn from_ref(state: &AppState) -> live::LiveState {
        state.live.clone()
    }
}

impl FromRef<AppState> for OriginPolicy {
    fn from_ref(state: &AppState) -> OriginPolicy {
        OriginPolicy::new(state.config.http.public_origin.clone())
    }
}

impl FromRef<AppState> for share::Shares {
    fn from_ref(state: &AppState) -> share::Shares {
        state.shares.clone()
    }
}

/// The whole HTTP app.
pub fn router(state: AppState) -> Router {
    let mut protected = Router::new()
        .route("/me", get(auth::me))
        .route("/account/password", post(auth::change_password))
        .route("/stream-ticket", post(auth::ticket::stream_ticket))
        .merge(share::routes::session_routes())
        .merge(audit_http::routes())
        .merge(auth::tokens::routes())
        .route("/import", post(import_http::import_endpoint));
    if let Some(store) = &state.store {
        protected = protected.merge(store::sql_api::router(store.clone()));
    }
    let protected = protected
        .with_state(state.clone())
        .merge(homer::router(state.backends.clone()))
        .route_layer(middleware::from_fn_with_state(
            state.auth.clone(),
            auth::require_session,
        ));
    let api = Router::new()
        .route("/login", post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/auth/methods", get(auth::oidc::routes::methods))
        .route("/auth/oidc/start", get(auth::oidc::routes::start))
        .route("/auth/oidc/callback", get(auth::oidc::routes::callback))
        .route("/openapi.json", get(openapi::openapi_json))
        .route("/v4/stream/hep", get(live::endpoints::coordinator_stream))
        .merge(share::routes::public_routes())
        .with_state(state.clone())
        .merge(protected)
        .fallback(api_not_found)
        .layer(middleware::from_fn_with_state(
            OriginPolicy::from_ref(&state),
            origin::same_origin_writes,
        ));
    let mut app = Router::new().nest("/api", api);
    if let Some(store) = &state.store {
        // HEPop's path for the same SQL API, with the same session check and CSRF rule.
        app = app.merge(
            store::sql_api::router(store.clone())
                .route_layer(middleware::from_fn_with_state(
                    state.auth.clone(),
                    auth::require_session,
                ))
                .layer(middleware::from_fn_with_state(
                    OriginPolicy::from_ref(&state),
                    origin::same_origin_writes,
                )),
        );
    } else {
        // Without a store `/query` is still an API path: a JSON 404 that says why, not the app's page.
        app = app.route("/query", axum::routing::any(query_without_store));
    }
    let app = app
        .route("/healthz", get(healthz).with_state(state.clone()))
        .route(
            "/readyz",
            get(probes::readyz).with_state(probes::Readiness::new(state.clone())),
        )
        .route("/metrics", get(probes::metrics).with_state(state.clone()))
        .fallback_service(web::router(state.config.dist_dir.clone()))
        .layer(middleware::from_fn(telemetry::track_requests))
        .layer(axum::Extension(state.audit.clone()))
        .layer(middleware::from_fn_with_state(
            TrustedProxies::new(state.config.http.trusted_proxies.clone()),
            client_addr::resolve,
        ))
        .layer(CompressionLayer::new());
    security_headers::layer(app)
}

/// Serves `router` on `listener` until `shutdown` resolves, then finishes in-flight requests, with the
/// default [`http_listener::HttpLimits`].
///
/// # Errors
/// The listener fails.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    serve_with(
        listener,
        app,
        shutdown,
        http_listener::HttpLimits::default(),
    )
    .await
}

/// [`serve`] with explicit limits (`[http] header_read_timeout`, `max_connections`).
///
/// # Errors
/// The listener fails.
pub async fn serve_with(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: http_listener::HttpLimits,
) -> anyhow::Result<()> {
    http_listener::run(listener, app, shutdown, limits)
        .await
        .context("serving HTTP")
}

/// [`serve_with`] over TLS with `cert` (reloaded on SIGHUP): the same limits, the handshake within the
/// header-read timeout.
///
/// # Errors
/// The listener fails.
pub async fn serve_tls(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: http_listener::HttpLimits,
    cert: Arc<tls::Certificate>,
) -> anyhow::Result<()> {
    http_listener::run_with(listener, app, shutdown, limits, Some(cert))
        .await
        .context("serving HTTPS")
}

/// `GET /healthz`: `{"status":"ok"}`, or `"degraded"` with the reason while the store cannot
/// write (disk full, I/O errors), plus the store's counters.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "probes",
    responses((status = 200, description = "`{\"status\": \"ok\"|\"degraded\", \"reason\"?, \"store\"?}`", body = serde_json::Value))
)]
async fn healthz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Json<serde_json::Value> {
    let Some(store) = &state.store else {
        return Json(serde_json::json!({ "status": "ok" }));
    };
    let stats = store.stats();
    match &stats.degraded {
        Some(reason) => Json(serde_json::json!({
            "status": "degraded",
            "reason": format!("store: {reason}"),
            "store": stats,
        })),
        None => Json(serde_json::json!({ "status": "ok", "store": stats })),
    }
}

async fn query_without_store() -> Response {
    json_error(
        StatusCode::NOT_FOUND,
        "the SQL query API reads the embedded store, which is off ([store] enabled = false)",
    )
}

async fn api_not_found(method: Method, OriginalUri(uri): OriginalUri) -> Response {
    json_error(
        StatusCode::NOT_FOUND,
        format!("no such API route: {method} {}", uri.path()),
    )
}
