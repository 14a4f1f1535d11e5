//! `GET /api/auth/methods`, `GET /api/auth/oidc/start` and `GET /api/auth/oidc/callback`.
//!
//! The callback is a browser navigation: failures redirect to the login page with the reason in
//! `sso_error` (and no session), never to a JSON page.

use app::domain::api::{AuthMethods, OidcMethod};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use super::{local_path, OidcError, FLOW_TTL};
use crate::audit::{Action, AuditLog, Outcome};
use crate::auth::{with_cookie, AuthState, IdentitySource};
use crate::client_addr::ClientAddr;
use crate::error::{json_error, AppError};

/// The cookie that ties a callback to the browser that started the sign-in.
pub const FLOW_COOKIE: &str = "hepscope_oidc";
const FLOW_COOKIE_PATH: &str = "/api/auth/oidc";

/// `GET /api/auth/methods`: what the login page offers.
#[utoipa::path(
    get,
    path = "/api/auth/methods",
    tag = "auth",
    responses((status = 200, description = "The sign-in methods", body = app::domain::api::AuthMethods))
)]
pub async fn methods(State(auth): State<AuthState>) -> Json<AuthMethods> {
    let options = &auth.inner.options;
    Json(AuthMethods {
        local: options.local,
        ldap: options.ldap.is_some(),
        oidc: options.oidc.as_ref().map(|oidc| OidcMethod {
            name: oidc.config().name.clone(),
        }),
    })
}

/// `?next=`
#[derive(Debug, Deserialize)]
pub struct StartQuery {
    next: Option<String>,
}

/// `GET /api/auth/oidc/start?next=/call/…`: redirects to the provider.
#[utoipa::path(
    get,
    path = "/api/auth/oidc/start",
    tag = "auth",
    params(("next" = Option<String>, Query, description = "A path on this site to land on after the sign-in")),
    responses(
        (status = 303, description = "To the provider's authorization page; sets the short-lived `hepscope_oidc` flow cookie"),
        (status = 404, description = "No `[auth.oidc]` configured", body = app::domain::api::ErrorBody),
    )
)]
pub async fn start(State(auth): State<AuthState>, Query(query): Query<StartQuery>) -> Response {
    let Some(oidc) = auth.inner.options.oidc.clone() else {
        return json_error(StatusCode::NOT_FOUND, "OIDC sign-in is not configured");
    };
    let next = local_path(query.next.as_deref());
    match oidc.start(next.clone()).await {
        Ok((url, state)) => {
            let cookie = flow_cookie(&auth, &state, FLOW_TTL.as_secs());
            with_cookie(see_other(&url), &cookie)
        }
        Err(e) => {
            tracing::warn!(error = %e, "OIDC sign-in could not start");
            login_with_error(&next, &e.to_string())
        }
    }
}

/// The provider's answer.
#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /api/auth/oidc/callback?code=…&state=…`: the provider sends the browser back here.
#[utoipa::path(
    get,
    path = "/api/auth/oidc/callback",
    tag = "auth",
    params(
        ("code" = Option<String>, Query, description = "The authorization code"),
        ("state" = Option<String>, Query, description = "The flow's state"),
        ("error" = Option<String>, Query, description = "The provider's error code"),
    ),
    responses(
        (status = 303, description = "Signed in: to `next` with the session cookie set; else to `/login?sso_error=…`"),
        (status = 404, description = "No `[auth.oidc]` configured", body = app::domain::api::ErrorBody),
    )
)]
pub async fn callback(
    State(auth): State<AuthState>,
    State(audit): State<AuditLog>,
    client: ClientAddr,
    headers: HeaderMap,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let Some(oidc) = auth.inner.options.oidc.clone() else {
        return json_error(StatusCode::NOT_FOUND, "OIDC sign-in is not configured");
    };
    let state = query.state.unwrap_or_default();
    let next = oidc.next_of(&state).unwrap_or_else(|| "/".into());
    let clear = flow_cookie(&auth, "", 0);
    let finished = match (query.error, query.code) {
        (Some(error), _) => {
            let detail = query.error_description.unwrap_or_default();
            Err(OidcError::Provider(
                format!("{error} {detail}").trim().to_string(),
            ))
        }
        (None, Some(code)) => {
            oidc.finish(&state, flow_cookie_value(&headers).as_deref(), &code)
                .await
        }
        (None, None) => Err(OidcError::Provider("no code in the answer".into())),
    };
    let (identity, next) = match finished {
        Ok(done) => done,
        Err(e) => {
            // Nobody is known yet: the record names no user.
            audit.record(crate::audit::entry(
                "",
                Some(client),
                Action::SignIn,
                IdentitySource::Oidc.as_str(),
                Outcome::Failure,
            ));
            tracing::info!(%client, error = %e, "OIDC sign-in failed");
            metrics::counter!("hepscope_logins_total", "result" => "failure").increment(1);
            return with_cookie(login_with_error(&next, &e.to_string()), &clear);
        }
    };
    let session = auth.external_session(&identity.username, IdentitySource::Oidc, &identity.groups);
    let outcome = if session.is_ok() {
        Outcome::Success
    } else {
        Outcome::Failure
    };
    audit.record(crate::audit::entry(
        &identity.username,
        Some(client),
        Action::SignIn,
        IdentitySource::Oidc.as_str(),
        outcome,
    ));
    match session {
        Ok((cookie, _me)) => {
            metrics::counter!("hepscope_logins_total", "result" => "success").increment(1);
            tracing::info!(user = %crate::auth::login::logged_name(&identity.username), %client, method = "oidc", "login");
            with_cookie(with_cookie(see_other(&next), &cookie), &clear)
        }
        Err(e) => {
            tracing::info!(user = %crate::auth::login::logged_name(&identity.username), %client, error = %e, "OIDC sign-in refused");
            let message = match &e {
                AppError::Internal(_) => "internal error".to_string(),
                other => other.to_string(),
            };
            with_cookie(login_with_error(&next, &message), &clear)
        }
    }
}

fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// `/login?next=…&sso_error=…`: the login page shows the reason.
fn login_with_error(next: &str, message: &str) -> Response {
    let query = openidconnect::url::form_urlencoded::Serializer::new(String::new())
        .append_pair("next", next)
        .append_pair("sso_error", message)
        .finish();
    see_other(&format!("/login?{query}"))
}

fn flow_cookie(auth: &AuthState, state: &str, max_age: u64) -> String {
    let secure = if auth.inner.options.cookie_secure {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{FLOW_COOKIE}={state}; Path={FLOW_COOKIE_PATH}; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    )
}

fn flow_cookie_value(headers: &HeaderMap) -> Option<String> {
    crate::auth::cookie_value(headers, FLOW_COOKIE)
}
