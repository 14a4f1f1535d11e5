//! `GET /api/audit` (JSON) and `GET /api/audit.csv`: the audit log for holders of the `admin` right.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query as QueryParams, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use crate::audit::{to_csv, AuditLog, Query, Record};
use crate::auth::{Right, Session};
use crate::error::AppError;

/// The audit routes (behind the session check).
pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    AuditLog: axum::extract::FromRef<S>,
    crate::auth::AuthState: axum::extract::FromRef<S>,
{
    Router::new()
        .route("/audit", get(audit_json))
        .route("/audit.csv", get(audit_csv))
}

/// The query string: `user`, `action`, `from`/`to` (RFC 3339 or ms since the epoch), `limit`.
#[derive(Debug, Default, Deserialize)]
pub struct Params {
    pub user: Option<String>,
    pub action: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub limit: Option<usize>,
}

fn time_param(name: &str, text: Option<String>) -> Result<Option<i64>, AppError> {
    let Some(text) = text.filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if let Ok(ms) = text.parse::<i64>() {
        return Ok(Some(ms));
    }
    text.parse::<jiff::Timestamp>()
        .map(|t| Some(t.as_millisecond()))
        .map_err(|e| {
            AppError::BadRequest(format!(
                "{name}: {text:?} is neither RFC 3339 nor milliseconds since the epoch: {e}"
            ))
        })
}

async fn records(
    audit: AuditLog,
    session: &Session,
    params: Result<QueryParams<Params>, QueryRejection>,
) -> Result<Vec<Record>, AppError> {
    session.require(Right::Admin)?;
    let QueryParams(params) = params.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let query = Query {
        from: time_param("from", params.from)?,
        to: time_param("to", params.to)?,
        user: params.user,
        action: params.action,
        limit: params.limit,
    };
    tokio::task::spawn_blocking(move || audit.query(&query))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("audit query task: {e}")))?
        .map_err(|e| AppError::Internal(e.into()))
}

/// `GET /api/audit?user=&action=&from=&to=&limit=`: records, newest first.
#[utoipa::path(
    get,
    path = "/api/audit",
    tag = "audit",
    security(("session_cookie" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "Audit records, newest first: time (ms), user, client, action, object, outcome", body = serde_json::Value),
        (status = 403, description = "No admin right", body = app::domain::api::ErrorBody),
    )
)]
pub async fn audit_json(
    State(audit): State<AuditLog>,
    session: Session,
    params: Result<QueryParams<Params>, QueryRejection>,
) -> Result<Json<Vec<Record>>, AppError> {
    Ok(Json(records(audit, &session, params).await?))
}

/// `GET /api/audit.csv`: the same records as CSV.
#[utoipa::path(
    get,
    path = "/api/audit.csv",
    tag = "audit",
    security(("session_cookie" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "CSV with a header line", content_type = "text/csv"),
        (status = 403, description = "No admin right", body = app::domain::api::ErrorBody),
    )
)]
pub async fn audit_csv(
    State(audit): State<AuditLog>,
    session: Session,
    params: Result<QueryParams<Params>, QueryRejection>,
) -> Result<Response, AppError> {
    let records = records(audit, &session, params).await?;
    let mut response = to_csv(&records).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"hepscope-audit.csv\""),
    );
    Ok(response)
}
