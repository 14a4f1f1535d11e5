//! Capture import into the embedded store: `POST /api/import` (admins) and `hepscope import FILE`.
//! The whole file is read first; a file that cannot be read stores nothing, and what is read is stored
//! in one transaction.
//!
//! Over HTTP the role, the store and the one-import-at-a-time slot are checked before a byte of
//! the body is read, so a viewer's (or a second) 100 MB upload costs nothing; the packets may
//! hold at most `[store] import_max_bytes` once compressed HEP payloads are inflated.

use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::audit::{Action, Audit, Outcome};
use crate::auth::{Right, Session};
use crate::error::json_error;
use crate::import::packets_from_capture;
use crate::store::Store;
use crate::AppState;

/// Largest capture accepted over HTTP.
pub const MAX_IMPORT_BYTES: usize = 256 * 1024 * 1024;

/// What an import stored.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// Packets stored.
    pub stored: usize,
    /// SIP messages found in UDP/TCP payloads.
    pub sip: usize,
    /// HEP packets found in UDP datagrams.
    pub hep: usize,
    /// Payloads and frames left out (not SIP, undecodable HEP, non-IP frames, fragments …).
    pub skipped: usize,
}

/// Why an import failed.
#[derive(Debug, thiserror::Error)]
pub enum ImportFailure {
    #[error("not a readable capture: {0}")]
    Capture(#[from] crate::import::ImportError),
    #[error("the capture holds no SIP or HEP packets ({skipped} payloads skipped)")]
    Empty { skipped: usize },
    #[error("storing the capture failed, nothing was stored: {0}")]
    Store(String),
}

/// Reads a capture and stores all of it, or nothing. Blocks (SQLite): call it off the async runtime.
///
/// # Errors
/// An unreadable file, a capture without SIP or HEP, or a store error.
pub fn import_capture(
    store: &Store,
    bytes: &[u8],
    now_us: i64,
) -> Result<ImportReport, ImportFailure> {
    let capture = packets_from_capture(bytes, store.config().import_max_bytes)?;
    let skipped = capture.skipped.total();
    if capture.packets.is_empty() {
        return Err(ImportFailure::Empty { skipped });
    }
    let batch = capture.packets.into_iter().map(|p| (p, now_us)).collect();
    let stored = store
        .ingest_batch(batch)
        .map_err(|e| ImportFailure::Store(e.to_string()))?;
    Ok(ImportReport {
        stored,
        sip: capture.sip,
        hep: capture.hep,
        skipped,
    })
}

/// `POST /api/import`: the request body is a pcap or pcapng file.
#[utoipa::path(
    post,
    path = "/api/import",
    tag = "store",
    request_body(content = String, content_type = "application/octet-stream", description = "A pcap or pcapng file"),
    security(("session_cookie" = []), ("bearer" = [])),
    responses(
        (status = 201, description = "What was stored", body = ImportReport),
        (status = 400, description = "Not a capture, or nothing SIP or HEP in it", body = app::domain::api::ErrorBody),
        (status = 403, description = "Not an admin", body = app::domain::api::ErrorBody),
        (status = 409, description = "The store is disabled, or another import runs", body = app::domain::api::ErrorBody),
        (status = 413, description = "The capture is too large", body = app::domain::api::ErrorBody),
    )
)]
pub async fn import_endpoint(
    State(state): State<AppState>,
    session: Session,
    audit: Audit,
    headers: axum::http::HeaderMap,
    body: Body,
) -> Response {
    if let Err(e) = session.require(Right::Import) {
        return e.into_response();
    }
    let Some(store) = state.store.clone() else {
        return json_error(
            StatusCode::CONFLICT,
            "the embedded store is disabled ([store] enabled = false)",
        );
    };
    let announced = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > MAX_IMPORT_BYTES as u64) {
        return json_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the capture is larger than {MAX_IMPORT_BYTES} bytes"),
        );
    }
    let Some(slot) = store.begin_import() else {
        return json_error(
            StatusCode::CONFLICT,
            "another capture import is running; try again when it has finished",
        );
    };
    let body = match axum::body::to_bytes(body, MAX_IMPORT_BYTES).await {
        Ok(body) => body,
        Err(e) => {
            return json_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("reading the capture failed (at most {MAX_IMPORT_BYTES} bytes): {e}"),
            )
        }
    };
    let now_us = jiff::Timestamp::now().as_microsecond();
    let bytes = body.len();
    let result = tokio::task::spawn_blocking(move || {
        let _slot = slot;
        import_capture(&store, &body, now_us)
    })
    .await;
    let outcome = if matches!(result, Ok(Ok(_))) {
        Outcome::Success
    } else {
        Outcome::Failure
    };
    let object = match &result {
        Ok(Ok(report)) => format!("capture of {bytes} bytes: {}", json_summary(report)),
        Ok(Err(e)) => format!("capture of {bytes} bytes: {e}"),
        Err(e) => format!("capture of {bytes} bytes: {e}"),
    };
    audit.by(&session, Action::Import, object, outcome);
    match result {
        Ok(Ok(report)) => (StatusCode::CREATED, Json(report)).into_response(),
        Ok(Err(e @ ImportFailure::Store(_))) => {
            json_error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
        }
        Ok(Err(e)) => json_error(StatusCode::BAD_REQUEST, e.to_string()),
        Err(e) => json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("import task failed: {e}"),
        ),
    }
}

/// The import report as compact JSON, for the audit record.
fn json_summary(report: &impl serde::Serialize) -> String {
    serde_json::to_string(report).unwrap_or_default()
}
