//! A fake HOMER 7 (homer-app `/api/v3`) for tests and the bench, on a real socket.
//!
//! Follows `docs/homer7-api.md`, quirks included: 201 on reads, 400 "missing or
//! malformed jwt" without a token, 401 "invalid or expired jwt", an empty QoS body, exports with
//! `Content-Disposition`. Tests control token lifetime and revocation, count logins, and switch
//! the data routes to delay / 500 / empty body / dropped connection. Every request is recorded.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

/// The fake's login name.
pub const USERNAME: &str = "admin";
/// The fake's password: tests scan outputs for it.
pub const PASSWORD: &str = "sipcapture-s3cr3t-pw";
/// Size of the PCAP export body.
pub const PCAP_LEN: usize = 3 * 1024 * 1024;

/// How the data routes (`search/call/data`, exports) behave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Answer normally.
    Normal,
    /// Wait this long before answering.
    Delay(Duration),
    /// 500 `{"message":"Internal Server Error"}` (homer-app with debug on, after a panic).
    Status500,
    /// 201 with a zero-length body.
    EmptyBody,
    /// Send part of the body, then break the connection.
    DropMidResponse,
    /// A JSON answer of about this many bytes, chunked (no `Content-Length`).
    HugeJson(usize),
}

/// One request as the fake received it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub content_type: Option<String>,
    pub authorization: Option<String>,
    pub body: Bytes,
}

/// The fake's controls and counters.
pub struct FakeState {
    secret: Vec<u8>,
    /// Successful logins.
    pub logins: AtomicUsize,
    /// Requests refused for a missing, invalid or expired token.
    pub token_rejections: AtomicUsize,
    /// Token lifetime in seconds.
    pub token_lifetime_secs: AtomicU64,
    /// Tokens carry this generation; bumping it revokes them all (a restart with a new secret).
    pub generation: AtomicU64,
    /// Delay applied to every login, in milliseconds.
    pub login_delay_ms: AtomicU64,
    /// Answer this many next protected requests with 400 "missing or malformed jwt".
    pub force_missing_jwt: AtomicUsize,
    mode: Mutex<Mode>,
    seen: Mutex<Vec<Seen>>,
    issued: Mutex<Vec<String>>,
}

impl FakeState {
    /// Switches the data routes' behaviour.
    pub fn set_mode(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    fn mode(&self) -> Mode {
        *self.mode.lock().unwrap()
    }

    /// Every request received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Every token issued so far.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.issued.lock().unwrap().clone()
    }

    /// Revokes every token issued so far.
    pub fn revoke_tokens(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    fn issue_token(&self) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let claims = json!({
            "username": USERNAME,
            "useradmin": true,
            "usergroup": "admin",
            "gen": self.generation.load(Ordering::SeqCst),
            "n": self.logins.load(Ordering::SeqCst),
            "exp": now + self.token_lifetime_secs.load(Ordering::SeqCst),
        });
        let token = jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(&self.secret),
        )
        .unwrap();
        self.issued.lock().unwrap().push(token.clone());
        token
    }

    fn token_is_valid(&self, token: &str) -> bool {
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.leeway = 0;
        jsonwebtoken::decode::<Value>(
            token,
            &jsonwebtoken::DecodingKey::from_secret(&self.secret),
            &validation,
        )
        .ok()
        .and_then(|data| data.claims.get("gen").and_then(Value::as_u64))
        .is_some_and(|g| g == self.generation.load(Ordering::SeqCst))
    }
}

/// A running fake Homer.
pub struct FakeHomer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its controls and counters.
    pub state: Arc<FakeState>,
}

impl FakeHomer {
    /// Starts a fake on `127.0.0.1:0`.
    pub async fn start() -> Self {
        let state = Arc::new(FakeState {
            secret: b"fake-homer-jwt-secret".to_vec(),
            logins: AtomicUsize::new(0),
            token_rejections: AtomicUsize::new(0),
            token_lifetime_secs: AtomicU64::new(1200 * 60),
            generation: AtomicU64::new(0),
            login_delay_ms: AtomicU64::new(0),
            force_missing_jwt: AtomicUsize::new(0),
            mode: Mutex::new(Mode::Normal),
            seen: Mutex::new(Vec::new()),
            issued: Mutex::new(Vec::new()),
        });
        let addr = super::serve(app(Arc::clone(&state))).await;
        Self { addr, state }
    }

    /// `http://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

fn app(state: Arc<FakeState>) -> Router {
    let protected = Router::new()
        .route("/search/call/data", post(search_data))
        .route("/search/call/message", post(search_message))
        .route("/call/transaction", post(transaction))
        .route("/call/report/qos", post(qos))
        .route("/call/report/log", post(log))
        .route("/export/call/messages/pcap", post(export_pcap))
        .route("/export/call/messages/text", post(export_text))
        .route("/alias", get(alias).post(write_route))
        .route("/users", get(write_route).post(write_route))
        .route("/token/auth", post(write_route))
        .route("/mapping/protocol", get(mapping).post(write_route))
        .route("/mapping/protocol/{a}", get(mapping))
        .route("/mapping/protocol/{a}/{b}", get(mapping))
        .route("/database/node/list", get(nodes))
        .route("/smart/search/tag/{hepid}/{profile}", get(smart_tags))
        .fallback(not_found)
        .route_layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            require_jwt,
        ));
    let v3 = Router::new()
        .route("/auth", post(login))
        .route("/auth/type/list", get(auth_types))
        .merge(protected);
    Router::new()
        .nest("/api/v3", v3)
        .layer(middleware::from_fn_with_state(Arc::clone(&state), record))
        .with_state(state)
}

async fn record(State(state): State<Arc<FakeState>>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let header_text = |name: header::HeaderName| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    state.seen.lock().unwrap().push(Seen {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        content_type: header_text(header::CONTENT_TYPE),
        authorization: header_text(header::AUTHORIZATION),
        body: body.clone(),
    });
    next.run(Request::from_parts(parts, Body::from(body))).await
}

/// echo-jwt's behaviour: 400 without `Bearer`, 401 for a bad or expired token.
async fn require_jwt(
    State(state): State<Arc<FakeState>>,
    headers: HeaderMap,
    request: Request,
    next: Next,
) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let forced = state
        .force_missing_jwt
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    let bearer = if forced { None } else { bearer };
    match bearer {
        None => {
            state.token_rejections.fetch_add(1, Ordering::SeqCst);
            (
                StatusCode::BAD_REQUEST,
                Json(json!({"message": "missing or malformed jwt"})),
            )
                .into_response()
        }
        Some(token) if !state.token_is_valid(token) => {
            state.token_rejections.fetch_add(1, Ordering::SeqCst);
            (
                StatusCode::UNAUTHORIZED,
                Json(json!({"message": "invalid or expired jwt"})),
            )
                .into_response()
        }
        Some(_) => next.run(request).await,
    }
}

async fn login(State(state): State<Arc<FakeState>>, body: Bytes) -> Response {
    let delay = state.login_delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"data": {}, "message": "request format is not correct"})),
        )
            .into_response();
    };
    let field = |k: &str| request.get(k).and_then(Value::as_str).unwrap_or_default();
    if field("username") != USERNAME || field("password") != PASSWORD {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"statuscode": 401, "error": "Unauthorized", "message": "incorrect password"})),
        )
            .into_response();
    }
    state.logins.fetch_add(1, Ordering::SeqCst);
    let token = state.issue_token();
    (
        StatusCode::CREATED,
        Json(json!({"token": token, "scope": "a8c6f4e2-guid", "user": {"admin": true}})),
    )
        .into_response()
}

async fn auth_types() -> Response {
    Json(
        json!({"count": 1, "data": {"internal": {"name": "Internal", "type": "internal",
        "position": 1, "enable": true}}, "message": "all good"}),
    )
    .into_response()
}

/// Applies the current [`Mode`] to a JSON answer.
async fn moded(state: &FakeState, status: StatusCode, body: Value) -> Response {
    match state.mode() {
        Mode::Normal => (status, Json(body)).into_response(),
        Mode::Delay(delay) => {
            tokio::time::sleep(delay).await;
            (status, Json(body)).into_response()
        }
        Mode::Status500 => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"message": "Internal Server Error"})),
        )
            .into_response(),
        Mode::EmptyBody => {
            (status, [(header::CONTENT_TYPE, "application/json")], "").into_response()
        }
        Mode::DropMidResponse => broken_body("application/json", b"{\"data\":[{\"id\":1,"),
        Mode::HugeJson(len) => huge_json(len),
    }
}

/// `{"data":"xxx…"}` of about `len` bytes, sent in 64 KiB chunks without a `Content-Length`.
fn huge_json(len: usize) -> Response {
    const CHUNK: usize = 64 * 1024;
    let filler = len.saturating_sub(12);
    let chunks = futures_util::stream::unfold(0usize, move |sent| async move {
        if sent > filler {
            return None;
        }
        let piece = if sent == 0 {
            Bytes::from_static(b"{\"data\":\"")
        } else if sent == filler {
            Bytes::from_static(b"\"}")
        } else {
            Bytes::from(vec![b'x'; CHUNK.min(filler - sent)])
        };
        let next = if sent == 0 {
            1
        } else if sent == filler {
            filler + 1
        } else {
            (sent + CHUNK).min(filler)
        };
        Some((Ok::<_, std::io::Error>(piece), next))
    });
    Response::builder()
        .status(StatusCode::CREATED)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(chunks))
        .unwrap()
}

/// A response whose body stops with an error: the connection is cut mid-response.
fn broken_body(content_type: &'static str, first: &'static [u8]) -> Response {
    // The pause lets hyper flush the headers and the first chunk before the error cuts it.
    let chunks = futures_util::stream::unfold(0u8, move |step| async move {
        match step {
            0 => Some((Ok(Bytes::from_static(first)), 1)),
            1 => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                Some((
                    Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionReset,
                        "cut",
                    )),
                    2,
                ))
            }
            _ => None,
        }
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from_stream(chunks))
        .unwrap()
}

/// The `search/call/data` answer of docs/homer7-api.md §3.5, with a fixed row.
pub fn search_answer() -> Value {
    json!({
        "total": 1,
        "keys": ["callid", "create_date", "dstIp", "id", "method", "sid", "srcIp"],
        "data": [{
            "id": 4711, "uuid": 4711, "sid": "a84b4c76e66710@pc33.example.com",
            "create_date": 1_700_000_123_456_u64,
            "srcIp": "10.0.0.5", "srcPort": 5060, "dstIp": "10.0.0.9", "dstPort": 5060,
            "protocolFamily": 2, "protocol": 17, "payloadType": 1,
            "timeSeconds": 1_700_000_123_u64, "timeUseconds": 456_789,
            "captureId": "2001", "method": "INVITE", "callid": "a84b4c76e66710@pc33.example.com",
            "cseq": "1 INVITE", "from_user": "1001", "to_user": "2002",
            "node": "localnode", "dbnode": "localnode",
            "aliasSrc": "10.0.0.5:5060", "aliasDst": "10.0.0.5:5060", "table": "hep_proto_1_call"
        }]
    })
}

async fn search_data(State(state): State<Arc<FakeState>>) -> Response {
    moded(&state, StatusCode::CREATED, search_answer()).await
}

async fn search_message() -> Response {
    (
        StatusCode::CREATED,
        Json(
            json!({"total": 1, "keys": ["id", "raw"], "data": [{"id": 4711,
            "raw": "INVITE sip:2002@example.com SIP/2.0\r\n\r\n",
            "create_ts": 1_700_000_123_456_u64, "micro_ts": 1_700_000_123_456_789_u64}]}),
        ),
    )
        .into_response()
}

async fn transaction() -> Response {
    (
        StatusCode::CREATED,
        Json(
            json!({"total": 0, "keys": [], "data": {"messages": [], "hosts": {},
            "calldata": [], "alias": {}}}),
        ),
    )
        .into_response()
}

/// homer-app answers QoS with 201 and an empty body when a report table is missing.
async fn qos() -> Response {
    (
        StatusCode::CREATED,
        [(header::CONTENT_TYPE, "application/json")],
        "",
    )
        .into_response()
}

async fn log() -> Response {
    (StatusCode::CREATED, Json(json!({"total": 0, "data": []}))).into_response()
}

/// A deterministic classic-PCAP body of [`PCAP_LEN`] bytes.
pub fn pcap_bytes() -> Vec<u8> {
    let mut bytes = Vec::with_capacity(PCAP_LEN);
    bytes.extend_from_slice(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0]);
    bytes.extend_from_slice(&[0; 8]);
    bytes.extend_from_slice(&65_536u32.to_le_bytes());
    bytes.extend_from_slice(&1u32.to_le_bytes());
    let mut n: u32 = 0;
    while bytes.len() < PCAP_LEN {
        bytes.push((n % 251) as u8);
        n = n.wrapping_add(1);
    }
    bytes
}

async fn export_pcap(State(state): State<Arc<FakeState>>) -> Response {
    if state.mode() == Mode::DropMidResponse {
        return broken_body("application/octet-stream", &[0xd4, 0xc3, 0xb2, 0xa1]);
    }
    let chunks: Vec<Result<Bytes, std::io::Error>> = pcap_bytes()
        .chunks(64 * 1024)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header(
            header::CONTENT_DISPOSITION,
            "attachment; filename=export-2026-11-23T19:00:00Z.pcap",
        )
        .body(Body::from_stream(futures_util::stream::iter(chunks)))
        .unwrap()
}

async fn export_text() -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/plain; charset=UTF-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=export-2026-11-23T19:00:00Z.txt",
            ),
        ],
        "proto:UDP 2023-11-14T22:15:23.456789Z  10.0.0.5:5060 ---> 10.0.0.9:5060\r\n\r\nINVITE\r\n",
    )
        .into_response()
}

async fn alias() -> Response {
    (
        StatusCode::CREATED,
        Json(
            json!({"data": [{"id": 1, "guid": "9b0b", "alias": "SBC-1", "ip": "10.0.0.5",
            "port": 5060, "mask": 32, "captureID": "0", "status": true}]}),
        ),
    )
        .into_response()
}

/// A write route: if a request ever gets here through the proxy, the allowlist failed.
async fn write_route() -> Response {
    (
        StatusCode::CREATED,
        Json(json!({"data": "guid", "message": "successfully created"})),
    )
        .into_response()
}

async fn mapping() -> Response {
    Json(
        json!({"count": 1, "data": [{"guid": "m1", "profile": "call", "hepid": 1,
        "hep_alias": "SIP", "partid": 10, "fields_mapping": [{"id": "data_header.from_user",
        "name": "From User", "type": "string"}]}]}),
    )
    .into_response()
}

async fn nodes() -> Response {
    Json(json!({"count": 1, "data": [{"value": "localnode", "name": "LocalNode"}]})).into_response()
}

async fn smart_tags() -> Response {
    Json(json!({"data": {"data": [{"name": "sip.from_user", "value": "data_header.from_user"}]}}))
        .into_response()
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Json(json!({"message": "Not Found"}))).into_response()
}
