//! HOMER 7 `/api/v3` calls through hepscope's server (the default backend, or `/api/b/{name}/v3`), with
//! every request body recorded for the debug panel (dex's `--debug`).

use gloo_net::http::Request;
use leptos::prelude::*;
use serde::Serialize;

use super::client::ClientError;
use crate::domain::fetch::{search_rows_from_text, transaction_from_text, SearchAnswer, V3Fetch};
use crate::domain::homer::{
    AliasList, HomerRow, SearchRequest, TransactionRequest, TransactionResponse,
};

/// One request a view sent to HOMER, for the debug panel.
#[derive(Clone, Debug, PartialEq)]
pub struct SentRequest {
    pub url: String,
    pub body: String,
}

/// The debug panel's state: on/off (kept in localStorage) and the requests of the last run.
#[derive(Clone, Copy)]
pub struct DebugCtx {
    pub enabled: RwSignal<bool>,
    pub sent: RwSignal<Vec<SentRequest>>,
}

const DEBUG_KEY: &str = "hepscope-debug";

impl DebugCtx {
    /// Reads the saved toggle.
    pub fn new() -> Self {
        let enabled = storage()
            .and_then(|s| s.get_item(DEBUG_KEY).ok().flatten())
            .is_some_and(|v| v == "1");
        Self {
            enabled: RwSignal::new(enabled),
            sent: RwSignal::new(Vec::new()),
        }
    }

    /// Switches the panel on or off and remembers it.
    pub fn set_enabled(&self, on: bool) {
        self.enabled.set(on);
        if let Some(s) = storage() {
            let _ = s.set_item(DEBUG_KEY, if on { "1" } else { "0" });
        }
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The URL of a v3 route on a backend (`""` is the default backend). A backend starting with `/` is
/// an API root instead, such as a share link's `/api/shared/{token}` (backend names never contain `/`).
pub fn v3_url(backend: &str, path: &str) -> String {
    if backend.is_empty() {
        format!("/api/v3/{path}")
    } else if backend.starts_with('/') {
        format!("{backend}/v3/{path}")
    } else {
        format!(
            "/api/b/{}/v3/{path}",
            String::from(js_sys::encode_uri_component(backend))
        )
    }
}

/// `POST` a JSON body to a v3 route and read the answer's text, recording the request.
pub async fn post_v3<B: Serialize>(
    debug: DebugCtx,
    backend: &str,
    path: &str,
    body: &B,
    abort: Option<&web_sys::AbortSignal>,
) -> Result<String, ClientError> {
    let url = v3_url(backend, path);
    let text = serde_json::to_string(body).map_err(|e| ClientError::Decode(e.to_string()))?;
    debug.sent.update(|s| {
        s.push(SentRequest {
            url: url.clone(),
            body: serde_json::to_string_pretty(body).unwrap_or_else(|_| text.clone()),
        })
    });
    let response = Request::post(&url)
        .header("content-type", "application/json")
        .abort_signal(abort)
        .body(text)
        .map_err(|e| ClientError::Decode(e.to_string()))?
        .send()
        .await
        .map_err(|e| ClientError::Network(e.to_string()))?;
    let status = response.status();
    let body = response
        .text()
        .await
        .map_err(|e| ClientError::Network(e.to_string()))?;
    if (200..300).contains(&status) {
        Ok(body)
    } else {
        Err(super::client::error_from_text(status, &body))
    }
}

/// `search/call/data`: the rows of one request.
pub async fn search_call_data(
    debug: DebugCtx,
    backend: &str,
    request: &SearchRequest,
    abort: Option<&web_sys::AbortSignal>,
) -> Result<Vec<HomerRow>, ClientError> {
    let text = post_v3(debug, backend, "search/call/data", request, abort).await?;
    search_rows_from_text(&text).map_err(ClientError::Decode)
}

/// The browser's [`V3Fetch`]: `/api/v3` (or a named backend, or a share's API root) through
/// hepscope's server, every request recorded for the debug panel; searches run in parallel.
pub struct UiFetch {
    pub debug: DebugCtx,
    pub backend: String,
}

impl V3Fetch for UiFetch {
    type Error = ClientError;

    async fn search_all(&self, requests: &[SearchRequest]) -> Vec<SearchAnswer<ClientError>> {
        futures::future::join_all(requests.iter().map(|request| async move {
            (
                request.row_limit(),
                search_call_data(self.debug, &self.backend, request, None).await,
            )
        }))
        .await
    }

    async fn transaction(
        &self,
        request: &TransactionRequest,
    ) -> Result<TransactionResponse, ClientError> {
        let text = post_v3(self.debug, &self.backend, "call/transaction", request, None).await?;
        transaction_from_text(&text).map_err(ClientError::Decode)
    }

    async fn qos_text(&self, request: &TransactionRequest) -> Result<String, ClientError> {
        post_v3(self.debug, &self.backend, "call/report/qos", request, None).await
    }

    async fn aliases(&self) -> Result<AliasList, ClientError> {
        super::client::get_json(&v3_url(&self.backend, "alias")).await
    }
}
