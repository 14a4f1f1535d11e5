//! Who may do what, on the wire: a user's [`Rights`], the API tokens' bodies and the audit log's
//! records, shared by the server that writes them and the Settings page that reads them.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::api::{Right, Role};

/// A set of rights. Written as a list of names (`["export", "raw"]`); an unknown name is an error
/// that lists the known ones. `search` is always in it.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Rights(BTreeSet<Right>);

impl Rights {
    /// `rights` plus `search`.
    pub fn new(rights: impl IntoIterator<Item = Right>) -> Rights {
        let mut set: BTreeSet<Right> = rights.into_iter().collect();
        set.insert(Right::Search);
        Rights(set)
    }

    /// What a role may do when the config lists no rights: today's behaviour. A viewer searches,
    /// sees bodies, exports and watches the live stream (without payloads); an admin may do all.
    pub fn for_role(role: Role) -> Rights {
        match role {
            Role::Admin => Rights::new(Right::ALL),
            Role::Viewer => Rights::new([Right::Raw, Right::Export, Right::Live]),
        }
    }

    /// True when `right` is in the set.
    pub fn has(&self, right: Right) -> bool {
        self.0.contains(&right)
    }

    /// Adds `right`.
    pub fn insert(&mut self, right: Right) {
        self.0.insert(right);
    }

    /// Every right in either set.
    pub fn union(&self, other: &Rights) -> Rights {
        Rights(self.0.union(&other.0).copied().collect())
    }

    /// The rights in both sets (still with `search`).
    pub fn intersection(&self, other: &Rights) -> Rights {
        Rights::new(self.0.intersection(&other.0).copied())
    }

    /// True when every right here is also in `other`.
    pub fn is_subset(&self, other: &Rights) -> bool {
        self.0.is_subset(&other.0)
    }

    /// The rights, in order.
    pub fn iter(&self) -> impl Iterator<Item = Right> + '_ {
        self.0.iter().copied()
    }

    /// The rights as a list (for [`app::domain::api::Me`]).
    pub fn to_vec(&self) -> Vec<Right> {
        self.iter().collect()
    }

    /// Parses a list of names.
    ///
    /// # Errors
    /// A name is not a right; the message lists the rights.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Rights, UnknownRight> {
        names
            .iter()
            .map(|n| Right::parse(n.as_ref()).ok_or_else(|| UnknownRight(n.as_ref().to_string())))
            .collect::<Result<Vec<_>, _>>()
            .map(Rights::new)
    }
}

/// A name in a rights list that is not a right.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown right {0:?}; the rights are search, raw, export, share, live, live_payload, import, sql, admin")]
pub struct UnknownRight(pub String);

impl Serialize for Rights {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter())
    }
}

impl<'de> Deserialize<'de> for Rights {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let names = Vec::<String>::deserialize(deserializer)?;
        Rights::parse(&names).map_err(serde::de::Error::custom)
    }
}

/// A token as listed: no hash.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TokenInfo {
    pub id: String,
    pub name: String,
    pub user: String,
    pub rights: Rights,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

/// `POST /api/auth/tokens` answer: the secret, shown this once.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TokenCreated {
    pub id: String,
    pub token: String,
    pub name: String,
    pub rights: Rights,
    pub created_at: i64,
    pub expires_at: Option<i64>,
}

/// `POST /api/auth/tokens` body (the Settings page sends it).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub name: String,
    pub rights: Rights,
    /// e.g. "90d" (the default).
    #[serde(default)]
    pub expires_in: Option<String>,
}

/// One audit record (`GET /api/audit`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// Milliseconds since the Unix epoch.
    pub time: i64,
    /// The user name (as given, for a failed sign-in); empty for an anonymous share reader.
    pub user: String,
    /// The client address, after `[http] trusted_proxies`.
    pub client: String,
    pub action: String,
    pub object: String,
    pub outcome: String,
}
