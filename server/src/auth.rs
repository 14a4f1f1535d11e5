//! Login, logout and sessions: an HS256 JWT in an HttpOnly, SameSite=Lax cookie.
//!
//! A request is authenticated by the cookie, or by `Authorization: Bearer <token>` for tools.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use app::domain::api::{LoginRequest, Me, Role};
use axum::extract::{ConnectInfo, FromRef, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::error::{json_error, AppError};
use crate::ratelimit::LoginLimiter;
use crate::users::Users;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "hepscope_session";

/// JWT claims of a session.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The user name.
    pub sub: String,
    pub role: Role,
    /// Expiry, seconds since the Unix epoch.
    pub exp: i64,
    /// Issued at, seconds since the Unix epoch.
    pub iat: i64,
}

/// Everything the login and session code needs; cheap to clone.
#[derive(Clone)]
pub struct AuthState {
    inner: Arc<AuthInner>,
}

struct AuthInner {
    encoding: EncodingKey,
    decoding: DecodingKey,
    users: Users,
    limiter: LoginLimiter,
    session_ttl: Duration,
    cookie_secure: bool,
}

impl AuthState {
    /// Builds the auth state from the signing key and the user list.
    pub fn new(
        key: &[u8],
        users: Users,
        session_ttl: Duration,
        cookie_secure: bool,
        limiter: LoginLimiter,
    ) -> Self {
        Self {
            inner: Arc::new(AuthInner {
                encoding: EncodingKey::from_secret(key),
                decoding: DecodingKey::from_secret(key),
                users,
                limiter,
                session_ttl,
                cookie_secure,
            }),
        }
    }

    /// Signs a session token for `username`.
    ///
    /// # Errors
    /// Signing failed (it cannot with an HMAC key, but the library returns a `Result`).
    pub fn issue(&self, username: &str, role: Role) -> Result<(String, Claims), AppError> {
        let now = unix_now();
        let ttl = i64::try_from(self.inner.session_ttl.as_secs()).unwrap_or(i64::MAX / 2);
        let claims = Claims {
            sub: username.to_string(),
            role,
            iat: now,
            exp: now.saturating_add(ttl),
        };
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.inner.encoding,
        )
        .map_err(|e| AppError::Internal(anyhow::anyhow!("signing a session token: {e}")))?;
        Ok((token, claims))
    }

    /// Verifies a token's signature and expiry, and that its user still exists.
    pub fn verify(&self, token: &str) -> Option<Session> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        let data = jsonwebtoken::decode::<Claims>(token, &self.inner.decoding, &validation).ok()?;
        let user = self.inner.users.get(&data.claims.sub)?;
        Some(Session {
            username: user.username.clone(),
            role: user.role,
            expires_at: data.claims.exp,
            may_share: user.may_share(),
        })
    }

    fn cookie(&self, token: &str, max_age: u64) -> String {
        let secure = if self.inner.cookie_secure {
            "; Secure"
        } else {
            ""
        };
        format!(
            "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
        )
    }
}

/// An authenticated request's user. Extracting it fails with 401 JSON when there is no valid session.
#[derive(Clone, Debug)]
pub struct Session {
    pub username: String,
    pub role: Role,
    pub expires_at: i64,
    /// May create share links ([`crate::users::User::may_share`]).
    pub may_share: bool,
}

impl Session {
    /// True for admins.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// The session token carried by a request: the cookie, else a bearer header.
pub fn token_from_headers(headers: &HeaderMap) -> Option<String> {
    for value in headers.get_all(header::COOKIE) {
        let Ok(text) = value.to_str() else { continue };
        for pair in text.split(';') {
            if let Some((name, value)) = pair.trim().split_once('=') {
                if name == SESSION_COOKIE && !value.is_empty() {
                    return Some(value.to_string());
                }
            }
        }
    }
    let auth = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = auth.strip_prefix("Bearer ")?.trim();
    (!token.is_empty()).then(|| token.to_string())
}

impl<S> FromRequestParts<S> for Session
where
    AuthState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(session) = parts.extensions.get::<Session>() {
            return Ok(session.clone());
        }
        let auth = AuthState::from_ref(state);
        token_from_headers(&parts.headers)
            .and_then(|t| auth.verify(&t))
            .ok_or(AppError::Unauthorized)
    }
}

/// Middleware: every request below it needs a session (401 JSON otherwise); the session is stored in the
/// request's extensions for handlers.
pub async fn require_session(
    State(auth): State<AuthState>,
    mut request: Request,
    next: Next,
) -> Response {
    match token_from_headers(request.headers()).and_then(|t| auth.verify(&t)) {
        Some(session) => {
            let user = crate::telemetry::RequestUser(session.username.clone());
            request.extensions_mut().insert(session);
            let mut response = next.run(request).await;
            response.extensions_mut().insert(user);
            response
        }
        None => json_error(StatusCode::UNAUTHORIZED, "not logged in"),
    }
}

/// `POST /api/login`: checks the password, sets the session cookie, answers [`Me`].
pub async fn login(
    State(auth): State<AuthState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Result<Json<LoginRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, AppError> {
    let Json(request) = body.map_err(|e| {
        AppError::BadRequest(format!(
            "expected {{\"username\", \"password\"}}: {}",
            e.body_text()
        ))
    })?;
    let keys = vec![
        format!("ip:{}", peer.ip()),
        format!("user:{}", request.username),
    ];
    let now = Instant::now();
    auth.inner
        .limiter
        .check(&keys, now)
        .map_err(AppError::TooManyAttempts)?;

    let checker = auth.clone();
    let (username, password) = (request.username.clone(), request.password);
    let user = tokio::task::spawn_blocking(move || {
        checker
            .inner
            .users
            .authenticate(&username, &password)
            .map(|u| (u.username.clone(), u.role, u.may_share()))
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("password check task: {e}")))?;

    let Some((username, role, may_share)) = user else {
        auth.inner.limiter.record_failure(&keys, now);
        metrics::counter!("hepscope_logins_total", "result" => "failure").increment(1);
        tracing::info!(user = %request.username, peer = %peer.ip(), "login failed");
        return Err(AppError::LoginFailed("wrong user name or password".into()));
    };
    auth.inner.limiter.clear(&format!("user:{username}"));
    metrics::counter!("hepscope_logins_total", "result" => "success").increment(1);
    tracing::info!(user = %username, peer = %peer.ip(), "login");
    let (token, claims) = auth.issue(&username, role)?;
    let cookie = auth.cookie(&token, auth.inner.session_ttl.as_secs());
    let me = Me {
        username,
        role,
        expires_at: claims.exp,
        may_share,
    };
    Ok(with_cookie(Json(me).into_response(), &cookie))
}

/// `POST /api/logout`: clears the cookie. Works with or without a session.
pub async fn logout(State(auth): State<AuthState>) -> Response {
    let cookie = auth.cookie("", 0);
    with_cookie(StatusCode::NO_CONTENT.into_response(), &cookie)
}

/// `GET /api/me`: the logged-in user.
pub async fn me(session: Session) -> Json<Me> {
    Json(Me {
        username: session.username,
        role: session.role,
        expires_at: session.expires_at,
        may_share: session.may_share,
    })
}

fn with_cookie(mut response: Response, cookie: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::users::{hash_password, User};

    fn state() -> AuthState {
        let users = Users::from_list(vec![User {
            username: "alice".into(),
            password_hash: hash_password("pw").unwrap(),
            role: Role::Viewer,
            share: false,
        }]);
        AuthState::new(
            b"0123456789abcdef0123456789abcdef",
            users,
            Duration::from_secs(60),
            false,
            LoginLimiter::new(5, Duration::from_secs(60)),
        )
    }

    #[test]
    fn issued_token_verifies_and_tampered_one_does_not() {
        let auth = state();
        let (token, _) = auth.issue("alice", Role::Viewer).unwrap();
        let session = auth.verify(&token).unwrap();
        assert_eq!(session.username, "alice");
        let mut tampered = token.clone();
        tampered.push('x');
        assert!(auth.verify(&tampered).is_none());
    }

    #[test]
    fn token_for_a_removed_user_is_refused() {
        let auth = state();
        let (token, _) = auth.issue("mallory", Role::Admin).unwrap();
        assert!(auth.verify(&token).is_none());
    }

    #[test]
    fn cookie_or_bearer_carries_the_token() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=b; hepscope_session=tok; c=d"),
        );
        assert_eq!(token_from_headers(&headers).as_deref(), Some("tok"));
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer xyz"),
        );
        assert_eq!(token_from_headers(&headers).as_deref(), Some("xyz"));
    }
}
