//! Stream tickets: `POST /api/stream-ticket` gives a logged-in user a token good for
//! [`TICKET_TTL`] and for `?access_token=` on `GET /api/v4/stream/hep` only. A WebSocket client that
//! cannot send a cookie or header puts it in the URL, where proxies log it; so it must not be the session
//! token, and what leaks expires within a minute. A stream opened with a ticket lives as long as the
//! session the ticket came from.

use std::time::Duration;

use app::domain::api::StreamTicket;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::{token_from_headers, unix_now, AuthState, Claims, Session};
use crate::error::AppError;

/// The `purpose` claim of a stream ticket.
pub const STREAM_PURPOSE: &str = "stream";
/// How long a ticket may be used to open a stream.
pub const TICKET_TTL: Duration = Duration::from_secs(30);

impl AuthState {
    /// A stream ticket for the session behind `session_claims`.
    ///
    /// # Errors
    /// Signing failed.
    pub fn issue_ticket(&self, session_claims: &Claims) -> Result<(String, Claims), AppError> {
        let now = unix_now();
        let ttl = i64::try_from(TICKET_TTL.as_secs()).unwrap_or(30);
        let claims = Claims {
            iat: now,
            exp: now.saturating_add(ttl).min(session_claims.exp),
            purpose: Some(STREAM_PURPOSE.to_string()),
            session_exp: Some(session_claims.exp),
            ..session_claims.clone()
        };
        Ok((self.sign(&claims)?, claims))
    }

    /// Verifies a stream ticket: signature, expiry, purpose, a lifetime of at most [`TICKET_TTL`], and
    /// the session it came from still current. Session tokens are refused.
    pub fn verify_ticket(&self, token: &str) -> Option<(Session, Claims)> {
        let claims = self.decode(token)?;
        let ttl = i64::try_from(TICKET_TTL.as_secs()).unwrap_or(30);
        if claims.purpose.as_deref() != Some(STREAM_PURPOSE)
            || claims.exp.saturating_sub(claims.iat) > ttl
        {
            return None;
        }
        let session = self.current(&claims)?;
        Some((session, claims))
    }
}

/// `POST /api/stream-ticket` (behind the session check).
#[utoipa::path(
    post,
    path = "/api/stream-ticket",
    tag = "auth",
    security(("session_cookie" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "A short-lived ticket for `GET /api/v4/stream/hep?access_token=`", body = app::domain::api::StreamTicket),
        (status = 401, description = "No valid session", body = app::domain::api::ErrorBody),
    )
)]
pub async fn stream_ticket(State(auth): State<AuthState>, headers: HeaderMap) -> Response {
    let Some((_, claims)) = token_from_headers(&headers).and_then(|t| auth.verify_claims(&t))
    else {
        return AppError::Unauthorized.into_response();
    };
    match auth.issue_ticket(&claims) {
        Ok((ticket, claims)) => super::no_store(
            Json(StreamTicket {
                ticket,
                expires_at: claims.exp,
            })
            .into_response(),
        ),
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use app::domain::api::Role;

    use crate::auth::tests::state;

    #[test]
    fn a_ticket_is_not_a_session_and_a_session_is_not_a_ticket() {
        let auth = state();
        let (session_token, claims) = auth.issue("alice", Role::Viewer).unwrap();
        let (ticket, ticket_claims) = auth.issue_ticket(&claims).unwrap();
        assert!(ticket_claims.exp - ticket_claims.iat <= 30);
        let (session, _) = auth.verify_ticket(&ticket).unwrap();
        assert_eq!(session.username, "alice");
        assert_eq!(
            session.expires_at, claims.exp,
            "the stream lives as long as the session"
        );
        assert!(
            auth.verify(&ticket).is_none(),
            "a ticket never passes as a session"
        );
        assert!(auth.verify_ticket(&session_token).is_none());
    }

    #[test]
    fn a_revoked_session_takes_its_tickets_along() {
        let auth = state();
        let (_, claims) = auth.issue("alice", Role::Viewer).unwrap();
        let (ticket, _) = auth.issue_ticket(&claims).unwrap();
        auth.inner.generations.bump("alice").unwrap();
        assert!(auth.verify_ticket(&ticket).is_none());
    }
}
