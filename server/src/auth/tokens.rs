//! API tokens for tools and the command line: `Authorization: Bearer hst_…` on every API route, with
//! the token's own rights (a subset of its creator's, re-checked against the creator's current rights
//! on each request). Only a SHA-256 of the 32-byte secret is kept, in `api_tokens.json` in the data
//! dir (owner-only); the secret is shown once, at creation.
//!
//! Routes (behind the session check): `POST /api/auth/tokens`, `GET /api/auth/tokens` (one's own;
//! the `admin` right lists all), `DELETE /api/auth/tokens/{id}`.

use std::path::{Path as FsPath, PathBuf};
use std::sync::{Arc, Mutex};

use app::domain::api::Role;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use hepscope_core::access::{TokenCreated, TokenInfo, TokenRequest};

use super::{unix_now, AuthState, IdentitySource, Rights, Session};
use crate::audit::{Action, Audit, Outcome};
use crate::error::AppError;

/// What every API token starts with.
pub const TOKEN_PREFIX: &str = "hst_";
/// File in the data dir holding the tokens' hashes.
pub const TOKENS_FILE: &str = "api_tokens.json";
/// Lifetime when a request names none.
pub const DEFAULT_EXPIRES_IN: &str = "90d";
/// Last-use times are written to disk at most this often per token (seconds).
const LAST_USE_WRITE_EVERY: i64 = 60;

/// A stored token (never the secret).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredToken {
    pub id: String,
    pub name: String,
    /// The creator, whose rights bound the token's.
    pub user: String,
    pub source: IdentitySource,
    pub role: Role,
    pub rights: Rights,
    /// Hex SHA-256 of the secret.
    hash: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

/// The tokens, in memory and (once [`ApiTokens::open`]ed) in the data dir. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct ApiTokens {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Debug, Default)]
struct Inner {
    path: Option<PathBuf>,
    tokens: Vec<StoredToken>,
    /// Last-use times as written, by id.
    written_use: std::collections::BTreeMap<String, i64>,
}

impl ApiTokens {
    /// Loads `api_tokens.json` from `data_dir` and keeps it there from now on.
    ///
    /// # Errors
    /// The file exists but cannot be read or parsed.
    pub fn open(&self, data_dir: &FsPath) -> Result<(), crate::users::UsersError> {
        let path = data_dir.join(TOKENS_FILE);
        let tokens: Vec<StoredToken> = match std::fs::read(&path) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes).map_err(|e| crate::users::UsersError::Read {
                    path: path.clone(),
                    message: e.to_string(),
                })?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => {
                return Err(crate::users::UsersError::Read {
                    path,
                    message: e.to_string(),
                })
            }
        };
        let mut inner = self.lock();
        inner.path = Some(path);
        inner.tokens = tokens;
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The live token with this secret, its last use set to now.
    pub fn find(&self, secret: &str) -> Option<StoredToken> {
        let hash = hash(secret);
        let now = unix_now();
        let mut inner = self.lock();
        let token = inner.tokens.iter_mut().find(|t| t.hash == hash)?;
        if token.expires_at.is_some_and(|at| at <= now) {
            return None;
        }
        token.last_used_at = Some(now);
        let found = token.clone();
        let written = inner.written_use.get(&found.id).copied().unwrap_or(0);
        if now - written >= LAST_USE_WRITE_EVERY {
            inner.written_use.insert(found.id.clone(), now);
            persist(&inner);
        }
        Some(found)
    }

    fn insert(&self, token: StoredToken) {
        let mut inner = self.lock();
        inner.tokens.push(token);
        persist(&inner);
    }

    fn list(&self) -> Vec<StoredToken> {
        self.lock().tokens.clone()
    }

    fn remove(&self, id: &str) -> Option<StoredToken> {
        let mut inner = self.lock();
        let at = inner.tokens.iter().position(|t| t.id == id)?;
        let removed = inner.tokens.remove(at);
        persist(&inner);
        Some(removed)
    }
}

/// Writes the tokens (small: a few hundred bytes each) under the lock.
fn persist(inner: &Inner) {
    let Some(path) = &inner.path else { return };
    let bytes = serde_json::to_vec_pretty(&inner.tokens).unwrap_or_default();
    if let Err(e) = crate::private_fs::write_file(path, &bytes) {
        tracing::error!(error = %e.source, path = %e.path.display(), "cannot write the API tokens");
    }
}

fn hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    crate::secret::fill_random(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

impl StoredToken {
    fn info(&self) -> TokenInfo {
        TokenInfo {
            id: self.id.clone(),
            name: self.name.clone(),
            user: self.user.clone(),
            rights: self.rights.clone(),
            created_at: self.created_at,
            expires_at: self.expires_at,
            last_used_at: self.last_used_at,
        }
    }
}

impl AuthState {
    /// The session an API token stands for: its creator with the token's rights, bounded by the
    /// creator's current rights (a local creator removed from the config ends their tokens).
    pub(super) fn verify_api_token(&self, secret: &str) -> Option<Session> {
        let token = self.inner.tokens.find(secret)?;
        let (role, rights) = match token.source {
            IdentitySource::Local => {
                let user = self.inner.users.get(&token.user)?;
                (user.role, token.rights.intersection(&user.rights()))
            }
            _ => (token.role, token.rights.clone()),
        };
        Some(Session {
            username: token.user,
            role,
            expires_at: token.expires_at.unwrap_or(i64::MAX),
            rights,
            source: token.source,
        })
    }

    /// The API tokens.
    pub fn api_tokens(&self) -> &ApiTokens {
        &self.inner.tokens
    }
}

/// The token routes (behind the session check).
pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    AuthState: axum::extract::FromRef<S>,
{
    Router::new()
        .route("/auth/tokens", get(tokens_list).post(tokens_create))
        .route("/auth/tokens/{id}", delete(token_revoke))
}

/// `POST /api/auth/tokens`: a new token; the secret is in this answer only.
#[utoipa::path(
    post,
    path = "/api/auth/tokens",
    tag = "audit",
    request_body(content = serde_json::Value, description = "`{\"name\", \"rights\": [...], \"expires_in\"?: \"90d\"}`"),
    security(("session_cookie" = []), ("bearer" = [])),
    responses(
        (status = 201, description = "`{id, token: \"hst_…\" (shown once), name, rights, created_at, expires_at}`", body = serde_json::Value),
        (status = 400, description = "Bad name, rights or expires_in", body = app::domain::api::ErrorBody),
        (status = 403, description = "A right the creator lacks", body = app::domain::api::ErrorBody),
    )
)]
pub async fn tokens_create(
    State(auth): State<AuthState>,
    session: Session,
    audit: Audit,
    body: Result<Json<TokenRequest>, JsonRejection>,
) -> Result<Response, AppError> {
    let Json(request) = body.map_err(|e| {
        AppError::BadRequest(format!(
            "expected {{\"name\", \"rights\": [...], \"expires_in\"?}}: {}",
            e.body_text()
        ))
    })?;
    let name = request.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::BadRequest(
            "a token needs a name of 1 to 100 characters".into(),
        ));
    }
    if let Some(missing) = request.rights.iter().find(|r| !session.has(*r)) {
        return Err(AppError::MissingRight(missing));
    }
    let expires_in = request.expires_in.as_deref().unwrap_or(DEFAULT_EXPIRES_IN);
    let lifetime = crate::duration::parse_duration(expires_in)
        .filter(|d| d.as_secs() >= 1)
        .ok_or_else(|| {
            AppError::BadRequest(format!(
                "expires_in: {expires_in:?} is not a duration like 90d or 12h"
            ))
        })?;
    let now = unix_now();
    let expires_at =
        Some(now.saturating_add(i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX / 2)));
    let secret = format!("{TOKEN_PREFIX}{}", random_hex(32));
    let stored = StoredToken {
        id: random_hex(8),
        name,
        user: session.username.clone(),
        source: session.source,
        role: session.role,
        rights: request.rights,
        hash: hash(&secret),
        created_at: now,
        expires_at,
        last_used_at: None,
    };
    let created = TokenCreated {
        id: stored.id.clone(),
        token: secret,
        name: stored.name.clone(),
        rights: stored.rights.clone(),
        created_at: now,
        expires_at,
    };
    let tokens = auth.api_tokens().clone();
    let object = format!("{} ({})", stored.id, stored.name);
    tokio::task::spawn_blocking(move || tokens.insert(stored))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("token store task: {e}")))?;
    audit.by(&session, Action::TokenCreate, object, Outcome::Success);
    Ok(super::no_store(
        (StatusCode::CREATED, Json(created)).into_response(),
    ))
}

/// `GET /api/auth/tokens`: the caller's tokens (every token with the `admin` right).
#[utoipa::path(
    get,
    path = "/api/auth/tokens",
    tag = "audit",
    security(("session_cookie" = []), ("bearer" = [])),
    responses((status = 200, description = "`[{id, name, user, rights, created_at, expires_at, last_used_at}]`", body = serde_json::Value))
)]
pub async fn tokens_list(State(auth): State<AuthState>, session: Session) -> Json<Vec<TokenInfo>> {
    Json(
        auth.api_tokens()
            .list()
            .iter()
            .filter(|t| session.is_admin() || t.user == session.username)
            .map(StoredToken::info)
            .collect(),
    )
}

/// `DELETE /api/auth/tokens/{id}`: revokes a token (one's own; any with the `admin` right).
#[utoipa::path(
    delete,
    path = "/api/auth/tokens/{id}",
    tag = "audit",
    params(("id" = String, Path, description = "The token's id")),
    security(("session_cookie" = []), ("bearer" = [])),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such token of this user", body = app::domain::api::ErrorBody),
    )
)]
pub async fn token_revoke(
    State(auth): State<AuthState>,
    session: Session,
    audit: Audit,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let tokens = auth.api_tokens().clone();
    let visible = tokens
        .list()
        .iter()
        .any(|t| t.id == id && (session.is_admin() || t.user == session.username));
    if !visible {
        return Err(AppError::NotFound(format!("no API token {id:?}")));
    }
    let target = id.clone();
    tokio::task::spawn_blocking(move || tokens.remove(&target))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("token store task: {e}")))?;
    audit.by(&session, Action::TokenRevoke, id, Outcome::Success);
    Ok(StatusCode::NO_CONTENT)
}
