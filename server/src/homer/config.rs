//! `[[homer]]` entries of the server's TOML config: one named HOMER 7 backend each.
//!
//! Holds the raw, as-written form ([`HomerBackendConfig`]) and the checks that turn it into
//! something a client can use: a base URL without credentials, timeouts as `Duration`, and the
//! password taken from exactly one of `password`, `password_file` or `password_env`. Reads no
//! environment itself: the caller passes a lookup.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::Url;
use serde::{Deserialize, Deserializer};

use crate::secret::Secret;

/// Connect timeout when a backend sets none.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Whole-request timeout (until response headers) when a backend sets none.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest answer taken from a backend when it sets no `max_answer_bytes` (256 MiB).
pub const DEFAULT_MAX_ANSWER_BYTES: u64 = 256 * 1024 * 1024;

/// One `[[homer]]` entry, as written in the config file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HomerBackendConfig {
    /// Name used in `/api/b/{name}/v3/...` and in `GET /api/backends`.
    pub name: String,
    /// Base URL of homer-app, e.g. `http://homer:9080` (any `api_prefix` path included).
    pub url: String,
    /// Login name; falls back to dex's resolution order when absent.
    #[serde(default)]
    pub username: Option<String>,
    /// The password itself (prefer `password_file` or `password_env`).
    #[serde(default)]
    pub password: Option<Secret>,
    /// A file holding the password; one trailing newline is dropped.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// The name of an environment variable holding the password.
    #[serde(default)]
    pub password_env: Option<String>,
    /// Whether `/api/v3/...` goes to this backend. At most one backend may set it.
    #[serde(default)]
    pub default: bool,
    /// TCP connect timeout: `"5s"`, `"500ms"`, `"1m"` or a number of seconds. Default 5 s.
    #[serde(default)]
    pub connect_timeout: Option<Timeout>,
    /// Time allowed until Homer's response headers arrive, and between body chunks. Default 30 s.
    #[serde(default)]
    pub request_timeout: Option<Timeout>,
    /// A PEM file of extra CA certificates to trust besides the platform roots.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Largest answer (bytes) taken from this Homer; a bigger one is a 502. Default 256 MiB.
    #[serde(default)]
    pub max_answer_bytes: Option<u64>,
}

/// A timeout written as a duration (`"5s"`, `"250ms"`, `"1m30s"`; see [`parse_duration`]) or a plain number of seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeout(pub Duration);

impl<'de> Deserialize<'de> for Timeout {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Seconds(f64),
            Text(String),
        }
        let duration = match Raw::deserialize(deserializer)? {
            Raw::Seconds(secs) => seconds(secs),
            Raw::Text(text) => parse_duration(&text),
        };
        duration.map(Timeout).map_err(serde::de::Error::custom)
    }
}

fn seconds(secs: f64) -> Result<Duration, String> {
    Duration::try_from_secs_f64(secs)
        .map_err(|_| format!("invalid timeout {secs}: want seconds >= 0"))
}

/// Parses a timeout in the one duration grammar of every setting (`"5s"`, `"250ms"`, `"1m30s"`, `"1.5"`
/// seconds, `"PT30S"`; [`app::domain::duration`]).
///
/// # Errors
/// A text naming the input when it is not a duration.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    app::domain::duration::parse_duration(text).map_err(|e| format!("invalid timeout: {e}"))
}

/// Why a backend's configuration cannot be used. Never carries a password.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("homer backend {backend:?}: set only one of password, password_file, password_env")]
    TooManyPasswordSources { backend: String },
    #[error("homer backend {backend:?}: reading password_file {path:?}: {source}")]
    PasswordFile {
        backend: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("homer backend {backend:?}: password_env {var:?} is not set")]
    PasswordEnvMissing { backend: String, var: String },
    #[error("homer backend {backend:?}: url {url:?} {reason}")]
    InvalidUrl {
        backend: String,
        url: String,
        reason: String,
    },
    #[error("homer backend {backend:?}: reading ca_file {path:?}: {reason}")]
    CaFile {
        backend: String,
        path: PathBuf,
        reason: String,
    },
    #[error("homer backend {backend:?}: max_answer_bytes must be at least 1")]
    ZeroAnswerCap { backend: String },
    #[error("homer backend {backend:?}: building the HTTP client: {source}")]
    Client {
        backend: String,
        #[source]
        source: reqwest::Error,
    },
}

/// A HOMER base URL: http(s), no credentials, query or fragment, no trailing `/`.
#[derive(Clone, PartialEq, Eq)]
pub struct BaseUrl(Url);

impl BaseUrl {
    /// Checks and normalises a configured URL.
    ///
    /// # Errors
    /// [`ConfigError::InvalidUrl`] for an unparsable URL, a scheme other than http(s), embedded
    /// credentials (they would show in `GET /api/backends`), a query or a fragment.
    pub fn parse(backend: &str, url: &str) -> Result<Self, ConfigError> {
        let invalid = |reason: &str| ConfigError::InvalidUrl {
            backend: backend.to_owned(),
            url: redact_userinfo(url),
            reason: reason.to_owned(),
        };
        let mut parsed =
            Url::parse(url.trim()).map_err(|e| invalid(&format!("is not a URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(invalid("must start with http:// or https://"));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(invalid(
                "must not carry credentials: use username and password_file",
            ));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(invalid("must not have a query or fragment"));
        }
        let path = parsed.path().trim_end_matches('/').to_owned();
        parsed.set_path(&path);
        Ok(Self(parsed))
    }

    /// The URL as text, without a trailing `/`.
    pub fn as_str(&self) -> &str {
        self.0.as_str().trim_end_matches('/')
    }

    /// The host name or address.
    pub fn host(&self) -> Option<&str> {
        self.0.host_str()
    }

    /// The port, explicit or the scheme's default.
    pub fn port(&self) -> Option<u16> {
        self.0.port_or_known_default()
    }

    /// `{base}/api/v3/{path}` plus `?{query}` when given.
    pub fn v3(&self, path: &str, query: Option<&str>) -> String {
        let mut url = format!("{}/api/v3/{}", self.as_str(), path);
        if let Some(query) = query.filter(|q| !q.is_empty()) {
            url.push('?');
            url.push_str(query);
        }
        url
    }
}

impl fmt::Debug for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Drops a `user:password@` part so an invalid URL can be quoted in an error.
fn redact_userinfo(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let (scheme, _) = url.split_at(scheme_end + 3);
            let (_, rest) = url.split_at(at + 1);
            format!("{scheme}***@{rest}")
        }
        _ => url.to_owned(),
    }
}

impl HomerBackendConfig {
    /// The connect timeout, defaulting to 5 s.
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
            .map_or(DEFAULT_CONNECT_TIMEOUT, |t| t.0)
    }

    /// The request timeout, defaulting to 30 s.
    pub fn request_timeout(&self) -> Duration {
        self.request_timeout
            .map_or(DEFAULT_REQUEST_TIMEOUT, |t| t.0)
    }

    /// The answer cap, defaulting to [`DEFAULT_MAX_ANSWER_BYTES`].
    ///
    /// # Errors
    /// [`ConfigError::ZeroAnswerCap`] for 0.
    pub fn max_answer_bytes(&self) -> Result<u64, ConfigError> {
        match self.max_answer_bytes {
            Some(0) => Err(ConfigError::ZeroAnswerCap {
                backend: self.name.clone(),
            }),
            Some(limit) => Ok(limit),
            None => Ok(DEFAULT_MAX_ANSWER_BYTES),
        }
    }

    /// The password this entry configures itself, from whichever one source it names.
    ///
    /// # Errors
    /// More than one source, an unreadable `password_file`, or an unset `password_env`.
    pub fn configured_password(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<Secret>, ConfigError> {
        let sources = usize::from(self.password.is_some())
            + usize::from(self.password_file.is_some())
            + usize::from(self.password_env.is_some());
        if sources > 1 {
            return Err(ConfigError::TooManyPasswordSources {
                backend: self.name.clone(),
            });
        }
        if let Some(password) = &self.password {
            return Ok(Some(password.clone()));
        }
        if let Some(path) = &self.password_file {
            return read_password_file(&self.name, path).map(Some);
        }
        if let Some(var) = &self.password_env {
            return env(var)
                .map(|value| Some(Secret::new(value)))
                .ok_or_else(|| ConfigError::PasswordEnvMissing {
                    backend: self.name.clone(),
                    var: var.clone(),
                });
        }
        Ok(None)
    }
}

fn read_password_file(backend: &str, path: &Path) -> Result<Secret, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::PasswordFile {
        backend: backend.to_owned(),
        path: path.to_owned(),
        source,
    })?;
    let text = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(&text);
    Ok(Secret::new(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(toml_text: &str) -> HomerBackendConfig {
        toml::from_str(toml_text).unwrap()
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn config_reads_durations_as_text_or_seconds() {
        let cfg =
            entry("name='a'\nurl='http://h:9080'\nconnect_timeout='500ms'\nrequest_timeout=12");
        assert_eq!(cfg.connect_timeout(), Duration::from_millis(500));
        assert_eq!(cfg.request_timeout(), Duration::from_secs(12));
    }

    #[test]
    fn config_reads_the_same_durations_as_every_other_setting() {
        let cfg =
            entry("name='a'\nurl='http://h'\nconnect_timeout='PT2S'\nrequest_timeout='1m30s'");
        assert_eq!(cfg.connect_timeout(), Duration::from_secs(2));
        assert_eq!(cfg.request_timeout(), Duration::from_secs(90));
    }

    #[test]
    fn config_defaults_timeouts_to_5s_and_30s() {
        let cfg = entry("name='a'\nurl='http://h'");
        assert_eq!(cfg.connect_timeout(), Duration::from_secs(5));
        assert_eq!(cfg.request_timeout(), Duration::from_secs(30));
    }

    #[test]
    fn answer_cap_defaults_to_256_mib_and_refuses_zero() {
        let cfg = entry("name='a'\nurl='http://h:9080'");
        assert_eq!(cfg.max_answer_bytes().unwrap(), 256 * 1024 * 1024);
        let cfg = entry("name='a'\nurl='http://h:9080'\nmax_answer_bytes=1024");
        assert_eq!(cfg.max_answer_bytes().unwrap(), 1024);
        let cfg = entry("name='a'\nurl='http://h:9080'\nmax_answer_bytes=0");
        let err = cfg.max_answer_bytes().unwrap_err().to_string();
        assert!(err.contains("max_answer_bytes"), "{err}");
    }

    #[test]
    fn config_rejects_unknown_fields() {
        let err = toml::from_str::<HomerBackendConfig>("name='a'\nurl='http://h'\npasword='x'");
        assert!(err.is_err());
    }

    #[test]
    fn parse_duration_accepts_units_and_rejects_others() {
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn configured_password_refuses_two_sources() {
        let cfg = entry("name='a'\nurl='http://h'\npassword='x'\npassword_env='P'");
        assert!(matches!(
            cfg.configured_password(&no_env),
            Err(ConfigError::TooManyPasswordSources { .. })
        ));
    }

    #[test]
    fn configured_password_reads_env_and_reports_missing_var() {
        let cfg = entry("name='a'\nurl='http://h'\npassword_env='HOMER_PW'");
        let env = |k: &str| (k == "HOMER_PW").then(|| "s3cret".to_owned());
        let pw = cfg.configured_password(&env).unwrap().unwrap();
        assert_eq!(pw.expose(), "s3cret");
        assert!(matches!(
            cfg.configured_password(&no_env),
            Err(ConfigError::PasswordEnvMissing { .. })
        ));
    }

    #[test]
    fn configured_password_reads_file_without_trailing_newline() {
        let path = std::env::temp_dir().join(format!("hepscope-pw-{}", std::process::id()));
        std::fs::write(&path, "filepw\n").unwrap();
        let cfg = HomerBackendConfig {
            password_file: Some(path.clone()),
            ..entry("name='a'\nurl='http://h'")
        };
        let pw = cfg.configured_password(&no_env).unwrap().unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(pw.expose(), "filepw");
    }

    #[test]
    fn base_url_drops_trailing_slash_and_builds_v3_urls() {
        let url = BaseUrl::parse("a", "http://homer:9080/prefix/").unwrap();
        assert_eq!(url.as_str(), "http://homer:9080/prefix");
        assert_eq!(
            url.v3("search/call/data", Some("x=1")),
            "http://homer:9080/prefix/api/v3/search/call/data?x=1"
        );
        assert_eq!(url.port(), Some(9080));
    }

    #[test]
    fn base_url_rejects_credentials_without_quoting_them() {
        let err = BaseUrl::parse("a", "http://admin:topsecret@homer").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("credentials"), "{text}");
        assert!(!text.contains("topsecret"), "{text}");
    }

    #[test]
    fn base_url_rejects_other_schemes() {
        assert!(BaseUrl::parse("a", "ftp://homer").is_err());
        assert!(BaseUrl::parse("a", "not a url").is_err());
    }
}
