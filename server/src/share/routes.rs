//! The share routes.
//!
//! With a session (nested under `/api` behind the session check):
//! - `POST /shares` `{call_ids, backend, from, to, ttl?}` → `{id, url, expires_at}` (admins, or users
//!   with `share = true`);
//! - `GET /shares`: admins see every share, others their own;
//! - `DELETE /shares/{id}`: revoke (its creator or an admin).
//!
//! Public (no session), under `/shared/{token}`: the share's metadata, and the read routes the call
//! view needs (`v3/call/transaction`, `v3/export/call/messages/pcap|text`, `v3/alias`). The request's
//! body is ignored: the server builds it from the share's Call-IDs, backend and window. A refused
//! link answers `{"error": "expired"|"revoked"}` with 410, or `{"error": "invalid"}` with 403; after
//! [`super::MAX_INVALID_PER_WINDOW`] invalid tokens a client address gets 429 for the rest of the window.

use std::time::Instant;

use app::domain::api::ErrorBody;
use app::domain::homer::{ProfileKey, TimeWindow, TransactionRequest};
use app::domain::share::{Share, ShareCreated, ShareInfo, ShareRefusal, ShareRequest};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use bytes::Bytes;

use super::{unix_now, ShareRecord, Shares};
use crate::audit::{Action, Audit, Outcome};
use crate::auth::{Right, Session};
use crate::client_addr::ClientAddr;
use crate::error::AppError;
use crate::homer::V3Request;

/// The session routes; merge into the router behind the session check.
pub fn session_routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Shares: axum::extract::FromRef<S>,
    crate::auth::AuthState: axum::extract::FromRef<S>,
{
    Router::new()
        .route("/shares", post(shares_create).get(shares_list))
        .route("/shares/{id}", delete(share_revoke))
}

/// The public routes; merge into the `/api` router outside the session check.
pub fn public_routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Shares: axum::extract::FromRef<S>,
{
    Router::new()
        .route("/shared/{token}", get(shared_info))
        .route(
            "/shared/{token}/v3/call/transaction",
            post(shared_transaction),
        )
        .route(
            "/shared/{token}/v3/export/call/messages/pcap",
            post(shared_pcap),
        )
        .route(
            "/shared/{token}/v3/export/call/messages/text",
            post(shared_text),
        )
        .route("/shared/{token}/v3/alias", get(shared_alias))
}

/// `POST /api/shares`: makes a share link (admins, and users with `share = true`).
#[utoipa::path(
    post,
    path = "/api/shares",
    tag = "shares",
    request_body = ShareRequest,
    security(("session_cookie" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The new link", body = ShareCreated),
        (status = 400, description = "Bad Call-IDs, window, ttl or backend", body = ErrorBody),
        (status = 403, description = "This user may not share", body = ErrorBody),
    )
)]
async fn shares_create(
    State(shares): State<Shares>,
    session: Session,
    audit: Audit,
    body: Result<Json<ShareRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<ShareCreated>, AppError> {
    session.require(Right::Share)?;
    let Json(request) = body.map_err(|e| {
        AppError::BadRequest(format!(
            "expected {{\"call_ids\", \"backend\", \"from\", \"to\", \"ttl\"}}: {}",
            e.body_text()
        ))
    })?;
    request
        .validate()
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    let ttl = match &request.ttl {
        None => shares.config.ttl,
        Some(text) => crate::duration::parse_duration(text)
            .filter(|d| d.as_secs() >= 1)
            .ok_or_else(|| {
                AppError::BadRequest(format!(
                    "ttl {text:?} is not a duration of at least 1s, like 72h"
                ))
            })?,
    };
    if ttl > shares.config.max_ttl {
        return Err(AppError::BadRequest(format!(
            "ttl {} s is longer than the allowed {} s",
            ttl.as_secs(),
            shares.config.max_ttl.as_secs()
        )));
    }
    let backend = if request.backend.is_empty() {
        shares
            .backends
            .default_backend()
            .map(|(name, _)| name)
            .ok_or_else(|| AppError::BadRequest("no backend is configured".into()))?
    } else if shares.backends.get(&request.backend).is_some() {
        request.backend.clone()
    } else {
        return Err(AppError::BadRequest(format!(
            "no backend named {:?}",
            request.backend
        )));
    };
    let now = unix_now();
    let expires_at = now.saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2));
    let record = ShareRecord {
        share: Share {
            id: new_id(),
            call_ids: request.call_ids,
            backend,
            from: request.from,
            to: request.to,
            created_by: session.username.clone(),
            created_at: now,
            expires_at,
        },
        revoked: false,
    };
    let token = shares.signer.sign(&record.share.id, expires_at)?;
    let id = record.share.id.clone();
    let store = shares.store.clone();
    tokio::task::spawn_blocking(move || store.insert(record, now))
        .await
        .map_err(|e| anyhow::anyhow!("share store task: {e}"))?
        .map_err(|e| anyhow::anyhow!("storing a share: {e}"))?;
    tracing::info!(user = %session.username, share = %id, "share link created");
    audit.by(&session, Action::ShareCreate, id.clone(), Outcome::Success);
    Ok(Json(ShareCreated {
        id,
        url: format!("/s/{token}"),
        expires_at,
    }))
}

/// `GET /api/shares`: admins see every share, others their own.
#[utoipa::path(
    get,
    path = "/api/shares",
    tag = "shares",
    security(("session_cookie" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The shares this user may see", body = Vec<ShareInfo>),
    )
)]
async fn shares_list(State(shares): State<Shares>, session: Session) -> Json<Vec<ShareInfo>> {
    let now = unix_now();
    Json(
        shares
            .store
            .list()
            .iter()
            .filter(|r| session.is_admin() || r.share.created_by == session.username)
            .map(|r| r.info(now))
            .collect(),
    )
}

/// `DELETE /api/shares/{id}`: revokes a link (its creator or an admin).
#[utoipa::path(
    delete,
    path = "/api/shares/{id}",
    tag = "shares",
    params(("id" = String, Path, description = "The share's id")),
    security(("session_cookie" = []), ("bearer" = [])),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such share visible to this user", body = ErrorBody),
    )
)]
async fn share_revoke(
    State(shares): State<Shares>,
    session: Session,
    audit: Audit,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let visible = shares
        .store
        .get(&id)
        .is_some_and(|r| session.is_admin() || r.share.created_by == session.username);
    if !visible {
        return Err(AppError::NotFound(format!("no share link {id:?}")));
    }
    let store = shares.store.clone();
    let target = id.clone();
    tokio::task::spawn_blocking(move || store.revoke(&target))
        .await
        .map_err(|e| anyhow::anyhow!("share store task: {e}"))?
        .map_err(|e| anyhow::anyhow!("revoking a share: {e}"))?;
    tracing::info!(user = %session.username, share = %id, "share link revoked");
    audit.by(&session, Action::ShareRevoke, id, Outcome::Success);
    Ok(StatusCode::NO_CONTENT)
}

/// The client address of a public request (behind a trusted proxy, the forwarded one).
type Peer = ClientAddr;

/// Why a public request gets no share.
enum Refused {
    /// The link itself: 410 or 403.
    Link(ShareRefusal),
    /// The address presented too many invalid tokens: 429, retry after this long.
    TooMany(std::time::Duration),
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        match self {
            Refused::Link(r) => refusal(r),
            Refused::TooMany(wait) => AppError::Throttled {
                what: "too many invalid share links".into(),
                retry_after: wait,
            }
            .into_response(),
        }
    }
}

/// The active share a token names, or why it is refused. Invalid tokens count against the address.
fn resolve(shares: &Shares, peer: ClientAddr, token: &str) -> Result<ShareRecord, Refused> {
    let key = [format!("share-ip:{peer}")];
    let now = Instant::now();
    shares.invalid.check(&key, now).map_err(Refused::TooMany)?;
    let record = shares
        .signer
        .verify(token)
        .and_then(|claims| shares.store.get(&claims.sid));
    let Some(record) = record else {
        shares.invalid.record_failure(&key, now);
        return Err(Refused::Link(ShareRefusal::Invalid));
    };
    match ShareRefusal::from_status(record.status(unix_now())) {
        Some(refused) => Err(Refused::Link(refused)),
        None => Ok(record),
    }
}

fn refusal(refusal: ShareRefusal) -> Response {
    let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::FORBIDDEN);
    no_store((status, Json(ErrorBody::new(refusal.as_str()))).into_response())
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `GET /api/shared/{token}`: the shared call's metadata, without a session.
#[utoipa::path(
    get,
    path = "/api/shared/{token}",
    tag = "shares",
    params(("token" = String, Path, description = "The signed token of the link `/s/{token}`")),
    responses(
        (status = 200, description = "The share", body = ShareInfo),
        (status = 403, description = "Not a link this server signed: `{\"error\": \"invalid\"}`", body = ErrorBody),
        (status = 410, description = "`{\"error\": \"expired\"}` or `{\"error\": \"revoked\"}`", body = ErrorBody),
        (status = 429, description = "Too many invalid links from this address; see Retry-After", body = ErrorBody),
    )
)]
async fn shared_info(
    State(shares): State<Shares>,
    audit: Audit,
    peer: Peer,
    Path(token): Path<String>,
) -> Response {
    // An outside open of the link: the share page asks for this first.
    match resolve(&shares, peer, &token) {
        Ok(record) => {
            audit.record(
                "",
                Action::ShareOpen,
                record.share.id.clone(),
                Outcome::Success,
            );
            no_store(Json(record.info(unix_now())).into_response())
        }
        Err(refused) => {
            audit.record("", Action::ShareOpen, "refused link", Outcome::Failure);
            refused.into_response()
        }
    }
}

/// `POST /api/shared/{token}/v3/call/transaction`: HOMER's `call/transaction` for the shared call, without a session. The
/// request body is ignored: the server builds it from the share's Call-IDs, backend and window.
#[utoipa::path(
    post,
    path = "/api/shared/{token}/v3/call/transaction",
    tag = "shares",
    params(("token" = String, Path, description = "The signed token of the link `/s/{token}`")),
    responses(
        (status = 200, description = "The backend's answer", content_type = "application/json"),
        (status = 403, description = "Not a link this server signed: `{\"error\": \"invalid\"}`", body = ErrorBody),
        (status = 410, description = "`{\"error\": \"expired\"}` or `{\"error\": \"revoked\"}`", body = ErrorBody),
        (status = 429, description = "Too many invalid links from this address; see Retry-After", body = ErrorBody),
    )
)]
async fn shared_transaction(shares: State<Shares>, peer: Peer, token: Path<String>) -> Response {
    shared_forward(shares, peer, token, "call/transaction").await
}

/// `POST /api/shared/{token}/v3/export/call/messages/pcap`: HOMER's `export/call/messages/pcap` for the shared call, without a session. The
/// request body is ignored: the server builds it from the share's Call-IDs, backend and window.
#[utoipa::path(
    post,
    path = "/api/shared/{token}/v3/export/call/messages/pcap",
    tag = "shares",
    params(("token" = String, Path, description = "The signed token of the link `/s/{token}`")),
    responses(
        (status = 200, description = "The backend's answer", content_type = "application/vnd.tcpdump.pcap"),
        (status = 403, description = "Not a link this server signed: `{\"error\": \"invalid\"}`", body = ErrorBody),
        (status = 410, description = "`{\"error\": \"expired\"}` or `{\"error\": \"revoked\"}`", body = ErrorBody),
        (status = 429, description = "Too many invalid links from this address; see Retry-After", body = ErrorBody),
    )
)]
async fn shared_pcap(shares: State<Shares>, peer: Peer, token: Path<String>) -> Response {
    shared_forward(shares, peer, token, "export/call/messages/pcap").await
}

/// `POST /api/shared/{token}/v3/export/call/messages/text`: HOMER's `export/call/messages/text` for the shared call, without a session. The
/// request body is ignored: the server builds it from the share's Call-IDs, backend and window.
#[utoipa::path(
    post,
    path = "/api/shared/{token}/v3/export/call/messages/text",
    tag = "shares",
    params(("token" = String, Path, description = "The signed token of the link `/s/{token}`")),
    responses(
        (status = 200, description = "The backend's answer", content_type = "text/plain"),
        (status = 403, description = "Not a link this server signed: `{\"error\": \"invalid\"}`", body = ErrorBody),
        (status = 410, description = "`{\"error\": \"expired\"}` or `{\"error\": \"revoked\"}`", body = ErrorBody),
        (status = 429, description = "Too many invalid links from this address; see Retry-After", body = ErrorBody),
    )
)]
async fn shared_text(shares: State<Shares>, peer: Peer, token: Path<String>) -> Response {
    shared_forward(shares, peer, token, "export/call/messages/text").await
}

async fn shared_forward(
    State(shares): State<Shares>,
    peer: Peer,
    Path(token): Path<String>,
    route: &'static str,
) -> Response {
    let record = match resolve(&shares, peer, &token) {
        Ok(record) => record,
        Err(refused) => return refused.into_response(),
    };
    let request = TransactionRequest::new(
        &ProfileKey::call(),
        TimeWindow::new(record.share.from, record.share.to),
        record.share.call_ids.clone(),
    );
    let body = match serde_json::to_vec(&request) {
        Ok(body) => Bytes::from(body),
        Err(e) => {
            return AppError::Internal(anyhow::anyhow!("encoding a share's request: {e}"))
                .into_response()
        }
    };
    call_backend(&shares, &record, Method::POST, route, body).await
}

/// `GET /api/shared/{token}/v3/alias`: the shared call's backend's aliases, without a session.
#[utoipa::path(
    get,
    path = "/api/shared/{token}/v3/alias",
    tag = "shares",
    params(("token" = String, Path, description = "The signed token of the link `/s/{token}`")),
    responses(
        (status = 200, description = "The backend's alias list (HOMER 7 format)", body = serde_json::Value),
        (status = 403, description = "Not a link this server signed: `{\"error\": \"invalid\"}`", body = ErrorBody),
        (status = 410, description = "`{\"error\": \"expired\"}` or `{\"error\": \"revoked\"}`", body = ErrorBody),
        (status = 429, description = "Too many invalid links from this address; see Retry-After", body = ErrorBody),
    )
)]
async fn shared_alias(
    State(shares): State<Shares>,
    peer: Peer,
    Path(token): Path<String>,
) -> Response {
    match resolve(&shares, peer, &token) {
        Ok(record) => call_backend(&shares, &record, Method::GET, "alias", Bytes::new()).await,
        Err(refused) => refused.into_response(),
    }
}

async fn call_backend(
    shares: &Shares,
    record: &ShareRecord,
    method: Method,
    path: &str,
    body: Bytes,
) -> Response {
    let Some(backend) = shares.backends.get(&record.share.backend) else {
        return AppError::NotFound(format!(
            "the shared call's backend {:?} is no longer configured",
            record.share.backend
        ))
        .into_response();
    };
    let request = V3Request {
        method,
        path: path.to_owned(),
        query: None,
        body,
    };
    match backend.call(request).await {
        Ok(response) => no_store(response),
        Err(e) => e.into_response(),
    }
}

/// 128 random bits as 32 hex digits.
fn new_id() -> String {
    let mut bytes = [0u8; 16];
    crate::secret::fill_random(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_ids_are_32_hex_digits_and_differ() {
        let (a, b) = (new_id(), new_id());
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
