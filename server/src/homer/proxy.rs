//! The browser-facing HOMER routes, meant to be nested under `/api` behind the session check.
//!
//! - `GET /backends`: every backend's name, kind, URL, default flag and last status.
//! - `GET /backends/{name}/check`: the diagnostic of [`super::check`]; admins only, since it logs in to
//!   the backend and repeated checks by anyone could lock HOMER's service account.
//! - `ANY /v3/{*path}`: the default backend; `ANY /b/{name}/v3/{*path}`: a named one.
//!
//! Only allowlisted read routes pass ([`super::allowlist`]); others get a 403 JSON naming the
//! route. Failures are JSON [`ErrorBody`]s, never HTML.

use std::sync::Arc;

use app::domain::api::{BackendInfo, ErrorBody};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::Extension;
use axum::{Json, Router};

use super::allowlist::is_allowed;
use super::check::CheckReport;
use super::client::V3Request;
use super::guard::Route;
use super::registry::BackendRegistry;
use crate::audit::{Action, Audit, Outcome};
use crate::auth::{Right, Session};
use crate::error::AppError;

/// Largest request body forwarded to Homer (search bodies are a few kB).
pub const MAX_REQUEST_BODY_BYTES: usize = 1024 * 1024;

/// The HOMER routes with their state applied. Nest under `/api`.
pub fn router(registry: Arc<BackendRegistry>) -> Router {
    Router::new()
        .route("/backends", get(backends_list))
        .route("/backends/{name}/check", get(backend_check))
        .route("/v3/{*path}", any(v3_default))
        .route("/b/{name}/v3/{*path}", any(v3_named))
        .with_state(registry)
}

/// `GET /api/backends`: every backend's name, kind, URL, default flag and last status.
#[utoipa::path(
    get,
    path = "/api/backends",
    tag = "backends",
    security(("session_cookie" = []), ("bearer" = [])),
    responses((status = 200, description = "The backends (never with credentials)", body = Vec<BackendInfo>))
)]
async fn backends_list(State(registry): State<Arc<BackendRegistry>>) -> Json<Vec<BackendInfo>> {
    Json(registry.infos())
}

/// Runs the check for an admin. The session comes from the session middleware's extension; without one
/// (a router not behind it) the check is refused too.
#[utoipa::path(
    get,
    path = "/api/backends/{name}/check",
    tag = "backends",
    params(("name" = String, Path, description = "The backend's name")),
    security(("session_cookie" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The diagnostic's steps (a failed check is still 200, `ok: false`)", body = CheckReport),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "No backend of that name", body = ErrorBody),
    )
)]
async fn backend_check(
    State(registry): State<Arc<BackendRegistry>>,
    session: Option<Extension<Session>>,
    audit: Audit,
    Path(name): Path<String>,
) -> Result<Json<CheckReport>, Response> {
    let Some(Extension(session)) = session else {
        return Err(AppError::Unauthorized.into_response());
    };
    // The check logs in to the backend with its service account.
    session
        .require(Right::Admin)
        .map_err(IntoResponse::into_response)?;
    let backend = registry.get(&name).ok_or_else(|| unknown_backend(&name))?;
    let report = backend.check().await;
    let outcome = if report.ok {
        Outcome::Success
    } else {
        Outcome::Failure
    };
    audit.by(
        &session,
        Action::Admin,
        format!("backend check {name}"),
        outcome,
    );
    registry.record_status(&name, if report.ok { "ok" } else { "check failed" });
    Ok(Json(report))
}

/// `ANY /api/v3/{*path}`: the HOMER 7 API of the default backend.
#[utoipa::path(
    method(get, post),
    path = "/api/v3/{path}",
    tag = "homer",
    description = "HOMER 7's API, passed through: request and answer bodies are HOMER 7's, unchanged (the embedded store answers the same API). Only the read routes listed below pass; any other method or path is answered 403 without reaching the backend.",
    params(("path" = String, Path, description = "The HOMER 7 API route after /api/v3/, e.g. search/call/data (may contain /)")),
    security(("session_cookie" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The backend's answer, passed through (JSON, or pcap/text for exports)"),
        (status = 403, description = "Not an allowlisted read route", body = ErrorBody),
        (status = 404, description = "No backend of that name", body = ErrorBody),
        (status = 413, description = "Request body over 1 MiB", body = ErrorBody),
        (status = 502, description = "The backend failed or answered garbage", body = ErrorBody),
        (status = 504, description = "The backend timed out", body = ErrorBody),
        (status = 503, description = "No backend configured", body = ErrorBody),
    )
)]
async fn v3_default(
    State(registry): State<Arc<BackendRegistry>>,
    session: Option<Extension<Session>>,
    audit: Audit,
    method: Method,
    uri: Uri,
    body: Body,
) -> Response {
    let Some((name, _)) = registry.default_backend() else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorBody::new("no backend is configured"),
        );
    };
    let tail = uri.path().strip_prefix("/v3/").unwrap_or_default();
    let caller = Caller { session, audit };
    forward(&registry, name, method, tail, uri.query(), body, caller).await
}

/// `ANY /api/b/{name}/v3/{*path}`: the HOMER 7 API of the backend `name`.
#[utoipa::path(
    method(get, post),
    path = "/api/b/{name}/v3/{path}",
    tag = "homer",
    description = "HOMER 7's API, passed through: request and answer bodies are HOMER 7's, unchanged (the embedded store answers the same API). Only the read routes listed below pass; any other method or path is answered 403 without reaching the backend.",
    params(
        ("name" = String, Path, description = "The backend's name"),
        ("path" = String, Path, description = "The HOMER 7 API route after v3/ (may contain /)"),
    ),
    security(("session_cookie" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The backend's answer, passed through (JSON, or pcap/text for exports)"),
        (status = 403, description = "Not an allowlisted read route", body = ErrorBody),
        (status = 404, description = "No backend of that name", body = ErrorBody),
        (status = 413, description = "Request body over 1 MiB", body = ErrorBody),
        (status = 502, description = "The backend failed or answered garbage", body = ErrorBody),
        (status = 504, description = "The backend timed out", body = ErrorBody),
        (status = 503, description = "No backend configured", body = ErrorBody),
    )
)]
async fn v3_named(
    State(registry): State<Arc<BackendRegistry>>,
    session: Option<Extension<Session>>,
    audit: Audit,
    method: Method,
    uri: Uri,
    body: Body,
) -> Response {
    // The raw (still percent-encoded) path, so the allowlist sees what Homer will see. Backend
    // names are plain `[A-Za-z0-9_-]`, so the raw name is the name.
    let Some((name, tail)) = uri
        .path()
        .strip_prefix("/b/")
        .and_then(|rest| rest.split_once('/'))
        .and_then(|(name, rest)| Some((name, rest.strip_prefix("v3/")?)))
    else {
        return unknown_backend("");
    };
    let caller = Caller { session, audit };
    forward(
        &registry,
        name.to_owned(),
        method,
        tail,
        uri.query(),
        body,
        caller,
    )
    .await
}

/// Who is calling: the session (the router sits behind the session check) and the audit log.
struct Caller {
    session: Option<Extension<Session>>,
    audit: Audit,
}

async fn forward(
    registry: &BackendRegistry,
    name: String,
    method: Method,
    path: &str,
    query: Option<&str>,
    body: Body,
    caller: Caller,
) -> Response {
    let Some(Extension(session)) = caller.session else {
        return AppError::Unauthorized.into_response();
    };
    let route = Route::of(path);
    if let Err(e) = route.check(&session) {
        return e.into_response();
    }
    let Some(backend) = registry.get(&name) else {
        return unknown_backend(&name);
    };
    if !is_allowed(&method, path) {
        tracing::info!(backend = %name, %method, path, "refused a non-allowlisted Homer route");
        return error(
            StatusCode::FORBIDDEN,
            ErrorBody {
                error: format!("route not allowed through hepscope: {method} /api/v3/{path}"),
                backend: Some(name),
                detail: Some("only HOMER's read routes are proxied".to_owned()),
            },
        );
    }
    let body = match axum::body::to_bytes(body, MAX_REQUEST_BODY_BYTES).await {
        Ok(body) => body,
        Err(e) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorBody {
                    error: "request body too large or unreadable".to_owned(),
                    backend: Some(name),
                    detail: Some(e.to_string()),
                },
            )
        }
    };
    let request = V3Request {
        method,
        path: path.to_owned(),
        query: query.map(str::to_owned),
        body: body.clone(),
    };
    let response = match backend.call(request).await {
        Ok(response) => {
            let status = response.status();
            registry.record_status(
                &name,
                if status.is_server_error() {
                    format!("HTTP {}", status.as_u16())
                } else {
                    "ok".to_owned()
                },
            );
            response
        }
        Err(e) => {
            registry.record_status(&name, e.to_string());
            e.into_response()
        }
    };
    super::guard::after(route, &session, &caller.audit, &name, &body, response).await
}

fn unknown_backend(name: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        ErrorBody {
            error: format!("no backend named {name:?}"),
            backend: Some(name.to_owned()),
            detail: None,
        },
    )
}

fn error(status: StatusCode, body: ErrorBody) -> Response {
    (status, Json(body)).into_response()
}
