//! The HOMER JWT as hepscope holds it: the secret value plus its `exp`, and the login answer parser.
//!
//! The signature is Homer's business; hepscope only reads `exp` (unverified) to renew early.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::secret::Secret;

/// A Homer session token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// The JWT, sent as `Authorization: Bearer …`.
    pub value: Secret,
    /// `exp` from the JWT payload; `None` when absent or unreadable (then it lives until rejected).
    pub expires_at: Option<SystemTime>,
}

impl Token {
    /// Wraps a JWT and reads its `exp` claim without verifying the signature.
    pub fn new(value: String) -> Self {
        let expires_at = jsonwebtoken::dangerous::insecure_decode_claims::<Value>(&value)
            .ok()
            .and_then(|claims| claims.get("exp").and_then(Value::as_f64))
            .filter(|exp| exp.is_finite() && *exp >= 0.0)
            .and_then(|exp| Duration::try_from_secs_f64(exp).ok())
            .and_then(|exp| UNIX_EPOCH.checked_add(exp));
        Self {
            value: Secret::new(value),
            expires_at,
        }
    }

    /// Whether the token should be renewed at `now`: it expires within `renew_before`.
    pub fn needs_renewal(&self, now: SystemTime, renew_before: Duration) -> bool {
        self.expires_at
            .is_some_and(|exp| now.checked_add(renew_before).is_none_or(|t| t >= exp))
    }
}

/// Reads the token from a login answer: HOMER 7 `{"token":…}` or Homer 11
/// `{"success":true,"data":{"token":…}}`.
pub fn token_from_login_body(body: &[u8]) -> Option<String> {
    let json: Value = serde_json::from_slice(body).ok()?;
    json.get("token")
        .or_else(|| json.get("data").and_then(|d| d.get("token")))
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt_with_exp(exp: u64) -> String {
        let claims = serde_json::json!({ "username": "admin", "exp": exp });
        jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(b"k"),
        )
        .unwrap()
    }

    #[test]
    fn token_reads_exp_from_the_payload() {
        let token = Token::new(jwt_with_exp(1_700_000_000));
        assert_eq!(
            token.expires_at,
            Some(UNIX_EPOCH + Duration::from_secs(1_700_000_000))
        );
    }

    #[test]
    fn token_without_readable_exp_never_needs_renewal() {
        let token = Token::new("not-a-jwt".to_owned());
        assert_eq!(token.expires_at, None);
        assert!(!token.needs_renewal(SystemTime::now(), Duration::from_secs(60)));
    }

    #[test]
    fn token_needs_renewal_inside_the_margin() {
        let token = Token::new(jwt_with_exp(1_000));
        let margin = Duration::from_secs(60);
        assert!(!token.needs_renewal(UNIX_EPOCH + Duration::from_secs(900), margin));
        assert!(token.needs_renewal(UNIX_EPOCH + Duration::from_secs(940), margin));
    }

    #[test]
    fn login_body_accepts_homer7_and_homer11_shapes() {
        assert_eq!(
            token_from_login_body(br#"{"token":"a.b.c","scope":"x","user":{"admin":true}}"#),
            Some("a.b.c".to_owned())
        );
        assert_eq!(
            token_from_login_body(br#"{"success":true,"data":{"token":"d.e.f"}}"#),
            Some("d.e.f".to_owned())
        );
        assert_eq!(token_from_login_body(b"<html>"), None);
        assert_eq!(token_from_login_body(br#"{"token":""}"#), None);
    }
}
