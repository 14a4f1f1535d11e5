//! Rights on the HOMER 7 API routes (ours and the embedded store's): exports need `export`; without
//! `raw` the SIP bodies in message and transaction answers are withheld (and the answer says so);
//! searches, call views and exports are audited.

use axum::body::Body;
use axum::http::header;
use axum::response::Response;
use bytes::Bytes;
use serde_json::Value;

use crate::audit::{Action, Audit, Outcome};
use crate::auth::{Right, Session};
use crate::error::AppError;

/// What an answer says when its bodies were withheld (the ladder shows it).
pub const WITHHELD: &str = "bodies withheld: you lack the raw right";
/// The answer field carrying [`WITHHELD`].
pub const WITHHELD_FIELD: &str = "bodies_withheld";
/// Largest answer rewritten or counted (bigger ones pass unchanged, without a result count).
const MAX_INSPECTED_BYTES: usize = 64 * 1024 * 1024;
/// Characters of a search body kept in the audit record.
const MAX_FILTER_CHARS: usize = 512;

/// The kind of route, for rights and the audit log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    Search,
    Messages,
    Transaction,
    Export(&'static str),
    Other,
}

impl Route {
    /// The route `/api/v3/{path}` is.
    pub fn of(path: &str) -> Route {
        match path {
            "search/call/data" => Route::Search,
            "search/call/message" => Route::Messages,
            "call/transaction" => Route::Transaction,
            "export/call/messages/pcap" => Route::Export("pcap"),
            "export/call/messages/text" => Route::Export("text"),
            _ => Route::Other,
        }
    }

    /// The right beyond `search` the route needs.
    ///
    /// # Errors
    /// [`AppError::MissingRight`] when `session` lacks it.
    pub fn check(self, session: &Session) -> Result<(), AppError> {
        match self {
            Route::Export(_) => session.require(Right::Export),
            _ => session.require(Right::Search),
        }
    }
}

/// Audits the call and, without `raw`, withholds the bodies of a message or transaction answer.
pub async fn after(
    route: Route,
    session: &Session,
    audit: &Audit,
    backend: &str,
    request_body: &Bytes,
    response: Response,
) -> Response {
    let withhold =
        matches!(route, Route::Messages | Route::Transaction) && !session.has(Right::Raw);
    let count = matches!(route, Route::Search);
    let ok = response.status().is_success();
    let (response, json) = if ok && (withhold || count) {
        inspect(response).await
    } else {
        (response, None)
    };
    let outcome = if ok {
        Outcome::Success
    } else {
        Outcome::Failure
    };
    let request: Value = serde_json::from_slice(request_body).unwrap_or(Value::Null);
    match route {
        Route::Search => {
            let results = json
                .as_ref()
                .and_then(|v| v.get("data"))
                .and_then(Value::as_array)
                .map_or_else(|| "?".to_string(), |a| a.len().to_string());
            let filter: String = String::from_utf8_lossy(request_body)
                .chars()
                .take(MAX_FILTER_CHARS)
                .collect();
            audit.by(
                session,
                Action::Search,
                format!("backend={backend} results={results} filter={filter}"),
                outcome,
            );
        }
        Route::Transaction => audit.by(
            session,
            Action::CallView,
            format!(
                "backend={backend} call_ids={}",
                call_ids(&request).join(",")
            ),
            outcome,
        ),
        Route::Export(format) => audit.by(
            session,
            Action::Export,
            format!(
                "backend={backend} format={format} call_ids={}",
                call_ids(&request).join(",")
            ),
            outcome,
        ),
        Route::Messages | Route::Other => {}
    }
    match (withhold, json) {
        (true, Some(mut json)) => {
            withhold_bodies(&mut json);
            json_response(response, &json)
        }
        _ => response,
    }
}

/// Reads a JSON answer (up to [`MAX_INSPECTED_BYTES`]); the answer comes back as it was when it is
/// not JSON.
async fn inspect(response: Response) -> (Response, Option<Value>) {
    let (parts, body) = response.into_parts();
    match axum::body::to_bytes(body, MAX_INSPECTED_BYTES).await {
        Ok(bytes) => {
            let json = serde_json::from_slice(&bytes).ok();
            (Response::from_parts(parts, Body::from(bytes)), json)
        }
        Err(e) => {
            tracing::warn!(error = %e, "answer too large to inspect");
            (
                Response::from_parts(parts, Body::empty()),
                Some(Value::Null),
            )
        }
    }
}

fn json_response(response: Response, json: &Value) -> Response {
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    Response::from_parts(
        parts,
        Body::from(serde_json::to_vec(json).unwrap_or_default()),
    )
}

/// Empties every `raw` string (the SIP message with its SDP) and marks the answer.
pub fn withhold_bodies(json: &mut Value) {
    fn walk(value: &mut Value) {
        match value {
            Value::Object(map) => {
                for (key, v) in map.iter_mut() {
                    if key == "raw" && v.is_string() {
                        *v = Value::String(String::new());
                    } else {
                        walk(v);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(json);
    if let Value::Object(map) = json {
        map.insert(WITHHELD_FIELD.into(), Value::String(WITHHELD.into()));
    }
}

/// Every string under a `callid` key of a HOMER 7 request body.
pub fn call_ids(request: &Value) -> Vec<String> {
    fn walk(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, v) in map {
                    if key.eq_ignore_ascii_case("callid") {
                        match v {
                            Value::String(s) => out.push(s.clone()),
                            Value::Array(items) => out
                                .extend(items.iter().filter_map(Value::as_str).map(str::to_string)),
                            _ => walk(v, out),
                        }
                    } else {
                        walk(v, out);
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(request, &mut out);
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bodies_are_emptied_and_the_answer_says_so() {
        let mut answer = json!({"data": {"messages": [{"raw": "INVITE sip:a SIP/2.0", "id": 1}]}});
        withhold_bodies(&mut answer);
        assert_eq!(answer["data"]["messages"][0]["raw"], "");
        assert_eq!(answer["data"]["messages"][0]["id"], 1);
        assert_eq!(answer[WITHHELD_FIELD], WITHHELD);
    }

    #[test]
    fn call_ids_are_found_anywhere_in_the_request() {
        let request = json!({"param": {"search": {"1_call": {"callid": ["b@x", "a@x"]}}}});
        assert_eq!(call_ids(&request), vec!["a@x", "b@x"]);
    }

    #[test]
    fn exports_need_the_export_right() {
        let viewer = Session::local("v", app::domain::api::Role::Viewer);
        let mut no_export = viewer.clone();
        no_export.rights = crate::auth::Rights::new([]);
        assert!(Route::of("export/call/messages/pcap")
            .check(&viewer)
            .is_ok());
        assert!(Route::of("export/call/messages/pcap")
            .check(&no_export)
            .is_err());
        assert!(Route::of("search/call/data").check(&no_export).is_ok());
    }
}
