//! API tokens (`/api/auth/tokens`) and the audit log (`/api/audit`) as the Settings page reads
//! them: one function per route, over the server's own wire types (`hepscope_core::access`).

use crate::domain::percent::percent_encode;

use super::http::ApiRequest;
use super::ApiError;

pub use crate::domain::access::{AuditRecord, TokenCreated, TokenInfo, TokenRequest};

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
