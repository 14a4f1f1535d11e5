//! Login, logout and sessions: an HS256 JWT in an HttpOnly, SameSite=Lax cookie.
//!
//! A request is authenticated by the cookie, or by `Authorization: Bearer <token>` for tools. A token
//! is valid while it has not expired, its user still exists with the password hash it was issued under,
//! and the user's session generation ([`generations`]) has not moved on (logout, password change).
//!
//! - [`login`]: `POST /api/login`, `POST /api/logout`, `POST /api/account/password`, with the limits
//!   that keep a burst of wrong passwords cheap.
//! - [`ticket`]: short-lived stream tickets for `?access_token=` on the live stream's WebSocket.

pub mod external;
pub mod generations;
pub mod hash_pool;
pub mod ldap;
pub mod login;
pub mod oidc;
pub mod ticket;
pub mod tokens;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use app::domain::api::{Me, Role};
use axum::extract::{FromRef, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use axum::Json;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::auth_config::AuthConfig;
use crate::error::{json_error, AppError};
use crate::ratelimit::LoginLimiter;
pub use crate::rights::{Grant, IdentitySource, Right, Rights, RoleMap};
use crate::users::Users;
pub use generations::Generations;
pub use login::{change_password, login, logout};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "hepscope_session";

/// JWT claims of a session (and, with `purpose`, of a stream ticket).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The user name.
    pub sub: String,
    pub role: Role,
    /// Expiry, seconds since the Unix epoch.
    pub exp: i64,
    /// Issued at, seconds since the Unix epoch.
    pub iat: i64,
    /// The user's session generation when issued ([`Generations`]).
    #[serde(default)]
    pub generation: u64,
    /// A keyed fingerprint of the user's password hash when issued: a changed password ends the token.
    #[serde(default)]
    pub pwf: String,
    /// Set on stream tickets only ([`ticket::STREAM_PURPOSE`]); a token with a purpose is never a session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// On a stream ticket: when the session it was taken from expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_exp: Option<i64>,
    /// Where the user signed in. Local users' rights are re-read from the config on each request.
    #[serde(default)]
    pub src: IdentitySource,
    /// An external (LDAP, OIDC) user's rights when they signed in; `None` for local users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rights: Option<Rights>,
}

/// Login and session tunables, from `[auth]`.
#[derive(Clone, Debug)]
pub struct AuthOptions {
    pub session_ttl: Duration,
    pub cookie_secure: bool,
    /// Failed logins allowed per (client address, user name) in `lockout_window`.
    pub max_failed_logins: u32,
    pub lockout_window: Duration,
    /// Password hashes that may run at once ([`default_hash_permits`]).
    pub hash_permits: usize,
    /// How long a login waits for a hashing slot before a 503.
    pub hash_wait: Duration,
    /// `[auth] local`: the password form checks hepscope's own users.
    pub local: bool,
    /// `[auth.ldap]`: the password form also checks the directory.
    pub ldap: Option<ldap::Directory>,
    /// `[auth.oidc]`: the "Sign in with …" button.
    pub oidc: Option<oidc::Oidc>,
    /// `[[auth.role_map]]`: what LDAP and OIDC users get by group.
    pub role_map: RoleMap,
}

impl Default for AuthOptions {
    fn default() -> Self {
        Self {
            session_ttl: Duration::from_secs(12 * 3600),
            cookie_secure: false,
            max_failed_logins: 5,
            lockout_window: Duration::from_secs(60),
            hash_permits: default_hash_permits(),
            hash_wait: Duration::from_secs(2),
            local: true,
            ldap: None,
            oidc: None,
            role_map: RoleMap::default(),
        }
    }
}

impl AuthOptions {
    /// The options `[auth]` sets, with the built-in hashing limits.
    ///
    /// # Errors
    /// The OIDC provider's HTTP client cannot be built.
    pub fn from_config(config: &AuthConfig) -> Result<Self, reqwest::Error> {
        Ok(Self {
            session_ttl: config.session_ttl,
            cookie_secure: config.cookie_secure,
            max_failed_logins: config.max_failed_logins,
            lockout_window: config.lockout_window,
            local: config.local,
            ldap: config.ldap.clone().map(ldap::Directory::new),
            oidc: config.oidc.clone().map(oidc::Oidc::new).transpose()?,
            role_map: config.role_map.clone(),
            ..Self::default()
        })
    }
}

/// Two password hashes per core: argon2 takes about 19 MB each, so a burst stays under ~100 MB on
/// small machines.
pub fn default_hash_permits() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get() * 2)
}

/// Everything the login and session code needs; cheap to clone.
#[derive(Clone)]
pub struct AuthState {
    inner: Arc<AuthInner>,
}

struct AuthInner {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// Keys the password-hash fingerprint (so a token reveals nothing about the hash).
    fingerprint_key: Vec<u8>,
    users: Users,
    generations: Generations,
    limiter: LoginLimiter,
    /// One permit per hashing thread: a login holds one while its hash is queued or running.
    hashing: Arc<Semaphore>,
    hash_pool: hash_pool::HashPool,
    options: AuthOptions,
    /// API tokens (`hst_…`).
    tokens: tokens::ApiTokens,
}

impl AuthState {
    /// Builds the auth state from the signing key, the users and their session generations.
    pub fn new(key: &[u8], users: Users, generations: Generations, options: AuthOptions) -> Self {
        Self {
            inner: Arc::new(AuthInner {
                encoding: EncodingKey::from_secret(key),
                decoding: DecodingKey::from_secret(key),
                fingerprint_key: key.to_vec(),
                users,
                generations,
                limiter: LoginLimiter::new(options.max_failed_logins, options.lockout_window),
                hashing: Arc::new(Semaphore::new(options.hash_permits.max(1))),
                hash_pool: hash_pool::HashPool::new(options.hash_permits.max(1)),
                options,
                tokens: tokens::ApiTokens::default(),
            }),
        }
    }

    /// Signs a session token for `username` under the user's current generation and password.
    ///
    /// # Errors
    /// Signing failed (it cannot with an HMAC key, but the library returns a `Result`).
    pub fn issue(&self, username: &str, role: Role) -> Result<(String, Claims), AppError> {
        let now = unix_now();
        let ttl = i64::try_from(self.inner.options.session_ttl.as_secs()).unwrap_or(i64::MAX / 2);
        let claims = Claims {
            sub: username.to_string(),
            role,
            iat: now,
            exp: now.saturating_add(ttl),
            generation: self.inner.generations.get(username),
            pwf: self.password_fingerprint(username).unwrap_or_default(),
            purpose: None,
            session_exp: None,
            src: IdentitySource::Local,
            rights: None,
        };
        Ok((self.sign(&claims)?, claims))
    }

    /// Signs a session token for a user checked by a directory (`source` LDAP or OIDC) with the
    /// role and rights `[[auth.role_map]]` granted them. The rights travel in the token and hold
    /// until it expires or the user logs out (every session of theirs ends); the next sign-in
    /// re-reads them.
    ///
    /// # Errors
    /// `source` is [`IdentitySource::Local`] (local users go through [`Self::issue`]), or signing
    /// failed.
    pub fn issue_external(
        &self,
        username: &str,
        source: IdentitySource,
        grant: &Grant,
    ) -> Result<(String, Claims), AppError> {
        if source == IdentitySource::Local {
            return Err(AppError::Internal(anyhow::anyhow!(
                "issue_external is for directory users; local users use issue"
            )));
        }
        let now = unix_now();
        let ttl = i64::try_from(self.inner.options.session_ttl.as_secs()).unwrap_or(i64::MAX / 2);
        let claims = Claims {
            sub: username.to_string(),
            role: grant.role,
            iat: now,
            exp: now.saturating_add(ttl),
            generation: self.inner.generations.get(username),
            pwf: String::new(),
            purpose: None,
            session_exp: None,
            src: source,
            rights: Some(grant.rights.clone()),
        };
        Ok((self.sign(&claims)?, claims))
    }

    /// The session cookie (`Set-Cookie` value) carrying `token`, for the session's lifetime: what a
    /// directory sign-in answers with after [`Self::issue_external`].
    pub fn session_cookie_for(&self, token: &str) -> String {
        self.cookie(token, self.inner.options.session_ttl.as_secs())
    }

    fn sign(&self, claims: &Claims) -> Result<String, AppError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.inner.encoding)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("signing a token: {e}")))
    }

    /// Verifies a session token: signature, expiry, no purpose, and still current ([`Self::current`]).
    pub fn verify(&self, token: &str) -> Option<Session> {
        if token.starts_with(tokens::TOKEN_PREFIX) {
            return self.verify_api_token(token);
        }
        self.verify_claims(token).map(|(session, _)| session)
    }

    /// [`Self::verify`], also returning the claims (to watch the session or derive a ticket).
    pub fn verify_claims(&self, token: &str) -> Option<(Session, Claims)> {
        if token.starts_with(tokens::TOKEN_PREFIX) {
            // An API token: claims standing for it, so a live stream or ticket keeps its rights.
            let session = self.verify_api_token(token)?;
            let claims = Claims {
                sub: session.username.clone(),
                role: session.role,
                exp: session.expires_at,
                iat: unix_now(),
                generation: self.inner.generations.get(&session.username),
                pwf: self
                    .password_fingerprint(&session.username)
                    .unwrap_or_default(),
                purpose: None,
                session_exp: None,
                src: session.source,
                rights: Some(session.rights.clone()),
            };
            return Some((session, claims));
        }
        let claims = self.decode(token)?;
        if claims.purpose.is_some() {
            return None;
        }
        let session = self.current(&claims)?;
        Some((session, claims))
    }

    fn decode(&self, token: &str) -> Option<Claims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        jsonwebtoken::decode::<Claims>(token, &self.inner.decoding, &validation)
            .ok()
            .map(|data| data.claims)
    }

    /// The session `claims` stand for, when their user still exists with the same password hash and
    /// session generation.
    fn current(&self, claims: &Claims) -> Option<Session> {
        if claims.src != IdentitySource::Local {
            // A directory user: no local password; the generation still ends it (logout).
            if claims.generation != self.inner.generations.get(&claims.sub) {
                return None;
            }
            return Some(Session {
                username: claims.sub.clone(),
                role: claims.role,
                expires_at: claims.session_exp.unwrap_or(claims.exp),
                rights: claims.rights.clone().unwrap_or_default(),
                source: claims.src,
            });
        }
        let user = self.inner.users.get(&claims.sub)?;
        // Claims that carry rights (from an API token) never exceed the user's current ones.
        let rights = match &claims.rights {
            Some(granted) => granted.intersection(&user.rights()),
            None => user.rights(),
        };
        if claims.generation != self.inner.generations.get(&user.username)
            || claims.pwf != fingerprint(&self.inner.fingerprint_key, &user.password_hash)
        {
            return None;
        }
        Some(Session {
            username: user.username.clone(),
            role: user.role,
            expires_at: claims.session_exp.unwrap_or(claims.exp),
            rights,
            source: IdentitySource::Local,
        })
    }

    /// Resolves when the session behind `claims` expires or is revoked: for an open live stream, which
    /// outlives the request that authenticated it.
    pub fn session_end(
        &self,
        claims: Claims,
    ) -> impl std::future::Future<Output = ()> + Send + 'static {
        let auth = self.clone();
        let mut revocations = self.inner.generations.subscribe();
        async move {
            let deadline = claims.session_exp.unwrap_or(claims.exp);
            let left = u64::try_from(deadline.saturating_sub(unix_now())).unwrap_or(0);
            let expiry = tokio::time::sleep(Duration::from_secs(left));
            tokio::pin!(expiry);
            loop {
                tokio::select! {
                    () = &mut expiry => return,
                    changed = revocations.changed() => {
                        if changed.is_err() {
                            // No more revocations can come; only expiry is left.
                            (&mut expiry).await;
                            return;
                        }
                        if auth.current(&claims).is_none() {
                            return;
                        }
                    }
                }
            }
        }
    }

    fn password_fingerprint(&self, username: &str) -> Option<String> {
        let user = self.inner.users.get(username)?;
        Some(fingerprint(
            &self.inner.fingerprint_key,
            &user.password_hash,
        ))
    }

    /// Ends every session of `username` (logout, password change).
    async fn revoke(&self, username: &str) -> Result<(), AppError> {
        let auth = self.clone();
        let name = username.to_string();
        tokio::task::spawn_blocking(move || auth.inner.generations.bump(&name))
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("session generation task: {e}")))?
            .map_err(|e| AppError::Internal(anyhow::anyhow!("ending sessions: {e}")))
    }

    fn cookie(&self, token: &str, max_age: u64) -> String {
        let secure = if self.inner.options.cookie_secure {
            "; Secure"
        } else {
            ""
        };
        format!(
            "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
        )
    }

    /// A fresh session cookie for the local `user`, and the [`Me`] to answer with.
    fn start_session(&self, user: &crate::users::User) -> Result<(String, Me), AppError> {
        let (token, claims) = self.issue(&user.username, user.role)?;
        let cookie = self.cookie(&token, self.inner.options.session_ttl.as_secs());
        let session = Session {
            username: user.username.clone(),
            role: user.role,
            expires_at: claims.exp,
            rights: user.rights(),
            source: IdentitySource::Local,
        };
        Ok((cookie, session.me()))
    }
}

/// 16 hex digits of SHA-256(key ‖ hash).
fn fingerprint(key: &[u8], password_hash: &str) -> String {
    let digest = Sha256::new()
        .chain_update(key)
        .chain_update(password_hash.as_bytes())
        .finalize();
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// An authenticated request's user. Extracting it fails with 401 JSON when there is no valid session.
#[derive(Clone, Debug)]
pub struct Session {
    pub username: String,
    pub role: Role,
    pub expires_at: i64,
    /// What this request may do (a local user's from the current config; a directory user's from
    /// their sign-in; an API token's own).
    pub rights: Rights,
    /// Where the user signed in.
    pub source: IdentitySource,
}

impl crate::audit::Actor for Session {
    fn audit_name(&self) -> &str {
        &self.username
    }
}

impl Session {
    /// A local user's session with the role's default rights (tools and tests that mount routes
    /// without the login in front).
    pub fn local(username: &str, role: Role) -> Session {
        Session {
            username: username.to_string(),
            role,
            expires_at: i64::MAX,
            rights: Rights::for_role(role),
            source: IdentitySource::Local,
        }
    }

    /// True with the `admin` right.
    pub fn is_admin(&self) -> bool {
        self.has(Right::Admin)
    }

    /// True when the session holds `right`.
    pub fn has(&self, right: Right) -> bool {
        self.rights.has(right)
    }

    /// The one check every handler uses: `session.require(Right::Export)?`.
    ///
    /// # Errors
    /// [`AppError::MissingRight`] (403 naming the right) without it.
    pub fn require(&self, right: Right) -> Result<(), AppError> {
        if self.has(right) {
            Ok(())
        } else {
            Err(AppError::MissingRight(right))
        }
    }

    /// The session as `GET /api/me` answers it.
    pub fn me(&self) -> Me {
        Me {
            username: self.username.clone(),
            role: self.role,
            expires_at: self.expires_at,
            may_share: self.has(Right::Share),
            rights: self.rights.to_vec(),
        }
    }
}

/// The session token carried by a request: the cookie, else a bearer header.
pub fn token_from_headers(headers: &HeaderMap) -> Option<String> {
    session_cookie(headers).or_else(|| bearer_token(headers))
}

/// The `Authorization: Bearer …` token alone (the one parser of that header).
pub fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let auth = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = auth.strip_prefix("Bearer ")?.trim();
    (!token.is_empty()).then(|| token.to_string())
}

/// The session cookie's value, if the request carries one (a browser adds it by itself, even to
/// a link from another site).
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    cookie_value(headers, SESSION_COOKIE)
}

/// The value of the cookie `name`, if the request carries a non-empty one.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    for value in headers.get_all(header::COOKIE) {
        let Ok(text) = value.to_str() else { continue };
        for pair in text.split(';') {
            if let Some((key, value)) = pair.trim().split_once('=') {
                if key == name && !value.is_empty() {
                    return Some(value.to_string());
                }
            }
        }
    }
    None
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
    let token = token_from_headers(request.headers());
    let verified = token.as_deref().and_then(|t| auth.verify(t));
    if verified.is_none() && token.is_some_and(|t| t.starts_with(tokens::TOKEN_PREFIX)) {
        // A refused API token is a failed sign-in (method "token"); accepted ones are not recorded
        // per request, their last use is kept on the token.
        if let Some(log) = request.extensions().get::<crate::audit::AuditLog>() {
            let client = request
                .extensions()
                .get::<crate::client_addr::ClientAddr>()
                .copied();
            log.record(crate::audit::entry(
                "",
                client,
                crate::audit::Action::SignIn,
                "token",
                crate::audit::Outcome::Failure,
            ));
        }
    }
    let session = match verified {
        Some(session) => auth.refresh_directory_grant(session).await,
        None => None,
    };
    match session {
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

/// `GET /api/me`: the logged-in user.
#[utoipa::path(
    get,
    path = "/api/me",
    tag = "auth",
    security(("session_cookie" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The session's user", body = app::domain::api::Me),
        (status = 401, description = "No valid session", body = app::domain::api::ErrorBody),
    )
)]
pub async fn me(session: Session) -> Json<Me> {
    Json(session.me())
}

fn with_cookie(mut response: Response, cookie: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    no_store(response)
}

/// Answers carrying credentials must not be cached.
fn no_store(mut response: Response) -> Response {
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
pub(crate) mod tests {
    use super::*;
    use crate::users::{hash_password, User};

    /// An auth state with one viewer, `alice` (password `pw`), for the auth modules' tests.
    pub(crate) fn state() -> AuthState {
        let users = Users::from_list(vec![User {
            username: "alice".into(),
            password_hash: hash_password("pw").unwrap(),
            role: Role::Viewer,
            share: false,
            rights: None,
        }]);
        AuthState::new(
            b"0123456789abcdef0123456789abcdef",
            users,
            Generations::in_memory(),
            AuthOptions::default(),
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
    fn an_external_session_carries_its_source_and_rights_until_logout() {
        let auth = state();
        let grant = Grant {
            role: Role::Viewer,
            rights: Rights::new([Right::Export]),
        };
        let (token, claims) = auth
            .issue_external("carol", IdentitySource::Ldap, &grant)
            .unwrap();
        assert_eq!(claims.src, IdentitySource::Ldap);
        let session = auth.verify(&token).expect("no local user needed");
        assert_eq!(session.source, IdentitySource::Ldap);
        assert!(session.has(Right::Export) && session.has(Right::Search));
        assert!(!session.has(Right::Raw));
        assert!(matches!(
            session.require(Right::Raw),
            Err(AppError::MissingRight(Right::Raw))
        ));
        assert!(auth
            .issue_external("carol", IdentitySource::Local, &grant)
            .is_err());
        auth.inner.generations.bump("carol").unwrap();
        assert!(auth.verify(&token).is_none(), "logout ends it");
    }

    #[test]
    fn a_local_users_rights_come_from_the_current_config() {
        let auth = state();
        let (token, _) = auth.issue("alice", Role::Viewer).unwrap();
        let session = auth.verify(&token).unwrap();
        assert_eq!(session.rights, Rights::for_role(Role::Viewer));
        assert!(!session.has(Right::Share));
        // The same token, after the config gives alice rights = ["sql"] and share = true.
        let mut alice = auth.inner.users.get("alice").unwrap();
        alice.rights = Some(Rights::new([Right::Sql]));
        alice.share = true;
        let changed = AuthState::new(
            b"0123456789abcdef0123456789abcdef",
            Users::from_list(vec![alice]),
            Generations::in_memory(),
            AuthOptions::default(),
        );
        let session = changed.verify(&token).unwrap();
        assert_eq!(
            session.rights.to_vec(),
            vec![Right::Search, Right::Share, Right::Sql]
        );
    }

    #[test]
    fn token_for_a_removed_user_is_refused() {
        let auth = state();
        let (token, _) = auth.issue("mallory", Role::Admin).unwrap();
        assert!(auth.verify(&token).is_none());
    }

    #[test]
    fn a_bumped_generation_ends_the_users_tokens() {
        let auth = state();
        let (token, _) = auth.issue("alice", Role::Viewer).unwrap();
        auth.inner.generations.bump("alice").unwrap();
        assert!(auth.verify(&token).is_none());
        let (fresh, _) = auth.issue("alice", Role::Viewer).unwrap();
        assert!(auth.verify(&fresh).is_some());
    }

    #[test]
    fn a_changed_password_hash_ends_the_users_tokens() {
        let auth = state();
        let (token, claims) = auth.issue("alice", Role::Viewer).unwrap();
        assert_eq!(claims.pwf.len(), 16);
        // Same user, same generation, another hash (as when the config's hash is replaced).
        let users = Users::from_list(vec![User {
            username: "alice".into(),
            password_hash: hash_password("other").unwrap(),
            role: Role::Viewer,
            share: false,
            rights: None,
        }]);
        let restarted = AuthState::new(
            b"0123456789abcdef0123456789abcdef",
            users,
            Generations::in_memory(),
            AuthOptions::default(),
        );
        assert!(restarted.verify(&token).is_none());
    }

    #[tokio::test]
    async fn session_end_fires_on_revocation() {
        let auth = state();
        let (_, claims) = auth.issue("alice", Role::Viewer).unwrap();
        let ended = tokio::spawn(auth.session_end(claims));
        tokio::task::yield_now().await;
        assert!(!ended.is_finished());
        auth.inner.generations.bump("alice").unwrap();
        tokio::time::timeout(Duration::from_secs(2), ended)
            .await
            .expect("the watch ends on revocation")
            .unwrap();
    }

    #[tokio::test]
    async fn session_end_fires_on_expiry() {
        let auth = state();
        let (_, mut claims) = auth.issue("alice", Role::Viewer).unwrap();
        claims.exp = unix_now() + 1;
        tokio::time::timeout(Duration::from_secs(3), auth.session_end(claims))
            .await
            .expect("the watch ends at expiry");
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
