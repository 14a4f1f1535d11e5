//! `HomerClient`: talks to one HOMER 7 with server-held credentials.
//!
//! Logs in with `POST /api/v3/auth`, keeps the JWT, renews it before `exp` and after a 400
//! "missing or malformed jwt" or a 401 (then retries the request once). Logins are serialised by
//! one async mutex, so however many requests wait there is one login in flight. Every 2xx counts
//! as success (homer-app answers 201 to reads). Never logs the password or the token.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Once};
use std::time::{Duration, Instant, SystemTime};

use axum::http::{header, HeaderValue, Method, StatusCode};
use bytes::Bytes;

use futures_util::stream::{BoxStream, StreamExt};

use super::config::{
    BaseUrl, ConfigError, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_ANSWER_BYTES,
    DEFAULT_REQUEST_TIMEOUT,
};
use super::dex::Credentials;
use super::error::{truncate, UpstreamError};
use super::token::{token_from_login_body, Token};

/// One request to `/api/v3/...`, whatever backend answers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct V3Request {
    /// The HTTP method, forwarded as is.
    pub method: Method,
    /// The path after `/api/v3/`, e.g. `search/call/data` (no leading `/`).
    pub path: String,
    /// The raw query string without `?`.
    pub query: Option<String>,
    /// The JSON body (empty for GET).
    pub body: Bytes,
}

/// Options for [`HomerClient::new`].
#[derive(Clone, Debug)]
pub struct HomerClientOptions {
    /// TCP connect timeout (default 5 s).
    pub connect_timeout: Duration,
    /// Time allowed until response headers (and a whole JSON body), and between streamed body
    /// chunks (default 30 s).
    pub request_timeout: Duration,
    /// Renew the token when it expires within this margin (default 60 s).
    pub renew_before: Duration,
    /// Extra CA certificates (PEM) trusted besides the platform roots.
    pub ca_pem: Option<Vec<u8>>,
    /// Largest answer body taken from Homer (default 256 MiB): a bigger buffered answer is a 502, a
    /// bigger stream is cut there. Bounds what one upstream answer can cost in memory.
    pub max_answer_bytes: u64,
}

impl Default for HomerClientOptions {
    fn default() -> Self {
        Self {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            renew_before: Duration::from_secs(60),
            ca_pem: None,
            max_answer_bytes: DEFAULT_MAX_ANSWER_BYTES,
        }
    }
}

impl HomerClientOptions {
    /// Reads a CA file into `ca_pem`.
    ///
    /// # Errors
    /// [`ConfigError::CaFile`] when the file cannot be read.
    pub fn with_ca_file(mut self, backend: &str, path: &Path) -> Result<Self, ConfigError> {
        let pem = std::fs::read(path).map_err(|e| ConfigError::CaFile {
            backend: backend.to_owned(),
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        self.ca_pem = Some(pem);
        Ok(self)
    }
}

/// Homer's answer as the proxy passes it on.
pub struct HomerResponse {
    /// Homer's status, unchanged (201 included).
    pub status: StatusCode,
    /// Homer's `Content-Type`.
    pub content_type: Option<HeaderValue>,
    /// Homer's `Content-Disposition` (exports).
    pub content_disposition: Option<HeaderValue>,
    /// The body: buffered for JSON, streamed for everything else (PCAP, text).
    pub body: HomerBody,
}

/// A response body, whole or still arriving.
pub enum HomerBody {
    /// The whole body (JSON answers, so a broken one becomes a 502 rather than a cut-off 2xx).
    Full(Bytes),
    /// A streamed body (exports); a break, or passing `max_answer_bytes`, shows as an aborted response.
    Stream(BoxStream<'static, Result<Bytes, std::io::Error>>),
}

/// A client for one HOMER 7. Cheap to clone.
#[derive(Clone)]
pub struct HomerClient {
    inner: Arc<Inner>,
}

struct Inner {
    name: String,
    base: BaseUrl,
    http: reqwest::Client,
    credentials: Credentials,
    request_timeout: Duration,
    renew_before: Duration,
    max_answer_bytes: u64,
    /// The token and the outcome of the last login. A Tokio mutex because it is held across the
    /// login request: that is what keeps exactly one login in flight.
    session: tokio::sync::Mutex<Session>,
    /// Counts finished login attempts, read before queueing on `session`.
    attempts: AtomicU64,
}

#[derive(Default)]
struct Session {
    token: Option<Token>,
    last_failure: Option<(u64, UpstreamError)>,
}

impl std::fmt::Debug for HomerClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HomerClient")
            .field("name", &self.inner.name)
            .field("url", &self.inner.base)
            .field("username", &self.inner.credentials.username)
            .finish_non_exhaustive()
    }
}

static CRYPTO_PROVIDER: Once = Once::new();

/// Installs rustls' aws-lc-rs provider once; "already installed" is fine.
fn install_crypto_provider() {
    CRYPTO_PROVIDER.call_once(|| {
        // An Err only means another provider was installed first, which serves as well.
        let _already_installed = rustls::crypto::aws_lc_rs::default_provider().install_default();
    });
}

impl HomerClient {
    /// Builds a client; does not connect yet.
    ///
    /// # Errors
    /// An unreadable CA bundle or a TLS setup failure.
    pub fn new(
        name: &str,
        base: BaseUrl,
        credentials: Credentials,
        options: HomerClientOptions,
    ) -> Result<Self, ConfigError> {
        install_crypto_provider();
        let mut builder = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .read_timeout(options.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("hepscope/", env!("CARGO_PKG_VERSION")));
        if let Some(pem) = &options.ca_pem {
            let certs =
                reqwest::Certificate::from_pem_bundle(pem).map_err(|e| ConfigError::CaFile {
                    backend: name.to_owned(),
                    path: "(ca_file)".into(),
                    reason: e.to_string(),
                })?;
            builder = builder.tls_certs_merge(certs);
        }
        let http = builder.build().map_err(|source| ConfigError::Client {
            backend: name.to_owned(),
            source,
        })?;
        Ok(Self {
            inner: Arc::new(Inner {
                name: name.to_owned(),
                base,
                http,
                credentials,
                request_timeout: options.request_timeout,
                renew_before: options.renew_before,
                max_answer_bytes: options.max_answer_bytes,
                session: tokio::sync::Mutex::new(Session::default()),
                attempts: AtomicU64::new(0),
            }),
        })
    }

    /// The backend's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The base URL (no credentials).
    pub fn base_url(&self) -> &BaseUrl {
        &self.inner.base
    }

    /// The login name in use (not secret).
    pub fn username(&self) -> &str {
        &self.inner.credentials.username
    }

    /// Sends one request with a valid token, renewing it and retrying once when Homer says the
    /// token is missing, malformed, invalid or expired.
    ///
    /// # Errors
    /// [`UpstreamError`] when Homer cannot be reached, answers garbage, times out, or refuses the
    /// login. Homer's own 4xx/5xx answers are `Ok`.
    pub async fn send(&self, request: &V3Request) -> Result<HomerResponse, UpstreamError> {
        let token = self.token().await?;
        match self.send_with(request, &token).await? {
            Attempt::Done(response) => Ok(response),
            Attempt::TokenRejected(_) => {
                tracing::debug!(backend = %self.inner.name, "Homer rejected the token; logging in again");
                self.invalidate(&token).await;
                let token = self.token().await?;
                match self.send_with(request, &token).await? {
                    Attempt::Done(response) => Ok(response),
                    // Passing Homer's 401 on would look like hepscope's own session ending.
                    Attempt::TokenRejected(second) => Err(UpstreamError::Login {
                        backend: self.inner.name.clone(),
                        detail: format!("Homer rejected a fresh token: HTTP {}", second.status),
                    }),
                }
            }
        }
    }

    /// Logs in now, outside the token cache (for diagnostics); returns the time it took.
    ///
    /// # Errors
    /// As for [`HomerClient::send`].
    pub async fn login_once(&self) -> Result<Duration, UpstreamError> {
        let started = Instant::now();
        self.login().await.map(|_| started.elapsed())
    }

    /// A token that is not about to expire, logging in when needed (one login at a time).
    async fn token(&self) -> Result<Token, UpstreamError> {
        let seen = self.inner.attempts.load(Ordering::Acquire);
        let mut session = self.inner.session.lock().await;
        if let Some(token) = &session.token {
            if !token.needs_renewal(SystemTime::now(), self.inner.renew_before) {
                return Ok(token.clone());
            }
        }
        // A login that failed while this caller queued answers it too, so a dead Homer costs
        // one timeout, not one per waiting request.
        if let Some((attempt, error)) = &session.last_failure {
            if *attempt > seen {
                return Err(error.clone());
            }
        }
        let outcome = self.login().await;
        let attempt = self.inner.attempts.fetch_add(1, Ordering::AcqRel) + 1;
        match outcome {
            Ok(token) => {
                session.token = Some(token.clone());
                session.last_failure = None;
                Ok(token)
            }
            Err(error) => {
                session.token = None;
                session.last_failure = Some((attempt, error.clone()));
                Err(error)
            }
        }
    }

    /// Forgets `stale` unless another request has already replaced it.
    async fn invalidate(&self, stale: &Token) {
        let mut session = self.inner.session.lock().await;
        if session.token.as_ref() == Some(stale) {
            session.token = None;
        }
    }

    async fn login(&self) -> Result<Token, UpstreamError> {
        let name = &self.inner.name;
        let body = serde_json::json!({
            "username": self.inner.credentials.username,
            "password": self.inner.credentials.password.expose(),
        });
        let send = self
            .inner
            .http
            .post(self.inner.base.v3("auth", None))
            .json(&body)
            .send();
        let timeout = self.inner.request_timeout;
        let limit = self.inner.max_answer_bytes;
        let read = async {
            let mut response = send.await?;
            let status = response.status();
            let bytes = read_capped(&mut response, limit).await?;
            Ok::<_, Exchange>((status, bytes))
        };
        let (status, bytes) = match tokio::time::timeout(timeout, read).await {
            Err(_) => {
                return Err(UpstreamError::Timeout {
                    backend: name.clone(),
                    after: timeout,
                })
            }
            Ok(Err(Exchange::TooLarge)) => {
                return Err(UpstreamError::TooLarge {
                    backend: name.clone(),
                    limit,
                })
            }
            Ok(Err(Exchange::Http(e))) => {
                return Err(UpstreamError::from_reqwest(name, timeout, &e))
            }
            Ok(Ok(answer)) => answer,
        };
        if !status.is_success() {
            return Err(UpstreamError::Login {
                backend: name.clone(),
                detail: format!("HTTP {status}: {}", homer_message(&bytes)),
            });
        }
        let token = token_from_login_body(&bytes).ok_or_else(|| UpstreamError::Login {
            backend: name.clone(),
            detail: format!("HTTP {status} without a token in the answer"),
        })?;
        tracing::info!(backend = %name, "logged in to Homer");
        Ok(Token::new(token))
    }

    async fn send_with(
        &self,
        request: &V3Request,
        token: &Token,
    ) -> Result<Attempt, UpstreamError> {
        let name = &self.inner.name;
        let url = self.inner.base.v3(&request.path, request.query.as_deref());
        let mut builder = self
            .inner
            .http
            .request(request.method.clone(), url)
            .bearer_auth(token.value.expose());
        if !matches!(request.method, Method::GET | Method::HEAD) {
            builder = builder
                .header(header::CONTENT_TYPE, "application/json")
                .body(request.body.clone());
        }
        let timeout = self.inner.request_timeout;
        let limit = self.inner.max_answer_bytes;
        let started = Instant::now();
        let exchange = async {
            let mut response = builder.send().await?;
            let status = response.status();
            let headers = response.headers();
            let content_type = headers.get(header::CONTENT_TYPE).cloned();
            let content_disposition = headers.get(header::CONTENT_DISPOSITION).cloned();
            if response
                .content_length()
                .is_some_and(|length| length > limit)
            {
                return Err(Exchange::TooLarge);
            }
            let stream =
                !status.is_client_error() && content_type.as_ref().is_some_and(|ct| !is_json(ct));
            let body = if stream {
                HomerBody::Stream(capped_stream(response, limit, name.clone()))
            } else {
                HomerBody::Full(read_capped(&mut response, limit).await?)
            };
            Ok::<_, Exchange>(HomerResponse {
                status,
                content_type,
                content_disposition,
                body,
            })
        };
        let response = match tokio::time::timeout(timeout, exchange).await {
            Err(_) => {
                tracing::warn!(backend = %name, path = %request.path, "Homer request timed out");
                return Err(UpstreamError::Timeout {
                    backend: name.clone(),
                    after: timeout,
                });
            }
            Ok(Err(Exchange::TooLarge)) => {
                tracing::warn!(backend = %name, path = %request.path, limit, "Homer's answer is over the cap");
                return Err(UpstreamError::TooLarge {
                    backend: name.clone(),
                    limit,
                });
            }
            Ok(Err(Exchange::Http(e))) => {
                let error = UpstreamError::from_reqwest(name, timeout, &e);
                tracing::warn!(backend = %name, path = %request.path, error = %error, "Homer request failed");
                return Err(error);
            }
            Ok(Ok(response)) => response,
        };
        tracing::debug!(
            backend = %name,
            method = %request.method,
            path = %request.path,
            status = response.status.as_u16(),
            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
            "Homer answered"
        );
        if token_rejected(&response) {
            Ok(Attempt::TokenRejected(response))
        } else {
            Ok(Attempt::Done(response))
        }
    }
}

enum Attempt {
    Done(HomerResponse),
    TokenRejected(HomerResponse),
}

/// Why one exchange with Homer gave no answer.
enum Exchange {
    Http(reqwest::Error),
    TooLarge,
}

impl From<reqwest::Error> for Exchange {
    fn from(error: reqwest::Error) -> Self {
        Exchange::Http(error)
    }
}

/// The whole body, or [`Exchange::TooLarge`] as soon as it passes `limit` bytes (read chunk by chunk, so
/// an answer without `Content-Length` is not buffered past the cap either).
async fn read_capped(response: &mut reqwest::Response, limit: u64) -> Result<Bytes, Exchange> {
    let mut body = bytes::BytesMut::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() as u64 + chunk.len() as u64 > limit {
            return Err(Exchange::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// The body as a stream that fails once it passes `limit` bytes (the client sees an aborted download).
fn capped_stream(
    response: reqwest::Response,
    limit: u64,
    backend: String,
) -> BoxStream<'static, Result<Bytes, std::io::Error>> {
    let mut seen: u64 = 0;
    response
        .bytes_stream()
        .map(move |chunk| {
            let chunk = chunk.map_err(std::io::Error::other)?;
            seen = seen.saturating_add(chunk.len() as u64);
            if seen > limit {
                tracing::warn!(backend = %backend, limit, "Homer's streamed answer passed the cap; cut");
                return Err(std::io::Error::other(format!(
                    "Homer {backend:?} answered more than {limit} bytes"
                )));
            }
            Ok(chunk)
        })
        .boxed()
}

fn is_json(content_type: &HeaderValue) -> bool {
    content_type
        .to_str()
        .map(|ct| {
            ct.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/json")
        })
        .unwrap_or(false)
}

/// 401, or 400 `{"message":"missing or malformed jwt"}` (echo-jwt's answer to a missing token).
fn token_rejected(response: &HomerResponse) -> bool {
    match (&response.status, &response.body) {
        (&StatusCode::UNAUTHORIZED, _) => true,
        (&StatusCode::BAD_REQUEST, HomerBody::Full(body)) => {
            homer_message(body).eq_ignore_ascii_case("missing or malformed jwt")
        }
        _ => false,
    }
}

/// The `message` of a Homer error body, or a cut-down body text.
fn homer_message(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|json| {
            json.get("message")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_else(|| truncate(String::from_utf8_lossy(body).into_owned(), 120))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(status: StatusCode, body: &'static str) -> HomerResponse {
        HomerResponse {
            status,
            content_type: None,
            content_disposition: None,
            body: HomerBody::Full(Bytes::from_static(body.as_bytes())),
        }
    }

    #[test]
    fn token_rejected_on_401_and_on_missing_jwt_400() {
        assert!(token_rejected(&full(
            StatusCode::UNAUTHORIZED,
            r#"{"message":"invalid or expired jwt"}"#
        )));
        assert!(token_rejected(&full(
            StatusCode::BAD_REQUEST,
            r#"{"message":"missing or malformed jwt"}"#
        )));
        assert!(!token_rejected(&full(
            StatusCode::BAD_REQUEST,
            r#"{"data":{},"message":"request format is not correct"}"#
        )));
        assert!(!token_rejected(&full(StatusCode::CREATED, "")));
    }

    #[test]
    fn is_json_accepts_parameters() {
        assert!(is_json(&HeaderValue::from_static(
            "application/json; charset=UTF-8"
        )));
        assert!(!is_json(&HeaderValue::from_static(
            "application/octet-stream"
        )));
    }

    #[test]
    fn client_debug_hides_the_password() {
        let client = HomerClient::new(
            "h",
            BaseUrl::parse("h", "http://127.0.0.1:9").unwrap(),
            Credentials {
                username: "admin".into(),
                password: crate::secret::Secret::new("pw-in-debug"),
            },
            HomerClientOptions::default(),
        )
        .unwrap();
        let text = format!("{client:?}");
        assert!(!text.contains("pw-in-debug"), "{text}");
    }
}
