//! What every subsystem's config reader shares: the error type, duration settings and the redaction
//! of secrets in `Debug`. A leaf module (it imports only [`crate::duration`]), so `[hep]`, `[share]`,
//! `[store]` and the live stream validate their sections without importing [`crate::config`], which
//! assembles them.

use std::path::PathBuf;
use std::time::Duration;

use crate::duration::parse_duration;

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{what}: {message}")]
    Invalid { what: String, message: String },
}

/// What `Debug` prints for a secret: whether it is set, never its value.
pub(crate) fn redacted<T>(value: &Option<T>) -> &'static str {
    if value.is_some() {
        "Some(***)"
    } else {
        "None"
    }
}

/// A duration setting: `value`, else `default`, in the one grammar of [`crate::duration`].
///
/// # Errors
/// The text is not a duration; the message names the setting `what`.
pub(crate) fn duration_setting(
    what: &str,
    value: Option<String>,
    default: &str,
) -> Result<Duration, ConfigError> {
    let text = value.unwrap_or_else(|| default.to_string());
    parse_duration(&text).ok_or_else(|| ConfigError::Invalid {
        what: what.into(),
        message: format!("{text:?} is not a duration like 30s, 5m, 12h or 7d"),
    })
}

/// A source of environment variables: the process environment in `main`, a map in tests.
pub trait Env {
    /// The variable's value, if set and not empty.
    fn var(&self, name: &str) -> Option<String>;
}

/// The real process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

impl Env for std::collections::BTreeMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).filter(|v| !v.is_empty()).cloned()
    }
}
