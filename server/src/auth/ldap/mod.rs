//! LDAP sign-in: search bind → the user's DN (exactly one entry) → the user's groups → a bind as the
//! user with their password. One connection per login, each step under `timeout`.
//!
//! A user's groups are cached for `cache_ttl` so a re-read of their rights does not ask the directory
//! on every request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ldap3::{Ldap, LdapConnAsync, LdapConnSettings, LdapError, Scope, SearchEntry};

pub use crate::auth_config::ldap::{GroupSource, LdapConfig, RawLdap};
use crate::auth_config::ldap_filter;

/// LDAP result code 49: wrong password, unknown DN, or a locked/disabled account.
const INVALID_CREDENTIALS: u32 = 49;

/// Why an LDAP sign-in did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// The user is unknown, ambiguous, disabled, or the password is wrong: the login form's "wrong user
    /// name or password" (the detail is logged only).
    #[error("wrong user name or password ({0})")]
    Rejected(&'static str),
    /// No answer in time, or no connection: the login answers 503.
    #[error("the directory is unreachable: {0}")]
    Unreachable(String),
    /// The TLS connection could not be set up: the directory's certificate is not trusted, or it
    /// refused StartTLS. The login answers 503 with this message, so the operator sees it is not the
    /// user's password.
    #[error("{0}")]
    Tls(String),
    /// The directory answered with an error other than a refused bind (e.g. the search account's
    /// password is wrong, or a base DN does not exist): a configuration problem.
    #[error("the directory refused {step}: {message}")]
    Refused { step: &'static str, message: String },
}

/// A user the directory signed in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryUser {
    pub dn: String,
    /// Group names (`group_attribute` values), sorted.
    pub groups: Vec<String>,
}

/// Groups by user name, with when they were read.
type GroupCache = HashMap<String, (Instant, Vec<String>)>;

/// The configured directory, with the group cache.
#[derive(Clone)]
pub struct Directory {
    config: Arc<LdapConfig>,
    groups: Arc<Mutex<GroupCache>>,
}

impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Directory")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Directory {
    pub fn new(config: LdapConfig) -> Self {
        Self {
            config: Arc::new(config),
            groups: Arc::default(),
        }
    }

    pub fn config(&self) -> &LdapConfig {
        &self.config
    }

    /// Checks `password` for `username` and reads their groups.
    ///
    /// # Errors
    /// [`DirectoryError::Rejected`] for an empty password (an unauthenticated bind would succeed),
    /// an unknown or ambiguous user, or a refused bind; [`DirectoryError::Unreachable`] when the
    /// directory does not answer within `timeout`.
    pub async fn authenticate(
        &self,
        username: &str,
        password: &str,
    ) -> Result<DirectoryUser, DirectoryError> {
        if password.is_empty() {
            return Err(DirectoryError::Rejected("empty password"));
        }
        let mut ldap = self.connect().await?;
        let result = self.sign_in(&mut ldap, username, password).await;
        // Best effort: the connection ends with the task either way.
        let _ = ldap.unbind().await;
        let user = result?;
        self.remember(username, &user.groups);
        Ok(user)
    }

    /// The current groups of `username` (signed in earlier): from the cache while younger than
    /// `cache_ttl`, else read again with the search account. So a changed membership applies within
    /// `cache_ttl` without asking the directory on every request.
    ///
    /// # Errors
    /// The user is gone ([`DirectoryError::Rejected`]), or the directory fails.
    pub async fn groups_of(&self, username: &str) -> Result<Vec<String>, DirectoryError> {
        if let Some(groups) = self.cached_groups(username) {
            return Ok(groups);
        }
        let mut ldap = self.connect().await?;
        let result = self.lookup(&mut ldap, username).await;
        let _ = ldap.unbind().await;
        let user = result?;
        self.remember(username, &user.groups);
        Ok(user.groups)
    }

    /// The groups of `username` as last read, while younger than `cache_ttl`.
    pub fn cached_groups(&self, username: &str) -> Option<Vec<String>> {
        let cache = self.groups.lock().ok()?;
        let (at, groups) = cache.get(username)?;
        (at.elapsed() < self.config.cache_ttl).then(|| groups.clone())
    }

    fn remember(&self, username: &str, groups: &[String]) {
        if let Ok(mut cache) = self.groups.lock() {
            let ttl = self.config.cache_ttl;
            cache.retain(|_, (at, _)| at.elapsed() < ttl);
            cache.insert(username.to_string(), (Instant::now(), groups.to_vec()));
        }
    }

    async fn connect(&self) -> Result<Ldap, DirectoryError> {
        let mut settings = LdapConnSettings::new()
            .set_conn_timeout(self.config.timeout)
            .set_starttls(self.config.starttls);
        if let Some(tls) = &self.config.tls {
            settings = settings.set_config(Arc::clone(tls));
        }
        let connecting = LdapConnAsync::with_settings(settings, &self.config.url);
        let (conn, ldap) = tokio::time::timeout(self.config.timeout, connecting)
            .await
            .map_err(|_| timed_out(self.config.timeout, "connecting"))?
            .map_err(|e| connect_error(e, self.config.starttls))?;
        tokio::spawn(async move {
            if let Err(e) = conn.drive().await {
                tracing::debug!(error = %e, "LDAP connection ended");
            }
        });
        Ok(ldap)
    }

    /// The user's entry and groups, found with the search account.
    async fn lookup(
        &self,
        ldap: &mut Ldap,
        username: &str,
    ) -> Result<DirectoryUser, DirectoryError> {
        let config = &self.config;
        let timeout = config.timeout;
        if let Some((dn, secret)) = &config.bind {
            let bound = ldap
                .with_timeout(timeout)
                .simple_bind(dn, secret.expose())
                .await;
            check(bound, "the search account's bind", timeout)?;
        }
        let filter = ldap_filter::render(&config.user_filter, &[("username", username)]);
        let mut attributes = vec!["1.1".to_string()];
        if let GroupSource::Attribute(name) = &config.groups {
            attributes = vec![name.clone()];
        }
        let found = ldap
            .with_timeout(timeout)
            .search(&config.user_base, Scope::Subtree, &filter, attributes)
            .await;
        let entries = search_entries(found, "the user search", timeout)?;
        let entry = match entries.as_slice() {
            [one] => one,
            [] => return Err(DirectoryError::Rejected("unknown user")),
            _ => {
                return Err(DirectoryError::Rejected(
                    "the user filter matches several entries",
                ))
            }
        };
        let groups = match &config.groups {
            GroupSource::Attribute(name) => {
                let dns = entry.attrs.get(name).cloned().unwrap_or_default();
                group_names(&dns, &config.group_attribute)
            }
            GroupSource::Search { base, filter } => {
                let filter =
                    ldap_filter::render(filter, &[("dn", &entry.dn), ("username", username)]);
                let found = ldap
                    .with_timeout(timeout)
                    .search(
                        base,
                        Scope::Subtree,
                        &filter,
                        vec![config.group_attribute.clone()],
                    )
                    .await;
                let mut names: Vec<String> = search_entries(found, "the group search", timeout)?
                    .into_iter()
                    .filter_map(|group| group.attrs.get(&config.group_attribute)?.first().cloned())
                    .collect();
                names.sort();
                names.dedup();
                names
            }
        };
        Ok(DirectoryUser {
            dn: entry.dn.clone(),
            groups,
        })
    }

    async fn sign_in(
        &self,
        ldap: &mut Ldap,
        username: &str,
        password: &str,
    ) -> Result<DirectoryUser, DirectoryError> {
        let timeout = self.config.timeout;
        let user = self.lookup(ldap, username).await?;
        let bound = ldap
            .with_timeout(timeout)
            .simple_bind(&user.dn, password)
            .await;
        match bound.map(ldap3::LdapResult::success) {
            Ok(Ok(_)) => Ok(user),
            Ok(Err(LdapError::LdapResult { result })) if result.rc == INVALID_CREDENTIALS => Err(
                DirectoryError::Rejected("the directory refused the password"),
            ),
            Ok(Err(e)) | Err(e) => Err(classify(e, "the user's bind", timeout)),
        }
    }
}

/// Why connecting failed: a TLS problem (untrusted certificate, StartTLS refused) is named as such,
/// since "unreachable" would send the operator looking at the network; the rest is unreachable.
fn connect_error(error: LdapError, starttls: bool) -> DirectoryError {
    if let LdapError::Io { source } = &error {
        let tls = source
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>());
        if let Some(tls) = tls {
            return DirectoryError::Tls(match tls {
                rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer) => {
                    "the directory's TLS certificate is not trusted (unknown issuer); \
                     set [auth.ldap] ca_file to the CA that signed it"
                        .to_string()
                }
                // Expired, issued for another name, revoked, ...: the hint above would mislead.
                rustls::Error::InvalidCertificate(why) => {
                    format!("the directory's TLS certificate is not accepted: {why:?}")
                }
                other => format!("the TLS handshake with the directory failed: {other}"),
            });
        }
    }
    match error {
        // Only StartTLS answers with an LDAP result while connecting.
        LdapError::LdapResult { result } if starttls => DirectoryError::Tls(format!(
            "the directory does not offer StartTLS (result code {}: {}); \
             enable TLS on the directory, or use ldaps://",
            result.rc, result.text
        )),
        other => DirectoryError::Unreachable(format!("connecting: {other}")),
    }
}

fn timed_out(timeout: Duration, step: &str) -> DirectoryError {
    DirectoryError::Unreachable(format!(
        "no answer within {} ms ({step})",
        timeout.as_millis()
    ))
}

/// A transport error or timeout is "unreachable"; an LDAP error result is a refusal.
fn classify(error: LdapError, step: &'static str, timeout: Duration) -> DirectoryError {
    match error {
        LdapError::LdapResult { result } => DirectoryError::Refused {
            step,
            message: format!("result code {}: {}", result.rc, result.text),
        },
        LdapError::Timeout { .. } => timed_out(timeout, step),
        LdapError::Io { .. }
        | LdapError::EndOfStream
        | LdapError::OpSend { .. }
        | LdapError::ResultRecv { .. }
        | LdapError::IdScrubSend { .. }
        | LdapError::MiscSend { .. } => {
            DirectoryError::Unreachable(format!("{step}: {other}", other = error))
        }
        // A filter the library cannot parse, TLS set-up and the like: not the network's fault.
        other => DirectoryError::Refused {
            step,
            message: other.to_string(),
        },
    }
}

fn check(
    result: ldap3::result::Result<ldap3::LdapResult>,
    step: &'static str,
    timeout: Duration,
) -> Result<(), DirectoryError> {
    result
        .and_then(ldap3::LdapResult::success)
        .map(|_| ())
        .map_err(|e| classify(e, step, timeout))
}

fn search_entries(
    result: ldap3::result::Result<ldap3::SearchResult>,
    step: &'static str,
    timeout: Duration,
) -> Result<Vec<SearchEntry>, DirectoryError> {
    let (entries, _) = result
        .and_then(ldap3::SearchResult::success)
        .map_err(|e| classify(e, step, timeout))?;
    Ok(entries.into_iter().map(SearchEntry::construct).collect())
}

/// Group names from `memberOf` DNs: the first RDN's value when its type is `attribute`
/// (`CN=voip-support,OU=Groups,DC=corp` → `voip-support`), else the whole DN.
fn group_names(dns: &[String], attribute: &str) -> Vec<String> {
    let mut names: Vec<String> = dns
        .iter()
        .map(|dn| {
            dn.split_once(',')
                .map_or(dn.as_str(), |(rdn, _)| rdn)
                .split_once('=')
                .filter(|(kind, _)| kind.trim().eq_ignore_ascii_case(attribute))
                .map_or_else(|| dn.clone(), |(_, value)| value.trim().to_string())
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_of_dns_give_group_names() {
        let dns = vec![
            "CN=voip-support,OU=Groups,DC=corp,DC=example".to_string(),
            "cn=noc,ou=groups,dc=example,dc=org".to_string(),
            "ou=special,dc=example".to_string(),
        ];
        assert_eq!(
            group_names(&dns, "cn"),
            vec!["noc", "ou=special,dc=example", "voip-support"]
        );
    }

    #[tokio::test]
    async fn an_empty_password_is_refused_without_asking() {
        let config: RawLdap =
            toml::from_str("url = 'ldap://127.0.0.1:1'\nuser_base = 'o=x'\nmember_of = 'memberOf'")
                .unwrap();
        let config =
            LdapConfig::from_raw(config, &std::collections::BTreeMap::<String, String>::new())
                .unwrap();
        let directory = Directory::new(config);
        assert!(matches!(
            directory.authenticate("alice", "").await,
            Err(DirectoryError::Rejected("empty password"))
        ));
    }
}
