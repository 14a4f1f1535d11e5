//! HTTP calls to hepscope's server. The only module that knows server paths.

use std::fmt;

use gloo_net::http::{Request, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::domain::api::{error_message, LoginRequest, Me};
use crate::domain::share::{ShareCreated, ShareInfo, ShareRequest};

/// Why a request failed, in words the UI can show.
#[derive(Clone, Debug, PartialEq)]
pub enum ClientError {
    /// The server could not be reached.
    Network(String),
    /// No valid session: the UI sends the user to the login page.
    Unauthorized(String),
    /// The server answered with an error status.
    Status { status: u16, message: String },
    /// The answer was not what the client expected.
    Decode(String),
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Network(e) => write!(f, "cannot reach the hepscope server: {e}"),
            ClientError::Unauthorized(m) => write!(f, "{m}"),
            ClientError::Status { status, message } => write!(f, "{message} (HTTP {status})"),
            ClientError::Decode(e) => write!(f, "unexpected answer from the server: {e}"),
        }
    }
}

/// `GET url` and decode JSON.
pub async fn get_json<T: DeserializeOwned>(url: &str) -> Result<T, ClientError> {
    let response = Request::get(url)
        .send()
        .await
        .map_err(|e| ClientError::Network(e.to_string()))?;
    decode(response).await
}

/// `POST url` with a JSON body and decode the JSON answer.
pub async fn post_json<B: Serialize, T: DeserializeOwned>(
    url: &str,
    body: &B,
) -> Result<T, ClientError> {
    let response = Request::post(url)
        .json(body)
        .map_err(|e| ClientError::Decode(e.to_string()))?
        .send()
        .await
        .map_err(|e| ClientError::Network(e.to_string()))?;
    decode(response).await
}

async fn error_of(response: Response) -> ClientError {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    error_from_text(status, &text)
}

/// The error for a non-2xx answer with body `text` (hepscope's `{"error"}` JSON, or anything else).
pub fn error_from_text(status: u16, text: &str) -> ClientError {
    let message = match error_message(text) {
        Some(message) => message,
        None if text.trim().is_empty() => response_reason(status).to_string(),
        None => text.chars().take(300).collect(),
    };
    if status == 401 {
        ClientError::Unauthorized(message)
    } else {
        ClientError::Status { status, message }
    }
}

async fn decode<T: DeserializeOwned>(response: Response) -> Result<T, ClientError> {
    if !response.ok() {
        return Err(error_of(response).await);
    }
    response
        .json::<T>()
        .await
        .map_err(|e| ClientError::Decode(e.to_string()))
}

fn response_reason(status: u16) -> &'static str {
    match status {
        404 => "not found",
        429 => "too many requests",
        502 => "bad gateway",
        503 => "service unavailable",
        504 => "gateway timeout",
        _ => "request failed",
    }
}

/// The logged-in user, or `Unauthorized`.
pub async fn me() -> Result<Me, ClientError> {
    get_json("/api/me").await
}

/// The sign-in methods the login page offers.
pub async fn auth_methods() -> Result<crate::domain::api::AuthMethods, ClientError> {
    get_json("/api/auth/methods").await
}

/// Logs in; the server sets the session cookie.
pub async fn login(username: String, password: String) -> Result<Me, ClientError> {
    post_json("/api/login", &LoginRequest { username, password }).await
}

/// Logs out (clears the session cookie).
pub async fn logout() -> Result<(), ClientError> {
    expect_no_content(Request::post("/api/logout")).await
}

/// Sends a request whose answer carries nothing to read: any 2xx is `Ok`.
async fn expect_no_content(request: gloo_net::http::RequestBuilder) -> Result<(), ClientError> {
    let response = request
        .send()
        .await
        .map_err(|e| ClientError::Network(e.to_string()))?;
    if response.ok() {
        Ok(())
    } else {
        Err(error_of(response).await)
    }
}

/// `DELETE url`; any 2xx is `Ok`.
pub async fn delete(url: &str) -> Result<(), ClientError> {
    expect_no_content(Request::delete(url)).await
}

/// Creates a share link (`POST /api/shares`).
pub async fn share_create(request: &ShareRequest) -> Result<ShareCreated, ClientError> {
    post_json("/api/shares", request).await
}

/// The share links the user may see: all for admins, their own for others.
pub async fn shares_list() -> Result<Vec<ShareInfo>, ClientError> {
    get_json("/api/shares").await
}

/// Revokes a share link.
pub async fn share_revoke(id: &str) -> Result<(), ClientError> {
    let url = format!(
        "/api/shares/{}",
        String::from(js_sys::encode_uri_component(id))
    );
    expect_no_content(Request::delete(&url)).await
}

/// The API root of a share link's public routes, usable as a backend in [`super::homer::v3_url`].
pub fn shared_api_root(token: &str) -> String {
    format!(
        "/api/shared/{}",
        String::from(js_sys::encode_uri_component(token))
    )
}

/// What a share link shows, without a session; a refused link is a `Status` error whose message is
/// the refusal (`expired`, `revoked`, `invalid`).
pub async fn shared_info(token: &str) -> Result<ShareInfo, ClientError> {
    get_json(&shared_api_root(token)).await
}
