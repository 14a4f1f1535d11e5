//! `POST /api/login`, `POST /api/logout` and `POST /api/account/password`.
//!
//! A login is cheap to refuse and bounded when accepted:
//! 1. names over [`MAX_USERNAME_BYTES`] and passwords over [`MAX_PASSWORD_BYTES`] get 400 at once;
//! 2. the attempt is counted *before* the hash runs, per (client address, user name)
//!    (`max_failed_logins`) and per address (× [`ADDRESS_ALLOWANCE_FACTOR`]): 429 beyond;
//! 3. a user name with many recent failures from anywhere is slowed down a little, never blocked, so
//!    nobody can lock `admin` out from their own address;
//! 4. the argon2 hash runs under a small semaphore (`AuthOptions::hash_permits`): 503 with
//!    `Retry-After` when no slot frees up in time, so a burst cannot take gigabytes.

use std::time::Instant;

use app::domain::api::{LoginRequest, PasswordChange};
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::ldap::DirectoryError;
use super::{token_from_headers, with_cookie, AuthState, IdentitySource, Session};
use crate::audit::{Action, AuditLog, Outcome};
use crate::client_addr::ClientAddr;
use crate::error::AppError;
use crate::ratelimit::Attempt;
use crate::users::{hash_password, User};

/// Longest user name accepted.
pub const MAX_USERNAME_BYTES: usize = 256;
/// Longest password accepted.
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// Shortest new password accepted by a password change.
pub const MIN_NEW_PASSWORD_CHARS: usize = 8;
/// An address may fail this many times `max_failed_logins` across all user names.
pub const ADDRESS_ALLOWANCE_FACTOR: u32 = 4;
/// Characters of a user name that logs show.
const LOGGED_NAME_CHARS: usize = 64;

/// A user name as logs show it: at most [`LOGGED_NAME_CHARS`] characters, then its length; `Debug`
/// formatting escapes control characters, so a name cannot forge log lines.
pub fn logged_name(name: &str) -> String {
    if name.chars().count() <= LOGGED_NAME_CHARS {
        format!("{name:?}")
    } else {
        let head: String = name.chars().take(LOGGED_NAME_CHARS).collect();
        format!("{head:?}… ({} bytes)", name.len())
    }
}

/// 400 when `username` or `password` is too long; the refused name is logged shortened.
fn check_bounds(username: &str, password: &str, client: ClientAddr) -> Result<(), AppError> {
    if username.len() > MAX_USERNAME_BYTES {
        tracing::info!(user = %logged_name(username), %client, "login refused: user name too long");
        return Err(AppError::BadRequest(format!(
            "the user name is longer than {MAX_USERNAME_BYTES} bytes"
        )));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        tracing::info!(user = %logged_name(username), %client, "login refused: password too long");
        return Err(AppError::BadRequest(format!(
            "the password is longer than {MAX_PASSWORD_BYTES} bytes"
        )));
    }
    Ok(())
}

fn pair_key(client: ClientAddr, username: &str) -> String {
    format!("ip-user:{client} {username}")
}

fn user_key(username: &str) -> String {
    format!("user:{username}")
}

impl AuthState {
    /// Counts a password check by `client` for `username` before it runs (429 when used up), then
    /// waits out the user name's slowdown.
    async fn begin_attempt(
        &self,
        client: ClientAddr,
        username: &str,
    ) -> Result<Attempt<'_>, AppError> {
        let limiter = &self.inner.limiter;
        let max = limiter.max_failures();
        let limits = [
            (pair_key(client, username), max),
            (
                format!("ip:{client}"),
                max.saturating_mul(ADDRESS_ALLOWANCE_FACTOR),
            ),
        ];
        let attempt = limiter
            .reserve(&limits, Instant::now())
            .map_err(AppError::TooManyAttempts)?;
        let delay = limiter.slowdown(&user_key(username), Instant::now());
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        Ok(attempt)
    }

    /// Records a wrong password: the attempt stays counted, and the user name slows down.
    fn failed_attempt(&self, attempt: Attempt<'_>, username: &str, client: ClientAddr) {
        drop(attempt);
        self.inner
            .limiter
            .record_failure(&[user_key(username)], Instant::now());
        metrics::counter!("hepscope_logins_total", "result" => "failure").increment(1);
        tracing::info!(user = %logged_name(username), %client, "login failed");
    }

    /// Runs `work` (argon2) on the hashing threads while holding a hashing slot. 503 when no slot
    /// frees up within `hash_wait`.
    async fn hashing<T: Send + 'static>(
        &self,
        work: impl FnOnce(&AuthState) -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let slots = self.inner.hashing.clone();
        let wait = self.inner.options.hash_wait;
        let permit = match tokio::time::timeout(wait, slots.acquire_owned()).await {
            Ok(Ok(permit)) => permit,
            Ok(Err(_)) | Err(_) => {
                metrics::counter!("hepscope_logins_total", "result" => "busy").increment(1);
                return Err(AppError::Busy {
                    what: "the server is busy checking passwords".into(),
                    retry_after: std::time::Duration::from_secs(1),
                });
            }
        };
        let auth = self.clone();
        self.inner
            .hash_pool
            .run(move || {
                let _slot = permit;
                work(&auth)
            })
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("password hashing: {e}")))
    }

    /// A right password: the attempt is not held against the address, and the login is counted.
    fn login_succeeded(
        &self,
        attempt: Attempt<'_>,
        client: ClientAddr,
        username: &str,
        method: &str,
    ) {
        attempt.forget();
        self.inner.limiter.clear(&pair_key(client, username));
        metrics::counter!("hepscope_logins_total", "result" => "success").increment(1);
        tracing::info!(user = %logged_name(username), %client, method, "login");
    }

    /// Checks `password` for `username` within the login limits: `Ok(Some(user))` when right,
    /// `Ok(None)` when wrong (already counted and logged).
    async fn check_password(
        &self,
        client: ClientAddr,
        username: &str,
        password: &str,
    ) -> Result<Option<User>, AppError> {
        let attempt = self.begin_attempt(client, username).await?;
        let (name, secret) = (username.to_string(), password.to_string());
        let checked = self
            .hashing(move |auth| auth.inner.users.authenticate(&name, &secret))
            .await;
        match checked {
            Ok(Some(user)) => {
                attempt.forget();
                self.inner.limiter.clear(&pair_key(client, username));
                Ok(Some(user))
            }
            Ok(None) => {
                self.failed_attempt(attempt, username, client);
                Ok(None)
            }
            Err(e) => {
                // Never checked: the attempt does not count.
                attempt.forget();
                Err(e)
            }
        }
    }
}

/// `POST /api/login`: checks the password against hepscope's own users (unless `[auth] local =
/// false`), then the directory (`[auth.ldap]`); sets the session cookie, answers
/// [`app::domain::api::Me`]. Both checks count as one attempt in the login limits.
#[utoipa::path(
    post,
    path = "/api/login",
    tag = "auth",
    request_body = app::domain::api::LoginRequest,
    responses(
        (status = 200, description = "Logged in; sets the `hepscope_session` cookie", body = app::domain::api::Me),
        (status = 400, description = "Not a login body, or a field too long", body = app::domain::api::ErrorBody),
        (status = 401, description = "Wrong user name or password", body = app::domain::api::ErrorBody),
        (status = 403, description = "A directory user in no group `[[auth.role_map]]` names", body = app::domain::api::ErrorBody),
        (status = 429, description = "Too many failed attempts; see Retry-After", body = app::domain::api::ErrorBody),
        (status = 503, description = "Busy checking passwords, or the directory is unreachable; see Retry-After", body = app::domain::api::ErrorBody),
    )
)]
pub async fn login(
    State(auth): State<AuthState>,
    State(audit): State<AuditLog>,
    client: ClientAddr,
    body: Result<Json<LoginRequest>, JsonRejection>,
) -> Result<Response, AppError> {
    let Json(request) = body.map_err(|e| {
        AppError::BadRequest(format!(
            "expected {{\"username\", \"password\"}}: {}",
            e.body_text()
        ))
    })?;
    check_bounds(&request.username, &request.password, client)?;
    let (username, password) = (request.username, request.password);
    // One audit record per checked attempt, naming the method that decided it.
    let record = |method: IdentitySource, outcome| {
        audit.record(crate::audit::entry(
            &username,
            Some(client),
            Action::SignIn,
            method.as_str(),
            outcome,
        ));
    };
    let attempt = auth.begin_attempt(client, &username).await?;
    if auth.inner.options.local {
        let (name, secret) = (username.clone(), password.clone());
        match auth
            .hashing(move |auth| auth.inner.users.authenticate(&name, &secret))
            .await
        {
            Ok(Some(user)) => {
                record(IdentitySource::Local, Outcome::Success);
                auth.login_succeeded(attempt, client, &username, "local");
                let (cookie, me) = auth.start_session(&user)?;
                return Ok(with_cookie(Json(me).into_response(), &cookie));
            }
            Ok(None) => {}
            Err(e) => {
                // Never checked: the attempt does not count.
                attempt.forget();
                return Err(e);
            }
        }
    }
    if let Some(directory) = auth.inner.options.ldap.clone() {
        match directory.authenticate(&username, &password).await {
            Ok(user) => {
                auth.login_succeeded(attempt, client, &username, "ldap");
                let session = auth.external_session(&username, IdentitySource::Ldap, &user.groups);
                let (cookie, me) = match session {
                    Ok(session) => session,
                    Err(e) => {
                        // The password was right, but no mapped group holds the user.
                        record(IdentitySource::Ldap, Outcome::Failure);
                        return Err(e);
                    }
                };
                record(IdentitySource::Ldap, Outcome::Success);
                return Ok(with_cookie(Json(me).into_response(), &cookie));
            }
            Err(DirectoryError::Rejected(why)) => {
                tracing::info!(user = %logged_name(&username), %client, why, "LDAP login refused");
            }
            Err(e @ DirectoryError::Unreachable(_)) => {
                // Never checked: the attempt does not count.
                attempt.forget();
                record(IdentitySource::Ldap, Outcome::Failure);
                tracing::warn!(user = %logged_name(&username), %client, error = %e, "LDAP login");
                metrics::counter!("hepscope_logins_total", "result" => "directory_unreachable")
                    .increment(1);
                return Err(AppError::Busy {
                    what: "the directory is unreachable".into(),
                    retry_after: std::time::Duration::from_secs(5),
                });
            }
            Err(DirectoryError::Tls(why)) => {
                // The directory's TLS is misconfigured (untrusted certificate, no StartTLS): said
                // as such, so nobody takes it for a wrong password. Not counted, like unreachable.
                attempt.forget();
                record(IdentitySource::Ldap, Outcome::Failure);
                tracing::warn!(user = %logged_name(&username), %client, error = %why, "LDAP login");
                metrics::counter!("hepscope_logins_total", "result" => "directory_unreachable")
                    .increment(1);
                return Err(AppError::Busy {
                    what: why,
                    retry_after: std::time::Duration::from_secs(5),
                });
            }
            Err(e @ DirectoryError::Refused { .. }) => {
                // The search account or a base DN is wrong: the operator's problem, logged.
                attempt.forget();
                record(IdentitySource::Ldap, Outcome::Failure);
                return Err(AppError::Internal(anyhow::anyhow!("LDAP login: {e}")));
            }
        }
    }
    let method = if auth.inner.options.ldap.is_some() {
        IdentitySource::Ldap
    } else {
        IdentitySource::Local
    };
    record(method, Outcome::Failure);
    auth.failed_attempt(attempt, &username, client);
    Err(AppError::LoginFailed("wrong user name or password".into()))
}

/// `POST /api/logout`: clears the cookie and, with a valid session, ends every session of its user
/// (their other browsers and tools included, and their open live streams).
#[utoipa::path(
    post,
    path = "/api/logout",
    tag = "auth",
    responses((status = 204, description = "Cookie cleared; with a valid session, every session of its user ended")),
)]
pub async fn logout(
    State(auth): State<AuthState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if let Some(session) = token_from_headers(&headers).and_then(|t| auth.verify(&t)) {
        auth.revoke(&session.username).await?;
        tracing::info!(user = %logged_name(&session.username), "logout: sessions ended");
    }
    let cookie = auth.cookie("", 0);
    Ok(with_cookie(StatusCode::NO_CONTENT.into_response(), &cookie))
}

/// `POST /api/account/password` `{current, new}` (behind the session check): changes the password of
/// a user whose password hepscope keeps (the built-in `admin`), ends all their sessions, and answers a
/// fresh session cookie for this browser. Users from the config file get 409: their hash is there.
#[utoipa::path(
    post,
    path = "/api/account/password",
    tag = "auth",
    request_body = app::domain::api::PasswordChange,
    security(("session_cookie" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "Changed; every session ended, a fresh cookie set", body = app::domain::api::Me),
        (status = 400, description = "Bad body, or the new password too short or long", body = app::domain::api::ErrorBody),
        (status = 401, description = "No valid session", body = app::domain::api::ErrorBody),
        (status = 403, description = "The current password is wrong", body = app::domain::api::ErrorBody),
        (status = 409, description = "A user from the config file: the hash lives there", body = app::domain::api::ErrorBody),
    )
)]
pub async fn change_password(
    State(auth): State<AuthState>,
    session: Session,
    client: ClientAddr,
    body: Result<Json<PasswordChange>, JsonRejection>,
) -> Result<Response, AppError> {
    let Json(change) = body.map_err(|e| {
        AppError::BadRequest(format!(
            "expected {{\"current\", \"new\"}}: {}",
            e.body_text()
        ))
    })?;
    if !auth.inner.users.passwords_changeable() {
        return Err(AppError::Conflict(
            crate::users::UsersError::Configured(session.username).to_string(),
        ));
    }
    check_bounds(&session.username, &change.current, client)?;
    if change.new.len() > MAX_PASSWORD_BYTES {
        return Err(AppError::BadRequest(format!(
            "the new password is longer than {MAX_PASSWORD_BYTES} bytes"
        )));
    }
    if change.new.chars().count() < MIN_NEW_PASSWORD_CHARS {
        return Err(AppError::BadRequest(format!(
            "the new password needs at least {MIN_NEW_PASSWORD_CHARS} characters"
        )));
    }
    let Some(user) = auth
        .check_password(client, &session.username, &change.current)
        .await?
    else {
        return Err(AppError::Forbidden("the current password is wrong".into()));
    };
    let name = user.username.clone();
    let new = change.new;
    auth.hashing(move |auth| {
        let hash = hash_password(&new)?;
        auth.inner.users.set_password_hash(&name, hash)
    })
    .await?
    .map_err(|e| AppError::Internal(anyhow::anyhow!("changing the password: {e}")))?;
    auth.revoke(&user.username).await?;
    tracing::info!(user = %logged_name(&user.username), %client, "password changed; sessions ended");
    let (cookie, me) = auth.start_session(&user)?;
    Ok(with_cookie(Json(me).into_response(), &cookie))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{AuthOptions, Generations};
    use crate::users::Users;
    use std::time::Duration;

    #[tokio::test]
    async fn a_full_hashing_semaphore_answers_503_with_retry_after() {
        let auth = AuthState::new(
            b"0123456789abcdef0123456789abcdef",
            Users::from_list(Vec::new()),
            Generations::in_memory(),
            AuthOptions {
                hash_permits: 1,
                hash_wait: Duration::from_millis(50),
                ..AuthOptions::default()
            },
        );
        let busy = auth.clone();
        let holder = tokio::spawn(async move {
            busy.hashing(|_| std::thread::sleep(Duration::from_millis(500)))
                .await
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        let refused = auth.hashing(|_| ()).await.unwrap_err();
        let response = refused.into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(response.headers().contains_key("retry-after"));
        holder.await.unwrap().unwrap();
        assert!(auth.hashing(|_| ()).await.is_ok(), "the slot is free again");
    }

    #[test]
    fn logged_names_are_short_and_escaped() {
        assert_eq!(logged_name("admin"), "\"admin\"");
        let long = "x".repeat(300);
        let shown = logged_name(&long);
        assert!(!shown.contains(&long));
        assert!(shown.contains("(300 bytes)"), "{shown}");
        assert_eq!(logged_name("a\nb"), "\"a\\nb\"");
    }
}
