//! `AppError`: every error a handler returns, written as hepscope's JSON [`ErrorBody`].

use std::time::Duration;

use app::domain::api::ErrorBody;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

/// A handler error. 4xx carry their message to the client; 5xx details are logged, not sent.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not logged in")]
    Unauthorized,
    #[error("{0}")]
    LoginFailed(String),
    #[error("{0}")]
    Forbidden(String),
    /// The session lacks a right the route needs; 403 naming it.
    #[error("this needs the {} right, which your account does not have", .0.as_str())]
    MissingRight(app::domain::api::Right),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("too many failed logins; try again in {} s", .0.as_secs().max(1))]
    TooManyAttempts(Duration),
    /// Too many requests of a kind from one client; 429 with `Retry-After`.
    #[error("{what}; try again in {} s", .retry_after.as_secs().max(1))]
    Throttled { what: String, retry_after: Duration },
    /// A bounded resource (e.g. password hashing) is in use; 503 with `Retry-After`.
    #[error("{what}; try again in {} s", .retry_after.as_secs().max(1))]
    Busy { what: String, retry_after: Duration },
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthorized | AppError::LoginFailed(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) | AppError::MissingRight(_) => StatusCode::FORBIDDEN,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::TooManyAttempts(_) | AppError::Throttled { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(e) = &self {
            tracing::error!(error = format!("{e:#}"), "request failed");
        }
        let mut body = ErrorBody::new(self.to_string());
        if let AppError::MissingRight(right) = &self {
            body.detail = Some(format!("missing right: {}", right.as_str()));
        }
        let mut response = (self.status(), Json(body)).into_response();
        if let AppError::TooManyAttempts(wait)
        | AppError::Throttled {
            retry_after: wait, ..
        }
        | AppError::Busy {
            retry_after: wait, ..
        } = &self
        {
            let secs = wait.as_secs().max(1).to_string();
            if let Ok(value) = HeaderValue::from_str(&secs) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}

/// A JSON error response with any status (for fallbacks and middleware).
pub fn json_error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(ErrorBody::new(message))).into_response()
}
