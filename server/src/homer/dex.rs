//! dex's Homer settings (`~/.dex/config.json`, `HOMER_*` env) and the credential resolution order.
//!
//! Per backend, each of username and password resolves in dex's order: the backend's own
//! hepscope config, then the dex endpoint entry for its URL, then env `HOMER_USERNAME` /
//! `HOMER_PASSWORD`, then dex's global `homer.username` / `homer.password`, then `admin`/`admin`
//! (logged as a warning). The environment comes in as a lookup so tests control it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::secret::Secret;

/// Env var naming a Homer URL when the config has none.
pub const ENV_URL: &str = "HOMER_URL";
/// Env var with the Homer login name.
pub const ENV_USERNAME: &str = "HOMER_USERNAME";
/// Env var with the Homer password.
pub const ENV_PASSWORD: &str = "HOMER_PASSWORD";

/// The parts of dex's `config.json` that hepscope reads; everything else is ignored.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct DexConfig {
    /// The `homer` object.
    #[serde(default)]
    pub homer: DexHomer,
}

/// dex's `homer` object.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct DexHomer {
    /// A default Homer URL.
    #[serde(default)]
    pub url: Option<String>,
    /// Global login name.
    #[serde(default)]
    pub username: Option<String>,
    /// Global password.
    #[serde(default)]
    pub password: Option<Secret>,
    /// Per-URL credentials.
    #[serde(default)]
    pub endpoints: BTreeMap<String, DexEndpoint>,
}

/// Credentials for one Homer URL in dex's config.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct DexEndpoint {
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<Secret>,
}

/// Why dex's config could not be read. A missing file is not an error.
#[derive(Debug, thiserror::Error)]
pub enum DexError {
    #[error("reading dex config {path:?}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("dex config {path:?} is not valid JSON: {source}")]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

/// `$HOME/.dex/config.json`, or `None` without `HOME`.
pub fn default_dex_path(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    env("HOME").map(|home| Path::new(&home).join(".dex").join("config.json"))
}

/// Reads dex's config; `Ok(None)` when the file does not exist.
///
/// # Errors
/// An unreadable file or invalid JSON.
pub fn load_dex_config(path: &Path) -> Result<Option<DexConfig>, DexError> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse_dex_config(&text)
            .map(Some)
            .map_err(|source| DexError::Parse {
                path: path.to_owned(),
                source,
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(DexError::Read {
            path: path.to_owned(),
            source,
        }),
    }
}

/// Parses the text of dex's config.
///
/// # Errors
/// Invalid JSON, or a `homer` object of the wrong shape.
pub fn parse_dex_config(text: &str) -> Result<DexConfig, serde_json::Error> {
    serde_json::from_str(text)
}

/// A login name and password for one Homer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: Secret,
}

/// Where a credential came from, for logs and `check` output (never the value).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialSource {
    /// The backend's own `[[homer]]` entry.
    Backend,
    /// dex's `homer.endpoints` entry for this URL.
    DexEndpoint,
    /// `HOMER_USERNAME` / `HOMER_PASSWORD`.
    Env,
    /// dex's global `homer.username` / `homer.password`.
    DexGlobal,
    /// The `admin`/`admin` fallback.
    Default,
}

/// Resolved credentials and the source of each half.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedCredentials {
    pub credentials: Credentials,
    pub username_from: CredentialSource,
    pub password_from: CredentialSource,
}

/// Resolves the credentials for the Homer at `url` in dex's order (see the module doc).
///
/// `own_username` / `own_password` are the backend's own config values, which win over dex.
/// Logs a warning (without values) when a default is used.
pub fn resolve_credentials(
    url: &str,
    own_username: Option<&str>,
    own_password: Option<&Secret>,
    dex: Option<&DexConfig>,
    env: &dyn Fn(&str) -> Option<String>,
) -> ResolvedCredentials {
    let endpoint = dex.and_then(|d| find_endpoint(&d.homer.endpoints, url));
    let global = dex.map(|d| &d.homer);

    let username_candidates = [
        (own_username.map(str::to_owned), CredentialSource::Backend),
        (
            endpoint.and_then(|e| e.username.clone()),
            CredentialSource::DexEndpoint,
        ),
        (env(ENV_USERNAME), CredentialSource::Env),
        (
            global.and_then(|g| g.username.clone()),
            CredentialSource::DexGlobal,
        ),
    ];
    let password_candidates = [
        (own_password.cloned(), CredentialSource::Backend),
        (
            endpoint.and_then(|e| e.password.clone()),
            CredentialSource::DexEndpoint,
        ),
        (env(ENV_PASSWORD).map(Secret::new), CredentialSource::Env),
        (
            global.and_then(|g| g.password.clone()),
            CredentialSource::DexGlobal,
        ),
    ];
    let (username, username_from) = first_set(username_candidates)
        .unwrap_or_else(|| ("admin".to_owned(), CredentialSource::Default));
    let (password, password_from) = first_set(password_candidates)
        .unwrap_or_else(|| (Secret::new("admin"), CredentialSource::Default));
    if username_from == CredentialSource::Default || password_from == CredentialSource::Default {
        tracing::warn!(
            homer = url,
            "no Homer credentials configured; falling back to the default admin/admin"
        );
    }
    ResolvedCredentials {
        credentials: Credentials { username, password },
        username_from,
        password_from,
    }
}

fn first_set<T, const N: usize>(
    candidates: [(Option<T>, CredentialSource); N],
) -> Option<(T, CredentialSource)> {
    candidates
        .into_iter()
        .find_map(|(value, source)| value.map(|v| (v, source)))
}

/// The endpoint entry whose URL equals `url`, ignoring case and a trailing `/`.
fn find_endpoint<'a>(
    endpoints: &'a BTreeMap<String, DexEndpoint>,
    url: &str,
) -> Option<&'a DexEndpoint> {
    let wanted = normalise_url(url);
    endpoints
        .iter()
        .find(|(key, _)| normalise_url(key) == wanted)
        .map(|(_, endpoint)| endpoint)
}

fn normalise_url(url: &str) -> String {
    url.trim().trim_end_matches('/').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "http://homer.example:9080";

    fn dex() -> DexConfig {
        parse_dex_config(
            r#"{"other":{"x":1},"homer":{"username":"guser","password":"gpass",
                "endpoints":{"http://HOMER.example:9080/":{"username":"euser","password":"epass"},
                             "http://elsewhere":{"username":"nope","password":"nope"}}}}"#,
        )
        .unwrap()
    }

    fn env_with(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k: &str| {
            vars.iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    const ENV: &[(&str, &str)] = &[(ENV_USERNAME, "envuser"), (ENV_PASSWORD, "envpass")];

    #[test]
    fn resolve_prefers_the_backends_own_credentials() {
        let own = Secret::new("ownpass");
        let r = resolve_credentials(URL, Some("own"), Some(&own), Some(&dex()), &env_with(ENV));
        assert_eq!(r.credentials.username, "own");
        assert_eq!(r.credentials.password.expose(), "ownpass");
        assert_eq!(r.password_from, CredentialSource::Backend);
    }

    #[test]
    fn resolve_takes_dex_endpoint_before_env() {
        let r = resolve_credentials(URL, None, None, Some(&dex()), &env_with(ENV));
        assert_eq!(r.credentials.username, "euser");
        assert_eq!(r.credentials.password.expose(), "epass");
        assert_eq!(r.username_from, CredentialSource::DexEndpoint);
    }

    #[test]
    fn resolve_takes_env_before_dex_global() {
        let r = resolve_credentials("http://other", None, None, Some(&dex()), &env_with(ENV));
        assert_eq!(r.credentials.username, "envuser");
        assert_eq!(r.credentials.password.expose(), "envpass");
        assert_eq!(r.password_from, CredentialSource::Env);
    }

    #[test]
    fn resolve_takes_dex_global_without_env() {
        let r = resolve_credentials("http://other", None, None, Some(&dex()), &env_with(&[]));
        assert_eq!(r.credentials.username, "guser");
        assert_eq!(r.password_from, CredentialSource::DexGlobal);
    }

    #[test]
    fn resolve_falls_back_to_admin_admin() {
        let r = resolve_credentials(URL, None, None, None, &env_with(&[]));
        assert_eq!(r.credentials.username, "admin");
        assert_eq!(r.credentials.password.expose(), "admin");
        assert_eq!(r.username_from, CredentialSource::Default);
    }

    #[test]
    fn resolve_mixes_sources_per_field() {
        let r = resolve_credentials(
            "http://other",
            Some("own"),
            None,
            None,
            &env_with(&[(ENV_PASSWORD, "envpass")]),
        );
        assert_eq!(r.username_from, CredentialSource::Backend);
        assert_eq!(r.password_from, CredentialSource::Env);
    }

    #[test]
    fn load_dex_config_treats_a_missing_file_as_none() {
        let path = Path::new("/nonexistent/hepscope/dex/config.json");
        assert!(load_dex_config(path).unwrap().is_none());
    }

    #[test]
    fn default_dex_path_uses_home() {
        let path = default_dex_path(&env_with(&[("HOME", "/home/u")])).unwrap();
        assert_eq!(path, Path::new("/home/u/.dex/config.json"));
    }

    #[test]
    fn dex_config_debug_hides_passwords() {
        let text = format!("{:?}", dex());
        assert!(!text.contains("gpass") && !text.contains("epass"), "{text}");
    }
}
