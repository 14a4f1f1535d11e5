//! The two WebSocket endpoints: the node's unauthenticated `GET /stream` ([`node_router`]) and the main
//! port's `GET /api/v4/stream/hep` ([`coordinator_stream`]), which checks the session, the `Origin` and the
//! payload policy. Both refuse with plain HTTP before upgrading (see the module doc of `live`).

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::broker::{Broker, SubscribeError};
use super::filter::StreamRequest;
use super::socket::{pump, PumpOptions, READ_LIMIT};
use super::{payload_allowed, LiveState};
use crate::auth::{token_from_headers, AuthState};
use crate::error::json_error;

/// Cap on `history` at the node endpoint (homer-core's `streamMaxHistory`).
pub const NODE_MAX_HISTORY: usize = 2000;

/// State of the node endpoint.
#[derive(Clone)]
struct NodeState {
    broker: Arc<Broker>,
    allow_payload: bool,
}

/// The node listener's app: `GET /stream` only. `allow_payload` lets clients that ask get payloads: the
/// listener is meant for trusted coordinators.
pub fn node_router(broker: Arc<Broker>, allow_payload: bool) -> Router {
    Router::new()
        .route("/stream", get(node_stream))
        .with_state(NodeState {
            broker,
            allow_payload,
        })
}

type Pairs = Result<Query<Vec<(String, String)>>, QueryRejection>;
type Upgrade = Result<WebSocketUpgrade, WebSocketUpgradeRejection>;

async fn node_stream(State(node): State<NodeState>, query: Pairs, upgrade: Upgrade) -> Response {
    let pairs = match query {
        Ok(Query(pairs)) => pairs,
        Err(e) => return json_error(StatusCode::BAD_REQUEST, e.body_text()),
    };
    let mut request = StreamRequest::from_pairs(&pairs);
    request.filter.local_only = true;
    let payload = payload_allowed(request.include_payload, node.allow_payload, true);
    let history = request.history.min(NODE_MAX_HISTORY);
    start(
        &node.broker,
        request,
        history,
        payload,
        "broker closed",
        upgrade,
    )
}

/// `GET /api/v4/stream/hep`: the live stream for logged-in users.
pub async fn coordinator_stream(
    State(live): State<LiveState>,
    State(auth): State<AuthState>,
    headers: HeaderMap,
    query: Pairs,
    upgrade: Upgrade,
) -> Response {
    if !live.coordinator().enable {
        return json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the live stream is off; set [coordinator.hep_stream] enable = true",
        );
    }
    if let Some(refusal) = cross_origin(&headers) {
        return refusal;
    }
    let pairs = match query {
        Ok(Query(pairs)) => pairs,
        Err(e) => return json_error(StatusCode::BAD_REQUEST, e.body_text()),
    };
    let query_token = pairs
        .iter()
        .find(|(k, v)| k == "access_token" && !v.is_empty())
        .map(|(_, v)| v.clone());
    let session = bearer(&headers)
        .into_iter()
        .chain(token_from_headers(&headers))
        .chain(query_token)
        .find_map(|token| auth.verify(&token));
    let Some(session) = session else {
        return json_error(StatusCode::UNAUTHORIZED, "not logged in");
    };
    let Some(broker) = live.broker() else {
        return json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "no live source: enable [ingest.hep_stream] or list [coordinator.hep_stream] nodes",
        );
    };
    let request = StreamRequest::from_pairs(&pairs);
    let coordinator = live.coordinator();
    let payload = payload_allowed(
        request.include_payload,
        coordinator.allow_payload,
        session.is_admin(),
    );
    let history = request.history.min(coordinator.history_limit);
    start(
        broker,
        request,
        history,
        payload,
        "upstream closed",
        upgrade,
    )
}

fn start(
    broker: &Arc<Broker>,
    request: StreamRequest,
    history: usize,
    payload: bool,
    close_reason: &'static str,
    upgrade: Upgrade,
) -> Response {
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let subscription = match broker.subscribe(request.filter, history) {
        Ok(subscription) => subscription,
        Err(e @ SubscribeError::TooManySubscribers { .. }) => {
            metrics::counter!("hepscope_live_refused_total").increment(1);
            return json_error(StatusCode::SERVICE_UNAVAILABLE, e.to_string());
        }
        Err(e @ SubscribeError::Closed) => {
            return json_error(StatusCode::SERVICE_UNAVAILABLE, e.to_string());
        }
    };
    let options = PumpOptions {
        payload,
        stats: request.stats,
        close_reason,
    };
    upgrade
        .max_message_size(READ_LIMIT)
        .on_upgrade(move |socket| pump(socket, subscription, options))
}

/// The bearer token alone (tried before the cookie, as homer-core does).
fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ")?.trim();
    (!token.is_empty()).then(|| token.to_string())
}

/// 403 when the request carries an `Origin` whose host is not the `Host` it was sent to: a page on another
/// site must not open a stream with the user's cookie.
fn cross_origin(headers: &HeaderMap) -> Option<Response> {
    let origin = headers.get(header::ORIGIN)?.to_str().unwrap_or("?");
    let origin_host = origin.split_once("://").map_or(origin, |(_, h)| h);
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !host.is_empty() && origin_host.eq_ignore_ascii_case(host) {
        return None;
    }
    Some(json_error(
        StatusCode::FORBIDDEN,
        format!("cross-origin stream refused (Origin {origin}, Host {host})"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(origin: Option<&'static str>, host: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static(host));
        if let Some(o) = origin {
            h.insert(header::ORIGIN, HeaderValue::from_static(o));
        }
        h
    }

    #[test]
    fn origin_must_match_host_when_present() {
        assert!(cross_origin(&headers(None, "h:1")).is_none());
        assert!(cross_origin(&headers(Some("http://h:1"), "h:1")).is_none());
        assert!(cross_origin(&headers(Some("https://H:1"), "h:1")).is_none());
        assert!(cross_origin(&headers(Some("http://evil.example"), "h:1")).is_some());
        assert!(cross_origin(&headers(Some("null"), "h:1")).is_some());
        assert!(cross_origin(&headers(Some("http://h:2"), "h:1")).is_some());
    }

    #[test]
    fn bearer_is_read_alone() {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer abc"),
        );
        assert_eq!(bearer(&h).as_deref(), Some("abc"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer(&h), None);
    }
}
