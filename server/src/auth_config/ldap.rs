//! `[auth.ldap]`: where the directory is, how hepscope searches it, and how groups are read.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};
use serde::Deserialize;

use super::ldap_filter::is_valid_template;
use crate::secret::Secret;
use crate::settings::{duration_setting, ConfigError, Env};

/// Default `user_filter`.
pub const DEFAULT_USER_FILTER: &str = "(uid={username})";
/// Default `group_filter`.
pub const DEFAULT_GROUP_FILTER: &str = "(member={dn})";

/// `[auth.ldap]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLdap {
    /// `ldap://host[:389]` or `ldaps://host[:636]`.
    pub url: String,
    /// Upgrade an `ldap://` connection with StartTLS.
    pub starttls: Option<bool>,
    /// PEM file of CA certificates trusted in addition to the system roots (a company CA).
    pub ca_file: Option<PathBuf>,
    /// The account hepscope searches with; anonymous search when absent.
    pub bind_dn: Option<String>,
    /// Environment variable holding `bind_dn`'s password.
    pub bind_password_env: Option<String>,
    /// File holding `bind_dn`'s password (one line).
    pub bind_password_file: Option<PathBuf>,
    /// Subtree searched for the user.
    pub user_base: String,
    /// Filter finding the user; `{username}` is replaced, escaped.
    pub user_filter: Option<String>,
    /// Subtree searched for the user's groups.
    pub group_base: Option<String>,
    /// Filter finding the user's groups; `{dn}` (the user's DN) and `{username}` are replaced, escaped.
    pub group_filter: Option<String>,
    /// Read groups from this attribute of the user entry (e.g. `memberOf`) instead of a group search.
    pub member_of: Option<String>,
    /// The group's name attribute (default `cn`).
    pub group_attribute: Option<String>,
    /// Connect and per-operation timeout (default 5s).
    pub timeout: Option<String>,
    /// How long a user's groups are kept before the directory is asked again (default 5m).
    pub cache_ttl: Option<String>,
}

/// Validated `[auth.ldap]`. `Debug` hides the password.
#[derive(Clone)]
pub struct LdapConfig {
    pub url: String,
    pub starttls: bool,
    pub ca_file: Option<PathBuf>,
    /// With `ca_file`: a rustls config trusting the system roots plus its certificates, built at
    /// config load so a missing or empty file stops the start instead of failing every sign-in.
    /// `None`: ldap3's own (the system roots).
    pub tls: Option<Arc<ClientConfig>>,
    /// The search account and its password; `None` searches anonymously.
    pub bind: Option<(String, Secret)>,
    pub user_base: String,
    pub user_filter: String,
    pub groups: GroupSource,
    /// The group's name attribute, also the RDN type taken from `member_of` DNs.
    pub group_attribute: String,
    pub timeout: Duration,
    pub cache_ttl: Duration,
}

/// Where a user's groups come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupSource {
    /// A search under `base` with `filter`.
    Search { base: String, filter: String },
    /// An attribute of the user entry holding group DNs (Active Directory's `memberOf`).
    Attribute(String),
}

impl std::fmt::Debug for LdapConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LdapConfig")
            .field("url", &self.url)
            .field("starttls", &self.starttls)
            .field("ca_file", &self.ca_file)
            .field("bind_dn", &self.bind.as_ref().map(|(dn, _)| dn))
            .field("user_base", &self.user_base)
            .field("user_filter", &self.user_filter)
            .field("groups", &self.groups)
            .field("group_attribute", &self.group_attribute)
            .field("timeout", &self.timeout)
            .field("cache_ttl", &self.cache_ttl)
            .finish_non_exhaustive()
    }
}

fn invalid(what: &str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        what: format!("auth.ldap.{what}"),
        message: message.into(),
    }
}

impl LdapConfig {
    /// Validates `[auth.ldap]`, reading the bind password from its file or variable.
    ///
    /// # Errors
    /// A URL that is not ldap:// or ldaps://, StartTLS on ldaps://, a filter without its placeholder or
    /// with unbalanced parentheses, a bind DN without a password (or two password sources), no group
    /// source, or a zero timeout.
    pub fn from_raw(raw: RawLdap, env: &dyn Env) -> Result<LdapConfig, ConfigError> {
        let url = raw.url.trim().to_string();
        let ldaps = url.starts_with("ldaps://");
        if !ldaps && !url.starts_with("ldap://") {
            return Err(invalid(
                "url",
                format!("{url:?} is not ldap://host[:port] or ldaps://host[:port]"),
            ));
        }
        let starttls = raw.starttls.unwrap_or(false);
        if starttls && ldaps {
            return Err(invalid(
                "starttls",
                "StartTLS upgrades ldap:// connections; ldaps:// is TLS already",
            ));
        }
        let tls = raw.ca_file.as_deref().map(tls_config).transpose()?;
        let bind = match raw.bind_dn {
            None => {
                if raw.bind_password_env.is_some() || raw.bind_password_file.is_some() {
                    return Err(invalid("bind_dn", "a bind password is set without bind_dn"));
                }
                None
            }
            Some(dn) => Some((
                dn,
                bind_password(
                    raw.bind_password_env.as_deref(),
                    raw.bind_password_file.as_deref(),
                    env,
                )?,
            )),
        };
        if raw.user_base.trim().is_empty() {
            return Err(invalid(
                "user_base",
                "is empty; e.g. ou=people,dc=example,dc=org",
            ));
        }
        let user_filter = raw
            .user_filter
            .unwrap_or_else(|| DEFAULT_USER_FILTER.into());
        if !is_valid_template(&user_filter, "username") {
            return Err(invalid(
                "user_filter",
                format!("{user_filter:?} must be a parenthesized filter with {{username}}"),
            ));
        }
        let groups = match (raw.member_of, raw.group_base) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "member_of",
                    "set member_of (groups from the user entry) or group_base (a group search), not both",
                ))
            }
            (Some(attribute), None) => GroupSource::Attribute(attribute),
            (None, Some(base)) => {
                let filter = raw
                    .group_filter
                    .unwrap_or_else(|| DEFAULT_GROUP_FILTER.into());
                if !is_valid_template(&filter, "dn") && !is_valid_template(&filter, "username") {
                    return Err(invalid(
                        "group_filter",
                        format!("{filter:?} must be a parenthesized filter with {{dn}} or {{username}}"),
                    ));
                }
                GroupSource::Search { base, filter }
            }
            (None, None) => {
                return Err(invalid(
                    "group_base",
                    "set group_base (a group search) or member_of (e.g. \"memberOf\"): groups map to roles",
                ))
            }
        };
        let timeout = duration_setting("auth.ldap.timeout", raw.timeout, "5s")?;
        if timeout.is_zero() {
            return Err(invalid("timeout", "must be more than 0s"));
        }
        Ok(LdapConfig {
            url,
            starttls,
            ca_file: raw.ca_file,
            tls,
            bind,
            user_base: raw.user_base,
            user_filter,
            groups,
            group_attribute: raw.group_attribute.unwrap_or_else(|| "cn".into()),
            timeout,
            cache_ttl: duration_setting("auth.ldap.cache_ttl", raw.cache_ttl, "5m")?,
        })
    }
}

/// The certificates in the PEM file `path` (at least one).
fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
    let err = |message: String| invalid("ca_file", format!("{}: {message}", path.display()));
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| err(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| err(e.to_string()))?;
    if certs.is_empty() {
        return Err(err(
            "no PEM certificate (-----BEGIN CERTIFICATE-----) in it".into(),
        ));
    }
    Ok(certs)
}

/// A rustls client config trusting the system roots plus the certificates in `ca_file`.
fn tls_config(ca_file: &Path) -> Result<Arc<ClientConfig>, ConfigError> {
    let mut roots = RootCertStore::empty();
    // Unreadable system certificates are skipped, as ldap3 does: `ca_file` may be all that is needed.
    let system = rustls_native_certs::load_native_certs();
    for error in &system.errors {
        tracing::debug!(%error, "a system CA certificate was not loaded");
    }
    roots.add_parsable_certificates(system.certs);
    for cert in read_ca_file(ca_file)? {
        roots.add(cert).map_err(|e| {
            invalid(
                "ca_file",
                format!(
                    "{}: a certificate cannot be trusted: {e}",
                    ca_file.display()
                ),
            )
        })?;
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid("ca_file", format!("TLS set-up: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The search account's password from exactly one of its sources.
fn bind_password(
    var: Option<&str>,
    file: Option<&Path>,
    env: &dyn Env,
) -> Result<Secret, ConfigError> {
    match (var, file) {
        (Some(_), Some(_)) => Err(invalid(
            "bind_password_env",
            "set bind_password_env or bind_password_file, not both",
        )),
        (Some(var), None) => env
            .var(var)
            .map(Secret::new)
            .ok_or_else(|| invalid("bind_password_env", format!("{var:?} is not set"))),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| invalid("bind_password_file", format!("{}: {e}", path.display())))?;
            Ok(Secret::new(text.trim_end_matches(['\r', '\n'])))
        }
        (None, None) => Err(invalid(
            "bind_dn",
            "needs bind_password_env or bind_password_file",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn parse(text: &str, env: &[(&str, &str)]) -> Result<LdapConfig, ConfigError> {
        let raw: RawLdap = toml::from_str(text).unwrap();
        let env: BTreeMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        LdapConfig::from_raw(raw, &env)
    }

    const BASE: &str = "url = 'ldap://127.0.0.1:389'\nuser_base = 'ou=people,dc=example,dc=org'\n";

    #[test]
    fn defaults() {
        let config = parse(
            &format!("{BASE}group_base = 'ou=groups,dc=example,dc=org'"),
            &[],
        )
        .unwrap();
        assert_eq!(config.user_filter, "(uid={username})");
        assert_eq!(
            config.groups,
            GroupSource::Search {
                base: "ou=groups,dc=example,dc=org".into(),
                filter: "(member={dn})".into()
            }
        );
        assert_eq!(config.group_attribute, "cn");
        assert_eq!(config.timeout, Duration::from_secs(5));
        assert_eq!(config.cache_ttl, Duration::from_secs(300));
        assert!(!config.starttls);
        assert!(config.ca_file.is_none() && config.tls.is_none());
        assert!(config.bind.is_none());
    }

    #[test]
    fn bind_password_from_env_and_hidden() {
        let text = format!(
            "{BASE}member_of = 'memberOf'\nbind_dn = 'cn=svc'\nbind_password_env = 'LDAP_PW'"
        );
        let config = parse(&text, &[("LDAP_PW", "s3cret")]).unwrap();
        assert_eq!(config.bind.as_ref().unwrap().1.expose(), "s3cret");
        assert!(!format!("{config:?}").contains("s3cret"));
        let missing = parse(&text, &[]).unwrap_err().to_string();
        assert!(missing.contains("LDAP_PW"), "{missing}");
    }

    #[test]
    fn mistakes_are_named() {
        let cases = [
            (
                "url = 'http://x'\nuser_base = 'o=x'\nmember_of = 'memberOf'",
                "url",
            ),
            (
                "url = 'ldaps://x'\nstarttls = true\nuser_base = 'o=x'\nmember_of = 'memberOf'",
                "starttls",
            ),
            (BASE, "group_base"),
            (
                &format!("{BASE}member_of = 'memberOf'\nuser_filter = 'uid={{username}}'"),
                "user_filter",
            ),
            (
                &format!("{BASE}member_of = 'memberOf'\nbind_dn = 'cn=svc'"),
                "bind_dn",
            ),
            (
                &format!("{BASE}member_of = 'memberOf'\ntimeout = '0s'"),
                "timeout",
            ),
            (
                &format!("{BASE}group_base = 'o=g'\ngroup_filter = '(member=x)'"),
                "group_filter",
            ),
        ];
        for (text, what) in cases {
            let error = parse(text, &[]).unwrap_err().to_string();
            assert!(
                error.contains(&format!("auth.ldap.{what}")),
                "{text}: {error}"
            );
        }
    }

    #[test]
    fn ca_file_is_read_at_load_and_its_mistakes_are_named() {
        let dir = std::env::temp_dir().join(format!("hepscope-ldap-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let text = |path: &Path| {
            format!(
                "{BASE}member_of = 'memberOf'\nca_file = '{}'",
                path.display()
            )
        };
        let missing = dir.join("missing.pem");
        let error = parse(&text(&missing), &[]).unwrap_err().to_string();
        assert!(error.contains("auth.ldap.ca_file"), "{error}");
        assert!(error.contains("missing.pem"), "{error}");

        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let error = parse(&text(&empty), &[]).unwrap_err().to_string();
        assert!(error.contains("auth.ldap.ca_file"), "{error}");
        assert!(error.contains("no PEM certificate"), "{error}");

        let good = dir.join("ca.pem");
        let ca = rcgen::generate_simple_self_signed(vec!["ca.example".to_string()]).unwrap();
        std::fs::write(&good, ca.cert.pem()).unwrap();
        let config = parse(&text(&good), &[]).unwrap();
        assert_eq!(config.ca_file.as_ref(), Some(&good));
        assert!(config.tls.is_some());
        assert!(format!("{config:?}").contains("ca.pem"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
