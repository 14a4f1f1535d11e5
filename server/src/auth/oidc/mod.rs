//! OpenID Connect sign-in: authorization code with PKCE.
//!
//! `start` keeps the flow's nonce, PKCE verifier and `next` path server-side under a random `state`
//! (also set as a short-lived HttpOnly cookie, so the callback must come back to the browser that
//! started it); `finish` takes that entry once, exchanges the code and verifies the ID token (issuer,
//! audience, nonce, expiry, and its signature with the provider's JWKS, fetched again when the token
//! names an unknown `kid`).

pub mod http;
pub mod routes;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use base64::Engine;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdTokenVerifier, CoreJsonWebKeySet,
    CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, IssuerUrl,
    JsonWebKeySet, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    SignatureVerificationError, TokenResponse,
};

pub use crate::auth_config::oidc::{OidcConfig, RawOidc};
use http::ProviderHttp;

/// How long a started sign-in may take at the provider.
pub const FLOW_TTL: Duration = Duration::from_secs(600);
/// Sign-ins in progress kept at once; beyond, the oldest go (a flood of `start`s cannot grow memory).
const MAX_PENDING: usize = 10_000;

/// Why an OIDC sign-in failed. The message goes to the login page.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the sign-in provider is unreachable ({0})")]
    Unreachable(String),
    #[error("the sign-in expired or was started in another browser; start it again")]
    UnknownState,
    #[error("the sign-in provider refused: {0}")]
    Provider(String),
    #[error("the sign-in provider did not accept the code: {0}")]
    Exchange(String),
    #[error("the ID token is not valid: {0}")]
    Token(String),
    #[error("the ID token has no usable {0:?} claim")]
    MissingClaim(String),
}

/// The person the provider signed in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OidcIdentity {
    pub username: String,
    pub groups: Vec<String>,
}

/// One started sign-in.
struct Pending {
    nonce: Nonce,
    verifier: PkceCodeVerifier,
    next: String,
    started: Instant,
}

/// What discovery found, with the JWKS (replaced when a token names an unknown key).
struct Provider {
    metadata: CoreProviderMetadata,
    jwks: RwLock<CoreJsonWebKeySet>,
}

/// The configured provider; cheap to clone.
#[derive(Clone)]
pub struct Oidc {
    inner: Arc<OidcInner>,
}

struct OidcInner {
    config: OidcConfig,
    http: ProviderHttp,
    /// Discovered on first use (hepscope starts while the provider is down) and kept.
    provider: tokio::sync::Mutex<Option<Arc<Provider>>>,
    pending: Mutex<HashMap<String, Pending>>,
}

impl std::fmt::Debug for Oidc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oidc")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl Oidc {
    /// # Errors
    /// The HTTP client cannot be built.
    pub fn new(config: OidcConfig) -> Result<Self, reqwest::Error> {
        Ok(Self {
            inner: Arc::new(OidcInner {
                config,
                http: ProviderHttp::new()?,
                provider: tokio::sync::Mutex::new(None),
                pending: Mutex::new(HashMap::new()),
            }),
        })
    }

    pub fn config(&self) -> &OidcConfig {
        &self.inner.config
    }

    async fn provider(&self) -> Result<Arc<Provider>, OidcError> {
        let mut slot = self.inner.provider.lock().await;
        if let Some(provider) = slot.as_ref() {
            return Ok(provider.clone());
        }
        let issuer = IssuerUrl::new(self.inner.config.issuer.clone())
            .map_err(|e| OidcError::Unreachable(format!("issuer URL: {e}")))?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &self.inner.http)
            .await
            .map_err(|e| OidcError::Unreachable(format!("discovery: {}", error_chain(&e))))?;
        let jwks = metadata.jwks().clone();
        let provider = Arc::new(Provider {
            metadata,
            jwks: RwLock::new(jwks),
        });
        *slot = Some(provider.clone());
        Ok(provider)
    }

    fn client(
        &self,
        provider: &Provider,
    ) -> Result<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        OidcError,
    > {
        let config = &self.inner.config;
        let redirect = RedirectUrl::new(config.redirect_url.clone())
            .map_err(|e| OidcError::Provider(format!("redirect URL: {e}")))?;
        Ok(CoreClient::from_provider_metadata(
            provider.metadata.clone(),
            ClientId::new(config.client_id.clone()),
            config
                .client_secret
                .as_ref()
                .map(|s| ClientSecret::new(s.expose().to_string())),
        )
        .set_redirect_uri(redirect))
    }

    /// Starts a sign-in that returns to `next` (already checked to be a local path): the provider's
    /// authorization URL and the `state` to set as the flow cookie.
    ///
    /// # Errors
    /// The provider cannot be discovered.
    pub async fn start(&self, next: String) -> Result<(String, String), OidcError> {
        let provider = self.provider().await?;
        let client = self.client(&provider)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in &self.inner.config.scopes {
            if scope != "openid" {
                request = request.add_scope(Scope::new(scope.clone()));
            }
        }
        let (url, state, nonce) = request.url();
        let pending = Pending {
            nonce,
            verifier,
            next,
            started: Instant::now(),
        };
        self.remember(state.secret().clone(), pending);
        Ok((url.to_string(), state.secret().clone()))
    }

    fn remember(&self, state: String, pending: Pending) {
        let Ok(mut map) = self.inner.pending.lock() else {
            return;
        };
        map.retain(|_, p| p.started.elapsed() < FLOW_TTL);
        if map.len() >= MAX_PENDING {
            if let Some(oldest) = map
                .iter()
                .min_by_key(|(_, p)| p.started)
                .map(|(k, _)| k.clone())
            {
                map.remove(&oldest);
            }
        }
        map.insert(state, pending);
    }

    /// The `next` path of a started sign-in, without ending it (for error redirects).
    pub fn next_of(&self, state: &str) -> Option<String> {
        let map = self.inner.pending.lock().ok()?;
        map.get(state).map(|p| p.next.clone())
    }

    /// Ends a sign-in: `state` must be a started one whose cookie (`cookie_state`) this browser holds;
    /// the code is exchanged and the ID token verified. Returns who signed in and their `next`.
    ///
    /// # Errors
    /// See [`OidcError`].
    pub async fn finish(
        &self,
        state: &str,
        cookie_state: Option<&str>,
        code: &str,
    ) -> Result<(OidcIdentity, String), OidcError> {
        if cookie_state != Some(state) {
            return Err(OidcError::UnknownState);
        }
        let pending = {
            let mut map = self
                .inner
                .pending
                .lock()
                .map_err(|_| OidcError::UnknownState)?;
            map.remove(state).ok_or(OidcError::UnknownState)?
        };
        if pending.started.elapsed() >= FLOW_TTL {
            return Err(OidcError::UnknownState);
        }
        let provider = self.provider().await?;
        let client = self.client(&provider)?;
        let token = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| OidcError::Provider(format!("no token endpoint: {e}")))?
            .set_pkce_verifier(pending.verifier)
            .request_async(&self.inner.http)
            .await
            .map_err(|e| OidcError::Exchange(error_chain(&e)))?;
        let id_token = token
            .id_token()
            .ok_or_else(|| OidcError::Token("the token answer has no id_token".into()))?;
        let verified = match self.verify(&provider, id_token, &pending.nonce) {
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => {
                // The provider rotated its keys: fetch the JWKS again, once.
                self.refresh_jwks(&provider).await?;
                self.verify(&provider, id_token, &pending.nonce)
            }
            other => other,
        };
        verified.map_err(|e| OidcError::Token(e.to_string()))?;
        let identity = self.identity(&id_token.to_string())?;
        Ok((identity, pending.next))
    }

    fn verify(
        &self,
        provider: &Provider,
        id_token: &openidconnect::core::CoreIdToken,
        nonce: &Nonce,
    ) -> Result<(), ClaimsVerificationError> {
        let config = &self.inner.config;
        let jwks = provider
            .jwks
            .read()
            .map_err(|_| ClaimsVerificationError::Other("JWKS lock poisoned".into()))?
            .clone();
        let client_id = ClientId::new(config.client_id.clone());
        let issuer = provider.metadata.issuer().clone();
        let verifier = match &config.client_secret {
            Some(secret) => CoreIdTokenVerifier::new_confidential_client(
                client_id,
                ClientSecret::new(secret.expose().to_string()),
                issuer,
                jwks,
            ),
            None => CoreIdTokenVerifier::new_public_client(client_id, issuer, jwks),
        };
        // Asymmetric algorithms the provider announces; never HMAC (keyed with the client secret)
        // or `none`.
        let algorithms: Vec<CoreJwsSigningAlgorithm> = provider
            .metadata
            .id_token_signing_alg_values_supported()
            .iter()
            .filter(|alg| {
                !matches!(
                    alg,
                    CoreJwsSigningAlgorithm::HmacSha256
                        | CoreJwsSigningAlgorithm::HmacSha384
                        | CoreJwsSigningAlgorithm::HmacSha512
                        | CoreJwsSigningAlgorithm::None
                )
            })
            .cloned()
            .collect();
        let verifier = verifier.set_allowed_algs(algorithms);
        id_token.claims(&verifier, nonce).map(|_| ())
    }

    async fn refresh_jwks(&self, provider: &Provider) -> Result<(), OidcError> {
        let jwks: CoreJsonWebKeySet =
            JsonWebKeySet::fetch_async(provider.metadata.jwks_uri(), &self.inner.http)
                .await
                .map_err(|e| OidcError::Unreachable(format!("JWKS: {}", error_chain(&e))))?;
        tracing::info!(
            keys = jwks.keys().len(),
            "OIDC: JWKS fetched again for an unknown key id"
        );
        if let Ok(mut slot) = provider.jwks.write() {
            *slot = jwks;
        }
        Ok(())
    }

    /// The user name and groups from a verified ID token's payload (the claims the config names).
    fn identity(&self, jwt: &str) -> Result<OidcIdentity, OidcError> {
        let config = &self.inner.config;
        let payload = jwt
            .split('.')
            .nth(1)
            .and_then(|p| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(p)
                    .ok()
            })
            .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
            .ok_or_else(|| OidcError::Token("unreadable payload".into()))?;
        let username = payload
            .get(&config.username_claim)
            .and_then(serde_json::Value::as_str)
            .filter(|name| !name.trim().is_empty())
            .ok_or_else(|| OidcError::MissingClaim(config.username_claim.clone()))?
            .to_string();
        let groups = match payload.get(&config.groups_claim) {
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .filter_map(|g| g.as_str().map(str::to_string))
                .collect(),
            Some(serde_json::Value::String(one)) => vec![one.clone()],
            _ => Vec::new(),
        };
        Ok(OidcIdentity { username, groups })
    }
}

/// An error with its sources, for log lines and messages.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

/// `next` when it is a path on this site (`/…`, not `//host` or `/\host`, no control characters),
/// else `/`: the sign-in never redirects elsewhere.
pub fn local_path(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.chars().any(|c| c.is_control() || c == '\\') =>
        {
            path.to_string()
        }
        _ => "/".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(
            local_path(Some("/call/abc@h?since=1h&tab=ladder")),
            "/call/abc@h?since=1h&tab=ladder"
        );
        for bad in [
            "https://evil.example",
            "//evil.example/x",
            "/\\evil.example",
            "calls",
            "/a\nb",
            "",
        ] {
            assert_eq!(local_path(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(local_path(None), "/");
    }
}
