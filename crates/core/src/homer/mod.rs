//! HOMER 7 (`homer-app`, `/api/v3`) request and response types: serde only, no I/O.
//!
//! Written against `docs/homer7-api.md` (homer-app 1.5.20). Requests serialize exactly as homer-app
//! needs them; responses are read leniently, because their shapes vary by endpoint and version
//! (numbers as strings, `node` as string or array, `create_date` as ms, µs or RFC 3339 text).
//! The server uses the same types to answer as a HOMER-compatible backend.

pub mod alias;
pub mod auth;
pub mod lenient;
pub mod mapping;
pub mod message;
mod profile;
pub mod qos;
pub mod row;
pub mod search;
pub mod transaction;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use alias::{Alias, AliasList};
pub use auth::{AuthRequest, AuthResponse, AuthUser};
pub use lenient::CreateDate;
pub use mapping::{MappingList, MappingProfile, NodeList, SmartTagList, SmartTagQuery};
pub use message::MessageRequest;
pub use profile::Profile;
pub use qos::{LogResponse, QosResponse, QosSection};
pub use row::HomerRow;
pub use search::{
    gather, FieldType, FilterElement, Gathered, SearchRequest, SearchResponse, TimeWindow,
};
pub use transaction::{ExportRequest, TransactionRequest, TransactionResponse};

/// Errors reading HOMER answers that are not plain JSON documents.
#[derive(Debug, thiserror::Error)]
pub enum HomerError {
    /// The body of `endpoint` is not the JSON it should be.
    #[error("cannot read the answer of homer's /api/v3/{endpoint}: {source}")]
    Decode {
        /// The endpoint path below `/api/v3/`.
        endpoint: &'static str,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
}

/// A `param.search` key `<hepid>_<profile>` naming the table `hep_proto_<key>`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProfileKey(String);

impl ProfileKey {
    /// SIP calls (INVITE, BYE, CANCEL, ... by CSeq method).
    pub const CALL: &'static str = "1_call";
    /// SIP REGISTER.
    pub const REGISTRATION: &'static str = "1_registration";
    /// Other SIP (OPTIONS, SUBSCRIBE, MESSAGE, ...).
    pub const DEFAULT_SIP: &'static str = "1_default";

    /// `1_call`.
    pub fn call() -> Self {
        Self(Self::CALL.to_owned())
    }

    /// `1_registration`.
    pub fn registration() -> Self {
        Self(Self::REGISTRATION.to_owned())
    }

    /// `1_default`.
    pub fn default_sip() -> Self {
        Self(Self::DEFAULT_SIP.to_owned())
    }

    /// Checks homer-app's key rule `^\d+_[a-zA-Z0-9_]+$` (§3.1); `None` if it fails.
    pub fn parse(key: &str) -> Option<Self> {
        let (hepid, profile) = key.split_once('_')?;
        let ok = !hepid.is_empty()
            && hepid.bytes().all(|b| b.is_ascii_digit())
            && !profile.is_empty()
            && profile
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_');
        ok.then(|| Self(key.to_owned()))
    }

    /// The key text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProfileKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Error bodies: homer-app's `{"data":{},"message"}`, echo's `{"message"}` and the login
/// failure `{"statuscode","error","message"}` all read into this.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HomerErrorBody {
    /// Human-readable message (`"invalid or expired jwt"`, ...).
    #[serde(deserialize_with = "lenient::string")]
    pub message: String,
    /// Login failures: `"Unauthorized"`.
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub error: Option<String>,
    /// Login failures: the HTTP status again.
    #[serde(
        deserialize_with = "lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub statuscode: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_key_follows_homer_key_rule() {
        assert_eq!(ProfileKey::parse("1_call"), Some(ProfileKey::call()));
        assert!(ProfileKey::parse("100_default").is_some());
        assert!(ProfileKey::parse("range").is_none());
        assert!(ProfileKey::parse("x_call").is_none());
        assert!(ProfileKey::parse("1_").is_none());
        assert!(ProfileKey::parse("1_ca-ll").is_none());
    }

    #[test]
    fn error_bodies_read_all_three_shapes() {
        for (json, message) in [
            (
                r#"{"data":{},"message":"request format is not correct"}"#,
                "request format is not correct",
            ),
            (
                r#"{"message":"missing or malformed jwt"}"#,
                "missing or malformed jwt",
            ),
            (
                r#"{"statuscode":401,"error":"Unauthorized","message":"incorrect password"}"#,
                "incorrect password",
            ),
        ] {
            let body: HomerErrorBody = serde_json::from_str(json).unwrap();
            assert_eq!(body.message, message);
        }
    }
}
