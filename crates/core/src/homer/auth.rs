//! `POST /api/v3/auth`: login request and token answer (`docs/homer7-api.md` §2, §14.1 item 11).
//!
//! Homer 7 answers `{token, scope, user:{admin}}`; Homer 11 wraps it as
//! `{"success":true,"data":{...}}`. [`AuthResponse`] reads both into one shape.

use serde::{Deserialize, Deserializer, Serialize};

use super::lenient;

/// The login body. homer-ui also sends `"type":"internal"`, which homer-app ignores.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthRequest {
    /// User name.
    pub username: String,
    /// Password, in clear (TLS is the transport's job).
    pub password: String,
}

impl AuthRequest {
    /// A login body.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            username: username.into(),
            password: password.into(),
        }
    }
}

/// The `user` object of a login answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuthUser {
    /// Whether the user is in an admin group.
    #[serde(deserialize_with = "lenient::bool_or_false")]
    pub admin: bool,
    /// Homer 11 only; Homer 7 does not echo the user name.
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub username: Option<String>,
}

/// A successful login (201): the JWT to send as `Authorization: Bearer <token>`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AuthResponse {
    /// HS256 JWT; its `exp` claim is the expiry.
    pub token: String,
    /// Homer 7: the user's guid; Homer 11: `admin` or `user`.
    pub scope: String,
    /// The user.
    pub user: AuthUser,
}

#[derive(Deserialize)]
struct FlatAuth {
    #[serde(default, deserialize_with = "lenient::string")]
    token: String,
    #[serde(default, deserialize_with = "lenient::string")]
    scope: String,
    #[serde(default)]
    user: AuthUser,
    #[serde(default)]
    data: Option<Box<FlatAuth>>,
}

impl<'de> Deserialize<'de> for AuthResponse {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let flat = FlatAuth::deserialize(de)?;
        let inner = match flat.data {
            Some(data) if flat.token.is_empty() => *data,
            _ => flat,
        };
        if inner.token.is_empty() {
            return Err(serde::de::Error::custom("login answer has no token"));
        }
        Ok(Self {
            token: inner.token,
            scope: inner.scope,
            user: inner.user,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_request_serializes_two_fields() {
        assert_eq!(
            serde_json::to_string(&AuthRequest::new("admin", "sipcapture")).unwrap(),
            r#"{"username":"admin","password":"sipcapture"}"#
        );
    }

    #[test]
    fn auth_response_reads_homer7_shape() {
        let resp: AuthResponse =
            serde_json::from_str(r#"{"token":"a.b.c","scope":"guid-1","user":{"admin":true}}"#)
                .unwrap();
        assert_eq!(resp.token, "a.b.c");
        assert_eq!(resp.scope, "guid-1");
        assert!(resp.user.admin);
        assert_eq!(resp.user.username, None);
    }

    #[test]
    fn auth_response_reads_homer11_wrapped_shape() {
        let resp: AuthResponse = serde_json::from_str(
            r#"{"success":true,"data":{"token":"x.y.z","scope":"user","user":{"admin":false,"username":"bob"}}}"#,
        )
        .unwrap();
        assert_eq!(resp.token, "x.y.z");
        assert_eq!(resp.user.username.as_deref(), Some("bob"));
    }

    #[test]
    fn auth_response_rejects_failure_body() {
        let err = serde_json::from_str::<AuthResponse>(
            r#"{"statuscode":401,"error":"Unauthorized","message":"incorrect password"}"#,
        );
        assert!(err.is_err());
    }
}
