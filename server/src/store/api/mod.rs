//! The HOMER 7 `/api/v3` subset answered from the embedded store, with homer-app's request and
//! response shapes and success statuses (`docs/homer7-api.md` §3–§8, checklist §14.2).
//!
//! [`router`] has routes relative to `/api/v3` and its state applied; the caller mounts it (behind
//! its session check). Bad request bodies are 400 `{"data":{},"message"}`; store failures are 500
//! with the same shape and are logged. Transaction, report and export reads run within
//! `[store] search_timeout` (504 past it) and return at most `[store] transaction_max_rows` rows:
//! beyond that the answer is 422 with a "limit reached" message (the app shows it instead of a
//! partial ladder or export).

mod export;
mod filter;
mod mapping;
mod reference;
mod rows;
mod rtcp_wire;
mod search;
mod transaction;

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::{Store, StoreError};

pub use filter::{compile as compile_filter, CompiledFilter, FilterError};
pub use reference::{host_key, resolve as resolve_alias, NODE};

/// The HOMER API routes, relative to `/api/v3`, with the store as state.
pub fn router<S: Clone + Send + Sync + 'static>(store: Store) -> Router<S> {
    Router::new()
        .route("/search/call/data", post(search::call_data))
        .route("/search/call/message", post(search::call_message))
        .route("/call/transaction", post(transaction::call_transaction))
        .route("/call/report/qos", post(transaction::report_qos))
        .route("/call/report/log", post(transaction::report_log))
        .route("/export/call/messages/pcap", post(export::messages_pcap))
        .route("/export/call/messages/text", post(export::messages_text))
        .route("/alias", get(alias_list))
        .route("/mapping/protocol", get(mapping_list))
        .route("/database/node/list", get(node_list))
        .with_state(store)
}

/// A failed HOMER API request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is wrong; the message says how (400).
    #[error("{0}")]
    BadRequest(String),
    /// The store failed (500; details logged).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<FilterError> for ApiError {
    fn from(e: FilterError) -> Self {
        ApiError::BadRequest(e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message) = match &self {
            ApiError::BadRequest(message) => (StatusCode::BAD_REQUEST, message.clone()),
            ApiError::Store(e @ StoreError::TimedOut(_)) => (
                StatusCode::GATEWAY_TIMEOUT,
                format!(
                    "{e}: narrow the time range, or search for a whole number, Call-ID or \
                     address (a % pattern, or a method or port alone, reads every message in \
                     the range)"
                ),
            ),
            ApiError::Store(e @ StoreError::RowLimit(_)) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "{e} ([store] transaction_max_rows): nothing is shown rather than part of \
                     the call; narrow the time range or the Call-IDs"
                ),
            ),
            ApiError::Store(e) => {
                tracing::error!(error = %e, "HOMER API request failed in the store");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "store error; see the server log".into(),
                )
            }
        };
        (status, Json(json!({ "data": {}, "message": message }))).into_response()
    }
}

/// The body as JSON, or a 400 saying why not.
fn body(body: Result<Json<Value>, JsonRejection>) -> Result<Value, ApiError> {
    body.map(|Json(v)| v).map_err(|e| {
        ApiError::BadRequest(format!("request format is not correct: {}", e.body_text()))
    })
}

/// Reads a part of the body into a type, or a 400 naming the part.
fn part<T: serde::de::DeserializeOwned>(value: &Value, what: &str) -> Result<T, ApiError> {
    serde_json::from_value(value.clone())
        .map_err(|e| ApiError::BadRequest(format!("request format is not correct: {what}: {e}")))
}

/// `timestamp.from`/`to` (epoch ms), required.
fn window(body: &Value) -> Result<super::read::Window, ApiError> {
    let ts = body
        .get("timestamp")
        .filter(|t| t.is_object())
        .ok_or_else(|| {
            ApiError::BadRequest("timestamp.from and timestamp.to (epoch ms) are required".into())
        })?;
    let tw: app::domain::homer::TimeWindow = part(ts, "timestamp")?;
    if tw.from > tw.to {
        return Err(ApiError::BadRequest(format!(
            "timestamp.from {} is after timestamp.to {}",
            tw.from, tw.to
        )));
    }
    Ok(super::read::Window::from_ms(tw.from, tw.to))
}

/// True when `param.location.node` is empty or names this store's node.
fn node_selected(body: &Value) -> bool {
    let nodes = body
        .pointer("/param/location/node")
        .cloned()
        .unwrap_or(Value::Null);
    let names: Vec<String> = match nodes {
        Value::String(s) => vec![s],
        Value::Array(items) => items
            .into_iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    names.is_empty() || names.iter().any(|n| n.eq_ignore_ascii_case(NODE))
}

async fn alias_list(State(store): State<Store>) -> (StatusCode, Json<Value>) {
    (
        StatusCode::CREATED,
        Json(reference::alias_list(store.aliases())),
    )
}

async fn mapping_list() -> Json<Value> {
    Json(mapping::protocol_list())
}

async fn node_list() -> Json<Value> {
    Json(reference::node_list())
}
