//! Share link tokens: an HS256 JWT carrying the share's id and expiry, signed with the share key
//! (never the session key, so neither kind of token passes as the other).
//!
//! The signature proves the link was made here; expiry and revocation are decided from the stored
//! record, which is the authority.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// The claims of a share token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareClaims {
    /// The share's id.
    pub sid: String,
    /// Expiry, seconds since the Unix epoch.
    pub exp: i64,
}

/// Signs and checks share tokens.
pub struct ShareSigner {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl ShareSigner {
    /// A signer for `key` (at least 32 random bytes).
    pub fn new(key: &[u8]) -> Self {
        Self {
            encoding: EncodingKey::from_secret(key),
            decoding: DecodingKey::from_secret(key),
        }
    }

    /// The token for share `sid` expiring at `exp`.
    ///
    /// # Errors
    /// Signing failed (it cannot with an HMAC key, but the library returns a `Result`).
    pub fn sign(&self, sid: &str, exp: i64) -> anyhow::Result<String> {
        let claims = ShareClaims {
            sid: sid.to_owned(),
            exp,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| anyhow::anyhow!("signing a share token: {e}"))
    }

    /// The claims of a token this server signed, whatever its expiry; `None` for anything else
    /// (tampered, another key, another algorithm, not a JWT).
    pub fn verify(&self, token: &str) -> Option<ShareClaims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp"]);
        jsonwebtoken::decode::<ShareClaims>(token, &self.decoding, &validation)
            .ok()
            .map(|data| data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn signed_token_verifies_even_after_expiry() {
        let signer = ShareSigner::new(KEY);
        let token = signer.sign("abc", 1).unwrap();
        assert_eq!(
            signer.verify(&token),
            Some(ShareClaims {
                sid: "abc".into(),
                exp: 1
            })
        );
    }

    #[test]
    fn tampered_or_foreign_token_is_refused() {
        let signer = ShareSigner::new(KEY);
        let token = signer.sign("abc", i64::MAX / 2).unwrap();
        // Another share's claims under this token's signature.
        let other_claims = signer.sign("abd", i64::MAX / 2).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        let other_parts: Vec<&str> = other_claims.split('.').collect();
        let tampered = format!("{}.{}.{}", parts[0], other_parts[1], parts[2]);
        assert_eq!(signer.verify(&tampered), None);
        let other = ShareSigner::new(b"another key, also 32 bytes long!");
        assert_eq!(other.verify(&token), None);
        assert_eq!(signer.verify("not-a-token"), None);
        assert_eq!(signer.verify(""), None);
    }
}
