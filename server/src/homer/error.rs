//! `UpstreamError`: a backend could not give an HTTP answer, and how that becomes JSON.
//!
//! Refused, reset and garbage answers are 502, timeouts 504; the body is always
//! `{"error","backend","detail"}` ([`ErrorBody`]) and never carries a password or token.

use std::time::Duration;

use app::domain::api::ErrorBody;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// Why a backend gave no usable answer.
#[derive(Clone, Debug, thiserror::Error)]
pub enum UpstreamError {
    /// No answer in time (connect, headers, login or a buffered body).
    #[error("Homer {backend:?} did not answer within {after:?}")]
    Timeout { backend: String, after: Duration },
    /// The TCP connection could not be opened (refused, unreachable, DNS).
    #[error("cannot connect to Homer {backend:?}: {detail}")]
    Connect { backend: String, detail: String },
    /// The connection broke or the answer was not HTTP (reset, dropped mid-response, garbage).
    #[error("broken answer from Homer {backend:?}: {detail}")]
    Broken { backend: String, detail: String },
    /// Homer refused hepscope's own login (wrong server-held credentials or a bad answer).
    #[error("login to Homer {backend:?} failed: {detail}")]
    Login { backend: String, detail: String },
    /// The answer is larger than the backend's `max_answer_bytes`: not buffered nor passed on.
    #[error("Homer {backend:?} answered more than {limit} bytes")]
    TooLarge { backend: String, limit: u64 },
}

impl UpstreamError {
    /// The backend this error is about.
    pub fn backend(&self) -> &str {
        match self {
            Self::Timeout { backend, .. }
            | Self::Connect { backend, .. }
            | Self::Broken { backend, .. }
            | Self::Login { backend, .. }
            | Self::TooLarge { backend, .. } => backend,
        }
    }

    /// 504 for timeouts, 502 otherwise.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
            _ => StatusCode::BAD_GATEWAY,
        }
    }

    /// A short, stable error text for the `error` field.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Timeout { .. } => "homer timed out",
            Self::Connect { .. } => "homer unreachable",
            Self::Broken { .. } => "homer answer broken",
            Self::Login { .. } => "homer login failed",
            Self::TooLarge { .. } => "homer answer too large",
        }
    }

    /// The detail text for the `detail` field.
    pub fn detail(&self) -> String {
        match self {
            Self::Timeout { after, .. } => format!("no answer within {after:?}"),
            Self::TooLarge { limit, .. } => format!(
                "the answer is larger than {limit} bytes, the backend's max_answer_bytes; \
                 narrow the search (time range, filters) or raise the cap"
            ),
            Self::Connect { detail, .. }
            | Self::Broken { detail, .. }
            | Self::Login { detail, .. } => detail.clone(),
        }
    }

    /// The JSON body of this error.
    pub fn to_body(&self) -> ErrorBody {
        ErrorBody {
            error: self.kind().to_owned(),
            backend: Some(self.backend().to_owned()),
            detail: Some(self.detail()),
        }
    }

    /// Classifies a reqwest error. Its text names the URL (never credentials) and the cause chain.
    pub fn from_reqwest(backend: &str, after: Duration, error: &reqwest::Error) -> Self {
        let backend = backend.to_owned();
        if error.is_timeout() {
            return Self::Timeout { backend, after };
        }
        let detail = error_chain(error);
        if error.is_connect() {
            Self::Connect { backend, detail }
        } else {
            Self::Broken { backend, detail }
        }
    }
}

impl IntoResponse for UpstreamError {
    fn into_response(self) -> Response {
        (self.status(), Json(self.to_body())).into_response()
    }
}

/// An error and its sources, joined with `: `, cut to 300 characters.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    truncate(text, 300)
}

/// Cuts `text` to at most `max` characters, on a character boundary.
pub fn truncate(mut text: String, max: usize) -> String {
    if let Some((cut, _)) = text.char_indices().nth(max) {
        text.truncate(cut);
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_maps_to_504_and_others_to_502() {
        let timeout = UpstreamError::Timeout {
            backend: "h".into(),
            after: Duration::from_secs(1),
        };
        let connect = UpstreamError::Connect {
            backend: "h".into(),
            detail: "refused".into(),
        };
        assert_eq!(timeout.status(), StatusCode::GATEWAY_TIMEOUT);
        assert_eq!(connect.status(), StatusCode::BAD_GATEWAY);
        assert_eq!(connect.to_body().backend.as_deref(), Some("h"));
    }

    #[test]
    fn truncate_cuts_on_a_char_boundary() {
        assert_eq!(truncate("ééé".to_owned(), 2), "éé…");
        assert_eq!(truncate("ab".to_owned(), 2), "ab");
    }
}
