//! hepscope's server: login and sessions, the front end, and (in their modules) the HOMER 7 proxy, the HEP
//! receiver with its embedded store, and the live stream.
//!
//! [`router`] builds the HTTP app from an [`AppState`]; [`serve`] runs it on a bound listener until a
//! shutdown future resolves, so tests can start and stop real servers on `127.0.0.1:0`.

pub mod auth;
pub mod config;
pub mod error;
pub mod hep;
pub mod pcap;
pub mod ratelimit;
pub mod secret;
pub mod shutdown;
pub mod telemetry;
pub mod users;
pub mod web;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::extract::{FromRef, OriginalUri, Request};
use axum::http::{header, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

use crate::auth::AuthState;
use crate::config::Config;
use crate::error::json_error;
use crate::ratelimit::LoginLimiter;
use crate::users::{Bootstrap, Users};

/// Shared handles for handlers; each part is cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub auth: AuthState,
}

impl FromRef<AppState> for AuthState {
    fn from_ref(state: &AppState) -> AuthState {
        state.auth.clone()
    }
}

impl AppState {
    /// Prepares users and the session key from the config (touching the data dir).
    ///
    /// # Errors
    /// The data dir cannot be read or written.
    pub fn from_config(config: Config) -> anyhow::Result<(AppState, Bootstrap)> {
        let (users, bootstrap) = Users::prepare(&config.users, &config.auth, &config.data_dir)
            .context("preparing users")?;
        let key = secret::session_key(config.auth.jwt_secret.as_deref(), &config.data_dir)
            .context("preparing the session key")?;
        let auth = AuthState::new(
            &key,
            users,
            config.auth.session_ttl,
            config.auth.cookie_secure,
            LoginLimiter::new(config.auth.max_failed_logins, config.auth.lockout_window),
        );
        Ok((
            AppState {
                config: Arc::new(config),
                auth,
            },
            bootstrap,
        ))
    }
}

/// The whole HTTP app.
pub fn router(state: AppState) -> Router {
    let protected =
        Router::new()
            .route("/me", get(auth::me))
            .route_layer(middleware::from_fn_with_state(
                state.auth.clone(),
                auth::require_session,
            ));
    let api = Router::new()
        .route("/login", post(auth::login))
        .route("/logout", post(auth::logout))
        .merge(protected)
        .fallback(api_not_found)
        .layer(middleware::from_fn(same_origin_writes));
    Router::new()
        .nest("/api", api)
        .route("/healthz", get(healthz))
        .route("/metrics", get(telemetry::metrics_endpoint))
        .fallback_service(web::router(state.config.dist_dir.clone()))
        .layer(middleware::from_fn(telemetry::track_requests))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves `router` on `listener` until `shutdown` resolves, then finishes in-flight requests.
///
/// # Errors
/// The listener fails.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
    .context("serving HTTP")
}

async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

async fn api_not_found(method: Method, OriginalUri(uri): OriginalUri) -> Response {
    json_error(
        StatusCode::NOT_FOUND,
        format!("no such API route: {method} {}", uri.path()),
    )
}

/// Refuses state-changing API requests sent from another origin (a CSRF guard on top of SameSite=Lax):
/// when a browser sends an `Origin` header, its host must be the `Host` the request was sent to.
async fn same_origin_writes(request: Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !safe {
        let headers = request.headers();
        if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
            let origin_host = origin.split_once("://").map(|(_, h)| h).unwrap_or(origin);
            let host = headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if origin != "null" && !origin_host.eq_ignore_ascii_case(host) {
                return json_error(
                    StatusCode::FORBIDDEN,
                    format!("cross-origin request refused (Origin {origin}, Host {host})"),
                );
            }
        }
    }
    next.run(request).await
}
