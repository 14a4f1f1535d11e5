//! Rights and how users get them: the [`Right`] each route checks, a user's [`Rights`] (from their
//! role, or listed in the config), and `[[auth.role_map]]`, which turns a directory user's groups
//! into a [`Grant`] (role and rights) for LDAP and OIDC sign-ins.
//!
//! One idiom checks a right everywhere: `session.require(Right::Export)?` in a handler
//! ([`crate::auth::Session::require`]), answering 403 JSON that names the missing right.

pub use app::domain::api::Right;
use app::domain::api::Role;
pub use hepscope_core::access::{Rights, UnknownRight};
use serde::{Deserialize, Serialize};

/// Where a session's user was checked. Local users' role and rights are re-read from the config on
/// every request; external users' come from the token (refreshed at their next sign-in).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentitySource {
    /// `[[users]]` or the built-in admin.
    #[default]
    Local,
    /// `[auth.ldap]`.
    Ldap,
    /// `[auth.oidc]`.
    Oidc,
}

impl IdentitySource {
    /// The name the audit log and answers use.
    pub fn as_str(self) -> &'static str {
        match self {
            IdentitySource::Local => "local",
            IdentitySource::Ldap => "ldap",
            IdentitySource::Oidc => "oidc",
        }
    }
}

/// What a directory user may do: a role and rights.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub role: Role,
    pub rights: Rights,
}

/// One `[[auth.role_map]]` entry as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleMapEntry {
    /// The directory group (LDAP group DN or cn, OIDC groups claim value), compared exactly.
    pub group: String,
    /// The role members get (default `viewer`).
    #[serde(default)]
    pub role: Role,
    /// Rights for members; without it, the role's defaults ([`Rights::for_role`]).
    #[serde(default)]
    pub rights: Option<Rights>,
}

/// `[[auth.role_map]]`: group → role and rights. A directory user in no mapped group is refused.
#[derive(Clone, Debug, Default)]
pub struct RoleMap {
    entries: Vec<RoleMapEntry>,
}

impl RoleMap {
    /// The map from its entries.
    ///
    /// # Errors
    /// An entry has an empty group name.
    pub fn new(entries: Vec<RoleMapEntry>) -> Result<RoleMap, String> {
        if let Some(i) = entries.iter().position(|e| e.group.trim().is_empty()) {
            return Err(format!("entry {} has an empty group", i + 1));
        }
        Ok(RoleMap { entries })
    }

    /// True when no group is mapped.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The grant for a member of `groups`: the highest role and the union of the rights of every
    /// matching entry; `None` (refused) when no entry matches.
    pub fn grant(&self, groups: &[String]) -> Option<Grant> {
        let mut grant: Option<Grant> = None;
        for entry in self.entries.iter().filter(|e| groups.contains(&e.group)) {
            let rights = entry
                .rights
                .clone()
                .unwrap_or_else(|| Rights::for_role(entry.role));
            grant = Some(match grant {
                None => Grant {
                    role: entry.role,
                    rights,
                },
                Some(g) => Grant {
                    role: if g.role == Role::Admin || entry.role == Role::Admin {
                        Role::Admin
                    } else {
                        Role::Viewer
                    },
                    rights: g.rights.union(&rights),
                },
            });
        }
        grant
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(toml_text: &str) -> RoleMap {
        #[derive(Deserialize)]
        struct Wrapper {
            role_map: Vec<RoleMapEntry>,
        }
        let w: Wrapper = toml::from_str(toml_text).unwrap();
        RoleMap::new(w.role_map).unwrap()
    }

    #[test]
    fn rights_parse_from_names_and_always_hold_search() {
        let rights: Rights = serde_json::from_str(r#"["export","raw"]"#).unwrap();
        assert!(rights.has(Right::Search) && rights.has(Right::Export) && rights.has(Right::Raw));
        assert!(!rights.has(Right::Sql));
        assert_eq!(
            serde_json::to_string(&rights).unwrap(),
            r#"["search","raw","export"]"#
        );
        let err = serde_json::from_str::<Rights>(r#"["exports"]"#).unwrap_err();
        assert!(
            err.to_string().contains("unknown right \"exports\""),
            "{err}"
        );
    }

    #[test]
    fn role_defaults_keep_todays_behaviour() {
        let viewer = Rights::for_role(Role::Viewer);
        assert!(viewer.has(Right::Export) && viewer.has(Right::Raw) && viewer.has(Right::Live));
        for right in [
            Right::Share,
            Right::Sql,
            Right::Import,
            Right::Admin,
            Right::LivePayload,
        ] {
            assert!(!viewer.has(right), "{right:?}");
        }
        assert!(Right::ALL
            .iter()
            .all(|r| Rights::for_role(Role::Admin).has(*r)));
    }

    #[test]
    fn the_role_map_takes_the_highest_role_and_the_union_of_rights() {
        let map = map(r#"
            [[role_map]]
            group = "voip-support"
            role = "viewer"
            rights = ["export", "raw", "share"]
            [[role_map]]
            group = "noc"
            rights = ["live"]
            [[role_map]]
            group = "voip-admins"
            role = "admin"
        "#);
        let support = map.grant(&["voip-support".into()]).unwrap();
        assert_eq!(support.role, Role::Viewer);
        assert_eq!(
            support.rights.to_vec(),
            vec![Right::Search, Right::Raw, Right::Export, Right::Share]
        );
        let both = map.grant(&["noc".into(), "voip-support".into()]).unwrap();
        assert!(both.rights.has(Right::Live) && both.rights.has(Right::Share));
        let admin = map.grant(&["noc".into(), "voip-admins".into()]).unwrap();
        assert_eq!(admin.role, Role::Admin);
        assert!(admin.rights.has(Right::Admin));
        assert_eq!(map.grant(&["sales".into()]), None);
        assert_eq!(map.grant(&[]), None);
    }

    #[test]
    fn an_unknown_right_in_the_role_map_is_a_config_error() {
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Wrapper {
            role_map: Vec<RoleMapEntry>,
        }
        let err = toml::from_str::<Wrapper>("[[role_map]]\ngroup = \"g\"\nrights = [\"sudo\"]\n")
            .unwrap_err();
        assert!(err.to_string().contains("unknown right \"sudo\""), "{err}");
    }
}
