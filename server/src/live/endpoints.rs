//! The two WebSocket endpoints: the node's `GET /stream` ([`node_router`]) and the main port's
//! `GET /api/v4/stream/hep` ([`coordinator_stream`]), which checks the session, the `Origin` (with the
//! same [`OriginPolicy`] as every state-changing request) and the payload policy. Both refuse with plain
//! HTTP before upgrading (see the module doc of `live`). A coordinator stream closes when the session
//! that opened it expires or is revoked.
//!
//! The node endpoint is for coordinators and ops tools, never browsers: a handshake with an `Origin`
//! header (which browsers always send) is refused, so a web page cannot read the stream through a
//! visitor's network position. It takes an optional token (`[ingest.hep_stream] token`, compared in
//! constant time) and has its own subscriber cap (`node_max_subscribers`), so its clients never take
//! the places of logged-in users.

use std::sync::Arc;

use subtle::ConstantTimeEq;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use axum::extract::rejection::QueryRejection;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::broker::{Broker, SubscribeError};
use super::filter::StreamRequest;
use super::socket::{pump, PumpOptions, READ_LIMIT};
use super::{payload_allowed, LiveState};
use crate::auth::{bearer_token, token_from_headers, AuthState, Claims, Right, Session};
use crate::error::json_error;
use crate::origin::OriginPolicy;
use crate::secret::Secret;

/// Cap on `history` at the node endpoint (homer-core's `streamMaxHistory`).
pub const NODE_MAX_HISTORY: usize = 2000;

/// How the node endpoint admits clients.
#[derive(Clone, Debug)]
pub struct NodeOptions {
    /// Clients that ask get payloads: the listener is meant for trusted coordinators.
    pub allow_payload: bool,
    /// Required as `Authorization: Bearer …` or `?token=…` when set.
    pub token: Option<Secret>,
    /// Subscribers at once on this endpoint.
    pub max_subscribers: usize,
}

impl NodeOptions {
    /// No token, [`super::config::DEFAULT_NODE_MAX_SUBSCRIBERS`] subscribers.
    pub fn open(allow_payload: bool) -> Self {
        NodeOptions {
            allow_payload,
            token: None,
            max_subscribers: super::config::DEFAULT_NODE_MAX_SUBSCRIBERS,
        }
    }
}

/// State of the node endpoint.
#[derive(Clone)]
struct NodeState {
    broker: Arc<Broker>,
    allow_payload: bool,
    token: Option<Secret>,
    slots: Arc<Semaphore>,
    max_subscribers: usize,
}

/// The node listener's app with no token and the default subscriber cap (see [`node_router_with`]).
pub fn node_router(broker: Arc<Broker>, allow_payload: bool) -> Router {
    node_router_with(broker, NodeOptions::open(allow_payload))
}

/// The node listener's app: `GET /stream` only.
pub fn node_router_with(broker: Arc<Broker>, options: NodeOptions) -> Router {
    let max_subscribers = options.max_subscribers.max(1);
    Router::new()
        .route("/stream", get(node_stream))
        .with_state(NodeState {
            broker,
            allow_payload: options.allow_payload,
            token: options.token,
            slots: Arc::new(Semaphore::new(max_subscribers)),
            max_subscribers,
        })
}

type Pairs = Result<Query<Vec<(String, String)>>, QueryRejection>;
type Upgrade = Result<WebSocketUpgrade, WebSocketUpgradeRejection>;

async fn node_stream(
    State(node): State<NodeState>,
    headers: HeaderMap,
    query: Pairs,
    upgrade: Upgrade,
) -> Response {
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("?");
        return json_error(
            StatusCode::FORBIDDEN,
            format!(
                "the node stream is not for browsers (Origin {origin}); \
                 log in and use /api/v4/stream/hep on the web port"
            ),
        );
    }
    let pairs = match query {
        Ok(Query(pairs)) => pairs,
        Err(e) => return json_error(StatusCode::BAD_REQUEST, e.body_text()),
    };
    if let Some(expected) = &node.token {
        let query_token = pairs
            .iter()
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v.clone());
        let presented = bearer_token(&headers).or(query_token).unwrap_or_default();
        if !token_matches(expected, &presented) {
            return json_error(
                StatusCode::UNAUTHORIZED,
                "the node stream needs its token ([ingest.hep_stream] token) as \
                 Authorization: Bearer or ?token=",
            );
        }
    }
    let Ok(slot) = Arc::clone(&node.slots).try_acquire_owned() else {
        metrics::counter!("hepscope_live_refused_total").increment(1);
        return json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "the node stream has its {} subscribers ([ingest.hep_stream] node_max_subscribers)",
                node.max_subscribers
            ),
        );
    };
    let mut request = StreamRequest::from_pairs(&pairs);
    request.filter.local_only = true;
    let payload = payload_allowed(request.include_payload, node.allow_payload, true);
    let history = request.history.min(NODE_MAX_HISTORY);
    let options = PumpOptions {
        payload,
        stats: request.stats,
        close_reason: "broker closed",
        session_end: None,
    };
    start(&node.broker, request, history, options, upgrade, Some(slot))
}

/// Constant-time comparison, so response timing does not reveal how much of a guess was right.
fn token_matches(expected: &Secret, presented: &str) -> bool {
    bool::from(expected.expose().as_bytes().ct_eq(presented.as_bytes()))
}

/// `GET /api/v4/stream/hep`: the live stream for logged-in users.
#[utoipa::path(
    get,
    path = "/api/v4/stream/hep",
    tag = "live",
    description = "A WebSocket (send `Connection: Upgrade`, `Upgrade: websocket`) of live HEP events as JSON text frames. Authenticated by the session (cookie or `Authorization: Bearer`), or by a ticket from `POST /api/stream-ticket` as `?access_token=` (session tokens in the URL are refused). Other query parameters filter the stream (see the README's live stream section).",
    params(("access_token" = Option<String>, Query, description = "A stream ticket from POST /api/stream-ticket")),
    security(("session_cookie" = []), ("bearer" = []), ()),
    responses(
        (status = 101, description = "Switching to the WebSocket"),
        (status = 401, description = "No session and no valid ticket", body = app::domain::api::ErrorBody),
        (status = 403, description = "Cross-origin request", body = app::domain::api::ErrorBody),
        (status = 503, description = "The live stream is off, or at its subscriber cap", body = app::domain::api::ErrorBody),
    )
)]
pub async fn coordinator_stream(
    State(live): State<LiveState>,
    State(auth): State<AuthState>,
    State(origins): State<OriginPolicy>,
    headers: HeaderMap,
    uri: Uri,
    query: Pairs,
    upgrade: Upgrade,
) -> Response {
    if !live.coordinator().enable {
        return json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the live stream is off; set [coordinator.hep_stream] enable = true",
        );
    }
    if let Err(reason) = origins.check(&headers, &uri) {
        return json_error(StatusCode::FORBIDDEN, format!("stream refused: {reason}"));
    }
    let pairs = match query {
        Ok(Query(pairs)) => pairs,
        Err(e) => return json_error(StatusCode::BAD_REQUEST, e.body_text()),
    };
    let (session, claims) = match stream_session(&auth, &headers, &pairs) {
        Ok(found) => found,
        Err(why) => return json_error(StatusCode::UNAUTHORIZED, why),
    };
    if let Err(e) = session.require(Right::Live) {
        return e.into_response();
    }
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
        session.has(Right::LivePayload),
    );
    let history = request.history.min(coordinator.history_limit);
    let slot = match live.user_slot() {
        Ok(slot) => slot,
        Err(full) => return full.into_response(),
    };
    let options = PumpOptions {
        payload,
        stats: request.stats,
        close_reason: "upstream closed",
        session_end: Some(Box::pin(auth.session_end(claims))),
    };
    start(broker, request, history, options, upgrade, slot)
}

/// The session opening a coordinator stream: a session token as bearer header or cookie, or a stream
/// ticket ([`crate::auth::ticket`]) as `?access_token=`. A session token in the URL is refused, so none
/// lands in proxy logs. `Err` is why the request gets a 401.
fn stream_session(
    auth: &AuthState,
    headers: &HeaderMap,
    pairs: &[(String, String)],
) -> Result<(Session, Claims), &'static str> {
    let from_headers = bearer_token(headers)
        .into_iter()
        .chain(token_from_headers(headers))
        .find_map(|token| auth.verify_claims(&token));
    if let Some(found) = from_headers {
        return Ok(found);
    }
    let query_token = pairs
        .iter()
        .find(|(k, v)| k == "access_token" && !v.is_empty())
        .map(|(_, v)| v.as_str());
    let Some(token) = query_token else {
        return Err("not logged in");
    };
    if let Some(found) = auth.verify_ticket(token) {
        return Ok(found);
    }
    if auth.verify(token).is_some() {
        return Err(
            "access_token takes a stream ticket from POST /api/stream-ticket, not a session token",
        );
    }
    Err("not logged in (or the stream ticket expired)")
}

/// Subscribes `request` to `broker` and pumps it into the upgraded socket with `options`; `slot` is the
/// endpoint's subscriber place, held until the socket is done.
fn start(
    broker: &Arc<Broker>,
    request: StreamRequest,
    history: usize,
    options: PumpOptions,
    upgrade: Upgrade,
    slot: Option<OwnedSemaphorePermit>,
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
    upgrade
        .max_message_size(READ_LIMIT)
        .on_upgrade(move |socket| async move {
            pump(socket, subscription, options).await;
            // The endpoint's place is free once the socket is done.
            drop(slot);
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn node_token_must_match_exactly() {
        let expected = Secret::new("s3cret-token");
        assert!(token_matches(&expected, "s3cret-token"));
        assert!(!token_matches(&expected, "s3cret-toke"));
        assert!(!token_matches(&expected, "s3cret-token2"));
        assert!(!token_matches(&expected, ""));
    }

    #[test]
    fn bearer_is_read_alone() {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer abc"),
        );
        assert_eq!(bearer_token(&h).as_deref(), Some("abc"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer_token(&h), None);
    }
}
