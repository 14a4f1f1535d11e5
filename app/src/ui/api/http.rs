//! The one request path of the browser: build, record (HOMER requests, for the debug panel), send
//! with an abort signal tied to the reactive owner, and turn any failure into an [`ApiError`].
//!
//! As `fetch_api` in Leptos's hackernews example, a request started while a resource loads (or a
//! view is mounted) is aborted when that owner is cleaned up: a resource whose key changed, or a
//! page that was left, does not leave its requests running.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use gloo_net::http::{Method, RequestBuilder, Response};
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::recorder::{Recorder, SentRequest};
use super::ApiError;
use crate::domain::api::error_message;

/// One request to hepscope's server, before it is sent.
pub(super) struct ApiRequest {
    method: Method,
    url: String,
    /// A JSON body.
    body: Option<String>,
    /// The pretty body the debug panel shows; `Some` only for HOMER requests (never a password).
    recorded: Option<String>,
}

impl ApiRequest {
    pub(super) fn get(url: String) -> Self {
        Self {
            method: Method::GET,
            url,
            body: None,
            recorded: None,
        }
    }

    pub(super) fn delete(url: String) -> Self {
        Self {
            method: Method::DELETE,
            ..Self::get(url)
        }
    }

    pub(super) fn post(url: String) -> Self {
        Self {
            method: Method::POST,
            ..Self::get(url)
        }
    }

    /// `POST url` with `body` as JSON.
    pub(super) fn post_json<B: Serialize>(url: String, body: &B) -> Result<Self, ApiError> {
        let text = serde_json::to_string(body).map_err(|e| ApiError::Encode(e.to_string()))?;
        Ok(Self {
            body: Some(text),
            ..Self::post(url)
        })
    }

    /// `POST url` with a body that is already JSON text.
    pub(super) fn post_text(url: String, body: String) -> Self {
        Self {
            body: Some(body),
            ..Self::post(url)
        }
    }

    /// Shows this request in the debug panel (the HOMER routes).
    pub(super) fn recorded(mut self) -> Self {
        let pretty = self.body.as_deref().map(|b| {
            serde_json::from_str::<serde_json::Value>(b)
                .and_then(|v| serde_json::to_string_pretty(&v))
                .unwrap_or_else(|_| b.to_owned())
        });
        self.recorded = Some(pretty.unwrap_or_default());
        self
    }

    /// Sends the request; `Ok` only for a 2xx answer.
    pub(super) async fn send(self) -> Result<Response, ApiError> {
        if let (Some(body), Some(recorder)) = (self.recorded, use_context::<Recorder>()) {
            recorder.record(SentRequest {
                url: self.url.clone(),
                body,
            });
        }
        let abort = abort_on_cleanup();
        let builder = RequestBuilder::new(&self.url)
            .method(self.method)
            .abort_signal(abort.as_ref());
        let sent = match self.body {
            Some(body) => {
                builder
                    .header("content-type", "application/json")
                    .body(body)
                    .map_err(|e| ApiError::Encode(e.to_string()))?
                    .send()
                    .await
            }
            None => builder.send().await,
        };
        let response = sent.map_err(|e| ApiError::Network(e.to_string()))?;
        if response.ok() {
            Ok(response)
        } else {
            let status = response.status();
            let text = response.text().await.unwrap_or_default();
            Err(ApiError::from_text(status, &text))
        }
    }

    /// Sends and decodes a JSON answer.
    pub(super) async fn json<T: DeserializeOwned>(self) -> Result<T, ApiError> {
        self.send()
            .await?
            .json::<T>()
            .await
            .map_err(|e| ApiError::Decode(e.to_string()))
    }

    /// Sends and reads the answer as text.
    pub(super) async fn text(self) -> Result<String, ApiError> {
        self.send()
            .await?
            .text()
            .await
            .map_err(|e| ApiError::Network(e.to_string()))
    }

    /// Sends a request whose answer carries nothing to read: any 2xx is `Ok`.
    pub(super) async fn no_content(self) -> Result<(), ApiError> {
        self.send().await.map(drop)
    }

    /// Sends and reads a file: its bytes and the name from `content-disposition` (empty if none).
    pub(super) async fn file(self) -> Result<(Vec<u8>, String), ApiError> {
        let response = self.send().await?;
        let disposition = response
            .headers()
            .get("content-disposition")
            .unwrap_or_default();
        let bytes = response
            .binary()
            .await
            .map_err(|e| ApiError::Network(e.to_string()))?;
        Ok((bytes, attachment_name(&disposition)))
    }
}

/// The file name of a `content-disposition: attachment; filename="…"` header, or empty.
fn attachment_name(disposition: &str) -> String {
    disposition
        .split("filename=")
        .nth(1)
        .map(|n| {
            n.trim_matches(|c| c == '"' || c == ';' || c == ' ')
                .to_string()
        })
        .unwrap_or_default()
}

/// Whether the reactive owner that created it (a resource's current load) is still current: false
/// from the moment it is cleaned up, which is also when its requests are aborted. A load checks it
/// before reporting progress, so a superseded load cannot write over the current one's.
#[derive(Clone, Debug)]
pub struct Alive(Arc<AtomicBool>);

impl Alive {
    /// Tied to the current owner (always alive outside one).
    pub fn current() -> Self {
        let flag = Arc::new(AtomicBool::new(true));
        let on_drop = Arc::clone(&flag);
        on_cleanup(move || on_drop.store(false, Ordering::Relaxed));
        Self(flag)
    }

    /// Still current.
    pub fn get(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// An abort signal that fires when the current reactive owner is cleaned up (none outside one).
fn abort_on_cleanup() -> Option<web_sys::AbortSignal> {
    let controller = web_sys::AbortController::new().ok()?;
    let signal = controller.signal();
    // The browser is single-threaded: the wrapper only satisfies `on_cleanup`'s `Send` bound.
    let controller = SendWrapper::new(controller);
    on_cleanup(move || controller.abort());
    Some(signal)
}

impl ApiError {
    /// The error for a non-2xx answer with body `text` (hepscope's `{"error"}` JSON, or anything else).
    pub fn from_text(status: u16, text: &str) -> Self {
        let message = match error_message(text) {
            Some(message) => message,
            None if text.trim().is_empty() => response_reason(status).to_string(),
            None => text.chars().take(300).collect(),
        };
        if status == 401 {
            ApiError::Unauthorized(message)
        } else {
            ApiError::Status { status, message }
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachment_name_reads_quoted_and_bare_names() {
        assert_eq!(
            attachment_name("attachment; filename=\"call.pcap\""),
            "call.pcap"
        );
        assert_eq!(attachment_name("attachment; filename=a.txt"), "a.txt");
        assert_eq!(attachment_name(""), "");
    }

    #[test]
    fn error_from_text_prefers_the_server_message() {
        assert_eq!(
            ApiError::from_text(401, r#"{"error":"log in first"}"#),
            ApiError::Unauthorized("log in first".into())
        );
        assert_eq!(
            ApiError::from_text(504, ""),
            ApiError::Status {
                status: 504,
                message: "gateway timeout".into()
            }
        );
    }
}
