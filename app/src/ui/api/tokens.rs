//! API tokens (`/api/auth/tokens`) and the audit log (`/api/audit`) as the Settings page reads
//! them: the shapes of the server's answers (`server/src/auth/tokens.rs`, the audit route) and one
//! function per route.

use serde::{Deserialize, Serialize};

use crate::domain::api::Right;
use crate::domain::percent::percent_encode;

use super::http::ApiRequest;
use super::ApiError;

/// A token as `GET /api/auth/tokens` lists it.
#[derive(Clone, Debug, Deserialize)]
pub struct TokenInfo {
    pub id: String,
    pub name: String,
    pub user: String,
    pub rights: Vec<Right>,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

/// `POST /api/auth/tokens` body.
#[derive(Clone, Debug, Serialize)]
pub struct TokenRequest {
    pub name: String,
    pub rights: Vec<Right>,
    /// A duration such as `90d`.
    pub expires_in: String,
}

/// `POST /api/auth/tokens` answer (the only time the secret is shown).
#[derive(Clone, Debug, Deserialize)]
pub struct TokenCreated {
    pub token: String,
}

/// One audit record of `GET /api/audit`.
#[derive(Clone, Debug, Deserialize)]
pub struct AuditRecord {
    /// Milliseconds since the epoch.
    pub time: i64,
    pub user: String,
    pub client: String,
    pub action: String,
    pub object: String,
    pub outcome: String,
}

/// The tokens the user may see.
pub async fn tokens_list() -> Result<Vec<TokenInfo>, ApiError> {
    ApiRequest::get("/api/auth/tokens".into()).json().await
}

/// Creates a token.
pub async fn token_create(request: &TokenRequest) -> Result<TokenCreated, ApiError> {
    ApiRequest::post_json("/api/auth/tokens".into(), request)?
        .json()
        .await
}

/// Revokes a token.
pub async fn token_revoke(id: &str) -> Result<(), ApiError> {
    ApiRequest::delete(format!("/api/auth/tokens/{}", percent_encode(id)))
        .no_content()
        .await
}

/// The audit filter's query string (`user`, `action`, a row limit), shared by the list and the CSV.
pub fn audit_query(user: &str, action: &str) -> String {
    format!(
        "user={}&action={}&limit=500",
        percent_encode(user),
        percent_encode(action)
    )
}

/// The audit records matching `query` (from [`audit_query`]).
pub async fn audit(query: &str) -> Result<Vec<AuditRecord>, ApiError> {
    ApiRequest::get(format!("/api/audit?{query}")).json().await
}

/// Where the browser downloads the same records as CSV.
pub fn audit_csv_url(query: &str) -> String {
    format!("/api/audit.csv?{query}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_query_encodes_the_filters() {
        let q = audit_query("a b", "sign_in");
        assert_eq!(q, "user=a%20b&action=sign_in&limit=500");
        assert_eq!(
            audit_csv_url(&q),
            "/api/audit.csv?user=a%20b&action=sign_in&limit=500"
        );
    }
}
