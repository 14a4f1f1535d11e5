//! hepscope's own HTTP API bodies (not HOMER's): login, session, errors, backends.
//!
//! Both sides use these types, so the browser and the server cannot drift apart.

use serde::{Deserialize, Serialize};

/// `POST /api/login` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// `POST /api/account/password` body: the current password and the new one. Its `Debug` hides both.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasswordChange {
    pub current: String,
    pub new: String,
}

impl std::fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordChange { .. }")
    }
}

/// `POST /api/stream-ticket` answer: a short-lived token for `?access_token=` on
/// `GET /api/v4/stream/hep`, good for that stream only and never as a session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StreamTicket {
    pub ticket: String,
    /// Seconds since the Unix epoch; open the stream before then.
    pub expires_at: i64,
}

/// A user's role. Admins may import captures, run SQL and create share links.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Role {
    Admin,
    #[default]
    Viewer,
}

impl Role {
    /// The role's name as written in config files and JWT claims.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Viewer => "viewer",
        }
    }
}

/// `GET /api/me` and the body of a successful login.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    pub username: String,
    pub role: Role,
    /// Session expiry, seconds since the Unix epoch.
    pub expires_at: i64,
    /// May create share links (the `share` right; kept for older clients).
    #[serde(default)]
    pub may_share: bool,
    /// What this session may do; the server checks every route against it, the UI hides the rest.
    #[serde(default)]
    pub rights: Vec<Right>,
}

impl Me {
    /// Admins may import, run SQL, share and check backends.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// True when the session holds `right`.
    pub fn has(&self, right: Right) -> bool {
        self.rights.contains(&right)
    }
}

/// One thing a session may do. Routes and UI controls check these; `search` is always held.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Right {
    /// Search calls and view their ladders (always held).
    Search,
    /// See raw SIP and SDP bodies.
    Raw,
    /// Export PCAP and text.
    Export,
    /// Create share links for outside readers.
    Share,
    /// Open the live stream.
    Live,
    /// Receive payloads on the live stream.
    LivePayload,
    /// Import capture files.
    Import,
    /// Run SQL against the embedded store.
    Sql,
    /// Admin routes: audit log, backend checks, every user's tokens and shares.
    Admin,
}

impl Right {
    /// Every right, in order.
    pub const ALL: [Right; 9] = [
        Right::Search,
        Right::Raw,
        Right::Export,
        Right::Share,
        Right::Live,
        Right::LivePayload,
        Right::Import,
        Right::Sql,
        Right::Admin,
    ];

    /// The right's name as written in config files and answers.
    pub fn as_str(self) -> &'static str {
        match self {
            Right::Search => "search",
            Right::Raw => "raw",
            Right::Export => "export",
            Right::Share => "share",
            Right::Live => "live",
            Right::LivePayload => "live_payload",
            Right::Import => "import",
            Right::Sql => "sql",
            Right::Admin => "admin",
        }
    }

    /// The right called `name`, if any.
    pub fn parse(name: &str) -> Option<Right> {
        Right::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

/// `GET /api/auth/methods`: how the login page may sign people in.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthMethods {
    /// The password form checks hepscope's own users (`[auth] local`).
    pub local: bool,
    /// The password form checks the directory (`[auth.ldap]`).
    pub ldap: bool,
    /// The "Sign in with <name>" button (`[auth.oidc]`), when configured.
    pub oidc: Option<OidcMethod>,
}

impl AuthMethods {
    /// The password form is shown when it checks anything.
    pub fn password_form(&self) -> bool {
        self.local || self.ldap
    }
}

/// The OpenID provider's button.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OidcMethod {
    /// The button's label after "Sign in with".
    pub name: String,
}

/// Every error hepscope itself answers: `{"error": "...", ...}`.
///
/// `backend` and `detail` are set for upstream (HOMER) failures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl ErrorBody {
    /// An error with only a message.
    pub fn new(error: impl Into<String>) -> Self {
        Self {
            error: error.into(),
            backend: None,
            detail: None,
        }
    }
}

/// The message of an error answer: hepscope's `{"error", "detail"}`, or a HOMER 7 (or embedded
/// store) answer's `{"message"}`; `None` when the text is neither.
pub fn error_message(text: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct HomerError {
        message: String,
    }
    if let Ok(body) = serde_json::from_str::<ErrorBody>(text) {
        return Some(match body.detail {
            Some(detail) => format!("{}: {detail}", body.error),
            None => body.error,
        });
    }
    serde_json::from_str::<HomerError>(text)
        .ok()
        .map(|h| h.message)
        .filter(|m| !m.is_empty())
}

/// What kind of data source a backend is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum BackendKind {
    /// A HOMER 7 instance reached through the server's proxy.
    Homer7,
    /// hepscope's own HEP receiver and SQLite store.
    Embedded,
}

/// One entry of `GET /api/backends`. Never carries credentials.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BackendInfo {
    pub name: String,
    pub kind: BackendKind,
    /// The base URL without credentials; `None` for the embedded store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub default: bool,
    /// The outcome of the last request to it: "ok", "unknown" or an error text.
    pub status: String,
}

/// `GET /api/backends/{name}/check`: dex's `discover` diagnostic of one backend.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckReport {
    /// Backend name.
    pub backend: String,
    /// `homer7` or `embedded`.
    pub kind: BackendKind,
    /// Base URL (no credentials), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Whether every step passed.
    pub ok: bool,
    /// The steps run, in order; the check stops at the first failing one.
    pub steps: Vec<CheckStep>,
    /// Wall time of the whole check, in milliseconds.
    pub total_ms: f64,
}

/// One step of a [`CheckReport`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckStep {
    /// `dns`, `tcp`, `login`, `mapping` (HOMER 7) or the embedded store's own steps.
    pub step: String,
    /// Whether it passed.
    pub ok: bool,
    /// What was found, or the error text.
    pub detail: String,
    /// Time the step took, in milliseconds.
    pub latency_ms: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_admin_role_is_admin_and_password_changes_hide_their_passwords() {
        let me = |role| Me {
            username: "u".into(),
            role,
            expires_at: 0,
            may_share: true,
            rights: vec![Right::Search, Right::Export],
        };
        assert!(me(Role::Admin).is_admin());
        assert!(!me(Role::Viewer).is_admin());
        assert!(me(Role::Viewer).has(Right::Export) && !me(Role::Viewer).has(Right::Raw));
        for right in Right::ALL {
            let json = serde_json::to_string(&right).unwrap();
            assert_eq!(json, format!("\"{}\"", right.as_str()));
            assert_eq!(Right::parse(right.as_str()), Some(right));
        }
        let change = PasswordChange {
            current: "old-secret".into(),
            new: "new-secret".into(),
        };
        let shown = format!("{change:?}");
        assert!(!shown.contains("secret"), "{shown}");
    }

    #[test]
    fn error_messages_of_hepscope_and_of_homer_answers() {
        assert_eq!(
            error_message(r#"{"error":"upstream failed","detail":"timeout"}"#).as_deref(),
            Some("upstream failed: timeout")
        );
        assert_eq!(
            error_message(r#"{"data":{},"message":"the search read the store for 30 s"}"#)
                .as_deref(),
            Some("the search read the store for 30 s")
        );
        assert_eq!(error_message(r#"{"data":{},"message":""}"#), None);
        assert_eq!(error_message("<html>bad gateway</html>"), None);
    }

    #[test]
    fn error_body_leaves_out_absent_fields() {
        let body = serde_json::to_string(&ErrorBody::new("nope")).unwrap();
        assert_eq!(body, r#"{"error":"nope"}"#);
    }

    #[test]
    fn role_round_trips_in_lowercase() {
        let role: Role = serde_json::from_str("\"admin\"").unwrap();
        assert_eq!(role, Role::Admin);
        assert_eq!(serde_json::to_string(&Role::Viewer).unwrap(), "\"viewer\"");
    }
}
