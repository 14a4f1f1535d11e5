//! Share links ("Share outside"): a signed, expiring, revocable, read-only link to one call that opens
//! without login.
//!
//! - [`token`]: signing and checking link tokens (HS256 with a key of their own, `share.key`).
//! - [`store`]: the share records, persisted as a JSON file in the data dir so revocation survives
//!   restarts whatever the backend (HOMER 7 or the embedded store).
//! - [`routes`]: `/api/shares` (session) and `/api/shared/{token}/…` (public, forced to the share's
//!   Call-IDs, backend and window; a client address presenting many invalid tokens gets 429s).
//!
//! Config: `[share] ttl` (default 72 h) and `max_ttl` (default 30 days); `share = true` in a
//! `[[users]]` entry gives a non-admin the right to share.

pub mod routes;
pub mod store;
pub mod token;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use serde::Deserialize;

use crate::duration::parse_duration;
use crate::homer::BackendRegistry;
use crate::ratelimit::LoginLimiter;
use crate::settings::ConfigError;

pub use store::{ShareRecord, ShareStore};
pub use token::ShareSigner;

/// Default lifetime of a share link.
pub const DEFAULT_TTL: Duration = Duration::from_secs(72 * 3600);
/// Default longest lifetime a request may ask for.
pub const DEFAULT_MAX_TTL: Duration = Duration::from_secs(30 * 86_400);

/// `[share]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawShare {
    /// Lifetime of a link when the request names none, e.g. "72h" (the default).
    pub ttl: Option<String>,
    /// Longest lifetime a request may ask for, e.g. "30d" (the default).
    pub max_ttl: Option<String>,
}

/// Validated `[share]` settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShareConfig {
    /// Lifetime when the request names none; at least 1 s, at most `max_ttl`.
    pub ttl: Duration,
    /// Longest lifetime a request may ask for.
    pub max_ttl: Duration,
}

impl Default for ShareConfig {
    fn default() -> Self {
        Self {
            ttl: DEFAULT_TTL,
            max_ttl: DEFAULT_MAX_TTL,
        }
    }
}

impl ShareConfig {
    /// Validates `[share]`.
    ///
    /// # Errors
    /// A duration that does not parse, is under a second, or a `ttl` above `max_ttl`.
    pub fn from_raw(raw: RawShare) -> Result<ShareConfig, ConfigError> {
        let parse = |what: &str, text: Option<String>, default: Duration| match text {
            None => Ok(default),
            Some(text) => parse_duration(&text)
                .filter(|d| d.as_secs() >= 1)
                .ok_or_else(|| ConfigError::Invalid {
                    what: format!("share.{what}"),
                    message: format!("{text:?} is not a duration of at least 1s, like 72h or 7d"),
                }),
        };
        let max_ttl = parse("max_ttl", raw.max_ttl, DEFAULT_MAX_TTL)?;
        let ttl = parse("ttl", raw.ttl, DEFAULT_TTL.min(max_ttl))?;
        if ttl > max_ttl {
            return Err(ConfigError::Invalid {
                what: "share.ttl".into(),
                message: format!(
                    "{} s is longer than share.max_ttl ({} s)",
                    ttl.as_secs(),
                    max_ttl.as_secs()
                ),
            });
        }
        Ok(ShareConfig { ttl, max_ttl })
    }
}

/// Invalid share tokens a client address may present per [`INVALID_WINDOW`] before it gets 429s.
pub const MAX_INVALID_PER_WINDOW: u32 = 30;
/// The window for counting invalid share tokens.
pub const INVALID_WINDOW: Duration = Duration::from_secs(60);

/// Everything the share routes need; cheap to clone.
#[derive(Clone)]
pub struct Shares {
    pub(crate) config: ShareConfig,
    pub(crate) signer: Arc<ShareSigner>,
    pub(crate) store: Arc<ShareStore>,
    pub(crate) backends: Arc<BackendRegistry>,
    /// Invalid tokens per client address: a light brake on guessing (the HMAC already makes it futile).
    pub(crate) invalid: Arc<LoginLimiter>,
}

impl Shares {
    /// Loads the signing key and the share records from `data_dir` (creating them when absent).
    ///
    /// # Errors
    /// The key or the records file cannot be read or written.
    pub fn open(
        config: ShareConfig,
        data_dir: &Path,
        backends: Arc<BackendRegistry>,
    ) -> anyhow::Result<Shares> {
        let key = crate::secret::share_key(data_dir).context("preparing the share key")?;
        let store = ShareStore::open(&data_dir.join(store::SHARES_FILE))
            .context("reading the share links")?;
        Ok(Shares {
            config,
            signer: Arc::new(ShareSigner::new(&key)),
            store: Arc::new(store),
            backends,
            invalid: Arc::new(LoginLimiter::new(MAX_INVALID_PER_WINDOW, INVALID_WINDOW)),
        })
    }
}

/// Now, seconds since the Unix epoch.
pub(crate) fn unix_now() -> i64 {
    jiff::Timestamp::now().as_second()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Result<ShareConfig, ConfigError> {
        ShareConfig::from_raw(toml::from_str(text).unwrap())
    }

    #[test]
    fn share_config_defaults_to_72_hours() {
        assert_eq!(config("").unwrap(), ShareConfig::default());
        assert_eq!(config("").unwrap().ttl, Duration::from_secs(72 * 3600));
    }

    #[test]
    fn share_config_reads_ttl_and_max_ttl() {
        let c = config("ttl = \"1h\"\nmax_ttl = \"2h\"\n").unwrap();
        assert_eq!(c.ttl, Duration::from_secs(3600));
        assert_eq!(c.max_ttl, Duration::from_secs(7200));
        // A max_ttl under the default ttl lowers the default.
        assert_eq!(
            config("max_ttl = \"1h\"\n").unwrap().ttl,
            Duration::from_secs(3600)
        );
    }

    #[test]
    fn share_config_rejects_bad_values() {
        for text in [
            "ttl = \"soon\"\n",
            "ttl = \"500ms\"\n",
            "ttl = \"3h\"\nmax_ttl = \"1h\"\n",
        ] {
            let err = config(text).unwrap_err().to_string();
            assert!(err.contains("share."), "{text}: {err}");
        }
        assert!(toml::from_str::<RawShare>("expiry = \"1h\"\n").is_err());
    }
}
