//! The connection of one command: a HOMER 7 (dex's credentials, homer-app's JWT) or a hepscope
//! server (an API token as `Authorization: Bearer`, `/api/v3` or `/api/b/{name}/v3`), chosen by
//! `--backend-kind` or by probing `GET /healthz` (hepscope answers JSON with a `status`).
//!
//! It implements the domain's [`V3Fetch`], so the commands run the browser's request planning.
//! With `--debug` every request and its body go to stderr, the password and tokens masked.

use std::time::Duration;

use app::domain::fetch::{search_rows_from_text, transaction_from_text, SearchAnswer, V3Fetch};
use app::domain::homer::{
    AliasList, HomerRow, MappingList, SearchRequest, TransactionRequest, TransactionResponse,
};
use axum::http::{Method, StatusCode};
use bytes::Bytes;
use futures_util::StreamExt;

use crate::homer::client::{HomerBody, HomerClient, HomerClientOptions, V3Request};
use crate::homer::config::BaseUrl;
use crate::homer::discovery::{
    discover, read_service_account_namespace, SystemResolver, ENV_NAMESPACE,
    SERVICE_ACCOUNT_NAMESPACE_FILE,
};
use crate::homer::Secret;

use super::credentials::{hepscope_token, homer_credentials};
use super::{BackendKind, CliError, Globals};

/// Time allowed to connect.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Time allowed for an answer.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// An open connection to one backend.
pub struct Conn {
    /// What it is.
    pub kind: BackendKind,
    /// Its base URL.
    pub url: String,
    debug: bool,
    inner: Inner,
}

enum Inner {
    Homer(HomerClient),
    Hepscope {
        http: reqwest::Client,
        token: Secret,
        /// `/api/v3` or `/api/b/{name}/v3`.
        prefix: String,
    },
}

/// An answer: status and body.
pub struct Answer {
    pub status: StatusCode,
    pub body: Bytes,
}

/// The URL to use: `--url`, else `HOMER_URL`, else dex's `homer.url`, else the Kubernetes discovery
/// of homer-webapp in the namespace of `-n`, `HEPSCOPE_NAMESPACE`, the kubeconfig's current
/// context or the pod's service account (see [`super::discover`]).
///
/// # Errors
/// Nothing configured and nothing discovered (backend: exit 3).
pub async fn resolve_url(
    globals: &Globals,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<String, CliError> {
    if let Some(url) = globals.url.as_deref().filter(|u| !u.trim().is_empty()) {
        return Ok(url.trim().to_owned());
    }
    if let Some(url) = env(crate::homer::dex::ENV_URL) {
        return Ok(url);
    }
    if let Some(url) = super::credentials::dex_config(env)?.and_then(|d| d.homer.url) {
        return Ok(url);
    }
    let ns = discovery_namespace(globals, env);
    match discover(&SystemResolver, &ns, CONNECT_TIMEOUT).await {
        Some(found) => Ok(found.url),
        None => Err(CliError::Backend(format!(
            "no --url, HOMER_URL or dex homer.url, and homer-webapp was not found in namespace {ns:?} ({} does not answer on ports 80 or 9080)",
            crate::homer::discovery::service_host(&ns)
        ))),
    }
}

/// The namespace searched: `-n`, `HEPSCOPE_NAMESPACE`, the kubeconfig's current context
/// (`KUBECONFIG` or `~/.kube/config`), the pod's service-account file, else `default`.
pub fn discovery_namespace(globals: &Globals, env: &dyn Fn(&str) -> Option<String>) -> String {
    [
        globals.namespace.clone(),
        env(ENV_NAMESPACE),
        super::discover::kubeconfig_namespace(env),
        read_service_account_namespace(SERVICE_ACCOUNT_NAMESPACE_FILE.as_ref()),
    ]
    .into_iter()
    .flatten()
    .map(|ns| ns.trim().to_owned())
    .find(|ns| !ns.is_empty())
    .unwrap_or_else(|| "default".to_owned())
}

impl Conn {
    /// Opens the connection the globals describe (the URL resolved, the kind probed, credentials
    /// found; a HOMER is logged in to at once so a wrong password fails here).
    ///
    /// # Errors
    /// Unreachable, refused credentials (exit 3), bad flags (exit 2).
    pub async fn open(
        globals: &Globals,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Conn, CliError> {
        let url = resolve_url(globals, env).await?;
        let base = BaseUrl::parse("cli", &url).map_err(|e| CliError::Usage(e.to_string()))?;
        let url = base.as_str().trim_end_matches('/').to_owned();
        let kind = match globals.backend_kind {
            Some(kind) => kind,
            None => probe(&url, globals.debug).await?,
        };
        let inner = match kind {
            BackendKind::Homer7 => {
                if globals.backend.is_some() {
                    return Err(CliError::Usage(
                        "--backend names a backend of a hepscope server; this URL is a HOMER 7"
                            .into(),
                    ));
                }
                let resolved = homer_credentials(&url, env)?;
                if globals.debug {
                    eprintln!(
                        "> POST {url}/api/v3/auth\n{}",
                        serde_json::json!({"username": resolved.credentials.username, "password": "***"})
                    );
                }
                let client = HomerClient::new(
                    "homer",
                    base,
                    resolved.credentials,
                    HomerClientOptions {
                        connect_timeout: CONNECT_TIMEOUT,
                        request_timeout: REQUEST_TIMEOUT,
                        ..HomerClientOptions::default()
                    },
                )
                .map_err(|e| CliError::Usage(e.to_string()))?;
                client
                    .login_once()
                    .await
                    .map_err(|e| CliError::Backend(e.to_string()))?;
                Inner::Homer(client)
            }
            BackendKind::Hepscope => {
                let token = hepscope_token(&url, env)?.ok_or_else(|| {
                    CliError::Backend(format!(
                        "no API token for {url}: set HEPSCOPE_TOKEN or run `hepscope login {url}`"
                    ))
                })?;
                let prefix = match &globals.backend {
                    Some(name) => {
                        format!("/api/b/{}/v3", app::domain::percent::percent_encode(name))
                    }
                    None => "/api/v3".to_owned(),
                };
                Inner::Hepscope {
                    http: http_client()?,
                    token,
                    prefix,
                }
            }
        };
        Ok(Conn {
            kind,
            url,
            debug: globals.debug,
            inner,
        })
    }

    /// One `/api/v3/{path}` request; `Err` for no answer, and for 401/403 (exit 3).
    ///
    /// # Errors
    /// As above.
    pub async fn v3(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Answer, CliError> {
        let body_bytes = body.map(|b| Bytes::from(b.to_string())).unwrap_or_default();
        match &self.inner {
            Inner::Homer(client) => {
                self.trace(&method, &format!("{}/api/v3/{path}", self.url), None, body);
                let request = V3Request {
                    method,
                    path: path.to_owned(),
                    query: None,
                    body: body_bytes,
                };
                let response = client
                    .send(&request)
                    .await
                    .map_err(|e| CliError::Backend(e.to_string()))?;
                let body = match response.body {
                    HomerBody::Full(bytes) => bytes,
                    HomerBody::Stream(mut stream) => {
                        let mut all = Vec::new();
                        while let Some(chunk) = stream.next().await {
                            let chunk = chunk.map_err(|e| {
                                CliError::Backend(format!("the answer of {path} broke off: {e}"))
                            })?;
                            all.extend_from_slice(&chunk);
                        }
                        Bytes::from(all)
                    }
                };
                checked(path, response.status, body)
            }
            Inner::Hepscope {
                http,
                token,
                prefix,
            } => {
                let url = format!("{}{prefix}/{path}", self.url);
                self.api(http, token, method, &url, body).await
            }
        }
    }

    /// A hepscope `/api/...` route (only on a hepscope server).
    ///
    /// # Errors
    /// As [`Conn::v3`]; a usage error against a HOMER.
    pub async fn hepscope_api(&self, method: Method, path: &str) -> Result<Answer, CliError> {
        match &self.inner {
            Inner::Hepscope { http, token, .. } => {
                let url = format!("{}/api/{path}", self.url);
                self.api(http, token, method, &url, None).await
            }
            Inner::Homer(_) => Err(CliError::Usage(format!(
                "/api/{path} is a hepscope route; {} is a HOMER 7",
                self.url
            ))),
        }
    }

    async fn api(
        &self,
        http: &reqwest::Client,
        token: &Secret,
        method: Method,
        url: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Answer, CliError> {
        self.trace(&method, url, Some("Authorization: Bearer ***"), body);
        let mut request = http
            .request(method, url)
            .header("authorization", format!("Bearer {}", token.expose()));
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request
            .send()
            .await
            .map_err(|e| CliError::Backend(format!("cannot reach {url}: {e}")))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| CliError::Backend(format!("the answer of {url} broke off: {e}")))?;
        checked(url, status, body)
    }

    fn trace(
        &self,
        method: &Method,
        url: &str,
        header: Option<&str>,
        body: Option<&serde_json::Value>,
    ) {
        if !self.debug {
            return;
        }
        eprintln!("> {method} {url}");
        if let Some(header) = header {
            eprintln!("> {header}");
        }
        if let Some(body) = body {
            eprintln!(
                "{}",
                serde_json::to_string_pretty(body).unwrap_or_else(|_| body.to_string())
            );
        }
    }

    /// `POST` a serializable body and read the answer's text.
    ///
    /// # Errors
    /// As [`Conn::v3`].
    pub async fn post_text<B: serde::Serialize>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<String, CliError> {
        let value = serde_json::to_value(body).map_err(|e| CliError::Local(e.to_string()))?;
        let answer = self.v3(Method::POST, path, Some(&value)).await?;
        Ok(String::from_utf8_lossy(&answer.body).into_owned())
    }

    /// `GET` a v3 route and decode its JSON.
    ///
    /// # Errors
    /// As [`Conn::v3`]; undecodable JSON (backend).
    pub async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
    ) -> Result<T, CliError> {
        let answer = self.v3(Method::GET, path, None).await?;
        serde_json::from_slice(&answer.body)
            .map_err(|e| CliError::Backend(format!("unexpected answer of {path}: {e}")))
    }

    /// The backend's field mapping, for compiling queries as the browser does.
    ///
    /// # Errors
    /// As [`Conn::get_json`].
    pub async fn mapping(&self) -> Result<MappingList, CliError> {
        self.get_json("mapping/protocol")
            .await
            .map_err(|e| CliError::Backend(format!("reading the backend's field mapping: {e}")))
    }
}

/// A non-2xx answer as an error: 401/403 say the credentials were refused.
fn checked(what: &str, status: StatusCode, body: Bytes) -> Result<Answer, CliError> {
    if status.is_success() {
        return Ok(Answer { status, body });
    }
    let text = String::from_utf8_lossy(&body);
    let message = app::domain::api::error_message(&text)
        .or_else(|| {
            serde_json::from_str::<app::domain::homer::HomerErrorBody>(&text)
                .ok()
                .map(|b| b.message)
                .filter(|m| !m.is_empty())
        })
        .unwrap_or_else(|| text.chars().take(200).collect());
    Err(CliError::Backend(match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            format!("authentication failed ({what}: HTTP {status}): {message}")
        }
        _ => format!("{what}: HTTP {status}: {message}"),
    }))
}

/// A plain HTTP client for hepscope's API.
///
/// # Errors
/// TLS setup failed.
pub fn http_client() -> Result<reqwest::Client, CliError> {
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("hepscope-cli/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| CliError::Local(format!("building the HTTP client: {e}")))
}

/// hepscope or HOMER 7? hepscope answers `GET /healthz` with a JSON `status`; homer-app does not.
///
/// # Errors
/// Nothing listens at `url` (exit 3).
pub async fn probe(url: &str, debug: bool) -> Result<BackendKind, CliError> {
    let probe_url = format!("{url}/healthz");
    if debug {
        eprintln!("> GET {probe_url}  (is it hepscope or a HOMER 7?)");
    }
    let response = http_client()?
        .get(&probe_url)
        .send()
        .await
        .map_err(|e| CliError::Backend(format!("cannot reach {url}: {e}")))?;
    let is_hepscope = response.status().is_success()
        && response
            .json::<serde_json::Value>()
            .await
            .ok()
            .and_then(|v| v.get("status").and_then(|s| s.as_str()).map(str::to_owned))
            .is_some();
    Ok(if is_hepscope {
        BackendKind::Hepscope
    } else {
        BackendKind::Homer7
    })
}

impl V3Fetch for Conn {
    type Error = CliError;

    async fn search_all(&self, requests: &[SearchRequest]) -> Vec<SearchAnswer<CliError>> {
        futures_util::future::join_all(requests.iter().map(|request| async move {
            let rows = match self.post_text("search/call/data", request).await {
                Ok(text) => search_rows_from_text(&text).map_err(CliError::Backend),
                Err(e) => Err(e),
            };
            (request.row_limit(), rows)
        }))
        .await
    }

    async fn transaction(
        &self,
        request: &TransactionRequest,
    ) -> Result<TransactionResponse, CliError> {
        let text = self.post_text("call/transaction", request).await?;
        transaction_from_text(&text).map_err(CliError::Backend)
    }

    async fn qos_text(&self, request: &TransactionRequest) -> Result<String, CliError> {
        self.post_text("call/report/qos", request).await
    }

    async fn aliases(&self) -> Result<AliasList, CliError> {
        self.get_json("alias").await
    }
}

/// Rows' Call-ID: `sid`, else `callid`.
pub fn row_call_id(row: &HomerRow) -> &str {
    if row.sid.is_empty() {
        &row.callid
    } else {
        &row.sid
    }
}
