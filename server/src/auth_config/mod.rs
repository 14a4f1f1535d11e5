//! The validated `[auth]` settings and `[[users]]` entries. Apart from [`crate::auth`] and
//! [`crate::users`] so both read them without importing each other or [`crate::config`].

pub mod ldap;
pub mod ldap_filter;
pub mod oidc;

use std::time::Duration;

use app::domain::api::Role;

use crate::settings::redacted;

/// A user from the config file. `Debug` hides the hash.
#[derive(Clone)]
pub struct ConfiguredUser {
    pub username: String,
    pub password_hash: String,
    pub role: Role,
    /// The `share = true` right.
    pub share: bool,
    /// `rights = [...]`, when listed.
    pub rights: Option<crate::rights::Rights>,
}

/// Session and login settings. `Debug` hides the secrets.
#[derive(Clone)]
pub struct AuthConfig {
    pub jwt_secret: Option<String>,
    pub session_ttl: Duration,
    pub cookie_secure: bool,
    pub max_failed_logins: u32,
    pub lockout_window: Duration,
    /// `HEPSCOPE_ADMIN_PASSWORD`: sets the password of the built-in `admin` when no users are configured.
    pub admin_password: Option<String>,
    /// `[[auth.role_map]]`: what directory (LDAP, OIDC) users get by group.
    pub role_map: crate::rights::RoleMap,
    /// `[auth] local` (default true): hepscope's own users may log in with a password.
    pub local: bool,
    /// `[auth.ldap]`, when set.
    pub ldap: Option<ldap::LdapConfig>,
    /// `[auth.oidc]`, when set.
    pub oidc: Option<oidc::OidcConfig>,
}

impl std::fmt::Debug for ConfiguredUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fmt_user(
            f,
            "ConfiguredUser",
            (&self.username, &self.role, self.share),
        )
    }
}

impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthConfig")
            .field(
                "jwt_secret",
                &format_args!("{}", redacted(&self.jwt_secret)),
            )
            .field("session_ttl", &self.session_ttl)
            .field("cookie_secure", &self.cookie_secure)
            .field("max_failed_logins", &self.max_failed_logins)
            .field("lockout_window", &self.lockout_window)
            .field("local", &self.local)
            .field("ldap", &self.ldap)
            .field("oidc", &self.oidc)
            .field(
                "admin_password",
                &format_args!("{}", redacted(&self.admin_password)),
            )
            .finish_non_exhaustive()
    }
}

/// `Debug` of a user with its password hash hidden.
pub(crate) fn fmt_user(
    f: &mut std::fmt::Formatter<'_>,
    type_name: &str,
    (username, role, share): (&str, &Role, bool),
) -> std::fmt::Result {
    f.debug_struct(type_name)
        .field("username", &username)
        .field("password_hash", &format_args!("***"))
        .field("role", role)
        .field("share", &share)
        .finish()
}
