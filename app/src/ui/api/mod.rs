//! The browser's API layer: one typed function per server route the UI calls, over the one request
//! path in [`http`]. The only module that knows server paths; pages call these functions from
//! `LocalResource`s (keyed on the URL) or `Action`s.
//!
//! - [`ApiRoot`] says where HOMER's `/api/v3` routes are read: the default backend, a named one,
//!   or a share link's public routes.
//! - [`keyed`] loads a resource keyed on the URL, superseding (and aborting) an older load.
//! - [`recorder`] keeps the HOMER requests for the debug panel (found through context).
//! - [`tokens`]: API tokens and the audit log (Settings).
//! - [`fetch`] is the domain's [`crate::domain::fetch::V3Fetch`] over these functions, so the pages
//!   run the loads shared with the command line (`query::run`, `call_load`, `qos::load`, `legs::run`).

pub mod fetch;
mod http;
pub mod keyed;
pub mod recorder;
pub mod tokens;

use thiserror::Error;

use crate::domain::api::{AuthMethods, BackendInfo, CheckReport, LoginRequest, Me};
use crate::domain::fetch::{search_rows_from_text, transaction_from_text};
use crate::domain::homer::{
    AliasList, HomerRow, MappingList, SearchRequest, TransactionRequest, TransactionResponse,
};
use crate::domain::ladder::AliasTable;
use crate::domain::live::LiveQuery;
use crate::domain::percent::percent_encode;
use crate::domain::share::{ShareCreated, ShareInfo, ShareRequest};
pub use http::Alive;
use http::ApiRequest;

/// Why a request failed, in words the UI can show.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum ApiError {
    /// The server could not be reached (or the request was aborted).
    #[error("cannot reach the hepscope server: {0}")]
    Network(String),
    /// No valid session: the UI sends the user to the login page.
    #[error("{0}")]
    Unauthorized(String),
    /// The server answered with an error status.
    #[error("{message} (HTTP {status})")]
    Status { status: u16, message: String },
    /// The request body could not be written.
    #[error("cannot write the request: {0}")]
    Encode(String),
    /// The answer was not what the client expected.
    #[error("unexpected answer from the server: {0}")]
    Decode(String),
}

/// Where a view reads HOMER's `/api/v3` routes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum ApiRoot {
    /// The server's default backend: `/api/v3`.
    #[default]
    Default,
    /// A backend by name: `/api/b/{name}/v3`.
    Backend(String),
    /// A share link's public routes: `/api/shared/{token}/v3`, read without a session.
    Share(String),
}

impl ApiRoot {
    /// The backend named in a URL's `backend` key (empty is the default backend).
    pub fn backend(name: &str) -> Self {
        if name.is_empty() {
            ApiRoot::Default
        } else {
            ApiRoot::Backend(name.to_owned())
        }
    }

    /// The URL of a v3 route under this root.
    fn v3(&self, path: &str) -> String {
        match self {
            ApiRoot::Default => format!("/api/v3/{path}"),
            ApiRoot::Backend(name) => format!("/api/b/{}/v3/{path}", percent_encode(name)),
            ApiRoot::Share(token) => format!("{}/v3/{path}", shared_root(token)),
        }
    }
}

fn shared_root(token: &str) -> String {
    format!("/api/shared/{}", percent_encode(token))
}

// --- Session -------------------------------------------------------------------------------

/// The logged-in user, or `Unauthorized`.
pub async fn me() -> Result<Me, ApiError> {
    ApiRequest::get("/api/me".into()).json().await
}

/// The sign-in methods the login page offers (password form, company sign-in).
pub async fn auth_methods() -> Result<AuthMethods, ApiError> {
    ApiRequest::get("/api/auth/methods".into()).json().await
}

/// Logs in; the server sets the session cookie.
pub async fn login(username: String, password: String) -> Result<Me, ApiError> {
    ApiRequest::post_json("/api/login".into(), &LoginRequest { username, password })?
        .json()
        .await
}

/// Logs out (clears the session cookie).
pub async fn logout() -> Result<(), ApiError> {
    ApiRequest::post("/api/logout".into()).no_content().await
}

// --- Backends ------------------------------------------------------------------------------

/// The backends the server knows.
pub async fn backends() -> Result<Vec<BackendInfo>, ApiError> {
    ApiRequest::get("/api/backends".into()).json().await
}

/// The step-by-step check (DNS, TCP, login, mapping) of one backend (admins only).
pub async fn backend_check(name: &str) -> Result<CheckReport, ApiError> {
    ApiRequest::get(format!("/api/backends/{}/check", percent_encode(name)))
        .json()
        .await
}

// --- HOMER 7 v3 ----------------------------------------------------------------------------

/// `search/call/data`: the rows of one search request.
pub async fn search_call_data(
    root: &ApiRoot,
    request: &SearchRequest,
) -> Result<Vec<HomerRow>, ApiError> {
    let text = ApiRequest::post_json(root.v3("search/call/data"), request)?
        .recorded()
        .text()
        .await?;
    search_rows_from_text(&text).map_err(ApiError::Decode)
}

/// `call/transaction`: every message of some Call-IDs in a window (an empty answer is no message).
pub async fn transaction(
    root: &ApiRoot,
    request: &TransactionRequest,
) -> Result<TransactionResponse, ApiError> {
    let text = ApiRequest::post_json(root.v3("call/transaction"), request)?
        .recorded()
        .text()
        .await?;
    transaction_from_text(&text).map_err(ApiError::Decode)
}

/// `call/report/qos`: the RTCP reports of some Call-IDs, as text (its shapes vary by backend; the
/// domain's `reports_from_qos_body` reads them).
pub async fn qos_reports(root: &ApiRoot, request: &TransactionRequest) -> Result<String, ApiError> {
    ApiRequest::post_json(root.v3("call/report/qos"), request)?
        .recorded()
        .text()
        .await
}

/// `alias`: the backend's host aliases.
pub async fn aliases(root: &ApiRoot) -> Result<AliasList, ApiError> {
    ApiRequest::get(root.v3("alias")).json().await
}

/// The backend's host aliases as the table ladders and call lists name hosts with.
pub async fn alias_table(root: &ApiRoot) -> Result<AliasTable, ApiError> {
    aliases(root).await.map(|list| AliasTable::from_list(&list))
}

/// `mapping/protocol`: the backend's field mapping, for fields outside HOMER 7's default one.
pub async fn mapping(root: &ApiRoot) -> Result<MappingList, ApiError> {
    ApiRequest::get(root.v3("mapping/protocol")).json().await
}

/// What the call view exports through the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Export {
    /// `export/call/messages/pcap`.
    Pcap,
    /// `export/call/messages/text`.
    Text,
}

/// An export of the messages `transaction_body` (a `call/transaction` request, as JSON) selects:
/// the file's bytes and the server's file name (empty if it gave none).
pub async fn export(
    root: &ApiRoot,
    kind: Export,
    transaction_body: String,
) -> Result<(Vec<u8>, String), ApiError> {
    let path = match kind {
        Export::Pcap => "export/call/messages/pcap",
        Export::Text => "export/call/messages/text",
    };
    ApiRequest::post_text(root.v3(path), transaction_body)
        .file()
        .await
}

// --- Live ----------------------------------------------------------------------------------

/// The live stream's WebSocket address on the page's own origin (the session cookie authenticates it).
pub fn live_stream_url(query: &LiveQuery) -> String {
    let (protocol, host) = web_sys::window()
        .map(|w| w.location())
        .map(|l| {
            (
                l.protocol().unwrap_or_default(),
                l.host().unwrap_or_default(),
            )
        })
        .unwrap_or_default();
    query.ws_url(&protocol, &host)
}

// --- Shares --------------------------------------------------------------------------------

/// Creates a share link (`POST /api/shares`).
pub async fn share_create(request: &ShareRequest) -> Result<ShareCreated, ApiError> {
    ApiRequest::post_json("/api/shares".into(), request)?
        .json()
        .await
}

/// The share links the user may see: all for admins, their own for others.
pub async fn shares_list() -> Result<Vec<ShareInfo>, ApiError> {
    ApiRequest::get("/api/shares".into()).json().await
}

/// Revokes a share link.
pub async fn share_revoke(id: &str) -> Result<(), ApiError> {
    ApiRequest::delete(format!("/api/shares/{}", percent_encode(id)))
        .no_content()
        .await
}

/// What a share link shows, without a session; a refused link is a `Status` error whose message is
/// the refusal (`expired`, `revoked`, `invalid`).
pub async fn shared_info(token: &str) -> Result<ShareInfo, ApiError> {
    ApiRequest::get(shared_root(token)).json().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_name_their_v3_routes() {
        assert_eq!(ApiRoot::backend("").v3("alias"), "/api/v3/alias");
        assert_eq!(
            ApiRoot::backend("lab 2").v3("alias"),
            "/api/b/lab%202/v3/alias"
        );
        assert_eq!(
            ApiRoot::Share("a/b".into()).v3("call/transaction"),
            "/api/shared/a%2Fb/v3/call/transaction"
        );
    }
}
